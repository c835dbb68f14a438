"""Patient records in a long CSV format (docs/assessment.md has the full description).

Columns: patient_id, time (ISO 8601 with offset), code and/or name, value, unit; optional
specimen, region, every_h, until, route. One row per measured value. Rows whose `name` is one
of these carry the rest of the record:

    sex                 value male | female
    birth_date          value YYYY-MM-DD            (or `age`, value in years)
    weight              value + unit (kg, [lb_av])
    genotype:CYP2D6     value '*4/*4' or a phenotype word
    population          value: the biogeographic group whose CYP phenotype frequencies apply when a
                        genotype is missing (european, estonian; assess/mixture.py)
    medication:DRUG     value dose, unit mg, time = first dose, every_h, optional until
                        (last dose taken; doses after the latest observation are not
                        counted), route (oral or iv)
    condition, note     value is free text (never parsed for numbers)
    last_menstrual_period   value YYYY-MM-DD, the first day of the last period (also `lmp`)
    cycle_day           value N (1 = first day of the period), time = the day it was counted

A value written as a limit ('<5', '>1000') is a censored observation. A name or code the mapping table does
not hold is skipped and counted in the import summary, unless it is a likely misspelling of a mapped name
('tryptofan'), which is an error; so is a medication:DRUG the library does not model (listed as not
modelled) unless its name is a misspelling of a library drug.

The file is UTF-8 (a byte-order mark is dropped), comma-separated; `#` lines are comments.
Row numbers count from the header (row 1), blank and comment lines included. All problems of
a file are reported in one RecordError and nothing is imported.
"""

from __future__ import annotations

import csv
import io
import os
import re
from datetime import date, datetime
from pathlib import Path
from typing import Iterator, Optional, Union

from ..assess.records import (SPECIMENS, Genotype, Medication, Observation, PatientRecord, RecordError, check_age,
                              check_population,
                              check_weight)
from ..errors import DataError
from ._records_common import (attempt, check_lmp, doses_until, finish, last_taken, lmp_from_cycle_day, mass, number,
                              read_text)
from .import_summary import ImportLog, ImportSummary

REQUIRED = ("patient_id", "time", "value", "unit")
OPTIONAL = ("code", "name", "specimen", "region", "every_h", "until", "route")
_ONCE = {"sex": "sex", "birth_date": "birth_date", "age": "age_years", "population": "population"}  # name -> field


def _time(text: str, column: str) -> datetime:
    try:
        t = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{column} {text!r} is not an ISO 8601 time (e.g. 2026-03-02T08:30:00Z)") from None
    if t.tzinfo is None:
        raise ValueError(f"{column} {text!r} has no time zone; add Z (UTC) or an offset such as +01:00")
    return t


def _rows(text: str, label: str) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """(header, (row number, cells) ...). Comment (#) and blank lines are skipped but still
    counted, so a row number is the one a spreadsheet shows counting from the header (= row 1)."""
    reader = csv.reader(io.StringIO(text))
    header, header_line = None, 0
    for cells in reader:
        if not any(c.strip() for c in cells) or cells[0].lstrip().startswith("#"):
            continue
        header, header_line = [c.strip().lower() for c in cells], reader.line_num
        break
    if header is None:
        raise DataError(f"{label}: no header row; the first line must name the columns, e.g. "
                        f"{','.join(REQUIRED)},code,name")
    if len(header) == 1 and any(d in header[0] for d in ";\t"):
        sep = "';'" if ";" in header[0] else "a tab"
        raise DataError(f"{label}: the columns are separated by {sep}; save the file as CSV with commas "
                        "between columns (and decimal points, not commas, in numbers)")

    def rows():
        for cells in reader:
            if any(c.strip() for c in cells) and not cells[0].lstrip().startswith("#"):
                yield reader.line_num - header_line + 1, cells
    return header, rows()


