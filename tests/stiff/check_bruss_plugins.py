# SPDX-License-Identifier: MIT
"""tests/stiff/check_bruss_plugins.py - the Brusselator plugins against their Python definitions.

For tests/problems/brusselator1d.c and brusselator2d.c (loaded with ctypes, as ivp loads them),
at the problems' sizes (N = 500, NS = 128) and at small ones (N = 4, NS = 5, where every point
is near a boundary or wraps around):
  - metadata: ivp_abi_version 1, ivp_param_names (N, alpha / NS, alpha) matching problems.json's
    params where it lists them, no ivp_dim; ivp_init accepts n = 2N (2 NS^2) and refuses other
    n or a non-integer N, and jac_sparsity then returns an error (-1);
  - rhs at y0 and at random states near it, for t before and after the 2-D source switches on
    (t = 1.1), equals bruss_spec.py's rhs (which scipy integrates) - written operation for
    operation alike, so bit for bit; we allow 4e-16 of the vector's max and count inexact points;
  - jac_sparsity: in range, no repeated entry, exactly bruss_spec.py's pattern in the same order;
    1-D inside the band ml = mu = 2; counts 4n - 4 (1-D) and 6n (2-D);
  - jac_values equal bruss_spec.py's analytic values bit for bit; and for a sample of columns
    (all columns at the small sizes) the plugin's sparse Jacobian column equals the
    complex-step derivative of the Python rhs (1e-12 relative: exact to rounding) and a central
    difference of the C rhs (1e-6 of the column's scale) - which also shows that no nonzero lies
    outside the pattern;
  - y0: bruss_spec.py's initial values are problems.json's formulas (u_i = 1 + 0.5 sin(2 pi x_i)
    etc.), recomputed here independently from the text.
Usage: check_bruss_plugins.py --plugin-dir DIR. Exits 1 listing every failure.
"""
import argparse
import sys

import numpy as np

import bruss_spec as B
from stiff_common import Failures, Plugin, Table, H
from ivp_problems import load_testset


def params_for(kind, size):
    return [float(size), B.ALPHA1D if kind == "1d" else B.ALPHA2D]


def dim(kind, size):
    return 2 * size if kind == "1d" else 2 * size * size


def py_rhs(kind, size):
    if kind == "1d":
        return lambda t, y: B.rhs_1d(t, y, size, B.ALPHA1D)
    return lambda t, y: B.rhs_2d(t, y, size, B.ALPHA2D)


def py_y0(kind, size):
    return B.y0_1d(size) if kind == "1d" else B.y0_2d(size)


def py_pattern(kind, size):
    return B.pattern_1d(size) if kind == "1d" else B.pattern_2d(size)


def py_values(kind, size, t, y):
    if kind == "1d":
        J = B.jac_1d(t, y, size, B.ALPHA1D)
        rows, cols = B.pattern_1d(size)
        return np.asarray(J[rows, cols]).reshape(-1)
    return B.jac_values_2d(t, y, size, B.ALPHA2D)


def check_metadata(kind, path, size, testset, F, name):
    n = dim(kind, size)
    pl = Plugin(path, n, params_for(kind, size))
    F.check(pl.abi_version() == 1, "%s: ivp_abi_version = %d" % (name, pl.abi_version()))
    want = ["N", "alpha"] if kind == "1d" else ["NS", "alpha"]
    F.check(pl.names("ivp_param_names") == want,
            "%s: ivp_param_names = %s, expected %s" % (name, pl.names("ivp_param_names"), want))
    F.check(not pl.has("ivp_dim"), "%s: defines ivp_dim, but n depends on N" % name)
    F.check(not pl.has("jac"), "%s: defines a dense jac (n^2 doubles)" % name)
    ts = testset["brusselator1d_hairer" if kind == "1d" else "brusselator2d_hairer"]
    if ts.get("params"):
        F.check(sorted(ts["params"]) == sorted(want),
                "%s: params %s differ from problems.json's %s" % (name, want, sorted(ts["params"])))
        F.check([ts["params"]["N"], ts["params"]["alpha"]] == [B.N1D, B.ALPHA1D],
                "%s: problems.json params %s differ from bruss_spec.py's" % (name, ts["params"]))
    F.check(ts["n"] == dim(kind, B.N1D if kind == "1d" else B.NS2D),
            "%s: problems.json n = %d" % (name, ts["n"]))
    F.check(pl.init() == 0, "%s: ivp_init refuses the matching n = %d" % (name, n))
    # A mismatch between the parameter and len(y0), and a non-integer size, are refused.
    for bad_n, bad_p in ((n + 2, params_for(kind, size)), (n, [size + 0.5, 0.1])):
        bad = Plugin(path, bad_n, bad_p)
        F.check(bad.init() < 0, "%s: ivp_init accepts n = %d with size %r" % (name, bad_n,
                                                                              bad_p[0]))
        F.check(bad.sparsity_count() < 0,
                "%s: jac_sparsity answers for n = %d with size %r" % (name, bad_n, bad_p[0]))


