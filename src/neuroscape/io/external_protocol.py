"""Run a protocol on an external SBML model (the protocol key `model:`, docs/exchange.md).

It sits with the importer at the edge of the system (io): `protocol.run.run_protocol` stays on
neuroscape's own model and refuses a `model:` protocol, and `neuroscape protocol run` sends such a
protocol here.

The file's model starts from its own initial values at t = 0 and runs with its own events; the
protocol contributes the readout times. Readouts name the file's ids as `sbml.<id>` (species as
concentrations, or amounts for `hasOnlySubstanceUnits` species; parameters; assignment-rule
variables); `relative_to: baseline` divides by the value at the initial state. neuroscape's subject,
interventions and daily rhythm act on neuroscape's own model, so they are refused here.
"""

from __future__ import annotations

import numpy as np

from ..errors import ModelError, ProtocolError
from ..protocol.run import ProtocolResult, _number
from ..protocol.schema import Protocol, SubjectSpec
from ..simulate import Trajectory
from .sbml_import import load_sbml, run_imported


def run_external(protocol: Protocol, *, extra_times=()) -> ProtocolResult:
    if protocol.parameters:
        raise ProtocolError("parameters: sets neuroscape's own model parameters and does not apply with model: "
                            "(an external SBML file); change the values in the SBML file or remove parameters:")
    if protocol.interventions:
        raise ProtocolError("interventions: not allowed with model: (neuroscape's interventions act on its own "
                            "model); remove them, or put the dosing into the SBML file as events at fixed times")
    if protocol.subject != SubjectSpec():
        raise ProtocolError("subject: not allowed with model: (an external model has no neuroscape subject); "
                            "remove it")
    if protocol.circadian is not None:
        raise ProtocolError("circadian: not allowed with model:; remove it")
    try:
        imported = load_sbml(protocol.model)
    except ModelError as exc:
        raise ProtocolError(f"model: {exc}") from None
    network = imported.network
    specs = []
    for i, ro in enumerate(protocol.readouts):
        if ro.summary is not None:
            raise ProtocolError(f"readouts[{i}].summary: summaries are computed on neuroscape's own model; with "
                                "model: read the values at times (at_h: [...]) instead")
        if ro.region is not None:
            raise ProtocolError(f"readouts[{i}].region: an external model has no regions; remove region")
        try:
            specs.append(network.readout(ro.quantity))
        except ModelError:
            offered = sorted(r.quantity for r in network.readouts)
            raise ProtocolError(f"readouts[{i}].quantity: {ro.quantity!r} is not an id of {protocol.model}; "
                                f"allowed: {', '.join(offered[:40])}{' ...' if len(offered) > 40 else ''}") from None
    times = np.asarray(sorted({0.0, *extra_times, *(t for ro in protocol.readouts for t in ro.times_h)}))
    try:
        model, states, params = run_imported(imported, times)
    except ModelError as exc:
        raise ProtocolError(f"model: {exc}") from None
    trajectory = Trajectory(times, states, params, model.y_initial, model.p_default, model, "ok", (0, 0, 0))
    index = {t: k for k, t in enumerate(times)}
    out = {}
    for i, (ro, spec) in enumerate(zip(protocol.readouts, specs)):
        if ro.relative_to and trajectory.baseline(spec.quantity) == 0:
            raise ProtocolError(f"readouts[{i}].relative_to: the initial value of {ro.quantity} is 0, so a ratio "
                                "to it is undefined; remove relative_to")
        values = trajectory.readout(spec.quantity, None, ro.relative_to)
        picked = [float(values[index[t]]) for t in ro.times_h]
        out[ro.id] = {"quantity": ro.quantity, "region": None, "unit": "1" if ro.relative_to else "(model units)",
                      "at_h": [_number(t) for t in ro.times_h] if ro.is_list else _number(ro.times_h[0]),
                      "value": picked if ro.is_list else picked[0]}
        if ro.relative_to:
            out[ro.id]["relative_to"] = ro.relative_to
    return ProtocolResult(protocol, trajectory, out)
