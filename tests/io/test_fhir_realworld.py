"""FHIR bundles as real exports look (issue 12): unused resources and codes are skipped and counted, not
errors; bundle types, references and several patients; every medication resource, tablets resolved to mg,
timing codes and sig text; censored values; the last menstrual period; each kind of problem; fuzzed bundles;
a bundle of 10,000 unrelated observations."""

from __future__ import annotations

import copy
import json
import time
from datetime import date, datetime, timedelta, timezone

import pytest
from tests.io._bundles import ENC, LOINC, NOW, PID, RXNORM, UCUM, med_request, obs, resource, synthea_like, write
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from neuroscape.assess import model_observations
from neuroscape.assess.records import RecordError
from neuroscape.errors import DataError
from neuroscape.io.fhir import import_fhir_bundle, read_fhir_bundle

UTC = timezone.utc


@pytest.fixture
def bundle():
    return copy.deepcopy(synthea_like())
LB = 0.45359237  # kg per avoirdupois pound (exact, by definition)


def _problems(tmp_path, data, **kw):
    with pytest.raises(RecordError) as info:
        read_fhir_bundle(write(tmp_path, data), now=NOW, **kw)
    return info.value.problems


def _skipped(summary) -> dict:
    return {(g.kind, g.code): g for g in summary.skipped}


# ---- the Synthea-like transaction bundle ---------------------------------------------------------

def test_synthea_like_bundle_imports_with_subject_medication_and_observations(tmp_path, bundle):
    s = import_fhir_bundle(write(tmp_path, bundle), now=NOW)
    r = s.record
    assert (r.patient_id, r.sex, r.birth_date) == ("3f1c2a9e-0b57-4c1e-9a5e-5d2f0e6b7a11", "female", date(1991, 5, 12))
    assert r.weight_kg == pytest.approx(150 * LB)  # [lb_av]: 68.039 kg
    assert r.last_menstrual_period == date(2026, 8, 20)
    assert r.conditions == ("Major depressive disorder (disorder)",)
    (med,) = r.medications  # "1" of escitalopram 10 MG Oral Tablet, once a day
    assert (med.drug, med.dose_mg, med.every_h, med.route) == ("escitalopram", 10.0, 24.0, "oral")
    assert med.first_dose == datetime(2026, 8, 3, 12, tzinfo=UTC)
    # doses up to the last level (2026-09-14 11:45Z): 42 days
    assert med.count == 42 and med.source == "export.json MedicationRequest/medreq-1"
    by_code = {}
    for o in r.observations:
        by_code.setdefault(o.code, []).append(o)
    assert sorted(by_code) == ["2143-6", "2243-4", "34405-1"]
    cens = sorted((o.censor, o.value, o.unit) for o in r.observations if o.censor)
    assert cens == [("<", 5.0, "ng/mL"), ("<", 20.0, "pg/mL")]
    cortisol = next(o for o in model_observations(r) if o.quantity == "plasma.cortisol")
    assert cortisol.value == pytest.approx(14.5e4 / 362.46, rel=1e-9)  # ug/dL -> nmol/L, hand computed: 400.04
    assert s.not_modelled == ("lisinopril 10 MG Oral Tablet (export.json MedicationRequest/medreq-2)",)
    assert s.as_needed == ("lorazepam 1 mg up to every 6 h (export.json MedicationRequest/medreq-3)",)
    skipped = _skipped(s)
    for key in [("Encounter", ""), ("Claim", ""), ("ExplanationOfBenefit", ""), ("Immunization", ""),
                ("Procedure", ""), ("DiagnosticReport", ""), ("Organization", ""), ("Practitioner", ""),
                ("Provenance", ""), ("Observation", "85354-9"), ("Observation", "8302-2"), ("Observation", "39156-5"),
                ("Observation", "72166-2"), ("Observation", "44261-6"), ("Observation", "2160-0"),
                ("Observation", "85353-1"), ("Observation", "8867-4"), ("Observation", "4548-4")]:
        assert skipped[key].count == 1, key
    assert skipped[("Observation", "2243-4")].reason == "dataAbsentReason: Error"
    assert skipped[("Observation", "85354-9")].name == "Blood pressure panel with all children optional"
    assert s.skipped_count == 19
    assert "  skipped 19 item(s) the model does not use:" in s.lines()


