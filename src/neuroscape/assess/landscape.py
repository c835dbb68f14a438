"""The landscape: each transmitter system in each region, estimated for the patient with credible
intervals, against the population reference band of people of the same sex and age.

The patient's state is taken at `at_h` (hours after the plan's t0; default: the end of the record,
i.e. on their current medication) from posterior draws; the reference band comes from prior draws
of a person of the same sex and age without genotype information or medication, at steady state.
Deviation z is the patient's median as a normal score of its percentile within the reference sample
(so |z| > 1.645 is outside the band's central 90%), extended beyond the sample with its log sd."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import lru_cache
from statistics import NormalDist

import numpy as np

from ..errors import DataError, ModelError
from ..plan import Plan
from ..scenario import Scenario, model_for, scenario
from ..subject import Subject, parameter_vector
from .posterior import Posterior
from .priors import calibration_parameters
from .problem import CALIBRATION_SOLVER, parameter_matrix

# (system, measure, quantity, regions); region None = a whole-brain or plasma quantity.
LAYOUT: tuple[tuple[str, str, str, tuple[str | None, ...]], ...] = (
    ("serotonin", "level", "brain.serotonin.extracellular", ("raphe", "cortex", "hippocampus")),
    ("serotonin", "synthesis", "synthesis.serotonin", ("raphe", "cortex", "hippocampus")),
    ("serotonin", "turnover", "brain.5hiaa", ("raphe", "cortex", "hippocampus")),
    ("serotonin", "enzyme", "activity.TPH2", ("raphe", "cortex", "hippocampus")),
    ("serotonin", "receptor", "receptor.5HT1A.sensitivity", (None,)),
    ("dopamine", "level", "brain.dopamine.extracellular", ("striatum", "prefrontal")),
    ("dopamine", "synthesis", "synthesis.dopamine", ("striatum", "prefrontal")),
    ("dopamine", "turnover", "brain.hva", ("striatum", "prefrontal")),
    ("dopamine", "enzyme", "activity.TH", ("striatum", "prefrontal")),
    ("dopamine", "receptor", "receptor.D2.sensitivity", (None,)),
    ("norepinephrine", "level", "brain.norepinephrine.extracellular", ("prefrontal", "cortex")),
    ("GABA", "level", "brain.gaba", ("cortex", "hippocampus", "striatum")),
    ("GABA", "enzyme", "activity.GABA-T", ("cortex",)),
    ("GABA", "receptor", "signalling.GABAA", ("cortex",)),
    ("precursors", "level", "brain.tryptophan", (None,)),
    ("precursors", "level", "brain.tyrosine", (None,)),
    ("precursors", "level", "plasma.trp_lnaa_ratio", (None,)),
    ("precursors", "enzyme", "activity.MAO-A", (None,)),
) + tuple(("drug targets", "occupancy", f"occupancy.{t}", (None,))
          for t in ("SERT", "DAT", "NET", "D2", "5HT2A", "MAO-A", "MAO-B", "GABA-T", "GABAA-BZ"))
OCCUPANCY_SHOWN = 0.01  # drug targets the medication occupies less than this are left out
Z_BAND = NormalDist().inv_cdf(0.95)  # 1.645: |z| beyond it is outside the band's central 90%


@dataclass(frozen=True)
class Entry:
    system: str
    measure: str
    quantity: str
    region: str | None
    unit: str
    median: float
    low: float
    high: float
    ref_median: float
    ref_low: float
    ref_high: float
    z: float  # normal score of the patient median's percentile in the reference sample; NaN if degenerate

    @property
    def label(self) -> str:
        return self.quantity + (f"@{self.region}" if self.region else "")

    @property
    def flag(self) -> str:
        if self.measure == "occupancy":
            return "on drug"
        if not np.isfinite(self.z):
            return "n/a"
        return "low" if self.z < -Z_BAND else "high" if self.z > Z_BAND else "in band"


@dataclass(frozen=True)
class Landscape:
    entries: tuple[Entry, ...]
    at_h: float
    level: float
    drivers: dict = field(default_factory=dict)  # label -> [(driver, log-change), ...]

    def entry(self, quantity: str, region: str | None = None) -> Entry:
        for e in self.entries:
            if e.quantity == quantity and e.region == region:
                return e
        raise DataError(f"no landscape entry {quantity!r} in region {region!r}")

    def rows(self) -> list[dict]:
        return [{**{k: getattr(e, k) for k in e.__dataclass_fields__}, "flag": e.flag,
                 "drivers": self.drivers.get(e.label, [])} for e in self.entries]


def _keys(model) -> list[tuple[str, str, str, str | None, str, str]]:
    out = []
    for system, measure, quantity, regions in LAYOUT:
        for region in regions:
            try:
                ro = model.network.readout(quantity, region)
            except ModelError:  # a readout this network does not have is left out of the layout
                continue
            out.append((system, measure, quantity, region, ro.key, ro.unit))
    return out


def _evaluate(sc: Scenario, P: np.ndarray, at_h: float, keys) -> tuple[np.ndarray, list]:
    """Readouts (b, n_keys) at `at_h` of each parameter row in scenario `sc` (from its start state)."""
    start = sc.start_batch(P, CALIBRATION_SOLVER)
    Y, status, Pt = start.Y0, list(start.status), start.start_inputs()
    if at_h > 0 and sc.moves:
        traj, status, _ = start.integrate([at_h], CALIBRATION_SOLVER)
        Y, Pt = traj[:, 0, :], start.inputs_at([at_h])[:, 0, :]
    values = np.column_stack([sc.model.readout_function(k[4])(Y, Pt) for k in keys])
    return values, status


def landscape(posterior: Posterior, *, at_h: float | None = None, samples: int = 200,
              level: float = 0.9, seed: int = 0) -> Landscape:
    """The patient's landscape at `at_h` (default: the last observation or dose) with credible
    intervals from `samples` posterior draws, against a reference band of `samples` prior draws."""
    plan = posterior.plan
    model = model_for(plan)
    if at_h is None:
        times = [t for t in (getattr(o, "time_h", None) for o in posterior.observations) if t is not None]
        last_dose = max((d.at_h for d in plan.doses), default=0.0)
        at_h = max(times + [last_dose])
    rng = np.random.default_rng(seed)
    idx = rng.choice(posterior.samples.shape[0], size=min(samples, posterior.samples.shape[0]),
                     replace=False)
    P = parameter_matrix(posterior.p0, posterior.targets, posterior.samples[idx])
    sc = scenario(posterior.subject, plan, at_h, model=model)
    keys = _keys(model)
    patient, status = _evaluate(sc, P, at_h, keys)
    patient = patient[[s == "ok" for s in status]]
    reference = reference_band(posterior.subject, samples, seed)
    ref_keys = {k[4]: i for i, k in enumerate(_keys(model_for(Plan())))}  # the band's columns
    lo_q, hi_q = (1 - level) / 2, (1 + level) / 2
    entries = []
    for j, (system, measure, quantity, region, key, unit) in enumerate(keys):
        col = patient[:, j]
        if measure == "occupancy" and np.quantile(col, hi_q) < OCCUPANCY_SHOWN:
            continue
        ref = reference[:, ref_keys[key]] if key in ref_keys else np.full(1, np.nan)
        z = _z(np.median(col), ref)
        entries.append(Entry(system, measure, quantity, region, unit, float(np.median(col)),
                             float(np.quantile(col, lo_q)), float(np.quantile(col, hi_q)),
                             float(np.median(ref)), float(np.quantile(ref, lo_q)),
                             float(np.quantile(ref, hi_q)), z))
    drivers = _drivers(posterior, sc, at_h, keys)
    return Landscape(tuple(entries), float(at_h), level, drivers)


def _z(value: float, ref: np.ndarray) -> float:
    """The value's position in the reference sample as a normal score: the percentile inside the
    sample (robust to skewed bands), extended beyond its ends with the sample's log-scale sd."""
    ref = np.sort(ref[np.isfinite(ref) & (ref > 0)])
    if ref.size < 10 or value <= 0:
        return float("nan")
    n = ref.size
    sd = float(np.std(np.log(ref)))
    if sd < 1e-9:
        return float("nan")
    lo, hi = NormalDist().inv_cdf(0.5 / n), NormalDist().inv_cdf(1 - 0.5 / n)
    if value < ref[0]:
        return float(lo - (np.log(ref[0]) - np.log(value)) / sd)
    if value > ref[-1]:
        return float(hi + (np.log(value) - np.log(ref[-1])) / sd)
    below = np.searchsorted(ref, value, side="left")
    above = np.searchsorted(ref, value, side="right")
    p = min(max((below + above) / 2 / n, 0.5 / n), 1 - 0.5 / n)
    return float(NormalDist().inv_cdf(p))


