"""Patient keys per owner (issue 17): a key is unique among one clinician's patients and among the ownerless
ones (the command line's and admins'), no longer store-wide, so that importing a patient id never reveals
whether another clinician holds it. The audit log also records the patient's store id, since a key alone may
now name several patients.

Audit entries written before this revision keep a key only (the log is append-only: they are not filled in);
keys were unique in the store when they were written.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

from neuroscape.store.migrations.sqlite_ddl import foreign_keys_off

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_OWNERLESS = sa.text("owner_id IS NULL")
# SQLite reflects the first schema's `UNIQUE (key)` without a name; batch mode names it by this convention so
# that it can be dropped. (PostgreSQL named it `patients_key_key`; so does this revision's downgrade.)
_NAMES = {"uq": "uq_%(table_name)s_%(column_0_name)s"}
_DOWNGRADE_REFUSED = ("cannot downgrade below revision 0004: patient key(s) {keys} are held by several owners, and "
                      "before 0004 a key was unique in the store. Export those patients (neuroscape patients "
                      "export OWNER~KEY) and remove all but one of each key first, or stay on this revision")


def _key_constraint(bind) -> str | None:
    for uc in sa.inspect(bind).get_unique_constraints("patients"):
        if uc["column_names"] == ["key"]:
            return uc["name"]
    return None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        # SQLite cannot drop a constraint: the table is copied without it (every row and id kept). Dropping the
        # original fails while foreign keys are enforced and other tables reference it, so store.migrate runs
        # the migrations with enforcement off and checks every reference before it commits.
        with op.batch_alter_table("patients", recreate="always", naming_convention=_NAMES) as batch:
            batch.drop_constraint(_key_constraint(bind) or "uq_patients_key", type_="unique")
    else:
        op.drop_constraint(_key_constraint(bind), "patients", type_="unique")
    op.create_index("ix_patients_key", "patients", ["key"])
    op.create_index("uq_patients_owner_key", "patients", ["owner_id", "key"], unique=True)
    op.create_index("uq_patients_ownerless_key", "patients", ["key"], unique=True, sqlite_where=_OWNERLESS,
                    postgresql_where=_OWNERLESS)
    op.add_column("audit_log", sa.Column("patient_id", sa.Integer(), nullable=True))
    op.create_index("ix_audit_log_patient_id", "audit_log", ["patient_id"])


def downgrade() -> None:
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    shared = bind.execute(sa.text("SELECT key FROM patients GROUP BY key HAVING COUNT(*) > 1 ORDER BY key")
                          ).scalars().all()
    if shared:
        more = f" and {len(shared) - 5} more" if len(shared) > 5 else ""
        raise RuntimeError(_DOWNGRADE_REFUSED.format(keys=", ".join(repr(k) for k in shared[:5]) + more))
    if sqlite:
        # The copy of `patients` below drops the original, which every other table references (the copy keeps
        # every id).
        foreign_keys_off(op)
    op.drop_index("ix_audit_log_patient_id", "audit_log")
    if sqlite:  # in place: a copy of the table would lose its append-only triggers
        op.execute("ALTER TABLE audit_log DROP COLUMN patient_id")
    else:
        op.drop_column("audit_log", "patient_id")
    for name in ("uq_patients_ownerless_key", "uq_patients_owner_key", "ix_patients_key"):
        op.drop_index(name, "patients")
    if sqlite:
        with op.batch_alter_table("patients", recreate="always") as batch:
            batch.create_unique_constraint("patients_key_key", ["key"])
        op.execute("PRAGMA foreign_keys = ON")
    else:
        op.create_unique_constraint("patients_key_key", "patients", ["key"])
