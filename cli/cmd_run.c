/* SPDX-License-Identifier: MIT
 * cli/cmd_run.c - `ivp run SPEC`: integrate a spec and write the HDF5 file.
 *
 * The file is written under a temporary name by the writer (ivp/writer.h) and renamed into place
 * only when it is complete: a failed or interrupted solve ends in a complete file that says so
 * (status -1 or -2), a crash or an output error leaves no file, and an invalid spec (exit 2)
 * never touches an existing one.
 *
 * For scans: -o (and the spec's "output") expands {params.NAME}, {spec} and {member}; an
 * existing output is reported when replaced, and another run writing the same output (its
 * temporary file next to it, or the output appearing during the solve) is reported even with
 * --quiet; --no-clobber and --skip-existing act before anything is solved; --progress prints
 * timestamped lines for logs; --summary-json prints the summary as JSON on stdout.
 */
/* sigaltstack and SA_ONSTACK are XSI; sched_getaffinity and CPU_COUNT are GNU. */
#if !defined(_XOPEN_SOURCE) || _XOPEN_SOURCE < 700
#undef _XOPEN_SOURCE
#define _XOPEN_SOURCE 700
#endif
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <float.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ivp/ensemble.h"
#include "ivp/h5read.h"
#include "ivp/h5ensemble.h"
#include "ivp/h5sink.h"
#include "ivp/writer.h"
#include "ivp/plugin.h"
#include "ivp/problem.h"
#include "ivp/solve.h"
#include "ivp/status.h"

#include "cli.h"
#include "run_mpi.h"

/* ---- signals, crashes and exit() during the run -----------------------------------------
 *
 * A signal handler has no user data, so what the handlers need lives in static storage: the one
 * place the program keeps mutable static state. Everything a handler touches is a volatile
 * sig_atomic_t, a volatile scalar written by one plain store, or a buffer filled before the
 * flag that publishes it is set.
 *
 * - SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGXCPU, SIGPIPE: the solve stops after the
 *   current step (options.interrupt), the partial file is completed with status -2, exit 130.
 *   A second one of these (SIGPIPE excepted: writing the messages may raise it again) removes the
 *   temporary file and ends the process with that signal's default action. A signal the parent
 *   ignores (nohup, a background job) stays ignored.
 * - SIGXFSZ is ignored, so a write over the file size limit fails with EFBIG and is reported
 *   like any other write error (exit 1, no file).
 * - SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTRAP, SIGSYS (a crash, nearly always in the
 *   plugin): the temporary file is removed, a message names the signal, the plugin function and
 *   its t, and the process ends with IVP_EXIT_CRASH. The handler runs on its own stack, so a
 *   stack overflow is caught too.
 * - exit() (or quick_exit()) called by the plugin during the solve: an atexit handler removes the
 *   temporary file, says so, and ends with IVP_EXIT_CRASH instead of the plugin's status.
 *   _exit() and SIGKILL cannot be caught: they leave the hidden temporary file behind. */

/* Set by the termination handler and polled by the solver between steps (options.interrupt). */
static volatile sig_atomic_t run_signal_caught;

/* run_temp holds the temporary output file while run_temp_armed is set. */
static volatile sig_atomic_t run_temp_armed;
static char run_temp[4096];
/* The final output and the plugin, for the messages (set before the handlers can need them). */
static char run_out[1024];
static char run_plugin[1024];
/* Non-zero while ivp_solve runs (the atexit handler acts only then). */
static volatile sig_atomic_t run_solving;
/* The plugin function being called (a string literal, NULL between calls) and its t. */
static const char *volatile run_in_fn;
static volatile double run_last_t;
static volatile sig_atomic_t run_any_call;

/* The plugin's functions, called through the wrappers below that keep run_in_fn / run_last_t. */
static ivp_rhs_fn *run_plugin_rhs;
static ivp_jac_fn *run_plugin_jac;
static ivp_events_fn *run_plugin_events;
static ivp_jac_values_fn *run_plugin_jac_values;

/* rhs, jac, events and jac_values share one signature (t, y, out, ctx). */
#define RUN_WRAP(name, fn)                                                                         \
    static int run_call_##name(double t, const double *y, double *out, const ivp_ctx *ctx)         \
    {                                                                                              \
        int rc;                                                                                    \
        run_last_t = t;                                                                            \
        run_any_call = 1;                                                                          \
        run_in_fn = #name;                                                                         \
        rc = fn(t, y, out, ctx);                                                                   \
        run_in_fn = NULL;                                                                          \
        return rc;                                                                                 \
    }
RUN_WRAP(rhs, run_plugin_rhs)
RUN_WRAP(jac, run_plugin_jac)
RUN_WRAP(events, run_plugin_events)
RUN_WRAP(jac_values, run_plugin_jac_values)
#undef RUN_WRAP

/* A copy of the instance's system whose plugin calls go through the wrappers. */
static ivp_system run_wrap_system(const ivp_system *sys)
{
    ivp_system w = *sys;
    run_plugin_rhs = sys->rhs;
    run_plugin_jac = sys->jac;
    run_plugin_events = sys->events;
    run_plugin_jac_values = sys->jac_values;
    w.rhs = sys->rhs != NULL ? run_call_rhs : NULL;
    w.jac = sys->jac != NULL ? run_call_jac : NULL;
    w.events = sys->events != NULL ? run_call_events : NULL;
    w.jac_values = sys->jac_values != NULL ? run_call_jac_values : NULL;
    return w;
}

/* Copies src into a static buffer, cut short if it must be (messages only). */
static void run_copy(char *dst, size_t size, const char *src)
{
    size_t len = strlen(src);
    if (len >= size) {
        len = size - 1;
    }
    memcpy(dst, src, len);
    dst[len] = '\0';
}

/* Removes the temporary file, once; async-signal-safe. */
static void run_remove_temp(void)
{
    if (run_temp_armed) {
        run_temp_armed = 0;
        unlink(run_temp);
    }
}

/* ---- an async-signal-safe message ---- */

typedef struct run_msg {
    char buf[3072];
    size_t len;
} run_msg;

static void run_msg_str(run_msg *m, const char *s)
{
    while (*s != '\0' && m->len < sizeof m->buf) {
        m->buf[m->len++] = *s++;
    }
}

static void run_msg_char(run_msg *m, char c)
{
    if (m->len < sizeof m->buf) {
        m->buf[m->len++] = c;
    }
}

/* v with 10 significant digits, as %.10g would print it (to within the last digit). */
static void run_msg_double(run_msg *m, double v)
{
    char dig[10];
    unsigned long long d;
    int e = 0, nd = 10, i;
    if (v != v) {
        run_msg_str(m, "nan");
        return;
    }
    if (v < 0) {
        run_msg_char(m, '-');
        v = -v;
    }
    if (v > DBL_MAX) {
        run_msg_str(m, "inf");
        return;
    }
    if (v == 0) {
        run_msg_char(m, '0');
        return;
    }
    while (v >= 10.0) {
        v /= 10.0;
        e++;
    }
    while (v < 1.0) {
        v *= 10.0;
        e--;
    }
    d = (unsigned long long)(v * 1e9 + 0.5);
    if (d >= 10000000000ULL) {
        d /= 10;
        e++;
    }
    for (i = 9; i >= 0; i--) {
        dig[i] = (char)('0' + (int)(d % 10));
        d /= 10;
    }
    while (nd > 1 && dig[nd - 1] == '0') {
        nd--;
    }
    if (e >= 0 && e < 10) {
        for (i = 0; i <= e; i++) {
            run_msg_char(m, i < nd ? dig[i] : '0');
        }
        if (nd > e + 1) {
            run_msg_char(m, '.');
            for (i = e + 1; i < nd; i++) {
                run_msg_char(m, dig[i]);
            }
        }
    } else if (e < 0 && e >= -4) {
        run_msg_str(m, "0.");
        for (i = -1; i > e; i--) {
            run_msg_char(m, '0');
        }
        for (i = 0; i < nd; i++) {
            run_msg_char(m, dig[i]);
        }
    } else {
        run_msg_char(m, dig[0]);
        if (nd > 1) {
            run_msg_char(m, '.');
            for (i = 1; i < nd; i++) {
                run_msg_char(m, dig[i]);
            }
        }
        run_msg_char(m, 'e');
        run_msg_char(m, e < 0 ? '-' : '+');
        if (e < 0) {
            e = -e;
        }
        if (e >= 100) {
            run_msg_char(m, (char)('0' + e / 100));
        }
        run_msg_char(m, (char)('0' + e / 10 % 10));
        run_msg_char(m, (char)('0' + e % 10));
    }
}

static void run_msg_write(const run_msg *m)
{
    size_t done = 0;
    while (done < m->len) {
        ssize_t w = write(STDERR_FILENO, m->buf + done, m->len - done);
        if (w <= 0) {
            break;
        }
        done += (size_t)w;
    }
}

