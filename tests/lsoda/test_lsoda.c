/* SPDX-License-Identifier: MIT
 * tests/lsoda/test_lsoda.c - LSODA through ivp_solve: method selection (Adams on non-stiff
 * problems, a switch to BDF on stiff ones), accuracy against exact solutions, banded
 * Jacobians, dense output, events and t_eval, failures and their messages, recoverable rhs
 * failures, and allocation (none per step; every allocation failure reported and cleaned up).
 */
#include "support.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ivp/memsink.h"
#include "ivp/solve.h"

#define PI 3.141592653589793
#define HEAT_N 40
#define DEG 12

/* ---- problems ---------------------------------------------------------------------------- */

/* y' = -0.5 y: y = y0 exp(-t/2) */
static int exp_rhs(double t, const double *y, double *f, const ivp_ctx *ctx)
{
    size_t i;
    (void)t;
    for (i = 0; i < ctx->n; i++) {
        f[i] = -0.5 * y[i];
    }
    return 0;
}

/* harmonic oscillator y0' = y1, y1' = -y0: (cos t, -sin t) from (1, 0) */
static int osc_rhs(double t, const double *y, double *f, const ivp_ctx *ctx)
{
    (void)t;
    (void)ctx;
    f[0] = y[1];
    f[1] = -y[0];
    return 0;
}

/* oscillator with the event y0 = 0 (roots at pi/2 + k pi) */
static int osc_events(double t, const double *y, double *g, const ivp_ctx *ctx)
{
    (void)t;
    (void)ctx;
    g[0] = y[0];
    return 0;
}

/* Lotka-Volterra: x' = x (a - b y), y' = y (-c + d x) with a = 1.5, b = 1, c = 3, d = 1 */
static int lv_rhs(double t, const double *y, double *f, const ivp_ctx *ctx)
{
    (void)t;
    (void)ctx;
    f[0] = y[0] * (1.5 - y[1]);
    f[1] = y[1] * (-3.0 + y[0]);
    return 0;
}

/* scipy's fun_rational: exact (t/(t+10), 10t/(t+10)^2) */
static int rational_rhs(double t, const double *y, double *f, const ivp_ctx *ctx)
{
    (void)ctx;
    f[0] = y[1] / t;
    f[1] = y[1] * (y[0] + 2.0 * y[1] - 1.0) / (t * (y[0] - 1.0));
    return 0;
}

/* Van der Pol, mu = 1000 */
static int vdp_rhs(double t, const double *y, double *f, const ivp_ctx *ctx)
{
    (void)t;
    (void)ctx;
    f[0] = y[1];
    f[1] = 1000.0 * (1.0 - y[0] * y[0]) * y[1] - y[0];
    return 0;
}

static int vdp_jac(double t, const double *y, double *J, const ivp_ctx *ctx)
{
    (void)t;
    (void)ctx;
    J[0] = 0.0;
    J[1] = 1.0;
    J[2] = -2000.0 * y[0] * y[1] - 1.0;
    J[3] = 1000.0 * (1.0 - y[0] * y[0]);
    return 0;
}

/* a Jacobian that cannot be factored */
static int nan_jac(double t, const double *y, double *J, const ivp_ctx *ctx)
{
    (void)t;
    (void)y;
    (void)ctx;
    J[0] = (double)NAN;
    J[1] = 1.0;
    J[2] = 1.0;
    J[3] = (double)NAN;
    return 0;
}

/* Robertson */
static int rober_rhs(double t, const double *y, double *f, const ivp_ctx *ctx)
{
    (void)t;
    (void)ctx;
    f[0] = -0.04 * y[0] + 1e4 * y[1] * y[2];
    f[1] = 0.04 * y[0] - 1e4 * y[1] * y[2] - 3e7 * y[1] * y[1];
    f[2] = 3e7 * y[1] * y[1];
    return 0;
}

/* Heat equation with zero boundary values, y_i' = c (y_{i-1} - 2 y_i + y_{i+1}),
 * c = (n+1)^2: from y0_i = sin(pi (i+1)/(n+1)), y(t) = y0 exp(-lambda t) with
 * lambda = 4 c sin^2(pi / (2 (n+1))). Stiff: the fastest mode decays ~4c. */
static int heat_rhs(double t, const double *y, double *f, const ivp_ctx *ctx)
{
    const size_t n = ctx->n;
    const double c = (double)((n + 1) * (n + 1));
    size_t i;
    (void)t;
    for (i = 0; i < n; i++) {
        double left = i > 0 ? y[i - 1] : 0.0;
        double right = i + 1 < n ? y[i + 1] : 0.0;
        f[i] = c * ((left - 2.0 * y[i]) + right);
    }
    return 0;
}

/* heat_rhs counting its calls in *(unsigned long *)ctx->data */
static int heat_rhs_counted(double t, const double *y, double *f, const ivp_ctx *ctx)
{
    (*(unsigned long *)ctx->data)++;
    return heat_rhs(t, y, f, ctx);
}

