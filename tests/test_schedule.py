"""Dose-schedule rules live once (schedule.py): the plan, the protocol schema and the patient records
all refuse the same schedules, each in its reader's words."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from pydantic import ValidationError

from neuroscape import limits, schedule
from neuroscape.assess.records import Medication
from neuroscape.errors import ProtocolError
from neuroscape.plan import Plan, add_dose, add_hormone_dose
from neuroscape.protocol import parse_protocol
from neuroscape.schedule import ScheduleProblem, dose_times, schedule_problems

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)
READOUT = [{"id": "c", "quantity": "plasma.escitalopram", "at_h": 1}]


def _protocol(**drug) -> dict:
    return {"protocol": 1, "name": "s", "readouts": READOUT,
            "interventions": [{"drug": "escitalopram", "dose_mg": 10, **drug}]}


def _medication(**kw) -> Medication:
    return Medication(**{"drug": "escitalopram", "dose_mg": 10, "first_dose": T0, "every_h": 24, "count": 3,
                         "source": "row 2", **kw})


def test_schedule_problems_name_the_field_and_the_rule():
    assert schedule_problems(0, 10, 24, 3) == []
    assert schedule_problems(0, -1, None, 0) == [ScheduleProblem("dose_mg", "dose"), ScheduleProblem("count", "count")]
    assert schedule_problems(0, 10, None, 2) == [ScheduleProblem("count", "needs_interval")]
    assert schedule_problems(0, 10, 0.25, 2, shortest_h=0.5) == [ScheduleProblem("every_h", "interval")]
    # 3651 daily doses end exactly at 10 years; one more is after it
    assert schedule_problems(0, 10, 24, 3651) == []
    assert schedule_problems(0, 10, 24, 3652) == [ScheduleProblem("count", "too_long", 87_624.0)]
    assert schedule_problems(48, 10, 24, 3650) == [ScheduleProblem("count", "too_long", 87_624.0)]
    assert dose_times(5, 12, 3) == (5, 17, 29) and dose_times(5, None, 1) == (5,)


def test_a_count_limit_changed_in_schedule_py_changes_plan_protocol_and_records(monkeypatch):
    monkeypatch.setattr(schedule, "MAX_COUNT", 10)
    assert len(add_dose(Plan(), "escitalopram", 0, 10, every_h=24, count=10).doses) == 10
    with pytest.raises(ProtocolError, match=r"count = 11: the number of doses must be a whole number, at most 10"):
        add_dose(Plan(), "escitalopram", 0, 10, every_h=24, count=11)
    with pytest.raises(ProtocolError, match=r"hormone\.count: 11: .* at most 10"):
        add_hormone_dose(Plan(), "estradiol", 0, 2, every_h=24, count=11)
    assert parse_protocol(_protocol(every_h=24, count=10)).interventions[0].count == 10
    with pytest.raises(ProtocolError, match=r"interventions\[0\]\.count: 11 is not allowed: count is the number"):
        parse_protocol(_protocol(every_h=24, count=11))
    assert _medication(count=10).count == 10
    with pytest.raises(ValidationError, match="row 2: count 11 must be at most 10 doses"):
        _medication(count=11)


def test_the_ten_year_limit_is_one_limit_for_plan_protocol_and_records(monkeypatch):
    monkeypatch.setattr(limits, "MAX_TIME_H", 100.0)  # the schedule rules read it when they check
    add_dose(Plan(), "escitalopram", 0, 10, every_h=25, count=5)  # last dose at 100 h
    with pytest.raises(ProtocolError, match=r"count = 6: the last dose would be at 125 h, after 100 h"):
        add_dose(Plan(), "escitalopram", 0, 10, every_h=25, count=6)
    with pytest.raises(ProtocolError, match=r"interventions\[0\]\.count: 6 is not allowed: the last dose would be "
                                            r"at 125 h, after 100 h"):
        parse_protocol(_protocol(every_h=25, count=6))
    with pytest.raises(ValidationError, match="row 2: 6 doses every 25 h span more than"):
        _medication(every_h=25, count=6)


def test_plan_keeps_its_messages_and_now_refuses_a_schedule_past_ten_years():
    with pytest.raises(ProtocolError, match=r"^dose_mg = -1: a dose must be a positive number of milligrams$"):
        add_dose(Plan(), "escitalopram", 0, -1)
    with pytest.raises(ProtocolError, match=r"^count > 1 needs every_h \(hours between doses\)$"):
        add_dose(Plan(), "escitalopram", 0, 10, count=2)
    with pytest.raises(ProtocolError, match=r"^hormone\.count: 0: the number of doses must be at least 1$"):
        add_hormone_dose(Plan(), "estradiol", 0, 2, count=0)
    with pytest.raises(ProtocolError, match=r"count = 3652: the last dose would be at 87624 h, after 87600 h "
                                            r"\(10 years\)"):
        add_dose(Plan(), "escitalopram", 0, 10, every_h=24, count=3652)
    # every_h 0 still means one time for every dose's schedule check: a single dose is fine
    assert [d.at_h for d in add_dose(Plan(), "escitalopram", 3, 10, every_h=0).doses] == [3]


def test_a_record_whose_doses_run_past_ten_years_names_the_row_instead_of_failing_in_the_plan():
    from datetime import timedelta

    from neuroscape.assess.observations import check_record
    from neuroscape.assess.records import PatientRecord

    # each medication spans under 10 years, but the second ends 12 years after the first began
    meds = (_medication(count=2, source="row 2"),
            _medication(first_dose=T0 + timedelta(days=365 * 6), count=6 * 365, source="row 3"))
    record = PatientRecord(patient_id="p", sex="female", age_years=60, medications=meds)
    problems = check_record(record, now=T0 + timedelta(days=365 * 13))
    assert len(problems) == 1 and problems[0].startswith("row 3: last dose 2038-")
    assert "more than 10 years after the first dose" in problems[0]
