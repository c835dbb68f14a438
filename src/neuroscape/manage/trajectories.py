"""A plan's trajectories over posterior draws: what the report draws, and the compact form its JSON carries.

`spread(times_h, values)` summarises a readout on every draw (draws, times) as the median and the 90% interval
(the 5th and 95th percentiles) at each time: `ScoredPlan.trajectories` (each target band's readout) and
`ScoredPlan.ceiling_trajectories` (each trajectory ceiling's quantity) hold it on the plan's whole output grid,
and the plan report's figure (report/plans.py) draws it from there.

`compact_bands` / `compact_ceilings` give the same values for `ScoredPlan.to_dict` (the plan-search JSON:
`neuroscape plan --json`, the store, /api/v1/plans/{id}), bounded for storage:

- at most `MAX_POINTS` times a series. The output grid holds a ladder of times after every dose (so that the
  search sees the peaks), thousands of times in 12 weeks; every `k`-th sample would alias the peaks and
  troughs away. The time axis is cut into bins (of equal length before a band's scoring window and within it:
  the window starts a bin) and each bin keeps the times of its lowest and its highest median, with the first
  and the last time, and a time whose values equal both neighbours' is left out: the median's envelope is
  kept, and a band statistic read from the median over the window (its trough, its peak) is the same as on
  the whole grid. The values kept are those at the kept times (the percentiles there, not a bin's extremes).
- floats to `SIGNIFICANT` significant digits (rounding is monotone: the median stays inside its interval).
- times in days from now (the end of the record), the key says so: `days`.
"""

from __future__ import annotations

import numpy as np

MAX_POINTS = 150
SIGNIFICANT = 4
LOW_Q, HIGH_Q = 0.05, 0.95  # the 90% interval the report's figure shades


def spread(times_h: np.ndarray, values: np.ndarray, **about) -> dict:
    """{times_h, median, low, high, **about}: the median and the LOW_Q/HIGH_Q quantiles over the draws
    (rows of `values`) at each time (hours from now), as lists."""
    v = np.atleast_2d(np.asarray(values, dtype=float))
    return {"times_h": np.asarray(times_h, dtype=float).tolist(), "median": np.median(v, axis=0).tolist(),
            "low": np.quantile(v, LOW_Q, axis=0).tolist(), "high": np.quantile(v, HIGH_Q, axis=0).tolist(),
            **about}


def kept_times(t: np.ndarray, y: np.ndarray, max_points: int = MAX_POINTS,
               breaks: tuple[float, ...] = ()) -> np.ndarray:
    """Indices into `t` (increasing) of at most `max_points` times: the first, the last, and in each of
    (max_points - 2) // 2 bins of time the lowest and the highest `y`. Each time in `breaks` inside the range
    starts a bin, the bins shared among the stretches between breaks by their length."""
    t, y = np.asarray(t, dtype=float), np.asarray(y, dtype=float)
    n = t.size
    if n <= max_points:
        return np.arange(n)
    if max_points < 4:
        raise ValueError(f"max_points = {max_points}; give at least 4 (the ends and one bin's low and high)")
    n_bins = (max_points - 2) // 2
    cuts = [t[0], *sorted(b for b in breaks if t[0] < b < t[-1]), t[-1]]
    lengths = np.diff(cuts)
    share = np.maximum(1, np.floor(n_bins * lengths / lengths.sum()).astype(int))
    share[np.argmax(lengths)] += n_bins - share.sum()  # whole bins; the longest stretch takes the rest
    edges = np.concatenate([np.linspace(a, b, k + 1)[:-1] for a, b, k in zip(cuts[:-1], cuts[1:], share)])
    keep = {0, n - 1}
    for part in np.split(np.arange(n), np.searchsorted(t, edges[1:], side="left")):
        if part.size:
            keep.update((int(part[np.argmin(y[part])]), int(part[np.argmax(y[part])])))
    return np.array(sorted(keep))


def rounded(values, digits: int = SIGNIFICANT) -> list:
    """Floats to `digits` significant digits; None for a value that is not finite (JSON has no NaN)."""
    return [float(f"{x:.{digits}g}") if np.isfinite(x) else None for x in np.asarray(values, dtype=float)]


def _series(tr: dict, breaks_h: tuple[float, ...] = ()) -> dict:
    t = np.asarray(tr["times_h"], dtype=float)
    rows = np.array([tr["median"], tr["low"], tr["high"]], dtype=float)
    i = kept_times(t, rows[0], MAX_POINTS, breaks_h)
    out = np.vstack([t[i] / 24.0, rows[:, i]])
    columns = [rounded(r) for r in out]
    # a time whose three values equal both neighbours' adds nothing to the lines drawn through them (a
    # readout a plan does not move: a D2 occupancy of 0 under an SSRI)
    values = list(zip(*columns[1:]))
    same = [0 < k < len(values) - 1 and values[k - 1] == values[k] == values[k + 1] for k in range(len(values))]
    return {key: [x for x, s in zip(c, same) if not s] for key, c in zip(("days", "median", "p05", "p95"), columns)}


def compact_bands(trajectories: dict[str, dict]) -> dict[str, dict]:
    """Band id -> {quantity, plus, region, relative_to, unit, statistic, window_days, band: [low, high] (None for
    an open side), days, median, p05, p95}, from `ScoredPlan.trajectories`."""
    out = {}
    for bid, tr in trajectories.items():
        start, end = tr["window_h"]
        out[bid] = {"quantity": tr["quantity"], "plus": list(tr["plus"]), "region": tr["region"],
                    "relative_to": tr["relative_to"], "unit": tr["unit"], "statistic": tr["statistic"],
                    "window_days": rounded([start / 24.0, end / 24.0]),
                    "band": [None if b is None else float(b) for b in tr["band"]], **_series(tr, (start,))}
    return out


def compact_ceilings(trajectories: dict[str, dict]) -> dict[str, dict]:
    """Safety rule id -> {quantity, region, relative_to, unit, ceiling, days, median, p05, p95}, from
    `ScoredPlan.ceiling_trajectories`."""
    return {rid: {"quantity": tr["quantity"], "region": tr["region"], "relative_to": tr["relative_to"],
                  "unit": tr["unit"], "ceiling": float(tr["ceiling"]), **_series(tr)}
            for rid, tr in trajectories.items()}
