"""What is allowed, listed: `neuroscape quantities` (readout quantities and regions), `neuroscape analytes`
(lab analytes with codes and units) and `neuroscape nutrition list` (nutrition presets).

Each reads the vocabulary from the place that owns it (the protocol schema and the default network, the
assessment's units table, the nutrition data files); nothing is restated here.
"""

from __future__ import annotations

from typing import Optional

import typer

from ._common import format_option, output_format, print_rows

nutrition_app = typer.Typer(help="Nutrition and supplement presets for protocol files.", no_args_is_help=True)


def quantity_rows() -> list[dict]:
    """One row per readout quantity a protocol may ask for: the named ones with their regions and unit, then
    the templates (<name> filled by a drug, target, enzyme, ...)."""
    from ..model.library import default_readouts
    from ..protocol.schema import KNOWN_QUANTITIES, QUANTITY_TEMPLATES, _named_quantities

    readouts = default_readouts()
    rows = []
    for quantity in _named_quantities():
        mine = [r for r in readouts if r.quantity == quantity]
        rows.append({"quantity": quantity, "regions": sorted({r.region for r in mine if r.region}),
                     "unit": mine[0].unit if mine else "", "kind": "named" if quantity in KNOWN_QUANTITIES
                     else "network", "description": mine[0].description if mine else ""})
    rows += [{"quantity": t, "regions": [], "unit": "", "kind": "template",
              "description": "<...> = letters, digits, '-', '_' (e.g. a drug, target or enzyme name)"}
             for t in QUANTITY_TEMPLATES]
    return rows


def quantities(fmt: Optional[str] = format_option(),
               as_json: bool = typer.Option(False, "--json", help="print as JSON")):
    """List the readout quantities and regions a protocol's readouts may name (PROTOCOL.md)."""
    from ..protocol.schema import _regions

    chosen = output_format(fmt, as_json)
    rows = quantity_rows()
    print_rows(rows, {"quantity": "quantity", "regions": "regions", "unit": "unit", "kind": "kind",
                      "description": "description"}, chosen, title="readout quantities (PROTOCOL.md)",
               payload={"quantities": rows, "regions": list(_regions())})
    if chosen == "table":
        typer.echo(f"regions: {', '.join(_regions())} (omit region for a quantity's default)")


def analyte_rows() -> list[dict]:
    from ..assess.units import table

    return [{"key": e.key, "label": e.label, "loinc": [c.code for c in e.loinc], "unit": e.unit, "ucum": e.ucum,
             "specimens": list(e.specimens), "names": list(e.names), "quantity": e.quantity}
            for e in table().entries]


def analytes(fmt: Optional[str] = format_option(),
             as_json: bool = typer.Option(False, "--json", help="print as JSON")):
    """List the lab analytes a patient file may hold: key, LOINC codes, model unit, UCUM unit, specimens and
    the names accepted for each (docs/assessment.md)."""
    print_rows(analyte_rows(), {"key": "key", "label": "label", "loinc": "LOINC", "ucum": "UCUM unit",
                                "specimens": "specimens", "names": "accepted names"},
               output_format(fmt, as_json), title="accepted lab analytes (assess/data/loinc.yaml)")


def nutrition_rows() -> list[dict]:
    from ..interventions.nutrition import presets

    return [{"name": name, "kind": p.get("kind", ""), "source": p.get("source", ""),
             "max_dose_mg": p.get("max_dose_mg"), "description": p.get("description", "")}
            for name, p in sorted(presets().items())]


@nutrition_app.command("list")
def nutrition_list(fmt: Optional[str] = format_option(),
                   as_json: bool = typer.Option(False, "--json", help="print as JSON")):
    """List the nutrition presets a protocol's `nutrition:` interventions may name."""
    print_rows(nutrition_rows(), {"name": "name", "kind": "kind", "max_dose_mg": "max dose (mg)",
                                  "source": "source", "description": "description"},
               output_format(fmt, as_json), title="nutrition presets (docs/interventions.md)")
