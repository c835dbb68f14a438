# Generic numerical kernels. This file is NOT imported directly: its text is appended to every
# generated model module (after `rhs` and `jac`), so that numba compiles and caches one
# specialised copy per model with `rhs`/`jac` as plain globals (no function-pointer dispatch).
# ruff: noqa: F821
import numba as _nb
import numpy as _np

# RODAS4 (Hairer & Wanner 1996, Solving ODEs II, sec. IV.7), in the KPP formulation
# G = 1/(h*gamma) - J;  G K_i = f(y + sum_j A_ij K_j) + sum_j (C_ij/h) K_j;  y1 = y + sum M_j K_j
_GAMMA = 0.25
_A = _np.array([
    [0.0, 0.0, 0.0, 0.0, 0.0],
    [1.544, 0.0, 0.0, 0.0, 0.0],
    [0.9466785280815826, 0.2557011698983284, 0.0, 0.0, 0.0],
    [3.314825187068521, 2.896124015972201, 0.9986419139977817, 0.0, 0.0],
    [1.221224509226641, 6.019134481288629, 12.53708332932087, -0.687886036105895, 0.0],
    [1.221224509226641, 6.019134481288629, 12.53708332932087, -0.687886036105895, 1.0],
])
_C = _np.array([
    [0.0, 0.0, 0.0, 0.0, 0.0],
    [-5.6688, 0.0, 0.0, 0.0, 0.0],
    [-2.430093356833875, -0.2063599157091915, 0.0, 0.0, 0.0],
    [-0.1073529058151375, -9.594562251023355, -20.47028614809616, 0.0, 0.0],
    [7.496443313967647, -10.24680431464352, -33.99990352819905, 11.7089089320616, 0.0],
    [8.083246795921522, -7.981132988064893, -31.52159432874371, 16.31930543123136,
     -6.058818238834054],
])
_M = _np.array([1.221224509226641, 6.019134481288629, 12.53708332932087, -0.687886036105895,
                1.0, 1.0])
# The continuous extension's coefficients (rodas.f, METH = 1: D21..D25, D31..D35), applied to K1..K5.
_D = _np.array([
    [10.12623508344586, -7.487995877610167, -34.80091861555747, -7.992771707568823, 1.025137723295662],
    [-0.6762803392801253, 6.087714651680015, 16.43084320892478, 24.76722511418386, -6.594389125716872],
])

# Reassociation and contraction only: no finite-math assumption, so NaN/inf checks keep working.
_FAST = {"nsz", "arcp", "contract", "reassoc"}
# The generic LU helpers below execute a plan's index arrays (kept for plans other than the model's,
# e.g. tests); the integrator and the steady state call the model's generated straight-line
# lu_assemble / lu_factor / lu_solve (sparse.lu_source). Inlined at numba IR level when called.
_INLINE = "always"

OK, MAX_STEPS, STEP_UNDERFLOW, NOT_FINITE, SINGULAR, NO_STEADY_STATE = 0, 1, 2, 3, 4, 5


@_nb.njit(cache=True, nogil=True, error_model="numpy", fastmath=_FAST, inline=_INLINE)
def _assemble(jv, lu, shift, a):
    jmap, diag = lu.jmap, lu.diag
    a[:] = 0.0
    for k in range(jv.size):
        a[jmap[k]] -= jv[k]
    for i in range(diag.size):
        a[diag[i]] += shift


@_nb.njit(cache=True, nogil=True, error_model="numpy", fastmath=_FAST, inline=_INLINE)
def _factor(a, lu):
    diag, div_ptr, div_pos = lu.diag, lu.div_ptr, lu.div_pos
    upd_ptr, upd_ij, upd_ik, upd_kj = lu.upd_ptr, lu.upd_ij, lu.upd_ik, lu.upd_kj
    for k in range(diag.size):
        piv = a[diag[k]]
        if not (abs(piv) > 1e-300) or piv != piv:
            return False
        for q in range(div_ptr[k], div_ptr[k + 1]):
            a[div_pos[q]] /= piv
        for q in range(upd_ptr[k], upd_ptr[k + 1]):
            a[upd_ij[q]] -= a[upd_ik[q]] * a[upd_kj[q]]
    return True


