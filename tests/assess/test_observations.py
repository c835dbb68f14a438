"""Model observations: units, times after t0, error models, and every problem reported at once."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from neuroscape.assess.observations import ModelObservation, check_record, model_observations, sigma
from neuroscape.assess.records import Medication, Observation, PatientRecord, RecordError

UTC = timezone.utc
T0 = datetime(2026, 3, 2, 8, tzinfo=UTC)
NOW = datetime(2026, 6, 1, tzinfo=UTC)


def obs(code, value, unit, t=T0, source="f.csv row 2", specimen="serum", **kw):
    return Observation(code=code, name=code, value=value, unit=unit, time=t, specimen=specimen, source=source, **kw)


ESC = Medication(drug="escitalopram", dose_mg=10, first_dose=T0 + timedelta(days=1), every_h=24, count=10,
                 source="m")


def test_units_times_and_baselines():
    r = PatientRecord(patient_id="a", sex="female", age_years=30, medications=(ESC,),
                      observations=(obs("2143-6", 14.5, "ug/dL"),
                                    obs("escitalopram", 20, "ng/mL", T0 + timedelta(days=5), "f.csv row 3",
                                        specimen="plasma")))
    cort, esc = model_observations(r)
    assert cort.value == pytest.approx(400, rel=0.005) and cort.time_h is None  # before the first dose
    assert esc.quantity == "plasma.escitalopram" and esc.time_h == pytest.approx(96.0)
    assert esc.error_kind == "combined" and esc.cv == pytest.approx((0.1**2 + 0.15**2) ** 0.5)


def test_sigma_kinds():
    base = dict(quantity="q", region=None, value=1, unit="1", time_h=None, label="l", source="s")
    assert sigma(ModelObservation(**base, error_kind="proportional", cv=0.1, sd=0), 50) == pytest.approx(5)
    assert sigma(ModelObservation(**base, error_kind="additive", cv=0, sd=0.07), 0.5) == pytest.approx(0.07)
    assert sigma(ModelObservation(**base, error_kind="combined", cv=0.1, sd=3), 40) == pytest.approx(5)


def test_drug_level_without_the_drug_is_an_error_naming_the_row():
    r = PatientRecord(patient_id="a", sex="male", age_years=30,
                      observations=(obs("sertraline", 30, "ng/mL", source="f.csv row 7", specimen="plasma"),))
    with pytest.raises(RecordError, match=r"f.csv row 7: Sertraline.*not among the record's medications"):
        model_observations(r)


def test_metabolite_level_belongs_to_parent_drug():
    bup = Medication(drug="bupropion", dose_mg=150, first_dose=T0, every_h=12, count=4, source="m")
    r = PatientRecord(patient_id="a", sex="male", age_years=30, medications=(bup,),
                      observations=(obs("hydroxybupropion", 500, "ng/mL", T0 + timedelta(hours=40),
                                        specimen="plasma"),))
    assert model_observations(r)[0].quantity == "plasma.hydroxybupropion"


def test_check_record_reports_every_kind_at_once():
    r = PatientRecord(patient_id="a", sex="male", age_years=30, observations=(
        obs("cortisol", 400, "kg", source="f.csv row 2"),
        obs("cortisol", 40000, "nmol/L", source="f.csv row 3"),
        obs("tryptofan", 50, "umol/L", source="f.csv row 4"),
        obs("tryptophan", 50, "umol/L", T0 + timedelta(days=400), source="f.csv row 5", specimen="plasma"),
        obs("valine", 200, "umol/L", source="f.csv row 6", specimen="plasma"),
        obs("valine", 200, "umol/L", source="f.csv row 7", specimen="plasma"),
        obs("gaba", 1.2, "mmol/kg", source="f.csv row 8", specimen="MRS")))
    problems = check_record(r, now=NOW)
    text = "\n".join(problems)
    assert "f.csv row 2: unit 'kg'" in text and "e.g. ng/mL" in text
    assert "f.csv row 3: value 4e+04 nmol/L = 4e+04 nmol/L is outside the plausible range 5-3000 nmol/L" in text
    assert "f.csv row 4: unknown code or name 'tryptofan'; close: tryptophan" in text
    assert "f.csv row 5: time 2027-04-06T08:00:00+00:00 is in the future" in text
    assert "f.csv row 7: duplicate of f.csv row 6" in text
    assert "f.csv row 8: GABA, MRS needs a region" in text
    assert len(problems) == 6


def test_loinc_property_must_match_unit():
    r = PatientRecord(patient_id="a", sex="male", age_years=30,
                      observations=(obs("14675-3", 14.5, "ug/dL", source="r9"),))
    with pytest.raises(RecordError, match=r"r9: unit 'ug/dL' does not fit LOINC 14675-3 \(molar"):
        model_observations(r)
