"""Generate the right-hand side and the sparse analytic Jacobian of a network as Python source.

The source is written to a cache file keyed by the network's structure and by everything that
turns it into code (the sources of the parser, the generator and the kernels; the python, sympy,
numba, llvmlite and numpy versions), and compiled by numba (with numba's own on-disk cache), so
sympy and LLVM run once per model version, not per process.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import sys
import tempfile
from pathlib import Path

import numpy as np
import sympy as sp
from sympy.printing.pycode import PythonCodePrinter

from ..model import assemble, network as network_module
from ..model.assemble import inline_expressions, resolve
from ..model.network import Network
from . import sparse

CODEGEN_VERSION = "5"
# Generated kernels may reassociate and contract arithmetic (no NaN/inf assumptions: the
# integrator's finiteness checks stay valid), and use numpy's error model (no Python exceptions).
_DECORATOR = ('@numba.njit(cache=True, nogil=True, error_model="numpy", '
              'fastmath={"nsz", "arcp", "contract", "afn", "reassoc"})')


class _Printer(PythonCodePrinter):
    def _print_Symbol(self, s):  # noqa: N802 - sympy API
        return s.name


def cache_dir() -> Path:
    root = os.environ.get("NEUROSCAPE_CACHE") or Path.home() / ".cache" / "neuroscape"
    path = Path(root) / "models"
    path.mkdir(parents=True, exist_ok=True)
    return path


KERNELS = Path(__file__).with_name("_kernels.py")
# Every module whose code shapes the generated text: the parser and inliner of rate laws, the
# network's name order, this generator, the sparse LU planner and the kernels appended to its output.
SOURCES = (Path(assemble.__file__), Path(network_module.__file__), Path(__file__), Path(sparse.__file__),
           KERNELS)


def source_texts() -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in SOURCES}


def toolchain_versions() -> dict[str, str]:
    """The interpreter and libraries that print (sympy) and compile (numba, llvmlite, numpy) the code."""
    import llvmlite
    import numba

    return {"python": sys.version, "sympy": sp.__version__, "numba": numba.__version__,
            "llvmlite": llvmlite.__version__, "numpy": np.__version__}


@functools.cache
def toolchain_hash() -> str:
    """Hash of the generator's sources and library versions; computed once per process."""
    sources = {name: hashlib.sha256(text).hexdigest() for name, text in source_texts().items()}
    content = {"v": CODEGEN_VERSION, "sources": sources, "versions": toolchain_versions()}
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def network_hash(network: Network) -> str:
    """The on-disk cache key: the network's structure and everything that turns it into code."""
    structure = {
        "toolchain": toolchain_hash(),
        "species": [s.name for s in network.species],
        "params": [p.name for p in network.parameters],
        "exprs": [(e.name, e.expr) for e in network.expressions],
        "reactions": [(r.name, r.rate, sorted(r.stoich.items())) for r in network.reactions],
    }
    return hashlib.sha256(json.dumps(structure, sort_keys=True).encode()).hexdigest()[:16]


def symbolic_system(network: Network):
    """Return (state symbols, parameter symbols, rates, rhs expressions, jacobian dict)."""
    table, resolved = inline_expressions(network)
    ys = [table[n] for n in network.species_names]
    ps = [table[n] for n in network.parameter_names]
    index = {n: i for i, n in enumerate(network.species_names)}
    rates = [resolve(r.rate, table, resolved, f"reaction {r.name!r}") for r in network.reactions]
    rhs = [sp.Integer(0)] * len(ys)
    jac: dict[tuple[int, int], sp.Expr] = {}
    yset = set(ys)
    for rate, reaction in zip(rates, network.reactions):
        deps = [y for y in rate.free_symbols if y in yset]
        partials = {y: sp.diff(rate, y) for y in deps}
        for name, coeff in reaction.stoich.items():
            i = index[name]
            rhs[i] = rhs[i] + coeff * rate
            for y, d in partials.items():
                key = (i, index[y.name])
                jac[key] = jac.get(key, sp.Integer(0)) + coeff * d
    jac = {k: v for k, v in jac.items() if v != 0}
    return table, ys, ps, rates, rhs, jac


def generate_source(network: Network) -> tuple[str, np.ndarray, np.ndarray]:
    """Source text with `rhs(y, p, dy)`, `jac(y, p, jv)`, `rates(y, p, r)` and the sparse LU of
    the iteration matrix (sparse.lu_source); plus the Jacobian's (rows, cols)."""
    _table, ys, ps, rates, rhs, jac = symbolic_system(network)
    printer = _Printer({"fully_qualified_modules": False, "standard": "python3"})
    keys = sorted(jac)
    rows = np.array([k[0] for k in keys], dtype=np.int64)
    cols = np.array([k[1] for k in keys], dtype=np.int64)
    unpack = [f"    {y.name} = y[{i}]" for i, y in enumerate(ys)]
    unpack += [f"    {p.name} = p[{j}]" for j, p in enumerate(ps)]

    def body(exprs, target):
        subs, reduced = sp.cse(exprs, symbols=sp.numbered_symbols("_x"), optimizations="basic")
        lines = [f"    {s.name} = {printer.doprint(e)}" for s, e in subs]
        lines += [f"    {target}[{k}] = {printer.doprint(e)}" for k, e in enumerate(reduced)]
        return lines

    src = ["import math", "from math import exp, sqrt, log", "import numba", "",
           _DECORATOR, "def rhs(y, p, dy):", *unpack,
           *body(rhs, "dy"), "", _DECORATOR, "def jac(y, p, jv):",
           *unpack, *body([jac[k] for k in keys], "jv"), "",
           _DECORATOR, "def rates(y, p, r):", *unpack,
           *body(rates, "r"), ""]
    for line in sparse.lu_source(sparse.analyse(len(ys), rows, cols)):
        src += ["", _DECORATOR] if line.startswith("def ") else []
        src.append(line)
    src.append("")
    text = "\n".join(src).replace("math.exp", "exp").replace("math.sqrt", "sqrt")
    return text, rows, cols


def write_module(network: Network) -> tuple[Path, np.ndarray, np.ndarray]:
    """Write (or reuse) the generated module for `network`; return its path and Jacobian pattern."""
    key = network_hash(network)
    directory = cache_dir()
    path = directory / f"ns_{key}.py"
    meta = directory / f"ns_{key}.npz"
    if path.exists() and meta.exists():
        data = np.load(meta)
        return path, data["rows"], data["cols"]
    text, rows, cols = generate_source(network)
    text += "\n\n" + KERNELS.read_text()
    fd, tmp = tempfile.mkstemp(dir=directory, suffix=".tmp")
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    os.replace(tmp, path)  # atomic, so parallel processes never import half a file
    fd, tmpm = tempfile.mkstemp(dir=directory, suffix=".npz")
    with os.fdopen(fd, "wb") as handle:
        np.savez(handle, rows=rows, cols=cols)
    os.replace(tmpm, meta)
    return path, rows, cols

