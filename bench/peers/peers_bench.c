/* SPDX-License-Identifier: MIT
 * bench/peers/peers_bench.c - the peers of issue 7's seed cases, timed in-process: the minimal
 * fused RK45/DOP853 loop (bench/explicit/anchor.c), GSL's gsl_odeiv2 (rkf45, rk8pd) and
 * SUNDIALS CVODE (Adams with fixed-point iteration, BDF with Newton and a dense analytic
 * Jacobian). GSL and CVODE are compiled in only when CMake found them (PEERS_HAVE_GSL,
 * PEERS_HAVE_CVODE).
 *
 * Usage:
 *   peers_bench PROBLEM SOLVER [--mu X] [--n N] [--t-end T] [--rtol R] [--atol A]
 *               [--repeats K]
 *   PROBLEM: vdp (y1' = y2, y2' = mu (1 - y1^2) y2 - y1, y0 = [2, 0]) or
 *            linear (y' = -y, y0_i = 1 + i/n, the exact solution is known)
 *   SOLVER:  anchor-rk45 anchor-dop853 gsl-rkf45 gsl-rk8pd cvode-adams cvode-bdf
 *
 * Each repeat is one whole solve (set-up, integration to t_end, freeing), no output kept; one
 * untimed solve comes first. Prints one JSON line: the median and all times in seconds, nfev,
 * accepted steps, rejected steps (-1 when the solver does not say), njev, the final state (all
 * of it for n <= 16) and, for linear, the max relative error at t_end against exp(-t_end) y0.
 * Exit status 0, 1 when a solve failed, 2 on a usage error.
 */
#define _POSIX_C_SOURCE 200809L

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "anchor.h"

#ifdef PEERS_HAVE_GSL
#include <gsl/gsl_errno.h>
#include <gsl/gsl_odeiv2.h>
#endif

#ifdef PEERS_HAVE_CVODE
#include <cvode/cvode.h>
#include <nvector/nvector_serial.h>
#include <sundials/sundials_context.h>
#include <sunlinsol/sunlinsol_dense.h>
#include <sunmatrix/sunmatrix_dense.h>
#include <sunnonlinsol/sunnonlinsol_fixedpoint.h>
#endif

#define MAX_REPEATS 1001

typedef struct problem {
    int vdp; /* 1: Van der Pol, 0: y' = -y */
    size_t n;
    double mu;
    double t_end;
    double *y0;
    ivp_ctx ctx;
} problem;

typedef struct result {
    unsigned long nfev, steps, njev;
    long rejected;
    double *y; /* n, the state at t_end */
} result;

static unsigned long g_nfev; /* rhs calls of the current solve (GSL and CVODE wrappers) */
static unsigned long g_njev;
static const problem *g_prob; /* the problem of the current solve (GSL and CVODE wrappers) */

static int vdp_rhs(double t, const double *y, double *dydt, const ivp_ctx *ctx)
{
    double mu = ctx->p[0];
    (void)t;
    dydt[0] = y[1];
    dydt[1] = mu * (1.0 - y[0] * y[0]) * y[1] - y[0];
    return 0;
}

static int linear_rhs(double t, const double *y, double *dydt, const ivp_ctx *ctx)
{
    size_t i;
    (void)t;
    for (i = 0; i < ctx->n; i++) {
        dydt[i] = -y[i];
    }
    return 0;
}

