"""FHIR R4 Bundles -> PatientRecord, parsed with fhir.resources' R4B models (R4B is R4 with
minor changes; the package's default models are R5, whose MedicationStatement/Observation
shapes differ, so R5 parsing would reject R4 data or misread it). `_fhir_select` chooses the patient and
the entries to parse from the JSON; `_fhir_medications` reads the medication resources.

Bundles of any type (transaction, batch, collection, document, searchset, ...); references as
`urn:uuid:`, `Patient/id`, absolute URLs or `Patient?identifier=system|value`. Several patients: an
error naming them, or `patient=ID` to choose one (the others' resources are skipped).

Read: Patient (gender, birthDate, the biogeographic-group extension BIOGEOGRAPHIC_GROUP_URL); Observation with
valueQuantity (UCUM; a comparator '<' or '>' makes a censored value) or valueString such as '<5 ng/mL', for
the codes of the mapping table (laboratory values), body weight (LOINC 29463-7), the last menstrual period
(LOINC 8665-2, valueDateTime) or a cycle day (by name: no LOINC code could be verified); genotype Observations
of the HL7 Genomics Reporting IG (component 48018-6 gene studied, 84413-4 genotype display, 79716-7/53040-2
phenotype); medications (see _fhir_medications); Condition text; Annotation notes of the resources read (kept
as text, never parsed for numbers).

Skipped and counted in the import summary, never an error: resource types the model does not use
(Encounter, Procedure, Claim, ...; a type that is not FHIR R4 too, unless it is a near-misspelling of one the
model reads, which is a problem), Observations whose codes are not mapped (vital-sign panels, blood
pressure, BMI, social history, other labs), values with a dataAbsentReason, voided resources (status
entered-in-error, cancelled, not-taken, ...; also a line in the record's notes), medicines the library does
not model, as-needed doses. Only what the model would use and cannot read stops the import, with every
problem listed: times without a clock time and zone, units of the wrong dimension, implausible values,
doses that cannot be resolved to mg, genotypes that cannot be parsed, resources of another patient.
"""

from __future__ import annotations

import os
import re
from datetime import date, datetime
from pathlib import Path
from typing import Optional, Union


from ..assess.records import (SPECIMENS, Genotype, Observation, PatientRecord, RecordError, check_population,
                              check_weight)
from ..errors import DataError
from ._fhir_medications import codes as _codes
from ._fhir_medications import medications as _medications
from ._fhir_medications import read_courses
from ._fhir_medications import text_of as _text
from ._fhir_medications import when as _when
from ._records_common import attempt, check_lmp, finish, lmp_from_cycle_day, mass
from ._fhir_select import LOINC, UCUM, choose_patient, genomics, parse_kept, raw_bundle, refers_to, resource_of, select
from .import_summary import ImportLog, ImportSummary

# The biogeographic group whose CYP phenotype frequencies weigh a missing genotype (assess/mixture.py). FHIR
# R4 and US Core have no element for it (US Core race/ethnicity are social categories, not CPIC's
# biogeographic groups), so the record states it in a Patient extension of this project's own.
BIOGEOGRAPHIC_GROUP_URL = "urn:neuroscape:fhir:extension:biogeographic-group"

# Statuses whose resource holds no valid result / no dose taken: skipped, with a note.
_SKIP = {"Observation": ("entered-in-error", "cancelled", "registered"),
         "MedicationStatement": ("entered-in-error", "not-taken", "intended"),
         "MedicationRequest": ("entered-in-error", "cancelled", "draft"),
         "MedicationAdministration": ("entered-in-error", "not-done"),
         "MedicationDispense": ("entered-in-error", "cancelled", "declined", "preparation"),
         "Condition": ("entered-in-error",)}


def read_fhir_bundle(path: Union[str, os.PathLike], *, now: Optional[datetime] = None,
                     patient: Optional[str] = None) -> PatientRecord:
    """Read an R4 Bundle (JSON) of one patient (or of `patient`, an id, fullUrl or identifier value, in a
    bundle of several). Every problem is reported in one RecordError (its `summary` says what was read and
    skipped)."""
    return import_fhir_bundle(path, now=now, patient=patient).record


