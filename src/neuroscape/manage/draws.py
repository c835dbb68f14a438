"""Posterior (or prior) draws as parameter rows of any plan's model, with common random numbers.

A candidate plan may add drugs the calibration never saw, so its model has parameters the posterior
does not cover. `draws_for(model, subject, posterior, n, seed)` builds rows P (n, np) for `model`:
each calibration parameter of the model takes the posterior's draws when the posterior has it (same
rows for every model, so plans are compared on the same draws) and otherwise draws from its population
prior with a generator seeded by the parameter's name and `seed`, so that a drug's unseen PK varies the
same way in every candidate that doses it. `n = 0` means the point estimate: the MAP (or the subject's
typical values without a posterior), one row.

`posterior` may be a phenotype mixture (assess/mixture.py, a record without a genotype): each phenotype
gets its share of the n draws by its posterior weight (largest remainder), drawn from its own posterior
with its phenotypes in the subject; n = 0 is the most probable phenotype's MAP.
"""

from __future__ import annotations

import zlib

import numpy as np

from ..errors import DataError


def draws_for(model, subject, posterior=None, n: int = 200, seed: int = 0) -> np.ndarray:
    from ..assess.priors import calibration_parameters
    from ..assess.problem import parameter_matrix
    from ..subject import parameter_vector

    from ..assess.mixture import PhenotypeMixture

    if n < 0:
        raise DataError(f"draws = {n}; give 0 (the point estimate) or a positive number of posterior draws")
    if isinstance(posterior, PhenotypeMixture):
        if n == 0:
            best = posterior.best.posterior
            return draws_for(model, best.subject, best, 0, seed)
        return np.vstack([draws_for(model, c.posterior.subject, c.posterior, k, seed)
                          for c, k in zip(posterior.components, posterior.allocate(n)) if k > 0])
    p0 = parameter_vector(subject, model.network)
    params = calibration_parameters(model.network)
    index = model.param_index
    targets = [np.array([index[t] for t in c.targets], dtype=np.int64) for c in params]
    rows = max(n, 1)
    etas = np.zeros((rows, len(params)))
    known = {} if posterior is None else {name: j for j, name in enumerate(posterior.names)}
    if posterior is not None and n > 0:
        take = np.random.default_rng(seed).choice(posterior.samples.shape[0], size=n,
                                                  replace=n > posterior.samples.shape[0])
    for j, c in enumerate(params):
        if c.name in known:
            col = known[c.name]
            etas[:, j] = posterior.eta_map[col] if n == 0 else posterior.samples[take, col]
        elif n > 0:
            rng = np.random.default_rng([seed, zlib.crc32(c.name.encode())])
            etas[:, j] = rng.normal(0.0, c.omega, size=n)
    return parameter_matrix(p0, targets, etas)
