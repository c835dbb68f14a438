"""ESS and split R-hat (Vehtari et al. 2021) against known cases, and the MCMC's stopping rule."""

import numpy as np
import pytest
from rich.console import Console
from typer.testing import CliRunner

from neuroscape.assess.calibrate import calibrate
from neuroscape.assess.convergence import ess, ess_bulk, ess_tail, rhat, rhat_limit
from neuroscape.assess.run import assess
from neuroscape.cli import app
from neuroscape.subject import Subject

from .test_censored import base, only, tyr  # noqa: F401  (base: a fixture)

PATIENTS = "src/neuroscape/examples/patients"
rng = np.random.default_rng(20260506)


def ar1(m, n, rho):
    e = rng.normal(size=(m, n))
    y = np.empty((m, n))
    y[:, 0] = e[:, 0] / np.sqrt(1 - rho * rho)  # start in the stationary distribution
    for t in range(1, n):
        y[:, t] = rho * y[:, t - 1] + e[:, t]
    return y


def test_ess_of_independent_draws_is_the_number_of_draws():
    x = rng.normal(size=(4, 2000))
    for f in (ess, ess_bulk):
        assert f(x) == pytest.approx(8000, rel=0.1)
    assert ess_tail(x) == pytest.approx(8000, rel=0.2)


@pytest.mark.parametrize("rho", [0.5, 0.9])
def test_ess_of_an_ar1_chain_is_n_1_minus_rho_over_1_plus_rho(rho):
    y = ar1(4, 10000, rho)
    expected = 40000 * (1 - rho) / (1 + rho)  # 13333 and 2105
    assert ess(y) == pytest.approx(expected, rel=0.15)
    assert ess_bulk(y) == pytest.approx(expected, rel=0.15)


def test_rhat_is_one_for_mixed_chains_and_large_for_separated_ones():
    assert rhat(rng.normal(size=(4, 1000))) == pytest.approx(1.0, abs=0.01)
    assert rhat(ar1(4, 4000, 0.5)) < 1.01
    shifted = rng.normal(size=(4, 1000))
    shifted[0] += 2.0
    assert rhat(shifted) > 1.1
    # a trend within each chain (not yet stationary): the split halves disagree
    trend = rng.normal(size=(4, 1000)) + np.linspace(0, 3, 1000)
    assert rhat(trend) > 1.1
    # a chain with a different scale: the folded version sees it
    scaled = rng.normal(size=(4, 1000))
    scaled[0] *= 4
    assert rhat(scaled) > 1.1


def test_rhat_limit_is_what_mixed_chains_reach_at_the_target_ess():
    # 16 stationary AR(1) chains (tau 27.6, as the ensemble's walkers) with a total ESS about 400:
    # R-hat of the 32 split chains sits at sqrt(1 + 32 / 400) (Vats & Knudson 2021), not below 1.01
    assert rhat_limit(4, 400) == 1.01 and rhat_limit(32, 400) == pytest.approx(1.0392, abs=1e-4)
    runs = [ar1(16, 700, 0.93) for _ in range(8)]
    assert np.mean([ess_bulk(y) for y in runs]) == pytest.approx(400, rel=0.15)
    assert np.median([rhat(y) for y in runs]) == pytest.approx(rhat_limit(32, 400), abs=0.01)


def test_constant_chains_give_nan_not_a_number_that_passes():
    x = np.ones((4, 100))
    assert np.isnan(ess(x)) and np.isnan(rhat(x))
    with pytest.raises(ValueError, match="chains has shape"):
        ess(np.ones(10))


def test_mcmc_runs_until_the_ess_target(base):  # noqa: F811
    post = calibrate(Subject(), [tyr(base * 0.8)], parameters=only("p0_tyr"), method="mcmc",
                     samples=1000, seed=1, min_ess=600)
    d = post.diagnostics
    row = d["convergence"][0]
    assert d["mcmc_converged"] and post.converged
    assert row["ess_bulk"] >= 600 and row["ess_tail"] >= 600
    assert row["rhat"] < d["rhat_limit"] == pytest.approx(np.sqrt(1 + 32 / 600))  # 16 walkers, split
    assert "ESS >= 600" in post.message


def test_mcmc_says_plainly_when_it_did_not_converge(base):  # noqa: F811
    post = calibrate(Subject(), [tyr(base * 0.8)], parameters=only("p0_tyr"), method="mcmc",
                     samples=200, seed=1, min_ess=1e6, max_steps=300)
    assert not post.converged and not post.diagnostics["mcmc_converged"]
    assert "MCMC NOT converged" in post.message and "step limit (300 steps)" in post.message
    assert "p0_tyr" in post.diagnostics["mcmc_message"]


def test_assess_mcmc_reports_ess_rhat_and_non_convergence_in_json_report_and_cli(tmp_path):
    from neuroscape.cli.assess import print_assessment
    from neuroscape.io.patient import read_patient
    from neuroscape.report.assessment import assessment_report

    result = assess(read_patient(f"{PATIENTS}/ben-records.csv"), method="mcmc", samples=200, max_seconds=0)
    cal = result.as_dict()["calibration"]
    assert cal["mcmc_converged"] is False and cal["converged"] is False
    assert "time limit (0 s)" in cal["mcmc_message"] and "MCMC NOT converged" in cal["message"]
    assert {"parameter", "ess_bulk", "ess_tail", "rhat"} <= set(cal["convergence"][0])
    assert len(cal["convergence"]) == cal["informed"]
    page = assessment_report(result, tmp_path).read_text()
    assert "MCMC <b>NOT converged</b>" in page and "ESS bulk" in page
    console = Console(record=True, width=160)
    print_assessment(result, console)
    text = console.export_text()
    assert "MCMC NOT converged" in text and "R-hat" in text and cal["convergence"][0]["parameter"] in text


def test_assess_refuses_a_meaningless_ess_target():
    res = CliRunner().invoke(app, ["assess", f"{PATIENTS}/ben-records.csv", "--method", "mcmc", "--min-ess", "5"])
    assert res.exit_code == 2 and "min_ess = 5.0; give a number of at least 10" in res.output
