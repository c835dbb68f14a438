"""Monoamine oxidase pools (MAO-A, MAO-B) with resynthesis, and the drug hooks every base module
reads. A hook is a named expression that is 0 in a drug-free network; the pharmacology layer
replaces it with the drugs' binding terms (`pharmacology.network.network_for`)."""

from __future__ import annotations

from ..network import Expression, Module, Reaction, Readout, Species
from ..parameters import load_table

# name -> meaning; every hook is dimensionless and 0 without drugs
HOOKS = {
    "x_SERT": "competitive SERT blockade: Km multiplier - 1",
    "x_DAT": "competitive DAT blockade",
    "x_NET": "competitive NET blockade",
    "x_D2": "D2 antagonist load (receptor fraction blocked / free)",
    "inh_MAO_A": "reversible MAO-A inhibition (fraction)",
    "inh_MAO_B": "reversible MAO-B inhibition (fraction)",
    "kin_MAO_A": "irreversible MAO-A inactivation rate (1/h per unit enzyme)",
    "kin_MAO_B": "irreversible MAO-B inactivation rate",
    "kin_GABAT": "irreversible GABA-T inactivation rate",
    "occ_GABAA_BZ": "benzodiazepine-site occupancy (positive allosteric modulation)",
    "brain_ldopa_in": "levodopa influx into dopamine terminals (uM/h)",
    "lat1_extra": "extra LAT1 substrates from drugs (sum of C/Km; levodopa)",
    "inh_AADC_peripheral": "peripheral AADC inhibition (fraction; carbidopa): 5-HTP decarboxylation",
    # Levodopa in serotonin terminals (false transmitter): competing substrates of the terminal's
    # AADC (levodopa vs 5-HTP) and VMAT2 (the dopamine made there vs 5-HT), per 5-HT compartment.
    **{f"x_AADC_5HT_{r}": f"AADC 5-HTP Km multiplier - 1 in {r} (levodopa load)"
       for r in ("raphe", "cortex", "hippocampus")},
    **{f"x_VMAT_5HT_{r}": f"VMAT2 5-HT Km multiplier - 1 in {r} (dopamine load)"
       for r in ("raphe", "cortex", "hippocampus")},
}
# Targets whose occupancy every model offers (0 without a drug that binds them)
# Regions with monoamine terminals that oxidise amines by MAO-A (serotonin: raphe, cortex, hippocampus;
# dopamine: striatum, prefrontal; noradrenaline: prefrontal, cortex). One enzyme pool (`mao_a`: estradiol,
# turnover, irreversible inhibitors) for the brain; each region holds its own amount of it (docs/model.md, Regions).
MAO_A_REGIONS = ("raphe", "cortex", "hippocampus", "striatum", "prefrontal")
TARGETS = ("SERT", "DAT", "NET", "D2", "5HT2A", "5HT1A", "MAO-A", "MAO-B", "GABA-T", "GABAA-BZ",
           "AADC-peripheral")
HOOK_UNITS = {"kin_MAO_A": "1/h", "kin_MAO_B": "1/h", "kin_GABAT": "1/h", "brain_ldopa_in": "uM/h"}


def build() -> Module:
    params = load_table("enzymes")
    species = (Species("mao_a", "brain", "dimensionless", 1.0, "active MAO-A (relative)", "enzymes"),
               Species("mao_b", "brain", "dimensionless", 1.0, "active MAO-B (relative)", "enzymes"))
    hooks = tuple(Expression(name, "0", HOOK_UNITS.get(name, "dimensionless"), text, "enzymes")
                  for name, text in HOOKS.items())
    expressions = hooks + (
        Expression("maoa_act", "mao_a_expr * e2_maoa * mao_a * (1 - inh_MAO_A)", "dimensionless",
                   "MAO-A activity relative to typical (amount x active fraction)"),
        Expression("maob_act", "mao_b_expr * mao_b * (1 - inh_MAO_B)", "dimensionless"),
        *(Expression(f"maoa_act_{r}", f"maoa_act * mao_a_amount_{r}", "dimensionless",
                     f"MAO-A activity in {r}: the brain-wide pool x the region's amount") for r in MAO_A_REGIONS),
    )
    reactions = (
        Reaction("mao_a_turnover", "mao_a_turnover * (1 - mao_a)", {"mao_a": 1}),
        Reaction("mao_a_inactivation", "kin_MAO_A * mao_a", {"mao_a": -1}),
        Reaction("mao_b_turnover", "mao_b_turnover * (1 - mao_b)", {"mao_b": 1}),
        Reaction("mao_b_inactivation", "kin_MAO_B * mao_b", {"mao_b": -1}),
    )
    readouts = (Readout("activity.MAO-A", None, "maoa_act", "1"),
                *(Readout("activity.MAO-A", r, f"maoa_act_{r}", "1",
                          description=f"MAO-A in {r} terminals relative to the typical adult: the brain-wide "
                                      f"enzyme pool x the region's amount (mao_a_amount_{r})")
                  for r in MAO_A_REGIONS),
                Readout("activity.MAO-B", None, "maob_act", "1"),
                *(Readout(f"occupancy.{t}", None, "0", "1", description="no drug binds it in this plan")
                  for t in TARGETS))
    return Module("enzymes", species, tuple(params.values()), expressions, reactions, readouts)
