"""Plan search under uncertainty and hard safety rules: `optimise(person, targets, ...)`.

    result = optimise(assessment, load_profile("ssri-efficacy"), levers=Levers(), horizon_h=12 * 7 * 24)
    result.plans[0].pta["joint"], result.plans[0].cvar, result.excluded, result.reached

1. The plan space (`space.plan_factors`): "continue as now" and every admissible change. When it has at
   most `levers.max_candidates` plans they are all evaluated; above that (and `levers.search="auto"`),
   Optuna's TPE sampler (seeded, with the hard rules as its constraint, warm-started from "continue as
   now") chooses which `max_candidates` plans to evaluate, and the result's notes say so.
2. Hard rules first: each candidate's whole plan (the current medication up to where the plan stops it,
   then the new regimens) goes through `safety.check_static` (combinations, wash-outs, duplication,
   label and genotype ceilings). A candidate that breaks one is excluded with the rule's message.
3. Screening: the remaining candidates are simulated on `screen_draws` posterior draws (common random
   numbers: the same draws for every candidate, `draws.draws_for`) and scored against the profile
   (`targets.attainment`). The trajectory ceilings of the safety rules (D2 occupancy, serotonin-toxicity
   index) are read on every draw on a grid that holds a ladder of times after each dose
   (`peaks.peak_grid`); a draw within `REFINE_MARGIN` of a ceiling has its peaks resolved to
   `peaks.PEAK_TOL_H` by re-simulating that draw (`peaks.DenseReadout`). A candidate with any draw above
   a ceiling is excluded: no returned plan breaks a rule on any evaluated draw. The plans of one model go to
   the engine as one call, plans x draws, on shared start states, recording only what the bands and
   ceilings read (`_Evaluator.evaluate_many`; speed: docs/management.md).
4. The best `finalists` by the screening rank (and "continue as now") are evaluated again on all `draws`.
5. Ranking (documented objective): joint probability of target attainment (higher first), then the CVaR
   of the loss at `cvar_level` (lower first), then the expected loss, then burden (pills per day, then
   changes); `objective="cvar"` puts the CVaR first (risk-averse). The Pareto front over (joint PTA,
   CVaR, pills per day) is marked, so the efficacy-risk trade-off is shown rather than one number.
   `reached` is False when no safe plan attains the profile jointly with probability `required_pta`;
   the best safe partial plan is still ranked first.

Deterministic: the same inputs and seed give the same plans, byte for byte (`PlanSearch.to_dict`).
Every plan is a simulated scenario for a qualified clinician, never medical advice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ..engine.compiled import Solver
from ..errors import EngineError, ModelError, NotModelledError, ProtocolError
from ..plan import Plan, add_dose, add_hormone_dose, add_nutrition, hold_inputs
from ..subject import Subject
from .draws import draws_for
from .risk import Proportion, cvar, pta
from .space import Candidate, Levers, PlanFactors, Regimen, plan_factors
from .targets import TargetProfile, attainment, resolve_reference, scoring_window
from .trajectories import compact_bands, compact_ceilings, spread

DEFAULT_HORIZON_H = 12 * 7 * 24.0
REFINE_MARGIN = 0.02  # relative: draws whose grid maximum is this close below a ceiling get their peaks resolved
GRID_STEP_H = 2.0
# Dense output: steps end at events only and the peak ladder is read from the Rodas4 continuous extension
# (the ladder would otherwise end about 1,200 extra steps in 12 weeks; readouts move by < 1e-6, docs/management.md)
SEARCH_SOLVER = Solver(rtol=1e-5, atol=1e-8, dense_output=True)
MAX_MEMBERS = 1200  # plans x draws in one engine call (its recorded states are held in memory at once)
DISCLAIMER = ("Every plan is a simulated scenario for a qualified clinician, never medical advice. neuroscape is "
              "research and decision-support software; the safety rules it applies are the ones in "
              "neuroscape/manage/data/safety_rules.yaml, and a plan that passes them is not thereby safe for a person.")


@dataclass(frozen=True)
class Burden:
    interventions: int
    pills_per_day: float
    changes: int

    def to_dict(self) -> dict:
        return {"interventions": self.interventions, "pills_per_day": self.pills_per_day, "changes": self.changes}


@dataclass(frozen=True)
class ScoredPlan:
    candidate: Candidate
    draws: int
    failed_draws: int
    pta: dict[str, Proportion]          # band id -> PTA; "joint" -> all bands together
    statistic: dict[str, float]         # band id -> median over draws of the band's statistic
    expected_loss: float
    cvar: float
    cvar_level: float
    ceiling_margin: dict[str, float]    # safety rule id -> highest value over draws / ceiling
    burden: Burden
    # band id -> the band's readout over the plan's output grid (trajectories.spread: median, 5th-95th percentile)
    trajectories: dict[str, dict]
    stage: str = "final"
    rank: int = 0
    pareto: bool = False
    ceiling_trajectories: dict[str, dict] = field(default_factory=dict)  # safety rule id -> its quantity, as above

    def to_dict(self) -> dict:
        return {"rank": self.rank, "label": self.candidate.label, "pareto": self.pareto,
                "interventions": self.candidate.interventions(),
                "pta": {k: v.to_dict() for k, v in self.pta.items()},
                "statistic": {k: _r(v) for k, v in self.statistic.items()},
                "expected_loss": _r(self.expected_loss), "cvar": _r(self.cvar), "cvar_level": self.cvar_level,
                "ceiling_margin": {k: _r(v) for k, v in self.ceiling_margin.items()},
                "burden": self.burden.to_dict(), "draws": self.draws, "failed_draws": self.failed_draws,
                "stage": self.stage,
                "trajectories": {"bands": compact_bands(self.trajectories),
                                 "ceilings": compact_ceilings(self.ceiling_trajectories)}}


@dataclass(frozen=True)
class Excluded:
    candidate: Candidate
    reasons: tuple[str, ...]
    rule_ids: tuple[str, ...]

    def to_dict(self) -> dict:
        return {"label": self.candidate.label, "rules": list(self.rule_ids), "reasons": list(self.reasons),
                "interventions": self.candidate.interventions()}


@dataclass(frozen=True)
class PlanSearch:
    profile: TargetProfile
    subject: Subject
    now_h: float
    horizon_h: float
    seed: int
    plans: tuple[ScoredPlan, ...]
    excluded: tuple[Excluded, ...]
    screened: tuple[ScoredPlan, ...]
    reached: bool
    required_pta: float
    message: str
    candidates: int
    seconds: float = 0.0
    notes: tuple[str, ...] = field(default=())
    # the calibrated person's parameter values (the posterior's MAP, table units) where they differ from the
    # typical person's: what an exported plan protocol carries under `parameters:`
    parameters: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        s = self.subject
        return {"profile": self.profile.name, "now_h": self.now_h, "horizon_h": self.horizon_h, "seed": self.seed,
                "subject": {"sex": s.sex, "age_years": s.age_years, "weight_kg": s.weight_kg,
                            "genotypes": dict(s.genotypes)},
                "reached": self.reached, "required_pta": self.required_pta, "message": self.message,
                "candidates": self.candidates, "plans": [p.to_dict() for p in self.plans],
                "excluded": [e.to_dict() for e in self.excluded], "notes": list(self.notes),
                "calibrated_parameters": dict(self.parameters), "disclaimer": DISCLAIMER}

    def protocol(self, plan: ScoredPlan, readouts: list[dict] | None = None) -> dict:
        """The plan as a PROTOCOL.md protocol (version 1) that `neuroscape protocol run` and `check` accept."""
        return plan_protocol(plan.candidate, self.subject, self.profile, self.now_h + self.horizon_h, readouts,
                             self.parameters)


def _r(x: float) -> float | None:
    return None if not np.isfinite(x) else float(round(x, 10))


# --- plans from regimens -------------------------------------------------------------------------

def plan_of_regimens(regimens: tuple[Regimen, ...]) -> Plan:
    """The Plan the regimens describe, built as `protocol run` builds a protocol's interventions."""
    plan = Plan()
    for r in regimens:
        if r.kind == "drug":
            plan = add_dose(plan, r.name, r.start_h, r.dose_mg, every_h=r.every_h, count=r.count,
                            formulation=r.formulation)
        elif r.kind == "hormone":
            plan = add_hormone_dose(plan, r.name, r.start_h, r.dose_mg, every_h=r.every_h, count=r.count)
        elif r.kind == "exercise":
            from ..interventions.exercise import exercise_inputs

            for k in range(r.count):
                plan = hold_inputs(plan, exercise_inputs(r.name, r.start_h + k * (r.every_h or 0.0), r.duration_h,
                                                         r.intensity))
        else:
            for k in range(r.count):
                plan = add_nutrition(plan, r.name, r.start_h + k * (r.every_h or 0.0), dose_mg=r.dose_mg)
    return plan


