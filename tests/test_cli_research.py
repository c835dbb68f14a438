"""`protocol run --set/--out/--step`, `scan` and `sensitivity` on the command line: values, files and exit
codes."""

from __future__ import annotations

import csv
import json

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from neuroscape.cli import app

runner = CliRunner()

PROTOCOL = """protocol: 1
name: sert-km
parameters: {sert_km: "90 nM"}
readouts:
  - {id: e5ht, quantity: brain.serotonin.extracellular, region: cortex, at_h: [0, 12]}
  - {id: trp, quantity: plasma.tryptophan, at_h: 12}
"""


def _file(tmp_path, text=PROTOCOL):
    path = tmp_path / "p.yaml"
    path.write_text(text)
    return str(path)


def _run(*args):
    return runner.invoke(app, ["protocol", "run", *map(str, args)])


def _e5ht(res):
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)["readouts"]["e5ht"]["value"][0]


def test_set_overrides_the_file(tmp_path):
    path = _file(tmp_path)
    from_file = _e5ht(_run(path, "--json"))
    same = _e5ht(_run(path, "--json", "--set", "sert_km=0.09"))
    default = _e5ht(_run(path, "--json", "--set", "sert_km=60 nM"))
    assert same == from_file
    assert default < from_file / 1.05  # Km 60 nM (the table's) vs 90 nM


def test_set_errors_exit_2_naming_the_option(tmp_path):
    res = _run(_file(tmp_path), "--set", "sert_kn=0.1")
    assert res.exit_code == 2
    assert "--set sert_kn=0.1: 'sert_kn' is not a parameter of this model; did you mean sert_km" in res.output
    res = _run(_file(tmp_path), "--set", "rel_5ht=-1", "--set", "noequals")
    assert res.exit_code == 2 and "--set noequals: write --set NAME=VALUE" in res.output
    res = _run(_file(tmp_path), "--set", "rel_5ht=2 h")
    assert res.exit_code == 2 and "'2 h' has the wrong dimension for rel_5ht, whose unit is 1/h" in res.output
    assert "Traceback" not in res.output


def test_file_parameter_errors_exit_2(tmp_path):
    res = _run(_file(tmp_path, PROTOCOL.replace('"90 nM"', "-0.09")))
    assert res.exit_code == 2
    assert "parameters.sert_km: -0.09 is not allowed for sert_km: every parameter" in res.output


def test_out_csv_one_row_per_time_and_readout(tmp_path):
    out = tmp_path / "tc.csv"
    res = _run(_file(tmp_path), "--out", out, "--step", 4, "--json")
    assert res.exit_code == 0, res.output
    rows = list(csv.DictReader(open(out, newline="")))
    assert [(r["time_h"], r["readout"]) for r in rows] == [
        ("0.0", "e5ht"), ("4.0", "e5ht"), ("8.0", "e5ht"), ("12.0", "e5ht"),
        ("0.0", "trp"), ("4.0", "trp"), ("8.0", "trp"), ("12.0", "trp")]
    result = json.loads(res.stdout)["readouts"]
    assert float(rows[3]["value"]) == result["e5ht"]["value"][1]
    assert float(rows[7]["value"]) == result["trp"]["value"]
    assert {r["unit"] for r in rows[:4]} == {"nM"} and rows[4]["region"] == "" and rows[4]["unit"] == "uM"


def test_out_parquet_matches_csv(tmp_path):
    path = _file(tmp_path)
    assert _run(path, "--out", tmp_path / "a.csv").exit_code == 0
    assert _run(path, "--out", tmp_path / "a.parquet").exit_code == 0
    rows = list(csv.DictReader(open(tmp_path / "a.csv", newline="")))
    table = pq.read_table(tmp_path / "a.parquet").to_pylist()
    assert [(r["time_h"], r["readout"], r["value"]) for r in table] == [
        (float(r["time_h"]), r["readout"], float(r["value"])) for r in rows]
    assert len(table) == 3  # e5ht at 0 and 12 h, trp at 12 h


