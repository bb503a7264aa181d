#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""scipy side of bench/stiff/run.py: solves Van der Pol with scipy.integrate.solve_ivp on request.

Started once by run.py (with Debian's /usr/bin/python3, which has scipy 1.10.1), so that
scipy is imported once and the runs can be interleaved with ivp's. Protocol, one JSON object a
line: first this worker writes {"python": ..., "scipy": ..., "numpy": ...}; then for every
request {"method": "BDF", "rtol": 1e-6, "atol": 1e-9, "mu": 1000, "t_end": 3000} read from
stdin it writes {"time": wall seconds, "cpu_time": thread CPU seconds, "nfev": ...,
"njev": ..., "nlu": ..., "n_steps": ..., "status": ..., "y_end": [...]}. An empty line or end
of input stops it.

The right-hand side and the Jacobian are plain Python functions returning numpy arrays, as a
scipy user would write them; the times are time.perf_counter() (wall) and time.thread_time()
(CPU time of this thread) around the solve_ivp call only.
"""
import json
import platform
import sys
import time

import numpy as np
import scipy
from scipy.integrate import solve_ivp


def vdp_functions(mu):
    def rhs(t, y):
        return np.array([y[1], mu * (1.0 - y[0] * y[0]) * y[1] - y[0]])

    def jac(t, y):
        return np.array([[0.0, 1.0],
                         [-2.0 * mu * y[0] * y[1] - 1.0, mu * (1.0 - y[0] * y[0])]])

    return rhs, jac


def solve(req):
    rhs, jac = vdp_functions(float(req["mu"]))
    t0, c0 = time.perf_counter(), time.thread_time()
    sol = solve_ivp(rhs, (0.0, float(req["t_end"])), [2.0, 0.0], method=req["method"],
                    rtol=float(req["rtol"]), atol=float(req["atol"]), jac=jac)
    c1, t1 = time.thread_time(), time.perf_counter()
    return {"time": t1 - t0, "cpu_time": c1 - c0, "nfev": int(sol.nfev),
            "njev": int(sol.njev), "nlu": int(sol.nlu), "n_steps": int(len(sol.t) - 1),
            "status": int(sol.status),
            "y_end": [float(v) for v in sol.y[:, -1]]}


def main():
    hello = {"python": platform.python_version(), "executable": sys.executable,
             "scipy": scipy.__version__, "numpy": np.__version__}
    print(json.dumps(hello), flush=True)
    for line in sys.stdin:
        line = line.strip()
        if not line:
            break
        print(json.dumps(solve(json.loads(line))), flush=True)


if __name__ == "__main__":
    main()
