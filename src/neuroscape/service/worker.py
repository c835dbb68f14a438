"""`WorkerPool`: threads in the service process that claim queued jobs from the store (atomically: see
store/jobs.py), run them (service/runners.py), beat their heartbeat and record the outcome. On start, jobs
left 'running' by a process that died are queued again, so that a restart loses none."""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from datetime import timedelta

from ..store import jobs as store_jobs

log = logging.getLogger("neuroscape.service.jobs")


class WorkerPool:
    def __init__(self, store, settings):
        self.store = store
        self.settings = settings
        self.name = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"[:100]
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def recover(self) -> list[int]:
        """Queue again the jobs whose worker has fallen silent (its process died)."""
        again = store_jobs.requeue_stale(self.store, timedelta(seconds=self.settings.stale_after_seconds),
                                         alive=self.name)
        if again:
            log.info("re-queued %d interrupted job(s)", len(again))
        return again

    def start(self) -> None:
        for i in range(max(1, self.settings.workers)):
            t = threading.Thread(target=self._loop, name=f"neuroscape-job-{i}", daemon=True)
            t.start()
            self._threads.append(t)
        beat = threading.Thread(target=self._heartbeat, name="neuroscape-job-heartbeat", daemon=True)
        beat.start()
        self._threads.append(beat)

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout)
        self._threads = []

    def _heartbeat(self) -> None:
        while not self._stop.wait(self.settings.heartbeat_seconds):
            try:
                store_jobs.heartbeat(self.store, self.name)
                self.recover()  # another process's orphans, too (several services on one PostgreSQL)
            except Exception as exc:  # the store briefly unreachable: try again at the next beat
                log.warning("job heartbeat failed: %s", type(exc).__name__)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                job = store_jobs.claim(self.store, self.name)
            except Exception as exc:
                log.warning("claiming a job failed: %s", type(exc).__name__)
                job = None
            if job is None:
                self._stop.wait(self.settings.poll_seconds)
                continue
            self.run_one(job)

    def run_one(self, job: dict) -> None:
        from .runners import run_job

        def progress(fraction: float, message: str) -> None:
            store_jobs.progress(self.store, job["id"], self.name, fraction, message)

        log.info("job %d (%s) started", job["id"], job["kind"])
        try:
            result, url = run_job(self.store, self.settings, job, progress)
        except Exception as exc:
            # The message goes to the job's owner (who may see its patient); the log gets the type only.
            log.info("job %d (%s) failed: %s", job["id"], job["kind"], type(exc).__name__)
            store_jobs.finish(self.store, job["id"], self.name, error=_message(exc))
            self._audit(job, "failed")
            return
        store_jobs.finish(self.store, job["id"], self.name, result=result, result_url=url)
        self._audit(job, "done")
        log.info("job %d (%s) done", job["id"], job["kind"])

    def _audit(self, job: dict, outcome: str) -> None:
        """A patient's job reads the patient's data and writes results (a follow-up also an import) long
        after the request that queued it was audited: its end is an audit entry too, in the name of the
        user who queued it."""
        if job.get("patient_id") is None:
            return
        from ..store.audit import record_access
        from ..store.users import user_by_id

        try:
            user = user_by_id(self.store, job["user_id"]) if job.get("user_id") is not None else None
            record_access(self.store, user_id=job.get("user_id"), username=user.username if user else "(removed)",
                          action=f"job-{outcome}:{job['kind']}", resource=f"job {job['id']}",
                          patient_key=(job.get("params") or {}).get("patient_key"), patient_id=job["patient_id"])
        except Exception as exc:  # the store briefly unreachable: say so, and keep the worker alive
            log.error("audit entry for the end of job %d failed: %s", job["id"], type(exc).__name__)


def _message(exc: Exception) -> str:
    from ..errors import NeuroscapeError

    if isinstance(exc, NeuroscapeError):
        return str(exc)[:1000]
    return f"the job stopped with an internal error ({type(exc).__name__}); the administrator can find it by time"
