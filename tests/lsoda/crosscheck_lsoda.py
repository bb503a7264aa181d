# SPDX-License-Identifier: MIT
"""tests/lsoda/crosscheck_lsoda.py - ivp's LSODA against scipy 1.10.1's solve_ivp(method='LSODA').

lsoda_runner (C, ivp_solve) and this script (scipy) integrate the same right-hand sides, written
operation for operation alike so f(t, y) is bit-identical, with the same options. LSODA in scipy
takes one ODEPACK step per solver step, so both should produce the same step sequence:

  counts   number of steps, nfev, njev (= nlu): on the non-stiff runs the step counts must be
           equal and nfev within 1%; the stiff runs are reported (and must be within 25%, a
           sanity bound; equality is the aim);
  states   wherever the two step sequences agree (|t_ivp - t_scipy| <= 1e-12 (|t| + span) at
           every step), every state must agree to 1e-9 relative to the local scale
           max(|y|, atol) (Robertson's y2 is ~1e-8 while atol 1e-10);
  methods  where the step sequences agree, the numbers of Adams and BDF steps and of
           switches equal scipy's (from ODEPACK's MUSED and METH after each step);
  dense    at the midpoint of every step, ivp's dense output against the Nordsieck interpolant
           built from scipy's rwork/iwork with scipy >= 1.12's correction (order NQU, last
           column rescaled when the order drops), evaluated at the nominal midpoint hu/2
           before tn as ivp parametrizes it (lsoda.c, lsoda_dense), same tolerance;
  failure  with min_step above what the problem needs, both fail after the same steps at the
           same t;
  sec12    scipy-algorithms.md section 12: y' = -0.5 y and fun_rational at default tolerances
           give the published npts, nfev, njev, t[1] (and y0(10)).

Usage: crosscheck_lsoda.py --runner PATH/lsoda_runner
Exits 1 listing every failed check.
"""
import argparse
import contextlib
import json
import math
import os
import subprocess
import sys
import warnings

# ODEPACK writes its messages to Fortran unit 6; unbuffered, quiet_fortran() can drop them.
os.environ["GFORTRAN_UNBUFFERED_PRECONNECTED"] = "y"

import numpy as np  # noqa: E402
from scipy.integrate import LSODA, solve_ivp  # noqa: E402

T_REL = 1e-12
Y_REL = 1e-9
HEAT_N = 50


# ---- problems: the Python twins of lsoda_runner.c's -------------------------------------------

def f_exp(t, y):
    return -0.5 * y


def j_exp(t, y):
    return -0.5 * np.eye(len(y))


def f_rational(t, y):
    return np.array([y[1] / t, y[1] * (y[0] + 2.0 * y[1] - 1.0) / (t * (y[0] - 1.0))])


def j_rational(t, y):
    return np.array([[0.0, 1.0 / t],
                     [-2.0 * y[1] * y[1] / (t * (y[0] - 1.0) * (y[0] - 1.0)),
                      (y[0] + 4.0 * y[1] - 1.0) / (t * (y[0] - 1.0))]])


def vdp(mu):
    def f(t, y):
        return np.array([y[1], mu * (1.0 - y[0] * y[0]) * y[1] - y[0]])

    def j(t, y):
        return np.array([[0.0, 1.0], [-2.0 * mu * y[0] * y[1] - 1.0, mu * (1.0 - y[0] * y[0])]])
    return f, j


def f_rober(t, y):
    return np.array([-0.04 * y[0] + 1e4 * y[1] * y[2],
                     0.04 * y[0] - 1e4 * y[1] * y[2] - 3e7 * y[1] * y[1],
                     3e7 * y[1] * y[1]])


def j_rober(t, y):
    return np.array([[-0.04, 1e4 * y[2], 1e4 * y[1]],
                     [0.04, -1e4 * y[2] - 6e7 * y[1], -1e4 * y[1]],
                     [0.0, 6e7 * y[1], 0.0]])


def f_osc(t, y):
    return np.array([y[1], -y[0]])


def j_osc(t, y):
    return np.array([[0.0, 1.0], [-1.0, 0.0]])


def f_heat(t, y):
    n = len(y)
    c = float((n + 1) * (n + 1))
    f = np.empty(n)
    for i in range(n):
        left = y[i - 1] if i > 0 else 0.0
        right = y[i + 1] if i + 1 < n else 0.0
        f[i] = c * ((left - 2.0 * y[i]) + right)
    return f


