/* SPDX-License-Identifier: MIT
 * cli/cmd_run.c - `ivp run SPEC`: integrate a spec and write the HDF5 file.
 *
 * The file is written under a temporary name by the h5sink and renamed into place only when it
 * is complete, so a failed or interrupted run never leaves a half-written result under the
 * final name, and an invalid spec (exit 2) never touches an existing one.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ivp/h5sink.h"
#include "ivp/plugin.h"
#include "ivp/problem.h"
#include "ivp/solve.h"
#include "ivp/status.h"

#include "cli.h"

/* Set by the SIGINT/SIGTERM handler and polled by the solver between steps (options.interrupt).
 * The one piece of mutable static state in the program: a signal handler has no user data, and
 * a volatile sig_atomic_t object is all C lets it write. */
static volatile sig_atomic_t run_signal_caught;

static void run_on_signal(int sig)
{
    run_signal_caught = sig;
}

/* The previous handlers, restored when the solve is over. */
typedef struct run_signals {
    struct sigaction old[2];   /* SIGINT, SIGTERM */
    int installed[2];
} run_signals;

static const int run_signal_numbers[2] = {SIGINT, SIGTERM};

/* SA_RESETHAND: a second signal gets the default action and ends the process at once. A signal
 * the parent ignores (a background job of a non-interactive shell, nohup) stays ignored. */
static void run_signals_install(run_signals *rs)
{
    struct sigaction sa;
    int i;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = run_on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESETHAND;
    run_signal_caught = 0;
    for (i = 0; i < 2; i++) {
        if (sigaction(run_signal_numbers[i], NULL, &rs->old[i]) == 0 &&
            rs->old[i].sa_handler != SIG_IGN &&
            sigaction(run_signal_numbers[i], &sa, NULL) == 0) {
            rs->installed[i] = 1;
        }
    }
}

static void run_signals_restore(run_signals *rs)
{
    int i;
    for (i = 0; i < 2; i++) {
        if (rs->installed[i]) {
            sigaction(run_signal_numbers[i], &rs->old[i], NULL);
            rs->installed[i] = 0;
        }
    }
}

/* A thin sink in front of the HDF5 one: forwards every callback and redraws a progress line on
 * the terminal at most every 'RUN_PROGRESS_PERIOD' seconds. */
#define RUN_PROGRESS_PERIOD 0.25

typedef struct run_progress {
    ivp_sink inner;            /* the sink everything is forwarded to */
    double t0, t_end;          /* the integration interval, for the percentage */
    int every_step;            /* no t_eval: each point after the first is an accepted step */
    unsigned long n_points;    /* points seen */
    unsigned long n_segments;  /* dense segments seen (one per accepted step) */
    double last_draw;          /* monotonic time of the last redraw, s */
    int width;                 /* characters of the line on screen (0: none) */
} run_progress;

