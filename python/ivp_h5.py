# SPDX-License-Identifier: MIT
"""ivp_h5 - read the HDF5 files written by ivp into scipy's solve_ivp shapes.

    import ivp_h5
    sol = ivp_h5.load("vanderpol.h5")      # like scipy.integrate.solve_ivp's result
    sol.t, sol.y                           # (N,), (n, N)
    sol.sol(2.5), sol.sol([1, 2, 3])       # dense output: (n,) and (n, 3); None without /dense
    sol.t_events, sol.y_events             # lists in the plugin's event order: (k,), (k, n)
    sol.status, sol.message, sol.success, sol.nfev, sol.njev, sol.nlu
    sol.params, sol.names, sol.method, sol.attrs

    ens = ivp_h5.load_ensemble("scan.h5")  # an "ivp-hdf5-ensemble" file
    ens.status, ens.params["mu"]           # one entry per member
    ens.member(3)                          # member 3 as load() returns it

Reads format_version 1 and the 1.1 additions (/params, /y0, /t_span, /y's 'names', the event
groups' 'index'); see docs/contracts.md sections 3 and 5. Needs numpy, h5py and scipy only.
Ensemble files carry the event groups' 'index' (with direction and terminal) too. Without the
'index' attributes (format 1, or an ensemble file from before ivp recorded them) the file does
not record the plugin's event order, and the events come in alphabetical order (the order
HDF5 lists them).
"""

import json

import h5py
import numpy as np
from scipy.interpolate import PPoly

__all__ = ["load", "load_ensemble", "IvpResult", "IvpEnsemble", "DenseSolution"]

SINGLE_FORMAT = "ivp-hdf5"
ENSEMBLE_FORMAT = "ivp-hdf5-ensemble"


class IvpResult(dict):
    """scipy's OdeResult: a dict whose keys are also attributes."""

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name, value):
        self[name] = value

    def __dir__(self):
        return list(self.keys())

    def __repr__(self):
        keys = ", ".join(sorted(self.keys()))
        return f"IvpResult({keys})"


class DenseSolution:
    """The dense output as a callable, like scipy's OdeSolution.

    sol(t) gives (n,) for a scalar t and (n, m) for m times; outside [t_min, t_max] the first
    or last piece is extended, as OdeSolution does. x are the breakpoints in the direction of
    integration (decreasing for a backward solve), c the (d+1, m, n) coefficients of /dense/c.
    """

    def __init__(self, x, c):
        x = np.asarray(x, dtype=float)
        c = np.asarray(c, dtype=float)
        if x.ndim != 1 or x.size < 2:
            raise ValueError(f"dense output needs at least 2 breakpoints, got shape {x.shape}")
        if c.ndim != 3 or c.shape[1] != x.size - 1:
            raise ValueError(f"dense output: c has shape {c.shape}, expected (d+1, {x.size - 1}, n)")
        self.ts = x
        self.t_min = float(min(x[0], x[-1]))
        self.t_max = float(max(x[0], x[-1]))
        self.n = c.shape[2]
        self._pp = PPoly(c, x, extrapolate=True)

    def __call__(self, t):
        t = np.asarray(t, dtype=float)
        if t.ndim == 0:
            return self._pp(t)  # (n,)
        return self._pp(t.ravel()).T  # (n, m)


def _text(v):
    if isinstance(v, bytes):
        return v.decode("utf-8")
    if isinstance(v, np.ndarray) and v.dtype.kind in "SO" and v.ndim == 0:
        return _text(v[()])
    return v


def _texts(arr):
    """A string dataset (fixed-length or variable-length) as a list of str."""
    out = []
    for s in np.ravel(arr):
        s = _text(s)
        out.append(s.rstrip("\0") if isinstance(s, str) else str(s))
    return out


def _scalar(v):
    v = _text(v)
    if isinstance(v, np.ndarray) and v.shape == ():
        v = v[()]
    if isinstance(v, np.generic):
        return v.item()
    return v


def _attrs(obj):
    return {k: _scalar(v) for k, v in obj.attrs.items()}


def _check_format(f, path, want):
    fmt = _text(f.attrs.get("format", ""))
    if fmt != want:
        other = "load_ensemble" if fmt == ENSEMBLE_FORMAT else "load"
        hint = f" (use ivp_h5.{other})" if fmt in (SINGLE_FORMAT, ENSEMBLE_FORMAT) else ""
        raise ValueError(f"{path}: format is {fmt!r}, expected {want!r}{hint}")
    return _attrs(f)


def _problem(attrs):
    text = attrs.get("problem")
    if not isinstance(text, str):
        return {}
    try:
        return json.loads(text)
    except ValueError:
        return {}


def _params(f, problem):
    """/params with its 'names' (format 1.1), else the spec's "params" object."""
    if "params" in f and isinstance(f["params"], h5py.Dataset):
        values = np.asarray(f["params"][()], dtype=float).ravel()
        names = _texts(f["params"].attrs.get("names", []))
        if len(names) == values.size:
            return dict(zip(names, values.tolist()))
    params = problem.get("params")
    return dict(params) if isinstance(params, dict) else {}


