/* SPDX-License-Identifier: MIT
 * core/src/methods/rk.c - explicit Runge-Kutta methods with scipy 1.10's step-size control:
 * RK23 (Bogacki-Shampine) and RK45 (Dormand-Prince), and the engine DOP853 shares.
 *
 * References: P. Bogacki, L. F. Shampine, "A 3(2) pair of Runge-Kutta formulas", Appl. Math.
 * Lett. 2 (1989); J. R. Dormand, P. J. Prince, "A family of embedded Runge-Kutta formulae",
 * J. Comput. Appl. Math. 6 (1980); L. F. Shampine, "Some practical Runge-Kutta formulas",
 * Math. Comp. 46 (1986) (RK45's interpolant); scipy 1.10.1 rk.py (step control, semantics).
 */
#include "methods/rk_impl.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#define RK_SAFETY 0.9
#define RK_MIN_FACTOR 0.2
#define RK_MAX_FACTOR 10.0

/* ---- RK23: Bogacki-Shampine 3(2), FSAL ---- */
/* The tableaus keep their rows as printed in the literature. */
/* clang-format off */
static const double rk23_c[4] = {0.0, 1.0 / 2.0, 3.0 / 4.0, 1.0};
static const double rk23_a[6] = {
    1.0 / 2.0,                    /* a1 */
    0.0, 3.0 / 4.0,               /* a2 */
    2.0 / 9.0, 1.0 / 3.0, 4.0 / 9.0, /* row 3 = b: the FSAL stage is f_new */
};
static const double rk23_b[3] = {2.0 / 9.0, 1.0 / 3.0, 4.0 / 9.0};
static const double rk23_e[4] = {5.0 / 72.0, -1.0 / 12.0, -1.0 / 9.0, 1.0 / 8.0};
static const double rk23_p[4 * 3] = {
    1.0, -4.0 / 3.0, 5.0 / 9.0,  /* */
    0.0, 1.0, -2.0 / 3.0,        /* */
    0.0, 4.0 / 3.0, -8.0 / 9.0,  /* */
    0.0, -1.0, 1.0,
};

/* ---- RK45: Dormand-Prince 5(4), FSAL, Shampine's quartic interpolant ---- */
static const double rk45_c[7] = {0.0, 1.0 / 5.0, 3.0 / 10.0, 4.0 / 5.0, 8.0 / 9.0, 1.0, 1.0};
static const double rk45_a[21] = {
    1.0 / 5.0,
    3.0 / 40.0, 9.0 / 40.0,
    44.0 / 45.0, -56.0 / 15.0, 32.0 / 9.0,
    19372.0 / 6561.0, -25360.0 / 2187.0, 64448.0 / 6561.0, -212.0 / 729.0,
    9017.0 / 3168.0, -355.0 / 33.0, 46732.0 / 5247.0, 49.0 / 176.0, -5103.0 / 18656.0,
    35.0 / 384.0, 0.0, 500.0 / 1113.0, 125.0 / 192.0, -2187.0 / 6784.0, 11.0 / 84.0,
};
static const double rk45_b[6] = {35.0 / 384.0,     0.0,          500.0 / 1113.0,
                                 125.0 / 192.0,    -2187.0 / 6784.0, 11.0 / 84.0};
static const double rk45_e[7] = {-71.0 / 57600.0, 0.0,           71.0 / 16695.0, -71.0 / 1920.0,
                                 17253.0 / 339200.0, -22.0 / 525.0, 1.0 / 40.0};
static const double rk45_p[7 * 4] = {
    1.0, -8048581381.0 / 2820520608.0, 8663915743.0 / 2820520608.0,
    -12715105075.0 / 11282082432.0,
    0.0, 0.0, 0.0, 0.0,
    0.0, 131558114200.0 / 32700410799.0, -68118460800.0 / 10900136933.0,
    87487479700.0 / 32700410799.0,
    0.0, -1754552775.0 / 470086768.0, 14199869525.0 / 1410260304.0,
    -10690763975.0 / 1880347072.0,
    0.0, 127303824393.0 / 49829197408.0, -318862633887.0 / 49829197408.0,
    701980252875.0 / 199316789632.0,
    0.0, -282668133.0 / 205662961.0, 2019193451.0 / 616988883.0, -1453857185.0 / 822651844.0,
    0.0, 40617522.0 / 29380423.0, -110615467.0 / 29380423.0, 69997945.0 / 29380423.0,
};
/* clang-format on */

