"""Fuzzing the command line (hypothesis): protocol files (`protocol run`), plans (`check`), patient files
(`assess`) and target profiles (`plan`). Every input must end in exit 0, 1 (a failed check or a model that
cannot be fitted) or 2 (bad input), never a traceback, within a time and memory bound, and with nothing
half-written.

Each example runs in-process (CliRunner) and is measured: wall time per example and the growth of the
process's peak resident memory. The bombs that would need a hard limit run in a subprocess under RLIMIT_AS
(test_robust.py). Patient files and target profiles are fuzzed up to the calibration (42 s per valid file on
two cores), with an option that stops the command there, so the importers and the problem list are what is
exercised; the protocol and plan cases run their simulations when the input is valid.
"""

from __future__ import annotations

import collections
import copy
import json
import resource
import time
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from neuroscape.cli import app

EXAMPLES = Path(__file__).resolve().parents[2] / "src" / "neuroscape" / "examples"
SECONDS = 60.0  # CPU seconds per example: a valid protocol simulates in a few; a hang or a bomb would not finish
GROWTH_MB = 1500.0  # peak resident memory an example may add (a YAML bomb grows to gigabytes)
FUZZ = settings(max_examples=20, deadline=None, derandomize=True, database=None,
                suppress_health_check=list(HealthCheck), print_blob=True)

# Strings that broke or could break things: markup, terminal escapes, look-alike letters, YAML specials,
# over-long text, names that almost exist.
NASTY = ["[bold red]x[/]", "\x1b[31mred\x1b[0m", "еscitalopram", "a" * 5000, "*2/*2", "", " ", "NaN", "1e400",
         "08:00", "25:99", "citalopram", "escitalopram", "occupancy.SERT", "plasma.tryptophan", "cortex",
         "baseline", "female", "../../etc/passwd", "null", "~", "!!python/object:os.system", "\u202eevil",
         "tryptophan", "meal", "ssri-efficacy", "brain.serotonin.extracellular", "mg", "umol/L", "20659-9"]
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20),
                    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=30), st.sampled_from(NASTY),
                    st.sampled_from([0, 1, -1, 24, 1e6, 87_600, 87_601, 0.5, 1e-300]))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                     st.dictionaries(st.text(max_size=10) | st.sampled_from(NASTY),
                                                                     inner, max_size=3)), max_leaves=8)

PROTOCOL = {"protocol": 1, "name": "fuzz",
            "subject": {"sex": "female", "age_years": 30, "weight_kg": 60, "genotypes": {"CYP2C19": "*1/*1"}},
            "interventions": [{"drug": "escitalopram", "dose_mg": 10, "every_h": 24, "count": 2},
                              {"nutrition": "meal", "at_h": 8, "protein_g": 25, "carbohydrate_g": 70}],
            "readouts": [{"id": "occ", "quantity": "occupancy.SERT", "at_h": [2, 24]},
                         {"id": "e5ht", "quantity": "brain.serotonin.extracellular", "region": "cortex",
                          "at_h": 4, "relative_to": "baseline"}]}
PROFILE = yaml.safe_load((Path(__file__).resolve().parents[2] / "src" / "neuroscape" / "manage" / "data" / "targets"
                          / "ssri-efficacy.yaml").read_text(encoding="utf-8"))


def _paths(value, prefix=()):
    """Every (path, value) in a nested structure, the root included."""
    yield prefix, value
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, (*prefix, i))


# Values of the right type that a file could plausibly hold: boundaries, names that exist and names that almost do
TWEAKS = {int: st.sampled_from([0, 1, 2, 3, 7, 24, 100, 1000, 87_600, 87_601, -1]),
          float: st.sampled_from([0.0, 0.5, 1e-9, 2.5, 24.0, 199.9, 200.1, 1e6, -0.5]),
          str: st.sampled_from(NASTY), bool: st.booleans()}


