"""Command-line interface: `neuroscape --help` lists every command."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .errors import NeuroscapeError, ProtocolError

app = typer.Typer(help="neuroscape: mechanistic neurochemical landscape modelling "
                       "(research and decision-support software, not medical advice).",
                  no_args_is_help=True, add_completion=False)
protocol_app = typer.Typer(help="Run experiment protocol files (PROTOCOL.md).", no_args_is_help=True)
app.add_typer(protocol_app, name="protocol")
drugs_app = typer.Typer(help="The drug library: PK, targets and limits, with sources.", no_args_is_help=True)
app.add_typer(drugs_app, name="drugs")
console = Console()
err = Console(stderr=True)


def fail(exc: Exception, code: int) -> typer.Exit:
    """Print the library's error (its text says how to fix it) and return the exit to raise."""
    err.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


@protocol_app.command("run")
def protocol_run(file: Path = typer.Argument(..., help="protocol file (.yaml or .json)"),
                 as_json: bool = typer.Option(False, "--json", help="print the result as JSON"),
                 plot: Optional[Path] = typer.Option(None, "--plot", help="write a PNG of the readouts")):
    """Run one protocol file and print its readouts."""
    from .protocol.run import run_protocol
    from .protocol.schema import load_protocol

    try:
        result = run_protocol(load_protocol(file))
    except ProtocolError as exc:
        raise fail(exc, 2) from None
    except NeuroscapeError as exc:
        raise fail(exc, 1) from None
    if plot:
        from .report.html import trajectory_figure

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
        table.add_row(rid, ro["quantity"], str(ro["region"] or ""), str(ro["at_h"]), value, ro["unit"])
    console.print(table)


@app.command()
def validate(as_json: bool = typer.Option(False, "--json", help="print results as JSON"),
             report: Optional[Path] = typer.Option(None, "--report", help="write an HTML report into DIR"),
             case: Optional[list[str]] = typer.Option(None, "--case", help="run only these case ids")):
    """Run the published validation cases (VALIDATION.md); exit 1 on any failure."""
    from rich.progress import Progress

    from .validation import load_cases, run_validation

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
    if as_json:
        payload = [{"id": r.id, "finding": r.finding, "status": r.status, "reason": r.reason,
                    "sources": list(r.sources),
                    "checks": [{"label": c.label, "value": c.value, "min": c.min, "max": c.max,
                                "passed": c.passed} for c in r.checks]} for r in results]
        sys.stdout.write(json.dumps(payload, indent=1) + "\n")
    else:
        table = Table(title="neuroscape validation")
        for col in ("case", "status", "model value", "target"):
            table.add_column(col)
        colour = {"pass": "green", "fail": "red", "missing": "dim", "error": "yellow", "reference": "blue"}
        for r in results:
            values = "\n".join(f"{c.label}: {c.value:.4g}" for c in r.checks) or r.reason
            targets = "\n".join(c.band for c in r.checks) or r.finding
            table.add_row(r.id, f"[{colour[r.status]}]{r.status}[/]", values, targets)
        console.print(table)
        counts = {s: sum(r.status == s for r in results)
                  for s in ("pass", "fail", "missing", "error", "reference")}
        console.print(", ".join(f"{n} {s}" for s, n in counts.items()))
    if report:
        from .report.html import validation_report

        path = validation_report(results, report, _all_references())
        err.print(f"report written to {path}")
    if any(r.status in ("fail", "error") for r in results):
        raise typer.Exit(1)


def _all_references() -> dict:
    from .model.parameters import references
    from .pharmacology.library import drug_references

    refs = dict(references())
    refs.update(drug_references())
    try:
        from .pharmacology.pgx import pgx_references

        refs.update(pgx_references())
    except ImportError:  # pragma: no cover - pgx data is part of the package
        pass
    from .assess.units import table

    refs.update({k: v for k, v in table().references.items() if k not in refs})
    return refs