@pytest.mark.parametrize("kind", ["transaction", "batch", "collection", "document", "searchset"])
def test_bundle_types(tmp_path, bundle, kind):
    bundle["type"] = kind
    if kind != "transaction":
        for e in bundle["entry"]:
            e.pop("request")
    if kind == "searchset":
        for e in bundle["entry"]:
            e["search"] = {"mode": "match"}
        bundle["entry"].append({"resource": {"resourceType": "OperationOutcome", "issue": [
            {"severity": "information", "code": "informational"}]}, "search": {"mode": "outcome"}})
    if kind == "document":
        bundle["entry"].insert(0, {"fullUrl": "urn:uuid:comp-1", "resource": {
            "resourceType": "Composition", "id": "comp-1", "status": "final", "type": {"text": "Summary"},
            "subject": {"reference": PID}, "date": "2026-09-01T10:00:00-04:00", "author": [{"display": "x"}],
            "title": "Summary"}})
        bundle["identifier"] = {"system": "urn:ietf:rfc:3986", "value": "urn:uuid:doc-1"}
        bundle["timestamp"] = "2026-09-01T10:00:00-04:00"
    r = read_fhir_bundle(write(tmp_path, bundle), now=NOW)
    assert r.medications[0].drug == "escitalopram" and len(r.observations) == 4


@pytest.mark.parametrize("reference", [
    "Patient/3f1c2a9e-0b57-4c1e-9a5e-5d2f0e6b7a11",
    "https://fhir.example.org/r4/Patient/3f1c2a9e-0b57-4c1e-9a5e-5d2f0e6b7a11",
    "Patient?identifier=https://github.com/synthetichealth/synthea|3f1c2a9e-0b57-4c1e-9a5e-5d2f0e6b7a11",
])
def test_reference_forms_name_the_patient(tmp_path, bundle, reference):
    for e in bundle["entry"]:
        if isinstance(e["resource"].get("subject"), dict):
            e["resource"]["subject"]["reference"] = reference
    r = read_fhir_bundle(write(tmp_path, bundle), now=NOW)
    assert len(r.observations) == 4 and r.medications


def _second_patient(bundle):
    other = copy.deepcopy(synthea_like())
    pid2 = "urn:uuid:0000aaaa-bbbb-cccc-dddd-eeeeffff0000"
    extra = []
    for e in other["entry"]:
        r = e["resource"]
        if r["resourceType"] == "Patient":
            r.update(id="second", gender="male", identifier=[{"system": "urn:mrn", "value": "MRN-2"}])
            e["fullUrl"] = pid2
        elif r["resourceType"] not in ("Observation", "MedicationRequest") or r["id"] == "obs-14":
            continue  # (obs-14: his record has no menstrual period)
        else:
            r["id"] += "-b"
            r["subject"] = {"reference": pid2}
            e["fullUrl"] += "-b"
        extra.append(e)
    bundle["entry"] += extra
    return bundle


