# SPDX-License-Identifier: MIT
"""tests/cli/test_scan.py - `ivp run` in parameter scans (issue #9 point 4).

- -o templates: {params.NAME} (after --set, shortest exact form), {spec}, {member} with --shard,
  {{ and }}; also in the spec's "output"; unknown placeholders or parameters, {spec} from stdin,
  {member} without --shard, a parameter an ensemble varies: exit 2, the placeholder named,
  nothing written.
- Replacing an existing output warns, naming it (not with --quiet); another run writing the same
  output at the same time is reported on both sides even with --quiet.
- --no-clobber: exit 2, the existing file untouched. --skip-existing: exit 0 without solving for
  this run's finished result; a failed, unreadable or other problem's file is solved again.
- --progress[=S]: timestamped lines on stderr (not a terminal here) with t, percent, steps,
  elapsed, time left; the data are the same without it; --quiet does not silence it.
- --summary-json: one JSON object on stdout whose values equal the file's; valid JSON for odd
  output names; printed with --quiet; ensembles count ok/failed members.

Arguments: --slow PLUGIN.so (y' = -y, each rhs call sleeps params.delay s), --osc-source osc.c.
Environment (from ivp_add_python_test): IVP_BIN, IVP_CACHE_DIR.
"""

import argparse
import calendar
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import unittest

import h5py
import numpy as np

IVP = os.environ.get("IVP_BIN", "ivp")
PLUGINS = {}
PRECIOUS = b"an earlier result that must survive\n"
PROGRESS_RE = re.compile(
    r"^(?P<stamp>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ) ivp: t = (?P<t>\S+), (?P<pct>\d+)%, "
    r"(?P<steps>\d+) steps, (?P<elapsed>[0-9.]+) s elapsed, (?:~(?P<left>\d+) s|\?) left$")


def run(args, cwd=None, stdin=None):
    return subprocess.run([IVP] + list(args), cwd=cwd, input=stdin, capture_output=True,
                          timeout=120)


def text(b):
    return b.decode("utf-8", "replace")


class ScanCase(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="ivp-scan-")
        self.dir = self._tmp.name

    def tearDown(self):
        self._tmp.cleanup()

    def spec(self, name="osc.json", **over):
        doc = {"plugin": PLUGINS["osc"], "t_span": [0, 2], "y0": [1, 0], "params": {"omega": 2},
               "rtol": 1e-8, "atol": 1e-10}
        doc.update(over)
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            json.dump(doc, f)
        return path

    def slow_spec(self, delay, t_end, name="slow.json"):
        doc = {"plugin": PLUGINS["slow"], "t_span": [0, t_end], "y0": [1],
               "params": {"delay": delay}, "rtol": 1e-6, "atol": 1e-9}
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            json.dump(doc, f)
        return path

    def files(self):
        return sorted(os.listdir(self.dir))

    def assert_exit(self, p, code):
        self.assertEqual(p.returncode, code, text(p.stderr))


