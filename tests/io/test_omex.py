"""COMBINE archive export: the files validate, and running the archive's SBML model with its SED-ML time
course in libRoadRunner (a small SED-ML loop below) reproduces `neuroscape protocol run`."""

from __future__ import annotations

import re

import libsbml
import numpy as np
import pytest

from neuroscape.io.omex import FORMATS, KISAO, write_omex
from neuroscape.protocol.run import run_protocol
from neuroscape.protocol.schema import parse_protocol

TOL = 1e-3  # the reference tolerance of tests/io/test_sbml.py
PROTOCOL = {
    "protocol": 1, "name": "citalopram-two-days",
    "subject": {"sex": "male", "age_years": 40, "weight_kg": 75},
    "interventions": [{"drug": "citalopram", "dose_mg": 20, "start_h": 0, "every_h": 24, "count": 2},
                      {"nutrition": "meal", "at_h": 8, "protein_g": 25, "carbohydrate_g": 70}],
    "readouts": [
        {"id": "sert", "quantity": "occupancy.SERT", "at_h": [1, 4, 24, 25, 48]},
        {"id": "e5ht", "quantity": "brain.serotonin.extracellular", "region": "cortex", "at_h": [0, 6, 24.5, 48],
         "relative_to": "baseline"},
        {"id": "ptrp", "quantity": "plasma.tryptophan", "at_h": [8, 9, 10]},
    ],
}


@pytest.fixture(scope="module")
def protocol():
    return parse_protocol(PROTOCOL)


@pytest.fixture(scope="module")
def archive(protocol, tmp_path_factory):
    import libcombine

    path = write_omex(protocol, tmp_path_factory.mktemp("omex") / "experiment.omex")
    arch = libcombine.CombineArchive()
    assert arch.initializeFromArchive(str(path))
    yield arch
    arch.cleanUp()


def _entry(arch, location: str) -> str:
    return arch.extractEntryToString(location.removeprefix("./"))


def test_archive_has_manifest_metadata_and_master_sedml(archive):
    formats = {archive.getEntry(i).getLocation(): archive.getEntry(i).getFormat()
               for i in range(archive.getNumEntries())}
    assert formats["./model.xml"] == FORMATS["sbml"]
    assert formats["./simulation.sedml"] == FORMATS["sedml"]
    assert archive.getMasterFile().getLocation() == "./simulation.sedml"
    meta = archive.getMetadataForLocation(".")
    assert not meta.isEmpty() and "citalopram-two-days" in meta.getDescription()


def test_sbml_and_sedml_validate(archive):
    import libsedml

    doc = libsbml.readSBMLFromString(_entry(archive, "./model.xml"))
    doc.checkConsistency()  # includes the unit checks
    errors = [doc.getError(i).getMessage() for i in range(doc.getNumErrors())
              if doc.getError(i).getSeverity() >= libsbml.LIBSBML_SEV_ERROR]
    assert errors == []
    m = doc.getModel()
    # the drug is wired in, the doses are events, the readouts are assignment rules
    assert m.getSpecies("citalopram_cen") is not None
    assert m.getNumEvents() >= 1
    assert {m.getRule(i).getVariable() for i in range(m.getNumRules())} == \
        {"readout_sert", "readout_e5ht", "readout_ptrp"}
    sed = libsedml.readSedMLFromString(_entry(archive, "./simulation.sedml"))
    assert sed.getErrorLog().getNumFailsWithSeverity(libsedml.LIBSEDML_SEV_ERROR) == 0
    assert (sed.getLevel(), sed.getVersion()) == (1, 4)
    alg = sed.getSimulation(0).getAlgorithm()
    assert alg.getKisaoID() == KISAO["rosenbrock"] == "KISAO_0000033"
    params = {alg.getAlgorithmParameter(i).getKisaoID(): float(alg.getAlgorithmParameter(i).getValue())
              for i in range(alg.getNumAlgorithmParameters())}
    assert params["KISAO_0000209"] == 1e-6 and params["KISAO_0000415"] == 500_000
    for i in range(sed.getNumDataGenerators()):
        for j in range(sed.getDataGenerator(i).getNumVariables()):
            var = sed.getDataGenerator(i).getVariable(j)
            if var.isSetTarget():
                assert m.getParameter(re.search(r"@id='([^']+)'", var.getTarget()).group(1)) is not None


