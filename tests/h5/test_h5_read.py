# SPDX-License-Identifier: MIT
# tests/h5/test_h5_read.py - reads files written by h5_writer with h5py: shapes as h5py shows
# them, attribute types, and /dense through scipy.interpolate.PPoly against the known solution
# y(t) = [t^2, t^3], for increasing and decreasing breakpoints.
#
# Usage: test_h5_read.py PATH/TO/h5_writer
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np
from scipy.interpolate import PPoly

FAILURES = []


def check(cond, what):
    if not cond:
        FAILURES.append(what)
        print("FAIL: " + what, file=sys.stderr)


def check_str(attrs, name, expected=None):
    v = attrs[name]
    check(type(v) is str, "attribute %s is %r (%s), expected str" % (name, v, type(v).__name__))
    if expected is not None:
        check(v == expected, "attribute %s = %r, expected %r" % (name, v, expected))


def check_int(attrs, name, expected):
    v = attrs[name]
    ok = isinstance(v, (int, np.integer)) and np.asarray(v).dtype == np.int64
    check(ok, "attribute %s is %r (%s), expected int64" % (name, v, type(v).__name__))
    check(int(v) == expected, "attribute %s = %r, expected %r" % (name, v, expected))


def check_float(attrs, name, expected):
    v = attrs[name]
    ok = isinstance(v, (float, np.floating)) and np.asarray(v).dtype == np.float64
    check(ok, "attribute %s is %r (%s), expected float64" % (name, v, type(v).__name__))
    check(float(v) == expected, "attribute %s = %r, expected %r" % (name, v, expected))


def check_file(path, backward):
    t0, t1 = (2.0, 0.0) if backward else (0.0, 2.0)
    with h5py.File(path, "r") as f:
        t = f["t"][()]
        y = f["y"][()]
        n_pts = t.shape[0]
        check(f["t"].shape == (n_pts,) and f["t"].dtype == np.float64, "/t shape %s dtype %s"
              % (f["t"].shape, f["t"].dtype))
        check(n_pts > 100, "only %d points" % n_pts)
        check(f["y"].shape == (2, n_pts) and f["y"].dtype == np.float64,
              "/y shape %s, expected (2, %d)" % (f["y"].shape, n_pts))
        check(f["t"].maxshape == (None,), "/t maxshape %s" % (f["t"].maxshape,))
        check(f["y"].maxshape == (2, None), "/y maxshape %s" % (f["y"].maxshape,))
        check(f["y"].chunks is not None, "/y is not chunked")
        check(t[0] == t0 and t[-1] == t1, "/t runs from %r to %r" % (t[0], t[-1]))
        steps = np.diff(t)
        check(bool(np.all(steps < 0) if backward else np.all(steps > 0)), "/t is not monotonic")
        check(np.allclose(y[0], t**2, rtol=1e-15, atol=0), "/y[0] is not t^2")
        check(np.allclose(y[1], t**3, rtol=1e-15, atol=0), "/y[1] is not t^3")

        check(sorted(f["events"].keys()) == ["cross", "never"],
              "/events holds %s" % sorted(f["events"].keys()))
        check(f["events/cross/t"].shape == (1,), "/events/cross/t shape %s"
              % (f["events/cross/t"].shape,))
        check(f["events/cross/y"].shape == (2, 1), "/events/cross/y shape %s"
              % (f["events/cross/y"].shape,))
        check(f["events/cross/t"][0] == 1.0, "cross at t = %r" % f["events/cross/t"][0])
        check(list(f["events/cross/y"][:, 0]) == [1.0, 1.0], "cross state %s"
              % f["events/cross/y"][:, 0])
        check(f["events/never/t"].shape == (0,), "/events/never/t shape %s"
              % (f["events/never/t"].shape,))
        check(f["events/never/y"].shape == (2, 0), "/events/never/y shape %s"
              % (f["events/never/y"].shape,))

        x = f["dense/x"][()]
        c = f["dense/c"][()]
        m = n_pts - 1
        check(f["dense/x"].shape == (m + 1,), "/dense/x shape %s, expected (%d,)"
              % (f["dense/x"].shape, m + 1))
        check(f["dense/c"].shape == (5, m, 2), "/dense/c shape %s, expected (5, %d, 2)"
              % (f["dense/c"].shape, m))
        check(np.array_equal(x, t), "/dense/x differs from the step ends /t")
        pp = PPoly(c, x)
        tt = np.linspace(t0, t1, 2001)
        # also points just inside every segment and the breakpoints themselves
        tt = np.concatenate([tt, x, x[:-1] + 0.3 * np.diff(x)])
        got = pp(tt)
        check(got.shape == (tt.size, 2), "PPoly gives shape %s" % (got.shape,))
        exact = np.stack([tt**2, tt**3], axis=1)
        err = np.max(np.abs(got - exact))
        check(err < 1e-13, "PPoly differs from [t^2, t^3] by %g" % err)
        dpp = pp.derivative()(tt)
        derr = np.max(np.abs(dpp - np.stack([2 * tt, 3 * tt**2], axis=1)))
        check(derr < 1e-12, "PPoly derivative differs by %g" % derr)

        a = f.attrs
        check_str(a, "format", "ivp-hdf5")
        check_int(a, "format_version", 1)
        check_str(a, "ivp_version")
        check(len(a["ivp_version"].split(".")) == 3, "ivp_version %r" % a["ivp_version"])
        check_str(a, "method", "LSODA" if backward else "RK45")
        check_float(a, "rtol", 1e-6)
        if backward:
            atol = a["atol"]
            check(isinstance(atol, np.ndarray) and atol.dtype == np.float64
                  and atol.shape == (2,), "atol %r" % (atol,))
            check(list(atol) == [1e-8, 2e-8], "atol values %r" % (atol,))
        else:
            check_float(a, "atol", 1e-9)
        check_int(a, "status", 0)
        check_str(a, "message")
        check(a["message"].startswith("The solver successfully"), "message %r" % a["message"])
        check_int(a, "success", 1)
        check_int(a, "nfev", 6 * m + 2)
        check_int(a, "njev", 3 if backward else 0)
        check_int(a, "nlu", 4 if backward else 0)
        check_int(a, "n_steps", m)
        check_int(a, "n_rejected", 5)
        check_float(a, "solve_seconds", 0.125)
        check_str(a, "problem")
        check(a["problem"].startswith('{"plugin": "poly.so"'), "problem %r" % a["problem"])
        check_str(a, "plugin_sha256", "0123456789abcdef" * 4)
        if backward:
            check_int(a, "n_steps_adams", m - 10)
            check_int(a, "n_steps_bdf", 10)
            check_int(a, "n_switches", 2)
        else:
            for k in ("n_steps_adams", "n_steps_bdf", "n_switches"):
                check(k not in a, "attribute %s written for a non-LSODA run" % k)


def main():
    writer = sys.argv[1]
    with tempfile.TemporaryDirectory(prefix="ivp-h5-") as tmp:
        for direction in ("forward", "backward"):
            # default chunks, and tiny chunks that make every dataset flush many times
            for chunk in ("0", "200"):
                path = os.path.join(tmp, "poly-%s-%s.h5" % (direction, chunk))
                subprocess.run([writer, path, direction, chunk], check=True)
                check_file(path, direction == "backward")
        leftovers = [p for p in os.listdir(tmp) if not p.endswith(".h5")]
        check(leftovers == [], "files left in the folder: %s" % leftovers)
    if FAILURES:
        print("%d check(s) failed" % len(FAILURES), file=sys.stderr)
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