@_nb.njit(cache=True, nogil=True, error_model="numpy", fastmath=_FAST, inline=_INLINE)
def _solve(a, b, x, lu):
    perm, diag = lu.perm, lu.diag
    f_ptr, f_row, f_pos, u_ptr, u_col, u_pos = lu.f_ptr, lu.f_row, lu.f_pos, lu.u_ptr, lu.u_col, lu.u_pos
    n = perm.size
    for i in range(n):
        x[i] = b[perm[i]]
    for k in range(n):
        xk = x[k]
        if xk != 0.0:
            for q in range(f_ptr[k], f_ptr[k + 1]):
                x[f_row[q]] -= a[f_pos[q]] * xk
    for k in range(n - 1, -1, -1):
        s = x[k]
        for q in range(u_ptr[k], u_ptr[k + 1]):
            s -= a[u_pos[q]] * x[u_col[q]]
        x[k] = s / a[diag[k]]
    for i in range(n):
        b[perm[i]] = x[i]


@_nb.njit(cache=True, nogil=True, error_model="numpy", fastmath=_FAST)
def _apply_events(t, ie, y, p, ev_t, ev_kind, ev_target, ev_value, ev_scale):
    """Apply the events due by `t`; returns (index of the next event, whether a state jumped)."""
    jumped = False
    while ie < ev_t.size and ev_t[ie] <= t:
        if ev_kind[ie] == 0:  # add to a state, optionally divided by a parameter (a volume)
            v = ev_value[ie]
            if ev_scale[ie] >= 0:
                v /= p[ev_scale[ie]]
            y[ev_target[ie]] += v
            jumped = True
        else:  # set a (piecewise-constant) input parameter
            p[ev_target[ie]] = ev_value[ie]
        ie += 1
    return ie, jumped


@_nb.njit(cache=True, nogil=True, error_model="numpy", fastmath=_FAST)
def _restart_step(y, fy, atol, rtol, h, h_init):
    """Step size after a state jump (a dose): Hairer & Wanner's first-step guess 0.01 ||y|| / ||f||
    (Solving ODEs I, II.4) in the error norm, never above the step in use nor below h_init."""
    d0 = 0.0
    d1 = 0.0
    for i in range(y.size):
        sc = atol[i] + rtol * abs(y[i])
        d0 += (y[i] / sc) ** 2
        d1 += (fy[i] / sc) ** 2
    if not (d1 > 0.0) or not _np.isfinite(d1):
        return min(h, h_init)
    return min(h, max(h_init, 0.01 * (d0 / d1) ** 0.5))


