"""A network compiled to numerical functions: RHS, sparse Jacobian, steady state, integration."""

from __future__ import annotations

import importlib.util
import sys
import threading
from dataclasses import dataclass, field
from typing import Sequence

import numba
import numpy as np
import sympy as sp

from ..errors import EngineError, ModelError
from ..model.assemble import inline_expressions, resolve
from ..model.network import Network
from . import codegen
from .sparse import LUPlan, analyse

STATUS = {0: "ok", 1: "max_steps", 2: "step_underflow", 3: "not_finite", 4: "singular",
          5: "no_steady_state"}


@dataclass(frozen=True)
class Solver:
    """Integrator settings (Rodas4 with error control).

    The absolute tolerance of state i is `atol * scale_i`, where scale_i is the state's magnitude at
    the start (its baseline) or, for states that are zero there (gut contents, drug depots),
    `zero_scale` in the state's own unit: relative control of a vanishing depot wastes steps and
    does not change any readout.

    Every output time ends a step by default. With `dense_output`, steps end only at events and at the
    last output time, and outputs between are read from the Rodas4 continuous extension: much faster
    for output grids denser than the steps (a day at 2,401 outputs: 33 steps instead of 2,403), but at
    the same rtol less accurate for hourly outputs (steps grow long in slow tails), so it is opt-in
    (bench/run_bench.py picks the mode that reaches the matched error in fewer steps).
    `h_max` (h) caps the step: the error control lets steps grow long in slow tails, where the
    global error of slow states gathers; a cap buys accuracy there cheaply (bench/run_bench.py)."""

    rtol: float = 1e-6
    atol: float = 1e-8
    h_init: float = 1e-4
    max_steps: int = 500_000
    zero_scale: float = 100.0
    dense_output: bool = False
    h_max: float = float("inf")

    def __post_init__(self) -> None:
        for name in ("rtol", "atol", "h_init", "zero_scale"):
            value = getattr(self, name)
            if not (value > 0 and np.isfinite(value)):
                raise EngineError(f"Solver.{name} = {value!r}; it must be a positive number")
        if not self.h_max > 0:
            raise EngineError(f"Solver.h_max = {self.h_max!r}; it must be a positive number of hours (or inf)")


@dataclass(frozen=True)
class Events:
    """Discontinuities, sorted by time: kind 0 adds `value` (/ p[scale] if scale >= 0) to state
    `target`; kind 1 sets input parameter `target` to `value`."""

    t: np.ndarray = field(default_factory=lambda: np.zeros(0))
    kind: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    target: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    value: np.ndarray = field(default_factory=lambda: np.zeros(0))
    scale: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    @classmethod
    def from_rows(cls, rows: Sequence[tuple[float, int, int, float, int]]) -> "Events":
        rows = sorted(rows, key=lambda r: r[0])
        if not rows:
            return cls()
        t, kind, target, value, scale = zip(*rows)
        return cls(np.asarray(t, float), np.asarray(kind, np.int64), np.asarray(target, np.int64),
                   np.asarray(value, float), np.asarray(scale, np.int64))

    def arrays(self):
        return self.t, self.kind, self.target, self.value, self.scale


def member_events(events, b: int):
    """The kernels' form of a batch's events: the five arrays of all members' events one after
    another, and each member's bounds (lo, hi) into them. `events` is None, one Events shared by
    every member, or a sequence of b Events (one per member)."""
    if events is None or isinstance(events, Events):
        shared = events or Events()
        m = shared.t.size
        return shared.arrays(), np.zeros(b, dtype=np.int64), np.full(b, m, dtype=np.int64)
    events = list(events)
    if len(events) != b:
        raise EngineError(f"events has {len(events)} entries for a batch of {b} members; give one "
                          "Events per member (row of Y0 and P) or a single Events shared by all")
    for i, ev in enumerate(events):
        if not isinstance(ev, Events):
            raise EngineError(f"events[{i}] is {type(ev).__name__}; give an Events (Events.from_rows)")
    sizes = np.array([ev.t.size for ev in events], dtype=np.int64)
    hi = np.cumsum(sizes)
    lo = hi - sizes
    if hi.size == 0 or hi[-1] == 0:
        return Events().arrays(), lo, hi
    dtypes = (float, np.int64, np.int64, float, np.int64)
    arrays = tuple(np.ascontiguousarray(np.concatenate(col), dtype=dt)
                   for col, dt in zip(zip(*(ev.arrays() for ev in events)), dtypes))
    return arrays, lo, hi


@dataclass(frozen=True)
class SteadyState:
    y: np.ndarray
    status: str
    iterations: int

    @property
    def ok(self) -> bool:
        return self.status == "ok"


