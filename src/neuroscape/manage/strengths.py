"""Marketed strengths (data/strengths.yaml): which single doses a plan may propose for a drug product.

    products("bupropion")                      # (Product(formulation=None, ...), SR, XL)
    admissible_doses("escitalopram", max_units=2)   # (5, 10, 15, 20, 25, 30, 40) mg

A dose is a sum of at most `max_units` whole tablets or capsules of one product (a clinician writes
"10 mg + 5 mg", not "12.3 mg"); the label ceilings are applied by the safety rules, not here, so that a
search sees every dose and the rules say which ones they exclude and why.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from itertools import combinations_with_replacement
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..errors import DataError


class Product(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    drug: str
    formulation: str | None
    form: Literal["tablet", "capsule"]
    strengths_mg: tuple[float, ...] = Field(min_length=1)
    every_h: tuple[float, ...] = Field(min_length=1, description="the label's dosing intervals, usual first")
    source: str
    note: str = ""

    @model_validator(mode="after")
    def _positive_and_sorted(self) -> "Product":
        if any(s <= 0 for s in self.strengths_mg) or list(self.strengths_mg) != sorted(set(self.strengths_mg)):
            raise ValueError(f"{self.drug}: strengths_mg must be positive, distinct and ascending; "
                             f"got {list(self.strengths_mg)}")
        return self


class Supplement(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    strengths_mg: tuple[float, ...] = Field(min_length=1)
    every_h: tuple[float, ...] = Field(min_length=1)
    source: str
    note: str = ""


class HormoneProduct(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    strengths_mg: tuple[float, ...] = Field(min_length=1)
    every_h: tuple[float, ...] = Field(min_length=1)
    fits: Literal["postmenopausal"]
    source: str
    note: str = ""

    def fits_subject(self, subject) -> bool:
        return subject.sex == "female" and subject.reproductive_stage == self.fits


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: Literal[1]
    products: tuple[Product, ...]
    supplements: tuple[Supplement, ...] = ()
    hormones: tuple[HormoneProduct, ...] = ()


@lru_cache(maxsize=1)
def _file() -> _File:
    text = resources.files("neuroscape.manage").joinpath("data", "strengths.yaml").read_text(encoding="utf-8")
    try:
        data = _File.model_validate(yaml.safe_load(text))
    except ValidationError as exc:
        raise DataError(f"manage/data/strengths.yaml is malformed: {exc}") from None
    from ..interventions.nutrition import preset_names
    from ..pharmacology.library import load_drug

    for p in data.products:  # a product of an unknown drug or formulation is a data error, found at load
        drug = load_drug(p.drug)
        if p.formulation is not None:
            drug.formulation(p.formulation)
    for s in data.supplements:
        if s.name not in preset_names():
            raise DataError(f"manage/data/strengths.yaml: supplement {s.name!r} is not a nutrition preset")
    return data


def _products() -> tuple[Product, ...]:
    return _file().products


def hormones() -> tuple[HormoneProduct, ...]:
    """The hormone therapies a plan search may propose, with whom each fits."""
    return _file().hormones


def supplements() -> tuple[Supplement, ...]:
    """The supplements a plan search may propose, with their unit sizes."""
    return _file().supplements


def products(drug: str) -> tuple[Product, ...]:
    """The marketed products of `drug` (default product first); none for a metabolite."""
    from ..pharmacology.library import load_drug

    load_drug(drug)  # an unknown name gets the library's error, with its suggestions
    found = tuple(p for p in _products() if p.drug == drug)
    return tuple(sorted(found, key=lambda p: (p.formulation is not None, p.formulation or "")))


def admissible_doses(drug: str, formulation: str | None = None, *, max_units: int = 2) -> tuple[float, ...]:
    """Every single dose (mg) made of 1 to `max_units` units of the product, ascending."""
    found = next((p for p in products(drug) if p.formulation == formulation), None)
    if found is None:
        have = [p.formulation or "default" for p in products(drug)]
        raise DataError(f"{drug!r} has no marketed product {formulation or 'default'!r} in manage/data/strengths.yaml"
                        + (f"; products: {', '.join(have)}" if have else "; it is not dosed on its own"))
    return unit_sums(found.strengths_mg, max_units)


def product(drug: str, formulation: str | None = None) -> Product:
    found = next((p for p in products(drug) if p.formulation == formulation), None)
    if found is None:
        raise DataError(f"{drug!r} has no marketed product {formulation or 'default'!r} in manage/data/strengths.yaml")
    return found


def supplement_doses(name: str, *, max_units: int = 2) -> tuple[float, ...]:
    entry = next((s for s in supplements() if s.name == name), None)
    if entry is None:
        raise DataError(f"supplement {name!r} is not in manage/data/strengths.yaml; allowed: "
                        f"{', '.join(s.name for s in supplements())}")
    return unit_sums(entry.strengths_mg, max_units)


def unit_sums(strengths: tuple[float, ...], max_units: int) -> tuple[float, ...]:
    """Every dose made of 1 to `max_units` units of these strengths, ascending."""
    if not 1 <= max_units <= 6:
        raise DataError(f"max_units = {max_units!r}; use 1 to 6 tablets or capsules per dose")
    doses = {round(sum(c), 6) for k in range(1, max_units + 1) for c in combinations_with_replacement(strengths, k)}
    return tuple(sorted(doses))
