# SPDX-License-Identifier: MIT
"""bench/models/bench_models.py IVP_BIN SRC_DIR BUILD_DIR - the N = 500 Brusselator as an
expression model against the hand-written plugin (tests/problems/brusselator1d.c): solve time
(min over repeats) with each one's exact sparse Jacobian, and the model with finite differences
over the same pattern. Not a test: prints a table (bench/models/README.md)."""
import json
import os
import subprocess
import sys
import tempfile

import h5py

IVP, SRC, BUILD = sys.argv[1:4]
tmp = tempfile.mkdtemp()
br = json.load(open(os.path.join(SRC, "examples/models/brusselator1d.json")))
br.pop("output")
N = 500
y0 = br["y0"]
inter = [0.0] * (2 * N)
inter[0::2] = y0[:N]
inter[1::2] = y0[N:]
c = {k: v for k, v in br.items() if k != "model"}
c.update(plugin=os.path.join(BUILD, "tests/problems/brusselator1d.so"), y0=inter,
         params={"N": N, "alpha": 0.02}, jac_sparsity="plugin")
mfd = dict(br, jac="fd", jac_sparsity="plugin")


def best(spec, tag, reps=7):
    path = os.path.join(tmp, tag + ".json")
    out = os.path.join(tmp, tag + ".h5")
    json.dump(spec, open(path, "w"))
    ts = []
    for _ in range(reps):
        subprocess.run([IVP, "run", path, "-o", out, "--quiet"], check=True)
        with h5py.File(out) as h:
            ts.append(h.attrs["solve_seconds"])
            nf, nj, nl = h.attrs["nfev"], h.attrs["njev"], h.attrs["nlu"]
    print(f"| {tag} | {min(ts) * 1e3:.2f} | {nf} | {nj} | {nl} |")


print("| run | min solve ms | nfev | njev | nlu |\n|---|---|---|---|---|")
for m in ("BDF", "Radau"):
    best(dict(br, method=m), "model, exact sparse Jacobian, " + m)
    best(dict(c, method=m), "C plugin, exact sparse Jacobian, " + m)
    best(dict(mfd, method=m), "model, differences on the same pattern, " + m)
