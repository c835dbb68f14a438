"""Endocrine inputs (estradiol, progesterone, cortisol held at a fold of baseline), hormone therapy
(one-compartment oral PK per hormone whose dosed level adds to the endogenous one), their plasma
readouts, estradiol's slow (days) effects on serotonin genes: TPH2 up, MAO-A down (Bethea 2002;
Hernandez-Hernandez 2019), SERT down (Jovanovic 2015; Pecins-Thompson 1998), raphe 5-HT1A
autoreceptors down (Lu & Bethea 2002) and cortical 5-HT2A up (Moses 2000; Kugaya 2003), and
allopregnanolone formed from progesterone (saturable, from plasma progesterone, plus first-pass
formation from an oral dose). Each expression state relaxes toward
estradiol_rel**(+-gain) with its own rate (MAO-A's is its enzyme turnover, enzymes.yaml mao_a_turnover:
estradiol acts on MAO-A by speeding its degradation, Luine & McEwen 1977), so every state is 1 at the subject's own estradiol.
Cortisol's effect on hepatic TDO is in kynurenine.py; allopregnanolone's on GABA-A in gaba.py.

Everything downstream reads `<hormone>_rel` (plasma level relative to the subject's baseline:
the endogenous fold plus dosed hormone / baseline level), never the input fold itself."""

from __future__ import annotations

from ..network import Expression, Module, Reaction, Readout, Species
from ..parameters import load_table

# hormone -> (baseline level parameter, amount unit of the dosed compartments, concentration unit,
# amount per mg / (g/mol): pmol = mg x 1e9 / mw, nmol = mg x 1e6 / mw)
HORMONES: dict[str, tuple[str, str, str, float]] = {
    "estradiol": ("estradiol_base", "pmol", "pmol/L", 1e9),
    "progesterone": ("progesterone_base", "nmol", "nmol/L", 1e6),
    "cortisol": ("cortisol_base", "nmol", "nmol/L", 1e6),
}

# estradiol-regulated expression: target -> (compartment, gene, sign of the exponent on estradiol_rel,
# rate parameter); each state e2_<target> relaxes toward estradiol_rel**(sign e2_<target>_gain)
E2_EXPRESSION: dict[str, tuple[str, str, str, str]] = {
    "tph2": ("raphe", "TPH2", "", "e2_expression_rate"),    # raphe TPH2 (serotonin.py)
    "maoa": ("raphe", "MAO-A", "-", "mao_a_turnover"),      # MAO-A (enzymes.py maoa_act): its enzyme turnover
    "sert": ("brain", "SERT", "-", "e2_sert_rate"),         # serotonin transporter, raphe and terminals (serotonin.py)
    "htr1a": ("raphe", "raphe 5-HT1A autoreceptor", "-", "e2_htr1a_rate"),  # somatodendritic 5-HT1A (serotonin.py)
    "htr2a": ("cortex", "cortical 5-HT2A receptor", "", "e2_htr2a_rate"),   # readout receptor.5HT2A.density only
}


def build() -> Module:
    params = load_table("hormones")
    species = [Species(f"e2_{target}", compartment, "dimensionless", 1.0, f"estradiol effect on {label} expression",
                       "hormones") for target, (compartment, label, _, _) in E2_EXPRESSION.items()]
    expressions, reactions, readouts = [], [], []
    for h, (base, amount, conc, _) in HORMONES.items():
        species += [Species(f"{h}_gut", "gut", amount, 0.0, f"dosed {h} not yet absorbed", "hormones"),
                    Species(f"{h}_dosed", "plasma", amount, 0.0, f"dosed {h} in the circulation", "hormones")]
        expressions += [
            Expression(f"{h}_exo", f"{h}_dosed / {h}_v", conc, f"plasma {h} from hormone therapy"),
            Expression(f"{h}_rel", f"{h}_fold + {h}_exo / {base}", "dimensionless",
                       f"plasma {h} relative to the subject's baseline (endogenous fold + dosed)"),
        ]
        reactions += [
            Reaction(f"{h}_absorb", f"{h}_ka * {h}_f * {h}_gut", {f"{h}_gut": -1, f"{h}_dosed": 1}),
            Reaction(f"{h}_first_pass", f"{h}_ka * (1 - {h}_f) * {h}_gut", {f"{h}_gut": -1},
                     "metabolised before reaching the circulation"),
            Reaction(f"{h}_elimination", f"{h}_cl / {h}_v * {h}_dosed", {f"{h}_dosed": -1}),
        ]
        readouts.append(Readout(f"plasma.{h}", None, f"{base} * {h}_rel", conc))
    # Oral progesterone is 5-alpha/3-alpha reduced in gut wall and liver on its first pass: a fraction
    # of the dose (allo_fp_frac, part of the 1 - F that never reaches the circulation as progesterone)
    # enters plasma as allopregnanolone with allopregnanolone's own one-compartment PK. It adds to the
    # saturable link from circulating progesterone, which the cycle data calibrate.
    species.append(Species("allo_dosed", "plasma", "nmol", 0.0,
                           "allopregnanolone formed in the first pass of oral progesterone", "hormones"))
    reactions += [
        Reaction("allo_first_pass_formation", "progesterone_ka * allo_fp_frac * progesterone_gut",
                 {"allo_dosed": 1}, "share of progesterone_first_pass that reaches plasma as allopregnanolone"),
        Reaction("allo_elimination", "allo_cl / allo_v * allo_dosed", {"allo_dosed": -1}),
    ]
    expressions.append(Expression(
        "allopregnanolone", "allo_vmax * progesterone_base * progesterone_rel"
                            " / (allo_km + progesterone_base * progesterone_rel) + allo_dosed / allo_v", "nmol/L",
        "plasma allopregnanolone: saturable 5-alpha/3-alpha reduction of circulating progesterone plus "
        "first-pass formation from oral progesterone"))
    reactions += [
        Reaction(f"e2_{target}_expression",
                 f"{rate} * (estradiol_rel**({sign}e2_{target}_gain) - e2_{target})", {f"e2_{target}": 1})
        for target, (_, _, sign, rate) in E2_EXPRESSION.items()
    ]
    readouts.append(Readout("plasma.allopregnanolone", None, "allopregnanolone", "nmol/L"))
    readouts.append(Readout("receptor.5HT2A.density", None, "e2_htr2a", "1",
                            description="cortical 5-HT2A density relative to typical (estradiol-driven expression "
                                        "only; a readout, no mechanism reads it)"))
    return Module("hormones", tuple(species), tuple(params.values()), tuple(expressions),
                  tuple(reactions), tuple(readouts))
