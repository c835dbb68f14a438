"""Hard safety rules: each rule kind fires on a minimal plan and not on its safe counterpart, the CLI's exit
codes, and a property test that re-derives the verdict on random plans without the checker's code.

Numbers from drug files (label maxima, genotype ceilings, half-lives) are read with load_drug, never
written here, so the tests hold whatever values those files settle on. A test whose drugs are not in
the library yet is skipped, naming them.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from importlib import resources

import numpy as np
import pytest
import typer
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from neuroscape.errors import DataError, ModelError, NotModelledError, ProtocolError
from neuroscape.manage import safety
from neuroscape.manage.safety import SafetyReport, Violation, load_rules, parse_rules
from neuroscape.pharmacology import library
from neuroscape.protocol import parse_protocol

DAY = 24.0
# the drug names the brief's library is to hold, plus carbidopa
LIBRARY_NAMES = {
    "escitalopram", "citalopram", "sertraline", "fluoxetine", "norfluoxetine", "paroxetine", "venlafaxine",
    "desvenlafaxine", "bupropion", "hydroxybupropion", "threohydrobupropion", "erythrohydrobupropion",
    "levodopa", "carbidopa", "haloperidol", "risperidone",
    "paliperidone", "moclobemide", "phenelzine", "selegiline", "vigabatrin", "diazepam", "desmethyldiazepam",
    "lorazepam",
}
# supplements of the nutrition library that rules may name (plan search proposes them)
SUPPLEMENT_NAMES = {"tryptophan", "5-htp", "tryptophan_loading_drink"}


# --- helpers -------------------------------------------------------------------------------------

def needs(*names: str) -> None:
    missing = [n for n in names if n not in library.drug_names()]
    if missing:
        pytest.skip(f"drug files not in the library yet: {', '.join(missing)}")


def course(drug: str, dose_mg: float, start_h: float = 0.0, every_h: float | None = 24.0,
           count: int = 1) -> dict:
    item = {"drug": drug, "dose_mg": float(dose_mg), "start_h": float(start_h)}
    if count > 1:
        item.update(every_h=float(every_h), count=count)
    return item


def plan(*items: dict, genotypes: dict | None = None):
    return parse_protocol({"protocol": 1, "name": "test", "subject": {"genotypes": genotypes or {}},
                           "interventions": list(items),
                           "readouts": [{"id": "r", "quantity": "occupancy.SERT", "at_h": 0}]})


def check_static(protocol, rules=None):
    """The rules on the file's plan, as `neuroscape check` runs them."""
    p, subject, labels = safety.from_protocol(protocol)
    return safety.check_static(p, subject, rules, labels=labels)


def check(protocol, readout=None, rules=None):
    p, subject, labels = safety.from_protocol(protocol)
    return safety.check(p, subject, readout, rules, labels=labels)


def check_trajectory(protocol, readout, rules=None):
    return safety.check_trajectory(safety.from_protocol(protocol)[0], readout, rules)


def ceiling(drug: str) -> float | None:
    """The lowest daily ceiling in the drug file (label or any genotype), or None."""
    d = library.load_drug(drug)
    values = [c.max_daily_mg.value for c in d.genotype_ceilings]
    if d.label_max_daily_mg is not None:
        values.append(d.label_max_daily_mg.value)
    return min(values) if values else None


def low(drug: str) -> float:
    """A daily dose below every ceiling of the drug."""
    c = ceiling(drug)
    return 1.0 if c is None else c / 4


def ids(violations) -> set[str]:
    return {v.rule_id for v in violations}


def kinds(violations) -> set[str]:
    return {v.kind for v in violations}


def daily(drug: str, days: int, start_h: float = 0.0, dose: float | None = None) -> dict:
    return course(drug, low(drug) if dose is None else dose, start_h, 24.0, days)


# --- the rules file ------------------------------------------------------------------------------

def test_rules_load_with_every_kind_and_a_source():
    rules = load_rules()
    assert {r.kind for r in rules} == set(safety.KINDS)
    assert len({r.id for r in rules}) == len(rules)
    for r in rules:
        assert len(r.reason) > 30 and len(r.source) > 30, r.id
        names = LIBRARY_NAMES | SUPPLEMENT_NAMES
        assert set(r.drugs()) <= names, (r.id, set(r.drugs()) - names)
    by_id = {r.id: r for r in rules}
    assert by_id["d2-occupancy-eps"].max_value == 0.78
    assert "10.1176/appi.ajp.157.4.514" in by_id["d2-occupancy-eps"].source
    assert by_id["washout-fluoxetine-before-maoi"].min_h == 5 * 7 * DAY
    assert by_id["washout-snri-before-maoi"].min_h == 7 * DAY
    assert by_id["washout-irreversible-maoi-before-sri-or-bupropion"].min_h == 14 * DAY


def test_every_washout_pair_belongs_to_a_combination_rule():
    rules = load_rules()
    combos = [r for r in rules if r.kind == "contraindicated_combination"]
    for w in (r for r in rules if r.kind == "washout"):
        for e in w.after:
            for b in w.before:
                if e.drug == b.drug:
                    continue
                assert any(({e.drug, b.drug} <= {m.drug for m in c.a + c.b}) and
                           ({e.drug, b.drug} & {m.drug for m in c.a}) and
                           ({e.drug, b.drug} & {m.drug for m in c.b}) for c in combos), (w.id, e, b)


def test_parse_rules_rejects_malformed_files():
    good = {"version": 1, "groups": {"X": ["a1", "a2"]}, "rules": [
        {"id": "r", "kind": "washout", "after": ["X"], "before": ["b"], "min_h": 24,
         "reason": "a reason long enough", "source": "a source long enough"}]}
    assert parse_rules(good)[0].after[1].drug == "a2"
    for bad in (
        {**good, "version": 2},
        {**good, "rules": [{**good["rules"][0], "after": ["NOPE"]}]},
        {**good, "rules": [{**good["rules"][0], "min_h": None}]},
        {**good, "rules": [{**good["rules"][0], "max_value": 3}]},
        {**good, "rules": [good["rules"][0], good["rules"][0]]},
    ):
        with pytest.raises(DataError):
            parse_rules(bad)


# --- combinations --------------------------------------------------------------------------------

