# SPDX-License-Identifier: MIT
"""tests/stiff/bruss.py - the Brusselators of problems.json through ivp's banded and sparse paths.

  bruss.py --part 1d        brusselator1d_hairer (N = 500, n = 1000, tests/problems/
                            brusselator1d.c) through "lband": 2, "uband": 2 (finite-difference
                            Jacobian in 5 column groups, LAPACK band LU) with BDF, Radau and
                            LSODA at rtol = atol = 1e-4, 1e-6, 1e-8; and once per method through
                            the plugin's sparse pattern and jac_values (KLU). Checked:
                              - scd (no reference component is near 0) of the 143 reference
                                components (problems.json reference_components: y1, y8, ...,
                                y995) at t = 10 >= -log10(rtol) - MARGIN_1D[method] (margins
                                0.5 below the worst measured: BDF -0.98, Radau +1.29, LSODA
                                -0.96 digits relative to the requested);
                              - no worse than scipy's same method on the same band structure
                                (Radau/BDF: jac_sparsity = the band as a sparse pattern; LSODA:
                                lband/uband) minus 0.3 digits, and steps, nfev, njev, nlu
                                within 2% of scipy's (measured: equal);
                              - the sparse run's digits within 0.05 of the band run's (the
                                analytic and the difference Jacobian give the same steps);
                              - peak RSS of each ivp process < 64 MiB (measured: 17 MiB),
                                also for N = 20000, n = 40000, where a dense Jacobian
                                would take 12.8 GB (measured: 35 - 41 MiB, < 1 s).
  bruss.py --part 2d        brusselator2d_hairer (NS = 128, n = 32768, tests/problems/
                            brusselator2d.c) with BDF, rtol = atol = 1e-3, on [0, 1.5] (the
                            source switches on at t = 1.1), through "jac_sparsity": "plugin"
                            with the plugin's jac_values, and with "jac": "fd" on the same
                            pattern (grouped differences). Checked against
                            tests/data/brusselator2d_reference.json at t = 1.5 (scd over its
                            512 components >= FLOOR_2D: 0.5 below the measured 2.61, which is
                            also what scipy's BDF gets on this run, with the same counts), and
                            the peak RSS of the ivp process < 300 MiB (measured: 160 MiB; a
                            dense Jacobian alone would be 8 GiB). About 30 s: the LUs of the
                            32768 x 32768 Newton matrix dominate (0.3 s each with UMFPACK,
                            which ivp picks for factorisations this large; 1 s with KLU).
  bruss.py --part 2d-full   the same at rtol = atol = 1e-4 on the whole span [0, 11.5] with BDF
                            (both Jacobians), Radau and LSODA, checked at t = 1.5 and 11.5
                            (measured scd: BDF 3.51, 2.36; Radau 4.32, 4.62; LSODA 4.39, 2.71;
                            peak RSS 160 MiB, Radau - a real and a complex factorisation -
                            319 MiB, bound 512 MiB) - about 5 minutes, so not in the default
                            ctest run (CONFIGURATIONS Slow, label "slow").
In an AddressSanitizer build of ivp (detected from the executable) the memory bounds become
2 x bound + 256 MiB: shadow memory, redzones, and ASan's quarantine of freed blocks (measured:
584 MiB for the 2-D BDF run, whose factorisations free and reallocate their factors).
Prints a table per part: method, structure, tolerances, digits, counts, ivp's solve_seconds,
wall time and peak RSS. Usage: bruss.py --part PART --plugin-dir DIR [--ivp IVP]
[--data-dir DIR]. Exits 1 listing the failures.
"""
import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np
from scipy.integrate import solve_ivp

import bruss_spec as B
from stiff_common import H, Failures, Table, counts, scd
from ivp_problems import load_testset

HERE = os.path.dirname(os.path.abspath(__file__))
MIB = 1024 * 1024

TOLS_1D = (1e-4, 1e-6, 1e-8)
MARGIN_1D = {"BDF": 1.5, "Radau": -0.8, "LSODA": 1.45}
SCIPY_MARGIN = 0.3
COUNT_REL = 0.02
SPARSE_VS_BAND = 0.05
RSS_1D = 64 * MIB
BIG_N = 20000
# Radau factors a real and a complex Newton matrix (UMFPACK: 317 MiB measured on [0, 1.5]).
RSS_2D = {"BDF": 300 * MIB, "LSODA": 300 * MIB, "Radau": 512 * MIB}
# An AddressSanitizer build adds shadow memory (1/8 of the heap) and redzones, and keeps up to
# 256 MiB of freed blocks in quarantine (ASan's default quarantine_size_mb): UMFPACK frees and
# reallocates its factors at every factorisation. Bounds there: 2 x bound + 256 MiB.
ASAN_RSS = (2, 256 * MIB)
TOL_2D = {"2d": 1e-3, "2d-full": 1e-4}  # rtol = atol
# scd floors (method, t) per part: 0.5 below the measured values (printed in the 2-D table).
FLOOR_2D = {
    "2d": {("BDF", 1.5): 2.1},  # measured 2.61 (scipy's BDF: 2.61, same 56 steps, 18 LUs)
    "2d-full": {("BDF", 1.5): 3.0, ("BDF", 11.5): 1.85,      # measured 3.51, 2.36
                ("Radau", 1.5): 3.8, ("Radau", 11.5): 4.1,   # 4.32, 4.62
                ("LSODA", 1.5): 3.9, ("LSODA", 11.5): 2.2},  # 4.39, 2.71
}


