"""Export a `Network` as SBML Level 3 Version 2 (python-libsbml).

Conventions of the export:

* One compartment per distinct `Species.compartment`, size 1 (litre), constant. Species carry
  concentrations directly (`hasOnlySubstanceUnits=false`); any volume scaling between
  compartments already lives in the network's stoichiometric coefficients, so with unit sizes
  the SBML semantics d[S]/dt = sum(stoich * rate * V_r) / V_S reproduce neuroscape's ODEs exactly.
* Kinetic laws are the fully inlined rate expressions (helper expressions substituted), times the
  size symbol of the compartment of the reaction's first species, so that they are in
  amount/time as SBML requires.
* Parameters keep their values (or the `parameters` override); `input` parameters (piecewise
  constant interventions) are non-constant so that a simulator may change them.
* Every parameter has a `notes` element with its source citation, basis and note, and a MIRIAM
  `bqbiol:isDescribedBy` annotation (identifiers.org) when the source has a DOI or PMID.
* Species carry ChEBI (molecules) or UniProt + HGNC (proteins) annotations (io/annotations.py); the
  model carries its taxon (NCBI taxonomy 9606, human).
* Model units: time hour, substance micromole, volume litre; species in uM (umol/L), except
  dimensionless species and `g` species (gram per unit volume).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Mapping, Sequence
from urllib.parse import quote
from xml.sax.saxutils import escape

import libsbml
import numpy as np
import sympy as sp
from sympy.printing.str import StrPrinter

from ..errors import ModelError
from ..model.assemble import inline_expressions, resolve
from ..model.network import Network
from .annotations import MODEL_TERMS, species_terms
from ..units import parse_unit

__all__ = ["to_sbml", "write_sbml", "formula", "identifiers_uri"]

_XHTML = "http://www.w3.org/1999/xhtml"

# pint unit name -> list of (libsbml kind, exponent, scale, multiplier) for exponent 1
_BASE_UNITS: dict[str, list[tuple[int, float, int, float]]] = {
    "micromolar": [(libsbml.UNIT_KIND_MOLE, 1, -6, 1.0), (libsbml.UNIT_KIND_LITRE, -1, 0, 1.0)],
    "millimolar": [(libsbml.UNIT_KIND_MOLE, 1, -3, 1.0), (libsbml.UNIT_KIND_LITRE, -1, 0, 1.0)],
    "nanomolar": [(libsbml.UNIT_KIND_MOLE, 1, -9, 1.0), (libsbml.UNIT_KIND_LITRE, -1, 0, 1.0)],
    "molar": [(libsbml.UNIT_KIND_MOLE, 1, 0, 1.0), (libsbml.UNIT_KIND_LITRE, -1, 0, 1.0)],
    "micromole": [(libsbml.UNIT_KIND_MOLE, 1, -6, 1.0)],
    "millimole": [(libsbml.UNIT_KIND_MOLE, 1, -3, 1.0)],
    "mole": [(libsbml.UNIT_KIND_MOLE, 1, 0, 1.0)],
    "hour": [(libsbml.UNIT_KIND_SECOND, 1, 0, 3600.0)],
    "minute": [(libsbml.UNIT_KIND_SECOND, 1, 0, 60.0)],
    "second": [(libsbml.UNIT_KIND_SECOND, 1, 0, 1.0)],
    "day": [(libsbml.UNIT_KIND_SECOND, 1, 0, 86400.0)],
    "gram": [(libsbml.UNIT_KIND_GRAM, 1, 0, 1.0)],
    "milligram": [(libsbml.UNIT_KIND_GRAM, 1, -3, 1.0)],
    "kilogram": [(libsbml.UNIT_KIND_GRAM, 1, 3, 1.0)],
    "liter": [(libsbml.UNIT_KIND_LITRE, 1, 0, 1.0)],
    "milliliter": [(libsbml.UNIT_KIND_LITRE, 1, -3, 1.0)],
}


class _InfixPrinter(StrPrinter):
    """sympy -> libsbml L3 infix: `^` for powers, `ln` for natural log, `max`/`min`, full-precision
    floats."""

    def _print_Symbol(self, expr):  # noqa: N802 - sympy API
        return expr.name

    def _print_Float(self, expr):  # noqa: N802
        return repr(float(expr))

    def _print_Rational(self, expr):  # noqa: N802
        return f"({expr.p}/{expr.q})"

    def _print_Pow(self, expr, rational=False):  # noqa: N802
        base, exp_ = expr.as_base_exp()
        if exp_ == sp.Rational(1, 2):
            return f"sqrt({self._print(base)})"
        if exp_ == -sp.Rational(1, 2):
            return f"(1/sqrt({self._print(base)}))"
        if exp_.is_Integer and exp_ < 0:
            inner = base if exp_ == -1 else sp.Pow(base, -exp_, evaluate=False)
            return f"(1/({self._print(inner)}))"
        return f"(({self._print(base)})^({self._print(exp_)}))"

    def _print_Mul(self, expr):  # noqa: N802
        num, den = [], []
        for a in expr.args:
            if a.is_Pow and a.exp.is_Integer and a.exp < 0:
                den.append(a.base if a.exp == -1 else sp.Pow(a.base, -a.exp, evaluate=False))
            elif a.is_Rational and not a.is_Integer:
                num.append(sp.Integer(a.p))
                den.append(sp.Integer(a.q))
            else:
                num.append(a)
        top = " * ".join(self._print(a) for a in num) if num else "1"
        if not den:
            return f"({top})"
        return f"(({top}) / ({' * '.join(self._print(a) for a in den)}))"

    def _print_Add(self, expr, order=None):  # noqa: N802
        return "(" + " + ".join(self._print(a) for a in expr.args) + ")"

    def _print_exp(self, expr):
        return f"exp({self._print(expr.args[0])})"

    def _print_log(self, expr):
        if len(expr.args) != 1:
            raise ModelError(f"cannot export log with base: {expr}")
        return f"ln({self._print(expr.args[0])})"

    def _print_MinMaxBase(self, expr, name):
        args = list(expr.args)
        out = self._print(args[0])
        for a in args[1:]:  # SBML max/min are n-ary but fold pairwise to stay simple
            out = f"{name}({out}, {self._print(a)})"
        return out

    def _print_Max(self, expr):  # noqa: N802
        return self._print_MinMaxBase(expr, "max")

    def _print_Min(self, expr):  # noqa: N802
        return self._print_MinMaxBase(expr, "min")

    def _print_Exp1(self, expr):  # noqa: N802
        return "exponentiale"

    def _print_Pi(self, expr):  # noqa: N802
        return "pi"

    def emptyPrinter(self, expr):  # noqa: N802
        raise ModelError(f"cannot export {type(expr).__name__} ({expr}) to SBML")


_PRINTER = _InfixPrinter()


def formula(expr: sp.Expr) -> str:
    """Infix text of a sympy expression in libsbml's L3 formula syntax."""
    return _PRINTER.doprint(sp.sympify(expr))


