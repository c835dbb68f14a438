"""`neuroscape protocol run FILE [--json] [--plot PNG]`: run one protocol file (PROTOCOL.md)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import numpy as np
import typer
from rich.table import Table

from ..errors import NeuroscapeError, ProtocolError
from ._common import console, err, fail

protocol_app = typer.Typer(help="Run experiment protocol files (PROTOCOL.md).", no_args_is_help=True)


@protocol_app.command("run")
def protocol_run(file: Path = typer.Argument(..., help="protocol file (.yaml or .json)"),
                 as_json: bool = typer.Option(False, "--json", help="print the result as JSON"),
                 plot: Optional[Path] = typer.Option(None, "--plot", help="write a PNG of the readouts"),
                 settings: list[str] = typer.Option(
                     [], "--set", metavar="NAME=VALUE",
                     help="a parameter value for this run (repeatable), e.g. --set sert_km=0.08 or "
                          "--set rel_5ht='2 1/h'; over the protocol's parameters:"),
                 out: Optional[Path] = typer.Option(
                     None, "--out", help="write the time courses as a tidy table (FILE.csv or FILE.parquet): "
                                         "time_h, readout, region, value, unit"),
                 step: Optional[float] = typer.Option(
                     None, "--step", min=0.001, help="with --out: also every STEP hours from 0 to the last "
                                                     "readout time")):
    """Run one protocol file and print its readouts."""
    from ..protocol.run import protocol_end_h, run_protocol, with_settings
    from ..protocol.schema import load_protocol

    if out is not None:
        from ..io.tidy import out_problem

        if out_problem(out):
            err.print(f"error: {out_problem(out)}", highlight=False, soft_wrap=True, markup=False)
            raise typer.Exit(2)
    try:
        protocol = load_protocol(file)
        if settings:
            if protocol.model is not None:
                raise ProtocolError("--set: a protocol with model: runs an external SBML file; --set changes "
                                    "neuroscape's own parameters; remove --set or model:")
            protocol = with_settings(protocol, settings)
        grid = ()
        if step is not None:
            grid = np.arange(0.0, protocol_end_h(protocol) + step / 2, step)
        if protocol.model is not None:  # an external SBML model (docs/exchange.md)
            from ..io.external_protocol import run_external

            result = run_external(protocol, extra_times=grid)
        else:
            result = run_protocol(protocol, extra_times=grid)
    except ProtocolError as exc:
        raise fail(exc, 2) from None
    except NeuroscapeError as exc:
        raise fail(exc, 1) from None
    if out is not None:
        from ..io.tidy import protocol_rows, write_tidy

        write_tidy(protocol_rows(result, grid if step is not None else None), out)
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
        at = ro["at_h"] if "at_h" in ro else f"{ro['summary']} over {ro['over_h']}"
        table.add_row(rid, ro["quantity"], str(ro["region"] or ""), str(at), value, ro["unit"])
    console.print(table)
