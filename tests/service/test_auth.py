"""The login throttle under attack: parallel guesses get no more tries than sequential ones, invented
usernames neither unlock an account nor fill the memory, and a disabled account's login costs the same
password check as any other (no timing tells it apart)."""

import threading
from dataclasses import replace

from sqlalchemy import update
from sqlalchemy.orm import Session

from neuroscape.service import auth
from neuroscape.service.auth import LoginThrottle
from neuroscape.store import tables as t
from tests.service.conftest import FAST, PASSWORD, make_service


def test_a_burst_of_parallel_guesses_gets_no_more_tries_than_the_limit(tmp_path):
    svc = make_service(f"sqlite:///{tmp_path / 's.db'}", replace(FAST, login_failures=3, start_workers=False))
    with svc.client:
        codes = _at_once(12, lambda i: svc.client.post("/api/v1/auth/token", data={
            "username": "alice", "password": f"guess number {i:04d}"}).status_code)
        assert sorted(codes) == [401] * 3 + [429] * 9, codes
        r = svc.client.post("/api/v1/auth/token", data={"username": "alice", "password": PASSWORD})
        assert r.status_code == 429


def test_parallel_logins_of_one_user_with_the_right_password_all_succeed(tmp_path):
    """The slots held by attempts in flight make later ones wait, not fail: a script's many workers may log
    in as one user at once."""
    svc = make_service(f"sqlite:///{tmp_path / 's.db'}", replace(FAST, login_failures=2, start_workers=False))
    with svc.client:
        codes = _at_once(8, lambda i: svc.client.post("/api/v1/auth/token", data={
            "username": "alice", "password": PASSWORD}).status_code)
        assert codes == [200] * 8


def _fail(throttle: LoginThrottle, username: str) -> float:
    wait = throttle.attempt(username)
    if wait == 0.0:
        throttle.done(username, False)
    return wait


def test_invented_usernames_neither_unlock_an_account_nor_fill_the_memory():
    throttle = LoginThrottle(limit=3, window_s=900.0, max_tracked=50)
    for _ in range(3):
        assert _fail(throttle, "alice") == 0.0
    assert _fail(throttle, "alice") > 800
    for i in range(200):  # a flood of one-off usernames, each megabytes long
        assert _fail(throttle, f"{i}-" + "x" * 1_000_000) == 0.0
    assert _fail(throttle, "alice") > 800  # still locked
    assert len(throttle._failures) <= 51 and all(len(k) == 32 for k in throttle._failures)
    assert throttle.attempt("bob") == 0.0
    throttle.done("bob", True)


def test_a_disabled_account_costs_the_same_password_check_as_any_login(sqlite_service, monkeypatch):
    svc = sqlite_service
    with Session(svc.client.app.state.store.engine) as s, s.begin():
        s.execute(update(t.User).where(t.User.username == "bob").values(active=False))
    checked = []
    real = auth.verify_password
    monkeypatch.setattr(auth, "verify_password", lambda h, p: checked.append(h) or real(h, p))
    for name in ("bob", "nobody", "alice"):
        r = svc.client.post("/api/v1/auth/token", data={"username": name, "password": "wrong but long enough"})
        assert r.status_code == 401 and r.json()["detail"] == "wrong username or password"
    assert len(checked) == 3  # one argon2 verification each: disabled, unknown and wrong alike
    assert svc.client.post("/api/v1/auth/token", data={"username": "bob", "password": PASSWORD}).status_code == 401


def test_every_state_changing_route_refuses_a_cookie_session_without_the_csrf_header(sqlite_service):
    """Each POST, PATCH, PUT and DELETE of the OpenAPI document (but the login itself) and the dashboard's
    log-out: with the session cookie alone, 403 and nothing written; with the header echoing the cookie, past
    the check."""
    from neuroscape.store.audit import audit_entries

    svc = sqlite_service
    key = svc.upload("alice").json()["patient_key"]
    r = svc.client.post("/ui/login", data={"username": "alice", "password": PASSWORD}, follow_redirects=False)
    assert r.status_code == 303 and svc.client.cookies.get(auth.SESSION_COOKIE)
    csrf = svc.client.cookies.get(auth.CSRF_COOKIE)
    store = svc.client.app.state.store
    schema = svc.client.app.openapi()["paths"]
    writes = [(m.upper(), p.replace("{key}", key).replace("{job_id}", "1").replace("{search_id}", "1")
               .replace("{assessment_id}", "1")) for p, item in schema.items() for m in item
              if m in ("post", "patch", "put", "delete") and p != "/api/v1/auth/token"]
    assert len(writes) >= 8
    for method, path in writes + [("POST", "/ui/logout")]:
        n = len(audit_entries(store, limit=10_000))
        for header in ({}, {auth.CSRF_HEADER: "forged"}, {auth.CSRF_HEADER: ""}):
            r = svc.client.request(method, path, headers=header, json={})
            assert r.status_code == 403 and auth.CSRF_HEADER in r.text, (method, path, header, r.status_code)
        assert len(audit_entries(store, limit=10_000)) == n, (method, path)
        r = svc.client.request(method, path, headers={auth.CSRF_HEADER: csrf}, json={})
        assert r.status_code != 403 or "role" in r.text, (method, path, r.text[:200])
    svc.client.cookies.clear()


def _at_once(n: int, call) -> list:
    """call(i) for i < n from n threads released together by a barrier; the results in finishing order."""
    barrier, results = threading.Barrier(n), []

    def one(i):
        barrier.wait()
        results.append(call(i))

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return results
