"""Load an external SBML model (Level 2 or 3) as a neuroscape `Network` the engine compiles and runs.

The translation keeps SBML's meaning in neuroscape's conventions:

* The state of a species is its concentration (its amount when `hasOnlySubstanceUnits` is true), as
  the species' symbol means in SBML math. A reaction's kinetic law (amount per model time) becomes a
  neuroscape rate; its stoichiometry on a concentration species is divided by the (constant)
  compartment size, so d[S]/dt = sum(stoich * rate) / V as in SBML.
* Time: neuroscape runs in hours. Every rate is multiplied by the parameter `sbml_time_scale`
  (model time units per hour, from the model's time units: L3 `timeUnits`, L2 the `time` unit
  definition, else SBML's default, the second), so the same trajectories come out on an hour axis.
* Rate rules become one-species reactions; assignment rules become expressions (inlined by the
  engine); constant boundary species and parameters become parameters; negative constants become
  expressions (neuroscape parameters are non-negative rate constants by rule).
* Function definitions, initial assignments and local parameters are expanded with libsbml's own
  converters before translation.
* Events whose trigger is `time >= T` (or `>`), with no delay, become `TimedEvent`s run by
  `run_imported`; any other construct (algebraic rules, delays, non-constant compartments,
  piecewise or other math the engine cannot compile) is refused with a `ModelError` naming the element.

Units are not carried over (every quantity is dimensionless in the network, the unit check passes by
construction); the report lists the model's time unit so readers know the hour conversion used.
"""

from __future__ import annotations

import keyword
from dataclasses import dataclass, field
from pathlib import Path

import libsbml
import numpy as np
import sympy as sp

from ..errors import ModelError
from ..model.assemble import assemble
from ..model.network import Expression, Module, Network, Parameter, Reaction, Readout, Species

__all__ = ["ImportedModel", "TimedEvent", "load_sbml", "run_imported", "TIME_SCALE"]

TIME_SCALE = "sbml_time_scale"
_RESERVED = {"exp", "sqrt", "log", "Max", "Min", TIME_SCALE}
_TINY = sp.Float(1e-300)
_FUNCS = {"exp", "ln", "log", "log10", "sqrt", "root", "pow", "power", "abs", "max", "min"}
_SECONDS = {"second": 1.0, "minute": 60.0, "hour": 3600.0, "day": 86400.0}


@dataclass(frozen=True)
class TimedEvent:
    """An SBML event at a fixed time: at `at_h` (hours) set each target to its expression's value
    (expressions over the network's names, evaluated just before the event)."""

    id: str
    at_h: float
    assignments: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class ImportedModel:
    """An SBML model as a `Network`, its timed events, and what the translation did."""

    source: str
    network: Network
    events: tuple[TimedEvent, ...] = ()
    hours_per_model_time: float = 1.0
    time_unit: str = "second"
    notes: tuple[str, ...] = field(default=())
    renamed: tuple[tuple[str, str], ...] = ()

    def quantity(self, sbml_id: str) -> str:
        """The network name of an SBML id (ids that clash with Python are renamed)."""
        return dict(self.renamed).get(sbml_id, sbml_id)


def _fail(where: str, what: str) -> ModelError:
    return ModelError(f"SBML import: {where}: {what} is not supported; neuroscape imports species, "
                      "parameters, compartments (constant), assignment and rate rules, reactions with "
                      "kinetic laws, initial assignments, function definitions and events triggered at a "
                      "fixed time (time >= T) without delay")


