# SPDX-License-Identifier: MIT
"""tests/scipy/ivp_harness.py - run `ivp` on a spec and read its HDF5 output; run scipy on the
same problem.

    spec = make_spec("fun_rational", method="RK45", rtol=1e-6, atol=1e-9)
    r = run_ivp(spec)             # writes spec.json in a temp folder, runs
                                  # $IVP_BIN run spec.json -o out.h5 --quiet, reads out.h5
    r.t, r.y, r.events["e1"].t, r.sol(t), r.attrs["nfev"]
    s = run_scipy("fun_rational", method="RK45", rtol=1e-6, atol=1e-9)

Specs are validated against schemas/problem.schema.json when that file exists (every test
spec must validate). Environment: IVP_BIN (the ivp executable), IVP_PLUGIN_DIR or
--plugin-dir (the built tests/problems plugins), IVP_SOURCE_DIR.
"""
import json
import os
import subprocess
import tempfile

import h5py
import numpy as np
from scipy.integrate import solve_ivp
from scipy.interpolate import PPoly

from ivp_problems import PROBLEMS

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.environ.get("IVP_SOURCE_DIR", os.path.normpath(os.path.join(HERE, "..", "..")))

_config = {"plugin_dir": os.environ.get("IVP_PLUGIN_DIR"), "ivp_bin": os.environ.get("IVP_BIN")}


class HarnessError(RuntimeError):
    """ivp could not be run, or did not do what the test expected of the process."""


def configure(plugin_dir=None, ivp_bin=None):
    if plugin_dir:
        _config["plugin_dir"] = os.path.abspath(plugin_dir)
    if ivp_bin:
        _config["ivp_bin"] = os.path.abspath(ivp_bin)


def plugin_path(name):
    d = _config["plugin_dir"]
    if not d:
        build = os.environ.get("IVP_BUILD_DIR")
        if not build:
            raise HarnessError("no plugin folder: pass --plugin-dir or set IVP_PLUGIN_DIR")
        d = os.path.join(build, "tests", "problems")
    path = os.path.join(d, name + ".so")
    if not os.path.exists(path):
        raise HarnessError("plugin %s is not built (expected %s)" % (name, path))
    return path


def ivp_bin():
    b = _config["ivp_bin"]
    if not b:
        raise HarnessError("IVP_BIN is not set (ctest sets it; or pass --ivp)")
    if not os.access(b, os.X_OK):
        raise HarnessError("IVP_BIN=%s is not an executable" % b)
    return b


# ---------------------------------------------------------------------------------------------
# Specs

def make_spec(problem, **options):
    """A spec dict for tests/problems/<problem>: the problem's t_span, y0 and parameters
    (all of them, as the plugin declares them), overridden by options (any spec key:
    method, rtol, atol, t_span, y0, params (merged), t_eval, dense_output, events,
    first_step, max_step, ...)."""
    prob = PROBLEMS[problem]
    spec = {"plugin": plugin_path(problem), "t_span": list(prob.t_span), "y0": list(prob.y0)}
    params = {k: prob.params[k] for k in prob.param_names}
    params.update(options.pop("params", None) or {})
    if params:
        spec["params"] = params
    for k, v in options.items():
        if v is not None:
            spec[k] = v
    return _jsonable(spec)


def _jsonable(x):
    if isinstance(x, dict):
        return {k: _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple, np.ndarray)):
        return [_jsonable(v) for v in x]
    if isinstance(x, (np.floating, float)):
        return float(x)
    if isinstance(x, (np.integer,)):
        return int(x)
    return x


_schema = {}


def validate_spec(spec):
    """Validates against schemas/problem.schema.json if the repository has it."""
    path = os.path.join(SOURCE_DIR, "schemas", "problem.schema.json")
    if not os.path.exists(path):
        return
    if path not in _schema:
        import jsonschema
        with open(path, encoding="utf-8") as f:
            schema = json.load(f)
        _schema[path] = jsonschema.validators.validator_for(schema)(schema)
    errors = sorted(_schema[path].iter_errors(spec), key=lambda e: list(e.path))
    if errors:
        raise HarnessError("spec does not validate against %s: %s at $%s" %
                           (path, errors[0].message,
                            "".join("[%r]" % p for p in errors[0].path)))


# ---------------------------------------------------------------------------------------------
# Running ivp and reading its output

class EventRecord:
    def __init__(self, t, y):
        self.t = t      # (k,)
        self.y = y      # (n, k), as in the file


class IvpResult:
    """The contents of an ivp HDF5 file (contracts.md section 3)."""

    def __init__(self):
        self.t = None           # (N,)
        self.y = None           # (n, N)
        self.events = {}        # name -> EventRecord
        self.dense_x = None     # (m+1,) breakpoints, or None without dense output
        self.dense_c = None     # (d+1, m, n)
        self.sol = None         # PPoly(dense_c, dense_x), evaluating to shape (len(t), n)
        self.attrs = {}         # root attributes, bytes decoded, numpy scalars -> Python
        self.returncode = None
        self.stderr = ""
        self.spec = None
        self.format_problems = []  # departures from contracts.md section 3 noticed on reading

    def __getattr__(self, name):
        # r.nfev, r.status, r.message, ... read the root attributes
        attrs = self.__dict__.get("attrs", {})
        if name in attrs:
            return attrs[name]
        raise AttributeError(name)

    def dense(self, t):
        """Dense output at t (scalar or array) as (n, len(t)), like scipy's sol(t)."""
        return np.asarray(self.sol(np.atleast_1d(t))).T


