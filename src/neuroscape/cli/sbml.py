"""`neuroscape export-sbml OUT.xml`: the model as SBML L3V2."""

from __future__ import annotations

from pathlib import Path

import typer

from ._common import check_output_file, console, literal, status, written_whole


def export_sbml(out: Path = typer.Argument(..., help="output .xml (or .sbml) file")):
    """Export the model as SBML Level 3 Version 2 (with units and MIRIAM annotations)."""
    from ..io.sbml import write_sbml
    from ..model.library import default_network

    check_output_file(out, "OUT", ("xml", "sbml"), "neuroscape.xml")
    with status("building the model"), written_whole(out) as tmp:
        write_sbml(default_network(), tmp)
    console.print(f"wrote {literal(out)}", highlight=False)
