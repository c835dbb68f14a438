"""`neuroscape protocol run FILE [--json] [--plot PNG]`: run one protocol file (PROTOCOL.md)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from ..errors import NeuroscapeError, ProtocolError
from ._common import console, err, fail

protocol_app = typer.Typer(help="Run experiment protocol files (PROTOCOL.md).", no_args_is_help=True)


@protocol_app.command("run")
def protocol_run(file: Path = typer.Argument(..., help="protocol file (.yaml or .json)"),
                 as_json: bool = typer.Option(False, "--json", help="print the result as JSON"),
                 plot: Optional[Path] = typer.Option(None, "--plot", help="write a PNG of the readouts")):
    """Run one protocol file and print its readouts."""
    from ..protocol.run import run_protocol
    from ..protocol.schema import load_protocol

    try:
        protocol = load_protocol(file)
        if protocol.model is not None:  # an external SBML model (docs/exchange.md)
            from ..io.external_protocol import run_external

            result = run_external(protocol)
        else:
            result = run_protocol(protocol)
    except ProtocolError as exc:
        raise fail(exc, 2) from None
    except NeuroscapeError as exc:
        raise fail(exc, 1) from None
    if plot:
        from ..report.html import trajectory_figure

        if not plot.parent.is_dir():
            err.print(f"error: --plot {plot}: folder {plot.parent} does not exist; create it or choose "
                      "another path", highlight=False, soft_wrap=True)
            raise typer.Exit(2)
        trajectory_figure(result, plot)
    if as_json:
        sys.stdout.write(json.dumps(result.to_dict(), indent=1, allow_nan=False) + "\n")
        return
    table = Table(title=f"{result.protocol.name} (simulated scenario, not medical advice)")
    for col in ("id", "quantity", "region", "at_h", "value", "unit"):
        table.add_column(col)
    for rid, ro in result.readouts.items():
        value = (", ".join(f"{v:.4g}" for v in ro["value"]) if isinstance(ro["value"], list)
                 else f"{ro['value']:.4g}")
        table.add_row(rid, ro["quantity"], str(ro["region"] or ""), str(ro["at_h"]), value, ro["unit"])
    console.print(table)
