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


def test_new_levels_are_reported_against_the_previous_posteriors_prediction(store, tmp_path):
    """The second follow-up's level against the first follow-up's posterior (the one its plan was decided on):
    the predictive median is that posterior's model value there (the MAP patient's, within 10%), the 90%
    interval of a measurement is at least the assay's own (proportional error, 2 x 1.645 sd on the log scale)
    and 'inside' says whether the level lies in it. Levels at the median and 10x above it are inside and
    outside."""
    import math

    import numpy as np

    from neuroscape.assess.cycle import timeline
    from neuroscape.assess.priors import omega_of
    from neuroscape.io.patient import read_patient
    from neuroscape.simulate import simulate

    first = replan(store, "anna", _follow_up(tmp_path, "fu1.csv", "2026-09-28T07:45:00Z", 52.0), **KW)
    assert first.report["predicted_before"] == []  # nothing stored before it to predict from
    # two levels on the same morning two weeks later: one where the first posterior expects it, one 10x above
    post = first.assessment.posterior
    path = tmp_path / "fu2.csv"
    path.write_text(HEAD.replace("region\n", "region,every_h\n")
                    + "anna,2026-10-12T07:45:00Z,,escitalopram,{v1},ng/mL,serum,,\n"
                    "anna,2026-10-12T07:50:00Z,,escitalopram,{v2},ng/mL,serum,,\n"
                    "anna,2026-08-03T08:00:00Z,,medication:escitalopram,10,mg,,,24\n")
    probe = read_patient(_follow_up(tmp_path, "probe.csv", "2026-10-12T07:45:00Z", 1.0))
    merged = probe.model_copy(update={"genotypes": first.assessment.record.genotypes})
    on_axis = timeline(merged)
    t = on_axis.observations[0].time_h
    expected = float(simulate(post.subject_at(), on_axis.plan, [t]).readout("plasma.escitalopram")[0])
    path.write_text(path.read_text().format(v1=f"{expected:.3f}", v2=f"{10 * expected:.3f}"))
    second = replan(store, "anna", path, **KW)
    rows = second.report["predicted_before"]
    assert [r["observed"] for r in rows] == [pytest.approx(expected, abs=1e-3), pytest.approx(10 * expected, abs=1e-2)]
    for r in rows:
        assert r["predicted_median"] == pytest.approx(expected, rel=0.10)
        assert r["predicted_low"] < r["predicted_median"] < r["predicted_high"]
        width = math.log(r["predicted_high"] / r["predicted_low"])
        assay = 2 * 1.6449 * omega_of(on_axis.observations[0].cv)
        assert assay * 0.9 <= width <= assay * 3, (width, assay)
        assert r["level"] == 0.9 and isinstance(r["observation_id"], int)
    assert [r["inside"] for r in rows] == [True, False]
    assert rows[0]["below"] == pytest.approx(0.5, abs=0.2) and rows[1]["below"] == 1.0
    # beside how the posterior moved: the clearance factor before is the first posterior's
    moved = {m["parameter"]: m for m in second.report["posterior_moved"]}
    cl = next(n for n in moved if n.endswith(".clearance"))
    assert moved[cl]["before"] == pytest.approx(float(np.exp(post.eta_map[list(post.names).index(cl)])), rel=1e-9)
    # the same figures in the JSON and the HTML report
    import json

    from neuroscape.report.followup import followup_report

    data = json.loads(json.dumps(second.to_dict(), default=str))
    assert [r["inside"] for r in data["predicted_before"]] == [True, False]
    page = followup_report("anna", data, tmp_path / "report").read_text()
    assert "New observations against the previous prediction" in page
    assert f"<td>{rows[1]['observed']:.4g}</td><td>{rows[1]['predicted_median']:.3g}</td>" in page
    assert "<td>NO</td>" in page and "<td>yes</td>" in page
