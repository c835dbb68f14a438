"""FHIR medication resources -> dosing courses -> the record's Medications.

Read: MedicationStatement, MedicationRequest, MedicationAdministration (one dose each) and MedicationDispense
(its dosageInstruction, or else quantity / daysSupply). The medicine: medicationCodeableConcept or a
medicationReference to a contained or bundled Medication; RxNorm ingredient codes, clinical-drug codes
(assess/data/rxnorm.yaml) and names ("sertraline 50 MG Oral Tablet", "Zoloft 50 mg"). A dose in tablets,
capsules or mL is turned into mg with the product's strength (Medication.ingredient.strength, the clinical
drug's name, or the name in the text). A medicine the library does not model is listed as not modelled; an
as-needed dose is listed apart (its times are unknown, so it is not in the dosing history).

One source per drug: where a drug appears in several kinds of resource, the most direct is read
(administrations > statements > dispenses > requests) and the others are skipped, so that an order and its
dispense do not count the same doses twice. Courses of one drug follow each other: a later course (a renewal,
a new dose) ends the earlier one at its start.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Optional

from ..assess.records import Medication
from ..errors import DataError
from ._records_common import doses_until, last_taken, mass
from ._sig import every_h_of_code, read_sig
from .import_summary import ImportLog

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
KINDS = ("MedicationAdministration", "MedicationStatement", "MedicationDispense", "MedicationRequest")
# FHIR timing.repeat.periodUnit (UCUM) in hours; UCUM's mo and a are the mean Julian month
# (30.4375 d) and year (365.25 d).
PERIOD_H = {"s": 1 / 3600, "min": 1 / 60, "h": 1.0, "d": 24.0, "wk": 168.0, "mo": 730.5, "a": 8766.0}
# Statuses that say the dosing ended: the end must be given (or follow from a later course), or every dose
# up to now would count.
ENDED = ("completed", "stopped", "on-hold")
# Dose units that count dose units of a product (tablets, capsules): UCUM annotations, the v3
# orderableDrugForm codes TAB/CAP, SNOMED CT units of presentation 732936001 (tablet) and 732937005
# (capsule), and the words EHRs write.
_COUNT_UNITS = {"tablet", "tablets", "tab", "tabs", "capsule", "capsules", "cap", "caps", "each", "ea", "pill",
                "pills", "tbl", "unit", "units", "dose", "doses", "1", "732936001", "732937005"}
_ROUTES = {"oral": "oral", "po": "oral", "by mouth": "oral", "26643006": "oral",
           "iv": "iv", "intravenous": "iv", "47625008": "iv"}  # SNOMED CT route codes


@dataclass(frozen=True)
class Course:
    """A regular dosing read from one resource, before courses of the same drug are put in sequence."""

    drug: str
    dose_mg: float
    every_h: float
    route: str
    start: datetime
    end: Optional[datetime]
    ended: bool
    status: Optional[str]
    max_count: Optional[int]
    kind: str
    where: str


def codes(concept, system: Optional[str] = None) -> list[str]:
    if concept is None:
        return []
    return [c.code for c in (concept.coding or []) if c.code and (system is None or c.system == system)]


def text_of(concept) -> str:
    if concept is None:
        return ""
    if concept.text:
        return concept.text
    return next((c.display for c in (concept.coding or []) if c.display), "")


def when(value, field: str) -> Optional[datetime]:
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


def _concept_and_medication(res, bundled: dict):
    """(CodeableConcept, Medication resource or None): inline, or the code of a contained or bundled
    Medication that medicationReference points to."""
    concept = getattr(res, "medicationCodeableConcept", None)
    if concept is not None:
        return concept, None
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
    return found.code, found


@dataclass(frozen=True)
class _Strength:
    mg: float
    per: str  # "unit" or "mL"


def _ratio_strength(ratio) -> Optional[_Strength]:
    """Medication.ingredient.strength (a Ratio such as 50 mg / 1 {tablet}) in mg per unit or per mL."""
    num, den = getattr(ratio, "numerator", None), getattr(ratio, "denominator", None)
    if num is None or num.value is None:
        return None
    try:
        mg = mass(float(num.value), num.code or num.unit or "mg", "milligram", "not a mass")
    except (ValueError, DataError):
        return None
    den_value = float(den.value) if den is not None and den.value is not None else 1.0
    den_unit = (den.code or den.unit or "") if den is not None else ""
    if not den_value > 0:
        return None
    if den_unit.lower() in ("ml", "milliliter", "millilitre"):
        return _Strength(mg / den_value, "mL")
    return _Strength(mg / den_value, "unit")


def _drugs(concept, medication, log: ImportLog, where: str) -> dict[str, Optional[_Strength]]:
    """The library drugs the medicine contains, each with its strength when known. Unmodelled
    ingredients next to a modelled one are listed as not modelled."""
    from ..assess.units import drug_for_rxnorm, drugs_in, product, rxnorm_table

    names = [t for t in [concept.text] + [c.display for c in (concept.coding or [])] if t]
    rx = codes(concept, RXNORM)
    clinical = rxnorm_table().clinical_drugs
    products = [product(clinical[c].name) for c in rx if c in clinical] + [product(n) for n in names]
    prod = next((p for p in products if p is not None), None)
    out: dict[str, Optional[_Strength]] = {}
    for c in rx:
        if drug_for_rxnorm(c):
            out.setdefault(drug_for_rxnorm(c), None)
    if prod is not None:
        for s in prod.strengths:
            if s.drug is not None:
                out[s.drug] = _Strength(s.mg, s.per)
        if out:
            for s in prod.strengths:
                if s.drug is None:
                    log.not_modelled.append(f"{s.ingredient} (in {prod.name}; {where})")
            for d in out:
                if prod.modified_release:
                    log.note(f"{d}: {prod.name} is a modified-release form; the model doses it with the "
                             f"library's absorption for {d} ({where})")
    if not out:
        for n in names:
            for d in drugs_in(n):
                out.setdefault(d, None)
    for ing in (getattr(medication, "ingredient", None) or []):
        item = ing.itemCodeableConcept
        found = [drug_for_rxnorm(c) for c in codes(item, RXNORM) if drug_for_rxnorm(c)] or \
            (drugs_in(text_of(item)) if item is not None else [])
        if not found and len(out) == 1:
            found = list(out)  # the one ingredient of a single-drug product
        strength = _ratio_strength(ing.strength) if ing.strength is not None else None
        for d in found:
            if strength is not None or d not in out:
                out[d] = strength or out.get(d)
    return out


def _unknown(concept, where: str, log: ImportLog) -> None:
    """A medicine with no library drug: listed as not modelled, unless its name is a misspelling of one."""
    from ..assess.units import close_drug

    name = text_of(concept) or ", ".join(codes(concept)) or "?"
    first = re.split(r"[\s,/]+", name.strip())[0] if name.strip() else ""
    close = close_drug(first) if first else None
    if close is not None:
        raise ValueError(f"unknown drug {first.lower()!r} (did you mean {close}?); correct the name, or give the "
                         "RxNorm code")
    log.not_modelled.append(f"{name} ({where})")


def _dosages(res, kind: str) -> list:
    if kind == "MedicationStatement":
        return list(res.dosage or [])
    if kind == "MedicationAdministration":
        return [res.dosage] if res.dosage is not None else []
    return list(res.dosageInstruction or [])


def _sig_text(d) -> str:
    return " ".join(t for t in (getattr(d, "text", None), getattr(d, "patientInstruction", None)) if t)


def _as_needed(d) -> bool:
    if d is None:
        return False
    return bool(getattr(d, "asNeededBoolean", None)) or getattr(d, "asNeededCodeableConcept", None) is not None \
        or read_sig(_sig_text(d)).as_needed


def _dose_units(dq) -> Optional[str]:
    """'count' (tablets, capsules, or no unit), 'mL', 'mass', or None for another unit."""
    from ..assess.units import parse_ucum

    unit = dq.code or dq.unit
    if unit is None:
        return "count"
    key = re.sub(r"[{}]", "", str(unit)).strip().lower()
    if key in _COUNT_UNITS:
        return "count"
    if key in ("ml", "milliliter", "millilitre"):
        return "mL"
    try:
        q = parse_ucum(unit)
    except DataError:
        return None
    return "mass" if str(q.dimensionality) == "[mass]" else None


def _per_unit(drug: str, strength: Optional[_Strength], amount: float, what: str, n_drugs: int) -> float:
    if strength is None or strength.per != what:
        form = "a tablet or capsule" if what == "unit" else "a mL"
        raise ValueError(f"the dose is {amount:g} {'unit(s)' if what == 'unit' else 'mL'} but the {drug} content of "
                         f"{form} is not known; give Medication.ingredient.strength, an RxNorm clinical drug code "
                         "or name with its strength (e.g. 'sertraline 50 MG Oral Tablet'), or the dose in mg")
    return amount * strength.mg


def _dose_mg(d, drug: str, strength: Optional[_Strength], n_drugs: int, res,
             kind: str) -> tuple[float, Optional[float]]:
    """(dose in mg, hours between doses when the dose itself says so: a dispense's supply)."""
    dq = None
    if d is not None:
        if kind == "MedicationAdministration":
            dq = d.dose
        else:
            dq = next((r.doseQuantity for r in (d.doseAndRate or []) if r.doseQuantity is not None), None)
            if dq is None:
                rng = next((r.doseRange for r in (d.doseAndRate or []) if r.doseRange is not None), None)
                dq = rng.low if rng is not None and rng.low is not None else None
    if dq is not None and dq.value is not None:
        kind_of = _dose_units(dq)
        amount = float(dq.value)
        if kind_of == "mass":
            if n_drugs > 1:
                raise ValueError(f"a dose of {amount:g} {dq.code or dq.unit} of a product with several drugs "
                                 "does not say how much of each; give the dose as a number of tablets")
            return mass(amount, dq.code or dq.unit, "milligram", "not a mass"), None
        if kind_of in ("count", "mL"):
            return _per_unit(drug, strength, amount, "unit" if kind_of == "count" else "mL", n_drugs), None
        unit = dq.code or dq.unit
        raise ValueError(f"doseQuantity unit {unit!r} is not a mass; give the dose in mg")
    sig = read_sig(_sig_text(d)) if d is not None else None
    if sig is not None and sig.mg is not None and n_drugs == 1:
        return sig.mg, None
    if sig is not None and sig.units is not None:
        return _per_unit(drug, strength, sig.units, "unit", n_drugs), None
    if kind == "MedicationDispense" and res.quantity is not None and res.quantity.value is not None \
            and res.daysSupply is not None and res.daysSupply.value:
        days = float(days_of(res.daysSupply))
        per_day = float(res.quantity.value) / days
        times = round(per_day)
        if times >= 1 and abs(per_day - times) < 1e-6:  # 60 tablets for 30 days: 1 tablet every 12 h
            return _per_unit(drug, strength, 1.0, "unit", n_drugs), 24.0 / times
        return _per_unit(drug, strength, per_day, "unit", n_drugs), 24.0
    raise ValueError("dosage has no doseAndRate.doseQuantity (and no dose in its text); give the dose in mg "
                     "or as a number of tablets")


def days_of(q) -> float:
    """A duration quantity (daysSupply) in days."""
    unit = (q.code or q.unit or "d").lower()  # UCUM d, wk, mo, h or the words
    factor = {"d": 1.0, "day": 1.0, "days": 1.0, "wk": 7.0, "week": 7.0, "weeks": 7.0, "mo": 30.4375,
              "h": 1 / 24}.get(unit)
    if factor is None or not float(q.value) > 0:
        raise ValueError(f"daysSupply {q.value} {unit!r}: give a number of days > 0")
    return float(q.value) * factor


def _every_h(d, kind: str) -> float:
    """Hours between doses: timing.repeat (frequency per period), timing.code (BID, Q12H, ...), the number
    of timeOfDay/when entries per day, or the sig text ('twice daily')."""
    timing = getattr(d, "timing", None) if d is not None else None
    rep = timing.repeat if timing is not None else None
    if rep is not None and rep.period is not None:
        if rep.periodUnit not in PERIOD_H:
            raise ValueError(f"dosage.timing.repeat.periodUnit {rep.periodUnit!r}; allowed: "
                             f"{', '.join(PERIOD_H)}")
        if not float(rep.period) > 0:
            raise ValueError(f"dosage.timing.repeat.period {rep.period} must be > 0")
        return float(rep.period) * PERIOD_H[rep.periodUnit] / float(rep.frequency or 1)
    if timing is not None and timing.code is not None:
        for c in codes(timing.code) + [text_of(timing.code)]:
            if c and every_h_of_code(c):
                return every_h_of_code(c)
    if rep is not None:
        n = len(rep.timeOfDay or []) or len(rep.when or [])
        if n:
            return 24.0 / n
    sig = read_sig(_sig_text(d)) if d is not None else None
    if sig is not None and sig.every_h:
        return sig.every_h
    raise ValueError("dosage.timing.repeat needs period and periodUnit (s, min, h, d, wk, mo, a), "
                     "e.g. {frequency: 2, period: 1, periodUnit: d} for twice daily; or give timing.code "
                     "(BID, QD, Q12H, ...) or a dosage text such as 'twice daily'")


def route_of(concept) -> str:
    """oral (also when no route is given) or iv; any other route is an error, not oral."""
    if concept is None:
        return "oral"
    words = [w.lower() for w in (codes(concept) + [text_of(concept)]) if w]
    for w in words:
        for key, route in _ROUTES.items():
            if re.search(rf"\b{re.escape(key)}\b", w):
                return route
    raise ValueError(f"dosage route {(text_of(concept) or ', '.join(words))!r}; the model doses oral or iv "
                     "(SNOMED 26643006 or 47625008)")


def _start_end(res, kind: str, d) -> tuple[datetime, Optional[datetime]]:
    rep = d.timing.repeat if d is not None and getattr(d, "timing", None) is not None else None
    if kind == "MedicationDispense":
        start = when(res.whenHandedOver, "whenHandedOver") or when(res.whenPrepared, "whenPrepared")
        if start is None:
            raise ValueError("no whenHandedOver (or whenPrepared): the start of the supply is needed")
        end = None
        if res.daysSupply is not None and res.daysSupply.value is not None:
            # the supply lasts `days` from the first dose: the dose at start + days is the next supply's
            end = start + timedelta(days=days_of(res.daysSupply)) - timedelta(seconds=1)
        return start, end
    period = getattr(res, "effectivePeriod", None) or getattr(rep, "boundsPeriod", None)
    start = when(period.start, "start") if period is not None else None
    end = when(period.end, "end") if period is not None else None
    start = start or when(getattr(res, "effectiveDateTime", None), "effectiveDateTime") or \
        when(getattr(res, "authoredOn", None), "authoredOn")
    if start is None:
        raise ValueError("no start (effectivePeriod.start, timing.repeat.boundsPeriod.start or authoredOn)")
    bounds = getattr(rep, "boundsDuration", None)
    if end is None and bounds is not None and bounds.value is not None:
        end = start + timedelta(days=days_of(bounds)) - timedelta(seconds=1)
    supply = _supply_end(res, start) if kind == "MedicationRequest" and res.status in ENDED else None
    return start, end or supply


def _supply_end(res, start: datetime) -> Optional[datetime]:
    """The end of an ended order without a stated end: its dispensed supply, expectedSupplyDuration x (1 +
    numberOfRepeatsAllowed), when the order gives it (EHR exports often close old orders without a date)."""
    req = res.dispenseRequest
    dur = req.expectedSupplyDuration if req is not None else None
    if dur is None or dur.value is None:
        return None
    fills = 1 + int(req.numberOfRepeatsAllowed or 0)
    return start + timedelta(days=days_of(dur) * fills) - timedelta(seconds=1)


def _as_needed_text(d, drugs: dict, res, kind: str) -> str:
    """'lorazepam 1 mg up to every 6 h' as far as the dosage says (never an error: the dose is not used)."""
    parts = []
    for drug, strength in drugs.items():
        try:
            parts.append(f"{drug} {_dose_mg(d, drug, strength, len(drugs), res, kind)[0]:g} mg")
        except (ValueError, DataError):
            parts.append(drug)
    try:
        every = f" up to every {_every_h(d, kind):g} h"
    except ValueError:
        every = ""
    return ", ".join(parts) + every + (f" ({_sig_text(d)})" if _sig_text(d) else "")


def read_courses(res, kind: str, where: str, bundled: dict, log: ImportLog) -> list[Course]:
    """The courses of one medication resource ([] for a medicine not modelled or taken as needed);
    ValueError (naming the field) for a modelled drug whose dose, interval or start cannot be read."""
    concept, medication = _concept_and_medication(res, bundled)
    drugs = _drugs(concept, medication, log, where)
    if not drugs:
        _unknown(concept, where, log)
        return []
    dosages = _dosages(res, kind)
    regular = [d for d in dosages if not _as_needed(d)]
    for d in dosages:
        if _as_needed(d):
            log.as_needed.append(f"{_as_needed_text(d, drugs, res, kind)} ({where})")
    if dosages and not regular:
        return []
    if not dosages and kind not in ("MedicationDispense", "MedicationAdministration"):
        raise ValueError("no dosage; give dosage (MedicationStatement) or dosageInstruction "
                         "(MedicationRequest) with doseAndRate.doseQuantity and timing.repeat")
    d = regular[0] if regular else None
    start, end = _start_end(res, kind, d)
    rep = d.timing.repeat if d is not None and getattr(d, "timing", None) is not None else None
    route = route_of(getattr(d, "route", None) if d is not None else None)
    out = []
    for drug, strength in drugs.items():
        dose, supply_every = _dose_mg(d, drug, strength, len(drugs), res, kind)
        if kind == "MedicationAdministration":
            every_h, max_count = 24.0, 1  # one dose given; the interval is not used
        else:
            every_h = supply_every if (d is None and supply_every) else _every_h(d, kind)
            max_count = int(rep.count) if rep is not None and rep.count is not None else None
        out.append(Course(drug=drug, dose_mg=dose, every_h=every_h, route=route, start=start, end=end,
                          ended=getattr(res, "status", None) in ENDED and kind in ("MedicationStatement",
                                                                                 "MedicationRequest"),
                          status=getattr(res, "status", None), max_count=max_count, kind=kind, where=where))
    return out


def medications(courses: list[Course], ref: Optional[datetime], log: ImportLog, problems: list[str]) -> list:
    """The record's Medications from every course read: one kind of source per drug, courses of a drug in
    sequence, doses counted up to the reference time `ref`. Problems (naming the resource) go to `problems`."""
    from ._records_common import attempt

    rank = {k: n for n, k in enumerate(KINDS)}
    out = []
    for drug in sorted({c.drug for c in courses}):
        mine = [c for c in courses if c.drug == drug]
        best = min(mine, key=lambda c: rank[c.kind]).kind
        for c in mine:
            if c.kind != best:
                log.skip(c.kind, drug, f"{drug} is read from the {best} resources instead (one kind of source "
                                       "per drug, so that no dose counts twice)", c.where)
        kept = sorted((c for c in mine if c.kind == best), key=lambda c: c.start)
        for n, c in enumerate(kept):
            later = next((k.start for k in kept[n + 1:] if k.start > c.start), None)
            if best == "MedicationAdministration":
                later = None  # single doses do not end one another
            m = attempt(problems, c.where, lambda c=c, later=later: _medication(c, later, ref))
            if m is not None:
                out.append(m)
    return out


def _medication(c: Course, later: Optional[datetime], ref: Optional[datetime]) -> Medication:
    end = c.end
    if later is not None:
        cut = later - timedelta(seconds=1)
        end = cut if end is None or cut < end else end
    if c.ended and end is None:
        raise ValueError(f"status {c.status} but no end date (effectivePeriod.end or "
                         "timing.repeat.boundsPeriod.end); give the time of the last dose taken")
    count = 1 if c.kind == "MedicationAdministration" else doses_until(c.start, c.every_h,
                                                                       last_taken(c.start, end, ref, "end"))
    if c.max_count is not None:  # timing.repeat.count: the whole course has this many doses
        count = min(count, c.max_count)
    return Medication(drug=c.drug, dose_mg=c.dose_mg, route=c.route, first_dose=c.start, every_h=c.every_h,
                      count=count, source=c.where)
