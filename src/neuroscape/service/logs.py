"""Patient keys out of the server's own log: uvicorn's access log prints each request's URL, and URLs carry
patient keys (`/api/v1/patients/{key}`, `/ui/patients/{key}`, `/api/v1/audit?patient=KEY`). `neuroscape serve`
turns that log off and the service logs route templates instead (app.AccessLog); this filter is the second
line, for a server started another way (`uvicorn --factory ...` with its access log on): it rewrites each
access-log line's path to name no key and no query."""

from __future__ import annotations

import logging
import re

_KEY = re.compile(r"(/patients/)[^/?#]+")


def redact_path(path: str) -> str:
    """The path with each patient key replaced by `{key}` and the query string left out."""
    base, sep, _ = path.partition("?")
    return _KEY.sub(r"\1{key}", base) + ("?..." if sep else "")


class RedactPatientPaths(logging.Filter):
    """For uvicorn's access logger, whose records carry (client, method, path, http version, status) as args."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and len(record.args) >= 3 and isinstance(record.args[2], str):
            record.args = record.args[:2] + (redact_path(record.args[2]),) + record.args[3:]
        return True


def install() -> None:
    """Attach the filter to uvicorn's access logger, once per process."""
    logger = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactPatientPaths) for f in logger.filters):
        logger.addFilter(RedactPatientPaths())
