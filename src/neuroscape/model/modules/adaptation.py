"""Slow adaptation as a swappable hypothesis module.

"homeostatic" (default):
- raphe 5-HT1A autoreceptors desensitise by integral feedback on their G-protein activation,
  d r1a/dt = k r1a (1 - G*/G*0) (1 - r1a/r_max)/(1 - 1/r_max), so raphe firing returns to its set
  point over weeks under a sustained rise in 5-HT (Czachura & Rasmussen 2000; Le Poul 1995), and
  without 5-HT (TPH2 knockout) up-regulation stops at r_max;
- surface SERT is internalised in proportion to its occupancy (Benmansour 1999);
- D2 receptors are up-regulated in proportion to antagonist occupancy (Silvestri 2000).
"none": the same names as constants (no adaptation), for comparison (Commons & Linnros 2019
argue that raphe recovery may come from elsewhere: swap in another module with these names).
"""

from __future__ import annotations

from ..network import Expression, Module, Reaction, Readout, Species
from ..parameters import load_table

NAMES = ("r1a_adapt", "sert_surface", "d2_density")


def build(kind: str = "homeostatic") -> Module:
    readouts = (Readout("receptor.5HT1A.sensitivity", None, "htr1a_expr_raphe * e2_htr1a * r1a_adapt", "1"),
                Readout("receptor.SERT.surface", None, "sert_surface", "1"),
                Readout("receptor.D2.density", None, "d2_density", "1"),
                Readout("receptor.D2.sensitivity", None, "d2_density", "1",
                        description="D2 autoreceptor sensitivity follows receptor density"))
    if kind == "none":
        return Module("adaptation:none", expressions=tuple(Expression(n, "1", "dimensionless") for n in NAMES),
                      readouts=readouts)
    if kind != "homeostatic":
        from ...errors import ModelError

        raise ModelError(f"adaptation = {kind!r}; allowed: 'homeostatic', 'none'")
    params = load_table("adaptation")
    species = tuple(Species(n, "brain", "dimensionless", 1.0, module="adaptation") for n in NAMES)
    reactions = (
        Reaction("r1a_desensitisation",
                 "k_1a_desens * r1a_adapt * (1 - arg_raphe / fire_g0)"
                 " * (1 - r1a_adapt / r1a_max) / (1 - 1 / r1a_max)", {"r1a_adapt": 1}),
        Reaction("sert_trafficking",
                 "k_sert_traffic * (1 - sert_internalisation_max * x_SERT / (1 + x_SERT) - sert_surface)",
                 {"sert_surface": 1}),
        Reaction("d2_trafficking", "k_d2_traffic * (1 + d2_upregulation_max * x_D2 / (1 + x_D2) - d2_density)",
                 {"d2_density": 1}),
    )
    return Module("adaptation", species, tuple(params.values()), (), reactions, readouts)
