"""Ceilings on the continuous trajectory, not on hourly samples: a readout that resolves every peak.

A short peak between two samples (an IV bolus, a fast-absorbed dose at 10.3 h) is invisible to a fixed
grid. `dense_readout(plan, subject)` therefore samples
- every hour from 0 to `tail_h` after the plan's last event (as before), plus
- each dose's, intake's and hormone dose's time and a ladder of times after it (`AFTER_EVENT_H`: minutes
  for a bolus, hours for absorption peaks), and the end of each infusion;
then, for each quantity read, narrows every local maximum of the samples (the highest `MAX_PEAKS`) by
re-simulating with more times inside its bracket until the bracket is `PEAK_TOL_H` wide. `first_above`
bisects the first crossing of a ceiling the same way. The solver's own error control keeps each sample
accurate; the refinement only decides where the samples are.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from ..subject import Subject

if TYPE_CHECKING:
    from ..engine.compiled import Solver
    from ..plan import Plan

STEP_H = 1.0
TAIL_H = 72.0
AFTER_EVENT_H = (0.0, 0.01, 0.03, 0.1, 0.2, 0.35, 0.5, 0.75, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0,
                 10.0, 12.0)
PEAK_TOL_H = 1e-3  # 3.6 s: far below any absorption or distribution time in the library
MAX_PEAKS = 50
MAX_ROUNDS = 12
_SPLIT = 8  # points per bracket and round: the bracket shrinks 4-fold each round
_FLAT = 1e-9  # relative: a "maximum" this shallow is solver noise on a plateau


def event_times(plan: Plan) -> tuple[list[float], list[float]]:
    """(times that start a peak: doses, intakes, hormone doses, infusion ends; times of steps in the
    model inputs: the start and end of each input hold)."""
    starts = [d.at_h for d in plan.doses] + [i.at_h for i in plan.intakes] + [h.at_h for h in plan.hormone_doses]
    starts += [d.at_h + d.infusion_h for d in plan.doses if d.infusion_h]
    steps = [t for span in plan.inputs for t in (span.start_h, span.end_h) if t is not None]
    return sorted(set(starts)), sorted(set(steps))


def peak_grid(plan: Plan, end_h: float, step_h: float = STEP_H) -> np.ndarray:
    """The first sampling: hourly to `end_h`, with the ladder after every event and each input step."""
    starts, steps = event_times(plan)
    ladder = np.add.outer(np.asarray(starts, dtype=float), np.asarray(AFTER_EVENT_H)).ravel()
    grid = np.concatenate([np.arange(0.0, end_h + step_h / 2, step_h), ladder, steps])
    return np.unique(grid[(grid >= 0) & (grid <= end_h)])


class DenseReadout:
    """readout(quantity, region, relative_to) -> (times_h, values) with every local maximum narrowed to
    `PEAK_TOL_H`. `sample(times)` returns an object with `.readout(quantity, region, relative_to)` (a
    `simulate.Trajectory`); it is called again, from t = 0, each time samples are added."""

    def __init__(self, sample: Callable[[np.ndarray], Any], times: np.ndarray):
        self._sample = sample
        self._times = np.unique(np.asarray(times, dtype=float))
        self._trajectory = sample(self._times)
        self.simulations = 1

    @property
    def times(self) -> np.ndarray:
        return self._times.copy()

    def _values(self, quantity: str, region: str | None, relative_to: str | None) -> np.ndarray:
        return np.asarray(self._trajectory.readout(quantity, region, relative_to), dtype=float).ravel()

    def _add(self, new) -> None:
        self._times = np.unique(np.concatenate([self._times, np.asarray(new, dtype=float)]))
        self._trajectory = self._sample(self._times)
        self.simulations += 1

    def __call__(self, quantity: str, region: str | None = None, relative_to: str | None = None):
        for _ in range(MAX_ROUNDS):
            t, v = self._times, self._values(quantity, region, relative_to)
            if not np.all(np.isfinite(v)):
                break  # the check reports where the simulation failed; nothing to narrow
            new = [np.linspace(lo, hi, _SPLIT + 1)[1:-1] for lo, hi in _brackets(t, v)]
            if not new:
                break
            self._add(np.concatenate(new))
        return self._times.copy(), self._values(quantity, region, relative_to)

    def first_above(self, quantity: str, region: str | None, relative_to: str | None, level: float) -> float:
        """The first sampled time at which the readout exceeds `level`, with the crossing bisected to
        `PEAK_TOL_H` (the sample just after it)."""
        for _ in range(MAX_ROUNDS):
            t, v = self._times, self._values(quantity, region, relative_to)
            above = np.flatnonzero(v > level)
            if above.size == 0:
                raise ValueError(f"{quantity} never exceeds {level:g}")
            k = int(above[0])
            if k == 0 or t[k] - t[k - 1] <= PEAK_TOL_H:
                return float(t[k])
            self._add(np.linspace(t[k - 1], t[k], _SPLIT + 1)[1:-1])
        return float(self._times[np.flatnonzero(self._values(quantity, region, relative_to) > level)[0]])


def _brackets(t: np.ndarray, v: np.ndarray) -> list[tuple[float, float]]:
    """(lo, hi) around the highest local maxima of the samples whose bracket is still wider than the
    tolerance."""
    n = v.size
    if n < 2:
        return []
    left = np.r_[v[0], v[:-1]]  # an end sample is a maximum only if it is above its one neighbour
    right = np.r_[v[1:], v[-1]]
    scale = _FLAT * np.maximum(1.0, np.abs(v))
    peak = (v >= left) & (v >= right) & ((v - left > scale) | (v - right > scale))
    ks = np.flatnonzero(peak)
    ks = ks[np.argsort(-v[ks], kind="stable")][:MAX_PEAKS]
    out = []
    for k in ks:
        lo, hi = t[max(k - 1, 0)], t[min(k + 1, n - 1)]
        if hi - lo > PEAK_TOL_H * 1.0001:
            out.append((float(lo), float(hi)))
    return out


def dense_readout(plan: Plan, subject: Subject = Subject(), *, end_h: float | None = None,
                  tail_h: float = TAIL_H, step_h: float = STEP_H, solver: Solver | None = None) -> DenseReadout:
    """Simulate `plan` for `subject` on `peak_grid` (to `end_h`, default `tail_h` after its last event) and
    return the refining readout. The model is compiled once; each refinement re-runs the simulation."""
    from ..engine.compiled import Solver  # noqa: PLC0415
    from ..simulate import model_for, simulate  # noqa: PLC0415

    starts, _ = event_times(plan)
    if end_h is None:
        end_h = max([0.0, *starts]) + tail_h
    model = model_for(plan)
    solver = solver or Solver()

    def sample(times: np.ndarray):
        return simulate(subject, plan, times, solver=solver, model=model)

    return DenseReadout(sample, peak_grid(plan, end_h, step_h))


__all__ = ["AFTER_EVENT_H", "DenseReadout", "PEAK_TOL_H", "dense_readout", "event_times", "peak_grid"]
