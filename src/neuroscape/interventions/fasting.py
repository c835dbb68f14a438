"""A fast beyond the overnight one: the model input `fasting` held at 1 while it lasts.

The baseline is the overnight-fasted (post-absorptive, about 12 h) state, so a fast that starts at
start_h has lasted 12 + (t - start_h) hours at time t. The adaptation it drives (plasma free fatty acids
rising over days) is model/modules/ffa.py. Meals given during the fast are simulated as given; ending
the fast is the end of the hold.
"""

from __future__ import annotations

from . import Hold

OVERNIGHT_FAST_H = 12.0  # the baseline's time since the last meal


def fasting_inputs(start_h: float, duration_h: float) -> list[Hold]:
    """(input, start_h, end_h, value, mode) holds for one fast (see plan.hold_input)."""
    return [("fasting", start_h, start_h + duration_h, 1.0, "add")]
