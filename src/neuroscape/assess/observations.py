"""Records -> model observations: each value in the model readout's unit, its time after the
plan's start, and its measurement-error model. `check_record` finds every problem at once.

    sigma(obs, predicted) = cv*|predicted|                  (proportional)
                          = sd                              (additive)
                          = sqrt((cv*predicted)^2 + sd^2)   (combined)

A censored observation ("<5": `censor` "<", `value` 5, the limit) keeps the limit as its value
and the same error model: its likelihood is the probability of a measurement beyond the limit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Optional

from ..errors import DataError
from ..limits import MAX_TIME_H
from .records import HOUR_S, Observation, PatientRecord, RecordError, lmp_problems, plan_of
from .units import MASS_CONC, MOLAR_CONC, Entry, loinc_property, lookup, parse_ucum, to_model_unit


# A sample at a dose instant is placed this much earlier (1 s): far above the integrator's
# same-instant tolerance, far below any pharmacokinetic time scale.
PRE_DOSE_H = 1.0 / 3600.0


@dataclass(frozen=True)
class ModelObservation:
    """One observation in model terms. `time_h` is hours after the plan's t0, or None for a
    baseline (taken before any medication, or in a record without medication): fitted at the
    subject's steady state."""

    quantity: str
    region: Optional[str]
    value: float
    unit: str
    time_h: Optional[float]
    error_kind: str
    cv: float
    sd: float
    label: str
    source: str
    clock_h: Optional[float] = None  # local clock hour (circadian analytes are compared at it)
    # "<": the true value is below `value` (a limit), ">": above it; fitted with the M3
    # likelihood (the probability of lying beyond the limit, problem.censored_residual).
    censor: Optional[str] = None


def sigma(obs: ModelObservation, predicted: float) -> float:
    """Standard deviation of a measurement whose true (model) value is `predicted`."""
    if obs.error_kind == "proportional":
        return obs.cv * abs(predicted)
    if obs.error_kind == "additive":
        return obs.sd
    return math.hypot(obs.cv * predicted, obs.sd)


def _allowed_drugs(record: PatientRecord) -> set[str]:
    """The record's drugs and (recursively) their active metabolites."""
    from ..pharmacology.library import load_drug

    out, todo = set(), [m.drug for m in record.medications]
    while todo:
        d = todo.pop()
        if d not in out:
            out.add(d)
            todo += list(load_drug(d).metabolites)
    return out


def _fmt(x: float) -> str:
    return f"{x:.4g}"


def _convert(obs: Observation, allowed: set[str]) -> tuple[Entry, float]:
    """(entry, value in model unit) or DataError naming the problem (without the source)."""
    entry = lookup(obs.code)
    prop = loinc_property(obs.code)
    if prop in ("MCnc", "SCnc"):
        dim = str(parse_ucum(obs.unit).dimensionality)
        want = MASS_CONC if prop == "MCnc" else MOLAR_CONC
        if dim != want:
            kind, example = (("mass", "ug/dL or ng/mL") if prop == "MCnc" else ("molar", "nmol/L"))
            raise DataError(f"unit {obs.unit!r} does not fit LOINC {obs.code} ({kind} concentration, "
                            f"e.g. {example}); use the LOINC code for the unit reported")
    if obs.specimen not in entry.specimens:
        raise DataError(f"specimen {obs.specimen!r} does not fit {entry.label}; allowed: "
                        f"{', '.join(entry.specimens)}")
    if entry.region == "required" and not obs.region:
        raise DataError(f"{entry.label} needs a region (e.g. cortex, hippocampus, striatum, prefrontal)")
    if entry.drug is not None and entry.drug not in allowed:
        meds = ", ".join(sorted(allowed)) or "none"
        raise DataError(f"{entry.label}: {entry.drug} is not among the record's medications "
                        f"(and their metabolites: {meds}); add the medication (or fix it, if its entry is "
                        "reported too) or remove the level")
    value = to_model_unit(obs.value, obs.unit, entry)
    lo, hi = entry.plausible.low, entry.plausible.high
    if not lo <= value <= hi:
        raise DataError(f"value {_fmt(obs.value)} {obs.unit} = {_fmt(value)} {entry.unit} is outside the "
                        f"plausible range {_fmt(lo)}-{_fmt(hi)} {entry.unit} for {entry.label}; check "
                        "the value and its unit")
    return entry, value


def _identity(obs: Observation) -> str:
    """What an observation measures: its table entry's key when known (so that a LOINC code and
    a name of the same analyte compare equal), else the code as given."""
    try:
        return lookup(obs.code).key
    except DataError:
        return obs.code.lower()


