"""Vitamin B6 supplement (nutrition: vitamin_b6) and status: plasma PLP against human intake studies,
its time course against Lui 1985, and repletion of a deficient subject raising the PLP-dependent
enzymes (AADC, GAD). Two constants are fitted (plp_ka to Lee & Leklem's 3-4-fold rise, plp_max to the
IOM EAR criterion); the other comparisons are independent of them. docs/interventions.md has the table."""

import numpy as np
import pytest

from neuroscape import Plan, Subject, simulate
from neuroscape.errors import ProtocolError
from neuroscape.plan import add_nutrition, hold_input
from neuroscape.protocol.run import run_protocol
from neuroscape.protocol.schema import parse_protocol

DAY = 24.0


def _run(interventions, readouts, subject=None):
    doc = {"protocol": 1, "name": "b6", "interventions": interventions, "readouts": readouts}
    if subject is not None:
        doc["subject"] = subject
    return {k: np.asarray(v["value"]) for k, v in run_protocol(parse_protocol(doc)).readouts.items()}


def _daily(dose_mg, days, start_h=0.0):
    return {"nutrition": "vitamin_b6", "dose_mg": dose_mg, "at_h": start_h, "every_h": DAY, "count": days}


def _plp(interventions, days, subject=None):
    times = [d * DAY for d in days]
    return _run(interventions, [{"id": "plp", "quantity": "plasma.plp", "at_h": times}], subject)["plp"]


@pytest.mark.fit_check
def test_typical_diet_and_ear_levels_iom1998():
    # IOM 1998: the EAR (1.1 mg/d food B6) is set where the median plasma PLP is 20 nmol/L (fitted, a
    # consistency check); the typical diet (2 mg/d) lies above the 20 nmol/L adequacy criterion
    ear = simulate(Subject(modifications={"vitamin_b6": 1.1 / 2.0}), Plan(), [0]).readout("plasma.plp")[0]
    typical = simulate(Subject(), Plan(), [0]).readout("plasma.plp")[0]
    assert ear == pytest.approx(20.0, rel=0.02)
    assert 30.0 <= typical <= 40.0


def test_population_plp_at_usual_intake_kim2014():
    # Kim & Cho 2014 (254 adults): food B6 1.94 mg/d, total with supplements 2.41 mg/d (0.47 mg/d
    # supplemental on average), plasma PLP 40.0 +- 23.7 nmol/L: mean +- SD
    plp = _plp([_daily(0.47, 60)], [0, 56], subject={"modifications": {"vitamin_b6": 1.94 / 2.0}})
    assert 40.0 - 23.7 <= plp[-1] <= 40.0 + 23.7


@pytest.mark.fit_check
def test_eight_mg_pyridoxine_for_three_weeks_lee1985():
    # Lee & Leklem 1985: 2.3-2.4 mg/d diet, then + 8.0 mg/d pyridoxine for 3 weeks: plasma PLP 3-4-fold
    # (plp_ka is fitted to 3.5-fold, so this checks the fit and its time course over 21 days)
    plp = _plp([_daily(8.0, 21)], [0, 21], subject={"modifications": {"vitamin_b6": 2.35 / 2.0}})
    assert 3.0 <= plp[1] / plp[0] <= 4.0


def test_new_steady_state_by_day_10_lui1985():
    # Lui 1985: with 122 umol/d pyridoxine plasma PLP reached a new steady state on day 10 of 4 weeks
    plp = _plp([_daily(122 * 169.18 / 1000 / 0.95, 28)], [0, 3, 10, 28])
    rise = (plp - plp[0]) / (plp[-1] - plp[0])
    assert rise[2] >= 0.93  # at day 10 within the day-to-day noise of a steady state
    assert rise[1] <= 0.75  # and not there at once


@pytest.mark.xfail(strict=True, reason="Single PLP pool: the model empties it with its 55 h half-time, so 12 days "
                   "on < 0.05 mg/d leave about 2 nmol/L where Kretsch 1991 measured about 9 nmol/L. Revisited "
                   "(issue 18): a muscle store is not the answer for a depletion diet: muscle PLP (about 80% of body "
                   "B6, on glycogen phosphorylase) is not released in dietary deficiency, only in starvation as "
                   "glycogen is exhausted (Bender, Introduction to Human Nutrition 2nd ed., citing Black 1978); "
                   "and another depletion study (six men, 0.16 mg/d) found blood B6 at about 20% of pre-depletion "
                   "after 5 days, the single pool's pace (model: 0.24 of baseline at day 5). Kretsch's PLP time course "
                   "and residual intake would settle it")
