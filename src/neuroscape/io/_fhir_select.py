"""FHIR bundles as JSON, before any parsing: the Bundle check, the patient to read, and which entries the
model uses (the others are counted as skipped and never parsed, so a malformed resource the model does not use
cannot stop an import). `fhir.py` parses and reads the kept entries."""

from __future__ import annotations

import difflib
import json
import re
from pathlib import Path
from typing import Optional

from pydantic import ValidationError

from ..errors import DataError
from ._fhir_medications import KINDS as MEDICATION_KINDS
from ._records_common import read_text, validation_messages
from .import_summary import ImportLog

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


def genomics():
    from ..assess.units import table

    g = table().genomics
    return (g["gene_studied"]["loinc"], g["genotype_display"]["loinc"], tuple(g["phenotype"]["loinc"]))


def raw_bundle(path: Path) -> dict:
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


def parse_kept(raw: dict, kept: list[int], label: str):
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


def resource_of(entry) -> dict:
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


def choose_patient(entries: list, wanted: Optional[str], label: str, problems: list[str]):
    """(index of the Patient entry, references that name it, its identifiers); a problem when there is
    none, several without `wanted`, or `wanted` names none of them."""
    patients = [(k, resource_of(e), e.get("fullUrl")) for k, e in enumerate(entries)
                if resource_of(e).get("resourceType") == "Patient"]
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


def refers_to(ref, refs: set[str], identifiers: set[str]) -> bool:
    if not isinstance(ref, str):
        return False
    if ref in refs or any(ref.endswith("/" + r) for r in refs):
        return True
    m = re.match(r"Patient\?identifier=(.+)$", ref)  # a conditional reference (transaction bundles)
    return bool(m) and m.group(1) in identifiers


def select(entries, chosen, refs, identifiers, several, log: ImportLog, label: str,
           problems: list[str]) -> tuple[list[int], dict]:
    """The entries to parse, and what each Observation is for; the others are counted as skipped (a
    misspelling of a resource type the model reads is a problem instead)."""
    kept, uses = [], {}
    for k, e in enumerate(entries):
        res = resource_of(e)
        kind = res.get("resourceType")
        kind = kind if isinstance(kind, str) and kind else "?"
        rid = res.get("id")
        where = f"{label} {kind}/{rid if isinstance(rid, str) and rid else f'entry{k}'}"
        if not res:
            log.skip("entry", "", "no resource (e.g. a DELETE request or an outcome)", f"{label} entry {k}")
            continue
        if kind not in _USED:
            if not _is_r4_type(kind):
                near = difflib.get_close_matches(kind, _USED, n=1, cutoff=0.8)
                if near:  # a misspelt resource the model would read: losing it silently would mislead
                    problems.append(f"{where}: resourceType {kind!r} is not a FHIR R4 resource type; did you "
                                    f"mean {near[0]!r}? Correct the spelling (it is case-sensitive)")
                    continue
                log.skip(kind, "", "not a FHIR R4 resource type", where)
                continue
            log.skip(kind, "", "resource type not used by the model", where)
            continue
        if kind == "Patient":
            if k == chosen or chosen is None and not several:
                kept.append(k)
            else:
                log.skip(kind, "", "another patient in the bundle", where)
            continue
        subject = res.get("subject") if isinstance(res.get("subject"), dict) else {}
        if several and kind in _SUBJECT_KINDS and not refers_to(subject.get("reference"), refs, identifiers):
            log.skip(kind, "", "another patient's resource (or no subject) in a bundle of several patients", where)
            continue
        if kind == "Observation":
            use, code, why = _observation_use(res)
            if use is None:
                log.skip(kind, code, why, where, raw_text(res.get("code")))
                continue
            uses[k] = use
        kept.append(k)
    return kept, uses


def _is_r4_type(kind: str) -> bool:
    from fhir.resources.R4B import get_fhir_model_class

    try:
        get_fhir_model_class(kind)
    except (KeyError, ValueError):
        return False
    return True


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


def raw_text(concept) -> str:
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

    gene_code, display_code, phenotype_codes = genomics()
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
    text = raw_text(res.get("code"))
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


