"""The import summary and `neuroscape import`: the long CSV format's skips, censored values and menstrual
rows; the dry-run command (text and JSON, exit 2 with every problem); `assess` printing the summary first;
the RxNorm table, name parser and sig reader."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import pytest
from tests.io._bundles import NOW, synthea_like, write
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from neuroscape.assess.records import RecordError
from neuroscape.assess.units import product, rxnorm_table
from neuroscape.cli import app
from neuroscape.errors import DataError
from neuroscape.io._sig import every_h_of_code, read_sig
from neuroscape.io.records_csv import import_records_csv, read_records_csv
from neuroscape.pharmacology.library import drug_names

HEAD = "patient_id,time,code,name,value,unit,specimen,region,every_h,until\n"
DEMO = "x,,,sex,female,,,,,\nx,,,age,30,,,,,\n"


def _csv(tmp_path, body, name="c.csv"):
    p = tmp_path / name
    p.write_text(HEAD + DEMO + body)
    return p


# ---- the long CSV format ---------------------------------------------------------------------

def test_csv_unknown_names_are_skipped_and_counted_misspellings_are_not(tmp_path):
    p = _csv(tmp_path, "x,2026-04-01T08:00:00Z,,creatinine,0.9,mg/dL,,,,\n"
                       "x,2026-04-02T08:00:00Z,,creatinine,1.0,mg/dL,,,,\n"
                       "x,2026-04-01T08:00:00Z,2160-0,,0.9,mg/dL,,,,\n"
                       "x,2026-04-01T08:00:00Z,,cortisone,50,nmol/L,,,,\n"   # a real analyte near 'cortisol'
                       "x,2026-04-01T08:00:00Z,,cortisol,400,nmol/L,,,,\n")
    s = import_records_csv(p, now=NOW)
    assert [(o.code, o.value) for o in s.record.observations] == [("cortisol", 400.0)]
    groups = {(g.code, g.count): g.examples for g in s.skipped}
    assert groups == {("creatinine", 2): ("c.csv row 4", "c.csv row 5"), ("2160-0", 1): ("c.csv row 6",),
                      ("cortisone", 1): ("c.csv row 7",)}
    with pytest.raises(RecordError, match=r"c.csv row 4: unknown code or name 'tryptofan'; close: tryptophan"):
        read_records_csv(_csv(tmp_path, "x,2026-04-01T08:00:00Z,,tryptofan,50,umol/L,,,,\n"), now=NOW)


@pytest.mark.parametrize("value, censor, limit", [("<5", "<", 5.0), ("< 5", "<", 5.0), ("<=0.5", "<", 0.5),
                                                  (">1000", ">", 1000.0), (">= 160", ">", 160.0)])
def test_csv_censored_values(tmp_path, value, censor, limit):
    p = _csv(tmp_path, "x,2026-04-01T08:00:00Z,,medication:escitalopram,10,mg,,,24,\n"
                       f"x,2026-04-11T07:30:00Z,,escitalopram,{value},ng/mL,plasma,,,\n")
    (o,) = read_records_csv(p, now=NOW).observations
    assert (o.censor, o.value) == (censor, limit)


def test_csv_lmp_and_cycle_day_rows(tmp_path):
    r = read_records_csv(_csv(tmp_path, "x,,,last_menstrual_period,2026-03-20,,,,,\n"), now=NOW)
    assert r.last_menstrual_period == date(2026, 3, 20)
    # cycle day 8 counted on 2026-04-01: day 1 was 2026-03-25; the latest of several entries is used
    s = import_records_csv(_csv(tmp_path, "x,,,lmp,2026-03-20,,,,,\nx,2026-04-01T08:00:00Z,,cycle_day,8,,,,,\n"
                                          "x,2026-04-01T08:00:00Z,,cortisol,400,nmol/L,,,,\n"), now=NOW)
    assert s.record.last_menstrual_period == date(2026, 3, 25)
    assert s.notes == ("2 menstrual entries; the latest last menstrual period, 2026-03-25 (c.csv row 5), is used",)
    for row, message in [("x,2026-04-01T08:00:00Z,,cycle_day,0,,,,,", "cycle day 0 must be a whole number"),
                         ("x,,,cycle_day,3,,,,,", "cycle_day needs the time"),
                         ("x,,,lmp,20.3.2026,,,,,", "lmp '20.3.2026' is not a date YYYY-MM-DD")]:
        with pytest.raises(RecordError, match=message):
            read_records_csv(_csv(tmp_path, row + "\n"), now=NOW)


def test_csv_unmodelled_medication_is_listed_and_patient_can_be_chosen(tmp_path):
    p = _csv(tmp_path, "x,2026-04-01T08:00:00Z,,medication:lisinopril,10,mg,,,24,\n"
                       "y,,,sex,male,,,,,\ny,,,age,50,,,,,\n")
    with pytest.raises(RecordError, match=r"2 patient_ids \(x, y\); one file holds one person \(choose one with "
                                          r"--patient ID\)"):
        read_records_csv(p, now=NOW)
    s = import_records_csv(p, now=NOW, patient="x")
    assert s.record.sex == "female" and s.not_modelled == ("lisinopril (c.csv row 4)",)
    assert [(g.code, g.count) for g in s.skipped] == [("y", 2)]


# ---- the dry run at the command line ---------------------------------------------------------

def test_import_command_text_and_json(tmp_path):
    p = write(tmp_path, synthea_like())
    out = CliRunner().invoke(app, ["import", str(p)])
    assert out.exit_code == 0, out.output
    assert "export.json: imported" in out.output
    assert "medication escitalopram 10 mg oral every 24 h, 42 dose(s)" in out.output
    assert "not modelled (the landscape ignores it): lisinopril 10 MG Oral Tablet" in out.output
    assert "Observation 85354-9 (Blood pressure panel with all children optional) x1" in out.output
    out = CliRunner().invoke(app, ["import", str(p), "--json"])
    data = json.loads(out.output)
    assert data["imported"] and data["read"]["medications"][0]["dose_mg"] == 10.0
    assert data["read"]["censored_observations"] == 2 and data["skipped_total"] == 19
    assert data["read"]["last_menstrual_period"] == "2026-08-20"


def test_import_command_lists_every_problem_and_exits_2(tmp_path):
    data = synthea_like()
    for e in data["entry"]:
        if e["resource"]["id"] in ("obs-11", "obs-12"):
            e["resource"]["valueQuantity"].update(unit="mm[Hg]", code="mm[Hg]")
    out = CliRunner().invoke(app, ["import", str(write(tmp_path, data)), "--json"])
    assert out.exit_code == 2
    got = json.loads(out.output)
    assert not got["imported"] and len(got["problems"]) == 2 and got["skipped_total"] == 19
    out = CliRunner().invoke(app, ["import", str(write(tmp_path, data))])
    assert out.exit_code == 2 and "NOT imported (2 problem(s))" in out.output
    assert out.output.count("problem: export.json Observation/obs-1") == 2


def test_import_command_patient_choice_and_bad_files(tmp_path):
    (tmp_path / "x.txt").write_text("hello")
    out = CliRunner().invoke(app, ["import", str(tmp_path / "x.txt")])
    assert out.exit_code == 2 and "unknown record format '.txt'" in out.output and "Traceback" not in out.output
    p = _csv(tmp_path, "y,,,sex,male,,,,,\ny,,,age,50,,,,,\n")
    out = CliRunner().invoke(app, ["import", str(p), "--patient", "y"])
    assert out.exit_code == 0 and "patient y: male" in out.output
    assert "sbml" in CliRunner().invoke(app, ["import", "--help"]).output  # the SBML import stays


# ---- the vocabulary behind it -------------------------------------------------------------------

def test_rxnorm_clinical_drugs_name_library_drugs_with_strengths():
    t = rxnorm_table()
    for code, row in t.clinical_drugs.items():
        p = product(row.name)
        assert p is not None and any(s.drug in drug_names() for s in p.strengths), (code, row.name)
        assert row.source in t.references
    assert {d.drug for d in t.ingredients.values()} <= set(drug_names())
    for code, row in t.ingredients.items():  # a source, or 'assumed' and then not used to match
        assert row.source in t.references or (row.source == "assumed" and not row.verified and row.note), code
    assert product(t.clinical_drugs["312941"].name).strengths[0].mg == 50.0  # sertraline 50 MG Oral Tablet


@pytest.mark.parametrize("name, expect", [
    ("sertraline 50 MG Oral Tablet [Zoloft]", [("sertraline", 50.0, "unit")]),
    ("24 HR venlafaxine 150 MG Extended Release Oral Capsule", [("venlafaxine", 150.0, "unit")]),
    ("escitalopram 1 MG/ML Oral Solution", [("escitalopram", 1.0, "mL")]),
    ("lorazepam 500 MCG Oral Tablet", [("lorazepam", 0.5, "unit")]),
    ("fluoxetine 25 MG / olanzapine 6 MG Oral Capsule", [("fluoxetine", 25.0, "unit"), (None, 6.0, "unit")]),
    ("Lexapro 10 mg tablet", [("escitalopram", 10.0, "unit")]),
    ("desvenlafaxine succinate 50 MG", [("desvenlafaxine", 50.0, "unit")]),  # not venlafaxine
])
def test_product_names(name, expect):
    assert [(s.drug, s.mg, s.per) for s in product(name).strengths] == expect


@pytest.mark.parametrize("text, every_h, prn, units, mg", [
    ("Take 1 tablet by mouth twice daily", 12, False, 1, None),
    ("1-2 tabs PO q4-6h PRN anxiety", 4, True, 2, None),
    ("50 mg PO QHS", 24, False, None, 50),
    ("take one capsule every other day", 48, False, 1, None),
    ("Take 2 tablets by mouth every 12 hours", 12, False, 2, None),
    ("as needed for sleep", None, True, None, None),
])
def test_read_sig(text, every_h, prn, units, mg):
    s = read_sig(text)
    assert (s.every_h, s.as_needed, s.units, s.mg) == (every_h, prn, units, mg)


def test_timing_codes():
    assert [every_h_of_code(c) for c in ("BID", "q.i.d.", "Q12H", "q36h", "WK", "XYZ")] == [12, 6, 12, 36, 168, None]


@pytest.mark.slow  # one calibration
def test_assess_prints_the_import_summary_before_calibrating(tmp_path):
    from importlib import resources

    ben = str(resources.files("neuroscape.examples").joinpath("patients/ben-records.csv"))
    out = CliRunner().invoke(app, ["assess", ben, "--samples", "100"])
    assert out.exit_code == 0, out.output
    lines = out.output.splitlines()
    assert lines[0] == "ben-records.csv: imported" and lines[1] == "  patient ben: male, born 1974-01-30, 88 kg"
    assert out.output.index("read 9 observation(s)") < out.output.index("landscape at t")


_CELL = st.one_of(st.sampled_from(["", "x", "female", "40", "<5", ">= 3", "2026-04-01T08:00:00Z", "2026-04-01", "mg",
                                   "ng/mL", "nmol/L", "24", "*1/*2", "1e400", "-3", "0"]), st.text(max_size=6))
_NAMES = st.sampled_from(["sex", "age", "weight", "cortisol", "creatinine", "lmp", "cycle_day",
                          "medication:escitalopram", "medication:lisinopril", "genotype:CYP2D6", "escitalopram",
                          "tryptofan"])


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(["x", "y"]), _CELL, _CELL, _NAMES | _CELL, _CELL, _CELL, _CELL, _CELL,
                          _CELL, _CELL), max_size=8))
def test_fuzzed_csv_raises_only_listed_problems(tmp_path, rows):
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    p = tmp_path / "f.csv"
    p.write_text(HEAD + buf.getvalue())
    try:
        import_records_csv(p, now=NOW)
    except DataError as exc:  # RecordError included
        assert str(exc)
