#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Runs the README's tutorial exactly as written: the plugin and spec blocks, the commands of
step 3, the Python reader of step 4 and the in-process C snippet of step 6; checks the numbers
against the exact solution (y0 = exp(-k t), y1 = k/(k-1) (exp(-t) - exp(-k t)), peak of y1 at
t = ln(k)/(k-1))."""
import math
import os
import re
import subprocess
import sys
import tempfile

import h5py

SRC = os.environ.get("IVP_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
IVP = os.environ["IVP_BIN"]
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def blocks(lang):
    text = open(os.path.join(SRC, "README.md"), encoding="utf-8").read()
    return [b for lg, b in re.findall(r"```(\w*)\n(.*?)```", text, re.S) if lg == lang]


def run(args, cwd):
    p = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=120)
    print("$", " ".join(args), "->", p.returncode, p.stderr.strip())
    return p


with tempfile.TemporaryDirectory() as work:
    env_cache = os.environ.get("IVP_CACHE_DIR")
    plugin = next(b for b in blocks("c") if "IVP_PLUGIN_ABI" in b)
    spec = next(b for b in blocks("json") if '"decay.c"' in b)
    reader = next(b for b in blocks("python") if "PPoly" in b)
    with open(os.path.join(work, "decay.c"), "w") as f:
        f.write(plugin)
    with open(os.path.join(work, "decay.json"), "w") as f:
        f.write(spec)

    # step 3, the commands as the README shows them
    p = run([IVP, "run", "decay.json"], work)
    check(p.returncode == 0 and "-> decay.h5" in p.stderr, "ivp run decay.json")
    check(re.match(r"ivp: RK45: \d+ steps \(\d+ rejected\), nfev \d+, njev 0, nlu 0, .* s, "
                   r"status 0 \(The solver successfully reached", p.stderr) is not None,
          "summary line has the README's form")
    p = run([IVP, "run", "decay.json", "--set", "params.k=5", "--method", "DOP853", "-o",
             "k5.h5"], work)
    check(p.returncode == 0, "ivp run with --set, --method, -o")
    with h5py.File(os.path.join(work, "k5.h5"), "r") as f:
        check(f.attrs["method"] == "DOP853", "--method DOP853 took effect")
        check(abs(f["y"][0, -1] - math.exp(-50.0)) < 1e-12, "--set params.k=5 took effect")
    p = run([IVP, "validate", "decay.json"], work)
    check(p.returncode == 0 and "ok" in p.stdout, "ivp validate decay.json")
    p = run([IVP, "build", "decay.c"], work)
    check(p.returncode == 0 and os.path.exists(os.path.join(work, "decay.so")), "ivp build decay.c")

    # step 4, the Python reader, with its print output captured
    p = subprocess.run([sys.executable, "-c", reader], cwd=work, capture_output=True, text=True)
    print(p.stdout, p.stderr)
    check(p.returncode == 0, "README's Python reader runs")
    nums = [float(x) for x in re.findall(r"[-+]?\d+\.\d+(?:e[-+]?\d+)?", p.stdout.splitlines()[-1])]
    k, t = 2.0, 2.5
    exact = [math.exp(-k * t), k / (k - 1) * (math.exp(-t) - math.exp(-k * t))]
    check(len(nums) == 2 and all(abs(a - b) < 1e-6 for a, b in zip(nums, exact)),
          f"sol(2.5) = {nums} matches the exact {exact}")
    with h5py.File(os.path.join(work, "decay.h5"), "r") as f:
        tp = f["events/peak/t"][()]
        check(len(tp) == 1 and abs(tp[0] - math.log(2.0)) < 1e-9, f"peak event at ln 2: {tp}")
        check(f["y"].shape[0] == 2 and f["dense/c"].shape[2] == 2, "shapes (n, N), (d+1, m, n)")

    # step 6, the C snippet inside a small program
    snippet = next(b for b in blocks("c") if "ivp_solve(" in b)
    prog = ('#include <stdio.h>\n#include "ivp/solve.h"\n#include "ivp/memsink.h"\n'
            "static int rhs(double t, const double *y, double *dydt, const ivp_ctx *ctx)\n"
            "{ (void)t; dydt[0] = -ctx->p[0] * y[0]; dydt[1] = ctx->p[0] * y[0] - y[1]; return 0; }\n"
            "int main(void)\n{\n    double params[1] = {2.0}, y0[2] = {1.0, 0.0};\n"
            + snippet +
            '    return 0;\n}\n')
    # print the end state instead of the comment line, from the snippet's own variables
    prog = prog.replace("/* ms.t[i], ms.y[i*n + j]; res.nfev, res.status, ... */",
                        'printf("%.17g %.17g %d\\n", ms.y[(ms.n_points - 1) * 2], '
                        'ms.y[(ms.n_points - 1) * 2 + 1], res.status);')
    with open(os.path.join(work, "snippet.c"), "w") as f:
        f.write(prog)
    # libivp alone (it loads LAPACK/SuiteSparse only for the implicit methods); version.h is
    # generated into the build tree
    core_lib = os.environ["IVP_CORE_LIB"]
    cmd = ["cc", "-std=c17", "-O2"] + os.environ.get("IVP_EXTRA_CFLAGS", "").split() + [
           "-I" + os.path.join(SRC, "core", "include"),
           "-I" + os.path.join(os.environ["IVP_BUILD_DIR"], "core", "include"),
           "snippet.c", core_lib, "-Wl,-rpath," + os.path.dirname(core_lib),
           "-lm", "-o", "snippet"]
    p = run(cmd, work)
    check(p.returncode == 0, "README's C snippet compiles: " + p.stderr[-500:])
    if p.returncode == 0:
        p = run([os.path.join(work, "snippet")], work)
        vals = p.stdout.split()
        ok = (p.returncode == 0 and len(vals) == 3 and vals[2] == "0"
              and abs(float(vals[0]) - math.exp(-20.0)) < 1e-6
              and abs(float(vals[1]) - 2 * (math.exp(-10.0) - math.exp(-20.0))) < 1e-5)
        check(ok, f"C snippet solves to t = 10: {p.stdout.strip()}")

# The Examples section: every command as written, run from a copy of plugins/ laid out as
# in the source tree, and what the examples promise.
with tempfile.TemporaryDirectory() as work:
    import shlex
    import shutil
    import numpy as np
    shutil.copytree(os.path.join(SRC, "plugins"), os.path.join(work, "plugins"))
    os.makedirs(os.path.join(work, "build", "cli"))
    os.symlink(IVP, os.path.join(work, "build", "cli", "ivp"))
    cmds = [ln.split("#")[0].strip() for b in blocks("sh") if "plugins/kepler.json" in b
            for ln in b.splitlines() if ln.strip()]
    check(len(cmds) == 6, f"six example commands: {cmds}")
    for c in cmds:
        p = run(shlex.split(c), work)
        check(p.returncode == 0, "example: " + c)
    with h5py.File(os.path.join(work, "bouncing_ball.h5"), "r") as f:
        check(f.attrs["status"] == 1 and abs(f["t"][-1] - math.sqrt(20 / 9.81)) < 1e-9,
              "the ball lands at sqrt(2*10/9.81)")
    with h5py.File(os.path.join(work, "kepler.h5"), "r") as f:
        te = f["events/revolution/t"][()]
        check(len(te) == 10 and np.allclose(te, math.pi * (2 * np.arange(10) + 1), atol=1e-6),
              "Kepler: one event per orbit at pi, 3 pi, ..., 19 pi")
    with h5py.File(os.path.join(work, "lorenz.h5"), "r") as f:
        check(f["t"].shape == (2001,) and f["y"].shape == (3, 2001), "Lorenz: 2001 t_eval points")
    with h5py.File(os.path.join(work, "vanderpol.h5"), "r") as f:
        check(f["dense/c"].shape[0] == 5 and 1.9 < np.max(f["y"][0]) < 2.1,
              "Van der Pol: dense output, limit cycle amplitude about 2")
    with h5py.File(os.path.join(work, "vdp1000.h5"), "r") as f:
        check(f.attrs["method"] == "BDF" and f.attrs["status"] == 0 and f["t"][-1] == 3000.0,
              "Van der Pol mu = 1000 with BDF reaches t = 3000")
    with h5py.File(os.path.join(work, "vdp1000-lsoda.h5"), "r") as f:
        a = f.attrs
        check(a["n_steps_adams"] + a["n_steps_bdf"] == a["n_steps"] and a["n_switches"] >= 1
              and a["n_steps_bdf"] > a["n_steps_adams"],
              "LSODA switched to BDF on stiff Van der Pol and says so in the attributes")

if failures:
    print(f"{len(failures)} check(s) failed")
    sys.exit(1)
print("all README checks passed")
