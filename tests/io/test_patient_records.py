"""Patient-record importers on the example patients and on bad input: FHIR R4 (R4B models),
the long CSV format, NONMEM tables, the read_patient dispatcher; all-or-nothing errors."""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path

import pytest

from neuroscape.assess import RecordError, model_observations, plan_of, subject
from neuroscape.errors import DataError
from neuroscape.io.fhir import read_fhir_bundle
from neuroscape.io.nonmem_records import records_from_nonmem
from neuroscape.io.patient import read_patient
from neuroscape.io.records_csv import read_records_csv
from neuroscape.pharmacology.pgx import phenotype

UTC = timezone.utc
NOW = datetime(2026, 11, 26, tzinfo=UTC)
EXAMPLES = Path(str(resources.files("neuroscape.examples").joinpath("patients")))


def by_quantity(record):
    out = {}
    for o in model_observations(record):
        out.setdefault(o.quantity, []).append(o)
    return out


# ---- the examples ------------------------------------------------------------------------------

def test_anna_fhir():
    r = read_fhir_bundle(EXAMPLES / "anna-fhir.json", now=NOW)
    s = subject(r)
    assert (s.sex, round(s.age_years), s.weight_kg) == ("female", 34, 61.0)
    assert phenotype("CYP2C19", s.genotypes["CYP2C19"]).phenotype == "poor"
    (med,) = r.medications
    assert (med.drug, med.dose_mg, med.every_h, med.count) == ("escitalopram", 10.0, 24.0, 42)
    plan, t0 = plan_of(r)
    assert t0 == datetime(2026, 8, 3, 8, tzinfo=UTC)
    assert [d.at_h for d in plan.doses][:3] == [0.0, 24.0, 48.0] and len(plan.doses) == 42
    q = by_quantity(r)
    assert [round(o.time_h, 2) for o in q["plasma.escitalopram"]] == [335.75, 671.75, 1007.75]
    raw = json.loads((EXAMPLES / "anna-fhir.json").read_text())
    given = {e["resource"]["id"]: e["resource"] for e in raw["entry"]}
    cort = given["anna-cortisol"]["valueQuantity"]
    assert cort["unit"] == "ug/dL"
    assert q["plasma.cortisol"][0].value == pytest.approx(cort["value"] * 1e4 / 362.46, rel=1e-6)
    trp = given["anna-trp"]["valueQuantity"]
    assert trp["unit"] == "mg/dL"
    assert q["plasma.tryptophan"][0].value == pytest.approx(trp["value"] * 1e4 / 204.23, rel=1e-6)
    assert q["plasma.tryptophan"][0].time_h is None  # baseline, before the first dose
    assert r.conditions == ("Major depressive disorder, single episode, moderate",)
    assert any("poor sleep" in n for n in r.notes)


def test_ben_csv():
    r = read_records_csv(EXAMPLES / "ben-records.csv", now=NOW)
    s = subject(r)
    assert (s.sex, round(s.age_years), s.weight_kg) == ("male", 52, 88.0)
    assert phenotype("CYP2D6", s.genotypes["CYP2D6"]).phenotype == "poor"
    assert r.medications == () and plan_of(r)[0].doses == ()
    q = by_quantity(r)
    assert set(q) >= {"plasma.tryptophan", "plasma.valine", "csf.5hiaa", "csf.hva", "brain.gaba"}
    assert q["brain.gaba"][0].region == "cortex" and q["csf.5hiaa"][0].region is None
    assert all(o.time_h is None for v in q.values() for o in v)
    assert q["csf.hva"][0].source == "ben-records.csv row 15"
    assert "20 mg" in r.notes[0]  # notes are kept as text, never read as numbers


def test_carla_fhir_bupropion_and_pet():
    r = read_patient(EXAMPLES / "carla-fhir.json", now=NOW)
    assert phenotype("CYP2B6", subject(r).genotypes["CYP2B6"]).phenotype == "poor"
    (med,) = r.medications
    assert (med.drug, med.dose_mg, med.every_h) == ("bupropion", 150.0, 12.0)
    q = by_quantity(r)
    assert len(q["plasma.bupropion"]) == 2 and len(q["plasma.hydroxybupropion"]) == 2
    occ = q["occupancy.DAT"][0]
    assert 0 <= occ.value <= 1 and occ.unit == "1" and occ.error_kind == "additive"


