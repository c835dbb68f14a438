"""`neuroscape validate [--json | --format table|csv|json] [--report DIR] [--case ID ...]`: the published
validation cases."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from ._common import (
    all_references,
    console,
    err,
    format_option,
    literal,
    moved,
    output_folder_problem,
    output_format,
    print_rows,
    progress_bar,
    provenance,
    stop_on,
    written_into,
)

COLUMNS = {"id": "case", "status": "status", "kind": "kind", "values": "model value", "targets": "target"}


def validate(as_json: bool = typer.Option(False, "--json", help="print results as JSON"),
             report: Optional[Path] = typer.Option(None, "--report", help="write an HTML report into DIR"),
             case: Optional[list[str]] = typer.Option(None, "--case", help="run only these case ids"),
             fmt: Optional[str] = format_option()):
    """Run the published validation cases (VALIDATION.md) and the independent predictions; exit 1 on any
    failure other than a known one (a failed prediction its case file explains)."""
    from ..validation import case_kind, headline, headline_text, load_cases, run_validation

    chosen = output_format(fmt, as_json)
    known = {c["id"] for c in load_cases()}
    unknown = sorted(set(case or ()) - known)
    stop_on([f"--case {', '.join(unknown)}: unknown case id; known: {', '.join(sorted(known))}" if unknown else None,
             output_folder_problem(report, "--report") if report else None])
    total = len(case and set(case) or known)
    with progress_bar("validation cases", total) as advance:
        results = run_validation(case, progress=lambda cid: advance(f"case {cid}"))
    figures = headline(results)
    rows = [{"id": r.id, "status": r.status + (" (known)" if r.status == "fail" and r.known_failure else ""),
             "kind": case_kind(r), "values": "\n".join(f"{c.label}: {c.value:.4g}" for c in r.checks) or r.reason,
             "targets": "\n".join(c.band for c in r.checks) or r.finding} for r in results]
    if chosen == "json":
        cases = [{"id": r.id, "finding": r.finding, "status": r.status, "reason": r.reason,
                  "sources": list(r.sources), "kind": case_kind(r), "known_failure": r.known_failure,
                  "checks": [{"label": c.label, "value": c.value, "min": c.min, "max": c.max,
                              "passed": c.passed, "kind": c.kind, "sources": list(c.sources),
                              "fitted": list(c.fitted),
                              "published": None if c.published is None else {
                                  "value": c.published.value, "low": c.published.low,
                                  "high": c.published.high, "kind": c.published.kind,
                                  "series": c.published.series, "at_h": c.published.at_h}}
                             for c in r.checks]} for r in results]
        print_rows(rows, COLUMNS, "json", payload={"provenance": provenance(), "headline": headline_text(figures),
                                                   "cases": cases})
        err.print(headline_text(figures), highlight=False)
    elif chosen == "csv":
        print_rows(rows, COLUMNS, "csv")
    else:
        if console.is_terminal:
            _coloured_table(results, case_kind)
        else:
            print_rows(rows, COLUMNS, "table", title="neuroscape validation")
        counts = {s: sum(r.status == s for r in results)
                  for s in ("pass", "fail", "missing", "error", "reference")}
        console.print(", ".join(f"{n} {s}" for s, n in counts.items()))
        console.print(headline_text(figures), highlight=False)
    if report:
        from ..report.html import validation_report

        with written_into(report) as tmp:
            path = moved(validation_report(results, tmp, all_references()), tmp, report)
        err.print(f"report written to {literal(path)}", highlight=False)
    # A known failure (an honest failed prediction, explained in its case file) is reported, not fatal.
    if any(r.status == "error" or (r.status == "fail" and not r.known_failure) for r in results):
        raise typer.Exit(1)


def _coloured_table(results, case_kind) -> None:
    table = Table(title="neuroscape validation")
    for col in COLUMNS.values():
        table.add_column(col)
    colour = {"pass": "green", "fail": "red", "missing": "dim", "error": "yellow", "reference": "blue"}
    for r in results:
        values = "\n".join(f"{c.label}: {c.value:.4g}" for c in r.checks) or r.reason
        targets = "\n".join(c.band for c in r.checks) or r.finding
        known = " (known)" if r.status == "fail" and r.known_failure else ""
        table.add_row(r.id, f"[{colour[r.status]}]{r.status}{known}[/]", case_kind(r), literal(values),
                      literal(targets))
    console.print(table)
