"""A clinician cannot detect another clinician's patient: for every route of the OpenAPI document (and the
dashboard's pages) that takes a patient key or the id of something a patient owns, the answer for another
clinician's object is the answer for one that does not exist: status, body and headers (Content-Length
included), and neither writes an audit row nor queues a job. On SQLite and PostgreSQL."""

from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from neuroscape.store import tables as t

MISSING = {"key": "no-such-patient", "id": 987654}


def _stored_results(store, key: str, report: Path) -> tuple[int, int]:
    """An assessment and a plan search (with a report file) for the patient, written directly: what they
    hold does not matter here, only who may read them."""
    now = datetime.now(timezone.utc)
    with Session(store.engine) as s, s.begin():
        p = s.scalar(select(t.Patient).where(t.Patient.key == key))
        a = t.Assessment(patient_id=p.id, import_id=p.imports[0].id, created_at=now, method="laplace", seed=0,
                         neuroscape_version="x", model_version="x", parameter_hash="0" * 64,
                         summary={"landscape": []}, parameter_names=[], draws=b"")
        profile = t.TargetProfile(name="p", sha256="1" * 64, profile={})
        s.add_all([a, profile])
        s.flush()
        search = t.PlanSearchRow(patient_id=p.id, assessment_id=a.id, profile_id=profile.id, created_at=now, seed=0,
                                 settings={}, result={"plans": []}, report=str(report))
        s.add(search)
        s.flush()
        return a.id, search.id


def _counts(store) -> tuple[int, int, int]:
    with Session(store.engine) as s:
        return tuple(s.scalar(select(func.count()).select_from(table))
                     for table in (t.AuditEntry, t.Job, t.PatientShare))


# Every route that names a patient or a patient's thing: (method, path template, request keywords).
FOLLOW_UP = {"files": {"file": ("f.csv", b"patient_id,time,code,value,unit\n")}}
ROUTES = [
    ("GET", "/api/v1/patients/{key}", {}),
    ("PATCH", "/api/v1/patients/{key}", {"json": {"version": 1, "notes": "x"}}),
    ("POST", "/api/v1/patients/{key}/shares", {"json": {"username": "bob"}}),
    ("GET", "/api/v1/patients/{key}/landscape", {}),
    ("POST", "/api/v1/patients/{key}/assessments", {"json": {}}),
    ("POST", "/api/v1/patients/{key}/plans", {"json": {"targets": "ssri-efficacy"}}),
    ("POST", "/api/v1/patients/{key}/followups", FOLLOW_UP),
    ("GET", "/api/v1/jobs/{job_id}", {}),
    ("GET", "/api/v1/plans/{search_id}", {}),
    ("GET", "/api/v1/plans/{search_id}/report", {}),
    ("GET", "/api/v1/assessments/{assessment_id}", {}),
    ("GET", "/ui/patients/{key}", {}),
    ("GET", "/ui/plans/{plan_id}", {}),
]


def test_every_route_with_a_patient_or_its_things_is_covered(service):
    """A new route that takes a key or an id must be added to ROUTES (and so to this check)."""
    schema = service.client.app.openapi()["paths"]
    templated = {(m.upper(), p) for p, item in schema.items() for m in item if "{" in p}
    from neuroscape.service.ui import router  # the dashboard's routes (not in the OpenAPI document)

    ui = {(m, r.path) for r in router.routes if "{" in r.path and r.path.startswith("/ui") for m in r.methods}
    assert templated | ui == {(m, p) for m, p, _ in ROUTES}


def _fill(path: str, ids: dict) -> str:
    for name, value in ids.items():
        path = path.replace("{" + name + "}", str(value))
    return path


def test_another_clinicians_things_answer_exactly_like_missing_ones(service, tmp_path):
    store = service.client.app.state.store
    key = service.upload("alice").json()["patient_key"]
    report = tmp_path / "report.html"
    report.write_text("<html>report</html>")
    assessment_id, search_id = _stored_results(store, key, report)
    job_id = service.as_("alice", "POST", f"/api/v1/patients/{key}/assessments", json={}).json()["job_id"]
    protocol_job = service.as_("alice", "POST", "/api/v1/protocol-runs", content=b"x",
                               headers={"Content-Type": "text/plain"})  # refused: not a protocol
    assert protocol_job.status_code == 422
    alices = {"key": key, "job_id": job_id, "search_id": search_id, "assessment_id": assessment_id,
              "plan_id": search_id}
    missing = {"key": MISSING["key"], **{k: MISSING["id"] for k in alices if k != "key"}}
    for method, path, kw in ROUTES:  # alice herself gets her things (the routes are real)
        if method == "GET":
            assert service.as_("alice", method, _fill(path, alices)).status_code == 200, path
    for who in ("bob", "rita"):
        for method, path, kw in ROUTES:
            before = _counts(store)
            hidden = service.as_(who, method, _fill(path, alices), **kw)
            assert _counts(store) == before, (who, method, path, "a side effect for a hidden patient")
            absent = service.as_(who, method, _fill(path, missing), **kw)
            assert _counts(store) == before, (who, method, path)
            assert hidden.status_code == absent.status_code, (who, method, path)
            if path.startswith("/ui/"):  # a page shell (it echoes the key asked for): the owner's page, byte for byte
                assert hidden.status_code == absent.status_code == 200
                assert hidden.content == service.as_("alice", method, _fill(path, alices)).content, path
                continue
            assert hidden.status_code in (403, 404), (who, method, path, hidden.status_code)
            assert hidden.content == absent.content, (who, method, path)
            same = {k: v for k, v in hidden.headers.items() if k != "date"}
            assert same == {k: v for k, v in absent.headers.items() if k != "date"}, (who, method, path)
