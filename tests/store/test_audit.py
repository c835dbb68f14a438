"""The audit log (store/audit.py) is append-only on SQLite and PostgreSQL: the database itself refuses UPDATE
and DELETE (migration 0003's triggers), and TRUNCATE on PostgreSQL (0003's statement triggers), whoever connects."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from neuroscape.store import open_store
from neuroscape.store.audit import audit_entries, record_access


def test_the_audit_log_refuses_update_and_delete(db_url):
    store = open_store(db_url)
    record_access(store, user_id=1, username="alice", action="read", resource="GET /api/v1/patients/p1",
                  patient_key="p1")
    record_access(store, user_id=2, username="bob", action="read", resource="GET /api/v1/patients/p2",
                  patient_key="p2")
    statements = ["UPDATE audit_log SET username = 'mallory'", "DELETE FROM audit_log"]
    if db_url.startswith("postgresql"):  # TRUNCATE fires no row trigger: a statement trigger refuses it
        statements += ["TRUNCATE audit_log", "TRUNCATE decisions"]
    for statement in statements:
        with pytest.raises(DatabaseError, match="append-only"):
            with store.engine.begin() as conn:
                conn.execute(text(statement))
    assert [(e["username"], e["patient_key"]) for e in audit_entries(store)] == [("bob", "p2"), ("alice", "p1")]
    assert [e["username"] for e in audit_entries(store, patient_key="p1")] == ["alice"]
    assert len(audit_entries(store, limit=1)) == 1
