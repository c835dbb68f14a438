"""The store's verbs (store/store.py) on SQLite and PostgreSQL: round trips, de-duplication, conflicts and
all-or-nothing writes."""

from datetime import datetime, timedelta, timezone
from importlib import resources

import numpy as np
import pytest

from neuroscape.assess.records import Observation
from neuroscape.io.patient import read_patient
from neuroscape.store import open_store
from neuroscape.store.store import StoreError, model_fingerprint

EXAMPLES = resources.files("neuroscape") / "examples" / "patients"


def _anna():
    path = EXAMPLES / "anna-fhir.json"
    return read_patient(path), path.read_bytes()


def test_a_record_round_trips_and_the_same_file_is_stored_once(db_url):
    store = open_store(db_url)
    record, raw = _anna()
    first = store.save_record(record, raw=raw, filename="anna-fhir.json")
    assert first.new_import and first.observations_added == len(record.observations) > 0
    again = store.save_record(record, raw=raw, filename="anna-fhir.json")
    assert (again.new_import, again.import_id, again.observations_added) == (False, first.import_id, 0)
    [row] = store.patients()
    assert row["patient"] == record.patient_id and row["imports"] == 1
    assert row["observations"] == len(record.observations)
    full = store.patient(record.patient_id, full=True)
    import base64
    assert base64.b64decode(full["imports"][0]["raw_base64"]) == raw  # the file as received
    assert full["imports"][0]["record"]["patient_id"] == record.patient_id
    stored = {(o["code"], o["value"], o["unit"]) for o in full["observations"]}
    assert stored == {(o.code, o.value, o.unit) for o in record.observations}


def test_a_follow_up_file_adds_only_new_observations(db_url):
    store = open_store(db_url)
    record, raw = _anna()
    store.save_record(record, raw=raw, filename="anna-fhir.json")
    last = max(record.observations, key=lambda o: o.time)
    later = last.model_copy(update={"time": last.time + timedelta(days=14), "value": last.value * 1.5})
    follow = record.model_copy(update={"observations": record.observations + (later,)})
    saved = store.save_record(follow, raw=raw + b" ", filename="anna-follow-up.json")
    assert saved.new_import and saved.observations_added == 1
    assert store.patients()[0]["observations"] == len(record.observations) + 1


def test_a_conflicting_sex_is_refused_and_nothing_is_written(db_url):
    store = open_store(db_url)
    record, raw = _anna()
    store.save_record(record, raw=raw, filename="anna-fhir.json")
    other = record.model_copy(update={"sex": "male" if record.sex == "female" else "female"})
    with pytest.raises(StoreError, match=f"stored as {record.sex}, but other.json says"):
        store.save_record(other, raw=b"other", filename="other.json")
    assert store.patients()[0]["imports"] == 1
    from datetime import date
    older = record.model_copy(update={"birth_date": date(1950, 1, 1)})
    with pytest.raises(StoreError, match="stored with birth date .*, but older.json says 1950-01-01"):
        store.save_record(older, raw=b"older", filename="older.json")
    assert store.patients()[0]["imports"] == 1


def test_a_failure_half_way_leaves_the_store_as_it_was(db_url, monkeypatch):
    """The patient, the import and the first observations are rolled back with the failing one."""
    from sqlalchemy.exc import SQLAlchemyError

    from neuroscape.store import tables

    store = open_store(db_url)
    record, raw = _anna()
    real = tables.Observation.__init__
    calls = []

    def fail_on_third(self, **kw):
        calls.append(1)
        if len(calls) == 3:
            raise SQLAlchemyError("disk full (simulated)")
        real(self, **kw)

    monkeypatch.setattr(tables.Observation, "__init__", fail_on_third)
    with pytest.raises(StoreError, match="was not stored \\(nothing was changed\\).*disk full"):
        store.save_record(record, raw=raw, filename="anna-fhir.json")
    monkeypatch.setattr(tables.Observation, "__init__", real)
    assert store.patients() == []


