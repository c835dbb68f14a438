"""`neuroscape plan PATIENT_FILE --targets PROFILE`: import, calibrate, search plans, report them.

Exit status: 0 on success (also when the targets are not reached: that is a finding, reported as such),
2 when the patient file cannot be imported (DataError) or the profile or levers are malformed
(ProtocolError, the message names the key), 1 when the model cannot be calibrated or simulated.
"""

from __future__ import annotations

import json
import sys
from contextlib import nullcontext
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from ..errors import DataError, NeuroscapeError, ProtocolError
from ..manage.options import levers_of
from ._common import (
    fail,
    in_file,
    literal,
    moved,
    output_folder_problem,
    print_table,
    provenance,
    status,
    stop_on,
    written_into,
)


def plan_command(
    file: Path = typer.Argument(..., help="patient file: FHIR R4 Bundle (.json) or long-format CSV"),
    targets: str = typer.Option(..., "--targets", help="target profile: a shipped name (ssri-efficacy, "
                                "tdm-agnp2017, low-serotonergic-tone, ...; docs/targets.md) or a YAML file"),
    drugs: str | None = typer.Option(None, "--drugs", help="drugs a plan may start, change or switch to, "
                                     "comma-separated (default: the library drugs acting on the profile's readouts)"),
    supplements: str | None = typer.Option(None, "--supplements", help="supplements a plan may add, "
                                           "comma-separated, e.g. tryptophan,5-htp (default: none)"),
    no_drug_changes: bool = typer.Option(False, "--no-drug-changes", help="keep the current medication as it "
                                         "is; only supplements may be added"),
    exercise_per_week: str | None = typer.Option(None, "--exercise-per-week", help="endurance sessions a week a "
                                                 "plan may add, comma-separated options, e.g. 3,5 (default: none)"),
    hormones: str | None = typer.Option(None, "--hormones", help="hormone therapy a plan may add where the person "
                                        "fits, e.g. estradiol (default: none)"),
    horizon_days: float = typer.Option(84.0, "--horizon-days", help="how far ahead plans are simulated (days)"),
    max_candidates: int = typer.Option(100, "--max-candidates", help="plans screened at most: a larger plan "
                                       "space is sampled with Optuna (seeded) up to this many"),
    draws: int = typer.Option(100, "--draws", help="posterior draws each finalist plan is evaluated on"),
    objective: str = typer.Option("pta", "--objective", help="ranking: 'pta' (joint probability of target "
                                  "attainment first) or 'cvar' (the tail loss first: risk-averse)"),
    seed: int = typer.Option(0, "--seed", help="random seed (same seed and inputs: same plans)"),
    as_json: bool = typer.Option(False, "--json", help="print the plans as JSON"),
    save: bool = typer.Option(False, "--save", help="store the record, the assessment and the plans "
                              "(NEUROSCAPE_DB, else a SQLite file in the user's data directory)"),
    out: Path | None = typer.Option(None, "--out", help="write an HTML report of the plans into this folder"),
    export_protocols: Path | None = typer.Option(None, "--export-protocols", help="write each plan as a protocol "
                                                 "file (PROTOCOL.md) into this folder"),
):
    """Search medication and supplement plans that bring a person's readouts into a target profile's
    bands, ranked by the probability of attaining them over the calibrated posterior."""
    from ..assess.run import assess
    from ..io.patient import read_patient
    from ..manage.search import OBJECTIVES, optimise
    from ..manage.targets import load_profile

    console = Console()
    quiet = as_json or not console.is_terminal
    problems: list[str | None] = []
    profile = levers = record = None
    try:  # options and profile first: a typo should not wait for the calibration
        profile = load_profile(targets)
    except ProtocolError as exc:
        problems.append(str(exc))
    try:
        levers = levers_of(drugs, supplements, no_drug_changes, exercise_per_week, hormones, max_candidates)
    except ProtocolError as exc:  # names the key (or the unknown drug, with the library's suggestion)
        problems.append(str(exc))
    if not 0 < horizon_days <= 5 * 365:
        problems.append(f"--horizon-days {horizon_days:g}: give more than 0 and at most 1825 days (84 = 12 weeks)")
    if objective not in OBJECTIVES:
        problems.append(f"--objective {objective!r}: allowed: {', '.join(OBJECTIVES)} (joint PTA first, or the "
                        "CVaR of the loss first)")
    if draws < 0:
        problems.append(f"--draws {draws}: give 0 (the point estimate only) or more")
    problems += [output_folder_problem(out, "--out") if out is not None else None,
                 output_folder_problem(export_protocols, "--export-protocols") if export_protocols else None]
    store = None
    if save:  # a bad NEUROSCAPE_DB is reported with the rest, before the calibration
        try:
            from ..store import open_store

            store = open_store()
        except DataError as exc:
            problems.append(str(exc))
    try:
        record = read_patient(file)
    except DataError as exc:
        problems.append(str(exc))
    stop_on(problems)  # every problem of the options, the profile and the file at once
    try:
        with status(f"calibrating {record.patient_id}", console) if not quiet else nullcontext():
            assessment = assess(record, seed=seed)
        kwargs = dict(levers=levers, horizon_h=horizon_days * 24.0, draws=draws,
                      screen_draws=min(20, draws), objective=objective, seed=seed)
        if quiet:
            result = optimise(assessment, profile, **kwargs)
        else:
            with _Progress(console) as bar:
                result = optimise(assessment, profile, progress=bar.update, **kwargs)
    except (DataError, ProtocolError) as exc:
        raise fail(in_file(exc, file), 2) from None
    except NeuroscapeError as exc:
        raise fail(in_file(exc, file), 1) from None
    settings = {"targets": targets, "horizon_days": horizon_days, "draws": draws, "objective": objective,
                "seed": seed, "drugs": drugs or "profile default", "supplements": supplements or "none",
                "drug_changes": not no_drug_changes, "exercise_per_week": exercise_per_week or "none",
                "hormones": hormones or "none", "max_candidates": max_candidates}
    report = None
    exported: list[Path] = []
    try:
        if export_protocols is not None:
            with written_into(export_protocols) as tmp:
                exported = [moved(p, tmp, export_protocols) for p in write_protocols(result, tmp)]
        if out is not None:
            from ..report.plans import plans_report

            with written_into(out) as tmp:
                report = moved(plans_report(result, assessment, tmp, settings), tmp, out)
    except NeuroscapeError as exc:  # e.g. a plan that PROTOCOL.md cannot express yet
        raise fail(exc, 1) from None
    stored = None
    if store is not None:
        from .assess import save_assessment

        stored = save_assessment(store, file, record, assessment, "laplace", seed)
        try:
            stored["plan_search_id"] = store.save_plans(result, assessment_id=stored["assessment_id"],
                                                        settings=settings,
                                                        report=None if report is None else str(report.resolve()))
        except NeuroscapeError as exc:
            raise fail(exc, 1) from None
    if as_json:
        from .. import __version__

        data = {"neuroscape": __version__, "patient_id": record.patient_id, "settings": settings,
                **result.to_dict(), "seconds": result.seconds,
                "provenance": provenance(subject=assessment.subject, file=str(file), settings=settings)}
        if exported:
            data["protocols"] = [str(p) for p in exported]
        if report is not None:
            data["report"] = str(report)
        if stored is not None:
            data["stored"] = stored
        sys.stdout.write(json.dumps(data, indent=1, allow_nan=False) + "\n")
        return
    print_plans(result, record.patient_id, console)
    for p in exported:
        console.print(f"protocol: {literal(p)}", highlight=False)
    if report is not None:
        console.print(f"report: {literal(report.resolve())}", highlight=False)
    if stored is not None:
        console.print(f"stored in {literal(stored['store'])}: patient {literal(record.patient_id)}, plan search "
                      f"{stored['plan_search_id']}", highlight=False)


