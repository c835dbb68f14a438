"""`neuroscape nonmem EVENTS.csv`: model predictions at the observation records of a NONMEM-style event
table (io/nonmem.py), for one virtual subject given on the command line."""

from __future__ import annotations

import csv
import json
import math
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from ..errors import DataError, EngineError, ModelError, NeuroscapeError, ProtocolError
from ._common import console, err, fail

COLUMNS = ("ID", "TIME", "DRUG", "DV", "PRED", "RES", "UNIT")


def _pairs(option: str, texts: list[str], example: str) -> dict[str, str]:
    out = {}
    for text in texts:
        key, eq, value = text.partition("=")
        if not eq or not key.strip() or not value.strip():
            raise ProtocolError(f"{option} {text}: write {option} NAME=VALUE, e.g. {option} {example}")
        out[key.strip()] = value.strip()
    return out


def _subject(table, drug, sex, age, weight, genotypes, settings):
    from ..model.parameters import override_values
    from ..pharmacology.network import network_for
    from ..subject import Subject

    subject = Subject(sex=sex, age_years=age, weight_kg=weight,
                      genotypes=_pairs("--genotype", genotypes, "CYP2C19=poor"))
    values = _pairs("--set", settings, "citalopram_ka=0.8")
    if not values:
        return subject
    drugs = sorted({d.drug or drug for id in table.ids() for d in table.dose_events(id) if d.drug or drug})
    try:
        resolved = override_values(network_for(tuple(drugs)), values)
    except ModelError as exc:
        raise ProtocolError("\n".join(f"--set {name}={values[name]}: {msg}"
                                      for name, msg in exc.problems)) from None  # type: ignore[attr-defined]
    return Subject(sex=sex, age_years=age, weight_kg=weight, genotypes=dict(subject.genotypes), parameters=resolved)


def nonmem_command(events: Path = typer.Argument(..., help="NONMEM-style event table (ID, TIME, EVID, AMT, DV, "
                                                           "DRUG, ...; docs/exchange.md)"),
                   ids: list[int] = typer.Option([], "--id", help="an ID to predict (repeatable; default: all)"),
                   drug: Optional[str] = typer.Option(None, "--drug",
                                                      help="the drug of records without a DRUG value"),
                   sex: str = typer.Option("male", "--sex", help="male or female"),
                   age: float = typer.Option(35.0, "--age", help="age in years"),
                   weight: float = typer.Option(75.0, "--weight", help="body weight in kg"),
                   genotypes: list[str] = typer.Option([], "--genotype", metavar="GENE=VALUE",
                                                       help="a genotype (repeatable), e.g. CYP2C19='*2/*2' or "
                                                            "CYP2D6=poor"),
                   settings: list[str] = typer.Option([], "--set", metavar="NAME=VALUE",
                                                      help="a parameter value (repeatable), as for protocol run"),
                   ss_doses: int = typer.Option(20, "--ss-doses", min=1, max=1000,
                                                help="doses placed before an SS=1 record"),
                   fmt: str = typer.Option("csv", "--format", help="the table's separator: csv or space"),
                   out: Optional[Path] = typer.Option(None, "--out", help="write the predictions as FILE.csv "
                                                                          "(ID, TIME, DRUG, DV, PRED, RES, UNIT)"),
                   as_json: bool = typer.Option(False, "--json", help="print the predictions as JSON")):
    """Predict the plasma concentrations at the observation records of a NONMEM-style event table."""
    from ..io.nonmem import read_events
    from ..io.nonmem_predict import predict_events

    if out is not None:
        problem = ("is a folder; give a file name ending in .csv" if out.is_dir() else
                   "the file name must end in .csv" if out.suffix.lower() != ".csv" else
                   f"folder {out.parent} does not exist; create it or choose another path"
                   if not out.parent.is_dir() else None)
        if problem:
            err.print(f"error: --out {out}: {problem}", highlight=False, soft_wrap=True, markup=False)
            raise typer.Exit(2)
    try:
        table = read_events(events, format=fmt)
        unknown = [i for i in ids if i not in table.ids()]
        if unknown:
            raise DataError(f"--id {unknown[0]}: not in {events}; its IDs: "
                            f"{', '.join(map(str, table.ids()[:20]))}")
        subject = _subject(table, drug, sex, age, weight, genotypes, settings)
        predictions = predict_events(table, subject, ids=ids or None, drug=drug, ss_doses=ss_doses)
    except EngineError as exc:
        raise fail(exc, 1) from None
    except (DataError, ProtocolError, ModelError) as exc:
        raise fail(exc, 2) from None
    except NeuroscapeError as exc:
        raise fail(exc, 1) from None
    rows = [{"ID": p.id, "TIME": p.time_h, "DRUG": p.drug, "DV": p.dv, "PRED": p.pred, "RES": p.res,
             "UNIT": p.unit} for p in predictions]
    if out is not None:
        with open(out, "w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=COLUMNS)
            writer.writeheader()
            for r in rows:
                writer.writerow({k: "." if v is None else v for k, v in r.items()})  # NONMEM's missing value
    if as_json:
        clean = [{k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in r.items()}
                 for r in rows]
        sys.stdout.write(json.dumps({"events": str(events), "predictions": clean}, indent=1) + "\n")
        return
    view = Table(title=f"{events.name}: predictions at the observation records (simulated, not medical advice)")
    for col in COLUMNS:
        view.add_column(col)
    for r in rows:
        view.add_row(str(r["ID"]), f"{r['TIME']:g}", r["DRUG"], "." if r["DV"] is None else f"{r['DV']:.4g}",
                     f"{r['PRED']:.4g}", "." if r["RES"] is None else f"{r['RES']:.4g}", r["UNIT"])
    console.print(view)
