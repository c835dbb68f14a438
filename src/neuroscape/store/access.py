"""Who may see which patient, and which patient a key names.

Visibility: an admin every patient, a clinician the patients they own (they imported them) and those shared
with them, a researcher none (they read de-identified data only); the command line (no user) every patient.
A patient the caller may not see is reported exactly like one that does not exist (`NotVisible`), so that its
existence never leaks.

Keys: a patient's key (the record's patient_id) is unique per owner, and among the ownerless patients (those
the command line and admins import), not store-wide. Each caller has a home scope, the one its imports go to:
a clinician's own patients; for an admin and the command line the ownerless ones. A reference names a patient
(`resolve`), among the patients the caller may see only:
1. `OWNER~KEY` (the qualified form; `~KEY` for an ownerless patient) names exactly that patient;
2. otherwise (or when no visible patient has that qualified name: keys may themselves hold a `~`) the text
   is a bare key: the caller's home-scope patient with that key; else the one visible patient with that key;
   several (an admin, or a clinician with shares from two owners) raise `AmbiguousKey` (409 in the service)
   naming the qualified form of each; none raises `NotVisible`.
Usernames never hold `~`, so the qualified form splits at its first `~`.

Also the optimistic-concurrency update of a patient (a stale version is refused, never overwritten)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import exists, false, func, or_, select, true, update
from sqlalchemy.orm import Session

from . import tables as t
from .common import StoreError, _now, _utc
from .users import USERNAME_CHARS

QUALIFIER = "~"  # OWNER~KEY: URL-safe (an unreserved character, RFC 3986) and never in a username
MAX_REF = 100 + 1 + 200  # a username, the qualifier and a key at their longest


class NotVisible(StoreError):
    """No such patient, or one the caller may not see (the two are deliberately indistinguishable)."""

    def __init__(self, what: str = "patient"):
        super().__init__(f"no such {what}, or not one you may see")


class StaleVersion(StoreError):
    """The patient changed since the caller read it."""


class AmbiguousKey(StoreError):
    """A bare key that names several patients the caller may see."""

    def __init__(self, key: str, refs: list[str]):
        shown = ", ".join(refs[:10]) + (f" and {len(refs) - 10} more" if len(refs) > 10 else "")
        super().__init__(f"patient key {key!r} names {len(refs)} patients you may see: {shown}; use one of these "
                         f"(OWNER{QUALIFIER}KEY, {QUALIFIER}KEY for a patient without an owner) instead of the key")
        self.refs = refs


EDITABLE = {"notes": (str, type(None)), "age_years": (int, float, type(None)), "birth_date": (str, type(None))}


@dataclass(frozen=True)
class PatientRef:
    """One patient's identity: its store id, its key, and its owner (id and username; None: ownerless)."""

    id: int
    key: str
    owner: str | None
    owner_id: int | None

    @property
    def qualified(self) -> str:
        """OWNER~KEY (~KEY when ownerless): names exactly this patient, for whoever may see it."""
        return f"{self.owner or ''}{QUALIFIER}{self.key}"

    def ref_for(self, user) -> str:
        """The reference that names this patient for `user` now and later: the bare key when the patient is
        in the caller's home scope (a key is unique there, and found first), else the qualified form."""
        return self.key if _in_home(user, self.owner_id) else self.qualified


def _in_home(user, owner_id: int | None) -> bool:
    try:
        return owner_id == home_owner(user)
    except PermissionError:  # a researcher has no home scope
        return False


def visible_clause(user):
    """A WHERE clause on t.Patient selecting the patients `user` may see (None: the command line, all)."""
    if user is None or user.role == "admin":
        return true()
    if user.role != "clinician":
        return false()
    shared = exists().where(t.PatientShare.patient_id == t.Patient.id, t.PatientShare.user_id == user.id)
    return or_(t.Patient.owner_id == user.id, shared)


def home_owner(user) -> int | None:
    """The owner id of the caller's home scope (None: ownerless), where its imports go."""
    if user is None or user.role == "admin":
        return None
    if user.role != "clinician":
        raise PermissionError("only clinicians and admins import patient data")
    return user.id


def home_clause(user):
    """A WHERE clause on t.Patient selecting the caller's home scope (home_owner)."""
    owner = home_owner(user)
    return t.Patient.owner_id.is_(None) if owner is None else t.Patient.owner_id == owner


def _owner_name(s: Session, p: t.Patient) -> str | None:
    return None if p.owner_id is None else s.scalar(select(t.User.username).where(t.User.id == p.owner_id))


