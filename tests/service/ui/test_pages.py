"""The dashboard's pages, login form and static files, through the service's own application (no browser)."""

from __future__ import annotations

import hashlib
import re
from html.parser import HTMLParser

import pytest

from neuroscape.manage.search import DISCLAIMER as PLAN_DISCLAIMER
from neuroscape.service.ui.login import safe_next
from neuroscape.service.ui.static_files import HERE, plotly_js

fastapi_testclient = pytest.importorskip("fastapi.testclient")

PAGES = ["/ui/patients", "/ui/import", "/ui/patients/anna", "/ui/plans/1", "/ui/audit", "/ui/login"]


class Page(HTMLParser):
    """What the accessibility and CSP checks read from a page."""

    def __init__(self, text: str):
        super().__init__()
        self.scripts: list[dict] = []
        self.styled: list[str] = []   # tags with a style attribute (blocked by a CSP without 'unsafe-inline')
        self.handlers: list[str] = []  # on* attributes (inline script)
        self.fields: list[dict] = []   # input, select, textarea that a person fills
        self.labels: set[str] = set()
        self.headings: list[str] = []
        self.html_lang = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "html":
            self.html_lang = a.get("lang")
        if tag == "script":
            self.scripts.append(a)
        if "style" in a:
            self.styled.append(tag)
        self.handlers += [f"{tag}.{k}" for k in a if k.startswith("on")]
        if tag in ("input", "select", "textarea") and a.get("type") != "hidden":
            self.fields.append(a)
        if tag == "label" and a.get("for"):
            self.labels.add(a["for"])
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(tag)


@pytest.fixture
def client(ui_service):
    with fastapi_testclient.TestClient(ui_service.app, base_url="http://testserver") as c:
        yield c


def login(client, username, password, **extra):
    return client.post("/ui/login", data={"username": username, "password": password, **extra},
                       follow_redirects=False)


@pytest.mark.parametrize("path", PAGES)
def test_page_is_accessible_and_strict_csp_compatible(client, path):
    r = client.get(path)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert "unsafe-inline" not in r.headers["content-security-policy"].split("script-src")[1].split(";")[0]
    page = Page(r.text)
    assert page.html_lang == "en"
    assert page.headings and page.headings[0] == "h1" and page.headings.count("h1") == 1
    assert all(s.get("src", "").startswith("/static/") for s in page.scripts), "inline script"
    assert not page.styled and not page.handlers
    unlabelled = [f.get("id") or f.get("name") for f in page.fields if f.get("id") not in page.labels]
    assert not unlabelled, f"inputs without a label: {unlabelled}"
    for script in page.scripts:  # every script the page names is served
        assert client.get(script["src"]).status_code == 200, script["src"]


@pytest.mark.parametrize("path", ["/ui/patients/anna", "/ui/plans/1"])
def test_pages_showing_plans_say_they_are_not_medical_advice(client, path):
    text = client.get(path).text
    assert PLAN_DISCLAIMER in text
    assert "Every plan is a simulated scenario for a qualified clinician, never medical advice." in text


