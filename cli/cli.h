/* SPDX-License-Identifier: MIT
 * cli/cli.h - private to the ivp program: exit codes, the subcommand table, option parsing and
 * the set-up shared by `run` and `validate`.
 *
 * Only cli/ prints, exits or reads argv (style.md section 1); the core returns statuses.
 */
#ifndef IVP_CLI_CLI_H
#define IVP_CLI_CLI_H

#include <stddef.h>
#include <stdio.h>

#include "ivp/plugin.h"
#include "ivp/problem.h"
#include "ivp/solve.h"
#include "ivp/status.h"

/* Exit codes of the ivp program (contracts.md section 4). */
typedef enum ivp_exit_code {
    IVP_EXIT_OK = 0,           /* success (solver status 0 or 1) */
    IVP_EXIT_SOLVER = 1,       /* the solver failed (status -1); the file is still written */
    IVP_EXIT_USAGE = 2,        /* bad usage or invalid spec; nothing written */
    IVP_EXIT_PLUGIN = 3,       /* the plugin could not be loaded or built */
    IVP_EXIT_CRASH = 4,        /* the solve crashed (a signal such as SIGSEGV or SIGABRT, nearly
                                   always in the plugin) or the plugin called exit(); no file */
    IVP_EXIT_INTERRUPTED = 130 /* SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGXCPU or SIGPIPE;
                                   the partial file is written (status -2) */
} ivp_exit_code;

/* One subcommand (git.c cmd_struct). */
typedef struct cli_command {
    const char *name;                                                 /* "run" */
    int (*fn)(int argc, char **argv, const struct cli_command *self); /* argv[0] is the name */
    const char *summary; /* one line for `ivp --help` */
    const char *usage;   /* for `ivp <name> --help` */
} cli_command;

int cmd_run(int argc, char **argv, const cli_command *self);
int cmd_validate(int argc, char **argv, const cli_command *self);
int cmd_build(int argc, char **argv, const cli_command *self);
/* The result tools (cli/cmd_info.c ... cmd_plot.c, helpers in cli/tools.h). */
int cmd_info(int argc, char **argv, const cli_command *self);
int cmd_eval(int argc, char **argv, const cli_command *self);
int cmd_export(int argc, char **argv, const cli_command *self);
int cmd_compare(int argc, char **argv, const cli_command *self);
int cmd_plot(int argc, char **argv, const cli_command *self);
int cmd_merge(int argc, char **argv, const cli_command *self);

/* Prints the command's usage text to out: stdout for --help, stderr on misuse. */
void cli_usage(FILE *out, const cli_command *cmd);

/* "ivp: error: <message>" on stderr, always (also with --quiet). */
#if defined(__GNUC__)
__attribute__((format(printf, 1, 2)))
#endif
void cli_error(const char *fmt, ...);

/* "ivp: warning: <message>" on stderr (callers skip it with --quiet). */
#if defined(__GNUC__)
__attribute__((format(printf, 1, 2)))
#endif
void cli_warning(const char *fmt, ...);

/* Prints "ivp: error: <message>" and the command's usage on stderr; returns IVP_EXIT_USAGE. */
#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
int cli_usage_error(const cli_command *cmd, const char *fmt, ...);

/* The exit code for a failed core call: spec/argument errors 2, plugin load/build 3, an
 * interrupt 130, anything else 1. */
int cli_exit_for_status(ivp_status s);

