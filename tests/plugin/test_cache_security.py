# SPDX-License-Identifier: MIT
"""tests/plugin/test_cache_security.py - the plugin cache as the ivp program uses it (issue #6).

- Privacy: the cache is created 0700; a cache folder, a folder above it, include/, plugins/ or
  a cached object that another user could have written is refused (exit 3, naming the path and
  what is wrong) and never loaded.
- Concurrency: many cold-cache jobs at once run the compiler exactly once.
- Damage: a truncated or non-ELF cached object is built again.
- The compiler runs under a time limit (IVP_BUILD_TIMEOUT) and is stopped, with its process
  group, on SIGINT/SIGTERM/SIGHUP: exit 130, no .ivp-build.* folder left, no compiler left.
- validate refuses plugin names that run could not write (exit 3, naming the symbol).

Environment (from ivp_add_python_test): IVP_BIN, IVP_BUILD_DIR. Everything happens in a scratch
folder in the build tree; the compiler is the system's cc, through small wrapper scripts.
"""

import glob
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
import unittest

IVP = os.environ.get("IVP_BIN", "ivp")
BUILD_DIR = os.environ.get("IVP_BUILD_DIR", os.getcwd())
SCRATCH = os.path.join(BUILD_DIR, "tests", "plugin", "work-cache-security")
NOBODY = 65534

DECAY = """#include "ivp_plugin.h"
IVP_PLUGIN_ABI;
const char *const ivp_param_names[] = {"k", NULL};
const char *const ivp_event_names[] = {%s, NULL};
/* %s */
int rhs(double t, const double *y, double *dydt, const ivp_ctx *ctx)
{ (void)t; dydt[0] = -ctx->p[0] * y[0]; return 0; }
int events(double t, const double *y, double *g, const ivp_ctx *ctx)
{ (void)t; (void)ctx; g[0] = y[0] - 0.5; return 0; }
"""

# A plugin that, once loaded, leaves a marker file: what a planted object would do.
PLANTED = """#include <stdio.h>
#include "ivp_plugin.h"
IVP_PLUGIN_ABI;
const char *const ivp_param_names[] = {"k", NULL};
const char *const ivp_event_names[] = {"half", NULL};
__attribute__((constructor)) static void planted(void)
{ FILE *f = fopen("%s", "w"); if (f) { fputs("ran\\n", f); fclose(f); } }
int rhs(double t, const double *y, double *dydt, const ivp_ctx *ctx)
{ (void)t; dydt[0] = -ctx->p[0] * y[0]; return 0; }
int events(double t, const double *y, double *g, const ivp_ctx *ctx)
{ (void)t; (void)ctx; g[0] = y[0] - 0.5; return 0; }
"""


def write(path, text, mode=None):
    with open(path, "w") as f:
        f.write(text)
    if mode is not None:
        os.chmod(path, mode)


class CacheCase(unittest.TestCase):
    def setUp(self):
        self.dir = os.path.join(SCRATCH, self.id().rsplit(".", 1)[-1])
        if os.path.exists(self.dir):
            shutil.rmtree(self.dir)
        os.makedirs(self.dir)
        os.chmod(self.dir, 0o755)
        self.cache = os.path.join(self.dir, "cache")
        self.src = os.path.join(self.dir, "decay.c")
        write(self.src, DECAY % ('"half"', "plain"))
        self.spec = self.make_spec(self.src)

    def make_spec(self, plugin, name="decay.json"):
        path = os.path.join(self.dir, name)
        write(path, json.dumps({"plugin": plugin, "t_span": [0, 1], "y0": [1.0],
                                "params": {"k": 2.0}}))
        return path

    def ivp(self, *args, env=None, timeout=120, umask=None):
        e = dict(os.environ)
        e["IVP_CACHE_DIR"] = self.cache
        e.pop("CC", None)
        e.pop("IVP_BUILD_TIMEOUT", None)
        e.update(env or {})
        pre = (lambda: os.umask(umask)) if umask is not None else None
        return subprocess.run([IVP] + list(args), env=e, capture_output=True, text=True,
                              timeout=timeout, preexec_fn=pre)

    def assert_exit(self, r, code, *fragments):
        self.assertEqual(r.returncode, code, "stdout: %s\nstderr: %s" % (r.stdout, r.stderr))
        for frag in fragments:
            self.assertIn(frag, r.stderr)

    def cached_objects(self):
        return sorted(glob.glob(os.path.join(self.cache, "plugins", "*.so")))

    def leftovers(self, folder):
        return glob.glob(os.path.join(folder, ".ivp-build.*"))


