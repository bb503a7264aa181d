/* SPDX-License-Identifier: MIT
 * bench/explicit/explicit_bench.c - time per rhs call of ivp's explicit methods in-process (a
 * no-op sink) against the minimal fused loop of the same tableau (anchor.c), on Van der Pol
 * (mu = 1, [0, 100]) and the linear system y' = -y (n = 2 .. 10^6, [0, 10]), rtol = atol =
 * 1e-6, RK45 and DOP853. ivp runs two ways: ivp_solve (a solver made, run and freed per solve)
 * and a reusable solver (ivp_solver_new once per case, then ivp_solver_reset + ivp_solver_run
 * per solve, as a scan of many short solves of one system would use it). All take the same
 * steps; the program checks that nfev, the step count and the final state (bit for bit)
 * agree, and stops if they do not.
 *
 * Each time is the median over 'repeats' batches of the time per solve; a batch repeats the
 * solve until it has lasted at least 20 ms. Anchor, ivp_solve and reused-solver batches
 * alternate, so that drifts in the machine's load hit all alike. Prints a Markdown table.
 *
 * The clock is CLOCK_MONOTONIC (wall time), or with 'cpu' the process's CPU time
 * (CLOCK_PROCESS_CPUTIME_ID): on a machine shared with other jobs (load above its cores) wall
 * time also counts the time the process waits to be scheduled, which CPU time leaves out.
 *
 * Usage: explicit_bench [repeats (default 7)] [largest n (default 1000000)] [wall | cpu]
 */
#define _POSIX_C_SOURCE 199309L

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "anchor.h"
#include "ivp/solve.h"

#define MIN_BATCH_SECONDS 0.02
#define MAX_REPEATS 101