class Templates(ScanCase):
    def test_params_spec_and_braces(self):
        spec = self.spec()
        for value, shown in (("0.5", "0.5"), ("1e-5", "1e-05"), ("0.1", "0.1"), ("3", "3"),
                             ("2.0000000000000004", "2.0000000000000004")):
            with self.subTest(value=value):
                p = run(["run", spec, "--set", "params.omega=" + value, "-q",
                         "-o", "r-{spec}-{params.omega}-{{x}}.h5"], cwd=self.dir)
                self.assert_exit(p, 0)
                out = os.path.join(self.dir, "r-osc-%s-{x}.h5" % shown)
                self.assertTrue(os.path.exists(out), self.files())
                with h5py.File(out, "r") as f:
                    # the name's value reads back as the parameter used
                    self.assertEqual(float(shown), f["params"][()][0])
                    self.assertEqual(float(shown), float(value))

    def test_spec_output_key_is_expanded(self):
        spec = self.spec(output="from-spec-{params.omega}.h5")
        p = run(["run", spec, "--set", "params.omega=0.25", "-q"], cwd=self.dir)
        self.assert_exit(p, 0)
        self.assertIn("from-spec-0.25.h5", self.files())

    def test_bad_templates_exit_2_and_write_nothing(self):
        spec = self.spec()
        before = self.files()
        cases = [("r-{foo}.h5", "unknown placeholder {foo}"),
                 ("r-{params.mu}.h5", "{params.mu}: the spec has no parameter 'mu'"),
                 ("r-{member}.h5", "{member}"),
                 ("r-{spec.h5", "a '{' without its '}'"),
                 ("r-}.h5", "a '}' without its '{'")]
        for tmpl, says in cases:
            with self.subTest(tmpl=tmpl):
                p = run(["run", spec, "-o", tmpl], cwd=self.dir)
                self.assert_exit(p, 2)
                self.assertIn(says, text(p.stderr))
                self.assertIn(tmpl, text(p.stderr))
                self.assertEqual(self.files(), before)
        with open(spec, "rb") as f:
            p = run(["run", "-", "-o", "{spec}.h5"], cwd=self.dir, stdin=f.read())
        self.assert_exit(p, 2)
        self.assertIn("{spec} needs a spec file", text(p.stderr))
        self.assertEqual(self.files(), before)

    def test_ensembles_member_and_varied_params(self):
        spec = self.spec(name="ens.json",
                         ensemble={"grid": {"params.omega": [1, 2, 3, 4, 5]}})
        # a parameter the members vary has no single value
        p = run(["run", spec, "-o", "e-{params.omega}.h5"], cwd=self.dir)
        self.assert_exit(p, 2)
        self.assertIn("vary params.omega", text(p.stderr))
        # {member} without --shard is refused, with it names the shard's members
        p = run(["run", spec, "-o", "e-{member}.h5"], cwd=self.dir)
        self.assert_exit(p, 2)
        names = []
        for i in range(3):
            p = run(["run", spec, "--shard", "%d/3" % i, "-q", "-o", "e-{spec}-{member}.h5"],
                    cwd=self.dir)
            self.assert_exit(p, 0)
            new = [n for n in self.files() if n.startswith("e-ens-") and n not in names]
            self.assertEqual(len(new), 1, new)
            names += new
            with h5py.File(os.path.join(self.dir, new[0]), "r") as f:
                first = int(f.attrs["member_offset"])
                n = int(f.attrs["n_members"])
            self.assertEqual(new[0], "e-ens-%d-%d.h5" % (first, first + n - 1))
        self.assertEqual(sorted(names), ["e-ens-0-0.h5", "e-ens-1-2.h5", "e-ens-3-4.h5"])