def ref_of(s: Session, p: t.Patient) -> PatientRef:
    return PatientRef(p.id, p.key, _owner_name(s, p), p.owner_id)


def owner_names(s: Session) -> dict[int, str]:
    return dict(s.execute(select(t.User.id, t.User.username)).all())


def _split(ref: str) -> tuple[str | None, str] | None:
    """(owner username or None for ownerless, key) when `ref` reads as OWNER~KEY; else None."""
    owner, sep, key = ref.partition(QUALIFIER)
    if not sep or not key or not set(owner) <= USERNAME_CHARS:
        return None
    return (owner or None, key)


def qualified_patient(s: Session, ref: str, visible=None) -> t.Patient | None:
    """The patient `ref` names when read as OWNER~KEY (~KEY: ownerless), among `visible` (a clause on
    t.Patient; default every patient); None when it does not read so or names none."""
    parts = _split(ref)
    if parts is None:
        return None
    owner, key = parts
    q = select(t.Patient).where(t.Patient.key == key, visible if visible is not None else true())
    q = (q.where(t.Patient.owner_id.is_(None)) if owner is None else
         q.join(t.User, t.User.id == t.Patient.owner_id).where(t.User.username == owner))
    return s.scalar(q)


def resolve(s: Session, user, ref: str) -> t.Patient:
    """The patient `ref` names for `user` (None: the command line), by the rule in this module's docstring.
    NotVisible when it names none the caller may see; AmbiguousKey when a bare key names several. A PatientRef
    (already resolved) is taken as its qualified form, so that it too is accepted wherever a key is."""
    if isinstance(ref, PatientRef):
        ref = ref.qualified
    if not isinstance(ref, str) or not 0 < len(ref) <= MAX_REF:
        raise NotVisible()
    visible = visible_clause(user)
    found = qualified_patient(s, ref, visible)
    if found is not None:
        return found
    if user is None or user.role in ("admin", "clinician"):  # those with a home scope (home_owner)
        home = s.scalar(select(t.Patient).where(t.Patient.key == ref, home_clause(user)))
        if home is not None:
            return home
    candidates = s.scalars(select(t.Patient).where(t.Patient.key == ref, visible).order_by(t.Patient.id)).all()
    if not candidates:
        raise NotVisible()
    if len(candidates) > 1:
        raise AmbiguousKey(ref, sorted(ref_of(s, p).qualified for p in candidates))
    return candidates[0]


def can_see(s: Session, user, patient_id: int | None) -> bool:
    if patient_id is None:
        return False
    return s.scalar(select(t.Patient.id).where(t.Patient.id == patient_id, visible_clause(user))) is not None


def patient_ref(store, user, key: str) -> PatientRef:
    """The identity of the patient `key` names for `user`; NotVisible or AmbiguousKey otherwise."""
    with Session(store.engine) as s:
        return ref_of(s, resolve(s, user, key))


def patient_ref_by_id(store, patient_id: int) -> PatientRef:
    """The identity of the patient with this store id (callers have checked that it may be seen)."""
    with Session(store.engine) as s:
        p = s.get(t.Patient, patient_id)
        if p is None:
            raise NotVisible()
        return ref_of(s, p)


def patient_row(s: Session, user, p: t.Patient) -> dict:
    """The patient's own fields, with its owner and the reference that names it for `user`."""
    ref = ref_of(s, p)
    return {"key": p.key, "ref": ref.ref_for(user), "owner": ref.owner, "sex": p.sex, "age_years": p.age_years,
            "birth_date": p.birth_date, "version": p.version, "notes": p.notes,
            "created_at": _utc(p.created_at).isoformat()}


def list_patients(store, user) -> list[dict]:
    """The patients `user` may see, with counts (one grouped count per table); `ref` is what names each one
    for `user` (its bare key in the caller's home scope, else OWNER~KEY), `owner` its owner's username."""
    def counts(s, table) -> dict[int, int]:
        return dict(s.execute(select(table.patient_id, func.count()).group_by(table.patient_id)).all())

    with Session(store.engine) as s:
        rows = s.scalars(select(t.Patient).where(visible_clause(user)).order_by(t.Patient.key, t.Patient.id)).all()
        if not rows:
            return []
        n = {name: counts(s, table) for name, table in (
            ("n_imports", t.RecordImport), ("n_observations", t.Observation), ("n_assessments", t.Assessment),
            ("n_plans", t.PlanSearchRow))}
        names = owner_names(s)
        refs = [PatientRef(p.id, p.key, names.get(p.owner_id), p.owner_id) for p in rows]
        return [{"key": p.key, "ref": r.ref_for(user), "owner": r.owner, "sex": p.sex, "age_years": p.age_years,
                 "version": p.version, **{name: c.get(p.id, 0) for name, c in n.items()}}
                for p, r in zip(rows, refs)]


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
    if changes.get("notes") is not None and "\x00" in changes["notes"]:  # PostgreSQL stores no NUL in text
        raise StoreError("notes: remove the NUL character(s) (\\u0000)")
    with Session(store.engine) as s, s.begin():
        p = resolve(s, user, key)
        patient_id = p.id
        done = s.execute(update(t.Patient).where(t.Patient.id == p.id, t.Patient.version == version)
                         .values(**changes, version=t.Patient.version + 1)
                         .execution_options(synchronize_session=False))
        if done.rowcount != 1:
            raise StaleVersion(f"patient changed since version {version} (now version {p.version}); read it "
                               "again and re-apply your change")
    with Session(store.engine) as s:
        return patient_row(s, user, s.get(t.Patient, patient_id))


