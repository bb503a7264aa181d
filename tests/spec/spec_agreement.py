# SPDX-License-Identifier: MIT
# tests/spec/spec_agreement.py - the JSON Schema and the C validator must judge every spec alike.
#
#   spec_agreement.py SPEC_CHECK
#
# Runs each file through jsonschema (Draft202012Validator on schemas/problem.schema.json, the
# schema itself checked first) and through SPEC_CHECK (ivp_problem_load, no plugin loaded):
#   tests/spec/valid/*.json, plugins/*.json   both must accept
#   tests/spec/invalid/*.json                 both must reject; the C error must name the path
#                                             given in invalid/expected.json
#   tests/spec/c_only/*.json                  the schema accepts (it cannot express these
#                                             checks, see its $comment), C rejects at the path
#                                             in c_only/expected.json
# Prints a table of every file where a side misjudged, and fails if there is any.
import concurrent.futures
import glob
import json
import os
import subprocess
import sys

import jsonschema

SRC = os.environ.get("IVP_SOURCE_DIR") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
HERE = os.path.join(SRC, "tests", "spec")
MIN_INVALID_CASES = 35


def strict_load(path):
    """json.load, but NaN/Infinity literals are errors, as in ivp (jsonschema would let NaN
    through every bound). Duplicate keys are left to json (the last one wins): the schema
    cannot see them, so they are a C-only check."""
    def no_constants(name):
        raise ValueError(f"non-standard constant {name}")

    with open(path, encoding="utf-8") as f:
        return json.load(f, parse_constant=no_constants)


def schema_verdict(validator, path):
    """(accepted, reason)."""
    try:
        doc = strict_load(path)
    except ValueError as e:
        return False, f"not JSON: {e}"
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
    if not errors:
        return True, ""
    e = errors[0]
    return False, f"{e.json_path}: {e.message}"[:160]


def c_verdict(spec_check, path):
    """(accepted, message, exit code)."""
    r = subprocess.run([spec_check, path], capture_output=True, text=True, timeout=30)
    msg = (r.stdout.strip() + " " + r.stderr.strip()).strip()
    if r.returncode == 0 and r.stdout.strip() == "ok":
        return True, msg, 0
    if r.returncode == 2:
        return False, msg, 2
    return None, msg, r.returncode  # crash or usage error: a misjudgement whatever was wanted


def load_expected(folder):
    path = os.path.join(folder, "expected.json")
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def main():
    if len(sys.argv) != 2:
        print("usage: spec_agreement.py SPEC_CHECK", file=sys.stderr)
        return 2
    spec_check = os.path.abspath(sys.argv[1])
    with open(os.path.join(SRC, "schemas", "problem.schema.json"), encoding="utf-8") as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)

    cases = []  # (file, want_schema, want_c, expected path substring or None)
    valid = sorted(glob.glob(os.path.join(HERE, "valid", "*.json")))
    examples = sorted(glob.glob(os.path.join(SRC, "plugins", "*.json")))
    for p in valid + examples:
        cases.append((p, True, True, None))

    problems = []  # set-up mistakes in the corpus itself
    for folder, want_schema in (("invalid", False), ("c_only", True)):
        d = os.path.join(HERE, folder)
        expected = load_expected(d)
        files = sorted(f for f in os.listdir(d) if f.endswith(".json") and f != "expected.json")
        for f in files:
            if f not in expected:
                problems.append(f"{folder}/{f}: no entry in {folder}/expected.json")
            cases.append((os.path.join(d, f), want_schema, False, expected.get(f)))
        for f in expected:
            if f not in files:
                problems.append(f"{folder}/expected.json names {f}, which does not exist")
        if folder == "invalid" and len(files) < MIN_INVALID_CASES:
            problems.append(f"invalid/ holds {len(files)} cases, fewer than {MIN_INVALID_CASES}")
    if len(valid) == 0:
        problems.append("valid/ holds no specs")

    # spec_check runs are independent (and slow under AddressSanitizer): run them at once.
    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        c_results = list(pool.map(lambda c: c_verdict(spec_check, c[0]), cases))

    rows = []
    for (path, want_schema, want_c, want_path), (c_ok, c_msg, c_rc) in zip(cases, c_results):
        s_ok, s_why = schema_verdict(validator, path)
        bad = []
        if s_ok != want_schema:
            bad.append("schema " + ("accepts" if s_ok else "rejects"))
        if c_ok is None:
            bad.append(f"spec_check exit {c_rc}")
        elif c_ok != want_c:
            bad.append("C " + ("accepts" if c_ok else "rejects"))
        if want_path is not None and c_ok is False and want_path not in c_msg:
            bad.append(f"C error lacks {want_path!r}")
        if not c_ok and c_ok is not None and not c_msg.startswith(path):
            bad.append("C error does not start with the file name")
        if bad:
            rows.append((os.path.relpath(path, SRC), "; ".join(bad), s_why or "valid",
                         c_msg or "(no output)"))

    n = len(cases)
    print(f"{n} specs checked: {len(valid)} valid/, {len(examples)} plugins/*.json, "
          f"{sum(1 for c in cases if c[1] is False)} invalid/, "
          f"{sum(1 for c in cases if c[1] is True and c[2] is False)} c_only/")
    for p in problems:
        print(f"CORPUS: {p}")
    if rows:
        print(f"\n{len(rows)} disagreement(s):")
        w = max(len(r[0]) for r in rows)
        print(f"{'file':<{w}} | problem | schema says | C says")
        for r in rows:
            print(f"{r[0]:<{w}} | {r[1]} | {r[2]} | {r[3]}")
    if rows or problems:
        return 1
    print("schema and C agree on every spec")
    return 0


if __name__ == "__main__":
    sys.exit(main())
