"""The store's tables (SQLAlchemy 2 declarative). Changing them needs a new Alembic revision in
`migrations/versions` (tests/store/test_migrations.py compares the two)."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


class Patient(Base):
    __tablename__ = "patients"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The record's patient_id: unique per owner, not store-wide (migration 0004), so that a clinician's import
    # can never collide with, and so detect, another clinician's patient (store/access.py resolves keys).
    key: Mapped[str] = mapped_column(String(200), index=True)
    sex: Mapped[str] = mapped_column(String(10))
    birth_date: Mapped[Optional[str]] = mapped_column(String(10))
    age_years: Mapped[Optional[float]] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # The service (migration 0003): the clinician who first imported the patient, a version that every
    # change increments (optimistic concurrency: a stale PATCH is refused) and a clinician's free-text note.
    owner_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    notes: Mapped[Optional[str]] = mapped_column(Text)
    imports: Mapped[list["RecordImport"]] = relationship(back_populates="patient", order_by="RecordImport.id")
    # One key per owner, and one among the ownerless patients (the command line's and admins' scope). A plain
    # UNIQUE (owner_id, key) cannot do the second: SQLite and PostgreSQL (before 15's NULLS NOT DISTINCT) treat
    # NULLs as distinct, so ownerless duplicates would pass. A partial unique index on the ownerless rows does
    # it on both, and keeps owner_id the one place that says who owns a patient (no second scope column to
    # keep in step with it).
    __table_args__ = (
        Index("uq_patients_owner_key", "owner_id", "key", unique=True),
        Index("uq_patients_ownerless_key", "key", unique=True, sqlite_where=text("owner_id IS NULL"),
              postgresql_where=text("owner_id IS NULL")),
    )


class RecordImport(Base):
    """One imported file: its bytes as received, and the record neuroscape read from it (JSON)."""

    __tablename__ = "record_imports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    filename: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64))
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    record: Mapped[dict] = mapped_column(JSON)
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    patient: Mapped[Patient] = relationship(back_populates="imports")
    __table_args__ = (UniqueConstraint("patient_id", "sha256", name="uq_import_file"),)


class Observation(Base):
    __tablename__ = "observations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("record_imports.id"))
    code: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    value: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(50))
    censor: Mapped[Optional[str]] = mapped_column(String(1))
    time: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    specimen: Mapped[str] = mapped_column(String(20))
    region: Mapped[Optional[str]] = mapped_column(String(50))
    __table_args__ = (UniqueConstraint("patient_id", "code", "time", "value", "unit", name="uq_observation"),)


class Assessment(Base):
    """A calibration: its JSON summary, the posterior draws (numpy .npy bytes), the seed and method, and the
    model version and parameter-table hash that made it."""

    __tablename__ = "assessments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("record_imports.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    method: Mapped[str] = mapped_column(String(20))
    seed: Mapped[int] = mapped_column(Integer)
    neuroscape_version: Mapped[str] = mapped_column(String(50))
    model_version: Mapped[str] = mapped_column(String(100))
    parameter_hash: Mapped[str] = mapped_column(String(64))
    summary: Mapped[dict] = mapped_column(JSON)
    parameter_names: Mapped[list] = mapped_column(JSON)
    draws: Mapped[bytes] = mapped_column(LargeBinary)


class TargetProfile(Base):
    __tablename__ = "target_profiles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    profile: Mapped[dict] = mapped_column(JSON)


class PlanSearchRow(Base):
    """A plan search: its settings and the ranked plans, excluded candidates and notes as the JSON twin of
    `neuroscape plan --json`."""

    __tablename__ = "plan_searches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id"))
    profile_id: Mapped[int] = mapped_column(ForeignKey("target_profiles.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    seed: Mapped[int] = mapped_column(Integer)
    settings: Mapped[dict] = mapped_column(JSON)
    result: Mapped[dict] = mapped_column(JSON)
    report: Mapped[Optional[str]] = mapped_column(Text)  # the HTML report's path, when one was written


class PlanReport(Base):
    """A plan search's HTML report kept in the store itself (the service's reports): it is backed up, moved and
    access-controlled with the data it shows, and every service process sharing the database can serve it."""

    __tablename__ = "plan_reports"

    plan_search_id: Mapped[int] = mapped_column(ForeignKey("plan_searches.id"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    html: Mapped[str] = mapped_column(Text)


class Decision(Base):
    """One entry of the append-only decision ledger (re-planning): what was decided, as of when, and every
    input needed to replay it (observation ids, assessment id, model version, seed, profile, guard rails).
    The database refuses UPDATE and DELETE on this table (triggers in migration 0002)."""

    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id"))
    plan_search_id: Mapped[int] = mapped_column(ForeignKey("plan_searches.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    as_of: Mapped[datetime] = mapped_column(DateTime(timezone=True))  # the newest data the decision saw
    action: Mapped[str] = mapped_column(String(20))  # continue | change | hold
    plan_label: Mapped[str] = mapped_column(String(500))
    reason: Mapped[str] = mapped_column(Text)
    inputs: Mapped[dict] = mapped_column(JSON)
    report: Mapped[dict] = mapped_column(JSON)


class User(Base):
    """A service user: an argon2 password hash (never the password) and one role."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(20))  # admin | clinician | researcher
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")


class PatientShare(Base):
    """A patient shared by its owner (or an admin) with another clinician."""

    __tablename__ = "patient_shares"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    __table_args__ = (UniqueConstraint("patient_id", "user_id", name="uq_patient_share"),)


class AuditEntry(Base):
    """One read or write of patient data (who, what, when). Append-only: the database refuses UPDATE and
    DELETE (triggers in migration 0003). Names are copied, not referenced, so the log outlives renames."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    user_id: Mapped[Optional[int]] = mapped_column(Integer)
    username: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(50))    # read | create | update | share | import | job ...
    resource: Mapped[str] = mapped_column(String(300))  # e.g. GET /api/v1/patients/{key}
    patient_key: Mapped[Optional[str]] = mapped_column(String(200), index=True)
    # The patient's store id (migration 0004): keys are unique per owner only, so the key alone can name
    # several patients. Not a foreign key, like the names above: the log outlives what it describes.
    patient_id: Mapped[Optional[int]] = mapped_column(Integer, index=True)


class Job(Base):
    """Long work (calibration, plan search, follow-up, protocol run, validation) queued for the service's
    workers: its parameters, status and progress, and its result once done."""

    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(20), index=True)  # queued | running | done | failed
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    message: Mapped[str] = mapped_column(Text, default="")
    params: Mapped[dict] = mapped_column(JSON)
    result: Mapped[Optional[dict]] = mapped_column(JSON)
    result_url: Mapped[Optional[str]] = mapped_column(String(300))
    patient_id: Mapped[Optional[int]] = mapped_column(ForeignKey("patients.id"), index=True)
    user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    started_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    heartbeat: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    worker: Mapped[Optional[str]] = mapped_column(String(100))  # the process (host:pid:uuid) that claimed it
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class ServiceKey(Base):
    """Secrets the service generates once and keeps with the data (the token-signing key, the research
    pseudonym key), so that a restart keeps sessions and pseudonyms."""

    __tablename__ = "service_keys"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
