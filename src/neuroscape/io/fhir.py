"""FHIR R4 Bundles -> PatientRecord, parsed with fhir.resources' R4B models (R4B is R4 with
minor changes; the package's default models are R5, whose MedicationStatement/Observation
shapes differ, so R5 parsing would reject R4 data or misread it).

Read: Patient (gender, birthDate); Observation with valueQuantity (UCUM) and effectiveDateTime
(laboratory values through the mapping table; body weight LOINC 29463-7); genotype
Observations of the HL7 Genomics Reporting IG (component 48018-6 gene studied, 84413-4
genotype display, 79716-7/53040-2 phenotype); MedicationStatement / MedicationRequest
(medicationCodeableConcept by RxNorm code or name, dosage doseQuantity in mg,
timing.repeat frequency/period/periodUnit, effectivePeriod / boundsPeriod); Condition text;
Annotation notes (kept as text, never parsed for numbers). Voided resources (status
entered-in-error, cancelled, not-taken, ...) are skipped with a line in the record's notes;
times must carry a clock time and zone; resources of another patient are errors.
"""

from __future__ import annotations

import json
import os
import re
from datetime import date, datetime
from pathlib import Path
from typing import Optional, Union

from pydantic import ValidationError

from ..assess.records import SPECIMENS, Genotype, Medication, Observation, PatientRecord, check_weight
from ..errors import DataError
from ._records_common import attempt, doses_until, finish, last_taken, mass, read_text, validation_messages

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
# FHIR timing.repeat.periodUnit (UCUM) in hours; UCUM's mo and a are the mean Julian month
# (30.4375 d) and year (365.25 d).
_PERIOD_H = {"s": 1 / 3600, "min": 1 / 60, "h": 1.0, "d": 24.0, "wk": 168.0, "mo": 730.5, "a": 8766.0}


def _genomics():
    from ..assess.units import table

    g = table().genomics
    return (g["gene_studied"]["loinc"], g["genotype_display"]["loinc"], tuple(g["phenotype"]["loinc"]))


def _codes(concept, system: Optional[str] = None) -> list[str]:
    if concept is None:
        return []
    return [c.code for c in (concept.coding or []) if c.code and (system is None or c.system == system)]


def _text(concept) -> str:
    if concept is None:
        return ""
    if concept.text:
        return concept.text
    return next((c.display for c in (concept.coding or []) if c.display), "")


def _when(value, field: str) -> Optional[datetime]:
    """A FHIR dateTime as an aware datetime. A date alone (or a year-month) is refused: the
    model places doses and samples by the hour, and a guessed clock time would shift them."""
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"{field} {value.isoformat()} has no time zone; add Z or an offset")
        return value
    shown = value.isoformat() if isinstance(value, date) else str(value)
    raise ValueError(f"{field} {shown} gives no clock time; write the date and time with a zone, "
                     "e.g. 2026-03-02T08:30:00Z")


# Statuses whose resource holds no valid result / no dose taken: skipped, with a note.
_SKIP = {"Observation": ("entered-in-error", "cancelled", "registered"),
         "MedicationStatement": ("entered-in-error", "not-taken", "intended"),
         "MedicationRequest": ("entered-in-error", "cancelled", "draft")}
# Statuses that say the dosing ended: the end must be given, or every dose up to now would count.
_ENDED = ("completed", "stopped", "on-hold")


def _load(path: Path):
    """The Bundle parsed with the R4B models, or DataError naming each bad resource."""
    from fhir.resources.R4B.bundle import Bundle

    label = path.name
    text = read_text(path, "FHIR R4 Bundle (JSON)")
    try:
        raw = json.loads(text)
    except ValueError as exc:
        raise DataError(f"{label}: not valid JSON ({exc}); a FHIR Bundle is a JSON object") from None
    kind = raw.get("resourceType") if isinstance(raw, dict) else None
    if kind != "Bundle":
        json_kind = {dict: "object without resourceType", list: "array", str: "string", type(None): "null"}
        got = f"a {kind} resource" if kind else f"a JSON {json_kind.get(type(raw), 'number')}"
        raise DataError(f"{label}: expected a FHIR Bundle (resourceType 'Bundle'), got {got}; wrap the "
                        "Patient and its Observations, MedicationStatements, ... in a Bundle "
                        "(type collection) with one entry per resource")
    unknown = _unknown_resource_types(raw)
    if unknown:
        raise DataError(f"{label}: " + "; ".join(unknown) + "; use R4 resource types such as Patient, Observation, "
                        "MedicationStatement or Condition")
    try:
        return Bundle.model_validate(raw)
    except ValidationError as exc:
        lines = "\n  ".join(_named(m, raw) for m in validation_messages(exc)[:20])
        raise DataError(f"{label}: not a valid FHIR R4 Bundle (parsed with the R4B models):\n  {lines}") from None


