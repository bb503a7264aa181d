#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""tests/ensemble/test_ensemble_models.py - ensembles and events with expression models.

- An ensemble over a model parameter (Van der Pol, params.mu grid, with y0 and rtol axes), for
  every method, stacked and ragged: member k is bit-identical (t, y, model events, dense output,
  counters) to `ivp run` of the model spec with member k's overrides as --set.
- Events of a model with options from the top-level "events" (terminal as a count, direction)
  fire where those of the hand-written C plugin of the same ODE do (tests/cli/plugins/osc.c,
  plugins/bouncing_ball.c): same number of events, same status, times within the tolerance
  of the solve; the bouncing ball's ground contact at the analytic time sqrt(2 h0 / g).
Environment (from ivp_add_python_test): IVP_BIN, IVP_SOURCE_DIR, IVP_CACHE_DIR.
"""
import json
import math
import os
import shutil
import subprocess
import tempfile
import unittest

import h5py
import numpy as np

IVP = os.environ.get("IVP_BIN", "ivp")
SRC = os.environ.get("IVP_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
OSC = os.path.join(SRC, "tests", "cli", "plugins", "osc.c")
BALL = os.path.join(SRC, "plugins", "bouncing_ball.c")
METHODS = ["RK23", "RK45", "DOP853", "Radau", "BDF", "LSODA"]

VDP_MODEL = {"states": ["x", "v"], "params": ["mu"],
             "rhs": {"x": "v", "v": "mu*(1 - x^2)*v - x"},
             "events": {"x_zero": "x", "v_max": "mu*(1 - x^2)*v - x"}}
OSC_MODEL = {"states": ["y0", "y1"], "params": ["omega"],
             "rhs": {"y0": "y1", "y1": "-omega*omega*y0"},
             "events": {"zero": "y0", "half": "y0 - 0.5"}}
BALL_MODEL = {"states": ["h", "v"], "params": ["g"], "rhs": {"h": "v", "v": "-g"},
              "events": {"ground": "h"}}


def run(args):
    return subprocess.run([IVP, "run"] + args, capture_output=True, text=True, timeout=300)


def bits_equal(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return a.shape == b.shape and np.array_equal(a.view(np.uint64), b.view(np.uint64))


class EnsembleModels(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="ivp-ens-model-")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def write(self, name, spec):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            json.dump(spec, f)
        return path

    def solve(self, spec_path, name, extra=()):
        out = os.path.join(self.dir, name)
        p = run([spec_path, "-q", "-o", out] + list(extra))
        self.assertEqual(p.returncode, 0, p.stderr)
        return out

    def assert_member_is_single_run(self, ens, k, base, overrides, stacked):
        sets = []
        for key, v in overrides.items():
            sets += ["--set", "%s=%s" % (key, json.dumps(v))]
        single = self.solve(base, "single.h5", sets)
        with h5py.File(ens, "r") as e, h5py.File(single, "r") as s:
            cnt = int(e["members/count"][k])
            if stacked:  # a member stopped by a terminal event fills only its first cnt
                ts, ys = e["t"][:cnt], e["y"][k][:, :cnt]
                self.assertTrue(np.all(np.isnan(e["y"][k][:, cnt:])), "member %d: tail" % k)
            else:
                start = int(np.sum(e["members/count"][:k]))
                ts, ys = e["t"][start:start + cnt], e["y"][:, start:start + cnt]
            self.assertTrue(bits_equal(ts, s["t"][()]), "member %d: t" % k)
            self.assertTrue(bits_equal(ys, s["y"][()]), "member %d: y" % k)
            for c in ("nfev", "njev", "nlu", "n_steps", "n_rejected", "status"):
                self.assertEqual(int(e["members/" + c][k]), int(s.attrs[c]), "member %d %s" % (k, c))
            self.assertEqual(sorted(e["events"]), ["v_max", "x_zero"])
            for name in e["events"]:
                sel = e["events/%s/member" % name][()] == k
                self.assertTrue(bits_equal(e["events/%s/t" % name][()][sel],
                                           s["events/%s/t" % name][()]), "member %d %s" % (k, name))
                self.assertTrue(bits_equal(e["events/%s/y" % name][()][:, sel],
                                           s["events/%s/y" % name][()]))
            dc = e["members/dense_count"][()]
            seg0, n = int(np.sum(dc[:k])), int(dc[k])
            self.assertTrue(bits_equal(e["dense/x"][seg0 + k:seg0 + k + n + 1], s["dense/x"][()]))
            self.assertTrue(bits_equal(e["dense/c"][:, seg0:seg0 + n, :], s["dense/c"][()]))
            self.assertEqual(json.loads(e["members/overrides"][k]), overrides)
            return int(s.attrs["status"])

    def test_ensemble_over_a_model_parameter_every_method(self):
        for method in METHODS:
            for stacked in (True, False):
                with self.subTest(method=method, stacked=stacked):
                    kw = {"model": VDP_MODEL, "params": {"mu": 1.0}, "t_span": [0, 10],
                          "y0": [2, 0], "method": method, "rtol": 1e-6, "atol": 1e-9,
                          "dense_output": True,
                          "events": {"x_zero": {"terminal": 2, "direction": -1}}}
                    if stacked:
                        kw["t_eval"] = {"linspace": [0, 10, 11]}
                    base = self.write("base.json", kw)
                    ens = dict(kw)
                    ens["ensemble"] = {"grid": {"params.mu": [0.5, 2, 5], "y0[0]": [2, 1]},
                                       "zip": {"rtol": [1e-6, 1e-4]}}
                    out = self.solve(self.write("ens.json", ens), "ens.h5", ["-j", "2"])
                    with h5py.File(out, "r") as f:
                        self.assertEqual(int(f.attrs["n_members"]), 12)
                        self.assertEqual(f.attrs["layout"], "stacked" if stacked else "ragged")
                        names = [x.decode() if isinstance(x, bytes) else str(x)
                                 for x in f["members/params"].attrs["names"]]
                        self.assertEqual(names, ["mu"])
                        mus = f["members/params"][:, 0].tolist()
                    self.assertEqual(mus, [0.5, 0.5, 2, 2, 5, 5] * 2)
                    k, statuses = 0, []
                    for rtol in (1e-6, 1e-4):
                        for mu in (0.5, 2, 5):
                            for x0 in (2, 1):
                                ov = {"rtol": rtol, "params.mu": mu, "y0[0]": x0}
                                statuses.append(
                                    self.assert_member_is_single_run(out, k, base, ov, stacked))
                                k += 1
                    # the parameter really varies: some members meet the terminal count in
                    # [0, 10] (mu = 0.5: period 6.4), the stiffer ones (mu = 5: period 11.6) do not
                    self.assertIn(1, statuses)
                    self.assertIn(0, statuses)

    def events_of(self, path):
        with h5py.File(path, "r") as f:
            ev = {k: f["events/%s/t" % k][()] for k in f["events"]}
            return ev, int(f.attrs["status"]), f["t"][()], f["y"][()]

    def test_model_events_fire_where_the_c_plugins_do(self):
        rtol, atol = 1e-8, 1e-10
        omega = 1.7
        ev_opts = {"zero": {"terminal": 3, "direction": 0}, "half": {"direction": 1}}
        for method in METHODS:
            with self.subTest(method=method):
                common = {"t_span": [0, 20], "y0": [1, 0], "params": {"omega": omega},
                          "method": method, "rtol": rtol, "atol": atol, "events": ev_opts}
                m = self.solve(self.write("osc_model.json", dict(common, model=OSC_MODEL)),
                               "osc_model.h5")
                c = self.solve(self.write("osc_plugin.json", dict(common, plugin=OSC)),
                               "osc_plugin.h5")
                ev_m, st_m, t_m, _ = self.events_of(m)
                ev_c, st_c, t_c, _ = self.events_of(c)
                self.assertEqual(st_m, 1)
                self.assertEqual(st_c, 1)
                self.assertEqual(sorted(ev_m), ["half", "zero"])
                # terminal 3: the solve stops at the third zero, (2k+1) pi / (2 omega)
                self.assertEqual(len(ev_m["zero"]), 3)
                self.assertEqual(len(ev_c["zero"]), 3)
                # direction 1 on y0 - 1/2: rising crossings only, at 2 pi / omega - pi / (3 omega)
                self.assertEqual(len(ev_m["half"]), len(ev_c["half"]))
                self.assertEqual(len(ev_m["half"]), 1)
                # event times: an error of d in y0 moves a root by d / |y0'| >= d / omega /
                # sin(pi/3); the solves' errors are a few (rtol + atol) times the state
                tol = 100 * (rtol + atol) / (omega * math.sin(math.pi / 3))
                for name in ("zero", "half"):
                    self.assertTrue(np.allclose(ev_m[name], ev_c[name], rtol=0, atol=tol),
                                    "%s: %s vs %s" % (name, ev_m[name], ev_c[name]))
                exact = (2 * np.arange(3) + 1) * math.pi / (2 * omega)
                self.assertTrue(np.allclose(ev_m["zero"], exact, rtol=0, atol=tol), ev_m["zero"])
                self.assertTrue(math.isclose(ev_m["half"][0], 5 * math.pi / (3 * omega),
                                             abs_tol=tol))
                self.assertEqual(t_m[-1], ev_m["zero"][-1])
                self.assertEqual(len(t_m), len(t_c))

    def test_bouncing_ball_model_terminal_event(self):
        g, h0 = 9.81, 10.0
        rtol, atol = 1e-7, 1e-9
        t_hit = math.sqrt(2 * h0 / g)
        for method in METHODS:
            with self.subTest(method=method):
                common = {"t_span": [0, 10], "y0": [h0, 0], "params": {"g": g}, "method": method,
                          "rtol": rtol, "atol": atol,
                          "events": {"ground": {"terminal": True, "direction": -1}}}
                m = self.solve(self.write("ball_model.json", dict(common, model=BALL_MODEL)),
                               "ball_model.h5")
                c = self.solve(self.write("ball_plugin.json", dict(common, plugin=BALL)),
                               "ball_plugin.h5")
                ev_m, st_m, t_m, y_m = self.events_of(m)
                ev_c, st_c, t_c, y_c = self.events_of(c)
                self.assertEqual((st_m, st_c), (1, 1))
                self.assertEqual((len(ev_m["ground"]), len(ev_c["ground"])), (1, 1))
                # the same arithmetic (v' = -g, h' = v): the same steps and the same root
                self.assertTrue(bits_equal(t_m, t_c))
                self.assertTrue(bits_equal(y_m, y_c))
                self.assertTrue(bits_equal(ev_m["ground"], ev_c["ground"]))
                # h is a quadratic in t: the Runge-Kutta steps and interpolants (degree >= 2)
                # reproduce it to rounding error, so the root is sqrt(2 h0 / g) to the event
                # solver's precision; BDF and LSODA start at order 1, so their h is off by a
                # few (rtol h0 + atol), which moves the root by that over the speed g t_hit
                if method in ("BDF", "LSODA"):
                    tol = 100 * (rtol * h0 + atol) / (g * t_hit)
                else:
                    tol = 1e-9 * t_hit
                self.assertTrue(math.isclose(ev_m["ground"][0], t_hit, abs_tol=tol),
                                "%r vs %r" % (ev_m["ground"][0], t_hit))


if __name__ == "__main__":
    unittest.main(verbosity=2)