# Peak RSS of a child: ru_maxrss survives exec, so a process started from this Python (numpy,
# scipy loaded: ~80 MiB) would report at least this Python's peak. A small launcher process
# starts ivp instead: ivp's ru_maxrss is then max(its own peak, the launcher's ~9 MiB), which
# the launcher gets from wait4 and writes to a file.
_LAUNCHER = r"""
import os, sys
pid = os.posix_spawn(sys.argv[2], sys.argv[2:], os.environ)
_, status, ru = os.wait4(pid, 0)
with open(sys.argv[1], "w") as f:
    f.write("%d\n" % ru.ru_maxrss)
sys.exit(os.waitstatus_to_exitcode(status))
"""


def run_ivp_measured(spec, timeout=3600):
    """Runs ivp on spec like ivp_harness.run_ivp; also returns the ivp process's peak RSS in
    bytes (an upper bound: at least the launcher's ~9 MiB) and the wall time."""
    H.validate_spec(spec)
    with tempfile.TemporaryDirectory(prefix="ivp-bruss-") as tmp:
        spec_path = os.path.join(tmp, "spec.json")
        out_path = os.path.join(tmp, "out.h5")
        rss_path = os.path.join(tmp, "maxrss")
        with open(spec_path, "w", encoding="utf-8") as f:
            json.dump(spec, f)
        cmd = [H.ivp_bin(), "run", spec_path, "-o", out_path, "--quiet"]
        t0 = time.time()
        try:
            p = subprocess.run([sys.executable, "-c", _LAUNCHER, rss_path] + cmd,
                               capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired as e:
            raise H.HarnessError("ivp timed out after %g s: %s" % (timeout, " ".join(cmd))) from e
        wall = time.time() - t0
        if p.returncode != 0 or not os.path.exists(out_path) or not os.path.exists(rss_path):
            raise H.HarnessError("ivp exited with %d: %s\nstderr: %s" %
                                 (p.returncode, " ".join(cmd), p.stderr.strip()))
        with open(rss_path, encoding="utf-8") as f:
            rss = int(f.read()) * 1024  # ru_maxrss is in KiB on Linux
        r = H.read_h5(out_path)
        r.returncode = p.returncode
        r.stderr = p.stderr
        r.spec = spec
        return r, rss, wall


def rss_bound(bound, asan):
    return ASAN_RSS[0] * bound + ASAN_RSS[1] if asan else bound


def sanitized():
    """True when the ivp executable is built with AddressSanitizer (CI runs the suite so)."""
    with open(H.ivp_bin(), "rb") as f:
        return b"__asan_init" in f.read()


def band_pattern_1d():
    import scipy.sparse as sp
    rows, cols = B.pattern_1d()
    n = 2 * B.N1D
    return sp.csc_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))


