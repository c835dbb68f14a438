"""Formulations (IR/SR/XL/XR): one drug, several oral products that differ only in absorption.

Each product's Tmax is checked against its label with the analytic PK (pharmacology/pk.py) of the
file's own disposition model, the ODE network against the analytic solution, and the label's
steady-state equivalence statements (same AUC; bupropion XL 300 mg qd ~ SR 150 mg bid in Cmax)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from neuroscape import Plan, Subject, simulate
from neuroscape.errors import DataError, ProtocolError
from neuroscape.pharmacology.library import Drug, drug_names, load_drug
from neuroscape.pharmacology.network import network_for
from neuroscape.pharmacology.pk import concentration, linear_pk
from neuroscape.plan import add_dose
from neuroscape.protocol import parse_protocol
from neuroscape.simulate import model_for

REFERENCE = Subject(weight_kg=70.0)
PRODUCTS = [(name, form) for name in drug_names() for form in load_drug(name).formulations]


def _tmax(drug: Drug, form: str | None) -> float:
    t = np.linspace(0.0, 36.0, 36001)
    c = concentration(linear_pk(drug, formulation=form), [(0.0, 1.0, "oral", None)], t)
    return float(t[c.argmax()])


def _steady(drug: Drug, form: str | None, dose_mg: float, tau_h: float, days: int = 20):
    """(Cmax ng/mL, AUC over 24 h) on the last day of `days` of dosing (analytic, superposition)."""
    pk = linear_pk(drug, formulation=form)
    doses = [(k * tau_h, dose_mg, "oral", None) for k in range(int(days * 24 / tau_h))]
    t = np.linspace((days - 1) * 24.0, days * 24.0, 2401)
    c = concentration(pk, doses, t) * 1000.0
    return float(c.max()), float(np.trapezoid(c, t))


def test_the_library_offers_the_labelled_products():
    assert set(load_drug("bupropion").formulations) == {"SR", "XL"}
    assert set(load_drug("venlafaxine").formulations) == {"XR"}
    assert load_drug("bupropion").default_formulation == "IR"


@pytest.mark.parametrize("name,form", PRODUCTS)
@pytest.mark.fit_check
def test_formulation_tmax_matches_its_label(name, form):
    drug = load_drug(name)
    reported = drug.formulations[form].reported_tmax_h.value
    # ka was chosen from these Tmax values (wellbutrin_label SR ~3 h, wellbutrin_xl_label XL ~5 h,
    # effexor_label XR 5.5 h), so this checks the arithmetic: within 5%.
    assert _tmax(drug, form) == pytest.approx(reported, rel=0.05)
    # A modified-release product peaks later than the default product
    assert _tmax(drug, form) > _tmax(drug, None)


@pytest.mark.parametrize("name,form", PRODUCTS)
def test_formulations_keep_the_extent_of_absorption(name, form):
    # Labels: SR, XL and IR bupropion are bioequivalent in AUC; venlafaxine XR has the same extent as IR.
    drug = load_drug(name)
    _, auc_default = _steady(drug, None, 150.0, 12.0)
    _, auc_form = _steady(drug, form, 150.0, 12.0)
    assert auc_form == pytest.approx(auc_default, rel=1e-3)


def test_bupropion_xl_once_daily_matches_sr_twice_daily():
    # wellbutrin_xl_label: XL 300 mg qd for 14 days equivalent in Cmax and AUC to SR 150 mg bid.
    drug = load_drug("bupropion")
    cmax_sr, auc_sr = _steady(drug, "SR", 150.0, 12.0)
    cmax_xl, auc_xl = _steady(drug, "XL", 300.0, 24.0)
    assert auc_xl == pytest.approx(auc_sr, rel=1e-3)
    assert 0.8 <= cmax_xl / cmax_sr <= 1.25  # bioequivalence limits
    assert cmax_xl / cmax_sr == pytest.approx(1.19, abs=0.02)  # the value documented in the file


@pytest.mark.xfail(strict=True, reason="effexor_label Cmax XR 150 mg qd 150 ng/mL vs IR 75 mg bid 225 ng/mL "
                                       "(0.67); with ka set by the XR Tmax of 5.5 h the model gives ~1.0")
def test_venlafaxine_xr_lowers_the_steady_state_peak_as_labelled():
    drug = load_drug("venlafaxine")
    cmax_ir, _ = _steady(drug, None, 75.0, 12.0)
    cmax_xr, _ = _steady(drug, "XR", 150.0, 24.0)
    assert 0.55 <= cmax_xr / cmax_ir <= 0.8


def test_zero_order_release_is_the_first_order_response_averaged_over_the_release():
    # pk._unit_release against a brute-force average of the oral response over release start times.
    pk = replace(linear_pk(load_drug("bupropion")), release_h=4.0)
    t = np.array([0.5, 2.0, 4.0, 6.0, 12.0])
    starts = np.linspace(0.0, 4.0, 4001)
    first_order = replace(pk, release_h=None)
    brute = np.mean([concentration(first_order, [(s, 1.0, "oral", None)], t) for s in starts], axis=0)
    assert np.allclose(concentration(pk, [(0.0, 1.0, "oral", None)], t), brute, rtol=2e-3)


def test_ode_network_matches_the_analytic_solution_per_formulation():
    # One plan mixing products (switching IR -> SR -> XL): gut compartments per product, shared disposition.
    plan = add_dose(Plan(), "bupropion", 0.0, 150.0)
    plan = add_dose(plan, "bupropion", 24.0, 150.0, formulation="SR")
    plan = add_dose(plan, "bupropion", 48.0, 300.0, formulation="xl")  # case does not matter
    assert plan.formulations == (("bupropion", "SR"), ("bupropion", "XL"))
    times = np.arange(0.0, 96.0001, 0.5)
    traj = simulate(REFERENCE, plan, times)
    drug = load_drug("bupropion")
    expected = sum(concentration(linear_pk(drug, formulation=form), [(at, mg, "oral", None)], times)
                   for at, mg, form in [(0.0, 150.0, None), (24.0, 150.0, "SR"), (48.0, 300.0, "XL")]) * 1000
    assert np.allclose(traj.readout("plasma.bupropion"), expected, rtol=2e-3, atol=0.05)
    species = traj.model.species_index
    assert {"bupropion_gut", "bupropion_gut_sr", "bupropion_gut_xl"} <= set(species)


def test_a_model_without_formulations_has_no_extra_gut():
    assert "bupropion_gut_sr" not in {s.name for s in network_for(("bupropion",)).species}
    name = model_for(add_dose(Plan(), "bupropion", 0.0, 150.0)).network.name
    assert name.endswith("bupropion+erythrohydrobupropion+hydroxybupropion+threohydrobupropion")


def test_unknown_formulation_lists_the_products():
    with pytest.raises(ProtocolError, match=r"'ER' is not a product of bupropion.*allowed: SR, XL.*default \(IR\)"):
        add_dose(Plan(), "bupropion", 0.0, 150.0, formulation="ER")
    with pytest.raises(ProtocolError, match="none besides the default"):
        add_dose(Plan(), "escitalopram", 0.0, 10.0, formulation="XR")
    with pytest.raises(ProtocolError, match="oral product"):
        add_dose(Plan(), "bupropion", 0.0, 150.0, route="iv", formulation="SR")
    # Naming the default product is the same as omitting the key
    assert add_dose(Plan(), "bupropion", 0.0, 150.0, formulation="ir").doses[0].formulation is None


def test_formulation_schema_refuses_clashing_names():
    data = load_drug("bupropion").model_dump()
    data["formulations"]["ir"] = data["formulations"]["SR"]
    with pytest.raises(ValueError, match="clashes with 'IR'"):
        Drug.model_validate(data)
    metabolite = load_drug("hydroxybupropion").model_dump()
    metabolite["formulations"] = {"SR": data["formulations"]["SR"]}
    with pytest.raises(ValueError, match="oral parent"):
        Drug.model_validate(metabolite)


def test_saturable_drugs_still_refuse_analytic_pk():
    # fluoxetine keeps a Michaelis-Menten CYP2D6 route; paroxetine's is now linear with its saturation in
    # own-route inhibition and inactivation, which linear_pk leaves out (as for moclobemide).
    with pytest.raises(DataError):
        linear_pk(load_drug("fluoxetine"))


# ---- the protocol key (format 1 extension: absent = the default product) ------------------------

def _protocol(intervention: str):
    import yaml

    return parse_protocol(yaml.safe_load(f"protocol: 1\nname: f\ninterventions:\n  - {intervention}\n"
                                         "readouts: [{id: c, quantity: plasma.bupropion, at_h: 3}]\n"))


def test_protocol_formulation_reaches_the_plan():
    from neuroscape.protocol.run import plan_of

    plan = plan_of(_protocol("{drug: bupropion, dose_mg: 150, formulation: SR}"))
    assert plan.doses[0].formulation == "SR"
    assert plan_of(_protocol("{drug: bupropion, dose_mg: 150}")).doses[0].formulation is None


def test_protocol_unknown_formulation_names_the_key_and_the_products():
    from neuroscape.protocol.run import plan_of

    with pytest.raises(ProtocolError, match=r"interventions\[0\]\.formulation: .*'XR'.*allowed: SR, XL"):
        plan_of(_protocol("{drug: bupropion, dose_mg: 150, formulation: XR}"))


def test_protocol_formulation_with_iv_is_refused_when_parsing():
    with pytest.raises(ProtocolError, match="formulation.*oral product"):
        _protocol("{drug: bupropion, dose_mg: 150, route: iv, formulation: SR}")
