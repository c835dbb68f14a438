"""What every command module shares: the consoles, `fail`, output paths checked before the work and written
whole, `--format table|csv|json`, the provenance every `--json` carries, status lines, and the reference table.

The command modules import this module, never the package's `__init__` (which imports them to
register the commands), so the CLI's own imports stay one-way.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from functools import lru_cache
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

console = Console()
err = Console(stderr=True)

# C0 and C1 control characters except newline and tab (an ESC in a drug name must not recolour the terminal),
# and the bidirectional overrides that make text read differently from how it is stored
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def literal(text: Any) -> str:
    """`text` safe to print through rich: markup escaped ([bold] stays literal) and terminal control characters
    shown as \\x1b etc. (never interpreted)."""
    return escape(visible(text))


def visible(text: Any) -> str:
    """`text` with terminal control characters shown as \\x1b etc. (for csv, where markup means nothing)."""
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1], str(text))


def fail(exc: Exception, code: int) -> typer.Exit:
    """Print the library's error (its text says how to fix it) and return the exit to raise."""
    err.print(f"[red]error:[/red] {literal(exc)}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def usage_error(message: str) -> typer.Exit:
    """A bad option (exit 2): `message` names the option, the value and the fix."""
    err.print(f"[red]error:[/red] {literal(message)}", highlight=False, soft_wrap=True)
    return typer.Exit(2)


# --- output paths: checked before the work, written whole -----------------------------------------------

def figure_suffixes() -> tuple[str, ...]:
    """The file types matplotlib writes (png, pdf, svg, ...)."""
    from matplotlib.backend_bases import FigureCanvasBase

    return tuple(sorted(FigureCanvasBase.get_supported_filetypes()))


def output_file_problem(path: Path, option: str, suffixes: Sequence[str], example: str) -> str | None:
    """Why `path` cannot be written as a file of one of `suffixes` (without the dot), or None: it is a folder,
    has no or an unknown file type, or its folder is missing or not writable."""
    allowed = ", ".join(f".{s}" for s in suffixes)
    if path.is_dir():
        return f"{option} {path}: is a folder; give a file name in it, e.g. {option} {path / example}"
    suffix = path.suffix.lower().lstrip(".")
    if not suffix:
        return (f"{option} {path}: has no file type; end the name with one of {allowed}, e.g. "
                f"{option} {path.with_name(path.name + Path(example).suffix)}")
    if suffix not in suffixes:
        return (f"{option} {path}: unknown file type .{suffix}; allowed: {allowed}, e.g. "
                f"{option} {path.with_suffix(Path(example).suffix)}")
    folder = path.parent
    if not folder.is_dir():
        what = "is a file, not a folder" if folder.exists() else "does not exist"
        return f"{option} {path}: folder {folder} {what}; create it (mkdir -p {folder}) or choose another path"
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"{option} {path}: cannot write into {folder} (permission denied); choose another path"
    return None


def output_folder_problem(path: Path, option: str) -> str | None:
    """Why `path` cannot be used as an output folder (created when the output is written), or None."""
    if path.exists() and not path.is_dir():
        return (f"{option} {path}: is a file, not a folder; give a folder (it is created if missing), "
                f"e.g. {option} {path.parent / 'reports'}")
    probe = path.absolute()
    while not probe.exists():  # the first existing ancestor must be a folder we may write into
        probe = probe.parent
    if not probe.is_dir():
        return f"{option} {path}: {probe} is a file, not a folder; choose another path"
    if not os.access(probe, os.W_OK | os.X_OK):
        return f"{option} {path}: cannot write into {probe} (permission denied); choose another path"
    return None


def check_output_file(path: Path, option: str, suffixes: Sequence[str], example: str) -> Path:
    """Exit 2 unless `path` can be written (`output_file_problem`). Call it before the expensive work."""
    stop_on([output_file_problem(path, option, suffixes, example)])
    return path


def check_output_folder(path: Path, option: str) -> Path:
    """Exit 2 unless `path` is a folder or can be made one (`output_folder_problem`)."""
    stop_on([output_folder_problem(path, option)])
    return path


def stop_on(problems: Sequence[str | None]) -> None:
    """Print every problem found so far (None entries are skipped) and exit 2 if there is one, so a user
    mends all of them in one go instead of one per rerun."""
    found = [p for p in problems if p]
    for problem in found:
        err.print(f"[red]error:[/red] {literal(problem)}", highlight=False, soft_wrap=True)
    if found:
        raise typer.Exit(2)


def in_file(exc: Exception, source: Path | str) -> Exception:
    """`exc` with the file's name in front when a later stage (running, checking) left it out."""
    text = str(exc)
    if text.startswith(str(source)):
        return exc
    return type(exc)(f"{source}: {text}")


@contextmanager
def written_whole(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside `path` (same suffix, so writers that read the suffix still work); on
    success it replaces `path` in one step, on any error it is removed: a reader never sees half a file."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=f".part{path.suffix}", dir=path.parent or ".")
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, path)
    finally:
        tmp_path.unlink(missing_ok=True)


@contextmanager
def written_into(folder: Path) -> Iterator[Path]:
    """Yield an empty temporary folder beside `folder`; on success its files move into `folder` (created if
    missing), each in one step; on any error nothing reaches `folder`. Map a returned path with `moved`."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".part", dir=folder.parent))
    try:
        yield tmp
        folder.mkdir(parents=True, exist_ok=True)
        for item in sorted(tmp.rglob("*")):
            if item.is_file():
                target = folder / item.relative_to(tmp)
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(item, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def moved(path: Path, tmp: Path, folder: Path) -> Path:
    """Where `path`, written inside `written_into`'s temporary folder `tmp`, ends up in `folder`."""
    return folder / Path(path).relative_to(tmp)


# --- listings: --format table|csv|json --------------------------------------------------------------------

FORMATS = ("table", "csv", "json")


def format_option(help_extra: str = "") -> Any:
    return typer.Option(None, "--format", help=f"output format: table, csv or json{help_extra} "
                                               "(default: table; --json is the same as --format json)")


def output_format(fmt: str | None, as_json: bool = False) -> str:
    """The chosen format; exit 2 naming the allowed ones. `--json` is `--format json`."""
    if fmt is None:
        return "json" if as_json else "table"
    if fmt not in FORMATS:
        raise usage_error(f"--format {fmt}: allowed: {', '.join(FORMATS)}")
    if as_json and fmt != "json":
        raise usage_error(f"--json and --format {fmt} contradict each other; give one of them")
    return fmt


def print_rows(rows: Sequence[Mapping[str, Any]], columns: Mapping[str, str], fmt: str, title: str = "",
               payload: Any = None, out: Console | None = None, right: Sequence[str] = ()) -> None:
    """Print `rows` (dicts) under `columns` (key -> header). table: a rich table (`print_table`: on a pipe or
    file no cell is cut or wrapped); csv: one header row and one row per item; json: `payload` (default: the
    rows). `right`: keys of right-aligned (numeric) columns."""
    out = out or console
    if fmt == "json":
        sys.stdout.write(json.dumps(rows if payload is None else payload, indent=1, allow_nan=False) + "\n")
        return
    cells = [[_cell(row.get(key)) for key in columns] for row in rows]
    if fmt == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(list(columns.values()))
        writer.writerows([[visible(c) for c in row] for row in cells])
        return
    table = Table(title=literal(title) if title else None)
    for key, header in columns.items():
        table.add_column(literal(header), overflow="fold", justify="right" if key in right else "left")
    for row in cells:
        table.add_row(*(literal(c) for c in row))
    print_table(table, out)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, (list, tuple)):
        return ", ".join(map(_cell, value))
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_cell(v)}" for k, v in value.items())
    return str(value)


