"""Drugs in the network: PK compartments per drug (and its active metabolites), enzyme activity
with phenotype and drug-drug inhibition, and binding at targets that fills the base model's hooks.

Pharmacokinetics (amounts in umol, concentrations in uM):
    gut --ka F--> central <--Q--> peripheral;  gut --ka (1-F)--> lost (first pass)
    central --CL_k act_k / V (or Vmax_k act_k C / (Km_k + C))--> eliminated or metabolite
Enzyme activity act_k = phenotype multiplier_k / (1 + sum_i C_i / Ki_i) over inhibiting drugs.
Binding (in vivo, plasma concentrations): load L_d = C_d / EC50_d at each target,
    occupancy = sum_d Emax_d L_d / (1 + sum_d L_d), and a transporter's Km is multiplied by
    1 + occ / (1 - occ): competition with the endogenous substrate (extracellular 5-HT, DA, NE).
Irreversible inhibitors inactivate the enzyme pool at kinact L / (1 + L) per unit enzyme.
"""

from __future__ import annotations

import math
from dataclasses import replace
from functools import lru_cache

from ..errors import ProtocolError
from ..model.assemble import assemble
from ..model.library import MODEL_VERSION, base_modules
from ..model.network import (
    Expression,
    FittedTo,
    Module,
    Network,
    Parameter,
    Reaction,
    Readout,
    Species,
)
from .library import CYP_ENZYMES, Drug, cyp_turnover, load_drug
from .library import drug_id as ident  # the network's one spelling rule for names in identifiers

# Which hook a target fills and how (see model/modules/enzymes.py)
COMPETITIVE_HOOK = {"SERT": "x_SERT", "DAT": "x_DAT", "NET": "x_NET", "D2": "x_D2"}
FRACTION_HOOK = {"MAO-A": "inh_MAO_A", "MAO-B": "inh_MAO_B", "GABAA-BZ": "occ_GABAA_BZ",
                 "AADC-peripheral": "inh_AADC_peripheral"}
IRREVERSIBLE_HOOK = {"MAO-A": "kin_MAO_A", "MAO-B": "kin_MAO_B", "GABA-T": "kin_GABAT"}
LDOPA_LAT1_KM = 30.0  # uM; Kageyama et al. 2000 (LAT1 transports L-DOPA), see references
LDOPA_5HT_UPTAKE = 0.13  # 1/h; fitted to Tanaka 1999 (see levodopa_module and tests/pharmacology)


def drug_closure(names) -> tuple[Drug, ...]:
    """The named drugs and every active metabolite they form, in a stable order."""
    seen: dict[str, Drug] = {}
    stack = list(names)
    while stack:
        name = stack.pop()
        if name in seen:
            continue
        drug = load_drug(name)
        seen[name] = drug
        stack.extend(drug.metabolites)
    return tuple(seen[n] for n in sorted(seen))


def _p(name, value, unit, src, module, note="", tags=(), basis="measured", inp=False) -> Parameter:
    """A drug parameter; a Sourced number brings its own basis and fitted_to (`basis` is for the rest)."""
    fitted = getattr(src, "fitted_to", None)
    return Parameter(name, float(value), unit, src.source if hasattr(src, "source") else src,
                     getattr(src, "basis", basis), note or getattr(src, "note", ""), tags=tuple(tags),
                     module=module, input=inp,
                     fitted_to=FittedTo(fitted.sources, fitted.data) if fitted is not None else None)


def formulation_suffix(form: str | None) -> str:
    """Name suffix of a formulation's gut compartment and parameters ('' for the default)."""
    return "" if form is None else f"_{ident(form)}"


