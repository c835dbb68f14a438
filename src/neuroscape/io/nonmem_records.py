"""NONMEM-style dose/concentration tables -> PatientRecord for one ID (read with io.nonmem).

NONMEM TIME is hours from an arbitrary origin; `start` (an aware datetime) places TIME 0 in
calendar time. Doses (EVID 1/4, ADDL/II and SS expanded) become Medications (runs of equal
doses at a constant interval are merged); observations (EVID 0, MDV not 1) with a DV become
drug-level Observations of DRUG (or `drug`) in `dv_unit` (default ng/mL). Resets (EVID 3/4)
are refused: a record has one continuous history.
"""

from __future__ import annotations

import os
from datetime import date, datetime, timedelta
from typing import Iterable, Optional, Union

from ..assess.records import Genotype, Medication, Observation, PatientRecord
from ..errors import DataError
from ._records_common import attempt, finish
from .nonmem import read_events


def records_from_nonmem(path: Union[str, os.PathLike], *, drug: Optional[str] = None,
                        id: Optional[int] = None, start: datetime, sex: str,
                        age_years: Optional[float] = None, birth_date: Optional[date] = None,
                        weight_kg: Optional[float] = None, genotypes: Iterable[tuple[str, str]] = (),
                        dv_unit: str = "ng/mL", format: str = "csv",
                        now: Optional[datetime] = None) -> PatientRecord:
    """One subject of a NONMEM table as a PatientRecord. `drug` names doses/levels that have no
    DRUG column value."""
    if start.tzinfo is None:
        raise DataError(f"start {start.isoformat()} has no time zone; pass e.g. "
                        "datetime(2026, 3, 2, 8, tzinfo=timezone.utc)")
    table = read_events(path, format=format)
    ids = list(table.ids())
    if not ids:
        raise DataError(f"{os.path.basename(str(path))}: the table has no records (only a header?); "
                        "nothing to import")
    if id is not None and id not in ids:
        raise DataError(f"{os.path.basename(str(path))}: no ID {id}; the table has ID "
                        f"{', '.join(str(i) for i in ids[:20])}")
    label = f"{os.path.basename(str(path))} ID {id if id is not None else ids[0]}"
    if table.reset_times(id):
        raise DataError(f"{label}: EVID 3/4 resets are not supported in a patient record (one "
                        "continuous history); split the table at the reset")
    problems: list[str] = []
    runs: list[list] = []  # [drug, amount, route, first_h, every_h, count]
    for k, d in enumerate(table.dose_events(id)):
        name = d.drug or drug
        if not name:
            problems.append(f"{label} dose {k + 1} (TIME {d.time_h:g}): no DRUG; pass drug=")
            continue
        if d.rate:
            problems.append(f"{label} dose {k + 1} (TIME {d.time_h:g}): infusions (RATE) are not read "
                            "into records")
            continue
        route = "iv" if d.cmt == 2 else "oral"
        r = runs[-1] if runs else None
        if r and r[:3] == [name, d.amount_mg, route] and (
                (r[5] == 1 and d.time_h > r[3]) or abs(d.time_h - (r[3] + r[4] * r[5])) < 1e-6):
            if r[5] == 1:
                r[4] = d.time_h - r[3]
            r[5] += 1
        else:
            runs.append([name, d.amount_mg, route, d.time_h, 24.0, 1])
    at = lambda h: start + timedelta(hours=h)  # noqa: E731
    meds = []
    for n, (name, amount, route, first_h, every_h, count) in enumerate(runs, 1):
        where = f"{label} dose run {n} (TIME {first_h:g})"
        m = attempt(problems, where, lambda: Medication(drug=name, dose_mg=amount, route=route,
                                                        first_dose=at(first_h), every_h=every_h,
                                                        count=count, source=where))
        if m is not None:
            meds.append(m)
    obs = []
    for k, o in enumerate(table.observations(id), 1):
        where = f"{label} observation {k} (TIME {o.time_h:g})"
        name = o.drug or drug
        if o.dv is None:
            continue
        if not name:
            problems.append(f"{where}: no DRUG; pass drug=")
            continue
        ob = attempt(problems, where, lambda: Observation(code=name, name=name, value=o.dv, unit=dv_unit,
                                                          time=at(o.time_h), specimen="plasma", source=where))
        if ob is not None:
            obs.append(ob)
    gts = [g for gene, value in genotypes
           if (g := attempt(problems, label, lambda: Genotype(gene=gene, value=value, source=label))) is not None]
    fields = dict(patient_id=label, sex=sex, age_years=age_years, birth_date=birth_date,
                  weight_kg=weight_kg, observations=tuple(obs), medications=tuple(meds),
                  genotypes=tuple(gts))
    return finish(label, fields, problems, now)
