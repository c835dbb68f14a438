"""Closed-loop virtual trial benchmark (issue 11): neuroscape re-planning against label titration.

    python bench/trial_bench.py [--n 20] [--seed 2026] [--workers 2]

Escitalopram, profile tdm-agnp2017 (the AGNP trough band 15-80 ng/mL: the band the measured level is read
against, so both arms aim at the same thing), visits at weeks 4 and 8, horizon 12 weeks; see
neuroscape/manage/trial.py for the virtual patients (true models outside the calibration's prior) and the
endpoints. Writes bench/results/trial.json: per arm, in-band fractions at weeks 4/8/12 with Wilson 95%
intervals, median time to band, safety-rule breaches, every patient's doses, levels and decisions.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from neuroscape.manage.trial import closed_loop_trial  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=20)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--workers", type=int, default=1, help="processes (the figures do not depend on it)")
    args = ap.parse_args()
    out = ROOT / "bench" / "results" / "trial.json"
    out.parent.mkdir(parents=True, exist_ok=True)

    def write(result, complete: bool) -> None:
        data = {**result.to_dict(), "planned_n": args.n, "complete": complete}
        out.write_text(json.dumps(data, indent=1) + "\n")

    # every completed prefix of the patients is written as it arrives: a run stopped early leaves its part
    result = closed_loop_trial(args.n, args.seed, visits_weeks=(4, 8), horizon_weeks=12, workers=args.workers,
                               checkpoint=lambda partial: write(partial, False))
    write(result, True)
    for name, arm in result.arms.items():
        bands = ", ".join(f"week {w}: {p.p:.0%} [{p.low:.0%}, {p.high:.0%}]" for w, p in arm.in_band.items())
        print(f"{name:7s} n={result.n}  {bands}; median time to band "
              f"{arm.median_time_to_band_weeks if arm.median_time_to_band_weeks is not None else 'not reached'} "
              f"weeks ({arm.reached_band}/{result.n} reached); breaches {arm.breaches}")
    print(f"{result.seconds:.0f} s -> {out.relative_to(ROOT)}")
    if any(arm.breaches for arm in result.arms.values()):
        print("safety-rule breaches on the true model: see trial.json", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
