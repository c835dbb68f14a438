"""Pharmacogenomics: CPIC diplotype -> metabolizer phenotype -> factor on enzyme clearance.

All numbers (allele functions, phenotype rules, clearance multipliers) and their sources are in
data/pgx.yaml; this module only parses genotypes and applies the rules.

    >>> phenotype("CYP2D6", "*1/*4").phenotype
    'intermediate'
    >>> clearance_multiplier("CYP2C19", "poor metabolizer")
    0.05
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Literal, Optional

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from ..errors import DataError
from ..model.network import Basis
from .library import Sourced, missing_basis_message

PhenotypeWord = Literal["poor", "intermediate", "normal", "rapid", "ultrarapid"]
PHENOTYPES: tuple[str, ...] = ("poor", "intermediate", "normal", "rapid", "ultrarapid")
Function = Literal["no_function", "decreased", "normal", "increased"]


@dataclass(frozen=True)
class Phenotype:
    """A gene's metabolizer phenotype. `activity_score` is the CPIC activity score (CYP2D6 only;
    for an xN copy number it is the 2-copy lower bound) and None for a phenotype given as a word.
    `likely` marks CPIC's "likely intermediate/poor" classes (decreased-function CYP2C19 alleles)."""

    gene: str
    genotype: str
    activity_score: Optional[float]
    phenotype: str
    source: str
    likely: bool = False


# ---- the data file's schema -------------------------------------------------------------------

class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class _Allele(_Strict):
    function: Function
    activity: Optional[float] = None
    basis: Optional[Basis] = None  # how `activity` was obtained; required with it (a number needs a basis)
    deletion: bool = False  # the whole-gene deletion (CYP2D6*5) cannot carry a copy number
    source: str
    note: str = ""

    @model_validator(mode="after")
    def _activity_has_a_basis(self):
        if self.activity is not None and self.basis is None:
            raise ValueError("an allele with an activity value needs basis: (how the number was obtained, "
                             "e.g. measured for a CPIC-assigned value)")
        return self


class _Threshold(_Strict):
    phenotype: PhenotypeWord
    max_activity: float
    basis: Basis


class _Rule(_Strict):
    functions: tuple[Function, Function]
    phenotype: PhenotypeWord
    likely: bool = False
    source: str


class _Gene(_Strict):
    scoring: Literal["activity_score", "function_pair"]
    source: str
    alleles: dict[str, _Allele]
    thresholds: tuple[_Threshold, ...] = ()
    rules: tuple[_Rule, ...] = ()
    max_copies: Optional[Sourced] = None
    clearance_multipliers: dict[PhenotypeWord, Sourced]

    @model_validator(mode="after")
    def _complete(self):
        if self.scoring == "activity_score":
            if not self.thresholds or any(a.activity is None for a in self.alleles.values()):
                raise ValueError("activity_score genes need thresholds and an activity for every allele")
            if math.isfinite(self.thresholds[-1].max_activity):
                raise ValueError("the last threshold must be .inf")
        else:
            # every pair of functions that the allele table can produce must have a rule
            pairs = {frozenset(r.functions) for r in self.rules}
            functions = {a.function for a in self.alleles.values()}
            missing = [(f, g) for f in functions for g in functions if frozenset((f, g)) not in pairs]
            if missing:
                raise ValueError(f"no phenotype rule for function pairs {missing}")
        if set(self.clearance_multipliers) != set(self.phenotypes):
            raise ValueError(f"clearance_multipliers must cover exactly {self.phenotypes}")
        return self

    @property
    def phenotypes(self) -> tuple[str, ...]:
        used = ({t.phenotype for t in self.thresholds} if self.scoring == "activity_score"
                else {r.phenotype for r in self.rules})
        return tuple(p for p in PHENOTYPES if p in used)


