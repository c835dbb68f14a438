"""Blood-brain barrier: saturable LAT1 influx of Trp and Tyr in competition with the other large
neutral amino acids (Smith et al. 1987 constants); first-order efflux back to blood. Supplemented
5-HTP crosses on LAT1 too (it competes, and is 0 at baseline) into brain extracellular 5-HTP, which
serotonergic terminals take up (serotonin.py) and other brain AADC decarboxylates."""

from __future__ import annotations

from ..network import Expression, FittedTo, Module, Parameter, Reaction, Readout, Species
from ..parameters import load_table
from .plasma import AMINO_ACIDS


def _influx(aa: str, substrate: str) -> str:
    return f"lat1_vmax * ({substrate} / lat1_km_{aa}) / lat1_sat"


def build(plasma_params: dict[str, Parameter]) -> Module:
    params = load_table("bbb")
    competing = " + ".join(f"p_{a} / lat1_km_{a}" for a in AMINO_ACIDS if a != "trp")
    expressions = [
        Expression("trp_lat1", "trp_free + trp_bound_availability * (p_trp - trp_free)", "uM",
                   "plasma Trp available to LAT1 in the brain capillary"),
        Expression("lat1_sat", f"1 + trp_lat1 / lat1_km_trp + {competing} + p_htp / lat1_km_htp + lat1_extra",
                   "dimensionless"),
    ]
    # Efflux constants are set so that the sourced brain levels hold at fasting plasma levels.
    efflux = {}
    for aa in ("trp", "tyr"):
        efflux[aa] = _baseline_influx(aa, params, plasma_params) / params[f"brain_{aa}_target"].value
    params["k_efflux_trp"] = Parameter(
        "k_efflux_trp", efflux["trp"], "1/h", "fitted", "fitted", module="bbb",
        fitted_to=FittedTo((params["brain_trp_target"].source,), "brain Trp = brain_trp_target at fasting plasma"),
        note="Efflux/utilisation of brain Trp so that brain Trp = brain_trp_target at fasting plasma")
    params["k_efflux_tyr"] = Parameter(
        "k_efflux_tyr", efflux["tyr"], "1/h", "fitted", "fitted", module="bbb",
        fitted_to=FittedTo((params["brain_tyr_target"].source,), "brain Tyr = brain_tyr_target at fasting plasma"),
        note="Efflux/utilisation of brain Tyr so that brain Tyr = brain_tyr_target at fasting plasma")
    species = [Species("brain_trp", "brain", "uM", params["brain_trp_target"].value, "brain tryptophan"),
               Species("brain_tyr", "brain", "uM", params["brain_tyr_target"].value, "brain tyrosine"),
               Species("brain_htp", "brain", "uM", 0.0, "brain extracellular 5-HTP from supplements")]
    reactions = [
        Reaction("bbb_trp_in", _influx("trp", "trp_lat1"), {"brain_trp": 1}),
        Reaction("bbb_trp_out", "k_efflux_trp * brain_trp", {"brain_trp": -1}),
        Reaction("bbb_tyr_in", _influx("tyr", "p_tyr"), {"brain_tyr": 1}),
        Reaction("bbb_tyr_out", "k_efflux_tyr * brain_tyr", {"brain_tyr": -1}),
        Reaction("bbb_htp_in", _influx("htp", "p_htp"), {"brain_htp": 1}),
        # 5-HTP leaves by LAT1 exchange like Trp (same rate constant, assumed)
        Reaction("bbb_htp_out", "k_efflux_trp * brain_htp", {"brain_htp": -1}),
        Reaction("brain_htp_aadc", "htp_brain_aadc * brain_htp", {"brain_htp": -1},
                 "decarboxylation outside serotonergic terminals"),
    ]
    readouts = [Readout("brain.tryptophan", None, "brain_trp", "uM"),
                Readout("brain.tyrosine", None, "brain_tyr", "uM"),
                Readout("brain.5-htp", None, "brain_htp", "uM")]
    return Module("bbb", tuple(species), tuple(params.values()), tuple(expressions),
                  tuple(reactions), tuple(readouts))


def _baseline_influx(aa: str, params: dict, plasma: dict) -> float:
    p = {a: plasma[f"p0_{a}"].value for a in AMINO_ACIDS}
    km = {a: params[f"lat1_km_{a}"].value for a in AMINO_ACIDS}
    total, alb = p["trp"], plasma["albumin"].value
    kd = plasma["trp_albumin_kd"].value
    b = total - alb - kd
    free = 0.5 * (b + (b * b + 4 * kd * total) ** 0.5)
    p["trp"] = free + params["trp_bound_availability"].value * (total - free)
    sat = 1 + sum(p[a] / km[a] for a in AMINO_ACIDS)
    return params["lat1_vmax"].value * (p[aa] / km[aa]) / sat

