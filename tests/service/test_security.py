"""Security measures: headers, body size limit, CSRF for cookie sessions, token expiry and tampering, the
audit log (admins only), de-identified research data, and no patient data in the application's logs."""

import json
import logging
import time
from dataclasses import replace

import jwt
from fastapi import Request, Response

from neuroscape.service.auth import CSRF_COOKIE, SESSION_COOKIE, login_response
from neuroscape.store.users import user_by_name
from tests.service.conftest import EXAMPLES, FAST, PASSWORD, make_service

NAME, GIVEN, MRN, BIRTH, KEY = "Zebulonova", "Annaliese", "MRN-99812-QX", "1987-11-23", "pt-7f3k9q"


def identified_bundle() -> bytes:
    """anna's bundle with a name, an identifier, another birth date and an unusual id: values to look for."""
    bundle = json.loads((EXAMPLES / "anna-fhir.json").read_text())
    for entry in bundle["entry"]:
        r = entry["resource"]
        if r["resourceType"] == "Patient":
            r.update(id=KEY, birthDate=BIRTH, name=[{"family": NAME, "given": [GIVEN]}],
                     identifier=[{"system": "urn:example:mrn", "value": MRN}])
        text = json.dumps(r).replace('"Patient/anna"', f'"Patient/{KEY}"')
        entry["resource"] = json.loads(text)
    return json.dumps(bundle).encode()


def test_secure_headers_on_every_answer(sqlite_service):
    for r in (sqlite_service.client.get("/api/v1/patients"), sqlite_service.as_("alice", "GET", "/api/v1/me"),
              sqlite_service.as_("alice", "GET", "/api/v1/patients/nobody"), sqlite_service.client.get("/nowhere")):
        h = r.headers
        assert h["x-content-type-options"] == "nosniff" and h["x-frame-options"] == "DENY"
        assert h["referrer-policy"] == "no-referrer" and h["cache-control"] == "no-store"
        assert "default-src 'self'" in h["content-security-policy"]
        assert "frame-ancestors 'none'" in h["content-security-policy"]
        assert "strict-transport-security" not in h  # plain HTTP on loopback: no HSTS


def test_a_body_over_the_limit_is_refused_with_413(tmp_path):
    svc = make_service(f"sqlite:///{tmp_path / 's.db'}", replace(FAST, max_body_bytes=20_000, start_workers=False))
    with svc.client:
        big = b"x" * 50_000
        r = svc.upload("alice", "big.csv", raw=big)
        assert r.status_code == 413 and "larger than 20000 bytes" in r.json()["detail"]
        assert r.headers["x-frame-options"] == "DENY" and r.headers["cache-control"] == "no-store"

        def chunks():  # no Content-Length: counted as it arrives
            for _ in range(10):
                yield b"y" * 5_000

        r = svc.as_("alice", "POST", "/api/v1/protocol-runs", content=chunks(), headers={"Content-Type": "text/plain"})
        assert r.status_code == 413
        assert svc.as_("alice", "GET", "/api/v1/patients").json() == {"items": []}


def test_cookie_sessions_need_the_csrf_header_to_change_anything(sqlite_service):
    svc = sqlite_service
    app = svc.client.app

    @app.post("/test-login")
    def _login(request: Request):  # the dashboard's login (svc-ui) calls login_response like this
        user, _ = user_by_name(request.app.state.store, "alice")
        return login_response(request, user, Response("ok"))

    key = svc.upload("alice").json()["patient_key"]
    r = svc.client.post("/test-login")
    cookies = r.headers.get_list("set-cookie")
    session = next(c for c in cookies if c.startswith(SESSION_COOKIE + "="))
    csrf = next(c for c in cookies if c.startswith(CSRF_COOKIE + "="))
    assert "HttpOnly" in session and "SameSite=strict" in session.replace("Strict", "strict")
    assert "HttpOnly" not in csrf  # the page's script reads it to echo it
    assert svc.client.get(f"/api/v1/patients/{key}").status_code == 200  # reads need no CSRF header
    body = {"version": 1, "notes": "via cookie"}
    assert svc.client.patch(f"/api/v1/patients/{key}", json=body).status_code == 403
    assert svc.client.patch(f"/api/v1/patients/{key}", json=body, headers={"X-CSRF-Token": "guess"}
                            ).status_code == 403
    token = svc.client.cookies.get(CSRF_COOKIE)
    r = svc.client.patch(f"/api/v1/patients/{key}", json=body, headers={"X-CSRF-Token": token})
    assert r.status_code == 200 and r.json()["notes"] == "via cookie"
    svc.client.cookies.clear()


