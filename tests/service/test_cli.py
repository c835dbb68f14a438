"""`neuroscape users create-admin | add` and `neuroscape serve` (a real uvicorn on loopback)."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from typer.testing import CliRunner

from neuroscape.cli import app
from neuroscape.store import open_store
from neuroscape.store.users import has_admin, user_by_name

PASSWORD = "correct horse battery staple"


def test_create_admin_and_add_users(tmp_path):
    db = str(tmp_path / "s.db")
    runner = CliRunner()
    r = runner.invoke(app, ["users", "create-admin", "root", "--password-stdin", "--db", db], input=PASSWORD + "\n")
    assert r.exit_code == 0, r.output
    store = open_store(db)
    assert has_admin(store)
    user, digest = user_by_name(store, "root")
    assert user.role == "admin" and digest.startswith("$argon2id$") and PASSWORD not in digest
    r = runner.invoke(app, ["users", "add", "root", "--role", "clinician", "--password-stdin", "--db", db],
                      input=PASSWORD + "\n")
    assert r.exit_code == 2 and "exists already" in r.output
    r = runner.invoke(app, ["users", "add", "cl", "--role", "admin", "--password-stdin", "--db", db],
                      input=PASSWORD + "\n")
    assert r.exit_code == 2 and "allowed: clinician, researcher" in r.output
    r = runner.invoke(app, ["users", "add", "cl", "--role", "clinician", "--password-stdin", "--db", db],
                      input="short\n")
    assert r.exit_code == 2 and "at least 15 characters" in r.output and user_by_name(store, "cl") is None
    r = runner.invoke(app, ["users", "add", "cl", "--role", "clinician", "--db", db],
                      input=f"{PASSWORD}\n{PASSWORD}x\n")
    assert r.exit_code == 2 and "differ" in r.output and user_by_name(store, "cl") is None
    r = runner.invoke(app, ["users", "add", "cl", "--role", "clinician", "--db", db], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert r.exit_code == 0 and user_by_name(store, "cl")[0].role == "clinician"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_answers_on_loopback_and_says_how_to_make_an_admin(tmp_path):
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2] / "src")}
    proc = subprocess.Popen([sys.executable, "-m", "neuroscape", "serve", "--port", str(port), "--db",
                             str(tmp_path / "s.db")], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/api/v1/me", timeout=2)
                break
            except httpx.TransportError:
                assert proc.poll() is None and time.monotonic() < deadline, "the service did not start"
                time.sleep(0.3)
        assert r.status_code == 401
        assert r.headers["x-frame-options"] == "DENY" and r.headers["cache-control"] == "no-store"
        assert httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=5).json()["info"]["title"] == "neuroscape"
    finally:
        proc.terminate()
        out = proc.communicate(timeout=20)[0]
    assert "neuroscape users create-admin" in out
