# SPDX-License-Identifier: MIT
"""tests/failures/test_failures.py - how the implicit methods (Radau, BDF, LSODA) fail.

The issue's failure-path requirements: a singular iteration matrix, Newton failing down to the
minimum step, repeated error-test failures and a recoverable rhs failure that persists each
end with status -1 and a message saying what failed at which t, the file holding everything
up to there; a sparsity entry out of range, or "jac": "plugin" / "jac_sparsity": "plugin"
with nothing of the kind in the plugin, is a spec error.

Every failed run is checked the same way (FailureCase.run_failure):
  - exit code 1, the error line on stderr carrying the file's message;
  - the output file exists, REPLACES an earlier file of that name, and is the only file in
    its folder (no temporary file left behind);
  - status -1, success 0, the method, a message naming the cause, with 'at t = <t>' parsed
    and compared with the point where the plugin provokes the failure;
  - /t non-empty, starting at t0, strictly increasing, ending at the last accepted step
    (which is the end of the dense output, also written) before the failure point;
    n_steps = len(/t) - 1 = number of dense segments; /y finite, shape (n, len(/t)).
Spec errors: exit 2, the JSON path on stderr, no output file, an existing one untouched (a
plugin whose own jac_sparsity is out of range: exit 3, the same way).

Plugins (tests/failures/plugins, built as MODULE libraries): singular.c, blowup.c, relay.c,
jump.c, rhsfail.c; each file says what it provokes and why.

Every spec is checked against schemas/problem.schema.json first (the out-of-range and
missing-Jacobian specs satisfy it: only ivp can tell, with n and the plugin at hand).

Environment (from ivp_add_python_test): IVP_BIN, IVP_SOURCE_DIR. Argument: --plugin-dir (the
built plugins).
"""

import argparse
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import unittest

import h5py
import jsonschema
import numpy as np

