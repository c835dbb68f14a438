"""`neuroscape patients list|show|export` and `assess --save` (cli/patients.py, cli/assess.py) on a SQLite
store named by NEUROSCAPE_DB."""

import json
from importlib import resources

import pytest
from typer.testing import CliRunner

from neuroscape.cli import app
from neuroscape.io.patient import read_patient
from neuroscape.store import open_store

runner = CliRunner()
PATIENTS = resources.files("neuroscape") / "examples" / "patients"


@pytest.fixture
def db(tmp_path, monkeypatch):
    path = tmp_path / "store.db"
    monkeypatch.setenv("NEUROSCAPE_DB", str(path))
    return path


def _store_anna(db):
    path = PATIENTS / "anna-fhir.json"
    record = read_patient(path)
    open_store(str(db)).save_record(record, raw=path.read_bytes(), filename=path.name)
    return record


def test_list_show_and_export(db, tmp_path):
    res = runner.invoke(app, ["patients", "list"])
    assert res.exit_code == 0 and "no patients yet" in res.output
    record = _store_anna(db)
    res = runner.invoke(app, ["patients", "list", "--json"])
    rows = json.loads(res.stdout)["patients"]
    assert [(r["patient"], r["imports"], r["observations"]) for r in rows] == [
        (record.patient_id, 1, len(record.observations))]
    res = runner.invoke(app, ["patients", "show", record.patient_id])
    assert res.exit_code == 0 and f"observations ({len(record.observations)})" in res.output
    out = tmp_path / "anna.json"
    res = runner.invoke(app, ["patients", "export", record.patient_id, "--out", str(out)])
    assert res.exit_code == 0, res.output
    data = json.loads(out.read_text())
    assert data["patient"] == record.patient_id and data["imports"][0]["raw_base64"]
    assert not list(tmp_path.glob("*.part"))


def test_unknown_patient_and_bad_locations_exit_2(db, tmp_path, monkeypatch):
    record = _store_anna(db)
    res = runner.invoke(app, ["patients", "show", record.patient_id + "x"])
    assert res.exit_code == 2 and "did you mean" in res.output
    res = runner.invoke(app, ["patients", "export", record.patient_id, "--out", str(tmp_path)])
    assert res.exit_code == 2 and "is a folder" in res.output
    res = runner.invoke(app, ["patients", "export", record.patient_id, "--out", str(tmp_path / "no" / "x.json")])
    assert res.exit_code == 2 and "does not exist" in res.output
    monkeypatch.setenv("NEUROSCAPE_DB", str(tmp_path))
    res = runner.invoke(app, ["patients", "list"])
    assert res.exit_code == 2 and "is a folder" in res.output
    # a bad store is refused before the calibration starts
    res = runner.invoke(app, ["assess", str(PATIENTS / "ben-records.csv"), "--save"])
    assert res.exit_code == 2 and "is a folder" in res.output and "landscape" not in res.output


def test_assess_save_stores_the_record_and_the_assessment(db):
    res = runner.invoke(app, ["assess", str(PATIENTS / "ben-records.csv"), "--save", "--json", "--samples", "100"])
    assert res.exit_code == 0, res.output
    stored = json.loads(res.stdout)["stored"]
    assert stored["new_import"] and stored["assessment_id"] == 1
    shown = open_store(str(db)).patient(stored["patient"])
    assert [a["id"] for a in shown["assessments"]] == [1] and shown["assessments"][0]["converged"]


def test_replan_and_replay_refuse_what_they_cannot_do(db, tmp_path):
    res = runner.invoke(app, ["replan", "nobody"])
    assert res.exit_code == 2 and "no patient 'nobody'" in res.output
    _store_anna(db)
    res = runner.invoke(app, ["replan", "anna"])
    assert res.exit_code == 2 and "no stored plan search to take the targets from" in res.output
    res = runner.invoke(app, ["replan", "anna", "--targets", "ssri-efficacy", "--horizon-days", "0"])
    assert res.exit_code == 2 and "--horizon-days 0" in res.output
    res = runner.invoke(app, ["replay", "7"])
    assert res.exit_code == 2 and "no decision 7 in the ledger" in res.output
    res = runner.invoke(app, ["patients", "show", "anna"])
    assert res.exit_code == 0 and "decisions (ledger) (0)" in res.output
