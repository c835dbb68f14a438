"""Minimal noradrenergic terminals: TH makes DA in the terminal, vesicular uptake with dopamine
beta-hydroxylase turns it into NE, release with locus coeruleus firing, NET reuptake (back into
vesicles; cytosolic NE is lumped), MAO-A/COMT and diffusion remove it."""

from __future__ import annotations

from ..network import Expression, Module, Reaction, Readout, Species, represented_by
from ..parameters import load_table

REGIONS = ("prefrontal", "cortex")
_INITIAL = {"cda_ne": 1.0, "vne": 40.0, "ene": 0.001, "mhpg": 10.4}


def build() -> Module:
    params = load_table("norepinephrine")
    species, reactions, expressions, readouts = [], [], [], []
    for r in REGIONS:
        def s(name: str) -> str:
            return f"{name}_{r}"

        species += [Species(s(k), r, "uM", v, module="norepinephrine") for k, v in _INITIAL.items()]
        expressions.append(Expression(
            s("v_th_ne"),
            f"th_vmax_ne * th_scale / (1 + brain_tyr / th_ki_tyr) * brain_tyr / (th_km_tyr + brain_tyr)"
            f" * (d2_auto_max / (d2_auto_steep * ({s('ene')} / alpha2_k)**4 + 1) + d2_auto_min)",
            "uM/h", "TH flux in NE terminals with alpha2 autoreceptor feedback"))
        reactions += [
            Reaction(s("th_ne"), s("v_th_ne"), {s("cda_ne"): 1}),
            Reaction(s("vmat_dbh"), f"vmat_dbh_vmax * {s('cda_ne')} / (vmat_km_da + {s('cda_ne')})",
                     {s("cda_ne"): -1, s("vne"): 1}),
            Reaction(s("cda_ne_catab"), f"cda_catab * maoa_act_{r} * {s('cda_ne')}",
                     {s("cda_ne"): -1, s("mhpg"): 1}),
            Reaction(s("release_ne"), f"rel_ne * lc_fire * {s('vne')}", {s("vne"): -1, s("ene"): 1}),
            Reaction(s("net"), f"net_vmax * net_expr_{r} * {s('ene')} / (net_km_ne * (1 + x_NET) + {s('ene')})",
                     {s("ene"): -1, s("vne"): 1}),
            Reaction(s("ene_loss"), f"ne_removal * comt_expr * {s('ene')}", {s("ene"): -1}),
            Reaction(s("mhpg_out"), f"mhpg_removal * {s('mhpg')}", {s("mhpg"): -1}),
        ]
        readouts.append(Readout("brain.norepinephrine.extracellular", r, s("ene"), "nM", 1000.0))
    readouts += represented_by(readouts, "cortex", ("hippocampus", "striatum"),
                               "represented by the cortex terminal model")
    readouts.append(Readout("firing.locus_coeruleus", None, "lc_fire", "1"))
    defaults = {"brain.norepinephrine.extracellular": "prefrontal"}
    return Module("norepinephrine", tuple(species), tuple(params.values()), tuple(expressions),
                  tuple(reactions), tuple(readouts), defaults)
