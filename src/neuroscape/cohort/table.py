"""The results table of a cohort run (pyarrow): one row per member x arm x endpoint time.

Columns: member, arm, endpoint, quantity, region, unit, at_h, value, baseline, status, then the member's
covariates (sex, age_years, weight_kg) and one column per gene with the member's phenotype. `value` is in
the endpoint's unit (1 with relative_to: baseline); `baseline` is the member's pre-intervention steady
state in the same unit (1 for a relative endpoint); both are NaN when `status` is not "ok".
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pyarrow as pa

from ..errors import ModelError
from .sample import Population
from .spec import Cohort


def _units(spec: Cohort) -> list[list[str]]:
    """unit[arm][endpoint] ('' where the arm's model has no such readout)."""
    from ..scenario import model_for
    from .arms import arm_plans

    out = []
    for plan in arm_plans(spec):
        network = model_for(plan).network
        row = []
        for e in spec.endpoints:
            try:
                row.append("1" if e.relative_to else network.readout(e.quantity, e.region).unit)
            except ModelError:
                row.append("")
        out.append(row)
    return out


def results_table(spec: Cohort, population: Population, chunks: Sequence) -> pa.Table:
    """Assemble the chunks (sorted by arm, then first member) into the results table."""
    from .arms import endpoint_times

    pairs = endpoint_times(spec)
    units = _units(spec)
    E = len(pairs)
    members, arms, values, baselines, status = [], [], [], [], []
    for c in chunks:
        b = c.values.shape[0]
        members.append(np.repeat(np.arange(c.start, c.start + b), E))
        arms.append(np.full(b * E, c.arm))
        values.append(c.values.ravel())
        baselines.append(c.baselines.ravel())
        status.append(c.status.ravel())
    if not chunks:
        members, arms, values, baselines, status = ([np.zeros(0, int)], [np.zeros(0, int)], [np.zeros(0)],
                                                     [np.zeros(0)], [np.zeros(0, str)])
    member = np.concatenate(members)
    arm = np.concatenate(arms)
    pair = np.tile(np.arange(E), member.size // max(E, 1))
    endpoint = np.array([spec.endpoints[k].id for k, _ in pairs])[pair]
    quantity = np.array([spec.endpoints[k].quantity for k, _ in pairs])[pair]
    region = [spec.endpoints[k].region for k, _ in pairs]
    at_h = np.array([t for _, t in pairs])[pair]
    unit = np.array([[units[a][k] for k, _ in pairs] for a in range(len(spec.arms))], dtype=object)
    columns = {
        "member": pa.array(member, pa.int64()),
        "arm": pa.array(np.array([a.name for a in spec.arms])[arm]),
        "endpoint": pa.array(endpoint),
        "quantity": pa.array(quantity),
        "region": pa.array([region[k] for k in pair], pa.string()),
        "unit": pa.array(unit[arm, pair].astype(str) if member.size else np.zeros(0, str)),
        "at_h": pa.array(at_h, pa.float64()),
        "value": pa.array(np.concatenate(values), pa.float64()),
        "baseline": pa.array(np.concatenate(baselines), pa.float64()),
        "status": pa.array(np.concatenate(status).astype(str)),
    }
    for name, col in population.covariates().items():
        columns[name] = pa.array(np.asarray(col)[member])
    return pa.table(columns)


def write_parquet(table: pa.Table, path) -> None:
    import pyarrow.parquet as pq

    pq.write_table(table, path)