def test_depletion_to_9_nmol_per_l_in_12_days_kretsch1991():
    plan = hold_input(Plan(), "plp_fold", 0.0, 0.05 / 2.0)
    plp = simulate(Subject(), plan, [0.0, 12 * DAY]).readout("plasma.plp")
    # IOM 1998 (Kretsch 1991, 11 young women): plasma PLP about 9 nmol/L; +-30% (mean only read)
    assert 6.3 <= plp[1] <= 11.7


def test_saturation_at_high_doses():
    # formation saturates: 100 mg/d raises plasma PLP much less than twice the rise at 50 mg/d
    plp50, plp100 = (_plp([_daily(mg, 28)], [0, 28])[1] for mg in (50.0, 100.0))
    assert plp100 / plp50 < 1.2


def test_repletion_raises_aadc_and_gad_in_a_deficient_subject():
    deficient = {"modifications": {"vitamin_b6": 0.3}}
    times = [0, 28 * DAY]
    readouts = [{"id": "plp", "quantity": "plasma.plp", "at_h": times},
                {"id": "aadc", "quantity": "activity.AADC", "at_h": times},
                {"id": "gad", "quantity": "activity.GAD", "at_h": times},
                {"id": "gaba", "quantity": "brain.gaba", "at_h": times}]
    untreated = _run([], readouts, deficient)
    treated = _run([_daily(25.0, 28)], readouts, deficient)
    assert untreated["plp"][0] < 12.0  # deficiency (below the 20 nmol/L criterion)
    # brain PLP is better kept than plasma PLP (plasma 0.32x -> brain 0.63x, Spector & Shikuma 1978), so the
    # holoenzyme falls less: 1.5 b / (b + 0.5) = 0.83
    assert untreated["aadc"][0] == pytest.approx(0.83, abs=0.02)
    assert untreated["gad"][0] == pytest.approx(0.83, abs=0.02)
    assert treated["plp"][1] > 1.5 * untreated["plp"][1]
    for key in ("aadc", "gad", "gaba"):
        assert treated[key][1] > 1.1 * untreated[key][1], key
    assert treated["aadc"][1] >= 1.0  # back at (or above) the typical-diet holoenzyme level


def test_brain_plp_and_the_holoenzyme_stay_near_their_ceiling_at_any_dose():
    # Spector & Shikuma 1978: massive IV pyridoxine raised brain PLP by only 39%, the ceiling of the
    # homeostatic uptake: the holoenzyme can rise at most to 1.5 x 1.39 / (1.39 + 0.5) = 1.103
    out = _run([_daily(100.0, 28)], [{"id": "aadc", "quantity": "activity.AADC", "at_h": [28 * DAY]},
                                     {"id": "plp", "quantity": "plasma.plp", "at_h": [28 * DAY]}])
    assert out["plp"][0] > 200  # plasma PLP several-fold up
    assert 1.05 <= out["aadc"][0] <= 1.103


def test_a_single_dose_counts_for_one_day():
    one = simulate(Subject(), add_nutrition(Plan(), "vitamin_b6", 0.0, dose_mg=10.0), [0, DAY, 20 * DAY])
    plp = one.readout("plasma.plp")
    assert plp[1] > plp[0] and plp[2] == pytest.approx(plp[0], rel=0.01)


def test_supplement_errors_name_the_field():
    with pytest.raises(ProtocolError, match="dose_mg: a vitamin_b6 supplement needs dose_mg"):
        add_nutrition(Plan(), "vitamin_b6", 0.0)
    with pytest.raises(ProtocolError, match="protein_g: 5 is not allowed"):
        add_nutrition(Plan(), "vitamin_b6", 0.0, dose_mg=10.0, protein_g=5)
    with pytest.raises(ProtocolError, match="dose_mg: -1 mg is outside"):
        add_nutrition(Plan(), "vitamin_b6", 0.0, dose_mg=-1)
    # a dose above 10x the IOM upper level (100 mg/day) is refused, naming the limit and why
    with pytest.raises(ProtocolError, match=r"dose_mg: 5000 mg is outside 0-1000 mg for vitamin_b6.*upper level"):
        add_nutrition(Plan(), "vitamin_b6", 0.0, dose_mg=5000)
    with pytest.raises(ProtocolError, match=r"interventions\[0\]\.dose_mg: required key is missing"):
        parse_protocol({"protocol": 1, "name": "x", "interventions": [{"nutrition": "vitamin_b6"}],
                        "readouts": [{"id": "p", "quantity": "plasma.plp", "at_h": 1}]})
