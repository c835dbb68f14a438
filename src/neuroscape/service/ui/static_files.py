"""The dashboard's static files: its own scripts and stylesheet, and plotly.js from the installed plotly package.

Only the names listed here are served (no path from the request reaches the file system), so a request cannot
walk out of the folder. plotly.min.js is the copy the plotly Python package ships: nothing is downloaded at run
time and no copy lives in this repository.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

HERE = Path(__file__).parent / "static"
MEDIA_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}


def plotly_js() -> Path | None:
    """The plotly.min.js bundled with the installed plotly package, or None when plotly is not installed."""
    try:
        path = Path(str(resources.files("plotly") / "package_data" / "plotly.min.js"))
    except ModuleNotFoundError:
        return None
    return path if path.is_file() else None


def static_files() -> dict[str, Path]:
    """Public name -> file, for every file the dashboard serves under /static."""
    files = {p.name: p for p in sorted(HERE.iterdir()) if p.suffix in MEDIA_TYPES}
    plotly = plotly_js()
    if plotly is not None:
        files["plotly.min.js"] = plotly
    return files
