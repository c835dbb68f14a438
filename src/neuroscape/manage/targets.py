"""Target profiles: what a plan should achieve, as bands on readouts, with weights and sources.

A profile is a data file (schema and shipped examples: docs/targets.md, `data/targets/*.yaml`)::

    profile: 1
    name: ssri-efficacy
    settle_h: 336                       # stabilisation window: windows start here unless they say otherwise
    bands:
      - id: sert_trough
        quantity: occupancy.SERT
        low: 0.80                       # a bound may be left out (one-sided band)
        statistic: min                  # over the window: min | max | mean | time_in_band
        weight: 1.0
        rationale: "80% SERT occupancy at trough is reached at the minimum effective SSRI dose"
        source: meyer2004
    stability: {max_fluctuation: 1.0}   # (max - min) / mean over the window of each band, scored too

A band's window runs from `from_h` (default `settle_h`) to `to_h` (default the horizon's end).
`statistic: time_in_band` attains when at least `min_time_in_band` of the window lies in the band.
A band with `when_dosed: DRUG` applies only to plans that dose that drug (TDM ranges).
A band `reference: population` takes its bounds from the person's same-sex, same-age reference
band (`low_percentile`/`high_percentile`), resolved per person by `resolve_reference`.

Evaluation is plain numpy on readouts of many posterior draws: `attainment(profile, series, horizon_h)`
gives per band and draw whether the band is attained and a loss (the distance outside the band in
units of its width, or of its bound for a one-sided band); `risk.py` turns those into PTA and CVaR.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Callable, Literal

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .. import textfiles
from ..errors import ProtocolError

STATISTICS = ("min", "max", "mean", "time_in_band")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Band(_Strict):
    id: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_\-]*$", max_length=64)
    quantity: str = Field(max_length=80)
    plus: tuple[str, ...] = Field((), max_length=8, description="further quantities summed into this one "
                                  "(parent + active metabolite for a TDM range)")
    region: str | None = None
    relative_to: Literal["baseline"] | None = None
    low: float | None = None
    high: float | None = None
    reference: Literal["population"] | None = None
    low_percentile: float | None = Field(None, ge=0, le=100)
    high_percentile: float | None = Field(None, ge=0, le=100)
    statistic: Literal["min", "max", "mean", "time_in_band"] = "time_in_band"
    min_time_in_band: float = Field(0.9, gt=0, le=1)
    from_h: float | None = Field(None, ge=0)
    to_h: float | None = Field(None, gt=0)
    weight: float = Field(1.0, gt=0, le=1000)
    when_dosed: str | None = None
    rationale: str = Field(min_length=1, max_length=2000)
    source: str = Field(min_length=1, max_length=200)

    @model_validator(mode="after")
    def _bounds(self) -> "Band":
        if self.reference == "population":
            if self.low is not None or self.high is not None:
                raise ValueError("a band with reference: population takes its bounds from the reference band; "
                                 "give low_percentile/high_percentile instead of low/high")
            if self.low_percentile is None and self.high_percentile is None:
                raise ValueError("a band with reference: population needs low_percentile and/or high_percentile "
                                 "(e.g. 25 and 75 for the middle half of the band)")
            if self.relative_to is not None:
                raise ValueError("a band with reference: population compares absolute values; remove relative_to")
        elif self.low_percentile is not None or self.high_percentile is not None:
            raise ValueError("low_percentile/high_percentile need reference: population")
        elif self.low is None and self.high is None:
            raise ValueError("a band needs low and/or high (or reference: population with percentiles)")
        lo = self.low if self.low is not None else self.low_percentile
        hi = self.high if self.high is not None else self.high_percentile
        if lo is not None and hi is not None and not lo < hi:
            raise ValueError(f"the band's lower bound ({lo:g}) must be below its upper bound ({hi:g})")
        if self.from_h is not None and self.to_h is not None and not self.from_h < self.to_h:
            raise ValueError(f"from_h ({self.from_h:g}) must be before to_h ({self.to_h:g})")
        return self

    @property
    def bounds(self) -> tuple[float, float]:
        return (-np.inf if self.low is None else self.low, np.inf if self.high is None else self.high)


class Stability(_Strict):
    max_fluctuation: float = Field(gt=0, description="(max - min) / mean over each band's window")
    weight: float = Field(1.0, gt=0, le=1000)
    source: str = Field("assumed", min_length=1, max_length=200)


class TargetProfile(_Strict):
    profile: Literal[1]
    name: str = Field(min_length=1, max_length=120)
    description: str = Field("", max_length=4000)
    settle_h: float = Field(0.0, ge=0, description="stabilisation window before the bands are scored")
    bands: tuple[Band, ...] = Field(min_length=1, max_length=200)
    stability: Stability | None = None
    sources: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _ids_and_vocabulary(self) -> "TargetProfile":
        from ..protocol.schema import REGIONS, is_known_quantity

        seen: set[str] = set()
        for i, band in enumerate(self.bands):
            if band.id in seen:
                raise ValueError(f"bands[{i}].id: {band.id!r} is used twice; every band needs its own id")
            seen.add(band.id)
            for q in (band.quantity, *band.plus):
                if not is_known_quantity(q):
                    raise ValueError(f"bands[{i}]: {q!r} is not a readout quantity (docs/targets.md; drug "
                                     "readouts such as plasma.escitalopram and occupancy.SERT are allowed)")
            if band.source not in self.sources and band.source not in known_sources():
                raise ValueError(f"bands[{i}].source: {band.source!r} is not a reference key of the model or the "
                                 "drug library (`neuroscape cite`); define it under the profile's `sources:` "
                                 "or write 'assumed' and give the reason in the rationale")
            if band.region is not None and band.region not in REGIONS:
                raise ValueError(f"bands[{i}].region: {band.region!r} is not a region; allowed: {', '.join(REGIONS)}")
            if band.when_dosed is not None:
                from ..pharmacology.library import drug_names

                if band.when_dosed not in drug_names():
                    raise ValueError(f"bands[{i}].when_dosed: {band.when_dosed!r} is not a library drug "
                                     "(`neuroscape drugs list`)")
        return self


@lru_cache(maxsize=1)
def known_sources() -> frozenset[str]:
    from ..model.parameters import references
    from ..pharmacology.library import drug_references

    return frozenset(references()) | frozenset(drug_references()) | {"assumed"}


def parse_profile(data, source: str = "<profile>") -> TargetProfile:
    """A validated profile, or ProtocolError naming each bad key, its value and what is allowed."""
    try:
        return TargetProfile.model_validate(data)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"]) or "(top level)"
            msg = err["msg"].removeprefix("Value error, ")
            value = err.get("input")
            shown = "" if isinstance(value, (dict, list)) else f" (got {str(value)[:60]!r})"
            lines.append(f"  {where}: {msg}{shown}")
        raise ProtocolError(f"{source}: not a valid target profile (docs/targets.md):\n" + "\n".join(lines)) from None


def load_profile(name_or_path: str | Path) -> TargetProfile:
    """A shipped profile by name (`profile_names()`) or a YAML file."""
    if str(name_or_path) in profile_names():
        return _shipped(str(name_or_path))
    path = Path(name_or_path)
    if not path.is_file():
        raise ProtocolError(f"target profile {str(name_or_path)!r}: no such file and not a shipped profile; "
                            f"shipped: {', '.join(profile_names())}")
    try:
        text = textfiles.read_text(path, "target profile (YAML)")
        data = textfiles.load_yaml(text)
    except textfiles.TextFileError as exc:
        raise ProtocolError(f"{path}: {exc}") from None
    except yaml.YAMLError as exc:
        raise ProtocolError(f"{path}: not valid YAML ({exc})") from None
    except RecursionError:
        raise ProtocolError(f"{path}: not valid YAML (nested too deeply)") from None
    return parse_profile(data, str(path))


def _folder():
    return resources.files("neuroscape.manage").joinpath("data", "targets")


@lru_cache(maxsize=1)
def profile_names() -> tuple[str, ...]:
    return tuple(sorted(e.name.removesuffix(".yaml") for e in _folder().iterdir() if e.name.endswith(".yaml")))


@lru_cache(maxsize=None)
def _shipped(name: str) -> TargetProfile:
    entry = _folder().joinpath(f"{name}.yaml")
    return parse_profile(yaml.safe_load(entry.read_text(encoding="utf-8")), f"targets/{name}.yaml")


# --- evaluation ----------------------------------------------------------------------------------

Series = Callable[[Band], tuple[np.ndarray, np.ndarray]]
"""series(band) -> (times_h (t,), values (draws, t)) of the band's readout, dense enough to see the
peaks and troughs of a dosing interval (the caller's simulation decides the grid)."""


def resolve_reference(profile: TargetProfile, reference: Callable[[str, str | None], np.ndarray]) -> TargetProfile:
    """The profile with each `reference: population` band's bounds set from `reference(quantity, region)`,
    a sample of the person's same-sex, same-age reference band (assess.landscape.reference_band)."""
    bands = []
    for band in profile.bands:
        if band.reference != "population":
            bands.append(band)
            continue
        sample = np.asarray(reference(band.quantity, band.region), dtype=float)
        sample = sample[np.isfinite(sample)]
        if sample.size < 10:
            raise ProtocolError(f"band {band.id!r}: the population reference band of {band.quantity} has "
                                f"{sample.size} finite values; it needs at least 10")
        lo = None if band.low_percentile is None else float(np.percentile(sample, band.low_percentile))
        hi = None if band.high_percentile is None else float(np.percentile(sample, band.high_percentile))
        bands.append(band.model_copy(update=dict(low=lo, high=hi, reference=None, low_percentile=None,
                                                 high_percentile=None)))
    return profile.model_copy(update=dict(bands=tuple(bands)))


@dataclass(frozen=True)
class Attainment:
    """Per band (rows, in profile order) and posterior draw (columns)."""

    band_ids: tuple[str, ...]
    weights: np.ndarray      # (bands,)
    applies: np.ndarray      # (bands,) bool: False for a when_dosed band whose drug the plan does not dose
    attained: np.ndarray     # (bands, draws) bool
    loss: np.ndarray         # (bands, draws) >= 0, 0 when attained
    statistic: np.ndarray    # (bands, draws) the band's statistic (time in band for time_in_band)
    fluctuation: np.ndarray  # (bands, draws) (max - min) / mean over the window

    @property
    def jointly(self) -> np.ndarray:
        """(draws,) every applicable band attained."""
        return np.all(self.attained[self.applies], axis=0)

    def total_loss(self, stability: Stability | None = None) -> np.ndarray:
        """(draws,) the weighted sum of band losses, plus the stability penalty (fluctuation beyond the
        limit, relative to it) weighted as the profile says."""
        w = np.where(self.applies, self.weights, 0.0)[:, None]
        total = np.sum(w * self.loss, axis=0)
        if stability is not None:
            excess = np.maximum(self.fluctuation[self.applies] / stability.max_fluctuation - 1.0, 0.0)
            total = total + stability.weight * np.sum(np.nan_to_num(excess), axis=0)
        return total


def scoring_window(band: Band, profile: TargetProfile, horizon_h: float) -> tuple[float, float]:
    """The hours from now over which `band` is scored: from `from_h` (default the profile's settle_h) to `to_h`
    (default the end of the horizon)."""
    start = profile.settle_h if band.from_h is None else band.from_h
    end = horizon_h if band.to_h is None else min(band.to_h, horizon_h)
    if not start < end:
        raise ProtocolError(f"band {band.id!r}: its window {start:g}-{end:g} h is empty within the horizon "
                            f"of {horizon_h:g} h; lengthen the horizon or move from_h/settle_h")
    return start, end


def _distance(values: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """How far outside [lo, hi], in units of the band's width (or of the bound for a one-sided band)."""
    scale = (hi - lo) if np.isfinite(lo) and np.isfinite(hi) else abs(lo if np.isfinite(lo) else hi) or 1.0
    return (np.maximum(lo - values, 0.0) + np.maximum(values - hi, 0.0)) / scale


def attainment(profile: TargetProfile, series: Series, horizon_h: float,
               dosed: tuple[str, ...] = ()) -> Attainment:
    """Score every band on every draw (see the module docstring). Bands with `reference: population`
    must be resolved first (`resolve_reference`)."""
    n_bands = len(profile.bands)
    rows = {k: [] for k in ("attained", "loss", "statistic", "fluctuation")}
    applies = np.array([b.when_dosed is None or b.when_dosed in dosed for b in profile.bands])
    draws = None
    for band, use in zip(profile.bands, applies):
        if band.reference is not None:
            raise ProtocolError(f"band {band.id!r} still refers to the population band; resolve_reference first")
        if not use:
            for k in rows:
                rows[k].append(None)
            continue
        start, end = scoring_window(band, profile, horizon_h)
        t, v = series(band)
        t, v = np.asarray(t, float), np.atleast_2d(np.asarray(v, float))
        inside = (t >= start - 1e-9) & (t <= end + 1e-9)
        if inside.sum() < 2:
            raise ProtocolError(f"band {band.id!r}: fewer than two readout times in its window {start:g}-{end:g} h")
        t, v = t[inside], v[:, inside]
        draws = v.shape[0]
        lo, hi = band.bounds
        in_band = (v >= lo) & (v <= hi)
        mean = np.trapezoid(v, t, axis=1) / (t[-1] - t[0])
        with np.errstate(divide="ignore", invalid="ignore"):
            fluct = np.where(mean > 0, (v.max(axis=1) - v.min(axis=1)) / mean, np.nan)
        if band.statistic == "time_in_band":
            # fraction of the window in band, by the trapezoid rule on the indicator
            stat = np.trapezoid(in_band.astype(float), t, axis=1) / (t[-1] - t[0])
            ok = stat >= band.min_time_in_band - 1e-12
            # loss: the shortfall of time in band plus how far the typical value lies outside
            loss = np.where(ok, 0.0, (band.min_time_in_band - stat) + _distance(np.median(v, axis=1), lo, hi))
        else:
            stat = {"min": v.min(axis=1), "max": v.max(axis=1), "mean": mean}[band.statistic]
            ok = (stat >= lo) & (stat <= hi)
            loss = _distance(stat, lo, hi)
        for k, x in zip(rows, (ok, loss, stat, fluct)):
            rows[k].append(x)
    draws = draws or 1
    filled = {k: np.array([np.full(draws, fill) if r is None else r for r in rows[k]]).reshape(n_bands, draws)
              for k, fill in zip(rows, (True, 0.0, np.nan, np.nan))}
    return Attainment(tuple(b.id for b in profile.bands), np.array([b.weight for b in profile.bands]), applies,
                      filled["attained"].astype(bool), filled["loss"], filled["statistic"], filled["fluctuation"])
