"""`neuroscape nonmem EVENTS.csv`: predictions at the observation records against closed-form
one-compartment PK (citalopram is linear and one-compartment in the model), files and exit codes."""

from __future__ import annotations

import csv
import json

import pytest
from typer.testing import CliRunner

from neuroscape.cli import app
from neuroscape.pharmacology.library import load_drug
from neuroscape.pharmacology.pk import concentration, linear_pk, steady_state_oral_1cpt

runner = CliRunner()
PK = linear_pk(load_drug("citalopram"), weight_kg=70.0)

EVENTS = """ID,TIME,EVID,AMT,II,ADDL,SS,DV,DRUG
1,0,1,20,24,2,0,.,citalopram
1,4,0,.,.,.,.,15.1,citalopram
1,50,0,.,.,.,.,30.2,citalopram
2,0,1,40,.,.,0,.,citalopram
2,2,0,.,.,.,.,25,citalopram
2,3,0,.,.,.,.,.,citalopram
3,0,1,20,24,0,1,.,citalopram
3,6,0,.,.,.,.,60,citalopram
"""


def _file(tmp_path, text=EVENTS, name="events.csv"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def _run(*args):
    return runner.invoke(app, ["nonmem", *map(str, args)])


def test_predictions_match_superposed_bateman_functions(tmp_path):
    res = _run(_file(tmp_path), "--weight", 70, "--json")
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)["predictions"]
    assert [(r["ID"], r["TIME"]) for r in rows] == [(1, 4.0), (1, 50.0), (2, 2.0), (2, 3.0), (3, 6.0)]
    doses_1 = [(t, 20.0, "oral", None) for t in (0.0, 24.0, 48.0)]
    expected = [*concentration(PK, doses_1, [4.0, 50.0]), *concentration(PK, [(0.0, 40.0, "oral", None)], [2.0, 3.0])]
    for row, c in zip(rows, expected):
        assert row["PRED"] == pytest.approx(1000 * c, rel=0.01) and row["UNIT"] == "ng/mL"
    assert rows[0]["RES"] == pytest.approx(15.1 - rows[0]["PRED"], rel=1e-12)
    assert rows[3]["DV"] is None and rows[3]["RES"] is None
    # SS=1: at steady state before TIME 0 (20 doses before it by default: 10 half-lives of citalopram)
    assert rows[4]["PRED"] == pytest.approx(1000 * steady_state_oral_1cpt(PK, 20.0, 24.0, 6.0), rel=0.01)


def test_one_id_and_the_csv_file(tmp_path):
    out = tmp_path / "pred.csv"
    res = _run(_file(tmp_path), "--id", 2, "--out", out)
    assert res.exit_code == 0, res.output
    rows = list(csv.DictReader(open(out, newline="")))
    assert [r["ID"] for r in rows] == ["2", "2"] and rows[1]["DV"] == "." and rows[1]["RES"] == "."
    assert float(rows[0]["RES"]) == pytest.approx(25 - float(rows[0]["PRED"]), rel=1e-12)


def test_set_and_genotype_change_the_subject(tmp_path):
    path = _file(tmp_path)
    plain = json.loads(_run(path, "--id", 2, "--json").stdout)["predictions"][0]["PRED"]
    slow = json.loads(_run(path, "--id", 2, "--json", "--set", "citalopram_ka=0.5").stdout)["predictions"][0]["PRED"]
    poor = json.loads(_run(path, "--id", 1, "--json", "--genotype", "CYP2C19=poor").stdout)["predictions"][1]["PRED"]
    normal = json.loads(_run(path, "--id", 1, "--json").stdout)["predictions"][1]["PRED"]
    assert slow < plain  # slower absorption: less drug in plasma 2 h after the dose
    assert poor > 1.1 * normal  # CYP2C19 carries about 30% of citalopram's clearance


@pytest.mark.parametrize("args,text", [
    (["--id", 7], "--id 7: not in"),
    (["--set", "citalopram_kaa=1"], "--set citalopram_kaa=1: 'citalopram_kaa' is not a parameter"),
    (["--set", "citalopram_ka=-1"], "'-1' is not allowed for citalopram_ka"),
    (["--genotype", "CYP2C19"], "--genotype CYP2C19: write --genotype NAME=VALUE"),
    (["--format", "tsv"], "event table format 'tsv': allowed: csv, space"),
    (["--out", "x.txt"], "--out x.txt: the file name must end in .csv"),
    (["--sex", "other"], "Subject.sex = 'other'"),
])
def test_bad_options_exit_2(tmp_path, args, text):
    res = _run(_file(tmp_path), *args)
    assert res.exit_code == 2, res.output
    assert text in res.output and "Traceback" not in res.output


@pytest.mark.parametrize("table,text", [
    ("ID,TIME,EVID,AMT,DV\n1,0,1,20,.\n1,2,0,.,3\n", "dose 1 (TIME 0) names no drug"),
    ("ID,TIME,EVID,AMT,DV,DRUG\n1,0,1,20,.,citalopram\n1,2,3,.,.,citalopram\n1,4,0,.,3,citalopram\n",
     "ID 1: EVID 3/4 resets are not simulated"),
    ("ID,TIME,EVID,AMT,DV,DRUG\n1,0,1,20,.,citalopram\n1,2,0,.,3,sertraline\n",
     "plasma.sertraline is not in this ID's model (it doses citalopram)"),
    ("ID,TIME,EVID,AMT,DV,DRUG\n1,0,1,20,.,nodrug\n1,2,0,.,3,nodrug\n", "nodrug"),
    ("ID,TIME,EVID,AMT,DV\n1,x,1,20,.\n", "TIME 'x' is not a number"),
])
def test_bad_tables_exit_2(tmp_path, table, text):
    res = _run(_file(tmp_path, table))
    assert res.exit_code == 2, res.output
    assert text in res.output and "Traceback" not in res.output