def print_table(table: Table, out: Console | None = None) -> None:
    """A rich table as it is on a terminal; on a pipe or file as wide as its cells need, so nothing is cut or
    wrapped (a name such as desmethyldiazepam comes out whole)."""
    out = out or console
    if out.is_terminal:
        out.print(table)
        return
    wide = Console(file=out.file, width=10_000, no_color=True, highlight=False, soft_wrap=True)
    for column in table.columns:
        column.no_wrap = True
    wide.print(table, crop=False)


# --- provenance: what every --json carries so a result can be reproduced ------------------------------------

def version() -> str:
    from .. import __version__

    return __version__


@lru_cache(maxsize=1)
def git_commit() -> str | None:
    """The commit of the source tree neuroscape runs from, when it is a git checkout (None otherwise)."""
    here = Path(__file__).resolve().parent
    try:
        done = subprocess.run(["git", "-C", str(here), "rev-parse", "HEAD"], capture_output=True, text=True,
                              timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    commit = done.stdout.strip()
    if done.returncode != 0 or not re.fullmatch(r"[0-9a-f]{40}", commit):
        return None
    dirty = subprocess.run(["git", "-C", str(here), "status", "--porcelain", "--untracked-files=no", "--", "."],
                           capture_output=True, text=True, timeout=5, check=False).stdout.strip()
    return commit + ("-dirty" if dirty else "")


def _plain(value: Any) -> Any:
    """A value as JSON data (dataclasses and pydantic models as mappings)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if hasattr(value, "model_dump"):
        return _plain(value.model_dump(exclude_none=True))
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(v) for v in value]
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return None  # JSON has no NaN or infinity (e.g. Solver.h_max = inf: no cap)
    return value


def provenance(subject: Any = None, solver: Any = None, **extra: Any) -> dict:
    """`{"version", "git_commit", "solver", "subject", "command", ...}`: the one block every `--json` output
    carries (key "provenance"). `solver` defaults to the engine's default settings when a subject is given."""
    if solver is None and subject is not None:
        from ..engine.compiled import Solver

        solver = Solver()
    block = {"version": version(), "git_commit": git_commit(),
             "solver": None if solver is None else {"method": "Rodas4", **_plain(solver)},
             "subject": _plain(subject), "command": ["neuroscape", *sys.argv[1:]]}
    block.update({k: _plain(v) for k, v in extra.items()})
    return block


# --- progress: a status line on a terminal, quiet on a pipe -------------------------------------------------

def status(message: str, out: Console | None = None) -> Any:
    """A spinner with `message` on stderr while a slow step runs (compilation, validation, calibration,
    imports); nothing when stderr is not a terminal, so pipes and logs stay clean."""
    out = out or err
    return out.status(literal(message)) if out.is_terminal else nullcontext()


def progress_bar(description: str, total: int | None = None, out: Console | None = None) -> Any:
    """A context manager giving `advance(label)`: a progress bar on a terminal, a no-op when piped."""
    out = out or err
    if not out.is_terminal:
        return nullcontext(lambda *_a, **_k: None)
    return _Bar(description, total, out)


class _Bar:
    def __init__(self, description: str, total: int | None, out: Console):
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TimeElapsedColumn(), TextColumn("[dim]{task.fields[label]}"), console=out,
                                 transient=True)
        self.task = self.progress.add_task(literal(description), total=total, label="")

    def __enter__(self):
        self.progress.__enter__()
        return self.advance

    def __exit__(self, *exc):
        return self.progress.__exit__(*exc)

    def advance(self, label: str = "") -> None:
        self.progress.update(self.task, advance=1, label=literal(label)[:60])


def all_references() -> dict:
    """Every source key the reports and `cite` can name: model parameters, drugs, PGx, observation tables."""
    from ..model.parameters import references
    from ..pharmacology.library import drug_references

    refs = dict(references())
    refs.update(drug_references())
    try:
        from ..pharmacology.pgx import pgx_references

        refs.update(pgx_references())
    except ImportError:  # pragma: no cover - pgx data is part of the package
        pass
    from ..assess.units import table

    refs.update({k: v for k, v in table().references.items() if k not in refs})
    return refs