/* "in the plugin P, in rhs at t = T" or, outside the plugin's functions, "after ..." */
static void run_msg_where(run_msg *m)
{
    const char *fn = run_in_fn;
    if (fn != NULL) {
        run_msg_str(m, "in the plugin ");
        run_msg_str(m, run_plugin);
        run_msg_str(m, ", in ");
        run_msg_str(m, fn);
        run_msg_str(m, " at t = ");
        run_msg_double(m, run_last_t);
    } else {
        run_msg_str(m, "outside the plugin's functions (plugin ");
        run_msg_str(m, run_plugin);
        if (run_any_call) {
            run_msg_str(m, ", last called at t = ");
            run_msg_double(m, run_last_t);
        }
        run_msg_str(m, ")");
    }
}

static void run_msg_nothing_written(run_msg *m)
{
    run_msg_str(m, "; nothing was written (the temporary file was removed; an existing ");
    run_msg_str(m, run_out);
    run_msg_str(m, " is unchanged)\n");
}

/* ---- the handlers ---- */

typedef struct run_signal_name {
    int sig;
    const char *name;
    const char *what;
} run_signal_name;

static const run_signal_name run_crash_signals[] = {
    {SIGSEGV, "SIGSEGV", "invalid memory access"},
    {SIGBUS, "SIGBUS", "bus error"},
    {SIGFPE, "SIGFPE", "arithmetic exception, e.g. integer division by zero"},
    {SIGILL, "SIGILL", "illegal instruction"},
    {SIGABRT, "SIGABRT", "abort() was called"},
    {SIGTRAP, "SIGTRAP", "trap"},
    {SIGSYS, "SIGSYS", "bad system call"},
};
#define RUN_N_CRASH (sizeof run_crash_signals / sizeof run_crash_signals[0])

static const run_signal_name run_term_signals[] = {
    {SIGINT, "SIGINT", "interrupt"},       {SIGTERM, "SIGTERM", "termination request"},
    {SIGHUP, "SIGHUP", "hangup"},          {SIGQUIT, "SIGQUIT", "quit"},
    {SIGUSR1, "SIGUSR1", "user signal 1"}, {SIGXCPU, "SIGXCPU", "CPU time limit exceeded"},
    {SIGPIPE, "SIGPIPE", "broken pipe"},
};
#define RUN_N_TERM (sizeof run_term_signals / sizeof run_term_signals[0])

static void run_on_signal(int sig)
{
    if (run_signal_caught == 0) {
        run_signal_caught = sig;
    } else if (sig != SIGPIPE) {
        /* The second one: end now, leaving nothing behind. */
        run_remove_temp();
        signal(sig, SIG_DFL);
        raise(sig); /* delivered when this handler returns */
    }
}

static void run_on_crash(int sig)
{
    run_msg m;
    size_t i;
    run_remove_temp();
    m.len = 0;
    run_msg_str(&m, "ivp: error: the solve crashed ");
    run_msg_where(&m);
    run_msg_str(&m, ": ");
    for (i = 0; i < RUN_N_CRASH; i++) {
        if (run_crash_signals[i].sig == sig) {
            run_msg_str(&m, run_crash_signals[i].name);
            run_msg_str(&m, " (");
            run_msg_str(&m, run_crash_signals[i].what);
            run_msg_str(&m, ")");
        }
    }
    run_msg_nothing_written(&m);
    run_msg_write(&m);
    _exit(IVP_EXIT_CRASH);
}

/* exit() or quick_exit() while solving can only come from the plugin. */
static void run_at_exit(void)
{
    run_msg m;
    if (!run_solving) {
        return;
    }
    run_solving = 0;
    run_remove_temp();
    m.len = 0;
    run_msg_str(&m, "ivp: error: the process was ended by exit() during the solve, ");
    run_msg_where(&m);
    run_msg_str(&m, " (a plugin must return an error code, not exit)");
    run_msg_nothing_written(&m);
    run_msg_write(&m);
    _exit(IVP_EXIT_CRASH);
}

static const char *run_signal_name_of(int sig)
{
    size_t i;
    for (i = 0; i < RUN_N_TERM; i++) {
        if (run_term_signals[i].sig == sig) {
            return run_term_signals[i].name;
        }
    }
    return "a signal";
}

/* The previous dispositions, restored when the run is over. */
typedef struct run_signals {
    struct sigaction old_term[RUN_N_TERM];
    int installed_term[RUN_N_TERM];
    struct sigaction old_crash[RUN_N_CRASH];
    int installed_crash[RUN_N_CRASH];
    struct sigaction old_xfsz;
    int installed_xfsz;
    stack_t old_stack;
    int installed_stack;
} run_signals;

/* The crash handler's own stack, so that a stack overflow in the plugin is reported too. */
static union {
    max_align_t align;
    char bytes[1 << 16];
} run_alt_stack;

static void run_signals_install(run_signals *rs)
{
    struct sigaction sa;
    stack_t ss;
    size_t i;

    run_signal_caught = 0;
    /* Termination: every one of them blocked while the handler runs. */
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = run_on_signal;
    sigemptyset(&sa.sa_mask);
    for (i = 0; i < RUN_N_TERM; i++) {
        sigaddset(&sa.sa_mask, run_term_signals[i].sig);
    }
    for (i = 0; i < RUN_N_TERM; i++) {
        if (sigaction(run_term_signals[i].sig, NULL, &rs->old_term[i]) == 0 &&
            rs->old_term[i].sa_handler != SIG_IGN &&
            sigaction(run_term_signals[i].sig, &sa, NULL) == 0) {
            rs->installed_term[i] = 1;
        }
    }
    /* File size limit: a failed write (EFBIG), not a killed process. */
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_IGN;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGXFSZ, &sa, &rs->old_xfsz) == 0) {
        rs->installed_xfsz = 1;
    }
    /* Crashes: on the alternate stack, once (a fault in the handler gets the default action). */
    memset(&ss, 0, sizeof ss);
    ss.ss_sp = run_alt_stack.bytes;
    ss.ss_size = sizeof run_alt_stack.bytes;
    ss.ss_flags = 0;
    if (sigaltstack(&ss, &rs->old_stack) == 0) {
        rs->installed_stack = 1;
    }
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = run_on_crash;
    sigfillset(&sa.sa_mask);
    sa.sa_flags = SA_RESETHAND | SA_ONSTACK;
    for (i = 0; i < RUN_N_CRASH; i++) {
        if (sigaction(run_crash_signals[i].sig, &sa, &rs->old_crash[i]) == 0) {
            rs->installed_crash[i] = 1;
        }
    }
}

static void run_signals_restore(run_signals *rs)
{
    size_t i;
    for (i = 0; i < RUN_N_TERM; i++) {
        if (rs->installed_term[i]) {
            sigaction(run_term_signals[i].sig, &rs->old_term[i], NULL);
            rs->installed_term[i] = 0;
        }
    }
    for (i = 0; i < RUN_N_CRASH; i++) {
        if (rs->installed_crash[i]) {
            sigaction(run_crash_signals[i].sig, &rs->old_crash[i], NULL);
            rs->installed_crash[i] = 0;
        }
    }
    if (rs->installed_xfsz) {
        sigaction(SIGXFSZ, &rs->old_xfsz, NULL);
        rs->installed_xfsz = 0;
    }
    if (rs->installed_stack) {
        sigaltstack(&rs->old_stack, NULL);
        rs->installed_stack = 0;
    }
}

/* Registers run_at_exit once per process (it cannot be removed; it does nothing when no solve
 * is running). Registered after the HDF5 library has started, so it runs before HDF5's own
 * atexit clean-up. */
static void run_register_at_exit(void)
{
    static int registered;
    if (!registered) {
        registered = 1;
        atexit(run_at_exit);
        at_quick_exit(run_at_exit);
    }
}

/* A thin sink in front of the HDF5 one: forwards every callback, counts the events (and
 * remembers the last one, the terminal event when the solve ends with status 1), redraws a
 * progress line on the terminal at most every 'RUN_PROGRESS_PERIOD' seconds and, with
 * --progress, prints a timestamped line every log_period seconds. Nothing is allocated per
 * step; the clock is read per point only when a progress output is on. */
#define RUN_PROGRESS_PERIOD 0.25

typedef struct run_progress {
    ivp_sink inner;              /* the sink everything is forwarded to */
    double t0, t_end;            /* the integration interval, for the percentage */
    int every_step;              /* no t_eval: each point after the first is an accepted step */
    unsigned long n_points;      /* points seen */
    unsigned long n_segments;    /* dense segments seen (one per accepted step) */
    int draw;                    /* redraw a line on the terminal */
    double last_draw;            /* monotonic time of the last redraw, s */
    int width;                   /* characters of the line on screen (0: none) */
    double log_period;           /* --progress: seconds between log lines (0: off) */
    double start, last_log;      /* monotonic time of the start and of the last log line */
    unsigned long *event_counts; /* n_events counters (caller's storage), or NULL */
    size_t n_events;
    long last_event; /* index of the last event seen, -1 for none */
    double last_event_t;
} run_progress;