static int heat_jac(double t, const double *y, double *J, const ivp_ctx *ctx)
{
    const size_t n = ctx->n;
    const double c = (double)((n + 1) * (n + 1));
    size_t i;
    (void)t;
    (void)y;
    for (i = 0; i < n * n; i++) {
        J[i] = 0.0;
    }
    for (i = 0; i < n; i++) {
        J[i * n + i] = -2.0 * c;
        if (i > 0) {
            J[i * n + i - 1] = c;
        }
        if (i + 1 < n) {
            J[i * n + i + 1] = c;
        }
    }
    return 0;
}

/* The heat equation's Jacobian at the tridiagonal pattern (heat_pattern's order). */
static int heat_jac_values(double t, const double *y, double *v, const ivp_ctx *ctx)
{
    const size_t n = ctx->n;
    const double c = (double)((n + 1) * (n + 1));
    size_t i, k = 0;
    (void)t;
    (void)y;
    for (i = 0; i < n; i++) {
        if (i > 0) {
            v[k++] = c;
        }
        v[k++] = -2.0 * c;
        if (i + 1 < n) {
            v[k++] = c;
        }
    }
    return 0;
}

/* Tridiagonal pattern, row by row; returns the number of entries. */
static size_t heat_pattern(size_t n, size_t *rows, size_t *cols)
{
    size_t i, k = 0;
    for (i = 0; i < n; i++) {
        if (i > 0) {
            rows[k] = i;
            cols[k++] = i - 1;
        }
        rows[k] = i;
        cols[k++] = i;
        if (i + 1 < n) {
            rows[k] = i;
            cols[k++] = i + 1;
        }
    }
    return k;
}

static double heat_lambda(size_t n)
{
    double s = sin(PI / (2.0 * (double)(n + 1)));
    return 4.0 * (double)((n + 1) * (n + 1)) * s * s;
}

/* Lower bidiagonal, stiff: y_0' = -1000 y_0, y_i' = 1000 (y_{i-1} - y_i); only lband. From
 * y0 = (1, 0, ..., 0): y_i = (1000 t)^i / i! exp(-1000 t). */
static int chain_rhs(double t, const double *y, double *f, const ivp_ctx *ctx)
{
    size_t i;
    (void)t;
    f[0] = -1000.0 * y[0];
    for (i = 1; i < ctx->n; i++) {
        f[i] = 1000.0 * (y[i - 1] - y[i]);
    }
    return 0;
}

/* y' = y^2 from y(0) = 1: blows up at t = 1 */
static int blowup_rhs(double t, const double *y, double *f, const ivp_ctx *ctx)
{
    (void)t;
    (void)ctx;
    f[0] = y[0] * y[0];
    return 0;
}

/* y' = -y that refuses (returns 1) a few times in a row for 1.0 < t < 1.2 */
typedef struct flaky {
    int budget; /* refusals left */
    int refused;
} flaky;

static int flaky_rhs(double t, const double *y, double *f, const ivp_ctx *ctx)
{
    flaky *fl = ctx->data;
    if (t > 1.0 && t < 1.2 && fl->budget > 0) {
        fl->budget--;
        fl->refused++;
        return 1;
    }
    f[0] = -y[0];
    return 0;
}

static int refuse_after_rhs(double t, const double *y, double *f, const ivp_ctx *ctx)
{
    (void)ctx;
    if (t > 1.0) {
        return 3;
    }
    f[0] = -y[0];
    return 0;
}

static int fatal_after_rhs(double t, const double *y, double *f, const ivp_ctx *ctx)
{
    (void)ctx;
    if (t > 1.0) {
        return -7;
    }
    f[0] = -y[0];
    return 0;
}

/* ---- helpers ------------------------------------------------------------------------------- */

typedef struct run {
    ivp_ctx ctx;
    ivp_system sys;
    ivp_options opt;
    ivp_memsink ms;
    ivp_sink sink;
    ivp_result res;
    ivp_error err;
    ivp_status status;
} run;

static void run_setup(run *r, size_t n, ivp_rhs_fn *rhs)
{
    memset(r, 0, sizeof *r);
    r->ctx.n = n;
    r->sys.n = n;
    r->sys.rhs = rhs;
    r->sys.lband = -1;
    r->sys.uband = -1;
    r->sys.ctx = &r->ctx;
    ivp_options_init(&r->opt);
    r->opt.method = "LSODA";
}

static void run_solve(run *r, double t0, double t1, const double *y0)
{
    assert_int_equal(ivp_memsink_init(&r->ms, r->sys.n, DEG, NULL, 0, 0, 0), IVP_OK);
    r->sink = ivp_memsink_sink(&r->ms);
    r->status = ivp_solve(&r->sys, t0, t1, y0, &r->opt, &r->sink, &r->res, &r->err);
}

