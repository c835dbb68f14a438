"""NONMEM-style event tables: dosing and observation records, read, checked, written, expanded.

Columns (header case-insensitive, any order): ID and TIME are required; EVID, AMT, CMT, RATE, II,
ADDL, SS, DV, MDV are the NONMEM data items; DRUG (a drug name from the library) is a neuroscape
extension. '.' (or an empty field) is a missing value. TIME is in hours, AMT in mg, RATE in mg/h.

EVID: 0 observation, 1 dose, 2 other, 3 reset, 4 reset and dose. Without an EVID column, EVID is
inferred (AMT > 0 -> 1, else MDV 1 -> 2, else 0); the table's `warnings` and a Python warning
say so. Contradictory records are errors naming the data row (1-based; header, blank and '#'
comment lines not counted) and the ID; all bad rows of a file are reported in one DataError.

Decisions:
- SS=1 means "at steady state before TIME": dose_events puts `ss_doses` (default 20) doses at II
  spacing before TIME. 20 intervals is > 5 half-lives only for drugs with t1/2 < 4*II; pass a
  larger ss_doses for slow drugs (norfluoxetine). SS=2 and steady-state infusions (II 0) are
  refused. NONMEM's implied reset at an SS=1 record is not represented.
- dose_events lists doses only; resets (EVID 3/4) are given by reset_times() for the caller.
- With several IDs in the table, dose_events/observations need id=; with one, id is optional.
- RATE 0 or missing is a bolus (rate None); the NONMEM codes RATE -1/-2 are refused.
"""

from __future__ import annotations

import csv
import io
import math
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple, Optional, Union

from ..errors import DataError

COLUMNS = ("ID", "TIME", "EVID", "AMT", "CMT", "RATE", "II", "ADDL", "SS", "DV", "DRUG", "MDV")
_ALWAYS_WRITTEN = COLUMNS[:9]
_INTEGER = {"ID", "EVID", "CMT", "ADDL", "SS", "MDV"}
_EVIDS = {0: "observation", 1: "dose", 2: "other", 3: "reset", 4: "reset and dose"}
_DOSE_ONLY = ("RATE", "II", "ADDL", "SS")


class DoseEvent(NamedTuple):
    time_h: float
    amount_mg: float
    drug: Optional[str]
    cmt: Optional[int]
    rate: Optional[float]  # mg/h; None for a bolus


class Observation(NamedTuple):
    time_h: float
    dv: Optional[float]
    cmt: Optional[int]
    drug: Optional[str]


@dataclass(frozen=True)
class EventRecord:
    """One data record; attribute names are the column names in lower case."""

    id: int
    time: float
    evid: int
    amt: Optional[float] = None
    cmt: Optional[int] = None
    rate: Optional[float] = None
    ii: Optional[float] = None
    addl: Optional[int] = None
    ss: Optional[int] = None
    dv: Optional[float] = None
    drug: Optional[str] = None
    mdv: Optional[int] = None


@dataclass(frozen=True)
class EventTable:
    """Checked records in file order. Building one checks it (DataError listing every bad row)."""

    records: tuple[EventRecord, ...]
    warnings: tuple[str, ...] = field(default=(), compare=False)

    def __post_init__(self):
        object.__setattr__(self, "records", tuple(self.records))
        problems = _check(list(enumerate(self.records, 1)))
        if problems:
            raise DataError(_report("event table", problems))

    def ids(self) -> tuple[int, ...]:
        return tuple(dict.fromkeys(r.id for r in self.records))

    def _of(self, id: Optional[int]) -> list[EventRecord]:
        ids = self.ids()
        if id is None:
            if len(ids) > 1:
                raise DataError(f"the table has {len(ids)} IDs ({_list(ids)}); pass id=")
            return list(self.records)
        if id not in ids:
            raise DataError(f"ID {id} is not in the table; IDs: {_list(ids)}")
        return [r for r in self.records if r.id == id]

    def dose_events(self, id: Optional[int] = None, *, ss_doses: int = 20) -> list[DoseEvent]:
        """Individual doses (ADDL/II and SS=1 expanded), sorted by time (ties keep file order)."""
        out = []
        for r in self._of(id):
            if r.evid not in (1, 4):
                continue
            first = -ss_doses if r.ss == 1 else 0
            for k in range(first, (r.addl or 0) + 1):
                out.append(DoseEvent(r.time + k * (r.ii or 0.0), r.amt, r.drug, r.cmt, r.rate or None))
        return sorted(out, key=lambda d: d.time_h)

    def observations(self, id: Optional[int] = None) -> list[Observation]:
        """EVID 0 records not flagged MDV 1, in file order."""
        return [Observation(r.time, r.dv, r.cmt, r.drug) for r in self._of(id)
                if r.evid == 0 and r.mdv != 1]

    def reset_times(self, id: Optional[int] = None) -> list[float]:
        """Times of EVID 3/4 records, where the system returns to its initial state."""
        return [r.time for r in self._of(id) if r.evid in (3, 4)]


