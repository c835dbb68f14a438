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
    min_ess: float = typer.Option(400.0, "--min-ess", help="mcmc: run until every parameter has this many "
                                  "effective draws (and R-hat near 1)"),
    max_seconds: float = typer.Option(300.0, "--max-seconds", help="mcmc: stop after this long; the result "
                                      "then says it has not converged"),
):
    """Import a person's records, calibrate their virtual patient and report the landscape."""
    from ..assess.run import assess
    from ..io.patient import read_patient

    console = Console()
    if method not in ("laplace", "mcmc"):
        err.print(f"error: --method {escape(method)!s}: allowed: laplace, mcmc", highlight=False)
        raise typer.Exit(2)
    opts = {"method": method, "samples": samples, "seed": seed, "min_ess": min_ess, "max_seconds": max_seconds}
    try:  # a file that cannot be imported (DataError) exits 2, a model that cannot be fitted 1
        record = read_patient(file)
        if as_json:
            result = assess(record, **opts)
        elif method == "mcmc":  # a progress bar of the sampler's steps
            result = assess(record, **opts, progress=True)
        else:
            with console.status(f"calibrating {escape(record.patient_id)} ({method})..."):
                result = assess(record, **opts)
    except DataError as exc:
        raise fail(exc, 2) from None
    except NeuroscapeError as exc:
        raise fail(exc, 1) from None
    path = None
    if out is not None:
        from ..report.assessment import assessment_report

        path = assessment_report(result, out)
    if as_json:
        data = result.as_dict()
        if path is not None:
            data["report"] = str(path)
        sys.stdout.write(json.dumps(data, indent=1, allow_nan=False) + "\n")
        return
    print_assessment(result, console)
    if path is not None:
        console.print(f"report: {path.resolve()}", highlight=False)


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
    fit = post.fit_rows()
    worst = max((abs(r["z"]) for r in fit if r["z"] is not None), default=0.0)
    censored = [r for r in fit if r["censor"]]
    console.print(f"fit: {len(fit)} observations, largest |z| = {worst:.2f}"
                  + ("; censored (M3: fitted probability of the report): " + ", ".join(
                      f"{escape(r['label'])} {r['observed_text']} (P = {r['limit_p']:.2g})" for r in censored)
                     if censored else ""), highlight=False)
    if post.method == "mcmc":
        print_convergence(post, console)
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
        console.print(table)
    word = "converged" if diag.get("mcmc_converged") else "[bold red]NOT converged[/bold red]"
    console.print(f"MCMC {word}: {escape(diag.get('mcmc_message', ''))}")
