"""/imports: a dry-run preview of a patient file, and its import into the store."""

from __future__ import annotations

from fastapi import APIRouter, Depends, File, Request, UploadFile
from fastapi.responses import JSONResponse

from ...store.access import patient_ref_by_id
from ...store.users import User
from ..audit import audit
from ..auth import require_role
from ..uploads import import_bytes, read_upload

router = APIRouter(tags=["imports"])
writer = require_role("admin", "clinician")


def _summary_json(summary) -> dict | None:
    return None if summary is None else summary.as_dict()


@router.post("/imports/preview")
async def preview(request: Request, file: UploadFile = File(...), user: User = Depends(writer)):
    """What the file would import, what is skipped and why, and every problem; writes nothing."""
    from starlette.concurrency import run_in_threadpool

    filename, raw = await read_upload(file)
    summary, problems = await run_in_threadpool(import_bytes, filename, raw)
    key = summary.record.patient_id if summary is not None and summary.record is not None else None
    await run_in_threadpool(audit, request, user, "preview", key)  # a patient's data read, though not stored
    return {"patient_key": key, "summary": _summary_json(summary), "problems": problems}


@router.post("/imports", status_code=201)
async def import_file(request: Request, file: UploadFile = File(...), user: User = Depends(writer)):
    """Import the file: the patient, the file's bytes and what was read. A clinician's import goes to their
    own patient with the file's patient id (created if new), an admin's to the ownerless one (as the command
    line's), never to another owner's: the answer is the same whether or not anyone else holds that id. A
    file with problems answers 422 listing them; nothing is written."""
    from starlette.concurrency import run_in_threadpool

    filename, raw = await read_upload(file)
    summary, problems = await run_in_threadpool(import_bytes, filename, raw)
    if problems or summary is None or summary.record is None:
        return JSONResponse({"detail": "the file was not imported; fix these problems",
                             "problems": problems or ["the file holds no patient record"],
                             "summary": _summary_json(summary)}, status_code=422)
    record = summary.record
    saved = await run_in_threadpool(request.app.state.store.save_record, record, raw=raw, filename=filename,
                                    writer=user)
    patient = await run_in_threadpool(patient_ref_by_id, request.app.state.store, saved.patient_id)
    await run_in_threadpool(audit, request, user, "import", patient)  # a write: never on the event loop
    return {"patient_key": record.patient_id, "import_id": saved.import_id, "new_import": saved.new_import,
            "observations_added": saved.observations_added, "summary": _summary_json(summary)}

