"""The menstrual cycle as daily estradiol and progesterone holds, and the postmenopausal level.

A cycling subject's steady state is the cycle average (estradiol_base_female, progesterone_base); the
cycle is a time-dependent input from t = 0, starting at the subject's `cycle_day`, and simulate()
starts her in the cycle's periodic state at that day (interventions/reproductive.py), so there is no
start-up drift of the slow estradiol states or the 5-HT1A homeostasis.
"""

from __future__ import annotations

from . import DAY_H, Hold, load_data


def cycle_data() -> dict:
    return load_data("menstrual_cycle")


def phase_of(day: int) -> dict:
    """The template phase of cycle day `day` (1-35; days after 28 read as the last luteal day)."""
    data = cycle_data()
    day = min(int(day), data["cycle_length_days"])
    return next(p for p in data["phases"] if p["first_day"] <= day <= p["last_day"])


def cycle_inputs(cycle_day: float, end_h: float, estradiol_base: float, progesterone_base: float) -> list[Hold]:
    """Daily estradiol_fold and progesterone_fold holds (relative to the subject's baseline levels)
    from t = 0 to `end_h`, the cycle starting at `cycle_day` (a fraction of a day is kept; the range
    1-35 is checked where the subject is made, Subject and the protocol schema)."""
    length = cycle_data()["cycle_length_days"]
    holds: list[Hold] = []
    day, t = int(cycle_day), -(cycle_day - int(cycle_day)) * DAY_H
    while t < end_h:
        a, b = max(t, 0.0), min(t + DAY_H, end_h)
        phase = phase_of(day)
        holds += [("estradiol_fold", a, b, phase["estradiol_pmol_l"] / estradiol_base, "multiply"),
                  ("progesterone_fold", a, b, phase["progesterone_nmol_l"] / progesterone_base, "multiply")]
        day = 1 if day >= length else day + 1
        t += DAY_H
    return holds


def postmenopausal_estradiol_pmol_l() -> float:
    return float(cycle_data()["postmenopausal"]["estradiol_pmol_l"]["value"])