def _gut(drug: Drug, form: str | None, mod: str):
    """Parameters, species and reactions of one product's gut compartment."""
    d = ident(drug.name)
    x = formulation_suffix(form)
    g = f"{d}_gut{x}"
    ab = drug.absorption_for(form)
    label = drug.default_formulation if form is None else form
    params = [_p(f"{d}_ka{x}", ab.ka_per_h.value, "1/h", ab.ka_per_h, mod),
              _p(f"{d}_f{x}", ab.bioavailability.value, "dimensionless", ab.bioavailability, mod),
              _p(f"{d}_lag{x}", ab.lag_h.value if ab.lag_h else 0.0, "h", ab.lag_h or "assumed", mod,
                 "" if ab.lag_h else "No absorption lag reported", basis="measured" if ab.lag_h else "assumed")]
    what = f"{drug.name} not yet absorbed" if form is None else f"{drug.name} ({label}) not yet absorbed"
    species = [Species(g, "gut", "umol", 0.0, what, mod)]
    reactions = []
    release = getattr(ab, "release_duration_h", None)
    if release is not None:
        # Zero-order release from the dosage form: the plan sets this rate input over the release
        # time of each dose (plan.events_for), as it does for an IV infusion.
        params += [_p(f"{d}_release_h{x}", release.value, "h", release, mod),
                   _p(f"{d}_release{x}", 0.0, "umol/h", "assumed", mod,
                      f"Input: release rate of {label} tablets into the gut", basis="assumed", inp=True)]
        reactions.append(Reaction(f"{d}_released{x}", f"{d}_release{x}", {g: 1}))
    # The gut empties at ka; the fraction that escapes first pass is F, or F / (F + (1-F) act) when
    # the first-pass enzymes run at activity `act`: gut-wall AADC for drugs cleared by AADC, which a
    # decarboxylase inhibitor blocks (carbidopa roughly doubles levodopa's bioavailability, Nutt 1985),
    # or a hepatic first pass (well-stirred) whose extraction scales with the clearance-weighted
    # activity of the drug's linear routes, as seen by its own elimination (pk_module).
    if any(p.enzyme == "AADC" for p in drug.elimination):
        act = "act_aadc"
    elif ab.first_pass_follows_clearance:
        act = _first_pass_activity(drug)
    else:
        act = None
    f_eff = f"{d}_f{x}" if act is None else f"({d}_f{x} / ({d}_f{x} + (1 - {d}_f{x}) * {act}))"
    reactions += [Reaction(f"{d}_absorb{x}", f"{d}_ka{x} * {f_eff} * {g}", {g: -1, f"{d}_cen": 1}),
                  Reaction(f"{d}_first_pass{x}", f"{d}_ka{x} * (1 - {f_eff}) * {g}", {g: -1})]
    return params, species, reactions


def _route_activity(drug: Drug, enzyme: str) -> str:
    """The activity a drug's own route through `enzyme` sees: every inhibitor's, except the drug's
    own when its saturable Km already holds it (own_route false)."""
    e = ident(enzyme)
    excluded = {i.enzyme for i in drug.cyp_inhibition if not i.own_route}
    return f"act_{e}_not_{ident(drug.name)}" if enzyme in excluded else f"act_{e}"


def _first_pass_activity(drug: Drug) -> str:
    """Clearance-weighted enzyme activity of the drug's linear routes (1 with no inhibition; the
    library refuses first_pass_follows_clearance without a linear route, Drug validation)."""
    linear = [p for p in drug.elimination if p.clearance_L_per_h is not None]
    total = sum(p.clearance_L_per_h.value for p in linear)
    terms = " + ".join(f"{round(p.clearance_L_per_h.value / total, 6)!r} * {_route_activity(drug, p.enzyme)}"
                       for p in linear)
    return f"({terms})"


