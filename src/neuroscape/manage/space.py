"""The plan space: which plans a search may propose, from the person's current medication and the levers.

    levers = Levers(drugs=None, supplements=("tryptophan",), drug_changes=True)
    space = candidate_space(profile, current, levers, now_h=0.0)   # tuple[Candidate, ...]

A candidate is a list of regimens, each a PROTOCOL.md intervention (`drug`, `dose_mg`, `start_h`,
`every_h`, `count`, `formulation`; or `nutrition` with `dose_mg`), so that any plan can be written out
as a protocol file and re-run or checked on its own. The person's current medication is the starting
point: "continue as now" is always a candidate; a change replaces the current drugs from their next
scheduled dose at or after `now_h` (a dose change of the same drug or a direct switch start there; a
wash-out switch starts the old drug's wash-out after its last dose: 5 half-lives, or the safety rules'
wash-out for the pair where longer). Doses are
whole tablets of marketed strengths at the label's dosing intervals (`strengths.yaml`). Nothing here
judges safety: every candidate goes through the hard rules, which exclude what breaks one and say why.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Iterable

from ..errors import ProtocolError
from .strengths import hormones, products, supplement_doses, supplements, unit_sums
from .targets import TargetProfile

# Which drug targets move which readouts: a profile's band on one of these quantities (prefix) makes
# the library drugs acting on these targets candidates.
SYSTEM_TARGETS: dict[str, tuple[str, ...]] = {
    "brain.serotonin": ("SERT", "MAO-A"),
    "synthesis.serotonin": ("SERT", "MAO-A"),
    "brain.5hiaa": ("SERT", "MAO-A"),
    "brain.dopamine": ("DAT", "D2", "MAO-B"),
    "synthesis.dopamine": ("DAT", "D2"),
    "brain.hva": ("DAT", "D2", "MAO-B"),
    "brain.norepinephrine": ("NET", "DAT"),
    "brain.gaba": ("GABA-T",),
    "signalling.GABAA": ("GABAA-BZ", "GABA-T"),
}
SYSTEM_SUPPLEMENTS: dict[str, tuple[str, ...]] = {
    "brain.serotonin": ("tryptophan", "5-htp"), "synthesis.serotonin": ("tryptophan", "5-htp"),
    "brain.5hiaa": ("tryptophan", "5-htp"), "brain.dopamine": ("tyrosine",), "synthesis.dopamine": ("tyrosine",),
    "brain.gaba": ("vitamin_b6",), "signalling.GABAA": ("vitamin_b6",),
}
WASHOUT_HALF_LIVES = 5.0


@dataclass(frozen=True)
class Levers:
    """What the search may change. `drugs` None: the library drugs acting on the profile's readouts;
    () with `drug_changes=False`: "no drug changes"; `supplements` None: those acting on the profile's
    readouts, () none ("drugs only")."""

    drugs: tuple[str, ...] | None = None
    drug_changes: bool = True
    supplements: tuple[str, ...] | None = ()
    max_units: int = 2
    switch_modes: tuple[str, ...] = ("direct", "washout")
    exercise_per_week: tuple[int, ...] = ()   # e.g. (3, 5): endurance sessions a week as options
    exercise: str = "endurance"
    exercise_intensity: float = 0.7           # fraction of VO2max
    exercise_duration_h: float = 0.75
    hormones: tuple[str, ...] = ()            # e.g. ("estradiol",): offered where the subject fits
    max_candidates: int = 100
    search: str = "auto"                      # "auto": Optuna samples spaces above max_candidates; "enumerate": refuse

    def __post_init__(self) -> None:
        if self.search not in ("auto", "enumerate"):
            raise ProtocolError(f"Levers.search = {self.search!r}; allowed: auto (sample spaces above "
                                "max_candidates with Optuna), enumerate (refuse them)")
        bad = set(self.switch_modes) - {"direct", "washout"}
        if bad:
            raise ProtocolError(f"Levers.switch_modes: {sorted(bad)}; allowed: direct, washout")
        if any(not 1 <= k <= 7 for k in self.exercise_per_week):
            raise ProtocolError(f"Levers.exercise_per_week = {self.exercise_per_week}; give sessions a week, 1-7")
        if not 0 < self.exercise_intensity <= 1 or not 0 < self.exercise_duration_h <= 4:
            raise ProtocolError("Levers.exercise_intensity is a fraction of VO2max in (0, 1] and "
                                "exercise_duration_h a session's hours in (0, 4]")
        if not 1 <= self.max_candidates <= 10_000:
            raise ProtocolError(f"Levers.max_candidates = {self.max_candidates}; use 1-10000")


@dataclass(frozen=True)
class Regimen:
    """A course of PROTOCOL.md interventions (times in h from t = 0): a drug, a supplement, hormone therapy,
    or exercise sessions (`dose_mg` 0; each session one `exercise` intervention of `duration_h` at
    `intensity`)."""

    kind: str  # drug | nutrition | hormone | exercise
    name: str
    dose_mg: float
    start_h: float
    every_h: float | None
    count: int
    formulation: str | None = None
    duration_h: float | None = None
    intensity: float | None = None

    @property
    def end_h(self) -> float:
        return self.start_h + (self.count - 1) * (self.every_h or 0.0)

    def to_interventions(self) -> list[dict]:
        if self.kind == "exercise":  # PROTOCOL.md's exercise has no schedule: one item per session
            return [{"exercise": self.name, "start_h": _num(self.start_h + k * (self.every_h or 0.0)),
                     "duration_h": _num(self.duration_h), "intensity": _num(self.intensity)}
                    for k in range(self.count)]
        return [self.to_intervention()]

    def to_intervention(self) -> dict:
        when = "at_h" if self.kind == "nutrition" else "start_h"  # PROTOCOL.md's names
        out: dict = {self.kind: self.name, "dose_mg": _num(self.dose_mg), when: _num(self.start_h)}
        if self.count > 1:
            out.update(every_h=_num(self.every_h), count=self.count)
        if self.formulation:
            out["formulation"] = self.formulation
        return out

    def until(self, stop_h: float) -> "Regimen | None":
        """The regimen with its doses at or after `stop_h` removed (None when none is left)."""
        if self.start_h >= stop_h:
            return None
        if not self.every_h:
            return self
        count = min(self.count, int(math.floor((stop_h - self.start_h) / self.every_h - 1e-9)) + 1)
        return Regimen(self.kind, self.name, self.dose_mg, self.start_h, self.every_h if count > 1 else None,
                       count, self.formulation)


@dataclass(frozen=True)
class Candidate:
    label: str
    history: tuple[Regimen, ...]  # the current medication as given to the search, cut where the plan stops it
    future: tuple[Regimen, ...]   # what the plan adds from now on
    changes: int = 0              # starts + stops + dose changes relative to continuing as now
    notes: tuple[str, ...] = field(default=())

    @property
    def regimens(self) -> tuple[Regimen, ...]:
        return self.history + self.future

    def interventions(self) -> list[dict]:
        return [item for r in self.regimens for item in r.to_interventions()]


def _num(x: float | None):
    return None if x is None else (int(x) if float(x).is_integer() else float(x))


def profile_drugs(profile: TargetProfile) -> tuple[str, ...]:
    """The library drugs that act on what the profile's bands read (parents with a marketed product)."""
    from ..pharmacology.library import drug_names, load_drug

    wanted_targets: set[str] = set()
    wanted_drugs: set[str] = set()
    for band in profile.bands:
        for q in (band.quantity, *band.plus):
            if band.when_dosed:
                wanted_drugs.add(band.when_dosed)
            if q.startswith("occupancy."):
                wanted_targets.add(q.split(".", 1)[1])
            elif q.startswith("plasma.") and q.split(".", 1)[1] in drug_names():
                wanted_drugs.add(q.split(".", 1)[1])
            for prefix, targets in SYSTEM_TARGETS.items():
                if q.startswith(prefix):
                    wanted_targets.update(targets)
    out = []
    for name in drug_names():
        drug = load_drug(name)
        if drug.absorption is None or not products(name):
            continue
        if name in wanted_drugs or any(t.target in wanted_targets for t in drug.targets):
            out.append(name)
    return tuple(out)