static ivp_rhs_fn *problem_rhs(const problem *p)
{
    return p->vdp ? vdp_rhs : linear_rhs;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---- the anchor ------------------------------------------------------------------------ */

static int solve_anchor(const problem *p, int dop853, double rtol, double atol, result *r)
{
    r->rejected = -1;
    r->njev = 0;
    return anchor_solve(dop853, problem_rhs(p), &p->ctx, p->n, 0.0, p->t_end, p->y0, rtol, atol,
                        r->y, &r->nfev, &r->steps);
}

/* ---- GSL --------------------------------------------------------------------------------- */

#ifdef PEERS_HAVE_GSL
static int gsl_rhs(double t, const double y[], double dydt[], void *params)
{
    const problem *p = g_prob;
    (void)params;
    g_nfev++;
    return problem_rhs(p)(t, y, dydt, &p->ctx) == 0 ? GSL_SUCCESS : GSL_EBADFUNC;
}

/* gsl_odeiv2_evolve_apply step by step to t_end with the standard controller (per component
 * |err_i| <= atol + rtol |y_i|, max norm) and an initial trial step of 1e-6 (GSL has no
 * initial-step selection of its own; the controller adapts from there). */
static int solve_gsl(const problem *p, int rk8pd, double rtol, double atol, result *r)
{
    gsl_odeiv2_system sys = {gsl_rhs, NULL, p->n, NULL};
    const gsl_odeiv2_step_type *type = rk8pd ? gsl_odeiv2_step_rk8pd : gsl_odeiv2_step_rkf45;
    gsl_odeiv2_step *s = gsl_odeiv2_step_alloc(type, p->n);
    gsl_odeiv2_control *c = gsl_odeiv2_control_y_new(atol, rtol);
    gsl_odeiv2_evolve *e = gsl_odeiv2_evolve_alloc(p->n);
    double t = 0.0, h = 1e-6;
    int status = GSL_SUCCESS;

    g_prob = p;
    g_nfev = 0;
    r->steps = 0;
    r->njev = 0;
    if (s == NULL || c == NULL || e == NULL) {
        status = GSL_ENOMEM;
    } else {
        memcpy(r->y, p->y0, p->n * sizeof *r->y);
        while (t < p->t_end) {
            status = gsl_odeiv2_evolve_apply(e, c, s, &sys, &t, p->t_end, &h, r->y);
            if (status != GSL_SUCCESS) {
                break;
            }
            r->steps++;
        }
        r->rejected = (long)e->failed_steps;
    }
    r->nfev = g_nfev;
    if (e != NULL) {
        gsl_odeiv2_evolve_free(e);
    }
    if (c != NULL) {
        gsl_odeiv2_control_free(c);
    }
    if (s != NULL) {
        gsl_odeiv2_step_free(s);
    }
    return status == GSL_SUCCESS ? 0 : -1;
}
#endif

/* ---- CVODE ------------------------------------------------------------------------------- */

#ifdef PEERS_HAVE_CVODE
static int cv_rhs(sunrealtype t, N_Vector y, N_Vector ydot, void *user_data)
{
    const problem *p = g_prob;
    (void)user_data;
    g_nfev++;
    return problem_rhs(p)(t, N_VGetArrayPointer(y), N_VGetArrayPointer(ydot), &p->ctx) == 0 ? 0 : 1;
}

/* Dense analytic Jacobian of Van der Pol (SUNDenseMatrix is column-major). */
static int cv_jac(sunrealtype t, N_Vector y, N_Vector fy, SUNMatrix J, void *user_data, N_Vector t1,
                  N_Vector t2, N_Vector t3)
{
    const problem *p = g_prob;
    const double *v = N_VGetArrayPointer(y);
    (void)user_data;
    (void)t;
    (void)fy;
    (void)t1;
    (void)t2;
    (void)t3;
    g_njev++;
    if (p->vdp) {
        SM_ELEMENT_D(J, 0, 0) = 0.0;
        SM_ELEMENT_D(J, 0, 1) = 1.0;
        SM_ELEMENT_D(J, 1, 0) = -2.0 * p->mu * v[0] * v[1] - 1.0;
        SM_ELEMENT_D(J, 1, 1) = p->mu * (1.0 - v[0] * v[0]);
    } else {
        size_t i;
        SUNMatZero(J);
        for (i = 0; i < p->n; i++) {
            SM_ELEMENT_D(J, (sunindextype)i, (sunindextype)i) = -1.0;
        }
    }
    return 0;
}

/* One CVODE solve in CV_NORMAL mode to t_end (stop time set, no step limit). Adams uses the
 * fixed-point iteration (no matrix), BDF Newton with the dense direct solver. */
static int solve_cvode(const problem *p, int bdf, double rtol, double atol, result *r)
{
    SUNContext sctx = NULL;
    N_Vector y = NULL;
    SUNMatrix A = NULL;
    SUNLinearSolver LS = NULL;
    SUNNonlinearSolver NLS = NULL;
    void *mem = NULL;
    sunrealtype t = 0.0;
    long nst = 0, netf = 0;
    int ok = 0;

    g_prob = p;
    g_nfev = 0;
    g_njev = 0;
    if (SUNContext_Create(NULL, &sctx) != 0) {
        return -1;
    }
    y = N_VNew_Serial((sunindextype)p->n, sctx);
    mem = CVodeCreate(bdf ? CV_BDF : CV_ADAMS, sctx);
    if (y == NULL || mem == NULL) {
        goto done;
    }
    memcpy(N_VGetArrayPointer(y), p->y0, p->n * sizeof(double));
    if (CVodeInit(mem, cv_rhs, 0.0, y) != CV_SUCCESS ||
        CVodeSStolerances(mem, rtol, atol) != CV_SUCCESS ||
        CVodeSetMaxNumSteps(mem, -1) != CV_SUCCESS ||
        CVodeSetStopTime(mem, p->t_end) != CV_SUCCESS) {
        goto done;
    }
    if (bdf) {
        A = SUNDenseMatrix((sunindextype)p->n, (sunindextype)p->n, sctx);
        LS = A != NULL ? SUNLinSol_Dense(y, A, sctx) : NULL;
        if (LS == NULL || CVodeSetLinearSolver(mem, LS, A) != CV_SUCCESS ||
            CVodeSetJacFn(mem, cv_jac) != CV_SUCCESS) {
            goto done;
        }
    } else {
        NLS = SUNNonlinSol_FixedPoint(y, 0, sctx);
        if (NLS == NULL || CVodeSetNonlinearSolver(mem, NLS) != CV_SUCCESS) {
            goto done;
        }
    }
    if (CVode(mem, p->t_end, y, &t, CV_NORMAL) < 0) {
        goto done;
    }
    CVodeGetNumSteps(mem, &nst);
    CVodeGetNumErrTestFails(mem, &netf);
    memcpy(r->y, N_VGetArrayPointer(y), p->n * sizeof(double));
    ok = 1;
done:
    r->nfev = g_nfev;
    r->njev = g_njev;
    r->steps = (unsigned long)nst;
    r->rejected = netf;
    CVodeFree(&mem);
    if (NLS != NULL) {
        SUNNonlinSolFree(NLS);
    }
    if (LS != NULL) {
        SUNLinSolFree(LS);
    }
    if (A != NULL) {
        SUNMatDestroy(A);
    }
    if (y != NULL) {
        N_VDestroy(y);
    }
    SUNContext_Free(&sctx);
    return ok ? 0 : -1;
}
#endif

/* ---- driver ------------------------------------------------------------------------------ */

typedef int solver_fn(const problem *p, int variant, double rtol, double atol, result *r);

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int usage(void)
{
    fprintf(stderr, "usage: peers_bench vdp|linear SOLVER [--mu X] [--n N] [--t-end T] "
                    "[--rtol R] [--atol A] [--repeats K]\n  SOLVER: anchor-rk45 anchor-dop853"
#ifdef PEERS_HAVE_GSL
                    " gsl-rkf45 gsl-rk8pd"
#endif
#ifdef PEERS_HAVE_CVODE
                    " cvode-adams cvode-bdf"
#endif
                    "\n");
    return 2;
}

int main(int argc, char **argv)
{
    problem p;
    result r;
    solver_fn *solve = NULL;
    int variant = 0, repeats = 5, k;
    double rtol = 1e-6, atol = 1e-6, times[MAX_REPEATS], err = -1.0;
    size_t i;

    if (argc < 3) {
        return usage();
    }
    memset(&p, 0, sizeof p);
    p.vdp = strcmp(argv[1], "vdp") == 0;
    if (!p.vdp && strcmp(argv[1], "linear") != 0) {
        return usage();
    }
    p.n = p.vdp ? 2 : 1000;
    p.mu = 1.0;
    p.t_end = p.vdp ? 100.0 : 10.0;
    if (strcmp(argv[2], "anchor-rk45") == 0 || strcmp(argv[2], "anchor-dop853") == 0) {
        solve = solve_anchor;
        variant = strcmp(argv[2], "anchor-dop853") == 0;
    }
#ifdef PEERS_HAVE_GSL
    if (strcmp(argv[2], "gsl-rkf45") == 0 || strcmp(argv[2], "gsl-rk8pd") == 0) {
        solve = solve_gsl;
        variant = strcmp(argv[2], "gsl-rk8pd") == 0;
        gsl_set_error_handler_off();
    }
#endif
#ifdef PEERS_HAVE_CVODE
    if (strcmp(argv[2], "cvode-adams") == 0 || strcmp(argv[2], "cvode-bdf") == 0) {
        solve = solve_cvode;
        variant = strcmp(argv[2], "cvode-bdf") == 0;
    }
#endif
    if (solve == NULL) {
        return usage();
    }
    for (k = 3; k < argc; k++) {
        if (k + 1 >= argc) {
            return usage();
        }
        if (strcmp(argv[k], "--mu") == 0) {
            p.mu = atof(argv[++k]);
        } else if (strcmp(argv[k], "--n") == 0) {
            p.n = (size_t)strtoul(argv[++k], NULL, 10);
        } else if (strcmp(argv[k], "--t-end") == 0) {
            p.t_end = atof(argv[++k]);
        } else if (strcmp(argv[k], "--rtol") == 0) {
            rtol = atof(argv[++k]);
        } else if (strcmp(argv[k], "--atol") == 0) {
            atol = atof(argv[++k]);
        } else if (strcmp(argv[k], "--repeats") == 0) {
            repeats = atoi(argv[++k]);
        } else {
            return usage();
        }
    }
    if (p.vdp) {
        p.n = 2;
    }
    if (repeats < 1 || repeats > MAX_REPEATS || p.n < 1 || !(p.t_end > 0.0) || !(rtol > 0.0) ||
        !(atol > 0.0)) {
        return usage();
    }
    p.ctx.n = p.n;
    p.ctx.p = &p.mu;
    p.ctx.np = 1;
    p.y0 = malloc(2 * p.n * sizeof *p.y0);
    if (p.y0 == NULL) {
        return 1;
    }
    r.y = p.y0 + p.n;
    for (i = 0; i < p.n; i++) {
        p.y0[i] = p.vdp ? (i == 0 ? 2.0 : 0.0) : 1.0 + (double)i / (double)p.n;
    }
    if (solve(&p, variant, rtol, atol, &r) != 0) { /* untimed warm-up */
        fprintf(stderr, "peers_bench: %s on %s failed\n", argv[2], argv[1]);
        free(p.y0);
        return 1;
    }
    for (k = 0; k < repeats; k++) {
        double t0 = now();
        int rc = solve(&p, variant, rtol, atol, &r);
        times[k] = now() - t0;
        if (rc != 0) {
            fprintf(stderr, "peers_bench: %s on %s failed\n", argv[2], argv[1]);
            free(p.y0);
            return 1;
        }
    }
    if (!p.vdp) {
        double decay = exp(-p.t_end);
        err = 0.0;
        for (i = 0; i < p.n; i++) {
            double exact = p.y0[i] * decay;
            double e = fabs(r.y[i] - exact) / fabs(exact);
            err = e > err ? e : err;
        }
    }
    printf("{\"solver\": \"%s\", \"problem\": \"%s\", \"n\": %zu, \"rtol\": %.17g, "
           "\"atol\": %.17g, \"nfev\": %lu, \"steps\": %lu, \"rejected\": %ld, \"njev\": %lu, "
           "\"times\": [",
           argv[2], argv[1], p.n, rtol, atol, r.nfev, r.steps, r.rejected, r.njev);
    for (k = 0; k < repeats; k++) {
        printf("%s%.9g", k ? ", " : "", times[k]);
    }
    qsort(times, (size_t)repeats, sizeof times[0], cmp_double);
    printf("], \"seconds\": %.9g, \"max_rel_err\": %.6g, \"y_end\": [",
           repeats % 2 ? times[repeats / 2] : 0.5 * (times[repeats / 2 - 1] + times[repeats / 2]),
           err);
    for (i = 0; i < p.n && p.n <= 16; i++) {
        printf("%s%.17g", i ? ", " : "", r.y[i]);
    }
    printf("]}\n");
    free(p.y0);
    return 0;
}
