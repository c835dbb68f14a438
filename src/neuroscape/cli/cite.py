"""`neuroscape cite` and `neuroscape parameters`: the sources, values and provenance behind the model."""

from __future__ import annotations

import json
import sys
from collections import Counter
from typing import Optional

import typer
from rich.markup import escape

from ._common import all_references, console, format_option, literal, output_format, print_rows


def _drug_numbers():
    """(label, Sourced) of every number of the drug library, e.g. `citalopram.targets[SERT].ec50_ng_per_mL`."""
    from ..pharmacology.library import drug_names, load_drug, numbers

    return [(f"{name}.{path}", s) for name in drug_names() for path, s in numbers(load_drug(name))]


def _table_numbers() -> dict[str, list[tuple[str, str, str, object]]]:
    """(label, source, basis, fitted_to) of the numbers in the data tables outside the model and the
    drug files, by table: pharmacogenomics (pgx.yaml) and the assessment's observation and PK
    variability tables (molar masses, plausible ranges, error models, priors)."""
    from ..assess.priors import pk_variability_numbers
    from ..assess.units import table
    from ..pharmacology.pgx import numbers as pgx_numbers

    observation = [(f"observation:{e.key}.{field}", v.source, v.basis, v.fitted_to)
                   for e in table().entries for field in ("molar_mass", "plausible", "error")
                   if (v := getattr(e, field)) is not None]
    observation += [(label, source, basis, None) for label, source, basis in pk_variability_numbers()]
    return {"pharmacogenomics": [(f"pgx:{label}", *rest) for label, *rest in pgx_numbers()],
            "observation tables": observation}


def _fitted_to_text(fitted) -> str:
    if fitted is None:
        return ""
    return ", ".join(fitted.sources) + (f": {fitted.data}" if fitted.data else "")


# What a reference's tag says about how its numbers were read (model/data/references.yaml, SOURCES.md).
TAGS = {"A": "read in the paper's abstract or opening",
        "C": "read in the model code or SBML (repository and path given)",
        "L": "label or secondary page (check against the FDA/EMA label before relying on it)",
        "R": "bibliographic detail recalled (check before relying on page numbers)",
        "U": "unconfirmed, assumed or fitted (not a test target until checked)"}


def tag_legend() -> str:
    return "tags: " + "; ".join(f"[{tag}] {meaning}" for tag, meaning in TAGS.items())


def cite(as_json: bool = typer.Option(False, "--json", help="print as JSON"),
         fmt: Optional[str] = format_option(" (csv: one row per source)")):
    """List every source behind the parameters of the current model, with each value's basis."""
    from ..model.library import default_network
    from ..pharmacology.library import drug_names, load_drug

    refs = all_references()
    net = default_network()
    used: dict[str, list[str]] = {}
    bases: dict[str, dict[str, str]] = {}
    fitted_here: dict[str, set[str]] = {}
    for p in net.parameters:
        used.setdefault(p.source, []).append(p.name)
        bases.setdefault(p.source, {})[p.name] = p.basis
        for key in p.fitted_to.sources if p.fitted_to else ():
            fitted_here.setdefault(key, set()).add(p.name)
    for name in drug_names():
        for key in _sources_in(load_drug(name).model_dump(exclude_none=True)):
            used.setdefault(key, []).append(f"drug:{name}")
    for label, s in _drug_numbers():
        bases.setdefault(s.source, {})[f"drug:{label}"] = s.basis
        for key in s.fitted_to.sources if s.fitted_to else ():
            fitted_here.setdefault(key, set()).add(f"drug:{label}")
    # Assessment tables: measurement error models, plausibility ranges, molar masses, PK priors.
    from ..assess.priors import pk_variability_sources
    from ..assess.units import table

    for entry in table().entries:
        for key in _sources_in(entry.model_dump(exclude_none=True)):
            used.setdefault(key, []).append(f"observation:{entry.key}")
    for key, what in pk_variability_sources():
        used.setdefault(key, []).append(what)
    for rows in _table_numbers().values():
        for label, source, basis, fitted in rows:
            used.setdefault(source, []).append(label)
            bases.setdefault(source, {})[label] = basis
            for key in fitted.sources if fitted else ():
                fitted_here.setdefault(key, set()).add(label)
    for key in fitted_here:
        used.setdefault(key, [])
    entries = [{"key": k, **refs.get(k, {"citation": "(missing from the reference files)"}),
                "parameters": sorted(set(v)), "basis": dict(sorted(bases.get(k, {}).items())),
                "fitted_to_this": sorted(fitted_here.get(k, ()))} for k, v in sorted(used.items())]
    for e in entries:  # the legend travels with each entry, so a JSON reader needs no other file
        e["tag_meaning"] = TAGS.get(e.get("tag", ""), "")
    chosen = output_format(fmt, as_json)
    if chosen == "json":
        sys.stdout.write(json.dumps(entries, indent=1) + "\n")
        return
    if chosen == "csv":
        print_rows([{**e, "n": len(e["parameters"])} for e in entries],
                   {"key": "key", "tag": "tag", "citation": "citation", "doi": "doi", "pmid": "pmid",
                    "n": "parameters", "tag_meaning": "tag meaning"}, "csv")
        return
    console.print(tag_legend(), highlight=False, markup=False)
    for e in entries:
        ident = e.get("doi") and f"doi:{e['doi']}" or e.get("pmid") and f"PMID/PMC {e['pmid']}" or ""
        tag = f"[{e.get('tag', '')}]"
        console.print(f"[bold]{literal(e['key'])}[/bold] {literal(tag)} {literal(e['citation'])} {ident}",
                      highlight=False)
        counts = Counter(e["basis"].values())
        by_basis = f" ({', '.join(f'{n} {b}' for b, n in sorted(counts.items()))})" if counts else ""
        # labels such as pgx:CYP2C19.clearance_multipliers[intermediate] are text, not rich markup
        console.print(f"    {len(e['parameters'])} parameters{by_basis}: {escape(', '.join(e['parameters']))}",
                      highlight=False)
        if e["fitted_to_this"]:
            console.print(f"    fitted to or derived from it: {escape(', '.join(e['fitted_to_this']))}",
                          highlight=False)


