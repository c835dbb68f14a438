"""FHIR R4 Bundles -> PatientRecord, parsed with fhir.resources' R4B models (R4B is R4 with
minor changes; the package's default models are R5, whose MedicationStatement/Observation
shapes differ, so R5 parsing would reject R4 data or misread it).

Read: Patient (gender, birthDate); Observation with valueQuantity (UCUM) and effectiveDateTime
(laboratory values through the mapping table; body weight LOINC 29463-7); genotype
Observations of the HL7 Genomics Reporting IG (component 48018-6 gene studied, 84413-4
genotype display, 79716-7/53040-2 phenotype); MedicationStatement / MedicationRequest
(medicationCodeableConcept by RxNorm code or name, dosage doseQuantity in mg,
timing.repeat frequency/period/periodUnit, effectivePeriod / boundsPeriod); Condition text;
Annotation notes (kept as text, never parsed for numbers).
"""

from __future__ import annotations

import json
import os
import re
from datetime import date, datetime, time, timezone
from pathlib import Path
from typing import Optional, Union

from pydantic import ValidationError

from ..assess.records import SPECIMENS, Genotype, Medication, Observation, PatientRecord
from ..errors import DataError
from ._records_common import attempt, doses_until, finish, validation_messages

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
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


def _when(value) -> Optional[datetime]:
    """A FHIR date/dateTime as an aware datetime (a date alone: 00:00 UTC)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if isinstance(value, date):
        return datetime.combine(value, time(0), tzinfo=timezone.utc)
    return datetime.fromisoformat(str(value))


def read_fhir_bundle(path: Union[str, os.PathLike], *, now: Optional[datetime] = None) -> PatientRecord:
    """Read an R4 Bundle (JSON) of one patient. Every problem is reported in one RecordError."""
    from fhir.resources.R4B.bundle import Bundle

    path = Path(path)
    label = path.name
    try:
        raw = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise DataError(f"cannot read FHIR JSON {str(path)!r}: {exc}") from None
    if not isinstance(raw, dict) or raw.get("resourceType") != "Bundle":
        raise DataError(f"{label}: expected a FHIR Bundle (resourceType 'Bundle'), got "
                        f"{raw.get('resourceType') if isinstance(raw, dict) else type(raw).__name__!r}")
    try:
        bundle = Bundle.model_validate(raw)
    except ValidationError as exc:
        lines = "\n  ".join(validation_messages(exc)[:20])
        raise DataError(f"{label}: not a valid FHIR R4 Bundle (parsed with the R4B models):\n  {lines}") from None

    problems: list[str] = []
    fields: dict = {}
    observations, genotypes, conditions, notes, pending_meds = [], [], [], [], []
    patients = []
    for k, entry in enumerate(bundle.entry or []):
        res = entry.resource
        if res is None:
            continue
        kind = res.get_resource_type()
        where = f"{label} {kind}/{res.id or f'entry{k}'}"
        notes += [n.text for n in (getattr(res, "note", None) or []) if n.text]
        if kind == "Patient":
            patients.append(res)
        elif kind == "Observation":
            _observation(res, where, problems, fields, observations, genotypes)
        elif kind in ("MedicationStatement", "MedicationRequest"):
            pending_meds.append((where, res))
        elif kind == "Condition":
            text = _text(res.code)
            if text:
                conditions.append(text)
    if len(patients) != 1:
        problems.append(f"{label}: {len(patients)} Patient resources; a bundle must hold exactly one")
    else:
        p = patients[0]
        fields["patient_id"] = p.id or path.stem
        if p.gender not in ("male", "female"):
            problems.append(f"{label} Patient/{p.id}: gender {p.gender!r}; the model needs male or female "
                            "(physiological sex)")
        else:
            fields["sex"] = p.gender
        if p.birthDate is None:
            problems.append(f"{label} Patient/{p.id}: no birthDate (needed for age)")
        else:
            fields["birth_date"] = p.birthDate if isinstance(p.birthDate, date) else date.fromisoformat(str(p.birthDate)[:10])
    ref = max((o.time for o in observations), default=None)
    meds = [m for where, res in pending_meds
            if (m := attempt(problems, where, lambda: _medication(res, where, ref))) is not None]
    fields.update(observations=tuple(observations), genotypes=tuple(genotypes),
                  medications=tuple(meds), conditions=tuple(conditions), notes=tuple(notes))
    return finish(label, fields, problems, now)


def _observation(res, where, problems, fields, observations, genotypes) -> None:
    gene_code, display_code, phenotype_codes = _genomics()
    codes = _codes(res.code, LOINC)
    components = {c: comp for comp in (res.component or []) for c in _codes(comp.code, LOINC)}
    if gene_code in components or display_code in codes or any(c in codes for c in phenotype_codes):
        g = attempt(problems, where, lambda: _genotype(res, where, components, codes))
        if g is not None:
            genotypes.append(g)
        return
    if "29463-7" in codes:  # body weight
        q = res.valueQuantity
        from ..assess.units import parse_ucum

        w = attempt(problems, where, lambda: float((parse_ucum(q.code or q.unit) * float(q.value)).to("kilogram").magnitude))
        if w is not None:
            fields["weight_kg"] = w
        return
    obs = attempt(problems, where, lambda: _lab(res, where, codes))
    if obs is not None:
        observations.append(obs)


def _lab(res, where, codes) -> Observation:
    from ..assess.units import lookup

    q = res.valueQuantity
    if q is None or q.value is None:
        raise ValueError("no valueQuantity (only numeric results are read)")
    if q.system not in (None, UCUM):
        raise ValueError(f"valueQuantity.system {q.system!r} is not UCUM ({UCUM})")
    unit = q.code or q.unit
    if not unit:
        raise ValueError("valueQuantity has no unit")
    when = _when(res.effectiveDateTime) or (_when(res.effectivePeriod.start) if res.effectivePeriod else None)
    if when is None:
        raise ValueError("no effectiveDateTime")
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
    return Observation(code=code, name=_text(res.code) or code, value=float(q.value), unit=unit,
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


def _medication(res, where, ref) -> Medication:
    from ..assess.units import parse_ucum

    concept = getattr(res, "medicationCodeableConcept", None)
    if concept is None:
        raise ValueError("medicationCodeableConcept missing (a medicationReference is not followed)")
    drug = _drug_name(concept)
    dosages = getattr(res, "dosage", None) or getattr(res, "dosageInstruction", None) or []
    if not dosages:
        raise ValueError("no dosage")
    d = dosages[0]
    dq = next((r.doseQuantity for r in (d.doseAndRate or []) if r.doseQuantity is not None), None)
    if dq is None or dq.value is None:
        raise ValueError("dosage has no doseAndRate.doseQuantity")
    try:
        dose_mg = float((parse_ucum(dq.code or dq.unit or "mg") * float(dq.value)).to("milligram").magnitude)
    except DataError:
        raise
    except Exception:
        raise ValueError(f"doseQuantity unit {dq.code or dq.unit!r} is not a mass; give the dose in mg") from None
    rep = d.timing.repeat if d.timing is not None else None
    if rep is None or rep.period is None or rep.periodUnit not in _PERIOD_H:
        raise ValueError("dosage.timing.repeat needs period and periodUnit (s, min, h, d, wk, mo, a)")
    every_h = float(rep.period) * _PERIOD_H[rep.periodUnit] / float(rep.frequency or 1)
    start = end = None
    period = getattr(res, "effectivePeriod", None) or getattr(rep, "boundsPeriod", None)
    if period is not None:
        start, end = _when(period.start), _when(period.end)
    start = start or _when(getattr(res, "effectiveDateTime", None)) or _when(getattr(res, "authoredOn", None))
    if start is None:
        raise ValueError("no start (effectivePeriod.start, timing.repeat.boundsPeriod.start or authoredOn)")
    until = min(t for t in (end, ref) if t is not None) if (end or ref) else None
    route_text = _text(d.route).lower() if d.route is not None else ""
    route = "iv" if "intravenous" in route_text or route_text == "iv" else "oral"
    return Medication(drug=drug, dose_mg=dose_mg, route=route, first_dose=start, every_h=every_h,
                      count=doses_until(start, every_h, until), source=where)
