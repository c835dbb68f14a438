"""Cohort files (format version 1, docs/cohorts.md): the models and the parser.

A cohort file names a virtual population (size, seed, covariate distributions, phenotype frequencies,
parameter variability) and a virtual trial on it (arms of interventions exactly as in a protocol,
endpoints exactly as a protocol's readouts, a responder definition). The interventions and readouts are
the protocol schema's own models, so a protocol's rules hold here unchanged; every invalid file becomes
one `CohortError` listing every problem as `key.path: value is not allowed: what is allowed`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, Union

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    StrictStr,
    Tag,
    ValidationError,
    field_validator,
    model_validator,
)

from .. import subject as person
from ..errors import CohortError, DataError, ProtocolError
from ..protocol._files import read_json, read_yaml
from ..protocol._messages import Nested, fail, fmt, messages
from ..protocol.schema import INTERVENTION_KINDS, Intervention, Protocol, ReadoutSpec
from . import frequencies

MAX_SIZE = 1_000_000
MAX_VARIABILITY_SCALE = 3.0
_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.+-]*$"


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    def _cross_problems(self) -> Iterator[tuple[str | None, str]]:
        return iter(())

    @model_validator(mode="after")
    def _check_cross(self):
        problems = [((key,) if key else (), msg) for key, msg in self._cross_problems()]
        if problems:
            raise fail(problems)
        return self


# --- covariate distributions --------------------------------------------------------------------

_BOUNDS_HINT = "a bound of the distribution (truncation), a number; omit it for the subject's range"


class _Distribution(_Model):
    low: float | None = Field(None, strict=True, description=_BOUNDS_HINT)
    high: float | None = Field(None, strict=True, description=_BOUNDS_HINT)


class Fixed(_Model):
    """Every member has `value`."""

    distribution: Literal["fixed"] = "fixed"
    value: float = Field(strict=True, description="the value every member has, a number, e.g. 35")

    def support(self, lo: float, hi: float) -> tuple[float, float]:
        return self.value, self.value


class Uniform(_Model):
    distribution: Literal["uniform"]
    low: float = Field(strict=True, description="the lower end, a number, e.g. 18")
    high: float = Field(strict=True, description="the upper end, a number above low, e.g. 65")

    def support(self, lo: float, hi: float) -> tuple[float, float]:
        return self.low, self.high


class Normal(_Distribution):
    """N(mean, sd^2) truncated to [low, high] (default: the subject's range)."""

    distribution: Literal["normal"]
    mean: float = Field(strict=True, description="the mean, a number, e.g. 40")
    sd: float = Field(strict=True, gt=0, description="the standard deviation, a positive number, e.g. 12")

    def support(self, lo: float, hi: float) -> tuple[float, float]:
        return (lo if self.low is None else self.low), (hi if self.high is None else self.high)


class LogNormal(_Distribution):
    """Log-normal with `median` and geometric coefficient of variation `cv`, truncated to [low, high]."""

    distribution: Literal["lognormal"]
    median: float = Field(strict=True, gt=0, description="the median, a positive number, e.g. 75")
    cv: float = Field(strict=True, gt=0, le=3, description="the coefficient of variation, above 0 and at most 3, "
                                                           "e.g. 0.2")

    def support(self, lo: float, hi: float) -> tuple[float, float]:
        return (max(lo, 0.0) if self.low is None else self.low), (hi if self.high is None else self.high)


DISTRIBUTIONS = {"fixed": Fixed, "uniform": Uniform, "normal": Normal, "lognormal": LogNormal}


def _distribution_of(value: Any) -> Any:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return {"distribution": "fixed", "value": float(value)}  # a plain number: everyone has it
    if isinstance(value, Mapping) and value.get("distribution") not in DISTRIBUTIONS:
        raise fail([(("distribution",), f"{fmt(value.get('distribution'))} is not allowed: distribution is one "
                                        f"of {', '.join(DISTRIBUTIONS)}, e.g. {{distribution: normal, mean: 40, "
                                        "sd: 12}; or write a plain number")])
    return value


def _tag(value: Any) -> str | None:
    if isinstance(value, BaseModel):
        return value.distribution  # type: ignore[attr-defined]
    return value.get("distribution") if isinstance(value, Mapping) else None


Distribution = Annotated[
    Union[tuple(Annotated[cls, Tag(name)] for name, cls in DISTRIBUTIONS.items())],  # type: ignore[misc]
    Discriminator(_tag),
    BeforeValidator(_distribution_of),
]


# --- population ---------------------------------------------------------------------------------

GeneFrequencies = Union[StrictStr, dict[StrictStr, Annotated[float, Field(strict=True, ge=0, le=1)]]]


class PopulationSpec(_Model):
    female_fraction: float = Field(0.5, strict=True, ge=0, le=1,
                                   description="the fraction of female members, a number from 0 to 1, e.g. 0.5")
    age_years: Distribution = Field(  # type: ignore[valid-type]
        default_factory=lambda: Fixed(value=35.0),
        description="age in years: a number or a distribution (fixed, uniform, normal, lognormal), e.g. "
                    "{distribution: uniform, low: 18, high: 65}")
    weight_kg: Distribution = Field(  # type: ignore[valid-type]
        default_factory=lambda: Fixed(value=75.0),
        description="body weight in kg: a number or a distribution (fixed, uniform, normal, lognormal), e.g. "
                    "{distribution: lognormal, median: 75, cv: 0.2}")
    genotypes: dict[StrictStr, GeneFrequencies] = Field(
        default_factory=dict,
        description="a mapping of gene to a population group with shipped frequencies (e.g. CYP2C19: european) "
                    "or to phenotype frequencies (e.g. CYP2D6: {poor: 0.07, intermediate: 0.1, normal: 0.83})")

    @field_validator("genotypes", mode="before")
    @classmethod
    def _null_is_empty(cls, value: Any) -> Any:
        return {} if value is None else value

    def _cross_problems(self) -> Iterator[tuple[str | None, str]]:
        for key in ("age_years", "weight_kg"):
            lo, hi = person.RANGES[key]
            dist = getattr(self, key)
            a, b = dist.support(lo, hi)
            if not (lo <= a <= hi and lo <= b <= hi):
                yield key, (f"{fmt(a)}-{fmt(b)} is not allowed: the values must lie within the subject's range "
                            f"{lo:g}-{hi:g}; give low and high within it")
            elif a > b or (a == b and not isinstance(dist, Fixed)):
                yield key, f"{fmt(a)}-{fmt(b)} is not allowed: low must be below high"
        yield from _genotype_problems(self.genotypes)

    def gene_frequencies(self) -> dict[str, dict[str, float]]:
        """Gene -> phenotype word -> frequency (normalised), in the file's gene order."""
        out = {}
        for gene, given in self.genotypes.items():
            if isinstance(given, str):
                out[gene] = frequencies.phenotype_frequencies(gene, given)
            else:
                total = sum(given.values())
                out[gene] = {word: value / total for word, value in given.items()}
        return out


FREQUENCY_SUM_TOLERANCE = 1e-3  # phenotype frequencies written by hand must sum to 1 within this


def _genotype_problems(genotypes: Mapping[str, Any]) -> Iterator[tuple[str | None, str]]:
    from ..pharmacology.pgx import phenotype, supported_genes

    genes = supported_genes()
    for gene, given in genotypes.items():
        if gene not in genes:
            yield "genotypes", f"key {fmt(gene)} is not allowed: genes with phenotypes: {', '.join(genes)}"
            continue
        if isinstance(given, str):
            groups = [g for g in frequencies.groups() if gene in frequencies.genes_of(g)]
            if given not in groups:
                yield "genotypes", (f"{gene}: {fmt(given)} is not allowed: groups with shipped {gene} frequencies: "
                                    f"{', '.join(groups)}; or give phenotype frequencies")
            continue
        for word in given:
            try:
                if phenotype(gene, word).phenotype != word:
                    raise DataError("not a plain word")
            except DataError:
                yield "genotypes", (f"{gene}.{word}: key {fmt(word)} is not allowed: phenotype words are poor, "
                                    "intermediate, normal, rapid, ultrarapid (the ones CPIC has for the gene)")
        total = sum(given.values())
        if abs(total - 1.0) > FREQUENCY_SUM_TOLERANCE:
            yield "genotypes", (f"{gene}: frequencies summing to {total:g} are not allowed: they must sum to 1 "
                                f"(within {FREQUENCY_SUM_TOLERANCE:g})")


class VariabilitySpec(_Model):
    priors: bool = Field(True, strict=True,
                         description="priors is true (the model's population priors, docs/assessment.md) or false")
    scale: float = Field(1.0, strict=True, ge=0, le=MAX_VARIABILITY_SCALE,
                         description=f"scale multiplies every prior's log-scale sd, a number from 0 to "
                                     f"{MAX_VARIABILITY_SCALE:g}, e.g. 1")


class SolverSpec(_Model):
    rtol: float = Field(1e-6, strict=True, gt=0, le=1e-2,
                        description="the relative tolerance, above 0 and at most 0.01, e.g. 1e-6")
    atol: float = Field(1e-8, strict=True, gt=0, le=1e-2,
                        description="the absolute tolerance relative to each state's baseline, e.g. 1e-8")


class ArmSpec(_Model):
    name: str = Field(strict=True, max_length=100, pattern=_NAME_PATTERN,
                      description="an arm name (letters, digits, '_', '-', '.', '+'), e.g. placebo")
    interventions: tuple[Intervention, ...] = Field(  # type: ignore[valid-type]
        (), description="a list of interventions as in a protocol, e.g. [{drug: citalopram, dose_mg: 20}]")

    @field_validator("interventions", mode="before")
    @classmethod
    def _null_is_empty(cls, value: Any) -> Any:
        return () if value is None else value

    def protocol(self, endpoints: tuple[ReadoutSpec, ...]) -> Protocol:
        """The arm as a protocol (its interventions and the cohort's endpoints)."""
        return Protocol(protocol=1, name=self.name, interventions=self.interventions, readouts=endpoints)


MEASURES = ("value", "change_from_baseline", "percent_change_from_baseline", "ratio_to_baseline")
COMPARISONS = (">=", ">", "<=", "<")


class ResponderSpec(_Model):
    endpoint: str = Field(strict=True, description="the id of an endpoint, e.g. e5ht")
    at_h: float | None = Field(None, strict=True, ge=0,
                               description="one of the endpoint's times; omit it for the endpoint's last time")
    measure: Literal[MEASURES] = Field(  # type: ignore[valid-type]
        "value", description=f"measure is one of {', '.join(MEASURES)}")
    comparison: Literal[COMPARISONS] = Field(  # type: ignore[valid-type]
        description=f"comparison is one of {', '.join(COMPARISONS)} (quote it in YAML, e.g. '>=')")
    threshold: float = Field(strict=True, description="the threshold, a number, e.g. 0.5")


class Cohort(_Model):
    cohort: int = Field(strict=True, description="the format version; write cohort: 1")
    name: str = Field(strict=True, min_length=1, max_length=200,
                      description="a non-empty name for the cohort, e.g. citalopram-vs-placebo")
    size: int = Field(strict=True, ge=1, le=MAX_SIZE,
                      description=f"the number of members, a whole number from 1 to {MAX_SIZE}, e.g. 1000")
    seed: int = Field(strict=True, ge=0, le=2 ** 63 - 1,
                      description="the random seed, a whole number from 0, e.g. 42 (the same seed gives the "
                                  "same members)")
    population: PopulationSpec = Field(
        default_factory=PopulationSpec,
        description="the population, a mapping with the optional keys " + ", ".join(PopulationSpec.model_fields))
    variability: VariabilitySpec = Field(
        default_factory=VariabilitySpec,
        description="parameter variability, a mapping with the optional keys priors (true/false) and scale")
    arms: tuple[ArmSpec, ...] = Field(
        description="a non-empty list of arms, each a mapping with name and interventions, e.g. "
                    "[{name: placebo, interventions: []}]")
    endpoints: tuple[ReadoutSpec, ...] = Field(
        description="a non-empty list of endpoints, each a protocol readout (id, quantity, at_h, ...), e.g. "
                    "[{id: sert, quantity: occupancy.SERT, at_h: 672}]")
    responder: ResponderSpec | None = Field(
        None, description="the responder definition, a mapping with endpoint, measure, comparison and "
                          "threshold; omit it for none")
    solver: SolverSpec = Field(default_factory=SolverSpec,
                               description="integrator settings, a mapping with the optional keys rtol, atol")

    @field_validator("cohort")
    @classmethod
    def _version(cls, version: int) -> int:
        if version != 1:
            raise fail([((), f"{version} is not allowed: only version 1 is supported; write cohort: 1")])
        return version

    @field_validator("arms", "endpoints", mode="before")
    @classmethod
    def _not_empty(cls, value: Any, info) -> Any:
        if isinstance(value, (list, tuple)) and not value:
            raise fail([((), f"[] is not allowed: {cls.model_fields[info.field_name].description}")])
        return value

    @field_validator("arms", "endpoints")
    @classmethod
    def _unique(cls, items: tuple, info) -> tuple:
        key = "name" if info.field_name == "arms" else "id"
        first: dict[str, int] = {}
        problems = []
        for i, item in enumerate(items):
            value = getattr(item, key)
            if value in first:
                problems.append(((i, key), f"{fmt(value)} is not allowed: {key}s must be unique and "
                                           f"{info.field_name}[{first[value]}] already uses it; rename one"))
            first.setdefault(value, i)
        if problems:
            raise fail(problems)
        return items

    def _cross_problems(self) -> Iterator[tuple[str | None, str]]:
        if self.responder is None:
            return
        ids = {e.id: e for e in self.endpoints}
        endpoint = ids.get(self.responder.endpoint)
        if endpoint is None:
            yield "responder", (f"endpoint: {fmt(self.responder.endpoint)} is not allowed: give the id of an "
                                f"endpoint ({', '.join(ids)})")
        elif self.responder.at_h is not None and self.responder.at_h not in endpoint.times_h:
            yield "responder", (f"at_h: {fmt(self.responder.at_h)} is not allowed: it must be one of the times of "
                                f"endpoint {endpoint.id} ({', '.join(fmt(t) for t in endpoint.times_h)})")

    @property
    def horizon_h(self) -> float:
        return max(t for e in self.endpoints for t in e.times_h)

    @property
    def responder_time_h(self) -> float | None:
        if self.responder is None:
            return None
        endpoint = next(e for e in self.endpoints if e.id == self.responder.endpoint)
        return endpoint.times_h[-1] if self.responder.at_h is None else self.responder.at_h


_NESTED: Nested = {
    (Cohort, "population"): PopulationSpec, (Cohort, "variability"): VariabilitySpec,
    (Cohort, "arms"): ArmSpec, (ArmSpec, "interventions"): INTERVENTION_KINDS,
    (Cohort, "endpoints"): ReadoutSpec, (Cohort, "responder"): ResponderSpec, (Cohort, "solver"): SolverSpec,
    (PopulationSpec, "age_years"): DISTRIBUTIONS, (PopulationSpec, "weight_kg"): DISTRIBUTIONS,
}


def cohort_error(source: str, lines: list[str]) -> CohortError:
    """One error for every problem of the file `source`, one per line."""
    if len(lines) == 1:
        error = CohortError(f"{source}: {lines[0]}")
    else:
        error = CohortError(f"{source}: {len(lines)} problems:\n" + "\n".join(f"  {line}" for line in lines))
    error.problems = lines  # type: ignore[attr-defined]
    return error


def parse_cohort(data: Any, *, source: str = "<cohort>") -> Cohort:
    """Validate an already-loaded cohort mapping; raise CohortError listing every problem."""
    top_keys = list(Cohort.model_fields)
    if not isinstance(data, Mapping):
        raise cohort_error(source, [f"{fmt(data)} is not allowed: a cohort is a mapping with the keys "
                                    f"{', '.join(top_keys)} (see docs/cohorts.md)"])
    try:
        return Cohort.model_validate(dict(data))
    except ValidationError as exc:
        rank = {key: i for i, key in enumerate(top_keys)}
        problems = sorted(messages(exc, Cohort, _NESTED), key=lambda p: rank.get(p[0], len(rank)))
        raise cohort_error(source, [line for _, line in problems]) from None


def load_cohort(path: str | Path) -> Cohort:
    """Read a cohort file (JSON for a .json suffix, YAML otherwise) and parse it."""
    path = Path(path)
    source = str(path)
    from .. import textfiles

    try:  # the shared reader: a size cap, and a non-UTF-8 byte named by line and column
        text = textfiles.read_text(path, "cohort file")
    except FileNotFoundError:
        raise cohort_error(source, ["cohort file not found; check the path"]) from None
    except textfiles.TextFileError as exc:
        raise cohort_error(source, [str(exc)]) from None
    try:
        data = read_json(text, source) if path.suffix.lower() == ".json" else read_yaml(text, source)
    except ProtocolError as exc:  # the reader's words, as a cohort error
        raise cohort_error(source, [str(exc).removeprefix(f"{source}: ")]) from None
    if data is None:
        raise cohort_error(source, ["the file is empty; a cohort is a mapping with the keys "
                                    f"{', '.join(Cohort.model_fields)} (see docs/cohorts.md)"])
    return parse_cohort(data, source=source)