def test_several_patients_are_named_or_one_is_chosen(tmp_path, bundle):
    data = _second_patient(bundle)
    (problem,) = _problems(tmp_path, data)
    assert problem == ("export.json: 2 Patient resources (Patient/3f1c2a9e-0b57-4c1e-9a5e-5d2f0e6b7a11, "
                       "Patient/second); choose one with --patient ID (read_fhir_bundle(..., patient=ID)), or "
                       "give one file per person")
    s = import_fhir_bundle(write(tmp_path, data), now=NOW, patient="MRN-2")  # an identifier value
    assert s.record.patient_id == "second" and s.record.sex == "male"
    assert s.record.medications[0].source == "export.json MedicationRequest/medreq-1-b"
    assert _skipped(s)[("Observation", "")].reason.startswith("another patient's resource")
    first = read_fhir_bundle(write(tmp_path, data), now=NOW, patient="3f1c2a9e-0b57-4c1e-9a5e-5d2f0e6b7a11")
    assert first.sex == "female" and {m.source for m in first.medications} == {"export.json MedicationRequest/medreq-1"}
    (problem,) = _problems(tmp_path, data, patient="nobody")
    assert problem.startswith("export.json: patient 'nobody' is not in the bundle; its patients are Patient/")


# ---- medications -------------------------------------------------------------------------------

def _only_med(bundle, med):
    """The bundle with `med` as its only medication (and without the escitalopram levels)."""
    bundle["entry"] = [e for e in bundle["entry"] if not e["resource"]["resourceType"].startswith("Medication")
                       and e["resource"]["id"] not in ("obs-12", "obs-13")]
    bundle["entry"].append({"fullUrl": f"urn:uuid:{med['id']}", "resource": med})
    return bundle


def _med(tmp_path, bundle, med):
    ms = read_fhir_bundle(write(tmp_path, _only_med(bundle, med)), now=NOW).medications
    return [(m.drug, m.dose_mg, m.every_h) for m in ms], ms


@pytest.mark.parametrize("code, every_h", [("QD", 24), ("BID", 12), ("TID", 8), ("QID", 6), ("Q12H", 12),
                                           ("QHS", 24), ("Q8H", 8), ("QOD", 48), ("AM", 24)])
def test_timing_code(tmp_path, bundle, code, every_h):
    timing = {"code": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-GTSAbbreviation",
                                   "code": code}]}}
    got, _ = _med(tmp_path, bundle, med_request(9, "312941", "sertraline 50 MG Oral Tablet", timing=timing))
    assert got == [("sertraline", 50.0, every_h)]


@pytest.mark.parametrize("sig, dose, every_h", [
    ("Take 1 tablet by mouth twice daily", 50.0, 12),
    ("take two tablets by mouth every morning", 100.0, 24),
    ("1 tab PO q8h", 50.0, 8),
    ("Take 1 tablet (50 mg total) by mouth nightly at bedtime", 50.0, 24),
    ("1 tablet three times a day", 50.0, 8),
])
def test_sig_text_gives_dose_and_interval(tmp_path, bundle, sig, dose, every_h):
    m = {"resourceType": "MedicationStatement", "id": "ms-1", "status": "active", "subject": {"reference": PID},
         "medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": "312941"}]},
         "effectivePeriod": {"start": "2026-08-03T08:00:00Z"}, "dosage": [{"text": sig}]}
    got, _ = _med(tmp_path, bundle, m)
    assert got == [("sertraline", dose, every_h)]


def test_medication_reference_with_ingredient_strength_and_tablets(tmp_path, bundle):
    medication = {"resourceType": "Medication", "id": "med-sert",
                  "code": {"coding": [{"system": RXNORM, "code": "36437", "display": "sertraline"}]},
                  "form": {"text": "tablet"},
                  "ingredient": [{"itemCodeableConcept": {"text": "sertraline hydrochloride"},
                                  "strength": {"numerator": {"value": 25, "unit": "mg", "system": UCUM,
                                                             "code": "mg"},
                                               "denominator": {"value": 1, "unit": "TAB"}}}]}
    req = med_request(9, "x", "x", dose={"value": 2, "unit": "TAB"},
                      timing={"repeat": {"frequency": 2, "period": 1, "periodUnit": "d"}})
    req.pop("medicationCodeableConcept")
    req["medicationReference"] = {"reference": "urn:uuid:med-sert"}
    bundle = _only_med(bundle, req)
    bundle["entry"].append({"fullUrl": "urn:uuid:med-sert", "resource": medication})
    (m,) = read_fhir_bundle(write(tmp_path, bundle), now=NOW).medications
    assert (m.drug, m.dose_mg, m.every_h) == ("sertraline", 50.0, 12.0)


