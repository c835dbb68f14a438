"""`neuroscape scan PROTOCOL --vary NAME=LO:HI:N` and `neuroscape sensitivity PROTOCOL`: parameter scans
and local sensitivities of a protocol's readouts (docs/protocol.md)."""

from __future__ import annotations

import csv
import json
import math
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from ..errors import NeuroscapeError, ProtocolError
from ._common import console, err, fail, status

TABLE_FORMATS = (".csv", ".json")
_SET_HELP = "a parameter value for every run (repeatable), e.g. --set sert_km=0.08, as for protocol run"
_READOUT_HELP = "a readout id of the protocol to report (repeatable; default: every readout)"


def _path_problem(option: str, path: Optional[Path], suffixes: tuple[str, ...]) -> str | None:
    if path is None:
        return None
    if path.is_dir():
        return f"{option} {path}: is a folder; give a file name ending in {' or '.join(suffixes)}"
    if path.suffix.lower() not in suffixes:
        return f"{option} {path}: the file name must end in {' or '.join(suffixes)}"
    if not path.parent.is_dir():
        return f"{option} {path}: folder {path.parent} does not exist; create it or choose another path"
    return None


def _check_paths(*checks) -> None:
    for option, path, suffixes in checks:
        problem = _path_problem(option, path, suffixes)
        if problem:
            err.print(f"error: {problem}", highlight=False, soft_wrap=True, markup=False)
            raise typer.Exit(2)


def _load(file: Path, settings: list[str], readouts: list[str]):
    from ..protocol.run import with_settings
    from ..protocol.scan import select_readouts
    from ..protocol.schema import load_protocol

    protocol = load_protocol(file)
    if protocol.model is not None:
        raise ProtocolError("model: scans and sensitivities run neuroscape's own model; remove model:")
    protocol = with_settings(protocol, settings) if settings else protocol
    return select_readouts(protocol, readouts)


def _write_rows(rows: list[dict], path: Path) -> None:
    if path.suffix.lower() == ".json":
        path.write_text(json.dumps([{k: (None if isinstance(v, float) and not math.isfinite(v) else v)
                                     for k, v in r.items()} for r in rows], indent=1) + "\n", encoding="utf-8")
        return
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]) if rows else [])
        writer.writeheader()
        for r in rows:
            writer.writerow({k: ("" if v is None else v) for k, v in r.items()})


def _clean(rows: list[dict]) -> list[dict]:
    return [{k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in r.items()} for r in rows]


def scan_command(file: Path = typer.Argument(..., help="protocol file (.yaml or .json)"),
                 vary: str = typer.Option(..., "--vary", metavar="NAME=LO:HI:N",
                                          help="the parameter and its grid: N values from LO to HI (numbers in the "
                                               "table's unit or values with units), e.g. sert_km=0.03:0.12:7"),
                 log: bool = typer.Option(False, "--log", help="space the values evenly on a log scale"),
                 readouts: list[str] = typer.Option([], "--readout", help=_READOUT_HELP),
                 settings: list[str] = typer.Option([], "--set", metavar="NAME=VALUE", help=_SET_HELP),
                 plot: Optional[Path] = typer.Option(None, "--plot", help="write a PNG of readout against parameter"),
                 table: Optional[Path] = typer.Option(None, "--table", help="write the rows as FILE.csv or FILE.json"),
                 as_json: bool = typer.Option(False, "--json", help="print the rows as JSON")):
    """Run a protocol over a grid of one parameter's values (one batch) and tabulate or plot every readout."""
    from ..protocol.scan import scan, scan_grid

    _check_paths(("--plot", plot, (".png",)), ("--table", table, TABLE_FORMATS))
    try:
        protocol = _load(file, settings, readouts)
        name, values = scan_grid(protocol, vary, log=log)
        with status(f"scanning {name} over {len(values)} values (one batch)"):
            result = scan(protocol, name, values, log=log)
    except ProtocolError as exc:
        raise fail(exc, 2) from None
    except NeuroscapeError as exc:
        raise fail(exc, 1) from None
    rows = _clean(result.rows())
    if plot is not None:
        from ..report.scan import scan_figure

        scan_figure(result, plot)
    if table is not None:
        _write_rows(rows, table)
    if as_json:
        sys.stdout.write(json.dumps({"protocol": protocol.name, "parameter": name, "unit": result.unit,
                                     "log": log, "rows": rows}, indent=1, allow_nan=False) + "\n")
        return
    out = Table(title=f"{protocol.name}: scan of {name} [{result.unit}] (simulated scenario, not medical advice)")
    for col in (name, "readout", "time_h", "value", "unit", "status"):
        out.add_column(col)
    for r in rows:
        out.add_row(f"{r[name]:.4g}", r["readout"], "" if r["time_h"] is None else f"{r['time_h']:g}",
                    "" if r["value"] is None else f"{r['value']:.4g}", r["unit"], r["status"])
    console.print(out)


