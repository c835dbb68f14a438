"""`neuroscape protocol run FILE [--json | --format table|csv|json] [--plot PNG]`: run one protocol file
(docs/protocol.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import numpy as np
import typer

from ..errors import NeuroscapeError, ProtocolError
from ._common import (
    fail,
    figure_suffixes,
    format_option,
    in_file,
    output_file_problem,
    output_format,
    print_rows,
    provenance,
    status,
    stop_on,
    written_whole,
)

protocol_app = typer.Typer(help="Run experiment protocol files (docs/protocol.md).", no_args_is_help=True)


@protocol_app.command("run")
def protocol_run(file: Path = typer.Argument(..., help="protocol file (.yaml or .json)"),
                 as_json: bool = typer.Option(False, "--json", help="print the result as JSON"),
                 plot: Optional[Path] = typer.Option(None, "--plot", help="write a figure of the readouts "
                                                     "(.png, .pdf, .svg, ...)"),
                 fmt: Optional[str] = format_option(),
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
    from ..io.tidy import out_problem
    from ..protocol.run import protocol_end_h, run_protocol, subject_of, with_settings
    from ..protocol.schema import load_protocol

    chosen = output_format(fmt, as_json)
    problems = [output_file_problem(plot, "--plot", figure_suffixes(), "readouts.png") if plot else None,
                out_problem(out) if out is not None else None]
    protocol = None
    try:  # the file and the options are checked together, before the simulation
        protocol = load_protocol(file)
        if settings:
            if protocol.model is not None:
                raise ProtocolError("--set: a protocol with model: runs an external SBML file; --set changes "
                                    "neuroscape's own parameters; remove --set or model:")
            protocol = with_settings(protocol, settings)
    except ProtocolError as exc:
        problems.append(str(exc))
    stop_on(problems)
    grid = () if step is None else np.arange(0.0, protocol_end_h(protocol) + step / 2, step)
    try:
        with status(f"simulating {protocol.name} (the first run compiles the model, about a minute)"):
            if protocol.model is not None:  # an external SBML model (docs/exchange.md)
                from ..io.external_protocol import run_external

                result = run_external(protocol, extra_times=grid)
            else:
                result = run_protocol(protocol, extra_times=grid)
    except ProtocolError as exc:
        raise fail(in_file(exc, file), 2) from None
    except NeuroscapeError as exc:
        raise fail(in_file(exc, file), 1) from None
    if out is not None:
        from ..io.tidy import protocol_rows, write_tidy

        write_tidy(protocol_rows(result, grid if step is not None else None), out)
    if plot:
        from ..report.html import trajectory_figure

        try:  # the plot simulates the protocol again on a dense grid
            with written_whole(plot) as tmp:
                trajectory_figure(result, tmp)
        except NeuroscapeError as exc:
            raise fail(in_file(exc, file), 1) from None
    rows = [{"id": rid, "quantity": ro["quantity"], "region": ro["region"],
             "at_h": ro["at_h"] if "at_h" in ro else f"{ro['summary']} over {ro['over_h']}",
             "value": ro["value"], "unit": ro["unit"]} for rid, ro in result.readouts.items()]
    subject = subject_of(protocol) if protocol.model is None else None
    payload = {**result.to_dict(), "provenance": provenance(subject=subject, file=str(file))}
    if chosen == "table":  # one row per readout, every value shown (a list of times gives a list of values)
        rows = [{**r, "at_h": r["at_h"] if isinstance(r["at_h"], str) else _values(r["at_h"], "g"),
                 "value": _values(r["value"], ".4g")} for r in rows]
    elif chosen == "csv":  # tidy: one row per readout and time, full precision
        rows = [{**r, "at_h": t, "value": repr(v)} for r in rows
                for t, v in (zip(r["at_h"], r["value"]) if isinstance(r["at_h"], list) else [(r["at_h"], r["value"])])]
    print_rows(rows, {k: k for k in ("id", "quantity", "region", "at_h", "value", "unit")}, chosen,
               title=f"{protocol.name} (simulated scenario, not medical advice)", payload=payload)


def _values(value, spec: str) -> str:
    return ", ".join(format(v, spec) for v in value) if isinstance(value, list) else format(value, spec)
