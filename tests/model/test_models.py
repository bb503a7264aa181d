# SPDX-License-Identifier: MIT
"""tests/model/test_models.py - the example expression models (examples/models/) against the
matching C plugins (tests/problems/, plugins/) or a scipy reference, through `ivp run`:

- same method and tolerances: the states agree to the tolerance; for the implicit methods the
  model's exact Jacobian gives the same njev and nlu as the hand-written one (within 1%);
- the Brusselator's derived sparsity pattern (from the generated C, compiled and asked through
  ctypes) is the known one: each of u and v tridiagonal, u_i and v_i coupled;
- the N-body model (sum) against scipy's DOP853 at tight tolerance;
- events reach the output, the state names table is the model's; --set varies a model parameter;
- a bad model exits 2 naming the path and column and writes nothing (no output, no build);
- without a C compiler a model run exits 3 and says so.
"""
import ctypes
import json
import math
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np
from scipy.integrate import solve_ivp

IVP = os.environ["IVP_BIN"]
SRC = os.environ["IVP_SOURCE_DIR"]
BUILD = os.environ["IVP_BUILD_DIR"]
EX = os.path.join(SRC, "examples", "models")
FAILS = []


def check(cond, what):
    if not cond:
        FAILS.append(what)
        print("FAIL:", what)


def example(name):
    with open(os.path.join(EX, name + ".json")) as f:
        return json.load(f)


def run(spec, tmp, tag, extra=(), env=None):
    path = os.path.join(tmp, tag + ".json")
    out = os.path.join(tmp, tag + ".h5")
    spec = dict(spec)
    spec.pop("output", None)
    with open(path, "w") as f:
        json.dump(spec, f)
    p = subprocess.run([IVP, "run", path, "-o", out, "--quiet", *extra], capture_output=True,
                       text=True, env=env)
    if p.returncode != 0:
        return p, None
    with h5py.File(out, "r") as h:
        res = {k: h.attrs[k] for k in ("nfev", "njev", "nlu", "n_steps", "status")}
        res["t"] = h["t"][()]
        res["y"] = h["y"][()]
        res["names"] = [n.decode() if isinstance(n, bytes) else str(n)
                        for n in h["y"].attrs.get("names", [])]
        res["events"] = {k: h["events"][k]["t"][()] for k in h["events"]} if "events" in h else {}
    return p, res


def agree(a, b, rtol, atol, scale=10.0):
    """States of two solves of one ODE agree to the tolerance they were solved with."""
    return a.shape == b.shape and bool(np.all(np.abs(a - b) <= scale * (atol + rtol * np.abs(b))))


def within_1pct(a, b):
    return abs(int(a) - int(b)) <= max(1, 0.01 * max(int(a), int(b)))


def compare(tag, model_spec, plugin_spec, tmp, perm=None, counters=True, scale=10.0):
    pm, rm = run(model_spec, tmp, tag + "_model")
    pc, rc = run(plugin_spec, tmp, tag + "_plugin")
    check(rm is not None, f"{tag}: model run failed: {pm.stderr}")
    check(rc is not None, f"{tag}: plugin run failed: {pc.stderr}")
    if rm is None or rc is None:
        return
    ym = rm["y"] if perm is None else rm["y"][perm]
    check(np.array_equal(rm["t"], rc["t"]), f"{tag}: output times differ")
    check(agree(ym, rc["y"], model_spec["rtol"], model_spec["atol"], scale),
          f"{tag}: states differ beyond the tolerance, max |diff| "
          f"{np.max(np.abs(ym - rc['y'])) if ym.shape == rc['y'].shape else 'shape'}")
    if counters:
        for k in ("njev", "nlu"):
            check(within_1pct(rm[k], rc[k]), f"{tag}: {k} {rm[k]} (model) vs {rc[k]} (C plugin)")
    print(f"{tag}: model nfev {rm['nfev']} njev {rm['njev']} nlu {rm['nlu']}; "
          f"C nfev {rc['nfev']} njev {rc['njev']} nlu {rc['nlu']}")