def part_1d(F, asan):
    _, testset = load_testset()
    e = testset["brusselator1d_hairer"]
    ref = np.array(e["reference"]["y"], dtype=float)
    idx = np.arange(0, 995, 7)  # 1-based 1, 8, ..., 995
    if len(idx) != len(ref):
        F.check(False, "1d: %d reference values for %d reference components" %
                (len(ref), len(idx)))
        return
    plugin = H.plugin_path("brusselator1d")
    sparsity = band_pattern_1d()
    y0 = B.y0_1d()
    table = Table(("method", "structure", "rtol", "scd", "scipy", "excess", "floor",
                   "ivp steps/nfev/njev/nlu", "scipy steps/nfev/njev/nlu", "maxdev", "ivp-s",
                   "rss MiB", "ok"))
    for method in ("BDF", "Radau", "LSODA"):
        for tol in TOLS_1D:
            label = "1d %s lband=uband=2 rtol=atol=%g" % (method, tol)
            try:
                r, rss, _ = run_ivp_measured(B.make_spec("1d", plugin, method=method, rtol=tol,
                                                         atol=tol))
            except H.HarnessError as ex:
                F.check(False, "%s: %s" % (label, ex))
                continue
            opts = {"lband": 2, "uband": 2} if method == "LSODA" else {"jac_sparsity": sparsity}
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                s = solve_ivp(B.rhs_1d, B.T1D, y0, method=method, rtol=tol, atol=tol, **opts)
            ok = F.check(r.status == 0 and s.status == 0, "%s: status ivp %s (%s), scipy %s" %
                         (label, r.status, r.message, s.status))
            d = scd(r.y[idx, -1], ref)
            d_sp = scd(s.y[idx, -1], ref)
            floor = -math.log10(tol) - MARGIN_1D[method]
            ok &= F.check(d >= floor, "%s: scd %.2f below the floor %.2f" % (label, d, floor))
            ok &= F.check(d >= d_sp - SCIPY_MARGIN, "%s: scd %.2f worse than scipy's %.2f by "
                          "more than %.1f" % (label, d, d_sp, SCIPY_MARGIN))
            ci, cs = counts(r), counts(s)
            dev = max(abs(a - b) / b for a, b in zip(ci, cs) if b) if all(cs) else 0.0
            ok &= F.check(dev <= COUNT_REL, "%s: counts %s vs scipy's %s (%.1f%% > %.0f%%)" %
                          (label, ci, cs, 100 * dev, 100 * COUNT_REL))
            ok &= F.check(rss < rss_bound(RSS_1D, asan), "%s: peak RSS %.1f MiB >= %.0f MiB" %
                          (label, rss / MIB, rss_bound(RSS_1D, asan) / MIB))
            table.add(method, "band 2/2", "%g" % tol, "%.2f" % d, "%.2f" % d_sp,
                      "%+.2f" % (d + math.log10(tol)), "%.2f" % floor,
                      "/".join(map(str, ci)), "/".join(map(str, cs)), "%.2f%%" % (100 * dev),
                      "%.3f" % r.attrs["solve_seconds"], "%.1f" % (rss / MIB),
                      "ok" if ok else "FAIL")
            if tol != 1e-6:
                continue
            # The same run through the plugin's sparse pattern and analytic jac_values (KLU).
            label = "1d %s jac_sparsity=plugin rtol=atol=%g" % (method, tol)
            try:
                r2, rss2, _ = run_ivp_measured(B.make_spec(
                    "1d", plugin, method=method, rtol=tol, atol=tol, lband=None, uband=None,
                    jac_sparsity="plugin", jac="plugin"))
            except H.HarnessError as ex:
                F.check(False, "%s: %s" % (label, ex))
                continue
            d2 = scd(r2.y[idx, -1], ref)
            ok2 = F.check(r2.status == 0 and abs(d2 - d) <= SPARSE_VS_BAND,
                          "%s: status %s, scd %.2f vs %.2f with the band" %
                          (label, r2.status, d2, d))
            ok2 &= F.check(rss2 < rss_bound(RSS_1D, asan), "%s: peak RSS %.1f MiB" %
                           (label, rss2 / MIB))
            table.add(method, "sparse+jac", "%g" % tol, "%.2f" % d2, "", "", "",
                      "/".join(map(str, counts(r2))), "", "", "%.3f" % r2.attrs["solve_seconds"],
                      "%.1f" % (rss2 / MIB), "ok" if ok2 else "FAIL")
    # Bounded memory where it shows: N = 20000, n = 40000 (a dense Jacobian would be 12.8 GB).
    big_n = 2 * BIG_N
    big_y0 = B.y0_1d(BIG_N).tolist()
    for method in ("BDF", "Radau", "LSODA"):
        label = "1d %s lband=uband=2 N=%d rtol=atol=1e-4" % (method, BIG_N)
        try:
            r, rss, _ = run_ivp_measured(B.make_spec(
                "1d", plugin, method=method, rtol=1e-4, atol=1e-4, y0=big_y0,
                params={"N": BIG_N, "alpha": B.ALPHA1D}, t_eval=[B.T1D[1]]))
        except H.HarnessError as ex:
            F.check(False, "%s: %s" % (label, ex))
            continue
        ok = F.check(r.status == 0 and r.y.shape == (big_n, 1) and
                     bool(np.all(np.isfinite(r.y))),
                     "%s: status %s (%s), y of shape %s" % (label, r.status, r.message,
                                                           r.y.shape))
        ok &= F.check(rss < rss_bound(RSS_1D, asan), "%s: peak RSS %.1f MiB >= %.0f MiB" %
                      (label, rss / MIB, rss_bound(RSS_1D, asan) / MIB))
        table.add(method, "band n=%d" % big_n, "1e-4", "", "", "", "",
                  "/".join(map(str, counts(r))), "", "", "%.3f" % r.attrs["solve_seconds"],
                  "%.1f" % (rss / MIB), "ok" if ok else "FAIL")
    print("== Brusselator 1-D, N = 500, n = 1000, t = 10, 143 reference components; and "
          "N = %d" % BIG_N)
    print(table.text())
    print("(scd over the reference components; excess = scd + log10(rtol); maxdev: largest "
          "relative count difference from scipy)")


