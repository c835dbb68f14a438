"""A protocol as a COMBINE archive (OMEX): SBML model + SED-ML L1V4 simulation + manifest + metadata.

What goes in, so that another simulator reproduces `neuroscape protocol run`:

* `model.xml` (SBML L3V2, io/sbml.py): the network with the protocol's drugs wired in, the
  subject's parameter values, and as initial values the subject's state at t = 0 (her steady state,
  or where her hormone course brings her). The plan's doses, meals and input changes are SBML events
  triggered at their times (those at t = 0 are already in the initial values); each readout is a
  parameter with an assignment rule, `readout_<id>`.
* `simulation.sedml` (SED-ML L1V4): one uniform time course from 0 to the last readout time with a
  step that lands on every readout time, the Rosenbrock method (KISAO_0000033, Rodas4 is one) with
  neuroscape's relative tolerance (KISAO_0000209), absolute tolerance (KISAO_0000211: neuroscape
  scales it per state by the state's baseline; the file carries the smallest such value), initial
  step (KISAO_0000559) and step limit (KISAO_0000415); a data generator per readout (divided by its
  baseline value for `relative_to: baseline`) and a report of them.
* `manifest.xml` and `metadata.rdf` (libcombine).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from math import lcm
from pathlib import Path

import numpy as np

from ..engine.compiled import CompiledModel, Solver
from ..errors import EngineError, ModelError, NotModelledError, ProtocolError
from .sbml import to_sbml

__all__ = ["Exchange", "ExportedReadout", "exchange_of", "write_omex", "KISAO", "FORMATS"]

KISAO = {"rosenbrock": "KISAO_0000033", "rtol": "KISAO_0000209", "atol": "KISAO_0000211",
         "h_init": "KISAO_0000559", "max_steps": "KISAO_0000415"}
FORMATS = {"sbml": "http://identifiers.org/combine.specifications/sbml.level-3.version-2",
           "sedml": "http://identifiers.org/combine.specifications/sed-ml.level-1.version-4"}
SBML_LANGUAGE = "urn:sedml:language:sbml.level-3.version-2"
MAX_STEPS_OUT = 200_000  # output rows of the uniform time course


@dataclass(frozen=True)
class ExportedReadout:
    id: str  # the protocol's readout id (SED-ML data generator id)
    parameter: str  # the SBML assignment-rule parameter
    times_h: tuple[float, ...]
    baseline: float | None  # the divisor for relative_to: baseline


@dataclass(frozen=True)
class Exchange:
    """The files of a protocol's archive, as text."""

    name: str
    sbml: str
    sedml: str
    readouts: tuple[ExportedReadout, ...]
    end_h: float
    steps: int


def _grid(times: list[float]) -> tuple[float, int]:
    """End time and number of steps of a uniform grid through every time (to 1/1000 h)."""
    end = max(times)
    if end <= 0:
        return 1.0, 1
    fracs = [Fraction(t).limit_denominator(1000) for t in times]
    den = lcm(*(f.denominator for f in fracs))
    step = Fraction(np.gcd.reduce([int(f * den) for f in fracs if f]), den)
    steps = int(Fraction(end).limit_denominator(1000) / step)
    if steps > MAX_STEPS_OUT:
        raise ProtocolError(f"readouts[].at_h: the readout times need {steps} uniform output steps (more than "
                            f"{MAX_STEPS_OUT}) to land on every one; round them to fewer decimals")
    return float(end), steps


