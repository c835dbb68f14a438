"""The service's request filters: a URL holding a NUL character (which no key, id or name holds, and which
PostgreSQL refuses in text) is a 400, and text the database cannot store is a 422, never a 500; on SQLite and
PostgreSQL."""

import pytest
from fastapi import Body

NUL_REQUESTS = [
    ("alice", "GET", "/api/v1/patients/a%00b", {}),
    ("alice", "GET", "/api/v1/patients/a%00b/landscape", {}),
    ("alice", "POST", "/api/v1/patients/a%00b/assessments", {"json": {}}),
    ("alice", "GET", "/api/v1/patients/" + "a" * 199 + "%00", {}),
    ("admin", "GET", "/api/v1/audit?patient=a%00", {}),
    ("alice", "GET", "/ui/patients/a%00b", {}),
]


@pytest.mark.parametrize("who,method,path,kw", NUL_REQUESTS)
def test_a_url_with_a_nul_character_is_a_400(service, who, method, path, kw):
    r = service.as_(who, method, path, **kw)
    assert r.status_code == 400, r.text
    assert "NUL" in r.json()["detail"] and r.headers["x-content-type-options"] == "nosniff"


def test_text_with_a_nul_character_is_a_clear_4xx_on_every_store(service):
    key = service.upload("alice").json()["patient_key"]
    r = service.as_("alice", "PATCH", f"/api/v1/patients/{key}", json={"version": 1, "notes": "a\x00b"})
    assert r.status_code == 422 and r.json()["detail"].startswith("notes: remove the NUL")
    r = service.as_("alice", "POST", f"/api/v1/patients/{key}/shares", json={"username": "b\x00ob"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "username"]
    for url in ("/api/v1/auth/token", "/ui/login"):  # an unknown user, like any other
        r = service.client.post(url, data={"username": "al\x00ice", "password": "x" * 20})
        assert r.status_code == 401, (url, r.text)
    assert service.as_("alice", "GET", f"/api/v1/patients/{key}").json()["version"] == 1


def test_a_value_the_database_refuses_is_a_422_that_quotes_nothing(service):
    """The net under the checks: a DataError from the database (here: a share's username with a NUL, sent past
    the route's own validation) answers 422 without the database's message, which quotes the values."""
    from neuroscape.store.access import share_patient

    app = service.client.app
    key = service.upload("alice").json()["patient_key"]

    @app.post("/test-share/{key}")
    def _share(key: str, username: str = Body(..., embed=True)):
        from neuroscape.store.users import user_by_name

        user, _ = user_by_name(app.state.store, "alice")
        share_patient(app.state.store, user, key, username)
        return {}

    r = service.client.post(f"/test-share/{key}", json={"username": "b" * 150})
    assert r.status_code == 422 and "no clinician" in r.json()["detail"]
    r = service.client.post(f"/test-share/{key}", json={"username": "b\x00ob"})
    if service.url.startswith("postgresql"):
        assert r.status_code == 422 and "cannot be stored" in r.json()["detail"] and "SELECT" not in r.text
    else:  # SQLite compares text with a NUL like any other
        assert r.status_code == 422 and "no clinician" in r.json()["detail"]