/* ---- fused kernels: one pass per stage over the non-zero coefficients, in the order
 * ivp_rk_combine sums them (the first term always, then the others in index order), so every
 * value is the same double as the generic form gives ---- */

static int rk23_stages(ivp_stepper *s, rk_state *st, double t, double h, ivp_error *err)
{
    const size_t n = s->n;
    const double *restrict y = s->y;
    double *restrict w = st->work;
    double *restrict yn = st->y_new;
    double *restrict k0 = st->krow[0], *restrict k1 = st->krow[1], *restrict k2 = st->krow[2];
    double *restrict k3 = st->krow[3];
    size_t i;
    uint64_t bad = 0;
    int rc;

    for (i = 0; i < n; i++) {
        w[i] = y[i] + (rk23_a[0] * k0[i]) * h;
    }
    rc = ivp_rk_rhs(s, t + rk23_c[1] * h, w, k1, err);
    if (rc != 0) {
        return rc;
    }
    for (i = 0; i < n; i++) {
        RK_CHECK(bad, k1[i]);
        w[i] = y[i] + (rk23_a[1] * k0[i] + rk23_a[2] * k1[i]) * h;
    }
    if (RK_BAD(bad)) {
        return ivp_rk_nonfinite(s, k1, t + rk23_c[1] * h);
    }
    rc = ivp_rk_rhs(s, t + rk23_c[2] * h, w, k2, err);
    if (rc != 0) {
        return rc;
    }
    for (i = 0; i < n; i++) {
        RK_CHECK(bad, k2[i]);
        yn[i] = y[i] + h * (rk23_b[0] * k0[i] + rk23_b[1] * k1[i] + rk23_b[2] * k2[i]);
    }
    if (RK_BAD(bad)) {
        return ivp_rk_nonfinite(s, k2, t + rk23_c[2] * h);
    }
    rc = ivp_rk_rhs(s, t + h, yn, k3, err);
    if (rc != 0) {
        return rc;
    }
    return 0;
}

static inline double rk23_error_norm_pass(const ivp_stepper *s, const rk_state *st, double h,
                                          int *bad_out, int uniform)
{
    const size_t n = s->n;
    const double *restrict y = s->y;
    const double *restrict yn = st->y_new;
    const double *restrict atol = s->atol;
    const double atol0 = atol[0];
    const double rtol = s->rtol;
    const double *restrict k0 = st->krow[0], *restrict k1 = st->krow[1], *restrict k2 = st->krow[2];
    const double *restrict k3 = st->krow[3];
    double acc = 0.0;
    size_t i;
    uint64_t bad = 0;

    for (i = 0; i < n; i++) {
        double sc = (uniform ? atol0 : atol[i]) + rk_fmax_abs(fabs(y[i]), fabs(yn[i])) * rtol;
        double e = rk23_e[0] * k0[i] + rk23_e[1] * k1[i] + rk23_e[2] * k2[i] + rk23_e[3] * k3[i];
        double q = e * h / sc;
        RK_CHECK(bad, k3[i]);
        acc += q * q;
    }
    *bad_out = RK_BAD(bad);
    return sqrt(acc / (double)n);
}

static double rk23_error_norm(const ivp_stepper *s, const rk_state *st, double h, int *bad_out)
{
    if (st->atol_uniform) {
        return rk23_error_norm_pass(s, st, h, bad_out, 1);
    }
    return rk23_error_norm_pass(s, st, h, bad_out, 0);
}

