"""One scenario path: simulate, the calibration problem and the landscape start a subject in the same
state and run the same events, including a cycling and a postpartum woman; batches of parameter
draws equal draw-by-draw simulation."""

from dataclasses import replace

import numpy as np
import pytest

from neuroscape.assess.calibrate import calibrate
from neuroscape.assess.landscape import landscape
from neuroscape.assess.observations import ModelObservation
from neuroscape.assess.priors import calibration_parameters
from neuroscape.assess.problem import CALIBRATION_SOLVER, Problem, parameter_matrix
from neuroscape.engine.compiled import Solver
from neuroscape.errors import EngineError
from neuroscape.plan import Plan, add_dose
from neuroscape.scenario import NO_PERIODIC_STATE, _history_events, scenario
from neuroscape.simulate import simulate
from neuroscape.subject import Subject, with_parameters

PLAN = add_dose(Plan(), "escitalopram", 0.0, 10.0, every_h=24, count=12)
TIMES = [0.0, 100.0, 260.0]
READOUTS = [("brain.serotonin.extracellular", "cortex"), ("plasma.estradiol", None), ("activity.MAO-A", None),
            ("receptor.5HT1A.sensitivity", None), ("plasma.escitalopram", None)]
IN_LANDSCAPE = [("brain.serotonin.extracellular", "cortex"), ("activity.TPH2", "raphe"), ("activity.MAO-A", None),
                ("receptor.5HT1A.sensitivity", None), ("occupancy.SERT", None)]
SUBJECTS = {
    "man": Subject(),
    "cycling woman": Subject(sex="female", cycle_day=9),
    "postpartum woman": Subject(sex="female", reproductive_stage="postpartum", postpartum_day=12),
}


def obs(quantity, value, unit, *, region=None, time_h=None):
    return ModelObservation(quantity=quantity, region=region, value=value, unit=unit, time_h=time_h,
                            error_kind="proportional", cv=0.1, sd=0.0, label=quantity, source="test")


@pytest.mark.parametrize("name", SUBJECTS)
def test_simulate_the_calibration_problem_and_the_landscape_agree(name):
    subject = SUBJECTS[name]
    traj = simulate(subject, PLAN, TIMES, solver=CALIBRATION_SOLVER)
    observations, expected = [], []
    for q, region in READOUTS:
        unit, values = traj.unit(q, region), traj.readout(q, region)
        for t, v in zip(TIMES, values):  # t = 0 as a baseline observation (taken before the first dose)
            observations.append(obs(q, max(float(v), 1.0), unit, region=region, time_h=t or None))
            expected.append(v)
    prob = Problem(subject, observations, PLAN)
    pred, status = prob.predict(np.zeros(prob.k))
    assert status == ["ok"]
    np.testing.assert_allclose(pred[0], expected, rtol=1e-6, atol=1e-12)
    # The landscape of a point posterior at the prior median: every draw is the simulated subject.
    post = calibrate(subject, observations[:1], PLAN,
                     parameters=tuple(c for c in prob.parameters if c.name == "p0_tyr"), samples=10)
    point = replace(post, samples=np.zeros_like(post.samples), eta_map=np.zeros_like(post.eta_map))
    land = landscape(point, at_h=TIMES[-1], samples=10)
    for q, region in IN_LANDSCAPE:
        assert land.entry(q, region).median == pytest.approx(traj.readout(q, region)[-1], rel=1e-6)


def test_the_hormone_course_is_in_the_calibration():
    # Before: the problem started every woman at the cycle-average steady state without her cycle.
    cycling, average = (simulate(s, PLAN, TIMES) for s in (SUBJECTS["cycling woman"], Subject(sex="female")))
    assert cycling.readout("plasma.estradiol")[0] == pytest.approx(198.0)  # day 9: follicular
    assert average.readout("plasma.estradiol")[0] == pytest.approx(350.0)
    ob = [obs("plasma.estradiol", 200.0, "pmol/L"),
          obs("activity.MAO-A", 1.0, "1", time_h=TIMES[-1])]
    prob = Problem(SUBJECTS["cycling woman"], ob, PLAN)
    pred, _ = prob.predict(np.zeros(prob.k))
    assert pred[0, 0] == pytest.approx(198.0)
    assert pred[0, 1] == pytest.approx(cycling.readout("activity.MAO-A")[-1], rel=1e-6)
    assert abs(pred[0, 1] / average.readout("activity.MAO-A")[-1] - 1) > 1e-3


def draws(sc, n, seed=0):
    params = calibration_parameters(sc.model.network)
    targets = [np.array([sc.model.param_index[t] for t in c.targets]) for c in params]
    etas = np.random.default_rng(seed).normal(0.0, [c.omega for c in params], size=(n, len(params)))
    return parameter_matrix(sc.p, targets, etas)