@_nb.njit(cache=True, nogil=True, error_model="numpy", fastmath=_FAST)
def integrate(y0, p0, t0, t_out, ev_t, ev_kind, ev_target, ev_value, ev_scale, rtol, atol,
              h_init, h_max, max_steps, lu, out, stats, rec, dense):
    """Integrate from t0 through every time in t_out (sorted, >= t0); events are applied at their
    time before the output at that time is recorded; `rec` lists the states recorded in `out`.

    Steps end only at events and at the last output time: outputs between are read from the
    Rodas4 continuous extension of the step that covers them (`dense`; with dense False every
    output time ends a step, the former behaviour). No step is longer than h_max. Events that only
    set inputs keep the step size; a state jump restarts it (`_restart_step`). A rejected step
    reuses f(y) and J(y).
    Returns a status code. `lu` is the sparse LU plan (sparse.LUArrays)."""
    n = y0.size
    y = y0.copy()
    p = p0.copy()
    ynew = _np.empty(n)
    fy = _np.empty(n)
    ks = _np.empty((6, n))
    jv = _np.empty(lu.jmap.size)
    a = _np.empty(lu.nnz)
    nt = t_out.size
    t = t0
    ie, _ = _apply_events(t, 0, y, p, ev_t, ev_kind, ev_target, ev_value, ev_scale)
    io = 0
    while io < nt and t_out[io] <= t:
        for k in range(rec.size):
            out[io, k] = y[rec[k]]
        io += 1
    h = h_init
    steps = 0
    naccept = 0
    nreject = 0
    reject_last = False
    fresh = False  # fy and jv hold f(y) and J(y) at the current state and inputs
    h_after_input = _np.inf  # the step proposed after the first step past the last input event
    after_input = False
    status = OK
    while io < nt:
        t_stop = t_out[nt - 1] if dense else t_out[io]
        if ie < ev_t.size and ev_t[ie] < t_stop:
            t_stop = ev_t[ie]
        near = 1e-10 * (1.0 + abs(t_stop))  # an output or event this close to t_stop is at t_stop
        while t_stop - t > near:
            if steps >= max_steps:
                stats[0], stats[1], stats[2] = steps, naccept, nreject
                return MAX_STEPS
            hs = min(h, h_max, t_stop - t)
            last = t_stop - (t + hs) < near
            if last:
                hs = t_stop - t
            if hs < 1e-14 * (1.0 + abs(t)):
                stats[0], stats[1], stats[2] = steps, naccept, nreject
                return STEP_UNDERFLOW
            steps += 1
            if not fresh:
                rhs(y, p, fy)
                jac(y, p, jv)
                fresh = True
            lu_assemble(jv, 1.0 / (hs * _GAMMA), a)
            if not lu_factor(a):
                h = hs * 0.25
                reject_last = True
                nreject += 1
                continue
            for s in range(6):
                if s == 0:
                    for i in range(n):
                        ks[0, i] = fy[i]
                else:
                    for i in range(n):
                        ynew[i] = y[i]
                    for j in range(s):
                        c = _A[s, j]
                        if c != 0.0:
                            for i in range(n):
                                ynew[i] += c * ks[j, i]
                    rhs(ynew, p, ks[s])
                    for j in range(s):
                        c = _C[s, j] / hs
                        for i in range(n):
                            ks[s, i] += c * ks[j, i]
                lu_solve(a, ks[s])
            err = 0.0
            finite = True
            for i in range(n):
                ynew[i] = y[i]
            for j in range(6):
                c = _M[j]
                for i in range(n):
                    ynew[i] += c * ks[j, i]
            for i in range(n):
                acc = ynew[i]
                if not _np.isfinite(acc):
                    finite = False
                sc = atol[i] + rtol * max(abs(y[i]), abs(acc))
                e = ks[5, i] / sc
                err += e * e
            err = (err / n) ** 0.5 if finite else 1e10
            err = max(err, 1e-10)
            fac = min(6.0, max(0.2, 0.9 / err ** 0.25))
            hnew = hs * fac
            if err <= 1.0:
                t_new = t_stop if last else t + hs
                # outputs inside the step; those at t_stop wait for its events
                bound = t_stop - near if last else t_new
                if io < nt and t_out[io] <= bound:
                    _dense_outputs(t, hs, bound, y, ynew, ks, t_out, io, out, rec)
                    while io < nt and t_out[io] <= bound:
                        io += 1
                t = t_new
                for i in range(n):
                    y[i] = ynew[i]
                fresh = False
                naccept += 1
                if reject_last:
                    hnew = min(hnew, hs)
                elif last and hnew < h:
                    hnew = h  # a step cut short to land on t_stop says nothing against the longer one
                reject_last = False
                h = hnew
                if after_input:
                    h_after_input = h
                    after_input = False
            else:
                nreject += 1
                h = hs * 0.1 if reject_last else hnew
                reject_last = True
        t = t_stop
        before = ie
        ie, jumped = _apply_events(t + near, ie, y, p, ev_t, ev_kind, ev_target, ev_value, ev_scale)
        if ie > before:
            fresh = False  # inputs or states changed: f and J are stale
            if not jumped:
                # an input step starts a transient like the last one's: start at the step that
                # followed the last input event (keeping the full step was rejected once an event)
                h = min(h, h_after_input)
                after_input = True
            else:
                rhs(y, p, fy)
                jac(y, p, jv)
                fresh = True
                h = _restart_step(y, fy, atol, rtol, h, h_init)
        while io < nt and t_out[io] <= t + near:
            for k in range(rec.size):
                out[io, k] = y[rec[k]]
            io += 1
    for i in range(n):
        if not _np.isfinite(y[i]):
            status = NOT_FINITE
    stats[0], stats[1], stats[2] = steps, naccept, nreject
    return status


