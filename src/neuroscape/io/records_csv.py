"""Patient records in a long CSV format (docs/assessment.md has the full description).

Columns: patient_id, time (ISO 8601 with offset), code and/or name, value, unit; optional
specimen, region, every_h, until, route. One row per measured value. Rows whose `name` is one
of these carry the rest of the record:

    sex                 value male | female
    birth_date          value YYYY-MM-DD            (or `age`, value in years)
    weight              value + unit (kg, [lb_av])
    genotype:CYP2D6     value '*4/*4' or a phenotype word
    medication:DRUG     value dose, unit mg, time = first dose, every_h, optional until
                        (last dose taken; default: the latest observation), route (oral)
    condition, note     value is free text (never parsed for numbers)

All problems of a file are reported in one RecordError and nothing is imported.
"""

from __future__ import annotations

import csv
import io
import os
from datetime import date, datetime
from pathlib import Path
from typing import Optional, Union

from ..assess.records import Genotype, Medication, Observation, PatientRecord
from ..errors import DataError
from ._records_common import attempt, doses_until, finish

REQUIRED = ("patient_id", "time", "value", "unit")
OPTIONAL = ("code", "name", "specimen", "region", "every_h", "until", "route")
_SPECIAL = ("sex", "birth_date", "age", "weight", "condition", "note")


def _time(text: str, column: str) -> datetime:
    try:
        t = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{column} {text!r} is not an ISO 8601 time (e.g. 2026-03-02T08:30:00Z)") from None
    if t.tzinfo is None:
        raise ValueError(f"{column} {text!r} has no time zone; add Z (UTC) or an offset such as +01:00")
    return t


def _number(text: str, column: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"{column} {text!r} is not a number") from None


def read_records_csv(path: Union[str, os.PathLike], *, now: Optional[datetime] = None) -> PatientRecord:
    """Read one patient's long-format CSV. `now` (default: current UTC time) is the limit for
    'time in the future'."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise DataError(f"cannot read {str(path)!r}: {exc}") from None
    label = path.name
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    reader = csv.DictReader(io.StringIO("\n".join(lines)))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED if c not in header]
    if "code" not in header and "name" not in header:
        missing.append("code or name")
    unknown = [h for h in header if h not in REQUIRED + OPTIONAL]
    if missing or unknown:
        raise DataError(f"{label}: " + "; ".join(
            ([f"missing column(s) {', '.join(missing)}"] if missing else []) +
            ([f"unknown column(s) {', '.join(unknown)}; allowed: {', '.join(REQUIRED + OPTIONAL)}"] if unknown else [])))

    problems: list[str] = []
    fields: dict = {}
    observations, genotypes, conditions, notes, meds = [], [], [], [], []
    ids = set()
    for n, raw in enumerate(reader, 2):  # row numbers as a spreadsheet shows them (header = 1)
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items()}
        where = f"{label} row {n}"
        if row.get("patient_id"):
            ids.add(row["patient_id"])
        name, code, value, unit = row.get("name", ""), row.get("code", ""), row["value"], row["unit"]
        key = name.lower()
        if key in _SPECIAL:
            if key == "sex":
                fields["sex"] = value.lower()
            elif key == "birth_date":
                fields["birth_date"] = attempt(problems, where, lambda: date.fromisoformat(value))
            elif key == "age":
                fields["age_years"] = attempt(problems, where, lambda: _number(value, "value"))
            elif key == "weight":
                fields["weight_kg"] = attempt(problems, where, lambda: _weight(value, unit))
            elif key == "condition":
                conditions.append(value)
            else:
                notes.append(value)
            continue
        if key.startswith("genotype:"):
            g = attempt(problems, where, lambda: Genotype(gene=name.split(":", 1)[1].strip().upper(),
                                                          value=value, source=where))
            if g is not None:
                genotypes.append(g)
            continue
        if key.startswith("medication:"):
            meds.append((where, name.split(":", 1)[1].strip().lower(), row))
            continue
        obs = attempt(problems, where, lambda: _observation(row, where))
        if obs is not None:
            observations.append(obs)

    if len(ids) > 1:
        problems.append(f"{label}: {len(ids)} patient_ids ({', '.join(sorted(ids))}); one file holds one person")
    ref = max((o.time for o in observations), default=None)
    medications = []
    for where, drug, row in meds:
        m = attempt(problems, where, lambda: _medication(drug, row, where, ref))
        if m is not None:
            medications.append(m)
    fields.update(patient_id=next(iter(ids), path.stem), observations=tuple(observations),
                  genotypes=tuple(genotypes), medications=tuple(medications),
                  conditions=tuple(conditions), notes=tuple(notes))
    if "sex" not in fields:
        problems.append(f"{label}: no 'sex' row (name sex, value male or female)")
    return finish(label, fields, problems, now)


def _weight(value: str, unit: str) -> float:
    from ..assess.units import parse_ucum

    q = parse_ucum(unit or "kg") * _number(value, "value")
    try:
        return float(q.to("kilogram").magnitude)
    except Exception:
        raise ValueError(f"weight unit {unit!r} is not a mass; use kg or [lb_av]") from None


def _observation(row: dict, where: str) -> Observation:
    from ..assess.units import lookup
    from ..errors import DataError as _DE

    code, name = row.get("code", ""), row.get("name", "")
    ident = code or name
    if not ident:
        raise ValueError("neither code nor name is given")
    try:
        entry = lookup(ident)
    except _DE:
        entry = None  # reported by check_record, with close names
    specimen = row.get("specimen") or (entry.specimens[0] if entry else "plasma")
    return Observation(code=code or (entry.key if entry else name), name=name or (entry.label if entry else code),
                       value=_number(row["value"], "value"), unit=row["unit"],
                       time=_time(row["time"], "time"), specimen=specimen,
                       region=row.get("region") or None, source=where)


def _medication(drug: str, row: dict, where: str, ref) -> Medication:
    first = _time(row["time"], "time")
    if (row.get("unit") or "mg") != "mg":
        raise ValueError(f"medication dose unit {row['unit']!r}; write the dose in mg")
    every_h = _number(row.get("every_h") or "24", "every_h")
    until = _time(row["until"], "until") if row.get("until") else ref
    return Medication(drug=drug, dose_mg=_number(row["value"], "value"), route=row.get("route") or "oral",
                      first_dose=first, every_h=every_h, count=doses_until(first, every_h, until),
                      source=where)
