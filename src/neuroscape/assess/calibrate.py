"""`calibrate(subject, observations, plan)`: a virtual patient from a person's measurements.

MAP by trust-region least squares on the whitened residuals and the standardised prior (each eta
in units of its prior sd), then a Laplace (Gauss-Newton) approximation of the posterior by default,
or an affine-invariant ensemble MCMC (emcee) on request. Parameters whose prior-scale sensitivity
is negligible for every observation are screened out first: their posterior is their prior,
exactly, and the report says so."""

from __future__ import annotations

import time
from typing import Literal

import numpy as np
from scipy.optimize import least_squares

from ..errors import DataError, EngineError
from ..plan import Plan
from ..subject import Subject
from .posterior import Posterior
from .priors import CalibrationParameter
from .problem import Problem

FD_STEP = 1e-3  # central differences in eta (log-parameter)
SCREEN = 0.02  # a parameter moving no observation by 2% of its sd per prior sd is not informed
BOUND = 5.0  # the search stays within 5 prior sd: beyond that the priors' tails are not credible
# The timed (integrated, costly) Jacobian columns: informed parameters above a tenth of SCREEN at
# the prior median, looser because a sensitivity can grow on the way to the MAP.
TIMED_SCREEN = 0.1 * SCREEN
# MCMC: walkers rejected beyond 8 prior sd (prior density e^-32: never a credible draw); burn-in
# and thinning are fixed choices, checked by the reported autocorrelation time (autocorr_steps).
MCMC_LIMIT, MCMC_BURN, MCMC_THIN = 8.0, 500, 4


def calibrate(subject: Subject, observations, plan: Plan = Plan(), *,
              method: Literal["laplace", "mcmc"] = "laplace",
              parameters: tuple[CalibrationParameter, ...] | None = None,
              samples: int = 2000, seed: int = 0, progress: bool = False) -> Posterior:
    """Posterior of the subject's calibration parameters given `observations`.

    `observations` are `ModelObservation`s (neuroscape.assess.observations): baseline ones
    (`time_h` None) are fitted at the steady state, timed ones along `plan` (the medication
    history, t = 0 at its first dose). The prior medians are the subject's covariate-adjusted
    values; `parameters` restricts which are calibrated (default: every one with a prior)."""
    if method not in ("laplace", "mcmc"):
        raise DataError(f"method = {method!r}; allowed: 'laplace', 'mcmc'")
    if samples < 10:
        raise DataError(f"samples = {samples}; ask for at least 10")
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
        r = -prob.whitened(pred)[0]
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
        Jx = jac(x_map)
        cov_x = np.linalg.inv(Jx.T @ Jx)
    else:
        x_map, converged, message = np.zeros(0), True, "no parameter is informed by these observations"
        cov_x = np.zeros((0, 0))
        Jx = np.zeros((prob.obs.values.size, 0))
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
        draws, diag = _mcmc(prob, predict, cols, omega, x_map, cov_x, samples, rng, progress)
        diagnostics.update(diag)
        cov = np.diag(prob.omega ** 2)
        cov[np.ix_(cols, cols)] = np.cov(draws[:, cols], rowvar=False).reshape(cols.size, cols.size)
    pred_map, _ = predict(eta_map)
    return Posterior(
        subject=subject, plan=plan, parameters=prob.parameters, p0=prob.p0,
        targets=tuple(prob._targets), parameter_names=prob.model.network.parameter_names,
        eta_map=eta_map, cov=cov, samples=draws, informed=informed, method=method,
        converged=converged, message=str(message), evaluations=counter["n"],
        seconds=time.perf_counter() - start, observations=tuple(observations),
        predicted=pred_map[0], residuals=prob.whitened(pred_map)[0],
        residuals_prior=prob.whitened(pred0)[0], sensitivity=sensitivity, diagnostics=diagnostics)


def _jacobian(prob: Problem, predict, eta: np.ndarray, cols: np.ndarray,
              timed_cols: np.ndarray) -> np.ndarray:
    """d whitened residual / d eta by central differences, one batch for the steady-state
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
        W = prob.whitened(pred)
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


def _mcmc(prob, predict, cols, omega, x_map, cov_x, samples, rng, progress):
    """Ensemble MCMC over the informed parameters (standardised); the rest are drawn from the prior."""
    import emcee

    m = cols.size
    draws = rng.normal(0.0, prob.omega, size=(samples, prob.k))
    if m == 0:
        return draws, {"acceptance": None}

    def log_prob(X):
        X = np.atleast_2d(X)
        E = np.zeros((X.shape[0], prob.k))
        E[:, cols] = X * omega
        pred, status = predict(E)
        W = prob.whitened(pred)
        lp = -0.5 * (np.sum(W ** 2, axis=1) + np.sum(X ** 2, axis=1))
        bad = np.array([s != "ok" for s in status]) | ~np.isfinite(lp) | np.any(np.abs(X) > MCMC_LIMIT, axis=1)
        return np.where(bad, -np.inf, lp)

    walkers = max(2 * m + 2, 16)  # emcee needs more than 2 walkers per dimension; 16 at least
    start = rng.multivariate_normal(x_map, cov_x, size=walkers, method="cholesky")
    sampler = emcee.EnsembleSampler(walkers, m, log_prob, vectorize=True)
    sampler.random_state = np.random.RandomState(int(rng.integers(2**31))).get_state()
    burn = MCMC_BURN
    steps = burn + int(np.ceil(samples / walkers)) * MCMC_THIN
    if progress:
        from rich.progress import Progress

        with Progress(transient=True) as bar:
            task = bar.add_task(f"MCMC ({walkers} walkers, {m} parameters)", total=steps)
            for _ in sampler.sample(start, iterations=steps):
                bar.advance(task)
    else:
        sampler.run_mcmc(start, steps)
    chain = sampler.get_chain(discard=burn, thin=MCMC_THIN, flat=True)[:samples]
    draws = draws[:chain.shape[0]]
    draws[:, cols] = chain * omega
    with np.errstate(invalid="ignore", divide="ignore"):  # a walker that never moved: tau NaN
        tau = emcee.autocorr.integrated_time(sampler.get_chain(discard=burn), quiet=True)
    return draws, {"acceptance": float(np.mean(sampler.acceptance_fraction)), "walkers": walkers,
                   "steps": steps, "autocorr_steps": float(np.nanmax(tau)) if np.isfinite(tau).any() else None}
