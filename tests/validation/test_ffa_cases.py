"""The free-fatty-acid case CF1 (consistency: the data the FFA constants were fitted to). Its predictions
PF1-PF3 run with the other prediction cases (test_predictions.py)."""

import pytest

from neuroscape.validation import load_cases, run_case


@pytest.mark.fit_check
def test_ffa_fits_hold_together_in_the_full_model_cf1():
    case = next(c for c in load_cases() if c["id"] == "CF1")
    result = run_case(case)
    assert result.status == "pass", [(c.label, c.value, c.band) for c in result.checks]
    assert {c.kind for c in result.checks} == {"consistency"}

