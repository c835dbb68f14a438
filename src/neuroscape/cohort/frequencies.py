"""The phenotype frequencies the cohorts sample from: pharmacology/frequencies.py (one table, shared with the
phenotype mixture of assess/mixture.py, which may not import the cohort package)."""

from ..pharmacology.frequencies import (frequency_references, frequency_sources, genes_of, groups,
                                        phenotype_frequencies)

__all__ = ["frequency_references", "frequency_sources", "genes_of", "groups", "phenotype_frequencies"]