/* Options a subcommand accepts (a bit mask for cli_args_parse). */
enum {
    CLI_OPT_OUTPUT = 1u << 0,         /* -o, --output FILE */
    CLI_OPT_SET = 1u << 1,            /* --set KEY=VALUE (repeatable) */
    CLI_OPT_METHOD = 1u << 2,         /* --method M */
    CLI_OPT_RTOL = 1u << 3,           /* --rtol X */
    CLI_OPT_ATOL = 1u << 4,           /* --atol X */
    CLI_OPT_QUIET = 1u << 5,          /* -q, --quiet */
    CLI_OPT_JOBS = 1u << 6,           /* -j, --jobs N (ensembles) */
    CLI_OPT_MEMBERS = 1u << 7,        /* --members FILE|- (ensembles) */
    CLI_OPT_SHARD = 1u << 8,          /* --shard I/N|auto (ensembles) */
    CLI_OPT_RESUME = 1u << 9,         /* --resume (ensembles) */
    CLI_OPT_NO_CLOBBER = 1u << 10,    /* --no-clobber */
    CLI_OPT_SKIP_EXISTING = 1u << 11, /* --skip-existing */
    CLI_OPT_PROGRESS = 1u << 12,      /* --progress[=SECONDS] */
    CLI_OPT_SUMMARY_JSON = 1u << 13,  /* --summary-json */
    CLI_OPT_SPEC = CLI_OPT_SET | CLI_OPT_METHOD | CLI_OPT_RTOL | CLI_OPT_ATOL
};

/* Seconds between --progress lines when no value is given. */
#define CLI_PROGRESS_DEFAULT 10.0

/* A parsed command line. Strings are borrowed from argv except the overrides built from
 * --method/--rtol/--atol, which cli_args_free releases. */
typedef struct cli_args {
    const char *input;  /* the one positional argument (SPEC or PLUGIN.c); "-" = stdin */
    const char *output; /* -o, or NULL */
    const char **sets;  /* n_sets "KEY=VALUE" overrides: the --set ones in order, then
                                "method=M", "rtol=X", "atol=X" (so those win) */
    size_t n_sets;
    char *extra[3];          /* owned: the method/rtol/atol overrides (NULL if not given) */
    int quiet;               /* --quiet */
    long jobs;               /* -j N, or 0 when not given */
    const char *members;     /* --members FILE, or NULL */
    int shard;               /* --shard was given: solve block shard_i of shard_n (0-based) */
    size_t shard_i, shard_n; /* ("auto" is resolved from SLURM_ARRAY_TASK_* when parsed) */
    int resume;              /* --resume */
    int no_clobber;          /* --no-clobber */
    int skip_existing;       /* --skip-existing */
    double progress;         /* --progress[=S]: seconds between log lines, 0 when not given */
    int summary_json;        /* --summary-json */
    int help;                /* --help was given: print usage to stdout, exit 0 */
} cli_args;

/* Parses argv[1..argc-1] (argv[0] is the subcommand) allowing the options in 'allowed' (a mask
 * of CLI_OPT_*; -h/--help is always allowed). Options may come before or after the positional
 * argument; "--" ends the options; "--name=value" and "--name value" are both accepted
 * (an option whose value is optional, --progress, takes it only as "--name=value").
 * Returns IVP_EXIT_OK (check a->help) or, after printing the error and usage on stderr,
 * IVP_EXIT_USAGE. a must be freed with cli_args_free on every path. */
int cli_args_parse(int argc, char **argv, unsigned allowed, const cli_command *cmd, cli_args *a);

void cli_args_free(cli_args *a);

/* Parses a --shard value: "I/N" (0 <= I < N) or "auto" (I and N from the Slurm array
 * variables SLURM_ARRAY_TASK_ID, _MIN, _MAX and _STEP). Returns 0, or -1 with the reason in
 * why. */
int cli_shard_parse(const char *value, size_t *i, size_t *n, char *why, size_t why_size);

/* Everything `run` does before it solves: the problem, its plugin, the instance bound to it
 * and the solver options, checked by ivp_solve_check. */
typedef struct cli_setup {
    ivp_problem *problem; /* owned */
    ivp_plugin *plugin;   /* owned */
    ivp_instance *inst;   /* owned; borrows plugin */
    ivp_options opt;      /* points into problem and inst */
} cli_setup;

/* Loads the spec a->input with a's overrides, loads and binds its plugin, fills s->opt and
 * checks it. Warns (unless a->quiet) about Jacobian settings an explicit method ignores.
 * Returns IVP_EXIT_OK, or prints the error and returns its exit code (2 spec, 3 plugin, 1
 * otherwise). s must be released with cli_setup_free on every path (a zeroed s is fine). */
int cli_setup_load(cli_setup *s, const cli_args *a);

void cli_setup_free(cli_setup *s);

#endif /* IVP_CLI_CLI_H */
