"""Experiment protocol files (format version 1, see PROTOCOL.md): the models and the parser.

Parsing only checks the form of a file; whether a drug or gene is in the libraries is the runner's job.
Every invalid file becomes one `ProtocolError` listing every problem, one per line, as
`key.path: value is not allowed: what is allowed, e.g. ...`, so a user can fix a file in one go.
The constrained fields carry that "what is allowed" text as their pydantic `description`.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable, Collection, Iterator, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal, Union

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    StrictStr,
    Tag,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from neuroscape import limits, schedule, textfiles
from neuroscape import subject as person
from neuroscape.interventions import nutrition as nutrition_library
from neuroscape.interventions.nutrition import MAX_NUTRIENT_G
from neuroscape.limits import MAX_TIME_H
from neuroscape.model import library as model_library
from neuroscape.pharmacology.pgx import GENOTYPE_SYNTAX
from neuroscape.protocol._files import read_json, read_yaml
from neuroscape.protocol._messages import Nested, did_you_mean, fail, fmt, messages, protocol_error
from neuroscape.schedule import MAX_COUNT, MAX_DOSE_MG  # noqa: F401 - the format's limits, also exported here

MAX_FOLD = 1000.0

# The quantities and regions PROTOCOL.md promises in every model version. The schema accepts what the
# default network offers (model.library.default_readouts) besides, so a new readout needs no edit here.
KNOWN_QUANTITIES: tuple[str, ...] = (
    "plasma.tryptophan", "plasma.tryptophan.free", "plasma.tyrosine", "plasma.kynurenine",
    "plasma.lnaa", "plasma.trp_lnaa_ratio", "plasma.estradiol", "plasma.progesterone",
    "plasma.cortisol", "brain.tryptophan", "brain.tyrosine", "brain.serotonin.extracellular",
    "brain.dopamine.extracellular", "brain.norepinephrine.extracellular", "brain.gaba",
    "brain.5hiaa", "brain.hva", "synthesis.serotonin", "synthesis.dopamine",
)
# Families whose members come with the drugs of a plan (plasma.<drug>, occupancy.<target>), so they
# cannot be read from the drug-free network.
QUANTITY_TEMPLATES: tuple[str, ...] = (
    "plasma.<name>", "occupancy.<target>", "activity.<enzyme>",
    "receptor.<name>.sensitivity", "receptor.<name>.density", "firing.<population>", "csf.<name>",
    "signalling.<receptor>",  # format 1 extension: receptor activation, e.g. signalling.GABAA
)
REGIONS: tuple[str, ...] = ("raphe", "cortex", "hippocampus", "striatum", "prefrontal")
# Pharmacokinetic summaries a readout may ask for over an interval (format 1 extension, protocol/summaries.py)
SUMMARIES: tuple[str, ...] = ("cmax", "tmax", "auc", "trough", "time_above")

_NAME_CHARS = "[A-Za-z0-9_-]+"
_TEMPLATE_RES = tuple(
    re.compile(re.sub(r"<[a-z]+>", _NAME_CHARS, re.escape(t))) for t in QUANTITY_TEMPLATES
)
_GENE_RE = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*")
_CLOCK_PATTERN = r"(?:[01][0-9]|2[0-3]):[0-5][0-9]"

_TIME_HINT = (f"a time is a number of hours from the start of the protocol, from 0 to {MAX_TIME_H:g} "
              f"({MAX_TIME_H / 8760:g} years), e.g. 24")
_MAX_DOSE = f"at most {MAX_DOSE_MG:g} ({MAX_DOSE_MG / 1000:g} g)"
_DOSE_HINT = f"a dose must be a positive number of milligrams (e.g. 20), {_MAX_DOSE}"
_EVERY_HINT = "the interval between doses is a positive number of hours, e.g. 24; omit it for one dose"
_COUNT_HINT = f"count is the number of doses, a whole number from 1 to {MAX_COUNT}, e.g. 28; omit it for one dose"
_ROUTE_HINT = "the route is one of oral, iv, ip"
_GRAMS_HINT = f"grams of the nutrient, a number from 0 to {MAX_NUTRIENT_G:g}, e.g. 30"


def __getattr__(name: str) -> Any:
    # the nutrition library's preset names, read when asked for (a new preset file needs no edit here)
    if name == "DEFAULT_NUTRITION_NAMES":
        return frozenset(nutrition_library.preset_names())
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# --- vocabularies read from the model and the data files ----------------------------------------

@lru_cache(maxsize=1)
def _offered() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(quantities, regions) of the default network's readouts, in network order."""
    readouts = model_library.default_readouts()  # the modules are built on first use, not assembled
    return (tuple(dict.fromkeys(r.quantity for r in readouts)),
            tuple(dict.fromkeys(r.region for r in readouts if r.region)))


def _templated(quantity: str) -> bool:
    return any(p.fullmatch(quantity) for p in _TEMPLATE_RES)