def main():
    tmp = tempfile.mkdtemp(prefix="ivp-model-")
    common = {"t_eval": {"linspace": [0, 10, 21]}, "rtol": 1e-6, "atol": 1e-9}

    # Van der Pol: all six methods, against plugins/vanderpol.c (mu = 5, no events there)
    vdp = example("vanderpol")
    vdp["model"].pop("events")
    vdp.pop("events")
    vdp.update(common, params={"mu": 5}, t_span=[0, 10])
    plug = {k: v for k, v in vdp.items() if k != "model"}
    plug["plugin"] = os.path.join(BUILD, "plugins", "vanderpol.so")
    for method in ("RK23", "RK45", "DOP853", "Radau", "BDF", "LSODA"):
        m = dict(vdp, method=method)
        c = dict(plug, method=method)
        compare("vanderpol_" + method, m, c, tmp, counters=method in ("Radau", "BDF", "LSODA"))

    # Robertson against tests/problems/rober.c
    rob = example("robertson")
    rob["t_eval"] = {"linspace": [0, 1e5, 11]}
    for method in ("Radau", "BDF", "LSODA"):
        m = dict(rob, method=method)
        c = {k: v for k, v in m.items() if k != "model"}
        c["plugin"] = os.path.join(BUILD, "tests", "problems", "rober.so")
        compare("robertson_" + method, m, c, tmp)

    # Lorenz against plugins/lorenz.c (a short span: the flow is chaotic)
    lor = example("lorenz")
    lor.update(t_span=[0, 2], t_eval={"linspace": [0, 2, 201]})
    c = {k: v for k, v in lor.items() if k != "model"}
    c["plugin"] = os.path.join(BUILD, "plugins", "lorenz.so")
    compare("lorenz_DOP853", lor, c, tmp, counters=False, scale=100.0)

    # Brusselator 1-D, N = 500: the model orders (u_0..u_499, v_0..v_499), the C plugin
    # interleaves (u_1, v_1, ...). The plugin's exact sparse Jacobian against the model's.
    br = example("brusselator1d")
    N = 500
    y0 = br["y0"]
    inter = [0.0] * (2 * N)
    inter[0::2] = y0[:N]
    inter[1::2] = y0[N:]
    c = {k: v for k, v in br.items() if k != "model"}
    c.update(plugin=os.path.join(BUILD, "tests", "problems", "brusselator1d.so"), y0=inter,
             params={"N": N, "alpha": 0.02}, jac_sparsity="plugin")
    perm = np.empty(2 * N, dtype=int)  # row k of the plugin's y is row perm[k] of the model's
    perm[0::2] = np.arange(N)
    perm[1::2] = N + np.arange(N)
    compare("brusselator1d_BDF", br, c, tmp, perm=perm)
    compare("brusselator1d_Radau", dict(br, method="Radau"), dict(c, method="Radau"), tmp,
            perm=perm)

    # The derived pattern: ivp build SPEC.json -o model.c, compiled, jac_sparsity via ctypes
    src = os.path.join(tmp, "bruss_model.c")
    so = os.path.join(tmp, "bruss_model.so")
    p = subprocess.run([IVP, "build", os.path.join(EX, "brusselator1d.json"), "-o", src],
                       capture_output=True, text=True)
    check(p.returncode == 0 and os.path.getsize(src) < 20000,
          f"ivp build SPEC.json: {p.returncode} {p.stderr}")
    p = subprocess.run([IVP, "build", src, "-o", so], capture_output=True, text=True)
    check(p.returncode == 0, f"compiling the generated C: {p.stderr}")
    lib = ctypes.CDLL(so)
    lib.jac_sparsity.restype = ctypes.c_long
    lib.jac_sparsity.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p]
    nnz = lib.jac_sparsity(None, None, None)
    rows = (ctypes.c_size_t * nnz)()
    cols = (ctypes.c_size_t * nnz)()
    lib.jac_sparsity(None, rows, cols)
    names = (ctypes.c_char_p * (2 * N + 1)).in_dll(lib, "ivp_state_names")
    check(names[0] == b"u[0]" and names[N - 1] == b"u[499]" and names[N] == b"v[0]"
          and names[2 * N] is None, f"brusselator state names {names[0]} {names[N]}")
    got = set(zip(rows, cols))
    want = set()
    for i in range(N):
        for blk in (0, N):
            for d in (-1, 0, 1):
                if 0 <= i + d < N:
                    want.add((blk + i, blk + i + d))
        want.add((i, N + i))
        want.add((N + i, i))
    check(got == want and nnz == len(want),
          f"brusselator pattern: {nnz} entries, {len(got ^ want)} differ from the known one")

    # N-body with sums against scipy
    nb = example("nbody")
    pm, rm = run(nb, tmp, "nbody")
    check(rm is not None, f"nbody: {pm.stderr}")
    if rm is not None:
        NB = nb["model"]["constants"]["NB"]
        G, mass, eps = nb["params"]["G"], nb["params"]["m"], nb["params"]["eps"]

        def f(t, s):
            pos = s[:3 * NB].reshape(3, NB)
            vel = s[3 * NB:].reshape(3, NB)
            acc = np.zeros((3, NB))
            for i in range(NB):
                for j in range(NB):
                    if i != j:
                        d = pos[:, j] - pos[:, i]
                        acc[:, i] += G * mass * d / (d @ d + eps ** 2) ** 1.5
            return np.concatenate([vel.ravel(), acc.ravel()])
        ref = solve_ivp(f, nb["t_span"], nb["y0"], method="DOP853", rtol=1e-13, atol=1e-13,
                        t_eval=rm["t"])
        check(agree(rm["y"], ref.y, 1e-10, 1e-10, scale=1e3),
              f"nbody: max |diff| {np.max(np.abs(rm['y'] - ref.y))}")
        check(len(rm["events"].get("body0_crosses_x_axis", [])) > 0, "nbody: no event recorded")
        # implicit methods get the dense Jacobian of the sums
        pr, rr = run(dict(nb, method="Radau", rtol=1e-9, atol=1e-9), tmp, "nbody_radau")
        check(rr is not None and agree(rr["y"], ref.y, 1e-9, 1e-9, scale=1e3),
              f"nbody Radau: {pr.stderr}")

    # --set varies a model parameter (as an ensemble member's override does)
    pa, ra = run(dict(vdp, method="RK45"), tmp, "vdp_mu5")
    pb, rb = run(dict(vdp, method="RK45"), tmp, "vdp_mu2", extra=["--set", "params.mu=2"])
    vdp2 = dict(plug, method="RK45", params={"mu": 2})
    pc, rc = run(vdp2, tmp, "vdp_mu2_plugin")
    check(rb is not None and rc is not None and agree(rb["y"], rc["y"], 1e-6, 1e-9),
          "--set params.mu=2 on a model")

    # bad model: exit 2, path and column, nothing written, nothing compiled
    bad = dict(example("vanderpol"))
    bad["model"] = dict(bad["model"], rhs={"x": "v", "v": "mux*(1 - x^2)*v - x"})
    cache = os.path.join(tmp, "cache-bad")
    env = dict(os.environ, IVP_CACHE_DIR=cache)
    for cmd in (["run"], ["validate"], ["build"]):
        path = os.path.join(tmp, "bad.json")
        out = os.path.join(tmp, "bad.out")
        with open(path, "w") as fh:
            json.dump(bad, fh)
        args = [IVP, *cmd, path] + (["-o", out] if cmd[0] != "validate" else [])
        p = subprocess.run(args, capture_output=True, text=True, env=env)
        check(p.returncode == 2 and "$.model.rhs.v:1:1: unknown name 'mux' (did you mean 'mu'?)"
              in p.stderr and not os.path.exists(out) and not os.path.exists(cache),
              f"bad model with {cmd}: exit {p.returncode}, {p.stderr.strip()}")

    # no C compiler: exit 3, said clearly
    env = dict(os.environ, IVP_CACHE_DIR=os.path.join(tmp, "cache-nocc"),
               CC="/nonexistent/cc")
    p = subprocess.run([IVP, "run", os.path.join(EX, "lorenz.json"), "-o",
                        os.path.join(tmp, "nocc.h5")], capture_output=True, text=True, env=env)
    check(p.returncode == 3 and "/nonexistent/cc" in p.stderr,
          f"no compiler: exit {p.returncode}, {p.stderr.strip()}")

    if FAILS:
        print(f"{len(FAILS)} failure(s)")
        return 1
    print("all model checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
