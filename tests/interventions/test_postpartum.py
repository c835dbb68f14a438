"""The postpartum fall of estradiol and progesterone (subject reproductive_stage: postpartum,
postpartum_day), against Willcox 1985, Sacher 2010 and Lewis 1987 (interventions/data/postpartum.yaml)."""

import math

import pytest

from neuroscape import Subject
from neuroscape.errors import ModelError, ProtocolError
from neuroscape.interventions.postpartum import level, postpartum_inputs
from neuroscape.model.parameters import load_table
from neuroscape.plan import Plan, hold_input
from neuroscape.protocol.run import run_protocol
from neuroscape.protocol.schema import parse_protocol
from neuroscape.simulate import simulate

GAIN = {t: load_table("hormones")[f"e2_{t}_gain"].value for t in ("tph2", "maoa")}


def _run(subject, readouts):
    return run_protocol(parse_protocol({"protocol": 1, "name": "postpartum", "subject": subject,
                                        "readouts": readouts})).readouts


def test_estradiol_and_progesterone_fall_from_delivery_to_follicular_levels():
    hours = [0.5, 24 * 3 + 0.5, 24 * 3.5 + 0.5, 24 * 7 + 0.5]  # step midpoints
    ro = [{"id": "e2", "quantity": "plasma.estradiol", "at_h": hours},
          {"id": "p", "quantity": "plasma.progesterone", "at_h": hours}]
    out = _run({"sex": "female", "reproductive_stage": "postpartum"}, ro)
    e2, p = out["e2"]["value"], out["p"]["value"]
    # day 0: about 30 nmol/L E2 and 130 nmol/L progesterone at the end of the third stage (Willcox 1985)
    assert e2[0] == pytest.approx(level("estradiol", 0.5), rel=1e-3) and 28000 < e2[0] < 30000
    assert 120 < p[0] < 130
    # day 3.5: 316 pmol/L, the geometric middle of a 100- to 1000-fold fall from ~100 nmol/L (Sacher 2010)
    assert e2[2] == pytest.approx(316, rel=0.02)
    assert 100 <= 100_000 / e2[2] <= 1000
    # progesterone near follicular after 2-3 days (Lewis 1987): 0.27 nmol/L at day 3, below luteal 28.8
    assert p[1] == pytest.approx(0.27, abs=0.01)
    # day 7: the early-follicular floor (Anckaert 2021: 198 pmol/L, 0.212 nmol/L)
    assert e2[3] == pytest.approx(198, rel=0.01) and p[3] == pytest.approx(0.212, rel=0.01)
    # as folds of the non-pregnant female baseline (350 pmol/L, 0.7 nmol/L): 83x, 0.9x, 0.57x
    assert [v / 350 for v in (e2[0], e2[2], e2[3])] == pytest.approx([83.0, 0.89, 0.57], abs=0.05)


def test_postpartum_day_applies_the_remaining_decline_from_t0():
    ro = [{"id": "e2", "quantity": "plasma.estradiol", "at_h": [0.5, 24.5]}]
    later = _run({"sex": "female", "reproductive_stage": "postpartum", "postpartum_day": 3}, ro)["e2"]["value"]
    assert later == pytest.approx([level("estradiol", 72.5), level("estradiol", 96.5)], rel=1e-3)
    # the steady state is the non-pregnant baseline; holds end at the floor
    holds = postpartum_inputs(30, 48.0, 350.0, 0.7)
    assert holds == [("estradiol_fold", 0.0, 48.0, 198 / 350, "multiply"),
                     ("progesterone_fold", 0.0, 48.0, 0.212 / 0.7, "multiply")]
    half = math.log(2) / ((math.log(30000 - 198) - math.log(level("estradiol", 10.5) - 198)) / 10.5)
    assert half == pytest.approx(10.5)


