"""Concurrent writes that could overwrite or collide: the same share made twice at once is one share and two
201s (never a 500); on SQLite and PostgreSQL. (Concurrent PATCHes: test_patients.py.)"""

import threading

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from neuroscape.store import tables as t


def _at_once(n: int, call) -> list:
    barrier = threading.Barrier(n)
    answers = []

    def run(i):
        barrier.wait()
        answers.append(call(i))

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return answers


def test_the_same_share_made_concurrently_is_one_share_and_no_500(service):
    key = service.upload("alice").json()["patient_key"]
    headers = service.login("alice")
    for attempt in range(3):  # a race is a matter of timing: several rounds, each a fresh pair of clinicians
        name = f"carol{attempt}"
        assert service.as_("admin", "POST", "/api/v1/users", json={"username": name, "role": "clinician",
                                                                   "password": "a long pass phrase here"}
                           ).status_code == 201
        codes = _at_once(6, lambda i: service.client.post(f"/api/v1/patients/{key}/shares", headers=headers,
                                                          json={"username": name}).status_code)
        assert codes == [201] * 6, codes
    with Session(service.client.app.state.store.engine) as s:
        assert s.scalar(select(func.count()).select_from(t.PatientShare)) == 3
