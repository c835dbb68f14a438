"""Calibration parameters and their population priors.

Each calibration parameter is a log-factor eta ~ N(0, omega^2) on one or more network parameters
(NONMEM's eta on a typical value): the prior median is the subject's covariate-adjusted value (sex,
weight, age group, genotype), so covariates move the prior and the data move the posterior.
Brain and plasma parameters take their geometric CV from the parameter tables (`cv:`); drug PK
takes the between-subject variability in assess/data/pk_variability.yaml, one factor for all of a
drug's elimination routes together (routes are not separately identifiable from plasma levels)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import yaml
from pydantic import ValidationError

from ..errors import DataError
from ..model.network import Network
from ..pharmacology.library import Provenance, drug_id, missing_basis_message


@dataclass(frozen=True)
class CalibrationParameter:
    """A log-normal factor on `targets` (network parameter names); prior sd `omega` on the log scale."""

    name: str
    targets: tuple[str, ...]
    omega: float
    group: str  # "physiology" or "pk:<drug>"
    source: str
    note: str = ""

    @property
    def prior_cv(self) -> float:
        return math.sqrt(math.exp(self.omega ** 2) - 1.0)


def omega_of(cv: float) -> float:
    """Log-scale sd of a log-normal with geometric coefficient of variation `cv`."""
    return math.sqrt(math.log1p(cv * cv))


@lru_cache(maxsize=1)
def _pk_table() -> dict:
    text = resources.files("neuroscape.assess").joinpath("data/pk_variability.yaml").read_text()
    table = yaml.safe_load(text)
    rows = [(f"default.{kind}", row) for kind, row in table["default"].items()]
    rows += [(f"drugs.{drug}.{kind}", row) for drug, kinds in table["drugs"].items() for kind, row in kinds.items()]
    for where, row in rows:  # every number has a source and a basis, refused at load time when missing
        try:
            _PkRow.model_validate(row)
        except ValidationError as exc:
            raise DataError(missing_basis_message(f"assess/data/pk_variability.yaml entry {where}", exc)
                            or f"assess/data/pk_variability.yaml entry {where} is invalid: {exc}") from None
    return table


class _PkRow(Provenance):
    cv: float
    source: str
    note: str = ""


def pk_variability_sources() -> list[tuple[str, str]]:
    """(source key, what it supports) for every row of the PK variability table."""
    table = _pk_table()
    rows = [(row["source"], f"pk-variability:default.{kind}") for kind, row in table["default"].items()]
    rows += [(row["source"], f"pk-variability:{drug}.{kind}")
             for drug, kinds in table["drugs"].items() for kind, row in kinds.items()]
    return rows


def pk_variability_numbers() -> list[tuple[str, str, str]]:
    """(label, source, basis) of every row of the PK variability table, for `cite` and `parameters`."""
    table = _pk_table()
    rows = [(f"default.{kind}", row) for kind, row in table["default"].items()]
    rows += [(f"{drug}.{kind}", row) for drug, kinds in table["drugs"].items() for kind, row in kinds.items()]
    return [(f"pk-variability:{what}", row["source"], row["basis"]) for what, row in rows]


_PK_GROUPS = {
    "clearance": lambda d, name: name.startswith((f"{d}_cl_", f"{d}_vmax_")),
    "volume": lambda d, name: name in (f"{d}_v", f"{d}_vp"),
    "absorption": lambda d, name: name == f"{d}_ka",
}


def calibration_parameters(network: Network) -> tuple[CalibrationParameter, ...]:
    """Every parameter of `network` that has a population prior, in network order."""
    out = []
    drugs = []
    for p in network.parameters:
        if p.prior is not None and not p.input:
            out.append(CalibrationParameter(p.name, (p.name,), omega_of(p.prior.cv), "physiology",
                                            p.source, p.note))
        if p.module.startswith("drug:") and p.module not in drugs:
            drugs.append(p.module)
    table = _pk_table()
    names = network.parameter_names
    for module in drugs:
        drug = module.split(":", 1)[1]
        d = drug_id(drug)
        rows = {**table["default"], **table["drugs"].get(drug, {})}
        for kind, member in _PK_GROUPS.items():
            targets = tuple(n for n in names if member(d, n))
            if not targets:
                continue
            row = rows.get(kind)
            if row is None or not 0 < row["cv"] < 3:
                raise DataError(f"assess/data/pk_variability.yaml: {drug}.{kind}.cv must be within 0-3")
            out.append(CalibrationParameter(f"{d}.{kind}", targets, omega_of(row["cv"]), f"pk:{drug}",
                                            row["source"], row.get("note", "")))
    return tuple(out)
