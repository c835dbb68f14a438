"""Tests that only confirm a fit carry the fit_check marker, and docs/validation.md lists exactly them."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _marked() -> set[str]:
    found = set()
    for path in sorted((ROOT / "tests").rglob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef) and any(
                    ast.unparse(d).endswith("mark.fit_check") for d in node.decorator_list):
                found.add(f"{path.relative_to(ROOT).as_posix()}::{node.name}")
    return found


def test_docs_list_every_fit_check_and_nothing_else():
    text = (ROOT / "docs" / "validation.md").read_text()
    listed = set(re.findall(r"^- `(tests/[^`]+::\w+)`", text, re.M))
    marked = _marked()
    assert len(marked) >= 20
    assert listed == marked, {"not in docs": sorted(marked - listed), "not marked": sorted(listed - marked)}


def test_the_marker_is_registered():
    assert "fit_check:" in (ROOT / "pyproject.toml").read_text()
