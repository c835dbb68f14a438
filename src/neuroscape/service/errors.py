"""Library errors as HTTP answers: every one a clear 4xx naming the problem, never a traceback. (Anything
unexpected is answered 500 by app.AccessLog, which logs it without its text.)"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from ..errors import DataError, NeuroscapeError
from ..store.access import NotVisible, StaleVersion


def _answer(status: int, detail) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status)


def install(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        # Each problem's place, message and type; not the offending input, which can be bytes that are not text
        # (FastAPI's own handler then fails with a 500) or a patient's data echoed back.
        return _answer(422, [{"loc": [str(part) for part in e.get("loc", ())], "msg": str(e.get("msg", "")),
                              "type": str(e.get("type", ""))} for e in exc.errors()])

    @app.exception_handler(NotVisible)
    async def _not_visible(request: Request, exc: NotVisible):
        return _answer(404, str(exc))

    @app.exception_handler(StaleVersion)
    async def _stale(request: Request, exc: StaleVersion):
        return _answer(409, str(exc))

    @app.exception_handler(PermissionError)
    async def _forbidden(request: Request, exc: PermissionError):
        return _answer(403, str(exc))

    @app.exception_handler(DataError)
    async def _data(request: Request, exc: DataError):
        return _answer(422, str(exc))

    @app.exception_handler(NeuroscapeError)
    async def _model(request: Request, exc: NeuroscapeError):
        return _answer(422, str(exc))
