"""Cohort files: the example loads; a malformed file names the key, the value and what is allowed (exit 2)."""

from importlib import resources

import pytest
import yaml
from typer.testing import CliRunner

from neuroscape.cli import app
from neuroscape.cohort.spec import load_cohort, parse_cohort
from neuroscape.errors import CohortError

from .conftest import SMALL

runner = CliRunner()


def test_the_example_cohort_loads():
    path = resources.files("neuroscape").joinpath("examples/citalopram_trial.yaml")
    spec = load_cohort(str(path))
    assert [a.name for a in spec.arms] == ["no_drug", "citalopram_20mg"]
    assert spec.horizon_h == 1344 and spec.responder_time_h == 1344
    assert spec.arms[1].interventions[0].count == 56


@pytest.mark.parametrize("change, message", [
    ({"size": 0}, "size: 0 is not allowed: the number of members, a whole number from 1 to 1000000"),
    ({"cohort": 2}, "cohort: 2 is not allowed: only version 1 is supported; write cohort: 1"),
    ({"population": {"female_fraction": 1.5}},
     "population.female_fraction: 1.5 is not allowed: the fraction of female members, a number from 0 to 1"),
    ({"population": {"weight_kg": {"distribution": "normal", "mean": 70, "sd": 10, "low": 1}}},
     "population.weight_kg: 1-400 is not allowed: the values must lie within the subject's range 2-400"),
    ({"population": {"age_years": {"distribution": "gamma", "shape": 2}}},
     "population.age_years.distribution: 'gamma' is not allowed: distribution is one of fixed, uniform, normal, "
     "lognormal"),
    ({"population": {"genotypes": {"CYP2C19": "martian"}}},
     "population.genotypes: CYP2C19: 'martian' is not allowed: groups with shipped CYP2C19 frequencies: "
     "european, estonian"),
    ({"population": {"genotypes": {"CYP2D6": {"poor": 0.5, "normal": 0.4}}}},
     "population.genotypes: CYP2D6: frequencies summing to 0.9 are not allowed: they must sum to 1"),
    ({"population": {"genotypes": {"CYP9Z9": "european"}}},
     "population.genotypes: key 'CYP9Z9' is not allowed: genes with phenotypes: CYP2D6, CYP2C19, CYP2B6"),
    ({"arms": []}, "arms: [] is not allowed: a non-empty list of arms"),
    ({"arms": [{"name": "a"}, {"name": "a"}]}, "arms[1].name: 'a' is not allowed: names must be unique"),
    ({"arms": [{"name": "a", "interventions": [{"drug": "citalopram", "dose_mg": -5}]}]},
     "arms[0].interventions[0].dose_mg: -5 is not allowed: a dose must be a positive number of milligrams"),
    ({"responder": {"endpoint": "nope", "comparison": ">=", "threshold": 1}},
     "responder: endpoint: 'nope' is not allowed: give the id of an endpoint (trp, e5ht)"),
    ({"responder": {"endpoint": "trp", "comparison": "=>", "threshold": 1}},
     "responder.comparison: '=>' is not allowed: comparison is one of >=, >, <=, <"),
    ({"responder": {"endpoint": "trp", "at_h": 3, "comparison": ">=", "threshold": 1}},
     "responder: at_h: 3 is not allowed: it must be one of the times of endpoint trp (2, 24)"),
    ({"sise": 3}, "sise: unknown key; allowed keys: cohort, name, size, seed"),
])
def test_malformed_cohort_names_the_key_value_and_what_is_allowed(change, message):
    with pytest.raises(CohortError) as info:
        parse_cohort({**SMALL, **change}, source="c.yaml")
    assert message in str(info.value)


def test_cli_exits_2_with_the_named_error(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump({**SMALL, "size": -1}))
    res = runner.invoke(app, ["cohort", "run", str(path), "--out", str(tmp_path / "out")])
    assert res.exit_code == 2
    assert "size: -1 is not allowed: the number of members, a whole number from 1 to 1000000" in res.output
    assert not (tmp_path / "out").exists()
    missing = runner.invoke(app, ["cohort", "run", str(tmp_path / "nope.yaml")])
    assert missing.exit_code == 2 and "cohort file not found; check the path" in missing.output
    bad_drug = tmp_path / "drug.yaml"
    bad_drug.write_text(yaml.safe_dump({**SMALL, "arms": [{"name": "x", "interventions": [
        {"drug": "notadrug", "dose_mg": 10}]}]}))
    res = runner.invoke(app, ["cohort", "run", str(bad_drug), "--out", str(tmp_path / "o2")])
    assert res.exit_code == 2 and "arms[0].interventions[0].drug:" in res.output


@pytest.mark.parametrize("doc", ["README.md", "docs/cohorts.md"])
def test_the_documented_cohort_examples_parse(doc):
    from pathlib import Path

    from neuroscape.protocol._files import read_yaml

    text = (Path(__file__).resolve().parents[2] / doc).read_text()
    blocks = [b.split("```")[0] for b in text.split("```yaml\n")[1:] if b.startswith("cohort: 1")]
    assert blocks, f"{doc} shows no cohort file"
    for block in blocks:
        spec = parse_cohort(read_yaml(block, doc), source=doc)
        assert spec.arms[-1].interventions[0].drug == "citalopram"
