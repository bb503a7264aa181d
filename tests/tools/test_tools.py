# SPDX-License-Identifier: MIT
"""tests/tools/test_tools.py - ivp info, eval, export, compare and plot (contracts.md section 7).

Every tool runs against files made here: single runs of the example plugins (with and without
dense output and events, forward, backward, failed) and ensemble files (stacked and ragged,
with dense output and events) built with h5py exactly as contracts.md section 5 lays them out,
from single runs, so each member has a known answer. eval is checked against
scipy.interpolate.PPoly to 1e-15 relative; export against the datasets exactly; compare's exit
codes on equal, slightly different and incompatible files; plot's PNG and SVG sizes; and bad
input (missing, non-ivp, truncated files, members out of range, times outside the interval,
malformed --t): exit 2, a message, nothing written.

Environment (from ivp_add_python_test): IVP_BIN, IVP_SOURCE_DIR, IVP_CACHE_DIR.
"""

import csv
import io
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import unittest
import xml.etree.ElementTree as ET

import h5py
import numpy as np
from scipy.interpolate import PPoly

IVP = os.environ.get("IVP_BIN", "ivp")
SOURCE_DIR = os.environ.get("IVP_SOURCE_DIR",
                            os.path.join(os.path.dirname(__file__), "..", ".."))
PLUGINS = os.path.join(SOURCE_DIR, "plugins")
TMP = None  # the folder of the made files, set in setUpModule


def run(*args, **kw):
    return subprocess.run([IVP] + [str(a) for a in args], capture_output=True, text=True,
                          timeout=120, **kw)


def make(name, plugin, **spec):
    """Runs a spec (plugin from plugins/) and returns the output path."""
    base = {"plugin": os.path.join(PLUGINS, plugin)}
    base.update(spec)
    path = os.path.join(TMP, name + ".json")
    with open(path, "w") as f:
        json.dump(base, f)
    out = os.path.join(TMP, name + ".h5")
    r = run("run", path, "-o", out, "-q")
    assert r.returncode in (0, 1), r.stderr
    return out


def vdp(name, **over):
    spec = {"t_span": [0, 20], "y0": [2, 0], "params": {"mu": 1}, "method": "RK45",
            "dense_output": True}
    spec.update(over)
    return make(name, "vanderpol.c", **spec)


def read_csv(text, delimiter=","):
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    return rows[0], rows[1:]


def ppoly(f, member=None):
    """scipy's PPoly of a single file or of ensemble member 'member'."""
    x = f["dense/x"][()]
    c = f["dense/c"][()]
    if member is None:
        return PPoly(c, x)
    counts = f["members/dense_count"][()]
    s0 = int(counts[:member].sum())
    x0 = s0 + member
    m = int(counts[member])
    return PPoly(c[:, s0:s0 + m, :], x[x0:x0 + m + 1])


def assert_rel(test, got, want, rel=1e-15):
    got = np.asarray(got, dtype=float)
    want = np.asarray(want, dtype=float)
    test.assertEqual(got.shape, want.shape)
    bad = np.abs(got - want) > rel * np.abs(want)
    test.assertFalse(bad.any(), "differences: %r" % (np.abs(got - want)[bad][:5],))


