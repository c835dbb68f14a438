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
    # day 5 08:00 is also the 5th dose: a sample at a dose instant is drawn just before it
    assert esc.quantity == "plasma.escitalopram" and esc.time_h == pytest.approx(96.0 - 1 / 3600, abs=1e-9)
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


def _with_esc(*observations, **kw):
    return PatientRecord(patient_id="a", sex="female", age_years=30, medications=(ESC,),
                         observations=observations, **kw)


def test_time_h_none_exactly_before_the_first_dose_and_samples_at_a_dose_are_pre_dose():
    t_first = ESC.first_dose
    r = _with_esc(obs("cortisol", 400, "nmol/L", t_first - timedelta(seconds=1), "r2"),
                  obs("cortisol", 401, "nmol/L", t_first, "r3"),                       # at the first dose
                  obs("cortisol", 402, "nmol/L", t_first + timedelta(seconds=1), "r4"),
                  obs("escitalopram", 20, "ng/mL", t_first + timedelta(hours=48), "r5", specimen="plasma"),
                  obs("escitalopram", 21, "ng/mL", t_first + timedelta(hours=50), "r6", specimen="plasma"))
    times = [o.time_h for o in model_observations(r)]
    # at the first dose: a pre-dose baseline (steady state), not the state just after the dose
    assert times[:2] == [None, None]
    assert times[2] == pytest.approx(1 / 3600)
    assert times[3] == pytest.approx(48 - 1 / 3600, abs=1e-12)  # trough drawn at the 3rd dose
    assert times[4] == pytest.approx(50.0, abs=1e-12)
    assert [o.time_h for o in model_observations(r)] == times  # deterministic


def test_same_analyte_by_code_and_by_name_is_a_duplicate():
    # keyed on the code as given, "20661-5" and "valine" were two different measurements
    r = PatientRecord(patient_id="a", sex="male", age_years=30, observations=(
        obs("20661-5", 200, "umol/L", source="f.csv row 2", specimen="plasma"),
        obs("valine", 200, "umol/L", source="f.csv row 3", specimen="plasma")))
    assert check_record(r, now=NOW) == ["f.csv row 3: duplicate of f.csv row 2 (same measurement valine, time "
                                        "2026-03-02T08:00:00+00:00 and value 200); remove one"]


def test_duplicate_medication_would_double_every_dose():
    twice = ESC.model_copy(update={"source": "m2"})
    r = PatientRecord(patient_id="a", sex="female", age_years=30, medications=(ESC, twice))
    (problem,) = check_record(r, now=NOW)
    assert problem.startswith("m2: duplicate of m (escitalopram 10 mg from") and "count twice" in problem


def test_times_before_birth_and_birth_in_the_future():
    from datetime import date

    r = PatientRecord(patient_id="a", sex="male", birth_date=date(1990, 5, 1), observations=(
        obs("cortisol", 400, "nmol/L", datetime(1980, 1, 1, tzinfo=UTC), "f.csv row 4"),
        obs("cortisol", 410, "nmol/L", datetime(1990, 5, 1, 6, tzinfo=UTC), "f.csv row 5")))  # birth day
    assert check_record(r, now=NOW) == ["f.csv row 4: time 1980-01-01T00:00:00+00:00 is before the birth date "
                                        "1990-05-01; check the year of both"]
    unborn = PatientRecord(patient_id="a", sex="male", birth_date=date(2030, 1, 1))
    assert check_record(unborn, now=NOW) == ["birth_date 2030-01-01 is in the future; check the year"]


def test_history_longer_than_the_model_simulates():
    old = Medication(drug="escitalopram", dose_mg=10, first_dose=T0 - timedelta(days=365 * 11), every_h=24,
                     count=1, source="m")
    r = PatientRecord(patient_id="a", sex="female", age_years=30, medications=(old,),
                      observations=(obs("escitalopram", 20, "ng/mL", T0, "r2", specimen="plasma"),))
    (problem,) = check_record(r, now=NOW)
    assert problem.startswith("r2: time") and "more than 10 years after the first dose" in problem
