"""The mapping table (data/loinc.yaml) and unit conversion: UCUM as given -> the model's unit.

UCUM strings are parsed by ucumvert (a UCUM grammar on top of pint); conversion is pint's.
Mass <-> molar conversions use the analyte's molar mass from the table (drugs: from their
library file). A unit of the wrong dimension is an error naming the expected dimension.

    >>> round(to_model_unit(14.5, "ug/dL", lookup("2143-6")), 1)   # cortisol
    400.0
"""

from __future__ import annotations

import difflib
import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Literal, Optional

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from ..errors import DataError
from ..pharmacology.library import Provenance, missing_basis_message


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Sourced(Provenance):  # a number with its source and basis (a molar mass is basis: constant)
    value: float
    source: str
    note: str = ""


class Range(Provenance):
    low: float
    high: float
    source: str
    note: str = ""


class ErrorModel(Provenance):
    """Measurement error: sd(pred) = cv*|pred| (proportional), sd (additive), or both combined.
    cv combines assay and within-subject biological variation in quadrature."""

    kind: Literal["proportional", "additive", "combined"]
    cv_analytical: float = 0.0
    cv_within_subject: float = 0.0
    sd: float = 0.0
    source: str
    note: str = ""

    @property
    def cv(self) -> float:
        return float((self.cv_analytical ** 2 + self.cv_within_subject ** 2) ** 0.5)


class LoincCode(_Strict):
    code: str
    property: Literal["MCnc", "SCnc", "Fr"]
    display: str


class Entry(_Strict):
    key: str
    label: str
    names: tuple[str, ...]
    loinc: tuple[LoincCode, ...] = ()
    loinc_source: Optional[str] = None
    loinc_note: str = ""
    quantity: str
    region: Optional[str] = None  # "required": the observation must name one (MRS)
    unit: str
    ucum: str
    specimens: tuple[str, ...]
    molar_mass: Optional[Sourced] = None
    drug: Optional[str] = None
    plausible: Range
    error: ErrorModel

    @field_validator("names")
    @classmethod
    def _lower(cls, v):
        return tuple(n.lower() for n in v)

    def molar_mass_g_per_mol(self) -> Optional[float]:
        if self.molar_mass is not None:
            return self.molar_mass.value
        if self.drug is not None:
            from ..pharmacology.library import load_drug

            return load_drug(self.drug).molar_mass_g_per_mol.value
        return None


class Table(_Strict):
    entries: tuple[Entry, ...]
    references: dict[str, dict]
    genomics: dict[str, dict]
    vital_signs: dict[str, dict]


@lru_cache(maxsize=1)
def table() -> Table:
    text = resources.files("neuroscape.assess").joinpath("data/loinc.yaml").read_text()
    raw = {k: v for k, v in yaml.safe_load(text).items() if not k.startswith("_") and k != "version"}
    try:
        t = Table.model_validate(raw)
    except ValidationError as exc:
        raise DataError(missing_basis_message("assess/data/loinc.yaml", exc)
                        or f"assess/data/loinc.yaml is invalid: {exc}") from None
    _index_of(t)  # refuses a name that maps to two entries
    return t


def _index_of(t: Table) -> dict[str, Entry]:
    """Every key, alias and LOINC code (lower case) -> its entry."""
    out: dict[str, Entry] = {}
    for e in t.entries:
        for k in (e.key.lower(), *e.names, *(c.code for c in e.loinc)):
            if out.setdefault(k, e).key != e.key:
                raise DataError(f"assess/data/loinc.yaml: {k!r} maps to both {out[k].key} and {e.key}; "
                                "keep it in one entry")
    return out


@lru_cache(maxsize=1)
def _index() -> dict[str, Entry]:
    return _index_of(table())


def known_names() -> tuple[str, ...]:
    return tuple(sorted(_index()))


def lookup(code_or_name: str) -> Entry:
    """The table entry for a LOINC code, a key or an alias (case-insensitive). Unknown: DataError
    with close names."""
    key = " ".join(str(code_or_name).strip().lower().split())
    entry = _index().get(key)
    if entry is None:
        close = difflib.get_close_matches(key, known_names(), n=4, cutoff=0.6)
        hint = f"; close: {', '.join(close)}" if close else ""
        raise DataError(f"unknown code or name {code_or_name!r}{hint} (the mapping table "
                        "neuroscape/assess/data/loinc.yaml lists every accepted code and name)")
    return entry


def is_mapped(code_or_name: str) -> bool:
    """Whether lookup() knows `code_or_name` (without building lookup's error message and close names)."""
    return " ".join(str(code_or_name).strip().lower().split()) in _index()


def loinc_property(code: str) -> Optional[str]:
    for e in table().entries:
        for c in e.loinc:
            if c.code == code:
                return c.property
    return None


