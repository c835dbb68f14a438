"""Crash safety: a writer killed with SIGKILL in the middle of imports leaves the store consistent, and every
import it acknowledged (save_record returned) is there with all its observations. On SQLite (WAL) and
PostgreSQL.

The writer is a separate process that imports many records (each its own patient, each with a distinct set
of observations) and prints one acknowledgement line per committed import; the test kills it at an
unannounced moment, well inside the stream of writes, then opens the store afresh."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest
from sqlalchemy import create_engine, func, select, text

from neuroscape.store import open_store
from neuroscape.store import tables as t

WRITER = textwrap.dedent("""
    import sys
    from datetime import timedelta
    from importlib import resources

    from neuroscape.io.patient import read_patient
    from neuroscape.store import open_store

    path = resources.files("neuroscape") / "examples" / "patients" / "anna-fhir.json"
    base, raw = read_patient(path), path.read_bytes()
    store = open_store(sys.argv[1])
    print("READY", flush=True)
    for i in range(100_000):
        # a fresh patient whose observations are shifted by i minutes: nothing is de-duplicated away
        obs = tuple(o.model_copy(update={"time": o.time + timedelta(minutes=i)}) for o in base.observations)
        record = base.model_copy(update={"patient_id": f"crash-{i:06d}", "observations": obs})
        saved = store.save_record(record, raw=raw + str(i).encode(), filename=f"crash-{i}.json")
        print("ACK", record.patient_id, saved.import_id, saved.observations_added, flush=True)
""")


def _run_and_kill(url: str, *, min_acks: int, extra_s: float) -> list[tuple[str, int, int]]:
    """Start the writer, let it acknowledge `min_acks` imports, wait `extra_s` more (mid-transaction with
    high probability), SIGKILL it, and return the acknowledgements it printed before dying."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    proc = subprocess.Popen([sys.executable, "-c", WRITER, url], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    acks: list[tuple[str, int, int]] = []
    deadline = time.monotonic() + 240
    try:
        while len(acks) < min_acks:
            line = proc.stdout.readline()
            if not line:
                pytest.fail(f"the writer died before {min_acks} imports: {proc.stderr.read()[-2000:]}")
            if line.startswith("ACK"):
                _, key, import_id, added = line.split()
                acks.append((key, int(import_id), int(added)))
            assert time.monotonic() < deadline, "the writer is too slow"
        time.sleep(extra_s)
        proc.send_signal(signal.SIGKILL)
        rest, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    for line in rest.splitlines():  # acknowledged after we stopped reading, before the kill
        if line.startswith("ACK"):
            _, key, import_id, added = line.split()
            acks.append((key, int(import_id), int(added)))
    assert proc.returncode == -signal.SIGKILL
    return acks


@pytest.mark.parametrize("extra_s", [0.0, 0.137])
def test_a_killed_writer_loses_no_acknowledged_import_and_leaves_no_partial_one(db_url, extra_s):
    acks = _run_and_kill(db_url, min_acks=15, extra_s=extra_s)
    n_obs = acks[0][2]
    assert n_obs > 0 and all(a[2] == n_obs for a in acks)

    if db_url.startswith("sqlite"):
        raw = create_engine(db_url)
        with raw.connect() as conn:
            assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
            assert conn.execute(text("PRAGMA foreign_key_check")).fetchall() == []
        raw.dispose()

    store = open_store(db_url)  # recovers (WAL replay) and must not need a migration or a repair
    with store.engine.connect() as conn:
        per_import = dict(conn.execute(select(t.Observation.import_id, func.count())
                                       .group_by(t.Observation.import_id)).all())
        imports = conn.execute(select(t.RecordImport.id, t.Patient.key)
                               .join(t.Patient, t.Patient.id == t.RecordImport.patient_id)).all()
        patients = conn.execute(select(func.count()).select_from(t.Patient)).scalar()
    stored = {key: import_id for import_id, key in imports}
    for key, import_id, _ in acks:  # every acknowledged write is present, with all of its observations
        assert stored.get(key) == import_id, f"acknowledged import {key} is missing"
        assert per_import.get(import_id) == n_obs
    # all or nothing: no patient without its import, no import with part of its observations
    assert patients == len(imports)
    assert all(per_import.get(i) == n_obs for i, _ in imports)
    # at most the one import in flight at the kill may have committed without being acknowledged
    assert len(imports) - len(acks) in (0, 1)
    # and the store still takes writes
    more = store.patients()
    assert len(more) == len(imports)