static double run_clock(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The current UTC time as 2026-12-07T09:40:00Z. */
static void run_timestamp(char *buf, size_t size)
{
    time_t now = time(NULL);
    struct tm tm;
    if (gmtime_r(&now, &tm) == NULL || strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
        snprintf(buf, size, "?");
    }
}

/* "~12 s left" from the fraction done and the time so far ("? left" before any progress). */
static void run_eta(char *buf, size_t size, double frac, double elapsed)
{
    if (frac > 0 && frac <= 1) {
        snprintf(buf, size, "~%.0f s left", elapsed * (1 - frac) / frac);
    } else {
        snprintf(buf, size, "? left");
    }
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

static void run_progress_tick(run_progress *p, double t)
{
    double now, pct;
    unsigned long steps;
    int w;

    if (!p->draw && p->log_period <= 0) {
        return;
    }
    now = run_clock();
    pct = 100.0 * (t - p->t0) / (p->t_end - p->t0);
    if (p->every_step) {
        steps = p->n_points > 0 ? p->n_points - 1 : 0;
    } else {
        steps = p->n_segments;
    }
    if (p->log_period > 0 && now - p->last_log >= p->log_period) {
        char stamp[32], eta[48];
        double elapsed = now - p->start;
        p->last_log = now;
        run_progress_clear(p);
        run_timestamp(stamp, sizeof stamp);
        run_eta(eta, sizeof eta, pct / 100.0, elapsed);
        if (p->every_step || p->n_segments > 0) {
            fprintf(stderr, "%s ivp: t = %.6g, %.0f%%, %lu steps, %.1f s elapsed, %s\n", stamp, t,
                    pct, steps, elapsed, eta);
        } else {
            fprintf(stderr, "%s ivp: t = %.6g, %.0f%%, %lu points, %.1f s elapsed, %s\n", stamp, t,
                    pct, p->n_points, elapsed, eta);
        }
        fflush(stderr);
    }
    if (!p->draw || now - p->last_draw < RUN_PROGRESS_PERIOD) {
        return;
    }
    p->last_draw = now;
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
    if (k < p->n_events) {
        p->event_counts[k]++;
    }
    p->last_event = (long)k;
    p->last_event_t = t;
    return p->inner.event(p->inner.ud, k, t, y);
}

static int run_progress_segment(void *ud, double t_lo, double t_hi, const double *c)
{
    run_progress *p = ud;
    p->n_segments++;
    run_progress_tick(p, t_hi);
    return p->inner.segment(p->inner.ud, t_lo, t_hi, c);
}

/* The sink that wraps inner; callbacks inner lacks stay NULL (that output is not wanted).
 * counts: n_events zeroed counters (NULL when n_events is 0). */
static ivp_sink run_progress_sink(run_progress *p, const ivp_sink *inner, const ivp_problem *prob,
                                  unsigned long *counts, size_t n_events)
{
    ivp_sink s;
    memset(p, 0, sizeof *p);
    p->inner = *inner;
    p->t0 = prob->t0;
    p->t_end = prob->t_end;
    p->every_step = prob->t_eval == NULL;
    p->last_draw = run_clock();
    p->start = p->last_log = p->last_draw;
    p->event_counts = counts;
    p->n_events = counts != NULL ? n_events : 0;
    p->last_event = -1;
    s.point = run_progress_point;
    s.event = inner->event != NULL ? run_progress_event : NULL;
    s.segment = inner->segment != NULL ? run_progress_segment : NULL;
    s.ud = p;
    return s;
}

/* The members [*lo, *hi) of block i of n of an ensemble of K members (--shard i/n). */
static void run_shard_block(size_t K, size_t i, size_t n, size_t *lo, size_t *hi)
{
    *lo = K / n * i + K % n * i / n;
    *hi = K / n * (i + 1) + K % n * (i + 1) / n;
}

/* v in the shortest form that reads back as the same double (%.17g at most): 0.5, 1e-05. */
static void run_shortest(char *buf, size_t size, double v)
{
    int prec;
    for (prec = 1; prec <= 17; prec++) {
        snprintf(buf, size, "%.*g", prec, v);
        if (strtod(buf, NULL) == v) {
            return;
        }
    }
}

/* The spec file's base name without ".json" (len bytes at *name). */
static const char *run_spec_base(const char *input, size_t *len)
{
    const char *slash = strrchr(input, '/');
    const char *base = slash != NULL ? slash + 1 : input;
    *len = strlen(base);
    if (*len > 5 && strcmp(base + *len - 5, ".json") == 0) {
        *len -= 5;
    }
    return base;
}

/* Some member of the ensemble overrides params.<name> (len bytes). */
static int run_ens_varies_param(const ivp_ensemble *ens, const char *name, size_t len)
{
    char key[96];
    size_t k;
    if (ens == NULL || (ens->varies & IVP_MEMBER_PARAMS) == 0 || len > 64) {
        return ens != NULL && (ens->varies & IVP_MEMBER_PARAMS) != 0;
    }
    snprintf(key, sizeof key, "\"params.%.*s\":", (int)len, name);
    for (k = 0; k < ens->n_members; k++) {
        if (strstr(ens->overrides_pool + ens->overrides_start[k], key) != NULL) {
            return 1;
        }
    }
    return 0;
}

/* Expands the placeholders of an output name (-o or the spec's "output"): {spec}, {params.NAME}
 * and, with --shard, {member}; "{{" and "}}" are literal braces. The values are numbers or the
 * spec's base name, so they never contain '/'. NULL with *code set on error (exit 2: an
 * unknown placeholder or parameter, {spec} for a spec from stdin, {member} without --shard,
 * {params.NAME} of a parameter the ensemble's members vary). */
static char *run_expand_output(const char *tmpl, const cli_args *a, const ivp_problem *p,
                               const cli_command *self, int *code)
{
    size_t cap = strlen(tmpl) + 1, len = 0, i;
    char *out = malloc(cap);
    const char *c = tmpl;
    (void)self;
    if (out == NULL) {
        cli_error("out of memory");
        *code = IVP_EXIT_SOLVER;
        return NULL;
    }
    while (*c != '\0') {
        char val[64];
        const char *piece = val, *close, *name;
        size_t plen, nlen;
        if ((c[0] == '{' && c[1] == '{') || (c[0] == '}' && c[1] == '}')) {
            val[0] = c[0];
            val[1] = '\0';
            c += 2;
        } else if (c[0] == '}') {
            cli_error("output name '%s': a '}' without its '{' (write '}}' "
                      "for a brace)",
                      tmpl);
            *code = IVP_EXIT_USAGE;
            goto fail;
        } else if (c[0] != '{') {
            val[0] = c[0];
            val[1] = '\0';
            c++;
        } else {
            close = strchr(c + 1, '}');
            name = c + 1;
            if (close == NULL) {
                cli_error("output name '%s': a '{' without its '}' (write "
                          "'{{' for a brace)",
                          tmpl);
                *code = IVP_EXIT_USAGE;
                goto fail;
            }
            nlen = (size_t)(close - name);
            if (nlen == 4 && strncmp(name, "spec", 4) == 0) {
                if (strcmp(a->input, "-") == 0) {
                    cli_error("output name '%s': {spec} needs a spec file; "
                              "the spec comes from standard input",
                              tmpl);
                    *code = IVP_EXIT_USAGE;
                    goto fail;
                }
                piece = run_spec_base(a->input, &plen);
            } else if (nlen == 6 && strncmp(name, "member", 6) == 0) {
                size_t lo, hi;
                if (!a->shard || p->ensemble == NULL) {
                    cli_error(
                        "output name '%s': {member} names the members of a --shard run "
                        "(FIRST-LAST); %s",
                        tmpl,
                        p->ensemble != NULL
                            ? "without --shard an ensemble writes all its members into one file"
                            : "a single run has no members");
                    *code = IVP_EXIT_USAGE;
                    goto fail;
                }
                run_shard_block(p->ensemble->n_members, a->shard_i, a->shard_n, &lo, &hi);
                snprintf(val, sizeof val, "%zu-%zu", lo, hi - 1);
            } else if (nlen > 7 && strncmp(name, "params.", 7) == 0) {
                const char *pn = name + 7;
                size_t pl = nlen - 7;
                for (i = 0; i < p->n_params; i++) {
                    if (strlen(p->param_names[i]) == pl &&
                        strncmp(p->param_names[i], pn, pl) == 0) {
                        break;
                    }
                }
                if (i == p->n_params) {
                    cli_error("output name '%s': {%.*s}: the spec has no "
                              "parameter '%.*s'",
                              tmpl, (int)nlen, name, (int)pl, pn);
                    *code = IVP_EXIT_USAGE;
                    goto fail;
                }
                if (run_ens_varies_param(p->ensemble, pn, pl)) {
                    cli_error("output name '%s': {%.*s}: the ensemble's "
                              "members vary params.%.*s, so its file has no "
                              "single value of it",
                              tmpl, (int)nlen, name, (int)pl, pn);
                    *code = IVP_EXIT_USAGE;
                    goto fail;
                }
                run_shortest(val, sizeof val, p->param_values[i]);
            } else {
                cli_error("output name '%s': unknown placeholder {%.*s} "
                          "(known: {spec}, {params.NAME}, {member} with "
                          "--shard; '{{' and '}}' are braces)",
                          tmpl, (int)nlen, name);
                *code = IVP_EXIT_USAGE;
                goto fail;
            }
            c = close + 1;
        }
        if (piece == val) {
            plen = strlen(val);
        }
        if (len + plen + 1 > cap) {
            char *grown;
            cap = 2 * (len + plen + 1);
            grown = realloc(out, cap);
            if (grown == NULL) {
                cli_error("out of memory");
                *code = IVP_EXIT_SOLVER;
                goto fail;
            }
            out = grown;
        }
        memcpy(out + len, piece, plen);
        len += plen;
        out[len] = '\0';
    }
    out[len] = '\0';
    return out;
fail:
    free(out);
    return NULL;
}

/* Output file: -o, else the spec's "output" (placeholders expanded in either), else
 * "<spec name without .json>.h5" in the current folder. NULL with *code set on error (a spec
 * from stdin names no file, a bad placeholder). */
static char *run_output_path(const cli_args *a, const ivp_problem *p, const cli_command *self,
                             int *code)
{
    const char *src;
    size_t len, keep;
    char *out = NULL;

    if (a->output != NULL || p->output != NULL) {
        out = run_expand_output(a->output != NULL ? a->output : p->output, a, p, self, code);
        if (out == NULL) {
            goto done;
        }
        len = strlen(out);
    } else if (strcmp(a->input, "-") == 0) {
        *code = cli_usage_error(self, "the spec comes from standard input, so there is no file "
                                      "name to derive the output from: give -o OUT.h5 or "
                                      "\"output\" in the spec");
        goto done;
    } else {
        src = run_spec_base(a->input, &keep);
        len = keep + 3;
        out = malloc(len + 1);
        if (out == NULL) {
            cli_error("out of memory");
            *code = IVP_EXIT_SOLVER;
            goto done;
        }
        memcpy(out, src, keep);
        memcpy(out + keep, ".h5", 4);
    }
    if (a->shard && a->output == NULL) {
        /* shard I/N without -o: NAME-shard-I-of-N.h5, so the shards do not share a file */
        size_t size = len + 64;
        char *s = malloc(size);
        if (s == NULL) {
            cli_error("out of memory");
            *code = IVP_EXIT_SOLVER;
            free(out);
            out = NULL;
            goto done;
        }
        if (len > 3 && strcmp(out + len - 3, ".h5") == 0) {
            out[len - 3] = '\0';
        }
        snprintf(s, size, "%s-shard-%zu-of-%zu.h5", out, a->shard_i, a->shard_n);
        free(out);
        out = s;
    }
done:
    return out;
}

/* ---- the summary: one line on stderr, or one JSON object on stdout (--summary-json) ---- */

/* s as a JSON string: quotes, backslashes and control characters escaped, bytes that are not
 * UTF-8 as U+FFFD, so the object stays valid JSON whatever a message or file name holds. */
static void run_json_str(FILE *f, const char *s)
{
    const unsigned char *c = (const unsigned char *)(s != NULL ? s : "");
    fputc('"', f);
    while (*c != '\0') {
        size_t n = 0, i;
        if (*c == '"' || *c == '\\') {
            fprintf(f, "\\%c", *c);
        } else if (*c == '\n') {
            fputs("\\n", f);
        } else if (*c == '\t') {
            fputs("\\t", f);
        } else if (*c < 0x20 || *c == 0x7f) {
            fprintf(f, "\\u%04x", *c);
        } else if (*c < 0x80) {
            fputc(*c, f);
        } else {
            n = (*c & 0xE0u) == 0xC0u && *c >= 0xC2u   ? 2
                : (*c & 0xF0u) == 0xE0u                ? 3
                : (*c & 0xF8u) == 0xF0u && *c <= 0xF4u ? 4
                                                       : 0;
            for (i = 1; i < n; i++) {
                if ((c[i] & 0xC0u) != 0x80u) {
                    n = 0;
                }
            }
            if (n == 0) {
                fputs("\\ufffd", f);
            } else {
                fwrite(c, 1, n, f);
                c += n;
                continue;
            }
        }
        c++;
    }
    fputc('"', f);
}

/* A JSON number (shortest round-trip form), or null when not finite. */
static void run_json_num(FILE *f, double v)
{
    char buf[40];
    if (v != v || v > DBL_MAX || v < -DBL_MAX) {
        fputs("null", f);
        return;
    }
    run_shortest(buf, sizeof buf, v);
    fputs(buf, f);
}

/* What a single run's summary reports besides the result. */
typedef struct run_report {
    const char *method, *out;
    const char *const *event_names; /* n_events names (NULL: "event0", ...) */
    const unsigned long *event_counts;
    size_t n_events;
    long terminal; /* the terminal event's index (status 1), else -1 */
    double terminal_t;
    double wall; /* seconds since the command started */
    int code;    /* the exit code */
} run_report;

static void run_event_name(char *buf, size_t size, const run_report *r, size_t k)
{
    if (r->event_names != NULL && r->event_names[k] != NULL) {
        snprintf(buf, size, "%s", r->event_names[k]);
    } else {
        snprintf(buf, size, "event%zu", k);
    }
}

/* "ivp: RK45: 118 steps (0 rejected), nfev 710, njev 0, nlu 0, 0.0003 s, status 1 (terminal
 * event 'ground' at t = 1.42784), events: ground 1, apex 3 -> OUT" */
static void run_summary(const run_report *r, const ivp_result *res)
{
    char name[128];
    size_t k;
    fprintf(stderr,
            "ivp: %s: %lu steps (%lu rejected), nfev %lu, njev %lu, nlu %lu, %.3g s, status %d ",
            r->method, res->n_steps, res->n_rejected, res->nfev, res->njev, res->nlu,
            res->solve_seconds, res->status);
    if (r->terminal >= 0) {
        run_event_name(name, sizeof name, r, (size_t)r->terminal);
        fprintf(stderr, "(terminal event '%s' at t = %.6g)", name, r->terminal_t);
    } else {
        fprintf(stderr, "(%s)", res->message);
    }
    for (k = 0; k < r->n_events; k++) {
        run_event_name(name, sizeof name, r, k);
        fprintf(stderr, "%s%s %lu", k == 0 ? ", events: " : ", ", name, r->event_counts[k]);
    }
    fprintf(stderr, " -> %s\n", r->out);
}

static void run_summary_json(const run_report *r, const ivp_result *res)
{
    char name[128];
    size_t k;
    FILE *f = stdout;
    fputs("{\"output\": ", f);
    run_json_str(f, r->out);
    fputs(", \"ensemble\": false, \"skipped\": false, \"exit_code\": ", f);
    fprintf(f, "%d, \"status\": %d, \"message\": ", r->code, res->status);
    run_json_str(f, res->message);
    fputs(", \"method\": ", f);
    run_json_str(f, r->method);
    fputs(", \"t\": ", f);
    run_json_num(f, res->t);
    fprintf(f,
            ", \"n_steps\": %lu, \"n_rejected\": %lu, \"nfev\": %lu, \"njev\": %lu, \"nlu\": %lu"
            ", \"n_points\": %lu, \"solve_seconds\": ",
            res->n_steps, res->n_rejected, res->nfev, res->njev, res->nlu, res->n_points);
    run_json_num(f, res->solve_seconds);
    fputs(", \"wall_seconds\": ", f);
    run_json_num(f, r->wall);
    fputs(", \"events\": {", f);
    for (k = 0; k < r->n_events; k++) {
        run_event_name(name, sizeof name, r, k);
        fputs(k > 0 ? ", " : "", f);
        run_json_str(f, name);
        fprintf(f, ": %lu", r->event_counts[k]);
    }
    fputs("}, \"terminal_event\": ", f);
    if (r->terminal >= 0) {
        run_event_name(name, sizeof name, r, (size_t)r->terminal);
        fputs("{\"name\": ", f);
        run_json_str(f, name);
        fputs(", \"t\": ", f);
        run_json_num(f, r->terminal_t);
        fputs("}", f);
    } else {
        fputs("null", f);
    }
    fprintf(f, ", \"stiff_detected\": %s, \"stiff_t\": ", res->stiff_detected ? "true" : "false");
    if (res->stiff_detected) {
        run_json_num(f, res->stiff_t);
    } else {
        fputs("null", f);
    }
    fputs("}\n", f);
    fflush(f);
}

/* ---- existing outputs: --no-clobber, --skip-existing, and runs that write the same file ---- */

typedef struct run_clobber {
    const char *out;
    int existed; /* something was at the output path when the run started */
    int quiet, resume;
    int warned;     /* a warning about another writer was printed */
    char hint[192]; /* how to give each run its own output */
} run_clobber;

/* Something is at path (a file, or a link, even dangling). */
static int run_exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

/* A hidden temporary file of another run for the output 'out' (".<base>.tmp-XXXXXX" in its
 * folder, other than own, a full path or NULL): 1 with its name in found, else 0. */
static int run_other_temp(const char *out, const char *own, char *found, size_t size)
{
    const char *slash = strrchr(out, '/'), *base = slash != NULL ? slash + 1 : out;
    const char *own_base = NULL;
    char dir[4096];
    size_t blen = strlen(base);
    DIR *d;
    struct dirent *de;
    int hit = 0;
    if (slash == NULL) {
        snprintf(dir, sizeof dir, ".");
    } else if (slash == out) {
        snprintf(dir, sizeof dir, "/");
    } else {
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - out), out);
    }
    if (own != NULL) {
        own_base = strrchr(own, '/');
        own_base = own_base != NULL ? own_base + 1 : own;
    }
    d = opendir(dir);
    if (d == NULL) {
        return 0;
    }
    while (!hit && (de = readdir(d)) != NULL) {
        const char *n = de->d_name;
        if (n[0] == '.' && strncmp(n + 1, base, blen) == 0 &&
            strncmp(n + 1 + blen, ".tmp-", 5) == 0 && strlen(n + 1 + blen + 5) == 6 &&
            (own_base == NULL || strcmp(n, own_base) != 0)) {
            snprintf(found, size, "%s%s%s", slash != NULL ? dir : "",
                     slash != NULL && slash != out ? "/" : "", n);
            hit = 1;
        }
    }
    closedir(d);
    return hit;
}