def test_examples_are_in_the_past():
    for f in EXAMPLES.iterdir():
        r = read_patient(f)  # real "now"
        assert r.reference_time < datetime(2026, 11, 26, tzinfo=UTC)


# ---- FHIR specifics ----------------------------------------------------------------------------

def _bundle():
    return json.loads((EXAMPLES / "anna-fhir.json").read_text())


def _write(tmp_path, data, name="p.json"):
    p = tmp_path / name
    p.write_text(json.dumps(data))
    return p


def test_fhir_is_parsed_with_r4b_models(monkeypatch):
    import fhir.resources.R4B.bundle as r4b

    seen = []
    real = r4b.Bundle.model_validate
    monkeypatch.setattr(r4b.Bundle, "model_validate", classmethod(lambda cls, d, *a, **k: seen.append(cls) or real(d)))
    read_fhir_bundle(EXAMPLES / "anna-fhir.json", now=NOW)
    assert seen and seen[0].__module__ == "fhir.resources.R4B.bundle"


def test_fhir_r5_shaped_medication_statement_is_refused(tmp_path):
    data = _bundle()
    for e in data["entry"]:
        r = e["resource"]
        if r["resourceType"] == "MedicationStatement":
            r["medication"] = {"concept": r.pop("medicationCodeableConcept")}  # R5 shape
    with pytest.raises(DataError, match=r"(?s)not a valid FHIR R4 Bundle.*MedicationStatement/anna-esc \(entry 8\) medication: Extra inputs"):
        read_fhir_bundle(_write(tmp_path, data), now=NOW)


def test_fhir_several_bad_resources_all_reported_nothing_imported(tmp_path):
    data = _bundle()
    res = {e["resource"]["id"]: e["resource"] for e in data["entry"]}
    res["anna-cortisol"]["valueQuantity"].update(unit="kg", code="kg")
    res["anna-e2"]["effectiveDateTime"] = "2027-01-01T08:00:00Z"
    res["anna-cyp2c19"]["valueCodeableConcept"]["text"] = "CYP2C19 *2/*99"
    res["anna-esc-1"]["valueQuantity"]["value"] = 5000
    with pytest.raises(RecordError) as info:
        read_fhir_bundle(_write(tmp_path, data), now=NOW)
    text = str(info.value)
    assert len(info.value.problems) == 4 and "nothing was imported" in text
    assert "Observation/anna-cortisol: unit 'kg'" in text
    assert "Observation/anna-e2: time 2027-01-01T08:00:00+00:00 is in the future" in text
    assert "Observation/anna-cyp2c19: CYP2C19 genotype '*2/*99'" in text
    assert "Observation/anna-esc-1: value 5000 ng/mL" in text and "0-1600 ng/mL" in text


def test_fhir_unknown_drug_is_listed_as_not_modelled_and_a_misspelling_is_named(tmp_path):
    # issue 12: a medicine the library does not model is listed, not an error (was: "unknown drug")
    from neuroscape.io.fhir import import_fhir_bundle

    data = _bundle()
    data["entry"] = [e for e in data["entry"] if "esc-" not in e["resource"]["id"]]  # its levels go too
    med = next(e["resource"] for e in data["entry"] if e["resource"]["resourceType"] == "MedicationStatement")
    med["medicationCodeableConcept"] = {"text": "agomelatine 25 mg"}
    summary = import_fhir_bundle(_write(tmp_path, data), now=NOW)
    assert summary.record.medications == ()
    assert summary.not_modelled == ("agomelatine 25 mg (p.json MedicationStatement/anna-esc)",)
    med["medicationCodeableConcept"] = {"text": "Escitalopam 10 mg"}
    with pytest.raises(RecordError, match=r"MedicationStatement/anna-esc: unknown drug 'escitalopam' \(did you mean "
                                          r"escitalopram\?\)"):
        read_fhir_bundle(_write(tmp_path, data), now=NOW)


