"""Axis labels: every readout of the model gets a plain name and a unit, never its id or "[1]"."""

import doctest

import pytest

import neuroscape.report.labels as labels
from neuroscape.model.library import default_network
from neuroscape.report.labels import axis_label, label_table, quantity_name


def test_the_module_examples_hold():
    assert doctest.testmod(labels).failed == 0


def test_every_readout_of_the_model_has_a_plain_name_and_a_unit():
    table = label_table(default_network())
    assert len(table) == len(default_network().readouts)
    for key, label in table.items():
        assert "." not in label.name and "_" not in label.name, key  # no quantity id left
        assert label.unit and label.unit != "1", key  # a dimensionless readout says what it is
        assert label.text.endswith(f"({label.unit})")


@pytest.mark.parametrize("quantity, unit, text, scale", [
    ("brain.serotonin.extracellular", "nM", "extracellular serotonin (nM)", 1.0),
    ("plasma.escitalopram", "ng/mL", "plasma escitalopram (ng/mL)", 1.0),
    ("brain.tryptophan", "uM", "brain tryptophan (µM)", 1.0),
    ("occupancy.D2", "1", "D2 occupancy (% of sites)", 100.0),
    ("activity.MAO-A", "1", "MAO-A activity (× typical)", 1.0),
    ("receptor.5HT1A.sensitivity", "1", "5HT1A receptor sensitivity (× typical)", 1.0),
    ("plasma.trp_lnaa_ratio", "1", "plasma Trp/LNAA ratio (ratio)", 1.0),
    ("plasma.insulin", "1", "plasma insulin (× fasting)", 1.0),
])
def test_labels(quantity, unit, text, scale):
    label = axis_label(quantity, None, unit)
    assert (label.text, label.scale) == (text, scale)


def test_a_ratio_to_baseline_is_a_fold():
    label = axis_label("plasma.tryptophan", None, "uM", relative_to="baseline")
    assert label.fold and label.text == "plasma tryptophan (fold of baseline)" and label.scale == 1.0


def test_unknown_quantities_keep_their_name():
    assert quantity_name("sbml.eda") == "sbml.eda"
    assert axis_label("sbml.eda", None, "(model units)").text == "sbml.eda (model units)"
