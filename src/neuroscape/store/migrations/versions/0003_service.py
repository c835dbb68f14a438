"""The service (issue 17): users, patient owners and shares, a version per patient for optimistic concurrency,
an append-only audit log (the database refuses UPDATE and DELETE on it), jobs, and the service's own keys.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

from neuroscape.store.migrations.sqlite_ddl import foreign_keys_off

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_MESSAGE = "the audit log is append-only: entries are never changed or removed"


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("username", sa.String(100), nullable=False, unique=True),
        sa.Column("password_hash", sa.String(300), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False, server_default="1"),
    )
    # Plain ADD COLUMN (not a batch copy of the table): SQLite allows a REFERENCES clause on a column whose
    # default is NULL, and the patients table is referenced by every other table.
    if op.get_bind().dialect.name == "sqlite":  # alembic would ALTER a constraint, which SQLite cannot
        op.execute("ALTER TABLE patients ADD COLUMN owner_id INTEGER REFERENCES users (id)")
    else:
        op.add_column("patients", sa.Column("owner_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True))
    op.add_column("patients", sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
    op.add_column("patients", sa.Column("notes", sa.Text(), nullable=True))
    op.create_index("ix_patients_owner_id", "patients", ["owner_id"])
    op.create_table(
        "patient_shares",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("patient_id", sa.Integer(), sa.ForeignKey("patients.id"), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("patient_id", "user_id", name="uq_patient_share"),
    )
    op.create_index("ix_patient_shares_patient_id", "patient_shares", ["patient_id"])
    op.create_index("ix_patient_shares_user_id", "patient_shares", ["user_id"])
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("username", sa.String(100), nullable=False),
        sa.Column("action", sa.String(50), nullable=False),
        sa.Column("resource", sa.String(300), nullable=False),
        sa.Column("patient_key", sa.String(200), nullable=True),
    )
    op.create_index("ix_audit_log_patient_key", "audit_log", ["patient_key"])
    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("progress", sa.Float(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("result_url", sa.String(300), nullable=True),
        sa.Column("patient_id", sa.Integer(), sa.ForeignKey("patients.id"), nullable=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("heartbeat", sa.DateTime(timezone=True), nullable=True),
        sa.Column("worker", sa.String(100), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
    )
    op.create_index("ix_jobs_status", "jobs", ["status"])
    op.create_index("ix_jobs_patient_id", "jobs", ["patient_id"])
    op.create_table(
        "service_keys",
        sa.Column("name", sa.String(50), primary_key=True),
        sa.Column("value", sa.String(200), nullable=False),
    )
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER audit_log_no_{verb.lower()} BEFORE {verb} ON audit_log "
                       f"BEGIN SELECT RAISE(ABORT, '{_MESSAGE}'); END")
    else:
        op.execute("CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
                   f"BEGIN RAISE EXCEPTION '{_MESSAGE}'; END $$")
        op.execute("CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
                   "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()")
        # TRUNCATE fires no row trigger: without these it emptied both append-only tables (the ledger's
        # function is revision 0002's). SQLite has no TRUNCATE; its DELETE without WHERE fires the row triggers.
        for table, function in (("audit_log", "audit_log_append_only"), ("decisions", "decisions_append_only")):
            op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                       f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()")


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.execute("DROP TRIGGER decisions_no_truncate ON decisions")
        op.execute("DROP TRIGGER audit_log_no_truncate ON audit_log")
        op.execute("DROP TRIGGER audit_log_append_only ON audit_log")
        op.execute("DROP FUNCTION audit_log_append_only()")
    for table in ("service_keys", "jobs", "audit_log", "patient_shares"):
        op.drop_table(table)
    op.drop_index("ix_patients_owner_id", "patients")
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        # The batch copy drops and renames `patients`, which every other table references; the copy keeps every
        # id, so the references hold again afterwards.
        foreign_keys_off(op)
    with op.batch_alter_table("patients") as batch:
        for column in ("notes", "version", "owner_id"):
            batch.drop_column(column)
    if sqlite:
        op.execute("PRAGMA foreign_keys = ON")
    op.drop_table("users")