def test_combination_tablet_gives_each_modelled_drug_its_strength(tmp_path, bundle):
    got, _ = _med(tmp_path, bundle, med_request(9, "x", "carbidopa 25 MG / levodopa 100 MG Oral Tablet",
                                                timing={"code": {"text": "TID"}}))
    assert got == [("carbidopa", 25.0, 8.0), ("levodopa", 100.0, 8.0)]


def test_solution_dose_in_ml(tmp_path, bundle):
    got, _ = _med(tmp_path, bundle, med_request(9, "861064", "sertraline 20 MG/ML Oral Solution",
                                                dose={"value": 2.5, "unit": "mL", "system": UCUM, "code": "mL"}))
    assert got == [("sertraline", 50.0, 24.0)]


def test_dispense_quantity_and_days_supply(tmp_path, bundle):
    d = {"resourceType": "MedicationDispense", "id": "disp-1", "status": "completed",
         "medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": "312941",
                                                   "display": "sertraline 50 MG Oral Tablet"}]},
         "subject": {"reference": PID}, "quantity": {"value": 60, "unit": "TAB"},
         "daysSupply": {"value": 30, "unit": "days", "system": UCUM, "code": "d"},
         "whenHandedOver": "2026-08-20T10:00:00Z"}
    # a later sample (before day 35 of the bundle's LMP, 2026-08-20), so that the supply, not the sample, ends it
    bundle["entry"].append({"resource": obs(40, "14675-3", "Cortisol", "2026-09-20T08:00:00Z",
                                            valueQuantity={"value": 400, "unit": "nmol/L"})})
    got, (m,) = _med(tmp_path, bundle, d)
    assert got == [("sertraline", 50.0, 12.0)]  # 60 tablets in 30 days: one every 12 h
    assert m.count == 60 and m.last_dose == datetime(2026, 9, 18, 22, tzinfo=UTC)  # the supply's last dose


def test_administrations_are_single_doses_and_outrank_orders(tmp_path, bundle):
    adm = [{"resourceType": "MedicationAdministration", "id": f"adm-{k}", "status": "completed",
            "medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": "349332",
                                                      "display": "escitalopram 10 MG Oral Tablet"}]},
            "subject": {"reference": PID}, "effectiveDateTime": f"2026-09-0{k}T08:00:00Z",
            "dosage": {"dose": {"value": 1, "unit": "TAB"}, "route": {"text": "oral"}}} for k in (1, 2, 3)]
    bundle["entry"] += [{"resource": a} for a in adm]
    s = import_fhir_bundle(write(tmp_path, bundle), now=NOW)
    assert [(m.drug, m.dose_mg, m.count) for m in s.record.medications] == [("escitalopram", 10.0, 1)] * 3
    assert "read from the MedicationAdministration resources instead" in \
        _skipped(s)[("MedicationRequest", "escitalopram")].reason


def test_a_later_order_ends_the_earlier_one(tmp_path, bundle):
    first = med_request(8, "349332", "escitalopram 10 MG Oral Tablet", when="2026-08-03T08:00:00Z",
                        status="stopped")
    second = med_request(9, "351250", "escitalopram 20 MG Oral Tablet", when="2026-08-13T08:00:00Z")
    bundle = _only_med(bundle, first)
    bundle["entry"].append({"resource": second})
    ms = read_fhir_bundle(write(tmp_path, bundle), now=NOW).medications
    # 10 days, then up to the last observation (2026-09-02 12:30Z)
    assert [(m.dose_mg, m.count) for m in ms] == [(10.0, 10), (20.0, 21)]
    assert ms[0].last_dose == datetime(2026, 8, 12, 8, tzinfo=UTC)


