# SPDX-License-Identifier: MIT
"""tests/scipy/crosscheck.py - ivp's explicit methods against scipy 1.10.1's solve_ivp.

Both integrate the same right-hand side (the plugin in C, ivp_problems.py's bit-identical
Python twin for scipy) with the same method and options, so they should take the same steps:

  steps     RK23, RK45, DOP853 x nine problems x three (rtol, atol) pairs (RK23: two):
            equal numbers of accepted steps (len(t)), nfev within 1% (they should be
            equal), status, and the states;
  sec12     scipy-algorithms.md section 12: y' = -0.5 y, y0 = [2, 4, 8] on [0, 10], default
            tolerances: npts, nfev, t[1], y0(10) equal to the published digits (1e-12),
            for ivp and for the local scipy; DOP853 with dense output: nfev 62;
  t_eval    linspace (spec {"linspace": ...} and an array) and explicit lists, forward and
            backward, with and without dense output: output t exactly t_eval, states;
  dense     ivp's /dense PPoly against scipy's sol at 200 points, degree per method,
            /dense/x = /t, PPoly(t_i) = y_i;
  events    fun_rational per scipy's test_events (direction 0/+1/-1, terminal e3), forward
            and backward, with section 11's expectations; the oscillator with ivp's integer
            terminal counts; every run of fun_rational in any section also compares all
            three events (times to 1e-12, states, g(t_e, y_e) = 0);
  backward  decreasing t_span; options: first_step, max_step and per-component atol.

How states are compared. Where the step sequences agree (|t_ivp - t_scipy| <= 1e-12 times the
span's magnitude at every step), every state must agree to 1e-9 relative to its local scale
(see local_scale). The explicit methods' step-size controller feeds on an error estimate
that is a heavily cancelling sum; at tight tolerances it is dominated by rounding, so a
different but equally valid summation order (numpy's BLAS dot vs the C loops) moves the step
sizes by far more than 1e-12 (measured: 1-ulp perturbations of f move DOP853's steps by 1e-6
on y' = -y at rtol 1e-9). There ("~" in the tables) we measure that natural spread: six scipy
"twins" whose f is perturbed by up to 1 ulp per component. ivp's step times must stay within
100 times the twins' spread from scipy's, and its states within 100 times the twins' spread
(at least 1e-9) from scipy's dense output at ivp's own times. Everything else is strict.

Documented deliberate difference (core/src/driver.c): an event function exactly zero at a step
end is reported once by ivp, twice by scipy 1.10.1 (again at the next step's start); scipy's
repeat, and the 3 rhs calls its DOP853 spends on that step's interpolant, are discounted.

Usage: crosscheck.py --plugin-dir DIR [--ivp IVP] [--only SECTION...]. Needs IVP_BIN.
Exits 1 listing every failed check (problem / method / quantity / values).
"""
import argparse
import math
import sys
import traceback

import numpy as np

import ivp_harness as H
from ivp_problems import PROBLEMS, exact_fun_rational

METHODS = ("RK23", "RK45", "DOP853")
DEGREE = {"RK23": 3, "RK45": 4, "DOP853": 7}
TOLS = ((1e-3, 1e-6), (1e-6, 1e-9), (1e-9, 1e-12))
# RK23 at 1e-9 takes ~10^4 steps per problem in scipy: two pairs keep the test fast.
STEP_TOLS = {"RK23": TOLS[:2], "RK45": TOLS, "DOP853": TOLS}
T_REL = 1e-12        # step sequences agree: t equal to this, relative to the span's magnitude
Y_REL = 1e-9         # states agree to this, relative to the local scale
TWIN_FACTOR = 100.0  # noise regime: allowed multiple of the rounding spread


class Checks:
    """Collects comparisons for the tables and the failures for the exit status."""

    def __init__(self):
        self.fails = []
        self.tables = {}
        self.notes = []

    def fail(self, what):
        self.fails.append(what)

    def require(self, ok, what):
        if not ok:
            self.fail(what)
        return ok

    def row(self, table, header, values):
        old_header, rows = self.tables.get(table, ((), []))
        rows.append(tuple(values))
        self.tables[table] = (header if len(header) > len(old_header) else old_header, rows)

    def print_tables(self):
        for name, (header, rows) in self.tables.items():
            rows = [r + ("",) * (len(header) - len(r)) for r in rows]
            print("\n== %s" % name)
            widths = [max(len(str(h)), *(len(str(r[i])) for r in rows)) for i, h in
                      enumerate(header)]
            print("  ".join(str(h).ljust(w) for h, w in zip(header, widths)))
            for r in rows:
                print("  ".join(str(v).ljust(w) for v, w in zip(r, widths)))


C = Checks()


# ---------------------------------------------------------------------------------------------
# Comparison helpers

def local_scale(b):
    """Per-entry scale of a state history b (n, N): the largest |b| among the entry and its
    neighbours in time. An elementwise relative test |a - b| <= r |b| breaks down where a
    component passes through zero (detest_B5, lorenz, fun_linear): the values that cross
    there are tiny while both solvers' rounding differences are of the size of the
    component's values over the step that crosses, i.e. of its neighbours. A global max
    norm, on the other hand, would make the test weak for components that decay over
    decades (detest_C1, exp_decay), where the neighbours are of the same size as the entry
    and the local scale is a true relative test."""
    a = np.abs(np.asarray(b, dtype=float))
    if a.ndim == 1:
        a = a[:, None]
    s = a.copy()
    if a.shape[1] > 1:
        s[:, 1:] = np.maximum(s[:, 1:], a[:, :-1])
        s[:, :-1] = np.maximum(s[:, :-1], a[:, 1:])
    return s


