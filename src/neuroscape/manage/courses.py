"""What the safety rules see of a plan: courses of each drug and supplement, and 24-hour dose totals.

- A *course* is a run of one drug's doses (all routes and formulations), in time order, in which no dose
  comes more than `COURSE_GAP_H` after the one before; a longer pause ends the course, and the next dose
  starts another. Supplements (nutrition intakes) form courses the same way, under their preset name.
- A *daily dose* is the total of a drug's doses in a rolling 24-hour window [s, s + 24 h); the windows
  start at each of the drug's dose times, so every 24 hours of the plan are seen, not only calendar days.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from ..plan import Plan

# Weekly dosing (fluoxetine 90 mg once a week) is the longest regular interval among the library's drugs:
# a pause longer than a week is a stop, and what follows is judged as a new course (wash-outs, tails).
COURSE_GAP_H = 168.0
WINDOW_H = 24.0
DEFAULT_TAIL_H = 24.0
HALF_LIVES = 5.0
# hours: a dose exactly 24 h after another is in the next window, whatever the rounding of the times
_WINDOW_SLACK_H = 1e-6


@dataclass(frozen=True)
class Labels:
    """How messages name each of the plan's doses and intakes (the CLI: `interventions[3]` of the file).
    Empty: `plan.doses[i]` and `plan.intakes[i]`."""

    doses: tuple[str, ...] = ()
    intakes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Course:
    """One course: its dose times (sorted), the mg of each, and how messages name it."""

    drug: str
    label: str
    times_h: tuple[float, ...]
    doses_mg: tuple[float, ...]
    supplement: bool = False

    @property
    def first(self) -> float:
        return self.times_h[0]

    @property
    def last(self) -> float:
        return self.times_h[-1]


def _library():
    from ..pharmacology import library  # noqa: PLC0415 - looked up at call time (tests may swap it)

    return library


def intake_name(item) -> str | None:
    """The nutrition preset an intake came from: its `name`, or for an Intake built by hand, the
    supplement its content is (5-HTP in its gut compartment; a single free amino acid)."""
    if getattr(item, "name", None):
        return item.name
    from ..interventions.nutrition import presets  # noqa: PLC0415

    for name, preset in sorted(presets().items()):
        if preset.get("kind") == "compound" and preset.get("gut_species") in item.compounds_umol:
            return name
        if (preset.get("kind") == "supplement" and not item.compounds_umol
                and set(item.amino_acids_umol) == {preset.get("amino_acid")}):
            return name
    return None


def _intake_mg(item) -> float:
    from ..interventions.nutrition import MOLAR_MASS, presets  # noqa: PLC0415

    mg = sum(umol * MOLAR_MASS[aa] / 1000.0 for aa, umol in item.amino_acids_umol.items() if aa in MOLAR_MASS)
    masses = {p["gut_species"]: p["molar_mass_g_per_mol"] for p in presets().values() if p.get("kind") == "compound"}
    return mg + sum(umol * masses.get(species, 0.0) / 1000.0 for species, umol in item.compounds_umol.items())


def _names(indices: list[int], given: tuple[str, ...], field_name: str) -> str:
    """`interventions[2]` (given labels, each once) or `plan.doses[0:7]` (index ranges)."""
    if given and len(given) > max(indices):
        return ", ".join(dict.fromkeys(given[i] for i in indices))
    ordered = sorted(set(indices))
    runs, start = [], ordered[0]
    for a, b in zip(ordered, [*ordered[1:], None]):
        if b != a + 1:
            runs.append(f"plan.{field_name}[{start}]" if a == start else f"plan.{field_name}[{start}:{a + 1}]")
            start = b
    return ", ".join(runs)


def _split(drug: str, entries: list[tuple[float, float, int]], given: tuple[str, ...], field_name: str,
           supplement: bool) -> list[Course]:
    entries = sorted(entries)
    out, run = [], [entries[0]]
    for e in entries[1:]:
        if e[0] - run[-1][0] > COURSE_GAP_H:
            out.append(run)
            run = []
        run.append(e)
    out.append(run)
    return [Course(drug, _names([i for _, _, i in r], given, field_name), tuple(t for t, _, _ in r),
                   tuple(mg for _, mg, _ in r), supplement) for r in out]


def courses_of(plan: Plan, labels: Labels = Labels()) -> list[Course]:
    """The plan's courses: drugs first (in the order the plan first doses them), then supplements."""
    by_drug: dict[str, list[tuple[float, float, int]]] = {}
    for i, d in enumerate(plan.doses):
        by_drug.setdefault(d.drug, []).append((float(d.at_h), float(d.dose_mg), i))
    by_supplement: dict[str, list[tuple[float, float, int]]] = {}
    for i, item in enumerate(plan.intakes):
        name = intake_name(item)
        if name is not None:
            by_supplement.setdefault(name, []).append((float(item.at_h), _intake_mg(item), i))
    out = []
    for drug, entries in by_drug.items():
        out += _split(drug, entries, labels.doses, "doses", False)
    for name, entries in by_supplement.items():
        out += _split(name, entries, labels.intakes, "intakes", True)
    return out