def test_an_ended_order_lasts_its_dispensed_supply(tmp_path, bundle):
    req = {**med_request(9, "312941", "sertraline 50 MG Oral Tablet", when="2026-08-03T08:00:00Z", status="stopped"),
           "dispenseRequest": {"numberOfRepeatsAllowed": 1,
                               "expectedSupplyDuration": {"value": 7, "unit": "days", "system": UCUM, "code": "d"}}}
    (m,) = read_fhir_bundle(write(tmp_path, _only_med(bundle, req)), now=NOW).medications
    assert (m.count, m.last_dose) == (14, datetime(2026, 8, 16, 8, tzinfo=UTC))  # 2 fills of 7 days


def test_do_not_perform_order_is_skipped(tmp_path, bundle):
    req = {**med_request(9, "312941", "sertraline 50 MG Oral Tablet"), "doNotPerform": True}
    s = import_fhir_bundle(write(tmp_path, _only_med(bundle, req)), now=NOW)
    assert s.record.medications == () and _skipped(s)[("MedicationRequest", "")].reason.startswith("doNotPerform")


def test_modified_release_is_noted(tmp_path, bundle):
    s = import_fhir_bundle(write(tmp_path, _only_med(bundle, med_request(
        9, "993518", "12 HR bupropion hydrochloride 150 MG Extended Release Oral Tablet",
        timing={"code": {"text": "BID"}}))), now=NOW)
    (m,) = s.record.medications
    assert (m.drug, m.dose_mg, m.every_h) == ("bupropion", 150.0, 12.0)
    assert any("modified-release" in n for n in s.notes)


# ---- problems: what the model would use and cannot read -----------------------------------------

@pytest.mark.parametrize("change, message", [
    # a tablet of unknown strength
    (lambda b: _only_med(b, med_request(9, "x", "sertraline tablet")),
     "MedicationRequest/medreq-9: the dose is 1 unit(s) but the sertraline content of a tablet or capsule is not "
     "known"),
    # mg of a combination product
    (lambda b: _only_med(b, med_request(9, "x", "carbidopa 25 MG / levodopa 100 MG Oral Tablet",
                                        dose={"value": 125, "unit": "mg", "code": "mg", "system": UCUM})),
     "a dose of 125 mg of a product with several drugs does not say how much of each"),
    # no interval anywhere
    (lambda b: _only_med(b, {**med_request(9, "312941", "sertraline 50 MG Oral Tablet"), "dosageInstruction": [
        {"doseAndRate": [{"doseQuantity": {"value": 1}}]}]}), "dosage.timing.repeat needs period and periodUnit"),
    # an ordered drug that ended, without its end
    (lambda b: _only_med(b, med_request(9, "349332", "escitalopram 10 MG Oral Tablet", status="stopped")),
     "status stopped but no end date"),
    # a limit string without a unit anywhere
    (lambda b: resource(b, "obs-16").update(valueString="<20"), "valueString '<20' gives a limit without a unit"),
    # a mapped code with an impossible unit
    (lambda b: resource(b, "obs-11")["valueQuantity"].update(unit="mm[Hg]", code="mm[Hg]"), "unit 'mm[Hg]'"),
    # an implausible value
    (lambda b: resource(b, "obs-12")["valueQuantity"].update(value=24000), "outside the plausible range"),
    # a cycle day out of range
    (lambda b: b["entry"].append({"resource": {**obs(30, "x", "x", "2026-09-01T09:00:00Z"), "code": {
        "text": "Cycle day"}, "valueInteger": 40}}), "cycle day 40 must be a whole number of days from 1 to 35"),
    # an LMP after the day it was recorded
    (lambda b: resource(b, "obs-14").update(valueDateTime="2026-10-20"),
     "last menstrual period 2026-10-20 is after the date it was recorded (2026-09-01)"),
    # a genotype that cannot be parsed
    (lambda b: b["entry"].append({"resource": {**obs(31, "84413-4", "Genotype display name", "2026-09-01T09:00:00Z"),
                                               "valueCodeableConcept": {"text": "CYP2D6 *1/*999"}}}), "CYP2D6"),
])
def test_each_kind_of_problem_stops_the_import_with_a_summary(tmp_path, bundle, change, message):
    change(bundle)
    with pytest.raises(RecordError) as info:
        read_fhir_bundle(write(tmp_path, bundle), now=NOW)
    assert any(message in p for p in info.value.problems), info.value.problems
    summary = info.value.summary
    assert summary is not None and summary.record is None and summary.problems == info.value.problems
    assert summary.skipped_count >= 15  # the skipped resources are still reported


