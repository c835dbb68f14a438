"""Patients through the API: import, list, details, per-patient authorisation (404 for a patient one may not
see, indistinguishable from one that does not exist), shares, and optimistic concurrency."""

import threading

from tests.service.conftest import EXAMPLES


def test_login_me_and_wrong_password(service):
    assert service.as_("alice", "GET", "/api/v1/me").json() == {"username": "alice", "role": "clinician"}
    r = service.client.post("/api/v1/auth/token", data={"username": "alice", "password": "wrong password here!"})
    assert r.status_code == 401
    assert service.client.post("/api/v1/auth/token", data={"username": "nobody", "password": "x" * 20}
                               ).status_code == 401
    assert service.client.get("/api/v1/patients").status_code == 401
    assert service.client.get("/api/v1/patients", headers={"Authorization": "Bearer not.a.token"}).status_code == 401


def test_import_preview_writes_nothing_and_import_stores_the_patient(service):
    r = service.upload("alice", path="/api/v1/imports/preview")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["patient_key"] and body["problems"] == [] and body["summary"]["imported"] is True
    assert service.as_("alice", "GET", "/api/v1/patients").json() == {"items": []}
    r = service.upload("alice")
    assert r.status_code == 201, r.text
    key = r.json()["patient_key"]
    [item] = service.as_("alice", "GET", "/api/v1/patients").json()["items"]
    n_obs = body["summary"]["read"]["observations"]
    assert (item["key"], item["version"], item["n_imports"], item["n_observations"]) == (key, 1, 1, n_obs)
    details = service.as_("alice", "GET", f"/api/v1/patients/{key}").json()
    assert len(details["observations"]) == n_obs and details["version"] == 1


def test_a_file_with_problems_is_refused_with_each_problem_and_nothing_is_written(service):
    raw = (EXAMPLES / "ben-records.csv").read_text().replace("\n", "\nnot,a,valid,row,at,all\n", 1).encode()
    r = service.upload("alice", "ben-records.csv", raw=raw)
    assert r.status_code == 422
    assert r.json()["problems"]
    assert service.as_("alice", "GET", "/api/v1/patients").json() == {"items": []}
    assert service.upload("alice", "notes.txt", raw=b"hello").status_code == 422


def test_a_clinician_cannot_read_change_or_detect_another_clinicians_patient(service):
    key = service.upload("alice").json()["patient_key"]
    missing = "no-such-patient"
    for who, expected in (("bob", 404), ("rita", 404)):
        for k in (key, missing):
            answers = [service.as_(who, "GET", f"/api/v1/patients/{k}"),
                       service.as_(who, "PATCH", f"/api/v1/patients/{k}", json={"version": 1, "notes": "x"}),
                       service.as_(who, "GET", f"/api/v1/patients/{k}/landscape"),
                       service.as_(who, "POST", f"/api/v1/patients/{k}/shares", json={"username": who}),
                       service.as_(who, "POST", f"/api/v1/patients/{k}/assessments", json={})]
            assert [a.status_code for a in answers][:4] == [expected] * 4
            # the answer for a hidden patient is byte-for-byte the answer for a missing one
            assert answers[0].json() == service.as_(who, "GET", f"/api/v1/patients/{missing}").json()
        assert service.as_(who, "GET", "/api/v1/patients").json() == {"items": []}
    assert service.as_("bob", "POST", f"/api/v1/patients/{key}/assessments", json={}).status_code == 404
    assert service.as_("alice", "GET", f"/api/v1/patients/{key}").status_code == 200
    assert service.as_("admin", "GET", f"/api/v1/patients/{key}").status_code == 200


def test_sharing_lets_the_other_clinician_see_the_patient(service):
    key = service.upload("alice").json()["patient_key"]
    assert service.as_("bob", "POST", f"/api/v1/patients/{key}/shares", json={"username": "bob"}).status_code == 404
    r = service.as_("alice", "POST", f"/api/v1/patients/{key}/shares", json={"username": "bob"})
    assert r.status_code == 201, r.text
    assert [p["key"] for p in service.as_("bob", "GET", "/api/v1/patients").json()["items"]] == [key]
    # bob may read and edit but may not share on (only the owner or an admin may)
    assert service.as_("bob", "POST", f"/api/v1/patients/{key}/shares", json={"username": "bob"}).status_code == 403
    assert service.as_("alice", "POST", f"/api/v1/patients/{key}/shares", json={"username": "rita"}
                       ).status_code == 422  # not a clinician


def test_a_stale_version_is_refused_with_409_and_nothing_is_overwritten(service):
    key = service.upload("alice").json()["patient_key"]
    r = service.as_("alice", "PATCH", f"/api/v1/patients/{key}", json={"version": 1, "notes": "first"})
    assert r.status_code == 200 and r.json()["version"] == 2 and r.json()["notes"] == "first"
    stale = service.as_("alice", "PATCH", f"/api/v1/patients/{key}", json={"version": 1, "notes": "second"})
    assert stale.status_code == 409 and "version 1" in stale.json()["detail"]
    assert service.as_("alice", "GET", f"/api/v1/patients/{key}").json()["notes"] == "first"
    assert service.as_("alice", "PATCH", f"/api/v1/patients/{key}", json={"version": 2, "sex": "male"}
                       ).status_code == 422  # not editable
    assert service.as_("alice", "PATCH", f"/api/v1/patients/{key}", json={"version": 2, "age_years": "old"}
                       ).status_code == 422


def test_two_concurrent_updates_from_one_version_one_wins_one_gets_409(service):
    key = service.upload("alice").json()["patient_key"]
    headers = service.login("alice")
    barrier = threading.Barrier(8)
    answers = []

    def edit(i):
        barrier.wait()
        r = service.client.patch(f"/api/v1/patients/{key}", headers=headers, json={"version": 1, "notes": f"n{i}"})
        answers.append((i, r.status_code))

    threads = [threading.Thread(target=edit, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    codes = sorted(c for _, c in answers)
    assert codes == [200] + [409] * 7
    [winner] = [i for i, c in answers if c == 200]
    final = service.as_("alice", "GET", f"/api/v1/patients/{key}").json()
    assert (final["notes"], final["version"]) == (f"n{winner}", 2)


def test_importing_into_another_clinicians_patient_is_refused(service):
    service.upload("alice")
    raw = (EXAMPLES / "anna-fhir.json").read_bytes() + b"\n"  # other bytes, same patient
    r = service.upload("bob", raw=raw)
    assert r.status_code == 404
    [item] = service.as_("admin", "GET", "/api/v1/patients").json()["items"]
    assert item["n_imports"] == 1