# ---- CSV specifics -----------------------------------------------------------------------------

HEAD = "patient_id,time,code,name,value,unit,specimen,region,every_h,until\n"


def test_csv_medication_rows_and_counts(tmp_path):
    p = tmp_path / "m.csv"
    p.write_text(HEAD + "m,,,sex,female,,,,,\nm,,,age,40,a,,,,\n"
                 "m,2026-04-01T08:00:00Z,,medication:escitalopram,10,mg,,,24,\n"
                 "m,2026-04-11T07:30:00Z,,escitalopram,22.5,ng/mL,plasma,,,\n"
                 "m,2026-04-11T07:30:00Z,,cortisol,14.5,ug/dL,serum,,,\n")
    r = read_records_csv(p, now=NOW)
    (med,) = r.medications
    assert med.count == 10 and med.last_dose == datetime(2026, 4, 10, 8, tzinfo=UTC)
    esc, cort = model_observations(r)
    assert esc.time_h == pytest.approx(239.5) and cort.value == pytest.approx(400, rel=0.005)


def test_csv_all_bad_rows_in_one_error(tmp_path):
    p = tmp_path / "bad.csv"
    p.write_text(HEAD + "x,,,sex,male,,,,,\nx,,,age,40,,,,,\n"
                 "x,2026-04-01T08:00:00,,cortisol,400,nmol/L,,,,\n"          # row 4: no time zone
                 "x,2026-04-01T08:00:00Z,,cortisol,14.5,mg/kg,,,,\n"          # row 5: dimension
                 "x,2026-04-01T08:00:00Z,,tyrosin,60,umol/L,,,,\n"            # row 6: unknown name
                 "x,2026-04-01T08:00:00Z,,valine,9000,umol/L,,,,\n"           # row 7: implausible
                 "x,2026-04-01T08:00:00Z,,genotype:CYP2D6,*1/*99,,,,,\n"      # row 8: bad diplotype
                 "x,2026-04-01T08:00:00Z,,medication:escitalopam,10,mg,,,24,\n"  # row 9: unknown drug
                 "x,2026-04-01T08:00:00Z,,leucine,100,umol/L,,,,\n"
                 "x,2026-04-01T08:00:00Z,,leucine,100,umol/L,,,,\n"           # row 11: duplicate
                 "x,2026-12-01T08:00:00Z,,sertraline,50,ng/mL,,,,\n")         # row 12: future, no drug
    with pytest.raises(RecordError) as info:
        read_records_csv(p, now=NOW)
    text = str(info.value)
    for row, what in [(4, "has no time zone"), (5, "unit 'mg/kg'"), (6, "unknown code or name 'tyrosin'; close: tyrosine"),
                      (7, "outside the plausible range 20-3000 uM"), (8, "allele *99"),
                      (9, "unknown drug 'escitalopam'"), (11, "duplicate of bad.csv row 10"),
                      (12, "is in the future"), (12, "not among the record's medications")]:
        assert f"bad.csv row {row}: " in text and what in text, (row, what)
    assert len(info.value.problems) == 9


def test_csv_missing_columns_and_several_patients(tmp_path):
    p = tmp_path / "c.csv"
    p.write_text("patient_id,time,value\n")
    with pytest.raises(DataError, match=r"missing column\(s\) unit, code or name"):
        read_records_csv(p)
    p.write_text(HEAD + "a,,,sex,male,,,,,\nb,,,age,40,,,,,\n")
    with pytest.raises(RecordError, match="2 patient_ids"):
        read_records_csv(p, now=NOW)


# ---- NONMEM and the dispatcher ------------------------------------------------------------------

TABLE = """ID,TIME,EVID,AMT,CMT,II,ADDL,DV,DRUG,MDV
7,0,1,150,1,12,13,.,bupropion,1
7,167.5,0,.,2,.,.,70.1,bupropion,0
7,167.5,0,.,2,.,.,810,hydroxybupropion,0
"""


