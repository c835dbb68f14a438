"""FHIR R4 Bundles -> PatientRecord, parsed with fhir.resources' R4B models (R4B is R4 with
minor changes; the package's default models are R5, whose MedicationStatement/Observation
shapes differ, so R5 parsing would reject R4 data or misread it).

Bundles of any type (transaction, batch, collection, document, searchset, ...); references as
`urn:uuid:`, `Patient/id`, absolute URLs or `Patient?identifier=system|value`. Several patients: an
error naming them, or `patient=ID` to choose one (the others' resources are skipped).

Read: Patient (gender, birthDate); Observation with valueQuantity (UCUM; a comparator '<' or '>'
makes a censored value) or valueString such as '<5 ng/mL', for the codes of the mapping table
(laboratory values), body weight (LOINC 29463-7), the last menstrual period (LOINC 8665-2, valueDateTime)
or a cycle day (by name: no LOINC code could be verified); genotype Observations of the HL7 Genomics
Reporting IG (component 48018-6 gene studied, 84413-4 genotype display, 79716-7/53040-2 phenotype);
medications (see _fhir_medications); Condition text; Annotation notes of the resources read (kept as text,
never parsed for numbers).

Skipped and counted in the import summary, never an error: resource types the model does not use
(Encounter, Procedure, Claim, ...), Observations whose codes are not mapped (vital-sign panels, blood
pressure, BMI, social history, other labs), values with a dataAbsentReason, voided resources (status
entered-in-error, cancelled, not-taken, ...; also a line in the record's notes), medicines the library does
not model, as-needed doses. Only what the model would use and cannot read stops the import, with every
problem listed: times without a clock time and zone, units of the wrong dimension, implausible values,
doses that cannot be resolved to mg, genotypes that cannot be parsed, resources of another patient.
"""

from __future__ import annotations

import json
import os
import re
from datetime import date, datetime
from pathlib import Path
from typing import Optional, Union

from pydantic import ValidationError

from ..assess.records import SPECIMENS, Genotype, Observation, PatientRecord, RecordError, check_weight
from ..errors import DataError
from ._fhir_medications import KINDS as MEDICATION_KINDS
from ._fhir_medications import codes as _codes
from ._fhir_medications import medications as _medications
from ._fhir_medications import read_courses
from ._fhir_medications import text_of as _text
from ._fhir_medications import when as _when
from ._records_common import attempt, check_lmp, finish, lmp_from_cycle_day, mass, read_text, validation_messages
from .import_summary import ImportLog, ImportSummary

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
SNOMED = "http://snomed.info/sct"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
# Last menstrual period start date: LOINC 8665-2 (FHIR R4 example observation-example-date-lastmp; HL7 eCR
# and Vital Records IGs); SNOMED CT 21840007 "Date of last menstrual period" (IHE PCC APS value set) and
# 161713000 "Last menstrual period - first day" (CH EMED/CHMED IG) are read the same way.
LMP_LOINC = "8665-2"
LMP_SNOMED = ("21840007", "161713000")
# Cycle day has no LOINC code that could be verified here: it is read by name only.
CYCLE_DAY_NAMES = ("cycle day", "menstrual cycle day", "day of menstrual cycle", "day of cycle")
_USED = ("Patient", "Observation", "Condition", "Medication") + MEDICATION_KINDS
_SUBJECT_KINDS = ("Observation", "Condition") + MEDICATION_KINDS


def _genomics():
    from ..assess.units import table

    g = table().genomics
    return (g["gene_studied"]["loinc"], g["genotype_display"]["loinc"], tuple(g["phenotype"]["loinc"]))


# Statuses whose resource holds no valid result / no dose taken: skipped, with a note.
_SKIP = {"Observation": ("entered-in-error", "cancelled", "registered"),
         "MedicationStatement": ("entered-in-error", "not-taken", "intended"),
         "MedicationRequest": ("entered-in-error", "cancelled", "draft"),
         "MedicationAdministration": ("entered-in-error", "not-done"),
         "MedicationDispense": ("entered-in-error", "cancelled", "declined", "preparation"),
         "Condition": ("entered-in-error",)}


def _raw(path: Path) -> dict:
    """The file as a JSON Bundle object, or DataError saying what it is instead."""
    label = path.name
    text = read_text(path, "FHIR R4 Bundle (JSON)")
    try:
        raw = json.loads(text)
    except ValueError as exc:
        raise DataError(f"{label}: not valid JSON ({exc}); a FHIR Bundle is a JSON object") from None
    except RecursionError:
        raise DataError(f"{label}: the JSON is nested too deeply to be a FHIR Bundle") from None
    kind = raw.get("resourceType") if isinstance(raw, dict) else None
    if kind != "Bundle":
        json_kind = {dict: "object without resourceType", list: "array", str: "string", type(None): "null"}
        got = f"a {kind} resource" if isinstance(kind, str) and kind else f"a JSON {json_kind.get(type(raw), 'number')}"
        raise DataError(f"{label}: expected a FHIR Bundle (resourceType 'Bundle'), got {got}; wrap the "
                        "Patient and its Observations, MedicationStatements, ... in a Bundle "
                        "(type collection) with one entry per resource")
    entries = raw.get("entry", [])
    if not isinstance(entries, list):
        raise DataError(f"{label}: Bundle.entry is a JSON {type(entries).__name__}, not an array of entries")
    return raw