class _Progress:
    """A rich progress bar fed by `optimise(progress=callback(k, n, label))`: screening, then finalists."""

    def __init__(self, console: Console):
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                            TimeElapsedColumn(), TextColumn("[dim]{task.fields[label]}"), console=console,
                            transient=True)
        self.tasks: dict[str, int] = {}

    def __enter__(self):
        self.bar.__enter__()
        return self

    def __exit__(self, *exc):
        return self.bar.__exit__(*exc)

    def update(self, k: int, n: int, label: str) -> None:
        stage = "final evaluation" if label.startswith("final: ") else "screening plans"
        if stage not in self.tasks:
            self.tasks[stage] = self.bar.add_task(stage, total=n, label="")
        self.bar.update(self.tasks[stage], completed=k, total=n, label=literal(label.removeprefix("final: ")[:60]))


def protocol_file_name(plan) -> str:
    slug = "".join(c if c.isalnum() else "-" for c in plan.candidate.label.lower())
    slug = "-".join(s for s in slug.split("-") if s)[:60]
    return f"plan-{plan.rank:02d}-{slug or 'plan'}.yaml"


def write_protocols(result, folder: Path) -> list[Path]:
    """One protocol file per returned plan (`PlanSearch.protocol`), which `neuroscape protocol run` and
    `neuroscape check` accept. The file carries the person's demographics, genotypes and calibrated
    parameter values (the posterior's MAP, under `parameters:`): re-running it gives the calibrated person's
    MAP trajectory on that plan."""
    import yaml

    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for plan in result.plans:
        path = folder / protocol_file_name(plan)
        header = (f"# neuroscape plan {plan.rank} for profile {result.profile.name}: {plan.candidate.label}\n"
                  f"# joint PTA {plan.pta['joint'].p:.0%} on {plan.draws} posterior draws of the calibrated person;\n"
                  "# the subject and `parameters:` are the calibrated person at the posterior's MAP (a re-run\n"
                  "# gives that one trajectory, not the posterior's spread).\n"
                  "# A simulated scenario for a qualified clinician, never medical advice.\n")
        body = yaml.safe_dump(result.protocol(plan), sort_keys=False, allow_unicode=True, width=110)
        path.write_text(header + body, encoding="utf-8")
        paths.append(path)
    return paths


