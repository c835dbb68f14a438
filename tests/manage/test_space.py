"""The plan space: candidates from the current medication and the levers, as PROTOCOL.md interventions."""

import pytest

from neuroscape.errors import ProtocolError
from neuroscape.manage.search import current_regimens, plan_of_regimens
from neuroscape.manage.space import Levers, Regimen, candidate_space, profile_drugs, profile_supplements
from neuroscape.manage.targets import load_profile
from neuroscape.plan import Plan, add_dose, add_nutrition
from neuroscape.protocol.run import plan_of
from neuroscape.protocol.schema import parse_protocol

SSRI = load_profile("ssri-efficacy")


def test_profile_drugs_are_the_library_drugs_acting_on_the_bands():
    assert profile_drugs(SSRI) == ("citalopram", "escitalopram", "fluoxetine", "paroxetine", "sertraline",
                                   "venlafaxine")
    assert profile_drugs(load_profile("antipsychotic-window")) == ("haloperidol", "risperidone")
    assert profile_supplements(load_profile("low-serotonergic-tone")) == ("tryptophan", "5-htp")
    assert profile_supplements(SSRI) == ()


def test_current_regimens_recover_the_schedule_of_a_plan():
    plan = add_dose(Plan(), "escitalopram", 0.0, 10.0, every_h=24, count=28)
    plan = add_dose(plan, "escitalopram", 28 * 24.0, 20.0, every_h=24, count=3)
    plan = add_nutrition(plan, "tryptophan", 5.0, dose_mg=1000)
    regs = current_regimens(plan)
    assert regs == (Regimen("drug", "escitalopram", 10.0, 0.0, 24.0, 28),
                    Regimen("nutrition", "tryptophan", 1000.0, 5.0, None, 1),
                    Regimen("drug", "escitalopram", 20.0, 672.0, 24.0, 3))
    # and back: the same doses at the same times
    again = plan_of_regimens(regs)
    assert sorted((d.at_h, d.dose_mg) for d in again.doses) == sorted((d.at_h, d.dose_mg) for d in plan.doses)


def test_candidates_start_from_the_current_medication():
    current = (Regimen("drug", "escitalopram", 10.0, 0.0, 24.0, 28),)
    space = candidate_space(SSRI, current, Levers(drugs=("escitalopram", "sertraline")), now_h=648.0,
                            horizon_h=2016.0)
    labels = [c.label for c in space]
    assert labels[0] == "continue as now"
    assert space[0].interventions() == [{"drug": "escitalopram", "dose_mg": 10, "start_h": 0, "every_h": 24,
                                         "count": 112}]
    change = space[labels.index("change to escitalopram 20 mg every 24 h")]
    assert change.changes == 1
    assert change.interventions() == [
        {"drug": "escitalopram", "dose_mg": 10, "start_h": 0, "every_h": 24, "count": 27},
        {"drug": "escitalopram", "dose_mg": 20, "start_h": 648, "every_h": 24, "count": 85}]
    direct = space[labels.index("switch to sertraline 50 mg every 24 h (direct switch)")]
    washout = space[labels.index("switch to sertraline 50 mg every 24 h (washout switch)")]
    # the switch takes the place of the next escitalopram dose (648 h); the wash-out waits 5 escitalopram
    # half-lives (30 h, sogaard2005) after the last one (624 h)
    assert direct.future[0].start_h == 648
    assert washout.future[0].start_h == pytest.approx(624 + 5 * 30)
    assert direct.changes == 2
    # escitalopram 7 doses (one already taken: 6 changes) + sertraline 7 doses x 2 switch modes + continue
    assert len(space) == 1 + 6 + 7 * 2


def test_levers_constrain_the_space():
    current = (Regimen("drug", "escitalopram", 10.0, 0.0, 24.0, 28),)
    frozen = candidate_space(SSRI, current, Levers(drug_changes=False), now_h=648.0, horizon_h=2016.0)
    assert [c.label for c in frozen] == ["continue as now"]
    sups = candidate_space(SSRI, current, Levers(drug_changes=False, supplements=("tryptophan",)), now_h=648.0,
                           horizon_h=2016.0)
    assert [c.label for c in sups] == ["continue as now", "continue as now + tryptophan 500 mg every 24 h",
                                       "continue as now + tryptophan 1000 mg every 24 h",
                                       "continue as now + tryptophan 1500 mg every 24 h",
                                       "continue as now + tryptophan 2000 mg every 24 h"]
    with pytest.raises(ProtocolError, match="above max_candidates = 5: name fewer drugs"):
        candidate_space(SSRI, (), Levers(max_candidates=5), now_h=0.0, horizon_h=2016.0)
    with pytest.raises(ProtocolError, match="'melatonin' is not offered"):
        candidate_space(SSRI, (), Levers(drugs=(), supplements=("melatonin",)), now_h=0.0, horizon_h=2016.0)


