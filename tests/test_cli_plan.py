"""`neuroscape plan`: exit codes, the --json structure, exported protocols that `protocol run` and `check`
accept, and the HTML report. One small search (a 3-day horizon, 2 draws, one drug) is shared by the tests."""

import io
import json

import pytest
import yaml
from typer.testing import CliRunner

from neuroscape.cli import app

runner = CliRunner()

PATIENT = """patient_id,time,code,name,value,unit,specimen,region,every_h
tess,,,sex,female,,,,
tess,,,age,40,,,,
tess,2026-05-01T08:00:00Z,,weight,70,kg,,,
tess,2026-05-01T08:00:00Z,,medication:escitalopram,10,mg,,,24
tess,2026-05-07T07:30:00Z,,escitalopram,20,ng/mL,plasma,,
"""

# The AGNP escitalopram range, scored from day 1 so that a 3-day horizon can be searched.
PROFILE = {"profile": 1, "name": "esc-trough-test", "settle_h": 24, "bands": [
    {"id": "esc_trough", "quantity": "plasma.escitalopram", "low": 15, "high": 80, "statistic": "min",
     "rationale": "AGNP therapeutic reference range (trough)", "source": "hiemke2018"}]}


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("plan")
    patient = folder / "tess.csv"
    patient.write_text(PATIENT, encoding="utf-8")
    profile = folder / "profile.yaml"
    profile.write_text(yaml.safe_dump(PROFILE), encoding="utf-8")
    return folder, patient, profile


@pytest.fixture(scope="module")
def searched(files):
    folder, patient, profile = files
    res = runner.invoke(app, ["plan", str(patient), "--targets", str(profile), "--drugs", "escitalopram",
                              "--horizon-days", "3", "--draws", "2", "--json", "--out", str(folder / "report"),
                              "--export-protocols", str(folder / "protocols")])
    assert res.exit_code == 0, res.output
    return folder, json.loads(res.stdout)


def test_json_carries_each_ranked_plans_trajectories(searched):
    """Each ranked plan's band readout over the 3 days from now (docs/management.md): the AGNP range as its band,
    scored from day 1, in the readout's unit; the excluded candidates carry none."""
    _, data = searched
    for p in data["plans"]:
        band = p["trajectories"]["bands"]["esc_trough"]
        assert (band["quantity"], band["unit"], band["band"], band["window_days"]) == ("plasma.escitalopram",
                                                                                      "ng/mL", [15.0, 80.0], [1.0, 3.0])
        # the search's grid: every 2 h (and a ladder after each dose) from now to the end of the horizon
        assert 0 <= band["days"][0] <= 2 / 24 and 3 - 2 / 24 <= band["days"][-1] <= 3 and len(band["days"]) <= 150
        assert all(lo <= m <= hi for lo, m, hi in zip(band["p05"], band["median"], band["p95"]))
        trough = min(m for d, m in zip(band["days"], band["median"]) if d >= 1.0)
        assert trough >= p["statistic"]["esc_trough"] * (1 - 5e-4)  # the median of the draws' troughs: below
    assert all("trajectories" not in e for e in data["excluded"])


def test_malformed_profile_exits_2_naming_the_key(files):
    folder, patient, _ = files
    bad = folder / "bad.yaml"
    bad.write_text(yaml.safe_dump({**PROFILE, "bands": [{**PROFILE["bands"][0], "statistic": "median"}]}))
    res = runner.invoke(app, ["plan", str(patient), "--targets", str(bad)])
    assert res.exit_code == 2
    assert "bands.0.statistic" in res.output and "not a valid target profile" in res.output


def test_help_lists_plan():
    res = runner.invoke(app, ["--help"])
    assert res.exit_code == 0 and "plan" in res.output
    res = runner.invoke(app, ["plan", "--help"])
    assert res.exit_code == 0 and "--export-protocols" in res.output


def test_progress_bar_follows_screening_then_the_finalists():
    from rich.console import Console

    from neuroscape.cli.plan import _Progress

    with _Progress(Console(file=io.StringIO(), force_terminal=True)) as bar:
        for k in range(4):
            bar.update(k, 3, "change to escitalopram 5 mg")
        bar.update(1, 2, "final: continue as now")
        tasks = {t.description: (t.completed, t.total) for t in bar.bar.tasks}
    assert tasks == {"screening plans": (3, 3), "final evaluation": (1, 2)}