@drugs_app.command("list")
def drugs_list(as_json: bool = typer.Option(False, "--json", help="print as JSON")):
    """List the drugs and active metabolites in the library."""
    from .pharmacology.library import drug_names, load_drug
    from .pharmacology.pk import half_life_h, linear_pk

    rows = []
    for name in drug_names():
        d = load_drug(name)
        try:
            t_half = round(half_life_h(linear_pk(d)), 1)
        except NeuroscapeError:
            t_half = None  # non-linear PK
        rows.append({"name": name, "kind": d.kind, "class": d.drug_class,
                     "targets": [t.target for t in d.targets], "half_life_h": t_half,
                     "label_max_daily_mg": d.label_max_daily_mg.value if d.label_max_daily_mg else None})
    if as_json:
        sys.stdout.write(json.dumps(rows, indent=1) + "\n")
        return
    table = Table(title="drug library")
    for col in ("name", "kind", "class", "targets", "t1/2 (h)", "label max (mg/d)"):
        table.add_column(col)
    for r in rows:
        table.add_row(r["name"], r["kind"], r["class"], ", ".join(r["targets"]),
                      "non-linear" if r["half_life_h"] is None else f"{r['half_life_h']:g}",
                      "" if r["label_max_daily_mg"] is None else f"{r['label_max_daily_mg']:g}")
    console.print(table)


@drugs_app.command("show")
def drugs_show(name: str = typer.Argument(..., help="a drug name from `neuroscape drugs list`"),
               as_json: bool = typer.Option(False, "--json", help="print as JSON")):
    """Show one drug with every number and its source."""
    from .pharmacology.library import load_drug

    try:
        drug = load_drug(name)
    except NeuroscapeError as exc:
        err.print(f"error: {escape(str(exc))}", highlight=False, soft_wrap=True)
        raise typer.Exit(2)
    data = drug.model_dump(exclude_none=True)
    if as_json:
        sys.stdout.write(json.dumps(data, indent=1) + "\n")
        return
    refs = _all_references()
    used = set()

    def show(obj, indent=0):
        pad = "  " * indent
        for key, value in obj.items() if isinstance(obj, dict) else enumerate(obj):
            if isinstance(value, dict) and "value" in value and "source" in value:
                used.add(value["source"])
                note = f" ({value['note']})" if value.get("note") else ""
                console.print(f"{pad}{key}: {value['value']:g} [{value['source']}]{note}", highlight=False)
            elif isinstance(value, (dict, list, tuple)):
                if value:
                    console.print(f"{pad}{key}:", highlight=False)
                    show(value, indent + 1)
            else:
                console.print(f"{pad}{key}: {value}", highlight=False)

    show(data)
    console.print("\nsources:")
    for key in sorted(used):
        ref = refs.get(key, {})
        ident = f" doi:{ref['doi']}" if ref.get("doi") else (f" PMID {ref['pmid']}" if ref.get("pmid") else "")
        console.print(f"  [{key}] {ref.get('citation', '(see note)')}{ident}", highlight=False)


@app.command()
def cite(as_json: bool = typer.Option(False, "--json", help="print as JSON")):
    """List every source behind the parameters of the current model."""
    from .model.library import default_network
    from .pharmacology.library import drug_names, load_drug

    refs = _all_references()
    net = default_network()
    used: dict[str, list[str]] = {}
    for p in net.parameters:
        used.setdefault(p.source, []).append(p.name)
    for name in drug_names():
        for key in _sources_in(load_drug(name).model_dump(exclude_none=True)):
            used.setdefault(key, []).append(f"drug:{name}")
    # Assessment tables: measurement error models, plausibility ranges, molar masses, PK priors.
    from .assess.priors import pk_variability_sources
    from .assess.units import table

    for entry in table().entries:
        for key in _sources_in(entry.model_dump(exclude_none=True)):
            used.setdefault(key, []).append(f"observation:{entry.key}")
    for key, what in pk_variability_sources():
        used.setdefault(key, []).append(what)
    entries = [{"key": k, **refs.get(k, {"citation": "(missing from the reference files)"}),
                "parameters": sorted(set(v))} for k, v in sorted(used.items())]
    if as_json:
        sys.stdout.write(json.dumps(entries, indent=1) + "\n")
        return
    for e in entries:
        ident = e.get("doi") and f"doi:{e['doi']}" or e.get("pmid") and f"PMID/PMC {e['pmid']}" or ""
        console.print(f"[bold]{e['key']}[/bold] [{e.get('tag', '')}] {e['citation']} {ident}", highlight=False)
        console.print(f"    {len(e['parameters'])} parameters: {', '.join(e['parameters'])}", highlight=False)