def _ast(expr: sp.Expr, where: str) -> libsbml.ASTNode:
    text = formula(expr)
    node = libsbml.parseL3Formula(text)
    if node is None:
        raise ModelError(f"{where}: libsbml cannot parse {text!r}: {libsbml.getLastParseL3Error()}")
    return node


def _check(code: int, what: str) -> None:
    if code != libsbml.LIBSBML_OPERATION_SUCCESS:
        raise ModelError(f"SBML export: {what} failed: {libsbml.OperationReturnValue_toString(code)}")


def _unit_id(text: str) -> str:
    ident = re.sub(r"[^A-Za-z0-9_]", "_", text.replace("/", "_per_").replace("*", "_"))
    ident = re.sub(r"_+", "_", ident).strip("_")
    if not ident or not (ident[0].isalpha() or ident[0] == "_"):
        ident = "u_" + ident
    return ident


class _Units:
    """Unit definitions created on demand from pint unit strings (None when not expressible)."""

    def __init__(self, model: libsbml.Model):
        self.model = model
        self.ids: dict[str, str | None] = {}

    def define(self, ident: str, parts: list[tuple[int, float, int, float]]) -> str:
        if self.model.getUnitDefinition(ident) is None:
            ud = self.model.createUnitDefinition()
            _check(ud.setId(ident), f"unit {ident}")
            for kind, exponent, scale, multiplier in parts:
                u = ud.createUnit()
                u.setKind(kind)
                u.setExponent(float(exponent))
                u.setScale(int(scale))
                u.setMultiplier(float(multiplier))
        return ident

    def get(self, text: str) -> str | None:
        if text in self.ids:
            return self.ids[text]
        try:
            unit = parse_unit(text)
        except Exception:  # noqa: BLE001 - pint raises several types
            self.ids[text] = None
            return None
        items = dict(unit._units)
        if not items:
            self.ids[text] = "dimensionless"
            return "dimensionless"
        parts: list[tuple[int, float, int, float]] = []
        for name, power in items.items():
            base = _BASE_UNITS.get(name)
            if base is None:
                self.ids[text] = None
                return None
            for kind, exponent, scale, multiplier in base:
                parts.append((kind, exponent * power, scale, multiplier))
        self.ids[text] = self.define(_unit_id(text), parts)
        return self.ids[text]


