# SPDX-License-Identifier: MIT
"""tests/problems/check_plugins.py - checks every test-problem plugin against its definition.

For each plugin in tests/problems (loaded with ctypes, as ivp loads it with dlopen):
  - ABI and metadata: ivp_abi_version == 1; ivp_dim, ivp_param_names and ivp_event_names equal
    the Python definition (tests/scipy/ivp_problems.py), and the parameter names equal
    problems.json's "params" keys where problems.json lists any;
  - rhs at random points equals the Python rhs (which scipy integrates in the cross-checks);
    they are written operation for operation alike, so equality is expected to the last bit;
    we allow 4e-16 relative to the vector's max and count the points that are not bit-equal;
  - jac (row-major) equals the complex-step Jacobian of the Python rhs (exact to rounding:
    1e-10 relative entrywise, and the same zero pattern) and a central finite-difference
    Jacobian of the C rhs (a coarse independent check: 1e-5 of the row's scale plus the
    differences' rounding error; the column "jac-fd" is the error in units of that bound);
  - events equal the Python event functions; jac_sparsity/jac_values (pollu) cover every
    nonzero of jac and agree with it;
  - the definition reproduces problems.json's reference solution when scipy integrates it
    tightly (see check_reference).
Usage: check_plugins.py --plugin-dir DIR [names...]. Exit status 1 with the list of failures.
"""
import argparse
import ctypes
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scipy"))
import ivp_problems  # noqa: E402


class Ctx(ctypes.Structure):
    _fields_ = [("n", ctypes.c_size_t), ("p", ctypes.POINTER(ctypes.c_double)),
                ("np", ctypes.c_size_t), ("data", ctypes.c_void_p)]


DPTR = ctypes.POINTER(ctypes.c_double)
FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_double, DPTR, DPTR, ctypes.POINTER(Ctx))


class Plugin:
    """A plugin opened with ctypes; rhs/jac/events take numpy arrays."""

    def __init__(self, path, n, params):
        self.lib = ctypes.CDLL(path, mode=os.RTLD_NOW | os.RTLD_LOCAL)
        self.n = n
        self.p = np.ascontiguousarray(params, dtype=float)
        self.ctx = Ctx(n, self.p.ctypes.data_as(DPTR) if len(self.p) else None, len(self.p), None)

    def sym(self, name):
        try:
            return getattr(self.lib, name)
        except AttributeError:
            return None

    def names(self, symbol):
        if self.sym(symbol) is None:
            return None
        arr = (ctypes.c_char_p * 64).in_dll(self.lib, symbol)
        out = []
        for s in arr:
            if s is None:
                break
            out.append(s.decode())
        return out

    def call(self, fname, t, y, m):
        f = self.sym(fname)
        f.restype = ctypes.c_int
        f.argtypes = [ctypes.c_double, DPTR, DPTR, ctypes.POINTER(Ctx)]
        y = np.ascontiguousarray(y, dtype=float)
        out = np.full(m, np.nan)
        rc = f(float(t), y.ctypes.data_as(DPTR), out.ctypes.data_as(DPTR), ctypes.byref(self.ctx))
        return rc, out


def sample_points(prob, rng, count):
    """(t, y) pairs inside the span, around y0 (away from the problems' singularities)."""
    y0 = np.array(prob.y0, dtype=float)
    scale = 0.5 * np.abs(y0) + 0.1 * max(np.max(np.abs(y0)), 1e-3)
    t_lo, t_hi = sorted(prob.t_span)
    pts = []
    for _ in range(count):
        t = rng.uniform(t_lo, t_hi)
        y = y0 + rng.uniform(-1.0, 1.0, prob.n) * scale
        pts.append((t, y))
    return pts


def complex_step_jac(prob, t, y):
    h = 1e-30
    n = prob.n
    J = np.zeros((n, n))
    for j in range(n):
        yc = np.array(y, dtype=complex)
        yc[j] += 1j * h
        J[:, j] = np.imag(prob.rhs(t, yc, prob.params)) / h
    return J


