# SPDX-License-Identifier: MIT
"""tests/stiff/crosscheck_stiff.py - ivp's Radau and BDF against scipy 1.10.1's on stiff problems.

Both integrate the same right-hand side (the plugin in C; ivp_problems.py's bit-identical Python
twin for scipy) with the same method, tolerances and Jacobian: the plugin's analytic jac (scipy
calls the same C function through ctypes) or finite differences ("jac": "fd"; scipy jac=None,
its num_jac). Problems and (rtol, atol):
  rober   (1e-4, 1e-8), (1e-6, 1e-10), (1e-8, 1e-12)     [0, 1e11]
  vdpol   eps = 1e-6: rtol = atol = 1e-4, 1e-6, 1e-8    [0, 2]
  vdpolm  mu = 1000: (1e-3, 1e-6), (1e-6, 1e-9)         [0, 3000]
  hires, orego, pollu: rtol = atol = 1e-4, 1e-6, 1e-8
  e5      rtol = 1e-4, 1e-6, 1e-8, atol = 1.7e-24       [0, 1e13]
Radau and BDF, each with both Jacobians: 80 runs.

Asserted:
  counts   steps, nfev, njev and nlu each within COUNT_REL = 2% of scipy's. Where one is not,
           scipy is run six more times with f perturbed by up to 1 ulp per component (fixed
           seeds; "twins"): what rounding alone does to scipy's own counts. Then ivp's count
           must lie in the range of scipy's and its twins', widened by TWIN_REL = 3% (six
           twins sample rounding's spread only roughly). Measured: 76 or 77 of the 80 runs
           agree within 2% (56 or 57 exactly); the others deviate by up to 5.2% and lie inside
           the twins' range: E5 Radau fd rtol 1e-4 (steps 242 vs 230 or 232: scipy's own
           count differs between a standalone run and this script's, presumably through
           alignment-dependent vectorised arithmetic; twins 230..245), VDPOLM Radau 1e-3 (njev
           97 vs 99 or 101, twins 97..101), OREGO BDF analytic 1e-6 (steps 1321 vs 1313;
           ivp's counts are exactly those of a twin). Stiff step-size control amplifies 1-ulp
           differences (numpy's BLAS/LAPACK vs ivp's loops and LU) into different but equally
           valid step sequences;
  same     at least SAME_MIN = 50% of the runs have all four counts identical to scipy's
           (measured: 56 or 57 of 80; scipy's own 1-ulp twins: 54 and 53 of 80). A logic
           difference (Jacobian reuse, step-size or order selection, Newton control) would make
           nearly every run differ; rounding leaves most of them identical;
  totals   summed over the runs of each (method, Jacobian), every count within TOTAL_REL = 3%
           of scipy's sum (measured: 0.28% at most; three scipy twins' totals differ from
           scipy's by up to 2.5% - BDF fd njev, where E5 at rtol 1e-4 switches between a
           353-step and a 573-step path): a coarse bound on a one-sided, systematic difference;
  states   where the step sequences agree - |t_ivp - t_scipy| <= T_REL (1e-10) |t_scipy| at
           every step so far - the states agree to Y_REL = 1e-8 relative (for rtol <= 1e-6;
           Y_REL_LOOSE = 1e-6 for rtol >= 1e-4), after moving scipy's state to ivp's time with
           f (y + f(t, y) dt: at VDPOL's fronts |y'| ~ 1e7, so a 1e-13 shift in t is already
           a 1e-6 difference in y), relative to a local scale max(|y| at this step and its
           neighbours, atol). Measured: <= 1.4e-9 for rtol <= 1e-6; up to 1.0e-7 at rtol >=
           1e-4 (E5 BDF 1e-4, VDPOL BDF 1e-4), where scipy's own twins differ from scipy by
           as much (1.4e-7): the Newton iterations stop at min(0.03, rtol^0.5) and
           ill-conditioned Newton matrices turn 1-ulp differences into these;
  status   both reach tend.
Prints per run: counts of ivp and scipy, the largest relative count deviation, the first step
whose time differs by more than T_REL ("agree" steps) and the largest state difference there;
then the totals and the maximum deviations. Usage: crosscheck_stiff.py --plugin-dir DIR
[--ivp IVP]. Exits 1 listing the failures.
"""
import argparse
import sys
import time
import warnings

import numpy as np

from stiff_common import H, PROBLEMS, Failures, Table, counts, scipy_jac

COUNT_REL = 0.02
# How far outside scipy's twins' range a count may fall: six twins sample rounding's spread
# only roughly (seen: njev 97 with twins at 99..101 in one session, 97..101 in another).
TWIN_REL = 0.03
TOTAL_REL = 0.03
SAME_MIN = 0.5
T_REL = 1e-10
Y_REL = 1e-8
Y_REL_LOOSE = 1e-6
N_TWINS = 6
QUANTITIES = ("steps", "nfev", "njev", "nlu")