static void run_clobber_warn_other(run_clobber *c, const char *own)
{
    char found[4400];
    if (!c->warned && run_other_temp(c->out, own, found, sizeof found)) {
        c->warned = 1;
        cli_warning("another run seems to be writing %s at the same time (its temporary file %s "
                    "exists; or it is left over from a killed run): the last run to finish "
                    "replaces the others' results; %s",
                    c->out, found, c->hint);
    }
}

/* Before the output is created: notes whether it exists and warns about another writer. */
static void run_clobber_start(run_clobber *c, const char *out, const cli_args *a,
                              const ivp_problem *p)
{
    memset(c, 0, sizeof *c);
    c->out = out;
    c->quiet = a->quiet;
    c->resume = a->resume;
    c->existed = run_exists(out);
    if (p->n_params > 0 &&
        (p->ensemble == NULL ||
         !run_ens_varies_param(p->ensemble, p->param_names[0], strlen(p->param_names[0])))) {
        snprintf(c->hint, sizeof c->hint,
                 "give each run its own output, e.g. -o "
                 "'{spec}-{params.%.60s}.h5'",
                 p->param_names[0]);
    } else {
        snprintf(c->hint, sizeof c->hint, "give each run its own output (-o)");
    }
    if (run_mpi_rank() == 0) { /* other MPI ranks would see rank 0's own temporary file */
        run_clobber_warn_other(c, NULL);
    }
}

