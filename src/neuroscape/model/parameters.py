"""Parameter tables (data files under model/data/parameters) and the reference registry."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import numpy as np
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


# --- overrides: a user's value for a named parameter (protocol `parameters:`, `--set`) -------------

def override_value(network, name: str, value) -> float:
    """The value of parameter `name` of `network` that `value` asks for, in the table's unit.

    `value` is a number in the table's unit (`neuroscape parameters` lists them) or a text with a
    unit that pint converts, e.g. "0.5 1/h" or "30 min^-1". Every parameter of the model is a
    non-negative quantity (rate constants, capacities, affinities, fractions), so a negative value
    is refused, as is a physical constant or unit conversion (basis: constant). Raises ModelError
    whose message names the parameter, the value and what is allowed (the caller prefixes where it
    was written).

    >>> from neuroscape.model.library import default_network
    >>> override_value(default_network(), "sert_km", "60 nM")
    0.06
    """
    from difflib import get_close_matches

    from ..units import Q_, parse_unit

    table = {p.name: p for p in network.parameters}
    param = table.get(name)
    if param is None:
        close = get_close_matches(name, list(table), n=3, cutoff=0.6)
        hint = f"did you mean {', '.join(close)}? " if close else ""
        raise ModelError(f"{name!r} is not a parameter of this model; {hint}`neuroscape parameters` lists "
                         "them (a drug's parameters exist when the protocol doses that drug)")
    if param.basis == "constant":
        raise ModelError(f"{name} is a physical constant or unit conversion ({param.value:g} {param.unit}) "
                         "and cannot be overridden; choose a model parameter")
    unit = parse_unit(param.unit)
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ModelError(f"{value!r} is not allowed for {name}: give a number in {param.unit} or a text with "
                         f"a unit, e.g. \"{param.value:g} {param.unit}\"")
    given = value  # the messages show the value as it was written
    if isinstance(value, str) and _is_number(value):
        value = float(value)  # a bare number (e.g. from `--set k=0.5`) is in the table's unit
    if isinstance(value, str):
        try:
            quantity = Q_(value.strip())
            number = float(quantity.to(unit).magnitude) if hasattr(quantity, "to") else float(quantity)
        except Exception as exc:  # noqa: BLE001 - pint raises several kinds for text it cannot read
            kind = ("has the wrong dimension" if "dimension" in type(exc).__name__.lower()
                    else "cannot be read as a number with a unit")
            raise ModelError(f"{value!r} {kind} for {name}, whose unit is {param.unit}; give a number in "
                             f"{param.unit} or a text with a unit, e.g. \"{param.value:g} {param.unit}\"") from None
    else:
        number = float(value)
    if not np.isfinite(number) or number < 0:
        raise ModelError(f"{given!r} is not allowed for {name}: every parameter of the model is a finite, "
                         f"non-negative number (the table's value is {param.value:g} {param.unit})")
    return number


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def override_values(network, values) -> dict[str, float]:
    """`override_value` for every item of the mapping `values`; one ModelError lists every problem,
    one per line, each starting with the parameter's name."""
    out, problems = {}, []
    for name, value in values.items():
        try:
            out[name] = override_value(network, name, value)
        except ModelError as exc:
            problems.append((name, str(exc)))
    if problems:
        error = ModelError("\n".join(f"{name}: {msg}" for name, msg in problems))
        error.problems = problems  # type: ignore[attr-defined]
        raise error
    return out
