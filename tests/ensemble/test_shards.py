#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""tests/ensemble/test_shards.py - ensembles split and resumed (contracts.md section 5):
`ivp run --shard I/N|auto` and `ivp merge` give the file one run gives (whatever -j); merge
refuses incomplete, duplicated and mismatched sets naming what is wrong; --resume after SIGINT
or a failed member gives the uninterrupted run's file and solves only what it must; bad
--shard values; `ivp validate --members`; LSODA's per-member statistics; the plugin's event
order (the event groups' index, direction, terminal and /info/event_names) kept through
shards, merge and --resume; the Slurm example script in examples/slurm runs as a job array
would run it.
Environment (from ivp_add_python_test): IVP_BIN, IVP_SOURCE_DIR, IVP_CACHE_DIR.
"""
import json
import os
import shutil
import signal
import subprocess
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
OSC3 = os.path.join(SRC, "tests", "loaders", "plugins", "osc3.c")  # events not alphabetical
TIMING = {"solve_seconds"}
NO_SLURM = {k: v for k, v in os.environ.items() if not k.startswith("SLURM_")}


def ivp(args, env=None, **kw):
    return subprocess.run([IVP] + args, capture_output=True, text=True, timeout=300,
                          env=env if env is not None else NO_SLURM, **kw)


def read_all(path, skip=()):
    """Every dataset and attribute of the file, as {path: value}, timing and skip left out."""
    out = {}
    with h5py.File(path, "r") as f:
        for k, v in f.attrs.items():
            if k not in skip:
                out["@" + k] = v
        def visit(name, obj):
            for k, v in obj.attrs.items():
                out[name + "@" + k] = v
            if isinstance(obj, h5py.Dataset) and name.split("/")[-1] not in TIMING:
                out[name] = obj[()]
        f.visititems(visit)
    return out


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


def same(a, b):
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        if a.dtype.kind == "f":
            return a.shape == b.shape and np.array_equal(a.view(np.uint64), b.view(np.uint64))
        return a.shape == b.shape and np.array_equal(a, b)
    return a == b


class Shards(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="ivp-shards-")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def path(self, name):
        return os.path.join(self.dir, name)

    def spec(self, name, spec):
        with open(self.path(name), "w") as f:
            json.dump(spec, f)
        return self.path(name)

    def osc(self, name, **kw):
        base = {"plugin": OSC, "t_span": [0, 4], "y0": [1, 0], "params": {"omega": 1.5}}
        base.update(kw)
        return self.spec(name, base)

    def assert_same_file(self, a, b, skip=()):
        fa, fb = read_all(a, skip), read_all(b, skip)
        self.assertEqual(sorted(fa), sorted(fb))
        for key in fa:
            self.assertTrue(same(fa[key], fb[key]), "%s: %s differs from %s" % (key, a, b))

    def test_shards_merge_to_the_single_run(self):
        for layout in ("ragged", "stacked"):
            with self.subTest(layout=layout):
                kw = {"method": "LSODA", "dense_output": True, "rtol": 1e-7, "atol": 1e-9,
                      "events": {"zero": {"terminal": False, "direction": 0}},
                      "ensemble": {"grid": {"params.omega": {"linspace": [0.5, 3, 11]}}}}
                if layout == "stacked":
                    kw["t_eval"] = {"linspace": [0, 4, 17]}
                else:
                    kw["ensemble"]["zip"] = {"t_span[1]": [3, 4]}
                spec = self.osc("scan.json", **kw)
                single = self.path("single.h5")
                p = ivp(["run", spec, "-q", "-j", "2", "-o", single])
                self.assertEqual(p.returncode, 0, p.stderr)
                K = 22 if layout == "ragged" else 11
                with h5py.File(single, "r") as f:
                    self.assertEqual(f.attrs["layout"], layout)
                    self.assertEqual(len(f["members/status"]), K)
                    self.assertNotIn("shard", f.attrs)
                # 3 shards with different -j, the default names
                for i, j in ((0, 1), (1, 2), (2, 3)):
                    p = ivp(["run", spec, "-q", "--shard", "%d/3" % i, "-j", str(j)],
                            cwd=self.dir)
                    self.assertEqual(p.returncode, 0, p.stderr)
                blocks = [(0, K // 3), (K // 3, 2 * K // 3), (2 * K // 3, K)]
                names = [self.path("scan-shard-%d-of-3.h5" % i) for i in range(3)]
                for i, name in enumerate(names):
                    with h5py.File(name, "r") as f:
                        lo, hi = blocks[i]
                        self.assertEqual(f.attrs["shard"], "%d/3" % i)
                        self.assertEqual(int(f.attrs["member_offset"]), lo)
                        self.assertEqual(int(f.attrs["ensemble_members"]), K)
                        self.assertEqual(int(f.attrs["n_members"]), hi - lo)
                        self.assertEqual(len(f["members/status"]), hi - lo)
                        mem = f["events/zero/member"][()]
                        self.assertTrue(len(mem) > 0 and mem.min() >= lo and mem.max() < hi)
                merged = self.path("merged.h5")
                p = ivp(["merge", names[2], names[0], names[1], "-o", merged])
                self.assertEqual(p.returncode, 0, p.stderr)
                self.assertIn("merged 3 shards, %d members" % K, p.stderr)
                self.assert_same_file(single, merged)
                for name in names:
                    os.unlink(name)

    def test_event_order_recorded_and_merged(self):
        """osc3's events are "zero", "half", "apex" (not alphabetical): the ensemble file's
        event groups carry index, direction and terminal as a single run's do, /info has the
        names in that order, and the merged shards equal the single run with them; shards
        whose orders disagree are refused naming the shard; shards from before ivp recorded
        the order still merge."""
        ev = {"zero": {"direction": -1}, "half": {"direction": 1}, "apex": {"terminal": 4}}
        base = {"plugin": OSC3, "t_span": [0, 10], "y0": [1, 0], "params": {"omega": 2},
                "method": "RK45", "rtol": 1e-8, "atol": 1e-10, "dense_output": True,
                "events": ev}
        spec = self.spec("o3.json", dict(base, ensemble={
            "grid": {"params.omega": [0.5, 1, 1.5, 2, 2.5, 3, 3.5]}}))
        want = {"zero": (0, -1, 0), "half": (1, 1, 0), "apex": (2, 0, 4)}
        single = self.path("o3.h5")
        p = ivp(["run", spec, "-q", "-j", "2", "-o", single])
        self.assertEqual(p.returncode, 0, p.stderr)
        one = self.path("one.h5")  # a single run of the base spec: the same conventions
        p = ivp(["run", self.spec("o3one.json", base), "-q", "-o", one])
        self.assertEqual(p.returncode, 0, p.stderr)
        with h5py.File(single, "r") as f, h5py.File(one, "r") as s:
            self.assertEqual(sorted(f["events"]), ["apex", "half", "zero"])
            for name, (i, d, t) in want.items():
                a = f["events"][name].attrs
                got = (a["index"], a["direction"], a["terminal"])
                self.assertEqual(got, (i, d, t), name)
                self.assertEqual([v.dtype for v in got], [np.dtype("<i8")] * 3, name)
                sa = s["events"][name].attrs
                self.assertEqual(got, (sa["index"], sa["direction"], sa["terminal"]), name)
            self.assertEqual(f["info/event_names"][()].tolist(), [b"zero", b"half", b"apex"])
            self.assertEqual(f["info/event_names"][()].tolist(),
                             s["info/event_names"][()].tolist())
            self.assertEqual(f["info/event_names"].dtype, s["info/event_names"].dtype)
            self.assertEqual(f.attrs["format_version"], 1)
            st = f["members/status"][()]
            self.assertIn(1, st)  # some members stop at the 4th apex, some reach the end
            self.assertIn(0, st)
            self.assertTrue(all(len(f["events"][e]["t"]) > 0 for e in want))
        names = self.make_shards(spec, 3, ["-j", "1"])
        with h5py.File(names[1], "r") as f:
            self.assertEqual(f["info/event_names"][()].tolist(), [b"zero", b"half", b"apex"])
            self.assertEqual(f["info/member_offset"][()], f.attrs["member_offset"])
            self.assertEqual(f["events/apex"].attrs["terminal"], 4)
        merged = self.path("merged.h5")
        p = ivp(["merge", names[1], names[2], names[0], "-o", merged])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assert_same_file(single, merged)
        with h5py.File(merged, "r") as f:
            self.assertEqual(f["events/half"].attrs["index"], 1)
            self.assertNotIn("member_offset", f["info"])
        # a shard whose events are in another order: refused, naming it
        bad = self.path("bad.h5")
        shutil.copy(names[2], bad)
        with h5py.File(bad, "r+") as f:
            f["events/zero"].attrs["index"] = np.int64(1)
            f["events/half"].attrs["index"] = np.int64(0)
        self.assert_refused(["merge", names[0], names[1], bad], "bad.h5",
                            "the order of the events")
        # or another direction
        shutil.copy(names[2], bad)
        with h5py.File(bad, "r+") as f:
            f["events/half"].attrs["direction"] = np.int64(-1)
        self.assert_refused(["merge", names[0], names[1], bad], "bad.h5",
                            "the order of the events")
        # shards written before ivp recorded the order: alphabetical, as then
        old = []
        for k, name in enumerate(names):
            old.append(self.path("old%d.h5" % k))
            shutil.copy(name, old[-1])
            with h5py.File(old[-1], "r+") as f:
                for g in f["events"].values():
                    for a in ("index", "direction", "terminal"):
                        del g.attrs[a]
                del f["info/event_names"]
                del f["info/member_offset"]
        merged_old = self.path("merged_old.h5")
        p = ivp(["merge", old[0], old[1], old[2], "-o", merged_old])
        self.assertEqual(p.returncode, 0, p.stderr)
        fs, fo = read_all(single), read_all(merged_old)
        extra = sorted(set(fs) - set(fo))
        self.assertEqual(extra, ["events/%s@%s" % (e, a) for e in ("apex", "half", "zero")
                                 for a in ("direction", "index", "terminal")]
                         + ["info/event_names"])
        self.assertEqual(sorted(fo), sorted(set(fs) - set(extra)))
        for key in fo:
            self.assertTrue(same(fs[key], fo[key]), key)
        # one old shard among new ones: the order the others record
        p = ivp(["merge", names[0], old[1], names[2], "-o", self.path("mixed.h5")])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assert_same_file(single, self.path("mixed.h5"))
        # --resume on an old file: kept members read by name, the new file in plugin order
        resumed = self.path("resumed.h5")
        shutil.copy(single, resumed)
        with h5py.File(resumed, "r+") as f:
            for g in f["events"].values():
                for a in ("index", "direction", "terminal"):
                    del g.attrs[a]
            del f["info/event_names"]
            st = f["members/status"][()]
            st[[1, 4]] = -1
            f["members/status"][()] = st
        p = ivp(["run", spec, "-o", resumed, "--resume", "-j", "2"])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("resumed: 5 kept, 2 solved", p.stderr)
        self.assert_same_file(single, resumed)

    def make_shards(self, spec, n, extra=(), prefix="s"):
        names = []
        for i in range(n):
            out = self.path("%s%d-%d.h5" % (prefix, i, n))
            p = ivp(["run", spec, "-q", "--shard", "%d/%d" % (i, n), "-o", out] + list(extra))
            self.assertEqual(p.returncode, 0, p.stderr)
            names.append(out)
        return names

    def assert_refused(self, args, *fragments):
        out = self.path("never.h5")
        p = ivp(args + ["-o", out])
        self.assertEqual(p.returncode, 2, p.stderr)
        for frag in fragments:
            self.assertIn(frag, p.stderr)
        self.assertFalse(os.path.exists(out))
        self.assertEqual([n for n in os.listdir(self.dir) if n.startswith(".")], [])

    def test_merge_refuses_incomplete_and_mismatched_sets(self):
        spec = self.osc("m.json", t_eval=[0, 1, 2],
                        ensemble={"grid": {"params.omega": {"linspace": [1, 2, 9]}}})
        s3 = self.make_shards(spec, 3)
        s4 = self.make_shards(spec, 4)
        self.assert_refused(["merge", s3[0], s3[2]], "1 of the 3 shards is missing: 1/3")
        self.assert_refused(["merge", s4[1]], "3 of the 4 shards are missing: 0/4, 2/4, 3/4")
        self.assert_refused(["merge", s3[0], s3[1], s3[1], s3[2]], "shard 1/3 is given twice")
        self.assert_refused(["merge", s3[0], s3[1], s4[2]], "the number of shards differs")
        other = self.make_shards(spec, 3, ["--set", "rtol=1e-5"], prefix="other")
        self.assert_refused(["merge", s3[0], other[1], s3[2]], "the problem", "differs",
                            os.path.basename(other[1]))
        spec2 = self.osc("m2.json", t_eval=[0, 1, 2],
                         ensemble={"grid": {"params.omega": {"linspace": [1, 2, 10]}}})
        s10 = self.make_shards(spec2, 3, prefix="ten")
        self.assert_refused(["merge", s3[0], s10[1], s3[2]], "members of the ensemble differs")
        single = self.path("whole.h5")
        self.assertEqual(ivp(["run", spec, "-q", "-o", single]).returncode, 0)
        self.assert_refused(["merge", single], "is not a shard file")
        self.assert_refused(["merge", spec], "m.json")
        self.assert_refused(["merge", s3[0]], "2 of the 3 shards are missing: 1/3, 2/3")
        p = ivp(["merge", s3[0], s3[1], s3[2]])
        self.assertEqual(p.returncode, 2)
        self.assertIn("-o OUT.h5", p.stderr)
        # the complete set, in any order, is accepted
        out = self.path("ok.h5")
        p = ivp(["merge", s4[3], s4[1], s4[0], s4[2], "-o", out])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assert_same_file(single, out)

    def test_bad_shard_values(self):
        spec = self.osc("b.json", ensemble={"grid": {"params.omega": [1, 2, 3, 4]}})
        for value, frag in (("3/3", "below N"), ("1/0", "expected I/N"), ("x", "expected I/N"),
                            ("-1/2", "expected I/N"), ("1/2/3", "expected I/N"),
                            ("/2", "expected I/N"), ("1/", "expected I/N"),
                            ("auto", "SLURM_ARRAY_TASK_ID is not set")):
            with self.subTest(value=value):
                self.assert_refused(["run", spec, "--shard", value], frag)
        self.assert_refused(["run", spec, "--shard", "1/5"], "only 4 members")
        env = dict(NO_SLURM, SLURM_ARRAY_TASK_ID="7", SLURM_ARRAY_TASK_MIN="0",
                   SLURM_ARRAY_TASK_MAX="3")
        p = ivp(["run", spec, "--shard", "auto", "-o", self.path("never.h5")], env=env)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("SLURM_ARRAY_TASK_ID 7 is not one of the tasks 0-3", p.stderr)
        single = self.osc("single.json")
        self.assert_refused(["run", single, "--shard", "0/2"], "apply to ensembles")
        self.assert_refused(["run", single, "--resume"], "apply to ensembles")

    def test_shard_auto_from_slurm_array(self):
        spec = self.osc("a.json", t_eval=[0, 1, 2, 3],
                        ensemble={"grid": {"params.omega": {"linspace": [1, 2, 10]}}})
        whole = self.path("whole.h5")
        self.assertEqual(ivp(["run", spec, "-q", "-o", whole]).returncode, 0)
        # --array=4-10:3 gives the tasks 4, 7, 10: blocks 0, 1, 2 of 3
        names = []
        for task, block in ((10, 2), (4, 0), (7, 1)):
            env = dict(NO_SLURM, SLURM_ARRAY_TASK_ID=str(task), SLURM_ARRAY_TASK_MIN="4",
                       SLURM_ARRAY_TASK_MAX="10", SLURM_ARRAY_TASK_STEP="3")
            out = self.path("t%d.h5" % task)
            p = ivp(["run", spec, "-q", "--shard", "auto", "-o", out], env=env)
            self.assertEqual(p.returncode, 0, p.stderr)
            with h5py.File(out, "r") as f:
                self.assertEqual(f.attrs["shard"], "%d/3" % block)
            names.append(out)
        # the plain --array=0-1 form, with the default output name
        env = dict(NO_SLURM, SLURM_ARRAY_TASK_ID="1", SLURM_ARRAY_TASK_MIN="0",
                   SLURM_ARRAY_TASK_MAX="1")
        p = ivp(["run", spec, "-q", "--shard", "auto"], env=env, cwd=self.dir)
        self.assertEqual(p.returncode, 0, p.stderr)
        with h5py.File(self.path("a-shard-1-of-2.h5"), "r") as f:
            self.assertEqual(f.attrs["shard"], "1/2")
            self.assertEqual(f["members/y0"].shape, (5, 2))
        merged = self.path("merged.h5")
        p = ivp(["merge"] + names + ["-o", merged])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assert_same_file(whole, merged)

    def test_resume_after_sigint_equals_uninterrupted_run(self):
        spec = self.spec("slow.json", {
            "plugin": SLOW, "t_span": [0, 1], "y0": [1], "params": {"delay": 0.002},
            "t_eval": [0, 0.5, 1], "max_step": 0.05, "method": "RK45",
            "ensemble": {"grid": {"y0[0]": {"linspace": [1, 2, 36]}}}})
        whole = self.path("whole.h5")
        p = ivp(["run", spec, "-q", "-j", "2", "-o", whole])
        self.assertEqual(p.returncode, 0, p.stderr)
        out = self.path("part.h5")
        proc = subprocess.Popen([IVP, "run", spec, "-o", out, "-j", "2"], env=NO_SLURM,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(1.0)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=120)
        self.assertEqual(proc.returncode, 130, err)
        self.assertIn("--resume", err)
        with h5py.File(out, "r") as f:
            st = f["members/status"][()]
        done = int(np.sum(st == 0))
        self.assertGreater(done, 0)
        self.assertGreater(int(np.sum(st == -2)), 0)
        p = ivp(["run", spec, "-o", out, "-j", "2", "--resume"])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("resumed: %d kept, %d solved" % (done, 36 - done), p.stderr)
        self.assert_same_file(whole, out)
        # nothing left to do: every member kept, the same file again
        p = ivp(["run", spec, "-o", out, "--resume"])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("resumed: 36 kept, 0 solved", p.stderr)
        self.assert_same_file(whole, out)

    def test_resume_reruns_failed_members_and_keeps_the_rest(self):
        spec = self.spec("fail.json", {
            "plugin": RHSFAIL, "t_span": [0, 3], "y0": [1, 0], "method": "LSODA",
            "params": {"t_f": 10, "code": -7},
            "ensemble": {"zip": {"params.t_f": [10, 1.5, 10, 2.5]}}})
        out = self.path("fail.h5")
        p = ivp(["run", spec, "-o", out, "-j", "2"])
        self.assertEqual(p.returncode, 1, p.stderr)
        first = read_all(out)
        self.assertEqual(first["members/status"].tolist(), [0, -1, 0, -1])
        with h5py.File(out, "r") as f:
            secs = f["members/solve_seconds"][()]
        p = ivp(["run", spec, "-o", out, "-j", "2", "--resume"])
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("resumed: 2 kept, 2 solved", p.stderr)
        self.assertIn("2 of 4 members failed", p.stderr)
        again = read_all(out)
        self.assertEqual(sorted(first), sorted(again))
        for key in first:
            self.assertTrue(same(first[key], again[key]), key)
        with h5py.File(out, "r") as f:
            # kept members are copied with their own timings
            self.assertTrue(same(f["members/solve_seconds"][()][[0, 2]], secs[[0, 2]]))

    def test_resume_interleaves_kept_and_solved_members(self):
        # events (the plugin's order is not the file's name order) and dense output copied
        for layout in ("ragged", "stacked"):
            with self.subTest(layout=layout):
                kw = {"method": "DOP853", "dense_output": True,
                      "events": {"zero": {"terminal": False, "direction": 0},
                                 "half": {"terminal": 2}},
                      "ensemble": {"grid": {"params.omega": {"linspace": [0.5, 3, 7]}}}}
                if layout == "stacked":
                    kw["t_eval"] = [0, 1, 2, 3, 4]
                spec = self.osc("ev.json", **kw)
                whole = self.path("whole.h5")
                self.assertEqual(ivp(["run", spec, "-q", "-o", whole]).returncode, 0)
                out = self.path("ev.h5")
                shutil.copy(whole, out)
                with h5py.File(out, "r+") as f:
                    st = f["members/status"][()]
                    st[[0, 3, 4, 6]] = [-1, -2, -1, -2]
                    f["members/status"][()] = st
                p = ivp(["run", spec, "-o", out, "--resume", "-j", "2"])
                self.assertEqual(p.returncode, 0, p.stderr)
                self.assertIn("resumed: 3 kept, 4 solved", p.stderr)
                self.assert_same_file(whole, out)

    def test_resume_refuses_another_run(self):
        spec = self.osc("r.json", t_eval=[0, 1, 2],
                        ensemble={"grid": {"params.omega": [1, 2, 3]}})
        out = self.path("r.h5")
        self.assertEqual(ivp(["run", spec, "-q", "-o", out]).returncode, 0)
        before = read_bytes(out)
        for args, frag in ((["--set", "rtol=1e-4"], "the problem"),
                           (["--shard", "0/2"], "the shard")):
            with self.subTest(args=args):
                p = ivp(["run", spec, "-o", out, "--resume"] + args)
                self.assertEqual(p.returncode, 2, p.stderr)
                self.assertIn(frag, p.stderr)
                self.assertIn("written by another run", p.stderr)
                self.assertEqual(read_bytes(out), before)
        # another table of members for the same plain spec
        plain = self.osc("plain.json", t_eval=[0, 1, 2])
        tab = self.path("t.ndjson")
        with open(tab, "w") as f:
            f.write('{"params.omega": 1}\n{"params.omega": 2}\n')
        out2 = self.path("t.h5")
        self.assertEqual(ivp(["run", plain, "-q", "-o", out2, "--members", tab]).returncode, 0)
        with open(tab, "w") as f:
            f.write('{"params.omega": 1}\n')
        p = ivp(["run", plain, "-o", out2, "--members", tab, "--resume"])
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("the number of members differs", p.stderr)
        # same problem and size, other members: caught at the first kept member
        with h5py.File(out, "r+") as f:
            f["members/status"][1] = -1
        before = read_bytes(out)
        spec2 = self.osc("r.json", t_eval=[0, 1, 2],
                         ensemble={"grid": {"params.omega": [1, 2, 4]}})
        p = ivp(["run", spec2, "-o", out, "--resume"])
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("member 2 of the existing file has the overrides", p.stderr)
        self.assertEqual(read_bytes(out), before)
        with open(self.path("junk.h5"), "w") as f:
            f.write("not hdf5")
        p = ivp(["run", spec, "-o", self.path("junk.h5"), "--resume"])
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("junk.h5", p.stderr)
        # no file yet: --resume solves everything
        fresh = self.path("fresh.h5")
        p = ivp(["run", spec, "-q", "-o", fresh, "--resume"])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(read_bytes(out), before)

    def test_validate_members(self):
        base = self.osc("v.json", t_eval=[0, 1])
        csv = self.path("m.csv")
        with open(csv, "w") as f:
            f.write("params.omega,y0[0]\n1,2\n3,4\n5,6\n")
        p = ivp(["validate", base, "--members", csv])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("ensemble of 3 members", p.stdout)
        with open(csv, "w") as f:
            f.write("params.omega\n1\nabc\n")
        p = ivp(["validate", base, "--members", csv])
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("m.csv:3:1: member 1: column 'params.omega': 'abc'", p.stderr)
        p = ivp(["validate", base, "--members", "-"], input='{"params.omega": 2}\n')
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("ensemble of 1 members", p.stdout)

    def test_lsoda_statistics_per_member(self):
        kw = {"method": "LSODA", "t_span": [0, 3000], "y0": [2, 0], "params": {"mu": 1},
              "plugin": os.path.join(SRC, "plugins", "vanderpol.c"), "rtol": 1e-6}
        base = self.spec("base.json", kw)
        spec = self.spec("stiff.json", dict(kw, ensemble={"grid": {"params.mu": [1, 1000]}}))
        out = self.path("stiff.h5")
        p = ivp(["run", spec, "-q", "-o", out])
        self.assertEqual(p.returncode, 0, p.stderr)
        with h5py.File(out, "r") as f:
            for k, mu in enumerate((1, 1000)):
                one = self.path("one.h5")
                p = ivp(["run", base, "-q", "-o", one, "--set", "params.mu=%d" % mu])
                self.assertEqual(p.returncode, 0, p.stderr)
                with h5py.File(one, "r") as s:
                    for stat in ("n_steps_adams", "n_steps_bdf", "n_switches"):
                        self.assertEqual(f["members/" + stat].dtype, np.int64)
                        self.assertEqual(int(f["members/" + stat][k]), int(s.attrs[stat]), stat)
            adams, bdf = f["members/n_steps_adams"][()], f["members/n_steps_bdf"][()]
            self.assertTrue(np.array_equal(adams + bdf, f["members/n_steps"][()]))
            self.assertGreater(int(bdf[1]), 0)  # mu = 1000 is stiff: BDF steps
        # other methods report none
        out2 = self.path("rk.h5")
        p = ivp(["run", spec, "-q", "-o", out2, "--method", "RK45", "--set", "t_span=[0,1]"])
        self.assertEqual(p.returncode, 0, p.stderr)
        with h5py.File(out2, "r") as f:
            self.assertNotIn("n_steps_adams", f["members"])

    def test_slurm_example_script(self):
        script = os.path.join(SRC, "examples", "slurm", "scan.sbatch")
        p = subprocess.run(["bash", "-n", script], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(script) as f:
            text = f.read()
        self.assertIn("#SBATCH --array=0-3", text)
        # the script and spec as in the repository, run as the 4 array tasks would run them
        work = os.path.join(self.dir, "examples", "slurm")
        os.makedirs(work)
        os.makedirs(os.path.join(self.dir, "plugins"))
        shutil.copy(os.path.join(SRC, "plugins", "vanderpol.c"), os.path.join(self.dir, "plugins"))
        shutil.copy(os.path.join(SRC, "examples", "slurm", "scan.json"), work)
        shutil.copy(script, work)
        for task in (2, 0, 3, 1):
            env = dict(NO_SLURM, SLURM_ARRAY_TASK_ID=str(task), SLURM_ARRAY_TASK_MIN="0",
                       SLURM_ARRAY_TASK_MAX="3", SLURM_SUBMIT_DIR=work,
                       SLURM_CPUS_PER_TASK="2", IVP=IVP)
            p = subprocess.run(["bash", os.path.join(work, "scan.sbatch")], env=env,
                               cwd=self.dir, capture_output=True, text=True, timeout=300)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertEqual(os.path.exists(os.path.join(work, "scan.h5")), task == 1)
        single = os.path.join(work, "single.h5")
        p = ivp(["run", os.path.join(work, "scan.json"), "-q", "-o", single])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assert_same_file(single, os.path.join(work, "scan.h5"))
        with h5py.File(single, "r") as f:
            self.assertEqual(f["y"].shape, (80, 2, 201))


if __name__ == "__main__":
    unittest.main(verbosity=2)