def _run_sedml(archive) -> dict[str, np.ndarray]:
    """A minimal SED-ML executor: model (+ changes), uniform time course, data generators."""
    import libsedml
    import roadrunner

    sed = libsedml.readSedMLFromString(_entry(archive, archive.getMasterFile().getLocation()))
    task = sed.getTask(0)
    model = sed.getModel(task.getModelReference())
    assert model.getLanguage().startswith("urn:sedml:language:sbml")
    rr = roadrunner.RoadRunner(_entry(archive, "./" + model.getSource()))
    for i in range(model.getNumChanges()):
        change = model.getChange(i)
        assert change.getTypeCode() == libsedml.SEDML_CHANGE_ATTRIBUTE
        rr.setValue(re.search(r"@id='([^']+)'", change.getTarget()).group(1), float(change.getNewValue()))
    sim = sed.getSimulation(task.getSimulationReference())
    assert sim.getTypeCode() == libsedml.SEDML_SIMULATION_UNIFORMTIMECOURSE
    alg = sim.getAlgorithm()
    params = {alg.getAlgorithmParameter(i).getKisaoID(): alg.getAlgorithmParameter(i).getValue()
              for i in range(alg.getNumAlgorithmParameters())}
    # libRoadRunner has no Rosenbrock method: CVODE stands in (KiSAO: both ODE solvers with error
    # control), with the archive's tolerances and step limit
    rr.integrator.relative_tolerance = float(params[KISAO["rtol"]])
    rr.integrator.absolute_tolerance = float(params[KISAO["atol"]])
    rr.integrator.maximum_num_steps = int(params[KISAO["max_steps"]])
    assert sim.getInitialTime() == sim.getOutputStartTime() == 0.0
    columns, variables = ["time"], {}
    for i in range(sed.getNumDataGenerators()):
        dg = sed.getDataGenerator(i)
        for j in range(dg.getNumVariables()):
            var = dg.getVariable(j)
            if var.isSetSymbol():
                assert var.getSymbol() == "urn:sedml:symbol:time"
                variables[var.getId()] = "time"
            else:
                variables[var.getId()] = re.search(r"@id='([^']+)'", var.getTarget()).group(1)
                columns.append(variables[var.getId()])
    rr.timeCourseSelections = list(dict.fromkeys(columns))
    table = np.asarray(rr.simulate(sim.getInitialTime(), sim.getOutputEndTime(), sim.getNumberOfSteps() + 1))
    col = {name: table[:, k] for k, name in enumerate(rr.timeCourseSelections)}
    out = {}
    for i in range(sed.getNumDataGenerators()):
        dg = sed.getDataGenerator(i)
        env = {v: col[variables[v]] for v in variables}
        env.update({dg.getParameter(k).getId(): dg.getParameter(k).getValue() for k in range(dg.getNumParameters())})
        out[dg.getId()] = eval(libsedml.formulaToL3String(dg.getMath()).replace("^", "**"), {}, env)  # noqa: S307
    return out


def test_roadrunner_on_the_archive_matches_protocol_run(protocol, archive):
    data = _run_sedml(archive)
    times = data["dg_time"]
    ours = run_protocol(protocol).readouts
    assert set(ours) == {"sert", "e5ht", "ptrp"}
    for rid, ro in ours.items():
        want = np.atleast_1d(ro["value"])
        rows = [int(np.argmin(np.abs(times - t))) for t in np.atleast_1d(ro["at_h"])]
        np.testing.assert_allclose(times[rows], np.atleast_1d(ro["at_h"]), atol=1e-9)
        got = data[f"dg_{rid}"][rows]
        assert np.max(np.abs(got - want) / np.abs(want)) < TOL, (rid, got, want)
    # the dosing happened in the archive's run: SERT occupancy climbs from 0 well above 0.5
    assert data["dg_sert"][0] == pytest.approx(0.0, abs=1e-12)
    assert data["dg_sert"].max() > 0.5


def test_external_model_protocols_are_refused(protocol):
    from neuroscape.errors import ProtocolError
    from neuroscape.io.omex import exchange_of

    with pytest.raises(ProtocolError, match="model: an archive is written for neuroscape's own model"):
        exchange_of(protocol.model_copy(update={"model": "other.xml"}))
