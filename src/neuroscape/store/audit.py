"""The append-only audit log of reads and writes of patient data (the database refuses UPDATE and DELETE
on it: migration 0003). An entry names its patient by key and by store id (keys are unique per owner only:
migration 0004; entries written before it have the key alone, which was unique in the store then)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from . import tables as t
from .access import QUALIFIER, qualified_patient
from .common import _now, _utc


def record_access(store, *, user_id: int | None, username: str, action: str, resource: str,
                  patient_key: str | None = None, patient_id: int | None = None) -> None:
    with Session(store.engine) as s, s.begin():
        s.add(t.AuditEntry(at=_now(), user_id=user_id, username=username, action=action, resource=resource[:300],
                           patient_key=patient_key, patient_id=patient_id))


def audit_entries(store, *, limit: int = 100, patient_key: str | None = None) -> list[dict]:
    """The newest entries first. `patient_key` filters: a qualified OWNER~KEY (or ~KEY) the entries of exactly
    that patient, a bare key those of every patient with that key. Each entry's `patient` is the qualified
    form of its patient (None for entries without a patient id)."""
    owner = aliased(t.User)
    q = (select(t.AuditEntry, t.Patient.key, owner.username)
         .outerjoin(t.Patient, t.Patient.id == t.AuditEntry.patient_id)
         .outerjoin(owner, owner.id == t.Patient.owner_id)
         .order_by(t.AuditEntry.id.desc()).limit(limit))
    with Session(store.engine) as s:
        if patient_key is not None:
            # admins read the log, and they see every patient: no existence to hide here
            exact = qualified_patient(s, patient_key)
            q = q.where(t.AuditEntry.patient_id == exact.id if exact is not None else
                        t.AuditEntry.patient_key == patient_key)
        return [{"id": e.id, "at": _utc(e.at).isoformat(), "username": e.username, "action": e.action,
                 "resource": e.resource, "patient_key": e.patient_key, "patient_id": e.patient_id,
                 "patient": None if key is None else f"{name or ''}{QUALIFIER}{key}"}
                for e, key, name in s.execute(q)]
