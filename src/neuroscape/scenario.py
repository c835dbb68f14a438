"""One path from (subject or posterior draws, plan) to what the engine integrates: the compiled
model, the parameter vector(s), the start state(s) and the events. `simulate`, the calibration
problem, the landscape and plan search all start here, so they cannot disagree about where a
subject starts or what happens to her.

    sc = scenario(subject, plan, horizon_h)      # model, the subject's p, events to the horizon
    one = sc.start(solver)                        # steady state, then the hormone run-in (raises)
    many = sc.start_batch(P, solver)              # the same for rows P (b, np): Y0 (b, n), a status per row
    states, status, stats = one.integrate(times, solver)      # or many.integrate(times, solver)

The start state is the subject's steady state or, for a female subject with her own hormone
course (cycle_day; reproductive_stage postpartum), where that course has brought her by t = 0
(interventions/reproductive.py): the cycle's periodic state at cycle_day, or the postpartum
decline up to postpartum_day. The course continues from t = 0, held in the events with the plan's.

A batch shares one event list (the engine integrates all members along it): the rows of P may
differ in any parameter the events do not read (calibration parameters, posterior draws), and a
batch whose rows differ in one they do read (a dose lag, an input's baseline) is refused.
`StartBatch.integrate_plans(plans, times)` runs other plans on the same model (other doses, times,
supplements, exercise) on every member in one engine call, each (plan, member) with its own events.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Sequence

import numpy as np

from .engine.compiled import CompiledModel, Events, Solver, SteadyState, compile_network
from .errors import EngineError
from .interventions import DAY_H, reproductive
from .interventions.reproductive import History
from .model.library import default_network
from .plan import Plan, events_for, hold_inputs, input_parameters
from .subject import Subject, parameter_vector

# A cycling subject's start state is the cycle's periodic state: whole cycles are run until one cycle
# moves no state by more than this fraction of its steady-state size (zero_scale for states that are 0
# there). The slowest mode shrinks about 12-fold a cycle, so this takes about 9 cycles (a few ms each).
PERIODIC_TOL = 1e-8
MAX_RUN_IN_CYCLES = 60
# A member still moving after EXTRAPOLATE_FROM cycles has a slow mode (a slow pool deep in a prior's tail
# can shrink only ~10% a cycle: ~150 cycles). Once the fast modes have died out its change shrinks by a
# steady ratio r per cycle, and the geometric rest of the last step, r / (1 - r) of it, is added
# (Aitken's extrapolation along the slow mode); periodicity is still judged on plain cycles. Members
# that converge earlier (nearly all) are not touched.
EXTRAPOLATE_FROM = 12
# Status of a batch member whose run-in failed: "run_in_" + the engine's status, or no periodic state.
RUN_IN = "run_in_"
NO_PERIODIC_STATE = "no_periodic_state"


@lru_cache(maxsize=1)
def default_model() -> CompiledModel:
    return compile_network(default_network())


def model_for(plan: Plan) -> CompiledModel:
    """The compiled model with the plan's drugs wired in (compiled once per drug combination)."""
    if not plan.drugs:
        return default_model()
    from .pharmacology.network import network_for

    return compile_network(network_for(plan.drugs, plan.formulations))


def scenario(subject: Subject = Subject(), plan: Plan = Plan(), horizon_h: float = 0.0, *,
             model: CompiledModel | None = None) -> "Scenario":
    """The scenario of `subject` under `plan` up to `horizon_h` (the last time anything is read):
    `model` (default: the plan's, model_for) with the subject's parameter vector, and the events of
    the plan with the subject's own hormone course held from t = 0 to a day past the horizon (so a
    readout at the horizon still sees it in force).

    >>> sc = scenario(Subject(sex="female", cycle_day=14), Plan(), 24.0)
    >>> one = sc.start()  # her periodic state on day 14 of the cycle
    >>> round(float(sc.model.readout_function("plasma.estradiol")(one.y0, sc.start_inputs(sc.p)[0])))
    757
    >>> many = sc.start_batch(np.tile(sc.p, (3, 1)))
    >>> many.status, bool(np.allclose(many.Y0, one.y0, rtol=1e-8))
    (('ok', 'ok', 'ok'), True)
    """
    model = model or model_for(plan)
    p = parameter_vector(subject, model.network)
    own = reproductive.course(subject, horizon_h + DAY_H)
    return Scenario(model, subject, plan, p, float(horizon_h),
                    events=events_for(hold_inputs(plan, own), model, p),
                    own_events=events_for(hold_inputs(Plan(), own), model, p),
                    history=reproductive.history(subject))