static int rk45_stages(ivp_stepper *s, rk_state *st, double t, double h, ivp_error *err)
{
    const size_t n = s->n;
    const double *restrict y = s->y;
    double *restrict w = st->work;
    double *restrict yn = st->y_new;
    double *restrict k0 = st->krow[0], *restrict k1 = st->krow[1], *restrict k2 = st->krow[2];
    double *restrict k3 = st->krow[3];
    double *restrict k4 = st->krow[4], *restrict k5 = st->krow[5], *restrict k6 = st->krow[6];
    size_t i;
    uint64_t bad = 0;
    int rc;

    for (i = 0; i < n; i++) {
        w[i] = y[i] + (rk45_a[0] * k0[i]) * h;
    }
    rc = ivp_rk_rhs(s, t + rk45_c[1] * h, w, k1, err);
    if (rc != 0) {
        return rc;
    }
    for (i = 0; i < n; i++) {
        RK_CHECK(bad, k1[i]);
        w[i] = y[i] + (rk45_a[1] * k0[i] + rk45_a[2] * k1[i]) * h;
    }
    if (RK_BAD(bad)) {
        return ivp_rk_nonfinite(s, k1, t + rk45_c[1] * h);
    }
    rc = ivp_rk_rhs(s, t + rk45_c[2] * h, w, k2, err);
    if (rc != 0) {
        return rc;
    }
    for (i = 0; i < n; i++) {
        RK_CHECK(bad, k2[i]);
        w[i] = y[i] + (rk45_a[3] * k0[i] + rk45_a[4] * k1[i] + rk45_a[5] * k2[i]) * h;
    }
    if (RK_BAD(bad)) {
        return ivp_rk_nonfinite(s, k2, t + rk45_c[2] * h);
    }
    rc = ivp_rk_rhs(s, t + rk45_c[3] * h, w, k3, err);
    if (rc != 0) {
        return rc;
    }
    for (i = 0; i < n; i++) {
        RK_CHECK(bad, k3[i]);
        w[i] = y[i] +
               (rk45_a[6] * k0[i] + rk45_a[7] * k1[i] + rk45_a[8] * k2[i] + rk45_a[9] * k3[i]) * h;
    }
    if (RK_BAD(bad)) {
        return ivp_rk_nonfinite(s, k3, t + rk45_c[3] * h);
    }
    rc = ivp_rk_rhs(s, t + rk45_c[4] * h, w, k4, err);
    if (rc != 0) {
        return rc;
    }
    for (i = 0; i < n; i++) {
        RK_CHECK(bad, k4[i]);
        w[i] = y[i] + (rk45_a[10] * k0[i] + rk45_a[11] * k1[i] + rk45_a[12] * k2[i] +
                       rk45_a[13] * k3[i] + rk45_a[14] * k4[i]) *
                          h;
    }
    if (RK_BAD(bad)) {
        return ivp_rk_nonfinite(s, k4, t + rk45_c[4] * h);
    }
    rc = ivp_rk_rhs(s, t + rk45_c[5] * h, w, k5, err);
    if (rc != 0) {
        return rc;
    }
    for (i = 0; i < n; i++) {
        RK_CHECK(bad, k5[i]);
        yn[i] = y[i] + h * (rk45_b[0] * k0[i] + rk45_b[2] * k2[i] + rk45_b[3] * k3[i] +
                            rk45_b[4] * k4[i] + rk45_b[5] * k5[i]);
    }
    if (RK_BAD(bad)) {
        return ivp_rk_nonfinite(s, k5, t + rk45_c[5] * h);
    }
    rc = ivp_rk_rhs(s, t + h, yn, k6, err);
    if (rc != 0) {
        return rc;
    }
    return 0;
}

static inline double rk45_error_norm_pass(const ivp_stepper *s, const rk_state *st, double h,
                                          int *bad_out, int uniform)
{
    const size_t n = s->n;
    const double *restrict y = s->y;
    const double *restrict yn = st->y_new;
    const double *restrict atol = s->atol;
    const double atol0 = atol[0];
    const double rtol = s->rtol;
    const double *restrict k0 = st->krow[0], *restrict k2 = st->krow[2], *restrict k3 = st->krow[3];
    const double *restrict k4 = st->krow[4], *restrict k5 = st->krow[5], *restrict k6 = st->krow[6];
    double acc = 0.0;
    size_t i;
    uint64_t bad = 0;

    for (i = 0; i < n; i++) {
        double sc = (uniform ? atol0 : atol[i]) + rk_fmax_abs(fabs(y[i]), fabs(yn[i])) * rtol;
        double e = rk45_e[0] * k0[i] + rk45_e[2] * k2[i] + rk45_e[3] * k3[i] + rk45_e[4] * k4[i] +
                   rk45_e[5] * k5[i] + rk45_e[6] * k6[i];
        double q = e * h / sc;
        RK_CHECK(bad, k6[i]);
        acc += q * q;
    }
    *bad_out = RK_BAD(bad);
    return sqrt(acc / (double)n);
}