def test_options_become_levers():
    from neuroscape.manage.options import levers_of
    from neuroscape.errors import ProtocolError

    lv = levers_of("escitalopram, sertraline", "tryptophan", False, "3,5", "estradiol")
    assert lv.drugs == ("escitalopram", "sertraline") and lv.drug_changes and lv.supplements == ("tryptophan",)
    assert lv.exercise_per_week == (3, 5) and lv.hormones == ("estradiol",)
    lv = levers_of(None, None, True)
    assert lv.drugs == () and not lv.drug_changes and lv.supplements == () and lv.exercise_per_week == ()
    assert levers_of(None, None, False).drugs is None  # the profile's drugs
    with pytest.raises(ProtocolError, match="whole numbers"):
        levers_of(None, None, False, "three")
    with pytest.raises(ProtocolError, match="exercise_per_week"):
        levers_of(None, None, False, "9")
    with pytest.raises(ProtocolError, match="give one or more names"):
        levers_of(",", None, False)
    assert levers_of(None, None, False, max_candidates=40).max_candidates == 40
    with pytest.raises(ProtocolError, match="--max-candidates 0: give 1-10000"):
        levers_of(None, None, False, max_candidates=0)


def test_unknown_profile_and_bad_options_exit_2(files):
    _, patient, profile = files
    res = runner.invoke(app, ["plan", str(patient), "--targets", "no-such-profile"])
    assert res.exit_code == 2 and "ssri-efficacy" in res.output  # lists the shipped profiles
    res = runner.invoke(app, ["plan", str(patient), "--targets", str(profile), "--drugs", "escitalopram",
                              "--no-drug-changes"])
    assert res.exit_code == 2 and "contradict" in res.output
    res = runner.invoke(app, ["plan", str(patient), "--targets", str(profile), "--drugs", "escitalopramm"])
    assert res.exit_code == 2 and "unknown drug 'escitalopramm'" in res.output
    res = runner.invoke(app, ["plan", str(patient), "--targets", str(profile), "--objective", "mean"])
    assert res.exit_code == 2 and "allowed: pta, cvar" in res.output
    res = runner.invoke(app, ["plan", str(patient), "--targets", str(profile), "--supplements", "melatonin",
                              "--horizon-days", "3", "--draws", "0"])
    assert res.exit_code == 2 and "'melatonin' is not offered" in res.output


def test_unreadable_patient_file_exits_2(files):
    folder, _, profile = files
    broken = folder / "broken.csv"
    broken.write_text("patient_id,time,code,name,value,unit\nx,,,sex,robot,\n", encoding="utf-8")
    res = runner.invoke(app, ["plan", str(broken), "--targets", str(profile)])
    assert res.exit_code == 2 and "error" in res.output
    res = runner.invoke(app, ["plan", str(folder / "missing.json"), "--targets", str(profile)])
    assert res.exit_code == 2


def test_json_lists_ranked_plans_with_protocol_interventions(searched):
    _, data = searched
    assert data["profile"] == "esc-trough-test" and data["horizon_h"] == 72 and data["neuroscape"]
    assert data["disclaimer"].startswith("Every plan is a simulated scenario")
    plans = data["plans"]
    assert [p["rank"] for p in plans] == list(range(1, len(plans) + 1)) and len(plans) >= 2
    labels = [p["label"] for p in plans]
    assert "continue as now" in labels
    for p in plans:
        assert set(p["pta"]) == {"esc_trough", "joint"}
        lo, hi = p["pta"]["joint"]["ci95"]
        assert 0 <= lo <= p["pta"]["joint"]["p"] <= hi <= 1 and p["pta"]["joint"]["n"] == 2
        assert p["burden"]["pills_per_day"] >= 1
        drugs = [i for i in p["interventions"] if "drug" in i]
        assert drugs and all(i["drug"] == "escitalopram" and i["dose_mg"] > 0 for i in drugs)
    # a dose change cuts the current 10 mg course and starts the new dose at its next scheduled dose after
    # "now", one dosing interval after the last 10 mg dose
    change = next(p for p in plans if p["label"].startswith("change to"))
    old, new = change["interventions"][0], change["interventions"][-1]
    assert old["dose_mg"] == 10 and new["dose_mg"] != 10
    last_old = old["start_h"] + (old.get("count", 1) - 1) * old.get("every_h", 0)
    assert new["start_h"] == last_old + old["every_h"] and data["now_h"] <= new["start_h"] < data["now_h"] + 24
    # doses above the label maximum (20 mg/day) are excluded with the rule that excludes them
    assert data["excluded"] and all("label-max-daily-dose" in e["rules"] for e in data["excluded"])
    assert data["message"] and isinstance(data["reached"], bool)