def pk_module(drug: Drug, formulations: tuple[str, ...] = ()) -> Module:
    """PK of one drug; `formulations` (library names) get their own gut compartments."""
    d = ident(drug.name)
    mod = f"drug:{drug.name}"
    dist = drug.distribution
    params = [
        _p(f"{d}_mw", drug.molar_mass_g_per_mol.value, "g/mol", drug.molar_mass_g_per_mol, mod),
        _p(f"{d}_v", dist.volume_L.value, "L", dist.volume_L, mod, tags=("scale:volume",)),
        _p(f"{d}_fu", dist.unbound_fraction.value, "dimensionless", dist.unbound_fraction, mod),
        _p(f"{d}_infusion", 0.0, "umol/h", "assumed", mod, "Input: zero-order infusion rate",
           basis="assumed", inp=True),
    ]
    species = [Species(f"{d}_cen", "plasma", "umol", 0.0, f"{drug.name} in the central compartment", mod)]
    reactions = [Reaction(f"{d}_infuse", f"{d}_infusion", {f"{d}_cen": 1})]
    expressions = [Expression(f"{d}_conc", f"{d}_cen / {d}_v", "uM", f"plasma {drug.name}")]
    if drug.absorption is not None:
        # One gut compartment per product: the default (`{d}_gut`, names as before formulations
        # existed) and each formulation the plan uses (`{d}_gut_{form}`); they share the central,
        # peripheral and metabolite compartments, so products can be switched within a plan.
        for form in (None, *formulations):
            p, s_, r = _gut(drug, form, mod)
            params += p
            species += s_
            reactions += r
    if dist.compartments == 2:
        params += [_p(f"{d}_vp", dist.peripheral_volume_L.value, "L", dist.peripheral_volume_L, mod,
                      tags=("scale:volume",)),
                   _p(f"{d}_q", dist.intercompartmental_clearance_L_per_h.value, "L/h",
                      dist.intercompartmental_clearance_L_per_h, mod, tags=("scale:clearance",))]
        species.append(Species(f"{d}_per", "periphery", "umol", 0.0, f"{drug.name} peripheral", mod))
        reactions.append(Reaction(f"{d}_distribute", f"{d}_q * ({d}_conc - {d}_per / {d}_vp)",
                                  {f"{d}_cen": -1, f"{d}_per": 1}))
    for k, path in enumerate(drug.elimination):
        e = ident(path.enzyme)
        # A drug's saturable Km already holds its inhibition of its own route: don't count it twice,
        # unless the inhibition is declared competitive auto-inhibition (own_route).
        act = _route_activity(drug, path.enzyme)
        if path.clearance_L_per_h is not None:
            params.append(_p(f"{d}_cl_{e}", path.clearance_L_per_h.value, "L/h", path.clearance_L_per_h,
                             mod, tags=("scale:clearance",)))
            rate = f"{d}_cl_{e} * {act} * {d}_conc"
        else:
            mw = drug.molar_mass_g_per_mol.value
            params += [_p(f"{d}_vmax_{e}", path.vmax_mg_per_h.value * 1000.0 / mw, "umol/h",
                          path.vmax_mg_per_h, mod, tags=("scale:clearance",)),
                       _p(f"{d}_km_{e}", path.km_ng_per_mL.value / mw, "uM", path.km_ng_per_mL, mod)]
            rate = f"{d}_vmax_{e} * {act} * {d}_conc / ({d}_km_{e} + {d}_conc)"
        stoich = {f"{d}_cen": -1.0}
        if path.forms:
            stoich[f"{ident(path.forms)}_cen"] = path.fraction_to_metabolite
        reactions.append(Reaction(f"{d}_elim_{e}_{k}", rate, stoich, f"{drug.name} via {path.enzyme}"))
    readouts = [Readout(f"plasma.{drug.name}", None, f"{d}_conc * {d}_mw", "ng/mL")]
    return Module(mod, tuple(species), tuple(params), tuple(expressions), tuple(reactions), tuple(readouts))


def _load(drug: Drug, target, potency) -> str:
    d = ident(drug.name)
    return f"({d}_conc * {d}_mw / {d}_{potency}_{ident(target)})"


