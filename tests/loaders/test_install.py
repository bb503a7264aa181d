# SPDX-License-Identifier: MIT
"""tests/loaders/test_install.py - `cmake --install --component loaders` puts ivp_h5.py under
share/ivp/python and ivpread.m/ivpval.m under share/ivp/matlab, and they work from there (the
PYTHONPATH line and addpath the README gives). Octave is checked when octave-cli is present
(loaders_octave covers its absence).

Arguments: CMAKE_COMMAND BUILD_DIR DATADIR
"""

import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import loader_files as lf  # noqa: E402


def main():
    cmake, build, datadir = sys.argv[1:4]
    with tempfile.TemporaryDirectory(prefix="ivp-loaders-install-") as d:
        prefix = os.path.join(d, "prefix")
        subprocess.run([cmake, "--install", build, "--component", "loaders", "--prefix", prefix],
                       check=True, capture_output=True, text=True)
        pydir = os.path.join(prefix, datadir, "ivp", "python")
        mdir = os.path.join(prefix, datadir, "ivp", "matlab")
        for p in (os.path.join(pydir, "ivp_h5.py"), os.path.join(mdir, "ivpread.m"),
                  os.path.join(mdir, "ivpval.m")):
            assert os.path.isfile(p), f"not installed: {p}"
        h5 = lf.run_ivp(lf.osc3_spec(), os.path.join(d, "osc.h5"))
        env = dict(os.environ, PYTHONPATH=pydir)
        code = ("import ivp_h5, sys; r = ivp_h5.load(sys.argv[1]); "
                "assert ivp_h5.__file__.startswith(sys.argv[2]), ivp_h5.__file__; "
                "print(r.y.shape, r.sol(10.0).shape)")
        p = subprocess.run([sys.executable, "-c", code, h5, pydir], env=env, cwd=d,
                           capture_output=True, text=True, check=True)
        assert p.stdout.strip() == "(2, %d) (2,)" % lf_points(h5), p.stdout
        octave = shutil.which("octave-cli")
        if octave:
            m = (f"addpath('{mdir}'); s = ivpread('{h5}'); "
                 f"assert(strcmp(fileparts(which('ivpread')), '{mdir}')); "
                 "v = ivpval(s, 10); printf('%.6f\\n', v(1));")
            p = subprocess.run([octave, "--no-gui", "--norc", "--quiet", "--eval", m], cwd=d,
                               capture_output=True, text=True, check=True)
            assert abs(float(p.stdout.split()[-1]) - lf.osc3_exact(10.0)[0]) < 1e-5, p.stdout
    print("installed loaders: ok")
    return 0


def lf_points(path):
    import h5py
    with h5py.File(path, "r") as f:
        return f["t"].shape[0]


if __name__ == "__main__":
    sys.exit(main())