def _names(f):
    names = f["y"].attrs.get("names") if "y" in f else None
    return _texts(names) if names is not None else None


def _event_groups(f):
    """[(name, group)] in the plugin's order: by the 1.1 'index' attribute, else by name."""
    if "events" not in f:
        return []
    groups = [(name, g) for name, g in f["events"].items() if isinstance(g, h5py.Group)]
    if groups and all("index" in g.attrs for _, g in groups):
        groups.sort(key=lambda ng: int(ng[1].attrs["index"]))
    else:
        groups.sort(key=lambda ng: ng[0])
    return groups


def _event_info(g):
    return {k: _scalar(g.attrs[k]) for k in ("index", "direction", "terminal") if k in g.attrs}


def _y_events(y, n):
    """(n, k) as stored -> (k, n) as scipy gives it; scipy 1.10 gives shape (0,) for none."""
    y = np.asarray(y, dtype=float).reshape(n, -1).T
    return y if y.shape[0] > 0 else np.empty(0)


def load(path):
    """Read a single-run ivp file ("ivp-hdf5") into scipy's solve_ivp result fields.

    Fields: t (N,), y (n, N), sol (DenseSolution or None), t_events / y_events (lists in the
    plugin's event order, (k,) and (k, n) arrays, an event that never occurred (0,) and (0,)
    as in scipy 1.10; None when the problem has no events),
    event_names, status, message, success, nfev, njev, nlu, n_steps, n_rejected, method,
    params (dict), names (state names or None), y0, t_span, problem (the spec as a dict),
    attrs (every root attribute).
    """
    with h5py.File(path, "r") as f:
        attrs = _check_format(f, path, SINGLE_FORMAT)
        problem = _problem(attrs)
        r = IvpResult()
        r.t = np.asarray(f["t"][()], dtype=float)
        r.y = np.asarray(f["y"][()], dtype=float)
        if r.y.ndim != 2 or r.y.shape[1] != r.t.size:
            raise ValueError(f"{path}: /y has shape {r.y.shape}, expected (n, {r.t.size})")
        n = r.y.shape[0]
        if "dense" in f and f["dense/x"].shape[0] >= 2:
            r.sol = DenseSolution(f["dense/x"][()], f["dense/c"][()])
        else:
            r.sol = None
        groups = _event_groups(f)
        if groups:
            r.event_names = [name for name, _ in groups]
            r.t_events = [np.asarray(g["t"][()], dtype=float) for _, g in groups]
            r.y_events = [_y_events(g["y"][()], n) for _, g in groups]
            r.event_info = {name: _event_info(g) for name, g in groups}
        else:
            r.event_names, r.t_events, r.y_events, r.event_info = [], None, None, {}
        r.status = int(attrs.get("status", -1))
        r.message = attrs.get("message", "")
        r.success = bool(attrs.get("success", r.status >= 0))
        for key in ("nfev", "njev", "nlu", "n_steps", "n_rejected"):
            r[key] = int(attrs.get(key, 0))
        r.method = attrs.get("method")
        r.params = _params(f, problem)
        r.names = _names(f)
        r.y0 = np.asarray(f["y0"][()], dtype=float) if "y0" in f else (
            np.asarray(problem["y0"], dtype=float) if "y0" in problem else None)
        r.t_span = np.asarray(f["t_span"][()], dtype=float) if "t_span" in f else (
            np.asarray(problem["t_span"], dtype=float) if "t_span" in problem else None)
        r.problem = problem
        r.attrs = attrs
        return r