def test_plotly_is_served_from_the_installed_package(client):
    bundled = plotly_js()
    assert bundled is not None, "the plotly package ships package_data/plotly.min.js"
    r = client.get("/static/plotly.min.js")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/javascript")
    assert hashlib.sha256(r.content).hexdigest() == hashlib.sha256(bundled.read_bytes()).hexdigest()
    assert not list(HERE.glob("plotly*")), "no copy of plotly.js in the repository"
    compressed = client.get("/static/plotly.min.js", headers={"Accept-Encoding": "gzip"})
    assert compressed.headers["content-encoding"] == "gzip"
    assert int(compressed.headers["content-length"]) < bundled.stat().st_size / 2
    assert compressed.content == bundled.read_bytes()  # httpx undoes the gzip
    plain = client.get("/static/plotly.min.js", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.content == bundled.read_bytes()


@pytest.mark.parametrize("name", ["../pages.py", "..%2Fpages.py", "pages.py", "nothing.js", "%2e%2e%2fapp.css"])
def test_static_serves_only_its_own_files(client, name):
    r = client.get("/static/" + name)
    assert r.status_code == 404
    assert b"import" not in r.content


def test_scripts_build_the_page_from_text_never_html():
    # data from the API reaches the page through textContent and attributes only: no HTML injection
    for script in HERE.glob("*.js"):
        code = script.read_text()
        assert not re.search(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function",
                             code), script.name


def test_login_sets_the_session_and_csrf_cookies_and_goes_on(client, ui_service):
    r = login(client, "clinician", ui_service.passwords["clinician"], next="/ui/patients/anna")
    assert r.status_code == 303 and r.headers["location"] == "/ui/patients/anna"
    cookies = r.headers.get_list("set-cookie")
    session = next(c for c in cookies if c.startswith("ns_session="))
    csrf = next(c for c in cookies if c.startswith("ns_csrf="))
    assert "httponly" in session.lower() and "samesite=strict" in session.lower()
    assert "httponly" not in csrf.lower()  # the page's script reads it to send it back
    me = client.get("/api/v1/me")
    assert me.status_code == 200 and me.json() == {"username": "clinician", "role": "clinician"}


def test_wrong_password_shows_the_form_again_with_a_message(client, ui_service):
    r = login(client, "clinician", "not the password at all")
    assert r.status_code == 401
    assert "Wrong username or password" in r.text and 'value="clinician"' in r.text
    assert "set-cookie" not in r.headers
    assert login(client, "nobody", "whatever password").status_code == 401
    assert login(client, "", "").status_code == 401


def test_too_many_failed_logins_show_the_form_with_when_to_try_again(client):
    for _ in range(10):  # the service's limit: 10 failures for one username within 15 minutes
        assert login(client, "guessed-user", "a wrong password, again").status_code == 401
    r = login(client, "guessed-user", "a wrong password, again")
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
    assert "Too many failed logins for this username: try again in 15 minutes." in r.text
    assert '<form method="post" action="/ui/login"' in r.text


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/ui/x", "/ui/../api/v1/audit",
                                    "/api/v1/patients", "javascript:alert(1)"])
def test_login_never_redirects_off_the_dashboard(client, ui_service, target):
    assert safe_next(target) == "/ui/patients"
    r = login(client, "clinician", ui_service.passwords["clinician"], next=target)
    assert r.status_code == 303 and r.headers["location"] == "/ui/patients"


@pytest.mark.parametrize("headers", [{"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"},
                                     {"Sec-Fetch-Site": "same-site", "Origin": "http://testserver"}])
def test_login_posted_from_another_site_is_refused(client, ui_service, headers):
    r = client.post("/ui/login", data={"username": "clinician", "password": ui_service.passwords["clinician"]},
                    headers=headers, follow_redirects=False)
    assert r.status_code == 403 and "set-cookie" not in r.headers


@pytest.mark.parametrize("headers", [{"Origin": "http://testserver"}, {"Origin": "null"},
                                     {"Sec-Fetch-Site": "same-origin", "Origin": "null"}, {}])
def test_login_from_this_site_is_accepted(client, ui_service, headers):
    r = client.post("/ui/login", data={"username": "clinician", "password": ui_service.passwords["clinician"]},
                    headers=headers, follow_redirects=False)
    assert r.status_code == 303


def test_logout_needs_the_csrf_header_then_clears_the_cookies(client, ui_service):
    login(client, "clinician", ui_service.passwords["clinician"])
    assert client.post("/ui/logout").status_code == 403
    assert client.get("/api/v1/me").status_code == 200  # still logged in
    r = client.post("/ui/logout", headers={"X-CSRF-Token": client.cookies["ns_csrf"]})
    assert r.status_code == 204
    assert any(c.startswith("ns_session=") and "max-age=0" in c.lower() for c in r.headers.get_list("set-cookie"))
    assert client.get("/api/v1/me").status_code == 401


def test_first_run_login_page_says_how_to_create_an_admin(tmp_path):
    from neuroscape.service import create_app
    from neuroscape.service.settings import ServiceSettings

    app = create_app(f"sqlite:///{tmp_path / 'empty.db'}", settings=ServiceSettings(start_workers=False))
    with fastapi_testclient.TestClient(app) as c:
        text = c.get("/ui/login").text
    assert "neuroscape users create-admin USERNAME" in text and "no default password" in text


def test_login_page_hides_the_first_run_notice_once_an_admin_exists(client):
    assert "create-admin" not in client.get("/ui/login").text


def test_root_goes_to_the_patient_list(client):
    r = client.get("/", follow_redirects=False)
    assert r.status_code in (302, 307) and r.headers["location"] == "/ui/patients"
