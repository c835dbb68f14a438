"""The tracebacks and poor messages of issue 15, each reproduced: exit 2 with a message that names the option
or key and the fix, checked before the expensive work, and nothing half-written."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from neuroscape.cli import app

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]
BEN = ROOT / "src" / "neuroscape" / "examples" / "patients" / "ben-records.csv"
GOOD = """protocol: 1
name: trp-1g
interventions:
  - {nutrition: tryptophan, at_h: 0, dose_mg: 1000}
readouts:
  - {id: trp, quantity: plasma.tryptophan, at_h: [0, 2], relative_to: baseline}
"""


def _write(folder: Path, text: str | bytes, name: str = "p.yaml") -> Path:
    path = folder / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return path


def _bomb(levels: int = 9) -> str:
    """A few hundred bytes that a plain YAML loader grows to 9**(levels+1) strings."""
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


def _limited(args: list[str], seconds: int = 240, memory_gb: float = 3.0) -> subprocess.CompletedProcess:
    """The CLI in a subprocess under a hard address-space limit: a bomb would end in MemoryError, not swap."""
    limit = int(memory_gb * 2**30)

    def cap():
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    return subprocess.run([sys.executable, "-m", "neuroscape", *args], capture_output=True, text=True,
                          timeout=seconds, preexec_fn=cap, env=env, check=False)


@pytest.mark.parametrize("where", ["name", "at_h"])
def test_a_yaml_alias_bomb_is_refused_under_a_memory_limit(tmp_path, where):
    doc = _bomb()
    if where == "name":
        text = "protocol: 1\n" + doc + "name: *a9\nreadouts: [{id: x, quantity: plasma.tryptophan, at_h: 1}]\n"
    else:
        text = ("protocol: 1\nname: bomb\n" + doc +
                "readouts: [{id: x, quantity: plasma.tryptophan, at_h: *a9}]\n")
    start = time.perf_counter()
    done = _limited(["protocol", "run", str(_write(tmp_path, text))])
    assert done.returncode == 2, done.stderr[-2000:]
    assert "Traceback" not in done.stderr and "MemoryError" not in done.stderr
    assert "references (*name) repeat values" in done.stderr and "at most 100000" in done.stderr
    assert time.perf_counter() - start < 240


def test_the_bomb_is_refused_in_a_target_profile_too(tmp_path):
    res = runner.invoke(app, ["plan", str(BEN), "--targets", str(_write(tmp_path, _bomb() + "name: *a9\n"))])
    assert res.exit_code == 2
    assert "references (*name) repeat values" in res.output


def test_a_self_referring_anchor_is_refused():
    from neuroscape.errors import ProtocolError
    from neuroscape.protocol.schema import load_protocol

    with pytest.raises(ProtocolError, match="an anchor refers to itself"):
        load_protocol(_write(Path(os.environ.get("TMPDIR", "/tmp")), "a: &a [*a]\n", "self-ref.yaml"))


def test_a_huge_value_in_a_message_is_cut_before_it_is_written():
    from neuroscape.protocol._messages import fmt

    nested: list = ["lol"] * 9
    for _ in range(12):  # 9**13 items if repr() walked them all
        nested = [nested] * 9
    start = time.perf_counter()
    assert len(fmt(nested)) <= 60 and time.perf_counter() - start < 1.0
    assert fmt("x" * 10**6).endswith("...")


@pytest.mark.parametrize("plot, message", [
    ("x.foo", r"--plot .*x\.foo: unknown file type \.foo; allowed: .*\.png.*e\.g\. --plot .*x\.png"),
    ("", r"--plot .*: is a folder; give a file name in it, e.g. --plot .*readouts\.png"),
    ("missing/x.png", r"--plot .*x\.png: folder .*missing does not exist; create it \(mkdir -p"),
    ("noext", r"--plot .*noext: has no file type; end the name with one of .*e\.g\. --plot .*noext\.png"),
])
def test_plot_paths_are_checked_before_the_run(tmp_path, plot, message):
    import re

    target = tmp_path / plot if plot else tmp_path
    res = runner.invoke(app, ["protocol", "run", str(_write(tmp_path, GOOD)), "--plot", str(target)])
    assert res.exit_code == 2 and re.search(message, res.output), res.output
    assert not (tmp_path / "noext.png").exists() and sorted(p.name for p in tmp_path.iterdir()) == ["p.yaml"]


def test_plot_problem_and_file_problems_come_in_one_run(tmp_path):
    res = runner.invoke(app, ["protocol", "run", str(_write(tmp_path, GOOD.replace("1000", "-5"))),
                              "--plot", str(tmp_path / "x.foo")])
    assert res.exit_code == 2
    assert "--plot" in res.output and "interventions[0].dose_mg" in res.output


@pytest.mark.parametrize("out, message", [
    ("", r"OUT .*: is a folder; give a file name in it, e\.g\. OUT .*neuroscape\.xml"),
    ("missing/model.xml", r"folder .*missing does not exist"),
    ("model.txt", r"unknown file type \.txt; allowed: \.xml, \.sbml"),
])
def test_export_sbml_checks_the_path_first(tmp_path, out, message):
    import re

    res = runner.invoke(app, ["export-sbml", str(tmp_path / out if out else tmp_path)])
    assert res.exit_code == 2 and re.search(message, res.output), res.output


def test_export_sbml_writes_the_file_whole(tmp_path):
    res = runner.invoke(app, ["export-sbml", str(tmp_path / "model.xml")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "model.xml").read_text().rstrip().endswith("</sbml>")
    assert [p.name for p in tmp_path.iterdir()] == ["model.xml"]


def test_validate_report_into_a_file_is_refused_before_the_cases_run(tmp_path):
    existing = _write(tmp_path, "keep me", "notes.txt")
    start = time.perf_counter()
    res = runner.invoke(app, ["validate", "--report", str(existing), "--case", "V01"])
    assert res.exit_code == 2
    assert "--report" in res.output and "is a file, not a folder" in res.output
    assert existing.read_text() == "keep me" and time.perf_counter() - start < 20


def test_validate_unknown_case_and_bad_report_are_reported_together(tmp_path):
    existing = _write(tmp_path, "x", "notes.txt")
    res = runner.invoke(app, ["validate", "--report", str(existing), "--case", "V999"])
    assert res.exit_code == 2 and "--case V999" in res.output and "--report" in res.output


def test_assess_out_into_a_file_is_refused_before_the_calibration(tmp_path):
    existing = _write(tmp_path, "keep me", "report.html")
    start = time.perf_counter()
    res = runner.invoke(app, ["assess", str(BEN), "--out", str(existing)])
    assert res.exit_code == 2 and "--out" in res.output and "is a file, not a folder" in res.output
    assert time.perf_counter() - start < 20  # the calibration takes 40 s on two cores; it never started
    assert existing.read_text() == "keep me"


def test_assess_reports_option_and_file_problems_at_once(tmp_path):
    bad = _write(tmp_path, BEN.read_text().replace("ben,,,sex,male", "ben,,,sex,mael"), "ben.csv")
    res = runner.invoke(app, ["assess", str(bad), "--method", "mcmx", "--out", str(BEN)])
    assert res.exit_code == 2
    assert "--method mcmx" in res.output and "--out" in res.output and "mael" in res.output


def test_a_file_that_is_not_utf8_says_where(tmp_path):
    path = _write(tmp_path, GOOD.replace("trp-1g", "trp-1g-caf\u00e9").encode("latin-1"))
    res = runner.invoke(app, ["protocol", "run", str(path)])
    assert res.exit_code == 2
    assert "not UTF-8 text: byte 28 (line 2, column 17) is 0xe9" in res.output
    assert "must be saved as UTF-8" in res.output


def test_a_look_alike_letter_is_named(tmp_path):
    text = GOOD.replace("{nutrition: tryptophan, at_h: 0, dose_mg: 1000}", "{drug: \u0435scitalopram, dose_mg: 10}")
    res = runner.invoke(app, ["protocol", "run", str(_write(tmp_path, text))])
    assert res.exit_code == 2
    assert "U+0435 CYRILLIC SMALL LETTER IE at position 1 (looks like 'e')" in res.output


def test_an_over_long_name_says_the_limit(tmp_path):
    res = runner.invoke(app, ["protocol", "run", str(_write(tmp_path, GOOD.replace("trp-1g", "x" * 5000)))])
    assert res.exit_code == 2
    assert "name: 'xxx" in res.output and "at most 200 characters (it has 5000)" in res.output
    assert len(res.output) < 2000


def test_an_unknown_quantity_lists_the_closest_not_all(tmp_path):
    text = GOOD.replace("plasma.tryptophan", "brain.serotonin.extracelular")
    res = runner.invoke(app, ["protocol", "run", str(_write(tmp_path, text))])
    assert res.exit_code == 2
    assert "the closest are brain.serotonin.extracellular" in res.output
    assert "`neuroscape quantities` lists all" in res.output
    assert "plasma.trp_lnaa_ratio" not in res.output and len(res.output) < 800
    # a name that fits a template (plasma.<name>) but that the model lacks: found when the plan's network is built
    res = runner.invoke(app, ["protocol", "run", str(_write(tmp_path, GOOD.replace("plasma.tryptophan",
                                                                                   "plasma.tryptophn")))])
    assert res.exit_code == 2
    assert "quantity 'plasma.tryptophn' is not modelled yet; the closest modelled: plasma.tryptophan" in res.output
    assert "`neuroscape quantities` lists them" in res.output and len(res.output) < 800


def test_markup_and_escape_codes_in_user_strings_are_printed_literally(tmp_path):
    text = GOOD.replace("name: trp-1g", 'name: "[bold red]x\\e[31m"')
    res = runner.invoke(app, ["protocol", "run", str(_write(tmp_path, text)), "--json"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["protocol", "run", str(_write(tmp_path, text))])
    assert res.exit_code == 0, res.output
    assert "\x1b" not in res.output and "[bold red]x\\x1b[31m" in res.output
    res = runner.invoke(app, ["drugs", "show", "[bold]x\x1b[2J"])
    assert res.exit_code == 2 and "\x1b" not in res.output and "[bold]x\\x1b[2J" in res.output


def test_a_later_stage_error_keeps_the_file_name(tmp_path):
    path = _write(tmp_path, GOOD.replace("{nutrition: tryptophan, at_h: 0, dose_mg: 1000}",
                                         "{hormone: cortisone, start_h: 0, fold: 3}"))
    res = runner.invoke(app, ["protocol", "run", str(path)])
    assert res.exit_code == 2 and f"{path}: interventions[0].hormone: unknown hormone 'cortisone'" in res.output


def test_a_look_alike_letter_in_an_option_or_a_drug_name_is_named():
    res = runner.invoke(app, ["drugs", "show", "\u0435scitalopram"])
    assert res.exit_code == 2 and "U+0435 CYRILLIC SMALL LETTER IE at position 1" in res.output
    res = runner.invoke(app, ["plan", str(BEN), "--targets", "ssri-efficacy", "--drugs", "sertraline,\u0435scitalopram",
                              "--draws", "-1"])
    assert res.exit_code == 2
    assert "--drugs 'еscitalopram': it contains U+0435 CYRILLIC SMALL LETTER IE" in res.output
    assert "--draws -1" in res.output  # and the other problems in the same run


def test_an_unknown_fhir_resource_type_is_named(tmp_path):
    # found by the fuzz suite: fhir.resources raised KeyError('R4.FooType') through the CLI
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [
        {"resource": {"resourceType": "Patient", "id": "p", "gender": "female", "birthDate": "1990-01-01"}},
        {"resource": {"resourceType": "[bold]Foo", "id": "x"}}, {"resource": {"resourceType": None}}]}
    res = runner.invoke(app, ["assess", str(_write(tmp_path, json.dumps(bundle), "p.json"))])
    # the importer skips and counts resources the model does not use (docs/assessment.md), naming them as
    # written (the markup is printed, not interpreted); this record has nothing left to calibrate
    assert res.exit_code == 2
    assert "skipped 2 item(s) the model does not use" in res.output and "[bold]Foo x1" in res.output
    assert "no observations, medications or reference_time" in res.output


def test_a_fhir_entry_whose_resource_is_not_an_object_is_named(tmp_path):
    # found by the fuzz suite: an AttributeError while naming the entry of a validation error
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [
        {"resource": {"resourceType": "Patient", "id": "p", "gender": "female", "birthDate": "1990-01-01"}},
        {"resource": True}]}
    res = runner.invoke(app, ["assess", str(_write(tmp_path, json.dumps(bundle), "p.json"))])
    assert res.exit_code == 2 and "entry x1: no resource" in res.output and "p.json entry 1" in res.output


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    from neuroscape.cli._common import written_into, written_whole

    target = _write(tmp_path, "old", "model.xml")
    with pytest.raises(RuntimeError), written_whole(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("disk full")
    assert target.read_text() == "old" and sorted(p.name for p in tmp_path.iterdir()) == ["model.xml"]
    with written_whole(target) as tmp:
        tmp.write_text("new")
    assert target.read_text() == "new" and sorted(p.name for p in tmp_path.iterdir()) == ["model.xml"]
    folder = tmp_path / "report"
    with pytest.raises(RuntimeError), written_into(folder) as tmp:
        (tmp / "index.html").write_text("half")
        raise RuntimeError("interrupted")
    assert not folder.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["model.xml"]
