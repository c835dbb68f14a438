"""Who is simulated: sex, age, weight, genotypes, modifications and fitted parameter values."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Literal, Mapping

import numpy as np

from .errors import ModelError
from .model.network import Network

# Named modifications that are not protein expression multipliers.
SPECIAL_MODIFICATIONS = {
    "dopamine_neurons": ("dopamine_neurons", "set", "fraction of dopamine neurons remaining (0-1)"),
    "vitamin_b6": ("plp_fold", "scale", ("habitual dietary vitamin B6 relative to a typical diet (2 mg/d); "
                                         "sets plasma PLP and the PLP saturation of AADC and GAD (deficiency < 1)")),
}


# The subject's rules, in one place: Subject raises the first problem as a ModelError; the protocol
# schema reads the same ranges and reports every problem at its key, in a file's words.
SEXES = ("male", "female")
REPRODUCTIVE_STAGES = ("premenopausal", "postmenopausal", "postpartum")
RANGES: dict[str, tuple[float, float]] = {
    "age_years": (0.0, 120.0), "weight_kg": (2.0, 400.0), "cycle_day": (1.0, 35.0), "postpartum_day": (0.0, 365.0),
}
_RANGE_NOTES = {"age_years": "", "weight_kg": " kg", "cycle_day": " (day 1 = first day of menstruation)",
                "postpartum_day": " (days since delivery)"}
FEMALE_ONLY = ("cycle_day", "reproductive_stage", "postpartum_day")
# A modification multiplies a protein's expression (1 = typical) or is a fraction of neurons left; 100-fold
# is already far beyond any measured over-expression, and a larger number is a typing slip.
MAX_MODIFICATION = 100.0


def in_range(key: str, value: float) -> bool:
    """Whether `value` is allowed for the ranged field `key` (a key of RANGES)."""
    lo, hi = RANGES[key]
    return lo <= value <= hi


@dataclass(frozen=True)
class SubjectProblem:
    """One broken rule. `key` is the field at fault (as named in Subject and in a protocol's subject);
    `rule` is choice, range, modification, female_only, cycle_after_menopause, cycle_postpartum or
    needs_postpartum; `message` says it in Subject's words."""

    key: str
    rule: str
    message: str


def subject_problems(sex: str, age_years: float, weight_kg: float, modifications: Mapping[str, float],
                     cycle_day: float | None, reproductive_stage: str | None,
                     postpartum_day: float | None) -> list[SubjectProblem]:
    """Every broken rule of a subject, in the order Subject checks them."""
    out: list[SubjectProblem] = []

    def add(key: str, rule: str, message: str) -> None:
        out.append(SubjectProblem(key, rule, message))

    def check_range(key: str, value: float) -> None:
        if not in_range(key, value):
            lo, hi = RANGES[key]
            add(key, "range", f"Subject.{key} = {value}; must be within {lo:g}-{hi:g}{_RANGE_NOTES[key]}")

    if sex not in SEXES:
        add("sex", "choice", f"Subject.sex = {sex!r}; allowed: {', '.join(map(repr, SEXES))}")
    check_range("age_years", age_years)
    check_range("weight_kg", weight_kg)
    for name, value in modifications.items():
        if not (np.isfinite(value) and 0 <= value <= MAX_MODIFICATION):
            add("modifications", "modification",
                f"Subject.modifications[{name!r}] = {value}; must be a finite number from 0 to "
                f"{MAX_MODIFICATION:g} (1 = typical)")
    if reproductive_stage not in (None, *REPRODUCTIVE_STAGES):
        add("reproductive_stage", "choice", f"Subject.reproductive_stage = {reproductive_stage!r}; allowed: "
                                            f"{', '.join(map(repr, REPRODUCTIVE_STAGES))}")
    given = {"cycle_day": cycle_day, "reproductive_stage": reproductive_stage, "postpartum_day": postpartum_day}
    for key in FEMALE_ONLY:
        if sex != "female" and given[key] is not None:
            add(key, "female_only", "Subject.cycle_day, reproductive_stage and postpartum_day apply to female "
                                    f"subjects; this subject is {sex}: give sex='female' or leave them out")
    if cycle_day is not None:
        check_range("cycle_day", cycle_day)
        if reproductive_stage == "postmenopausal":
            add("cycle_day", "cycle_after_menopause", "Subject.cycle_day is for a cycling subject; remove it or "
                                                      "the reproductive_stage 'postmenopausal'")
        if reproductive_stage == "postpartum":
            add("cycle_day", "cycle_postpartum", "Subject.cycle_day: the postpartum decline replaces the cycle; "
                                                 "remove cycle_day or the reproductive_stage 'postpartum'")
    if postpartum_day is not None:
        if reproductive_stage != "postpartum" and sex == "female":
            add("postpartum_day", "needs_postpartum", "Subject.postpartum_day needs reproductive_stage "
                                                      "'postpartum'; give it, or leave postpartum_day out")
        check_range("postpartum_day", postpartum_day)
    return out


@dataclass(frozen=True)
class Subject:
    """An immutable description of one (virtual) person. Change it with the `with_*` verbs."""

    sex: Literal["male", "female"] = "male"
    age_years: float = 35.0
    weight_kg: float = 75.0
    genotypes: Mapping[str, str] = field(default_factory=dict)
    modifications: Mapping[str, float] = field(default_factory=dict)
    parameters: Mapping[str, float] = field(default_factory=dict)
    # Female reproductive state. cycle_day (1-35, day 1 = first day of menstruation) starts the
    # menstrual cycle at t = 0 (a time-dependent input simulate() adds; the steady state is the cycle
    # average, and the state at t = 0 the cycle's periodic state at cycle_day). reproductive_stage
    # "postmenopausal" holds estradiol at the postmenopausal level. "postpartum" keeps the non-pregnant
    # steady state; simulate() adds the fall of estradiol and progesterone after delivery, run up to
    # postpartum_day (0-365, days since delivery; None = 0) before t = 0 (interventions/reproductive.py).
    cycle_day: float | None = None
    reproductive_stage: Literal["premenopausal", "postmenopausal", "postpartum"] | None = None
    postpartum_day: float | None = None

    def __post_init__(self) -> None:
        problems = subject_problems(self.sex, self.age_years, self.weight_kg, self.modifications,
                                    self.cycle_day, self.reproductive_stage, self.postpartum_day)
        if problems:
            raise ModelError(problems[0].message)
        for attr in ("genotypes", "modifications", "parameters"):
            object.__setattr__(self, attr, MappingProxyType(dict(getattr(self, attr))))


def with_modification(subject: Subject, name: str, value: float) -> Subject:
    return replace(subject, modifications={**subject.modifications, name: value})


def with_parameters(subject: Subject, **values: float) -> Subject:
    return replace(subject, parameters={**subject.parameters, **values})


def modification_names(network: Network) -> dict[str, str]:
    """Every modification name the network accepts, with what it does."""
    names = {}
    for p in network.parameters:
        for tag in p.tags:
            if tag.startswith("expression:"):
                names[tag.split(":", 1)[1]] = "expression/activity multiplier (1 = typical)"
    names.update({k: v[2] for k, v in SPECIAL_MODIFICATIONS.items()})
    return names


def parameter_vector(subject: Subject, network: Network) -> np.ndarray:
    """The network's parameter values for this subject (defaults, covariates, modifications, fits)."""
    index = {p.name: i for i, p in enumerate(network.parameters)}
    p = np.array([q.value for q in network.parameters], dtype=float)
    p[index["body_weight"]] = subject.weight_kg
    p[index["aa_volume"]] = p[index["aa_volume_per_kg"]] * subject.weight_kg
    if subject.sex == "female":
        p[index["estradiol_base"]] = p[index["estradiol_base_female"]]
        factor = p[index["female_tph2_factor"]]
        for name, i in index.items():
            if name.startswith("tph2_expr_"):
                p[i] *= factor
        if subject.reproductive_stage == "postmenopausal":
            from .interventions.menstrual_cycle import postmenopausal_estradiol_pmol_l

            # a lasting state: the steady state has the low level (and its slow TPH2/MAO-A effects)
            p[index["estradiol_fold"]] *= postmenopausal_estradiol_pmol_l() / p[index["estradiol_base"]]
    allowed = modification_names(network)
    for name, value in subject.modifications.items():
        if name in SPECIAL_MODIFICATIONS:
            target, how, _ = SPECIAL_MODIFICATIONS[name]
            if how == "set" and value > 1:
                raise ModelError(f"modifications.{name} = {value}; a fraction must be within 0-1")
            p[index[target]] = value if how == "set" else p[index[target]] * value
            continue
        hits = [i for q, i in index.items() if f"expression:{name}" in network.parameters[i].tags]
        if not hits:
            raise ModelError(f"modifications.{name}: unknown name; allowed: {', '.join(sorted(allowed))}")
        for i in hits:
            p[i] *= value
    _apply_pharmacokinetic_covariates(subject, network, p, index)
    for name, value in subject.parameters.items():
        if name not in index:
            raise ModelError(f"Subject.parameters[{name!r}]: unknown parameter; see `neuroscape cite`")
        p[index[name]] = value
    return p


REFERENCE_WEIGHT_KG = 70.0  # drug volumes and clearances in the library are for a 70 kg adult


def _apply_pharmacokinetic_covariates(subject: Subject, network: Network, p: np.ndarray,
                                      index: dict[str, int]) -> None:
    """Weight (allometric: volume ~ W, clearance ~ W^0.75), the label's age/sex clearance groups,
    and CYP phenotypes from genotypes."""
    ratio = subject.weight_kg / REFERENCE_WEIGHT_KG
    factors: dict[str, float] = {}
    for module in {q.module for q in network.parameters if q.module.startswith("drug:")}:
        from .pharmacology.library import load_drug

        drug = load_drug(module.split(":", 1)[1])
        factors[module] = float(np.prod([c.clearance_factor.value for c in drug.clearance_covariates
                                         if c.applies(subject.age_years, subject.sex)] or [1.0]))
    for i, q in enumerate(network.parameters):
        if "scale:volume" in q.tags:
            p[i] *= ratio
        elif "scale:clearance" in q.tags:
            p[i] *= ratio ** 0.75 * factors.get(q.module, 1.0)
    for gene, genotype in subject.genotypes.items():
        from .pharmacology.pgx import clearance_multiplier, phenotype

        called = phenotype(gene, genotype)  # a malformed genotype is an error even if unused here
        name = f"pheno_{gene.lower()}"
        if name in index:  # only genes that clear a drug in this network change parameters
            p[index[name]] = clearance_multiplier(gene, called.phenotype)
