"""Admin only: the audit log and the users."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from ...store.audit import audit_entries
from ...store.users import User, add_user, users
from ..passwords import hash_password
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


class NewUser(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(..., min_length=1, max_length=100)
    password: str = Field(..., min_length=1, max_length=1024)
    role: Literal["admin", "clinician", "researcher"]


@router.post("/users", status_code=201)
def create_user(body: NewUser, request: Request, user: User = Depends(admin)):
    """Add a user (the same rules as `neuroscape users add`: a free username, a password of 15 or more
    characters)."""
    try:
        digest = hash_password(body.password)
    except ValueError as exc:
        raise HTTPException(status_code=422, detail=f"password: {exc}") from None
    made = add_user(request.app.state.store, body.username, digest, body.role)
    return {"username": made.username, "role": made.role, "active": made.active}
