"""Consistency vs prediction: each check is labelled by whether a parameter was fitted to its source."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from neuroscape.cli import app
from neuroscape.validation import CaseResult, Check, headline, label_check, load_cases, run_case
from neuroscape.validation.labels import dosed_drugs

CASES = {c["id"]: c for c in load_cases()}


def _label(case_id):
    case = CASES[case_id]
    return label_check(case["sources"], dosed_drugs(case))


@pytest.mark.parametrize("case_id,fit", [
    ("V03", "citalopram_ec50_sert <- meyer2001"),
    ("V04", "sertraline_emax_sert <- meyer2007"),
    ("V08", "ps_max <- young1985"),
    ("V11", "female_tph2_factor <- nishizawa1997"),
    ("V13", "k_1a_desens <- czachura2000, lepoul1995"),
    ("V14", "vigabatrin_ki_gaba_t <- petroff1996"),
    ("V15", "tdo_cort_emax <- green1975"),
])
def test_cases_checked_against_the_data_of_a_fit_are_consistency(case_id, fit):
    label = _label(case_id)
    assert label.kind == "consistency"
    assert fit in label.fitted


@pytest.mark.parametrize("case_id", ["V07", "V16"])
def test_cases_whose_sources_no_parameter_used_are_predictions(case_id):
    assert _label(case_id).kind == "prediction" and _label(case_id).fitted == ()


def test_the_drugs_of_a_case_include_active_metabolites():
    assert dosed_drugs(CASES["V03"]) == ("citalopram", "fluoxetine", "norfluoxetine", "paroxetine", "sertraline")
    # the same source is a prediction for a drug whose numbers were not fitted to it
    assert label_check(["meyer2001"], ["risperidone"]).kind == "prediction"
    assert label_check(["meyer2001"], ["citalopram"]).kind == "consistency"


def test_a_check_may_name_its_own_sources():
    case = {"id": "T1", "sources": ["nishizawa1997"], "arms": CASES["V11"]["arms"],
            "checks": [{"label": "same source", "value": "male.synthesis / female.synthesis", "min": 1.3},
                       {"label": "other source", "value": "male.synthesis / female.synthesis", "min": 1.3,
                        "sources": ["sakai2006"]}]}
    result = run_case(case)
    assert [c.kind for c in result.checks] == ["consistency", "prediction"]
    assert result.checks[0].fitted == ("female_tph2_factor <- nishizawa1997",)
    assert result.checks[1].sources == ("sakai2006",)


def test_headline_counts_checks_by_kind():
    def check(kind, ok):
        return Check("x", 1.0, None, None, ok, kind)
    results = [CaseResult("A", "", "pass", (check("prediction", True), check("consistency", True))),
               CaseResult("B", "", "fail", (check("prediction", False), check("prediction", True)))]
    assert headline(results) == {"prediction_passed": 2, "prediction_run": 3,
                                 "consistency_passed": 1, "consistency_run": 1}


def test_validate_json_and_report_show_the_kind_and_the_headline(tmp_path):
    res = CliRunner().invoke(app, ["validate", "--json", "--case", "V11", "--report", str(tmp_path)])
    assert res.exit_code == 0, res.output
    case = json.loads(res.stdout)["cases"][0]
    assert case["kind"] == "consistency"
    assert case["checks"][0]["kind"] == "consistency"
    assert case["checks"][0]["fitted"] == ["female_tph2_factor <- nishizawa1997"]
    page = (tmp_path / "validation.html").read_text()
    assert "predictions: 0 passed / 0 run; consistency checks" in page
    assert "female_tph2_factor &lt;- nishizawa1997" in page


def test_a_known_failure_is_reported_as_fail_but_does_not_fail_validate():
    res = CliRunner().invoke(app, ["validate", "--json", "--case", "P04"])
    assert res.exit_code == 0, res.output
    case = json.loads(res.stdout)["cases"][0]
    assert case["status"] == "fail" and case["kind"] == "prediction"
    assert case["known_failure"].startswith("model 0.753 vs 0.45-0.75")
    assert 0.75 < case["checks"][0]["value"] < 0.76
