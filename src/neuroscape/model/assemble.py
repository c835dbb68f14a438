"""Assemble modules into a checked `Network`: names resolve, stoichiometry is sane, units agree."""

from __future__ import annotations

import keyword
import re
from typing import Iterable

import pint
import sympy as sp

from ..errors import ModelError
from ..units import parse_unit, ureg
from .network import Module, Network

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_FUNCTIONS = {"exp": sp.exp, "sqrt": sp.sqrt, "log": sp.log, "Max": sp.Max, "Min": sp.Min}


def symbol_table(names: Iterable[str]) -> dict[str, sp.Symbol]:
    table = {n: sp.Symbol(n, real=True) for n in names}
    table.update(_FUNCTIONS)
    return table


def parse_expr(text: str, table: dict, where: str) -> sp.Expr:
    try:
        expr = sp.sympify(text, locals=table)
    except (sp.SympifyError, SyntaxError, TypeError) as exc:
        raise ModelError(f"{where}: cannot parse rate law {text!r}: {exc}") from None
    unknown = {s.name for s in expr.free_symbols} - set(table)
    if unknown:
        raise ModelError(
            f"{where}: unknown symbol(s) {sorted(unknown)} in {text!r}; declare them as species, "
            "parameters or expressions"
        )
    return expr


def inline_expressions(network: Network) -> tuple[dict[str, sp.Symbol], dict[str, sp.Expr]]:
    """Return the symbol table and every expression fully substituted down to species/parameters."""
    names = [*network.species_names, *network.parameter_names, *(e.name for e in network.expressions)]
    table = symbol_table(names)
    resolved: dict[str, sp.Expr] = {}
    pending = {e.name: parse_expr(e.expr, table, f"expression {e.name!r}") for e in network.expressions}
    names_of_exprs = set(pending)
    # Expressions may refer to each other; resolve until fixed point (cycles are an error).
    for _ in range(len(pending) + 1):
        progressed = False
        for name, expr in list(pending.items()):
            deps = {s.name for s in expr.free_symbols} & names_of_exprs
            if not deps - {name} <= set(resolved):
                continue
            if name in deps:
                raise ModelError(f"expression {name!r} refers to itself")
            resolved[name] = expr.xreplace({table[d]: resolved[d] for d in deps})
            del pending[name]
            progressed = True
        if not pending:
            break
        if not progressed:
            raise ModelError(f"expressions form a cycle: {sorted(pending)}")
    return table, resolved


def resolve(text: str, table: dict, resolved: dict[str, sp.Expr], where: str) -> sp.Expr:
    expr = parse_expr(text, table, where)
    return expr.xreplace({table[n]: e for n, e in resolved.items() if table[n] in expr.free_symbols})


def assemble(name: str, modules: Iterable[Module]) -> Network:
    modules = tuple(modules)
    species, params, exprs, reactions, readouts, defaults = [], [], [], [], [], {}
    for m in modules:
        species += [s for s in m.species]
        params += list(m.parameters)
        exprs += list(m.expressions)
        reactions += list(m.reactions)
        readouts += list(m.readouts)
        defaults.update(m.defaults)
    seen: dict[str, str] = {}
    for kind, items in (("species", species), ("parameter", params), ("expression", exprs),
                        ("reaction", reactions)):
        for item in items:
            if not _IDENT.match(item.name) or keyword.iskeyword(item.name) or item.name in _FUNCTIONS:
                raise ModelError(f"{kind} name {item.name!r} is not a valid identifier")
            if item.name in seen and (kind != "reaction" or seen[item.name] == "reaction"):
                raise ModelError(f"{kind} {item.name!r} is declared twice (also as {seen[item.name]})")
            seen.setdefault(item.name, kind)
    keys = [r.key for r in readouts]
    dup = {k for k in keys if keys.count(k) > 1}
    if dup:
        raise ModelError(f"readouts declared twice: {sorted(dup)}")
    net = Network(name=name, species=tuple(species), parameters=tuple(params),
                  expressions=tuple(exprs), reactions=tuple(reactions), readouts=tuple(readouts),
                  default_regions=dict(defaults), modules=tuple(m.name for m in modules))
    check_network(net)
    return net


