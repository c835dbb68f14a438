"""A closed-loop virtual trial: neuroscape's re-planning against label titration on virtual patients whose
"true" model is not the one the calibration assumes.

    result = closed_loop_trial(20, seed=1)
    result.arms["replan"].in_band[8], result.arms["label"].median_time_to_band_weeks, result.to_dict()

Design (deterministic from `seed`; common random numbers: both arms see the same patients and the same
measurement-error draws, so the comparison is paired):

* Virtual patients. The typical subject's PK calibration parameters of the drug (assess/priors.py:
  clearance, volume, absorption, prior log-sd omega) are moved by log-factors drawn from a Student t with
  3 degrees of freedom scaled to 1.5 x omega: wider than the prior and with tails a normal prior does not
  expect (the calibration assumes eta ~ N(0, omega^2)). A draw is clipped at 5 omega, the calibration's
  search bound (assess/calibrate.py BOUND), so that no patient is unreachable by construction; the
  physiology parameters stay typical because a trough drug level does not inform them.
* Follow-up levels. At each visit the trough (0.5 h before that day's dose) is read from the true model and
  multiplied by a lognormal measurement error of 15% CV (analytical plus within-subject, the AGNP TDM error
  of assess/data/loinc.yaml taken as one lognormal); the calibration is told a proportional normal error of
  10% CV (the analytical part only): the error model is misspecified on purpose, in shape and size.
* Arm "replan": the label starting dose; at each visit `calibrate` on all levels so far (from the prior,
  on the drug's PK parameters), `optimise` over the drug's marketed strengths (small draw counts for
  speed), then `decide` with the default guard rails; the adopted dose runs until the next visit.
* Arm "label": the label starting dose; at each visit one step up the marketed single-tablet strengths
  (up to the label maximum) when the measured level is below the band, one step down when above.
* Endpoints, on the TRUE model's continuous trajectory: in band at each endpoint week (the band's
  statistic over the day before: the trough for a TDM band), with Wilson 95% intervals (risk.pta); the
  median time to band (first day whose true trough is in band, in weeks; None when fewer than half get
  there within the horizon); safety-rule breaches (safety.check of the applied plan on the true
  subject's simulated trajectory), which must be zero.

The profile must hold a band on the drug's plasma level: the label arm titrates on the measured level,
and the comparison is only fair when both arms aim at the band the level is read against (tdm-agnp2017).
Every plan here is a simulated scenario, never medical advice.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import lru_cache

import numpy as np

from ..errors import ProtocolError
from ..plan import Plan, add_dose
from ..subject import Subject, parameter_vector, with_parameters
from .risk import Proportion, pta
from .targets import Band, TargetProfile, load_profile

# The label's starting dose (mg once daily) per drug: what both arms begin with.
LABEL_START_MG = {"escitalopram": (10.0, "lexapro_label: 10 mg once daily; may be increased to 20 mg after a week")}
TRUE_T_DF = 3             # Student t degrees of freedom of the true log-factors (heavier tails than the prior)
TRUE_SCALE = 1.5          # x the prior's omega
TRUE_CLIP = 5.0           # prior sd: the calibration's search bound
TRUE_LEVEL_CV = 0.15      # lognormal CV of a measured level (the trial's truth)
ASSUMED_LEVEL_CV = 0.10   # proportional CV the calibration is told (the analytical part only)
PRE_DOSE_H = 0.5          # a trough is drawn this long before the day's dose
EPOCH = datetime(2026, 1, 1, tzinfo=timezone.utc)  # the decision clock's t = 0 (only differences matter)


@dataclass(frozen=True)
class VirtualPatient:
    index: int
    factors: dict[str, float]        # calibration parameter -> true factor on its typical value
    subject: Subject                 # the true model: the typical subject with those factors applied
    level_error: tuple[float, ...]   # per visit: the multiplicative measurement error of the level


@dataclass(frozen=True)
class PatientCourse:
    """One patient in one arm: the daily dose from each change time, the measured levels, the decisions."""
    segments: tuple[tuple[float, float], ...]   # (start_h, mg once daily)
    levels: tuple[float, ...]
    actions: tuple[str, ...]
    reasons: tuple[str, ...]
    in_band: dict[int, bool]
    time_to_band_weeks: float | None
    breaches: tuple[str, ...]

    def to_dict(self) -> dict:
        return {"doses": [[s, d] for s, d in self.segments], "levels": [round(x, 4) for x in self.levels],
                "actions": list(self.actions),
                "reasons": list(self.reasons), "in_band": {str(w): v for w, v in self.in_band.items()},
                "time_to_band_weeks": self.time_to_band_weeks, "breaches": list(self.breaches)}


@dataclass(frozen=True)
class ArmResult:
    name: str
    courses: tuple[PatientCourse, ...]
    in_band: dict[int, Proportion]
    median_time_to_band_weeks: float | None
    reached_band: int
    breaches: int

    def to_dict(self) -> dict:
        return {"in_band": {str(w): p.to_dict() for w, p in self.in_band.items()},
                "median_time_to_band_weeks": self.median_time_to_band_weeks, "reached_band": self.reached_band,
                "breaches": self.breaches, "patients": [c.to_dict() for c in self.courses]}


@dataclass(frozen=True)
class TrialResult:
    n: int
    seed: int
    drug: str
    profile: str
    visits_weeks: tuple[int, ...]
    horizon_weeks: int
    arms: dict[str, ArmResult]
    patients: tuple[VirtualPatient, ...]
    seconds: float = 0.0
    settings: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"n": self.n, "seed": self.seed, "drug": self.drug, "profile": self.profile,
                "visits_weeks": list(self.visits_weeks), "horizon_weeks": self.horizon_weeks,
                "settings": dict(self.settings), "seconds": round(self.seconds, 1),
                "true_factors": [{k: round(v, 4) for k, v in p.factors.items()} for p in self.patients],
                "arms": {k: a.to_dict() for k, a in self.arms.items()}}


# --- the patients ----------------------------------------------------------------------------------

@lru_cache(maxsize=8)
def _pk_parameters(drug: str):
    from ..assess.priors import calibration_parameters
    from ..simulate import model_for

    net = model_for(add_dose(Plan(), drug, 0.0, 1.0)).network
    return net, tuple(c for c in calibration_parameters(net) if c.group == f"pk:{drug}")


def true_subject(factors: dict[str, float], drug: str, base: Subject = Subject()) -> Subject:
    """`base` with each named PK calibration parameter of `drug` multiplied by its factor (every target)."""
    net, params = _pk_parameters(drug)
    known = {c.name: c for c in params}
    unknown = sorted(set(factors) - set(known))
    if unknown:
        raise ProtocolError(f"true factors {unknown}: not PK calibration parameters of {drug}; allowed: "
                            f"{', '.join(sorted(known))}")
    p0 = parameter_vector(base, net)
    index = {name: i for i, name in enumerate(net.parameter_names)}
    values = {t: float(p0[index[t]] * f) for name, f in factors.items() for t in known[name].targets}
    return with_parameters(base, **values)


def virtual_patients(n: int, seed: int, drug: str, visits: int) -> tuple[VirtualPatient, ...]:
    """`n` true models (see the module docstring), with their measurement errors, from `seed`."""
    _, params = _pk_parameters(drug)
    rng = np.random.default_rng(seed)
    sigma = float(np.sqrt(np.log1p(TRUE_LEVEL_CV ** 2)))
    out = []
    for i in range(n):
        t = np.clip(rng.standard_t(TRUE_T_DF, len(params)) * TRUE_SCALE, -TRUE_CLIP, TRUE_CLIP)
        factors = {c.name: float(np.exp(z * c.omega)) for c, z in zip(params, t)}
        error = tuple(float(np.exp(sigma * z)) for z in rng.standard_normal(visits))
        out.append(VirtualPatient(i, factors, true_subject(factors, drug), error))
    return tuple(out)


# --- plans and the true trajectory ------------------------------------------------------------------

def _plan(drug: str, segments, end_h: float) -> Plan:
    plan = Plan()
    bounds = [s for s, _ in segments[1:]] + [end_h]
    for (start, dose), stop in zip(segments, bounds):
        count = int(round((stop - start) / 24.0))
        if count > 0:
            plan = add_dose(plan, drug, start, dose, every_h=24.0, count=count)
    return plan


def _level_band(profile: TargetProfile, drug: str) -> Band:
    band = next((b for b in profile.bands if b.quantity == f"plasma.{drug}" and not b.plus and b.low is not None
                 and b.high is not None and b.when_dosed in (None, drug)), None)
    if band is None:
        raise ProtocolError(f"profile {profile.name!r} has no two-sided band on plasma.{drug}: the label arm "
                            "titrates on the measured level, so give a TDM profile (e.g. tdm-agnp2017)")
    if band.statistic not in ("min", "max", "mean"):
        raise ProtocolError(f"profile {profile.name!r} band {band.id!r}: statistic {band.statistic!r}; the trial "
                            "reads min, max or mean over each day")
    return band


def _daily(values: np.ndarray, statistic: str) -> np.ndarray:
    per_day = values.reshape(-1, 24)
    return {"min": per_day.min, "max": per_day.max, "mean": per_day.mean}[statistic](axis=1)


def _true_days(subject: Subject, plan: Plan, band: Band, days: int) -> np.ndarray:
    """The band's statistic on each day 1..days of the true continuous trajectory (hourly, between doses)."""
    from ..simulate import simulate

    times = np.arange(days * 24, dtype=float) + PRE_DOSE_H  # never at a dose instant
    values = simulate(subject, plan, times).readout(band.quantity, band.region)
    return _daily(np.asarray(values, dtype=float), band.statistic)