def fd_jac(plugin, t, y):
    """Central differences of the C rhs, and a bound on their rounding error per entry."""
    n = plugin.n
    J = np.zeros((n, n))
    rounding = np.zeros((n, n))
    for j in range(n):
        h = 1e-6 * max(abs(y[j]), 1e-3)
        yp = np.array(y)
        ym = np.array(y)
        yp[j] += h
        ym[j] -= h
        _, fp = plugin.call("rhs", t, yp, n)
        _, fm = plugin.call("rhs", t, ym, n)
        J[:, j] = (fp - fm) / (yp[j] - ym[j])
        rounding[:, j] = 1e3 * np.finfo(float).eps * (np.abs(fp) + np.abs(fm)) / (yp[j] - ym[j])
    return J, rounding


def check_problem(name, plugin_dir, testset, rng, fails, rows):
    prob = ivp_problems.PROBLEMS[name]
    path = os.path.join(plugin_dir, name + ".so")
    if not os.path.exists(path):
        fails.append("%s: plugin %s not built" % (name, path))
        return
    n = prob.n
    params = [prob.params[k] for k in prob.param_names]
    pl = Plugin(path, n, params)

    def fail(msg):
        fails.append("%s: %s" % (name, msg))

    # --- metadata
    abi = ctypes.c_int.in_dll(pl.lib, "ivp_abi_version").value
    if abi != 1:
        fail("ivp_abi_version = %d, expected 1" % abi)
    if pl.sym("ivp_dim") is not None:
        dim = ctypes.c_size_t.in_dll(pl.lib, "ivp_dim").value
        if dim != n:
            fail("ivp_dim = %d, expected %d" % (dim, n))
    elif name != "exp_decay":  # exp_decay is dimension-free on purpose (section 12 run, n = 3)
        fail("no ivp_dim")
    pnames = pl.names("ivp_param_names") or []
    if pnames != prob.param_names:
        fail("ivp_param_names = %s, expected %s" % (pnames, prob.param_names))
    ts = testset.get(name)
    if ts is not None:
        if ts.get("params") and sorted(ts["params"]) != sorted(pnames):
            fail("params %s differ from problems.json's %s" % (pnames, sorted(ts["params"])))
        if ts["n"] != n or list(map(float, ts["y0"])) != list(map(float, prob.y0)):
            fail("n/y0 differ from problems.json")
    enames = pl.names("ivp_event_names")
    want_events = [e[0] for e in prob.events]
    if (enames or []) != want_events:
        fail("ivp_event_names = %s, expected %s" % (enames, want_events))
    if (pl.sym("events") is None) != (not want_events):
        fail("events symbol present = %s, expected %s" % (pl.sym("events") is not None,
                                                          bool(want_events)))

    # --- rhs, jac, events at random points
    worst_rhs = 0.0
    inexact = 0
    worst_cs = 0.0
    worst_fd = 0.0
    pts = sample_points(prob, rng, 20)
    for t, y in pts:
        rc, fc = pl.call("rhs", t, y, n)
        fp = np.asarray(prob.rhs(t, y, prob.params), dtype=float)
        if rc != 0:
            fail("rhs returned %d at t = %r" % (rc, t))
            continue
        scale = max(np.max(np.abs(fp)), 1e-300)
        d = np.max(np.abs(fc - fp)) / scale
        worst_rhs = max(worst_rhs, d)
        if not np.array_equal(fc, fp):
            inexact += 1
        if not d <= 4e-16:
            fail("rhs differs from Python at t = %r, y = %s: C %s, Python %s" %
                 (t, y.tolist(), fc.tolist(), fp.tolist()))
        if pl.sym("jac") is None:
            continue
        rc, jflat = pl.call("jac", t, y, n * n)
        if rc != 0:
            fail("jac returned %d at t = %r" % (rc, t))
            continue
        J = jflat.reshape(n, n)  # row-major: J[i*n + j] = df_i/dy_j
        Jcs = complex_step_jac(prob, t, y)
        # Same zero pattern (a missing or extra term is a structural error) ...
        bad_zero = (J == 0) != (Jcs == 0)
        if np.any(bad_zero):
            i, j = np.argwhere(bad_zero)[0]
            fail("jac[%d][%d] = %r but complex-step gives %r (t = %r)" % (i, j, J[i, j],
                                                                         Jcs[i, j], t))
        # ... and entrywise agreement to rounding (both are sums of a few exact products).
        rel = np.abs(J - Jcs) / np.maximum(np.abs(Jcs), 1e-300)
        rel[Jcs == 0] = 0.0
        worst_cs = max(worst_cs, float(np.max(rel)))
        if np.max(rel) > 1e-10:
            i, j = np.unravel_index(np.argmax(rel), rel.shape)
            fail("jac[%d][%d] = %r, complex-step %r (rel %.3g) at t = %r, y = %s" %
                 (i, j, J[i, j], Jcs[i, j], rel[i, j], t, y.tolist()))
        # Truncation error is O(h^2) relative to the row's scale; rounding error is
        # eps |f| / h, which dominates where f is large and the Jacobian entry small.
        Jfd, rounding = fd_jac(pl, t, y)
        rowscale = np.maximum(np.max(np.abs(Jcs), axis=1, keepdims=True), 1e-300)
        dfd = np.abs(J - Jfd) / (1e-5 * rowscale + rounding)
        worst_fd = max(worst_fd, float(np.max(dfd)))
        if np.max(dfd) > 1.0:
            i, j = np.unravel_index(np.argmax(dfd), dfd.shape)
            fail("jac[%d][%d] = %r, finite differences %r at t = %r" % (i, j, J[i, j],
                                                                       Jfd[i, j], t))
        if pl.sym("jac_sparsity") is not None:
            check_sparse(pl, t, y, J, fail)
        if want_events:
            m = len(want_events)
            rc, gc = pl.call("events", t, y, m)
            gp = np.array([g(t, y) for _, g in prob.events], dtype=float)
            if rc != 0 or not np.allclose(gc, gp, rtol=1e-15, atol=0.0, equal_nan=True):
                fail("events %s != Python %s at t = %r" % (gc.tolist(), gp.tolist(), t))
    rows.append((name, n, len(pnames), len(want_events), pl.sym("jac") is not None,
                 worst_rhs, inexact, worst_cs, worst_fd))


