# SPDX-License-Identifier: MIT
# tests/spec/spec_memory.py - a large spec is parsed in memory proportional to its data.
#
#   spec_memory.py SPEC_CHECK [--sanitized]
#
# Writes a spec with a y0 of N = 10^6 values (17 significant digits, as a program would write
# them) into the build folder, runs SPEC_CHECK on it and on a tiny spec, and compares their
# peak resident sizes (VmHWM, which SPEC_CHECK prints: getrusage would count the forked
# copy of this Python process). While parsing, the spec text (T bytes) and
# cJSON's tree (one 64-byte node per number, 80 with malloc's header) are alive together;
# after that the problem holds 8 bytes per value and the resolved text ~20. So the bound is
# T + 90 bytes per value; before the parser freed the text and the tree early and wrote the
# resolved text without copying the tree, the peak was ~270 bytes per value plus T.
# The resolved spec must still hold every value exactly. With --sanitized (an ASan build, whose
# allocator adds redzones and a quarantine) only the values are checked.
import json
import os
import random
import subprocess
import sys

N = 10**6
BYTES_PER_VALUE = 90


def peak_kib(spec_check, path):
    r = subprocess.run([spec_check, "--print", "peak", path], capture_output=True, text=True,
                       timeout=600)
    assert r.returncode == 0, r.stderr
    kib = int(r.stdout.split("peak ", 1)[1])
    assert kib > 0, "no VmHWM in /proc/self/status"
    return kib


def main():
    spec_check = sys.argv[1]
    sanitized = "--sanitized" in sys.argv[2:]
    folder = os.environ.get("IVP_BUILD_DIR") or os.getcwd()
    path = os.path.join(folder, "spec_memory_big.json")
    tiny = os.path.join(folder, "spec_memory_tiny.json")
    rng = random.Random(7)
    y0 = [rng.uniform(-1, 1) for _ in range(N)]
    with open(path, "w", encoding="utf-8") as f:
        f.write('{"plugin": "m.so", "t_span": [0, 1], "y0": [')
        f.write(", ".join(repr(v) for v in y0))
        f.write("]}")
    with open(tiny, "w", encoding="utf-8") as f:
        f.write('{"plugin": "m.so", "t_span": [0, 1], "y0": [1]}')
    text_bytes = os.path.getsize(path)
    try:
        base = peak_kib(spec_check, tiny)
        peak = peak_kib(spec_check, path)
        r = subprocess.run([spec_check, "--print", "resolved", path], capture_output=True,
                           text=True, timeout=600)
        assert r.returncode == 0, r.stderr
    finally:
        os.remove(path)
        os.remove(tiny)
    resolved = json.loads(r.stdout.split("\n", 1)[1])
    if resolved["y0"] != y0:
        print("FAILED: the resolved spec does not hold y0 exactly")
        return 1
    grown = (peak - base) * 1024
    per_value = (grown - text_bytes) / N
    print(f"y0 of {N} values, text {text_bytes} bytes ({text_bytes / N:.1f} per value): "
          f"peak RSS {peak} KiB, tiny spec {base} KiB, grown {grown} bytes = text + "
          f"{per_value:.1f} bytes per value (bound {BYTES_PER_VALUE})")
    if sanitized:
        print("sanitized build: the bound is not checked")
        return 0
    if grown > text_bytes + BYTES_PER_VALUE * N:
        print("FAILED: parsing the spec took more than text + "
              f"{BYTES_PER_VALUE} bytes per value")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
