"""Running a cohort: values equal single-subject simulations, responders equal a hand count, failures are kept."""

import json

import numpy as np
import pyarrow.parquet as pq
import pytest

from neuroscape.cohort.run import run_cohort
from neuroscape.cohort.sample import sample_population
from neuroscape.cohort.summary import summarise, write_outputs
from neuroscape.engine.compiled import Solver
from neuroscape.errors import ModelError


def _rows(table, **where):
    d = table.to_pydict()
    keep = [i for i in range(len(d["member"])) if all(d[k][i] == v for k, v in where.items())]
    return {k: [d[k][i] for i in keep] for k in d}


def test_table_has_one_row_per_member_arm_and_endpoint_time(small_run, small_spec):
    t = small_run.table
    assert t.num_rows == 8 * 2 * 3  # 8 members, 2 arms, endpoint times: trp at 2 and 24 h, e5ht at 4 h
    assert set(t.column("status").to_pylist()) == {"ok"}
    none = _rows(t, arm="none", endpoint="trp")
    assert np.allclose(none["value"], 1.0, atol=1e-8)  # nothing given: every member stays at baseline
    e5ht = _rows(t, arm="trp", endpoint="e5ht")
    assert set(e5ht["unit"]) == {"nM"} and all(30 < v < 120 for v in e5ht["value"])
    assert _rows(t, member=3, endpoint="e5ht")["CYP2C19"][0] == str(small_run.population.phenotypes["CYP2C19"][3])


def test_a_member_equals_its_single_subject_simulation(small_run, small_spec):
    from dataclasses import replace

    from neuroscape.cohort.arms import arm_plans
    from neuroscape.scenario import model_for
    from neuroscape.simulate import simulate
    from neuroscape.subject import parameter_vector

    plan = arm_plans(small_spec)[1]
    model = model_for(plan)
    pop = small_run.population
    i = 5
    subject = pop.subject(i)
    p = parameter_vector(subject, model.network)
    for j, v in enumerate(pop.variations):
        for name in v.targets:
            p[model.param_index[name]] *= np.exp(pop.etas[i, j])
    names = model.network.parameter_names
    subject = replace(subject, parameters={n: float(p[k]) for k, n in enumerate(names)})
    traj = simulate(subject, plan, [0.0, 2.0, 4.0, 24.0], solver=Solver(rtol=1e-5))
    ratio = traj.readout("plasma.tryptophan", relative_to="baseline")
    row = _rows(small_run.table, arm="trp", endpoint="trp", member=i)
    assert row["value"] == pytest.approx([ratio[1], ratio[3]], rel=1e-6)
    e5ht = _rows(small_run.table, arm="trp", endpoint="e5ht", member=i)
    assert e5ht["value"][0] == pytest.approx(traj.readout("brain.serotonin.extracellular", "cortex")[2], rel=1e-6)
    assert e5ht["baseline"][0] == pytest.approx(traj.baseline("brain.serotonin.extracellular", "cortex"), rel=1e-8)


def test_responder_rate_equals_a_hand_count(small_run, small_spec, tmp_path):
    paths = write_outputs(small_run, tmp_path)
    table = pq.read_table(paths["results"])
    rows = _rows(table, arm="trp", endpoint="trp", at_h=2.0)
    by_hand = sum(1 for v, b in zip(rows["value"], rows["baseline"]) if v / b >= 2.5)
    assert 0 < by_hand < 8  # the threshold splits this cohort
    summary = json.loads(paths["summary_json"].read_text())
    arm = summary["responder"]["arms"]["trp"]
    assert (arm["responders"], arm["members_ok"]) == (by_hand, 8)
    assert arm["rate"] == by_hand / 8
    assert summary["responder"]["arms"]["none"]["responders"] == 0
    assert "Responders" in paths["summary_html"].read_text()
    names = [i["input"] for i in summary["sensitivity"]["arms"]["trp"]["indices"]]
    assert {"sex", "age_years", "weight_kg", "CYP2C19"} <= set(names) and any(n.startswith("prior:") for n in names)
    # nothing happens in the arm without the drink: its ratio is 1 up to integrator noise, and has no indices
    assert summary["sensitivity"]["arms"]["none"] == {"output": "ratio_to_baseline of trp at 2 h", "indices": [],
                                                      "note": "the output does not vary across members"}


def test_a_failing_member_is_recorded_and_the_run_goes_on(small_spec, monkeypatch):
    import neuroscape.subject as subject_module

    real = subject_module.parameter_vector
    spec = small_spec.model_copy(update={"size": 4, "arms": small_spec.arms[1:]})
    pop = sample_population(spec)
    bad_weight = float(pop.weight_kg[2])

    def refuse_member_2(subject, network):
        if subject.weight_kg == bad_weight:
            raise ModelError("this member is refused (test)")
        return real(subject, network)

    monkeypatch.setattr(subject_module, "parameter_vector", refuse_member_2)
    run = run_cohort(spec, chunk_size=4)
    status = _rows(run.table, endpoint="e5ht")["status"]
    assert status[2] == "subject_error: this member is refused (test)"
    assert status[:2] + status[3:] == ["ok"] * 3
    assert np.isnan(_rows(run.table, member=2)["value"]).all()
    summary = summarise(run)
    assert summary["status"]["trp"] == {"ok": 3, "subject_error: this member is refused (test)": 1}
    assert summary["responder"]["arms"]["trp"]["members_ok"] == 3
