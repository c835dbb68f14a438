"""The drug library: one YAML file per drug or active metabolite, every number with its source.

Schema (see data/drugs/escitalopram.yaml for a complete example). A number is written as
`{value: 1.2, source: key, basis: measured, note: "..."}`; `source` is a key of
`data/references.yaml` (or of the model's references), or `assumed`/`fitted` with a note giving the
reason. `basis` says how the number was obtained (the vocabulary of model/network.py `Basis`, docs/
validation.md); a fitted or derived number names what it was fitted to or derived from:
`fitted_to: {sources: [meyer2001], data: "77% SERT occupancy at 20 mg/d"}`.
"""

from __future__ import annotations

import difflib
import re
from functools import lru_cache
from importlib import resources
from typing import Literal, Optional

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..errors import DataError, ProtocolError
from ..model.network import BASES, FITTED_BASES, Basis

# HSD11B1 (11beta-hydroxysteroid dehydrogenase 1) and carbonyl_reductase (other carbonyl reductases,
# e.g. AKR7): the carbonyl reduction of bupropion to threo-/erythrohydrobupropion. Like the other
# non-CYP enzymes they have activity 1 (no phenotype, no inhibitors in the library).
Enzyme = Literal["CYP2D6", "CYP2C19", "CYP2B6", "CYP3A4", "CYP1A2", "CYP2C9", "UGT", "NAT2", "renal",
                 "AADC", "COMT", "MAO", "HSD11B1", "carbonyl_reductase", "other"]
TargetName = Literal["SERT", "DAT", "NET", "D2", "5HT2A", "5HT1A", "MAO-A", "MAO-B", "GABA-T",
                     "GABAA-BZ", "AADC-peripheral", "COMT"]
Mode = Literal["reuptake_inhibitor", "antagonist", "agonist", "partial_agonist",
               "reversible_enzyme_inhibitor", "irreversible_enzyme_inhibitor",
               "positive_allosteric_modulator"]


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class FittedTo(_Strict):
    """The data a fitted or derived number reproduces: source keys and, in words, what was matched."""

    sources: tuple[str, ...] = Field(min_length=1)
    data: str = ""


class Cited(_Strict):
    """A number with its source (tables outside the drug files, e.g. pgx.yaml)."""

    value: float = Field(ge=0)
    source: str
    note: str = ""


class Provenance(_Strict):
    """How a number was obtained: `basis` (model/network.py `Basis`) and, for a fitted or derived
    number, `fitted_to`. The one rule for every data table with numbers (drug files, cyp_turnover,
    pgx.yaml, the assessment's observation table and PK variability)."""

    basis: Basis
    fitted_to: Optional[FittedTo] = None

    @model_validator(mode="after")
    def _fitted_names_its_data(self):
        if self.basis in FITTED_BASES and self.fitted_to is None:
            raise ValueError(f"a {self.basis} number needs fitted_to: {{sources: [key, ...], data: \"...\"}} "
                             "naming the data it was fitted to or derived from")
        if self.basis == "fitted" and self.fitted_to is not None and not self.fitted_to.data:
            raise ValueError("a fitted number needs fitted_to.data: the result it reproduces, in words")
        if self.basis not in FITTED_BASES and self.fitted_to is not None:
            raise ValueError(f"fitted_to is for fitted or derived numbers; this one is {self.basis}")
        return self


class Sourced(Cited, Provenance):
    """A number of the drug library: its source and its basis (how it was obtained)."""


class Absorption(_Strict):
    ka_per_h: Sourced
    lag_h: Optional[Sourced] = None
    bioavailability: Sourced
    # Hepatic first pass that follows the drug's own metabolic routes: `bioavailability` is then F
    # at full enzyme activity, and the extraction (1 - F) scales with the clearance-weighted activity
    # of the linear routes (well-stirred liver: F = F0 / (F0 + (1 - F0) act)), so phenotype and
    # inhibition (including the drug's own, see CypInhibition.own_route) raise F. Default: F fixed.
    first_pass_follows_clearance: bool = False


FORMULATION_NAME = r"^[A-Za-z][A-Za-z0-9_-]*$"


def drug_id(name: str) -> str:
    """A library name (drug, enzyme, target or formulation) as it appears in model identifiers:
    `drug_id("MAO-A") == "mao_a"`. Every place that builds or reads a drug's parameter and species
    names uses this one spelling rule."""
    return name.lower().replace("-", "_").replace(" ", "_")


class Formulation(Absorption):
    """A product with its own absorption (e.g. SR, XL, XR, CR); disposition stays the drug's.

    `release_duration_h`: the dosage form releases the dose at a constant rate over this time into the
    gut, from which it is absorbed at `ka_per_h` (zero-order release, as for osmotic or matrix
    tablets); without it the dose enters the gut at once (first-order absorption only)."""

    release_duration_h: Optional[Sourced] = None
    reported_tmax_h: Optional[Sourced] = None
    description: str = ""


