"""Consistency or prediction: whether a validation check re-reads data a parameter was fitted to.

A check is `consistency` when any parameter it depends on was fitted to (or derived from) one of
the check's own sources, by source key (`fitted_to.sources` of the model's parameter tables and of
the drug files), or was read from one of them (its `source`: a value measured in the study the
check compares against is not independent of it either); otherwise it is a `prediction`.

"Depends on" is taken broadly, so that the label errs towards consistency, never towards
prediction: every parameter of the network that runs the case's drugs (the model's modules, the
dosed drugs with their active metabolites, and the enzyme and levodopa modules they bring). The
readouts of one network share its steady state, so a fit anywhere can move them all. Numbers of a
drug file that no simulation uses (reported half-life, label maximum) are not parameters and do not
count.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

CONSISTENCY, PREDICTION = "consistency", "prediction"


@dataclass(frozen=True)
class Label:
    """`kind` with its reason: the fits to the check's sources, e.g. `gabat_vmax <- petroff1996`."""

    kind: str
    fitted: tuple[str, ...] = ()


@lru_cache(maxsize=None)
def _fits(drugs: tuple[str, ...]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(parameter, the keys it was read from or fitted to) of the network that runs these drugs."""
    from ..pharmacology.network import network_for

    return tuple((p.name, _keys(p.source, p.fitted_to)) for p in network_for(tuple(sorted(drugs))).parameters)


def _keys(source: str, fitted_to) -> tuple[str, ...]:
    return (source, *(fitted_to.sources if fitted_to is not None else ()))


def dosed_drugs(case: dict) -> tuple[str, ...]:
    """The drugs the case's arms dose (any `drug:` inside an arm), with their active metabolites."""
    from ..pharmacology.library import load_drug

    found: set[str] = set()

    def walk(obj):
        if isinstance(obj, dict):
            if isinstance(obj.get("drug"), str):
                found.add(obj["drug"])
            for value in obj.values():
                walk(value)
        elif isinstance(obj, list):
            for value in obj:
                walk(value)

    walk(case.get("arms", {}))
    todo, seen = sorted(found), set()
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(load_drug(name).metabolites)
    return tuple(sorted(seen))


def label_check(sources, drugs) -> Label:
    """The label of a check with these source keys, in a case that doses these drugs."""
    own = set(sources)
    fits = _fits(tuple(sorted(drugs)))
    hits = tuple(f"{name} <- {', '.join(sorted(own & set(keys)))}" for name, keys in fits if own & set(keys))
    return Label(CONSISTENCY, hits) if hits else Label(PREDICTION)


def headline(results) -> dict[str, int]:
    """Checks passed and run, by kind: the headline figure is predictions passed / predictions run."""
    out = {f"{kind}_{what}": 0 for kind in (PREDICTION, CONSISTENCY) for what in ("passed", "run")}
    for r in results:
        for c in r.checks:
            out[f"{c.kind}_run"] += 1
            out[f"{c.kind}_passed"] += bool(c.passed)
    return out


def headline_text(figures: dict[str, int]) -> str:
    return (f"predictions: {figures['prediction_passed']} passed / {figures['prediction_run']} run; "
            f"consistency checks (against data a parameter was fitted to): {figures['consistency_passed']} "
            f"passed / {figures['consistency_run']} run")


def case_kind(result) -> str:
    """A case's kind: its checks' kind, `mixed` when they differ, '' without checks."""
    kinds = {c.kind for c in result.checks}
    return kinds.pop() if len(kinds) == 1 else ("mixed" if kinds else "")