def pd_module(drugs: tuple[Drug, ...]) -> tuple[Module, dict[str, str]]:
    """Enzyme activities, target binding, and the hook expressions that bind the base model."""
    params, exprs, readouts, reactions, species = [], [], [], [], []
    hooks: dict[str, str] = {}
    enzymes_used = {p.enzyme for d in drugs for p in d.elimination}
    inhibitors: dict[str, list[tuple[str, str]]] = {}
    inactivators: dict[str, list[str]] = {}
    for drug in drugs:
        n = ident(drug.name)
        for inh in drug.cyp_inhibition:
            params.append(_p(f"{n}_kicyp_{ident(inh.enzyme)}", inh.ki_ng_per_mL.value,
                             "ng/mL", inh.ki_ng_per_mL, "pharmacodynamics"))
            inhibitors.setdefault(inh.enzyme, []).append(
                (n, f"{n}_conc * {n}_mw / {n}_kicyp_{ident(inh.enzyme)}", inh.own_route))
        for mbi in drug.cyp_inactivation:
            e = ident(mbi.enzyme)
            params += [_p(f"{n}_kinact_{e}", mbi.kinact_per_h.value, "1/h", mbi.kinact_per_h,
                          "pharmacodynamics"),
                       _p(f"{n}_kiinact_{e}", mbi.ki_ng_per_mL.value, "ng/mL", mbi.ki_ng_per_mL,
                          "pharmacodynamics")]
            load = f"({n}_conc * {n}_mw / {n}_kiinact_{e})"
            inactivators.setdefault(mbi.enzyme, []).append(f"{n}_kinact_{e} * {load} / (1 + {load})")
    binders: dict[str, list[tuple[Drug, object]]] = {}
    for drug in drugs:
        for t in drug.targets:
            if t.mode in ("agonist", "partial_agonist"):
                from ..errors import NotModelledError

                raise NotModelledError(f"{drug.name}: {t.mode} action at {t.target} is not modelled yet "
                                       "(only blockade, enzyme inhibition and allosteric modulation)")
            if not drug.distribution.crosses_bbb and t.target != "AADC-peripheral":
                continue
            binders.setdefault(t.target, []).append((drug, t))
    # an inactivated CYP gets its intact-fraction state even if no drug of the plan is cleared by it
    for enzyme in sorted(enzymes_used | set(inactivators)):
        e = ident(enzyme)
        if enzyme in CYP_ENZYMES:
            part = _cyp_activity(enzyme, inhibitors.get(enzyme, []), inactivators.get(enzyme, []))
            params += part.parameters
            species += part.species
            exprs += part.expressions
            reactions += part.reactions
            readouts += part.readouts
        elif enzyme == "AADC":
            exprs.append(Expression("act_aadc", "1 - occ_aadc_peripheral" if "AADC-peripheral" in binders
                                    else "1", "dimensionless",
                                    "peripheral AADC not blocked by a decarboxylase inhibitor"))
        else:
            exprs.append(Expression(f"act_{e}", "1", "dimensionless", f"{enzyme} activity"))
    for target, pairs in sorted(binders.items()):
        t = ident(target)
        reversible = [(d, x) for d, x in pairs if x.mode != "irreversible_enzyme_inhibitor"]
        irreversible = [(d, x) for d, x in pairs if x.mode == "irreversible_enzyme_inhibitor"]
        if reversible:
            for drug, x in reversible:
                n = ident(drug.name)
                params.append(_p(f"{n}_ec50_{t}", x.ec50_ng_per_mL.value, "ng/mL", x.ec50_ng_per_mL,
                                 "pharmacodynamics"))
                emax = x.emax.value if x.emax else 1.0
                params.append(_p(f"{n}_emax_{t}", emax, "dimensionless", x.emax or "assumed", "pharmacodynamics",
                                 "" if x.emax else "Full occupancy assumed at saturation",
                                 basis="measured" if x.emax else "assumed"))
            num = " + ".join(f"{ident(d.name)}_emax_{t} * {_load(d, target, 'ec50')}" for d, _ in reversible)
            den = " + ".join(_load(d, target, "ec50") for d, _ in reversible)
            exprs.append(Expression(f"occ_{t}", f"({num}) / (1 + {den})", "dimensionless",
                                    f"fraction of {target} bound by drugs"))
            if target in COMPETITIVE_HOOK:
                hooks[COMPETITIVE_HOOK[target]] = f"occ_{t} / (1 - occ_{t})"
            if target in FRACTION_HOOK:
                hooks[FRACTION_HOOK[target]] = f"occ_{t}"
        if irreversible:
            terms = []
            for drug, x in irreversible:
                n = ident(drug.name)
                params += [_p(f"{n}_kinact_{t}", x.kinact_per_h.value, "1/h", x.kinact_per_h, "pharmacodynamics"),
                           _p(f"{n}_ki_{t}", x.ki_ng_per_mL.value, "ng/mL", x.ki_ng_per_mL, "pharmacodynamics")]
                load = _load(drug, target, "ki")
                terms.append(f"{n}_kinact_{t} * {load} / (1 + {load})")
            hooks[IRREVERSIBLE_HOOK[target]] = " + ".join(terms)
        readouts.append(_occupancy_readout(target, bool(reversible), bool(irreversible)))
    module = Module("pharmacodynamics", tuple(species), tuple(params), tuple(exprs), tuple(reactions),
                    tuple(r for r in readouts if r is not None))
    return module, hooks


