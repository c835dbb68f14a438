"""Hormone therapy by dose (PROTOCOL.md `hormone` with dose_mg): which hormones and routes are
dosable and the per-dose bound. The doses go into the hormone's gut (oral) or circulating (IV)
compartment of model/modules/hormones.py, where the dosed level adds to the endogenous one."""

from __future__ import annotations

from ..errors import NotModelledError, ProtocolError
from . import load_data

ABSURD_DOSE_FACTOR = 10.0  # PROTOCOL.md: one dose above 10x the label maximum daily dose is an error


def therapy_data() -> dict:
    return load_data("hormone_therapy")


def dosable_names() -> dict[str, str]:
    """Every name a protocol may dose (hormone names and aliases such as hydrocortisone) -> hormone."""
    names = {}
    for hormone, entry in therapy_data()["hormones"].items():
        names[hormone] = hormone
        names.update({alias: hormone for alias in entry["aliases"]})
    return names


def check_dose(name: str, dose_mg: float, route: str, where: str = "hormone") -> str:
    """The model hormone a dose of `name` feeds; raise a teaching error for a bad name, route or dose."""
    names = dosable_names()
    hormone = names.get(name.lower())
    if hormone is None:
        raise ProtocolError(f"{where}.hormone: {name!r} cannot be dosed; allowed with dose_mg: "
                            f"{', '.join(sorted(names))}")
    entry = therapy_data()["hormones"][hormone]
    if route not in entry["routes"]:
        raise NotModelledError(f"{where}.route: {route!r} is not modelled for {name}; allowed: "
                               f"{', '.join(entry['routes'])} ({entry['note']})")
    ceiling = ABSURD_DOSE_FACTOR * entry["label_max_daily_mg"]["value"]
    if dose_mg > ceiling:
        raise ProtocolError(f"{where}.dose_mg: {dose_mg:g} mg is more than {ABSURD_DOSE_FACTOR:g}x the label "
                            f"maximum daily dose of {name} ({entry['label_max_daily_mg']['value']:g} mg); "
                            f"allowed: up to {ceiling:g} mg per dose")
    return hormone
