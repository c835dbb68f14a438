"""SBML export: a valid L3V2 document with sourced parameters, and libRoadRunner simulating the
exported file reproduces neuroscape's own integration of the same dosing protocol."""

from __future__ import annotations

import libsbml
import numpy as np
import pytest
import sympy as sp

from neuroscape.engine.compiled import Events, Solver, compile_network
from neuroscape.io.sbml import formula, identifiers_uri, to_sbml, write_sbml
from neuroscape.model.library import default_network
from neuroscape.model.parameters import references

READOUTS = ["e5ht_cortex", "eda_striatum", "p_trp", "brain_trp", "gaba_cortex", "p_kyn",
            "ene_prefrontal"]
TRP_MW = 204.23  # g/mol


@pytest.fixture(scope="module")
def net():
    return default_network()


@pytest.fixture(scope="module")
def model(net):
    return compile_network(net)


@pytest.fixture(scope="module")
def doc(net):
    d = libsbml.readSBMLFromString(to_sbml(net))
    assert d.getNumErrors() == 0, d.getErrorLog().toString()
    return d


def _errors(d: libsbml.SBMLDocument) -> list[str]:
    d.checkConsistency()
    return [d.getError(i).getMessage() for i in range(d.getNumErrors())
            if d.getError(i).getSeverity() >= libsbml.LIBSBML_SEV_ERROR]


def test_export_is_valid_sbml_l3v2(net, doc):
    assert (doc.getLevel(), doc.getVersion()) == (3, 2)
    assert _errors(doc) == []
    m = doc.getModel()
    assert m.getNumSpecies() == len(net.species)
    assert m.getNumReactions() == len(net.reactions)
    assert m.getNumParameters() == len(net.parameters)
    assert m.getNumCompartments() == len({s.compartment for s in net.species})
    for i in range(m.getNumCompartments()):
        c = m.getCompartment(i)
        assert c.getSize() == 1.0 and c.getConstant()
    for s in net.species:
        x = m.getSpecies(s.name)
        assert not x.getHasOnlySubstanceUnits()
        # libsbml writes doubles with 15 significant digits
        assert x.getInitialConcentration() == pytest.approx(s.initial, rel=1e-14, abs=0)
    for p in net.parameters:
        x = m.getParameter(p.name)
        assert x.getValue() == pytest.approx(p.value, rel=1e-14, abs=0)
        assert x.getConstant() == (not p.input)
        assert x.isSetNotes()
    assert m.getTimeUnits() == "hour"


def test_parameters_carry_miriam_annotations(net, doc):
    refs = references()
    m = doc.getModel()

    def described_by(name):
        par = m.getParameter(name)
        out = []
        for i in range(par.getNumCVTerms()):
            cv = par.getCVTerm(i)
            if cv.getBiologicalQualifierType() == libsbml.BQB_IS_DESCRIBED_BY:
                out += [cv.getResourceURI(j) for j in range(cv.getNumResources())]
        return out

    with_doi = [p for p in net.parameters if refs.get(p.source, {}).get("doi")]
    assert with_doi
    for p in with_doi:
        assert "bqbiol:isDescribedBy" in m.getParameter(p.name).getAnnotationString()
        assert identifiers_uri("doi", refs[p.source]["doi"]) in described_by(p.name)
    with_pmid = [p for p in net.parameters if refs.get(p.source, {}).get("pmid")]
    for p in with_pmid:
        assert f"https://identifiers.org/pubmed:{refs[p.source]['pmid']}" in described_by(p.name)
    best = next(p for p in net.parameters if p.source == "best2020")
    assert described_by(best.name) == ["https://identifiers.org/doi:10.1186/s12868-020-00587-z"]
    for p in net.parameters:
        if not (refs.get(p.source, {}).get("doi") or refs.get(p.source, {}).get("pmid")):
            assert described_by(p.name) == []
    notes = m.getParameter(with_doi[0].name).getNotesString()
    assert refs[with_doi[0].source]["citation"][:30] in notes


def test_overrides_and_write(net, model, tmp_path):
    y = model.y_initial + 1.0
    p = model.p_default * 1.5
    path = write_sbml(net, tmp_path / "m.xml", parameters=p, initial=y)
    m = libsbml.readSBMLFromFile(str(path)).getModel()
    assert m.getSpecies(net.species[3].name).getInitialConcentration() == pytest.approx(y[3], rel=1e-14)
    assert m.getParameter(net.parameters[5].name).getValue() == pytest.approx(p[5], rel=1e-14)
    m2 = libsbml.readSBMLFromString(
        to_sbml(net, parameters={net.parameters[0].name: 42.0})).getModel()
    assert m2.getParameter(net.parameters[0].name).getValue() == 42.0


@pytest.mark.parametrize("expr", ["x**2", "1/x", "x/y**3", "x - 3*y/7", "exp(-x/2)", "sqrt(x)",
                                  "1/sqrt(x + y)", "Max(x, y)", "Min(x, 2)", "log(x)", "x**1.5"])