def test_maoi_with_ssri_together_is_contraindicated():
    needs("phenelzine", "sertraline")
    v = check_static(plan(daily("phenelzine", 14), daily("sertraline", 14, start_h=7 * DAY)))
    hit = [x for x in v if x.rule_id == "maoi-with-sri"]
    assert hit and hit[0].kind == "contraindicated_combination"
    assert hit[0].at_h == 7 * DAY and set(hit[0].drugs) == {"phenelzine", "sertraline"}
    assert "phenelzine" in hit[0].message and "sertraline" in hit[0].message
    assert "168 h" in hit[0].message and "Source:" in hit[0].message
    assert "Nardil" in hit[0].source
    assert isinstance(hit[0], Violation)


def test_selegiline_at_any_dose_with_an_ssri_is_contraindicated():
    needs("selegiline", "escitalopram")
    tiny = low("selegiline") / 10
    v = check_static(plan(daily("selegiline", 7, dose=tiny), daily("escitalopram", 7)))
    assert "maoi-with-sri" in ids(v)


def test_maoi_with_bupropion_and_two_maois():
    needs("moclobemide", "bupropion", "phenelzine")
    assert "maoi-with-bupropion" in ids(check_static(plan(daily("moclobemide", 5), daily("bupropion", 5))))
    v = check_static(plan(daily("phenelzine", 5), daily("moclobemide", 5, start_h=2 * DAY)))
    assert "two-mao-inhibitors" in ids(v)
    # phenelzine stopped, moclobemide 20 days later: fine; 7 days later: wash-out
    last = 4 * DAY
    assert not check_static(plan(daily("phenelzine", 5), daily("moclobemide", 5, start_h=last + 20 * DAY)))
    v = check_static(plan(daily("phenelzine", 5), daily("moclobemide", 5, start_h=last + 7 * DAY)))
    assert ids(v) == {"washout-irreversible-maoi-before-maoi"} and kinds(v) == {"washout"}


def test_each_drug_alone_passes():
    # metabolites are not dosable (a plan refuses them, as `protocol run` does); their parents are
    for name in sorted(LIBRARY_NAMES & set(library.drug_names())):
        if library.load_drug(name).kind != "metabolite":
            assert check_static(plan(daily(name, 3))) == [], name


def test_same_moiety_duplication_but_a_direct_switch_passes():
    needs("citalopram", "escitalopram")
    v = check_static(plan(daily("citalopram", 10), daily("escitalopram", 10, start_h=5 * DAY)))
    assert "citalopram-with-escitalopram" in ids(v)
    assert not check_static(plan(daily("citalopram", 10), daily("escitalopram", 10, start_h=10 * DAY)))


# --- levodopa ------------------------------------------------------------------------------------

def test_selegiline_selective_dose_with_levodopa_and_carbidopa_passes():
    needs("selegiline", "levodopa", "carbidopa")
    sel = min(10.0, ceiling("selegiline") or 10.0) / 2
    p = plan(course("selegiline", sel, 0, 12, 20), daily("levodopa", 10), daily("carbidopa", 10))
    assert check_static(p) == []


def test_selegiline_above_10_mg_with_levodopa_is_nonselective():
    needs("selegiline", "levodopa", "carbidopa")
    p = plan(daily("selegiline", 10, dose=15), daily("levodopa", 10), daily("carbidopa", 10))
    v = check_static(p)
    assert "nonselective-maoi-with-levodopa" in ids(v)
    assert "maoi-with-levodopa-without-carbidopa" not in ids(v)


def test_phenelzine_with_levodopa_even_with_carbidopa():
    needs("phenelzine", "levodopa", "carbidopa")
    v = check_static(plan(daily("phenelzine", 10), daily("levodopa", 10), daily("carbidopa", 10)))
    assert "nonselective-maoi-with-levodopa" in ids(v)
    # two weeks after the last phenelzine dose levodopa/carbidopa may start; one week is too early
    last = 9 * DAY
    ok = plan(daily("phenelzine", 10), daily("levodopa", 5, start_h=last + 15 * DAY),
              daily("carbidopa", 5, start_h=last + 15 * DAY))
    assert check_static(ok) == []
    early = plan(daily("phenelzine", 10), daily("levodopa", 5, start_h=last + 7 * DAY),
                 daily("carbidopa", 5, start_h=last + 7 * DAY))
    assert ids(check_static(early)) == {"washout-nonselective-maoi-before-levodopa"}


def test_moclobemide_with_levodopa_needs_carbidopa():
    needs("moclobemide", "levodopa", "carbidopa")
    without = check_static(plan(daily("moclobemide", 5), daily("levodopa", 5)))
    assert ids(without) == {"maoi-with-levodopa-without-carbidopa"}
    assert "without carbidopa" in without[0].message
    assert check_static(plan(daily("moclobemide", 5), daily("levodopa", 5), daily("carbidopa", 5))) == []
    # carbidopa stops after 2 days: the levodopa doses after its cover are flagged
    partial = check_static(plan(daily("moclobemide", 10), daily("levodopa", 10), daily("carbidopa", 2)))
    assert ids(partial) == {"maoi-with-levodopa-without-carbidopa"} and partial[0].at_h > DAY


# --- wash-outs -----------------------------------------------------------------------------------

@pytest.mark.parametrize("first, then, ok_days, bad_days, rule", [
    ("fluoxetine", "phenelzine", 42, 21, "washout-fluoxetine-before-maoi"),
    ("sertraline", "phenelzine", 15, 10, "washout-ssri-before-maoi"),
    ("venlafaxine", "selegiline", 8, 5, "washout-snri-before-maoi"),
    ("bupropion", "moclobemide", 15, 10, "washout-bupropion-before-maoi"),
    ("phenelzine", "sertraline", 15, 10, "washout-irreversible-maoi-before-sri-or-bupropion"),
    ("selegiline", "bupropion", 15, 10, "washout-irreversible-maoi-before-sri-or-bupropion"),
    ("moclobemide", "escitalopram", 2, 0.5, "washout-moclobemide-before-sri-or-bupropion"),
])
def test_washout(first, then, ok_days, bad_days, rule):
    needs(first, then)
    last = 27 * DAY  # 28 daily doses

    def p(gap_days):
        return plan(daily(first, 28), daily(then, 7, start_h=last + gap_days * DAY))

    assert check_static(p(ok_days)) == []
    v = check_static(p(bad_days))
    assert ids(v) == {rule} and kinds(v) == {"washout"}
    assert v[0].at_h == pytest.approx(last + bad_days * DAY)
    assert first in v[0].message and then in v[0].message and "Source:" in v[0].message