def build_ensemble(path, singles, stacked):
    """An "ivp-hdf5-ensemble" file from single-run files, laid out as contracts.md section 5
    says: stacked /t (N,), /y (K, n, N) or ragged /t (P,), /y (n, P), /members/count; dense
    output member after member with /members/dense_count; events with /events/<name>/member."""
    K = len(singles)
    files = [h5py.File(s, "r") for s in singles]
    try:
        with h5py.File(path, "w") as out:
            a = files[0].attrs
            for key in ("method", "rtol", "atol", "problem", "plugin_sha256", "ivp_version"):
                out.attrs[key] = a[key]
            out.attrs["format"] = "ivp-hdf5-ensemble"
            out.attrs["format_version"] = 1
            out.attrs["n_members"] = K
            status = np.array([f.attrs["status"] for f in files], dtype=np.int8)
            out.attrs["n_failed"] = int((status < 0).sum())
            out["members/status"] = status
            out["members/message"] = [f.attrs["message"] for f in files]
            for key in ("nfev", "njev", "nlu", "n_steps", "n_rejected"):
                out["members/" + key] = np.array([f.attrs[key] for f in files], dtype=np.int64)
            out["members/solve_seconds"] = [f.attrs["solve_seconds"] for f in files]
            mus = [json.loads(f.attrs["problem"])["params"] for f in files]
            names = list(mus[0].keys())
            out["members/params"] = np.array([[m[k] for k in names] for m in mus])
            out["members/params"].attrs["names"] = names
            out["members/y0"] = np.array([f["y"][:, 0] for f in files])
            out["members/overrides"] = [json.dumps({"params." + k: m[k] for k in names})
                                        for m in mus]
            if stacked:
                out["t"] = files[0]["t"][()]
                out["y"] = np.stack([f["y"][()] for f in files])
            else:
                out["t"] = np.concatenate([f["t"][()] for f in files])
                out["y"] = np.concatenate([f["y"][()] for f in files], axis=1)
                out["members/count"] = np.array([f["t"].shape[0] for f in files], dtype=np.int64)
            if "dense" in files[0]:
                out["dense/x"] = np.concatenate([f["dense/x"][()] for f in files])
                out["dense/c"] = np.concatenate([f["dense/c"][()] for f in files], axis=1)
                out["members/dense_count"] = np.array([f["dense/c"].shape[1] for f in files],
                                                      dtype=np.int64)
            for name in files[0].get("events", {}):
                out["events/%s/t" % name] = np.concatenate(
                    [f["events/%s/t" % name][()] for f in files])
                out["events/%s/y" % name] = np.concatenate(
                    [f["events/%s/y" % name][()] for f in files], axis=1)
                out["events/%s/member" % name] = np.concatenate(
                    [np.full(f["events/%s/t" % name].shape[0], k, dtype=np.int64)
                     for k, f in enumerate(files)])
    finally:
        for f in files:
            f.close()
    return path


def setUpModule():
    global TMP
    TMP = tempfile.mkdtemp(prefix="ivp_tools_")
    F = FILES
    F["vdp"] = vdp("vdp")
    F["vdp_back"] = vdp("vdp_back", t_span=[20, 0])
    F["vdp_close"] = vdp("vdp_close", rtol=1e-3 * (1 + 1e-9))
    F["vdp_mu2"] = vdp("vdp_mu2", params={"mu": 2})
    F["vdp_late"] = vdp("vdp_late", t_span=[30, 40])
    F["vdp_failed"] = vdp("vdp_failed", max_steps=10)
    F["vdp_nodense"] = vdp("vdp_nodense", dense_output=False)
    F["ball"] = make("ball", "bouncing_ball.c", t_span=[0, 10], y0=[10, 0],
                     params={"g": 9.81}, dense_output=True,
                     events={"ground": {"terminal": False, "direction": -1}}, max_step=0.5)
    F["kepler"] = make("kepler", "kepler.c", t_span=[0, 62.83185307179586],
                       y0=[-1.5, 0, 0, -0.5773502691896257], params={"mu": 1},
                       method="DOP853", rtol=1e-10, atol=1e-10,
                       events={"revolution": {"terminal": False, "direction": 1}})
    F["lorenz"] = make("lorenz", "lorenz.c", t_span=[0, 2], y0=[1, 0, 0],
                       params={"sigma": 10, "rho": 28, "beta": 8 / 3}, method="DOP853",
                       rtol=1e-8, atol=1e-8, t_eval={"linspace": [0, 2, 201]})
    F["lorenz_b"] = make("lorenz_b", "lorenz.c", t_span=[0, 2], y0=[1, 0, 0],
                         params={"sigma": 10, "rho": 28, "beta": 8 / 3}, method="DOP853",
                         rtol=1e-8, atol=1e-8, t_eval={"linspace": [0, 2, 101]})
    balls = [make("ball%d" % i, "bouncing_ball.c", t_span=[0, 6], y0=[h, 0],
                  params={"g": 9.81}, dense_output=True, max_step=0.5,
                  events={"ground": {"terminal": False, "direction": -1}})
             for i, h in enumerate([10, 5, 2])]
    F["ball_members"] = balls
    F["ens_ragged"] = build_ensemble(os.path.join(TMP, "ens_ragged.h5"), balls, stacked=False)
    lz = [make("lz%d" % i, "lorenz.c", t_span=[0, 1], y0=[1, 0, 0],
               params={"sigma": 10, "rho": r, "beta": 8 / 3}, method="RK45",
               t_eval={"linspace": [0, 1, 51]}) for i, r in enumerate([10, 28])]
    F["lz_members"] = lz
    F["ens_stacked"] = build_ensemble(os.path.join(TMP, "ens_stacked.h5"), lz, stacked=True)