def import_fhir_bundle(path: Union[str, os.PathLike], *, now: Optional[datetime] = None,
                       patient: Optional[str] = None) -> ImportSummary:
    """read_fhir_bundle, returning the ImportSummary (record, what was skipped and why)."""
    path = Path(path)
    label = path.name
    raw = raw_bundle(path)
    log = ImportLog(label)
    entries = raw.get("entry") or []
    problems: list[str] = []
    chosen, refs, identifiers = choose_patient(entries, patient, label, problems)
    several = sum(1 for e in entries if resource_of(e).get("resourceType") == "Patient") > 1
    kept, uses = select(entries, chosen, refs, identifiers, several, log, label, problems)
    bundle = parse_kept(raw, kept, label)
    fields: dict = {}
    medications = {}
    observations, genotypes, conditions, notes, pending_meds, weights, lmps = [], [], [], [], [], [], []
    for k, entry in zip(kept, bundle.entry or []):
        res = entry.resource
        if res is None:
            continue
        kind = res.get_resource_type()
        where = f"{label} {kind}/{res.id or f'entry{k}'}"
        if kind == "Patient":
            _demographics(res, label, path, fields, problems)
            continue
        if kind == "Medication":
            for r in (f"Medication/{res.id}" if res.id else None, entry.fullUrl):
                if r:
                    medications[r] = res
            continue
        status = getattr(res, "status", None)
        if status in _SKIP.get(kind, ()):
            notes.append(f"{where} skipped: status {status}")
            log.skip(kind, "", f"status {status}", where)
            continue
        if getattr(res, "doNotPerform", None):  # an order NOT to give the medicine
            log.skip(kind, "", "doNotPerform: an order not to give it", where)
            continue
        if not _same_patient(res, refs, identifiers, where, problems):
            continue
        notes += [n.text for n in (getattr(res, "note", None) or []) if n.text]
        if kind == "Observation":
            _observation(res, uses[k], where, problems, weights, observations, genotypes, lmps, log)
        elif kind == "Condition":
            text = _text(res.code)
            if text:
                conditions.append(text)
        else:
            pending_meds.append((where, kind, res))
    ref = max((o.time for o in observations), default=None)
    courses = []
    for where, kind, res in pending_meds:
        found = attempt(problems, where, lambda: read_courses(res, kind, where, medications, log))
        courses += found or []
    meds = _medications(courses, ref, log, problems)
    if weights:
        fields["weight_kg"] = max(weights)[1]  # the latest weight
    if lmps:
        latest = max(lmps)
        fields["last_menstrual_period"] = latest[0]
        if len({d for d, _ in lmps}) > 1:
            log.note(f"{len(lmps)} last-menstrual-period entries; the latest, {latest[0].isoformat()} "
                     f"({latest[1]}), is used")
    fields.update(observations=tuple(observations), genotypes=tuple(genotypes),
                  medications=tuple(meds), conditions=tuple(conditions), notes=tuple(notes))
    try:
        record = finish(label, fields, problems, now, explained=frozenset(("patient_id", "sex", "age_years")))
    except RecordError as exc:
        exc.summary = log.summary(None, exc.problems)
        raise
    return log.summary(record)


def _demographics(p, label, path, fields, problems) -> None:
    """Sex, birth date and id of the chosen Patient into `fields`."""
    fields["patient_id"] = p.id or path.stem
    if p.gender not in ("male", "female"):
        problems.append(f"{label} Patient/{p.id}: gender {p.gender!r}; the model needs male or female "
                        "(physiological sex)")
    else:
        fields["sex"] = p.gender
    if p.birthDate is None:
        problems.append(f"{label} Patient/{p.id}: no birthDate (needed for age)")
    elif isinstance(p.birthDate, date):
        fields["birth_date"] = p.birthDate
    else:
        problems.append(f"{label} Patient/{p.id}: birthDate {p.birthDate} is not a full date; write "
                        "YYYY-MM-DD")
    groups = [e for e in (p.extension or []) if e.url == BIOGEOGRAPHIC_GROUP_URL]
    if len(groups) > 1:
        problems.append(f"{label} Patient/{p.id}: {len(groups)} biogeographic-group extensions; give one")
    elif groups:
        e = groups[0]
        value = e.valueCode or e.valueString or (e.valueCoding.code if e.valueCoding else None)
        if not value:
            problems.append(f"{label} Patient/{p.id}: the biogeographic-group extension has no valueCode, "
                            "valueString or valueCoding.code; give the group's name, e.g. valueCode 'european'")
        else:
            try:
                fields["population"] = check_population(value)
            except ValueError as exc:
                problems.append(f"{label} Patient/{p.id} biogeographic-group extension: {exc}")


def _same_patient(res, refs: set[str], identifiers: set[str], where: str, problems: list[str]) -> bool:
    """False (with a problem) when the resource's subject is another patient than the bundle's."""
    ref = getattr(getattr(res, "subject", None), "reference", None)
    if ref is None or not refs or refers_to(ref, refs, identifiers):
        return True
    problems.append(f"{where}: subject {ref} is not the bundle's patient ({', '.join(sorted(refs))}); "
                    "one bundle holds one person's records")
    return False


def _absent(res, code: str, where: str, log: ImportLog) -> bool:
    """True (counted as skipped) for an Observation whose value is absent, with its reason."""
    if res.dataAbsentReason is None:
        return False
    log.skip("Observation", code, f"dataAbsentReason: {_text(res.dataAbsentReason) or 'given'}", where)
    return True


