"""Nutrition presets (data files with their composition and source) turned into gut inputs."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

import yaml

from ..errors import NotModelledError, ProtocolError
from . import Hold

# g/mol; model species for the amino acids the network carries
MOLAR_MASS = {"tryptophan": 204.23, "tyrosine": 181.19, "phenylalanine": 165.19,
              "leucine": 131.17, "isoleucine": 131.17, "valine": 117.15}
GUT_SPECIES = {"tryptophan": "gut_trp", "tyrosine": "gut_tyr", "phenylalanine": "gut_phe",
               "leucine": "gut_leu", "isoleucine": "gut_ile", "valine": "gut_val"}
# Recognised by the protocol format but not yet given a mechanism in this model version.
NOT_MODELLED: dict[str, str] = {}
MAX_NUTRIENT_G = 200.0


@dataclass(frozen=True)
class Intake:
    """One ingestion: amino acids (umol, plasma-equivalent gut pools), carbohydrate (g), and
    compounds carried as amounts (umol into a named gut species, e.g. 5-HTP into htp_gut)."""

    at_h: float
    amino_acids_umol: dict[str, float]
    carbohydrate_g: float = 0.0
    compounds_umol: dict[str, float] = field(default_factory=dict)
    name: str | None = None  # the preset it came from (the safety rules name supplements)


@lru_cache(maxsize=1)
def presets() -> dict[str, dict]:
    folder = resources.files("neuroscape.interventions").joinpath("data/nutrition")
    out = {}
    for entry in folder.iterdir():
        if entry.name.endswith(".yaml"):
            data = yaml.safe_load(entry.read_text())
            out[data["name"]] = data
    return out


def preset_names() -> set[str]:
    return set(presets()) | set(NOT_MODELLED)


def is_held(name: str) -> bool:
    """Whether a preset acts by holding a model input (e.g. vitamin B6) instead of filling the gut."""
    return presets().get(name, {}).get("kind") == "held"


def held_inputs(name: str, at_h: float, *, dose_mg: float | None = None, where: str = "nutrition",
                **others: float | None) -> list[Hold]:
    """One dose of a held preset: the model input raised by dose_mg per day over its spread_h."""
    preset = presets()[name]
    for label, value in others.items():
        if value is not None:
            raise ProtocolError(f"{where}.{label}: {value} is not allowed: {name} is a supplement given in "
                                "dose_mg; remove it")
    if dose_mg is None:
        raise ProtocolError(f"{where}.dose_mg: a {name} supplement needs dose_mg (e.g. 25)")
    ceiling = float(preset.get("max_dose_mg", MAX_NUTRIENT_G * 1000))
    if not 0 < dose_mg <= ceiling:
        raise ProtocolError(f"{where}.dose_mg: {dose_mg:g} mg is outside 0-{ceiling:g} mg for {name}; give a "
                            "positive dose in milligrams" + (f" ({preset['max_dose_note']})"
                                                             if "max_dose_note" in preset else ""))
    spread = float(preset["spread_h"])
    per_day = dose_mg * 24.0 / spread
    return [(preset["input"], float(at_h), float(at_h) + spread, per_day, "add")]


def intake(name: str, at_h: float, *, protein_g: float | None = None,
           carbohydrate_g: float | None = None, fat_g: float | None = None,
           dose_mg: float | None = None, where: str = "nutrition") -> Intake:
    """Turn a named nutrition intervention into the amounts that reach the gut."""
    if name in NOT_MODELLED:
        raise NotModelledError(f"{where}: {name!r} ({NOT_MODELLED[name]}) is not modelled yet in this "
                               "model version; it arrives with the physiology module")
    table = presets()
    if name not in table:
        raise ProtocolError(f"{where}: unknown nutrition {name!r}; allowed: {', '.join(sorted(preset_names()))}")
    for label, grams in (("protein_g", protein_g), ("carbohydrate_g", carbohydrate_g), ("fat_g", fat_g),
                         ("dose_mg", None if dose_mg is None else dose_mg / 1000)):
        if grams is not None and not (0 <= grams <= MAX_NUTRIENT_G):
            raise ProtocolError(f"{where}.{label}: {grams} g is outside 0-{MAX_NUTRIENT_G:g} g")
    preset = table[name]
    if preset["kind"] == "held":
        raise ProtocolError(f"{where}: {name!r} acts on a model input, not the gut; add it with "
                            "plan.add_nutrition")
    grams: dict[str, float] = {}
    if preset["kind"] == "drink":
        grams = dict(preset["amino_acids_g"])
    elif preset["kind"] == "meal":
        grams = {aa: share * (protein_g or 0.0) for aa, share in preset["protein_composition"].items()}
    elif preset["kind"] == "supplement":
        if dose_mg is None:
            raise ProtocolError(f"{where}.dose_mg: a {name} supplement needs dose_mg (e.g. 1000)")
        grams = {preset["amino_acid"]: dose_mg / 1000.0}
    elif preset["kind"] == "compound":
        # a compound with its own PK compartment (amounts, not plasma-equivalent concentrations)
        if dose_mg is None:
            raise ProtocolError(f"{where}.dose_mg: a {name} supplement needs dose_mg (e.g. 100)")
        umol = dose_mg * 1000.0 / preset["molar_mass_g_per_mol"]
        return Intake(at_h=float(at_h), amino_acids_umol={}, compounds_umol={preset["gut_species"]: umol},
                      name=name)
    umol = {aa: g / MOLAR_MASS[aa] * 1e6 for aa, g in grams.items() if aa in MOLAR_MASS}
    return Intake(at_h=float(at_h), amino_acids_umol=umol, carbohydrate_g=float(carbohydrate_g or 0.0), name=name)
