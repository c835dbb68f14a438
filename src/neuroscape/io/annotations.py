"""What the model's species are, as identifiers.org URIs for the SBML export (MIRIAM annotations).

Molecules carry ChEBI (`bqbiol:is`), proteins UniProt and HGNC: a species that is the protein's
activity or amount is `bqbiol:is` it, a state of it (a receptor's bound or desensitised form, the
surface fraction of a transporter) `bqbiol:isVersionOf`, and an estradiol-driven expression factor
`bqbiol:isPropertyOf`. Species are matched by name (one rule one place: `species_terms`); a species
no rule names gets no annotation rather than a guessed one. Drugs are annotated only where the ChEBI
id was checked against ChEBI's own entry (the rest carry none).
"""

from __future__ import annotations

import re

import libsbml

__all__ = ["species_terms", "MODEL_TERMS", "MOLECULES", "PROTEINS", "DRUGS"]

# ChEBI ids (the L-amino acids and the neutral molecules, as BioModels curation uses)
MOLECULES = {
    "tryptophan": "CHEBI:16828", "tyrosine": "CHEBI:17895", "phenylalanine": "CHEBI:17295",
    "leucine": "CHEBI:15603", "isoleucine": "CHEBI:17191", "valine": "CHEBI:16414",
    "carbohydrate": "CHEBI:16646", "5-hydroxy-L-tryptophan": "CHEBI:17780",
    "pyridoxal 5'-phosphate": "CHEBI:18405", "L-kynurenine": "CHEBI:16946", "kynurenic acid": "CHEBI:18344",
    "estradiol": "CHEBI:16469", "progesterone": "CHEBI:17026", "cortisol": "CHEBI:17650",
    "serotonin": "CHEBI:28790", "5-hydroxyindoleacetic acid": "CHEBI:27823", "L-dopa": "CHEBI:15765",
    "dopamine": "CHEBI:18243", "noradrenaline": "CHEBI:18357", "GABA": "CHEBI:16865",
}
# gene symbol -> (UniProt, HGNC)
PROTEINS = {
    "INS": ("P01308", "HGNC:6081"), "MAOA": ("P21397", "HGNC:6833"), "MAOB": ("P27338", "HGNC:6834"),
    "TDO2": ("P48775", "HGNC:11708"), "IDO1": ("P14902", "HGNC:6059"), "TPH2": ("Q8IWU9", "HGNC:20692"),
    "SLC6A4": ("P31645", "HGNC:11050"), "HTR1A": ("P08908", "HGNC:5286"), "HTR2A": ("P28223", "HGNC:5293"),
    "DRD2": ("P14416", "HGNC:3023"), "ABAT": ("P80404", "HGNC:23"),
}
DRUGS = {
    "citalopram": "CHEBI:3723", "escitalopram": "CHEBI:36791", "sertraline": "CHEBI:9123",
    "fluoxetine": "CHEBI:5118", "paroxetine": "CHEBI:7936", "bupropion": "CHEBI:3219",
    "haloperidol": "CHEBI:5613", "diazepam": "CHEBI:49575", "levodopa": "CHEBI:15765",
}
MODEL_TERMS = ((libsbml.BQB_HAS_TAXON, ("https://identifiers.org/taxonomy:9606",)),)  # Homo sapiens

_IS, _VERSION, _PROPERTY = libsbml.BQB_IS, libsbml.BQB_IS_VERSION_OF, libsbml.BQB_IS_PROPERTY_OF
# (name pattern, qualifier, molecule name or gene symbol); the first match wins
_RULES: tuple[tuple[str, int, str], ...] = (
    (r"(gut|p|brain)_trp", _IS, "tryptophan"), (r"(gut|p|brain)_tyr", _IS, "tyrosine"),
    (r"(gut|p)_phe", _IS, "phenylalanine"), (r"(gut|p)_leu", _IS, "leucine"), (r"(gut|p)_ile", _IS, "isoleucine"),
    (r"(gut|p)_val", _IS, "valine"), (r"gut_carb", _IS, "carbohydrate"), (r"insulin", _IS, "INS"),
    (r"htp_\w+|brain_htp", _IS, "5-hydroxy-L-tryptophan"), (r"p_plp", _IS, "pyridoxal 5'-phosphate"),
    (r"mao_a", _IS, "MAOA"), (r"mao_b", _IS, "MAOB"), (r"p_kyn", _IS, "L-kynurenine"),
    (r"p_kyna", _IS, "kynurenic acid"), (r"tdo", _IS, "TDO2"), (r"ido", _IS, "IDO1"),
    (r"e2_tph2", _PROPERTY, "TPH2"), (r"e2_maoa", _PROPERTY, "MAOA"), (r"e2_sert", _PROPERTY, "SLC6A4"),
    (r"e2_htr1a", _PROPERTY, "HTR1A"), (r"e2_htr2a", _PROPERTY, "HTR2A"),
    (r"estradiol_\w+", _IS, "estradiol"), (r"progesterone_\w+", _IS, "progesterone"),
    (r"cortisol_\w+", _IS, "cortisol"), (r"[cve]5ht_\w+", _IS, "serotonin"),
    (r"hiaa_\w+", _IS, "5-hydroxyindoleacetic acid"), (r"ar[bgt]_\w+|r1a_adapt", _VERSION, "HTR1A"),
    (r"ldopa_\w+", _IS, "L-dopa"), (r"(cda|vda|eda)_(striatum|prefrontal)", _IS, "dopamine"),
    (r"cda_ne_\w+|[ve]ne_\w+", _IS, "noradrenaline"), (r"e?gaba_\w+", _IS, "GABA"),
    (r"gabat_\w+", _IS, "ABAT"), (r"sert_surface", _VERSION, "SLC6A4"), (r"d2_density", _VERSION, "DRD2"),
)


def _uris(target: str) -> tuple[str, ...]:
    if target in MOLECULES:
        return (f"https://identifiers.org/{MOLECULES[target]}",)
    uniprot, hgnc = PROTEINS[target]
    # identifiers.org's compact form is hgnc:<number> (chebi ids embed their prefix: CHEBI:<number>)
    return (f"https://identifiers.org/uniprot:{uniprot}",
            f"https://identifiers.org/hgnc:{hgnc.removeprefix('HGNC:')}")


def species_terms(name: str) -> tuple[int, tuple[str, ...]] | None:
    """(biological qualifier, identifiers.org URIs) for a species name, or None when no rule names it."""
    for pattern, qualifier, target in _RULES:
        if re.fullmatch(pattern, name):
            return qualifier, _uris(target)
    drug = next((d for d in DRUGS if name.startswith(d + "_")), None)
    if drug is not None:  # every compartment of a drug (gut, central, peripheral, brain) is the molecule
        return _IS, (f"https://identifiers.org/{DRUGS[drug]}",)
    return None