def check_y0(F):
    """bruss_spec.py's y0 against problems.json's formulas, computed another way."""
    N = B.N1D
    x = np.arange(1, N + 1) / (N + 1)
    want = np.empty(2 * N)
    want[0::2] = 1 + 0.5 * np.sin(2 * np.pi * x)
    want[1::2] = 3
    got = B.y0_1d()
    F.check(np.max(np.abs(got - want)) <= 1e-15, "1d: y0 differs from problems.json's formula")
    NS = B.NS2D
    g = np.arange(NS) / NS  # x_i = (i-1)/NS for i = 1..NS
    U = 22 * g[:, None] * (1 - g[:, None]) ** 1.5 * np.ones((1, NS))  # [j, i]: depends on y_j
    V = 27 * g[None, :] * (1 - g[None, :]) ** 1.5 * np.ones((NS, 1))  # depends on x_i
    got = B.y0_2d().reshape(NS, NS, 2)
    F.check(np.max(np.abs(got[:, :, 0] - U)) <= 1e-14 and np.max(np.abs(got[:, :, 1] - V)) <= 1e-14,
            "2d: y0 differs from problems.json's formula")


def complex_step_column(f, t, y, j):
    h = 1e-30
    yc = np.array(y, dtype=complex)
    yc[j] += 1j * h
    return np.imag(f(t, yc)) / h


