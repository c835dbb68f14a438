"""The calibration problem: predictions of a record's observations for many parameter sets at once.

Baseline observations (taken before any medication) are predicted at the subject's start state
(neuroscape.scenario: the steady state, or where her own hormone course has brought her by t = 0);
timed observations by integrating the medication plan, with that course, from there. Both run
through the engine's batch kernels, so a finite-difference Jacobian or an ensemble of MCMC walkers
costs one parallel call."""

from __future__ import annotations

import weakref
from dataclasses import dataclass

import numpy as np
from scipy import special

from ..engine.compiled import CompiledModel, Events, Solver
from ..errors import DataError, EngineError, ModelError
from ..model.assemble import inline_expressions, resolve
from ..plan import Plan
from ..scenario import model_for, scenario
from ..subject import Subject
from .priors import CalibrationParameter, calibration_parameters, omega_of

# Tighter than the default: finite differences of a trajectory need the integration error well
# below the step's effect (step 1e-3 in log-parameter, central differences): 1e-7 keeps
# the derivative error near 1e-4 relative at half the cost of 1e-8.
CALIBRATION_SOLVER = Solver(rtol=1e-7, atol=1e-9)


CENSOR_SIGN = {None: 0, "<": -1, ">": 1}


def censored_residual(z: np.ndarray, censor: np.ndarray) -> np.ndarray:
    """The M3 pseudo-residual (Beal 2001, doi:10.1023/A:1012299115260) of censored values, z
    elsewhere. z = (limit - predicted) / sd on the error model's scale; the likelihood of "<" is
    Phi(z), of ">" 1 - Phi(z) = Phi(-z). r = -+sqrt(-2 log Phi(+-z)) has r^2 = -2 log-likelihood,
    as z^2 is for a measured value (up to a constant that does not depend on the parameters,
    since sd is fixed), so a sum of squares is still the exact negative log-posterior: the MAP
    stays a least-squares problem with its bounds and batched Jacobians. -2 log Phi is smooth and
    never 0, so r is smooth; its sign is that of (observed - predicted), the pull's direction: a
    limit far above the prediction gives r ~ 0 (no information), one far below gives r ~ z."""
    z = np.asarray(z, dtype=float)
    s = np.where(censor < 0, z, -z)
    with np.errstate(invalid="ignore"):
        r = np.sqrt(-2.0 * special.log_ndtr(s))
    return np.where(censor == 0, z, np.where(censor < 0, -r, r))


def censored_curvature(z: np.ndarray, censor: np.ndarray) -> np.ndarray:
    """Per observation, sqrt(exact / Gauss-Newton curvature) of its -log-likelihood in z: 1 for a
    measured value; for a censored one 0.5 d2/dz2[-2 log Phi(s)] over (dr/dz)^2. Scaling a
    censored row of the Jacobian by it makes J^T J the exact Fisher information in z (Gauss-
    Newton alone under-states it: at z = 0 it gives 0.46 of the true 0.64). -log Phi is convex,
    so the ratio is positive (-> 1 far below the limit, -> sqrt 2 far above it)."""
    z = np.asarray(z, dtype=float)
    s = np.where(censor < 0, z, -z)
    log_phi = special.log_ndtr(s)
    log_mills = -0.5 * s * s - 0.5 * np.log(2 * np.pi) - log_phi  # log phi(s) / Phi(s)
    # ratio^2 = (s + mills) * f / mills with f = -2 log Phi(s), in logs: f and mills underflow
    # together far above the limit
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        ratio = np.sqrt(np.clip(s + np.exp(log_mills), 0.0, None)
                        * np.exp(np.log(2.0) + np.log(-log_phi) - log_mills))
    ratio = np.where(np.isfinite(ratio) & (ratio > 0), ratio, np.where(s > 0, np.sqrt(2.0), 1.0))
    return np.where(censor == 0, 1.0, ratio)


def rhythm_factor(quantity: str, clock_h: float | None) -> float:
    """The model holds circadian analytes at their 24-h mean; a sample taken at a clock time is
    that mean times the rhythm's fold there (cortisol: Debono 2009 curve, interventions/circadian)."""
    if clock_h is None or quantity != "plasma.cortisol":
        return 1.0
    from ..interventions.circadian import cortisol_coefficients, cortisol_nmol_l

    return float(cortisol_nmol_l(clock_h % 24.0)) / cortisol_coefficients()[0]


@dataclass(frozen=True)
class ObservationModel:
    """Arrays describing the observations: where each comes from and how it is weighted."""

    keys: tuple[str, ...]  # readout keys
    times: np.ndarray  # time_h, NaN for baseline
    values: np.ndarray
    log_scale: np.ndarray  # bool: proportional error, compared on the log scale
    sigma: np.ndarray  # sd on the log scale (proportional) or in the readout unit
    factor: np.ndarray  # multiplies the readout: clock-time fold of circadian analytes
    censor: np.ndarray  # -1: "<" (the value is a limit the truth lies below), +1: ">", 0: measured

    @property
    def baseline(self) -> np.ndarray:
        return np.isnan(self.times)


