"""A small, cheap trial on the drug-free model: 8 members, one day, a tryptophan drink vs nothing."""

import pytest

from neuroscape.cohort.spec import parse_cohort

SMALL = {
    "cohort": 1, "name": "trp-small", "size": 8, "seed": 7,
    "population": {"female_fraction": 0.5,
                   "age_years": {"distribution": "uniform", "low": 20, "high": 60},
                   "weight_kg": {"distribution": "lognormal", "median": 75, "cv": 0.2},
                   "genotypes": {"CYP2C19": "european"}},
    "variability": {"priors": True, "scale": 1.0},
    "arms": [{"name": "none", "interventions": []},
             {"name": "trp", "interventions": [{"nutrition": "tryptophan", "at_h": 0, "dose_mg": 1000}]}],
    "endpoints": [{"id": "trp", "quantity": "plasma.tryptophan", "at_h": [2, 24], "relative_to": "baseline"},
                  {"id": "e5ht", "quantity": "brain.serotonin.extracellular", "region": "cortex", "at_h": 4}],
    "responder": {"endpoint": "trp", "at_h": 2, "measure": "ratio_to_baseline", "comparison": ">=",
                  "threshold": 2.5},
    "solver": {"rtol": 1e-5},
}


@pytest.fixture(scope="session")
def small_spec():
    return parse_cohort(SMALL)


@pytest.fixture(scope="session")
def small_run(small_spec):
    from neuroscape.cohort.run import run_cohort

    return run_cohort(small_spec, chunk_size=3)
