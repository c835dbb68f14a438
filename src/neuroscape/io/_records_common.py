"""Shared steps of the patient-record importers: read text, parse numbers, collect problems,
build, check, raise once."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Callable, Optional

from pydantic import ValidationError

from ..assess.observations import check_record
from ..assess.records import PatientRecord, RecordError
from ..errors import DataError, NeuroscapeError


def read_text(path: Path, what: str) -> str:
    """The file as text: UTF-8, a leading byte-order mark dropped (spreadsheets write one).
    DataError for unreadable or binary files."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DataError(f"cannot read {str(path)!r}: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(f"{path.name}: not UTF-8 text (byte {exc.start} is 0x{data[exc.start]:02x}); "
                        f"a {what} must be saved as UTF-8 text") from None
    if "\x00" in text:
        raise DataError(f"{path.name}: holds NUL bytes, so it is a binary file, not a {what}")
    if not text.strip():
        raise DataError(f"{path.name}: the file is empty; expected a {what}")
    return text


def number(text: str, column: str) -> float:
    """A finite float from `text`; ValueError naming the column and the text otherwise."""
    try:
        x = float(str(text).strip())
    except ValueError:
        raise ValueError(f"{column} {text!r} is not a number (write e.g. 12.5, with a decimal point)") from None
    if not math.isfinite(x):
        raise ValueError(f"{column} {text!r} is not a finite number")
    return x


def validation_messages(exc: ValidationError) -> list[str]:
    """pydantic's errors as plain sentences (our validators already name the source)."""
    out = []
    for err in exc.errors():
        msg = str(err.get("msg", "")).removeprefix("Value error, ")
        loc = ".".join(str(x) for x in err.get("loc", ()) if x != "__root__")
        out.append(f"{loc}: {msg}" if loc and not msg.startswith(loc) else msg)
    return out


def attempt(problems: list[str], where: str, make: Callable):
    """make(), or None with the problem recorded (prefixed by `where` unless already named)."""
    try:
        return make()
    except ValidationError as exc:
        problems += [m if m.startswith(where) else f"{where}: {m}" for m in validation_messages(exc)]
    except (ValueError, TypeError, ArithmeticError, NeuroscapeError) as exc:  # DataError etc. too
        problems.append(f"{where}: {exc}")
    return None


def mass(value: float, unit: str, target: str, not_a_mass: str) -> float:
    """`value` `unit` (UCUM) in `target` (a pint mass unit: kilogram, milligram). DataError for
    text that is not UCUM; ValueError `not_a_mass` (naming the field and the unit to write)
    for a unit of another dimension."""
    from pint import DimensionalityError

    from ..assess.units import parse_ucum

    q = parse_ucum(unit) * value
    try:
        return float(q.to(target).magnitude)
    except DimensionalityError:
        raise ValueError(not_a_mass) from None


def doses_until(first: datetime, every_h: float, until: Optional[datetime]) -> int:
    """Doses from `first` every `every_h` h up to and including `until` (at least 1)."""
    if not (math.isfinite(every_h) and every_h > 0):
        raise ValueError(f"every_h {every_h} must be a finite number of hours > 0 (24 = once daily)")
    if until is None or until <= first:
        return 1
    return int(math.floor((until - first) / timedelta(hours=every_h) + 1e-9)) + 1


def last_taken(first: datetime, end: Optional[datetime], ref: Optional[datetime], what: str) -> Optional[datetime]:
    """The time up to which doses count: the stated end of the medication (`what` names it)
    capped at the reference time `ref`, so that no dose lies after the record's last time. An
    end before the first dose is an error, not one dose."""
    if end is not None and end < first:
        raise ValueError(f"{what} {end.isoformat()} is before the first dose {first.isoformat()}; "
                         "check both dates")
    ends = [t for t in (end, ref) if t is not None]
    return min(ends) if ends else None


def lmp_from_cycle_day(day: float, on: date) -> date:
    """The first day of the last menstrual period, from the cycle day counted on `on` (day 1 = the first
    day of the period). The allowed days are the Subject's cycle_day range (subject.RANGES)."""
    from ..subject import RANGES

    lo, hi = RANGES["cycle_day"]
    if not (math.isfinite(day) and day == int(day) and lo <= day <= hi):
        raise ValueError(f"cycle day {day:g} must be a whole number of days from {lo:g} to {hi:g} (1 = the "
                         "first day of the period); for a longer gap give the date of the last menstrual period")
    return on - timedelta(days=int(day) - 1)


def check_lmp(lmp: date, recorded: Optional[date]) -> date:
    """`lmp` if it is not after the day it was recorded on; ValueError otherwise."""
    if recorded is not None and lmp > recorded:
        raise ValueError(f"last menstrual period {lmp.isoformat()} is after the date it was recorded "
                         f"({recorded.isoformat()}); check both dates")
    return lmp


def _lmp_problems(record: PatientRecord, now: datetime) -> list[str]:
    lmp = record.last_menstrual_period
    if lmp is None:
        return []
    if record.sex == "male":
        return [f"a last menstrual period ({lmp.isoformat()}) is given but sex is male; the model needs the "
                "physiological sex: correct the sex, or remove the menstrual entry"]
    if lmp > now.date():
        return [f"last menstrual period {lmp.isoformat()} is in the future (now {now.date().isoformat()}); "
                "check the date"]
    if record.birth_date is not None and lmp < record.birth_date:
        return [f"last menstrual period {lmp.isoformat()} is before the birth date {record.birth_date.isoformat()}"]
    return []


# Stand-ins that let check_record run when the demographics are missing, so that the file's
# other problems are listed too. They never reach a returned record.
_STAND_INS = {"patient_id": "?", "sex": "female", "age_years": 40.0}
_MISSING = {"patient_id": "no patient id", "sex": "no sex given (male or female)",
            "age_years": "no birth date or age given"}


def finish(label: str, fields: dict, problems: list[str], now: Optional[datetime],
           explained: frozenset = frozenset()) -> PatientRecord:
    """Build the record and check it; any problem (collected or found) raises one RecordError.
    `explained`: the missing fields (patient_id, sex, age_years) the importer has already
    reported in its own words."""
    fields = {k: v for k, v in fields.items() if v is not None}
    missing = [k for k in ("patient_id", "sex") if k not in fields]
    if "birth_date" not in fields and "age_years" not in fields:
        missing.append("age_years")
    problems += [f"{label}: {_MISSING[k]}" for k in missing if k not in explained]
    fields = {**fields, **{k: _STAND_INS[k] for k in missing}}
    record = None
    try:
        record = PatientRecord(**fields)
    except ValidationError as exc:
        problems += validation_messages(exc)
    if record is not None:
        now = now or datetime.now(timezone.utc)
        problems += check_record(record, now=now) + _lmp_problems(record, now)
    if problems:  # every line names the file, at least
        raise RecordError(label, [m if m.startswith(label) else f"{label}: {m}" for m in problems])
    return record