def load_reference_2d(data_dir):
    path = os.path.join(data_dir, "brusselator2d_reference.json")
    with open(path, encoding="utf-8") as f:
        ref = json.load(f)
    return ref, np.array(ref["components"], dtype=int)


def part_2d(F, data_dir, part, asan):
    full = part == "2d-full"
    tol = TOL_2D[part]
    ref, idx = load_reference_2d(data_dir)
    plugin = H.plugin_path("brusselator2d")
    t_end = 11.5 if full else 1.5
    times = [t for t in ref["t"] if t <= t_end]
    runs = [("BDF", "plugin"), ("BDF", "fd")]
    if full:
        runs += [("Radau", "plugin"), ("LSODA", "plugin")]
    table = Table(("method", "jac", "t_end", "rtol") + tuple("scd t=%g" % t for t in times) +
                  ("steps/nfev/njev/nlu", "ivp-s", "wall-s", "rss MiB", "ok"))
    for method, jac in runs:
        label = "2d %s jac=%s rtol=atol=%g t=[0, %g]" % (method, jac, tol, t_end)
        spec = B.make_spec("2d", plugin, method=method, rtol=tol, atol=tol, jac=jac,
                           t_span=[0.0, t_end], t_eval=times)
        try:
            r, rss, wall = run_ivp_measured(spec)
        except H.HarnessError as ex:
            F.check(False, "%s: %s" % (label, ex))
            continue
        solved = F.check(r.status == 0 and len(r.t) == len(times) and
                         np.array_equal(r.t, np.array(times)),
                         "%s: status %s (%s), output times %s" % (label, r.status, r.message,
                                                                  r.t.tolist()))
        ok = solved
        digits = []
        for k, t in enumerate(times):
            want = np.array(ref["y"][ref["t"].index(t)], dtype=float)
            d = scd(r.y[idx, k], want) if solved else math.nan
            digits.append("%.2f" % d)
            floor = FLOOR_2D[part][(method, t)]
            ok &= F.check(d >= floor, "%s: scd %.2f at t = %g below the floor %.2f" %
                          (label, d, t, floor))
        bound = rss_bound(RSS_2D[method], asan)
        ok &= F.check(rss < bound, "%s: peak RSS %.0f MiB >= %.0f MiB" %
                      (label, rss / MIB, bound / MIB))
        table.add(method, jac, "%g" % t_end, "%g" % tol, *digits,
                  "/".join(map(str, counts(r))), "%.1f" % r.attrs["solve_seconds"],
                  "%.1f" % wall, "%.0f" % (rss / MIB), "ok" if ok else "FAIL")
    print("== Brusselator 2-D, NS = 128, n = 32768, sparse pattern (6 n = 196608 nonzeros), "
          "reference: tests/data/brusselator2d_reference.json (%d components)" % len(idx))
    print(table.text())
    print("(scd over the reference's components; rss: peak resident set of the ivp process; "
          "a dense n x n Jacobian would need %.0f MiB)" % (32768.0 ** 2 * 8 / MIB))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--part", required=True, choices=("1d", "2d", "2d-full"))
    ap.add_argument("--plugin-dir", help="folder of the tests/problems plugins")
    ap.add_argument("--ivp", help="ivp executable (default $IVP_BIN)")
    ap.add_argument("--data-dir", default=os.path.join(HERE, "..", "data"))
    args = ap.parse_args()
    H.configure(plugin_dir=args.plugin_dir, ivp_bin=args.ivp)
    try:
        H.ivp_bin()
    except H.HarnessError as e:
        print("FAILED: %s" % e)
        return 1
    F = Failures()
    t0 = time.time()
    asan = sanitized()
    if asan:
        print("ivp is built with AddressSanitizer: memory bounds x%d + %d MiB" %
              (ASAN_RSS[0], ASAN_RSS[1] // MIB))
    if args.part == "1d":
        part_1d(F, asan)
    else:
        part_2d(F, args.data_dir, args.part, asan)
    print("(%.0f s)" % (time.time() - t0))
    return F.report("Brusselator %s: all runs reach their accuracy floors within their memory "
                    "bounds" % args.part)


if __name__ == "__main__":
    sys.exit(main())
