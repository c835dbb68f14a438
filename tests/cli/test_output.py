"""Output that fits pipes and papers: --format table|csv|json, whole cells on a pipe, --version, the provenance
every --json carries, the discovery commands and the cite legend; progress quiet when piped."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from typer.testing import CliRunner

from neuroscape import __version__
from neuroscape.cli import app

runner = CliRunner()
GOOD = """protocol: 1
name: trp-1g
interventions:
  - {nutrition: tryptophan, at_h: 0, dose_mg: 1000}
readouts:
  - {id: trp, quantity: plasma.tryptophan, at_h: [0, 2], relative_to: baseline}
  - {id: e5ht, quantity: brain.serotonin.extracellular, region: cortex, at_h: 0}
"""


def _csv(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def test_version_names_the_version():
    res = runner.invoke(app, ["--version"])
    assert res.exit_code == 0
    assert re.fullmatch(rf"neuroscape {re.escape(__version__)}( \(git [0-9a-f]{{40}}(-dirty)?\))?\n", res.output)


def test_a_pipe_gets_whole_cells_even_in_a_narrow_window():
    res = runner.invoke(app, ["drugs", "list"], env={"COLUMNS": "40"})
    assert res.exit_code == 0
    line = next(row for row in res.output.splitlines() if "desmethyldiazepam" in row)
    assert "benzodiazepine metabolite" in line and "GABAA-BZ" in line and "…" not in res.output


def test_drugs_list_as_csv_and_json_agree():
    rows = _csv(runner.invoke(app, ["drugs", "list", "--format", "csv"]).stdout)
    data = json.loads(runner.invoke(app, ["drugs", "list", "--format", "json"]).stdout)
    assert [r["name"] for r in rows] == [d["name"] for d in data]
    esc = next(r for r in rows if r["name"] == "escitalopram")
    assert esc["targets"] == "SERT" and float(esc["label max (mg/d)"]) == 20


def test_format_is_checked_and_contradictions_refused():
    res = runner.invoke(app, ["drugs", "list", "--format", "xml"])
    assert res.exit_code == 2 and "--format xml: allowed: table, csv, json" in res.output
    res = runner.invoke(app, ["cite", "--json", "--format", "csv"])
    assert res.exit_code == 2 and "contradict" in res.output


def test_parameters_as_csv_keep_the_whole_note():
    from neuroscape.model.library import default_network

    rows = {r["name"]: r for r in _csv(runner.invoke(app, ["parameters", "--format", "csv"]).stdout)}
    p = next(p for p in default_network().parameters if len(p.note) > 120)
    assert rows[p.name]["note"] == p.note and rows[p.name]["source"] == p.source
    summary = _csv(runner.invoke(app, ["parameters", "--summary", "--format", "csv"]).stdout)
    assert summary[-1]["module"] == "all"
    assert int(summary[-1]["total"]) == sum(int(r["total"]) for r in summary[:-1])


def test_cite_prints_its_tag_legend_and_json_carries_it():
    text = runner.invoke(app, ["cite"]).output
    assert text.startswith("tags: [A] read in the paper's abstract or opening; [C] read in the model code")
    entries = {e["key"]: e for e in json.loads(runner.invoke(app, ["cite", "--json"]).stdout)}
    assert entries["best2009"]["tag"] == "C" and entries["best2009"]["tag_meaning"].startswith("read in the model code")
    rows = {r["key"]: r for r in _csv(runner.invoke(app, ["cite", "--format", "csv"]).stdout)}
    assert rows["best2009"]["doi"] == "10.1186/1742-4682-6-21" and int(rows["best2009"]["parameters"]) > 5


def test_protocol_run_json_carries_the_provenance(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text(GOOD.replace("interventions:", "subject: {sex: female, weight_kg: 61}\ninterventions:"))
    data = json.loads(runner.invoke(app, ["protocol", "run", str(path), "--json"]).stdout)
    prov = data["provenance"]
    assert prov["version"] == __version__ and prov["file"] == str(path)
    assert prov["solver"]["method"] == "Rodas4" and prov["solver"]["rtol"] == 1e-6
    assert prov["subject"]["sex"] == "female" and prov["subject"]["weight_kg"] == 61
    assert prov["command"][:3] == ["neuroscape", "protocol", "run"] or prov["command"][0] == "neuroscape"
    assert prov["git_commit"] is None or re.fullmatch(r"[0-9a-f]{40}(-dirty)?", prov["git_commit"])


def test_protocol_run_csv_is_tidy(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text(GOOD)
    rows = _csv(runner.invoke(app, ["protocol", "run", str(path), "--format", "csv"]).stdout)
    assert [(r["id"], float(r["at_h"])) for r in rows] == [("trp", 0), ("trp", 2), ("e5ht", 0)]
    assert float(rows[0]["value"]) == 1.0 and float(rows[1]["value"]) > 1.5
    assert 45 < float(rows[2]["value"]) < 85 and rows[2]["unit"] == "nM" and rows[2]["region"] == "cortex"


def test_validate_json_is_an_object_with_provenance_and_cases():
    res = runner.invoke(app, ["validate", "--format", "json", "--case", "V01"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["provenance"]["version"] == __version__
    assert [c["id"] for c in data["cases"]] == ["V01"] and data["cases"][0]["status"] == "pass"
    rows = _csv(runner.invoke(app, ["validate", "--format", "csv", "--case", "V01"]).stdout)
    assert rows[0]["case"] == "V01" and rows[0]["status"] == "pass"


def test_quantities_lists_names_regions_and_templates():
    data = json.loads(runner.invoke(app, ["quantities", "--json"]).stdout)
    names = {q["quantity"]: q for q in data["quantities"]}
    assert names["brain.serotonin.extracellular"]["unit"] == "nM"
    assert "cortex" in names["brain.serotonin.extracellular"]["regions"]
    assert names["occupancy.<target>"]["kind"] == "template"
    assert data["regions"][:5] == ["raphe", "cortex", "hippocampus", "striatum", "prefrontal"]
    text = runner.invoke(app, ["quantities"]).output
    assert "regions: raphe, cortex" in text


def test_analytes_come_from_the_units_table():
    from neuroscape.assess.units import table

    rows = {r["key"]: r for r in _csv(runner.invoke(app, ["analytes", "--format", "csv"]).stdout)}
    assert set(rows) == {e.key for e in table().entries}
    assert rows["tryptophan"]["LOINC"] == "20659-9" and rows["tryptophan"]["UCUM unit"] == "umol/L"


def test_nutrition_list_shows_every_preset():
    from neuroscape.interventions.nutrition import presets

    data = json.loads(runner.invoke(app, ["nutrition", "list", "--json"]).stdout)
    assert [d["name"] for d in data] == sorted(presets())
    assert next(d for d in data if d["name"] == "meal")["kind"] == "meal"


@pytest.mark.parametrize("args", [["validate", "--case", "V01"], ["export-sbml", "{tmp}/m.xml"]])
def test_progress_is_quiet_on_a_pipe(tmp_path, args):
    res = runner.invoke(app, [a.format(tmp=tmp_path) for a in args])
    assert res.exit_code == 0, res.output
    assert not any(ch in res.output for ch in "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏") and "\x1b" not in res.output


def test_status_and_bar_show_on_a_terminal():
    from rich.console import Console

    from neuroscape.cli._common import progress_bar, status

    buffer = io.StringIO()
    term = Console(file=buffer, force_terminal=True, width=80)
    with status("compiling the model", term):
        pass
    with progress_bar("cases", 2, term) as advance:
        advance("V01")
        advance("V02")
    assert "compiling the model" in buffer.getvalue() and "cases" in buffer.getvalue()
    quiet = Console(file=io.StringIO(), force_terminal=False)
    with status("x", quiet), progress_bar("y", 1, quiet) as advance:
        advance("z")
    assert quiet.file.getvalue() == ""


def test_check_lists_violations_as_csv(tmp_path):
    path = tmp_path / "plan.yaml"
    path.write_text("protocol: 1\nname: esc-30\ninterventions:\n  - {drug: escitalopram, dose_mg: 30, every_h: 24, "
                    "count: 2}\nreadouts:\n  - {id: occ, quantity: occupancy.SERT, at_h: 24}\n")
    res = runner.invoke(app, ["check", str(path), "--format", "csv"])
    assert res.exit_code == 1, res.output
    rows = _csv(res.stdout)
    assert "label-max-daily-dose" in {r["rule_id"] for r in rows}
    assert all(r["source"] and r["message"] for r in rows)
    data = json.loads(runner.invoke(app, ["check", str(path), "--json"]).stdout)
    assert {v["rule_id"] for v in data["violations"]} == {r["rule_id"] for r in rows}
    assert data["provenance"]["subject"]["sex"] == "male"