def _attr(v):
    if isinstance(v, bytes):
        return v.decode()
    if isinstance(v, np.ndarray):
        if v.shape == ():
            return _attr(v[()])
        return v
    if isinstance(v, np.generic):
        return v.item()
    return v


def read_h5(path):
    r = IvpResult()
    with h5py.File(path, "r") as f:
        r.attrs = {k: _attr(v) for k, v in f.attrs.items()}
        r.t = np.asarray(f["t"][()], dtype=float)
        r.y = np.asarray(f["y"][()], dtype=float)
        if r.y.ndim != 2 or r.y.shape[1] != len(r.t):
            r.format_problems.append("/y has shape %s for %d times, expected (n, %d)" %
                                     (r.y.shape, len(r.t), len(r.t)))
            r.y = r.y.reshape(-1, len(r.t)) if len(r.t) else r.y.reshape(-1, 0)
        n = r.y.shape[0]
        if "events" in f:
            for name in f["events"]:
                g = f["events"][name]
                t = np.asarray(g["t"][()], dtype=float)
                y = np.asarray(g["y"][()], dtype=float)
                if y.shape != (n, len(t)):
                    r.format_problems.append("/events/%s/y has shape %s, expected (%d, %d)" %
                                             (name, y.shape, n, len(t)))
                    y = y.reshape(n, len(t)) if y.size == n * len(t) else np.zeros((n, 0))
                r.events[name] = EventRecord(t, y)
        if "dense" in f:
            r.dense_x = np.asarray(f["dense"]["x"][()], dtype=float)
            r.dense_c = np.asarray(f["dense"]["c"][()], dtype=float)
            if (r.dense_c.ndim != 3 or r.dense_c.shape[1] != len(r.dense_x) - 1 or
                    r.dense_c.shape[2] != n):
                r.format_problems.append("/dense/c has shape %s with %d breakpoints and n = %d"
                                         % (r.dense_c.shape, len(r.dense_x), n))
            elif r.dense_c.shape[1] > 0:
                r.sol = PPoly(r.dense_c, r.dense_x, extrapolate=True)
        for key in ("format", "format_version", "status", "message", "success", "nfev",
                    "njev", "nlu", "n_steps", "method", "rtol", "atol"):
            if key not in r.attrs:
                r.format_problems.append("root attribute %r is missing" % key)
    return r


def run_ivp(spec, expect_rc=(0,), args=(), workdir=None, validate=True):
    """Writes spec to spec.json in a temporary folder, runs ivp on it and returns the output
    file's contents (IvpResult). A return code outside expect_rc raises HarnessError with
    ivp's stderr. validate=False skips the schema check (for tests of invalid specs); args
    are extra command-line arguments (--set, --method, ...)."""
    if validate:
        validate_spec(spec)
    with tempfile.TemporaryDirectory(prefix="ivp-xcheck-", dir=workdir) as tmp:
        spec_path = os.path.join(tmp, "spec.json")
        out_path = os.path.join(tmp, "out.h5")
        with open(spec_path, "w", encoding="utf-8") as f:
            json.dump(spec, f, indent=1)
        cmd = [ivp_bin(), "run", spec_path, "-o", out_path, "--quiet"] + list(args)
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        except subprocess.TimeoutExpired as e:
            raise HarnessError("ivp timed out: %s" % " ".join(cmd)) from e
        if p.returncode not in expect_rc:
            raise HarnessError("ivp exited with %d (expected %s): %s\nspec: %s\nstderr: %s" %
                               (p.returncode, list(expect_rc), " ".join(cmd),
                                json.dumps(spec), p.stderr.strip()))
        if not os.path.exists(out_path):
            if p.returncode == 0:
                raise HarnessError("ivp exited with 0 but wrote no %s\nstderr: %s" %
                                   (out_path, p.stderr.strip()))
            r = IvpResult()
        else:
            r = read_h5(out_path)
        r.returncode = p.returncode
        r.stderr = p.stderr
        r.spec = spec
        return r


# ---------------------------------------------------------------------------------------------
# scipy on the same problem

def scipy_events(problem, events=None):
    """scipy event callables for all of the problem's events (ivp always records all of
    them), with terminal/direction from a spec-style "events" dict."""
    out = []
    for name, g in PROBLEMS[problem].events:
        opts = (events or {}).get(name, {})

        def ev(t, y, g=g):
            return g(t, y)
        term = opts.get("terminal", False)
        ev.terminal = bool(term)
        ev.direction = opts.get("direction", 0)
        ev.__name__ = name
        out.append(ev)
    return out


def run_scipy(problem, method="RK45", rtol=1e-3, atol=1e-6, t_span=None, y0=None, params=None,
              t_eval=None, dense_output=False, events=None, perturb=None, **options):
    """solve_ivp on the Python rhs, with the options a spec would carry (events as in a
    spec). perturb = an integer seed multiplies every f value by (1 + u 2^-53), u uniform in
    [-1, 1]: a "twin" run showing how far rounding alone moves the solution."""
    prob = PROBLEMS[problem]
    evs = scipy_events(problem, events) if prob.events else None
    fun = prob.fun(params)
    if perturb is not None:
        rng = np.random.default_rng(perturb)
        exact = fun

        def fun(t, y):
            v = exact(t, y)
            return v * (1.0 + rng.uniform(-1.0, 1.0, v.shape) * 2.0 ** -53)
    return solve_ivp(fun, t_span or prob.t_span, y0 or prob.y0, method=method,
                     rtol=rtol, atol=atol, t_eval=t_eval, dense_output=dense_output,
                     events=evs, **options)
