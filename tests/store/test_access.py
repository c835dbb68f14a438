"""Patient keys per owner and their resolution (store/access.py), on SQLite and PostgreSQL: a key is unique per
owner and among the ownerless patients; an import never reaches another owner's patient nor claims an
ownerless one; a reference resolves among the caller's visible patients only (home scope first, then the one
visible patient, several: AmbiguousKey naming the qualified forms); pseudonyms stay distinct."""

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from neuroscape.io.patient import read_patient
from neuroscape.store import open_store
from neuroscape.store import tables as t
from neuroscape.store.access import (AmbiguousKey, NotVisible, list_patients, patient_ref, share_patient,
                                     update_patient)
from neuroscape.store.research import cohort
from neuroscape.store.store import StoreError
from neuroscape.store.users import add_user
from tests.store.test_store import EXAMPLES

ANNA = EXAMPLES / "anna-fhir.json"


def _store(db_url):
    store = open_store(db_url)
    users = {name: add_user(store, name, "not-a-real-hash", role) for name, role in (
        ("admin", "admin"), ("alice", "clinician"), ("bob", "clinician"), ("carol", "clinician"),
        ("rita", "researcher"))}
    return store, users


def _save(store, writer=None, raw=None):
    record = read_patient(ANNA)
    return store.save_record(record, raw=raw if raw is not None else ANNA.read_bytes(), filename=ANNA.name,
                             writer=writer)


def _patients(store):
    with Session(store.engine) as s:
        return [(p.id, p.key, p.owner_id, p.version) for p in s.scalars(select(t.Patient).order_by(t.Patient.id))]


def _observations(store, patient_id):
    with Session(store.engine) as s:
        return s.scalars(select(t.Observation.id).where(t.Observation.patient_id == patient_id)
                         .order_by(t.Observation.id)).all()


def test_a_key_is_unique_per_owner_and_among_the_ownerless_patients(db_url):
    store, u = _store(db_url)
    a = _save(store, u["alice"])
    b = _save(store, u["bob"])  # the same file, the same patient id: bob's own patient
    cli = _save(store)  # the command line: the ownerless patient
    by_admin = _save(store, u["admin"], raw=ANNA.read_bytes() + b"\n")  # an admin's import: the ownerless one too
    assert len({a.patient_id, b.patient_id, cli.patient_id}) == 3 and by_admin.patient_id == cli.patient_id
    assert [(key, owner) for _, key, owner, _ in _patients(store)] == [
        ("anna", u["alice"].id), ("anna", u["bob"].id), ("anna", None)]
    assert b.new_import and b.observations_added == a.observations_added > 0
    # the database itself refuses a second (owner, key) and a second ownerless key (the partial index)
    for owner in (u["alice"].id, None):
        with pytest.raises(IntegrityError):
            with store.engine.begin() as conn:
                conn.execute(text("INSERT INTO patients (key, sex, created_at, owner_id, version) VALUES "
                                  "('anna', 'female', '2026-01-01 00:00:00+00:00', :o, 1)"), {"o": owner})
    with pytest.raises(PermissionError, match="only clinicians and admins import"):
        _save(store, u["rita"])


def test_an_import_never_changes_or_claims_another_owners_patient(db_url):
    store, u = _store(db_url)
    cli = _save(store)  # ownerless, made by the command line
    alice = _save(store, u["alice"])
    before = _patients(store), _observations(store, cli.patient_id), _observations(store, alice.patient_id)
    bob = _save(store, u["bob"], raw=ANNA.read_bytes() + b" ")
    after = _patients(store)
    assert after[:2] == before[0]  # the ownerless and alice's patients: same ids, keys, owners and versions
    assert (_observations(store, cli.patient_id), _observations(store, alice.patient_id)) == before[1:]
    assert after[2][2] == u["bob"].id and bob.patient_id == after[2][0]
    with Session(store.engine) as s:
        assert s.get(t.Patient, cli.patient_id).owner_id is None  # not claimed by alice's or bob's import
        assert s.scalar(select(t.RecordImport.patient_id).where(t.RecordImport.id == bob.import_id)) == bob.patient_id
    # a record that disagrees with another owner's patient is no concern of this import: bob's own is checked
    other_sex = read_patient(ANNA).model_copy(update={"sex": "male", "patient_id": "zed"})
    store.save_record(other_sex, raw=b"zed-1", filename="zed.json", writer=u["alice"])
    store.save_record(other_sex.model_copy(update={"sex": "female"}), raw=b"zed-2", filename="zed.json",
                      writer=u["bob"])
    with pytest.raises(StoreError, match="is stored as male"):
        store.save_record(other_sex.model_copy(update={"sex": "female"}), raw=b"zed-3", filename="zed.json",
                          writer=u["alice"])


