/* SPDX-License-Identifier: MIT
 * tests/core/test_stiff_hint.c - the explicit methods' stiffness hint (Hairer's test in
 * DOPRI5/DOP853; a second difference of the last three stages for RK23): it fires once, during
 * the solve, on stiff problems at a plausible t; never on non-stiff ones that take thousands of
 * steps; never for the implicit methods; it is forgotten on a solver reset; and it changes no
 * result bit and allocates nothing.
 */
#include "support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ivp/memsink.h"
#include "ivp/solve.h"

static const char *const explicit_methods[] = {"RK23", "RK45", "DOP853"};
/* Real stability boundaries of the three methods (|R(-x)| = 1): a stability-limited step has
 * |h lambda| near them, on average just below. */
static const double boundaries[] = {2.5127, 3.3066, 6.3937};
#define N_EXPLICIT 3

/* The test runs every 1000th accepted step and fires on the 15th positive one: the earliest
 * detection is at the start of step 1014, i.e. at the end of step 1013. */
#define FIRST_TEST_STEP 1000
#define HITS 15

/* ---- problems ---- */

/* y' = -L (y - cos t), y(0) = 0, L = p[0]: after a transient of a few 1/L the solution follows
 * cos t + sin t / L, and an explicit method's step is held at about boundary / L. */
static int rhs_linear(double t, const double *y, double *f, const ivp_ctx *ctx)
{
    f[0] = -ctx->p[0] * (y[0] - cos(t));
    return 0;
}

/* Van der Pol, mu = p[0]. */
static int rhs_vdp(double t, const double *y, double *f, const ivp_ctx *ctx)
{
    const double mu = ctx->p[0];
    (void)t;
    f[0] = y[1];
    f[1] = mu * (1.0 - y[0] * y[0]) * y[1] - y[0];
    return 0;
}

/* Robertson's chemical kinetics (eigenvalues down to about -1e4 near t = 1). */
static int rhs_robertson(double t, const double *y, double *f, const ivp_ctx *ctx)
{
    (void)t;
    (void)ctx;
    f[0] = -0.04 * y[0] + 1e4 * y[1] * y[2];
    f[1] = 0.04 * y[0] - 1e4 * y[1] * y[2] - 3e7 * y[1] * y[1];
    f[2] = 3e7 * y[1] * y[1];
    return 0;
}

/* Lorenz (sigma 10, rho 28, beta 8/3). */
static int rhs_lorenz(double t, const double *y, double *f, const ivp_ctx *ctx)
{
    (void)t;
    (void)ctx;
    f[0] = 10.0 * (y[1] - y[0]);
    f[1] = y[0] * (28.0 - y[2]) - y[1];
    f[2] = y[0] * y[1] - 8.0 / 3.0 * y[2];
    return 0;
}

/* Kepler two-body problem, mu = 1. */
static int rhs_kepler(double t, const double *y, double *f, const ivp_ctx *ctx)
{
    const double r2 = y[0] * y[0] + y[1] * y[1];
    const double r3 = r2 * sqrt(r2);
    (void)t;
    (void)ctx;
    f[0] = y[2];
    f[1] = y[3];
    f[2] = -y[0] / r3;
    f[3] = -y[1] / r3;
    return 0;
}

/* ---- recording ---- */

#define MAX_POINTS 400000

typedef struct rec {
    double *t; /* output times: t0, then every accepted step's end */
    unsigned long n;
    unsigned long hints; /* stiff_hint calls */
    double hint_t;
    unsigned long points_at_hint; /* points written when the hint came */
} rec;

static int rec_point(void *ud, double t, const double *y)
{
    rec *r = ud;
    (void)y;
    if (r->n < MAX_POINTS) {
        r->t[r->n] = t;
    }
    r->n++;
    return 0;
}

static void rec_hint(void *ud, double t)
{
    rec *r = ud;
    r->hints++;
    r->hint_t = t;
    r->points_at_hint = r->n;
}

typedef struct problem {
    const char *name;
    ivp_rhs_fn *rhs;
    size_t n;
    double mu;
    double t0, t_end;
    double y0[4];
    double rtol, atol;
} problem;

