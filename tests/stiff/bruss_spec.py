# SPDX-License-Identifier: MIT
"""tests/stiff/bruss_spec.py - the Brusselators of problems.json in Python, and specs for them.

    bruss_spec.py 1d --plugin build/tests/problems/brusselator1d.so -o bruss1d.json \
        [--method BDF] [--rtol 1e-6] [--atol 1e-6] [--set key=JSON ...]
    bruss_spec.py 2d --plugin build/tests/problems/brusselator2d.so -o bruss2d.json ...

writes a spec whose y0 is the problem's initial value (the plugins take y0 from the spec:
problems.json gives it as a formula). The 1-D spec carries "lband": 2, "uband": 2; the 2-D spec
"jac_sparsity": "plugin". As a module it gives the definitions the tests use:

  brusselator1d_hairer (tests/problems/brusselator1d.c): N = 500, alpha = 0.02, n = 2N = 1000,
      y = (u_1, v_1, ..., u_N, v_N), x_i = i/(N+1), gamma = alpha (N+1)^2,
      u_i' = 1 + u_i^2 v_i - 4 u_i + gamma (u_{i-1} - 2 u_i + u_{i+1}),
      v_i' = 3 u_i - u_i^2 v_i + gamma (v_{i-1} - 2 v_i + v_{i+1}), u_0 = u_{N+1} = 1,
      v_0 = v_{N+1} = 3; y0: u_i = 1 + 0.5 sin(2 pi x_i), v_i = 3; t in [0, 10].
  brusselator2d_hairer (tests/problems/brusselator2d.c): NS = 128, alpha = 0.1,
      n = 2 NS^2 = 32768, grid point p = j NS + i at (x_i, y_j) = (i/NS, j/NS), y[2p] = u,
      y[2p+1] = v, c = alpha NS^2, periodic 5-point Laplacian L,
      u' = 1 + u^2 v - 4.4 u + c L(u) + f,  v' = 3.4 u - u^2 v + c L(v),
      f = 5 on the disc (x-0.3)^2 + (y-0.6)^2 <= 0.01 for t >= 1.1; y0: u = 22 y (1-y)^1.5,
      v = 27 x (1-x)^1.5; t in [0, 11.5].

The right-hand sides repeat the plugins' arithmetic operation for operation (numpy's
elementwise operations in the C expressions' order), so scipy integrating them sees the
plugins' f(t, y) bit for bit (check_bruss_plugins.py verifies it).
"""
import argparse
import json
import math
import os
import sys

import numpy as np
import scipy.sparse as sp

N1D = 500
ALPHA1D = 0.02
T1D = [0.0, 10.0]
NS2D = 128
ALPHA2D = 0.1
T2D = [0.0, 11.5]
T_SOURCE = 1.1


# ---------------------------------------------------------------------------------------------
# 1-D

def y0_1d(N=N1D):
    y = np.empty(2 * N)
    for i in range(1, N + 1):
        x = i / (N + 1)
        y[2 * i - 2] = 1.0 + 0.5 * math.sin(2.0 * math.pi * x)
        y[2 * i - 1] = 3.0
    return y


def rhs_1d(t, y, N=N1D, alpha=ALPHA1D):
    np1 = float(N) + 1.0
    gamma = alpha * (np1 * np1)
    u = y[0::2]
    v = y[1::2]
    ul = np.concatenate(([1.0], u[:-1]))
    ur = np.concatenate((u[1:], [1.0]))
    vl = np.concatenate(([3.0], v[:-1]))
    vr = np.concatenate((v[1:], [3.0]))
    uuv = u * u * v
    out = np.empty_like(y)
    out[0::2] = 1.0 + uuv - 4.0 * u + gamma * (ul - 2.0 * u + ur)
    out[1::2] = 3.0 * u - uuv + gamma * (vl - 2.0 * v + vr)
    return out