def test_concurrent_imports_of_one_new_patient_all_succeed_once(db_url):
    """Eight writers import the same new patient's file at once: the losers of the inserts retry and find the
    winner's rows (before, they failed with the database's unique-constraint text)."""
    import threading

    path = EXAMPLES / "anna-fhir.json"
    record, raw = read_patient(path), path.read_bytes()
    store = open_store(db_url)
    barrier, results, errors = threading.Barrier(8), [], []

    def one():
        barrier.wait()
        try:
            results.append(store.save_record(record, raw=raw, filename=path.name))
        except Exception as exc:  # noqa: BLE001 - any failure is the test's finding
            errors.append(exc)

    threads = [threading.Thread(target=one) for _ in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    assert len({r.patient_id for r in results}) == 1 and len({r.import_id for r in results}) == 1
    assert sum(r.new_import for r in results) == 1
    [row] = store.patients()
    assert row["patient"] == "anna" and row["observations"] == len(record.observations)


def test_unknown_patient_names_the_closest(db_url):
    store = open_store(db_url)
    record, raw = _anna()
    store.save_record(record, raw=raw, filename="anna-fhir.json")
    with pytest.raises(StoreError, match=f"no patient 'x{record.patient_id}'.*did you mean {record.patient_id}"):
        store.patient("x" + record.patient_id)


def test_observation_times_keep_their_instant(db_url):
    store = open_store(db_url)
    record, raw = _anna()
    t = datetime(2026, 3, 2, 8, 30, tzinfo=timezone(timedelta(hours=1)))
    obs = Observation(code="2143-6", name="cortisol", value=400.0, unit="nmol/L", time=t, specimen="serum",
                      source="test", censor="<")
    store.save_record(record.model_copy(update={"observations": (obs,)}), raw=raw, filename="a.json")
    [o] = store.patient(record.patient_id)["observations"]
    assert datetime.fromisoformat(o["time"]).astimezone(timezone.utc) == t.astimezone(timezone.utc)
    assert o["censor"] == "<"


@pytest.fixture(scope="module")
def assessed():
    from neuroscape.assess.run import assess

    path = EXAMPLES / "ben-records.csv"
    record = read_patient(path)
    return record, path.read_bytes(), assess(record, samples=50, seed=2)


def test_assessment_and_plans_are_stored_with_the_model_that_made_them(db_url, assessed):
    from neuroscape.manage.search import optimise
    from neuroscape.manage.space import Levers
    from neuroscape.manage.targets import load_profile

    record, raw, result = assessed
    store = open_store(db_url)
    saved = store.save_record(record, raw=raw, filename="ben-records.csv")
    aid = store.save_assessment(result, import_id=saved.import_id, method="laplace", seed=2)
    names, draws = store.draws(aid)
    assert names == list(result.posterior.names)
    np.testing.assert_array_equal(draws, result.posterior.samples)  # bit for bit
    profile = load_profile("ssri-efficacy").model_copy(update={"settle_h": 72.0})
    search = optimise(result.subject, profile, levers=Levers(drugs=("escitalopram",)), horizon_h=168.0, draws=0,
                      screen_draws=0, finalists=2)
    sid = store.save_plans(search, assessment_id=aid, settings={"draws": 0})
    shown = store.patient(record.patient_id)
    [a] = shown["assessments"]
    assert (a["id"], a["method"], a["seed"]) == (aid, "laplace", 2)
    assert (a["model_version"], a["parameter_hash"]) == model_fingerprint()
    [p] = shown["plan_searches"]
    assert p["id"] == sid and p["best"] == search.plans[0].candidate.label and p["profile"] == "ssri-efficacy"
    with pytest.raises(StoreError, match="no stored assessment 999"):
        store.save_plans(search, assessment_id=999, settings={})


def test_a_plan_report_is_kept_with_its_search_in_one_transaction(db_url, assessed):
    from sqlalchemy import func, select
    from sqlalchemy.orm import Session

    from neuroscape.manage.search import optimise
    from neuroscape.manage.space import Levers
    from neuroscape.manage.targets import load_profile
    from neuroscape.store.tables import PlanReport, PlanSearchRow

    record, raw, result = assessed
    store = open_store(db_url)
    saved = store.save_record(record, raw=raw, filename="ben-records.csv")
    aid = store.save_assessment(result, import_id=saved.import_id, method="laplace", seed=2)
    profile = load_profile("ssri-efficacy").model_copy(update={"settle_h": 72.0})
    search = optimise(result.subject, profile, levers=Levers(drugs=("escitalopram",)), horizon_h=168.0, draws=0,
                      screen_draws=0, finalists=1)
    html = "<html><body>ranked plans \u00e9 " + "x" * 300_000 + "</body></html>"  # reports are a few 100 kB
    sid = store.save_plans(search, assessment_id=aid, settings={}, report_html=html)
    with Session(store.engine) as s:
        assert s.get(PlanReport, sid).html == html
        assert s.get(PlanSearchRow, sid).report is None  # no file path: nothing written to disk
    with pytest.raises(StoreError, match="no stored assessment 999"):
        store.save_plans(search, assessment_id=999, settings={}, report_html=html)
    with Session(store.engine) as s:  # the refused search left no report behind
        assert s.scalar(select(func.count()).select_from(PlanReport)) == 1