/* Solves p with method m, recording into r (r->t allocated by the caller). */
static ivp_status solve_rec(const problem *p, const char *m, rec *r, int with_hint, ivp_result *res)
{
    ivp_ctx ctx = {p->n, &p->mu, 1, NULL};
    ivp_system sys;
    ivp_options o;
    ivp_sink sink = {rec_point, NULL, NULL, r};
    ivp_error err;
    memset(&sys, 0, sizeof sys);
    sys.n = p->n;
    sys.rhs = p->rhs;
    sys.lband = sys.uband = -1;
    sys.ctx = &ctx;
    ivp_options_init(&o);
    o.method = m;
    o.rtol = p->rtol;
    o.atol = p->atol;
    if (with_hint) {
        o.stiff_hint = rec_hint;
        o.stiff_hint_ud = r;
    }
    r->n = 0;
    r->hints = 0;
    r->hint_t = -1.0;
    r->points_at_hint = 0;
    return ivp_solve(&sys, p->t0, p->t_end, p->y0, &o, &sink, res, &err);
}

/* Index of t among the recorded output times, or -1. */
static long find_time(const rec *r, double t)
{
    unsigned long i;
    for (i = 0; i < r->n && i < MAX_POINTS; i++) {
        if (r->t[i] == t) {
            return (long)i;
        }
    }
    return -1;
}

/* ---- stiff problems: one hint, during the solve, where the steps are stability-limited ---- */

static void stiff_linear_problem_warns_once_after_the_transient(void **state)
{
    const problem p = {"linear", rhs_linear, 1, 1000.0, 0.0, 20.0, {0.0}, 1e-3, 1e-6};
    rec r;
    int k;
    (void)state;
    r.t = malloc(MAX_POINTS * sizeof *r.t);
    assert_non_null(r.t);
    for (k = 0; k < N_EXPLICIT; k++) {
        ivp_result res;
        long idx;
        double h_mean;
        assert_int_equal(solve_rec(&p, explicit_methods[k], &r, 1, &res), IVP_OK);
        idx = find_time(&r, res.stiff_t);
        print_message("%s: %lu steps, stiff at t = %.6g (end of step %ld), hint with %lu of %lu "
                      "points written\n",
                      explicit_methods[k], res.n_steps, res.stiff_t, idx, r.points_at_hint, r.n);
        assert_int_equal(res.stiff_detected, 1);
        assert_int_equal(r.hints, 1);
        assert_true(r.hint_t == res.stiff_t);
        /* called during the solve, as soon as the step that fired was accepted */
        assert_true(r.points_at_hint == (unsigned long)idx + 1);
        assert_true(r.points_at_hint < r.n);
        /* the first test is at step 1000; the transient (a few 1e-3) is long over by then, so
         * every test from there on sees stability-limited steps and fires: detection at the
         * earliest possible step, give or take a few negative tests */
        assert_true(idx >= FIRST_TEST_STEP + HITS - 2);
        assert_true(idx <= FIRST_TEST_STEP + HITS - 2 + 40);
        /* and the steps there are held at the stability boundary: mean |h| L of the 100 steps
         * before it near the boundary (scipy's controller makes the steps cycle around it) */
        h_mean = (r.t[idx] - r.t[idx - 100]) / 100.0;
        print_message("%s: mean h L before = %.4g (boundary %.3g)\n", explicit_methods[k],
                      h_mean * p.mu, boundaries[k]);
        assert_true(h_mean * p.mu > 0.9 * boundaries[k]);
        assert_true(h_mean * p.mu < 1.02 * boundaries[k]);
    }
    free(r.t);
}

static void stiff_vdp_and_robertson_warn_once(void **state)
{
    const problem probs[] = {
        {"vdp mu=1000", rhs_vdp, 2, 1000.0, 0.0, 3.0, {2.0, 0.0}, 1e-3, 1e-6},
        {"robertson", rhs_robertson, 3, 0.0, 0.0, 5.0, {1.0, 0.0, 0.0}, 1e-4, 1e-8},
    };
    rec r;
    size_t j;
    int k;
    (void)state;
    r.t = malloc(MAX_POINTS * sizeof *r.t);
    assert_non_null(r.t);
    for (j = 0; j < sizeof probs / sizeof probs[0]; j++) {
        for (k = 0; k < N_EXPLICIT; k++) {
            ivp_result res;
            long idx;
            assert_int_equal(solve_rec(&probs[j], explicit_methods[k], &r, 1, &res), IVP_OK);
            idx = find_time(&r, res.stiff_t);
            print_message("%s %s: %lu steps, stiff %d at t = %.6g (end of step %ld)\n",
                          probs[j].name, explicit_methods[k], res.n_steps, res.stiff_detected,
                          res.stiff_t, idx);
            assert_int_equal(res.stiff_detected, 1);
            assert_int_equal(r.hints, 1);
            assert_true(r.hint_t == res.stiff_t);
            assert_true(idx >= FIRST_TEST_STEP + HITS - 2);
            assert_true(r.points_at_hint < r.n);
        }
    }
    free(r.t);
}