def reference_band(subject: Subject, samples: int = 200, seed: int = 0) -> np.ndarray:
    """Readouts (samples, n_keys) of people of the subject's sex and age drawn from the priors,
    without genotype information or medication, at steady state."""
    return _reference_band(subject.sex, subject.age_years, subject.weight_kg, samples, seed).copy()


def reference_columns() -> dict[tuple[str, str | None], int]:
    """(quantity, region) -> the column of `reference_band` that holds it (the landscape's layout)."""
    return {(k[2], k[3]): i for i, k in enumerate(_keys(model_for(Plan())))}


@lru_cache(maxsize=8)
def _reference_band(sex: str, age_years: float, weight_kg: float, samples: int, seed: int) -> np.ndarray:
    # Cached: the band depends only on these, and a landscape of each patient (and each of
    # several landscapes of one patient) would otherwise redraw and re-solve the same people.
    model = model_for(Plan())
    person = Subject(sex=sex, age_years=age_years, weight_kg=weight_kg)
    p0 = parameter_vector(person, model.network)
    params = calibration_parameters(model.network)
    rng = np.random.default_rng(seed + 1)
    # One column of draws per parameter, in order (as drawing them one parameter at a time).
    etas = rng.normal(0.0, np.array([c.omega for c in params])[:, None], size=(len(params), samples)).T
    targets = [np.array([model.param_index[t] for t in c.targets]) for c in params]
    P = parameter_matrix(p0, targets, etas)
    values, status = _evaluate(scenario(person, Plan(), model=model), P, 0.0, _keys(model))
    return values[[s == "ok" for s in status]]