def test_expired_tampered_and_unsigned_tokens_are_refused(tmp_path):
    svc = make_service(f"sqlite:///{tmp_path / 's.db'}", replace(FAST, token_minutes=5 / 60, start_workers=False))
    with svc.client:
        r = svc.client.post("/api/v1/auth/token", data={"username": "alice", "password": PASSWORD})
        body = r.json()
        assert body["token_type"] == "bearer" and body["expires_in"] == 5
        token = body["access_token"]
        claims = jwt.decode(token, options={"verify_signature": False})
        assert claims["role"] == "clinician" and claims["exp"] - claims["iat"] == 5
        assert svc.client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
        guessed = "a-guessed-key-of-forty-bytes-0123456789"
        forged = jwt.encode({**claims, "role": "admin", "exp": claims["exp"] + 3600}, guessed, algorithm="HS256")
        unsigned = jwt.encode({**claims, "exp": claims["exp"] + 3600}, None, algorithm="none")
        for bad in (forged, unsigned, token[:-2] + "xx"):
            assert svc.client.get("/api/v1/me", headers={"Authorization": f"Bearer {bad}"}).status_code == 401
        time.sleep(max(0.0, claims["exp"] - time.time() + 1.1))
        r = svc.client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 401 and "expired" in r.json()["detail"]


def test_every_read_and_write_is_audited_and_only_admins_read_the_log(sqlite_service):
    svc = sqlite_service
    key = svc.upload("alice").json()["patient_key"]
    svc.as_("alice", "GET", f"/api/v1/patients/{key}")
    svc.as_("alice", "PATCH", f"/api/v1/patients/{key}", json={"version": 1, "notes": "n"})
    svc.as_("bob", "GET", f"/api/v1/patients/{key}")  # refused: not an access to the patient's data
    assert svc.as_("alice", "GET", "/api/v1/audit").status_code == 403
    assert svc.as_("rita", "GET", "/api/v1/audit").status_code == 403
    items = svc.as_("admin", "GET", f"/api/v1/audit?patient={key}").json()["items"]
    assert [(e["username"], e["action"]) for e in items] == [("alice", "update"), ("alice", "read"),
                                                             ("alice", "import")]
    assert items[1]["resource"] == f"GET /api/v1/patients/{key}" and items[0]["at"] >= items[1]["at"]


def test_a_researcher_never_sees_names_birth_dates_or_identifiers(sqlite_service):
    svc = sqlite_service
    r = svc.upload("alice", "identified.json", raw=identified_bundle())
    assert r.status_code == 201 and r.json()["patient_key"] == KEY
    svc.upload("alice", "ben-records.csv")
    cohort = svc.as_("rita", "GET", "/api/v1/research/cohort")
    assert cohort.status_code == 200
    rows = cohort.json()["items"]
    assert len(rows) == 2 and {r["sex"] for r in rows} == {"female", "male"}
    text = cohort.text
    for secret in (NAME, GIVEN, MRN, BIRTH, KEY, "ben", "identified.json", "1987"):
        assert secret not in text, secret
    anna = next(r for r in rows if r["sex"] == "female")
    assert anna["observations"][0]["day"] == 0.0 and len(anna["pseudonym"]) == 16
    # the age band of a birth date in 1987 at observations in the 2020s
    assert anna["age_band"] in ("30-39", "40-49")
    for path in ("/api/v1/patients", f"/api/v1/patients/{KEY}", f"/api/v1/patients/{KEY}/landscape"):
        r = svc.as_("rita", "GET", path)
        assert r.status_code in (200, 404) and KEY not in r.text and NAME not in r.text
    assert svc.as_("alice", "GET", "/api/v1/research/cohort").status_code == 403


def test_no_patient_data_in_the_application_logs(sqlite_service, caplog):
    svc = sqlite_service
    caplog.set_level(logging.DEBUG)
    key = svc.upload("alice", "identified.json", raw=identified_bundle()).json()["patient_key"]
    svc.upload("alice", "identified.json", path="/api/v1/imports/preview", raw=identified_bundle())
    svc.as_("alice", "GET", f"/api/v1/patients/{key}")
    svc.as_("alice", "PATCH", f"/api/v1/patients/{key}", json={"version": 1, "notes": f"call {NAME}"})
    svc.as_("alice", "PATCH", f"/api/v1/patients/{key}", json={"version": 1, "notes": f"call {NAME}"})  # 409
    svc.as_("bob", "GET", f"/api/v1/patients/{key}")
    svc.as_("alice", "POST", f"/api/v1/patients/{key}/assessments", json={"seed": 3})
    svc.upload("alice", "bad.csv", raw=f"patient_id,time,code\n{KEY},{BIRTH},{MRN}\n".encode())
    # the test client's own logger (httpx) prints the URLs it requests; the service's loggers must not
    service_lines = [r.getMessage() for r in caplog.records if not r.name.startswith(("httpx", "httpcore"))]
    assert any("GET /patients/{key} 200" in line for line in service_lines)  # the access log: route templates
    observed = [str(o["value"]) for o in svc.as_("alice", "GET", f"/api/v1/patients/{key}").json()["observations"]]
    for line in service_lines:
        for secret in (KEY, NAME, GIVEN, MRN, BIRTH, *observed):
            assert secret not in line, (secret, line)