/* ---- non-stiff problems: thousands of steps, never a hint ---- */

static void nonstiff_problems_never_warn(void **state)
{
    /* Kepler: eccentricity 0.6 from perihelion (period 2 pi), 100 orbits */
    const problem probs[] = {
        {"vdp mu=1", rhs_vdp, 2, 1.0, 0.0, 1000.0, {2.0, 0.0}, 1e-7, 1e-10},
        {"lorenz", rhs_lorenz, 3, 0.0, 0.0, 200.0, {1.0, 1.0, 1.0}, 1e-6, 1e-9},
        {"kepler",
         rhs_kepler,
         4,
         0.0,
         0.0,
         200.0 * 3.14159265358979323846,
         {0.4, 0.0, 0.0, 2.0},
         1e-9,
         1e-12},
    };
    rec r;
    size_t j;
    int k;
    (void)state;
    r.t = malloc(MAX_POINTS * sizeof *r.t);
    assert_non_null(r.t);
    for (j = 0; j < sizeof probs / sizeof probs[0]; j++) {
        for (k = 0; k < N_EXPLICIT; k++) {
            ivp_result res;
            assert_int_equal(solve_rec(&probs[j], explicit_methods[k], &r, 1, &res), IVP_OK);
            print_message("%s %s: %lu steps, stiff %d\n", probs[j].name, explicit_methods[k],
                          res.n_steps, res.stiff_detected);
            /* long enough that the test ran at least twice */
            assert_true(res.n_steps >= 2 * FIRST_TEST_STEP);
            assert_int_equal(res.stiff_detected, 0);
            assert_true(res.stiff_t == 0.0);
            assert_int_equal(r.hints, 0);
        }
    }
    free(r.t);
}

/* ---- the hint changes nothing ---- */

static void count_hint(void *ud, double t)
{
    unsigned long *calls = ud;
    (void)t;
    (*calls)++;
}

/* Van der Pol mu = 1000 with dense output and t_eval: with and without the hint, every point,
 * state, segment and counter is the same bit for bit. */
static void hint_changes_no_result_bit(void **state)
{
    int k;
    (void)state;
    for (k = 0; k < N_EXPLICIT; k++) {
        ivp_memsink ms[2];
        ivp_result res[2];
        unsigned long calls = 0;
        int with;
        double mu = 1000.0;
        for (with = 0; with < 2; with++) {
            ivp_ctx ctx = {2, &mu, 1, NULL};
            ivp_system sys;
            ivp_options o;
            ivp_sink sink;
            ivp_error err;
            double y0[2] = {2.0, 0.0};
            memset(&sys, 0, sizeof sys);
            sys.n = 2;
            sys.rhs = rhs_vdp;
            sys.lband = sys.uband = -1;
            sys.ctx = &ctx;
            ivp_options_init(&o);
            o.method = explicit_methods[k];
            o.dense_output = 1;
            if (with) {
                o.stiff_hint = count_hint;
                o.stiff_hint_ud = &calls;
            }
            assert_int_equal(ivp_memsink_init(&ms[with], 2,
                                              ivp_method_dense_degree(explicit_methods[k]), NULL, 0,
                                              0, 0),
                             IVP_OK);
            sink = ivp_memsink_sink(&ms[with]);
            assert_int_equal(ivp_solve(&sys, 0.0, 3.0, y0, &o, &sink, &res[with], &err), IVP_OK);
        }
        assert_int_equal(calls, 1);
        assert_int_equal(res[0].stiff_detected, 1);
        assert_true(res[0].stiff_t == res[1].stiff_t);
        assert_int_equal(res[0].n_steps, res[1].n_steps);
        assert_int_equal(res[0].nfev, res[1].nfev);
        assert_int_equal(res[0].n_rejected, res[1].n_rejected);
        assert_int_equal(ms[0].n_points, ms[1].n_points);
        assert_int_equal(ms[0].n_seg, ms[1].n_seg);
        assert_memory_equal(ms[0].t, ms[1].t, ms[0].n_points * sizeof *ms[0].t);
        assert_memory_equal(ms[0].y, ms[1].y, ms[0].n_points * 2 * sizeof *ms[0].y);
        assert_memory_equal(ms[0].seg_c, ms[1].seg_c,
                            ms[0].n_seg * (ms[0].deg + 1) * 2 * sizeof *ms[0].seg_c);
        ivp_memsink_free(&ms[0]);
        ivp_memsink_free(&ms[1]);
    }
}

