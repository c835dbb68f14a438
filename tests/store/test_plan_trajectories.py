"""A stored plan search keeps each ranked plan's trajectories (docs/management.md) as `PlanSearch.to_dict` gave them,
value for value, on SQLite and on PostgreSQL (its JSON column)."""

from importlib import resources

from sqlalchemy.orm import Session

from neuroscape.io.patient import read_patient
from neuroscape.manage.search import optimise
from neuroscape.manage.space import Levers
from neuroscape.manage.targets import load_profile
from neuroscape.store import open_store
from neuroscape.store import tables as t
from neuroscape.subject import Subject

ANNA = resources.files("neuroscape") / "examples" / "patients" / "anna-fhir.json"


class _Stored:  # an assessment's stored parts, without a calibration
    posterior = type("P", (), {"names": ("x",), "samples": __import__("numpy").zeros((2, 1))})()

    @staticmethod
    def as_dict():
        return {"calibration": {"converged": True}}


def test_stored_plan_search_keeps_the_ranked_plans_trajectories(db_url):
    store = open_store(db_url)
    saved = store.save_record(read_patient(ANNA), raw=ANNA.read_bytes(), filename=ANNA.name)
    aid = store.save_assessment(_Stored(), import_id=saved.import_id, method="laplace", seed=0)
    profile = load_profile("ssri-efficacy").model_copy(update={"settle_h": 72.0})
    search = optimise(Subject(), profile, levers=Levers(drugs=("escitalopram",)), horizon_h=168.0, draws=0,
                      screen_draws=0, finalists=2)
    sid = store.save_plans(search, assessment_id=aid, settings={"draws": 0})
    with Session(store.engine) as s:
        stored = s.get(t.PlanSearchRow, sid).result
    expected = search.to_dict()
    assert [p["trajectories"] for p in stored["plans"]] == [p["trajectories"] for p in expected["plans"]]
    band = stored["plans"][0]["trajectories"]["bands"]["sert_trough"]
    assert band["band"] == [0.8, None] and band["days"][-1] == 7.0 and 2 <= len(band["days"]) <= 150
