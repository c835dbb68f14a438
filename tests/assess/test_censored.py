"""Censored observations ("<L", ">L") in calibration: the M3 likelihood (Beal 2001)."""

import math
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest
from rich.console import Console
from scipy import optimize, stats

from neuroscape.assess.calibrate import calibrate
from neuroscape.assess.observations import ModelObservation, model_observations
from neuroscape.assess.priors import calibration_parameters, omega_of
from neuroscape.assess.problem import censored_curvature, censored_residual
from neuroscape.assess.records import Observation, PatientRecord
from neuroscape.assess.run import assess
from neuroscape.errors import DataError
from neuroscape.plan import Plan
from neuroscape.simulate import model_for, simulate
from neuroscape.subject import Subject

CV, PRIOR_CV = 0.10, 0.2  # tyrosine's error model in these tests; p0_tyr's prior CV


def tyr(value, censor=None, cv=CV):
    return ModelObservation(quantity="plasma.tyrosine", region=None, value=value, unit="uM", time_h=None,
                            error_kind="proportional", cv=cv, sd=0.0, label="plasma.tyrosine", source="test",
                            censor=censor)


def only(name):
    return tuple(c for c in calibration_parameters(model_for(Plan()).network) if c.name == name)


@pytest.fixture(scope="module")
def base():
    return simulate(Subject()).baseline("plasma.tyrosine")


def exact_posterior(c, sign):
    """MAP and curvature sd of eta ~ N(0, w^2) with P(report) = Phi(sign * (c - eta) / s): plasma
    tyrosine is proportional to p0_tyr at steady state, so log(prediction / base) = eta exactly."""
    w, s = omega_of(PRIOR_CV), omega_of(CV)

    def neg_log_post(eta):
        return -stats.norm.logcdf(sign * (c - eta) / s) + 0.5 * eta * eta / w / w

    eta = optimize.minimize_scalar(neg_log_post, bounds=(-5 * w, 5 * w), method="bounded",
                                   options={"xatol": 1e-10}).x
    h = 1e-4
    curv = (neg_log_post(eta + h) - 2 * neg_log_post(eta) + neg_log_post(eta - h)) / h / h
    return eta, 1.0 / math.sqrt(curv)


@pytest.mark.parametrize("fold, censor", [(1.0, "<"), (1.1, "<"), (0.95, ">")])
def test_censored_optimum_and_laplace_sd_match_the_exact_posterior(base, fold, censor):
    post = calibrate(Subject(), [tyr(base * fold, censor)], parameters=only("p0_tyr"))
    eta, sd = exact_posterior(math.log(fold), 1 if censor == "<" else -1)
    assert post.eta_map[0] == pytest.approx(eta, abs=2e-4)
    # the Laplace sd uses the exact curvature of -log Phi (Gauss-Newton alone: 12% wider at fold 1.0)
    assert post.sd[0] == pytest.approx(sd, rel=3e-3)
    # "<" at the prior median pulls eta down, ">" below it pulls it up
    assert (post.eta_map[0] < -0.05) if censor == "<" else (post.eta_map[0] > 0.0)


def test_a_limit_far_above_the_prediction_carries_no_information(base):
    post = calibrate(Subject(), [tyr(base * 3.0, "<")], parameters=only("p0_tyr"))
    assert post.identification() == {"p0_tyr": "prior"}
    assert post.eta_map[0] == 0.0 and post.sd_ratio[0] == pytest.approx(1.0)
    assert abs(post.residuals[0]) < 1e-10  # -2 log Phi(11) ~ 1e-28