def test_every_candidate_is_a_valid_protocol_with_the_same_plan():
    current = (Regimen("drug", "escitalopram", 10.0, 0.0, 24.0, 28),)
    space = candidate_space(SSRI, current, Levers(drugs=("sertraline", "venlafaxine"), supplements=("5-htp",),
                                                  max_candidates=1000), now_h=648.0, horizon_h=336.0)
    for cand in space[::7]:
        protocol = parse_protocol({"protocol": 1, "name": "x", "interventions": cand.interventions(),
                                   "readouts": [{"id": "o", "quantity": "occupancy.SERT", "at_h": [700]}]})
        from_file, direct = plan_of(protocol), plan_of_regimens(cand.regimens)
        assert sorted((d.drug, d.at_h, d.dose_mg, d.formulation) for d in from_file.doses) == \
            sorted((d.drug, d.at_h, d.dose_mg, d.formulation) for d in direct.doses)
        assert len(from_file.intakes) == len(direct.intakes)


def test_exercise_and_hormone_levers_write_protocol_items_and_fit_the_subject():
    from neuroscape.subject import Subject

    levers = Levers(drug_changes=False, exercise_per_week=(3,), hormones=("estradiol",))
    woman = Subject(sex="female", age_years=56, reproductive_stage="postmenopausal")
    space = candidate_space(SSRI, (), levers, now_h=0.0, horizon_h=2 * 7 * 24.0, subject=woman)
    labels = [c.label for c in space]
    assert labels == ["no change", "endurance 3x/week", "estradiol 0.5 mg every 24 h", "estradiol 1 mg every 24 h",
                      "estradiol 2 mg every 24 h"]
    sessions = space[1].interventions()
    assert len(sessions) == 6 and sessions[0] == {"exercise": "endurance", "start_h": 18, "duration_h": 0.75,
                                                  "intensity": 0.7}
    assert sessions[1]["start_h"] == 74  # every 56 h: three a week
    assert space[3].interventions() == [{"hormone": "estradiol", "dose_mg": 1, "start_h": 0, "every_h": 24,
                                         "count": 15}]
    for cand in space[1:]:
        protocol = parse_protocol({"protocol": 1, "name": "x", "interventions": cand.interventions(),
                                   "readouts": [{"id": "o", "quantity": "occupancy.SERT", "at_h": [300]}]})
        assert plan_of(protocol) is not None
    # estradiol therapy is not offered to a man or a cycling woman
    man = candidate_space(SSRI, (), levers, now_h=0.0, horizon_h=336.0, subject=Subject())
    assert [c.label for c in man] == ["no change", "endurance 3x/week"]


def test_a_change_takes_the_place_of_the_next_scheduled_dose():
    """Now is 10 h after the last once-daily dose: the new dose starts at the next dose time (14 h later),
    so the old and the new dose are 24 h apart and the rolling 24-h dose rules see one dose at a time."""
    from neuroscape.manage.space import next_dose_h

    current = (Regimen("drug", "escitalopram", 10.0, 0.0, 24.0, 28),)
    assert next_dose_h(current, 658.0) == 672.0 and next_dose_h(current, 648.0) == 648.0
    space = candidate_space(SSRI, current, Levers(drugs=("escitalopram",)), now_h=658.0, horizon_h=336.0)
    change = next(c for c in space if c.label == "change to escitalopram 5 mg every 24 h")
    assert change.history[0].end_h == 648.0 and change.future[0].start_h == 672.0


def test_continue_as_now_carries_on_only_the_latest_run_after_a_dose_change():
    # 10 mg daily for 4 weeks, then 20 mg daily for 4 weeks: "continue as now" is 20 mg daily; the 10 mg run
    # is history (carrying it on too would mean 30 mg a day, above the 20 mg label maximum)
    current = (Regimen("drug", "escitalopram", 10.0, 0.0, 24.0, 28), Regimen("drug", "escitalopram", 20.0, 672.0,
                                                                             24.0, 28))
    space = candidate_space(load_profile("tdm-agnp2017"), current, Levers(drugs=("escitalopram",), max_units=1),
                            now_h=1344.0, horizon_h=672.0)
    keep = space[0]
    assert keep.label == "continue as now"
    assert keep.regimens[0] == current[0]
    # to the horizon end inclusive (continue_regimen): (2016 - 672) / 24 + 1 doses
    assert keep.regimens[1] == Regimen("drug", "escitalopram", 20.0, 672.0, 24.0, 57)
    labels = [c.label for c in space]
    assert "change to escitalopram 20 mg every 24 h" not in labels  # that is "continue as now"
    assert {"change to escitalopram 5 mg every 24 h", "change to escitalopram 10 mg every 24 h"} <= set(labels)