def as_subject(subject, sc, p):
    names = sc.model.network.parameter_names
    return with_parameters(subject, **{names[i]: float(p[i]) for i in np.flatnonzero(p != sc.p)})


@pytest.mark.parametrize("name", ["cycling woman", "postpartum woman"])
def test_the_batched_run_in_of_several_draws_equals_per_draw_simulate(name):
    subject = SUBJECTS[name]
    sc = scenario(subject, PLAN, TIMES[-1])
    P = draws(sc, 5)
    batch = sc.start_batch(P, CALIBRATION_SOLVER)
    assert batch.status == ("ok",) * 5
    states, status, _ = batch.integrate(TIMES, CALIBRATION_SOLVER)
    assert status == ["ok"] * 5
    moved = 0.0
    for i, p in enumerate(P):
        traj = simulate(as_subject(subject, sc, p), PLAN, TIMES, solver=CALIBRATION_SOLVER)
        np.testing.assert_allclose(traj.parameters, batch.inputs_at(TIMES)[i], rtol=0, atol=0)
        for q, region in READOUTS:
            fn = sc.model.readout_function(sc.model.network.readout(q, region).key)
            np.testing.assert_allclose(fn(states[i], traj.parameters), traj.readout(q, region), rtol=1e-6)
        # the run-in moved the start state away from each draw's own steady state
        size = np.maximum(np.abs(batch.steady_states[i]), CALIBRATION_SOLVER.zero_scale)
        moved = max(moved, np.max(np.abs(batch.Y0[i] - batch.steady_states[i]) / size))
    assert moved > 0.01


def test_a_failed_member_keeps_its_status_and_the_others_go_on():
    subject = SUBJECTS["cycling woman"]
    sc = scenario(subject, PLAN, TIMES[-1])
    P = draws(sc, 3, seed=1)
    P[1, sc.model.param_index["p0_tyr"]] = np.nan
    batch = sc.start_batch(P, CALIBRATION_SOLVER)
    assert batch.status[0] == batch.status[2] == "ok" and batch.status[1] != "ok"
    states, status, _ = batch.integrate(TIMES, CALIBRATION_SOLVER)
    assert status[1] == batch.status[1] and np.isnan(states[1]).all()
    alone = sc.start_batch(P[[0, 2]], CALIBRATION_SOLVER)
    np.testing.assert_array_equal(alone.Y0, batch.Y0[[0, 2]])
    with pytest.raises(EngineError, match="no baseline steady state"):
        sc.start(CALIBRATION_SOLVER, p=P[1])


def test_a_slow_draw_still_reaches_its_periodic_state():
    # Draw 141 of 200 (a vesicular 5-HT pool deep in the priors' tails) shrinks only ~10% a cycle: plain
    # cycles gave no periodic state in 60; extrapolated along its slow mode it converges in about 21.
    sc = scenario(SUBJECTS["cycling woman"])
    p = draws(sc, 200)[141]
    batch = sc.start_batch(p[None, :], Solver())
    assert batch.status == ("ok",) and batch.Y0[0] == pytest.approx(sc.start(Solver(), p=p).y0, rel=1e-9)
    events = _history_events(sc.model, p, sc.history)
    end, status, _ = sc.model.integrate(batch.Y0[0], p, [sc.history.duration_h], events, Solver())
    size = np.where(batch.steady_states[0] != 0, np.abs(batch.steady_states[0]), Solver().zero_scale)
    assert status == "ok" and np.max(np.abs(end[-1] - batch.Y0[0]) / size) < 1e-8


def test_a_run_in_without_a_periodic_state_is_named(monkeypatch):
    import neuroscape.scenario as module

    monkeypatch.setattr(module, "MAX_RUN_IN_CYCLES", 2)
    module._run_in_batch.cache_clear()
    sc = scenario(SUBJECTS["cycling woman"])
    assert sc.start_batch(draws(sc, 2, seed=3), CALIBRATION_SOLVER).status == (NO_PERIODIC_STATE,) * 2
    module._run_in_batch.cache_clear()


def test_rows_that_differ_in_what_the_events_read_are_refused():
    sc = scenario(SUBJECTS["man"], PLAN, TIMES[-1])
    P = np.tile(sc.p, (2, 1))
    P[1, sc.model.param_index["escitalopram_lag"]] = 0.5  # h
    with pytest.raises(EngineError, match=r"differ in escitalopram_lag, which the plan's .* one by one"):
        sc.start_batch(P)
    with pytest.raises(EngineError, match=r"P has shape \(3,\); give parameter rows \(b, \d+\)"):
        sc.start_batch(np.zeros(3))


