"""Provenance of the model's parameters: each has a basis, and fitted/derived ones name the data."""

from __future__ import annotations

from importlib import resources

import pytest

from neuroscape.errors import ModelError
from neuroscape.model import parameters as tables
from neuroscape.model.network import BASES, FITTED_BASES

MODULES = sorted(e.name[:-5] for e in resources.files("neuroscape.model").joinpath("data/parameters").iterdir()
                 if e.name.endswith(".yaml"))
ALL = [p for m in MODULES for p in tables.load_table(m).values()]


def test_every_parameter_has_a_basis_of_the_vocabulary():
    assert len(ALL) > 250
    assert {p.basis for p in ALL} <= set(BASES)
    assert {p.basis for p in ALL} == set(BASES)  # each basis is in use


def test_fitted_and_derived_parameters_name_sources_that_exist():
    refs = tables.references()
    fitted = [p for p in ALL if p.basis in FITTED_BASES]
    assert len(fitted) > 50
    for p in fitted:
        assert p.fitted_to is not None and p.fitted_to.sources, p.name
        assert set(p.fitted_to.sources) <= set(refs), (p.name, p.fitted_to.sources)
        if p.basis == "fitted":
            assert p.fitted_to.data, p.name
    assert all(p.fitted_to is None for p in ALL if p.basis not in FITTED_BASES)


@pytest.mark.parametrize("name,sources", [
    ("female_tph2_factor", {"nishizawa1997"}),            # V11's ratio
    ("k_1a_desens", {"czachura2000", "lepoul1995"}),      # V13's sources
    ("gabat_vmax", {"petroff1996"}),                      # V14
    ("gad_feedback_hill", {"petroff1996"}),               # V14
    ("tdo_cort_emax", {"green1975"}),                     # V15
    ("ps_max", {"young1985"}),                            # V08's depletion
    ("abs_vmax", {"young1985", "dougherty2008"}),         # V08's nadir time
])
def test_values_chosen_to_reproduce_a_validation_result_are_labelled_fitted(name, sources):
    p = next(p for p in ALL if p.name == name)
    assert p.basis == "fitted"
    assert sources <= set(p.fitted_to.sources)


def test_molar_masses_are_constants():
    masses = [p for p in ALL if p.name.endswith("_mw") or p.name.startswith("molar_mass")]
    assert len(masses) >= 4
    assert {p.basis for p in masses} == {"constant"}


def _load(monkeypatch, row: dict):
    monkeypatch.setattr(tables, "_raw_table", lambda module: (row,))
    return tables.load_table("serotonin")


def test_a_missing_basis_is_an_error_naming_file_parameter_and_fix(monkeypatch):
    with pytest.raises(ModelError, match=r"parameters/serotonin.yaml entry 'x': no basis; add basis: one of "
                                         r"measured, model, derived, fitted, assumed, constant"):
        _load(monkeypatch, {"name": "x", "value": 1, "unit": "uM", "source": "best2020"})


def test_a_fitted_value_without_fitted_to_is_refused(monkeypatch):
    with pytest.raises(ModelError, match="a fitted value needs fitted_to"):
        _load(monkeypatch, {"name": "x", "value": 1, "unit": "uM", "source": "best2020", "basis": "fitted",
                            "note": "chosen so that ..."})
    with pytest.raises(ModelError, match=r"fitted_to source\(s\) \['nosuch2001'\] not in references.yaml"):
        _load(monkeypatch, {"name": "x", "value": 1, "unit": "uM", "source": "best2020", "basis": "derived",
                            "fitted_to": {"sources": ["nosuch2001"]}})
    with pytest.raises(ModelError, match="fitted_to is for fitted or derived values; this one is measured"):
        _load(monkeypatch, {"name": "x", "value": 1, "unit": "uM", "source": "best2020", "basis": "measured",
                            "fitted_to": {"sources": ["best2020"]}})
    with pytest.raises(ModelError, match="basis 'guessed' is not one of"):
        _load(monkeypatch, {"name": "x", "value": 1, "unit": "uM", "source": "best2020", "basis": "guessed"})