def _unknown_resource_types(raw: dict) -> list[str]:
    """One line per entry whose resource has no known R4 resourceType (fhir.resources raises KeyError or
    TypeError on those instead of a validation error)."""
    from fhir.resources.R4B import get_fhir_model_class

    entries = raw.get("entry") if isinstance(raw.get("entry"), list) else []
    lines = []
    for k, entry in enumerate(entries):
        res = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(res, dict):
            continue  # the Bundle model reports a resource that is not an object
        kind = res.get("resourceType")
        try:
            if not isinstance(kind, str):
                raise ValueError
            get_fhir_model_class(kind)
        except (ValueError, KeyError):
            shown = repr(kind[:80]) if isinstance(kind, str) else json.dumps(kind)[:80]
            lines.append(f"entry {k}: unknown FHIR resource type {shown}")
    return lines


def _named(message: str, raw: dict) -> str:
    """'entry.4.resource.effectiveDateTime: ...' -> 'Observation/anna-kyn (entry 4) effectiveDateTime: ...'."""
    m = re.match(r"entry\.(\d+)\.resource\.?", message)
    entries = raw.get("entry") if isinstance(raw.get("entry"), list) else []
    if not m or int(m.group(1)) >= len(entries) or not isinstance(entries[int(m.group(1))], dict):
        return message
    res = entries[int(m.group(1))].get("resource")
    if not isinstance(res, dict):  # e.g. "resource": true; the message names the entry already
        return message
    name = f"{res.get('resourceType', '?')}/{res.get('id', '?')} (entry {m.group(1)})"
    return f"{name} {message[m.end():]}"


def read_fhir_bundle(path: Union[str, os.PathLike], *, now: Optional[datetime] = None) -> PatientRecord:
    """Read an R4 Bundle (JSON) of one patient. Every problem is reported in one RecordError."""
    path = Path(path)
    label = path.name
    bundle = _load(path)
    entries = [(k, e) for k, e in enumerate(bundle.entry or []) if e.resource is not None]
    problems: list[str] = []
    fields: dict = {}
    patient_refs = _patient(entries, label, path, fields, problems)
    medications = _medication_index(entries)
    observations, genotypes, conditions, notes, pending_meds, weights = [], [], [], [], [], []
    for k, entry in entries:
        res = entry.resource
        kind = res.get_resource_type()
        where = f"{label} {kind}/{res.id or f'entry{k}'}"
        status = getattr(res, "status", None)
        if status in _SKIP.get(kind, ()):
            notes.append(f"{where} skipped: status {status}")
            continue
        if kind not in ("Observation", "MedicationStatement", "MedicationRequest", "Condition"):
            notes += [n.text for n in (getattr(res, "note", None) or []) if n.text]
            continue
        if not _same_patient(res, patient_refs, where, problems):
            continue
        notes += [n.text for n in (getattr(res, "note", None) or []) if n.text]
        if kind == "Observation":
            _observation(res, where, problems, weights, observations, genotypes)
        elif kind == "Condition":
            text = _text(res.code)
            if text:
                conditions.append(text)
        else:
            pending_meds.append((where, res))
    ref = max((o.time for o in observations), default=None)
    meds = [m for where, res in pending_meds
            if (m := attempt(problems, where, lambda: _medication(res, where, ref, medications))) is not None]
    if weights:
        fields["weight_kg"] = max(weights)[1]  # the latest weight
    fields.update(observations=tuple(observations), genotypes=tuple(genotypes),
                  medications=tuple(meds), conditions=tuple(conditions), notes=tuple(notes))
    return finish(label, fields, problems, now, explained=frozenset(("patient_id", "sex", "age_years")))


def _patient(entries, label, path, fields, problems) -> set[str]:
    """Demographics from the one Patient into `fields`; the references that name it."""
    patients = [(e, e.resource) for _, e in entries if e.resource.get_resource_type() == "Patient"]
    if len(patients) != 1:
        ids = ", ".join(f"Patient/{p.id}" for _, p in patients)
        problems.append(f"{label}: {len(patients)} Patient resources{f' ({ids})' if ids else ''}; a bundle "
                        "must hold exactly one (one file per person)")
        return set()
    entry, p = patients[0]
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
    return {r for r in (f"Patient/{p.id}" if p.id else None, entry.fullUrl) if r}