def window_totals(times_h, doses_mg) -> list[tuple[float, float]]:
    """(s, total mg in [s, s + 24 h)) for each distinct dose time s, in time order."""
    order = np.argsort(np.asarray(times_h, dtype=float), kind="stable")
    t = np.asarray(times_h, dtype=float)[order]
    cum = np.concatenate([[0.0], np.cumsum(np.asarray(doses_mg, dtype=float)[order])])
    starts = np.unique(t)
    i = np.searchsorted(t, starts, side="left")
    j = np.searchsorted(t, starts + WINDOW_H - _WINDOW_SLACK_H, side="left")
    return [(float(s), float(cum[b] - cum[a])) for s, a, b in zip(starts, i, j)]


@dataclass
class Facts:
    """The plan's courses and each drug's 24-hour totals (all its courses together)."""

    courses: list[Course]
    windows: dict[str, list[tuple[float, float]]]
    tails: dict[str, float] = field(default_factory=dict)

    @classmethod
    def of(cls, plan: Plan, labels: Labels = Labels()) -> Facts:
        courses = courses_of(plan, labels)
        library = _library()
        for c in courses:
            if not c.supplement:
                library.load_drug(c.drug)  # an unknown drug name is a ProtocolError naming the library
        doses: dict[str, tuple[list[float], list[float]]] = {}
        for c in courses:
            ts, mgs = doses.setdefault(c.drug, ([], []))
            ts += c.times_h
            mgs += c.doses_mg
        return cls(courses, {drug: window_totals(ts, mgs) for drug, (ts, mgs) in doses.items()})

    def drugs(self) -> list[str]:
        """The library drugs dosed (not supplements), sorted."""
        return sorted({c.drug for c in self.courses if not c.supplement})

    def total_at(self, drug: str, start_h: float) -> float:
        """Total mg of `drug` in [start_h, start_h + 24 h)."""
        total = 0.0
        for c in self.courses:
            if c.drug == drug:
                total += sum(mg for t, mg in zip(c.times_h, c.doses_mg)
                             if start_h <= t < start_h + WINDOW_H - _WINDOW_SLACK_H)
        return total

    def course_max_daily(self, course: Course) -> float:
        """The largest 24-hour total of the course's drug over the windows that hold one of its doses."""
        return max(mg for s, mg in self.windows[course.drug]
                   if course.first - WINDOW_H + _WINDOW_SLACK_H < s <= course.last)

    def tail(self, drug: str) -> float:
        if drug not in self.tails:
            self.tails[drug] = elimination_tail_h(drug)
        return self.tails[drug]


def elimination_tail_h(drug: str) -> float:
    """5 half-lives of the drug or its longest-lived active metabolite in the library, else 24 h (also for
    a supplement, which the drug library does not hold)."""
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


__all__ = ["COURSE_GAP_H", "Course", "Facts", "Labels", "courses_of", "elimination_tail_h", "intake_name",
           "window_totals"]