def _observation(res, use, where, problems, weights, observations, genotypes, lmps, log) -> None:
    gene_code, display_code, phenotype_codes = genomics()
    codes = _codes(res.code, LOINC)
    if use == "genotype":
        components = {c: comp for comp in (res.component or []) for c in _codes(comp.code, LOINC)}
        g = attempt(problems, where, lambda: _genotype(res, where, components, codes))
        if g is not None:
            genotypes.append(g)
        return
    code = codes[0] if codes else _text(res.code)
    if _absent(res, code, where, log):
        return
    if use == "weight":
        w = attempt(problems, where, lambda: _weight(res))
        if w is not None:
            weights.append(w)
    elif use == "lmp":
        d = attempt(problems, where, lambda: _lmp(res))
        if d is not None:
            lmps.append((d, where))
    elif use == "cycle_day":
        d = attempt(problems, where, lambda: _cycle_day(res))
        if d is not None:
            lmps.append((d, where))
    else:
        obs = attempt(problems, where, lambda: _lab(res, where, codes))
        if obs is not None:
            observations.append(obs)


def _lmp(res) -> date:
    """The first day of the last menstrual period: valueDateTime (a date is enough)."""
    v = res.valueDateTime
    if v is None:
        raise ValueError("last menstrual period without valueDateTime; give the first day of the period as "
                         "valueDateTime (YYYY-MM-DD)")
    if not isinstance(v, date):  # a datetime is a date too
        raise ValueError(f"last menstrual period {v} is not a full date; write YYYY-MM-DD")
    lmp = v.date() if isinstance(v, datetime) else v
    seen = res.effectiveDateTime
    return check_lmp(lmp, seen.date() if isinstance(seen, datetime) else seen if isinstance(seen, date) else None)


def _cycle_day(res) -> date:
    """A cycle day (1 = first day of the period) on the Observation's date, as the date of cycle day 1."""
    value = res.valueInteger if res.valueInteger is not None else \
        (res.valueQuantity.value if res.valueQuantity is not None else None)
    when = res.effectiveDateTime
    if value is None:
        raise ValueError("cycle day without a value; give valueInteger (1 = first day of the period)")
    if when is None:
        raise ValueError("cycle day without effectiveDateTime: the date it was counted on is needed")
    on = when.date() if isinstance(when, datetime) else when
    if not isinstance(on, date):
        raise ValueError(f"effectiveDateTime {when} is not a full date")
    return lmp_from_cycle_day(float(value), on)


def _effective(res) -> datetime:
    """When the sample was taken: effectiveDateTime, effectiveInstant or effectivePeriod.start."""
    if res.effectiveDateTime is not None:
        return _when(res.effectiveDateTime, "effectiveDateTime")
    if getattr(res, "effectiveInstant", None) is not None:
        return _when(res.effectiveInstant, "effectiveInstant")
    if res.effectivePeriod is not None and res.effectivePeriod.start is not None:
        return _when(res.effectivePeriod.start, "effectivePeriod.start")
    raise ValueError("no effectiveDateTime (or effectivePeriod.start): the time of the sample is needed")


# '<5', '< 5 ng/mL', '>=1000 nmol/L', '≤ 0.5'
_LIMIT = re.compile(r"^\s*(<=|>=|<|>|≤|≥)\s*(\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)\s*(\S.*)?$")
_CENSOR = {"<": "<", "<=": "<", "≤": "<", ">": ">", ">=": ">", "≥": ">"}


def _range_unit(res) -> Optional[str]:
    """The unit of the Observation's reference range (a lab's '<5' string often carries its unit only there)."""
    for r in res.referenceRange or []:
        for q in (r.low, r.high):
            if q is not None and (q.code or q.unit):
                return q.code or q.unit
    return None


def _quantity(res):
    """(value, UCUM unit, censor) of the result; ValueError saying what is wrong otherwise."""
    q = res.valueQuantity
    if q is None and res.valueString is not None:
        m = _LIMIT.match(res.valueString)
        if m is not None:
            unit = (m.group(3) or "").strip() or _range_unit(res)
            if not unit:
                raise ValueError(f"valueString {res.valueString!r} gives a limit without a unit (and the "
                                 "referenceRange has none); write the unit, e.g. '<5 ng/mL'")
            return float(m.group(2)), unit, _CENSOR[m.group(1)]
    if q is None or q.value is None:
        other = next((f for f in ("valueString", "valueCodeableConcept", "valueBoolean", "valueInteger",
                                  "valueRange", "valueRatio") if getattr(res, f, None) is not None), None)
        why = f"the value is a {other}" if other else "no value"
        raise ValueError(f"{why}; only valueQuantity (a number with a UCUM unit) or a limit such as "
                         "valueString '<5 ng/mL' is read; give the result as valueQuantity or leave the Observation "
                         "out")
    censor = None
    if q.comparator is not None:
        censor = _CENSOR.get(q.comparator)
        if censor is None:
            raise ValueError(f"valueQuantity.comparator {q.comparator!r}; allowed: <, <=, >, >=")
    if q.system not in (None, UCUM):
        raise ValueError(f"valueQuantity.system {q.system!r} is not UCUM ({UCUM}); give the unit as a "
                         "UCUM code")
    unit = q.code or q.unit
    if not unit:
        raise ValueError("valueQuantity has no unit (code or unit); give the UCUM unit")
    _same_unit(q.code, q.unit)
    return float(q.value), unit, censor