def exchange_of(protocol, solver: Solver = Solver()) -> Exchange:
    """Build the SBML and SED-ML of a protocol (a parsed `Protocol`)."""
    import libsedml

    from ..protocol.run import plan_of, subject_of
    from ..scenario import scenario

    if getattr(protocol, "model", None):
        raise ProtocolError("model: an archive is written for neuroscape's own model; a protocol on an "
                            "external SBML model already has its model file")
    subject, plan = subject_of(protocol), plan_of(protocol)
    times = sorted({0.0, *(t for ro in protocol.readouts for t in ro.times_h)})
    end_h, steps = _grid(times)
    # the start state and the events simulate() uses: one scenario path (scenario.py)
    sc = scenario(subject, plan, end_h)
    model, network = sc.model, sc.model.network
    try:
        start = sc.start(solver)
    except EngineError as exc:
        raise ModelError(f"no start state for this subject ({exc}); check the subject") from None
    y0, p, events = start.y0.copy(), sc.p.copy(), sc.events
    p0 = p.copy()
    names_s, names_p = network.species_names, network.parameter_names
    by_time: dict[float, dict[str, str]] = {}
    for t, kind, target, value, scale in zip(*events.arrays()):
        t = float(t)
        if kind == 0:
            name = names_s[target]
            if t <= 0:
                y0[target] += value / (p0[scale] if scale >= 0 else 1.0)
                continue
            step = f"{float(value)!r} / {names_p[scale]}" if scale >= 0 else repr(float(value))
            # one SBML event per time, so doses of one species at one time add up in one assignment
            changes = by_time.setdefault(t, {})
            changes[name] = f"{changes.get(name, name)} + {step}"
        else:
            if t <= 0:
                p0[target] = value
                continue
            by_time.setdefault(t, {})[names_p[target]] = repr(float(value))  # the last setting wins
    sbml_events = [(t, tuple(by_time[t].items())) for t in sorted(by_time)]

    exported, assignments = [], {}
    for i, ro in enumerate(protocol.readouts):
        if ro.summary is not None:  # SED-ML L1V4 has no maximum or integral over time of a data generator
            raise NotModelledError(f"readouts[{i}].summary: a summary ({ro.summary}) is not expressible in SED-ML; "
                                   "export the readout at times (at_h: [...]) instead")
        try:
            spec = network.readout(ro.quantity, ro.region)
        except ModelError as exc:
            raise NotModelledError(f"readouts[{i}].quantity: {exc}") from None
        ident = f"readout_{ro.id}"
        assignments[ident] = f"({spec.scale!r}) * ({spec.expr})"
        base = None
        if ro.relative_to:
            base = float(model.readout_function(spec.key)(start.steady_state, p))
            if base == 0:
                raise ProtocolError(f"readouts[{i}].relative_to: the baseline of {ro.quantity} is 0; remove "
                                    "relative_to")
        exported.append(ExportedReadout(ro.id, ident, tuple(ro.times_h), base))
    sbml = to_sbml(network, parameters=p0, initial=y0, assignments=assignments, events=sbml_events)

    doc = libsedml.SedDocument(1, 4)
    m = doc.createModel()
    m.setId("model")
    m.setName(network.name)
    m.setSource("model.xml")
    m.setLanguage(SBML_LANGUAGE)
    sim = doc.createUniformTimeCourse()
    sim.setId("simulation")
    sim.setName(f"{protocol.name}: time in hours")
    sim.setInitialTime(0.0)
    sim.setOutputStartTime(0.0)
    sim.setOutputEndTime(end_h)
    sim.setNumberOfSteps(steps)
    alg = sim.createAlgorithm()
    alg.setKisaoID(KISAO["rosenbrock"])
    alg.setName("Rodas4 (Rosenbrock) with error control, as neuroscape integrates")
    atol = float(np.min(CompiledModel.atol_vector(start.steady_state, solver)))
    for key, value in (("rtol", solver.rtol), ("atol", atol), ("h_init", solver.h_init),
                       ("max_steps", solver.max_steps)):
        ap = alg.createAlgorithmParameter()
        ap.setKisaoID(KISAO[key])
        ap.setValue(str(int(value)) if key == "max_steps" else repr(float(value)))
    task = doc.createTask()
    task.setId("task")
    task.setModelReference("model")
    task.setSimulationReference("simulation")
    report = doc.createReport()
    report.setId("report")
    report.setName(f"{protocol.name} readouts (simulated scenario, not medical advice)")
    rows = [("time", None, None, "time (h)")]
    rows += [(r.id, r.parameter, r.baseline, r.id) for r in exported]
    for ident, parameter, base, label in rows:
        dg = doc.createDataGenerator()
        dg.setId(f"dg_{ident}")
        dg.setName(label)
        var = dg.createVariable()
        var.setId(f"v_{ident}")
        var.setTaskReference("task")
        if parameter is None:
            var.setSymbol("urn:sedml:symbol:time")
        else:
            var.setTarget(f"/sbml:sbml/sbml:model/sbml:listOfParameters/sbml:parameter[@id='{parameter}']")
        formula = f"v_{ident}"
        if base is not None:
            par = dg.createParameter()
            par.setId(f"baseline_{ident}")
            par.setValue(base)
            formula = f"v_{ident} / baseline_{ident}"
        dg.setMath(libsedml.parseL3Formula(formula))
        ds = report.createDataSet()
        ds.setId(f"ds_{ident}")
        ds.setLabel(label)
        ds.setDataReference(f"dg_{ident}")
    sedml = libsedml.writeSedMLToString(doc)
    return Exchange(protocol.name, sbml, sedml, tuple(exported), end_h, steps)


def write_omex(protocol, out: str | Path, solver: Solver = Solver()) -> Path:
    """Write the protocol's COMBINE archive to `out` (.omex)."""
    import libcombine

    ex = exchange_of(protocol, solver)
    out = Path(out)
    if not out.parent.is_dir():
        raise ProtocolError(f"{out}: folder {out.parent} does not exist; create it or choose another path")
    archive = libcombine.CombineArchive()
    ok = archive.addFileFromString(ex.sbml, "./model.xml", FORMATS["sbml"], False)
    ok &= archive.addFileFromString(ex.sedml, "./simulation.sedml", FORMATS["sedml"], True)
    desc = libcombine.OmexDescription()
    desc.setAbout(".")
    desc.setDescription(f"neuroscape protocol {ex.name}: SBML model with the protocol's drugs, doses as "
                        "events, and its SED-ML time course (simulated scenario, not medical advice)")
    desc.setCreated(libcombine.OmexDescription.getCurrentDateAndTime())
    creator = libcombine.VCard()
    creator.setOrganization("neuroscape")
    creator.setGivenName("neuroscape")
    creator.setFamilyName("export")
    desc.addCreator(creator)
    archive.addMetadata(".", desc)
    if not ok or not archive.writeToFile(str(out)):
        raise ProtocolError(f"{out}: the archive could not be written; check the path and free space")
    archive.cleanUp()
    return out
