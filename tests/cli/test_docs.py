# SPDX-License-Identifier: MIT
"""tests/cli/test_docs.py - `ivp help`, the manual page and the bash completion keep up with the
program.

- `ivp help CMD` prints exactly `ivp CMD --help` (exit 0) for every command `ivp --help` lists;
  `ivp help` prints `ivp --help`; an unknown command is exit 2.
- docs/man/ivp.1 has a section for every command and, in it, every option of the command's
  --help (so the page cannot silently fall behind), and names every method; it renders with
  groff without warnings (when groff is installed).
- completions/ivp.bash, loaded in bash with COMP_WORDS/COMP_CWORD set: commands, options per
  command, the six methods after --method, *.json / *.c files for run / build.

Environment (from ivp_add_python_test): IVP_BIN, IVP_SOURCE_DIR.
"""

import os
import re
import shutil
import subprocess
import tempfile
import unittest

IVP = os.environ.get("IVP_BIN", "ivp")
SOURCE_DIR = os.environ.get("IVP_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
MAN_PAGE = os.path.join(SOURCE_DIR, "docs", "man", "ivp.1")
COMPLETION = os.path.join(SOURCE_DIR, "completions", "ivp.bash")
# The method registry (ivp_methods() in core/include/ivp/solve.h), in its order.
METHODS = ["RK23", "RK45", "DOP853", "Radau", "BDF", "LSODA"]


def run(args):
    return subprocess.run([IVP] + list(args), capture_output=True, text=True, timeout=60)


def help_section(text, header):
    """The lines of a help text after the line `header`, up to the next blank line."""
    lines = text.splitlines()
    start = lines.index(header) + 1
    out = []
    for line in lines[start:]:
        if not line.strip():
            break
        out.append(line)
    return out


def commands():
    r = run(["--help"])
    assert r.returncode == 0, r.stderr
    return [line.split()[0] for line in help_section(r.stdout, "commands:")]


def options(cmd):
    """Every option of `ivp cmd --help`: the '  -o, --output FILE' lines of its options."""
    r = run([cmd, "--help"])
    assert r.returncode == 0, r.stderr
    opts = []
    for line in help_section(r.stdout, "options:"):
        m = re.match(r"^  (-[-\w]+)(?:, (--[-\w]+))?", line)
        if m:
            opts += [o for o in m.groups() if o and o not in opts]
    return opts


def man_text():
    """The page's source with the font escapes removed and '\\-' as '-'."""
    with open(MAN_PAGE) as f:
        src = f.read()
    src = re.sub(r"\\f[BIRP]", "", src)
    return src.replace("\\-", "-").replace("\\(en", "-")


def man_section(text, cmd):
    """The text of the man page's '.SS "ivp CMD ..."' section."""
    m = re.search(r'^\.SS "ivp %s\b.*?(?=^\.S[SH] )' % re.escape(cmd), text, re.S | re.M)
    return m.group(0) if m else None


class HelpCommand(unittest.TestCase):
    def test_help_cmd_equals_cmd_help(self):
        cmds = commands()
        self.assertIn("run", cmds)
        for cmd in cmds:
            with self.subTest(cmd=cmd):
                a, b = run(["help", cmd]), run([cmd, "--help"])
                self.assertEqual(a.returncode, 0, a.stderr)
                self.assertEqual(b.returncode, 0, b.stderr)
                self.assertEqual(a.stdout, b.stdout)
                self.assertEqual(a.stderr, "")

    def test_help_alone_is_the_main_help(self):
        a, b = run(["help"]), run(["--help"])
        self.assertEqual(a.returncode, 0)
        self.assertEqual(a.stdout, b.stdout)
        self.assertIn("ivp help <command>", a.stdout)

    def test_help_unknown_command_is_usage_error(self):
        r = run(["help", "no-such-command"])
        self.assertEqual(r.returncode, 2)
        self.assertEqual(r.stdout, "")
        self.assertIn("unknown command 'no-such-command'", r.stderr)
        r = run(["help", "run", "extra"])
        self.assertEqual(r.returncode, 2)


class ManPage(unittest.TestCase):
    def test_every_command_and_option_is_described(self):
        text = man_text()
        for cmd in commands() + ["help"]:
            with self.subTest(cmd=cmd):
                sec = man_section(text, cmd)
                self.assertIsNotNone(sec, "docs/man/ivp.1 has no section .SS \"ivp %s\"" % cmd)
                self.assertRegex(text, r"(?m)^\.B ivp %s$" % re.escape(cmd),
                                 "SYNOPSIS lacks ivp %s" % cmd)
                for opt in (options(cmd) if cmd != "help" else []):
                    found = re.search(r"(?<![-\w])%s(?![-\w])" % re.escape(opt), sec)
                    self.assertTrue(found, "docs/man/ivp.1, section ivp %s: option %s missing"
                                    % (cmd, opt))

    def test_methods_and_exit_codes(self):
        text = man_text()
        for m in METHODS:
            self.assertRegex(text, r"\b%s\b" % m)
        exits = re.search(r"^\.SH EXIT STATUS(.*?)^\.SH ", text, re.S | re.M).group(1)
        for code in ("0", "1", "2", "3", "4", "130"):
            self.assertRegex(exits, r"(?m)^\.B %s$" % code)

    @unittest.skipUnless(shutil.which("groff"), "groff is not installed")
    def test_renders_without_warnings(self):
        r = subprocess.run(["groff", "-man", "-Tutf8", "-ww", "-z", MAN_PAGE],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stderr, "")


@unittest.skipUnless(shutil.which("bash"), "bash is not installed")
class Completion(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        for name in ("a.json", "b.json", "model.c", "notes.txt", "r.h5"):
            open(os.path.join(self.tmp.name, name), "w").close()
        os.mkdir(os.path.join(self.tmp.name, "sub"))

    def tearDown(self):
        self.tmp.cleanup()

    def complete(self, *words):
        """COMPREPLY for the command line IVP words..., the cursor on the last word."""
        script = ('source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _ivp; '
                  'printf "%s\\n" "${COMPREPLY[@]}"')
        r = subprocess.run(["bash", "--norc", "--noprofile", "-c", script, "bash", COMPLETION,
                            IVP] + list(words), capture_output=True, text=True, timeout=60,
                           cwd=self.tmp.name)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stderr, "")
        return [w for w in r.stdout.split("\n") if w]

    def test_commands(self):
        self.assertEqual(self.complete("r"), ["run"])
        self.assertEqual(self.complete("v"), ["validate"])
        self.assertEqual(sorted(self.complete("")), sorted(commands() + ["help"]))
        self.assertEqual(self.complete("help", "b"), ["build"])
        self.assertEqual(sorted(self.complete("-")), ["--help", "--version"])

    def test_options(self):
        self.assertEqual(self.complete("run", "--meth"), ["--method"])
        self.assertEqual(self.complete("run", "a.json", "--q"), ["--quiet"])
        for cmd in commands():
            with self.subTest(cmd=cmd):
                self.assertEqual(sorted(self.complete(cmd, "-")), sorted(options(cmd)))

    def test_methods(self):
        self.assertEqual(self.complete("run", "x.json", "--method", ""), METHODS)
        self.assertEqual(self.complete("validate", "x.json", "--method", "R"),
                         ["RK23", "RK45", "Radau"])

    def test_files(self):
        self.assertEqual(sorted(self.complete("run", "")), ["a.json", "b.json", "sub"])
        self.assertEqual(sorted(self.complete("validate", "a")), ["a.json"])
        self.assertEqual(sorted(self.complete("build", "")), ["model.c", "sub"])
        self.assertEqual(sorted(self.complete("run", "a.json", "-o", "")), ["r.h5", "sub"])


if __name__ == "__main__":
    unittest.main()
