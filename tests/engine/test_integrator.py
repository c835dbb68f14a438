import numpy as np
import pytest
from scipy.integrate import solve_ivp

from neuroscape.engine.compiled import Events, Solver, compile_network
from neuroscape.engine.sparse import analyse
from neuroscape.model.assemble import assemble
from neuroscape.model.network import Module, Parameter, Reaction, Species


def _net(name, species, params, reactions):
    return assemble(name, [Module(name, tuple(species), tuple(Parameter(n, v, u, "assumed", "assumed", note="test")
                                                              for n, v, u in params), (), tuple(reactions))])


@pytest.fixture(scope="module")
def robertson():
    return compile_network(_net("rober", [Species("a", "c", "uM", 1.0), Species("b", "c", "uM", 0.0),
                                          Species("c", "c", "uM", 0.0)],
                                [("k1", 0.04, "1/h"), ("k2", 3e7, "1/uM/h"), ("k3", 1e4, "1/uM/h")],
                                [Reaction("r1", "k1*a", {"a": -1, "b": 1}),
                                 Reaction("r2", "k2*b*b", {"b": -1, "c": 1}),
                                 Reaction("r3", "k3*b*c", {"b": -1, "a": 1})]))


@pytest.fixture(scope="module")
def chain():
    return compile_network(_net("chain", [Species("g", "c", "uM", 0.0), Species("x", "c", "uM", 0.0)],
                                [("ka", 1.3, "1/h"), ("ke", 0.2, "1/h"), ("vol", 2.0, "L")],
                                [Reaction("abs", "ka*g", {"g": -1, "x": 1}),
                                 Reaction("el", "ke*x", {"x": -1})]))


def test_robertson_matches_radau(robertson):
    # Every output time ends a step here (the step-to-output path): at the early outputs b and c
    # are far below their absolute tolerance, and only steps ending on them keep them this close.
    times = np.logspace(-5, 5, 40)
    y, status, _ = robertson.integrate(robertson.y_initial, None, times,
                                       solver=Solver(rtol=1e-8, atol=1e-10, dense_output=False))
    ref = solve_ivp(lambda t, u: robertson.rhs(u), (0, 1e5), robertson.y_initial, method="Radau",
                    t_eval=times, rtol=1e-12, atol=1e-16, jac=lambda t, u: robertson.jacobian(u))
    assert status == "ok"
    rel = np.abs(y - ref.y.T) / (np.abs(ref.y.T) + 1e-12)
    assert rel[:, 0].max() < 1e-6 and rel[:, 2].max() < 1e-4
    assert np.allclose(y.sum(axis=1), 1.0, atol=1e-8)  # mass conservation


def test_bateman_with_repeated_bolus_events(chain):
    """Oral first-order absorption and elimination: the Bateman function, superposed over doses."""
    ka, ke, vol, dose = 1.3, 0.2, 2.0, 10.0
    doses = [0.0, 12.0, 24.0]
    times = np.linspace(0, 48, 97)
    ev = Events.from_rows([(t, 0, 0, dose, 2) for t in doses])  # dose / p[vol]
    y, status, _ = chain.integrate(np.zeros(2), None, times, ev, Solver(rtol=1e-9, atol=1e-12))
    exact = np.zeros_like(times)
    for td in doses:
        dt = np.clip(times - td, 0, None)
        exact += (times >= td) * dose / vol * ka / (ka - ke) * (np.exp(-ke * dt) - np.exp(-ka * dt))
    assert status == "ok"
    assert np.max(np.abs(y[:, 1] - exact)) < 1e-6 * exact.max()


def test_set_parameter_event_and_steady_state(chain):
    p = chain.p_default.copy()
    ev = Events.from_rows([(0.0, 1, chain.param_index["ke"], 0.4, -1)])
    y, status, _ = chain.integrate(np.array([0.0, 5.0]), p, [0.0, 3.0], ev)
    assert status == "ok"
    assert y[1, 1] == pytest.approx(5.0 * np.exp(-0.4 * 3.0), rel=1e-5)


def test_batch_reports_each_member(chain):
    P = np.tile(chain.p_default, (3, 1))
    P[1, chain.param_index["ke"]] = np.nan  # a broken member does not stop the batch
    Y0 = np.tile([10.0, 0.0], (3, 1))
    out, statuses, _ = chain.integrate_batch(Y0, P, np.array([0.0, 5.0]), solver=Solver(max_steps=2000))
    assert statuses[0] == "ok" and statuses[2] == "ok" and statuses[1] != "ok"
    assert np.allclose(out[0], out[2])