def test_records_from_nonmem(tmp_path):
    p = tmp_path / "tdm.csv"
    p.write_text(TABLE)
    start = datetime(2026, 9, 7, 8, tzinfo=UTC)
    r = records_from_nonmem(p, start=start, sex="female", age_years=45, genotypes=[("CYP2B6", "*6/*6")], now=NOW)
    (med,) = r.medications
    assert (med.drug, med.dose_mg, med.every_h, med.count, med.first_dose) == ("bupropion", 150, 12, 14, start)
    obs = model_observations(r)
    assert [o.quantity for o in obs] == ["plasma.bupropion", "plasma.hydroxybupropion"]
    assert obs[0].time_h == pytest.approx(167.5)
    with pytest.raises(DataError, match="no time zone"):
        records_from_nonmem(p, start=datetime(2026, 9, 7), sex="female", age_years=45)


def test_read_patient_dispatch_errors(tmp_path):
    (tmp_path / "x.xml").write_text("<Bundle/>")
    with pytest.raises(DataError, match=r"unknown record format '.xml'; allowed: .json"):
        read_patient(tmp_path / "x.xml")
    (tmp_path / "t.csv").write_text(TABLE)
    with pytest.raises(DataError, match="looks like a NONMEM event table"):
        read_patient(tmp_path / "t.csv")
    (tmp_path / "o.json").write_text('{"resourceType": "Observation"}')
    with pytest.raises(DataError, match="expected a FHIR Bundle"):
        read_patient(tmp_path / "o.json")


# ---- hostile files ----------------------------------------------------------------------------

@pytest.mark.parametrize("name, content, message", [
    ("e.json", b"", "the file is empty; expected a FHIR R4 Bundle"),
    ("e.csv", b"  \n", "the file is empty; expected a CSV record"),
    ("g.json", bytes(range(256)), r"not UTF-8 text \(byte 128 is 0x80\)"),   # was a raw UnicodeDecodeError
    ("g.csv", bytes(range(256)), r"not UTF-8 text \(byte 128 is 0x80\)"),
    ("n.csv", b"patient_id\x00,time", "NUL bytes"),
    ("l.json", b"[]", "expected a FHIR Bundle .*got a JSON array"),
    ("t.json", b'{"resourceType": "Bundle", ', "not valid JSON"),
    ("p.json", b'{"resourceType": "Patient", "id": "p", "gender": "male"}', "got a Patient resource; wrap"),
])
def test_hostile_files_are_data_errors(tmp_path, name, content, message):
    (tmp_path / name).write_bytes(content)
    with pytest.raises(DataError, match=message):
        read_patient(tmp_path / name)


def _anna(mutate):
    data = _bundle()
    mutate(data, {e["resource"]["id"]: e["resource"] for e in data["entry"]})
    return data


def _problems(tmp_path, data):
    with pytest.raises(RecordError) as info:
        read_fhir_bundle(_write(tmp_path, data), now=NOW)
    return info.value.problems


def test_fhir_no_patient_or_two_patients_is_one_clear_problem(tmp_path):
    # used to add "patient_id: Field required" and "sex: Field required" after it
    data = _anna(lambda d, r: d.__setitem__("entry", [e for e in d["entry"] if e["resource"]["id"] != "anna"]))
    assert _problems(tmp_path, data) == ("p.json: 0 Patient resources; a bundle must hold exactly one (one file "
                                         "per person)",)
    data = _bundle()
    data["entry"].append({"resource": {**data["entry"][0]["resource"], "id": "ben"}})
    assert _problems(tmp_path, data)[0].startswith("p.json: 2 Patient resources (Patient/anna, Patient/ben)")


def test_fhir_resource_of_another_patient_is_refused(tmp_path):
    data = _anna(lambda d, r: r["anna-kyn"].__setitem__("subject", {"reference": "Patient/ben"}))
    assert _problems(tmp_path, data) == ("p.json Observation/anna-kyn: subject Patient/ben is not the bundle's "
                                         "patient (Patient/anna, urn:uuid:patient-anna); one bundle holds one "
                                         "person's records",)


