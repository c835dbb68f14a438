"""No patient key in the server's access log even when it is on: the service under a real uvicorn with its
access log enabled (as `uvicorn --factory` would run it); every line the log gets names route shapes only."""

import logging
import socket
import threading
import time
from dataclasses import replace

import httpx
import uvicorn

from neuroscape.service import create_app
from neuroscape.service.logs import redact_path
from tests.service.conftest import FAST, PASSWORD, add_users
from tests.service.test_security import KEY, identified_bundle


def test_redact_path_names_no_key_and_no_query():
    assert redact_path("/api/v1/patients/pt-7f3k9q/landscape") == "/api/v1/patients/{key}/landscape"
    assert redact_path("/ui/patients/pt-7f3k9q") == "/ui/patients/{key}"
    assert redact_path("/api/v1/audit?patient=pt-7f3k9q&limit=5") == "/api/v1/audit?..."
    assert redact_path("/api/v1/jobs/12") == "/api/v1/jobs/12"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_uvicorns_access_log_holds_no_patient_key(tmp_path, caplog):
    url = f"sqlite:///{tmp_path / 's.db'}"
    add_users(url)
    app = create_app(url, settings=replace(FAST, start_workers=False))
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, access_log=True, log_config=None,
                                           lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    caplog.set_level(logging.INFO)
    thread.start()
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            if server.started:
                break
            time.sleep(0.1)
        with httpx.Client(base_url=base) as client:
            token = client.post("/api/v1/auth/token", data={"username": "alice", "password": PASSWORD}
                                ).json()["access_token"]
            auth = {"Authorization": f"Bearer {token}"}
            r = client.post("/api/v1/imports", headers=auth, files={"file": ("x.json", identified_bundle())})
            assert r.status_code == 201 and r.json()["patient_key"] == KEY
            for path in (f"/api/v1/patients/{KEY}", f"/api/v1/patients/{KEY}/landscape", f"/ui/patients/{KEY}",
                         f"/api/v1/audit?patient={KEY}"):
                client.get(path, headers=auth)
    finally:
        server.should_exit = True
        thread.join(10)
    access = [r.getMessage() for r in caplog.records if r.name == "uvicorn.access"]
    assert any("/api/v1/patients/{key}/landscape" in line for line in access), access
    leaks = [r.getMessage() for r in caplog.records if KEY in r.getMessage() and not r.name.startswith("httpx")]
    assert not leaks
