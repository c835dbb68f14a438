"""Plasma free (non-esterified) fatty acids, the albumin competitor of tryptophan.

Adipose lipolysis supplies FFA and tissues remove them first-order, so plasma FFA relax toward the
level their supply sets:

    d p_ffa / dt = k_ffa * (nefa0 * drive - p_ffa)
    drive = nefa_fold * (1 + ffa_exercise_gain * exercise_lipolysis) * (1 + ffa_fast_gain * fast_adapt)
            * ffa_cortisol

Exercise (`exercise_lipolysis`, held during a session) acts at once; a prolonged fast through a slow
adaptation state (`fast_adapt`, 0 after the overnight fast of the baseline, relaxing toward the input
`fasting` with half-time ln 2 / k_fast); cortisol through a lagged effect state (`ffa_cortisol`, relaxing
toward cortisol_rel ** ffa_cortisol_gain). `nefa_fold` carries lipolytic drives the model has no species
for (catecholamine stress). Every term is 1 at the baseline, so p_ffa starts at nefa0.

FFA displace Trp from its albumin site (trp_kd_app in plasma.py), which raises free Trp; LAT1 sees free
Trp plus the share of bound Trp that dissociates in the brain capillary (bbb.py).
"""

from __future__ import annotations

from ..network import Expression, Module, Reaction, Readout, Species
from ..parameters import load_table


def build() -> Module:
    params = load_table("ffa")
    species = (
        Species("p_ffa", "plasma", "uM", params["nefa0"].value, "plasma free (non-esterified) fatty acids", "ffa"),
        Species("fast_adapt", "plasma", "dimensionless", 0.0,
                "adaptation of lipolysis to a fast beyond the overnight one (0 none, 1 complete)", "ffa"),
        Species("ffa_cortisol", "plasma", "dimensionless", 1.0,
                "cortisol's lipolytic effect relative to the baseline (lags plasma cortisol)", "ffa"),
    )
    expressions = (
        Expression("ffa_drive", "nefa_fold * (1 + ffa_exercise_gain * exercise_lipolysis)"
                                " * (1 + ffa_fast_gain * fast_adapt) * ffa_cortisol", "dimensionless",
                   "FFA supply relative to the overnight-fasted baseline", "ffa"),
    )
    reactions = (
        Reaction("ffa_supply", "k_ffa * nefa0 * ffa_drive", {"p_ffa": 1}, "adipose lipolysis", "ffa"),
        Reaction("ffa_removal", "k_ffa * p_ffa", {"p_ffa": -1}, "uptake and oxidation by tissues", "ffa"),
        Reaction("fast_adaptation", "k_fast * (fasting - fast_adapt)", {"fast_adapt": 1},
                 "glycogen depletion and falling insulin over days of fasting, undone on refeeding", "ffa"),
        Reaction("ffa_cortisol_effect", "k_ffa_cortisol * (cortisol_rel**ffa_cortisol_gain - ffa_cortisol)",
                 {"ffa_cortisol": 1}, "glucocorticoid induction of adipose lipolysis", "ffa"),
    )
    readouts = (Readout("plasma.ffa", None, "p_ffa", "mM", scale=0.001,
                        description="plasma free (non-esterified) fatty acids"),)
    return Module("ffa", species, tuple(params.values()), expressions, reactions, readouts)
