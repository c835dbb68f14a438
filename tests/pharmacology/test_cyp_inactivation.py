"""Time-dependent (mechanism-based) CYP inactivation with enzyme resynthesis (`cyp_inactivation` in a
drug file, `_cyp_activity` in pharmacology/network.py), checked against its own equations and, for
moclobemide, against multiple-dose pharmacokinetics that the drug file was not built from.

Observed means are the curves of gram1995 (8 CYP2C19 extensive and 8 poor metabolisers, 300 mg single dose
and day 7 of 300 mg bid) and ignjatovic2009, as digitised in the kanacher2020 model files (reference notes);
kanacher2020 fitted its inactivation constant to gram1995's curves among others, so those are checks of the
transfer to this model's structure, not independent predictions. Tolerance: the library's +/-35% unless
stated. Numbers before and after the inactivation: docs/pharmacology.md section 10.
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np
import pytest
from pydantic import ValidationError

from neuroscape import Plan, Subject, simulate
from neuroscape.pharmacology.library import (
    Drug,
    cyp_turnover,
    drug_references,
    load_drug,
)
from neuroscape.plan import add_dose

EM = Subject(weight_kg=70.0)  # the library's volumes and clearances are for 70 kg
PM = Subject(weight_kg=70.0, genotypes={"CYP2C19": "*2/*2"})
SUBJECTS = {"EM": EM, "PM": PM}


def param(traj, name: str) -> float:
    return float(traj.parameters[0, traj.model.param_index[name]])


def _auc(traj, start_h: float, end_h: float) -> float:
    """mg.h/L of plasma moclobemide between two output times."""
    t = traj.times
    m = (t >= start_h - 1e-9) & (t <= end_h + 1e-9)
    return float(np.trapezoid(traj.readout("plasma.moclobemide")[m], t[m])) / 1000.0


@cache
def _single(phenotype: str, dose_mg: float):
    t = np.linspace(0.0, 48.0, 961)
    return simulate(SUBJECTS[phenotype], add_dose(Plan(), "moclobemide", 0.0, dose_mg), t)


@cache
def _bid_day7(phenotype: str, dose_mg: float):
    """Doses every 12 h; output over the first interval and the interval from 168 h (day 7 morning)."""
    t = np.concatenate([np.linspace(0.0, 12.0, 241), np.linspace(168.0, 180.0, 241)])
    return simulate(SUBJECTS[phenotype], add_dose(Plan(), "moclobemide", 0.0, dose_mg, every_h=12, count=15), t)


# ---- schema ---------------------------------------------------------------------------------------

def _moclobemide_with(**changes) -> dict:
    return {**load_drug("moclobemide").model_dump(exclude_none=True), **changes}


def _entry(enzyme="CYP2C19", kinact=5.0, ki=50980.0) -> dict:
    return {"enzyme": enzyme, "kinact_per_h": {"value": kinact, "source": "kanacher2020", "basis": "model"},
            "ki_ng_per_mL": {"value": ki, "source": "kanacher2020", "basis": "model"}}


@pytest.mark.parametrize("entries,message", [
    ([_entry(enzyme="UGT")], "only CYP enzymes"),
    ([_entry(kinact=0.0)], "kinact_per_h must be > 0"),
    ([_entry(ki=0.0)], "ki_ng_per_mL must be > 0"),
    ([_entry(enzyme="CYP3A4")], "cyp_turnover.yaml"),
    ([_entry(), _entry()], "CYP2C19 more than once"),
])
def test_malformed_inactivation_is_refused_with_the_fix(entries, message):
    with pytest.raises(ValidationError, match=message):
        Drug.model_validate(_moclobemide_with(cyp_inactivation=entries))


def test_turnover_half_lives_are_sourced():
    known = set(drug_references())
    for enzyme, half_life in cyp_turnover().items():
        assert half_life.value > 0 and half_life.source in known, enzyme


# ---- the equations --------------------------------------------------------------------------------

def test_inactivated_enzyme_recovers_at_its_turnover_rate():
    # With no drug left, d intact/dt = kdeg (1 - intact): the lost fraction decays as exp(-kdeg t).
    last = 13 * 12.0
    t = np.array([0.0, last + 72.0, last + 168.0])
    traj = simulate(EM, add_dose(Plan(), "moclobemide", 0.0, 300.0, every_h=12, count=14), t)
    lost = 1.0 - traj.readout("activity.CYP2C19")
    assert traj.readout("plasma.moclobemide")[1] < 1e-3  # ng/mL: ~25 half-lives after the last dose
    assert lost[1] > 0.05
    kdeg = math.log(2) / cyp_turnover()["CYP2C19"].value
    assert param(traj, "cyp2c19_kdeg") == pytest.approx(kdeg)
    assert lost[2] / lost[1] == pytest.approx(math.exp(-kdeg * 96.0), rel=1e-3)


def test_steady_inactivation_under_a_constant_infusion():
    # At a constant concentration C: intact = kdeg / (kdeg + kinact L / (1 + L)), L = C / KI, and the
    # activity is intact / (1 + C / Ki) (own-route competitive inhibition). 300 h is > 10 half-lives of
    # the slowest rate (kdeg, 26 h).
    t = np.array([0.0, 290.0, 299.0])
    traj = simulate(EM, add_dose(Plan(), "moclobemide", 0.0, 6000.0, route="iv", infusion_h=300.0), t)
    c = traj.readout("plasma.moclobemide")
    assert c[2] == pytest.approx(c[1], rel=1e-3)
    load = c[2] / param(traj, "moclobemide_kiinact_cyp2c19")
    kdeg, kinact = param(traj, "cyp2c19_kdeg"), param(traj, "moclobemide_kinact_cyp2c19")
    intact = kdeg / (kdeg + kinact * load / (1 + load))
    expected = intact / (1 + c[2] / param(traj, "moclobemide_kicyp_cyp2c19"))
    assert traj.readout("activity.CYP2C19")[2] == pytest.approx(expected, rel=1e-3)


# ---- moclobemide against published data -------------------------------------------------------------

def test_exposure_rises_over_a_week_in_extensive_but_not_poor_metabolisers():
    # gram1995, 300 mg bid: AUCtau on day 7 / AUC(0-inf) of the first dose = 14.2 / 6.95 = 2.04 in
    # extensive and 27.0 / 25.8 = 1.04 in poor metabolisers: the loss of clearance is CYP2C19's.
    em = _auc(_bid_day7("EM", 300.0), 168.0, 180.0) / _auc(_single("EM", 300.0), 0.0, 48.0)  # model 1.83
    pm = _auc(_bid_day7("PM", 300.0), 168.0, 180.0) / _auc(_single("PM", 300.0), 0.0, 48.0)  # model 1.03
    assert em == pytest.approx(2.04, rel=0.35)
    # A poor metaboliser has almost no CYP2C19 to lose (phenotype activity 0.05).
    assert pm == pytest.approx(1.04, abs=0.15)


def test_single_dose_exposure_of_extensive_metabolisers():
    # gram1995: 300 mg single dose, AUC(0-inf) 6.95 mg.h/L, 12-h concentration 37 ng/mL (model 6.5, 49).
    traj = _single("EM", 300.0)
    assert _auc(traj, 0.0, 48.0) == pytest.approx(6.95, rel=0.35)


def test_steady_state_is_reached_within_a_week():
    # aurorix_ch / manerix_pm: plasma levels rise over the first week of dosing and are stable thereafter.
    t = np.array([12.0 * k - 1e-6 for k in (1, 14, 28)])
    traj = simulate(EM, add_dose(Plan(), "moclobemide", 0.0, 300.0, every_h=12, count=28), t)
    trough = traj.readout("plasma.moclobemide")
    assert trough[0] < 0.5 * trough[1]
    assert trough[2] == pytest.approx(trough[1], rel=0.02)


def test_single_dose_exposure_rises_with_dose():
    # moclobemide1985: bioavailability 0.43 after 50 mg and 0.59 after 200 mg, a 1.37-fold rise in AUC/dose
    # (model 1.28: competitive auto-inhibition and the inactivation during the dose). +/-10%.
    ratio = (_auc(_single("EM", 200.0), 0.0, 48.0) / 200.0) / (_auc(_single("EM", 50.0), 0.0, 48.0) / 50.0)
    assert ratio == pytest.approx(1.37, rel=0.10)


@pytest.mark.fit_check
def test_cyp2c19_activity_after_one_dose_matches_the_omeprazole_study():
    # cho2002: 300 mg with omeprazole, CYP2C19 formation clearance x0.47 in extensive metabolisers. The
    # competitive Ki was derived from this number with the inactivation in place: a consistency check.
    traj = _single("EM", 300.0)
    t = traj.times
    m = (t >= 0.5) & (t <= 4.0)
    mean = np.trapezoid(traj.readout("activity.CYP2C19")[m], t[m]) / 3.5
    assert mean == pytest.approx(0.47, abs=0.01)


@pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
    "poor metabolisers' exposure is under-predicted: 300 mg single-dose AUC 14.6 vs 25.8 mg.h/L (gram1995; "
    "44.6 in yu2001's Koreans), half-life ~3.8 vs ~8.7 h: the non-CYP2C19 clearance (12.9 L/h, a 40% share "
    "assumed in the drug file) is too high. PM/EM AUC ratio 2.25 vs 3.7"))
def test_poor_metaboliser_single_dose_exposure():
    assert _auc(_single("PM", 300.0), 0.0, 48.0) == pytest.approx(25.8, rel=0.35)


@pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
    "dingemanse1998: moclobemide clearance ~60% lower at the last than at the first dose of 8 days of 450 "
    "and 600 mg bid (CL/F ratio 0.4); model 0.59 (450 mg) and 0.65 (600 mg): the inactivation is driven by "
    "systemic concentrations, without the higher portal ones during absorption"))
@pytest.mark.parametrize("dose_mg", [450.0, 600.0])
def test_clearance_falls_over_eight_days_of_high_doses(dose_mg):
    t = np.linspace(7 * 24.0 + 12.0, 8 * 24.0, 241)
    last = simulate(EM, add_dose(Plan(), "moclobemide", 0.0, dose_mg, every_h=12, count=16), t)
    ratio = _auc(_single("EM", dose_mg), 0.0, 48.0) / _auc(last, t[0], t[-1])  # CL/F last / first
    assert ratio == pytest.approx(0.4, rel=0.35)


@pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
    "ignjatovic2009, depressed patients on 150 mg at 8, 14 and 20 h, day 14: 536 ng/mL before the morning "
    "dose, 904 six hours after it; model (healthy 35-year-old male extensive metaboliser) ~100 and ~350. "
    "The AGNP range (300-1000 ng/mL, hiemke2018) is also a patient range; healthy volunteers on 600 mg/d "
    "are matched (gram1995, test_reference_ranges)"))
def test_patient_concentrations_on_150_mg_tid():
    doses = Plan()
    for day in range(14):
        for hour in (0.0, 6.0, 12.0):
            doses = add_dose(doses, "moclobemide", day * 24.0 + hour, 150.0)
    t = np.array([13 * 24.0 - 1e-6, 13 * 24.0 + 6.0 - 1e-6])
    c = simulate(EM, doses, t).readout("plasma.moclobemide")
    assert c[0] == pytest.approx(536.0, rel=0.35)
    assert c[1] == pytest.approx(904.0, rel=0.35)
