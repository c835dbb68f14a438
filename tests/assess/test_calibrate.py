"""Calibration: analytic posteriors, PK individualisation, identifiability, recovery coverage."""

import math

import numpy as np
import pytest

from neuroscape.assess.calibrate import calibrate
from neuroscape.assess.observations import ModelObservation
from neuroscape.assess.priors import calibration_parameters, omega_of
from neuroscape.assess.problem import Problem, structural_parameters
from neuroscape.assess.recovery import escitalopram_design, recovery_study
from neuroscape.errors import DataError
from neuroscape.plan import Plan, add_dose
from neuroscape.simulate import model_for, simulate
from neuroscape.subject import Subject, parameter_vector, with_parameters


def obs(quantity, value, unit, *, region=None, time_h=None, cv=0.1, kind="proportional", sd=0.0):
    return ModelObservation(quantity=quantity, region=region, value=value, unit=unit, time_h=time_h,
                            error_kind=kind, cv=cv, sd=sd, label=quantity, source="test")


def only(name):
    network = model_for(Plan()).network
    return tuple(c for c in calibration_parameters(network) if c.name == name)


def test_log_linear_readout_gives_the_conjugate_normal_posterior():
    # Plasma tyrosine is proportional to its appearance set-point p0_tyr at steady state, so with
    # one proportional observation the posterior of eta is the conjugate normal, exactly.
    base = simulate(Subject()).baseline("plasma.tyrosine")
    y, cv = base * 1.3, 0.10
    post = calibrate(Subject(), [obs("plasma.tyrosine", y, "uM", cv=cv)], parameters=only("p0_tyr"))
    omega, sigma = omega_of(0.2), math.sqrt(math.log1p(cv * cv))
    d = math.log(y / base)
    mean = d * omega ** 2 / (omega ** 2 + sigma ** 2)
    sd = math.sqrt(omega ** 2 * sigma ** 2 / (omega ** 2 + sigma ** 2))
    assert post.eta_map[0] == pytest.approx(mean, abs=2e-4)
    assert post.sd[0] == pytest.approx(sd, rel=1e-3)
    assert post.identification() == {"p0_tyr": "identified"}


def test_mcmc_matches_the_analytic_posterior():
    base = simulate(Subject()).baseline("plasma.tyrosine")
    y, cv = base * 0.8, 0.15
    post = calibrate(Subject(), [obs("plasma.tyrosine", y, "uM", cv=cv)], parameters=only("p0_tyr"),
                     method="mcmc", samples=4000, seed=3)
    omega, sigma = omega_of(0.2), math.sqrt(math.log1p(cv * cv))
    mean = math.log(0.8) * omega ** 2 / (omega ** 2 + sigma ** 2)
    sd = math.sqrt(omega ** 2 * sigma ** 2 / (omega ** 2 + sigma ** 2))
    assert np.mean(post.samples[:, 0]) == pytest.approx(mean, abs=0.1 * sd)
    assert np.std(post.samples[:, 0]) == pytest.approx(sd, rel=0.1)
    assert 0.15 < post.diagnostics["acceptance"] < 0.9


def test_unreached_parameters_stay_exactly_at_their_prior():
    post = calibrate(Subject(), [obs("plasma.tyrosine", 70.0, "uM")])
    status = post.identification()
    i = post.names.index("gad_vmax")
    assert status["gad_vmax"] == "prior"
    assert post.eta_map[i] == 0.0 and post.sd_ratio[i] == pytest.approx(1.0)
    assert status["p0_tyr"] == "identified"


def test_structural_reach_of_a_drug_level_excludes_the_brain():
    model = model_for(add_dose(Plan(), "escitalopram", 0.0, 10.0))
    reach = structural_parameters(model, "plasma.escitalopram")
    assert {"escitalopram_cl_cyp2c19", "escitalopram_v", "escitalopram_ka"} <= reach
    assert "tph_vmax" not in reach and "gad_vmax" not in reach