@st.composite
def mutated(draw, base):
    """`base` with a few values changed: mostly to a value of the same type (so many files stay valid and run),
    sometimes to junk, a key deleted or one added. The last paths come first, so the deep keys get changed."""
    data = copy.deepcopy(base)
    for _ in range(draw(st.integers(0, 3))):
        paths = [p for p, _ in _paths(data) if p][::-1]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = data
        for part in path[:-1]:
            parent = parent[part]
        action = draw(st.sampled_from(["tweak", "tweak", "tweak", "set", "delete", "add"]))
        old = parent[path[-1]]
        if action == "tweak" and type(old) in TWEAKS:
            parent[path[-1]] = draw(TWEAKS[type(old)])
        elif action in ("tweak", "set"):
            parent[path[-1]] = draw(VALUES)
        elif action == "delete":
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent[draw(st.text(max_size=12) | st.sampled_from(NASTY))] = draw(VALUES)
        else:
            parent.append(draw(VALUES))
    return data


@st.composite
def file_bytes(draw, base, json_only=False):
    """A mutated document written as YAML or JSON, sometimes with its bytes damaged (cut short, a byte that
    is not UTF-8, a byte-order mark, a YAML bomb)."""
    data = draw(mutated(base))
    as_json = json_only or draw(st.booleans())
    try:
        text = json.dumps(data, ensure_ascii=False) if as_json else yaml.safe_dump(data, allow_unicode=True)
    except (ValueError, yaml.YAMLError):
        text = str(data)
    raw = text.encode("utf-8", "surrogatepass")
    damage = draw(st.sampled_from(["none", "none", "none", "cut", "byte", "bom", "bomb"]))
    if damage == "cut":
        raw = raw[:draw(st.integers(0, len(raw)))]
    elif damage == "byte":
        at = draw(st.integers(0, len(raw)))
        raw = raw[:at] + draw(st.sampled_from([b"\xff", b"\xe9", b"\x00", b"\xc3"])) + raw[at:]
    elif damage == "bom":
        raw = b"\xef\xbb\xbf" + raw
    elif damage == "bomb" and not as_json:
        raw = _bomb().encode() + raw
    return (".json" if as_json else ".yaml"), raw


def _bomb(levels: int = 9) -> str:
    lines = ['b0: &b0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"b{i}: &b{i} [" + ", ".join([f"*b{i - 1}"] * 9) + "]" for i in range(1, levels + 1)]
    return "\n".join(lines) + f"\nname: *b{levels}\n"


OUTCOMES: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)


def _run(args: list[str], folder: Path):
    """Invoke the CLI; assert the exit contract, the bounds and that no partial file is left in `folder`.
    Time is the process's CPU time (the machine may be shared: wall time would measure the neighbours)."""
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start = time.process_time()
    res = CliRunner().invoke(app, args)
    seconds = time.process_time() - start
    growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - before
    assert res.exit_code in (0, 1, 2), (res.exit_code, res.output[-2000:], repr(res.exception))
    assert res.exception is None or isinstance(res.exception, SystemExit), (
        f"{type(res.exception).__name__}: {res.exception}", res.output[-2000:])
    assert "Traceback" not in res.output
    assert seconds < SECONDS, f"{seconds:.0f} s"
    assert growth < GROWTH_MB, f"peak memory grew by {growth:.0f} MB"
    assert not [p.name for p in folder.iterdir() if ".part" in p.name], "a temporary file was left behind"
    OUTCOMES[args[0]][res.exit_code] += 1
    return res


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    """The base protocol run once outside the bounds: the first use compiles its model (minutes on a busy
    machine, then cached), which is not what an example measures."""
    path = tmp_path_factory.mktemp("warm") / "protocol.yaml"
    path.write_text(yaml.safe_dump(PROTOCOL), encoding="utf-8")
    assert CliRunner().invoke(app, ["protocol", "run", str(path)]).exit_code == 0
    assert CliRunner().invoke(app, ["check", str(path)]).exit_code in (0, 1)


