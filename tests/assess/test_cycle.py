"""A cycling woman's last menstrual period places each observation at her cycle day."""

from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from neuroscape.assess.calibrate import calibrate
from neuroscape.assess.cycle import cycle_day_at, lmp_problems, timeline
from neuroscape.assess.observations import check_record, model_observations
from neuroscape.assess.problem import Problem
from neuroscape.assess.records import Medication, Observation, PatientRecord, RecordError, plan_of, subject
from neuroscape.simulate import simulate
from neuroscape.subject import Subject

UTC = timezone.utc
T = datetime(2026, 3, 20, 8, tzinfo=UTC)
NOW = datetime(2026, 6, 1, tzinfo=UTC)


def sample(code, value, unit, at=T):
    return Observation(code=code, name=code, value=value, unit=unit, time=at, specimen="serum", source=code)


def woman(lmp_days_before=None, *, medications=(), extra=()):
    lmp = None if lmp_days_before is None else (T - timedelta(days=lmp_days_before)).date()
    return PatientRecord(patient_id="w", sex="female", age_years=31, last_menstrual_period=lmp,
                         medications=medications,
                         observations=(sample("estradiol", 112.0, "pg/mL"), sample("progesterone", 9.0, "ng/mL"),
                                       *extra))


def predicted(record):
    tl = timeline(record)
    prob = Problem(tl.subject, tl.observations, tl.plan)
    pred, status = prob.predict(np.zeros((1, prob.k)))
    assert status == ["ok"]
    return dict(zip(prob.obs.keys, pred[0]))


def own_curve(day):
    run = simulate(Subject(sex="female", age_years=31, cycle_day=day), times=[0.0])
    return run.readout("plasma.estradiol")[0], run.readout("plasma.progesterone")[0]


def test_follicular_and_luteal_lmps_give_the_cycle_s_levels_at_the_sample():
    # sampled at 08:00 UTC: day 12.33 (LMP 11 days before) and day 21.33 (20 days before)
    follicular, luteal = predicted(woman(11)), predicted(woman(20))
    assert timeline(woman(11)).subject.cycle_day == pytest.approx(12 + 1 / 3, abs=1e-6)
    for levels, day in ((follicular, 12), (luteal, 21)):
        e2, p4 = own_curve(day)
        assert levels["plasma.estradiol"] == pytest.approx(e2, rel=1e-3)
        assert levels["plasma.progesterone"] == pytest.approx(p4, rel=1e-3)
    # Anckaert 2021 phase medians: estradiol 198 (follicular) and 412 pmol/L (luteal), about
    # twice as high in the luteal phase; progesterone 0.21 and 28.8 nmol/L (luteal > 16 nmol/L is
    # the usual proof of ovulation)
    assert follicular["plasma.estradiol"] == pytest.approx(198, rel=0.05)
    assert luteal["plasma.estradiol"] / follicular["plasma.estradiol"] == pytest.approx(412 / 198, rel=0.05)
    assert luteal["plasma.progesterone"] > 16 > 1 > follicular["plasma.progesterone"]


def test_records_without_lmp_keep_the_cycle_average_unchanged():
    record = woman(None)
    tl = timeline(record)
    plan, t0 = plan_of(record)
    assert tl.subject == subject(record) and tl.subject.cycle_day is None
    assert tl.plan == plan and tl.t0 == t0 and tl.observations == model_observations(record)
    levels = predicted(record)
    assert levels["plasma.estradiol"] == pytest.approx(350.0, rel=1e-6)  # estradiol_base_female
    assert levels["plasma.progesterone"] == pytest.approx(0.7, rel=1e-6)


def test_each_sample_sits_at_its_own_day_and_doses_keep_their_time():
    esc = Medication(drug="escitalopram", dose_mg=10, first_dose=T + timedelta(days=2), every_h=24, count=5,
                     source="m")
    later = sample("estradiol", 60.0, "pg/mL", T + timedelta(days=6))
    record = woman(11, medications=(esc,), extra=(later,))
    tl = timeline(record)
    assert tl.t0 == T and tl.plan.doses[0].at_h == pytest.approx(48.0)
    assert [o.time_h for o in tl.observations] == [None, None, pytest.approx(144.0 - 1 / 3600)]
    # day 12.33 at t0, day 18.33 at the later sample: luteal
    assert cycle_day_at(record, later.time) == pytest.approx(18 + 1 / 3)
    prob = Problem(tl.subject, tl.observations, tl.plan)
    e2 = prob.predict(np.zeros((1, prob.k)))[0][0]
    assert e2[0] == pytest.approx(own_curve(12)[0], rel=1e-3)  # day 12.33: follicular
    assert e2[2] == pytest.approx(own_curve(18)[0], rel=1e-3)  # day 18.33: luteal
    # without the LMP the same record starts at the first dose: the first samples are baselines
    assert [o.time_h for o in model_observations(woman(None, medications=(esc,), extra=(later,)))][:2] == [None, None]


def test_cycle_day_before_the_lmp_counts_back_over_regular_cycles():
    record = woman(3)  # day 1 = March 17 00:00; February 11 08:00 is 5.67 days before the day 1
    # 28 days earlier (February 17), i.e. day 28 - 5.67 + 1 of that cycle
    assert cycle_day_at(record, T - timedelta(days=37)) == pytest.approx(23 + 1 / 3)
    assert cycle_day_at(record, T) == pytest.approx(4 + 1 / 3)


@pytest.mark.parametrize("kw, message", [
    (dict(sex="male"), "is given for a male record"),
    (dict(days=-3), "is after the record's last entry"),
    (dict(days=40), "40 days before the record's last entry"),
])
def test_impossible_lmp_is_named(kw, message):
    lmp = (T - timedelta(days=kw.get("days", 10))).date()
    record = PatientRecord(patient_id="x", sex=kw.get("sex", "female"), age_years=30, last_menstrual_period=lmp,
                           observations=(sample("estradiol", 40.0, "pg/mL"),))
    assert any(message in p for p in lmp_problems(record))
    assert any(message in p for p in check_record(record, now=NOW))
    with pytest.raises(RecordError, match=message):
        timeline(record)


def test_a_luteal_estradiol_needs_no_change_at_her_day_but_moves_the_average_woman():
    # 112 pg/mL = 411 pmol/L: the luteal median; against the cycle average (350) it reads as high
    def fitted_factor(record):
        tl = timeline(record)
        post = calibrate(tl.subject, tl.observations[:1], tl.plan)
        return post.factors()["estradiol_base"]

    assert fitted_factor(woman(20)) == pytest.approx(1.0, abs=0.02)
    assert fitted_factor(woman(None)) > 1.08