# ---- checks -----------------------------------------------------------------------------------

def _num(x) -> str:
    if x is None:
        return "."
    return str(int(x)) if float(x).is_integer() and abs(x) < 1e16 else repr(float(x))


def _list(items) -> str:
    return ", ".join(str(i) for i in items)


def _record_problems(r: EventRecord) -> list[str]:
    p = []
    if r.id < 1:
        p.append(f"ID {r.id} must be a positive whole number")
    if r.evid not in _EVIDS:
        p.append(f"EVID {r.evid} is not one of " + ", ".join(f"{k} ({v})" for k, v in _EVIDS.items()))
    for name in ("time", "amt", "rate", "ii", "addl"):
        value = getattr(r, name)
        if value is not None and value < 0:
            p.append(f"{name.upper()} {_num(value)} is negative")
    if r.ss not in (None, 0, 1):
        p.append(f"SS {r.ss} is not supported (0 or 1)")
    if r.mdv not in (None, 0, 1):
        p.append(f"MDV {r.mdv} must be 0 or 1")
    if r.cmt is not None and r.cmt < 1:
        p.append(f"CMT {r.cmt} must be 1 or more")
    if r.drug is not None and (r.drug != r.drug.strip() or r.drug in ("", ".")
                               or any(c in r.drug for c in "\r\n\t")):
        p.append(f"DRUG {r.drug!r} must be a name without surrounding spaces or line breaks")
    is_dose = r.evid in (1, 4)
    if is_dose and not (r.amt and r.amt > 0):
        p.append(f"EVID {r.evid} ({_EVIDS[r.evid]}) needs AMT > 0, got AMT {_num(r.amt)}")
    if r.evid in (0, 2, 3):
        if r.amt:
            p.append(f"AMT {_num(r.amt)} on an EVID {r.evid} ({_EVIDS[r.evid]}) record; "
                     "only EVID 1 or 4 records give doses")
        on = [c for c in _DOSE_ONLY if getattr(r, c.lower())]
        if on:
            p.append(f"{'/'.join(on)} on an EVID {r.evid} ({_EVIDS[r.evid]}) record; only doses take them")
        return p
    if r.ii and not (r.addl or r.ss):
        p.append(f"II {_num(r.ii)} without ADDL or SS (II is the interval of repeated doses)")
    if r.addl and not (r.ii and r.ii > 0):
        p.append(f"ADDL {r.addl} without II > 0 (additional doses need an interval)")
    if r.ss == 1 and not (r.ii and r.ii > 0):
        p.append("SS 1 without II > 0 (steady-state constant infusions are not supported)")
    return p


def _check(rows: list[tuple[int, EventRecord]]) -> list[tuple[int, str]]:
    """(row, message) for every problem: per record, then ordering within and between IDs."""
    problems = []
    finished, current, last_time = set(), None, None
    for row, r in rows:
        where = f"row {row} (ID {r.id})"
        problems += [(row, f"{where}: {m}") for m in _record_problems(r)]
        if r.id != current:
            if r.id in finished:
                problems.append((row, f"{where}: ID {r.id} appears again after other IDs; "
                                      "an ID's records must be contiguous"))
            if current is not None:
                finished.add(current)
            current, last_time = r.id, None
        if last_time is not None and r.time < last_time and r.evid not in (3, 4):
            problems.append((row, f"{where}: TIME {_num(r.time)} is before the previous TIME "
                                  f"{_num(last_time)} of this ID (only EVID 3/4 resets may go back)"))
        last_time = r.time
    return problems


def _report(label: str, problems: list[tuple[int, str]]) -> str:
    lines = [m for _, m in sorted(problems, key=lambda p: p[0])]
    return f"{label}: {len(lines)} problem(s):\n  " + "\n  ".join(lines)


# ---- reading ----------------------------------------------------------------------------------

def _source(path_or_text) -> tuple[str, str]:
    """(text, label). A str with a line break is the table itself; otherwise it is a path."""
    if isinstance(path_or_text, str) and "\n" in path_or_text:
        return path_or_text, "event table"
    if not isinstance(path_or_text, (str, os.PathLike)):
        raise DataError(f"read_events needs a path or the table's text, got {type(path_or_text).__name__}")
    path = Path(path_or_text)
    try:
        return path.read_text(), str(path)
    except (OSError, ValueError) as exc:
        raise DataError(f"cannot read event table {str(path)!r}: {exc}") from None


def _split(line: str, format: str) -> list[str]:
    fields_ = next(csv.reader([line])) if format == "csv" else line.split()
    return [f.strip() for f in fields_]


def _value(column: str, text: str):
    """Parsed value, or raise ValueError with the reason."""
    if text in (".", ""):
        return None
    if column == "DRUG":
        return text
    try:
        x = float(text)
    except ValueError:
        raise ValueError(f"{column} {text!r} is not a number") from None
    if not math.isfinite(x):
        raise ValueError(f"{column} {text!r} is not a finite number")
    if column in _INTEGER:
        if not x.is_integer():
            raise ValueError(f"{column} {text!r} is not a whole number")
        return int(x)
    return x


