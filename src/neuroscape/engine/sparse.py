"""Symbolic sparse LU analysis (static pivoting, minimum-degree ordering).

The iteration matrix of a Rosenbrock step, I/(h*gamma) - J, is dominated by its diagonal for
kinetic networks, so a fill-reducing order chosen once without numerical pivoting is enough
(the approach of KPP, Damian et al. 2002); a zero pivot makes the step be retried smaller.
The result is a set of index arrays that the generic kernels execute.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np


class LUArrays(NamedTuple):
    """The index arrays the kernels execute (a named tuple: numba passes it to jitted code and
    the kernels read its fields by name). Positions index the LU value array of `nnz` entries,
    in the permuted order."""

    jmap: np.ndarray  # Jacobian entry q (codegen's order) -> its position
    diag: np.ndarray  # diagonal k -> position
    perm: np.ndarray  # permuted row k -> original row
    div_ptr: np.ndarray  # column k's entries below the pivot, divided by it: div_pos[div_ptr[k]:div_ptr[k+1]]
    div_pos: np.ndarray
    upd_ptr: np.ndarray  # elimination k's updates a[ij] -= a[ik] * a[kj]: upd_*[upd_ptr[k]:upd_ptr[k+1]]
    upd_ij: np.ndarray
    upd_ik: np.ndarray
    upd_kj: np.ndarray
    f_ptr: np.ndarray  # forward substitution: column k's rows f_row and positions f_pos
    f_row: np.ndarray
    f_pos: np.ndarray
    u_ptr: np.ndarray  # back substitution: row k's columns u_col and positions u_pos
    u_col: np.ndarray
    u_pos: np.ndarray
    nnz: int


@dataclass(frozen=True)
class LUPlan:
    n: int
    nnz: int
    fill: int
    arrays: LUArrays

    @property
    def flops(self) -> int:
        return int(self.arrays.upd_ij.size)  # one multiply-add per update


def _minimum_degree(n: int, pattern: set[tuple[int, int]]) -> list[int]:
    adj = [set() for _ in range(n)]
    for i, j in pattern:
        if i != j:
            adj[i].add(j)
            adj[j].add(i)
    remaining = set(range(n))
    order = []
    while remaining:
        k = min(remaining, key=lambda v: (len(adj[v]), v))
        order.append(k)
        remaining.remove(k)
        nb = adj[k]
        for u in nb:
            adj[u] |= nb - {u}
            adj[u].discard(k)
        adj[k] = set()
    return order


def analyse(n: int, rows: np.ndarray, cols: np.ndarray) -> LUPlan:
    """Plan the LU factorisation of a matrix with the Jacobian pattern (rows, cols) plus diagonal."""
    pattern = {(int(i), int(j)) for i, j in zip(rows, cols)} | {(i, i) for i in range(n)}
    order = _minimum_degree(n, pattern)
    inv = np.empty(n, dtype=np.int64)
    inv[order] = np.arange(n)
    filled = {(int(inv[i]), int(inv[j])) for i, j in pattern}
    lower = [set() for _ in range(n)]  # lower[k]: rows i > k with (i, k)
    upper = [set() for _ in range(n)]  # upper[k]: cols j > k with (k, j)
    for i, j in filled:
        if i > j:
            lower[j].add(i)
        elif j > i:
            upper[i].add(j)
    for k in range(n):
        for i in lower[k]:
            for j in upper[k]:
                if (i, j) not in filled:
                    filled.add((i, j))
                    if i > j:
                        lower[j].add(i)
                    else:
                        upper[i].add(j)
    positions = {ij: q for q, ij in enumerate(sorted(filled))}
    diag = np.array([positions[(k, k)] for k in range(n)], dtype=np.int64)
    div_ptr, div_pos, upd_ptr, upd_ij, upd_ik, upd_kj = [0], [], [0], [], [], []
    f_ptr, f_row, f_pos, u_ptr, u_col, u_pos = [0], [], [], [0], [], []
    for k in range(n):
        low = sorted(lower[k])
        up = sorted(upper[k])
        div_pos += [positions[(i, k)] for i in low]
        div_ptr.append(len(div_pos))
        for i in low:
            for j in up:
                upd_ij.append(positions[(i, j)])
                upd_ik.append(positions[(i, k)])
                upd_kj.append(positions[(k, j)])
        upd_ptr.append(len(upd_ij))
        f_row += low
        f_pos += [positions[(i, k)] for i in low]
        f_ptr.append(len(f_row))
        u_col += up
        u_pos += [positions[(k, j)] for j in up]
        u_ptr.append(len(u_col))
    jmap = np.array([positions[(int(inv[i]), int(inv[j]))] for i, j in zip(rows, cols)],
                    dtype=np.int64)
    perm = np.array(order, dtype=np.int64)

    def arr(x):
        return np.asarray(x, dtype=np.int64)

    arrays = LUArrays(jmap=jmap, diag=diag, perm=perm, div_ptr=arr(div_ptr), div_pos=arr(div_pos),
                      upd_ptr=arr(upd_ptr), upd_ij=arr(upd_ij), upd_ik=arr(upd_ik), upd_kj=arr(upd_kj),
                      f_ptr=arr(f_ptr), f_row=arr(f_row), f_pos=arr(f_pos), u_ptr=arr(u_ptr),
                      u_col=arr(u_col), u_pos=arr(u_pos), nnz=len(positions))
    return LUPlan(n=n, nnz=len(positions), fill=len(positions) - len(pattern), arrays=arrays)


def lu_source(plan: LUPlan) -> list[str]:
    """The plan as straight-line code (KPP's generated sparse LU, Damian et al. 2002): every index
    is a constant, so the factorisation and the solves run without index arrays (measured on the
    93-state model: several times faster than the generic loops over the plan's arrays).

    `lu_assemble(jv, shift, a)` writes shift*I - J into the LU storage, `lu_factor(a)` factors it
    in place (False on a zero pivot) and `lu_solve(a, b)` overwrites b with the solution."""
    x = plan.arrays
    n, nnz = plan.n, plan.nnz
    diag = [int(d) for d in x.diag]
    jpos = {}
    for q, pos in enumerate(x.jmap):
        jpos.setdefault(int(pos), []).append(q)
    lines = ["def lu_assemble(jv, shift, a):"]
    diag_of = {pos: k for k, pos in enumerate(diag)}
    for pos in range(nnz):
        terms = "".join(f" - jv[{q}]" for q in jpos.get(pos, []))
        if pos in diag_of:
            lines.append(f"    a[{pos}] = shift{terms}")
        elif terms:
            lines.append(f"    a[{pos}] = -{terms[3:]}")
        else:
            lines.append(f"    a[{pos}] = 0.0")
    lines += ["", "def lu_factor(a):"]
    for k in range(n):
        lines.append(f"    piv = a[{diag[k]}]")
        lines.append("    if not (abs(piv) > 1e-300) or piv != piv:")
        lines.append("        return False")
        for q in range(x.div_ptr[k], x.div_ptr[k + 1]):
            lines.append(f"    a[{x.div_pos[q]}] /= piv")
        for q in range(x.upd_ptr[k], x.upd_ptr[k + 1]):
            lines.append(f"    a[{x.upd_ij[q]}] -= a[{x.upd_ik[q]}] * a[{x.upd_kj[q]}]")
    lines += ["    return True", "", "def lu_solve(a, b):"]
    lines += [f"    x{k} = b[{x.perm[k]}]" for k in range(n)]
    for k in range(n):
        for q in range(x.f_ptr[k], x.f_ptr[k + 1]):
            lines.append(f"    x{x.f_row[q]} -= a[{x.f_pos[q]}] * x{k}")
    for k in range(n - 1, -1, -1):
        terms = "".join(f" - a[{x.u_pos[q]}] * x{x.u_col[q]}" for q in range(x.u_ptr[k], x.u_ptr[k + 1]))
        lines.append(f"    x{k} = (x{k}{terms}) / a[{diag[k]}]")
    lines += [f"    b[{x.perm[k]}] = x{k}" for k in range(n)]
    return lines
