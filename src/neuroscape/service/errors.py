"""Library errors as HTTP answers: every one a clear 4xx naming the problem, never a traceback. (Anything
unexpected is answered 500 by app.AccessLog, which logs it without its text.)"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError as SQLAlchemyDataError

from ..errors import DataError, NeuroscapeError
from ..store.access import AmbiguousKey, NotVisible, StaleVersion


def _answer(status: int, detail) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status)


def _status(status: int):
    async def handler(request: Request, exc: Exception):
        return _answer(status, str(exc))

    return handler


def install(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        # Each problem's place, message and type; not the offending input, which can be bytes that are not text
        # (FastAPI's own handler then fails with a 500) or a patient's data echoed back.
        return _answer(422, [{"loc": [str(part) for part in e.get("loc", ())], "msg": str(e.get("msg", "")),
                              "type": str(e.get("type", ""))} for e in exc.errors()])

    @app.exception_handler(SQLAlchemyDataError)
    async def _unstorable(request: Request, exc: SQLAlchemyDataError):
        # The database refused a value (PostgreSQL: text with a NUL character, or longer than its column); the
        # inputs checked here cannot reach that, so this is the net for the rest. The database's message
        # quotes the statement's values and is not passed on.
        return _answer(422, "a value in the request cannot be stored: text holding a NUL character, or longer "
                            "than its field allows; remove it or shorten it")

    # Starlette picks the handler by the exception's class hierarchy, so NotVisible/StaleVersion/AmbiguousKey
    # (DataErrors) keep their own status and every other library error is a 422.
    for kind, status in ((NotVisible, 404), (StaleVersion, 409), (AmbiguousKey, 409), (PermissionError, 403),
                         (DataError, 422), (NeuroscapeError, 422)):
        app.add_exception_handler(kind, _status(status))
