#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""tests/ensemble/test_ensemble.py - `ivp run` of an ensemble (contracts.md section 5).

Member k of an ensemble must be bit-identical (t, y, events, dense output, counters) to
`ivp run` of the base spec with member k's overrides as --set, for every method, in the stacked
and the ragged layout; -j 1, 2 and 7 give the same file contents (timings aside); a failing
member does not stop the others; invalid members, CSV and NDJSON tables are exit-2 errors that
name the member and the line, with no file; memory does not grow with K beyond the members'
own table; SIGINT keeps the finished members.
Environment (from ivp_add_python_test): IVP_BIN, IVP_SOURCE_DIR, IVP_CACHE_DIR.
"""
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

import h5py
import numpy as np

IVP = os.environ.get("IVP_BIN", "ivp")
SRC = os.environ.get("IVP_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
OSC = os.path.join(SRC, "tests", "cli", "plugins", "osc.c")
RHSFAIL = os.path.join(SRC, "tests", "failures", "plugins", "rhsfail.c")
SLOW = os.path.join(SRC, "tests", "cli", "plugins", "slow.c")
METHODS = ["RK23", "RK45", "DOP853", "Radau", "BDF", "LSODA"]
TIMING = {"solve_seconds"}


def run(args, **kw):
    return subprocess.run([IVP, "run"] + args, capture_output=True, text=True, timeout=300, **kw)


def read_all(path):
    """Every dataset and attribute of the file, as {path: value}, timing left out."""
    out = {}
    with h5py.File(path, "r") as f:
        for k, v in f.attrs.items():
            out["@" + k] = v
        def visit(name, obj):
            for k, v in obj.attrs.items():
                out[name + "@" + k] = v
            if isinstance(obj, h5py.Dataset) and name.split("/")[-1] not in TIMING:
                out[name] = obj[()]
        f.visititems(visit)
    return out


def same(a, b):
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        if a.dtype.kind == "f":
            return a.shape == b.shape and np.array_equal(a.view(np.uint64), b.view(np.uint64))
        return a.shape == b.shape and np.array_equal(a, b)
    return a == b



INFO_COPIES = ("status", "nfev", "njev", "nlu", "n_steps", "n_rejected", "solve_seconds", "y0",
               "t_span", "count", "params", "dense_count")


def assert_info_copies(tc, f):
    """/info repeats the numeric /members columns for Octave: same values, shape and type, no
    attributes; params only with parameters, dense_count only with dense output."""
    names = [k for k in INFO_COPIES if k in f["members"]]
    tc.assertIn("status", names)
    for k in names:
        if k == "params" and f["members/params"].shape[1] == 0:
            continue
        a, b = f["members/" + k], f["info/" + k]
        tc.assertEqual(a.dtype, b.dtype, k)
        tc.assertEqual(a.shape, b.shape, k)
        tc.assertTrue(np.array_equal(a[()], b[()], equal_nan=a.dtype.kind == "f"), k)
        tc.assertEqual(len(b.attrs), 0, k)

class Ensemble(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="ivp-ens-")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def spec(self, name, **kw):
        base = {"plugin": OSC, "t_span": [0, 4], "y0": [1, 0], "params": {"omega": 1.5}}
        base.update(kw)
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            json.dump(base, f)
        return path

    def out(self, name):
        return os.path.join(self.dir, name)

    def assert_member_equals_single(self, ens_file, k, base_spec, overrides, stacked):
        sets = []
        for key, v in overrides.items():
            sets += ["--set", "%s=%s" % (key, json.dumps(v))]
        single = self.out("single.h5")
        p = run([base_spec, "-q", "-o", single] + sets)
        self.assertEqual(p.returncode, 0, p.stderr)
        with h5py.File(ens_file, "r") as e, h5py.File(single, "r") as s:
            cnt = int(e["members/count"][k])
            if stacked:
                ys = e["y"][k]
                ts = e["t"][()]
            else:
                start = int(np.sum(e["members/count"][:k]))
                ts = e["t"][start:start + cnt]
                ys = e["y"][:, start:start + cnt]
            self.assertTrue(same(ts, s["t"][()]), "member %d: t" % k)
            self.assertTrue(same(ys, s["y"][()]), "member %d: y" % k)
            for c in ("nfev", "njev", "nlu", "n_steps", "n_rejected"):
                self.assertEqual(int(e["members/" + c][k]), int(s.attrs[c]), "member %d %s" % (k, c))
            self.assertEqual(int(e["members/status"][k]), int(s.attrs["status"]))
            for name in e["events"]:
                sel = e["events/%s/member" % name][()] == k
                self.assertTrue(same(e["events/%s/t" % name][()][sel], s["events/%s/t" % name][()]))
                self.assertTrue(same(e["events/%s/y" % name][()][:, sel], s["events/%s/y" % name][()]))
            if "dense" in s:
                dc = e["members/dense_count"][()]
                seg0 = int(np.sum(dc[:k]))
                x0 = seg0 + k
                n = int(dc[k])
                self.assertTrue(same(e["dense/x"][x0:x0 + n + 1], s["dense/x"][()]))
                self.assertTrue(same(e["dense/c"][:, seg0:seg0 + n, :], s["dense/c"][()]))
            self.assertEqual(json.loads(e["members/overrides"][k]), overrides)

    def test_members_bit_identical_to_single_runs_every_method(self):
        for method in METHODS:
            for stacked in (True, False):
                with self.subTest(method=method, stacked=stacked):
                    kw = {"method": method, "rtol": 1e-6, "atol": 1e-9, "dense_output": True,
                          "events": {"zero": {"terminal": False, "direction": 0}}}
                    if stacked:
                        kw["t_eval"] = {"linspace": [0, 4, 9]}
                    base = self.spec("base.json", **kw)
                    ens = dict(kw)
                    ens["ensemble"] = {"grid": {"params.omega": [0.5, 2.5], "y0[1]": [0, 0.25]},
                                       "zip": {"rtol": [1e-6, 1e-4]}}
                    spec = self.spec("ens.json", **ens)
                    out = self.out("ens.h5")
                    p = run([spec, "-q", "-o", out, "-j", "2"])
                    self.assertEqual(p.returncode, 0, p.stderr)
                    with h5py.File(out, "r") as f:
                        self.assertEqual(f.attrs["format"], "ivp-hdf5-ensemble")
                        self.assertEqual(int(f.attrs["n_members"]), 8)
                        self.assertEqual(f.attrs["layout"], "stacked" if stacked else "ragged")
                        if stacked:
                            self.assertEqual(f["y"].shape, (8, 2, 9))
                    # itertools.product order, zip slowest
                    k = 0
                    for rtol in (1e-6, 1e-4):
                        for om in (0.5, 2.5):
                            for y1 in (0, 0.25):
                                ov = {"rtol": rtol, "params.omega": om, "y0[1]": y1}
                                self.assert_member_equals_single(out, k, base, ov, stacked)
                                k += 1

    def test_threads_give_identical_files(self):
        spec = self.spec("ens.json", method="DOP853", events={"half": {"terminal": 2}},
                         dense_output=True,
                         ensemble={"grid": {"params.omega": {"linspace": [0.5, 3, 23]},
                                            "t_span[1]": [2, 5]}})
        files = []
        for j in (1, 2, 7):
            out = self.out("j%d.h5" % j)
            p = run([spec, "-q", "-o", out, "-j", str(j)])
            self.assertEqual(p.returncode, 0, p.stderr)
            files.append(read_all(out))
        self.assertEqual(sorted(files[0]), sorted(files[1]))
        for other in files[1:]:
            for key in files[0]:
                self.assertTrue(same(files[0][key], other[key]), key)
        st = files[0]["members/status"]
        self.assertEqual(len(st), 46)
        self.assertTrue(set(st.tolist()) == {0, 1}, st)

    def test_failing_member_does_not_stop_the_others(self):
        path = os.path.join(self.dir, "fail.json")
        with open(path, "w") as f:
            json.dump({"plugin": RHSFAIL, "t_span": [0, 3], "y0": [1, 0],
                       "params": {"t_f": 10, "code": -7}, "t_eval": [0, 1, 2, 3],
                       "ensemble": {"zip": {"params.t_f": [10, 1.5, 10]}}}, f)
        out = self.out("fail.h5")
        p = run([path, "-o", out, "-j", "2"])
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("1 of 3 members failed", p.stderr)
        with h5py.File(out, "r") as f:
            self.assertEqual(f["members/status"][()].tolist(), [0, -1, 0])
            self.assertIn("rhs", f["members/message"][1].decode())
            self.assertEqual(int(f.attrs["n_failed"]), 1)
            cnt = f["members/count"][()].tolist()
            self.assertEqual(cnt[0::2], [4, 4])
            self.assertLess(cnt[1], 4)
            self.assertTrue(np.all(np.isnan(f["y"][1, :, cnt[1]:])))
            self.assertTrue(np.allclose(f["y"][0, 0], np.cos([0, 1, 2, 3]), atol=1e-2))
            self.assertTrue(same(f["y"][0], f["y"][2]))
            # /info/message (Octave's copy, fixed-length) holds each member's own message, the
            # failed one's too; and, in a file where all agree, the one message K times
            msgs = [m.decode() for m in f["members/message"][()]]
            self.assertEqual([m.decode() for m in f["info/message"][()]], msgs)
            self.assertNotEqual(msgs[0], msgs[1])
            assert_info_copies(self, f)
        ok, path = self.out("ok.h5"), os.path.join(self.dir, "ok.json")
        with open(path, "w") as f:
            json.dump({"plugin": RHSFAIL, "t_span": [0, 3], "y0": [1, 0],
                       "params": {"t_f": 10, "code": -7}, "t_eval": [0, 1, 2, 3],
                       "ensemble": {"zip": {"params.t_f": [10, 11, 12]}}}, f)
        p = run([path, "-o", ok])
        self.assertEqual(p.returncode, 0, p.stderr)
        with h5py.File(ok, "r") as f:
            msgs = [m.decode() for m in f["members/message"][()]]
            self.assertEqual(len(set(msgs)), 1)
            self.assertEqual([m.decode() for m in f["info/message"][()]], msgs)
            self.assertEqual(f["info/message"].dtype.itemsize, len(msgs[0].encode()))

    def assert_spec_error(self, args, *fragments, stdin=None):
        out = self.out("never.h5")
        p = run(args + ["-o", out], input=stdin)
        self.assertEqual(p.returncode, 2, p.stderr)
        for frag in fragments:
            self.assertIn(frag, p.stderr)
        self.assertFalse(os.path.exists(out))
        self.assertEqual([n for n in os.listdir(self.dir) if n.startswith(".")], [])

    def test_invalid_members(self):
        spec = self.spec("bad.json", ensemble={"grid": {"params.omega": [1, 2, "x"]}})
        self.assert_spec_error([spec], "member 2: $.params.omega: must be a number")
        spec = self.spec("bad2.json", ensemble={"grid": {"method": ["RK45"]}})
        self.assert_spec_error([spec], "override 'method': a member may not override")
        spec = self.spec("bad3.json", ensemble={"grid": {"params.nope": [1]}})
        self.assert_spec_error([spec], "'nope' is not a parameter")
        spec = self.spec("bad4.json", ensemble={"zip": {"y0[0]": [1, 2], "rtol": [1e-3]}})
        self.assert_spec_error([spec], "zip takes arrays of equal length")
        spec = self.spec("bad5.json", ensemble={"grid": {"t_span": [[0, 1], [2, 2]]}})
        self.assert_spec_error([spec], "member 1: $.t_span: the ends must differ")

    def test_fast_path_members_agree_with_full_validation(self):
        # members overriding only numbers at params/y0[i]/rtol/atol skip rebuilding the spec;
        # their errors (first in the validator's order y0, params, rtol, atol) and stored
        # overrides text must be those of the full validation
        spec = self.spec(
            "f1.json", ensemble={"zip": {"rtol": [-1], "atol": [-2], "params.omega": {"logspace": [400, 401, 1]}, "y0[1]": {"logspace": [400, 401, 1]}}})
        self.assert_spec_error([spec], "member 0: $.y0[1]: must be a finite number, got inf")
        spec = self.spec("f2.json", ensemble={"zip": {"atol": [-2], "rtol": [0]}})
        self.assert_spec_error([spec], "member 0: $.rtol: must be > 0, got 0")
        nd = os.path.join(self.dir, "m.ndjson")
        with open(nd, "w") as f:
            f.write('{"y0[0]": 0.30000000000000004, "rtol": 1e-9}\n{"y0": [0.30000000000000004, 0]}\n'
                    '{"atol": 5e-324, "y0[1]": -0.0, "y0[01]": 2}\n{}\n')
        base = self.spec("base.json")
        out = self.out("f.h5")
        r = run([base, "-q", "--members", nd, "-o", out])
        self.assertEqual(r.returncode, 0, r.stderr)
        with h5py.File(out, "r") as f:
            ov = [x.decode() if isinstance(x, bytes) else x for x in f["members/overrides"][()]]
            y0 = f["members/y0"][()]
        self.assertEqual(ov, ['{"y0[0]":0.30000000000000004,"rtol":1e-09}',
                              '{"y0":[0.30000000000000004,0]}',
                              '{"atol":4.94065645841247e-324,"y0[1]":-0,"y0[01]":2}', "{}"])
        self.assertEqual(y0[0, 0], 0.30000000000000004)
        self.assertEqual(y0[1, 0], 0.30000000000000004)
        self.assertEqual(y0[2, 1], 2.0)

    def test_tables(self):
        base = self.spec("base.json", t_eval=[0, 1, 2])
        csv = os.path.join(self.dir, "m.csv")
        with open(csv, "w") as f:
            f.write('params.omega,y0\n1,"[1,0]"\n2,"[1,0,3]"\n')
        self.assert_spec_error([base, "--members", csv], "m.csv:3: member 1: $.y0: a member must keep")
        with open(csv, "w") as f:
            f.write("params.omega,methodx\n1,2\n")
        self.assert_spec_error([base, "--members", csv], "m.csv:1:14: header: override 'methodx'")
        with open(csv, "w") as f:
            f.write("params.omega,y0[1]\n1,0\n\n2\n")
        self.assert_spec_error([base, "--members", csv],
                               "m.csv:4: member 1: the row has 1 fields, the header has 2")
        with open(csv, "w") as f:
            f.write("params.omega\n1\nabc\n")
        self.assert_spec_error([base, "--members", csv], "m.csv:3:1: member 1: column 'params.omega': 'abc'")
        nd = os.path.join(self.dir, "m.ndjson")
        with open(nd, "w") as f:
            f.write('{"params.omega": 1}\n\n{"params.omega": 2,, }\n')
        self.assert_spec_error([base, "--members", nd], "m.ndjson:3:", "syntax error", "(member 1)")
        # a good table from stdin (NDJSON) and from a file (CSV) give the same members
        rows = [{"params.omega": 0.75, "y0[0]": 2}, {"params.omega": 1.25, "y0[0]": 3}]
        out1, out2 = self.out("a.h5"), self.out("b.h5")
        p = run([base, "-q", "-o", out1, "--members", "-"],
                input="".join(json.dumps(r) + "\n" for r in rows))
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(csv, "w") as f:
            f.write('params.omega,"y0[0]"\r\n0.75,2\r\n1.25,3\r\n')
        p = run([base, "-q", "-o", out2, "--members", csv])
        self.assertEqual(p.returncode, 0, p.stderr)
        a, b = read_all(out1), read_all(out2)
        for key in a:
            self.assertTrue(same(a[key], b[key]), key)
        self.assertEqual(a["members/y0"].tolist(), [[2, 0], [3, 0]])
        for k, ov in enumerate(rows):
            self.assert_member_equals_single(out1, k, base, ov, True)

    def peak_rss_kb(self, args):
        code = ("import resource,subprocess,sys;"
                "p=subprocess.run(sys.argv[1:]);"
                "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss);"
                "sys.exit(p.returncode)")
        # One malloc arena: with -j 2 the file is written from whichever worker thread outputs
        # the next member, and glibc gives each thread its own arena, so HDF5's metadata cache
        # ends up spread over two; their retained free memory differs from run to run by about
        # a MiB either way, whatever K is, which would drown the growth measured here.
        env = dict(os.environ, MALLOC_ARENA_MAX="1")
        p = subprocess.run([sys.executable, "-c", code, IVP] + args,
                           capture_output=True, text=True, timeout=600, env=env)
        self.assertEqual(p.returncode, 0, p.stderr)
        return int(p.stdout.split()[-1])

    def test_memory_bounded_in_k(self):
        # Peak RSS of `ivp run` less that of `ivp validate` (which holds the spec and the
        # members' own table, ~50 bytes a member here): what solving and writing cost. It must
        # not grow with K. (Under AddressSanitizer peak RSS measures its quarantine instead:
        # the bound is checked in the plain builds; the run itself still is here.)
        sanitized = os.environ.get("IVP_SANITIZED") == "1"
        over = {}
        for K in (50000, 200000):
            spec = self.spec("k%d.json" % K, t_span=[0, 0.1], t_eval=[0, 0.05, 0.1],
                             ensemble={"grid": {"params.omega": {"linspace": [0.5, 2, K]}}})
            out = self.out("k%d.h5" % K)
            run_kb = self.peak_rss_kb(["run", spec, "-q", "-o", out, "-j", "2"])
            val_kb = self.peak_rss_kb(["validate", spec])
            over[K] = run_kb - val_kb
            with h5py.File(out, "r") as f:
                self.assertEqual(f["y"].shape, (K, 2, 3))
                self.assertEqual(int(np.sum(f["members/status"][()] != 0)), 0)
                assert_info_copies(self, f)  # columns of several chunks each
        if not sanitized:
            self.assertLess(over[200000] - over[50000], 2048, over)

    def test_interrupt_keeps_finished_members(self):
        path = os.path.join(self.dir, "slow.json")
        with open(path, "w") as f:
            json.dump({"plugin": SLOW, "t_span": [0, 1], "y0": [1], "params": {"delay": 0.002},
                       "t_eval": [0, 0.5, 1], "max_step": 0.05,
                       "ensemble": {"grid": {"y0[0]": {"linspace": [1, 2, 400]}}}}, f)
        out = self.out("slow.h5")
        proc = subprocess.Popen([IVP, "run", path, "-o", out, "-j", "2"], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        time.sleep(1.5)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
        self.assertEqual(proc.returncode, 130, err)
        with h5py.File(out, "r") as f:
            st = f["members/status"][()]
            self.assertEqual(len(st), 400)
            done = np.flatnonzero(st == 0)
            self.assertGreater(len(done), 0)
            self.assertTrue(np.all(st[done.max() + 1:] == -2))
            self.assertTrue(np.all(np.isin(st, [0, -2])))
            self.assertEqual(int(f.attrs["n_interrupted"]), int(np.sum(st == -2)))
            self.assertEqual(f["members/message"][-1].decode(),
                             "interrupted before this member was started")


if __name__ == "__main__":
    unittest.main(verbosity=2)