/* Just before the temporary file own replaces the output: warns about another writer, an
 * output that appeared during the run (both even with --quiet: they are what goes wrong when
 * several runs of a scan lack -o), and otherwise (unless --quiet or --resume) that an existing
 * file is replaced. */
static void run_clobber_commit(run_clobber *c, const char *own)
{
    run_clobber_warn_other(c, own);
    if (!run_exists(c->out)) {
        return;
    }
    if (!c->existed) {
        cli_warning("%s did not exist when this run started but does now: another run wrote it "
                    "meanwhile, and this run replaces it; %s",
                    c->out, c->hint);
    } else if (!c->quiet && !c->resume) {
        cli_warning("replacing the existing %s", c->out);
    }
}

/* --skip-existing: 1 when 'out' is a finished result of this very run - readable, of the same
 * kind (single run or ensemble, the same shard and members), the same problem (the resolved
 * spec, when the file stores it) and status 0 or 1 (every member's, for an ensemble); then
 * prints a line (unless --quiet) and the JSON summary (with --summary-json). 0 otherwise, with
 * a warning (unless --quiet) saying why it is solved again and replaced. */
static int run_skip_existing(const cli_args *a, const ivp_problem *p, const char *out)
{
    ivp_h5file *f = NULL;
    const ivp_h5info *in;
    ivp_error err;
    char why[640] = "", shard[64] = "";
    size_t lo = 0, hi = 1, k;
    int skip = 0;

    ivp_error_clear(&err);
    if (ivp_h5file_open(out, &f, &err) != IVP_OK) {
        snprintf(why, sizeof why, "cannot be read (%s)", err.msg);
        goto done;
    }
    in = ivp_h5file_info(f);
    if (p->ensemble != NULL) {
        lo = 0;
        hi = p->ensemble->n_members;
        if (a->shard) {
            run_shard_block(hi, a->shard_i, a->shard_n, &lo, &hi);
            snprintf(shard, sizeof shard, "%zu/%zu", a->shard_i, a->shard_n);
        }
    }
    if (in->ensemble != (p->ensemble != NULL)) {
        snprintf(why, sizeof why, "is %s file", in->ensemble ? "an ensemble" : "a single-run");
    } else if (in->problem[0] != '\0' && strcmp(in->problem, p->resolved) != 0) {
        snprintf(why, sizeof why, "holds another problem (its attribute 'problem' differs)");
    } else if (in->ensemble && (strcmp(in->shard, shard) != 0 || in->n_members != hi - lo)) {
        snprintf(why, sizeof why, "holds other members (%zu, shard '%s')", in->n_members,
                 in->shard);
    } else if (in->ensemble ? in->n_failed > 0 : in->run.status < 0) {
        if (in->ensemble) {
            snprintf(why, sizeof why, "has %zu members with status -1 or -2", in->n_failed);
        } else {
            snprintf(why, sizeof why, "has status %d", in->run.status);
        }
    } else {
        skip = 1;
        for (k = 0; in->ensemble && skip && k < in->n_members; k++) {
            ivp_h5run run;
            ivp_member m;
            ivp_problem_member(p, lo + k, &m);
            if (ivp_h5file_member(f, k, &run, NULL, NULL, NULL, &err) != IVP_OK ||
                run.overrides == NULL || strcmp(run.overrides, m.overrides) != 0) {
                snprintf(why, sizeof why, "holds other members (member %zu differs)", lo + k);
                skip = 0;
            }
        }
    }
    if (skip) {
        if (!a->quiet) {
            fprintf(stderr,
                    "ivp: %s exists with status %d (%s); not solved again "
                    "(--skip-existing)\n",
                    out, in->run.status, in->ensemble ? "every member 0 or 1" : in->run.message);
        }
        if (a->summary_json) {
            printf("{\"output\": ");
            run_json_str(stdout, out);
            printf(", \"ensemble\": %s, \"skipped\": true, \"exit_code\": 0, \"status\": %d, "
                   "\"message\": ",
                   in->ensemble ? "true" : "false", in->run.status);
            run_json_str(stdout, in->ensemble ? "" : in->run.message);
            printf(", \"method\": ");
            run_json_str(stdout, in->method);
            printf("}\n");
            fflush(stdout);
        }
    }
done:
    if (!skip && !a->quiet && !a->no_clobber) {
        cli_warning("--skip-existing: %s %s: %s", out, why,
                    a->resume ? "resuming it (--resume)" : "solving again and replacing it");
    }
    ivp_h5file_close(f);
    return skip;
}

/* ---- ensembles (contracts.md section 5) -------------------------------------------------- */

/* Member data from the spec, handed to the engine (ivp/ensemble.h) and the writer. The engine
 * solves n_solve members; local member k is the ensemble's member map[k] (or lo + k without a
 * map). With --resume, 'old' is the existing file: the members of [lo, hi) that are not
 * solved are copied from it, in member order, interleaved with the solved ones. */
typedef struct run_ens {
    const ivp_problem *p;
    size_t np;    /* the plugin's parameters */
    size_t *pmap; /* plugin parameter j is the spec's pmap[j] */
    ivp_h5ens *w;
    size_t lo, hi;         /* the members this run writes (a shard's block, else 0..K) */
    size_t *map;           /* local -> global member index, or NULL (lo + k) */
    size_t n_solve;        /* members the engine solves */
    ivp_h5ens_reader *old; /* --resume: the existing output, or NULL */
    size_t next;           /* the next global member to write */
    size_t n_copied;
    size_t done, n_ok, n_failed, n_interrupted;
    int mismatch; /* a copied member's overrides differ from the spec's */
    int progress;
    double last_draw;
    int width;
    double log_period; /* --progress: seconds between log lines (0: off) */
    double start, last_log;
} run_ens;

static size_t run_ens_global(const run_ens *e, size_t k)
{
    return e->map != NULL ? e->map[k] : e->lo + k;
}

static ivp_status run_ens_member(void *ud, size_t k, ivp_ensemble_job *job, ivp_error *err)
{
    const run_ens *e = ud;
    ivp_member m;
    size_t j;
    (void)err;
    ivp_problem_member(e->p, run_ens_global(e, k), &m);
    job->t0 = m.t0;
    job->t_end = m.t_end;
    job->y0 = m.y0;
    for (j = 0; j < e->np; j++) {
        job->params[j] = m.params[e->pmap[j]];
    }
    job->opt.rtol = m.rtol;
    job->opt.atol = m.atol;
    job->opt.atol_vec = m.atol_vec;
    job->opt.first_step = m.first_step;
    job->opt.max_step = m.max_step;
    job->opt.min_step = m.min_step;
    job->opt.max_steps = m.max_steps;
    job->opt.t_eval = m.t_eval;
    job->opt.n_t_eval = m.n_t_eval;
    return IVP_OK;
}

