"""Alembic migrations (store/migrations): the newest revision builds exactly the tables the code maps, and
a database made by the first schema is upgraded in place with its data kept."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from neuroscape.store import open_store
from neuroscape.store.store import MIGRATIONS, migrate
from neuroscape.store.tables import Base


def _upgrade_to(engine, revision):
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def test_the_migrated_schema_is_the_mapped_schema(db_url):
    engine = create_engine(db_url)
    migrate(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diff == []
    assert set(inspect(engine).get_table_names()) >= {"patients", "record_imports", "observations", "assessments",
                                                       "target_profiles", "plan_searches", "alembic_version"}


def test_a_first_schema_database_is_upgraded_with_its_data(db_url):
    engine = create_engine(db_url)
    _upgrade_to(engine, "0001")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO patients (key, sex, created_at) VALUES ('p1', 'female', "
                          "'2026-01-01 00:00:00+00:00')"))
    store = open_store(db_url)  # upgrades to head
    assert [r["patient"] for r in store.patients()] == ["p1"]
    head = _version(engine)
    assert head == sorted(p.stem.split("_")[0] for p in (MIGRATIONS / "versions").glob("0*.py"))[-1]


def test_the_service_revision_downgrades_and_upgrades_again_with_the_data_kept(db_url):
    from alembic import command
    from alembic.config import Config

    from neuroscape.io.patient import read_patient
    from tests.store.test_store import EXAMPLES

    store = open_store(db_url)
    path = EXAMPLES / "anna-fhir.json"
    store.save_record(read_patient(path), raw=path.read_bytes(), filename=path.name)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0002")
    assert "users" not in inspect(store.engine).get_table_names()
    assert "owner_id" not in {c["name"] for c in inspect(store.engine).get_columns("patients")}
    again = open_store(db_url)  # upgrades to head
    [row] = again.patients()
    assert row["patient"] == "anna" and row["observations"] > 0
    assert {"version", "owner_id"} <= {c["name"] for c in inspect(again.engine).get_columns("patients")}


TABLES = ("users", "patients", "record_imports", "observations", "patient_shares", "audit_log")


def _rows(engine) -> dict:
    with engine.connect() as conn:
        return {"counts": {name: conn.execute(text(f"SELECT COUNT(*) FROM {name}")).scalar() for name in TABLES},
                "patients": conn.execute(text("SELECT id, key, owner_id, version, sex FROM patients ORDER BY id")
                                         ).all(),
                "imports": conn.execute(text("SELECT id, patient_id, sha256 FROM record_imports ORDER BY id")).all(),
                "shares": conn.execute(text("SELECT patient_id, user_id FROM patient_shares ORDER BY id")).all(),
                "audit": conn.execute(text("SELECT id, username, patient_key FROM audit_log ORDER BY id")).all()}


def test_a_service_database_is_upgraded_to_keys_per_owner_with_nothing_lost(db_url):
    from neuroscape.io.patient import read_patient
    from neuroscape.store.access import share_patient
    from neuroscape.store.store import Store
    from neuroscape.store.users import add_user
    from tests.store.test_store import EXAMPLES

    engine = create_engine(db_url)
    _upgrade_to(engine, "0003")
    old = Store(engine)  # the 0003 schema: owners, shares and the audit log, keys unique in the store
    alice, bob = (add_user(old, name, "not-a-real-hash", "clinician") for name in ("alice", "bob"))
    for name, writer in (("anna-fhir.json", alice), ("ben-records.csv", None)):
        path = EXAMPLES / name
        old.save_record(read_patient(path), raw=path.read_bytes(), filename=path.name, writer=writer)
    share_patient(old, alice, "anna", "bob")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO audit_log (at, user_id, username, action, resource, patient_key) VALUES "
                          "('2026-01-01 00:00:00+00:00', :u, 'alice', 'read', 'GET /api/v1/patients/anna', 'anna')"),
                     {"u": alice.id})
    before = _rows(engine)
    assert before["counts"]["observations"] > 10 and before["counts"]["patient_shares"] == 1
    engine.dispose()
    store = open_store(db_url)  # upgrades to head
    assert _rows(store.engine) == before
    columns = {c["name"] for c in inspect(store.engine).get_columns("audit_log")}
    assert "patient_id" in columns
    # the upgraded store takes a second "anna" of another owner, and bob still reads alice's through the share
    path = EXAMPLES / "anna-fhir.json"
    store.save_record(read_patient(path), raw=path.read_bytes(), filename=path.name, writer=bob)
    assert [(r["ref"], r["owner"]) for r in store.patients()] == [("alice~anna", "alice"), ("bob~anna", "bob"),
                                                                   ("ben", None)]
    if store.engine.dialect.name == "sqlite":  # the copy of `patients` kept every reference
        with store.engine.connect() as conn:
            assert conn.execute(text("PRAGMA foreign_key_check")).all() == []
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_the_downgrade_below_keys_per_owner_refuses_while_keys_collide(db_url):
    from alembic import command
    from alembic.config import Config

    from neuroscape.io.patient import read_patient
    from neuroscape.store.users import add_user
    from tests.store.test_store import EXAMPLES

    store = open_store(db_url)
    path = EXAMPLES / "anna-fhir.json"
    for name in ("alice", None):
        writer = add_user(store, name, "not-a-real-hash", "clinician") if name else None
        store.save_record(read_patient(path), raw=path.read_bytes(), filename=path.name, writer=writer)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    head = _version(store.engine)
    try:
        with store.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0003")
    except RuntimeError as exc:
        assert "patient key(s) 'anna' are held by several owners" in str(exc)
    else:
        raise AssertionError("the downgrade went through with two patients keyed 'anna'")
    # nothing undone: neither 0004 nor the revisions above it (their tables are back with the version number)
    assert _version(store.engine) == head
    assert set(inspect(store.engine).get_table_names()) >= {"plan_reports", "audit_log", "users"}
    assert len(store.patients()) == 2


def _version(engine) -> str:
    with engine.connect() as conn:
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def test_a_decision_ledger_database_with_imports_is_upgraded_in_one_run(db_url):
    # 0002 -> head in one transaction: 0004 copies `patients` on SQLite while record_imports references it,
    # which store.migrate allows by running the migrations with foreign-key enforcement off (then checked)
    engine = create_engine(db_url)
    _upgrade_to(engine, "0002")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO patients (id, key, sex, created_at) VALUES "
                          "(7, 'p1', 'female', '2026-01-01 00:00:00+00:00')"))
        conn.execute(text("INSERT INTO record_imports (patient_id, filename, sha256, raw, record, imported_at) "
                          "VALUES (7, 'p1.csv', 'abc', :raw, '{}', '2026-01-01 00:00:00+00:00')"), {"raw": b"x"})
    engine.dispose()
    store = open_store(db_url)
    [row] = store.patients()
    assert (row["patient"], row["ref"], row["owner"], row["imports"]) == ("p1", "p1", None, 1)


def test_the_plan_report_revision_downgrades_and_upgrades(db_url):
    from alembic import command
    from alembic.config import Config

    store = open_store(db_url)
    assert "plan_reports" in inspect(store.engine).get_table_names()
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "-1")
    assert "plan_reports" not in inspect(store.engine).get_table_names()
    again = open_store(db_url)
    assert "plan_reports" in inspect(again.engine).get_table_names()