def _check_header(header: list[str], label: str) -> None:
    missing = [c for c in REQUIRED if c not in header]
    if "code" not in header and "name" not in header:
        missing.append("code or name")
    unknown = [h or "(empty)" for h in header if h not in REQUIRED + OPTIONAL]
    twice = sorted({h for h in header if h and header.count(h) > 1})
    if missing or unknown or twice:
        raise DataError(f"{label}: " + "; ".join(
            ([f"missing column(s) {', '.join(missing)}"] if missing else []) +
            ([f"unknown column(s) {', '.join(unknown)}; allowed: {', '.join(REQUIRED + OPTIONAL)}"]
             if unknown else []) +
            ([f"column(s) {', '.join(twice)} given twice; keep one"] if twice else [])))


def _cells(header: list[str], cells: list[str]) -> dict:
    """The row as {column: text}. More cells than columns is an error, even empty ones: an
    unquoted comma inside a value shifts every later column into the next one. Missing
    trailing cells are empty."""
    if len(cells) > len(header):
        extra = [repr(c) for c in cells[len(header):] if c.strip()][:3]
        raise ValueError(f"{len(cells)} fields but the header has {len(header)} columns"
                         f"{f' (extra: {chr(44).join(extra)})' if extra else ''}; put a value that contains "
                         "a comma in double quotes")
    return {h: (cells[k].strip() if k < len(cells) else "") for k, h in enumerate(header)}


def read_records_csv(path: Union[str, os.PathLike], *, now: Optional[datetime] = None) -> PatientRecord:
    """Read one patient's long-format CSV. `now` (default: current UTC time) is the limit for
    'time in the future'."""
    path = Path(path)
    return records_from_text(read_text(path, "CSV record"), path, now=now)


def records_from_text(text: str, path: Path, *, now: datetime | None = None) -> PatientRecord:
    """read_records_csv for a file already read (read_text) from `path` (names it in errors)."""
    return import_records_text(text, path, now=now).record


def import_records_csv(path: Union[str, os.PathLike], *, now: Optional[datetime] = None,
                       patient: Optional[str] = None) -> ImportSummary:
    """read_records_csv, returning the ImportSummary (record, what was skipped and why). `patient`: the
    patient_id to read from a file of several (the other rows are skipped)."""
    path = Path(path)
    return import_records_text(read_text(path, "CSV record"), path, now=now, patient=patient)


