# SPDX-License-Identifier: MIT
"""bench/models/bench_models.py IVP_BIN BENCH_CALLS SRC_DIR [BEFORE_DIR] - expression models
against the hand-written plugins of the same ODEs (issue #10's targets; bench/models/README.md):

1. rhs and Jacobian call times (bench_calls calls): the generated C and the hand-written C, each
   compiled with ivp's on-demand command (cc -O2 -shared -fPIC), dlopened by one process.
2. Every rhs call, differencing included, for the N = 500 Brusselator model with its exact
   sparse Jacobian and with finite differences on the same pattern (bench_calls solve).
3. Generation + compilation time of the Brusselator model (`ivp build SPEC.json -o m.c`, then
   the compiler) against the compilation of tests/problems/brusselator1d.c: medians of 9,
   alternating.
4. The size of the C generated for a 10^5-component model.
With BEFORE_DIR (C generated earlier, e.g. by an older ivp: BEFORE_DIR/NAME_model.c), part 1
runs 3 rounds, each timing the earlier code and then the current one against the plugin, so
that before and after come from the same run (a row per round and version).
Not a test: prints markdown tables."""
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

IVP, CALLS, SRC = (os.path.abspath(a) for a in sys.argv[1:4])
BEFORE = os.path.abspath(sys.argv[4]) if len(sys.argv) > 4 else None
CC = os.environ.get("CC", "cc")
tmp = tempfile.mkdtemp(prefix="ivp-bench-models-")
INC = os.path.join(SRC, "plugins")


def cc(src, out):
    subprocess.run([CC, "-O2", "-shared", "-fPIC", "-I" + INC, "-o", out, src, "-lm"], check=True)


def model_so(name, before=False):
    if before:
        c = os.path.join(BEFORE, name + "_model.c")
        so = os.path.join(tmp, name + "_before.so")
        cc(c, so)
        return so
    c = os.path.join(tmp, name + "_model.c")
    subprocess.run([IVP, "build", os.path.join(SRC, "examples/models", name + ".json"), "-o", c],
                   check=True, capture_output=True)
    so = c[:-2] + ".so"
    cc(c, so)
    return so


def plugin_so(rel):
    so = os.path.join(tmp, os.path.basename(rel)[:-2] + "_plugin.so")
    cc(os.path.join(SRC, rel), so)
    return so


print("## rhs and Jacobian calls (median ns per call; ratio model / hand-written)\n")
print(("| version |" if BEFORE else "|") +
      " model | n | rhs model | rhs C | ratio | jac model | jac C | ratio | max rel diff rhs / jac |")
print("|---|---|---|---|---|---|---|---|---|" + ("---|" if BEFORE else ""))
cases = [("vdp", "vanderpol", "plugins/vanderpol.c", None),
         ("rober", "robertson", "tests/problems/rober.c", None),
         ("lorenz", "lorenz", "plugins/lorenz.c", "tests/problems/lorenz.c"),
         ("bruss", "brusselator1d", "tests/problems/brusselator1d.c", None)]
versions = [(True, "before"), (False, "after")] if BEFORE else [(False, None)]
for rnd in range(3 if BEFORE else 1):
    for case, model, plug, jac in cases:
        for before, tag in versions:
            args = [CALLS, "calls", case, model_so(model, before), plugin_so(plug)]
            if jac:
                args.append(plugin_so(jac))
            if tag:
                print(f"| {tag}, round {rnd + 1} ", end="")
            sys.stdout.flush()
            subprocess.run(args, check=True)

print("\n## Brusselator N = 500: exact sparse Jacobian vs differences on the same pattern\n")
sys.stdout.flush()
subprocess.run([CALLS, "solve", model_so("brusselator1d")], check=True)

print("\n## Generation + compilation, Brusselator N = 500 (median of 9 s)\n")
spec = os.path.join(SRC, "examples/models/brusselator1d.json")
hand = os.path.join(SRC, "tests/problems/brusselator1d.c")
gen_c = os.path.join(tmp, "gen.c")
tg, tb, th = [], [], []
for _ in range(9):
    t0 = time.perf_counter()
    subprocess.run([IVP, "build", spec, "-o", gen_c], check=True, capture_output=True)
    t1 = time.perf_counter()
    cc(gen_c, os.path.join(tmp, "gen.so"))
    t2 = time.perf_counter()
    cc(hand, os.path.join(tmp, "hand.so"))
    t3 = time.perf_counter()
    tg.append(t1 - t0)
    tb.append(t2 - t0)
    th.append(t3 - t2)
g, b, h = (statistics.median(v) for v in (tg, tb, th))
print("| step | median s |\n|---|---|")
print(f"| `ivp build SPEC.json -o m.c` (generation) | {g:.3f} |")
print(f"| generation + `cc -O2 -shared -fPIC` of it ({os.path.getsize(gen_c)} bytes) | {b:.3f} |")
print(f"| `cc -O2 -shared -fPIC` of brusselator1d.c ({os.path.getsize(hand)} bytes) | {h:.3f} |")
print(f"| ratio | {b / h:.2f} |")

print("\n## A 10^5-component model\n")
big = {"model": {"states": ["u[N]"], "constants": {"N": 100000}, "params": ["D"],
                 "rhs": {"u[i]": "D*(u[i-1] - 2*u[i] + u[i+1])", "u[0]": "D*(u[1] - 2*u[0])",
                         "u[N-1]": "D*(u[N-2] - 2*u[N-1])"}},
       "params": {"D": 1}, "t_span": [0, 1], "y0": [1] * 100000}
bp = os.path.join(tmp, "big.json")
json.dump(big, open(bp, "w"))
bc = os.path.join(tmp, "big.c")
subprocess.run([IVP, "build", bp, "-o", bc], check=True, capture_output=True)
print(f"generated C: {os.path.getsize(bc)} bytes")