def drug_for_rxnorm(code: str) -> Optional[str]:
    """The library drug of an RxNorm ingredient RXCUI (verified codes only; data/rxnorm.yaml)."""
    row = rxnorm_table().ingredients.get(str(code))
    return row.drug if row is not None and row.verified else None


# ---- RxNorm: ingredients, clinical drugs and the strength in a drug's name ----------------------

class RxIngredient(_Strict):
    drug: str
    source: str
    verified: bool = True
    note: str = ""


class RxClinicalDrug(_Strict):
    name: str
    source: str


class RxTable(_Strict):
    references: dict[str, dict]
    ingredients: dict[str, RxIngredient]
    clinical_drugs: dict[str, RxClinicalDrug]


@lru_cache(maxsize=1)
def rxnorm_table() -> RxTable:
    text = resources.files("neuroscape.assess").joinpath("data/rxnorm.yaml").read_text()
    raw = {k: v for k, v in yaml.safe_load(text).items() if k != "version"}
    try:
        t = RxTable.model_validate(raw)
    except ValidationError as exc:
        raise DataError(f"assess/data/rxnorm.yaml is invalid: {exc}") from None
    for code, row in t.clinical_drugs.items():
        if product(row.name) is None:
            raise DataError(f"assess/data/rxnorm.yaml: clinical drug {code} {row.name!r} names no strength")
    return t


@dataclass(frozen=True)
class Strength:
    """One ingredient of a product: `mg` per dose unit (tablet, capsule) or, with per 'mL', per millilitre.
    `drug` is the library drug, None when the library does not model the ingredient."""

    ingredient: str
    drug: Optional[str]
    mg: float
    per: Literal["unit", "mL"]


@dataclass(frozen=True)
class Product:
    """A medicinal product read from its name (RxNorm SCD/SBD names, or text written like them)."""

    name: str
    strengths: tuple[Strength, ...]
    form: str
    modified_release: bool


# "24 HR ", "12 HR " (release duration) and "1 ML " (a package volume) lead some RxNorm names.
_LEAD = re.compile(r"^(?:[A-Za-z -]*?\b)?(?:\d+(?:\.\d+)?\s*(?:HR|ML)\s+)+", re.I)
_PART = re.compile(r"^(?P<ing>.*?[A-Za-z].*?)\s*(?P<amount>\d+(?:\.\d+)?)\s*(?P<unit>MCG|MG|G)(?:/(?P<per>ML))?"
                   r"(?![A-Za-z])(?P<rest>.*)$", re.I)
_MG = {"mg": 1.0, "mcg": 1e-3, "g": 1e3}


def drugs_in(text: str) -> list[str]:
    """Library drugs named in `text` (word match, so 'citalopram' is not found in 'escitalopram');
    failing that, a brand or alias from the mapping table ('Lexapro' -> escitalopram)."""
    from ..pharmacology.library import drug_names

    low = text.lower()
    hits = [d for d in drug_names() if re.search(rf"\b{re.escape(d)}\b", low)]
    if hits:
        return hits
    aliases = {n: e.drug for e in table().entries if e.drug for n in e.names}
    return sorted({d for n, d in aliases.items() if re.search(rf"\b{re.escape(n)}\b", low)})


def close_drug(word: str) -> Optional[str]:
    """The library drug that `word` is probably a misspelling of (difflib ratio >= TYPO_RATIO), or None."""
    from ..pharmacology.library import drug_names

    close = difflib.get_close_matches(word.lower(), drug_names(), n=1, cutoff=TYPO_RATIO)
    return close[0] if close else None


# A name this similar to a mapped one is taken as its misspelling (an error to fix), a less similar one as
# something the model does not use (skipped). 0.84 separates the misspellings seen in records ('tryptofan'
# 0.84, 'tyrosin' 0.93, 'escitalopam' 0.96) from real analytes near a mapped name ('cortisone' 0.82 from
# cortisol, 'estrone' 0.74 from progesterone). Chosen on those examples (assumed, not a published value).
TYPO_RATIO = 0.84


def close_name(name: str) -> Optional[str]:
    """The mapping-table name that `name` is probably a misspelling of, or None (codes are not compared)."""
    names = [n for n in known_names() if not n[:1].isdigit()]
    key = " ".join(str(name).strip().lower().split())
    close = difflib.get_close_matches(key, names, n=1, cutoff=TYPO_RATIO)
    return close[0] if close and close[0] != key else None


