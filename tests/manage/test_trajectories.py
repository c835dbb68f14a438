"""The ranked plans' trajectories in the plan-search JSON (manage/trajectories.py): every returned plan carries
each band's and each trajectory ceiling's readout over time (median and 5th-95th percentiles over the posterior
draws), bounded in size, with the band statistic and the ceiling margin it reports readable from it."""

import json

import numpy as np
import pytest

from neuroscape.manage.search import optimise
from neuroscape.manage.space import Levers
from neuroscape.manage.targets import load_profile
from neuroscape.manage.trajectories import MAX_POINTS, kept_times, rounded
from neuroscape.subject import Subject

WEEK = 7 * 24.0
SERIES = {"days", "median", "p05", "p95"}
BAND_KEYS = SERIES | {"quantity", "plus", "region", "relative_to", "unit", "statistic", "window_days", "band"}
CEILING_KEYS = SERIES | {"quantity", "region", "relative_to", "unit", "ceiling"}
ROUNDING = 5e-4  # four significant digits: a stored value is within 5e-4 (relative) of the computed one


@pytest.fixture(scope="module")
def search():
    # the determinism test's search: 2 weeks of escitalopram, 6 final draws (its models are compiled already)
    profile = load_profile("ssri-efficacy").model_copy(update={"settle_h": WEEK})
    return optimise(Subject(), profile, levers=Levers(drugs=("escitalopram",)), horizon_h=2 * WEEK, draws=6,
                    screen_draws=3, finalists=2, seed=11)


def test_every_ranked_plan_carries_its_bands_and_ceilings_with_the_documented_keys(search):
    data = json.loads(json.dumps(search.to_dict(), allow_nan=False))  # what `plan --json` writes
    assert len(data["plans"]) >= 2
    for plan in data["plans"]:
        tr = plan["trajectories"]
        assert set(tr) == {"bands", "ceilings"}
        assert set(tr["bands"]) == set(plan["pta"]) - {"joint"} == {"sert_trough"}
        assert set(tr["ceilings"]) == set(plan["ceiling_margin"]) == {"d2-occupancy-eps", "serotonin-toxicity-index"}
        for series in tr["bands"].values():
            assert set(series) == BAND_KEYS
        for series in tr["ceilings"].values():
            assert set(series) == CEILING_KEYS
        band = tr["bands"]["sert_trough"]
        assert (band["quantity"], band["unit"], band["statistic"], band["band"]) == ("occupancy.SERT", "1", "min",
                                                                                     [0.8, None])
        assert band["window_days"] == [7.0, 14.0]
        toxicity = tr["ceilings"]["serotonin-toxicity-index"]
        assert (toxicity["relative_to"], toxicity["unit"], toxicity["ceiling"]) == ("baseline", "1", 10.0)
    assert all("trajectories" not in e for e in data["excluded"])


def test_series_are_bounded_ordered_and_the_median_lies_inside_its_interval(search):
    for plan in search.to_dict()["plans"]:
        entries = [*plan["trajectories"]["bands"].values(), *plan["trajectories"]["ceilings"].values()]
        for s in entries:
            n = len(s["days"])
            assert 2 <= n <= MAX_POINTS and all(len(s[k]) == n for k in SERIES)
            days = np.array(s["days"])
            assert days[0] == 0.0 and days[-1] == 14.0 and np.all(np.diff(days) > 0)
            low, median, high = (np.array(s[k]) for k in ("p05", "median", "p95"))
            assert np.all(low <= median) and np.all(median <= high)
            # bounded: four lists of at most 150 numbers of 4 significant digits ("-1.234e-05, ": 12 characters)
            assert len(json.dumps(s)) <= 4 * MAX_POINTS * 12 + 400