def observation_model(observations, model: CompiledModel) -> ObservationModel:
    keys, times, values, logs, sigmas, factors, censors = [], [], [], [], [], [], []
    for i, ob in enumerate(observations):
        where = f"observation {i} ({getattr(ob, 'label', ob.quantity)}, {getattr(ob, 'source', '')})"
        try:
            ro = model.network.readout(ob.quantity, ob.region)
        except ModelError as exc:  # the network names what it has
            raise DataError(f"{where}: {exc}") from None
        if ro.unit != ob.unit:
            raise DataError(f"{where}: unit {ob.unit!r} but the readout {ro.key} is in {ro.unit!r}; "
                            "convert it at import (neuroscape.assess.units)")
        value = float(ob.value)
        censor = getattr(ob, "censor", None)
        if censor not in CENSOR_SIGN:
            raise DataError(f"{where}: censor {censor!r}; allowed: '<' (below the limit given as value), "
                            "'>' (above it) or None (a measured value)")
        kind = ob.error_kind
        if kind == "proportional":
            if value <= 0:
                raise DataError(f"{where}: value {value} must be > 0 for a proportional error model")
            sigma = omega_of(ob.cv)  # log-scale sd of a proportional error
        elif kind == "additive":
            sigma = float(ob.sd)
        elif kind == "combined":
            # Evaluated at the observed value so that the objective stays a sum of squares.
            sigma = float(np.hypot(ob.sd, ob.cv * value))
        else:
            raise DataError(f"{where}: error model {kind!r}; allowed: proportional, additive, combined")
        if not sigma > 0:
            raise DataError(f"{where}: the error model gives sd {sigma}; it must be > 0")
        keys.append(ro.key)
        times.append(np.nan if ob.time_h is None else float(ob.time_h))
        values.append(value)
        logs.append(kind == "proportional")
        sigmas.append(sigma)
        factors.append(rhythm_factor(ob.quantity, getattr(ob, "clock_h", None)))
        censors.append(CENSOR_SIGN[censor])
    if not keys:
        raise DataError("no observations to calibrate against")
    return ObservationModel(tuple(keys), np.asarray(times), np.asarray(values), np.asarray(logs),
                            np.asarray(sigmas), np.asarray(factors), np.asarray(censors, dtype=np.int8))


_DEPENDENCIES: weakref.WeakKeyDictionary[CompiledModel, tuple] = weakref.WeakKeyDictionary()


def _dependencies(model: CompiledModel):
    """Per species, the species and parameters its rate of change reads (from the rate laws),
    and a cache of each readout's structural parameters (resolving sympy is the slow part)."""
    if model not in _DEPENDENCIES:
        table, resolved = inline_expressions(model.network)
        species, params = set(model.network.species_names), set(model.network.parameter_names)
        dep_s: dict[str, set] = {n: set() for n in species}
        dep_p: dict[str, set] = {n: set() for n in species}
        for r in model.network.reactions:
            names = {x.name for x in resolve(r.rate, table, resolved, r.name).free_symbols}
            for target in r.stoich:
                dep_s[target] |= names & species
                dep_p[target] |= names & params
        _DEPENDENCIES[model] = (table, resolved, dep_s, dep_p, {})
    return _DEPENDENCIES[model]


def structural_parameters(model: CompiledModel, readout_key: str) -> set[str]:
    """Every parameter a readout can depend on through the model's structure (its own expression
    and the rate laws of every species upstream of it). Others have exactly zero sensitivity."""
    table, resolved, dep_s, dep_p, reach = _dependencies(model)
    if readout_key not in reach:
        ro = next(r for r in model.network.readouts if r.key == readout_key)
        names = {x.name for x in resolve(ro.expr, table, resolved, ro.key).free_symbols}
        params = {n for n in names if n in model.param_index}
        todo = [n for n in names if n in dep_s]
        seen = set(todo)
        while todo:
            s = todo.pop()
            params |= dep_p[s]
            for u in dep_s[s] - seen:
                seen.add(u)
                todo.append(u)
        reach[readout_key] = frozenset(params)
    return set(reach[readout_key])


def parameter_matrix(p0: np.ndarray, targets, etas: np.ndarray) -> np.ndarray:
    """Network parameter rows (b, n): `p0` with each calibration parameter's `targets` (index
    arrays) scaled by exp(eta), for each row of `etas` (b, k)."""
    etas = np.atleast_2d(etas)
    P = np.tile(p0, (etas.shape[0], 1))
    for j, idx in enumerate(targets):
        P[:, idx] *= np.exp(etas[:, j])[:, None]
    return P


