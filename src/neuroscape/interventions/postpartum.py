"""The postpartum withdrawal of estradiol and progesterone as time-dependent holds.

A postpartum subject's steady state is the non-pregnant baseline (estradiol_base_female,
progesterone_base): pregnancy itself is not modelled. Each hormone falls from delivery of the placenta
as one exponential of its excess over the early-follicular level (data/postpartum.yaml). t = 0 is
`postpartum_day` days after delivery: simulate() runs the decline up to that day from the non-pregnant
steady state and applies what is left of it from t = 0 (interventions/reproductive.py). The estradiol
effects on TPH2, SERT, 5-HT1A and 5-HT2A (2-day half-time) and MAO-A (its 14-day enzyme turnover) follow.
"""

from __future__ import annotations

import math

from . import DAY_H, Hold, load_data


def postpartum_data() -> dict:
    return load_data("postpartum")


def _kinetic(hormone: str) -> tuple[float, float, float]:
    """(start, floor, rate 1/h) of `hormone` (estradiol in pmol/L, progesterone in nmol/L)."""
    entry = postpartum_data()[hormone]
    unit = "pmol_l" if hormone == "estradiol" else "nmol_l"
    return (float(entry[f"start_{unit}"]["value"]), float(entry[f"floor_{unit}"]["value"]),
            math.log(2) / float(entry["half_life_h"]["value"]))


def level(hormone: str, hours_after_delivery: float) -> float:
    """Plasma level of `hormone` this many hours after delivery of the placenta."""
    start, floor, k = _kinetic(hormone)
    return floor + (start - floor) * math.exp(-k * hours_after_delivery)


def _mean_level(hormone: str, a: float, b: float) -> float:
    start, floor, k = _kinetic(hormone)
    return floor + (start - floor) * (math.exp(-k * a) - math.exp(-k * b)) / (k * (b - a))


def postpartum_inputs(postpartum_day: float, end_h: float, estradiol_base: float,
                      progesterone_base: float) -> list[Hold]:
    """estradiol_fold and progesterone_fold holds (relative to the subject's baseline levels) from
    t = 0 to `end_h`, t = 0 being `postpartum_day` days after delivery: steps of step_h (each the mean
    of the decline over the step) until the excess is below 1% of the floor, then the floor (the range
    0-365 is checked where the subject is made, Subject and the protocol schema)."""
    step = float(postpartum_data()["step_h"])
    offset = postpartum_day * DAY_H
    holds: list[Hold] = []
    for hormone, name, base in (("estradiol", "estradiol_fold", estradiol_base),
                                ("progesterone", "progesterone_fold", progesterone_base)):
        start, floor, k = _kinetic(hormone)
        settled_h = max(math.log((start - floor) / (0.01 * floor)) / k - offset, 0.0)
        t = 0.0
        while t < min(settled_h, end_h):
            b = min(t + step, end_h)
            holds.append((name, t, b, _mean_level(hormone, offset + t, offset + b) / base, "multiply"))
            t = b
        if t < end_h:
            holds.append((name, t, end_h, floor / base, "multiply"))
    return holds
