"""Protocol `parameters:` and `--set`: checked against the parameter table of the protocol's model and
carried by the one scenario path into simulate and the exported SBML."""

from __future__ import annotations

import libsbml
import pytest

from neuroscape import Subject, simulate
from neuroscape.errors import ProtocolError
from neuroscape.io.omex import exchange_of
from neuroscape.plan import Plan
from neuroscape.protocol.run import plan_of, run_protocol, subject_of, with_settings
from neuroscape.protocol.schema import parse_protocol
from neuroscape.scenario import scenario

BASE = {"protocol": 1, "name": "sert-km",
        "readouts": [{"id": "e5ht", "quantity": "brain.serotonin.extracellular", "region": "cortex", "at_h": 0}]}


def _protocol(**extra):
    return parse_protocol({**BASE, **extra})


def test_a_parameter_reaches_the_subject_in_the_table_unit():
    subject = subject_of(_protocol(parameters={"sert_km": "90 nM", "rel_5ht": 2}))
    assert dict(subject.parameters) == {"sert_km": pytest.approx(0.09), "rel_5ht": 2.0}


def test_the_run_uses_the_value():
    # a weaker transporter affinity (higher Km) raises extracellular 5-HT at steady state
    plain = run_protocol(_protocol()).readouts["e5ht"]["value"]
    slower = run_protocol(_protocol(parameters={"sert_km": "120 nM"})).readouts["e5ht"]["value"]
    direct = simulate(Subject(parameters={"sert_km": 0.12}), Plan(), [0.0]).readout(
        "brain.serotonin.extracellular", "cortex")[0]
    assert slower == pytest.approx(float(direct), rel=1e-12)
    assert slower > 1.1 * plain  # 0.060 -> 0.120 uM: about +14% after the autoreceptor feedback


def test_set_wins_over_the_file_and_is_checked():
    protocol = with_settings(_protocol(parameters={"sert_km": 0.09, "rel_5ht": 2}), ["sert_km=120 nM"])
    assert dict(protocol.parameters) == {"sert_km": pytest.approx(0.12), "rel_5ht": 2.0}
    with pytest.raises(ProtocolError, match=r"--set sert_km=-1: '-1' is not allowed for sert_km"):
        with_settings(_protocol(), ["sert_km=-1"])
    with pytest.raises(ProtocolError, match=r"--set sert_km: write --set NAME=VALUE"):
        with_settings(_protocol(), ["sert_km"])


def test_file_problems_name_the_key():
    with pytest.raises(ProtocolError, match=r"parameters.sert_kn: 'sert_kn' is not a parameter of this model; "
                                            r"did you mean sert_km"):
        subject_of(_protocol(parameters={"sert_kn": 0.1}))
    with pytest.raises(ProtocolError, match=r"2 problems:\n  parameters.sert_km: .*\n  parameters.rel_5ht: '2 h' "
                                            r"has the wrong dimension"):
        subject_of(_protocol(parameters={"sert_km": -1, "rel_5ht": "2 h"}))
    with pytest.raises(ProtocolError, match=r"parameters.sert_km: true is not allowed: a parameter value is a "
                                            r"number in the table's unit or a text with a unit"):
        _protocol(parameters={"sert_km": True})


def test_drug_parameters_exist_when_the_drug_is_dosed():
    with pytest.raises(ProtocolError, match=r"citalopram_ka' is not a parameter of this model; .*a drug's "
                                            r"parameters exist when the protocol doses that drug"):
        subject_of(_protocol(parameters={"citalopram_ka": 1.5}))
    dosed = _protocol(parameters={"citalopram_ka": "0.025 1/min"},
                      interventions=[{"drug": "citalopram", "dose_mg": 20}])
    assert subject_of(dosed).parameters["citalopram_ka"] == pytest.approx(1.5)


def test_exported_sbml_carries_the_overridden_values():
    protocol = _protocol(parameters={"sert_km": "120 nM", "citalopram_ka": 1.5},
                         interventions=[{"drug": "citalopram", "dose_mg": 20}])
    doc = libsbml.readSBMLFromString(exchange_of(protocol).sbml)
    model = doc.getModel()
    assert model.getParameter("sert_km").getValue() == pytest.approx(0.12, rel=1e-12)
    assert model.getParameter("citalopram_ka").getValue() == pytest.approx(1.5, rel=1e-12)
    plain = libsbml.readSBMLFromString(exchange_of(_protocol(
        interventions=[{"drug": "citalopram", "dose_mg": 20}])).sbml).getModel()
    assert plain.getParameter("sert_km").getValue() == pytest.approx(0.06, rel=1e-12)
    # the initial state is the overridden subject's steady state (simulate's state at t = 0), in uM
    species = model.getSpecies("e5ht_cortex")
    start = species.getInitialConcentration() if species.isSetInitialConcentration() else species.getInitialAmount()
    sc = scenario(subject_of(protocol), plan_of(protocol), 0.0)
    expected = sc.start().y0[sc.model.network.species_names.index("e5ht_cortex")]
    assert start == pytest.approx(float(expected), rel=1e-9)
    assert start > 1.1 * plain.getSpecies("e5ht_cortex").getInitialConcentration()


def test_parameters_do_not_apply_to_an_external_model():
    from neuroscape.io.external_protocol import run_external

    with pytest.raises(ProtocolError, match=r"parameters: sets neuroscape's own model parameters and does not "
                                            r"apply with model:"):
        run_external(_protocol(model="elsewhere.xml", parameters={"k1": 2.0}))