static void run_expect_ok(run *r, double t0, double t1, const double *y0)
{
    run_solve(r, t0, t1, y0);
    if (r->status != IVP_OK) {
        fail_msg("LSODA failed: %s", r->err.msg);
    }
    assert_int_equal(r->res.status, 0);
    assert_true(r->res.t == t1);
    assert_true(r->ms.t[r->ms.n_points - 1] == t1);
    if (r->opt.n_t_eval == 0) {
        assert_int_equal(r->res.n_steps, r->ms.n_points - 1);
    }
    assert_int_equal(r->res.n_steps_adams + r->res.n_steps_bdf, r->res.n_steps);
    assert_int_equal(r->res.njev, r->res.nlu);
}

static void expect_message(const ivp_error *err, const char *needle)
{
    if (strstr(err->msg, needle) == NULL) {
        fail_msg("message '%s' lacks '%s'", err->msg, needle);
    }
}

/* Evaluates segment k of the dense output at t (PPoly coefficients in powers of t - t_lo). */
static void seg_eval(const ivp_memsink *ms, size_t k, double t, double *y)
{
    const size_t n = ms->n;
    const double *c = ms->seg_c + k * (ms->deg + 1) * n;
    const double s = t - ms->seg_t[2 * k];
    size_t i;
    unsigned j;
    for (i = 0; i < n; i++) {
        double acc = c[i];
        for (j = 1; j <= ms->deg; j++) {
            acc = acc * s + c[j * n + i];
        }
        y[i] = acc;
    }
}

/* ---- method selection ---------------------------------------------------------------------- */

static void nonstiff_oscillator_stays_adams(void **state)
{
    run r;
    const double y0[2] = {1.0, 0.0};
    size_t k;
    (void)state;
    run_setup(&r, 2, osc_rhs);
    r.opt.rtol = 1e-8;
    r.opt.atol = 1e-10;
    run_expect_ok(&r, 0.0, 20.0, y0);
    assert_int_equal(r.res.n_steps_bdf, 0);
    assert_int_equal(r.res.n_switches, 0);
    assert_int_equal(r.res.njev, 0);
    assert_true(r.res.n_steps_adams > 50);
    for (k = 0; k < r.ms.n_points; k++) {
        ivp_assert_close(r.ms.y[2 * k], cos(r.ms.t[k]), 0.0, 1e-6);
        ivp_assert_close(r.ms.y[2 * k + 1], -sin(r.ms.t[k]), 0.0, 1e-6);
    }
    ivp_memsink_free(&r.ms);
}

static void nonstiff_lotka_volterra_stays_adams(void **state)
{
    run r;
    const double y0[2] = {10.0, 5.0};
    double v0, v1;
    (void)state;
    run_setup(&r, 2, lv_rhs);
    r.opt.rtol = 1e-8;
    r.opt.atol = 1e-10;
    run_expect_ok(&r, 0.0, 15.0, y0);
    assert_int_equal(r.res.n_steps_bdf, 0);
    assert_int_equal(r.res.n_switches, 0);
    /* the first integral d x - c ln x + b y - a ln y is conserved */
    v0 = y0[0] - 3.0 * log(y0[0]) + y0[1] - 1.5 * log(y0[1]);
    v1 = r.ms.y[2 * (r.ms.n_points - 1)] - 3.0 * log(r.ms.y[2 * (r.ms.n_points - 1)]) +
         r.ms.y[2 * (r.ms.n_points - 1) + 1] - 1.5 * log(r.ms.y[2 * (r.ms.n_points - 1) + 1]);
    ivp_assert_close(v1, v0, 1e-5, 0.0);
    ivp_memsink_free(&r.ms);
}

static void stiff_van_der_pol_switches_to_bdf(void **state)
{
    run r;
    const double y0[2] = {2.0, 0.0};
    (void)state;
    run_setup(&r, 2, vdp_rhs);
    run_expect_ok(&r, 0.0, 3000.0, y0);
    assert_true(r.res.n_switches >= 1);
    assert_true(r.res.n_steps_bdf > r.res.n_steps_adams);
    assert_true(r.res.njev > 0);
    /* scipy 1.10.1 on the same problem (tests/lsoda/crosscheck_lsoda.py): 727 steps, nfev
     * 1803, njev 130, 7 switches. ivp takes the same steps bit for bit with the same LAPACK;
     * the margins allow for another LAPACK's rounding. */
    ivp_assert_close((double)r.res.n_steps, 727.0, 0.02, 0.0);
    ivp_assert_close((double)r.res.nfev, 1803.0, 0.02, 0.0);
    ivp_assert_close((double)r.res.njev, 130.0, 0.05, 0.0);
    assert_true(r.res.n_switches >= 3); /* back to Adams and stiff again, cycle after cycle */
    ivp_memsink_free(&r.ms);

    /* with the analytic Jacobian (scipy: the same 727 steps, nfev 1543): no difference
     * quotients, 2 rhs calls fewer per Jacobian */
    run_setup(&r, 2, vdp_rhs);
    r.sys.jac = vdp_jac;
    run_expect_ok(&r, 0.0, 3000.0, y0);
    ivp_assert_close((double)r.res.n_steps, 727.0, 0.02, 0.0);
    ivp_assert_close((double)r.res.nfev, 1543.0, 0.02, 0.0);
    ivp_memsink_free(&r.ms);
}

