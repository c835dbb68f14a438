"""Serotonin (Best et al. 2010, 2020): TPH2 -> 5-HTP -> AADC -> 5-HT, VMAT2 vesicles, release
proportional to raphe firing, SERT (and a low-affinity second route) reuptake, MAO-A to 5-HIAA,
and autoreceptors with slow G-protein dynamics: 5-HT1B at terminals (synthesis and release),
5-HT1A at the raphe cell bodies (firing). Estradiol scales TPH2, SERT and raphe 5-HT1A expression
through the slow states e2_tph2, e2_sert, e2_htr1a (hormones.py)."""

from __future__ import annotations

from ..network import Expression, Module, Reaction, Readout, Species, represented_by
from ..parameters import load_table

REGIONS = ("raphe", "cortex", "hippocampus")
# Basal steady state of Best 2020 (runser.m), used as initial guesses for the Newton solve.
_INITIAL = {"htp": 1.61, "c5ht": 0.038, "v5ht": 67.5, "e5ht": 0.06, "hiaa": 1.58,
            "arb": 0.975, "arg": 0.8639, "art": 1.0068}


def build() -> Module:
    params = load_table("serotonin")
    species, reactions, expressions, readouts = [], [], [], []
    expressions.append(Expression("fire_raphe",
                                  "raphe_drive * fire_max / (1 + (fire_max - 1)"
                                  " * exp(fire_slope * fire_max / (fire_max - 1) * (arg_raphe - fire_g0)))",
                                  "dimensionless", "raphe firing relative to baseline: logistic in 5-HT1A activation, slope "
                                  "fire_slope at baseline, at most fire_max x baseline"))
    for r in REGIONS:
        def s(name: str) -> str:
            return f"{name}_{r}"

        units = {"arb": "dimensionless", "arg": "dimensionless", "art": "dimensionless"}
        species += [Species(s(k), r, units.get(k, "uM"), v, module="serotonin")
                    for k, v in _INITIAL.items()]
        receptor = "htr1a_expr_raphe * e2_htr1a * r1a_adapt" if r == "raphe" else f"htr1b_expr_{r}"
        expressions += [
            Expression(s("v_tph"),
                       f"tph_vmax * tph2_expr_{r} * e2_tph2 * brain_trp / (tph_km_trp + brain_trp + brain_trp**2 / tph_ki_trp)"
                       f" * bh4_5ht / (tph_km_bh4 + bh4_5ht) * exp(-syn_slope_5ht * ar_local_gain_{r} * ({s('arg')} - ar_g0))",
                       "uM/h", f"TPH2 flux in {r}"),
            Expression(s("v_release_5ht"),
                       f"rel_5ht * fire_raphe**fire_coupling_{r} * {s('v5ht')} * exp(-rel_slope_5ht * ar_local_gain_{r} * ({s('arg')} - ar_g0))",
                       "uM/h", "release per terminal"),
            Expression(s("v_uptake2"), f"uptake2_vmax * {s('e5ht')} / (uptake2_km + {s('e5ht')})", "uM/h"),
            Expression(s("v_sert"), f"sert_vmax * sert_expr_{r} * e2_sert * sert_surface * {s('e5ht')} / (sert_km * (1 + x_SERT) + {s('e5ht')})",
                       "uM/h"),
        ]
        reactions += [
            Reaction(s("tph"), s("v_tph"), {s("htp"): 1}),
            # supplemented 5-HTP from the brain extracellular space (bbb.py), bypassing TPH2
            Reaction(s("htp_in"), "htp_terminal_uptake * brain_htp", {s("htp"): 1}),
            # x_AADC_5HT / x_VMAT_5HT: Km multipliers - 1 from competing substrates (levodopa and the
            # dopamine made from it in 5-HT terminals, pharmacology/network.py); 0 without levodopa.
            Reaction(s("aadc_5ht"), f"aadc_vmax_5ht * plp_sat * {s('htp')} / (aadc_km_5htp * (1 + x_AADC_5HT_{r}) + {s('htp')})",
                     {s("htp"): -1, s("c5ht"): 1}),
            Reaction(s("vmat_5ht"),
                     f"vmat_vmax_5ht * {s('c5ht')} / (vmat_km_5ht * (1 + x_VMAT_5HT_{r}) + {s('c5ht')}) - vmat_leak_5ht * {s('v5ht')}",
                     {s("c5ht"): -1, s("v5ht"): 1}),
            # Per-terminal fluxes change intracellular pools; their extracellular counterparts scale
            # with the density of serotonergic membrane per tissue volume (as for dopamine).
            Reaction(s("release_5ht"), s("v_release_5ht"), {s("v5ht"): -1}),
            Reaction(s("release_5ht_ext"), f"{s('v_release_5ht')} * ht_density_{r}", {s("e5ht"): 1}),
            Reaction(s("sert"), f"{s('v_sert')} + {s('v_uptake2')}", {s("c5ht"): 1}),
            Reaction(s("sert_ext"), f"({s('v_sert')} + {s('v_uptake2')}) * ht_density_{r}", {s("e5ht"): -1}),
            Reaction(s("e5ht_loss"), f"e5ht_removal * {s('e5ht')}", {s("e5ht"): -1}),
            Reaction(s("mao_5ht"), f"mao_vmax_5ht * maoa_act_{r} * {s('c5ht')} / (mao_km_5ht + {s('c5ht')})",
                     {s("c5ht"): -1, s("hiaa"): 1}),
            Reaction(s("hiaa_out"), f"hiaa_removal * {s('hiaa')}", {s("hiaa"): -1}),
            Reaction(s("ar_binding"),
                     f"ar_kon * {s('e5ht')} * (ar_total * {receptor} - {s('arb')}) - ar_koff * {s('arb')}",
                     {s("arb"): 1}),
            Reaction(s("ar_gprotein"),
                     f"g_act * {s('arb')}**2 * (g_total - {s('arg')}) - g_deact * {s('art')} * {s('arg')}",
                     {s("arg"): 1}),
            Reaction(s("ar_regulator"),
                     f"t_act * {s('arg')}**2 * (t_total - {s('art')}) - t_deact * {s('art')}",
                     {s("art"): 1}),
        ]
        readouts += [
            Readout("brain.serotonin.extracellular", r, s("e5ht"), "nM", 1000.0),
            Readout("brain.5hiaa", r, s("hiaa"), "uM"),
            Readout("synthesis.serotonin", r, s("v_tph"), "uM/h"),
            Readout("activity.TPH2", r, f"tph2_expr_{r} * e2_tph2", "1"),
            Readout("activity.SERT", r, f"sert_expr_{r} * e2_sert * sert_surface", "1",
                    description="SERT transport capacity relative to typical: expression (estradiol) x surface fraction"),
        ]
    # Terminal fields without their own compartment read the cortical terminal (same kinetics).
    readouts += represented_by(readouts, "cortex", ("prefrontal", "striatum"),
                               "represented by the cortex terminal model")
    readouts += [
        Readout("firing.raphe", None, "fire_raphe", "1"),
        Readout("csf.5hiaa", None, "csf_5hiaa_per_tissue * hiaa_cortex", "nM", 1000.0,
                "lumbar CSF, in proportion to cortical tissue 5-HIAA"),
    ]
    defaults = {q: "cortex" for q in ("brain.serotonin.extracellular", "brain.5hiaa",
                                     "synthesis.serotonin", "activity.TPH2",
                                     "activity.SERT")}
    return Module("serotonin", tuple(species), tuple(params.values()), tuple(expressions),
                  tuple(reactions), tuple(readouts), defaults)
