"""GABA: GAD65/67 (PLP-dependent, feedback-inhibited by GABA) makes GABA from glutamate,
vesicular release, GAT1 reuptake, glial uptake, and GABA-T degradation. GABA-T is an enzyme pool
with its own synthesis and degradation, so irreversible inhibitors act for days. GABA-A signalling
is ambient GABA activation scaled by two positive allosteric modulators at separate sites:
benzodiazepines (drug hook occ_GABAA_BZ) and allopregnanolone (from progesterone, hormones.py)."""

from __future__ import annotations

from ..network import Expression, Module, Reaction, Readout, Species
from ..parameters import load_table

REGIONS = ("cortex", "prefrontal", "hippocampus", "striatum")


def build() -> Module:
    params = load_table("gaba")
    species, reactions, readouts = [], [], []
    expressions = [Expression("occ_GABAA_allo", "allo_brain_plasma * allopregnanolone"
                                                " / (allo_gabaa_ec50 + allo_brain_plasma * allopregnanolone)",
                              "dimensionless", "GABA-A neurosteroid-site occupancy by allopregnanolone")]
    for r in REGIONS:
        def s(name: str) -> str:
            return f"{name}_{r}"

        species += [Species(s("gaba"), r, "uM", 1100.0, "tissue GABA", "gaba"),
                    Species(s("egaba"), r, "uM", 0.2, "extracellular GABA", "gaba"),
                    Species(s("gabat"), r, "dimensionless", 1.0, "GABA-T enzyme amount (relative)", "gaba")]
        reactions += [
            Reaction(s("gad"), f"gad_vmax * gad_expr_{r} * plp_sat * glutamate / (gad_km_glu + glutamate)"
                               f" / (1 + ({s('gaba')} / gad_ki_gaba)**gad_feedback_hill)", {s("gaba"): 1}),
            Reaction(s("gaba_t"), f"gabat_vmax * {s('gabat')} * {s('gaba')} / (gabat_km + {s('gaba')})",
                     {s("gaba"): -1}),
            Reaction(s("gaba_release"), f"gaba_release * gaba_fire * {s('gaba')}",
                     {s("gaba"): -1, s("egaba"): 1}),
            Reaction(s("gat1"), f"gat1_vmax * gat1_expr_{r} * {s('egaba')} / (gat1_km + {s('egaba')})",
                     {s("egaba"): -1, s("gaba"): 1}),
            Reaction(s("gaba_glia"), f"gaba_glia_uptake * {s('gabat')} * {s('egaba')}", {s("egaba"): -1}),
            Reaction(s("gabat_synthesis"), f"gabat_turnover * gabat_expr_{r}", {s("gabat"): 1}),
            Reaction(s("gabat_degradation"), f"gabat_turnover * {s('gabat')}", {s("gabat"): -1}),
            Reaction(s("gabat_inactivation"), f"kin_GABAT * {s('gabat')}", {s("gabat"): -1},
                     "irreversible inhibition (drug hook)"),
        ]
        readouts += [
            Readout("brain.gaba", r, f"{s('gaba')} / tissue_density", "mmol/kg", 1e-3,
                    "tissue GABA per kg, comparable with 1H MRS"),
            Readout("brain.gaba.extracellular", r, s("egaba"), "uM"),
            Readout("activity.GABA-T", r, s("gabat"), "1"),
            Readout("activity.GAD", r, f"gad_expr_{r} * plp_sat", "1",
                    description="GAD expression x PLP holoenzyme fraction (vitamin B6 status)"),
            Readout("signalling.GABAA", r,
                    f"{s('egaba')} / (gabaa_ec50 + {s('egaba')}) * (1 + gabaa_pam_gain * occ_GABAA_BZ)"
                    " * (1 + allo_pam_gain * occ_GABAA_allo)", "1",
                    description="fraction of GABA-A receptor activation by ambient GABA, scaled by "
                                "benzodiazepine-site and neurosteroid (allopregnanolone) modulation; "
                                "use relative_to: baseline"),
        ]
    defaults = {"brain.gaba": "cortex", "brain.gaba.extracellular": "cortex", "activity.GABA-T": "cortex",
                "activity.GAD": "cortex"}
    readouts.append(Readout("occupancy.GABAA-neurosteroid", None, "occ_GABAA_allo", "1",
                            description="GABA-A neurosteroid site occupied by allopregnanolone"))
    return Module("gaba", tuple(species), tuple(params.values()), tuple(expressions), tuple(reactions),
                  tuple(readouts), defaults)