def check_sparse(pl, t, y, J, fail):
    n = pl.n
    f = pl.sym("jac_sparsity")
    f.restype = ctypes.c_long
    f.argtypes = [ctypes.POINTER(Ctx), ctypes.POINTER(ctypes.c_size_t),
                  ctypes.POINTER(ctypes.c_size_t)]
    nnz = f(ctypes.byref(pl.ctx), None, None)
    if nnz <= 0:
        fail("jac_sparsity(NULL) returned %d" % nnz)
        return
    rows = (ctypes.c_size_t * nnz)()
    cols = (ctypes.c_size_t * nnz)()
    got = f(ctypes.byref(pl.ctx), rows, cols)
    if got != nnz:
        fail("jac_sparsity returned %d then %d" % (nnz, got))
        return
    pattern = np.zeros((n, n), dtype=bool)
    for r, c in zip(rows, cols):
        if r >= n or c >= n or pattern[r, c]:
            fail("jac_sparsity: bad or repeated entry (%d, %d)" % (r, c))
            return
        pattern[r, c] = True
    if np.any((J != 0) & ~pattern):
        i, j = np.argwhere((J != 0) & ~pattern)[0]
        fail("jac[%d][%d] = %r is not in jac_sparsity" % (i, j, J[i, j]))
    rc, v = pl.call("jac_values", t, y, nnz)
    if rc != 0 or not np.array_equal(v, J[np.array(rows), np.array(cols)]):
        fail("jac_values differ from jac at the pattern")


