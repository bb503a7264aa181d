/* SPDX-License-Identifier: MIT
 * bench/implicit_small/implicit_small.c - time of whole in-process solves (ivp_solve, a no-op
 * sink) of small stiff systems with the implicit methods: Van der Pol mu = 1000 (n = 2) and
 * Robertson (n = 3), BDF, Radau and LSODA, analytic Jacobians.
 *
 * Each time is the median over 'repeats' batches of the time per solve; a batch repeats the
 * solve until it has lasted at least 20 ms. The methods' batches alternate (BDF Radau LSODA
 * BDF ...), so that drifts in the machine's load hit all alike. Prints a Markdown table with
 * the step and rhs counts (which must not change when only the speed does) and the time per
 * step. Also prints a checksum of the final states, bit for bit, to compare builds.
 *
 * Usage: implicit_small [repeats (default 7)] [method (default: all three)]
 */
#define _POSIX_C_SOURCE 199309L

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ivp/solve.h"

#define MIN_BATCH_SECONDS 0.02
#define MAX_REPEATS 101
#define MAX_N 3

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
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

static int vdp_jac(double t, const double *y, double *j, const ivp_ctx *ctx)
{
    const double mu = ctx->p[0];
    (void)t;
    j[0] = 0.0;
    j[1] = 1.0;
    j[2] = -2.0 * mu * y[0] * y[1] - 1.0;
    j[3] = mu * (1.0 - y[0] * y[0]);
    return 0;
}

static int rober_rhs(double t, const double *y, double *f, const ivp_ctx *ctx)
{
    (void)t;
    (void)ctx;
    f[0] = -0.04 * y[0] + 1e4 * y[1] * y[2];
    f[2] = 3e7 * y[1] * y[1];
    f[1] = -f[0] - f[2];
    return 0;
}

static int rober_jac(double t, const double *y, double *j, const ivp_ctx *ctx)
{
    (void)t;
    (void)ctx;
    j[0] = -0.04;
    j[1] = 1e4 * y[2];
    j[2] = 1e4 * y[1];
    j[6] = 0.0;
    j[7] = 6e7 * y[1];
    j[8] = 0.0;
    j[3] = 0.04;
    j[4] = -1e4 * y[2] - 6e7 * y[1];
    j[5] = -1e4 * y[1];
    return 0;
}

typedef struct bench_problem {
    const char *name;
    size_t n;
    ivp_rhs_fn *rhs;
    ivp_jac_fn *jac;
    double p[1];
    double t0, t_end, rtol, atol;
    double y0[MAX_N];
} bench_problem;

typedef struct run_info {
    unsigned long nfev, njev, nlu, n_steps;
    double y[MAX_N];
} run_info;

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

static int noop_point(void *ud, double t, const double *y)
{
    (void)t;
    (void)y;
    ++*(unsigned long *)ud;
    return 0;
}

static int solve(const bench_problem *p, const char *method, run_info *ri, int keep)
{
    ivp_system sys;
    ivp_options opt;
    ivp_sink sink;
    ivp_result res;
    ivp_ctx ctx;
    last_point lp;
    unsigned long points = 0;
    memset(&ctx, 0, sizeof ctx);
    ctx.n = p->n;
    ctx.p = p->p;
    ctx.np = 1;
    memset(&sys, 0, sizeof sys);
    sys.n = p->n;
    sys.rhs = p->rhs;
    sys.jac = p->jac;
    sys.lband = sys.uband = -1;
    sys.ctx = &ctx;
    ivp_options_init(&opt);
    opt.method = method;
    opt.rtol = p->rtol;
    opt.atol = p->atol;
    memset(&sink, 0, sizeof sink);
    lp.n = p->n;
    lp.y = ri->y;
    sink.point = keep ? keep_point : noop_point;
    sink.ud = keep ? (void *)&lp : (void *)&points;
    if (ivp_solve(&sys, p->t0, p->t_end, p->y0, &opt, &sink, &res, NULL) != IVP_OK) {
        fprintf(stderr, "%s %s: ivp_solve failed: %s\n", p->name, method, res.message);
        return -1;
    }
    ri->nfev = res.nfev;
    ri->njev = res.njev;
    ri->nlu = res.nlu;
    ri->n_steps = res.n_steps;
    return 0;
}

