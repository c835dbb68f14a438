"""An unknown CYP genotype as a phenotype mixture (assess/mixture.py): which genes are mixed, the weights a
poor metaboliser's levels give (against the linear-Gaussian evidence worked by hand), exact equality with
the single-phenotype run when the genotype is known, draws allocated by weight, and the group in the record."""

import dataclasses
import math

import numpy as np
import pytest

from neuroscape.assess import mixture as M
from neuroscape.assess.calibrate import calibrate
from neuroscape.assess.observations import ModelObservation
from neuroscape.assess.priors import omega_of
from neuroscape.errors import DataError
from neuroscape.manage.trial import _pk_parameters
from neuroscape.plan import Plan, add_dose
from neuroscape.simulate import simulate
from neuroscape.subject import Subject

PLAN = add_dose(Plan(), "escitalopram", 0.0, 10.0, every_h=24.0, count=21)
TIMES = (6 * 24 + 23.5, 13 * 24 + 23.5, 20 * 24 + 23.5)  # troughs on days 7, 14 and 21
CV = 0.10


def _troughs(subject):
    values = simulate(subject, PLAN, list(TIMES)).readout("plasma.escitalopram")
    return [ModelObservation("plasma.escitalopram", None, float(v), "ng/mL", t, "proportional", CV, 0.0, "trough",
                             "test") for t, v in zip(TIMES, values)]


@pytest.fixture(scope="module")
def poor():
    """A CYP2C19 poor metaboliser's exact troughs, calibrated without the genotype (PK parameters only)."""
    _, params = _pk_parameters("escitalopram")
    obs = _troughs(Subject(genotypes={"CYP2C19": "poor"}))
    return obs, params, M.calibrate_mixture(Subject(), obs, PLAN, ("CYP2C19",), parameters=params, samples=200)


def test_mixed_genes_follow_the_clearance_share():
    assert M.mixed_genes(Subject(), PLAN) == ("CYP2C19",)  # CYP2D6 moves escitalopram's clearance at most 11%
    assert M.mixed_genes(Subject(genotypes={"CYP2C19": "*2/*2"}), PLAN) == ()
    assert M.mixed_genes(Subject(), Plan()) == ()  # no drug: nothing depends on a phenotype
    # racemic citalopram: CYP2D6 clears 2.7 of 19.8 L/h (enantiomer-weighted shares), under the threshold
    assert M.mixed_genes(Subject(), add_dose(Plan(), "citalopram", 0.0, 20.0)) == ("CYP2C19",)
    assert set(M.mixed_genes(Subject(), add_dose(Plan(), "fluoxetine", 0.0, 20.0))) == {"CYP2C19", "CYP2D6"}


def test_a_poor_metabolisers_levels_move_the_weight_to_poor(poor):
    """Hand-worked: on the log scale a steady trough is about c - log(CL), and CL = f_k exp(eta) with
    f_k = 1 - fm + fm m_k (fm the CYP2C19 share, m_k the phenotype's multiplier), eta ~ N(0, omega^2). The
    mean of n levels with sd s then has evidence N(log f_PM - log f_k; 0, omega^2 + s^2 / n) under phenotype
    k, so w_k ~ prior_k exp(-d_k^2 / (2 (omega^2 + s^2/n))): about 0.31 poor, 0.63 intermediate (the levels
    cannot tell a poor metaboliser from an intermediate one with a low clearance; the prior's 2.1% becomes
    about 30%)."""
    from neuroscape.pharmacology.frequencies import phenotype_frequencies
    from neuroscape.pharmacology.library import load_drug
    from neuroscape.pharmacology.pgx import clearance_multiplier

    obs, params, mix = poor
    drug = load_drug("escitalopram")
    total = sum(r.clearance_L_per_h.value for r in drug.elimination)
    fm = sum(r.clearance_L_per_h.value for r in drug.elimination if r.enzyme == "CYP2C19") / total
    omega = next(c.omega for c in params if c.name.endswith(".clearance"))
    var = omega ** 2 + omega_of(CV) ** 2 / len(obs)
    prior = phenotype_frequencies("CYP2C19", "european")
    f = {w: 1 - fm + fm * clearance_multiplier("CYP2C19", w) for w in prior}
    hand = {w: p * math.exp(-math.log(f["poor"] / f[w]) ** 2 / (2 * var)) for w, p in prior.items()}
    hand = {w: v / sum(hand.values()) for w, v in hand.items()}
    got = {c.phenotypes["CYP2C19"]: c.weight for c in mix.components}
    assert hand["poor"] == pytest.approx(0.309, abs=0.01)  # the arithmetic above, as a number
    for word in prior:
        assert got[word] == pytest.approx(hand[word], abs=0.03), word
    assert got["poor"] > 10 * prior["poor"] and got["poor"] + got["intermediate"] > 0.9
    assert sum(got.values()) == pytest.approx(1.0, abs=1e-12)
    assert sum(c.prior for c in mix.components) == pytest.approx(1.0, abs=1e-12) and mix.left_out == 0.0
    assert mix.group == "european" and "European assumed" in mix.group_basis
    assert mix.best.phenotypes == {"CYP2C19": "intermediate"}