class IvpEnsemble:
    """An "ivp-hdf5-ensemble" file in memory.

    n_members (K); per-member arrays of length K: status, message, success, nfev, njev, nlu,
    n_steps, n_rejected, solve_seconds, overrides (dicts), y0 (K, n), t_span (K, 2);
    params (dict name -> (K,) array) and param_names; stacked (True when every member has
    the same t_eval: then t is (N,) and y is (K, n, N); otherwise t and y are lists of
    per-member (N_k,) and (n, N_k) arrays); event_names (the plugin's order when the file
    records it, else alphabetical) and event_info (name -> index, direction, terminal);
    member_offset (a shard's first member: ivp's member number of member(0); else 0);
    method, attrs, problem.
    member(k) returns member k (0-based in the file) as load() returns a single run, with
    member (ivp's member number, member_offset + k) and overrides.
    """

    def __init__(self, path):
        with h5py.File(path, "r") as f:
            self.attrs = _check_format(f, path, ENSEMBLE_FORMAT)
            self.problem = _problem(self.attrs)
            self.method = self.attrs.get("method")
            self.member_offset = int(self.attrs.get("member_offset", 0))
            m = f["members"]
            self.status = np.asarray(m["status"][()], dtype=np.int64)
            K = self.n_members = self.status.size
            self.message = _texts(m["message"][()]) if "message" in m else [""] * K
            self.success = self.status >= 0
            for key in ("nfev", "njev", "nlu", "n_steps", "n_rejected"):
                setattr(self, key, np.asarray(m[key][()], dtype=np.int64) if key in m
                        else np.zeros(K, dtype=np.int64))
            self.solve_seconds = (np.asarray(m["solve_seconds"][()], dtype=float)
                                  if "solve_seconds" in m else np.full(K, np.nan))
            self.overrides = ([json.loads(s) if s else {} for s in _texts(m["overrides"][()])]
                              if "overrides" in m else [{}] * K)
            self.param_names = []
            self.params = {}
            if "params" in m:
                table = np.asarray(m["params"][()], dtype=float).reshape(K, -1)
                self.param_names = _texts(m["params"].attrs.get("names", []))
                if len(self.param_names) != table.shape[1]:
                    raise ValueError(f"{path}: /members/params has {table.shape[1]} columns but "
                                     f"{len(self.param_names)} names")
                self.params = {nm: table[:, j].copy() for j, nm in enumerate(self.param_names)}
            self.y0 = np.asarray(m["y0"][()], dtype=float) if "y0" in m else None
            self.t_span = np.asarray(m["t_span"][()], dtype=float) if "t_span" in m else None
            self.names = _names(f)

            t = np.asarray(f["t"][()], dtype=float)
            y = np.asarray(f["y"][()], dtype=float)
            self.stacked = y.ndim == 3
            if self.stacked:
                if y.shape[0] != K or y.shape[2] != t.size:
                    raise ValueError(f"{path}: /y has shape {y.shape}, expected ({K}, n, {t.size})")
                self.n = y.shape[1]
                self.t, self.y = t, y
            else:
                count = np.asarray(m["count"][()], dtype=np.int64)
                if count.size != K or count.sum() != t.size or y.shape[-1] != t.size:
                    raise ValueError(f"{path}: /members/count (sum {count.sum()}) does not match "
                                     f"/t ({t.size}) and /y {y.shape}")
                self.n = y.shape[0]
                starts = np.concatenate(([0], np.cumsum(count)))
                self.t = [t[starts[k]:starts[k + 1]] for k in range(K)]
                self.y = [y[:, starts[k]:starts[k + 1]] for k in range(K)]

            groups = _event_groups(f)
            self.event_names = [name for name, _ in groups]
            self.event_info = {name: _event_info(g) for name, g in groups}
            self._events = []
            for _, g in groups:
                et = np.asarray(g["t"][()], dtype=float)
                ey = np.asarray(g["y"][()], dtype=float).reshape(self.n, -1)
                em = np.asarray(g["member"][()], dtype=np.int64)
                self._events.append((et, ey, em))

            self._dense = None
            if "dense" in f and "dense_count" in m:
                dc = np.asarray(m["dense_count"][()], dtype=np.int64)
                x = np.asarray(f["dense/x"][()], dtype=float)
                c = np.asarray(f["dense/c"][()], dtype=float)
                if dc.size != K or dc.sum() != c.shape[1] or (dc + 1).sum() != x.size:
                    raise ValueError(f"{path}: /members/dense_count does not match /dense/x "
                                     f"({x.size}) and /dense/c {c.shape}")
                self._dense = (dc, x, c)

    def member(self, k):
        """Member k (0-based) as an IvpResult with the fields of load()."""
        K = self.n_members
        if not -K <= k < K:
            raise IndexError(f"member {k} out of range: the ensemble has {K} members")
        k %= K
        r = IvpResult()
        if self.stacked:
            r.t, r.y = self.t.copy(), self.y[k].copy()
        else:
            r.t, r.y = self.t[k].copy(), self.y[k].copy()
        r.sol = None
        if self._dense is not None:
            dc, x, c = self._dense
            s0 = int(dc[:k].sum())
            x0 = s0 + k  # member j has dense_count[j] + 1 breakpoints
            if dc[k] > 0:
                r.sol = DenseSolution(x[x0:x0 + dc[k] + 1], c[:, s0:s0 + dc[k], :])
        g = self.member_offset + k  # /events/<name>/member holds ivp's member numbers
        if self.event_names:
            r.event_names = list(self.event_names)
            r.t_events = [et[em == g] for et, _, em in self._events]
            r.y_events = [_y_events(ey[:, em == g], self.n) for _, ey, em in self._events]
            r.event_info = {name: dict(v) for name, v in self.event_info.items()}
        else:
            r.event_names, r.t_events, r.y_events, r.event_info = [], None, None, {}
        r.member = g
        r.status = int(self.status[k])
        r.message = self.message[k]
        r.success = bool(self.status[k] >= 0)
        for key in ("nfev", "njev", "nlu", "n_steps", "n_rejected"):
            r[key] = int(getattr(self, key)[k])
        r.method = self.method
        r.params = {nm: float(v[k]) for nm, v in self.params.items()}
        r.names = self.names
        r.y0 = self.y0[k].copy() if self.y0 is not None else None
        r.t_span = self.t_span[k].copy() if self.t_span is not None else None
        r.overrides = self.overrides[k]
        r.attrs = dict(self.attrs)
        return r

    def __len__(self):
        return self.n_members

    def __iter__(self):
        return (self.member(k) for k in range(self.n_members))


def load_ensemble(path):
    """Read an ensemble file ("ivp-hdf5-ensemble"); see IvpEnsemble."""
    return IvpEnsemble(path)