def test_a_limit_far_below_the_prediction_pulls_the_estimate_below_it(base):
    # the prior median sits 3.5 prior sd above the limit: the posterior is the prior truncated at
    # the limit (softened by the assay's sd), so the MAP lies within a few assay sd of it
    post = calibrate(Subject(), [tyr(base * 0.5, "<")], parameters=only("p0_tyr"))
    eta, _ = exact_posterior(math.log(0.5), 1)
    assert post.eta_map[0] == pytest.approx(eta, abs=2e-3)
    assert math.log(0.5) < post.eta_map[0] < math.log(0.5) + 2 * omega_of(CV)
    p = stats.norm.cdf((math.log(0.5) - post.eta_map[0]) / omega_of(CV))
    assert post.fit_rows()[0]["limit_p"] == pytest.approx(p, rel=1e-3) and p > 0.02


def test_m3_residual_is_minus_two_log_likelihood_and_smooth():
    z = np.linspace(-8, 8, 161)
    below, above = np.full(z.size, -1), np.full(z.size, 1)
    np.testing.assert_allclose(censored_residual(z, below) ** 2, -2 * stats.norm.logcdf(z), rtol=1e-12)
    np.testing.assert_allclose(censored_residual(z, above) ** 2, -2 * stats.norm.logsf(z), rtol=1e-12)
    assert np.all(censored_residual(z, below) <= 0) and np.all(censored_residual(z, above) >= 0)
    np.testing.assert_array_equal(censored_residual(z, np.zeros(z.size)), z)
    # far below the limit ("<" and a prediction far above it) r -> z, as for a measured value
    assert censored_residual(np.array([-30.0]), np.array([-1]))[0] == pytest.approx(-30.0, rel=1e-2)
    k = censored_curvature(np.array([-30.0, 0.0, 30.0]), np.array([-1, -1, -1]))
    assert k[0] == pytest.approx(1.0, abs=1e-2) and k[2] == pytest.approx(math.sqrt(2), rel=2e-3)
    lam = stats.norm.pdf(0) / 0.5  # at z = 0: exact 0.5 f'' = lam^2 against Gauss-Newton lam^2 / f
    assert k[1] == pytest.approx(math.sqrt(-2 * math.log(0.5)), rel=1e-9)
    assert lam ** 2 == pytest.approx(0.6366, abs=1e-4)


def test_bad_censor_is_named():
    with pytest.raises(DataError, match="censor '<='; allowed"):
        calibrate(Subject(), [tyr(60.0, "<=")], parameters=only("p0_tyr"))


UTC = timezone.utc
T0 = datetime(2026, 3, 2, 8, tzinfo=UTC)


def record_with_a_limit():
    def o(code, value, unit, hours, censor=None, specimen="plasma"):
        return Observation(code=code, name=code, value=value, unit=unit, time=T0 + timedelta(hours=hours),
                           specimen=specimen, source=f"test {code}", censor=censor)

    return PatientRecord(patient_id="lim", sex="male", age_years=40,
                         observations=(o("tryptophan", 55.0, "umol/L", 0), o("tyrosine", 30.0, "umol/L", 1, "<")))


def test_censor_is_carried_to_the_model_observation_and_the_report(tmp_path):
    from neuroscape.cli.assess import print_assessment
    from neuroscape.report.assessment import assessment_report

    trp, tyrosine = model_observations(record_with_a_limit())
    assert trp.censor is None and tyrosine.censor == "<" and tyrosine.value == pytest.approx(30.0)
    result = assess(record_with_a_limit(), samples=100)
    rows = {r["label"]: r for r in result.posterior.fit_rows()}
    lim = next(r for r in rows.values() if r["censor"])
    assert lim["observed_text"] == "<30" and lim["z"] is None
    # the limit sits below the typical tyrosine (~60 uM): the fit moves toward it
    assert lim["fitted"] < simulate(result.subject).baseline("plasma.tyrosine")
    assert 0 < lim["limit_p"] < 1
    assert result.as_dict()["observations"][1]["censor"] == "<"
    page = assessment_report(result, tmp_path).read_text()
    assert "&lt;30" in page and "censored (P = " in page
    console = Console(record=True, width=200)
    print_assessment(result, console)
    text = console.export_text()
    assert "censored (M3" in text and "<30" in text
