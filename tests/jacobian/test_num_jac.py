# SPDX-License-Identifier: MIT
# tests/jacobian/test_num_jac.py - ivp's finite-difference Jacobian against scipy's num_jac.
#
# Usage: test_num_jac.py <path of jac_fd_dump>
# For a few functions (the same ones jac_fd_dump.c has built in, written here with the same
# operations in the same order, so f agrees bit for bit) and a set of points, thresholds and
# factors, runs scipy.integrate._ivp.common.num_jac - dense, and sparse with ivp's pattern and
# column groups - and ivp (dense, sparse, band), and requires J and the updated factor to agree
# to 1e-13 relative. The factors are chosen to reach every branch: the zero-increment loop,
# the retry (kept and replaced), growth and shrinking of the factor.
import json
import subprocess
import sys

import numpy as np
from scipy.integrate._ivp.common import num_jac
from scipy.optimize._numdiff import group_columns
from scipy.sparse import coo_matrix

EPS = np.finfo(float).eps
RTOL = 1e-13


def rober(t, y):
    return np.array([-0.04 * y[0] + 1e4 * y[1] * y[2],
                     0.04 * y[0] - 1e4 * y[1] * y[2] - 3e7 * y[1] * y[1],
                     3e7 * y[1] * y[1]])


def vdp(t, y):
    return np.array([y[1], 1000.0 * (1.0 - y[0] * y[0]) * y[1] - y[0]])


def flat(t, y):
    return np.array([y[0] * y[0] + 3.0 * y[3],
                     1e20 + y[2] + y[1],
                     np.full_like(y[0], 5.0),
                     y[3] - y[0]])


def tri(t, y):
    v = -2.0 * y + 0.5 * y * y
    v[1:] += 1.5 * y[:-1]
    v[:-1] += 0.7 * y[1:] * y[:-1]
    return v


def big(t, y):
    n = y.shape[0]
    i = np.arange(1, n + 1, dtype=float)
    if y.ndim > 1:
        i = i[:, None]
    v = 1e8 * i + y
    v[1:] += 0.5 * y[:-1]
    return v


FUNCS = {"rober": rober, "vdp": vdp, "flat": flat, "tri": tri, "big": big}


class Counted:
    """A vectorized fun for num_jac that counts the columns it evaluates (= rhs calls)."""

    def __init__(self, fun):
        self.fun = fun
        self.columns = 0

    def __call__(self, t, y):
        self.columns += y.shape[1] if y.ndim > 1 else 1
        return self.fun(t, y)


def cases():
    """(func, n, t, y, threshold, factor list, layouts): each factor starts a chain of calls
    where the next call gets the factor scipy returned."""
    rng = np.random.RandomState(20240611)
    sq = EPS ** 0.5
    out = []
    # scipy's test_num_jac: Robertson at [1, 0, 0], threshold 1e-5.
    out.append(("rober", 3, 1.0, np.array([1.0, 0.0, 0.0]), np.full(3, 1e-5), [None]))
    out.append(("rober", 3, 0.5, np.array([0.98, 3.4e-5, 0.02]), np.array([1e-8, 1e-12, 1e-6]),
                [None, np.array([1e-20, 1e-3, 0.5])]))
    out.append(("vdp", 2, 0.0, np.array([2.0, 0.0]), np.full(2, 1e-6),
                [None, np.array([1e-2, 1e-2])]))
    out.append(("vdp", 2, 0.0, np.array([-1.5, 0.75]), np.array([1e-3, 1e-9]),
                [None, np.array([1e-17, 3e-5])]))
    out.append(("flat", 4, 0.0, np.array([1.25, -0.5, 2.0, 0.75]), np.full(4, 1e-6), [None]))
    out.append(("flat", 4, 0.0, np.array([0.0, -0.5, 2.0, 0.0]), np.full(4, 1e-4),
                [np.array([1e-12, 1e-2, 1e-5, 1e-9])]))
    y = rng.uniform(-1.0, 1.0, 12)
    out.append(("tri", 12, 0.0, y, np.full(12, 1e-8),
                [None, np.full(12, 1e-2), rng.uniform(1e-16, 1e-3, 12)]))
    out.append(("tri", 7, 0.0, np.array([0.0, 1e-12, -1e-12, 3.0, 0.0, -4.0, 1e-300]),
                np.array([1e-6, 0.0, 1e-9, 1e-6, 1e-3, 1e-6, 1e-6]), [None, np.full(7, 1e-18)]))
    out.append(("big", 5, 0.0, np.ones(5), np.full(5, 1e-6), [None, np.full(5, 1.5e-8)]))
    out.append(("big", 6, 0.0, rng.uniform(-3.0, 3.0, 6), np.full(6, 1e-6), [None]))
    return out


def pattern_structure(n, rows, cols):
    """The pattern as ivp stores it: the given entries plus the diagonal."""
    r = np.concatenate([np.asarray(rows, dtype=int), np.arange(n)])
    c = np.concatenate([np.asarray(cols, dtype=int), np.arange(n)])
    s = coo_matrix((np.ones(r.size), (r, c)), shape=(n, n)).tocsc()
    s.data[:] = 1.0
    return s


def band_structure(n, kl, ku):
    i, j = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    mask = (i - j <= kl) & (j - i <= ku)
    return coo_matrix(mask.astype(float)).tocsc()


BANDS = {"rober": (1, 2), "vdp": (1, 1), "flat": (3, 3), "tri": (1, 1), "big": (1, 0)}


