#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""ivp vs scipy on Van der Pol (mu = 1, t in [0, 100], rtol = atol = 1e-6), RK45 and DOP853.

ivp's time is its in-process solve time (the `solve_seconds` attribute: the integration loop,
compiled right-hand side, HDF5 writes of every step included; process start-up and plugin
loading excluded). scipy's time is solve_ivp with a Python right-hand side, measured with
time.perf_counter around the call. Both take the same steps (the script checks nfev).

Usage: python3 bench/explicit_vdp.py [--ivp build/cli/ivp] [--repeats 5]
Prints a Markdown table (medians of the repeats) for bench/README.md.
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

import h5py
import numpy as np
import scipy
from scipy.integrate import solve_ivp

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
MU, T_END, TOL = 1.0, 100.0, 1e-6


def vdp(t, y):
    return [y[1], MU * (1.0 - y[0] * y[0]) * y[1] - y[0]]


def run_ivp(ivp, method, workdir):
    spec = {
        "plugin": os.path.join(ROOT, "plugins", "vanderpol.c"),
        "t_span": [0, T_END], "y0": [2, 0], "params": {"mu": MU},
        "method": method, "rtol": TOL, "atol": TOL,
    }
    path = os.path.join(workdir, "vdp.json")
    out = os.path.join(workdir, "vdp.h5")
    with open(path, "w") as f:
        json.dump(spec, f)
    subprocess.run([ivp, "run", path, "-o", out, "--quiet"], check=True)
    with h5py.File(out, "r") as f:
        return (float(f.attrs["solve_seconds"]), int(f.attrs["nfev"]), int(f.attrs["n_steps"]),
                f["y"][:, -1].copy())


def run_scipy(method):
    t0 = time.perf_counter()
    sol = solve_ivp(vdp, [0, T_END], [2.0, 0.0], method=method, rtol=TOL, atol=TOL)
    return time.perf_counter() - t0, sol.nfev, len(sol.t) - 1, sol.y[:, -1]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ivp", default=os.path.join(ROOT, "build", "cli", "ivp"))
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()

    rows = []
    with tempfile.TemporaryDirectory() as work:
        for method in ("RK45", "DOP853"):
            run_ivp(args.ivp, method, work)  # warm the plugin build cache
            iv = [run_ivp(args.ivp, method, work) for _ in range(args.repeats)]
            sp = [run_scipy(method) for _ in range(args.repeats)]
            if iv[0][1] != sp[0][1] or iv[0][2] != sp[0][2]:
                sys.exit(f"{method}: ivp and scipy took different steps "
                         f"(ivp nfev {iv[0][1]}, steps {iv[0][2]}; "
                         f"scipy nfev {sp[0][1]}, steps {sp[0][2]})")
            dy = np.max(np.abs(iv[0][3] - sp[0][3]) / np.abs(sp[0][3]))
            t_ivp = statistics.median(r[0] for r in iv)
            t_sp = statistics.median(r[0] for r in sp)
            rows.append((method, iv[0][2], iv[0][1], t_ivp, t_sp, t_sp / t_ivp, dy))

    print(f"Van der Pol mu = {MU:g}, t in [0, {T_END:g}], rtol = atol = {TOL:g}; "
          f"median of {args.repeats} runs each")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores; python {platform.python_version()}, "
          f"scipy {scipy.__version__}, numpy {np.__version__}")
    print()
    print("| method | steps | nfev | ivp solve_seconds | scipy solve_ivp | speed-up | max rel. diff of y(100) |")
    print("|---|---|---|---|---|---|---|")
    for m, steps, nfev, ti, ts, ratio, dy in rows:
        print(f"| {m} | {steps} | {nfev} | {ti * 1e3:.3f} ms | {ts * 1e3:.1f} ms | {ratio:.0f}x | {dy:.1e} |")


if __name__ == "__main__":
    main()