def import_records_text(text: str, path: Path, *, now: datetime | None = None,
                        patient: Optional[str] = None) -> ImportSummary:
    """import_records_csv for a file already read."""
    label = path.name
    log = ImportLog(label)
    lmps = []
    header, rows = _rows(text, label)
    _check_header(header, label)

    problems: list[str] = []
    once: dict = {}  # sex / birth_date / age: name -> (value, row)
    weights, observations, genotypes, conditions, notes, meds = [], [], [], [], [], []
    ids = set()
    named = set()  # special names seen, valid or not (a bad sex row is not a missing one)
    for n, cells in rows:
        where = f"{label} row {n}"
        row = attempt(problems, where, lambda: _cells(header, cells))
        if row is None:
            continue
        if patient is not None and row.get("patient_id") != patient:
            log.skip("row", row.get("patient_id", ""), "another patient's row", where)
            continue
        if row.get("patient_id"):
            ids.add(row["patient_id"])
        name, value, unit = row.get("name", ""), row["value"], row["unit"]
        key = name.lower()
        named.add(key)
        if key in _ONCE:
            attempt(problems, where, lambda: _once(once, key, value, where))
        elif key == "weight":
            w = attempt(problems, where, lambda: _weight(value, unit, row["time"], where))
            if w is not None:
                weights.append(w)
        elif key == "condition":
            conditions.append(value)
        elif key == "note":
            notes.append(value)
        elif key.startswith("genotype:"):
            g = attempt(problems, where, lambda: Genotype(gene=name.split(":", 1)[1].strip().upper(),
                                                          value=value, source=where))
            if g is not None:
                genotypes.append(g)
        elif key.startswith("medication:"):
            meds.append((where, name.split(":", 1)[1].strip().lower(), row))
        elif key in ("last_menstrual_period", "lmp", "cycle_day"):
            d = attempt(problems, where, lambda: _lmp(key, value, row["time"]))
            if d is not None:
                lmps.append((d, where))
        else:
            obs = attempt(problems, where, lambda: _observation(row, where, log))
            if obs is not None:
                observations.append(obs)

    if len(ids) > 1:
        problems.append(f"{label}: {len(ids)} patient_ids ({', '.join(sorted(ids))}); one file holds one person "
                        "(choose one with --patient ID)")
    ref = max((o.time for o in observations), default=None)
    medications = []
    for where, drug, row in meds:
        if _not_modelled(drug):
            log.not_modelled.append(f"{drug} ({where})")
            continue
        m = attempt(problems, where, lambda: _medication(drug, row, where, ref))
        if m is not None:
            medications.append(m)
    fields = {_ONCE[k]: v for k, (v, _) in once.items()}
    fields.update(patient_id=next(iter(ids), path.stem), observations=tuple(observations),
                  genotypes=tuple(genotypes), medications=tuple(medications),
                  conditions=tuple(conditions), notes=tuple(notes),
                  weight_kg=attempt(problems, label, lambda: _latest_weight(weights)))
    if lmps:
        fields["last_menstrual_period"], lmp_row = max(lmps)
        if len({d for d, _ in lmps}) > 1:
            log.note(f"{len(lmps)} menstrual entries; the latest last menstrual period, "
                     f"{fields['last_menstrual_period'].isoformat()} ({lmp_row}), is used")
    # A bad sex/birth_date/age row is reported with its row; a missing one here.
    if patient is not None and not ids:
        problems.append(f"{label}: no rows of patient_id {patient!r}")
    if "sex" not in named:
        problems.append(f"{label}: no 'sex' row (name sex, value male or female)")
    if "birth_date" not in named and "age" not in named:
        problems.append(f"{label}: no 'birth_date' row (value YYYY-MM-DD) or 'age' row (value in years)")
    try:
        record = finish(label, fields, problems, now, explained=frozenset(("sex", "age_years")))
    except RecordError as exc:
        exc.summary = log.summary(None, exc.problems)
        raise
    return log.summary(record)


def _not_modelled(drug: str) -> bool:
    """A drug the library does not have and whose name is no misspelling of one it has."""
    from ..assess.units import close_drug
    from ..pharmacology.library import drug_names

    return drug not in drug_names() and close_drug(drug) is None


def _lmp(key: str, value: str, when: str) -> date:
    """The date of cycle day 1 from a last_menstrual_period row (a date) or a cycle_day row (N on `time`)."""
    if key == "cycle_day":
        if not when:
            raise ValueError("cycle_day needs the time (date) it was counted on in the time column")
        return lmp_from_cycle_day(number(value, "cycle_day"), _time(when, "time").date())
    try:
        lmp = date.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(f"{key} {value!r} is not a date YYYY-MM-DD (the first day of the last period)") from None
    return check_lmp(lmp, _time(when, "time").date() if when else None)


def _once(once: dict, key: str, text: str, where: str) -> None:
    """sex, birth_date or age: parsed, and given at most once (a second, different value would
    silently replace the first)."""
    if key == "sex":
        value = text.lower()
        if value not in ("male", "female"):
            raise ValueError(f"sex {text!r}; write male or female (physiological sex)")
    elif key == "birth_date":
        try:
            value = date.fromisoformat(text)
        except ValueError as exc:
            raise ValueError(f"birth_date {text!r} is not a date YYYY-MM-DD ({exc})") from None
    elif key == "population":
        value = check_population(text)
    else:
        value = check_age(number(text, "age"))
    if key in once and once[key][0] != value:
        raise ValueError(f"{key} {text!r} differs from {once[key][0]!s} in {once[key][1]}; keep one")
    once.setdefault(key, (value, where))