def test_lmp_of_a_man_is_a_problem(tmp_path, bundle):
    resource(bundle, "3f1c2a9e-0b57-4c1e-9a5e-5d2f0e6b7a11")["gender"] = "male"
    assert any("sex is male" in p for p in _problems(tmp_path, bundle))


def test_cycle_day_gives_the_lmp(tmp_path, bundle):
    bundle["entry"] = [e for e in bundle["entry"] if e["resource"]["id"] != "obs-14"]
    bundle["entry"].append({"resource": {**obs(30, "x", "x", "2026-09-14T09:00:00-04:00"),
                                         "code": {"text": "Menstrual cycle day"}, "valueInteger": 8}})
    assert read_fhir_bundle(write(tmp_path, bundle), now=NOW).last_menstrual_period == date(2026, 9, 7)


def test_value_string_limits_and_comparators(tmp_path, bundle):
    resource(bundle, "obs-12")["valueQuantity"].update(comparator=">=", value=200)
    resource(bundle, "obs-16").update(valueString="< 20", referenceRange=[{"high": {"value": 300, "unit": "pg/mL"}}])
    r = read_fhir_bundle(write(tmp_path, bundle), now=NOW)
    got = sorted((o.code, o.censor, o.value, o.unit) for o in r.observations if o.censor)
    assert got == [("2243-4", "<", 20.0, "pg/mL"), ("34405-1", "<", 5.0, "ng/mL"), ("34405-1", ">", 200.0, "ng/mL")]


def test_loinc_coded_observation_is_not_matched_by_its_text(tmp_path, bundle):
    # "Tryptophan [Moles/volume] in Urine" would be plasma tryptophan if the text were read
    bundle["entry"].append({"resource": obs(32, "30056-1", "Tryptophan [Moles/volume] in Urine",
                                            "2026-09-01T09:00:00Z", valueQuantity={"value": 50, "unit": "umol/L"})})
    s = import_fhir_bundle(write(tmp_path, bundle), now=NOW)
    assert len(s.record.observations) == 4 and _skipped(s)[("Observation", "30056-1")].count == 1


# ---- hostile and large bundles ------------------------------------------------------------------

_JSON = st.recursive(st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats(allow_nan=True)
                     | st.text(max_size=12),
                     lambda inner: st.lists(inner, max_size=3)
                     | st.dictionaries(st.text(max_size=8), inner, max_size=3),
                     max_leaves=6)


def _paths(node, path=()):
    yield path
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, path + (k,))
    elif isinstance(node, list):
        for k, v in enumerate(node):
            yield from _paths(v, path + (k,))


def _mutate(data, choice, action, value):
    paths = [p for p in _paths(data) if p]
    if not paths:
        return
    path = paths[choice % len(paths)]
    parent = data
    for p in path[:-1]:
        parent = parent[p]
    if action == 0:
        del parent[path[-1]]
    elif action == 1:
        parent[path[-1]] = value
    elif action == 2 and isinstance(parent, list):
        parent.append(copy.deepcopy(parent[path[-1]]))
    else:
        parent[path[-1]] = str(parent[path[-1]])[::-1]


