"""Plan reports kept in the store (the service's HTML reports were files in the user's data directory: outside
the database's backups and access control, and on one machine only).

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

from neuroscape.store.migrations.sqlite_ddl import begin

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "plan_reports",
        sa.Column("plan_search_id", sa.Integer(), sa.ForeignKey("plan_searches.id"), primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("html", sa.Text(), nullable=False),
    )


def downgrade() -> None:
    begin(op)  # a refusal further down (0004's) must restore the table with the version number
    op.drop_table("plan_reports")