def test_tph2_falls_and_maoa_rises_after_delivery():
    days = [2, 5, 14, 21]
    ro = [{"id": "tph", "quantity": "activity.TPH2", "region": "raphe", "relative_to": "baseline",
           "at_h": [24 * d for d in days]},
          {"id": "mao", "quantity": "activity.MAO-A", "relative_to": "baseline", "at_h": [24 * d for d in days]}]
    out = _run({"sex": "female", "reproductive_stage": "postpartum"}, ro)
    tph, mao = out["tph"]["value"], out["mao"]["value"]
    # the remaining high estradiol of the first days first raises TPH2 and lowers MAO-A (the expression
    # states start at the non-pregnant steady state); then TPH2 falls and MAO-A rises toward the
    # follicular targets (198/350)^gain = 0.973 and ^-gain = 1.028. TPH2 has a 2-day half-time; MAO-A
    # moves at the enzyme's turnover (mao_a_turnover: 14 d assumed; rat 7.6-12.7 d, Luine & McEwen 1977),
    # so its dip is shallower (0.988 at day 2; 0.94 with the former 2-day half-time) and at day 21 it is
    # still on its way (1.010)
    assert tph[0] == pytest.approx(1.07, abs=0.01) and mao[0] == pytest.approx(0.988, abs=0.003)
    assert tph[0] > tph[1] > tph[2] > tph[3] and mao[0] < mao[1] < mao[2] < mao[3]
    assert tph[3] == pytest.approx((198 / 350) ** GAIN["tph2"], abs=0.002)
    assert mao[3] == pytest.approx(1.010, abs=0.003) and mao[3] < (198 / 350) ** -GAIN["maoa"]


def _maoa_days_4_to_6():
    ro = [{"id": "mao", "quantity": "activity.MAO-A", "relative_to": "baseline", "at_h": [24 * d for d in (4, 5, 6)]}]
    return _run({"sex": "female", "reproductive_stage": "postpartum"}, ro)["mao"]["value"]


def test_maoa_at_days_4_to_6_is_near_baseline():
    # what the model gives where Sacher 2010 measured (the test below documents the gap); with the former
    # 2-day half-time it was 0.96, 0.98, 0.99
    assert _maoa_days_4_to_6() == pytest.approx([0.987, 0.989, 0.991], abs=0.003)


# The MAO-A turnover bound: any change in MAO-A synthesis or degradation moves the enzyme amount toward
# its new level at the degradation rate, M(t) = S - (S - M0) exp(-k t). Luine & McEwen 1977 measured
# rat brain MAO-A half-lives of 9.8 and 12.7 d without estradiol (the state after a fall) and 7.6 and
# 7.8 d with it. Starting no higher than the non-pregnant level (M0 <= 1: pregnancy estradiol is far
# higher, and estradiol lowers MAO-A), +43% by day 5 needs a new level S >= 1 + 0.43 / (1 - exp(-k t)).
RAT_HALF_LIVES_D = {"ovx": (9.8, 12.7), "estradiol": (7.6, 7.8)}


def _level_needed(half_life_d: float, day: float = 5.0, rise: float = 0.43) -> float:
    return 1 + rise / (1 - math.exp(-math.log(2) * day / half_life_d))


def test_a_turnover_limited_rise_cannot_reach_sacher_2010_by_day_5():
    needed = {h: _level_needed(h) for pair in RAT_HALF_LIVES_D.values() for h in pair}
    # even the fastest measured turnover needs a post-withdrawal MAO-A level 2.17x the non-pregnant one
    assert min(needed.values()) == pytest.approx(2.17, abs=0.01)
    assert max(needed.values()) == pytest.approx(2.80, abs=0.01)
    # what a sustained loss of estradiol gives at steady state: rat ovariectomy vs estradiol 1.29-1.63
    # (the ratio of the degradation rates), human menopause vs reproductive age 1.155 (Rekkas 2014,
    # basis of e2_maoa_gain); both fall short of every level needed
    rat = [o / e for o, e in zip(RAT_HALF_LIVES_D["ovx"], RAT_HALF_LIVES_D["estradiol"])]
    assert rat == pytest.approx([1.29, 1.63], abs=0.01)
    assert max(rat + [1.155]) < min(needed.values())
    # the model's MAO-A (turnover and estradiol state) moves at mao_a_turnover, an assumed human
    # half-time of 14 d, slower than every rat value: the bound for it is higher still
    rate = load_table("enzymes")["mao_a_turnover"].value
    assert math.log(2) / rate / 24 == pytest.approx(14.0, rel=0.01)
    assert _level_needed(14.0) > max(needed.values())


