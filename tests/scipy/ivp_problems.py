# SPDX-License-Identifier: MIT
"""tests/scipy/ivp_problems.py - Python definitions of the test problems in tests/problems/.

Each right-hand side repeats its C plugin's arithmetic operation for operation (same order, same
constants), so scipy integrating the Python function and ivp integrating the plugin see the
same f(t, y) bit for bit; check_plugins.py verifies this. The functions also accept complex y
(for complex-step Jacobians), hence the _sin/_cos/_sqrt helpers, which use libm through math
for real arguments as the plugins do.

Initial values, spans, parameters and references come from problems.json
(tests/data/problems.json, in the repository; tests/data/README.md says where it comes from)
where the problem is listed there.
"""
import cmath
import json
import math
import os

import numpy as np


def _sin(x):
    return cmath.sin(x) if isinstance(x, complex) else math.sin(x)


def _cos(x):
    return cmath.cos(x) if isinstance(x, complex) else math.cos(x)


def _sqrt(x):
    return cmath.sqrt(x) if isinstance(x, complex) else math.sqrt(x)


TESTSET_PATH = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                            "..", "data", "problems.json"))


def load_testset():
    """tests/data/problems.json as (whole file, {id: entry})."""
    path = TESTSET_PATH
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    return data, {p["id"]: p for p in data["problems"]}


# ---------------------------------------------------------------------------------------------
# Right-hand sides: f(t, y, p) with p the parameter dict. y is indexable (numpy array).

def f_exp_decay(t, y, p):
    lam = p["lambda"]
    return np.array([lam * y[i] for i in range(len(y))])


def f_detest_A1(t, y, p):
    return np.array([-y[0]])


def f_detest_A2(t, y, p):
    return np.array([-(y[0] * y[0] * y[0]) / 2.0])


def f_detest_A3(t, y, p):
    return np.array([y[0] * _cos(t)])


def f_detest_A4(t, y, p):
    return np.array([(y[0] / 4.0) * (1.0 - y[0] / 20.0)])


def f_detest_A5(t, y, p):
    return np.array([(y[0] - t) / (y[0] + t)])


def f_detest_B1(t, y, p):
    return np.array([2.0 * (y[0] - y[0] * y[1]), -(y[1] - y[0] * y[1])])


def f_detest_B2(t, y, p):
    return np.array([-y[0] + y[1], y[0] - 2.0 * y[1] + y[2], y[1] - y[2]])


def f_detest_B3(t, y, p):
    return np.array([-y[0], y[0] - y[1] * y[1], y[1] * y[1]])


def f_detest_B4(t, y, p):
    r = _sqrt(y[0] * y[0] + y[1] * y[1])
    return np.array([-y[1] - y[0] * y[2] / r, y[0] - y[1] * y[2] / r, y[0] / r])


def f_detest_B5(t, y, p):
    return np.array([y[1] * y[2], -y[0] * y[2], -0.51 * y[0] * y[1]])


def f_detest_C1(t, y, p):
    out = [-y[0]]
    for i in range(1, 10):
        out.append(y[i - 1] - y[i])
    return np.array(out)


def f_detest_C2(t, y, p):
    out = [-y[0]]
    for i in range(1, 9):
        out.append(float(i) * y[i - 1] - float(i + 1) * y[i])
    out.append(9.0 * y[8])
    return np.array(out)


def _tridiag(y):
    n = len(y)
    out = [-2.0 * y[0] + y[1]]
    for i in range(1, n - 1):
        out.append(y[i - 1] - 2.0 * y[i] + y[i + 1])
    out.append(y[n - 2] - 2.0 * y[n - 1])
    return np.array(out)


def f_detest_C3(t, y, p):
    return _tridiag(y)


def f_detest_C4(t, y, p):
    return _tridiag(y)


def f_detest_E1(t, y, p):
    tp1 = t + 1.0
    return np.array([y[1], -(y[1] / tp1 + (1.0 - 0.25 / (tp1 * tp1)) * y[0])])


def f_detest_E2(t, y, p):
    return np.array([y[1], (1.0 - y[0] * y[0]) * y[1] - y[0]])


def f_detest_E3(t, y, p):
    return np.array([y[1], y[0] * y[0] * y[0] / 6.0 - y[0] + 2.0 * _sin(2.78535 * t)])


def f_detest_E4(t, y, p):
    return np.array([y[1], 0.032 - 0.4 * y[1] * y[1]])


def f_detest_E5(t, y, p):
    return np.array([y[1], _sqrt(1.0 + y[1] * y[1]) / (25.0 - t)])


def f_lotka_volterra(t, y, p):
    a, b, c, d = 1.5, 1.0, 3.0, 1.0
    return np.array([a * y[0] - b * y[0] * y[1], -c * y[1] + d * y[0] * y[1]])