def _validate(raw: dict, kept: list[int], label: str):
    """The Bundle of the kept entries, parsed with the R4B models (the skipped ones are never parsed: a
    resource the model does not use cannot stop the import). DataError naming each bad resource."""
    from fhir.resources.R4B.bundle import Bundle

    entries = raw.get("entry") or []
    reduced = {**{k: v for k, v in raw.items() if k != "entry"}, "entry": [entries[k] for k in kept]}
    try:
        return Bundle.model_validate(reduced)
    except ValidationError as exc:
        lines = "\n  ".join(_named(m, entries, kept) for m in validation_messages(exc)[:20])
        raise DataError(f"{label}: not a valid FHIR R4 Bundle (parsed with the R4B models):\n  {lines}") from None
    except Exception as exc:  # noqa: BLE001 - the parser's own failures on malformed input (e.g. a KeyError for
        # a contained resource of unknown type) mean the same as a validation error: not a valid bundle
        raise DataError(f"{label}: not a valid FHIR R4 Bundle (the R4B parser failed with {type(exc).__name__}: "
                        f"{exc}); check the resources' resourceType and structure") from None


def _named(message: str, entries: list, kept: list[int]) -> str:
    """'entry.4.resource.effectiveDateTime: ...' -> 'Observation/anna-kyn (entry 4) effectiveDateTime: ...'
    (the entry's index in the file)."""
    m = re.match(r"entry\.(\d+)\.resource\.?", message)
    if not m or int(m.group(1)) >= len(kept):
        return message
    k = kept[int(m.group(1))]
    res = entries[k].get("resource") or {}
    name = f"{res.get('resourceType', '?')}/{res.get('id', '?')} (entry {k})"
    return f"{name} {message[m.end():]}"


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
    raw = _raw(path)
    log = ImportLog(label)
    entries = raw.get("entry") or []
    problems: list[str] = []
    chosen, refs, identifiers = _choose_patient(entries, patient, label, problems)
    several = sum(1 for e in entries if _resource(e).get("resourceType") == "Patient") > 1
    kept, uses = _select(entries, chosen, refs, identifiers, several, log, label)
    bundle = _validate(raw, kept, label)
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


def _resource(entry) -> dict:
    res = entry.get("resource") if isinstance(entry, dict) else None
    return res if isinstance(res, dict) else {}


def _identifier_values(res: dict) -> set[str]:
    out = set()
    for i in res.get("identifier") or [] if isinstance(res.get("identifier"), list) else []:
        if isinstance(i, dict) and isinstance(i.get("value"), str):
            out.add(i["value"])
            if isinstance(i.get("system"), str):
                out.add(f"{i['system']}|{i['value']}")
    return out


def _choose_patient(entries: list, wanted: Optional[str], label: str, problems: list[str]):
    """(index of the Patient entry, references that name it, its identifiers); a problem when there is
    none, several without `wanted`, or `wanted` names none of them."""
    patients = [(k, _resource(e), e.get("fullUrl")) for k, e in enumerate(entries)
                if _resource(e).get("resourceType") == "Patient"]
    ids = ", ".join(f"Patient/{p.get('id')}" for _, p, _ in patients)
    if wanted is not None:
        hits = [(k, p, u) for k, p, u in patients
                if wanted in (p.get("id"), u, f"Patient/{p.get('id')}") or wanted in _identifier_values(p)]
        if len(hits) != 1:
            problems.append(f"{label}: patient {wanted!r} is {'not' if not hits else 'more than once'} in the "
                            f"bundle; its patients are {ids or 'none'}")
            return None, set(), set()
        patients = hits
    elif len(patients) > 1:
        problems.append(f"{label}: {len(patients)} Patient resources ({ids}); choose one with --patient ID "
                        "(read_fhir_bundle(..., patient=ID)), or give one file per person")
        return None, set(), set()
    if len(patients) != 1:
        problems.append(f"{label}: 0 Patient resources; a bundle must hold exactly one (one file per person)")
        return None, set(), set()
    k, p, url = patients[0]
    refs = {r for r in (f"Patient/{p['id']}" if isinstance(p.get("id"), str) else None, url)
            if isinstance(r, str) and r}
    return k, refs, _identifier_values(p)


