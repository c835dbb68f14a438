"""SQLite in the revisions' downgrades. pysqlite opens a transaction only before a data change, never before
DDL, so a DROP TABLE is committed at once, and `PRAGMA foreign_keys` is a no-op inside a transaction. A
downgrade through several revisions therefore (1) opens a transaction before its first DDL, so that a later
refusal rolls that DDL back with the version number, and (2) commits what the revisions before it undid before
it switches foreign keys off to copy a referenced table."""

from __future__ import annotations


def _dbapi(op):
    return op.get_bind().connection.dbapi_connection


def begin(op) -> None:
    """Make the DDL that follows part of the open (or a new) transaction."""
    if op.get_bind().dialect.name == "sqlite" and not _dbapi(op).in_transaction:
        op.execute("UPDATE alembic_version SET version_num = version_num")  # a data change: pysqlite begins


def foreign_keys_off(op) -> None:
    """Foreign keys off for a table copy; the revisions already undone are committed first (each is whole)."""
    if op.get_bind().dialect.name != "sqlite":
        return
    if _dbapi(op).in_transaction:
        _dbapi(op).commit()
    op.execute("PRAGMA foreign_keys = OFF")
