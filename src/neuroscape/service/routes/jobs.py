"""Long work as jobs: assessments, plan searches, follow-ups, protocol runs, cohort runs and the validation
report are queued (202 with the job id) and run by the service's workers; GET /jobs/{id} reports status and progress,
and the result's URL once done."""

from __future__ import annotations

import base64
from typing import Literal

from fastapi import APIRouter, Body, Depends, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from ...errors import ProtocolError
from ...store import jobs as store_jobs
from ...store.access import NotVisible, job_visible, patient_ref_by_id
from ...store.users import User
from ..audit import audit
from ..auth import current_user, require_role
from ..runners import levers_from, parse_cohort_text, parse_protocol_text, profile_from
from ..uploads import read_upload
from .patients import visible

router = APIRouter(tags=["jobs"])
writer = require_role("admin", "clinician")
SEED = Field(0, ge=0, le=2**31 - 1)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AssessmentRequest(_Strict):
    method: Literal["laplace", "mcmc"] = "laplace"
    seed: int = SEED


class PlanRequest(_Strict):
    targets: str = Field(..., min_length=1, max_length=100_000,
                         description="a shipped target profile's name, or a profile as YAML text")
    levers: dict = Field(default_factory=dict, description="drugs, supplements, no_drug_changes, "
                         "exercise_per_week, hormones, max_candidates (as `neuroscape plan`'s options)")
    horizon_days: float = Field(84.0, gt=0, le=1825)
    draws: int = Field(100, ge=0, le=2000)
    objective: Literal["pta", "cvar"] = "pta"
    seed: int = SEED


def _enqueue(request: Request, user: User, kind: str, params: dict, patient_id: int | None = None) -> int:
    """Queue a job, unless the caller already has settings.max_pending_jobs unfinished ones (429: one user
    cannot fill the queue for everyone)."""
    store = request.app.state.store
    limit = request.app.state.settings.max_pending_jobs
    if store_jobs.pending_count(store, user.id) >= limit:
        raise HTTPException(status_code=429, detail=f"you have {limit} unfinished jobs; wait for some to finish",
                            headers={"Retry-After": "10"})
    return store_jobs.enqueue(store, kind, params, user_id=user.id, patient_id=patient_id)


def _accepted(request: Request, job_id: int) -> JSONResponse:
    return JSONResponse({"job_id": job_id, "url": f"/api/v1/jobs/{job_id}"}, status_code=202,
                        headers={"Location": f"/api/v1/jobs/{job_id}"})


def _checked(thunk):
    """Run a request check that raises the library's ProtocolError (or CohortError, one of them) as a 422
    (before anything is queued)."""
    try:
        return thunk()
    except ProtocolError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None


def _json_object(text: str, field: str) -> dict:
    import json

    try:
        value = json.loads(text)
    except ValueError:
        raise HTTPException(status_code=422, detail=f"{field}: not valid JSON; give an object such as "
                                                    '{"drugs": ["escitalopram"]}') from None
    if not isinstance(value, dict):
        raise HTTPException(status_code=422, detail=f"{field}: give a JSON object such as {{\"drugs\": [...]}}")
    return value


def _capped(request: Request, params: dict) -> dict:
    """The service's caps on a search's size (settings.plan_draws, plan_candidates), when set."""
    settings = request.app.state.settings
    if settings.plan_draws is not None:
        params["draws"] = max(1, min(params["draws"], settings.plan_draws)) if params["draws"] else 0
    if settings.plan_candidates is not None:
        given = params["levers"].get("max_candidates", 100)
        given = given if isinstance(given, int) and not isinstance(given, bool) else 100
        params["levers"] = {**params["levers"], "max_candidates": min(given, settings.plan_candidates)}
    return params


@router.post("/patients/{key}/assessments", status_code=202)
def start_assessment(key: str, body: AssessmentRequest, request: Request, user: User = Depends(writer)):
    """Calibrate the patient on every stored observation (a job)."""
    p = visible(request, user, key)
    settings = request.app.state.settings
    params = {"patient_key": p.key, "method": body.method, "seed": body.seed,
              "samples": settings.assessment_samples}
    job_id = _enqueue(request, user, "assessment", params, patient_id=p.id)
    audit(request, user, "job:assessment", p)
    return _accepted(request, job_id)


