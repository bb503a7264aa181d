# SPDX-License-Identifier: MIT
"""tests/cli/test_stiff_warning.py - `ivp run`'s stiffness warning.

An explicit method on a stiff problem (Van der Pol, mu = 1000, over [0, 3]: the steps are held
at the stability boundary from the start) prints exactly one line
"ivp: warning: looks stiff near t = T; try BDF, Radau or LSODA" on stderr, with T the start of
an accepted step at or after the 1014th (the test runs from the 1000th step and needs 15 hits);
--quiet suppresses it; the written data are the same with and without it; a non-stiff run
(mu = 1) and the implicit methods never warn.

Environment (from ivp_add_python_test): IVP_BIN, IVP_SOURCE_DIR, IVP_CACHE_DIR.
"""

import json
import os
import re
import subprocess
import tempfile
import unittest

import h5py
import numpy as np

IVP = os.environ.get("IVP_BIN", "ivp")
SOURCE_DIR = os.environ.get("IVP_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
WARNING_RE = re.compile(
    r"^ivp: warning: looks stiff near t = (?P<t>[-+0-9.eE]+); try BDF, Radau or LSODA$")


def run(args, cwd):
    return subprocess.run([IVP] + list(args), cwd=cwd, capture_output=True, text=True,
                          timeout=300)


class StiffWarning(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def spec(self, mu, method, t_end=3.0):
        path = os.path.join(self.dir, "vdp_%g_%s.json" % (mu, method))
        with open(path, "w") as f:
            json.dump({"plugin": os.path.join(SOURCE_DIR, "plugins", "vanderpol.c"),
                       "t_span": [0, t_end], "y0": [2, 0], "params": {"mu": mu},
                       "method": method}, f)
        return path

    def warnings(self, stderr):
        return [line for line in stderr.splitlines() if "looks stiff" in line]

    def test_stiff_explicit_runs_warn_once(self):
        for method in ("RK23", "RK45", "DOP853"):
            with self.subTest(method=method):
                spec = self.spec(1000, method)
                out = os.path.join(self.dir, method + ".h5")
                r = run(["run", spec, "-o", out], self.dir)
                self.assertEqual(r.returncode, 0, r.stderr)
                lines = self.warnings(r.stderr)
                self.assertEqual(len(lines), 1, r.stderr)
                m = WARNING_RE.match(lines[0])
                self.assertIsNotNone(m, lines[0])
                t_warn = float(m.group("t"))
                # the warning comes before the summary line (during the solve)
                self.assertLess(r.stderr.index("looks stiff"), r.stderr.index("ivp: " + method))
                with h5py.File(out, "r") as f:
                    t = f["t"][()]
                # T (6 digits) is the start of a step, the 1014th or a little later
                k = int(np.argmin(np.abs(t - t_warn)))
                self.assertLessEqual(abs(t[k] - t_warn), 1e-5 * abs(t[k]))
                self.assertGreaterEqual(k, 1013)
                self.assertLessEqual(k, 1013 + 40)

                # --quiet: no warning, and the same data
                outq = os.path.join(self.dir, method + "-q.h5")
                rq = run(["run", spec, "-o", outq, "--quiet"], self.dir)
                self.assertEqual(rq.returncode, 0, rq.stderr)
                self.assertEqual(rq.stderr, "")
                with h5py.File(out, "r") as f, h5py.File(outq, "r") as g:
                    self.assertTrue(np.array_equal(f["t"][()], g["t"][()]))
                    self.assertTrue(np.array_equal(f["y"][()], g["y"][()]))
                    for a in ("nfev", "n_steps", "status"):
                        if a in f.attrs:
                            self.assertEqual(f.attrs[a], g.attrs[a])

    def test_nonstiff_and_implicit_runs_do_not_warn(self):
        cases = [(1, m, 3000.0) for m in ("RK23", "RK45", "DOP853")]  # thousands of steps
        cases += [(1000, m, 3.0) for m in ("Radau", "BDF", "LSODA")]
        for mu, method, t_end in cases:
            with self.subTest(mu=mu, method=method):
                spec = self.spec(mu, method, t_end)
                out = os.path.join(self.dir, "%s-%g.h5" % (method, mu))
                r = run(["run", spec, "-o", out], self.dir)
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertEqual(self.warnings(r.stderr), [], r.stderr)
                if mu == 1:
                    with h5py.File(out, "r") as f:
                        self.assertGreater(len(f["t"]), 2000)  # the test ran


if __name__ == "__main__":
    unittest.main()
