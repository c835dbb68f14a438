"""The daily rhythm as explicit time-dependent inputs, and sleep deprivation against it.

Clock time is `clock_start + t`. Nothing here changes the subject's steady state: the cortisol rhythm
is a fold of the 24-h mean (so fold 1, the steady state, is the day's mean), applied as clock-aligned
hourly holds, and nightly sleep is the existing sleep hold repeated at the protocol's bedtimes.
Sleep deprivation keeps raphe and locus coeruleus at their waking drive through the lost night and
raises cortisol the next evening (Leproult 1997).
"""

from __future__ import annotations

import math
import re
from functools import lru_cache

import numpy as np

from ..errors import ProtocolError
from . import DAY_H, Hold, load_data
from .sleep import sleep_inputs

_CLOCK = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])$")
_OMEGA = 2 * math.pi / DAY_H


def circadian_data() -> dict:
    return load_data("circadian")


def clock_hours(text: str, where: str = "clock") -> float:
    """'HH:MM' (24 h) -> hours after midnight."""
    match = _CLOCK.match(text) if isinstance(text, str) else None
    if not match:
        raise ProtocolError(f"{where}: {text!r} is not a clock time; write \"HH:MM\" in 24 h, e.g. \"23:00\"")
    return int(match[1]) + int(match[2]) / 60.0


def clock_window(text: str, where: str = "window") -> tuple[float, float]:
    """'HH:MM-HH:MM' -> (start, end) in clock hours; the end may be after midnight."""
    parts = text.split("-") if isinstance(text, str) else []
    if len(parts) != 2:
        raise ProtocolError(f"{where}: {text!r} is not a clock window; write \"HH:MM-HH:MM\", e.g. \"23:00-07:00\"")
    start, end = (clock_hours(p.strip(), where) for p in parts)
    if start == end:
        raise ProtocolError(f"{where}: {text!r} starts and ends at the same time; give a window of some length")
    return start, end


# --- cortisol ------------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def cortisol_coefficients() -> tuple[float, ...]:
    """(mesor, a1, b1, a2, b2) of c(h) = M + a1 cos wh + b1 sin wh + a2 cos 2wh + b2 sin 2wh (nmol/L),
    solved so that c has its published peak and nadir (values, clock times, zero slope) and mesor."""
    d = {k: v["value"] for k, v in circadian_data()["cortisol"].items()}

    def value_row(h):
        return [1.0, math.cos(_OMEGA * h), math.sin(_OMEGA * h), math.cos(2 * _OMEGA * h), math.sin(2 * _OMEGA * h)]

    def slope_row(h):
        return [0.0, -math.sin(_OMEGA * h), math.cos(_OMEGA * h), -2 * math.sin(2 * _OMEGA * h),
                2 * math.cos(2 * _OMEGA * h)]

    rows = [value_row(d["peak_clock_h"]), slope_row(d["peak_clock_h"]),
            value_row(d["nadir_clock_h"]), slope_row(d["nadir_clock_h"]), [1.0, 0, 0, 0, 0]]
    rhs = [d["peak"], 0.0, d["nadir"], 0.0, d["mesor"]]
    return tuple(float(x) for x in np.linalg.solve(np.array(rows), np.array(rhs)))


def cortisol_nmol_l(clock_h) -> np.ndarray:
    """The fitted 24-h plasma cortisol curve (nmol/L) at clock hours `clock_h`."""
    m, a1, b1, a2, b2 = cortisol_coefficients()
    h = np.asarray(clock_h, dtype=float)
    return (m + a1 * np.cos(_OMEGA * h) + b1 * np.sin(_OMEGA * h)
            + a2 * np.cos(2 * _OMEGA * h) + b2 * np.sin(2 * _OMEGA * h))


def cortisol_fold_mean(clock_a: float, clock_b: float) -> float:
    """Mean of the curve over clock hours [a, b], as a fold of the 24-h mean (exact integral)."""
    m, a1, b1, a2, b2 = cortisol_coefficients()
    w, span = _OMEGA, clock_b - clock_a

    def primitive(h):
        return (m * h + (a1 * math.sin(w * h) - b1 * math.cos(w * h)) / w
                + (a2 * math.sin(2 * w * h) - b2 * math.cos(2 * w * h)) / (2 * w))

    return (primitive(clock_b) - primitive(clock_a)) / span / m


