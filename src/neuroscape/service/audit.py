"""`audit(request, user, action, patient_key)`: one entry in the append-only audit log per read or write of
patient data; the resource is the request's method and path."""

from __future__ import annotations

from fastapi import Request

from ..store.audit import record_access


def audit(request: Request, user, action: str, patient_key: str | None = None, resource: str | None = None) -> None:
    record_access(request.app.state.store, user_id=user.id, username=user.username, action=action,
                  resource=resource or f"{request.method} {request.url.path}", patient_key=patient_key)
