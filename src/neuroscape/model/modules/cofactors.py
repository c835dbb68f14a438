"""Shared cofactors: pyridoxal 5'-phosphate (vitamin B6) saturation of AADC and GAD."""

from __future__ import annotations

from ..network import Expression, Module
from ..parameters import load_table


def build() -> Module:
    params = load_table("cofactors")
    expressions = [Expression("plp_sat", "plp_fold * (1 + plp_k) / (plp_fold + plp_k)", "dimensionless",
                              "holoenzyme fraction of PLP enzymes relative to replete (1 at plp_fold 1)")]
    return Module("cofactors", (), tuple(params.values()), tuple(expressions))
