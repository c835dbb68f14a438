"""Sampling the population: frequencies match the file within binomial tolerance, deterministically."""

import math

import numpy as np
import pytest

from neuroscape.cohort.frequencies import phenotype_frequencies
from neuroscape.cohort.sample import sample_population
from neuroscape.cohort.spec import parse_cohort
from neuroscape.subject import RANGES

from .conftest import SMALL

N = 20_000


def _spec(**population):
    return parse_cohort({**SMALL, "size": N, "seed": 11, "population": {**SMALL["population"], **population}})


def _within_binomial(count: int, n: int, p: float, z: float = 4.0) -> bool:
    """|count - n p| within z binomial standard deviations (z = 4: a false alarm about once in 16,000)."""
    return abs(count - n * p) <= z * math.sqrt(n * p * (1 - p)) + 1e-9


def test_sex_fraction_matches_the_file_within_binomial_tolerance():
    pop = sample_population(_spec(female_fraction=0.3))
    females = int((pop.sex == "female").sum())
    assert _within_binomial(females, N, 0.3), females
    assert set(np.unique(pop.sex)) == {"female", "male"}


def test_genotype_frequencies_match_the_shipped_table_within_binomial_tolerance():
    pop = sample_population(_spec(genotypes={"CYP2C19": "european", "CYP2D6": {"poor": 0.1, "normal": 0.9}}))
    table = phenotype_frequencies("CYP2C19", "european")
    assert table["poor"] == pytest.approx(0.021 / 0.998)  # the source's rows sum to 99.8 %
    for word, p in table.items():
        count = int((pop.phenotypes["CYP2C19"] == word).sum())
        assert _within_binomial(count, N, p), (word, count, N * p)
    poor = int((pop.phenotypes["CYP2D6"] == "poor").sum())
    assert _within_binomial(poor, N, 0.1), poor


def test_covariate_distributions_match_their_moments_and_bounds():
    pop = sample_population(_spec(age_years={"distribution": "uniform", "low": 20, "high": 60},
                                  weight_kg={"distribution": "lognormal", "median": 75, "cv": 0.2,
                                             "low": 50, "high": 120}))
    # uniform(20, 60): mean 40, sd 40/sqrt(12) = 11.547; the mean's sd is 11.547/sqrt(N) = 0.082
    assert pop.age_years.mean() == pytest.approx(40.0, abs=4 * 11.547 / math.sqrt(N))
    assert pop.age_years.std() == pytest.approx(11.547, rel=0.02)
    assert 20 <= pop.age_years.min() and pop.age_years.max() <= 60
    # truncation at 50-120 barely touches a log-normal with median 75, cv 0.2 (sigma 0.198): median stays 75
    assert np.median(pop.weight_kg) == pytest.approx(75.0, rel=0.01)
    assert 50 <= pop.weight_kg.min() and pop.weight_kg.max() <= 120
    lo, hi = RANGES["weight_kg"]
    assert lo <= pop.weight_kg.min()


def test_prior_factors_have_the_priors_sd():
    from neuroscape.assess.priors import calibration_parameters
    from neuroscape.scenario import default_model

    priors = calibration_parameters(default_model().network)
    spec = parse_cohort({**SMALL, "size": N, "variability": {"priors": True, "scale": 0.5}})
    pop = sample_population(spec, priors)
    assert pop.etas.shape == (N, len(priors))
    sd = pop.etas.std(axis=0)
    expected = 0.5 * np.array([c.omega for c in priors])
    assert np.allclose(sd, expected, rtol=0.05)  # the sd of an sd estimate is sd / sqrt(2N) = 0.5 %
    assert not sample_population(parse_cohort({**SMALL, "variability": {"priors": False}}), priors).etas.size


def test_sampling_is_deterministic_and_a_larger_cohort_keeps_the_first_members():
    small = sample_population(parse_cohort({**SMALL, "size": 50}))
    again = sample_population(parse_cohort({**SMALL, "size": 50}))
    large = sample_population(parse_cohort({**SMALL, "size": 500}))
    other_seed = sample_population(parse_cohort({**SMALL, "size": 50, "seed": 8}))
    assert np.array_equal(small.age_years, again.age_years)
    assert np.array_equal(small.age_years, large.age_years[:50])
    assert np.array_equal(small.phenotypes["CYP2C19"], large.phenotypes["CYP2C19"][:50])
    assert not np.array_equal(small.age_years, other_seed.age_years)