def _level(subject: Subject, plan: Plan, quantity: str, at_h: float) -> float:
    from ..simulate import simulate

    return float(simulate(subject, plan, [at_h]).readout(quantity)[0])


def label_step(dose: float, level: float, band: Band, ladder: tuple[float, ...]) -> float:
    """Label titration: one marketed strength up below the band (at most the ladder's top, the label
    maximum), one down above it, else unchanged."""
    k = int(np.argmin([abs(s - dose) for s in ladder]))
    if level < band.low:
        return ladder[min(k + 1, len(ladder) - 1)]
    if level > band.high:
        return ladder[max(k - 1, 0)]
    return dose


def _ladder(drug: str) -> tuple[float, ...]:
    from ..pharmacology.library import load_drug
    from .strengths import product

    ceiling = load_drug(drug).label_max_daily_mg
    strengths = product(drug).strengths_mg
    return tuple(s for s in strengths if ceiling is None or s <= ceiling.value + 1e-9)


# --- the arms ---------------------------------------------------------------------------------------

def _replan_dose(patient, drug, segments, levels, visit_h, end_h, profile, settings, seed):
    from ..assess.calibrate import calibrate
    from ..assess.observations import ModelObservation
    from .guards import default_guard_rails
    from .replan import decide
    from .search import optimise
    from .space import Levers

    _, params = _pk_parameters(drug)
    history = _plan(drug, segments, visit_h)
    obs = [ModelObservation(f"plasma.{drug}", None, value, "ng/mL", at_h, "proportional", ASSUMED_LEVEL_CV, 0.0,
                            "trough level", "virtual trial") for at_h, value in levels]
    post = calibrate(Subject(), obs, history, parameters=params)
    search = optimise(post, profile, levers=Levers(drugs=(drug,), switch_modes=("direct",)),
                      horizon_h=end_h - visit_h, draws=settings["draws"], screen_draws=settings["screen_draws"],
                      finalists=settings["finalists"], seed=seed)
    changes = [s for s, _ in segments[1:]]
    last = EPOCH + timedelta(hours=changes[-1]) if changes else None
    decision = decide(search, default_guard_rails(), as_of=EPOCH + timedelta(hours=visit_h), last_change=last)
    if decision.action != "change":
        return segments[-1][1], decision.action, decision.reason
    future = [r for r in decision.plan.candidate.future if r.kind == "drug"]
    if len(future) != 1 or future[0].name != drug or future[0].every_h != 24.0:
        raise ProtocolError(f"the re-planning chose {decision.plan.candidate.label!r}; the trial follows one "
                            f"once-daily {drug} regimen")
    return future[0].dose_mg, decision.action, decision.reason