def _sources_in(obj) -> set[str]:
    if isinstance(obj, dict):
        found = {obj["source"]} if isinstance(obj.get("source"), str) else set()
        for value in obj.values():
            found |= _sources_in(value)
        return found
    if isinstance(obj, (list, tuple)):
        return set().union(*(_sources_in(v) for v in obj)) if obj else set()
    return set()


@app.command()
def parameters(module: Optional[str] = typer.Option(None, help="only this module")):
    """Print the parameter table: value, unit, basis and source of each."""
    from .model.library import default_network

    table = Table(title="parameters")
    for col in ("name", "value", "unit", "basis", "source", "note"):
        table.add_column(col, overflow="fold")
    for p in default_network().parameters:
        if module is None or p.module == module:
            table.add_row(p.name, f"{p.value:.4g}", p.unit, p.basis, p.source, p.note[:80])
    console.print(table)


@app.command("export-sbml")
def export_sbml(out: Path = typer.Argument(..., help="output .xml file")):
    """Export the model as SBML Level 3 Version 2 (with units and MIRIAM annotations)."""
    from .io.sbml import write_sbml
    from .model.library import default_network

    write_sbml(default_network(), out)
    console.print(f"wrote {out}")


@app.command()
def demo(out: Path = typer.Option(Path("reports"), help="output folder")):
    """The main job: run the validation suite and an example protocol, assess the example patients,
    and write HTML reports."""
    from .protocol.run import run_protocol
    from .protocol.schema import load_protocol
    from .report.html import trajectory_figure, validation_report
    from .validation import run_validation

    out.mkdir(parents=True, exist_ok=True)
    with console.status("running validation cases..."):
        results = run_validation()
    path = validation_report(results, out, _all_references())
    example = Path(__file__).parent / "examples" / "tryptophan_depletion.yaml"
    result = run_protocol(load_protocol(example))
    fig = trajectory_figure(result, out / "tryptophan_depletion.png")
    counts = {s: sum(r.status == s for r in results) for s in ("pass", "fail", "missing", "error", "reference")}
    console.print(f"validation: {counts}")
    console.print(f"report: {path.resolve()}\nexample protocol plot: {fig.resolve()}")
    _demo_patients(out / "patients")
    console.print("neuroscape output is a simulated scenario for research, not medical advice.")


def _demo_patients(out: Path) -> None:
    """Import and assess every bundled example patient; one landscape report each."""
    from .assess.run import assess
    from .io.patient import read_patient
    from .report.assessment import assessment_report

    folder = Path(__file__).parent / "examples" / "patients"
    files = sorted(p for p in folder.iterdir() if p.suffix in (".json", ".csv"))
    for file in files:
        with console.status(f"assessing {file.name}..."):
            result = assess(read_patient(file))
            path = assessment_report(result, out)
        flagged = [e.label for e in result.landscape.entries if e.flag in ("low", "high")]
        console.print(f"patient {result.record.patient_id} ({file.name}): calibrated in "
                      f"{result.posterior.seconds:.1f} s; outside the reference band: "
                      f"{', '.join(flagged) or 'nothing'}\n  report: {path.resolve()}", highlight=False)


def _register_commands() -> None:
    from .assess.cli_assess import assess_command
    from .manage.cli_check import check_command

    app.command("check", help="Check a plan (protocol file) against the hard safety rules; exit 1 on any "
                              "violation.")(check_command)
    app.command("assess", help="Import a patient file (FHIR R4 JSON or CSV), calibrate the virtual patient "
                               "and report the landscape.")(assess_command)


_register_commands()


def main() -> None:  # pragma: no cover - entry point
    app()
