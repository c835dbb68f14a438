"""Who may see which patient: an admin every patient, a clinician the patients they own (first imported)
and those shared with them, a researcher none (they read de-identified data only). A patient the caller may
not see is reported exactly like one that does not exist (`NotVisible`), so that its existence never leaks.
Also the optimistic-concurrency update of a patient (a stale version is refused, never overwritten)."""

from __future__ import annotations

from sqlalchemy import exists, func, or_, select, update
from sqlalchemy.orm import Session

from . import tables as t
from .common import StoreError, _now, _utc


class NotVisible(StoreError):
    """No such patient, or one the caller may not see (the two are deliberately indistinguishable)."""

    def __init__(self, what: str = "patient"):
        super().__init__(f"no such {what}, or not one you may see")


class StaleVersion(StoreError):
    """The patient changed since the caller read it."""


EDITABLE = {"notes": (str, type(None)), "age_years": (int, float, type(None)), "birth_date": (str, type(None))}


def visible_clause(user):
    """A WHERE clause on t.Patient selecting the patients `user` may see."""
    if user.role == "admin":
        return t.Patient.id.is_not(None)
    if user.role != "clinician":
        return t.Patient.id.is_(None)
    shared = exists().where(t.PatientShare.patient_id == t.Patient.id, t.PatientShare.user_id == user.id)
    return or_(t.Patient.owner_id == user.id, shared)


def can_see(s: Session, user, patient_id: int | None) -> bool:
    if patient_id is None:
        return False
    return s.scalar(select(t.Patient.id).where(t.Patient.id == patient_id, visible_clause(user))) is not None


def visible_patient(s: Session, user, key: str) -> t.Patient:
    p = s.scalar(select(t.Patient).where(t.Patient.key == key, visible_clause(user)))
    if p is None:
        raise NotVisible()
    return p


def patient_key(store, user, key: str) -> str:
    """`key` when `user` may see that patient; NotVisible otherwise."""
    with Session(store.engine) as s:
        return visible_patient(s, user, key).key


def patient_row(p: t.Patient) -> dict:
    return {"key": p.key, "sex": p.sex, "age_years": p.age_years, "birth_date": p.birth_date, "version": p.version,
            "notes": p.notes, "created_at": _utc(p.created_at).isoformat()}


def list_patients(store, user) -> list[dict]:
    """The patients `user` may see, with counts (one grouped count per table)."""
    def counts(s, table) -> dict[int, int]:
        return dict(s.execute(select(table.patient_id, func.count()).group_by(table.patient_id)).all())

    with Session(store.engine) as s:
        rows = s.scalars(select(t.Patient).where(visible_clause(user)).order_by(t.Patient.key)).all()
        if not rows:
            return []
        n = {name: counts(s, table) for name, table in (
            ("n_imports", t.RecordImport), ("n_observations", t.Observation), ("n_assessments", t.Assessment),
            ("n_plans", t.PlanSearchRow))}
        return [{"key": p.key, "sex": p.sex, "age_years": p.age_years, "version": p.version,
                 **{name: c.get(p.id, 0) for name, c in n.items()}} for p in rows]


def update_patient(store, user, key: str, version: int, changes: dict) -> dict:
    """Apply `changes` (fields in EDITABLE) when the stored version is still `version`; the version then
    goes up by one. A stale version raises StaleVersion and changes nothing (a compare-and-set UPDATE, so two
    concurrent updates from the same version cannot both succeed)."""
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise StoreError(f"cannot change {', '.join(unknown)}; editable fields: {', '.join(sorted(EDITABLE))}")
    for name, value in changes.items():
        if not isinstance(value, EDITABLE[name]) or isinstance(value, bool):
            raise StoreError(f"{name}: expected {' or '.join(k.__name__ for k in EDITABLE[name])}")
    if "age_years" in changes and changes["age_years"] is not None:
        from ..assess.records import check_age

        try:
            changes["age_years"] = check_age(float(changes["age_years"]))
        except (ValueError, OverflowError) as exc:
            raise StoreError(f"age_years: {exc}") from None
    if changes.get("birth_date") is not None:
        from datetime import date

        try:
            changes["birth_date"] = date.fromisoformat(changes["birth_date"]).isoformat()
        except ValueError:
            raise StoreError("birth_date: expected a date YYYY-MM-DD") from None
    if changes.get("notes") is not None and len(changes["notes"]) > 10000:
        raise StoreError("notes: at most 10000 characters")
    with Session(store.engine) as s, s.begin():
        p = visible_patient(s, user, key)
        done = s.execute(update(t.Patient).where(t.Patient.id == p.id, t.Patient.version == version)
                         .values(**changes, version=t.Patient.version + 1)
                         .execution_options(synchronize_session=False))
        if done.rowcount != 1:
            raise StaleVersion(f"patient changed since version {version} (now version {p.version}); read it "
                               "again and re-apply your change")
    with Session(store.engine) as s:
        return patient_row(visible_patient(s, user, key))


