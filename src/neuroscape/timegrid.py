"""A dense output grid for drawing a run: even steps, a ladder of times after each dose (so that peaks and
troughs lie on it) and the times that must be on it. Plots (report/) and the assessment's predictive check
(assess/predictive.py) share it."""

from __future__ import annotations

import numpy as np

STEP_H = 0.25  # the grid's step where nothing happens
MAX_BASE_POINTS = 2000  # the even grid's points at most (a long run gets a coarser step)
# Hours after each dose (or event) added to the grid, so that an absorption peak a few hours after an
# oral dose, or the fast rise after an iv one, lies on it whatever the base step.
AFTER_EVENT_H = (0.0, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0, 12.0, 16.0, 20.0)
MAX_POINTS = 20000


def dense_times(end_h: float, events_h=(), keep_h=(), *, step_h: float = STEP_H,
                base_points: int = MAX_BASE_POINTS, max_points: int = MAX_POINTS) -> np.ndarray:
    """Sorted times from 0 to `end_h`: an even grid (every `step_h` h, coarser where that would take more
    than `base_points`), a ladder of times after each event in `events_h` (doses), and every time in
    `keep_h` (the requested outputs). A course too long for the whole ladder within `max_points` gets
    fewer rungs, spread over the ladder (so some still fall near each peak)."""
    end_h = float(end_h)
    if end_h <= 0:
        return np.unique(np.asarray([0.0, *keep_h], dtype=float))
    step = max(step_h, end_h / base_points)
    base = np.linspace(0.0, end_h, int(np.ceil(end_h / step)) + 1)
    events = np.unique(np.asarray(list(events_h), dtype=float))
    ladder = np.asarray(AFTER_EVENT_H)
    rungs = (max_points - base.size) // max(events.size, 1)
    if rungs < ladder.size:
        ladder = ladder[np.unique(np.linspace(0, ladder.size - 1, max(rungs, 1)).round().astype(int))]
    extra = (events[:, None] + ladder[None, :]).ravel() if events.size else np.zeros(0)
    times = np.concatenate([base, extra, np.asarray(list(keep_h), dtype=float)])
    return np.unique(times[(times >= 0) & (times <= end_h)])
