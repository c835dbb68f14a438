"""Pharmacogenomics: CPIC diplotype -> phenotype tables, phenotype words, clearance factors with
sources, and errors that name the gene, the value and what is allowed."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from neuroscape.errors import DataError
from neuroscape.pharmacology.pgx import (PHENOTYPES, Phenotype, _data, clearance_multiplier,
                                         pgx_references, phenotype, supported_genes)

# (diplotype, activity score, phenotype): Caudle 2020 activity-score system
CYP2D6 = [
    ("*1/*1", 2.0, "normal"),
    ("*1/*2", 2.0, "normal"),
    ("*4/*4", 0.0, "poor"),
    ("*3/*4", 0.0, "poor"),
    ("*5/*5", 0.0, "poor"),
    ("*4/*5", 0.0, "poor"),
    ("*4x2/*4", 0.0, "poor"),
    ("*1/*4", 1.0, "intermediate"),   # AS 1 reclassified from normal to intermediate in 2020
    ("*1/*5", 1.0, "intermediate"),
    ("*41/*41", 1.0, "intermediate"),
    ("*4/*41", 0.5, "intermediate"),
    ("*4/*10", 0.25, "intermediate"),  # *10 = 0.25 since 2020
    ("*10/*10", 0.5, "intermediate"),
    ("*1/*10", 1.25, "normal"),
    ("*1/*41", 1.5, "normal"),
    ("*1/*9", 1.5, "normal"),
    ("*2/*17", 1.5, "normal"),
    ("*1x2/*41", 2.5, "ultrarapid"),
    ("*1/*1x2", 3.0, "ultrarapid"),
    ("*1x3/*4", 3.0, "ultrarapid"),
    ("*1/*2x2", 3.0, "ultrarapid"),
    ("*2x2/*4", 2.0, "normal"),
    ("*10x2/*4", 0.5, "intermediate"),
    ("*41x2/*10", 1.25, "normal"),
    ("*35/*35", 2.0, "normal"),
    # xN: "2 or more" copies; reported AS is the 2-copy lower bound
    ("*2xN/*1", 3.0, "ultrarapid"),
    ("*1xN/*1", 3.0, "ultrarapid"),
    ("*4xN/*5", 0.0, "poor"),
]

CYP2C19 = [
    ("*1/*1", "normal", False),
    ("*1/*17", "rapid", False),
    ("*17/*1", "rapid", False),
    ("*17/*17", "ultrarapid", False),
    ("*1/*2", "intermediate", False),
    ("*1/*3", "intermediate", False),
    ("*2/*17", "intermediate", False),
    ("*3/*17", "intermediate", False),
    ("*2/*2", "poor", False),
    ("*2/*3", "poor", False),
    ("*3/*3", "poor", False),
    ("*4/*8", "poor", False),
    ("*1/*9", "intermediate", True),   # decreased-function alleles: CPIC "likely" classes
    ("*9/*17", "intermediate", True),
    ("*9/*10", "intermediate", True),
    ("*2/*9", "poor", True),
]

CYP2B6 = [
    ("*1/*1", "normal"),
    ("*1/*2", "normal"),
    ("*1/*4", "rapid"),
    ("*1/*22", "rapid"),
    ("*4/*4", "ultrarapid"),
    ("*4/*22", "ultrarapid"),
    ("*1/*6", "intermediate"),
    ("*1/*18", "intermediate"),
    ("*4/*6", "intermediate"),
    ("*6/*22", "intermediate"),
    ("*4/*18", "intermediate"),
    ("*6/*6", "poor"),
    ("*6/*18", "poor"),
    ("*18/*18", "poor"),
    ("*6/*9", "poor"),
]


@pytest.mark.parametrize("diplotype,score,expected", CYP2D6)
def test_cyp2d6_activity_score_and_phenotype(diplotype, score, expected):
    result = phenotype("CYP2D6", diplotype)
    assert result == Phenotype("CYP2D6", diplotype, score, expected, "caudle2020")


@pytest.mark.parametrize("diplotype,expected,likely", CYP2C19)
def test_cyp2c19_phenotypes(diplotype, expected, likely):
    result = phenotype("CYP2C19", diplotype)
    assert (result.phenotype, result.likely, result.activity_score) == (expected, likely, None)


@pytest.mark.parametrize("diplotype,expected", CYP2B6)
def test_cyp2b6_phenotypes(diplotype, expected):
    assert phenotype("CYP2B6", diplotype).phenotype == expected


def test_order_spaces_and_case_do_not_matter():
    assert phenotype("cyp2d6", " *4 / *1 ").phenotype == "intermediate"
    assert phenotype("CYP2D6", "*1X2/*1").activity_score == 3.0
    assert phenotype("CYP2D6", "*1/*2xn").phenotype == "ultrarapid"


@pytest.mark.parametrize("word,expected", [
    ("poor", "poor"), ("Poor Metabolizer", "poor"), ("INTERMEDIATE metaboliser", "intermediate"),
    ("normal", "normal"), ("ultrarapid", "ultrarapid"), ("Ultra-rapid  metabolizer", "ultrarapid"),
])
def test_phenotype_words(word, expected):
    result = phenotype("CYP2D6", word)
    assert (result.phenotype, result.activity_score, result.genotype) == (expected, None, word.strip())
    assert phenotype("CYP2C19", "rapid metabolizer").phenotype == "rapid"


def test_supported_genes():
    assert set(supported_genes()) == {"CYP2D6", "CYP2C19", "CYP2B6"}


@pytest.mark.parametrize("gene,genotype,match", [
    ("CYP2D6", "*1/*99", r"CYP2D6 genotype '\*1/\*99': allele \*99 is not in the CPIC table used "
                         r"here; known: \*1, \*2, \*3, \*4"),
    ("CYP2C19", "*1/*40", r"CYP2C19 .*allele \*40 .*known: \*1, \*2, \*3"),
    ("CYP2B6", "*1/*3", r"CYP2B6 .*allele \*3 .*known: .*\*6"),
    ("CYP2D6", "*1", r"CYP2D6 genotype '\*1': expected a diplotype such as '\*1/\*2'"),
    ("CYP2D6", "*1/*2/*4", r"expected a diplotype"),
    ("CYP2D6", "1/2", r"expected a diplotype"),
    ("CYP2D6", "", r"expected a diplotype"),
    ("CYP2D6", "*1/*41xN", r"depends on the unknown copy number \(normal with 2 copies, ultrarapid"),
    ("CYP2D6", "*2xN/*4", r"depends on the unknown copy number"),
    ("CYP2D6", "*5x2/*1", r"\*5 is the gene deletion"),
    ("CYP2D6", "*1x1/*1", r"copy number 1 must be 2 to 13"),
    ("CYP2D6", "*1x40/*1", r"copy number 40 must be 2 to 13"),
    ("CYP2C19", "*17x2/*1", r"copy numbers are only interpreted for .*CYP2D6"),
    ("CYP2D6", "rapid", r"CPIC has no 'rapid' class for CYP2D6; allowed: poor, intermediate, normal, "
                        r"ultrarapid"),
    ("CYP2D6", "fast", r"expected a diplotype .* or a phenotype word \(poor, intermediate"),
    ("CYP3A4", "*1/*1", r"unknown pharmacogene 'CYP3A4'; supported: CYP2D6, CYP2C19, CYP2B6"),
])
def test_errors_name_gene_value_and_allowed(gene, genotype, match):
    with pytest.raises(DataError, match=match):
        phenotype(gene, genotype)


def test_non_text_inputs_are_data_errors():
    with pytest.raises(DataError, match="unknown pharmacogene"):
        phenotype(None, "*1/*1")
    with pytest.raises(DataError, match="must be text"):
        phenotype("CYP2D6", 12)


# ---- clearance multipliers ------------------------------------------------------------------

def test_multipliers_are_ordered_and_normal_is_one():
    for gene in supported_genes():
        spec = _data()[0][gene]
        values = [clearance_multiplier(gene, p) for p in spec.phenotypes]
        assert values == sorted(values) and len(set(values)) == len(values), gene
        assert clearance_multiplier(gene, "normal") == 1.0
        assert 0 < clearance_multiplier(gene, "poor") < 0.5


def test_multiplier_accepts_words_and_phenotypes():
    assert clearance_multiplier("CYP2D6", "Intermediate Metabolizer") == 0.5
    assert clearance_multiplier("CYP2C19", phenotype("CYP2C19", "*2/*2")) == 0.05
    assert clearance_multiplier("cyp2b6", phenotype("CYP2B6", "*1/*6")) == 0.5
    with pytest.raises(DataError, match="was given a CYP2D6 phenotype"):
        clearance_multiplier("CYP2C19", phenotype("CYP2D6", "*1/*1"))
    with pytest.raises(DataError, match=r"CYP2D6 phenotype '\*1/\*1': expected one of poor"):
        clearance_multiplier("CYP2D6", "*1/*1")
    with pytest.raises(DataError, match="no 'rapid' class"):
        clearance_multiplier("CYP2D6", "rapid")
    with pytest.raises(DataError, match="unknown pharmacogene"):
        clearance_multiplier("CYP3A4", "poor")


@pytest.mark.parametrize("phenotype_word,ratio", [
    ("poor", 3.3), ("intermediate", 1.6), ("rapid", 0.9), ("ultrarapid", 0.8)])
def test_cyp2c19_multipliers_reproduce_escitalopram_exposure(phenotype_word, ratio):
    """Jukic 2018: exposure ratios vs *1/*1; fm = 0.734 is the in-vivo CYP2C19 fraction that the
    poor-metabolizer ratio implies (see the derivation in data/pgx.yaml)."""
    fm = (1 - 1 / 3.3) / (1 - 0.05)
    m = clearance_multiplier("CYP2C19", phenotype_word)
    assert 1 / (1 - fm + fm * m) == pytest.approx(ratio, rel=0.02)


def test_every_number_and_rule_has_a_known_source():
    genes, refs = _data()
    allowed = set(refs) | {"assumed"}
    for name, gene in genes.items():
        used = [gene.source] + [a.source for a in gene.alleles.values()]
        used += [r.source for r in gene.rules] + [m.source for m in gene.clearance_multipliers.values()]
        assert set(used) <= allowed, (name, set(used) - allowed)
        for word, m in gene.clearance_multipliers.items():
            assert m.note, (name, word)
    for key, ref in pgx_references().items():
        assert ref["tag"] in {"A", "C", "L", "R", "U"} and ref["citation"], key


def test_every_allele_pair_gets_a_phenotype():
    for name, gene in _data()[0].items():
        for a in gene.alleles:
            for b in gene.alleles:
                assert phenotype(name, f"{a}/{b}").phenotype in PHENOTYPES


@settings(max_examples=300, deadline=None)
@given(gene=st.sampled_from(["CYP2D6", "CYP2C19", "CYP2B6", "cyp2d6", "XYZ"]),
       text=st.one_of(st.text(max_size=30),
                      st.from_regex(r"\*[0-9]{1,3}([xX]([0-9]{1,3}|N))?/\*[0-9]{1,3}([xX][0-9N]{1,2})?",
                                    fullmatch=True)))
def test_random_genotypes_raise_only_data_errors(gene, text):
    try:
        result = phenotype(gene, text)
    except DataError:
        return
    assert result.phenotype in PHENOTYPES
