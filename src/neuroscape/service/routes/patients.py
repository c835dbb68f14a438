"""/patients: list, details, optimistic-concurrency PATCH, shares, and the landscape figure. Every patient is
authorised per caller; one the caller may not see answers 404 exactly like one that does not exist. `{key}` is
a reference as store/access.py resolves it among the caller's visible patients (a bare key, or OWNER~KEY);
a bare key that names several of them answers 409 naming the qualified form of each."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field

from ...store.access import PatientRef, list_patients, patient_ref, share_patient, update_patient
from ...store.users import User
from ..audit import audit
from ..auth import current_user

router = APIRouter(tags=["patients"])


def store_of(request: Request):
    return request.app.state.store


def visible(request: Request, user: User, key: str) -> PatientRef:
    """The patient `key` names for the caller; 404 (NotVisible) when none it may see, 409 (AmbiguousKey) when
    a bare key names several. Researchers see none."""
    return patient_ref(store_of(request), user, key)


class PatientChange(BaseModel):
    model_config = ConfigDict(extra="allow")
    version: int = Field(..., ge=1, le=2**31 - 1, description="the version you read; a stale one answers 409")


class Share(BaseModel):
    username: str = Field(..., min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._@-]+$",
                          description="a clinician's username (letters, digits, '.', '_', '-', '@')")


@router.get("/patients")
def patients(request: Request, user: User = Depends(current_user)):
    """The patients the caller may see, with counts."""
    items = list_patients(store_of(request), user)
    audit(request, user, "list")
    return {"items": items}


@router.get("/patients/{key}")
def patient(key: str, request: Request, user: User = Depends(current_user)):
    """One patient: demographics, imports, observations, assessments, plan searches and decisions."""
    p = visible(request, user, key)
    data = store_of(request).patient(p.qualified)
    row = _row(request, user, p)
    audit(request, user, "read", p)
    return {"key": data["patient"], "ref": row["ref"], "owner": row["owner"], "sex": data["sex"],
            "birth_date": data["birth_date"],
            "age_years": data["age_years"], "version": row["version"], "notes": row["notes"],
            "created_at": data["created_at"], "imports": data["imports"], "observations": data["observations"],
            "assessments": data["assessments"], "plans": data["plan_searches"], "decisions": data["decisions"]}


def _row(request: Request, user: User, p: PatientRef) -> dict:
    from sqlalchemy.orm import Session

    from ...store import tables as t
    from ...store.access import patient_row

    with Session(store_of(request).engine) as s:
        return patient_row(s, user, s.get(t.Patient, p.id))


@router.patch("/patients/{key}")
def change_patient(key: str, change: PatientChange, request: Request, user: User = Depends(current_user)):
    """Change `notes`, `age_years` or `birth_date`, given the version read; a stale version answers 409 and
    changes nothing."""
    p = visible(request, user, key)
    changes: dict[str, Any] = dict(change.model_extra or {})
    out = update_patient(store_of(request), user, p.qualified, change.version, changes)
    audit(request, user, "update", p)
    return out


@router.post("/patients/{key}/shares", status_code=201)
def share(key: str, body: Share, request: Request, user: User = Depends(current_user)):
    """Share the patient with another clinician (its owner or an admin)."""
    p = visible(request, user, key)
    share_patient(store_of(request), user, p.qualified, body.username)
    audit(request, user, f"share:{body.username}"[:50], p)
    return {"patient_key": p.key, "patient_ref": p.ref_for(user), "shared_with": body.username}


@router.get("/patients/{key}/landscape")
def landscape(key: str, request: Request, user: User = Depends(current_user)):
    """The plotly figure (JSON) of the latest assessment's landscape."""
    from ..figures import landscape_figure

    p = visible(request, user, key)
    latest = store_of(request).latest_assessment(p.qualified)
    audit(request, user, "read", p)
    if latest is None:
        raise HTTPException(status_code=404, detail="no assessment yet: run one with POST "
                                                    "/api/v1/patients/{key}/assessments")
    assessment_id, summary = latest
    return landscape_figure(summary, title=f"assessment {assessment_id}")
