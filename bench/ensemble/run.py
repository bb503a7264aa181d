#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""bench/ensemble/run.py - issue 8's ensemble targets side by side in one run (builds nothing).

    /usr/bin/python3 bench/ensemble/run.py --build build [--build-mpi build-mpi] \
        [--members 10000] [--sample 200] [--repeat 3] [--write-readme]

Van der Pol (plugins/vanderpol.c), mu in [0.5, 5] (K members, linspace), t in [0, 20], RK45,
rtol = atol = 1e-6, 101 t_eval points:
  - `ivp run -j 2` wall <= 1.25 x (sum of /members/solve_seconds / 2) + one file's fixed cost
    (the wall of `ivp run` of a 1-member ensemble of the same spec);
  - >= 100x faster than the same members as separate `ivp run --set params.mu=...` processes
    under GNU parallel -j 2 (a sample of --sample members, timed and scaled to K);
  - >= 500x faster than a scipy solve_ivp loop with a Python rhs (a sample, scaled);
  - -j 1 -> -j 2 wall >= 1.8x;
  - `mpirun -n 2 ivp run -j 1` (with --build-mpi) within 10% of -j 2: ivp's own wall (its
    summary line: solving and writing, launch excluded) and the whole command's;
and, reported without a target: a stiff ensemble (mu in [100, 1000], t in [0, 3000], BDF) against scipy's BDF,
and a sparse one (tests/problems/brusselator2d.c on a 32 x 32 grid, alpha varied, BDF with the
plugin's sparsity pattern): time per member, and KLU symbolic analyses counted with gdb (a
breakpoint on klu_analyze; one per worker's solver means the pattern is analysed once per
worker, not per member). Every figure is a median of --repeat runs; walls are whole processes.
"""
import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import h5py
import numpy as np
from scipy.integrate import solve_ivp

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(SRC, "tests", "stiff"))
from bruss_spec import y0_2d  # noqa: E402

VDP = os.path.join(SRC, "plugins", "vanderpol.c")
BRUSS2D = os.path.join(SRC, "tests", "problems", "brusselator2d.c")


def wall(cmd, **kw):
    t = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True, **kw)
    dt = time.perf_counter() - t
    if p.returncode != 0:
        sys.exit("failed (%d): %s\n%s" % (p.returncode, " ".join(cmd), p.stderr))
    return dt, p


def own_wall(stderr):
    m = re.search(r"wall ([0-9.e+-]+) s", stderr)
    return float(m.group(1)) if m else float("nan")


def median(xs):
    return statistics.median(xs)


class Bench:
    def __init__(self, args):
        self.a = args
        self.dir = tempfile.mkdtemp(prefix="ivp-ens-bench-")
        os.environ["IVP_CACHE_DIR"] = os.path.join(self.dir, "cache")
        os.environ["OPENBLAS_NUM_THREADS"] = "1"
        self.ivp = os.path.join(args.build, "cli", "ivp")
        self.ivp_mpi = os.path.join(args.build_mpi, "cli", "ivp") if args.build_mpi else None
        self.rows = []

    def path(self, name):
        return os.path.join(self.dir, name)

    def spec(self, name, d):
        p = self.path(name)
        with open(p, "w") as f:
            json.dump(d, f)
        return p

    def vdp_base(self, **kw):
        d = {"plugin": VDP, "t_span": [0, 20], "y0": [2, 0], "params": {"mu": 1},
             "method": "RK45", "rtol": 1e-6, "atol": 1e-6,
             "t_eval": {"linspace": [0, 20, 101]}}
        d.update(kw)
        return d

    def run_ens(self, spec, j, out, ivp=None, pre=()):
        # a fresh output name, as in a scan: replacing the previous repeat's file would add the
        # file system's freeing of its blocks (~10 ms for 20 MB here) to the rename
        if os.path.exists(out):
            os.unlink(out)
        return wall(list(pre) + [ivp or self.ivp, "run", spec, "-o", out, "-j", str(j)])

    def row(self, what, value, target, ok):
        self.rows.append((what, value, target, "" if ok is None else ("PASS" if ok else "MISS")))

    def vdp(self):
        a, K, S, R = self.a, self.a.members, self.a.sample, self.a.repeat
        mus = np.linspace(0.5, 5, K)
        spec = self.spec("vdp.json", self.vdp_base(
            ensemble={"grid": {"params.mu": {"linspace": [0.5, 5, K]}}}))
        one = self.spec("vdp1.json", self.vdp_base(ensemble={"zip": {"params.mu": [0.5]}}))
        base = self.spec("vdp_single.json", self.vdp_base())
        self.run_ens(one, 1, self.path("warm.h5"))  # compiles the plugin into the cache
        fixed = median([self.run_ens(one, 1, self.path("one.h5"))[0] for _ in range(R)])
        w1, w2, sums, own2 = [], [], [], []
        for _ in range(R):
            w1.append(self.run_ens(spec, 1, self.path("j1.h5"))[0])
            dt, p = self.run_ens(spec, 2, self.path("j2.h5"))
            w2.append(dt)
            own2.append(own_wall(p.stderr))
            with h5py.File(self.path("j2.h5"), "r") as f:
                sums.append(float(np.sum(f["members/solve_seconds"][()])))
        W1, W2, SUM, OWN2 = median(w1), median(w2), median(sums), median(own2)
        bound = 1.25 * SUM / 2 + fixed
        self.row("VdP K=%d RK45 -j 2: wall (s)" % K, "%.3f" % W2,
                 "<= 1.25 x %.3f/2 + %.3f = %.3f" % (SUM, fixed, bound), W2 <= bound)
        self.row("threads: wall -j 1 / -j 2", "%.2fx (%.3f / %.3f s)" % (W1 / W2, W1, W2),
                 ">= 1.8x", W1 / W2 >= 1.8)

        # separate processes under GNU parallel -j 2, a sample scaled to K
        idx = np.linspace(0, K - 1, S).round().astype(int)
        outdir = self.path("par")
        os.makedirs(outdir, exist_ok=True)
        if shutil.which("parallel"):
            tool = "GNU parallel -j 2"
            cmd = ["parallel", "-j", "2", "--halt", "now,fail=1", self.ivp, "run", base, "-q",
                   "-o", os.path.join(outdir, "{#}.h5"), "--set", "params.mu={}", ":::"]
            cmd += [repr(float(mus[i])) for i in idx]
            inp = None
        else:
            tool = "xargs -P 2 (GNU parallel not installed)"
            cmd = ["xargs", "-P", "2", "-I{}", self.ivp, "run", base, "-q", "-o",
                   os.path.join(outdir, "{}.h5"), "--set", "params.mu={}"]
            inp = "\n".join(repr(float(mus[i])) for i in idx)
        tp = median([wall(cmd, input=inp)[0] for _ in range(R)]) * K / S
        self.row("separate `ivp run` x %d under %s (scaled from %d), s" % (K, tool, S),
                 "%.1f -> %.0fx" % (tp, tp / W2), ">= 100x", tp / W2 >= 100)

        # scipy loop, a sample scaled to K
        def vdp_rhs(t, y, mu):
            return [y[1], mu * (1 - y[0] * y[0]) * y[1] - y[0]]
        te = np.linspace(0, 20, 101)
        ts = []
        for _ in range(R):
            t0 = time.perf_counter()
            for i in idx:
                solve_ivp(vdp_rhs, (0, 20), [2, 0], method="RK45", rtol=1e-6, atol=1e-6,
                          t_eval=te, args=(float(mus[i]),))
            ts.append((time.perf_counter() - t0) * K / S)
        TS = median(ts)
        self.row("scipy solve_ivp loop x %d (scaled from %d), s" % (K, S),
                 "%.1f -> %.0fx" % (TS, TS / W2), ">= 500x", TS / W2 >= 500)

        if self.ivp_mpi:
            mpi = ["mpirun", "--oversubscribe", "-n", "2"]
            if os.geteuid() == 0:
                mpi.insert(1, "--allow-run-as-root")
            wm, ownm, w2m, own2m = [], [], [], []
            for _ in range(R):
                dt, p = self.run_ens(spec, 1, self.path("m2.h5"), ivp=self.ivp_mpi, pre=mpi)
                wm.append(dt)
                ownm.append(own_wall(p.stderr))
                dt, p = self.run_ens(spec, 2, self.path("m_j2.h5"), ivp=self.ivp_mpi)
                w2m.append(dt)
                own2m.append(own_wall(p.stderr))
            WM, OWNM, W2M, OWN2M = median(wm), median(ownm), median(w2m), median(own2m)
            self.row("MPI 2 ranks x -j 1 / -j 2 (ivp's own wall)",
                     "%.2f (%.3f / %.3f s)" % (OWNM / OWN2M, OWNM, OWN2M), "<= 1.10",
                     OWNM / OWN2M <= 1.10)
            self.row("MPI 2 ranks / -j 2 (whole command, mpirun start included)",
                     "%.2f (%.3f / %.3f s)" % (WM / W2M, WM, W2M), "(report)", None)

    def stiff(self):
        R, K, S = self.a.repeat, self.a.stiff_members, self.a.stiff_sample
        T = 3000.0  # about 2 relaxation periods at mu = 1000 (period ~ 1.61 mu), 19 at 100
        spec = self.spec("stiff.json", self.vdp_base(
            method="BDF", t_span=[0, T], t_eval={"linspace": [0, T, 101]},
            ensemble={"grid": {"params.mu": {"linspace": [100, 1000, K]}}}))
        w = []
        for _ in range(R):
            w.append(self.run_ens(spec, 2, self.path("stiff.h5"))[0])
        W = median(w)
        with h5py.File(self.path("stiff.h5"), "r") as f:
            steps = f["members/n_steps"][()]
            ok = int(np.sum(f["members/status"][()] == 0))
        mus = np.linspace(100, 1000, K)
        idx = np.linspace(0, K - 1, S).round().astype(int)

        def rhs(t, y, mu):
            return [y[1], mu * (1 - y[0] * y[0]) * y[1] - y[0]]

        def jac(t, y, mu):
            return [[0.0, 1.0], [-2 * mu * y[0] * y[1] - 1, mu * (1 - y[0] * y[0])]]
        te = np.linspace(0, T, 101)
        ts = []
        for _ in range(R):
            t0 = time.perf_counter()
            for i in idx:
                solve_ivp(rhs, (0, T), [2, 0], method="BDF", rtol=1e-6, atol=1e-6, t_eval=te,
                          jac=jac, args=(float(mus[i]),))
            ts.append((time.perf_counter() - t0) * K / S)
        TS = median(ts)
        self.row("stiff VdP mu in [100, 1000], t in [0, 3000], BDF K=%d -j 2: wall (s), %d ok, steps %d..%d"
                 % (K, ok, steps.min(), steps.max()),
                 "%.3f (%.2f ms/member)" % (W, 1e3 * W / K), "(report)", None)
        self.row("  scipy BDF loop (Python rhs+jac, scaled from %d), s" % S,
                 "%.1f -> %.0fx" % (TS, TS / W), "(report)", None)

    def sparse(self):
        R, K, NS = self.a.repeat, self.a.sparse_members, 32
        d = {"plugin": BRUSS2D, "t_span": [0, 1.5], "y0": y0_2d(NS).tolist(),
             "params": {"NS": NS, "alpha": 0.1}, "method": "BDF", "rtol": 1e-6,
             "atol": 1e-6, "jac_sparsity": "plugin", "t_eval": {"linspace": [0, 1.5, 16]}}
        single = self.spec("bruss_single.json", d)
        d["ensemble"] = {"grid": {"params.alpha": {"linspace": [0.05, 0.15, K]}}}
        spec = self.spec("bruss.json", d)
        self.run_ens(spec, 2, self.path("bruss_warm.h5"))
        w = [self.run_ens(spec, 2, self.path("bruss.h5"))[0] for _ in range(R)]
        W = median(w)
        with h5py.File(self.path("bruss.h5"), "r") as f:
            secs = f["members/solve_seconds"][()]
            nlu = f["members/nlu"][()]
            ok = int(np.sum(f["members/status"][()] == 0))
        one = median([wall([self.ivp, "run", single, "-q", "-o", self.path("b1.h5")])[0]
                      for _ in range(R)])
        self.row("sparse Brusselator 2-D %dx%d (n=%d) BDF K=%d -j 2: wall (s), %d ok"
                 % (NS, NS, 2 * NS * NS, K, ok),
                 "%.3f (%.1f ms/member; solve median %.1f ms, nlu median %d)"
                 % (W, 1e3 * W / K, 1e3 * float(np.median(secs)), int(np.median(nlu))),
                 "(report)", None)
        self.row("  one member as its own `ivp run` process, s", "%.3f" % one, "(report)", None)
        gdb = shutil.which("gdb")
        if gdb:
            script = self.path("count.gdb")
            with open(script, "w") as f:
                f.write("set breakpoint pending on\nset pagination off\nbreak klu_analyze\n"
                        "commands\nsilent\ncontinue\nend\nrun\ninfo breakpoints\n")
            p = subprocess.run([gdb, "-q", "-batch", "-x", script, "--args", self.ivp, "run",
                                spec, "-q", "-o", self.path("bruss_gdb.h5"), "-j", "2"],
                               capture_output=True, text=True)
            m = re.search(r"breakpoint already hit (\d+) time", p.stdout)
            hits = int(m.group(1)) if m else 0
            self.row("  KLU symbolic analyses (gdb, klu_analyze) for K=%d, -j 2" % K,
                     str(hits), "one per worker (2), not per member", hits == 2)
        else:
            self.row("  KLU symbolic analyses", "not measured (no gdb)", "one per worker", None)

    def table(self):
        w0 = max(len(r[0]) for r in self.rows)
        w1 = max(len(r[1]) for r in self.rows)
        w2 = max(len(r[2]) for r in self.rows)
        lines = ["| %s | %s | %s | |" % ("figure".ljust(w0), "measured".ljust(w1),
                                        "target".ljust(w2)),
                 "|%s|%s|%s|---|" % ("-" * (w0 + 2), "-" * (w1 + 2), "-" * (w2 + 2))]
        for r in self.rows:
            lines.append("| %s | %s | %s | %s |" % (r[0].ljust(w0), r[1].ljust(w1),
                                                   r[2].ljust(w2), r[3]))
        return "\n".join(lines)


def machine():
    model = "?"
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        m = re.search(r"Model name:\s*(.+)", out)
        model = m.group(1).strip() if m else model
    except OSError:
        pass
    load = os.getloadavg()[0]
    return "%s, nproc %d, %s, load %.1f at the start" % (model, os.cpu_count(), platform.platform(),
                                                           load)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", required=True)
    ap.add_argument("--build-mpi")
    ap.add_argument("--members", type=int, default=10000)
    ap.add_argument("--sample", type=int, default=200)
    ap.add_argument("--stiff-members", type=int, default=1000)
    ap.add_argument("--stiff-sample", type=int, default=20)
    ap.add_argument("--sparse-members", type=int, default=16)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--write-readme", action="store_true")
    a = ap.parse_args()
    b = Bench(a)
    try:
        mach = machine()
        b.vdp()
        b.stiff()
        b.sparse()
    finally:
        shutil.rmtree(b.dir, ignore_errors=True)
    cmd = "/usr/bin/python3 bench/ensemble/run.py " + " ".join(sys.argv[1:])
    text = b.table()
    print(text)
    if a.write_readme:
        commit = subprocess.run(["git", "-C", SRC, "rev-parse", "--short", "HEAD"],
                                capture_output=True, text=True).stdout.strip()
        readme = os.path.join(HERE, "README.md")
        notes = ""  # a hand-written "## Notes" section at the end is kept
        if os.path.exists(readme):
            with open(readme) as f:
                old = f.read()
            at = old.find("\n## Notes")
            notes = old[at:] if at >= 0 else ""
        with open(readme, "w") as f:
            f.write(README_HEAD + "\n## Latest run\n\n`%s` at commit %s on %s; medians of %d "
                    "runs.\n\n%s\n%s" % (cmd, commit, mach, a.repeat, text, notes))


README_HEAD = """# Ensemble benchmarks (issue 8)

