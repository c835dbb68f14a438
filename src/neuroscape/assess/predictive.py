"""The model's prediction of each observed quantity over time, from posterior draws: the data for a visual
predictive check (report/assessment.py draws it).

For each readout the record observes, `predictive_bands` integrates `draws` posterior draws on a dense
grid (timegrid.dense_times: finer after each dose, every observation time on it) and keeps, at
each time, the median and the central `level` interval of the model value (parameter uncertainty), and
the same interval of a new measurement (the model value with the observation's error model added:
log-normal for a proportional error, normal for an additive or combined one). Baseline observations
(taken before any medication) are predicted at the start state, as calibration fits them."""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from ..scenario import model_for, scenario
from ..timegrid import dense_times
from .posterior import Posterior
from .priors import omega_of
from .problem import CALIBRATION_SOLVER, parameter_matrix

CHUNK = 16  # draws integrated per batch: a dense grid of ~100 states per draw stays well under 100 MB
NOISE_REPLICATES = 20  # measurements simulated per draw for the measurement interval
# The even part of the grid: coarser than a protocol plot's (each point is integrated for every draw);
# the ladder after each dose still puts the peaks on it.
BASE_POINTS = 500
MAX_POINTS = 3000  # at most: 16 draws x 3000 times x ~100 states stay under 40 MB


@dataclass(frozen=True)
class PredictiveBand:
    """One observed readout's posterior prediction. Arrays over `times_h`; `baseline_*`: at the start
    state (NaN when no baseline observation asks for it). `observations`: indices into the posterior's
    observations that this band covers."""

    quantity: str
    region: str | None
    unit: str
    times_h: np.ndarray
    median: np.ndarray
    low: np.ndarray
    high: np.ndarray
    measured_low: np.ndarray
    measured_high: np.ndarray
    baseline: tuple[float, float, float]  # median, low, high of the model value at the start state
    baseline_measured: tuple[float, float]  # low, high of a measurement at the start state
    observations: tuple[int, ...]
    level: float
    draws: int


def _noise(values: np.ndarray, ob) -> np.ndarray:
    """Measurements of true values `values` (draws, T) -> (draws * NOISE_REPLICATES, T). The errors are
    the normal quantiles at (k + 1/2) / NOISE_REPLICATES, the same at every time (stratified, not random),
    so the band's edges are as smooth as the model's."""
    z = np.array([NormalDist().inv_cdf((k + 0.5) / NOISE_REPLICATES) for k in range(NOISE_REPLICATES)])
    v = np.repeat(values, NOISE_REPLICATES, axis=0)
    e = np.tile(z, values.shape[0])[:, None]
    if ob.error_kind == "proportional":
        return v * np.exp(omega_of(ob.cv) * e)
    sd = ob.sd if ob.error_kind == "additive" else np.hypot(ob.sd, ob.cv * v)
    return v + sd * e


