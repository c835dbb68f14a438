"""Jobs in the store (store/jobs.py) on SQLite and PostgreSQL: each queued job is claimed by exactly one of
many concurrent workers, and a job orphaned by a dead worker is queued again."""

import threading
from datetime import timedelta

from neuroscape.store import open_store
from neuroscape.store import jobs


def test_concurrent_workers_claim_each_job_exactly_once(db_url):
    store = open_store(db_url)
    ids = [jobs.enqueue(store, "protocol", {"text": str(i)}, user_id=None) for i in range(20)]
    claimed, barrier = [], threading.Barrier(6)

    def worker(name):
        barrier.wait()
        while (job := jobs.claim(store, name)) is not None:
            claimed.append((job["id"], name))

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(j for j, _ in claimed) == ids  # every job once, none twice
    assert all(jobs.job(store, i)["status"] == "running" for i in ids)


def test_a_job_whose_worker_fell_silent_is_queued_again_and_fails_after_three_tries(db_url):
    store = open_store(db_url)
    job_id = jobs.enqueue(store, "protocol", {"text": "x"}, user_id=None)
    assert jobs.claim(store, "dead")["id"] == job_id
    assert jobs.requeue_stale(store, timedelta(minutes=1)) == []  # its heartbeat is fresh
    later = jobs._now() + timedelta(minutes=2)
    assert jobs.requeue_stale(store, timedelta(minutes=1), now=later, alive="dead") == []  # its own: alive
    assert jobs.requeue_stale(store, timedelta(minutes=1), now=later) == [job_id]
    assert jobs.job(store, job_id)["status"] == "queued"
    assert jobs.claim(store, "dead")["id"] == job_id  # the second try
    assert jobs.requeue_stale(store, timedelta(minutes=1), now=jobs._now() + timedelta(minutes=2)) == [job_id]
    assert jobs.claim(store, "dead")["id"] == job_id  # the third try
    assert jobs.requeue_stale(store, timedelta(minutes=1), now=jobs._now() + timedelta(minutes=2)) == []
    found = jobs.job(store, job_id)
    assert found["status"] == "failed" and "3 times" in found["message"]
    assert jobs.claim(store, "w") is None