def test_out_errors_exit_2_before_running(tmp_path):
    res = _run(_file(tmp_path), "--out", tmp_path / "x.xlsx")
    assert res.exit_code == 2 and "--out" in res.output and ".csv or .parquet" in res.output
    res = _run(_file(tmp_path), "--out", tmp_path / "no" / "x.csv")
    assert res.exit_code == 2 and "does not exist" in res.output


SCAN = """protocol: 1
name: citalopram-day
interventions:
  - {drug: citalopram, dose_mg: 20}
readouts:
  - {id: cmax, quantity: plasma.citalopram, summary: cmax, over_h: [0, 24]}
  - {id: auc, quantity: plasma.citalopram, summary: auc, over_h: [0, 24]}
  - {id: e5ht, quantity: brain.serotonin.extracellular, region: cortex, at_h: [0, 24]}
"""


def test_scan_table_plot_and_json(tmp_path):
    path = _file(tmp_path, SCAN)
    res = runner.invoke(app, ["scan", path, "--vary", "citalopram_ka=0.5:2:4", "--log", "--readout", "cmax",
                              "--plot", str(tmp_path / "s.png"), "--table", str(tmp_path / "s.csv"), "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["parameter"] == "citalopram_ka" and data["unit"] == "1/h" and data["log"] is True
    ka = [r["citalopram_ka"] for r in data["rows"]]
    assert ka == pytest.approx([0.5, 0.5 * 4 ** (1 / 3), 0.5 * 4 ** (2 / 3), 2.0], rel=1e-12)
    cmax = [r["value"] for r in data["rows"]]
    assert cmax == sorted(cmax)  # faster absorption, higher peak (Bateman: Cmax rises with ka)
    rows = list(csv.DictReader(open(tmp_path / "s.csv", newline="")))
    assert [float(r["value"]) for r in rows] == cmax and {r["readout"] for r in rows} == {"cmax"}
    assert (tmp_path / "s.png").read_bytes()[:4] == b"\x89PNG"


def test_scan_errors_exit_2(tmp_path):
    path = _file(tmp_path, SCAN)
    for args, text in [(["--vary", "citalopram_ka=2:1:3"], "LO must be below HI"),
                       (["--vary", "citalopram_ka=1:2:3", "--readout", "cmx"], "did you mean 'cmax'"),
                       (["--vary", "citalopram_ka=1:2:3", "--plot", str(tmp_path / "x.jpg")], "must end in .png"),
                       (["--vary", "citalopram_ka=1:2:3", "--table", str(tmp_path / "x.tsv")], ".csv or .json"),
                       (["--vary", "citalopram_ka=1:2:3", "--set", "x=1"], "--set x=1: 'x' is not a parameter")]:
        res = runner.invoke(app, ["scan", path, *args])
        assert res.exit_code == 2, (args, res.output)
        assert text in res.output and "Traceback" not in res.output


def test_sensitivity_json_and_table(tmp_path):
    path = _file(tmp_path, SCAN)
    res = runner.invoke(app, ["sensitivity", path, "--readout", "auc", "--parameter", "citalopram_f",
                              "--parameter", "sert_km", "--table", str(tmp_path / "s.json"), "--json"])
    assert res.exit_code == 0, res.output
    rows = {r["parameter"]: r for r in json.loads(res.stdout)["rows"]}
    assert rows["citalopram_f"]["sensitivity"] == pytest.approx(1.0, rel=1e-6)  # AUC is linear in F
    assert abs(rows["sert_km"]["sensitivity"]) < 1e-6  # brain transport does not feed back on plasma PK
    assert json.loads((tmp_path / "s.json").read_text())[0]["parameter"] == "citalopram_f"
    res = runner.invoke(app, ["sensitivity", path, "--method", "newton"])
    assert res.exit_code == 2 and "--method newton: allowed: central, steady" in res.output
    res = runner.invoke(app, ["sensitivity", path, "--parameter", "umol_per_mol"])
    assert res.exit_code == 2 and "cannot be overridden" in res.output
