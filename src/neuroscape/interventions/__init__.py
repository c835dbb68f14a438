"""Nutrition, lifestyle and hormonal inputs turned into model events."""

from __future__ import annotations

from functools import cache
from importlib import resources

import yaml

# One held model input: (input, start_h, end_h, value, mode), see plan.hold_input / plan.hold_inputs.
Hold = tuple[str, float, float, float, str]
DAY_H = 24.0


@cache
def load_data(name: str) -> dict:
    """interventions/data/<name>.yaml, read once."""
    return yaml.safe_load(resources.files("neuroscape.interventions").joinpath(f"data/{name}.yaml").read_text())
