"""Run every member of a cohort through every arm with the batch engine, chunk by chunk.

    run = run_cohort(load_cohort("trial.yaml"), out_dir="results")   # results.parquet, summary.html/json
    run.table                                                         # one row per member x arm x endpoint time

A chunk is (arm, a slice of members): the members' parameter rows go through one batched start
(scenario.start_batch) and one batched integration to the endpoint times, and only the endpoint values come
back, so the memory a chunk needs does not grow with the cohort. A member that fails (no steady state, a
failed integration, a subject the model refuses) keeps its status in every row and the run goes on.
Chunks run in this process (the engine's threads use the cores), in local processes (`processes=`), or on a
Dask cluster (`scheduler=`); each chunk's result depends only on the file and its members, so every way
gives the same numbers, member by member.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Sequence

import numpy as np

from ..engine.compiled import Solver
from ..errors import CohortError, EngineError, ModelError, NeuroscapeError
from ..plan import Plan
from .arms import arm_plans, endpoint_times
from .sample import Population, sample_population
from .spec import Cohort

DEFAULT_CHUNK = 250  # members per batch: about 250 x (endpoint times) x (states) doubles of output
# Status of a member whose row the model cannot read: the readout is not in this arm's model (a drug's
# plasma level in an arm without the drug).
NO_READOUT = "no_readout"
# The numba engine's default threading layer refuses concurrent parallel calls from two threads of one
# process (a Dask worker with several threads, an in-process LocalCluster): one chunk integrates at a time.
_ENGINE_LOCK = threading.Lock()

Progress = Callable[[int, int], None]  # (members x arms done, total)


def cohort_priors(spec: Cohort, plans: Sequence[Plan] | None = None):
    """The population priors of every arm's model (drug PK priors come with the arms that give the drug)."""
    from ..assess.priors import calibration_parameters
    from ..scenario import model_for

    plans = arm_plans(spec) if plans is None else plans
    return [c for plan in plans for c in calibration_parameters(model_for(plan).network)]


# -- one chunk -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class ChunkResult:
    """Endpoint values of `members` (first index `start`) in arm `arm`: value and baseline (b, E) for
    the E (endpoint, time) pairs of the cohort, and a status per member and pair."""

    arm: int
    start: int
    values: np.ndarray
    baselines: np.ndarray
    status: np.ndarray  # (b, E) str


def run_chunk(spec: Cohort, arm: int, start: int, members: Population) -> ChunkResult:
    """Integrate `members` in arm `arm` of `spec` (a pure function of its arguments: any process gives
    the same numbers)."""
    from ..protocol.run import plan_of
    from ..scenario import model_for

    plan = plan_of(spec.arms[arm].protocol(spec.endpoints))
    model = model_for(plan)
    pairs = endpoint_times(spec)
    b = members.size
    values = np.full((b, len(pairs)), np.nan)
    baselines = np.full((b, len(pairs)), np.nan)
    status = np.full((b, len(pairs)), "ok", dtype=object)
    P, member_status = parameter_rows(members, model)
    times = np.array(sorted({t for _, t in pairs}))
    ok = np.array([s == "ok" for s in member_status])
    if ok.any():
        with _ENGINE_LOCK:
            Y, SS, inputs, run_status = integrate_rows(spec, plan, model, P[ok], times)
        for i, s in zip(np.flatnonzero(ok), run_status):
            member_status[i] = s
        column = {t: j for j, t in enumerate(times)}
        for e, (k, t) in enumerate(pairs):
            endpoint = spec.endpoints[k]
            try:
                key = model.network.readout(endpoint.quantity, endpoint.region).key
            except ModelError:
                status[:, e] = NO_READOUT
                continue
            fn = model.readout_function(key)
            j = column[t]
            v = np.asarray(fn(Y[:, j, :], inputs[:, j, :]), dtype=float)
            base = np.asarray(fn(SS, P[ok]), dtype=float)
            if endpoint.relative_to == "baseline":
                with np.errstate(divide="ignore", invalid="ignore"):
                    v = np.where(base != 0, v / base, np.nan)
                base = np.ones_like(base)
            values[ok, e], baselines[ok, e] = v, base
    for i, s in enumerate(member_status):
        if s != "ok":
            status[i, :] = s
            values[i, :] = baselines[i, :] = np.nan
    return ChunkResult(arm, start, values, baselines, status.astype(str))