class Privacy(CacheCase):
    def test_cache_is_created_private(self):
        # Under umask 002 the old code made group-writable folders and objects.
        r = self.ivp("validate", self.spec, umask=0o002)
        self.assert_exit(r, 0)
        for sub in ["", "include", "plugins", "locks"]:
            mode = stat.S_IMODE(os.stat(os.path.join(self.cache, sub)).st_mode)
            self.assertEqual(mode, 0o700, "%s: mode %o" % (sub or "cache", mode))
        (so,) = self.cached_objects()
        self.assertEqual(stat.S_IMODE(os.stat(so).st_mode) & 0o022, 0)
        # ... and the cache it made is accepted again.
        self.assert_exit(self.ivp("validate", self.spec, umask=0o002), 0)

    def test_writable_cache_folders_are_refused(self):
        self.assert_exit(self.ivp("validate", self.spec), 0)
        for sub, mode in [("", 0o770), ("", 0o707), ("plugins", 0o777), ("include", 0o775),
                          ("locks", 0o722)]:
            path = os.path.join(self.cache, sub) if sub else self.cache
            os.chmod(path, mode)
            r = self.ivp("validate", self.spec)
            self.assert_exit(r, 3, path.rstrip("/") + ": the plugin cache folder is writable by "
                             "group or others (mode %o)" % mode, "IVP_CACHE_DIR")
            os.chmod(path, 0o700)
        self.assert_exit(self.ivp("validate", self.spec), 0)

    def test_writable_folder_above_the_cache_is_refused(self):
        shared = os.path.join(self.dir, "shared")
        os.mkdir(shared)
        os.chmod(shared, 0o777)
        self.cache = os.path.join(shared, "mine")
        r = self.ivp("validate", self.spec)
        self.assert_exit(r, 3, shared + ": this folder above the plugin cache",
                         "writable by group or others (mode 777)")
        self.assertEqual(self.cached_objects(), [])
        os.chmod(shared, 0o1777)  # sticky, as /tmp: others cannot replace our folder
        self.assert_exit(self.ivp("validate", self.spec), 0)

    def test_symbolic_links(self):
        real = os.path.join(self.dir, "real cache")
        os.mkdir(real, 0o700)
        os.symlink(real, self.cache)  # the cache folder itself may be a link to a private one
        self.assert_exit(self.ivp("validate", self.spec), 0)
        self.assertEqual(len(glob.glob(os.path.join(real, "plugins", "*.so"))), 1)
        other = os.path.join(self.dir, "elsewhere")
        os.mkdir(other, 0o700)
        shutil.rmtree(os.path.join(real, "plugins"))
        os.symlink(other, os.path.join(real, "plugins"))  # but not a folder inside it
        r = self.ivp("validate", self.spec)
        self.assert_exit(r, 3, os.path.join(real, "plugins") + ": the plugin cache folder is a "
                         "symbolic link or not a folder")

    def plant(self, marker):
        """Builds PLANTED and puts it in place of the cache entry of self.spec's plugin."""
        self.assert_exit(self.ivp("validate", self.spec), 0)
        (so,) = self.cached_objects()
        evil_src = os.path.join(self.dir, "evil.c")
        evil = os.path.join(self.dir, "evil.so")
        write(evil_src, PLANTED % marker)
        self.assert_exit(self.ivp("build", evil_src, "-o", evil), 0)
        os.replace(evil, so)
        return so

    def test_planted_object_writable_by_others_is_not_loaded(self):
        marker = os.path.join(self.dir, "planted-ran")
        so = self.plant(marker)
        os.chmod(so, 0o777)
        r = self.ivp("validate", self.spec)
        self.assert_exit(r, 3, so + ": the cached plugin is writable by group or others "
                         "(mode 777)", "remove it")
        self.assertFalse(os.path.exists(marker), "the planted object was loaded")
        r = self.ivp("run", self.spec, "-o", os.path.join(self.dir, "out.h5"))
        self.assert_exit(r, 3, so)
        self.assertFalse(os.path.exists(marker), "the planted object was loaded")

    @unittest.skipUnless(os.geteuid() == 0, "needs root to give files to another user")
    def test_objects_and_folders_of_another_user_are_refused(self):
        marker = os.path.join(self.dir, "planted-ran")
        so = self.plant(marker)
        os.chmod(so, 0o755)
        os.chown(so, NOBODY, NOBODY)
        r = self.ivp("validate", self.spec)
        self.assert_exit(r, 3, so + ": the cached plugin is owned by uid %d, not by you (uid 0)"
                         % NOBODY)
        self.assertFalse(os.path.exists(marker), "the planted object was loaded")
        os.remove(so)
        self.assert_exit(self.ivp("validate", self.spec), 0)  # rebuilt, ours
        self.assertFalse(os.path.exists(marker))
        os.chown(self.cache, NOBODY, NOBODY)
        r = self.ivp("validate", self.spec)
        self.assert_exit(r, 3, self.cache + ": the plugin cache folder is owned by uid %d"
                         % NOBODY)
        os.chown(self.cache, 0, 0)
        above = os.path.join(self.dir, "theirs")
        os.mkdir(above, 0o755)
        os.chown(above, NOBODY, NOBODY)
        self.cache = os.path.join(above, "cache")
        os.mkdir(self.cache, 0o700)
        r = self.ivp("validate", self.spec)
        self.assert_exit(r, 3, above + ": this folder above the plugin cache", "owned by uid %d"
                         % NOBODY)


