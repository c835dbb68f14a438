"""The patient store: patients, imported records, observations, assessments, target profiles and plans.

    store = open_store()                      # NEUROSCAPE_DB, else a SQLite file in the user's data directory
    pid = store.save_record(record, raw=path.read_bytes(), filename=path.name)
    store.save_assessment(assessment)         # posterior summary + draws, model version and parameter hash
    store.save_plans(search, assessment_id=...)

SQLAlchemy 2 on an embedded SQLite file by default (WAL mode, foreign keys on) or PostgreSQL
(`NEUROSCAPE_DB=postgresql+psycopg://user@host/db`). The schema is created and upgraded by Alembic
migrations (`store/migrations`), never by `create_all`, so a database made by an older neuroscape is
upgraded in place. Every save is one transaction: a failure leaves the database as it was.
"""

from .store import Store, open_store
from .url import database_url

__all__ = ["Store", "database_url", "open_store"]