static clockid_t bench_clock = CLOCK_MONOTONIC;

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(bench_clock, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int vdp_rhs(double t, const double *y, double *f, const ivp_ctx *ctx)
{
    const double mu = ctx->p[0];
    (void)t;
    f[0] = y[1];
    f[1] = mu * (1.0 - y[0] * y[0]) * y[1] - y[0];
    return 0;
}

static int linear_rhs(double t, const double *y, double *f, const ivp_ctx *ctx)
{
    size_t i;
    (void)t;
    for (i = 0; i < ctx->n; i++) {
        f[i] = -y[i];
    }
    return 0;
}

static int noop_point(void *ud, double t, const double *y)
{
    (void)t;
    (void)y;
    ++*(unsigned long *)ud;
    return 0;
}

typedef struct bench_problem {
    const char *name;
    ivp_rhs_fn *rhs;
    ivp_ctx ctx;
    double t0, t_end;
    double *y0, *y_a, *y_i, *y_r; /* initial state; anchor's, ivp_solve's, reused solver's
                                     final states */
    ivp_system sys;               /* the system the solvers integrate */
    ivp_solver *solver;           /* the reusable solver of the current case */
} bench_problem;

typedef struct run_info {
    unsigned long nfev, n_steps;
} run_info;

static int run_anchor(const bench_problem *p, int dop853, run_info *ri)
{
    return anchor_solve(dop853, p->rhs, &p->ctx, p->ctx.n, p->t0, p->t_end, p->y0, 1e-6, 1e-6,
                        p->y_a, &ri->nfev, &ri->n_steps);
}

/* Sink keeping the last point (for the check; the timed runs use noop_point). */
typedef struct last_point {
    size_t n;
    double *y;
} last_point;

static int keep_point(void *ud, double t, const double *y)
{
    last_point *lp = ud;
    (void)t;
    memcpy(lp->y, y, lp->n * sizeof *y);
    return 0;
}

static void bench_options(int dop853, ivp_options *opt)
{
    ivp_options_init(opt);
    opt->method = dop853 ? "DOP853" : "RK45";
    opt->rtol = 1e-6;
    opt->atol = 1e-6;
}

/* The sink: keep_point into y_keep, or noop_point counting into *points. */
static ivp_sink bench_sink(last_point *lp, double *y_keep, size_t n, unsigned long *points)
{
    ivp_sink sink;
    memset(&sink, 0, sizeof sink);
    lp->n = n;
    lp->y = y_keep;
    sink.point = y_keep != NULL ? keep_point : noop_point;
    sink.ud = y_keep != NULL ? (void *)lp : (void *)points;
    return sink;
}

static int solve_ivp(const bench_problem *p, int dop853, run_info *ri, int keep)
{
    ivp_options opt;
    ivp_result res;
    last_point lp;
    unsigned long points = 0;
    const ivp_sink sink = bench_sink(&lp, keep ? p->y_i : NULL, p->ctx.n, &points);
    bench_options(dop853, &opt);
    if (ivp_solve(&p->sys, p->t0, p->t_end, p->y0, &opt, &sink, &res, NULL) != IVP_OK) {
        fprintf(stderr, "ivp_solve failed: %s\n", res.message);
        return -1;
    }
    ri->nfev = res.nfev;
    ri->n_steps = res.n_steps;
    return 0;
}

static int run_ivp(const bench_problem *p, int dop853, run_info *ri)
{
    return solve_ivp(p, dop853, ri, 0);
}

/* One solve with the case's reusable solver: reset (the options of ivp_solver_new) + run. */
static int solve_reused(const bench_problem *p, run_info *ri, int keep)
{
    ivp_result res;
    ivp_error err;
    last_point lp;
    unsigned long points = 0;
    const ivp_sink sink = bench_sink(&lp, keep ? p->y_r : NULL, p->ctx.n, &points);
    if (ivp_solver_reset(p->solver, p->t0, p->t_end, p->y0, NULL, &err) != IVP_OK ||
        ivp_solver_run(p->solver, &sink, &res, &err) != IVP_OK) {
        fprintf(stderr, "the reused solver failed: %s\n", err.msg);
        return -1;
    }
    ri->nfev = res.nfev;
    ri->n_steps = res.n_steps;
    return 0;
}

static int run_reused(const bench_problem *p, int dop853, run_info *ri)
{
    (void)dop853; /* the solver was made for the case's method */
    return solve_reused(p, ri, 0);
}

typedef int run_fn(const bench_problem *p, int dop853, run_info *ri);

/* Seconds per solve over one batch of at least MIN_BATCH_SECONDS (reps chosen on the first
 * call and kept). */
static double batch(run_fn *fn, const bench_problem *p, int dop853, unsigned long *reps)
{
    run_info ri;
    unsigned long r;
    double t0 = now_seconds(), dt;
    if (*reps == 0) {
        unsigned long done = 0;
        do {
            if (fn(p, dop853, &ri) != 0) {
                exit(1);
            }
            done++;
            dt = now_seconds() - t0;
        } while (dt < MIN_BATCH_SECONDS);
        *reps = done;
        return dt / (double)done;
    }
    for (r = 0; r < *reps; r++) {
        if (fn(p, dop853, &ri) != 0) {
            exit(1);
        }
    }
    return (now_seconds() - t0) / (double)*reps;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int m)
{
    qsort(v, (size_t)m, sizeof *v, cmp_double);
    return m % 2 ? v[m / 2] : 0.5 * (v[m / 2 - 1] + v[m / 2]);
}

static void bench_case(bench_problem *p, int dop853, int repeats)
{
    run_info ra, rv, rr;
    double ta[MAX_REPEATS], tv[MAX_REPEATS], tr[MAX_REPEATS], ma, mv, mr;
    unsigned long reps_a = 0, reps_v = 0, reps_r = 0;
    ivp_options opt;
    ivp_error err;
    int r;
    bench_options(dop853, &opt);
    p->solver = ivp_solver_new(&p->sys, &opt, &err);
    if (p->solver == NULL) {
        fprintf(stderr, "ivp_solver_new failed: %s\n", err.msg);
        exit(1);
    }
    if (run_anchor(p, dop853, &ra) != 0 || solve_ivp(p, dop853, &rv, 1) != 0 ||
        solve_reused(p, &rr, 1) != 0) {
        fprintf(stderr, "%s %s n = %zu: a solve failed\n", p->name, dop853 ? "DOP853" : "RK45",
                p->ctx.n);
        exit(1);
    }
    if (ra.nfev != rv.nfev || ra.n_steps != rv.n_steps || ra.nfev != rr.nfev ||
        ra.n_steps != rr.n_steps || memcmp(p->y_a, p->y_i, p->ctx.n * sizeof *p->y_a) != 0 ||
        memcmp(p->y_a, p->y_r, p->ctx.n * sizeof *p->y_a) != 0) {
        fprintf(stderr,
                "%s %s n = %zu: anchor nfev %lu steps %lu, ivp_solve nfev %lu steps %lu, reused "
                "solver nfev %lu steps %lu, or the final states differ\n",
                p->name, dop853 ? "DOP853" : "RK45", p->ctx.n, ra.nfev, ra.n_steps, rv.nfev,
                rv.n_steps, rr.nfev, rr.n_steps);
        exit(1);
    }
    for (r = 0; r < repeats; r++) {
        ta[r] = batch(run_anchor, p, dop853, &reps_a);
        tv[r] = batch(run_ivp, p, dop853, &reps_v);
        tr[r] = batch(run_reused, p, dop853, &reps_r);
    }
    ivp_solver_free(p->solver);
    p->solver = NULL;
    ma = median(ta, repeats);
    mv = median(tv, repeats);
    mr = median(tr, repeats);
    printf("| %s | %s | %zu | %lu | %lu | %.1f | %.1f | %.2f | %.1f | %.2f |\n", p->name,
           dop853 ? "DOP853" : "RK45", p->ctx.n, rv.n_steps, rv.nfev, 1e9 * ma / (double)ra.nfev,
           1e9 * mv / (double)rv.nfev, mv / ma, 1e9 * mr / (double)rr.nfev, mr / ma);
    fflush(stdout);
}

static int problem_init(bench_problem *p, const char *name, ivp_rhs_fn *f, size_t n,
                        const double *params, double t_end)
{
    size_t i;
    memset(p, 0, sizeof *p);
    p->name = name;
    p->rhs = f;
    p->ctx.n = n;
    p->ctx.p = params;
    p->ctx.np = params != NULL ? 1 : 0;
    p->t_end = t_end;
    p->sys.n = n;
    p->sys.rhs = f;
    p->sys.lband = p->sys.uband = -1;
    p->sys.ctx = &p->ctx;
    p->y0 = malloc(4 * n * sizeof *p->y0);
    if (p->y0 == NULL) {
        return -1;
    }
    p->y_a = p->y0 + n;
    p->y_i = p->y_a + n;
    p->y_r = p->y_i + n;
    for (i = 0; i < n; i++) {
        p->y0[i] = 1.0 + (double)i / (double)n;
    }
    return 0;
}

int main(int argc, char **argv)
{
    static const double mu[1] = {1.0};
    const int repeats = argc > 1 ? atoi(argv[1]) : 7;
    const size_t n_max = argc > 2 ? (size_t)atol(argv[2]) : 1000000;
    static const size_t sizes[] = {2, 16, 128, 1024, 8192, 65536, 262144, 1000000};
    bench_problem p;
    size_t q;
    int dop;

    if (repeats < 1 || repeats > MAX_REPEATS) {
        fprintf(stderr, "repeats must be 1..%d\n", MAX_REPEATS);
        return 2;
    }
    if (argc > 3) {
        if (strcmp(argv[3], "cpu") == 0) {
            bench_clock = CLOCK_PROCESS_CPUTIME_ID;
        } else if (strcmp(argv[3], "wall") != 0) {
            fprintf(stderr, "the clock must be wall or cpu, not '%s'\n", argv[3]);
            return 2;
        }
    }
    printf("| problem | method | n | steps | nfev | anchor ns/rhs call | ivp_solve ns/rhs call | "
           "ivp_solve / anchor | reused solver ns/rhs call | reused / anchor |\n"
           "|---|---|---|---|---|---|---|---|---|---|\n");
    if (problem_init(&p, "Van der Pol", vdp_rhs, 2, mu, 100.0) != 0) {
        return 1;
    }
    p.y0[0] = 2.0;
    p.y0[1] = 0.0;
    for (dop = 0; dop < 2; dop++) {
        bench_case(&p, dop, repeats);
    }
    free(p.y0);
    for (q = 0; q < sizeof sizes / sizeof sizes[0] && sizes[q] <= n_max; q++) {
        if (problem_init(&p, "y' = -y", linear_rhs, sizes[q], NULL, 10.0) != 0) {
            return 1;
        }
        for (dop = 0; dop < 2; dop++) {
            bench_case(&p, dop, repeats);
        }
        free(p.y0);
    }
    return 0;
}
