"""Cohort statistics: responders, Wilson intervals, and first-order sensitivity indices from given data.

Sensitivity. A sampled population is not a Saltelli design, so Sobol indices cannot be estimated with
SALib's `sobol.analyze` (it needs its own structured sample). First-order Sobol indices
S_i = Var(E[Y | X_i]) / Var(Y) can be estimated from any random sample ("given data"): for a continuous
input by SALib's estimator that bins the sorted sample (SALib.analyze.delta.sobol_first, Plischke et al.
2013, doi:10.1016/j.ejor.2012.11.047), for a categorical input (sex, a phenotype) exactly by its groups
(the correlation ratio). Both are biased upwards by about (classes - 1) / N on a sample of N; the 95 %
interval is a bootstrap over members. Indices of independent inputs sum to at most 1; the rest is
interaction and the inputs not listed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats as _stats

from .spec import ResponderSpec

Z95 = float(_stats.norm.ppf(0.975))  # 1.959963984540054


@dataclass(frozen=True)
class Proportion:
    """k of n with its Wilson score interval at `level`."""

    k: int
    n: int
    low: float
    high: float
    level: float = 0.95

    @property
    def rate(self) -> float:
        return self.k / self.n if self.n else math.nan


def wilson(k: int, n: int, level: float = 0.95) -> Proportion:
    """Wilson score interval for k successes in n trials (Wilson 1927, doi:10.1080/01621459.1927.10502953):
    (p + z^2/2n +- z sqrt(p(1-p)/n + z^2/4n^2)) / (1 + z^2/n).

    >>> p = wilson(8, 20)
    >>> round(p.low, 4), round(p.high, 4)
    (0.2188, 0.6134)
    """
    if not (0 <= k <= n):
        raise ValueError(f"wilson: k = {k} must be within 0-n (n = {n})")
    if n == 0:
        return Proportion(0, 0, math.nan, math.nan, level)
    z = float(_stats.norm.ppf(0.5 + level / 2))
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z / denom * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return Proportion(k, n, max(0.0, centre - half), min(1.0, centre + half), level)


def measure(value: np.ndarray, baseline: np.ndarray, how: str) -> np.ndarray:
    """The responder measure of endpoint values and their baselines (NaN where undefined)."""
    value, baseline = np.asarray(value, float), np.asarray(baseline, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        if how == "value":
            return value
        if how == "change_from_baseline":
            return value - baseline
        if how == "ratio_to_baseline":
            return np.where(baseline != 0, value / baseline, np.nan)
        if how == "percent_change_from_baseline":
            return np.where(baseline != 0, 100.0 * (value - baseline) / baseline, np.nan)
    raise ValueError(f"measure {how!r}")


def responds(values: np.ndarray, responder: ResponderSpec) -> np.ndarray:
    """Whether each measure meets the responder definition (False for NaN)."""
    t, v = responder.threshold, np.asarray(values, float)
    with np.errstate(invalid="ignore"):
        out = {">=": v >= t, ">": v > t, "<=": v <= t, "<": v < t}[responder.comparison]
    return out & np.isfinite(v)


# -- sensitivity -----------------------------------------------------------------------------------
def _bins(n: int) -> np.ndarray:
    """SALib delta's class boundaries for a sample of n (ranks)."""
    exp = 2 / (7 + np.tanh((1500 - n) / 500))
    m = int(np.round(min(int(np.ceil(n ** exp)), 48)))
    return np.linspace(0, n, m + 1)


def first_order(y: np.ndarray, x: np.ndarray, categorical: bool) -> float:
    """First-order Sobol index of input x for output y, from given data."""
    if np.ptp(y) == 0:
        return 0.0
    if categorical:
        var = y.var()
        groups = np.unique(x)
        return float(sum((x == g).mean() * (y[x == g].mean() - y.mean()) ** 2 for g in groups) / var)
    from SALib.analyze.delta import sobol_first

    return float(sobol_first(y, np.asarray(x, float), _bins(y.size)))


# An output whose spread across members is below this fraction of its size is constant up to the
# integrator's noise (an arm where nothing happens stays at every member's baseline to ~1e-12): indices of
# that noise would be meaningless.
CONSTANT_OUTPUT = 1e-9


def varies(y: np.ndarray) -> bool:
    y = np.asarray(y, float)
    return bool(y.std() > CONSTANT_OUTPUT * max(np.abs(y).mean(), 1e-300))


@dataclass(frozen=True)
class Index:
    input: str
    S1: float
    low: float
    high: float


def sensitivity(y: np.ndarray, inputs: dict[str, tuple[np.ndarray, bool]], *, seed: int = 0,
                resamples: int = 100) -> list[Index]:
    """First-order indices of each input (name -> (values, categorical)) for y, with bootstrap 95 %
    intervals, largest first. Members with a NaN output are left out."""
    y = np.asarray(y, float)
    keep = np.isfinite(y)
    y = y[keep]
    if y.size < 4 or not varies(y):
        return []
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, y.size, size=(resamples, y.size))
    out = []
    for name, (x, categorical) in inputs.items():
        x = np.asarray(x)[keep]
        if np.unique(x).size < 2:
            continue
        s = first_order(y, x, categorical)
        boot = [first_order(y[r], x[r], categorical) for r in draws]
        out.append(Index(name, s, float(np.percentile(boot, 2.5)), float(np.percentile(boot, 97.5))))
    return sorted(out, key=lambda i: -i.S1)
