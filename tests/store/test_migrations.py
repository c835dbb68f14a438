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
    with engine.connect() as conn:
        head = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
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
