"""`neuroscape validate [--json] [--report DIR] [--case ID ...]`: the published validation cases."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from ._common import all_references, console, err


def validate(as_json: bool = typer.Option(False, "--json", help="print results as JSON"),
             report: Optional[Path] = typer.Option(None, "--report", help="write an HTML report into DIR"),
             case: Optional[list[str]] = typer.Option(None, "--case", help="run only these case ids")):
    """Run the published validation cases (VALIDATION.md) and the independent predictions; exit 1 on any
    failure other than a known one (a failed prediction its case file explains)."""
    from rich.progress import Progress

    from ..validation import case_kind, headline, headline_text, load_cases, run_validation

    known = {c["id"] for c in load_cases()}
    unknown = sorted(set(case or ()) - known)
    if unknown:
        err.print(f"error: --case {', '.join(unknown)}: unknown case id; known: {', '.join(sorted(known))}",
                  highlight=False, soft_wrap=True)
        raise typer.Exit(2)

    with Progress(console=err, transient=True) as progress:
        task = progress.add_task("validation cases", total=None)
        results = run_validation(case, progress=lambda cid: progress.update(task, advance=1,
                                                                           description=f"case {cid}"))
    figures = headline(results)
    if as_json:
        payload = [{"id": r.id, "finding": r.finding, "status": r.status, "reason": r.reason,
                    "sources": list(r.sources), "kind": case_kind(r), "known_failure": r.known_failure,
                    "checks": [{"label": c.label, "value": c.value, "min": c.min, "max": c.max,
                                "passed": c.passed, "kind": c.kind, "sources": list(c.sources),
                                "fitted": list(c.fitted),
                                "published": None if c.published is None else {
                                    "value": c.published.value, "low": c.published.low,
                                    "high": c.published.high, "kind": c.published.kind,
                                    "series": c.published.series, "at_h": c.published.at_h}}
                               for c in r.checks]} for r in results]
        sys.stdout.write(json.dumps(payload, indent=1) + "\n")
        err.print(headline_text(figures), highlight=False)
    else:
        table = Table(title="neuroscape validation")
        for col in ("case", "status", "kind", "model value", "target"):
            table.add_column(col)
        colour = {"pass": "green", "fail": "red", "missing": "dim", "error": "yellow", "reference": "blue"}
        for r in results:
            values = "\n".join(f"{c.label}: {c.value:.4g}" for c in r.checks) or r.reason
            targets = "\n".join(c.band for c in r.checks) or r.finding
            kinds = case_kind(r)
            known = " (known)" if r.status == "fail" and r.known_failure else ""
            table.add_row(r.id, f"[{colour[r.status]}]{r.status}{known}[/]", kinds, values, targets)
        console.print(table)
        counts = {s: sum(r.status == s for r in results)
                  for s in ("pass", "fail", "missing", "error", "reference")}
        console.print(", ".join(f"{n} {s}" for s, n in counts.items()))
        console.print(headline_text(figures), highlight=False)
    if report:
        from ..report.html import validation_report

        path = validation_report(results, report, all_references())
        err.print(f"report written to {path}")
    # A known failure (an honest failed prediction, explained in its case file) is reported, not fatal.
    if any(r.status == "error" or (r.status == "fail" and not r.known_failure) for r in results):
        raise typer.Exit(1)
