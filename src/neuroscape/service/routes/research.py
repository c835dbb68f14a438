"""/research: de-identified data for researchers (and admins); see store/research.py for what is kept."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from ...store.research import cohort
from ...store.users import User
from ..audit import audit
from ..auth import require_role

router = APIRouter(tags=["research"])


@router.get("/research/cohort")
def research_cohort(request: Request, user: User = Depends(require_role("researcher", "admin"))):
    rows = cohort(request.app.state.store, request.app.state.pseudonym_key)
    audit(request, user, "research:cohort")
    return {"items": rows}
