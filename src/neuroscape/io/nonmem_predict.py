"""Model predictions at the observation records of a NONMEM-style event table (`neuroscape nonmem`).

For each ID: its doses (io.nonmem.to_plan; ADDL/II and SS=1 expanded) are given to `subject` from her
steady state, and the plasma concentration of each observation's DRUG (or `drug`) is read at the
observation's TIME: PRED in ng/mL, RES = DV - PRED. An SS=1 record places its doses before its TIME;
the simulation then starts at the first of them (TIME stays as written in the output). Resets (EVID
3/4) are refused: one ID is one continuous history.
"""

from __future__ import annotations

from dataclasses import dataclass


from ..errors import DataError, ModelError
from ..subject import Subject
from .nonmem import EventTable


@dataclass(frozen=True)
class Prediction:
    id: int
    time_h: float  # TIME as in the table
    drug: str
    dv: float | None
    pred: float  # ng/mL
    unit: str

    @property
    def res(self) -> float | None:
        return None if self.dv is None else self.dv - self.pred


def predict_events(table: EventTable, subject: Subject = Subject(), *, ids=None, drug: str | None = None,
                   ss_doses: int = 20) -> list[Prediction]:
    """Predictions at every observation record (EVID 0, MDV not 1) of the IDs `ids` (default: all)."""
    from ..simulate import model_for, simulate
    from .nonmem import to_plan

    out: list[Prediction] = []
    for id in (table.ids() if ids is None else ids):
        label = f"ID {id}"
        if table.reset_times(id):
            raise DataError(f"{label}: EVID 3/4 resets are not simulated (one ID is one continuous history); "
                            "split the ID at the reset")
        observations = table.observations(id)
        if not observations:
            continue
        doses = table.dose_events(id, ss_doses=ss_doses)
        offset = max(0.0, -min([d.time_h for d in doses] + [o.time_h for o in observations]))
        plan = to_plan(table, id, drug=drug, offset_h=offset, ss_doses=ss_doses)
        names = []
        for k, o in enumerate(observations, 1):
            name = o.drug or drug
            if not name:
                raise DataError(f"{label} observation {k} (TIME {o.time_h:g}): no DRUG; add a DRUG column or "
                                "give --drug")
            names.append(name)
        network = model_for(plan).network
        for k, name in enumerate(names, 1):
            try:
                network.readout(f"plasma.{name}")
            except ModelError:
                dosed = ", ".join(plan.drugs) or "nothing"
                raise DataError(f"{label} observation {k}: plasma.{name} is not in this ID's model (it doses "
                                f"{dosed}); check DRUG or --drug") from None
        times = sorted({0.0, *(o.time_h + offset for o in observations)})
        trajectory = simulate(subject, plan, times)
        index = {t: i for i, t in enumerate(times)}
        for o, name in zip(observations, names):
            values = trajectory.readout(f"plasma.{name}")
            out.append(Prediction(id, o.time_h, name, o.dv, float(values[index[o.time_h + offset]]),
                                  trajectory.unit(f"plasma.{name}")))
    return out
