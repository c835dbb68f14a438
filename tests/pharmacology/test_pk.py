import numpy as np
import pytest

from neuroscape import Plan, Subject, simulate
from neuroscape.engine.compiled import Solver
from neuroscape.errors import DataError
from neuroscape.pharmacology.library import load_drug
from neuroscape.pharmacology.pk import (LinearPK, concentration, half_life_h, linear_pk,
                                        steady_state_oral_1cpt)
from neuroscape.plan import add_dose


def test_single_oral_dose_is_the_bateman_function():
    pk = LinearPK(v=50.0, cl=5.0, ka=1.2, f=0.8)
    t = np.linspace(0, 48, 97)
    expected = 0.8 * 100 * 1.2 / (50 * (1.2 - 0.1)) * (np.exp(-0.1 * t) - np.exp(-1.2 * t))
    assert np.allclose(concentration(pk, [(0.0, 100.0, "oral", None)], t), expected, rtol=1e-12)


def test_superposition_reaches_the_closed_form_steady_state():
    pk = LinearPK(v=50.0, cl=5.0, ka=1.2, f=0.8)
    tau, n = 12.0, 60  # 60 doses = 30 half-lives: steady state
    doses = [(k * tau, 100.0, "oral", None) for k in range(n)]
    t = (n - 1) * tau + np.linspace(0, tau, 25)[:-1]
    assert np.allclose(concentration(pk, doses, t), steady_state_oral_1cpt(pk, 100.0, tau, t - (n - 1) * tau),
                       rtol=1e-9)


def test_two_compartment_bolus_integrates_to_dose_over_clearance():
    pk = LinearPK(v=20.0, cl=4.0, vp=60.0, q=10.0)
    t = np.linspace(0, 400, 200001)
    c = concentration(pk, [(0.0, 100.0, "iv", None)], t)
    auc = np.trapezoid(c, t)
    assert auc == pytest.approx(100.0 / 4.0, rel=1e-4)  # AUC = dose / CL
    assert c[0] == pytest.approx(100.0 / 20.0)


def test_infusion_reaches_rate_over_clearance():
    pk = LinearPK(v=30.0, cl=3.0)
    c = concentration(pk, [(0.0, 300.0, "iv", 100.0)], [99.99])  # 3 mg/h for 100 h
    assert c[0] == pytest.approx(3.0 / 3.0 * (1 - np.exp(-0.1 * 99.99)), rel=1e-9)


def test_saturable_drug_is_refused_with_a_pointer_to_simulate():
    drug = load_drug("escitalopram").model_copy(update={"elimination": (
        load_drug("escitalopram").elimination[0].model_copy(update={
            "clearance_L_per_h": None,
            "vmax_mg_per_h": {"value": 1.0, "source": "assumed"},
            "km_ng_per_mL": {"value": 10.0, "source": "assumed"}}),)})
    with pytest.raises(DataError, match="non-linear: use neuroscape.simulate"):
        linear_pk(drug)


def test_ode_model_matches_the_analytic_solution():
    """The network's PK compartments against exact superposition (escitalopram, 10 daily doses)."""
    drug = load_drug("escitalopram")
    plan = add_dose(Plan(), "escitalopram", 0.0, 20.0, every_h=24, count=10)
    t = np.linspace(0, 264, 133)
    traj = simulate(Subject(weight_kg=70), plan, t, solver=Solver(rtol=1e-8, atol=1e-10))
    ode = traj.readout("plasma.escitalopram")
    exact = concentration(linear_pk(drug), [(24.0 * k, 20.0, "oral", None) for k in range(10)], t) * 1000
    assert np.allclose(ode, exact, rtol=1e-5, atol=1e-6 * exact.max())


@pytest.mark.fit_check
def test_half_life_of_escitalopram_matches_the_report():
    pk = linear_pk(load_drug("escitalopram"))
    assert half_life_h(pk) == pytest.approx(load_drug("escitalopram").reported_half_life_h.value, rel=0.35)


def test_label_age_group_lowers_escitalopram_clearance():
    plan = add_dose(Plan(), "escitalopram", 0.0, 10.0)
    t = np.linspace(0, 240, 241)
    young = simulate(Subject(age_years=40, weight_kg=70), plan, t).readout("plasma.escitalopram")
    old = simulate(Subject(age_years=70, weight_kg=70), plan, t).readout("plasma.escitalopram")
    # AUC = F dose / CL: 1/0.67 = 1.49 (Lexapro label: AUC about 50% higher in the elderly)
    assert np.trapezoid(old, t) / np.trapezoid(young, t) == pytest.approx(1 / 0.67, rel=0.03)
