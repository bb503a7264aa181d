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
#include <string.h>

#define RK_SAFETY 0.9
#define RK_MIN_FACTOR 0.2
#define RK_MAX_FACTOR 10.0

/* ---- RK23: Bogacki-Shampine 3(2), FSAL ---- */
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

static const rk_tableau rk23_tab = {
    .n_stages = 3, .n_rows = 4, .error_order = 2, .c = rk23_c, .a = rk23_a, .b = rk23_b,
    .e = rk23_e, .p = rk23_p, .dense_cols = 3,
};
static const rk_tableau rk45_tab = {
    .n_stages = 6, .n_rows = 7, .error_order = 4, .c = rk45_c, .a = rk45_a, .b = rk45_b,
    .e = rk45_e, .p = rk45_p, .dense_cols = 4,
};

void ivp_rk_combine(size_t n, unsigned m, const double *w, const double *k, double *out)
{
    size_t i;
    unsigned j;
    for (i = 0; i < n; i++) {
        out[i] = w[0] * k[i];
    }
    for (j = 1; j < m; j++) {
        const double wj = w[j];
        const double *kj = k + (size_t)j * n;
        if (wj == 0.0) {
            continue;
        }
        for (i = 0; i < n; i++) {
            out[i] += wj * kj[i];
        }
    }
}

