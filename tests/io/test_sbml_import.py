"""SBML import: the two CC0 BioModels reference files load as networks the engine runs, and their time
courses agree with libRoadRunner's simulation of the same files; unsupported constructs are named."""

from __future__ import annotations

from pathlib import Path

import libsbml
import libsedml  # noqa: F401 - imported on purpose: it changes libsbml's ASTNode.getType() (see _Math)
import numpy as np
import pytest
import sympy as sp

from neuroscape.errors import ModelError
from neuroscape.io.sbml_import import _Math, load_sbml, run_imported

REFERENCE = Path(__file__).resolve().parents[2] / ".." / "shared" / "reference"
TOL = 1e-3  # the reference tolerance of tests/io/test_sbml.py
needs_reference = pytest.mark.skipif(not REFERENCE.is_dir(),
                                     reason=f"reference models folder {REFERENCE} is absent")


def _roadrunner_concentrations(path: Path, names, hours, per_hour):
    import roadrunner

    rr = roadrunner.RoadRunner(str(path))
    rr.integrator.relative_tolerance = 1e-10
    rr.integrator.absolute_tolerance = 1e-16
    rr.integrator.maximum_num_steps = 200_000
    rr.timeCourseSelections = [f"[{n}]" for n in names]
    rows, t_prev = [], 0.0
    for t in hours:  # one simulate call per output time: the times are not uniform
        if t > t_prev:
            rows.append(np.asarray(rr.simulate(t_prev * per_hour, t * per_hour, 2))[-1])
        else:
            rows.append(np.asarray([rr.getValue(s) for s in rr.timeCourseSelections]))
        t_prev = t
    return np.vstack(rows)


@needs_reference
@pytest.mark.parametrize("name, n_states, n_reactions", [("best2009.xml", 14, 9), ("stavrum2013.xml", 14, 42)])
def test_reference_model_matches_roadrunner(name, n_states, n_reactions):
    path = REFERENCE / name
    imported = load_sbml(path)
    net = imported.network
    assert (len(net.species), len(net.reactions)) == (n_states, n_reactions)
    hours = np.array([0.0, 0.001, 0.01, 0.1, 0.5, 1.0, 4.0, 12.0])
    _, Y, _ = run_imported(imported, hours)
    names = list(net.species_names)
    R = _roadrunner_concentrations(path, names, hours, imported.hours_per_model_time)
    scale = np.maximum(np.abs(R).max(axis=0), 1e-300)
    err = np.abs(Y - R) / np.maximum(np.abs(R), 1e-6 * scale)
    worst = {n: float(e) for n, e in zip(names, err.max(axis=0))}
    assert max(worst.values()) < TOL, worst
    # something happened: the trajectories are not flat
    assert np.abs(R[-1] - R[0]).max() > 1e-3 * np.abs(R).max()


@needs_reference
def test_time_units_and_rules_are_read():
    best = load_sbml(REFERENCE / "best2009.xml")
    assert (best.time_unit, best.hours_per_model_time) == ("hour", 1.0)
    assert {"rate_eda", "rate_tyr"} <= {r.name for r in best.network.reactions}
    stavrum = load_sbml(REFERENCE / "stavrum2013.xml")
    assert (stavrum.time_unit, stavrum.hours_per_model_time) == ("second", 3600.0)
    # promoted local parameters keep their reaction's name in front
    assert any(p.name.startswith("R02670_") for p in stavrum.network.parameters)


def _sbml(body: str, extra: str = "") -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<sbml xmlns="http://www.sbml.org/sbml/level3/version2/core" level="3" version="2">
 <model id="toy" timeUnits="hour">
  <listOfCompartments><compartment id="c" size="2" constant="true"/></listOfCompartments>
  <listOfSpecies><species id="x" compartment="c" initialConcentration="1" hasOnlySubstanceUnits="false"
     boundaryCondition="false" constant="false"/></listOfSpecies>
  <listOfParameters><parameter id="k" value="0.5" constant="false"/></listOfParameters>
  {body}
 </model>