class Distribution(_Strict):
    compartments: Literal[1, 2] = 1
    volume_L: Sourced = Field(description="central volume for a 70 kg adult (apparent V/F is not used: F is separate)")
    peripheral_volume_L: Optional[Sourced] = None
    intercompartmental_clearance_L_per_h: Optional[Sourced] = None
    unbound_fraction: Sourced
    crosses_bbb: bool = True

    @model_validator(mode="after")
    def _two_compartment_needs_both(self):
        if self.compartments == 2 and (self.peripheral_volume_L is None
                                       or self.intercompartmental_clearance_L_per_h is None):
            raise ValueError("a 2-compartment drug needs peripheral_volume_L and "
                             "intercompartmental_clearance_L_per_h")
        return self


class Pathway(_Strict):
    """One elimination route: linear clearance or Michaelis-Menten (vmax + km)."""

    enzyme: Enzyme
    clearance_L_per_h: Optional[Sourced] = None
    vmax_mg_per_h: Optional[Sourced] = None
    km_ng_per_mL: Optional[Sourced] = None
    forms: Optional[str] = Field(None, description="active metabolite formed by this route (a drug file)")
    fraction_to_metabolite: float = Field(1.0, ge=0, le=1)

    @model_validator(mode="after")
    def _linear_or_saturable(self):
        linear = self.clearance_L_per_h is not None
        saturable = self.vmax_mg_per_h is not None and self.km_ng_per_mL is not None
        if linear == saturable:
            raise ValueError(f"pathway {self.enzyme}: give either clearance_L_per_h or "
                             "vmax_mg_per_h with km_ng_per_mL")
        return self


class Target(_Strict):
    """Binding to a target. `ec50_ng_per_mL` is the plasma concentration giving half of `emax`
    occupancy in vivo (PET); irreversible enzyme inhibitors give `kinact_per_h` and `ki_ng_per_mL`."""

    target: TargetName
    mode: Mode
    ec50_ng_per_mL: Optional[Sourced] = None
    emax: Optional[Sourced] = None
    kinact_per_h: Optional[Sourced] = None
    ki_ng_per_mL: Optional[Sourced] = None

    @model_validator(mode="after")
    def _has_potency(self):
        if self.mode == "irreversible_enzyme_inhibitor":
            if self.kinact_per_h is None or self.ki_ng_per_mL is None:
                raise ValueError(f"target {self.target}: an irreversible inhibitor needs kinact_per_h and ki_ng_per_mL")
        elif self.ec50_ng_per_mL is None:
            raise ValueError(f"target {self.target}: needs ec50_ng_per_mL")
        return self


class CypInhibition(_Strict):
    enzyme: Enzyme
    ki_ng_per_mL: Sourced = Field(description="total plasma concentration for half inhibition in vivo")
    # Competitive auto-inhibition: the Ki also lowers the drug's own route through this enzyme. Off
    # by default, because a saturable route's Km (e.g. fluoxetine's) already holds it.
    own_route: bool = False


CYP_ENZYMES = ("CYP2D6", "CYP2C19", "CYP2B6", "CYP3A4", "CYP1A2", "CYP2C9")


class CypInactivation(_Strict):
    """Time-dependent (mechanism-based) inactivation of a CYP: the drug destroys active enzyme at
    kinact L / (1 + L) per unit enzyme, L = C / KI with C the total plasma concentration, and the
    liver replaces it at the enzyme's own turnover rate (data/cyp_turnover.yaml). The loss builds up
    over the enzyme's half-life, so exposure rises over days of dosing (moclobemide, gram1995), and
    it applies to every route through the enzyme, the drug's own included."""

    enzyme: Enzyme
    kinact_per_h: Sourced = Field(description="maximal inactivation rate per unit active enzyme")
    ki_ng_per_mL: Sourced = Field(description="total plasma concentration giving half of kinact (KI)")

    @model_validator(mode="after")
    def _a_cyp_with_positive_constants(self):
        if self.enzyme not in CYP_ENZYMES:
            raise ValueError(f"cyp_inactivation of {self.enzyme}: only CYP enzymes carry an activity "
                             f"that drugs change; allowed: {', '.join(CYP_ENZYMES)}")
        for field in ("kinact_per_h", "ki_ng_per_mL"):
            if not getattr(self, field).value > 0:
                raise ValueError(f"cyp_inactivation of {self.enzyme}: {field} must be > 0 "
                                 "(leave the entry out for a drug that does not inactivate the enzyme)")
        return self


class GenotypeCeiling(_Strict):
    gene: str
    phenotype: Literal["poor", "intermediate", "normal", "rapid", "ultrarapid"]
    max_daily_mg: Sourced