def test_a_warm_run_in_reaches_the_same_periodic_state_in_fewer_cycles(monkeypatch):
    # Calibration's members (finite differences, posterior draws) start their run-in at their steady state
    # plus the subject's own periodic displacement: the same periodicity test, fewer cycles.
    import neuroscape.scenario as module

    sc = scenario(SUBJECTS["cycling woman"], PLAN, TIMES[-1])
    # members near the subject's p, as in a finite-difference Jacobian (steps of 1e-3 in eta)
    params = calibration_parameters(sc.model.network)
    targets = [np.array([sc.model.param_index[t] for t in c.targets]) for c in params]
    P = parameter_matrix(sc.p, targets, np.random.default_rng(2).normal(0.0, 1e-3, size=(6, len(params))))
    cycles = []
    plain = module._cycles

    def counted(advance, *args):
        def step(Y, rows):
            cycles[-1] += len(rows)
            return advance(Y, rows)

        return plain(step, *args)

    monkeypatch.setattr(module, "_cycles", counted)
    module._run_in_batch.cache_clear()
    out = {}
    for warm in (False, True):
        cycles.append(0)
        out[warm] = sc.start_batch(P, CALIBRATION_SOLVER, warm=warm)
        assert out[warm].status == ("ok",) * 6
    size = np.maximum(np.abs(out[False].steady_states), CALIBRATION_SOLVER.zero_scale)
    assert np.max(np.abs(out[True].Y0 - out[False].Y0) / size) < 1e-6  # both within 1e-8 a cycle of periodic
    assert cycles[1] < 0.8 * cycles[0]  # 42 -> 32 member-cycles


def test_many_plans_on_many_draws_in_one_batch_equal_each_plans_own_batch():
    """Plan search's shape: k plans (other doses and times of the same drug) x b draws in one engine
    call, each (plan, draw) with its own events, equal each plan's own batch; the cycling woman's
    own hormone course is in every plan's events."""
    subject = SUBJECTS["cycling woman"]
    plans = [PLAN, add_dose(Plan(), "escitalopram", 6.0, 20.0, every_h=24, count=12),
             add_dose(Plan(), "escitalopram", 0.0, 5.0, every_h=12, count=20)]
    sc = scenario(subject, PLAN, TIMES[-1])
    P = draws(sc, 3, seed=2)
    batch = sc.start_batch(P, CALIBRATION_SOLVER)
    states, status, _ = batch.integrate_plans(plans, TIMES, CALIBRATION_SOLVER)
    assert states.shape == (3, 3, len(TIMES), sc.model.n)
    assert status == [["ok"] * 3] * 3
    for j, plan in enumerate(plans):
        own, st, _ = scenario(subject, plan, TIMES[-1]).start_batch(P, CALIBRATION_SOLVER).integrate(
            TIMES, CALIBRATION_SOLVER)
        assert st == ["ok"] * 3
        np.testing.assert_allclose(states[j], own, rtol=1e-9, atol=1e-12)
    escitalopram = sc.model.species_index["escitalopram_cen"]
    assert states[1, 0, 2, escitalopram] > 1.5 * states[0, 0, 2, escitalopram]  # 20 mg vs 10 mg
    with pytest.raises(EngineError, match=r"plans\[0\] uses drugs \[\] .* one scenario per drug combination"):
        batch.integrate_plans([Plan()], TIMES)


def test_recorded_columns_and_their_readouts_equal_the_full_width_ones():
    """Plan search records only the states its readouts read and hands over only the parameter columns
    they read: the same values as the full-width arrays, bit for bit."""
    from neuroscape.errors import ModelError

    subject = SUBJECTS["cycling woman"]
    sc = scenario(subject, PLAN, TIMES[-1])
    model = sc.model
    P = draws(sc, 2, seed=3)
    batch = sc.start_batch(P, CALIBRATION_SOLVER)
    full, _, _ = batch.integrate_plans([PLAN], TIMES, CALIBRATION_SOLVER)
    Pt = batch.inputs_at(TIMES)
    for quantity, region in READOUTS:
        key = model.network.readout(quantity, region).key
        states, params = model.readout_reads(key)
        rec, _, _ = batch.integrate_plans([PLAN], TIMES, CALIBRATION_SOLVER, record=states)
        np.testing.assert_array_equal(rec[0], full[0][..., list(states)])
        cols = batch.inputs_under(PLAN, TIMES, params)
        np.testing.assert_array_equal(cols, Pt[..., list(params)])
        compact = model.readout_function(key, states, params)(rec[0], cols)
        np.testing.assert_array_equal(compact, model.readout_function(key)(full[0], Pt))
    key = model.network.readout("brain.serotonin.extracellular", "cortex").key
    with pytest.raises(ModelError, match=r"reads state .* record what readout_reads\(key\) names"):
        model.readout_function(key, states=[], parameters=None)
