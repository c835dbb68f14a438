"""PK summaries (Cmax, Tmax, AUC, trough, time above a level) against the closed forms of a
one-compartment oral dose, the Bateman function C(t) = F D ka / (V (ka - ke)) (exp(-ke t) - exp(-ka t))."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import brentq

from neuroscape.errors import ProtocolError
from neuroscape.protocol.run import run_protocol
from neuroscape.protocol.schema import parse_protocol
from neuroscape.protocol.summaries import summarise, summary_grid, summary_unit

F, DOSE_MG, KA, V_L, CL_L_H = 0.8, 20.0, 1.5, 1000.0, 19.8  # citalopram's F and CL (70 kg); ka, V overridden
KE = CL_L_H / V_L
A = F * DOSE_MG * KA / (V_L * (KA - KE)) * 1000.0  # ng/mL


def bateman(t):
    return A * (np.exp(-KE * t) - np.exp(-KA * t))


def auc(t0, t1):
    return A * ((np.exp(-KE * t0) - np.exp(-KE * t1)) / KE - (np.exp(-KA * t0) - np.exp(-KA * t1)) / KA)


TMAX = np.log(KA / KE) / (KA - KE)
LEVEL = 10.0
T_UP = brentq(lambda t: bateman(t) - LEVEL, 1e-6, TMAX)
T_DOWN = brentq(lambda t: bateman(t) - LEVEL, TMAX, 200.0)
EXPECTED = {"cmax": bateman(TMAX), "tmax": TMAX, "auc": auc(0, 72), "trough": bateman(24.0),
            "time_above": T_DOWN - T_UP}


@pytest.mark.parametrize("kind", list(EXPECTED))
def test_summaries_of_the_analytic_curve(kind):
    grid = summary_grid(0.0, 72.0) if kind != "trough" else summary_grid(1.0, 24.0)
    got = summarise(kind, grid, bateman(grid), level=LEVEL)
    assert got == pytest.approx(EXPECTED[kind], rel=1e-4)  # the runner's grid: far inside 1%


def test_units():
    assert [summary_unit(k, "ng/mL") for k in ("cmax", "tmax", "auc", "trough", "time_above")] == \
        ["ng/mL", "h", "ng/mL*h", "ng/mL", "h"]
    assert summary_unit("auc", "1") == "h"


PROTOCOL = {
    "protocol": 1, "name": "citalopram-single-dose",
    "subject": {"weight_kg": 70},
    "interventions": [{"drug": "citalopram", "dose_mg": DOSE_MG, "start_h": 0}],
    "parameters": {"citalopram_ka": f"{KA / 60} 1/min", "citalopram_v": f"{V_L} L"},
    "readouts": [
        {"id": "cmax", "quantity": "plasma.citalopram", "summary": "cmax", "over_h": [0, 72]},
        {"id": "tmax", "quantity": "plasma.citalopram", "summary": "tmax", "over_h": [0, 72]},
        {"id": "auc", "quantity": "plasma.citalopram", "summary": "auc", "over_h": [0, 72]},
        {"id": "trough", "quantity": "plasma.citalopram", "summary": "trough", "over_h": [1, 24]},
        {"id": "time_above", "quantity": "plasma.citalopram", "summary": "time_above", "over_h": [0, 72],
         "level": LEVEL},
        {"id": "c", "quantity": "plasma.citalopram", "at_h": [2, 24]},
    ],
}


@pytest.fixture(scope="module")
def result():
    return run_protocol(parse_protocol(PROTOCOL))


@pytest.mark.parametrize("kind", list(EXPECTED))
def test_the_model_run_matches_the_bateman_function_within_one_percent(result, kind):
    # citalopram in the model is one-compartment, first-order absorption, linear clearance
    out = result.readouts[kind]
    assert out["value"] == pytest.approx(EXPECTED[kind], rel=0.01)
    assert out["summary"] == kind and "at_h" not in out
    assert out["unit"] == summary_unit(kind, "ng/mL")


def test_time_points_beside_summaries(result):
    assert result.readouts["c"]["value"] == pytest.approx([bateman(2.0), bateman(24.0)], rel=0.01)
    assert result.readouts["time_above"]["level"] == LEVEL
    assert result.readouts["auc"]["over_h"] == [0, 72]


@pytest.mark.parametrize("readout,pattern", [
    ({"summary": "cmax"}, r"readouts\[0\].over_h: required key is missing; over_h is the interval"),
    ({"summary": "cmax", "over_h": [0, 24], "at_h": 3}, r"readouts\[0\].at_h: 3 is not allowed: a summary is "
                                                        r"read over an interval; write over_h"),
    ({"summary": "time_above", "over_h": [0, 24]}, r"readouts\[0\].level: required key is missing"),
    ({"summary": "auc", "over_h": [0, 24], "level": 3}, r"level: 3 is not allowed: level applies only to summary: "
                                                        r"time_above"),
    ({"summary": "auc", "over_h": [24, 0]}, r"over_h\[1\]: 0 is not allowed: over_h is two times \[start, end\] "
                                            r"with start < end"),
    ({"summary": "mean", "over_h": [0, 24]}, r"readouts\[0\].summary: 'mean' is not allowed: summary is one of "
                                             r"cmax, tmax, auc, trough, time_above"),
    ({"over_h": [0, 24], "at_h": 1}, r"over_h: \[0, 24\] is not allowed: over_h applies only with summary"),
])
def test_malformed_summaries_name_the_key(readout, pattern):
    data = {**PROTOCOL, "readouts": [{"id": "x", "quantity": "plasma.citalopram", **readout}]}
    with pytest.raises(ProtocolError, match=pattern):
        parse_protocol(data)


def test_summaries_are_not_exported_to_sed_ml():
    from neuroscape.errors import NotModelledError
    from neuroscape.io.omex import exchange_of

    with pytest.raises(NotModelledError, match=r"readouts\[0\].summary: a summary \(cmax\) is not expressible in "
                                               r"SED-ML; export the readout at times"):
        exchange_of(parse_protocol(PROTOCOL))
