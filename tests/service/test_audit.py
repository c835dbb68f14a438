"""Audit coverage: every API route that reads or writes a patient's data appends exactly one entry naming the
user, the action, the request and the patient (the dashboard's pages are shells that hold no patient data;
their scripts' API calls are these routes); a patient's job appends one more when it ends, in the name of
the user who queued it. On SQLite and PostgreSQL."""

from neuroscape.service import runners
from neuroscape.store import jobs as store_jobs
from tests.service.test_existence import FOLLOW_UP, _fill, _stored_results


def _entries(service) -> list[dict]:
    return service.as_("admin", "GET", "/api/v1/audit?limit=10000").json()["items"]


def test_every_read_and_write_of_a_patients_data_appends_one_entry(service, tmp_path):
    report = tmp_path / "r.html"
    report.write_text("<html>r</html>")
    before = len(_entries(service))
    assert service.upload("alice", path="/api/v1/imports/preview").status_code == 200
    key = service.upload("alice").json()["patient_key"]
    assessment_id, search_id = _stored_results(service.client.app.state.store, key, report)
    job_id = service.as_("alice", "POST", f"/api/v1/patients/{key}/assessments", json={}).json()["job_id"]
    ids = {"key": key, "job_id": job_id, "search_id": search_id, "assessment_id": assessment_id}
    calls = [
        ("GET", "/api/v1/patients", {}, "list", None),
        ("GET", "/api/v1/patients/{key}", {}, "read", key),
        ("PATCH", "/api/v1/patients/{key}", {"json": {"version": 1, "notes": "n"}}, "update", key),
        ("POST", "/api/v1/patients/{key}/shares", {"json": {"username": "bob"}}, "share:bob", key),
        ("GET", "/api/v1/patients/{key}/landscape", {}, "read", key),
        ("POST", "/api/v1/patients/{key}/plans", {"json": {"targets": "ssri-efficacy"}}, "job:plan", key),
        ("POST", "/api/v1/patients/{key}/followups", FOLLOW_UP, "job:followup", key),
        ("GET", "/api/v1/jobs/{job_id}", {}, "read", key),
        ("GET", "/api/v1/plans/{search_id}", {}, "read", key),
        ("GET", "/api/v1/plans/{search_id}/report", {}, "read", key),
        ("GET", "/api/v1/assessments/{assessment_id}", {}, "read", key),
    ]
    for method, path, kw, action, patient in calls:
        n = len(_entries(service))
        r = service.as_("alice", method, _fill(path, ids), **kw)
        assert r.status_code < 300, (path, r.status_code, r.text[:200])
        entries = _entries(service)
        assert len(entries) == n + 1, (method, path)
        e = entries[0]
        assert (e["username"], e["action"], e["patient_key"]) == ("alice", action, patient), (path, e)
        assert e["resource"] == f"{method} {_fill(path, ids)}"
    r = service.as_("rita", "GET", "/api/v1/research/cohort")
    assert r.status_code == 200 and _entries(service)[0]["action"] == "research:cohort"
    # the import's preview, the import and the assessment job that were made above
    first = sorted(_entries(service)[: len(_entries(service)) - before], key=lambda e: e["id"])[:3]
    assert [(e["action"], e["patient_key"]) for e in first] == [("preview", key), ("import", key),
                                                                ("job:assessment", key)]


def test_a_patients_job_appends_an_entry_when_it_ends(service, monkeypatch):
    key = service.upload("alice").json()["patient_key"]
    monkeypatch.setitem(runners.RUNNERS, "assessment", lambda store, settings, params, progress: ({"ok": 1}, None))
    monkeypatch.setitem(runners.RUNNERS, "protocol", lambda *a: (_ for _ in ()).throw(RuntimeError("boom")))
    job_id = service.as_("alice", "POST", f"/api/v1/patients/{key}/assessments", json={}).json()["job_id"]
    protocol = service.as_("alice", "POST", "/api/v1/protocol-runs", content=b"name: x\ninterventions: []\n",
                           headers={"Content-Type": "text/plain"})
    pool = service.client.app.state.workers
    store = service.client.app.state.store
    while (job := store_jobs.claim(store, pool.name)) is not None:
        pool.run_one(job)
    assert service.as_("alice", "GET", f"/api/v1/jobs/{job_id}").json()["status"] == "done"
    done = [e for e in _entries(service) if e["action"].startswith("job-")]
    assert [(e["username"], e["action"], e["resource"], e["patient_key"]) for e in done] == [
        ("alice", "job-done:assessment", f"job {job_id}", key)]  # a protocol run holds no patient's data
    assert protocol.status_code in (202, 422)