static double rk45_error_norm(const ivp_stepper *s, const rk_state *st, double h, int *bad_out)
{
    if (st->atol_uniform) {
        return rk45_error_norm_pass(s, st, h, bad_out, 1);
    }
    return rk45_error_norm_pass(s, st, h, bad_out, 0);
}

/* Stiffness estimates. Hairer's test compares two stages at the same node c = 1, where the
 * smooth part of the solution cancels: |h| ||f(t+h, a) - f(t+h, b)|| / ||a - b|| ~ |h lambda|
 * along the difference a - b, which the stability-limited steps fill with the stiff modes.
 * RK45's stage 5 and f_new are both at c = 1 (arguments work and y_new). */
static double rk45_stiff_hlambda(const ivp_stepper *s, const rk_state *st, double h)
{
    const size_t n = s->n;
    const double *restrict w = st->work;
    const double *restrict yn = st->y_new;
    const double *restrict k5 = st->krow[5], *restrict k6 = st->krow[6];
    double num = 0.0, den = 0.0;
    size_t i;
    for (i = 0; i < n; i++) {
        double df = k6[i] - k5[i], dy = yn[i] - w[i];
        num += df * df;
        den += dy * dy;
    }
    return den > 0.0 ? fabs(h) * sqrt(num / den) : 0.0;
}

/* RK23 has a single stage at c = 1 (f_new), so the estimate takes the second difference of the
 * last three stages, at c = 1/2, 3/4, 1 (weights 1, -2, 1: they sum to zero and so do their
 * products with c, so y and h y' cancel as in Hairer's difference):
 *   num = K_1 - 2 K_2 + K_3 ~ J (w_1 - 2 w_2 + y_new),
 *   w_1 - 2 w_2 + y_new = h (13/18 K_0 - 7/6 K_1 + 4/9 K_2)   (w_1 = y + h K_0 / 2,
 *   w_2 = y + 3 h K_1 / 4, y_new = y + h (2/9 K_0 + 1/3 K_1 + 4/9 K_2)),
 * so |h| ||num|| / ||w_1 - 2 w_2 + y_new|| = ||num|| / ||13/18 K_0 - 7/6 K_1 + 4/9 K_2||. It is
 * exact (|h lambda|) for y' = lambda y, and the stiff modes enter the difference with the
 * factor z^3/6 - z^2/4 (z = h lambda; -4.2 at the boundary). */
static double rk23_stiff_hlambda(const ivp_stepper *s, const rk_state *st, double h)
{
    const size_t n = s->n;
    const double *restrict k0 = st->krow[0], *restrict k1 = st->krow[1];
    const double *restrict k2 = st->krow[2], *restrict k3 = st->krow[3];
    double num = 0.0, den = 0.0;
    size_t i;
    (void)h;
    for (i = 0; i < n; i++) {
        double df = k1[i] - 2.0 * k2[i] + k3[i];
        double dy = 13.0 / 18.0 * k0[i] - 7.0 / 6.0 * k1[i] + 4.0 / 9.0 * k2[i];
        num += df * df;
        den += dy * dy;
    }
    return den > 0.0 ? sqrt(num / den) : 0.0;
}

/* Real stability boundaries: RK45 (Dormand-Prince) 3.31, RK23 (Bogacki-Shampine, R(z) = 1 + z
 * + z^2/2 + z^3/6) 2.51. The tests fire a little below, where stability-limited steps settle
 * (measured: on average at the boundary, RK23's on Van der Pol mu = 1000 at 2.513): Hairer's
 * 3.25 for DOPRI5, and 2.4 for RK23 (0.955 of its boundary, as Hairer's 6.1 is of DOP853's
 * 6.39). Non-stiff problems stay far below (RK45 at most 0.6 on Van der Pol mu = 1, Lorenz and
 * Kepler at rtol 1e-6 and tighter). */
