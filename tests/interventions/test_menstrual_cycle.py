"""The menstrual cycle (subject cycle_day) and the postmenopausal level, against Anckaert 2021 and
Honour 2018."""

import pytest

from neuroscape import Subject
from neuroscape.errors import ModelError, ProtocolError
from neuroscape.interventions.menstrual_cycle import cycle_inputs
from neuroscape.protocol.run import run_protocol
from neuroscape.protocol.schema import parse_protocol


def _run(subject, readouts):
    return run_protocol(parse_protocol({"protocol": 1, "name": "cycle", "subject": subject,
                                        "readouts": readouts})).readouts


def test_cycle_gives_the_phase_medians_from_cycle_day():
    days = [0.5, 12.5, 13.5, 20.5, 28.5]  # from day 1: follicular, follicular, ovulation, luteal, day 1 again
    ro = [{"id": "e2", "quantity": "plasma.estradiol", "at_h": [24 * d for d in days]},
          {"id": "p", "quantity": "plasma.progesterone", "at_h": [24 * d for d in days]}]
    out = _run({"sex": "female", "cycle_day": 1}, ro)
    # Anckaert 2021 medians: E2 198 / 757 / 412 pmol/L, progesterone 0.212 / 1.81 / 28.8 nmol/L
    assert out["e2"]["value"] == pytest.approx([198, 198, 757, 412, 198])
    assert out["p"]["value"] == pytest.approx([0.212, 0.212, 1.81, 28.8, 0.212])


def test_cycle_day_shifts_the_start_and_the_steady_state_is_the_cycle_average():
    ro = [{"id": "e2", "quantity": "plasma.estradiol", "at_h": [0, 12]}]
    assert _run({"sex": "female", "cycle_day": 20}, ro)["e2"]["value"] == pytest.approx([412, 412])
    assert _run({"sex": "female"}, ro)["e2"]["value"] == pytest.approx([350, 350])  # no cycle_day: average
    holds = cycle_inputs(27.5, 36.0, 350.0, 0.7)  # half of day 27 left, then day 28, then day 1
    assert [(a, b) for name, a, b, _, _ in holds if name == "estradiol_fold"] == [(0, 12), (12, 36)]


def test_raphe_tph2_follows_the_cycle_with_its_two_day_half_time():
    ro = [{"id": "tph", "quantity": "activity.TPH2", "region": "raphe", "relative_to": "baseline",
           "at_h": [24 * 12.9, 24 * 27.9]}]
    tph = _run({"sex": "female", "cycle_day": 1}, ro)["tph"]["value"]
    # end of the follicular phase (E2 198 of a 350 average) vs end of the luteal phase (412):
    # (198/350)^0.3 = 0.84 and (412/350)^0.3 = 1.05, nearly reached after 13-14 days
    assert tph[0] == pytest.approx((198 / 350) ** 0.3, abs=0.01)
    assert tph[1] == pytest.approx((412 / 350) ** 0.3, abs=0.01)


def test_postmenopausal_estradiol_is_a_lasting_state():
    ro = [{"id": "e2", "quantity": "plasma.estradiol", "at_h": 0},
          {"id": "tph", "quantity": "activity.TPH2", "region": "raphe", "at_h": 0}]
    post = _run({"sex": "female", "reproductive_stage": "postmenopausal"}, ro)
    pre = _run({"sex": "female", "reproductive_stage": "premenopausal"}, ro)
    assert post["e2"]["value"] == pytest.approx(18.5)  # Honour 2018: 9.8-27.1 pmol/L
    assert pre["e2"]["value"] == pytest.approx(350)
    assert post["tph"]["value"] / pre["tph"]["value"] == pytest.approx((18.5 / 350) ** 0.3, rel=1e-6)


@pytest.mark.parametrize("subject,pattern", [
    ({"sex": "female", "cycle_day": 36}, r"subject\.cycle_day: 36 is not allowed: cycle_day is the day"),
    ({"sex": "female", "cycle_day": 0}, r"subject\.cycle_day: 0 is not allowed"),
    ({"sex": "male", "cycle_day": 3}, r"subject\.cycle_day: 3 is not allowed: cycle_day applies to female"),
    ({"sex": "female", "cycle_day": 3, "reproductive_stage": "postmenopausal"},
     r"subject\.cycle_day: 3 is not allowed: a postmenopausal subject has no cycle"),
    ({"sex": "female", "reproductive_stage": "menopause"}, r"subject\.reproductive_stage: 'menopause' is not"),
])
def test_bad_reproductive_keys_are_clear_errors(subject, pattern):
    with pytest.raises(ProtocolError, match=pattern):
        parse_protocol({"protocol": 1, "name": "x", "subject": subject,
                        "readouts": [{"id": "a", "quantity": "plasma.estradiol", "at_h": 0}]})


def test_subject_checks_reproductive_fields():
    with pytest.raises(ModelError, match="apply to female subjects"):
        Subject(cycle_day=3)
    with pytest.raises(ModelError, match=r"cycle_day = 40; must be within 1-35"):
        Subject(sex="female", cycle_day=40)
