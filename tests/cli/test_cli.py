# SPDX-License-Identifier: MIT
"""tests/cli/test_cli.py - the ivp program as a user runs it (contracts.md section 4).

Every exit code with its file outcome: 0 (status 0 or 1, file written), 1 (solver failure, file
written with status -1), 2 (usage or spec error, nothing written, an existing output untouched),
3 (plugin error, nothing written), 4 (the plugin crashed or called exit(), nothing written, no
temporary file left), 130 (SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGXCPU, SIGPIPE: partial
file with status -2); outputs that are not regular files, '-' and NAME_MAX names. Also
--help/--version, stdin specs, --set/--method/-o/--quiet, validate, build, the summary line and
the progress line on a terminal.

Environment (from ivp_add_python_test): IVP_BIN, IVP_SOURCE_DIR, IVP_BUILD_DIR, IVP_CACHE_DIR.
Arguments: --slow, --failing, --norhs, --crash (prebuilt MODULE plugins), --osc-source (plugin
source compiled on demand by ivp).
"""

import argparse
import ctypes
import json
import math
import os
import pty
import re
import select
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
import unittest

import h5py
import jsonschema
import numpy as np

IVP = os.environ.get("IVP_BIN", "ivp")
SOURCE_DIR = os.environ.get("IVP_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
PLUGINS = {}  # filled from the command line in main()
SCHEMA = None  # the problem.schema.json validator, set in main()

PRECIOUS = b"an earlier result that must survive a failed run\n"
METHODS = ["RK23", "RK45", "DOP853", "Radau", "BDF", "LSODA"]
SUMMARY_RE = re.compile(
    r"^ivp: (?P<method>\w+): (?P<steps>\d+) steps \((?P<rejected>\d+) rejected\), "
    r"nfev (?P<nfev>\d+), njev (?P<njev>\d+), nlu (?P<nlu>\d+), (?P<secs>[0-9.eE+-]+) s, "
    r"status (?P<status>-?\d+) \((?P<message>.*)\) -> (?P<out>.+)\n$")


def ivp_version():
    with open(os.path.join(SOURCE_DIR, "core", "include", "ivp", "solve.h")) as f:
        return re.search(r'#define IVP_VERSION "([^"]+)"', f.read()).group(1)


def run(args, stdin=None, cwd=None, timeout=120):
    return subprocess.run([IVP] + list(args), input=stdin, cwd=cwd, capture_output=True,
                          text=True, timeout=timeout)


def text_attr(v):
    return v.decode() if isinstance(v, bytes) else str(v)


def schema_validator():
    with open(os.path.join(SOURCE_DIR, "schemas", "problem.schema.json")) as f:
        schema = json.load(f)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def osc_spec(**over):
    """The harmonic oscillator (omega = 2) over [0, 10], from the .c source."""
    spec = {"plugin": PLUGINS["osc"], "t_span": [0, 10], "y0": [1, 0], "params": {"omega": 2},
            "rtol": 1e-8, "atol": 1e-10}
    spec.update(over)
    return spec


class CliCase(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="ivp-cli-")
        self.tmp = self._tmp.name
        self.specs = os.path.join(self.tmp, "specs")   # spec files live apart from the outputs
        self.outdir = os.path.join(self.tmp, "out")
        os.mkdir(self.specs)
        os.mkdir(self.outdir)

    def tearDown(self):
        self._tmp.cleanup()

    def write_spec(self, spec, name="problem.json", schema=None):
        """Writes a spec; schema True/False asserts that the schema accepts/rejects it (every
        spec that ivp accepts must satisfy the schema; errors the schema cannot express, like a
        wrong y0 length for the plugin, pass None)."""
        if schema is not None:
            errors = list(SCHEMA.iter_errors(spec))
            if schema:
                self.assertEqual(errors, [], f"spec fails the schema: {spec}")
            else:
                self.assertNotEqual(errors, [], f"the schema accepts a bad spec: {spec}")
        path = os.path.join(self.specs, name)
        with open(path, "w") as f:
            f.write(spec if isinstance(spec, str) else json.dumps(spec, indent=2))
        return path

    def out(self, name="out.h5"):
        return os.path.join(self.outdir, name)

    def assert_exit(self, proc, code):
        self.assertEqual(proc.returncode, code,
                         f"exit {proc.returncode}, expected {code}\nstdout: {proc.stdout}\n"
                         f"stderr: {proc.stderr}")

    def assert_error_line(self, proc, *fragments):
        """A non-zero exit prints 'ivp: error: ...' on stderr, naming each fragment."""
        self.assertIn("ivp: error: ", proc.stderr)
        for frag in fragments:
            self.assertIn(frag, proc.stderr)

    def assert_only_files(self, folder, names):
        self.assertEqual(sorted(os.listdir(folder)), sorted(names),
                         f"unexpected files in {folder}")


# ---------------------------------------------------------------------------------------------
class TestHelp(CliCase):
    def test_top_level_help_goes_to_stdout(self):
        for flag in ["--help", "-h"]:
            p = run([flag])
            self.assert_exit(p, 0)
            self.assertEqual(p.stderr, "")
            self.assertTrue(p.stdout.startswith("usage: ivp"))
            for cmd in ["run", "validate", "build"]:
                self.assertRegex(p.stdout, rf"\n  {cmd} +\S")

    def test_every_subcommand_has_help(self):
        for cmd in ["run", "validate", "build"]:
            for flag in ["--help", "-h"]:
                p = run([cmd, flag])
                self.assert_exit(p, 0)
                self.assertEqual(p.stderr, "")
                self.assertTrue(p.stdout.startswith(f"usage: ivp {cmd} "), p.stdout)
        self.assertIn("--set KEY=VALUE", run(["run", "--help"]).stdout)
        self.assertIn("--method M", run(["run", "--help"]).stdout)
        self.assertIn("-o", run(["build", "--help"]).stdout)

    def test_help_after_other_arguments(self):
        p = run(["run", "x.json", "--help"])
        self.assert_exit(p, 0)
        self.assertTrue(p.stdout.startswith("usage: ivp run "))

    def test_version(self):
        p = run(["--version"])
        self.assert_exit(p, 0)
        self.assertEqual(p.stdout, f"ivp {ivp_version()} (plugin ABI 1)\n")
        self.assertEqual(p.stderr, "")

    def test_no_command_is_usage_error(self):
        p = run([])
        self.assert_exit(p, 2)
        self.assertEqual(p.stdout, "")
        self.assertIn("usage: ivp", p.stderr)

    def test_unknown_command_and_option(self):
        p = run(["frobnicate"])
        self.assert_exit(p, 2)
        self.assert_error_line(p, "frobnicate")
        self.assertIn("usage: ivp", p.stderr)
        p = run(["--frobnicate"])
        self.assert_exit(p, 2)
        self.assert_error_line(p, "--frobnicate")


# ---------------------------------------------------------------------------------------------
class TestRunSuccess(CliCase):
    def check_osc_file(self, path, omega=2.0, t_end=10.0, method="RK45"):
        with h5py.File(path, "r") as f:
            a = f.attrs
            self.assertEqual(text_attr(a["format"]), "ivp-hdf5")
            self.assertEqual(int(a["status"]), 0)
            self.assertEqual(int(a["success"]), 1)
            self.assertEqual(text_attr(a["method"]), method)
            self.assertNotIn("n_switches", a)   # LSODA's counters only for LSODA
            self.assertEqual(len(text_attr(a["plugin_sha256"])), 64)
            t, y = f["t"][()], f["y"][()]
            n_steps = int(a["n_steps"])
            self.assertGreater(n_steps, 5)
            self.assertEqual(t.shape, (n_steps + 1,))      # t0 and every accepted step
            self.assertEqual(y.shape, (2, n_steps + 1))    # (n, N), as scipy's sol.y
            self.assertEqual(t[0], 0.0)
            self.assertAlmostEqual(t[-1], t_end, places=12)
            self.assertTrue(np.all(np.diff(t) > 0))
            np.testing.assert_allclose(y[0], np.cos(omega * t), rtol=0, atol=1e-5)
            np.testing.assert_allclose(y[1], -omega * np.sin(omega * t), rtol=0, atol=1e-5)
            return dict(a), json.loads(text_attr(a["problem"]))

    def test_normal_run_writes_file_and_summary(self):
        spec = self.write_spec(osc_spec(), schema=True)
        out = self.out()
        p = run(["run", spec, "-o", out])
        self.assert_exit(p, 0)
        self.assertEqual(p.stdout, "")
        attrs, problem = self.check_osc_file(out)
        self.assertEqual(problem["params"], {"omega": 2})
        # The one-line summary, with the counters that went into the file.
        m = SUMMARY_RE.match(p.stderr)
        self.assertIsNotNone(m, f"summary line: {p.stderr!r}")
        self.assertEqual(m["method"], "RK45")
        self.assertEqual(int(m["steps"]), int(attrs["n_steps"]))
        self.assertEqual(int(m["rejected"]), int(attrs["n_rejected"]))
        self.assertEqual(int(m["nfev"]), int(attrs["nfev"]))
        self.assertEqual(int(m["njev"]), 0)
        self.assertEqual(int(m["nlu"]), 0)
        self.assertEqual(int(m["status"]), 0)
        self.assertEqual(m["message"], text_attr(attrs["message"]))
        self.assertEqual(m["out"], out)
        self.assertAlmostEqual(float(m["secs"]), float(attrs["solve_seconds"]),
                               delta=0.01 * float(attrs["solve_seconds"]) + 1e-12)
        self.assert_only_files(self.outdir, ["out.h5"])

    def test_terminal_event_is_success_with_status_1(self):
        spec = self.write_spec(osc_spec(events={"zero": {"terminal": True}}), schema=True)
        out = self.out()
        p = run(["run", spec, "-o", out])
        self.assert_exit(p, 0)
        m = SUMMARY_RE.match(p.stderr)
        self.assertIsNotNone(m, p.stderr)
        self.assertEqual(int(m["status"]), 1)
        with h5py.File(out, "r") as f:
            self.assertEqual(int(f.attrs["status"]), 1)
            self.assertEqual(int(f.attrs["success"]), 1)
            te = f["events/zero/t"][()]
            self.assertEqual(te.shape, (1,))
            self.assertAlmostEqual(te[0], math.pi / 4, places=7)   # cos(2t) = 0
            self.assertEqual(f["events/zero/y"].shape, (2, 1))
            self.assertAlmostEqual(f["t"][-1], math.pi / 4, places=7)
            # Unmentioned events are still detected and recorded: cos(2t) = 1/2 at pi/6.
            th = f["events/half/t"][()]
            self.assertEqual(th.shape, (1,))
            self.assertAlmostEqual(th[0], math.pi / 6, places=7)

    def test_quiet_success_prints_nothing(self):
        spec = self.write_spec(osc_spec(), schema=True)
        for flag in ["--quiet", "-q"]:
            out = self.out(f"quiet{flag}.h5")
            p = run(["run", flag, spec, "-o", out])
            self.assert_exit(p, 0)
            self.assertEqual(p.stderr, "")
            self.assertEqual(p.stdout, "")
            self.assertTrue(os.path.isfile(out))

    def test_default_output_is_spec_name_in_current_folder(self):
        spec = self.write_spec(osc_spec(), name="my.problem.json", schema=True)
        p = run(["run", spec], cwd=self.outdir)
        self.assert_exit(p, 0)
        self.assert_only_files(self.outdir, ["my.problem.h5"])
        self.assertTrue(p.stderr.rstrip().endswith("-> my.problem.h5"), p.stderr)
        self.check_osc_file(os.path.join(self.outdir, "my.problem.h5"))
        self.assert_only_files(self.specs, ["my.problem.json"])

    def test_spec_output_then_dash_o(self):
        spec = self.write_spec(osc_spec(output="from_spec.h5"), schema=True)
        p = run(["run", spec], cwd=self.outdir)
        self.assert_exit(p, 0)
        self.assert_only_files(self.outdir, ["from_spec.h5"])
        p = run(["run", spec, "-o", "from_cli.h5"], cwd=self.outdir)   # -o wins
        self.assert_exit(p, 0)
        self.assert_only_files(self.outdir, ["from_cli.h5", "from_spec.h5"])

    def test_spec_from_stdin_with_dash_o(self):
        # The plugin path of a spec from stdin is relative to the working directory.
        shutil.copy(PLUGINS["osc"], os.path.join(self.specs, "osc_copy.c"))
        text = json.dumps(osc_spec(plugin="osc_copy.c"))
        out = self.out()
        p = run(["run", "-", "-o", out], stdin=text, cwd=self.specs)
        self.assert_exit(p, 0)
        self.check_osc_file(out)

    def test_set_overrides_params_in_both_spellings(self):
        spec = self.write_spec(osc_spec(), schema=True)
        for args in (["--set", "params.omega=3"], ["--set=params.omega=3"]):
            out = self.out("set.h5")
            p = run(["run"] + args + [spec, "-o", out])   # options before SPEC, too
            self.assert_exit(p, 0)
            _, problem = self.check_osc_file(out, omega=3.0)
            self.assertEqual(problem["params"]["omega"], 3)

    def test_set_json_array_and_t_span(self):
        spec = self.write_spec(osc_spec(), schema=True)
        out = self.out()
        p = run(["run", spec, "--set", "t_span=[0,2]", "--set", "y0=[1, 0]", "-o", out])
        self.assert_exit(p, 0)
        self.check_osc_file(out, t_end=2.0)

    def test_method_option_overrides_spec_and_set(self):
        spec = self.write_spec(osc_spec(method="DOP853"), schema=True)
        out = self.out()
        p = run(["run", spec, "-o", out, "--method", "rk23", "--set", "method=DOP853",
                 "--rtol", "1e-9", "--atol=1e-11"])
        self.assert_exit(p, 0)
        attrs, problem = self.check_osc_file(out, method="RK23")
        self.assertEqual(SUMMARY_RE.match(p.stderr)["method"], "RK23")
        self.assertEqual(float(attrs["rtol"]), 1e-9)
        self.assertEqual(float(attrs["atol"]), 1e-11)
        self.assertEqual(problem["method"], "RK23")

    def test_output_replaces_an_existing_file(self):
        spec = self.write_spec(osc_spec(), schema=True)
        out = self.out()
        with open(out, "wb") as f:
            f.write(PRECIOUS)
        p = run(["run", spec, "-o", out])
        self.assert_exit(p, 0)
        self.check_osc_file(out)
        self.assert_only_files(self.outdir, ["out.h5"])

    def test_explicit_method_warns_about_jacobian_settings(self):
        spec = self.write_spec(osc_spec(jac="fd", lband=1, uband=1), schema=True)
        out = self.out()
        p = run(["run", spec, "-o", out])
        self.assert_exit(p, 0)
        lines = p.stderr.splitlines()
        self.assertEqual(len(lines), 2, p.stderr)
        self.assertTrue(lines[0].startswith("ivp: warning: "), lines[0])
        for word in ["jac", "lband", "uband", "RK45", "ignored"]:
            self.assertIn(word, lines[0])
        self.assertIsNotNone(SUMMARY_RE.match(lines[1] + "\n"))
        p = run(["run", spec, "-o", out, "--quiet"])
        self.assert_exit(p, 0)
        self.assertEqual(p.stderr, "")

    def test_implicit_methods_take_jacobian_settings_silently(self):
        spec = self.write_spec(osc_spec(jac="plugin", lband=1, uband=1), schema=True)
        for method in ["Radau", "BDF", "LSODA"]:
            out = self.out(method + ".h5")
            p = run(["run", spec, "-o", out, "--method", method])
            self.assert_exit(p, 0)
            self.assertNotIn("warning", p.stderr)
            m = SUMMARY_RE.match(p.stderr)
            self.assertIsNotNone(m, p.stderr)
            self.assertEqual(m["method"], method)
            if method != "LSODA":   # LSODA may stay with Adams on this non-stiff problem
                self.assertGreater(int(m["njev"]), 0)
                self.assertGreater(int(m["nlu"]), 0)
            with h5py.File(out, "r") as f:
                self.assertEqual(text_attr(f.attrs["method"]), method)
                self.assertEqual(int(f.attrs["njev"]), int(m["njev"]))
                # LSODA's extra counters are written exactly for LSODA.
                self.assertEqual("n_switches" in f.attrs, method == "LSODA")
                t = f["t"][()]
                np.testing.assert_allclose(f["y"][0], np.cos(2 * t), atol=1e-4)

    def test_progress_line_on_a_terminal(self):
        # About 1000 steps, each of six rhs calls sleeping 0.1 ms: well over 0.25 s.
        spec = self.write_spec({"plugin": PLUGINS["slow"], "t_span": [0, 1], "y0": [1],
                                "params": {"delay": 1e-4}, "max_step": 1e-3}, schema=True)
        out = self.out()
        master, slave = pty.openpty()
        try:
            proc = subprocess.Popen([IVP, "run", spec, "-o", out], stdin=subprocess.DEVNULL,
                                    stdout=subprocess.PIPE, stderr=slave)
            os.close(slave)
            slave = None
            seen = b""
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                r, _, _ = select.select([master], [], [], 1.0)
                if r:
                    try:
                        chunk = os.read(master, 4096)
                    except OSError:   # EIO: the child closed the terminal
                        break
                    if not chunk:
                        break
                    seen += chunk
                elif proc.poll() is not None:
                    break
            proc.wait(timeout=60)
            proc.stdout.close()
        finally:
            os.close(master)
            if slave is not None:
                os.close(slave)
        self.assertEqual(proc.returncode, 0, seen)
        text = seen.decode()
        self.assertRegex(text, r"\r t = [0-9.e+-]+ \(\d+%\)  steps \d+")
        # The progress line is wiped before the summary, which ends the output.
        last = text.replace("\r\n", "\n").split("\r")[-1]
        self.assertIsNotNone(SUMMARY_RE.match(last.lstrip(" ")), repr(last))
        with h5py.File(out, "r") as f:
            self.assertEqual(int(f.attrs["status"]), 0)


# ---------------------------------------------------------------------------------------------
class TestRunSolverFailure(CliCase):
    def test_max_steps_exit_1_file_written(self):
        spec = self.write_spec(osc_spec(t_span=[0, 100], max_steps=5), schema=True)
        out = self.out()
        p = run(["run", spec, "-o", out])
        self.assert_exit(p, 1)
        self.assert_error_line(p, out)
        m = SUMMARY_RE.match(p.stderr.splitlines(keepends=True)[0])
        self.assertIsNotNone(m, p.stderr)
        self.assertEqual(int(m["status"]), -1)
        with h5py.File(out, "r") as f:
            a = f.attrs
            self.assertEqual(int(a["status"]), -1)
            self.assertEqual(int(a["success"]), 0)
            n_steps = int(a["n_steps"])
            self.assertLessEqual(n_steps + int(a["n_rejected"]), 5)
            t = f["t"][()]
            self.assertEqual(t.shape, (n_steps + 1,))
            self.assertEqual(f["y"].shape, (2, n_steps + 1))
            self.assertLess(t[-1], 100)
            np.testing.assert_allclose(f["y"][0], np.cos(2 * t), atol=1e-5)
        self.assert_only_files(self.outdir, ["out.h5"])

    def test_rhs_failure_exit_1_keeps_data_to_last_step(self):
        spec = self.write_spec({"plugin": PLUGINS["failing"], "t_span": [0, 5], "y0": [1],
                                "rtol": 1e-8, "atol": 1e-10}, schema=True)
        out = self.out()
        p = run(["run", spec, "-o", out, "--quiet"])
        self.assert_exit(p, 1)
        self.assert_error_line(p, "rhs")
        self.assertEqual(len(p.stderr.splitlines()), 1, p.stderr)   # --quiet: the error only
        with h5py.File(out, "r") as f:
            a = f.attrs
            self.assertEqual(int(a["status"]), -1)
            self.assertEqual(int(a["success"]), 0)
            msg = text_attr(a["message"])
            self.assertIn("rhs", msg)
            m = re.search(r"\bt\s*=\s*([-+0-9.eE]+)", msg)
            self.assertIsNotNone(m, f"message names no t: {msg}")
            self.assertGreater(float(m[1]), 0.5)
            self.assertLess(float(m[1]), 2.0)
            t, y = f["t"][()], f["y"][()]
            n_steps = int(a["n_steps"])
            self.assertGreater(n_steps, 3)
            self.assertEqual(t.shape, (n_steps + 1,))
            self.assertEqual(y.shape, (1, n_steps + 1))
            # Every accepted step's stages stayed at t <= 1.
            self.assertLessEqual(t[-1], 1.0)
            self.assertGreater(t[-1], 0.5)
            np.testing.assert_allclose(y[0], np.exp(-t), rtol=1e-6)
        self.assert_only_files(self.outdir, ["out.h5"])


# ---------------------------------------------------------------------------------------------
class TestRunUsageAndSpecErrors(CliCase):
    """Exit 2: the message says what and where; nothing is written, an existing output stays."""

    def expect_2(self, args, *fragments, stdin=None, cwd=None):
        out = self.out()
        with open(out, "wb") as f:
            f.write(PRECIOUS)
        before = os.stat(out).st_mtime_ns
        p = run(args, stdin=stdin, cwd=cwd)
        self.assert_exit(p, 2)
        self.assertEqual(p.stdout, "")
        self.assert_error_line(p, *fragments)
        with open(out, "rb") as f:
            self.assertEqual(f.read(), PRECIOUS)
        self.assertEqual(os.stat(out).st_mtime_ns, before)
        self.assert_only_files(self.outdir, ["out.h5"])
        return p

    def test_syntax_error_has_line_and_column(self):
        text = '{\n  "plugin": "osc.c",\n  "t_span": [0, 1],,\n  "y0": [1, 0]\n}\n'
        spec = self.write_spec(text, name="broken.json")
        p = self.expect_2(["run", spec, "-o", self.out()], "broken.json")
        self.assertRegex(p.stderr, r"broken\.json:3:\d+")

    def test_invalid_value_names_json_path(self):
        spec = self.write_spec(osc_spec(rtol=-1), schema=False)
        self.expect_2(["run", spec, "-o", self.out()], "$.rtol")
        spec = self.write_spec(osc_spec(events={"zero": {"direction": 5}}), schema=False)
        self.expect_2(["run", spec, "-o", self.out()], "$.events.zero.direction")
        spec = self.write_spec(osc_spec(params={"omega": 2, "bogus": 1}))
        self.expect_2(["run", spec, "-o", self.out()], "$.params")

    def test_bad_set(self):
        spec = self.write_spec(osc_spec(), schema=True)
        self.expect_2(["run", spec, "-o", self.out(), "--set", "novalue"], "KEY=VALUE")
        self.expect_2(["run", spec, "-o", self.out(), "--set", "=3"], "KEY=VALUE")
        self.expect_2(["run", spec, "-o", self.out(), "--set", "no_such_key=1"], "no_such_key")
        self.expect_2(["run", spec, "-o", self.out(), "--set", "rtol=fast"], "$.rtol")
        self.expect_2(["run", spec, "-o", self.out(), "--rtol", "0"], "$.rtol")
        # errors are printed with --quiet too
        self.expect_2(["run", spec, "-o", self.out(), "--quiet", "--atol=-1"], "$.atol")

    def test_unknown_option_and_missing_arguments(self):
        spec = self.write_spec(osc_spec(), schema=True)
        p = self.expect_2(["run", spec, "-o", self.out(), "--frobnicate"], "--frobnicate")
        self.assertIn("usage: ivp run", p.stderr)
        p = self.expect_2(["run", spec, "-o"], "-o")
        self.assertIn("usage: ivp run", p.stderr)
        p = self.expect_2(["run", "-o", self.out()], "SPEC")
        self.assertIn("usage: ivp run", p.stderr)
        self.expect_2(["run", spec, spec, "-o", self.out()], "unexpected")
        self.expect_2(["run", spec, "--quiet=yes", "-o", self.out()], "--quiet")
        self.expect_2(["validate", spec, "-o", self.out()], "-o")   # validate writes nothing

    def test_unknown_method_lists_valid_ones(self):
        spec = self.write_spec(osc_spec(), schema=True)
        p = self.expect_2(["run", spec, "-o", self.out(), "--method", "Euler"], "Euler")
        for name in METHODS:
            self.assertIn(name, p.stderr)
        spec = self.write_spec(osc_spec(method="rk44"), schema=False)
        p = self.expect_2(["run", spec, "-o", self.out()], "rk44")
        for name in METHODS:
            self.assertIn(name, p.stderr)

    def test_stdin_without_output(self):
        text = json.dumps(osc_spec())
        p = self.expect_2(["run", "-"], "-o", stdin=text, cwd=self.outdir)
        self.assertIn("standard input", p.stderr)
        # and with an "output" key it is fine
        text = json.dumps(osc_spec(output="stdin.h5"))
        p = run(["run", "-"], stdin=text, cwd=self.specs)
        self.assert_exit(p, 0)
        self.assertTrue(os.path.isfile(os.path.join(self.specs, "stdin.h5")))

    def test_unwritable_output_folder(self):
        spec = self.write_spec(osc_spec(), schema=True)
        missing = os.path.join(self.outdir, "no", "such", "folder", "x.h5")
        self.expect_2(["run", spec, "-o", missing], "unwritable output path")
        self.assertFalse(os.path.exists(os.path.join(self.outdir, "no")))

    def test_t_eval_outside_t_span(self):
        spec = self.write_spec(osc_spec(t_eval=[0, 5, 20]))
        self.expect_2(["run", spec, "-o", self.out()], "t_eval")

    def test_wrong_y0_length_for_plugin_dim(self):
        spec = self.write_spec(osc_spec(y0=[1, 0, 0]))
        self.expect_2(["run", spec, "-o", self.out()], "$.y0")

    def test_unreadable_spec(self):
        self.expect_2(["run", os.path.join(self.specs, "missing.json"), "-o", self.out()],
                      "missing.json")


# ---------------------------------------------------------------------------------------------
class TestRunPluginErrors(CliCase):
    """Exit 3: nothing written."""

    def expect_3(self, spec, *fragments):
        out = self.out()
        with open(out, "wb") as f:
            f.write(PRECIOUS)
        p = run(["run", spec, "-o", out])
        self.assert_exit(p, 3)
        self.assert_error_line(p, *fragments)
        with open(out, "rb") as f:
            self.assertEqual(f.read(), PRECIOUS)
        self.assert_only_files(self.outdir, ["out.h5"])
        return p

    def test_missing_plugin_file(self):
        spec = self.write_spec(osc_spec(plugin="nowhere.so"), schema=True)
        self.expect_3(spec, "nowhere.so")
        spec = self.write_spec(osc_spec(plugin="nowhere.c"), schema=True)
        self.expect_3(spec, "nowhere.c")

    def test_plugin_with_compile_error(self):
        with open(os.path.join(self.specs, "broken.c"), "w") as f:
            f.write('#include "ivp_plugin.h"\nIVP_PLUGIN_ABI;\n'
                    "int rhs(double t, const double *y, double *dydt, const ivp_ctx *ctx)\n"
                    "{ dydt[0] = -y[0] return 0; }\n")
        spec = self.write_spec(osc_spec(plugin="broken.c", params={}, y0=[1]), schema=True)
        p = self.expect_3(spec, "broken.c")
        self.assertIn("error", p.stderr.split("ivp: error: ", 1)[1])

    def test_plugin_without_rhs(self):
        spec = self.write_spec({"plugin": PLUGINS["norhs"], "t_span": [0, 1], "y0": [1]},
                               schema=True)
        self.expect_3(spec, "rhs")


# ---------------------------------------------------------------------------------------------
class TestInterrupt(CliCase):
    """Exit 130: the partial file is written with status -2; no temporary files remain. Every
    signal that ends a batch job (SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGXCPU, SIGPIPE)
    is handled alike."""

    TERM_SIGNALS = [signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT,
                    signal.SIGUSR1, signal.SIGXCPU, signal.SIGPIPE]

    def start_slow(self, ignore=()):
        # ~1e5 steps of ~1 ms each: far longer than the test waits.
        spec = self.write_spec({"plugin": PLUGINS["slow"], "t_span": [0, 1000], "y0": [1],
                                "params": {"delay": 2e-4}, "max_step": 0.01, "rtol": 1e-8,
                                "atol": 1e-12}, schema=True)

        def child_dispositions():
            # Default dispositions in the child, whatever the test runner ignores.
            for sig in self.TERM_SIGNALS:
                signal.signal(sig, signal.SIG_IGN if sig in ignore else signal.SIG_DFL)

        proc = subprocess.Popen([IVP, "run", spec, "-o", self.out()], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True,
                                preexec_fn=child_dispositions)
        # The temporary file appears when the sink opens, just before integrating.
        deadline = time.monotonic() + 60
        while not os.listdir(self.outdir) and time.monotonic() < deadline:
            if proc.poll() is not None:
                break
            time.sleep(0.02)
        time.sleep(0.5)
        return proc

    def finish(self, proc, sig):
        try:
            self.assertIsNone(proc.poll(), "ivp ended before it was signalled")
            proc.send_signal(sig)
            return proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()

    def interrupt(self, sig, ignore=()):
        proc = self.start_slow(ignore)
        stdout, stderr = self.finish(proc, sig)
        self.assertEqual(proc.returncode, 130, stderr)
        self.assertEqual(stdout, "")
        self.assertIn("ivp: error: ", stderr)
        self.assert_only_files(self.outdir, ["out.h5"])   # no .out.h5.tmp-* left
        with h5py.File(self.out(), "r") as f:
            a = f.attrs
            self.assertEqual(int(a["status"]), -2)
            self.assertEqual(int(a["success"]), 0)
            self.assertIn(f"({signal.Signals(sig).name})", text_attr(a["message"]))
            n_steps = int(a["n_steps"])
            self.assertGreater(n_steps, 5)
            t, y = f["t"][()], f["y"][()]
            self.assertEqual(t.shape, (n_steps + 1,))
            self.assertEqual(y.shape, (1, n_steps + 1))
            self.assertTrue(0 < t[-1] < 1000)
            self.assertTrue(np.all(np.diff(t) > 0))
            np.testing.assert_allclose(y[0], np.exp(-t), rtol=1e-6)
        self.assertIn(signal.Signals(sig).name, stderr)

    def test_sigint(self):
        self.interrupt(signal.SIGINT)

    def test_sigterm(self):
        self.interrupt(signal.SIGTERM)

    def test_sighup(self):
        self.interrupt(signal.SIGHUP)

    def test_sigquit(self):
        self.interrupt(signal.SIGQUIT)

    def test_sigusr1(self):
        self.interrupt(signal.SIGUSR1)

    def test_sigxcpu(self):
        self.interrupt(signal.SIGXCPU)

    def test_sigpipe(self):
        self.interrupt(signal.SIGPIPE)

    def test_ignored_sighup_stays_ignored(self):
        # Under nohup, a hangup must not stop the run; SIGTERM still does.
        proc = self.start_slow(ignore=(signal.SIGHUP,))
        try:
            os.kill(proc.pid, signal.SIGHUP)
            time.sleep(0.5)
        finally:
            stdout, stderr = self.finish(proc, signal.SIGTERM)
        self.assertEqual(proc.returncode, 130, stderr)
        with h5py.File(self.out(), "r") as f:
            self.assertIn("(SIGTERM)", text_attr(f.attrs["message"]))

    def test_file_size_limit_is_a_write_error(self):
        # SIGXFSZ is ignored: going over RLIMIT_FSIZE is a failed write (EFBIG), reported like
        # any output error - exit 1, no file, no temporary file - not a killed process.
        spec = self.write_spec({"plugin": PLUGINS["crash"], "t_span": [0, 1], "y0": [1],
                                "params": {"mode": 0, "t_crash": 0},
                                "t_eval": {"linspace": [0, 1, 200000]}}, schema=True)
        out = self.out()
        with open(out, "wb") as f:
            f.write(PRECIOUS)
        limit = 256 * 1024    # /t and /y need 3.2 MB

        def small_files():
            import resource
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
            signal.signal(signal.SIGXFSZ, signal.SIG_DFL)
        proc = subprocess.run([IVP, "run", spec, "-o", out], capture_output=True, text=True,
                              timeout=120, preexec_fn=small_files)
        self.assert_exit(proc, 1)
        self.assert_error_line(proc, out, "File too large")
        with open(out, "rb") as f:
            self.assertEqual(f.read(), PRECIOUS)
        self.assert_only_files(self.outdir, ["out.h5"])


# ---------------------------------------------------------------------------------------------
class TestPluginCrash(CliCase):
    """Exit 4: a plugin that crashes or calls exit() during the solve leaves no file (the
    temporary one is removed, an existing output is untouched), and the message names the
    signal, the plugin function and t."""

    def crash(self, mode, *fragments, fn="rhs", t_crash=0.5):
        spec = self.write_spec({"plugin": PLUGINS["crash"], "t_span": [0, 2], "y0": [1],
                                "params": {"mode": mode, "t_crash": t_crash}}, schema=True)
        out = self.out()
        with open(out, "wb") as f:
            f.write(PRECIOUS)
        p = run(["run", spec, "-o", out])
        self.assert_exit(p, 4)
        self.assertEqual(p.stdout, "")
        self.assert_error_line(p, PLUGINS["crash"], f"in {fn} at t = ", out, *fragments)
        m = re.search(r"at t = ([-+0-9.e]+)", p.stderr)
        self.assertGreater(float(m[1]), t_crash)
        self.assertLess(float(m[1]), 2.0)
        with open(out, "rb") as f:
            self.assertEqual(f.read(), PRECIOUS)
        self.assert_only_files(self.outdir, ["out.h5"])   # no .out.h5.tmp-* left
        return p

    def test_sigsegv(self):
        self.crash(1, "SIGSEGV")

    def test_abort(self):
        self.crash(2, "SIGABRT", "abort")

    def test_sigfpe(self):
        self.crash(3, "SIGFPE")

    def test_sigbus(self):
        self.crash(4, "SIGBUS")

    def test_sigill(self):
        self.crash(5, "SIGILL")

    def test_stack_overflow(self):
        self.crash(7, "SIGSEGV")

    def test_exit_in_rhs(self):
        self.crash(6, "exit()")

    def test_exit_in_events(self):
        self.crash(8, "exit()", fn="events")

    def test_well_behaved_plugin_runs(self):
        spec = self.write_spec({"plugin": PLUGINS["crash"], "t_span": [0, 2], "y0": [1],
                                "params": {"mode": 0, "t_crash": 0.5}}, schema=True)
        p = run(["run", spec, "-o", self.out(), "-q"])
        self.assert_exit(p, 0)
        with h5py.File(self.out(), "r") as f:
            self.assertEqual(int(f.attrs["status"]), 0)
            np.testing.assert_allclose(f["events/half/t"][()], [math.log(2)], rtol=1e-3)


# ---------------------------------------------------------------------------------------------
class TestOutputPath(CliCase):
    """What -o (or "output") may name: non-regular files and '-' are refused with exit 2 and left
    as they were; names up to NAME_MAX work."""

    def refused(self, out, *fragments, spec=None):
        spec = spec or self.write_spec(osc_spec(), schema=True)
        before = sorted(os.listdir(self.outdir))
        p = run(["run", spec, "-o", out], cwd=self.outdir)
        self.assert_exit(p, 2)
        self.assert_error_line(p, *fragments)
        self.assertEqual(sorted(os.listdir(self.outdir)), before)
        return p

    def test_character_device(self):
        # A private node with /dev/null's numbers (root only), so a regression cannot replace
        # the machine's /dev/null.
        dev = self.out("null.h5")
        try:
            os.mknod(dev, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
        except (PermissionError, OSError) as e:
            self.skipTest(f"cannot create a device node: {e}")
        self.refused(dev, dev, "character device")
        self.assertTrue(stat.S_ISCHR(os.lstat(dev).st_mode))

    def test_fifo(self):
        fifo = self.out("fifo.h5")
        os.mkfifo(fifo)
        self.refused(fifo, fifo, "FIFO")
        self.assertTrue(stat.S_ISFIFO(os.lstat(fifo).st_mode))

    def test_socket(self):
        path = self.out("sock.h5")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.bind(path)
            self.refused(path, path, "socket")
            self.assertTrue(stat.S_ISSOCK(os.lstat(path).st_mode))
        finally:
            sock.close()

    def test_directory(self):
        self.refused(self.outdir, self.outdir, "directory")

    def test_dash_is_not_stdout(self):
        p = self.refused("-", "'-'", "./-")
        self.assertIn("usage: ivp run", p.stderr)
        spec = self.write_spec(osc_spec(output="-"), schema=True)
        p = run(["run", spec], cwd=self.outdir)
        self.assert_exit(p, 2)
        self.assert_error_line(p, "standard output")
        self.assert_only_files(self.outdir, [])
        # ./- is a file called '-'
        p = run(["run", self.write_spec(osc_spec(), schema=True), "-o", "./-", "-q"],
                cwd=self.outdir)
        self.assert_exit(p, 0)
        self.assert_only_files(self.outdir, ["-"])

    def test_name_max_long_name(self):
        name = "o" * 252 + ".h5"   # NAME_MAX = 255 bytes
        spec = self.write_spec(osc_spec(), schema=True)
        p = run(["run", spec, "-o", self.out(name), "-q"])
        self.assert_exit(p, 0)
        self.assert_only_files(self.outdir, [name])
        with h5py.File(self.out(name), "r") as f:
            self.assertEqual(int(f.attrs["status"]), 0)
        # One byte more is the system's error, exit 2.
        p = run(["run", spec, "-o", self.out("o" + name)])
        self.assert_exit(p, 2)
        self.assert_error_line(p, "File name too long")
        self.assert_only_files(self.outdir, [name])

    def test_symlink_is_replaced_not_followed(self):
        target = os.path.join(self.specs, "target.h5")
        with open(target, "wb") as f:
            f.write(PRECIOUS)
        link = self.out("link.h5")
        os.symlink(target, link)
        p = run(["run", self.write_spec(osc_spec(), schema=True), "-o", link, "-q"])
        self.assert_exit(p, 0)
        self.assertFalse(os.path.islink(link))
        with h5py.File(link, "r") as f:
            self.assertEqual(int(f.attrs["status"]), 0)
        with open(target, "rb") as f:
            self.assertEqual(f.read(), PRECIOUS)


# ---------------------------------------------------------------------------------------------
class TestExamples(CliCase):
    """The example specs in plugins/ validate and run as shipped (plugins compiled on demand)."""

    EXPECTED_STATUS = {"vanderpol": 0, "lorenz": 0, "kepler": 0, "bouncing_ball": 1}

    def test_examples_validate_and_run(self):
        folder = os.path.join(SOURCE_DIR, "plugins")
        for name, status in self.EXPECTED_STATUS.items():
            with self.subTest(example=name):
                spec = os.path.join(folder, name + ".json")
                with open(spec) as f:
                    doc = json.load(f)
                self.assertEqual(list(SCHEMA.iter_errors(doc)), [])
                p = run(["validate", spec])
                self.assert_exit(p, 0)
                self.assertTrue(p.stdout.startswith(f"{spec}: ok ("), p.stdout)
                out = self.out(name + ".h5")
                p = run(["run", spec, "-o", out])
                self.assert_exit(p, 0)
                m = SUMMARY_RE.match(p.stderr)
                self.assertIsNotNone(m, p.stderr)
                self.assertEqual(int(m["status"]), status)
                with h5py.File(out, "r") as f:
                    self.assertEqual(int(f.attrs["status"]), status)
                    self.assertEqual(f["y"].shape, (len(doc["y0"]), f["t"].shape[0]))

    def test_vanderpol_set_mu(self):
        spec = os.path.join(SOURCE_DIR, "plugins", "vanderpol.json")
        out = self.out()
        p = run(["run", spec, "-o", out, "--set", "params.mu=5", "--quiet"])
        self.assert_exit(p, 0)
        self.assertEqual(p.stderr, "")
        with h5py.File(out, "r") as f:
            self.assertEqual(json.loads(text_attr(f.attrs["problem"]))["params"]["mu"], 5)
            # The limit cycle of Van der Pol has amplitude close to 2 for any mu.
            self.assertAlmostEqual(np.max(np.abs(f["y"][0])), 2.0, delta=0.05)


# ---------------------------------------------------------------------------------------------
class TestValidate(CliCase):
    def test_ok(self):
        spec = self.write_spec(osc_spec(method="dop853"), schema=True)
        p = run(["validate", spec], cwd=self.outdir)
        self.assert_exit(p, 0)
        self.assertEqual(p.stdout, f"{spec}: ok (DOP853, n = 2, plugin {PLUGINS['osc']})\n")
        self.assert_only_files(self.outdir, [])
        self.assert_only_files(self.specs, ["problem.json"])

    def test_ok_from_stdin_with_overrides(self):
        text = json.dumps(osc_spec())
        p = run(["validate", "-", "--method", "rk23", "--set", "y0=[0,1]"], stdin=text,
                cwd=self.outdir)
        self.assert_exit(p, 0)
        self.assertEqual(p.stdout, f"<stdin>: ok (RK23, n = 2, plugin {PLUGINS['osc']})\n")
        self.assert_only_files(self.outdir, [])

    def test_bad_spec_and_plugin(self):
        spec = self.write_spec(osc_spec(atol=-1e-6), schema=False)
        p = run(["validate", spec])
        self.assert_exit(p, 2)
        self.assertEqual(p.stdout, "")
        self.assert_error_line(p, "$.atol")
        spec = self.write_spec(osc_spec(y0=[1]))
        self.assert_exit(run(["validate", spec]), 2)
        spec = self.write_spec({"plugin": PLUGINS["norhs"], "t_span": [0, 1], "y0": [1]},
                               schema=True)
        p = run(["validate", spec, "--quiet"])
        self.assert_exit(p, 3)
        self.assert_error_line(p, "rhs")


# ---------------------------------------------------------------------------------------------
class TestBuild(CliCase):
    class Ctx(ctypes.Structure):
        _fields_ = [("n", ctypes.c_size_t), ("p", ctypes.POINTER(ctypes.c_double)),
                    ("np", ctypes.c_size_t), ("data", ctypes.c_void_p)]

    def test_build_makes_a_loadable_plugin(self):
        so = os.path.join(self.outdir, "osc_built.so")
        p = run(["build", PLUGINS["osc"], "-o", so])
        self.assert_exit(p, 0)
        self.assertEqual(p.stdout, so + "\n")
        lib = ctypes.CDLL(so)
        self.assertEqual(ctypes.c_int.in_dll(lib, "ivp_abi_version").value, 1)
        self.assertEqual(ctypes.c_size_t.in_dll(lib, "ivp_dim").value, 2)
        params = (ctypes.c_double * 1)(3.0)
        ctx = self.Ctx(2, params, 1, None)
        y = (ctypes.c_double * 2)(0.5, -0.25)
        dydt = (ctypes.c_double * 2)()
        lib.rhs.restype = ctypes.c_int
        lib.rhs.argtypes = [ctypes.c_double, ctypes.POINTER(ctypes.c_double),
                            ctypes.POINTER(ctypes.c_double), ctypes.POINTER(self.Ctx)]
        self.assertEqual(lib.rhs(0.0, y, dydt, ctypes.byref(ctx)), 0)
        self.assertEqual(list(dydt), [-0.25, -9.0 * 0.5])
        # ...and ivp runs it.
        spec = self.write_spec(osc_spec(plugin=so), schema=True)
        out = self.out()
        self.assert_exit(run(["run", spec, "-o", out, "-q"]), 0)
        with h5py.File(out, "r") as f:
            self.assertEqual(int(f.attrs["status"]), 0)

    def test_build_default_output_name(self):
        src = os.path.join(self.outdir, "model.c")
        shutil.copy(PLUGINS["osc"], src)
        p = run(["build", src])
        self.assert_exit(p, 0)
        self.assertEqual(p.stdout, os.path.join(self.outdir, "model.so") + "\n")
        self.assertTrue(os.path.isfile(os.path.join(self.outdir, "model.so")))

    def test_build_failure_exit_3(self):
        src = os.path.join(self.outdir, "bad.c")
        with open(src, "w") as f:
            f.write("int rhs(double t) { return t +; }\n")
        p = run(["build", src, "-o", os.path.join(self.outdir, "bad.so")])
        self.assert_exit(p, 3)
        self.assertEqual(p.stdout, "")
        self.assert_error_line(p)
        self.assert_only_files(self.outdir, ["bad.c"])

    def test_build_usage_errors(self):
        p = run(["build"])
        self.assert_exit(p, 2)
        self.assertIn("usage: ivp build", p.stderr)
        p = run(["build", PLUGINS["osc"], "--set", "a=1"])
        self.assert_exit(p, 2)
        self.assert_error_line(p, "--set")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--slow", required=True)
    ap.add_argument("--failing", required=True)
    ap.add_argument("--norhs", required=True)
    ap.add_argument("--crash", required=True)
    ap.add_argument("--osc-source", required=True)
    args, rest = ap.parse_known_args()
    PLUGINS.update(slow=os.path.abspath(args.slow), failing=os.path.abspath(args.failing),
                   norhs=os.path.abspath(args.norhs),
                   crash=os.path.abspath(args.crash), osc=os.path.abspath(args.osc_source))
    global SCHEMA
    SCHEMA = schema_validator()
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)


if __name__ == "__main__":
    main()
