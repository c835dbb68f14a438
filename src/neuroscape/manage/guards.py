"""Guard rails for re-planning (data/guard_rails.yaml): the largest dose step per change, the shortest
interval between changes, and the hysteresis band inside which a running plan is kept."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import yaml

from ..errors import DataError, ProtocolError


@dataclass(frozen=True)
class GuardRails:
    max_dose_step: float = 1.0          # a change may at most multiply a drug's dose by 1 + step (or divide it)
    min_change_interval_h: float = 168.0
    hysteresis: float = 0.10            # relative to the band edge

    def __post_init__(self) -> None:
        if not 0 < self.max_dose_step <= 10:
            raise ProtocolError(f"GuardRails.max_dose_step = {self.max_dose_step!r}; give a fraction of the current "
                                "dose in (0, 10], e.g. 1.0 (at most double or halve per change)")
        if not 0 <= self.min_change_interval_h <= 24 * 365:
            raise ProtocolError(f"GuardRails.min_change_interval_h = {self.min_change_interval_h!r}; give 0-8760 h "
                                "(168 = one week)")
        if not 0 <= self.hysteresis < 1:
            raise ProtocolError(f"GuardRails.hysteresis = {self.hysteresis!r}; give a fraction in [0, 1), e.g. 0.1")

    def to_dict(self) -> dict:
        return {"max_dose_step": self.max_dose_step, "min_change_interval_h": self.min_change_interval_h,
                "hysteresis": self.hysteresis}


@lru_cache(maxsize=1)
def default_guard_rails() -> GuardRails:
    text = (resources.files("neuroscape.manage") / "data" / "guard_rails.yaml").read_text()
    data = yaml.safe_load(text)
    try:
        return GuardRails(float(data["max_dose_step"]["value"]), float(data["min_change_interval"]["value"]),
                          float(data["hysteresis"]["value"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise DataError(f"manage/data/guard_rails.yaml: {exc}") from None


def dose_step_ok(current: dict[str, float], candidate, step: float) -> bool:
    """True when no drug the person takes now (name -> daily mg) changes its daily dose by more than the
    step (a stop or a switch to another drug is not a dose step: the safety rules judge those)."""
    for reg in candidate.future:
        if reg.kind != "drug" or reg.name not in current or not current[reg.name]:
            continue
        daily = reg.dose_mg * (24.0 / reg.every_h if reg.every_h else 1.0)
        ratio = daily / current[reg.name]
        if ratio > 1 + step + 1e-9 or ratio < 1 / (1 + step) - 1e-9:
            return False
    return True


def inside_tolerance(profile, statistic: dict[str, float], hysteresis: float) -> bool:
    """True when every band's median statistic lies inside the band widened by `hysteresis` of its edges."""
    for band in profile.bands:
        value = statistic.get(band.id)
        if value is None or value != value:
            return False
        if band.low is not None and value < band.low * (1 - hysteresis):
            return False
        if band.high is not None and value > band.high * (1 + hysteresis):
            return False
    return True