def test_formula_roundtrip(expr):
    x, y = sp.symbols("x y", real=True)
    e = sp.sympify(expr, locals={"x": x, "y": y})
    node = libsbml.parseL3Formula(formula(e))
    assert node is not None, libsbml.getLastParseL3Error()
    back = libsbml.formulaToL3String(node).replace("^", "**").replace("ln(", "log(")
    back = back.replace("max(", "Max(").replace("min(", "Min(")
    value = {x: 1.7, y: 0.3}
    assert float(sp.sympify(back, locals={"x": x, "y": y}).subs(value)) == \
        pytest.approx(float(e.subs(value)), rel=1e-14)


@pytest.fixture(scope="module")
def roadrunner():
    import roadrunner  # a test dependency: the cross-check must run, never silently skip

    return roadrunner


def test_roadrunner_rates_match_rhs(net, model, roadrunner):
    """Same right-hand side at a non-steady state with non-default inputs."""
    rng = np.random.default_rng(1)
    y = model.y_initial * rng.uniform(0.5, 1.5, model.n) + 0.01
    p = model.p_default * rng.uniform(0.8, 1.25, model.p_default.size)
    rr = roadrunner.RoadRunner(to_sbml(net, parameters=p, initial=y))
    ids = list(rr.model.getFloatingSpeciesIds())
    rates = np.asarray(rr.model.getFloatingSpeciesConcentrationRates())
    ours = model.rhs(y, p)
    order = [model.species_index[s] for s in ids]
    np.testing.assert_allclose(rates, ours[order], rtol=1e-10, atol=1e-12 * np.abs(ours).max())


def test_roadrunner_matches_engine_over_a_week_of_doses(net, model, roadrunner):
    days = 7
    gut, vol = model.species_index["gut_trp"], model.param_index["aa_volume"]
    dose_umol = 1000.0 / TRP_MW * 1000.0
    events = Events.from_rows([(24.0 * d, 0, gut, dose_umol, vol) for d in range(days)])
    times = np.arange(0.0, 24.0 * days + 1.0)
    # start away from steady state (network initial values) so transients are compared too
    y0, p = model.y_initial, model.p_default
    Y, status, _ = model.integrate(y0, p, times, events, Solver(rtol=1e-9, atol=1e-12))
    assert status == "ok"

    rr = roadrunner.RoadRunner(to_sbml(net, parameters=p, initial=y0))
    rr.integrator.relative_tolerance = 1e-10
    rr.integrator.absolute_tolerance = 1e-14
    rr.integrator.maximum_num_steps = 200_000
    rr.timeCourseSelections = ["time"] + [f"[{s}]" for s in READOUTS]
    dose_uM = dose_umol / p[vol]
    rows = []
    for d in range(days):
        rr.setValue("[gut_trp]", rr.getValue("[gut_trp]") + dose_uM)
        seg = np.asarray(rr.simulate(24.0 * d, 24.0 * (d + 1), 25))
        rows.append(seg[:-1])
    rows.append(seg[-1:])
    R = np.vstack(rows)
    np.testing.assert_allclose(R[:, 0], times)
    ours = Y[:, [model.species_index[s] for s in READOUTS]]
    rel = np.abs(R[:, 1:] - ours) / np.abs(ours)
    worst = {s: float(e) for s, e in zip(READOUTS, rel.max(axis=0))}
    assert max(worst.values()) < 1e-3, worst
    # the dose actually moved things: plasma Trp rises well above its start
    assert ours[:, READOUTS.index("p_trp")].max() > 1.5 * ours[0, READOUTS.index("p_trp")]


def test_species_carry_chebi_uniprot_and_hgnc(net, doc):
    m = doc.getModel()

    def terms(element):
        out = {}
        for i in range(element.getNumCVTerms()):
            cv = element.getCVTerm(i)
            out.setdefault(cv.getBiologicalQualifierType(), []).extend(
                cv.getResourceURI(j) for j in range(cv.getNumResources()))
        return out

    assert terms(m.getSpecies("e5ht_cortex")) == {libsbml.BQB_IS: ["https://identifiers.org/CHEBI:28790"]}
    assert terms(m.getSpecies("p_trp")) == {libsbml.BQB_IS: ["https://identifiers.org/CHEBI:16828"]}
    assert terms(m.getSpecies("mao_a")) == {libsbml.BQB_IS: ["https://identifiers.org/uniprot:P21397",
                                                             "https://identifiers.org/hgnc:6833"]}
    assert terms(m.getSpecies("sert_surface")) == {libsbml.BQB_IS_VERSION_OF: [
        "https://identifiers.org/uniprot:P31645", "https://identifiers.org/hgnc:11050"]}
    assert terms(m)[libsbml.BQB_HAS_TAXON] == ["https://identifiers.org/taxonomy:9606"]
    annotated = [s.name for s in net.species if m.getSpecies(s.name).getNumCVTerms()]
    assert len(annotated) >= 0.9 * len(net.species)
    # the annotations keep the document valid under libsbml's consistency and unit checks
    assert _errors(doc) == []


def test_drug_species_carry_their_chebi_id():
    from neuroscape.pharmacology.network import network_for

    m = libsbml.readSBMLFromString(to_sbml(network_for(("citalopram",)))).getModel()
    cv = m.getSpecies("citalopram_cen").getCVTerm(0)
    assert cv.getBiologicalQualifierType() == libsbml.BQB_IS
    assert cv.getResourceURI(0) == "https://identifiers.org/CHEBI:3723"
