# SPDX-License-Identifier: MIT
"""tests/loaders/loader_files.py - the files the loader tests read, and scipy's side.

Single-run files come from `ivp run` (IVP_BIN) on tests/loaders/plugins/osc3.c and the example
plugins; ivp writes format 1.1 (contracts.md section 3) with /info. strip_1_1() turns such a
file into a format 1 file (as older ivp wrote), add_1_1() overwrites the 1.1 additions with
chosen values, and build_ensemble() assembles an "ivp-hdf5-ensemble" file from single runs
exactly as section 5 lays it out (stacked /y (K, n, N) or ragged /t, /y with /members/count).
"""

import json
import os
import subprocess

import h5py
import numpy as np

IVP = os.environ.get("IVP_BIN", "ivp")
SOURCE_DIR = os.environ.get(
    "IVP_SOURCE_DIR", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
HERE = os.path.dirname(os.path.abspath(__file__))
OSC3 = os.path.join(HERE, "plugins", "osc3.c")
OSC3_EVENTS = ["zero", "half", "apex"]  # the plugin's order (not alphabetical)


def plugin(name):
    return os.path.join(SOURCE_DIR, "plugins", name + ".c")


def run_ivp(spec, out, expect_rc=0, extra=()):
    """Run `ivp run` on a spec dict (extra: more arguments); return the output path."""
    spec_path = out[:-3] + ".json"
    with open(spec_path, "w") as f:
        json.dump(spec, f)
    p = subprocess.run([IVP, "run", spec_path, "-o", out, "--quiet"] + list(extra),
                       capture_output=True, text=True, timeout=120)
    if p.returncode != expect_rc:
        raise AssertionError(f"ivp run {spec_path}: exit {p.returncode}, expected {expect_rc}: "
                             f"{p.stderr}")
    return out


def osc3_spec(**over):
    spec = {"plugin": OSC3, "t_span": [0, 10], "y0": [1, 0], "params": {"omega": 2},
            "rtol": 1e-8, "atol": 1e-10, "dense_output": True}
    spec.update(over)
    return spec


def osc3_exact(t, omega=2.0):
    t = np.asarray(t, dtype=float)
    return np.array([np.cos(omega * t), -omega * np.sin(omega * t)])


ROOT_1_1 = ["format_minor", "created", "host", "command_line"]


def strip_1_1(path):
    """Remove what format 1.1 added (and /info), leaving the format 1 file of older ivp."""
    with h5py.File(path, "r+") as f:
        for name in ("params", "y0", "t_span", "info"):
            if name in f:
                del f[name]
        for name in ROOT_1_1:
            if name in f.attrs:
                del f.attrs[name]
        if "names" in f["y"].attrs:
            del f["y"].attrs["names"]
        for g in f["events"].values():
            for name in ("index", "direction", "terminal"):
                if name in g.attrs:
                    del g.attrs[name]
    return path


def add_1_1(path, event_order, param_names, state_names=None, events_spec=None,
            param_values=None):
    """Write the format 1.1 datasets and attributes into an `ivp run` file, replacing any."""
    with h5py.File(path, "r+") as f:
        for name in ("params", "y0", "t_span"):
            if name in f:
                del f[name]
        problem = json.loads(f.attrs["problem"])
        values = param_values if param_values is not None else [
            problem["params"][k] for k in param_names]
        f["params"] = np.asarray(values, dtype=float)
        f["params"].attrs["names"] = np.array(param_names, dtype=h5py.string_dtype())
        f["y0"] = np.asarray(problem["y0"], dtype=float)
        f["t_span"] = np.asarray(problem["t_span"], dtype=float)
        if state_names:
            f["y"].attrs["names"] = np.array(state_names, dtype=h5py.string_dtype())
        events_spec = events_spec or problem.get("events", {})
        for i, name in enumerate(event_order):
            g = f["events"][name]
            g.attrs["index"] = np.int64(i)
            opts = events_spec.get(name, {})
            g.attrs["direction"] = np.int64(opts.get("direction", 0))
            g.attrs["terminal"] = np.int64(int(opts.get("terminal", 0)))


STATS_KEYS = ["nfev", "njev", "nlu", "n_steps", "n_rejected"]


def fixed(strings):
    """A fixed-length string array (Octave's load -hdf5 reads these; variable-length ones
    make it drop the whole group)."""
    return np.array([x.encode() for x in strings])


def add_info(path, event_order, param_names, state_names=None):
    """The /info datasets proposed for Octave, whose load -hdf5 reads no attributes: the
    scalars status, success, nfev, njev, nlu, n_steps, n_rejected (int64), solve_seconds;
    message and method (fixed-length strings); event_names (plugin order), param_names
    (order of /params) and state_names (fixed-length string arrays)."""
    with h5py.File(path, "r+") as f:
        g = f.create_group("info")
        g["status"] = np.int64(f.attrs["status"])
        g["success"] = np.int64(f.attrs["success"])
        for k in STATS_KEYS:
            g[k] = np.int64(f.attrs[k])
        g["solve_seconds"] = np.float64(f.attrs["solve_seconds"])
        g["message"] = np.bytes_(f.attrs["message"].encode())
        g["method"] = np.bytes_(f.attrs["method"].encode())
        if event_order:
            g["event_names"] = fixed(event_order)
        g["param_names"] = fixed(param_names)
        if state_names:
            g["state_names"] = fixed(state_names)


def build_ensemble(member_files, out, event_order, param_names, fixed_strings=False,
                   info=False):
    """An "ivp-hdf5-ensemble" file (contracts.md section 5) made of single-run files.

    Stacked /t (N,), /y (K, n, N) when every member has the same /t, else ragged /t (P,),
    /y (n, P) with /members/count. fixed_strings stores /members/message and overrides as
    fixed-length strings (readable by Octave's load -hdf5) instead of variable-length ones."""
    runs = []
    for p in member_files:
        with h5py.File(p, "r") as f:
            r = {"t": f["t"][()], "y": f["y"][()], "attrs": dict(f.attrs),
                 "problem": json.loads(f.attrs["problem"]),
                 "events": {e: (f["events"][e]["t"][()], f["events"][e]["y"][()])
                            for e in (f["events"] if "events" in f else [])}}
            if "dense" in f:
                r["dense"] = (f["dense/x"][()], f["dense/c"][()])
            runs.append(r)
    K = len(runs)
    n = runs[0]["y"].shape[0]
    stacked = all(r["t"].shape == runs[0]["t"].shape and np.array_equal(r["t"], runs[0]["t"])
                  for r in runs)
    strings = fixed if fixed_strings else (
        lambda xs: np.array(xs, dtype=h5py.string_dtype()))
    with h5py.File(out, "w") as f:
        a0 = runs[0]["attrs"]
        for k in ("method", "rtol", "atol", "ivp_version", "problem", "plugin_sha256"):
            if k in a0:
                f.attrs[k] = a0[k]
        f.attrs["format"] = "ivp-hdf5-ensemble"
        f.attrs["format_version"] = np.int64(1)
        f.attrs["n_members"] = np.int64(K)
        f.attrs["n_failed"] = np.int64(sum(int(r["attrs"]["status"]) < 0 for r in runs))
        if stacked:
            f["t"] = runs[0]["t"]
            f["y"] = np.stack([r["y"] for r in runs])
        else:
            f["t"] = np.concatenate([r["t"] for r in runs])
            f["y"] = np.concatenate([r["y"] for r in runs], axis=1)
        m = f.create_group("members")
        if not stacked:
            m["count"] = np.array([r["t"].size for r in runs], dtype=np.int64)
        m["status"] = np.array([r["attrs"]["status"] for r in runs], dtype=np.int8)
        m["message"] = strings([r["attrs"]["message"] for r in runs])
        for k in STATS_KEYS:
            m[k] = np.array([r["attrs"][k] for r in runs], dtype=np.int64)
        m["solve_seconds"] = np.array([r["attrs"]["solve_seconds"] for r in runs])
        m["params"] = np.array([[r["problem"]["params"][p] for p in param_names] for r in runs],
                               dtype=float)
        m["params"].attrs["names"] = np.array(param_names, dtype=h5py.string_dtype())
        m["y0"] = np.array([r["problem"]["y0"] for r in runs], dtype=float)
        m["t_span"] = np.array([r["problem"]["t_span"] for r in runs], dtype=float)
        m["overrides"] = strings([json.dumps({"params.omega": r["problem"]["params"]["omega"]})
                                  if "omega" in r["problem"]["params"] else "{}" for r in runs])
        if event_order:
            ev = f.create_group("events")
            for i, name in enumerate(event_order):
                g = ev.create_group(name)
                g["t"] = np.concatenate([r["events"][name][0] for r in runs])
                g["y"] = np.concatenate([r["events"][name][1].reshape(n, -1) for r in runs],
                                        axis=1)
                g["member"] = np.concatenate([np.full(r["events"][name][0].size, k, np.int64)
                                              for k, r in enumerate(runs)])
                g.attrs["index"] = np.int64(i)
        if info:
            g = f.create_group("info")
            g["method"] = np.bytes_(a0["method"].encode())
            g["param_names"] = fixed(param_names)
            if event_order:
                g["event_names"] = fixed(event_order)
        if all("dense" in r for r in runs):
            d = f.create_group("dense")
            d["x"] = np.concatenate([r["dense"][0] for r in runs])
            d["c"] = np.concatenate([r["dense"][1] for r in runs], axis=1)
            m["dense_count"] = np.array([r["dense"][1].shape[1] for r in runs], dtype=np.int64)
    return out