def share_patient(store, user, key: str, username: str) -> None:
    """Share a patient with a clinician: its owner or an admin may. Sharing twice is one share, also when two
    requests make it at once (the loser of the insert finds the winner's share)."""
    from sqlalchemy.exc import IntegrityError

    try:
        _share(store, user, key, username)
    except IntegrityError:
        with Session(store.engine) as s:
            p = resolve(s, user, key)
            if s.scalar(select(t.PatientShare.id).join(t.User, t.User.id == t.PatientShare.user_id)
                        .where(t.PatientShare.patient_id == p.id, t.User.username == username)) is None:
                raise


def _share(store, user, key: str, username: str) -> None:
    with Session(store.engine) as s, s.begin():
        p = resolve(s, user, key)
        if user.role != "admin" and p.owner_id != user.id:
            raise PermissionError("only the patient's owner or an admin may share it")
        other = s.scalar(select(t.User).where(t.User.username == username))
        if other is None or other.role != "clinician":
            raise StoreError(f"username {username!r}: no clinician with that username")
        if s.scalar(select(t.PatientShare).where(t.PatientShare.patient_id == p.id,
                                                 t.PatientShare.user_id == other.id)) is None:
            s.add(t.PatientShare(patient_id=p.id, user_id=other.id, created_at=_now()))


def _visible_row(s: Session, user, table, row_id: int, what: str):
    """The row of a patient's table with this id, when the caller may see its patient; else NotVisible (an id
    outside the database's integer range is simply not found)."""
    row = s.get(table, row_id) if 0 < row_id < 2**31 else None
    if row is None or not can_see(s, user, row.patient_id):
        raise NotVisible(what)
    return row


def plan_search(store, user, search_id: int) -> dict:
    """A stored plan search the caller may see: its patient (`patient`: the PatientRef, for the audit log),
    settings, result, report path (a CLI search's file) and whether it has a report (that file, or one kept in
    the store)."""
    with Session(store.engine) as s:
        row = _visible_row(s, user, t.PlanSearchRow, search_id, "plan search")
        ref = ref_of(s, s.get(t.Patient, row.patient_id))
        kept = s.scalar(select(t.PlanReport.plan_search_id).where(t.PlanReport.plan_search_id == row.id))
        return {"id": row.id, "patient_key": ref.key, "patient_ref": ref.ref_for(user), "patient": ref,
                "assessment_id": row.assessment_id,
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
    """A stored assessment the caller may see: its summary and provenance (not the draws); `patient` is the
    PatientRef (for the audit log)."""
    with Session(store.engine) as s:
        row = _visible_row(s, user, t.Assessment, assessment_id, "assessment")
        ref = ref_of(s, s.get(t.Patient, row.patient_id))
        return {"id": row.id, "patient_key": ref.key, "patient_ref": ref.ref_for(user), "patient": ref,
                "import_id": row.import_id,
                "created_at": _utc(row.created_at).isoformat(), "method": row.method, "seed": row.seed,
                "neuroscape_version": row.neuroscape_version, "model_version": row.model_version,
                "parameter_hash": row.parameter_hash, "summary": row.summary}


def patient_id_of(store, user, key: str) -> int:
    with Session(store.engine) as s:
        return resolve(s, user, key).id


def job_visible(store, user, job: dict) -> bool:
    """A patient's job to those who may see the patient; a validation run to everyone signed in; any other
    job to whoever queued it, and to admins."""
    if job["patient_id"] is not None:
        with Session(store.engine) as s:
            return can_see(s, user, job["patient_id"])
    return job["kind"] == "validation" or user.role == "admin" or job["user_id"] == user.id