class CompiledModel:
    """Numerical view of a network. Build with `compile_network` (cached per structure)."""

    def __init__(self, network: Network, module, rows: np.ndarray, cols: np.ndarray,
                 lu: LUPlan | None = None):
        self.network = network
        self.module = module
        self.n = len(network.species)
        self.species_index = {n: i for i, n in enumerate(network.species_names)}
        self.param_index = {n: i for i, n in enumerate(network.parameter_names)}
        self.y_initial = np.array([s.initial for s in network.species], dtype=float)
        self.p_default = np.array([p.value for p in network.parameters], dtype=float)
        self.jac_rows, self.jac_cols = rows, cols
        self.lu: LUPlan = lu or analyse(self.n, rows, cols)
        self._readout_fns: dict[str, object] = {}
        self._readout_exprs: dict[str, tuple] = {}
        self._inlined = None  # (symbol table, resolved expressions), built on first readout
        self._readout_lock = threading.Lock()

    # -- low level -----------------------------------------------------------------------------
    def rhs(self, y, p=None) -> np.ndarray:
        dy = np.empty(self.n)
        self.module.rhs(np.asarray(y, float), self._p(p), dy)
        return dy

    def rates(self, y, p=None) -> np.ndarray:
        r = np.empty(len(self.network.reactions))
        self.module.rates(np.asarray(y, float), self._p(p), r)
        return r

    def jacobian(self, y, p=None) -> np.ndarray:
        jv = np.empty(self.jac_rows.size)
        self.module.jac(np.asarray(y, float), self._p(p), jv)
        dense = np.zeros((self.n, self.n))
        np.add.at(dense, (self.jac_rows, self.jac_cols), jv)
        return dense

    def _p(self, p) -> np.ndarray:
        return self.p_default if p is None else np.ascontiguousarray(p, dtype=float)

    @staticmethod
    def atol_vector(scale: np.ndarray, solver: Solver) -> np.ndarray:
        scale = np.abs(np.asarray(scale, dtype=float))
        return np.where(scale > 0, scale, solver.zero_scale) * solver.atol

    # -- steady state --------------------------------------------------------------------------
    def steady_state(self, p=None, y0=None, tol: float = 1e-10, max_iter: int = 500) -> SteadyState:
        y0 = self.y_initial if y0 is None else np.asarray(y0, float)
        out = np.empty(self.n)
        stats = np.zeros(3, dtype=np.int64)
        code = self.module.steady_state(y0, self._p(p), tol, max_iter, self.lu.arrays, out, stats)
        return SteadyState(out, STATUS[int(code)], int(stats[0]))

    def steady_state_batch(self, P, Y0=None, tol: float = 1e-10, max_iter: int = 500):
        P = np.ascontiguousarray(P, dtype=float)
        Y0 = np.tile(self.y_initial, (P.shape[0], 1)) if Y0 is None else np.ascontiguousarray(Y0)
        out = np.empty_like(Y0)
        status = np.zeros(P.shape[0], dtype=np.int64)
        stats = np.zeros((P.shape[0], 3), dtype=np.int64)
        self.module.steady_state_batch(Y0, P, tol, max_iter, self.lu.arrays, out, status, stats)
        return out, [STATUS[int(c)] for c in status]

    # -- integration ---------------------------------------------------------------------------
    def _record(self, record) -> np.ndarray:
        if record is None:
            return np.arange(self.n, dtype=np.int64)
        idx = [self.species_index[r] if isinstance(r, str) else int(r) for r in record]
        return np.asarray(idx, dtype=np.int64)

    def integrate(self, y0, p, times, events: Events | None = None, solver: Solver = Solver(),
                  t0: float = 0.0, atol_scale=None, record=None):
        """Integrate one parameter set; `record` (species names or indices) limits the output
        columns, as libRoadRunner's timeCourseSelections do (default: every state)."""
        times = np.ascontiguousarray(times, dtype=float)
        if times.size and (np.any(np.diff(times) < 0) or times[0] < t0):
            raise EngineError("output times must be sorted and not before t0")
        events = events or Events()
        y0 = np.ascontiguousarray(y0, dtype=float)
        rec = self._record(record)
        out = np.full((times.size, rec.size), np.nan)
        stats = np.zeros(3, dtype=np.int64)
        atol = self.atol_vector(y0 if atol_scale is None else atol_scale, solver)
        code = self.module.integrate(y0, self._p(p), float(t0), times, *events.arrays(),
                                     solver.rtol, atol, solver.h_init, float(solver.h_max), solver.max_steps,
                                     self.lu.arrays, out, stats, rec, solver.dense_output)
        return out, STATUS[int(code)], stats

    def integrate_batch(self, Y0, P, times, events: Events | Sequence[Events] | None = None,
                        solver: Solver = Solver(), t0: float = 0.0, record=None):
        """Integrate many members (rows of Y0 and P) in parallel; a failed member gets its own
        status. `events` is one Events shared by every member or a sequence of one Events per
        member (different doses or plans in one batch)."""
        Y0 = np.ascontiguousarray(Y0, dtype=float)
        P = np.ascontiguousarray(P, dtype=float)
        times = np.ascontiguousarray(times, dtype=float)
        if times.size and (np.any(np.diff(times) < 0) or times[0] < t0):
            raise EngineError("output times must be sorted and not before t0")
        b = Y0.shape[0]
        if P.shape[0] != b:
            raise EngineError(f"Y0 has {b} rows and P has {P.shape[0]}; give one start state and one "
                              "parameter row per member")
        arrays, lo, hi = member_events(events, b)
        rec = self._record(record)
        out = np.full((b, times.size, rec.size), np.nan)
        status = np.zeros(b, dtype=np.int64)
        stats = np.zeros((b, 3), dtype=np.int64)
        atol = self.atol_vector(Y0, solver)
        # Members differ in cost (their parameters, their events): handing them out one at a time
        # balances the threads (40 members, 2 threads: 2.26 s vs 2.71 s with numba's equal halves).
        with numba.parallel_chunksize(1):
            self.module.integrate_batch(Y0, P, float(t0), times, *arrays, lo, hi, solver.rtol, atol,
                                        solver.h_init, float(solver.h_max), solver.max_steps,
                                        self.lu.arrays, out, status, stats, rec, solver.dense_output)
        return out, [STATUS[int(c)] for c in status], stats

    # -- readouts ------------------------------------------------------------------------------
    def readout_function(self, key: str, states: Sequence[int] | None = None,
                         parameters: Sequence[int] | None = None):
        """A numpy function f(Y[..., n], P[..., np]) for the readout with this key. `states` and
        `parameters` (indices, as `integrate(record=...)` takes them) say which columns Y and P hold when
        they hold fewer than all, in that order: a batch that recorded only what its readouts read
        (`readout_reads`) is read without the full-width arrays."""
        fn, getters = self._readout_expression(key)
        if states is None and parameters is None:
            return self._readout_fns.setdefault(key, _readout_evaluator(fn, getters))
        where = ({i: i for i in range(self.n)} if states is None else {int(i): k for k, i in enumerate(states)},
                 {i: i for i in range(self.p_default.size)} if parameters is None
                 else {int(i): k for k, i in enumerate(parameters)})
        kinds = ("state", "parameter")
        names = (self.network.species_names, self.network.parameter_names)
        missing = [f"{kinds[src]} {names[src][i]}" for src, i in getters if i not in where[src]]
        if missing:
            raise ModelError(f"readout {key!r} reads {', '.join(missing)}, which the given columns do not hold; "
                             "record what readout_reads(key) names")
        return _readout_evaluator(fn, [(src, where[src][i]) for src, i in getters])

    def readout_reads(self, key: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """(state indices, parameter indices) that the readout with this key reads."""
        _, getters = self._readout_expression(key)
        return (tuple(i for src, i in getters if src == 0), tuple(i for src, i in getters if src == 1))

    def _readout_expression(self, key: str):
        with self._readout_lock:
            if key not in self._readout_exprs:
                ro = next((r for r in self.network.readouts if r.key == key), None)
                if ro is None:
                    raise ModelError(f"no readout {key!r}")
                if self._inlined is None:
                    self._inlined = inline_expressions(self.network)
                table, resolved = self._inlined
                expr = resolve(ro.expr, table, resolved, f"readout {key!r}") * ro.scale
                syms = sorted(expr.free_symbols, key=lambda s: s.name)
                fn = sp.lambdify(syms, expr, modules="numpy")
                getters = []
                for s in syms:
                    if s.name in self.species_index:
                        getters.append((0, self.species_index[s.name]))
                    else:
                        getters.append((1, self.param_index[s.name]))
                self._readout_exprs[key] = (fn, tuple(getters))
            return self._readout_exprs[key]


def _readout_evaluator(fn, getters):
    def evaluate(Y, P, fn=fn, getters=getters):
        args = [Y[..., i] if src == 0 else P[..., i] for src, i in getters]
        shape = np.broadcast_shapes(Y.shape[:-1], P.shape[:-1])
        return np.broadcast_to(np.asarray(fn(*args), dtype=float), shape)

    return evaluate


_CACHE: dict[str, CompiledModel] = {}
_LOCK = threading.Lock()


def compile_network(network: Network) -> CompiledModel:
    """Compile (or fetch from the in-process and on-disk caches) a network's numerical functions.

    Parameter values are not compiled in: they are passed at call time, so one compiled model
    serves every subject, parameter set and calibration step of the same structure."""
    key = codegen.network_hash(network)
    with _LOCK:
        cached = _CACHE.get(key)
        if cached is not None and cached.network is network:
            return cached
        if cached is not None:
            # Same structure, other values: reuse the compiled code and the LU plan.
            return CompiledModel(network, cached.module, cached.jac_rows, cached.jac_cols, cached.lu)
        path, rows, cols = codegen.write_module(network)
        name = path.stem
        module = sys.modules.get(name)
        if module is None:
            spec = importlib.util.spec_from_file_location(name, path)
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            spec.loader.exec_module(module)
        model = CompiledModel(network, module, rows, cols)
        _CACHE[key] = model
        return model