def _weight(value: str, unit: str, when: str, where: str) -> tuple[Optional[datetime], float, str]:
    """(time or None, kg, row) of a weight row."""
    kg = mass(number(value, "weight"), unit or "kg", "kilogram",
              f"weight unit {unit!r} is not a mass; use kg or [lb_av]")
    return (_time(when, "time") if when else None), check_weight(kg), where


def _latest_weight(weights: list) -> Optional[float]:
    """The latest weight by time; weights without a time must agree."""
    if not weights:
        return None
    timed = [w for w in weights if w[0] is not None]
    if timed:
        return max(timed, key=lambda w: w[0])[1]
    if len({w[1] for w in weights}) > 1:
        raise ValueError(f"{len(weights)} different weights without a time ({', '.join(w[2] for w in weights)}); "
                         "give each weight row its time, or keep one")
    return weights[0][1]


def _specimen(text: str, entry) -> str:
    if not text:
        return entry.specimens[0] if entry else "plasma"
    by_lower = {s.lower(): s for s in SPECIMENS}  # "csf" and "Plasma" mean CSF and plasma
    return by_lower.get(text.lower(), text)


def _entry(text: str):
    from ..assess.units import lookup

    try:
        return lookup(text) if text else None
    except DataError:
        return None  # reported by check_record, with close names


# '<5', '<= 0.5', '>1000': a censored value
_LIMIT = re.compile(r"^\s*(<=|>=|<|>)\s*(\S+)\s*$")


def _value(text: str) -> tuple[float, Optional[str]]:
    m = _LIMIT.match(text)
    if m is None:
        return number(text, "value"), None
    return number(m.group(2), "value"), "<" if m.group(1).startswith("<") else ">"


def _observation(row: dict, where: str, log: ImportLog) -> Optional[Observation]:
    """The row's Observation, or None (counted as skipped) for a code or name the mapping table does not
    hold; a likely misspelling of a mapped name is an error."""
    from ..assess.units import close_name

    code, name = row.get("code", ""), row.get("name", "")
    if not (code or name):
        raise ValueError("neither code nor name is given")
    entry, by_name = _entry(code or name), _entry(name) if code else None
    if entry is None and not any(t and close_name(t) for t in (name, code)):
        log.skip("row", code or name, "code or name not in the mapping table (assess/data/loinc.yaml)", where)
        return None
    # a misspelling goes on, to be reported by check_record with the close names
    value, censor = _value(row["value"])
    if entry is not None and by_name is not None and by_name.key != entry.key:
        raise ValueError(f"code {code} is {entry.label} but name {name!r} is {by_name.label}; fix the "
                         "one that is wrong")
    return Observation(code=code or (entry.key if entry else name), name=name or (entry.label if entry else code),
                       value=value, unit=row["unit"], censor=censor,
                       time=_time(row["time"], "time"), specimen=_specimen(row.get("specimen", ""), entry),
                       region=row.get("region") or None, source=where)


def _dose_mg(value: str, unit: str) -> float:
    return mass(number(value, "dose"), unit or "mg", "milligram",
                f"medication dose unit {unit!r} is not a mass; write the dose in mg")


def _medication(drug: str, row: dict, where: str, ref) -> Medication:
    first = _time(row["time"], "time")
    every_h = number(row.get("every_h") or "24", "every_h")
    end = _time(row["until"], "until") if row.get("until") else None
    until = last_taken(first, end, ref, "until")
    return Medication(drug=drug, dose_mg=_dose_mg(row["value"], row.get("unit", "")),
                      route=(row.get("route") or "oral").lower(), first_dose=first, every_h=every_h,
                      count=doses_until(first, every_h, until), source=where)
