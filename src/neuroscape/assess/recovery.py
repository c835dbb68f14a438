"""Recovery study: does calibration find the truth, and are its credible intervals honest?

Synthetic patients are drawn from the population priors, simulated, measured with the error
models of the mapping table, and calibrated; the fraction of true values inside the 90% credible
intervals (coverage) should be near 0.9, and the MAP error is reported."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from ..plan import Plan, add_dose
from ..simulate import model_for
from ..subject import Subject
from .calibrate import calibrate
from .observations import ModelObservation
from .priors import omega_of
from .problem import Problem
from .units import lookup

# A baseline panel a research clinic can take in one visit: plasma amino acids and kynurenine,
# lumbar CSF monoamine metabolites and an MRS GABA spectrum, as (mapping-table name, region).
PANEL_NAMES: tuple[tuple[str, str | None], ...] = (
    ("tryptophan", None), ("tyrosine", None), ("phenylalanine", None), ("leucine", None),
    ("isoleucine", None), ("valine", None), ("kynurenine", None), ("5-hiaa", None), ("hva", None),
    ("gaba", "cortex"),
)


def _panel(names) -> tuple[tuple[str, str | None, float], ...]:
    """(quantity, region, cv) with the mapping table's total CV (analytical + within-subject)."""
    return tuple((lookup(n).quantity, region, lookup(n).error.cv) for n, region in names)


BASELINE_PANEL = _panel(PANEL_NAMES)


@dataclass(frozen=True)
class Design:
    """What the synthetic patients are given and measured with."""

    name: str
    panel: tuple[tuple[str, str | None, float], ...] = BASELINE_PANEL
    plan: Plan = field(default_factory=Plan)
    drug_levels: tuple[tuple[str, float, float], ...] = ()  # (drug, time_h, cv)


def escitalopram_design() -> Design:
    """Therapeutic drug monitoring: escitalopram 10 mg daily for 4 weeks, 4 levels on the last day."""
    plan = add_dose(Plan(), "escitalopram", 0.0, 10.0, every_h=24, count=28)
    last = 24.0 * 27
    cv = lookup("escitalopram").error.cv
    levels = tuple(("escitalopram", last + t, cv) for t in (2.0, 6.0, 12.0, 23.5))
    return Design("escitalopram-tdm", panel=(), plan=plan, drug_levels=levels)


@dataclass(frozen=True)
class RecoveryResult:
    design: str
    patients: int
    level: float
    coverage: float  # pooled over every (patient, parameter)
    coverage_informed: float  # only parameters the data inform (weakly or better)
    per_parameter: dict[str, float]
    map_rmse_informed: float  # root-mean-square eta error (log scale) of informed parameters
    prior_rmse_informed: float  # the same error of the prior median, for comparison
    seconds_median: float
    seconds_max: float
    skipped: int  # drawn patients without a steady state (redrawn)

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def _measurements(design: Design, values: np.ndarray | None, rng, units: dict) -> list[ModelObservation]:
    """The design's observations; with `values` None a probe (value 1) that only fixes the layout."""
    rows = [(q, r, None, cv, q) for q, r, cv in design.panel]
    rows += [(f"plasma.{d}", None, t, cv, f"{d} level") for d, t, cv in design.drug_levels]
    obs = []
    for i, (quantity, region, t, cv, label) in enumerate(rows):
        value = 1.0 if values is None else float(
            values[i] * np.exp(rng.normal(0.0, omega_of(cv))))
        obs.append(ModelObservation(quantity=quantity, region=region, value=value,
                                    unit=units[(quantity, region)], time_h=t,
                                    error_kind="proportional", cv=cv, sd=0.0, label=label,
                                    source="synthetic"))
    return obs


def recovery_study(n: int = 50, *, design: Design | None = None, seed: int = 0,
                   level: float = 0.9, progress=None) -> RecoveryResult:
    """Draw `n` patients from the priors, simulate `design`, calibrate, and score the intervals."""
    design = design or Design("baseline-panel")
    rng = np.random.default_rng(seed)
    network = model_for(design.plan).network
    units = {(q, r): network.readout(q, r).unit for q, r, _ in design.panel}
    units.update({(f"plasma.{d}", None): "ng/mL" for d, _, _ in design.drug_levels})
    probe = _measurements(design, None, rng, units)
    names: tuple[str, ...] = ()
    inside, informed_inside, errors, prior_errors, seconds = [], [], [], [], []
    per: np.ndarray | None = None
    skipped = 0
    done = 0
    while done < n:
        subject = Subject(sex="female" if done % 2 else "male", age_years=float(rng.uniform(20, 65)))
        prob = Problem(subject, probe, design.plan)
        eta = rng.normal(0.0, prob.omega)
        pred, status = prob.predict(eta[None, :])
        if status[0] != "ok" or not np.all(np.isfinite(pred)):
            skipped += 1
            if skipped > n:
                raise RuntimeError("more than half the drawn patients could not be simulated")
            continue
        obs = _measurements(design, pred[0], rng, units)
        t0 = time.perf_counter()
        post = calibrate(subject, obs, design.plan)
        seconds.append(time.perf_counter() - t0)
        ci = post.interval(level)
        hit = (ci[:, 0] <= eta) & (eta <= ci[:, 1])
        status_of = post.identification()
        used = np.array([status_of[c] != "prior" for c in post.names])
        inside.append(hit)
        informed_inside.append(hit[used])
        errors.append((post.eta_map - eta)[used])
        prior_errors.append(eta[used])
        per = hit.astype(float) if per is None else per + hit
        names = post.names
        done += 1
        if progress is not None:
            progress(done, n)
    flat = np.concatenate(informed_inside)
    err = np.concatenate(errors)
    return RecoveryResult(
        design=design.name, patients=n, level=level, coverage=float(np.mean(np.concatenate(inside))),
        coverage_informed=float(np.mean(flat)) if flat.size else float("nan"),
        per_parameter=dict(zip(names, (per / n).tolist())),
        map_rmse_informed=float(np.sqrt(np.mean(err ** 2))) if err.size else float("nan"),
        prior_rmse_informed=float(np.sqrt(np.mean(np.concatenate(prior_errors) ** 2)))
        if err.size else float("nan"),
        seconds_median=float(np.median(seconds)), seconds_max=float(np.max(seconds)),
        skipped=skipped)
