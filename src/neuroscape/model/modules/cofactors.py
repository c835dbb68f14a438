"""Shared cofactors: vitamin B6. Plasma pyridoxal 5'-phosphate (PLP) relaxes to the level that
dietary and supplemental B6 sustain (saturable formation, status-independent half-life). Brain PLP
follows plasma PLP through a saturable, homeostatic uptake (Spector & Shikuma 1978: massive pyridoxine
raised brain PLP by only 39%; brain B6 is better kept than liver's in deficiency) and sets the PLP
saturation of AADC and GAD."""

from __future__ import annotations

from ..network import Expression, Module, Reaction, Readout, Species
from ..parameters import load_table

# absorbed B6 (mg/d) of the typical diet and of the current intake
_DIET = "b6_diet * b6_food_f"
_INTAKE = f"(plp_fold * {_DIET} + b6_pn_f * b6_supplement)"


def _plp_level(absorbed: str) -> str:
    """Steady-state plasma PLP (nmol/L) at an absorbed B6 intake (mg/d)."""
    return f"plp_max * {absorbed} / (plp_ka + {absorbed})"


def build() -> Module:
    params = load_table("cofactors")
    species = (Species("p_plp", "plasma", "nmol/L", _steady(params), "plasma pyridoxal 5'-phosphate",
                       "cofactors"),)
    expressions = (
        Expression("plp_target", _plp_level(_INTAKE), "nmol/L", "plasma PLP the current B6 intake sustains"),
        Expression("plp_rel", f"p_plp / ({_plp_level(_DIET)})", "dimensionless",
                   "plasma PLP relative to the typical diet"),
        Expression("plp_brain_rel", "plp_rel * (1 + plp_brain_k) / (plp_rel + plp_brain_k)", "dimensionless",
                   "brain PLP relative to the typical diet: saturable uptake, at most 1 + plp_brain_k"),
        Expression("plp_sat", "plp_brain_rel * (1 + plp_k) / (plp_brain_rel + plp_k)", "dimensionless",
                   "holoenzyme fraction of PLP enzymes relative to replete (1 on the typical diet)"),
    )
    # formation and first-order loss share one rate constant: the half-life does not depend on status
    reactions = (Reaction("plp_turnover", "plp_turnover * (plp_target - p_plp)", {"p_plp": 1},
                          "hepatic PLP formation from absorbed B6 minus hydrolysis and loss"),)
    readouts = (Readout("plasma.plp", None, "p_plp", "nmol/L"),
                Readout("activity.AADC", None, "plp_sat", "1",
                        description="brain AADC holoenzyme (PLP-saturated) fraction relative to the typical diet"))
    return Module("cofactors", species, tuple(params.values()), expressions, reactions, readouts)


def _steady(params: dict) -> float:
    diet = params["b6_diet"].value * params["b6_food_f"].value
    return params["plp_max"].value * diet / (params["plp_ka"].value + diet)
