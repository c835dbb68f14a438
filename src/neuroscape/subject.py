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
        if self.sex not in ("male", "female"):
            raise ModelError(f"Subject.sex = {self.sex!r}; allowed: 'male', 'female'")
        if not 0 <= self.age_years <= 120:
            raise ModelError(f"Subject.age_years = {self.age_years}; must be within 0-120")
        if not 2 <= self.weight_kg <= 400:
            raise ModelError(f"Subject.weight_kg = {self.weight_kg}; must be within 2-400 kg")
        for name, value in self.modifications.items():
            if not (value >= 0 and np.isfinite(value)):
                raise ModelError(f"Subject.modifications[{name!r}] = {value}; must be a finite number >= 0")
        if self.reproductive_stage not in (None, "premenopausal", "postmenopausal", "postpartum"):
            raise ModelError(f"Subject.reproductive_stage = {self.reproductive_stage!r}; allowed: "
                             "'premenopausal', 'postmenopausal', 'postpartum'")
        if self.sex != "female" and (self.cycle_day is not None or self.reproductive_stage is not None
                                     or self.postpartum_day is not None):
            raise ModelError("Subject.cycle_day, reproductive_stage and postpartum_day apply to female subjects; "
                             f"this subject is {self.sex}: give sex='female' or leave them out")
        if self.cycle_day is not None:
            if not 1 <= self.cycle_day <= 35:
                raise ModelError(f"Subject.cycle_day = {self.cycle_day}; must be within 1-35 (day 1 = first "
                                 "day of menstruation)")
            if self.reproductive_stage == "postmenopausal":
                raise ModelError("Subject.cycle_day is for a cycling subject; remove it or the "
                                 "reproductive_stage 'postmenopausal'")
            if self.reproductive_stage == "postpartum":
                raise ModelError("Subject.cycle_day: the postpartum decline replaces the cycle; remove "
                                 "cycle_day or the reproductive_stage 'postpartum'")
        if self.postpartum_day is not None:
            if self.reproductive_stage != "postpartum":
                raise ModelError("Subject.postpartum_day needs reproductive_stage 'postpartum'; give it, or leave "
                                 "postpartum_day out")
            if not 0 <= self.postpartum_day <= 365:
                raise ModelError(f"Subject.postpartum_day = {self.postpartum_day}; must be within 0-365 "
                                 "(days since delivery)")
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
