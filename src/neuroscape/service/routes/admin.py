"""Admin only: the audit log and the users."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request

from ...store.audit import audit_entries
from ...store.users import User, users
from ..auth import require_role

router = APIRouter(tags=["admin"])
admin = require_role("admin")


@router.get("/audit")
def audit_log(request: Request, limit: int = Query(100, ge=1, le=10_000),
              patient: str | None = Query(None, max_length=200), user: User = Depends(admin)):
    """The newest audit entries first: who read or wrote which patient's data, and when."""
    return {"items": audit_entries(request.app.state.store, limit=limit, patient_key=patient)}


@router.get("/users")
def user_list(request: Request, user: User = Depends(admin)):
    return {"items": [{"username": u.username, "role": u.role, "active": u.active}
                      for u in users(request.app.state.store)]}
