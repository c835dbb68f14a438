"""`create_app`: the FastAPI application over one store, with its job workers."""

from __future__ import annotations

import logging
import time
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from ..store import open_store
from ..store.users import service_key
from . import errors
from .middleware import BodyLimit, RefuseNul, SecurityHeaders
from .settings import ServiceSettings

log = logging.getLogger("neuroscape.service")
API = "/api/v1"


class AccessLog:
    """One log line per request with the route template (`/patients/{key}`), never the URL itself,
    which can carry a patient key; uvicorn's own access log is turned off by `neuroscape serve`. An
    unexpected exception is answered 500 here and logged by type and route only: left to the server, its
    traceback (which can quote a record's values) would reach the log."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        start, status = time.perf_counter(), [0]

        async def tracking_send(message):
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            route = getattr(scope.get("route"), "path", None) or "(no route)"
            log.error("unexpected %s in %s %s", type(exc).__name__, scope["method"], route)
            if not status[0]:
                await JSONResponse({"detail": "internal error; the administrator can find it in the service log "
                                              "by time"}, status_code=500)(scope, receive, tracking_send)
        finally:
            route = getattr(scope.get("route"), "path", None) or "(no route)"
            log.info("%s %s %d %.0f ms", scope["method"], route, status[0], 1000 * (time.perf_counter() - start))


def create_app(store_url: str | None = None, *, settings: ServiceSettings | None = None) -> FastAPI:
    """The service on the store at `store_url` (or NEUROSCAPE_DB, or the default SQLite file), migrated to
    the newest schema."""
    from .worker import WorkerPool

    settings = settings or ServiceSettings()
    store = open_store(store_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        pool = WorkerPool(store, settings)
        app.state.workers = pool
        pool.recover()
        if settings.start_workers:
            pool.start()
        try:
            yield
        finally:
            pool.stop()

    app = FastAPI(title="neuroscape", version="1", lifespan=lifespan,
                  description="Mechanistic neurochemical landscape modelling as a service (research and "
                              "decision-support software, not medical advice).")
    app.state.store = store
    app.state.settings = settings
    app.state.token_key = service_key(store, "token-hs256")
    app.state.pseudonym_key = service_key(store, "research-pseudonym")
    from .auth import LoginThrottle

    app.state.login_throttle = LoginThrottle(settings.login_failures, settings.login_window_minutes * 60.0)
    errors.install(app)
    from . import logs

    logs.install()
    from .routes import admin, auth, imports, jobs, patients, research, results

    for module in (auth, patients, imports, jobs, results, admin, research):
        app.include_router(module.router, prefix=API)
    from .ui import router as ui_router  # the dashboard

    app.include_router(ui_router)
    app.add_middleware(RefuseNul)
    app.add_middleware(AccessLog)
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    app.add_middleware(SecurityHeaders, hsts=settings.secure_cookies)  # the last added is the outermost: every
    # answer gets the headers, the 413 and 400 of the middlewares inside it too
    return app