def _quantity_env(network: Network) -> dict[str, object]:
    env: dict[str, object] = {}
    for s in network.species:
        env[s.name] = ureg.Quantity(max(abs(s.initial), 1e-3), parse_unit(s.unit))
    for p in network.parameters:
        env[p.name] = ureg.Quantity(max(abs(p.value), 1e-3), parse_unit(p.unit))
    return env


def _units_of(expr: sp.Expr, env: dict, where: str):
    symbols = sorted(expr.free_symbols, key=lambda s: s.name)
    fn = sp.lambdify(symbols, expr, modules=[{"Max": _pint_max, "Min": _pint_min}, "numpy"])
    try:
        value = fn(*(env[s.name] for s in symbols))
    except (pint.errors.DimensionalityError, ValueError, TypeError) as exc:
        raise ModelError(f"{where}: dimensionally inconsistent rate law ({exc})") from None
    return value.units if hasattr(value, "units") else ureg.dimensionless


def _pint_max(a, b):
    return a if (a - b).magnitude >= 0 else b


def _pint_min(a, b):
    return b if (a - b).magnitude >= 0 else a


def check_network(network: Network) -> None:
    """Check names, stoichiometry, positivity of parameters and the units of every rate law."""
    table, resolved = inline_expressions(network)
    env = _quantity_env(network)
    units = {s.name: parse_unit(s.unit) for s in network.species}
    hour = ureg.hour
    for p in network.parameters:
        try:
            parse_unit(p.unit)
        except Exception:  # noqa: BLE001 - pint raises several types for bad strings
            raise ModelError(f"parameter {p.name!r}: unknown unit {p.unit!r}") from None
        if p.value < 0:
            raise ModelError(f"parameter {p.name!r} = {p.value} is negative; rate constants and "
                             "concentrations must be >= 0")
        if not p.source:
            raise ModelError(f"parameter {p.name!r} has no source; give a reference key or mark it "
                             "fitted/assumed with a note")
    for r in network.reactions:
        where = f"reaction {r.name!r}"
        if not r.stoich:
            raise ModelError(f"{where} changes no species")
        for sp_name in r.stoich:
            if sp_name not in units:
                raise ModelError(f"{where}: stoichiometry names unknown species {sp_name!r}")
        expr = resolve(r.rate, table, resolved, where)
        if expr.is_zero:
            continue  # an inactive drug hook: zero carries no unit
        rate_units = _units_of(expr, env, where)
        for sp_name in r.stoich:
            expected = units[sp_name] / hour
            try:
                factor = (1 * rate_units).to(expected).magnitude
            except pint.errors.DimensionalityError:
                factor = None
            if factor is None or abs(factor - 1) > 1e-9:
                raise ModelError(
                    f"{where}: rate law has units {rate_units:~P} but species {sp_name!r} needs "
                    f"{expected:~P}" + (f" (they differ by a factor {factor:g})" if factor else "")
                    + "; fix the rate law or the parameter units"
                )
    for ro in network.readouts:
        where = f"readout {ro.key!r}"
        expr = resolve(ro.expr, table, resolved, where)
        if expr.is_zero:
            continue
        units = _units_of(expr, env, where)
        try:
            factor = (1 * units).to(parse_unit(ro.unit)).magnitude
        except pint.errors.DimensionalityError:
            factor = None
        if factor is None or abs(factor - ro.scale) > 1e-9 * max(1.0, abs(ro.scale)):
            needed = format(factor, '.6g') if factor is not None else '(incompatible)'
            raise ModelError(f"{where}: expression has units {units:~P}, which is {ro.unit} only with scale "
                             f"{needed}; the readout says scale {ro.scale:g}; "
                             "fix the scale, the unit or the expression")
