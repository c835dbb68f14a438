"""Assessment benchmarks: calibration time (baseline and PK individualisation) and the recovery study.

    python bench/assess_bench.py [--quick]

(a) baseline calibration of one patient (the bundled CSV patient and a synthetic full baseline
panel), goal < 30 s on 2 cores; (b) PK individualisation from 3 and 6 escitalopram levels, goal
< 5 s, with the anchor: the same number of objective evaluations timed with scipy's BDF
(solve_ivp, given neuroscape's compiled RHS and Jacobian) instead of the numba Rodas4 batch;
(c) recovery: synthetic patients from the priors, 90% credible interval coverage and MAP error.
Results go to bench/results/assessment.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from neuroscape.assess.calibrate import calibrate
from neuroscape.assess.observations import ModelObservation, model_observations
from neuroscape.assess.problem import CALIBRATION_SOLVER, Problem
from neuroscape.assess.records import subject
from neuroscape.assess.recovery import (
    BASELINE_PANEL,
    escitalopram_design,
    recovery_study,
)
from neuroscape.io.patient import read_patient
from neuroscape.plan import Plan, add_dose
from neuroscape.simulate import simulate
from neuroscape.subject import Subject


def best_of(fn, repeats: int = 3) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def pk_observations(n_levels: int):
    plan = add_dose(Plan(), "escitalopram", 0.0, 10.0, every_h=24, count=28)
    last = 24.0 * 27
    times = np.linspace(last + 1.0, last + 23.5, n_levels)
    truth = Subject(sex="female", genotypes={"CYP2C19": "*1/*2"})
    levels = simulate(truth, plan, times).readout("plasma.escitalopram")
    rng = np.random.default_rng(n_levels)
    obs = [ModelObservation(quantity="plasma.escitalopram", region=None,
                            value=float(v * np.exp(rng.normal(0, 0.15))), unit="ng/mL", time_h=float(t),
                            error_kind="proportional", cv=0.18, sd=0.0, label="escitalopram",
                            source="bench") for t, v in zip(times, levels)]
    return truth, plan, obs


def scipy_anchor(prob: Problem, evaluations: int) -> dict:
    """Seconds for `evaluations` simulations of the problem with scipy BDF (same RHS/Jacobian)."""
    from scipy.integrate import solve_ivp

    model = prob.model
    y0 = prob.y_ref  # the baseline steady state the problem already solved
    ev = prob.events
    dose_t = sorted(set(ev.t.tolist()))

    def run():
        y, t = y0.copy(), 0.0
        for stop in dose_t + [float(prob.times[-1])]:
            if stop > t:
                sol = solve_ivp(lambda _t, yy: model.rhs(yy, prob.p0), (t, stop), y, method="BDF",
                                jac=lambda _t, yy: model.jacobian(yy, prob.p0),
                                rtol=CALIBRATION_SOLVER.rtol, atol=1e-9 * np.maximum(np.abs(y0), 1.0))
                y, t = sol.y[:, -1].copy(), stop
            for tt, kind, target, value, scale in zip(*ev.arrays()):
                if tt == stop and kind == 0:
                    y[target] += value / (prob.p0[scale] if scale >= 0 else 1.0)
        return y

    one, _ = best_of(run, 1)
    return {"seconds_per_simulation": one, "evaluations": evaluations,
            "calibration_seconds_estimate": one * evaluations}


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer recovery patients")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "assessment.json"))
    args = ap.parse_args(argv)
    t_start = time.perf_counter()
    results: dict = {}

    # (a) baseline calibration
    record = read_patient(ROOT / "src" / "neuroscape" / "examples" / "patients" / "ben-records.csv")
    obs = model_observations(record)
    calibrate(subject(record), obs)  # warm-up: compile and cache
    t_csv, post = best_of(lambda: calibrate(subject(record), obs))
    base = simulate(Subject())
    panel = [ModelObservation(quantity=q, region=r, value=base.baseline(q, r) * 1.1, unit=base.unit(q, r),
                              time_h=None, error_kind="proportional", cv=cv, sd=0.0, label=q, source="bench")
             for q, r, cv in BASELINE_PANEL]
    t_panel, post_panel = best_of(lambda: calibrate(Subject(), panel))
    t_mcmc, post_mcmc = best_of(lambda: calibrate(Subject(), panel, method="mcmc", samples=2000), 1)
    results["baseline"] = {
        "csv_patient_s": t_csv, "csv_patient_informed": post.diagnostics["informed"],
        "panel_laplace_s": t_panel, "panel_informed": post_panel.diagnostics["informed"],
        "panel_mcmc_s": t_mcmc, "mcmc": post_mcmc.diagnostics, "goal_s": 30.0,
        "meets_goal": bool(max(t_csv, t_panel, t_mcmc) < 30.0)}

    # (b) PK individualisation
    results["pk"] = {}
    for n in (3, 6):
        truth, plan, pk_obs = pk_observations(n)
        calibrate(truth, pk_obs, plan)
        t_pk, post_pk = best_of(lambda: calibrate(truth, pk_obs, plan))
        anchor = scipy_anchor(Problem(truth, pk_obs, plan), post_pk.evaluations)
        i = post_pk.names.index("escitalopram.clearance")
        results["pk"][f"{n}_levels"] = {
            "seconds": t_pk, "evaluations": post_pk.evaluations,
            "clearance_factor": float(np.exp(post_pk.eta_map[i])),
            "clearance_sd_ratio": float(post_pk.sd_ratio[i]), "scipy_bdf_anchor": anchor,
            "speedup_vs_anchor": anchor["calibration_seconds_estimate"] / t_pk,
            "meets_goal": bool(t_pk < 5.0)}

    # (c) recovery
    n_base, n_pk = (20, 6) if args.quick else (50, 20)
    rec = recovery_study(n_base, seed=11)
    rec_pk = recovery_study(n_pk, design=escitalopram_design(), seed=5)
    results["recovery"] = {"baseline_panel": rec.as_dict(), "escitalopram_tdm": rec_pk.as_dict(),
                           "goal_coverage": [0.80, 0.98]}
    results["total_bench_s"] = time.perf_counter() - t_start
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print_table(results)
    print(f"\nwritten: {out}")
    return results


def print_table(r: dict) -> None:
    b = r["baseline"]
    print("\nneuroscape assessment benchmark")
    print(f"(a) baseline calibration: CSV patient {b['csv_patient_s']:.2f} s ({b['csv_patient_informed']} "
          f"informed parameters); full panel Laplace {b['panel_laplace_s']:.2f} s, MCMC "
          f"{b['panel_mcmc_s']:.1f} s; goal < 30 s: {'met' if b['meets_goal'] else 'MISSED'}")
    for k, v in r["pk"].items():
        print(f"(b) PK individualisation, {k.replace('_', ' ')}: {v['seconds']:.2f} s "
              f"({v['evaluations']} evaluations; clearance factor {v['clearance_factor']:.2f}, sd ratio "
              f"{v['clearance_sd_ratio']:.2f}); scipy BDF anchor ~{v['scipy_bdf_anchor']['calibration_seconds_estimate']:.1f} s "
              f"= {v['speedup_vs_anchor']:.0f}x slower; goal < 5 s: {'met' if v['meets_goal'] else 'MISSED'}")
    for name, v in r["recovery"].items():
        if name == "goal_coverage":
            continue
        print(f"(c) recovery {name}: {v['patients']} patients, 90% coverage {v['coverage']:.3f} (informed "
              f"parameters {v['coverage_informed']:.3f}); MAP rmse {v['map_rmse_informed']:.3f} vs prior "
              f"{v['prior_rmse_informed']:.3f} (log scale); calibration median {v['seconds_median']:.2f} s, "
              f"max {v['seconds_max']:.2f} s")
    print(f"total {r['total_bench_s']:.0f} s")


if __name__ == "__main__":
    main()
