"""Command-line interface: `neuroscape --help` lists every command.

One small module per command (or command group); this package only assembles them into the typer
`app`. Imports run one way: this `__init__` imports the command modules, the command modules import
`_common` and the library below them, and nothing below the CLI imports it.
"""

from __future__ import annotations

import typer

from . import assess, check, cite, cohort, demo, discover, drugs, exchange, followup, import_, patients, plan
from . import nonmem as nonmem_cli
from . import protocol, sbml, serve, validate
from . import scan as scan_cli
from ._common import console, err, fail

app = typer.Typer(help="neuroscape: mechanistic neurochemical landscape modelling "
                       "(research and decision-support software, not medical advice).",
                  no_args_is_help=True, add_completion=False)
app.add_typer(protocol.protocol_app, name="protocol")
app.add_typer(drugs.drugs_app, name="drugs")
# Registration order is the order `--help` lists the commands in.
app.command()(validate.validate)
app.command()(cite.cite)
app.command()(cite.parameters)
app.command("export-sbml")(sbml.export_sbml)
app.add_typer(exchange.export_app, name="export")
app.add_typer(exchange.import_app, name="import", cls=import_.PatientFileOrSubcommand, help=import_.HELP)
exchange.import_app.command("patient")(import_.import_patient)
app.command()(demo.demo)
app.command("check", help="Check a plan (protocol file) against the hard safety rules; exit 1 on any "
                          "violation.")(check.check_command)
app.command("assess", help="Import a patient file (FHIR R4 JSON or CSV), calibrate the virtual patient "
                           "and report the landscape.")(assess.assess_command)
app.command()(discover.quantities)
app.command()(discover.analytes)
app.add_typer(discover.nutrition_app, name="nutrition")
app.command("plan", help="Import and calibrate a patient, then search ranked medication/supplement plans "
                         "against a target profile (simulated scenarios, not medical advice).")(plan.plan_command)
app.add_typer(patients.patients_app, name="patients")
app.command("replan", help="Re-plan a stored patient from new observations; the decision goes into the "
                           "append-only ledger.")(followup.replan_command)
app.command("replay", help="Recompute a recorded decision from its inputs alone; exit 1 when it "
                           "differs.")(followup.replay_command)

app.command("scan", help="Run a protocol over a grid of one parameter's values (one batch); table and plot "
                         "of every readout.")(scan_cli.scan_command)
app.command("sensitivity", help="Normalised local sensitivities d ln(readout) / d ln(parameter) of a protocol's "
                                "readouts.")(scan_cli.sensitivity_command)
app.command("nonmem", help="Predict plasma concentrations at the observation records of a NONMEM-style event "
                           "table.")(nonmem_cli.nonmem_command)
app.add_typer(cohort.cohort_app, name="cohort")
app.command("serve", help="Run the web service: REST API (/api/v1, docs at /docs) and dashboard.")(serve.serve_command)
app.add_typer(serve.users_app, name="users")



def _version(value: bool) -> None:
    if value:
        from ._common import git_commit, version

        commit = git_commit()
        typer.echo(f"neuroscape {version()}" + (f" (git {commit})" if commit else ""))
        raise typer.Exit()


@app.callback()
def _root(show_version: bool = typer.Option(False, "--version", is_eager=True, callback=_version,
                                            help="print the version (and git commit) and exit")) -> None:
    """neuroscape: mechanistic neurochemical landscape modelling (research and decision-support software, not
    medical advice)."""


__all__ = ["app", "console", "err", "fail", "main"]


def main() -> None:  # pragma: no cover - entry point
    app()
