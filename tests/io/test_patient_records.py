"""Patient-record importers on the example patients and on bad input: FHIR R4 (R4B models),
the long CSV format, NONMEM tables, the read_patient dispatcher; all-or-nothing errors."""

from __future__ import annotations

import copy
import json
from datetime import datetime, timedelta, timezone
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
    with pytest.raises(DataError, match=r"(?s)not a valid FHIR R4 Bundle.*resource.medication: Extra inputs"):
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


def test_fhir_unknown_drug_is_named(tmp_path):
    data = _bundle()
    for e in data["entry"]:
        if e["resource"]["resourceType"] == "MedicationStatement":
            e["resource"]["medicationCodeableConcept"] = {"text": "agomelatine 25 mg"}
    with pytest.raises(RecordError, match=r"MedicationStatement/anna-esc: unknown drug 'agomelatine'"):
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