def _pct(p) -> str:
    return f"{p.p:.0%} ({p.low:.0%}-{p.high:.0%})"


def excluded_by_rule(excluded) -> dict[str, list]:
    """Excluded candidates grouped by the first rule that excluded them (a candidate is listed once)."""
    groups: dict[str, list] = {}
    for e in excluded:
        groups.setdefault(e.rule_ids[0] if e.rule_ids else "other", []).append(e)
    return groups


def print_plans(result, patient_id: str, console: Console) -> None:
    from ..manage.search import DISCLAIMER

    s = result.subject
    console.print(f"[bold]{literal(patient_id)}[/bold]: {s.sex}, {s.age_years:.0f} y, {s.weight_kg:g} kg; "
                  f"profile [bold]{literal(result.profile.name)}[/bold]; horizon {result.horizon_h / 24:g} days from "
                  f"now (t = {result.now_h:g} h); {result.candidates} candidate plans, "
                  f"{len(result.excluded)} excluded, {result.seconds:.1f} s", highlight=False)
    level = int(round(result.plans[0].cvar_level * 100)) if result.plans else 90
    table = Table(title="ranked plans (simulated scenarios)")
    table.add_column("#", justify="right")
    table.add_column("plan", overflow="fold", min_width=24)
    table.add_column("joint PTA (95% CI)", no_wrap=True)
    table.add_column(f"CVaR{level}", justify="right")
    table.add_column("pills/day", justify="right")
    table.add_column("changes", justify="right")
    table.add_column("Pareto", justify="center")
    for p in result.plans:
        table.add_row(str(p.rank), literal(p.candidate.label), _pct(p.pta["joint"]), f"{p.cvar:.3g}",
                      f"{p.burden.pills_per_day:g}", str(p.burden.changes), "*" if p.pareto else "")
    print_table(table, console)
    if result.plans:
        console.print("PTA: share of posterior draws on which every band is attained; CVaR: mean loss of the "
                      f"worst {100 - level}% of draws (0 = in band); Pareto *: no other plan is better on PTA, "
                      "CVaR and pills/day at once.", highlight=False, style="dim")
    for rule, items in excluded_by_rule(result.excluded).items():
        shown = ", ".join(literal(e.candidate.label) for e in items[:4])
        more = f" and {len(items) - 4} more" if len(items) > 4 else ""
        console.print(f"excluded by [bold]{literal(rule)}[/bold] ({len(items)}): {shown}{more}\n  reason: "
                      f"{literal(items[0].reasons[0].split(' Source: ')[0])}", highlight=False)
    console.print(("[green]" if result.reached else "[yellow]") + literal(result.message), highlight=False)
    for note in result.notes:
        console.print(f"note: {literal(note)}", highlight=False)
    console.print(DISCLAIMER, highlight=False)
