"""Dopamine terminals (Best, Nijhout & Reed 2009): TH (BH4, substrate inhibition by Tyr,
end-product inhibition, D2 autoreceptor), AADC, VMAT2, release, DAT, MAO/COMT to HVA.
Striatum and prefrontal cortex; prefrontal DA is cleared mostly by NET (Moron et al. 2002).
Intracellular concentrations are per terminal; extracellular fluxes scale with the density of
terminals (`da_terminals_<region>` x `dopamine_neurons`), so a lesion removes release and DAT
together, as in Reed et al. 2012."""

from __future__ import annotations

from ..network import Expression, Module, Reaction, Readout, Species, represented_by
from ..parameters import load_table

REGIONS = ("striatum", "prefrontal")
_INITIAL = {"ldopa": 0.36, "cda": 2.65, "vda": 81.0, "eda": 0.002, "hva": 7.9}


def build() -> Module:
    params = load_table("dopamine")
    species, reactions, expressions, readouts = [], [], [], []
    for r in REGIONS:
        def s(name: str) -> str:
            return f"{name}_{r}"

        species += [Species(s(k), r, "uM", v, module="dopamine") for k, v in _INITIAL.items()]
        density = f"da_terminals_{r} * dopamine_neurons"
        expressions += [
            Expression(s("d2_auto"),
                       f"d2_auto_max / (d2_auto_steep * ({s('eda')} * d2_density / (d2_auto_k * (1 + x_D2)))**4 + 1) + d2_auto_min",
                       "dimensionless", "D2 autoreceptor factor on TH (1 at eDA 2 nM)"),
            Expression(s("v_th"),
                       f"th_scale / (1 + brain_tyr / th_ki_tyr) * {s('d2_auto')} * th_vmax * th_expr_{r}"
                       f" * brain_tyr * bh4_da / (brain_tyr * bh4_da + th_km_tyr * bh4_da"
                       f" + th_km_tyr * th_km_bh4 * (1 + {s('cda')} / th_ki_cda))", "uM/h",
                       f"TH flux per terminal in {r}"),
            Expression(s("v_release_da"), f"rel_da * da_fire * {s('vda')}", "uM/h"),
            Expression(s("v_dat"), f"dat_vmax * dat_expr_{r} * {s('eda')} / (dat_km * (1 + x_DAT) + {s('eda')})", "uM/h"),
        ]
        reactions += [
            Reaction(s("th"), s("v_th"), {s("ldopa"): 1}),
            Reaction(s("ldopa_in"), "brain_ldopa_in", {s("ldopa"): 1}, "exogenous levodopa (drug hook)"),
            Reaction(s("aadc_da"), f"aadc_vmax_da * plp_sat * {s('ldopa')} / (aadc_km_ldopa + {s('ldopa')})",
                     {s("ldopa"): -1, s("cda"): 1}),
            Reaction(s("vmat_da"), f"vmat_vmax_da * {s('cda')} / (vmat_km_da + {s('cda')}) - vmat_leak_da * {s('vda')}",
                     {s("cda"): -1, s("vda"): 1}),
            Reaction(s("release_da"), s("v_release_da"), {s("vda"): -1}),
            Reaction(s("release_da_ext"), f"{s('v_release_da')} * {density}", {s("eda"): 1}),
            Reaction(s("dat"), s("v_dat"), {s("cda"): 1}),
            Reaction(s("dat_ext"), f"{s('v_dat')} * {density}", {s("eda"): -1}),
            Reaction(s("cda_catab"), f"cda_catab * maoa_act_{r} * {s('cda')}", {s("cda"): -1, s("hva"): 1}),
            Reaction(s("eda_catab"), f"(glial_comt_share * comt_expr + (1 - glial_comt_share) * maob_act) * eda_catab_vmax * {s('eda')} / (eda_catab_km + {s('eda')})",
                     {s("eda"): -1, s("hva"): 1}),
            Reaction(s("eda_loss"), f"eda_removal_{r} * {s('eda')}", {s("eda"): -1}),
            Reaction(s("hva_out"), f"hva_removal * {s('hva')}", {s("hva"): -1}),
        ]
        readouts += [
            Readout("brain.dopamine.extracellular", r, s("eda"), "nM", 1000.0),
            Readout("brain.hva", r, s("hva"), "uM"),
            Readout("synthesis.dopamine", r, f"{s('v_th')} * {density}", "uM/h"),
            Readout("activity.TH", r, f"th_expr_{r}", "1"),
        ]
    # Where DAT is sparse, NET clears dopamine (into noradrenergic terminals: lost to this model).
    reactions.append(Reaction("net_da_prefrontal",
                              "net_vmax * net_expr_prefrontal * eda_prefrontal / (net_km_da * (1 + x_NET) + eda_prefrontal)",
                              {"eda_prefrontal": -1}))
    # Sparse mesocortical fields without their own compartment read the prefrontal model.
    readouts += represented_by(readouts, "prefrontal", ("cortex", "hippocampus"), "represented by the prefrontal model")
    readouts.append(Readout("firing.dopamine", None, "da_fire", "1"))
    readouts.append(Readout("csf.hva", None, "csf_hva_per_tissue * hva_striatum", "nM", 1000.0,
                            "lumbar CSF, in proportion to striatal tissue HVA"))
    defaults = {q: "striatum" for q in ("brain.dopamine.extracellular", "brain.hva",
                                       "synthesis.dopamine", "activity.TH")}
    return Module("dopamine", tuple(species), tuple(params.values()), tuple(expressions),
                  tuple(reactions), tuple(readouts), defaults)