def _run_arm(arm, patient, drug, profile, band, visits_h, end_h, ladder, settings, seed) -> PatientCourse:
    from .safety import check

    segments = [(0.0, LABEL_START_MG[drug][0])]
    levels, actions, reasons = [], [], []
    for k, visit_h in enumerate(visits_h):
        at_h = visit_h - PRE_DOSE_H
        true = _level(patient.subject, _plan(drug, segments, visit_h), f"plasma.{drug}", at_h)
        measured = true * patient.level_error[k]
        levels.append((at_h, measured))
        current = segments[-1][1]
        if arm == "replan":
            dose, action, reason = _replan_dose(patient, drug, segments, levels, visit_h, end_h, profile, settings,
                                        seed * 1000 + patient.index * 10 + k)
        else:
            dose = label_step(current, measured, band, ladder)
            action = "continue" if dose == current else "change"
            reason = f"label titration: level {measured:.3g} against {band.low:g}-{band.high:g}"
        actions.append(action)
        reasons.append(reason)
        if dose != current:
            segments.append((visit_h, dose))
    plan = _plan(drug, segments, end_h)
    days = _true_days(patient.subject, plan, band, int(round(end_h / 24)))
    inside = (days >= band.low) & (days <= band.high)
    in_band = {w: bool(inside[w * 7 - 1]) for w in settings["endpoints"]}
    first = int(np.argmax(inside)) if inside.any() else None
    report = check(plan, patient.subject, "simulate")
    return PatientCourse(tuple(segments), tuple(v for _, v in levels), tuple(actions), tuple(reasons), in_band,
                         None if first is None else (first + 1) / 7.0,
                         tuple(f"{v.rule_id}: {v.message}" for v in report.violations))


