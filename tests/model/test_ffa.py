"""Plasma free fatty acids (model/modules/ffa.py): analytic time courses of the linear supply/removal
model, the albumin displacement of Trp, and the fits behind the constants (fit_check)."""

import math

import numpy as np
import pytest

from neuroscape import Plan, Subject, simulate
from neuroscape.model.library import default_network
from neuroscape.plan import hold_input

P = {p.name: p.value for p in default_network().parameters}
NEFA0 = P["nefa0"]


def _ffa(plan, times):
    traj = simulate(Subject(), plan, np.asarray(times, dtype=float))
    return traj, traj.readout("plasma.ffa") * 1000.0  # mM -> uM


def test_baseline_is_the_overnight_fasted_level_in_mM():
    traj, ffa = _ffa(Plan(), [0.0, 24.0])
    assert ffa == pytest.approx([NEFA0, NEFA0], rel=1e-6)
    assert default_network().readout("plasma.ffa").unit == "mM"


def test_a_held_lipolytic_drive_relaxes_with_the_k_ffa_time_constant():
    # exercise_lipolysis held without the other inputs of a session (cortisol stays at baseline):
    # p_ffa = nefa0 * (1 + (T - 1) * (1 - exp(-k t))), T = 1 + ffa_exercise_gain * x
    x, times = 0.5, [0.5, 1.0, 3.0]
    plan = hold_input(Plan(), "exercise_lipolysis", 0.0, x, mode="add")
    _, ffa = _ffa(plan, times)
    target = 1 + P["ffa_exercise_gain"] * x
    expected = [NEFA0 * (1 + (target - 1) * (1 - math.exp(-P["k_ffa"] * t))) for t in times]
    assert ffa == pytest.approx(expected, rel=2e-4)


def test_a_fast_raises_ffa_through_the_slow_adaptation():
    # drive D(t) = 1 + g (1 - exp(-a t)); p_ffa/nefa0 = 1 + g [(1 - exp(-k t)) - k/(k - a) (exp(-a t) - exp(-k t))]
    times = [6.0, 24.0, 60.0]
    plan = hold_input(Plan(), "fasting", 0.0, 1.0, mode="add")
    _, ffa = _ffa(plan, times)
    g, a, k = P["ffa_fast_gain"], P["k_fast"], P["k_ffa"]
    expected = [NEFA0 * (1 + g * ((1 - math.exp(-k * t)) - k / (k - a) * (math.exp(-a * t) - math.exp(-k * t))))
                for t in times]
    assert ffa == pytest.approx(expected, rel=2e-4)


def test_cortisol_sets_ffa_by_a_power_law_at_equilibrium():
    plan = hold_input(Plan(), "cortisol_fold", 0.0, 4.0)
    _, ffa = _ffa(plan, [48.0])
    assert ffa[0] / NEFA0 == pytest.approx(4.0 ** P["ffa_cortisol_gain"], rel=1e-3)  # 1.87


def test_the_nefa_fold_input_scales_the_supply():
    plan = hold_input(Plan(), "nefa_fold", 0.0, 2.0)
    _, ffa = _ffa(plan, [24.0])
    assert ffa[0] == pytest.approx(2 * NEFA0, rel=1e-4)


def test_ffa_displace_trp_from_albumin_by_the_competitive_binding_equation():
    plan = hold_input(Plan(), "nefa_fold", 0.0, 4.0)
    traj = simulate(Subject(), plan, np.array([0.0, 24.0]))
    ffa = traj.readout("plasma.ffa")[1] * 1000.0
    total = traj.readout("plasma.tryptophan")[1]
    kd = P["trp_albumin_kd"] * (1 + ffa / P["nefa_ki"]) / (1 + NEFA0 / P["nefa_ki"])
    b = total - P["albumin"] - kd
    free = 0.5 * (b + math.sqrt(b * b + 4 * kd * total))
    assert traj.readout("plasma.tryptophan.free")[1] == pytest.approx(free, rel=1e-6)
    free_fold = traj.readout("plasma.tryptophan.free", relative_to="baseline")[1]
    assert 2.0 < free_fold < 3.0  # 4x FFA: free Trp 2.5x, the marathon's order (Blomstrand 1988)
    # LAT1 also takes 80% of the bound Trp (trp_bound_availability), so brain Trp moves far less than free
    # Trp: free 6 -> 15 uM of 60 uM total raises the Trp LAT1 sees by about 4%
    assert 1.01 < traj.readout("brain.tryptophan", relative_to="baseline")[1] < 1.06


@pytest.mark.fit_check
def test_ffa_after_2_5_h_of_cycling_davis1992():
    # ffa_exercise_gain fitted: NEFA about 3.8-fold after 2.5 h at about 70% VO2max (Davis 1992)
    from neuroscape.interventions.exercise import exercise_inputs
    plan = Plan()
    for name, start, end, value, mode in exercise_inputs("endurance", 0.0, 2.5, 0.7):
        plan = hold_input(plan, name, start, value, end_h=end, mode=mode)
    _, ffa = _ffa(plan, [1.0, 2.5])
    assert ffa[1] / NEFA0 == pytest.approx(3.8, abs=0.05)
    assert 2.0 < ffa[0] / NEFA0 < ffa[1] / NEFA0  # still rising


@pytest.mark.fit_check
def test_ffa_double_after_a_72_h_fast_gjedsted2007():
    # ffa_fast_gain fitted: 72 h fasted (60 h beyond the overnight fast) FFA roughly doubled (Gjedsted 2007)
    plan = hold_input(Plan(), "fasting", 0.0, 1.0, end_h=60.0, mode="add")
    _, ffa = _ffa(plan, [60.0, 84.0])
    assert ffa[0] / NEFA0 == pytest.approx(2.0, abs=0.05)
    assert ffa[1] < ffa[0]  # the adaptation undoes itself after the fast
