"""Kynurenine branch: hepatic TDO (induced by cortisol) and IDO (induced by cytokines) consume
plasma tryptophan and form kynurenine; enzyme activities relax to their induced targets with
their own turnover."""

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
    species = (Species("p_kyn", "plasma", "uM", 1.8, "plasma kynurenine", "kynurenine"),
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
                              "its substrate (1 at basal cortisol and fasting plasma Trp)"),)
    reactions = (
        Reaction("tdo_flux", "tdo_vmax * tdo * p_trp / (tdo_km + p_trp)", {"p_trp": -1, "p_kyn": 1}),
        Reaction("ido_flux", "ido_vmax * ido * p_trp / (ido_km + p_trp)", {"p_trp": -1, "p_kyn": 1}),
        Reaction("kyn_clearance", "kyn_clearance * p_kyn", {"p_kyn": -1}),
        Reaction("tdo_turnover", "tdo_turnover * (tdo_target - tdo)", {"tdo": 1}),
        Reaction("ido_turnover", "ido_turnover * (cytokine_fold - ido)", {"ido": 1}),
    )
    readouts = (Readout("plasma.kynurenine", None, "p_kyn", "uM"),
                Readout("plasma.kyn_trp_ratio", None, "p_kyn / p_trp", "uM/mM", 1000.0),
                Readout("activity.TDO", None, "tdo", "1"),
                Readout("activity.IDO", None, "ido", "1"))
    return Module("kynurenine", species, tuple(params.values()), expressions, reactions, readouts)