def _cyp_activity(enzyme: str, inhibitors: list[tuple[str, str, bool]], inactivators: list[str]) -> Module:
    """One CYP's activity: act = phenotype x intact fraction / (1 + sum of reversible loads).

    With mechanism-based inactivators the intact fraction is a state (1 without them):
        d intact / dt = kdeg (1 - intact) - sum_i kinact_i L_i / (1 + L_i) intact,
    kdeg = ln 2 / the enzyme's turnover half-life; it multiplies every route through the enzyme."""
    e = ident(enzyme)
    mod = "pharmacodynamics"
    params = [Parameter(f"pheno_{e}", 1.0, "dimensionless", "assumed", "assumed",
                        f"{enzyme} activity of the subject's phenotype relative to a normal metaboliser "
                        "(set from the genotype)",
                        tags=(f"phenotype:{enzyme}",), module=mod)]
    species, reactions = [], []
    intact = "1"
    if inactivators:
        half_life = cyp_turnover()[enzyme]
        intact = f"{e}_intact"
        params.append(Parameter(f"{e}_kdeg", math.log(2) / half_life.value, "1/h", half_life.source, "derived",
                                f"ln 2 / turnover half-life {half_life.value:g} h. {half_life.note}".strip(),
                                module=mod, fitted_to=FittedTo((half_life.source,), f"{enzyme} turnover half-life")))
        species.append(Species(intact, "liver", "dimensionless", 1.0,
                               f"fraction of {enzyme} not inactivated by drugs", mod))
        reactions += [Reaction(f"{e}_resynthesis", f"{e}_kdeg * (1 - {intact})", {intact: 1},
                               f"{enzyme} replaced at its turnover rate", mod),
                      Reaction(f"{e}_inactivation", f"({' + '.join(inactivators)}) * {intact}", {intact: -1},
                               f"mechanism-based inactivation of {enzyme}", mod)]
    inh = " + ".join(t for _, t, _ in inhibitors) or "0"
    expressions = [Expression(f"act_{e}", f"pheno_{e} * {intact} / (1 + {inh})", "dimensionless",
                              f"{enzyme} activity (phenotype, inactivation, drug inhibition)")]
    # The activity a saturable owner's own route sees (see _route_activity); an own_route inhibitor's
    # route reads act_<e> itself. Inactivation is not a Km effect: every route sees it.
    for owner, _, own_route in inhibitors:
        if own_route:
            continue
        others = " + ".join(t for o, t, _ in inhibitors if o != owner) or "0"
        expressions.append(Expression(f"act_{e}_not_{owner}", f"pheno_{e} * {intact} / (1 + {others})",
                                      "dimensionless", f"{enzyme} activity seen by {owner}'s own route"))
    readouts = [Readout(f"activity.{enzyme}", None, f"act_{e}", "1",
                        description=f"hepatic {enzyme} activity relative to a normal metaboliser without drugs")]
    return Module(mod, tuple(species), tuple(params), tuple(expressions), tuple(reactions), tuple(readouts))


def _occupancy_readout(target: str, reversible: bool, irreversible: bool) -> Readout | None:
    t = ident(target)
    if target == "MAO-A":
        return Readout("occupancy.MAO-A", None, "1 - mao_a * (1 - inh_MAO_A)", "1")
    if target == "MAO-B":
        return Readout("occupancy.MAO-B", None, "1 - mao_b * (1 - inh_MAO_B)", "1")
    if target == "GABA-T":
        return Readout("occupancy.GABA-T", None, "1 - gabat_cortex", "1",
                       description="fraction of cortical GABA-T inactivated")
    return Readout(f"occupancy.{target}", None, f"occ_{t}", "1") if reversible else None


