/* SPDX-License-Identifier: MIT
 * cli/main.c - the ivp program: the subcommand table, top-level options and messages.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ivp/solve.h"
#include "ivp/status.h"

#include "cli.h"
#ifdef IVP_MPI
#include "run_mpi.h"
#endif

static const char main_usage[] =
    "usage: ivp <command> [options]\n"
    "       ivp --help | --version\n"
    "\n"
    "Solves ODE initial-value problems y' = f(t, y) given as a JSON spec and a C plugin,\n"
    "writing the solution to an HDF5 file, and works with the results.\n"
    "\n"
    "commands:\n";

static const char main_usage_tail[] =
    "\n"
    "Run 'ivp help <command>' or 'ivp <command> --help' for the options of a command.\n"
    "\n"
    "exit codes: 0 success, 1 the solver failed (the file is still written), 2 bad usage or\n"
    "invalid spec (nothing written), 3 the plugin could not be loaded or built, 4 the plugin\n"
    "crashed or called exit() (nothing written), 130 interrupted (the partial file is written).\n";

static const cli_command main_commands[] = {
    {.name = "run",
     .fn = cmd_run,
     .summary = "integrate a problem spec and write the solution to HDF5",
     .usage = "usage: ivp run SPEC [-o OUT.h5] [--set KEY=VALUE]... [--method M] [--rtol X]\n"
              "               [--atol X] [--members FILE] [-j N] [--shard I/N|auto] [--resume]\n"
              "               [--no-clobber] [--skip-existing] [--progress[=S]] [--summary-json]\n"
              "               [--quiet]\n"
              "\n"
              "Integrates the problem in SPEC (a JSON file; '-' reads standard input) and writes\n"
              "the solution to an HDF5 file.\n"
              "\n"
              "options:\n"
              "  -o, --output FILE    output file (default: the spec's \"output\", else\n"
              "                       <spec name>.h5 in the current folder); a regular file,\n"
              "                       not '-', a device or a FIFO. In it (and in \"output\"),\n"
              "                       {params.NAME} is the parameter's value (shortest exact\n"
              "                       form: 0.5), {spec} the spec's name without .json, and with\n"
              "                       --shard {member} the shard's members FIRST-LAST; '{{' and\n"
              "                       '}}' are braces. Anything else in braces: exit 2\n"
              "  --set KEY=VALUE      override a spec key, e.g. --set params.mu=10 or\n"
              "                       --set y0=[1,0] (VALUE is JSON; otherwise a string)\n"
              "  --method M           same as --set method=M (one of the methods below)\n"
              "  --rtol X             same as --set rtol=X\n"
              "  --atol X             same as --set atol=X\n"
              "  --members FILE       run an ensemble: one member per row of a CSV file (header:\n"
              "                       override paths such as params.mu,y0[0]) or per line of an\n"
              "                       NDJSON file ('-': standard input); see \"ensemble\" in the\n"
              "                       README\n"
              "  -j, --jobs N         worker threads of an ensemble (default: the CPUs this\n"
              "                       process may use)\n"
              "  --shard I/N          solve only block I (0-based) of N contiguous blocks of the\n"
              "                       ensemble's members and write a shard file (without -o:\n"
              "                       <name>-shard-I-of-N.h5); 'ivp merge' joins the shards.\n"
              "                       --shard auto: I and N from a Slurm job array\n"
              "                       (SLURM_ARRAY_TASK_ID, _MIN, _MAX, _STEP)\n"
              "  --resume             the output exists from an interrupted or partly failed run\n"
              "                       of the same command: keep its finished members, solve the\n"
              "                       rest (status -1 or -2) and write the complete file\n"
              "  --no-clobber         exit 2 before solving if the output exists\n"
              "  --skip-existing      exit 0 without solving if the output exists and is this\n"
              "                       run's finished result (same problem and members, status\n"
              "                       0 or 1); otherwise solve and replace it\n"
              "  --progress[=S]       every S seconds (default 10) a timestamped progress line on\n"
              "                       stderr, also when it is not a terminal (logs): t, percent,\n"
              "                       steps, elapsed and estimated time left (ensembles: members)\n"
              "  --summary-json       print the summary as one JSON object on stdout (also with\n"
              "                       --quiet)\n"
              "  -q, --quiet          no summary, progress line or warnings (errors still go to\n"
              "                       stderr; so do warnings that another run writes the same\n"
              "                       output)\n"
              "  -h, --help           show this help\n"
              "\n"
              "An ensemble (a spec with \"ensemble\", or --members) writes one file with every\n"
              "member; exit 1 then means some member failed (/members/status says which).\n"
              "\n"
              "exit codes: 0 success (status 0 or 1), 1 the solver failed (status -1, the file is\n"
              "written) or the output could not be written (nothing written), 2 bad usage or\n"
              "invalid spec (nothing written), 3 plugin error, 4 the plugin crashed or called\n"
              "exit() (nothing written), 130 interrupted by SIGINT, SIGTERM, SIGHUP, SIGQUIT,\n"
              "SIGUSR1, SIGXCPU or SIGPIPE (status -2, the partial file is written).\n"},
    {.name = "validate",
     .fn = cmd_validate,
     .summary = "check a spec (and its plugin) without solving",
     .usage = "usage: ivp validate SPEC [--set KEY=VALUE]... [--method M] [--rtol X] [--atol X]\n"
              "                         [--members FILE]\n"
              "\n"
              "Checks SPEC ('-' reads standard input) as 'ivp run' would - the spec, the plugin\n"
              "and the solver options - without solving or writing anything.\n"
              "\n"
              "options:\n"
              "  --set KEY=VALUE      override a spec key (VALUE is JSON; otherwise a string)\n"
              "  --method M           same as --set method=M\n"
              "  --rtol X             same as --set rtol=X\n"
              "  --atol X             same as --set atol=X\n"
              "  --members FILE       an ensemble's members table (CSV or NDJSON; '-': stdin),\n"
              "                       every member checked\n"
              "  -q, --quiet          no warnings\n"
              "  -h, --help           show this help\n"
              "\n"
              "exit codes: 0 valid, 2 invalid spec or usage, 3 plugin error,\n"
              "130 interrupted (while a plugin is compiled).\n"},
    {.name = "build",
     .fn = cmd_build,
     .summary = "compile a plugin with the right flags and include path",
     .usage = "usage: ivp build PLUGIN.c [-o PLUGIN.so]\n"
              "       ivp build SPEC.json [-o MODEL.c]\n"
              "\n"
              "Compiles a plugin source with the system C compiler ($CC, else cc) as\n"
              "cc -O2 -shared -fPIC -I<ivp's plugin header folder> -o PLUGIN.so PLUGIN.c\n"
              "and prints the path of the shared object. Given a spec with an expression\n"
              "\"model\", writes the plugin's generated C source instead (default: SPEC\n"
              "with .json replaced by .c; exit 2 for an invalid model).\n"
              "\n"
              "options:\n"
              "  -o, --output FILE    the shared object (default: PLUGIN.c with .c replaced\n"
              "                       by .so)\n"
              "  -h, --help           show this help\n"
              "\n"
              "exit codes: 0 built, 2 bad usage, 3 the compiler failed or timed out,\n"
              "130 interrupted.\n"},
    {.name = "info",
     .fn = cmd_info,
     .summary = "a result file's status, method, counters, events and parameters",
     .usage = "usage: ivp info FILE... [--json | --csv] [--members]\n"
              "\n"
              "Shows what a result file (single run or ensemble) holds: status and message,\n"
              "method and tolerances, states, points, dense output, events, parameters and\n"
              "counters. Every file is checked before anything is printed.\n"
              "\n"
              "options:\n"
              "  --json               one JSON object (an array of them for several files)\n"
              "  --csv                one CSV row per file (per member with --members);\n"
              "                       parameter columns by name, event counts as events:NAME\n"
              "  --members            also list an ensemble's members\n"
              "  -h, --help           show this help\n"
              "\n"
              "exit codes: 0 shown, 2 bad usage or a file that is missing, not an ivp result\n"
              "or damaged (nothing printed).\n"},
    {.name = "eval",
     .fn = cmd_eval,
     .summary = "the solution at given times, from the dense output, as a table",
     .usage = "usage: ivp eval FILE (--t T[,T...] | --t A:B:NUM | --t-file F) [--member K]\n"
              "                [--format csv|tsv|ndjson] [-o OUT]\n"
              "\n"
              "Evaluates the dense output (the file must have been written with\n"
              "\"dense_output\": true) at the given times, exactly as scipy's PPoly does, and\n"
              "prints a table: a header row naming t and the states, then one row per time,\n"
              "values with 17 significant digits. An ensemble without --member gives every\n"
              "member, with a first column 'member'.\n"
              "\n"
              "options:\n"
              "  --t T,T,...          these times\n"
              "  --t A:B:NUM          NUM times from A to B, as numpy.linspace(A, B, NUM)\n"
              "  --t-file F           times from a file (white space or commas between them,\n"
              "                       '#' starts a comment; '-' reads standard input)\n"
              "  --member K           member K (0-based) of an ensemble file\n"
              "  --format F           csv (default), tsv or ndjson (one JSON object a line)\n"
              "  -o, --output FILE    write FILE (complete or not at all) instead of stdout\n"
              "  -h, --help           show this help\n"
              "\n"
              "exit codes: 0 written, 2 bad usage, a bad file, no dense output, a time outside\n"
              "the solution's interval or a member out of range (nothing written).\n"},
    {.name = "export",
     .fn = cmd_export,
     .summary = "the stored points (or events) as a CSV, TSV or NDJSON table",
     .usage = "usage: ivp export FILE [--member K] [--events] [--format csv|tsv|ndjson] [-o OUT]\n"
              "\n"
              "Prints the stored points: a header row naming t and the states, then one row\n"
              "per point, values with 17 significant digits. An ensemble without --member\n"
              "gives every member, with a first column 'member'.\n"
              "\n"
              "options:\n"
              "  --member K           member K (0-based) of an ensemble file\n"
              "  --events             the event occurrences instead: columns event, t, states\n"
              "  --format F           csv (default), tsv or ndjson (one JSON object a line)\n"
              "  -o, --output FILE    write FILE (complete or not at all) instead of stdout\n"
              "  -h, --help           show this help\n"
              "\n"
              "exit codes: 0 written, 2 bad usage, a bad file or a member out of range\n"
              "(nothing written).\n"},
    {.name = "compare",
     .fn = cmd_compare,
     .summary = "compare two results; the exit code is the verdict",
     .usage = "usage: ivp compare A B [--rtol R] [--atol A] [--member K] [--verbose]\n"
              "\n"
              "Compares two results of the same problem (B is the reference): where both have\n"
              "dense output, each file's stored points against the other's dense output on\n"
              "the common interval; otherwise the stored points, which must then be at the\n"
              "same times. Also the status and the number and times of events. Prints the\n"
              "worst absolute and relative differences (per component with --verbose).\n"
              "A value a of A matches b of B when |a - b| <= atol + rtol * |b|.\n"
              "Ensembles are compared member by member (both must have the same members).\n"
              "\n"
              "options:\n"
              "  --rtol R             relative tolerance (default 1e-9)\n"
              "  --atol A             absolute tolerance (default 1e-12)\n"
              "  --member K           compare member K of an ensemble file (with a single run,\n"
              "                       or with member K of another ensemble)\n"
              "  -v, --verbose        the worst differences of every component\n"
              "  -h, --help           show this help\n"
              "\n"
              "exit codes: 0 the same within the tolerances, 1 different, 2 bad usage, a bad\n"
              "file, or files that cannot be compared (different state dimension, no common\n"
              "interval, different members, or stored points at different times without\n"
              "dense output).\n"},
    {.name = "plot",
     .fn = cmd_plot,
     .summary = "draw a result as an SVG or PNG figure",
     .usage = "usage: ivp plot FILE -o FIG.svg|FIG.png [--components I,J...] [--phase I:J]\n"
              "                [--member K] [--size WxH] [--title TEXT]\n"
              "\n"
              "Draws the components against t (from the dense output when the file has one,\n"
              "else the stored points) with the events marked, or with --phase a phase\n"
              "portrait. The format follows the extension of -o.\n"
              "\n"
              "options:\n"
              "  -o, --output FILE    the figure, .svg or .png (written complete or not at all)\n"
              "  --components I,J...  the components to draw, by index or name (default: all,\n"
              "                       at most 12)\n"
              "  --phase I:J          component J against component I (index or name)\n"
              "  --member K           member K (0-based) of an ensemble file (required there)\n"
              "  --size WxH           the size in pixels (default 800x500)\n"
              "  --title TEXT         the title (default: the file name, method and status)\n"
              "  -h, --help           show this help\n"
              "\n"
              "exit codes: 0 drawn, 2 bad usage, a bad file, a component or member out of\n"
              "range, or ivp built without cairo (nothing written).\n"},
    {.name = "merge",
     .fn = cmd_merge,
     .summary = "join the shard files of an ensemble (run --shard) into one file",
     .usage = "usage: ivp merge SHARD.h5... -o OUT.h5 [--quiet]\n"
              "\n"
              "Joins the shard files written by 'ivp run SPEC --shard I/N' (all N of them,\n"
              "in any order) into the file one 'ivp run SPEC' would have written. Refused\n"
              "(exit 2, nothing written) when a shard is missing or given twice, or when the\n"
              "shards come from different specs, overrides or plugins.\n"
              "\n"
              "options:\n"
              "  -o, --output FILE    the merged file (required)\n"
              "  -q, --quiet          no summary line\n"
              "  -h, --help           show this help\n"
              "\n"
              "exit codes: 0 merged, 1 the output could not be written, 2 bad usage, an\n"
              "unreadable or mismatched shard, or an incomplete set.\n"},
    {.name = NULL},
};

static void main_print_usage(FILE *out)
{
    const cli_command *c;
    fputs(main_usage, out);
    for (c = main_commands; c->name != NULL; c++) {
        fprintf(out, "  %-10s %s\n", c->name, c->summary);
    }
    fputs(main_usage_tail, out);
}

/* The methods, from the registry: "  NAME    help". */
static void main_print_methods(FILE *out)
{
    size_t count, i;
    const ivp_method_info *m = ivp_methods(&count);
    fputs("\nmethods (case-insensitive):\n", out);
    for (i = 0; i < count; i++) {
        fprintf(out, "  %-8s %s\n", m[i].name, m[i].help);
    }
}

