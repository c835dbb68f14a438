"""Virtual cohorts and trials (docs/cohorts.md): a cohort file, its sampled population, runs of every member
through every arm with the batch engine (locally or on Dask), the results table and its summary."""

from .run import CohortRun, run_cohort
from .sample import Population, sample_population
from .spec import Cohort, load_cohort, parse_cohort
from .stats import wilson

__all__ = ["Cohort", "CohortRun", "Population", "load_cohort", "parse_cohort", "run_cohort", "sample_population",
           "wilson"]
