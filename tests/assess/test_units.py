"""The mapping table and UCUM conversion: every entry sourced, numbers, dimension errors."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from neuroscape.assess.units import lookup, table, to_model_unit
from neuroscape.errors import DataError
from neuroscape.model.library import default_network
from neuroscape.pharmacology.library import drug_names


def test_every_entry_and_number_is_sourced():
    refs = table().references
    for e in table().entries:
        for src in (e.plausible.source, e.error.source, e.loinc_source,
                    e.molar_mass.source if e.molar_mass else None):
            assert src is None or src == "assumed" or src in refs, (e.key, src)
        if e.error.source == "assumed" or e.plausible.source == "assumed":
            assert e.error.note or e.plausible.note, e.key
        assert e.loinc or e.loinc_note, f"{e.key}: name-only entries must say why"


def test_readouts_exist_in_the_model():
    net = default_network()
    for e in table().entries:
        if e.drug:
            assert e.drug in drug_names()
            continue
        region = "cortex" if e.region == "required" else e.region
        if e.quantity.startswith("occupancy.") and e.quantity not in {r.quantity for r in net.readouts}:
            continue  # transporter occupancies appear once a drug that binds them is in the plan
        assert net.readout(e.quantity, region).unit == e.unit, e.key


def test_cortisol_mass_to_molar_within_half_percent():
    assert to_model_unit(14.5, "ug/dL", lookup("2143-6")) == pytest.approx(400, rel=0.005)


def test_tryptophan_mg_per_dl_to_micromolar():
    assert to_model_unit(1.0, "mg/dL", lookup("tryptophan")) == pytest.approx(10_000 / 204.23, rel=1e-6)


def test_drug_stays_in_ng_per_ml_and_molar_uses_library_mass():
    assert to_model_unit(12.0, "ug/L", lookup("escitalopram")) == pytest.approx(12.0)
    assert to_model_unit(100.0, "nmol/L", lookup("escitalopram")) == pytest.approx(32.44, rel=1e-3)


def test_percent_occupancy_is_a_fraction():
    assert to_model_unit(65, "%", lookup("dat occupancy")) == pytest.approx(0.65)


def test_wrong_dimension_names_expected_dimension_and_example():
    with pytest.raises(DataError, match=r"unit 'kg' is a .*needs a mass or molar concentration, e\.g\. ng/mL"):
        to_model_unit(1.0, "kg", lookup("cortisol"))
    with pytest.raises(DataError, match=r"'mcg/dL' is not a UCUM unit"):
        to_model_unit(1.0, "mcg/dL", lookup("cortisol"))


def test_unknown_name_lists_close_names():
    with pytest.raises(DataError, match=r"unknown code or name 'tryptofan'; close: tryptophan"):
        lookup("tryptofan")


@settings(max_examples=40, deadline=None)
@given(st.floats(min_value=1e-3, max_value=1e4))
def test_mass_molar_round_trip(x):
    e = lookup("cortisol")
    molar = to_model_unit(x, "ug/dL", e)
    assert to_model_unit(molar * 362.46 / 1e4, "ug/dL", e) == pytest.approx(molar, rel=1e-9)


@pytest.mark.parametrize("key, value, unit, expected, rel", [
    ("tryptophan", 1.0, "mg/dL", 48.96, 1e-4),       # 10 mg/L / 204.23 g/mol
    ("cortisol", 10.0, "ug/dL", 275.9, 1e-4),        # 100 ug/L / 362.46 g/mol
    ("estradiol", 100.0, "pg/mL", 367.1, 1e-4),      # 100 ng/L / 272.38 g/mol
    ("progesterone", 10.0, "ng/mL", 31.80, 1e-3),    # 10 ug/L / 314.46 g/mol
    ("tryptophan", 48.96, "umol/L", 48.96, 1e-12),   # already the model unit
    ("cortisol", 0.2759, "umol/L", 275.9, 1e-12),    # molar prefix only
])
def test_mass_to_molar_by_hand(key, value, unit, expected, rel):
    assert to_model_unit(value, unit, lookup(key)) == pytest.approx(expected, rel=rel)


def test_annotations_are_unity_in_ucum():
    # "{ratio}" alone is the unit 1 (ucumvert returns a bare token for it: was a TypeError)
    assert to_model_unit(0.5, "{ratio}", lookup("dat occupancy")) == pytest.approx(0.5)
    assert to_model_unit(1.0, "mg/dL{total}", lookup("tryptophan")) == pytest.approx(48.96, rel=1e-4)
    with pytest.raises(DataError, match=r"unit '\{ratio\}' is a dimensionless fraction; Tryptophan"):
        to_model_unit(1.0, "{ratio}", lookup("tryptophan"))
    with pytest.raises(DataError, match="no unit given"):
        to_model_unit(1.0, " ", lookup("tryptophan"))