# format 1 extension: with `model:` (an external SBML file) readouts name the file's ids as sbml.<id>
_SBML_QUANTITY_RE = re.compile(r"sbml\.[A-Za-z_][A-Za-z0-9_]*")


def is_known_quantity(quantity: str) -> bool:
    return (quantity in KNOWN_QUANTITIES or quantity in _offered()[0] or _templated(quantity)
            or bool(_SBML_QUANTITY_RE.fullmatch(quantity)))


def _named_quantities() -> tuple[str, ...]:
    """The quantities to list by name: the promised ones, then the network's that no template covers."""
    extra = [q for q in _offered()[0] if q not in KNOWN_QUANTITIES and not _templated(q)]
    return KNOWN_QUANTITIES + tuple(extra)


def _regions() -> tuple[str, ...]:
    return REGIONS + tuple(r for r in _offered()[1] if r not in REGIONS)


def _nutrition_kind(name: str) -> str | None:
    """The preset's kind (meal, drink, supplement, compound, held); None for a name the caller added."""
    return nutrition_library.presets().get(name, {}).get("kind")


# --- field checks -------------------------------------------------------------------------------

def _time_problem(value: Any) -> str | None:
    ok = (isinstance(value, (int, float)) and not isinstance(value, bool)
          and math.isfinite(value) and 0 <= value <= MAX_TIME_H)
    return None if ok else f"{fmt(value)} is not allowed: {_TIME_HINT}"


def _checked(ok: Callable[[Any], bool], problem: str) -> AfterValidator:
    """A field check by a rule of the domain; the error is worded from the field's description
    (`problem` is only pydantic's fallback text)."""
    def check(value: Any) -> Any:
        if not ok(value):
            raise ValueError(problem)
        return value
    return AfterValidator(check)


def _matches(pattern: re.Pattern[str], message: str, *, key: bool = False) -> AfterValidator:
    """A text check with its own message (`key`: the text is a mapping's key)."""
    def check(value: str) -> str:
        if not pattern.fullmatch(value):
            raise fail([((), f"{'key ' if key else ''}{fmt(value)} is not allowed: {message}")])
        return value
    return AfterValidator(check)


def _number(t: float) -> float | int:
    return int(t) if float(t).is_integer() else t


def _none_as_empty(value: Any, empty: Any) -> Any:
    # `subject:` with every key commented out loads as null; it means "all defaults"
    return empty if value is None else value


# --- field types --------------------------------------------------------------------------------