@lru_cache(maxsize=1)
def _data() -> tuple[dict[str, _Gene], dict[str, dict]]:
    text = resources.files("neuroscape.pharmacology").joinpath("data/pgx.yaml").read_text()
    raw = yaml.safe_load(text)
    genes = {}
    for name, body in raw["genes"].items():
        try:
            genes[name] = _Gene.model_validate(body)
        except ValidationError as exc:
            raise DataError(missing_basis_message(f"data/pgx.yaml gene {name}", exc)
                            or f"data/pgx.yaml gene {name} is invalid: {exc}") from None
    return genes, raw["references"]


def pgx_references() -> dict[str, dict]:
    """The `references` section of data/pgx.yaml (key -> citation, doi, tag, note)."""
    return _data()[1]


def numbers() -> list[tuple[str, str, str, object]]:
    """(label, source, basis, fitted_to) of every number in data/pgx.yaml, for `cite` and `parameters`."""
    out = []
    for name, gene in _data()[0].items():
        out += [(f"{name}.alleles[{a}].activity", al.source, al.basis, None)
                for a, al in gene.alleles.items() if al.activity is not None]
        out += [(f"{name}.thresholds[{t.phenotype}]", gene.source, t.basis, None) for t in gene.thresholds]
        if gene.max_copies is not None:
            out.append((f"{name}.max_copies", gene.max_copies.source, gene.max_copies.basis, gene.max_copies.fitted_to))
        out += [(f"{name}.clearance_multipliers[{w}]", m.source, m.basis, m.fitted_to)
                for w, m in gene.clearance_multipliers.items()]
    return out


def supported_genes() -> tuple[str, ...]:
    return tuple(_data()[0])


def gene_phenotypes(gene: str) -> tuple[str, ...]:
    """The CPIC phenotype words of a gene, poor to ultrarapid (CYP2D6 has no 'rapid')."""
    return _gene(gene)[1].phenotypes


def _gene(gene: str) -> tuple[str, _Gene]:
    genes = _data()[0]
    name = gene.strip().upper() if isinstance(gene, str) else None
    if name not in genes:
        raise DataError(f"unknown pharmacogene {gene!r}; supported: {', '.join(genes)}")
    return name, genes[name]


# ---- parsing ----------------------------------------------------------------------------------

_WORD = re.compile(r"(poor|intermediate|normal|rapid|ultra-?rapid)(?:\s+metaboli[sz]er)?", re.I | re.A)
_ALLELE = re.compile(r"(\*\d+)(?:[x×](\d+|n))?", re.I | re.A)
# The syntax of a genotype, one rule for protocol files, records and Subjects: a star-allele diplotype
# (copy numbers such as *1/*2x2 or *2xN) or a phenotype word, optionally + "metabolizer"/"metaboliser".
# Whether the alleles and the word exist for the gene is decided by `phenotype`.
GENOTYPE_SYNTAX = re.compile(rf"\s*{_ALLELE.pattern}\s*/\s*{_ALLELE.pattern}\s*|\s*{_WORD.pattern}\s*", re.I | re.A)


def _word(gene: str, spec: _Gene, value: str) -> Optional[str]:
    """The phenotype word in `value`, or None if `value` is not a phenotype word."""
    match = _WORD.fullmatch(" ".join(value.split()))
    if not match:
        return None
    word = match.group(1).lower().replace("-", "")
    if word not in spec.phenotypes:
        raise DataError(f"{gene} phenotype {value!r}: CPIC has no {word!r} class for {gene}; "
                        f"allowed: {', '.join(spec.phenotypes)}")
    return word