STIFF_ATOL = {"e5": 1e-24, "rober": 1e-14, "pollu": 1e-14}


def check_reference(name, plugin_dir, fails, rows):
    """The definition reproduces problems.json's reference solution: scipy integrates the
    Python rhs (bit-identical to the plugin's) tightly - Radau with the plugin's analytic jac
    for the stiff problems, DOP853 otherwise - and must get 7 mixed correct digits (mescd,
    with atol/rtol as below). A wrong coefficient in both the C and the Python definition
    (both transcribed from problems.json's text) would pass the checks above but not this."""
    from scipy.integrate import solve_ivp
    prob = ivp_problems.PROBLEMS[name]
    ts = prob.testset
    if ts is None or not ts.get("reference"):
        return
    t_ref, ref = ts["reference"]["t"], np.array(ts["reference"]["y"], dtype=float)
    if name == "lorenz":  # chaotic: t = 20 is out of reach in double precision
        t_ref, ref = 1.0, np.array(ts["more_times"]["1"], dtype=float)
    stiff = ts["category"] != "classic-nonstiff"
    rtol = 1e-8 if stiff else 1e-10
    atol = STIFF_ATOL.get(name, 1e-10) if stiff else 1e-12
    if stiff:
        pl = Plugin(os.path.join(plugin_dir, name + ".so"), prob.n,
                    [prob.params[k] for k in prob.param_names])

        def jac(t, y):
            return pl.call("jac", t, y, prob.n * prob.n)[1].reshape(prob.n, prob.n)
        sol = solve_ivp(prob.fun(), [prob.t_span[0], t_ref], prob.y0, method="Radau",
                        rtol=rtol, atol=atol, jac=jac)
    else:
        sol = solve_ivp(prob.fun(), [prob.t_span[0], t_ref], prob.y0, method="DOP853",
                        rtol=rtol, atol=atol)
    err = np.abs(sol.y[:, -1] - ref)
    m = float(np.max(err / (atol / rtol + np.abs(ref))))
    mescd = np.inf if m == 0 else -np.log10(m)
    rows.append((name, "Radau" if stiff else "DOP853", t_ref, rtol, atol, mescd))
    if not (sol.status == 0 and mescd >= 7.0):
        fails.append("%s: scipy on the definition gets %.2f digits of problems.json's reference "
                     "at t = %g (y = %s, reference %s)" % (name, mescd, t_ref,
                                                           sol.y[:, -1].tolist(), ref.tolist()))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--plugin-dir", required=True)
    ap.add_argument("names", nargs="*")
    args = ap.parse_args()
    _, testset = ivp_problems.load_testset()
    names = args.names or sorted(ivp_problems.PROBLEMS)
    rng = np.random.default_rng(20240611)
    fails, rows = [], []
    ref_rows = []
    for name in names:
        check_problem(name, args.plugin_dir, testset, rng, fails, rows)
        check_reference(name, args.plugin_dir, fails, ref_rows)
    print("%-15s %3s %3s %3s %4s %10s %7s %10s %10s" % ("plugin", "n", "np", "nev", "jac",
                                                       "rhs-diff", "inexact", "jac-cs", "jac-fd"))
    for r in rows:
        print("%-15s %3d %3d %3d %4s %10.2e %7d %10.2e %10.2e" % r)
    print("\n%-15s %-7s %8s %6s %6s %6s" % ("reference", "scipy", "t", "rtol", "atol", "mescd"))
    for r in ref_rows:
        print("%-15s %-7s %8g %6.0e %6.0e %6.2f" % r)
    if fails:
        print("\nFAILED (%d):" % len(fails))
        for f in fails:
            print("  " + f)
        return 1
    print("\nall %d plugins agree with their Python definitions" % len(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
