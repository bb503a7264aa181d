#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Every figure of issue 7's targets in one run, side by side: medians, targets, PASS/MISS.

Builds nothing. Needs a build configured with -DIVP_BUILD_BENCH=ON (cli/ivp,
bench/explicit/explicit_bench, bench/peers/{peers_bench,h5_proc_min,proc_time}, and
bench/h5/h5_bench when that benchmark is in the tree) and a python3 with numpy, scipy and h5py
(Debian's /usr/bin/python3; the first python3 on PATH may lack them). strace is optional (the
process-start diagnostics).

Sections:
  1. Seed cases: ivp's solve_seconds (integration + HDF5 writes of every step, in the `ivp run`
     process) against scipy.integrate.solve_ivp in the same run (runs interleaved), with the
     minimal fused loop (bench/explicit/anchor.c), GSL gsl_odeiv2 (rkf45, rk8pd) and SUNDIALS
     CVODE (Adams, BDF) as further peers; error at t_end against a tight reference. GSL's and
     CVODE's controllers differ from scipy's, so they are also shown at equal achieved accuracy
     (the loosest tolerance on a ladder whose error is at most ivp's).
  2. Explicit methods in-process, time per rhs call against the minimal fused loop, n = 2..10^6
     (bench/explicit/explicit_bench).
  3. HDF5: bench/h5/h5_bench's tables, verbatim (short files vs a minimal HDF5 program; the
     sweep of 10^3..10^7 output points against plain write(), once with no fsync but the sink's
     own, and once with every file fsync'ed, since the sink always fsyncs before its rename).
  4. Process start: a whole `ivp run` of a tiny problem (y' = -y, n = 2, RK45, t in [0, 1]) vs
     bench/peers/h5_proc_min as processes (fork/exec/wait4, interleaved, medians), with the
     shared libraries, failed look-ups, threads and relocations of each.

Usage: python3 bench/run_all.py [--build build] [--repeat 7] [--quick] [--sections 1,2,3,4]
       [--write-readme]
"""
import argparse
import datetime
import json
import os
import platform
import re
import shlex
import shutil
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
BEGIN, END = "<!-- run_all:begin -->", "<!-- run_all:end -->"

# Tolerance ladder for the equal-accuracy peers: factors applied to rtol and atol alike.
LADDER = (1000.0, 300.0, 100.0, 30.0, 10.0, 3.0, 1.0, 1 / 3, 0.1, 0.03, 0.01, 3e-3, 1e-3, 3e-4,
          1e-4)


# ---- helpers ----------------------------------------------------------------------------------

def median(xs):
    return statistics.median(xs)


def fmt_time(s):
    if s >= 1.0:
        return "%.2f s" % s
    if s >= 1e-3:
        return "%.3g ms" % (s * 1e3)
    return "%.3g us" % (s * 1e6)


def run(cmd, env=None, check=True):
    p = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if check and p.returncode != 0:
        sys.exit("run_all: %s failed (exit %d): %s" % (" ".join(shlex.quote(c) for c in cmd),
                                                       p.returncode, p.stderr.strip()))
    return p


def sh(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, shell=True).stdout.strip()
    except OSError:
        return ""


def pkg_version(*names):
    for n in names:
        v = sh("dpkg-query -W -f '${Version}' %s 2>/dev/null" % n)
        if v:
            return v
    return "not installed"


def machine_info():
    model = ""
    for line in sh("lscpu").splitlines():
        if line.startswith("Model name:"):
            model = line.split(":", 1)[1].strip()
    return {
        "cpu": model or platform.processor(),
        "nproc": os.cpu_count(),
        "load": "%.2f %.2f %.2f" % os.getloadavg(),
        "compiler": sh("cc --version | head -1"),
        "scipy": scipy.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
        "openblas": pkg_version("libopenblas0-pthread", "libopenblas0"),
        "hdf5": pkg_version("libhdf5-103-1", "libhdf5-103"),
        "gsl": pkg_version("libgsl27", "libgsl-dev"),
        "sundials": pkg_version("libsundials-dev", "libsundials-cvode6"),
        "commit": sh("git -C %s rev-parse --short HEAD" % shlex.quote(ROOT))
        + (" (with local changes)" if sh("git -C %s status --porcelain --untracked-files=no"
                                        % shlex.quote(ROOT)) else ""),
    }


# ---- 1. seed cases --------------------------------------------------------------------------

class Ivp:
    def __init__(self, ivp, work):
        self.ivp = ivp
        self.work = work
        self.env = dict(os.environ, IVP_CACHE_DIR=os.path.join(work, "cache"))

    def solve(self, spec, tag):
        path = os.path.join(self.work, tag + ".json")
        out = os.path.join(self.work, tag + ".h5")
        with open(path, "w") as f:
            json.dump(spec, f)
        run([self.ivp, "run", path, "-o", out, "--quiet"], env=self.env)
        with h5py.File(out, "r") as f:
            return {"seconds": float(f.attrs["solve_seconds"]), "nfev": int(f.attrs["nfev"]),
                    "steps": int(f.attrs["n_steps"]), "y_end": f["y"][:, -1].copy()}


def seed_cases(quick):
    vdp = os.path.join(ROOT, "plugins", "vanderpol.c")
    lin = os.path.join(HERE, "peers", "linear.c")
    n_lin = 1000
    y0_lin = [1.0 + i / n_lin for i in range(n_lin)]
    return [
        dict(name="Van der Pol mu = 1, [0, 100], RK45, rtol = atol = 1e-6", key="vdp1-rk45",
             method="RK45", problem="vdp", mu=1.0, t_end=100.0, rtol=1e-6, atol=1e-6,
             y0=[2.0, 0.0], plugin=vdp, target=300.0,
             peers=["anchor-rk45", "gsl-rkf45", "cvode-adams"]),
        dict(name="Van der Pol mu = 1, [0, 100], DOP853, rtol = atol = 1e-6", key="vdp1-dop853",
             method="DOP853", problem="vdp", mu=1.0, t_end=100.0, rtol=1e-6, atol=1e-6,
             y0=[2.0, 0.0], plugin=vdp, target=300.0,
             peers=["anchor-dop853", "gsl-rk8pd", "cvode-adams"]),
        dict(name="Van der Pol mu = 1000 (eps = 1e-3), [0, 3000], BDF, rtol = 1e-6, atol = 1e-9",
             key="vdp1000-bdf", method="BDF", problem="vdp", mu=1000.0, t_end=3000.0,
             rtol=1e-6, atol=1e-9, y0=[2.0, 0.0], plugin=vdp, target=150.0,
             peers=["cvode-bdf"]),
        dict(name="y' = -y, N = 1000, [0, 10], RK45, rtol = atol = 1e-6", key="linear-rk45",
             method="RK45", problem="linear", n=n_lin, t_end=10.0, rtol=1e-6, atol=1e-6,
             y0=y0_lin, plugin=lin, target=3.0,
             peers=["anchor-rk45", "gsl-rkf45", "cvode-adams"]),
    ]


def scipy_solve(case, method=None, rtol=None, atol=None):
    if case["problem"] == "vdp":
        mu = case["mu"]

        def f(t, y):
            return [y[1], mu * (1.0 - y[0] * y[0]) * y[1] - y[0]]

        def jac(t, y):
            return [[0.0, 1.0], [-2.0 * mu * y[0] * y[1] - 1.0, mu * (1.0 - y[0] * y[0])]]
    else:
        def f(t, y):
            return -y

        jac = None
    method = method or case["method"]
    kw = {"jac": jac} if method in ("BDF", "Radau", "LSODA") and jac is not None else {}
    t0 = time.perf_counter()
    sol = solve_ivp(f, [0.0, case["t_end"]], np.array(case["y0"]), method=method,
                    rtol=rtol or case["rtol"], atol=atol or case["atol"], **kw)
    dt = time.perf_counter() - t0
    if not sol.success:
        sys.exit("run_all: scipy %s failed on %s: %s" % (method, case["key"], sol.message))
    return {"seconds": dt, "nfev": int(sol.nfev), "steps": len(sol.t) - 1,
            "y_end": sol.y[:, -1].copy()}


def reference(case, ivp):
    """y(t_end): exact for the linear case; ivp Radau at rtol 1e-12 for Van der Pol (scipy
    DOP853 at 1e-13 as a cross-check for mu = 1)."""
    if case["problem"] == "linear":
        return np.array(case["y0"]) * np.exp(-case["t_end"])
    spec = {"plugin": case["plugin"], "t_span": [0, case["t_end"]], "y0": case["y0"],
            "params": {"mu": case["mu"]}, "method": "Radau", "rtol": 1e-12, "atol": 1e-15}
    return ivp.solve(spec, case["key"] + "-ref")["y_end"]


def rel_err(y, ref):
    y = np.asarray(y)
    return float(np.max(np.abs(y - ref) / np.maximum(np.abs(ref), 1e-300)))


def peer_cmd(peers_bin, case, solver, rtol, atol, repeats):
    cmd = [peers_bin, case["problem"], solver, "--t-end", repr(case["t_end"]), "--rtol",
           repr(rtol), "--atol", repr(atol), "--repeats", str(repeats)]
    cmd += ["--mu", repr(case["mu"])] if case["problem"] == "vdp" else ["--n", str(case["n"])]
    return cmd


def peer_run(peers_bin, case, solver, rtol, atol, repeats, ref):
    p = run(peer_cmd(peers_bin, case, solver, rtol, atol, repeats), check=False)
    if p.returncode != 0:
        return None
    d = json.loads(p.stdout)
    d["err"] = d["max_rel_err"] if case["problem"] == "linear" else rel_err(d["y_end"], ref)
    return d


def peers_available(peers_bin):
    p = subprocess.run([peers_bin], capture_output=True, text=True)
    return set(re.findall(r"\b(?:anchor|gsl|cvode)-\w+", p.stderr))


def run_seed(args, b, ivp, log):
    rows = []
    avail = peers_available(b["peers"]) if os.path.exists(b["peers"]) else set()
    for case in seed_cases(args.quick):
        ref = reference(case, ivp)
        spec = {"plugin": case["plugin"], "t_span": [0, case["t_end"]], "y0": case["y0"],
                "method": case["method"], "rtol": case["rtol"], "atol": case["atol"]}
        if case["problem"] == "vdp":
            spec["params"] = {"mu": case["mu"]}
        ivp.solve(spec, case["key"])          # compile the plugin into the cache, warm up
        scipy_solve(case)
        iv, sp = [], []
        for _ in range(args.repeat):          # interleaved
            iv.append(ivp.solve(spec, case["key"]))
            sp.append(scipy_solve(case))
        log.append("ivp run %s (x%d) / scipy solve_ivp (x%d), interleaved"
                   % (case["key"], args.repeat, args.repeat))
        t_ivp = median([r["seconds"] for r in iv])
        t_sp = median([r["seconds"] for r in sp])
        e_ivp = rel_err(iv[0]["y_end"], ref)
        same = (iv[0]["nfev"], iv[0]["steps"]) == (sp[0]["nfev"], sp[0]["steps"])
        rows.append(dict(case=case["name"], solver="ivp %s (solve_seconds, HDF5 writes included)"
                         % case["method"], seconds=t_ivp, nfev=iv[0]["nfev"],
                         steps=iv[0]["steps"], err=e_ivp, ratio=None))
        rows.append(dict(case=case["name"], solver="scipy %s %s" % (scipy.__version__,
                                                                   case["method"]),
                         seconds=t_sp, nfev=sp[0]["nfev"], steps=sp[0]["steps"],
                         err=rel_err(sp[0]["y_end"], ref), ratio=t_sp / t_ivp,
                         target=">= %gx" % case["target"],
                         verdict="PASS" if t_sp / t_ivp >= case["target"] else "MISS",
                         note="" if same else "(steps differ from ivp's: see the note)"))
        for solver in case["peers"]:
            if solver not in avail:
                rows.append(dict(case=case["name"], solver=solver, missing=True))
                continue
            d = peer_run(b["peers"], case, solver, case["rtol"], case["atol"], args.repeat, ref)
            log.append(" ".join(peer_cmd(b["peers"], case, solver, case["rtol"], case["atol"],
                                         args.repeat)))
            if d is None:
                rows.append(dict(case=case["name"], solver=solver, failed=True))
                continue
            rows.append(dict(case=case["name"], solver=solver + " (same tol)",
                             seconds=d["seconds"], nfev=d["nfev"], steps=d["steps"],
                             err=d["err"], ratio=d["seconds"] / t_ivp))
            if solver.startswith("anchor"):
                continue
            # equal achieved accuracy: the loosest ladder tolerance with error <= ivp's
            best = None
            for fac in LADDER:
                q = peer_run(b["peers"], case, solver, case["rtol"] * fac, case["atol"] * fac, 1,
                             ref)
                if q is not None and q["err"] <= e_ivp:
                    best = fac
                    break
            if best == 1.0:
                rows[-1]["solver"] = solver + " (same tol; also equal accuracy)"
                continue
            if best is None:
                rows.append(dict(case=case["name"], solver=solver + " (equal accuracy)",
                                 note="no tolerance on the ladder reached ivp's error"))
                continue
            d = peer_run(b["peers"], case, solver, case["rtol"] * best, case["atol"] * best,
                         args.repeat, ref)
            rows.append(dict(case=case["name"], solver="%s (equal accuracy: tol x %.3g)"
                             % (solver, best), seconds=d["seconds"], nfev=d["nfev"],
                             steps=d["steps"], err=d["err"], ratio=d["seconds"] / t_ivp))
    return rows


def seed_table(rows):
    out = ["| case | solver | time (median) | nfev | steps | max rel. error at t_end | "
           "time / ivp's | target | result |", "|---|---|---|---|---|---|---|---|---|"]
    last = None
    for r in rows:
        case = r["case"] if r["case"] != last else ""
        last = r["case"]
        if r.get("missing"):
            out.append("| %s | %s | not built (library not found) | | | | | | |" % (case,
                                                                                r["solver"]))
            continue
        if r.get("failed"):
            out.append("| %s | %s | failed | | | | | | |" % (case, r["solver"]))
            continue
        if "seconds" not in r:
            out.append("| %s | %s | %s | | | | | | |" % (case, r["solver"], r.get("note", "")))
            continue
        ratio = "" if r["ratio"] is None else "%.3gx" % r["ratio"]
        out.append("| %s | %s | %s | %d | %d | %.1e | %s | %s | %s |" % (
            case, r["solver"], fmt_time(r["seconds"]), r["nfev"], r["steps"], r["err"], ratio,
            r.get("target", ""), (r.get("verdict", "") + (" " + r["note"] if r.get("note")
                                                            else "")).strip()))
    return "\n".join(out)


# ---- 2. explicit per rhs call ----------------------------------------------------------------

def run_explicit(args, b, log):
    if not os.path.exists(b["explicit"]):
        return "bench/explicit not built (%s missing)" % b["explicit"], []
    n_max = 8192 if args.quick else 1000000
    cmd = [b["explicit"], str(min(args.repeat, 5) if args.quick else args.repeat), str(n_max)]
    log.append(" ".join(cmd))
    text = run(cmd).stdout
    out, verdicts = [], []
    col = -1  # the verdict is on ivp_solve's ratio (the reused solver's follows it)
    for line in text.splitlines():
        if line.startswith("|---"):
            out.append(line + "---|---|")
        elif line.startswith("| problem"):
            heads = [h.strip() for h in line.strip().strip("|").split("|")]
            col = heads.index("ivp_solve / anchor") if "ivp_solve / anchor" in heads else -1
            out.append(line + " target | result |")
        elif line.startswith("|"):
            ratio = float(line.strip().strip("|").split("|")[col])
            v = "PASS" if ratio <= 1.3 else "MISS"
            verdicts.append(v)
            out.append(line + " <= 1.3 | %s |" % v)
    return "\n".join(out), verdicts


# ---- 3. HDF5 ------------------------------------------------------------------------------

def run_h5(args, b, work, log):
    exe = b["h5"]
    if not os.path.exists(exe):
        return ("bench/h5 not built (%s missing): the HDF5 figures (short files against a "
                "minimal HDF5 program, the 10^3..10^7-point sweep against write()) come from "
                "bench/h5/h5_bench." % os.path.relpath(exe, ROOT))
    d = os.path.join(work, "h5")
    os.makedirs(d, exist_ok=True)
    cmd = [exe, "--dir", d]
    if args.quick:
        cmd += ["--reps", "5", "--max-points", "100000"]
    log.append(" ".join(cmd))
    p = run(cmd, check=False)
    if p.returncode == 2:                      # other options: run it with its defaults
        cmd = [exe]
        log.append(exe)
        p = run(cmd, check=False)
    if p.returncode != 0:
        return "bench/h5/h5_bench failed (exit %d): %s" % (p.returncode, p.stderr.strip())
    shown = lambda c: " ".join(os.path.relpath(x, ROOT) if x.startswith(ROOT) else x for x in c)
    text = ("Output of `%s`, verbatim (targets: a short run's file <= 1.5x the minimal "
            "program; >= 50%% of write() throughput at 10^7 points):\n\n%s"
            % (shown(cmd), p.stdout.strip()))
    # The sink always fsyncs its file before the rename (crash safety), so the sweep above sets
    # a durable file against write()'s page cache. The same sweep with every file fsync'ed
    # compares the same work: bytes on the disk.
    cmd2 = cmd + ["--fsync", "--n", "2"] + ([] if args.quick else ["--reps", "5"])
    log.append(" ".join(cmd2))
    p2 = run(cmd2, check=False)
    if p2.returncode != 0:
        return text + "\n\n`%s` failed (exit %d): %s" % (shown(cmd2), p2.returncode,
                                                       p2.stderr.strip())
    sweep = p2.stdout.strip()
    at = sweep.find("Sweep")
    return (text + "\n\nThe sweep again with every file fsync'ed, as ivp's always is "
            "(`%s`; its short-run table, n = 2 only, left out):\n\n%s"
            % (shown(cmd2), sweep[at:] if at >= 0 else sweep))


# ---- 4. process start -----------------------------------------------------------------------

def strace_counts(cmd, env, work):
    """Shared libraries opened, failed openat/stat look-ups and threads created, from strace."""
    if shutil.which("strace") is None:
        return None
    log = os.path.join(work, "strace.log")
    run(["strace", "-f", "-o", log, "-e", "trace=openat,open,stat,newfstatat,access,clone,"
         "clone3"] + cmd, env=env)
    libs, failed_open, failed_stat, threads, where = set(), 0, 0, 0, {}
    with open(log) as f:
        for line in f:
            m = re.search(r'(openat|open|newfstatat|stat|access)\((?:AT_FDCWD, )?"([^"]*)"', line)
            if re.search(r"clone3?\(", line) and "CLONE_THREAD" in line:
                threads += 1
            if not m:
                continue
            path = m.group(2)
            if "= -1" in line:
                if m.group(1) in ("openat", "open"):
                    failed_open += 1
                    if re.search(r"\.so(\.\d+)*$", path):
                        d = re.sub(r"/(glibc-hwcaps|tls|haswell|avx512_1|x86_64)(/.*)?$", "",
                                   os.path.dirname(path))
                        key = ("loader search in " + d if path.startswith("/") else
                               "loader search in the current directory (empty RUNPATH element)")
                    else:
                        key = path
                    where[key] = where.get(key, 0) + 1
                else:
                    failed_stat += 1
            elif re.search(r"\.so(\.\d+)*$", path) and m.group(1) in ("openat", "open"):
                libs.add(os.path.basename(path))
    return dict(libs=len(libs), failed_open=failed_open, failed_stat=failed_stat,
                threads=threads, where=where)


def relocations(cmd, env):
    p = subprocess.run(cmd, capture_output=True, text=True, env=dict(env, LD_DEBUG="statistics"))
    m = re.findall(r"final number of relocations: (\d+)", p.stderr)
    return int(m[0]) if m else None


def run_process(args, b, ivp_bin, work, log):
    if not (os.path.exists(b["proc_time"]) and os.path.exists(b["h5min"])):
        return "bench/peers not built (proc_time, h5_proc_min missing)", None
    env = dict(os.environ, IVP_CACHE_DIR=os.path.join(work, "cache"))
    spec = os.path.join(work, "tiny.json")
    with open(spec, "w") as f:
        json.dump({"plugin": os.path.join(HERE, "peers", "linear.c"), "t_span": [0, 1],
                   "y0": [1, 2], "method": "RK45"}, f)
    ivp_cmd = [ivp_bin, "run", spec, "-o", os.path.join(work, "tiny.h5"), "--quiet"]
    min_cmd = [b["h5min"], os.path.join(work, "tiny-min.h5"), "2", "3"]
    run(ivp_cmd, env=env)                       # compile the plugin into the cache
    reps = 9 if args.quick else max(31, 4 * args.repeat)
    # the old anchor: format 1 and no fsync (h5_proc_min's default writes format 1.1 and
    # fsyncs, as ivp does)
    min_sync = [b["h5min"], "--format1", os.path.join(work, "tiny-min-sync.h5"), "2", "3"]
    cmd = ([b["proc_time"], str(reps)] + ivp_cmd + ["---"] + min_cmd + ["---",
           "OPENBLAS_NUM_THREADS=1"] + ivp_cmd + ["---"] + min_sync + ["---", ivp_bin, "--help"])
    log.append("IVP_CACHE_DIR=... " + " ".join(cmd))
    res = [json.loads(line) for line in run(cmd, env=env).stdout.splitlines()]
    res1 = res[2]
    diag = [strace_counts(ivp_cmd, env, work), strace_counts(min_cmd, env, work)]
    rel = [relocations(ivp_cmd, env), relocations(min_cmd, env)]
    ratio = res[0]["wall"] / res[1]["wall"]
    out = ["| process | wall (median of %d) | user + sys CPU | max RSS | shared libraries | "
           "failed openat | failed stat/access | threads created | relocations | "
           "wall / minimal | target | result |" % reps, "|---|---|---|---|---|---|---|---|---|"
           "---|---|---|"]

    def row(name, r, d, nrel, rt, target="", verdict=""):
        dd = ("%d | %d | %d | %d" % (d["libs"], d["failed_open"], d["failed_stat"],
                                     d["threads"])) if d else "| | |"
        return "| %s | %s | %s | %d KiB | %s | %s | %s | %s | %s |" % (
            name, fmt_time(r["wall"]), fmt_time(r["user"] + r["sys"]), r["maxrss_kib"], dd,
            nrel if nrel is not None else "", "%.2fx" % rt if rt else "", target, verdict)

    out.append(row("`ivp run` tiny problem (y' = -y, n = 2, RK45, [0, 1], cached .c plugin)",
                   res[0], diag[0], rel[0], ratio, "<= 1.25x",
                   "PASS" if ratio <= 1.25 else "MISS"))
    out.append(row("the same with OPENBLAS_NUM_THREADS=1 (no OpenBLAS worker thread)", res1,
                   None, None,
                   res1["wall"] / res[1]["wall"]))
    out.append(row("`ivp --help` (loading and initialising ivp's libraries only)", res[4],
                   None, None, res[4]["wall"] / res[1]["wall"]))
    out.append(row("minimal HDF5 program (bench/peers/h5_proc_min: ivp's format 1.1 datasets "
                   "and attributes, fsync before the rename, as ivp)",
                   res[1], diag[1], rel[1], 1.0))
    out.append(row("the format-1 minimal program without fsync (`h5_proc_min --format1`)",
                   res[3], None, None, res[3]["wall"] / res[1]["wall"]))
    text = "\n".join(out)
    if diag[0]:
        text += "\n\nWhere `ivp run`'s failed openat calls come from: " + ", ".join(
            "%s %d" % (k, v) for k, v in sorted(diag[0]["where"].items(), key=lambda kv: -kv[1]))
        text += ".\nThe minimal program's: " + ", ".join(
            "%s %d" % (k, v) for k, v in sorted(diag[1]["where"].items(), key=lambda kv: -kv[1]))
        text += "."
    return text, ratio


# ---- main -----------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"),
                    help="build directory configured with -DIVP_BUILD_BENCH=ON (default: build)")
    ap.add_argument("--repeat", type=int, default=7, help="repeats per figure (median)")
    ap.add_argument("--quick", action="store_true",
                    help="smoke run: 3 repeats, n up to 8192, HDF5 sweep up to 10^5 points")
    ap.add_argument("--sections", default="1,2,3,4",
                    help="comma-separated sections to run (default: all; --write-readme needs "
                    "all four)")
    ap.add_argument("--write-readme", action="store_true",
                    help="replace the run_all section of bench/README.md with the results")
    args = ap.parse_args()
    if args.quick:
        args.repeat = min(args.repeat, 3)
    sections = {int(x) for x in args.sections.split(",") if x.strip()}
    if not sections <= {1, 2, 3, 4}:
        sys.exit("run_all: --sections takes numbers 1 to 4")
    if args.write_readme and sections != {1, 2, 3, 4}:
        sys.exit("run_all: --write-readme needs all four sections")
    build = os.path.abspath(args.build)
    b = {"ivp": os.path.join(build, "cli", "ivp"),
         "explicit": os.path.join(build, "bench", "explicit", "explicit_bench"),
         "peers": os.path.join(build, "bench", "peers", "peers_bench"),
         "h5min": os.path.join(build, "bench", "peers", "h5_proc_min"),
         "proc_time": os.path.join(build, "bench", "peers", "proc_time"),
         "h5": os.path.join(build, "bench", "h5", "h5_bench")}
    if not os.path.exists(b["ivp"]):
        sys.exit("run_all: %s not found; build first (cmake -S . -B build -DIVP_BUILD_BENCH=ON "
                 "&& cmake --build build -j2)" % b["ivp"])
    info = machine_info()
    started = datetime.datetime.now(datetime.timezone.utc)
    log = []
    with tempfile.TemporaryDirectory(prefix="ivp-run-all-", dir=build) as work:
        ivp = Ivp(b["ivp"], work)
        seed = explicit = h5 = proc = "(not run: --sections)"
        if 1 in sections:
            print("run_all: 1/4 seed cases ...", file=sys.stderr)
            seed = seed_table(run_seed(args, b, ivp, log))
        if 2 in sections:
            print("run_all: 2/4 explicit per rhs call ...", file=sys.stderr)
            explicit, _ = run_explicit(args, b, log)
        if 3 in sections:
            print("run_all: 3/4 HDF5 ...", file=sys.stderr)
            h5 = run_h5(args, b, work, log)
        if 4 in sections:
            print("run_all: 4/4 process start ...", file=sys.stderr)
            proc, _ = run_process(args, b, b["ivp"], work, log)
    load_end = "%.2f %.2f %.2f" % os.getloadavg()
    argv = ["python3", "bench/run_all.py"] + [a if not a.startswith(ROOT) else
                                              os.path.relpath(a, ROOT) for a in sys.argv[1:]]
    text = "\n".join([
        "Measured %s UTC on commit %s; command: `%s`." % (started.strftime("%Y-%m-%d %H:%M"),
                                                          info["commit"], " ".join(argv)),
        "Machine: %s, %d CPUs, load average %s at the start and %s at the end; %s; python %s, "
        "numpy %s, scipy %s; OpenBLAS %s, HDF5 %s, GSL %s, SUNDIALS %s. Medians of %d runs "
        "unless said otherwise."
        % (info["cpu"], info["nproc"], info["load"], load_end, info["compiler"], info["python"],
           info["numpy"], info["scipy"], info["openblas"], info["hdf5"], info["gsl"],
           info["sundials"], args.repeat),
        "",
        "#### 1. Seed cases: ivp vs scipy in the same run, with the fused-loop anchor, GSL and "
        "CVODE",
        "",
        seed,
        "",
        "#### 2. Explicit methods in-process: time per rhs call against the minimal fused loop",
        "",
        explicit,
        "",
        "#### 3. HDF5 writer",
        "",
        h5,
        "",
        "#### 4. Process start: a whole `ivp run` of a tiny problem against the minimal HDF5 "
        "program",
        "",
        proc,
    ])
    print(text)
    if args.write_readme:
        readme = os.path.join(HERE, "README.md")
        with open(readme) as f:
            old = f.read()
        block = BEGIN + "\n" + text + "\n" + END
        if BEGIN in old and END in old:
            new = old[:old.index(BEGIN)] + block + old[old.index(END) + len(END):]
        else:
            new = old.rstrip("\n") + "\n\n" + block + "\n"
        with open(readme, "w") as f:
            f.write(new)
        print("run_all: wrote %s" % readme, file=sys.stderr)


if __name__ == "__main__":
    main()