# Serotonin compartments (model/modules/serotonin.py) whose terminals take up levodopa, and the
# dopamine compartments that receive the dopamine they release: the cortex terminal also stands for
# the striatal and prefrontal serotonergic fields (serotonin.py), the raphe and hippocampal releases
# fall where the model has no dopamine compartment and are not tracked.
SEROTONIN_TERMINALS = ("raphe", "cortex", "hippocampus")
FALSE_TRANSMITTER_TARGETS = {"cortex": ("striatum", "prefrontal")}


def levodopa_module(drugs: tuple[Drug, ...]) -> tuple[Module | None, dict[str, str]]:
    """Levodopa crosses the BBB on LAT1 in competition with the LNAA and is decarboxylated in
    dopamine terminals (Reed, Nijhout & Best 2012) and in serotonin terminals, whose AADC and VMAT2
    handle it as a false transmitter: levodopa competes with 5-HTP for AADC, the dopamine made there
    competes with 5-HT for VMAT2 and is released with 5-HT (Reed 2012; Tanaka 1999; Navailles 2010),
    displacing 5-HT from the vesicles (Everett & Borcherding 1970)."""
    if not any(d.name == "levodopa" for d in drugs):
        return None, {}
    mod = "drug:levodopa"
    params = (
        Parameter("ldopa_lat1_km", LDOPA_LAT1_KM, "uM", "kageyama2000", "measured",
                  "LAT1 Km for L-DOPA", module=mod),
        Parameter("ldopa_brain_efflux", 6.0, "1/h", "assumed", "assumed",
                  "Brain levodopa leaves by LAT1 exchange and diffusion; half-life about 7 min assumed, "
                  "of the order of brain Trp exchange in this model", module=mod),
        Parameter("ldopa_terminal_uptake", 1.0, "1/h", "assumed", "assumed",
                  "Uptake of brain levodopa into dopamine terminals for decarboxylation (AADC)",
                  module=mod),
        Parameter("ldopa_5ht_uptake", LDOPA_5HT_UPTAKE, "1/h", "tanaka1999", "fitted",
                  "Uptake of brain levodopa into serotonin terminals (per terminal, as for dopamine "
                  "terminals). Fitted so that, with 5% of the dopamine neurons left (a 6-OHDA lesion, "
                  "95% assumed), serotonin terminals make 80% of the striatal extracellular dopamine "
                  "AUC (0-12 h) that levodopa 250 mg with carbidopa 25 mg adds: Tanaka 1999, 5,7-DHT cut "
                  "the levodopa-derived rise to 20% in 6-OHDA-lesioned rats (levodopa 50 mg/kg)",
                  module=mod, fitted_to=FittedTo(("tanaka1999",), "5-HT terminals make 80% of the levodopa-"
                                                 "derived striatal dopamine after a 95% dopamine lesion")),
    )
    species = [Species("brain_ldopa", "brain", "uM", 0.0, "brain extracellular levodopa", mod)]
    influx = "lat1_vmax * (levodopa_conc / ldopa_lat1_km) / lat1_sat"
    reactions = [Reaction("ldopa_bbb_in", influx, {"brain_ldopa": 1}),
                 Reaction("ldopa_bbb_out", "ldopa_brain_efflux * brain_ldopa", {"brain_ldopa": -1})]
    readouts = [Readout("brain.levodopa", None, "brain_ldopa", "uM")]
    hooks = {"lat1_extra": "levodopa_conc / ldopa_lat1_km",
             "brain_ldopa_in": "ldopa_terminal_uptake * brain_ldopa"}
    for r in SEROTONIN_TERMINALS:
        ld, cda, vda = f"ldopa_5ht_{r}", f"cda_5ht_{r}", f"vda_5ht_{r}"
        species += [Species(ld, r, "uM", 0.0, f"levodopa in {r} serotonin terminals", mod),
                    Species(cda, r, "uM", 0.0, f"cytosolic dopamine in {r} serotonin terminals", mod),
                    Species(vda, r, "uM", 0.0, f"vesicular dopamine in {r} serotonin terminals", mod)]
        # One AADC (Km 160 uM for 5-HTP, Best 2020; 130 uM for levodopa, Best 2009) and one VMAT2
        # (Km 0.2 uM for 5-HT; 3 uM for dopamine) shared competitively: each substrate's Km is
        # multiplied by 1 + (other substrate / its Km); the hooks apply the same terms to 5-HT's side.
        hooks[f"x_AADC_5HT_{r}"] = f"{ld} / aadc_km_ldopa"
        hooks[f"x_VMAT_5HT_{r}"] = f"{cda} / vmat_km_da"
        # Vesicles release their dopamine with their 5-HT: 5-HT's release rate per vesicular content.
        release = (f"rel_5ht * fire_raphe**fire_coupling_{r} * {vda}"
                   f" * exp(-rel_slope_5ht * ar_local_gain_{r} * (arg_{r} - ar_g0))")
        reactions += [
            Reaction(f"ldopa_5ht_in_{r}", "ldopa_5ht_uptake * brain_ldopa", {ld: 1}),
            Reaction(f"aadc_ldopa_5ht_{r}",
                     f"aadc_vmax_5ht * plp_sat * {ld} / (aadc_km_ldopa * (1 + htp_{r} / aadc_km_5htp) + {ld})",
                     {ld: -1, cda: 1}),
            Reaction(f"vmat_da_5ht_{r}",
                     f"vmat_vmax_5ht * {cda} / (vmat_km_da * (1 + c5ht_{r} / vmat_km_5ht) + {cda})"
                     f" - vmat_leak_5ht * {vda}", {cda: -1, vda: 1}),
            # Cytosolic dopamine is oxidised by MAO at the dopamine terminal's rate (Best 2009).
            Reaction(f"cda_5ht_catab_{r}", f"cda_catab * maoa_act_{r} * {cda}", {cda: -1}),
            Reaction(f"release_da_5ht_{r}", release, {vda: -1}),
        ]
        for target in FALSE_TRANSMITTER_TARGETS.get(r, ()):
            reactions.append(Reaction(f"release_da_5ht_{r}_to_{target}", f"{release} * ht_density_{r}",
                                      {f"eda_{target}": 1}, f"dopamine from {r}-type 5-HT terminals"))
        readouts.append(Readout("synthesis.dopamine.serotonergic", r,
                                f"aadc_vmax_5ht * plp_sat * {ld}"
                                f" / (aadc_km_ldopa * (1 + htp_{r} / aadc_km_5htp) + {ld})",
                                "uM/h", description="dopamine made from levodopa per serotonin terminal"))
    return Module("drug:levodopa:brain", tuple(species), params, (), tuple(reactions), tuple(readouts)), hooks


