"""`calibrate(subject, observations, plan)`: a virtual patient from a person's measurements.

MAP by trust-region least squares on the whitened residuals and the standardised prior (each eta
in units of its prior sd), then a Laplace (Gauss-Newton) approximation of the posterior by default,
or an affine-invariant ensemble MCMC (emcee) on request. Parameters whose prior-scale sensitivity
is negligible for every observation are screened out first: their posterior is their prior,
exactly, and the report says so.

The posterior also carries its Laplace evidence, log p(y) ~ -S(x*)/2 - log det(H)/2 with S the sum of
squared whitened (M3 for censored values) residuals and standardised etas at the MAP x* and H = J^T J
its Gauss-Newton Hessian: with the prior N(0, I) on x the (2 pi)^(m/2) factors cancel, uninformed
parameters contribute nothing, and the observations' own constants are left out, so it compares the
same observations under different subjects (assess/mixture.py), not different data."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy.optimize import least_squares

from ..errors import DataError, EngineError
from ..plan import Plan
from ..subject import Subject
from .posterior import Posterior
from .priors import CalibrationParameter
from .convergence import rhat_limit, summary
from .problem import Problem, censored_curvature

FD_STEP = 1e-3  # central differences in eta (log-parameter)
SCREEN = 0.02  # a parameter moving no observation by 2% of its sd per prior sd is not informed
BOUND = 5.0  # the search stays within 5 prior sd: beyond that the priors' tails are not credible
# The timed (integrated, costly) Jacobian columns: informed parameters above a tenth of SCREEN at
# the prior median, looser because a sensitivity can grow on the way to the MAP.
TIMED_SCREEN = 0.1 * SCREEN
# MCMC: walkers rejected beyond 8 prior sd (prior density e^-32: never a credible draw); a fixed
# burn-in from the Laplace start, then sampling until every parameter's bulk and tail ESS reach
# MCMC_MIN_ESS and its split R-hat is below convergence.rhat_limit (Vehtari 2021's 1.01, widened for
# the ensemble's many walker chains), or a limit of time or steps is reached: then the result says
# plainly that the chain has not converged.
MCMC_LIMIT, MCMC_BURN = 8.0, 500
MCMC_MIN_ESS = 400
MCMC_MAX_SECONDS = 300.0
MCMC_MAX_STEPS = 100_000
MCMC_CHUNK = 250  # steps between convergence checks, at least (then sized from the ESS so far)


def calibrate(subject: Subject, observations, plan: Plan = Plan(), *,
              method: Literal["laplace", "mcmc"] = "laplace",
              parameters: tuple[CalibrationParameter, ...] | None = None,
              samples: int = 2000, seed: int = 0, progress: bool = False,
              min_ess: float = MCMC_MIN_ESS, max_seconds: float = MCMC_MAX_SECONDS,
              max_steps: int = MCMC_MAX_STEPS) -> Posterior:
    """Posterior of the subject's calibration parameters given `observations`.

    `observations` are `ModelObservation`s (neuroscape.assess.observations): baseline ones
    (`time_h` None) are fitted at the steady state, timed ones along `plan` (the medication
    history, t = 0 at its first dose). The prior medians are the subject's covariate-adjusted
    values; `parameters` restricts which are calibrated (default: every one with a prior).
    MCMC runs until every informed parameter has `min_ess` effective draws (bulk and tail) and
    R-hat below convergence.rhat_limit, or `max_seconds` / `max_steps` (after burn-in) are spent: then `converged` is
    False and `message` says why; diagnostics hold ESS and R-hat per parameter."""
    if method not in ("laplace", "mcmc"):
        raise DataError(f"method = {method!r}; allowed: 'laplace', 'mcmc'")
    if samples < 10:
        raise DataError(f"samples = {samples}; ask for at least 10")
    for name, value, low in (("min_ess", min_ess, 10), ("max_seconds", max_seconds, 0), ("max_steps", max_steps, 1)):
        if not value >= low:
            raise DataError(f"{name} = {value}; give a number of at least {low}")
    start = time.perf_counter()
    prob = Problem(subject, observations, plan, parameters)
    counter = {"n": 0}

    def predict(etas, which="all"):
        counter["n"] += np.atleast_2d(etas).shape[0]
        return prob.predict(etas, which)

    # Screen: sensitivity of each whitened residual to one prior sd of each parameter.
    zero = np.zeros(prob.k)
    pred0, status0 = predict(zero)
    if status0[0] != "ok" or not np.all(np.isfinite(pred0)):
        raise EngineError(f"the prior-median patient cannot be simulated ({status0[0]})")
    J0 = _jacobian(prob, predict, zero, np.flatnonzero(prob.reaches_baseline),
                   np.flatnonzero(prob.reaches_timed))
    impact = np.abs(J0) * prob.omega
    informed = impact.max(axis=0) > SCREEN
    timed_rows = ~prob.obs.baseline
    timed_cols = informed & (impact[timed_rows].max(axis=0) > TIMED_SCREEN if timed_rows.any()
                             else np.zeros(prob.k, bool))
    cols = np.flatnonzero(informed)
    omega = prob.omega[cols]

    def eta_of(x):
        eta = np.zeros(prob.k)
        eta[cols] = x * omega
        return eta

    def fun(x):
        pred, status = predict(eta_of(x))
        r = -prob.residuals(pred)[0]
        if status[0] != "ok" or not np.all(np.isfinite(r)):
            r = np.full_like(prob.obs.values, 1e3)
        return np.concatenate([r, x])

    def jac(x):
        J = _jacobian(prob, predict, eta_of(x), cols, np.flatnonzero(timed_cols))
        return np.vstack([-J[:, cols] * omega, np.eye(cols.size)])

    if cols.size:
        fit = least_squares(fun, np.zeros(cols.size), jac=jac, method="trf",
                            bounds=(-BOUND, BOUND), x_scale=1.0, max_nfev=200,
                            ftol=1e-6, xtol=1e-6, gtol=1e-6)
        x_map, converged, message = fit.x, bool(fit.status > 0), fit.message
        Jx = Jc = jac(x_map)
        if prob.obs.censor.any():  # Laplace: a censored value's -log Phi curvature exact, Gauss-Newton in the model
            scale = censored_curvature(prob.whitened(predict(eta_of(x_map))[0])[0], prob.obs.censor)
            Jc = Jx * np.concatenate([scale, np.ones(cols.size)])[:, None]
        cov_x = np.linalg.inv(Jc.T @ Jc)
        logdet = float(np.linalg.slogdet(Jc.T @ Jc)[1])
    else:
        x_map, converged, message = np.zeros(0), True, "no parameter is informed by these observations"
        cov_x = np.zeros((0, 0))
        Jx = np.zeros((prob.obs.values.size, 0))
        logdet = 0.0
    eta_map = eta_of(x_map)
    # d(prediction / sd)/d eta at the MAP: with the residuals at the prior median it apportions
    # the MAP shift among the observations (linearised: eta_map ~ cov S^T r0).
    sensitivity = np.zeros((prob.obs.values.size, prob.k))
    sensitivity[:, cols] = Jx[:prob.obs.values.size] / omega
    cov = np.diag(prob.omega ** 2)
    cov[np.ix_(cols, cols)] = omega[:, None] * cov_x * omega[None, :]

    rng = np.random.default_rng(seed)
    diagnostics: dict = {"informed": int(cols.size), "parameters": prob.k,
                         "observations": int(prob.obs.values.size)}
    if method == "laplace":
        draws = rng.multivariate_normal(eta_map, cov, size=samples, method="cholesky")
    else:
        draws, diag = _mcmc(prob, predict, cols, omega, x_map, cov_x, samples, rng, progress,
                            MCMCLimits(min_ess, max_seconds, max_steps))
        diagnostics.update(diag)
        if not diag["mcmc_converged"]:
            converged = False
            message = f"{message}; MCMC NOT converged: {diag['mcmc_message']}"
        else:
            message = f"{message}; MCMC: {diag['mcmc_message']}"
        cov = np.diag(prob.omega ** 2)
        cov[np.ix_(cols, cols)] = np.cov(draws[:, cols], rowvar=False).reshape(cols.size, cols.size)
    pred_map, _ = predict(eta_map)
    residuals_map = prob.residuals(pred_map)[0]
    # Laplace evidence at the MAP, before any MCMC (assess/mixture.py weighs phenotypes with it)
    log_evidence = -0.5 * float(np.sum(residuals_map ** 2) + np.sum(x_map ** 2)) - 0.5 * logdet
    return Posterior(
        subject=subject, plan=plan, parameters=prob.parameters, p0=prob.p0,
        targets=tuple(prob._targets), parameter_names=prob.model.network.parameter_names,
        eta_map=eta_map, cov=cov, samples=draws, informed=informed, method=method,
        converged=converged, message=str(message), evaluations=counter["n"],
        seconds=time.perf_counter() - start, observations=tuple(observations),
        predicted=pred_map[0], residuals=residuals_map,
        residuals_prior=prob.residuals(pred0)[0], sensitivity=sensitivity, diagnostics=diagnostics,
        log_evidence=log_evidence if np.isfinite(log_evidence) else -np.inf)


def _jacobian(prob: Problem, predict, eta: np.ndarray, cols: np.ndarray,
              timed_cols: np.ndarray) -> np.ndarray:
    """d residual (Problem.residuals) / d eta by central differences, one batch for the steady-state
    observations and one (only over `timed_cols`) for the integrated ones."""
    J = np.zeros((prob.obs.values.size, prob.k))
    base = prob.obs.baseline

    def block(columns, which):
        if columns.size == 0:
            return None
        E = np.repeat(eta[None, :], 2 * columns.size, axis=0)
        E[np.arange(columns.size), columns] += FD_STEP
        E[columns.size + np.arange(columns.size), columns] -= FD_STEP
        pred, status = predict(E, which)
        W = prob.residuals(pred)
        bad = np.array([s != "ok" for s in status])
        if bad.any():
            raise EngineError(f"{int(bad.sum())} finite-difference simulations failed "
                              f"({sorted({s for s in status if s != 'ok'})})")
        return (W[:columns.size] - W[columns.size:]) / (2 * FD_STEP)

    if base.any():
        d = block(np.asarray(cols), "baseline")
        if d is not None:
            J[np.ix_(base, cols)] = d[:, base].T
    if (~base).any():
        tc = np.asarray(timed_cols)
        d = block(tc, "timed")
        if d is not None:
            J[np.ix_(~base, tc)] = d[:, ~base].T
    return J


@dataclass(frozen=True)
class MCMCLimits:
    min_ess: float
    max_seconds: float
    max_steps: int


def _mcmc(prob, predict, cols, omega, x_map, cov_x, samples, rng, progress, limits: MCMCLimits):
    """Ensemble MCMC over the informed parameters (standardised); the rest are drawn from the prior.
    Sampled in chunks after the burn-in until every informed parameter converges (ESS, R-hat) or
    a limit is reached. The draws are spread evenly over the whole post-burn-in chain."""
    import emcee

    m = cols.size
    draws = rng.normal(0.0, prob.omega, size=(samples, prob.k))
    if m == 0:
        return draws, {"acceptance": None, "mcmc_converged": True,
                       "mcmc_message": "no informed parameter: every draw is from the prior"}

    def log_prob(X):
        X = np.atleast_2d(X)
        E = np.zeros((X.shape[0], prob.k))
        E[:, cols] = X * omega
        pred, status = predict(E)
        W = prob.residuals(pred)
        lp = -0.5 * (np.sum(W ** 2, axis=1) + np.sum(X ** 2, axis=1))
        bad = np.array([s != "ok" for s in status]) | ~np.isfinite(lp) | np.any(np.abs(X) > MCMC_LIMIT, axis=1)
        return np.where(bad, -np.inf, lp)

    walkers = max(2 * m + 2, 16)  # emcee needs more than 2 walkers per dimension; 16 at least
    start = rng.multivariate_normal(x_map, cov_x, size=walkers, method="cholesky")
    sampler = emcee.EnsembleSampler(walkers, m, log_prob, vectorize=True)
    sampler.random_state = np.random.RandomState(int(rng.integers(2**31))).get_state()
    names = [prob.parameters[j].name for j in cols]
    r_max = rhat_limit(2 * walkers, limits.min_ess)  # split walker chains
    began = time.perf_counter()
    bar = task = None
    if progress:
        from rich.progress import Progress

        bar = Progress(transient=True)
        bar.start()
        task = bar.add_task(f"MCMC ({walkers} walkers, {m} parameters, to ESS {limits.min_ess:g})",
                            total=MCMC_BURN + MCMC_CHUNK)

    def advance(state, steps):
        for state in sampler.sample(state, iterations=steps):
            if bar is not None:
                bar.advance(task)
        return state

    try:
        state = advance(start, MCMC_BURN)
        steps, chunk = 0, MCMC_CHUNK
        while True:
            state = advance(state, chunk)
            steps += chunk
            chain = sampler.get_chain(discard=MCMC_BURN)  # (steps, walkers, m)
            per = {n: summary(chain[:, :, j].T) for j, n in enumerate(names)}
            ess = min(min(d["ess_bulk"], d["ess_tail"]) for d in per.values())
            worst_rhat = max(d["rhat"] for d in per.values())
            done = ess >= limits.min_ess and worst_rhat < r_max  # NaN (a stuck chain) is never done
            elapsed = time.perf_counter() - began
            if done or elapsed >= limits.max_seconds or steps >= limits.max_steps:
                break
            # steps for the target at the ESS per step so far, 20% over; at most doubling the chain
            want = steps * limits.min_ess / ess * 1.2 - steps if ess > 0 else steps
            chunk = int(np.clip(want, MCMC_CHUNK, max(MCMC_CHUNK, steps)))
            chunk = min(chunk, limits.max_steps - steps)
            if bar is not None:
                bar.update(task, total=MCMC_BURN + steps + chunk)
    finally:
        if bar is not None:
            bar.stop()
    flat = sampler.get_chain(discard=MCMC_BURN, flat=True)
    pick = np.unique(np.linspace(0, flat.shape[0] - 1, min(samples, flat.shape[0])).round().astype(int))
    draws = draws[:pick.size]
    draws[:, cols] = flat[pick] * omega
    if done:
        note = f"every parameter has ESS >= {limits.min_ess:g} and R-hat < {r_max:.3f}"
    else:
        short = [n for n, d in per.items() if not min(d["ess_bulk"], d["ess_tail"]) >= limits.min_ess
                 or not d["rhat"] < r_max]
        limit = (f"the time limit ({limits.max_seconds:g} s)" if elapsed >= limits.max_seconds
                 else f"the step limit ({limits.max_steps} steps)")
        note = (f"stopped at {limit} with ESS {ess:.0f} (target {limits.min_ess:g}) and R-hat {worst_rhat:.3f} "
                f"(limit {r_max:.3f}); short: {', '.join(short)}; the intervals are not yet reliable (allow "
                "more time: --max-seconds)")
    with np.errstate(divide="ignore", invalid="ignore"):  # ESS = walkers * steps / tau
        tau = max(walkers * steps / d["ess_bulk"] for d in per.values())
    return draws, {
        "acceptance": float(np.mean(sampler.acceptance_fraction)), "walkers": walkers,
        "steps": MCMC_BURN + steps, "burn_in": MCMC_BURN, "mcmc_seconds": time.perf_counter() - began,
        # the integrated autocorrelation time in steps of the ensemble, from the bulk ESS
        "autocorr_steps": float(tau) if np.isfinite(tau) else None,
        "mcmc_converged": bool(done), "mcmc_message": f"{note} ({MCMC_BURN} + {steps} steps x {walkers} walkers)",
        "min_ess": limits.min_ess, "rhat_limit": r_max,
        "convergence": [{"parameter": n, **{k: float(v) for k, v in d.items()}} for n, d in per.items()],
    }