def test_fhir_bad_datetime_names_the_resource_not_the_entry_index(tmp_path):
    data = _anna(lambda d, r: r["anna-kyn"].__setitem__("effectiveDateTime", "2026-07-31T08:30:00"))
    with pytest.raises(DataError, match=r"Observation/anna-kyn \(entry 4\) effectiveDateTime: DateTime value"):
        read_fhir_bundle(_write(tmp_path, data), now=NOW)


@pytest.mark.parametrize("change, message", [
    (lambda q, r: q.pop("system"), None),                                    # UCUM code still parsed
    (lambda q, r: q.update(system="http://snomed.info/sct"), "valueQuantity.system 'http://snomed.info/sct' is not UCUM"),
    (lambda q, r: q.update(comparator="<"), None),  # issue 12: a censored value (test_fhir_realworld.py)
    (lambda q, r: q.update(unit="mmol/L"), "valueQuantity.code 'umol/L' and valueQuantity.unit 'mmol/L' are different"),
    (lambda q, r: q.update(unit="µmol/l"), None),                            # a display text, not UCUM
    (lambda q, r: (r.pop("valueQuantity"), r.update(valueString="2.1")), "the value is a valueString; only valueQuantity"),
    (lambda q, r: (r.pop("valueQuantity"), r.update(valueCodeableConcept={"text": "high"})),
     "the value is a valueCodeableConcept"),
    (lambda q, r: r.update(effectiveDateTime="2026-07-31"), "effectiveDateTime 2026-07-31 gives no clock time"),
    (lambda q, r: r.update(effectiveDateTime="1980-07-31T08:00:00Z"), "before the birth date 1992-03-14"),
    (lambda q, r: r.update(effectivePeriod={"start": r.pop("effectiveDateTime")}), None),
    (lambda q, r: q.update(value=-2), r"value -2 umol/L = -2 uM is outside the plausible range 0.1-50 uM"),
    (lambda q, r: q.update(code="{ratio}", unit="{ratio}"), "unit '{ratio}' is a dimensionless fraction"),
])
def test_fhir_quantity_and_time_variants(tmp_path, change, message):
    data = _bundle()
    kyn = next(e["resource"] for e in data["entry"] if e["resource"]["id"] == "anna-kyn")
    kyn["valueQuantity"]["code"] = "umol/L"
    change(kyn["valueQuantity"] if "valueQuantity" in kyn else {}, kyn)
    if message is None:
        r = read_fhir_bundle(_write(tmp_path, data), now=NOW)
        assert by_quantity(r)["plasma.kynurenine"][0].value == pytest.approx(2.1495)
    else:
        (problem,) = _problems(tmp_path, data)
        assert problem.startswith("p.json Observation/anna-kyn: ") and re.search(message, problem), problem


@pytest.mark.parametrize("status", ["entered-in-error", "cancelled"])
def test_fhir_voided_observation_is_skipped_with_a_note(tmp_path, status):
    data = _anna(lambda d, r: r["anna-kyn"].update(status=status, valueQuantity={"value": 9999, "code": "kg"}))
    r = read_fhir_bundle(_write(tmp_path, data), now=NOW)
    assert "plasma.kynurenine" not in by_quantity(r)
    assert f"p.json Observation/anna-kyn skipped: status {status}" in r.notes


def _esc(data):
    return next(e["resource"] for e in data["entry"] if e["resource"]["id"] == "anna-esc")


def _read_med(tmp_path, data):
    (med,) = read_fhir_bundle(_write(tmp_path, data), now=NOW).medications
    return med