@_nb.njit(cache=True, nogil=True, error_model="numpy", fastmath=_FAST)
def _dense_outputs(t, hs, bound, y, ynew, ks, t_out, io, out, rec):
    """Record the outputs in (t, bound] from the RODAS continuous extension (Hairer & Wanner,
    Solving ODEs II, sec. IV.7 and their rodas.f, CONTRO): with s = (t_o - t) / h,
    y(t_o) = (1 - s) y + s (y1 + (1 - s) (c2 + s c3)), c2 = sum D2j K_j, c3 = sum D3j K_j."""
    for k in range(rec.size):
        r = rec[k]
        c2 = 0.0
        c3 = 0.0
        for j in range(5):
            c2 += _D[0, j] * ks[j, r]
            c3 += _D[1, j] * ks[j, r]
        y_a = y[r]
        y_b = ynew[r]
        q = io
        while q < t_out.size and t_out[q] <= bound:
            s = (t_out[q] - t) / hs
            s1 = 1.0 - s
            out[q, k] = y_a * s1 + s * (y_b + s1 * (c2 + s * c3))
            q += 1


@_nb.njit(cache=True, nogil=True, error_model="numpy", fastmath=_FAST)
def steady_state(y0, p, tol, max_iter, lu, y_out, stats):
    """Pseudo-transient continuation: (I/dt - J) dy = f, with dt growing as |f| falls, ending in
    plain Newton steps. Converged when every |f_i| <= tol * (|y_i| + 1e-9) per hour."""
    n = y0.size
    y = y0.copy()
    ytry = _np.empty(n)
    f = _np.empty(n)
    ftry = _np.empty(n)
    d = _np.empty(n)
    jv = _np.empty(lu.jmap.size)
    a = _np.empty(lu.nnz)
    dt = 1e-3
    rhs(y, p, f)
    res = 0.0
    for i in range(n):
        res = max(res, abs(f[i]) / (abs(y[i]) + 1e-9))
    it = 0
    while it < max_iter:
        if res <= tol:
            for i in range(n):
                y_out[i] = y[i]
            stats[0] = it
            return OK
        it += 1
        jac(y, p, jv)
        lu_assemble(jv, 1.0 / dt if dt < 1e12 else 0.0, a)
        if not lu_factor(a):
            dt *= 0.1
            if dt < 1e-12:
                break
            continue
        for i in range(n):
            d[i] = f[i]
        lu_solve(a, d)
        ok = True
        for i in range(n):
            ytry[i] = y[i] + d[i]
            if not (ytry[i] >= -1e-12 * (1.0 + abs(y[i]))) or not _np.isfinite(ytry[i]):
                ok = False
        if ok:
            rhs(ytry, p, ftry)
            rtry = 0.0
            for i in range(n):
                rtry = max(rtry, abs(ftry[i]) / (abs(ytry[i]) + 1e-9))
            if not _np.isfinite(rtry):
                ok = False
        if not ok:
            dt *= 0.2
            if dt < 1e-12:
                break
            continue
        for i in range(n):
            y[i] = max(ytry[i], 0.0)
            f[i] = ftry[i]
        grow = res / rtry if rtry > 0 else 10.0
        # Near a solution (a warm start) the residual barely falls per step while dt is small:
        # an accepted non-increasing step still doubles dt, or slow modes would never be reached.
        dt = dt * min(10.0, max(2.0 if rtry <= res else 0.5, grow))
        res = rtry
    stats[0] = it
    for i in range(n):
        y_out[i] = y[i]
    return NO_STEADY_STATE


@_nb.njit(cache=True, parallel=True, error_model="numpy", fastmath=_FAST)
def integrate_batch(Y0, P, t0, t_out, ev_t, ev_kind, ev_target, ev_value, ev_scale, ev_lo, ev_hi,
                    rtol, atol, h_init, h_max, max_steps, lu, out, status, stats, rec, dense):
    """Member b integrates along its own events, ev_*[ev_lo[b]:ev_hi[b]] (a shared list: the same
    bounds for every member)."""
    for b in _nb.prange(Y0.shape[0]):
        lo, hi = ev_lo[b], ev_hi[b]
        status[b] = integrate(Y0[b], P[b], t0, t_out, ev_t[lo:hi], ev_kind[lo:hi], ev_target[lo:hi],
                              ev_value[lo:hi], ev_scale[lo:hi], rtol, atol[b], h_init, h_max, max_steps, lu,
                              out[b], stats[b], rec, dense)


@_nb.njit(cache=True, parallel=True, error_model="numpy", fastmath=_FAST)
def steady_state_batch(Y0, P, tol, max_iter, lu, Y_out, status, stats):
    for b in _nb.prange(Y0.shape[0]):
        status[b] = steady_state(Y0[b], P[b], tol, max_iter, lu, Y_out[b], stats[b])