def parameter_rows(members: Population, model) -> tuple[np.ndarray, list[str]]:
    """Each member's parameter row for `model`: covariates and phenotypes (subject.parameter_vector),
    then the prior factors exp(eta) on their targets."""
    from ..subject import parameter_vector

    network = model.network
    index = model.param_index
    P = np.tile(model.p_default, (members.size, 1))
    status = ["ok"] * members.size
    for i in range(members.size):
        try:
            P[i] = parameter_vector(members.subject(i), network)
        except NeuroscapeError as exc:
            status[i] = f"subject_error: {exc}"
    for j, v in enumerate(members.variations):
        cols = [index[t] for t in v.targets if t in index]
        if cols:
            P[:, cols] *= np.exp(members.etas[:, j])[:, None]
    return P, status


def integrate_rows(spec: Cohort, plan: Plan, model, P: np.ndarray, times: np.ndarray):
    """States at `times` (b, T, n), steady states (b, n), inputs in force (b, T, np) and a status per
    row, for parameter rows P in arm `plan`. One batch when the rows share the plan's events (they do
    unless the priors move a dose lag or an input's baseline); otherwise row by row."""
    from ..scenario import scenario
    from ..subject import Subject

    solver = Solver(rtol=spec.solver.rtol, atol=spec.solver.atol)
    sc = scenario(Subject(), plan, spec.horizon_h, model=model)
    try:
        starts = [sc.start_batch(P, solver)]
    except EngineError:
        starts = [sc.start_batch(P[i:i + 1], solver) for i in range(P.shape[0])]
    Ys, SSs, inputs, status = [], [], [], []
    for batch in starts:
        Y, st, _ = batch.integrate(times, solver)
        Ys.append(Y)
        SSs.append(batch.steady_states)
        inputs.append(batch.inputs_at(times))
        status += list(st)
    return np.concatenate(Ys), np.concatenate(SSs), np.concatenate(inputs), status


# -- the whole cohort ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Task:
    arm: int
    start: int
    stop: int


def tasks(spec: Cohort, chunk_size: int = DEFAULT_CHUNK) -> list[Task]:
    """The chunks, arm by arm, members in order."""
    if chunk_size < 1:
        raise CohortError(f"chunk_size = {chunk_size}; give a whole number of members from 1, e.g. 250")
    return [Task(a, s, min(s + chunk_size, spec.size)) for a in range(len(spec.arms))
            for s in range(0, spec.size, chunk_size)]


def _local(spec: Cohort, population: Population, todo: list[Task], processes: int) -> Iterator[ChunkResult]:
    if processes <= 1:
        for t in todo:
            yield run_chunk(spec, t.arm, t.start, population.take(slice(t.start, t.stop)))
        return
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(processes, mp_context=mp.get_context("spawn")) as pool:
        futures = [pool.submit(run_chunk, spec, t.arm, t.start, population.take(slice(t.start, t.stop)))
                   for t in todo]
        for f in futures:
            yield f.result()


def _dask(spec: Cohort, population: Population, todo: list[Task], scheduler) -> Iterator[ChunkResult]:
    """Chunks on a Dask cluster: `scheduler` is an address (tcp://host:8786) or a distributed.Client."""
    from distributed import Client, as_completed

    client = scheduler if isinstance(scheduler, Client) else Client(scheduler)
    try:
        spec_future = client.scatter(spec, broadcast=True)
        futures = [client.submit(run_chunk, spec_future, t.arm, t.start, population.take(slice(t.start, t.stop)),
                                 pure=False) for t in todo]
        for future in as_completed(futures):
            yield future.result()
    finally:
        if client is not scheduler:
            client.close()


@dataclass(frozen=True, eq=False)
class CohortRun:
    """A finished cohort: the spec, its population and the results table (pyarrow), one row per
    member x arm x endpoint time."""

    spec: Cohort
    population: Population
    table: object  # pyarrow.Table
    seconds: float


def run_cohort(spec: Cohort, out_dir: str | Path | None = None, *, scheduler=None, processes: int = 1,
               chunk_size: int = DEFAULT_CHUNK, progress: Progress | None = None) -> CohortRun:
    """Sample the population, run it through every arm and (with `out_dir`) write results.parquet,
    summary.json and summary.html there."""
    import time

    from .table import results_table

    t0 = time.perf_counter()
    plans = arm_plans(spec)
    population = sample_population(spec, cohort_priors(spec, plans))
    todo = tasks(spec, chunk_size)
    total = spec.size * len(spec.arms)
    chunks = (_dask(spec, population, todo, scheduler) if scheduler is not None
              else _local(spec, population, todo, processes))
    results, done = [], 0
    for chunk in chunks:
        results.append(chunk)
        done += chunk.values.shape[0]
        if progress is not None:
            progress(done, total)
    results.sort(key=lambda c: (c.arm, c.start))
    table = results_table(spec, population, results)
    run = CohortRun(spec, population, table, time.perf_counter() - t0)
    if out_dir is not None:
        from .summary import write_outputs

        write_outputs(run, out_dir)
    return run
