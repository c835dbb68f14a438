"""A person's records as the model sees them: observations, genotypes, medications, demographics.

Values here are as the source gave them (value + UCUM unit + time); conversion to model units
and the plausibility checks live in `observations.py`. Every item carries `source`
(provenance: "ben-records.csv row 7", "Observation/abc") so that an error can name it.

    >>> record = PatientRecord(patient_id="p1", sex="female", age_years=34)
    >>> subject(record).sex
    'female'
"""

from __future__ import annotations

import math
from datetime import date, datetime, time, timezone
from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from .. import limits, schedule
from ..errors import DataError
from ..plan import Plan, add_dose
from ..schedule import ScheduleProblem, schedule_problems
from ..subject import RANGES, Subject

Specimen = Literal["plasma", "serum", "blood", "CSF", "urine", "MRS", "PET"]
SPECIMENS: tuple[str, ...] = ("plasma", "serum", "blood", "CSF", "urine", "MRS", "PET")
HOUR_S = 3600.0
MIN_EVERY_H = 0.5


class RecordError(DataError):
    """A record could not be imported. `problems` lists every problem found (file row or resource
    named in each); nothing was imported. An importer attaches `summary` (io.import_summary.ImportSummary:
    what was read and skipped besides the problems)."""

    summary = None

    def __init__(self, label: str, problems):
        self.problems = tuple(problems)
        lines = "\n  ".join(self.problems)
        super().__init__(f"{label}: {len(self.problems)} problem(s); nothing was imported:\n  {lines}")


def check_age(years: float) -> float:
    """`years` if a possible age; ValueError otherwise (importers call it to name the row). The range is
    the Subject's (subject.RANGES), so a record the Subject would refuse is refused here, by row."""
    lo, hi = RANGES["age_years"]
    if not (math.isfinite(years) and lo <= years <= hi):
        raise ValueError(f"age {years:g} must be a number of years between {lo:g} and {hi:g}")
    return years


def check_weight(kg: float) -> float:
    """`kg` if a possible body weight; ValueError otherwise (importers call it to name the row). The range is
    the Subject's; outside it a unit slip (lb as kg, g as kg) is likelier than a person."""
    lo, hi = RANGES["weight_kg"]
    if not (math.isfinite(kg) and lo <= kg <= hi):
        raise ValueError(f"weight {kg:g} kg is outside {lo:g}-{hi:g} kg; check the value and its unit "
                         "(kg or [lb_av])")
    return kg


def check_population(group: str) -> str:
    """`group` (any case) if phenotype frequencies are shipped for it; ValueError otherwise (importers call it
    to name the row)."""
    from ..pharmacology.frequencies import check_group

    try:
        return check_group(group)
    except DataError as exc:
        raise ValueError(str(exc)) from None


def _utc(value: datetime, field: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{field} {value.isoformat()} has no time zone; write it with an offset, "
                         "e.g. 2026-03-02T08:30:00Z or 2026-03-02T09:30:00+01:00")
    return value.astimezone(timezone.utc)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Observation(_Frozen):
    """One measured value. `code` is a LOINC code or a mapping-table key (CSV rows that give a
    name); `unit` is UCUM as given; `time` is converted to UTC."""

    code: str
    name: str
    value: float
    unit: str
    time: datetime
    specimen: Specimen
    region: Optional[str] = None
    source: str
    clock_h: Optional[float] = None  # local clock hour of the sample, from the timestamp's own offset
    # "<": the true value is below `value` (a detection or reporting limit); ">": above it.
    # Kept as a censored observation (M3 likelihood) rather than refused.
    censor: Optional[Literal["<", ">"]] = None

    @model_validator(mode="before")
    @classmethod
    def _local_clock(cls, data):
        # The UTC conversion below loses the sample's local clock time, which circadian analytes
        # (cortisol) need: read it from the timestamp as written.
        if isinstance(data, dict) and data.get("clock_h") is None and data.get("time") is not None:
            t = data["time"]
            if isinstance(t, str):
                try:
                    t = datetime.fromisoformat(t)
                except ValueError:
                    return data
            if isinstance(t, datetime) and t.utcoffset() is not None:
                data = {**data, "clock_h": t.hour + t.minute / 60 + t.second / 3600}
        return data

    @field_validator("time")
    @classmethod
    def _aware(cls, v: datetime) -> datetime:
        return _utc(v, "time")

    @field_validator("value")
    @classmethod
    def _finite(cls, v: float) -> float:
        if not math.isfinite(v):
            raise ValueError(f"value {v} is not a finite number")
        return v