def profile_supplements(profile: TargetProfile) -> tuple[str, ...]:
    found: list[str] = []
    for band in profile.bands:
        for prefix, names in SYSTEM_SUPPLEMENTS.items():
            if band.quantity.startswith(prefix):
                found += [n for n in names if n not in found]
    offered = {s.name for s in supplements()}
    return tuple(n for n in found if n in offered)


def continue_regimen(current: Regimen, until_h: float) -> Regimen:
    """The current regimen carried on at the same dose and interval to `until_h`."""
    if not current.every_h:
        return current
    count = int(math.floor((until_h - current.start_h) / current.every_h + 1e-9)) + 1
    return Regimen(current.kind, current.name, current.dose_mg, current.start_h, current.every_h,
                   max(count, current.count), current.formulation)


def superseded(regimens) -> set[Regimen]:
    """The runs a later run of the same drug or supplement replaced (a dose change in the history: 10 mg
    daily, then 20 mg daily): they are history, and "continue as now" carries on only the latest run."""
    latest: dict[tuple[str, str], Regimen] = {}
    for r in regimens:
        key = (r.kind, r.name)
        if key not in latest or r.start_h > latest[key].start_h:
            latest[key] = r
    return {r for r in regimens if r is not latest[(r.kind, r.name)] and r.end_h < latest[(r.kind, r.name)].start_h}


