# SPDX-License-Identifier: MIT
"""tests/loaders/test_octave.py - matlab/ivpread.m and ivpval.m under Octave (octave-cli).

Builds the files (`ivp run` on tests/loaders/plugins/osc3.c, the harmonic oscillator with
omega = 2 and three events in a non-alphabetical plugin order, as ivp writes them: format 1.1
with /info, and one turned back into format 1; ensemble files built with h5py per contracts.md
section 5; and real ones from `ivp run`, whole and a shard, read through their /info copies of
/members, /info/event_names and /info/member_offset), runs one octave-cli that writes what
ivpread/ivpval return (dump_sol.m), and checks it
against /t, /y, /events and the attributes read with h5py, against scipy's PPoly on /dense,
and against the exact solution x = cos(omega (t - t0)), forward and backward.

Octave is Debian's `octave` package; without octave-cli on PATH this test fails, saying so.
Tolerances: ivpval forward is ppval on the stored coefficients (agrees with PPoly to rounding:
1e-12 relative to the state's scale); backward re-expands each piece about its other end (a
Taylor shift over one step: a few roundings of the coefficients, same bound). Against the
exact solution: 1000 (rtol + atol) per unit of time, as the Python loader test.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import h5py
import numpy as np
from scipy.interpolate import PPoly

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import loader_files as lf  # noqa: E402

OCTAVE = shutil.which("octave-cli")
MATLAB_DIR = os.path.join(lf.SOURCE_DIR, "matlab")
RTOL, ATOL = 1e-8, 1e-10
TQ_FWD = np.linspace(0, 10, 41)
TQ_BACK = np.linspace(10, 0, 37)
OMEGAS = [1.0, 2.0, 3.0]


def parse_dump(path):
    out = {}
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            kind, rest = line.split(" ", 1)
            if kind == "S":
                name, _, text = rest.partition(" ")
                out[name] = text
            else:
                parts = rest.split(" ")
                name, r, c = parts[0], int(parts[1]), int(parts[2])
                vals = np.array([float(v) for v in parts[3:] if v])
                out[name] = vals.reshape((r, c), order="F")
    return out


def merged_events(path, order):
    """All events of a file in time order (direction of integration), ie 1-based in ORDER."""
    with h5py.File(path, "r") as f:
        t = f["t"][()]
        ts, ys, ies = [], [], []
        for i, name in enumerate(order):
            ts.append(f["events"][name]["t"][()])
            ys.append(f["events"][name]["y"][()])
            ies.append(np.full(ts[-1].size, i + 1))
    te, ye, ie = np.concatenate(ts), np.concatenate(ys, axis=1), np.concatenate(ies)
    p = np.argsort(te if t[-1] >= t[0] else -te, kind="stable")
    return te[p], ye[:, p], ie[p]


class OctaveLoaderTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if OCTAVE is None:
            raise unittest.SkipTest("octave-cli")  # turned into a failure in main()
        cls.tmp = tempfile.TemporaryDirectory(prefix="ivp-octave-")
        d = cls.tmp.name
        cls.files = {}
        cls.calls = []

        def case(name, path, k=0, tq=None):
            cls.calls.append((name, path, k, tq))

        ev = {"half": {"direction": 1}}
        fwd = lf.run_ivp(lf.osc3_spec(events=ev), os.path.join(d, "fwd.h5"))
        case("fwd", fwd, tq=TQ_FWD)

        y10 = [1.0, 0.0]  # x = cos(2 (t - 10))
        back = lf.run_ivp(lf.osc3_spec(t_span=[10, 0], y0=y10, events=ev),
                          os.path.join(d, "back.h5"))
        case("back", back, tq=TQ_BACK)

        failed = lf.run_ivp(lf.osc3_spec(events=ev, max_steps=5, method="LSODA"),
                            os.path.join(d, "failed.h5"), expect_rc=1)
        case("failed", failed, tq=None)

        v1 = lf.strip_1_1(lf.run_ivp(lf.osc3_spec(events=ev), os.path.join(d, "v1.h5")))
        case("v1", v1, tq=TQ_FWD)

        noden = lf.run_ivp(lf.osc3_spec(dense_output=False), os.path.join(d, "noden.h5"))
        case("noden", noden, tq=TQ_FWD)
        case("missing", os.path.join(d, "missing.h5"))

        members = {}
        for layout, t_eval in (("stacked", {"linspace": [0, 10, 21]}), ("ragged", None)):
            files = []
            for k, omega in enumerate([1.0, 2.0, 3.0]):
                extra = {"t_eval": t_eval} if t_eval else {}
                p = lf.run_ivp(lf.osc3_spec(params={"omega": omega}, **extra),
                               os.path.join(d, f"{layout}{k}.h5"))
                files.append(p)
            members[layout] = files
            ens = lf.build_ensemble(files, os.path.join(d, f"ens_{layout}.h5"), lf.OSC3_EVENTS,
                                    ["omega"], fixed_strings=True, info=True)
            for k in range(3):
                case(f"ens_{layout}_{k + 1}", ens, k + 1, TQ_FWD)
            case(f"ens_{layout}_all", ens)
            case(f"ens_{layout}_out_of_range", ens, 4)
        vlen = lf.build_ensemble(members["ragged"], os.path.join(d, "ens_vlen.h5"),
                                 lf.OSC3_EVENTS, ["omega"], fixed_strings=False)
        case("ens_vlen", vlen, 1)
        cls.members = members

        # ensembles as `ivp run` writes them: /members holds variable-length strings, so
        # Octave reads the members through /info
        cls.real = {}
        for layout, t_eval in (("stacked", {"linspace": [0, 10, 21]}), ("ragged", None)):
            extra = {"t_eval": t_eval} if t_eval else {}
            p = lf.run_ivp(lf.osc3_spec(events=ev, ensemble={"grid": {"params.omega": OMEGAS}},
                                        **extra), os.path.join(d, f"real_{layout}.h5"))
            cls.real[layout] = p
            for k in range(len(OMEGAS)):
                case(f"real_{layout}_{k + 1}", p, k + 1, TQ_FWD)
            case(f"real_{layout}_all", p)
            # shard 1/2 of it: ivp's members 1 and 2 (member_offset 1)
            s = lf.run_ivp(lf.osc3_spec(events=ev, ensemble={"grid": {"params.omega": OMEGAS}},
                                        **extra), os.path.join(d, f"shard_{layout}.h5"),
                           extra=["--shard", "1/2"])
            cls.real["shard_" + layout] = s
            for k in range(2):
                case(f"shard_{layout}_{k + 1}", s, k + 1, TQ_FWD)

        lines = [f"addpath('{MATLAB_DIR}');", f"addpath('{HERE}');"]
        for name, path, k, tq in cls.calls:
            tq_text = "[]" if tq is None else "[" + " ".join(repr(float(v)) for v in tq) + "]"
            lines.append(f"dump_sol('{os.path.join(d, name + '.txt')}', '{path}', {k}, {tq_text});")
        script = os.path.join(d, "run.m")
        with open(script, "w") as f:
            f.write("\n".join(lines) + "\n")
        p = subprocess.run([OCTAVE, "--no-gui", "--norc", "--quiet", script],
                           capture_output=True, text=True, timeout=300)
        if p.returncode != 0:
            raise AssertionError(f"octave-cli failed ({p.returncode}):\n{p.stdout}\n{p.stderr}")
        cls.out = {name: parse_dump(os.path.join(d, name + ".txt")) for name, *_ in cls.calls}
        cls.paths = {name: path for name, path, *_ in cls.calls}

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def check_against_file(self, name, order):
        o, path = self.out[name], self.paths[name]
        self.assertNotIn("error", o, o.get("error"))
        with h5py.File(path, "r") as f:
            np.testing.assert_array_equal(o["x"], f["t"][()][None, :])
            np.testing.assert_array_equal(o["y"], f["y"][()])
            a = f.attrs
            self.assertEqual(o["status"][0, 0], a["status"])
            self.assertEqual(o["success"][0, 0], 1)
            self.assertEqual(o["message"], a["message"])
            self.assertEqual(o["solver"], a["method"])
            self.assertEqual(o["stats.nfevals"][0, 0], a["nfev"])
            self.assertEqual(o["stats.nsteps"][0, 0], a["n_steps"])
            self.assertEqual(o["stats.nfailed"][0, 0], a["n_rejected"])
            self.assertEqual(o["stats.npds"][0, 0], a["njev"])
            self.assertEqual(o["stats.ndecomps"][0, 0], a["nlu"])
            pp = PPoly(f["dense/c"][()], f["dense/x"][()])
        te, ye, ie = merged_events(path, order)
        np.testing.assert_array_equal(o["xe"].ravel(), te)
        np.testing.assert_array_equal(o["ye"], ye)
        np.testing.assert_array_equal(o["ie"].ravel(), ie)
        self.assertEqual(o["event_names"], ",".join(order))
        self.assertEqual(o["params.omega"][0, 0], 2)
        return o, pp

    def test_forward(self):
        """A file as `ivp run` writes it: status, counters, names and the event order come
        from /info (Octave reads no attributes), with no warning."""
        o, pp = self.check_against_file("fwd", lf.OSC3_EVENTS)
        self.assertEqual(o["event_order_known"][0, 0], 1)
        self.assertEqual(o["lastwarn"], "")
        self.assertEqual(o["names"], "x,v")
        np.testing.assert_array_equal(o["y0"], [[1, 0]])
        np.testing.assert_array_equal(o["t_span"], [[0, 10]])
        self.assertEqual(o["val"].shape, (2, TQ_FWD.size))
        self.assertEqual(o["val_scalar"].shape, (2, 1))
        np.testing.assert_allclose(o["val"], pp(TQ_FWD).T, rtol=0, atol=1e-12 * 2)
        np.testing.assert_allclose(o["val"], lf.osc3_exact(TQ_FWD), rtol=0,
                                   atol=1000 * (RTOL + ATOL) * 10)
        self.assertGreater(o["xe"].size, 5)

    def test_backward(self):
        o, pp = self.check_against_file("back", lf.OSC3_EVENTS)
        self.assertTrue(np.all(np.diff(o["x"].ravel()) < 0))
        self.assertTrue(np.all(np.diff(o["xe"].ravel()) < 0))  # in the order they occurred
        self.assertTrue(np.all(np.diff(o["pp_breaks"].ravel()) > 0))  # mkpp: increasing
        np.testing.assert_allclose(o["val"], pp(TQ_BACK).T, rtol=0, atol=1e-12 * 2)
        np.testing.assert_allclose(o["val"], lf.osc3_exact(TQ_BACK - 10), rtol=0,
                                   atol=1000 * (RTOL + ATOL) * 10)
        np.testing.assert_allclose(o["val_scalar"].ravel(), [1, 0], atol=1e-12)  # t = 10

    def test_failed_run_from_info(self):
        """status -1: status, success, message and counters from /info."""
        o = self.out["failed"]
        self.assertNotIn("error", o, o.get("error"))
        self.assertEqual(o["lastwarn"], "")
        with h5py.File(self.paths["failed"], "r") as f:
            a = f.attrs
            self.assertEqual(o["status"][0, 0], -1)
            self.assertEqual(o["success"][0, 0], 0)
            self.assertEqual(o["message"], a["message"])
            self.assertIn("steps", o["message"])
            self.assertEqual(o["solver"], "LSODA")
            self.assertEqual(o["stats.nsteps"][0, 0], a["n_steps"])
            self.assertEqual(o["stats.nfevals"][0, 0], a["nfev"])
            np.testing.assert_array_equal(o["x"], f["t"][()][None, :])
        self.assertEqual(o["event_names"], ",".join(lf.OSC3_EVENTS))
        self.assertEqual(o["names"], "x,v")
        self.assertEqual(o["params.omega"][0, 0], 2)

    def test_format_1_in_octave(self):
        """No /info: attributes are out of Octave's reach; events alphabetical, a warning."""
        o = self.out["v1"]
        self.assertNotIn("error", o)
        self.assertTrue(np.isnan(o["status"][0, 0]))
        self.assertEqual(o["event_order_known"][0, 0], 0)
        self.assertEqual(o["event_names"], ",".join(sorted(lf.OSC3_EVENTS)))
        self.assertIn("no /info datasets", o["lastwarn"])
        te, ye, ie = merged_events(self.paths["v1"], sorted(lf.OSC3_EVENTS))
        np.testing.assert_array_equal(o["ie"].ravel(), ie)
        np.testing.assert_allclose(o["val"], lf.osc3_exact(TQ_FWD), rtol=0,
                                   atol=1000 * (RTOL + ATOL) * 10)

    def test_errors(self):
        self.assertIn("no dense output (/dense)", self.out["noden"]["error"])
        self.assertIn("missing.h5: no such file", self.out["missing"]["error"])
        self.assertIn("member 4 out of range: the ensemble has 3 members",
                      self.out["ens_stacked_out_of_range"]["error"])
        self.assertIn("cannot read /members (load -hdf5 fails on variable-length strings",
                      self.out["ens_vlen"]["error"])

    def check_ensemble(self, layout):
        o_all = self.out[f"ens_{layout}_all"]
        self.assertEqual(o_all["n_members"][0, 0], 3)
        for k in range(3):
            o = self.out[f"ens_{layout}_{k + 1}"]
            self.assertNotIn("error", o, o.get("error"))
            single = self.members[layout][k]
            with h5py.File(single, "r") as f:
                np.testing.assert_array_equal(o["x"], f["t"][()][None, :])
                np.testing.assert_array_equal(o["y"], f["y"][()])
                np.testing.assert_array_equal(o_all[f"member_{k + 1}_x"], f["t"][()][None, :])
                a = f.attrs
                self.assertEqual(o["status"][0, 0], a["status"])
                self.assertEqual(o["message"], a["message"])
                self.assertEqual(o["stats.nfevals"][0, 0], a["nfev"])
                self.assertEqual(o["stats.nsteps"][0, 0], a["n_steps"])
            te, ye, ie = merged_events(single, lf.OSC3_EVENTS)
            np.testing.assert_array_equal(o["xe"].ravel(), te)
            np.testing.assert_array_equal(o["ye"], ye)
            np.testing.assert_array_equal(o["ie"].ravel(), ie)
            self.assertEqual(o["event_order_known"][0, 0], 1)
            omega = k + 1.0
            self.assertEqual(o["params.omega"][0, 0], omega)
            self.assertEqual(o["member"][0, 0], k)
            self.assertEqual(o["solver"], "RK45")
            np.testing.assert_allclose(o["val"], lf.osc3_exact(TQ_FWD, omega), rtol=0,
                                       atol=1000 * (RTOL + ATOL) * 10 * omega)

    def test_ensemble_stacked(self):
        self.check_ensemble("stacked")

    def test_ensemble_ragged(self):
        self.check_ensemble("ragged")

    def check_real_ensemble(self, layout):
        """A file from `ivp run` with an ensemble: member k against /members (h5py), its rows
        of /y, its events and its dense output; no error, no warning."""
        path = self.real[layout]
        K = len(OMEGAS)
        self.assertEqual(self.out[f"real_{layout}_all"]["n_members"][0, 0], K)
        with h5py.File(path, "r") as f:
            self.assertEqual(f.attrs["layout"], layout)
            m = f["members"]
            count, dc = m["count"][()], m["dense_count"][()]
            for k in range(K):
                o = self.out[f"real_{layout}_{k + 1}"]
                self.assertNotIn("error", o, o.get("error"))
                self.assertEqual(o["lastwarn"], "")
                if layout == "stacked":
                    t, y = f["t"][()], f["y"][k]
                else:
                    s0 = int(count[:k].sum())
                    t = f["t"][s0:s0 + count[k]]
                    y = f["y"][:, s0:s0 + count[k]]
                np.testing.assert_array_equal(o["x"], t[None, :count[k]])
                np.testing.assert_array_equal(o["y"], y[:, :count[k]])
                self.assertEqual(o["status"][0, 0], m["status"][k])
                self.assertEqual(o["success"][0, 0], 1)
                self.assertEqual(o["message"], m["message"][k].decode())
                self.assertEqual(o["solver"], f.attrs["method"])
                for key, name in (("nfevals", "nfev"), ("nsteps", "n_steps"),
                                  ("nfailed", "n_rejected"), ("npds", "njev"),
                                  ("ndecomps", "nlu")):
                    self.assertEqual(o["stats." + key][0, 0], m[name][k], key)
                self.assertEqual(o["params.omega"][0, 0], OMEGAS[k])
                self.assertEqual(o["member"][0, 0], k)
                np.testing.assert_array_equal(o["y0"], m["y0"][k][None, :])
                np.testing.assert_array_equal(o["t_span"], m["t_span"][k][None, :])
                # events: in the plugin's order (/info/event_names), ie numbering them so
                self.check_member_events(o, f, k)
                # the dense output: member k's pieces of /dense
                s0 = int(dc[:k].sum())
                x = f["dense/x"][s0 + k:s0 + k + dc[k] + 1]
                pp = PPoly(f["dense/c"][:, s0:s0 + dc[k], :], x)
                np.testing.assert_allclose(o["val"], pp(TQ_FWD).T, rtol=0,
                                           atol=1e-12 * 2 * OMEGAS[k])
                np.testing.assert_allclose(o["val"], lf.osc3_exact(TQ_FWD, OMEGAS[k]), rtol=0,
                                           atol=1000 * (RTOL + ATOL) * 10 * OMEGAS[k])

    def check_member_events(self, o, f, member):
        """Octave's xe, ye, ie for ivp's member number `member` of the open file f: every
        event of that member in time order, ie 1-based in the plugin's order (zero, half,
        apex), which /info/event_names gives Octave."""
        self.assertEqual(o["event_names"], ",".join(lf.OSC3_EVENTS))
        self.assertEqual(o["event_order_known"][0, 0], 1)
        ts, ys, ies = [], [], []
        for i, e in enumerate(lf.OSC3_EVENTS):
            sel = f["events"][e]["member"][()] == member
            ts.append(f["events"][e]["t"][()][sel])
            ys.append(f["events"][e]["y"][()][:, sel])
            ies.append(np.full(ts[-1].size, i + 1))
        te, ye, ie = np.concatenate(ts), np.concatenate(ys, axis=1), np.concatenate(ies)
        p = np.argsort(te, kind="stable")
        self.assertGreater(te.size, 3)
        self.assertEqual(set(ie), {1, 2, 3})  # every event occurs: the order matters
        np.testing.assert_array_equal(o["xe"].ravel(), te[p])
        np.testing.assert_array_equal(o["ye"], ye[:, p])
        np.testing.assert_array_equal(o["ie"].ravel(), ie[p])

    def check_shard(self, layout):
        """Shard 1/2 of the real ensemble: ivpread's member k is ivp's member k (from
        /info/member_offset), with that member's events in the plugin's order, as the whole
        file gives them."""
        path = self.real["shard_" + layout]
        with h5py.File(path, "r") as f:
            self.assertEqual(int(f.attrs["member_offset"]), 1)
            for k in range(2):
                o, whole = self.out[f"shard_{layout}_{k + 1}"], self.out[f"real_{layout}_{k + 2}"]
                self.assertNotIn("error", o, o.get("error"))
                self.assertEqual(o["lastwarn"], "")
                self.assertEqual(o["member"][0, 0], k + 1)
                self.assertEqual(o["params.omega"][0, 0], OMEGAS[k + 1])
                self.check_member_events(o, f, k + 1)
                for key in ("x", "y", "xe", "ye", "ie", "val"):
                    np.testing.assert_array_equal(o[key], whole[key], key)

    def test_shard_stacked(self):
        self.check_shard("stacked")

    def test_shard_ragged(self):
        self.check_shard("ragged")

    def test_real_ensemble_stacked(self):
        self.check_real_ensemble("stacked")

    def test_real_ensemble_ragged(self):
        self.check_real_ensemble("ragged")


def main():
    if OCTAVE is None:
        print("FAILED: octave-cli not found: install Debian's octave "
              "(apt-get install --no-install-recommends octave)", file=sys.stderr)
        return 1
    prog = unittest.main(argv=sys.argv[:1], verbosity=2, exit=False)
    return 0 if prog.result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