def tearDownModule():
    shutil.rmtree(TMP, ignore_errors=True)


FILES = {}


class Info(unittest.TestCase):
    def test_text_single(self):
        r = run("info", FILES["ball"])
        self.assertEqual(r.returncode, 0, r.stderr)
        with h5py.File(FILES["ball"], "r") as f:
            nfev = int(f.attrs["nfev"])
            nev = f["events/ground/t"].shape[0]
        self.assertIn("status:      0", r.stdout)
        self.assertIn("nfev %d" % nfev, r.stdout)
        self.assertIn("ground %d" % nev, r.stdout)
        self.assertIn("g = 9.81", r.stdout)
        self.assertIn("method:      RK45", r.stdout)

    def test_json_and_csv(self):
        r = run("info", FILES["vdp"], FILES["vdp_failed"], "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        doc = json.loads(r.stdout)
        self.assertEqual(len(doc), 2)
        with h5py.File(FILES["vdp"], "r") as f:
            self.assertEqual(doc[0]["nfev"], int(f.attrs["nfev"]))
            self.assertEqual(doc[0]["n_points"], f["t"].shape[0])
            self.assertEqual(doc[0]["dense"]["segments"], f["dense/c"].shape[1])
            self.assertEqual(doc[0]["t_last"], float(f["t"][-1]))
        self.assertEqual(doc[0]["params"], {"mu": 1})
        self.assertEqual(doc[0]["names"], ["y0", "y1"])
        self.assertEqual(doc[1]["status"], -1)
        self.assertFalse(doc[1]["success"])
        r = run("info", FILES["vdp"], FILES["ball"], "--csv")
        self.assertEqual(r.returncode, 0, r.stderr)
        head, rows = read_csv(r.stdout)
        self.assertEqual(len(rows), 2)
        self.assertIn("mu", head)
        self.assertIn("g", head)
        self.assertIn("events:ground", head)
        self.assertEqual(rows[0][head.index("mu")], "1")
        self.assertEqual(rows[0][head.index("g")], "")
        with h5py.File(FILES["ball"], "r") as f:
            self.assertEqual(int(rows[1][head.index("events:ground")]),
                             f["events/ground/t"].shape[0])
            self.assertEqual(int(rows[1][head.index("n_steps")]), int(f.attrs["n_steps"]))

    def test_ensemble_members(self):
        r = run("info", FILES["ens_ragged"], "--json", "--members")
        self.assertEqual(r.returncode, 0, r.stderr)
        doc = json.loads(r.stdout)
        self.assertEqual(doc["n_members"], 3)
        self.assertEqual(doc["layout"], "ragged")
        for k, single in enumerate(FILES["ball_members"]):
            with h5py.File(single, "r") as f:
                m = doc["members"][k]
                self.assertEqual(m["nfev"], int(f.attrs["nfev"]))
                self.assertEqual(m["n_points"], f["t"].shape[0])
                self.assertEqual(m["n_segments"], f["dense/c"].shape[1])
                self.assertEqual(m["params"], {"g": 9.81})
        r = run("info", FILES["ens_stacked"], "--csv", "--members")
        head, rows = read_csv(r.stdout)
        self.assertEqual([row[head.index("member")] for row in rows], ["0", "1"])
        self.assertEqual([float(row[head.index("rho")]) for row in rows], [10, 28])
        r = run("info", FILES["ens_stacked"])
        self.assertIn("members:     2 (0 failed), stacked layout", r.stdout)


class Eval(unittest.TestCase):
    def check(self, path, times, args, member=None):
        r = run("eval", path, *args)
        self.assertEqual(r.returncode, 0, r.stderr)
        head, rows = read_csv(r.stdout)
        data = np.array([[float(v) for v in row] for row in rows])
        with h5py.File(path, "r") as f:
            pp = ppoly(f, member)
        self.assertEqual(head[0], "t")
        np.testing.assert_array_equal(data[:, 0], times)
        assert_rel(self, data[:, 1:], pp(times))
        return data

    def test_forward_list_range_and_breakpoints(self):
        path = FILES["vdp"]
        with h5py.File(path, "r") as f:
            x = f["dense/x"][()]
        times = np.concatenate([x, (x[:-1] + x[1:]) / 2, [0.1, 7.3, 19.99]])
        self.check(path, times, ["--t", ",".join(repr(float(t)) for t in times)])
        self.check(path, np.linspace(0, 20, 1001), ["--t", "0:20:1001"])
        self.check(path, np.array([3.0]), ["--t", "3:9:1"])
        tf = os.path.join(TMP, "times.txt")
        with open(tf, "w") as fh:
            fh.write("# times\n1.5, 2.5\n 3.5\t4.5\n\n")
        self.check(path, np.array([1.5, 2.5, 3.5, 4.5]), ["--t-file", tf])

    def test_backward(self):
        path = FILES["vdp_back"]
        with h5py.File(path, "r") as f:
            x = f["dense/x"][()]
        self.assertLess(x[-1], x[0])
        times = np.concatenate([x, (x[:-1] + x[1:]) / 2])
        self.check(path, times, ["--t", ",".join(repr(float(t)) for t in times)])
        self.check(path, np.linspace(20, 0, 333), ["--t", "20:0:333"])

    def test_failed_run(self):
        path = FILES["vdp_failed"]
        with h5py.File(path, "r") as f:
            self.assertEqual(f.attrs["status"], -1)
            end = float(f["dense/x"][-1])
        times = np.linspace(0, end, 17)
        self.check(path, times, ["--t", "0:%r:17" % end])
        r = run("eval", path, "--t", "19")
        self.assertEqual(r.returncode, 2)
        self.assertIn("outside", r.stderr)

    def test_ensemble(self):
        path = FILES["ens_ragged"]
        times = np.linspace(0, 6, 61)
        for k in range(3):
            d = self.check(path, times, ["--t", "0:6:61", "--member", k], member=k)
            with h5py.File(FILES["ball_members"][k], "r") as f:
                assert_rel(self, d[:, 1:], PPoly(f["dense/c"][()], f["dense/x"][()])(times))
        r = run("eval", path, "--t", "1,2")
        head, rows = read_csv(r.stdout)
        self.assertEqual(head, ["member", "t", "y0", "y1"])
        self.assertEqual([row[0] for row in rows], ["0", "0", "1", "1", "2", "2"])

    def test_formats(self):
        path = FILES["vdp"]
        r = run("eval", path, "--t", "1,2", "--format", "ndjson")
        lines = [json.loads(line) for line in r.stdout.splitlines()]
        with h5py.File(path, "r") as f:
            want = ppoly(f)(np.array([1.0, 2.0]))
        self.assertEqual([d["t"] for d in lines], [1.0, 2.0])
        assert_rel(self, [[d["y0"], d["y1"]] for d in lines], want)
        r = run("eval", path, "--t", "1,2", "--format", "tsv")
        head, rows = read_csv(r.stdout, "\t")
        self.assertEqual(head, ["t", "y0", "y1"])
        # numpy reads the CSV as is, names from the header
        out = os.path.join(TMP, "eval.csv")
        r = run("eval", path, "--t", "0:20:5", "-o", out)
        self.assertEqual((r.returncode, r.stdout), (0, ""))
        arr = np.genfromtxt(out, delimiter=",", names=True)
        self.assertEqual(arr.dtype.names, ("t", "y0", "y1"))
        assert_rel(self, np.column_stack([arr["y0"], arr["y1"]]),
                   ppoly(h5py.File(path, "r"))(np.linspace(0, 20, 5)))

    def test_no_dense_output(self):
        r = run("eval", FILES["vdp_nodense"], "--t", "1")
        self.assertEqual(r.returncode, 2)
        self.assertIn("dense_output", r.stderr)
        self.assertEqual(r.stdout, "")


class RealEnsembles(unittest.TestCase):
    """The tools on ensemble files written by `ivp run` itself (the files above are built with
    h5py from single runs): stacked and ragged, with events and dense output. Member k must
    read back exactly as the single run of the same overrides."""

    def ensemble(self, name, members, **over):
        spec = {"plugin": os.path.join(PLUGINS, "bouncing_ball.c"), "t_span": [0, 6],
                "y0": [10, 0], "params": {"g": 9.81}, "dense_output": True, "max_step": 0.5,
                "events": {"ground": {"terminal": False, "direction": -1}},
                "ensemble": {"zip": {"y0[0]": members}}}
        spec.update(over)
        path = os.path.join(TMP, name + ".json")
        with open(path, "w") as f:
            json.dump(spec, f)
        out = os.path.join(TMP, name + ".h5")
        r = run("run", path, "-o", out, "-q", "-j", "2")
        self.assertEqual(r.returncode, 0, r.stderr)
        return out

    def test_tools_on_written_ensembles(self):
        heights = [10, 5, 2]
        for layout, over in (("ragged", {}),
                             ("stacked", {"t_eval": {"linspace": [0, 6, 31]}})):
            with self.subTest(layout=layout):
                path = self.ensemble("real_" + layout, heights, **over)
                with h5py.File(path, "r") as f:
                    self.assertEqual(f.attrs["format"], "ivp-hdf5-ensemble")
                    self.assertEqual(f["y"].ndim, 3 if layout == "stacked" else 2)
                r = run("info", path, "--json")
                self.assertEqual(r.returncode, 0, r.stderr)
                info = json.loads(r.stdout)
                self.assertIn(str(len(heights)), json.dumps(info))
                times = np.linspace(0, 6, 25)
                for k, h in enumerate(heights):
                    single = make("real_%s_%d" % (layout, k), "bouncing_ball.c",
                                  t_span=[0, 6], y0=[h, 0], params={"g": 9.81},
                                  dense_output=True, max_step=0.5,
                                  events={"ground": {"terminal": False, "direction": -1}},
                                  **over)
                    r = run("eval", path, "--t", "0:6:25", "--member", k)
                    self.assertEqual(r.returncode, 0, r.stderr)
                    head, rows = read_csv(r.stdout)
                    got = np.array([[float(v) for v in row] for row in rows])
                    with h5py.File(single, "r") as f:
                        want = PPoly(f["dense/c"][()], f["dense/x"][()])(times)
                        ev_t = f["events/ground/t"][()]
                    np.testing.assert_array_equal(got[:, 1:], want)  # the same bits
                    r = run("export", path, "--member", k, "--events")
                    self.assertEqual(r.returncode, 0, r.stderr)
                    head, rows = read_csv(r.stdout)
                    self.assertEqual([float(row[1]) for row in rows], list(ev_t))
                    r = run("compare", path, single, "--member", k, "--rtol", "0",
                            "--atol", "0")
                    self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
                png = os.path.join(TMP, "real_%s.png" % layout)
                r = run("plot", path, "--member", 1, "-o", png)
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertEqual(png_size(png), (800, 500))


class Export(unittest.TestCase):
    def test_points_exact(self):
        for key in ("vdp", "vdp_back", "vdp_failed", "lorenz", "kepler"):
            path = FILES[key]
            r = run("export", path)
            self.assertEqual(r.returncode, 0, r.stderr)
            head, rows = read_csv(r.stdout)
            data = np.array([[float(v) for v in row] for row in rows])
            with h5py.File(path, "r") as f:
                n = f["y"].shape[0]
                self.assertEqual(head, ["t"] + ["y%d" % i for i in range(n)])
                np.testing.assert_array_equal(data[:, 0], f["t"][()])
                np.testing.assert_array_equal(data[:, 1:], f["y"][()].T)

    def test_events(self):
        r = run("export", FILES["kepler"], "--events")
        head, rows = read_csv(r.stdout)
        self.assertEqual(head, ["event", "t", "y0", "y1", "y2", "y3"])
        with h5py.File(FILES["kepler"], "r") as f:
            te = f["events/revolution/t"][()]
            ye = f["events/revolution/y"][()]
        self.assertGreater(len(te), 0)
        self.assertEqual([row[0] for row in rows], ["revolution"] * len(te))
        np.testing.assert_array_equal([float(row[1]) for row in rows], te)
        np.testing.assert_array_equal([[float(v) for v in row[2:]] for row in rows], ye.T)

    def test_ensembles(self):
        r = run("export", FILES["ens_ragged"])
        head, rows = read_csv(r.stdout)
        self.assertEqual(head, ["member", "t", "y0", "y1"])
        for k, single in enumerate(FILES["ball_members"]):
            mine = np.array([[float(v) for v in row[1:]] for row in rows if row[0] == str(k)])
            with h5py.File(single, "r") as f:
                np.testing.assert_array_equal(mine[:, 0], f["t"][()])
                np.testing.assert_array_equal(mine[:, 1:], f["y"][()].T)
        r = run("export", FILES["ens_stacked"], "--member", "1", "--format", "tsv")
        head, rows = read_csv(r.stdout, "\t")
        with h5py.File(FILES["lz_members"][1], "r") as f:
            np.testing.assert_array_equal(np.array(rows, dtype=float),
                                          np.column_stack([f["t"][()], f["y"][()].T]))
        r = run("export", FILES["ens_ragged"], "--events", "--member", "2")
        head, rows = read_csv(r.stdout)
        with h5py.File(FILES["ball_members"][2], "r") as f:
            np.testing.assert_array_equal([float(row[1]) for row in rows],
                                          f["events/ground/t"][()])
        r = run("export", FILES["ens_ragged"], "--events", "--format", "ndjson")
        lines = [json.loads(line) for line in r.stdout.splitlines()]
        self.assertEqual(sorted(set(d["member"] for d in lines)), [0, 1, 2])


class Compare(unittest.TestCase):
    def test_equal(self):
        for key in ("vdp", "lorenz", "ens_ragged", "ens_stacked", "vdp_back"):
            r = run("compare", FILES[key], FILES[key])
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertIn("max abs difference: 0.000e+00", r.stdout)

    def test_slightly_different(self):
        # a perturbed copy: 1e-7 relative on one value
        path = os.path.join(TMP, "perturbed.h5")
        shutil.copy(FILES["lorenz"], path)
        with h5py.File(path, "r+") as f:
            y = f["y"][()]
            y[1, 100] *= 1 + 1e-7
            f["y"][...] = y
        r = run("compare", path, FILES["lorenz"], "--verbose")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("y1:", r.stdout)
        self.assertIn("verdict: different", r.stdout)
        r = run("compare", path, FILES["lorenz"], "--rtol", "1e-6")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        # two solves at slightly different tolerances: dense outputs differ a little
        r = run("compare", FILES["vdp_close"], FILES["vdp"], "--rtol", "0", "--atol", "0")
        self.assertIn(r.returncode, (0, 1))
        r = run("compare", FILES["vdp_mu2"], FILES["vdp"])
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        r = run("compare", FILES["vdp_mu2"], FILES["vdp"], "--rtol", "10", "--atol", "10")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        # a failed run against the full one: same values on the common interval, status differs
        r = run("compare", FILES["vdp_failed"], FILES["vdp"])
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("status: -1 in A", r.stdout)

    def test_dense_against_points(self):
        # lorenz_b (stored points at t_eval) against the dense vdp is incompatible (n differs);
        # the no-dense vdp against the dense one: the interpolant at the stored points
        r = run("compare", FILES["vdp_nodense"], FILES["vdp"])
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        # stored points at different times, no dense output: not comparable
        r = run("compare", FILES["lorenz"], FILES["lorenz_b"])
        self.assertEqual(r.returncode, 2)
        self.assertIn("different times", r.stderr)

    def test_incompatible(self):
        r = run("compare", FILES["vdp"], FILES["lorenz"])
        self.assertEqual(r.returncode, 2)
        self.assertIn("components", r.stderr)
        r = run("compare", FILES["vdp"], FILES["vdp_late"])
        self.assertEqual(r.returncode, 2)
        self.assertIn("no common interval", r.stderr)
        r = run("compare", FILES["ens_ragged"], FILES["ball"])
        self.assertEqual(r.returncode, 2)
        self.assertIn("--member", r.stderr)
        r = run("compare", FILES["ens_ragged"], FILES["ball_members"][1], "--member", "1")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)