def _same_unit(code: Optional[str], shown: Optional[str]) -> None:
    """code (UCUM, what is read) and unit (display) must not say different things: which one
    is wrong cannot be told, and either choice may be off by a factor of 1000."""
    from ..assess.units import parse_ucum

    if not code or not shown or code == shown:
        return
    try:
        a, b = parse_ucum(code), parse_ucum(shown)
    except DataError:
        return  # a display text that is not UCUM ("µg/dL") says nothing checkable
    same = a.dimensionality == b.dimensionality and abs(float((b / a).to("dimensionless").magnitude) - 1) < 1e-9
    if not same:
        raise ValueError(f"valueQuantity.code {code!r} and valueQuantity.unit {shown!r} are different "
                         "units; fix the one that is wrong")


def _weight(res) -> tuple[datetime, float]:
    """(time, kg) of a body-weight Observation."""
    value, unit, censor = _quantity(res)
    if censor is not None:
        raise ValueError(f"body weight given as a limit ({censor}{value:g}); give the measured weight")
    kg = mass(value, unit, "kilogram", f"body weight unit {unit!r} is not a mass; use kg or [lb_av]")
    return _effective(res), check_weight(kg)


def _lab(res, where, codes) -> Observation:
    from ..assess.units import lookup

    value, unit, censor = _quantity(res)
    when = _effective(res)
    text = _text(res.code)
    code = codes[0] if codes else text
    # LOINC codes first; the text and its head ("Kynurenine, plasma" -> "kynurenine") only without one
    candidates = codes if codes else [text, re.split(r"[,\[(]", text)[0].strip()]
    entry = None
    for c in [c for c in candidates if c]:
        try:
            entry, code = lookup(c), c
            break
        except DataError:
            continue
    specimen = _specimen(res, entry)
    region = res.bodySite.text if res.bodySite is not None and res.bodySite.text else None
    return Observation(code=code, name=text or code, value=value, unit=unit, time=when, specimen=specimen,
                       region=region, source=where, censor=censor)


def _specimen(res, entry) -> str:
    words = {s.lower(): s for s in SPECIMENS}
    if res.specimen is not None and res.specimen.display:
        for w in re.split(r"\W+", res.specimen.display.lower()):
            if w in words:
                return words[w]
    cats = {c for cat in (res.category or []) for c in _codes(cat)}
    if entry is not None:
        if "imaging" in cats and any(s in ("MRS", "PET") for s in entry.specimens):
            return next(s for s in entry.specimens if s in ("MRS", "PET"))
        return entry.specimens[0]
    return "plasma"


def _value_text(x) -> str:
    if x is None:
        return ""
    if x.valueCodeableConcept is not None:
        return _text(x.valueCodeableConcept)
    return x.valueString or ""


def _genotype(res, where, components, codes) -> Genotype:
    gene_code, display_code, phenotype_codes = genomics()
    from ..assess.units import table

    hgnc = {v: k for k, v in table().genomics["hgnc"].items() if k not in ("source", "note")}
    gene = ""
    if gene_code in components:
        comp = components[gene_code].valueCodeableConcept
        gene = next((hgnc[c.code] for c in (comp.coding or []) if c.code in hgnc), "") or _text(comp)
    value = ""
    if display_code in components:
        value = _value_text(components[display_code])
    elif display_code in codes:
        value = _value_text(res)
    if not value:
        for pc in phenotype_codes:
            if pc in components:
                value = _value_text(components[pc])
            elif pc in codes:
                value = _value_text(res)
            if value:
                break
    if not gene and value:
        gene = value.split()[0]
    if not gene or not value:
        raise ValueError("genotype Observation without gene (component 48018-6) or genotype "
                         "(84413-4) / phenotype (79716-7, 53040-2)")
    gene = gene.strip().upper()
    if value.upper().startswith(gene):  # "CYP2C19 *2/*2" -> "*2/*2"
        value = value[len(gene):].strip()
    return Genotype(gene=gene, value=value, source=where)


