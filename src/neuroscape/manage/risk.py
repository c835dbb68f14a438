"""Risk summaries over posterior draws: probability of target attainment and tail loss.

    pta(attained)            -> Proportion(p, n, low, high)   # Wilson 95% interval
    cvar(losses, level=0.9)  -> mean of the worst (1 - level) share of losses

The Wilson score interval (Wilson 1927, J Am Stat Assoc 22:209; recommended over the Wald interval by
Brown, Cai & DasGupta 2001, Stat Sci 16:101) stays inside [0, 1] and is honest at p = 0 or 1, where a
plan search evaluated on a few hundred draws often lands. CVaR follows Rockafellar & Uryasev 2000
(J Risk 2:21): the expected loss in the upper tail beyond the level's quantile, with the atom at the
quantile split so that the value is exact for a discrete sample.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from ..errors import DataError


@dataclass(frozen=True)
class Proportion:
    p: float
    n: int
    low: float
    high: float

    def to_dict(self) -> dict:
        return {"p": self.p, "n": self.n, "ci95": [self.low, self.high]}


def pta(attained, confidence: float = 0.95) -> Proportion:
    """Share of draws that attain, with its Wilson score interval."""
    a = np.asarray(attained, dtype=bool).ravel()
    n = int(a.size)
    if n == 0:
        raise DataError("pta: no draws to count; evaluate the plan on at least one posterior draw")
    k = int(a.sum())
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    # the interval's ends are exact at k = 0 and k = n (rounding would leave 1e-17 there)
    low = 0.0 if k == 0 else float(max(0.0, centre - half))
    high = 1.0 if k == n else float(min(1.0, centre + half))
    return Proportion(p, n, low, high)


def cvar(losses, level: float = 0.9) -> float:
    """Conditional value at risk: the mean of the worst (1 - level) fraction of `losses`."""
    x = np.sort(np.asarray(losses, dtype=float).ravel())
    if x.size == 0 or not np.all(np.isfinite(x)):
        raise DataError(f"cvar: needs finite losses; got {x.size} values with "
                        f"{int(np.sum(~np.isfinite(x)))} not finite")
    if not 0 <= level < 1:
        raise DataError(f"cvar: level = {level!r}; it must be in [0, 1), e.g. 0.9 for the worst 10%")
    n = x.size
    tail = (1 - level) * n  # number of draws in the tail, possibly fractional
    whole = int(np.floor(tail + 1e-12))
    part = tail - whole
    worst = x[n - whole:].sum() if whole else 0.0
    if part > 1e-12:
        worst += part * x[n - whole - 1]
    return float(worst / tail)
