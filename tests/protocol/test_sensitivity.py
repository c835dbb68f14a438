"""Normalised local sensitivities S = d ln r / d ln p: the steady-state formula -J^-1 df/dp against an
analytic steady state, central differences against closed-form PK, and the two methods against each other."""

from __future__ import annotations

import numpy as np
import pytest

from neuroscape.engine.compiled import compile_network
from neuroscape.model.assemble import assemble
from neuroscape.model.network import Module, Parameter, Readout, Reaction, Species
from neuroscape.protocol.schema import parse_protocol
from neuroscape.protocol.sensitivity import sensitivities, steady_state_sensitivity

KIN, VMAX, KM, KOUT = 2.0, 5.0, 0.5, 0.3


@pytest.fixture(scope="module")
def saturable():
    """x is made at kin and removed by a saturable route and a linear one, y follows x:
    steady x solves kin = vmax x / (km + x) + kout x; y = kx x / ky. Readouts x and x^2 / km (a readout
    that also reads a parameter directly)."""
    params = [("kin", KIN, "uM/h"), ("vmax", VMAX, "uM/h"), ("km", KM, "uM"), ("kout", KOUT, "1/h"),
              ("kx", 1.0, "1/h"), ("ky", 4.0, "1/h")]
    module = Module("toy", (Species("x", "c", "uM", 0.0), Species("y", "c", "uM", 0.0)),
                    tuple(Parameter(n, v, u, "assumed", "assumed", note="test") for n, v, u in params), (),
                    (Reaction("make", "kin", {"x": 1}), Reaction("sat", "vmax*x/(km + x)", {"x": -1}),
                     Reaction("lin", "kout*x", {"x": -1}), Reaction("yin", "kx*x", {"y": 1}),
                     Reaction("yout", "ky*y", {"y": -1})),
                    (Readout("x", None, "x", "uM"), Readout("sq", None, "x*x/km", "uM"), Readout("y", None, "y", "uM")))
    return compile_network(assemble("toy", [module]))


def _analytic():
    """x* and d x*/d(kin, vmax, km, kout) by implicit differentiation of g = kin - vmax x/(km+x) - kout x."""
    a = KOUT
    b = KOUT * KM + VMAX - KIN
    x = (-b + np.sqrt(b * b + 4 * a * KIN * KM)) / (2 * a)
    dg_dx = -VMAX * KM / (KM + x) ** 2 - KOUT
    dg = {"kin": 1.0, "vmax": -x / (KM + x), "km": VMAX * x / (KM + x) ** 2, "kout": -x}
    return x, {k: -v / dg_dx for k, v in dg.items()}


def test_steady_state_formula_matches_the_analytic_steady_state(saturable):
    model = saturable
    ss = model.steady_state(model.p_default, np.array([1.0, 0.25]))
    x, dx = _analytic()
    assert ss.ok and ss.y[0] == pytest.approx(x, rel=1e-10)
    names = ["kin", "vmax", "km", "kout", "ky"]
    cols = [model.network.parameter_names.index(n) for n in names]
    fns = [model.readout_function(k) for k in ("x", "sq", "y")]
    values, S = steady_state_sensitivity(model, ss.y, model.p_default, cols, fns)
    assert values[0] == pytest.approx(x, rel=1e-10) and values[1] == pytest.approx(x * x / KM, rel=1e-10)
    params = dict(kin=KIN, vmax=VMAX, km=KM, kout=KOUT)
    for k, name in enumerate(names[:4]):
        exact = dx[name] * params[name] / x
        assert S[k, 0] == pytest.approx(exact, rel=1e-6, abs=1e-9)
        assert S[k, 1] == pytest.approx(2 * exact - (name == "km"), rel=1e-6, abs=1e-9)  # x^2 / km
        assert S[k, 2] == pytest.approx(exact, rel=1e-6, abs=1e-9)  # y = kx x / ky
    assert S[4, 0] == pytest.approx(0.0, abs=1e-9) and S[4, 2] == pytest.approx(-1.0, rel=1e-6)


