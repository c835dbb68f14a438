import pytest

from neuroscape.errors import ProtocolError
from neuroscape.interventions.fasting import fasting_inputs
from neuroscape.protocol import FastingIntervention, parse_protocol
from neuroscape.protocol.run import run_protocol


def _protocol(fast, readouts=None):
    return {"protocol": 1, "name": "fast", "interventions": [fast],
            "readouts": readouts or [{"id": "ffa", "quantity": "plasma.ffa", "at_h": [0, 24, 48]}]}


def test_a_fast_holds_the_fasting_input_while_it_lasts():
    assert fasting_inputs(10.0, 48.0) == [("fasting", 10.0, 58.0, 1.0, "add")]


def test_fasting_parses_with_or_without_a_label():
    for fast in ({"fasting": "water", "start_h": 0, "duration_h": 48},
                 {"fasting": None, "start_h": 2, "duration_h": 5}):
        item = parse_protocol(_protocol(fast)).interventions[0]
        assert isinstance(item, FastingIntervention) and item.end_h == fast["start_h"] + fast["duration_h"]


@pytest.mark.parametrize("fast, message", [
    ({"fasting": "water", "start_h": 0}, r"interventions\[0\]\.duration_h: required key is missing"),
    ({"fasting": "water", "start_h": 0, "duration_h": -4}, r"interventions\[0\]\.duration_h: -4 .*positive number"),
    ({"fasting": "water", "start_h": 0, "duration_h": 4, "dose_mg": 1}, r"interventions\[0\]\.dose_mg"),
])
def test_bad_fasting_names_the_key(fast, message):
    with pytest.raises(ProtocolError, match=message):
        parse_protocol(_protocol(fast))


def test_a_48_h_fast_raises_ffa_and_free_tryptophan_then_refeeding_undoes_it():
    readouts = [{"id": "ffa", "quantity": "plasma.ffa", "at_h": [0, 24, 48, 96]},
                {"id": "free", "quantity": "plasma.tryptophan.free", "at_h": [48], "relative_to": "baseline"}]
    out = run_protocol(parse_protocol(_protocol({"fasting": "water", "start_h": 0, "duration_h": 48},
                                                readouts))).readouts
    ffa = out["ffa"]["value"]
    assert out["ffa"]["unit"] == "mM"
    assert ffa[0] == pytest.approx(0.4) and ffa[0] < ffa[1] < ffa[2]
    assert 0.7 < ffa[2] < 0.85  # 60 h fasted: 1.9x (Jensen 2001: release about double; case PF3)
    assert ffa[3] < ffa[2]
    assert out["free"]["value"][0] > 1.3
