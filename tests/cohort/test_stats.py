"""Wilson intervals, responder measures, and first-order sensitivity indices against known values."""

import numpy as np
import pytest

from neuroscape.cohort.spec import ResponderSpec
from neuroscape.cohort.stats import first_order, measure, responds, sensitivity, wilson


@pytest.mark.parametrize("k, n, low, high", [
    # Newcombe RG. Two-sided confidence intervals for the single proportion. Stat Med 1998;17:857-872,
    # Table I, method 3 (score interval without continuity correction)
    (81, 263, 0.2553, 0.3662), (15, 148, 0.0624, 0.1605), (0, 20, 0.0, 0.1611), (1, 29, 0.0061, 0.1718)])
def test_wilson_interval_matches_newcombe_1998(k, n, low, high):
    p = wilson(k, n)
    assert (round(p.low, 4), round(p.high, 4)) == (low, high)
    assert p.rate == k / n


def test_wilson_refuses_impossible_counts():
    with pytest.raises(ValueError, match="k = 5 must be within 0-n"):
        wilson(5, 3)
    assert np.isnan(wilson(0, 0).low)


def test_measures_and_comparisons():
    v, b = np.array([3.0, 1.0, 2.0]), np.array([2.0, 2.0, 0.0])
    assert measure(v, b, "change_from_baseline").tolist() == [1.0, -1.0, 2.0]
    assert measure(v, b, "percent_change_from_baseline")[:2].tolist() == [50.0, -50.0]
    assert np.isnan(measure(v, b, "ratio_to_baseline")[2])
    r = ResponderSpec(endpoint="e", comparison="<", threshold=0.0)
    assert responds(np.array([-1.0, 0.0, np.nan]), r).tolist() == [True, False, False]


def test_an_output_constant_up_to_noise_has_no_indices():
    rng = np.random.default_rng(1)
    noise = 1.0 + 1e-13 * rng.standard_normal(100)
    assert sensitivity(noise, {"x": (rng.random(100), False)}) == []
    assert sensitivity(1.0 + 1e-3 * rng.standard_normal(100), {"x": (rng.random(100), False)}, resamples=5)


def test_first_order_indices_of_known_functions():
    rng = np.random.default_rng(3)
    n = 5000
    x1, x2 = rng.random(n), rng.random(n)
    # y = x1 + x2 with independent uniform inputs: S1 = S2 = 1/2 exactly
    y = x1 + x2
    assert first_order(y, x1, False) == pytest.approx(0.5, abs=0.03)
    # y = 2 B + e, B ~ Bernoulli(0.5), e ~ N(0, 1): S1(B) = Var(2B) / (Var(2B) + 1) = 1 / 2
    b = rng.random(n) < 0.5
    y2 = 2.0 * b + rng.standard_normal(n)
    assert first_order(y2, np.where(b, "female", "male"), True) == pytest.approx(0.5, abs=0.03)
    ranked = sensitivity(y2, {"sex": (np.where(b, "f", "m"), True), "noise": (x1, False)}, resamples=50)
    assert [i.input for i in ranked] == ["sex", "noise"]
    # the bootstrap sd of S1 is about 0.01 at n = 5000; an unrelated input's index is only the binning bias
    assert ranked[0].low < ranked[0].S1 < ranked[0].high and 0.02 < ranked[0].high - ranked[0].low < 0.08
    assert ranked[1].S1 < 0.02
