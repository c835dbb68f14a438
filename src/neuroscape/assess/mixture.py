"""An unknown CYP genotype as a mixture of phenotypes, weighted by what the drug levels say.

When a record has no genotype for a gene that clears one of the person's drugs enough to matter
(`mixed_genes`), the person is calibrated once per phenotype (each a Subject with that phenotype word as
its genotype), and the phenotypes are weighed by Bayes' rule:

    w_k = pi_k Z_k / sum_j pi_j Z_j

pi_k is the phenotype's population frequency (pharmacology/data/phenotype_frequencies.yaml, per biogeographic
group; genes taken as independent), and Z_k the marginal likelihood of the observations under phenotype k:
the Laplace evidence of its calibration at the MAP (calibrate, Posterior.log_evidence). The Laplace
evidence is the calibration's own approximation (the MAP and the Gauss-Newton Hessian it already computes),
so it costs nothing beyond the calibration and is exact for a linear-Gaussian model; a sampled evidence
(thermodynamic integration or bridge sampling) would cost many more simulations per phenotype for a
correction the posterior weights of a handful of levels seldom need. With MCMC the weights still use the
Laplace evidence at the MAP (the chain itself gives none).

    mixed_genes(Subject(), add_dose(Plan(), "escitalopram", 0.0, 10.0))   # ('CYP2C19',)

With the genotype known (`mixed_genes` empty) no mixture is made: assess runs the one calibration it ran
before, so the result equals the single-phenotype run exactly. A plan search draws from the mixture
(manage/draws.py draws_for: each phenotype gets its share of the draws by weight, largest remainder).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from itertools import product as cartesian
from typing import Mapping

import numpy as np

from ..errors import DataError
from ..plan import Plan
from ..subject import Subject
from .posterior import Posterior

# Without a group in the record: European. The reason: the shipped tables are European cohorts (CPIC's
# own biogeographic tables could not be read, pharmacology/data/phenotype_frequencies.yaml), and so are the
# studies the library's PGx clearance factors come from (Jukic 2018, Norwegian). For a person of another
# ancestry these frequencies are wrong: state the group in the record (CSV row `population`).
DEFAULT_GROUP = "european"
DEFAULT_GROUP_REASON = ("no biogeographic group in the record: European assumed (the shipped frequency tables "
                        "are European cohorts); state the group (CSV row 'population') for another ancestry")
# A gene is mixed when some phenotype moves a drug's clearance by at least this many prior sd of its
# clearance factor (assumed: a smaller effect, e.g. CYP2D6 on escitalopram at most 11%, lies well inside the
# clearance prior the calibration already spans, and each phenotype costs one calibration).
MIN_EFFECT_SD = 0.5
# Joint phenotypes (several genes) rarer than this are left out and the rest renormalised (assumed: the
# frequency tables themselves omit diplotypes under 0.5%); the report gives the prior mass left out.
MIN_PRIOR = 0.005


@dataclass(frozen=True)
class PhenotypeComponent:
    phenotypes: Mapping[str, str]   # gene -> phenotype word
    prior: float                    # population frequency (renormalised over the components kept)
    weight: float                   # posterior weight given the observations
    log_evidence: float
    posterior: Posterior            # calibrated with those phenotypes as the subject's genotypes

    @property
    def label(self) -> str:
        return ", ".join(f"{g} {w}" for g, w in self.phenotypes.items())


@dataclass(frozen=True)
class PhenotypeMixture:
    """The phenotypes of the `genes` the record does not give, with prior and posterior weights."""

    subject: Subject                # the record's subject: without the mixed genes' genotypes
    genes: tuple[str, ...]
    group: str
    group_basis: str                # "stated in the record" or the default's reason
    components: tuple[PhenotypeComponent, ...]
    left_out: float                 # prior mass of the joint phenotypes below MIN_PRIOR

    @property
    def best(self) -> PhenotypeComponent:
        return max(self.components, key=lambda c: c.weight)

    def allocate(self, n: int) -> list[int]:
        """Draws per component for `n` draws in all: by weight, largest remainder (sums to n)."""
        w = np.array([c.weight for c in self.components])
        exact = w * n
        counts = np.floor(exact).astype(int)
        for i in np.argsort(-(exact - counts), kind="stable")[:n - int(counts.sum())]:
            counts[i] += 1
        return counts.tolist()

    def to_dict(self) -> dict:
        from ..pharmacology.frequencies import frequency_sources

        return {"genes": list(self.genes), "group": self.group, "group_basis": self.group_basis,
                "prior_left_out": self.left_out,
                "sources": {g: sorted(set(frequency_sources(g, self.group).values())) for g in self.genes},
                "components": [{"phenotypes": dict(c.phenotypes), "prior": c.prior, "weight": c.weight,
                                "log_evidence": c.log_evidence if math.isfinite(c.log_evidence) else None,
                                "factors": c.posterior.factors()} for c in self.components],
                "reported_posterior": self.best.label}


def mixed_genes(subject: Subject, plan: Plan) -> tuple[str, ...]:
    """Genes without a genotype in `subject` whose phenotypes move the clearance of a drug in `plan` (its
    model's drugs, metabolites included) by at least MIN_EFFECT_SD prior sd of that drug's clearance factor.
    A Michaelis-Menten route through the gene's enzyme counts whatever its size (its share is not a number)."""
    from ..pharmacology.library import load_drug
    from ..pharmacology.pgx import clearance_multiplier, gene_phenotypes, supported_genes
    from ..scenario import model_for
    from .priors import calibration_parameters

    known = {g.upper() for g in subject.genotypes}
    network = model_for(plan).network
    drugs = list(dict.fromkeys(q.module.split(":", 1)[1] for q in network.parameters
                               if q.module.startswith("drug:")))
    omega = {c.group.split(":", 1)[1]: c.omega for c in calibration_parameters(network)
             if c.group.startswith("pk:") and c.name.endswith(".clearance")}
    out = []
    for name in supported_genes():  # the data file's gene names, upper case
        if name in known:
            continue
        for drug in drugs:
            d = load_drug(drug)
            routes = [r for r in d.elimination if r.enzyme == name]
            if not routes:
                continue
            if any(r.clearance_L_per_h is None for r in routes):
                out.append(name)
                break
            total = sum(r.clearance_L_per_h.value for r in d.elimination if r.clearance_L_per_h is not None)
            fm = sum(r.clearance_L_per_h.value for r in routes) / total
            effect = max(abs(math.log(1 - fm + fm * clearance_multiplier(name, w))) for w in gene_phenotypes(name))
            if effect >= MIN_EFFECT_SD * omega.get(drug, 0.0):
                out.append(name)
                break
    return tuple(out)


def phenotype_prior(genes: tuple[str, ...], group: str) -> tuple[list[tuple[dict[str, str], float]], float]:
    """([(gene -> word, prior)], prior mass left out): the joint phenotypes of `genes` (independent) in
    `group` with prior >= MIN_PRIOR, renormalised, most frequent first."""
    from ..pharmacology.frequencies import phenotype_frequencies

    tables = [[(w, p) for w, p in phenotype_frequencies(g, group).items() if p > 0] for g in genes]
    joint = [({g: w for g, (w, _) in zip(genes, combo)}, float(np.prod([p for _, p in combo])))
             for combo in cartesian(*tables)]
    kept = [(c, p) for c, p in joint if p >= MIN_PRIOR]
    mass = sum(p for _, p in kept)
    kept.sort(key=lambda cp: -cp[1])
    return [(c, p / mass) for c, p in kept], float(1.0 - mass)


def resolve_group(group: str | None) -> tuple[str, str]:
    """(group, basis): the record's group, checked against the shipped ones, or the default with its reason."""
    from ..pharmacology.frequencies import check_group

    if group is None:
        return DEFAULT_GROUP, DEFAULT_GROUP_REASON
    return check_group(group), "stated in the record"


def calibrate_mixture(subject: Subject, observations, plan: Plan, genes: tuple[str, ...], *,
                      group: str | None = None, **calibrate_kw) -> PhenotypeMixture:
    """Calibrate `subject` once per joint phenotype of `genes` and weigh them (module docstring). Every
    component uses the same `calibrate_kw` (seed included: common random numbers)."""
    from ..pharmacology.frequencies import genes_of
    from .calibrate import calibrate

    if not genes:
        raise DataError("calibrate_mixture: no genes to mix; calibrate the subject directly")
    group, basis = resolve_group(group)
    missing = [g for g in genes if g not in genes_of(group)]
    if missing:
        raise DataError(f"population {group!r} has no phenotype frequencies for {', '.join(missing)}; give the "
                        f"genotype in the record, or a group that has them")
    prior, left_out = phenotype_prior(genes, group)
    posts = []
    for phenotypes, _ in prior:
        person = dataclasses.replace(subject, genotypes={**subject.genotypes, **phenotypes})
        posts.append(calibrate(person, observations, plan, **calibrate_kw))
    log_w = np.array([math.log(p) + post.log_evidence for (_, p), post in zip(prior, posts)])
    if not np.isfinite(log_w).any():
        raise DataError("no phenotype of " + ", ".join(genes) + " could be fitted to these observations")
    w = np.exp(log_w - np.max(log_w))
    w /= w.sum()
    components = tuple(PhenotypeComponent(dict(ph), p, float(wk), post.log_evidence, post)
                       for (ph, p), wk, post in zip(prior, w, posts))
    return PhenotypeMixture(subject, tuple(genes), group, basis, components, left_out)

