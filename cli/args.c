/* SPDX-License-Identifier: MIT
 * cli/args.c - option parsing shared by the subcommands.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* One option: its long name, short letter (0: none), whether it takes a value (2: optional,
 * only as --name=value), its bit. */
typedef struct args_option {
    const char *name;
    char letter;
    int takes_value;
    unsigned bit;
} args_option;

enum { ARGS_HELP = 1u << 15 };

static const args_option args_options[] = {
    {"output", 'o', 1, CLI_OPT_OUTPUT},
    {"set", 0, 1, CLI_OPT_SET},
    {"method", 0, 1, CLI_OPT_METHOD},
    {"rtol", 0, 1, CLI_OPT_RTOL},
    {"atol", 0, 1, CLI_OPT_ATOL},
    {"quiet", 'q', 0, CLI_OPT_QUIET},
    {"help", 'h', 0, ARGS_HELP},
    {"jobs", 'j', 1, CLI_OPT_JOBS},
    {"members", 0, 1, CLI_OPT_MEMBERS},
    {"shard", 0, 1, CLI_OPT_SHARD},
    {"resume", 0, 0, CLI_OPT_RESUME},
    {"no-clobber", 0, 0, CLI_OPT_NO_CLOBBER},
    {"skip-existing", 0, 0, CLI_OPT_SKIP_EXISTING},
    {"progress", 0, 2, CLI_OPT_PROGRESS},
    {"summary-json", 0, 0, CLI_OPT_SUMMARY_JSON},
    {NULL, 0, 0, 0},
};

/* The option called name (len bytes, a long name) or letter, or NULL. */
static const args_option *args_find(const char *name, size_t len, char letter)
{
    const args_option *o;
    for (o = args_options; o->name != NULL; o++) {
        if (name != NULL ? (strlen(o->name) == len && strncmp(o->name, name, len) == 0)
                         : (letter != 0 && o->letter == letter)) {
            return o;
        }
    }
    return NULL;
}

/* "key=value" built from an option's value; NULL when out of memory. */
static char *args_override(const char *key, const char *value)
{
    size_t len = strlen(key) + 1 + strlen(value) + 1;
    char *s = malloc(len);
    if (s != NULL) {
        snprintf(s, len, "%s=%s", key, value);
    }
    return s;
}

/* A decimal number without sign or spaces, at most 10^9; -1 otherwise. */
static long args_count(const char *s)
{
    long v = 0;
    if (s == NULL || *s == '\0') {
        return -1;
    }
    for (; *s != '\0'; s++) {
        if (*s < '0' || *s > '9' || v > 100000000L) {
            return -1;
        }
        v = 10 * v + (*s - '0');
    }
    return v <= 1000000000L ? v : -1;
}

/* A Slurm variable's value as a count (see args_count). */
static long args_env_count(const char *name, char *why, size_t why_size)
{
    const char *v = getenv(name);
    long n = args_count(v);
    if (v == NULL) {
        snprintf(why, why_size, "%s is not set (not a Slurm array job?)", name);
    } else if (n < 0) {
        snprintf(why, why_size, "%s is '%s', not a number", name, v);
    }
    return v == NULL ? -1 : n;
}

