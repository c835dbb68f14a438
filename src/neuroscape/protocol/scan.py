"""Parameter scans of a protocol (`neuroscape scan`): one parameter over a grid of values, every
readout at every value, run as one batch (protocol/batch.py).

    result = scan(protocol, "sert_km", 0.03, 0.12, 7)
    result.rows()  # one row per value, readout and time
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..engine.compiled import Solver
from ..errors import ModelError, ProtocolError
from .batch import BatchRun, readout_values, run_batch
from .run import network_of
from .schema import Protocol

MAX_POINTS = 1000  # a scan's grid; a finer one is a typing slip (and an hour of computing)


@dataclass(frozen=True)
class ScanResult:
    parameter: str
    unit: str  # the parameter table's unit
    values: np.ndarray  # (n,) in `unit`
    log: bool
    run: BatchRun

    def rows(self) -> list[dict]:
        """One row per value, readout and time: parameter value, readout id, time_h (None for a
        summary), value, unit, status."""
        units = {}
        out = []
        for value, readouts, status in zip(self.values, self.run.readouts, self.run.status):
            for rid, t, v in readout_values(readouts, self.run.protocol):
                if readouts is not None:
                    units[rid] = readouts[rid]["unit"]
                out.append({self.parameter: float(value), "readout": rid, "time_h": t, "value": v,
                            "unit": units.get(rid, ""), "status": status})
        for row in out:  # a failed first member still gets its readout's unit
            row["unit"] = units.get(row["readout"], row["unit"])
        return out


def select_readouts(protocol: Protocol, ids, option: str = "--readout") -> Protocol:
    """The protocol with only the readouts `ids` (all for none); ProtocolError naming `option` for
    an id the protocol does not have."""
    if not ids:
        return protocol
    known = [ro.id for ro in protocol.readouts]
    unknown = [i for i in ids if i not in known]
    if unknown:
        from ._messages import did_you_mean

        raise ProtocolError(f"{option} {unknown[0]}: the protocol has no readout with this id"
                            f"{did_you_mean(unknown[0], known)}; its readouts: {', '.join(known)}")
    return protocol.model_copy(update={"readouts": tuple(ro for ro in protocol.readouts if ro.id in ids)})


def scan_grid(protocol: Protocol, spec: str, *, log: bool = False, option: str = "--vary") -> tuple[str, np.ndarray]:
    """Parse `NAME=LO:HI:N` (LO and HI numbers in the table's unit or values with units) into the
    parameter's name and its N values in the table's unit; ProtocolError naming `option`."""
    from ..model.parameters import override_value

    name, eq, grid = spec.partition("=")
    parts = grid.split(":")
    example = f"{option} sert_km=0.03:0.12:7 or {option} 'sert_km=30 nM:120 nM:7'"
    if not eq or not name.strip() or len(parts) != 3:
        raise ProtocolError(f"{option} {spec}: write NAME=LO:HI:N, e.g. {example}")
    name = name.strip()
    try:
        n = int(parts[2])
    except ValueError:
        n = 0
    if not 2 <= n <= MAX_POINTS:
        raise ProtocolError(f"{option} {spec}: N = {parts[2].strip()!r} is not allowed: the number of values is a "
                            f"whole number from 2 to {MAX_POINTS}, e.g. {example}")
    network = network_of(protocol)
    try:
        lo, hi = (override_value(network, name, p.strip()) for p in parts[:2])
    except ModelError as exc:
        raise ProtocolError(f"{option} {spec}: {exc}") from None
    if not lo < hi:
        raise ProtocolError(f"{option} {spec}: LO must be below HI; e.g. {example}")
    if log and lo <= 0:
        raise ProtocolError(f"{option} {spec}: --log needs LO above 0 (a log grid cannot reach 0); give a positive "
                            "LO or drop --log")
    return name, (np.geomspace(lo, hi, n) if log else np.linspace(lo, hi, n))


def scan(protocol: Protocol, name: str, values, *, log: bool = False, solver: Solver = Solver()) -> ScanResult:
    """Run `protocol` once for each value of parameter `name` (table units), as one batch."""
    values = np.asarray(values, dtype=float)
    unit = network_of(protocol).parameter(name).unit
    run = run_batch(protocol, [{name: float(v)} for v in values], solver)
    return ScanResult(name, unit, values, log, run)
