"""Time courses as tidy tables (`--out FILE.csv|FILE.parquet`): one row per time and readout.

Columns: time_h, readout (the readout's id, or its quantity where no id is given), region (empty
for none), value, unit. CSV is plain UTF-8 with a header; Parquet is written with pyarrow (the same
columns, time_h and value as float64). A file is written whole or not at all (a temporary file in
the same folder, renamed at the end).
"""

from __future__ import annotations

import csv
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import DataError

COLUMNS = ("time_h", "readout", "region", "value", "unit")
FORMATS = (".csv", ".parquet")


@dataclass(frozen=True)
class TidyRow:
    time_h: float
    readout: str
    region: str | None
    value: float
    unit: str


def out_problem(path: Path) -> str | None:
    """Why `path` cannot take a tidy table (None if it can): the option's fix, for an exit 2 before any work."""
    if path.is_dir():
        return f"--out {path}: is a folder; give a file name such as {path / 'timecourse.csv'}"
    if path.suffix.lower() not in FORMATS:
        return f"--out {path}: the file name must end in {' or '.join(FORMATS)} (tidy CSV or Parquet)"
    if not path.parent.is_dir():
        return f"--out {path}: folder {path.parent} does not exist; create it or choose another path"
    return None


def protocol_rows(result, times=None) -> list[TidyRow]:
    """Every time-point readout of a protocol run (protocol.run.ProtocolResult) at `times` (default: the
    readout's own at_h) and every summary readout as one row at the end of its interval."""
    traj = result.trajectory
    index = {float(t): k for k, t in enumerate(traj.times)}
    rows = []
    for ro in result.protocol.readouts:
        out = result.readouts[ro.id]
        if ro.summary is not None:
            rows.append(TidyRow(float(ro.over_h[1]), ro.id, out["region"], float(out["value"]), out["unit"]))
            continue
        values = traj.readout(ro.quantity, ro.region, ro.relative_to)
        for t in (ro.times_h if times is None else sorted({*ro.times_h, *map(float, times)})):
            rows.append(TidyRow(float(t), ro.id, out["region"], float(values[index[float(t)]]), out["unit"]))
    return rows


def write_tidy(rows, path: str | Path) -> Path:
    """Write `rows` (TidyRow) to `path` (.csv or .parquet)."""
    path = Path(path)
    problem = out_problem(path)
    if problem:
        raise DataError(problem)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(fd)
    try:
        if path.suffix.lower() == ".csv":
            with open(tmp, "w", newline="", encoding="utf-8") as fh:
                writer = csv.writer(fh)
                writer.writerow(COLUMNS)
                for r in rows:
                    writer.writerow([repr(float(r.time_h)), r.readout, r.region or "", repr(float(r.value)), r.unit])
        else:
            import pyarrow as pa
            import pyarrow.parquet as pq

            table = pa.table({
                "time_h": pa.array([float(r.time_h) for r in rows], type=pa.float64()),
                "readout": pa.array([r.readout for r in rows], type=pa.string()),
                "region": pa.array([r.region for r in rows], type=pa.string()),
                "value": pa.array([float(r.value) if np.isfinite(r.value) else None for r in rows],
                                  type=pa.float64()),
                "unit": pa.array([r.unit for r in rows], type=pa.string()),
            })
            pq.write_table(table, tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path