def test_with_the_genotype_known_the_result_is_the_single_phenotype_run(poor):
    """The poor component is exactly the calibration of the subject whose genotype says poor (*2/*2), draws
    included; and with the genotype in the subject nothing is mixed."""
    obs, params, mix = poor
    known = calibrate(Subject(genotypes={"CYP2C19": "*2/*2"}), obs, PLAN, parameters=params, samples=200)
    comp = next(c for c in mix.components if c.phenotypes == {"CYP2C19": "poor"})
    for field in ("eta_map", "cov", "samples", "predicted", "residuals"):
        assert np.array_equal(getattr(comp.posterior, field), getattr(known, field)), field
    assert comp.log_evidence == known.log_evidence
    assert M.mixed_genes(known.subject, PLAN) == ()


def test_draws_are_shared_by_weight(poor):
    from neuroscape.manage.draws import draws_for
    from neuroscape.scenario import model_for

    _, _, mix = poor
    counts = mix.allocate(12)
    w = {c.phenotypes["CYP2C19"]: k for c, k in zip(mix.components, counts)}
    assert sum(counts) == 12 and w["intermediate"] in (7, 8) and w["poor"] in (3, 4) and w["ultrarapid"] == 0
    model = model_for(PLAN)
    P = draws_for(model, Subject(), mix, 12, seed=3)
    assert P.shape[0] == 12
    col = model.param_index["pheno_cyp2c19"]
    from neuroscape.pharmacology.pgx import clearance_multiplier

    for word, k in w.items():
        assert np.sum(np.isclose(P[:, col], clearance_multiplier("CYP2C19", word))) >= k
    # a mixture that is certain of one phenotype draws exactly as that phenotype's posterior
    only = next(c for c in mix.components if c.phenotypes == {"CYP2C19": "poor"})
    certain = dataclasses.replace(mix, components=(dataclasses.replace(only, weight=1.0),))
    assert np.array_equal(draws_for(model, Subject(), certain, 12, seed=3),
                          draws_for(model, only.posterior.subject, only.posterior, 12, seed=3))
    assert np.array_equal(draws_for(model, Subject(), mix, 0, seed=3),
                          draws_for(model, mix.best.posterior.subject, mix.best.posterior, 0, seed=3))


def test_allocation_is_largest_remainder():
    comps = tuple(M.PhenotypeComponent({"CYP2C19": w}, 0.2, x, 0.0, None)
                  for w, x in zip(("a", "b", "c", "d"), (0.63, 0.30, 0.054, 0.016)))
    mix = M.PhenotypeMixture(Subject(), ("CYP2C19",), "european", "test", comps, 0.0)
    assert mix.allocate(12) == [7, 4, 1, 0]   # 7.56, 3.6, 0.648, 0.192: floors 7, 3; the two largest remainders
    assert mix.allocate(10) == [6, 3, 1, 0]   # 6.3, 3.0, 0.54, 0.16: floors 6, 3; the largest remainder
    assert mix.allocate(0) == [0, 0, 0, 0]