static const rk_tableau rk23_tab = {
    .n_stages = 3,
    .n_rows = 4,
    .error_order = 2,
    .c = rk23_c,
    .a = rk23_a,
    .b = rk23_b,
    .e = rk23_e,
    .stages = rk23_stages,
    .error_norm = rk23_error_norm,
    .stiff_hlambda = rk23_stiff_hlambda,
    .stiff_boundary = 2.4,
};
static const rk_tableau rk45_tab = {
    .n_stages = 6,
    .n_rows = 7,
    .error_order = 4,
    .c = rk45_c,
    .a = rk45_a,
    .b = rk45_b,
    .e = rk45_e,
    .stages = rk45_stages,
    .error_norm = rk45_error_norm,
    .stiff_hlambda = rk45_stiff_hlambda,
    .stiff_boundary = 3.25,
};

void ivp_rk_combine(size_t n, unsigned m, const double *w, double *const *k, double *out)
{
    size_t i;
    unsigned j;
    for (i = 0; i < n; i++) {
        out[i] = w[0] * k[0][i];
    }
    for (j = 1; j < m; j++) {
        const double wj = w[j];
        const double *kj = k[j];
        if (wj == 0.0) {
            continue;
        }
        for (i = 0; i < n; i++) {
            out[i] += wj * kj[i];
        }
    }
}

/* Bytes of the state's block before work: the struct, rounded up to a cache line. */
#define RK_STATE_HEAD ((sizeof(rk_state) + 63) / 64 * 64)

ivp_status ivp_rk_alloc(ivp_stepper *s, const rk_tableau *tab, ivp_error *err)
{
    size_t n = s->n;
    rk_state *st;
    if (n > (SIZE_MAX - RK_STATE_HEAD) / sizeof(double)) {
        goto fail;
    }
    st = ivp_alloc(s->alloc, RK_STATE_HEAD + n * sizeof(double));
    if (st == NULL) {
        goto fail;
    }
    memset(st, 0, sizeof *st);
    s->state = st;
    st->tab = tab;
    st->work = (double *)(void *)((char *)st + RK_STATE_HEAD);
    /* Not zeroed: every value of k, y_new and work is written before it is read. init writes
     * K_0 (and work, y_new when choosing the first step); each step attempt writes work, y_new
     * and K_1..K_S before the error norm reads them; the interpolant and the stiffness test run
     * only after an accepted step, and DOP853's dense stages K_13..K_15 are written by its
     * dense output before use. Nor does ivp_rk_reset zero them (DOP853: 18 n doubles per
     * reset that a scan of short solves of a large system paid for nothing).
     * work shares the state's block; k has its own: one block of k and work (DOP853,
     * n = 1024: 136 KiB) crossed glibc's mmap/trim thresholds, and a scan of short solves
     * paid 5 page faults per solve (measured) where these sizes pay none. */
    if (n > SIZE_MAX / sizeof(double) / tab->n_rows) {
        goto fail;
    }
    st->k = ivp_alloc(s->alloc, (size_t)tab->n_rows * n * sizeof *st->k);
    st->y_new = ivp_alloc(s->alloc, n * sizeof *st->y_new);
    if (st->k == NULL || st->y_new == NULL) {
        goto fail;
    }
    return IVP_OK;
fail:
    return ivp_error_set(err, IVP_ERR_NOMEM, "out of memory allocating %s workspace (n = %zu)",
                         s->info->name, n);
}

void ivp_rk_free(ivp_stepper *s)
{
    rk_state *st = s->state;
    if (st == NULL) {
        return;
    }
    ivp_free(s->alloc, st->k);
    ivp_free(s->alloc, st->y_new);
    ivp_free(s->alloc, st); /* and work */
    s->state = NULL;
}

void ivp_rk_reset(ivp_stepper *s)
{
    rk_state *st = s->state;
    st->h_previous = 0.0;
    st->fsal_pending = 0;
    st->n_accepted = 0;
    st->stiff_hits = 0;
    st->stiff_misses = 0;
    st->stiff_window = 0;
}