class Damage(CacheCase):
    def test_damaged_objects_are_rebuilt(self):
        self.assert_exit(self.ivp("validate", self.spec), 0)
        (so,) = self.cached_objects()
        with open(so, "rb") as f:
            good = f.read()
        # The last: complete, but with an OS ABI byte dlopen refuses (the structure check
        # passes it, so only the dlopen failure shows the damage).
        foreign_abi = good[:7] + b"\x09" + good[8:]
        for bad in [good[: len(good) // 2], good[:100], b"not an ELF object\n", b"",
                    foreign_abi]:
            with open(so, "wb") as f:
                f.write(bad)
            r = self.ivp("validate", self.spec)
            self.assert_exit(r, 0)
            with open(so, "rb") as f:
                self.assertEqual(f.read(), good)
            self.assertEqual(self.leftovers(os.path.join(self.cache, "plugins")), [])


class Concurrency(CacheCase):
    JOBS = 60

    def test_cold_cache_compiles_once(self):
        count = os.path.join(self.dir, "cc-calls")
        cc = os.path.join(self.dir, "counting-cc")
        write(cc, '#!/bin/sh\necho call >> "%s"\nexec cc "$@"\n' % count, 0o755)
        e = dict(os.environ, IVP_CACHE_DIR=self.cache, CC=cc)
        e.pop("IVP_BUILD_TIMEOUT", None)
        procs = [subprocess.Popen([IVP, "validate", self.spec], env=e, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for _ in range(self.JOBS)]
        results = [p.communicate(timeout=300) + (p.returncode,) for p in procs]
        failed = [r for r in results if r[2] != 0]
        self.assertEqual(failed, [])
        with open(count) as f:
            self.assertEqual(f.read().count("call"), 1)
        self.assertEqual(len(self.cached_objects()), 1)
        self.assertEqual(self.leftovers(os.path.join(self.cache, "plugins")), [])


class Interruption(CacheCase):
    """A compiler that never finishes: the time limit and signals must stop it."""

    def setUp(self):
        super().setUp()
        self.pidfile = os.path.join(self.dir, "cc-pid")
        self.cc = os.path.join(self.dir, "slow-cc")
        write(self.cc, '#!/bin/sh\necho $$ > "%s.tmp"\nmv "%s.tmp" "%s"\nexec sleep 60\n'
              % ((self.pidfile,) * 3), 0o755)

    def compiler_pid(self, proc):
        deadline = time.monotonic() + 30
        while not os.path.exists(self.pidfile):
            self.assertIsNone(proc.poll(), "ivp ended before the compiler started")
            self.assertLess(time.monotonic(), deadline, "the compiler never started")
            time.sleep(0.02)
        with open(self.pidfile) as f:
            return int(f.read())

    def assert_gone(self, pid):
        deadline = time.monotonic() + 5
        while True:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            self.assertLess(time.monotonic(), deadline, "the compiler %d is still running" % pid)
            time.sleep(0.05)

    def test_time_limit(self):
        start = time.monotonic()
        r = self.ivp("validate", self.spec, env={"CC": self.cc, "IVP_BUILD_TIMEOUT": "1"},
                     timeout=30)
        self.assert_exit(r, 3, self.src + ": compilation took longer than 1 s, so the "
                         "compiler '%s' was stopped" % self.cc, "IVP_BUILD_TIMEOUT")
        self.assertLess(time.monotonic() - start, 20)
        with open(self.pidfile) as f:
            self.assert_gone(int(f.read()))
        self.assertEqual(self.cached_objects(), [])
        self.assertEqual(self.leftovers(os.path.join(self.cache, "plugins")), [])

    def test_bad_time_limit(self):
        for bad in ["soon", "-1", "nan", "5s"]:
            r = self.ivp("validate", self.spec, env={"IVP_BUILD_TIMEOUT": bad})
            self.assert_exit(r, 3, "IVP_BUILD_TIMEOUT: must be a number of seconds >= 0")
        r = self.ivp("validate", self.spec, env={"IVP_BUILD_TIMEOUT": "0"})  # no limit
        self.assert_exit(r, 0)

    def interrupt(self, args, sig, folder):
        e = dict(os.environ, IVP_CACHE_DIR=self.cache, CC=self.cc)
        e.pop("IVP_BUILD_TIMEOUT", None)
        if os.path.exists(self.pidfile):
            os.remove(self.pidfile)
        proc = subprocess.Popen([IVP] + args, env=e, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        pid = self.compiler_pid(proc)
        self.assertEqual(self.leftovers(folder) != [], True)  # the build is under way
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=30)
        self.assertEqual(proc.returncode, 130, "signal %d: stderr: %s" % (sig, err))
        self.assertIn("interrupted by signal %d while compiling" % sig, err)
        self.assert_gone(pid)
        self.assertEqual(self.leftovers(folder), [])

    def test_signals_during_on_demand_build(self):
        plugins = os.path.join(self.cache, "plugins")
        for sig in [signal.SIGTERM, signal.SIGINT, signal.SIGHUP]:
            self.interrupt(["validate", self.spec], sig, plugins)
        self.interrupt(["run", self.spec, "-o", os.path.join(self.dir, "out.h5")],
                       signal.SIGTERM, plugins)
        self.assertFalse(os.path.exists(os.path.join(self.dir, "out.h5")))
        self.assertEqual(self.cached_objects(), [])
        self.assert_exit(self.ivp("validate", self.spec), 0)  # nothing stale blocks a build

    def test_signal_while_waiting_for_another_build(self):
        e = dict(os.environ, IVP_CACHE_DIR=self.cache, CC=self.cc)
        e.pop("IVP_BUILD_TIMEOUT", None)
        first = subprocess.Popen([IVP, "validate", self.spec], env=e, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
        pid = self.compiler_pid(first)  # first holds the entry's lock while compiling
        second = subprocess.Popen([IVP, "validate", self.spec], env=e, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True)
        time.sleep(1.0)
        self.assertIsNone(second.poll(), "the second job did not wait for the first")
        second.send_signal(signal.SIGTERM)
        out, err = second.communicate(timeout=30)
        self.assertEqual(second.returncode, 130, err)
        self.assertIn("interrupted by signal %d while waiting for another build"
                      % signal.SIGTERM, err)
        self.assertIsNone(first.poll())  # the first build goes on
        first.send_signal(signal.SIGINT)
        out, err = first.communicate(timeout=30)
        self.assertEqual(first.returncode, 130, err)
        self.assert_gone(pid)
        self.assertEqual(self.leftovers(os.path.join(self.cache, "plugins")), [])

    def test_signals_during_ivp_build(self):
        out = os.path.join(self.dir, "built", "decay.so")
        os.mkdir(os.path.dirname(out))
        for sig in [signal.SIGTERM, signal.SIGINT]:
            self.interrupt(["build", self.src, "-o", out], sig, os.path.dirname(out))
        self.assertFalse(os.path.exists(out))


class Names(CacheCase):
    def test_validate_refuses_names_run_cannot_write(self):
        write(self.src, DECAY % ('"a/b"', "slash"))
        r = self.ivp("validate", self.spec)
        self.assert_exit(r, 3, self.src + ": ivp_event_names[0] 'a/b' has a character other "
                         "than letters, digits and '_'")
        r = self.ivp("run", self.spec, "-o", os.path.join(self.dir, "out.h5"))
        self.assert_exit(r, 3, "ivp_event_names[0] 'a/b'")
        self.assertFalse(os.path.exists(os.path.join(self.dir, "out.h5")))


if __name__ == "__main__":
    os.makedirs(SCRATCH, exist_ok=True)
    unittest.main(argv=sys.argv[:1], verbosity=2)
