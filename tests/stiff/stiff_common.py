# SPDX-License-Identifier: MIT
"""tests/stiff/stiff_common.py - helpers shared by the stiff-problem tests.

  Plugin      a test-problem plugin opened with ctypes (as ivp opens it with dlopen): rhs, jac,
              jac_sparsity, jac_values, ivp_init; scipy gets the plugin's own analytic Jacobian
              through it, so both solvers use bit-identical f and J.
  mescd, scd  the Test Set's error measures (problems.json "conventions"):
                scd   = -log10(max_i |err_i| / |ref_i|)             (over ref_i != 0)
                mescd = -log10(max_i |err_i| / (atol/rtol + |ref_i|))
  Table       aligned text tables for the test logs.
  counts      (steps, nfev, njev, nlu) of an ivp result or a scipy OdeResult.

The tests in this folder import ivp_harness and ivp_problems from tests/scipy.
"""
import ctypes
import math
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "scipy"))

import ivp_harness as H  # noqa: E402
from ivp_problems import PROBLEMS  # noqa: E402


class Ctx(ctypes.Structure):
    _fields_ = [("n", ctypes.c_size_t), ("p", ctypes.POINTER(ctypes.c_double)),
                ("np", ctypes.c_size_t), ("data", ctypes.c_void_p)]


DPTR = ctypes.POINTER(ctypes.c_double)


class Plugin:
    """A plugin loaded with ctypes, for state dimension n and parameter values params (in
    the plugin's ivp_param_names order). Functions take and return numpy arrays."""

    def __init__(self, path, n, params):
        self.path = path
        self.lib = ctypes.CDLL(path, mode=os.RTLD_NOW | os.RTLD_LOCAL)
        self.n = n
        self.p = np.ascontiguousarray(params, dtype=float)
        self.ctx = Ctx(n, self.p.ctypes.data_as(DPTR) if len(self.p) else None, len(self.p),
                       None)
        self._nnz = None

    def has(self, name):
        try:
            getattr(self.lib, name)
        except AttributeError:
            return False
        return True

    def names(self, symbol):
        if not self.has(symbol):
            return None
        out = []
        for s in (ctypes.c_char_p * 64).in_dll(self.lib, symbol):
            if s is None:
                break
            out.append(s.decode())
        return out

    def abi_version(self):
        return ctypes.c_int.in_dll(self.lib, "ivp_abi_version").value

    def _call(self, fname, t, y, m):
        f = getattr(self.lib, fname)
        f.restype = ctypes.c_int
        f.argtypes = [ctypes.c_double, DPTR, DPTR, ctypes.POINTER(Ctx)]
        y = np.ascontiguousarray(y, dtype=float)
        out = np.full(m, np.nan)
        rc = f(float(t), y.ctypes.data_as(DPTR), out.ctypes.data_as(DPTR), ctypes.byref(self.ctx))
        if rc != 0:
            raise RuntimeError("%s: %s returned %d at t = %r" % (self.path, fname, rc, t))
        return out

    def rhs(self, t, y):
        return self._call("rhs", t, y, self.n)

    def jac(self, t, y):
        """The dense Jacobian (the plugin's row-major jac) as an (n, n) array."""
        return self._call("jac", t, y, self.n * self.n).reshape(self.n, self.n)

    def init(self):
        """ivp_init's return code (0 when the plugin has none)."""
        if not self.has("ivp_init"):
            return 0
        f = self.lib.ivp_init
        f.restype = ctypes.c_int
        f.argtypes = [ctypes.POINTER(Ctx)]
        return f(ctypes.byref(self.ctx))

    def sparsity_count(self):
        f = self.lib.jac_sparsity
        f.restype = ctypes.c_long
        f.argtypes = [ctypes.POINTER(Ctx), ctypes.POINTER(ctypes.c_size_t),
                      ctypes.POINTER(ctypes.c_size_t)]
        return f(ctypes.byref(self.ctx), None, None)

    def sparsity(self):
        """(rows, cols) from jac_sparsity, and the count of the second call."""
        nnz = self.sparsity_count()
        if nnz < 0:
            raise RuntimeError("%s: jac_sparsity returned %d" % (self.path, nnz))
        rows = np.zeros(nnz, dtype=np.uintp)
        cols = np.zeros(nnz, dtype=np.uintp)
        f = self.lib.jac_sparsity
        got = f(ctypes.byref(self.ctx), rows.ctypes.data_as(ctypes.POINTER(ctypes.c_size_t)),
                cols.ctypes.data_as(ctypes.POINTER(ctypes.c_size_t)))
        self._nnz = nnz
        return rows.astype(np.int64), cols.astype(np.int64), got

    def jac_values(self, t, y):
        if self._nnz is None:
            self._nnz = self.sparsity_count()
        return self._call("jac_values", t, y, self._nnz)


def problem_plugin(problem, params=None):
    """Plugin for a tests/problems problem of ivp_problems.PROBLEMS, with its (or the given)
    parameters."""
    prob = PROBLEMS[problem]
    p = dict(prob.params)
    p.update(params or {})
    return Plugin(H.plugin_path(problem), prob.n, [p[k] for k in prob.param_names])


def scipy_jac(problem, params=None):
    """The plugin's analytic Jacobian as a scipy jac callable."""
    pl = problem_plugin(problem, params)
    return pl.jac


# ---------------------------------------------------------------------------------------------
# Error measures

def mescd(y, ref, rtol, atol):
    err = np.abs(np.asarray(y, dtype=float) - ref)
    m = float(np.max(err / (atol / rtol + np.abs(ref))))
    return math.inf if m == 0.0 else -math.log10(m)


def scd(y, ref):
    ref = np.asarray(ref, dtype=float)
    nz = ref != 0
    err = np.abs(np.asarray(y, dtype=float)[nz] - ref[nz])
    m = float(np.max(err / np.abs(ref[nz])))
    return math.inf if m == 0.0 else -math.log10(m)


# ---------------------------------------------------------------------------------------------
# Results

def counts(r):
    """(steps, nfev, njev, nlu): accepted steps of an ivp result (its n_steps attribute) or of
    a scipy OdeResult (len(t) - 1, every step saved)."""
    if hasattr(r, "attrs") and "n_steps" in getattr(r, "attrs", {}):
        return (int(r.n_steps), int(r.nfev), int(r.njev), int(r.nlu))
    return (len(r.t) - 1, int(r.nfev), int(r.njev), int(r.nlu))


class Table:
    def __init__(self, header):
        self.header = tuple(header)
        self.rows = []

    def add(self, *values):
        self.rows.append(tuple(str(v) for v in values))

    def text(self):
        widths = [max([len(h)] + [len(r[i]) for r in self.rows if i < len(r)])
                  for i, h in enumerate(self.header)]
        lines = ["  ".join(h.ljust(w) for h, w in zip(self.header, widths)).rstrip()]
        for r in self.rows:
            lines.append("  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip())
        return "\n".join(lines)


class Failures:
    def __init__(self):
        self.items = []

    def check(self, ok, what):
        if not ok:
            self.items.append(what)
        return ok

    def report(self, success_line):
        if self.items:
            print("\nFAILED: %d check(s):" % len(self.items))
            for f in self.items:
                print("  - " + f)
            return 1
        print("\n" + success_line)
        return 0