/* Counts a written member and draws the progress line. */
static void run_ens_written(run_ens *e, int status)
{
    e->done++;
    if (status >= 0) {
        e->n_ok++;
    } else if (status == -2) {
        e->n_interrupted++;
    } else {
        e->n_failed++;
    }
    if (e->log_period > 0) {
        double now = run_clock();
        if (now - e->last_log >= e->log_period || e->done == e->hi - e->lo) {
            char stamp[32], eta[48];
            double frac = (double)e->done / (double)(e->hi - e->lo);
            e->last_log = now;
            if (e->width > 0) {
                fprintf(stderr, "\r%*s\r", e->width, "");
                e->width = 0;
            }
            run_timestamp(stamp, sizeof stamp);
            run_eta(eta, sizeof eta, frac, now - e->start);
            fprintf(stderr,
                    "%s ivp: members %zu/%zu done (%zu failed), %.0f%%, %.1f s elapsed, %s\n",
                    stamp, e->done, e->hi - e->lo, e->n_failed, 100.0 * frac, now - e->start, eta);
            fflush(stderr);
        }
    }
    if (e->progress) {
        double now = run_clock();
        if (now - e->last_draw >= RUN_PROGRESS_PERIOD) {
            int w = fprintf(stderr, "\r members %zu/%zu (%zu failed)", e->done, e->hi - e->lo,
                            e->n_failed);
            e->last_draw = now;
            if (w > e->width) {
                e->width = w;
            }
            fflush(stderr);
        }
    }
}

/* --resume: copies the old file's members e->next .. upto-1 (those not solved again). */
static int run_ens_copy_upto(run_ens *e, size_t upto, ivp_error *err)
{
    for (; e->next < upto; e->next++) {
        ivp_ensemble_out out;
        ivp_member m;
        const char *ov;
        size_t first = ivp_h5ens_read_info(e->old)->first;
        if (ivp_h5ens_read_member(e->old, e->next - first, &out, &ov, err) != IVP_OK) {
            return -1;
        }
        ivp_problem_member(e->p, e->next, &m);
        if (strcmp(ov, m.overrides) != 0) {
            e->mismatch = 1;
            ivp_error_set(err, IVP_ERR_SPEC,
                          "--resume: member %zu of the existing file has the overrides %s, the "
                          "spec's member %zu has %s: not the same ensemble (run without "
                          "--resume to replace the file)",
                          e->next, ov, e->next, m.overrides);
            return -1;
        }
        if (ivp_h5ens_write(e->w, &out, ov, err) != IVP_OK) {
            return -1;
        }
        e->n_copied++;
        run_ens_written(e, out.res->status);
    }
    return 0;
}

static int run_ens_output(void *ud, const ivp_ensemble_out *out, ivp_error *err)
{
    run_ens *e = ud;
    ivp_ensemble_out g = *out;
    ivp_member m;
    g.k = run_ens_global(e, out->k);
    if (e->old != NULL && run_ens_copy_upto(e, g.k, err) != 0) {
        return -1;
    }
    ivp_problem_member(e->p, g.k, &m);
    if (ivp_h5ens_write(e->w, &g, m.overrides, err) != IVP_OK) {
        return -1;
    }
    e->next = g.k + 1;
    run_ens_written(e, out->res->status);
    return 0;
}

/* The CPUs this process may run on (Slurm, cgroups and taskset set the affinity mask). */
static size_t run_cpus(void)
{
    cpu_set_t set;
    long n;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0) {
        return (size_t)CPU_COUNT(&set);
    }
    n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (size_t)n : 1;
}

/* The writer's configuration for members [e->lo, e->hi) of the spec. */
static void run_ens_h5config(const cli_setup *setup, const run_ens *e, const char *out,
                             ivp_h5ens_config *hc)
{
    const ivp_problem *p = setup->problem;
    const ivp_method_info *mi = ivp_method_info_find(p->method);
    ivp_member m0;
    ivp_problem_member(p, 0, &m0);
    memset(hc, 0, sizeof *hc);
    hc->path = out;
    hc->n_members = e->hi - e->lo;
    hc->first = e->lo;
    hc->n = p->n;
    hc->np = e->np;
    hc->param_names = setup->plugin->param_names;
    hc->n_events = setup->inst->sys.n_events;
    hc->event_names = setup->plugin->event_names;
    hc->event_order_known = 1; /* the plugin's order */
    hc->event_opts = setup->inst->event_opts;
    hc->dense = p->dense_output;
    hc->dense_degree = ivp_method_dense_degree(p->method);
    if (p->ensemble->same_t_eval) {
        hc->t_eval = m0.t_eval;
        hc->n_t_eval = m0.n_t_eval;
    }
    if (mi != NULL && mi->stats != NULL) {
        while (mi->stats[hc->n_stats] != NULL) {
            hc->n_stats++;
        }
        hc->stat_names = mi->stats;
    }
}

/* --resume: opens the existing output (none: *old stays NULL and everything is solved) and
 * checks that it is this ensemble's: the same problem, plugin, number of members and shard.
 * Returns IVP_EXIT_OK or the exit code after printing the error. */
static int run_ens_resume_open(const cli_setup *setup, const run_ens *e, const char *shard,
                               const char *out, ivp_h5ens_reader **old)
{
    const ivp_problem *p = setup->problem;
    const ivp_h5ens_info *in;
    ivp_error err;
    ivp_status st;
    const char *what = NULL;
    *old = NULL;
    if (access(out, F_OK) != 0) {
        return IVP_EXIT_OK;
    }
    ivp_error_clear(&err);
    st = ivp_h5ens_read_open(out, old, &err);
    if (st != IVP_OK) {
        cli_error("--resume: %s", err.msg);
        return st == IVP_ERR_NOMEM ? IVP_EXIT_SOLVER : IVP_EXIT_USAGE;
    }
    in = ivp_h5ens_read_info(*old);
    if (strcmp(in->problem, p->resolved) != 0) {
        what = "the problem (the spec and its --set overrides, attribute 'problem')";
    } else if (strcmp(in->plugin_sha256, setup->plugin->sha256) != 0) {
        what = "the plugin (attribute 'plugin_sha256')";
    } else if (in->ensemble_members != p->ensemble->n_members) {
        what = "the number of members";
    } else if ((shard == NULL) != (in->shard == NULL) ||
               (shard != NULL && strcmp(shard, in->shard) != 0)) {
        what = "the shard (attribute 'shard')";
    } else if (in->first != e->lo || in->n_members != e->hi - e->lo) {
        what = "the members it holds";
    } else if (ivp_h5ens_read_order_events(*old, setup->plugin->event_names,
                                           setup->inst->sys.n_events, &err) != IVP_OK) {
        what = "the events";
    }
    if (what != NULL) {
        cli_error("--resume: %s was written by another run: %s differs (run without --resume "
                  "to replace it)",
                  out, what);
        ivp_h5ens_read_close(*old);
        *old = NULL;
        return IVP_EXIT_USAGE;
    }
    return IVP_EXIT_OK;
}

/* --resume: the members to solve again (status -1 or -2 in the old file) as a map. */
static int run_ens_resume_plan(run_ens *e)
{
    const ivp_h5ens_info *in = ivp_h5ens_read_info(e->old);
    size_t k;
    e->map = malloc((in->n_members > 0 ? in->n_members : 1) * sizeof *e->map);
    if (e->map == NULL) {
        cli_error("out of memory");
        return IVP_EXIT_SOLVER;
    }
    e->n_solve = 0;
    for (k = 0; k < in->n_members; k++) {
        if (in->status[k] < 0) {
            e->map[e->n_solve++] = in->first + k;
        }
    }
    return IVP_EXIT_OK;
}

/* `ivp run` of a spec with an ensemble: the output path is checked and the signal handlers are
 * installed by the caller. Returns the exit code. */
