"""`assess(record)`: records -> observations -> calibrated virtual patient -> landscape."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from ..plan import Plan
from ..subject import Subject
from .calibrate import calibrate
from .landscape import Landscape, landscape
from .mixture import PhenotypeMixture, calibrate_mixture, mixed_genes
from .cycle import timeline
from .posterior import Posterior
from .records import PatientRecord


@dataclass(frozen=True)
class Assessment:
    record: PatientRecord
    subject: Subject
    plan: Plan
    t0: datetime
    posterior: Posterior
    landscape: Landscape
    # A record without the genotype of a gene that clears the person's drugs (assess/mixture.py): the
    # phenotypes' weights; `posterior` and `landscape` are then the most probable phenotype's, and a plan
    # search draws from every phenotype by weight. None when no genotype is missing (one calibration).
    mixture: PhenotypeMixture | None = None

    def as_dict(self) -> dict:
        """JSON-ready summary (no NaN: undefined numbers are null)."""
        post = self.posterior
        return _clean({
            "patient_id": self.record.patient_id,
            "subject": {"sex": self.subject.sex, "age_years": self.subject.age_years,
                        "weight_kg": self.subject.weight_kg, "genotypes": dict(self.subject.genotypes),
                        "cycle_day_at_t0": self.subject.cycle_day},
            "medications": [{"drug": m.drug, "dose_mg": m.dose_mg, "every_h": m.every_h,
                             "count": m.count, "first_dose": m.first_dose.isoformat()}
                            for m in self.record.medications],
            "t0": self.t0.isoformat(),
            "landscape_at_h": self.landscape.at_h,
            "calibration": {"method": post.method, "converged": post.converged,
                            "message": post.message, "seconds": post.seconds,
                            "evaluations": post.evaluations, **post.diagnostics},
            "parameters": post.rows(),
            "observations": post.fit_rows(),
            "landscape": self.landscape.rows(),
            "phenotype_mixture": None if self.mixture is None else self.mixture.to_dict(),
            "disclaimer": "Simulated scenario for a qualified clinician or researcher; not medical advice.",
        })


def assess(record: PatientRecord, *, method: Literal["laplace", "mcmc"] = "laplace",
           samples: int = 1000, seed: int = 0, progress: bool = False, **limits) -> Assessment:
    """Calibrate the record's virtual patient and compute its landscape now (at the record's
    reference time, on its current medication). `limits`: the MCMC's min_ess, max_seconds,
    max_steps (calibrate)."""
    on_axis = timeline(record)  # a cycling woman with a last menstrual period: at her cycle day
    person, plan, t0 = on_axis.subject, on_axis.plan, on_axis.t0
    kw = dict(method=method, samples=samples, seed=seed, progress=progress, **limits)
    genes = mixed_genes(person, plan)
    mixture = None
    if genes:  # a genotype the drugs depend on is missing: one calibration per phenotype, weighed
        mixture = calibrate_mixture(person, on_axis.observations, plan, genes, group=record.population, **kw)
        post = mixture.best.posterior
    else:
        post = calibrate(person, on_axis.observations, plan, **kw)
    now_h = max(0.0, (record.reference_time - t0).total_seconds() / 3600.0)
    return Assessment(record, person, plan, t0, post,
                      landscape(post, at_h=now_h, samples=min(samples, 200), seed=seed), mixture)


def _clean(x):
    if isinstance(x, float):
        return x if math.isfinite(x) else None
    if isinstance(x, dict):
        return {k: _clean(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_clean(v) for v in x]
    return x
