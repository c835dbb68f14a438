"""What is done to a subject and when: an immutable plan of interventions, compiled to events."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .engine.compiled import CompiledModel, Events
from .interventions.nutrition import GUT_SPECIES, Intake, intake


@dataclass(frozen=True)
class Plan:
    intakes: tuple[Intake, ...] = ()

    @property
    def event_times(self) -> tuple[float, ...]:
        return tuple(sorted({i.at_h for i in self.intakes}))


def add_nutrition(plan: Plan, name: str, at_h: float, **amounts) -> Plan:
    """Return a plan with one more nutrition intake (see PROTOCOL.md `nutrition`)."""
    return replace(plan, intakes=(*plan.intakes, intake(name, at_h, **amounts)))


def events_for(plan: Plan, model: CompiledModel) -> Events:
    rows = []
    volume = model.param_index["aa_volume"]
    for item in plan.intakes:
        for aa, umol in item.amino_acids_umol.items():
            rows.append((item.at_h, 0, model.species_index[GUT_SPECIES[aa]], umol, volume))
        if item.carbohydrate_g:
            rows.append((item.at_h, 0, model.species_index["gut_carb"], item.carbohydrate_g, -1))
    return Events.from_rows(rows)


def input_parameters(events: Events, p: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Parameter vector in force at each output time (replays the set-parameter events)."""
    P = np.tile(p, (times.size, 1))
    for t, kind, target, value in zip(events.t, events.kind, events.target, events.value):
        if kind == 1:
            P[times >= t, target] = value
    return P
