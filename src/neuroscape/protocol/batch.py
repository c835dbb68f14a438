"""Run one protocol for many parameter sets at once (scans, sensitivities): the members share the
protocol's scenario (scenario.py) and run as one batch of the engine; a member that changes a
parameter the events read (a dose lag, an input's baseline) cannot share the batch's event list and
runs on its own through the same scenario path (as `run_protocol` with those `parameters:`).

    run = run_batch(protocol, [{"sert_km": 0.03}, {"sert_km": 0.12}])
    run.readouts[1]["e5ht"]["value"], run.status[1]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..engine.compiled import Solver
from ..errors import NeuroscapeError
from ..scenario import scenario
from ..simulate import model_for
from .run import (
    _own_model_only,
    collect_readouts,
    output_times,
    plan_of,
    resolve_readouts,
    run_protocol,
    subject_of,
)
from .schema import Protocol

# Members per engine call: a member's output is times x (states + parameters) doubles, and a
# summary's grid can hold 20,000 times, so large batches go in chunks of about this many bytes.
CHUNK_BYTES = 200e6


@dataclass(frozen=True)
class BatchRun:
    """Per member: its parameter changes (table units), its readouts as `run_protocol` gives them
    (None where it failed) and its status ("ok" or why not)."""

    protocol: Protocol
    changes: tuple[dict, ...]
    readouts: tuple[dict | None, ...]
    status: tuple[str, ...]
    batched: int  # members that ran in the shared batch (the rest ran one by one)


def run_batch(protocol: Protocol, changes, solver: Solver = Solver()) -> BatchRun:
    """Run `protocol` once per mapping in `changes` (parameter name -> value in the table's unit, over
    the protocol's own `parameters:`). Values are not checked here: check them with
    model.parameters.override_value first."""
    _own_model_only(protocol)
    changes = tuple(dict(c) for c in changes)
    subject, plan = subject_of(protocol), plan_of(protocol)
    model = model_for(plan)
    network = model.network
    resolved = resolve_readouts(protocol, network)
    times, grids = output_times(protocol)
    sc = scenario(subject, plan, times[-1], model=model)
    index = {n: i for i, n in enumerate(network.parameter_names)}
    named = sorted({n for c in changes for n in c})
    alone = set(sc.event_parameters(named)) if named else set()
    readouts: list[dict | None] = [None] * len(changes)
    status = ["not run"] * len(changes)
    shared = [k for k, c in enumerate(changes) if not (set(c) & alone)]
    for k in (k for k in range(len(changes)) if k not in set(shared)):
        try:
            one = protocol.model_copy(update={"parameters": {**protocol.parameters, **changes[k]}})
            readouts[k], status[k] = run_protocol(one, solver=solver).readouts, "ok"
        except NeuroscapeError as exc:
            status[k] = f"failed: {exc}"
    width = len(times) * (model.n + sc.p.size) * 8
    chunk = max(1, int(CHUNK_BYTES // width))
    fns = {spec.key: model.readout_function(spec.key) for _, spec in resolved}
    for start in range(0, len(shared), chunk):
        members = shared[start:start + chunk]
        P = np.tile(sc.p, (len(members), 1))
        for row, k in enumerate(members):
            for name, value in changes[k].items():
                P[row, index[name]] = value
        many = sc.start_batch(P, solver)
        states, st, _ = many.integrate(times, solver)
        inputs = many.inputs_at(times)
        for row, k in enumerate(members):
            status[k] = st[row]
            if st[row] != "ok":
                continue
            readouts[k] = collect_readouts(resolved, times, grids,
                                           *_member(network, fns, states[row], inputs[row],
                                                    many.steady_states[row], many.P[row]))
    return BatchRun(protocol, changes, tuple(readouts), tuple(status), len(shared))


def _member(network, fns, states, inputs, steady, p):
    """values_of and baseline_of of one batch member (as Trajectory.readout and .baseline)."""
    def baseline_of(quantity, region=None):
        return float(fns[network.readout(quantity, region).key](steady, p))

    def values_of(quantity, region=None, relative_to=None):
        values = np.asarray(fns[network.readout(quantity, region).key](states, inputs), dtype=float)
        if relative_to == "baseline":
            base = baseline_of(quantity, region)
            return values / base if base != 0 else np.full_like(values, np.nan)
        return values

    return values_of, baseline_of


def readout_values(readouts: dict | None, protocol: Protocol) -> list[tuple[str, float | None, float]]:
    """(readout id, time (None for a summary), value) of every number in one member's readouts, in
    the protocol's order; NaN for a failed member."""
    out = []
    for ro in protocol.readouts:
        times = [None] if ro.summary is not None else list(ro.times_h)
        if readouts is None:
            out += [(ro.id, t, float("nan")) for t in times]
            continue
        value = readouts[ro.id]["value"]
        values = value if isinstance(value, list) else [value]
        out += [(ro.id, t, float(v)) for t, v in zip(times, values)]
    return out
