"""Every store test runs on SQLite and, when NEUROSCAPE_TEST_PG_URL names a PostgreSQL database, on
PostgreSQL too (`.ci/run` starts one on loopback). Locally without it the PostgreSQL half is skipped."""

import os

import pytest
from sqlalchemy import create_engine, text

PG = os.environ.get("NEUROSCAPE_TEST_PG_URL")
SKIP_PG = ("PostgreSQL store tests need NEUROSCAPE_TEST_PG_URL=postgresql+psycopg://USER@127.0.0.1:PORT/DB "
           "(a database these tests may empty); .ci/run starts one")


def _worker_database(url: str) -> str:
    """A database of this pytest-xdist worker's own (created on first use), so that workers never empty
    each other's tables."""
    from sqlalchemy.engine import make_url

    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    base = make_url(url)
    name = f"{base.database}_{worker}"
    engine = create_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar():
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def _empty_pg(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    if not PG:
        pytest.skip(SKIP_PG)
    url = _worker_database(PG)
    _empty_pg(url)
    return url
