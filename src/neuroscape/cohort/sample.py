"""The virtual population of a cohort, sampled deterministically from its seed.

Every sampled quantity (sex, age, weight, each gene's phenotype, each prior's log-factor) has its own
random stream, keyed by the seed and the quantity's name, and member i takes draw i of each stream. So the
same file gives the same members on any machine and in any chunking, a larger `size` keeps the first
members unchanged, and adding a gene or an arm does not move anyone's age.

    >>> from neuroscape.cohort.spec import parse_cohort
    >>> spec = parse_cohort({"cohort": 1, "name": "x", "size": 4, "seed": 1, "arms": [{"name": "a"}],
    ...                      "endpoints": [{"id": "e", "quantity": "brain.gaba", "at_h": 1}]})
    >>> pop = sample_population(spec)
    >>> pop.size, pop.subject(0).age_years
    (4, 35.0)
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Sequence

import numpy as np
from scipy import stats

from .. import subject as person
from ..assess.priors import CalibrationParameter
from ..subject import Subject
from .spec import Cohort, Fixed, LogNormal, Normal, Uniform


@dataclass(frozen=True)
class Variation:
    """One log-normal factor of the parameter variability: exp(eta) on the network parameters `targets`,
    eta ~ N(0, omega^2) (a prior of assess/priors.py, omega scaled by the cohort's variability.scale)."""

    name: str
    targets: tuple[str, ...]
    omega: float


def variations(parameters: Sequence[CalibrationParameter], scale: float) -> tuple[Variation, ...]:
    """The distinct priors of `parameters` (several arms' models list the same ones), in first-seen order."""
    seen: dict[str, Variation] = {}
    for c in parameters:
        seen.setdefault(c.name, Variation(c.name, tuple(c.targets), c.omega * scale))
    return tuple(seen.values())


@dataclass(frozen=True, eq=False)
class Population:
    """The members of a cohort, one entry per member in every array."""

    sex: np.ndarray  # "male" | "female"
    age_years: np.ndarray
    weight_kg: np.ndarray
    phenotypes: dict[str, np.ndarray]  # gene -> phenotype word per member
    variations: tuple[Variation, ...]
    etas: np.ndarray  # (size, len(variations)) log-factors

    @property
    def size(self) -> int:
        return int(self.sex.size)

    def subject(self, i: int) -> Subject:
        return Subject(sex=str(self.sex[i]), age_years=float(self.age_years[i]), weight_kg=float(self.weight_kg[i]),
                       genotypes={gene: str(words[i]) for gene, words in self.phenotypes.items()})

    def take(self, rows) -> "Population":
        """The members at `rows` (indices or a slice), as a population."""
        return Population(self.sex[rows], self.age_years[rows], self.weight_kg[rows],
                          {g: w[rows] for g, w in self.phenotypes.items()}, self.variations, self.etas[rows])

    def covariates(self) -> dict[str, np.ndarray]:
        """Column name -> values: sex, age_years, weight_kg and one column per gene (its phenotype)."""
        return {"sex": self.sex, "age_years": self.age_years, "weight_kg": self.weight_kg,
                **{gene: words for gene, words in self.phenotypes.items()}}


def _stream(seed: int, name: str) -> np.random.Generator:
    """The random stream of one sampled quantity: the cohort's seed, spawned by the quantity's name."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(zlib.crc32(name.encode()),))))


def _covariate(dist, key: str, seed: int, n: int) -> np.ndarray:
    """`n` draws of a covariate distribution, truncated to its support (inverse CDF of a uniform draw)."""
    if isinstance(dist, Fixed):
        return np.full(n, dist.value)
    lo, hi = dist.support(*person.RANGES[key])
    u = _stream(seed, key).random(n)
    if isinstance(dist, Uniform):
        return lo + (hi - lo) * u
    if isinstance(dist, Normal):
        frozen = stats.norm(dist.mean, dist.sd)
    elif isinstance(dist, LogNormal):
        frozen = stats.lognorm(s=float(np.sqrt(np.log1p(dist.cv ** 2))), scale=dist.median)
    else:  # pragma: no cover - the schema allows only the kinds above
        raise TypeError(dist)
    a, b = frozen.cdf(lo), frozen.cdf(hi)
    if not b > a:  # the whole mass lies outside [lo, hi]
        from ..errors import CohortError

        raise CohortError(f"population.{key}: the distribution puts no probability within {lo:g}-{hi:g}; "
                          "move the mean/median into the range or widen low/high")
    return np.clip(frozen.ppf(a + (b - a) * u), lo, hi)


def sample_population(spec: Cohort, parameters: Sequence[CalibrationParameter] = ()) -> Population:
    """The cohort's `spec.size` members: sex, age, weight, a phenotype per gene of population.genotypes,
    and a log-factor per prior in `parameters` (when variability.priors is true)."""
    n, seed, pop = spec.size, spec.seed, spec.population
    sex = np.where(_stream(seed, "sex").random(n) < pop.female_fraction, "female", "male")
    age = _covariate(pop.age_years, "age_years", seed, n)
    weight = _covariate(pop.weight_kg, "weight_kg", seed, n)
    phenotypes = {}
    for gene, freqs in pop.gene_frequencies().items():
        words = np.array(list(freqs))
        cumulative = np.cumsum(list(freqs.values()))
        cumulative[-1] = 1.0  # rounding must not leave a draw above the last class
        pick = np.searchsorted(cumulative, _stream(seed, f"genotype:{gene}").random(n), side="right")
        phenotypes[gene] = words[np.minimum(pick, words.size - 1)]
    var = variations(parameters, spec.variability.scale) if spec.variability.priors else ()
    etas = np.zeros((n, len(var)))
    for j, v in enumerate(var):
        etas[:, j] = v.omega * _stream(seed, f"prior:{v.name}").standard_normal(n)
    return Population(sex, age, weight, phenotypes, var, etas)