void cli_usage(FILE *out, const cli_command *cmd)
{
    if (cmd == NULL) {
        main_print_usage(out);
    } else {
        fputs(cmd->usage, out);
        if (strcmp(cmd->name, "run") == 0 || strcmp(cmd->name, "validate") == 0) {
            main_print_methods(out);
        }
    }
}

/* fmt is the caller's printf format (checked at the call sites through cli.h's attributes). */
__attribute__((format(printf, 2, 0))) static void cli_vmessage(const char *kind, const char *fmt,
                                                               va_list ap)
{
    fprintf(stderr, "ivp: %s: ", kind);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cli_vmessage("error", fmt, ap);
    va_end(ap);
}

void cli_warning(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cli_vmessage("warning", fmt, ap);
    va_end(ap);
}

int cli_usage_error(const cli_command *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cli_vmessage("error", fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    cli_usage(stderr, cmd);
    return IVP_EXIT_USAGE;
}

int cli_exit_for_status(ivp_status s)
{
    switch (s) {
    case IVP_OK:
    case IVP_TERMINATED:
        return IVP_EXIT_OK;
    case IVP_ERR_SPEC:
    case IVP_ERR_ARG:
        return IVP_EXIT_USAGE;
    case IVP_ERR_PLUGIN:
    case IVP_ERR_BUILD:
        return IVP_EXIT_PLUGIN;
    case IVP_ERR_INTERRUPTED:
        return IVP_EXIT_INTERRUPTED;
    default:
        return IVP_EXIT_SOLVER;
    }
}

/* Batch jobs run many ivp processes side by side, and the dense systems ivp hands to LAPACK
 * are small: OpenBLAS's own threads would only compete for the cores (measured: 3-34x slower
 * factorisations on a busy machine, bench/linalg/README.md). Unless the user chose a thread
 * count, use one. Looked up at run time, so any BLAS works. */
static void main_single_threaded_blas(void)
{
    ivp_set_blas_threads(1); /* applied when LAPACK is loaded; the environment wins */
}

static int main_command(int argc, char **argv)
{
    const cli_command *c;
    const char *name;

    main_single_threaded_blas();

    if (argc < 2) {
        return cli_usage_error(NULL, "no command given");
    }
    name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0) {
        main_print_usage(stdout);
        return IVP_EXIT_OK;
    }
    if (strcmp(name, "--version") == 0 || strcmp(name, "-V") == 0) {
        printf("ivp %s (plugin ABI %d)\n", IVP_VERSION, IVP_PLUGIN_ABI_VERSION);
        return IVP_EXIT_OK;
    }
    if (name[0] == '-') {
        return cli_usage_error(NULL, "unknown option '%s'", name);
    }
    if (strcmp(name, "help") == 0) {
        /* ivp help [COMMAND]: the command's --help, or this one */
        if (argc > 3) {
            return cli_usage_error(NULL, "'help' takes at most one command");
        }
        if (argc == 2) {
            main_print_usage(stdout);
            return IVP_EXIT_OK;
        }
        for (c = main_commands; c->name != NULL; c++) {
            if (strcmp(c->name, argv[2]) == 0) {
                cli_usage(stdout, c);
                return IVP_EXIT_OK;
            }
        }
        return cli_usage_error(NULL, "unknown command '%s'", argv[2]);
    }
    for (c = main_commands; c->name != NULL; c++) {
        if (strcmp(c->name, name) == 0) {
            return c->fn(argc - 1, argv + 1, c);
        }
    }
    return cli_usage_error(NULL, "unknown command '%s'", name);
}

int main(int argc, char **argv)
{
#ifdef IVP_MPI
    /* MPI only when an MPI launcher started this process (cli/run_mpi.h). */
    int code = run_mpi_init(&argc, &argv);
    if (code == IVP_EXIT_OK) {
        code = main_command(argc, argv);
    }
    run_mpi_finalize();
    return code;
#else
    return main_command(argc, argv);
#endif
}