def test_a_reference_resolves_among_the_callers_visible_patients(db_url):
    store, u = _store(db_url)
    ids = {who: _save(store, u[who]).patient_id for who in ("alice", "bob")}

    def resolved(user, ref):
        return patient_ref(store, user, ref).id

    # a bare key: the caller's own patient first
    assert resolved(u["alice"], "anna") == ids["alice"] and resolved(u["bob"], "anna") == ids["bob"]
    # another owner's patient, qualified or not, is exactly as absent as a patient that does not exist
    messages = set()
    for ref in ("alice~anna", "alice~nobody", "nobody", "~anna", "carol~anna", "x" * 400, ""):
        with pytest.raises(NotVisible) as err:
            resolved(u["bob"] if ref.startswith("alice") else u["carol"], ref)
        messages.add(str(err.value))
    assert messages == {"no such patient, or not one you may see"}
    for who in ("rita",):  # researchers see no patient at all
        with pytest.raises(NotVisible):
            resolved(u[who], "alice~anna")
    # an admin sees both: the bare key is ambiguous, and the error names the qualified forms
    with pytest.raises(AmbiguousKey) as err:
        resolved(u["admin"], "anna")
    assert err.value.refs == ["alice~anna", "bob~anna"] and "alice~anna, bob~anna" in str(err.value)
    assert resolved(u["admin"], "alice~anna") == ids["alice"] and resolved(u["admin"], "bob~anna") == ids["bob"]
    # a clinician with shares of the same key from two owners: likewise
    share_patient(store, u["alice"], "anna", "carol")
    share_patient(store, u["bob"], "anna", "carol")
    with pytest.raises(AmbiguousKey, match="alice~anna, bob~anna"):
        resolved(u["carol"], "anna")
    assert resolved(u["carol"], "bob~anna") == ids["bob"]
    assert [(r["key"], r["ref"], r["owner"]) for r in list_patients(store, u["carol"])] == [
        ("anna", "alice~anna", "alice"), ("anna", "bob~anna", "bob")]
    assert [(r["ref"], r["owner"]) for r in list_patients(store, u["alice"])] == [("anna", "alice")]
    # once carol has her own "anna", her bare key names it (home scope first); the shared ones stay qualified
    carol = _save(store, u["carol"]).patient_id
    assert resolved(u["carol"], "anna") == carol and resolved(u["carol"], "alice~anna") == ids["alice"]
    # the ownerless scope is an admin's and the command line's home: the bare key names it for them
    cli = _save(store).patient_id
    assert resolved(u["admin"], "anna") == cli and resolved(None, "anna") == cli
    assert resolved(None, "~anna") == cli and resolved(None, "bob~anna") == ids["bob"]
    assert [r["ref"] for r in list_patients(store, u["admin"])] == ["alice~anna", "bob~anna", "carol~anna", "anna"]
    # a change through a qualified reference reaches exactly that patient
    row = update_patient(store, u["admin"], "bob~anna", 1, {"notes": "checked"})
    assert (row["ref"], row["owner"], row["version"]) == ("bob~anna", "bob", 2)
    assert {(pid, version) for pid, _, _, version in _patients(store)} == {
        (ids["alice"], 1), (ids["bob"], 2), (carol, 1), (cli, 1)}


def test_the_command_line_keeps_working_on_keys_and_names_owned_patients_qualified(db_url):
    store, u = _store(db_url)
    _save(store, u["alice"])
    # only alice holds "anna": the command line (which sees every patient) finds it by its bare key
    assert store.patient("anna")["owner"] == "alice" and store.patient("anna")["ref"] == "alice~anna"
    _save(store, u["bob"])
    with pytest.raises(AmbiguousKey, match="alice~anna, bob~anna"):
        store.patient("anna")
    _save(store)
    assert store.patient("anna")["owner"] is None and store.patient("anna")["ref"] == "anna"
    assert [(r["patient"], r["ref"], r["owner"]) for r in store.patients()] == [
        ("anna", "alice~anna", "alice"), ("anna", "bob~anna", "bob"), ("anna", "anna", None)]
    assert store.patient("bob~anna")["owner"] == "bob"
    with pytest.raises(StoreError, match="no patient 'anne' in the store; did you mean anna"):
        store.patient("anne")
    # a key that itself holds the qualifier still resolves as a bare key when it names no owner's patient
    odd = read_patient(ANNA).model_copy(update={"patient_id": "ward~7"})
    store.save_record(odd, raw=b"ward", filename="ward.json")
    assert store.patient("ward~7")["patient"] == "ward~7" and store.patient("~ward~7")["patient"] == "ward~7"


def test_a_follow_up_goes_into_the_patient_it_names(db_url):
    store, u = _store(db_url)
    ids = {who: _save(store, u[who]).patient_id for who in ("alice", "bob")}
    share_patient(store, u["alice"], "anna", "bob")
    later = read_patient(ANNA)
    saved = store.save_record(later, raw=b"follow-up", filename="later.json", writer=u["bob"], into="alice~anna")
    assert saved.patient_id == ids["alice"] and saved.new_import
    with pytest.raises(NotVisible):  # carol may not see alice's patient: not even a follow-up
        store.save_record(later, raw=b"follow-up 2", filename="later.json", writer=u["carol"], into="alice~anna")
    store.save_record(read_patient(EXAMPLES / "ben-records.csv"), raw=b"ben", filename="ben.csv")
    with pytest.raises(StoreError, match="later.json is for patient 'anna', not 'ben'"):
        store.save_record(later, raw=b"follow-up 3", filename="later.json", into="~ben")
    assert [len(store.patient(ref)["imports"]) for ref in ("alice~anna", "bob~anna")] == [2, 1]


def test_pseudonyms_differ_for_two_patients_with_one_key(db_url):
    store, u = _store(db_url)
    for who in ("alice", "bob", None):
        _save(store, u[who] if who else None)
    rows = cohort(store, "a pseudonym key")
    assert len(rows) == 3 and len({r["pseudonym"] for r in rows}) == 3
    assert all("anna" not in str(r) for r in rows)
