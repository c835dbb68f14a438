import json

import pytest

from typer.testing import CliRunner

from neuroscape.cli import app

runner = CliRunner()


def _write(tmp_path, text):
    path = tmp_path / "p.yaml"
    path.write_text(text)
    return str(path)


GOOD = """protocol: 1
name: trp-1g
interventions:
  - {nutrition: tryptophan, at_h: 0, dose_mg: 1000}
readouts:
  - {id: trp, quantity: plasma.tryptophan, at_h: [0, 2], relative_to: baseline}
  - {id: e5ht, quantity: brain.serotonin.extracellular, region: cortex, at_h: 0}
"""


def test_help_lists_every_command():
    out = runner.invoke(app, ["--help"]).output
    for cmd in ("protocol", "validate", "cite", "parameters", "export-sbml", "demo"):
        assert cmd in out


def test_protocol_run_json(tmp_path):
    res = runner.invoke(app, ["protocol", "run", _write(tmp_path, GOOD), "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["name"] == "trp-1g"
    assert data["readouts"]["trp"]["value"][0] == 1.0 and data["readouts"]["trp"]["value"][1] > 1.5
    assert data["readouts"]["e5ht"]["unit"] == "nM" and 45 < data["readouts"]["e5ht"]["value"] < 85


def test_protocol_run_plot(tmp_path):
    png = tmp_path / "out.png"
    res = runner.invoke(app, ["protocol", "run", _write(tmp_path, GOOD), "--plot", str(png)])
    assert res.exit_code == 0 and png.stat().st_size > 1000


def test_malformed_protocol_exits_2_naming_the_key(tmp_path):
    res = runner.invoke(app, ["protocol", "run", _write(tmp_path, GOOD.replace("dose_mg: 1000", "dose_mg: -5"))])
    assert res.exit_code == 2
    assert "interventions[0].dose_mg" in res.output and "-5" in res.output


def test_sleep_deprivation_raises_next_evening_cortisol(tmp_path):
    # A night awake (08:00 start, 24 h awake): evening cortisol the next day x1.45 (Leproult 1997).
    text = GOOD.replace("{nutrition: tryptophan, at_h: 0, dose_mg: 1000}",
                        "{sleep_deprivation: total, start_h: 0, duration_h: 24}").replace(
        "quantity: plasma.tryptophan, at_h: [0, 2], relative_to: baseline",
        "quantity: plasma.cortisol, at_h: [30, 36], relative_to: baseline")
    res = runner.invoke(app, ["protocol", "run", _write(tmp_path, text), "--json"])
    assert res.exit_code == 0, res.output
    before, evening = json.loads(res.stdout)["readouts"]["trp"]["value"]
    assert before == 1.0 and abs(evening - 1.45) < 0.01


def test_hormone_fold_runs_and_unknown_hormone_exit_2(tmp_path):
    text = GOOD.replace("{nutrition: tryptophan, at_h: 0, dose_mg: 1000}",
                        "{hormone: cortisol, start_h: 0, fold: 3}").replace(
        "quantity: plasma.tryptophan, at_h: [0, 2], relative_to: baseline", "quantity: plasma.cortisol, at_h: [0, 2]")
    res = runner.invoke(app, ["protocol", "run", _write(tmp_path, text), "--json"])
    assert res.exit_code == 0, res.output
    # 200 nmol/L (the 24-h mean, Debono 2009 mesor) x 3
    assert json.loads(res.stdout)["readouts"]["trp"]["value"] == pytest.approx([600.0, 600.0])
    res = runner.invoke(app, ["protocol", "run", _write(tmp_path, text.replace("cortisol", "cortisone"))])
    assert res.exit_code == 2 and "unknown hormone 'cortisone'" in res.output


def test_unknown_drug_exit_2_with_suggestion(tmp_path):
    text = GOOD.replace("{nutrition: tryptophan, at_h: 0, dose_mg: 1000}",
                        "{drug: escitalopam, dose_mg: 10}")
    res = runner.invoke(app, ["protocol", "run", _write(tmp_path, text)])
    assert res.exit_code == 2 and "escitalopram" in res.output and "interventions[0].drug" in res.output


def test_absurd_drug_dose_exit_2(tmp_path):
    text = GOOD.replace("{nutrition: tryptophan, at_h: 0, dose_mg: 1000}",
                        "{drug: escitalopram, dose_mg: 250}")
    res = runner.invoke(app, ["protocol", "run", _write(tmp_path, text)])
    assert res.exit_code == 2 and "10x the label maximum" in res.output


def test_unknown_modification_exit_2(tmp_path):
    text = GOOD.replace("interventions:", "subject: {modifications: {SERTT: 0.5}}\ninterventions:")
    res = runner.invoke(app, ["protocol", "run", _write(tmp_path, text)])
    assert res.exit_code == 2 and "SERTT" in res.output and "SERT" in res.output


def test_cite_lists_sources_with_dois():
    res = runner.invoke(app, ["cite", "--json"])
    assert res.exit_code == 0
    entries = {e["key"]: e for e in json.loads(res.stdout)}
    assert entries["best2009"]["doi"] == "10.1186/1742-4682-6-21"
    assert "dat_vmax" in entries["best2009"]["parameters"]


def test_validate_json_and_report(tmp_path):
    res = runner.invoke(app, ["validate", "--json", "--case", "V01", "--case", "V06", "--report", str(tmp_path)])
    assert res.exit_code == 0, res.output
    statuses = {c["id"]: c["status"] for c in json.loads(res.stdout)["cases"]}
    assert statuses == {"V01": "pass", "V06": "reference"}
    assert (tmp_path / "validation.html").read_text().count("<img") == 1