def pattern_1d(N=N1D):
    """(rows, cols) of the plugin's jac_sparsity, in its order."""
    rows, cols = [], []
    for i in range(N):
        for c in range(2):
            r = 2 * i + c
            cand = ([r - 2] if i > 0 else []) + [2 * i, 2 * i + 1] + \
                   ([r + 2] if i + 1 < N else [])
            rows += [r] * len(cand)
            cols += cand
    return np.array(rows), np.array(cols)


def jac_1d(t, y, N=N1D, alpha=ALPHA1D):
    """The analytic Jacobian as a scipy CSC matrix."""
    np1 = float(N) + 1.0
    gamma = alpha * (np1 * np1)
    u = y[0::2]
    v = y[1::2]
    n = 2 * N
    J = sp.lil_matrix((n, n))
    i = np.arange(N)
    J[2 * i, 2 * i] = 2.0 * u * v - 4.0 - 2.0 * gamma
    J[2 * i, 2 * i + 1] = u * u
    J[2 * i + 1, 2 * i] = 3.0 - 2.0 * u * v
    J[2 * i + 1, 2 * i + 1] = -(u * u) - 2.0 * gamma
    J[2 * i[1:], 2 * i[1:] - 2] = gamma
    J[2 * i[:-1], 2 * i[:-1] + 2] = gamma
    J[2 * i[1:] + 1, 2 * i[1:] - 1] = gamma
    J[2 * i[:-1] + 1, 2 * i[:-1] + 3] = gamma
    return J.tocsc()


# ---------------------------------------------------------------------------------------------
# 2-D

def y0_2d(NS=NS2D):
    y = np.empty(2 * NS * NS)
    for j in range(NS):
        yy = j / NS
        for i in range(NS):
            x = i / NS
            p = j * NS + i
            y[2 * p] = 22.0 * yy * (1.0 - yy) ** 1.5
            y[2 * p + 1] = 27.0 * x * (1.0 - x) ** 1.5
    return y


def source_mask_2d(NS=NS2D):
    """Where f = 5 (for t >= 1.1), as a (j, i) boolean array."""
    ns = float(NS)
    dx = np.arange(NS) / ns - 0.3
    dy = np.arange(NS) / ns - 0.6
    return (dx[None, :] * dx[None, :] + dy[:, None] * dy[:, None]) <= 0.01


def rhs_2d(t, y, NS=NS2D, alpha=ALPHA2D, _mask={}):
    ns = float(NS)
    c = alpha * (ns * ns)
    Y = y.reshape(NS, NS, 2)  # [j, i, component]
    out = np.empty((NS, NS, 2), dtype=np.result_type(y, 1.0))  # complex y: complex steps
    u = Y[:, :, 0]
    v = Y[:, :, 1]
    lapu = (np.roll(u, 1, axis=1) + np.roll(u, -1, axis=1) + np.roll(u, 1, axis=0) +
            np.roll(u, -1, axis=0) - 4.0 * u)
    lapv = (np.roll(v, 1, axis=1) + np.roll(v, -1, axis=1) + np.roll(v, 1, axis=0) +
            np.roll(v, -1, axis=0) - 4.0 * v)
    uuv = u * u * v
    du = 1.0 + uuv - 4.4 * u + c * lapu
    if t >= T_SOURCE:
        if NS not in _mask:
            _mask[NS] = source_mask_2d(NS)
        du[_mask[NS]] += 5.0
    out[:, :, 0] = du
    out[:, :, 1] = 3.4 * u - uuv + c * lapv
    return out.reshape(-1)


