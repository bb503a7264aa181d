#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Stiff benchmarks: ivp (BDF, Radau, LSODA) vs scipy 1.10.1 and SUNDIALS CVODE; Markdown out.

Builds nothing: it runs the stiff_bench binary (bench/stiff/stiff_bench.c, built with
-DIVP_BUILD_BENCH=ON) and, for the scipy side, bench/stiff/scipy_worker.py under a Python that
has scipy (Debian's /usr/bin/python3). This script itself needs only the standard library.

Sections (see README.md for what is measured and how):
  1. Van der Pol mu = 1000, t in [0, 3000], y0 = [2, 0]: a tight reference at t_end (ivp Radau
     at rtol 1e-13, cross-checked with CVODE at 1e-12 and, at t = 2000, with the Test Set's
     published reference); ivp vs scipy vs CVODE at rtol 1e-6, atol 1e-9; a work-precision
     table for rtol = 1e-3 .. 1e-10 (atol = rtol * 1e-3) and the equal-accuracy comparison.
  2. BRUSS-2D (HW II IV.10) on an NS x NS periodic grid with the analytic sparse Jacobian: a
     reference (ivp BDF and CVODE at a tight tolerance, both reported), then work-precision at
     a few tolerances for ivp's methods, CVODE with KLU's default ordering and CVODE with AMD.

Timing: every configuration is run several times and the median is reported. Solvers that are
compared are interleaved: stiff_bench runs its solvers round-robin (A B C A B C ...), and the
scipy runs alternate with stiff_bench invocations, so changes in machine load hit all alike.

Usage: python3 bench/stiff/run.py [--bin build-bench/bench/stiff/stiff_bench]
         [--python /usr/bin/python3] [--bruss-ns 64] [--out results.md] [--json results.json]
         (see --help for the rest)
"""
import argparse
import datetime
import json
import math
import os
import platform
import shlex
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

# Test Set for IVP Solvers (Bari, release 2.4), vdpolm: y(2000) for mu = 1000, y0 = [2, 0]
# (problems.json "vdpolm").
VDPOLM_T = 2000.0
VDPOLM_REF = (1.706167732170469, -0.0008928097010248125)


class Bench:
    """Runs stiff_bench and collects its JSON lines."""

    def __init__(self, binary, log):
        self.binary = binary
        self.log = log  # commands run, for the record

    def run(self, problem, solvers, rtol, atol, repeats, extra=(), ref=None, save=None,
            warmup=0):
        cmd = [self.binary, problem, "--solvers", ",".join(solvers), "--rtol", repr(rtol),
               "--atol", repr(atol), "--repeats", str(repeats), "--warmup", str(warmup)]
        cmd += list(extra)
        if ref is not None:
            cmd += ["--ref", ref]
        if save is not None:
            cmd += ["--save", save]
        self.log.append(cmd)
        proc = subprocess.run(cmd, capture_output=True, text=True)
        out = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
        # Exit status 1 with a result line per solver: some solve failed, which the tables
        # report; anything else is an error of the benchmark itself.
        if proc.returncode != 0 and (proc.returncode != 1 or len(out) != len(solvers)):
            raise RuntimeError("stiff_bench failed (%s): %s" % (
                " ".join(shlex.quote(c) for c in cmd), proc.stderr.strip()))
        return {r["solver"]: r for r in out}


class Scipy:
    """The persistent scipy worker (one import of scipy for all runs)."""

    def __init__(self, python, log):
        cmd = [python, os.path.join(HERE, "scipy_worker.py")]
        log.append(cmd)
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True)
        self.info = json.loads(self.proc.stdout.readline())

    def solve(self, **req):
        self.proc.stdin.write(json.dumps(req) + "\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def close(self):
        self.proc.stdin.write("\n")
        self.proc.stdin.close()
        self.proc.wait()


def machine_info():
    model = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {"cpu": model, "cores": os.cpu_count(), "kernel": platform.release(),
            "loadavg": os.getloadavg()}


def rel_err(y, ref):
    return max(abs(a - b) / abs(b) if b != 0 else abs(a - b) for a, b in zip(y, ref))


def read_doubles(path):
    from array import array
    a = array("d")
    with open(path, "rb") as f:
        a.frombytes(f.read())
    return a


def fmt_ms(s):
    return "%.3g" % (1e3 * s) if s is not None else "-"


def fmt_s(s):
    return "%.3g" % s if s is not None else "-"


def fmt_e(x):
    return "%.2e" % x if x is not None else "-"


def table(header, rows):
    out = ["| " + " | ".join(header) + " |",
           "|" + "|".join("---:" if i else "---" for i in range(len(header))) + "|"]
    for r in rows:
        out.append("| " + " | ".join(str(c) for c in r) + " |")
    return "\n".join(out)


def interp_time_at_error(curve, err):
    """Time a peer needs for error err, by log-log interpolation along its work-precision
    points (taken in tolerance order). Returns (time, how): how is "" inside the range its
    points span, "extrapolated" within one decade of error beyond it (along the nearest
    segment), and time None further out."""
    pts = [(math.log(e), math.log(t)) for e, t in curve if e > 0]
    le = math.log(err)
    for (e0, t0), (e1, t1) in zip(pts, pts[1:]):
        if min(e0, e1) <= le <= max(e0, e1):
            if e0 == e1:
                return math.exp(min(t0, t1)), ""
            return math.exp(t0 + (le - e0) / (e1 - e0) * (t1 - t0)), ""
    if len(pts) < 2:
        return None, ""
    by_err = sorted(pts)
    lo, hi = by_err[0], by_err[-1]
    if le < lo[0] and lo[0] - le <= math.log(10.0):
        seg = (by_err[0], by_err[1])
    elif le > hi[0] and le - hi[0] <= math.log(10.0):
        seg = (by_err[-2], by_err[-1])
    else:
        return None, ""
    (e0, t0), (e1, t1) = seg
    if e0 == e1:
        return None, ""
    return math.exp(t0 + (le - e0) / (e1 - e0) * (t1 - t0)), "extrapolated"


def counters(r):
    """nfev, steps, Jacobians, factorisations of one stiff_bench result, ivp or CVODE."""
    if r["impl"] == "cvode":
        return r["nfe"], r["nst"], r["nje"], r["nsetups"]
    return r["nfev"], r["n_steps"], r["njev"], r["nlu"]


# ---- Van der Pol ----

def vdp_section(args, bench, scipy, tmp, md, record):
    mu, t_end = 1000.0, 3000.0
    extra = ["--mu", repr(mu), "--t-end", repr(t_end)]
    md.append("## Van der Pol, mu = 1000, t in [0, 3000], y0 = [2, 0]\n")

    # Reference.
    ref_path = os.path.join(tmp, "vdp_ref.bin")
    r_ivp = bench.run("vdp", ["Radau"], 1e-13, 1e-16, 1, extra, save=ref_path)["Radau"]
    r_cv = bench.run("vdp", ["CVODE"], 1e-12, 1e-15, 1, extra, ref=ref_path)["CVODE"]
    r_ts = bench.run("vdp", ["Radau"], 1e-13, 1e-16, 1,
                     ["--mu", repr(mu), "--t-end", repr(VDPOLM_T)])["Radau"]
    ref = r_ivp["y_end"]
    record["vdp_reference"] = {"ivp_radau_1e-13": r_ivp, "cvode_1e-12": r_cv,
                               "ivp_radau_1e-13_t2000": r_ts}
    md.append("### Reference y(3000)\n")
    md.append(table(
        ["source", "rtol / atol", "y1(3000)", "y2(3000)", "max rel. diff. to the reference",
         "steps"],
        [["ivp Radau (the reference)", "1e-13 / 1e-16", "%.16g" % ref[0], "%.16g" % ref[1],
          "-", r_ivp["n_steps"]],
         ["CVODE (dense, analytic J)", "1e-12 / 1e-15", "%.16g" % r_cv["y_end"][0],
          "%.16g" % r_cv["y_end"][1], fmt_e(r_cv["err_max_rel"]), r_cv["nst"]]]))
    md.append("\nCheck of the procedure at t = 2000 against the Test Set's published reference "
              "(vdpolm, RADAU at 1.1e-18 in extended precision): ivp Radau at rtol 1e-13 gives "
              "y = [%.16g, %.16g], max relative difference %.2e.\n"
              % (r_ts["y_end"][0], r_ts["y_end"][1], rel_err(r_ts["y_end"], VDPOLM_REF)))
    md.append("Errors below are max_i |y_i - ref_i| / |ref_i| at t = 3000 against the ivp Radau "
              "reference.\n")

    # ivp vs scipy vs CVODE at rtol 1e-6.
    rtol, atol = 1e-6, 1e-9
    methods = ["BDF", "Radau", "LSODA"]
    t_ivp = {m: [] for m in methods + ["CVODE"]}  # CPU times
    w_ivp = {m: [] for m in methods + ["CVODE"]}  # wall times
    t_sp = {m: [] for m in methods}
    w_sp = {m: [] for m in methods}
    last_ivp, last_sp = {}, {}
    # One untimed warm-up of each (scipy's first solve pays for lazy imports and caches).
    bench.run("vdp", methods + ["CVODE"], rtol, atol, 1, extra)
    for m in methods:
        scipy.solve(method=m, rtol=rtol, atol=atol, mu=mu, t_end=t_end)
    for _ in range(args.scipy_rounds):
        res = bench.run("vdp", methods + ["CVODE"], rtol, atol, args.inner_repeats, extra,
                        ref=ref_path, warmup=1)
        for m, r in res.items():
            t_ivp[m] += r["cpu_times"]
            w_ivp[m] += r["times"]
            last_ivp[m] = r
        for m in methods:
            s = scipy.solve(method=m, rtol=rtol, atol=atol, mu=mu, t_end=t_end)
            if s["status"] != 0:
                raise RuntimeError("scipy %s failed: %s" % (m, s))
            t_sp[m].append(s["cpu_time"])
            w_sp[m].append(s["time"])
            last_sp[m] = s
    med_ivp = {m: statistics.median(v) for m, v in t_ivp.items()}
    med_sp = {m: statistics.median(v) for m, v in t_sp.items()}
    wmed_ivp = {m: statistics.median(v) for m, v in w_ivp.items()}
    wmed_sp = {m: statistics.median(v) for m, v in w_sp.items()}
    record["vdp_vs_scipy"] = {"ivp_cpu_times": t_ivp, "ivp_wall_times": w_ivp,
                              "scipy_cpu_times": t_sp, "scipy_wall_times": w_sp,
                              "ivp": last_ivp, "scipy": last_sp}
    md.append("### ivp vs scipy vs CVODE at rtol = 1e-6, atol = 1e-9\n")
    md.append("Medians of %d ivp/CVODE runs (%d stiff_bench invocations of %d round-robin "
              "repeats, each after an untimed warm-up round) and %d scipy runs (after one "
              "untimed warm-up), alternating. Times are CPU times of the solving thread; wall "
              "times in parentheses.\n"
              % (len(t_ivp["BDF"]), args.scipy_rounds, args.inner_repeats, args.scipy_rounds))
    rows = []
    for m in methods:
        ri, rs = last_ivp[m], last_sp[m]
        rows.append([m, "%s (%s)" % (fmt_ms(med_ivp[m]), fmt_ms(wmed_ivp[m])),
                     "%s (%s)" % (fmt_ms(med_sp[m]), fmt_ms(wmed_sp[m])),
                     "%.0f (%.0f)" % (med_sp[m] / med_ivp[m], wmed_sp[m] / wmed_ivp[m]),
                     "%.2f (%.2f)" % (med_ivp["CVODE"] / med_ivp[m],
                                      wmed_ivp["CVODE"] / wmed_ivp[m]),
                     "%d / %d" % (ri["nfev"], rs["nfev"]),
                     "%d / %d" % (ri["n_steps"], rs["n_steps"]),
                     "%d / %d" % (ri["nlu"], rs["nlu"]),
                     fmt_e(ri["err_max_rel"]), fmt_e(rel_err(rs["y_end"], ref))])
    cv = last_ivp["CVODE"]
    rows.append(["CVODE (BDF, dense)",
                 "%s (%s)" % (fmt_ms(med_ivp["CVODE"]), fmt_ms(wmed_ivp["CVODE"])), "-", "-",
                 "1",
                 "%d" % cv["nfe"], "%d" % cv["nst"], "%d" % cv["nsetups"],
                 fmt_e(cv["err_max_rel"]), "-"])
    md.append(table(["method", "ivp CPU (wall) ms", "scipy CPU (wall) ms", "scipy / ivp",
                     "CVODE / ivp",
                     "nfev ivp / scipy", "steps ivp / scipy", "LUs ivp / scipy", "error ivp",
                     "error scipy"], rows))
    md.append("\nCVODE at this tolerance: nst %d, nfe %d, nje %d, nsetups %d, netf %d, nni %d, "
              "ncfn %d.\n" % (cv["nst"], cv["nfe"], cv["nje"], cv["nsetups"], cv["netf"],
                              cv["nni"], cv["ncfn"]))

    # Work-precision.
    solvers = ["BDF", "Radau", "LSODA", "CVODE"]
    wp = {s: [] for s in solvers}
    rows = []
    for k in range(3, 11):
        rt = float("1e-%d" % k)
        at = float("1e-%d" % (k + 3))
        res = bench.run("vdp", solvers, rt, at, args.wp_repeats, extra, ref=ref_path,
                        warmup=1)
        for s in solvers:
            r = res[s]
            if not r["ok"]:
                rows.append(["1e-%d" % k, s, "failed: " + r["message"], "-", "-", "-", "-", "-",
                             "-"])
                continue
            nfev, nst, nje, nlu = counters(r)
            wp[s].append((rt, r["err_max_rel"], r["median_cpu"], r))
            rows.append(["1e-%d" % k, s, fmt_e(r["err_max_rel"]), fmt_ms(r["median_cpu"]),
                         fmt_ms(r["median"]), nfev, nst, nje, nlu])
    record["vdp_wp"] = {s: [x[3] for x in v] for s, v in wp.items()}
    md.append("### Work-precision (atol = rtol * 1e-3; %d round-robin repeats each after a "
              "warm-up round)\n" % args.wp_repeats)
    md.append(table(["rtol", "solver", "error at t_end", "CPU time (ms)", "wall (ms)", "nfev",
                     "steps", "Jacobians", "LUs / setups"], rows))
    md.append("")
    md.append(equal_accuracy(wp, ["BDF", "Radau", "LSODA"], "CVODE", fmt_ms, "ms"))
    return wp


def equal_accuracy(wp, mine, peer, fmt, unit):
    curve = [(e, t) for _, e, t, _ in wp[peer]]
    rows = []
    for s in mine:
        for rt, e, t, _ in wp[s]:
            tp, how = interp_time_at_error(curve, e) if e > 0 else (None, "")
            if tp is None:
                ratio = "outside %s's range" % peer
            else:
                ratio = "%.2f%s" % (tp / t, " (extrapolated)" if how else "")
            rows.append([s, "%.0e" % rt, fmt_e(e), fmt(t), fmt(tp), ratio])
    return ("#### Equal accuracy: %s's time at the error ivp achieved (log-log interpolation "
            "along %s's tolerances, extrapolated at most one decade)\n\n" % (peer, peer) + table(
                ["ivp method", "rtol", "ivp error", "ivp time (%s)" % unit,
                 "%s time at that error (%s)" % (peer, unit), "%s / ivp (> 1: ivp faster)" % peer],
                rows) + "\n")


# ---- Brusselator 2-D ----

def bruss_section(args, spec, bench, tmp, md, record):
    ns, tols, solvers = spec
    extra = ["--ns", str(ns)]
    n = 2 * ns * ns
    md.append("## BRUSS-2D, NS = %d (n = %d), t in [0, 11.5], sparse analytic Jacobian\n"
              % (ns, n))
    # Reference: ivp BDF and CVODE (AMD) at a tight tolerance; the BDF one is used.
    rt = args.bruss_ref_tol
    ref_path = os.path.join(tmp, "bruss%d_ref.bin" % ns)
    t0 = time.monotonic()
    r_ref = bench.run("bruss2d", ["BDF"], rt, rt, 1, extra, save=ref_path)["BDF"]
    r_chk = bench.run("bruss2d", ["CVODE_AMD"], rt, rt, 1, extra, ref=ref_path)["CVODE_AMD"]
    rec = record.setdefault("bruss", {}).setdefault(str(ns), {})
    rec["reference"] = {"ivp_bdf": r_ref, "cvode_amd": r_chk}
    ref = read_doubles(ref_path)
    md.append("### Reference y(11.5)\n")
    md.append("ivp BDF at rtol = atol = %g (%d steps, %d LUs, %.3g s CPU) is the reference; "
              "CVODE (KLU, AMD) at the same tolerance (%d steps, %.3g s) differs from it by %.2e "
              "(max relative); that bounds the reference's own error for the tables below. "
              "min/max of u, v at t_end: %.4f .. %.4f.\n"
              % (rt, r_ref["n_steps"], r_ref["nlu"], r_ref["median_cpu"], r_chk["nst"],
                 r_chk["median_cpu"], r_chk["err_max_rel"], min(ref), max(ref)))
    rec["reference_seconds"] = time.monotonic() - t0

    wp = {s: [] for s in solvers}
    rows = []
    for tol in tols:
        res = bench.run("bruss2d", solvers, tol, tol, args.slow_repeats, extra, ref=ref_path)
        for s in solvers:
            r = res[s]
            if not r["ok"]:
                rows.append(["%.0e" % tol, s, "failed: " + r["message"], "-", "-", "-", "-", "-",
                             "-", "-"])
                continue
            nfev, nst, nje, nlu = counters(r)
            wp[s].append((tol, r["err_max_rel"], r["median_cpu"], r))
            rows.append(["%.0e" % tol, s, fmt_e(r["err_max_rel"]), fmt_s(r["median_cpu"]),
                         " ".join("%.3g" % x for x in r["cpu_times"]), fmt_s(r["median"]), nfev,
                         nst, nje, nlu])
    rec["wp"] = {s: [x[3] for x in v] for s, v in wp.items()}
    md.append("### Work-precision (rtol = atol; %d round-robin repeats each)\n"
              % args.slow_repeats)
    md.append(table(["rtol = atol", "solver", "error at t_end", "CPU time (s)",
                     "all CPU times (s)", "wall (s)", "nfev", "steps", "Jacobians",
                     "LUs / setups"], rows))
    md.append("")
    mine = [s for s in solvers if not s.startswith("CVODE")]
    for peer in [s for s in solvers if s.startswith("CVODE")]:
        md.append(equal_accuracy(wp, mine, peer, fmt_s, "s"))


DEFAULT_BRUSS = ("32:1e-4,1e-5,1e-6,1e-7:BDF,Radau,LSODA,CVODE,CVODE_AMD",
                 "64:1e-4,1e-5,1e-6:BDF,Radau,LSODA,CVODE,CVODE_AMD")


def source_digest():
    """sha256 over the core sources (the tree is shared and changes; this names the state
    that was measured without needing git)."""
    import hashlib
    h = hashlib.sha256()
    paths = [os.path.join(ROOT, "plugins", "ivp_plugin.h")]
    for base, dirs, files in os.walk(os.path.join(ROOT, "core")):
        dirs.sort()
        paths += [os.path.join(base, f) for f in sorted(files) if f.endswith((".c", ".h"))]
    for p in paths:
        h.update(os.path.relpath(p, ROOT).encode())
        with open(p, "rb") as f:
            h.update(f.read())
    return h.hexdigest()[:16]


def parse_bruss(text):
    """'NS:TOLS:SOLVERS' -> (ns, [tol, ...], [solver, ...])."""
    parts = text.split(":")
    if len(parts) != 3:
        raise ValueError("'%s': expected NS:TOLS:SOLVERS" % text)
    ns = int(parts[0])
    tols = [float(x) for x in parts[1].split(",")]
    solvers = [x for x in parts[2].split(",") if x]
    if ns < 3 or not tols or not solvers:
        raise ValueError("'%s': NS >= 3, at least one tolerance and one solver" % text)
    return ns, tols, solvers


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", default=os.path.join(ROOT, "build-bench", "bench", "stiff",
                                                  "stiff_bench"),
                    help="the stiff_bench binary (default: build-bench/bench/stiff/stiff_bench)")
    ap.add_argument("--python", default="/usr/bin/python3",
                    help="Python with scipy for the scipy runs (default /usr/bin/python3)")
    ap.add_argument("--scipy-rounds", type=int, default=7,
                    help="VdP: alternating rounds of ivp/CVODE and scipy runs (default 7)")
    ap.add_argument("--inner-repeats", type=int, default=3,
                    help="VdP: ivp/CVODE repeats per round (default 3)")
    ap.add_argument("--wp-repeats", type=int, default=11,
                    help="VdP work-precision: repeats per tolerance (default 11)")
    ap.add_argument("--bruss", action="append", metavar="NS:TOLS:SOLVERS",
                    help="a BRUSS-2D work-precision run: grid size, comma-separated rtol = atol "
                         "values, comma-separated solvers (ivp methods, CVODE, CVODE_AMD); "
                         "repeatable. Default: %s and %s (the issue's NS = 128 takes about an "
                         "hour: see README.md)" % DEFAULT_BRUSS)
    ap.add_argument("--bruss-ref-tol", type=float, default=1e-10,
                    help="BRUSS-2D reference tolerance (default 1e-10)")
    ap.add_argument("--slow-repeats", type=int, default=3,
                    help="BRUSS-2D repeats per tolerance (default 3)")
    ap.add_argument("--skip-vdp", action="store_true")
    ap.add_argument("--skip-bruss", action="store_true")
    ap.add_argument("--out", help="also write the Markdown here")
    ap.add_argument("--json", help="write all raw results (every time, every counter) here")
    args = ap.parse_args()

    if not os.access(args.bin, os.X_OK):
        sys.exit("run.py: %s is not an executable; build it first:\n  cmake -S . -B build-bench "
                 "-DIVP_BUILD_BENCH=ON -DCMAKE_BUILD_TYPE=Release && cmake --build build-bench "
                 "-j2" % args.bin)
    try:
        bruss_specs = [parse_bruss(x) for x in (args.bruss or DEFAULT_BRUSS)]
    except ValueError as e:
        sys.exit("run.py: --bruss %s" % e)
    started = time.monotonic()
    log = []
    md = []
    record = {"argv": sys.argv}
    info = json.loads(subprocess.run([args.bin, "--info"], capture_output=True, text=True,
                                     check=True).stdout)
    mach = machine_info()
    record["info"], record["machine"] = info, mach
    bench = Bench(args.bin, log)
    scipy = None if args.skip_vdp else Scipy(args.python, log)

    md.append("# Stiff benchmarks: ivp vs scipy vs SUNDIALS CVODE\n")
    md.append("- date: %s" % datetime.datetime.now().strftime("%Y-%m-%d %H:%M"))
    md.append("- command: `%s`" % " ".join(shlex.quote(a) for a in [sys.executable] + sys.argv))
    md.append("- machine: %s, %s logical cores, Linux %s; load average at start %.2f %.2f %.2f"
              % ((mach["cpu"], mach["cores"], mach["kernel"]) + tuple(mach["loadavg"])))
    md.append("- ivp %s, built %s (%s; %s); SUNDIALS %s; KLU %s"
              % (info["ivp_version"], info["build_type"], info["c_flags"].strip(),
                 "gcc " + info.get("compiler", "?"), info["sundials_version"],
                 info["klu_version"]))
    if scipy is not None:
        md.append("- scipy %s, numpy %s, Python %s (%s)"
                  % (scipy.info["scipy"], scipy.info["numpy"], scipy.info["python"],
                     scipy.info["executable"]))
    md.append("- timing: the whole in-process solve (set-up included); CPU time of the solving "
              "thread (wall time alongside), median of the repeats; compared solvers "
              "interleaved (round-robin in stiff_bench, scipy runs alternating with stiff_bench "
              "invocations)")
    md.append("- ivp sources: sha256 of core/ and plugins/ivp_plugin.h = %s\n" % source_digest())

    try:
        with tempfile.TemporaryDirectory(prefix="ivp-stiff-bench-") as tmp:
            if not args.skip_vdp:
                vdp_section(args, bench, scipy, tmp, md, record)
            if not args.skip_bruss:
                for spec in bruss_specs:
                    bruss_section(args, spec, bench, tmp, md, record)
    finally:
        if scipy is not None:
            scipy.close()
    elapsed = time.monotonic() - started
    md.append("Total run time %.0f s; load average at the end %.2f %.2f %.2f.\n"
              % ((elapsed,) + os.getloadavg()))
    md.append("<details><summary>stiff_bench / worker commands run (%d)</summary>\n\n```"
              % len(log))
    md.extend(" ".join(shlex.quote(c) for c in cmd) for cmd in log)
    md.append("```\n</details>\n")
    text = "\n".join(md)
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")
    if args.json:
        record["commands"] = log
        record["elapsed_seconds"] = elapsed
        with open(args.json, "w") as f:
            json.dump(record, f, indent=1)


if __name__ == "__main__":
    main()