ivp_status ivp_rk_alloc(ivp_stepper *s, const rk_tableau *tab, ivp_error *err)
{
    size_t n = s->n;
    rk_state *st = ivp_calloc(s->alloc, 1, sizeof *st);
    if (st == NULL) {
        goto fail;
    }
    s->state = st;
    st->tab = tab;
    st->k = ivp_calloc(s->alloc, (size_t)tab->n_rows * n, sizeof *st->k);
    st->f = ivp_calloc(s->alloc, n, sizeof *st->f);
    st->y_new = ivp_calloc(s->alloc, n, sizeof *st->y_new);
    st->scale = ivp_calloc(s->alloc, n, sizeof *st->scale);
    st->work = ivp_calloc(s->alloc, n, sizeof *st->work);
    if (st->k == NULL || st->f == NULL || st->y_new == NULL || st->scale == NULL ||
        st->work == NULL) {
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
    ivp_free(s->alloc, st->f);
    ivp_free(s->alloc, st->y_new);
    ivp_free(s->alloc, st->scale);
    ivp_free(s->alloc, st->work);
    ivp_free(s->alloc, st);
    s->state = NULL;
}

void ivp_rk_reset(ivp_stepper *s)
{
    rk_state *st = s->state;
    const size_t n = s->n;
    memset(st->k, 0, (size_t)st->tab->n_rows * n * sizeof *st->k);
    memset(st->f, 0, n * sizeof *st->f);
    memset(st->y_new, 0, n * sizeof *st->y_new);
    memset(st->scale, 0, n * sizeof *st->scale);
    memset(st->work, 0, n * sizeof *st->work);
    st->h_previous = 0.0;
}

ivp_status ivp_rk_init(ivp_stepper *s, ivp_error *err)
{
    rk_state *st = s->state;
    int rc = ivp_rhs_eval(s, s->t, s->y, st->f, err);
    if (rc != 0) {
        if (rc > 0) {
            return ivp_recover_fail(s, "at the initial point", err);
        }
        return (ivp_status)rc;
    }
    if (s->first_step > 0.0) {
        s->h_abs = s->first_step;
    } else {
        ivp_status rc2 = ivp_select_initial_step(s, st->f, (double)st->tab->error_order,
                                                 st->work, st->y_new, &s->h_abs, err);
        if (rc2 != IVP_OK) {
            return rc2;
        }
    }
    st->h_previous = 0.0;
    return IVP_OK;
}

/* Default error norm: RMS of h * sum_j e_j K_j / scale. */
static double rk_error_norm(const rk_state *st, size_t n, double h)
{
    const rk_tableau *tab = st->tab;
    double acc = 0.0;
    size_t i;
    ivp_rk_combine(n, tab->n_stages + 1, tab->e, st->k, st->work);
    for (i = 0; i < n; i++) {
        double q = st->work[i] * h / st->scale[i];
        acc += q * q;
    }
    return sqrt(acc / (double)n);
}

/* Stages of one trial step of size h from (t, y): fills K_1..K_S and y_new. Returns 0, 1 for
 * a recoverable rhs failure, or a negative status. */
static int rk_stages(ivp_stepper *s, rk_state *st, double t, double h, ivp_error *err)
{
    const rk_tableau *tab = st->tab;
    const size_t n = s->n;
    const double *y = s->y;
    unsigned stage;
    size_t i;
    int rc;

    for (stage = 1; stage < tab->n_stages; stage++) {
        const double *arow = tab->a + (size_t)stage * (stage - 1) / 2;
        ivp_rk_combine(n, stage, arow, st->k, st->work);
        for (i = 0; i < n; i++) {
            st->work[i] = y[i] + st->work[i] * h;
        }
        rc = ivp_rhs_eval(s, t + tab->c[stage] * h, st->work, st->k + (size_t)stage * n, err);
        if (rc != 0) {
            return rc;
        }
    }
    ivp_rk_combine(n, tab->n_stages, tab->b, st->k, st->y_new);
    for (i = 0; i < n; i++) {
        st->y_new[i] = y[i] + h * st->y_new[i];
    }
    return ivp_rhs_eval(s, t + h, st->y_new, st->k + (size_t)tab->n_stages * n, err);
}

ivp_status ivp_rk_step(ivp_stepper *s, ivp_error *err)
{
    rk_state *st = s->state;
    const rk_tableau *tab = st->tab;
    const size_t n = s->n;
    const double t = s->t;
    const double exponent = -1.0 / ((double)tab->error_order + 1.0);
    const double min_step = ivp_min_step(s);
    double h_abs, h = 0.0, t_new = t;
    int rejected = 0, recovered = 0, at_min = 0;
    size_t i;

    if (s->h_abs > s->max_step) {
        h_abs = s->max_step;
    } else if (s->h_abs < min_step) {
        h_abs = min_step;
    } else {
        h_abs = s->h_abs;
    }
    memcpy(st->k, st->f, n * sizeof *st->k); /* K_0 = f (FSAL) */

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

        rc = rk_stages(s, st, t, h, err);
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

        for (i = 0; i < n; i++) {
            st->scale[i] = s->atol[i] + fmax(fabs(s->y[i]), fabs(st->y_new[i])) * s->rtol;
        }
        if (tab->error_norm != NULL) {
            error_norm = tab->error_norm(st, n, h, st->scale);
        } else {
            error_norm = rk_error_norm(st, n, h);
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

    st->h_previous = h;
    memcpy(s->y_old, s->y, n * sizeof *s->y);
    memcpy(s->y, st->y_new, n * sizeof *s->y);
    memcpy(st->f, st->k + (size_t)tab->n_stages * n, n * sizeof *st->f);
    s->t_old = t;
    s->t = t_new;
    s->h_abs = h_abs;
    if (!recovered) {
        s->recover_run = 0; /* a clean step ends a run of recoverable failures */
    }
    return IVP_OK;
}

/* y(t_old + x h) = y_old + sum_{k=1..K} h Q_{k-1} x^k with Q = K^T P. */
ivp_status ivp_rk_dense(ivp_stepper *s, double *a, ivp_error *err)
{
    rk_state *st = s->state;
    const rk_tableau *tab = st->tab;
    const size_t n = s->n;
    const unsigned rows = tab->n_stages + 1;
    const double h = st->h_previous;
    unsigned col, j;
    size_t i;
    (void)err;

    memcpy(a, s->y_old, n * sizeof *a);
    for (col = 0; col < tab->dense_cols; col++) {
        double *ak = a + (size_t)(col + 1) * n;
        for (i = 0; i < n; i++) {
            ak[i] = 0.0;
        }
        for (j = 0; j < rows; j++) {
            const double pj = tab->p[(size_t)j * tab->dense_cols + col];
            const double *kj = st->k + (size_t)j * n;
            if (pj == 0.0) {
                continue;
            }
            for (i = 0; i < n; i++) {
                ak[i] += kj[i] * pj;
            }
        }
        for (i = 0; i < n; i++) {
            ak[i] *= h;
        }
    }
    return IVP_OK;
}

static ivp_status rk23_alloc(ivp_stepper *s, ivp_error *err)
{
    return ivp_rk_alloc(s, &rk23_tab, err);
}

static ivp_status rk45_alloc(ivp_stepper *s, ivp_error *err)
{
    return ivp_rk_alloc(s, &rk45_tab, err);
}

const ivp_method_type ivp_method_rk23 = {
    .alloc = rk23_alloc, .reset = ivp_rk_reset, .init = ivp_rk_init, .step = ivp_rk_step,
    .dense = ivp_rk_dense, .free = ivp_rk_free,
};

const ivp_method_type ivp_method_rk45 = {
    .alloc = rk45_alloc, .reset = ivp_rk_reset, .init = ivp_rk_init, .step = ivp_rk_step,
    .dense = ivp_rk_dense, .free = ivp_rk_free,
};