ivp_status ivp_rk_init(ivp_stepper *s, ivp_error *err)
{
    rk_state *st = s->state;
    unsigned j;
    size_t i;
    int rc;
    for (j = 0; j < st->tab->n_rows; j++) {
        st->krow[j] = st->k + (size_t)j * s->n;
    }
    /* A scalar atol (the usual case) is expanded to n equal values: the error norms then
     * read atol[0] instead of the vector (the same values, so the same results) */
    st->atol_uniform = 1;
    for (i = 1; i < s->n; i++) {
        if (s->atol[i] != s->atol[0]) {
            st->atol_uniform = 0;
            break;
        }
    }
    st->fsal_pending = 0;
    st->n_accepted = 0;
    st->stiff_hits = 0;
    st->stiff_misses = 0;
    st->stiff_window = 0;
    rc = ivp_rhs_eval(s, s->t, s->y, st->krow[0], err);
    if (rc != 0) {
        if (rc > 0) {
            return ivp_recover_fail(s, "at the initial point", err);
        }
        return (ivp_status)rc;
    }
    if (s->first_step > 0.0) {
        s->h_abs = s->first_step;
    } else {
        ivp_status rc2 = ivp_select_initial_step(s, st->krow[0], (double)st->tab->error_order,
                                                 st->work, st->y_new, &s->h_abs, err);
        if (rc2 != IVP_OK) {
            return rc2;
        }
    }
    st->h_previous = 0.0;
    return IVP_OK;
}

int ivp_rk_rhs_fail(ivp_stepper *s, int rc, double t, ivp_error *err)
{
    if (rc < 0) {
        return ivp_error_set(err, IVP_ERR_RHS, "rhs returned %d (fatal) at t = %.17g", rc, t);
    }
    s->last_rhs_code = rc;
    s->last_fail_t = t;
    s->last_fail_what = "rhs";
    return 1;
}

int ivp_rk_nonfinite(ivp_stepper *s, const double *f, double t)
{
    size_t i;
    for (i = 0; i < s->n; i++) {
        if (!isfinite(f[i])) {
            break;
        }
    }
    s->last_rhs_code = 0;
    s->last_nonfinite = i < s->n ? i : 0;
    s->last_fail_t = t;
    s->last_fail_what = "rhs";
    return 1;
}

/* Hairer's stiffness test on the accepted step from t with size h (before y_new becomes y).
 * Hairer tests every NSTIFF-th accepted step, and every step while positive tests are pending;
 * here every RK_STIFF_EVERY-th step opens a window of tests that stays open while positive
 * tests are pending and closes after RK_STIFF_MISSES negative ones in a row (which also
 * cancel the positive ones). Unlike Hairer's single test, the window sees through the short
 * cycles of scipy's step-size controller in the stability-limited regime: on Van der Pol
 * (mu = 1000) RK45's steps cycle with period 4 through |h lambda| = 3.07, 3.07, 3.43, 3.69, and
 * every 1000th step fell on a low one. Sets s->stiff_detected once and stops testing. */
static void rk_stiffness_test(ivp_stepper *s, rk_state *st, double t, double h)
{
    const rk_tableau *tab = st->tab;
    st->n_accepted++;
    if (s->stiff_detected || tab->stiff_hlambda == NULL) {
        return;
    }
    if (st->n_accepted % RK_STIFF_EVERY == 0 && !st->stiff_window) {
        st->stiff_window = 1;
        st->stiff_misses = 0;
    }
    if (!st->stiff_window) {
        return;
    }
    if (tab->stiff_hlambda(s, st, h) > tab->stiff_boundary) {
        st->stiff_misses = 0;
        if (++st->stiff_hits >= RK_STIFF_HITS) {
            s->stiff_detected = 1;
            s->stiff_t = t;
        }
    } else if (++st->stiff_misses >= RK_STIFF_MISSES) {
        st->stiff_hits = 0;
        st->stiff_window = 0;
    }
}