def test_the_trough_read_from_the_median_agrees_with_the_plans_band_statistic(search):
    """The band is scored by its trough (statistic: min) from day 7: the reported statistic is the median over
    draws of each draw's trough. A draw's values are never below its trough, so at every time the median is at
    least the median trough: the stored median's minimum over the window is >= the statistic (to rounding). The
    draws' troughs fall at the same times (before each daily dose), so the two agree closely: within 0.2% of
    occupancy here. The bins start at the window, so decimation keeps the window's minimum."""
    for scored, plan in zip(search.plans, search.to_dict()["plans"]):
        band = plan["trajectories"]["bands"]["sert_trough"]
        days, median = np.array(band["days"]), np.array(band["median"])
        trough = float(np.min(median[days >= band["window_days"][0]]))
        stat = plan["statistic"]["sert_trough"]
        assert trough >= stat * (1 - ROUNDING)
        assert trough == pytest.approx(stat, abs=2e-3)
        full = {k: np.asarray(scored.trajectories["sert_trough"][k]) for k in ("times_h", "median", "window_h")}
        inside = full["times_h"] >= full["window_h"][0] - 1e-9  # the whole grid the report draws: the same minimum
        assert trough == pytest.approx(float(np.min(full["median"][inside])), rel=ROUNDING)


def test_the_stored_values_are_the_report_figures_values_at_the_kept_times(search):
    """The JSON and the report's figure (drawn from the whole grid) agree: every stored point is the whole
    grid's (time, median, 5th, 95th percentile) at one of the times kept, to four significant digits."""
    for scored, plan in zip(search.plans, search.to_dict()["plans"]):
        for kind, full_of in (("bands", scored.trajectories), ("ceilings", scored.ceiling_trajectories)):
            for key, s in plan["trajectories"][kind].items():
                full = {k: np.asarray(full_of[key][k]) for k in ("times_h", "median", "low", "high")}
                breaks = (full_of[key]["window_h"][0],) if kind == "bands" else ()
                i = kept_times(full["times_h"], full["median"], MAX_POINTS, breaks)
                grid = list(zip(*(rounded(x) for x in (full["times_h"][i] / 24.0, full["median"][i],
                                                        full["low"][i], full["high"][i]))))
                stored = list(zip(s["days"], s["median"], s["p05"], s["p95"]))
                assert set(stored) <= set(grid) and stored == sorted(stored)
                assert stored[0] == grid[0] and stored[-1] == grid[-1]


def test_the_ceiling_series_stay_below_the_reported_margin(search):
    """ceiling_margin is the highest value over draws and times (peaks resolved) over the ceiling: no 95th
    percentile at any time can exceed it."""
    for plan in search.to_dict()["plans"]:
        for rid, s in plan["trajectories"]["ceilings"].items():
            assert max(s["p95"]) <= plan["ceiling_margin"][rid] * s["ceiling"] * (1 + ROUNDING)


def test_kept_times_keep_each_bins_extremes_within_the_bound():
    t = np.arange(0.0, 2016.0, 0.5)  # 12 weeks, every half hour: 4032 times
    y = np.sin(2 * np.pi * t / 24.0) + t / 1000.0
    i = kept_times(t, y, MAX_POINTS, breaks=(336.0,))
    assert len(i) <= MAX_POINTS and i[0] == 0 and i[-1] == t.size - 1 and np.all(np.diff(i) > 0)
    assert y[i].max() == y.max() and y[i].min() == y.min()
    window = t >= 336.0  # a break starts a bin: the window's own extremes are kept
    assert y[i][t[i] >= 336.0].min() == y[window].min() and y[i][t[i] >= 336.0].max() == y[window].max()
    assert np.array_equal(kept_times(t[:100], y[:100]), np.arange(100))  # short series are kept whole
    with pytest.raises(ValueError, match="max_points = 3"):
        kept_times(t, y, 3)


def test_rounding_keeps_four_significant_digits_and_the_order():
    assert rounded([0.823456789, 1234567.0, 2.5e-7, float("nan")]) == [0.8235, 1235000.0, 2.5e-7, None]
    x = np.sort(np.random.default_rng(0).lognormal(size=1000))
    assert np.all(np.diff(rounded(x)) >= 0)
