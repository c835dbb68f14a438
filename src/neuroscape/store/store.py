"""`Store`: the verbs that write and read the patient store. Each write is one transaction."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path

import numpy as np
from sqlalchemy import create_engine, event, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session

from . import tables as t
from .access import NotVisible, PatientRef, home_clause, home_owner, owner_names, ref_of, resolve
from .common import StoreError, _now, _utc  # noqa: F401  (StoreError: imported from here by callers)
from .url import database_url, safe_url

MIGRATIONS = Path(__file__).with_name("migrations")


@dataclass(frozen=True)
class Saved:
    patient_id: int
    import_id: int
    new_import: bool      # False: this very file was imported before (same bytes), nothing was added
    observations_added: int


@lru_cache(maxsize=1)
def model_fingerprint() -> tuple[str, str]:
    """(model version, sha256 of the parameter table: every parameter's name, value and unit), so that an
    assessment can be matched with the model that made it."""
    from ..model.library import default_network

    net = default_network()
    h = hashlib.sha256()
    for p in sorted(net.parameters, key=lambda p: p.name):
        h.update(f"{p.name}={p.value!r} {p.unit}\n".encode())
    return net.name, h.hexdigest()


def _decision(d) -> dict:
    return {"id": d.id, "created_at": _utc(d.created_at).isoformat(), "as_of": _utc(d.as_of).isoformat(),
            "action": d.action, "plan": d.plan_label, "reason": d.reason, "assessment_id": d.assessment_id,
            "plan_search_id": d.plan_search_id, "inputs": d.inputs, "report": d.report}


def _npy(a: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, np.ascontiguousarray(a), allow_pickle=False)
    return buf.getvalue()


def _from_npy(b: bytes) -> np.ndarray:
    return np.load(io.BytesIO(b), allow_pickle=False)


def migrate(engine: Engine) -> None:
    """Create or upgrade the schema to the newest Alembic revision."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as conn:
        if sqlite:
            # A revision that copies a table (SQLite cannot drop a constraint in place: 0004) drops the original,
            # which fails while foreign keys are enforced and other tables reference its rows. The pragma is a
            # no-op inside a transaction, so it is set before the migrations' one; every reference is checked
            # before that commits instead.
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            conn.commit()
        try:
            with conn.begin():
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
                broken = conn.exec_driver_sql("PRAGMA foreign_key_check").all() if sqlite else []
                if broken:
                    raise StoreError(f"the store's upgrade would leave {len(broken)} broken references (first: "
                                     f"table {broken[0][0]}, row {broken[0][1]}); nothing was changed")
        finally:
            if sqlite:
                conn.exec_driver_sql("PRAGMA foreign_keys=ON")
                conn.commit()


def open_store(url: str | None = None, *, upgrade: bool = True) -> "Store":
    """The store at `url` (or NEUROSCAPE_DB, or the default SQLite file), its schema upgraded to this
    neuroscape's newest revision."""
    url = database_url(url)
    # SQLite: a writer waits up to 30 s for another's transaction (the service writes from several threads)
    # instead of failing at once with "database is locked".
    engine = create_engine(url, connect_args={"timeout": 30} if url.startswith("sqlite") else {})
    if engine.dialect.name == "sqlite":
        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):  # WAL: readers do not block the writer; foreign keys enforced
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()
    try:
        if upgrade:
            migrate(engine)
    except OperationalError as exc:
        raise StoreError(f"cannot open the store at {safe_url(url)}: {exc.orig}. Set NEUROSCAPE_DB to a "
                         "writable file or a reachable postgresql+psycopg:// URL") from None
    return Store(engine)


