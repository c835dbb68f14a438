"""`neuroscape replan PATIENT --new-observations FILE` and `neuroscape replay DECISION_ID` (docs/store.md).

replan: import the follow-up file into the store (all-or-nothing), re-calibrate on everything known, re-plan
against the patient's targets, decide with the guard rails and append the decision to the ledger.
replay: recompute a recorded decision from its inputs alone; exit 1 when it differs from the ledger."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ..errors import DataError, NeuroscapeError, ProtocolError
from ._common import fail


def replan_command(
    patient: str = typer.Argument(..., help="the stored patient's id (neuroscape patients list)"),
    new_observations: Path | None = typer.Option(None, "--new-observations", help="follow-up file (FHIR R4 .json "
                                                 "or long-format .csv) for this patient"),
    targets: str | None = typer.Option(None, "--targets", help="target profile (default: the profile of the "
                                       "patient's last stored plan search)"),
    draws: int = typer.Option(50, "--draws", help="posterior draws each finalist plan is evaluated on"),
    horizon_days: float = typer.Option(84.0, "--horizon-days", help="how far ahead plans are simulated (days)"),
    seed: int = typer.Option(0, "--seed", help="random seed (recorded: a replay uses it)"),
    as_json: bool = typer.Option(False, "--json", help="print the decision as JSON"),
    report: Path | None = typer.Option(None, "--report", help="also write an HTML follow-up report into this "
                                       "folder (<patient>-followup.html)"),
):
    """Re-plan a stored patient from new observations and record the decision in the ledger."""
    from ..manage.targets import load_profile
    from ..store import open_store
    from ..store.followup import replan

    try:
        profile = load_profile(targets) if targets is not None else None
        if not 0 < horizon_days <= 5 * 365:
            raise ProtocolError(f"--horizon-days {horizon_days:g}: give more than 0 and at most 1825 days")
        if draws < 1:
            raise ProtocolError(f"--draws {draws}: give 1 or more")
        store = open_store()
        console = Console(stderr=True)
        if as_json or not console.is_terminal:
            result = replan(store, patient, new_observations, profile=profile, draws=draws, seed=seed,
                            horizon_h=horizon_days * 24.0)
        else:
            with console.status(f"re-calibrating and re-planning {escape(patient)}..."):
                result = replan(store, patient, new_observations, profile=profile, draws=draws, seed=seed,
                                horizon_h=horizon_days * 24.0)
    except (DataError, ProtocolError) as exc:
        raise fail(exc, 2) from None
    except NeuroscapeError as exc:
        raise fail(exc, 1) from None
    path = None
    if report is not None:
        from ..report.followup import followup_report

        path = followup_report(patient, json.loads(json.dumps(result.to_dict(), default=str)), report)
    if as_json:
        sys.stdout.write(json.dumps(result.to_dict() | ({"report": str(path)} if path else {}), indent=1,
                                    allow_nan=False, default=str) + "\n")
        return
    _print(result, Console())
    if path is not None:
        Console().print(f"report: {escape(str(path))}", highlight=False)


def replay_command(
    decision: int = typer.Argument(..., help="a decision id from the ledger (neuroscape patients show ID)"),
    as_json: bool = typer.Option(False, "--json", help="print the recomputed decision as JSON"),
):
    """Recompute a recorded decision from its recorded inputs only; exit 1 when it differs."""
    from ..store import open_store
    from ..store.followup import replay

    try:
        store = open_store()
        recorded = store.decision(decision)
        again = replay(store, decision)
    except DataError as exc:
        raise fail(exc, 2) from None
    except NeuroscapeError as exc:
        raise fail(exc, 1) from None
    same = (again.action, again.plan_label, again.reason) == (recorded["action"], recorded["plan"],
                                                               recorded["reason"])
    if as_json:
        sys.stdout.write(json.dumps({"decision": decision, "same": same, "recorded": {
            k: recorded[k] for k in ("action", "plan", "reason", "as_of")}, "replayed": again.to_dict()},
            indent=1, allow_nan=False, default=str) + "\n")
    else:
        Console().print(f"decision {decision}: {'replayed identically' if same else 'DIFFERS on replay'}: "
                        f"{again.action} - {escape(again.plan_label)}", highlight=False)
    if not same:
        raise typer.Exit(1)


def _print(result, console: Console) -> None:
    console.print(f"[bold]{result.action}[/bold]: {escape(result.plan_label)}", highlight=False)
    console.print(escape(result.reason), highlight=False)
    table = Table(title="observations (fitted on everything known)")
    for col in ("observation", "observed", "fitted", "z"):
        table.add_column(col, overflow="fold")
    for r in result.report["observations"]:
        table.add_row(escape(str(r.get("label", r.get("quantity", "")))), f"{r.get('observed', float('nan')):.4g}",
                      f"{r.get('fitted', float('nan')):.4g}", f"{r.get('z', float('nan')):+.2f}")
    console.print(table)
    from ..report.followup import predicted_rows

    predicted = predicted_rows(result.report)
    if predicted:
        pt = Table(title="new observations against the previous posterior's prediction")
        for col in ("observation", "time (h)", "unit", "observed", "predicted", "90% interval", "inside", "below"):
            pt.add_column(col, overflow="fold")
        for row in predicted:
            pt.add_row(*(escape(str(c)) for c in row))
        console.print(pt)
    mix = result.report.get("phenotype_mixture")
    if mix:
        console.print("unknown genotype, phenotype weights: " + ", ".join(
            escape(", ".join(f"{g} {w}" for g, w in c["phenotypes"].items())) + f" {c['weight']:.3f}"
            for c in mix["components"]), highlight=False)
    moved = [m for m in result.report["posterior_moved"] if m["before"] is not None and m["before"] != m["now"]]
    if moved:
        mt = Table(title="how the posterior moved (factor on the typical value)")
        for col in ("parameter", "before", "now"):
            mt.add_column(col)
        for m in moved:
            mt.add_row(escape(m["parameter"]), f"{m['before']:.3g}", f"{m['now']:.3g}")
        console.print(mt)
    console.print(f"decision {result.decision_id} recorded in the ledger (as of {result.as_of.isoformat()}). "
                  "Every plan is a simulated scenario for a qualified clinician, never medical advice.",
                  highlight=False)