def predictive_bands(posterior: Posterior, *, draws: int = 40, level: float = 0.9, seed: int = 0,
                     times_h=None) -> tuple[PredictiveBand, ...]:
    """A band per observed readout (in the order first observed) from `draws` posterior draws on the
    grid `times_h` (default: dense, from 0 to a little past the last timed observation)."""
    if not 0 < level < 1:
        raise ValueError(f"level = {level}; it must be within 0-1")
    obs = posterior.observations
    plan = posterior.plan
    model = model_for(plan)
    keys: dict[str, list[int]] = {}
    specs = {}
    for i, ob in enumerate(obs):
        ro = model.network.readout(ob.quantity, ob.region)
        keys.setdefault(ro.key, []).append(i)
        specs[ro.key] = ro
    timed = [float(ob.time_h) for ob in obs if ob.time_h is not None]
    if times_h is None:
        last = max(timed, default=0.0)
        end = last * 1.04 if last > 0 else 0.0
        doses = [d.at_h for d in plan.doses if d.at_h <= end]
        times_h = (dense_times(end, doses, timed, base_points=BASE_POINTS, max_points=MAX_POINTS) if timed
                   else np.zeros(0))
    times_h = np.asarray(times_h, dtype=float)
    rng = np.random.default_rng(seed)
    n = posterior.samples.shape[0]
    idx = rng.choice(n, size=min(draws, n), replace=False)
    P = parameter_matrix(posterior.p0, posterior.targets, posterior.samples[idx])
    sc = scenario(posterior.subject, plan, float(times_h[-1]) if times_h.size else 0.0, model=model)
    fns = {k: model.readout_function(k) for k in keys}
    base_vals = {k: [] for k in keys}
    timed_vals = {k: [] for k in keys}
    for lo in range(0, P.shape[0], CHUNK):
        start = sc.start_batch(P[lo:lo + CHUNK], CALIBRATION_SOLVER)
        ok = start.ok
        P0 = start.start_inputs()
        for k, fn in fns.items():
            base_vals[k].append(np.asarray(fn(start.Y0, P0))[ok])
        if times_h.size:
            traj, status, _ = start.integrate(times_h, CALIBRATION_SOLVER)
            good = np.array([s == "ok" for s in status])
            Pt = start.inputs_at(times_h)
            b, T = traj.shape[0], times_h.size
            Y, PP = traj.reshape(b * T, -1), Pt.reshape(b * T, -1)
            for k, fn in fns.items():
                timed_vals[k].append(np.asarray(fn(Y, PP)).reshape(b, T)[good])
    q = [(1 - level) / 2, 0.5, (1 + level) / 2]
    out = []
    for key, members in keys.items():
        ro, first = specs[key], obs[members[0]]
        base = np.concatenate(base_vals[key])
        bq = tuple(float(x) for x in np.quantile(base, q)) if base.size else (np.nan,) * 3
        bm = tuple(float(x) for x in np.quantile(_noise(base[:, None], first), q[::2])) if base.size else (np.nan,) * 2
        if times_h.size:
            V = np.concatenate(timed_vals[key])
            lo_, med, hi_ = np.quantile(V, q, axis=0)
            m_lo, _, m_hi = np.quantile(_noise(V, first), q, axis=0)
        else:
            lo_ = med = hi_ = m_lo = m_hi = np.zeros(0)
        out.append(PredictiveBand(ro.quantity, ro.region, ro.unit, times_h, med, lo_, hi_, m_lo, m_hi,
                                  (bq[1], bq[0], bq[2]), bm, tuple(members), level, int(base.size)))
    return tuple(out)


@dataclass(frozen=True)
class DrawGroup:
    """Posterior draws of one subject: eta rows (n, len(names)) of the calibration parameters `names` (a
    phenotype mixture has one group per phenotype, each with its subject)."""

    subject: object
    names: tuple[str, ...]
    etas: np.ndarray


def observation_predictive(groups, observations, plan, *, level: float = 0.9) -> list[dict]:
    """Each of `observations` (ModelObservations on `plan`'s time axis) against the predictive distribution of
    a new measurement from the draws in `groups` (DrawGroup): median and central `level` interval (the model
    value with the observation's error model, stratified as in the bands above), whether the observed value
    lies inside, and the fraction of predicted measurements below it. A parameter the draws do not hold (a
    drug started since) stays at its prior median. A censored value ('<5') is never 'inside'-tested (None):
    `below` then says how likely a measurement under its limit was."""
    from .problem import Problem

    if not 0 < level < 1:
        raise ValueError(f"level = {level}; it must be within 0-1")
    if not observations:
        return []
    measured = []
    for g in groups:
        if g.etas.shape[0] == 0:
            continue
        prob = Problem(g.subject, observations, plan)
        E = np.zeros((g.etas.shape[0], prob.k))
        col = {n: j for j, n in enumerate(g.names)}
        for j, c in enumerate(prob.parameters):
            if c.name in col:
                E[:, j] = g.etas[:, col[c.name]]
        pred, status = prob.predict(E)
        ok = np.array([s == "ok" for s in status]) & np.all(np.isfinite(pred), axis=1)
        measured.append(np.column_stack([_noise(pred[ok, i][:, None], ob)[:, 0]
                                         for i, ob in enumerate(observations)]))
    M = np.vstack(measured) if measured else np.zeros((0, len(observations)))
    if M.shape[0] == 0:
        from ..errors import EngineError

        raise EngineError("no posterior draw could be simulated for the new observations (or none was given)")
    lo_q, hi_q = (1 - level) / 2, (1 + level) / 2
    out = []
    for i, ob in enumerate(observations):
        col = M[:, i]
        low, median, high = (float(x) for x in np.quantile(col, [lo_q, 0.5, hi_q]))
        censor = getattr(ob, "censor", None)
        value = float(ob.value)
        out.append({"label": ob.label, "quantity": ob.quantity, "region": ob.region, "time_h": ob.time_h,
                    "unit": ob.unit, "observed": value, "censor": censor,
                    "observed_text": f"{censor or ''}{value:.4g}", "predicted_median": median,
                    "predicted_low": low, "predicted_high": high, "level": level,
                    "inside": None if censor else bool(low <= value <= high),
                    "below": float(np.mean(col < value)), "draws": int(col.size // NOISE_REPLICATES),
                    "source": ob.source})
    return out