class Covariate(_Strict):
    """A subject group whose total clearance differs (e.g. the label's elderly)."""

    min_age_years: Optional[float] = Field(None, ge=0)
    sex: Optional[Literal["male", "female"]] = None
    clearance_factor: Sourced

    def applies(self, age_years: float, sex: str) -> bool:
        return ((self.min_age_years is None or age_years >= self.min_age_years)
                and (self.sex is None or sex == self.sex))


class Drug(_Strict):
    name: str
    kind: Literal["parent", "metabolite"] = "parent"
    drug_class: str
    molar_mass_g_per_mol: Sourced
    label_max_daily_mg: Optional[Sourced] = None
    genotype_ceilings: tuple[GenotypeCeiling, ...] = ()
    absorption: Optional[Absorption] = None
    # Other products of the same drug, by name (SR, XL, ...); `absorption` is the default product,
    # named `default_formulation`. Protocols choose one with `formulation:`.
    formulations: dict[str, Formulation] = Field(default_factory=dict)
    default_formulation: str = Field("IR", pattern=FORMULATION_NAME,
                                     description="the product the `absorption` block describes")
    distribution: Distribution
    elimination: tuple[Pathway, ...]
    targets: tuple[Target, ...] = ()
    cyp_inhibition: tuple[CypInhibition, ...] = ()
    cyp_inactivation: tuple[CypInactivation, ...] = ()
    routes: tuple[Literal["oral", "iv", "ip"], ...] = ("oral",)
    clearance_covariates: tuple[Covariate, ...] = ()
    description: str = ""
    # Reported values that the PK parameters must reproduce (checked by tests, not used to simulate)
    reported_half_life_h: Optional[Sourced] = None
    reported_tmax_h: Optional[Sourced] = None

    @model_validator(mode="after")
    def _parent_needs_absorption(self):
        if self.kind == "parent" and "oral" in self.routes and self.absorption is None:
            raise ValueError("an oral parent drug needs an absorption block")
        return self

    @model_validator(mode="after")
    def _formulations_are_oral_products(self):
        if self.formulations and (self.kind != "parent" or self.absorption is None):
            raise ValueError("formulations need an oral parent drug with a default absorption block")
        seen = {self.default_formulation.lower(): self.default_formulation}
        for name in self.formulations:
            if not re.fullmatch(FORMULATION_NAME, name):
                raise ValueError(f"formulation name {name!r}: letters, digits, '_' or '-', starting "
                                 "with a letter, e.g. SR")
            if name.lower() in seen:
                raise ValueError(f"formulation {name!r} clashes with {seen[name.lower()]!r} "
                                 "(names are compared without case)")
            seen[name.lower()] = name
        return self

    @model_validator(mode="after")
    def _first_pass_needs_linear_routes(self):
        blocks = [self.absorption, *self.formulations.values()]
        if any(b is not None and b.first_pass_follows_clearance for b in blocks) and not sum(
                p.clearance_L_per_h.value for p in self.elimination if p.clearance_L_per_h is not None):
            raise ValueError("first_pass_follows_clearance weights the first pass by the linear routes' "
                             "clearances: give at least one elimination route a clearance_L_per_h, or "
                             "drop the flag (F is then fixed)")
        return self

    @model_validator(mode="after")
    def _inactivated_enzymes_have_a_turnover(self):
        seen = [i.enzyme for i in self.cyp_inactivation]
        if len(seen) != len(set(seen)):
            twice = sorted({str(e) for e in seen if seen.count(e) > 1})
            raise ValueError(f"cyp_inactivation names {', '.join(twice)} more than once; give one entry per enzyme")
        turnover = cyp_turnover()
        for enzyme in seen:
            if enzyme not in turnover:
                raise ValueError(f"cyp_inactivation of {enzyme}: the enzyme has no turnover half-life in "
                                 "pharmacology/data/cyp_turnover.yaml (needed for its resynthesis); add one "
                                 f"with its source (known: {', '.join(sorted(turnover))})")
        return self

    def formulation(self, name: str | None) -> str | None:
        """The library's spelling of formulation `name` (None: the default product).

        Case does not matter (`sr` is `SR`); the default product's name selects the default. An
        unknown name is a ProtocolError listing the drug's formulations."""
        if name is None or name.lower() == self.default_formulation.lower():
            return None
        for key in self.formulations:
            if key.lower() == name.lower():
                return key
        others = ", ".join(self.formulations) or "none besides the default"
        raise ProtocolError(f"formulation {name!r} is not a product of {self.name} in the library; "
                            f"allowed: {others}, or omit formulation for the default "
                            f"({self.default_formulation})")

    def absorption_for(self, formulation: str | None) -> Absorption:
        """The absorption block of a formulation (None: the default `absorption`)."""
        key = self.formulation(formulation)
        return self.absorption if key is None else self.formulations[key]

    @property
    def metabolites(self) -> tuple[str, ...]:
        return tuple(p.forms for p in self.elimination if p.forms)

    def total_clearance_L_per_h(self) -> float:
        """Linear clearance at low concentration (MM routes counted as Vmax/Km)."""
        total = 0.0
        for p in self.elimination:
            if p.clearance_L_per_h is not None:
                total += p.clearance_L_per_h.value
            else:  # mg/h / (ng/mL = mg/L / 1000) -> L/h
                total += p.vmax_mg_per_h.value / (p.km_ng_per_mL.value / 1000.0)
        return total