def test_tail_applies_where_no_washout_rule_exists():
    """moclobemide -> levodopa (no carbidopa): no wash-out rule, so 5 half-lives of moclobemide."""
    needs("moclobemide", "levodopa")
    tail = safety.elimination_tail_h("moclobemide")
    last = 4 * DAY
    assert not check_static(plan(daily("moclobemide", 5), course("levodopa", low("levodopa"), last + tail + 1)))
    v = check_static(plan(daily("moclobemide", 5), course("levodopa", low("levodopa"), last + tail - 1)))
    assert ids(v) == {"maoi-with-levodopa-without-carbidopa"} and "still present" in v[0].message


def test_tail_includes_active_metabolites():
    needs("fluoxetine", "norfluoxetine")
    d = library.load_drug("fluoxetine")
    if "norfluoxetine" not in d.metabolites:
        pytest.skip("fluoxetine.yaml does not name norfluoxetine as a metabolite yet")
    half = [library.load_drug(n).reported_half_life_h for n in ("fluoxetine", "norfluoxetine")]
    expected = 5 * max(h.value for h in half if h is not None)
    assert safety.elimination_tail_h("fluoxetine") == pytest.approx(expected)


def test_unknown_drug_is_a_protocol_error():
    with pytest.raises(ProtocolError, match="unknown drug"):
        check_static(plan(course("no-such-drug", 10)))


# --- dose ceilings -------------------------------------------------------------------------------

def _label(drug):
    d = library.load_drug(drug)
    if d.label_max_daily_mg is None:
        pytest.skip(f"{drug}.yaml has no label_max_daily_mg yet")
    return d.label_max_daily_mg.value


def test_label_ceiling_sums_doses_in_every_24_hours():
    needs("escitalopram")
    top = _label("escitalopram")
    assert check_static(plan(daily("escitalopram", 7, dose=top))) == []
    assert check_static(plan(course("escitalopram", top / 2, 0, 12, 14))) == []
    # two full doses at 2 h and 20 h: one 24-hour window from the first dose
    v = check_static(plan(course("escitalopram", top, 2, 18, 2)))
    assert ids(v) == {"label-max-daily-dose"}
    assert v[0].at_h == 2 and f"{2 * top:g} mg within 24 h (2 to 26 h)" in v[0].message
    assert f"{top:g} mg/day" in v[0].message
    # 20 h and 30 h: twice the maximum within 10 hours across midnight of day 1 is as much an overdose
    # (calendar days [0, 24) and [24, 48) used to split it and pass it)
    v = check_static(plan(course("escitalopram", top, 20, 10, 2)))
    assert ids(v) == {"label-max-daily-dose"} and v[0].at_h == 20
    assert f"{2 * top:g} mg within 24 h (20 to 44 h)" in v[0].message
    # a full dose every 23 h: each window from a dose holds the next one too
    v = check_static(plan(course("escitalopram", top, 0, 23, 5)))
    assert ids(v) == {"label-max-daily-dose"} and "above it in 4 such windows" in v[0].message
    # exactly 24 h apart is the next window
    assert check_static(plan(course("escitalopram", top, 7.5, 24, 5))) == []
    # two interventions of one drug add up
    v = check_static(plan(daily("escitalopram", 3, dose=top), daily("escitalopram", 3, start_h=6, dose=1)))
    assert ids(v) == {"label-max-daily-dose"}
    assert f"{top + 1:g} mg within 24 h (0 to 24 h)" in v[0].message


def test_conditional_member_uses_the_24_hour_total():
    """Selegiline counts as non-selective above 10 mg/day: 7.5 mg at 20 h and at 28 h is 15 mg in 8 hours."""
    needs("selegiline", "levodopa", "carbidopa")
    straddle = plan(course("selegiline", 7.5, 20, 8, 2), daily("levodopa", 3), daily("carbidopa", 3))
    assert "nonselective-maoi-with-levodopa" in ids(check_static(straddle))
    apart = plan(course("selegiline", 7.5, 20, 24, 2), daily("levodopa", 3), daily("carbidopa", 3))
    assert "nonselective-maoi-with-levodopa" not in ids(check_static(apart))


def _genotype_ceiling(drug, gene="CYP2C19", pheno="poor"):
    for c in library.load_drug(drug).genotype_ceilings:
        if c.gene == gene and c.phenotype == pheno:
            return c.max_daily_mg.value
    pytest.skip(f"{drug}.yaml has no {gene} {pheno} ceiling yet")


@pytest.mark.parametrize("drug", ["citalopram", "escitalopram"])
def test_cyp2c19_poor_metabolizer_ceiling(drug):
    needs(drug)
    pm, top = _genotype_ceiling(drug), _label(drug)
    assert pm < top
    dose = (pm + top) / 2  # above the poor-metabolizer ceiling, within the label
    assert check_static(plan(daily(drug, 7, dose=dose), genotypes={"CYP2C19": "normal"})) == []
    assert check_static(plan(daily(drug, 7, dose=pm), genotypes={"CYP2C19": "poor"})) == []
    for word in ("poor", "poor metabolizer"):
        v = check_static(plan(daily(drug, 7, dose=dose), genotypes={"CYP2C19": word}))
        assert ids(v) == {"genotype-max-daily-dose"}, word
        assert f"{pm:g} mg/day" in v[0].message and "CYP2C19 poor" in v[0].message


def test_cyp2c19_diplotype_goes_through_pgx():
    pgx = pytest.importorskip("neuroscape.pharmacology.pgx")
    needs("citalopram")
    pm, top = _genotype_ceiling("citalopram"), _label("citalopram")
    if pgx.phenotype("CYP2C19", "*2/*2").phenotype != "poor":
        pytest.skip("pgx does not map CYP2C19 *2/*2 to poor")
    v = check_static(plan(daily("citalopram", 7, dose=(pm + top) / 2), genotypes={"CYP2C19": "*2/*2"}))
    assert ids(v) == {"genotype-max-daily-dose"}


def test_unmappable_diplotype_is_reported_not_evaluated(monkeypatch):
    needs("escitalopram")
    _genotype_ceiling("escitalopram")
    import builtins

    real_import = builtins.__import__

    def no_pgx(name, globals=None, locals=None, fromlist=(), level=0):
        if fromlist and "pgx" in fromlist:
            raise ImportError("pgx missing")
        return real_import(name, globals, locals, fromlist, level)

    monkeypatch.setattr(builtins, "__import__", no_pgx)
    report = check(plan(daily("escitalopram", 3), genotypes={"CYP2C19": "*2/*2"}))
    assert any(n.rule_id == "genotype-max-daily-dose" for n in report.not_evaluated)


