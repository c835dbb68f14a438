"""Oral 5-HTP (nutrition `5-htp`): PK against Magnussen 1979/1980 and Gijsman 2002, brain entry on
LAT1 and synthesis past TPH2 in serotonergic terminals."""

import numpy as np
import pytest

from neuroscape import Subject
from neuroscape.plan import Plan, add_dose, add_nutrition
from neuroscape.protocol.run import run_protocol
from neuroscape.protocol.schema import parse_protocol
from neuroscape.simulate import simulate

TIMES = np.arange(0.0, 24.01, 0.25)


def _run(dose_mg, subject=Subject(weight_kg=70), plan=Plan(), at_h=0.0):
    return simulate(subject, add_nutrition(plan, "5-htp", at_h, dose_mg=dose_mg), TIMES)


def test_5htp_pk_peak_time_and_linearity():
    tr = _run(200)
    p = tr.readout("plasma.5-htp")
    assert p[0] == 0
    assert 1.8 <= TIMES[p.argmax()] <= 3.3  # Magnussen 1980: peak 1.8-3.3 h
    assert _run(400).readout("plasma.5-htp").max() == pytest.approx(2 * p.max(), rel=1e-3)  # linear


def test_5htp_exposure_without_a_decarboxylase_inhibitor():
    # AUC = F (1 - first pass) dose / (CL + CL_AADC): 0.69 x 0.13 x 200 mg / 14.7 L/h
    tr = _run(200, plan=Plan())
    auc = np.trapezoid(tr.readout("plasma.5-htp"), TIMES) / 1000  # ug.h/mL over 24 h (most of it)
    expected = 0.69 * (1 - 0.87) * 200 / (7.35 + 7.35)
    assert auc == pytest.approx(expected, rel=0.05)


def test_5htp_raises_brain_5htp_and_5hiaa_dose_dependently():
    rises = []
    for dose in (100, 200, 400):
        tr = _run(dose)
        assert tr.readout("brain.5-htp").max() > 0
        rises.append(tr.readout("brain.5hiaa", "cortex", relative_to="baseline").max() - 1)
    assert 0 < rises[0] < rises[1] < rises[2]
    assert rises[2] == pytest.approx(4 * rises[0], rel=0.1)  # near-linear at these doses


def test_5htp_is_a_known_supplement_in_protocols():
    doc = {"protocol": 1, "name": "htp", "interventions": [{"nutrition": "5-htp", "at_h": 0, "dose_mg": 200}],
           "readouts": [{"id": "p", "quantity": "plasma.5-htp", "at_h": 2.5}]}
    assert run_protocol(parse_protocol(doc)).readouts["p"]["value"] > 100  # ng/mL


def test_carbidopa_multiplies_5htp_exposure_and_its_brain_effect():
    plain = _run(100)
    with_cd = simulate(Subject(weight_kg=70),
                       add_nutrition(add_dose(Plan(), "carbidopa", 0, 100), "5-htp", 3, dose_mg=100), TIMES)
    ratio = np.trapezoid(with_cd.readout("plasma.5-htp"), TIMES) / np.trapezoid(plain.readout("plasma.5-htp"), TIMES)
    assert ratio > 5  # Gijsman 2002: AUC 15.4x with carbidopa 100 mg + 50 mg
    def rise(tr):
        return tr.readout("brain.5hiaa", "cortex", relative_to="baseline").max() - 1

    assert rise(with_cd) > 3 * rise(plain)