static void stiff_robertson_switches_to_bdf(void **state)
{
    run r;
    const double y0[3] = {1.0, 0.0, 0.0};
    size_t k;
    (void)state;
    run_setup(&r, 3, rober_rhs);
    r.opt.rtol = 1e-6;
    r.opt.atol = 1e-10;
    run_expect_ok(&r, 0.0, 4e5, y0);
    assert_int_equal(r.res.n_switches, 1);
    assert_true(r.res.n_steps_bdf > 4 * r.res.n_steps_adams);
    /* mass is conserved; reference at t = 4e5: scipy Radau and BDF at rtol 1e-12 agree on
     * (4.938274521e-3, 1.984994088e-8, 0.9950617056) to 10 digits */
    k = r.ms.n_points - 1;
    ivp_assert_close(r.ms.y[3 * k] + r.ms.y[3 * k + 1] + r.ms.y[3 * k + 2], 1.0, 0.0, 1e-9);
    ivp_assert_close(r.ms.y[3 * k], 4.938274521e-3, 1e-3, 0.0);
    ivp_assert_close(r.ms.y[3 * k + 1], 1.984994088e-8, 1e-3, 0.0);
    ivp_assert_close(r.ms.y[3 * k + 2], 0.9950617056, 1e-6, 0.0);
    ivp_memsink_free(&r.ms);
}

/* ---- accuracy ------------------------------------------------------------------------------ */

static void accurate_on_exact_solutions(void **state)
{
    run r;
    const double y0e[3] = {2.0, 4.0, 8.0};
    const double y0r[2] = {1.0 / 3.0, 2.0 / 9.0};
    size_t k, i;
    (void)state;

    run_setup(&r, 3, exp_rhs);
    r.opt.rtol = 1e-9;
    r.opt.atol = 1e-12;
    run_expect_ok(&r, 0.0, 10.0, y0e);
    for (k = 0; k < r.ms.n_points; k++) {
        for (i = 0; i < 3; i++) {
            ivp_assert_close(r.ms.y[3 * k + i], y0e[i] * exp(-0.5 * r.ms.t[k]), 1e-7, 1e-10);
        }
    }
    ivp_memsink_free(&r.ms);

    /* backward in time */
    run_setup(&r, 3, exp_rhs);
    r.opt.rtol = 1e-9;
    r.opt.atol = 1e-12;
    run_expect_ok(&r, 0.0, -4.0, y0e);
    for (k = 0; k < r.ms.n_points; k++) {
        assert_true(k == 0 || r.ms.t[k] < r.ms.t[k - 1]);
        for (i = 0; i < 3; i++) {
            ivp_assert_close(r.ms.y[3 * k + i], y0e[i] * exp(-0.5 * r.ms.t[k]), 1e-7, 1e-10);
        }
    }
    ivp_memsink_free(&r.ms);

    run_setup(&r, 2, rational_rhs);
    r.opt.rtol = 1e-8;
    r.opt.atol = 1e-10;
    run_expect_ok(&r, 5.0, 9.0, y0r);
    for (k = 0; k < r.ms.n_points; k++) {
        double t = r.ms.t[k];
        ivp_assert_close(r.ms.y[2 * k], t / (t + 10.0), 1e-6, 1e-9);
        ivp_assert_close(r.ms.y[2 * k + 1], 10.0 * t / ((t + 10.0) * (t + 10.0)), 1e-6, 1e-9);
    }
    ivp_memsink_free(&r.ms);
}

static void options_first_step_and_max_step(void **state)
{
    run r;
    const double y0[2] = {1.0 / 3.0, 2.0 / 9.0};
    size_t k;
    (void)state;
    run_setup(&r, 2, rational_rhs);
    r.opt.first_step = 0.1;
    r.opt.max_step = 0.5;
    run_expect_ok(&r, 5.0, 9.0, y0);
    ivp_assert_close(r.ms.t[1] - 5.0, 0.1, 1e-14, 0.0);
    for (k = 1; k < r.ms.n_points; k++) {
        assert_true(r.ms.t[k] - r.ms.t[k - 1] <= 0.5 * (1.0 + 1e-15));
    }
    ivp_memsink_free(&r.ms);
}

/* ---- banded Jacobians ----------------------------------------------------------------------- */