def medication_rich() -> dict:
    """Every medication resource kind, a Medication with ingredient strengths, sig texts and a cycle day."""
    data = _only_med(synthea_like(), {
        "resourceType": "MedicationStatement", "id": "ms-1", "status": "active", "subject": {"reference": PID},
        "medicationReference": {"reference": "#m"},
        "contained": [{"resourceType": "Medication", "id": "m", "code": {"text": "Zoloft"}, "ingredient": [
            {"itemCodeableConcept": {"text": "sertraline"}, "strength": {
                "numerator": {"value": 20, "unit": "mg", "code": "mg", "system": UCUM},
                "denominator": {"value": 1, "unit": "mL", "code": "mL", "system": UCUM}}}]}],
        "effectivePeriod": {"start": "2026-08-03T08:00:00Z"},
        "dosage": [{"text": "2.5 mL by mouth once daily", "doseAndRate": [{"doseQuantity": {"value": 2.5,
                                                                                            "unit": "mL"}}]}]})
    data["entry"] += [{"resource": r} for r in (
        {"resourceType": "MedicationDispense", "id": "disp-1", "status": "completed",
         "medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": "197901"}]},
         "subject": {"reference": PID}, "quantity": {"value": 30, "unit": "TAB"},
         "daysSupply": {"value": 30, "unit": "d"}, "whenHandedOver": "2026-08-20T10:00:00Z"},
        {"resourceType": "MedicationAdministration", "id": "adm-1", "status": "completed",
         "medicationCodeableConcept": {"text": "carbidopa 25 MG / levodopa 100 MG Oral Tablet"},
         "subject": {"reference": PID}, "effectiveDateTime": "2026-09-01T08:00:00Z",
         "dosage": {"dose": {"value": 1, "unit": "TAB"}}},
        med_request(20, "349332", "escitalopram 10 MG Oral Tablet", timing={"code": {"text": "BID"}}),
        {**obs(30, "x", "x", "2026-09-02T09:00:00Z"), "code": {"text": "Cycle day"}, "valueInteger": 8})]
    return data


def test_medication_rich_bundle_imports(tmp_path):
    ms = read_fhir_bundle(write(tmp_path, medication_rich()), now=NOW).medications
    assert sorted((m.drug, m.dose_mg, m.every_h) for m in ms) == [
        ("carbidopa", 25.0, 24.0), ("escitalopram", 10.0, 12.0), ("levodopa", 100.0, 24.0),
        ("lorazepam", 1.0, 24.0), ("sertraline", 50.0, 24.0)]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.booleans(), st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 3), _JSON), min_size=1, max_size=4))
def test_fuzzed_bundles_raise_only_listed_problems(tmp_path, rich, mutations):
    data = medication_rich() if rich else synthea_like()
    for choice, action, value in mutations:
        _mutate(data, choice, action, value)
    try:
        text = json.dumps(data)
    except ValueError:
        return
    p = tmp_path / "fuzz.json"
    p.write_text(text)
    try:
        import_fhir_bundle(p, now=NOW)
    except DataError as exc:  # RecordError included: every problem named
        assert str(exc)


def test_contained_resource_of_unknown_type_is_a_data_error(tmp_path):
    # the R4B parser raised a bare KeyError('R4.noitacideMType') (found by the fuzz test)
    data = medication_rich()
    resource(data, "ms-1")["contained"][0]["resourceType"] = "noitacideM"
    with pytest.raises(DataError, match=r"not a valid FHIR R4 Bundle \(the R4B parser failed with KeyError"):
        read_fhir_bundle(write(tmp_path, data), now=NOW)


def _big(n: int) -> dict:
    data = synthea_like()
    base = datetime(2026, 1, 1, tzinfo=UTC)
    for k in range(n):
        code = ("2160-0", "8867-4", "4548-4", "39156-5", "2345-7")[k % 5]
        data["entry"].append({"fullUrl": f"urn:uuid:big-{k}", "resource": {
            **obs(f"big-{k}", code, "lab", (base + timedelta(minutes=k)).isoformat()),
            "valueQuantity": {"value": k % 97, "unit": "mg/dL", "system": UCUM, "code": "mg/dL"}}})
    return data