def test_exported_protocols_run_and_pass_check(searched):
    folder, data = searched
    exported = [folder / "protocols" / p.split("/")[-1] for p in data["protocols"]]
    assert len(exported) == len(data["plans"]) and all(p.is_file() for p in exported)
    first = yaml.safe_load(exported[0].read_text())
    assert first["interventions"] == data["plans"][0]["interventions"]
    for path in exported[:2]:
        res = runner.invoke(app, ["protocol", "run", str(path), "--json"])
        assert res.exit_code == 0, res.output
        readout = json.loads(res.stdout)["readouts"]["esc_trough"]
        assert readout["value"][0] > 0 and readout["at_h"] == [pytest.approx(data["now_h"] + data["horizon_h"])]
        res = runner.invoke(app, ["check", str(path), "--json"])
        assert res.exit_code == 0, res.output
        assert json.loads(res.stdout)["violations"] == []


def test_report_is_written(searched):
    folder, data = searched
    page = (folder / "report" / "tess-plans.html").read_text()
    assert data["report"].endswith("tess-plans.html")
    for text in ("Ranked plans", "esc-trough-test", "label-max-daily-dose", "AGNP therapeutic reference range",
                 "never medical advice", "The landscape now", "data:image/png;base64,"):
        assert text in page
    assert page.count("data:image/png;base64,") >= 2  # the landscape and the plans' trajectories


def test_terminal_output_shows_the_table_exclusions_and_disclaimer(files):
    folder, patient, profile = files
    res = runner.invoke(app, ["plan", str(patient), "--targets", str(profile), "--drugs", "escitalopram",
                              "--horizon-days", "3", "--draws", "0"], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    out = res.output
    assert "ranked plans" in out and "continue as now" in out and "joint PTA (95% CI)" in out
    assert "excluded by label-max-daily-dose" in out
    assert "never medical advice" in out


def test_demo_plans_name_the_bundled_patients_shipped_profiles_and_valid_levers():
    from neuroscape.cli.demo import DEMO_PLANS, EXAMPLES
    from neuroscape.manage.space import Levers
    from neuroscape.manage.targets import profile_names

    bundled = {p.name for p in (EXAMPLES / "patients").iterdir()}
    assert set(DEMO_PLANS) == bundled
    for profile, levers in DEMO_PLANS.values():
        assert profile in profile_names()
        Levers(**levers)


def test_report_and_table_without_any_safe_plan(tmp_path):
    """Every candidate excluded: the report and the table say so instead of failing."""
    from dataclasses import replace

    from rich.console import Console

    from neuroscape.cli.plan import print_plans
    from neuroscape.manage.search import optimise
    from neuroscape.manage.space import Levers
    from neuroscape.manage.targets import parse_profile
    from neuroscape.report.plans import plans_report
    from neuroscape.subject import Subject

    res = optimise(Subject(), parse_profile(PROFILE), levers=Levers(drugs=("escitalopram",), max_units=1),
                   horizon_h=72.0, draws=0, screen_draws=0)
    assert res.plans
    none = replace(res, plans=(), excluded=res.excluded, reached=False,
                   message="no candidate plan passed the hard safety rules; see the excluded list")
    page = plans_report(none, None, tmp_path).read_text()
    assert "No plan to draw." in page and "no candidate plan passed" in page and "never medical advice" in page
    console = Console(file=io.StringIO(), width=160)
    print_plans(none, "nobody", console)
    text = console.file.getvalue()
    assert "no candidate plan passed" in text and "Every plan is a simulated scenario" in text
