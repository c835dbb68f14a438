"""Where the store lives: `NEUROSCAPE_DB` (an SQLAlchemy URL or a file path), else a SQLite file in the
user's data directory (platformdirs: ~/.local/share/neuroscape on Linux)."""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import DataError

DRIVERS = ("sqlite", "postgresql")


def database_url(value: str | None = None) -> str:
    """An SQLAlchemy URL from `value`, or `NEUROSCAPE_DB`, or the default SQLite file. A bare path is
    a SQLite file; the URL's scheme must be sqlite or postgresql (with +psycopg as the driver)."""
    value = value if value is not None else os.environ.get("NEUROSCAPE_DB")
    if not value:
        import platformdirs

        folder = Path(platformdirs.user_data_dir("neuroscape"))
        folder.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{folder / 'neuroscape.db'}"
    if "://" not in value:
        path = Path(value).expanduser()
        if path.is_dir():
            raise DataError(f"NEUROSCAPE_DB={value!r} is a folder; give a database file (e.g. "
                            f"{path / 'neuroscape.db'}) or a URL such as postgresql+psycopg://user@host/db")
        if not path.parent.is_dir():
            raise DataError(f"NEUROSCAPE_DB={value!r}: the folder {path.parent} does not exist; create it first")
        return f"sqlite:///{path.resolve()}"
    scheme = value.split("://", 1)[0].split("+", 1)[0]
    if scheme not in DRIVERS:
        raise DataError(f"NEUROSCAPE_DB: {scheme!r} databases are not supported; use a file path (SQLite) or "
                        "postgresql+psycopg://user@host/db")
    if scheme == "postgresql" and "+" not in value.split("://", 1)[0]:
        value = value.replace("postgresql://", "postgresql+psycopg://", 1)  # the driver neuroscape installs
    return value


def safe_url(url: str) -> str:
    """The URL with its password hidden, for messages."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