def _alleles(gene: str, spec: _Gene, value: str) -> list[tuple[str, Optional[int]]]:
    """Split a diplotype into [(allele, copies)], copies None for 'xN'."""
    halves = [h.strip() for h in value.split("/")]
    parsed = [_ALLELE.fullmatch(h) for h in halves]
    if len(halves) != 2 or not all(parsed):
        cnv = " (with copy numbers such as *1/*2x2 or *2xN)" if spec.max_copies else ""
        raise DataError(f"{gene} genotype {value!r}: expected a diplotype such as '*1/*2'{cnv} or a "
                        f"phenotype word ({', '.join(spec.phenotypes)}, optionally + ' metabolizer')")
    known = ", ".join(sorted(spec.alleles, key=lambda a: int(a[1:])))
    out = []
    for m in parsed:
        allele, copies = m.group(1), m.group(2)
        if allele not in spec.alleles:
            raise DataError(f"{gene} genotype {value!r}: allele {allele} is not in the CPIC table "
                            f"used here; known: {known}")
        if copies is None:
            out.append((allele, 1))
            continue
        if spec.max_copies is None:
            raise DataError(f"{gene} genotype {value!r}: copy numbers are only interpreted for "
                            f"genes with an activity score ({', '.join(_cnv_genes())})")
        if spec.alleles[allele].deletion:
            raise DataError(f"{gene} genotype {value!r}: {allele} is the gene deletion and cannot "
                            "carry a copy number")
        n = None if copies.lower() == "n" else int(copies)
        if n is not None and not 2 <= n <= spec.max_copies.value:
            raise DataError(f"{gene} genotype {value!r}: copy number {n} must be 2 to "
                            f"{int(spec.max_copies.value)} (write {allele} for one copy)")
        out.append((allele, n))
    return out


def _cnv_genes() -> list[str]:
    return [g for g, s in _data()[0].items() if s.max_copies is not None]


# ---- phenotype assignment ---------------------------------------------------------------------

def _by_score(spec: _Gene, score: float) -> str:
    return next(t.phenotype for t in spec.thresholds if score <= t.max_activity)


def phenotype(gene: str, genotype: str) -> Phenotype:
    """Metabolizer phenotype for a diplotype ('*1/*2', CYP2D6 also '*1/*2x2', '*2xN/*4') or a
    phenotype word ('poor', 'Intermediate metaboliser', ...). Errors are DataError."""
    name, spec = _gene(gene)
    if not isinstance(genotype, str):
        raise DataError(f"{name} genotype must be text such as '*1/*2', got {genotype!r}")
    value = genotype.strip()
    word = _word(name, spec, value)
    if word is not None:
        return Phenotype(name, value, None, word, spec.source)
    alleles = _alleles(name, spec, value)

    if spec.scoring == "function_pair":
        f1, f2 = (spec.alleles[a].function for a, _ in alleles)
        rule = next(r for r in spec.rules if sorted(r.functions) == sorted((f1, f2)))
        return Phenotype(name, value, None, rule.phenotype, rule.source, rule.likely)

    def score(n_unknown: int) -> float:
        return sum(spec.alleles[a].activity * (n if n is not None else n_unknown) for a, n in alleles)

    low = score(2)  # xN means "2 or more": 2 copies is the lower bound
    result = _by_score(spec, low)
    high_result = _by_score(spec, score(int(spec.max_copies.value)))
    if high_result != result:
        raise DataError(f"{name} genotype {value!r}: the phenotype depends on the unknown copy number "
                        f"({result} with 2 copies, {high_result} with more); give the number, "
                        f"e.g. x2 or x3")
    return Phenotype(name, value, low, result, spec.source)


def clearance_multiplier(gene: str, phenotype_: "str | Phenotype") -> float:
    """Factor on a drug's clearance through `gene`'s enzyme for a phenotype word (or a Phenotype),
    relative to a normal metabolizer. Sources and derivations: data/pgx.yaml."""
    name, spec = _gene(gene)
    if isinstance(phenotype_, Phenotype):
        if phenotype_.gene != name:
            raise DataError(f"clearance_multiplier({name!r}, ...) was given a {phenotype_.gene} phenotype")
        word = phenotype_.phenotype
    else:
        word = _word(name, spec, phenotype_) if isinstance(phenotype_, str) else None
        if word is None:
            raise DataError(f"{name} phenotype {phenotype_!r}: expected one of "
                            f"{', '.join(spec.phenotypes)} (optionally + ' metabolizer')")
    return spec.clearance_multipliers[word].value
