"""Jobs through the API: queued with 202, run by the service's workers, status and progress readable by who
may see them, and none lost by a restart (a new app on the same store finishes what the old one left)."""

import time
from dataclasses import replace

import pytest

from neuroscape.store import jobs as store_jobs
from neuroscape.store import open_store
from tests.service.conftest import FAST, make_service

PROTOCOL = """protocol: 1
name: trp-1g
subject: {sex: male, age_years: 30, weight_kg: 70}
interventions:
  - {nutrition: tryptophan, at_h: 0, dose_mg: 1000}
readouts:
  - {id: trp, quantity: plasma.tryptophan, at_h: [0, 2], relative_to: baseline}
"""


def wait(svc, user, job_id, seconds=240):
    deadline = time.monotonic() + seconds
    while True:
        r = svc.as_(user, "GET", f"/api/v1/jobs/{job_id}")
        assert r.status_code == 200, r.text
        job = r.json()
        if job["status"] in ("done", "failed"):
            return job
        assert 0.0 <= job["progress"] <= 1.0
        assert time.monotonic() < deadline, f"job {job_id} still {job['status']} after {seconds} s"
        time.sleep(0.1)


def test_a_protocol_run_job_and_its_result(db_url):
    svc = make_service(db_url)
    with svc.client:
        r = svc.as_("alice", "POST", "/api/v1/protocol-runs", content=PROTOCOL, headers={"Content-Type": "text/plain"})
        assert r.status_code == 202, r.text
        job = wait(svc, "alice", r.json()["job_id"])
        assert job["status"] == "done" and job["progress"] == 1.0
        trp = job["result"]["readouts"]["trp"]
        assert trp["value"][0] == 1.0 and 1.5 < trp["value"][1] < 4.0  # 1 g tryptophan raises plasma Trp (x2.7)
        # someone else's protocol run is not theirs to see; an admin sees every job
        assert svc.as_("bob", "GET", f"/api/v1/jobs/{job['id']}").status_code == 404
        assert svc.as_("admin", "GET", f"/api/v1/jobs/{job['id']}").status_code == 200


def test_a_bad_protocol_is_refused_before_it_is_queued(sqlite_service):
    svc = sqlite_service
    for text in ("protocol: 1\nname: x\nreadouts: nope\n", "[unclosed", "model: /etc/passwd\nprotocol: 1\n", ""):
        r = svc.as_("alice", "POST", "/api/v1/protocol-runs", content=text, headers={"Content-Type": "text/plain"})
        assert r.status_code == 422, (text, r.text)
    assert store_jobs.latest_of_kind(svc.client.app.state.store, "protocol") is None


def test_a_restart_loses_no_job(tmp_path):
    url = f"sqlite:///{tmp_path / 'store.db'}"
    first = make_service(url, replace(FAST, start_workers=False))
    with first.client:
        r = first.as_("alice", "POST", "/api/v1/protocol-runs", content=PROTOCOL,
                      headers={"Content-Type": "text/plain"})
        orphan = r.json()["job_id"]
        assert first.as_("alice", "GET", f"/api/v1/jobs/{orphan}").json()["status"] == "queued"
    # the first job taken by a worker whose process then died: 'running', its heartbeat long silent; a second
    # one still queued
    store = open_store(url)
    assert store_jobs.claim(store, "dead-process")["id"] == orphan
    queued = store_jobs.enqueue(store, "protocol", {"text": PROTOCOL}, user_id=None)
    second = make_service(url, replace(FAST, stale_after_seconds=0.0), users=False)
    with second.client:
        second.tokens = {}
        assert wait(second, "admin", queued)["status"] == "done"
        done = wait(second, "admin", orphan)
        assert done["status"] == "done" and done["result"]["readouts"]["trp"]["value"][0] == 1.0