static void banded_jacobian_tridiagonal(void **state)
{
    run band, dense;
    double y0[HEAT_N];
    const double lambda = heat_lambda(HEAT_N);
    unsigned long calls = 0;
    long corr_band, corr_dense;
    size_t i, k;
    (void)state;
    for (i = 0; i < HEAT_N; i++) {
        y0[i] = sin(PI * (double)(i + 1) / (double)(HEAT_N + 1));
    }
    run_setup(&band, HEAT_N, heat_rhs_counted);
    band.ctx.data = &calls;
    band.sys.lband = 1;
    band.sys.uband = 1;
    band.opt.rtol = 1e-6;
    band.opt.atol = 1e-9;
    run_expect_ok(&band, 0.0, 1.0, y0);
    assert_true(band.res.n_switches >= 1);
    assert_true(band.res.njev > 0);
    assert_int_equal(band.res.nfev, calls); /* every rhs call counts */
    for (k = 0; k < band.ms.n_points; k++) {
        double decay = exp(-lambda * band.ms.t[k]);
        for (i = 0; i < HEAT_N; i++) {
            ivp_assert_close(band.ms.y[HEAT_N * k + i], y0[i] * decay, 1e-4, 1e-8);
        }
    }

    /* The same problem with a dense difference-quotient Jacobian: in exact arithmetic the
     * same steps, with n rhs calls per Jacobian instead of ml + mu + 1 = 3. In floating point
     * the two runs store the Newton matrix in different layouts and factor it with different
     * code (ivp's own dense LU for n < 64, LAPACK dgbtrf for the band, whose kernels and FMA
     * use depend on the BLAS and the CPU), so the Newton iterates differ in their last bits,
     * and LSODA's threshold tests (corrector convergence, error test, keep h unless 1.1 x)
     * can decide differently: counts may legitimately differ by a corrector iteration or a
     * step. What must hold:
     * - the Jacobian's cost: with c = nfev - (calls per Jacobian) * njev the rhs calls
     *   outside Jacobians, c_band (at 3 per Jacobian) and c_dense (at n) count the same
     *   corrector work up to those rounding-decided iterations; a band cost of 2 or 4 would
     *   move c_band by njev (20 here), so |c_band - c_dense| < njev / 2 identifies it as 3;
     * - the same solution: the runs differ by less than the tolerance (atol + rtol |y|) that
     *   both control (by 3.8e-13 at |y| = 5e-5 on one machine, 1e-10 relative on another). */
    run_setup(&dense, HEAT_N, heat_rhs);
    dense.opt.rtol = 1e-6;
    dense.opt.atol = 1e-9;
    run_expect_ok(&dense, 0.0, 1.0, y0);
    corr_band = (long)band.res.nfev - 3L * (long)band.res.njev;
    corr_dense = (long)dense.res.nfev - (long)HEAT_N * (long)dense.res.njev;
    assert_true(2 * labs(corr_band - corr_dense) < (long)band.res.njev);
    for (i = 0; i < HEAT_N; i++) {
        size_t last = HEAT_N * (band.ms.n_points - 1);
        ivp_assert_close(band.ms.y[last + i], dense.ms.y[last + i], 1e-6, 1e-9);
    }
    ivp_memsink_free(&band.ms);
    ivp_memsink_free(&dense.ms);
}

/* A sparsity pattern (no lband/uband): ivp's sparse Jacobian with KLU, from grouped
 * difference quotients or from jac_values; no n x n matrix. */
static void sparse_jacobian_tridiagonal(void **state)
{
    run r, ref;
    double y0[HEAT_N];
    size_t rows[3 * HEAT_N], cols[3 * HEAT_N], nnz = heat_pattern(HEAT_N, rows, cols);
    const double lambda = heat_lambda(HEAT_N);
    unsigned long calls;
    size_t i, k;
    int use_values;
    (void)state;
    for (i = 0; i < HEAT_N; i++) {
        y0[i] = sin(PI * (double)(i + 1) / (double)(HEAT_N + 1));
    }
    /* reference: the dense analytic Jacobian (ODEPACK's jt 1) */
    run_setup(&ref, HEAT_N, heat_rhs);
    ref.sys.jac = heat_jac;
    ref.opt.rtol = 1e-6;
    ref.opt.atol = 1e-9;
    run_expect_ok(&ref, 0.0, 1.0, y0);
    for (use_values = 0; use_values <= 1; use_values++) {
        calls = 0;
        run_setup(&r, HEAT_N, heat_rhs_counted);
        r.ctx.data = &calls;
        r.sys.sp_rows = rows;
        r.sys.sp_cols = cols;
        r.sys.sp_nnz = nnz;
        if (use_values) {
            r.sys.jac_values = heat_jac_values;
        }
        r.opt.rtol = 1e-6;
        r.opt.atol = 1e-9;
        run_expect_ok(&r, 0.0, 1.0, y0);
        assert_true(r.res.n_switches >= 1);
        assert_true(r.res.njev > 0);
        /* every rhs call counts, difference quotients included */
        assert_int_equal(r.res.nfev, calls);
        for (k = 0; k < r.ms.n_points; k++) {
            double decay = exp(-lambda * r.ms.t[k]);
            for (i = 0; i < HEAT_N; i++) {
                ivp_assert_close(r.ms.y[HEAT_N * k + i], y0[i] * decay, 1e-4, 1e-8);
            }
        }
        if (use_values) {
            /* the same exact Jacobian as the reference, factored by KLU instead of LAPACK */
            assert_int_equal(r.res.n_steps, ref.res.n_steps);
            assert_int_equal(r.res.njev, ref.res.njev);
            ivp_assert_close((double)r.res.nfev, (double)ref.res.nfev, 0.02, 0.0);
        }
        ivp_memsink_free(&r.ms);
    }
    ivp_memsink_free(&ref.ms);
}

