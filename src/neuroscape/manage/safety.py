"""Hard safety rules (data/safety_rules.yaml) checked on a plan and on its simulated trajectory.

    report = check(plan, subject, trajectory="simulate")   # SafetyReport(violations, not_evaluated)
    check_static(plan, subject) -> list[Violation]          # combinations, wash-outs, duplication, ceilings
    check_trajectory(plan, readout) -> SafetyReport         # D2 occupancy, serotonin-toxicity index

The plan is a `neuroscape.plan.Plan` however it was made (Python, a patient record, a plan search, a
protocol file: `from_protocol`); genotypes come from the `Subject`. Static rules, in hours from t = 0
(courses and 24-hour totals: `courses.py`; the YAML file's header explains each kind):
- two courses are *together* when their dosing spans overlap; a course that follows another must
  start at least the first drug's wash-out after the first course's last dose: the wash-out of a
  `washout` rule for that pair, else 5 elimination half-lives (the longest of the drug and its active
  metabolites in the library), else 24 h. A violation inside the dosing spans is reported as
  `contraindicated_combination`, one in the gap as `washout` (when a washout rule covers the pair);
- a daily dose is a drug's total in any 24 hours (windows starting at each dose), all routes;
- two drugs of one class (the library's drug_class) together longer than the cross-taper allowance, or
  above its combined dose, are a `therapeutic_duplication`.

`readout(quantity, region, relative_to) -> (times_h, values)` is supplied by the caller from a simulation;
`trajectory="simulate"` uses `peaks.dense_readout`, which resolves every dose's peak between samples.
A readout that raises ModelError or NotModelledError leaves its rule "not evaluated".
Research software: a plan that passes is not thereby safe for a person.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import yaml

from ..errors import ModelError, NeuroscapeError, NotModelledError, ProtocolError
from ..subject import Subject
from .courses import Course, Facts, Labels, elimination_tail_h
from .rules import KINDS, Member, Rule, load_rules, parse_rules

if TYPE_CHECKING:
    from ..plan import Plan

Readout = Callable[[str, "str | None", "str | None"], tuple[Any, Any]]

PHENOTYPES = ("poor", "intermediate", "normal", "rapid", "ultrarapid")
_EPS = 1e-9  # mg and h: rounding slack so that a dose exactly at a limit passes


# --- the report ----------------------------------------------------------------------------------

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



# --- plans from protocol files -------------------------------------------------------------------

def from_protocol(protocol) -> tuple[Plan, Subject, Labels]:
    """The plan, subject and message labels (`interventions[i]`) of a parsed protocol file.

    The plan is the one `neuroscape protocol run` simulates (protocol.run.plan_of), so a file is refused
    here for the same reasons (ProtocolError naming the field)."""
    from ..interventions.nutrition import is_held  # noqa: PLC0415
    from ..protocol.run import plan_of, subject_of  # noqa: PLC0415
    from ..protocol.schema import DrugIntervention, NutritionIntervention  # noqa: PLC0415

    plan, subject = plan_of(protocol), subject_of(protocol)
    doses: list[str] = []
    intakes: list[str] = []
    for i, item in enumerate(protocol.interventions):
        if isinstance(item, DrugIntervention):
            doses += [f"interventions[{i}]"] * len(item.dose_times_h)
        elif isinstance(item, NutritionIntervention) and not is_held(item.nutrition):
            intakes += [f"interventions[{i}]"] * len(item.times_h)
    # plan_of adds each intervention's doses and intakes in file order; if that ever changes, fall back
    # to naming plan positions rather than naming the wrong intervention
    labels = Labels(tuple(doses) if len(doses) == len(plan.doses) else (),
                    tuple(intakes) if len(intakes) == len(plan.intakes) else ())
    return plan, subject, labels


# --- static checks -------------------------------------------------------------------------------

def _matches(member_list: Sequence[Member], course: Course, facts: Facts) -> Member | None:
    for m in member_list:
        if m.drug == course.drug and (m.above_daily_mg is None
                                      or facts.course_max_daily(course) > m.above_daily_mg + _EPS):
            return m
    return None


def _covered(t: float, cover: Sequence[Course], facts: Facts) -> bool:
    """Whether time t lies in a course of a covering drug (its first dose to its last + 5 half-lives)."""
    return any(c.first - _EPS <= t <= c.last + facts.tail(c.drug) + _EPS for c in cover)


def _exposed_parts(course: Course, unless_with: Sequence[str], facts: Facts) -> list[Course]:
    """The course itself, or, with `unless_with`, each of its doses not covered by those drugs."""
    if not unless_with:
        return [course]
    cover = [c for c in facts.courses if c.drug in unless_with]
    return [Course(course.drug, course.label, (t,), (mg,), course.supplement)
            for t, mg in zip(course.times_h, course.doses_mg) if not _covered(t, cover, facts)]


def _fmt_h(hours: float) -> str:
    if hours >= 48:
        return f"{hours:g} h ({hours / 24:.3g} days)"
    return f"{hours:g} h"


def _washout_for(rules: Sequence[Rule], earlier: Course, later: Course, facts: Facts) -> Rule | None:
    for r in rules:
        if (r.kind == "washout" and _matches(r.after, earlier, facts) and _matches(r.before, later, facts)
                and _exposed_parts(later, r.unless_with, facts)):
            return r
    return None


def _combination(rule: Rule, rules: Sequence[Rule], facts: Facts) -> list[Violation]:
    out = []
    for ia, ca in enumerate(facts.courses):
        ma = _matches(rule.a, ca, facts)
        if ma is None:
            continue
        for ib, cb in enumerate(facts.courses):
            if cb.drug == ca.drug or _matches(rule.b, cb, facts) is None:
                continue
            if rule.a == rule.b and ia > ib:
                continue  # a symmetric rule sees each unordered pair once
            for part in _exposed_parts(cb, rule.unless_with, facts):
                v = _combination_pair(rule, rules, facts, ca, part, ma)
                if v is not None:
                    out.append(v)
                    break  # the first offending dose of this pair of courses is enough
    return out


def _combination_pair(rule: Rule, rules: Sequence[Rule], facts: Facts, ca: Course, cb: Course,
                      ma: Member) -> Violation | None:
    without = f" without {', '.join(rule.unless_with)}" if rule.unless_with else ""
    drugs = (ca.drug, cb.drug)
    if ca.first <= cb.last + _EPS and cb.first <= ca.last + _EPS:
        at = max(ca.first, cb.first)
        qual = f" ({ma})" if ma.above_daily_mg is not None else ""
        msg = (f"{cb.drug}{without} ({cb.label}) is given while {ca.drug}{qual} "
               f"({ca.label}, {_fmt_h(ca.first)} to {_fmt_h(ca.last)}) is taken: "
               f"together from {_fmt_h(at)}; contraindicated ({rule.id}). Source: {rule.source}")
        return Violation(rule.id, "contraindicated_combination", msg, rule.reason, rule.source, at, drugs)
    if rule.tail == "none":
        return None
    earlier, later = (ca, cb) if ca.last < cb.first else (cb, ca)
    if _washout_for(rules, earlier, later, facts) is not None:
        return None  # the washout rule for this pair decides
    gap, tail = later.first - earlier.last, facts.tail(earlier.drug)
    if gap + _EPS >= tail:
        return None
    msg = (f"{later.drug} ({later.label}) starts at {_fmt_h(later.first)}, {_fmt_h(gap)} after "
           f"the last dose of {earlier.drug} ({earlier.label}, at {_fmt_h(earlier.last)}), "
           f"while {earlier.drug} is still present (5 half-lives = {_fmt_h(tail)}): together{without} is "
           f"contraindicated ({rule.id}). Source: {rule.source}")
    return Violation(rule.id, "contraindicated_combination", msg, rule.reason, rule.source, later.first, drugs)


def _washout(rule: Rule, facts: Facts) -> list[Violation]:
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
                    msg = (f"{cl.drug}{without} ({cl.label}) at {_fmt_h(part.first)} comes "
                           f"{_fmt_h(gap)} after the last dose of {ce.drug} ({ce.label}, at "
                           f"{_fmt_h(ce.last)}); the wash-out after {ce.drug} must be at least "
                           f"{_fmt_h(rule.min_h)} ({rule.id}). Source: {rule.source}")
                    out.append(Violation(rule.id, "washout", msg, rule.reason, rule.source, part.first,
                                         (ce.drug, cl.drug)))
                    break
    return out


def _drug_class(course: Course) -> str | None:
    return None if course.supplement else _library().load_drug(course.drug).drug_class


def _duplication(rule: Rule, facts: Facts) -> list[Violation]:
    """Two drugs of one listed class whose courses overlap longer than the cross-taper allowance, or
    whose combined 24-hour dose during the overlap (each as a fraction of its label maximum) is above
    `max_label_fraction`."""
    assert rule.max_overlap_h is not None
    out = []
    for i, ca in enumerate(facts.courses):
        cls = _drug_class(ca)
        if cls not in rule.classes:
            continue
        for cb in facts.courses[i + 1:]:
            if cb.drug == ca.drug or _drug_class(cb) != cls:
                continue
            start, end = max(ca.first, cb.first), min(ca.last, cb.last)
            if end < start - _EPS:
                continue
            both = f"{cb.drug} ({cb.label}) and {ca.drug} ({ca.label}), both {cls},"
            if end - start > rule.max_overlap_h + _EPS:
                msg = (f"{both} are taken together for {_fmt_h(end - start)} (from {_fmt_h(start)} to "
                       f"{_fmt_h(end)}): longer than a cross-taper (at most {_fmt_h(rule.max_overlap_h)} of "
                       f"overlap); therapeutic duplication ({rule.id}). Source: {rule.source}")
                out.append(Violation(rule.id, rule.kind, msg, rule.reason, rule.source, start, (ca.drug, cb.drug)))
                continue
            v = _duplicate_dose(rule, facts, ca, cb, start, end, both)
            if v is not None:
                out.append(v)
    return out


def _duplicate_dose(rule: Rule, facts: Facts, ca: Course, cb: Course, start: float, end: float,
                    both: str) -> Violation | None:
    if rule.max_label_fraction is None:
        return None
    labels = [_library().load_drug(c.drug).label_max_daily_mg for c in (ca, cb)]
    if any(lab is None for lab in labels):
        return None
    # 24-hour windows starting at a dose of either course that reach into the overlap; the first one above
    # the limit is reported
    starts = sorted({t for c in (ca, cb) for t in c.times_h if start - 24.0 < t <= end + _EPS})
    for s in starts:
        mg = [facts.total_at(c.drug, s) for c in (ca, cb)]
        fraction = sum(m / lab.value for m, lab in zip(mg, labels))
        if fraction > rule.max_label_fraction + _EPS:
            parts = ", ".join(f"{c.drug} {m:g} of {lab.value:g} mg/day" for c, m, lab in zip((ca, cb), mg, labels))
            msg = (f"{both} are taken together at {fraction:.3g} label maximum daily doses combined in the 24 h "
                   f"from {_fmt_h(s)} ({parts}): above the {rule.max_label_fraction:g} a cross-taper allows; "
                   f"therapeutic duplication ({rule.id}). Source: {rule.source}")
            return Violation(rule.id, rule.kind, msg, rule.reason, rule.source, s, (ca.drug, cb.drug))
    return None


def _library():
    from ..pharmacology import library  # noqa: PLC0415 - looked up at call time (tests may swap it)

    return library


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


def _over_ceiling(rule: Rule, drug: str, limit: float, facts: Facts, what: str, src: str) -> Violation | None:
    over = [(s, mg) for s, mg in facts.windows[drug] if mg > limit + _EPS]
    if not over:
        return None
    first, mg = over[0]
    worst = max(m for _, m in over)
    more = f"; above it in {len(over)} such windows, at most {worst:g} mg" if len(over) > 1 else ""
    msg = (f"{drug}: {mg:g} mg within 24 h ({first:g} to {first + 24:g} h) is above {what} "
           f"of {limit:g} mg/day{more} ({rule.id}). Source: {src}")
    return Violation(rule.id, rule.kind, msg, rule.reason, src, float(first), (drug,))


def _label_ceilings(rule: Rule, facts: Facts) -> list[Violation]:
    out = []
    for drug in facts.drugs():
        label = _library().load_drug(drug).label_max_daily_mg
        if label is not None:
            src = _reference(label.source) + (f" ({label.note})" if label.note else "")
            v = _over_ceiling(rule, drug, label.value, facts, "the label maximum daily dose", src)
            if v is not None:
                out.append(v)
    return out


def subject_phenotypes(subject: Subject) -> tuple[dict[str, str], dict[str, str]]:
    """(GENE -> phenotype word, GENE -> why it could not be mapped) for the subject's genotypes.

    Each genotype goes through `neuroscape.pharmacology.pgx.phenotype`; a plain phenotype word
    ("poor", "poor metabolizer") is also read directly when pgx is missing or does not know the gene.
    A genotype that pgx rejects as malformed (ProtocolError) is raised."""
    try:
        from ..pharmacology import pgx  # noqa: PLC0415 - optional: written in parallel
    except ImportError:
        pgx = None
    known, unknown = {}, {}
    for gene, genotype in subject.genotypes.items():
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


def _genotype_ceilings(rule: Rule, facts: Facts, subject: Subject,
                       not_evaluated: list[NotEvaluated]) -> list[Violation]:
    out = []
    ceilings = {drug: _library().load_drug(drug).genotype_ceilings for drug in facts.drugs()}
    genes = {c.gene.upper() for cs in ceilings.values() for c in cs}
    subject_genes = {g.upper() for g in subject.genotypes}
    if not genes & subject_genes:
        return out
    known, unknown = subject_phenotypes(subject)
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


def _static(plan: Plan, subject: Subject, rules: Sequence[Rule] | None,
            labels: Labels) -> tuple[list[Violation], list[NotEvaluated]]:
    rules = load_rules() if rules is None else tuple(rules)
    facts = Facts.of(plan, labels)
    violations: list[Violation] = []
    not_evaluated: list[NotEvaluated] = []
    for rule in rules:
        if rule.kind == "contraindicated_combination":
            violations += _combination(rule, rules, facts)
        elif rule.kind == "washout":
            violations += _washout(rule, facts)
        elif rule.kind == "therapeutic_duplication":
            violations += _duplication(rule, facts)
        elif rule.kind == "label_ceiling":
            violations += _label_ceilings(rule, facts)
        elif rule.kind == "genotype_ceiling":
            violations += _genotype_ceilings(rule, facts, subject, not_evaluated)
    violations = _dedupe(violations)
    violations.sort(key=lambda v: (math.inf if v.at_h is None else v.at_h, v.rule_id))
    return violations, not_evaluated


def check_static(plan: Plan, subject: Subject = Subject(), rules: Sequence[Rule] | None = None, *,
                 labels: Labels = Labels()) -> list[Violation]:
    """Violations of the combination, wash-out, duplication and dose-ceiling rules, earliest first.

    Raises ProtocolError for a drug that is not in the library. Genotype ceilings that cannot be
    evaluated (diplotype without the pgx module) are listed by `check`, not here."""
    return _static(plan, subject, rules, labels)[0]


# --- trajectory checks ---------------------------------------------------------------------------

def check_trajectory(plan: Plan, readout: Readout, rules: Sequence[Rule] | None = None) -> SafetyReport:
    """Evaluate the trajectory ceilings with `readout(quantity, region, relative_to)`. A readout with a
    `first_above(quantity, region, relative_to, level)` method (peaks.DenseReadout) places the first
    crossing of the ceiling to within its time tolerance."""
    rules = load_rules() if rules is None else tuple(rules)
    violations, not_evaluated = [], []
    names = _drug_names(plan)
    for rule in rules:
        if rule.kind != "trajectory_ceiling":
            continue
        assert rule.quantity is not None and rule.max_value is not None
        try:
            times, values, region = _read(readout, rule)
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
                f"Source: {rule.source}", rule.reason, rule.source, bad, names))
            continue
        over = values > rule.max_value + _EPS
        if not over.any():
            continue
        first = float(times[np.argmax(over)])
        if hasattr(readout, "first_above"):
            first = float(readout.first_above(rule.quantity, region, rule.relative_to, rule.max_value + _EPS))
        k = int(np.argmax(values))
        where = f" in the {rule.region}" if rule.region else ""
        rel = f" relative to {rule.relative_to}" if rule.relative_to else ""
        msg = (f"{rule.quantity}{where}{rel} exceeds {rule.max_value:g} from {_fmt_h(first)} (maximum "
               f"{values[k]:.3g} at {_fmt_h(float(times[k]))}) with {', '.join(names) or 'no drugs'} "
               f"({rule.id}). Source: {rule.source}")
        violations.append(Violation(rule.id, rule.kind, msg, rule.reason, rule.source, first, names))
    return SafetyReport(tuple(violations), tuple(not_evaluated))


def _read(readout: Readout, rule: Rule):
    """(times, values, region read). A model whose target occupancies have no regions (occupancy follows
    the unbound drug concentration, the same in every region) is read without one."""
    try:
        return (*readout(rule.quantity, rule.region, rule.relative_to), rule.region)
    except ModelError:
        if rule.region is None or not (rule.quantity or "").startswith("occupancy."):
            raise
        return (*readout(rule.quantity, None, rule.relative_to), None)


def _drug_names(plan: Plan) -> tuple[str, ...]:
    from .courses import intake_name  # noqa: PLC0415

    supplements = (intake_name(i) for i in plan.intakes)
    return tuple(dict.fromkeys([*(d.drug for d in plan.doses), *(s for s in supplements if s)]))


# --- both ----------------------------------------------------------------------------------------

def check(plan: Plan, subject: Subject = Subject(), trajectory: Readout | Literal["simulate"] | None = None,
          rules: Sequence[Rule] | None = None, *, labels: Labels = Labels()) -> SafetyReport:
    """Static checks, then the trajectory checks on `trajectory`: a readout callable, "simulate" (the
    plan simulated for the subject by `peaks.dense_readout`), or None (static only; the trajectory rules
    are listed as not evaluated). `labels` names the plan's doses in messages (see `from_protocol`)."""
    rules = load_rules() if rules is None else tuple(rules)
    violations, not_evaluated = _static(plan, subject, rules, labels)
    if trajectory is None:
        not_evaluated += [NotEvaluated(r.id, r.kind, "no simulation was supplied (static checks only)", r.source)
                          for r in rules if r.kind == "trajectory_ceiling"]
    else:
        if isinstance(trajectory, str):
            if trajectory != "simulate":
                raise ValueError(f"trajectory = {trajectory!r}; allowed: a readout callable, 'simulate' or None")
            from .peaks import dense_readout  # noqa: PLC0415

            trajectory = dense_readout(plan, subject)
        traj = check_trajectory(plan, trajectory, rules)
        violations += traj.violations
        not_evaluated += traj.not_evaluated
    return SafetyReport(tuple(violations), tuple(not_evaluated))


__all__ = ["KINDS", "Labels", "Member", "NotEvaluated", "Rule", "SafetyReport", "Violation", "check",
           "check_static", "check_trajectory", "elimination_tail_h", "from_protocol", "load_rules",
           "parse_rules", "subject_phenotypes"]