def test_validation_is_a_job_then_a_cached_report(sqlite_service, tmp_path):
    svc = make_service(f"sqlite:///{tmp_path / 'v.db'}", replace(FAST, validation_cases=("V02",)))
    with svc.client:
        r = svc.as_("rita", "GET", "/api/v1/validation")
        assert r.status_code == 202
        job = wait(svc, "rita", r.json()["job_id"])
        assert job["status"] == "done" and job["result_url"] == "/api/v1/validation"
        report = svc.as_("rita", "GET", "/api/v1/validation")
        assert report.status_code == 200
        assert [c["id"] for c in report.json()["cases"]] == ["V02"] and report.json()["counts"]["error"] == 0


def test_an_assessment_job_its_summary_and_landscape_figure(tmp_path):
    svc = make_service(f"sqlite:///{tmp_path / 'a.db'}")
    with svc.client:
        key = svc.upload("alice").json()["patient_key"]
        r = svc.as_("alice", "POST", f"/api/v1/patients/{key}/assessments", json={"method": "laplace", "seed": 1})
        assert r.status_code == 202, r.text
        job_id = r.json()["job_id"]
        assert svc.as_("bob", "GET", f"/api/v1/jobs/{job_id}").status_code == 404
        job = wait(svc, "alice", job_id)
        assert job["status"] == "done", job["message"]
        assessment_id = job["result"]["assessment_id"]
        assert job["result_url"] == f"/api/v1/assessments/{assessment_id}"
        found = svc.as_("alice", "GET", job["result_url"]).json()
        assert found["patient_key"] == key and found["method"] == "laplace" and found["seed"] == 1
        missing = svc.as_("bob", "GET", "/api/v1/assessments/999999")
        for who in ("bob", "rita"):  # the same answer as for an assessment that does not exist
            hidden = svc.as_(who, "GET", job["result_url"])
            assert (hidden.status_code, hidden.json()) == (404, missing.json())
        assert svc.as_("bob", "GET", "/api/v1/jobs/999999").json() == svc.as_("bob", "GET", f"/api/v1/jobs/{job_id}"
                                                                              ).json()
        fig = svc.as_("alice", "GET", f"/api/v1/patients/{key}/landscape").json()
        # readouts without a reference range (none given, or a degenerate one) cannot be placed in it
        rows = [e for e in found["summary"]["landscape"] if None not in (e["ref_low"], e["ref_high"], e["median"])
                and e["ref_high"] > e["ref_low"]]
        [trace] = fig["data"]
        assert len(trace["y"]) == len(rows) > 5
        # the marker is the median's place in the reference range: (median - low) / (high - low)
        e = rows[0]
        assert trace["x"][0] == pytest.approx((e["median"] - e["ref_low"]) / (e["ref_high"] - e["ref_low"]))
        assert svc.as_("alice", "GET", f"/api/v1/patients/{key}").json()["assessments"][0]["id"] == assessment_id


def test_job_requests_with_bad_fields_are_422(sqlite_service):
    svc = sqlite_service
    key = svc.upload("alice").json()["patient_key"]
    for body in ({"method": "magic"}, {"seed": -1}, {"extra": 1}):
        assert svc.as_("alice", "POST", f"/api/v1/patients/{key}/assessments", json=body).status_code == 422
    for body in ({"targets": "no-such-profile"}, {"targets": "ssri-efficacy", "levers": {"drugs": ["nodrug"]}},
                 {"targets": "ssri-efficacy", "horizon_days": 0}, {"targets": "ssri-efficacy", "levers": {"x": 1}}):
        r = svc.as_("alice", "POST", f"/api/v1/patients/{key}/plans", json=body)
        assert r.status_code == 422, (body, r.text)
    assert svc.as_("rita", "POST", f"/api/v1/patients/{key}/assessments", json={}).status_code == 403