static double run_clock(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void run_progress_tick(run_progress *p, double t)
{
    double now = run_clock(), pct;
    unsigned long steps;
    int w;

    if (now - p->last_draw < RUN_PROGRESS_PERIOD) {
        return;
    }
    p->last_draw = now;
    pct = 100.0 * (t - p->t0) / (p->t_end - p->t0);
    if (p->every_step) {
        steps = p->n_points > 0 ? p->n_points - 1 : 0;
    } else {
        steps = p->n_segments;
    }
    if (p->every_step || p->n_segments > 0) {
        w = fprintf(stderr, "\r t = %.6g (%.0f%%)  steps %lu", t, pct, steps);
    } else {
        w = fprintf(stderr, "\r t = %.6g (%.0f%%)  points %lu", t, pct, p->n_points);
    }
    /* Blank out what is left of a longer previous line. */
    if (w > 0 && w < p->width) {
        fprintf(stderr, "%*s", p->width - w, "");
    }
    if (w > p->width) {
        p->width = w;
    }
    fflush(stderr);
}

/* Removes the progress line, so the summary starts on a clean line. */
static void run_progress_clear(run_progress *p)
{
    if (p->width > 0) {
        fprintf(stderr, "\r%*s\r", p->width, "");
        fflush(stderr);
        p->width = 0;
    }
}

static int run_progress_point(void *ud, double t, const double *y)
{
    run_progress *p = ud;
    p->n_points++;
    run_progress_tick(p, t);
    return p->inner.point != NULL ? p->inner.point(p->inner.ud, t, y) : 0;
}

static int run_progress_event(void *ud, size_t k, double t, const double *y)
{
    run_progress *p = ud;
    return p->inner.event(p->inner.ud, k, t, y);
}

static int run_progress_segment(void *ud, double t_lo, double t_hi, const double *c)
{
    run_progress *p = ud;
    p->n_segments++;
    run_progress_tick(p, t_hi);
    return p->inner.segment(p->inner.ud, t_lo, t_hi, c);
}

/* The sink that wraps inner; callbacks inner lacks stay NULL (that output is not wanted). */
static ivp_sink run_progress_sink(run_progress *p, const ivp_sink *inner, const ivp_problem *prob)
{
    ivp_sink s;
    memset(p, 0, sizeof *p);
    p->inner = *inner;
    p->t0 = prob->t0;
    p->t_end = prob->t_end;
    p->every_step = prob->t_eval == NULL;
    p->last_draw = run_clock();
    s.point = run_progress_point;
    s.event = inner->event != NULL ? run_progress_event : NULL;
    s.segment = inner->segment != NULL ? run_progress_segment : NULL;
    s.ud = p;
    return s;
}

/* Output file: -o, else the spec's "output", else "<spec name without .json>.h5" in the
 * current folder. NULL with *code set on error (a spec from stdin names no file). */
static char *run_output_path(const cli_args *a, const ivp_problem *p, const cli_command *self,
                             int *code)
{
    const char *src, *slash;
    size_t len, keep;
    char *out = NULL;

    if (a->output != NULL || p->output != NULL) {
        src = a->output != NULL ? a->output : p->output;
        len = keep = strlen(src);
    } else if (strcmp(a->input, "-") == 0) {
        *code = cli_usage_error(self, "the spec comes from standard input, so there is no file "
                                      "name to derive the output from: give -o OUT.h5 or "
                                      "\"output\" in the spec");
        goto done;
    } else {
        slash = strrchr(a->input, '/');
        src = slash != NULL ? slash + 1 : a->input;
        keep = strlen(src);
        if (keep > 5 && strcmp(src + keep - 5, ".json") == 0) {
            keep -= 5;
        }
        len = keep + 3;
    }
    out = malloc(len + 1);
    if (out == NULL) {
        cli_error("out of memory");
        *code = IVP_EXIT_SOLVER;
        goto done;
    }
    memcpy(out, src, keep);
    memcpy(out + keep, ".h5", len - keep);
    out[len] = '\0';
done:
    return out;
}

static void run_summary(const ivp_problem *p, const ivp_result *res, const char *out)
{
    fprintf(stderr,
            "ivp: %s: %lu steps (%lu rejected), nfev %lu, njev %lu, nlu %lu, %.3g s, status %d "
            "(%s) -> %s\n",
            p->method, res->n_steps, res->n_rejected, res->nfev, res->njev, res->nlu,
            res->solve_seconds, res->status, res->message, out);
}

int cmd_run(int argc, char **argv, const cli_command *self)
{
    cli_args args;
    cli_setup setup;
    run_signals signals;
    run_progress progress;
    ivp_h5sink_config cfg;
    ivp_h5sink_meta meta;
    ivp_h5sink *h5 = NULL;
    ivp_sink h5_sink, sink;
    ivp_result res;
    ivp_error err;
    ivp_status st;
    const ivp_problem *p;
    char *out = NULL;
    int code, show_progress;

    memset(&setup, 0, sizeof setup);
    memset(&signals, 0, sizeof signals);
    memset(&progress, 0, sizeof progress);
    code = cli_args_parse(argc, argv, CLI_OPT_OUTPUT | CLI_OPT_SPEC | CLI_OPT_QUIET, self, &args);
    if (code != IVP_EXIT_OK) {
        goto done;
    }
    if (args.help) {
        cli_usage(stdout, self);
        goto done;
    }
    code = cli_setup_load(&setup, &args);
    if (code != IVP_EXIT_OK) {
        goto done;
    }
    p = setup.problem;
    out = run_output_path(&args, p, self, &code);
    if (out == NULL) {
        goto done;
    }

    /* Installed before the file exists, so an early signal still ends in a complete file. */
    run_signals_install(&signals);
    setup.opt.interrupt = &run_signal_caught;

    memset(&cfg, 0, sizeof cfg);
    cfg.path = out;
    cfg.n = p->n;
    cfg.n_events = setup.inst->sys.n_events;
    cfg.event_names = setup.plugin->event_names;
    cfg.dense = p->dense_output;
    cfg.dense_degree = ivp_method_dense_degree(p->method);
    ivp_error_clear(&err);
    st = ivp_h5sink_open(&cfg, &h5, &err);
    if (st != IVP_OK) {
        h5 = NULL;
        cli_error("unwritable output path: %s", err.msg[0] != '\0' ? err.msg : out);
        code = st == IVP_ERR_NOMEM ? IVP_EXIT_SOLVER : IVP_EXIT_USAGE;
        goto done;
    }

    h5_sink = ivp_h5sink_sink(h5);
    show_progress = !args.quiet && isatty(STDERR_FILENO);
    sink = show_progress ? run_progress_sink(&progress, &h5_sink, p) : h5_sink;

    memset(&res, 0, sizeof res);
    ivp_solve(&setup.inst->sys, p->t0, p->t_end, p->y0, &setup.opt, &sink, &res, &err);
    run_progress_clear(&progress);

    memset(&meta, 0, sizeof meta);
    meta.method = p->method;
    meta.rtol = p->rtol;
    meta.atol = p->atol;
    meta.atol_vec = p->atol_vec;
    meta.problem = p->resolved;
    meta.plugin_sha256 = setup.plugin->sha256;
    meta.is_lsoda = strcmp(p->method, "LSODA") == 0;
    st = ivp_h5sink_finish(h5, &res, &meta, &err);
    h5 = NULL; /* freed by finish either way */
    if (st != IVP_OK) {
        cli_error("%s", err.msg[0] != '\0' ? err.msg : ivp_status_str(st));
        code = IVP_EXIT_SOLVER;
        goto done;
    }

    if (!args.quiet) {
        run_summary(p, &res, out);
    }
    if (res.status >= 0) {
        code = IVP_EXIT_OK;
    } else if (res.status == -2) {
        cli_error("%s; the steps done so far are in %s", res.message, out);
        code = IVP_EXIT_INTERRUPTED;
    } else {
        cli_error("%s; the steps done so far are in %s", res.message, out);
        code = IVP_EXIT_SOLVER;
    }
done:
    ivp_h5sink_discard(h5);
    run_signals_restore(&signals);
    free(out);
    cli_setup_free(&setup);
    cli_args_free(&args);
    return code;
}
