"""`neuroscape drugs list|show`: the drug library, every number with its source."""

from __future__ import annotations

import json
import sys
from typing import Optional

import typer
from rich.markup import escape

from ..errors import NeuroscapeError
from ..textfiles import unusual_characters
from ._common import all_references, console, err, literal, format_option, output_format, print_rows

drugs_app = typer.Typer(help="The drug library: PK, targets and limits, with sources.", no_args_is_help=True)


@drugs_app.command("list")
def drugs_list(as_json: bool = typer.Option(False, "--json", help="print as JSON"),
               fmt: Optional[str] = format_option()):
    """List the drugs and active metabolites in the library."""
    from ..pharmacology.library import drug_names, load_drug
    from ..pharmacology.pk import half_life_h, linear_pk

    chosen = output_format(fmt, as_json)
    rows = []
    for name in drug_names():
        d = load_drug(name)
        try:
            t_half = round(half_life_h(linear_pk(d)), 1)
        except NeuroscapeError:
            t_half = None  # non-linear PK
        rows.append({"name": name, "kind": d.kind, "class": d.drug_class,
                     "targets": [t.target for t in d.targets], "half_life_h": t_half,
                     "label_max_daily_mg": d.label_max_daily_mg.value if d.label_max_daily_mg else None})
    shown = rows if chosen == "json" else [
        {**r, "half_life_h": "non-linear" if r["half_life_h"] is None else f"{r['half_life_h']:g}",
         "label_max_daily_mg": "" if r["label_max_daily_mg"] is None else f"{r['label_max_daily_mg']:g}"}
        for r in rows]
    print_rows(shown, {"name": "name", "kind": "kind", "class": "class", "targets": "targets",
                       "half_life_h": "t1/2 (h)", "label_max_daily_mg": "label max (mg/d)"}, chosen,
               title="drug library")


@drugs_app.command("show")
def drugs_show(name: str = typer.Argument(..., help="a drug name from `neuroscape drugs list`"),
               as_json: bool = typer.Option(False, "--json", help="print as JSON")):
    """Show one drug with every number and its source."""
    from ..pharmacology.library import load_drug

    try:
        drug = load_drug(name)
    except NeuroscapeError as exc:
        note = unusual_characters(name)
        err.print(f"error: {literal(exc)}{literal('; ' + note) if note else ''}", highlight=False, soft_wrap=True)
        raise typer.Exit(2)
    data = drug.model_dump(exclude_none=True)
    if as_json:
        sys.stdout.write(json.dumps(data, indent=1) + "\n")
        return
    refs = all_references()
    used = set()

    def show(obj, indent=0):
        pad = "  " * indent
        for key, value in obj.items() if isinstance(obj, dict) else enumerate(obj):
            if isinstance(value, dict) and "value" in value and "source" in value:
                used.add(value["source"])
                note = f" ({value['note']})" if value.get("note") else ""
                fitted = value.get("fitted_to")
                basis = value.get("basis", "") + (f" to {', '.join(fitted['sources'])}" if fitted else "")
                # escaped: rich would read "[source; basis]" as a markup tag and drop it
                console.print(escape(f"{pad}{key}: {value['value']:g} [{value['source']}; {basis}]{note}"),
                              highlight=False)
            elif isinstance(value, (dict, list, tuple)):
                if value:
                    console.print(f"{pad}{key}:", highlight=False)
                    show(value, indent + 1)
            else:
                console.print(f"{pad}{key}: {value}", highlight=False)

    show(data)
    console.print("\nsources:")
    for key in sorted(used):
        ref = refs.get(key, {})
        ident = f" doi:{ref['doi']}" if ref.get("doi") else (f" PMID {ref['pmid']}" if ref.get("pmid") else "")
        console.print(f"  [{key}] {ref.get('citation', '(see note)')}{ident}", highlight=False)
