"""The load test (bench/loadtest.py, `make loadtest` runs it at 50 clients x 60 s) in small: a real
`neuroscape serve` process on loopback, concurrent clients mixing reads, imports and protocol runs; no 4xx
or 5xx, no lost or partial import, every accepted job readable. On SQLite, and on PostgreSQL when
NEUROSCAPE_TEST_PG_URL is set."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from tests.store.conftest import PG, SKIP_PG, _worker_database

BENCH = Path(__file__).resolve().parents[2] / "bench" / "loadtest.py"


def _loadtest():
    spec = importlib.util.spec_from_file_location("neuroscape_loadtest", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
@pytest.mark.parametrize("store", ["sqlite", "postgresql"])
def test_concurrent_clients_get_no_errors_and_lose_no_write(store):
    if store == "postgresql" and not PG:
        pytest.skip(SKIP_PG)
    db = _worker_database(PG) if store == "postgresql" else None
    r = _loadtest().run(clients=8, seconds=6, db=db, job_wait_s=90)
    assert r["requests"] > 8
    assert r["http_5xx"] == 0 and r["http_4xx"] == 0 and r["transport_errors"] == 0, r["first_errors"]
    c = r["checks"]
    assert c["imports_acknowledged"] > 0 and c["imports_lost"] == [] and c["imports_partial"] == []
    assert c["jobs_missing"] == []
    assert r["patient_keys_in_service_log"] == 0
    assert r["ok"]
