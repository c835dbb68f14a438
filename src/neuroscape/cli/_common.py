"""What every command module shares: the two consoles, `fail`, and the merged reference table.

The command modules import this module, never the package's `__init__` (which imports them to
register the commands), so the CLI's own imports stay one-way.
"""

from __future__ import annotations

import typer
from rich.console import Console
from rich.markup import escape

console = Console()
err = Console(stderr=True)


def fail(exc: Exception, code: int) -> typer.Exit:
    """Print the library's error (its text says how to fix it) and return the exit to raise."""
    err.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


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