@dataclass(frozen=True, eq=False)
class Scenario:
    """What a subject and a plan fix before any state is computed (build with `scenario`)."""

    model: CompiledModel
    subject: Subject
    plan: Plan
    p: np.ndarray  # the subject's parameter vector (a calibration's prior median)
    horizon_h: float
    events: Events  # the plan and the subject's own hormone course
    own_events: Events  # the course alone: what is in force at t = 0 before the plan acts
    history: History | None  # what brought the subject from her steady state to t = 0
    _shared: dict = field(default_factory=dict, repr=False)  # varying columns -> checked

    @cached_property
    def reference_state(self) -> SteadyState:
        """The steady state of `p`: the start guess of every batch member's steady-state solve."""
        return self.model.steady_state(self.p)

    @property
    def moves(self) -> bool:
        """Something happens after t = 0 (else the start state is the state at every time)."""
        return self.events.t.size > 0

    # -- one member ---------------------------------------------------------------------------
    def start(self, solver: Solver = Solver(), p: np.ndarray | None = None) -> "Start":
        """The start state of the subject (or of parameter vector `p` in her scenario); raises
        EngineError when there is no steady state or the run-in fails."""
        p = self.p if p is None else np.asarray(p, dtype=float)
        if p is not self.p:
            self._check_shared(p[None, :])
        ss = self.reference_state if p is self.p else self.model.steady_state(p)
        if not ss.ok:
            raise EngineError(f"no baseline steady state for this subject ({ss.status} after "
                              f"{ss.iterations} iterations); check the modifications and parameters")
        y0 = ss.y
        if self.history is not None:
            y0 = _run_in(self.model, np.ascontiguousarray(p, dtype=float).tobytes(), self.history,
                         solver).copy()
        return Start(self, p, ss.y, y0)

    # -- many members -------------------------------------------------------------------------
    def start_batch(self, P: np.ndarray, solver: Solver = Solver(), guess: np.ndarray | None = None,
                    warm: bool = False) -> "StartBatch":
        """Start states (b, n) of parameter rows P (b, np) in the subject's scenario: one batched
        steady-state solve from `guess` (default: the steady state of `p`), then the run-in as one
        batch integration per cycle. A member that fails keeps its status; the others go on.
        `warm`: a periodic run-in starts each member at its steady state plus the scenario member's
        own periodic displacement (its start state minus its steady state) rather than at its
        steady state: members near `p` (a finite-difference Jacobian, posterior draws) then need
        fewer cycles to meet the same periodicity test; the result moves within that test's
        tolerance (PERIODIC_TOL), so it is opt-in (calibration uses it)."""
        given = np.shape(P)
        P = np.ascontiguousarray(np.atleast_2d(P), dtype=float)
        if P.ndim != 2 or P.shape[1] != self.p.size:
            raise EngineError(f"P has shape {given}; give parameter rows (b, {self.p.size}) of this "
                              "scenario's model (scenario.p is one such row)")
        self._check_shared(P)
        if guess is None:
            guess = self.reference_state.y
        Y_ss, status = self.model.steady_state_batch(P, np.tile(guess, (P.shape[0], 1)))
        Y0 = Y_ss
        if self.history is not None:
            ok = np.array([s == "ok" for s in status])
            Y0 = Y_ss.copy()
            if ok.any():
                rows, start = np.ascontiguousarray(P[ok]), np.ascontiguousarray(Y_ss[ok])
                first = None
                if warm and self.history.periodic:
                    shift = self.start(solver).y0 - self.reference_state.y
                    # a state the shift would make negative starts at its steady state instead
                    first = np.ascontiguousarray(np.where(start + shift >= 0, start + shift, start)).tobytes()
                Y_run, st = _run_in_batch(self.model, rows.tobytes(), start.tobytes(), rows.shape,
                                          self.history, solver, first)
                Y0[ok] = Y_run
                for i, s in zip(np.flatnonzero(ok), st):
                    status[i] = s
        return StartBatch(self, P, Y_ss, Y0, tuple(status))

    # -- inputs in force ----------------------------------------------------------------------
    def inputs_at(self, P: np.ndarray, times, columns=None) -> np.ndarray:
        """Parameter rows (b, len(times), np) in force at each time: the events' input holds
        (absolute values, the same for every row) over each row of P. `columns` (parameter indices):
        only those, (b, len(times), len(columns)), for readouts that read a few (`readout_function`)."""
        return _inputs_in_force(P, self.events, times, columns)

    def start_inputs(self, P: np.ndarray) -> np.ndarray:
        """Parameter rows (b, np) in force at t = 0 before the plan acts: the subject's own course
        only (what a baseline sample, taken before any intervention, sees)."""
        return _inputs_in_force(P, self.own_events, [0.0])[:, 0, :]

    def _check_shared(self, P: np.ndarray) -> None:
        """Refuse rows that differ from `p` in a parameter the events read (the batch shares them)."""
        varying = np.flatnonzero(np.any(P != self.p[None, :], axis=0))
        key = varying.tobytes()
        if key not in self._shared:
            self._shared[key] = self._read_by_events(varying)
        if self._shared[key]:
            raise EngineError(f"the parameter rows differ in {', '.join(self._shared[key])}, which the plan's "
                              "or the hormone course's events read (dose lags, release times, input "
                              "baselines); a batch shares one event list: prepare such rows one by one "
                              "(scenario.start(p=...)) or give them the scenario's values")

    def event_parameters(self, names) -> list[str]:
        """Those of the parameters `names` that the events read: rows that differ in them cannot share
        this scenario's batch (give each its own scenario, e.g. through Subject.parameters)."""
        index = {n: i for i, n in enumerate(self.model.network.parameter_names)}
        return self._read_by_events(np.array(sorted(index[n] for n in set(names)), dtype=np.intp))

    def _read_by_events(self, columns: np.ndarray) -> list[str]:
        if columns.size == 0:
            return []
        plans = [hold_inputs(self.plan, reproductive.course(self.subject, self.horizon_h + DAY_H))]
        if self.history is not None:
            plans.append(hold_inputs(Plan(), self.history.holds))

        def reads(cols) -> bool:
            blind = self.p.copy()
            blind[cols] = np.nan
            return any(not _same(events_for(plan, self.model, blind), events_for(plan, self.model, self.p))
                       for plan in plans)

        if not reads(columns):
            return []
        names = self.model.network.parameter_names
        return [names[i] for i in columns if reads([i])]


