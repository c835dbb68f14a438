import pytest

from neuroscape.validation import load_cases, run_case

FOUNDATION = ("V01", "V02", "V08", "V09", "V10", "V11")
PHARMACOLOGY = ("V03", "V04", "V05", "V12", "V13", "V14")


@pytest.mark.parametrize("case_id", FOUNDATION + PHARMACOLOGY)
def test_foundation_case_passes(case_id):
    case = next(c for c in load_cases() if c["id"] == case_id)
    result = run_case(case)
    assert result.status == "pass", [(c.label, c.value, c.band) for c in result.checks] or result.reason


def test_every_case_of_validation_md_is_present_and_later_ones_missing():
    ids = [c["id"] for c in load_cases()]
    assert ids == [f"V{i:02d}" for i in range(1, 18)]
    missing = {c["id"] for c in load_cases() if "missing" in c}
    assert missing == {f"V{i:02d}" for i in (15, 16, 17)}
    assert run_case(next(c for c in load_cases() if c["id"] == "V06")).status == "reference"
    assert "physiology" in run_case(next(c for c in load_cases() if c["id"] == "V15")).reason