`run.py` measures issue 8's ensemble targets side by side in one run and prints a table with
the target and PASS/MISS (figures without a target are reported). It builds nothing: give it
a build (and optionally an MPI build, `-DIVP_MPI=ON`). Needs Debian's `python3` (numpy, scipy,
h5py); GNU `parallel` (`apt-get install parallel`; else `xargs -P 2` stands in and the table
says so); `gdb` (optional) to count KLU symbolic analyses; `mpirun` for the MPI row.

```sh
cmake -S . -B build && cmake --build build -j2
cmake -S . -B build-mpi -DIVP_MPI=ON && cmake --build build-mpi -j2     # optional
/usr/bin/python3 bench/ensemble/run.py --build build --build-mpi build-mpi --write-readme
```

What is measured (see the docstring of run.py): Van der Pol mu in [0.5, 5], t in [0, 20], RK45,
rtol = atol = 1e-6, 101 t_eval points, 10^4 members; walls are whole `ivp run` processes
(plugin load, solving, the file), "fixed cost" is that of a 1-member ensemble; the GNU parallel
and scipy peers time a sample of 200 members and scale it to 10^4; the MPI row compares ivp's
own wall (its summary line, mpirun's start excluded) and, reported, the whole command's.
The stiff (mu in [100, 1000], BDF) and sparse (2-D Brusselator 32 x 32, alpha varied, BDF with
the plugin's pattern) ensembles are reported; the KLU count shows the pattern is analysed once
per worker (in ivp_solver_new), not per member (ivp_solver_reset keeps it).
"""

if __name__ == "__main__":
    main()