Time = Annotated[float, Field(strict=True, ge=0, le=MAX_TIME_H)]
Hours = Annotated[float, Field(strict=True, gt=0, le=MAX_TIME_H)]
Grams = Annotated[float, Field(strict=True, ge=0, le=MAX_NUTRIENT_G)]
Fold = Annotated[float, Field(strict=True, gt=0, le=MAX_FOLD)]
# dose, interval and count follow the schedule rules (schedule.py), read when a file is checked
DoseMg = Annotated[float, Field(strict=True), _checked(schedule.is_dose, "not a dose")]
Interval = Annotated[float, Field(strict=True), _checked(schedule.is_interval, "not an interval")]
Count = Annotated[int, Field(strict=True), _checked(schedule.is_count, "not a count")]
Name = Annotated[str, Field(strict=True, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.+-]*$")]
Route = Literal["oral", "iv", "ip"]
GeneName = Annotated[StrictStr, _matches(_GENE_RE, "genotype keys are gene names (letters, digits, '-'), e.g. CYP2D6",
                                         key=True)]
Genotype = Annotated[StrictStr, _matches(
    GENOTYPE_SYNTAX,
    'a genotype is a star-allele diplotype such as "*1/*2" (quote it in YAML) or a phenotype: poor, '
    "intermediate, normal, rapid, ultrarapid (optionally followed by ' metabolizer')")]
ModificationName = Annotated[StrictStr, _matches(
    re.compile(_NAME_CHARS), "a modification names a protein or neuron population (letters, digits, '-', '_'), "
                             "e.g. DAT or dopamine_neurons", key=True)]
ParameterName = Annotated[StrictStr, _matches(
    re.compile(r"[A-Za-z_][A-Za-z0-9_]*"), "parameter names are identifiers (letters, digits, '_'), e.g. sert_km",
    key=True)]
_PARAMETER_VALUE_HINT = ('a parameter value is a number in the table\'s unit or a text with a unit (at most 100 '
                         'characters), e.g. 0.08 or "80 nM"')


def _parameter_value(value: Any) -> Any:
    number = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if not (number or (isinstance(value, str) and 0 < len(value) <= 100)):
        raise fail([((), f"{fmt(value)} is not allowed: {_PARAMETER_VALUE_HINT}")])
    return float(value) if number else value


ParameterValue = Annotated[Any, AfterValidator(_parameter_value)]
Multiplier = Annotated[float, Field(strict=True), _checked(lambda v: 0 <= v <= person.MAX_MODIFICATION,
                                                          "not a multiplier")]


def _in_subject_range(key: str) -> AfterValidator:
    return _checked(lambda value: person.in_range(key, value), "out of range")


def _subject_hint(key: str, hint: str) -> str:
    """`hint` with the Subject's range for `key` (subject.RANGES) filled in as {lo} and {hi}."""
    lo, hi = person.RANGES[key]
    return hint.format(lo=lo, hi=hi)


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    def _cross_problems(self) -> Iterator[tuple[str | None, str]]:
        """Checks that involve several fields: (field or None for the whole mapping, message)."""
        return iter(())

    @model_validator(mode="after")
    def _check_cross(self) -> _Model:
        problems = [((field,) if field else (), msg) for field, msg in self._cross_problems()]
        if problems:
            raise fail(problems)
        return self


# --- subject ------------------------------------------------------------------------------------

class SubjectSpec(_Model):
    """A protocol's subject. Its rules are Subject's (subject.py): the ranges are read from there and its
    cross-field problems are reported here at their keys, in a file's words."""

    sex: Literal[person.SEXES] = Field(  # type: ignore[valid-type]
        "male", description=f"sex is {' or '.join(person.SEXES)}")
    age_years: Annotated[float, _in_subject_range("age_years")] = Field(
        35.0, strict=True, description=_subject_hint("age_years", "age in years, a number from {lo:g} to {hi:g}, "
                                                                  "e.g. 35"))
    weight_kg: Annotated[float, _in_subject_range("weight_kg")] = Field(
        75.0, strict=True, description=_subject_hint("weight_kg", "body weight in kg, a number from {lo:g} to "
                                                                  "{hi:g}, e.g. 75"))
    genotypes: dict[GeneName, Genotype] = Field(
        default_factory=dict,
        description='a mapping of gene name to genotype, e.g. {CYP2D6: normal, CYP2C19: "*2/*2"}')
    modifications: dict[ModificationName, Multiplier] = Field(
        default_factory=dict,
        description="a mapping of protein or neuron population to a multiplier from 0 to "
                    f"{person.MAX_MODIFICATION:g} (1 = typical), e.g. {{DAT: 0.5}}")

    cycle_day: Annotated[float, _in_subject_range("cycle_day")] | None = Field(
        None, strict=True,
        description=_subject_hint("cycle_day", "cycle_day is the day of the menstrual cycle at t = 0, a number from "
                                               "{lo:g} (first day of menstruation) to {hi:g}, e.g. 14; female "
                                               "subjects only"))
    reproductive_stage: Literal[person.REPRODUCTIVE_STAGES] | None = Field(  # type: ignore[valid-type]
        None, description=f"reproductive_stage is {', '.join(person.REPRODUCTIVE_STAGES[:-1])} or "
                          f"{person.REPRODUCTIVE_STAGES[-1]}; female subjects only")
    postpartum_day: Annotated[float, _in_subject_range("postpartum_day")] | None = Field(
        None, strict=True,
        description=_subject_hint("postpartum_day", "postpartum_day is the number of days since delivery at t = 0, "
                                                    "a number from {lo:g} to {hi:g}, e.g. 3; with "
                                                    "reproductive_stage postpartum only"))

    @field_validator("genotypes", "modifications", mode="before")
    @classmethod
    def _null_is_empty(cls, value: Any) -> Any:
        return _none_as_empty(value, {})

    def _cross_problems(self) -> Iterator[tuple[str | None, str]]:
        # the single-field rules (choice, range) were reported by the fields themselves
        for problem in person.subject_problems(self.sex, self.age_years, self.weight_kg, self.modifications,
                                               self.cycle_day, self.reproductive_stage, self.postpartum_day):
            if problem.rule in _SUBJECT_WORDS:
                reason = _SUBJECT_WORDS[problem.rule].format(key=problem.key, sex=self.sex)
                yield problem.key, f"{fmt(getattr(self, problem.key))} is not allowed: {reason}"


# The Subject's cross-field rules (subject.subject_problems) in a file's words
_SUBJECT_WORDS = {
    "female_only": "{key} applies to female subjects and sex is {sex}; write sex: female or remove {key}",
    "cycle_after_menopause": "a postmenopausal subject has no cycle; remove cycle_day or reproductive_stage",
    "cycle_postpartum": "the postpartum decline replaces the cycle; remove cycle_day or reproductive_stage",
    "needs_postpartum": "postpartum_day needs reproductive_stage: postpartum; add it or remove postpartum_day",
}


class CircadianSpec(_Model):
    """The daily rhythm (format 1 extension; absent = no rhythm, the version-1 meaning). Clock time is
    clock_start + t; see docs/interventions.md."""

    cortisol: bool = Field(True, strict=True,
                           description="cortisol is true (24-h cortisol rhythm) or false")
    sleep: str | None = Field(
        None, strict=True, pattern=rf"^{_CLOCK_PATTERN}-{_CLOCK_PATTERN}$",
        description='sleep is a nightly clock window "HH:MM-HH:MM" (24 h), e.g. "23:00-07:00", or omitted '
                    "for no scheduled sleep")

    def _cross_problems(self) -> Iterator[tuple[str | None, str]]:
        if self.sleep is not None and self.sleep[:5] == self.sleep[6:]:
            yield "sleep", f"{fmt(self.sleep)} is not allowed: the window starts and ends at the same time"


# --- interventions ------------------------------------------------------------------------------

class _Intervention(_Model):
    """What every intervention shares. In a file the kind is the key that names the intervention
    (`drug: citalopram`, `sleep: night`); `KIND` is that key."""

    KIND: ClassVar[str]

    @property
    def kind(self) -> str:
        return self.KIND

    @property
    def times_h(self) -> tuple[float, ...]:
        return (self.start_h,)  # type: ignore[attr-defined]


class _Lasting(_Intervention):
    """An intervention held from start_h for duration_h."""

    @property
    def end_h(self) -> float:
        return self.start_h + self.duration_h  # type: ignore[attr-defined]


class _Dosed(_Intervention):
    """An intervention given as doses on a schedule (schedule.py): one at the start, or `count` doses
    `every_h` hours apart."""

    START: ClassVar[str] = "start_h"

    @property
    def dosed(self) -> bool:
        return True

    @property
    def dose_times_h(self) -> tuple[float, ...]:
        if not self.dosed:
            return ()
        return schedule.dose_times(getattr(self, self.START), self.every_h, self.count)  # type: ignore[attr-defined]

    @property
    def times_h(self) -> tuple[float, ...]:
        return self.dose_times_h if self.dosed else (getattr(self, self.START),)

    def _cross_problems(self) -> Iterator[tuple[str | None, str]]:
        if not self.dosed:
            return
        every, count = self.every_h, self.count  # type: ignore[attr-defined]
        # dose, interval and count were checked as fields; left are the rules of the schedule as a whole
        for problem in schedule.schedule_problems(getattr(self, self.START), 1.0, every, count):
            if problem.rule == "needs_interval":
                yield "count", (f"{count} is not allowed without every_h: repeated doses need every_h, the "
                                "interval in hours (e.g. every_h: 24); omit count for one dose")
            elif problem.rule == "too_long":
                yield "count", (f"{count} is not allowed: the last dose would be at {problem.last_h:g} h, after "
                                f"{limits.MAX_TIME_H:g} h ({limits.MAX_TIME_H / 8760:g} years); lower count "
                                "or every_h")


class DrugIntervention(_Dosed):
    KIND = "drug"

    drug: Name = Field(description="a drug name from the drug library, e.g. citalopram")
    dose_mg: DoseMg = Field(description=_DOSE_HINT)
    route: Route = Field("oral", description=_ROUTE_HINT)
    every_h: Interval | None = Field(None, description=_EVERY_HINT)
    count: Count = Field(1, description=_COUNT_HINT)
    start_h: Time = Field(0.0, description=_TIME_HINT)
    infusion_h: Hours | None = Field(
        None, description="an infusion lasts a positive number of hours, e.g. 0.5; omit it for a bolus")
    # Format 1 extension: an oral product of the drug (absent = the library's default product).
    # Whether the drug has it is the runner's check (the library lists each drug's formulations).
    formulation: Name | None = Field(
        None, description="a formulation is an oral product of the drug in the library, e.g. SR or XL; "
                          "omit it for the default (immediate-release) product")

    def _cross_problems(self) -> Iterator[tuple[str | None, str]]:
        if self.formulation is not None and self.route != "oral":
            yield "formulation", (f"{fmt(self.formulation)} is not allowed with route {self.route}: a "
                                  "formulation is an oral product; write route: oral or remove formulation")
        if self.formulation is not None and self.infusion_h is not None:
            yield "formulation", (f"{fmt(self.formulation)} is not allowed with infusion_h: an infusion is "
                                  "given IV; remove one of them")
        yield from super()._cross_problems()


class NutritionIntervention(_Dosed):
    KIND = "nutrition"
    START = "at_h"

    nutrition: StrictStr = Field(description="a name from the nutrition library, e.g. meal or tryptophan")
    at_h: Time = Field(0.0, description=_TIME_HINT)
    protein_g: Grams | None = Field(None, description=_GRAMS_HINT)
    carbohydrate_g: Grams | None = Field(None, description=_GRAMS_HINT)
    fat_g: Grams | None = Field(None, description=_GRAMS_HINT)
    dose_mg: DoseMg | None = Field(
        None, description=f"a supplement dose must be a positive number of milligrams (e.g. 1000), {_MAX_DOSE}")
    every_h: Interval | None = Field(None, description=_EVERY_HINT)
    count: Count = Field(1, description=_COUNT_HINT)

    @field_validator("nutrition")
    @classmethod
    def _known_name(cls, name: str, info: ValidationInfo) -> str:
        names = (info.context or {}).get("nutrition_names")
        names = nutrition_library.preset_names() if names is None else names
        if name not in names:
            raise fail([((), f"{fmt(name)} is not a known nutrition name{did_you_mean(name, names)}; "
                              f"allowed: {', '.join(sorted(names))}")])
        return name

    def _cross_problems(self) -> Iterator[tuple[str | None, str]]:
        macronutrients = ("protein_g", "carbohydrate_g", "fat_g")
        given = {key: getattr(self, key) for key in macronutrients if getattr(self, key) is not None}
        kind = _nutrition_kind(self.nutrition)
        if kind == "meal":
            if not given:
                yield None, ("a meal needs at least one of protein_g, carbohydrate_g, fat_g "
                             "(grams, e.g. protein_g: 30)")
            if self.dose_mg is not None:
                yield "dose_mg", (f"{fmt(self.dose_mg)} is not allowed: a meal is given in grams with "
                                  "protein_g, carbohydrate_g, fat_g; remove dose_mg")
        else:
            for key, grams in given.items():
                yield key, (f"{fmt(grams)} is not allowed: {key} applies only to nutrition: meal; "
                            f"remove it")
            if kind == "drink" and self.dose_mg is not None:
                yield "dose_mg", (f"{fmt(self.dose_mg)} is not allowed: {self.nutrition} is a fixed "
                                  "preset; remove dose_mg")
            elif kind != "drink" and self.dose_mg is None:
                yield "dose_mg", ("required key is missing; a supplement needs dose_mg in milligrams, "
                                  "e.g. dose_mg: 1000")
        yield from super()._cross_problems()


class ExerciseIntervention(_Lasting):
    KIND = "exercise"

    exercise: Name = Field(description="an exercise type, e.g. endurance or resistance")
    start_h: Time = Field(description=_TIME_HINT)
    duration_h: Hours = Field(description="the duration is a positive number of hours, e.g. 1.5")
    intensity: float = Field(strict=True, gt=0, le=1,
                             description="intensity is a fraction of VO2max, above 0 and at most 1, e.g. 0.7")


class SleepIntervention(_Lasting):
    """`- sleep: night` or `- sleep_deprivation: total` in a file; `kind` is the key, `label` its value
    (a free label, or nothing)."""

    start_h: Time = Field(description=_TIME_HINT)
    duration_h: Hours = Field(description="the duration is a positive number of hours, e.g. 8")

    @property
    def label(self) -> str | None:
        return getattr(self, self.KIND)


_LABEL_HINT = "a free label such as night or total, or nothing"


class NightSleep(SleepIntervention):
    KIND = "sleep"

    sleep: StrictStr | None = Field(None, description=_LABEL_HINT)


class SleepDeprivation(SleepIntervention):
    KIND = "sleep_deprivation"

    sleep_deprivation: StrictStr | None = Field(None, description=_LABEL_HINT)


class FastingIntervention(_Lasting):
    """`- fasting: water` (a free label, or nothing): no food from start_h for duration_h, beyond the
    overnight fast that the baseline describes."""

    KIND = "fasting"

    fasting: StrictStr | None = Field(None, description=_LABEL_HINT)
    start_h: Time = Field(description=_TIME_HINT)
    duration_h: Hours = Field(description="the duration is a positive number of hours beyond the overnight "
                                          "fast, e.g. 60 for a 72-h fast")


class HormoneIntervention(_Dosed):
    KIND = "hormone"

    hormone: Name = Field(description="a hormone name, e.g. estradiol, progesterone or cortisol")
    start_h: Time = Field(0.0, description=_TIME_HINT)
    fold: Fold | None = Field(
        None, description="fold is the level relative to baseline, a positive number up to 1000, e.g. 0.5")
    dose_mg: DoseMg | None = Field(None, description=_DOSE_HINT)
    route: Route = Field("oral", description=_ROUTE_HINT)
    every_h: Interval | None = Field(None, description=_EVERY_HINT)
    count: Count = Field(1, description=_COUNT_HINT)

    @property
    def dosed(self) -> bool:
        return self.dose_mg is not None  # hormone therapy; a fold is held from start_h instead

    def _cross_problems(self) -> Iterator[tuple[str | None, str]]:
        if (self.fold is None) == (self.dose_mg is None):
            which = "both fold and dose_mg" if self.fold is not None else "neither fold nor dose_mg"
            yield None, (f"{which} given; a hormone needs exactly one: fold (level relative to baseline, "
                         "e.g. fold: 0.5) or dose_mg (hormone therapy, e.g. dose_mg: 2)")
        elif self.fold is not None:
            for key in ("route", "every_h", "count"):
                if key in self.model_fields_set:
                    yield key, (f"{fmt(getattr(self, key))} is not allowed: {key} applies only with "
                                "dose_mg; a fold is held from start_h; remove it")
        else:
            yield from super()._cross_problems()


class InflammationIntervention(_Intervention):
    KIND = "inflammation"

    inflammation: Name = Field(description="an inflammatory stimulus, e.g. interferon_alpha")
    start_h: Time = Field(0.0, description=_TIME_HINT)
    fold: Fold = Field(description="fold is the cytokine drive relative to baseline, a positive number "
                                   "up to 1000, e.g. 5")
    duration_h: Hours | None = Field(
        None, description="the duration is a positive number of hours; omit it to hold the drive")


INTERVENTION_KINDS: dict[str, type[_Intervention]] = {
    cls.KIND: cls for cls in (DrugIntervention, NutritionIntervention, ExerciseIntervention, NightSleep,
                              SleepDeprivation, HormoneIntervention, InflammationIntervention,
                              FastingIntervention)
}


def _kinds_in(item: Mapping[Any, Any]) -> list[str]:
    return [kind for kind in INTERVENTION_KINDS if kind in item]


def _one_kind(item: Any) -> Any:
    """An intervention in a file is a mapping with exactly one kind key (a model made in code passes)."""
    if isinstance(item, _Intervention):
        return item
    kinds = ", ".join(INTERVENTION_KINDS)
    if not isinstance(item, Mapping):
        raise fail([((), f"{fmt(item)} is not allowed: an intervention is a mapping with exactly one kind "
                         f"key ({kinds}), e.g. {{drug: citalopram, dose_mg: 20}}")])
    present = _kinds_in(item)
    if len(present) != 1:
        found = f"{len(present)} kinds ({', '.join(present)})" if present else "no kind"
        raise fail([((), f"{found} in one intervention; each intervention needs exactly one of the keys "
                         f"{kinds} (write separate interventions as separate list items)")])
    return item


def _kind_of(item: Any) -> str | None:
    """The discriminator: the kind key (`_one_kind` has checked that there is exactly one)."""
    if isinstance(item, _Intervention):
        return item.KIND
    present = _kinds_in(item) if isinstance(item, Mapping) else []
    return present[0] if len(present) == 1 else None


Intervention = Annotated[
    Union[tuple(Annotated[cls, Tag(kind)] for kind, cls in INTERVENTION_KINDS.items())],  # type: ignore[misc]
    Discriminator(_kind_of),
    BeforeValidator(_one_kind),
]


# --- readouts and the protocol ------------------------------------------------------------------

def _quantity_candidates(quantity: str) -> tuple[str, ...]:
    # also offer each template filled with the user's own name, so "ocupancy.SERT" finds "occupancy.SERT"
    named = KNOWN_QUANTITIES + tuple(q for q in _offered()[0] if q not in KNOWN_QUANTITIES)
    tail = quantity.partition(".")[2].removesuffix(".sensitivity")
    if not re.fullmatch(_NAME_CHARS, tail):
        return named
    return named + tuple(re.sub(r"<[a-z]+>", lambda _: tail, t) for t in QUANTITY_TEMPLATES)


class ReadoutSpec(_Model):
    id: str = Field(strict=True, max_length=100, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
                    description="a readout id is an identifier (letters, digits, '_', not starting with "
                                "a digit), e.g. e5ht_cortex")
    quantity: StrictStr = Field(description="a quantity name from PROTOCOL.md, e.g. occupancy.SERT")
    region: StrictStr | None = Field(None, description=f"a region: {', '.join(REGIONS)}; or omit it")
    at_h: float | tuple[float, ...] | None = Field(
        None, description=f"{_TIME_HINT}, or a list of increasing times, e.g. [0, 4, 24]")
    relative_to: Literal["baseline"] | None = Field(
        None, description="relative_to is baseline or omitted")
    # format 1 extension (docs/protocol.md): a pharmacokinetic summary of the readout over an interval
    summary: Literal[SUMMARIES] | None = Field(  # type: ignore[valid-type]
        None, description=f"summary is one of {', '.join(SUMMARIES)} (with over_h), or omitted for values at at_h")
    over_h: tuple[float, float] | None = Field(
        None, description="over_h is the interval [start, end] of a summary in hours, start < end, e.g. [0, 24]")
    level: float | None = Field(
        None, strict=True, allow_inf_nan=False,
        description="level is the threshold of time_above, in the readout's unit (a ratio with relative_to), "
                    "e.g. 50")

    @field_validator("quantity")
    @classmethod
    def _known_quantity(cls, quantity: str) -> str:
        if not is_known_quantity(quantity):
            hint = did_you_mean(quantity, _quantity_candidates(quantity))
            every = _named_quantities() + QUANTITY_TEMPLATES
            # the closest few, not all 30 (1.4 kB): `neuroscape quantities` lists them all
            closest = difflib.get_close_matches(quantity, every, n=5, cutoff=0.5) or list(every[:5])
            raise fail([((), f"{fmt(quantity)} is not a known quantity{hint}; allowed: the closest are "
                              f"{', '.join(closest)}; `neuroscape quantities` lists all {len(every)} "
                              f"(<...> = letters, digits, '-', '_'; see docs/protocol.md, PROTOCOL.md)")])
        return quantity

    @field_validator("region")
    @classmethod
    def _known_region(cls, region: str | None) -> str | None:
        regions = _regions()
        if region is not None and region not in regions:
            raise fail([((), f"{fmt(region)} is not a known region{did_you_mean(region, regions)}; "
                              f"allowed: {', '.join(regions)}; or omit region for the default")])
        return region

    @field_validator("at_h", mode="before")
    @classmethod
    def _times(cls, value: Any) -> Any:
        if not isinstance(value, (list, tuple)):
            problem = _time_problem(value)
            if problem:
                raise fail([((), problem)])
            return float(value)
        if not value:
            raise fail([((), "[] is not allowed: a list of readout times needs at least one time, "
                              "e.g. [0, 4, 24]")])
        problems = [((i,), p) for i, p in enumerate(map(_time_problem, value)) if p]
        if not problems:
            problems = [((i,), f"{fmt(value[i])} is not allowed: a readout list out of order; times must "
                               f"be strictly increasing and it follows {fmt(value[i - 1])}")
                        for i in range(1, len(value)) if value[i] <= value[i - 1]]
        if problems:
            raise fail(problems)
        return tuple(float(v) for v in value)

    @field_validator("over_h", mode="before")
    @classmethod
    def _interval(cls, value: Any) -> Any:
        if value is None:
            return None
        hint = "over_h is two times [start, end] with start < end, e.g. [0, 24]"
        if not isinstance(value, (list, tuple)) or len(value) != 2:
            raise fail([((), f"{fmt(value)} is not allowed: {hint}")])
        problems = [((i,), p) for i, p in enumerate(map(_time_problem, value)) if p]
        if not problems and value[1] <= value[0]:
            problems = [((1,), f"{fmt(value[1])} is not allowed: {hint}")]
        if problems:
            raise fail(problems)
        return (float(value[0]), float(value[1]))

    @property
    def times_h(self) -> tuple[float, ...]:
        """The times the readout reads: at_h, or a summary's interval ends."""
        if self.summary is not None:
            return self.over_h or ()
        return self.at_h if isinstance(self.at_h, tuple) else (self.at_h,)

    @property
    def is_list(self) -> bool:
        return isinstance(self.at_h, tuple)

    def _cross_problems(self) -> Iterator[tuple[str | None, str]]:
        yield from self._summary_problems()
        if self.region is not None and self.quantity.startswith("plasma."):
            yield "region", f"{fmt(self.region)} is not allowed: plasma quantities have no region; remove it"

    def _summary_problems(self) -> Iterator[tuple[str | None, str]]:
        fields = type(self).model_fields
        if self.summary is None:
            if self.at_h is None:
                yield "at_h", f"required key is missing; {fields['at_h'].description}"
            for key in ("over_h", "level"):
                if getattr(self, key) is not None:
                    shown = [_number(t) for t in self.over_h] if key == "over_h" else self.level  # as the file wrote it
                    yield key, (f"{fmt(shown)} is not allowed: {key} applies only with summary "
                                f"({', '.join(SUMMARIES)}); add summary or remove {key}")
            return
        if self.at_h is not None:
            yield "at_h", (f"{fmt(self.at_h)} is not allowed: a summary is read over an interval; write "
                           "over_h: [start, end] instead of at_h")
        if self.over_h is None:
            yield "over_h", f"required key is missing; {fields['over_h'].description}"
        if self.summary == "time_above" and self.level is None:
            yield "level", f"required key is missing; {fields['level'].description}"
        if self.summary != "time_above" and self.level is not None:
            yield "level", (f"{fmt(self.level)} is not allowed: level applies only to summary: time_above; "
                            "remove it")


class Protocol(_Model):
    protocol: int = Field(strict=True, description="the format version; write protocol: 1")
    name: str = Field(strict=True, min_length=1, max_length=200,
                      description="a non-empty name for the experiment, e.g. citalopram-20mg-4-weeks")
    subject: SubjectSpec = Field(
        default_factory=SubjectSpec,
        description="the subject, a mapping with the optional keys " + ", ".join(SubjectSpec.model_fields))
    interventions: tuple[Intervention, ...] = Field(
        (), description="a list of interventions, e.g. [{drug: citalopram, dose_mg: 20}]")
    readouts: tuple[ReadoutSpec, ...] = Field(
        description="a non-empty list of readouts, each a mapping with id, quantity and "
                                  "at_h, e.g. [{id: sert, quantity: occupancy.SERT, at_h: 24}]")
    clock_start: str = Field("08:00", strict=True, pattern=rf"^{_CLOCK_PATTERN}$",
                             description='the wall-clock time at t = 0, "HH:MM" in 24 h, e.g. "08:00"')
    circadian: CircadianSpec | None = Field(
        None, description='the daily rhythm, a mapping with the optional keys cortisol (true/false) and '
                          'sleep ("HH:MM-HH:MM"), e.g. {cortisol: true, sleep: "23:00-07:00"}; omit it for none')
    # format 1 extension (docs/exchange.md): run an external SBML model instead of neuroscape's own
    model: str | None = Field(None, strict=True, min_length=1, max_length=1000,
                              description="an SBML file to run instead of neuroscape's model, relative to "
                                          "the protocol file, e.g. best2009.xml; omit it for neuroscape's model")
    # format 1 extension (docs/protocol.md): parameter values for this run, checked by the runner against
    # the parameter table of the protocol's model (which depends on its drugs)
    parameters: dict[ParameterName, ParameterValue] = Field(
        default_factory=dict,
        description='a mapping of parameter name to a number in the table\'s unit or a text with a unit, '
                    'e.g. {sert_km: 0.08, rel_5ht: "2 1/h"} (`neuroscape parameters` lists them)')

    @field_validator("protocol")
    @classmethod
    def _version(cls, version: int) -> int:
        if version != 1:
            raise fail([((), f"{version} is not allowed: only version 1 is supported; write protocol: 1")])
        return version

    @field_validator("subject", "interventions", "parameters", mode="before")
    @classmethod
    def _null_is_empty(cls, value: Any, info: ValidationInfo) -> Any:
        return _none_as_empty(value, () if info.field_name == "interventions" else {})

    @field_validator("readouts", mode="before")
    @classmethod
    def _not_empty(cls, value: Any) -> Any:
        # checked on the raw list: pydantic's min_length would also fire when every readout is invalid
        if isinstance(value, (list, tuple)) and not value:
            raise fail([((), f"[] is not allowed: {cls.model_fields['readouts'].description}")])
        return value

    @field_validator("readouts")
    @classmethod
    def _unique_ids(cls, readouts: tuple[ReadoutSpec, ...]) -> tuple[ReadoutSpec, ...]:
        first: dict[str, int] = {}
        problems = []
        for i, readout in enumerate(readouts):
            if readout.id in first:
                problems.append(((i, "id"), f"{fmt(readout.id)} is not allowed: readout ids must be unique "
                                            f"and readouts[{first[readout.id]}] already uses it; rename one"))
            first.setdefault(readout.id, i)
        if problems:
            raise fail(problems)
        return readouts


# --- the parser ---------------------------------------------------------------------------------

# The fields that hold models, for naming a problem's field and key path (the interventions by kind key)
_NESTED: Nested = {
    (Protocol, "subject"): SubjectSpec, (Protocol, "readouts"): ReadoutSpec,
    (Protocol, "circadian"): CircadianSpec, (Protocol, "interventions"): INTERVENTION_KINDS,
}


def parse_protocol(data: Any, *, nutrition_names: Collection[str] | None = None,
                   source: str = "<protocol>") -> Protocol:
    """Validate an already-loaded protocol mapping; raise ProtocolError listing every problem.
    `nutrition_names` replaces the nutrition library's preset names."""
    top_keys = list(Protocol.model_fields)
    if not isinstance(data, Mapping):
        raise protocol_error(source, [f"{fmt(data)} is not allowed: a protocol is a mapping with the "
                                      f"keys {', '.join(top_keys)} (see PROTOCOL.md)"])
    names = None if nutrition_names is None else frozenset(nutrition_names)
    try:
        return Protocol.model_validate(dict(data), context={"nutrition_names": names})
    except ValidationError as exc:
        # report in the order of the file format, whatever order the checks ran in
        rank = {key: i for i, key in enumerate(top_keys)}
        problems = sorted(messages(exc, Protocol, _NESTED), key=lambda p: rank.get(p[0], len(rank)))
        raise protocol_error(source, [line for _, line in problems]) from None


def load_protocol(path: str | Path, *, nutrition_names: Collection[str] | None = None) -> Protocol:
    """Read a protocol file (JSON for a .json suffix, YAML otherwise) and parse it."""
    path = Path(path)
    source = str(path)
    try:
        text = textfiles.read_text(path, "protocol file")
    except FileNotFoundError as exc:
        raise protocol_error(source, ["protocol file not found; check the path"]) from exc
    except textfiles.TextFileError as exc:
        raise protocol_error(source, [f"cannot read the protocol file: {exc}"]) from exc
    data = read_json(text, source) if path.suffix.lower() == ".json" else read_yaml(text, source)
    if data is None:
        raise protocol_error(source, ["the file is empty; a protocol is a mapping with the keys "
                                      f"{', '.join(Protocol.model_fields)} (see PROTOCOL.md)"])
    protocol = parse_protocol(data, nutrition_names=nutrition_names, source=source)
    if protocol.model is not None and not Path(protocol.model).is_absolute():
        protocol = protocol.model_copy(update={"model": str(path.parent / protocol.model)})
    return protocol
