"""Hard safety rules (data/safety_rules.yaml) checked on a protocol and on a simulated trajectory.

    report = check(protocol, readout)            # SafetyReport(violations, not_evaluated)
    check_static(protocol) -> list[Violation]    # combinations, wash-outs, label/genotype dose ceilings
    check_trajectory(protocol, readout) -> SafetyReport   # D2 occupancy, serotonin-toxicity index

Static rules, in hours from t = 0 (the YAML file's header explains each kind):
- a *course* is one drug intervention, from its first dose to its last dose;
- two courses are *together* when their dosing spans overlap; a course that follows another must
  start at least the first drug's wash-out after the first course's last dose: the wash-out of a
  `washout` rule for that pair, else 5 elimination half-lives (the longest of the drug and its active
  metabolites in the library), else 24 h. A violation inside the dosing spans is reported as
  `contraindicated_combination`, one in the gap as `washout` (when a washout rule covers the pair);
- a daily dose is the sum of a drug's doses whose time lies in [24k, 24k + 24) h (all routes).

`readout(quantity, region, relative_to) -> (times_h, values)` is supplied by the caller from a
simulation; a readout that raises ModelError or NotModelledError leaves its rule "not evaluated".
Research software: a protocol that passes is not thereby safe for a person.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any, Literal

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..errors import (
    DataError,
    ModelError,
    NeuroscapeError,
    NotModelledError,
    ProtocolError,
)

Readout = Callable[[str, "str | None", "str | None"], tuple[Any, Any]]

KINDS = ("contraindicated_combination", "washout", "label_ceiling", "genotype_ceiling", "trajectory_ceiling")
PHENOTYPES = ("poor", "intermediate", "normal", "rapid", "ultrarapid")
DEFAULT_TAIL_H = 24.0
HALF_LIVES = 5.0
_EPS = 1e-9  # mg and h: rounding slack so that a dose exactly at a limit passes


# --- the rules -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Member:
    """A drug in a rule; with `above_daily_mg`, only courses whose daily total exceeds it count."""

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

    def drugs(self) -> tuple[str, ...]:
        """Every drug name the rule mentions."""
        return tuple(dict.fromkeys(m.drug for m in self.a + self.b + self.after + self.before)) + self.unless_with


@dataclass(frozen=True)
class Violation:
    rule_id: str
    kind: str
    message: str
    reason: str
    source: str
    at_h: float | None
    drugs: tuple[str, ...]

    def to_dict(self) -> dict:
        return {"rule_id": self.rule_id, "kind": self.kind, "message": self.message, "reason": self.reason,
                "source": self.source, "at_h": self.at_h, "drugs": list(self.drugs)}


@dataclass(frozen=True)
class NotEvaluated:
    rule_id: str
    kind: str
    why: str
    source: str

    def to_dict(self) -> dict:
        return {"rule_id": self.rule_id, "kind": self.kind, "why": self.why, "source": self.source}


@dataclass(frozen=True)
class SafetyReport:
    violations: tuple[Violation, ...] = ()
    not_evaluated: tuple[NotEvaluated, ...] = ()

    @property
    def ok(self) -> bool:
        """No rule is violated (rules that could not be evaluated are listed in `not_evaluated`)."""
        return not self.violations

    def to_dict(self) -> dict:
        return {"ok": self.ok, "violations": [v.to_dict() for v in self.violations],
                "not_evaluated": [n.to_dict() for n in self.not_evaluated]}


class _MemberSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    drug: str
    above_daily_mg: float = Field(gt=0)


class _RuleSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    kind: Literal["contraindicated_combination", "washout", "label_ceiling", "genotype_ceiling",
                  "trajectory_ceiling"]
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

    @model_validator(mode="after")
    def _fields_of_kind(self) -> _RuleSpec:
        needs = {"contraindicated_combination": ("a", "b"), "washout": ("after", "before", "min_h"),
                 "trajectory_ceiling": ("quantity", "max_value")}.get(self.kind, ())
        missing = [name for name in needs if not getattr(self, name)]
        if missing:
            raise ValueError(f"a {self.kind} rule needs {', '.join(missing)}")
        allowed = set(needs) | {"id", "kind", "reason", "source"} | {
            "contraindicated_combination": {"tail", "unless_with"}, "washout": {"unless_with"},
            "trajectory_ceiling": {"region", "relative_to"}}.get(self.kind, set())
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
            region=spec.region, relative_to=spec.relative_to, max_value=spec.max_value))
    ids = [r.id for r in rules]
    dupes = sorted({x for x in ids if ids.count(x) > 1})
    if dupes:
        raise DataError(f"{where}: rule ids must be unique; repeated: {', '.join(dupes)}")
    return tuple(rules)


@lru_cache(maxsize=1)
def load_rules() -> tuple[Rule, ...]:
    """The packaged rules (data/safety_rules.yaml)."""
    return parse_rules(yaml.safe_load(_rules_text()))


# --- protocol facts ------------------------------------------------------------------------------

def _library():
    from ..pharmacology import library  # noqa: PLC0415 - looked up at call time (tests may swap it)

    return library


@dataclass(frozen=True)
class Course:
    """One drug intervention: its dose times (sorted), and where it is in the protocol."""

    drug: str
    index: int
    times_h: tuple[float, ...]
    dose_mg: float

    @property
    def first(self) -> float:
        return self.times_h[0]

    @property
    def last(self) -> float:
        return self.times_h[-1]


@dataclass
class _Facts:
    courses: list[Course]
    daily: dict[str, dict[int, float]]       # drug -> calendar day -> mg
    tails: dict[str, float] = field(default_factory=dict)

    def course_max_daily(self, course: Course) -> float:
        days = {int(t // 24) for t in course.times_h}
        return max(self.daily[course.drug][d] for d in days)


def _courses(protocol) -> list[Course]:
    from ..protocol.schema import DrugIntervention  # noqa: PLC0415

    out = []
    for i, item in enumerate(protocol.interventions):
        if isinstance(item, DrugIntervention):
            out.append(Course(item.drug, i, tuple(sorted(item.dose_times_h)), float(item.dose_mg)))
    return out


def _facts(protocol) -> _Facts:
    courses = _courses(protocol)
    library = _library()
    for c in courses:
        library.load_drug(c.drug)  # an unknown drug name is a ProtocolError naming the library
    daily: dict[str, dict[int, float]] = defaultdict(lambda: defaultdict(float))
    for c in courses:
        for t in c.times_h:
            daily[c.drug][int(t // 24)] += c.dose_mg
    return _Facts(courses, daily)


def elimination_tail_h(drug: str) -> float:
    """5 half-lives of the drug or its longest-lived active metabolite in the library, else 24 h."""
    library = _library()
    names, seen, half_lives = [drug], set(), []
    while names:
        name = names.pop()
        if name in seen or name not in library.drug_names():
            continue
        seen.add(name)
        d = library.load_drug(name)
        if d.reported_half_life_h is not None and d.reported_half_life_h.value > 0:
            half_lives.append(d.reported_half_life_h.value)
        names += list(d.metabolites)
    return HALF_LIVES * max(half_lives) if half_lives else DEFAULT_TAIL_H


def _tail(facts: _Facts, drug: str) -> float:
    if drug not in facts.tails:
        facts.tails[drug] = elimination_tail_h(drug)
    return facts.tails[drug]


def _matches(member_list: Sequence[Member], course: Course, facts: _Facts) -> Member | None:
    for m in member_list:
        if m.drug == course.drug and (m.above_daily_mg is None
                                      or facts.course_max_daily(course) > m.above_daily_mg + _EPS):
            return m
    return None


def _covered(t: float, cover: Sequence[Course], facts: _Facts) -> bool:
    """Whether time t lies in a course of a covering drug (its first dose to its last + 5 half-lives)."""
    return any(c.first - _EPS <= t <= c.last + _tail(facts, c.drug) + _EPS for c in cover)


def _exposed_parts(course: Course, unless_with: Sequence[str], facts: _Facts) -> list[Course]:
    """The course itself, or, with `unless_with`, each of its doses not covered by those drugs."""
    if not unless_with:
        return [course]
    cover = [c for c in facts.courses if c.drug in unless_with]
    return [Course(course.drug, course.index, (t,), course.dose_mg)
            for t in course.times_h if not _covered(t, cover, facts)]


def _fmt_h(hours: float) -> str:
    if hours >= 48:
        return f"{hours:g} h ({hours / 24:.3g} days)"
    return f"{hours:g} h"


# --- static checks -------------------------------------------------------------------------------

def _washout_for(rules: Sequence[Rule], earlier: Course, later: Course, facts: _Facts) -> Rule | None:
    for r in rules:
        if (r.kind == "washout" and _matches(r.after, earlier, facts) and _matches(r.before, later, facts)
                and _exposed_parts(later, r.unless_with, facts)):
            return r
    return None


def _combination(rule: Rule, rules: Sequence[Rule], facts: _Facts) -> list[Violation]:
    out = []
    for ca in facts.courses:
        ma = _matches(rule.a, ca, facts)
        if ma is None:
            continue
        for cb in facts.courses:
            if cb.drug == ca.drug or _matches(rule.b, cb, facts) is None:
                continue
            if rule.a == rule.b and ca.index > cb.index:
                continue  # a symmetric rule sees each unordered pair once
            for part in _exposed_parts(cb, rule.unless_with, facts):
                v = _combination_pair(rule, rules, facts, ca, part, ma)
                if v is not None:
                    out.append(v)
                    break  # the first offending dose of this pair of courses is enough
    return out


def _combination_pair(rule: Rule, rules: Sequence[Rule], facts: _Facts, ca: Course, cb: Course,
                      ma: Member) -> Violation | None:
    without = f" without {', '.join(rule.unless_with)}" if rule.unless_with else ""
    drugs = (ca.drug, cb.drug)
    if ca.first <= cb.last + _EPS and cb.first <= ca.last + _EPS:
        at = max(ca.first, cb.first)
        qual = f" ({ma})" if ma.above_daily_mg is not None else ""
        msg = (f"{cb.drug}{without} (interventions[{cb.index}]) is given while {ca.drug}{qual} "
               f"(interventions[{ca.index}], {_fmt_h(ca.first)} to {_fmt_h(ca.last)}) is taken: "
               f"together from {_fmt_h(at)}; contraindicated ({rule.id}). Source: {rule.source}")
        return Violation(rule.id, "contraindicated_combination", msg, rule.reason, rule.source, at, drugs)
    if rule.tail == "none":
        return None
    earlier, later = (ca, cb) if ca.last < cb.first else (cb, ca)
    if _washout_for(rules, earlier, later, facts) is not None:
        return None  # the washout rule for this pair decides
    gap, tail = later.first - earlier.last, _tail(facts, earlier.drug)
    if gap + _EPS >= tail:
        return None
    msg = (f"{later.drug} (interventions[{later.index}]) starts at {_fmt_h(later.first)}, {_fmt_h(gap)} after "
           f"the last dose of {earlier.drug} (interventions[{earlier.index}], at {_fmt_h(earlier.last)}), "
           f"while {earlier.drug} is still present (5 half-lives = {_fmt_h(tail)}): together{without} is "
           f"contraindicated ({rule.id}). Source: {rule.source}")
    return Violation(rule.id, "contraindicated_combination", msg, rule.reason, rule.source, later.first, drugs)


def _washout(rule: Rule, facts: _Facts) -> list[Violation]:
    out = []
    assert rule.min_h is not None
    for ce in facts.courses:
        if _matches(rule.after, ce, facts) is None:
            continue
        for cl in facts.courses:
            if cl.drug == ce.drug or _matches(rule.before, cl, facts) is None:
                continue
            for part in _exposed_parts(cl, rule.unless_with, facts):
                if part.first <= ce.last + _EPS:
                    continue  # not after the last dose: a combination, not a wash-out, question
                gap = part.first - ce.last
                if gap + _EPS < rule.min_h:
                    without = f" without {', '.join(rule.unless_with)}" if rule.unless_with else ""
                    msg = (f"{cl.drug}{without} (interventions[{cl.index}]) at {_fmt_h(part.first)} comes "
                           f"{_fmt_h(gap)} after the last dose of {ce.drug} (interventions[{ce.index}], at "
                           f"{_fmt_h(ce.last)}); the wash-out after {ce.drug} must be at least "
                           f"{_fmt_h(rule.min_h)} ({rule.id}). Source: {rule.source}")
                    out.append(Violation(rule.id, "washout", msg, rule.reason, rule.source, part.first,
                                         (ce.drug, cl.drug)))
                    break
    return out


def _reference(source_key: str) -> str:
    """A drug-library source key as its citation (with DOI), or the key itself."""
    if source_key in ("assumed", "fitted"):
        return source_key
    try:
        entry = _library().drug_references().get(source_key)
    except (OSError, yaml.YAMLError, AttributeError):  # the reference list is optional here
        entry = None
    if not isinstance(entry, dict) or not entry.get("citation"):
        return source_key
    doi = f", doi:{entry['doi']}" if entry.get("doi") else ""
    return f"{entry['citation']}{doi}"


def _over_ceiling(rule: Rule, drug: str, limit: float, facts: _Facts, what: str, src: str) -> Violation | None:
    days = sorted(d for d, mg in facts.daily[drug].items() if mg > limit + _EPS)
    if not days:
        return None
    first = days[0]
    mg = facts.daily[drug][first]
    worst = max(facts.daily[drug][d] for d in days)
    more = f"; above it on {len(days)} days, at most {worst:g} mg" if len(days) > 1 else ""
    msg = (f"{drug}: {mg:g} mg on day {first + 1} ({first * 24:g} to {first * 24 + 24:g} h) is above {what} "
           f"of {limit:g} mg/day{more} ({rule.id}). Source: {src}")
    return Violation(rule.id, rule.kind, msg, rule.reason, src, float(first * 24), (drug,))


def _label_ceilings(rule: Rule, facts: _Facts) -> list[Violation]:
    out = []
    for drug in sorted(facts.daily):
        label = _library().load_drug(drug).label_max_daily_mg
        if label is not None:
            src = _reference(label.source) + (f" ({label.note})" if label.note else "")
            v = _over_ceiling(rule, drug, label.value, facts, "the label maximum daily dose", src)
            if v is not None:
                out.append(v)
    return out


def subject_phenotypes(protocol) -> tuple[dict[str, str], dict[str, str]]:
    """(GENE -> phenotype word, GENE -> why it could not be mapped) for the subject's genotypes.

    Each genotype goes through `neuroscape.pharmacology.pgx.phenotype`; a plain phenotype word
    ("poor", "poor metabolizer") is also read directly when pgx is missing or does not know the gene.
    A genotype that pgx rejects as malformed (ProtocolError) is raised."""
    try:
        from ..pharmacology import pgx  # noqa: PLC0415 - optional: written in parallel
    except ImportError:
        pgx = None
    known, unknown = {}, {}
    for gene, genotype in protocol.subject.genotypes.items():
        key = gene.upper()
        word = genotype.strip().lower().removesuffix("metabolizer").strip()
        word = word if word in PHENOTYPES else None
        if pgx is not None:
            try:
                known[key] = str(pgx.phenotype(gene, genotype).phenotype)
                continue
            except (NeuroscapeError, KeyError, ValueError) as exc:
                if word is None and isinstance(exc, ProtocolError) and not isinstance(exc, NotModelledError):
                    raise
                why = f"{gene} {genotype!r} could not be mapped to a phenotype: {exc}"
        else:
            why = (f"{gene} {genotype!r}: the pharmacogenomics module (neuroscape.pharmacology.pgx) is not "
                   "available to map a diplotype to a phenotype")
        if word is not None:
            known[key] = word
        else:
            unknown[key] = why
    return known, unknown


def _genotype_ceilings(rule: Rule, facts: _Facts, protocol, not_evaluated: list[NotEvaluated]) -> list[Violation]:
    out = []
    ceilings = {drug: _library().load_drug(drug).genotype_ceilings for drug in sorted(facts.daily)}
    genes = {c.gene.upper() for cs in ceilings.values() for c in cs}
    subject_genes = {g.upper() for g in protocol.subject.genotypes}
    if not genes & subject_genes:
        return out
    known, unknown = subject_phenotypes(protocol)
    for gene in sorted(genes & set(unknown)):
        not_evaluated.append(NotEvaluated(rule.id, rule.kind, unknown[gene], rule.source))
    for drug, entries in ceilings.items():
        for c in entries:
            if known.get(c.gene.upper()) != c.phenotype:
                continue
            src = _reference(c.max_daily_mg.source) + (f" ({c.max_daily_mg.note})" if c.max_daily_mg.note else "")
            what = f"the ceiling for {c.gene} {c.phenotype} metabolizers"
            v = _over_ceiling(rule, drug, c.max_daily_mg.value, facts, what, src)
            if v is not None:
                out.append(v)
    return out


def _dedupe(violations: list[Violation]) -> list[Violation]:
    seen, out = set(), []
    for v in violations:
        key = (v.kind, tuple(sorted(v.drugs)), v.at_h)
        if key not in seen:
            seen.add(key)
            out.append(v)
    return out


def _static(protocol, rules: Sequence[Rule] | None = None) -> tuple[list[Violation], list[NotEvaluated]]:
    rules = load_rules() if rules is None else tuple(rules)
    facts = _facts(protocol)
    violations: list[Violation] = []
    not_evaluated: list[NotEvaluated] = []
    for rule in rules:
        if rule.kind == "contraindicated_combination":
            violations += _combination(rule, rules, facts)
        elif rule.kind == "washout":
            violations += _washout(rule, facts)
        elif rule.kind == "label_ceiling":
            violations += _label_ceilings(rule, facts)
        elif rule.kind == "genotype_ceiling":
            violations += _genotype_ceilings(rule, facts, protocol, not_evaluated)
    violations = _dedupe(violations)
    violations.sort(key=lambda v: (math.inf if v.at_h is None else v.at_h, v.rule_id))
    return violations, not_evaluated


def check_static(protocol, rules: Sequence[Rule] | None = None) -> list[Violation]:
    """Violations of the combination, wash-out and dose-ceiling rules, earliest first.

    Raises ProtocolError for a drug that is not in the library. Genotype ceilings that cannot be
    evaluated (diplotype without the pgx module) are listed by `check`, not here."""
    return _static(protocol, rules)[0]


# --- trajectory checks ---------------------------------------------------------------------------

def check_trajectory(protocol, readout: Readout, rules: Sequence[Rule] | None = None) -> SafetyReport:
    """Evaluate the trajectory ceilings with `readout(quantity, region, relative_to)`."""
    rules = load_rules() if rules is None else tuple(rules)
    violations, not_evaluated = [], []
    for rule in rules:
        if rule.kind != "trajectory_ceiling":
            continue
        assert rule.quantity is not None and rule.max_value is not None
        try:
            times, values = _read(readout, rule)
        except (ModelError, NotModelledError) as exc:
            not_evaluated.append(NotEvaluated(rule.id, rule.kind, f"{rule.quantity} not modelled: {exc}",
                                              rule.source))
            continue
        times = np.asarray(times, dtype=float).ravel()
        values = np.asarray(values, dtype=float).ravel()
        if times.shape != values.shape or times.size == 0:
            raise ModelError(f"readout {rule.quantity}: times and values must be non-empty arrays of one "
                             f"length; got {times.size} and {values.size}")
        if not np.all(np.isfinite(values)):
            bad = float(times[~np.isfinite(values)][0])
            violations.append(Violation(
                rule.id, rule.kind, f"{rule.quantity} is not finite at {_fmt_h(bad)}: the simulation failed "
                f"there, so the ceiling of {rule.max_value:g} cannot be shown to hold ({rule.id}). "
                f"Source: {rule.source}", rule.reason, rule.source, bad, _drug_names(protocol)))
            continue
        over = values > rule.max_value + _EPS
        if not over.any():
            continue
        first = float(times[np.argmax(over)])
        k = int(np.argmax(values))
        where = f" in the {rule.region}" if rule.region else ""
        rel = f" relative to {rule.relative_to}" if rule.relative_to else ""
        msg = (f"{rule.quantity}{where}{rel} exceeds {rule.max_value:g} from {_fmt_h(first)} (maximum "
               f"{values[k]:.3g} at {_fmt_h(float(times[k]))}) with {', '.join(_drug_names(protocol)) or 'no drugs'} "
               f"({rule.id}). Source: {rule.source}")
        violations.append(Violation(rule.id, rule.kind, msg, rule.reason, rule.source, first,
                                    _drug_names(protocol)))
    return SafetyReport(tuple(violations), tuple(not_evaluated))


def _read(readout: Readout, rule: Rule):
    """The rule's readout. A model whose target occupancies have no regions (occupancy follows the
    unbound drug concentration, the same in every region) is read without one."""
    try:
        return readout(rule.quantity, rule.region, rule.relative_to)
    except ModelError:
        if rule.region is None or not (rule.quantity or "").startswith("occupancy."):
            raise
        return readout(rule.quantity, None, rule.relative_to)


def _drug_names(protocol) -> tuple[str, ...]:
    return tuple(dict.fromkeys(c.drug for c in _courses(protocol)))


# --- both ----------------------------------------------------------------------------------------

def check(protocol, readout: Readout | None = None, rules: Sequence[Rule] | None = None) -> SafetyReport:
    """Static checks, then (with a readout) the trajectory checks; rules not evaluated are listed."""
    rules = load_rules() if rules is None else tuple(rules)
    violations, not_evaluated = _static(protocol, rules)
    if readout is None:
        not_evaluated += [NotEvaluated(r.id, r.kind, "no simulation was supplied (static checks only)", r.source)
                          for r in rules if r.kind == "trajectory_ceiling"]
    else:
        traj = check_trajectory(protocol, readout, rules)
        violations += traj.violations
        not_evaluated += traj.not_evaluated
    return SafetyReport(tuple(violations), tuple(not_evaluated))


__all__ = ["KINDS", "Member", "NotEvaluated", "Rule", "SafetyReport", "Violation", "check", "check_static",
           "check_trajectory", "elimination_tail_h", "load_rules", "parse_rules", "subject_phenotypes"]