static void banded_jacobian_lower_band_only(void **state)
{
    run r;
    double y0[8] = {1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0};
    size_t i, k;
    (void)state;
    run_setup(&r, 8, chain_rhs);
    r.sys.lband = 1; /* uband stays -1: counts as 0, as in scipy */
    r.opt.rtol = 1e-7;
    r.opt.atol = 1e-10;
    run_expect_ok(&r, 0.0, 0.5, y0);
    assert_true(r.res.n_steps_bdf > 0);
    for (k = 0; k < r.ms.n_points; k++) {
        double x = 1000.0 * r.ms.t[k], term = exp(-x);
        for (i = 0; i < 8; i++) {
            ivp_assert_close(r.ms.y[8 * k + i], term, 0.0, 2e-5);
            term *= x / (double)(i + 1);
        }
    }
    ivp_memsink_free(&r.ms);
}

/* ---- dense output --------------------------------------------------------------------------- */

static void check_dense_output(run *r, double tol_mid, void (*exact)(double, double *))
{
    const size_t n = r->sys.n;
    double yv[8], ye[8];
    size_t k, i;
    assert_int_equal(r->ms.n_seg, r->res.n_steps);
    for (k = 0; k < r->ms.n_seg; k++) {
        const double t_lo = r->ms.seg_t[2 * k], t_hi = r->ms.seg_t[2 * k + 1];
        double scale = 0.0;
        assert_true(t_lo == r->ms.t[k]);
        assert_true(t_hi == r->ms.t[k + 1]);
        for (i = 0; i < n; i++) {
            scale = fmax(scale, fabs(r->ms.y[n * (k + 1) + i]));
        }
        /* the step end is reproduced (scipy >= 1.12's correction) ... */
        seg_eval(&r->ms, k, t_hi, yv);
        for (i = 0; i < n; i++) {
            ivp_assert_close(yv[i], r->ms.y[n * (k + 1) + i], 0.0, 1e-13 * fmax(scale, 1.0));
        }
        /* ... and the start exactly (the segments join) */
        seg_eval(&r->ms, k, t_lo, yv);
        for (i = 0; i < n; i++) {
            ivp_assert_close(yv[i], r->ms.y[n * k + i], 0.0, 0.0);
        }
        /* in between, as accurate as the steps */
        if (exact != NULL) {
            int q;
            for (q = 1; q < 4; q++) {
                double tm = t_lo + (t_hi - t_lo) * (double)q / 4.0;
                seg_eval(&r->ms, k, tm, yv);
                exact(tm, ye);
                for (i = 0; i < n; i++) {
                    ivp_assert_close(yv[i], ye[i], 0.0, tol_mid);
                }
            }
        }
    }
}

static void osc_exact(double t, double *y)
{
    y[0] = cos(t);
    y[1] = -sin(t);
}

static void dense_output_matches_steps(void **state)
{
    run r;
    const double y0o[2] = {1.0, 0.0}, y0v[2] = {2.0, 0.0};
    (void)state;
    run_setup(&r, 2, osc_rhs);
    r.opt.rtol = 1e-10;
    r.opt.atol = 1e-12;
    r.opt.dense_output = 1;
    run_expect_ok(&r, 0.0, 12.0, y0o);
    check_dense_output(&r, 1e-8, osc_exact);
    ivp_memsink_free(&r.ms);

    /* stiff, with order changes and method switches in both directions */
    run_setup(&r, 2, vdp_rhs);
    r.opt.dense_output = 1;
    run_expect_ok(&r, 0.0, 3000.0, y0v);
    assert_true(r.res.n_switches >= 2);
    check_dense_output(&r, 0.0, NULL);
    ivp_memsink_free(&r.ms);
}

/* ---- events and t_eval ----------------------------------------------------------------------- */