def png_size(path):
    with open(path, "rb") as f:
        head = f.read(33)
    assert head[:8] == b"\x89PNG\r\n\x1a\n", head[:8]
    assert head[12:16] == b"IHDR"
    return struct.unpack(">II", head[16:24])


def svg_size(path):
    root = ET.parse(path).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg", root.tag
    return tuple(int(float(root.get(k).rstrip("ptx"))) for k in ("width", "height"))


class Plot(unittest.TestCase):
    def test_png_and_svg(self):
        cases = [
            (FILES["vdp"], "vdp.png", [], (800, 500)),
            (FILES["ball"], "ball.svg", [], (800, 500)),
            (FILES["kepler"], "kepler.png", ["--phase", "0:1", "--size", "600x600"], (600, 600)),
            (FILES["vdp_back"], "back.svg", ["--components", "y1"], (800, 500)),
            (FILES["vdp_failed"], "failed.png", [], (800, 500)),
            (FILES["ens_ragged"], "member.png", ["--member", "1"], (800, 500)),
            (FILES["lorenz"], "lorenz.svg", ["--phase", "y0:y2", "--size", "640x480"],
             (640, 480)),
        ]
        for src, name, args, size in cases:
            out = os.path.join(TMP, name)
            r = run("plot", src, "-o", out, *args)
            self.assertEqual(r.returncode, 0, r.stderr)
            got = png_size(out) if name.endswith(".png") else svg_size(out)
            self.assertEqual(got, size, name)
            self.assertGreater(os.path.getsize(out), 2000)

    def test_bad(self):
        out = os.path.join(TMP, "bad.png")
        for args in (["--phase", "0:9"], ["--components", "zz"], ["--size", "10x10"],
                     ["--member", "0"]):
            r = run("plot", FILES["vdp"] if args[0] != "--member" else FILES["ens_ragged"],
                    "-o", out, *args[:2] if args[0] != "--member" else ["--member", "7"])
            self.assertEqual(r.returncode, 2, args)
            self.assertFalse(os.path.exists(out))
        r = run("plot", FILES["ens_ragged"], "-o", out)
        self.assertEqual(r.returncode, 2)
        r = run("plot", FILES["vdp"], "-o", os.path.join(TMP, "fig.gif"))
        self.assertEqual(r.returncode, 2)
        self.assertEqual([n for n in os.listdir(TMP) if ".tmp-" in n], [])