@lru_cache(maxsize=64)
def network_for(drug_names: tuple[str, ...] = (),
                formulations: tuple[tuple[str, str], ...] = ()) -> Network:
    """The full model with these drugs (and their active metabolites) wired in; `formulations`
    holds (drug, formulation) pairs that get a gut compartment besides the default product's."""
    modules = base_modules()
    if not drug_names:
        return assemble(f"neuroscape-{MODEL_VERSION}", modules)
    drugs = drug_closure(drug_names)
    forms: dict[str, list[str]] = {}
    for drug_name, form in sorted(set(formulations)):
        if drug_name not in drug_names:
            raise ProtocolError(f"formulation {form!r} of {drug_name!r}, which is not among the drugs "
                                f"{', '.join(drug_names)}: add it to the drugs, or build the model from the "
                                "plan (simulate.model_for(plan))")
        key = load_drug(drug_name).formulation(form)
        if key is not None and key not in forms.setdefault(drug_name, []):
            forms[drug_name].append(key)
    pd, hooks = pd_module(drugs)
    ldopa, ldopa_hooks = levodopa_module(drugs)
    hooks.update(ldopa_hooks)
    patched = []
    for m in modules:
        if m.name == "enzymes":
            bound = {r.quantity for r in pd.readouts}
            m = replace(m, expressions=tuple(replace(e, expr=hooks.get(e.name, e.expr)) for e in m.expressions),
                        readouts=tuple(r for r in m.readouts if r.quantity not in bound))
        patched.append(m)
    extra = [pk_module(d, tuple(forms.get(d.name, ()))) for d in drugs] + [pd] + ([ldopa] if ldopa else [])
    name = f"neuroscape-{MODEL_VERSION}+" + "+".join(
        d.name + "".join(f"[{f}]" for f in forms.get(d.name, ())) for d in drugs)
    return assemble(name, patched + extra)