def numbers(obj, path: str = "") -> list[tuple[str, Sourced]]:
    """Every Sourced number inside a drug (or any part of one), with its path, e.g.
    `targets[SERT].ec50_ng_per_mL` (list items are named by target, enzyme or gene)."""
    if isinstance(obj, Sourced):
        return [(path, obj)]
    found: list[tuple[str, Sourced]] = []
    if isinstance(obj, tuple):
        for i, item in enumerate(obj):
            label = getattr(item, "target", None) or getattr(item, "enzyme", None) or getattr(item, "gene", None)
            found += numbers(item, f"{path}[{label or i}]")
    elif isinstance(obj, dict):
        for key, item in obj.items():
            found += numbers(item, f"{path}.{key}" if path else str(key))
    elif isinstance(obj, BaseModel):
        for name in type(obj).model_fields:
            found += numbers(getattr(obj, name), f"{path}.{name}" if path else name)
    return found


def _folder():
    return resources.files("neuroscape.pharmacology").joinpath("data/drugs")


@lru_cache(maxsize=1)
def drug_names() -> tuple[str, ...]:
    return tuple(sorted(e.name[:-5] for e in _folder().iterdir() if e.name.endswith(".yaml")))


@lru_cache(maxsize=None)
def load_drug(name: str) -> Drug:
    """Load one drug; an unknown name is an error listing the library (with a suggestion)."""
    names = drug_names()
    if name not in names:
        close = difflib.get_close_matches(name, names, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ProtocolError(f"unknown drug {name!r}{hint}; the library has: {', '.join(names)}")
    text = _folder().joinpath(f"{name}.yaml").read_text()
    try:
        drug = Drug.model_validate(yaml.safe_load(text))
    except ValidationError as exc:
        raise DataError(missing_basis_message(f"drug file {name}.yaml", exc)
                        or f"drug file {name}.yaml is invalid: {exc}") from None
    if drug.name != name:
        raise DataError(f"drug file {name}.yaml declares name {drug.name!r}; they must match")
    return drug


def missing_basis_message(where: str, exc: ValidationError) -> str | None:
    """A number without a basis, said plainly (pydantic's text buries it among the union's errors)."""
    missing = [".".join(str(part) for part in e["loc"][:-1]) or "the number" for e in exc.errors()
               if e["type"] == "missing" and e["loc"] and e["loc"][-1] == "basis"]
    if not missing:
        return None
    return (f"{where}: {', '.join(missing)} has no basis; add basis: one of {', '.join(BASES)} (how the "
            "number was obtained; fitted and derived numbers also need fitted_to: {sources: [key], data: "
            "\"...\"}, see docs/validation.md)")


class _Turnover(_Strict):
    half_life_h: Sourced


@lru_cache(maxsize=1)
def cyp_turnover() -> dict[str, Sourced]:
    """Hepatic turnover half-life of each CYP that a library drug inactivates (enzyme -> h)."""
    text = resources.files("neuroscape.pharmacology").joinpath("data/cyp_turnover.yaml").read_text()
    out = {}
    for enzyme, entry in (yaml.safe_load(text) or {}).items():
        if enzyme not in CYP_ENZYMES:
            raise DataError(f"cyp_turnover.yaml: {enzyme!r} is not a CYP of the model "
                            f"({', '.join(CYP_ENZYMES)})")
        try:
            half_life = _Turnover.model_validate(entry).half_life_h
        except ValidationError as exc:
            raise DataError(missing_basis_message(f"cyp_turnover.yaml entry {enzyme}", exc)
                            or f"cyp_turnover.yaml: entry {enzyme} is invalid: {exc}") from None
        if not half_life.value > 0:
            raise DataError(f"cyp_turnover.yaml: {enzyme} half_life_h must be > 0")
        out[enzyme] = half_life
    return out


@lru_cache(maxsize=1)
def drug_references() -> dict[str, dict]:
    text = resources.files("neuroscape.pharmacology").joinpath("data/references.yaml").read_text()
    return yaml.safe_load(text) or {}
