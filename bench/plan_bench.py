"""Plan-search benchmark (issue 10): one patient, 12-week horizon, posterior draws x candidate plans.

    python bench/plan_bench.py [--quick]

(a) the goal case: 200 draws, up to 100 candidates across three levers (drugs and doses, a supplement, exercise),
12 weeks, timed end to end (screening on `screen_draws`, the finalists on every draw); (b) how time grows
with draws (four plans) and with candidates (20 draws), through the search's evaluation path
(`_Evaluator.evaluate_many`: plans of one model x draws in one engine call). Reported: wall and CPU
(process) time, plans/s and draws x plans/s (member-simulations per second); on a shared machine the
CPU time per member is the comparable figure. The anchor is the same member-simulations done one at a time through
`simulate` (the single-run path), measured on a sample. Results go to bench/results/plans.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from neuroscape.manage.draws import draws_for  # noqa: E402
from neuroscape.manage.rules import load_rules  # noqa: E402
from neuroscape.manage.search import SEARCH_SOLVER, _Evaluator, optimise, plan_of_regimens  # noqa: E402
from neuroscape.manage.space import Candidate, Levers, Regimen  # noqa: E402
from neuroscape.manage.targets import load_profile  # noqa: E402
from neuroscape.scenario import scenario  # noqa: E402
from neuroscape.subject import Subject  # noqa: E402

WEEKS = 12
HORIZON_H = WEEKS * 7 * 24.0
DRUGS = ("escitalopram", "sertraline", "citalopram", "fluoxetine", "paroxetine")


def _one_plan(dose=10.0) -> Candidate:
    count = int(HORIZON_H // 24) + 1
    return Candidate("escitalopram", (), (Regimen("drug", "escitalopram", dose, 0.0, 24.0, count),))


def _timed(fn):
    t, c = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - t, time.process_time() - c


def _drug_plans(k: int) -> list:
    """k candidate plans on three levers (drug and dose, tryptophan, exercise), as the goal case's space."""
    from neuroscape.manage.space import Levers, plan_factors

    levers = Levers(drugs=DRUGS, supplements=("tryptophan",), exercise_per_week=(3,), max_units=1)
    cands = plan_factors(load_profile("ssri-efficacy"), (), levers, now_h=0.0, horizon_h=HORIZON_H).all()[1:]
    return [(c, plan_of_regimens(c.regimens)) for c in cands[:k]]


def scaling(subject, profile, draw_sizes, plan_sizes) -> dict:
    """Time against draws (four plans of one drug, one call each size) and against candidates (20 draws)."""
    rules = load_rules()
    out = {"draws": [], "candidates": []}
    for n in draw_sizes:
        ev = _Evaluator(subject, None, profile, 0.0, HORIZON_H, 0, 0.9, SEARCH_SOLVER, rules)
        items = _drug_plans(4)
        _, wall, cpu = _timed(lambda: ev.evaluate_many(items, n, "bench"))
        k = len(items) * n
        out["draws"].append({"plans": len(items), "draws": n, "wall_s": wall, "cpu_s": cpu,
                             "draws_x_plans_per_s": k / wall, "cpu_ms_per_member": 1e3 * cpu / k})
        print(f"  {len(items)} plans x {n:4d} draws: {wall:7.2f} s wall, {cpu:7.2f} s CPU "
              f"({k / wall:6.1f} draws x plans/s, {1e3 * cpu / k:5.1f} ms CPU a member)", flush=True)
    for m in plan_sizes:
        ev = _Evaluator(subject, None, profile, 0.0, HORIZON_H, 0, 0.9, SEARCH_SOLVER, rules)
        items = _drug_plans(m)
        _, wall, cpu = _timed(lambda: ev.evaluate_many(items, 20, "bench"))
        k = len(items) * 20
        out["candidates"].append({"plans": len(items), "draws": 20, "wall_s": wall, "cpu_s": cpu,
                                  "plans_per_s": len(items) / wall, "draws_x_plans_per_s": k / wall,
                                  "cpu_ms_per_member": 1e3 * cpu / k})
        print(f"  {len(items):3d} plans x 20 draws: {wall:7.2f} s wall, {cpu:7.2f} s CPU "
              f"({len(items) / wall:5.2f} plans/s, {1e3 * cpu / k:5.1f} ms CPU a member)", flush=True)
    return out


def anchor_one_by_one(subject, n: int) -> dict:
    """The same member-simulations one at a time (scenario.start + integrate per draw)."""
    cand = _one_plan()
    plan = plan_of_regimens(cand.regimens)
    sc = scenario(subject, plan, HORIZON_H)
    P = draws_for(sc.model, subject, None, n, 0)
    from neuroscape.manage.peaks import peak_grid
    from neuroscape.manage.search import GRID_STEP_H

    times = peak_grid(plan, HORIZON_H, GRID_STEP_H)
    t = time.perf_counter()
    for row in P:
        sc.start(SEARCH_SOLVER, p=row).integrate(times, SEARCH_SOLVER)
    dt = time.perf_counter() - t
    return {"draws": n, "seconds": dt, "draws_per_s": n / dt}


