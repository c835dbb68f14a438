"""Endocrine inputs (estradiol, progesterone, cortisol held at a fold of baseline), their plasma
readouts, and estradiol's slow (days) effects on raphe serotonin enzymes: TPH2 up, MAO-A down
(Bethea 2002; Hernandez-Hernandez 2019). Cortisol's effect on hepatic TDO is in kynurenine.py."""

from __future__ import annotations

from ..network import Module, Reaction, Readout, Species
from ..parameters import load_table


def build() -> Module:
    params = load_table("hormones")
    species = (Species("e2_tph2", "raphe", "dimensionless", 1.0, "estradiol effect on TPH2 expression", "hormones"),
               Species("e2_maoa", "raphe", "dimensionless", 1.0, "estradiol effect on MAO-A expression", "hormones"))
    reactions = (
        Reaction("e2_tph2_expression", "e2_expression_rate * (estradiol_fold**e2_tph2_gain - e2_tph2)",
                 {"e2_tph2": 1}),
        Reaction("e2_maoa_expression", "e2_expression_rate * (estradiol_fold**(-e2_maoa_gain) - e2_maoa)",
                 {"e2_maoa": 1}),
    )
    readouts = (Readout("plasma.estradiol", None, "estradiol_base * estradiol_fold", "pmol/L"),
                Readout("plasma.progesterone", None, "progesterone_base * progesterone_fold", "nmol/L"),
                Readout("plasma.cortisol", None, "cortisol_base * cortisol_fold", "nmol/L"))
    return Module("hormones", species, tuple(params.values()), (), reactions, readouts)