static void events_and_t_eval(void **state)
{
    run r;
    const double y0[2] = {1.0, 0.0};
    double t_eval[7] = {0.0, 0.5, 1.7, 3.0, 4.25, 6.0, 10.0};
    ivp_event_opts ev = {0, 0};
    size_t k;
    (void)state;
    run_setup(&r, 2, osc_rhs);
    r.sys.events = osc_events;
    r.sys.n_events = 1;
    r.opt.events = &ev;
    r.opt.rtol = 1e-9;
    r.opt.atol = 1e-12;
    r.opt.t_eval = t_eval;
    r.opt.n_t_eval = 7;
    run_expect_ok(&r, 0.0, 10.0, y0);
    assert_int_equal(r.ms.n_points, 7);
    for (k = 0; k < 7; k++) {
        assert_true(r.ms.t[k] == t_eval[k]);
        ivp_assert_close(r.ms.y[2 * k], cos(t_eval[k]), 0.0, 1e-7);
        ivp_assert_close(r.ms.y[2 * k + 1], -sin(t_eval[k]), 0.0, 1e-7);
    }
    /* zeros of cos t in (0, 10): pi/2, 3pi/2, 5pi/2 */
    assert_int_equal(r.ms.n_ev, 3);
    for (k = 0; k < 3; k++) {
        ivp_assert_close(r.ms.ev_t[k], PI / 2.0 + (double)k * PI, 1e-8, 0.0);
        ivp_assert_close(r.ms.ev_y[2 * k], 0.0, 0.0, 1e-8);
    }
    ivp_memsink_free(&r.ms);

    /* terminal at the second zero */
    run_setup(&r, 2, osc_rhs);
    r.sys.events = osc_events;
    r.sys.n_events = 1;
    ev.terminal = 2;
    r.opt.events = &ev;
    r.opt.rtol = 1e-9;
    r.opt.atol = 1e-12;
    run_solve(&r, 0.0, 10.0, y0);
    assert_int_equal(r.status, IVP_TERMINATED);
    assert_int_equal(r.res.status, 1);
    ivp_assert_close(r.res.t, 1.5 * PI, 1e-8, 0.0);
    ivp_assert_close(r.ms.t[r.ms.n_points - 1], 1.5 * PI, 1e-8, 0.0);
    ivp_memsink_free(&r.ms);
}

/* ---- failures ------------------------------------------------------------------------------ */

static void fails_with_messages(void **state)
{
    run r;
    const double y1[1] = {1.0}, y2[2] = {2.0, 0.0};
    (void)state;

    /* a singularity: the error test cannot be met */
    run_setup(&r, 1, blowup_rhs);
    run_solve(&r, 0.0, 2.0, y1);
    assert_true(r.status < 0);
    assert_int_equal(r.res.status, -1);
    assert_true(r.res.t < 1.0 && r.res.t > 0.99);
    expect_message(&r.err, "LSODA: ");
    expect_message(&r.err, "at t = 0.99");
    ivp_memsink_free(&r.ms);

    /* min_step larger than the stiff problem allows */
    run_setup(&r, 2, vdp_rhs);
    r.opt.min_step = 0.01;
    run_solve(&r, 0.0, 3000.0, y2);
    assert_int_equal(r.status, IVP_ERR_STEP);
    expect_message(&r.err, "below min_step");
    expect_message(&r.err, "at t = ");
    ivp_memsink_free(&r.ms);

    /* a Jacobian that cannot be factored */
    run_setup(&r, 2, vdp_rhs);
    r.sys.jac = nan_jac;
    run_solve(&r, 0.0, 3000.0, y2);
    assert_int_equal(r.status, IVP_ERR_LINALG);
    expect_message(&r.err, "corrector convergence failed repeatedly at t = ");
    expect_message(&r.err, "iteration matrix");
    assert_true(r.res.n_steps > 0);
    ivp_memsink_free(&r.ms);
}

static void recoverable_rhs_failures(void **state)
{
    run r;
    flaky fl = {4, 0};
    const double y0[1] = {1.0};
    (void)state;

    /* a few refusals: h is cut and the solve goes on, as accurate as ever */
    run_setup(&r, 1, flaky_rhs);
    r.ctx.data = &fl;
    r.opt.rtol = 1e-8;
    r.opt.atol = 1e-12;
    run_expect_ok(&r, 0.0, 3.0, y0);
    assert_int_equal(fl.refused, 4);
    assert_true(r.res.n_rejected >= 4);
    ivp_assert_close(r.ms.y[r.ms.n_points - 1], exp(-3.0), 1e-6, 0.0);
    ivp_memsink_free(&r.ms);

    /* refusing for good: the solve creeps up to t = 1 and stops with a message naming t and
     * the code */
    run_setup(&r, 1, refuse_after_rhs);
    run_solve(&r, 0.0, 3.0, y0);
    assert_int_equal(r.status, IVP_ERR_RHS);
    expect_message(&r.err, "rhs returned 3 (recoverable) at t = 1.");
    assert_true(r.res.t <= 1.0 && r.res.t > 0.999);
    ivp_memsink_free(&r.ms);

    /* fatal */
    run_setup(&r, 1, fatal_after_rhs);
    run_solve(&r, 0.0, 3.0, y0);
    assert_int_equal(r.status, IVP_ERR_RHS);
    expect_message(&r.err, "rhs returned -7 (fatal) at t = 1.");
    ivp_memsink_free(&r.ms);
}

/* ---- allocation ---------------------------------------------------------------------------- */

