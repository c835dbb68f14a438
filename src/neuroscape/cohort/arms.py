"""What a cohort's arms and endpoints mean to the model: each arm's plan, and the (endpoint, time) pairs
that are the columns of every chunk's result."""

from __future__ import annotations

from ..errors import CohortError, ModelError, ProtocolError
from ..plan import Plan
from .spec import Cohort


def arm_plans(spec: Cohort) -> list[Plan]:
    """Each arm's interventions as a Plan (the protocol runner's own translation); a drug or nutrition
    name the libraries do not know is a CohortError at its arm."""
    from ..protocol.run import plan_of

    plans = []
    for i, arm in enumerate(spec.arms):
        try:
            plans.append(plan_of(arm.protocol(spec.endpoints)))
        except (ProtocolError, ModelError) as exc:
            raise CohortError(f"arms[{i}].{exc}") from None
    return plans


def endpoint_times(spec: Cohort) -> list[tuple[int, float]]:
    """(endpoint index, time) pairs in file order: the columns of a chunk's result."""
    return [(k, t) for k, e in enumerate(spec.endpoints) for t in e.times_h]