@pytest.mark.slow  # a wall-clock bound
def test_ten_thousand_unrelated_observations_import_in_seconds(tmp_path):
    p = write(tmp_path, _big(10_000))
    import_fhir_bundle(write(tmp_path, synthea_like(), "warm.json"), now=NOW)  # imports, tables: once
    t0 = time.perf_counter()
    s = import_fhir_bundle(p, now=NOW)
    seconds = time.perf_counter() - t0
    print(f"10,000 unrelated observations: {seconds:.2f} s")
    assert s.skipped_count == 10_019 and len(s.record.observations) == 4
    assert seconds < 20  # measured about 0.3 s on the 2-core dev machine; a generous bound


def test_encounter_reference_is_irrelevant(tmp_path, bundle):
    for e in bundle["entry"]:
        e["resource"].pop("encounter", None)
    assert read_fhir_bundle(write(tmp_path, bundle), now=NOW).medications[0].drug == "escitalopram"
    assert ENC and LOINC  # the fixture's constants are shared with conftest


# ---- the biogeographic group; resource types that are not FHIR R4 -----------------------------------------

GROUP_URL = "urn:neuroscape:fhir:extension:biogeographic-group"


@pytest.mark.parametrize("value", [{"valueCode": "estonian"}, {"valueString": "Estonian"},
                                   {"valueCoding": {"code": "estonian"}}])
def test_biogeographic_group_extension_sets_the_population(tmp_path, bundle, value):
    patient = resource(bundle, "3f1c2a9e-0b57-4c1e-9a5e-5d2f0e6b7a11")
    patient["extension"].append({"url": GROUP_URL, **value})
    assert read_fhir_bundle(write(tmp_path, bundle), now=NOW).population == "estonian"
    patient["extension"].pop()
    assert read_fhir_bundle(write(tmp_path, bundle), now=NOW).population is None  # the documented default


def test_unknown_biogeographic_group_names_the_shipped_ones(tmp_path, bundle):
    resource(bundle, "3f1c2a9e-0b57-4c1e-9a5e-5d2f0e6b7a11")["extension"].append({"url": GROUP_URL,
                                                                                   "valueCode": "martian"})
    (problem,) = _problems(tmp_path, bundle)
    assert "biogeographic-group extension" in problem and "'martian'" in problem
    assert "shipped groups: european, estonian" in problem


def test_two_biogeographic_groups_are_a_problem(tmp_path, bundle):
    ext = resource(bundle, "3f1c2a9e-0b57-4c1e-9a5e-5d2f0e6b7a11")["extension"]
    ext += [{"url": GROUP_URL, "valueCode": "european"}, {"url": GROUP_URL, "valueCode": "estonian"}]
    (problem,) = _problems(tmp_path, bundle)
    assert "2 biogeographic-group extensions; give one" in problem


def test_misspelt_resource_type_the_model_reads_stops_the_import(tmp_path, bundle):
    resource(bundle, "obs-1")["resourceType"] = "Observaton"
    (problem,) = _problems(tmp_path, bundle)
    assert "Observation/obs-1" not in problem and "'Observaton' is not a FHIR R4 resource type" in problem
    assert "did you mean 'Observation'?" in problem


def test_a_type_that_is_not_fhir_and_not_near_a_read_one_is_skipped_and_counted(tmp_path, bundle):
    bundle["entry"].append({"resource": {"resourceType": "SpaceshipLog", "id": "x1"}})
    s = import_fhir_bundle(write(tmp_path, bundle), now=NOW)
    assert _skipped(s)[("SpaceshipLog", "")].reason == "not a FHIR R4 resource type"
    assert _skipped(s)[("Encounter", "")].reason == "resource type not used by the model"