class Genotype(_Frozen):
    """A pharmacogene result: a star-allele diplotype ('*1/*2') or a phenotype word ('poor')."""

    gene: str
    value: str
    source: str

    @model_validator(mode="after")
    def _known(self):
        from ..pharmacology.pgx import phenotype

        try:
            phenotype(self.gene, self.value)
        except DataError as exc:
            raise ValueError(f"{self.source}: {exc}") from None
        return self


class Medication(_Frozen):
    """A regular dosing: `count` doses of `dose_mg` every `every_h` hours from `first_dose`
    (count = doses up to the last one taken before the record's reference time)."""

    drug: str
    dose_mg: float
    route: Literal["oral", "iv"] = "oral"
    first_dose: datetime
    every_h: float
    count: int
    source: str

    @field_validator("first_dose")
    @classmethod
    def _aware(cls, v: datetime) -> datetime:
        return _utc(v, "first_dose")

    @model_validator(mode="after")
    def _known(self):
        from ..pharmacology.library import drug_names

        if self.drug not in drug_names():
            import difflib

            close = difflib.get_close_matches(self.drug, drug_names(), n=3)
            hint = f" (did you mean {', '.join(close)}?)" if close else ""
            raise ValueError(f"{self.source}: unknown drug {self.drug!r}{hint}; the library has: "
                             f"{', '.join(drug_names())}")
        # Below half an hour a "regular dosing" is an infusion or a typo, and the dose count
        # (one per interval) would flood the plan.
        problems = schedule_problems(0.0, self.dose_mg, self.every_h, self.count, shortest_h=MIN_EVERY_H)
        if problems:
            raise ValueError(f"{self.source}: {self._say(problems[0])}")
        self._route_available()
        return self

    def _say(self, problem: ScheduleProblem) -> str:
        """A schedule problem (schedule.py) in the words of a record row."""
        if problem.rule == "dose":
            if not (math.isfinite(self.dose_mg) and self.dose_mg > 0):
                return f"dose_mg {self.dose_mg} must be a finite number > 0 mg"
            return f"dose_mg {self.dose_mg:g} must be at most {schedule.MAX_DOSE_MG:g} mg"
        if problem.rule == "interval":
            return (f"every_h {self.every_h} must be between {MIN_EVERY_H:g} and {limits.MAX_TIME_H:g} hours "
                    "(24 = once daily, 12 = twice daily)")
        if problem.rule == "count":
            return (f"count {self.count} must be at least 1 dose" if self.count < 1 else
                    f"count {self.count} must be at most {schedule.MAX_COUNT} doses")
        return (f"{self.count} doses every {self.every_h:g} h span more than {limits.MAX_TIME_H / 8760:g} years, "
                "the longest history the model simulates; give a later first dose (the model reaches steady "
                "state within weeks)")

    def _route_available(self) -> None:
        # Checked here, not first in plan_of, so that the importer reports it with the row.
        from ..pharmacology.library import load_drug

        if self.route == "oral" and load_drug(self.drug).absorption is None:
            raise ValueError(f"{self.source}: route oral is not available for {self.drug} (the drug "
                             "library has no absorption data for it); write route iv, or record the "
                             "parent drug that was taken")

    @property
    def last_dose(self) -> datetime:
        from datetime import timedelta

        return self.first_dose + timedelta(hours=self.every_h * (self.count - 1))