def f_lorenz(t, y, p):
    return np.array([10.0 * (y[1] - y[0]), y[0] * (28.0 - y[2]) - y[1],
                     y[0] * y[1] - 8.0 / 3.0 * y[2]])


def f_linear2_stiff(t, y, p):
    return np.array([998.0 * y[0] + 1998.0 * y[1], -999.0 * y[0] - 1999.0 * y[1]])


def f_fun_rational(t, y, p):
    return np.array([y[1] / t, y[1] * (y[0] + 2.0 * y[1] - 1.0) / (t * (y[0] - 1.0))])


def f_fun_linear(t, y, p):
    return np.array([-y[0] - 5.0 * y[1], y[0] + y[1]])


def f_oscillator(t, y, p):
    return np.array([y[1], -y[0]])


def f_vdpol(t, y, p):
    eps = p["eps"]
    return np.array([y[1], ((1.0 - y[0] * y[0]) * y[1] - y[0]) / eps])


def f_vdpolm(t, y, p):
    mu = p["mu"]
    return np.array([y[1], mu * (1.0 - y[0] * y[0]) * y[1] - y[0]])


def f_rober(t, y, p):
    k1, k2, k3 = p["k1"], p["k2"], p["k3"]
    return np.array([-k1 * y[0] + k3 * y[1] * y[2],
                     k1 * y[0] - k3 * y[1] * y[2] - k2 * y[1] * y[1],
                     k2 * y[1] * y[1]])


def f_orego(t, y, p):
    s, w, q = p["s"], p["w"], p["q"]
    return np.array([s * (y[1] - y[0] * y[1] + y[0] - q * y[0] * y[0]),
                     (-y[1] - y[0] * y[1] + y[2]) / s,
                     w * (y[0] - y[2])])


def f_e5(t, y, p):
    a, b, c, mc = p["A"], p["B"], p["C"], p["MC"]
    p1 = a * y[0]
    p2 = b * y[0] * y[2]
    p3 = mc * y[1] * y[2]
    p4 = c * y[3]
    f1 = -p1 - p2
    f2 = p1 - p3
    f4 = p2 - p4
    return np.array([f1, f2, f2 - f4, f4])


def f_hires(t, y, p):
    k1, k2, k3, k4, k5, k6, k7, k8, k9 = (p["k%d" % i] for i in range(1, 10))
    oks = p["oks"]
    f7 = k7 * y[5] * y[7] - (k2 + k8 + k9) * y[6]
    return np.array([
        -k1 * y[0] + k2 * y[1] + k6 * y[2] + oks,
        k1 * y[0] - (k2 + k3) * y[1],
        -(k6 + k1) * y[2] + k2 * y[3] + k5 * y[4],
        k3 * y[1] + k1 * y[2] - (k4 + k2) * y[3],
        -(k5 + k1) * y[4] + k2 * (y[5] + y[6]),
        -k7 * y[5] * y[7] + k8 * y[3] + k1 * y[4] - k2 * y[5] + k8 * y[6],
        f7,
        -f7,
    ])


def f_pollu(t, y, p):
    k = [p["k%d" % i] for i in range(1, 26)]
    y1, y2, y3, y4, y5, y6, y7, y8, y9, y10 = y[0:10]
    y11, y12, y13, y14, y15, y16, y17, y18, y19, y20 = y[10:20]
    r1 = k[0] * y1
    r2 = k[1] * y2 * y4
    r3 = k[2] * y5 * y2
    r4 = k[3] * y7
    r5 = k[4] * y7
    r6 = k[5] * y7 * y6
    r7 = k[6] * y9
    r8 = k[7] * y9 * y6
    r9 = k[8] * y11 * y2
    r10 = k[9] * y11 * y1
    r11 = k[10] * y13
    r12 = k[11] * y10 * y2
    r13 = k[12] * y14
    r14 = k[13] * y1 * y6
    r15 = k[14] * y3
    r16 = k[15] * y4
    r17 = k[16] * y4
    r18 = k[17] * y16
    r19 = k[18] * y16
    r20 = k[19] * y17 * y6
    r21 = k[20] * y19
    r22 = k[21] * y19
    r23 = k[22] * y1 * y4
    r24 = k[23] * y19 * y1
    r25 = k[24] * y20
    return np.array([
        -r1 - r10 - r14 - r23 - r24 + r2 + r3 + r9 + r11 + r12 + r22 + r25,
        -r2 - r3 - r9 - r12 + r1 + r21,
        -r15 + r1 + r17 + r19 + r22,
        -r2 - r16 - r17 - r23 + r15,
        -r3 + 2.0 * r4 + r6 + r7 + r13 + r20,
        -r6 - r8 - r14 - r20 + r3 + 2.0 * r18,
        -r4 - r5 - r6 + r13,
        r4 + r5 + r6 + r7,
        -r7 - r8,
        -r12 + r7 + r9,
        -r9 - r10 + r8 + r11,
        r9,
        -r11 + r10,
        -r13 + r12,
        r14,
        -r18 - r19 + r16,
        -r20,
        r20,
        -r21 - r22 - r24 + r23 + r25,
        -r25 + r24,
    ])


