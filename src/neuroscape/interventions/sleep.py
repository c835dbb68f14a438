"""Sleep as held inputs: raphe and locus coeruleus firing at their night-averaged level while asleep.
Nightly sleep in clock time, and sleep deprivation against it, are in circadian.py."""

from __future__ import annotations

from . import Hold, load_data


def sleep_data() -> dict:
    return load_data("sleep")


def sleep_inputs(start_h: float, duration_h: float) -> list[Hold]:
    """(input, start_h, end_h, value, mode) holds for one sleep period (see plan.hold_input)."""
    return [(name, start_h, start_h + duration_h, entry["value"], "multiply")
            for name, entry in sleep_data()["inputs"].items()]
