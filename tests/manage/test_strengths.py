"""Marketed strengths: every product names a library drug and formulation; doses are whole units."""

import pytest

from neuroscape.errors import DataError
from neuroscape.manage.strengths import _products, admissible_doses, products
from neuroscape.pharmacology.library import drug_names, load_drug


def test_every_dosable_parent_drug_has_a_product_and_every_product_loads():
    parents = {n for n in drug_names() if load_drug(n).absorption is not None}
    assert parents == {p.drug for p in _products()}
    for p in _products():
        assert p.source and p.strengths_mg == tuple(sorted(p.strengths_mg))


def test_doses_are_sums_of_whole_units():
    assert admissible_doses("escitalopram", max_units=1) == (5, 10, 20)
    assert admissible_doses("escitalopram", max_units=2) == (5, 10, 15, 20, 25, 30, 40)
    assert admissible_doses("bupropion", "XL", max_units=2) == (150, 300, 450, 600)
    assert admissible_doses("venlafaxine", "XR", max_units=1) == (37.5, 75, 150)
    assert [p.formulation for p in products("bupropion")] == [None, "SR", "XL"]


def test_unknown_products_and_unit_counts_are_refused():
    with pytest.raises(DataError, match="no marketed product 'XR'.*products: default"):
        admissible_doses("escitalopram", "XR")
    with pytest.raises(DataError, match="not dosed on its own"):
        admissible_doses("norfluoxetine")
    with pytest.raises(DataError, match="max_units = 0"):
        admissible_doses("escitalopram", max_units=0)