def plans_in_one_batch(subject, doses, n_draws: int) -> dict:
    """Plans x draws in one engine call (StartBatch.integrate_plans: each (plan, draw) its own events)
    against the search's present path, one scenario, start batch and batch integration per plan. The
    plans are one drug's dose levels at the same times (the same model and output grid)."""
    from neuroscape.manage.peaks import peak_grid
    from neuroscape.manage.search import GRID_STEP_H

    plans = [plan_of_regimens(_one_plan(d).regimens) for d in doses]
    sc = scenario(subject, plans[0], HORIZON_H)
    P = draws_for(sc.model, subject, None, n_draws, 0)
    times = peak_grid(plans[0], HORIZON_H, GRID_STEP_H)
    sc.start_batch(P[:2], SEARCH_SOLVER).integrate_plans(plans[:2], times[:3], SEARCH_SOLVER)  # compile
    t = time.perf_counter()
    batch = sc.start_batch(P, SEARCH_SOLVER)
    _, status, _ = batch.integrate_plans(plans, times, SEARCH_SOLVER)
    one = time.perf_counter() - t
    t = time.perf_counter()
    for plan in plans:
        scenario(subject, plan, HORIZON_H).start_batch(P, SEARCH_SOLVER).integrate(times, SEARCH_SOLVER)
    each = time.perf_counter() - t
    k = len(plans) * n_draws
    return {"plans": len(plans), "draws": n_draws, "outputs": int(times.size),
            "failed": int(sum(s != "ok" for row in status for s in row)),
            "one_call_s": one, "draws_x_plans_per_s": k / one,
            "one_batch_per_plan_s": each, "draws_x_plans_per_s_one_batch_per_plan": k / each}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="smaller sizes (a smoke run)")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "plans.json"))
    ap.add_argument("--batch-only", action="store_true", help="only the plans x draws batch case")
    args = ap.parse_args()
    subject = Subject(sex="female", age_years=34, weight_kg=64)
    profile = load_profile("ssri-efficacy")
    results: dict = {"horizon_weeks": WEEKS, "solver": {"rtol": SEARCH_SOLVER.rtol, "atol": SEARCH_SOLVER.atol}}
    doses, n_draws = ((5.0, 10.0, 15.0, 20.0), 10) if args.quick else ((5.0, 10.0, 15.0, 20.0, 25.0, 30.0), 40)
    pb = results["plans_in_one_batch"] = plans_in_one_batch(subject, doses, n_draws)
    print(f"plans x draws in one batch: {pb['plans']} x {pb['draws']}: {pb['one_call_s']:.2f} s = "
          f"{pb['draws_x_plans_per_s']:.1f}/s (one batch per plan: {pb['one_batch_per_plan_s']:.2f} s = "
          f"{pb['draws_x_plans_per_s_one_batch_per_plan']:.1f}/s)", flush=True)
    if args.batch_only:
        out = Path(args.out).with_name("plans_batch.json")
        out.write_text(json.dumps(results, indent=1))
        print(f"written: {out}")
        return
    print("time against draws and candidates (12 weeks, the search's evaluation path):", flush=True)
    results["scaling"] = scaling(subject, profile, (5, 10) if args.quick else (25, 50, 100, 200),
                                 (2, 4) if args.quick else (4, 17, 34, 67))
    results["anchor_one_by_one"] = anchor_one_by_one(subject, 5 if args.quick else 20)
    print(f"  anchor, one draw at a time: {results['anchor_one_by_one']['draws_per_s']:.1f} draw-simulations/s")
    draws, screen, finalists = (20, 5, 3) if args.quick else (200, 20, 6)
    # three levers: five SSRIs at single-tablet doses, a tryptophan supplement, endurance exercise 3x/week
    levers = Levers(drugs=DRUGS, supplements=("tryptophan",), exercise_per_week=(3,), max_units=1, max_candidates=100)
    res, dt, cpu = _timed(lambda: optimise(subject, profile, levers=levers, horizon_h=HORIZON_H, draws=draws,
                                           screen_draws=screen, finalists=finalists))
    screened = len(res.screened)
    finals = len(res.plans) + sum(1 for e in res.excluded if e.candidate.label in {p.candidate.label
                                                                                   for p in res.screened})
    member_sims = screened * min(screen, draws) + finals * draws
    results["goal_case"] = {
        "candidates": res.candidates, "excluded_static_or_ceiling": len(res.excluded), "screened": screened,
        "finalists": len(res.plans), "draws": draws, "screen_draws": screen, "seconds": dt, "cpu_seconds": cpu,
        "load_average_1min": os.getloadavg()[0], "cpus": os.cpu_count(),
        "plans_per_s": res.candidates / dt, "member_simulations": member_sims,
        "draws_x_plans_per_s": member_sims / dt, "goal_s": 60.0, "met": dt < 60.0,
        "best": res.plans[0].candidate.label if res.plans else None,
        "best_joint_pta": res.plans[0].pta["joint"].p if res.plans else None}
    print(f"goal case: {res.candidates} candidates, {screened} screened on {screen} draws, {len(res.plans)} "
          f"finalists on {draws} draws: {dt:.1f} s wall, {cpu:.1f} s CPU (goal < 60 s on 2 cores; load average "
          f"{os.getloadavg()[0]:.1f}); {member_sims / dt:.1f} draws x plans/s, {res.candidates / dt:.2f} plans/s")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=1))
    print(f"written: {args.out}")


if __name__ == "__main__":
    main()