def sensitivity_command(file: Path = typer.Argument(..., help="protocol file (.yaml or .json)"),
                        readouts: list[str] = typer.Option([], "--readout", help=_READOUT_HELP),
                        parameters: list[str] = typer.Option(
                            [], "--parameter", help="a parameter to perturb (repeatable; default: every non-zero, "
                                                    "non-constant, non-input parameter of the protocol's model)"),
                        method: str = typer.Option("central", "--method",
                                                   help="central (central differences of the protocol's runs) or "
                                                        "steady (the subject's steady state: -J^-1 df/dp)"),
                        top: int = typer.Option(20, "--top", min=1, help="show the N largest |S| per readout"),
                        settings: list[str] = typer.Option([], "--set", metavar="NAME=VALUE", help=_SET_HELP),
                        table: Optional[Path] = typer.Option(None, "--table",
                                                             help="write every row as FILE.csv or FILE.json"),
                        as_json: bool = typer.Option(False, "--json", help="print every row as JSON")):
    """Normalised local sensitivities d ln(readout) / d ln(parameter) of a protocol's readouts."""
    from ..protocol.sensitivity import METHODS, check_parameters, sensitivities

    _check_paths(("--table", table, TABLE_FORMATS))
    if method not in METHODS:
        err.print(f"error: --method {method}: allowed: {', '.join(METHODS)}", highlight=False, markup=False)
        raise typer.Exit(2)
    try:
        protocol = _load(file, settings, readouts)
        names = check_parameters(protocol, parameters) if parameters else None
        with status(f"local sensitivities ({method}); the central method runs 2 simulations per parameter"):
            result = sensitivities(protocol, names, method=method)
    except ProtocolError as exc:
        raise fail(exc, 2) from None
    except NeuroscapeError as exc:
        raise fail(exc, 1) from None
    rows = _clean([{"parameter": r.parameter, "readout": r.readout, "time_h": r.time_h, "value": r.value,
                    "sensitivity": r.sensitivity} for r in result.rows])
    if table is not None:
        _write_rows(rows, table)
    if as_json:
        sys.stdout.write(json.dumps({"protocol": protocol.name, "method": method, "rows": rows}, indent=1,
                                    allow_nan=False) + "\n")
        return
    out = Table(title=f"{protocol.name}: d ln(readout) / d ln(parameter), {method} (simulated, not medical advice)")
    for col in ("readout", "time_h", "parameter", "S", "readout value"):
        out.add_column(col)
    groups: dict[tuple, list[dict]] = {}
    for r in rows:
        groups.setdefault((r["readout"], r["time_h"]), []).append(r)
    for (rid, t), group in groups.items():
        ranked = sorted(group, key=lambda r: -abs(r["sensitivity"]) if r["sensitivity"] is not None else 0.0)
        for r in ranked[:top]:
            out.add_row(rid, "" if t is None else f"{t:g}", r["parameter"],
                        "n/a" if r["sensitivity"] is None else f"{r['sensitivity']:+.4f}", f"{r['value']:.4g}")
    console.print(out)