def next_dose_h(regimens, now_h: float) -> float:
    """The first scheduled dose at or after `now_h` of the regimens carried on (now_h if none)."""
    times = []
    for r in regimens:
        if r.every_h:
            k = max(0, math.ceil((now_h - r.start_h) / r.every_h - 1e-9))
            times.append(r.start_h + k * r.every_h)
        elif r.start_h >= now_h:
            times.append(r.start_h)
    return min(times, default=now_h)


def _course(kind: str, name: str, dose: float, every_h: float, start_h: float, end_h: float,
            formulation: str | None) -> Regimen:
    count = max(1, int(math.floor((end_h - start_h) / every_h + 1e-9)) + 1)
    return Regimen(kind, name, dose, start_h, every_h if count > 1 else None, count, formulation)


@dataclass(frozen=True)
class PlanFactors:
    """The plan space as a product: one drug option (the first is "continue as now") times one add-on
    (the first is none: a supplement, exercise or hormone course). `size` candidates in all; `candidate(i, j)`
    builds one without building the others, so a sampler can search a space too large to enumerate."""

    base: Candidate
    drug_options: tuple[Candidate, ...]
    addons: tuple[tuple[str, "Regimen | None"], ...]
    has_current: bool

    @property
    def size(self) -> int:
        return len(self.drug_options) * len(self.addons)

    def candidate(self, i: int, j: int) -> Candidate:
        cand = self.drug_options[i]
        text, addon = self.addons[j]
        if addon is None:
            return cand
        label = text.removeprefix(" + ") if cand is self.base and not self.has_current else cand.label + text
        return Candidate(label, cand.history, cand.future + (addon,), cand.changes + 1)

    def all(self) -> tuple[Candidate, ...]:
        return tuple(self.candidate(i, j) for i in range(len(self.drug_options)) for j in range(len(self.addons)))


def candidate_space(profile: TargetProfile, current: Iterable[Regimen], levers: Levers, *, now_h: float,
                    horizon_h: float, subject=None) -> tuple[Candidate, ...]:
    """Every candidate plan (see the module docstring), "continue as now" first. Raises ProtocolError
    when the space exceeds `levers.max_candidates`, naming how to narrow it (`plan_factors` gives the
    space without the limit; the search samples it with Optuna)."""
    factors = plan_factors(profile, current, levers, now_h=now_h, horizon_h=horizon_h, subject=subject)
    if factors.size > levers.max_candidates:
        raise ProtocolError(f"the plan space has {factors.size} candidates, above max_candidates = "
                            f"{levers.max_candidates}: name fewer drugs (Levers.drugs / --drugs), fewer supplements, "
                            "max_units=1, or raise max_candidates")
    return factors.all()