@dataclass(frozen=True, eq=False)
class Start:
    """One member of a scenario at t = 0: its parameters, steady state (the baseline and the
    integrator's absolute-tolerance scale) and start state."""

    scenario: Scenario
    p: np.ndarray
    steady_state: np.ndarray
    y0: np.ndarray

    def integrate(self, times, solver: Solver = Solver()):
        """(states (T, n), status, stats) at `times` (h, within the scenario's horizon)."""
        sc = self.scenario
        return sc.model.integrate(self.y0, self.p, times, sc.events, solver, atol_scale=self.steady_state)

    def inputs_at(self, times) -> np.ndarray:
        return input_parameters(self.scenario.events, self.p, np.asarray(times, dtype=float))


@dataclass(frozen=True, eq=False)
class StartBatch:
    """Members of a scenario at t = 0: parameter rows P (b, np), steady states and start states
    (b, n), and a status per member ("ok" or why not)."""

    scenario: Scenario
    P: np.ndarray
    steady_states: np.ndarray
    Y0: np.ndarray
    status: tuple[str, ...]

    @property
    def ok(self) -> np.ndarray:
        return np.array([s == "ok" for s in self.status])

    def integrate(self, times, solver: Solver = Solver(), record=None):
        """(states (b, T, n), status per member, stats (b, 3)) at `times`. Members that failed to
        start are not integrated (NaN, their status kept). The engine scales each member's
        absolute tolerance by its start state (for a non-cycling member, its steady state).
        `record` (state indices): only those columns, (b, T, len(record))."""
        # Per-member events (different plans in one batch) would go here: group members by plan.
        sc = self.scenario
        times = np.asarray(times, dtype=float)
        b = self.P.shape[0]
        width = sc.model.n if record is None else len(record)
        out = np.full((b, times.size, width), np.nan)
        stats = np.zeros((b, 3), dtype=np.int64)
        status = list(self.status)
        ok = self.ok
        if ok.all():  # the arrays as they are: a row's last bits can depend on its memory alignment
            return sc.model.integrate_batch(self.Y0, self.P, times, sc.events, solver, record=record)
        if ok.any():
            traj, st, stt = sc.model.integrate_batch(self.Y0[ok], self.P[ok], times, sc.events, solver,
                                                     record=record)
            out[ok], stats[ok] = traj, stt
            for i, s in zip(np.flatnonzero(ok), st):
                status[i] = s
        return out, status, stats

    def integrate_plans(self, plans: Sequence[Plan], times, solver: Solver = Solver(), record=None):
        """Every plan on every member in one engine call: (states (k, b, T, n), status (k, b) as
        nested lists, stats (k, b, 3)) for k plans. A plan needs this scenario's model (the same
        drugs and formulations as its plan); its events get the subject's own hormone course, as the
        scenario's do. Members that failed to start are not integrated (NaN, their status kept).
        `record` (state indices): only those columns, (k, b, T, len(record))."""
        sc = self.scenario
        times = np.asarray(times, dtype=float)
        plans = list(plans)
        for i, plan in enumerate(plans):
            if (plan.drugs, plan.formulations) != (sc.plan.drugs, sc.plan.formulations):
                raise EngineError(f"plans[{i}] uses drugs {list(plan.drugs)} with formulations "
                                  f"{list(plan.formulations)}, the scenario's model has {list(sc.plan.drugs)} "
                                  f"with {list(sc.plan.formulations)}: give plans on the same drugs, or one "
                                  "scenario per drug combination")
        k, b = len(plans), self.P.shape[0]
        out = np.full((k, b, times.size, sc.model.n if record is None else len(record)), np.nan)
        stats = np.zeros((k, b, 3), dtype=np.int64)
        status = [list(self.status) for _ in plans]
        ok = np.flatnonzero(self.ok)
        if k == 0 or ok.size == 0:
            return out, status, stats
        own = reproductive.course(sc.subject, sc.horizon_h + DAY_H)
        events = []
        for plan in plans:
            held = hold_inputs(plan, own)
            events += _member_events(sc, held, self.P[ok])
        Y, st, stt = sc.model.integrate_batch(np.tile(self.Y0[ok], (k, 1)), np.tile(self.P[ok], (k, 1)),
                                              times, events, solver, record=record)
        out[:, ok] = Y.reshape(k, ok.size, times.size, -1)
        stats[:, ok] = stt.reshape(k, ok.size, 3)
        for j in range(k):
            for m, i in enumerate(ok):
                status[j][i] = st[j * ok.size + m]
        return out, status, stats

    def inputs_at(self, times, columns=None) -> np.ndarray:
        return self.scenario.inputs_at(self.P, times, columns)

    def inputs_under(self, plan: Plan, times, columns=None) -> np.ndarray:
        """`inputs_at` under another plan of this model, as `integrate_plans` runs it (the plan's input
        holds with the subject's own hormone course)."""
        sc = self.scenario
        held = hold_inputs(plan, reproductive.course(sc.subject, sc.horizon_h + DAY_H))
        return _inputs_in_force(self.P, events_for(held, sc.model, sc.p), times, columns)

    def start_inputs(self) -> np.ndarray:
        return self.scenario.start_inputs(self.P)


