"""Stored results by id: plan searches (the JSON twin of `neuroscape plan --json`, and the HTML report) and
assessments. Each answers 404 unless the caller may see its patient."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse

from ...store.access import assessment, plan_report_html, plan_search
from ...store.users import User
from ..audit import audit
from ..auth import current_user

router = APIRouter(tags=["results"])


@router.get("/plans/{search_id}")
def plan(search_id: int, request: Request, user: User = Depends(current_user)):
    found = plan_search(request.app.state.store, user, search_id)
    audit(request, user, "read", found["patient"])
    return {"id": found["id"], "patient_key": found["patient_key"], "patient_ref": found["patient_ref"],
            "assessment_id": found["assessment_id"],
            "created_at": found["created_at"], "settings": found["settings"], **found["result"],
            "report_url": f"/api/v1/plans/{search_id}/report" if found["has_report"] else None}


@router.get("/plans/{search_id}/report", response_class=HTMLResponse)
def plan_report(search_id: int, request: Request, user: User = Depends(current_user)):
    found = plan_search(request.app.state.store, user, search_id)
    html = plan_report_html(request.app.state.store, user, search_id)
    if html is None:  # a search stored by the CLI: its report, if any, is a file beside the store
        path = Path(found["report"]) if found["report"] else None
        if path is None or not path.is_file():
            raise HTTPException(status_code=404, detail="this plan search has no report (searches made by the "
                                                        "CLI without --out have none)")
        html = path.read_text(encoding="utf-8")
    audit(request, user, "read", found["patient"])
    return HTMLResponse(html)


@router.get("/assessments/{assessment_id}")
def assessment_summary(assessment_id: int, request: Request, user: User = Depends(current_user)):
    found = assessment(request.app.state.store, user, assessment_id)
    audit(request, user, "read", found.pop("patient"))
    return found