static int run_ensemble(const cli_args *a, cli_setup *setup, const char *out, run_clobber *cl)
{
    const ivp_problem *p = setup->problem;
    const ivp_plugin *pl = setup->plugin;
    const ivp_ensemble *ens = p->ensemble;
    ivp_ensemble_config ec;
    ivp_ensemble_summary sum;
    ivp_h5ens_config hc;
    ivp_h5ens_meta meta;
    run_ens e;
    ivp_error err;
    ivp_status st;
    size_t j, i, nw, K = ens->n_members;
    char shard[64];
    double wall0;
    int code;

    memset(&e, 0, sizeof e);
    memset(&sum, 0, sizeof sum);
    e.p = p;
    e.lo = 0;
    e.hi = K;
    if (a->shard) {
        if (a->shard_n > K) {
            cli_error("--shard %zu/%zu: the ensemble has only %zu members, fewer than the %zu "
                      "shards",
                      a->shard_i, a->shard_n, K, a->shard_n);
            return IVP_EXIT_USAGE;
        }
        snprintf(shard, sizeof shard, "%zu/%zu", a->shard_i, a->shard_n);
        run_shard_block(K, a->shard_i, a->shard_n, &e.lo, &e.hi);
    }
    e.n_solve = e.hi - e.lo;
    e.next = e.lo;
    e.np = setup->inst->ctx.np;
    e.pmap = calloc(e.np > 0 ? e.np : 1, sizeof *e.pmap);
    if (e.pmap == NULL) {
        cli_error("out of memory");
        return IVP_EXIT_SOLVER;
    }
    for (j = 0; j < e.np; j++) {
        for (i = 0; i < p->n_params; i++) {
            if (pl->param_names != NULL && strcmp(pl->param_names[j], p->param_names[i]) == 0) {
                e.pmap[j] = i;
            }
        }
    }
    if (a->resume) {
        code = run_ens_resume_open(setup, &e, a->shard ? shard : NULL, out, &e.old);
        if (code == IVP_EXIT_OK && e.old != NULL) {
            code = run_ens_resume_plan(&e);
        }
        if (code != IVP_EXIT_OK) {
            goto done;
        }
    }
    nw = a->jobs > 0 ? (size_t)a->jobs : run_cpus();

    memset(&ec, 0, sizeof ec);
    ec.n_members = e.n_solve;
    ec.n_workers = nw;
    ec.sys = &setup->inst->sys;
    ec.np = e.np;
    ec.opt = &setup->opt;
    ec.init = pl->init;
    ec.fini = pl->fini;
    ec.member = run_ens_member;
    ec.output = run_ens_output;
    ec.ud = &e;
    ec.interrupt = &run_signal_caught;
    if (run_mpi_rank() > 0) {
        /* An MPI rank other than 0: solves what rank 0 hands out; rank 0 writes and reports
         * (also this rank's error, so this rank's exit code stays 0 for mpirun). */
        ivp_error_clear(&err);
        st = run_mpi_ensemble_run(&ec, &sum, &err);
        free(e.pmap);
        return IVP_EXIT_OK;
    }

    run_ens_h5config(setup, &e, out, &hc);
    ivp_error_clear(&err);
    st = ivp_h5ens_open(&hc, &e.w, &err);
    if (st != IVP_OK) {
        cli_error("unwritable output path: %s", err.msg[0] != '\0' ? err.msg : out);
        code = st == IVP_ERR_NOMEM ? IVP_EXIT_SOLVER : IVP_EXIT_USAGE;
        goto done;
    }
    run_copy(run_temp, sizeof run_temp, ivp_h5ens_temp_path(e.w));
    run_temp_armed = strlen(ivp_h5ens_temp_path(e.w)) < sizeof run_temp;
    run_register_at_exit();
    e.progress = !a->quiet && isatty(STDERR_FILENO);
    e.last_draw = run_clock();
    e.log_period = a->progress;
    e.start = e.last_log = e.last_draw;

    wall0 = run_clock();
    st = IVP_OK;
    if (e.n_solve > 0) {
        run_solving = 1;
        st = run_mpi_ensemble_run(&ec, &sum, &err);
        run_solving = 0;
    }
    if (st == IVP_OK && e.old != NULL && run_ens_copy_upto(&e, e.hi, &err) != 0) {
        st = err.status != IVP_OK ? err.status : IVP_ERR_IO;
    }
    if (e.width > 0) {
        fprintf(stderr, "\r%*s\r", e.width, "");
    }
    if (st != IVP_OK) {
        ivp_h5ens_discard(e.w);
        run_temp_armed = 0;
        cli_error("%s", err.msg[0] != '\0' ? err.msg : ivp_status_str(st));
        code = e.mismatch                  ? IVP_EXIT_USAGE
               : st == IVP_ERR_INTERRUPTED ? IVP_EXIT_INTERRUPTED
                                           : IVP_EXIT_SOLVER;
        goto done;
    }
    memset(&meta, 0, sizeof meta);
    meta.method = p->method;
    meta.rtol = p->rtol;
    meta.atol = p->atol;
    meta.atol_vec = p->atol_vec;
    meta.problem = p->resolved;
    meta.plugin_sha256 = pl->sha256;
    if (a->shard) {
        meta.shard = shard;
        meta.ensemble_members = K;
    }
    /* the old file is read to the end before the new one replaces it */
    ivp_h5ens_read_close(e.old);
    e.old = NULL;
    run_clobber_commit(cl, ivp_h5ens_temp_path(e.w));
    st = ivp_h5ens_finish(e.w, &meta, &err);
    run_temp_armed = 0;
    if (st != IVP_OK) {
        cli_error("%s", err.msg[0] != '\0' ? err.msg : ivp_status_str(st));
        code = IVP_EXIT_SOLVER;
        goto done;
    }
    code = IVP_EXIT_OK;
    if (e.n_interrupted > 0 || run_signal_caught != 0) {
        code = IVP_EXIT_INTERRUPTED;
    } else if (e.n_failed > 0) {
        code = IVP_EXIT_SOLVER;
    }
    if (!a->quiet) {
        char what[96] = "";
        if (a->shard) {
            snprintf(what, sizeof what, ", shard %s: members %zu-%zu", shard, e.lo, e.hi - 1);
        }
        if (a->resume) {
            size_t len = strlen(what);
            snprintf(what + len, sizeof what - len, ", resumed: %zu kept, %zu solved", e.n_copied,
                     e.n_solve);
        }
        fprintf(stderr,
                "ivp: %s ensemble of %zu members (%s)%s, -j %zu: %zu ok, %zu failed, %zu "
                "interrupted; solving %.3g s, wall %.3g s -> %s\n",
                p->method, K, ens->source, what, nw, e.n_ok, e.n_failed, e.n_interrupted,
                sum.solve_seconds, run_clock() - wall0, out);
        run_mpi_print_summary(stderr);
    }
    if (a->summary_json) {
        printf("{\"output\": ");
        run_json_str(stdout, out);
        printf(", \"ensemble\": true, \"skipped\": false, \"exit_code\": %d, \"method\": ", code);
        run_json_str(stdout, p->method);
        printf(", \"source\": ");
        run_json_str(stdout, ens->source);
        printf(", \"members\": %zu, \"first\": %zu, \"count\": %zu, \"shard\": ", K, e.lo,
               e.hi - e.lo);
        if (a->shard) {
            run_json_str(stdout, shard);
        } else {
            printf("null");
        }
        printf(", \"jobs\": %zu, \"ok\": %zu, \"failed\": %zu, \"interrupted\": %zu, "
               "\"kept\": %zu, \"solved\": %zu, \"solve_seconds\": ",
               nw, e.n_ok, e.n_failed, e.n_interrupted, e.n_copied, e.n_solve);
        run_json_num(stdout, sum.solve_seconds);
        printf(", \"wall_seconds\": ");
        run_json_num(stdout, run_clock() - wall0);
        printf("}\n");
        fflush(stdout);
    }
    if (code == IVP_EXIT_INTERRUPTED) {
        cli_error("interrupted (%s): %zu of %zu members finished; the file %s has them all "
                  "(status -2 for the rest; --resume solves those)",
                  run_signal_name_of(run_signal_caught != 0 ? run_signal_caught : SIGINT),
                  e.n_ok + e.n_failed, e.hi - e.lo, out);
    } else if (code == IVP_EXIT_SOLVER) {
        cli_error("%zu of %zu members failed (status -1; /members/status and /members/message in "
                  "%s say which and why)",
                  e.n_failed, e.hi - e.lo, out);
    }
done:
    ivp_h5ens_read_close(e.old);
    free(e.map);
    free(e.pmap);
    return code;
}

/* The command line as a POSIX shell would run it again: "ivp", then each argument quoted
 * (in single quotes, ' as '"'"') unless it consists only of letters, digits and _@%+=:,./-
 * (as Python's shlex.quote does). Stored in the file's command_line; NULL when out of memory. */
static char *run_command_line(int argc, char **argv)
{
    static const char safe[] = "@%+=:,./-_";
    size_t size = sizeof "ivp", len;
    char *text, *q;
    int i;
    for (i = 0; i < argc; i++) {
        size += 3 + 5 * strlen(argv[i]); /* space, quotes, each ' as 5 characters */
    }
    text = malloc(size);
    if (text == NULL) {
        return NULL;
    }
    memcpy(text, "ivp", sizeof "ivp");
    q = text + strlen(text);
    for (i = 0; i < argc; i++) {
        const char *a = argv[i], *c;
        int plain = a[0] != '\0';
        for (c = a; *c != '\0' && plain; c++) {
            plain = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
                    (*c >= '0' && *c <= '9') || strchr(safe, *c) != NULL;
        }
        *q++ = ' ';
        if (plain) {
            len = strlen(a);
            memcpy(q, a, len);
            q += len;
            continue;
        }
        *q++ = '\'';
        for (c = a; *c != '\0'; c++) {
            if (*c == '\'') {
                memcpy(q, "'\"'\"'", 5);
                q += 5;
            } else {
                *q++ = *c;
            }
        }
        *q++ = '\'';
    }
    *q = '\0';
    return text;
}

/* The format 1.1 metadata of a single run (ivp/writer.h): parameters in the plugin's order, y0,
 * t_span, state names, event options, host and command line. */
