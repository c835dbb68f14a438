"""`neuroscape cohort run COHORT.yaml [--scheduler ADDRESS] [--out DIR] [--json]`: a virtual cohort or trial
(docs/cohorts.md). Exit 0 on success, 2 for an invalid cohort file or option, 1 when the run itself fails."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape
from rich.table import Table

from ..errors import CohortError, NeuroscapeError
from ._common import console, err, fail

cohort_app = typer.Typer(help="Virtual cohorts and trials (docs/cohorts.md).", no_args_is_help=True)


@cohort_app.command("run")
def cohort_run(file: Path = typer.Argument(..., help="cohort file (.yaml or .json)"),
               scheduler: Optional[str] = typer.Option(
                   None, "--scheduler", help="Dask scheduler address (tcp://host:8786); default: run locally"),
               out: Path = typer.Option(Path("cohort-results"), "--out",
                                        help="folder for results.parquet, summary.json and summary.html"),
               as_json: bool = typer.Option(False, "--json", help="print the summary as JSON"),
               processes: int = typer.Option(1, "--processes",
                                             help="local worker processes (1: this process, the engine's "
                                                  "threads use the cores)"),
               chunk_size: int = typer.Option(250, "--chunk-size", help="members per batch")):
    """Sample the cohort, run every member through every arm, write the results and a summary."""
    from ..cohort.run import run_cohort
    from ..cohort.spec import load_cohort
    from ..cohort.summary import summarise, write_outputs

    for name, value in (("--processes", processes), ("--chunk-size", chunk_size)):
        if value < 1:
            err.print(f"error: {name} {value}: give a whole number from 1", highlight=False)
            raise typer.Exit(2)
    if out.exists() and not out.is_dir():
        err.print(f"error: --out {escape(str(out))}: exists and is not a folder; choose another path",
                  highlight=False, soft_wrap=True)
        raise typer.Exit(2)
    try:
        spec = load_cohort(file)
        client = _client(scheduler) if scheduler else None
        try:
            with _progress(enabled=err.is_terminal and not as_json) as progress:
                run = run_cohort(spec, scheduler=client, processes=processes, chunk_size=chunk_size,
                                 progress=progress)
        finally:
            if client is not None:
                client.close()
        summary = summarise(run)
        paths = write_outputs(run, out, summary)
    except CohortError as exc:
        raise fail(exc, 2) from None
    except NeuroscapeError as exc:
        raise fail(exc, 1) from None
    if as_json:
        summary["files"] = {k: str(v) for k, v in paths.items()}
        sys.stdout.write(json.dumps(summary, indent=1, allow_nan=False) + "\n")
        return
    _print(summary, paths)


def _client(address: str):
    from distributed import Client

    try:
        return Client(address, timeout="10s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise CohortError(f"--scheduler {address}: cannot connect to a Dask scheduler there ({exc}); check the "
                          "address (e.g. tcp://127.0.0.1:8786) or leave --scheduler out to run locally") from None


class _progress:
    """A rich progress bar on a terminal; nothing when the output is piped."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.bar = None

    def __enter__(self):
        if not self.enabled:
            return None
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

        self.bar = Progress("members x arms", BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                            console=err, transient=True)
        self.bar.__enter__()
        task = self.bar.add_task("run", total=None)
        return lambda done, total: self.bar.update(task, completed=done, total=total)

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.__exit__(*exc)
        return False


def _print(summary: dict, paths: dict) -> None:
    console.print(f"{summary['name']}: {summary['size']} members x {len(summary['arms'])} arms in "
                  f"{summary['seconds']:.1f} s (simulated virtual cohort, not medical advice)")
    for arm, status in summary["status"].items():
        failed = {k: v for k, v in status.items() if k != "ok"}
        if failed:
            console.print(f"  {arm}: {sum(failed.values())} members failed ({failed})")
    if "responder" in summary:
        r = summary["responder"]
        table = Table(title=f"responders: {r['measure']} of {r['endpoint']} at {r['at_h']:g} h "
                            f"{r['comparison']} {r['threshold']:g}")
        for col in ("arm", "responders", "members", "rate", "95% CI (Wilson)"):
            table.add_column(col)
        for arm, a in r["arms"].items():
            rate = "" if a["rate"] is None else f"{a['rate']:.3f}"
            ci = "" if a["ci95"][0] is None else f"{a['ci95'][0]:.3f}-{a['ci95'][1]:.3f}"
            table.add_row(arm, str(a["responders"]), str(a["members_ok"]), rate, ci)
        console.print(table)
    for key, path in paths.items():
        console.print(f"  {key}: {path}", highlight=False, soft_wrap=True)