CASES = [
    ("rober", None, [(1e-4, 1e-8), (1e-6, 1e-10), (1e-8, 1e-12)]),
    ("vdpol", None, [(1e-4, 1e-4), (1e-6, 1e-6), (1e-8, 1e-8)]),
    ("vdpolm", [0.0, 3000.0], [(1e-3, 1e-6), (1e-6, 1e-9)]),
    ("hires", None, [(1e-4, 1e-4), (1e-6, 1e-6), (1e-8, 1e-8)]),
    ("orego", None, [(1e-4, 1e-4), (1e-6, 1e-6), (1e-8, 1e-8)]),
    ("e5", None, [(1e-4, 1.7e-24), (1e-6, 1.7e-24), (1e-8, 1.7e-24)]),
    ("pollu", None, [(1e-4, 1e-4), (1e-6, 1e-6), (1e-8, 1e-8)]),
]
METHODS = ("Radau", "BDF")
JACS = ("plugin", "fd")


def scipy_run(problem, method, rtol, atol, span, jac, perturb=None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return H.run_scipy(problem, method=method, rtol=rtol, atol=atol, t_span=span,
                           jac=jac, perturb=perturb)


def agreeing_prefix(t_ivp, t_sp):
    """Number of leading steps whose times agree to T_REL (relative)."""
    m = min(len(t_ivp), len(t_sp))
    bad = np.nonzero(np.abs(t_ivp[:m] - t_sp[:m]) > T_REL * np.abs(t_sp[:m]))[0]
    return int(bad[0]) if len(bad) else m


def state_difference(r, s, k, f, atol):
    """Largest |y_ivp - (y_sp + f (t_ivp - t_sp))| / local scale over the first k steps, and
    where (component, step)."""
    if k == 0:
        return 0.0, None
    a = np.abs(s.y[:, :k])
    scale = a.copy()
    scale[:, 1:] = np.maximum(scale[:, 1:], a[:, :-1])
    scale[:, :-1] = np.maximum(scale[:, :-1], a[:, 1:])
    scale = np.maximum(scale, atol)
    dt = r.t[:k] - s.t[:k]
    moved = s.y[:, :k].copy()
    for j in np.nonzero(dt)[0]:
        moved[:, j] += f(s.t[j], s.y[:, j]) * dt[j]
    d = np.abs(r.y[:, :k] - moved) / scale
    i, j = np.unravel_index(np.argmax(d), d.shape)
    return float(d[i, j]), (int(i), int(j))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--plugin-dir", help="folder of the tests/problems plugins")
    ap.add_argument("--ivp", help="ivp executable (default $IVP_BIN)")
    args = ap.parse_args()
    H.configure(plugin_dir=args.plugin_dir, ivp_bin=args.ivp)
    try:
        H.ivp_bin()
    except H.HarnessError as e:
        print("FAILED: %s" % e)
        return 1
    F = Failures()
    table = Table(("problem", "method", "jac", "rtol", "atol", "ivp steps/nfev/njev/nlu",
                   "scipy steps/nfev/njev/nlu", "maxdev", "twins", "agree", "ydev", "ok"))
    totals = {}
    worst = (0.0, "")
    worst_y = {True: 0.0, False: 0.0}
    n_within, n_exact, n_runs = 0, 0, 0
    t_start = time.time()
    for problem, span, tols in CASES:
        span = span or PROBLEMS[problem].t_span
        f = PROBLEMS[problem].fun()
        jac_plugin = scipy_jac(problem)
        for method in METHODS:
            for rtol, atol in tols:
                for jac in JACS:
                    label = "%s %s jac=%s rtol=%g atol=%g" % (problem, method, jac, rtol, atol)
                    sjac = jac_plugin if jac == "plugin" else None
                    try:
                        r = H.run_ivp(H.make_spec(problem, method=method, rtol=rtol, atol=atol,
                                                  t_span=span, jac=jac))
                    except H.HarnessError as e:
                        F.check(False, "%s: %s" % (label, e))
                        continue
                    s = scipy_run(problem, method, rtol, atol, span, sjac)
                    n_runs += 1
                    if not F.check(r.status == 0 and s.status == 0,
                                   "%s: status ivp %s (%s), scipy %s (%s)" %
                                   (label, r.status, r.message, s.status, s.message)):
                        continue
                    ci, cs = counts(r), counts(s)
                    for q, a, b in zip(QUANTITIES, ci, cs):
                        t = totals.setdefault((method, jac, q), [0, 0])
                        t[0] += a
                        t[1] += b
                    devs = [abs(a - b) / b if b else float(a != b) for a, b in zip(ci, cs)]
                    maxdev = max(devs)
                    n_exact += ci == cs
                    twin_note = ""
                    ok = True
                    if maxdev <= COUNT_REL:
                        n_within += 1
                    else:
                        twins = [counts(scipy_run(problem, method, rtol, atol, span, sjac,
                                                  perturb=1000 + k)) for k in range(N_TWINS)]
                        lo = [min([b] + [tw[q] for tw in twins]) for q, b in enumerate(cs)]
                        hi = [max([b] + [tw[q] for tw in twins]) for q, b in enumerate(cs)]
                        twin_note = "/".join("%d-%d" % (a, b) for a, b in zip(lo, hi))
                        if any(tuple(tw) == ci for tw in twins):
                            twin_note += " (=twin)"
                        for q, a in enumerate(ci):
                            ok &= F.check(lo[q] * (1 - TWIN_REL) <= a <= hi[q] * (1 + TWIN_REL),
                                          "%s: %s = %d, scipy %d, off by %.1f%% (> %.0f%%) and "
                                          "outside scipy's 1-ulp twins' range %d..%d (+-%.0f%%)"
                                          % (label, QUANTITIES[q], a, cs[q], 100 * devs[q],
                                             100 * COUNT_REL, lo[q], hi[q], 100 * TWIN_REL))
                    if maxdev > worst[0]:
                        worst = (maxdev, label)
                    k = agreeing_prefix(r.t, s.t)
                    ydev, where = state_difference(r, s, k, f, atol)
                    loose = rtol > 1e-6
                    y_rel = Y_REL_LOOSE if loose else Y_REL
                    worst_y[loose] = max(worst_y[loose], ydev)
                    ok &= F.check(ydev <= y_rel,
                                  "%s: where the steps agree (first %d of %d), y%d at step %d "
                                  "(t = %.17g) differs by %.3g relative (> %g): ivp %.17g, "
                                  "scipy %.17g" %
                                  (label, k, len(s.t), where[0] + 1 if where else 0,
                                   where[1] if where else 0, s.t[where[1]] if where else 0,
                                   ydev, y_rel, r.y[where] if where else 0,
                                   s.y[where] if where else 0))
                    table.add(problem, method, jac, "%g" % rtol, "%g" % atol,
                              "/".join(map(str, ci)), "/".join(map(str, cs)),
                              "%.2f%%" % (100 * maxdev), twin_note,
                              "%d/%d" % (k, len(s.t)), "%.1e" % ydev, "ok" if ok else "FAIL")
    print(table.text())
    print("\n(maxdev: largest |ivp - scipy| / scipy over steps, nfev, njev, nlu; twins: "
          "range of scipy and its %d 1-ulp twins, computed where maxdev > %.0f%%; agree: "
          "leading steps whose t agree to %g relative, of scipy's; ydev: largest state "
          "difference there (time-corrected, local scale))" %
          (N_TWINS, 100 * COUNT_REL, T_REL))

    tt = Table(("method", "jac", "quantity", "ivp total", "scipy total", "deviation", "ok"))
    worst_total = 0.0
    for (method, jac, q), (a, b) in totals.items():
        dev = (a - b) / b if b else 0.0
        worst_total = max(worst_total, abs(dev))
        ok = F.check(abs(dev) <= TOTAL_REL, "totals %s jac=%s %s: ivp %d, scipy %d (%+.2f%%, "
                     "> %.1f%%): a systematic difference" % (method, jac, q, a, b, 100 * dev,
                                                            100 * TOTAL_REL))
        tt.add(method, jac, q, a, b, "%+.3f%%" % (100 * dev), "ok" if ok else "FAIL")
    print("\n" + tt.text())
    F.check(n_exact >= SAME_MIN * n_runs, "only %d of %d runs have counts identical to "
            "scipy's (< %.0f%%): a systematic difference" % (n_exact, n_runs, 100 * SAME_MIN))
    print("\n%d runs: %d with identical counts, %d within %.0f%% of scipy's; largest count "
          "deviation %.2f%% (%s); largest deviation of a total %.3f%%; largest state "
          "difference where the steps agree %.1e (rtol <= 1e-6), %.1e (rtol >= 1e-4); %.0f s" %
          (n_runs, n_exact, n_within, 100 * COUNT_REL, 100 * worst[0], worst[1],
           100 * worst_total, worst_y[False], worst_y[True], time.time() - t_start))
    return F.report("ivp's Radau and BDF take scipy's steps: counts within %.0f%% (or within "
                    "scipy's own rounding spread), %d of %d runs identical, totals within "
                    "%.0f%%, states within %g" % (100 * COUNT_REL, n_exact, n_runs,
                                                 100 * TOTAL_REL, Y_REL))


if __name__ == "__main__":
    sys.exit(main())
