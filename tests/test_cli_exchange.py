"""The exchange commands: `export omex`, `import sbml`, and `protocol run` with a `model:` key."""

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from neuroscape.cli import app

runner = CliRunner()
REFERENCE = Path(__file__).resolve().parents[1] / ".." / "shared" / "reference"
needs_reference = pytest.mark.skipif(not REFERENCE.is_dir(),
                                     reason=f"reference models folder {REFERENCE} is absent")

EXTERNAL = """protocol: 1
name: best-2009-dopamine
model: {model}
readouts:
  - {{id: eda, quantity: sbml.eda, at_h: [0, 1, 4]}}
  - {{id: vda, quantity: sbml.vda, at_h: 4, relative_to: baseline}}
"""


def test_help_lists_the_exchange_commands():
    out = runner.invoke(app, ["--help"]).output
    for cmd in ("export-sbml", "export", "import"):
        assert cmd in out
    assert "omex" in runner.invoke(app, ["export", "--help"]).output
    assert "sbml" in runner.invoke(app, ["import", "--help"]).output


def test_export_omex_writes_an_archive(tmp_path):
    protocol = tmp_path / "p.yaml"
    protocol.write_text("""protocol: 1
name: trp-1g
interventions:
  - {nutrition: tryptophan, at_h: 0, dose_mg: 1000}
readouts:
  - {id: trp, quantity: plasma.tryptophan, at_h: [0, 2], relative_to: baseline}
""")
    out = tmp_path / "trp.omex"
    res = runner.invoke(app, ["export", "omex", str(protocol), str(out)])
    assert res.exit_code == 0, res.output
    import zipfile

    names = set(zipfile.ZipFile(out).namelist())
    assert {"manifest.xml", "metadata.rdf", "model.xml", "simulation.sedml"} <= names
    bad = runner.invoke(app, ["export", "omex", str(protocol), str(tmp_path / "no" / "x.omex")])
    assert bad.exit_code == 2 and "does not exist" in bad.output


@needs_reference
def test_import_sbml_reports_runs_and_exports(tmp_path):
    out = tmp_path / "best.xml"
    res = runner.invoke(app, ["import", "sbml", str(REFERENCE / "best2009.xml"), "--hours", "2", "--json",
                              "--export", str(out)])
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout)
    assert (report["species"], report["reactions"], report["time_unit"]) == (14, 9, "hour")
    assert "sbml.eda" in report["readouts"]
    assert report["states_at_h"]["values"]["vda"] == pytest.approx(85.88, rel=1e-3)
    # the imported network exported again is valid SBML and runs the same in libRoadRunner (the round trip)
    import libsbml
    import roadrunner

    doc = libsbml.readSBMLFromFile(str(out))
    doc.checkConsistency()
    assert [doc.getError(i).getMessage() for i in range(doc.getNumErrors())
            if doc.getError(i).getSeverity() >= libsbml.LIBSBML_SEV_ERROR] == []

    rr = roadrunner.RoadRunner(str(out))
    rr.integrator.relative_tolerance = 1e-10
    rr.integrator.absolute_tolerance = 1e-14
    final = np.asarray(rr.simulate(0, 2, 3, ["[vda]", "[eda]"]))[-1]
    np.testing.assert_allclose(final, [report["states_at_h"]["values"][k] for k in ("vda", "eda")], rtol=1e-3)
    missing = runner.invoke(app, ["import", "sbml", str(tmp_path / "none.xml")])
    assert missing.exit_code == 1 and "file not found" in missing.output


@needs_reference
def test_protocol_run_with_a_model_key(tmp_path):
    import shutil

    shutil.copy(REFERENCE / "best2009.xml", tmp_path / "best2009.xml")
    path = tmp_path / "p.yaml"
    path.write_text(EXTERNAL.format(model="best2009.xml"))  # relative to the protocol file
    res = runner.invoke(app, ["protocol", "run", str(path), "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)["readouts"]
    assert data["eda"]["value"][0] == pytest.approx(0.002)  # the file's initial value
    from neuroscape.io.sbml_import import load_sbml, run_imported

    model, states, _ = run_imported(load_sbml(tmp_path / "best2009.xml"), [0.0, 1.0, 4.0])
    eda = states[:, model.species_index["eda"]]
    np.testing.assert_allclose(data["eda"]["value"], eda, rtol=1e-9)
    vda = states[:, model.species_index["vda"]]
    assert data["vda"]["value"] == pytest.approx(vda[-1] / 81.0, rel=1e-9)
    bad = tmp_path / "bad.yaml"
    bad.write_text(EXTERNAL.format(model="best2009.xml").replace("sbml.vda", "sbml.nope"))
    res = runner.invoke(app, ["protocol", "run", str(bad)])
    assert res.exit_code == 2 and "readouts[1].quantity: 'sbml.nope' is not an id of" in res.output
    drug = tmp_path / "drug.yaml"
    drug.write_text(EXTERNAL.format(model="best2009.xml").replace(
        "readouts:", "interventions:\n  - {drug: citalopram, dose_mg: 20}\nreadouts:"))
    res = runner.invoke(app, ["protocol", "run", str(drug)])
    assert res.exit_code == 2 and "interventions: not allowed with model:" in res.output
    absent = tmp_path / "absent.yaml"
    absent.write_text(EXTERNAL.format(model="nothing.xml"))
    res = runner.invoke(app, ["protocol", "run", str(absent)])
    assert res.exit_code == 2 and "model: SBML import" in res.output and "file not found" in res.output


def test_run_protocol_refuses_a_model_protocol():
    from neuroscape.errors import ProtocolError
    from neuroscape.protocol.run import run_protocol
    from neuroscape.protocol.schema import parse_protocol

    protocol = parse_protocol({"protocol": 1, "name": "x", "model": "m.xml",
                               "readouts": [{"id": "a", "quantity": "sbml.a", "at_h": 1}]})
    assert protocol.model == "m.xml"
    with pytest.raises(ProtocolError, match="model: this function runs neuroscape's own model"):
        run_protocol(protocol)
    from neuroscape.protocol.run import trajectory_readout

    with pytest.raises(ProtocolError, match="model: this function runs neuroscape's own model"):
        trajectory_readout(protocol)
