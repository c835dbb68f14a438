"""Kynurenine branch: hepatic TDO (induced by cortisol) and IDO (induced by cytokines) consume
plasma tryptophan and form kynurenine; enzyme activities relax to their induced targets with
their own turnover. Muscle kynurenine aminotransferase (KAT), induced by exercise training over weeks,
converts a small share of plasma kynurenine to kynurenic acid (KYNA), which the kidney secretes."""

from __future__ import annotations

import math

from ..network import Expression, Module, Reaction, Readout, Species
from ..parameters import load_table

# trp_excess is a smooth max(1, u), u = plasma Trp / fasting: 1 + (x + sqrt(x^2 + eps)) / 2 with x = u - 1.
# eps is numerical (a kink-free floor for the integrator, rounded over about 1% of fasting Trp), not a
# measured value; at fasting the floor is 1 + sqrt(eps) / 2 = 1.005, which normalises the TDO target.
_FLOOR_EPS = 1e-4
_EXCESS_AT_FASTING = 1 + 0.5 * math.sqrt(_FLOOR_EPS)


def build() -> Module:
    params = load_table("kynurenine")
    species = (Species("p_kyn", "plasma", "uM", params["p0_kyn"].value, "plasma kynurenine", "kynurenine"),
               Species("p_kyna", "plasma", "uM", params["p0_kyna"].value, "plasma kynurenic acid", "kynurenine"),
               Species("kat_muscle", "muscle", "dimensionless", 1.0,
                       "muscle KAT expression relative to an untrained adult", "kynurenine"),
               Species("tdo", "liver", "dimensionless", 1.0, "TDO activity relative to basal", "kynurenine"),
               Species("ido", "periphery", "dimensionless", 1.0, "IDO activity relative to basal", "kynurenine"))
    expressions = (Expression("trp_excess", f"1 + 0.5 * ((p_trp / p0_trp - 1) + sqrt((p_trp / p0_trp - 1)**2 + {_FLOOR_EPS!r}))",
                              "dimensionless", f"plasma Trp over fasting, floored smoothly at 1 ({_EXCESS_AT_FASTING!r} at fasting)"),
                   Expression("tdo_target",
                              "(1 + tdo_cort_emax * cortisol_rel / (tdo_cort_ec50 + cortisol_rel))"
                              " / (1 + tdo_cort_emax / (tdo_cort_ec50 + 1))"
                              f" * trp_excess * (tdo_trp_k + {_EXCESS_AT_FASTING!r})"
                              f" / ((tdo_trp_k + trp_excess) * {_EXCESS_AT_FASTING!r})",
                              "dimensionless",
                              "TDO activity target: glucocorticoid induction times activation and stabilisation by "
                              "its substrate (1 at basal cortisol and fasting plasma Trp)"),
                   # The share of Kyn clearance through muscle KAT follows from the share of plasma KYNA that
                   # muscle makes, so the Kyn consumed and the KYNA formed balance (KYNA turnover is a few
                   # tenths of a percent of Kyn turnover: parameters/kynurenine.yaml kat_muscle_kyna_share).
                   Expression("kat_kyn_share",
                              "kat_muscle_kyna_share * kyna_elim * p0_kyna"
                              " / (kyna_volume_ratio * kyn_clearance * p0_kyn)",
                              "dimensionless", "share of baseline plasma Kyn clearance through muscle KAT"),)
    reactions = (
        Reaction("tdo_flux", "tdo_vmax * tdo * p_trp / (tdo_km + p_trp)", {"p_trp": -1, "p_kyn": 1}),
        Reaction("ido_flux", "ido_vmax * ido * p_trp / (ido_km + p_trp)", {"p_trp": -1, "p_kyn": 1}),
        Reaction("kyn_clearance", "kyn_clearance * (1 - kat_kyn_share) * p_kyn", {"p_kyn": -1},
                 "hepatic kynureninase/KMO route and other tissues, KYNA formed elsewhere included"),
        Reaction("muscle_kat_flux", "kyn_clearance * kat_kyn_share * kat_muscle * p_kyn", {"p_kyn": -1},
                 "muscle KAT transaminates plasma Kyn to KYNA (its KYNA is formed in kyna_from_muscle)"),
        # KYNA formation: the muscle part is the Kyn flux above moved into KYNA's smaller volume,
        # written through the shares so that baseline KYNA is p0_kyna at baseline Kyn.
        Reaction("kyna_elsewhere", "(1 - kat_muscle_kyna_share) * kyna_elim * p0_kyna * p_kyn / p0_kyn",
                 {"p_kyna": 1}, "KYNA from liver, kidney and other tissues, in proportion to plasma Kyn"),
        Reaction("kyna_from_muscle", "kat_muscle_kyna_share * kyna_elim * p0_kyna * kat_muscle * p_kyn / p0_kyn",
                 {"p_kyna": 1}, "KYNA released by muscle KAT"),
        Reaction("kyna_renal", "kyna_elim * p_kyna", {"p_kyna": -1}, "renal OAT1/3 secretion of KYNA"),
        # Training induces KAT (added by each exercise session) and it decays back to the untrained level.
        Reaction("kat_induction", "exercise_kat_drive", {"kat_muscle": 1}),
        Reaction("kat_detraining", "kat_decay * (kat_muscle - 1)", {"kat_muscle": -1}),
        Reaction("tdo_turnover", "tdo_turnover * (tdo_target - tdo)", {"tdo": 1}),
        Reaction("ido_turnover", "ido_turnover * (cytokine_fold - ido)", {"ido": 1}),
    )
    readouts = (Readout("plasma.kynurenine", None, "p_kyn", "uM"),
                Readout("plasma.kyn_trp_ratio", None, "p_kyn / p_trp", "uM/mM", 1000.0),
                Readout("plasma.kynurenic_acid", None, "p_kyna", "uM"),
                Readout("activity.TDO", None, "tdo", "1"),
                Readout("activity.KAT-muscle", None, "kat_muscle", "1"),
                Readout("activity.IDO", None, "ido", "1"))
    return Module("kynurenine", species, tuple(params.values()), expressions, reactions, readouts)
