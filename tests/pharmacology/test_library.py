"""The drug library: every file loads, every number is sourced, and the PK reproduces what was reported."""

from __future__ import annotations

import math

import pytest

from neuroscape.errors import ProtocolError
from neuroscape.model.parameters import references
from neuroscape.pharmacology.library import Drug, Sourced, drug_names, drug_references, load_drug

EXPECTED = {
    "escitalopram", "citalopram", "sertraline", "fluoxetine", "norfluoxetine", "paroxetine",
    "venlafaxine", "desvenlafaxine", "bupropion", "hydroxybupropion", "levodopa", "carbidopa",
    "haloperidol", "risperidone", "paliperidone", "moclobemide", "phenelzine", "selegiline",
    "vigabatrin", "diazepam", "desmethyldiazepam", "lorazepam",
    "threohydrobupropion", "erythrohydrobupropion",
}
NAMES = drug_names()


def _sourced(obj, path="drug"):
    """Every Sourced number inside a drug, with a readable path."""
    if isinstance(obj, Sourced):
        yield path, obj
    elif isinstance(obj, tuple):
        for i, item in enumerate(obj):
            yield from _sourced(item, f"{path}[{i}]")
    elif hasattr(type(obj), "model_fields"):
        for field in type(obj).model_fields:
            yield from _sourced(getattr(obj, field), f"{path}.{field}")


def _half_life_and_ke(drug: Drug) -> tuple[float, float]:
    """Terminal half-life and elimination rate; 2-compartment drugs use the terminal exponent
    (beta), the others ln 2 V / CL with MM routes at low concentration (Vmax/Km)."""
    dist = drug.distribution
    cl = drug.total_clearance_L_per_h()
    if dist.compartments == 2:
        k10, k12 = cl / dist.volume_L.value, dist.intercompartmental_clearance_L_per_h.value / dist.volume_L.value
        k21 = dist.intercompartmental_clearance_L_per_h.value / dist.peripheral_volume_L.value
        total = k10 + k12 + k21
        beta = (total - math.sqrt(total * total - 4 * k10 * k21)) / 2
        return math.log(2) / beta, k10
    ke = cl / dist.volume_L.value
    return math.log(2) / ke, ke


def test_library_holds_the_expected_drugs():
    assert EXPECTED <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_drug_loads(name):
    drug = load_drug(name)
    assert drug.name == name
    assert drug.elimination, "a drug needs at least one elimination route"
    assert drug.total_clearance_L_per_h() > 0


@pytest.mark.parametrize("name", NAMES)
def test_every_source_key_exists(name):
    known = set(drug_references()) | set(references())
    for path, number in _sourced(load_drug(name)):
        if number.source in ("assumed", "fitted"):
            assert number.note.strip(), f"{name}: {path} is {number.source} without a note giving the reason"
        else:
            assert number.source in known, f"{name}: {path} cites unknown reference {number.source!r}"


def test_drug_references_are_well_formed():
    for key, entry in drug_references().items():
        assert entry.get("citation"), key
        assert entry.get("tag") in {"A", "C", "L", "R", "U"}, key


@pytest.mark.parametrize("name", NAMES)
def test_metabolites_exist_and_are_metabolites(name):
    drug = load_drug(name)
    for metabolite in drug.metabolites:
        assert metabolite in NAMES, f"{name} forms {metabolite!r}, which has no drug file"
        met = load_drug(metabolite)
        assert met.kind == "metabolite"
        assert met.absorption is None and met.routes == ()


@pytest.mark.parametrize("name", [n for n in NAMES if load_drug(n).reported_half_life_h])
@pytest.mark.fit_check
def test_half_life_matches_report(name):
    drug = load_drug(name)
    derived, _ = _half_life_and_ke(drug)
    reported = drug.reported_half_life_h.value
    assert 0.65 * reported <= derived <= 1.35 * reported, (
        f"{name}: ln2*V/CL = {derived:.1f} h, reported {reported} h")


@pytest.mark.parametrize("name", [n for n in NAMES
                                  if load_drug(n).reported_tmax_h and load_drug(n).absorption])
@pytest.mark.fit_check
def test_tmax_matches_report(name):
    drug = load_drug(name)
    _, ke = _half_life_and_ke(drug)
    ka = drug.absorption.ka_per_h.value
    tmax = 1.0 / ka if math.isclose(ka, ke) else math.log(ka / ke) / (ka - ke)
    reported = drug.reported_tmax_h.value
    assert 0.5 * reported <= tmax <= 1.5 * reported, f"{name}: Tmax {tmax:.2f} h, reported {reported} h"


@pytest.mark.parametrize("name", NAMES)
def test_targets_are_plausible(name):
    for target in load_drug(name).targets:
        if target.emax is not None:
            assert 0 < target.emax.value <= 1.0
        if target.ec50_ng_per_mL is not None:
            assert target.ec50_ng_per_mL.value > 0


def test_carbidopa_stays_outside_the_brain():
    drug = load_drug("carbidopa")
    assert drug.distribution.crosses_bbb is False
    assert {t.target for t in drug.targets} == {"AADC-peripheral"}


def test_saturable_routes_where_documented():
    cyp2d6 = [p for p in load_drug("fluoxetine").elimination if p.enzyme == "CYP2D6"]
    assert cyp2d6 and cyp2d6[0].vmax_mg_per_h is not None and cyp2d6[0].km_ng_per_mL is not None
    # Paroxetine's CYP2D6 route is linear; its saturation comes from competition on its own route
    # (own_route Ki, crewe1992) and mechanism-based inactivation (bertelsen2003), so it also builds up
    # with time and carries over to other CYP2D6 substrates.
    par = load_drug("paroxetine")
    assert [i.own_route for i in par.cyp_inhibition if i.enzyme == "CYP2D6"] == [True]
    assert [i.enzyme for i in par.cyp_inactivation] == ["CYP2D6"]


def test_unknown_drug_is_a_protocol_error_with_a_suggestion():
    with pytest.raises(ProtocolError, match="did you mean 'sertraline'"):
        load_drug("sertralin")
    with pytest.raises(ProtocolError, match="unknown drug"):
        load_drug("no-such-drug-xyz")


def test_drug_id_is_the_one_spelling_rule_for_names_in_identifiers():
    from neuroscape.pharmacology.library import drug_id
    from neuroscape.pharmacology.network import ident

    assert drug_id("MAO-A") == "mao_a"
    assert drug_id("Levodopa-carbidopa SR") == "levodopa_carbidopa_sr"  # spaces too, not only hyphens
    assert ident is drug_id  # the network spells names with the same function the plan and priors use