/* Allocations made by one solve (no sink), which must all be freed. */
static long count_allocations(ivp_rhs_fn *rhs, size_t n, long lband, long uband,
                              const size_t *sp_rows, const size_t *sp_cols, size_t sp_nnz,
                              const double *y0, double t1, unsigned long *steps)
{
    ivp_test_alloc ta;
    ivp_ctx ctx;
    ivp_system sys;
    ivp_options opt;
    ivp_result res;
    ivp_error err;
    memset(&ctx, 0, sizeof ctx);
    memset(&sys, 0, sizeof sys);
    ctx.n = n;
    sys.n = n;
    sys.rhs = rhs;
    sys.lband = lband;
    sys.uband = uband;
    sys.sp_rows = sp_rows;
    sys.sp_cols = sp_cols;
    sys.sp_nnz = sp_nnz;
    sys.ctx = &ctx;
    ivp_options_init(&opt);
    opt.method = "LSODA";
    ivp_test_alloc_init(&ta, -1);
    opt.alloc = &ta.a;
    if (ivp_solve(&sys, 0.0, t1, y0, &opt, NULL, &res, &err) != IVP_OK) {
        fail_msg("LSODA failed: %s", err.msg);
    }
    assert_int_equal(ta.n_live, 0);
    *steps = res.n_steps;
    return ta.n_alloc;
}

static void no_allocation_per_step(void **state)
{
    const double yo[2] = {1.0, 0.0}, yv[2] = {2.0, 0.0};
    double yh[HEAT_N];
    size_t rows[3 * HEAT_N], cols[3 * HEAT_N], nnz = heat_pattern(HEAT_N, rows, cols);
    unsigned long s_short, s_long;
    long a_short, a_long;
    size_t i;
    (void)state;
    for (i = 0; i < HEAT_N; i++) {
        yh[i] = sin(PI * (double)(i + 1) / (double)(HEAT_N + 1));
    }
    a_short = count_allocations(osc_rhs, 2, -1, -1, NULL, NULL, 0, yo, 10.0, &s_short);
    a_long = count_allocations(osc_rhs, 2, -1, -1, NULL, NULL, 0, yo, 100.0, &s_long);
    assert_true(s_long > 5 * s_short);
    assert_int_equal(a_long, a_short);

    a_short = count_allocations(vdp_rhs, 2, -1, -1, NULL, NULL, 0, yv, 300.0, &s_short);
    a_long = count_allocations(vdp_rhs, 2, -1, -1, NULL, NULL, 0, yv, 3000.0, &s_long);
    assert_true(s_long > 5 * s_short);
    assert_int_equal(a_long, a_short);

    a_short = count_allocations(heat_rhs, HEAT_N, 1, 1, NULL, NULL, 0, yh, 0.1, &s_short);
    a_long = count_allocations(heat_rhs, HEAT_N, 1, 1, NULL, NULL, 0, yh, 1.0, &s_long);
    assert_true(s_long > s_short);
    assert_int_equal(a_long, a_short);

    /* sparse: KLU's numeric objects are made at the first factorisation (in both runs) and
     * refactored in place after it */
    a_short = count_allocations(heat_rhs, HEAT_N, -1, -1, rows, cols, nnz, yh, 0.1, &s_short);
    a_long = count_allocations(heat_rhs, HEAT_N, -1, -1, rows, cols, nnz, yh, 1.0, &s_long);
    assert_true(s_long > s_short);
    assert_int_equal(a_long, a_short);
}

static void allocation_failures_are_reported(void **state)
{
    const double yv[2] = {2.0, 0.0};
    long k;
    int done = 0;
    (void)state;
    for (k = 0; k < 200 && !done; k++) {
        ivp_test_alloc ta;
        ivp_ctx ctx;
        ivp_system sys;
        ivp_options opt;
        ivp_result res;
        ivp_error err;
        ivp_status st;
        memset(&ctx, 0, sizeof ctx);
        memset(&sys, 0, sizeof sys);
        ctx.n = 2;
        sys.n = 2;
        sys.rhs = vdp_rhs;
        sys.jac = vdp_jac;
        sys.lband = sys.uband = -1;
        sys.ctx = &ctx;
        ivp_options_init(&opt);
        opt.method = "LSODA";
        ivp_test_alloc_init(&ta, k);
        opt.alloc = &ta.a;
        st = ivp_solve(&sys, 0.0, 10.0, yv, &opt, NULL, &res, &err);
        if (st == IVP_OK) {
            done = 1;
        } else {
            assert_int_equal(st, IVP_ERR_NOMEM);
            assert_true(err.msg[0] != '\0');
        }
        assert_int_equal(ta.n_live, 0);
    }
    assert_true(done);
    assert_true(k > 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(nonstiff_oscillator_stays_adams),
        cmocka_unit_test(nonstiff_lotka_volterra_stays_adams),
        cmocka_unit_test(stiff_van_der_pol_switches_to_bdf),
        cmocka_unit_test(stiff_robertson_switches_to_bdf),
        cmocka_unit_test(accurate_on_exact_solutions),
        cmocka_unit_test(options_first_step_and_max_step),
        cmocka_unit_test(banded_jacobian_tridiagonal),
        cmocka_unit_test(banded_jacobian_lower_band_only),
        cmocka_unit_test(sparse_jacobian_tridiagonal),
        cmocka_unit_test(dense_output_matches_steps),
        cmocka_unit_test(events_and_t_eval),
        cmocka_unit_test(fails_with_messages),
        cmocka_unit_test(recoverable_rhs_failures),
        cmocka_unit_test(no_allocation_per_step),
        cmocka_unit_test(allocation_failures_are_reported),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
