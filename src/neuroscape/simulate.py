"""`simulate(subject, plan, times)`: the single entry point for running the model."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .engine.compiled import CompiledModel, Solver, compile_network
from .errors import EngineError
from .limits import MAX_TIME_H
from .model.library import default_network
from .plan import Plan, events_for, hold_inputs, input_parameters
from .subject import Subject, parameter_vector

# A cycling subject's start state is the cycle's periodic state: whole cycles are run until one cycle
# moves no state by more than this fraction of its steady-state size (zero_scale for states that are 0
# there). The slowest mode shrinks about 12-fold a cycle, so this takes about 9 cycles (a few ms each).
PERIODIC_TOL = 1e-8
MAX_RUN_IN_CYCLES = 60


@lru_cache(maxsize=1)
def default_model() -> CompiledModel:
    return compile_network(default_network())


def model_for(plan: Plan) -> CompiledModel:
    """The compiled model with the plan's drugs wired in (compiled once per drug combination)."""
    if not plan.drugs:
        return default_model()
    from .pharmacology.network import network_for

    return compile_network(network_for(plan.drugs, plan.formulations))


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
    from .interventions import DAY_H, reproductive

    model = model or model_for(plan)
    times = np.asarray(times, dtype=float).ravel()
    if times.size == 0 or np.any(times < 0) or np.any(np.diff(times) < 0) or times[-1] > MAX_TIME_H:
        raise EngineError(f"times must be sorted, within 0-{MAX_TIME_H:g} h; got {times.tolist()[:8]}")
    p = parameter_vector(subject, model.network)
    ss = model.steady_state(p)
    if not ss.ok:
        raise EngineError(f"no baseline steady state for this subject ({ss.status} after "
                          f"{ss.iterations} iterations); check the modifications and parameters")
    y0 = _start_state(model, p, ss.y, reproductive.history(subject), solver)
    # the course runs a day past the last time, so a readout there still sees it in force
    plan = hold_inputs(plan, reproductive.course(subject, times[-1] + DAY_H))
    events = events_for(plan, model, p)
    states, status, stats = model.integrate(y0, p, times, events, solver, atol_scale=ss.y)
    if throw and status != "ok":
        raise EngineError(f"integration failed: {status} (steps, accepted, rejected = {stats.tolist()}); "
                          "try a looser Solver(rtol=...) or check the plan")
    return Trajectory(times, states, input_parameters(events, p, times), ss.y, p, model, status,
                      tuple(int(s) for s in stats))


def _start_state(model: CompiledModel, p: np.ndarray, y_ss: np.ndarray, history, solver: Solver) -> np.ndarray:
    """The state the subject's history (interventions.reproductive.History, or None) leads to from
    her steady state y_ss; a periodic history is repeated until its end state repeats."""
    if history is None:
        return y_ss
    return _run_in(model, np.ascontiguousarray(p, dtype=float).tobytes(), history, solver).copy()


@lru_cache(maxsize=32)
def _run_in(model: CompiledModel, p_key: bytes, history, solver: Solver) -> np.ndarray:
    """Cached per model, parameter vector, history and solver: a plan search simulates the same cycling
    subject many times, and the run-in (about nine cycles) costs several times a month's simulation."""
    p = np.frombuffer(p_key)
    y_ss = model.steady_state(p).y
    events = events_for(hold_inputs(Plan(), history.holds), model, p)
    size = np.where(np.abs(y_ss) > 0, np.abs(y_ss), solver.zero_scale)
    y = y_ss
    for _ in range(MAX_RUN_IN_CYCLES if history.periodic else 1):
        out, status, _ = model.integrate(y, p, [history.duration_h], events, solver, atol_scale=y_ss)
        if status != "ok":
            raise EngineError(f"the subject's hormone history before t = 0 could not be integrated ({status}); "
                              "check the subject's modifications and parameters")
        y, change = out[-1], np.max(np.abs(out[-1] - y) / size)
        # the cycle-to-cycle change cannot fall below the integration's own noise
        if not history.periodic or change <= max(PERIODIC_TOL, 0.1 * solver.rtol):
            y.setflags(write=False)
            return y
    raise EngineError(f"no periodic state of the menstrual cycle after {MAX_RUN_IN_CYCLES} cycles (the last "
                      f"cycle still moved a state by {change:.1e} of its size); check the subject's "
                      "modifications and parameters")