ivp_status ivp_rk_step(ivp_stepper *s, ivp_error *err)
{
    rk_state *st = s->state;
    const rk_tableau *tab = st->tab;
    const double t = s->t;
    const double exponent = -1.0 / ((double)tab->error_order + 1.0);
    const double min_step = ivp_min_step(s);
    double h_abs, h = 0.0, t_new = t, *tmp;
    int rejected = 0, recovered = 0, at_min = 0;

    if (s->h_abs > s->max_step) {
        h_abs = s->max_step;
    } else if (s->h_abs < min_step) {
        h_abs = min_step;
    } else {
        h_abs = s->h_abs;
    }
    if (st->fsal_pending) {
        /* K_0 = f_new of the last accepted step (FSAL): swapped in only now, so that the
         * interpolant of that step still sees its own K_0 and K_S until this step starts */
        tmp = st->krow[0];
        st->krow[0] = st->krow[tab->n_stages];
        st->krow[tab->n_stages] = tmp;
        st->fsal_pending = 0;
    }

    for (;;) {
        double error_norm;
        int rc;
        if (h_abs < min_step) {
            if (!ivp_try_min_step(s, min_step, &at_min)) {
                return ivp_step_too_small(s, h_abs, min_step, 0, err);
            }
            h_abs = min_step;
        }
        h = h_abs * s->dir;
        t_new = t + h;
        if (s->dir * (t_new - s->t_bound) > 0.0) {
            t_new = s->t_bound;
        }
        h = t_new - t;
        h_abs = fabs(h);

        rc = tab->stages(s, st, t, h, err);
        if (rc == 0) {
            int bad;
            error_norm = tab->error_norm(s, st, h, &bad);
            if (bad) {
                rc = ivp_rk_nonfinite(s, st->krow[tab->n_stages], t + h);
            }
        }
        if (rc < 0) {
            return (ivp_status)rc;
        }
        if (rc > 0) {
            s->n_rejected++;
            s->h_abs = h_abs;
            if (++s->recover_run >= IVP_MAX_RECOVERABLE) {
                return ivp_recover_fail(s, "10 attempts in a row failed", err);
            }
            h_abs *= IVP_RECOVER_FACTOR;
            rejected = 1;
            recovered = 1;
            continue;
        }

        if (error_norm < 1.0) {
            double factor;
            if (error_norm == 0.0) {
                factor = RK_MAX_FACTOR;
            } else {
                factor = fmin(RK_MAX_FACTOR, RK_SAFETY * pow(error_norm, exponent));
            }
            if (rejected) {
                factor = fmin(1.0, factor);
            }
            h_abs *= factor;
            break;
        }
        {
            /* Python's max(MIN_FACTOR, x) keeps MIN_FACTOR when x is NaN. */
            double factor = RK_SAFETY * pow(error_norm, exponent);
            if (!(factor > RK_MIN_FACTOR)) {
                factor = RK_MIN_FACTOR;
            }
            h_abs *= factor;
        }
        rejected = 1;
        s->n_rejected++;
    }

    rk_stiffness_test(s, st, t, h);
    st->h_previous = h;
    /* y_old <- y <- y_new by rotating the three buffers (all n doubles from s->alloc) */
    tmp = s->y_old;
    s->y_old = s->y;
    s->y = st->y_new;
    st->y_new = tmp;
    st->fsal_pending = 1;
    s->t_old = t;
    s->t = t_new;
    s->h_abs = h_abs;
    if (!recovered) {
        s->recover_run = 0; /* a clean step ends a run of recoverable failures */
    }
    return IVP_OK;
}

/* y(t_old + x h) = y_old + sum_{k=1..K} h Q_{k-1} x^k with Q = K^T P. */
/* Dense output of RK23 and RK45 (DOP853 has its own): a_0 = y_old and the interpolant's
 * coefficients a_(c+1) = h * sum_j K_j P[j][c], each a sum from 0.0 in row order with the zero
 * entries of P left out, all in one pass over the state. (Until 2026-12 this was one pass per
 * column and row; the terms and their order are the same, so are the doubles.) */