class _Math:
    """libsbml AST -> sympy, naming the element in every refusal."""

    def __init__(self, names: dict[str, str]):
        self.names = names
        self.symbols: dict[str, sp.Symbol] = {}

    def symbol(self, sbml_id: str) -> sp.Symbol:
        name = self.names.get(sbml_id, sbml_id)
        if name not in self.symbols:
            self.symbols[name] = sp.Symbol(name, real=True)
        return self.symbols[name]

    def __call__(self, node: libsbml.ASTNode, where: str) -> sp.Expr:
        # classified by libsbml's predicates and names, not getType(): once libsedml is imported the
        # two SWIG modules share the ASTNodeType_t type and getType() no longer returns an int
        if node.isName():
            url = node.getDefinitionURLString()
            if url.endswith("/time"):
                raise _fail(where, "the time symbol inside model math")
            if url:
                raise _fail(where, f"the symbol {url}")
            return self.symbol(node.getName())
        if node.isNumber():
            return sp.Integer(node.getInteger()) if node.isInteger() else sp.Float(node.getReal())
        name = node.getName() or ""
        if node.isConstant():
            if name in ("pi", "exponentiale"):
                return sp.pi if name == "pi" else sp.E
            raise _fail(where, f"the constant {name!r}")
        if not node.isOperator() and (not node.isFunction() or node.isUserFunction() or name not in _FUNCS):
            raise _fail(where, f"the math element {name or libsbml.formulaToL3String(node)!r}")
        kids = [self(node.getChild(i), where) for i in range(node.getNumChildren())]
        if node.isOperator():
            op = node.getCharacter()
            if op == "+":
                return sp.Add(*kids) if kids else sp.Integer(0)
            if op == "-":
                return -kids[0] if len(kids) == 1 else kids[0] - kids[1]
            if op == "*":
                return sp.Mul(*kids) if kids else sp.Integer(1)
            if op == "/":
                return kids[0] / kids[1]
            if op == "^":
                return _power(kids[0], kids[1])
        if node.isFunction() and not node.isUserFunction():
            if name == "exp":
                return sp.exp(kids[0])
            if name == "ln":
                return sp.log(kids[0])
            if name in ("log", "log10"):
                return sp.log(kids[-1]) / sp.log(kids[0] if len(kids) == 2 else 10)
            if name == "sqrt" or (name == "root" and len(kids) == 1):
                return _power(kids[-1], sp.Rational(1, 2))
            if name == "root":
                return _power(kids[1], 1 / kids[0])
            if name in ("pow", "power"):
                return _power(kids[0], kids[1])
            if name == "abs":
                return sp.Abs(kids[0])
            if name in ("max", "min"):
                return (sp.Max if name == "max" else sp.Min)(*kids)
        raise _fail(where, f"the math element {name or libsbml.formulaToL3String(node)!r}")


def _power(base: sp.Expr, exponent: sp.Expr) -> sp.Expr:
    if exponent.is_Integer:
        return base ** exponent
    # a real power is defined for a base > 0 only: an integrator's trial stage may dip below 0 and
    # x**e has an infinite slope at 0 (NaN would reject every step), so the base is kept at or above
    # _TINY, which changes no value a simulator can resolve
    return sp.Max(base, _TINY) ** exponent


def _convert(doc: libsbml.SBMLDocument, option: str, where: str) -> None:
    props = libsbml.ConversionProperties()
    props.addOption(option, True)
    if doc.convert(props) != libsbml.LIBSBML_OPERATION_SUCCESS:
        raise ModelError(f"SBML import: {where}: libsbml could not apply {option} "
                         f"({_error_text(doc) or 'no detail'})")


def _error_text(doc: libsbml.SBMLDocument) -> str:
    lines = [f"line {e.getLine()}: {e.getMessage().strip()}" for e in
             (doc.getError(i) for i in range(doc.getNumErrors()))
             if e.getSeverity() >= libsbml.LIBSBML_SEV_ERROR]
    return "; ".join(lines[:5]) + (f" (and {len(lines) - 5} more)" if len(lines) > 5 else "")


def _hours_per_unit(model: libsbml.Model) -> tuple[float, str]:
    """Model time units per hour, and the unit's name."""
    ident = model.getTimeUnits() if model.isSetTimeUnits() else ("time" if model.getLevel() < 3 else "")
    if ident in _SECONDS:
        return 3600.0 / _SECONDS[ident], ident
    ud = model.getUnitDefinition(ident) if ident else None
    if ud is None:
        if model.getLevel() >= 3 and not ident:
            return 3600.0, "second (undeclared; SBML's default assumed)"
        return 3600.0, "second"
    if ud.getNumUnits() != 1 or ud.getUnit(0).getKind() != libsbml.UNIT_KIND_SECOND \
            or ud.getUnit(0).getExponent() != 1:
        raise _fail(f"unitDefinition {ident!r}", "a time unit that is not a multiple of the second")
    u = ud.getUnit(0)
    seconds = u.getMultiplier() * 10.0 ** u.getScale()
    name = {v: k for k, v in _SECONDS.items()}.get(seconds, f"{seconds:g} s")
    return 3600.0 / seconds, name