/* The implicit methods never hint (their steps are not limited by stability). */
static void implicit_methods_never_hint(void **state)
{
    static const char *const implicit[] = {"Radau", "BDF", "LSODA"};
    const problem p = {"linear", rhs_linear, 1, 1000.0, 0.0, 20.0, {0.0}, 1e-3, 1e-6};
    rec r;
    int k;
    (void)state;
    r.t = malloc(MAX_POINTS * sizeof *r.t);
    assert_non_null(r.t);
    for (k = 0; k < 3; k++) {
        ivp_result res;
        assert_int_equal(solve_rec(&p, implicit[k], &r, 1, &res), IVP_OK);
        assert_int_equal(res.stiff_detected, 0);
        assert_int_equal(r.hints, 0);
    }
    free(r.t);
}

/* A reused solver forgets the detection on reset: stiff, non-stiff, stiff again gives hints
 * in the first and the third solve only, at the same t; and the solves allocate nothing. */
static void reset_forgets_the_hint_and_nothing_is_allocated(void **state)
{
    int k;
    (void)state;
    for (k = 0; k < N_EXPLICIT; k++) {
        ivp_test_alloc ta;
        double lambda = 1000.0;
        ivp_ctx ctx = {1, &lambda, 1, NULL};
        ivp_system sys;
        ivp_options o;
        ivp_solver *sv;
        ivp_result res;
        ivp_error err;
        unsigned long calls = 0;
        double y0[1] = {0.0}, t_first;
        long warm_alloc;
        memset(&sys, 0, sizeof sys);
        sys.n = 1;
        sys.rhs = rhs_linear;
        sys.lband = sys.uband = -1;
        sys.ctx = &ctx;
        ivp_test_alloc_init(&ta, -1);
        ivp_options_init(&o);
        o.method = explicit_methods[k];
        o.stiff_hint = count_hint;
        o.stiff_hint_ud = &calls;
        o.alloc = &ta.a;
        sv = ivp_solver_new(&sys, &o, &err);
        assert_non_null(sv);
        warm_alloc = ta.n_alloc;

        assert_int_equal(ivp_solver_reset(sv, 0.0, 20.0, y0, NULL, &err), IVP_OK);
        assert_int_equal(ivp_solver_run(sv, NULL, &res, &err), IVP_OK);
        assert_int_equal(res.stiff_detected, 1);
        assert_int_equal(calls, 1);
        t_first = res.stiff_t;

        lambda = 1.0; /* y' = -(y - cos t): not stiff; 4000 steps of at most 0.05 */
        o.max_step = 0.05;
        assert_int_equal(ivp_solver_reset(sv, 0.0, 200.0, y0, &o, &err), IVP_OK);
        assert_int_equal(ivp_solver_run(sv, NULL, &res, &err), IVP_OK);
        print_message("%s: non-stiff solve after a reset: %lu steps\n", explicit_methods[k],
                      res.n_steps);
        assert_true(res.n_steps >= 2 * FIRST_TEST_STEP);
        assert_int_equal(res.stiff_detected, 0);
        assert_true(res.stiff_t == 0.0);
        assert_int_equal(calls, 1);

        lambda = 1000.0;
        o.max_step = HUGE_VAL;
        assert_int_equal(ivp_solver_reset(sv, 0.0, 20.0, y0, &o, &err), IVP_OK);
        assert_int_equal(ivp_solver_run(sv, NULL, &res, &err), IVP_OK);
        assert_int_equal(res.stiff_detected, 1);
        assert_true(res.stiff_t == t_first);
        assert_int_equal(calls, 2);

        assert_int_equal(ta.n_alloc, warm_alloc); /* resets and runs allocated nothing */
        ivp_solver_free(sv);
        assert_int_equal(ta.n_live, 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(stiff_linear_problem_warns_once_after_the_transient),
        cmocka_unit_test(stiff_vdp_and_robertson_warn_once),
        cmocka_unit_test(nonstiff_problems_never_warn),
        cmocka_unit_test(hint_changes_no_result_bit),
        cmocka_unit_test(implicit_methods_never_hint),
        cmocka_unit_test(reset_forgets_the_hint_and_nothing_is_allocated),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
