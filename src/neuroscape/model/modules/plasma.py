"""Plasma large neutral amino acids (LNAA) and tryptophan.

Each amino acid appears from protein breakdown (and, for Trp, the diet) and from capacity-limited
intestinal absorption, and is used by protein synthesis in proportion to its share of protein,
saturably in its own concentration, so that a scarce amino acid is depleted when synthesis is
stimulated by an amino-acid load (the mechanism of acute tryptophan depletion). Gut wall and liver
build part of an absorbed load into protein on the first pass; that protein needs every amino acid, so
a drink lacking one draws it from plasma, while a single amino acid given alone makes none. Non-Trp
LNAA are also catabolised: Phe only by hydroxylation, which feeds plasma Tyr. Insulin drives muscle
uptake of the free LNAA. Trp binds albumin (1:1); plasma free fatty acids (p_ffa, ffa.py) compete for
its site, so they raise free Trp. Only free Trp is taken up by muscle, which is why carbohydrate raises
Trp/LNAA.

Oral 5-hydroxytryptophan (a supplement, nutrition `5-htp`) is carried as a one-compartment drug:
gut-wall and systemic decarboxylation by peripheral AADC, which a decarboxylase inhibitor blocks.
"""

from __future__ import annotations

from ..network import Expression, Module, Reaction, Readout, Species
from ..parameters import load_table

AMINO_ACIDS = ("trp", "tyr", "phe", "leu", "ile", "val")
COMPETITORS = ("tyr", "phe", "leu", "ile", "val")  # the LNAA that compete with Trp
# Drug hook for peripheral AADC inhibition (carbidopa), declared in enzymes.HOOKS; the pharmacology
# layer fills it.
PERIPHERAL_AADC_HOOK = "inh_AADC_peripheral"


def build() -> Module:
    params = load_table("plasma")
    species, reactions, expressions = [], [], []
    for aa in AMINO_ACIDS:
        species += [
            Species(f"gut_{aa}", "gut", "uM", 0.0, f"ingested {aa} not yet absorbed (plasma-equivalent)"),
            Species(f"p_{aa}", "plasma", "uM", params[f"p0_{aa}"].value, f"plasma total {aa}"),
        ]
        flux = f"protein_turnover * protein_fraction_{aa} / molar_mass_{aa} * umol_per_mol / aa_volume"
        sat = f"p_{aa} / (ps_km_factor * p0_{aa} + p_{aa}) * (ps_km_factor + 1)"
        expressions.append(Expression(f"basal_flux_{aa}", flux, "uM/h",
                                      f"{aa} released by basal protein breakdown"))
        expressions.append(Expression(f"uptake_{aa}", f"abs_vmax * gut_{aa} / (abs_km + gut_load)", "uM/h",
                                      f"{aa} taken up from the gut lumen (plasma-equivalent)"))
        reactions += [
            Reaction(f"absorb_{aa}", f"uptake_{aa}", {f"gut_{aa}": -1, f"p_{aa}": 1}),
            Reaction(f"breakdown_{aa}", f"basal_flux_{aa}", {f"p_{aa}": 1}),
            Reaction(f"synthesis_{aa}", f"basal_flux_{aa} * ps_drive * {sat}", {f"p_{aa}": -1},
                     "incorporation into protein"),
            Reaction(f"splanchnic_synthesis_{aa}",
                     f"splanchnic_leu_use * protein_fraction_{aa} / molar_mass_{aa}"
                     f" * molar_mass_leu / protein_fraction_leu * {sat}", {f"p_{aa}": -1},
                     "first-pass protein synthesis in gut and liver, fed by the absorbed load"),
        ]
        if aa == "trp":
            reactions += [
                Reaction("diet_trp", "trp_intake", {"p_trp": 1}, "average dietary Trp, balanced by TDO/IDO"),
                Reaction("muscle_trp", "insulin_lnaa_effect * (insulin - 1) * trp_free", {"p_trp": -1}),
            ]
        else:
            reactions += _catabolism(aa, expressions)
            reactions.append(Reaction(f"muscle_{aa}", f"insulin_lnaa_effect * (insulin - 1) * p_{aa}",
                                      {f"p_{aa}": -1}))
        if aa in ("leu", "ile", "val"):
            reactions.append(Reaction(f"exercise_{aa}", f"exercise_bcaa_uptake * p_{aa}", {f"p_{aa}": -1},
                                      "uptake and oxidation by working muscle"))
    species += [
        Species("gut_carb", "gut", "g", 0.0, "ingested carbohydrate not yet absorbed"),
        Species("insulin", "plasma", "dimensionless", 1.0, "plasma insulin relative to fasting"),
    ]
    reactions += [
        Reaction("absorb_carb", "ka_carb * gut_carb", {"gut_carb": -1}),
        Reaction("insulin_response", "k_insulin * (1 + insulin_gain * ka_carb * gut_carb - insulin)",
                 {"insulin": 1}),
    ]
    expressions.append(Expression(
        "splanchnic_leu_use", "splanchnic_leu_uptake * splanchnic_protein_share * uptake_leu", "uM/h",
        "absorbed leucine that gut and liver build into protein on the first pass (it indexes the protein made)"))
    lnaa = " + ".join(f"p_{a}" for a in COMPETITORS)
    lnaa0 = " + ".join(f"p0_{a}" for a in AMINO_ACIDS)
    expressions += [
        Expression("gut_load", " + ".join(f"gut_{a}" for a in AMINO_ACIDS), "uM",
                   "amino acids competing for intestinal absorption"),
        Expression("lnaa", lnaa, "uM", "sum of LNAA competing with Trp at LAT1"),
        Expression("aa_load", f"(p_trp + {lnaa}) / ({lnaa0})", "dimensionless",
                   "LNAA supply relative to fasting"),
        Expression("ps_drive",
                   "1 + ps_max * (aa_load**ps_hill / (ps_r50**ps_hill + aa_load**ps_hill)"
                   " - 1 / (ps_r50**ps_hill + 1))", "dimensionless",
                   "protein-synthesis stimulation by amino-acid supply (1 at fasting)"),
        Expression("trp_kd_app", "trp_albumin_kd * (1 + p_ffa / nefa_ki) / (1 + nefa0 / nefa_ki)",
                   "uM", "albumin Kd for Trp with NEFA competition"),
        Expression("trp_free",
                   "0.5 * ((p_trp - albumin - trp_kd_app) + sqrt((p_trp - albumin - trp_kd_app)**2"
                   " + 4 * trp_kd_app * p_trp))", "uM", "unbound plasma Trp (1:1 albumin binding)"),
    ]
    species, expressions, reactions = _htp(species, expressions, reactions)
    readouts = [
        Readout("plasma.tryptophan", None, "p_trp", "uM"),
        Readout("plasma.tryptophan.free", None, "trp_free", "uM"),
        Readout("plasma.tyrosine", None, "p_tyr", "uM"),
        Readout("plasma.phenylalanine", None, "p_phe", "uM"),
        Readout("plasma.leucine", None, "p_leu", "uM"),
        Readout("plasma.isoleucine", None, "p_ile", "uM"),
        Readout("plasma.valine", None, "p_val", "uM"),
        Readout("plasma.lnaa", None, "lnaa", "uM"),
        Readout("plasma.trp_lnaa_ratio", None, "p_trp / lnaa", "1"),
        Readout("plasma.bcaa", None, "p_leu + p_ile + p_val", "uM"),
        Readout("plasma.free_trp_bcaa_ratio", None, "trp_free / (p_leu + p_ile + p_val)", "1"),
        Readout("plasma.insulin", None, "insulin", "1", description="relative to fasting"),
        Readout("plasma.5-htp", None, "p_htp * htp_mw", "ng/mL",
                description="plasma 5-hydroxytryptophan from supplements"),
    ]
    return Module("plasma", tuple(species), tuple(params.values()), tuple(expressions),
                  tuple(reactions), tuple(readouts))