def scipy_jac(func, t, y, f, thr, factor, sparsity):
    fun = Counted(FUNCS[func])
    J, fac = num_jac(fun, t, y, f, thr, factor, sparsity)
    if sparsity is not None:
        J = J.toarray()
    return J, fac, fun.columns


def fmt(v):
    return " ".join(repr(float(x)) for x in v)


def close(a, b):
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    return bool(np.all(np.abs(a - b) <= RTOL * np.abs(b))), \
        float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300)))


def main():
    if len(sys.argv) != 2:
        print("usage: test_num_jac.py <jac_fd_dump>", file=sys.stderr)
        return 2
    dump = sys.argv[1]

    # First pass: run scipy (dense) along each factor chain to fix every call's inputs.
    runs = []  # (func, layout, n, t, y, thr, factor_in)
    for func, n, t, y, thr, chain in cases():
        for start in chain:
            fac_dense = np.full(n, EPS ** 0.5) if start is None else start.copy()
            for _ in range(3):  # three calls: the factor adapts from call to call
                for layout in ("dense", "sparse", "band"):
                    runs.append((func, layout, n, t, y.copy(), thr.copy(), fac_dense.copy()))
                f = FUNCS[func](t, y)
                _, fac_dense, _ = scipy_jac(func, t, y, f, thr, fac_dense, None)

    text = "".join("%s %s %d %r\n%s\n%s\n%s\n" % (func, layout, n, t, fmt(y), fmt(thr), fmt(fac))
                   for func, layout, n, t, y, thr, fac in runs)
    proc = subprocess.run([dump], input=text, capture_output=True, text=True, timeout=60)
    if proc.returncode != 0:
        print("FAIL: jac_fd_dump exited %d: %s" % (proc.returncode, proc.stderr))
        return 1
    results = [json.loads(line) for line in proc.stdout.splitlines()]
    if len(results) != len(runs):
        print("FAIL: %d results for %d cases" % (len(results), len(runs)))
        return 1

    failures = 0
    worst = 0.0
    seen = {"retry": 0, "grow": 0, "shrink": 0, "replaced": 0, "zero_h": 0, "floor": 0}
    for (func, layout, n, t, y, thr, fac_in), res in zip(runs, results):
        what = "%s/%s y=%s factor=%s" % (func, layout, fmt(y), fmt(fac_in))
        f = FUNCS[func](t, y)
        if res["rc"] != 0:
            print("FAIL %s: ivp returned %d" % (what, res["rc"]))
            failures += 1
            continue
        if not np.array_equal(np.array(res["f"]), f):
            print("FAIL %s: f differs between C and Python: %s vs %s" % (what, res["f"], f))
            failures += 1
            continue
        if layout == "dense":
            sparsity = None
            n_groups = n
        else:
            if layout == "sparse":
                structure = pattern_structure(n, res["rows"], res["cols"])
            else:
                structure = band_structure(n, *BANDS[func])
            groups = np.array(res["groups"], dtype=int)
            n_groups = int(groups.max()) + 1
            # ivp's groups must be a valid grouping of the structure.
            dense_s = structure.toarray() != 0
            for g in range(n_groups):
                if np.any(dense_s[:, groups == g].sum(axis=1) > 1):
                    print("FAIL %s: group %d has columns sharing a row" % (what, g))
                    failures += 1
            sparsity = (structure, groups)
        J, fac, columns = scipy_jac(func, t, y, f, thr, fac_in, sparsity)
        Jc = np.array(res["J"], dtype=float).reshape(n, n)
        fc = np.array(res["factor"], dtype=float)
        ok_j, err_j = close(Jc, J)
        ok_f, err_f = close(fc, fac)
        worst = max(worst, err_j, err_f)
        if not ok_j or not ok_f:
            print("FAIL %s:\n  J ivp   %s\n  J scipy %s\n  factor ivp   %s\n  factor scipy %s"
                  % (what, Jc.tolist(), J.tolist(), fc.tolist(), fac.tolist()))
            failures += 1
        if res["nfev"] != columns:
            print("FAIL %s: ivp made %d rhs calls, scipy evaluated %d columns"
                  % (what, res["nfev"], columns))
            failures += 1
        if sparsity is not None:
            # scipy's own (randomly permuted) grouping gives the same Jacobian.
            J2, _, _ = scipy_jac(func, t, y, f, thr, fac_in,
                                 (sparsity[0], group_columns(sparsity[0])))
            ok2, err2 = close(Jc, J2)
            if not ok2:
                print("FAIL %s: J differs from scipy with scipy's grouping (%.3g)" % (what, err2))
                failures += 1
        # Which branches this case took (from scipy's side).
        h0 = np.where(fac_in == 0, 1.0, fac_in)
        seen["retry"] += columns > n_groups
        seen["grow"] += int(np.any(fac > fac_in * 1.5))
        seen["shrink"] += int(np.any(fac < fac_in * 0.5))
        seen["replaced"] += int(np.any(np.isclose(fac, 100.0 * h0, rtol=1e-12)))
        seen["zero_h"] += int(np.any(fac_in < 1e-17))
        seen["floor"] += int(np.any(fac == 1e3 * EPS))

    print("%d cases, worst relative difference %.3g, branches reached: %s"
          % (len(runs), worst, seen))
    for k, v in seen.items():
        if v == 0:
            print("FAIL: no case reached the '%s' branch" % k)
            failures += 1
    if failures:
        print("FAILED: %d" % failures)
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