def _same_patient(res, patient_refs: set[str], where: str, problems: list[str]) -> bool:
    """False (with a problem) when the resource's subject is another patient than the bundle's."""
    ref = getattr(getattr(res, "subject", None), "reference", None)
    if ref is None or not patient_refs or ref in patient_refs or any(ref.endswith("/" + r) for r in patient_refs):
        return True
    problems.append(f"{where}: subject {ref} is not the bundle's patient ({', '.join(sorted(patient_refs))}); "
                    "one bundle holds one person's records")
    return False


def _medication_index(entries) -> dict:
    """Bundled Medication resources by the references that may point at them."""
    out = {}
    for _, e in entries:
        if e.resource.get_resource_type() == "Medication":
            for r in (f"Medication/{e.resource.id}" if e.resource.id else None, e.fullUrl):
                if r:
                    out[r] = e.resource
    return out


def _observation(res, where, problems, weights, observations, genotypes) -> None:
    gene_code, display_code, phenotype_codes = _genomics()
    codes = _codes(res.code, LOINC)
    components = {c: comp for comp in (res.component or []) for c in _codes(comp.code, LOINC)}
    if gene_code in components or display_code in codes or any(c in codes for c in phenotype_codes):
        g = attempt(problems, where, lambda: _genotype(res, where, components, codes))
        if g is not None:
            genotypes.append(g)
        return
    if "29463-7" in codes:  # body weight
        w = attempt(problems, where, lambda: _weight(res))
        if w is not None:
            weights.append(w)
        return
    obs = attempt(problems, where, lambda: _lab(res, where, codes))
    if obs is not None:
        observations.append(obs)


def _effective(res) -> datetime:
    """When the sample was taken: effectiveDateTime, effectiveInstant or effectivePeriod.start."""
    if res.effectiveDateTime is not None:
        return _when(res.effectiveDateTime, "effectiveDateTime")
    if getattr(res, "effectiveInstant", None) is not None:
        return _when(res.effectiveInstant, "effectiveInstant")
    if res.effectivePeriod is not None and res.effectivePeriod.start is not None:
        return _when(res.effectivePeriod.start, "effectivePeriod.start")
    raise ValueError("no effectiveDateTime (or effectivePeriod.start): the time of the sample is needed")


def _quantity(res, what: str = "valueQuantity"):
    """(value, UCUM unit) of res.valueQuantity; ValueError saying what is wrong otherwise."""
    q = res.valueQuantity
    if q is None or q.value is None:
        other = next((f for f in ("valueString", "valueCodeableConcept", "valueBoolean", "valueInteger",
                                  "valueRange", "valueRatio") if getattr(res, f, None) is not None), None)
        why = (f"the value is a {other}" if other else
               f"no value (dataAbsentReason: {_text(res.dataAbsentReason)})" if res.dataAbsentReason else "no value")
        raise ValueError(f"{why}; only valueQuantity (a number with a UCUM unit) is read; give the "
                         "result as valueQuantity or leave the Observation out")
    if q.comparator is not None:
        raise ValueError(f"valueQuantity.comparator {q.comparator!r}: {q.comparator}{q.value} is a limit, "
                         "not a measured value; leave it out (censored values are not fitted)")
    if q.system not in (None, UCUM):
        raise ValueError(f"valueQuantity.system {q.system!r} is not UCUM ({UCUM}); give the unit as a "
                         "UCUM code")
    unit = q.code or q.unit
    if not unit:
        raise ValueError("valueQuantity has no unit (code or unit); give the UCUM unit")
    _same_unit(q.code, q.unit)
    return float(q.value), unit


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
    value, unit = _quantity(res)
    kg = mass(value, unit, "kilogram", f"body weight unit {unit!r} is not a mass; use kg or [lb_av]")
    return _effective(res), check_weight(kg)


def _lab(res, where, codes) -> Observation:
    from ..assess.units import lookup

    value, unit = _quantity(res)
    when = _effective(res)
    text = _text(res.code)
    code = codes[0] if codes else text
    # LOINC codes first, then the text and its head ("Kynurenine, plasma" -> "kynurenine")
    candidates = [*codes, text, re.split(r"[,\[(]", text)[0].strip()]
    entry = None
    for c in [c for c in candidates if c]:
        try:
            entry, code = lookup(c), c
            break
        except DataError:
            continue
    specimen = _specimen(res, entry)
    region = res.bodySite.text if res.bodySite is not None and res.bodySite.text else None
    return Observation(code=code, name=text or code, value=value, unit=unit,
                       time=when, specimen=specimen, region=region, source=where)


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
    gene_code, display_code, phenotype_codes = _genomics()
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


