"""Published validation cases (data files) and their runner."""

from .labels import CONSISTENCY, PREDICTION, Label, case_kind, headline, headline_text, label_check
from .runner import CaseResult, Check, Published, load_cases, run_case, run_validation

__all__ = ["CONSISTENCY", "PREDICTION", "CaseResult", "Check", "Label", "Published", "case_kind", "headline",
           "headline_text", "label_check", "load_cases", "run_case", "run_validation"]
