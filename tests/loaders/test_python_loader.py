# SPDX-License-Identifier: MIT
"""tests/loaders/test_python_loader.py - python/ivp_h5.py against scipy.integrate.solve_ivp.

Each case runs `ivp run` (IVP_BIN) and solve_ivp on the same problem, then checks what
ivp_h5.load() returns: t and y, sol(t) (shapes and values) against scipy's sol, t_events and
y_events in scipy's order and shapes, status/message/success/counters, params and names; a
backward solve; the format 1.1 additions (written into the file with h5py, as the writer will);
ensemble files (built with h5py exactly per contracts.md section 5 from single runs, stacked
and ragged, and as `ivp run` writes them, whole and a shard) through load_ensemble().

Tolerances: ivp takes the same steps as scipy, so states agree far inside the requested
tolerances; the checks allow 10 * (atol + rtol * |y|), which still catches any wrong
orientation, order or piece of the dense output. Against exact solutions the allowance is
1000 * (atol + rtol) per unit of time (the global error of a tolerance-controlled solve grows
with the interval).
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import h5py
import numpy as np
from scipy.integrate import solve_ivp

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import loader_files as lf  # noqa: E402

sys.path.insert(0, os.path.join(lf.SOURCE_DIR, "python"))
import ivp_h5  # noqa: E402


def osc3_rhs(omega):
    return lambda t, y: [y[1], -omega * omega * y[0]]


def osc3_events(spec_events=None):
    spec_events = spec_events or {}
    funcs = [lambda t, y: y[0], lambda t, y: y[0] - 0.5, lambda t, y: y[1]]
    for name, fn in zip(lf.OSC3_EVENTS, funcs):
        opts = spec_events.get(name, {})
        fn.terminal = opts.get("terminal", False)
        fn.direction = opts.get("direction", 0)
    return funcs


class LoaderTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="ivp-loaders-")
        self.dir = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def out(self, name):
        return os.path.join(self.dir, name + ".h5")

    def assert_close(self, got, want, rtol, atol, what):
        got, want = np.asarray(got), np.asarray(want)
        self.assertEqual(got.shape, want.shape, f"{what}: shape")
        bound = 10 * (atol + rtol * np.abs(want))
        worst = np.max(np.abs(got - want) - bound) if got.size else -1
        self.assertLessEqual(worst, 0, f"{what}: differs by more than 10 (atol + rtol |y|)")

    def assert_events_like_scipy(self, r, ref, rtol, atol):
        self.assertEqual(len(r.t_events), len(ref.t_events))
        for i, (te, ye, ste, sye) in enumerate(zip(r.t_events, r.y_events, ref.t_events,
                                                   ref.y_events)):
            self.assertEqual(te.shape, ste.shape, f"t_events[{i}] shape")
            self.assertEqual(ye.shape, sye.shape, f"y_events[{i}] shape")
            self.assert_close(te, ste, rtol, atol, f"t_events[{i}]")
            self.assert_close(ye, sye, rtol, atol, f"y_events[{i}]")

    # --- single runs against scipy -------------------------------------------------------

    def test_vanderpol_dense_like_scipy(self):
        spec = {"plugin": lf.plugin("vanderpol"), "t_span": [0, 20], "y0": [2, 0],
                "params": {"mu": 1}, "method": "RK45", "dense_output": True}
        r = ivp_h5.load(lf.run_ivp(spec, self.out("vdp")))
        ref = solve_ivp(lambda t, y: [y[1], (1 - y[0] ** 2) * y[1] - y[0]], (0, 20), [2, 0],
                        method="RK45", dense_output=True)
        self.assertEqual(r.t.shape, ref.t.shape)
        self.assertEqual(r.y.shape, ref.y.shape)
        self.assert_close(r.t, ref.t, 1e-3, 1e-6, "t")
        self.assert_close(r.y, ref.y, 1e-3, 1e-6, "y")
        tq = np.linspace(0, 20, 401)
        self.assertEqual(r.sol(tq).shape, ref.sol(tq).shape)
        self.assertEqual(r.sol(7.5).shape, ref.sol(7.5).shape)
        self.assert_close(r.sol(tq), ref.sol(tq), 1e-3, 1e-6, "sol(t)")
        self.assert_close(r.sol(7.5), ref.sol(7.5), 1e-3, 1e-6, "sol(7.5)")
        # the dense output passes through the stored steps
        self.assert_close(r.sol(r.t), r.y, 1e-12, 1e-12, "sol at the steps")
        self.assertIsNone(r.t_events)
        self.assertIsNone(r.y_events)
        self.assertEqual((r.status, r.success), (0, True))
        self.assertEqual(r.message, ref.message)
        self.assertEqual((r.nfev, r.njev, r.nlu), (ref.nfev, ref.njev, ref.nlu))
        self.assertEqual(r.params, {"mu": 1})
        self.assertEqual(r.method, "RK45")
        self.assertEqual(r.attrs["format"], "ivp-hdf5")
        np.testing.assert_array_equal(r.y0, [2, 0])
        np.testing.assert_array_equal(r.t_span, [0, 20])

    def test_no_dense_gives_no_sol(self):
        spec = {"plugin": lf.plugin("vanderpol"), "t_span": [0, 2], "y0": [2, 0],
                "params": {"mu": 1}, "t_eval": [0, 0.5, 1, 2]}
        r = ivp_h5.load(lf.run_ivp(spec, self.out("vdp_teval")))
        self.assertIsNone(r.sol)
        np.testing.assert_array_equal(r.t, [0, 0.5, 1, 2])
        self.assertEqual(r.y.shape, (2, 4))

    def test_bouncing_ball_terminal_event(self):
        spec = {"plugin": lf.plugin("bouncing_ball"), "t_span": [0, 10], "y0": [10, 0],
                "params": {"g": 9.81}, "events": {"ground": {"terminal": True, "direction": -1}}}
        r = ivp_h5.load(lf.run_ivp(spec, self.out("ball")))
        ground = lambda t, y: y[0]  # noqa: E731
        ground.terminal, ground.direction = True, -1
        ref = solve_ivp(lambda t, y: [y[1], -9.81], (0, 10), [10, 0], events=[ground])
        self.assertEqual((r.status, r.success), (1, True))
        self.assertEqual(r.message, ref.message)
        self.assertEqual(r.event_names, ["ground"])
        self.assert_events_like_scipy(r, ref, 1e-3, 1e-6)
        t_hit = np.sqrt(2 * 10 / 9.81)
        self.assertAlmostEqual(r.t_events[0][0], t_hit, delta=1e-9)
        self.assertAlmostEqual(r.y_events[0][0, 1], -9.81 * t_hit, delta=1e-8)

    def test_kepler_events(self):
        y0 = [-1.5, 0, 0, -np.sqrt(1 / 3)]
        spec = {"plugin": lf.plugin("kepler"), "t_span": [0, 20 * np.pi], "y0": y0,
                "params": {"mu": 1}, "method": "DOP853", "rtol": 1e-10, "atol": 1e-10,
                "events": {"revolution": {"direction": 1}}}
        r = ivp_h5.load(lf.run_ivp(spec, self.out("kepler")))

        def kepler(t, y):
            r3 = np.hypot(y[0], y[1]) ** 3
            return [y[2], y[3], -y[0] / r3, -y[1] / r3]
        rev = lambda t, y: y[1]  # noqa: E731
        rev.direction = 1
        ref = solve_ivp(kepler, (0, 20 * np.pi), y0, method="DOP853", rtol=1e-10, atol=1e-10,
                        events=[rev])
        self.assert_events_like_scipy(r, ref, 1e-10, 1e-10)
        self.assertEqual(r.y_events[0].shape, (10, 4))
        np.testing.assert_allclose(r.t_events[0], np.pi * np.arange(1, 20, 2), rtol=0,
                                   atol=1000 * 2e-10 * 20 * np.pi)

    def test_events_in_plugin_order_backward(self):
        """Three events (plugin order zero, half, apex), backward over [10, 0], dense."""
        ev = {"half": {"direction": 1}, "apex": {"terminal": True}}
        spec = lf.osc3_spec(t_span=[10, 0], y0=list(lf.osc3_exact(10.0)), events=ev)
        path = lf.run_ivp(spec, self.out("osc3_back"))
        ref = solve_ivp(osc3_rhs(2.0), (10, 0), lf.osc3_exact(10.0), rtol=1e-8, atol=1e-10,
                        dense_output=True, events=osc3_events(ev))

        # format 1: the file does not say the plugin's order; alphabetical
        v1 = self.out("osc3_back_v1")
        shutil.copyfile(path, v1)
        r1 = ivp_h5.load(lf.strip_1_1(v1))
        self.assertEqual(r1.event_names, sorted(lf.OSC3_EVENTS))
        self.assertIsNone(r1.names)

        # as ivp writes it (format 1.1): the plugin's order from the groups' 'index'
        r = ivp_h5.load(path)
        self.assertEqual(r.event_names, lf.OSC3_EVENTS)
        self.assertEqual((r.status, r.message), (ref.status, ref.message))
        self.assertEqual(r.status, 1)  # the first apex stops it
        self.assert_events_like_scipy(r, ref, 1e-8, 1e-10)
        self.assertEqual(r.event_info["apex"], {"index": 2, "direction": 0, "terminal": 1})
        self.assertEqual(r.event_info["half"]["direction"], 1)
        self.assertEqual(r.names, ["x", "v"])
        self.assertTrue(np.all(np.diff(r.t) < 0))
        self.assert_close(r.t, ref.t, 1e-8, 1e-10, "t")
        self.assert_close(r.y, ref.y, 1e-8, 1e-10, "y")
        t_end = r.t[-1]
        self.assertGreater(t_end, 0)
        self.assertEqual(r.t_events[0].shape, (0,))  # no zero crossing: shaped as scipy's
        self.assertEqual(r.y_events[0].shape, (0,))
        self.assertGreater(r.t_events[1].size, 0)
        tq = np.linspace(10, t_end, 201)
        self.assert_close(r.sol(tq), ref.sol(tq), 1e-8, 1e-10, "backward sol(t)")
        span = 10 - t_end
        np.testing.assert_allclose(r.sol(tq), lf.osc3_exact(tq), rtol=0,
                                   atol=1000 * (1e-8 + 1e-10) * span)
        self.assertEqual(r.sol.t_min, t_end)
        self.assertEqual(r.sol.t_max, 10.0)
        np.testing.assert_allclose(r.y_events[1][:, 0], 0.5, atol=1e-9)  # half: x = 1/2
        np.testing.assert_allclose(r.y_events[2][:, 1], 0, atol=1e-8)  # apex: v = 0

    def test_params_from_dataset_first(self):
        path = lf.run_ivp(lf.osc3_spec(params={"omega": 3}), self.out("osc3_params"))
        r = ivp_h5.load(path)  # format 1.1: /params, /y0, /t_span, /y names
        self.assertEqual(r.params, {"omega": 3})
        self.assertEqual(r.names, ["x", "v"])
        np.testing.assert_array_equal(r.y0, [1, 0])
        np.testing.assert_array_equal(r.t_span, [0, 10])
        lf.strip_1_1(path)
        self.assertEqual(ivp_h5.load(path).params, {"omega": 3})  # from the 'problem' JSON
        self.assertIsNone(ivp_h5.load(path).names)
        lf.add_1_1(path, lf.OSC3_EVENTS, ["omega"], param_values=[3.5])
        self.assertEqual(ivp_h5.load(path).params, {"omega": 3.5})  # /params wins

    def test_failed_solve_status(self):
        spec = {"plugin": lf.plugin("vanderpol"), "t_span": [0, 20], "y0": [2, 0],
                "params": {"mu": 1}, "max_steps": 5}
        r = ivp_h5.load(lf.run_ivp(spec, self.out("vdp_fail"), expect_rc=1))
        self.assertEqual((r.status, r.success), (-1, False))
        self.assertTrue(r.message)
        self.assertEqual(r.n_steps, 5)
        self.assertEqual(r.t.size, 6)

    def test_wrong_format_is_a_clear_error(self):
        path = self.out("plain")
        with h5py.File(path, "w") as f:
            f["t"] = np.zeros(2)
        with self.assertRaisesRegex(ValueError, "format is '', expected 'ivp-hdf5'"):
            ivp_h5.load(path)
        ens = lf.build_ensemble([lf.run_ivp(lf.osc3_spec(), self.out("m0"))], self.out("e"),
                                lf.OSC3_EVENTS, ["omega"])
        with self.assertRaisesRegex(ValueError, "use ivp_h5.load_ensemble"):
            ivp_h5.load(ens)

    # --- ensembles ------------------------------------------------------------------------

    def ensemble_members(self, t_eval):
        files = []
        for k, omega in enumerate([1.0, 2.0, 3.0]):
            extra = {"t_eval": t_eval} if t_eval is not None else {}
            files.append(lf.run_ivp(lf.osc3_spec(params={"omega": omega}, **extra),
                                    self.out(f"member{k}")))
        return files

    def check_ensemble(self, ens, files, stacked):
        self.assertEqual(ens.n_members, 3)
        self.assertEqual(len(ens), 3)
        self.assertEqual(ens.stacked, stacked)
        np.testing.assert_array_equal(ens.params["omega"], [1, 2, 3])
        np.testing.assert_array_equal(ens.status, [0, 0, 0])
        self.assertEqual(ens.event_names, lf.OSC3_EVENTS)
        self.assertEqual(ens.y0.shape, (3, 2))
        for k, path in enumerate(files):
            single, member = ivp_h5.load(path), ens.member(k)
            np.testing.assert_array_equal(member.t, single.t)
            np.testing.assert_array_equal(member.y, single.y)
            if stacked:
                np.testing.assert_array_equal(ens.y[k], single.y)
            else:
                np.testing.assert_array_equal(ens.t[k], single.t)
            self.assertEqual(member.event_names, lf.OSC3_EVENTS)
            for a, b in zip(member.t_events, single.t_events):
                np.testing.assert_array_equal(a, b)
            for a, b in zip(member.y_events, single.y_events):
                np.testing.assert_array_equal(a, b)
            tq = np.linspace(0, 10, 57)
            np.testing.assert_array_equal(member.sol(tq), single.sol(tq))
            omega = k + 1.0
            np.testing.assert_allclose(member.sol(tq), lf.osc3_exact(tq, omega), rtol=0,
                                       atol=1000 * (1e-8 + 1e-10) * 10 * omega)
            for key in ("status", "message", "nfev", "njev", "nlu", "n_steps", "n_rejected"):
                self.assertEqual(member[key], single[key], key)
            self.assertEqual(member.params, {"omega": omega})
            self.assertEqual(member.overrides, {"params.omega": omega})
            self.assertEqual(ens.message[k], single.message)
        self.assertEqual([m.status for m in ens], [0, 0, 0])

    def test_ensemble_stacked(self):
        files = self.ensemble_members({"linspace": [0, 10, 11]})
        ens = ivp_h5.load_ensemble(lf.build_ensemble(files, self.out("ens"), lf.OSC3_EVENTS,
                                                     ["omega"]))
        self.assertEqual(ens.y.shape, (3, 2, 11))
        self.assertEqual(ens.t.shape, (11,))
        self.check_ensemble(ens, files, stacked=True)

    def test_real_ensemble_and_shard_events_like_scipy(self):
        """An ensemble as `ivp run` writes it, and a shard of it: the events in the plugin's
        order (zero, half, apex: not alphabetical) with their options, each member's events
        as scipy's solve_ivp gives them; a shard's member(k) is ivp's member
        member_offset + k, with that member's events."""
        # (no terminal event at t0: osc3's apex, y1 = 0, is one there)
        ev = {"zero": {"direction": -1}, "half": {"direction": 1, "terminal": True}}
        omegas = [1.0, 2.0, 3.0]
        spec = lf.osc3_spec(events=ev, ensemble={"grid": {"params.omega": omegas}})
        path = lf.run_ivp(spec, self.out("real"))
        ens = ivp_h5.load_ensemble(path)
        self.assertEqual(ens.event_names, lf.OSC3_EVENTS)
        self.assertEqual(ens.member_offset, 0)
        self.assertEqual(ens.event_info, {"zero": {"index": 0, "direction": -1, "terminal": 0},
                                          "half": {"index": 1, "direction": 1, "terminal": 1},
                                          "apex": {"index": 2, "direction": 0, "terminal": 0}})
        for k, omega in enumerate(omegas):
            m = ens.member(k)
            self.assertEqual(m.member, k)
            self.assertEqual(m.event_names, lf.OSC3_EVENTS)
            ref = solve_ivp(osc3_rhs(omega), (0, 10), [1, 0], rtol=1e-8, atol=1e-10,
                            events=osc3_events(ev))
            self.assertEqual((m.status, m.message), (ref.status, ref.message))
            self.assertEqual(m.status, 1)  # the first upward half stops it
            self.assert_events_like_scipy(m, ref, 1e-8, 1e-10)
            self.assertEqual([te.size for te in m.t_events], [1, 1, 2])
        # shard 1/2 holds members 1 and 2
        shard = self.out("shard")
        spec_path = shard[:-3] + ".json"
        with open(spec_path, "w") as f:
            json.dump(spec, f)
        p = subprocess.run([lf.IVP, "run", spec_path, "-q", "--shard", "1/2", "-o", shard],
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)
        part = ivp_h5.load_ensemble(shard)
        self.assertEqual(part.n_members, 2)
        self.assertEqual(part.member_offset, 1)
        self.assertEqual(part.event_names, lf.OSC3_EVENTS)
        for k in range(2):
            m, whole = part.member(k), ens.member(k + 1)
            self.assertEqual(m.member, k + 1)
            self.assertEqual(m.params, {"omega": omegas[k + 1]})
            self.assertEqual(len(m.t_events), 3)
            for a, b in zip(m.t_events + m.y_events, whole.t_events + whole.y_events):
                np.testing.assert_array_equal(a, b)
            self.assertGreater(sum(te.size for te in m.t_events), 0)

    def test_ensemble_ragged_fixed_strings(self):
        files = self.ensemble_members(None)
        ens = ivp_h5.load_ensemble(lf.build_ensemble(files, self.out("ens"), lf.OSC3_EVENTS,
                                                     ["omega"], fixed_strings=True))
        self.assertIsInstance(ens.t, list)
        self.check_ensemble(ens, files, stacked=False)
        with self.assertRaisesRegex(IndexError, "member 3 out of range"):
            ens.member(3)
        with self.assertRaisesRegex(ValueError, "use ivp_h5.load\\)"):
            ivp_h5.load_ensemble(files[0])


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