def _refers_to(ref, refs: set[str], identifiers: set[str]) -> bool:
    if not isinstance(ref, str):
        return False
    if ref in refs or any(ref.endswith("/" + r) for r in refs):
        return True
    m = re.match(r"Patient\?identifier=(.+)$", ref)  # a conditional reference (transaction bundles)
    return bool(m) and m.group(1) in identifiers


def _select(entries, chosen, refs, identifiers, several, log: ImportLog, label: str) -> tuple[list[int], dict]:
    """The entries to parse, and what each Observation is for; the others are counted as skipped."""
    kept, uses = [], {}
    for k, e in enumerate(entries):
        res = _resource(e)
        kind = res.get("resourceType")
        kind = kind if isinstance(kind, str) and kind else "?"
        rid = res.get("id")
        where = f"{label} {kind}/{rid if isinstance(rid, str) and rid else f'entry{k}'}"
        if not res:
            log.skip("entry", "", "no resource (e.g. a DELETE request or an outcome)", f"{label} entry {k}")
            continue
        if kind not in _USED:
            log.skip(kind, "", "resource type not used by the model", where)
            continue
        if kind == "Patient":
            if k == chosen or chosen is None and not several:
                kept.append(k)
            else:
                log.skip(kind, "", "another patient in the bundle", where)
            continue
        subject = res.get("subject") if isinstance(res.get("subject"), dict) else {}
        if several and kind in _SUBJECT_KINDS and not _refers_to(subject.get("reference"), refs, identifiers):
            log.skip(kind, "", "another patient's resource (or no subject) in a bundle of several patients", where)
            continue
        if kind == "Observation":
            use, code, why = _observation_use(res)
            if use is None:
                log.skip(kind, code, why, where, _raw_text(res.get("code")))
                continue
            uses[k] = use
        kept.append(k)
    return kept, uses


def _raw_codings(concept) -> list[tuple[str, str, str]]:
    """(system, code, display) of a raw CodeableConcept's codings, ignoring malformed ones."""
    if not isinstance(concept, dict) or not isinstance(concept.get("coding"), list):
        return []
    out = []
    for c in concept["coding"]:
        if isinstance(c, dict) and isinstance(c.get("code"), str):
            out.append((c.get("system") if isinstance(c.get("system"), str) else "", c["code"],
                        c.get("display") if isinstance(c.get("display"), str) else ""))
    return out


def _raw_text(concept) -> str:
    if not isinstance(concept, dict):
        return ""
    if isinstance(concept.get("text"), str) and concept["text"].strip():
        return concept["text"].strip()
    return next((d for _, _, d in _raw_codings(concept) if d), "")


def _observation_use(res: dict) -> tuple[Optional[str], str, str]:
    """What a raw Observation is for: 'genotype', 'weight', 'lmp', 'cycle_day' or 'lab'; or None with the
    code and the reason it is skipped. A LOINC-coded Observation is matched by its codes only (its text
    'Tryptophan [Moles/volume] in Urine' would match plasma tryptophan by name); text is read only when
    there is no LOINC code."""
    from ..assess.units import is_mapped

    gene_code, display_code, phenotype_codes = _genomics()
    codings = _raw_codings(res.get("code"))
    loinc = [c for s, c, _ in codings if s == LOINC]
    snomed = [c for s, c, _ in codings if s == SNOMED]
    components = res.get("component") if isinstance(res.get("component"), list) else []
    comp_codes = {c for comp in components if isinstance(comp, dict)
                  for s, c, _ in _raw_codings(comp.get("code")) if s == LOINC}
    if gene_code in comp_codes or display_code in loinc or any(c in loinc for c in phenotype_codes):
        return "genotype", display_code, ""
    if "29463-7" in loinc:
        return "weight", "29463-7", ""
    if LMP_LOINC in loinc or any(c in LMP_SNOMED for c in snomed):
        return "lmp", LMP_LOINC, ""
    text = _raw_text(res.get("code"))
    if " ".join(text.lower().split()) in CYCLE_DAY_NAMES:
        return "cycle_day", text, ""
    for c in loinc:
        if is_mapped(c):
            return "lab", c, ""
    if loinc:
        return None, loinc[0], "LOINC code not in the mapping table (assess/data/loinc.yaml)"
    for candidate in (text, re.split(r"[,\[(]", text)[0].strip()):
        if candidate and is_mapped(candidate):
            return "lab", candidate, ""
    code = codings[0][1] if codings else text
    return None, code, "code or name not in the mapping table (assess/data/loinc.yaml)"


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


def _same_patient(res, refs: set[str], identifiers: set[str], where: str, problems: list[str]) -> bool:
    """False (with a problem) when the resource's subject is another patient than the bundle's."""
    ref = getattr(getattr(res, "subject", None), "reference", None)
    if ref is None or not refs or _refers_to(ref, refs, identifiers):
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
    gene_code, display_code, phenotype_codes = _genomics()
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


