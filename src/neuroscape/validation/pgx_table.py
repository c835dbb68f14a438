"""The model's steady-state exposure ratios by metabolizer phenotype, for the table in docs/pharmacology.md.

For every parent drug of the library with a CYP2D6, CYP2C19 or CYP2B6 route and every CPIC phenotype
of that gene, the engine (`neuroscape.simulate`, the path a `Subject(genotypes=...)` takes) is run to
steady state and the mean plasma level over the last dosing interval (AUC_tau / tau) is divided by a
normal metabolizer's. Simulated rather than computed as 1/(1 - fm + fm*m) because several drugs are not
linear in the enzyme (saturable fluoxetine, auto-inactivating paroxetine and moclobemide, first passes
that follow the route activity, metabolites cleared by the same enzyme).

    python -m neuroscape.validation.pgx_table     # prints the markdown table pasted into the docs
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from ..plan import Plan, add_dose
from ..simulate import simulate
from ..subject import Subject
from ..pharmacology.library import drug_id, drug_names, load_drug
from ..pharmacology.pgx import gene_phenotypes

GENES = ("CYP2D6", "CYP2C19", "CYP2B6")
ABBREV = {"poor": "PM", "intermediate": "IM", "normal": "NM", "rapid": "RM", "ultrarapid": "UM"}


@dataclass(frozen=True)
class Regimen:
    """A typical maintenance regimen, run for `days` (long enough for steady state in the slowest
    phenotype: >= 5 half-lives of the longest-lived moiety). The ratios do not depend on the dose for a
    linear drug; for the non-linear ones the dose is the one the published ratios were measured at."""

    dose_mg: float
    every_h: float
    days: int


REGIMENS = {
    "bupropion": Regimen(150.0, 12.0, 28),
    "citalopram": Regimen(20.0, 24.0, 42),
    "diazepam": Regimen(10.0, 24.0, 90),    # nordazepam t1/2 ~3-4 d, longer in CYP2C19 PMs
    "escitalopram": Regimen(10.0, 24.0, 42),
    "fluoxetine": Regimen(20.0, 24.0, 180),  # norfluoxetine t1/2 1-2 weeks
    "haloperidol": Regimen(2.0, 24.0, 28),
    "moclobemide": Regimen(150.0, 12.0, 14),
    "paroxetine": Regimen(20.0, 24.0, 35),  # PM t1/2 ~41 h
    "risperidone": Regimen(2.0, 24.0, 28),
    "selegiline": Regimen(10.0, 24.0, 14),
    "sertraline": Regimen(50.0, 24.0, 35),
    "venlafaxine": Regimen(75.0, 12.0, 21),
}

# Metabolites the labels count in the active moiety (parent + metabolite, plasma mass concentrations
# summed unweighted: the pairs below are about equipotent at the primary target): Risperdal label
# (9-OH-risperidone), Effexor label (ODV), Prozac label (norfluoxetine), Valium label (nordazepam).
ACTIVE_MOIETY = {"risperidone": "paliperidone", "venlafaxine": "desvenlafaxine",
                 "fluoxetine": "norfluoxetine", "diazepam": "desmethyldiazepam"}
# Metabolites reported on their own (not summed: potency differs from the parent's).
METABOLITE = {"bupropion": "hydroxybupropion"}


@dataclass(frozen=True)
class Ratio:
    """Mean steady-state plasma level over a dosing interval, relative to a normal metabolizer."""

    drug: str
    gene: str
    phenotype: str
    parent: float
    moiety: float | None       # parent + ACTIVE_MOIETY metabolite
    metabolite: float | None   # METABOLITE (or the ACTIVE_MOIETY metabolite alone)
    metabolite_name: str | None


def gene_drugs() -> list[tuple[str, str]]:
    """(drug, gene) for every parent drug with a route through one of GENES, in library order."""
    out = []
    for name in drug_names():
        drug = load_drug(name)
        if drug.kind != "parent":
            continue
        enzymes = {p.enzyme for p in drug.elimination}
        out += [(name, g) for g in GENES if g in enzymes]
    return out


@cache
def _mean_levels(drug: str, gene: str, phenotype: str) -> dict[str, float]:
    reg = REGIMENS[drug]
    count = round(reg.days * 24 / reg.every_h)
    plan = add_dose(Plan(), drug, 0.0, reg.dose_mg, every_h=reg.every_h, count=count)
    t = np.linspace(0.0, reg.every_h, 97)
    genotypes = {} if phenotype == "normal" else {gene: phenotype}
    tr = simulate(Subject(weight_kg=70.0, genotypes=genotypes), plan, times=(count - 1) * reg.every_h + t)
    names = [drug] + [m for m in (ACTIVE_MOIETY.get(drug), METABOLITE.get(drug)) if m]
    return {n: float(np.trapezoid(tr.readout(f"plasma.{drug_id(n)}"), t) / reg.every_h) for n in names}


def exposure_ratios() -> list[Ratio]:
    """The ratio for every (drug, gene, phenotype); see the module docstring."""
    rows = []
    for drug, gene in gene_drugs():
        ref = _mean_levels(drug, gene, "normal")
        for word in gene_phenotypes(gene):
            lv = _mean_levels(drug, gene, word)
            moiety_met = ACTIVE_MOIETY.get(drug)
            met = moiety_met or METABOLITE.get(drug)
            moiety = ((lv[drug] + lv[moiety_met]) / (ref[drug] + ref[moiety_met])) if moiety_met else None
            rows.append(Ratio(drug, gene, word, lv[drug] / ref[drug], moiety,
                              lv[met] / ref[met] if met else None, met))
    return rows


def _fmt(x: float | None) -> str:
    return "—" if x is None else f"{x:.2f}"


def markdown(rows: list[Ratio] | None = None) -> str:
    """The generated table (model columns only) as pasted into docs/pharmacology.md."""
    rows = exposure_ratios() if rows is None else rows
    lines = ["| drug | gene | phenotype | parent | active moiety | metabolite |",
             "| --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        met = f"{_fmt(r.metabolite)} ({r.metabolite_name})" if r.metabolite_name else "—"
        lines.append(f"| {r.drug} | {r.gene} | {ABBREV[r.phenotype]} | {_fmt(r.parent)} | {_fmt(r.moiety)} | {met} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown())