def read_events(path_or_text: Union[str, os.PathLike], *, format: str = "csv") -> EventTable:
    """Read and check an event table (format 'csv' or 'space' for whitespace-separated)."""
    if format not in ("csv", "space"):
        raise DataError(f"event table format {format!r}: allowed: csv, space")
    text, label = _source(path_or_text)
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    if not lines:
        raise DataError(f"{label}: no header line (expected columns such as {_list(COLUMNS)})")
    try:
        header = [h.upper() for h in _split(lines[0], format)]
    except csv.Error as exc:
        raise DataError(f"{label}: unreadable header: {exc}") from None
    unknown = [h for h in header if h not in COLUMNS]
    if unknown:
        raise DataError(f"{label}: unknown column(s) {_list(unknown)}; allowed: {_list(COLUMNS)}")
    duplicated = sorted({h for h in header if header.count(h) > 1})
    if duplicated:
        raise DataError(f"{label}: column(s) {_list(duplicated)} given more than once")
    missing = [c for c in ("ID", "TIME") if c not in header]
    if "EVID" not in header and "AMT" not in header:
        missing.append("EVID or AMT")
    if missing:
        raise DataError(f"{label}: missing column(s) {_list(missing)}")

    problems, parsed = [], []
    for row, line in enumerate(lines[1:], 1):
        try:
            cells = _split(line, format)
        except csv.Error as exc:
            problems.append((row, f"row {row}: unreadable ({exc})"))
            continue
        if len(cells) != len(header):
            problems.append((row, f"row {row}: {len(cells)} values for {len(header)} columns"))
            continue
        raw = dict(zip(header, cells))
        values, bad = {}, []
        for column, cell in raw.items():
            try:
                values[column] = _value(column, cell)
            except ValueError as exc:
                bad.append(str(exc))
        # (a value that failed to parse is not in `values`, so it is not reported twice)
        bad += [f"{c} is missing" for c in ("ID", "TIME", "EVID") if c in values and values[c] is None]
        if bad:
            problems += [(row, f"row {row} (ID {raw['ID']}): {b}") for b in bad]
            continue
        if "EVID" not in header:
            amt, mdv = values.get("AMT"), values.get("MDV")
            values["EVID"] = 1 if amt is not None and amt > 0 else 2 if mdv == 1 else 0
        parsed.append((row, EventRecord(**{c.lower(): v for c, v in values.items()})))

    problems += _check(parsed)
    if problems:
        raise DataError(_report(label, problems))
    notes = ()
    if "EVID" not in header:
        notes = (f"{label}: no EVID column; EVID inferred from AMT and MDV "
                 "(AMT > 0 -> 1 dose, else MDV 1 -> 2 other, else 0 observation)",)
        warnings.warn(notes[0], UserWarning, stacklevel=2)
    return EventTable(tuple(r for _, r in parsed), notes)


# ---- writing ----------------------------------------------------------------------------------

def format_events(table: EventTable) -> str:
    """The table as CSV text: the nine core columns, plus DV, DRUG, MDV where any record has one."""
    extra = [c for c in ("DV", "DRUG", "MDV") if any(getattr(r, c.lower()) is not None
                                                     for r in table.records)]
    columns = list(_ALWAYS_WRITTEN) + extra
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for r in table.records:
        writer.writerow([(r.drug if r.drug is not None else ".") if c == "DRUG"
                         else _num(getattr(r, c.lower())) for c in columns])
    return out.getvalue()


def write_events(table: EventTable, path: Union[str, os.PathLike]) -> None:
    """Write CSV that read_events reads back to an equal table."""
    Path(path).write_text(format_events(table))



def to_plan(table: EventTable, id: Optional[int] = None, *, drug: Optional[str] = None,
            plan=None, offset_h: float = 0.0, ss_doses: int = 20):
    """The doses of one subject as a neuroscape `Plan` (ADVAN2 convention: CMT 1 = depot, oral;
    CMT 2 = central, IV; RATE > 0 = zero-order infusion of AMT/RATE hours). Doses without a DRUG
    column need `drug=`; TIME 0 is protocol time `offset_h` (0 by default; a positive offset makes
    room for the doses an SS=1 record puts before its TIME)."""
    from ..plan import Plan, add_dose

    plan = plan or Plan()
    for k, dose in enumerate(table.dose_events(id, ss_doses=ss_doses)):
        name = dose.drug or drug
        if not name:
            raise DataError(f"dose {k + 1} (TIME {dose.time_h:g}) names no drug: add a DRUG column or "
                            "pass drug=...")
        route = "iv" if (dose.cmt == 2 or (dose.rate or 0) > 0) else "oral"
        infusion = dose.amount_mg / dose.rate if dose.rate else None
        plan = add_dose(plan, name, dose.time_h + offset_h, dose.amount_mg, route=route, infusion_h=infusion)
    return plan
