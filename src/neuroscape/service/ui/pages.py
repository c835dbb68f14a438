"""The dashboard's routes: page shells under /ui, the login form, and the static files under /static.

A page holds no patient data: its script fetches it from /api/v1 with the session cookie, so every read goes
through the API's per-patient authorisation and audit log. A page that is opened without a session sends the
browser to the login page (the script sees 401 from /api/v1/me).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from ...manage.search import DISCLAIMER as PLAN_DISCLAIMER
from ...manage.targets import profile_names
from ...report.html import DISCLAIMER
from . import login as session
from .static_files import GZIP_ABOVE, MEDIA_TYPES, gzipped, static_files

router = APIRouter(include_in_schema=False)
_templates = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                         autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)
_STATIC = static_files()
_NO_STORE = {"Cache-Control": "no-store"}


def _page(template: str, title: str, scripts: tuple[str, ...] = (), status_code: int = 200,
          headers: dict | None = None, **context) -> HTMLResponse:
    html = _templates.get_template(template).render(title=title, scripts=scripts, disclaimer=DISCLAIMER,
                                                    plan_disclaimer=PLAN_DISCLAIMER, **context)
    return HTMLResponse(html, status_code=status_code, headers={**_NO_STORE, **(headers or {})})


@router.get("/")
@router.get("/ui")
@router.get("/ui/")
def home() -> RedirectResponse:
    return RedirectResponse("/ui/patients", status_code=302)


@router.get("/ui/login")
def login_page(request: Request, next: str = "/ui/patients") -> HTMLResponse:
    return _page("login.html", "Log in", page="login", next=session.safe_next(next),
                 no_admin=not session.has_admin(request))


@router.post("/ui/login")
def login(request: Request, username: str = Form(""), password: str = Form(""),
          next: str = Form("/ui/patients")) -> Response:
    if session.cross_site(request):
        return Response("log in from this service's own login page", status_code=403, media_type="text/plain")
    try:
        user = session.authenticate(request, username, password) if username and password else None
    except HTTPException as exc:
        if exc.status_code != 429:
            raise
        minutes = -(-int((exc.headers or {}).get("Retry-After", "60")) // 60)
        return _page("login.html", "Log in", page="login", status_code=429, next=session.safe_next(next),
                     username=username, no_admin=not session.has_admin(request), headers=exc.headers,
                     error=f"Too many failed logins for this username: try again in {minutes} minutes.")
    if user is None:
        return _page("login.html", "Log in", page="login", status_code=401, next=session.safe_next(next),
                     username=username, no_admin=not session.has_admin(request),
                     error="Wrong username or password, or the account is disabled. Check both and try again.")
    return session.login_redirect(request, user, session.safe_next(next))


@router.post("/ui/logout")
def logout(request: Request) -> Response:
    return session.logout_response(request)


@router.get("/ui/patients")
def patients_page() -> HTMLResponse:
    return _page("patients.html", "Patients", ("patients.js",), page="patients")


@router.get("/ui/import")
def import_page() -> HTMLResponse:
    return _page("import.html", "Import a patient file", ("import.js",), page="import")


@router.get("/ui/patients/{key}")
def patient_page(key: str) -> HTMLResponse:
    return _page("patient.html", f"Patient {key}", ("plotly.min.js", "patient.js"), page="patient", key=key,
                 profiles=profile_names())


@router.get("/ui/plans/{plan_id}")
def plans_page(plan_id: int) -> HTMLResponse:
    return _page("plans.html", f"Ranked plans of search {plan_id}", ("plotly.min.js", "plans.js"), page="plans",
                 plan_id=plan_id)


@router.get("/ui/audit")
def audit_page() -> HTMLResponse:
    return _page("audit.html", "Audit log", ("audit.js",), page="audit")


@router.get("/static/{name}")
def static(name: str, request: Request) -> Response:
    path = _STATIC.get(name)
    if path is None:
        return Response(f"no static file {name!r}", status_code=404, media_type="text/plain")
    headers = {"Cache-Control": "public, max-age=3600", "Vary": "Accept-Encoding"}
    if path.stat().st_size > GZIP_ABOVE and "gzip" in request.headers.get("accept-encoding", ""):
        return Response(gzipped(path), media_type=MEDIA_TYPES[path.suffix],
                        headers={**headers, "Content-Encoding": "gzip"})
    return FileResponse(path, media_type=MEDIA_TYPES[path.suffix], headers=headers)
