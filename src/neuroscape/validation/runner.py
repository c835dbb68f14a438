"""Run the validation cases of VALIDATION.md: each is protocol arms + checks with a tolerance."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from types import SimpleNamespace

import numpy as np
import yaml

from ..errors import NeuroscapeError, ValidationCaseError
from ..protocol.run import run_protocol
from ..protocol.schema import parse_protocol

_SAFE = {"min": np.min, "max": np.max, "abs": np.abs, "argmin": np.argmin, "argmax": np.argmax,
         "mean": np.mean}


@dataclass(frozen=True)
class Check:
    label: str
    value: float | None
    min: float | None
    max: float | None
    passed: bool

    @property
    def band(self) -> str:
        lo = "" if self.min is None else f"{self.min:g}"
        hi = "" if self.max is None else f"{self.max:g}"
        return f">= {lo}" if not hi else (f"<= {hi}" if not lo else f"{lo}-{hi}")


@dataclass(frozen=True)
class CaseResult:
    id: str
    finding: str
    status: str  # pass | fail | missing | error
    checks: tuple[Check, ...] = ()
    target: str = ""
    tolerance: str = ""
    sources: tuple[str, ...] = ()
    reason: str = ""
    series: dict = field(default_factory=dict)  # arm -> readout id -> (times, values, unit)


@lru_cache(maxsize=1)
def load_cases() -> tuple[dict, ...]:
    folder = resources.files("neuroscape.validation").joinpath("cases")
    cases = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            case = yaml.safe_load(entry.read_text())
            if not isinstance(case, dict) or "id" not in case:
                raise ValidationCaseError(f"validation case {entry.name}: needs a mapping with an id")
            cases.append(case)
    return tuple(sorted(cases, key=lambda c: int(c["id"][1:])))


def run_case(case: dict) -> CaseResult:
    common = dict(id=case["id"], finding=case.get("finding", ""), target=case.get("target", ""),
                  tolerance=case.get("tolerance", ""), sources=tuple(case.get("sources", ())))
    if "missing" in case:
        return CaseResult(status="missing", reason=case["missing"], **common)
    names: dict[str, object] = dict(_SAFE)
    series: dict[str, dict] = {}
    try:
        for arm, data in case["arms"].items():
            result = run_protocol(parse_protocol(data, source=f"{case['id']}.arms.{arm}"))
            ns = {}
            series[arm] = {}
            for rid, ro in result.readouts.items():
                ns[rid] = np.asarray(ro["value"], dtype=float)
                ns[f"{rid}_at_h"] = np.asarray(ro["at_h"], dtype=float)
                series[arm][rid] = (ro["at_h"], ro["value"], ro["unit"], ro["quantity"])
            names[arm] = SimpleNamespace(**ns)
        checks = []
        for spec in case["checks"]:
            value = float(eval(spec["value"], {"__builtins__": {}}, names))  # noqa: S307 - our data files
            lo, hi = spec.get("min"), spec.get("max")
            ok = bool(np.isfinite(value) and (lo is None or value >= lo) and (hi is None or value <= hi))
            checks.append(Check(spec["label"], value, lo, hi, ok))
    except NeuroscapeError as exc:
        return CaseResult(status="error", reason=str(exc), **common)
    status = "pass" if all(c.passed for c in checks) else "fail"
    return CaseResult(status=status, checks=tuple(checks), series=series, **common)


def run_validation(ids: list[str] | None = None, progress=None) -> list[CaseResult]:
    cases = [c for c in load_cases() if not ids or c["id"] in ids]
    results = []
    for case in cases:
        results.append(run_case(case))
        if progress:
            progress(case["id"])
    return results
