"""Follow-up: `replan` imports new observations, re-calibrates on everything known so far, re-plans and
records the decision in the append-only ledger; `replay` recomputes a recorded decision from its inputs
alone (later data never leak into it).

The posterior is calibrated from the population prior with every stored observation (not from the
earlier posterior as a prior, which would count the earlier observations twice)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

import numpy as np

from ..errors import DataError, EngineError
from .store import Store, StoreError, model_fingerprint


@dataclass(frozen=True)
class FollowUp:
    decision_id: int | None
    action: str
    plan_label: str
    reason: str
    as_of: datetime
    assessment: object
    search: object
    report: dict

    def to_dict(self) -> dict:
        return {"decision_id": self.decision_id, "action": self.action, "plan": self.plan_label,
                "reason": self.reason, "as_of": self.as_of.isoformat(), **self.report}


def _levers_of(data: dict):
    from ..manage.space import Levers

    return Levers(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})


def _compute(store: Store, key: str, *, import_ids, observation_ids, profile, levers, guards, draws, seed,
             horizon_h, last_change, previous_assessment, previous_id=None):
    from ..assess.run import assess
    from ..manage.replan import decide
    from ..manage.search import optimise

    record, obs_ids, imp_ids = store.record(key, import_ids=import_ids, observation_ids=observation_ids)
    assessment = assess(record, seed=seed)
    search = optimise(assessment, profile, levers=levers, horizon_h=horizon_h, draws=draws,
                      screen_draws=min(20, draws), seed=seed)
    as_of = record.reference_time
    decision = decide(search, guards, as_of=as_of, last_change=last_change)
    report = {"observations": _fit_rows(assessment),
              "predicted_before": _predicted_before(store, previous_id, previous_assessment, record, obs_ids),
              "posterior_moved": _moves(previous_assessment, assessment),
              "phenotype_mixture": None if assessment.mixture is None else assessment.as_dict()["phenotype_mixture"],
              # the plans' trajectories stay in the stored plan search (save_plans), not copied into the ledger
              "plans": [{k: v for k, v in p.to_dict().items() if k != "trajectories"} for p in search.plans[:5]],
              "reached": search.reached,
              "search_message": search.message}
    return record, obs_ids, imp_ids, assessment, search, decision, as_of, _json_ready(report)


def _fit_rows(assessment) -> list[dict]:
    """Observed vs fitted for every observation, JSON-ready (the ledger stores it)."""
    from ..assess.run import _clean

    return _clean(assessment.posterior.fit_rows())


# Draws of the previous posterior the new observations are predicted from (evenly spaced through the stored
# ones): enough for a 90% interval's edges to a few percent, at the cost of one batch of simulations.
PREDICTIVE_DRAWS = 200


def _predicted_before(store: Store, previous_id: int | None, previous: dict | None, record, obs_ids) -> list[dict]:
    """The observations new since the previous assessment (the one the running plan was decided on), each
    against that assessment's posterior predictive (its stored draws; every phenotype of a mixture with its
    stored share), simulated on the medication history known now: median, 90% interval of a measurement,
    inside or not."""
    import dataclasses

    from ..assess.cycle import timeline
    from ..assess.predictive import DrawGroup, observation_predictive

    if previous_id is None:
        return []
    seen = set(store.assessment_observations(previous_id))
    new = [i for i, oid in enumerate(obs_ids) if oid not in seen]
    if not new:
        return []
    on_axis = timeline(record)
    observations = [on_axis.observations[i] for i in new]
    names, etas = store.draws(previous_id)
    mixture = (previous or {}).get("phenotype_mixture")
    parts = ([(c["phenotypes"], k) for c, k in zip(mixture["components"], mixture["stored_draws"])]
             if mixture and mixture.get("stored_draws") else [({}, etas.shape[0])])
    stride = max(1, -(-etas.shape[0] // PREDICTIVE_DRAWS))
    groups, start = [], 0
    for phenotypes, count in parts:
        rows = np.arange(start, start + count)
        start += count
        rows = rows[(rows % stride) == 0]
        person = dataclasses.replace(on_axis.subject, genotypes={**on_axis.subject.genotypes, **phenotypes})
        groups.append(DrawGroup(person, tuple(names), etas[rows]))
    try:
        rows = observation_predictive(groups, observations, on_axis.plan)
    except EngineError as exc:  # the decision does not depend on it: said in the report, not fatal
        return [{"observation_id": obs_ids[i], "error": str(exc)} for i in new]
    return [{"observation_id": obs_ids[i], **r} for i, r in zip(new, rows)]


def _moves(previous: dict | None, assessment) -> list[dict]:
    """Each calibration parameter's factor before (the previous stored assessment) and now."""
    now = {r["parameter"]: r for r in assessment.posterior.rows()}
    before = {r["parameter"]: r for r in (previous or {}).get("parameters", [])}
    out = []
    for name, r in now.items():
        b = before.get(name)
        out.append({"parameter": name, "before": None if b is None else b["factor"], "now": r["factor"],
                    "interval_now": [r["ci_low"], r["ci_high"]], "status": r["status"]})
    return _json_ready(out)