class Problem:
    """Subject + plan + observations + calibration parameters, evaluated in batches of eta."""

    # A cycling woman's members start their run-in from the prior median's periodic state
    # (Scenario.start_batch warm): fewer cycles for the same periodicity test.
    warm_run_in = True

    def __init__(self, subject: Subject, observations, plan: Plan = Plan(),
                 parameters: tuple[CalibrationParameter, ...] | None = None):
        self.subject, self.plan = subject, plan
        self.model = model_for(plan)
        self.obs = observation_model(observations, self.model)
        self.parameters = parameters or calibration_parameters(self.model.network)
        timed = ~self.obs.baseline
        self.times = np.unique(self.obs.times[timed]) if timed.any() else np.zeros(0)
        self.scenario = scenario(subject, plan, float(self.times[-1]) if self.times.size else 0.0,
                                 model=self.model)
        self.p0 = self.scenario.p
        ss = self.scenario.reference_state
        if not ss.ok:
            raise EngineError(f"no baseline steady state for this subject ({ss.status})")
        self.y_ref = ss.y
        self.omega = np.array([c.omega for c in self.parameters])
        pi = self.model.param_index
        self._targets = [np.array([pi[t] for t in c.targets], dtype=np.int64) for c in self.parameters]
        if timed.any() and not plan.doses and not plan.intakes and not plan.inputs and not self.scenario.moves:
            raise DataError("observations have times but the record has no medication or intervention "
                            "to time them from; give them as baseline observations")
        self.events: Events = self.scenario.events
        self._time_pos = np.searchsorted(self.times, self.obs.times[timed]) if timed.any() else None
        self._fns = {k: self.model.readout_function(k) for k in set(self.obs.keys)}
        reach = {k: structural_parameters(self.model, k) for k in set(self.obs.keys)}

        def connected(rows):
            names = set().union(*(reach[self.obs.keys[i]] for i in np.flatnonzero(rows)))
            return np.array([bool(names.intersection(c.targets)) for c in self.parameters])

        # Which calibration parameters can move the baseline / the timed observations at all.
        self.reaches_baseline = connected(self.obs.baseline)
        self.reaches_timed = connected(~self.obs.baseline)

    @property
    def k(self) -> int:
        return len(self.parameters)

    def parameter_matrix(self, etas: np.ndarray) -> np.ndarray:
        return parameter_matrix(self.p0, self._targets, etas)

    def predict(self, etas: np.ndarray, which: str = "all"):
        """Predictions (b, n_obs) for a batch of eta rows and a status per row ("ok" or why not).
        `which` = "baseline" or "timed" skips the other kind (its columns stay NaN)."""
        etas = np.atleast_2d(etas)
        b = etas.shape[0]
        P = self.parameter_matrix(etas)
        start = self.scenario.start_batch(P, CALIBRATION_SOLVER, guess=self.y_ref, warm=self.warm_run_in)
        status = list(start.status)
        out = np.full((b, self.obs.values.size), np.nan)
        base = self.obs.baseline
        if which in ("all", "baseline") and base.any():
            P0 = start.start_inputs()
            for i in np.flatnonzero(base):
                out[:, i] = self._fns[self.obs.keys[i]](start.Y0, P0)
        if which in ("all", "timed") and (~base).any():
            traj, status, _ = start.integrate(self.times, CALIBRATION_SOLVER)
            Pt = start.inputs_at(self.times)
            for i, pos in zip(np.flatnonzero(~base), self._time_pos):
                out[:, i] = self._fns[self.obs.keys[i]](traj[:, pos, :], Pt[:, pos, :])
        return out * self.obs.factor, status

    def whitened(self, pred: np.ndarray) -> np.ndarray:
        """(observed - predicted) / sd for each row of predictions; log scale for proportional. For
        a censored value, (limit - predicted) / sd."""
        obs = self.obs
        with np.errstate(divide="ignore", invalid="ignore"):
            lp = np.log(np.where(pred > 0, pred, np.nan))
        diff = np.where(obs.log_scale, np.log(obs.values) - lp, obs.values - pred)
        # A non-positive prediction under a proportional model is as wrong as can be: large, finite.
        diff = np.where(np.isnan(diff) & obs.log_scale, 50.0 * obs.sigma, diff)
        return diff / obs.sigma

    def residuals(self, pred: np.ndarray) -> np.ndarray:
        """What the objective squares and sums: `whitened`, with the M3 pseudo-residual of each
        censored value (censored_residual)."""
        z = self.whitened(pred)
        return censored_residual(z, self.obs.censor) if self.obs.censor.any() else z
