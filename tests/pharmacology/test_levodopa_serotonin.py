"""Levodopa in serotonin terminals (false transmitter): uptake, decarboxylation by the 5-HT terminal's
AADC in competition with 5-HTP, packaging by its VMAT2 in competition with 5-HT, and release with 5-HT
(pharmacology/network.py levodopa_module; Reed 2012, Tanaka 1999, Navailles 2010, Everett 1970)."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pytest

from neuroscape import Plan, Subject, simulate
from neuroscape.engine.compiled import compile_network
from neuroscape.model.library import default_network
from neuroscape.pharmacology.network import LDOPA_5HT_UPTAKE, network_for
from neuroscape.plan import add_dose

TIMES = np.arange(0.0, 12.0001, 0.1)
LESION = 0.05  # 6-OHDA lesion: 5% of dopamine neurons left (95% assumed; Tanaka 1999 gives no number)


@lru_cache(maxsize=None)
def _model():
    return compile_network(network_for(("carbidopa", "levodopa")))


def _run(levodopa_mg: float, *, uptake: float = LDOPA_5HT_UPTAKE, neurons: float = 1.0):
    plan = add_dose(add_dose(Plan(), "levodopa", 0.0, levodopa_mg), "carbidopa", 0.0, levodopa_mg / 10)
    subject = Subject(weight_kg=70.0, parameters={"ldopa_5ht_uptake": uptake, "dopamine_neurons": neurons})
    return simulate(subject, plan, TIMES, model=_model())


def _added_striatal_da(traj) -> float:
    """Extracellular striatal dopamine AUC (nM h, 0-12 h) above the pre-dose level."""
    eda = traj.readout("brain.dopamine.extracellular", "striatum")
    return float(np.trapezoid(eda - eda[0], TIMES))


def _state(traj, name):
    return traj.states[:, traj.model.species_index[name]]


def test_hooks_are_zero_without_levodopa_so_the_base_model_is_unchanged():
    # The serotonin module reads x_AADC_5HT_<r> and x_VMAT_5HT_<r>; they are the constant 0 until
    # levodopa is wired in, so every drug-free (and levodopa-free) case is the same model as before.
    base = {e.name: e.expr for e in default_network().expressions}
    for r in ("raphe", "cortex", "hippocampus"):
        assert base[f"x_AADC_5HT_{r}"] == "0" and base[f"x_VMAT_5HT_{r}"] == "0"
    wired = {e.name: e.expr for e in network_for(("levodopa",)).expressions}
    assert wired["x_AADC_5HT_cortex"] == "ldopa_5ht_cortex / aadc_km_ldopa"
    assert wired["x_VMAT_5HT_cortex"] == "cda_5ht_cortex / vmat_km_da"


def test_serotonin_terminals_make_most_levodopa_dopamine_in_a_lesioned_striatum():
    # Tanaka 1999 (tanaka1999): in 6-OHDA-lesioned rats, destroying 5-HT terminals (5,7-DHT) left only
    # 20% of the levodopa-induced rise in striatal extracellular dopamine. ldopa_5ht_uptake was fitted
    # to this (levodopa 250 mg + carbidopa 25 mg, 95% lesion), so this checks the fit: 0.20 +/- 0.02.
    with_5ht = _added_striatal_da(_run(250.0, neurons=LESION))
    without = _added_striatal_da(_run(250.0, uptake=0.0, neurons=LESION))
    assert without / with_5ht == pytest.approx(0.20, abs=0.02)


def test_dopamine_terminals_dominate_in_the_intact_striatum():
    # Prediction (not fitted): with all dopamine neurons, 5-HT terminals add a minor share (~15%) of the
    # levodopa-derived extracellular dopamine; the ectopic route matters once DA terminals are lost
    # (Navailles 2010: the levodopa-induced rise is serotonergic in lesioned rats).
    with_5ht = _added_striatal_da(_run(250.0))
    without = _added_striatal_da(_run(250.0, uptake=0.0))
    assert 0.05 < 1 - without / with_5ht < 0.25


def test_levodopa_is_a_false_transmitter_in_serotonin_vesicles():
    traj = _run(250.0)
    for r in ("raphe", "cortex", "hippocampus"):
        # uM of dopamine stored in 5-HT vesicles (67.5 uM 5-HT there): ~0.26 uM at 250 mg
        assert 0.1 < _state(traj, f"vda_5ht_{r}").max() < 1.0
        assert traj.readout("synthesis.dopamine.serotonergic", r).max() > 0
    # Before the dose there is none
    assert _state(traj, "vda_5ht_cortex")[0] == 0.0


def test_high_levodopa_lowers_serotonin_stores():
    # Everett & Borcherding 1970 (everett1970): large levodopa doses lower brain 5-HT by displacing it from
    # storage; Navailles 2010: 5-HT terminals take up levodopa. Here levodopa competes with 5-HTP for AADC
    # and its dopamine with 5-HT for VMAT2, so vesicular 5-HT falls, more with the dose and more than
    # from the LAT1 competition with tryptophan alone (uptake 0). The fall is small in this model: 2.0%
    # at 2 g, of which only ~0.1 point comes from the 5-HT-terminal route (docs/pharmacology.md section 8:
    # vesicle capacity is not modelled, so the dopamine does not push 5-HT out of the vesicles).
    def lowest_store(mg, uptake=LDOPA_5HT_UPTAKE):
        v = _state(_run(mg, uptake=uptake), "v5ht_cortex")
        return float(v.min() / v[0])

    low, high = lowest_store(250.0), lowest_store(2000.0)
    assert high < low < 1.0
    assert high == pytest.approx(0.980, abs=0.003)
    assert lowest_store(2000.0, uptake=0.0) - high > 5e-4
