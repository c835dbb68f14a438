"""Sleep as held inputs: raphe and locus coeruleus firing at their night-averaged level while asleep.
The circadian rhythm (and so sleep deprivation, which is only defined against it) is not modelled yet."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import yaml


@lru_cache(maxsize=1)
def sleep_data() -> dict:
    return yaml.safe_load(resources.files("neuroscape.interventions").joinpath("data/sleep.yaml").read_text())


def sleep_inputs(start_h: float, duration_h: float) -> list[tuple[str, float, float, float, str]]:
    """(input, start_h, end_h, value, mode) holds for one sleep period (see plan.hold_input)."""
    return [(name, start_h, start_h + duration_h, entry["value"], "multiply")
            for name, entry in sleep_data()["inputs"].items()]
