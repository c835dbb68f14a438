"""Provenance of data/pgx.yaml: every number (activity values, score thresholds, copy-number bound,
clearance multipliers) has a basis; derived ones name the data they were computed from."""

from __future__ import annotations

import pytest
import yaml

from neuroscape.errors import DataError
from neuroscape.model.network import BASES, FITTED_BASES
from neuroscape.pharmacology import pgx

_TEXT = pgx.resources.files("neuroscape.pharmacology").joinpath("data/pgx.yaml").read_text()


def _numbers():
    return [(label, basis, fitted_to) for label, _source, basis, fitted_to in pgx.numbers()]


def test_every_pgx_number_has_a_basis_and_derived_ones_name_pgx_references():
    numbers = list(_numbers())
    assert len(numbers) == 38  # 19 CYP2D6 activity values, 4 thresholds, max_copies, 14 multipliers
    assert {b for _, b, _ in numbers} <= set(BASES)
    refs = set(pgx.pgx_references())
    for where, basis, fitted_to in numbers:
        if basis in FITTED_BASES:
            assert fitted_to is not None and set(fitted_to.sources) <= refs, where


def test_pgx_bases_say_how_each_multiplier_was_obtained():
    genes, _ = pgx._data()
    cyp2c19 = genes["CYP2C19"].clearance_multipliers
    assert cyp2c19["intermediate"].basis == "derived" and cyp2c19["intermediate"].fitted_to.sources == ("jukic2018",)
    assert cyp2c19["poor"].basis == "assumed" and genes["CYP2B6"].clearance_multipliers["rapid"].basis == "assumed"
    assert {g.clearance_multipliers["normal"].basis for g in genes.values()} == {"model"}


class _File:
    def __init__(self, text):
        self.text = text

    def joinpath(self, _):
        return self

    def read_text(self):
        return self.text


def _load_with(monkeypatch, data):
    monkeypatch.setattr(pgx.resources, "files", lambda _pkg: _File(yaml.safe_dump(data)))
    pgx._data.cache_clear()


@pytest.fixture
def restore_pgx():
    yield
    pgx._data.cache_clear()


def test_a_multiplier_without_basis_is_refused_at_load_naming_the_number(monkeypatch, restore_pgx):
    data = yaml.safe_load(_TEXT)
    del data["genes"]["CYP2D6"]["clearance_multipliers"]["intermediate"]["basis"]
    _load_with(monkeypatch, data)
    with pytest.raises(DataError, match=r"data/pgx.yaml gene CYP2D6: clearance_multipliers.intermediate has no "
                                        r"basis; add basis: one of measured"):
        pgx.supported_genes()


def test_an_activity_value_without_basis_is_refused_at_load(monkeypatch, restore_pgx):
    data = yaml.safe_load(_TEXT)
    del data["genes"]["CYP2D6"]["alleles"]["*10"]["basis"]
    _load_with(monkeypatch, data)
    with pytest.raises(DataError, match=r"(?s)data/pgx.yaml gene CYP2D6 is invalid.*alleles.\*10.*needs basis"):
        pgx.supported_genes()


def test_a_derived_multiplier_without_fitted_to_is_refused(monkeypatch, restore_pgx):
    data = yaml.safe_load(_TEXT)
    del data["genes"]["CYP2C19"]["clearance_multipliers"]["rapid"]["fitted_to"]
    _load_with(monkeypatch, data)
    with pytest.raises(DataError, match=r"(?s)gene CYP2C19 is invalid.*clearance_multipliers.rapid.*"
                                        r"a derived number needs fitted_to"):
        pgx.supported_genes()