# --- trajectory ----------------------------------------------------------------------------------

def fake_readout(d2: float = 0.5, e5ht: float = 1.5, missing: tuple[str, ...] = ()):
    calls = []

    def readout(quantity, region, relative_to):
        calls.append((quantity, region, relative_to))
        if quantity in missing:
            raise NotModelledError(f"{quantity} is not modelled yet")
        t = np.linspace(0, 48, 49)
        peak = {"occupancy.D2": d2, "brain.serotonin.extracellular": e5ht}[quantity]
        base = 0.0 if quantity.startswith("occupancy") else 1.0
        return t, base + (peak - base) * np.minimum(t / 24, 1.0)

    readout.calls = calls
    return readout


def test_d2_occupancy_ceiling():
    p = plan(course("escitalopram", 1))
    r = fake_readout(d2=0.8)
    report = check_trajectory(p, r)
    assert isinstance(report, SafetyReport)
    assert ids(report.violations) == {"d2-occupancy-eps"}
    v = report.violations[0]
    assert v.kind == "trajectory_ceiling" and 0 < v.at_h <= 24 and "0.78" in v.message and "Kapur" in v.source
    assert ("occupancy.D2", "striatum", None) in r.calls
    assert ("brain.serotonin.extracellular", "cortex", "baseline") in r.calls
    assert check_trajectory(p, fake_readout(d2=0.7)).violations == ()


def test_serotonin_toxicity_index():
    p = plan(course("escitalopram", 1))
    assert ids(check_trajectory(p, fake_readout(e5ht=12)).violations) == {"serotonin-toxicity-index"}
    assert check_trajectory(p, fake_readout(e5ht=4)).violations == ()


def test_unmodelled_quantity_is_not_evaluated():
    p = plan(course("escitalopram", 1))
    report = check_trajectory(p, fake_readout(d2=0.9, missing=("occupancy.D2",)))
    assert report.violations == () and [n.rule_id for n in report.not_evaluated] == ["d2-occupancy-eps"]

    def broken(quantity, region, relative_to):
        raise ModelError("no such readout")

    assert len(check_trajectory(p, broken).not_evaluated) == 2


def test_check_combines_static_and_trajectory():
    needs("escitalopram")
    top = _label("escitalopram")
    p = plan(course("escitalopram", top, 0, 12, 2))
    report = check(p, fake_readout(d2=0.9))
    assert ids(report.violations) == {"label-max-daily-dose", "d2-occupancy-eps"} and not report.ok
    static_only = check(p)
    assert {n.rule_id for n in static_only.not_evaluated} == {"d2-occupancy-eps", "serotonin-toxicity-index"}
    assert json.loads(json.dumps(report.to_dict()))["ok"] is False


# --- the command ---------------------------------------------------------------------------------

def _app():
    from neuroscape.cli.check import check_command

    app = typer.Typer()
    app.command("check")(check_command)
    app.command("other")(lambda: None)  # two commands: `check` stays a subcommand
    return app


def _write(tmp_path, *items, name="p.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump({"protocol": 1, "name": "cli", "interventions": list(items),
                                    "readouts": [{"id": "r", "quantity": "occupancy.SERT", "at_h": 0}]}))
    return path


@pytest.fixture
def no_simulation(monkeypatch):
    from neuroscape.manage import peaks

    def unavailable(plan, subject, **kwargs):
        raise NotModelledError("drugs are not modelled yet")

    monkeypatch.setattr(peaks, "dense_readout", unavailable)


def test_cli_exit_codes_and_json(tmp_path, no_simulation):
    needs("escitalopram")
    top = _label("escitalopram")
    runner = CliRunner()
    safe = _write(tmp_path, daily("escitalopram", 3))
    res = runner.invoke(_app(), ["check", str(safe)])
    assert res.exit_code == 0, res.output
    assert "not medical advice" in res.output and "not evaluated" in res.output
    bad = _write(tmp_path, course("escitalopram", top, 0, 12, 2), name="bad.yaml")
    res = runner.invoke(_app(), ["check", str(bad)])
    assert res.exit_code == 1 and "label-max-daily-dose" in res.output
    res = runner.invoke(_app(), ["check", str(bad), "--json"])
    assert res.exit_code == 1
    data = json.loads(res.stdout)
    assert data["ok"] is False and data["violations"][0]["rule_id"] == "label-max-daily-dose"
    assert data["notes"] and "not medical advice" in data["disclaimer"]
    broken = tmp_path / "broken.yaml"
    broken.write_text("protocol: 1\nname: x\ninterventions: [{drug: escitalopram, dose_mg: -1}]\n")
    assert runner.invoke(_app(), ["check", str(broken)]).exit_code == 2
    assert runner.invoke(_app(), ["check", str(tmp_path / "missing.yaml")]).exit_code == 2


def test_cli_uses_the_simulation_when_available(tmp_path, monkeypatch):
    from neuroscape.manage import peaks

    monkeypatch.setattr(peaks, "dense_readout", lambda plan, subject, **kwargs: fake_readout(d2=0.95))
    res = CliRunner().invoke(_app(), ["check", str(_write(tmp_path, course("escitalopram", 1))), "--json"])
    assert res.exit_code == 1
    assert [v["rule_id"] for v in json.loads(res.stdout)["violations"]] == ["d2-occupancy-eps"]


# --- property: an independent re-derivation of the static verdict --------------------------------
# Written from the rules file's header, with its own loops; it shares no code with safety.py or courses.py.

RAW_RULES = yaml.safe_load(resources.files("neuroscape.manage").joinpath("data/safety_rules.yaml").read_text())
TOL = 1e-9


def _members(items):
    out = []
    for item in items or []:
        if isinstance(item, dict):
            out.append((item["drug"], item["above_daily_mg"]))
        elif item in RAW_RULES["groups"]:
            out += [(d, None) for d in RAW_RULES["groups"][item]]
        else:
            out.append((item, None))
    return out


def _half_life_tail(drug, seen=()):
    d = library.load_drug(drug)
    lives = [d.reported_half_life_h.value] if d.reported_half_life_h else []
    for m in d.metabolites:
        if m in library.drug_names() and m not in seen:
            t = _half_life_tail(m, seen + (drug,))
            if t is not None:
                lives.append(t / 5)
    return 5 * max(lives) if lives else None


