"""Records -> model observations: each value in the model readout's unit, its time after the
plan's start, and its measurement-error model. `check_record` finds every problem at once.

    sigma(obs, predicted) = cv*|predicted|                  (proportional)
                          = sd                              (additive)
                          = sqrt((cv*predicted)^2 + sd^2)   (combined)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Optional

from ..errors import DataError
from .records import HOUR_S, Observation, PatientRecord, RecordError, plan_of
from .units import Entry, loinc_property, lookup, parse_ucum, to_model_unit


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
        want = "[mass] / [length] ** 3" if prop == "MCnc" else "[substance] / [length] ** 3"
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
                        f"(and their metabolites: {meds}); add the medication or remove the level")
    value = to_model_unit(obs.value, obs.unit, entry)
    lo, hi = entry.plausible.low, entry.plausible.high
    if not lo <= value <= hi:
        raise DataError(f"value {_fmt(obs.value)} {obs.unit} = {_fmt(value)} {entry.unit} is outside the "
                        f"plausible range {_fmt(lo)}-{_fmt(hi)} {entry.unit} for {entry.label}; check "
                        "the value and its unit")
    return entry, value


def check_record(record: PatientRecord, *, now: Optional[datetime] = None) -> list[str]:
    """Every problem of the record, each naming its source: unknown codes (with close names),
    units of the wrong dimension, implausible values, drug levels without the drug, duplicates,
    times in the future (after `now`, default the current UTC time)."""
    now = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    problems, seen = [], {}
    allowed = _allowed_drugs(record)
    for obs in record.observations:
        try:
            _convert(obs, allowed)
        except DataError as exc:
            problems.append(f"{obs.source}: {exc}")
        if obs.time > now:
            problems.append(f"{obs.source}: time {obs.time.isoformat()} is in the future "
                            f"(now {now.isoformat(timespec='seconds')}); check the date")
        key = (obs.code.lower(), obs.time, obs.value, obs.region)
        if key in seen:
            problems.append(f"{obs.source}: duplicate of {seen[key]} (same code {obs.code}, time "
                            f"{obs.time.isoformat()} and value {_fmt(obs.value)}); remove one")
        else:
            seen[key] = obs.source
    for med in record.medications:
        if med.first_dose > now:
            problems.append(f"{med.source}: first dose {med.first_dose.isoformat()} is in the future")
    return problems


def model_observations(record: PatientRecord) -> tuple[ModelObservation, ...]:
    """The record's observations in model units, times in hours after plan_of(record)'s t0.
    Any problem (see check_record; the future is not checked here) raises one RecordError."""
    allowed = _allowed_drugs(record)
    _, t0 = plan_of(record)
    out, problems = [], []
    for obs in record.observations:
        try:
            entry, value = _convert(obs, allowed)
        except DataError as exc:
            problems.append(f"{obs.source}: {exc}")
            continue
        if not record.medications or obs.time < t0:
            time_h = None
        else:
            time_h = (obs.time - t0).total_seconds() / HOUR_S
        err = entry.error
        region = obs.region if entry.region == "required" else entry.region
        out.append(ModelObservation(entry.quantity, region, value, entry.unit, time_h, err.kind,
                                    err.cv, err.sd, entry.label, obs.source))
    if problems:
        raise RecordError(f"record {record.patient_id!r}", problems)
    return tuple(out)
