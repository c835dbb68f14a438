"""A FHIR R4 transaction bundle shaped like the exports of synthetic-patient generators (Synthea) and EHR
sandboxes: urn:uuid references, request entries, encounters, conditions, vital-sign panels with components,
blood pressure, BMI, social history, claims, and medication orders written as one tablet of a clinical drug."""

from __future__ import annotations

import json
from datetime import datetime, timezone

NOW = datetime(2026, 11, 26, tzinfo=timezone.utc)
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
SNOMED = "http://snomed.info/sct"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
PID = "urn:uuid:3f1c2a9e-0b57-4c1e-9a5e-5d2f0e6b7a11"
ENC = "urn:uuid:8a6d2b1c-1f0e-4a7d-b3c2-9e8f7a6b5c41"


def _coding(system, code, display):
    return {"coding": [{"system": system, "code": code, "display": display}], "text": display}


def vital(n, code, display, value, unit, when="2026-09-01T09:00:00-04:00", category="vital-signs"):
    return obs(n, code, display, when, category, valueQuantity={"value": value, "unit": unit, "system": UCUM,
                                                                 "code": unit})


def obs(n, code, display, when, category="laboratory", **value):
    return {"resourceType": "Observation", "id": f"obs-{n}", "status": "final",
            "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                      "code": category}]}],
            "code": _coding(LOINC, code, display), "subject": {"reference": PID},
            "encounter": {"reference": ENC}, "effectiveDateTime": when, "issued": "2026-09-01T13:00:00.000-04:00",
            **value}


def med_request(n, rxcui, display, *, when="2026-08-03T08:00:00-04:00", dose=None, timing=None, prn=False,
                status="active"):
    d = {"sequence": 1, "asNeededBoolean": prn,
         "timing": timing or {"repeat": {"frequency": 1, "period": 1.0, "periodUnit": "d"}},
         "doseAndRate": [{"type": _coding("http://terminology.hl7.org/CodeSystem/dose-rate-type", "ordered",
                                          "Ordered"), "doseQuantity": dose or {"value": 1.0}}]}
    return {"resourceType": "MedicationRequest", "id": f"medreq-{n}", "status": status, "intent": "order",
            "medicationCodeableConcept": _coding(RXNORM, rxcui, display), "subject": {"reference": PID},
            "encounter": {"reference": ENC}, "authoredOn": when,
            "requester": {"reference": "urn:uuid:practitioner-1", "display": "Dr. Who"}, "dosageInstruction": [d]}


