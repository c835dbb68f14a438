"""`neuroscape cite` and `neuroscape parameters`: the sources and values behind the model."""

from __future__ import annotations

import json
import sys
from typing import Optional

import typer
from rich.table import Table

from ._common import all_references, console


def cite(as_json: bool = typer.Option(False, "--json", help="print as JSON")):
    """List every source behind the parameters of the current model."""
    from ..model.library import default_network
    from ..pharmacology.library import drug_names, load_drug

    refs = all_references()
    net = default_network()
    used: dict[str, list[str]] = {}
    for p in net.parameters:
        used.setdefault(p.source, []).append(p.name)
    for name in drug_names():
        for key in _sources_in(load_drug(name).model_dump(exclude_none=True)):
            used.setdefault(key, []).append(f"drug:{name}")
    # Assessment tables: measurement error models, plausibility ranges, molar masses, PK priors.
    from ..assess.priors import pk_variability_sources
    from ..assess.units import table

    for entry in table().entries:
        for key in _sources_in(entry.model_dump(exclude_none=True)):
            used.setdefault(key, []).append(f"observation:{entry.key}")
    for key, what in pk_variability_sources():
        used.setdefault(key, []).append(what)
    entries = [{"key": k, **refs.get(k, {"citation": "(missing from the reference files)"}),
                "parameters": sorted(set(v))} for k, v in sorted(used.items())]
    if as_json:
        sys.stdout.write(json.dumps(entries, indent=1) + "\n")
        return
    for e in entries:
        ident = e.get("doi") and f"doi:{e['doi']}" or e.get("pmid") and f"PMID/PMC {e['pmid']}" or ""
        console.print(f"[bold]{e['key']}[/bold] [{e.get('tag', '')}] {e['citation']} {ident}", highlight=False)
        console.print(f"    {len(e['parameters'])} parameters: {', '.join(e['parameters'])}", highlight=False)


def _sources_in(obj) -> set[str]:
    if isinstance(obj, dict):
        found = {obj["source"]} if isinstance(obj.get("source"), str) else set()
        for value in obj.values():
            found |= _sources_in(value)
        return found
    if isinstance(obj, (list, tuple)):
        return set().union(*(_sources_in(v) for v in obj)) if obj else set()
    return set()


def parameters(module: Optional[str] = typer.Option(None, help="only this module")):
    """Print the parameter table: value, unit, basis and source of each."""
    from ..model.library import default_network

    table = Table(title="parameters")
    for col in ("name", "value", "unit", "basis", "source", "note"):
        table.add_column(col, overflow="fold")
    for p in default_network().parameters:
        if module is None or p.module == module:
            table.add_row(p.name, f"{p.value:.4g}", p.unit, p.basis, p.source, p.note[:80])
    console.print(table)