def _member_events(sc: Scenario, plan: Plan, P: np.ndarray) -> list[Events]:
    """The plan's events for each row of P: one list shared by all rows unless the rows differ in a
    parameter the plan's events read (a dose lag, a release time), then each row's own."""
    shared = events_for(plan, sc.model, P[0])
    varying = np.flatnonzero(np.any(P != P[0][None, :], axis=0))
    if varying.size:
        blind = P[0].copy()
        blind[varying] = np.nan
        if not _same(events_for(plan, sc.model, blind), shared):
            return [events_for(plan, sc.model, row) for row in P]
    return [shared] * P.shape[0]


def _inputs_in_force(P: np.ndarray, events: Events, times, columns=None) -> np.ndarray:
    P = np.atleast_2d(P)
    nan = np.full(P.shape[1], np.nan)
    held = input_parameters(events, nan, np.asarray(times, dtype=float))  # NaN where not set
    if columns is not None:
        columns = np.asarray(columns, dtype=np.intp)
        P, held = P[:, columns], held[:, columns]
    return np.where(np.isnan(held)[None], P[:, None, :], held[None])


def _same(a: Events, b: Events) -> bool:
    return all(np.array_equal(x, y) for x, y in zip(a.arrays(), b.arrays()))


# -- the run-in ---------------------------------------------------------------------------------
def _cycles(advance, Y_ss: np.ndarray, history: History, solver: Solver, first: np.ndarray | None = None):
    """Run `history` from each row of `first` (b, n; default Y_ss, the steady states that set each
    state's size); a periodic one again from its end state until no state moves by more than
    PERIODIC_TOL of its size over one cycle. `advance(Y, rows)` integrates rows `rows` over one
    history from Y and returns (end states, statuses). Returns the end states, a status per row and
    each row's last cycle-to-cycle change."""
    b = Y_ss.shape[0]
    size = np.where(np.abs(Y_ss) > 0, np.abs(Y_ss), solver.zero_scale)
    # the cycle-to-cycle change cannot fall below the integration's own noise
    tol = max(PERIODIC_TOL, 0.1 * solver.rtol)
    Y, change = (Y_ss if first is None else first).copy(), np.full(b, np.inf)
    ratio = np.full(b, np.nan)
    status = ["ok"] * b
    active = np.arange(b)
    for cycle in range(MAX_RUN_IN_CYCLES if history.periodic else 1):
        end, st = advance(Y[active], active)
        failed = np.array([s != "ok" for s in st])
        for i, s in zip(active[failed], np.asarray(st)[failed]):
            status[i] = RUN_IN + s
        good, end = active[~failed], end[~failed]
        step = end - Y[good]
        last = change[good]
        change[good] = np.max(np.abs(step) / size[good], axis=1)
        Y[good] = end
        active = good[~(change[good] <= tol)] if history.periodic else good[:0]
        r = change[good] / last
        steady = (np.abs(r - ratio[good]) < 0.02) & (r < 0.98) & ~(change[good] <= tol)
        ratio[good] = r
        if history.periodic and cycle + 1 >= EXTRAPOLATE_FROM:
            for k in np.flatnonzero(steady):
                i = good[k]
                y = end[k] + step[k] * (r[k] / (1.0 - r[k]))
                if np.all(np.isfinite(y)) and np.all((y >= 0) | (end[k] < 0)):
                    Y[i] = y
                    ratio[i] = np.nan  # the next ratio is measured from the extrapolated state
        if active.size == 0:
            break
    for i in active:
        status[i] = NO_PERIODIC_STATE
    return Y, status, change