#define RK45_P(j, c) rk45_p[(j)*4 + (c)]
static ivp_status rk45_dense(ivp_stepper *s, double *a, ivp_error *err)
{
    const rk_state *st = s->state;
    const size_t n = s->n;
    const double h = st->h_previous;
    const double *restrict yo = s->y_old;
    const double *restrict k0 = st->krow[0], *restrict k2 = st->krow[2];
    const double *restrict k3 = st->krow[3], *restrict k4 = st->krow[4];
    const double *restrict k5 = st->krow[5], *restrict k6 = st->krow[6];
    double *restrict a0 = a, *restrict a1 = a + n, *restrict a2 = a + 2 * n;
    double *restrict a3 = a + 3 * n, *restrict a4 = a + 4 * n;
    size_t i;
    for (i = 0; i < n; i++) {
        double s1 = 0.0, s2 = 0.0, s3 = 0.0, s4 = 0.0;
        a0[i] = yo[i];
        s1 += k0[i] * RK45_P(0, 0);
        s2 += k0[i] * RK45_P(0, 1);
        s2 += k2[i] * RK45_P(2, 1);
        s2 += k3[i] * RK45_P(3, 1);
        s2 += k4[i] * RK45_P(4, 1);
        s2 += k5[i] * RK45_P(5, 1);
        s2 += k6[i] * RK45_P(6, 1);
        s3 += k0[i] * RK45_P(0, 2);
        s3 += k2[i] * RK45_P(2, 2);
        s3 += k3[i] * RK45_P(3, 2);
        s3 += k4[i] * RK45_P(4, 2);
        s3 += k5[i] * RK45_P(5, 2);
        s3 += k6[i] * RK45_P(6, 2);
        s4 += k0[i] * RK45_P(0, 3);
        s4 += k2[i] * RK45_P(2, 3);
        s4 += k3[i] * RK45_P(3, 3);
        s4 += k4[i] * RK45_P(4, 3);
        s4 += k5[i] * RK45_P(5, 3);
        s4 += k6[i] * RK45_P(6, 3);
        a1[i] = s1 * h;
        a2[i] = s2 * h;
        a3[i] = s3 * h;
        a4[i] = s4 * h;
    }
    (void)err;
    return IVP_OK;
}
#undef RK45_P

#define RK23_P(j, c) rk23_p[(j)*3 + (c)]
static ivp_status rk23_dense(ivp_stepper *s, double *a, ivp_error *err)
{
    const rk_state *st = s->state;
    const size_t n = s->n;
    const double h = st->h_previous;
    const double *restrict yo = s->y_old;
    const double *restrict k0 = st->krow[0], *restrict k1 = st->krow[1];
    const double *restrict k2 = st->krow[2], *restrict k3 = st->krow[3];
    double *restrict a0 = a, *restrict a1 = a + n, *restrict a2 = a + 2 * n;
    double *restrict a3 = a + 3 * n;
    size_t i;
    for (i = 0; i < n; i++) {
        double s1 = 0.0, s2 = 0.0, s3 = 0.0;
        a0[i] = yo[i];
        s1 += k0[i] * RK23_P(0, 0);
        s2 += k0[i] * RK23_P(0, 1);
        s2 += k1[i] * RK23_P(1, 1);
        s2 += k2[i] * RK23_P(2, 1);
        s2 += k3[i] * RK23_P(3, 1);
        s3 += k0[i] * RK23_P(0, 2);
        s3 += k1[i] * RK23_P(1, 2);
        s3 += k2[i] * RK23_P(2, 2);
        s3 += k3[i] * RK23_P(3, 2);
        a1[i] = s1 * h;
        a2[i] = s2 * h;
        a3[i] = s3 * h;
    }
    (void)err;
    return IVP_OK;
}
#undef RK23_P

static ivp_status rk23_alloc(ivp_stepper *s, ivp_error *err)
{
    return ivp_rk_alloc(s, &rk23_tab, err);
}

static ivp_status rk45_alloc(ivp_stepper *s, ivp_error *err)
{
    return ivp_rk_alloc(s, &rk45_tab, err);
}

const ivp_method_type ivp_method_rk23 = {
    .alloc = rk23_alloc,
    .reset = ivp_rk_reset,
    .init = ivp_rk_init,
    .step = ivp_rk_step,
    .dense = rk23_dense,
    .free = ivp_rk_free,
};

const ivp_method_type ivp_method_rk45 = {
    .alloc = rk45_alloc,
    .reset = ivp_rk_reset,
    .init = ivp_rk_init,
    .step = ivp_rk_step,
    .dense = rk45_dense,
    .free = ivp_rk_free,
};
