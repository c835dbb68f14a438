"""Independent predictions (validation cases P..): each from a published source that played no part in
any parameter. They pass, or fail as strict xfails whose numbers their case file states (known_failure)."""

from __future__ import annotations

import pytest

from neuroscape.validation import load_cases, run_case
from neuroscape.validation.labels import dosed_drugs, label_check

PREDICTIONS = {c["id"]: c for c in load_cases() if c["id"].startswith("P")}
EXPECTED_PASS = sorted(i for i, c in PREDICTIONS.items() if not c.get("known_failure"))
KNOWN_FAILURES = sorted(i for i, c in PREDICTIONS.items() if c.get("known_failure"))


def test_there_are_prediction_cases_and_known_failures_say_why_with_numbers():
    assert len(PREDICTIONS) >= 10
    for case_id in KNOWN_FAILURES:
        assert "model" in PREDICTIONS[case_id]["known_failure"] and "vs" in PREDICTIONS[case_id]["known_failure"]


@pytest.mark.parametrize("case_id", sorted(PREDICTIONS))
def test_no_parameter_was_fitted_to_or_read_from_a_prediction_source(case_id):
    case = PREDICTIONS[case_id]
    for spec in case["checks"]:
        label = label_check(spec.get("sources", case["sources"]), dosed_drugs(case))
        assert label.kind == "prediction", (spec["label"], label.fitted)


@pytest.mark.slow
@pytest.mark.parametrize("case_id", EXPECTED_PASS)
def test_prediction_passes(case_id):
    result = run_case(PREDICTIONS[case_id])
    assert result.status == "pass", [(c.label, c.value, c.band) for c in result.checks] or result.reason
    assert {c.kind for c in result.checks} == {"prediction"}


@pytest.mark.slow
@pytest.mark.parametrize("case_id", [pytest.param(i, marks=pytest.mark.xfail(
    strict=True, reason=PREDICTIONS[i]["known_failure"])) for i in KNOWN_FAILURES])
def test_known_failing_prediction(case_id):
    result = run_case(PREDICTIONS[case_id])
    assert result.status != "error", result.reason
    assert result.status == "pass", [(c.label, c.value, c.band) for c in result.checks]