def share_patient(store, user, key: str, username: str) -> None:
    """Share a patient with a clinician: its owner or an admin may."""
    with Session(store.engine) as s, s.begin():
        p = visible_patient(s, user, key)
        if user.role != "admin" and p.owner_id != user.id:
            raise PermissionError("only the patient's owner or an admin may share it")
        other = s.scalar(select(t.User).where(t.User.username == username))
        if other is None or other.role != "clinician":
            raise StoreError(f"username {username!r}: no clinician with that username")
        if s.scalar(select(t.PatientShare).where(t.PatientShare.patient_id == p.id,
                                                 t.PatientShare.user_id == other.id)) is None:
            s.add(t.PatientShare(patient_id=p.id, user_id=other.id, created_at=_now()))


def claim_patient(s: Session, patient: t.Patient, owner_id: int | None) -> None:
    """Give an ownerless patient (made by the CLI, or just now) its owner."""
    if patient.owner_id is None and owner_id is not None:
        patient.owner_id = owner_id


def _visible_row(s: Session, user, table, row_id: int, what: str):
    """The row of a patient's table with this id, when the caller may see its patient; else NotVisible (an id
    outside the database's integer range is simply not found)."""
    row = s.get(table, row_id) if 0 < row_id < 2**31 else None
    if row is None or not can_see(s, user, row.patient_id):
        raise NotVisible(what)
    return row


def plan_search(store, user, search_id: int) -> dict:
    """A stored plan search the caller may see: its patient, settings, result, report path (a CLI search's
    file) and whether it has a report (that file, or one kept in the store)."""
    with Session(store.engine) as s:
        row = _visible_row(s, user, t.PlanSearchRow, search_id, "plan search")
        kept = s.scalar(select(t.PlanReport.plan_search_id).where(t.PlanReport.plan_search_id == row.id))
        return {"id": row.id, "patient_key": s.get(t.Patient, row.patient_id).key, "assessment_id": row.assessment_id,
                "created_at": _utc(row.created_at).isoformat(), "settings": row.settings, "result": row.result,
                "report": row.report, "has_report": kept is not None or row.report is not None}


def plan_report_html(store, user, search_id: int) -> str | None:
    """A stored plan search's HTML report kept in the store, when the caller may see its patient (NotVisible
    otherwise); None when the search has none there (a CLI search's report is a file, if any)."""
    with Session(store.engine) as s:
        _visible_row(s, user, t.PlanSearchRow, search_id, "plan search")
        row = s.get(t.PlanReport, search_id)
        return row.html if row is not None else None


def assessment(store, user, assessment_id: int) -> dict:
    """A stored assessment the caller may see: its summary and provenance (not the draws)."""
    with Session(store.engine) as s:
        row = _visible_row(s, user, t.Assessment, assessment_id, "assessment")
        return {"id": row.id, "patient_key": s.get(t.Patient, row.patient_id).key, "import_id": row.import_id,
                "created_at": _utc(row.created_at).isoformat(), "method": row.method, "seed": row.seed,
                "neuroscape_version": row.neuroscape_version, "model_version": row.model_version,
                "parameter_hash": row.parameter_hash, "summary": row.summary}


def patient_id_of(store, user, key: str) -> int:
    with Session(store.engine) as s:
        return visible_patient(s, user, key).id


def job_visible(store, user, job: dict) -> bool:
    """A patient's job to those who may see the patient; a validation run to everyone signed in; any other
    job to whoever queued it, and to admins."""
    if job["patient_id"] is not None:
        with Session(store.engine) as s:
            return can_see(s, user, job["patient_id"])
    return job["kind"] == "validation" or user.role == "admin" or job["user_id"] == user.id