def _drug_name(concept) -> str:
    from ..assess.units import drug_for_rxnorm
    from ..pharmacology.library import drug_names

    for code in _codes(concept, RXNORM):
        if drug_for_rxnorm(code):
            return drug_for_rxnorm(code)
    text = _text(concept).lower()
    hits = [d for d in drug_names() if re.search(rf"\b{re.escape(d)}\b", text)]
    if len(hits) == 1:
        return hits[0]
    return text.split()[0] if text else "?"  # unknown: Medication names the library


def _medication_concept(res, bundled: dict):
    """The medication's CodeableConcept: inline, or the code of a contained or bundled
    Medication that medicationReference points to."""
    concept = getattr(res, "medicationCodeableConcept", None)
    if concept is not None:
        return concept
    ref = getattr(getattr(res, "medicationReference", None), "reference", None)
    if ref is None:
        raise ValueError("no medicationCodeableConcept or medicationReference")
    if ref.startswith("#"):
        found = next((c for c in (res.contained or []) if c.get_resource_type() == "Medication"
                      and c.id == ref[1:]), None)
    else:
        found = bundled.get(ref) or next((m for r, m in bundled.items() if ref.endswith("/" + r)), None)
    if found is None:
        raise ValueError(f"medicationReference {ref!r} points to no Medication in the bundle (contained "
                         "or as an entry); include it, or use medicationCodeableConcept")
    if found.code is None:
        raise ValueError(f"Medication {ref!r} has no code; give its RxNorm code or name")
    return found.code


def _every_h(rep) -> float:
    """Hours between doses from timing.repeat: period (in periodUnit) / frequency."""
    if rep is None or rep.period is None or rep.periodUnit not in _PERIOD_H:
        raise ValueError("dosage.timing.repeat needs period and periodUnit (s, min, h, d, wk, mo, a), "
                         "e.g. {frequency: 2, period: 1, periodUnit: d} for twice daily")
    if not float(rep.period) > 0:
        raise ValueError(f"dosage.timing.repeat.period {rep.period} must be > 0")
    return float(rep.period) * _PERIOD_H[rep.periodUnit] / float(rep.frequency or 1)


def _medication(res, where, ref, bundled) -> Medication:
    drug = _drug_name(_medication_concept(res, bundled))
    dosages = getattr(res, "dosage", None) or getattr(res, "dosageInstruction", None) or []
    if not dosages:
        raise ValueError("no dosage; give dosage (MedicationStatement) or dosageInstruction "
                         "(MedicationRequest) with doseAndRate.doseQuantity and timing.repeat")
    d = dosages[0]
    dq = next((r.doseQuantity for r in (d.doseAndRate or []) if r.doseQuantity is not None), None)
    if dq is None or dq.value is None:
        raise ValueError("dosage has no doseAndRate.doseQuantity")
    dose_mg = mass(float(dq.value), dq.code or dq.unit or "mg", "milligram",
                   f"doseQuantity unit {dq.code or dq.unit!r} is not a mass; give the dose in mg")
    rep = d.timing.repeat if d.timing is not None else None
    every_h = _every_h(rep)
    period = getattr(res, "effectivePeriod", None) or getattr(rep, "boundsPeriod", None)
    start = _when(period.start, "start") if period is not None else None
    end = _when(period.end, "end") if period is not None else None
    start = start or _when(getattr(res, "effectiveDateTime", None), "effectiveDateTime") or \
        _when(getattr(res, "authoredOn", None), "authoredOn")
    if start is None:
        raise ValueError("no start (effectivePeriod.start, timing.repeat.boundsPeriod.start or authoredOn)")
    if res.status in _ENDED and end is None:
        raise ValueError(f"status {res.status} but no end date (effectivePeriod.end or "
                         "timing.repeat.boundsPeriod.end); give the time of the last dose taken")
    count = doses_until(start, every_h, last_taken(start, end, ref, "end"))
    if rep.count is not None:  # timing.repeat.count: the whole course has this many doses
        count = min(count, int(rep.count))
    return Medication(drug=drug, dose_mg=dose_mg, route=_route(d.route), first_dose=start, every_h=every_h,
                      count=count, source=where)


_ROUTES = {"oral": "oral", "po": "oral", "by mouth": "oral", "26643006": "oral",
           "iv": "iv", "intravenous": "iv", "47625008": "iv"}  # SNOMED CT route codes


def _route(concept) -> str:
    """oral (also when no route is given) or iv; any other route is an error, not oral."""
    if concept is None:
        return "oral"
    words = [w.lower() for w in (_codes(concept) + [_text(concept)]) if w]
    for w in words:
        for key, route in _ROUTES.items():
            if re.search(rf"\b{re.escape(key)}\b", w):
                return route
    raise ValueError(f"dosage route {(_text(concept) or ', '.join(words))!r}; the model doses oral or iv "
                     "(SNOMED 26643006 or 47625008)")
