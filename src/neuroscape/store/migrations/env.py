"""Alembic environment: neuroscape runs migrations itself (`store.migrate`), on the connection it opened."""

from alembic import context

from neuroscape.store.tables import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True,
                  compare_type=True)
with context.begin_transaction():
    context.run_migrations()