VDP1 = vdp(1.0)
VDP1000 = vdp(1000.0)
PROBLEMS = {
    "exp": (f_exp, j_exp, 0.0, 10.0, [2.0, 4.0, 8.0]),
    "rational": (f_rational, j_rational, 5.0, 9.0, [1.0 / 3.0, 2.0 / 9.0]),
    "vdp1": (VDP1[0], VDP1[1], 0.0, 20.0, [2.0, 0.0]),
    "vdp1000": (VDP1000[0], VDP1000[1], 0.0, 3000.0, [2.0, 0.0]),
    "robertson": (f_rober, j_rober, 0.0, 1e5, [1.0, 0.0, 0.0]),
    "oscillator": (f_osc, j_osc, 0.0, 20.0, [1.0, 0.0]),
    "heat": (f_heat, None, 0.0, 1.0,
             [math.sin(3.141592653589793 * (i + 1) / (HEAT_N + 1)) for i in range(HEAT_N)]),
}

# (problem, options, stiff). Options: rtol, atol (number or list), jac (bool), band (l, u),
# t0 (shifts the span of an autonomous problem), tf, first_step, max_step, min_step, and
# fail (both must fail after the same steps at the same t).
CASES = [
    ("exp", {}, False),
    ("exp", {"rtol": 1e-6, "atol": 1e-9}, False),
    ("exp", {"first_step": 0.1, "max_step": 0.5}, False),
    ("exp", {"tf": -3.0}, False),
    ("exp", {"t0": 1000.0}, False),
    ("exp", {"t0": -1e7, "max_step": 2.5}, False),
    ("rational", {}, False),
    ("rational", {"rtol": 1e-8, "atol": 1e-10}, False),
    ("rational", {"tf": 1.0}, False),
    ("rational", {"first_step": 0.01, "min_step": 1e-4}, False),
    ("rational", {"first_step": 4.0}, False),
    ("vdp1", {}, False),
    ("vdp1", {"rtol": 1e-7, "atol": 1e-9}, False),
    ("oscillator", {}, False),
    ("oscillator", {"rtol": 1e-9, "atol": 1e-12}, False),
    ("oscillator", {"rtol": 1e-13, "atol": 1e-15}, False),
    ("oscillator", {"first_step": 0.1, "max_step": 0.5}, False),
    ("vdp1000", {}, True),
    ("vdp1000", {"jac": True}, True),
    ("vdp1000", {"rtol": 1e-6, "atol": 1e-8, "jac": True}, True),
    ("vdp1000", {"max_step": 1.0}, True),
    ("vdp1000", {"min_step": 0.01, "fail": True}, True),
    ("robertson", {}, True),
    ("robertson", {"jac": True}, True),
    ("robertson", {"rtol": 1e-6, "atol": 1e-10, "jac": True}, True),
    ("robertson", {"rtol": 1e-4, "atol": [1e-8, 1e-14, 1e-6], "jac": True}, True),
    ("heat", {"band": (1, 1)}, True),
    ("heat", {"band": (1, 1), "rtol": 1e-6, "atol": 1e-9}, True),
    ("heat", {}, True),
]


@contextlib.contextmanager
def quiet_fortran():
    """ODEPACK prints its failure messages straight to file descriptor 6 = stdout."""
    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


class Checks:
    def __init__(self):
        self.fails = []
        self.rows = []

    def require(self, ok, what):
        if not ok:
            self.fails.append(what)
        return ok


C = Checks()


