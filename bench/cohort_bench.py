"""Cohort benchmark: members per second of a virtual trial, neuroscape's batch engine vs libRoadRunner.

Trial: the example cohort (src/neuroscape/examples/citalopram_trial.yaml) over 60 days, 2 arms (no drug;
citalopram 20 mg daily, 60 doses), endpoints at 24 h and 1440 h. Every member has its own covariates,
phenotypes and prior draws (the cohort's population).

    python bench/cohort_bench.py [--members 1000] [--sizes 250,500,1000] [--rr-members 100]
                                 [--dask-members 200] [--quick]

Measures, in one run:
  (a) neuroscape `run_cohort` (batch engine, chunks of 250, numba threads on both cores) at each size, each
      in a fresh process: seconds, members/s (a member = both arms), peak resident memory (getrusage), and
      the linear fit time = a + b x size, extrapolated to 10,000 and 100,000 members where not measured;
  (b) libRoadRunner (CVODE, rtol 1e-6) in a 2-process pool on the same model exported to SBML, the same
      members (parameter rows), the same start states and the same events (the arm's dose events replayed
      between integration segments), on the first --rr-members members, alternating (best of 2 passes)
      with neuroscape's run_cohort on the same members in this process: members/s of both, their ratio,
      and their agreement at the endpoints. Start states (steady states) are neuroscape's and not timed
      for libRoadRunner, which favours it;
  (c) neuroscape on a Dask LocalCluster with 1 and 2 worker processes (one numba thread each).
Results go to bench/results/cohort.json and are printed.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

EXAMPLE = ROOT / "src" / "neuroscape" / "examples" / "citalopram_trial.yaml"
DAYS = 60
RR_RTOL, RR_ATOL = 1e-6, 1e-12
ENDPOINT = ("brain.serotonin.extracellular", "cortex")
PASSES = 2


RTOL = float(os.environ.get("COHORT_BENCH_RTOL", "1e-6"))  # neuroscape's; --rtol sets it (children read it)


def bench_spec(size: int):
    """The example cohort stretched to 60 days (60 daily doses, endpoints at 24 h and 1440 h)."""
    from neuroscape.cohort.spec import load_cohort

    spec = load_cohort(EXAMPLE)
    drug = spec.arms[1].interventions[0].model_copy(update={"count": DAYS})
    arms = (spec.arms[0], spec.arms[1].model_copy(update={"interventions": (drug,)}))
    end = 24.0 * DAYS
    endpoints = tuple(e.model_copy(update={"at_h": (24.0, end) if e.is_list else end}) for e in spec.endpoints)
    responder = spec.responder.model_copy(update={"at_h": end})
    solver = spec.solver.model_copy(update={"rtol": RTOL, "atol": RTOL * 1e-2})
    return spec.model_copy(update={"size": size, "arms": arms, "endpoints": endpoints, "responder": responder,
                                   "solver": solver})


def max_rss_mb(who=resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024.0  # KiB on Linux


# -- (a) one size in a fresh process -------------------------------------------------------------------
def child(size: int) -> dict:
    from neuroscape.cohort.run import run_cohort

    run_cohort(bench_spec(2), chunk_size=2)  # compile (or load) the models, JIT warm-up
    warm_rss = max_rss_mb()
    t = time.perf_counter()
    run = run_cohort(bench_spec(size))
    secs = time.perf_counter() - t
    status = run.table.column("status").to_numpy(zero_copy_only=False)
    return {"members": size, "seconds": secs, "members_per_s": size / secs,
            "member_arm_runs_per_s": 2 * size / secs, "peak_rss_mb": max_rss_mb(),
            "rss_after_warmup_mb": warm_rss, "failed_rows": int((status != "ok").sum())}


def run_child(size: int) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", str(size)], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT / "src")}, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"child {size} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


# -- (b) libRoadRunner ----------------------------------------------------------------------------------
_RR: dict = {}


def _rr_init(sbmls: list, species: list, params: list) -> None:
    import roadrunner

    _RR["arms"] = []
    for sbml, sp_names, p_names in zip(sbmls, species, params):
        rr = roadrunner.RoadRunner(sbml)
        rr.integrator.relative_tolerance = RR_RTOL
        rr.integrator.absolute_tolerance = RR_ATOL
        rr.integrator.maximum_num_steps = 500_000
        sp = np.array([sp_names.index(s) for s in rr.model.getFloatingSpeciesIds()])
        pp = np.array([p_names.index(q) for q in rr.model.getGlobalParameterIds()])
        _RR["arms"].append((rr, sp, pp, sp_names, p_names))


def _rr_ready(_):
    time.sleep(0.2)
    return os.getpid()


def _rr_run(task):
    """States (k, T, n) at `times` for parameter rows P from start states Y0, replaying `events`."""
    arm, P, Y0, times, events = task
    rr, sp, pp, sp_names, p_names = _RR["arms"][arm]
    t_ev, kind, target, value, scale = events
    stops = sorted(set(times) | set(t_ev.tolist()))
    out = np.full((P.shape[0], len(times), Y0.shape[1]), np.nan)
    for k, (p, y0) in enumerate(zip(P, Y0)):
        rr.reset()
        rr.model.setGlobalParameterValues(np.ascontiguousarray(p[pp]))
        y = np.ascontiguousarray(y0[sp])
        rr.model.setFloatingSpeciesInitConcentrations(y)
        rr.model.setFloatingSpeciesConcentrations(y)
        now = 0.0
        for stop in stops:
            if stop > now:
                rr.simulate(now, stop, 2)
                now = stop
            for e in np.flatnonzero(t_ev == stop):  # events at a time act before its output
                if kind[e] == 0:
                    name = f"[{sp_names[target[e]]}]"
                    add = value[e] / p[scale[e]] if scale[e] >= 0 else value[e]
                    rr.setValue(name, rr.getValue(name) + add)
                else:
                    rr.setValue(p_names[target[e]], value[e])
            if stop in times:
                state = np.empty(Y0.shape[1])
                state[sp] = rr.model.getFloatingSpeciesConcentrations()
                out[k, times.index(stop)] = state
    return out, max_rss_mb()


def roadrunner_bench(spec, n: int) -> dict:
    from neuroscape.cohort.arms import arm_plans
    from neuroscape.cohort.run import cohort_priors, integrate_rows, parameter_rows, run_cohort
    from neuroscape.cohort.sample import sample_population
    from neuroscape.engine.compiled import Solver
    from neuroscape.io.sbml import to_sbml
    from neuroscape.scenario import model_for, scenario
    from neuroscape.subject import Subject

    sub = spec.model_copy(update={"size": n})
    plans = arm_plans(sub)
    pop = sample_population(sub, cohort_priors(sub, plans))
    times = [24.0, 24.0 * DAYS]
    sbmls, species, params, tasks, ns_ref, inputs = [], [], [], [], [], []
    t_export = time.perf_counter()
    for a, plan in enumerate(plans):
        model = model_for(plan)
        net = model.network
        sbmls.append(to_sbml(net, parameters=model.p_default, initial=model.y_initial))
        species.append(list(net.species_names))
        params.append(list(net.parameter_names))
        P, _ = parameter_rows(pop, model)
        sc = scenario(Subject(), plan, sub.horizon_h, model=model)
        batch = sc.start_batch(P, Solver(rtol=sub.solver.rtol, atol=sub.solver.atol))
        Y, SS, inp, _ = integrate_rows(sub, plan, model, P, np.array(times))  # neuroscape's values, for agreement
        ns_ref.append((Y, SS, P, model))
        inputs.append(inp)
        ev = sc.events
        for rows in np.array_split(np.arange(n), 8):
            tasks.append((a, P[rows], batch.Y0[rows], times, (ev.t, ev.kind, ev.target, ev.value, ev.scale)))
    export_s = time.perf_counter() - t_export
    ctx = mp.get_context("spawn")
    with ctx.Pool(2, initializer=_rr_init, initargs=(sbmls, species, params)) as pool:
        pids: set = set()
        while len(pids) < 2:
            pids.update(pool.map(_rr_ready, range(2), chunksize=1))
        pool.map(_rr_run, [(a, t[1][:1], t[2][:1], times[:1], t[4]) for a, t in ((0, tasks[0]), (1, tasks[-1]))])
        # alternate the two engines on the same members so that load from other processes hits both
        secs = ns_secs = np.inf
        for _ in range(PASSES):
            t0 = time.perf_counter()
            run_cohort(sub)
            ns_secs = min(ns_secs, time.perf_counter() - t0)
            t0 = time.perf_counter()
            done = pool.map(_rr_run, tasks, chunksize=1)
            secs = min(secs, time.perf_counter() - t0)
    parts = [d[0] for d in done]
    worker_rss = max(d[1] for d in done)
    # agreement at the endpoint: relative_to baseline readout of e5ht in cortex, both arms, both times
    diffs = {}
    per_arm = len(tasks) // len(plans)
    for a, (Y, SS, P, model) in enumerate(ns_ref):
        R = np.concatenate(parts[a * per_arm:(a + 1) * per_arm])
        fn = model.readout_function(model.network.readout(*ENDPOINT).key)
        base = fn(SS, P)[:, None]
        ns_v = fn(Y, inputs[a]) / base
        rr_v = fn(R, inputs[a]) / base
        diffs[sub.arms[a].name] = np.abs(rr_v - ns_v) / np.abs(ns_v)
    return {"members": n, "processes": 2, "rtol": RR_RTOL, "atol": RR_ATOL, "seconds": secs,
            "members_per_s": n / secs, "member_arm_runs_per_s": 2 * n / secs, "sbml_export_and_setup_s": export_s,
            "peak_rss_per_worker_mb": worker_rss,
            "endpoint_agreement_vs_neuroscape": {
                "readout": "brain.serotonin.extracellular cortex / baseline at 24 h and 1440 h",
                **{arm: {"median_rel_diff": float(np.nanmedian(d)), "max_rel_diff": float(np.nanmax(d))}
                   for arm, d in diffs.items()}},
            "neuroscape_same_members": {"seconds": ns_secs, "members_per_s": n / ns_secs,
                                        "note": "run_cohort in the parent (2 numba threads), warm; includes "
                                                "sampling and steady states"},
            "ratio_members_per_s_same_members": secs / ns_secs,
            "note": f"best of {PASSES} passes alternating with neuroscape on the same members; start states "
                    "(steady states) computed by neuroscape and not timed for libRoadRunner; pool warm"}


# -- (c) Dask -----------------------------------------------------------------------------------------
def dask_bench(spec, n: int, workers: tuple[int, ...] = (1, 2)) -> list[dict]:
    import distributed

    from neuroscape.cohort.run import run_cohort

    os.environ["NUMBA_NUM_THREADS"] = "1"  # worker processes inherit it: one thread per worker
    os.environ["PYTHONPATH"] = str(ROOT / "src")
    out = []
    sub = spec.model_copy(update={"size": n})
    for w in workers:
        with distributed.LocalCluster(n_workers=w, threads_per_worker=1, processes=True, dashboard_address=None,
                                      silence_logs=50) as cluster, distributed.Client(cluster) as client:
            run_cohort(bench_spec(2 * w), scheduler=client, chunk_size=1)  # every worker compiles/loads
            t = time.perf_counter()
            run_cohort(sub, scheduler=client, chunk_size=max(1, n // (4 * w)))
            secs = time.perf_counter() - t
            out.append({"workers": w, "members": n, "seconds": secs, "members_per_s": n / secs})
    return out


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--members", type=int, default=1000)
    ap.add_argument("--sizes", default=None, help="comma-separated sizes for the scaling fit (default: "
                                                  "members/4, members/2, members)")
    ap.add_argument("--rr-members", type=int, default=100)
    ap.add_argument("--dask-members", type=int, default=200)
    ap.add_argument("--quick", action="store_true", help="members 100, rr 40, dask 40")
    ap.add_argument("--rtol", type=float, default=None,
                    help="neuroscape's rtol (default 1e-6, libRoadRunner's nominal setting; bench/run_bench.py "
                         "finds the rtol that matches libRoadRunner's accuracy)")
    ap.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "cohort.json"))
    args = ap.parse_args(argv)
    if args.child is not None:
        print(json.dumps(child(args.child)))
        return {}
    if args.rtol is not None:
        global RTOL
        RTOL = args.rtol
        os.environ["COHORT_BENCH_RTOL"] = repr(args.rtol)  # the size children and Dask workers
    if args.quick:
        args.members, args.rr_members, args.dask_members = 100, 40, 40
    sizes = ([int(s) for s in args.sizes.split(",")] if args.sizes
             else sorted({max(2, args.members // 4), max(2, args.members // 2), args.members}))
    t_start = time.perf_counter()
    spec = bench_spec(args.members)
    results: dict = {"trial": {"cohort": str(EXAMPLE.relative_to(ROOT)), "days": DAYS, "arms": 2,
                               "endpoints_h": [24.0, 24.0 * DAYS], "rtol": spec.solver.rtol},
                     "cpus_available": len(os.sched_getaffinity(0)), "quick": args.quick}
    scaling = [run_child(s) for s in sizes]
    x = np.array([r["members"] for r in scaling], float)
    y = np.array([r["seconds"] for r in scaling])
    b, a = np.polyfit(x, y, 1) if len(x) > 1 else (y[0] / x[0], 0.0)
    fit = {"intercept_s": float(a), "seconds_per_member": float(b),
           "extrapolated_s": {str(n): float(a + b * n) for n in (1_000, 10_000, 100_000)
                              if n not in x}, "measured_sizes": x.astype(int).tolist(),
           "r2": float(1 - np.sum((y - (a + b * x)) ** 2) / max(np.sum((y - y.mean()) ** 2), 1e-300))}
    results["neuroscape"] = {"scaling": scaling, "linear_fit": fit,
                             "members_per_s_at_largest": scaling[-1]["members_per_s"]}
    results["roadrunner"] = roadrunner_bench(spec, args.rr_members)
    results["ratio_members_per_s"] = results["roadrunner"]["ratio_members_per_s_same_members"]
    results["dask"] = dask_bench(spec, args.dask_members)
    results["total_bench_s"] = time.perf_counter() - t_start
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print_table(results)
    print(f"\nwritten: {out}")
    return results


def print_table(r: dict) -> None:
    print(f"\ncohort benchmark: {r['trial']['days']} days x {r['trial']['arms']} arms, "
          f"{r['cpus_available']} cpus")
    print(f"  {'engine':<34}{'members':>9}{'seconds':>10}{'members/s':>11}{'peak MB':>9}")
    for s in r["neuroscape"]["scaling"]:
        print(f"  {'neuroscape batch (2 threads)':<34}{s['members']:>9}{s['seconds']:>10.1f}"
              f"{s['members_per_s']:>11.2f}{s['peak_rss_mb']:>9.0f}")
    rr = r["roadrunner"]
    same = rr["neuroscape_same_members"]
    print(f"  {'neuroscape, same members as rr':<34}{rr['members']:>9}{same['seconds']:>10.1f}"
          f"{same['members_per_s']:>11.2f}")
    print(f"  {'libRoadRunner Pool(2)':<34}{rr['members']:>9}{rr['seconds']:>10.1f}{rr['members_per_s']:>11.2f}"
          f"{rr['peak_rss_per_worker_mb']:>9.0f}")
    for d in r["dask"]:
        print(f"  {'neuroscape on Dask, ' + str(d['workers']) + ' worker(s)':<34}{d['members']:>9}"
              f"{d['seconds']:>10.1f}{d['members_per_s']:>11.2f}")
    f = r["neuroscape"]["linear_fit"]
    print(f"  linear fit: {f['intercept_s']:.1f} s + {f['seconds_per_member'] * 1e3:.1f} ms x members "
          f"(r2 {f['r2']:.3f}); extrapolated: " + ", ".join(f"{k}: {v:.0f} s" for k, v in f["extrapolated_s"].items()))
    agree = rr["endpoint_agreement_vs_neuroscape"]
    print(f"  members/s ratio neuroscape / libRoadRunner (same members, alternating): "
          f"{r['ratio_members_per_s']:.2f}; endpoint agreement "
          + ", ".join(f"{k}: median {v['median_rel_diff']:.1e}, max {v['max_rel_diff']:.1e}"
                      for k, v in agree.items() if k != "readout"))
    print(f"total bench time {r['total_bench_s']:.0f} s")


if __name__ == "__main__":
    main()
