"""What each job kind runs: the library's own entry points (assess, manage.search.optimise,
store.followup.replan, protocol.run.run_protocol, cohort.run.run_cohort, validation.run_validation), with
results saved through the store's verbs. `run_job(store, settings, job, progress) -> (result JSON, result URL)`."""

from __future__ import annotations

import base64
import json
import math
import tempfile
from pathlib import Path
from typing import Callable

from ..errors import CohortError, ProtocolError

Progress = Callable[[float, str], None]


def run_job(store, settings, job: dict, progress: Progress) -> tuple[dict, str | None]:
    params = job["params"]
    if job.get("patient_id") is not None:
        # The patient the job was queued for, by its store id: its key alone may name another patient as well
        # (keys are unique per owner only). `patient_ref` is its qualified OWNER~KEY, exact for the store.
        from ..store.access import patient_ref_by_id

        params = {**params, "patient_ref": patient_ref_by_id(store, job["patient_id"]).qualified}
    return RUNNERS[job["kind"]](store, settings, params, progress)


def _patient(params: dict) -> tuple[str, str]:
    """(the patient's key, the reference that names exactly it) of a patient's job."""
    return params["patient_key"], params.get("patient_ref", params["patient_key"])


def _json_ready(value):
    """NaN and infinities as null, numpy values as plain numbers (results are stored as JSON)."""
    return json.loads(json.dumps(value, default=_plain), parse_constant=lambda _: None)


def _plain(v):
    import numpy as np

    if isinstance(v, np.ndarray):
        return v.tolist()
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return str(v)


def _assessment(store, settings, params: dict, progress: Progress):
    from ..assess.run import assess

    key, ref = _patient(params)
    progress(0.05, "reading the stored record")
    record, _, import_ids = store.record(ref)
    progress(0.1, f"calibrating ({params['method']})")
    limits = {"max_seconds": float(params.get("max_seconds", 300.0))} if params["method"] == "mcmc" else {}
    result = assess(record, method=params["method"], samples=int(params.get("samples", settings.assessment_samples)),
                    seed=int(params["seed"]), **limits)
    progress(0.9, "saving")
    assessment_id = store.save_assessment(result, import_id=import_ids[-1], method=params["method"],
                                          seed=int(params["seed"]))
    return ({"assessment_id": assessment_id, "patient_key": key,
             "converged": result.posterior.converged}, f"/api/v1/assessments/{assessment_id}")


def profile_from(targets: str):
    """A shipped target profile by name, or a profile given as YAML text; never a file on the server."""
    from ..manage.targets import parse_profile, profile_names, load_profile
    from ..protocol._files import read_yaml

    if targets in profile_names():
        return load_profile(targets)
    if "\n" not in targets and ":" not in targets:
        raise ProtocolError(f"targets {targets[:100]!r}: not a shipped profile; shipped: {', '.join(profile_names())}"
                            " (or give the profile's YAML text)")
    return parse_profile(read_yaml(targets, "targets"), "targets")


def levers_from(data: dict):
    """The search's levers from the request's `levers` mapping (the `neuroscape plan` options' names)."""
    from ..manage.options import levers_of

    allowed = {"drugs", "supplements", "no_drug_changes", "exercise_per_week", "hormones", "max_candidates"}
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ProtocolError(f"levers: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}")

    def names(key):
        v = data.get(key)
        if v is None:
            return None
        if isinstance(v, list) and all(isinstance(x, (str, int)) for x in v):
            return ",".join(str(x) for x in v)
        if isinstance(v, (str, int)):
            return str(v)
        raise ProtocolError(f"levers.{key}: give a list of names (or a comma-separated text)")

    max_candidates = data.get("max_candidates", 100)
    if not isinstance(max_candidates, int) or isinstance(max_candidates, bool):
        raise ProtocolError("levers.max_candidates: give a whole number 1-10000")
    return levers_of(names("drugs"), names("supplements"), bool(data.get("no_drug_changes", False)),
                     names("exercise_per_week"), names("hormones"), max_candidates)


def _plan(store, settings, params: dict, progress: Progress):
    from ..assess.run import assess
    from ..manage.search import optimise

    (key, ref), seed = _patient(params), int(params["seed"])
    profile = profile_from(params["targets"])
    levers = levers_from(params.get("levers") or {})
    draws = int(params.get("draws", 100))
    progress(0.02, "reading the stored record")
    record, _, import_ids = store.record(ref)
    progress(0.05, "calibrating")
    assessment = assess(record, seed=seed)
    progress(0.15, "searching plans")

    def step(k: int, n: int, label: str) -> None:
        progress(0.15 + 0.8 * k / max(n, 1), f"plan {k} of {n}")

    search = optimise(assessment, profile, levers=levers, horizon_h=float(params["horizon_days"]) * 24.0,
                      draws=draws, screen_draws=min(20, draws), objective=params.get("objective", "pta"),
                      seed=seed, progress=step)
    assessment_id = store.save_assessment(assessment, import_id=import_ids[-1], method="laplace", seed=seed)
    search_settings = {"targets": params["targets"] if len(params["targets"]) <= 200 else profile.name,
                       "horizon_days": params["horizon_days"], "draws": draws, "seed": seed,
                       "levers": params.get("levers") or {}, "objective": params.get("objective", "pta")}
    progress(0.97, "writing the report")
    html = _plans_report(search, assessment, search_settings)
    search_id = store.save_plans(search, assessment_id=assessment_id, settings=search_settings, report_html=html)
    return ({"plan_search_id": search_id, "assessment_id": assessment_id, "patient_key": key,
             "reached": search.reached}, f"/api/v1/plans/{search_id}")


