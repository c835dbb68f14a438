"""A record on the model's time axis: subject, plan, t0 and observations, with a cycling woman
placed at her cycle phase when the record gives her last menstrual period (LMP).

Without an LMP (or for a man) this is `subject`, `plan_of` and `model_observations` as they are:
a woman's steady state is the cycle average (estradiol_base_female). With an LMP:

- t0 is the earliest of the first dose and the first observation, and she starts there in the
  cycle's periodic state at her cycle day (Subject.cycle_day; the scenario's run-in,
  neuroscape/scenario.py); from t0 the model's 28-day template (interventions/menstrual_cycle.py)
  carries her through the phases, so every observation is predicted at its own cycle day: a
  sample after t0 is integrated to its time (no longer a steady-state "baseline"), and the plan's
  doses start at their own time after t0.
- cycle day 1 begins at 00:00 UTC of the LMP date (a date has no time zone: the phase is known
  to within a day, the template's resolution). Before the LMP the earlier cycles are taken as
  regular template cycles (28 days), so a first dose 6 weeks before the LMP is placed 1.5 cycles
  back; after it her day is counted on (up to the template's day 35, read as luteal).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from ..plan import Plan
from ..subject import RANGES, Subject
from .observations import ModelObservation, model_observations
from .records import HOUR_S, PatientRecord, RecordError, lmp_day_one as _day_one, lmp_problems, plan_of, subject

DAY_S = 86400.0


@dataclass(frozen=True)
class Timeline:
    """What calibration needs of a record: the subject (with cycle_day from the LMP), the plan in
    hours after t0, t0, and the observations with their times after t0."""

    subject: Subject
    plan: Plan
    t0: datetime
    observations: tuple[ModelObservation, ...]


def _cycle_length() -> int:
    from ..interventions.menstrual_cycle import cycle_data

    return int(cycle_data()["cycle_length_days"])


def cycle_day_at(record: PatientRecord, when: datetime) -> float:
    """Her cycle day (1 = the first day of the period, fractional) at `when`: counted on from the
    LMP, or back over regular template cycles before it."""
    days = (when - _day_one(record)).total_seconds() / DAY_S
    return 1.0 + (days if days >= 0 else days % _cycle_length())


def _shifted(plan: Plan, hours: float) -> Plan:
    if hours == 0:
        return plan
    return replace(plan, doses=tuple(replace(d, at_h=d.at_h + hours) for d in plan.doses))


def timeline(record: PatientRecord) -> Timeline:
    """The record on the model's time axis (see the module doc); RecordError for an impossible LMP."""
    person = subject(record)
    plan, t0 = plan_of(record)
    if record.last_menstrual_period is None:
        return Timeline(person, plan, t0, model_observations(record))
    problems = lmp_problems(record)
    if problems:
        raise RecordError(f"record {record.patient_id!r}", problems)
    origin = min([t0, *(o.time for o in record.observations)])
    plan = _shifted(plan, (t0 - origin).total_seconds() / HOUR_S)
    # the day at t0 within the Subject's range: a fraction below 1 (a midnight rounding) is day 1
    day = min(max(cycle_day_at(record, origin), 1.0), RANGES["cycle_day"][1])
    return Timeline(replace(person, cycle_day=round(day, 6)), plan, origin,
                    model_observations(record, origin=origin))

