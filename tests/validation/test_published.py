"""A check's published number (validation/runner.py `published`): read at load, checked against the case."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from neuroscape.cli import app
from neuroscape.validation import load_cases, run_case


def test_cases_with_published_numbers_load_them():
    specs = [s["published"] for c in load_cases() for s in c.get("checks", ()) if "published" in s]
    assert len(specs) >= 15
    assert {"value": 64.9, "sem": 2.3} in specs  # V01, Abdalla 2017


def test_a_published_series_must_name_a_readout_of_the_case():
    case = {"id": "X01", "sources": ["abdalla2017"],
            "arms": {"base": {"protocol": 1, "name": "basal",
                              "readouts": [{"id": "e5ht", "quantity": "brain.serotonin.extracellular",
                                            "region": "hippocampus", "at_h": [0, 1]}]}},
            "checks": [{"label": "e5-HT", "value": "base.e5ht[0]", "min": 45,
                        "published": {"value": 64.9, "sem": 2.3, "series": "base.e5-ht", "at_h": 0}}]}
    result = run_case(case)
    assert result.status == "error"
    assert "X01.checks[e5-HT].published.series: 'base.e5-ht' is not an arm.readout of the case" in result.reason
    case["checks"][0]["published"]["series"] = "base.e5ht"
    ok = run_case(case)
    assert ok.status == "pass" and ok.checks[0].published.at_h == 0
    assert ok.checks[0].published.low == pytest.approx(62.6)


def test_validate_json_gives_each_checks_published_number():
    res = CliRunner().invoke(app, ["validate", "--json", "--case", "V01"])
    assert res.exit_code == 0, res.output
    cortex, hippocampus = json.loads(res.stdout)["cases"][0]["checks"]
    assert cortex["published"] is None
    pub = hippocampus["published"]
    assert pub["value"] == 64.9 and pub["kind"] == "sem"
    assert (pub["low"], pub["high"]) == (pytest.approx(62.6), pytest.approx(67.2))
