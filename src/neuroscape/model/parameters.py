"""Parameter tables (data files under model/data/parameters) and the reference registry."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import yaml

from ..errors import ModelError
from .network import Parameter, Prior

_ALLOWED = {"name", "value", "unit", "source", "basis", "note", "cv", "bounds", "tags", "input",
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
        basis = row.get("basis", "model")
        if basis in ("fitted", "assumed") and not row.get("note"):
            raise ModelError(f"{where}: a {basis} value needs a note giving the reason")
        common = dict(unit=str(row["unit"]), source=row["source"], basis=basis,
                      note=row.get("note", ""), prior=Prior(row["cv"]) if "cv" in row else None,
                      bounds=tuple(row["bounds"]) if "bounds" in row else None,
                      tags=tuple(row.get("tags", ())), module=module, input=row.get("input", False))
        if "regions" in row:
            for region, value in row["regions"].items():
                name = f"{row['name']}_{region}"
                table[name] = Parameter(name=name, value=float(value), **common)
        else:
            table[row["name"]] = Parameter(name=row["name"], value=float(row["value"]), **common)
    return table