BASELINE = {"protocol": 1, "name": "baseline",
            "readouts": [{"id": "e5ht", "quantity": "brain.serotonin.extracellular", "region": "cortex", "at_h": 0},
                         {"id": "trp", "quantity": "plasma.tryptophan", "at_h": 0},
                         {"id": "da", "quantity": "brain.dopamine.extracellular", "at_h": 0}]}
NAMES = ["sert_km", "sert_vmax", "tph_vmax", "rel_5ht", "trp_intake", "th_vmax", "tph_km_trp"]


def test_steady_and_central_methods_agree_at_the_steady_state():
    protocol = parse_protocol(BASELINE)
    central = sensitivities(protocol, NAMES)
    steady = sensitivities(protocol, NAMES, method="steady")
    assert [(r.parameter, r.readout) for r in central.rows] == [(r.parameter, r.readout) for r in steady.rows]
    for a, b in zip(central.rows, steady.rows):
        assert a.value == pytest.approx(b.value, rel=1e-8)
        assert a.sensitivity == pytest.approx(b.sensitivity, rel=1e-3, abs=2e-4), (a.parameter, a.readout)
    by = {(r.parameter, r.readout): r.sensitivity for r in steady.rows}
    assert by[("tph_vmax", "e5ht")] > 0.5 and by[("sert_vmax", "e5ht")] < -0.2  # synthesis up, reuptake down
    assert by[("trp_intake", "trp")] > 0.5 and abs(by[("sert_km", "trp")]) < 1e-9


# Citalopram in the model: one compartment, first-order absorption and linear clearance (the sum of
# four routes); for a 70 kg adult with normal phenotypes F 0.8, V 840 L, ka 0.95/h, CL 19.8 L/h.
F, V, KA = 0.8, 840.0, 0.95
ROUTES = {"citalopram_cl_renal": 4.0, "citalopram_cl_cyp2c19": 9.71, "citalopram_cl_cyp2d6": 2.71,
          "citalopram_cl_cyp3a4": 3.38}
T_END = 96.0


def _auc(f=F, v=V, ka=KA, cl=sum(ROUTES.values())):
    ke = cl / v
    return f * 20.0 * ka / (v * (ka - ke)) * ((1 - np.exp(-ke * T_END)) / ke - (1 - np.exp(-ka * T_END)) / ka)


def _tmax(v=V, ka=KA, cl=sum(ROUTES.values())):
    ke = cl / v
    return np.log(ka / ke) / (ka - ke)


def _log_derivative(f, x, h=1e-6):
    return (np.log(f(x * (1 + h))) - np.log(f(x * (1 - h)))) / (np.log(1 + h) - np.log(1 - h))


def test_central_differences_match_closed_form_pk():
    protocol = parse_protocol({
        "protocol": 1, "name": "citalopram", "subject": {"weight_kg": 70},
        "interventions": [{"drug": "citalopram", "dose_mg": 20}],
        "readouts": [{"id": "auc", "quantity": "plasma.citalopram", "summary": "auc", "over_h": [0, T_END]},
                     {"id": "tmax", "quantity": "plasma.citalopram", "summary": "tmax", "over_h": [0, T_END]}]})
    result = sensitivities(protocol, ["citalopram_f", "citalopram_v", "citalopram_ka", "citalopram_cl_renal"])
    S = {(r.parameter, r.readout): r.sensitivity for r in result.rows}
    cl = sum(ROUTES.values())
    expected = {
        ("citalopram_f", "auc"): 1.0,
        ("citalopram_v", "auc"): _log_derivative(lambda v: _auc(v=v), V),
        ("citalopram_ka", "auc"): _log_derivative(lambda ka: _auc(ka=ka), KA),
        ("citalopram_cl_renal", "auc"): _log_derivative(lambda c: _auc(cl=cl - 4.0 + c), 4.0),
        ("citalopram_f", "tmax"): 0.0,
        ("citalopram_ka", "tmax"): _log_derivative(lambda ka: _tmax(ka=ka), KA),
        ("citalopram_v", "tmax"): _log_derivative(lambda v: _tmax(v=v), V),
    }
    for key, value in expected.items():
        assert S[key] == pytest.approx(value, rel=0.01, abs=2e-3), key
