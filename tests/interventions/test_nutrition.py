import pytest

from neuroscape.errors import ProtocolError
from neuroscape.interventions.nutrition import intake, preset_names


def test_supplement_amount_in_micromoles():
    item = intake("tryptophan", 2.0, dose_mg=1000)
    assert item.amino_acids_umol["tryptophan"] == pytest.approx(1000 / 204.23 * 1000)
    assert item.at_h == 2.0


def test_depletion_drink_has_no_tryptophan_and_leucine_from_its_recipe():
    item = intake("tryptophan_depletion_drink", 0.0)
    assert "tryptophan" not in item.amino_acids_umol
    assert item.amino_acids_umol["leucine"] == pytest.approx(13.5 / 131.17 * 1e6)


def test_meal_protein_and_carbohydrate():
    item = intake("meal", 0.0, protein_g=30, carbohydrate_g=80)
    assert item.carbohydrate_g == 80
    assert item.amino_acids_umol["tryptophan"] == pytest.approx(30 * 0.012 / 204.23 * 1e6)


def test_errors_name_the_field():
    with pytest.raises(ProtocolError, match="unknown nutrition 'pizza'; allowed: .*meal"):
        intake("pizza", 0.0)
    with pytest.raises(ProtocolError, match="protein_g: 250 g is outside 0-200 g"):
        intake("meal", 0.0, protein_g=250)
    with pytest.raises(ProtocolError, match="'vitamin_b6' acts on a model input, not the gut"):
        intake("vitamin_b6", 0.0, dose_mg=50)
    assert {"meal", "tryptophan_depletion_drink", "5-htp"} <= preset_names()
