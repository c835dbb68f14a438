"""`neuroscape import PATIENT_FILE [--json] [--patient ID]`: a dry run of the patient-record import.

Shows what would be imported (demographics, observations, medications with dose and interval), what was
skipped and why (resources and codes the model does not use, medicines it does not model, as-needed doses)
and every problem, without calibrating. Exit status 0 when the file imports, 2 when it cannot (each problem
listed). `neuroscape import sbml FILE` (cli/exchange.py) shares the `import` group: a first argument that is
not a subcommand is a patient file.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer
from typer.core import TyperGroup

from ..errors import DataError
from ._common import console, fail

HELP = ("Import a patient file as a dry run (`neuroscape import FILE`: FHIR R4 JSON or CSV; what is read, "
        "skipped and why, without calibrating), or a model (`neuroscape import sbml FILE`).")


class PatientFileOrSubcommand(TyperGroup):
    """`import FILE ...` runs `import patient FILE ...`; `import sbml FILE` stays a subcommand."""

    def parse_args(self, ctx, args):
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["patient", *args]
        return super().parse_args(ctx, args)


def print_summary(summary, out=None) -> None:
    """The import summary as plain lines (the same text `assess` prints before calibrating)."""
    target = out or console
    for line in summary.lines():
        target.print(line, highlight=False, markup=False, soft_wrap=True)


def import_patient(
    file: Path = typer.Argument(..., help="patient file: FHIR R4 Bundle (.json) or long-format CSV"),
    as_json: bool = typer.Option(False, "--json", help="print the import summary as JSON"),
    patient: Optional[str] = typer.Option(None, "--patient",
                                          help="the patient to read from a file of several (id, fullUrl or "
                                               "identifier value; CSV: patient_id)"),
):
    """Show what a patient file would import, what is skipped and why, and every problem (no calibration)."""
    from ..assess.records import RecordError
    from ..io.patient import import_patient as run

    try:
        summary = run(file, patient=patient)
        code = 0
    except RecordError as exc:
        if exc.summary is None:
            raise fail(exc, 2) from None
        summary, code = exc.summary, 2
    except DataError as exc:  # not a record at all: nothing to summarise
        raise fail(exc, 2) from None
    if as_json:
        sys.stdout.write(json.dumps(summary.as_dict(), indent=1) + "\n")
    else:
        print_summary(summary)
    if code:
        raise typer.Exit(code)
