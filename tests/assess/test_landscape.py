"""The landscape: reference bands, deviations, drivers; the assess command and its report."""

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from neuroscape.assess.calibrate import calibrate
from neuroscape.assess.landscape import _keys, landscape, reference_band
from neuroscape.assess.observations import ModelObservation
from neuroscape.cli import app
from neuroscape.plan import Plan, add_dose
from neuroscape.simulate import model_for, simulate
from neuroscape.subject import Subject

PATIENTS = "src/neuroscape/examples/patients"
runner = CliRunner()


def obs(quantity, value, unit, *, region=None, time_h=None, cv=0.1):
    return ModelObservation(quantity=quantity, region=region, value=value, unit=unit, time_h=time_h,
                            error_kind="proportional", cv=cv, sd=0.0, label=quantity, source="test")


@pytest.fixture(scope="module")
def typical():
    """A typical man whose CSF 5-HIAA is exactly the population median: posterior ~ prior."""
    base = simulate(Subject()).baseline("csf.5hiaa")
    return landscape(calibrate(Subject(), [obs("csf.5hiaa", base, "nM")]), samples=300)


def test_a_typical_patient_sits_in_the_middle_of_the_band(typical):
    for e in typical.entries:
        if np.isfinite(e.z):
            assert abs(e.z) < 0.35, e.label
            assert e.ref_low <= e.median <= e.ref_high, e.label


def test_reference_band_matches_the_prior_median():
    ref = reference_band(Subject(), samples=400, seed=2)
    keys = [k[4] for k in _keys(model_for(Plan()))]
    j = keys.index("brain.serotonin.extracellular@cortex")
    typical = simulate(Subject()).baseline("brain.serotonin.extracellular", "cortex")  # 59.5 nM
    assert np.median(ref[:, j]) == pytest.approx(typical, rel=0.15)


def test_low_csf_5hiaa_is_a_driver_of_low_serotonin_turnover():
    base = simulate(Subject()).baseline("csf.5hiaa")
    post = calibrate(Subject(), [obs("csf.5hiaa", 0.45 * base, "nM", cv=0.1)])
    land = landscape(post, samples=200)
    e = land.entry("brain.5hiaa", "cortex")
    assert e.z < -1.0
    drivers = dict(land.drivers["brain.5hiaa@cortex"])
    assert drivers["csf.5hiaa (baseline)"] < -0.2
    # Linearised shares sum to about the MAP shift of each parameter.
    np.testing.assert_allclose(post.contributions().sum(axis=0), post.eta_map, atol=0.05)


def test_an_ssri_raises_raphe_serotonin_and_occupies_sert():
    plan = add_dose(Plan(), "escitalopram", 0.0, 20.0, every_h=24, count=14)
    t = 24 * 13 + 23.0
    level = simulate(Subject(), plan, [t]).readout("plasma.escitalopram")[0]
    post = calibrate(Subject(), [obs("plasma.escitalopram", level, "ng/mL", time_h=t)], plan)
    land = landscape(post, samples=100)
    raphe = land.entry("brain.serotonin.extracellular", "raphe")
    assert raphe.z > 0.5
    assert land.drivers["brain.serotonin.extracellular@raphe"][0][0] == "medication"
    sert = land.entry("occupancy.SERT")
    assert 0.7 < sert.median < 0.95 and sert.flag == "on drug"


def test_assess_json_for_every_example_patient(tmp_path):
    for name in ("anna-fhir.json", "ben-records.csv", "carla-fhir.json"):
        res = runner.invoke(app, ["assess", f"{PATIENTS}/{name}", "--json", "--out", str(tmp_path),
                                  "--samples", "300"])
        assert res.exit_code == 0, res.output
        data = json.loads(res.stdout)
        assert data["calibration"]["converged"]
        assert all(abs(o["z"]) < 3 for o in data["observations"]), data["observations"]
        assert "not medical advice" in data["disclaimer"]
        page = (tmp_path / f"{data['patient_id']}.html").read_text()
        # landscape, band plot, visual predictive check, z-scores
        assert "never medical advice" in page and page.count("data:image/png;base64,") == 4
        assert "Each observation against time, with the model's median and 90% band" in page


def test_assess_prints_the_landscape():
    res = runner.invoke(app, ["assess", f"{PATIENTS}/ben-records.csv", "--samples", "200"])
    assert res.exit_code == 0, res.output
    assert "landscape at t" in res.output and "not medical advice" in res.output


def test_assess_bad_file_exit_2(tmp_path):
    bad = tmp_path / "p.csv"
    bad.write_text("patient_id,time,name,value,unit\np1,2026-01-01T08:00:00Z,tryptophan,60,kg\n")
    res = runner.invoke(app, ["assess", str(bad)])
    assert res.exit_code == 2 and "nothing was imported" in res.output
    res = runner.invoke(app, ["assess", str(tmp_path / "missing.json")])
    assert res.exit_code == 2
    res = runner.invoke(app, ["assess", f"{PATIENTS}/ben-records.csv", "--method", "hmc"])
    assert res.exit_code == 2 and "laplace, mcmc" in res.output


def test_assess_with_mcmc_shows_progress_and_reports_the_sampler():
    # ben's 26 informed parameters need ~8000 steps for ESS 400 (2.5 CPU-minutes): a time limit keeps
    # this test short; convergence itself is tested in test_convergence.py
    res = runner.invoke(app, ["assess", f"{PATIENTS}/ben-records.csv", "--method", "mcmc",
                              "--samples", "400", "--json", "--max-seconds", "5"])
    assert res.exit_code == 0, res.output
    cal = json.loads(res.stdout)["calibration"]
    assert cal["method"] == "mcmc" and 0.1 < cal["acceptance"] < 0.9
    res = runner.invoke(app, ["assess", f"{PATIENTS}/ben-records.csv", "--method", "mcmc", "--samples", "200",
                              "--max-seconds", "5"])
    assert res.exit_code == 0, res.output
    assert "calibration: mcmc" in res.output