def test_admins_add_users_through_the_api_with_the_cli_rules(sqlite_service):
    svc = sqlite_service
    body = {"username": "carol", "password": "another long pass phrase", "role": "clinician"}
    assert svc.as_("alice", "POST", "/api/v1/users", json=body).status_code == 403
    r = svc.as_("admin", "POST", "/api/v1/users", json=body)
    assert r.status_code == 201 and r.json() == {"username": "carol", "role": "clinician", "active": True}
    assert svc.as_("admin", "POST", "/api/v1/users", json=body).status_code == 422  # exists already
    short = {**body, "username": "dave", "password": "too short"}
    r = svc.as_("admin", "POST", "/api/v1/users", json=short)
    assert r.status_code == 422 and "15 characters" in r.json()["detail"]
    token = svc.client.post("/api/v1/auth/token", data={"username": "carol", "password": body["password"]})
    assert token.status_code == 200
    names = [u["username"] for u in svc.as_("admin", "GET", "/api/v1/users").json()["items"]]
    assert names == ["admin", "alice", "bob", "carol", "rita"]


def test_password_guessing_is_throttled_per_username(tmp_path):
    svc = make_service(f"sqlite:///{tmp_path / 's.db'}", replace(FAST, login_failures=3, start_workers=False))
    with svc.client:
        for _ in range(3):
            r = svc.client.post("/api/v1/auth/token", data={"username": "alice", "password": "guess guess guess"})
            assert r.status_code == 401
        r = svc.client.post("/api/v1/auth/token", data={"username": "alice", "password": PASSWORD})
        assert r.status_code == 429 and int(r.headers["retry-after"]) > 800  # the 15-minute window
        # another account is not affected
        assert svc.client.post("/api/v1/auth/token", data={"username": "bob", "password": PASSWORD}).status_code == 200


def test_an_unexpected_error_is_a_500_whose_log_line_quotes_nothing(sqlite_service, caplog):
    app = sqlite_service.client.app

    @app.get("/test-crash/{key}")
    def _crash(key: str):
        raise KeyError(f"record of {NAME} born {BIRTH}")

    caplog.set_level(logging.DEBUG)
    r = sqlite_service.client.get(f"/test-crash/{KEY}")
    assert r.status_code == 500 and NAME not in r.text and "internal error" in r.json()["detail"]
    assert r.headers["x-frame-options"] == "DENY"
    lines = [rec.getMessage() + (rec.exc_text or "") for rec in caplog.records if rec.name.startswith("neuroscape")]
    assert "unexpected KeyError in GET /test-crash/{key}" in lines
    assert not [line for line in lines if NAME in line or BIRTH in line or KEY in line]


def test_behind_https_cookies_are_secure_and_hsts_is_sent(tmp_path):
    svc = make_service(f"sqlite:///{tmp_path / 's.db'}", replace(FAST, secure_cookies=True, start_workers=False))
    app = svc.client.app

    @app.post("/test-login")
    def _login(request: Request):
        user, _ = user_by_name(request.app.state.store, "alice")
        return login_response(request, user, Response("ok"))

    with svc.client:
        r = svc.client.post("/test-login")
        assert r.headers["strict-transport-security"].startswith("max-age=31536000")
        assert all("Secure" in c for c in r.headers.get_list("set-cookie"))


def test_a_researcher_never_sees_free_text_from_the_file(sqlite_service):
    """An observation's code.text and bodySite.text are free text (here a name, an identifier and a birth date);
    researchers get the mapping table's label and a known region instead."""
    bundle = json.loads(identified_bundle())
    for entry in bundle["entry"]:
        r = entry["resource"]
        if r["resourceType"] == "Observation" and r.get("valueQuantity"):
            r["code"]["text"] = f"{NAME}, {GIVEN} {MRN} born {BIRTH}"
            r["bodySite"] = {"text": f"ward of {NAME}"}
    r = sqlite_service.upload("alice", "identified.json", raw=json.dumps(bundle).encode())
    assert r.status_code == 201, r.text
    stored = sqlite_service.as_("alice", "GET", f"/api/v1/patients/{KEY}").json()["observations"]
    assert any(NAME in o["name"] for o in stored)  # the clinician's record keeps what the file said
    cohort = sqlite_service.as_("rita", "GET", "/api/v1/research/cohort")
    [row] = cohort.json()["items"]
    for secret in (NAME, GIVEN, MRN, BIRTH):
        assert secret not in cohort.text, secret
    assert {o["region"] for o in row["observations"]} == {"other"}
    assert all(o["name"] and NAME not in o["name"] for o in row["observations"])