int cli_shard_parse(const char *value, size_t *i, size_t *n, char *why, size_t why_size)
{
    long I, N;
    if (strcmp(value, "auto") == 0) {
        long id = args_env_count("SLURM_ARRAY_TASK_ID", why, why_size), lo, hi, step = 1;
        if (id < 0 || (lo = args_env_count("SLURM_ARRAY_TASK_MIN", why, why_size)) < 0 ||
            (hi = args_env_count("SLURM_ARRAY_TASK_MAX", why, why_size)) < 0) {
            return -1;
        }
        if (getenv("SLURM_ARRAY_TASK_STEP") != NULL &&
            ((step = args_env_count("SLURM_ARRAY_TASK_STEP", why, why_size)) < 0 || step == 0)) {
            if (step == 0) {
                snprintf(why, why_size, "SLURM_ARRAY_TASK_STEP is 0");
            }
            return -1;
        }
        if (id < lo || id > hi || (id - lo) % step != 0) {
            snprintf(why, why_size,
                     "SLURM_ARRAY_TASK_ID %ld is not one of the tasks %ld-%ld:%ld "
                     "(SLURM_ARRAY_TASK_MIN, _MAX, _STEP)",
                     id, lo, hi, step);
            return -1;
        }
        I = (id - lo) / step;
        N = (hi - lo) / step + 1;
    } else {
        const char *slash = strchr(value, '/');
        char head[16];
        size_t len = slash != NULL ? (size_t)(slash - value) : 0;
        if (slash == NULL || len == 0 || len >= sizeof head) {
            I = -1;
            N = -1;
        } else {
            memcpy(head, value, len);
            head[len] = '\0';
            I = args_count(head);
            N = args_count(slash + 1);
        }
        if (I < 0 || N < 1) {
            snprintf(why, why_size, "expected I/N (block I of N, 0 <= I < N) or 'auto', got '%s'",
                     value);
            return -1;
        }
        if (I >= N) {
            snprintf(why, why_size,
                     "'%s': the block I must be below N (0-based: 0/%ld ... %ld/%ld)", value, N,
                     N - 1, N);
            return -1;
        }
    }
    *i = (size_t)I;
    *n = (size_t)N;
    return 0;
}

/* Stores the value of option o; returns IVP_EXIT_OK or a usage error. */
static int args_apply(const args_option *o, const char *value, const char *spelled,
                      const cli_command *cmd, cli_args *a, const char **method, const char **rtol,
                      const char **atol)
{
    const char *eq;
    switch (o->bit) {
    case CLI_OPT_OUTPUT:
        if (value[0] == '\0') {
            return cli_usage_error(cmd, "option '%s' needs a file name", spelled);
        }
        if (strcmp(value, "-") == 0) {
            return cli_usage_error(cmd,
                                   "option '%s': '-' (standard output) cannot be an output: the "
                                   "file is written under a temporary name and renamed when "
                                   "complete; give a file name (./- for a file called '-')",
                                   spelled);
        }
        a->output = value;
        break;
    case CLI_OPT_SET:
        eq = strchr(value, '=');
        if (eq == NULL || eq == value) {
            return cli_usage_error(cmd, "--set expects KEY=VALUE (e.g. params.mu=10), got '%s'",
                                   value);
        }
        a->sets[a->n_sets++] = value;
        break;
    case CLI_OPT_METHOD:
        *method = value;
        break;
    case CLI_OPT_RTOL:
        *rtol = value;
        break;
    case CLI_OPT_ATOL:
        *atol = value;
        break;
    case CLI_OPT_QUIET:
        a->quiet = 1;
        break;
    case CLI_OPT_JOBS: {
        char *end = NULL;
        long j = strtol(value, &end, 10);
        if (value[0] < '0' || value[0] > '9' || end == NULL || *end != '\0' || j < 1 || j > 4096) {
            return cli_usage_error(cmd,
                                   "option '%s' expects a number of threads in [1, 4096], "
                                   "got '%s'",
                                   spelled, value);
        }
        a->jobs = j;
        break;
    }
    case CLI_OPT_MEMBERS:
        if (value[0] == '\0') {
            return cli_usage_error(cmd, "option '%s' needs a file name (or '-')", spelled);
        }
        a->members = value;
        break;
    case CLI_OPT_SHARD: {
        char why[256];
        if (cli_shard_parse(value, &a->shard_i, &a->shard_n, why, sizeof why) != 0) {
            return cli_usage_error(cmd, "option '%s': %s", spelled, why);
        }
        a->shard = 1;
        break;
    }
    case CLI_OPT_RESUME:
        a->resume = 1;
        break;
    case CLI_OPT_NO_CLOBBER:
        a->no_clobber = 1;
        break;
    case CLI_OPT_SKIP_EXISTING:
        a->skip_existing = 1;
        break;
    case CLI_OPT_PROGRESS: {
        char *end = NULL;
        double s = value != NULL ? strtod(value, &end) : CLI_PROGRESS_DEFAULT;
        if (value != NULL &&
            (value[0] == '\0' || end == NULL || *end != '\0' || !(s >= 0.01) || s > 1e6)) {
            return cli_usage_error(cmd,
                                   "option '%s' expects a number of seconds in [0.01, 1e6], "
                                   "got '%s'",
                                   spelled, value);
        }
        a->progress = s;
        break;
    }
    case CLI_OPT_SUMMARY_JSON:
        a->summary_json = 1;
        break;
    default:
        a->help = 1;
        break;
    }
    return IVP_EXIT_OK;
}

