"""Local sensitivities of a protocol's readouts to its parameters, normalised:
S = d ln(readout) / d ln(p) (a 1% rise of p moves the readout by about S %).

Two methods:
* `central` (any protocol): S = (r(p (1 + h)) - r(p (1 - h))) / (2 h r(p)), every perturbed
  parameter set one member of one batch (protocol/batch.py); error O(h^2).
* `steady` (the subject's steady state, before t = 0): the implicit-function theorem on f(y*, p) = 0,
  dy*/dp = -J^-1 df/dp with J = df/dy the model's analytic Jacobian at y*; dr/dp = dr/dy dy*/dp + dr/dp
  (df/dp and the readout's partial derivatives by central differences, which are exact to rounding for
  these smooth functions). It reads each readout's quantity at the steady state: at_h, summary and
  relative_to do not apply.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..engine.compiled import Solver
from ..errors import EngineError, ProtocolError
from .batch import readout_values, run_batch
from .run import network_of, plan_of, resolve_readouts, subject_of
from .schema import Protocol

METHODS = ("central", "steady")
REL_STEP = 1e-3  # h of the central differences: truncation ~h^2, rounding ~1e-10 / h at rtol 1e-10-ish


@dataclass(frozen=True)
class SensitivityRow:
    parameter: str
    readout: str  # the readout's id
    time_h: float | None  # None for a summary or the steady state
    value: float  # the readout at the protocol's parameters
    sensitivity: float  # d ln readout / d ln parameter (NaN where the readout is 0 or a member failed)


@dataclass(frozen=True)
class Sensitivities:
    method: str
    parameters: tuple[str, ...]
    rows: tuple[SensitivityRow, ...]


def default_parameters(protocol: Protocol) -> tuple[str, ...]:
    """What a sensitivity analysis varies when not told: every parameter of the protocol's model
    that has a non-zero value and is not a constant or a time-varying input (inputs are set by
    interventions; name one explicitly to include it)."""
    return tuple(p.name for p in network_of(protocol).parameters
                 if p.value != 0 and p.basis != "constant" and not p.input)


def check_parameters(protocol: Protocol, names, option: str = "--parameter") -> tuple[str, ...]:
    from ..model.parameters import override_value

    network = network_of(protocol)
    for name in names:
        try:
            override_value(network, name, network.parameter(name).value if name in network.parameter_names
                           else 1.0)
        except Exception as exc:  # noqa: BLE001 - override_value raises ModelError with the fix
            raise ProtocolError(f"{option} {name}: {exc}") from None
    return tuple(names)


def sensitivities(protocol: Protocol, parameters=None, *, method: str = "central", rel_step: float = REL_STEP,
                  solver: Solver = Solver()) -> Sensitivities:
    """Normalised local sensitivities of every readout of `protocol` to `parameters` (default:
    `default_parameters`)."""
    if method not in METHODS:
        raise ProtocolError(f"method {method!r}; allowed: {', '.join(METHODS)}")
    names = tuple(parameters) if parameters else default_parameters(protocol)
    if method == "steady":
        return _steady(protocol, names, rel_step)
    subject = subject_of(protocol)
    from ..subject import parameter_vector

    network = network_of(protocol)
    p0 = dict(zip(network.parameter_names, parameter_vector(subject, network)))
    changes = [{}]
    for name in names:
        changes += [{name: p0[name] * (1 + rel_step)}, {name: p0[name] * (1 - rel_step)}]
    run = run_batch(protocol, changes, solver)
    base = readout_values(run.readouts[0], protocol)
    if run.status[0] != "ok":
        raise EngineError(f"the protocol itself did not run ({run.status[0]})")
    rows = []
    for j, name in enumerate(names):
        up = readout_values(run.readouts[1 + 2 * j], protocol)
        down = readout_values(run.readouts[2 + 2 * j], protocol)
        for (rid, t, r0), (_, _, r1), (_, _, r2) in zip(base, up, down):
            s = (r1 - r2) / (2 * rel_step * r0) if r0 != 0 and p0[name] != 0 else float("nan")
            rows.append(SensitivityRow(name, rid, t, r0, float(s)))
    return Sensitivities(method, names, tuple(rows))


def _steady(protocol: Protocol, names, rel_step: float) -> Sensitivities:
    from ..scenario import scenario

    plan = plan_of(protocol)
    sc = scenario(subject_of(protocol), plan, 0.0)
    model, network = sc.model, sc.model.network
    resolved = resolve_readouts(protocol, network)
    ss = sc.reference_state
    if not ss.ok:
        raise EngineError(f"no steady state for this subject ({ss.status}); check its parameters")
    index = {n: i for i, n in enumerate(network.parameter_names)}
    fns = [model.readout_function(spec.key) for _, spec in resolved]
    values, S = steady_state_sensitivity(model, ss.y, sc.p, [index[n] for n in names], fns, rel_step)
    rows = [SensitivityRow(name, ro.id, None, float(values[m]), float(S[k, m]))
            for k, name in enumerate(names) for m, (ro, _) in enumerate(resolved)]
    return Sensitivities("steady", tuple(names), tuple(rows))


def steady_state_sensitivity(model, y: np.ndarray, p: np.ndarray, columns, readouts, rel_step: float = REL_STEP):
    """(readout values (m,), normalised sensitivities S (k, m)) at the steady state y of parameter vector
    p, for parameter columns `columns` (k) and readout functions `readouts` (m, f(Y, P) as
    CompiledModel.readout_function gives them): dy*/dp = -J^-1 df/dp (implicit-function theorem)."""
    J = model.jacobian(y, p)
    dfdp = np.empty((y.size, len(columns)))
    for k, c in enumerate(columns):
        dfdp[:, k] = _central(lambda v: model.rhs(y, _with(p, c, v)), p[c], rel_step)
    try:
        dydp = -np.linalg.solve(J, dfdp)
    except np.linalg.LinAlgError:
        raise EngineError("the Jacobian at the steady state is singular (a conserved quantity); use the central "
                          "method") from None
    eye = np.eye(y.size)
    dy = np.maximum(np.abs(y) * rel_step, 1e-12)
    Y_up, Y_down, P = y + eye * dy[:, None], y - eye * dy[:, None], np.tile(p, (y.size, 1))
    values = np.array([float(fn(y, p)) for fn in readouts])
    S = np.full((len(columns), len(readouts)), np.nan)
    for m, fn in enumerate(readouts):
        drdy = (np.asarray(fn(Y_up, P), dtype=float) - np.asarray(fn(Y_down, P), dtype=float)) / (2 * dy)
        for k, c in enumerate(columns):
            drdp = _central(lambda v: np.asarray(fn(y, _with(p, c, v)), dtype=float), p[c], rel_step)
            if values[m] != 0 and p[c] != 0:
                S[k, m] = float(np.dot(drdy, dydp[:, k]) + drdp) * p[c] / values[m]
    return values, S


def _with(p: np.ndarray, c: int, v: float) -> np.ndarray:
    q = p.copy()
    q[c] = v
    return q


def _central(f, x: float, rel_step: float):
    h = abs(x) * rel_step if x != 0 else rel_step
    return (np.asarray(f(x + h), dtype=float) - np.asarray(f(x - h), dtype=float)) / (2 * h)