class BadInput(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.other = os.path.join(TMP, "other.h5")
        with h5py.File(cls.other, "w") as f:
            f["t"] = np.arange(3.0)
        cls.truncated = os.path.join(TMP, "truncated.h5")
        with open(FILES["vdp"], "rb") as f:
            data = f.read()
        with open(cls.truncated, "wb") as f:
            f.write(data[:len(data) // 2])
        cls.text = os.path.join(TMP, "text.h5")
        with open(cls.text, "w") as f:
            f.write("not hdf5\n")

    def expect2(self, args, words, out=None):
        r = run(*args)
        self.assertEqual(r.returncode, 2, (args, r.stdout, r.stderr))
        self.assertIn("ivp: error:", r.stderr)
        for w in words:
            self.assertIn(w, r.stderr)
        self.assertNotIn("HDF5-DIAG", r.stderr)
        self.assertEqual(r.stdout, "")
        if out is not None:
            self.assertFalse(os.path.exists(out), out)

    def test_files(self):
        out = os.path.join(TMP, "never.csv")
        for tool in (["info"], ["eval", "--t", "1", "-o", out], ["export", "-o", out],
                     ["plot", "-o", out.replace(".csv", ".png")]):
            self.expect2([tool[0], os.path.join(TMP, "missing.h5")] + tool[1:],
                         ["No such file"], out)
            self.expect2([tool[0], self.other] + tool[1:], ["not an ivp result file"], out)
            self.expect2([tool[0], self.truncated] + tool[1:], ["truncated"], out)
            self.expect2([tool[0], self.text] + tool[1:], ["not an HDF5 file"], out)
        self.expect2(["compare", FILES["vdp"], self.truncated], ["truncated"])
        self.expect2(["info", FILES["vdp"], self.other], ["not an ivp result file"])

    def test_members_and_times(self):
        out = os.path.join(TMP, "never.csv")
        self.expect2(["eval", FILES["ens_ragged"], "--t", "1", "--member", "3", "-o", out],
                     ["member 3 is out of range", "0..2"], out)
        self.expect2(["export", FILES["ens_stacked"], "--member", "2", "-o", out],
                     ["out of range"], out)
        self.expect2(["info", FILES["vdp"], "--members", "--bogus"], ["unknown option"])
        self.expect2(["eval", FILES["vdp"], "--t", "21", "-o", out], ["outside", "[0, 20]"],
                     out)
        self.expect2(["eval", FILES["vdp"], "--t", "-1:5:3", "-o", out], ["outside"], out)
        self.expect2(["eval", FILES["vdp_back"], "--t", "1,2,25", "-o", out], ["outside"], out)
        for bad in ("0:1", "0:1:0", "a:1:3", "0:1:2:3", "0:1:x", "1,,2", "1,nan", "inf", "",
                    "1e999", "0:1:-3"):
            self.expect2(["eval", FILES["vdp"], "--t", bad, "-o", out], ["--t"], out)
        tf = os.path.join(TMP, "bad_times.txt")
        with open(tf, "w") as fh:
            fh.write("1 2 three\n")
        self.expect2(["eval", FILES["vdp"], "--t-file", tf, "-o", out], ["three"], out)
        self.expect2(["eval", FILES["vdp"], "-o", out], ["--t"], out)
        self.expect2(["export", FILES["vdp"], "--format", "xml", "-o", out], ["--format"], out)

    def test_existing_output_kept(self):
        out = os.path.join(TMP, "keep.csv")
        with open(out, "w") as f:
            f.write("precious\n")
        r = run("eval", FILES["vdp"], "--t", "99", "-o", out)
        self.assertEqual(r.returncode, 2)
        with open(out) as f:
            self.assertEqual(f.read(), "precious\n")


if __name__ == "__main__":
    unittest.main(verbosity=2)