@FUZZ
@given(case=file_bytes(PROTOCOL))
def test_protocol_run_never_crashes(tmp_path_factory, compiled, case):
    folder = tmp_path_factory.mktemp("fuzz")
    suffix, raw = case
    path = folder / f"protocol{suffix}"
    path.write_bytes(raw)
    plot = folder / "readouts.png"
    res = _run(["protocol", "run", str(path), "--plot", str(plot)], folder)
    # the figure exists exactly when the run succeeded: never half-written, never left from a failed run
    assert plot.exists() == (res.exit_code == 0)
    if res.exit_code == 2:
        assert "error:" in res.output


@FUZZ
@given(case=file_bytes(PROTOCOL))
def test_check_never_crashes(tmp_path_factory, compiled, case):
    folder = tmp_path_factory.mktemp("fuzz")
    suffix, raw = case
    path = folder / f"plan{suffix}"
    path.write_bytes(raw)
    _run(["check", str(path), "--json"], folder)


def _csv_rows():
    lines = (EXAMPLES / "patients" / "ben-records.csv").read_text(encoding="utf-8").splitlines()
    return [line for line in lines if not line.startswith("#")]


@st.composite
def patient_bytes(draw):
    """A mutated example patient: FHIR R4 JSON (values replaced) or the CSV record (cells replaced, rows
    dropped or repeated)."""
    if draw(st.booleans()):
        bundle = json.loads((EXAMPLES / "patients" / "anna-fhir.json").read_text(encoding="utf-8"))
        return draw(file_bytes(bundle, json_only=True))
    rows = [line.split(",") for line in _csv_rows()]
    for _ in range(draw(st.integers(0, 5))):
        i = draw(st.integers(0, len(rows) - 1))
        action = draw(st.sampled_from(["cell", "cell", "drop", "repeat"]))
        if action == "cell":
            j = draw(st.integers(0, len(rows[i]) - 1))
            rows[i][j] = str(draw(SCALARS)).replace("\n", " ")
        elif action == "drop" and len(rows) > 1:
            rows.pop(i)
        else:
            rows.append(list(rows[i]))
    raw = "\n".join(",".join(r) for r in rows).encode("utf-8", "surrogatepass")
    if draw(st.booleans()):
        at = draw(st.integers(0, len(raw)))
        raw = raw[:at] + draw(st.sampled_from([b"\xff", b"\x00", b'"', b"\n"])) + raw[at:]
    return ".csv", raw


@FUZZ
@given(case=patient_bytes())
def test_assess_reports_every_file_problem_with_the_options(tmp_path_factory, case):
    folder = tmp_path_factory.mktemp("fuzz")
    suffix, raw = case
    path = folder / f"patient{suffix}"
    path.write_bytes(raw)
    # --method none is refused; the file is imported anyway and its problems listed in the same run
    res = _run(["assess", str(path), "--method", "none", "--out", str(folder / "report")], folder)
    assert res.exit_code == 2 and "--method none: allowed: laplace, mcmc" in res.output
    assert not (folder / "report").exists()


@FUZZ
@given(case=file_bytes(PROFILE))
def test_plan_reads_any_target_profile_without_a_traceback(tmp_path_factory, case):
    folder = tmp_path_factory.mktemp("fuzz")
    suffix, raw = case
    path = folder / f"profile{suffix}"
    path.write_bytes(raw)
    res = _run(["plan", str(EXAMPLES / "patients" / "ben-records.csv"), "--targets", str(path), "--draws", "-1"],
               folder)
    assert res.exit_code == 2 and "--draws -1" in res.output


def test_the_fuzz_reached_valid_and_invalid_files():
    """The generators are worth their time only if they produce files that run as well as files that fail."""
    if not OUTCOMES["protocol"] or not OUTCOMES["check"]:
        pytest.skip("run with the fuzz tests above (same module)")
    assert OUTCOMES["protocol"][0] >= 3 and OUTCOMES["protocol"][2] >= 3, OUTCOMES["protocol"]
    assert OUTCOMES["check"][0] + OUTCOMES["check"][1] >= 3 and OUTCOMES["check"][2] >= 3, OUTCOMES["check"]
