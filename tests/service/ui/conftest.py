"""The dashboard's fixtures: the service on a temporary SQLite store with an admin and a clinician, and the same
service running under uvicorn on a free loopback port for the browser test."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass

import pytest

pytest.importorskip("fastapi", reason="the service needs FastAPI (pip install -e .[test])")

PASSWORDS = {"admin": "admin passphrase for tests", "clinician": "clinician passphrase for tests"}


@dataclass(frozen=True)
class Service:
    app: object
    url: str  # the store's URL
    passwords: dict  # username -> password of the users made for the test


def make_service(tmp_path, **settings) -> Service:
    from neuroscape.service import create_app
    from neuroscape.service.passwords import hash_password
    from neuroscape.service.settings import ServiceSettings
    from neuroscape.store import open_store
    from neuroscape.store.users import add_user

    url = f"sqlite:///{tmp_path / 'service.db'}"
    app = create_app(url, settings=ServiceSettings(**settings))
    store = open_store(url)
    add_user(store, "admin", hash_password(PASSWORDS["admin"]), "admin")
    add_user(store, "clinician", hash_password(PASSWORDS["clinician"]), "clinician")
    return Service(app, url, dict(PASSWORDS))


@pytest.fixture(scope="module")
def ui_service(tmp_path_factory) -> Service:
    """The application on its own store (workers not started: page tests run no jobs), shared by a module's
    tests: hashing the users' passwords (argon2) is deliberately slow."""
    return make_service(tmp_path_factory.mktemp("service"), start_workers=False)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def live_server(tmp_path):
    """(base URL, Service): uvicorn serving the app from a background thread, with test-sized job settings."""
    import uvicorn

    svc = make_service(tmp_path, workers=1, assessment_samples=200, plan_candidates=4, plan_draws=8)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(svc.app, host="127.0.0.1", port=port, log_level="warning",
                                           access_log=False))
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start within 30 s")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", svc
    finally:
        server.should_exit = True
        thread.join(timeout=30)