def _json_ready(rows):
    """JSON-ready: no NaN or infinity (PostgreSQL's JSON refuses them)."""
    from ..assess.run import _clean

    return _clean(rows)


def replan(store: Store, patient: str, new_file: str | Path | None, *, profile=None, levers=None, guards=None,
           draws: int = 50, seed: int = 0, horizon_h: float = 12 * 7 * 24.0) -> FollowUp:
    """Import `new_file` (FHIR or CSV; all-or-nothing) for a stored `patient`, re-calibrate on everything
    known, re-plan, decide with the guard rails and append the decision to the ledger."""
    import hashlib
    import json

    from ..io.patient import read_patient
    from ..manage.guards import default_guard_rails
    from ..manage.space import Levers

    guards = guards or default_guard_rails()
    levers = levers or Levers()
    known = store.patient(patient)  # an unknown patient fails here, with the closest ids
    # From here on the reference that names exactly this patient: a bare key could name another one once a
    # patient with the same key appears elsewhere (keys are unique per owner only).
    patient, key = known["ref"], known["patient"]
    if profile is None:
        if not known["plan_searches"]:
            raise DataError(f"patient {patient!r} has no stored plan search to take the targets from; give a "
                            "target profile (--targets)")
        from ..manage.targets import parse_profile

        profile = parse_profile(store.plan_search_profile(known["plan_searches"][-1]["id"]))
    if new_file is not None:
        path = Path(new_file)
        record = read_patient(path)
        if record.patient_id != key:
            raise DataError(f"{path.name} is for patient {record.patient_id!r}, not {key!r}: nothing was "
                            "imported")
        store.save_record(record, raw=path.read_bytes(), filename=path.name, into=patient)
    previous = store.latest_assessment(patient)  # only its summary: not every stored file and draw
    previous_id, previous_summary = previous if previous is not None else (None, None)
    changes = [d for d in store.decisions(patient) if d["action"] == "change"]
    last_change = datetime.fromisoformat(changes[-1]["as_of"]) if changes else None
    record, obs_ids, imp_ids, assessment, search, decision, as_of, report = _compute(
        store, patient, import_ids=None, observation_ids=None, profile=profile, levers=levers, guards=guards,
        draws=draws, seed=seed, horizon_h=horizon_h, last_change=last_change, previous_assessment=previous_summary,
        previous_id=previous_id)
    assessment_id = store.save_assessment(assessment, import_id=imp_ids[-1], method="laplace", seed=seed)
    search_id = store.save_plans(search, assessment_id=assessment_id, settings={"draws": draws, "seed": seed,
                                                                                 "horizon_h": horizon_h})
    version, phash = model_fingerprint()
    profile_json = profile.model_dump(mode="json")
    inputs = {"import_ids": imp_ids, "observation_ids": obs_ids, "seed": seed, "draws": draws,
              "horizon_h": horizon_h, "levers": asdict(levers), "guard_rails": guards.to_dict(),
              "profile": profile_json,
              "profile_sha256": hashlib.sha256(json.dumps(profile_json, sort_keys=True).encode()).hexdigest(),
              "last_change": None if last_change is None else last_change.isoformat(),
              "previous_assessment": previous_id,
              "model_version": version, "parameter_hash": phash}
    label = decision.plan.candidate.label if decision.plan is not None else "(none)"
    decision_id = store.record_decision(assessment_id=assessment_id, plan_search_id=search_id, as_of=as_of,
                                        action=decision.action, plan_label=label, reason=decision.reason,
                                        inputs=inputs, report=report)
    return FollowUp(decision_id, decision.action, label, decision.reason, as_of, assessment, search, report)


def replay(store: Store, decision_id: int) -> FollowUp:
    """Recompute a recorded decision from its recorded inputs only: the same imports and observations (none
    added since), seed, draws, levers, guard rails and profile. Nothing is written."""
    from ..manage.guards import GuardRails
    from ..manage.targets import parse_profile

    d = store.decision(decision_id)
    inp = d["inputs"]
    version, phash = model_fingerprint()
    if (inp["model_version"], inp["parameter_hash"]) != (version, phash):
        raise StoreError(f"decision {decision_id} was made by model {inp['model_version']} (parameters "
                         f"{inp['parameter_hash'][:12]}); this neuroscape has {version} ({phash[:12]}): a replay "
                         "would not be the same computation")
    previous = store.assessment_summary(inp["previous_assessment"]) if inp.get("previous_assessment") else None
    last = inp.get("last_change")
    record, obs_ids, imp_ids, assessment, search, decision, as_of, report = _compute(
        store, d["patient_ref"], import_ids=inp["import_ids"], observation_ids=inp["observation_ids"],
        profile=parse_profile(inp["profile"]), levers=_levers_of(inp["levers"]),
        guards=GuardRails(**inp["guard_rails"]), draws=inp["draws"], seed=inp["seed"], horizon_h=inp["horizon_h"],
        last_change=None if last is None else datetime.fromisoformat(last), previous_assessment=previous,
        previous_id=inp.get("previous_assessment"))
    label = decision.plan.candidate.label if decision.plan is not None else "(none)"
    return FollowUp(None, decision.action, label, decision.reason, as_of, assessment, search, report)