def subject_spec(subject: Subject) -> dict:
    out: dict = {"sex": subject.sex, "age_years": subject.age_years, "weight_kg": subject.weight_kg}
    for key in ("genotypes", "modifications"):
        if getattr(subject, key):
            out[key] = dict(getattr(subject, key))
    for key in ("cycle_day", "reproductive_stage", "postpartum_day"):
        if getattr(subject, key) is not None:
            out[key] = getattr(subject, key)
    if subject.parameters:
        raise NotModelledError("a subject with fitted parameter values cannot be written as a protocol file "
                               "(PROTOCOL.md has no parameters key yet)")
    return out


def plan_protocol(candidate: Candidate, subject: Subject, profile: TargetProfile, end_h: float,
                  readouts: list[dict] | None = None, parameters: dict | None = None) -> dict:
    """The plan as a PROTOCOL.md protocol. `parameters` (the calibrated values) go under `parameters:`, those
    of the plan's model only (a drug the plan never doses has no parameters to set)."""
    if readouts is None:
        readouts = []
        for band in profile.bands:
            for k, q in enumerate((band.quantity, *band.plus)):
                ro = {"id": band.id if k == 0 else f"{band.id}_{k}", "quantity": q,
                      "at_h": [float(end_h)]}
                if band.region:
                    ro["region"] = band.region
                if band.relative_to:
                    ro["relative_to"] = band.relative_to
                readouts.append(ro)
    out = {"protocol": 1, "name": f"{profile.name}: {candidate.label}"[:120], "subject": subject_spec(subject),
           "interventions": candidate.interventions(), "readouts": readouts}
    if parameters:
        from ..scenario import model_for

        names = set(model_for(plan_of_regimens(candidate.regimens)).network.parameter_names)
        kept = {k: v for k, v in sorted(parameters.items()) if k in names}
        if kept:
            out["parameters"] = kept
    return out