def test_one_user_cannot_fill_the_queue(tmp_path):
    svc = make_service(f"sqlite:///{tmp_path / 'q.db'}", replace(FAST, start_workers=False, max_pending_jobs=3))
    with svc.client:
        run = dict(content=PROTOCOL, headers={"Content-Type": "text/plain"})
        assert [svc.as_("alice", "POST", "/api/v1/protocol-runs", **run).status_code for _ in range(4)] == \
            [202, 202, 202, 429]
        assert svc.as_("bob", "POST", "/api/v1/protocol-runs", **run).status_code == 202  # others still may


COHORT = """cohort: 1
name: trp-vs-none
size: 4
seed: 7
arms:
  - {name: none, interventions: []}
  - name: trp
    interventions: [{nutrition: tryptophan, at_h: 0, dose_mg: 1000}]
endpoints:
  - {id: trp, quantity: plasma.tryptophan, at_h: 2, relative_to: baseline}
"""


def test_a_cohort_run_job_and_its_summary(db_url):
    svc = make_service(db_url)
    with svc.client:
        r = svc.as_("rita", "POST", "/api/v1/cohort-runs", content=COHORT, headers={"Content-Type": "text/plain"})
        assert r.status_code == 202, r.text  # a researcher may: virtual members only
        job = wait(svc, "rita", r.json()["job_id"])
        assert job["status"] == "done" and job["progress"] == 1.0, job["message"]
        summary = job["result"]
        assert (summary["name"], summary["size"], summary["arms"]) == ("trp-vs-none", 4, ["none", "trp"])
        none, trp = (summary["endpoints"][arm]["trp@2h"] for arm in ("none", "trp"))
        assert none["median"] == 1.0  # no intervention: the baseline itself
        assert 1.5 < trp["median"] < 4.0  # 1 g tryptophan raises plasma Trp (x2.7 in the protocol test above)
        assert svc.as_("alice", "GET", f"/api/v1/jobs/{job['id']}").status_code == 404  # not hers
        assert svc.as_("admin", "GET", f"/api/v1/jobs/{job['id']}").status_code == 200


def test_a_bad_or_oversized_cohort_is_refused_before_it_is_queued(sqlite_service):
    svc = sqlite_service
    cases = {"cohort: 1\nname: x\n": "size", "[unclosed": "cohort", "# nothing\n": "the text is empty",
             COHORT.replace("size: 4", "size: 20000"): "40000 member-arms; the service runs at most 20000"}
    for text, words in cases.items():
        r = svc.as_("alice", "POST", "/api/v1/cohort-runs", content=text, headers={"Content-Type": "text/plain"})
        assert r.status_code == 422 and words in r.json()["detail"], (text, r.text)
    assert store_jobs.latest_of_kind(svc.client.app.state.store, "cohort") is None


def test_a_job_runs_on_the_patient_its_reference_named(tmp_path):
    # alice and bob both hold a patient "anna": bob's assessment must calibrate and be stored for his own
    svc = make_service(f"sqlite:///{tmp_path / 'k.db'}")
    with svc.client:
        for who in ("alice", "bob"):
            assert svc.upload(who).status_code == 201
        r = svc.as_("bob", "POST", "/api/v1/patients/anna/assessments", json={"method": "laplace", "seed": 2})
        assert r.status_code == 202, r.text
        job = wait(svc, "bob", r.json()["job_id"])
        assert job["status"] == "done", job["message"]
        assert svc.as_("alice", "GET", f"/api/v1/jobs/{job['id']}").status_code == 404
        assert svc.as_("alice", "GET", job["result_url"]).status_code == 404
        assert svc.as_("bob", "GET", job["result_url"]).json()["patient_ref"] == "anna"
        assert len(svc.as_("bob", "GET", "/api/v1/patients/anna").json()["assessments"]) == 1
        assert svc.as_("alice", "GET", "/api/v1/patients/anna").json()["assessments"] == []
        assert svc.as_("admin", "GET", job["result_url"]).json()["patient_ref"] == "bob~anna"
        reads = svc.as_("admin", "GET", "/api/v1/audit?patient=bob~anna&limit=10000").json()["items"]
        assert ("bob", "job:assessment") in {(e["username"], e["action"]) for e in reads}
