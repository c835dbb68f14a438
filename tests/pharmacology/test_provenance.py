"""Provenance of the drug library: every number has a basis; fitted/derived ones name their data."""

from __future__ import annotations

import pytest
import yaml

from neuroscape.errors import DataError
from neuroscape.model.network import BASES, FITTED_BASES
from neuroscape.model.parameters import references
from neuroscape.pharmacology import library
from neuroscape.pharmacology.library import Sourced, cyp_turnover, drug_names, drug_references, load_drug


def _numbers(obj, path):
    if isinstance(obj, Sourced):
        yield path, obj
    elif isinstance(obj, (tuple, list)):
        for i, item in enumerate(obj):
            yield from _numbers(item, f"{path}[{i}]")
    elif isinstance(obj, dict):
        for key, item in obj.items():
            yield from _numbers(item, f"{path}.{key}")
    elif hasattr(type(obj), "model_fields"):
        for field in type(obj).model_fields:
            yield from _numbers(getattr(obj, field), f"{path}.{field}")


NUMBERS = [n for name in drug_names() for n in _numbers(load_drug(name), name)] + \
          [(f"cyp_turnover.{k}", v) for k, v in cyp_turnover().items()]


def test_every_number_of_the_library_has_a_basis():
    assert len(NUMBERS) > 300
    assert {s.basis for _, s in NUMBERS} == set(BASES)


def test_fitted_and_derived_numbers_name_sources_that_exist():
    refs = {**references(), **drug_references()}
    fitted = [(p, s) for p, s in NUMBERS if s.basis in FITTED_BASES]
    assert len(fitted) > 100
    for path, s in fitted:
        assert s.fitted_to is not None and set(s.fitted_to.sources) <= set(refs), path
        if s.basis == "fitted":
            assert s.fitted_to.data, path


@pytest.mark.parametrize("drug,source", [("citalopram", "meyer2001"), ("paroxetine", "meyer2001"),
                                         ("fluoxetine", "meyer2004"), ("sertraline", "meyer2004")])
def test_ssri_potencies_back_calculated_from_pet_are_fitted_to_it(drug, source):
    target = next(t for t in load_drug(drug).targets if t.target == "SERT")
    assert target.ec50_ng_per_mL.basis == "fitted"
    assert target.ec50_ng_per_mL.fitted_to.sources == (source,)


def test_vigabatrin_ki_is_fitted_to_petroff_and_molar_masses_are_constants():
    assert load_drug("vigabatrin").targets[0].ki_ng_per_mL.fitted_to.sources == ("petroff1996",)
    assert {load_drug(n).molar_mass_g_per_mol.basis for n in drug_names()} == {"constant"}


def test_a_number_without_basis_is_refused_naming_file_number_and_fix(tmp_path, monkeypatch):
    text = library._folder().joinpath("vigabatrin.yaml").read_text()
    data = yaml.safe_load(text)
    del data["distribution"]["volume_L"]["basis"]
    (tmp_path / "vigabatrin.yaml").write_text(yaml.safe_dump(data))
    monkeypatch.setattr(library, "_folder", lambda: tmp_path)
    library.drug_names.cache_clear()
    library.load_drug.cache_clear()
    try:
        with pytest.raises(DataError, match=r"drug file vigabatrin.yaml: distribution.volume_L has no basis; "
                                            r"add basis: one of measured, model, derived, fitted"):
            load_drug("vigabatrin")
    finally:
        library.drug_names.cache_clear()
        library.load_drug.cache_clear()


def test_fitted_needs_fitted_to_and_a_measured_number_has_none():
    with pytest.raises(ValueError, match="a fitted number needs fitted_to"):
        Sourced(value=1, source="meyer2001", basis="fitted")
    with pytest.raises(ValueError, match="fitted_to is for fitted or derived numbers; this one is measured"):
        Sourced(value=1, source="meyer2001", basis="measured", fitted_to={"sources": ["meyer2001"]})


def test_every_parameter_of_the_full_drug_network_has_a_basis_and_fitted_ones_their_data():
    """Parameters made in code (enzyme turnover, levodopa transport, brain efflux) included."""
    from neuroscape.pharmacology.network import network_for

    refs = {**references(), **drug_references()}
    params = network_for(drug_names()).parameters
    assert {p.basis for p in params} <= set(BASES)
    for p in params:
        if p.basis in FITTED_BASES:
            assert p.fitted_to is not None and set(p.fitted_to.sources) <= set(refs), p.name
    by_name = {p.name: p for p in params}
    assert by_name["ldopa_5ht_uptake"].fitted_to.sources == ("tanaka1999",)
    assert by_name["citalopram_ec50_sert"].basis == "fitted"
    assert by_name["k_efflux_trp"].fitted_to.sources == ("best2010",)
