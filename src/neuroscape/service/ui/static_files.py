"""The dashboard's static files: its own scripts and stylesheet, and plotly.js from the installed plotly package.

Only the names listed here are served (no path from the request reaches the file system), so a request cannot
walk out of the folder. plotly.min.js is the copy the plotly Python package ships: nothing is downloaded at run
time and no copy lives in this repository.
"""

from __future__ import annotations

import gzip
from functools import lru_cache
from importlib import resources
from pathlib import Path

HERE = Path(__file__).parent / "static"
MEDIA_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
GZIP_ABOVE = 50_000  # bytes: plotly.min.js (about 4.8 MB) travels as about a third of that; small files as they are


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


@lru_cache(maxsize=8)
def gzipped(path: Path) -> bytes:
    """The file gzip-compressed, made once per process (the files do not change while it runs)."""
    return gzip.compress(path.read_bytes(), compresslevel=6, mtime=0)
