"""What an import read, what it skipped and why, and what stopped it: `ImportSummary`, and `ImportLog`,
which the importers fill as they go.

Data the model does not use (an encounter, a blood-pressure panel, a LOINC code not in the mapping table, a
medicine the drug library does not model) is skipped and counted here, never an error. Data the model would
use but cannot read correctly is a problem: the import stops and every problem is listed.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Optional

from ..assess.records import PatientRecord

EXAMPLES = 3  # sources listed per skipped group


@dataclass(frozen=True)
class SkipGroup:
    """Resources or rows skipped for one reason: `kind` (resource type, or 'row'), `code` (its code or name,
    '' when none), how many, and the first few sources."""

    kind: str
    code: str
    reason: str
    count: int
    examples: tuple[str, ...]
    name: str = ""  # the first display text seen for the code


@dataclass(frozen=True)
class ImportSummary:
    """The outcome of reading one patient file. `record` is None when `problems` stopped the import."""

    file: str
    record: Optional[PatientRecord]
    skipped: tuple[SkipGroup, ...] = ()
    as_needed: tuple[str, ...] = ()
    not_modelled: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()

    @property
    def skipped_count(self) -> int:
        return sum(g.count for g in self.skipped)

    def read_counts(self) -> dict[str, int]:
        """Observations per analyte (the mapping table's label), censored ones included."""
        from ..assess.units import lookup
        from ..errors import DataError

        if self.record is None:
            return {}

        def label(o) -> str:
            try:
                return lookup(o.code).label
            except DataError:
                return o.name or o.code
        return dict(Counter(label(o) for o in self.record.observations))

    def as_dict(self) -> dict:
        r = self.record
        read = None
        if r is not None:
            read = {
                "patient_id": r.patient_id, "sex": r.sex,
                "birth_date": r.birth_date.isoformat() if r.birth_date else None, "age_years": r.age_years,
                "weight_kg": r.weight_kg,
                "last_menstrual_period": r.last_menstrual_period.isoformat() if r.last_menstrual_period else None,
                "observations": len(r.observations),
                "censored_observations": sum(1 for o in r.observations if o.censor),
                "observations_by_name": self.read_counts(),
                "genotypes": {g.gene: g.value for g in r.genotypes},
                "medications": [{"drug": m.drug, "dose_mg": m.dose_mg, "every_h": m.every_h, "count": m.count,
                                 "route": m.route, "first_dose": m.first_dose.isoformat(), "source": m.source}
                                for m in r.medications],
                "conditions": len(r.conditions),
            }
        return {"file": self.file, "imported": r is not None, "read": read,
                "skipped": [{"kind": g.kind, "code": g.code, "name": g.name, "reason": g.reason, "count": g.count,
                             "examples": list(g.examples)} for g in self.skipped],
                "skipped_total": self.skipped_count, "as_needed": list(self.as_needed),
                "not_modelled": list(self.not_modelled), "notes": list(self.notes), "problems": list(self.problems)}

    def lines(self, max_groups: int = 15) -> list[str]:
        """The summary as plain lines for a terminal (a clinician's dry run)."""
        out = [f"{self.file}: " + ("imported" if self.record is not None else
                                   f"NOT imported ({len(self.problems)} problem(s))")]
        r = self.record
        if r is not None:
            lmp = f"; last menstrual period {r.last_menstrual_period}" if r.last_menstrual_period else ""
            weight = f", {r.weight_kg:g} kg" if r.weight_kg is not None else ""
            age = r.birth_date.isoformat() if r.birth_date else f"{r.age_years:g} y"
            out.append(f"  patient {r.patient_id}: {r.sex}, born {age}{weight}{lmp}")
            censored = sum(1 for o in r.observations if o.censor)
            counts = ", ".join(f"{k} x{n}" for k, n in sorted(self.read_counts().items()))
            out.append(f"  read {len(r.observations)} observation(s)"
                       f"{f' ({censored} censored: below/above a limit)' if censored else ''}"
                       f"{': ' + counts if counts else ''}")
            for m in r.medications:
                out.append(f"  medication {m.drug} {m.dose_mg:g} mg {m.route} every {m.every_h:g} h, {m.count} "
                           f"dose(s) from {m.first_dose.isoformat()} ({m.source})")
            if r.genotypes:
                out.append("  genotypes: " + ", ".join(f"{g.gene} {g.value}" for g in r.genotypes))
        for line in self.as_needed:
            out.append(f"  as needed (not in the dosing history): {line}")
        for line in self.not_modelled:
            out.append(f"  not modelled (the landscape ignores it): {line}")
        for line in self.notes:
            out.append(f"  note: {line}")
        if self.skipped:
            out.append(f"  skipped {self.skipped_count} item(s) the model does not use:")
            for g in self.skipped[:max_groups]:
                code = f" {g.code}" if g.code else ""
                name = f" ({g.name})" if g.name and g.name != g.code else ""
                more = ", ..." if g.count > len(g.examples) else ""
                out.append(f"    {g.kind}{code}{name} x{g.count}: {g.reason}; {', '.join(g.examples)}{more}")
            if len(self.skipped) > max_groups:
                rest = self.skipped[max_groups:]
                out.append(f"    ... and {sum(g.count for g in rest)} more in {len(rest)} group(s) (--json lists all)")
        for p in self.problems:
            out.append(f"  problem: {p}")
        return out


@dataclass
class ImportLog:
    """Filled by an importer while it reads; `summary()` freezes it."""

    file: str
    _skips: dict = field(default_factory=dict)  # (kind, code, reason) -> [count, examples]
    as_needed: list = field(default_factory=list)
    not_modelled: list = field(default_factory=list)
    notes: list = field(default_factory=list)

    def skip(self, kind: str, code: str, reason: str, where: str, name: str = "") -> None:
        group = self._skips.setdefault((str(kind), str(code or ""), reason), [0, [], name])
        group[0] += 1
        if len(group[1]) < EXAMPLES:
            group[1].append(where)

    def note(self, line: str) -> None:
        if line not in self.notes:
            self.notes.append(line)

    def summary(self, record: Optional[PatientRecord], problems=()) -> ImportSummary:
        groups = sorted((SkipGroup(k, c, r, n, tuple(ex), name) for (k, c, r), (n, ex, name) in self._skips.items()),
                        key=lambda g: (-g.count, g.kind, g.code))
        return ImportSummary(file=self.file, record=record, skipped=tuple(groups), as_needed=tuple(self.as_needed),
                             not_modelled=tuple(self.not_modelled), notes=tuple(self.notes), problems=tuple(problems))
