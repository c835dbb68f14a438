"""`neuroscape patients list | show ID | export ID`: what the store holds (docs/store.md).

`assess --save` and `plan --save` write to the store; these commands only read it. The store is
`NEUROSCAPE_DB` (a SQLite file path or a postgresql+psycopg:// URL), else a SQLite file in the user's
data directory."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ..errors import DataError
from ._common import fail

patients_app = typer.Typer(help="Patients in the store (saved with assess --save / plan --save).",
                           no_args_is_help=True)


def _store():
    from ..store import open_store

    try:
        return open_store()
    except DataError as exc:
        raise fail(exc, 2) from None


@patients_app.command("list")
def list_patients(as_json: bool = typer.Option(False, "--json", help="print the list as JSON")):
    """Every stored patient with counts of imports, observations, assessments and plan searches."""
    store = _store()
    rows = store.patients()
    if as_json:
        sys.stdout.write(json.dumps({"store": store.url, "patients": rows}, indent=1) + "\n")
        return
    console = Console()
    table = Table(title=f"patients in {escape(store.url)}")
    for col in ("patient", "sex", "imports", "observations", "assessments", "plan searches"):
        table.add_column(col, no_wrap=True)
    for r in rows:
        table.add_row(escape(r["ref"]), r["sex"], str(r["imports"]), str(r["observations"]),
                      str(r["assessments"]), str(r["plan_searches"]))
    console.print(table)
    if not rows:
        console.print("no patients yet: neuroscape assess FILE --save stores one", highlight=False)


@patients_app.command("show")
def show_patient(patient: str = typer.Argument(..., help="the patient id (as in the record)"),
                 as_json: bool = typer.Option(False, "--json", help="print as JSON")):
    """One patient's imports, observations, assessments and plan searches."""
    store = _store()
    try:
        data = store.patient(patient)
    except DataError as exc:
        raise fail(exc, 2) from None
    if as_json:
        sys.stdout.write(json.dumps(data, indent=1) + "\n")
        return
    console = Console()
    console.print(f"[bold]{escape(data['patient'])}[/bold]: {data['sex']}, stored since {data['created_at']}",
                  highlight=False)
    for title, rows, cols in (
            ("imports", data["imports"], ("id", "filename", "imported_at")),
            ("observations", data["observations"], ("time", "name", "value", "unit", "censor", "specimen")),
            ("assessments", data["assessments"], ("id", "created_at", "method", "seed", "converged",
                                                  "model_version")),
            ("plan searches", data["plan_searches"], ("id", "created_at", "profile", "reached", "best")),
            ("decisions (ledger)", data["decisions"], ("id", "as_of", "action", "plan", "reason"))):
        table = Table(title=f"{title} ({len(rows)})")
        for c in cols:
            table.add_column(c, overflow="fold")
        for r in rows:
            table.add_row(*(escape("" if r.get(c) is None else str(r.get(c))) for c in cols))
        console.print(table)


@patients_app.command("export")
def export_patient(patient: str = typer.Argument(..., help="the patient id (as in the record)"),
                   out: Path | None = typer.Option(None, "--out", help="write the JSON to this file "
                                                   "(default: standard output)")):
    """Everything stored for one patient as JSON: the imported files (base64) and what was read from them,
    observations, assessments with their posterior draws, and plan searches."""
    store = _store()
    if out is not None and out.is_dir():
        raise fail(DataError(f"--out {out}: is a folder; give a file name, e.g. {out / (patient + '.json')}"), 2)
    if out is not None and not out.parent.is_dir():
        raise fail(DataError(f"--out {out}: the folder {out.parent} does not exist; create it first"), 2)
    try:
        data = store.patient(patient, full=True)
    except DataError as exc:
        raise fail(exc, 2) from None
    text = json.dumps({"store": store.url, **data}, indent=1) + "\n"
    if out is None:
        sys.stdout.write(text)
        return
    tmp = out.with_name(out.name + ".part")
    tmp.write_text(text)
    tmp.replace(out)  # never a half-written export
    Console(stderr=True).print(f"exported {escape(patient)} to {out}", highlight=False)