def current_regimens(plan: Plan) -> tuple[Regimen, ...]:
    """A plan's drug doses and supplement intakes as regimens: runs of equal doses at equal intervals."""
    from .courses import _intake_mg, intake_name

    runs: list[Regimen] = []
    entries: dict[tuple, list[float]] = {}
    for d in plan.doses:
        if d.route != "oral" or d.infusion_h:
            raise NotModelledError(f"plan search keeps oral regimens of the current medication; {d.drug} is given "
                                   f"{d.route}{' as an infusion' if d.infusion_h else ''}")
        entries.setdefault(("drug", d.drug, d.dose_mg, d.formulation), []).append(d.at_h)
    for i in plan.intakes:
        name = intake_name(i)
        if name is None:
            continue  # meals are not a lever
        entries.setdefault(("nutrition", name, round(_intake_mg(i), 6), None), []).append(i.at_h)
    for (kind, name, dose, form), times in entries.items():
        times = sorted(times)
        start = 0
        while start < len(times):
            end = start + 1
            step = times[end] - times[start] if end < len(times) else None
            while end + 1 < len(times) and abs(times[end + 1] - times[end] - step) < 1e-6:
                end += 1
            count = end - start + (1 if step is not None else 0)
            runs.append(Regimen(kind, name, dose, times[start], step if count > 1 else None, count, form))
            start += count
    return tuple(sorted(runs, key=lambda r: (r.start_h, r.name)))


# --- scoring one candidate -----------------------------------------------------------------------

class _DrawTrajectory:
    """`.readout(quantity, region, relative_to)` of one draw's simulation (for peaks.DenseReadout)."""

    def __init__(self, model, states, inputs, baseline_y, baseline_p):
        self.model, self.states, self.inputs = model, states, inputs
        self.baseline_y, self.baseline_p = baseline_y, baseline_p

    def readout(self, quantity, region=None, relative_to=None):
        ro = self.model.network.readout(quantity, region)
        fn = self.model.readout_function(ro.key)
        v = np.asarray(fn(self.states, self.inputs), dtype=float)
        if relative_to == "baseline":
            v = v / float(fn(self.baseline_y, self.baseline_p))
        return v


def _burden(candidate: Candidate, now_h: float) -> Burden:
    """Interventions, pills a day and changes of the plan from now on: a regimen the plan stops does not
    count."""
    from .strengths import hormones, products, supplements

    pills = 0.0
    active = candidate.future + tuple(h for h in candidate.history if h.end_h >= now_h)
    for r in active:
        if r.kind == "exercise":
            continue  # sessions are counted as interventions, not pills
        if r.kind == "drug":
            strengths = next((p.strengths_mg for p in products(r.name) if p.formulation == r.formulation), ())
        elif r.kind == "hormone":
            strengths = next((h.strengths_mg for h in hormones() if h.name == r.name), ())
        else:
            strengths = next((s.strengths_mg for s in supplements() if s.name == r.name), ())
        units = _units(r.dose_mg, strengths)
        pills += units * (24.0 / r.every_h if r.every_h else 1.0)
    return Burden(len(active), float(round(pills, 6)), candidate.changes)


