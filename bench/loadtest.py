"""Load test of `neuroscape serve` on loopback: N concurrent clients for T seconds mixing reads, imports and
protocol runs; zero 5xx and no lost writes, or it fails.

    python bench/loadtest.py [--clients 50] [--seconds 60] [--db URL] [--out bench/results/loadtest.json]

It starts the service in a subprocess on 127.0.0.1 (a fresh SQLite file by default; `--db` names a
PostgreSQL database to empty and use), makes an admin and two clinicians with the CLI, and runs the clients
(asyncio + httpx, one connection pool each). Each client logs in as one of the clinicians and loops, without
think time, over a weighted mix:
  read    60%  GET /api/v1/patients, or GET /api/v1/patients/{key} of a patient it imported
  import  30%  POST /api/v1/imports: the bundled FHIR example under a new patient id (a new write every time)
  run     10%  POST /api/v1/protocol-runs: a 24-hour tryptophan-depletion protocol (a queued job)
Every request is valid, so any 4xx or 5xx fails the run. After the clock stops it checks, as admin, that
every import answered 201 is in the store with all its observations and every accepted job is readable,
then waits (bounded) for the queued protocol runs.
Reports throughput and p50/p95/p99 latency per kind and overall.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from importlib import resources
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

PASSWORD = "load-test password, loopback only"
CLINICIANS = ("carol", "dave")
MIX = (("read", 0.6), ("import", 0.3), ("run", 0.1))
PROTOCOL = (resources.files("neuroscape") / "examples" / "tryptophan_depletion.yaml").read_text()
FHIR = (resources.files("neuroscape") / "examples" / "patients" / "anna-fhir.json").read_text()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cli(args: list[str], db: str, stdin: str | None = None) -> None:
    out = subprocess.run([sys.executable, "-m", "neuroscape", *args, "--db", db], input=stdin, text=True,
                         capture_output=True, env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    if out.returncode != 0:
        raise RuntimeError(f"neuroscape {' '.join(args)} failed: {out.stderr[-2000:]}")


def start_service(db: str, workers: int, log) -> tuple[subprocess.Popen, str]:
    """The service in a subprocess; its log goes to the file `log` (a pipe nobody reads while the clients run
    would fill up and block every thread of the service that logs)."""
    _cli(["users", "create-admin", "admin", "--password-stdin"], db, PASSWORD + "\n")
    for name in CLINICIANS:
        _cli(["users", "add", name, "--role", "clinician", "--password-stdin"], db, PASSWORD + "\n")
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "neuroscape", "serve", "--host", "127.0.0.1", "--port", str(port),
                             "--db", db, "--workers", str(workers)],
                            env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
                            stdout=subprocess.DEVNULL, stderr=log, text=True)
    base = f"http://127.0.0.1:{port}"
    import httpx

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"the service exited: {log.read()[-3000:]}")
        try:
            if httpx.get(base + "/openapi.json", timeout=2).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    proc.kill()
    raise RuntimeError("the service did not answer within 120 s")


async def _token(client, username: str) -> dict:
    r = await client.post("/api/v1/auth/token", data={"username": username, "password": PASSWORD})
    r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


class Tally:
    def __init__(self):
        self.latency: dict[str, list[float]] = {k: [] for k, _ in MIX}
        self.status: dict[int, int] = {}
        self.errors: list[str] = []  # 4xx/5xx answers
        self.transport: list[str] = []  # no answer at all (connection refused or reset, timeout)
        self.imported: dict[str, int] = {}  # patient key -> import id, for every 201
        self.jobs: list[int] = []
        self.counter = 0

    def record(self, kind: str, seconds: float, status: int) -> None:
        self.latency[kind].append(seconds)
        self.status[status] = self.status.get(status, 0) + 1


async def client_loop(i: int, base: str, stop_at: float, tally: Tally, rng: random.Random) -> None:
    import httpx

    async with httpx.AsyncClient(base_url=base, timeout=120) as client:
        headers = await _token(client, CLINICIANS[i % len(CLINICIANS)])
        mine: list[str] = []
        kinds, weights = zip(*MIX)
        while time.monotonic() < stop_at:
            kind = rng.choices(kinds, weights)[0]
            t0 = time.perf_counter()
            try:
                if kind == "read":
                    own = mine and rng.random() < 0.5
                    path = f"/api/v1/patients/{rng.choice(mine)}" if own else "/api/v1/patients"
                    r = await client.get(path, headers=headers)
                elif kind == "import":
                    tally.counter += 1
                    key = f"load{i:02d}x{tally.counter:06d}"
                    raw = FHIR.replace("anna", key).encode()
                    r = await client.post("/api/v1/imports", headers=headers,
                                          files={"file": (f"{key}.json", raw, "application/fhir+json")})
                    if r.status_code == 201:
                        tally.imported[key] = r.json()["import_id"]
                        mine.append(key)
                else:
                    r = await client.post("/api/v1/protocol-runs", headers={**headers, "Content-Type": "text/plain"},
                                          content=PROTOCOL)
                    if r.status_code == 202:
                        tally.jobs.append(r.json()["job_id"])
            except httpx.HTTPError as exc:
                tally.transport.append(f"{kind}: {type(exc).__name__}: {exc}")
                continue
            tally.record(kind, time.perf_counter() - t0, r.status_code)
            if r.status_code >= 400:
                tally.errors.append(f"{kind} {r.status_code}: {r.text[:200]}")


async def verify(base: str, tally: Tally, n_obs: int, job_wait_s: float) -> dict:
    import httpx

    async with httpx.AsyncClient(base_url=base, timeout=120) as client:
        admin = await _token(client, "admin")
        listed = (await client.get("/api/v1/patients", headers=admin)).json()["items"]
        by_key = {p["key"]: p for p in listed}
        lost = [k for k in tally.imported if k not in by_key]
        partial = [k for k in tally.imported if k in by_key and by_key[k]["n_observations"] != n_obs]
        t0 = time.monotonic()
        pending = list(tally.jobs)
        status: dict[str, int] = {}
        missing_jobs = []
        while True:
            status = {}
            still = []
            for j in pending:
                r = await client.get(f"/api/v1/jobs/{j}", headers=admin)
                if r.status_code != 200:
                    missing_jobs.append(j)
                    continue
                s = r.json()["status"]
                status[s] = status.get(s, 0) + 1
                if s in ("queued", "running"):
                    still.append(j)
            if not still or time.monotonic() - t0 > job_wait_s:
                break
            await asyncio.sleep(2)
        return {"imports_acknowledged": len(tally.imported), "imports_lost": lost, "imports_partial": partial,
                "jobs_accepted": len(tally.jobs), "jobs_missing": missing_jobs, "jobs_status_at_end": status,
                "jobs_wait_s": time.monotonic() - t0}


def _percentiles(xs: list[float]) -> dict:
    if not xs:
        return {"n": 0}
    a = np.array(xs) * 1e3
    return {"n": len(xs), "p50_ms": float(np.percentile(a, 50)), "p95_ms": float(np.percentile(a, 95)),
            "p99_ms": float(np.percentile(a, 99)), "max_ms": float(a.max())}


def run(clients: int, seconds: float, db: str | None, workers: int = 2, job_wait_s: float = 120.0,
        seed: int = 0) -> dict:
    tmp = None
    if db is None:
        tmp = tempfile.TemporaryDirectory(prefix="neuroscape-load-")
        db = f"sqlite:///{Path(tmp.name) / 'load.db'}"
    elif db.startswith("postgresql"):
        from sqlalchemy import create_engine, text

        engine = create_engine(db)
        with engine.begin() as conn:  # a database named for the load test, emptied
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    from neuroscape.io.patient import read_patient

    n_obs = len(read_patient(resources.files("neuroscape") / "examples" / "patients" / "anna-fhir.json")
                .observations)
    log = tempfile.TemporaryFile(mode="w+")
    proc, base = start_service(db, workers, log)
    tally = Tally()
    rng = random.Random(seed)
    try:
        t0 = time.perf_counter()

        async def main():
            stop_at = time.monotonic() + seconds
            await asyncio.gather(*(client_loop(i, base, stop_at, tally, random.Random(rng.random()))
                                   for i in range(clients)))

        asyncio.run(main())
        wall = time.perf_counter() - t0
        checks = asyncio.run(verify(base, tally, n_obs, job_wait_s))
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.seek(0)
        stderr = log.read()
        log.close()
        if tmp is not None:
            tmp.cleanup()
    n = sum(len(v) for v in tally.latency.values())
    fivexx = sum(c for s, c in tally.status.items() if s >= 500)
    leaked = [key for key in tally.imported if key in stderr]  # patient keys in the service's log
    result = {"clients": clients, "seconds": seconds, "wall_s": wall, "store": db.split(":")[0],
              "cpus": len(os.sched_getaffinity(0)), "requests": n, "throughput_rps": n / wall,
              "status_counts": {str(k): v for k, v in sorted(tally.status.items())}, "http_5xx": fivexx,
              "transport_errors": len(tally.transport), "first_errors": (tally.transport + tally.errors)[:10],
              "latency": {"all": _percentiles(sum(tally.latency.values(), []))}
              | {k: _percentiles(v) for k, v in tally.latency.items()},
              "checks": checks, "patient_keys_in_service_log": len(leaked)}
    # every request the clients send is valid, so any 4xx is a defect too (concurrent imports once failed 422)
    result["http_4xx"] = sum(c for s, c in tally.status.items() if 400 <= s < 500)
    result["ok"] = (fivexx == 0 and result["http_4xx"] == 0 and not tally.transport and not checks["imports_lost"]
                    and not checks["imports_partial"] and not checks["jobs_missing"] and not leaked and n > 0)
    return result


def print_table(r: dict) -> None:
    print(f"\nload test: {r['clients']} clients x {r['seconds']:.0f} s on {r['store']}, {r['cpus']} cpus")
    print(f"  requests {r['requests']}  throughput {r['throughput_rps']:.1f}/s  5xx {r['http_5xx']}  "
          f"status {r['status_counts']}")
    print(f"  {'kind':<8}{'n':>7}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}{'max ms':>10}")
    for k, v in r["latency"].items():
        if v["n"]:
            print(f"  {k:<8}{v['n']:>7}{v['p50_ms']:>10.0f}{v['p95_ms']:>10.0f}{v['p99_ms']:>10.0f}"
                  f"{v['max_ms']:>10.0f}")
    c = r["checks"]
    print(f"  imports acknowledged {c['imports_acknowledged']}, lost {len(c['imports_lost'])}, partial "
          f"{len(c['imports_partial'])}; jobs accepted {c['jobs_accepted']}, missing {len(c['jobs_missing'])}, "
          f"at end {c['jobs_status_at_end']}")
    print("  OK" if r["ok"] else "  FAILED")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--db", default=None, help="a postgresql+psycopg:// URL of a database to EMPTY and use "
                                               "(default: a fresh SQLite file)")
    ap.add_argument("--workers", type=int, default=2, help="the service's job worker threads")
    ap.add_argument("--job-wait", type=float, default=120.0, help="seconds to wait for queued protocol runs")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "loadtest.json"))
    args = ap.parse_args(argv)
    r = run(args.clients, args.seconds, args.db, args.workers, args.job_wait)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(r, indent=2))
    print_table(r)
    print(f"written: {out}")
    return 0 if r["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
