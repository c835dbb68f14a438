"""Every unit a laboratory sends for a mapped analyte, conventional US units included, against values
computed by hand (mass -> molar: value x (g per unit) / molar mass). Issue 12."""

from __future__ import annotations

import pytest

from neuroscape.assess.units import lookup, parse_ucum, to_model_unit
from neuroscape.errors import DataError
from neuroscape.io._records_common import mass
from neuroscape.pharmacology.library import load_drug

# (analyte, value, UCUM unit, value in the model unit computed by hand)
CASES = [
    ("cortisol", 14.5, "ug/dL", 14.5 * 1e4 / 362.46),          # 145 ug/L / 362.46 g/mol = 400.04 nmol/L
    ("cortisol", 145.0, "ug/L", 145.0 * 1e3 / 362.46),
    ("cortisol", 400.0, "nmol/L", 400.0),
    ("cortisol", 0.4, "umol/L", 400.0),
    ("estradiol", 100.0, "pg/mL", 100.0 * 1e3 / 272.38),        # 1e-7 g/L -> 367.14 pmol/L
    ("estradiol", 10.0, "ng/dL", 10.0 * 1e4 / 272.38),          # the same 1e-7 g/L
    ("estradiol", 367.0, "pmol/L", 367.0),
    ("progesterone", 10.0, "ng/mL", 10.0 * 1e3 / 314.46),       # 31.80 nmol/L
    ("tryptophan", 1.2, "mg/dL", 1.2 * 1e4 / 204.23),           # 12 mg/L -> 58.76 umol/L
    ("tryptophan", 0.05, "mmol/L", 50.0),
    ("tryptophan", 12.0, "ug/mL", 12.0 * 1e3 / 204.23),
    ("kynurenine", 0.5, "mg/L", 0.5 * 1e3 / 208.21),            # 2.40 umol/L
    ("csf_5hiaa", 20.0, "ng/mL", 20.0 * 1e3 / 191.18),          # 104.6 nmol/L
    ("escitalopram", 0.03, "mg/L", 30.0),
    ("escitalopram", 30.0, "ug/L", 30.0),
    ("escitalopram", 30000.0, "ng/L", 30.0),
    ("mrs_gaba", 1.2, "mmol/kg", 1.2),
    ("pet_sert_occupancy", 75.0, "%", 0.75),
]


@pytest.mark.parametrize("key, value, unit, expected", CASES)
def test_conversions_match_hand_computed_values(key, value, unit, expected):
    assert to_model_unit(value, unit, lookup(key)) == pytest.approx(expected, rel=1e-9)


def test_drug_level_in_molar_units_uses_the_library_molar_mass():
    mw = load_drug("escitalopram").molar_mass_g_per_mol.value
    assert to_model_unit(100.0, "nmol/L", lookup("escitalopram")) == pytest.approx(100e-9 * mw * 1e6, rel=1e-9)


def test_body_units():
    assert mass(150.0, "[lb_av]", "kilogram", "x") == pytest.approx(150 * 0.45359237, rel=1e-12)  # 68.039 kg
    assert mass(10.0, "mg", "milligram", "x") == 10.0 and mass(500.0, "ug", "milligram", "x") == 0.5
    assert float((parse_ucum("[in_i]") * 65).to("centimeter").magnitude) == pytest.approx(165.1, rel=1e-12)
    assert float((parse_ucum("[oz_av]") * 16).to("gram").magnitude) == pytest.approx(453.59237, rel=1e-9)


@pytest.mark.parametrize("unit", ["mcg/dL", "µg/dL", "ug/dl/"])
def test_text_that_is_not_ucum_is_refused_with_examples(unit):
    with pytest.raises(DataError, match="is not a UCUM unit"):
        to_model_unit(1.0, unit, lookup("cortisol"))