def _sources_in(obj) -> set[str]:
    if isinstance(obj, dict):
        found = {obj["source"]} if isinstance(obj.get("source"), str) else set()
        for value in obj.values():
            found |= _sources_in(value)
        return found
    if isinstance(obj, (list, tuple)):
        return set().union(*(_sources_in(v) for v in obj)) if obj else set()
    return set()


def parameters(module: Optional[str] = typer.Option(None, help="only this module"),
               summary: bool = typer.Option(False, "--summary",
                                            help="count parameters by basis per module (and the drug "
                                                 "library, pharmacogenomics and observation tables)"),
               fmt: Optional[str] = format_option(),
               as_json: bool = typer.Option(False, "--json", help="print as JSON")):
    """Print the parameter table: value, unit, basis, source and fitted_to of each."""
    from ..model.library import default_network
    from ..model.network import BASES

    chosen = output_format(fmt, as_json)
    params = [p for p in default_network().parameters if module is None or p.module == module]
    if summary:
        counts: dict[str, Counter] = {}
        for p in params:
            counts.setdefault(p.module, Counter())[p.basis] += 1
        if module is None:
            counts["drug library"] = Counter(s.basis for _, s in _drug_numbers())
            for name, table_rows in _table_numbers().items():
                counts[name] = Counter(basis for _, _, basis, _ in table_rows)
        total: Counter = sum((c for c in counts.values()), Counter())
        rows = [{"module": name, **{b: c[b] for b in BASES}, "total": sum(c.values())} for name, c in counts.items()]
        rows.append({"module": "all", **{b: total[b] for b in BASES}, "total": sum(total.values())})
        print_rows(rows, {"module": "module", **{b: b for b in BASES}, "total": "total"}, chosen,
                   title="parameters by basis", right=(*BASES, "total"))
        return
    rows = [{"name": p.name, "module": p.module, "value": p.value, "unit": p.unit, "basis": p.basis,
             "source": p.source, "fitted_to": _fitted_to_text(p.fitted_to), "note": p.note} for p in params]
    if chosen == "table":  # a terminal shows the note's start; a pipe or file gets it whole
        rows = [{**r, "value": f"{r['value']:.4g}",
                 "note": r["note"][:80] if console.is_terminal else r["note"]} for r in rows]
    print_rows(rows, {k: k for k in ("name", "value", "unit", "basis", "source", "fitted_to", "note")}, chosen,
               title="parameters")
