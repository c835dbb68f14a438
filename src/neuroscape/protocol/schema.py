"""Experiment protocol files (format version 1, see PROTOCOL.md): the models and the parser.

Parsing only checks the form of a file; whether a drug or gene is in the libraries is the runner's job.
Every invalid file becomes one `ProtocolError` listing every problem, one per line, as
`key.path: value is not allowed: what is allowed, e.g. ...`, so a user can fix a file in one go.
The constrained fields carry that "what is allowed" text as their pydantic `description`.
"""

from __future__ import annotations

import difflib
import json
import math
import re
from collections.abc import Collection, Iterator, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, Union

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from neuroscape.errors import ProtocolError
from neuroscape.limits import MAX_TIME_H

MAX_NUTRIENT_G = 200.0
MAX_DOSE_MG = 200_000.0  # 200 g; the drug-specific bound (10x label maximum) needs the drug library
MAX_FOLD = 1000.0
MAX_COUNT = 100_000  # hourly dosing for 10 years fits; bounds the size of dose_times_h

KNOWN_QUANTITIES: tuple[str, ...] = (
    "plasma.tryptophan", "plasma.tryptophan.free", "plasma.tyrosine", "plasma.kynurenine",
    "plasma.lnaa", "plasma.trp_lnaa_ratio", "plasma.estradiol", "plasma.progesterone",
    "plasma.cortisol", "brain.tryptophan", "brain.tyrosine", "brain.serotonin.extracellular",
    "brain.dopamine.extracellular", "brain.norepinephrine.extracellular", "brain.gaba",
    "brain.5hiaa", "brain.hva", "synthesis.serotonin", "synthesis.dopamine",
)
QUANTITY_TEMPLATES: tuple[str, ...] = (
    "plasma.<name>", "occupancy.<target>", "activity.<enzyme>",
    "receptor.<name>.sensitivity", "receptor.<name>.density", "firing.<population>", "csf.<name>",
    "signalling.<receptor>",  # format 1 extension: receptor activation, e.g. signalling.GABAA
)
REGIONS: tuple[str, ...] = ("raphe", "cortex", "hippocampus", "striatum", "prefrontal")
DEFAULT_NUTRITION_NAMES: frozenset[str] = frozenset({
    "meal", "tryptophan_depletion_drink", "tryptophan_loading_drink", "tryptophan", "5-htp",
    "tyrosine", "phenylalanine", "vitamin_b6", "phenylalanine_tyrosine_depletion_drink",
    "balanced_amino_acid_drink",
})
MEAL = "meal"
DRINKS = frozenset({"tryptophan_depletion_drink", "tryptophan_loading_drink",
                    "phenylalanine_tyrosine_depletion_drink", "balanced_amino_acid_drink"})
MACRONUTRIENTS = ("protein_g", "carbohydrate_g", "fat_g")

_NAME_CHARS = "[A-Za-z0-9_-]+"
_TEMPLATE_RES = tuple(
    re.compile(re.sub(r"<[a-z]+>", _NAME_CHARS, re.escape(t))) for t in QUANTITY_TEMPLATES
)
_ALLELE = r"\*\d+[A-Za-z]?(?:\.\d+)?(?:[xX](?:\d+|N))?"
_DIPLOTYPE_RE = re.compile(rf"{_ALLELE}/{_ALLELE}")
_PHENOTYPE_RE = re.compile(r"(?:poor|intermediate|normal|rapid|ultrarapid)(?: metabolizer)?", re.I)
_GENE_RE = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*")

_TIME_HINT = "a time is a number of hours from the start of the protocol, from 0 to 87600 (10 years), e.g. 24"
_DOSE_HINT = "a dose must be a positive number of milligrams (e.g. 20), at most 200000 (200 g)"
_EVERY_HINT = "the interval between doses is a positive number of hours, e.g. 24; omit it for one dose"
_COUNT_HINT = "count is the number of doses, a whole number from 1 to 100000, e.g. 28; omit it for one dose"
_ROUTE_HINT = "the route is one of oral, iv, ip"
_GRAMS_HINT = "grams of the nutrient, a number from 0 to 200, e.g. 30"


# --- value formatting and custom errors -------------------------------------------------------

