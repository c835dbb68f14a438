"""Parameter scans: the batch gives what one run per value gives; the grid is parsed with units and checked."""

from __future__ import annotations

import pytest

from neuroscape.errors import ProtocolError
from neuroscape.protocol.batch import run_batch
from neuroscape.protocol.run import run_protocol
from neuroscape.protocol.scan import scan, scan_grid, select_readouts
from neuroscape.protocol.schema import parse_protocol

PROTOCOL = parse_protocol({
    "protocol": 1, "name": "citalopram-3-days",
    "interventions": [{"drug": "citalopram", "dose_mg": 20, "every_h": 24, "count": 3}],
    "parameters": {"sert_km": "70 nM"},
    "readouts": [{"id": "cmax", "quantity": "plasma.citalopram", "summary": "cmax", "over_h": [48, 72]},
                 {"id": "e5ht", "quantity": "brain.serotonin.extracellular", "at_h": [0, 24, 48],
                  "relative_to": "baseline"}]})


def _one(changes):
    return run_protocol(PROTOCOL.model_copy(update={"parameters": {**PROTOCOL.parameters, **changes}})).readouts


def test_a_scan_equals_one_run_per_value():
    result = scan(PROTOCOL, "sert_vmax", [150.0, 250.0, 400.0])
    assert result.run.batched == 3 and result.run.status == ("ok", "ok", "ok")
    rows = result.rows()
    assert len(rows) == 3 * 4 and rows[0] == {"sert_vmax": 150.0, "readout": "cmax", "time_h": None,
                                              "value": pytest.approx(_one({"sert_vmax": 150.0})["cmax"]["value"],
                                                                     rel=1e-9),
                                              "unit": "ng/mL", "status": "ok"}
    for value, readouts in zip(result.values, result.run.readouts):
        one = _one({"sert_vmax": value})
        assert readouts["e5ht"]["value"] == pytest.approx(one["e5ht"]["value"], rel=1e-8)
    e5ht_0 = [r["value"] for r in rows if r["readout"] == "e5ht" and r["time_h"] == 0]
    assert e5ht_0 == pytest.approx([1.0, 1.0, 1.0], rel=1e-9)  # each member relative to its own baseline


def test_a_parameter_the_events_read_runs_member_by_member():
    # a dose lag moves the dose events: those members cannot share the batch's event list
    run = run_batch(PROTOCOL, [{"citalopram_lag": 0.0}, {"citalopram_lag": 2.0}, {"sert_vmax": 300.0}])
    assert run.batched == 1 and run.status == ("ok", "ok", "ok")
    assert run.readouts[1]["cmax"]["value"] == pytest.approx(_one({"citalopram_lag": 2.0})["cmax"]["value"],
                                                             rel=1e-12)


def test_grid_parsing():
    name, values = scan_grid(PROTOCOL, "sert_km=30 nM:120 nM:4", log=True)
    assert name == "sert_km" and values == pytest.approx([0.03, 0.03 * 4 ** (1 / 3), 0.03 * 4 ** (2 / 3), 0.12],
                                                         rel=1e-12)
    assert scan_grid(PROTOCOL, "sert_km=0.02:0.08:4")[1] == pytest.approx([0.02, 0.04, 0.06, 0.08])
    assert scan_grid(PROTOCOL, "citalopram_ka=0.01 1/min:0.02 1/min:2")[1] == pytest.approx([0.6, 1.2])


@pytest.mark.parametrize("spec,log,pattern", [
    ("sert_km", False, r"--vary sert_km: write NAME=LO:HI:N"),
    ("sert_km=0.1:0.2", False, r"write NAME=LO:HI:N"),
    ("sert_km=0.1:0.2:1", False, r"N = '1' is not allowed: the number of values is a whole number from 2 to 1000"),
    ("sert_km=0.2:0.1:3", False, r"LO must be below HI"),
    ("sert_km=0:0.1:3", True, r"--log needs LO above 0"),
    ("sert_km=-1:0.1:3", False, r"'-1' is not allowed for sert_km"),
    ("sert_km=1 h:2 h:3", False, r"'1 h' has the wrong dimension for sert_km"),
    ("sert_kn=1:2:3", False, r"'sert_kn' is not a parameter of this model; did you mean sert_km"),
])
def test_bad_grids_name_the_option(spec, log, pattern):
    with pytest.raises(ProtocolError, match=pattern):
        scan_grid(PROTOCOL, spec, log=log)


def test_readout_selection():
    assert [ro.id for ro in select_readouts(PROTOCOL, ["e5ht"]).readouts] == ["e5ht"]
    with pytest.raises(ProtocolError, match=r"--readout e5h: the protocol has no readout with this id \(did you "
                                            r"mean 'e5ht'\?\); its readouts: cmax, e5ht"):
        select_readouts(PROTOCOL, ["e5h"])
