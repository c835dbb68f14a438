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
    rxnorm: dict[str, dict]
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


def loinc_property(code: str) -> Optional[str]:
    for e in table().entries:
        for c in e.loinc:
            if c.code == code:
                return c.property
    return None


def drug_for_rxnorm(code: str) -> Optional[str]:
    row = table().rxnorm.get(str(code))
    return row["drug"] if row else None


# ---- units -----------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def registry():
    from ucumvert import PintUcumRegistry

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