static void run_meta_1_1(ivp_writer_meta *meta, const cli_setup *setup, double *t_span, char *host,
                         size_t host_size, const char *command_line)
{
    static const char *const no_names[] = {NULL};
    const ivp_problem *p = setup->problem;
    const ivp_plugin *pl = setup->plugin;
    meta->params = setup->inst->params;
    meta->n_params = setup->inst->ctx.np;
    meta->param_names = pl->param_names != NULL ? pl->param_names : no_names;
    meta->y0 = p->y0;
    t_span[0] = p->t0;
    t_span[1] = p->t_end;
    meta->t_span = t_span;
    meta->state_names = pl->state_names;
    meta->event_opts = setup->inst->event_opts;
    if (gethostname(host, host_size) != 0) {
        host[0] = '\0';
    }
    host[host_size - 1] = '\0';
    meta->host = host;
    meta->command_line = command_line;
}

/* The solver's stiffness hint (once per solve, during it): a warning, over the progress line. */
static void run_stiff_hint(void *ud, double t)
{
    run_progress_clear(ud);
    cli_warning("looks stiff near t = %.6g; try BDF, Radau or LSODA", t);
}

int cmd_run(int argc, char **argv, const cli_command *self)
{
    const ivp_writer_ops *writer = &ivp_h5sink_writer;
    cli_args args;
    cli_setup setup;
    run_signals signals;
    run_progress progress;
    ivp_writer_config cfg;
    ivp_writer_meta meta;
    void *w = NULL;
    ivp_system sys;
    ivp_sink file_sink, sink;
    ivp_result res;
    ivp_error err;
    ivp_status st;
    const ivp_problem *p;
    char *out = NULL;
    char *command_line = NULL;
    char host[256];
    double t_span[2];
    double t_cmd0 = run_clock();
    unsigned long *event_counts = NULL;
    run_clobber clobber;
    run_report report;
    int code;

    memset(&setup, 0, sizeof setup);
    memset(&signals, 0, sizeof signals);
    memset(&progress, 0, sizeof progress);
    code = cli_args_parse(argc, argv,
                          CLI_OPT_OUTPUT | CLI_OPT_SPEC | CLI_OPT_QUIET | CLI_OPT_JOBS |
                              CLI_OPT_MEMBERS | CLI_OPT_SHARD | CLI_OPT_RESUME |
                              CLI_OPT_NO_CLOBBER | CLI_OPT_SKIP_EXISTING | CLI_OPT_PROGRESS |
                              CLI_OPT_SUMMARY_JSON,
                          self, &args);
    if (code != IVP_EXIT_OK) {
        goto done;
    }
    if (args.help) {
        cli_usage(stdout, self);
        goto done;
    }
    if (args.no_clobber && args.resume) {
        code = cli_usage_error(self, "--no-clobber and --resume exclude each other (--resume "
                                     "replaces the existing output)");
        goto done;
    }
    code = cli_setup_load(&setup, &args);
    if (code != IVP_EXIT_OK) {
        goto done;
    }
    p = setup.problem;
    if ((args.shard || args.resume) && p->ensemble == NULL) {
        code = cli_usage_error(self, "--shard and --resume apply to ensembles (a spec with "
                                     "\"ensemble\", or --members)");
        goto done;
    }
    if (args.resume && run_mpi_size() > 1) {
        /* Every rank would need rank 0's plan of what to keep: not supported (yet). */
        code = cli_usage_error(self, "--resume is not supported under MPI with several ranks; "
                                     "resume with threads (-j) in one process");
        goto done;
    }
    if (p->ensemble == NULL && run_mpi_rank() > 0) {
        goto done; /* under MPI a single run is rank 0's alone; the other ranks exit 0 */
    }
    out = run_output_path(&args, p, self, &code);
    if (out == NULL) {
        goto done;
    }
    /* "-", a directory, a device, a FIFO or a socket: refused before anything is solved. */
    ivp_error_clear(&err);
    if (ivp_outfile_check(out, &err) != IVP_OK) {
        cli_error("%s", err.msg);
        code = IVP_EXIT_USAGE;
        goto done;
    }
    if (args.skip_existing && run_exists(out) && run_skip_existing(&args, p, out)) {
        code = IVP_EXIT_OK;
        goto done;
    }
    if (args.no_clobber && run_exists(out)) {
        cli_error("%s exists (--no-clobber): nothing was solved or written", out);
        code = IVP_EXIT_USAGE;
        goto done;
    }
    run_clobber_start(&clobber, out, &args, p);
    run_copy(run_out, sizeof run_out, out);
    run_copy(run_plugin, sizeof run_plugin,
             setup.plugin->source != NULL ? setup.plugin->source : setup.plugin->path);
    run_any_call = 0;
    run_in_fn = NULL;

    /* Installed before the file exists, so an early signal still ends in a complete file. The
     * plugin was loaded (and compiled, with its own handling of signals) before this. */
    run_signals_install(&signals);
    setup.opt.interrupt = &run_signal_caught;
    if (p->ensemble != NULL) {
        code = run_ensemble(&args, &setup, out, &clobber);
        goto done;
    }

    memset(&cfg, 0, sizeof cfg);
    cfg.path = out;
    cfg.n = p->n;
    cfg.n_events = setup.inst->sys.n_events;
    cfg.event_names = setup.plugin->event_names;
    cfg.dense = p->dense_output;
    cfg.dense_degree = ivp_method_dense_degree(p->method);
    ivp_error_clear(&err);
    st = writer->open(&cfg, &w, &err);
    if (st != IVP_OK) {
        w = NULL;
        cli_error("unwritable output path: %s", err.msg[0] != '\0' ? err.msg : out);
        code = st == IVP_ERR_NOMEM ? IVP_EXIT_SOLVER : IVP_EXIT_USAGE;
        goto done;
    }
    run_copy(run_temp, sizeof run_temp, writer->temp_path(w));
    run_temp_armed = strlen(writer->temp_path(w)) < sizeof run_temp;
    run_register_at_exit();

    file_sink = writer->sink(w);
    if (cfg.n_events > 0 && (event_counts = calloc(cfg.n_events, sizeof *event_counts)) == NULL) {
        cli_error("out of memory");
        code = IVP_EXIT_SOLVER;
        goto done;
    }
    sink = run_progress_sink(&progress, &file_sink, p, event_counts, cfg.n_events);
    progress.draw = !args.quiet && isatty(STDERR_FILENO);
    progress.log_period = args.progress;

    if (!args.quiet) {
        setup.opt.stiff_hint = run_stiff_hint;
        setup.opt.stiff_hint_ud = &progress;
    }
    memset(&res, 0, sizeof res);
    sys = run_wrap_system(&setup.inst->sys);
    run_solving = 1;
    ivp_solve(&sys, p->t0, p->t_end, p->y0, &setup.opt, &sink, &res, &err);
    run_solving = 0;
    run_progress_clear(&progress);
    if (res.status == -2 && run_signal_caught != 0) {
        size_t len = strlen(res.message);
        snprintf(res.message + len, sizeof res.message - len, " (%s)",
                 run_signal_name_of(run_signal_caught));
    }

    memset(&meta, 0, sizeof meta);
    meta.method = p->method;
    meta.rtol = p->rtol;
    meta.atol = p->atol;
    meta.atol_vec = p->atol_vec;
    meta.problem = p->resolved;
    meta.plugin_sha256 = setup.plugin->sha256;
    command_line = run_command_line(argc, argv);
    run_meta_1_1(&meta, &setup, t_span, host, sizeof host, command_line);
    run_clobber_commit(&clobber, writer->temp_path(w));
    st = writer->finish(w, &res, &meta, &err);
    w = NULL; /* freed by finish either way */
    run_temp_armed = 0;
    if (st != IVP_OK) {
        cli_error("%s", err.msg[0] != '\0' ? err.msg : ivp_status_str(st));
        code = IVP_EXIT_SOLVER;
        goto done;
    }

    code = res.status >= 0    ? IVP_EXIT_OK
           : res.status == -2 ? IVP_EXIT_INTERRUPTED
                              : IVP_EXIT_SOLVER;
    memset(&report, 0, sizeof report);
    report.method = p->method;
    report.out = out;
    report.event_names = setup.plugin->event_names;
    report.event_counts = event_counts;
    report.n_events = event_counts != NULL ? cfg.n_events : 0;
    report.terminal = res.status == 1 ? progress.last_event : -1;
    report.terminal_t = progress.last_event_t;
    report.wall = run_clock() - t_cmd0;
    report.code = code;
    if (!args.quiet) {
        run_summary(&report, &res);
    }
    if (args.summary_json) {
        run_summary_json(&report, &res);
    }
    if (res.status < 0) {
        cli_error("%s; the steps done so far are in %s", res.message, out);
    }
done:
    if (w != NULL) {
        writer->discard(w);
    }
    run_temp_armed = 0;
    run_signals_restore(&signals);
    free(out);
    free(event_counts);
    free(command_line);
    cli_setup_free(&setup);
    cli_args_free(&args);
    return code;
}
