"""The closed-loop virtual trial (manage/trial.py): determinism, zero safety breaches on the true model,
proportions with their Wilson intervals, the true models' heavy tails, and a hand-checkable label-titration
case."""

import math

import numpy as np
import pytest

from neuroscape.errors import ProtocolError
from neuroscape.manage import trial as T
from neuroscape.manage.targets import load_profile
from neuroscape.plan import Plan, add_dose
from neuroscape.simulate import simulate
from neuroscape.subject import Subject


def _wilson(k, n, z=1.959963984540054):
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


KW = dict(visits_weeks=(3,), horizon_weeks=6, draws=4, screen_draws=4, finalists=2)


@pytest.fixture(scope="module")
def small():
    # the second run has one patient: the seed draws patient 0 first, so it is the same patient, and
    # determinism is checked at half the cost of a second two-patient trial
    partial = []
    return T.closed_loop_trial(2, 11, checkpoint=partial.append, **KW), T.closed_loop_trial(1, 11, **KW), partial


def test_same_seed_same_figures_and_no_breaches(small):
    a, b, partial = small
    # the checkpoint saw the first patient's trial alone, the same as a one-patient run
    assert [p.n for p in partial] == [1]
    assert partial[0].arms["replan"].courses[0].to_dict() == b.arms["replan"].courses[0].to_dict()
    for name, arm in a.arms.items():
        assert arm.courses[0].to_dict() == b.arms[name].courses[0].to_dict()
    assert a.to_dict()["true_factors"][0] == b.to_dict()["true_factors"][0]
    for arm in a.arms.values():
        assert arm.breaches == 0, [c.breaches for c in arm.courses]
        assert len(arm.courses) == 2 and all(len(c.levels) == 1 for c in arm.courses)
    # both arms start at the label dose and see the same patient and error draw: the same first level
    assert [c.levels for c in a.arms["replan"].courses] == [c.levels for c in a.arms["label"].courses]
    assert all(c.segments[0] == (0.0, 10.0) for arm in a.arms.values() for c in arm.courses)


def test_in_band_figures_are_proportions_with_wilson_intervals(small):
    a, _, _ = small
    for arm in a.arms.values():
        assert set(arm.in_band) == {3, 6}
        for week, prop in arm.in_band.items():
            k = sum(c.in_band[week] for c in arm.courses)
            assert prop.n == 2 and prop.p == pytest.approx(k / 2)
            low, high = _wilson(k, 2)
            assert (prop.low, prop.high) == (pytest.approx(low, abs=1e-12), pytest.approx(high, abs=1e-12))
        times = sorted(np.inf if c.time_to_band_weeks is None else c.time_to_band_weeks for c in arm.courses)
        median = float(np.median(times))
        assert arm.median_time_to_band_weeks == (None if not np.isfinite(median) else pytest.approx(median))
        # week 3 is decided on the label start dose in both arms: the same truth, the same figure
    assert a.arms["replan"].in_band[3].p == a.arms["label"].in_band[3].p


def test_true_models_lie_outside_the_prior():
    # t with 3 df at 1.5 x omega: the log-factors' spread is well beyond the prior's sd (1 in omega units)
    pts = T.virtual_patients(300, 3, "escitalopram", 1)
    _, params = T._pk_parameters("escitalopram")
    z = np.array([[math.log(p.factors[c.name]) / c.omega for c in params] for p in pts])
    assert np.all(np.abs(z) <= T.TRUE_CLIP + 1e-9)
    assert 1.5 < z.std() < 3.0
    assert np.mean(np.abs(z) > 3) > 0.03  # a normal prior puts 0.27% beyond 3 sd
    errors = np.log([p.level_error[0] for p in pts])
    assert errors.std() == pytest.approx(math.sqrt(math.log1p(0.15 ** 2)), rel=0.15)


def test_fast_clearance_stays_below_band_under_label_titration():
    """Clearance 3x typical: the mean steady-state level is F D / (CL tau), a third of the typical one at the
    same dose, and the trough is below the mean. Titrated to the 20 mg label maximum the true trough stays
    below (2/3) x the typical patient's mean level at 10 mg, which is below the band's 15 ng/mL."""
    profile = load_profile("tdm-agnp2017")
    band = T._level_band(profile, "escitalopram")
    subject = T.true_subject({"escitalopram.clearance": 3.0}, "escitalopram")
    patient = T.VirtualPatient(0, {"escitalopram.clearance": 3.0}, subject, (1.0,))
    settings = {"endpoints": (3, 6)}
    course = T._run_arm("label", patient, "escitalopram", profile, band, (3 * 168.0,), 6 * 168.0,
                        T._ladder("escitalopram"), settings, 0)
    assert T._ladder("escitalopram") == (5.0, 10.0, 20.0)
    assert course.segments == ((0.0, 10.0), (504.0, 20.0)) and course.actions == ("change",)
    assert course.in_band == {3: False, 6: False} and course.time_to_band_weeks is None
    assert course.breaches == ()
    ten = add_dose(Plan(), "escitalopram", 0.0, 10.0, every_h=24, count=42)
    typical_mean = float(np.mean(simulate(Subject(), ten, np.arange(35 * 24, 42 * 24, 0.5) + 0.25)
                                 .readout("plasma.escitalopram")))
    twenty = add_dose(Plan(), "escitalopram", 0.0, 20.0, every_h=24, count=42)
    fast_trough = float(simulate(subject, twenty, [41 * 24 + 23.5]).readout("plasma.escitalopram")[0])
    assert fast_trough < 2 / 3 * typical_mean < band.low
    assert course.levels[0] < band.low


def test_label_step_and_bad_input():
    profile = load_profile("tdm-agnp2017")
    band = T._level_band(profile, "escitalopram")
    ladder = (5.0, 10.0, 20.0)
    assert T.label_step(10.0, 9.0, band, ladder) == 20.0
    assert T.label_step(20.0, 9.0, band, ladder) == 20.0    # the label maximum
    assert T.label_step(10.0, 90.0, band, ladder) == 5.0
    assert T.label_step(10.0, 40.0, band, ladder) == 10.0
    with pytest.raises(ProtocolError, match="no two-sided band on plasma.escitalopram"):
        T.closed_loop_trial(1, 0, profile="ssri-efficacy")
    with pytest.raises(ProtocolError, match="visits_weeks"):
        T.closed_loop_trial(1, 0, visits_weeks=(12,), horizon_weeks=12)
    with pytest.raises(ProtocolError, match="LABEL_START_MG"):
        T.closed_loop_trial(1, 0, drug="sertraline")