def _safe(ident: str) -> str:
    if keyword.iskeyword(ident) or ident in _RESERVED:
        return ident + "_"
    return ident


def load_sbml(path: str | Path) -> ImportedModel:
    """Read an SBML file and translate it (see the module docstring); errors name the element."""
    path = Path(path)
    if not path.is_file():
        raise ModelError(f"SBML import: {path}: file not found; check the path")
    doc = libsbml.readSBMLFromFile(str(path))
    text = _error_text(doc)
    if text or doc.getModel() is None:
        raise ModelError(f"SBML import: {path.name} is not valid SBML: {text or 'no model element'}")
    for option in ("expandFunctionDefinitions", "expandInitialAssignments", "promoteLocalParameters"):
        _convert(doc, option, path.name)
    m = doc.getModel()
    per_hour, time_unit = _hours_per_unit(m)
    notes: list[str] = []

    ids = ([m.getSpecies(i).getId() for i in range(m.getNumSpecies())]
           + [m.getParameter(i).getId() for i in range(m.getNumParameters())]
           + [m.getCompartment(i).getId() for i in range(m.getNumCompartments())])
    names = {i: _safe(i) for i in ids if _safe(i) != i}
    for r in range(m.getNumReactions()):
        rid = m.getReaction(r).getId()
        if _safe(rid) != rid:
            names[rid] = _safe(rid)
    math = _Math(names)

    if m.getNumConstraints():
        notes.append(f"{m.getNumConstraints()} constraint(s) ignored (they check a run, they do not change it)")
    rules = {"assign": {}, "rate": {}}
    for i in range(m.getNumRules()):
        rule = m.getRule(i)
        where = f"rule for {rule.getVariable() or i!r}"
        if rule.isAlgebraic():
            raise _fail(f"rule {i}", "an algebraic rule")
        if m.getCompartment(rule.getVariable()) is not None:
            raise _fail(where, "a rule on a compartment (a changing volume)")
        kind = "assign" if rule.isAssignment() else "rate"
        rules[kind][rule.getVariable()] = math(rule.getMath(), where)

    comp_size: dict[str, float] = {}
    parameters: list[Parameter] = [Parameter(TIME_SCALE, per_hour, "1/h", f"sbml:{path.name}", "derived",
                                             note=f"model time units ({time_unit}) per hour")]
    expressions: list[Expression] = []
    species: list[Species] = []
    readouts: list[Readout] = []
    constants: dict[str, float] = {}

    def constant(ident: str, value: float, what: str) -> None:
        name = names.get(ident, ident)
        constants[name] = value
        if not np.isfinite(value):
            raise ModelError(f"SBML import: {what} {ident!r} has no value ({value}); give it one in the file")
        if value < 0:  # neuroscape parameters are non-negative by rule: keep the sign in an expression
            expressions.append(Expression(name, repr(float(value)), "1", f"SBML {what} (negative constant)"))
        else:
            parameters.append(Parameter(name, float(value), "1", f"sbml:{path.name}", "model",
                                        note=f"SBML {what}"))

    for i in range(m.getNumCompartments()):
        c = m.getCompartment(i)
        if not c.getConstant():
            raise _fail(f"compartment {c.getId()!r}", "a non-constant compartment")
        size = c.getSize() if c.isSetSize() else 1.0
        if not c.isSetSize():
            notes.append(f"compartment {c.getId()!r} has no size; 1 assumed")
        comp_size[c.getId()] = size
        constant(c.getId(), size, "compartment")

    state_index: dict[str, str] = {}  # sbml species id -> how its symbol is read (conc/amount)
    for i in range(m.getNumSpecies()):
        s = m.getSpecies(i)
        sid, name = s.getId(), names.get(s.getId(), s.getId())
        size = comp_size[s.getCompartment()]
        amount = s.getHasOnlySubstanceUnits()
        if s.isSetInitialConcentration():
            value = s.getInitialConcentration() * (size if amount else 1.0)
        elif s.isSetInitialAmount():
            value = s.getInitialAmount() / (1.0 if amount else size)
        else:
            value = 0.0
            if sid not in rules["assign"]:
                notes.append(f"species {sid!r} has no initial value; 0 assumed")
        if sid in rules["assign"]:
            expressions.append(Expression(name, str(rules["assign"][sid]), "1", "SBML assignment rule"))
        elif (s.getBoundaryCondition() or s.getConstant()) and sid not in rules["rate"]:
            constant(sid, value, "boundary species")
        else:
            species.append(Species(name, s.getCompartment(), "1", float(value), s.getName() or ""))
            state_index[sid] = "amount" if amount else "conc"
        readouts.append(Readout(f"sbml.{sid}", None, name, "1", description=f"SBML species {sid}"))

    for i in range(m.getNumParameters()):
        p = m.getParameter(i)
        pid, name = p.getId(), names.get(p.getId(), p.getId())
        if pid in rules["assign"]:
            expressions.append(Expression(name, str(rules["assign"][pid]), "1", "SBML assignment rule"))
        elif pid in rules["rate"]:
            species.append(Species(name, "parameters", "1", float(p.getValue()), "SBML parameter with a rate rule"))
            state_index[pid] = "amount"
        else:
            constant(pid, p.getValue() if p.isSetValue() else float("nan"), "parameter")
        readouts.append(Readout(f"sbml.{pid}", None, name, "1", description=f"SBML parameter {pid}"))

    scale = sp.Symbol(TIME_SCALE, real=True)
    reactions: list[Reaction] = []
    for var, expr in rules["rate"].items():
        if var not in state_index:
            raise _fail(f"rate rule for {var!r}", "a rate rule on a constant")
        name = names.get(var, var)
        reactions.append(Reaction(f"rate_{name}", str(scale * expr), {name: 1.0}, f"SBML rate rule for {var}"))
    for i in range(m.getNumReactions()):
        r = m.getReaction(i)
        rid, where = names.get(r.getId(), r.getId()), f"reaction {r.getId()!r}"
        if not r.isSetKineticLaw() or not r.getKineticLaw().isSetMath():
            raise _fail(where, "a reaction without a kinetic law")
        if r.isSetFast() and r.getFast():
            raise _fail(where, "a fast reaction")
        stoich: dict[str, float] = {}
        for refs, sign in ((r.getListOfReactants(), -1.0), (r.getListOfProducts(), 1.0)):
            for ref in refs:
                if ref.isSetStoichiometryMath() if hasattr(ref, "isSetStoichiometryMath") else False:
                    raise _fail(where, f"stoichiometryMath on {ref.getSpecies()!r}")
                sid = ref.getSpecies()
                if sid not in state_index or m.getSpecies(sid).getBoundaryCondition():
                    continue  # boundary or constant species: reactions do not change them
                coef = ref.getStoichiometry() if ref.isSetStoichiometry() else 1.0
                if state_index[sid] == "conc":
                    coef /= comp_size[m.getSpecies(sid).getCompartment()]
                key = names.get(sid, sid)
                stoich[key] = stoich.get(key, 0.0) + sign * coef
        # a reaction's id in math is its rate (amount per model time): an expression of that name
        expressions.append(Expression(rid, str(math(r.getKineticLaw().getMath(), where)), "1",
                                      f"rate of SBML reaction {r.getId()}"))
        stoich = {k: v for k, v in stoich.items() if v != 0}
        if not stoich:
            notes.append(f"reaction {r.getId()!r} changes no state (only boundary species); its rate is "
                         "kept as an expression")
            continue
        reactions.append(Reaction(f"r_{rid}", str(scale * math.symbol(r.getId())), stoich, r.getName() or ""))

    events = tuple(_event(m.getEvent(i), math, per_hour, constants) for i in range(m.getNumEvents()))
    for ev in events:
        for target, _ in ev.assignments:
            if target not in {s.name for s in species} | {p.name for p in parameters}:
                raise _fail(f"event {ev.id!r}", f"an assignment to {target!r} (not a state or parameter)")
    module = Module(name=f"sbml:{path.name}", species=tuple(species), parameters=tuple(parameters),
                    expressions=tuple(expressions), reactions=tuple(reactions), readouts=tuple(readouts))
    try:
        network = assemble(m.getId() or path.stem, [module])
    except ModelError as exc:
        raise ModelError(f"SBML import: {path.name}: {exc}") from None
    return ImportedModel(str(path), network, events, per_hour, time_unit, tuple(notes),
                         tuple(sorted(names.items())))


