"""Plan search (manage/search.py): parity with an analytic dose, the strength ladder, risk, hard rules,
unreachable targets and determinism. Horizons are short and draws few so the suite stays fast; the
benchmark (`make bench`) runs the 12-week, 200-draw case."""

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from neuroscape.manage.safety import check_static
from neuroscape.manage.search import continuous_dose, optimise, plan_of_regimens
from neuroscape.manage.space import Levers
from neuroscape.manage.targets import load_profile, parse_profile
from neuroscape.pharmacology.library import load_drug
from neuroscape.pharmacology.pk import concentration, linear_pk
from neuroscape.plan import Plan, add_dose
from neuroscape.subject import Subject

WEEK = 7 * 24.0


def _trough_profile(low, high, settle_h=14 * 24.0, drug="escitalopram"):
    return parse_profile({"profile": 1, "name": "trough", "settle_h": settle_h, "bands": [
        {"id": "trough", "quantity": f"plasma.{drug}", "low": low, "high": high, "statistic": "min",
         "rationale": "test band", "source": "assumed"}]})


def _analytic_trough_per_mg(drug, every_h, horizon_h, settle_h, weight_kg=75.0):
    pk = linear_pk(load_drug(drug), weight_kg=weight_kg)
    count = int((horizon_h - 1e-9) // every_h) + 1
    t = np.linspace(settle_h, horizon_h, 2001)
    doses = [(k * every_h, 1.0, "oral", None) for k in range(count)]
    return 1e3 * float(np.min(concentration(pk, doses, t)))  # mg/L -> ng/mL, the readout's unit


def test_continuous_dose_equals_the_analytic_dose_for_a_linear_drug():
    """Escitalopram is linear in the library (first-order CYP routes): the dose whose trough is the band's
    centre is target / (trough per mg), from the superposed one-compartment solution."""
    horizon, settle = 3 * WEEK, 2 * WEEK
    profile = _trough_profile(20.0, 40.0, settle)
    dose = continuous_dose(Subject(), profile, "escitalopram", 24.0, horizon_h=horizon)
    analytic = 30.0 / _analytic_trough_per_mg("escitalopram", 24.0, horizon, settle)
    assert dose == pytest.approx(analytic, rel=0.01)


def test_with_a_strength_list_the_plan_is_the_best_admissible_strength():
    horizon, settle = 3 * WEEK, 2 * WEEK
    per_mg = _analytic_trough_per_mg("escitalopram", 24.0, horizon, settle)
    # a band around the 15 mg trough that 10 and 20 mg miss: the ladder 5, 10, 15, 20 mg must give 15 mg
    profile = _trough_profile(0.9 * 15 * per_mg, 1.1 * 15 * per_mg, settle)
    res = optimise(Subject(), profile, levers=Levers(drugs=("escitalopram",)), horizon_h=horizon, draws=0,
                   screen_draws=0, finalists=3)
    best = res.plans[0]
    assert best.candidate.future[0].dose_mg == 15 and best.pta["joint"].p == 1.0
    assert res.reached
    # doses above the label maximum (20 mg/day) were excluded by the hard rules, with their reason
    assert {e.candidate.future[0].dose_mg for e in res.excluded} == {25, 30, 40}
    assert all("label-max-daily-dose" in e.rule_ids for e in res.excluded)


def test_cvar_objective_is_no_worse_than_the_map_plug_in_plan():
    """On the same draws, the plan chosen on the draws has a CVaR no worse than the plan chosen at the
    point estimate (the MAP plug-in of the single-drug dosing tools)."""
    horizon = 3 * WEEK
    profile = load_profile("ssri-efficacy").model_copy(update={"settle_h": 2 * WEEK})
    levers = Levers(drugs=("escitalopram",))
    point = optimise(Subject(), profile, levers=levers, horizon_h=horizon, draws=0, screen_draws=0, finalists=4,
                     objective="cvar")
    full = optimise(Subject(), profile, levers=levers, horizon_h=horizon, draws=16, screen_draws=16,
                    finalists=8, objective="cvar", seed=3)
    by_label = {p.candidate.label: p for p in full.screened}
    map_plan = by_label[point.plans[0].candidate.label]
    assert full.plans[0].cvar <= map_plan.cvar + 1e-12


def _posterior_around_the_typical_subject(scale: float, n: int = 16, seed: int = 5, eta_map: dict | None = None):
    """A Posterior centred on the typical subject (eta = 0, or `eta_map` by parameter name) whose draws are
    `scale` times the population prior's spread, for every calibration parameter an escitalopram plan's
    model has."""
    from neuroscape.assess.posterior import Posterior
    from neuroscape.assess.priors import calibration_parameters
    from neuroscape.scenario import model_for
    from neuroscape.subject import parameter_vector

    network = model_for(add_dose(Plan(), "escitalopram", 0.0, 10.0)).network
    params = calibration_parameters(network)
    omega = np.array([c.omega for c in params])
    centre = np.array([(eta_map or {}).get(c.name, 0.0) for c in params])
    samples = centre + scale * np.random.default_rng(seed).normal(size=(n, omega.size)) * omega
    index = {name: i for i, name in enumerate(network.parameter_names)}
    targets = tuple(np.array([index[t] for t in c.targets], dtype=np.int64) for c in params)
    none = np.zeros(0)
    return Posterior(Subject(), Plan(), params, p0=parameter_vector(Subject(), network), targets=targets,
                     parameter_names=tuple(network.parameter_names), eta_map=centre,
                     cov=np.diag((scale * omega) ** 2), samples=samples, informed=np.ones(omega.size, bool),
                     method="test", converged=True, message="", evaluations=0, seconds=0.0, observations=(),
                     predicted=none, residuals=none, residuals_prior=none, sensitivity=np.zeros((0, omega.size)),
                     diagnostics={})


def test_the_risk_plan_coincides_with_the_map_plan_as_the_posterior_narrows():
    """With draws a hundredth of the prior's spread, the plan chosen on the draws is the MAP plug-in plan and
    its CVaR is the point estimate's loss (the risk objective only differs from plugging in the MAP where
    the posterior is wide)."""
    profile = load_profile("ssri-efficacy").model_copy(update={"settle_h": 2 * WEEK})
    kwargs = dict(levers=Levers(drugs=("escitalopram",)), horizon_h=3 * WEEK, finalists=8, objective="cvar")
    narrow = _posterior_around_the_typical_subject(0.01)
    point = optimise(narrow, profile, draws=0, screen_draws=0, **kwargs)
    full = optimise(narrow, profile, draws=16, screen_draws=16, seed=3, **kwargs)
    assert full.plans[0].candidate.label == point.plans[0].candidate.label
    assert full.plans[0].cvar == pytest.approx(point.plans[0].cvar, abs=0.02)
    by_label = {p.candidate.label: p for p in full.screened}
    for p in point.screened:  # every plan's risk converges on its point loss, not just the chosen one's
        assert by_label[p.candidate.label].cvar == pytest.approx(p.cvar, abs=0.05)


def test_an_exported_plan_protocol_reruns_the_calibrated_persons_map_trajectory():
    """The calibrated values travel under `parameters:`: running the exported protocol gives the search's own
    MAP trajectory (a person clearing escitalopram 1.5-fold faster than typical, e^0.4: SERT occupancy
    0.787 instead of the typical 0.825 at the end, so the values must have been applied)."""
    from neuroscape.assess.priors import calibration_parameters
    from neuroscape.protocol.run import run_protocol
    from neuroscape.protocol.schema import parse_protocol
    from neuroscape.scenario import model_for

    names = [c.name for c in calibration_parameters(model_for(add_dose(Plan(), "escitalopram", 0.0, 10.0)).network)
             if c.name.startswith("escitalopram.") or c.name.startswith("escit")]
    assert names, "the escitalopram model has PK calibration parameters"
    post = _posterior_around_the_typical_subject(0.01, eta_map={names[0]: 0.4})
    profile = load_profile("ssri-efficacy").model_copy(update={"settle_h": WEEK})
    res = optimise(post, profile, levers=Levers(drugs=("escitalopram",)), horizon_h=2 * WEEK, draws=0,
                   screen_draws=0, finalists=2)
    assert res.parameters and all(v > 0 for v in res.parameters.values())
    plan = next(p for p in res.plans if p.candidate.future)
    band = profile.bands[0]
    traj = plan.trajectories[band.id]
    t_end = float(traj["times_h"][-1])
    doc = res.protocol(plan, readouts=[{"id": "x", "quantity": band.quantity, "at_h": [t_end]}])
    assert set(doc["parameters"]) <= set(res.parameters)
    rerun = run_protocol(parse_protocol(doc))
    value = float(np.ravel(rerun.readouts["x"]["value"])[0])
    assert value == pytest.approx(float(traj["median"][-1]), rel=1e-3)


def test_a_space_above_max_candidates_is_sampled_by_optuna_deterministically():
    """75 plans (escitalopram/sertraline options x tryptophan doses) with room for 10: Optuna's TPE sampler
    screens exactly 10 distinct plans, "no change" (the warm start) among them, and says so; the same seed
    gives the same plans byte for byte, and enumeration (search="enumerate") refuses the space instead."""
    from neuroscape.errors import ProtocolError

    profile = load_profile("ssri-efficacy").model_copy(update={"settle_h": WEEK})
    levers = Levers(drugs=("escitalopram", "sertraline"), supplements=("tryptophan",), max_candidates=10)
    kwargs = dict(levers=levers, horizon_h=2 * WEEK, draws=0, screen_draws=0, finalists=3, seed=1)
    a = optimise(Subject(), profile, **kwargs)
    assert a.candidates == 75
    labels = [p.candidate.label for p in a.screened] + [e.candidate.label for e in a.excluded]
    assert len(labels) == len(set(labels)) == 10 and "no change" in labels
    assert any("Optuna's TPE sampler (seed 1) chose the 10" in n for n in a.notes)
    for scored in a.plans:
        assert not check_static(plan_of_regimens(scored.candidate.regimens), Subject())
    b = optimise(Subject(), profile, **kwargs)
    assert json.dumps(a.to_dict(), sort_keys=True) == json.dumps(b.to_dict(), sort_keys=True)
    with pytest.raises(ProtocolError, match="75 candidates, above max_candidates = 10"):
        optimise(Subject(), profile, **{**kwargs, "levers": Levers(drugs=levers.drugs, supplements=levers.supplements,
                                                                   max_candidates=10, search="enumerate")})


def test_forbidden_switches_are_never_returned_even_when_they_would_score_best():
    """From phenelzine (an irreversible MAOI) to an SSRI: a direct switch would raise SERT occupancy
    soonest, but the labels' 14-day wash-out forbids it; the wash-out switch waits the 14 days."""
    current = add_dose(Plan(), "phenelzine", 0.0, 15.0, every_h=8, count=3 * 21)
    profile = load_profile("ssri-efficacy").model_copy(update={"settle_h": 3 * WEEK})
    res = optimise(Subject(), profile, current=current, levers=Levers(drugs=("escitalopram",)),
                   horizon_h=5 * WEEK, draws=0, screen_draws=0, finalists=20)
    direct = [e for e in res.excluded if "direct switch" in e.candidate.label]
    assert direct and all("washout-irreversible-maoi-before-sri-or-bupropion" in e.rule_ids for e in direct)
    for plan in res.plans:
        assert not check_static(plan_of_regimens(plan.candidate.regimens), Subject())
        for reg in plan.candidate.future:
            if reg.name == "escitalopram":
                last_phenelzine = max(r.end_h for r in plan.candidate.history if r.name == "phenelzine")
                assert reg.start_h - last_phenelzine >= 14 * 24.0


def test_an_unreachable_target_is_reported_with_the_best_partial_plan():
    # SERT occupancy saturates at Emax 0.88 (meyer2007): 95% cannot be reached at any dose
    profile = parse_profile({"profile": 1, "name": "impossible", "settle_h": WEEK, "bands": [
        {"id": "sert", "quantity": "occupancy.SERT", "low": 0.95, "statistic": "min", "rationale": "test",
         "source": "assumed"}]})
    res = optimise(Subject(), profile, levers=Levers(drugs=("escitalopram",)), horizon_h=2 * WEEK, draws=0,
                   screen_draws=0)
    assert not res.reached and res.plans
    assert "not reached safely" in res.message and res.plans[0].pta["joint"].p == 0.0
    assert res.plans[0].candidate.future[0].dose_mg == 20  # the highest dose within the label: closest


def test_same_seed_same_plans_byte_for_byte():
    profile = load_profile("ssri-efficacy").model_copy(update={"settle_h": WEEK})
    kwargs = dict(levers=Levers(drugs=("escitalopram",)), horizon_h=2 * WEEK, draws=6, screen_draws=3,
                  finalists=2, seed=11)
    a = json.dumps(optimise(Subject(), profile, **kwargs).to_dict(), sort_keys=True)
    b = json.dumps(optimise(Subject(), profile, **kwargs).to_dict(), sort_keys=True)
    assert a == b


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(genotype=st.sampled_from([{}, {"CYP2C19": "*2/*2"}, {"CYP2D6": "*4/*4"}]),
       current=st.sampled_from([None, ("escitalopram", 20.0), ("phenelzine", 15.0), ("sertraline", 100.0)]),
       profile=st.sampled_from(["ssri-efficacy", "tdm-agnp2017"]))
def test_no_returned_plan_breaks_a_rule(genotype, current, profile):
    subject = Subject(sex="female", genotypes=genotype)
    plan = Plan() if current is None else add_dose(Plan(), current[0], 0.0, current[1],
                                                   every_h=8 if current[0] == "phenelzine" else 24, count=7)
    prof = load_profile(profile).model_copy(update={"settle_h": 3 * 24.0})
    res = optimise(subject, prof, current=plan, levers=Levers(drugs=("escitalopram", "sertraline")),
                   horizon_h=WEEK, draws=2, screen_draws=2, finalists=3)
    for scored in res.plans:
        assert not check_static(plan_of_regimens(scored.candidate.regimens), subject)
        assert all(m <= 1.0 for m in scored.ceiling_margin.values())
    assert len(res.plans) + len(res.excluded) <= res.candidates


def test_a_draw_that_cannot_be_simulated_excludes_the_plan(monkeypatch):
    """As `neuroscape check` treats a failed simulation: the ceilings cannot be shown to hold on a draw that
    could not be simulated, so no plan with such a draw is returned."""
    from neuroscape import scenario as scenario_module

    real = scenario_module.StartBatch.integrate_plans

    def one_fails(self, plans, times, solver=None, record=None):
        out, status, stats = real(self, plans, times, solver, record)
        for row in status:  # the search runs plans x draws in one call: each plan's last draw fails
            row[-1] = "max_steps"
        return out, status, stats

    monkeypatch.setattr(scenario_module.StartBatch, "integrate_plans", one_fails)
    profile = load_profile("ssri-efficacy").model_copy(update={"settle_h": 24.0})
    res = optimise(Subject(), profile, levers=Levers(drugs=("escitalopram",), max_units=1), horizon_h=72.0,
                   draws=2, screen_draws=2)
    assert not res.plans and not res.reached
    assert all(e.rule_ids == ("simulation",) and "1 of 2 posterior draws could not be simulated (max_steps)"
               in e.reasons[0] for e in res.excluded if "label-max-daily-dose" not in e.rule_ids)
    assert "no candidate plan passed the hard safety rules" in res.message


def test_plans_screened_together_score_as_each_plan_alone():
    """The search runs the plans of one model as one engine call (plans x draws, the draws' start states
    shared, one output grid read per plan): each plan scores as when it is evaluated on its own."""
    from neuroscape.manage.rules import load_rules
    from neuroscape.manage.search import SEARCH_SOLVER, _Evaluator
    from neuroscape.manage.space import Candidate, Regimen

    profile = load_profile("ssri-efficacy").model_copy(update={"settle_h": 3 * 24.0})
    horizon = WEEK
    esc = [Regimen("drug", "escitalopram", dose, 0.0, 24.0, 7) for dose in (5.0, 20.0)]
    exercise = Regimen("exercise", "endurance", 0.0, 18.0, 56.0, 3, None, 0.75, 0.7)
    cands = [Candidate("esc 5", (), (esc[0],)), Candidate("esc 20 + exercise", (), (esc[1], exercise)),
             Candidate("sertraline 50", (), (Regimen("drug", "sertraline", 50.0, 0.0, 24.0, 7),)),
             Candidate("esc 20", (), (esc[1],))]
    items = [(c, plan_of_regimens(c.regimens)) for c in cands]

    def evaluator():
        return _Evaluator(Subject(sex="female"), None, profile, 0.0, horizon, 4, 0.9, SEARCH_SOLVER, load_rules())

    together = evaluator().evaluate_many(items, 5, "screen")
    for (cand, plan), res in zip(items, together):
        alone = evaluator().evaluate(cand, plan, 5, "screen")
        assert res.pta == alone.pta
        assert res.statistic["sert_trough"] == pytest.approx(alone.statistic["sert_trough"], rel=1e-9)
        assert res.expected_loss == pytest.approx(alone.expected_loss, rel=1e-9, abs=1e-12)
        for rule, margin in alone.ceiling_margin.items():
            assert res.ceiling_margin[rule] == pytest.approx(margin, rel=1e-9)
        traj, own = res.trajectories["sert_trough"], alone.trajectories["sert_trough"]
        assert traj["times_h"] == own["times_h"]
        np.testing.assert_allclose(traj["median"], own["median"], rtol=1e-9)
    # the doses matter: 20 mg holds SERT higher than 5 mg, exercise does not lower it
    assert together[3].statistic["sert_trough"] > together[0].statistic["sert_trough"] + 0.05
    assert together[1].statistic["sert_trough"] == pytest.approx(together[3].statistic["sert_trough"], abs=0.01)


def test_the_search_solvers_dense_output_reads_troughs_and_peaks_as_steps_ending_at_each_output_do():
    """SEARCH_SOLVER reads the peak ladder from the continuous extension instead of ending a step at each
    output: against a tight step-to-output reference (rtol 1e-8) the SERT trough and the cortical 5-HT peak
    of four weeks of daily dosing move by less than 1e-6 (absolute, relative)."""
    from dataclasses import replace

    from neuroscape.engine.compiled import Solver
    from neuroscape.manage.peaks import peak_grid
    from neuroscape.manage.search import GRID_STEP_H, SEARCH_SOLVER
    from neuroscape.scenario import scenario

    assert SEARCH_SOLVER.dense_output
    plan = add_dose(Plan(), "fluoxetine", 0.0, 40.0, every_h=24, count=28)
    horizon = 4 * WEEK
    sc = scenario(Subject(sex="female"), plan, horizon)
    times = peak_grid(plan, horizon, GRID_STEP_H)
    start = sc.start(SEARCH_SOLVER)
    model = sc.model
    sert = model.readout_function(model.network.readout("occupancy.SERT", None).key)
    ht = model.readout_function(model.network.readout("brain.serotonin.extracellular", "cortex").key)
    Pt = start.inputs_at(times)
    out = {}
    for name, solver in (("dense", SEARCH_SOLVER), ("steps", replace(SEARCH_SOLVER, dense_output=False)),
                         ("reference", Solver(rtol=1e-8, atol=1e-10))):
        Y, status, stats = start.integrate(times, solver)
        assert status == "ok"
        window = times >= WEEK
        out[name] = (float(np.min(sert(Y, Pt)[window])), float(np.max(ht(Y, Pt))), int(stats[0]))
    ref = out["reference"]
    for name in ("dense", "steps"):
        assert abs(out[name][0] - ref[0]) < 1e-6
        assert abs(out[name][1] / ref[1] - 1) < 1e-6
    assert out["dense"][2] < 0.85 * out["steps"][2]  # the ladder no longer ends steps