def _fmt(value: Any) -> str:
    """Show a value the way it would be written in the file."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))  # validated values are floats; show 3, as the file most likely wrote it
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _did_you_mean(word: str, choices: Collection[str]) -> str:
    match = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {match[0]!r}?)" if match else ""


def _fail(problems: list[tuple[tuple[Any, ...], str]]) -> PydanticCustomError:
    """An error that carries finished messages; `problems` holds (loc below the field, message)."""
    summary = "; ".join(f"{'.'.join(map(str, loc))}: {msg}" if loc else msg for loc, msg in problems)
    return PydanticCustomError("protocol", "{summary}", {"summary": summary, "problems": problems})


def _time_problem(value: Any) -> str | None:
    ok = (isinstance(value, (int, float)) and not isinstance(value, bool)
          and math.isfinite(value) and 0 <= value <= MAX_TIME_H)
    return None if ok else f"{_fmt(value)} is not allowed: {_TIME_HINT}"


def _check_gene(name: str) -> str:
    if not _GENE_RE.fullmatch(name):
        raise _fail([((), f"key {_fmt(name)} is not allowed: genotype keys are gene names "
                          "(letters, digits, '-'), e.g. CYP2D6")])
    return name


def _check_genotype(value: str) -> str:
    if not (_DIPLOTYPE_RE.fullmatch(value) or _PHENOTYPE_RE.fullmatch(value)):
        raise _fail([((), f"{_fmt(value)} is not allowed: a genotype is a star-allele diplotype such as "
                          '"*1/*2" (quote it in YAML) or a phenotype: poor, intermediate, normal, rapid, '
                          "ultrarapid (optionally followed by ' metabolizer')")])
    return value


def _check_modification_name(name: str) -> str:
    if not re.fullmatch(_NAME_CHARS, name):
        raise _fail([((), f"key {_fmt(name)} is not allowed: a modification names a protein or neuron "
                          "population (letters, digits, '-', '_'), e.g. DAT or dopamine_neurons")])
    return name


def _none_as_empty(value: Any, empty: Any) -> Any:
    # `subject:` with every key commented out loads as null; it means "all defaults"
    return empty if value is None else value


# --- field types --------------------------------------------------------------------------------

Time = Annotated[float, Field(strict=True, ge=0, le=MAX_TIME_H)]
Hours = Annotated[float, Field(strict=True, gt=0, le=MAX_TIME_H)]
DoseMg = Annotated[float, Field(strict=True, gt=0, le=MAX_DOSE_MG)]
Grams = Annotated[float, Field(strict=True, ge=0, le=MAX_NUTRIENT_G)]
Fold = Annotated[float, Field(strict=True, gt=0, le=MAX_FOLD)]
Count = Annotated[int, Field(strict=True, ge=1, le=MAX_COUNT)]
Name = Annotated[str, Field(strict=True, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.+-]*$")]
Route = Literal["oral", "iv", "ip"]
GeneName = Annotated[StrictStr, AfterValidator(_check_gene)]
Genotype = Annotated[StrictStr, AfterValidator(_check_genotype)]
ModificationName = Annotated[StrictStr, AfterValidator(_check_modification_name)]
Multiplier = Annotated[float, Field(strict=True, ge=0, le=100)]


def _schedule(start_h: float, every_h: float | None, count: int) -> tuple[float, ...]:
    if every_h is None:
        return (start_h,)
    return tuple(start_h + i * every_h for i in range(count))


def _schedule_problems(start_h: float, every_h: float | None, count: int) -> Iterator[tuple[str | None, str]]:
    if count > 1 and every_h is None:
        yield "count", (f"{count} is not allowed without every_h: repeated doses need every_h, the interval "
                        "in hours (e.g. every_h: 24); omit count for one dose")
    elif every_h is not None and start_h + (count - 1) * every_h > MAX_TIME_H:
        last = start_h + (count - 1) * every_h
        yield "count", (f"{count} is not allowed: the last dose would be at {last:g} h, after 87600 h "
                        "(10 years); lower count or every_h")


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    def _cross_problems(self) -> Iterator[tuple[str | None, str]]:
        """Checks that involve several fields: (field or None for the whole mapping, message)."""
        return iter(())

    @model_validator(mode="after")
    def _check_cross(self) -> _Model:
        problems = [((field,) if field else (), msg) for field, msg in self._cross_problems()]
        if problems:
            raise _fail(problems)
        return self


# --- subject ------------------------------------------------------------------------------------

class SubjectSpec(_Model):
    sex: Literal["male", "female"] = Field("male", description="sex is male or female")
    age_years: float = Field(35.0, strict=True, ge=0, le=120,
                             description="age in years, a number from 0 to 120, e.g. 35")
    weight_kg: float = Field(75.0, strict=True, ge=2, le=400,
                             description="body weight in kg, a number from 2 to 400, e.g. 75")
    genotypes: dict[GeneName, Genotype] = Field(
        default_factory=dict,
        description='a mapping of gene name to genotype, e.g. {CYP2D6: normal, CYP2C19: "*2/*2"}')
    modifications: dict[ModificationName, Multiplier] = Field(
        default_factory=dict,
        description="a mapping of protein or neuron population to a multiplier from 0 to 100 "
                    "(1 = typical), e.g. {DAT: 0.5}")

    cycle_day: float | None = Field(
        None, strict=True, ge=1, le=35,
        description="cycle_day is the day of the menstrual cycle at t = 0, a number from 1 (first day of "
                    "menstruation) to 35, e.g. 14; female subjects only")
    reproductive_stage: Literal["premenopausal", "postmenopausal", "postpartum"] | None = Field(
        None, description="reproductive_stage is premenopausal, postmenopausal or postpartum; female "
                          "subjects only")
    postpartum_day: float | None = Field(
        None, strict=True, ge=0, le=365,
        description="postpartum_day is the number of days since delivery at t = 0, a number from 0 to 365, "
                    "e.g. 3; with reproductive_stage postpartum only")

    @field_validator("genotypes", "modifications", mode="before")
    @classmethod
    def _null_is_empty(cls, value: Any) -> Any:
        return _none_as_empty(value, {})

    def _cross_problems(self) -> Iterator[tuple[str | None, str]]:
        for key in ("cycle_day", "reproductive_stage", "postpartum_day"):
            if self.sex != "female" and getattr(self, key) is not None:
                yield key, (f"{_fmt(getattr(self, key))} is not allowed: {key} applies to female subjects "
                            f"and sex is {self.sex}; write sex: female or remove {key}")
        if self.cycle_day is not None and self.reproductive_stage == "postmenopausal":
            yield "cycle_day", (f"{_fmt(self.cycle_day)} is not allowed: a postmenopausal subject has no "
                                "cycle; remove cycle_day or reproductive_stage")
        if self.cycle_day is not None and self.reproductive_stage == "postpartum":
            yield "cycle_day", (f"{_fmt(self.cycle_day)} is not allowed: the postpartum decline replaces the "
                                "cycle; remove cycle_day or reproductive_stage")
        if (self.postpartum_day is not None and self.sex == "female"
                and self.reproductive_stage != "postpartum"):
            yield "postpartum_day", (f"{_fmt(self.postpartum_day)} is not allowed: postpartum_day needs "
                                     "reproductive_stage: postpartum; add it or remove postpartum_day")


_CLOCK_PATTERN = r"(?:[01][0-9]|2[0-3]):[0-5][0-9]"


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
            yield "sleep", f"{_fmt(self.sleep)} is not allowed: the window starts and ends at the same time"


# --- interventions ------------------------------------------------------------------------------

class DrugIntervention(_Model):
    drug: Name = Field(description="a drug name from the drug library, e.g. citalopram")
    dose_mg: DoseMg = Field(description=_DOSE_HINT)
    route: Route = Field("oral", description=_ROUTE_HINT)
    every_h: Hours | None = Field(None, description=_EVERY_HINT)
    count: Count = Field(1, description=_COUNT_HINT)
    start_h: Time = Field(0.0, description=_TIME_HINT)
    infusion_h: Hours | None = Field(
        None, description="an infusion lasts a positive number of hours, e.g. 0.5; omit it for a bolus")
    # Format 1 extension: an oral product of the drug (absent = the library's default product).
    # Whether the drug has it is the runner's check (the library lists each drug's formulations).
    formulation: Name | None = Field(
        None, description="a formulation is an oral product of the drug in the library, e.g. SR or XL; "
                          "omit it for the default (immediate-release) product")

    @property
    def kind(self) -> str:
        return "drug"

    @property
    def dose_times_h(self) -> tuple[float, ...]:
        return _schedule(self.start_h, self.every_h, self.count)

    @property
    def times_h(self) -> tuple[float, ...]:
        return self.dose_times_h

    def _cross_problems(self) -> Iterator[tuple[str | None, str]]:
        if self.formulation is not None and self.route != "oral":
            yield "formulation", (f"{_fmt(self.formulation)} is not allowed with route {self.route}: a "
                                  "formulation is an oral product; write route: oral or remove formulation")
        if self.formulation is not None and self.infusion_h is not None:
            yield "formulation", (f"{_fmt(self.formulation)} is not allowed with infusion_h: an infusion is "
                                  "given IV; remove one of them")
        yield from _schedule_problems(self.start_h, self.every_h, self.count)


class NutritionIntervention(_Model):
    nutrition: StrictStr = Field(description="a name from the nutrition library, e.g. meal or tryptophan")
    at_h: Time = Field(0.0, description=_TIME_HINT)
    protein_g: Grams | None = Field(None, description=_GRAMS_HINT)
    carbohydrate_g: Grams | None = Field(None, description=_GRAMS_HINT)
    fat_g: Grams | None = Field(None, description=_GRAMS_HINT)
    dose_mg: DoseMg | None = Field(
        None, description="a supplement dose must be a positive number of milligrams (e.g. 1000), "
                          "at most 200000 (200 g)")
    every_h: Hours | None = Field(None, description=_EVERY_HINT)
    count: Count = Field(1, description=_COUNT_HINT)

    @field_validator("nutrition")
    @classmethod
    def _known_name(cls, name: str, info: ValidationInfo) -> str:
        names = (info.context or {}).get("nutrition_names")
        names = DEFAULT_NUTRITION_NAMES if names is None else names
        if name not in names:
            raise _fail([((), f"{_fmt(name)} is not a known nutrition name{_did_you_mean(name, names)}; "
                              f"allowed: {', '.join(sorted(names))}")])
        return name

    @property
    def kind(self) -> str:
        return "nutrition"

    @property
    def times_h(self) -> tuple[float, ...]:
        return _schedule(self.at_h, self.every_h, self.count)

    def _cross_problems(self) -> Iterator[tuple[str | None, str]]:
        given = {key: getattr(self, key) for key in MACRONUTRIENTS if getattr(self, key) is not None}
        if self.nutrition == MEAL:
            if not given:
                yield None, ("a meal needs at least one of protein_g, carbohydrate_g, fat_g "
                             "(grams, e.g. protein_g: 30)")
            if self.dose_mg is not None:
                yield "dose_mg", (f"{_fmt(self.dose_mg)} is not allowed: a meal is given in grams with "
                                  "protein_g, carbohydrate_g, fat_g; remove dose_mg")
        else:
            for key, grams in given.items():
                yield key, (f"{_fmt(grams)} is not allowed: {key} applies only to nutrition: meal; "
                            f"remove it")
            if self.nutrition in DRINKS and self.dose_mg is not None:
                yield "dose_mg", (f"{_fmt(self.dose_mg)} is not allowed: {self.nutrition} is a fixed "
                                  "preset; remove dose_mg")
            elif self.nutrition not in DRINKS and self.dose_mg is None:
                yield "dose_mg", ("required key is missing; a supplement needs dose_mg in milligrams, "
                                  "e.g. dose_mg: 1000")
        yield from _schedule_problems(self.at_h, self.every_h, self.count)


class ExerciseIntervention(_Model):
    exercise: Name = Field(description="an exercise type, e.g. endurance or resistance")
    start_h: Time = Field(description=_TIME_HINT)
    duration_h: Hours = Field(description="the duration is a positive number of hours, e.g. 1.5")
    intensity: float = Field(strict=True, gt=0, le=1,
                             description="intensity is a fraction of VO2max, above 0 and at most 1, e.g. 0.7")

    @property
    def kind(self) -> str:
        return "exercise"

    @property
    def times_h(self) -> tuple[float, ...]:
        return (self.start_h,)

    @property
    def end_h(self) -> float:
        return self.start_h + self.duration_h


class SleepIntervention(_Model):
    """`- sleep: night` or `- sleep_deprivation: total` in a file; the value is a free label."""

    kind: Literal["sleep", "sleep_deprivation"] = Field(description="sleep or sleep_deprivation")
    label: StrictStr | None = Field(None, description="a free label such as night or total, or nothing")
    start_h: Time = Field(description=_TIME_HINT)
    duration_h: Hours = Field(description="the duration is a positive number of hours, e.g. 8")

    @property
    def times_h(self) -> tuple[float, ...]:
        return (self.start_h,)

    @property
    def end_h(self) -> float:
        return self.start_h + self.duration_h


class HormoneIntervention(_Model):
    hormone: Name = Field(description="a hormone name, e.g. estradiol, progesterone or cortisol")
    start_h: Time = Field(0.0, description=_TIME_HINT)
    fold: Fold | None = Field(
        None, description="fold is the level relative to baseline, a positive number up to 1000, e.g. 0.5")
    dose_mg: DoseMg | None = Field(None, description=_DOSE_HINT)
    route: Route = Field("oral", description=_ROUTE_HINT)
    every_h: Hours | None = Field(None, description=_EVERY_HINT)
    count: Count = Field(1, description=_COUNT_HINT)

    @property
    def kind(self) -> str:
        return "hormone"

    @property
    def dose_times_h(self) -> tuple[float, ...]:
        return _schedule(self.start_h, self.every_h, self.count) if self.dose_mg is not None else ()

    @property
    def times_h(self) -> tuple[float, ...]:
        return self.dose_times_h if self.dose_mg is not None else (self.start_h,)

    def _cross_problems(self) -> Iterator[tuple[str | None, str]]:
        if (self.fold is None) == (self.dose_mg is None):
            which = "both fold and dose_mg" if self.fold is not None else "neither fold nor dose_mg"
            yield None, (f"{which} given; a hormone needs exactly one: fold (level relative to baseline, "
                         "e.g. fold: 0.5) or dose_mg (hormone therapy, e.g. dose_mg: 2)")
        elif self.fold is not None:
            for key in ("route", "every_h", "count"):
                if key in self.model_fields_set:
                    yield key, (f"{_fmt(getattr(self, key))} is not allowed: {key} applies only with "
                                "dose_mg; a fold is held from start_h; remove it")
        else:
            yield from _schedule_problems(self.start_h, self.every_h, self.count)


class InflammationIntervention(_Model):
    inflammation: Name = Field(description="an inflammatory stimulus, e.g. interferon_alpha")
    start_h: Time = Field(0.0, description=_TIME_HINT)
    fold: Fold = Field(description="fold is the cytokine drive relative to baseline, a positive number "
                                   "up to 1000, e.g. 5")
    duration_h: Hours | None = Field(
        None, description="the duration is a positive number of hours; omit it to hold the drive")

    @property
    def kind(self) -> str:
        return "inflammation"

    @property
    def times_h(self) -> tuple[float, ...]:
        return (self.start_h,)


Intervention = Union[
    DrugIntervention, NutritionIntervention, ExerciseIntervention, SleepIntervention,
    HormoneIntervention, InflammationIntervention,
]
INTERVENTION_KINDS: dict[str, type[BaseModel]] = {
    "drug": DrugIntervention, "nutrition": NutritionIntervention, "exercise": ExerciseIntervention,
    "sleep": SleepIntervention, "sleep_deprivation": SleepIntervention,
    "hormone": HormoneIntervention, "inflammation": InflammationIntervention,
}


# --- readouts and the protocol ------------------------------------------------------------------

# format 1 extension: with `model:` (an external SBML file) readouts name the file's ids as sbml.<id>
_SBML_QUANTITY_RE = re.compile(r"sbml\.[A-Za-z_][A-Za-z0-9_]*")


def is_known_quantity(quantity: str) -> bool:
    return (quantity in KNOWN_QUANTITIES or any(p.fullmatch(quantity) for p in _TEMPLATE_RES)
            or bool(_SBML_QUANTITY_RE.fullmatch(quantity)))


def _quantity_candidates(quantity: str) -> tuple[str, ...]:
    # also offer each template filled with the user's own name, so "ocupancy.SERT" finds "occupancy.SERT"
    tail = quantity.partition(".")[2].removesuffix(".sensitivity")
    if not re.fullmatch(_NAME_CHARS, tail):
        return KNOWN_QUANTITIES
    return KNOWN_QUANTITIES + tuple(re.sub(r"<[a-z]+>", lambda _: tail, t) for t in QUANTITY_TEMPLATES)


class ReadoutSpec(_Model):
    id: str = Field(strict=True, max_length=100, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
                    description="a readout id is an identifier (letters, digits, '_', not starting with "
                                "a digit), e.g. e5ht_cortex")
    quantity: StrictStr = Field(description="a quantity name from PROTOCOL.md, e.g. occupancy.SERT")
    region: StrictStr | None = Field(None, description=f"a region: {', '.join(REGIONS)}; or omit it")
    at_h: float | tuple[float, ...] = Field(
        description=f"{_TIME_HINT}, or a list of increasing times, e.g. [0, 4, 24]")
    relative_to: Literal["baseline"] | None = Field(
        None, description="relative_to is baseline or omitted")

    @field_validator("quantity")
    @classmethod
    def _known_quantity(cls, quantity: str) -> str:
        if not is_known_quantity(quantity):
            hint = _did_you_mean(quantity, _quantity_candidates(quantity))
            allowed = ", ".join(KNOWN_QUANTITIES + QUANTITY_TEMPLATES)
            raise _fail([((), f"{_fmt(quantity)} is not a known quantity{hint}; allowed: {allowed} "
                              f"(<...> = letters, digits, '-', '_'; see PROTOCOL.md)")])
        return quantity

    @field_validator("region")
    @classmethod
    def _known_region(cls, region: str | None) -> str | None:
        if region is not None and region not in REGIONS:
            raise _fail([((), f"{_fmt(region)} is not a known region{_did_you_mean(region, REGIONS)}; "
                              f"allowed: {', '.join(REGIONS)}; or omit region for the default")])
        return region

    @field_validator("at_h", mode="before")
    @classmethod
    def _times(cls, value: Any) -> Any:
        if not isinstance(value, (list, tuple)):
            problem = _time_problem(value)
            if problem:
                raise _fail([((), problem)])
            return float(value)
        if not value:
            raise _fail([((), "[] is not allowed: a list of readout times needs at least one time, "
                              "e.g. [0, 4, 24]")])
        problems = [((i,), p) for i, p in enumerate(map(_time_problem, value)) if p]
        if not problems:
            problems = [((i,), f"{_fmt(value[i])} is not allowed: a readout list out of order; times must "
                               f"be strictly increasing and it follows {_fmt(value[i - 1])}")
                        for i in range(1, len(value)) if value[i] <= value[i - 1]]
        if problems:
            raise _fail(problems)
        return tuple(float(v) for v in value)

    @property
    def times_h(self) -> tuple[float, ...]:
        return self.at_h if isinstance(self.at_h, tuple) else (self.at_h,)

    @property
    def is_list(self) -> bool:
        return isinstance(self.at_h, tuple)

    def _cross_problems(self) -> Iterator[tuple[str | None, str]]:
        if self.region is not None and self.quantity.startswith("plasma."):
            yield "region", f"{_fmt(self.region)} is not allowed: plasma quantities have no region; remove it"


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

    @field_validator("protocol")
    @classmethod
    def _version(cls, version: int) -> int:
        if version != 1:
            raise _fail([((), f"{version} is not allowed: only version 1 is supported; write protocol: 1")])
        return version

    @field_validator("subject", mode="before")
    @classmethod
    def _null_subject(cls, value: Any) -> Any:
        return _none_as_empty(value, {})

    @field_validator("readouts", mode="before")
    @classmethod
    def _not_empty(cls, value: Any) -> Any:
        # checked on the raw list: pydantic's min_length would also fire when every readout is invalid
        if isinstance(value, (list, tuple)) and not value:
            raise _fail([((), f"[] is not allowed: {cls.model_fields['readouts'].description}")])
        return value

    @field_validator("readouts")
    @classmethod
    def _unique_ids(cls, readouts: tuple[ReadoutSpec, ...]) -> tuple[ReadoutSpec, ...]:
        first: dict[str, int] = {}
        problems = []
        for i, readout in enumerate(readouts):
            if readout.id in first:
                problems.append(((i, "id"), f"{_fmt(readout.id)} is not allowed: readout ids must be unique "
                                            f"and readouts[{first[readout.id]}] already uses it; rename one"))
            first.setdefault(readout.id, i)
        if problems:
            raise _fail(problems)
        return readouts


# --- turning pydantic errors into messages ------------------------------------------------------

_NESTED: dict[tuple[type[BaseModel], str], type[BaseModel]] = {
    (Protocol, "subject"): SubjectSpec, (Protocol, "readouts"): ReadoutSpec,
    (Protocol, "circadian"): CircadianSpec,
}


def _path(loc: tuple[Any, ...]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif re.fullmatch(r"[^\s.\[\]'\"]+", str(part)):
            text += f"{'.' if text else ''}{part}"
        else:  # a key with spaces or dots would make the path ambiguous
            text += f"[{str(part)!r}]"
    return text or "(top level)"


def _locate(model: type[BaseModel], loc: tuple[Any, ...]) -> tuple[type[BaseModel], str | None]:
    """The model and field that `loc` ends in (the field is None when loc[-1] is not a field)."""
    owner, field = model, None
    for part in loc:
        if field is not None:
            nested = _NESTED.get((owner, field))
            if nested is None:
                break
            if isinstance(part, int):
                continue
            owner, field = nested, None
        if not (isinstance(part, str) and part in owner.model_fields):
            break
        field = part
    return owner, field


def _unknown_key(key: Any, allowed: list[str]) -> str:
    return f"unknown key; allowed keys: {', '.join(allowed)}{_did_you_mean(str(key), allowed)}"


def _describe(err: Any, loc: tuple[Any, ...], model: type[BaseModel], allowed: list[str] | None) -> str:
    owner, field = _locate(model, loc)
    if err["type"] == "extra_forbidden":
        keys = allowed if allowed is not None and owner is model else list(owner.model_fields)
        return _unknown_key(loc[-1], keys)
    hint = owner.model_fields[field].description if field else None
    reason = hint or err["msg"][:1].lower() + err["msg"][1:]
    if err["type"] == "missing":
        return f"required key is missing; {reason}"
    return f"{_fmt(err.get('input'))} is not allowed: {reason}"


def _messages(exc: ValidationError, model: type[BaseModel], prefix: tuple[Any, ...] = (),
              rename: dict[str, str] | None = None,
              allowed: list[str] | None = None) -> list[tuple[Any, str]]:
    """(top-level key, message) for each error in `exc`; `loc` is relative to `model`."""
    lines: list[tuple[Any, str]] = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        # pydantic marks a bad dict key with a trailing "[key]"; an unknown key may be named "[key]" too
        is_key = len(loc) >= 2 and loc[-1] == "[key]" and err["type"] != "extra_forbidden"
        loc = loc[:-1] if is_key else loc
        shown = prefix + ((rename.get(loc[0], loc[0]),) + loc[1:] if rename and loc else loc)
        # a problem with a key itself is reported at the mapping that holds it
        about_key = is_key or err["type"] == "invalid_key" or (
            err["type"] == "extra_forbidden" and not isinstance(loc[-1], str))
        where = shown[:-1] if about_key else shown
        if err["type"] == "protocol":
            found = [(_path(where + tuple(sub)), msg) for sub, msg in err["ctx"]["problems"]]
        elif about_key:
            found = [(_path(where), f"key {_fmt(loc[-1])} is not allowed: keys must be names (text)")]
        else:
            found = [(_path(shown), _describe(err, loc, model, allowed))]
        lines += [(shown[0] if shown else None, f"{path}: {msg}") for path, msg in found]
    return lines


# --- the parser ---------------------------------------------------------------------------------

def _parse_intervention(item: Any, index: int, names: Collection[str]) -> tuple[Any, list[str]]:
    prefix = ("interventions", index)
    where = _path(prefix)
    kinds = ", ".join(INTERVENTION_KINDS)
    if not isinstance(item, Mapping):
        return None, [f"{where}: {_fmt(item)} is not allowed: an intervention is a mapping with exactly "
                      f"one kind key ({kinds}), e.g. {{drug: citalopram, dose_mg: 20}}"]
    present = [kind for kind in INTERVENTION_KINDS if kind in item]
    if len(present) != 1:
        found = f"{len(present)} kinds ({', '.join(present)})" if present else "no kind"
        return None, [f"{where}: {found} in one intervention; each intervention needs exactly one of the "
                      f"keys {kinds} (write separate interventions as separate list items)"]
    kind = present[0]
    cls = INTERVENTION_KINDS[kind]
    data, lines = dict(item), []
    rename = allowed = None
    if cls is SleepIntervention:
        # the file writes the kind as the key (`sleep: night`); the model keeps kind and label apart
        allowed = [kind, "start_h", "duration_h"]
        rename = {"kind": kind, "label": kind}
        for clash in ("kind", "label"):
            if clash in data:
                lines.append(f"{where}.{clash}: {_unknown_key(clash, allowed)}")
                del data[clash]
        data = {"kind": kind, "label": data.pop(kind), **data}
    try:
        model = cls.model_validate(data, context={"nutrition_names": names})
    except ValidationError as exc:
        return None, lines + [line for _, line in _messages(exc, cls, prefix, rename, allowed)]
    return (None if lines else model), lines


def parse_protocol(data: Any, *, nutrition_names: Collection[str] | None = None,
                   source: str = "<protocol>") -> Protocol:
    """Validate an already-loaded protocol mapping; raise ProtocolError listing every problem."""
    top_keys = list(Protocol.model_fields)
    if not isinstance(data, Mapping):
        raise _protocol_error(source, [f"{_fmt(data)} is not allowed: a protocol is a mapping with the "
                                       f"keys {', '.join(top_keys)} (see PROTOCOL.md)"])
    names = DEFAULT_NUTRITION_NAMES if nutrition_names is None else frozenset(nutrition_names)
    raw = dict(data)
    problems: list[tuple[Any, str]] = []
    items = _none_as_empty(raw.get("interventions"), [])
    if isinstance(items, (list, tuple)):
        parsed = []
        for i, item in enumerate(items):
            model, lines = _parse_intervention(item, i, names)
            problems += [("interventions", line) for line in lines]
            parsed += [model] if model is not None else []
        raw["interventions"] = tuple(parsed)
    else:
        problems.append(("interventions", f"interventions: {_fmt(items)} is not allowed: "
                                          f"{Protocol.model_fields['interventions'].description}"))
        raw["interventions"] = ()
    try:
        protocol = Protocol.model_validate(raw)
    except ValidationError as exc:
        problems += _messages(exc, Protocol)
    if problems:
        # report in the order of the file format, whatever order the checks ran in
        rank = {key: i for i, key in enumerate(top_keys)}
        lines = [line for _, line in sorted(problems, key=lambda p: rank.get(p[0], len(rank)))]
        raise _protocol_error(source, lines)
    return protocol


def _protocol_error(source: str, lines: list[str]) -> ProtocolError:
    if len(lines) == 1:
        error = ProtocolError(f"{source}: {lines[0]}")
    else:
        error = ProtocolError(f"{source}: {len(lines)} problems:\n" + "\n".join(f"  {line}" for line in lines))
    error.problems = lines  # type: ignore[attr-defined]  # for callers that show problems one by one
    return error


# --- files --------------------------------------------------------------------------------------

class _YamlLoader(yaml.SafeLoader):
    """YAML 1.2 scalars and no duplicate keys.

    PyYAML follows YAML 1.1, where `clock_start: 12:30` loads as 750, `id: no` as false, `1e3` as a string
    and `010` as 8. A protocol means what it looks like, so only true/false, decimal ints and plain
    floats are typed; everything else stays a string.
    """

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen = set()
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag != "tag:yaml.org,2002:merge":
                if (key_node.tag, key_node.value) in seen:
                    raise yaml.constructor.ConstructorError(
                        "while constructing a mapping", node.start_mark,
                        f"found duplicate key {key_node.value!r}; each key may appear once, remove one",
                        key_node.start_mark)
                seen.add((key_node.tag, key_node.value))
        return super().construct_mapping(node, deep=deep)


_YAML_11_TAGS = {f"tag:yaml.org,2002:{t}" for t in ("bool", "int", "float", "timestamp")}
_YamlLoader.yaml_implicit_resolvers = {
    first: [(tag, regex) for tag, regex in resolvers if tag not in _YAML_11_TAGS]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_YamlLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
_YamlLoader.add_implicit_resolver("tag:yaml.org,2002:int", re.compile(r"^[-+]?[0-9]+$"), list("-+0123456789"))
_YamlLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)"
               r"|\.(?:nan|NaN|NAN))$"),
    list("-+.0123456789"))
_YamlLoader.add_constructor("tag:yaml.org,2002:int", lambda loader, node: int(loader.construct_scalar(node)))


def _read_yaml(text: str, source: str) -> Any:
    try:
        return yaml.load(text, Loader=_YamlLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        hint = ""
        if "alias" in f"{problem} {getattr(exc, 'context', '')}":
            hint = '; a value starting with * must be quoted, e.g. CYP2C19: "*2/*2"'
        raise _protocol_error(source, [f"not valid YAML: {where}{problem}{hint}"]) from exc
    except (ValueError, TypeError, AttributeError, KeyError, RecursionError) as exc:
        # PyYAML's constructors fail this way on explicit tags such as `!!int abc`, or on deep nesting
        raise _protocol_error(source, [f"not valid YAML: cannot read a value ({type(exc).__name__}: {exc}); "
                                       "write plain numbers and text without !! tags"]) from exc


def _read_json(text: str, source: str) -> Any:
    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        keys = [key for key, _ in pairs]
        for key in keys:
            if keys.count(key) > 1:
                raise _protocol_error(source, [f"not valid JSON: duplicate key {key!r}; each key may "
                                               "appear once, remove one"])
        return dict(pairs)

    try:
        return json.loads(text, object_pairs_hook=no_duplicates)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        raise _protocol_error(source, [f"not valid JSON: {where}: {exc.msg}"]) from exc
    except RecursionError as exc:
        raise _protocol_error(source, ["not valid JSON: nested too deeply"]) from exc


def load_protocol(path: str | Path, *, nutrition_names: Collection[str] | None = None) -> Protocol:
    """Read a protocol file (JSON for a .json suffix, YAML otherwise) and parse it."""
    path = Path(path)
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise _protocol_error(source, ["protocol file not found; check the path"]) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise _protocol_error(source, [f"cannot read the protocol file: {exc}"]) from exc
    data = _read_json(text, source) if path.suffix.lower() == ".json" else _read_yaml(text, source)
    if data is None:
        raise _protocol_error(source, ["the file is empty; a protocol is a mapping with the keys "
                                       f"{', '.join(Protocol.model_fields)} (see PROTOCOL.md)"])
    protocol = parse_protocol(data, nutrition_names=nutrition_names, source=source)
    if protocol.model is not None and not Path(protocol.model).is_absolute():
        protocol = protocol.model_copy(update={"model": str(path.parent / protocol.model)})
    return protocol