def _history_events(model: CompiledModel, p: np.ndarray, history: History) -> Events:
    return events_for(hold_inputs(Plan(), history.holds), model, p)


@lru_cache(maxsize=32)
def _run_in(model: CompiledModel, p_key: bytes, history: History, solver: Solver) -> np.ndarray:
    """One member's start state. Cached per model, parameter vector, history and solver: a plan search
    simulates the same cycling subject many times, and the run-in (about nine cycles) costs several
    times a month's simulation."""
    p = np.frombuffer(p_key)
    y_ss = model.steady_state(p).y
    events = _history_events(model, p, history)

    def advance(Y, rows):
        out, status, _ = model.integrate(Y[0], p, [history.duration_h], events, solver, atol_scale=y_ss)
        return out[-1:], [status]

    Y, status, change = _cycles(advance, y_ss[None, :], history, solver)
    if status[0].startswith(RUN_IN):
        raise EngineError(f"the subject's hormone history before t = 0 could not be integrated "
                          f"({status[0][len(RUN_IN):]}); check the subject's modifications and parameters")
    if status[0] == NO_PERIODIC_STATE:
        raise EngineError(f"no periodic state of the menstrual cycle after {MAX_RUN_IN_CYCLES} cycles (the last "
                          f"cycle still moved a state by {change[0]:.1e} of its size); check the subject's "
                          "modifications and parameters")
    y = Y[0]
    y.setflags(write=False)
    return y


@lru_cache(maxsize=4)
def _run_in_batch(model: CompiledModel, P_key: bytes, Y_key: bytes, shape: tuple[int, int],
                  history: History, solver: Solver, first_key: bytes | None = None):
    """Start states of parameter rows (P_key) from their steady states (Y_key; or from `first_key`,
    a warm start, with Y_key setting each state's size), one batch integration per cycle (members
    that have reached their periodic state drop out). Cached like `_run_in`: plan search evaluates
    many plans on the same posterior draws."""
    # writable copies: numba compiles read-only arrays separately, and that code's last bits differ
    P = np.frombuffer(P_key).reshape(shape).copy()
    Y_ss = np.frombuffer(Y_key).reshape(shape[0], -1).copy()
    first = None if first_key is None else np.frombuffer(first_key).reshape(Y_ss.shape).copy()
    events = _history_events(model, P[0], history)

    def advance(Y, rows):
        out, status, _ = model.integrate_batch(Y, P[rows], [history.duration_h], events, solver)
        return out[:, -1, :], status

    Y, status, _ = _cycles(advance, Y_ss, history, solver, first)
    Y.setflags(write=False)
    return Y, tuple(status)
