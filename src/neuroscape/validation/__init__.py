"""Published validation cases (data files) and their runner."""

from .runner import CaseResult, Check, load_cases, run_case, run_validation

__all__ = ["CaseResult", "Check", "load_cases", "run_case", "run_validation"]
