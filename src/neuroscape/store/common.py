"""What every store module shares: the store's error and its UTC clock (its own module, so that store.py and
access.py can both use them without importing each other)."""

from __future__ import annotations

from datetime import datetime, timezone

from ..errors import DataError


class StoreError(DataError):
    """The store cannot be opened or written; nothing was changed."""


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _utc(when: datetime) -> datetime:
    """SQLite hands back naive datetimes (stored as UTC); PostgreSQL aware ones."""
    return when.replace(tzinfo=timezone.utc) if when.tzinfo is None else when.astimezone(timezone.utc)
