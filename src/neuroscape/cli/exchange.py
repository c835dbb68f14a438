"""`neuroscape export omex PROTOCOL OUT.omex` and `neuroscape import sbml FILE`: model exchange
(docs/exchange.md). `export-sbml` stays its own command (cli/sbml.py)."""

from __future__ import annotations

import inspect
import json
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from ..errors import ModelError, NeuroscapeError, ProtocolError
from ._common import (
    check_output_file,
    console,
    fail,
    in_file,
    literal,
    output_file_problem,
    print_table,
    provenance,
    status,
    stop_on,
    written_whole,
)

export_app = typer.Typer(help="Export an experiment for other simulators (COMBINE archive).", no_args_is_help=True)
import_app = typer.Typer(help="Import models from other tools (SBML).", no_args_is_help=True)


@export_app.command("omex")
def export_omex(protocol: Path = typer.Argument(..., help="protocol file (.yaml or .json)"),
                out: Path = typer.Argument(..., help="output COMBINE archive (.omex)"),
                settings: list[str] = typer.Option([], "--set", metavar="NAME=VALUE",
                                                   help="a parameter value (repeatable), as for protocol run")):
    """Write a COMBINE archive: SBML model with the protocol's drugs and doses, SED-ML time course and
    readouts, manifest and metadata."""
    from ..io.omex import write_omex
    from ..protocol.run import with_settings
    from ..protocol.schema import load_protocol

    problems = [output_file_problem(out, "OUT", ("omex",), "experiment.omex")]
    loaded = None
    try:
        loaded = load_protocol(protocol)
        if settings:
            loaded = with_settings(loaded, settings)
    except ProtocolError as exc:
        problems.append(str(exc))
    stop_on(problems)
    try:
        with written_whole(out) as tmp:
            write_omex(loaded, tmp)
    except ProtocolError as exc:
        raise fail(in_file(exc, protocol), 2) from None
    except NeuroscapeError as exc:
        raise fail(in_file(exc, protocol), 1) from None
    console.print(f"wrote {literal(out)} (model.xml, simulation.sedml, manifest, metadata)", highlight=False)


@import_app.command("sbml")
def import_sbml(file: Path = typer.Argument(..., help="SBML file (Level 2 or 3)"),
                export: Optional[Path] = typer.Option(None, "--export",
                                                      help="write the imported network as SBML L3V2"),
                hours: Optional[float] = typer.Option(None, "--hours", min=0.0,
                                                      help="run the model this many hours and print the states"),
                as_json: bool = typer.Option(False, "--json", help="print the report as JSON")):
    """Load an SBML model as a neuroscape network: report what was read, optionally export or run it."""
    from ..io.sbml import write_sbml
    from ..io.sbml_import import load_sbml, run_imported

    if export is not None:
        check_output_file(export, "--export", ("xml", "sbml"), "imported.xml")
    try:
        with status(f"reading {file.name}"):
            imported = load_sbml(file)
        final = None
        if hours is not None:
            with status(f"running {file.name} for {hours:g} h (compiles the model first)"):
                model, states, _ = run_imported(imported, [0.0, hours])
            final = dict(zip(model.network.species_names, (float(v) for v in states[-1])))
        if export is not None:
            with written_whole(export) as tmp:
                write_sbml(imported.network, tmp)
    except ModelError as exc:
        raise fail(in_file(exc, file), 1) from None
    net = imported.network
    report = {"file": str(file), "network": net.name, "species": len(net.species),
              "parameters": len(net.parameters), "assignment_rules_and_rates": len(net.expressions),
              "reactions": len(net.reactions), "events": len(imported.events), "time_unit": imported.time_unit,
              "hours_per_model_time": imported.hours_per_model_time, "notes": list(imported.notes),
              "renamed": dict(imported.renamed), "readouts": sorted(r.quantity for r in net.readouts)}
    if final is not None:
        report["states_at_h"] = {"at_h": hours, "values": final}
    tolerances = {k: p.default for k, p in inspect.signature(run_imported).parameters.items() if k in ("rtol", "atol")}
    report["provenance"] = provenance(file=str(file), solver=tolerances if hours is not None else None)
    if as_json:
        sys.stdout.write(json.dumps(report, indent=1) + "\n")
        return
    table = Table(title=f"{file.name}: imported as network {net.name}")
    table.add_column("item")
    table.add_column("value")
    for key in ("species", "parameters", "assignment_rules_and_rates", "reactions", "events", "time_unit"):
        table.add_row(key.replace("_", " "), str(report[key]))
    print_table(table)
    for line in imported.notes:
        console.print(f"note: {line}", highlight=False)
    for old, new in imported.renamed:
        console.print(f"renamed: {old} -> {new} (clashes with Python or neuroscape names)", highlight=False)
    examples = [r.quantity for r in net.readouts if r.description.startswith("SBML species")][:3]
    console.print(f"readouts for a protocol with model: {file.name}: sbml.<id>, e.g. {', '.join(examples)}",
                  highlight=False)
    if final is not None:
        states = Table(title=f"states at {hours:g} h")
        states.add_column("species")
        states.add_column("value")
        for name, value in final.items():
            states.add_row(name, f"{value:.6g}")
        print_table(states)
    if export is not None:
        console.print(f"wrote {literal(export)}", highlight=False)