def test_sparse_lu_solves_like_dense():
    rng = np.random.default_rng(1)
    n = 30
    rows, cols = np.nonzero(rng.random((n, n)) < 0.1)
    plan = analyse(n, rows, cols)
    dense = np.zeros((n, n))
    dense[rows, cols] = rng.normal(size=rows.size)
    dense += np.eye(n) * (np.abs(dense).sum(axis=1).max() + 1)
    import numba  # noqa: F401 - the kernels are compiled through a model module
    from neuroscape.engine import codegen  # noqa: F401
    model = compile_network(_net("one", [Species("z", "c", "uM", 1.0)], [("k", 1.0, "1/h")],
                                 [Reaction("d", "k*z", {"z": -1})]))
    lu = plan.arrays
    jmap, diag, perm = lu.jmap, lu.diag, lu.perm
    a = np.zeros(plan.nnz)
    a[jmap] = dense[rows, cols]
    for i in range(n):
        if not np.any((rows == i) & (cols == i)):
            a[diag[np.where(perm == i)[0][0]]] = dense[i, i]
    assert model.module._factor(a, lu)
    b = rng.normal(size=n)
    x = b.copy()
    model.module._solve(a, x, np.empty(n), lu)
    assert np.allclose(dense @ x, b, atol=1e-10)


def test_steady_state_from_a_warm_start_reaches_slow_modes():
    # A small parameter change started from the old steady state: the residual is tiny from the
    # start, and pseudo-transient continuation must still grow its step to reach the slow
    # (plasma amino-acid, days-long) modes. Calibration relies on warm starts.
    from neuroscape.simulate import default_model

    model = default_model()
    p = model.p_default.copy()
    cold = model.steady_state(p)
    p[model.param_index["p0_trp"]] *= 1.001
    warm = model.steady_state(p, cold.y)
    assert warm.ok and warm.iterations < 60
    np.testing.assert_allclose(warm.y, model.steady_state(p).y, rtol=1e-7, atol=1e-12)


@pytest.mark.parametrize("eps", [1e-13, -1e-13, 0.0])
def test_output_a_rounding_error_from_a_dose_is_the_same_instant(eps):
    # Output grids built with floating-point arithmetic land next to dose times; that used to stop
    # the integrator with a step-size underflow.
    from neuroscape.plan import Plan, add_dose
    from neuroscape.simulate import simulate
    from neuroscape.subject import Subject

    plan = add_dose(Plan(), "escitalopram", 0.0, 10.0, every_h=12, count=4)
    exact = simulate(Subject(), plan, [0.0, 24.0, 36.5]).readout("plasma.escitalopram")
    near = simulate(Subject(), plan, [0.0, 24.0 + eps, 36.5]).readout("plasma.escitalopram")
    np.testing.assert_allclose(near, exact, rtol=1e-8)


def _radau(model, times):
    return solve_ivp(lambda t, u: model.rhs(u), (0, times[-1]), model.y_initial, method="Radau",
                     t_eval=times, rtol=1e-12, atol=1e-16, jac=lambda t, u: model.jacobian(u)).y.T


def test_robertson_dense_output_within_tolerance(robertson):
    """Outputs read from the continuous extension are as accurate as the steps: every output within
    the solver's error weight atol_i + rtol |y_i| of the reference."""
    times = np.logspace(-5, 5, 40)
    solver = Solver(rtol=1e-8, atol=1e-10, dense_output=True)
    y, status, stats = robertson.integrate(robertson.y_initial, None, times, solver=solver)
    _, _, forced = robertson.integrate(robertson.y_initial, None, times,
                                       solver=Solver(rtol=1e-8, atol=1e-10, dense_output=False))
    ref = _radau(robertson, times)
    weight = robertson.atol_vector(robertson.y_initial, solver) + solver.rtol * np.abs(ref)
    assert status == "ok"
    assert np.max(np.abs(y - ref) / weight) < 1.0
    assert stats[0] < forced[0]  # the 40 outputs no longer end steps


@pytest.mark.parametrize("rtol", [1e-9, 1e-6, 1e-4])
def test_dense_output_matches_bateman_and_step_to_output(chain, rtol):
    """A linear system (oral absorption and elimination, three doses): the interpolated outputs are
    within the tolerance of the analytic solution and of the step-to-output path, with fewer steps."""
    ka, ke, vol, dose = 1.3, 0.2, 2.0, 10.0
    doses = [0.0, 12.0, 24.0]
    times = np.linspace(0, 48, 481)
    ev = Events.from_rows([(t, 0, 0, dose, 2) for t in doses])
    exact = np.zeros_like(times)
    for td in doses:
        dt = np.clip(times - td, 0, None)
        exact += (times >= td) * dose / vol * ka / (ka - ke) * (np.exp(-ke * dt) - np.exp(-ka * dt))
    solver = Solver(rtol=rtol, atol=rtol * 1e-2, dense_output=True)
    y, status, stats = chain.integrate(np.zeros(2), None, times, ev, solver)
    y_old, _, stats_old = chain.integrate(np.zeros(2), None, times, ev,
                                          Solver(rtol=rtol, atol=rtol * 1e-2, dense_output=False))
    assert status == "ok"
    scale = exact.max()
    assert np.max(np.abs(y[:, 1] - exact)) < rtol * scale
    assert np.max(np.abs(y[:, 1] - y_old[:, 1])) < rtol * scale
    assert stats[0] < stats_old[0]