def run_ivp(runner, name, o):
    args = [runner, name]
    o = {k: v for k, v in o.items() if k != "fail"}
    if "t0" in o:
        args += ["--t0", repr(o["t0"])]
    if isinstance(o.get("atol"), list):
        args += ["--atol-list", ",".join(repr(a) for a in o["atol"])]
        o = {k: v for k, v in o.items() if k != "atol"}
    for key, flag in (("rtol", "--rtol"), ("atol", "--atol"), ("tf", "--tf"),
                      ("first_step", "--first-step"), ("max_step", "--max-step"),
                      ("min_step", "--min-step")):
        if key in o:
            args += [flag, repr(o[key])]
    if o.get("jac"):
        args.append("--jac")
    if "band" in o:
        args += ["--band", str(o["band"][0]), str(o["band"][1])]
    out = subprocess.run(args, check=False, capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError("%s failed (%d): %s" % (" ".join(args), out.returncode, out.stderr))
    return json.loads(out.stdout)


def scipy_kwargs(o, f_jac):
    kw = {}
    for key in ("rtol", "atol", "first_step", "max_step", "min_step"):
        if key in o:
            kw[key] = o[key]
    if o.get("jac"):
        kw["jac"] = f_jac
    if "band" in o:
        kw["lband"], kw["uband"] = o["band"]
    return kw


def scipy_manual(f, t0, tf, y0, kw):
    """Steps scipy's LSODA; returns the >= 1.12 interpolant at each step's midpoint and the
    numbers of Adams and BDF steps and of method switches (from ODEPACK's MUSED and METH)."""
    s = LSODA(f, t0, np.array(y0, dtype=float), tf, **kw)
    n = len(y0)
    mids = []
    n_adams = n_bdf = n_switches = 0
    while s.status == "running":
        msg = s.step()
        if s.status == "failed":
            raise RuntimeError("scipy LSODA failed: %s" % msg)
        integ = s._lsoda_solver._integrator
        iw, rw = integ.iwork, integ.rwork
        n_adams += iw[18] == 1
        n_bdf += iw[18] == 2
        n_switches += iw[19] != iw[18]
        order = int(iw[13])
        h = rw[11]
        yh = np.reshape(rw[20:20 + (order + 1) * n], (n, order + 1), order="F").copy()
        if iw[14] < order:
            yh[:, -1] *= (h / rw[10]) ** order
        # the nominal midpoint (see lsoda_dense in lsoda.c): half the last step hu back from tn
        x = (-0.5 * rw[10] / h) ** np.arange(order + 1)
        mids.append(yh.dot(x))
    return np.array(mids), (n_adams, n_bdf, n_switches)


def local_scale(y_ref, atol):
    return np.maximum(np.abs(y_ref), atol)


def compare(name, o, stiff):
    f, fj, t0, tf, y0 = PROBLEMS[name]
    if "t0" in o:
        tf, t0 = tf + (o["t0"] - t0), o["t0"]
    tf = o.get("tf", tf)
    label = "%s %s" % (name, json.dumps(o, sort_keys=True))
    iv = run_ivp(RUNNER, name, o)
    kw = scipy_kwargs(o, fj)
    if o.get("fail"):
        with quiet_fortran():
            sp = solve_ivp(f, (t0, tf), y0, method="LSODA", **kw)
        ok = (iv["status"] == -1 and sp.status == -1 and iv["n_steps"] == len(sp.t) - 1 and
              iv["t"][-1] == sp.t[-1])
        C.require(ok, "%s: expected the same failure; ivp status %d after %d steps at t = %r "
                  "(%s), scipy status %d after %d steps at t = %r" %
                  (label, iv["status"], iv["n_steps"], iv["t"][-1], iv["message"], sp.status,
                   len(sp.t) - 1, sp.t[-1]))
        C.rows.append([label, "%d/%d" % (iv["n_steps"], len(sp.t) - 1),
                       "%d/%d" % (iv["nfev"], sp.nfev), "%d/%d" % (iv["njev"], sp.njev),
                       "%d/%d" % (iv["nlu"], sp.nlu), "-", "both fail" if ok else "-",
                       "equal" if ok and iv["nfev"] == sp.nfev else "DIFFERENT"])
        return
    sp = solve_ivp(f, (t0, tf), y0, method="LSODA", **kw)
    steps_iv, steps_sp = iv["n_steps"], len(sp.t) - 1
    C.require(iv["status"] == 0 and sp.status == 0,
              "%s: status ivp %d (%s), scipy %d" % (label, iv["status"], iv["message"],
                                                    sp.status))
    same_counts = (steps_iv == steps_sp and iv["nfev"] == sp.nfev and iv["njev"] == sp.njev)
    row = [label, "%d/%d" % (steps_iv, steps_sp), "%d/%d" % (iv["nfev"], sp.nfev),
           "%d/%d" % (iv["njev"], sp.njev), "%d/%d" % (iv["nlu"], sp.nlu),
           "%d+%d, %d sw" % (iv["n_steps_adams"], iv["n_steps_bdf"], iv["n_switches"])]
    C.require(iv["njev"] == iv["nlu"], "%s: ivp njev %d != nlu %d" % (label, iv["njev"],
                                                                      iv["nlu"]))
    C.require(iv["n_steps_adams"] + iv["n_steps_bdf"] == steps_iv,
              "%s: Adams + BDF steps %d + %d != %d" % (label, iv["n_steps_adams"],
                                                       iv["n_steps_bdf"], steps_iv))
    if stiff:
        C.require(abs(steps_iv - steps_sp) <= 0.25 * steps_sp and
                  abs(iv["nfev"] - sp.nfev) <= 0.25 * sp.nfev,
                  "%s (stiff): steps %d vs %d, nfev %d vs %d differ by more than 25%%" %
                  (label, steps_iv, steps_sp, iv["nfev"], sp.nfev))
    else:
        C.require(steps_iv == steps_sp, "%s: steps %d vs scipy %d" % (label, steps_iv,
                                                                     steps_sp))
        C.require(abs(iv["nfev"] - sp.nfev) <= 0.01 * sp.nfev,
                  "%s: nfev %d vs scipy %d (more than 1%%)" % (label, iv["nfev"], sp.nfev))
    t_iv = np.array(iv["t"])
    y_iv = np.array(iv["y"])
    atol = np.asarray(o.get("atol", 1e-6))
    state_note = "-"
    if len(t_iv) == len(sp.t):
        span = abs(tf - t0)
        agree = np.all(np.abs(t_iv - sp.t) <= T_REL * (np.abs(sp.t) + span))
        if agree:
            scale = local_scale(sp.y.T, atol)
            err = np.max(np.abs(y_iv - sp.y.T) / scale)
            C.require(err <= Y_REL, "%s: states differ by %.3g (relative to local scale)" %
                      (label, err))
            mids_sp, families = scipy_manual(f, t0, tf, y0, kw)
            ours = (iv["n_steps_adams"], iv["n_steps_bdf"], iv["n_switches"])
            C.require(ours == families, "%s: Adams/BDF steps and switches %s, scipy %s" %
                      (label, ours, families))
            mids_iv = np.array(iv["ymid"])
            scale_m = local_scale(mids_sp, atol)
            derr = np.max(np.abs(mids_iv - mids_sp) / scale_m)
            C.require(derr <= Y_REL, "%s: dense output at midpoints differs by %.3g" %
                      (label, derr))
            state_note = "y %.1e, dense %.1e" % (err, derr)
        else:
            state_note = "t differ"
            C.require(stiff, "%s: step times differ" % label)
    else:
        state_note = "step counts differ"
    row.append(state_note)
    row.append("equal" if same_counts else "DIFFERENT")
    C.rows.append(row)


def sec12():
    iv = run_ivp(RUNNER, "exp", {})
    C.require(len(iv["t"]) == 20 and iv["nfev"] == 39 and iv["njev"] == 0 and iv["nlu"] == 0,
              "sec12 exp: npts %d nfev %d njev %d nlu %d, published 20 39 0 0" %
              (len(iv["t"]), iv["nfev"], iv["njev"], iv["nlu"]))
    C.require(abs(iv["t"][1] - 0.06202482125133967) <= 1e-12 * 0.06202482125133967,
              "sec12 exp: t[1] = %.17g, published 0.06202482125133967" % iv["t"][1])
    C.require(abs(iv["y"][-1][0] - 0.013512557560430754) <= 1e-12 * 0.013512557560430754,
              "sec12 exp: y0(10) = %.17g, published 0.013512557560430754" % iv["y"][-1][0])
    iv = run_ivp(RUNNER, "rational", {})
    C.require(len(iv["t"]) == 7 and iv["nfev"] == 13 and iv["njev"] == 0,
              "sec12 rational: npts %d nfev %d njev %d, published 7 13 0" %
              (len(iv["t"]), iv["nfev"], iv["njev"]))
    C.require(abs(iv["t"][1] - 5.182521663016733) <= 1e-12 * 5.182521663016733,
              "sec12 rational: t[1] = %.17g, published 5.182521663016733" % iv["t"][1])


def main():
    global RUNNER
    ap = argparse.ArgumentParser()
    ap.add_argument("--runner", required=True)
    RUNNER = ap.parse_args().runner
    sec12()
    for name, o, stiff in CASES:
        try:
            compare(name, o, stiff)
        except Exception as e:  # noqa: BLE001 - report and go on
            C.fails.append("%s %s: %s" % (name, o, e))
    header = ["case", "steps ivp/scipy", "nfev", "njev", "nlu", "ivp Adams+BDF", "states",
              "counts"]
    widths = [max(len(header[i]), *(len(r[i]) for r in C.rows)) for i in range(len(header))]
    print("  ".join(h.ljust(w) for h, w in zip(header, widths)))
    for r in C.rows:
        print("  ".join(v.ljust(w) for v, w in zip(r, widths)))
    if C.fails:
        print("\nFAILED (%d):" % len(C.fails))
        for f in C.fails:
            print("  " + f)
        return 1
    print("\nall checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
