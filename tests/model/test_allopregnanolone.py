"""Allopregnanolone from progesterone (saturable, allo_ratio2020) and its GABA-A modulation."""

import numpy as np
import pytest

from neuroscape import Subject
from neuroscape.plan import Plan, add_hormone_dose, hold_input
from neuroscape.protocol.run import run_protocol
from neuroscape.protocol.schema import parse_protocol
from neuroscape.simulate import simulate


def _cycle(day: float, quantity: str, **extra) -> float:
    doc = {"protocol": 1, "name": "allo", "subject": {"sex": "female", "cycle_day": day},
           "readouts": [{"id": "x", "quantity": quantity, "at_h": 12, **extra}]}
    return run_protocol(parse_protocol(doc)).readouts["x"]["value"]


def test_allopregnanolone_to_progesterone_ratio_falls_from_follicular_to_luteal():
    # allo_ratio2020 (GC-MS): 0.33 +- 0.08 follicular, 0.04 +- 0.007 luteal
    for day, ratio, sd in ((5, 0.33, 0.08), (21, 0.04, 0.007)):
        allo = _cycle(day, "plasma.allopregnanolone")
        assert allo / _cycle(day, "plasma.progesterone") == pytest.approx(ratio, abs=sd)
    assert _cycle(21, "plasma.allopregnanolone") == pytest.approx(1.15, rel=0.05)  # nmol/L, luteal


def test_luteal_allopregnanolone_potentiates_gaba_a_signalling():
    follicular = _cycle(5, "signalling.GABAA", region="cortex", relative_to="baseline")
    luteal = _cycle(21, "signalling.GABAA", region="cortex", relative_to="baseline")
    # at plasma levels (about 1 nM, EC50 30 nM assumed) the modulation is a few percent
    assert 1.0 < luteal / follicular < 1.1


def test_oral_progesterone_raises_allopregnanolone_and_gaba_a_and_multiplies_with_benzodiazepines():
    times = [0.0, 2.0]
    tr = simulate(Subject(), add_hormone_dose(Plan(), "progesterone", 0, 200), times)
    allo = tr.readout("plasma.allopregnanolone")
    assert allo[0] == pytest.approx(1.30 * 0.7 / (3.73 + 0.7), rel=1e-3)  # at the base progesterone
    assert allo[1] > 5 * allo[0]
    gaba = tr.readout("signalling.GABAA", "cortex", relative_to="baseline")
    occ = tr.readout("occupancy.GABAA-neurosteroid")
    assert gaba[1] == pytest.approx((1 + 2 * occ[1]) / (1 + 2 * occ[0]), rel=1e-6)  # egaba unchanged
    # no allopregnanolone effect without progesterone change
    flat = simulate(Subject(), hold_input(Plan(), "progesterone_fold", 0, 1.0), times)
    assert np.allclose(flat.readout("signalling.GABAA", "cortex", relative_to="baseline"), 1.0)