def test_output_density_does_not_change_the_steps(chain):
    """2,401 outputs over a day take the same steps as 2 (outputs are interpolated, not stepped to),
    and the shared end point is the same number."""
    ev = Events.from_rows([(0.0, 0, 0, 10.0, 2)])
    solver = Solver(rtol=1e-6, atol=1e-8, dense_output=True)
    few, _, s_few = chain.integrate(np.zeros(2), None, [0.0, 24.0], ev, solver)
    many, _, s_many = chain.integrate(np.zeros(2), None, np.linspace(0.0, 24.0, 2401), ev, solver)
    assert s_many[0] == s_few[0] < 100
    np.testing.assert_allclose(many[[0, -1]], few, rtol=1e-13, atol=0)


def test_input_events_keep_the_step_size(chain):
    """Hourly input events (a rhythm held as hourly values) cost about one step each: the step is
    kept across them, not restarted at h_init (about six more steps an event before)."""
    ke = chain.param_index["ke"]
    hourly = Events.from_rows([(float(t), 1, ke, 0.2 * (1.0 + 0.01 * (t % 2)), -1) for t in range(1, 96)])
    solver = Solver(rtol=1e-6, atol=1e-8)
    _, st_plain, plain = chain.integrate(np.array([0.0, 5.0]), None, [96.0], None, solver)
    _, st_rhythm, rhythm = chain.integrate(np.array([0.0, 5.0]), None, [96.0], hourly, solver)
    assert st_plain == st_rhythm == "ok"
    assert rhythm[0] <= plain[0] + 95 + 10


def test_batch_members_have_their_own_events(chain):
    """Different dose schedules (and an input change) per member in one batch equal each member's
    single run; the old shared-events form still works."""
    vol, ke = 2, chain.param_index["ke"]
    schedules = [Events.from_rows([(0.0, 0, 0, 10.0, vol), (12.0, 0, 0, 5.0, vol)]),
                 Events(),
                 Events.from_rows([(3.0, 0, 0, 20.0, vol), (6.0, 1, ke, 0.5, -1), (30.0, 0, 1, 2.0, -1)]),
                 Events.from_rows([(t, 0, 0, 1.0, vol) for t in np.arange(0.0, 48.0, 4.0)])]
    b = len(schedules)
    P = np.tile(chain.p_default, (b, 1))
    P[:, 0] *= np.linspace(0.8, 1.2, b)  # and different parameters
    Y0 = np.tile([0.0, 1.0], (b, 1))
    times = np.linspace(0.0, 48.0, 97)
    solver = Solver(rtol=1e-8, atol=1e-10)
    out, status, _ = chain.integrate_batch(Y0, P, times, schedules, solver)
    assert status == ["ok"] * b
    for i, ev in enumerate(schedules):
        single, st, _ = chain.integrate(Y0[i], P[i], times, ev, solver, atol_scale=Y0[i])
        assert st == "ok"
        np.testing.assert_allclose(out[i], single, rtol=1e-9, atol=1e-12)
    assert not np.allclose(out[0], out[2])
    shared, _, _ = chain.integrate_batch(Y0, P, times, schedules[0], solver)
    listed, _, _ = chain.integrate_batch(Y0, P, times, [schedules[0]] * b, solver)
    np.testing.assert_allclose(shared, listed, rtol=1e-12)


def test_batch_events_must_match_the_members(chain):
    from neuroscape.errors import EngineError

    Y0, P = np.zeros((2, 2)), np.tile(chain.p_default, (2, 1))
    with pytest.raises(EngineError, match="events has 3 entries for a batch of 2"):
        chain.integrate_batch(Y0, P, [1.0], [Events()] * 3)
    with pytest.raises(EngineError, match=r"events\[1\] is list"):
        chain.integrate_batch(Y0, P, [1.0], [Events(), []])


def test_h_max_caps_the_step(chain):
    from neuroscape.errors import EngineError

    _, _, free = chain.integrate(np.array([0.0, 5.0]), None, [96.0], None, Solver())
    y, status, capped = chain.integrate(np.array([0.0, 5.0]), None, [96.0], None, Solver(h_max=1.0))
    assert status == "ok" and free[0] < 96 <= capped[0]
    assert y[0, 1] == pytest.approx(5.0 * np.exp(-0.2 * 96.0), rel=1e-5)
    with pytest.raises(EngineError, match=r"Solver.h_max = 0.0; it must be a positive number of hours"):
        Solver(h_max=0.0)