def test_pk_individualisation_recovers_a_fast_clearer():
    plan = add_dose(Plan(), "escitalopram", 0.0, 10.0, every_h=24, count=28)
    subject = Subject(sex="female", genotypes={"CYP2C19": "*2/*2"})
    network = model_for(plan).network
    p = parameter_vector(subject, network)
    index = {n: i for i, n in enumerate(network.parameter_names)}
    cl = [n for n in network.parameter_names if n.startswith("escitalopram_cl_")]
    truth = with_parameters(subject, **{n: 1.5 * p[index[n]] for n in cl})
    times = [24 * 27 + t for t in (2.0, 6.0, 12.0, 23.5)]
    levels = simulate(truth, plan, times).readout("plasma.escitalopram")
    noise = np.array([1.05, 0.97, 1.02, 0.96])
    post = calibrate(subject, [obs("plasma.escitalopram", v, "ng/mL", time_h=t)
                               for t, v in zip(times, levels * noise)], plan)
    i = post.names.index("escitalopram.clearance")
    assert math.exp(post.eta_map[i]) == pytest.approx(1.5, rel=0.12)
    lo, hi = np.exp(post.interval(0.9)[i])
    assert lo < 1.5 < hi
    assert post.identification()["escitalopram.clearance"] == "identified"
    assert post.identification()["tph_vmax"] == "prior"
    # The fitted patient reproduces the levels it was fitted to.
    fitted = simulate(post.subject_at(), plan, times).readout("plasma.escitalopram")
    np.testing.assert_allclose(fitted, post.predicted, rtol=1e-4)


def test_genotype_moves_the_prior_median():
    plan = add_dose(Plan(), "escitalopram", 0.0, 10.0, every_h=24, count=10)
    t = [24 * 9 + 23.0]
    normal = Problem(Subject(), [obs("plasma.escitalopram", 10.0, "ng/mL", time_h=t[0])], plan)
    poor = Problem(Subject(genotypes={"CYP2C19": "*2/*2"}),
                   [obs("plasma.escitalopram", 10.0, "ng/mL", time_h=t[0])], plan)
    zero = np.zeros((1, normal.k))
    assert poor.predict(zero)[0][0, 0] / normal.predict(zero)[0][0, 0] > 1.5


@pytest.mark.parametrize("bad, message", [
    (obs("plasma.nonsense", 1.0, "uM"), "plasma.nonsense"),
    (obs("plasma.tryptophan", 60.0, "mg/dL"), "convert it at import"),
    (obs("plasma.tryptophan", -1.0, "uM"), "must be > 0"),
    (obs("plasma.tryptophan", 60.0, "uM", kind="poisson"), "allowed: proportional"),
    (obs("plasma.tryptophan", 60.0, "uM", time_h=5.0), "no medication"),
])
def test_bad_observations_are_named(bad, message):
    with pytest.raises(DataError, match=message):
        calibrate(Subject(), [bad])


def test_bad_options():
    with pytest.raises(DataError, match="method"):
        calibrate(Subject(), [obs("plasma.tryptophan", 60.0, "uM")], method="nuts")
    with pytest.raises(DataError, match="no observations"):
        calibrate(Subject(), [])


@pytest.mark.slow
def test_recovery_coverage_of_the_baseline_panel():
    result = recovery_study(50, seed=11)
    assert 0.80 <= result.coverage <= 0.98
    assert 0.80 <= result.coverage_informed <= 0.98
    assert result.map_rmse_informed < result.prior_rmse_informed
    assert result.skipped <= 5


@pytest.mark.slow
def test_recovery_coverage_of_drug_monitoring():
    result = recovery_study(12, design=escitalopram_design(), seed=5)
    assert 0.80 <= result.coverage <= 0.98
    assert result.per_parameter["escitalopram.clearance"] >= 0.75


def test_cortisol_is_compared_at_its_clock_time():
    # The model holds the 24-h mean (200 nmol/L); 430 nmol/L at 08:30 is a typical morning value
    # (Debono 2009 peak 428), the same value at 22:00 means a cortisol level twice typical or more.
    def fit(clock_h):
        o = ModelObservation(quantity="plasma.cortisol", region=None, value=430.0, unit="nmol/L",
                             time_h=None, error_kind="proportional", cv=0.19, sd=0.0, label="cortisol",
                             source="test", clock_h=clock_h)
        post = calibrate(Subject(), [o])
        return math.exp(post.eta_map[post.names.index("cortisol_base")])

    assert fit(8.5) == pytest.approx(1.0, abs=0.05)
    assert fit(22.0) > 2.0


def test_clock_time_comes_from_the_timestamp_as_written():
    from neuroscape.assess.records import Observation

    o = Observation(code="cortisol", name="cortisol", value=14.5, unit="ug/dL",
                    time="2026-03-02T09:30:00+01:00", specimen="serum", source="test")
    assert o.clock_h == pytest.approx(9.5) and o.time.hour == 8