def check_problem(kind, path, size, rng, F, table, name):
    n = dim(kind, size)
    pl = Plugin(path, n, params_for(kind, size))
    f = py_rhs(kind, size)
    y0 = py_y0(kind, size)
    times = [0.0, 0.7, 1.1, 5.3] if kind == "2d" else [0.0, 3.7]
    points = [(t, y0) for t in times]
    for k in range(4):
        y = y0 * (1.0 + 0.3 * rng.uniform(-1.0, 1.0, n)) + 0.1 * rng.uniform(-1.0, 1.0, n)
        points.append((times[k % len(times)], y))

    worst_rhs, inexact = 0.0, 0
    for t, y in points:
        fc = pl.rhs(t, y)
        fp = f(t, y)
        d = float(np.max(np.abs(fc - fp)) / max(np.max(np.abs(fp)), 1e-300))
        worst_rhs = max(worst_rhs, d)
        inexact += int(not np.array_equal(fc, fp))
        if not F.check(d <= 4e-16, "%s: rhs differs from Python at t = %g by %.3g (max)" %
                       (name, t, d)):
            break
    if kind == "2d":
        # The source: from t = 1.1 on (not before) exactly the disc's u components gain 5.
        before = pl.rhs(np.nextafter(1.1, 0.0), y0).reshape(size, size, 2)
        mask = B.source_mask_2d(size)
        before[:, :, 0][mask] += 5.0
        F.check(np.array_equal(pl.rhs(1.1, y0), before.reshape(-1)) and mask.any(),
                "%s: the source term is not 5 exactly on the disc from t = 1.1 (%d points)" %
                (name, int(mask.sum())))

    rows, cols, got = pl.sparsity()
    nnz = len(rows)
    F.check(got == nnz, "%s: jac_sparsity returned %d, then %d" % (name, nnz, got))
    F.check(bool(np.all(rows < n) & np.all(cols < n)), "%s: pattern entry out of range" % name)
    F.check(len(set(zip(rows.tolist(), cols.tolist()))) == nnz, "%s: repeated entry" % name)
    want_nnz = 4 * n - 4 if kind == "1d" else 6 * n
    F.check(nnz == want_nnz, "%s: %d structural nonzeros, expected %d" % (name, nnz, want_nnz))
    prow, pcol = py_pattern(kind, size)
    F.check(np.array_equal(rows, prow) and np.array_equal(cols, pcol),
            "%s: pattern differs from bruss_spec.py's (order included)" % name)
    if kind == "1d":
        band = int(np.max(np.abs(rows - cols)))
        F.check(band == 2, "%s: the pattern's bandwidth is %d, expected 2" % (name, band))

    worst_cs, worst_fd = 0.0, 0.0
    cols_checked = bad_cols = 0  # only the first 3 bad columns are listed
    for t, y in points[:3] + points[-2:]:
        v = pl.jac_values(t, y)
        F.check(np.array_equal(v, py_values(kind, size, t, y)),
                "%s: jac_values differ from bruss_spec.py's at t = %g" % (name, t))
        sample = range(n) if n <= 64 else rng.choice(n, 12, replace=False)
        for j in sample:
            col = np.zeros(n)
            sel = cols == j
            col[rows[sel]] = v[sel]
            cs = complex_step_column(f, t, y, j)
            scale = max(np.max(np.abs(cs)), 1e-300)
            e_cs = float(np.max(np.abs(col - cs)) / scale)
            h = 1e-6 * max(abs(y[j]), 1e-3)
            yp = np.array(y)
            ym = np.array(y)
            yp[j] += h
            ym[j] -= h
            fp, fm = pl.rhs(t, yp), pl.rhs(t, ym)
            fd = (fp - fm) / (yp[j] - ym[j])
            # central difference: O(h^2) truncation, plus rounding of order eps |f| / h
            rounding = 100 * np.finfo(float).eps * np.max(np.abs(fp) + np.abs(fm)) / (yp[j] - ym[j])
            e_fd = float(np.max(np.abs(col - fd)) / (scale + rounding / 1e-6))
            worst_cs = max(worst_cs, e_cs)
            worst_fd = max(worst_fd, e_fd)
            cols_checked += 1
            if not (e_cs <= 1e-12 and e_fd <= 1e-6):
                bad_cols += 1
                F.check(bad_cols > 3,
                        "%s: Jacobian column %d at t = %g: complex-step error %.3g, central "
                        "difference %.3g (relative to the column's max)" % (name, j, t, e_cs, e_fd))
    F.check(bad_cols <= 3, "%s: ... and %d more Jacobian columns" % (name, bad_cols - 3))
    table.add(name, n, nnz, len(points), "%.1e" % worst_rhs, inexact, cols_checked,
              "%.1e" % worst_cs, "%.1e" % worst_fd)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--plugin-dir", required=True)
    args = ap.parse_args()
    H.configure(plugin_dir=args.plugin_dir)
    _, testset = load_testset()
    F = Failures()
    rng = np.random.default_rng(20240612)
    table = Table(("plugin", "n", "nnz", "points", "rhs-diff", "inexact", "columns",
                   "jac-cs", "jac-fd"))
    check_y0(F)
    for kind, sizes in (("1d", (B.N1D, 4)), ("2d", (B.NS2D, 5))):
        path = H.plugin_path("brusselator" + kind)
        for size in sizes:
            name = "brusselator%s(%s=%d)" % (kind, "N" if kind == "1d" else "NS", size)
            check_metadata(kind, path, size, testset, F, name)
            check_problem(kind, path, size, rng, F, table, name)
    print(table.text())
    return F.report("both Brusselator plugins agree with bruss_spec.py and their Jacobians "
                    "with complex-step and finite-difference derivatives")


if __name__ == "__main__":
    sys.exit(main())
