"""`neuroscape assess PATIENT_FILE [--json] [--out DIR]`: import, calibrate, show the landscape.

Exit status: 0 on success, 2 when the file cannot be imported (every problem is listed), 1 when
the model cannot be calibrated to it."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from ..errors import DataError, NeuroscapeError
from ._common import (
    fail,
    format_option,
    in_file,
    literal,
    moved,
    output_folder_problem,
    output_format,
    print_rows,
    print_table,
    provenance,
    status,
    stop_on,
    written_into,
)

DISCLAIMER = ("Simulated scenario for a qualified clinician or researcher; not medical advice. Brain "
              "quantities are model inferences from peripheral and imaging data, with the stated uncertainty.")


def assess_command(
    file: Path = typer.Argument(..., help="patient file: FHIR R4 Bundle (.json) or long-format CSV"),
    as_json: bool = typer.Option(False, "--json", help="print the assessment as JSON"),
    out: Path | None = typer.Option(None, "--out", help="write an HTML report into this folder"),
    method: str = typer.Option("laplace", help="posterior: 'laplace' (fast) or 'mcmc' (emcee)"),
    samples: int = typer.Option(1000, help="posterior draws"),
    seed: int = typer.Option(0, help="random seed (draws are reproducible)"),
    fmt: Optional[str] = format_option(" (csv: the landscape table)"),
    save: bool = typer.Option(False, "--save", help="store the record and the assessment (NEUROSCAPE_DB, else "
                              "a SQLite file in the user's data directory; see neuroscape patients)"),
    patient: str | None = typer.Option(None, "--patient", help="the patient to read from a file of several"),
    min_ess: float = typer.Option(400.0, "--min-ess", help="mcmc: run until every parameter has this many "
                                  "effective draws (and R-hat near 1)"),
    max_seconds: float = typer.Option(300.0, "--max-seconds", help="mcmc: stop after this long; the result "
                                      "then says it has not converged"),
):
    """Import a person's records, calibrate their virtual patient and report the landscape."""
    from ..assess.run import assess
    from ..io.patient import import_patient
    from .import_ import print_summary

    console = Console()
    chosen = output_format(fmt, as_json)
    problems = [None if method in ("laplace", "mcmc") else f"--method {method}: allowed: laplace, mcmc",
                output_folder_problem(out, "--out") if out is not None else None]
    store, summary = None, None
    if save:  # a bad NEUROSCAPE_DB is reported with the rest, before the calibration
        try:
            from ..store import open_store

            store = open_store()
        except DataError as exc:
            problems.append(str(exc))
    try:  # every problem of the options and the file at once, before the calibration
        summary = import_patient(file, patient=patient)
    except DataError as exc:
        problems.append(str(exc))
    stop_on(problems)
    record = summary.record
    if chosen == "table":  # the dry run's summary first: what is read, what is skipped and why
        print_summary(summary)
    opts = {"method": method, "samples": samples, "seed": seed, "min_ess": min_ess, "max_seconds": max_seconds}
    try:  # a model that cannot be fitted exits 1
        if method == "mcmc" and chosen == "table" and console.is_terminal:  # a progress bar of the sampler
            result = assess(record, **opts, progress=True)
        else:
            with status(f"calibrating {record.patient_id} ({method})"):
                result = assess(record, **opts)
    except DataError as exc:
        raise fail(in_file(exc, file), 2) from None
    except NeuroscapeError as exc:
        raise fail(in_file(exc, file), 1) from None
    path = None
    if out is not None:
        from ..report.assessment import assessment_report

        with written_into(out) as tmp:
            path = moved(assessment_report(result, tmp), tmp, out)
    stored = save_assessment(store, file, record, result, method, seed) if store is not None else None
    if chosen == "json":
        data = result.as_dict()
        data["import"] = summary.as_dict()
        if path is not None:
            data["report"] = str(path)
        if stored is not None:
            data["stored"] = stored
        data["provenance"] = provenance(subject=result.subject, file=str(file), method=method, samples=samples,
                                        seed=seed)
        sys.stdout.write(json.dumps(data, indent=1, allow_nan=False) + "\n")
        return
    if chosen == "csv":
        print_rows(landscape_rows(result), {k: k for k in LANDSCAPE_COLUMNS}, "csv")
        return
    print_assessment(result, console)
    if path is not None:
        console.print(f"report: {literal(path.resolve())}", highlight=False)
    if stored is not None:
        console.print(f"stored in {literal(stored['store'])}: patient {literal(record.patient_id)}, assessment "
                      f"{stored['assessment_id']}", highlight=False)


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


