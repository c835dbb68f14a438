"""The hard safety rules as data (data/safety_rules.yaml): validated into `Rule` values.

The YAML file's header explains each kind; `neuroscape.manage.safety` evaluates them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..errors import DataError

KINDS = ("contraindicated_combination", "washout", "label_ceiling", "genotype_ceiling", "trajectory_ceiling",
         "therapeutic_duplication")


# --- the rules -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Member:
    """A drug (or a supplement of the nutrition library) in a rule; with `above_daily_mg`, only courses
    whose largest total in any 24 hours exceeds it count."""

    drug: str
    above_daily_mg: float | None = None

    def __str__(self) -> str:
        return self.drug if self.above_daily_mg is None else f"{self.drug} above {self.above_daily_mg:g} mg/day"


@dataclass(frozen=True)
class Rule:
    id: str
    kind: str
    reason: str
    source: str
    a: tuple[Member, ...] = ()              # contraindicated_combination
    b: tuple[Member, ...] = ()
    tail: Literal["pharmacokinetic", "none"] = "pharmacokinetic"
    unless_with: tuple[str, ...] = ()       # contraindicated_combination, washout
    after: tuple[Member, ...] = ()          # washout
    before: tuple[Member, ...] = ()
    min_h: float | None = None
    quantity: str | None = None             # trajectory_ceiling
    region: str | None = None
    relative_to: str | None = None
    max_value: float | None = None
    classes: tuple[str, ...] = ()           # therapeutic_duplication
    max_overlap_h: float | None = None
    max_label_fraction: float | None = None

    def drugs(self) -> tuple[str, ...]:
        """Every drug name the rule mentions."""
        return tuple(dict.fromkeys(m.drug for m in self.a + self.b + self.after + self.before)) + self.unless_with


class _MemberSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    drug: str
    above_daily_mg: float = Field(gt=0)


class _RuleSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    kind: Literal["contraindicated_combination", "washout", "label_ceiling", "genotype_ceiling",
                  "trajectory_ceiling", "therapeutic_duplication"]
    reason: str = Field(min_length=10)
    source: str = Field(min_length=10)
    a: list[str | _MemberSpec] = []
    b: list[str | _MemberSpec] = []
    tail: Literal["pharmacokinetic", "none"] = "pharmacokinetic"
    unless_with: list[str] = []
    after: list[str | _MemberSpec] = []
    before: list[str | _MemberSpec] = []
    min_h: float | None = Field(None, gt=0)
    quantity: str | None = None
    region: str | None = None
    relative_to: Literal["baseline"] | None = None
    max_value: float | None = None
    classes: list[str] = []
    max_overlap_h: float | None = Field(None, ge=0)
    max_label_fraction: float | None = Field(None, gt=0)
    basis: Literal["sourced", "assumed"] = "sourced"

    @model_validator(mode="after")
    def _fields_of_kind(self) -> _RuleSpec:
        needs = {"contraindicated_combination": ("a", "b"), "washout": ("after", "before", "min_h"),
                 "trajectory_ceiling": ("quantity", "max_value"),
                 "therapeutic_duplication": ("classes", "max_overlap_h")}.get(self.kind, ())
        missing = [name for name in needs if getattr(self, name) in (None, [], "")]
        if missing:
            raise ValueError(f"a {self.kind} rule needs {', '.join(missing)}")
        allowed = set(needs) | {"id", "kind", "reason", "source", "basis"} | {
            "contraindicated_combination": {"tail", "unless_with"}, "washout": {"unless_with"},
            "trajectory_ceiling": {"region", "relative_to"},
            "therapeutic_duplication": {"max_label_fraction"}}.get(self.kind, set())
        extra = sorted(name for name in self.model_fields_set if name not in allowed)
        if extra:
            raise ValueError(f"a {self.kind} rule does not take {', '.join(extra)}")
        return self


def _rules_text() -> str:
    return resources.files("neuroscape.manage").joinpath("data/safety_rules.yaml").read_text(encoding="utf-8")


def parse_rules(data: Any, where: str = "safety_rules.yaml") -> tuple[Rule, ...]:
    """Validate a rules mapping (the YAML file's content) into Rule objects; DataError if malformed."""
    if not isinstance(data, dict) or data.get("version") != 1 or not isinstance(data.get("rules"), list):
        raise DataError(f"{where}: expected a mapping with version: 1, groups and a list of rules")
    groups = data.get("groups") or {}
    if not isinstance(groups, dict) or not all(
            isinstance(k, str) and k.isupper() and isinstance(v, list) and all(isinstance(d, str) for d in v)
            for k, v in groups.items()):
        raise DataError(f"{where}: groups must map UPPER-CASE names to lists of drug names")

    def expand(items: Iterable[str | _MemberSpec], rid: str) -> tuple[Member, ...]:
        out: list[Member] = []
        for item in items:
            if isinstance(item, _MemberSpec):
                out.append(Member(item.drug, item.above_daily_mg))
            elif item in groups:
                out += [Member(d) for d in groups[item]]
            elif item.isupper():
                raise DataError(f"{where}: rule {rid}: unknown group {item!r}; groups: {', '.join(groups)}")
            else:
                out.append(Member(item))
        return tuple(dict.fromkeys(out))

    rules: list[Rule] = []
    for i, raw in enumerate(data["rules"]):
        try:
            spec = _RuleSpec.model_validate(raw)
        except ValidationError as exc:
            rid = raw.get("id", f"rules[{i}]") if isinstance(raw, dict) else f"rules[{i}]"
            raise DataError(f"{where}: rule {rid} is invalid: {exc}") from None
        rules.append(Rule(
            id=spec.id, kind=spec.kind, reason=" ".join(spec.reason.split()),
            source=" ".join(spec.source.split()), a=expand(spec.a, spec.id), b=expand(spec.b, spec.id),
            tail=spec.tail, unless_with=tuple(spec.unless_with), after=expand(spec.after, spec.id),
            before=expand(spec.before, spec.id), min_h=spec.min_h, quantity=spec.quantity,
            region=spec.region, relative_to=spec.relative_to, max_value=spec.max_value,
            classes=tuple(spec.classes), max_overlap_h=spec.max_overlap_h,
            max_label_fraction=spec.max_label_fraction))
    ids = [r.id for r in rules]
    dupes = sorted({x for x in ids if ids.count(x) > 1})
    if dupes:
        raise DataError(f"{where}: rule ids must be unique; repeated: {', '.join(dupes)}")
    return tuple(rules)


@lru_cache(maxsize=1)
def load_rules() -> tuple[Rule, ...]:
    """The packaged rules (data/safety_rules.yaml)."""
    return parse_rules(yaml.safe_load(_rules_text()))


__all__ = ["KINDS", "Member", "Rule", "load_rules", "parse_rules"]
