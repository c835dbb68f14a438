"""A plan search and a follow-up as jobs, end to end through the API (tiny searches: a few candidates and
draws, a four-week horizon). Slow-ish: each job calibrates the patient (about 30 s on a loaded machine)."""

from importlib import resources

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from neuroscape.store.tables import PlanReport

from tests.service.conftest import FAST, make_service
from tests.service.test_jobs import wait

FOLLOW_UP = resources.files("neuroscape") / "examples" / "followup" / "anna-week8.csv"
LEVERS = {"drugs": ["escitalopram", "sertraline"], "max_candidates": 4}


@pytest.mark.slow
def test_a_plan_search_then_a_follow_up_through_the_api(tmp_path):
    svc = make_service(f"sqlite:///{tmp_path / 's.db'}", FAST)
    with svc.client:
        key = svc.upload("alice").json()["patient_key"]
        r = svc.as_("alice", "POST", f"/api/v1/patients/{key}/plans",
                    json={"targets": "ssri-efficacy", "levers": LEVERS, "horizon_days": 28, "draws": 100, "seed": 2})
        assert r.status_code == 202, r.text
        job = wait(svc, "alice", r.json()["job_id"], seconds=600)
        assert job["status"] == "done", job["message"]
        url = job["result_url"]
        plans = svc.as_("alice", "GET", url).json()
        assert plans["patient_key"] == key and plans["settings"]["draws"] == 4  # capped by the service's settings
        ranks = [p["rank"] for p in plans["plans"]]
        assert ranks == list(range(1, len(ranks) + 1)) and ranks
        assert all(0.0 <= p["pta"]["joint"]["p"] <= 1.0 for p in plans["plans"])
        # each ranked plan's trajectories travel with the stored search (docs/management.md): 4 weeks from now
        for p in plans["plans"]:
            band = p["trajectories"]["bands"]["sert_trough"]
            assert band["band"] == [0.8, None] and 27.9 <= band["days"][-1] <= 28 and len(band["days"]) <= 150
        report = svc.as_("alice", "GET", plans["report_url"])
        assert report.status_code == 200 and report.headers["content-type"].startswith("text/html")
        assert "<html" in report.text.lower() and key in report.text
        with Session(svc.client.app.state.store.engine) as s:  # kept in the store with the search, not a file
            [(search_id, html)] = s.execute(select(PlanReport.plan_search_id, PlanReport.html)).all()
        assert search_id == plans["id"] and html == report.text
        for who in ("bob", "rita"):
            assert svc.as_(who, "GET", url).status_code == 404
            assert svc.as_(who, "GET", plans["report_url"]).status_code == 404
        # the follow-up: the week-8 level, re-planned with the stored profile, the decision in the ledger
        r = svc.as_("alice", "POST", f"/api/v1/patients/{key}/followups",
                    files={"file": ("anna-week8.csv", FOLLOW_UP.read_bytes())},
                    data={"levers": '{"drugs": ["escitalopram"], "max_candidates": 3}', "horizon_days": "28"})
        assert r.status_code == 202, r.text
        assert svc.as_("bob", "GET", f"/api/v1/jobs/{r.json()['job_id']}").status_code == 404
        job = wait(svc, "alice", r.json()["job_id"], seconds=600)
        assert job["status"] == "done", job["message"]
        assert job["result"]["action"] in ("continue", "hold", "change") and job["result"]["decision_id"]
        details = svc.as_("alice", "GET", f"/api/v1/patients/{key}").json()
        assert [d["id"] for d in details["decisions"]] == [job["result"]["decision_id"]]
        assert len(details["imports"]) == 2 and len(details["plans"]) == 2
        bad = svc.as_("alice", "POST", f"/api/v1/patients/{key}/followups",
                      files={"file": ("anna-week8.csv", FOLLOW_UP.read_bytes())}, data={"levers": "[1"})
        assert bad.status_code == 422
