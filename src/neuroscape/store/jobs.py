"""Jobs: long work queued in the store so that a restarted service loses none. Workers claim a queued job
with a compare-and-set UPDATE (only one claimant's UPDATE matches `status = 'queued'`), beat a heartbeat
while it runs, and record the result or the failure. A job whose worker died (no heartbeat for a while) is
queued again."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from . import tables as t
from .common import StoreError, _now, _utc

KINDS = ("assessment", "plan", "followup", "protocol", "cohort", "validation")
MAX_ATTEMPTS = 3  # a job that kills its worker this many times is failed, not retried forever


def enqueue(store, kind: str, params: dict, *, user_id: int | None, patient_id: int | None = None) -> int:
    if kind not in KINDS:
        raise StoreError(f"job kind {kind!r}: allowed: {', '.join(KINDS)}")
    with Session(store.engine) as s, s.begin():
        row = t.Job(kind=kind, status="queued", progress=0.0, message="queued", params=params, user_id=user_id,
                    patient_id=patient_id, created_at=_now(), attempts=0)
        s.add(row)
        s.flush()
        return row.id


def claim(store, worker: str) -> dict | None:
    """The oldest queued job, now running under `worker`; None when there is none (or another worker took
    each candidate first)."""
    for _ in range(5):
        with Session(store.engine) as s:
            job_id = s.scalar(select(t.Job.id).where(t.Job.status == "queued").order_by(t.Job.id).limit(1))
        if job_id is None:
            return None
        now = _now()
        with Session(store.engine) as s, s.begin():
            done = s.execute(update(t.Job).where(t.Job.id == job_id, t.Job.status == "queued")
                             .values(status="running", worker=worker, started_at=now, heartbeat=now,
                                     message="running", attempts=t.Job.attempts + 1)
                             .execution_options(synchronize_session=False))
            if done.rowcount == 1:
                row = s.get(t.Job, job_id)
                return _job(row, full=True)
    return None


def progress(store, job_id: int, worker: str, fraction: float, message: str) -> None:
    with Session(store.engine) as s, s.begin():
        s.execute(update(t.Job).where(t.Job.id == job_id, t.Job.worker == worker, t.Job.status == "running")
                  .values(progress=max(0.0, min(1.0, fraction)), message=message[:1000], heartbeat=_now())
                  .execution_options(synchronize_session=False))


def heartbeat(store, worker: str) -> None:
    with Session(store.engine) as s, s.begin():
        s.execute(update(t.Job).where(t.Job.worker == worker, t.Job.status == "running").values(heartbeat=_now())
                  .execution_options(synchronize_session=False))


def finish(store, job_id: int, worker: str, *, result: dict | None = None, result_url: str | None = None,
           error: str | None = None) -> None:
    with Session(store.engine) as s, s.begin():
        values = dict(status="failed" if error else "done", finished_at=_now(), message=error or "done",
                      result=result, result_url=result_url)
        if not error:
            values["progress"] = 1.0
        s.execute(update(t.Job).where(t.Job.id == job_id, t.Job.worker == worker).values(**values)
                  .execution_options(synchronize_session=False))


def requeue_stale(store, stale_after: timedelta, *, now: datetime | None = None,
                  alive: str | None = None) -> list[int]:
    """Queue again the running jobs whose worker has been silent for `stale_after` (the process died); a job
    that has already been tried MAX_ATTEMPTS times fails instead. `alive` names the calling process's own
    worker, whose jobs are running right here whatever their heartbeat says."""
    cutoff = (now or _now()) - stale_after
    with Session(store.engine) as s, s.begin():
        q = select(t.Job).where(t.Job.status == "running")
        if alive is not None:
            q = q.where(t.Job.worker != alive)
        rows = s.scalars(q).all()
        again = []
        for row in rows:
            if row.heartbeat is not None and _utc(row.heartbeat) > cutoff:
                continue
            if row.attempts >= MAX_ATTEMPTS:
                row.status, row.message, row.finished_at = "failed", (
                    f"stopped {row.attempts} times with its worker; not retried"), _now()
                continue
            row.status, row.worker, row.message, row.progress = "queued", None, "re-queued after a restart", 0.0
            again.append(row.id)
        return again


def _job(row: t.Job, *, full: bool = False) -> dict:
    out = {"id": row.id, "kind": row.kind, "status": row.status, "progress": row.progress, "message": row.message,
           "result_url": row.result_url, "patient_id": row.patient_id, "user_id": row.user_id,
           "created_at": _utc(row.created_at).isoformat(),
           "finished_at": _utc(row.finished_at).isoformat() if row.finished_at else None}
    if full:
        out["params"] = row.params
        out["result"] = row.result
    return out


def job(store, job_id: int) -> dict | None:
    with Session(store.engine) as s:
        row = s.get(t.Job, job_id)
        return None if row is None else _job(row, full=True)


def latest_of_kind(store, kind: str) -> dict | None:
    with Session(store.engine) as s:
        row = s.scalar(select(t.Job).where(t.Job.kind == kind).order_by(t.Job.id.desc()).limit(1))
        return None if row is None else _job(row, full=True)


def pending_count(store, user_id: int) -> int:
    """The user's queued and running jobs."""
    from sqlalchemy import func

    with Session(store.engine) as s:
        return s.scalar(select(func.count()).select_from(t.Job).where(t.Job.user_id == user_id,
                                                                      t.Job.status.in_(("queued", "running"))))