def pattern_2d(NS=NS2D):
    """(rows, cols) of the plugin's jac_sparsity, in its order (u, v, W, E, S, N per row)."""
    m = NS
    j, i = np.meshgrid(np.arange(m), np.arange(m), indexing="ij")
    p = (j * m + i).reshape(-1)
    W = (j * m + (i - 1) % m).reshape(-1)
    E = (j * m + (i + 1) % m).reshape(-1)
    S = (((j - 1) % m) * m + i).reshape(-1)
    Nn = (((j + 1) % m) * m + i).reshape(-1)
    rows = np.empty((m * m, 2, 6), dtype=np.int64)
    cols = np.empty((m * m, 2, 6), dtype=np.int64)
    for comp in range(2):
        rows[:, comp, :] = (2 * p + comp)[:, None]
        cols[:, comp, :] = np.stack((2 * p, 2 * p + 1, 2 * W + comp, 2 * E + comp,
                                     2 * S + comp, 2 * Nn + comp), axis=1)
    return rows.reshape(-1), cols.reshape(-1)


def jac_values_2d(t, y, NS=NS2D, alpha=ALPHA2D):
    ns = float(NS)
    c = alpha * (ns * ns)
    u = y[0::2]
    w = y[1::2]
    v = np.empty((NS * NS, 2, 6))
    v[:, 0, 0] = 2.0 * u * w - 4.4 - 4.0 * c
    v[:, 0, 1] = u * u
    v[:, 1, 0] = 3.4 - 2.0 * u * w
    v[:, 1, 1] = -(u * u) - 4.0 * c
    v[:, :, 2:] = c
    return v.reshape(-1)


def jac_2d_factory(NS=NS2D, alpha=ALPHA2D):
    """A function (t, y) -> the analytic Jacobian as a CSC matrix, for scipy."""
    rows, cols = pattern_2d(NS)
    n = 2 * NS * NS

    def jac(t, y):
        return sp.csc_matrix((jac_values_2d(t, y, NS, alpha), (rows, cols)), shape=(n, n))
    return jac


# ---------------------------------------------------------------------------------------------
# Specs

def make_spec(kind, plugin, **options):
    """A spec dict for the 1-D (lband = uband = 2) or 2-D (the plugin's sparsity pattern)
    Brusselator; options override or add spec keys (None removes one)."""
    if kind == "1d":
        spec = {"plugin": plugin, "t_span": list(T1D), "y0": y0_1d().tolist(),
                "params": {"N": N1D, "alpha": ALPHA1D}, "lband": 2, "uband": 2}
    elif kind == "2d":
        spec = {"plugin": plugin, "t_span": list(T2D), "y0": y0_2d().tolist(),
                "params": {"NS": NS2D, "alpha": ALPHA2D}, "jac_sparsity": "plugin"}
    else:
        raise ValueError("kind must be 1d or 2d, not %r" % kind)
    for k, v in options.items():
        if v is None:
            spec.pop(k, None)
        else:
            spec[k] = v
    return spec


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("kind", choices=("1d", "2d"))
    ap.add_argument("--plugin", required=True, help="path of brusselator1d.so/brusselator2d.so "
                    "(written into the spec as given)")
    ap.add_argument("-o", "--output", required=True, help="spec file to write ('-': stdout)")
    ap.add_argument("--method")
    ap.add_argument("--rtol", type=float)
    ap.add_argument("--atol", type=float)
    ap.add_argument("--set", action="append", default=[], metavar="KEY=JSON",
                    help="any other spec key, e.g. --set 'jac=\"fd\"' (JSON null removes it)")
    args = ap.parse_args()
    options = {"method": args.method, "rtol": args.rtol, "atol": args.atol}
    options = {k: v for k, v in options.items() if v is not None}
    for item in args.set:
        key, sep, value = item.partition("=")
        if not sep:
            ap.error("--set %r: expected KEY=JSON" % item)
        try:
            options[key] = json.loads(value)
        except ValueError as e:
            ap.error("--set %s: value is not JSON: %s" % (key, e))
    spec = make_spec(args.kind, args.plugin, **options)
    text = json.dumps(spec)
    if args.output == "-":
        sys.stdout.write(text + "\n")
    else:
        with open(args.output, "w", encoding="utf-8") as f:
            f.write(text + "\n")
        print("wrote %s (n = %d)" % (os.path.abspath(args.output), len(spec["y0"])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