def _duplicates(record: PatientRecord) -> list[str]:
    problems, seen = [], {}
    for obs in record.observations:
        key = (_identity(obs), obs.time, obs.value, obs.region)
        if key in seen:
            problems.append(f"{obs.source}: duplicate of {seen[key]} (same measurement {key[0]}, time "
                            f"{obs.time.isoformat()} and value {_fmt(obs.value)}); remove one")
        else:
            seen[key] = obs.source
    meds = {}
    for m in record.medications:
        # The same dosing twice would double every dose in the plan.
        key = (m.drug, m.first_dose, m.dose_mg, m.every_h, m.route)
        if key in meds:
            problems.append(f"{m.source}: duplicate of {meds[key]} ({m.drug} {m.dose_mg:g} mg from "
                            f"{m.first_dose.isoformat()} every {m.every_h:g} h); remove one, or the "
                            "doses count twice")
        else:
            meds[key] = m.source
    return problems


def _timeline(record: PatientRecord, now: datetime) -> list[str]:
    """Times in the future, before birth, or beyond the longest history the model simulates."""
    problems = []
    born = None
    if record.birth_date is not None:
        born = datetime.combine(record.birth_date, datetime.min.time(), tzinfo=timezone.utc)
        if born > now:
            problems.append(f"birth_date {record.birth_date.isoformat()} is in the future; check the year")
    items = [(o.source, "time", o.time) for o in record.observations]
    items += [(m.source, "first dose", m.first_dose) for m in record.medications]
    for source, what, t in items:
        if t > now:
            problems.append(f"{source}: {what} {t.isoformat()} is in the future "
                            f"(now {now.isoformat(timespec='seconds')}); check the date")
        # a day of slack: a birth date carries no time zone
        if born is not None and t < born - timedelta(days=1):
            problems.append(f"{source}: {what} {t.isoformat()} is before the birth date "
                            f"{record.birth_date.isoformat()}; check the year of both")
    if record.medications:
        t0 = min(m.first_dose for m in record.medications)
        # the plan refuses doses past the longest history (schedule.py); say so here, naming the row
        for source, what, t in items + [(m.source, "last dose", m.last_dose) for m in record.medications]:
            if (t - t0).total_seconds() / HOUR_S > MAX_TIME_H:
                problems.append(f"{source}: {what} {t.isoformat()} is more than {MAX_TIME_H / 8760:g} years "
                                f"after the first dose ({t0.isoformat()}), the longest history the model "
                                "simulates; give a later first dose or leave the old values out")
    return problems


def check_record(record: PatientRecord, *, now: Optional[datetime] = None) -> list[str]:
    """Every problem of the record, each naming its source: unknown codes (with close names),
    units of the wrong dimension, implausible values, drug levels without the drug, duplicates,
    times in the future (after `now`, default the current UTC time) or before birth, an impossible
    last menstrual period."""
    now = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    problems = []
    allowed = _allowed_drugs(record)
    for obs in record.observations:
        try:
            _convert(obs, allowed)
        except DataError as exc:
            problems.append(f"{obs.source}: {exc}")
    return problems + _timeline(record, now) + _duplicates(record) + lmp_problems(record)


def _ms(t: datetime) -> int:
    return round(t.timestamp() * 1000)


def _dose_instants(record: PatientRecord) -> set[int]:
    """Every dose time, in ms since the epoch (so that float hours times compare exactly)."""
    return {_ms(m.first_dose) + round(m.every_h * HOUR_S * 1000 * k)
            for m in record.medications for k in range(m.count)}


def _time_h(obs: Observation, t0: datetime, doses: set[int], timed: bool) -> Optional[float]:
    """Hours after t0; None at or before t0, and for every sample when not `timed` (a record
    without medication). A sample taken at the same instant as a dose counts as drawn just before
    it (the trough convention; the model reports the state after a dose given at an output time):
    at t0 it is a baseline, at a later dose it is placed PRE_DOSE_H earlier."""
    if not timed or obs.time <= t0:
        return None
    time_h = (obs.time - t0).total_seconds() / HOUR_S
    return time_h - PRE_DOSE_H if _ms(obs.time) in doses else time_h


def model_observations(record: PatientRecord, *, origin: Optional[datetime] = None) -> tuple[ModelObservation, ...]:
    """The record's observations in model units, times in hours after plan_of(record)'s t0
    (None for a baseline: before the first dose, or at its instant). Any problem (see
    check_record; the future is not checked here) raises one RecordError. `origin`: another t0
    at or before every sample (assess.cycle: a cycling woman's samples are each integrated to
    their own time, at their cycle day); only samples at it are baselines then."""
    allowed = _allowed_drugs(record)
    t0 = plan_of(record)[1] if origin is None else origin
    timed = bool(record.medications) or origin is not None
    doses = _dose_instants(record)
    out, problems = [], []
    for obs in record.observations:
        try:
            entry, value = _convert(obs, allowed)
        except DataError as exc:
            problems.append(f"{obs.source}: {exc}")
            continue
        err = entry.error
        region = obs.region if entry.region == "required" else entry.region
        out.append(ModelObservation(entry.quantity, region, value, entry.unit, _time_h(obs, t0, doses, timed),
                                    err.kind, err.cv, err.sd, entry.label, obs.source, obs.clock_h,
                                    obs.censor))
    if problems:
        raise RecordError(f"record {record.patient_id!r}", problems)
    return tuple(out)
