"""The result of a calibration: a posterior over log-factors (eta) with its diagnostics."""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from ..plan import Plan
from ..subject import Subject, with_parameters
from .priors import CalibrationParameter
from .problem import parameter_matrix

# Posterior sd / prior sd below which the data identify a parameter, and above which it stays at
# its prior (between the two: weakly informed).
IDENTIFIED_RATIO = 0.7
PRIOR_RATIO = 0.95


@dataclass(frozen=True)
class Posterior:
    """eta ~ posterior for each calibration parameter (factor on the subject's typical value)."""

    subject: Subject
    plan: Plan
    parameters: tuple[CalibrationParameter, ...]
    p0: np.ndarray  # the subject's prior-median network parameter vector
    targets: tuple[np.ndarray, ...]  # network indices each eta scales
    parameter_names: tuple[str, ...]  # network parameter names (for p0 / targets)
    eta_map: np.ndarray
    cov: np.ndarray
    samples: np.ndarray  # (n, k) draws of eta
    informed: np.ndarray  # bool: moved by the data at all (else posterior = prior exactly)
    method: str
    converged: bool
    message: str
    evaluations: int
    seconds: float
    observations: tuple
    predicted: np.ndarray  # at the MAP, in each observation's unit
    residuals: np.ndarray  # whitened, at the MAP
    residuals_prior: np.ndarray  # whitened, at the prior median
    sensitivity: np.ndarray  # (n_obs, k) d(prediction / sd)/d eta at the MAP
    diagnostics: dict
    # log p(observations | this subject's model), the Laplace approximation at the MAP up to a constant that
    # depends only on the observations and their error models (calibrate): comparable between calibrations of
    # the same observations on differently assumed subjects (assess/mixture.py: CYP phenotypes)
    log_evidence: float = float("nan")

    # -- per parameter ------------------------------------------------------------------------
    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.parameters)

    @property
    def prior_sd(self) -> np.ndarray:
        return np.array([c.omega for c in self.parameters])

    @property
    def sd(self) -> np.ndarray:
        return np.sqrt(np.clip(np.diag(self.cov), 0.0, None))

    @property
    def sd_ratio(self) -> np.ndarray:
        return self.sd / self.prior_sd

    def identification(self) -> dict[str, str]:
        """'identified', 'weakly informed' or 'prior' for each parameter."""
        out = {}
        for c, r, used in zip(self.parameters, self.sd_ratio, self.informed):
            if not used or r >= PRIOR_RATIO:
                out[c.name] = "prior"
            else:
                out[c.name] = "identified" if r < IDENTIFIED_RATIO else "weakly informed"
        return out

    def interval(self, level: float = 0.9) -> np.ndarray:
        """(k, 2) central credible interval of eta: from the samples for MCMC, else normal."""
        if not 0 < level < 1:
            raise ValueError(f"level = {level}; it must be within 0-1")
        lo, hi = (1 - level) / 2, (1 + level) / 2
        if self.method == "mcmc":
            return np.quantile(self.samples, [lo, hi], axis=0).T
        z = NormalDist().inv_cdf(hi)
        return np.stack([self.eta_map - z * self.sd, self.eta_map + z * self.sd], axis=1)

    def contributions(self) -> np.ndarray:
        """(n_obs, k): each observation's share of the MAP shift of eta (linearised: the shares
        sum to about eta_map)."""
        return (self.cov @ (self.sensitivity * self.residuals_prior[:, None]).T).T

    def factors(self) -> dict[str, float]:
        """MAP factor on the typical value for each parameter."""
        return dict(zip(self.names, np.exp(self.eta_map).tolist()))

    # -- as a subject -------------------------------------------------------------------------
    def parameter_vector(self, eta: np.ndarray | None = None) -> np.ndarray:
        return parameter_matrix(self.p0, self.targets, self.eta_map if eta is None else eta)[0]

    def subject_at(self, eta: np.ndarray | None = None) -> Subject:
        """The virtual patient at `eta` (default the MAP) with its fitted values set."""
        p = self.parameter_vector(eta)
        changed = {self.parameter_names[i]: float(p[i]) for idx in self.targets for i in idx}
        return with_parameters(self.subject, **changed)

    def rows(self, level: float = 0.9) -> list[dict]:
        """One summary row per parameter (for tables and JSON)."""
        ci = np.exp(self.interval(level))
        status = self.identification()
        return [{"parameter": c.name, "group": c.group, "factor": float(np.exp(m)),
                 "ci_low": float(lo), "ci_high": float(hi), "prior_cv": c.prior_cv,
                 "sd_ratio": float(r), "status": status[c.name]}
                for c, m, (lo, hi), r in zip(self.parameters, self.eta_map, ci, self.sd_ratio)]

    def fit_rows(self) -> list[dict]:
        """Observed vs fitted for every observation. A censored one ("<5": `censor` "<",
        `observed` the limit) has no z-score (None); `limit_p` is the fitted probability of a
        measurement beyond its limit, i.e. of what was reported (exp(-r^2 / 2) of its M3
        pseudo-residual r), and `observed_text` reads "<5"."""
        out = []
        for ob, pred, res in zip(self.observations, self.predicted, self.residuals):
            censor = getattr(ob, "censor", None)
            out.append({"label": getattr(ob, "label", ob.quantity), "quantity": ob.quantity,
                        "region": ob.region, "time_h": ob.time_h, "unit": ob.unit,
                        "observed": float(ob.value), "fitted": float(pred),
                        "z": None if censor else float(res), "source": getattr(ob, "source", ""),
                        "censor": censor, "observed_text": f"{censor or ''}{float(ob.value):.4g}",
                        "limit_p": float(np.exp(-0.5 * res * res)) if censor else None})
        return out
