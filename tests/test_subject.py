"""Subject rules live once (subject.py): Subject and a protocol's subject accept the same subjects, and a
range changed there changes both."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from neuroscape import subject as subject_module
from neuroscape.errors import ModelError, ProtocolError
from neuroscape.protocol import parse_protocol
from neuroscape.subject import Subject, SubjectProblem, subject_problems


def _parse(subject: dict):
    return parse_protocol({"protocol": 1, "name": "s", "subject": subject,
                           "readouts": [{"id": "t", "quantity": "plasma.tryptophan", "at_h": 0}]})


def test_an_age_range_changed_in_subject_py_changes_subject_and_protocol(monkeypatch):
    monkeypatch.setitem(subject_module.RANGES, "age_years", (18.0, 100.0))
    assert Subject(age_years=100).age_years == 100 and _parse({"age_years": 100}).subject.age_years == 100
    with pytest.raises(ModelError, match=r"Subject\.age_years = 101; must be within 18-100"):
        Subject(age_years=101)
    with pytest.raises(ProtocolError, match=r"subject\.age_years: 17 is not allowed: age in years"):
        _parse({"age_years": 17})


def test_subject_problems_lists_every_broken_rule_at_its_key():
    problems = subject_problems("male", 35, 75, {}, 3, "postmenopausal", None)
    assert [(p.key, p.rule) for p in problems] == [
        ("cycle_day", "female_only"), ("reproductive_stage", "female_only"), ("cycle_day", "cycle_after_menopause")]
    assert problems[0] == SubjectProblem("cycle_day", "female_only", (
        "Subject.cycle_day, reproductive_stage and postpartum_day apply to female subjects; this subject is male: "
        "give sex='female' or leave them out"))
    with pytest.raises(ProtocolError) as caught:
        _parse({"sex": "male", "cycle_day": 3, "reproductive_stage": "postmenopausal"})
    assert [line.split(":")[0] for line in caught.value.problems] == [
        "subject.cycle_day", "subject.reproductive_stage", "subject.cycle_day"]


SUBJECTS = st.fixed_dictionaries({}, optional={
    "sex": st.sampled_from(["male", "female"]),
    "age_years": st.sampled_from([-1.0, 0.0, 35.0, 120.0, 120.5]),
    "weight_kg": st.sampled_from([1.9, 2.0, 75.0, 400.0, 401.0]),
    "cycle_day": st.sampled_from([0.5, 1.0, 14.0, 35.0, 36.0]),
    "reproductive_stage": st.sampled_from(["premenopausal", "postmenopausal", "postpartum"]),
    "postpartum_day": st.sampled_from([-1.0, 0.0, 3.0, 365.0, 366.0]),
})


@settings(max_examples=300, deadline=None)
@given(SUBJECTS)
def test_subject_and_the_protocol_accept_the_same_subjects(fields):
    try:
        Subject(**fields)
        subject_ok = True
    except ModelError:
        subject_ok = False
    try:
        _parse(fields)
        protocol_ok = True
    except ProtocolError:
        protocol_ok = False
    assert subject_ok == protocol_ok


def test_patient_records_read_the_subjects_age_and_weight_ranges(monkeypatch):
    """One rule, one place: a record is refused at import exactly where the Subject would refuse it."""
    from neuroscape.assess.records import check_age, check_weight

    assert check_age(120.0) == 120.0 and check_weight(400.0) == 400.0
    with pytest.raises(ValueError, match="between 0 and 120"):
        check_age(121.0)
    monkeypatch.setitem(subject_module.RANGES, "age_years", (18.0, 90.0))
    with pytest.raises(ValueError, match="between 18 and 90"):
        check_age(17.0)


@pytest.mark.parametrize("genotype", ["*1/*2", "*1/*4xN", "*2x2/*1", "poor", "Ultra-rapid metaboliser",
                                      "normal metabolizer", "*1A/*2", "*1.001/*2", "slow", "*1-*2"])
def test_protocol_files_and_pharmacogenomics_share_one_genotype_syntax(genotype):
    """A genotype a protocol file accepts is one the phenotype parser reads, and the other way round."""
    from neuroscape.pharmacology.pgx import GENOTYPE_SYNTAX

    data = {"protocol": 1, "name": "g", "subject": {"genotypes": {"CYP2D6": genotype}},
            "readouts": [{"id": "r", "quantity": "brain.tryptophan", "at_h": 0}]}
    try:
        parse_protocol(data)
        accepted = True
    except ProtocolError:
        accepted = False
    assert accepted == bool(GENOTYPE_SYNTAX.fullmatch(genotype))
    assert accepted == (genotype not in ("*1A/*2", "*1.001/*2", "slow", "*1-*2"))


def test_the_modification_cap_is_the_subjects(monkeypatch):
    data = {"protocol": 1, "name": "m", "subject": {"modifications": {"DAT": 50.0}},
            "readouts": [{"id": "r", "quantity": "brain.tryptophan", "at_h": 0}]}
    parse_protocol(data)
    Subject(modifications={"DAT": 50.0})
    monkeypatch.setattr(subject_module, "MAX_MODIFICATION", 10.0)
    with pytest.raises(ProtocolError, match="subject.modifications.DAT: 50 is not allowed"):
        parse_protocol(data)
    with pytest.raises(ModelError, match=r"must be a finite number from 0 to 10 \(1 = typical\)"):
        Subject(modifications={"DAT": 50.0})