def rel_err_local(a, b):
    """max |a - b| / local_scale(b), and the (component, index) where it is attained."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    if a.ndim == 1:
        a = a[:, None]
        b = b[:, None]
    if a.shape != b.shape:
        return math.inf, None
    if a.size == 0:
        return 0.0, None
    d = np.abs(a - b) / (local_scale(b) + 1e-300)
    d[a == b] = 0.0
    k = np.unravel_index(np.argmax(d), d.shape)
    return float(d[k]), k


def t_scale(t_span):
    return max(abs(t_span[0]), abs(t_span[1]), abs(t_span[1] - t_span[0]))


def first_t_difference(ta, tb, scale):
    """Index of the first step whose times differ by more than T_REL * scale, or None."""
    m = min(len(ta), len(tb))
    bad = np.nonzero(np.abs(ta[:m] - tb[:m]) > T_REL * scale)[0]
    return int(bad[0]) if len(bad) else None


def scipy_twins(problem, count=6, **kw):
    """scipy runs with f perturbed by up to 1 ulp per component (fixed seeds): how much
    rounding alone moves the steps and the states."""
    return [H.run_scipy(problem, perturb=1000 + seed, **kw) for seed in range(count)]


def fmt(x):
    if isinstance(x, float):
        return "%.3g" % x
    return str(x)


def history_dy(a, b):
    """max |a - b| / local_scale(b) over the whole history (inf if the shapes differ)."""
    return rel_err_local(a, b)[0]


def compare_trajectories(label, problem, r, s, scipy_kw, table="steps", extra=()):
    """The core comparison of an ivp run r with a scipy run s: status, len(t), nfev, t and
    y (strict where the steps agree, against the rounding spread elsewhere).
    Returns (ok, y_tol): y_tol is the relative state difference (local scale) that the run
    allows: Y_REL where the steps agree, else the rounding-spread bound."""
    ok = True
    y_tol = Y_REL
    span = scipy_kw.get("t_span") or PROBLEMS[problem].t_span
    nfev_sp = s.nfev
    if PROBLEMS[problem].events:
        nfail = len(C.fails)
        summary, correction = event_check(label, r, s, problem, scipy_kw.get("method", "RK45"),
                                          bool(scipy_kw.get("dense_output")))
        ok &= len(C.fails) == nfail
        nfev_sp += correction
        extra = tuple(extra) + (("events (ivp)", summary),)
    ok &= C.require(r.status == s.status, "%s: status ivp %s, scipy %s (%s / %s)" %
                    (label, r.status, s.status, r.attrs.get("message"), s.message))
    ok &= C.require(len(r.t) == len(s.t), "%s: number of output points ivp %d, scipy %d%s" %
                    (label, len(r.t), len(s.t), describe_first_difference(r, s, span)))
    nf_ok = abs(r.nfev - nfev_sp) <= 0.01 * nfev_sp
    ok &= C.require(nf_ok, "%s: nfev ivp %d, scipy %d%s" % (
        label, r.nfev, nfev_sp, "" if nfev_sp == s.nfev else
        " (its count %d less the rhs calls for repeated events)" % s.nfev))
    mode, dt, dy = "", float("nan"), float("nan")
    if len(r.t) == len(s.t) and len(s.t) > 0:
        scale = t_scale(span)
        dt = float(np.max(np.abs(r.t - s.t))) / scale
        k = first_t_difference(r.t, s.t, scale)
        dy, where = rel_err_local(r.y, s.y)
        if k is None:
            mode = "="
            ok &= C.require(dy <= Y_REL, "%s: states differ by %.3g relative (component %s, "
                            "t = %r: ivp %r, scipy %r)" % (
                                label, dy, where and where[0], s.t[where[1]] if where else None,
                                r.y[where] if where else None, s.y[where] if where else None))
        else:
            # Noise regime: the step times differ, so compare each state with scipy's dense
            # output at the same time (a rerun with dense_output, which takes the same steps);
            # measure how far rounding alone moves scipy (twins with f perturbed by 1 ulp)
            # and allow TWIN_FACTOR times that.
            mode = "~"
            sd = H.run_scipy(problem, **dict(scipy_kw, dense_output=True))

            def off(res):
                return history_dy(res.y, sd.sol(res.t))
            twins = scipy_twins(problem, **scipy_kw)
            same = [w for w in twins if len(w.t) == len(s.t)]
            # With rounding even changing the number of steps, t cannot be compared.
            tw_dt = max((float(np.max(np.abs(w.t - s.t))) / scale for w in same), default=1.0)
            tw_dy = max(off(w) for w in twins)
            dy = off(r)
            y_tol = max(TWIN_FACTOR * tw_dy, Y_REL)
            C.notes.append("%s: steps agree to %.0e up to step %d (t = %r: ivp %r); rounding "
                           "spread of scipy twins: t %.1e, y %.1e; ivp vs scipy: t %.1e, y %.1e"
                           % (label, T_REL, k, s.t[k], r.t[k], tw_dt, tw_dy, dt, dy))
            ok &= C.require(dt <= max(TWIN_FACTOR * tw_dt, T_REL),
                            "%s: step times differ from scipy by %.3g relative (first at step "
                            "%d: ivp %r, scipy %r), %.3g times scipy's own rounding spread %.3g"
                            % (label, dt, k, r.t[k], s.t[k], dt / max(tw_dt, 1e-300), tw_dt))
            ok &= C.require(dy <= y_tol,
                            "%s: states differ from scipy's dense output at the same times by "
                            "%.3g relative; scipy's rounding spread is %.3g" % (label, dy, tw_dy))
    C.row(table, ("case", "npts ivp/sp", "nfev ivp/sp", "max dt", "max dy", "", "ok") +
          tuple(e[0] for e in extra),
          (label, "%d/%d" % (len(r.t), len(s.t)), "%d/%d%s" % (r.nfev, nfev_sp,
                                                             "" if r.nfev == nfev_sp else " !"),
           fmt(dt), fmt(dy), mode, "ok" if ok else "FAIL") + tuple(e[1] for e in extra))
    return ok, y_tol


def describe_first_difference(r, s, span):
    m = min(len(r.t), len(s.t))
    if m == 0:
        return ""
    k = first_t_difference(r.t[:m], s.t[:m], t_scale(span))
    if k is None:
        return "; the first %d steps agree, then ivp %s, scipy %s" % (
            m, r.t[m:m + 2].tolist(), s.t[m:m + 2].tolist())
    return "; first differing step %d: t ivp %r, scipy %r; y ivp %s, scipy %s" % (
        k, r.t[k], s.t[k], r.y[:, k].tolist(), s.y[:, k].tolist())


def run_pair(label, problem, scipy_kw, spec_kw=None, expect_rc=(0,)):
    """Runs ivp (spec from scipy's options unless spec_kw is given) and scipy."""
    kw = dict(scipy_kw)
    spec = H.make_spec(problem, **(spec_kw if spec_kw is not None else kw))
    r = H.run_ivp(spec, expect_rc=expect_rc)
    check_format(label, r)
    s = H.run_scipy(problem, **kw)
    return r, s


def check_format(label, r):
    """The output file's layout (contracts.md section 3), as read by the harness."""
    for p in r.format_problems:
        C.fail("%s: output file: %s" % (label, p))


def guarded(label, fn, *a, **kw):
    try:
        return fn(*a, **kw)
    except H.HarnessError as e:
        C.fail("%s: %s" % (label, e))
    except Exception as e:  # a crash in a check is a failure of that check, not of the rest
        C.fail("%s: %s: %s\n%s" % (label, type(e).__name__, e, traceback.format_exc()))
    return None


# ---------------------------------------------------------------------------------------------
# Sections

STEP_PROBLEMS = (
    ("exp_decay", None), ("detest_A1", None), ("detest_B5", None), ("detest_C1", None),
    ("detest_E1", None), ("lotka_volterra", None), ("lorenz", [0.0, 5.0]),
    ("fun_rational", None), ("fun_linear", None),
)


def section_steps():
    for problem, span in STEP_PROBLEMS:
        for method in METHODS:
            for rtol, atol in STEP_TOLS[method]:
                label = "%s %s rtol=%g atol=%g" % (problem, method, rtol, atol)
                kw = dict(method=method, rtol=rtol, atol=atol)
                if span:
                    kw["t_span"] = span

                def one(kw=kw, label=label, problem=problem):
                    r, s = run_pair(label, problem, kw)
                    compare_trajectories(label, problem, r, s, kw)
                guarded(label, one)


SEC12 = {  # (npts, nfev, t[1], y0(10)) from scipy-algorithms.md section 12
    "RK23": (16, 47, 0.02714681459685608, 0.013278896040337244),
    "RK45": (8, 44, 0.11487653462140478, 0.013507806569964326),
    "DOP853": (5, 50, 0.25860956205565166, 0.013476952636504433),
}


def section_defaults():
    """A spec with only plugin, t_span and y0: RK45, rtol 1e-3, atol 1e-6, as solve_ivp."""
    for problem in ("fun_rational", "detest_B5"):
        label = "defaults %s (no method, rtol, atol)" % problem

        def one(problem=problem, label=label):
            r, s = run_pair(label, problem, {})
            C.require(r.attrs.get("method") == "RK45" and r.attrs.get("rtol") == 1e-3 and
                      r.attrs.get("atol") == 1e-6, "%s: attributes method %r rtol %r atol %r"
                      % (label, r.attrs.get("method"), r.attrs.get("rtol"),
                         r.attrs.get("atol")))
            compare_trajectories(label, problem, r, s, {}, table="steps")
        guarded(label, one)


def section_sec12():
    hdr = ("method", "who", "npts", "nfev", "t[1]", "y0(10)", "ok")
    for method, (npts, nfev, t1, y10) in SEC12.items():
        label = "sec12 y'=-0.5y %s" % method
        kw = dict(method=method, t_span=[0.0, 10.0], y0=[2.0, 4.0, 8.0],
                  params={"lambda": -0.5})

        def one(method=method, npts=npts, nfev=nfev, t1=t1, y10=y10, label=label, kw=kw):
            # The spec leaves rtol/atol out: ivp's defaults must be scipy's (1e-3, 1e-6).
            r = H.run_ivp(H.make_spec("exp_decay", **kw))
            check_format(label, r)
            s = H.run_scipy("exp_decay", **kw)
            for who, res in (("ivp", r), ("scipy", s)):
                ok = True
                ok &= C.require(len(res.t) == npts, "%s: %s npts %d, published %d" %
                                (label, who, len(res.t), npts))
                ok &= C.require(res.nfev == nfev, "%s: %s nfev %d, published %d" %
                                (label, who, res.nfev, nfev))
                ok &= C.require(len(res.t) > 1 and abs(res.t[1] - t1) <= 1e-12 * t1,
                                "%s: %s t[1] = %r, published %r" % (label, who,
                                                                   res.t[1:2], t1))
                ok &= C.require(abs(res.y[0, -1] - y10) <= 1e-12 * y10,
                                "%s: %s y0(10) = %r, published %r" % (label, who,
                                                                      res.y[0, -1], y10))
                C.row("sec12 reference runs (published digits)", hdr,
                      (method, who, len(res.t), res.nfev, "%.17g" % res.t[1],
                       "%.17g" % res.y[0, -1], "ok" if ok else "FAIL"))
            compare_trajectories(label, "exp_decay", r, s, kw, table="steps")
        guarded(label, one)
    # DOP853 with dense output: 3 more nfev per step (62).
    label = "sec12 DOP853 dense_output nfev"

    def dense_one():
        kw = dict(method="DOP853", t_span=[0.0, 10.0], y0=[2.0, 4.0, 8.0],
                  params={"lambda": -0.5}, dense_output=True)
        r = H.run_ivp(H.make_spec("exp_decay", **kw))
        check_format(label, r)
        s = H.run_scipy("exp_decay", **kw)
        ok = C.require(r.nfev == 62 and s.nfev == 62, "%s: ivp %d, scipy %d, published 62" %
                       (label, r.nfev, s.nfev))
        C.row("sec12 reference runs (published digits)", hdr,
              ("DOP853+dense", "ivp/scipy", "%d/%d" % (len(r.t), len(s.t)),
               "%d/%d" % (r.nfev, s.nfev), "", "", "ok" if ok else "FAIL"))
    guarded(label, dense_one)


def section_t_eval():
    cases = [
        # (problem, t_span, spec t_eval, numpy t_eval)
        ("fun_rational", [5.0, 9.0], {"linspace": [5.0, 9.0, 10]}, np.linspace(5.0, 9.0, 10)),
        ("fun_rational", [5.0, 9.0], np.linspace(5.0, 9.0, 10), np.linspace(5.0, 9.0, 10)),
        ("fun_rational", [5.0, 1.0], {"linspace": [5.0, 1.0, 10]}, np.linspace(5.0, 1.0, 10)),
        ("fun_rational", [5.0, 9.0], [5, 5.01, 7, 8, 8.01, 9], None),
        ("fun_rational", [5.0, 1.0], [5, 4.99, 3, 1.5, 1.1, 1.01, 1], None),
        ("fun_rational", [5.0, 9.0], [5.01, 7, 8, 8.01], None),
        ("fun_rational", [5.0, 1.0], [4.99, 3, 1.5, 1.1, 1.01], None),
        ("detest_B5", [0.0, 20.0], {"linspace": [0.0, 20.0, 41]}, np.linspace(0.0, 20.0, 41)),
        ("lotka_volterra", [10.0, 0.0], [9.5, 7.25, 3.0, 0.5], None),
    ]
    for method in METHODS:
        for problem, span, spec_te, np_te in cases:
            te = np.asarray(np_te if np_te is not None else spec_te, dtype=float)
            kind = "linspace" if isinstance(spec_te, dict) else "list"
            for dense in (False, True):
                label = "t_eval %s %s %s [%g..%g] %s%s" % (problem, method, kind, te[0], te[-1],
                                                           "fwd" if span[1] > span[0]
                                                           else "bwd",
                                                           " +dense" if dense else "")
                kw = dict(method=method, t_span=span, t_eval=te, dense_output=dense)
                skw = dict(kw, t_eval=spec_te)

                def one(kw=kw, skw=skw, label=label, te=te, problem=problem, kind=kind):
                    r, s = run_pair(label, problem, kw, spec_kw=skw)
                    exact = np.array_equal(r.t, te) if kind == "list" else (
                        len(r.t) == len(te) and
                        np.max(np.abs(r.t - te)) <= 4 * np.finfo(float).eps * t_scale(
                            kw["t_span"]))
                    C.require(exact, "%s: output t %s is not t_eval %s" %
                              (label, r.t.tolist(), te.tolist()))
                    ok, y_tol = compare_trajectories(label, problem, r, s, kw, table="t_eval")
                    if kw["dense_output"] and C.require(r.sol is not None,
                                                        "%s: no /dense" % label):
                        # With t_eval the interpolant still covers every step of the span.
                        tt = np.linspace(kw["t_span"][0], kw["t_span"][1], 50)
                        dd, _ = rel_err_local(r.dense(tt), s.sol(tt))
                        C.require(dd <= y_tol, "%s: dense output differs from scipy's sol by "
                                  "%.3g relative" % (label, dd))
                guarded(label, one)


DENSE_CASES = (
    ("fun_rational", [5.0, 9.0]), ("fun_rational", [9.0, 5.0], [9.0 / 19.0, 90.0 / 361.0]),
    ("detest_B5", [0.0, 20.0]),
    ("detest_E1", [0.0, 20.0]), ("lorenz", [0.0, 5.0]), ("fun_linear", [0.0, 2.0]),
)


def section_dense():
    for method in METHODS:
        for case in DENSE_CASES:
            problem, span = case[0], case[1]
            for rtol, atol in TOLS[:2]:
                label = "dense %s %s [%g, %g] rtol=%g" % (problem, method, span[0], span[1],
                                                          rtol)
                kw = dict(method=method, t_span=span, rtol=rtol, atol=atol,
                          dense_output=True)
                if len(case) > 2:
                    kw["y0"] = case[2]

                def one(kw=kw, label=label, problem=problem, method=method, span=span):
                    r, s = run_pair(label, problem, kw)
                    ok = C.require(r.sol is not None, "%s: no /dense in the output" % label)
                    if not ok:
                        return
                    deg = r.dense_c.shape[0] - 1
                    C.require(deg == DEGREE[method], "%s: dense degree %d, expected %d" %
                              (label, deg, DEGREE[method]))
                    C.require(r.dense_c.shape[1:] == (len(r.dense_x) - 1, len(s.y)),
                              "%s: /dense/c shape %s does not fit /dense/x (%d) and n = %d" %
                              (label, r.dense_c.shape, len(r.dense_x), len(s.y)))
                    tt = np.linspace(span[0], span[1], 200)
                    a = r.dense(tt)
                    b = s.sol(tt)
                    dd, where = rel_err_local(a, b)
                    # The interpolant passes through the steps (both ends of each segment).
                    sc = local_scale(r.y)
                    ends = np.asarray(r.sol(r.t)).T
                    C.require(np.all(np.abs(ends - r.y) <= 1e-12 * sc + 1e-300),
                              "%s: PPoly(t_i) != y_i (max %.3g relative)" % (
                                  label, np.max(np.abs(ends - r.y) / (sc + 1e-300))))
                    ok, y_tol = compare_trajectories(label, problem, r, s, kw, table="dense",
                                                     extra=(("dense dy", fmt(dd)),))
                    # Without t_eval the breakpoints are the output times (every step).
                    C.require(np.array_equal(r.dense_x, r.t), "%s: /dense/x (%d) is not /t (%d)"
                              % (label, len(r.dense_x), len(r.t)))
                    C.require(dd <= y_tol, "%s: dense output differs from scipy's sol by "
                              "%.3g relative (allowed %.3g) at t = %r (component %d: ivp %r, "
                              "scipy %r)" % (label, dd, y_tol, tt[where[1]], where[0], a[where],
                                             b[where]))
                guarded(label, one)


def scipy_events_as_ivp(s, problem, method, dense, n):
    """scipy's events, less the repeats that ivp leaves out on purpose (core/src/driver.c):
    a zero exactly at a step end is reported by scipy 1.10.1 in that step and again at t_old
    of the next one; ivp reports it once. Returns ({name: (t, y (n, k))}, nfev correction,
    notes): without dense output, scipy's DOP853 built the next step's interpolant (3 counted
    rhs calls) only for that repeat when no other event was active in the step."""
    names = [name for name, _ in PROBLEMS[problem].events]
    # Step ends (with t_eval, s.t holds the t_eval points; the interpolant knows the steps).
    steps = np.asarray(s.sol.ts if s.sol is not None else s.t)
    evs, notes, repeats = {}, [], []
    for k, name in enumerate(names):
        st = np.asarray(s.t_events[k], dtype=float)
        sy = np.asarray(s.y_events[k], dtype=float).reshape(len(st), n).T
        keep = np.ones(len(st), dtype=bool)
        for i in range(1, len(st)):
            if st[i] == st[i - 1]:  # only a zero exactly at a step end repeats
                keep[i] = False
                repeats.append(st[i])
                notes.append("%s at t = %r (an exact zero at a step end) is reported twice by "
                             "scipy, once by ivp (by design)" % (name, st[i]))
        evs[name] = (st[keep], sy[:, keep])
    correction = 0
    if method == "DOP853" and not dense:
        for tr in repeats:
            at = np.nonzero(steps == tr)[0]
            if len(at) == 0 or at[0] + 1 >= len(steps):
                continue
            i = int(at[0])
            lo, hi = sorted((steps[i], steps[i + 1]))
            others = [te for st, _ in evs.values() for te in st
                      if lo <= te <= hi and te != tr]
            if not others:
                correction -= 3
    return evs, correction, notes


def event_check(label, r, s, problem, method, dense):
    """Same events (count, times to 1e-12, states to 1e-9) as scipy, and g(t_e, y_e) = 0.
    Returns (summary text, nfev correction for scipy's count, see scipy_events_as_ivp)."""
    expected, correction, notes = scipy_events_as_ivp(s, problem, method, dense, r.y.shape[0])
    for note in notes:
        C.notes.append("%s: %s" % (label, note))
    summary = []
    for name, (st, sy) in expected.items():
        rec = r.events.get(name)
        if not C.require(rec is not None, "%s: no /events/%s in the output" % (label, name)):
            continue
        C.require(len(rec.t) == len(st), "%s: event %s: ivp found %d (%s), scipy %d (%s)" %
                  (label, name, len(rec.t), rec.t.tolist(), len(st), st.tolist()))
        if len(rec.t) == len(st) and len(st):
            dt = np.max(np.abs(rec.t - st))
            C.require(dt <= 1e-12 * np.max(np.abs(st)),
                      "%s: event %s times ivp %s, scipy %s" % (label, name,
                                                                 rec.t.tolist(), st.tolist()))
            dy, _ = rel_err_local(rec.y, sy)
            C.require(dy <= Y_REL, "%s: event %s states ivp %s, scipy %s" %
                      (label, name, rec.y.tolist(), sy.tolist()))
        g = dict(PROBLEMS[problem].events)[name]
        for te, ye in zip(rec.t, rec.y.T):
            C.require(abs(g(te, ye)) <= 1e-12, "%s: event %s: g(t_e, y_e) = %r at %r" %
                      (label, name, g(te, ye), te))
        summary.append("%s:%s" % (name, ",".join("%.6f" % x for x in rec.t)))
    return " ".join(summary), correction


def section_events():
    # fun_rational, scipy's test_events (section 11), every method, forward and backward.
    for method in METHODS:
        for span in ([5.0, 8.0], [8.0, 5.0]):
            y0 = [1.0 / 3.0, 2.0 / 9.0] if span[0] == 5.0 else [4.0 / 9.0, 20.0 / 81.0]
            for direction in (0, 1, -1, "terminal"):
                if direction == "terminal":
                    evs = {"e3": {"terminal": True}}
                else:
                    evs = {"e1": {"direction": direction}, "e2": {"direction": direction}}
                label = "events fun_rational %s [%g, %g] %s" % (method, span[0], span[1],
                                                                "e3 terminal" if direction ==
                                                                "terminal" else
                                                                "direction %+d" % direction)
                kw = dict(method=method, t_span=span, y0=y0, events=evs)

                def one(kw=kw, label=label, direction=direction, span=span):
                    r, s = run_pair(label, "fun_rational", kw)
                    expect_section11(label, r, direction, span)
                    compare_trajectories(label, "fun_rational", r, s, kw, table="events")
                guarded(label, one)
    # scipy's test_t_eval_early_event: a terminal event before the first t_eval point leaves
    # t and y empty (status 1), and the event is still recorded.
    for method in METHODS:
        label = "events fun_rational %s t_eval after a terminal e3" % method
        kw = dict(method=method, t_span=[5.0, 9.0], t_eval=np.linspace(7.5, 9.0, 16),
                  events={"e3": {"terminal": True}})

        def early(kw=kw, label=label):
            r, s = run_pair(label, "fun_rational", kw)
            C.require(r.status == 1 and len(r.t) == 0 and r.y.shape == (2, 0),
                      "%s: expected status 1 and empty t, y (2, 0); got status %s, t %s, y %s"
                      % (label, r.status, r.t.tolist(), r.y.shape))
            compare_trajectories(label, "fun_rational", r, s, kw, table="events")
        guarded(label, early)
    # Oscillator: ivp's integer terminal (scipy >= 1.13 semantics). scipy 1.10 stops at the
    # first event, so compare with scipy's non-terminal run: same steps up to the k-th event.
    for method in METHODS:
        for count, direction in ((1, 0), (3, 0), (4, 0), (2, -1)):
            label = "events oscillator %s terminal=%d direction %+d" % (method, count,
                                                                       direction)

            def one(method=method, count=count, direction=direction, label=label):
                span = [0.0, 100.0]
                ev = {"crossing": {"terminal": count, "direction": direction}}
                r = H.run_ivp(H.make_spec("oscillator", method=method, t_span=span,
                                          events=ev))
                check_format(label, r)
                s = H.run_scipy("oscillator", method=method, t_span=span,
                                events={"crossing": {"direction": direction}})
                rec = r.events.get("crossing")
                st = s.t_events[0][:count]
                ok = C.require(r.status == 1, "%s: status %s, expected 1 (terminal)" %
                               (label, r.status))
                ok &= C.require(rec is not None and len(rec.t) == count,
                                "%s: %s events, expected exactly %d" %
                                (label, None if rec is None else len(rec.t), count))
                if rec is not None and len(rec.t) == count:
                    ok &= C.require(np.max(np.abs(rec.t - st)) <= 1e-12 * np.max(st),
                                    "%s: event times ivp %s, scipy %s" % (label,
                                                                         rec.t.tolist(),
                                                                         st.tolist()))
                    # y0 = cos t: zeros at (k + 1/2) pi (every other one with direction -1).
                    step = 2 if direction else 1
                    exact = (np.arange(count) * step + 0.5) * np.pi
                    ok &= C.require(np.max(np.abs(rec.t - exact)) <= 5e-2,
                                    "%s: event times %s, exact %s" % (label, rec.t.tolist(),
                                                                      exact.tolist()))
                    ok &= C.require(r.t[-1] == rec.t[-1] and abs(r.y[0, -1]) <= 1e-14,
                                    "%s: ends at t = %r, y0 = %r; expected the last event "
                                    "%r and y0 = 0" % (label, r.t[-1], r.y[0, -1],
                                                       rec.t[-1]))
                    # Before the stop, ivp's steps are scipy's.
                    m = np.searchsorted(s.t, rec.t[-1])
                    ok &= C.require(len(r.t) == m + 1 and
                                    np.max(np.abs(r.t[:m] - s.t[:m])) <= T_REL * t_scale(span),
                                    "%s: steps before the stop: ivp %d, scipy %d" %
                                    (label, len(r.t) - 1, m))
                    # The rhs calls up to the stop are scipy's up to the stopping step:
                    # nothing is spent after it.
                    nf = scipy_nfev_through("oscillator", method, span, s.t[m],
                                            s.t_events[0][s.t_events[0] <= s.t[m]])
                    ok &= C.require(r.nfev == nf, "%s: nfev ivp %d, scipy up to the "
                                    "stopping step %d" % (label, r.nfev, nf))
                    sp_counts = "%d/%d" % (m + 1, nf)
                else:
                    sp_counts = "-/-"
                C.row("events", ("case", "npts ivp/sp", "nfev ivp/sp", "max dt", "max dy", "",
                                 "ok", "events (ivp)"),
                      (label, "%d/%s" % (len(r.t), sp_counts.split("/")[0]),
                       "%d/%s" % (r.nfev, sp_counts.split("/")[1]), "", "", "", "ok" if ok
                       else "FAIL", "crossing:" + ",".join(
                           "%.6f" % x for x in (rec.t if rec is not None else []))))
            guarded(label, one)
    # An event exactly zero at t0 (y0 = sin t): ivp reports it at t0 but, by design
    # (core/src/driver.c), neither stops there nor counts it towards terminal; scipy 1.10.1
    # would stop at once with t = [t0, t0]. So terminal = 1 stops at the next zero, pi.
    for method in METHODS:
        label = "events oscillator %s zero at t0, terminal=1" % method

        def at_t0(method=method, label=label):
            span = [0.0, 10.0]
            r = H.run_ivp(H.make_spec("oscillator", method=method, t_span=span, y0=[0.0, 1.0],
                                      events={"crossing": {"terminal": 1}}))
            check_format(label, r)
            s = H.run_scipy("oscillator", method=method, t_span=span, y0=[0.0, 1.0])
            rec = r.events.get("crossing")
            want = s.t_events[0][:2]
            ok = C.require(r.status == 1 and rec is not None and len(rec.t) == 2 and
                           rec.t[0] == 0.0 and abs(rec.t[1] - want[1]) <= T_REL * want[1] and
                           r.t[-1] == rec.t[1],
                           "%s: expected status 1, events [0, %r] and the stop at the second; "
                           "got status %s, events %s, last t %r" % (
                               label, want[1], r.status, None if rec is None else
                               rec.t.tolist(), r.t[-1]))
            m = int(np.searchsorted(s.t, want[1]))
            nf = scipy_nfev_through("oscillator", method, span, s.t[m], want, y0=[0.0, 1.0])
            ok &= C.require(len(r.t) == m + 1 and r.nfev == nf,
                            "%s: ivp %d points, nfev %d; scipy up to the stopping step %d, %d"
                            % (label, len(r.t), r.nfev, m + 1, nf))
            C.row("events", ("case", "npts ivp/sp", "nfev ivp/sp", "max dt", "max dy", "",
                             "ok", "events (ivp)"),
                  (label, "%d/%d" % (len(r.t), m + 1), "%d/%d" % (r.nfev, nf), "", "", "",
                   "ok" if ok
                   else "FAIL", "crossing:" + ",".join(
                       "%.6f" % x for x in (rec.t if rec is not None else []))))
        guarded(label, at_t0)


def scipy_nfev_through(problem, method, span, t_step, event_times, y0=None):
    """scipy's nfev once its solver has accepted the step ending at t_step: the solver class
    stepped by hand (a run on a shorter span could clip a step that was rejected first),
    plus DOP853's 3 calls per step whose interpolant the events needed."""
    from scipy.integrate import DOP853, RK23, RK45
    prob = PROBLEMS[problem]
    cls = {"RK23": RK23, "RK45": RK45, "DOP853": DOP853}[method]
    solver = cls(prob.fun(), span[0], np.array(y0 or prob.y0, dtype=float), span[1])
    ends = [solver.t]
    while solver.t != t_step:
        if solver.step() is not None or len(ends) > 10 ** 6:
            raise RuntimeError("scipy %s did not reach t = %r" % (method, t_step))
        ends.append(solver.t)
    extra = 0
    if method == "DOP853":
        steps_with_events = {int(np.searchsorted(ends, te)) for te in event_times}
        extra = 3 * len(steps_with_events)
    return solver.nfev + extra


def expect_section11(label, r, direction, span):
    """scipy's test_events expectations, checked on ivp's output directly."""
    ev = {k: r.events[k].t for k in ("e1", "e2", "e3") if k in r.events}
    forward = span[1] > span[0]
    n1, n2 = len(ev.get("e1", [])), len(ev.get("e2", []))
    if direction == "terminal":
        C.require(r.status == 1 and len(ev.get("e3", [])) == 1 and 7.3 < ev["e3"][0] < 7.5,
                  "%s: expected status 1 and e3 in (7.3, 7.5); got status %s, e3 %s" %
                  (label, r.status, ev.get("e3")))
        if "e3" in ev and len(ev["e3"]):
            C.require(r.t[-1] == ev["e3"][0], "%s: last t %r is not the e3 root %r" %
                      (label, r.t[-1], ev["e3"][0]))
            C.require(np.array_equal(r.y[:, -1], r.events["e3"].y[:, 0]),
                      "%s: last y is not the state at the e3 root" % label)
        if forward:
            C.require(n1 == 1 and n2 == 0, "%s: forward with e3 terminal expects e1 once, no "
                      "e2; got %d, %d" % (label, n1, n2))
        else:
            C.require(n1 == 0 and n2 == 1, "%s: backward with e3 terminal expects e2 once, no "
                      "e1; got %d, %d" % (label, n1, n2))
        return
    C.require(r.status == 0, "%s: status %s, expected 0" % (label, r.status))
    want = {0: (1, 1), 1: (1, 0), -1: (0, 1)}[direction]
    if not forward:
        want = {0: (1, 1), 1: (0, 1), -1: (1, 0)}[direction]
    C.require((n1, n2) == want, "%s: expected (e1, e2) counts %s, got %s" %
              (label, want, (n1, n2)))
    if n1 == 1:
        C.require(5.3 < ev["e1"][0] < 5.7, "%s: e1 at %r, expected in (5.3, 5.7)" %
                  (label, ev["e1"][0]))
        yex = exact_fun_rational(ev["e1"])[:, 0]
        C.require(np.all(np.abs(r.events["e1"].y[:, 0] - yex) <= 1e-6 + 1e-3 * np.abs(yex)),
                  "%s: y at e1 %s, exact %s" % (label, r.events["e1"].y[:, 0], yex))
    if n2 == 1:
        C.require(7.3 < ev["e2"][0] < 7.7, "%s: e2 at %r, expected in (7.3, 7.7)" %
                  (label, ev["e2"][0]))


def section_backward():
    cases = (
        ("fun_rational", [9.0, 5.0], [9.0 / 19.0, 90.0 / 361.0]),
        ("exp_decay", [10.0, 0.0], None),
        ("detest_B5", [20.0, 0.0], None),
        ("detest_E1", [20.0, 0.0], None),
        ("lotka_volterra", [10.0, 0.0], None),
    )
    for method in METHODS:
        for problem, span, y0 in cases:
            for rtol, atol in TOLS[:2]:
                label = "backward %s %s [%g, %g] rtol=%g" % (problem, method, span[0], span[1],
                                                             rtol)
                kw = dict(method=method, t_span=span, rtol=rtol, atol=atol)
                if y0 is not None:
                    kw["y0"] = y0

                def one(kw=kw, label=label, problem=problem):
                    r, s = run_pair(label, problem, kw)
                    C.require(np.all(np.diff(r.t) < 0), "%s: t not decreasing" % label)
                    C.require(r.t[-1] == kw["t_span"][1], "%s: ends at %r, not at t_end %r" %
                              (label, r.t[-1], kw["t_span"][1]))
                    compare_trajectories(label, problem, r, s, kw, table="backward")
                guarded(label, one)


def section_options():
    cases = (
        ("fun_rational", [5.0, 9.0], dict(first_step=0.1, max_step=0.5)),
        ("fun_rational", [9.0, 5.0], dict(first_step=0.1, max_step=0.5)),
        ("fun_rational", [5.0, 9.0], dict(first_step=0.01)),
        ("detest_B5", [0.0, 20.0], dict(max_step=0.25)),
        ("lorenz", [0.0, 5.0], dict(first_step=1e-4)),
        ("detest_E1", [20.0, 0.0], dict(max_step=1.0, rtol=1e-6, atol=1e-9)),
        # per-component atol (the error norms' vector path; a scalar takes another)
        ("lotka_volterra", [0.0, 10.0], dict(rtol=1e-6, atol=[1e-9, 1e-4])),
        ("lorenz", [0.0, 5.0], dict(rtol=1e-7, atol=[1e-6, 1e-10, 1e-8])),
    )
    for method in METHODS:
        for problem, span, opts in cases:
            opt_text = " ".join("%s=%s" % (k, v if isinstance(v, list) else "%g" % v)
                                for k, v in opts.items())
            label = "options %s %s [%g, %g] %s" % (problem, method, span[0], span[1], opt_text)
            kw = dict(method=method, t_span=span, **opts)
            if problem == "fun_rational" and span[0] == 9.0:
                kw["y0"] = [9.0 / 19.0, 90.0 / 361.0]

            def one(kw=kw, label=label, problem=problem, opts=opts, span=span):
                r, s = run_pair(label, problem, kw)
                if "first_step" in opts:
                    h1 = abs(r.t[1] - r.t[0])
                    C.require(abs(h1 - opts["first_step"]) <= 1e-15 * t_scale(span),
                              "%s: first step %r, expected first_step %r" %
                              (label, h1, opts["first_step"]))
                if "max_step" in opts:
                    hmax = float(np.max(np.abs(np.diff(r.t))))
                    # diff(t) carries the rounding of t + h: a few ulp of |t|.
                    C.require(hmax <= opts["max_step"] + 4 * np.finfo(float).eps *
                              t_scale(span),
                              "%s: a step of %r exceeds max_step %r" % (label, hmax,
                                                                        opts["max_step"]))
                C.require(r.t[-1] == span[1], "%s: ends at %r" % (label, r.t[-1]))
                compare_trajectories(label, problem, r, s, kw, table="options")
            guarded(label, one)


SECTIONS = {
    "steps": section_steps, "defaults": section_defaults, "sec12": section_sec12, "t_eval": section_t_eval,
    "dense": section_dense, "events": section_events, "backward": section_backward,
    "options": section_options,
}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--plugin-dir", help="folder of the tests/problems plugins")
    ap.add_argument("--ivp", help="ivp executable (default $IVP_BIN)")
    ap.add_argument("--only", nargs="*", choices=sorted(SECTIONS), help="run these sections")
    args = ap.parse_args()
    H.configure(plugin_dir=args.plugin_dir, ivp_bin=args.ivp)
    try:
        H.ivp_bin()
    except H.HarnessError as e:
        print("FAILED: %s" % e)
        return 1
    for name in args.only or SECTIONS:
        SECTIONS[name]()
    C.print_tables()
    if C.notes:
        print("\nSteps that agree with scipy only to rounding (compared against scipy's own "
              "rounding spread):")
        for n in C.notes:
            print("  " + n)
    if C.fails:
        print("\nFAILED: %d check(s):" % len(C.fails))
        for f in C.fails:
            print("  - " + f)
        return 1
    print("\nall cross-checks against scipy passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
