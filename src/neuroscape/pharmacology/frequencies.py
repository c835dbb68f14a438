"""Metabolizer phenotype frequencies by population group, read from data/phenotype_frequencies.yaml: the
cohorts' phenotype sampling (cohort/spec.py) and the phenotype mixture of a record without a genotype
(assess/mixture.py) read the same table.

    >>> freqs = phenotype_frequencies("CYP2C19", "european")
    >>> round(freqs["poor"], 4), round(sum(freqs.values()), 12)
    (0.021, 1.0)
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import DataError
from .pgx import PHENOTYPES, supported_genes


class _Row(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    value: float = Field(ge=0, le=1)
    source: str
    note: str = ""


@lru_cache(maxsize=1)
def _data() -> tuple[dict[str, dict[str, dict[str, _Row]]], dict]:
    text = resources.files("neuroscape.pharmacology").joinpath("data/phenotype_frequencies.yaml").read_text()
    raw = yaml.safe_load(text)
    refs = raw["references"]
    try:
        groups = {group: {gene: {word: _Row.model_validate(row) for word, row in rows.items()}
                          for gene, rows in genes.items()}
                  for group, genes in raw["groups"].items()}
    except ValidationError as exc:
        raise DataError(f"pharmacology/data/phenotype_frequencies.yaml is invalid: {exc}") from None
    for group, genes in groups.items():
        for gene, rows in genes.items():
            bad = [w for w in rows if w not in PHENOTYPES]
            unknown = [r.source for r in rows.values() if r.source != "assumed" and r.source not in refs]
            if gene not in supported_genes() or bad or unknown or sum(r.value for r in rows.values()) <= 0:
                raise DataError(f"pharmacology/data/phenotype_frequencies.yaml: {group}.{gene} has an unknown gene, "
                                f"phenotype ({bad}) or source ({unknown}), or no frequency")
    return groups, refs


def groups() -> tuple[str, ...]:
    """The population groups with shipped frequencies."""
    return tuple(_data()[0])


def check_group(group: str) -> str:
    """`group` (any case, trimmed) when frequencies are shipped for it; DataError naming the shipped groups."""
    name = group.strip().lower()
    if name not in groups():
        raise DataError(f"population {group!r}: no phenotype frequencies for it; shipped groups: "
                        f"{', '.join(groups())} (or leave it out: european is assumed)")
    return name


def genes_of(group: str) -> tuple[str, ...]:
    return tuple(_data()[0].get(group, {}))


def frequency_references() -> dict[str, dict]:
    """The data file's `references` (key -> citation, doi, tag, note)."""
    return _data()[1]


def phenotype_frequencies(gene: str, group: str) -> dict[str, float]:
    """Phenotype word -> frequency (normalised to sum to 1) of `gene` in `group`."""
    table = _data()[0]
    if group not in table:
        raise DataError(f"no phenotype frequencies for group {group!r}; shipped groups: {', '.join(table)}")
    if gene not in table[group]:
        raise DataError(f"no {gene} phenotype frequencies for group {group!r}; genes there: "
                        f"{', '.join(table[group])}")
    rows = table[group][gene]
    total = sum(r.value for r in rows.values())
    return {word: rows[word].value / total for word in PHENOTYPES if word in rows}


def frequency_sources(gene: str, group: str) -> dict[str, str]:
    """Phenotype word -> source key (or 'assumed') of `gene` in `group`."""
    return {word: row.source for word, row in _data()[0][group][gene].items()}