class PatientRecord(_Frozen):
    """Everything imported for one person. `reference_time` defaults to the latest time in the
    record (observations, doses); age is taken at that time."""

    patient_id: str
    sex: Literal["male", "female"]
    birth_date: Optional[date] = None
    age_years: Optional[float] = None
    weight_kg: Optional[float] = None
    observations: tuple[Observation, ...] = ()
    genotypes: tuple[Genotype, ...] = ()
    medications: tuple[Medication, ...] = ()
    conditions: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    reference_time: Optional[datetime] = None
    # The first day of the last menstrual period (cycle day 1), when the record gives one: places
    # a cycling woman at her cycle phase instead of the cycle average.
    last_menstrual_period: Optional[date] = None
    # The biogeographic group whose CYP phenotype frequencies weigh a missing genotype (assess/mixture.py);
    # None: the documented default there.
    population: Optional[str] = None

    @field_validator("population")
    @classmethod
    def _population(cls, v: Optional[str]) -> Optional[str]:
        return None if v is None else check_population(v)

    @field_validator("reference_time")
    @classmethod
    def _aware(cls, v: Optional[datetime]) -> Optional[datetime]:
        return None if v is None else _utc(v, "reference_time")

    @field_validator("age_years")
    @classmethod
    def _age(cls, v: Optional[float]) -> Optional[float]:
        return None if v is None else check_age(v)

    @field_validator("weight_kg")
    @classmethod
    def _weight(cls, v: Optional[float]) -> Optional[float]:
        return None if v is None else check_weight(v)

    @model_validator(mode="after")
    def _complete(self):
        if self.birth_date is None and self.age_years is None:
            raise ValueError("give birth_date or age_years")
        genes = [g.gene.upper() for g in self.genotypes]
        twice = sorted({g for g in genes if genes.count(g) > 1})
        if twice:
            raise ValueError(f"genotype given more than once for {', '.join(twice)}; keep one result per gene")
        if self.reference_time is None:
            times = [o.time for o in self.observations] + [m.last_dose for m in self.medications]
            if times:
                object.__setattr__(self, "reference_time", max(times))
        return self

    def age_at(self, when: Optional[datetime] = None) -> float:
        if self.birth_date is None:
            return float(self.age_years)
        when = when or self.reference_time or datetime.now(timezone.utc)
        days = (when.date() - self.birth_date).days
        return days / 365.2425


def subject(record: PatientRecord) -> Subject:
    """The model's Subject for this record: sex, age at the reference time, weight (the Subject
    default when unknown), genotypes."""
    kwargs = {"sex": record.sex, "age_years": round(record.age_at(), 2),
              "genotypes": {g.gene.upper(): g.value for g in record.genotypes}}
    if record.weight_kg is not None:
        kwargs["weight_kg"] = record.weight_kg
    return Subject(**kwargs)


def plan_of(record: PatientRecord) -> tuple[Plan, datetime]:
    """(Plan, t0): the record's medications as doses in hours after t0 = the first dose. Without
    medications: an empty Plan and t0 = the earliest observation (or the reference time)."""
    if not record.medications:
        times = [o.time for o in record.observations]
        t0 = min(times) if times else record.reference_time
        if t0 is None:
            raise DataError(f"record {record.patient_id!r} has no observations, medications or "
                            "reference_time: no time origin for a plan")
        return Plan(), t0
    t0 = min(m.first_dose for m in record.medications)
    plan = Plan()
    for m in sorted(record.medications, key=lambda m: m.first_dose):
        at_h = (m.first_dose - t0).total_seconds() / HOUR_S
        plan = add_dose(plan, m.drug, at_h, m.dose_mg, route=m.route,
                        every_h=m.every_h if m.count > 1 else None, count=m.count)
    return plan, t0


def lmp_day_one(record: "PatientRecord") -> datetime:
    return datetime.combine(record.last_menstrual_period, time(0), tzinfo=timezone.utc)


def lmp_problems(record: "PatientRecord") -> list[str]:
    """Problems of the record's last_menstrual_period: given for a man, after the record's last
    entry, or so long before it that she is past the cycle's longest day (35)."""
    lmp = record.last_menstrual_period
    if lmp is None:
        return []
    if record.sex != "female":
        return [f"last_menstrual_period {lmp.isoformat()} is given for a {record.sex} record; remove it or "
                "correct the sex"]
    ref = record.reference_time
    if ref is None:
        return []
    days = (ref - lmp_day_one(record)).total_seconds() / 86400.0
    longest = RANGES["cycle_day"][1]
    if days < -1.0:  # a day of slack: the LMP is a date, the reference time a UTC instant
        return [f"last_menstrual_period {lmp.isoformat()} is after the record's last entry "
                f"({ref.isoformat()}); give the first day of the last period before it"]
    if days + 1.0 > longest:
        return [f"last_menstrual_period {lmp.isoformat()} is {days:.0f} days before the record's last entry "
                f"({ref.isoformat()}): beyond day {longest:g}, the longest cycle the model holds; give the "
                "latest period, or leave it out for a woman who is not cycling (the cycle average is used)"]
    return []
