# SPDX-License-Identifier: MIT
"""tests/stiff/make_bruss2d_reference.py - computes tests/data/brusselator2d_reference.json.

problems.json has no reference solution for brusselator2d_hairer, so this script makes one with
solvers independent of ivp: scipy's solve_ivp, Radau and BDF, on bruss_spec.py's right-hand side
(bit-identical to tests/problems/brusselator2d.c, see check_bruss_plugins.py) with its analytic
sparse Jacobian (SuperLU), at tight tolerances. The Radau run is the reference. Two more runs
estimate its error: BDF (a different method, order and error control) at --bdf-rtol, and with
--verify-rtol, Radau at a ten times tighter tolerance. The file records, per output time, the
largest difference of each from the reference relative to max(|y|, 1) over all 32768
components.

Output: the values of u and v at the grid points (i, j) with i, j multiples of STRIDE (8: a
16 x 16 subgrid, 512 of the 32768 components) at t = 1.5 (just after the source switches on at
1.1) and t = 11.5 (tend), with the component indices (y[2 (j NS + i)] = u, y[... + 1] = v).

    make_bruss2d_reference.py --out tests/data/brusselator2d_reference.json \
        [--rtol 1e-8] [--atol 1e-8] [--bdf-rtol 1e-8] [--bdf-atol 1e-8] [--verify-rtol 1e-9]

Takes long (an hour with --verify-rtol 1e-9: every LU of the 32768 x 32768 Newton matrix costs
about a second, Radau's complex one more);
tests/data/README.md records the command used and its output.
"""
import argparse
import json
import os
import platform
import sys
import time

import numpy as np
import scipy
from scipy.integrate import solve_ivp

import bruss_spec as B

T_OUT = [1.5, 11.5]
STRIDE = 8


def components(NS=B.NS2D, stride=STRIDE):
    idx = []
    for j in range(0, NS, stride):
        for i in range(0, NS, stride):
            p = j * NS + i
            idx += [2 * p, 2 * p + 1]
    return np.array(idx)


def run(method, rtol, atol):
    jac = B.jac_2d_factory()
    calls = [0]
    t_start = time.time()

    def fun(t, y):
        calls[0] += 1
        if calls[0] % 500 == 0:
            print("  %s: %d rhs calls, t = %.4f, %.0f s" % (method, calls[0], t,
                                                           time.time() - t_start), flush=True)
        return B.rhs_2d(t, y)
    t0 = time.time()
    sol = solve_ivp(fun, B.T2D, B.y0_2d(), method=method, rtol=rtol, atol=atol, jac=jac,
                    t_eval=T_OUT)
    secs = time.time() - t0
    if sol.status != 0:
        raise RuntimeError("%s failed: %s" % (method, sol.message))
    print("%s rtol=%g atol=%g: nfev %d njev %d nlu %d, %.0f s" % (method, rtol, atol, sol.nfev,
                                                                  sol.njev, sol.nlu, secs),
          flush=True)
    return sol, secs


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--rtol", type=float, default=1e-8)
    ap.add_argument("--atol", type=float, default=1e-8)
    ap.add_argument("--bdf-rtol", type=float, default=1e-8)
    ap.add_argument("--bdf-atol", type=float, default=1e-8)
    ap.add_argument("--verify-rtol", type=float, help="also run Radau with rtol = atol = this")
    ap.add_argument("--save-full", help="also save both runs' full states here (.npz)")
    args = ap.parse_args()

    ref, ref_secs = run("Radau", args.rtol, args.atol)
    chk, chk_secs = run("BDF", args.bdf_rtol, args.bdf_atol)
    ver = None
    if args.verify_rtol:
        ver, ver_secs = run("Radau", args.verify_rtol, args.verify_rtol)
    if args.save_full:
        np.savez(args.save_full, t=np.array(T_OUT), radau=ref.y, bdf=chk.y,
                 **({"radau_verify": ver.y} if ver is not None else {}))

    def difference(other):
        # max over all 32768 components of |reference - other| / max(|y|, 1), per time
        return [float(np.max(np.abs(ref.y[:, k] - other.y[:, k]) /
                             np.maximum(np.abs(ref.y[:, k]), 1.0)))
                for k in range(len(T_OUT))]
    idx = components()
    out = {
        "problem": "brusselator2d_hairer",
        "description": "u, v of the 2-D Brusselator (tests/problems/brusselator2d.c, NS = 128, "
                       "alpha = 0.1, y0 and ordering of tests/stiff/bruss_spec.py) at the grid "
                       "points (i, j), i, j = 0, %d, ..., %d: y[2 (j NS + i)] = u, "
                       "y[2 (j NS + i) + 1] = v" % (STRIDE, B.NS2D - STRIDE),
        "components": idx.tolist(),
        "t": T_OUT,
        "y": [ref.y[idx, k].tolist() for k in range(len(T_OUT))],
        "how_computed": {
            "command": "tests/stiff/make_bruss2d_reference.py --out "
                       "tests/data/brusselator2d_reference.json --rtol %g --atol %g "
                       "--bdf-rtol %g --bdf-atol %g%s" %
                       (args.rtol, args.atol, args.bdf_rtol, args.bdf_atol,
                        " --verify-rtol %g" % args.verify_rtol if ver is not None else ""),
            "reference": "scipy %s solve_ivp Radau rtol=%g atol=%g, analytic sparse Jacobian "
                         "(bruss_spec.jac_2d_factory): nfev %d, njev %d, nlu %d, %.0f s"
                         % (scipy.__version__, args.rtol, args.atol, ref.nfev, ref.njev,
                            ref.nlu, ref_secs),
            "check": "scipy %s solve_ivp BDF rtol=%g atol=%g, same Jacobian: nfev %d, njev %d, "
                     "nlu %d, %.0f s" % (scipy.__version__, args.bdf_rtol, args.bdf_atol,
                                         chk.nfev, chk.njev, chk.nlu, chk_secs),
            "python": "%s, numpy %s, %s" % (platform.python_version(), np.__version__,
                                            platform.machine()),
        },
        # max over all 32768 components of |reference - BDF| / max(|y|, 1), per time in t
        "radau_bdf_difference": difference(chk),
    }
    if ver is not None:
        out["how_computed"]["verify"] = (
            "scipy %s solve_ivp Radau rtol=atol=%g, same Jacobian: nfev %d, njev %d, nlu %d, "
            "%.0f s" % (scipy.__version__, args.verify_rtol, ver.nfev, ver.njev, ver.nlu,
                        ver_secs))
        out["radau_verify_difference"] = difference(ver)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print("wrote %s: %d components at t = %s; differences from BDF %s, from the tighter "
          "Radau %s" % (os.path.abspath(args.out), len(idx), T_OUT, out["radau_bdf_difference"],
                        out.get("radau_verify_difference")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