def identifiers_uri(prefix: str, accession) -> str:
    """identifiers.org URI, percent-encoding characters not allowed in a URI (old DOIs have <>)."""
    return f"https://identifiers.org/{prefix}:{quote(str(accession).strip(), safe='/:;()._-')}"


def _notes_html(lines: Sequence[str]) -> str:
    body = "".join(f"<p>{escape(line)}</p>" for line in lines if line)
    return f'<body xmlns="{_XHTML}">{body}</body>'


def _annotate(element, qualifier: int, uris: Sequence[str], *, what: str) -> None:
    """A MIRIAM biological-qualifier annotation (the element needs a metaid)."""
    cv = libsbml.CVTerm(libsbml.BIOLOGICAL_QUALIFIER)
    cv.setBiologicalQualifierType(qualifier)
    for uri in uris:
        cv.addResource(uri)
    _check(element.addCVTerm(cv), f"annotation of {what}")


def _vector(values, names: Sequence[str], defaults: Sequence[float], what: str) -> list[float]:
    if values is None:
        return [float(v) for v in defaults]
    if isinstance(values, Mapping):
        unknown = sorted(set(values) - set(names))
        if unknown:
            raise ModelError(f"to_sbml: unknown {what} name(s) {unknown}")
        return [float(values.get(n, d)) for n, d in zip(names, defaults)]
    arr = np.asarray(values, dtype=float).ravel()
    if arr.size != len(names):
        raise ModelError(f"to_sbml: {what} vector has {arr.size} entries; the network has {len(names)}")
    return [float(v) for v in arr]