@pytest.mark.parametrize("repeat, every_h, count", [
    ({"frequency": 1, "period": 1, "periodUnit": "d"}, 24.0, 42),
    ({"frequency": 3, "period": 1, "periodUnit": "d"}, 8.0, 126),
    ({"frequency": 1, "period": 8, "periodUnit": "h"}, 8.0, 126),
    ({"frequency": 1, "period": 1, "periodUnit": "wk"}, 168.0, 6),
    ({"frequency": 2, "period": 1, "periodUnit": "wk"}, 84.0, 12),
    ({"frequency": 1, "period": 1, "periodUnit": "d", "count": 10}, 24.0, 10),  # a 10-dose course
])
def test_fhir_every_h_and_count_from_timing(tmp_path, repeat, every_h, count):
    # last level 2026-09-14T07:45Z, first dose 2026-08-03T08:00Z: 41.99 days
    data = _bundle()
    _esc(data)["dosage"][0]["timing"]["repeat"] = repeat
    med = _read_med(tmp_path, data)
    assert (med.every_h, med.count) == (every_h, count)
    assert med.last_dose <= datetime(2026, 9, 14, 7, 45, tzinfo=UTC)  # no dose after the record's last time


def test_fhir_stop_date_is_respected_and_ended_statuses_need_one(tmp_path):
    data = _bundle()
    _esc(data).update(status="stopped", effectivePeriod={"start": "2026-08-03T08:00:00Z", "end": "2026-08-10T08:00:00Z"})
    med = _read_med(tmp_path, data)
    assert med.count == 8 and med.last_dose == datetime(2026, 8, 10, 8, tzinfo=UTC)
    _esc(data)["effectivePeriod"] = {"start": "2026-08-03T08:00:00Z"}
    assert "MedicationStatement/anna-esc: status stopped but no end date" in _problems(tmp_path, data)[0]
    _esc(data).update(status="active", effectivePeriod={"start": "2026-08-03T08:00:00Z", "end": "2026-08-01T08:00:00Z"})
    assert "end 2026-08-01T08:00:00+00:00 is before the first dose" in _problems(tmp_path, data)[0]


@pytest.mark.parametrize("status", ["not-taken", "entered-in-error", "intended"])
def test_fhir_medication_not_taken_is_skipped_with_a_note(tmp_path, status):
    data = _anna(lambda d, r: (r["anna-esc"].update(status=status),
                               d.__setitem__("entry", [e for e in d["entry"] if "esc-" not in e["resource"]["id"]])))
    r = read_fhir_bundle(_write(tmp_path, data), now=NOW)
    assert r.medications == () and f"p.json MedicationStatement/anna-esc skipped: status {status}" in r.notes


@pytest.mark.parametrize("change, message", [
    # without timing, the dosage text ("once daily") gives the interval (issue 12); without both, a problem
    (lambda m: (m["dosage"][0].pop("timing"), m["dosage"][0].pop("text")), "dosage.timing.repeat needs period and periodUnit"),
    (lambda m: m["dosage"][0]["timing"]["repeat"].update(period=0), r"period 0 must be > 0"),  # was ZeroDivisionError
    (lambda m: m["dosage"][0].update(route={"text": "intramuscular"}), "dosage route 'intramuscular'; the model doses oral or iv"),
    (lambda m: m.update(effectivePeriod={"start": "2026-08-03"}), "start 2026-08-03 gives no clock time"),
    (lambda m: (m.pop("medicationCodeableConcept"), m.update(medicationReference={"reference": "Medication/x"})),
     "medicationReference 'Medication/x' points to no Medication"),
])
def test_fhir_medication_problems(tmp_path, change, message):
    data = _bundle()
    change(_esc(data))
    problems = _problems(tmp_path, data)
    assert problems[0].startswith("p.json MedicationStatement/anna-esc: ") and re.search(message, problems[0])


