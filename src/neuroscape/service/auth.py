"""Authentication: short-lived HS256 tokens (PyJWT) carrying the user id and role, taken from an
`Authorization: Bearer` header or, for the dashboard, from an HttpOnly SameSite=Strict cookie. Requests that
use the cookie and change something must echo the `ns_csrf` cookie in the `X-CSRF-Token` header
(double-submit): another site can make the browser send the cookie but cannot read it to echo it.

    user = Depends(current_user)            # 401 without a valid token
    login_response(request, user, response)  # sets the session and CSRF cookies (the dashboard's login)
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time

import jwt
from fastapi import Depends, HTTPException, Request, Response
from fastapi.security import OAuth2PasswordBearer

from ..store.users import User, set_password_hash, user_by_id, user_by_name
from .passwords import DUMMY_HASH, hash_password, needs_rehash, verify_password

SESSION_COOKIE = "ns_session"
CSRF_COOKIE = "ns_csrf"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
ALGORITHM = "HS256"

_bearer = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


def _unauthorised(detail: str = "log in first: POST /api/v1/auth/token (username, password)") -> HTTPException:
    return HTTPException(status_code=401, detail=detail, headers={"WWW-Authenticate": "Bearer"})


def issue_token(request: Request, user: User) -> tuple[str, int]:
    """(token, lifetime in seconds)."""
    state = request.app.state
    seconds = int(state.settings.token_minutes * 60)
    now = int(time.time())
    claims = {"sub": str(user.id), "role": user.role, "iat": now, "exp": now + seconds,
              "jti": secrets.token_urlsafe(8)}
    return jwt.encode(claims, state.token_key, algorithm=ALGORITHM), seconds


class LoginThrottle:
    """Failed logins per username in a sliding window (in this process): enough to stop online guessing
    against one account without locking its owner out for longer than the window. Attempts still being
    checked hold a slot, so that a burst of parallel guesses gets no more tries than a sequence; an attempt
    that finds every remaining slot held by attempts in flight waits for them (legitimate parallel logins of
    one user go through once the first succeeds) rather than being refused. Usernames are kept as hashes (an
    invented username of megabytes costs 32 bytes), and when too many are tracked the expired and then the
    not-locked ones are forgotten, never the locked ones (a flood of invented usernames must not unlock an
    account under attack)."""

    def __init__(self, limit: int, window_s: float, max_tracked: int = 100_000, wait_s: float = 30.0):
        self.limit, self.window_s, self.max_tracked, self.wait_s = limit, window_s, max_tracked, wait_s
        self._failures: dict[bytes, list[float]] = {}
        self._in_flight: dict[bytes, int] = {}
        self._changed = threading.Condition()

    @staticmethod
    def _key(username: str) -> bytes:
        return hashlib.sha256(username.encode("utf-8", "surrogatepass")).digest()

    def _recent(self, key: bytes, now: float) -> list[float]:
        return [t for t in self._failures.get(key, []) if now - t < self.window_s]

    def attempt(self, username: str) -> float:
        """0 when a login attempt for `username` may go ahead (then call `done` with its outcome), else the
        seconds until one may."""
        key, give_up = self._key(username), time.monotonic() + self.wait_s
        with self._changed:
            while True:
                now = time.monotonic()
                recent = self._recent(key, now)
                self._failures[key] = recent
                if len(recent) >= self.limit:
                    return self.window_s - (now - recent[0])
                if len(recent) + self._in_flight.get(key, 0) < self.limit:
                    self._in_flight[key] = self._in_flight.get(key, 0) + 1
                    if len(self._failures) > self.max_tracked:
                        self._forget(now)
                    return 0.0
                if now >= give_up or not self._changed.wait(give_up - now):
                    return 1.0

    def done(self, username: str, succeeded: bool) -> None:
        key = self._key(username)
        with self._changed:
            left = self._in_flight.get(key, 1) - 1
            if left > 0:
                self._in_flight[key] = left
            else:
                self._in_flight.pop(key, None)
            if succeeded:
                self._failures.pop(key, None)
            else:
                self._failures.setdefault(key, []).append(time.monotonic())
            self._changed.notify_all()

    def _forget(self, now: float) -> None:
        for key in list(self._failures):
            recent = self._recent(key, now)
            if recent or key in self._in_flight:
                self._failures[key] = recent
            else:
                del self._failures[key]
        if len(self._failures) > self.max_tracked:
            for key in [k for k, v in self._failures.items() if len(v) < self.limit and k not in self._in_flight]:
                del self._failures[key]


def authenticate(request: Request, username: str, password: str) -> User | None:
    """The user when the password matches (an unknown username, or a disabled account, costs the same time as
    a wrong password). Too many recent failures for the username answer 429 without checking the password."""
    throttle: LoginThrottle = request.app.state.login_throttle
    wait = throttle.attempt(username)
    if wait > 0:
        raise HTTPException(status_code=429, detail="too many failed logins for this username; try again later",
                            headers={"Retry-After": str(int(wait) + 1)})
    user = None
    try:
        user = _check_password(request, username, password)
    finally:
        throttle.done(username, user is not None)
    return user


def _check_password(request: Request, username: str, password: str) -> User | None:
    store = request.app.state.store
    # no username is that long or holds a NUL (which PostgreSQL would refuse to compare): unknown, no lookup
    found = user_by_name(store, username) if len(username) <= 100 and "\x00" not in username else None
    if found is None:
        verify_password(DUMMY_HASH, password)
        return None
    user, stored = found
    if not verify_password(stored, password) or not user.active:  # the hash first: no timing tells "disabled"
        return None
    if needs_rehash(stored):
        set_password_hash(store, user.id, hash_password(password))
    return user


def _user_from_token(request: Request, token: str) -> User:
    try:
        claims = jwt.decode(token, request.app.state.token_key, algorithms=[ALGORITHM],
                            options={"require": ["exp", "sub", "iat"]})
        user_id = int(claims["sub"])
    except (jwt.PyJWTError, ValueError, TypeError):
        raise _unauthorised("the token is invalid or expired; log in again") from None
    user = user_by_id(request.app.state.store, user_id)
    if user is None or not user.active or user.role != claims.get("role"):
        raise _unauthorised("the token's user no longer exists or changed role; log in again")
    return user


def optional_user(request: Request, bearer: str | None = Depends(_bearer)) -> User | None:
    """The caller, or None when the request carries no credentials at all."""
    if bearer:
        return _user_from_token(request, bearer)
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    if request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER, "")
        expected = request.cookies.get(CSRF_COOKIE, "")
        if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
            raise HTTPException(status_code=403, detail=f"missing or wrong {CSRF_HEADER} header: send the "
                                                        f"{CSRF_COOKIE} cookie's value with every change")
    return _user_from_token(request, cookie)


def current_user(user: User | None = Depends(optional_user)) -> User:
    if user is None:
        raise _unauthorised()
    return user


def require_role(*roles: str):
    """A dependency admitting only `roles` (403 for others: roles are not secret, patients are)."""
    def dependency(user: User = Depends(current_user)) -> User:
        if user.role not in roles:
            raise HTTPException(status_code=403, detail=f"this needs the role {' or '.join(roles)}")
        return user
    return dependency


def login_response(request: Request, user: User, response: Response) -> Response:
    """Set the session cookie (HttpOnly, SameSite=Strict) and the CSRF cookie (readable by the page's
    script) on `response`, and return it."""
    token, seconds = issue_token(request, user)
    secure = request.app.state.settings.secure_cookies
    response.set_cookie(SESSION_COOKIE, token, max_age=seconds, httponly=True, samesite="strict", secure=secure,
                        path="/")
    response.set_cookie(CSRF_COOKIE, secrets.token_urlsafe(24), max_age=seconds, httponly=False,
                        samesite="strict", secure=secure, path="/")
    return response


def logout_response(response: Response) -> Response:
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")
    return response