def _event(ev: libsbml.Event, math: _Math, per_hour: float, constants: dict[str, float]) -> TimedEvent:
    where = f"event {ev.getId() or ev.getName()!r}"
    if ev.isSetDelay():
        raise _fail(where, "an event delay")
    if ev.isSetPriority():
        raise _fail(where, "an event priority")
    trig = ev.getTrigger().getMath() if ev.isSetTrigger() else None
    if trig is None or not trig.isRelational() or trig.getName() not in ("geq", "gt") \
            or trig.getNumChildren() != 2 or not trig.getChild(0).getDefinitionURLString().endswith("/time"):
        raise _fail(where, "a trigger other than time >= T")
    at = math(trig.getChild(1), where).xreplace({math.symbol(k): v for k, v in constants.items()})
    if not at.is_number:
        raise _fail(where, "a trigger time that is not a constant")
    assignments = tuple((math.names.get(a.getVariable(), a.getVariable()), str(math(a.getMath(), where)))
                        for a in ev.getListOfEventAssignments())
    return TimedEvent(ev.getId() or ev.getName(), float(at) / per_hour, assignments)


def run_imported(imported: ImportedModel, times, *, rtol: float = 1e-8, atol: float = 1e-10):
    """Integrate from the file's initial values, applying the timed events; return
    (compiled model, states at `times`, parameter vectors at `times`)."""
    from ..engine.compiled import Solver, compile_network

    model = compile_network(imported.network)
    times = np.asarray(times, dtype=float)
    y = model.y_initial.copy()
    p = model.p_default.copy()
    solver = Solver(rtol=rtol, atol=atol, zero_scale=1.0)
    states = np.full((times.size, model.n), np.nan)
    params = np.tile(p, (times.size, 1))
    cuts = sorted({ev.at_h for ev in imported.events if ev.at_h <= (times[-1] if times.size else 0)})
    t0 = 0.0
    for stop in [*cuts, None]:
        pick = (times >= t0) & (times < stop) if stop is not None else times >= t0
        seg = [*times[pick], *([stop] if stop is not None and stop > t0 else [])]
        if seg:
            out, status, _ = model.integrate(y, p, seg, None, solver, t0=t0)
            if status != "ok":
                raise ModelError(f"{imported.source}: integration failed ({status}) before {seg[-1]:g} h")
            states[pick] = out[:int(pick.sum())]
            params[pick] = p
            y = out[-1].copy() if stop is not None else y
        if stop is None:
            break
        _apply(imported, model, stop, y, p)
        t0 = stop
    return model, states, params


def _apply(imported: ImportedModel, model, at_h: float, y: np.ndarray, p: np.ndarray) -> None:
    from ..model.assemble import inline_expressions, resolve

    table, resolved = inline_expressions(imported.network)
    before_y, before_p = y.copy(), p.copy()
    env = {**{n: before_y[i] for n, i in model.species_index.items()},
           **{n: before_p[i] for n, i in model.param_index.items()}}
    for ev in imported.events:
        if ev.at_h != at_h:
            continue
        for target, text in ev.assignments:
            expr = resolve(text, table, resolved, f"event {ev.id!r}")
            value = float(expr.subs({table[k]: v for k, v in env.items() if table[k] in expr.free_symbols}))
            if target in model.species_index:
                y[model.species_index[target]] = value
            else:
                p[model.param_index[target]] = value