def plan_factors(profile: TargetProfile, current: Iterable[Regimen], levers: Levers, *, now_h: float,
                 horizon_h: float, subject=None) -> PlanFactors:
    """The plan space as drug options x add-ons (see `PlanFactors`), whatever its size."""
    from ..pharmacology.library import load_drug

    current = tuple(current)
    end = now_h + horizon_h
    old = superseded(current)
    current_drugs = [r for r in current if r.kind == "drug" and r not in old]
    carried = tuple(r if r in old else continue_regimen(r, end) for r in current)
    base = Candidate("continue as now" if current else "no change", carried, ())
    drug_options: list[Candidate] = [base]
    drugs = (levers.drugs if levers.drugs is not None else profile_drugs(profile)) if levers.drug_changes else ()
    for name in drugs:
        if load_drug(name).absorption is None:
            raise ProtocolError(f"Levers.drugs: {name!r} cannot be given orally (no absorption data)")
        same = [r for r in current_drugs if r.name == name]
        others = [r for r in current_drugs if r.name != name]
        for product in products(name):
            doses = unit_sums(product.strengths_mg, levers.max_units)
            for every_h in product.every_h:
                for dose in doses:
                    if same and all(r.dose_mg == dose and r.every_h == every_h and r.formulation == product.formulation
                                    for r in same):
                        continue  # that is "continue as now"
                    new_label = f"{name}{' ' + product.formulation if product.formulation else ''} {_num(dose)} mg " \
                                f"every {_num(every_h)} h"
                    modes = ("direct",) if not others else levers.switch_modes
                    # the change takes the place of the current drugs' next scheduled dose, so the old and
                    # the new dose never fall into one 24 h window that the plan did not intend
                    stop = next_dose_h(current_drugs, now_h)
                    history = tuple(c for c in (r.until(stop) for r in current) if c is not None)
                    # supplements the person takes go on
                    history = tuple(h if h.kind == "drug" else continue_regimen(h, end) for h in history)
                    for mode in modes:
                        start = stop
                        if others and mode == "washout":
                            last = max((h.end_h for h in history if h.kind == "drug"), default=now_h)
                            start = max(stop, last + max(_washout_h(r.name, name) for r in others))
                        if start >= end:
                            continue
                        course = _course("drug", name, dose, every_h, start, end, product.formulation)
                        verb = "change to" if same else ("start" if not current_drugs else "switch to")
                        label = f"{verb} {new_label}" + (f" ({mode} switch)" if others else "")
                        changes = 1 if same else len(others) + 1  # a dose change; or stops + the start
                        drug_options.append(Candidate(label, history, (course,), changes))
    sup_names = levers.supplements if levers.supplements is not None else profile_supplements(profile)
    sup_options: list[tuple[str, Regimen | None]] = [("", None)]
    for name in sup_names:
        entry = next((s for s in supplements() if s.name == name), None)
        if entry is None:
            raise ProtocolError(f"Levers.supplements: {name!r} is not offered; allowed: "
                                f"{', '.join(s.name for s in supplements())}")
        for every_h in entry.every_h:
            for dose in supplement_doses(name, max_units=levers.max_units):
                sup_options.append((f" + {name} {_num(dose)} mg every {_num(every_h)} h",
                                    _course("nutrition", name, dose, every_h, now_h, end, None)))
    for per_week in levers.exercise_per_week:
        every = 7 * 24.0 / per_week
        count = max(1, int(math.floor((end - now_h - 18.0) / every + 1e-9)) + 1)
        sup_options.append((f" + {levers.exercise} {per_week}x/week", Regimen(
            "exercise", levers.exercise, 0.0, now_h + 18.0, every, count, None, levers.exercise_duration_h,
            levers.exercise_intensity)))  # the first session 18 h after now, then evenly through the week
    for name in levers.hormones:
        entry = next((h for h in hormones() if h.name == name), None)
        if entry is None:
            raise ProtocolError(f"Levers.hormones: {name!r} is not offered; allowed: "
                                f"{', '.join(h.name for h in hormones())}")
        if subject is None or not entry.fits_subject(subject):
            continue  # e.g. estradiol therapy is offered to postmenopausal women only
        for every_h in entry.every_h:
            for dose in entry.strengths_mg:
                sup_options.append((f" + {name} {_num(dose)} mg every {_num(every_h)} h",
                                    _course("hormone", name, dose, every_h, now_h, end, None)))
    return PlanFactors(base, tuple(drug_options), tuple(sup_options), bool(current))


def _washout_h(old: str, new: str) -> float:
    """The gap after the last dose of `old` before `new` may start: 5 elimination half-lives, or the
    longest `washout` rule of the safety rules for the pair (e.g. 14 days from an MAOI to an SSRI)."""
    from .courses import elimination_tail_h
    from .rules import load_rules

    gaps = [float(elimination_tail_h(old))]
    for rule in load_rules():
        if rule.kind == "washout" and rule.min_h is not None and any(m.drug == old for m in rule.after) \
                and any(m.drug == new for m in rule.before):
            gaps.append(float(rule.min_h))
    return max(gaps)