</sbml>""" + extra


DECAY = """<listOfReactions><reaction id="decay" reversible="false"><listOfReactants>
  <speciesReference species="x" stoichiometry="1" constant="true"/></listOfReactants>
  <kineticLaw><math xmlns="http://www.w3.org/1998/Math/MathML"><apply><times/><ci>c</ci><ci>k</ci><ci>x</ci>
  </apply></math></kineticLaw></reaction></listOfReactions>"""


def test_timed_event_changes_a_parameter(tmp_path):
    event = """<listOfEvents><event id="boost" useValuesFromTriggerTime="true"><trigger initialValue="false"
      persistent="true"><math xmlns="http://www.w3.org/1998/Math/MathML"><apply><geq/>
      <csymbol encoding="text" definitionURL="http://www.sbml.org/sbml/symbols/time">t</csymbol><cn>2</cn></apply>
      </math></trigger><listOfEventAssignments><eventAssignment variable="k"><math
      xmlns="http://www.w3.org/1998/Math/MathML"><apply><times/><cn>3</cn><ci>k</ci></apply></math>
      </eventAssignment></listOfEventAssignments></event></listOfEvents>"""
    path = tmp_path / "toy.xml"
    path.write_text(_sbml(DECAY + event))
    imported = load_sbml(path)
    assert [(e.at_h, e.assignments) for e in imported.events] == [(2.0, (("k", "3.0*k"),))]
    _, Y, P = run_imported(imported, [0.0, 1.0, 2.0, 3.0])
    x = Y[:, 0]
    # dx/dt = -k x: rate 0.5 until t = 2, 1.5 after (the compartment size cancels)
    expected = [1.0, np.exp(-0.5), np.exp(-1.0), np.exp(-1.0 - 1.5)]
    np.testing.assert_allclose(x, expected, rtol=1e-6)
    assert P[-1, list(imported.network.parameter_names).index("k")] == pytest.approx(1.5)


def test_unsupported_constructs_are_named(tmp_path):
    algebraic = """<listOfRules><algebraicRule><math xmlns="http://www.w3.org/1998/Math/MathML"><apply><minus/>
      <ci>k</ci><cn>1</cn></apply></math></algebraicRule></listOfRules>"""
    path = tmp_path / "alg.xml"
    path.write_text(_sbml(algebraic))
    with pytest.raises(ModelError, match="rule 0: an algebraic rule is not supported"):
        load_sbml(path)
    delayed = DECAY.replace("<ci>c</ci><ci>k</ci>", """<ci>c</ci><ci>k</ci><csymbol encoding="text"
      definitionURL="http://www.sbml.org/sbml/symbols/time">t</csymbol>""")
    path.write_text(_sbml(delayed))
    with pytest.raises(ModelError, match="reaction 'decay': the time symbol inside model math is not supported"):
        load_sbml(path)
    with pytest.raises(ModelError, match="file not found"):
        load_sbml(tmp_path / "nope.xml")


@pytest.mark.parametrize("text, expected", [
    ("a + b * 2 - c / 4", "a + 2*b - c/4"), ("-a^2", "-a**2"), ("exp(a) * ln(b)", "exp(a)*log(b)"),
    ("log10(a)", "log(a)/log(10)"), ("log(2, a)", "log(a)/log(2)"), ("sqrt(a) + root(3, b)", "a**0.5 + b**(1/3)"),
    ("abs(a) + max(a, b) - min(a, 1)", "Abs(a) + Max(a, b) - Min(a, 1)"), ("pow(a, 3) * pi", "pi*a**3"),
])
def test_math_translation(text, expected):
    a, b, c = sp.symbols("a b c", real=True)
    got = _Math({})(libsbml.parseL3Formula(text), "test")
    want = sp.sympify(expected, locals={"a": a, "b": b, "c": c})
    values = {a: 1.7, b: 0.3, c: 2.2}
    assert float(got.subs(values)) == pytest.approx(float(want.subs(values)), rel=1e-14)


@pytest.mark.parametrize("text, what", [("piecewise(1, a > 2, 0)", "piecewise"), ("f(a)", "'f'"),
                                        ("a && b", "and")])
def test_math_refusals_name_the_element(text, what):
    with pytest.raises(ModelError, match=f"reaction 'r1': the math element .*{what}"):
        _Math({})(libsbml.parseL3Formula(text), "reaction 'r1'")
