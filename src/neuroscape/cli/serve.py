"""`neuroscape serve` (the web service) and `neuroscape users create-admin | add` (docs/service.md)."""

from __future__ import annotations

import sys

import typer

from ..errors import DataError
from ._common import err, fail

users_app = typer.Typer(help="Users of the web service (neuroscape serve).", no_args_is_help=True)


def serve_command(
    host: str = typer.Option("127.0.0.1", "--host", help="address to listen on (127.0.0.1: this machine only; "
                             "put a TLS reverse proxy in front for anything else)"),
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="port to listen on"),
    db: str | None = typer.Option(None, "--db", help="the store: a SQLite file or a postgresql+psycopg:// URL "
                                  "(default: NEUROSCAPE_DB, else a SQLite file in the user's data directory)"),
    workers: int = typer.Option(2, "--workers", min=1, max=64, help="job worker threads"),
    behind_https: bool = typer.Option(False, "--behind-https", help="served through a TLS reverse proxy: cookies "
                                      "only over HTTPS, and Strict-Transport-Security"),
):
    """Run the web service (REST API at /api/v1, OpenAPI docs at /docs, the dashboard at /)."""
    import logging

    import uvicorn

    from ..service import ServiceSettings, create_app
    from ..store.users import has_admin

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        app = create_app(db, settings=ServiceSettings(workers=workers, secure_cookies=behind_https))
    except DataError as exc:
        raise fail(exc, 2) from None
    if not has_admin(app.state.store):
        err.print("no admin yet: create one with `neuroscape users create-admin USERNAME`", highlight=False)
    # uvicorn's access log prints each URL, which can carry a patient key; the service logs route templates.
    uvicorn.run(app, host=host, port=port, access_log=False, log_level="info", server_header=False)


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = typer.prompt("password", hide_input=True)
    second = typer.prompt("password (again)", hide_input=True)
    if first != second:
        raise fail(DataError("the two passwords differ; nothing was created"), 2)
    return first


def _add(username: str, role: str, password_stdin: bool, db: str | None) -> None:
    from ..service.passwords import hash_password
    from ..store import open_store
    from ..store.users import add_user, check_username

    try:
        check_username(username)
        store = open_store(db)
        password = _read_password(password_stdin)
        try:
            digest = hash_password(password)
        except ValueError as exc:
            raise DataError(f"password: {exc}; nothing was created") from None
        add_user(store, username, digest, role)
    except DataError as exc:
        raise fail(exc, 2) from None
    err.print(f"created {role} {username!r} in {store.url}", highlight=False, markup=False)


@users_app.command("create-admin")
def create_admin(username: str = typer.Argument(..., help="the admin's username"),
                 password_stdin: bool = typer.Option(False, "--password-stdin", help="read the password from the "
                                                     "first line of standard input instead of prompting twice"),
                 db: str | None = typer.Option(None, "--db", help="the store (default: NEUROSCAPE_DB)")):
    """Create an admin (first run: the service has no default account and no default password)."""
    _add(username, "admin", password_stdin, db)


@users_app.command("add")
def add(username: str = typer.Argument(..., help="the new user's username"),
        role: str = typer.Option(..., "--role", help="clinician or researcher (admins: users create-admin)"),
        password_stdin: bool = typer.Option(False, "--password-stdin", help="read the password from the first "
                                            "line of standard input instead of prompting twice"),
        db: str | None = typer.Option(None, "--db", help="the store (default: NEUROSCAPE_DB)")):
    """Add a clinician or researcher."""
    if role not in ("clinician", "researcher"):
        raise fail(DataError(f"--role {role!r}: allowed: clinician, researcher (an admin: neuroscape users "
                             "create-admin)"), 2)
    _add(username, role, password_stdin, db)
