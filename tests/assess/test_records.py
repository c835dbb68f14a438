"""Records: frozen models, genotype/drug validation, Subject and Plan from a record."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from neuroscape.assess.records import Genotype, Medication, Observation, PatientRecord, plan_of, subject
from neuroscape.pharmacology.pgx import phenotype

UTC = timezone.utc
T0 = datetime(2026, 3, 2, 8, tzinfo=UTC)


def obs(**kw):
    base = dict(code="cortisol", name="cortisol", value=400, unit="nmol/L", time=T0, specimen="serum",
                source="test row 2")
    return Observation(**{**base, **kw})


def test_observation_is_frozen_and_strict():
    o = obs()
    with pytest.raises(ValidationError):
        o.value = 1
    with pytest.raises(ValidationError, match="extra"):
        obs(colour="red")


def test_naive_time_is_refused_and_offsets_go_to_utc():
    with pytest.raises(ValidationError, match="no time zone"):
        obs(time=datetime(2026, 3, 2, 8))
    o = obs(time=datetime(2026, 3, 2, 9, tzinfo=timezone(timedelta(hours=1))))
    assert o.time == T0 and o.time.tzinfo == UTC


def test_bad_diplotype_names_the_row():
    with pytest.raises(ValidationError, match=r"lab.csv row 4: CYP2D6 genotype '\*1/\*99'.*allele \*99"):
        Genotype(gene="CYP2D6", value="*1/*99", source="lab.csv row 4")


def test_unknown_drug_lists_library():
    with pytest.raises(ValidationError, match=r"row 9: unknown drug 'escitalopam' \(did you mean escitalopram"):
        Medication(drug="escitalopam", dose_mg=10, first_dose=T0, every_h=24, count=3, source="row 9")


def test_subject_from_record_age_at_reference_time_and_pgx():
    r = PatientRecord(patient_id="a", sex="female", birth_date=date(1992, 3, 2),
                      genotypes=(Genotype(gene="CYP2C19", value="*2/*2", source="g"),),
                      observations=(obs(time=datetime(2026, 3, 2, 8, tzinfo=UTC)),))
    s = subject(r)
    assert s.sex == "female" and s.age_years == pytest.approx(34.0, abs=0.01)
    assert s.weight_kg == 75.0  # Subject default when the record has no weight
    assert phenotype("CYP2C19", s.genotypes["CYP2C19"]).phenotype == "poor"


def test_plan_of_places_doses_in_hours_after_first_dose():
    meds = (Medication(drug="escitalopram", dose_mg=10, first_dose=T0, every_h=24, count=3, source="m1"),
            Medication(drug="bupropion", dose_mg=150, first_dose=T0 + timedelta(hours=36), every_h=12,
                       count=2, source="m2"))
    plan, t0 = plan_of(PatientRecord(patient_id="a", sex="male", age_years=40, medications=meds))
    assert t0 == T0
    assert [(d.drug, d.at_h) for d in plan.doses] == [("escitalopram", 0), ("escitalopram", 24),
                                                      ("escitalopram", 48), ("bupropion", 36), ("bupropion", 48)]


def test_plan_without_medication_starts_at_first_observation():
    r = PatientRecord(patient_id="b", sex="male", age_years=50,
                      observations=(obs(time=T0 + timedelta(hours=5), source="r3"), obs(source="r2", value=410)))
    plan, t0 = plan_of(r)
    assert plan.doses == () and t0 == T0
    assert r.reference_time == T0 + timedelta(hours=5)


def test_record_needs_age_or_birth_date_and_one_genotype_per_gene():
    with pytest.raises(ValidationError, match="birth_date or age_years"):
        PatientRecord(patient_id="x", sex="male")
    g = Genotype(gene="CYP2D6", value="*1/*1", source="a")
    with pytest.raises(ValidationError, match="more than once for CYP2D6"):
        PatientRecord(patient_id="x", sex="male", age_years=30, genotypes=(g, g))


@pytest.mark.parametrize("kw, message", [
    (dict(dose_mg=float("inf")), "dose_mg inf must be a finite number"),
    (dict(every_h=float("nan")), "every_h nan must be between 0.5 and"),
    (dict(every_h=0.001, count=2), "every_h 0.001 must be between 0.5"),
    (dict(every_h=24, count=4000), "4000 doses every 24 h span more than 10 years"),
    (dict(drug="paliperidone"), "route oral is not available for paliperidone"),
])
def test_medication_refuses_impossible_dosing(kw, message):
    # inf doses used to pass `> 0`; an oral drug without absorption data failed only later, in
    # plan_of, with a ProtocolError instead of a row-named import error
    base = dict(drug="escitalopram", dose_mg=10, first_dose=T0, every_h=24, count=3, source="row 9")
    with pytest.raises(ValidationError, match="row 9: " + message.replace("(", r"\(")):
        Medication(**{**base, **kw})


@pytest.mark.parametrize("kw, message", [
    (dict(age_years=float("nan")), "age nan must be a number of years between 0 and 120"),
    (dict(age_years=-1), "age -1 must be"),
    (dict(age_years=40, weight_kg=6100), r"weight 6100 kg is outside 2-400 kg"),
    (dict(age_years=40, weight_kg=-80), r"weight -80 kg is outside"),
])
def test_record_refuses_impossible_demographics(kw, message):
    with pytest.raises(ValidationError, match=message):
        PatientRecord(patient_id="x", sex="male", **kw)
