"""`simulate(subject, plan, times)`: the single entry point for running the model."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .engine.compiled import CompiledModel, Solver
from .errors import EngineError
from .limits import MAX_TIME_H
from .plan import Plan
from .scenario import default_model, model_for, scenario
from .subject import Subject

__all__ = ["Trajectory", "default_model", "model_for", "simulate"]


@dataclass(frozen=True)
class Trajectory:
    """Named readouts over time. `readout(q, region)` gives values in the readout's unit."""

    times: np.ndarray
    states: np.ndarray  # (n_times, n_species)
    parameters: np.ndarray  # (n_times, n_params), inputs in force at each time
    baseline_state: np.ndarray
    baseline_parameters: np.ndarray
    model: CompiledModel
    status: str
    stats: tuple[int, int, int]

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def unit(self, quantity: str, region: str | None = None) -> str:
        return self.model.network.readout(quantity, region).unit

    def readout(self, quantity: str, region: str | None = None, relative_to: str | None = None):
        ro = self.model.network.readout(quantity, region)
        fn = self.model.readout_function(ro.key)
        values = np.asarray(fn(self.states, self.parameters), dtype=float)
        if relative_to == "baseline":
            base = float(fn(self.baseline_state, self.baseline_parameters))
            values = values / base if base != 0 else np.full_like(values, np.nan)
        elif relative_to is not None:
            raise EngineError(f"relative_to = {relative_to!r}; allowed: 'baseline' or None")
        return values

    def baseline(self, quantity: str, region: str | None = None) -> float:
        ro = self.model.network.readout(quantity, region)
        return float(self.model.readout_function(ro.key)(self.baseline_state, self.baseline_parameters))


def simulate(subject: Subject = Subject(), plan: Plan = Plan(), times=(0.0,), *,
             solver: Solver = Solver(), model: CompiledModel | None = None,
             throw: bool = True) -> Trajectory:
    """Bring `subject` to her state at t = 0, apply `plan` from t = 0 and record every state at `times` (h).

    The state at t = 0 is the subject's steady state, or for a female subject with her own hormone
    course (cycle_day; reproductive_stage postpartum) where that course has brought her: the cycle's
    periodic state at cycle_day, or the postpartum decline up to postpartum_day; the course itself
    continues from t = 0 (interventions/reproductive.py). The baseline (`relative_to="baseline"`)
    stays the steady state: for a cycling subject the cycle-average estradiol.

    >>> traj = simulate(Subject(), Plan(), times=[0, 24])
    >>> round(float(traj.readout("brain.serotonin.extracellular", "cortex")[0]))
    60
    """
    model = model or model_for(plan)
    times = np.asarray(times, dtype=float).ravel()
    if times.size == 0 or np.any(times < 0) or np.any(np.diff(times) < 0) or times[-1] > MAX_TIME_H:
        raise EngineError(f"times must be sorted, within 0-{MAX_TIME_H:g} h; got {times.tolist()[:8]}")
    start = scenario(subject, plan, times[-1], model=model).start(solver)
    states, status, stats = start.integrate(times, solver)
    if throw and status != "ok":
        raise EngineError(f"integration failed: {status} (steps, accepted, rejected = {stats.tolist()}); "
                          "try a looser Solver(rtol=...) or check the plan")
    return Trajectory(times, states, start.inputs_at(times), start.steady_state, start.p, model, status,
                      tuple(int(s) for s in stats))
