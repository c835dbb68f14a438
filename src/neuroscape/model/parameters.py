"""Parameter tables (data files under model/data/parameters) and the reference registry."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import yaml

from ..errors import ModelError
from .network import BASES, FITTED_BASES, FittedTo, Parameter, Prior

_ALLOWED = {"name", "value", "unit", "source", "basis", "fitted_to", "note", "cv", "bounds", "tags", "input",
            "regions"}


@lru_cache(maxsize=None)
def references() -> dict[str, dict]:
    text = resources.files("neuroscape.model").joinpath("data/references.yaml").read_text()
    return yaml.safe_load(text)


@lru_cache(maxsize=None)
def _raw_table(module: str) -> tuple[dict, ...]:
    path = resources.files("neuroscape.model").joinpath(f"data/parameters/{module}.yaml")
    return tuple(yaml.safe_load(path.read_text()))


def load_table(module: str) -> dict[str, Parameter]:
    """Parameters of one module; an entry with `regions` expands to `<name>_<region>` each."""
    refs = references()
    table: dict[str, Parameter] = {}
    for row in _raw_table(module):
        where = f"parameters/{module}.yaml entry {row.get('name')!r}"
        extra = set(row) - _ALLOWED
        if extra:
            raise ModelError(f"{where}: unknown key(s) {sorted(extra)}; allowed: {sorted(_ALLOWED)}")
        if row["source"] not in refs:
            raise ModelError(f"{where}: source {row['source']!r} is not in references.yaml")
        basis = _basis(row, where)
        if basis in ("fitted", "assumed") and not row.get("note"):
            raise ModelError(f"{where}: a {basis} value needs a note giving the reason")
        common = dict(unit=str(row["unit"]), source=row["source"], basis=basis,
                      note=row.get("note", ""), prior=Prior(row["cv"]) if "cv" in row else None,
                      bounds=tuple(row["bounds"]) if "bounds" in row else None,
                      tags=tuple(row.get("tags", ())), module=module, input=row.get("input", False),
                      fitted_to=_fitted_to(row, basis, where, refs))
        if "regions" in row:
            for region, value in row["regions"].items():
                name = f"{row['name']}_{region}"
                table[name] = Parameter(name=name, value=float(value), **common)
        else:
            table[row["name"]] = Parameter(name=row["name"], value=float(row["value"]), **common)
    return table


def _basis(row: dict, where: str) -> str:
    """The row's basis; none is an error (a silent default would hide how the value was obtained)."""
    basis = row.get("basis")
    if basis is None:
        raise ModelError(f"{where}: no basis; add basis: one of {', '.join(BASES)} (how the value was "
                         "obtained; fitted and derived values also need fitted_to: {sources: [key], data: "
                         "\"...\"}, see docs/validation.md)")
    if basis not in BASES:
        raise ModelError(f"{where}: basis {basis!r} is not one of {', '.join(BASES)}")
    return basis


def _fitted_to(row: dict, basis: str, where: str, refs: dict) -> FittedTo | None:
    spec = row.get("fitted_to")
    if spec is None:
        if basis in FITTED_BASES:
            raise ModelError(f"{where}: a {basis} value needs fitted_to: {{sources: [key, ...], data: \"...\"}} "
                             "naming the data it was fitted to or derived from")
        return None
    if basis not in FITTED_BASES:
        raise ModelError(f"{where}: fitted_to is for fitted or derived values; this one is {basis}")
    if not isinstance(spec, dict) or set(spec) - {"sources", "data"} or not spec.get("sources"):
        raise ModelError(f"{where}: fitted_to must be {{sources: [key, ...], data: \"...\"}}, got {spec!r}")
    unknown = [k for k in spec["sources"] if k not in refs]
    if unknown:
        raise ModelError(f"{where}: fitted_to source(s) {unknown} not in references.yaml")
    if basis == "fitted" and not spec.get("data"):
        raise ModelError(f"{where}: a fitted value needs fitted_to.data: the result it reproduces, in words")
    return FittedTo(tuple(spec["sources"]), str(spec.get("data", "")))
