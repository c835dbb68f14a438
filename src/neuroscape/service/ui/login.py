"""The dashboard's side of logging in and out; the service's auth module owns passwords, tokens and cookies."""

from __future__ import annotations

import hmac
import re
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

# a local dashboard path only: the login form must not become an open redirect to another site
_LOCAL = re.compile(r"^/ui/[A-Za-z0-9_\-/.%]*$")


def safe_next(target: str | None) -> str:
    """`target` when it is a dashboard path on this site, else the patient list."""
    if target and _LOCAL.match(target) and not urlsplit(target).netloc and ".." not in target:
        return target
    return "/ui/patients"


def cross_site(request: Request) -> bool:
    """True when the browser says the form was posted from another site: a login from there would sign the
    person in to an account the other site chose (login CSRF). Browsers send Sec-Fetch-Site; older ones only
    Origin, which is "null" under the service's no-referrer policy and then tells nothing."""
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None:
        return fetch_site not in ("same-origin", "none")
    origin = request.headers.get("origin")
    if origin is None or origin == "null":  # not a browser, or nothing to compare
        return False
    return urlsplit(origin).netloc != request.headers.get("host", "")


def _auth():
    from .. import auth  # the service's; imported late so that the dashboard module imports without it

    return auth


def has_admin(request: Request) -> bool:
    """True when the store holds an administrator (the login page says how to create one otherwise)."""
    from ...store.users import has_admin as store_has_admin

    return store_has_admin(request.app.state.store)


def authenticate(request: Request, username: str, password: str):
    """The user with this username and password, or None."""
    return _auth().authenticate(request, username, password)


def login_redirect(request: Request, user, target: str) -> Response:
    """303 to `target` with the session and CSRF cookies set."""
    response = RedirectResponse(target, status_code=303)
    _auth().login_response(request, user, response)
    return response


def logout_response(request: Request) -> Response:
    """204 with the session cookies cleared, once the double-submit CSRF token matches."""
    auth = _auth()
    token = request.cookies.get(auth.CSRF_COOKIE, "")
    if not token or not hmac.compare_digest(request.headers.get(auth.CSRF_HEADER, "").encode(), token.encode()):
        return Response(f"missing or wrong {auth.CSRF_HEADER} header: send the {auth.CSRF_COOKIE} cookie's value",
                        status_code=403, media_type="text/plain")
    response = Response(status_code=204)
    auth.logout_response(response)
    return response
