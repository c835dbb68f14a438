"""Follow-up (store/followup.py, manage/replan.py): a new level is imported, the patient re-calibrated on
everything known and re-planned; the decision goes into the append-only ledger and replays identically,
also after later observations were added (no leakage)."""

from importlib import resources

import pytest
from sqlalchemy import text

from neuroscape.errors import DataError
from neuroscape.manage.space import Levers
from neuroscape.manage.targets import load_profile
from neuroscape.store import open_store
from neuroscape.store.followup import replan, replay
from neuroscape.store.store import StoreError

ANNA = resources.files("neuroscape") / "examples" / "patients" / "anna-fhir.json"
HEAD = "patient_id,time,code,name,value,unit,specimen,region\nanna,,,sex,female,,,\nanna,,,birth_date,1992-03-14,,,\n"


def _follow_up(tmp_path, name, when, value):
    path = tmp_path / name
    path.write_text(HEAD.replace("region\n", "region,every_h\n") + f"anna,{when},,escitalopram,{value},ng/mL,serum,,\n"
                    "anna,2026-08-03T08:00:00Z,,medication:escitalopram,10,mg,,,24\n")
    return path


@pytest.fixture
def store(db_url):
    from neuroscape.io.patient import read_patient

    st = open_store(db_url)
    st.save_record(read_patient(ANNA), raw=ANNA.read_bytes(), filename=ANNA.name)
    return st


KW = dict(profile=load_profile("ssri-efficacy").model_copy(update={"settle_h": 72.0}),
          levers=Levers(drugs=("escitalopram",)), draws=6, seed=4, horizon_h=14 * 24.0)


def test_a_decision_is_recorded_and_replays_identically_without_later_data(store, tmp_path):
    first = replan(store, "anna", _follow_up(tmp_path, "fu1.csv", "2026-09-28T07:45:00Z", 52.0), **KW)
    assert first.action in ("continue", "hold", "change") and first.reason
    [entry] = store.decisions("anna")
    assert entry["id"] == first.decision_id and entry["plan"] == first.plan_label
    assert entry["as_of"].startswith("2026-09-28T07:45")
    n_obs = len(entry["inputs"]["observation_ids"])
    assert n_obs == len(store.patient("anna")["observations"])  # everything known so far, the new level included
    again = replay(store, first.decision_id)
    assert (again.action, again.plan_label, again.reason) == (first.action, first.plan_label, first.reason)
    # an observation dated after the decision never changes it on replay
    later = _follow_up(tmp_path, "fu2.csv", "2026-10-12T07:45:00Z", 140.0)
    from neuroscape.io.patient import read_patient
    store.save_record(read_patient(later), raw=later.read_bytes(), filename=later.name)
    assert len(store.patient("anna")["observations"]) == n_obs + 1
    late = replay(store, first.decision_id)
    assert (late.action, late.plan_label, late.reason) == (first.action, first.plan_label, first.reason)
    assert late.search.plans[0].pta["joint"].p == first.search.plans[0].pta["joint"].p


def test_the_ledger_is_append_only(store):
    from datetime import datetime, timezone

    from neuroscape.manage.search import optimise
    from neuroscape.subject import Subject

    stored = store.patient("anna")
    import_id = stored["imports"][0]["id"]

    class _Summary:  # an assessment's stored parts, without a calibration
        posterior = type("P", (), {"names": ("x",), "samples": __import__("numpy").zeros((2, 1))})()

        @staticmethod
        def as_dict():
            return {"calibration": {"converged": True}}

    aid = store.save_assessment(_Summary(), import_id=import_id, method="laplace", seed=0)
    search = optimise(Subject(), KW["profile"], levers=KW["levers"], horizon_h=96.0, draws=0, screen_draws=0,
                      finalists=1)
    sid = store.save_plans(search, assessment_id=aid, settings={})
    did = store.record_decision(assessment_id=aid, plan_search_id=sid, as_of=datetime(2026, 9, 28, tzinfo=timezone.utc),
                                action="continue", plan_label="continue as now", reason="test", inputs={}, report={})
    for sql in ("UPDATE decisions SET action = 'change'", "DELETE FROM decisions"):
        with pytest.raises(Exception, match="append-only"):
            with store.engine.begin() as conn:
                conn.execute(text(sql))
    assert store.decision(did)["action"] == "continue" and len(store.decisions("anna")) == 1


def test_a_file_for_another_patient_is_refused_and_nothing_is_imported(store, tmp_path):
    path = tmp_path / "other.csv"
    path.write_text(HEAD.replace("anna", "zoe") + "zoe,2026-09-28T07:45:00Z,,tryptophan,52,umol/L,plasma,\n")
    with pytest.raises(DataError, match="is for patient 'zoe', not 'anna': nothing was imported"):
        replan(store, "anna", path, **KW)
    assert store.patients()[0]["imports"] == 1 and store.decisions("anna") == []
    with pytest.raises(StoreError, match="no decision 99"):
        replay(store, 99)


def test_the_demo_follow_up_file_is_annas():
    """`make demo` re-plans anna with this file: same patient, same birth date, her drug and a later level."""
    from neuroscape.io.patient import read_patient

    anna = read_patient(ANNA)
    follow = read_patient(resources.files("neuroscape") / "examples" / "followup" / "anna-week8.csv")
    assert (follow.patient_id, follow.sex, follow.birth_date) == (anna.patient_id, anna.sex, anna.birth_date)
    assert [m.drug for m in follow.medications] == ["escitalopram"]
    assert min(o.time for o in follow.observations) > max(o.time for o in anna.observations)
