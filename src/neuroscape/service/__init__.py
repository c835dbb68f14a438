"""The neuroscape service (issue 17): a FastAPI application over the patient store with users, roles,
per-patient authorisation, an audit log and persisted jobs (docs/service.md).

    app = create_app("sqlite:///neuroscape.db")   # or NEUROSCAPE_DB; `neuroscape serve` runs it with uvicorn
"""

from .app import create_app
from .settings import ServiceSettings

__all__ = ["ServiceSettings", "create_app"]
