"""`neuroscape export-sbml OUT.xml`: the model as SBML L3V2."""

from __future__ import annotations

from pathlib import Path

import typer

from ._common import console


def export_sbml(out: Path = typer.Argument(..., help="output .xml file")):
    """Export the model as SBML Level 3 Version 2 (with units and MIRIAM annotations)."""
    from ..io.sbml import write_sbml
    from ..model.library import default_network

    write_sbml(default_network(), out)
    console.print(f"wrote {out}")
