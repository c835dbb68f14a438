"""ASGI middleware: security headers on every response, a request-body size limit (413), and a refusal of URLs
holding a NUL character (400)."""

from __future__ import annotations

import json

from starlette.exceptions import HTTPException

# The dashboard serves its scripts and styles from /static; plotly sets inline styles on its SVG.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
# /docs and /redoc load Swagger UI / ReDoc from their CDN (FastAPI's default pages).
DOCS_CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
            "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; img-src 'self' data: https:; "
            "worker-src blob:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")
DOCS_PATHS = ("/docs", "/redoc")


class SecurityHeaders:
    def __init__(self, app, hsts: bool = False):
        self.app = app
        self.hsts = hsts  # behind HTTPS only: tells browsers never to use plain HTTP for this host

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path = scope.get("path", "")

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", [])
                           if k.lower() not in (b"x-frame-options", b"content-security-policy")]
                csp = DOCS_CSP if path.startswith(DOCS_PATHS) else CSP
                headers += [(b"content-security-policy", csp.encode()),
                            (b"x-content-type-options", b"nosniff"),
                            (b"x-frame-options", b"DENY"),
                            (b"referrer-policy", b"no-referrer"),
                            (b"cross-origin-opener-policy", b"same-origin"),
                            (b"permissions-policy", b"camera=(), microphone=(), geolocation=()")]
                if self.hsts:
                    headers.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))
                if not path.startswith("/static"):
                    headers = [(k, v) for k, v in headers if k.lower() != b"cache-control"]
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyLimit:
    """Refuse bodies over `limit` bytes with 413: by Content-Length before reading, and by counting for
    chunked uploads that give none."""

    def __init__(self, app, limit: int):
        self.app = app
        self.limit = limit

    async def _refuse(self, send):
        body = json.dumps({"detail": f"the request body is larger than {self.limit} bytes; send a smaller "
                                     "file"}).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        for k, v in scope.get("headers", []):
            if k == b"content-length":
                try:
                    too_big = int(v) > self.limit
                except ValueError:
                    too_big = True
                if too_big:
                    return await self._refuse(send)
        seen = 0
        started = False

        limit = self.limit

        class TooLarge(HTTPException):  # an HTTPException, so that FastAPI's body parsing passes it on as is
            def __init__(self):
                super().__init__(413, f"the request body is larger than {limit} bytes; send a smaller file")

        async def counting_receive():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise TooLarge()
            return message

        async def tracking_send(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except TooLarge:
            if not started:
                await self._refuse(send)


class RefuseNul:
    """Refuse a URL whose path or query holds a NUL character (raw or as %00) with 400. No key, id or name
    can hold one, and PostgreSQL refuses NUL in text, so a lookup by such a value would otherwise fail there
    with a database error (500) instead of the ordinary answer."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and ("\x00" in scope.get("path", "") or b"\x00" in scope.get("query_string", b"")
                                        or b"%00" in scope.get("query_string", b"")):
            body = json.dumps({"detail": "the URL holds a NUL character (%00); no key, id or name holds one: "
                                         "remove it"}).encode()
            await send({"type": "http.response.start", "status": 400,
                        "headers": [(b"content-type", b"application/json"),
                                    (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)