def product(name: str) -> Optional[Product]:
    """The ingredients and strengths in a drug name, e.g. 'carbidopa 25 MG / levodopa 100 MG Oral Tablet',
    '24 HR venlafaxine 150 MG Extended Release Oral Capsule', 'sertraline 20 MG/ML Oral Solution',
    'Escitalopram 10 mg tablet'. None when the name gives no strength.

        >>> [(s.drug, s.mg, s.per) for s in product("carbidopa 25 MG / levodopa 100 MG Oral Tablet").strengths]
        [('carbidopa', 25.0, 'unit'), ('levodopa', 100.0, 'unit')]
    """
    text = re.sub(r"\s*\[[^\]]*\]\s*$", "", str(name)).strip()  # "[Zoloft]": the brand of an SBD
    body = _LEAD.sub("", text)
    parts = [p.strip() for p in re.split(r"\s+/\s+", body) if p.strip()]
    strengths, rest = [], ""
    for part in parts:
        m = _PART.match(part)
        if m is None:
            return None
        ingredient = m["ing"].strip(" ,-")
        found = drugs_in(ingredient)
        mg = float(m["amount"]) * _MG[m["unit"].lower()]
        strengths.append(Strength(ingredient=ingredient, drug=found[0] if len(found) == 1 else None, mg=mg,
                                  per="mL" if m["per"] else "unit"))
        rest = m["rest"].strip()
    if not strengths:
        return None
    modified = bool(re.search(r"\b(extended|delayed|sustained|controlled) release\b|\b(er|xr|xl|sr|cr)\b|\b\d+ hr\b",
                              text, re.I))
    return Product(name=str(name), strengths=tuple(strengths), form=rest, modified_release=modified)


# ---- units -----------------------------------------------------------------------------------

# pint's registry and ucumvert's parser keep mutable caches and are not thread-safe (the service imports
# files in a thread pool; concurrent first parses raised RedefinitionError, KeyError, lark VisitError).
_PINT = threading.RLock()


@lru_cache(maxsize=1)
def registry():
    from ucumvert import PintUcumRegistry

    with _PINT:
        return PintUcumRegistry()


_ANNOTATION = re.compile(r"\{[^{}]*\}")


@lru_cache(maxsize=None)
def parse_ucum(text: str):
    """A pint Quantity of 1 `text` (UCUM). Raises DataError for text that is not UCUM."""
    text = str(text).strip()
    if not text:
        raise DataError("no unit given; write the UCUM unit, e.g. umol/L, ng/mL, ug/dL, nmol/L, %")
    if not _ANNOTATION.sub("", text):
        # UCUM: an annotation alone ("{ratio}", "{score}") is the unity 1; ucumvert returns the
        # bare parse token for it, which pint cannot multiply.
        return registry().Quantity(1, "dimensionless")
    try:
        with _PINT:
            q = registry().from_ucum(text)
    except Exception as exc:  # ucumvert raises lark/pint errors of several kinds
        raise DataError(f"unit {text!r} is not a UCUM unit ({type(exc).__name__}); write e.g. "
                        "umol/L, ng/mL, ug/dL, nmol/L, % (UCUM is case-sensitive; micro is u)") from None
    if not hasattr(q, "dimensionality"):  # another bare token: nothing pint can convert
        raise DataError(f"unit {text!r} is not a unit pint can convert; write e.g. umol/L, ng/mL, %")
    return q


MASS_CONC, MOLAR_CONC = "[mass] / [length] ** 3", "[substance] / [length] ** 3"  # pint's dimensionality
_DIMENSIONS = {
    MASS_CONC: ("mass concentration", "ng/mL"),
    MOLAR_CONC: ("molar concentration", "nmol/L"),
    "[substance] / [mass]": ("amount per tissue mass", "mmol/kg"),
    "dimensionless": ("dimensionless fraction", "% or 1"),
}


def _dimension_words(q) -> tuple[str, str]:
    dim = str(q.dimensionality)
    return _DIMENSIONS.get(dim, (f"quantity of dimension {dim}", "?"))


def to_model_unit(value: float, unit: str, entry: Entry) -> float:
    """`value` in `unit` (UCUM) expressed in the entry's model unit. DataError when the unit's
    dimension does not fit (the message names the expected dimension and an example unit)."""
    with _PINT:
        return _to_model_unit(value, unit, entry)


def _to_model_unit(value: float, unit: str, entry: Entry) -> float:
    given = parse_ucum(unit) * value
    target = parse_ucum(entry.ucum)
    if given.dimensionality == target.dimensionality:
        return float(given.to(target.units).magnitude) / float(target.magnitude)
    dims = (str(given.dimensionality), str(target.dimensionality))
    mw = entry.molar_mass_g_per_mol()
    if dims in ((MASS_CONC, MOLAR_CONC), (MOLAR_CONC, MASS_CONC)) and mw:
        g_per_mol = parse_ucum("g/mol") * mw
        converted = given / g_per_mol if dims[0] == MASS_CONC else given * g_per_mol
        return float(converted.to(target.units).magnitude) / float(target.magnitude)
    want, example = _dimension_words(target)
    got, _ = _dimension_words(given)
    if dims[1] in (MASS_CONC, MOLAR_CONC) and mw:
        want = "mass or molar concentration"
        example = "ng/mL, ug/dL, nmol/L or umol/L"
    raise DataError(f"unit {unit!r} is a {got}; {entry.label} needs a {want}, e.g. {example} "
                    f"(model unit {entry.unit})")
