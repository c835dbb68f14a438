"""Estradiol's slow expression effects on SERT (down), raphe 5-HT1A autoreceptors (down) and cortical
5-HT2A (up): each state relaxes toward estradiol_rel**(+-gain) with a 2-day half-time (hormones.py;
sources in parameters/hormones.yaml: Jovanovic 2015, Lu & Bethea 2002, Moses 2000)."""

import math

import numpy as np
import pytest

from neuroscape import Subject
from neuroscape.model.parameters import load_table
from neuroscape.plan import Plan, hold_input
from neuroscape.simulate import simulate

PARAMS = load_table("hormones")
GAIN = {t: PARAMS[f"e2_{t}_gain"].value for t in ("sert", "htr1a", "htr2a")}
RATE = {t: PARAMS[f"e2_{t}_rate"].value for t in ("sert", "htr1a", "htr2a")}
TWO_WEEKS = 336.0
FEMALE = Subject(sex="female")
POSTMENOPAUSAL = Subject(sex="female", reproductive_stage="postmenopausal")


def _e2_fold_3(times):
    return simulate(FEMALE, hold_input(Plan(), "estradiol_fold", 0, 3.0), times)


def _state(tr, target):
    """e2_<target> through readouts: SERT expression is activity.SERT / sert_surface (1 without drugs)."""
    if target == "sert":
        return tr.readout("activity.SERT", "raphe", relative_to="baseline")
    if target == "htr2a":
        return tr.readout("receptor.5HT2A.density")
    return _species(tr, "e2_htr1a")


def _species(tr, name):
    return tr.states[:, [s.name for s in tr.model.network.species].index(name)]


def test_parameters_are_sourced_with_a_stated_basis():
    for t in GAIN:
        for name in (f"e2_{t}_gain", f"e2_{t}_rate"):
            p = PARAMS[name]
            assert p.basis == "assumed" and p.note and p.source != "assumed", name
    assert all(r == pytest.approx(math.log(2) / 48, rel=0.01) for r in RATE.values())  # 2-day half-time


def test_two_weeks_of_estradiol_fold_3_lowers_sert_and_5ht1a_and_raises_5ht2a():
    tr = _e2_fold_3([0.0, TWO_WEEKS])
    sert, htr2a = _state(tr, "sert"), _state(tr, "htr2a")
    # after 7 half-times the states are within 1% of their targets 3**(-0.1) = 0.896, 3**0.07 = 1.080
    assert sert[0] == pytest.approx(1.0) and htr2a[0] == pytest.approx(1.0)
    assert sert[1] == pytest.approx(3 ** -GAIN["sert"], abs=0.005)
    assert htr2a[1] == pytest.approx(3 ** GAIN["htr2a"], abs=0.005)
    assert 0.88 < sert[1] < 0.91 and 1.07 < htr2a[1] < 1.09
    # cortical SERT and raphe SERT carry the same expression state
    assert tr.readout("activity.SERT", "cortex", relative_to="baseline")[1] == pytest.approx(sert[1])
    # raphe 5-HT1A: estradiol lowers the receptor amount; homeostatic desensitisation (more 5-HT from
    # TPH2 up, MAO-A and SERT down) lowers sensitivity further, so it is below the expression effect
    assert tr.readout("receptor.5HT1A.sensitivity", relative_to="baseline")[1] < 3 ** -GAIN["htr1a"] < 1
    # the extracellular 5-HT rise (V17's TPH2 up / MAO-A down) is strengthened by less SERT
    rise = tr.readout("brain.serotonin.extracellular", "cortex", relative_to="baseline")[1]
    plan = hold_input(Plan(), "estradiol_fold", 0, 3.0)
    without = simulate(Subject(sex="female", parameters={"e2_sert_gain": 0.0}), plan, [0.0, TWO_WEEKS])
    assert rise > without.readout("brain.serotonin.extracellular", "cortex", relative_to="baseline")[1] > 1


def test_each_state_changes_with_a_two_day_half_time():
    tr = _e2_fold_3([0.0, 48.0])
    for target, sign in (("sert", -1), ("htr2a", 1)):
        final = 3 ** (sign * GAIN[target])
        half_change = (_state(tr, target)[1] - 1) / (final - 1)
        assert half_change == pytest.approx(1 - math.exp(-RATE[target] * 48), abs=0.01)
        assert half_change == pytest.approx(0.5, abs=0.01)  # half-way after 2 days


def test_postmenopausal_estradiol_raises_sert_and_lowers_5ht2a_as_a_lasting_state():
    post = simulate(POSTMENOPAUSAL, Plan(), [0.0])
    pre = simulate(FEMALE, Plan(), [0.0])
    fold = 18.5 / 350  # Honour 2018 postmenopausal / premenopausal cycle average
    ratio = post.readout("activity.SERT", "cortex")[0] / pre.readout("activity.SERT", "cortex")[0]
    assert ratio == pytest.approx(fold ** -GAIN["sert"], rel=1e-4)  # 1.34
    ratio = post.readout("receptor.5HT2A.density")[0] / pre.readout("receptor.5HT2A.density")[0]
    assert ratio == pytest.approx(fold ** GAIN["htr2a"], rel=1e-4)  # 0.81
    # restoring premenopausal estradiol (Moses 2000: +21% after patch + progesterone) undoes it: 1/0.81 = 1.23
    assert 1.15 < 1 / ratio < 1.3


def test_males_and_females_at_their_own_estradiol_are_unchanged():
    for subject in (Subject(), FEMALE):
        tr = simulate(subject, hold_input(Plan(), "estradiol_fold", 0, 1.0), [0.0, 24.0, TWO_WEEKS])
        for target in ("sert", "htr2a"):
            assert np.allclose(_state(tr, target), 1.0, atol=1e-9)
        assert np.allclose(_species(tr, "e2_htr1a"), 1.0, atol=1e-9)
        assert np.allclose(tr.readout("brain.serotonin.extracellular", "cortex", relative_to="baseline"), 1.0,
                           atol=1e-6)