def test_maoa_relaxes_at_its_turnover_rate_after_an_estradiol_step():
    # a female subject whose estradiol is held at a twentieth from t = 0: MAO-A expression rises
    # toward 20^gain along one exponential at the enzyme's turnover rate (mao_a_turnover)
    hours = [0.0, 120.0, 24 * 28.0]
    tr = simulate(Subject(sex="female"), hold_input(Plan(), "estradiol_fold", 0, 0.05), hours)
    mao = tr.readout("activity.MAO-A", relative_to="baseline")
    target, rate = 20 ** GAIN["maoa"], load_table("enzymes")["mao_a_turnover"].value
    expected = [target - (target - 1) * math.exp(-rate * h) for h in hours]
    assert list(mao) == pytest.approx(expected, abs=1e-3)
    assert mao[1] == pytest.approx(1.035, abs=0.002)  # day 5: far below the +43% of Sacher 2010


@pytest.mark.xfail(strict=True, reason=(
    "Sacher 2010: [11C]harmine MAO-A VT +43% at postpartum days 4-6 vs women not recently pregnant. "
    "The model gives 0.987-0.991x: MAO-A follows the current estradiol (gain 0.049 from the menopause "
    "data, Rekkas 2014) at the enzyme's turnover (half-time 14 d assumed; rat 7.6-12.7 d, Luine & McEwen "
    "1977), and at days 4-6 estradiol is back near follicular levels after days far above baseline. "
    "No mechanism limited by MAO-A turnover reaches it: with the rat half-lives (7.6-12.7 d) +43% by "
    "day 5 needs a new MAO-A level 2.2-2.8x the non-pregnant one, while sustained estradiol loss gives "
    "1.29-1.63x in rats and 1.155x in menopause (test_a_turnover_limited_rise_cannot_reach_sacher_2010_by_day_5). "
    "A sourced withdrawal mechanism (a synthesis surge of at least 2.2x held from delivery, a faster human MAO-A "
    "turnover, or a raised pregnancy level) was not found; docs/interventions.md says what would settle it"))
def test_maoa_rise_at_days_4_to_6_against_sacher_2010():
    assert 1.3 <= sum(_maoa_days_4_to_6()) / 3 <= 1.6


def test_postpartum_day_starts_where_the_decline_from_delivery_has_brought_her():
    # postpartum_day d at t = 0 is the same state as postpartum day 0 at t = d days (her history is run)
    quantities = [("activity.MAO-A", None), ("activity.TPH2", "raphe"), ("firing.raphe", None),
                  ("brain.serotonin.extracellular", "cortex")]
    from_delivery = simulate(Subject(sex="female", reproductive_stage="postpartum"), Plan(), [96.0, 216.0])
    later = simulate(Subject(sex="female", reproductive_stage="postpartum", postpartum_day=4), Plan(), [0.0, 120.0])
    for quantity, region in quantities:
        assert later.readout(quantity, region) == pytest.approx(from_delivery.readout(quantity, region), rel=1e-4)


@pytest.mark.parametrize("subject,pattern", [
    ({"sex": "female", "reproductive_stage": "postpartum", "postpartum_day": 400},
     r"subject\.postpartum_day: 400 is not allowed"),
    ({"sex": "female", "reproductive_stage": "postpartum", "postpartum_day": -1},
     r"subject\.postpartum_day: -1 is not allowed"),
    ({"sex": "female", "postpartum_day": 3}, r"subject\.postpartum_day: 3 is not allowed: postpartum_day needs"),
    ({"sex": "male", "postpartum_day": 3}, r"subject\.postpartum_day: 3 is not allowed: postpartum_day applies"),
    ({"sex": "female", "reproductive_stage": "postpartum", "cycle_day": 3},
     r"subject\.cycle_day: 3 is not allowed: the postpartum decline replaces the cycle"),
])
def test_bad_postpartum_keys_are_clear_errors(subject, pattern):
    with pytest.raises(ProtocolError, match=pattern):
        parse_protocol({"protocol": 1, "name": "x", "subject": subject,
                        "readouts": [{"id": "a", "quantity": "plasma.estradiol", "at_h": 0}]})


def test_subject_checks_postpartum_fields():
    with pytest.raises(ModelError, match="needs reproductive_stage 'postpartum'"):
        Subject(sex="female", postpartum_day=3)
    with pytest.raises(ModelError, match=r"postpartum_day = 400; must be within 0-365"):
        Subject(sex="female", reproductive_stage="postpartum", postpartum_day=400)
    Subject(sex="female", reproductive_stage="postpartum", postpartum_day=0)
