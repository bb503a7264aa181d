# SPDX-License-Identifier: MIT
# tests/spec/spec_linspace.py - t_eval {"linspace": [a, b, num]} must give exactly the points of
# numpy.linspace(a, b, num), compared bit for bit, forward and backward, including step
# underflow; and a spec read from stdin has its plugin resolved against ".".
#
#   spec_linspace.py SPEC_CHECK
import json
import os
import struct
import subprocess
import sys
import tempfile

import numpy as np

CASES = [  # (t_span, a, b, num)
    ([0, 10], 0, 10, 101),
    ([0, 1], 0, 1, 7),
    ([0, 1], 0.1, 0.7, 7),
    ([0, 1], 0, 1, 1),
    ([0, 1], 0.3, 0.3, 1),
    ([0, 1], 0, 1, 2),
    ([0, 3000], 0, 3000, 1000),
    ([-1, 1], -1, 1, 333),
    ([10, -5], 10, -5, 61),
    ([1, 0], 0.9, 0.1, 9),
    ([0, 1e-300], 0, 1e-300, 50),
    ([0, 5e-324], 0, 5e-324, 2),
    ([1e15, 1e15 + 1000], 1e15, 1e15 + 1000, 1001),
    ([-2.5, 7.25], -2.4, 7.2, 12345),
    # numpy repeats points here (the step underflows to 0, or is below the spacing of
    # doubles): ivp must reject these, as t_eval has to be strictly monotonic.
    ([0, 5e-324], 0, 5e-324, 3),
    ([1e16, 1e16 + 4], 1e16, 1e16 + 4, 100),
]


def bits(x):
    return struct.unpack("<Q", struct.pack("<d", float(x)))[0]


def main():
    spec_check = os.path.abspath(sys.argv[1])
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        for i, (span, a, b, num) in enumerate(CASES):
            spec = {"plugin": "m.so", "t_span": span, "y0": [0.0],
                    "t_eval": {"linspace": [a, b, num]}}
            path = os.path.join(tmp, f"case{i}.json")
            with open(path, "w") as f:
                json.dump(spec, f)
            r = subprocess.run([spec_check, "--print", "t_eval", path], capture_output=True,
                               text=True, timeout=30)
            want = np.linspace(a, b, num)
            sign = 1 if span[1] > span[0] else -1
            if num > 1 and not np.all(sign * np.diff(want) > 0):
                if r.returncode != 2 or "$.t_eval.linspace" not in r.stderr:
                    failures.append(f"case {i} linspace{(a, b, num)}: numpy repeats points, "
                                    f"but spec_check said exit {r.returncode} {r.stderr!r}")
                else:
                    print(f"case {i}: linspace({a!r}, {b!r}, {num}) repeats points and is "
                          f"rejected: {r.stderr.strip()}")
                continue
            if r.returncode != 0:
                failures.append(f"case {i} {span} linspace{(a, b, num)}: rejected: {r.stderr.strip()}")
                continue
            lines = r.stdout.split()
            got = [float(x) for x in lines[1:]]
            if len(got) != len(want):
                failures.append(f"case {i}: {len(got)} points, numpy gives {len(want)}")
                continue
            diff = [k for k in range(num) if bits(got[k]) != bits(want[k])]
            if diff:
                k = diff[0]
                failures.append(f"case {i} linspace{(a, b, num)}: {len(diff)} point(s) differ, "
                                f"first [{k}] = {got[k]!r}, numpy {want[k]!r}")
            else:
                print(f"case {i}: linspace({a!r}, {b!r}, {num}) matches numpy bit for bit")

        # A spec from stdin: name "<stdin>", plugin relative to the working directory.
        text = json.dumps({"plugin": "m.so", "t_span": [0, 1], "y0": [1]})
        r = subprocess.run([spec_check, "--print", "plugin", "-"], input=text,
                           capture_output=True, text=True, cwd=tmp, timeout=30)
        if r.returncode != 0 or r.stdout.split() != ["ok", "./m.so"]:
            failures.append(f"stdin spec: exit {r.returncode}, stdout {r.stdout!r}, "
                            f"stderr {r.stderr!r}; wanted ok and ./m.so")
        r = subprocess.run([spec_check, "-"], input='{"plugin": 1}', capture_output=True,
                           text=True, cwd=tmp, timeout=30)
        if r.returncode != 2 or not r.stderr.startswith("<stdin>: $.plugin: "):
            failures.append(f"bad stdin spec: exit {r.returncode}, stderr {r.stderr!r}")

    for f in failures:
        print("FAIL:", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
