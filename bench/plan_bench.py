"""Plan-search benchmark (issue 10): one patient, 12-week horizon, posterior draws x candidate plans.

    python bench/plan_bench.py [--quick]

(a) the goal case: 200 draws, up to 100 candidates across three levers (drugs and doses, a supplement, exercise),
12 weeks, timed end to end (screening on `screen_draws`, the finalists on every draw); (b) how time grows
with draws (one plan, 12 weeks) and with candidates (fixed draws). Reported: plans/s and draws x plans/s
(member-simulations per second). The anchor is the same member-simulations done one at a time through
`simulate` (the single-run path), measured on a sample. Results go to bench/results/plans.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from neuroscape.manage.draws import draws_for  # noqa: E402
from neuroscape.manage.search import SEARCH_SOLVER, _Evaluator, optimise, plan_of_regimens  # noqa: E402
from neuroscape.manage.space import Candidate, Levers, Regimen  # noqa: E402
from neuroscape.manage.targets import load_profile  # noqa: E402
from neuroscape.scenario import scenario  # noqa: E402
from neuroscape.subject import Subject  # noqa: E402

WEEKS = 12
HORIZON_H = WEEKS * 7 * 24.0


def _one_plan(dose=10.0) -> Candidate:
    count = int(HORIZON_H // 24) + 1
    return Candidate("escitalopram", (), (Regimen("drug", "escitalopram", dose, 0.0, 24.0, count),))


def scaling_draws(subject, profile, sizes) -> list[dict]:
    ev = _Evaluator(subject, None, profile, 0.0, HORIZON_H, 0, 0.9, SEARCH_SOLVER, ())
    cand = _one_plan()
    plan = plan_of_regimens(cand.regimens)
    out = []
    for n in sizes:
        t = time.perf_counter()
        res = ev.evaluate(cand, plan, n, "bench")
        dt = time.perf_counter() - t
        out.append({"draws": n, "seconds": dt, "draws_per_s": n / dt, "joint_pta": res.pta["joint"].p})
        print(f"  draws {n:4d}: {dt:7.2f} s  ({n / dt:6.1f} draw-simulations/s)", flush=True)
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
    sizes = (5, 10, 20) if args.quick else (25, 50, 100, 200)
    print("time against posterior draws (one plan, 12 weeks):", flush=True)
    results["draws_scaling"] = scaling_draws(subject, profile, sizes)
    results["anchor_one_by_one"] = anchor_one_by_one(subject, 5 if args.quick else 20)
    print(f"  anchor, one draw at a time: {results['anchor_one_by_one']['draws_per_s']:.1f} draw-simulations/s")
    draws, screen, finalists = (20, 5, 3) if args.quick else (200, 20, 6)
    # three levers: five SSRIs at single-tablet doses, a tryptophan supplement, endurance exercise 3x/week
    levers = Levers(drugs=("escitalopram", "sertraline", "citalopram", "fluoxetine", "paroxetine"),
                    supplements=("tryptophan",), exercise_per_week=(3,), max_units=1, max_candidates=100)
    done = []

    def progress(k, n, label):
        done.append((time.perf_counter(), k, n, label))

    t = time.perf_counter()
    res = optimise(subject, profile, levers=levers, horizon_h=HORIZON_H, draws=draws, screen_draws=screen,
                   finalists=finalists, progress=progress)
    dt = time.perf_counter() - t
    screened = len(res.screened)
    member_sims = screened * min(screen, draws) + len(res.plans) * draws
    results["goal_case"] = {
        "candidates": res.candidates, "excluded_static_or_ceiling": len(res.excluded), "screened": screened,
        "finalists": len(res.plans), "draws": draws, "screen_draws": screen, "seconds": dt,
        "plans_per_s": res.candidates / dt, "member_simulations": member_sims,
        "draws_x_plans_per_s": member_sims / dt, "goal_s": 60.0, "met": dt < 60.0,
        "best": res.plans[0].candidate.label if res.plans else None,
        "best_joint_pta": res.plans[0].pta["joint"].p if res.plans else None}
    print(f"goal case: {res.candidates} candidates, {screened} screened on {screen} draws, {len(res.plans)} "
          f"finalists on {draws} draws: {dt:.1f} s (goal < 60 s); {member_sims / dt:.1f} member-simulations/s")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=1))
    print(f"written: {args.out}")


if __name__ == "__main__":
    main()
