"""A female subject's own hormone course (subject cycle_day; reproductive_stage postpartum with
postpartum_day) as estradiol_fold / progesterone_fold holds: from t = 0 on (`course`), and the history
that led to t = 0 (`history`).

`simulate` applies both, so the Python API and the protocol runner give the same trajectory and the
state at t = 0 is where the subject's own history has brought her:
- cycling: the cycle's periodic state at cycle_day. Her steady state (at the cycle-average estradiol)
  is not on the cycle: the slow estradiol states and the raphe 5-HT1A homeostasis (adaptation.py)
  follow the phases, so starting there gave every simulation a start-up drift over the first weeks.
  `history` is one whole cycle ending at cycle_day, repeated until the state repeats.
- postpartum: the decline from delivery (postpartum day 0, from the non-pregnant steady state, since
  pregnancy is not modelled) up to postpartum_day, so a protocol started at day d sees at t = 0 what one
  started at delivery sees at t = d days.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import DAY_H, Hold


@dataclass(frozen=True)
class History:
    """Holds on [0, duration_h] whose end is the subject's t = 0. `periodic`: repeat the span from its
    own end state until that state repeats (a whole cycle); otherwise run it once."""

    holds: tuple[Hold, ...]
    duration_h: float
    periodic: bool


def _bases() -> tuple[float, float]:
    """The levels the cycle and postpartum folds are relative to (a female subject's own baselines)."""
    from ..model.parameters import load_table

    levels = load_table("hormones")
    return levels["estradiol_base_female"].value, levels["progesterone_base"].value


def course(subject, end_h: float) -> list[Hold]:
    """The subject's own estradiol/progesterone holds from t = 0 to `end_h` (none for men, a female
    subject without cycle_day, or a postmenopausal one, whose level is part of the steady state)."""
    if subject.cycle_day is not None:
        from .menstrual_cycle import cycle_inputs

        return cycle_inputs(subject.cycle_day, end_h, *_bases())
    if subject.reproductive_stage == "postpartum":
        from .postpartum import postpartum_inputs

        return postpartum_inputs(subject.postpartum_day or 0.0, end_h, *_bases())
    return []


def history(subject) -> History | None:
    """The holds that bring the subject from her steady state to t = 0, or None if she starts there."""
    if subject.cycle_day is not None:
        from .menstrual_cycle import cycle_data, cycle_inputs

        span = cycle_data()["cycle_length_days"] * DAY_H
        return History(tuple(cycle_inputs(subject.cycle_day, span, *_bases())), span, periodic=True)
    if subject.reproductive_stage == "postpartum" and subject.postpartum_day:
        from .postpartum import postpartum_inputs

        span = subject.postpartum_day * DAY_H
        return History(tuple(postpartum_inputs(0.0, span, *_bases())), span, periodic=False)
    return None