def test_fhir_medication_reference_to_contained_or_bundled_medication(tmp_path):
    code = {"coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "321988"}]}
    data = _bundle()
    m = _esc(data)
    m.pop("medicationCodeableConcept")
    m.update(medicationReference={"reference": "#med"}, contained=[{"resourceType": "Medication", "id": "med", "code": code}])
    assert _read_med(tmp_path, data).drug == "escitalopram"
    m.pop("contained")
    m["medicationReference"] = {"reference": "urn:uuid:7f3c"}
    data["entry"].append({"fullUrl": "urn:uuid:7f3c", "resource": {"resourceType": "Medication", "code": {"text": "Escitalopram 10 mg"}}})
    assert _read_med(tmp_path, data).drug == "escitalopram"


# ---- CSV: hostile layouts ------------------------------------------------------------------------

def _csv(tmp_path, body, head=HEAD, name="c.csv", encoding="utf-8"):
    p = tmp_path / name
    p.write_text(head + "x,,,sex,male,,,,,\nx,,,age,40,,,,,\n" + body, encoding=encoding)
    return p


def _csv_problems(path):
    with pytest.raises(RecordError) as info:
        read_records_csv(path, now=NOW)
    return info.value.problems


def test_csv_byte_order_mark_is_dropped(tmp_path):
    # Excel's "CSV UTF-8" starts with a BOM: the first column was '\ufeffpatient_id'
    r = read_patient(_csv(tmp_path, "x,2026-04-01T08:00:00Z,,cortisol,400,nmol/L,,,,\n", encoding="utf-8-sig"), now=NOW)
    assert model_observations(r)[0].value == 400


def test_csv_semicolons_are_named(tmp_path):
    p = tmp_path / "s.csv"
    p.write_text(HEAD.replace(",", ";") + "x;;;sex;male;;;;;\n")
    with pytest.raises(DataError, match=r"the columns are separated by ';'; save the file as CSV with commas"):
        read_records_csv(p, now=NOW)


def test_csv_row_numbers_count_blank_and_comment_lines(tmp_path):
    # blank/comment lines were dropped before numbering, so errors named the wrong row
    p = _csv(tmp_path, "\n# a comment\nx,2026-04-01T08:00:00Z,,cortisol,4000,nmol/L,,,,\n")
    (problem,) = _csv_problems(p)
    assert problem.startswith("c.csv row 6: value 4000 nmol/L")


def test_csv_extra_fields_and_quoted_commas(tmp_path):
    # an unquoted comma shifted the columns: was a raw AttributeError ('list' has no 'strip')
    p = _csv(tmp_path, "x,,,note,a, b,,,,,\nx,2026-04-01T08:00:00Z,,cortisol,1,5,nmol/L,,,,\n")
    assert _csv_problems(p) == (
        "c.csv row 4: 11 fields but the header has 10 columns; put a value that contains a comma in double quotes",
        "c.csv row 5: 11 fields but the header has 10 columns; put a value that contains a comma in double quotes")
    r = read_records_csv(_csv(tmp_path, 'x,,,note,"a, b",,,,,\nx,2026-04-01T08:00:00Z,,cortisol,400,nmol/L\n'), now=NOW)
    assert r.notes == ("a, b",) and r.observations[0].value == 400  # missing trailing cells are empty


@pytest.mark.parametrize("row, message", [
    ("x,2026-04-01T08:00:00Z,,cortisol,nan,nmol/L,,,,", "value 'nan' is not a finite number"),
    ("x,2026-04-01T08:00:00Z,,cortisol,inf,nmol/L,,,,", "value 'inf' is not a finite number"),
    ("x,2026-04-01T08:00:00Z,,cortisol,1e400,nmol/L,,,,", "value '1e400' is not a finite number"),
    ("x,2026-04-01T08:00:00Z,,cortisol,\"4,5\",nmol/L,,,,", "value '4,5' is not a number"),
    ("x,2026-04-01T08:00:00Z,,cortisol,-4,nmol/L,,,,", "outside the plausible range 5-3000 nmol/L"),
    ("x,2026-04-01T08:00:00Z,,valine,200,{ratio},,,,", "unit '{ratio}' is a dimensionless fraction"),
    ("x,2026-04-01T08:00:00Z,20659-9,valine,200,umol/L,,,,", "code 20659-9 is Tryptophan, plasma .total. but name 'valine' is Valine"),
    ("x,,,sex,female,,,,,", r"sex 'female' differs from male in c.csv row 2; keep one"),
    ("x,,,age,41,,,,,", r"age '41' differs from 40.0 in c.csv row 3"),
    ("x,,,weight,6100,kg,,,,", "weight 6100 kg is outside 2-400 kg"),
    ("x,,,weight,nan,kg,,,,", "weight 'nan' is not a finite number"),
    ("x,2026-04-01T08:00:00Z,,medication:escitalopram,10,mg,,,0,", "every_h 0.0 must be a finite number of hours > 0"),
    ("x,2026-04-01T08:00:00Z,,medication:escitalopram,inf,mg,,,24,", "dose 'inf' is not a finite number"),
    ("x,2026-04-01T08:00:00Z,,medication:escitalopram,10,mg,,,24,2026-03-01T08:00:00Z",
     "until 2026-03-01T08:00:00.00:00 is before the first dose"),
])
def test_csv_bad_values_name_the_row(tmp_path, row, message):
    problems = _csv_problems(_csv(tmp_path, row + "\n"))
    assert problems[0].startswith("c.csv row 4: ") and re.search(message, problems[0]), problems


def test_csv_until_after_the_last_observation_adds_no_future_doses(tmp_path):
    # `until` replaced the reference time: a planned end date counted doses never taken
    p = _csv(tmp_path, "x,2026-04-01T08:00:00Z,,medication:escitalopram,10,mg,,,24,2027-04-01T08:00:00Z\n"
                       "x,2026-04-11T07:30:00Z,,escitalopram,22.5,ng/mL,plasma,,,\n")
    (med,) = read_records_csv(p, now=NOW).medications
    assert med.count == 10 and med.last_dose == datetime(2026, 4, 10, 8, tzinfo=UTC)


def test_csv_duplicate_medication_rows(tmp_path):
    row = "x,2026-04-01T08:00:00Z,,medication:escitalopram,10,mg,,,24,\n"
    p = _csv(tmp_path, row + row + "x,2026-04-11T07:30:00Z,,escitalopram,22.5,ng/mL,plasma,,,\n")
    (problem,) = _csv_problems(p)
    assert problem.startswith("c.csv row 5: duplicate of c.csv row 4 (escitalopram 10 mg")


def test_csv_missing_demographics_still_lists_row_problems(tmp_path):
    p = tmp_path / "d.csv"
    p.write_text(HEAD + "x,,,sex,m,,,,,\nx,2026-04-01T08:00:00Z,,tryptofan,50,umol/L,,,,\n")
    assert _csv_problems(p) == (
        "d.csv row 2: sex 'm'; write male or female (physiological sex)",
        "d.csv: no 'birth_date' row (value YYYY-MM-DD) or 'age' row (value in years)",
        "d.csv row 3: unknown code or name 'tryptofan'; close: tryptophan, l-tryptophan, plasma tryptophan "
        "(the mapping table neuroscape/assess/data/loinc.yaml lists every accepted code and name)")


def test_cli_exits_2_on_a_bad_file(tmp_path):
    from typer.testing import CliRunner

    from neuroscape.cli import app

    (tmp_path / "g.csv").write_bytes(bytes(range(256)))
    p = _csv(tmp_path, "x,2026-04-01T08:00:00Z,,cortisol,nan,nmol/L,,,,\n")
    for f in (tmp_path / "g.csv", p):
        result = CliRunner().invoke(app, ["assess", str(f)])
        assert result.exit_code == 2, result.output


def test_nonmem_empty_table_or_unknown_id(tmp_path):
    # a header-only table was a raw IndexError
    p = tmp_path / "tdm.csv"
    p.write_text(TABLE.splitlines()[0] + "\n")
    with pytest.raises(DataError, match=r"tdm.csv: the table has no records"):
        records_from_nonmem(p, start=datetime(2026, 9, 7, 8, tzinfo=UTC), sex="female", age_years=45, now=NOW)
    p.write_text(TABLE)
    with pytest.raises(DataError, match=r"tdm.csv: no ID 8; the table has ID 7"):
        records_from_nonmem(p, id=8, start=datetime(2026, 9, 7, 8, tzinfo=UTC), sex="female", age_years=45, now=NOW)