def _plans_report(search, assessment, search_settings) -> str:
    """The HTML report (report.plans), self-contained, to be kept in the store: no copy is left on the host's
    disk, outside the database's access control."""
    from ..report.plans import plans_report

    with tempfile.TemporaryDirectory(prefix="neuroscape-report-") as tmp:
        return plans_report(search, assessment, tmp, search_settings).read_text(encoding="utf-8")


def _followup(store, settings, params: dict, progress: Progress):
    from ..store.followup import replan

    from urllib.parse import quote

    key, ref = _patient(params)
    profile = profile_from(params["targets"]) if params.get("targets") else None
    progress(0.05, "importing the follow-up file and re-planning")
    with tempfile.TemporaryDirectory(prefix="neuroscape-followup-") as folder:
        path = Path(folder) / params["filename"]
        path.write_bytes(base64.b64decode(params["raw_base64"]))
        result = replan(store, ref, path, profile=profile, levers=levers_from(params.get("levers") or {}),
                        draws=int(params.get("draws", 50)),
                        seed=int(params.get("seed", 0)), horizon_h=float(params.get("horizon_days", 84.0)) * 24.0)
    return _json_ready({"patient_key": key, **result.to_dict()}), f"/api/v1/patients/{quote(ref, safe='~@')}"


def parse_protocol_text(text: str):
    """A protocol from YAML (or JSON) text; one that names an external model file is refused (the service
    reads no files of its host on a caller's behalf)."""
    from ..protocol._files import read_yaml
    from ..protocol.schema import parse_protocol

    data = read_yaml(text, "protocol")
    if data is None:
        raise ProtocolError("protocol: the text is empty; a protocol is a mapping (see PROTOCOL.md)")
    protocol = parse_protocol(data, source="protocol")
    if protocol.model is not None:
        raise ProtocolError("protocol: model: (an external SBML file) is not available through the service; run "
                            "it with neuroscape protocol run")
    return protocol


def _protocol(store, settings, params: dict, progress: Progress):
    from ..protocol.run import run_protocol

    protocol = parse_protocol_text(params["text"])
    progress(0.1, f"simulating {protocol.name}")
    result = run_protocol(protocol)
    return _json_ready(result.to_dict()), None


def parse_cohort_text(text: str, settings):
    """A cohort (docs/cohorts.md) from YAML or JSON text, within the service's size limit."""
    from ..cohort.spec import Cohort, parse_cohort
    from ..protocol._files import read_yaml

    try:
        data = read_yaml(text, "cohort")
    except ProtocolError as exc:
        raise CohortError(str(exc)) from None
    if data is None:
        raise CohortError(f"cohort: the text is empty; a cohort is a mapping with the keys "
                          f"{', '.join(Cohort.model_fields)} (see docs/cohorts.md)")
    spec = parse_cohort(data, source="cohort")
    runs, limit = spec.size * len(spec.arms), settings.max_cohort_member_arms
    if runs > limit:
        raise CohortError(f"cohort: size {spec.size} x {len(spec.arms)} arms = {runs} member-arms; the service "
                          f"runs at most {limit}: lower size, or run it with neuroscape cohort run --scheduler")
    return spec


def _cohort(store, settings, params: dict, progress: Progress):
    from ..cohort.run import run_cohort
    from ..cohort.summary import summarise

    spec = parse_cohort_text(params["text"], settings)
    progress(0.02, f"sampling {spec.size} members")
    run = run_cohort(spec, progress=lambda done, total: progress(0.02 + 0.95 * done / max(total, 1),
                                                                 f"{done} of {total} member-arms"))
    return _json_ready(summarise(run)), None


def case_json(r) -> dict:
    return {"id": r.id, "finding": r.finding, "status": r.status, "reason": r.reason, "known_failure": r.known_failure,
            "sources": list(r.sources),
            "checks": [{"label": c.label, "value": c.value, "min": c.min, "max": c.max, "passed": c.passed,
                        "kind": c.kind} for c in r.checks]}


def _validation(store, settings, params: dict, progress: Progress):
    from ..validation import load_cases, run_validation

    ids = params.get("cases")
    total = len(ids) if ids else len(load_cases())
    done = [0]

    def step(case_id: str) -> None:
        done[0] += 1
        progress(done[0] / max(total, 1), f"case {case_id}")

    results = run_validation(ids, progress=step)
    counts = {s: sum(r.status == s for r in results) for s in ("pass", "fail", "missing", "error", "reference")}
    return _json_ready({"counts": counts, "cases": [case_json(r) for r in results]}), "/api/v1/validation"


RUNNERS = {"assessment": _assessment, "plan": _plan, "followup": _followup, "protocol": _protocol,
           "cohort": _cohort, "validation": _validation}