def _tail(drug):
    t = _half_life_tail(drug)
    return 24.0 if t is None else t


def _phenotypes(genotypes):
    out = {}
    for gene, value in genotypes.items():
        word = value.lower().replace(" metabolizer", "").strip()
        if word in ("poor", "intermediate", "normal", "rapid", "ultrarapid"):
            out[gene] = word
        else:
            from neuroscape.pharmacology import pgx

            out[gene] = pgx.phenotype(gene, value).phenotype
    return out


def independent_problems(items, genotypes) -> set[tuple[str, frozenset]]:
    """(kind, drugs) of every rule the plan breaks, derived from the rules file's text."""
    doses = defaultdict(list)  # drug -> [(t, mg)]
    for it in items:
        every, count = it.get("every_h"), it.get("count", 1)
        times = [it["start_h"] + k * every for k in range(count)] if every else [it["start_h"]]
        doses[it["drug"]] += [(t, it["dose_mg"]) for t in times]
    courses = []  # a pause of more than a week starts a new course
    for drug, entries in doses.items():
        entries.sort()
        run = [entries[0]]
        for e in entries[1:] + [None]:
            if e is None or e[0] - run[-1][0] > 168:
                times = [t for t, _ in run]
                courses.append({"drug": drug, "times": times, "first": times[0], "last": times[-1]})
                run = []
            if e is not None:
                run.append(e)

    def in_24h(drug, start):
        return sum(mg for t, mg in doses[drug] if start <= t < start + 24 - 1e-6)

    def is_member(members, c):
        for drug, above in members:
            if drug == c["drug"]:
                starts = {t for t, _ in doses[drug] if c["first"] - 24 < t <= c["last"]}
                if above is None or max(in_24h(drug, s) for s in starts) > above + TOL:
                    return True
        return False

    def uncovered_doses(c, unless):
        if not unless:
            return [c]
        out = []
        for t in c["times"]:
            covered = False
            for other in courses:
                if other["drug"] in unless and other["first"] - TOL <= t <= other["last"] + _tail(other["drug"]) + TOL:
                    covered = True
            if not covered:
                out.append({"drug": c["drug"], "times": [t], "first": t, "last": t})
        return out

    washouts = [r for r in RAW_RULES["rules"] if r["kind"] == "washout"]
    problems = set()
    for r in RAW_RULES["rules"]:
        if r["kind"] == "contraindicated_combination":
            for ca in courses:
                for cb0 in courses:
                    if ca["drug"] == cb0["drug"] or not is_member(_members(r["a"]), ca) \
                            or not is_member(_members(r["b"]), cb0):
                        continue
                    for cb in uncovered_doses(cb0, r.get("unless_with")):
                        if ca["first"] <= cb["last"] + TOL and cb["first"] <= ca["last"] + TOL:
                            problems.add(("contraindicated_combination", frozenset((ca["drug"], cb["drug"]))))
                            continue
                        if r.get("tail") == "none":
                            continue
                        early, late = (ca, cb) if ca["last"] < cb["first"] else (cb, ca)
                        need = None
                        for w in washouts:
                            if is_member(_members(w["after"]), early) and is_member(_members(w["before"]), late) \
                                    and uncovered_doses(late, w.get("unless_with")):
                                need = "washout rule"
                                break
                        if need is None and late["first"] - early["last"] + TOL < _tail(early["drug"]):
                            problems.add(("contraindicated_combination", frozenset((ca["drug"], cb["drug"]))))
        elif r["kind"] == "washout":
            for ce in courses:
                for cl0 in courses:
                    if ce["drug"] == cl0["drug"] or not is_member(_members(r["after"]), ce) \
                            or not is_member(_members(r["before"]), cl0):
                        continue
                    for cl in uncovered_doses(cl0, r.get("unless_with")):
                        if cl["first"] > ce["last"] + TOL and cl["first"] - ce["last"] + TOL < r["min_h"]:
                            problems.add(("washout", frozenset((ce["drug"], cl["drug"]))))
        elif r["kind"] == "therapeutic_duplication":
            for i, ca in enumerate(courses):
                cls = library.load_drug(ca["drug"]).drug_class
                for cb in courses[i + 1:]:
                    if cls not in r["classes"] or cb["drug"] == ca["drug"] \
                            or library.load_drug(cb["drug"]).drug_class != cls:
                        continue
                    start, end = max(ca["first"], cb["first"]), min(ca["last"], cb["last"])
                    if end < start - TOL:
                        continue
                    pair = ("therapeutic_duplication", frozenset((ca["drug"], cb["drug"])))
                    if end - start > r["max_overlap_h"] + TOL:
                        problems.add(pair)
                        continue
                    tops = [library.load_drug(c["drug"]).label_max_daily_mg for c in (ca, cb)]
                    if any(top is None for top in tops):
                        continue
                    for s in {t for c in (ca, cb) for t in c["times"] if start - 24 < t <= end + TOL}:
                        if sum(in_24h(c["drug"], s) / top.value for c, top in zip((ca, cb), tops)) \
                                > r["max_label_fraction"] + TOL:
                            problems.add(pair)
    phenos = _phenotypes(genotypes)
    for drug, entries in doses.items():
        d = library.load_drug(drug)
        limits = [("label_ceiling", d.label_max_daily_mg.value)] if d.label_max_daily_mg else []
        limits += [("genotype_ceiling", c.max_daily_mg.value) for c in d.genotype_ceilings
                   if phenos.get(c.gene) == c.phenotype]
        for kind, limit in limits:
            if any(in_24h(drug, t) > limit + TOL for t, _ in entries):
                problems.add((kind, frozenset((drug,))))
    return problems


def _genotype_values():
    values = ["poor", "intermediate", "normal", "ultrarapid", "poor metabolizer"]
    try:
        from neuroscape.pharmacology import pgx
    except ImportError:
        return values
    for diplotype in ("*1/*1", "*2/*2", "*1/*2", "*1/*17", "*17/*17"):
        try:
            pgx.phenotype("CYP2C19", diplotype)
            values.append(diplotype)
        except Exception:  # noqa: BLE001 - only offer what pgx maps
            pass
    return values


