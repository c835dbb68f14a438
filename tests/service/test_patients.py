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


def _without_import_id(body: dict) -> dict:
    return {k: v for k, v in body.items() if k != "import_id"}  # a store-wide sequence, whoever imports


def test_importing_another_clinicians_patient_id_answers_exactly_like_a_fresh_id(service):
    fresh = service.upload("alice")  # anna's id is new to the store here
    assert fresh.status_code == 201
    alice_before = service.as_("alice", "GET", "/api/v1/patients/anna").json()
    taken = service.upload("bob")  # the same file: an id alice holds
    assert taken.status_code == 201 and _without_import_id(taken.json()) == _without_import_id(fresh.json())
    # bob's import made bob's own patient; alice's patient, observations and version are untouched
    assert service.as_("alice", "GET", "/api/v1/patients/anna").json() == alice_before
    mine = service.as_("bob", "GET", "/api/v1/patients/anna").json()
    assert (mine["owner"], mine["ref"], mine["version"], len(mine["imports"])) == ("bob", "anna", 1, 1)
    assert len(mine["observations"]) == len(alice_before["observations"])
    assert {o["id"] for o in mine["observations"]}.isdisjoint(o["id"] for o in alice_before["observations"])
    # and bob still cannot read alice's: her patient, qualified, answers as a patient that does not exist
    missing = service.as_("bob", "GET", "/api/v1/patients/alice~nobody")
    for ref in ("alice~anna", "alice~nobody", "nobody"):
        r = service.as_("bob", "GET", f"/api/v1/patients/{ref}")
        assert (r.status_code, r.json()) == (404, missing.json())
    assert [(p["ref"], p["owner"]) for p in service.as_("bob", "GET", "/api/v1/patients").json()["items"]] == [
        ("anna", "bob")]


def test_an_import_does_not_claim_an_ownerless_patient(service):
    from neuroscape.io.patient import read_patient
    from neuroscape.store import open_store

    path = EXAMPLES / "anna-fhir.json"
    cli = open_store(service.url)  # the command line stores anna without an owner
    cli.save_record(read_patient(path), raw=path.read_bytes(), filename=path.name)
    cli.engine.dispose()
    assert service.upload("alice").status_code == 201
    assert service.as_("alice", "GET", "/api/v1/patients/~anna").status_code == 404
    items = service.as_("admin", "GET", "/api/v1/patients").json()["items"]
    assert [(p["ref"], p["owner"], p["n_imports"]) for p in items] == [("anna", None, 1), ("alice~anna", "alice", 1)]


def test_an_ambiguous_key_answers_409_naming_the_qualified_forms(service):
    for who in ("alice", "bob"):
        assert service.upload(who).status_code == 201
    r = service.as_("admin", "GET", "/api/v1/patients/anna")
    assert r.status_code == 409 and "alice~anna, bob~anna" in r.json()["detail"]
    assert service.as_("admin", "PATCH", "/api/v1/patients/anna", json={"version": 1, "notes": "x"}).status_code == 409
    r = service.as_("admin", "GET", "/api/v1/patients/bob~anna")
    assert r.status_code == 200 and (r.json()["owner"], r.json()["ref"]) == ("bob", "bob~anna")
    assert [p["ref"] for p in service.as_("admin", "GET", "/api/v1/patients").json()["items"]] == [
        "alice~anna", "bob~anna"]
    changed = service.as_("admin", "PATCH", "/api/v1/patients/bob~anna", json={"version": 1, "notes": "seen"})
    assert changed.status_code == 200 and changed.json()["version"] == 2
    assert service.as_("alice", "GET", "/api/v1/patients/anna").json()["version"] == 1
    # a clinician with shares of one key from two owners: likewise
    assert service.as_("admin", "POST", "/api/v1/users", json={"username": "carol", "role": "clinician",
                                                             "password": "carol's long pass phrase"}).status_code == 201
    service.tokens.pop("carol", None)
    carol = service.client.post("/api/v1/auth/token", data={"username": "carol",
                                                             "password": "carol's long pass phrase"})
    headers = {"Authorization": f"Bearer {carol.json()['access_token']}"}
    for who in ("alice", "bob"):
        assert service.as_(who, "POST", "/api/v1/patients/anna/shares", json={"username": "carol"}).status_code == 201
    r = service.client.get("/api/v1/patients/anna", headers=headers)
    assert r.status_code == 409 and "alice~anna, bob~anna" in r.json()["detail"]
    r = service.client.get("/api/v1/patients/alice~anna", headers=headers)
    assert r.status_code == 200 and r.json()["owner"] == "alice" and r.json()["version"] == 1
    listed = service.client.get("/api/v1/patients", headers=headers).json()["items"]
    assert [(p["ref"], p["owner"]) for p in listed] == [("alice~anna", "alice"), ("bob~anna", "bob")]
    # the audit log names each patient exactly: the qualified filter, and each entry's `patient`
    items = service.as_("admin", "GET", "/api/v1/audit?patient=bob~anna").json()["items"]
    assert {e["patient"] for e in items} == {"bob~anna"} and ("admin", "update") in {
        (e["username"], e["action"]) for e in items}
    assert ("carol", "read") not in {(e["username"], e["action"]) for e in items}
    both = service.as_("admin", "GET", "/api/v1/audit?patient=anna").json()["items"]
    assert {e["patient"] for e in both} == {"alice~anna", "bob~anna"}
