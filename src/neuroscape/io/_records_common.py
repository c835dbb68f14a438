"""Shared steps of the patient-record importers: collect problems, build, check, raise once."""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone
from typing import Callable, Optional

from pydantic import ValidationError

from ..assess.observations import check_record
from ..assess.records import PatientRecord, RecordError


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
    except (ValueError, TypeError) as exc:
        problems.append(f"{where}: {exc}")
    except Exception as exc:  # DataError etc. from the library
        from ..errors import NeuroscapeError

        if not isinstance(exc, NeuroscapeError):
            raise
        problems.append(f"{where}: {exc}")
    return None


def doses_until(first: datetime, every_h: float, until: Optional[datetime]) -> int:
    """Doses from `first` every `every_h` h up to and including `until` (at least 1)."""
    if until is None or until <= first:
        return 1
    return int(math.floor((until - first) / timedelta(hours=every_h) + 1e-9)) + 1


def finish(label: str, fields: dict, problems: list[str], now: Optional[datetime]) -> PatientRecord:
    """Build the record and check it; any problem (collected or found) raises one RecordError."""
    record = None
    try:
        record = PatientRecord(**fields)
    except ValidationError as exc:
        problems += validation_messages(exc)
    if record is not None:
        problems += check_record(record, now=now or datetime.now(timezone.utc))
    if problems:
        raise RecordError(label, problems)
    return record
