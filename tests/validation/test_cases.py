import pytest

from neuroscape.validation import load_cases, run_case

FOUNDATION = ("V01", "V02", "V08", "V09", "V10", "V11")
PHARMACOLOGY = ("V03", "V04", "V05", "V07", "V12", "V13", "V14")
PHYSIOLOGY = ("V15", "V16", "V17")


# V07 is no longer a known failure: VALIDATION.md now states the band both PET studies allow (issue 18).
KNOWN_FAILURES: dict[str, str] = {}


def test_every_runnable_case_is_tested():
    # The V cases of VALIDATION.md; the independent prediction cases (P) are tests/validation/test_predictions.py
    runnable = {c["id"] for c in load_cases() if "missing" not in c and "reference" not in c
                and c["id"].startswith("V")}
    assert runnable == set(FOUNDATION + PHARMACOLOGY + PHYSIOLOGY) | set(KNOWN_FAILURES)


@pytest.mark.parametrize("case_id", sorted(KNOWN_FAILURES))
@pytest.mark.xfail(strict=True, reason="known failure, see KNOWN_FAILURES and the closing notes")
def test_known_failing_case(case_id):
    case = next(c for c in load_cases() if c["id"] == case_id)
    assert run_case(case).status == "pass"


@pytest.mark.parametrize("case_id", FOUNDATION + PHARMACOLOGY + PHYSIOLOGY)
def test_foundation_case_passes(case_id):
    case = next(c for c in load_cases() if c["id"] == case_id)
    result = run_case(case)
    assert result.status == "pass", [(c.label, c.value, c.band) for c in result.checks] or result.reason


def test_every_case_of_validation_md_is_present():
    ids = [c["id"] for c in load_cases() if c["id"].startswith("V")]
    assert ids == [f"V{i:02d}" for i in range(1, 18)]
    assert not [c["id"] for c in load_cases() if "missing" in c]
    assert run_case(next(c for c in load_cases() if c["id"] == "V06")).status == "reference"


def test_a_missing_case_is_reported_not_skipped():
    result = run_case({"id": "V99", "finding": "x", "missing": "needs exercise interventions"})
    assert result.status == "missing" and "exercise" in result.reason
