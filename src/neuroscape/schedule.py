"""The rules of a dose schedule: one dose of `dose_mg` at `start_h`, or `count` doses `every_h` hours apart.

They live here once. The plan (add_dose, add_hormone_dose), the protocol schema and the patient records
check a schedule with `schedule_problems` and word each problem for their reader (a Python caller, a
key in a protocol file, a row of a record), so a limit changed here changes all three. Limits are read
when a schedule is checked, not copied at import.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Integral, Real

from . import limits

MAX_DOSE_MG = 200_000.0  # 200 g; the drug-specific bound (10x label maximum) needs the drug library
MAX_COUNT = 100_000  # hourly dosing for 10 years fits; bounds the number of dose times


def _finite(x: object) -> bool:
    return isinstance(x, Real) and not isinstance(x, bool) and math.isfinite(x)


def is_dose(dose_mg: object) -> bool:
    """A positive, finite number of milligrams, at most MAX_DOSE_MG."""
    return _finite(dose_mg) and 0 < dose_mg <= MAX_DOSE_MG  # type: ignore[operator]


def is_interval(every_h: object, shortest_h: float = 0.0) -> bool:
    """A positive number of hours between doses, at least `shortest_h`, at most the longest protocol."""
    return _finite(every_h) and 0 < every_h and shortest_h <= every_h <= limits.MAX_TIME_H  # type: ignore[operator]


def is_count(count: object) -> bool:
    """A whole number of doses from 1 to MAX_COUNT."""
    return isinstance(count, Integral) and not isinstance(count, bool) and 1 <= count <= MAX_COUNT


@dataclass(frozen=True)
class ScheduleProblem:
    """What is wrong with a schedule. `key` is the field at fault (dose_mg, every_h or count); `rule`
    is one of dose, interval, count (a value outside its range), needs_interval (several doses
    without every_h) or too_long (the last dose, at `last_h`, falls after the longest protocol)."""

    key: str
    rule: str
    last_h: float = 0.0


def schedule_problems(start_h: float, dose_mg: float, every_h: float | None, count: int, *,
                      shortest_h: float = 0.0) -> list[ScheduleProblem]:
    """Every problem of the schedule, in the order dose, interval, count, the schedule as a whole.
    `shortest_h` raises the shortest interval (the records: below half an hour is an infusion or a typo)."""
    problems = []
    if not is_dose(dose_mg):
        problems.append(ScheduleProblem("dose_mg", "dose"))
    interval_ok = every_h is None or is_interval(every_h, shortest_h)
    if not interval_ok:
        problems.append(ScheduleProblem("every_h", "interval"))
    if not is_count(count):
        problems.append(ScheduleProblem("count", "count"))
    elif count > 1 and every_h is None:
        problems.append(ScheduleProblem("count", "needs_interval"))
    elif count > 1 and interval_ok:
        last = start_h + (count - 1) * every_h  # type: ignore[operator]
        if last > limits.MAX_TIME_H:
            problems.append(ScheduleProblem("count", "too_long", last))
    return problems


def dose_times(start_h: float, every_h: float | None, count: int) -> tuple[float, ...]:
    """The dose times of a valid schedule (one dose at start_h without every_h)."""
    if every_h is None:
        return (start_h,)
    return tuple(start_h + k * every_h for k in range(count))