@lru_cache(maxsize=4)
def _patients(n: int, seed: int, drug: str, visits: int) -> tuple[VirtualPatient, ...]:
    return virtual_patients(n, seed, drug, visits)


ARMS = ("replan", "label")


def _run_patient(patient, drug, profile, band, visits_h, end_h, ladder, settings, seed):
    return tuple(_run_arm(arm, patient, drug, profile, band, visits_h, end_h, ladder, settings, seed) for arm in ARMS)


def _run_job(n, seed, index, drug, profile, band, visits_h, end_h, ladder, settings):
    patient = _patients(n, seed, drug, len(visits_h))[index]
    return _run_patient(patient, drug, profile, band, visits_h, end_h, ladder, settings, seed)


def _summary(name: str, courses: list[PatientCourse], endpoints) -> ArmResult:
    in_band = {w: pta([c.in_band[w] for c in courses]) for w in endpoints}
    times = np.array([np.inf if c.time_to_band_weeks is None else c.time_to_band_weeks for c in courses])
    median = float(np.median(times))
    return ArmResult(name, tuple(courses), in_band, None if not np.isfinite(median) else round(median, 4),
                     int(np.isfinite(times).sum()), sum(len(c.breaches) for c in courses))


def closed_loop_trial(n_patients: int, seed: int, *, drug: str = "escitalopram",
                      profile: TargetProfile | str = "tdm-agnp2017", visits_weeks: tuple[int, ...] = (4, 8),
                      horizon_weeks: int = 12, draws: int = 12, screen_draws: int = 6,
                      finalists: int = 3, workers: int = 1, checkpoint=None) -> TrialResult:
    """Run the trial (module docstring) on `n_patients` virtual patients from `seed`. `draws`,
    `screen_draws` and `finalists` size each plan search (small: one search per patient and visit).
    `workers` > 1 runs the patients in that many processes (each course is seeded by its patient, so the
    figures do not depend on it). `checkpoint(result)`, when given, is called with the trial of the first m
    patients each time they are all done (m < n_patients): a long run leaves its completed part behind."""
    start = time.perf_counter()
    if not 1 <= n_patients <= 10_000:
        raise ProtocolError(f"n_patients = {n_patients!r}; give 1-10000")
    if drug not in LABEL_START_MG:
        raise ProtocolError(f"drug = {drug!r}: no label starting dose recorded in manage/trial.py LABEL_START_MG; "
                            f"drugs: {', '.join(sorted(LABEL_START_MG))}")
    visits = tuple(int(v) for v in visits_weeks)
    if not visits or list(visits) != sorted(set(visits)) or visits[0] < 1 or visits[-1] >= horizon_weeks:
        raise ProtocolError(f"visits_weeks = {list(visits_weeks)}; give ascending distinct weeks from 1, each "
                            f"before horizon_weeks = {horizon_weeks}")
    profile = load_profile(profile) if isinstance(profile, str) else profile
    band = _level_band(profile, drug)
    if (horizon_weeks - visits[-1]) * 168.0 <= profile.settle_h:
        raise ProtocolError(f"horizon_weeks = {horizon_weeks}: the last visit's plan search needs more than the "
                            f"profile's settle_h ({profile.settle_h:g} h) after week {visits[-1]}")
    endpoints = (*visits, horizon_weeks)
    settings = {"draws": draws, "screen_draws": screen_draws, "finalists": finalists, "endpoints": endpoints,
                "true_t_df": TRUE_T_DF, "true_scale": TRUE_SCALE, "true_clip_sd": TRUE_CLIP,
                "true_level_cv": TRUE_LEVEL_CV, "assumed_level_cv": ASSUMED_LEVEL_CV,
                "start_mg": LABEL_START_MG[drug][0]}
    patients = virtual_patients(n_patients, seed, drug, len(visits))
    ladder = _ladder(drug)
    visits_h = tuple(v * 168.0 for v in visits)
    end_h = horizon_weeks * 168.0
    if not 1 <= workers <= 64:
        raise ProtocolError(f"workers = {workers!r}; give 1-64 processes")
    plain = {k: (list(v) if isinstance(v, tuple) else v) for k, v in settings.items()}

    def result(courses: list[tuple[PatientCourse, PatientCourse]]) -> TrialResult:
        m = len(courses)
        arms = {arm: _summary(arm, [c[k] for c in courses], endpoints) for k, arm in enumerate(ARMS)}
        return TrialResult(m, seed, drug, profile.name, visits, horizon_weeks, arms, patients[:m],
                           time.perf_counter() - start, plain)

    # one job per patient (both arms); `checkpoint` sees every completed prefix of the patients, in order
    done: dict[int, tuple[PatientCourse, PatientCourse]] = {}
    shown = 0

    def arrived(index, pair):
        nonlocal shown
        done[index] = pair
        while shown in done:
            shown += 1
            if checkpoint is not None and shown < n_patients:
                checkpoint(result([done[i] for i in range(shown)]))

    if workers == 1:
        for p in patients:
            arrived(p.index, _run_patient(p, drug, profile, band, visits_h, end_h, ladder, settings, seed))
    else:
        from concurrent.futures import ProcessPoolExecutor, as_completed

        # a Subject does not pickle (read-only mappings): each worker redraws the patients from the seed
        with ProcessPoolExecutor(workers) as pool:
            futures = {pool.submit(_run_job, n_patients, seed, p.index, drug, profile, band, visits_h, end_h, ladder,
                                   settings): p.index for p in patients}
            for future in as_completed(futures):
                arrived(futures[future], future.result())
    return result([done[i] for i in range(n_patients)])