class Clobber(ScanCase):
    def test_replacing_warns_with_the_name_unless_quiet(self):
        spec = self.spec()
        out = os.path.join(self.dir, "osc.h5")
        p = run(["run", spec], cwd=self.dir)
        self.assert_exit(p, 0)
        self.assertNotIn("warning", text(p.stderr))
        p = run(["run", spec], cwd=self.dir)
        self.assert_exit(p, 0)
        self.assertIn("ivp: warning: replacing the existing osc.h5\n", text(p.stderr))
        p = run(["run", spec, "-q"], cwd=self.dir)
        self.assert_exit(p, 0)
        self.assertEqual(p.stderr, b"")
        self.assertTrue(os.path.exists(out))

    def test_concurrent_writers_of_one_output_warn_even_when_quiet(self):
        # A (slow) and B (fast) both write slow.h5 (no -o, as in a scan that forgot it): B starts
        # while A's temporary file exists, A finishes after B wrote the file.
        spec = self.slow_spec(0.01, 8.0)
        out = os.path.join(self.dir, "slow.h5")
        a = subprocess.Popen([IVP, "run", spec, "-q"], cwd=self.dir, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        try:
            deadline = time.monotonic() + 60
            while not any(n.startswith(".slow.h5.tmp-") for n in os.listdir(self.dir)):
                self.assertIsNone(a.poll(), "A ended before B could start")
                self.assertLess(time.monotonic(), deadline)
                time.sleep(0.01)
            b = run(["run", spec, "-q", "--set", "params.delay=0"], cwd=self.dir)
            self.assertIsNone(a.poll(), "A must still be solving when B is done")
            a_out, a_err = a.communicate(timeout=120)
        finally:
            if a.poll() is None:
                a.kill()
                a.wait()
        self.assert_exit(b, 0)
        self.assertEqual(a.returncode, 0, text(a_err))
        b_err, a_err = text(b.stderr), text(a_err)
        self.assertRegex(b_err, r"^ivp: warning: another run seems to be writing slow\.h5 at the "
                                r"same time \(its temporary file \.slow\.h5\.tmp-\w{6} exists")
        self.assertIn("give each run its own output, e.g. -o '{spec}-{params.delay}.h5'", b_err)
        self.assertRegex(a_err, r"^ivp: warning: slow\.h5 did not exist when this run started "
                                r"but does now: another run wrote it meanwhile")
        # the last to finish (A) holds the file
        with h5py.File(out, "r") as f:
            self.assertEqual(f["params"][()][0], 0.01)

    def test_no_clobber(self):
        spec = self.spec()
        out = os.path.join(self.dir, "keep.h5")
        with open(out, "wb") as f:
            f.write(PRECIOUS)
        p = run(["run", spec, "-o", out, "--no-clobber"])
        self.assert_exit(p, 2)
        self.assertIn("keep.h5 exists (--no-clobber)", text(p.stderr))
        with open(out, "rb") as f:
            self.assertEqual(f.read(), PRECIOUS)
        self.assertEqual(self.files(), ["keep.h5", "osc.json"])
        new = os.path.join(self.dir, "new.h5")
        p = run(["run", spec, "-o", new, "--no-clobber", "-q"])
        self.assert_exit(p, 0)
        self.assertTrue(os.path.exists(new))
        p = run(["run", spec, "-o", new, "--no-clobber", "--resume"])
        self.assert_exit(p, 2)


class SkipExisting(ScanCase):
    def test_finished_result_is_skipped(self):
        spec = self.spec()
        out = os.path.join(self.dir, "r.h5")
        self.assert_exit(run(["run", spec, "-o", out, "-q"]), 0)
        st = os.stat(out)
        with open(out, "rb") as f:
            data = f.read()
        p = run(["run", spec, "-o", out, "--skip-existing", "--summary-json"])
        self.assert_exit(p, 0)
        self.assertIn("r.h5 exists with status 0", text(p.stderr))
        self.assertIn("not solved again (--skip-existing)", text(p.stderr))
        doc = json.loads(p.stdout)
        self.assertEqual((doc["skipped"], doc["status"], doc["exit_code"]), (True, 0, 0))
        with open(out, "rb") as f:
            self.assertEqual(f.read(), data)
        self.assertEqual(os.stat(out).st_mtime_ns, st.st_mtime_ns)
        p = run(["run", spec, "-o", out, "--skip-existing", "-q"])
        self.assert_exit(p, 0)
        self.assertEqual(p.stderr, b"")

    def test_other_failed_or_unreadable_files_are_solved_again(self):
        spec = self.spec()
        out = os.path.join(self.dir, "r.h5")
        # another problem under the same name (a scan without {params.omega} in -o)
        self.assert_exit(run(["run", spec, "-o", out, "-q", "--set", "params.omega=3"]), 0)
        p = run(["run", spec, "-o", out, "--skip-existing"])
        self.assert_exit(p, 0)
        self.assertIn("r.h5 holds another problem", text(p.stderr))
        with h5py.File(out, "r") as f:
            self.assertEqual(f["params"][()][0], 2.0)
        # a failed run (status -1)
        self.assert_exit(run(["run", spec, "-o", out, "-q", "--set", "max_steps=3"]), 1)
        p = run(["run", spec, "-o", out, "--skip-existing", "--set", "max_steps=3"])
        self.assert_exit(p, 1)
        self.assertIn("r.h5 has status -1: solving again", text(p.stderr))
        # not an ivp file
        with open(out, "wb") as f:
            f.write(PRECIOUS)
        p = run(["run", spec, "-o", out, "--skip-existing"])
        self.assert_exit(p, 0)
        self.assertIn("r.h5 cannot be read", text(p.stderr))
        with h5py.File(out, "r") as f:
            self.assertEqual(int(f.attrs["status"]), 0)
        # with --no-clobber too: an unfinished one is exit 2 and stays
        with open(out, "wb") as f:
            f.write(PRECIOUS)
        p = run(["run", spec, "-o", out, "--skip-existing", "--no-clobber"])
        self.assert_exit(p, 2)
        with open(out, "rb") as f:
            self.assertEqual(f.read(), PRECIOUS)

    def test_ensemble(self):
        spec = self.spec(name="ens.json", ensemble={"grid": {"params.omega": [1, 2, 3]}})
        out = os.path.join(self.dir, "ens.h5")
        self.assert_exit(run(["run", spec, "-q", "-j", "1"], cwd=self.dir), 0)
        mtime = os.stat(out).st_mtime_ns
        p = run(["run", spec, "--skip-existing", "--summary-json"], cwd=self.dir)
        self.assert_exit(p, 0)
        self.assertEqual(json.loads(p.stdout)["skipped"], True)
        self.assertEqual(os.stat(out).st_mtime_ns, mtime)
        # other members (--members with other values): solved again
        members = os.path.join(self.dir, "m.csv")
        with open(members, "w") as f:
            f.write("params.omega\n1\n2\n4\n")
        plain = self.spec(name="plain.json")
        p = run(["run", plain, "--members", members, "-o", out, "--skip-existing", "-j", "1"])
        self.assert_exit(p, 0)
        self.assertIn("holds other members (member 2 differs)", text(p.stderr))


class Progress(ScanCase):
    def test_timestamped_lines_and_same_data(self):
        spec = self.slow_spec(0.002, 10.0)
        out = os.path.join(self.dir, "p.h5")
        ref = os.path.join(self.dir, "ref.h5")
        t_start = time.time()
        p = run(["run", spec, "-o", out, "--progress=0.1", "-q"])
        t_stop = time.time()
        self.assert_exit(p, 0)
        lines = text(p.stderr).splitlines()
        self.assertGreaterEqual(len(lines), 2, lines)
        prev_t, prev_steps = 0.0, 0
        for line in lines:
            m = PROGRESS_RE.match(line)
            self.assertIsNotNone(m, line)
            stamp = calendar.timegm(time.strptime(m["stamp"], "%Y-%m-%dT%H:%M:%SZ"))
            self.assertGreaterEqual(stamp, int(t_start))
            self.assertLessEqual(stamp, t_stop + 1)
            t, steps = float(m["t"]), int(m["steps"])
            self.assertGreater(t, prev_t)
            self.assertGreater(steps, prev_steps)
            # %.0f of the percentage; t is shown to 6 digits, so allow the neighbour
            self.assertLessEqual(abs(int(m["pct"]) - 100 * t / 10.0), 0.5 + 1e-4)
            self.assertLessEqual(float(m["elapsed"]), t_stop - t_start + 0.01)
            prev_t, prev_steps = t, steps
        with h5py.File(out, "r") as f:
            n_steps = int(f.attrs["n_steps"])
            t_file = f["t"][()]
        self.assertLessEqual(prev_steps, n_steps)
        # t is that of a stored point, 6 significant digits
        self.assertLessEqual(np.min(np.abs(t_file - prev_t)), 5e-6 * prev_t)
        # the same data without --progress
        self.assert_exit(run(["run", spec, "-o", ref, "-q"]), 0)
        with h5py.File(out, "r") as a, h5py.File(ref, "r") as b:
            self.assertTrue(np.array_equal(a["t"][()], b["t"][()]))
            self.assertTrue(np.array_equal(a["y"][()], b["y"][()]))

    def test_bad_values(self):
        spec = self.spec()
        for v in ("0", "-1", "abc", ""):
            p = run(["run", spec, "--progress=" + v])
            self.assert_exit(p, 2)
            self.assertIn("--progress", text(p.stderr))

    def test_ensemble_lines(self):
        spec = self.spec(name="ens.json", ensemble={"grid": {"params.omega": [1, 2, 3, 4]}})
        p = run(["run", spec, "--progress=0.01", "-q", "-j", "1"], cwd=self.dir)
        self.assert_exit(p, 0)
        lines = text(p.stderr).splitlines()
        self.assertTrue(lines, p.stderr)
        for line in lines:
            self.assertRegex(line, r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ ivp: members [1-4]/4 done "
                                   r"\(0 failed\), \d+%, [0-9.]+ s elapsed, (~\d+ s|\?) left$")
        # the last line is the end
        self.assertIn(" members 4/4 done (0 failed), 100%,", lines[-1])


class SummaryJson(ScanCase):
    def test_single_run_values_equal_the_file(self):
        spec = self.spec(events={"zero": {"terminal": 2}}, t_span=[0, 10])
        out = os.path.join(self.dir, "s.h5")
        p = run(["run", spec, "-o", out, "--summary-json", "-q"])
        self.assert_exit(p, 0)
        self.assertEqual(p.stderr, b"")
        doc = json.loads(p.stdout)
        with h5py.File(out, "r") as f:
            for key in ("status", "nfev", "njev", "nlu", "n_steps", "n_rejected"):
                self.assertEqual(doc[key], int(f.attrs[key]), key)
            self.assertEqual(doc["message"], f.attrs["message"].decode()
                             if isinstance(f.attrs["message"], bytes) else f.attrs["message"])
            self.assertEqual(doc["solve_seconds"], float(f.attrs["solve_seconds"]))
            counts = {k: f["events"][k]["t"].shape[0] for k in f["events"]}
            te = f["events/zero/t"][()]
            self.assertEqual(doc["t"], f["t"][-1])
        self.assertEqual(doc["output"], out)
        self.assertEqual((doc["ensemble"], doc["skipped"], doc["exit_code"]), (False, False, 0))
        self.assertEqual(doc["status"], 1)
        self.assertEqual(doc["events"], counts)
        self.assertEqual(counts["zero"], 2)
        # the terminal event's t, exactly (shortest round-trip form)
        self.assertEqual(doc["terminal_event"], {"name": "zero", "t": te[-1]})
        self.assertFalse(doc["stiff_detected"])
        self.assertIsNone(doc["stiff_t"])
        self.assertGreaterEqual(doc["wall_seconds"], doc["solve_seconds"])

    def test_odd_output_names_stay_valid_json(self):
        spec = self.spec()
        for name in (b'q"uo\\te.h5', b"tab\there.h5", b"latin-\xe9.h5", "utf8-\u00e9.h5".encode()):
            with self.subTest(name=name):
                out = os.path.join(self.dir.encode(), name)
                p = subprocess.run([IVP.encode(), b"run", spec.encode(), b"-o", out,
                                    b"--summary-json", b"-q"], capture_output=True, timeout=60)
                self.assert_exit(p, 0)
                doc = json.loads(p.stdout.decode("utf-8"))   # strict UTF-8 JSON
                self.assertEqual(doc["output"], out.decode("utf-8", "replace"))

    def test_failed_run_and_ensemble(self):
        spec = self.spec()
        out = os.path.join(self.dir, "f.h5")
        p = run(["run", spec, "-o", out, "--summary-json", "--set", "max_steps=3"])
        self.assert_exit(p, 1)
        doc = json.loads(p.stdout)
        self.assertEqual((doc["status"], doc["exit_code"], doc["n_steps"]), (-1, 1, 3))
        self.assertIn("max_steps", doc["message"])
        self.assertIsNone(doc["terminal_event"])
        ens = self.spec(name="ens.json",
                        ensemble={"grid": {"params.omega": [1, 2, 3], "max_steps": [3, 100000]}})
        p = run(["run", ens, "--summary-json", "-q", "-j", "2"], cwd=self.dir)
        self.assert_exit(p, 1)
        doc = json.loads(p.stdout)
        self.assertEqual((doc["ensemble"], doc["members"], doc["ok"], doc["failed"],
                          doc["interrupted"], doc["exit_code"], doc["shard"]),
                         (True, 6, 3, 3, 0, 1, None))
        self.assertEqual(doc["output"], "ens.h5")
        # nothing on stdout when nothing was written
        p = run(["run", spec, "-o", "{nope}.h5", "--summary-json"])
        self.assert_exit(p, 2)
        self.assertEqual(p.stdout, b"")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--slow", required=True)
    ap.add_argument("--osc-source", required=True)
    args, rest = ap.parse_known_args()
    PLUGINS["slow"] = os.path.abspath(args.slow)
    PLUGINS["osc"] = os.path.abspath(args.osc_source)
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)


if __name__ == "__main__":
    main()