def cortisol_rhythm(clock_start_h: float, end_h: float) -> list[Hold]:
    """Hourly cortisol holds (fold of the 24-h mean) from t = 0 to `end_h`, aligned to the clock hour."""
    step = circadian_data()["cortisol"]["step_h"]["value"]
    holds: list[Hold] = []
    t = 0.0
    while t < end_h:
        clock = clock_start_h + t
        # the next step boundary on the clock (1e-9: a clock a rounding error short of one is on it)
        nxt = min(end_h, t + (math.floor(clock / step + 1e-9) + 1) * step - clock)
        holds.append(("cortisol_fold", t, nxt, cortisol_fold_mean(clock, clock_start_h + nxt), "multiply"))
        t = nxt
    return holds


# --- nights and sleep deprivation -----------------------------------------------------------------

def _occurrences(window: tuple[float, float], clock_start_h: float, until_h: float) -> list[tuple[float, float]]:
    """Every occurrence of a daily clock window that starts before `until_h`, as unclipped protocol
    hours, from the one that may already be under way at t = 0."""
    start, end = window
    length = (end - start) % DAY_H
    out = []
    t = (start - clock_start_h) % DAY_H - DAY_H
    while t < until_h:
        out.append((t, t + length))
        t += DAY_H
    return out


def windows_in_protocol(window: tuple[float, float], clock_start_h: float, end_h: float) -> list[tuple[float, float]]:
    """Every occurrence of a daily clock window as protocol hours (clipped to 0..end_h)."""
    clipped = ((max(a, 0.0), min(b, end_h)) for a, b in _occurrences(window, clock_start_h, end_h))
    return [(a, b) for a, b in clipped if b > a]


def subtract(spans: list[tuple[float, float]], cuts: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """The parts of `spans` outside every interval in `cuts`."""
    out = list(spans)
    for c0, c1 in cuts:
        nxt = []
        for a, b in out:
            if b <= c0 or a >= c1:
                nxt.append((a, b))
                continue
            if a < c0:
                nxt.append((a, c0))
            if b > c1:
                nxt.append((c1, b))
        out = nxt
    return out


def nightly_sleep(window: tuple[float, float], clock_start_h: float, end_h: float,
                  awake: list[tuple[float, float]] = ()) -> list[Hold]:
    """Sleep holds every night in `window`, except while kept awake (sleep deprivation)."""
    nights = subtract(windows_in_protocol(window, clock_start_h, end_h), list(awake))
    return [hold for a, b in nights for hold in sleep_inputs(a, b - a)]


def _evening_fold(hours_lost: float) -> float:
    points = circadian_data()["sleep_deprivation"]["evening_cortisol_fold"]
    xs = [p["hours_lost"] for p in points]
    ys = [p["fold"] for p in points]
    return float(np.interp(hours_lost, xs, ys))


def sleep_deprivation(start_h: float, duration_h: float, clock_start_h: float,
                      night: tuple[float, float] | None = None) -> list[Hold]:
    """Cortisol holds for one period kept awake: each habitual night it overlaps (the protocol's
    circadian sleep window, else 23:00-07:00) raises cortisol over 18:00-23:00 the following evening
    by the fold measured for that many hours of lost sleep. Keeping raphe and LC at waking drive is
    done by leaving the lost hours out of the nightly sleep holds (see nightly_sleep)."""
    data = circadian_data()["sleep_deprivation"]
    night = night or clock_window(data["habitual_night"]["value"])
    evening = clock_window(data["evening"]["value"])
    end = start_h + duration_h
    holds: list[Hold] = []
    # nights that overlap the deprivation (a night started before t = 0 counts too)
    for night_start, night_end in _occurrences(night, clock_start_h, end):
        lost = min(night_end, end) - max(night_start, start_h)
        if lost > 0:
            e0 = night_end + (evening[0] - (clock_start_h + night_end)) % DAY_H
            e1 = e0 + (evening[1] - evening[0]) % DAY_H
            holds.append(("cortisol_fold", e0, e1, _evening_fold(lost), "multiply"))
    return holds
