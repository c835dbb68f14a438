"""MCMC convergence: effective sample size and split R-hat, rank-normalised (Vehtari, Gelman, Simpson,
Carpenter, Buerkner 2021, "Rank-normalization, folding, and localization: an improved R-hat for
assessing convergence of MCMC", Bayesian Analysis 16:667, doi:10.1214/20-BA1221), written after
Stan's and ArviZ's reference implementations (ArviZ is not a dependency).

Every function takes `chains` of one scalar quantity, shape (m chains, n draws). For the ensemble
sampler each walker is a chain: the walkers' between-chain variance enters R-hat and the
multi-chain autocorrelation, as in emcee's own walker-averaged estimate of the autocorrelation time.

    ess(chains)       # Geyer's initial-monotone-sequence ESS of the draws as they are
    ess_bulk(chains)  # ESS of the split, rank-normalised draws (Vehtari 2021 eq. 10-14)
    ess_tail(chains)  # min ESS of the 5% and 95% quantile indicators
    rhat(chains)      # max of the rank-normalised split R-hat and its folded version
"""

from __future__ import annotations

import numpy as np
from scipy import stats

# Vehtari 2021's recommendation: R-hat below 1.01 (with 4 chains and ESS 400, i.e. 100 per chain).
RHAT_LIMIT = 1.01


def rhat_limit(chains: int, target_ess: float) -> float:
    """The R-hat a converged sampler reaches at `target_ess` with `chains` (split) chains: sampling
    noise alone keeps R-hat near sqrt(1 + chains / ESS) (Vats & Knudson 2021, Statistical Science
    36:518, doi:10.1214/20-STS812), so 1.01 fits 4 chains and ESS 400 but an ensemble's 32 split
    walker chains only at ESS 3200. The larger of the two: the same evidence of mixing per draw."""
    return max(RHAT_LIMIT, float(np.sqrt(1.0 + chains / target_ess)))


def _chains(chains) -> np.ndarray:
    x = np.asarray(chains, dtype=float)
    if x.ndim != 2 or x.shape[1] < 4:
        raise ValueError(f"chains has shape {x.shape}; give (chains, draws) with at least 4 draws")
    return x


def _autocovariance(x: np.ndarray) -> np.ndarray:
    """Biased (divided by n) autocovariance of each row at lags 0..n-1, by FFT."""
    n = x.shape[1]
    size = 1 << (2 * n - 1).bit_length()
    f = np.fft.rfft(x - x.mean(axis=1, keepdims=True), n=size, axis=1)
    return np.fft.irfft(f * np.conj(f), n=size, axis=1)[:, :n] / n


def ess(chains) -> float:
    """Effective sample size of m chains of n draws (Geyer's initial positive and monotone
    sequence on the multi-chain autocorrelation, Vehtari 2021 section 3.2). NaN for constant draws."""
    x = _chains(chains)
    m, n = x.shape
    acov = _autocovariance(x)
    mean_var = acov[:, 0].mean() * n / (n - 1.0)
    var_plus = mean_var * (n - 1.0) / n + (x.mean(axis=1).var(ddof=1) if m > 1 else 0.0)
    if not var_plus > 0:
        return float("nan")
    rho = 1.0 - (mean_var - acov.mean(axis=0)) / var_plus
    rho[0] = 1.0
    out = np.zeros(n)
    out[0] = 1.0
    even, odd = 1.0, rho[1]
    out[1] = odd
    t = 1
    while t < n - 3 and even + odd > 0.0:
        even, odd = rho[t + 1], rho[t + 2]
        if even + odd >= 0.0:
            out[t + 1], out[t + 2] = even, odd
        t += 2
    max_t = t - 2
    if even > 0.0:
        out[max_t + 1] = even
    # monotone: each pair sum no larger than the one before (removes noise in the tail)
    t = 1
    while t <= max_t - 2:
        if out[t + 1] + out[t + 2] > out[t - 1] + out[t]:
            out[t + 1] = out[t + 2] = (out[t - 1] + out[t]) / 2.0
        t += 2
    tau = -1.0 + 2.0 * out[:max_t + 1].sum() + out[max_t + 1:max_t + 2].sum()
    total = m * n
    return float(total / max(tau, 1.0 / np.log10(total)))


def _split(x: np.ndarray) -> np.ndarray:
    """Each chain's first and second half as two chains (a trend within a chain shows as a
    difference between its halves)."""
    half = x.shape[1] // 2
    return np.vstack([x[:, :half], x[:, x.shape[1] - half:]])


def _rank_normal(x: np.ndarray) -> np.ndarray:
    """Normal scores of the pooled ranks (Blom's offset 3/8), shaped like x."""
    ranks = stats.rankdata(x, method="average").reshape(x.shape)
    return stats.norm.ppf((ranks - 0.375) / (x.size + 0.25))


def ess_bulk(chains) -> float:
    """ESS of the centre of the distribution: of the split, rank-normalised draws."""
    return ess(_split(_rank_normal(_chains(chains))))


def ess_tail(chains) -> float:
    """ESS of the 5% and 95% quantiles (the smaller): of the split indicator draws."""
    x = _chains(chains)
    lo, hi = np.quantile(x, [0.05, 0.95])
    return min(ess(_split((x <= lo).astype(float))), ess(_split((x >= hi).astype(float))))


def _rhat(x: np.ndarray) -> float:
    n = x.shape[1]
    within = x.var(axis=1, ddof=1).mean()
    between_n = x.mean(axis=1).var(ddof=1)  # B / n
    if not within > 0:
        return float("nan")
    return float(np.sqrt(((n - 1.0) / n * within + between_n) / within))


def rhat(chains) -> float:
    """Rank-normalised split R-hat, the larger of the location (ranks) and scale (ranks of the
    distance from the median) versions: about 1 when the chains mix, > 1.01 when they do not."""
    x = _chains(chains)
    folded = np.abs(x - np.median(x))
    return max(_rhat(_split(_rank_normal(x))), _rhat(_split(_rank_normal(folded))))


def summary(chains) -> dict:
    """{"ess_bulk", "ess_tail", "rhat"} of one quantity's chains (m, n)."""
    return {"ess_bulk": ess_bulk(chains), "ess_tail": ess_tail(chains), "rhat": rhat(chains)}
