"""`neuroscape assess PATIENT_FILE [--json] [--out DIR]`: import, calibrate, show the landscape.

Exit status: 0 on success, 2 when the file cannot be imported (every problem is listed), 1 when
the model cannot be calibrated to it."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ..errors import DataError, NeuroscapeError
from ._common import err, fail

DISCLAIMER = ("Simulated scenario for a qualified clinician or researcher; not medical advice. Brain "
              "quantities are model inferences from peripheral and imaging data, with the stated uncertainty.")


def assess_command(
    file: Path = typer.Argument(..., help="patient file: FHIR R4 Bundle (.json) or long-format CSV"),
    as_json: bool = typer.Option(False, "--json", help="print the assessment as JSON"),
    out: Path | None = typer.Option(None, "--out", help="write an HTML report into this folder"),
    method: str = typer.Option("laplace", help="posterior: 'laplace' (fast) or 'mcmc' (emcee)"),
    samples: int = typer.Option(1000, help="posterior draws"),
    seed: int = typer.Option(0, help="random seed (draws are reproducible)"),
    save: bool = typer.Option(False, "--save", help="store the record and the assessment (NEUROSCAPE_DB, else "
                              "a SQLite file in the user's data directory; see neuroscape patients)"),
    patient: str | None = typer.Option(None, "--patient", help="the patient to read from a file of several"),
):
    """Import a person's records, calibrate their virtual patient and report the landscape."""
    from ..assess.run import assess
    from ..io.patient import import_patient
    from .import_ import print_summary

    console = Console()
    if method not in ("laplace", "mcmc"):
        err.print(f"error: --method {escape(method)!s}: allowed: laplace, mcmc", highlight=False)
        raise typer.Exit(2)
    store = open_store_or_exit() if save else None  # a bad NEUROSCAPE_DB fails before the calibration
    try:  # a file that cannot be imported (DataError) exits 2, a model that cannot be fitted 1
        summary = import_patient(file, patient=patient)
        record = summary.record
        if not as_json:  # the dry run's summary first (issue 12): what is read, what is skipped and why
            print_summary(summary)
        if as_json:
            result = assess(record, method=method, samples=samples, seed=seed)
        elif method == "mcmc":  # a progress bar of the sampler's steps
            result = assess(record, method=method, samples=samples, seed=seed, progress=True)
        else:
            with console.status(f"calibrating {escape(record.patient_id)} ({method})..."):
                result = assess(record, method=method, samples=samples, seed=seed)
    except DataError as exc:
        raise fail(exc, 2) from None
    except NeuroscapeError as exc:
        raise fail(exc, 1) from None
    path = None
    if out is not None:
        from ..report.assessment import assessment_report

        path = assessment_report(result, out)
    stored = save_assessment(store, file, record, result, method, seed) if store is not None else None
    if as_json:
        data = result.as_dict()
        data["import"] = summary.as_dict()
        if path is not None:
            data["report"] = str(path)
        if stored is not None:
            data["stored"] = stored
        sys.stdout.write(json.dumps(data, indent=1, allow_nan=False) + "\n")
        return
    print_assessment(result, console)
    if path is not None:
        console.print(f"report: {path.resolve()}", highlight=False)
    if stored is not None:
        console.print(f"stored in {escape(stored['store'])}: patient {escape(record.patient_id)}, assessment "
                      f"{stored['assessment_id']}", highlight=False)


def open_store_or_exit():
    from ..store import open_store

    try:
        return open_store()
    except DataError as exc:
        raise fail(exc, 2) from None


def save_assessment(store, file: Path, record, result, method: str, seed: int) -> dict:
    """Store the record (the file's bytes and what was read) and the assessment; one transaction each."""
    try:
        saved = store.save_record(record, raw=file.read_bytes(), filename=file.name)
        assessment_id = store.save_assessment(result, import_id=saved.import_id, method=method, seed=seed)
    except DataError as exc:
        raise fail(exc, 1) from None
    return {"store": store.url, "patient": record.patient_id, "import_id": saved.import_id,
            "new_import": saved.new_import, "observations_added": saved.observations_added,
            "assessment_id": assessment_id}


def print_assessment(result, console: Console) -> None:
    post, land = result.posterior, result.landscape
    s = result.subject
    console.print(f"[bold]{escape(result.record.patient_id)}[/bold]: {s.sex}, {s.age_years:.0f} y, "
                  f"{s.weight_kg:g} kg; genotypes: {dict(s.genotypes) or 'none'}; medication: "
                  f"{', '.join(m.drug for m in result.record.medications) or 'none'}", highlight=False)
    table = Table(title=f"landscape at t = {land.at_h:g} h ({int(land.level * 100)}% intervals)")
    table.add_column("readout", overflow="fold", min_width=18)
    for col in ("median", "interval", "reference", "flag (z)"):
        table.add_column(col, no_wrap=True)
    for e in land.entries:
        style = {"low": "blue", "high": "red"}.get(e.flag)
        label = e.label.removeprefix("brain.").replace(".extracellular", "")
        unit = "" if e.unit == "1" else f" {e.unit}"
        table.add_row(label, f"{e.median:.3g}{unit}", f"{e.low:.3g}-{e.high:.3g}",
                      f"{e.ref_low:.3g}-{e.ref_high:.3g}",
                      f"{e.flag} ({e.z:+.1f})" if e.z == e.z else e.flag, style=style)
    console.print(table)
    for e in land.entries:
        drivers = land.drivers.get(e.label, [])
        if e.flag in ("low", "high") and drivers:
            console.print(f"{escape(e.label)} is {e.flag}; drivers (log-change): " + "; ".join(
                f"{escape(d)} {v:+.2f}" for d, v in drivers), highlight=False)
    informed = [r for r in post.rows() if r["status"] != "prior"]
    ptable = Table(title=f"calibration: {post.method}, {'converged' if post.converged else 'NOT converged'}, "
                         f"{post.seconds:.1f} s; {len(post.rows()) - len(informed)} parameters stay at their prior")
    for col in ("parameter", "factor", "interval", "status"):
        ptable.add_column(col)
    for r in informed:
        ptable.add_row(r["parameter"], f"{r['factor']:.3g}", f"{r['ci_low']:.3g}-{r['ci_high']:.3g}", r["status"])
    console.print(ptable)
    worst = max((abs(r["z"]) for r in post.fit_rows()), default=0.0)
    console.print(f"fit: {len(post.fit_rows())} observations, largest |z| = {worst:.2f}", highlight=False)
    console.print(DISCLAIMER, highlight=False)