# ---------------------------------------------------------------------------------------------
# Events (scipy's test_events for fun_rational; y1 = 0 for the oscillator)

def ev_rational_1(t, y):
    return y[0] - y[1] ** 0.7


def ev_rational_2(t, y):
    return y[1] ** 0.6 - y[0]


def ev_rational_3(t, y):
    return t - 7.4


def ev_oscillator(t, y):
    return y[0]


class Problem:
    """One test problem: the plugin's name, its Python rhs, and default initial data."""

    def __init__(self, name, rhs, n, y0, t_span, params=None, param_names=(), events=(),
                 testset=None):
        self.name = name            # plugin name: tests/problems/<name>.c
        self.rhs = rhs              # f(t, y, params)
        self.n = n
        self.y0 = list(y0)
        self.t_span = list(t_span)
        self.params = dict(params or {})   # default parameter values
        self.param_names = list(param_names)  # the plugin's ivp_param_names order
        self.events = list(events)  # [(name, g(t, y))] in the plugin's ivp_event_names order
        self.testset = testset      # the problems.json entry, or None

    def fun(self, params=None):
        """f(t, y) for scipy, with the given (or default) parameters."""
        p = dict(self.params)
        p.update(params or {})
        rhs = self.rhs
        return lambda t, y: rhs(t, y, p)


# Plugins that problems.json describes (id == plugin name); (rhs, declared params in order).
_FROM_TESTSET = {
    "exp_decay": (f_exp_decay, ["lambda"]),
    "detest_A1": (f_detest_A1, []), "detest_A2": (f_detest_A2, []),
    "detest_A3": (f_detest_A3, []), "detest_A4": (f_detest_A4, []),
    "detest_A5": (f_detest_A5, []),
    "detest_B1": (f_detest_B1, []), "detest_B2": (f_detest_B2, []),
    "detest_B3": (f_detest_B3, []), "detest_B4": (f_detest_B4, []),
    "detest_B5": (f_detest_B5, []),
    "detest_C1": (f_detest_C1, []), "detest_C2": (f_detest_C2, []),
    "detest_C3": (f_detest_C3, []), "detest_C4": (f_detest_C4, []),
    "detest_E1": (f_detest_E1, []), "detest_E2": (f_detest_E2, []),
    "detest_E3": (f_detest_E3, []), "detest_E4": (f_detest_E4, []),
    "detest_E5": (f_detest_E5, []),
    "lotka_volterra": (f_lotka_volterra, []),
    "lorenz": (f_lorenz, []),
    "linear2_stiff": (f_linear2_stiff, []),
    "vdpol": (f_vdpol, ["eps"]),
    "vdpolm": (f_vdpolm, ["mu"]),
    "hires": (f_hires, ["k%d" % i for i in range(1, 10)] + ["oks"]),
    "rober": (f_rober, ["k1", "k2", "k3"]),
    "orego": (f_orego, ["s", "w", "q"]),
    "e5": (f_e5, ["A", "B", "C", "M", "MC"]),
    "pollu": (f_pollu, ["k%d" % i for i in range(1, 26)]),
}


def _build():
    _, ts = load_testset()
    probs = {}
    for name, (rhs, pnames) in _FROM_TESTSET.items():
        e = ts[name]
        probs[name] = Problem(name, rhs, e["n"], e["y0"], [e["t0"], e["tend"]],
                              params=e.get("params"), param_names=pnames, testset=e)
    probs["fun_rational"] = Problem(
        "fun_rational", f_fun_rational, 2, [1.0 / 3.0, 2.0 / 9.0], [5.0, 9.0],
        events=[("e1", ev_rational_1), ("e2", ev_rational_2), ("e3", ev_rational_3)])
    probs["fun_linear"] = Problem("fun_linear", f_fun_linear, 2, [0.0, 2.0], [0.0, 2.0])
    probs["oscillator"] = Problem("oscillator", f_oscillator, 2, [1.0, 0.0], [0.0, 10.0],
                                  events=[("crossing", ev_oscillator)])
    return probs


PROBLEMS = _build()


def exact_fun_rational(t):
    t = np.asarray(t, dtype=float)
    return np.vstack((t / (t + 10), 10 * t / (t + 10) ** 2))
