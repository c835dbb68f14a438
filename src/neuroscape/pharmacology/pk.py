"""Linear pharmacokinetics solved exactly: superposition of the analytic 1- and 2-compartment
solutions for oral (first order, with lag), IV bolus and zero-order infusion doses.

Drugs with a saturable (Michaelis-Menten) route are non-linear: use `neuroscape.simulate`, which
integrates the same model as ODEs (the tests check both against each other)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from ..errors import DataError
from .library import Drug


@dataclass(frozen=True)
class LinearPK:
    """Micro-constants of a linear model (per hour, litres)."""

    v: float
    cl: float
    ka: float | None = None
    f: float = 1.0
    lag: float = 0.0
    vp: float | None = None
    q: float | None = None
    release_h: float | None = None  # zero-order release from the tablet into the gut over this time

    @property
    def ke(self) -> float:
        return self.cl / self.v

    def rates(self) -> tuple[float, ...]:
        """Disposition exponents: (ke,) or (alpha, beta)."""
        if self.vp is None:
            return (self.ke,)
        k10, k12, k21 = self.cl / self.v, self.q / self.v, self.q / self.vp
        s = k10 + k12 + k21
        disc = np.sqrt(s * s - 4 * k10 * k21)
        return ((s + disc) / 2, (s - disc) / 2)


def linear_pk(drug: Drug, *, weight_kg: float = 70.0,
              activity: Mapping[str, float] | None = None, formulation: str | None = None) -> LinearPK:
    """Parameters of a linear drug for one subject; `activity` maps enzyme -> clearance multiplier,
    `formulation` picks an oral product of the library (None: the default absorption). A drug's
    inhibition or inactivation of its own routes (moclobemide) is not applied: these are the
    parameters of a first, small dose; `neuroscape.simulate` has the rest."""
    activity = activity or {}
    cl = 0.0
    for path in drug.elimination:
        if path.clearance_L_per_h is None:
            raise DataError(f"{drug.name}: route {path.enzyme} is saturable (Michaelis-Menten); "
                            "its PK is non-linear: use neuroscape.simulate")
        cl += path.clearance_L_per_h.value * activity.get(path.enzyme, 1.0)
    r = weight_kg / 70.0
    dist = drug.distribution
    ab = drug.absorption_for(formulation) if drug.absorption is not None else None
    release = getattr(ab, "release_duration_h", None)
    two = dist.compartments == 2
    return LinearPK(v=dist.volume_L.value * r, cl=cl * r ** 0.75,
                    ka=ab.ka_per_h.value if ab else None, f=ab.bioavailability.value if ab else 1.0,
                    lag=ab.lag_h.value if ab and ab.lag_h else 0.0,
                    vp=dist.peripheral_volume_L.value * r if two else None,
                    q=dist.intercompartmental_clearance_L_per_h.value * r ** 0.75 if two else None,
                    release_h=release.value if release is not None else None)


def _disposition(pk: LinearPK) -> list[tuple[float, float]]:
    """(coefficient per unit amount, exponent) pairs of the IV bolus response."""
    if pk.vp is None:
        return [(1.0 / pk.v, pk.ke)]
    a, b = pk.rates()
    k21 = pk.q / pk.vp
    return [((a - k21) / ((a - b) * pk.v), a), ((k21 - b) / ((a - b) * pk.v), b)]


def _unit_bolus(pk: LinearPK, t: np.ndarray) -> np.ndarray:
    """Concentration per unit amount after an IV bolus at t = 0."""
    return sum(w * np.exp(-lam * t) for w, lam in _disposition(pk))


def _unit_oral(pk: LinearPK, t: np.ndarray) -> np.ndarray:
    """Concentration per unit absorbed amount for first-order absorption (the Bateman function
    for one compartment), by convolution of the disposition exponentials with ka exp(-ka t)."""
    ka = pk.ka
    out = np.zeros_like(t)
    for w, lam in _disposition(pk):
        if abs(ka - lam) < 1e-9 * ka:
            out += w * ka * t * np.exp(-lam * t)
        else:
            out += w * ka / (ka - lam) * (np.exp(-lam * t) - np.exp(-ka * t))
    return out


def _zero_order(lam: float, t: np.ndarray, duration: float) -> np.ndarray:
    """Response of one exponential exp(-lam t) to a unit-rate input from 0 to `duration`:
    integral over s in [0, min(t, duration)] of exp(-lam (t - s)) ds."""
    return (1 - np.exp(-lam * np.minimum(t, duration))) / lam * np.exp(-lam * np.clip(t - duration, 0, None))


def _unit_release(pk: LinearPK, t: np.ndarray, duration: float) -> np.ndarray:
    """Concentration per unit absorbed amount when the tablet releases it at a constant rate over
    `duration` into the gut: the first-order (Bateman) response averaged over the release times, i.e.
    each term of `_unit_oral` given the zero-order input of `_unit_infusion`."""
    ka = pk.ka
    out = np.zeros_like(t)
    for w, lam in _disposition(pk):
        if abs(ka - lam) < 1e-9 * ka:
            raise DataError("zero-order release with ka equal to a disposition rate (the equal-rate limit is "
                            "not implemented): change ka_per_h of the formulation slightly")
        out += w * ka / (ka - lam) * (_zero_order(lam, t, duration) - _zero_order(ka, t, duration))
    return out / duration


def _unit_infusion(pk: LinearPK, t: np.ndarray, duration: float) -> np.ndarray:
    """Concentration per unit rate for a zero-order input from 0 to `duration`."""
    return sum(w * _zero_order(lam, t, duration) for w, lam in _disposition(pk))


def concentration(pk: LinearPK, doses: Iterable[tuple[float, float, str, float | None]],
                  times) -> np.ndarray:
    """Plasma concentration at `times` by superposition of doses (time_h, amount, route
    'oral' | 'iv', infusion_h or None). Units follow the amount: mg doses give mg/L (x1000: ng/mL).

    >>> pk = LinearPK(v=10.0, cl=1.0)
    >>> float(concentration(pk, [(0.0, 5.0, "iv", None)], [0.0])[0])
    0.5
    """
    t = np.asarray(times, dtype=float)
    c = np.zeros_like(t)
    for t0, amount, route, infusion_h in doses:
        if infusion_h:
            dt = t - t0
            mask = dt > 0
            c[mask] += amount / infusion_h * _unit_infusion(pk, dt[mask], infusion_h)
        elif route == "iv":
            dt = t - t0
            mask = dt >= 0
            c[mask] += amount * _unit_bolus(pk, dt[mask])
        else:
            if pk.ka is None:
                raise DataError("an oral dose needs an absorption rate (ka)")
            dt = t - t0 - pk.lag
            mask = dt > 0
            unit = _unit_release(pk, dt[mask], pk.release_h) if pk.release_h else _unit_oral(pk, dt[mask])
            c[mask] += pk.f * amount * unit
    return c


def steady_state_oral_1cpt(pk: LinearPK, dose: float, tau: float, t_since_dose) -> np.ndarray:
    """Closed form at steady state of repeated oral doses every `tau` h (one compartment)."""
    t = np.asarray(t_since_dose, dtype=float) - pk.lag
    ke, ka = pk.ke, pk.ka
    t = np.mod(t, tau)
    return (pk.f * dose * ka / (pk.v * (ka - ke))
            * (np.exp(-ke * t) / (1 - np.exp(-ke * tau)) - np.exp(-ka * t) / (1 - np.exp(-ka * tau))))


def half_life_h(pk: LinearPK) -> float:
    """Terminal half-life."""
    return float(np.log(2) / min(pk.rates()))
