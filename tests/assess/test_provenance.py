"""Provenance of the assessment's tables: every number of the observation/units table (molar masses,
plausible ranges, error models) and of the PK variability table has a basis, refused at load when
missing; derived ones name their sources."""

from __future__ import annotations

from collections import Counter

import pytest
import yaml

from neuroscape.assess import priors, units
from neuroscape.errors import DataError
from neuroscape.model.network import BASES, FITTED_BASES


def _numbers():
    for e in units.table().entries:
        for field in ("molar_mass", "plausible", "error"):
            value = getattr(e, field)
            if value is not None:
                yield f"{e.key}.{field}", value


def test_every_number_of_the_observation_table_has_a_basis():
    numbers = list(_numbers())
    counts = Counter(v.basis for _, v in numbers)
    assert set(counts) <= set(BASES) and sum(counts.values()) == len(numbers) >= 70
    # molar masses are physical constants; a table value read in a source is measured
    assert {v.basis for w, v in numbers if w.endswith(".molar_mass")} == {"constant"}
    assert units.lookup("tyrosine").error.basis == "measured"


def test_derived_numbers_name_references_of_the_table():
    refs = set(units.table().references)
    derived = [(w, v) for w, v in _numbers() if v.basis in FITTED_BASES]
    assert len(derived) >= 15
    for where, v in derived:
        assert v.fitted_to is not None and set(v.fitted_to.sources) <= refs, where


def test_assumed_numbers_are_marked_with_source_assumed_and_a_reason():
    for where, v in _numbers():
        if v.basis == "assumed":
            assert v.source == "assumed" and v.note, where


class _File:
    def __init__(self, text):
        self.text = text

    def joinpath(self, _):
        return self

    def read_text(self):
        return self.text


@pytest.fixture
def restore_tables():
    yield
    units.table.cache_clear()
    units._index.cache_clear()
    priors._pk_table.cache_clear()


def test_an_observation_number_without_basis_is_refused_at_load(monkeypatch, restore_tables):
    text = units.resources.files("neuroscape.assess").joinpath("data/loinc.yaml").read_text()
    data = yaml.safe_load(text)
    del data["entries"][0]["molar_mass"]["basis"]
    monkeypatch.setattr(units.resources, "files", lambda _pkg: _File(yaml.safe_dump(data)))
    units.table.cache_clear()
    with pytest.raises(DataError, match=r"assess/data/loinc.yaml: entries.0.molar_mass has no basis; add basis"):
        units.table()


def test_a_pk_variability_row_without_basis_is_refused_at_load(monkeypatch, restore_tables):
    text = priors.resources.files("neuroscape.assess").joinpath("data/pk_variability.yaml").read_text()
    data = yaml.safe_load(text)
    del data["default"]["volume"]["basis"]
    monkeypatch.setattr(priors.resources, "files", lambda _pkg: _File(yaml.safe_dump(data)))
    priors._pk_table.cache_clear()
    with pytest.raises(DataError, match=r"assess/data/pk_variability.yaml entry default.volume: the number has no "
                                        r"basis; add basis: one of measured"):
        priors.pk_variability_sources()


def test_the_pk_variability_rows_are_assumed_with_their_reason():
    rows = priors._pk_table()["default"].values()
    assert {row["basis"] for row in rows} == {"assumed"} and all(row["note"] for row in rows)