def _units(dose: float, strengths: tuple[float, ...]) -> int:
    """Fewest whole units summing to `dose` (greedy from the largest, exact for marketed ladders)."""
    left, n = dose, 0
    for s in sorted(strengths, reverse=True):
        k = int(left // s + 1e-9)
        n, left = n + k, left - k * s
    return n + (1 if left > 1e-6 else 0)


class _Evaluator:
    def __init__(self, subject, posterior, profile, now_h, horizon_h, seed, cvar_level, solver, rules):
        self.subject, self.posterior, self.profile = subject, posterior, profile
        self.now_h, self.horizon_h, self.seed = now_h, horizon_h, seed
        self.cvar_level, self.solver = cvar_level, solver
        self.ceilings = tuple(r for r in rules if r.kind == "trajectory_ceiling")
        self.rules = rules
        self.notes: list[str] = []

    def static(self, candidate: Candidate, plan: Plan) -> Excluded | None:
        from .safety import check_static

        violations = check_static(plan, self.subject, self.rules)
        if not violations:
            return None
        return Excluded(candidate, tuple(v.message for v in violations),
                        tuple(dict.fromkeys(v.rule_id for v in violations)))

    def evaluate(self, candidate: Candidate, plan: Plan, n_draws: int, stage: str) -> ScoredPlan | Excluded:
        return self.evaluate_many([(candidate, plan)], n_draws, stage)[0]

    def evaluate_many(self, items, n_draws: int, stage: str, progress=None) -> list[ScoredPlan | Excluded]:
        """Score (candidate, plan) pairs on the same `n_draws` draws. Plans on one model (the same drugs
        and formulations) share their draws' start states and run as one engine call, plans x draws
        (`StartBatch.integrate_plans`), at most `MAX_MEMBERS` members a call. `progress(done)` after
        each call."""
        groups: dict[tuple, list[int]] = {}
        for i, (_, plan) in enumerate(items):
            groups.setdefault((plan.drugs, plan.formulations), []).append(i)
        per_call = max(1, MAX_MEMBERS // max(n_draws, 1))
        out: list = [None] * len(items)
        done = 0
        for idx in groups.values():
            for k in range(0, len(idx), per_call):
                chunk = idx[k:k + per_call]
                for i, res in zip(chunk, self._evaluate_group([items[i] for i in chunk], n_draws, stage)):
                    out[i] = res
                done += len(chunk)
                if progress:
                    progress(done)
        return out

    def _evaluate_group(self, items, n_draws: int, stage: str) -> list[ScoredPlan | Excluded]:
        from ..scenario import scenario
        from .peaks import peak_grid

        end = self.now_h + self.horizon_h
        plans = [plan for _, plan in items]
        sc = scenario(self.subject, plans[0], end)
        P = draws_for(sc.model, self.subject, self.posterior, n_draws, self.seed)
        try:
            batch = sc.start_batch(P, self.solver)
        except EngineError as exc:
            return [Excluded(c, (f"the plan could not be simulated: {exc}",), ("simulation",)) for c, _ in items]
        grids = []
        for plan in plans:
            grid = peak_grid(plan, end, GRID_STEP_H)
            grids.append(grid[grid >= self.now_h - 1e-9])
        # one output grid for the call; each plan is read on its own (with dense output the steps do not
        # depend on the output times, so a plan's values are those of its own grid)
        times = np.unique(np.concatenate(grids))
        reads = _Reads(sc.model, self.profile, self.ceilings)
        Y, status, _ = batch.integrate_plans(plans, times, self.solver, record=reads.states)
        return [self._score(candidate, plan, sc, batch, reads, Y[j][:, np.isin(times, grids[j])], status[j],
                            grids[j], stage)
                for j, (candidate, plan) in enumerate(items)]

    def _score(self, candidate, plan, sc, batch, reads, Y, status, times, stage) -> ScoredPlan | Excluded:
        from ..scenario import scenario
        from .peaks import DenseReadout

        model = sc.model
        ok = np.array([s == "ok" for s in status])
        if not ok.all():
            # as `neuroscape check` does with a failed simulation: a ceiling cannot be shown to hold on a draw
            # that could not be simulated, so the plan is not returned
            return Excluded(candidate, (f"{int((~ok).sum())} of {ok.size} posterior draws could not be simulated "
                                        f"({', '.join(sorted(set(status) - {'ok'}))}): the safety ceilings cannot "
                                        "be shown to hold on them",), ("simulation",))
        Pt = batch.inputs_under(plan, times, reads.parameters)
        base_y = batch.steady_states[:, None, reads.states]
        base_p = batch.start_inputs()[:, None, reads.parameters]
        own = None  # the plan's own scenario, built when a draw's peaks are resolved
        # hard ceilings on every draw, the peaks resolved where a draw comes close
        margins: dict[str, float] = {}
        ceiling_trajectories: dict[str, dict] = {}
        for rule in self.ceilings:
            try:
                values = reads.read(Y, Pt, rule.quantity, rule.region)
            except (ModelError, NotModelledError) as exc:
                # said, not silent: the report lists the ceilings a plan's model could not evaluate
                note = f"{rule.id}: not evaluated for '{candidate.label}' ({exc})"
                if note not in self.notes:
                    self.notes.append(note)
                continue
            if rule.relative_to == "baseline":
                values = values / reads.read(base_y, base_p, rule.quantity, rule.region)
            ceiling_trajectories[rule.id] = spread(
                times - self.now_h, values, quantity=rule.quantity, region=rule.region, relative_to=rule.relative_to,
                unit=reads.unit(rule.quantity, rule.region, rule.relative_to), ceiling=rule.max_value)
            top = np.max(values, axis=1)
            for i in np.flatnonzero(top >= rule.max_value * (1 - REFINE_MARGIN)):
                own = own or scenario(self.subject, plan, sc.horizon_h, model=model)
                start = own.start(self.solver, p=batch.P[i])

                def sample(ts, start=start):
                    ys, _, _ = start.integrate(ts, self.solver)
                    return _DrawTrajectory(model, ys, start.inputs_at(ts), start.steady_state,
                                           own.start_inputs(start.p[None, :])[0])

                dense = DenseReadout(sample, times)
                _, v = dense(rule.quantity, rule.region if _has_region(model, rule) else None, rule.relative_to)
                top[i] = max(top[i], float(np.max(v)))
            margins[rule.id] = float(np.max(top) / rule.max_value)
            over = top > rule.max_value
            if over.any():
                return Excluded(candidate, (
                    f"{rule.quantity} above its ceiling {rule.max_value:g} on {int(over.sum())} of {int(ok.sum())} "
                    f"posterior draws (highest {float(np.max(top)):.3g}) ({rule.id}). Source: {rule.source}",),
                    (rule.id,))
        # targets
        baseline_cache: dict = {}

        def series(band):
            total = 0.0
            for q in (band.quantity, *band.plus):
                total = total + reads.read(Y, Pt, q, band.region)
            if band.relative_to == "baseline":
                if band.id not in baseline_cache:
                    b = 0.0
                    for q in (band.quantity, *band.plus):
                        b = b + reads.read(base_y, base_p, q, band.region)
                    baseline_cache[band.id] = b
                total = total / baseline_cache[band.id]
            return times - self.now_h, total

        dosed = tuple(dict.fromkeys(d.drug for d in plan.doses))
        att = attainment(self.profile, series, self.horizon_h, dosed)
        losses = att.total_loss(self.profile.stability)
        band_pta = {bid: pta(att.attained[j]) for j, bid in enumerate(att.band_ids) if att.applies[j]}
        band_pta["joint"] = pta(att.jointly)
        trajectories = {}
        for j, band in enumerate(self.profile.bands):
            if not att.applies[j]:
                continue
            t, v = series(band)  # every sample: a subsample of the peak ladder would alias the peaks
            trajectories[band.id] = spread(t, v, band=[band.low, band.high], quantity=band.quantity, plus=band.plus,
                                           region=band.region, relative_to=band.relative_to,
                                           unit=reads.unit(band.quantity, band.region, band.relative_to),
                                           statistic=band.statistic,
                                           window_h=list(scoring_window(band, self.profile, self.horizon_h)))
        stats = {bid: float(np.median(att.statistic[j])) for j, bid in enumerate(att.band_ids) if att.applies[j]}
        return ScoredPlan(candidate, int(ok.size), int((~ok).sum()), band_pta, stats, float(np.mean(losses)),
                          cvar(losses, self.cvar_level), self.cvar_level, margins, _burden(candidate, self.now_h),
                          trajectories, stage, ceiling_trajectories=ceiling_trajectories)


class _Reads:
    """The readouts a search reads on one model (the profile's bands, the trajectory ceilings): the states
    to record and the parameter columns to hand over, so that a batch holds only those (`record`)."""

    def __init__(self, model, profile: TargetProfile, ceilings):
        self.model = model
        wanted = [(r.quantity, r.region) for r in ceilings]
        wanted += [(q, b.region) for b in profile.bands for q in (b.quantity, *b.plus)]
        self.keys: dict[tuple, object] = {}  # (quantity, region) -> readout key, None (reads 0) or the error
        self.units = {r.key: r.unit for r in model.network.readouts}
        states, params = set(), set()
        for qr in dict.fromkeys(wanted):
            try:
                key = _readout_key(model, *qr)
            except (ModelError, NotModelledError) as exc:
                self.keys[qr] = exc
                continue
            self.keys[qr] = key
            if key is not None:
                s, p = model.readout_reads(key)
                states.update(s)
                params.update(p)
        self.states = np.array(sorted(states), dtype=np.int64)
        self.parameters = np.array(sorted(params), dtype=np.intp)

    def unit(self, quantity, region, relative_to=None) -> str:
        """The unit of the values read: the readout's unit in this model, "1" for a ratio to the baseline, ""
        for a quantity the model reads as 0 (an undosed drug's plasma level)."""
        if relative_to == "baseline":
            return "1"
        return self.units.get(self.keys.get((quantity, region)), "")

    def read(self, Y, Pt, quantity, region) -> np.ndarray:
        """Readout values (b, T) from the recorded states Y (b, T, len(states)) and parameter columns Pt."""
        key = self.keys[(quantity, region)]
        if isinstance(key, Exception):
            raise key
        if key is None:
            return np.zeros(np.broadcast_shapes(Y.shape[:-1], Pt.shape[:-1]))
        fn = self.model.readout_function(key, self.states, self.parameters)
        return np.asarray(fn(Y, Pt), dtype=float)


def _readout_key(model, quantity, region) -> str | None:
    """The key of the readout of `quantity` (in `region`): a model whose occupancies have no regions is read
    without one; None for the plasma level of a library drug the plan does not dose (its model has no such
    readout; it is 0)."""
    from ..pharmacology.library import drug_names

    try:
        return model.network.readout(quantity, region).key
    except ModelError:
        if quantity.startswith("plasma.") and quantity.split(".", 1)[1] in drug_names():
            return None
        if region is None or not quantity.startswith("occupancy."):
            raise
        return model.network.readout(quantity, None).key


def _has_region(model, rule) -> bool:
    try:
        model.network.readout(rule.quantity, rule.region)
        return True
    except ModelError:
        return False


OBJECTIVES = ("pta", "cvar")


def _rank_key(p: ScoredPlan, objective: str = "pta"):
    tail = (p.expected_loss, p.burden.pills_per_day, p.burden.changes, p.candidate.label)
    if objective == "cvar":  # risk-averse: the worst draws' loss first
        return (p.cvar, -p.pta["joint"].p, *tail)
    return (-p.pta["joint"].p, p.cvar, *tail)


def _pareto(plans: list[ScoredPlan]) -> set[int]:
    front = set()
    for i, a in enumerate(plans):
        ka = (-a.pta["joint"].p, a.cvar, a.burden.pills_per_day)
        dominated = False
        for j, b in enumerate(plans):
            kb = (-b.pta["joint"].p, b.cvar, b.burden.pills_per_day)
            if j != i and all(x <= y for x, y in zip(kb, ka)) and any(x < y for x, y in zip(kb, ka)):
                dominated = True
                break
        if not dominated:
            front.add(i)
    return front


def _ranked(plans: list[ScoredPlan], objective: str = "pta") -> tuple[ScoredPlan, ...]:
    from dataclasses import replace

    plans = sorted(plans, key=lambda p: _rank_key(p, objective))
    front = _pareto(plans)
    return tuple(replace(p, rank=k + 1, pareto=k in front) for k, p in enumerate(plans))


def optimise(person, targets: TargetProfile, *, levers: Levers = Levers(), horizon_h: float = DEFAULT_HORIZON_H,
             current: Plan | None = None, draws: int = 100, screen_draws: int = 20, finalists: int = 6,
             cvar_level: float = 0.9, required_pta: float = 0.8, objective: str = "pta", seed: int = 0, rules=None,
             solver: Solver = SEARCH_SOLVER, progress: Callable[[int, int, str], None] | None = None) -> PlanSearch:
    """Search plans for `person` (an `assess` Assessment, a calibration Posterior, or a Subject with an
    optional `current` Plan) that bring the `targets` profile's bands into range over `horizon_h` hours from
    now (the end of the record; 0 for a Subject). See the module docstring for the steps and the ranking."""
    import time

    from ..assess.posterior import Posterior
    from .rules import load_rules

    t_start = time.perf_counter()
    if not 0 < horizon_h <= 5 * 365 * 24:
        raise ProtocolError(f"horizon_h = {horizon_h!r}; give 1 h to 5 years (e.g. 2016 for 12 weeks)")
    if not 0 < required_pta <= 1:
        raise ProtocolError(f"required_pta = {required_pta!r}; it is a probability in (0, 1]")
    if objective not in OBJECTIVES:
        raise ProtocolError(f"objective = {objective!r}; allowed: {', '.join(OBJECTIVES)} (joint PTA first, or "
                            "the CVaR of the loss first)")
    if draws < 0 or screen_draws < 0:
        raise ProtocolError("draws and screen_draws must be >= 0 (0 = the point estimate only)")
    posterior, now_h, mixture = None, 0.0, None
    if isinstance(person, Subject):
        subject = person
        regimens = current_regimens(current or Plan())
        now_h = max([0.0] + [r.end_h for r in regimens])
    else:
        mixture = getattr(person, "mixture", None)  # an Assessment without a genotype (assess/mixture.py)
        posterior = getattr(person, "posterior", person)
        if not isinstance(posterior, Posterior):
            raise ProtocolError(f"optimise: person is a {type(person).__name__}; give an Assessment "
                                "(neuroscape.assess.assess), a Posterior or a Subject")
        # the record's subject: the safety rules never read a phenotype the mixture only infers
        subject = posterior.subject if mixture is None else mixture.subject
        regimens = current_regimens(posterior.plan)
        land = getattr(person, "landscape", None)
        times = [o.time_h for o in posterior.observations if getattr(o, "time_h", None) is not None]
        now_h = land.at_h if land is not None else max([0.0] + times + [r.end_h for r in regimens])
    if any(b.reference for b in targets.bands):
        from ..assess.landscape import reference_band, reference_columns

        sample = reference_band(subject)
        cols = reference_columns()

        def column(quantity, region):
            if (quantity, region) not in cols:
                raise ProtocolError(f"{quantity}{' in the ' + region if region else ''} has no population reference "
                                    "band (the landscape's layout); bands with reference: population may read: "
                                    + ", ".join(f"{q}{'/' + r if r else ''}" for q, r in sorted(cols, key=str)))
            return sample[:, cols[(quantity, region)]]

        targets = resolve_reference(targets, column)
    rules = load_rules() if rules is None else tuple(rules)
    factors = plan_factors(targets, regimens, levers, now_h=now_h, horizon_h=horizon_h, subject=subject)
    ev = _Evaluator(subject, posterior if mixture is None else mixture, targets, now_h, horizon_h, seed, cvar_level,
                    solver, rules)
    if mixture is not None:  # draws_for shares each plan's draws among the phenotypes by weight
        ev.notes.append("posterior draws from the unknown " + ", ".join(mixture.genes) + " phenotype mixture ("
                        + ", ".join(f"{c.label} {c.weight:.0%}" for c in mixture.components) + ")")
    excluded: list[Excluded] = []
    screened: list[ScoredPlan] = []
    plans_of = {}

    def screen(cand: Candidate) -> ScoredPlan | Excluded:
        plan = plan_of_regimens(cand.regimens)
        plans_of[cand.label] = plan
        res = ev.static(cand, plan)
        if res is None:
            res = ev.evaluate(cand, plan, min(screen_draws, draws) if draws else 0, "screen")
        (excluded if isinstance(res, Excluded) else screened).append(res)
        return res

    total = factors.size
    if total <= levers.max_candidates:
        # the hard rules on every plan first, then the admissible ones screened together (plans x draws)
        cands = factors.all()
        for cand in cands:
            plans_of[cand.label] = plan_of_regimens(cand.regimens)
        static = [ev.static(cand, plans_of[cand.label]) for cand in cands]
        todo = [(cand, plans_of[cand.label]) for cand, res in zip(cands, static) if res is None]
        n_excluded = len(cands) - len(todo)

        def report(done):
            if progress:
                progress(n_excluded + done, total, todo[min(done, len(todo) - 1)][0].label)

        if progress:
            progress(n_excluded, total, todo[0][0].label if todo else "")
        scored = iter(ev.evaluate_many(todo, min(screen_draws, draws) if draws else 0, "screen", report))
        for res in static:
            res = next(scored) if res is None else res
            (excluded if isinstance(res, Excluded) else screened).append(res)
    elif levers.search == "enumerate":
        raise ProtocolError(f"the plan space has {total} candidates, above max_candidates = "
                            f"{levers.max_candidates}: name fewer drugs (Levers.drugs / --drugs), fewer supplements, "
                            "max_units=1, raise max_candidates, or let Optuna sample it (search='auto')")
    else:
        ev.notes.append(_sampled(factors, levers.max_candidates, seed, screen, objective, progress))
    if progress:
        progress(total, total, "screened")
    screened_ranked = _ranked(screened, objective)
    chosen = [p.candidate for p in screened_ranked[:finalists]]
    base = factors.base
    if base.label not in {c.label for c in chosen} and any(p.candidate.label == base.label for p in screened):
        chosen.append(base)
    final: list[ScoredPlan] = []
    if draws > screen_draws:
        def report_final(done):
            if progress:
                progress(done, len(chosen), f"final: {chosen[min(done, len(chosen) - 1)].label}")

        if progress and chosen:
            progress(0, len(chosen), f"final: {chosen[0].label}")
        for res in ev.evaluate_many([(c, plans_of[c.label]) for c in chosen], draws, "final", report_final):
            (excluded if isinstance(res, Excluded) else final).append(res)
    else:
        final = [p for p in screened if p.candidate.label in {c.label for c in chosen}]
    plans = _ranked(final, objective)
    reached = bool(plans) and plans[0].pta["joint"].p >= required_pta
    if not plans:
        message = "no candidate plan passed the hard safety rules; see the excluded list"
    elif reached:
        message = (f"{plans[0].candidate.label}: every band attained on {plans[0].pta['joint'].p:.0%} of "
                   f"{plans[0].draws} posterior draws (required {required_pta:.0%})")
    else:
        message = (f"the targets were not reached safely: the best safe plan ({plans[0].candidate.label}) attains "
                   f"every band on {plans[0].pta['joint'].p:.0%} of {plans[0].draws} posterior draws, below the "
                   f"required {required_pta:.0%}; it is shown as the best partial plan")
    return PlanSearch(targets, subject, now_h, horizon_h, seed, plans, tuple(excluded), screened_ranked, reached,
                      required_pta, message, total, time.perf_counter() - t_start, tuple(ev.notes),
                      calibrated_values(posterior))


def calibrated_values(posterior) -> dict[str, float]:
    """The posterior's MAP values of the parameters the calibration moved (table units), by name."""
    if posterior is None:
        return {}
    p = posterior.parameter_vector()
    out = {}
    for idx in posterior.targets:
        for i in idx:
            if abs(p[i] - posterior.p0[i]) > 1e-12 * max(abs(posterior.p0[i]), 1e-300):
                out[posterior.parameter_names[i]] = float(p[i])
    return out


def _score(res: ScoredPlan | Excluded, objective: str) -> float:
    """One number for the sampler, ordered as `_rank_key` orders its first two keys: PTA in [0, 1] and the
    CVaR squashed into [0, 1) by atan, the second key weighted 1e-3. An excluded plan scores worst (2)."""
    if isinstance(res, Excluded):
        return 2.0
    p, risk = res.pta["joint"].p, 2 / np.pi * float(np.arctan(res.cvar))
    return risk - 1e-3 * p if objective == "cvar" else -p + 1e-3 * risk


def _sampled(factors: PlanFactors, budget: int, seed: int, screen, objective: str, progress) -> str:
    """Screen `budget` distinct plans of a space too large to enumerate, chosen by Optuna's TPE sampler
    (Watanabe 2023, arXiv:2304.11127): a plan's drug (or no drug change), then its dose/schedule option
    for that drug, then its add-on. Excluded plans are infeasible trials (the sampler's constraint), so it
    learns to avoid what the hard rules forbid; the hard rules still judge every plan it proposes. Asked
    and told one trial at a time with a seeded sampler: the same inputs give the same plans."""
    import warnings

    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    families: dict[str, list[int]] = {}
    for i, cand in enumerate(factors.drug_options):
        families.setdefault("no drug change" if i == 0 else cand.future[0].name, []).append(i)
    names = list(families)
    with warnings.catch_warnings():  # `group` (conditional spaces) is marked experimental in Optuna 5
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        sampler = optuna.samplers.TPESampler(seed=seed, n_startup_trials=max(5, budget // 5), multivariate=True,
                                             group=True)
    study = optuna.create_study(direction="minimize", sampler=sampler)
    study.enqueue_trial({"drug": names[0], "addon": 0})  # warm start: the current regimen
    seen: dict[tuple[int, int], float] = {}
    asked = 0
    while len(seen) < budget and asked < 20 * budget:
        asked += 1
        trial = study.ask()
        family = trial.suggest_categorical("drug", names)
        options = families[family]
        i = options[trial.suggest_int(f"{family} option", 0, len(options) - 1)] if len(options) > 1 else options[0]
        j = trial.suggest_int("addon", 0, len(factors.addons) - 1)
        if (i, j) not in seen:
            cand = factors.candidate(i, j)
            if progress:
                progress(len(seen), budget, cand.label)
            res = screen(cand)
            seen[(i, j)] = _score(res, objective)
        trial.set_constraint("hard rules", 1.0 if seen[(i, j)] >= 2.0 else 0.0)
        study.tell(trial, seen[(i, j)])
    return (f"the plan space has {factors.size} candidates, above max_candidates = {budget}: Optuna's TPE sampler "
            f"(seed {seed}) chose the {len(seen)} that were screened, starting from the current regimen; plans it "
            "did not choose were not evaluated (raise max_candidates, or narrow the levers to enumerate them all)")


def continuous_dose(person, targets: TargetProfile, drug: str, every_h: float, *, band: str | None = None,
                    formulation: str | None = None, horizon_h: float = DEFAULT_HORIZON_H,
                    bounds_mg: tuple[float, float] = (0.1, 2000.0), solver: Solver = SEARCH_SOLVER,
                    xtol: float = 1e-4) -> float:
    """The continuous dose (mg every `every_h` h from now) whose band statistic equals the band's target
    at the point estimate (the MAP, or the subject's typical values): the centre of a two-sided band, the
    bound of a one-sided one. The statistic (a trough, a mean occupancy) rises with dose, so the dose is the
    root of statistic(dose) - target, found on the log-dose scale by Brent's method (scipy.optimize.brentq).
    Marketed strengths are the search's business (`optimise`); this is the number a dose-finding tool
    (mapbayr, posologyr) would report, before rounding."""
    from scipy.optimize import brentq

    from ..assess.posterior import Posterior

    chosen = next((b for b in targets.bands if band is None or b.id == band), None)
    if chosen is None:
        raise ProtocolError(f"band {band!r} is not in profile {targets.name!r}; bands: "
                            f"{', '.join(b.id for b in targets.bands)}")
    if chosen.reference:
        raise ProtocolError(f"band {chosen.id!r} refers to the population band; continuous_dose needs fixed bounds")
    lo, hi = chosen.low, chosen.high
    target = (lo + hi) / 2 if lo is not None and hi is not None else (lo if lo is not None else hi)
    single = targets.model_copy(update=dict(bands=(chosen,), stability=None))
    if isinstance(person, Subject):
        subject, posterior, now_h = person, None, 0.0
    else:
        posterior = getattr(person, "posterior", person)
        if not isinstance(posterior, Posterior):
            raise ProtocolError(f"continuous_dose: person is a {type(person).__name__}; give an Assessment, "
                                "a Posterior or a Subject")
        subject, now_h = posterior.subject, 0.0
    ev = _Evaluator(subject, posterior, single, now_h, horizon_h, 0, 0.9, solver, ())

    def statistic(log_dose: float) -> float:
        dose = float(np.exp(log_dose))
        course = Regimen("drug", drug, dose, now_h, every_h,
                         int((horizon_h - 1e-9) // every_h) + 1, formulation)
        cand = Candidate("continuous", (), (course,))
        res = ev.evaluate(cand, plan_of_regimens(cand.regimens), 0, "continuous")
        if isinstance(res, Excluded):
            raise EngineError(f"continuous_dose: {dose:.4g} mg could not be evaluated: {res.reasons[0]}")
        return res.statistic[chosen.id] - target

    a, b = np.log(bounds_mg[0]), np.log(bounds_mg[1])
    fa, fb = statistic(a), statistic(b)
    if fa * fb > 0:
        raise ProtocolError(f"band {chosen.id!r}: the target {target:g} is not crossed between "
                            f"{bounds_mg[0]:g} and {bounds_mg[1]:g} mg (statistic - target: {fa:.3g}, {fb:.3g}); "
                            "widen bounds_mg or check the band")
    return float(np.exp(brentq(statistic, a, b, xtol=xtol)))
