"""A user's parameter values (protocol `parameters:`, `--set`): converted to the table's unit by pint,
unknown names answered with the closest names, impossible values refused."""

from __future__ import annotations

import pytest

from neuroscape.errors import ModelError
from neuroscape.model.library import default_network
from neuroscape.model.parameters import override_value, override_values


@pytest.fixture(scope="module")
def network():
    return default_network()


@pytest.mark.parametrize("value,expected", [
    (0.08, 0.08),               # a number is in the table's unit (uM)
    ("0.08", 0.08),             # as --set gives it
    ("80 nM", 0.08),
    ("80 nmol/L", 0.08),
    ("0.08 mmol/m^3", 0.08),
])
def test_values_are_converted_to_the_table_unit(network, value, expected):
    assert override_value(network, "sert_km", value) == pytest.approx(expected, rel=1e-12)


def test_a_rate_constant_in_another_time_unit(network):
    assert override_value(network, "rel_5ht", "0.05 1/min") == pytest.approx(3.0, rel=1e-12)  # 1/h table unit
    assert override_value(network, "rel_5ht", "1/(20 min)") == pytest.approx(3.0, rel=1e-12)


@pytest.mark.parametrize("name,value,pattern", [
    ("sert_kn", 1, r"'sert_kn' is not a parameter of this model; did you mean sert_km"),
    ("sert_km", -0.1, r"-0.1 is not allowed for sert_km: every parameter of the model is a finite, non-negative "
                      r"number \(the table's value is 0.06 uM\)"),
    ("rel_5ht", "-2 1/h", r"'-2 1/h' is not allowed for rel_5ht"),
    ("rel_5ht", "3 h", r"'3 h' has the wrong dimension for rel_5ht, whose unit is 1/h; .* e.g. \"1.89 1/h\""),
    ("rel_5ht", "fast", r"'fast' cannot be read as a number with a unit for rel_5ht"),
    ("sert_km", "nan uM", r"'nan uM' is not allowed for sert_km"),
    ("sert_km", True, r"True is not allowed for sert_km: give a number in uM"),
    ("umol_per_mol", 2.0, r"umol_per_mol is a physical constant or unit conversion .* cannot be overridden"),
])
def test_bad_values_name_the_parameter_and_the_fix(network, name, value, pattern):
    with pytest.raises(ModelError, match=pattern):
        override_value(network, name, value)


def test_every_problem_is_reported_at_once(network):
    with pytest.raises(ModelError) as info:
        override_values(network, {"sert_km": -1, "rel_5ht": 2.0, "tph_vmaxx": 3})
    assert [name for name, _ in info.value.problems] == ["sert_km", "tph_vmaxx"]
    assert override_values(network, {"sert_km": "70 nM", "rel_5ht": 2}) == {"sert_km": pytest.approx(0.07),
                                                                             "rel_5ht": 2.0}
