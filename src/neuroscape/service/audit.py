"""`audit(request, user, action, patient)`: one entry in the append-only audit log per read or write of
patient data; the resource is the request's method and path. `patient` is the resolved patient (a PatientRef:
its key and store id are recorded, since a key alone may name several patients), or a bare key."""

from __future__ import annotations

from fastapi import Request

from ..store.access import PatientRef
from ..store.audit import record_access


def audit(request: Request, user, action: str, patient: PatientRef | str | None = None,
          resource: str | None = None) -> None:
    key, patient_id = (patient.key, patient.id) if isinstance(patient, PatientRef) else (patient, None)
    record_access(request.app.state.store, user_id=user.id, username=user.username, action=action,
                  resource=resource or f"{request.method} {request.url.path}", patient_key=key,
                  patient_id=patient_id)