IVP = os.environ.get("IVP_BIN", "ivp")
SOURCE_DIR = os.environ.get("IVP_SOURCE_DIR",
                            os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
PLUGIN_DIR = None  # set in main()
SCHEMA = None  # the problem.schema.json validator, set in main()
METHODS = ["Radau", "BDF", "LSODA"]
PRECIOUS = b"an earlier result, to be replaced by the failed run's file\n"
HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
TIMEOUT = 30  # seconds per run; every run here takes milliseconds

# 'at t = <%.17g>' as every failure message writes it, and '(h = <%.3g>)' where given.
T_RE = re.compile(r"\bat t = ([-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|inf|nan))")
H_RE = re.compile(r"\(h = ([-+]?\d+\.?\d*(?:[eE][-+]?\d+)?)\)")


def plugin(name):
    return os.path.join(PLUGIN_DIR, name + ".so")


class Failure:
    """What a failed run left: the message and the t (and h) parsed from it, the file."""

    def __init__(self, message, t_msg, h_msg, t, y, attrs, dense_x):
        self.message = message
        self.t_msg = t_msg
        self.h_msg = h_msg
        self.t = t
        self.y = y
        self.attrs = attrs
        self.dense_x = dense_x


class FailureCase(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="ivp-failures-")
        self.specs = os.path.join(self._tmp.name, "specs")
        self.outdir = os.path.join(self._tmp.name, "out")
        os.mkdir(self.specs)
        os.mkdir(self.outdir)
        self.counter = 0

    def tearDown(self):
        self._tmp.cleanup()

    def write_spec(self, spec, schema_valid=True):
        """Writes a spec. Every spec here must satisfy schemas/problem.schema.json, except
        those whose error the schema can express (schema_valid False: it must reject them)."""
        errors = list(SCHEMA.iter_errors(spec))
        if schema_valid:
            self.assertEqual(errors, [], "spec fails the schema: %s" % spec)
        else:
            self.assertNotEqual(errors, [], "the schema accepts a bad spec: %s" % spec)
        self.counter += 1
        path = os.path.join(self.specs, "spec%d.json" % self.counter)
        with open(path, "w") as f:
            json.dump(spec, f, indent=2)
        return path

    def run_ivp(self, spec_path, out):
        try:
            return subprocess.run([IVP, "run", spec_path, "-o", out, "--quiet"],
                                  capture_output=True, text=True, timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            self.fail("ivp run did not finish within %d s: %s" % (TIMEOUT, spec_path))

    def run_failure(self, plugin_name, method, n, **spec):
        """Runs a spec that must fail (exit 1, status -1) over an existing output file and
        checks everything a failed run promises. Returns a Failure."""
        full = {"plugin": plugin(plugin_name), "method": method, "dense_output": True}
        full.update(spec)
        t0 = full["t_span"][0]
        spec_path = self.write_spec(full)
        # every run gets a fresh folder, so that a left-over temporary file is seen
        folder = os.path.join(self.outdir, "run%d" % self.counter)
        os.mkdir(folder)
        out = os.path.join(folder, "result.h5")
        with open(out, "wb") as f:
            f.write(PRECIOUS)
        where = "%s %s: %s" % (method, plugin_name, json.dumps(spec))
        p = self.run_ivp(spec_path, out)
        self.assertEqual(p.returncode, 1, "%s: exit %d, expected 1\nstderr: %s"
                         % (where, p.returncode, p.stderr))
        self.assertEqual(sorted(os.listdir(folder)), ["result.h5"],
                         "%s: files left in the output folder" % where)
        with open(out, "rb") as f:
            self.assertEqual(f.read(8), HDF5_SIGNATURE,
                             "%s: the earlier output file was not replaced" % where)
        with h5py.File(out, "r") as f:
            attrs = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in f.attrs.items()}
            t = f["t"][()]
            y = f["y"][()]
            dense_x = f["dense/x"][()] if "dense" in f else None
        msg = str(attrs["message"])
        where = "%s\nmessage: %s" % (where, msg)
        self.assertEqual(int(attrs["status"]), -1, where)
        self.assertEqual(int(attrs["success"]), 0, where)
        self.assertEqual(str(attrs["method"]), method, where)
        self.assertIn("ivp: error: ", p.stderr, where)
        self.assertIn(msg, p.stderr, where)
        # a method names itself once at most ("BDF: BDF: ..." is a garbled message)
        self.assertNotIn("%s: %s:" % (method, method), msg, where)
        # the file: everything up to the last accepted step
        self.assertGreaterEqual(len(t), 1, where)
        self.assertEqual(t[0], t0, where)
        self.assertTrue(np.all(np.diff(t) > 0), where)
        self.assertEqual(y.shape, (n, len(t)), where)
        self.assertTrue(np.all(np.isfinite(y)), where)
        self.assertIsNotNone(dense_x, "%s: no /dense although dense_output" % where)
        n_steps = int(attrs["n_steps"])
        if n_steps > 0:
            self.assertEqual(len(dense_x), n_steps + 1, where)
            self.assertEqual(dense_x[0], t0, where)
        else:
            # no segment: contracts.md's (m+1,) would be [t0]; an empty /dense/x is taken too
            self.assertLessEqual(len(dense_x), 1, where)
        if "t_eval" not in full:
            # every accepted step, t0 included; the dense output ends at the same place
            self.assertEqual(n_steps, len(t) - 1, where)
            if n_steps > 0:
                np.testing.assert_array_equal(dense_x, t, err_msg=where)
        # the t of the failure, as the message gives it
        m = T_RE.search(msg)
        self.assertIsNotNone(m, "%s: the message gives no 't = ...'" % where)
        t_msg = float(m.group(1))
        self.assertTrue(math.isfinite(t_msg), where)
        hm = H_RE.search(msg)
        h_msg = float(hm.group(1)) if hm else None
        return Failure(msg, t_msg, h_msg, t, y, attrs, dense_x)

    def assert_at_last_step(self, r, where=""):
        """The message's t is the start of the failed step, the last accepted point."""
        self.assertEqual(r.t_msg, r.t[-1], "%s\nmessage: %s\nlast /t: %.17g"
                         % (where, r.message, r.t[-1]))

    def assert_message(self, r, pattern, where=""):
        self.assertRegex(r.message, pattern, where)


# ---------------------------------------------------------------------------------------------
class TestSingularIterationMatrix(FailureCase):
    """singular.c: from t_s = 2 on the Jacobian is 1e300 [[1, 1], [1, 1]], which makes every
    iteration matrix exactly singular; the stiffness jump at t_s makes each method ask for it
    within a step or two. The LU's 'matrix is singular' must reach the message with the t of
    the failed step's start, the last accepted point; that step reaches past t_s (Radau
    evaluates J at the step start, so it starts at or after t_s; BDF at the predicted point,
    so the step may start before t_s; LSODA at the predicted point too)."""

    PARAMS = {"t_s": 2, "k": 1e6, "jac_code": 0, "bad_pattern": 0}

    def check(self, method, solver_re, **extra):
        r = self.run_failure("singular", method, 2, t_span=[0, 5], y0=[1, 0],
                             params=self.PARAMS, **extra)
        self.assert_message(r, r"^%s: " % method)
        self.assert_message(r, solver_re + r".*matrix is singular")
        self.assert_at_last_step(r, method)
        self.assertIsNotNone(r.h_msg, "%s: no '(h = ...)' in %s" % (method, r.message))
        self.assertLess(r.t_msg, 2.0 + 1e-3, r.message)
        self.assertGreaterEqual(r.t_msg + 1.001 * r.h_msg, 2.0, r.message)
        if method == "Radau":
            self.assertGreaterEqual(r.t_msg, 2.0, r.message)
        return r

    def test_dense_lu_reports_singular_matrix(self):
        for method in METHODS:
            with self.subTest(method=method):
                # n = 2: ivp's own dense LU for Radau/BDF, LAPACK for LSODA (lsoda.c)
                self.check(method, r"\bLU\b")

    def test_sparse_klu_reports_singular_matrix(self):
        for method in METHODS:
            with self.subTest(method=method):
                r = self.check(method, r"KLU", jac="plugin", jac_sparsity="plugin")
                self.assertGreater(int(r.attrs["njev"]), 0)

    def test_lsoda_names_the_iteration_matrix(self):
        r = self.check("LSODA", r"\bLU\b")
        self.assert_message(r, r"corrector convergence failed repeatedly")
        self.assert_message(r, r"iteration matrix I - h\*el0\*J is singular")


class TestJacobianFailure(FailureCase):
    """singular.c with jac_code: jac / jac_values return that code from t_s = 2 on."""

    def params(self, code):
        return {"t_s": 2, "k": 1e6, "jac_code": code, "bad_pattern": 0}

    def test_fatal_jac_names_function_code_and_t(self):
        for method in METHODS:
            for sparse in (False, True):
                with self.subTest(method=method, sparse=sparse):
                    extra = {"jac": "plugin", "jac_sparsity": "plugin"} if sparse else {}
                    fn = "jac_values" if sparse else "jac"
                    r = self.run_failure("singular", method, 2, t_span=[0, 5], y0=[1, 0],
                                         params=self.params(-3), **extra)
                    self.assert_message(r, r"\b%s returned -3 \(fatal\) at t = " % fn)
                    # the Jacobian fails only from t = 2 on; the file ends before that call
                    self.assertGreaterEqual(r.t_msg, 2.0, r.message)
                    self.assertLessEqual(r.t[-1], r.t_msg, r.message)

    def test_lsoda_recoverable_jac_that_persists(self):
        # Radau and BDF are not tested here: after a recoverable Jacobian failure they keep
        # the stale Jacobian and go on with small steps (millions of them for this problem),
        # rather than counting the failures towards the limit. LSODA gives up after 10.
        for sparse in (False, True):
            with self.subTest(sparse=sparse):
                extra = {"jac": "plugin", "jac_sparsity": "plugin"} if sparse else {}
                fn = "jac_values" if sparse else "jac"
                r = self.run_failure("singular", "LSODA", 2, t_span=[0, 5], y0=[1, 0],
                                     params=self.params(2), **extra)
                self.assert_message(r, r"^LSODA: %s returned 2 \(recoverable\) at t = " % fn)
                self.assertGreaterEqual(r.t_msg, 2.0, r.message)
                self.assertLess(r.t_msg, 2.0 + 1e-3, r.message)
                self.assertLessEqual(r.t[-1], r.t_msg, r.message)


    def test_recoverable_jac_with_newton_failing(self):
        # relay.c: Newton fails at every h once a step would cross y = 0 at t = 2, and jac
        # returns 2 (recoverable) from t = 1.5 on, so Radau and BDF retry the Jacobian at
        # every failure and give up; the message must blame jac, not the rhs (which never
        # failed). LSODA stays with Adams (no Jacobian) on this non-stiff problem.
        for method in ["Radau", "BDF"]:
            with self.subTest(method=method):
                r = self.run_failure("relay", method, 1, t_span=[0, 4], y0=[2],
                                     params={"t_jac": 1.5})
                self.assert_message(r, r"\bjac returned 2 \(recoverable\) at t = ")
                self.assertNotRegex(r.message, r"\brhs\b|dydt")
                self.assertGreaterEqual(r.t_msg, 1.5, r.message)
                if method == "Radau":
                    # Radau evaluates J at the start of the step
                    self.assertLess(r.t_msg, 2.0 + 1e-9, r.message)
                else:
                    # BDF evaluates J at the end of the attempted step (scipy: at the predicted
                    # y for t_new), at most one step past the last accepted one
                    self.assertGreater(r.t_msg, r.t[-1], r.message)
                    self.assertLess(r.t_msg, 2.0 + 0.05, r.message)
                self.assertLess(r.t[-1], 2.0 + 1e-9, r.message)


# ---------------------------------------------------------------------------------------------
class TestStepSizeCollapse(FailureCase):
    """The step size collapsing at a singularity: blowup.c (y' = y^2, blow-up at t = 1) and
    relay.c (y' = -sign y, Newton has no solution to converge to once a step would cross
    y = 0 at t = 2)."""

    SPACING_RE = r"spacing"

    def test_blowup_ends_below_the_spacing_of_t(self):
        for method in METHODS:
            with self.subTest(method=method):
                r = self.run_failure("blowup", method, 1, t_span=[0, 2], y0=[1],
                                     rtol=1e-6, atol=1e-9)
                self.assert_message(r, r"^%s: .*%s" % (method, self.SPACING_RE))
                self.assert_at_last_step(r, method)
                # the numerical blow-up is within the accumulated error of t = 1
                self.assertLess(abs(r.t_msg - 1.0), 1e-3, r.message)
                self.assertGreater(r.y[0, -1], 1e8, r.message)

    def test_blowup_stops_at_min_step(self):
        for method in METHODS:
            with self.subTest(method=method):
                r = self.run_failure("blowup", method, 1, t_span=[0, 2], y0=[1],
                                     rtol=1e-6, atol=1e-9, min_step=1e-4)
                self.assert_message(r, r"^%s: .*min_step 0\.0001\b" % method)
                self.assert_at_last_step(r, method)
                # h ~ (1 - t) near the blow-up: min_step is reached a few 1e-4 before t = 1
                self.assertLess(r.t_msg, 1.0, r.message)
                self.assertGreater(r.t_msg, 1.0 - 1e-2, r.message)
                if len(r.t) > 1:
                    self.assertGreaterEqual(np.min(np.diff(r.t)), 1e-4 * (1 - 1e-12))

    def test_relay_newton_failures_stop_at_min_step(self):
        for method in METHODS:
            with self.subTest(method=method):
                r = self.run_failure("relay", method, 1, t_span=[0, 4], y0=[2],
                                     params={"t_jac": 10}, min_step=1e-4)
                self.assert_message(r, r"^%s: .*min_step 0\.0001\b" % method)
                if method == "LSODA":
                    self.assert_message(r, r"corrector convergence failed")
                self.assert_at_last_step(r, method)
                # y reaches 0 at t = 2: the last accepted step is within a few min_step of it
                self.assertLessEqual(r.t_msg, 2.0, r.message)
                self.assertGreater(r.t_msg, 2.0 - 1e-2, r.message)
                np.testing.assert_allclose(r.y[0], 2.0 - r.t, rtol=0, atol=1e-12)

    def test_relay_bdf_newton_failures_reach_the_spacing_of_t(self):
        # BDF only: Radau and LSODA find step sequences that chatter along y = 0 past t = 2
        # (a legitimate sliding solution of the relay), taking tens of millions of steps
        # instead of failing; so they are tested with min_step only (above).
        r = self.run_failure("relay", "BDF", 1, t_span=[0, 4], y0=[2], params={"t_jac": 10})
        self.assert_message(r, r"^BDF: .*%s" % self.SPACING_RE)
        self.assert_at_last_step(r, "BDF")
        self.assertLess(abs(r.t_msg - 2.0), 1e-9, r.message)


class TestErrorTestFailures(FailureCase):
    """jump.c: y' jumps from 0 to a at t_j; no step across the jump passes the error test."""

    def test_jump_stops_at_min_step(self):
        for method in METHODS:
            with self.subTest(method=method):
                r = self.run_failure("jump", method, 1, t_span=[0, 4], y0=[0],
                                     params={"t_j": 2, "a": 1e3, "p": 0}, min_step=1e-4)
                self.assert_message(r, r"^%s: .*min_step 0\.0001\b" % method)
                if method == "LSODA":
                    self.assert_message(r, r"error test failed")
                self.assert_at_last_step(r, method)
                self.assertLessEqual(r.t_msg, 2.0, r.message)
                self.assertGreater(r.t_msg, 2.0 - 1e-2, r.message)
                np.testing.assert_array_equal(r.y[0], 0.0)

    def test_jump_ends_below_the_spacing_of_t(self):
        for method in METHODS:
            with self.subTest(method=method):
                r = self.run_failure("jump", method, 1, t_span=[0, 4], y0=[0],
                                     params={"t_j": 2, "a": 1e12, "p": 0})
                self.assert_message(r, r"^%s: .*spacing" % method)
                self.assert_at_last_step(r, method)
                self.assertLessEqual(r.t_msg, 2.0, r.message)
                self.assertGreater(r.t_msg, 2.0 - 1e-9, r.message)
                np.testing.assert_array_equal(r.y[0], 0.0)

    def test_jump_at_t0_ends_below_the_spacing_of_t(self):
        # y' = 0 at t0 = 2 and 1e300 just after it: the very first step cannot pass. (The
        # initial-step probe overflows here: its difference quotient is inf, so scipy's
        # formula gives h = 0, which must not be taken for an rhs failure.)
        for method in METHODS:
            with self.subTest(method=method):
                r = self.run_failure("jump", method, 1, t_span=[2, 4], y0=[0],
                                     params={"t_j": 2, "a": 1e300, "p": 0})
                self.assert_message(r, r"^%s: .*spacing" % method)
                self.assertEqual(r.t_msg, 2.0, r.message)
                np.testing.assert_array_equal(r.t, [2.0])

    def test_error_growing_as_h_shrinks_at_t0(self):
        # y' = 1/t^2 after t0 = 0: the error of a step of size h grows like 1/h. Radau and
        # BDF cut h until it falls below their minimum step (spacing near t = 0 allows
        # h ~ 1e-323); the failure must say so, not come from somewhere else (e.g. MU/h
        # overflowing in the iteration matrix).
        for method in ["Radau", "BDF"]:
            with self.subTest(method=method):
                r = self.run_failure("jump", method, 1, t_span=[0, 4], y0=[0],
                                     params={"t_j": 0, "a": 1, "p": 2})
                self.assert_message(r, r"step size")
                self.assertLess(r.t_msg, 1e-300, r.message)
                np.testing.assert_array_equal(r.t, [0.0])

    def test_lsoda_error_test_fails_repeatedly(self):
        # LSODA gives up after 10 error-test failures on one step (ODEPACK's MXERR). Radau
        # and BDF have no such count: they cut h until it falls below min_step or the
        # spacing of t (tested above).
        r = self.run_failure("jump", "LSODA", 1, t_span=[0, 4], y0=[0],
                             params={"t_j": 0, "a": 1, "p": 2})
        self.assert_message(r, r"^LSODA: error test failed repeatedly at t = 0 ")
        self.assertEqual(r.t_msg, 0.0)
        np.testing.assert_array_equal(r.t, [0.0])
        self.assertGreaterEqual(int(r.attrs["n_rejected"]), 10)


# ---------------------------------------------------------------------------------------------
class TestRhsFailurePersists(FailureCase):
    """rhsfail.c: the rhs fails for every t > 2."""

    def run_rhs(self, method, code, **extra):
        return self.run_failure("rhsfail", method, 2, t_span=[0, 5], y0=[1, 0],
                                params={"t_f": 2, "code": code}, **extra)

    def check_t(self, r):
        # the message gives the t of the failing rhs call, just after 2; the file ends at
        # or before 2 (no step ending after 2 can be accepted)
        self.assertGreater(r.t_msg, 2.0, r.message)
        self.assertLess(r.t_msg, 2.0 + 1e-2, r.message)
        self.assertLessEqual(r.t[-1], 2.0, r.message)
        self.assertGreater(r.t[-1], 1.5, r.message)
        # the oscillator up to there
        np.testing.assert_allclose(r.y[0], np.cos(r.t), rtol=0, atol=5e-2)

    def test_recoverable_code_persists(self):
        for method in METHODS:
            with self.subTest(method=method):
                r = self.run_rhs(method, 3)
                self.assert_message(r, r"\brhs returned 3 \(recoverable\) at t = ")
                self.check_t(r)

    def test_nan_persists(self):
        for method in METHODS:
            with self.subTest(method=method):
                r = self.run_rhs(method, 0)
                self.assert_message(r, r"\bdydt\[1\] is not finite at t = ")
                self.check_t(r)

    def test_fatal_code(self):
        for method in METHODS:
            with self.subTest(method=method):
                r = self.run_rhs(method, -4)
                self.assert_message(r, r"\brhs returned -4 \(fatal\) at t = ")
                # the first call after t = 2 stops the solve: a stage of the step that
                # starts at the last accepted point (steps of this problem are < 0.5)
                self.assertGreater(r.t_msg, 2.0, r.message)
                self.assertLessEqual(r.t[-1], 2.0, r.message)
                self.assertLess(r.t_msg - r.t[-1], 0.5, r.message)
                np.testing.assert_allclose(r.y[0], np.cos(r.t), rtol=0, atol=5e-2)

    def test_t_eval_points_up_to_the_last_step(self):
        t_eval = np.linspace(0, 5, 51)
        for method in METHODS:
            with self.subTest(method=method):
                r = self.run_rhs(method, 3, t_eval=t_eval.tolist())
                self.assert_message(r, r"\brhs returned 3 \(recoverable\) at t = ")
                # /t: the t_eval points reached; /dense/x: the accepted steps
                last = r.dense_x[-1]
                np.testing.assert_array_equal(r.t, t_eval[t_eval <= last])
                self.assertEqual(int(r.attrs["n_steps"]), len(r.dense_x) - 1)
                self.assertLessEqual(last, 2.0)
                self.assertGreater(r.t_msg, 2.0)


# ---------------------------------------------------------------------------------------------
class TestSpecErrors(FailureCase):
    """Jacobian options the plugin cannot serve, or out-of-range patterns: nothing is solved or
    written; exit 2 (spec) or 3 (the plugin's own pattern is wrong)."""

    def run_rejected(self, spec, code, *fragments, schema_valid=True):
        for method in METHODS:
            for existing in (False, True):
                with self.subTest(method=method, existing=existing):
                    full = dict(spec, method=method)
                    spec_path = self.write_spec(full, schema_valid)
                    folder = os.path.join(self.outdir, "run%d" % self.counter)
                    os.mkdir(folder)
                    out = os.path.join(folder, "result.h5")
                    if existing:
                        with open(out, "wb") as f:
                            f.write(PRECIOUS)
                    p = self.run_ivp(spec_path, out)
                    self.assertEqual(p.returncode, code, "exit %d\nstderr: %s"
                                     % (p.returncode, p.stderr))
                    self.assertIn("ivp: error: ", p.stderr)
                    for frag in fragments:
                        self.assertIn(frag, p.stderr)
                    if existing:
                        self.assertEqual(os.listdir(folder), ["result.h5"])
                        with open(out, "rb") as f:
                            self.assertEqual(f.read(), PRECIOUS)
                    else:
                        self.assertEqual(os.listdir(folder), [])

    def base(self, name="rhsfail", **over):
        spec = {"plugin": plugin(name), "t_span": [0, 5], "y0": [1, 0]}
        if name == "rhsfail":
            spec["params"] = {"t_f": 2, "code": 1}
        else:
            spec["params"] = {"t_s": 2, "k": 1, "jac_code": 0, "bad_pattern": 0}
        spec.update(over)
        return spec

    def test_sparsity_row_out_of_range(self):
        self.run_rejected(self.base(jac_sparsity={"rows": [0, 2], "cols": [0, 1]}), 2,
                          "$.jac_sparsity.rows[1]", "got 2")

    def test_sparsity_col_out_of_range(self):
        self.run_rejected(self.base(jac_sparsity={"rows": [0, 1], "cols": [0, 5]}), 2,
                          "$.jac_sparsity.cols[1]", "got 5")

    def test_sparsity_negative_entry(self):
        self.run_rejected(self.base(jac_sparsity={"rows": [0, -1], "cols": [0, 1]}), 2,
                          "$.jac_sparsity.rows[1]", schema_valid=False)

    def test_jac_plugin_without_jacobian(self):
        self.run_rejected(self.base(jac="plugin"), 2, "$.jac", "'jac'", "'jac_values'")

    def test_jac_sparsity_plugin_without_pattern(self):
        self.run_rejected(self.base(jac_sparsity="plugin"), 2, "$.jac_sparsity",
                          "'jac_sparsity'")

    def test_plugin_pattern_out_of_range(self):
        # The plugin's own jac_sparsity answers (1, 2) for n = 2: a plugin error (exit 3),
        # naming the entry.
        spec = self.base("singular", jac_sparsity="plugin")
        spec["params"]["bad_pattern"] = 1
        self.run_rejected(spec, 3, "jac_sparsity", "entry 3", "(row 1, col 2)", "out of range")


def schema_validator():
    with open(os.path.join(SOURCE_DIR, "schemas", "problem.schema.json")) as f:
        schema = json.load(f)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def main():
    global PLUGIN_DIR, SCHEMA
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--plugin-dir", required=True, help="folder of the built test plugins")
    args, rest = ap.parse_known_args()
    PLUGIN_DIR = os.path.abspath(args.plugin_dir)
    SCHEMA = schema_validator()
    for name in ["singular", "blowup", "relay", "jump", "rhsfail"]:
        if not os.path.exists(plugin(name)):
            sys.exit("FAILED: test plugin %s is not built" % plugin(name))
    if not os.access(IVP, os.X_OK):
        sys.exit("FAILED: IVP_BIN=%s is not an executable" % IVP)
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)


if __name__ == "__main__":
    main()