def _catabolism(aa: str, expressions: list) -> list[Reaction]:
    """Catabolism of a non-Trp LNAA, balanced at fasting by the average diet. Phe's only route is
    hydroxylation to Tyr (liver and kidney), so it feeds plasma Tyr, and Tyr's dietary term is what
    Tyr oxidation needs beyond it (Tyr oxidation must exceed Phe hydroxylation at fasting)."""
    basal = ("phe_hydroxylation / aa_volume" if aa == "phe"
             else f"basal_flux_{aa} * aa_oxidation_fraction / (1 - aa_oxidation_fraction)")
    expressions.append(Expression(f"ox_basal_{aa}", basal, "uM/h", f"{aa} catabolised at fasting"))
    products = {f"p_{aa}": -1, "p_tyr": 1} if aa == "phe" else {f"p_{aa}": -1}
    # Tyr's diet is what Tyr oxidation needs beyond Phe hydroxylation; a smooth floor keeps it positive
    # where sampled parameters (protein_turnover and phe_hydroxylation vary independently in the
    # calibration priors) would put Phe hydroxylation above Tyr oxidation (at the defaults: +0.02%)
    diet = ("0.5 * ((ox_basal_tyr - ox_basal_phe)"
            " + sqrt((ox_basal_tyr - ox_basal_phe)**2 + (0.01 * ox_basal_tyr)**2))"
            if aa == "tyr" else f"ox_basal_{aa}")
    return [
        Reaction(f"oxidation_{aa}", f"ox_basal_{aa} * (p_{aa} / p0_{aa})**aa_ox_order_{aa}", products,
                 "hydroxylation to Tyr" if aa == "phe" else "oxidation"),
        Reaction(f"diet_{aa}", diet, {f"p_{aa}": 1}, "average dietary intake, balancing catabolism"),
    ]


def _htp(species: list, expressions: list, reactions: list) -> tuple[list, list, list]:
    """Oral 5-HTP: gut -> plasma (F without first-pass AADC, htp_f), first pass and systemic
    clearance by peripheral AADC (htp_aadc_act: 1 uninhibited, 0 fully blocked), other clearance."""
    act = f"(1 - {PERIPHERAL_AADC_HOOK})"
    escape = "htp_f * (1 - htp_first_pass_aadc * htp_aadc_act)"
    species = species + [Species("htp_gut", "gut", "umol", 0.0, "ingested 5-HTP not yet absorbed"),
                         Species("htp_cen", "plasma", "umol", 0.0, "5-HTP in the circulation")]
    expressions = expressions + [
        Expression("htp_aadc_act", act, "dimensionless", "peripheral AADC not blocked by a decarboxylase inhibitor"),
        Expression("p_htp", "htp_cen / htp_v", "uM", "plasma 5-HTP"),
    ]
    reactions = reactions + [
        Reaction("htp_absorb", f"htp_ka * {escape} * htp_gut", {"htp_gut": -1, "htp_cen": 1}),
        Reaction("htp_first_pass", f"htp_ka * (1 - {escape}) * htp_gut", {"htp_gut": -1},
                 "not absorbed, or decarboxylated in gut wall and liver"),
        Reaction("htp_clearance", "htp_cl * p_htp", {"htp_cen": -1}),
        Reaction("htp_aadc_peripheral", "htp_cl_aadc * htp_aadc_act * p_htp", {"htp_cen": -1},
                 "decarboxylation to serotonin outside the brain"),
    ]
    return species, expressions, reactions