/* Seconds per solve over one batch of at least MIN_BATCH_SECONDS (reps chosen on the first
 * call and kept). */
static double batch(const bench_problem *p, const char *method, unsigned long *reps)
{
    run_info ri;
    unsigned long r;
    double t0 = now_seconds(), dt;
    if (*reps == 0) {
        unsigned long done = 0;
        do {
            if (solve(p, method, &ri, 0) != 0) {
                exit(1);
            }
            done++;
            dt = now_seconds() - t0;
        } while (dt < MIN_BATCH_SECONDS);
        *reps = done;
        return dt / (double)done;
    }
    for (r = 0; r < *reps; r++) {
        if (solve(p, method, &ri, 0) != 0) {
            exit(1);
        }
    }
    return (now_seconds() - t0) / (double)*reps;
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int k)
{
    qsort(v, (size_t)k, sizeof *v, cmp_double);
    return k % 2 ? v[k / 2] : 0.5 * (v[k / 2 - 1] + v[k / 2]);
}

#define N_METHODS 3

int main(int argc, char **argv)
{
    static const char *const methods[N_METHODS] = {"BDF", "Radau", "LSODA"};
    bench_problem probs[2];
    int repeats = argc > 1 ? atoi(argv[1]) : 7;
    const char *only = argc > 2 ? argv[2] : NULL;
    size_t pi;
    if (repeats < 1 || repeats > MAX_REPEATS) {
        fprintf(stderr, "usage: implicit_small [repeats 1..%d] [BDF|Radau|LSODA]\n", MAX_REPEATS);
        return 2;
    }
    memset(probs, 0, sizeof probs);
    probs[0].name = "Van der Pol mu=1000";
    probs[0].n = 2;
    probs[0].rhs = vdp_rhs;
    probs[0].jac = vdp_jac;
    probs[0].p[0] = 1000.0;
    probs[0].t0 = 0.0;
    probs[0].t_end = 3000.0;
    probs[0].rtol = 1e-6;
    probs[0].atol = 1e-6;
    probs[0].y0[0] = 2.0;
    probs[0].y0[1] = 0.0;
    probs[1].name = "Robertson";
    probs[1].n = 3;
    probs[1].rhs = rober_rhs;
    probs[1].jac = rober_jac;
    probs[1].t0 = 0.0;
    probs[1].t_end = 1e5;
    probs[1].rtol = 1e-6;
    probs[1].atol = 1e-10;
    probs[1].y0[0] = 1.0;

    printf("| problem | method | steps | nfev | njev | nlu | us/solve | ns/step | y(t_end) |\n");
    printf("|---|---|---|---|---|---|---|---|---|\n");
    for (pi = 0; pi < 2; pi++) {
        const bench_problem *p = &probs[pi];
        double times[N_METHODS][MAX_REPEATS];
        unsigned long reps[N_METHODS] = {0};
        run_info ri[N_METHODS];
        int m, r;
        for (m = 0; m < N_METHODS; m++) {
            if (only != NULL && strcmp(only, methods[m]) != 0) {
                continue;
            }
            if (solve(p, methods[m], &ri[m], 1) != 0) {
                return 1;
            }
            (void)batch(p, methods[m], &reps[m]); /* warm-up, sets the batch size */
        }
        for (r = 0; r < repeats; r++) {
            for (m = 0; m < N_METHODS; m++) {
                if (only != NULL && strcmp(only, methods[m]) != 0) {
                    continue;
                }
                times[m][r] = batch(p, methods[m], &reps[m]);
            }
        }
        for (m = 0; m < N_METHODS; m++) {
            double t;
            size_t i;
            if (only != NULL && strcmp(only, methods[m]) != 0) {
                continue;
            }
            t = median(times[m], repeats);
            printf("| %s | %s | %lu | %lu | %lu | %lu | %.1f | %.1f | ", p->name, methods[m],
                   ri[m].n_steps, ri[m].nfev, ri[m].njev, ri[m].nlu, 1e6 * t,
                   1e9 * t / (double)ri[m].n_steps);
            for (i = 0; i < p->n; i++) {
                printf("%s%a", i ? " " : "", ri[m].y[i]);
            }
            printf(" |\n");
        }
    }
    return 0;
}