def _drivers(posterior: Posterior, sc: Scenario, at_h: float, keys, top: int = 3) -> dict:
    """What moved each entry, as log-changes of its value: each observation (through its share of
    the MAP shift, linearised), the genotypes (through the prior median) and the medication."""
    model, plan = sc.model, sc.plan
    h = 0.01  # central-difference step in eta: 1% of a parameter, well above the solver's error
    rows = [posterior.parameter_vector(np.zeros_like(posterior.eta_map)), posterior.parameter_vector()]
    moved = np.flatnonzero(np.abs(posterior.eta_map) > 1e-6)  # 0 exactly for screened-out ones
    for j in moved:
        for sign in (1.0, -1.0):
            eta = posterior.eta_map.copy()
            eta[j] += sign * h
            rows.append(posterior.parameter_vector(eta))
    genotypes = bool(posterior.subject.genotypes)
    if genotypes:  # the same person without genotype information
        rows.append(parameter_vector(replace(posterior.subject, genotypes={}), model.network))
    values, _ = _evaluate(sc, np.array(rows), at_h, keys)
    with np.errstate(divide="ignore", invalid="ignore"):
        logv = np.log(np.where(values > 0, values, np.nan))
    m = moved.size
    grad = (logv[2:2 + 2 * m:2] - logv[3:3 + 2 * m:2]) / (2 * h)  # (m, n_keys)
    shares = posterior.contributions()[:, moved] @ grad if m else np.zeros((0, len(keys)))
    labels = [_observation_label(o) for o in posterior.observations]
    if plan.doses:  # the MAP patient without medication (her own hormone course goes on), in one solve
        off, _ = _evaluate(scenario(posterior.subject, Plan(), at_h, model=model), np.atleast_2d(rows[1]),
                           at_h, keys)
        with np.errstate(divide="ignore", invalid="ignore"):
            log_off = np.log(np.where(off[0] > 0, off[0], np.nan))
    out: dict[str, list] = {}
    for j, (_, _, quantity, region, _, _) in enumerate(keys):
        effects = [(labels[i], float(shares[i, j])) for i in range(len(labels)) if m]
        if genotypes:
            effects.append(("genotypes (" + ", ".join(f"{g} {v}" for g, v in
                                                     posterior.subject.genotypes.items()) + ")",
                            float(logv[0, j] - logv[-1, j])))
        if plan.doses:
            effects.append(("medication", float(logv[1, j] - log_off[j])))
        effects = [e for e in effects if np.isfinite(e[1]) and abs(e[1]) > 0.01]  # a 1% change shown
        effects.sort(key=lambda e: -abs(e[1]))
        out[quantity + (f"@{region}" if region else "")] = effects[:top]
    return out


def _observation_label(o) -> str:
    when = "baseline" if o.time_h is None else f"t = {o.time_h:g} h"
    return f"{getattr(o, 'label', o.quantity)} ({when})"

