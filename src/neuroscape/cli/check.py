"""`neuroscape check PLAN.yaml [--json]`: the hard safety rules on a protocol file.

Registered by the CLI as `app.command("check")(check_command)`. Exit status: 0 when no rule is violated,
1 when one is, 2 when the file is malformed (ProtocolError). The static rules (combinations, wash-outs,
dose ceilings, duplication) always run, on the file's plan (`safety.from_protocol`, the plan `protocol run`
simulates); the trajectory rules run on the peak-resolving simulation (`peaks.dense_readout`) when the plan can
be simulated, and are listed as not evaluated otherwise.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from ..errors import EngineError, ModelError, NotModelledError, ProtocolError
from ._common import format_option, in_file, literal, output_format, print_rows, print_table, provenance, status

DISCLAIMER = ("neuroscape is research and decision-support software, not medical advice. These checks cover "
              "only the rules in neuroscape/manage/data/safety_rules.yaml; a plan that passes them is not "
              "thereby safe for a person. Decisions about medication belong to a qualified clinician.")


def _trajectory_readout(plan, subject, end_h: float, notes: list[str]):
    """The simulation's peak-resolving readout (peaks.dense_readout), or None (with a note saying why)."""
    from ..manage import peaks  # noqa: PLC0415

    try:
        return peaks.dense_readout(plan, subject, end_h=end_h)
    except (NotModelledError, ModelError, EngineError) as exc:
        notes.append(f"the protocol could not be simulated ({exc}): static checks only")
        return None


def check_command(file: Path = typer.Argument(..., help="protocol file (.yaml or .json)"),
                  as_json: bool = typer.Option(False, "--json", help="print the result as JSON"),
                  fmt: Optional[str] = format_option(" (csv: one row per violation)")) -> None:
    """Check a protocol against the hard safety rules (contraindicated combinations, wash-outs, dose
    ceilings, D2 occupancy and serotonin-toxicity ceilings on the simulation)."""
    from ..protocol import load_protocol  # noqa: PLC0415
    from ..protocol.run import protocol_end_h  # noqa: PLC0415
    from ..manage.peaks import TAIL_H  # noqa: PLC0415
    from ..manage.safety import check, from_protocol  # noqa: PLC0415

    as_json = as_json if isinstance(as_json, bool) else False  # called directly from Python
    chosen = output_format(fmt if isinstance(fmt, str) else None, as_json)
    out, err = Console(), Console(stderr=True)
    notes: list[str] = []
    try:
        protocol = load_protocol(file)
        plan, subject, labels = from_protocol(protocol)
        with status(f"simulating {protocol.name} for the trajectory rules"):
            readout = _trajectory_readout(plan, subject, protocol_end_h(protocol) + TAIL_H, notes)
        try:
            report = check(plan, subject, readout, labels=labels)
        except EngineError as exc:  # the simulation failed part-way: keep the static result
            notes.append(f"the simulation failed ({exc}): static checks only")
            report = check(plan, subject, None, labels=labels)
    except ProtocolError as exc:
        err.print(f"[red]error:[/red] {literal(in_file(exc, file))}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None

    if chosen == "csv":  # the static and trajectory violations; rules not evaluated are in --json
        print_rows([v.to_dict() for v in report.violations],
                   {k: k for k in ("rule_id", "kind", "at_h", "drugs", "message", "reason", "source")}, "csv")
    elif chosen == "json":
        data = {"file": str(file), "name": protocol.name, **report.to_dict(), "notes": notes,
                "disclaimer": DISCLAIMER, "provenance": provenance(subject=subject, file=str(file))}
        sys.stdout.write(json.dumps(data, indent=1) + "\n")
    else:
        if report.violations:
            table = Table(title=f"{literal(protocol.name)}: {len(report.violations)} safety rule violation(s)",
                          show_lines=True)
            table.add_column("rule", no_wrap=True)
            table.add_column("at_h", justify="right")
            table.add_column("what", overflow="fold")
            for v in report.violations:
                at = "" if v.at_h is None else f"{v.at_h:g}"
                table.add_row(f"{v.rule_id}\n({v.kind})", at, literal(v.message.split(" Source: ")[0]))
            print_table(table, out)
            shown = set()
            for v in report.violations:
                if (v.rule_id, v.source) in shown:
                    continue
                shown.add((v.rule_id, v.source))
                out.print(f"[bold]{v.rule_id}[/bold]\n  reason: {literal(v.reason)}\n  source: {literal(v.source)}",
                          highlight=False)
        else:
            out.print(f"{literal(protocol.name)}: no safety rule violated.", highlight=False)
        for n in report.not_evaluated:
            out.print(f"not evaluated: {n.rule_id} ({n.kind}): {literal(n.why)}", highlight=False)
        for note in notes:
            out.print(f"note: {literal(note)}", highlight=False)
        out.print(DISCLAIMER, highlight=False)
    if report.violations:
        raise typer.Exit(1)
