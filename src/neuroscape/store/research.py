"""De-identified cohort rows for researchers: a keyed pseudonym instead of the patient key, sex, a ten-year
age band (90 and over pooled, as HIPAA's Safe Harbor method asks: 45 CFR 164.514(b)(2)(i)(C)), and the
observations with times as days since the patient's first observation. Never names, birth dates, record
identifiers, file names or patient keys. An observation's name and region are the file's free text (a FHIR
code.text or bodySite.text can hold anything, a name too): researchers get the mapping table's label for the
code and a region of the model's list (else "other") instead."""

from __future__ import annotations

import hashlib
import hmac
from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import tables as t
from .common import _utc


def age_band(age: float | None) -> str | None:
    if age is None:
        return None
    if age >= 90:
        return "90+"
    low = int(age // 10) * 10
    return f"{low}-{low + 9}"


def pseudonym(key: str, patient_id: int) -> str:
    return hmac.new(key.encode(), f"patient:{patient_id}".encode(), hashlib.sha256).hexdigest()[:16]


def cohort(store, pseudonym_key: str) -> list[dict]:
    with Session(store.engine) as s:
        observations = defaultdict(list)
        for o in s.scalars(select(t.Observation).order_by(t.Observation.patient_id, t.Observation.time)):
            observations[o.patient_id].append(o)
        rows = []
        for p in s.scalars(select(t.Patient).order_by(t.Patient.id)):
            obs = observations.get(p.id, [])
            first = _utc(obs[0].time) if obs else None
            age = p.age_years
            if age is None and p.birth_date:  # the age at the first observation (or at import)
                from datetime import date

                at = first or _utc(p.created_at)
                age = (at.date() - date.fromisoformat(p.birth_date)).days / 365.25
            rows.append({"pseudonym": pseudonym(pseudonym_key, p.id), "sex": p.sex, "age_band": age_band(age),
                         "observations": [{"day": round((_utc(o.time) - first).total_seconds() / 86400.0, 2),
                                           "code": o.code, "name": _label(o.code), "value": o.value,
                                           "unit": o.unit, "censor": o.censor, "specimen": o.specimen,
                                           "region": _region(o.region)}
                                          for o in obs]})
        rows.sort(key=lambda r: r["pseudonym"])  # not in creation order, which could be matched with other data
        return rows


def _label(code: str) -> str | None:
    from ..assess.units import is_mapped, lookup

    return lookup(code).label if is_mapped(code) else None


def _region(region: str | None) -> str | None:
    from ..protocol.schema import REGIONS

    if region is None:
        return None
    region = region.strip().lower()
    return region if region in REGIONS else "other"