int cli_args_parse(int argc, char **argv, unsigned allowed, const cli_command *cmd, cli_args *a)
{
    const char *method = NULL, *rtol = NULL, *atol = NULL;
    int i, code = IVP_EXIT_OK, only_positional = 0;

    memset(a, 0, sizeof *a);
    /* At most one override per argument, plus the three built ones. */
    a->sets = malloc(((size_t)argc + 3) * sizeof *a->sets);
    if (a->sets == NULL) {
        cli_error("out of memory");
        code = IVP_EXIT_SOLVER;
        goto done;
    }
    allowed |= ARGS_HELP;

    for (i = 1; i < argc && !a->help; i++) {
        const char *arg = argv[i];
        const args_option *o = NULL;
        const char *value = NULL;

        if (only_positional || arg[0] != '-' || strcmp(arg, "-") == 0) {
            if (a->input != NULL) {
                code = cli_usage_error(cmd, "unexpected argument '%s' (only one input is taken)",
                                       arg);
                goto done;
            }
            a->input = arg;
            continue;
        }
        if (strcmp(arg, "--") == 0) {
            only_positional = 1;
            continue;
        }
        if (arg[1] == '-') {
            const char *name = arg + 2, *eq = strchr(name, '=');
            size_t len = eq != NULL ? (size_t)(eq - name) : strlen(name);
            o = args_find(name, len, 0);
            if (o == NULL || (o->bit & allowed) == 0) {
                code = cli_usage_error(cmd, "unknown option '--%.*s'", (int)len, name);
                goto done;
            }
            if (eq != NULL) {
                if (!o->takes_value) {
                    code = cli_usage_error(cmd, "option '--%s' takes no value", o->name);
                    goto done;
                }
                value = eq + 1;
            }
        } else {
            o = args_find(NULL, 0, arg[1]);
            if (o == NULL || (o->bit & allowed) == 0) {
                code = cli_usage_error(cmd, "unknown option '%s'", arg);
                goto done;
            }
            if (arg[2] != '\0') {
                if (!o->takes_value) {
                    code = cli_usage_error(cmd, "unknown option '%s'", arg);
                    goto done;
                }
                value = arg + 2; /* -oFILE */
            }
        }
        if (o->takes_value == 1 && value == NULL) {
            if (i + 1 >= argc) {
                code = cli_usage_error(cmd, "option '%s' needs a value", arg);
                goto done;
            }
            value = argv[++i];
        }
        code = args_apply(o, value, arg, cmd, a, &method, &rtol, &atol);
        if (code != IVP_EXIT_OK) {
            goto done;
        }
    }
    if (a->help) {
        goto done;
    }
    if (a->input == NULL) {
        code = cli_usage_error(cmd, "missing %s argument",
                               (allowed & CLI_OPT_SET) != 0 ? "SPEC" : "PLUGIN.c");
        goto done;
    }
    /* Built last so that --method/--rtol/--atol win over any --set of the same key. */
    if ((method != NULL && (a->extra[0] = args_override("method", method)) == NULL) ||
        (rtol != NULL && (a->extra[1] = args_override("rtol", rtol)) == NULL) ||
        (atol != NULL && (a->extra[2] = args_override("atol", atol)) == NULL)) {
        cli_error("out of memory");
        code = IVP_EXIT_SOLVER;
        goto done;
    }
    for (i = 0; i < 3; i++) {
        if (a->extra[i] != NULL) {
            a->sets[a->n_sets++] = a->extra[i];
        }
    }
done:
    return code;
}

void cli_args_free(cli_args *a)
{
    size_t i;
    free(a->sets);
    for (i = 0; i < 3; i++) {
        free(a->extra[i]);
    }
    memset(a, 0, sizeof *a);
}
