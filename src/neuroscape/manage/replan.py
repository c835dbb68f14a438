"""The re-planning decision: keep, hold or change a running plan, given a fresh plan search on everything
known so far and the guard rails (guards.py). Pure: the store (store/followup.py) supplies the inputs,
records the decision in the ledger and replays it.

    continue  the current regimen attains every band (joint PTA >= required), or its median prediction is
              inside the hysteresis tolerance of every band: no change for a difference the next level
              cannot resolve
    hold      it is off target, but the last change was less than the shortest interval ago
    change    off target: the best ranked plan whose dose steps stay within the guard rails; when none
              attains the bands more often, the one that comes closest (lower expected loss by more than
              the hysteresis): the best safe partial plan
    continue  off target, but no plan within the guard rails does better (said in the reason)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .guards import GuardRails, dose_step_ok, inside_tolerance

KEEP_LABELS = ("continue as now", "no change")


@dataclass(frozen=True)
class Decision:
    action: str           # continue | hold | change
    plan: object          # the ScoredPlan adopted (the current regimen's for continue/hold), or None
    reason: str


def current_daily_doses(search) -> dict[str, float]:
    """Drug -> daily mg of the regimens running at the search's start (what "continue as now" continues)."""
    keep = next((p for p in search.screened if p.candidate.label in KEEP_LABELS), None)
    out: dict[str, float] = {}
    if keep is None:
        return out
    for reg in keep.candidate.regimens:
        if reg.kind == "drug" and reg.end_h > search.now_h:
            out[reg.name] = out.get(reg.name, 0.0) + reg.dose_mg * (24.0 / reg.every_h if reg.every_h else 1.0)
    return out


def decide(search, guards: GuardRails, *, as_of: datetime, last_change: datetime | None) -> Decision:
    """The decision for a plan search run on everything known at `as_of`; `last_change` is when the ledger
    last changed the plan (None: never)."""
    ranked = list(search.plans)
    keep = next((p for p in ranked if p.candidate.label in KEEP_LABELS), None) or next(
        (p for p in search.screened if p.candidate.label in KEEP_LABELS), None)
    if keep is not None:
        joint = keep.pta["joint"].p
        if joint >= search.required_pta:
            return Decision("continue", keep, f"the current regimen attains every band on {joint:.0%} of "
                                              f"{keep.draws} posterior draws (required {search.required_pta:.0%})")
        if inside_tolerance(search.profile, keep.statistic, guards.hysteresis):
            return Decision("continue", keep, f"the current regimen's median prediction is inside "
                                              f"{guards.hysteresis:.0%} of every band's edge (joint PTA "
                                              f"{joint:.0%}): no change for a difference the next level cannot "
                                              "resolve")
    if last_change is not None and keep is not None:
        since_h = (as_of - last_change).total_seconds() / 3600.0
        if since_h < guards.min_change_interval_h:
            return Decision("hold", keep, f"off target, but the plan was changed {since_h / 24:.1f} days ago, "
                                          f"less than the {guards.min_change_interval_h / 24:g}-day minimum between "
                                          "changes: hold and re-check")
    current = current_daily_doses(search)
    allowed = [p for p in ranked if p.candidate.label not in KEEP_LABELS
               and dose_step_ok(current, p.candidate, guards.max_dose_step)]
    too_big = [p.candidate.label for p in ranked if p.candidate.label not in KEEP_LABELS
               and not dose_step_ok(current, p.candidate, guards.max_dose_step)]
    base = keep.pta["joint"].p if keep is not None else -1.0
    base_loss = keep.expected_loss if keep is not None else float("inf")
    note = f"; larger steps not offered: {', '.join(too_big[:3])}" if too_big else ""
    better = [p for p in allowed if p.pta["joint"].p > base]
    if better:
        best = better[0]
        return Decision("change", best, f"off target (current regimen: joint PTA {max(base, 0):.0%}); "
                                        f"{best.candidate.label} attains every band on {best.pta['joint'].p:.0%} "
                                        f"of {best.draws} draws within the dose-step guard rail "
                                        f"(x{1 + guards.max_dose_step:g}){note}")
    # No plan attains more often: the best safe partial plan, when it comes closer to the bands (a lower
    # expected loss by more than the hysteresis), as a clinician would still step towards the target.
    closer = sorted((p for p in allowed if p.pta["joint"].p >= base
                     and p.expected_loss < base_loss * (1 - guards.hysteresis)), key=lambda p: p.expected_loss)
    if closer:
        best = closer[0]
        return Decision("change", best, f"off target, and no plan within the guard rails attains every band more "
                                        f"often (joint PTA {max(base, 0):.0%}); {best.candidate.label} comes closest "
                                        f"(expected loss {best.expected_loss:.3g} vs {base_loss:.3g} now): the best "
                                        f"safe partial plan{note}")
    return Decision("continue", keep, "off target, but no plan within the guard rails does better than the "
                                      "current regimen" + (f" (larger steps excluded: {', '.join(too_big[:3])})"
                                                           if too_big else ""))