def test_the_group_is_the_records_or_the_default_with_its_reason(tmp_path):
    from neuroscape.io.records_csv import read_records_csv

    assert M.resolve_group("estonian") == ("estonian", "stated in the record")
    assert M.resolve_group(None)[0] == "european"
    with pytest.raises(DataError, match="population 'martian': no phenotype frequencies for it; shipped groups: "
                                        "european, estonian"):
        M.resolve_group("martian")
    head = "patient_id,time,code,name,value,unit,specimen\np,,,sex,male,,\np,,,age,40,,\n"
    ok = tmp_path / "ok.csv"
    ok.write_text(head + "p,,,population,Estonian,,\n")
    assert read_records_csv(ok).population == "estonian"
    bad = tmp_path / "bad.csv"
    bad.write_text(head + "p,,,population,martian,,\n")
    with pytest.raises(DataError, match=r"bad.csv row 4: population 'martian': no phenotype frequencies"):
        read_records_csv(bad)
    # genes the group has no table for are refused with what to do
    with pytest.raises(DataError, match="population 'estonian' has no phenotype frequencies for CYP2B6; give the "
                                        "genotype"):
        M.calibrate_mixture(Subject(), [], PLAN, ("CYP2B6",), group="estonian")


@pytest.mark.slow
def test_assess_reports_the_mixture_and_equals_the_single_run_with_the_genotype(tmp_path):
    """A record with escitalopram levels of a poor metaboliser: without a genotype `assess` mixes CYP2C19
    (weights summing to 1 in the JSON, the HTML section); with *2/*2 in the record it runs one calibration,
    array-equal to the mixture's poor component."""
    from datetime import datetime, timedelta, timezone

    from neuroscape.assess.records import Genotype, Medication, Observation, PatientRecord
    from neuroscape.assess.run import assess
    from neuroscape.report.assessment import assessment_report

    t0 = datetime(2026, 3, 2, 8, tzinfo=timezone.utc)
    levels = [o.value for o in _troughs(Subject(sex="female", age_years=40.0, weight_kg=75.0,
                                                genotypes={"CYP2C19": "poor"}))]
    obs = tuple(Observation(code="escitalopram", name="escitalopram", value=round(v, 3), unit="ng/mL",
                            time=t0 + timedelta(hours=t), specimen="plasma", source=f"test row {i}")
                for i, (t, v) in enumerate(zip(TIMES, levels)))
    med = Medication(drug="escitalopram", dose_mg=10.0, first_dose=t0, every_h=24.0, count=21, source="test med")
    unknown = PatientRecord(patient_id="pm", sex="female", age_years=40.0, weight_kg=75.0, observations=obs,
                            medications=(med,))
    known = unknown.model_copy(update={"genotypes": (Genotype(gene="CYP2C19", value="*2/*2", source="test"),)})
    mixed, single = assess(unknown, samples=50, seed=1), assess(known, samples=50, seed=1)
    assert single.mixture is None and single.as_dict()["phenotype_mixture"] is None
    data = mixed.as_dict()["phenotype_mixture"]
    weights = {c["phenotypes"]["CYP2C19"]: c["weight"] for c in data["components"]}
    assert sum(weights.values()) == pytest.approx(1.0, abs=1e-12)
    assert weights["poor"] > 0.15 and weights["poor"] + weights["intermediate"] > 0.85
    assert data["group"] == "european" and data["sources"] == {"CYP2C19": ["pme2022_cyp2c19"]}
    comp = next(c for c in mixed.mixture.components if c.phenotypes == {"CYP2C19": "poor"})
    for field in ("eta_map", "cov", "samples"):
        assert np.array_equal(getattr(comp.posterior, field), getattr(single.posterior, field)), field
    page = assessment_report(mixed, tmp_path).read_text()
    assert "Unknown genotype: CYP2C19 phenotype mixture" in page
    assert f"<td>CYP2C19 poor</td><td>0.021</td><td>{weights['poor']:.3f}</td>" in page
    # stored: every phenotype's draws by weight, the shares in the summary
    from neuroscape.store import open_store

    store = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    saved = store.save_record(unknown, raw=b"test", filename="pm.json")
    aid = store.save_assessment(mixed, import_id=saved.import_id, method="laplace", seed=1)
    summary = store.assessment_summary(aid)["phenotype_mixture"]
    assert summary["stored_draws"] == mixed.mixture.allocate(50) and sum(summary["stored_draws"]) == 50
    names, draws = store.draws(aid)
    k = summary["stored_draws"][0]
    assert np.array_equal(draws[:k], mixed.mixture.components[0].posterior.samples[:k])
    # and the terminal line
    import io

    from rich.console import Console

    from neuroscape.cli.assess import print_assessment

    out = io.StringIO()
    print_assessment(mixed, Console(file=out, width=200))
    assert f"CYP2C19 poor 0.021 -> {weights['poor']:.3f}" in out.getvalue()