@router.post("/patients/{key}/plans", status_code=202)
def start_plan(key: str, body: PlanRequest, request: Request, user: User = Depends(writer)):
    """Calibrate and search ranked plans against a target profile (a job)."""
    p = visible(request, user, key)
    _checked(lambda: profile_from(body.targets))
    _checked(lambda: levers_from(body.levers))
    params = _capped(request, body.model_dump() | {"patient_key": p.key})
    job_id = _enqueue(request, user, "plan", params, patient_id=p.id)
    audit(request, user, "job:plan", p)
    return _accepted(request, job_id)


@router.post("/patients/{key}/followups", status_code=202)
async def start_followup(key: str, request: Request, file: UploadFile = File(...),
                         targets: str | None = Form(None, max_length=100_000),
                         levers: str | None = Form(None, max_length=10_000, description="the plan levers as JSON, "
                                                   "as for /plans (default: the profile's drugs)"),
                         draws: int = Form(50, ge=1, le=2000), horizon_days: float = Form(84.0, gt=0, le=1825),
                         seed: int = Form(0, ge=0, le=2**31 - 1), user: User = Depends(writer)):
    """Import a follow-up file for the patient, re-calibrate, re-plan and record the decision (a job)."""
    from starlette.concurrency import run_in_threadpool

    p = await run_in_threadpool(visible, request, user, key)
    filename, raw = await read_upload(file)
    if targets:
        _checked(lambda: profile_from(targets))
    lever_map = _json_object(levers, "levers") if levers else {}
    _checked(lambda: levers_from(lever_map))
    params = _capped(request, {"patient_key": p.key, "filename": filename, "raw_base64": base64.b64encode(raw).decode(),
                               "targets": targets, "levers": lever_map, "draws": draws, "horizon_days": horizon_days,
                               "seed": seed})
    job_id = await run_in_threadpool(_enqueue, request, user, "followup", params, p.id)
    await run_in_threadpool(audit, request, user, "job:followup", p)  # a write: never on the event loop
    return _accepted(request, job_id)


@router.post("/protocol-runs", status_code=202)
def start_protocol(request: Request, text: str = Body(..., media_type="text/plain", max_length=1_000_000,
                                                       description="the protocol (YAML or JSON text, PROTOCOL.md)"),
                   user: User = Depends(current_user)):
    """Run a protocol (a job); the text is checked before it is queued."""
    _checked(lambda: parse_protocol_text(text))
    job_id = _enqueue(request, user, "protocol", {"text": text})
    return _accepted(request, job_id)


@router.post("/cohort-runs", status_code=202)
def start_cohort(request: Request, text: str = Body(..., media_type="text/plain", max_length=1_000_000,
                                                    description="the cohort (YAML or JSON text, docs/cohorts.md)"),
                 user: User = Depends(current_user)):
    """Run a virtual cohort or trial (a job; virtual members only, no patient data); the text is checked, and its
    size held to the service's limit, before it is queued. The result is the cohort summary (per arm: endpoint
    statistics, responders)."""
    _checked(lambda: parse_cohort_text(text, request.app.state.settings))
    job_id = _enqueue(request, user, "cohort", {"text": text})
    return _accepted(request, job_id)


@router.get("/validation")
def validation(request: Request, user: User = Depends(current_user)):
    """The validation report when a finished run exists (200), else the running or newly queued job (202)."""
    from ...store.jobs import latest_of_kind

    store = request.app.state.store
    cases = request.app.state.settings.validation_cases
    cases = list(cases) if cases else None
    latest = latest_of_kind(store, "validation")
    if latest is not None and latest["status"] == "done":
        return {"job_id": latest["id"], "finished_at": latest["finished_at"], **latest["result"]}
    if latest is None or latest["status"] == "failed":
        return _accepted(request, _enqueue(request, user, "validation", {"cases": cases}))
    return _accepted(request, latest["id"])


@router.get("/jobs/{job_id}")
def job(job_id: int, request: Request, user: User = Depends(current_user)):
    store = request.app.state.store
    found = store_jobs.job(store, job_id) if 0 < job_id < 2**31 else None
    if found is None or not job_visible(store, user, found):
        raise NotVisible("job")
    if found["patient_id"] is not None:
        audit(request, user, "read", patient_ref_by_id(store, found["patient_id"]))
    return {k: found[k] for k in ("id", "kind", "status", "progress", "message", "result_url", "created_at",
                                  "finished_at")} | {"result": found["result"] if found["kind"] != "validation"
                                                     else None}
