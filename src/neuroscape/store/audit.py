"""The append-only audit log of reads and writes of patient data (the database refuses UPDATE and DELETE
on it: migration 0003)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import tables as t
from .common import _now, _utc


def record_access(store, *, user_id: int | None, username: str, action: str, resource: str,
                  patient_key: str | None = None) -> None:
    with Session(store.engine) as s, s.begin():
        s.add(t.AuditEntry(at=_now(), user_id=user_id, username=username, action=action, resource=resource[:300],
                           patient_key=patient_key))


def audit_entries(store, *, limit: int = 100, patient_key: str | None = None) -> list[dict]:
    """The newest entries first."""
    q = select(t.AuditEntry).order_by(t.AuditEntry.id.desc()).limit(limit)
    if patient_key is not None:
        q = q.where(t.AuditEntry.patient_key == patient_key)
    with Session(store.engine) as s:
        return [{"id": e.id, "at": _utc(e.at).isoformat(), "username": e.username, "action": e.action,
                 "resource": e.resource, "patient_key": e.patient_key} for e in s.scalars(q)]