@st.composite
def random_plans(draw):
    names = sorted(n for n in library.drug_names() if library.load_drug(n).kind != "metabolite")
    in_rules = sorted({d for r in load_rules() for d in r.drugs()} & set(names)) or names
    items = []
    for _ in range(draw(st.integers(1, 4))):
        drug = draw(st.one_of(st.sampled_from(in_rules), st.sampled_from(names)))
        d = library.load_drug(drug)
        top = d.label_max_daily_mg.value if d.label_max_daily_mg else 10.0
        factor = draw(st.sampled_from([0.1, 0.25, 0.5, 1.0, 1.0, 1.5, 2.0, 3.0]))
        start = draw(st.one_of(st.sampled_from([0, 12, 24, 48, 100, 168, 336, 500, 840, 1000, 1200]),
                               st.integers(0, 2000)))
        every = draw(st.sampled_from([None, 6, 12, 24, 48]))
        item = {"drug": drug, "dose_mg": float(top * factor), "start_h": float(start)}
        if every is not None:
            item.update(every_h=float(every), count=draw(st.integers(1, 12)))
        items.append(item)
    genotypes = draw(st.dictionaries(st.sampled_from(["CYP2C19", "CYP2D6"]),
                                     st.sampled_from(_genotype_values()), max_size=2))
    if "CYP2D6" in genotypes and "/" in genotypes["CYP2D6"]:
        genotypes["CYP2D6"] = "normal"
    return items, genotypes


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_plans())
def test_property_static_verdict_matches_an_independent_derivation(case):
    items, genotypes = case
    violations = check_static(plan(*items, genotypes=genotypes))
    problems = independent_problems(items, genotypes)
    found = {(v.kind, frozenset(v.drugs)) for v in violations}
    if not violations:  # accepted: no contraindicated pair, every wash-out kept, every daily dose in range
        assert problems == set(), problems
    # and rejected plans break exactly the rules the independent derivation finds
    assert found == problems, [v.message for v in violations]


def test_regionless_occupancy_is_read_without_a_region():
    p = plan(course("escitalopram", 1))
    inner = fake_readout(d2=0.85)

    def readout(quantity, region, relative_to):
        if quantity.startswith("occupancy.") and region is not None:
            raise ModelError(f"quantity {quantity!r} has no region {region!r}")
        return inner(quantity, region, relative_to)

    assert ids(check_trajectory(p, readout).violations) == {"d2-occupancy-eps"}


# --- plans built in Python -----------------------------------------------------------------------

from neuroscape.interventions.nutrition import Intake  # noqa: E402
from neuroscape.manage.courses import COURSE_GAP_H, courses_of  # noqa: E402
from neuroscape.plan import Plan, add_dose, add_nutrition  # noqa: E402
from neuroscape.subject import Subject  # noqa: E402


def doses(p: Plan, drug: str, dose_mg: float, start_h: float = 0.0, count: int = 1, every_h: float = 24.0) -> Plan:
    return add_dose(p, drug, start_h, dose_mg, every_h=every_h if count > 1 else None, count=count)


def test_a_python_plan_is_checked_with_the_subjects_genotypes():
    needs("citalopram", "phenelzine", "sertraline")
    pm, top = _genotype_ceiling("citalopram"), _label("citalopram")
    p = doses(Plan(), "citalopram", (pm + top) / 2, count=7)
    assert safety.check_static(p, Subject()) == []
    v = safety.check_static(p, Subject(genotypes={"CYP2C19": "poor"}))
    assert ids(v) == {"genotype-max-daily-dose"} and f"{pm:g} mg/day" in v[0].message
    # messages name the plan's doses when there is no file
    p = doses(doses(Plan(), "phenelzine", low("phenelzine"), count=14), "sertraline", low("sertraline"), 7 * DAY, 7)
    v = safety.check_static(p)
    assert ids(v) == {"maoi-with-sri"} and v[0].at_h == 7 * DAY
    assert "sertraline (plan.doses[14:21]) is given while phenelzine (plan.doses[0:14]" in v[0].message
    report = safety.check(p, Subject())
    assert not report.ok and {n.rule_id for n in report.not_evaluated} == {"d2-occupancy-eps",
                                                                            "serotonin-toxicity-index"}


def test_courses_are_runs_without_a_pause_longer_than_a_week():
    needs("sertraline", "phenelzine")
    p = doses(Plan(), "sertraline", 50, 0, 7)                       # 0-144 h
    p = doses(p, "sertraline", 50, 144 + COURSE_GAP_H, 7)             # a pause of exactly a week: same course
    p = doses(p, "sertraline", 50, 2000, 3)                           # after a longer pause: a new course
    got = [(c.first, c.last, c.label) for c in courses_of(p)]
    assert got == [(0.0, 456.0, "plan.doses[0:14]"), (2000.0, 2048.0, "plan.doses[14:17]")]
    # sertraline stopped at 48 h, phenelzine from day 17 to day 20, sertraline again from day 36: both
    # switches keep their 14-day wash-outs, so no combination is reported across the pause
    p = doses(doses(Plan(), "sertraline", 50, 0, 3), "phenelzine", low("phenelzine"), 17 * DAY, 4)
    p = doses(p, "sertraline", 50, 20 * DAY + 336, 3)
    assert safety.check_static(p) == []
    assert [c.drug for c in courses_of(p)] == ["sertraline", "sertraline", "phenelzine"]


# --- therapeutic duplication ---------------------------------------------------------------------

def _dup_rule():
    return next(r for r in load_rules() if r.kind == "therapeutic_duplication")


def test_duplication_rule_is_sourced_data():
    rule = _dup_rule()
    assert rule.classes == ("SSRI", "SNRI") and rule.max_overlap_h == 7 * DAY and rule.max_label_fraction == 1.0
    raw = next(r for r in RAW_RULES["rules"] if r["id"] == rule.id)
    assert raw["basis"] == "assumed" and "Aust Prescr" in rule.source and "Maudsley" in rule.source
    assert library.load_drug("sertraline").drug_class == library.load_drug("escitalopram").drug_class == "SSRI"


def test_two_ssris_at_full_dose_for_two_weeks_is_duplication():
    needs("sertraline", "escitalopram")
    s_top, e_top = _label("sertraline"), _label("escitalopram")
    p = doses(doses(Plan(), "sertraline", s_top, 0, 14), "escitalopram", e_top, 0, 14)
    v = safety.check_static(p)
    assert ids(v) == {"same-class-antidepressant-duplication"} and kinds(v) == {"therapeutic_duplication"}
    assert v[0].at_h == 0 and "312 h (13 days)" in v[0].message and "both SSRI" in v[0].message
    assert "168 h (7 days)" in v[0].message


