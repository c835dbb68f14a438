"""`neuroscape parameters` and `cite` show each value's basis and what it was fitted to."""

from __future__ import annotations

import json
from typer.testing import CliRunner

from neuroscape.cli import app
from neuroscape.model.library import default_network

runner = CliRunner()


def test_parameters_summary_counts_by_basis_per_module():
    res = runner.invoke(app, ["parameters", "--summary"], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    cells = [[c.strip() for c in line.split("│")[1:-1]] for line in res.output.splitlines() if "│" in line]
    rows = {c[0]: [int(x) for x in c[1:]] for c in cells if c and all(x.isdigit() for x in c[1:])}
    gaba = [p for p in default_network().parameters if p.module == "gaba"]
    # measured, model, derived, fitted, assumed, constant, total
    expected = [sum(p.basis == b for p in gaba) for b in ("measured", "model", "derived", "fitted", "assumed",
                                                          "constant")]
    assert rows["gaba"] == expected + [len(gaba)]
    assert rows["drug library"][-1] > 300
    assert rows["pharmacogenomics"] == [23, 3, 7, 0, 5, 0, 38]  # pgx.yaml: activity values, thresholds, factors
    assert rows["observation tables"][5] == 13 and rows["observation tables"][-1] >= 70  # 13 molar masses
    assert rows["all"][-1] == (len(default_network().parameters) + rows["drug library"][-1]
                               + rows["pharmacogenomics"][-1] + rows["observation tables"][-1])


def test_parameters_show_basis_and_fitted_to():
    res = runner.invoke(app, ["parameters", "--module", "serotonin"], env={"COLUMNS": "400"})
    assert res.exit_code == 0
    line = next(row for row in res.output.splitlines() if "female_tph2_factor" in row)
    assert "fitted" in line and "nishizawa1997: brain 5-HT synthesis 52% higher" in line


def test_cite_shows_basis_and_what_was_fitted_to_each_source():
    res = runner.invoke(app, ["cite", "--json"])
    assert res.exit_code == 0
    entries = {e["key"]: e for e in json.loads(res.stdout)}
    assert entries["best2009"]["basis"]["dat_vmax"] == "model"
    assert "drug:citalopram.targets[SERT].ec50_ng_per_mL" in entries["meyer2001"]["fitted_to_this"]
    assert entries["petroff1996"]["basis"]["gabat_vmax"] == "fitted"
    assert "gabat_vmax" in entries["petroff1996"]["fitted_to_this"]
    assert "k_1a_desens" in entries["lepoul1995"]["fitted_to_this"]
    # the pharmacogenomics and observation tables' numbers, with their basis and fits
    assert entries["jukic2018"]["basis"]["pgx:CYP2C19.clearance_multipliers[intermediate]"] == "derived"
    assert "pgx:CYP2C19.clearance_multipliers[intermediate]" in entries["jukic2018"]["fitted_to_this"]
    assert entries["townsend2012_aa_variability"]["basis"]["observation:tyrosine.error"] == "measured"
    assert entries["pubchem"]["basis"]["observation:tryptophan.molar_mass"] == "constant"
    text = runner.invoke(app, ["cite"], env={"COLUMNS": "400"}).output
    assert "fitted to or derived from it: drug:citalopram.targets[SERT].ec50_ng_per_mL" in text
    assert "pgx:CYP2C19.clearance_multipliers[intermediate]" in text  # shown as text, not read as rich markup


def test_drugs_show_prints_each_number_with_source_and_basis():
    res = runner.invoke(app, ["drugs", "show", "citalopram"], env={"COLUMNS": "400"})
    assert res.exit_code == 0
    assert "molar_mass_g_per_mol: 324.39 [pubchem; constant]" in res.output
    assert "ec50_ng_per_mL: 4.8 [meyer2001; fitted to meyer2001]" in res.output