def synthea_like() -> dict:
    """A transaction bundle of one woman on escitalopram 10 MG Oral Tablet, one tablet daily."""
    resources = [
        {"resourceType": "Patient", "id": "3f1c2a9e-0b57-4c1e-9a5e-5d2f0e6b7a11",
         "extension": [{"url": "http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex", "valueCode": "F"}],
         "identifier": [{"system": "https://github.com/synthetichealth/synthea",
                         "value": "3f1c2a9e-0b57-4c1e-9a5e-5d2f0e6b7a11"},
                        {"type": {"text": "Medical Record Number"}, "system": "http://hospital.smarthealthit.org",
                         "value": "MRN-4711"}],
         "name": [{"use": "official", "family": "Kuhn", "given": ["Maria"]}], "gender": "female",
         "birthDate": "1991-05-12", "address": [{"city": "Boston", "state": "MA", "country": "US"}],
         "maritalStatus": _coding("http://terminology.hl7.org/CodeSystem/v3-MaritalStatus", "M", "Married")},
        {"resourceType": "Organization", "id": "org-1", "name": "General Hospital"},
        {"resourceType": "Practitioner", "id": "practitioner-1", "name": [{"family": "Who"}]},
        {"resourceType": "Encounter", "id": "enc-1", "status": "finished",
         "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
         "type": [_coding(SNOMED, "185349003", "Encounter for check up")], "subject": {"reference": PID},
         "period": {"start": "2026-09-01T08:45:00-04:00", "end": "2026-09-01T09:30:00-04:00"}},
        {"resourceType": "Condition", "id": "cond-1",
         "clinicalStatus": _coding("http://terminology.hl7.org/CodeSystem/condition-clinical", "active", "Active"),
         "verificationStatus": _coding("http://terminology.hl7.org/CodeSystem/condition-ver-status", "confirmed",
                                       "Confirmed"),
         "category": [_coding("http://terminology.hl7.org/CodeSystem/condition-category", "encounter-diagnosis",
                              "Encounter Diagnosis")],
         "code": _coding(SNOMED, "370143000", "Major depressive disorder (disorder)"), "subject": {"reference": PID},
         "encounter": {"reference": ENC}, "onsetDateTime": "2026-07-20T10:00:00-04:00"},
        vital(1, "8302-2", "Body Height", 165.1, "cm"),
        vital(2, "29463-7", "Body Weight", 150, "[lb_av]"),
        vital(3, "39156-5", "Body mass index (BMI) [Ratio]", 24.96, "kg/m2"),
        {**obs(4, "85354-9", "Blood pressure panel with all children optional", "2026-09-01T09:00:00-04:00",
               "vital-signs"),
         "component": [{"code": _coding(LOINC, "8462-4", "Diastolic Blood Pressure"),
                        "valueQuantity": {"value": 78, "unit": "mm[Hg]", "system": UCUM, "code": "mm[Hg]"}},
                       {"code": _coding(LOINC, "8480-6", "Systolic Blood Pressure"),
                        "valueQuantity": {"value": 121, "unit": "mm[Hg]", "system": UCUM, "code": "mm[Hg]"}}]},
        vital(5, "8867-4", "Heart rate", 72, "/min"),
        {**obs(6, "85353-1", "Vital signs, weight, height, head circumference, oxygen saturation and BMI panel",
               "2026-09-01T09:00:00-04:00", "vital-signs"),
         "hasMember": [{"reference": "urn:uuid:obs-1"}, {"reference": "urn:uuid:obs-2"}]},
        obs(7, "72166-2", "Tobacco smoking status", "2026-09-01T09:00:00-04:00", "social-history",
            valueCodeableConcept=_coding(SNOMED, "266919005", "Never smoked tobacco (finding)")),
        obs(8, "44261-6", "Patient Health Questionnaire-9 (PHQ-9) total score", "2026-09-01T09:00:00-04:00",
            "survey", valueQuantity={"value": 14, "unit": "{score}", "system": UCUM, "code": "{score}"}),
        vital(9, "2160-0", "Creatinine [Mass/volume] in Serum or Plasma", 0.9, "mg/dL", category="laboratory"),
        vital(10, "4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood", 5.4, "%", category="laboratory"),
        vital(11, "2143-6", "Cortisol [Mass/volume] in Serum or Plasma", 14.5, "ug/dL",
              when="2026-09-01T08:30:00-04:00", category="laboratory"),
        vital(12, "34405-1", "Escitalopram [Mass/volume] in Serum or Plasma", 24.0, "ng/mL",
              when="2026-09-14T07:45:00-04:00", category="laboratory"),
        obs(13, "34405-1", "Escitalopram [Mass/volume] in Serum or Plasma", "2026-08-10T07:45:00-04:00",
            valueQuantity={"value": 5, "comparator": "<", "unit": "ng/mL", "system": UCUM, "code": "ng/mL"}),
        obs(14, "8665-2", "Last menstrual period start date", "2026-09-01T09:00:00-04:00", "survey",
            valueDateTime="2026-08-20"),
        obs(15, "2243-4", "Estradiol (E2) [Mass/volume] in Serum or Plasma", "2026-09-01T08:30:00-04:00",
            dataAbsentReason=_coding("http://terminology.hl7.org/CodeSystem/data-absent-reason", "error", "Error")),
        obs(16, "2243-4", "Estradiol (E2) [Mass/volume] in Serum or Plasma", "2026-09-02T08:30:00-04:00",
            valueString="<20 pg/mL"),
        med_request(1, "349332", "escitalopram 10 MG Oral Tablet"),
        med_request(2, "314076", "lisinopril 10 MG Oral Tablet"),
        med_request(3, "197901", "lorazepam 1 MG Oral Tablet", prn=True,
                    timing={"repeat": {"frequency": 1, "period": 6, "periodUnit": "h"}}),
        {"resourceType": "Immunization", "id": "imm-1", "status": "completed",
         "vaccineCode": _coding("http://hl7.org/fhir/sid/cvx", "140", "Influenza, seasonal, injectable"),
         "patient": {"reference": PID}, "occurrenceDateTime": "2026-09-01T09:00:00-04:00"},
        {"resourceType": "Procedure", "id": "proc-1", "status": "completed",
         "code": _coding(SNOMED, "171207006", "Depression screening"), "subject": {"reference": PID}},
        {"resourceType": "DiagnosticReport", "id": "dr-1", "status": "final",
         "code": _coding(LOINC, "51990-0", "Basic metabolic panel"), "subject": {"reference": PID},
         "result": [{"reference": "urn:uuid:obs-9"}]},
        {"resourceType": "Claim", "id": "claim-1", "status": "active", "use": "claim",
         "patient": {"reference": PID}, "created": "2026-09-01T09:30:00-04:00"},
        {"resourceType": "ExplanationOfBenefit", "id": "eob-1", "status": "active", "patient": {"reference": PID}},
        {"resourceType": "Provenance", "id": "prov-1", "recorded": "2026-09-01T09:30:00-04:00",
         "target": [{"reference": PID}]},
    ]
    entries = []
    for r in resources:
        url = PID if r["resourceType"] == "Patient" else ENC if r["id"] == "enc-1" else f"urn:uuid:{r['id']}"
        entries.append({"fullUrl": url, "resource": r, "request": {"method": "POST", "url": r["resourceType"]}})
    return {"resourceType": "Bundle", "type": "transaction", "entry": entries}


def write(tmp_path, data, name="export.json"):
    p = tmp_path / name
    p.write_text(json.dumps(data))
    return p


def resource(data, rid):
    return next(e["resource"] for e in data["entry"] if e.get("resource", {}).get("id") == rid)