class Store:
    def __init__(self, engine: Engine):
        self.engine = engine

    @property
    def url(self) -> str:
        return safe_url(str(self.engine.url.render_as_string(hide_password=False)))

    # -- writes -----------------------------------------------------------------------------------
    def save_record(self, record, *, raw: bytes, filename: str, writer=None, into: str | None = None) -> Saved:
        """Store an imported record: the patient (created on first sight), the file's bytes and what was
        read from it, and its observations (those already stored for this patient are not repeated).
        The patient is the writer's own with the record's key (store/access.py: a clinician's own patients;
        for an admin or the command line, `writer` None, the ownerless ones), never another owner's: an
        import cannot tell whether someone else holds that key. `into` (a reference, as `resolve` reads it
        for `writer`) adds to that existing patient instead, whose key must be the record's (a follow-up).
        Two concurrent imports of one new patient or one file: the loser's insert breaks a unique index, and
        its second attempt finds the winner's rows."""
        from sqlalchemy.exc import IntegrityError

        for attempt in (1, 2):
            try:
                return self._save_record(record, raw, filename, writer, into)
            except IntegrityError as exc:
                if attempt == 2:
                    raise StoreError(f"the record {filename} was not stored (nothing was changed): "
                                     f"{_first_line(exc)}") from None
            except SQLAlchemyError as exc:
                raise StoreError(f"the record {filename} was not stored (nothing was changed): "
                                 f"{_first_line(exc)}") from None

    def _save_record(self, record, raw: bytes, filename: str, writer, into: str | None) -> Saved:
        digest = hashlib.sha256(raw).hexdigest()
        with Session(self.engine) as s, s.begin():
            if into is not None:
                patient = resolve(s, writer, into)
                if patient.key != record.patient_id:
                    raise StoreError(f"{filename} is for patient {record.patient_id!r}, not {patient.key!r}: "
                                     "nothing was imported")
            else:
                owner = home_owner(writer)
                patient = s.scalar(select(t.Patient).where(t.Patient.key == record.patient_id,
                                                           home_clause(writer)))
            if patient is None:
                patient = t.Patient(key=record.patient_id, sex=record.sex, owner_id=owner,
                                    birth_date=record.birth_date.isoformat() if record.birth_date else None,
                                    age_years=record.age_years, created_at=_now())
                s.add(patient)
                s.flush()
            elif patient.sex != record.sex:
                raise StoreError(f"patient {record.patient_id!r} is stored as {patient.sex}, but {filename} "
                                 f"says {record.sex}: correct the file, or import it under another patient id")
            elif patient.birth_date and record.birth_date and patient.birth_date != record.birth_date.isoformat():
                raise StoreError(f"patient {record.patient_id!r} is stored with birth date {patient.birth_date}, "
                                 f"but {filename} says {record.birth_date.isoformat()}: correct the file, or "
                                 "import it under another patient id")
            old = s.scalar(select(t.RecordImport).where(t.RecordImport.patient_id == patient.id,
                                                        t.RecordImport.sha256 == digest))
            if old is not None:
                return Saved(patient.id, old.id, False, 0)
            imp = t.RecordImport(patient_id=patient.id, filename=filename, sha256=digest, raw=raw,
                                 record=record.model_dump(mode="json"), imported_at=_now())
            s.add(imp)
            s.flush()
            have = {(o.code, _utc(o.time), o.value, o.unit) for o in s.scalars(
                select(t.Observation).where(t.Observation.patient_id == patient.id))}
            added = 0
            for o in record.observations:
                if (o.code, o.time, o.value, o.unit) in have:
                    continue
                have.add((o.code, o.time, o.value, o.unit))
                s.add(t.Observation(patient_id=patient.id, import_id=imp.id, code=o.code, name=o.name,
                                    value=o.value, unit=o.unit, censor=getattr(o, "censor", None),
                                    time=o.time, specimen=o.specimen, region=o.region))
                added += 1
            return Saved(patient.id, imp.id, True, added)

    def save_assessment(self, assessment, *, import_id: int, method: str, seed: int) -> int:
        """Store a calibration: its summary, the posterior draws, and what made it."""
        from .. import __version__

        post = assessment.posterior
        summary, draws = assessment.as_dict(), post.samples
        mixture = getattr(assessment, "mixture", None)
        if mixture is not None:  # every phenotype's draws by weight, stacked; the counts in the summary
            counts = mixture.allocate(post.samples.shape[0])
            draws = np.vstack([c.posterior.samples[:k] for c, k in zip(mixture.components, counts)])
            summary["phenotype_mixture"]["stored_draws"] = counts
        model_version, phash = model_fingerprint()
        try:
            with Session(self.engine) as s, s.begin():
                imp = s.get(t.RecordImport, import_id)
                if imp is None:
                    raise StoreError(f"no stored import {import_id}; save the record first")
                row = t.Assessment(patient_id=imp.patient_id, import_id=import_id, created_at=_now(),
                                   method=method, seed=seed, neuroscape_version=__version__,
                                   model_version=model_version, parameter_hash=phash, summary=summary,
                                   parameter_names=list(post.names), draws=_npy(draws))
                s.add(row)
                s.flush()
                return row.id
        except SQLAlchemyError as exc:
            raise StoreError(f"the assessment was not stored (nothing was changed): {_first_line(exc)}") from None

    def save_plans(self, search, *, assessment_id: int, settings: dict, report: str | None = None,
                   report_html: str | None = None) -> int:
        """Store a plan search (the JSON twin of `neuroscape plan --json`) with its target profile; `report` is
        the path of an HTML report written beside the store (the CLI's), `report_html` a report kept in the
        store itself (the service's), in the same transaction as the search."""
        import json

        profile = search.profile.model_dump(mode="json")
        digest = hashlib.sha256(json.dumps(profile, sort_keys=True).encode()).hexdigest()
        try:
            with Session(self.engine) as s, s.begin():
                assessment = s.get(t.Assessment, assessment_id)
                if assessment is None:
                    raise StoreError(f"no stored assessment {assessment_id}; save the assessment first")
                prof = s.scalar(select(t.TargetProfile).where(t.TargetProfile.sha256 == digest))
                if prof is None:
                    prof = t.TargetProfile(name=search.profile.name, sha256=digest, profile=profile)
                    s.add(prof)
                    s.flush()
                row = t.PlanSearchRow(patient_id=assessment.patient_id, assessment_id=assessment_id,
                                      profile_id=prof.id, created_at=_now(), seed=search.seed, settings=settings,
                                      result=search.to_dict(), report=report)
                s.add(row)
                s.flush()
                if report_html is not None:
                    s.add(t.PlanReport(plan_search_id=row.id, created_at=row.created_at, html=report_html))
                return row.id
        except SQLAlchemyError as exc:
            raise StoreError(f"the plans were not stored (nothing was changed): {_first_line(exc)}") from None

    # -- reads ------------------------------------------------------------------------------------
    # The command line's view: every patient. A key is read by store/access.py's rule for a caller without a
    # user: an ownerless patient with that key first, else the one patient with it, else OWNER~KEY is needed.
    def patients(self) -> list[dict]:
        """Every patient with counts; `ref` names it for the command line (the key for an ownerless patient,
        OWNER~KEY for one a clinician owns), `owner` is its owner's username."""
        def counts(s, table) -> dict[int, int]:  # one grouped count per table, not one query per patient
            return dict(s.execute(select(table.patient_id, func.count()).group_by(table.patient_id)).all())

        with Session(self.engine) as s:
            n = {name: counts(s, table) for name, table in (
                ("imports", t.RecordImport), ("observations", t.Observation), ("assessments", t.Assessment),
                ("plan_searches", t.PlanSearchRow))}
            names = owner_names(s)
            rows = []
            for p in s.scalars(select(t.Patient).order_by(t.Patient.key, t.Patient.id)):
                ref = PatientRef(p.id, p.key, names.get(p.owner_id), p.owner_id)
                rows.append({"patient": p.key, "ref": ref.ref_for(None), "owner": ref.owner, "sex": p.sex,
                             **{name: c.get(p.id, 0) for name, c in n.items()},
                             "created_at": _utc(p.created_at).isoformat()})
            return rows

    def _patient(self, s: Session, key: str) -> t.Patient:
        try:
            p = resolve(s, None, key)
        except NotVisible:
            p = None
        if p is None:
            import difflib

            keys = s.scalars(select(t.Patient.key)).all()
            near = difflib.get_close_matches(key, keys, n=3)
            raise StoreError(f"no patient {key!r} in the store" + (f"; did you mean {', '.join(near)}?" if near
                                                                    else f" ({len(keys)} patients: neuroscape "
                                                                         "patients list)"))
        return p

    def patient(self, key: str, *, full: bool = False) -> dict:
        """A patient's imports, observations, assessments and plan searches; `full` adds the imported files
        (base64) and the posterior draws, so that the export loses nothing."""
        import base64

        with Session(self.engine) as s:
            p = self._patient(s, key)
            ref = ref_of(s, p)
            out = {"patient": p.key, "ref": ref.ref_for(None), "owner": ref.owner, "sex": p.sex,
                   "birth_date": p.birth_date, "age_years": p.age_years,
                   "created_at": _utc(p.created_at).isoformat(), "imports": [], "observations": [], "assessments": [],
                   "plan_searches": []}
            for imp in p.imports:
                item = {"id": imp.id, "filename": imp.filename, "sha256": imp.sha256,
                        "imported_at": _utc(imp.imported_at).isoformat()}
                if full:
                    item["record"] = imp.record
                    item["raw_base64"] = base64.b64encode(imp.raw).decode()
                out["imports"].append(item)
            for o in s.scalars(select(t.Observation).where(t.Observation.patient_id == p.id)
                               .order_by(t.Observation.time, t.Observation.id)):
                out["observations"].append({"id": o.id, "import_id": o.import_id, "code": o.code, "name": o.name,
                                            "value": o.value, "unit": o.unit, "censor": o.censor,
                                            "time": _utc(o.time).isoformat(), "specimen": o.specimen,
                                            "region": o.region})
            for a in s.scalars(select(t.Assessment).where(t.Assessment.patient_id == p.id)
                               .order_by(t.Assessment.id)):
                item = {"id": a.id, "import_id": a.import_id, "created_at": _utc(a.created_at).isoformat(),
                        "method": a.method, "seed": a.seed, "neuroscape_version": a.neuroscape_version,
                        "model_version": a.model_version, "parameter_hash": a.parameter_hash,
                        "converged": a.summary.get("calibration", {}).get("converged")}
                if full:
                    item["summary"] = a.summary
                    item["parameter_names"] = a.parameter_names
                    item["draws"] = _from_npy(a.draws).tolist()
                out["assessments"].append(item)
            for r in s.scalars(select(t.PlanSearchRow).where(t.PlanSearchRow.patient_id == p.id)
                               .order_by(t.PlanSearchRow.id)):
                plans = r.result.get("plans", [])
                item = {"id": r.id, "assessment_id": r.assessment_id, "created_at": _utc(r.created_at).isoformat(),
                        "profile": r.result.get("profile"), "reached": r.result.get("reached"),
                        "best": plans[0].get("label") if plans else None, "report": r.report}
                if full:
                    item["settings"] = r.settings
                    item["result"] = r.result
                out["plan_searches"].append(item)
            out["decisions"] = [{k: v for k, v in _decision(d).items() if full or k not in ("inputs", "report")}
                                for d in s.scalars(select(t.Decision).where(t.Decision.patient_id == p.id)
                                                   .order_by(t.Decision.id))]
            return out

    def record(self, key: str, *, import_ids: list[int] | None = None, observation_ids: list[int] | None = None):
        """Everything known about a patient as one record: every stored observation (each once, as first
        imported), and each other field (medication, genotypes, weight, ...) from the newest import that
        gives it (a follow-up lab file without medication keeps the earlier list). `import_ids` and
        `observation_ids` restrict it to what a decision saw, so that a replay never sees later data.
        Returns (record, observation ids, import ids)."""
        from ..assess.records import PatientRecord

        with Session(self.engine) as s:
            p = self._patient(s, key)
            imports = [i for i in p.imports if import_ids is None or i.id in set(import_ids)]
            if not imports:
                raise StoreError(f"patient {key!r} has no stored import" + (
                    f" among {sorted(import_ids)}" if import_ids is not None else ""))
            rows = {(o.code, _utc(o.time), o.value, o.unit): o.id for o in s.scalars(
                select(t.Observation).where(t.Observation.patient_id == p.id))}
            records = [PatientRecord.model_validate(i.record) for i in imports]
        wanted = None if observation_ids is None else set(observation_ids)
        seen, observations, ids = set(), [], []
        for rec in records:
            for o in rec.observations:
                k = (o.code, o.time, o.value, o.unit)
                oid = rows.get(k)
                if k in seen or oid is None or (wanted is not None and oid not in wanted):
                    continue
                seen.add(k)
                observations.append(o)
                ids.append(oid)
        fields = records[-1].model_dump()
        for name in ("birth_date", "age_years", "weight_kg", "genotypes", "medications", "conditions", "notes",
                     "last_menstrual_period", "population"):
            given = [r for r in records if name in r.model_fields_set and getattr(r, name)]
            if given:  # the newest import that gives it: a lab-only follow-up file keeps the earlier medication
                fields[name] = given[-1].model_dump()[name]
        fields.update(observations=[o.model_dump() for o in observations], reference_time=None)
        return PatientRecord.model_validate(fields), ids, [i.id for i in imports]

    def record_decision(self, *, assessment_id: int, plan_search_id: int, as_of: datetime, action: str,
                        plan_label: str, reason: str, inputs: dict, report: dict) -> int:
        """Append a decision to the ledger (never updated or deleted: the database refuses both)."""
        try:
            with Session(self.engine) as s, s.begin():
                a = s.get(t.Assessment, assessment_id)
                if a is None:
                    raise StoreError(f"no stored assessment {assessment_id}")
                row = t.Decision(patient_id=a.patient_id, assessment_id=assessment_id, plan_search_id=plan_search_id,
                                 created_at=_now(), as_of=as_of, action=action, plan_label=plan_label, reason=reason,
                                 inputs=inputs, report=report)
                s.add(row)
                s.flush()
                return row.id
        except SQLAlchemyError as exc:
            raise StoreError(f"the decision was not recorded (nothing was changed): {_first_line(exc)}") from None

    def decisions(self, key: str) -> list[dict]:
        """A patient's decisions, oldest first."""
        with Session(self.engine) as s:
            p = self._patient(s, key)
            return [_decision(d) for d in s.scalars(select(t.Decision).where(t.Decision.patient_id == p.id)
                                                     .order_by(t.Decision.id))]

    def decision(self, decision_id: int) -> dict:
        with Session(self.engine) as s:
            d = s.get(t.Decision, decision_id)
            if d is None:
                raise StoreError(f"no decision {decision_id} in the ledger (neuroscape patients show ID lists them)")
            out = _decision(d)
            ref = ref_of(s, s.get(t.Patient, d.patient_id))
            out["patient"], out["patient_ref"] = ref.key, ref.ref_for(None)
            return out

    def latest_assessment(self, key: str) -> tuple[int, dict] | None:
        """(id, JSON summary) of the patient's newest stored assessment, or None."""
        with Session(self.engine) as s:
            p = self._patient(s, key)
            a = s.scalar(select(t.Assessment).where(t.Assessment.patient_id == p.id).order_by(t.Assessment.id.desc()))
            return None if a is None else (a.id, a.summary)

    def assessment_observations(self, assessment_id: int) -> list[int]:
        """Ids of the observations an assessment could see: those stored with its import or an earlier one."""
        with Session(self.engine) as s:
            a = s.get(t.Assessment, assessment_id)
            if a is None:
                raise StoreError(f"no stored assessment {assessment_id}")
            return list(s.scalars(select(t.Observation.id).where(t.Observation.patient_id == a.patient_id,
                                                                 t.Observation.import_id <= a.import_id)))

    def assessment_summary(self, assessment_id: int) -> dict | None:
        """A stored assessment's JSON summary, or None when there is none with that id."""
        with Session(self.engine) as s:
            a = s.get(t.Assessment, assessment_id)
            return None if a is None else a.summary

    def plan_search_profile(self, search_id: int) -> dict:
        """The target profile (as stored) that a plan search used."""
        with Session(self.engine) as s:
            row = s.get(t.PlanSearchRow, search_id)
            if row is None:
                raise StoreError(f"no stored plan search {search_id}")
            return s.get(t.TargetProfile, row.profile_id).profile

    def draws(self, assessment_id: int) -> tuple[list[str], np.ndarray]:
        """The stored posterior draws of an assessment: (parameter names, array (n, k))."""
        with Session(self.engine) as s:
            a = s.get(t.Assessment, assessment_id)
            if a is None:
                raise StoreError(f"no stored assessment {assessment_id}")
            return list(a.parameter_names), _from_npy(a.draws)


def _first_line(exc) -> str:
    """The database's own first line of an error (e.g. "UNIQUE constraint failed: patients.key"), without the
    statement and its values, which hold patient data."""
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
