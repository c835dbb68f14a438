"""Service tests on SQLite and, with NEUROSCAPE_TEST_PG_URL, on PostgreSQL (as tests/store/). `service` builds
an app on a fresh store with users admin, alice and bob (clinicians) and rita (researcher)."""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources

import pytest
from fastapi.testclient import TestClient

from neuroscape.service import ServiceSettings, create_app
from neuroscape.service.passwords import hash_password
from neuroscape.store import open_store
from neuroscape.store.users import add_user
from tests.store import conftest as store_conftest

EXAMPLES = resources.files("neuroscape") / "examples" / "patients"
PASSWORD = "correct horse battery staple"
USERS = {"admin": "admin", "alice": "clinician", "bob": "clinician", "rita": "researcher"}
# Tiny job settings so that a calibration or plan search takes seconds (assumed enough to exercise the path).
FAST = ServiceSettings(assessment_samples=50, plan_candidates=3, plan_draws=4, poll_seconds=0.05,
                       heartbeat_seconds=0.5)


db_url = store_conftest.db_url  # the store tests' fixture: SQLite, and PostgreSQL when configured
_HASH = {}


def add_users(url: str) -> None:
    store = open_store(url)
    for name, role in USERS.items():
        if PASSWORD not in _HASH:
            _HASH[PASSWORD] = hash_password(PASSWORD)
        add_user(store, name, _HASH[PASSWORD], role)
    store.engine.dispose()


@dataclass
class Service:
    url: str
    client: TestClient
    tokens: dict = field(default_factory=dict)

    def login(self, username: str) -> dict:
        if username not in self.tokens:
            r = self.client.post("/api/v1/auth/token", data={"username": username, "password": PASSWORD})
            assert r.status_code == 200, r.text
            self.tokens[username] = r.json()["access_token"]
        return {"Authorization": f"Bearer {self.tokens[username]}"}

    def as_(self, username: str, method: str, path: str, **kw):
        headers = {**self.login(username), **kw.pop("headers", {})}
        return self.client.request(method, path, headers=headers, **kw)

    def upload(self, username: str, name: str = "anna-fhir.json", path: str = "/api/v1/imports", raw=None):
        raw = raw if raw is not None else (EXAMPLES / name).read_bytes()
        return self.as_(username, "POST", path, files={"file": (name, raw, "application/octet-stream")})


def make_service(url: str, settings: ServiceSettings = FAST, users: bool = True) -> Service:
    if users:
        add_users(url)
    return Service(url, TestClient(create_app(url, settings=settings)))


@pytest.fixture
def service(db_url):
    svc = make_service(db_url, ServiceSettings(**{**FAST.__dict__, "start_workers": False}))
    with svc.client:
        yield svc


@pytest.fixture
def sqlite_service(tmp_path):
    svc = make_service(f"sqlite:///{tmp_path / 'store.db'}", ServiceSettings(**{**FAST.__dict__,
                                                                                 "start_workers": False}))
    with svc.client:
        yield svc
