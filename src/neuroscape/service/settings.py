"""`ServiceSettings`: the service's tunable values, each with why it has its default."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ServiceSettings:
    # Short-lived tokens limit the harm of a stolen one; 15 min is OWASP's suggested session idle timeout
    # for high-value applications (OWASP Session Management Cheat Sheet), assumed suitable for health data.
    token_minutes: float = 15.0
    # Upload limit: the largest example FHIR bundle is a few hundred kB; 5 MiB leaves room for long records
    # while refusing memory-exhausting bodies (assumed).
    max_body_bytes: int = 5 * 1024 * 1024
    # Password guessing: after this many failed logins for one username within `login_window_minutes`, further
    # attempts answer 429 until the window has passed (OWASP Authentication Cheat Sheet: throttle per account;
    # the numbers are assumed, not from a source).
    login_failures: int = 10
    login_window_minutes: float = 15.0
    workers: int = 2            # job worker threads (the CPU-heavy work releases the GIL in numpy/numba)
    # One user's unfinished jobs at most (then 429), so that one caller cannot fill the queue for everyone;
    # generous for a clinic's interactive use (assumed).
    max_pending_jobs: int = 100
    # A cohort run's members x arms at most (then 422): at ~20-50 ms of CPU per member-arm, 20,000 keep one run
    # to minutes on a small server; larger cohorts belong on `neuroscape cohort run --scheduler` (assumed).
    max_cohort_member_arms: int = 20_000
    start_workers: bool = True  # tests that inspect queued jobs turn the pool off
    poll_seconds: float = 0.5   # how often an idle worker looks for queued jobs
    heartbeat_seconds: float = 5.0
    # A running job whose worker has been silent this long is taken as orphaned by a dead process and
    # queued again (several heartbeats, so that a busy worker is never mistaken for a dead one).
    stale_after_seconds: float = 30.0
    # True behind HTTPS: the Secure flag keeps cookies off plain HTTP, and Strict-Transport-Security is sent.
    secure_cookies: bool = False
    # Test-sized job settings (tests pass smaller ones to keep calibration and plan search fast).
    assessment_samples: int = 1000
    plan_candidates: int | None = None
    plan_draws: int | None = None
    validation_cases: tuple[str, ...] | None = None  # None: every case (VALIDATION.md)