def to_sbml(network: Network, path: str | Path | None = None, *, parameters=None,
            initial=None, assignments: Mapping[str, str] | None = None,
            events: Sequence[tuple[float, Sequence[tuple[str, str]]]] = ()) -> str:
    """Return (and optionally write to `path`) the network as an SBML L3V2 document string.

    `parameters`: parameter values to export instead of the network's (vector in network order,
    or a mapping name -> value). `initial`: species initial concentrations (vector or mapping),
    e.g. a steady state; defaults to `Species.initial`. `assignments`: extra non-constant
    parameters id -> expression over the network's names (readouts), exported as assignment rules.
    `events`: (time in h, [(species or input parameter, expression)]) exported as events triggered
    at that time (dosing and input changes of a plan; see io/omex.py)."""
    from ..model.parameters import references

    refs = references()
    pvalues = _vector(parameters, network.parameter_names, [p.value for p in network.parameters],
                      "parameter")
    yvalues = _vector(initial, network.species_names, [s.initial for s in network.species],
                      "species")

    doc = libsbml.SBMLDocument(3, 2)
    model = doc.createModel()
    model_id = _unit_id(network.name) or "neuroscape"
    model.setId(model_id)
    model.setName(network.name)
    model.setMetaId(f"meta_{model_id}")
    model.setNotes(_notes_html([
        f"Exported from neuroscape network {network.name} (modules: {', '.join(network.modules)}).",
        "Compartments have size 1 litre: species values are concentrations used directly, and "
        "any volume scaling between compartments is contained in the stoichiometric "
        "coefficients. Kinetic laws are multiplied by the size of the compartment of the "
        "reaction's first species to give amount per time.",
        "Time unit: hour. Substance unit: micromole. Volume unit: litre.",
        "Parameters marked non-constant are piecewise-constant inputs set by interventions.",
    ]))

    for qualifier, uris in MODEL_TERMS:
        _annotate(model, qualifier, uris, what="model")
    units = _Units(model)
    hour = units.define("hour", _BASE_UNITS["hour"])
    umol = units.define("umol", _BASE_UNITS["micromole"])
    units.define("per_hour", [(libsbml.UNIT_KIND_SECOND, -1, 0, 3600.0)])
    units.ids["1/h"] = "per_hour"
    units.ids["h"] = hour
    model.setTimeUnits(hour)
    model.setSubstanceUnits(umol)
    model.setExtentUnits(umol)
    model.setVolumeUnits("litre")

    # compartments, in order of first appearance
    compartments: list[str] = []
    for s in network.species:
        if s.compartment not in compartments:
            compartments.append(s.compartment)
    comp_ids: dict[str, str] = {}
    taken = set(network.species_names) | set(network.parameter_names) | {model_id}
    for c in compartments:
        cid = _unit_id(c)
        while cid in taken:
            cid = "c_" + cid
        taken.add(cid)
        comp_ids[c] = cid
        comp = model.createCompartment()
        _check(comp.setId(cid), f"compartment {c}")
        comp.setName(c)
        comp.setSize(1.0)
        comp.setConstant(True)
        comp.setSpatialDimensions(3)
        comp.setUnits("litre")
        comp.setNotes(_notes_html([
            "Size 1: concentrations are used directly; volume scaling lives in the stoichiometry."
        ]))

    for s, y0 in zip(network.species, yvalues):
        sp_ = model.createSpecies()
        _check(sp_.setId(s.name), f"species {s.name}")
        sp_.setCompartment(comp_ids[s.compartment])
        sp_.setInitialConcentration(y0)
        sp_.setHasOnlySubstanceUnits(False)
        sp_.setBoundaryCondition(False)
        sp_.setConstant(False)
        uid = units.get(s.unit)
        if uid is not None:
            # substance units such that substance / litre is the species' unit
            if uid == "dimensionless":
                sp_.setSubstanceUnits("dimensionless")
            elif s.unit in ("uM",):
                sp_.setSubstanceUnits(umol)
            elif s.unit in ("g",):
                sp_.setSubstanceUnits("gram")
        if s.description:
            sp_.setNotes(_notes_html([s.description]))
        terms = species_terms(s.name)
        if terms is not None:
            _check(sp_.setMetaId(f"meta_{s.name}"), f"metaid of species {s.name}")
            _annotate(sp_, *terms, what=f"species {s.name}")

    for p, value in zip(network.parameters, pvalues):
        par = model.createParameter()
        _check(par.setId(p.name), f"parameter {p.name}")
        par.setValue(value)
        par.setConstant(not p.input)
        uid = units.get(p.unit)
        if uid is not None:
            par.setUnits(uid)
        ref = refs.get(p.source, {}) or {}
        citation = ref.get("citation") or p.source
        lines = [f"Source [{p.source}]: {citation}", f"Basis: {p.basis}", f"Unit: {p.unit}"]
        if p.note:
            lines.append(f"Note: {p.note}")
        if p.input:
            lines.append("Input: piecewise-constant, set by interventions.")
        _check(par.setNotes(_notes_html(lines)), f"notes of parameter {p.name}")
        uris = []
        if ref.get("doi"):
            uris.append(identifiers_uri("doi", ref["doi"]))
        if ref.get("pmid"):
            uris.append(identifiers_uri("pubmed", ref["pmid"]))
        if uris:
            par.setMetaId(f"meta_{p.name}")
            _annotate(par, libsbml.BQB_IS_DESCRIBED_BY, uris, what=f"parameter {p.name}")

    table, resolved = inline_expressions(network)
    species_comp = {s.name: comp_ids[s.compartment] for s in network.species}
    for r in network.reactions:
        where = f"reaction {r.name!r}"
        rx = model.createReaction()
        rid = r.name
        while rid in taken:  # reactions may share a name with a parameter in neuroscape
            rid = "r_" + rid
        taken.add(rid)
        _check(rx.setId(rid), where)
        rx.setName(r.name)
        rx.setReversible(False)
        for name, coef in r.stoich.items():
            if coef == 0:
                continue
            ref_ = rx.createReactant() if coef < 0 else rx.createProduct()
            ref_.setSpecies(name)
            ref_.setStoichiometry(abs(float(coef)))
            ref_.setConstant(True)
        first = next(iter(r.stoich))
        size = sp.Symbol(species_comp[first], real=True)
        expr = resolve(r.rate, table, resolved, where)
        for name in sorted({sym.name for sym in expr.free_symbols} & set(species_comp)
                           - set(r.stoich)):
            mod = rx.createModifier()
            mod.setSpecies(name)
        kl = rx.createKineticLaw()
        _check(kl.setMath(_ast(size * expr, where)), f"{where} kinetic law")
        notes = [r.description] if r.description else []
        notes.append(f"Rate (concentration/time) as written in neuroscape: {r.rate}")
        rx.setNotes(_notes_html(notes))

    for ident, text in (assignments or {}).items():
        where = f"assignment {ident!r}"
        if ident in taken:
            raise ModelError(f"to_sbml: {where} clashes with a name of the model; choose another id")
        taken.add(ident)
        par = model.createParameter()
        _check(par.setId(ident), where)
        par.setConstant(False)
        rule = model.createAssignmentRule()
        rule.setVariable(ident)
        _check(rule.setMath(_ast(resolve(text, table, resolved, where), where)), f"{where} math")
    for k, (at_h, changes) in enumerate(events):
        ev = model.createEvent()
        _check(ev.setId(f"event_{k}"), f"event {k}")
        ev.setUseValuesFromTriggerTime(True)
        trig = ev.createTrigger()
        trig.setInitialValue(False)
        trig.setPersistent(True)
        _check(trig.setMath(libsbml.parseL3Formula(f"time >= {float(at_h)!r}")), f"event {k} trigger")
        for target, text in changes:
            ea = ev.createEventAssignment()
            ea.setVariable(target)
            _check(ea.setMath(_ast(resolve(text, table, resolved, f"event {k}"), f"event {k}")),
                   f"event {k} assignment to {target}")

    text = libsbml.writeSBMLToString(doc)
    if path is not None:
        Path(path).write_text(text)
    return text


def write_sbml(network: Network, path: str | Path, **kwargs) -> Path:
    """Write the network as SBML L3V2 to `path` (keyword arguments as in `to_sbml`)."""
    path = Path(path)
    to_sbml(network, path, **kwargs)
    return path