LANDSCAPE_COLUMNS = ("readout", "unit", "median", "low", "high", "ref_low", "ref_high", "flag", "z")


def landscape_rows(result) -> list[dict]:
    """The landscape table's rows at full precision (for --format csv)."""
    return [{"readout": e.label, "unit": e.unit, "median": repr(e.median), "low": repr(e.low), "high": repr(e.high),
             "ref_low": repr(e.ref_low), "ref_high": repr(e.ref_high), "flag": e.flag,
             "z": "" if e.z != e.z else repr(e.z)} for e in result.landscape.entries]


def print_assessment(result, console: Console) -> None:
    post, land = result.posterior, result.landscape
    s = result.subject
    console.print(f"[bold]{literal(result.record.patient_id)}[/bold]: {s.sex}, {s.age_years:.0f} y, "
                  f"{s.weight_kg:g} kg; genotypes: {literal(dict(s.genotypes) or 'none')}; medication: "
                  f"{literal(', '.join(m.drug for m in result.record.medications) or 'none')}", highlight=False)
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
    print_table(table, console)
    for e in land.entries:
        drivers = land.drivers.get(e.label, [])
        if e.flag in ("low", "high") and drivers:
            console.print(f"{literal(e.label)} is {e.flag}; drivers (log-change): " + "; ".join(
                f"{literal(d)} {v:+.2f}" for d, v in drivers), highlight=False)
    informed = [r for r in post.rows() if r["status"] != "prior"]
    ptable = Table(title=f"calibration: {post.method}, {'converged' if post.converged else 'NOT converged'}, "
                         f"{post.seconds:.1f} s; {len(post.rows()) - len(informed)} parameters stay at their prior")
    for col in ("parameter", "factor", "interval", "status"):
        ptable.add_column(col)
    for r in informed:
        ptable.add_row(r["parameter"], f"{r['factor']:.3g}", f"{r['ci_low']:.3g}-{r['ci_high']:.3g}", r["status"])
    print_table(ptable, console)
    fit = post.fit_rows()
    worst = max((abs(r["z"]) for r in fit if r["z"] is not None), default=0.0)
    censored = [r for r in fit if r["censor"]]
    console.print(f"fit: {len(fit)} observations, largest |z| = {worst:.2f}"
                  + ("; censored (M3: fitted probability of the report): " + ", ".join(
                      f"{literal(r['label'])} {r['observed_text']} (P = {r['limit_p']:.2g})" for r in censored)
                     if censored else ""), highlight=False)
    if post.method == "mcmc":
        print_convergence(post, console)
    mix = getattr(result, "mixture", None)
    if mix is not None:
        console.print(f"no {', '.join(mix.genes)} genotype in the record: phenotype weights ({mix.group}; prior -> "
                      "given the levels): " + ", ".join(f"{literal(c.label)} {c.prior:.3f} -> {c.weight:.3f}"
                                                         for c in mix.components)
                      + f"; the tables show {literal(mix.best.label)}", highlight=False)
    console.print(DISCLAIMER, highlight=False)


def print_convergence(post, console: Console) -> None:
    """ESS and R-hat per sampled parameter, and plainly whether the chain converged."""
    diag = post.diagnostics
    rows = diag.get("convergence") or []
    if rows:
        table = Table(title=f"MCMC convergence (target: ESS >= {diag['min_ess']:g}, R-hat < {diag['rhat_limit']:.3f})")
        for col in ("parameter", "ESS bulk", "ESS tail", "R-hat"):
            table.add_column(col)
        for r in rows:
            table.add_row(r["parameter"], f"{r['ess_bulk']:.0f}", f"{r['ess_tail']:.0f}", f"{r['rhat']:.3f}")
        print_table(table, console)
    word = "converged" if diag.get("mcmc_converged") else "[bold red]NOT converged[/bold red]"
    console.print(f"MCMC {word}: {literal(diag.get('mcmc_message', ''))}")
