"""A cohort run on a Dask cluster equals the local run, member by member and bit for bit."""

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from neuroscape.cli import app
from neuroscape.cohort.run import run_cohort

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def cluster():
    # two in-process workers (threads): small enough for a shared 2-core machine; the engine lock in
    # cohort/run.py keeps their numba calls apart
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None,
                                  silence_logs=50) as c:
        yield c


def test_dask_equals_local_member_by_member(small_run, small_spec, cluster):
    with distributed.Client(cluster) as client:
        remote = run_cohort(small_spec, scheduler=client, chunk_size=3)
        assert len(client.scheduler_info()["workers"]) == 2
    local, dask = small_run.table.to_pydict(), remote.table.to_pydict()
    assert local.keys() == dask.keys()
    for key in local:
        if key in ("value", "baseline"):
            assert np.array_equal(np.array(local[key]), np.array(dask[key]), equal_nan=True), key
        else:
            assert local[key] == dask[key], key


def test_cli_runs_on_a_scheduler_address(small_spec, small_run, cluster, tmp_path):
    import yaml

    from .conftest import SMALL

    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(SMALL))
    res = CliRunner().invoke(app, ["cohort", "run", str(path), "--scheduler", cluster.scheduler_address,
                                   "--out", str(tmp_path / "out"), "--json", "--chunk-size", "3"])
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    local = small_run.table.to_pydict()
    rows = [i for i in range(len(local["member"])) if local["arm"][i] == "trp" and local["endpoint"][i] == "trp"
            and local["at_h"][i] == 2.0]
    assert summary["responder"]["arms"]["trp"]["responders"] == sum(local["value"][i] >= 2.5 for i in rows)
    assert (tmp_path / "out" / "results.parquet").exists() and (tmp_path / "out" / "summary.html").exists()
    bad = CliRunner().invoke(app, ["cohort", "run", str(path), "--scheduler", "tcp://127.0.0.1:1",
                                   "--out", str(tmp_path / "o2")])
    assert bad.exit_code == 2 and "--scheduler tcp://127.0.0.1:1: cannot connect to a Dask scheduler" in bad.output


@pytest.mark.slow
def test_local_processes_equal_the_in_process_run(small_run, small_spec):
    spawned = run_cohort(small_spec, processes=2, chunk_size=3)  # two spawned processes load the models
    local, other = small_run.table.to_pydict(), spawned.table.to_pydict()
    # equal to rounding: a spawned process may order a few floating-point sums differently (seen: 2e-16)
    np.testing.assert_allclose(np.array(local["value"]), np.array(other["value"]), rtol=1e-12, equal_nan=True)
    assert local["status"] == other["status"] and local["member"] == other["member"]