def test_short_overlap_at_full_doses_is_duplication_but_a_cross_taper_is_not():
    needs("sertraline", "escitalopram")
    s_top, e_top = _label("sertraline"), _label("escitalopram")
    # 3 days of both at the label maximum: 2 label maxima combined
    p = doses(doses(Plan(), "sertraline", s_top, 0, 10), "escitalopram", e_top, 7 * DAY, 10)
    v = safety.check_static(p)
    assert ids(v) == {"same-class-antidepressant-duplication"} and v[0].at_h == 7 * DAY
    assert "at 2 label maximum daily doses combined" in v[0].message
    # cross-taper over 6 days: sertraline at 1/2, 1/4 of its maximum while escitalopram runs 1/4, 1/2
    p = doses(Plan(), "sertraline", s_top, 0, 7)
    p = doses(p, "sertraline", s_top / 2, 7 * DAY, 3)
    p = doses(p, "sertraline", s_top / 4, 10 * DAY, 3)
    p = doses(p, "escitalopram", e_top / 4, 7 * DAY, 3)
    p = doses(p, "escitalopram", e_top / 2, 10 * DAY, 3)
    p = doses(p, "escitalopram", e_top, 13 * DAY, 30)
    assert safety.check_static(p) == []
    # the same taper held for 8 days of overlap (longer than 7) is duplication even at low doses
    p = doses(doses(Plan(), "sertraline", s_top / 4, 0, 9), "escitalopram", e_top / 4, 0, 9)
    v = safety.check_static(p)
    assert ids(v) == {"same-class-antidepressant-duplication"} and "192 h (8 days)" in v[0].message
    # a direct switch (stop one day, start the next) passes
    p = doses(doses(Plan(), "sertraline", s_top, 0, 14), "escitalopram", e_top, 14 * DAY, 14)
    assert safety.check_static(p) == []


# --- supplements ---------------------------------------------------------------------------------

@pytest.mark.parametrize("supplement, mg", [("tryptophan", 1000), ("5-htp", 100)])
def test_serotonin_precursor_with_an_maoi_is_contraindicated(supplement, mg):
    needs("phenelzine", "moclobemide")
    for maoi in ("phenelzine", "moclobemide"):
        p = add_nutrition(doses(Plan(), maoi, low(maoi), 0, 7), supplement, 3 * DAY + 2, dose_mg=mg)
        v = safety.check_static(p)
        assert ids(v) == {"maoi-with-serotonin-precursor"}, (maoi, [x.message for x in v])
        assert v[0].at_h == 3 * DAY + 2 and set(v[0].drugs) == {maoi, supplement}
        assert f"{supplement} (plan.intakes[0])" in v[0].message and "Pope" in v[0].source


def test_serotonin_precursor_after_an_maoi():
    needs("phenelzine", "moclobemide")
    last = 6 * DAY
    for gap_days, expected in ((20, set()), (7, {"washout-irreversible-maoi-before-serotonin-precursor"})):
        p = add_nutrition(doses(Plan(), "phenelzine", low("phenelzine"), 0, 7), "5-htp", last + gap_days * DAY,
                          dose_mg=100)
        assert ids(safety.check_static(p)) == expected, gap_days
    # moclobemide is reversible: its 5 half-lives decide
    tail = safety.elimination_tail_h("moclobemide")
    for gap, n in ((tail + 1, 0), (tail - 1, 1)):
        p = add_nutrition(doses(Plan(), "moclobemide", low("moclobemide"), 0, 7), "tryptophan", last + gap,
                          dose_mg=1000)
        assert len(safety.check_static(p)) == n, gap


def test_dietary_tryptophan_is_not_a_supplement_but_a_hand_made_intake_is():
    needs("phenelzine")
    p = add_nutrition(doses(Plan(), "phenelzine", low("phenelzine"), 0, 7), "meal", DAY, protein_g=40)
    assert safety.check_static(p) == []
    by_hand = Plan(intakes=(Intake(DAY, {"tryptophan": 4896.0}),), doses=p.doses)  # 1 g, no preset name
    v = safety.check_static(by_hand)
    assert ids(v) == {"maoi-with-serotonin-precursor"} and "tryptophan" in v[0].drugs
    assert [round(c.doses_mg[0]) for c in courses_of(by_hand) if c.supplement] == [1000]


def test_cli_names_the_supplement_intervention(tmp_path, no_simulation):
    needs("phenelzine")
    path = _write(tmp_path, daily("phenelzine", 7), {"nutrition": "tryptophan", "at_h": 26, "dose_mg": 1000})
    res = CliRunner().invoke(_app(), ["check", str(path), "--json"])
    assert res.exit_code == 1
    v = json.loads(res.stdout)["violations"]
    assert [x["rule_id"] for x in v] == ["maoi-with-serotonin-precursor"]
    assert "tryptophan (interventions[1]) is given while phenelzine (interventions[0]" in v[0]["message"]


# --- ceilings on the continuous trajectory ---------------------------------------------------------

from neuroscape.manage import peaks  # noqa: E402

PEAK_T, PEAK_W = 10.37, 0.02  # h: a peak 2.4 minutes wide, between the hourly samples 10 and 11


class _Spike:
    """A stand-in for simulate(): a Gaussian spike of height 1 at PEAK_T, sampled at `times`."""

    calls = 0

    def __init__(self, times):
        self.times = np.asarray(times)
        _Spike.calls += 1

    def readout(self, quantity, region=None, relative_to=None):
        return np.exp(-0.5 * ((self.times - PEAK_T) / PEAK_W) ** 2)


def _spike_rule(level):
    return parse_rules({"version": 1, "rules": [
        {"id": "spike", "kind": "trajectory_ceiling", "quantity": "x", "max_value": level,
         "reason": "a reason long enough", "source": "a source long enough"}]})


def test_a_peak_between_hourly_samples_is_found_and_placed():
    p = add_dose(Plan(), "escitalopram", 10.3, 10, route="iv")  # the event the sampling starts from
    hourly = np.arange(0.0, 48.0 + 1)
    assert _Spike(hourly).readout("x").max() < 1e-50  # what the hourly check saw
    assert check_trajectory_on(p, lambda q, r, rel: (hourly, _Spike(hourly).readout(q)), 0.9) == ()
    dense = peaks.DenseReadout(_Spike, peaks.peak_grid(p, 48.0))
    times, values = dense("x")
    k = int(np.argmax(values))
    assert values[k] == pytest.approx(1.0, abs=1e-4) and times[k] == pytest.approx(PEAK_T, abs=peaks.PEAK_TOL_H)
    assert dense.simulations <= peaks.MAX_ROUNDS + 1
    (v,) = check_trajectory_on(p, dense, 0.9)
    crossing = PEAK_T - PEAK_W * math.sqrt(2 * math.log(1 / 0.9))  # 10.36082 h
    assert v.at_h == pytest.approx(crossing, abs=peaks.PEAK_TOL_H) and v.at_h >= crossing
    assert "x exceeds 0.9 from 10.36" in v.message and "(maximum 1 at 10.3" in v.message


def check_trajectory_on(p, readout, level):
    return safety.check_trajectory(p, readout, _spike_rule(level)).violations


def test_peak_grid_follows_each_dose():
    p = add_dose(Plan(), "escitalopram", 10.3, 10, route="iv", every_h=24, count=2)
    grid = peaks.peak_grid(p, 60.0)
    for t in (10.3, 10.31, 10.33, 10.4, 12.3, 22.3, 34.3, 34.31, 46.3, 60.0):
        assert np.any(np.isclose(grid, t)), t
    assert grid.max() == 60.0 and np.all(np.diff(grid) > 0)


def test_iv_haloperidol_peak_between_hourly_samples_breaks_the_d2_ceiling():
    """A 1.95 mg IV bolus at 10.05 h: D2 occupancy peaks at the bolus, just above the 0.78 ceiling, and has
    fallen below it by the next hourly sample (11 h): the hourly check passed it, the continuous one does not."""
    needs("haloperidol")
    from neuroscape.simulate import simulate

    p = add_dose(Plan(), "haloperidol", 10.05, 1.95, route="iv")
    hourly = np.arange(0.0, 10.05 + peaks.TAIL_H + 1)
    old = simulate(Subject(), p, hourly).readout("occupancy.D2")
    assert old.max() < 0.78  # the hourly samples never see the peak
    report = safety.check(p, Subject(), "simulate")
    hit = [v for v in report.violations if v.rule_id == "d2-occupancy-eps"]
    assert hit and hit[0].at_h == pytest.approx(10.05, abs=peaks.PEAK_TOL_H)
    dense = peaks.dense_readout(p, Subject())
    times, values = dense("occupancy.D2", None, None)
    assert values.max() > 0.78 and times[np.argmax(values)] == pytest.approx(10.05, abs=peaks.PEAK_TOL_H)
    assert values.max() - old.max() > 0.005


# --- property: a plan built in Python and the same plan written as a protocol file ----------------

@st.composite
def python_plans(draw):
    """(protocol interventions, genotypes): drugs and serotonin-precursor supplements on random schedules."""
    names = sorted(n for n in library.drug_names() if library.load_drug(n).kind != "metabolite")
    in_rules = sorted({d for r in load_rules() for d in r.drugs()} & set(names))
    items = []
    for _ in range(draw(st.integers(1, 5))):
        start = float(draw(st.sampled_from([0, 6, 20, 30, 48, 100, 168, 336, 500, 900])))
        every = draw(st.sampled_from([None, 8, 12, 23, 24, 48]))
        count = draw(st.integers(1, 10)) if every else 1
        if draw(st.integers(0, 4)) == 0:
            item = {"nutrition": draw(st.sampled_from(["tryptophan", "5-htp"])), "at_h": start,
                    "dose_mg": float(draw(st.sampled_from([50, 100, 1000])))}
        else:
            drug = draw(st.one_of(st.sampled_from(in_rules), st.sampled_from(names)))
            label = library.load_drug(drug).label_max_daily_mg
            top = label.value if label else 10.0
            item = {"drug": drug, "start_h": start,
                    "dose_mg": float(top * draw(st.sampled_from([0.1, 0.25, 0.5, 1.0, 2.0])))}
        if every:
            item.update(every_h=float(every), count=count)
        items.append(item)
    genotypes = draw(st.dictionaries(st.sampled_from(["CYP2C19"]), st.sampled_from(_genotype_values()), max_size=1))
    return items, genotypes


def _python_plan(items) -> Plan:
    p = Plan()
    for it in items:
        every, count = it.get("every_h"), it.get("count", 1)
        if "drug" in it:
            p = add_dose(p, it["drug"], it["start_h"], it["dose_mg"], every_h=every, count=count)
        else:
            for k in range(count):
                p = add_nutrition(p, it["nutrition"], it["at_h"] + k * (every or 0.0), dose_mg=it["dose_mg"])
    return p


def _verdict(violations):
    return [(v["rule_id"], v["kind"], v["at_h"], tuple(v["drugs"]), v["reason"], v["source"]) for v in violations]


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(case=python_plans())
def test_property_a_python_plan_and_its_protocol_file_get_one_verdict(case, tmp_path, no_simulation):
    items, genotypes = case
    report = safety.check(_python_plan(items), Subject(genotypes=genotypes))
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump({"protocol": 1, "name": "p", "subject": {"genotypes": genotypes},
                                    "interventions": items,
                                    "readouts": [{"id": "r", "quantity": "occupancy.SERT", "at_h": 0}]}))
    res = CliRunner().invoke(_app(), ["check", str(path), "--json"])
    assert res.exit_code == (0 if report.ok else 1), res.output
    data = json.loads(res.stdout)
    assert _verdict(data["violations"]) == _verdict(v.to_dict() for v in report.violations)
    assert [n["rule_id"] for n in data["not_evaluated"]] == [n.rule_id for n in report.not_evaluated]


def test_cli_checks_the_continuous_trajectory(tmp_path):
    """The file of the haloperidol case above: `neuroscape check` now exits 1 (its hourly readout passed it)."""
    needs("haloperidol")
    path = _write(tmp_path, {"drug": "haloperidol", "dose_mg": 1.95, "start_h": 10.05, "route": "iv"})
    res = CliRunner().invoke(_app(), ["check", str(path), "--json"])
    assert res.exit_code == 1, res.output
    (v,) = json.loads(res.stdout)["violations"]
    assert v["rule_id"] == "d2-occupancy-eps" and v["at_h"] == pytest.approx(10.05, abs=peaks.PEAK_TOL_H)
    assert "maximum 0.783 at 10.05 h" in v["message"]
