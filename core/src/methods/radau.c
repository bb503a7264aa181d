/* SPDX-License-Identifier: MIT
 * core/src/methods/radau.c - Radau IIA of order 5 (3 stages), with scipy 1.10's simplified
 * Newton iteration, its convergence tests, Jacobian reuse, Gustafsson's step-size predictor and
 * the collocation polynomial as dense output.
 *
 * The Newton system is decoupled with A^-1 = T diag(MU_REAL, MU_COMPLEX, conj) T^-1 into one
 * real system (MU_REAL/h I - J) and one complex one (MU_COMPLEX/h I - J), solved in complex
 * arithmetic by the linear solver.
 *
 * References: E. Hairer, G. Wanner, Solving Ordinary Differential Equations II, 2nd ed.,
 * Springer (1996), section IV.8 (the method, the Newton iteration, the error estimate,
 * Gustafsson's predictive controller); scipy 1.10.1 radau.py (semantics, constants).
 * Constants are the scipy/Hairer values rounded to doubles.
 */
#include "jacobian.h"
#include "linalg/linalg.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define NEWTON_MAXITER 6
#define RADAU_MIN_FACTOR 0.2
#define RADAU_MAX_FACTOR 10.0

static const double radau_c[3] = {0.15505102572168222, 0.6449489742783178, 1.0};
/* E = [-13 - 7 sqrt 6, -13 + 7 sqrt 6, -1] / 3 */
static const double radau_e[3] = {-10.048809399827414, 1.382142733160748, -0.3333333333333333};
static const double MU_REAL = 3.637834252744496;
static const double MU_COMPLEX_RE = 2.6810828736277523;
static const double MU_COMPLEX_IM = -3.050430199247411;
static const double radau_t[3][3] = {
    {0.09443876248897524, -0.1412552950209542, 0.03002919410514742},
    {0.2502131229653333, 0.20412935229379994, -0.3829421127572619},
    {1.0, 1.0, 0.0},
};
static const double radau_ti[3][3] = {
    {4.178718591551904, 0.32768282076106237, 0.5233764454994495},
    {-4.178718591551904, -0.32768282076106237, 0.47662355450055044},
    {0.5028726349457868, -2.571926949855605, 0.5960392048282249},
};
/* Dense output: Q = Z^T P, y = y_old + sum_k Q_k x^(k+1). */
static const double radau_p[3][3] = {
    {10.048809399827414, -25.62959144707664, 15.580782047249224},
    {-1.382142733160748, 10.296258113743303, -8.914115380582556},
    {0.3333333333333333, -2.6666666666666665, 3.3333333333333335},
};

typedef struct radau_state {
    ivp_jac jac;
    ivp_linsolver *lu_real, *lu_complex;
    int lu_valid;    /* both factorisations match the current h and J */
    int current_jac; /* J was evaluated at the current step's start */
    double newton_tol;
    double *f;               /* f(t, y) */
    double *z, *w, *fz, *dw; /* 3n each: stage increments, transformed, rhs values, update */
    double *z0;              /* 3n: starting guess */
    double *q;               /* 3n: dense-output coefficients of the last step (Q^T rows) */
    double *scale, *err_scale, *y_new, *work, *ze, *err; /* n each */
    int have_sol;                                        /* q describes the previous step */
    double h_abs_old, error_norm_old;
    int have_h_abs_old, have_error_norm_old;
    double h_last; /* t - t_old of the last step */
} radau_state;

static ivp_status radau_alloc(ivp_stepper *s, ivp_error *err)
{
    const size_t n = s->n;
    radau_state *st = ivp_calloc(s->alloc, 1, sizeof *st);
    ivp_status rc;
    if (st == NULL) {
        goto nomem;
    }
    s->state = st;
    st->f = ivp_calloc(s->alloc, n, sizeof *st->f);
    st->z = ivp_calloc(s->alloc, 3 * n, sizeof *st->z);
    st->w = ivp_calloc(s->alloc, 3 * n, sizeof *st->w);
    st->fz = ivp_calloc(s->alloc, 3 * n, sizeof *st->fz);
    st->dw = ivp_calloc(s->alloc, 3 * n, sizeof *st->dw);
    st->z0 = ivp_calloc(s->alloc, 3 * n, sizeof *st->z0);
    st->q = ivp_calloc(s->alloc, 3 * n, sizeof *st->q);
    st->scale = ivp_calloc(s->alloc, n, sizeof *st->scale);
    st->err_scale = ivp_calloc(s->alloc, n, sizeof *st->err_scale);
    st->y_new = ivp_calloc(s->alloc, n, sizeof *st->y_new);
    st->work = ivp_calloc(s->alloc, n, sizeof *st->work);
    st->ze = ivp_calloc(s->alloc, n, sizeof *st->ze);
    st->err = ivp_calloc(s->alloc, n, sizeof *st->err);
    if (st->f == NULL || st->z == NULL || st->w == NULL || st->fz == NULL || st->dw == NULL ||
        st->z0 == NULL || st->q == NULL || st->scale == NULL || st->err_scale == NULL ||
        st->y_new == NULL || st->work == NULL || st->ze == NULL || st->err == NULL) {
        goto nomem;
    }
    rc = ivp_jac_init(&st->jac, s->sys, 0, s->alloc, err);
    if (rc != IVP_OK) {
        return rc;
    }
    rc = ivp_linsolver_new(&st->jac.J, 0, s->alloc, &st->lu_real, err);
    if (rc != IVP_OK) {
        return rc;
    }
    return ivp_linsolver_new(&st->jac.J, 1, s->alloc, &st->lu_complex, err);
nomem:
    return ivp_error_set(err, IVP_ERR_NOMEM, "out of memory allocating Radau workspace (n = %zu)",
                         n);
}

static void radau_free(ivp_stepper *s)
{
    radau_state *st = s->state;
    if (st == NULL) {
        return;
    }
    ivp_jac_free(&st->jac);
    ivp_linsolver_free(st->lu_real);
    ivp_linsolver_free(st->lu_complex);
    ivp_free(s->alloc, st->f);
    ivp_free(s->alloc, st->z);
    ivp_free(s->alloc, st->w);
    ivp_free(s->alloc, st->fz);
    ivp_free(s->alloc, st->dw);
    ivp_free(s->alloc, st->z0);
    ivp_free(s->alloc, st->q);
    ivp_free(s->alloc, st->scale);
    ivp_free(s->alloc, st->err_scale);
    ivp_free(s->alloc, st->y_new);
    ivp_free(s->alloc, st->work);
    ivp_free(s->alloc, st->ze);
    ivp_free(s->alloc, st->err);
    ivp_free(s->alloc, st);
    s->state = NULL;
}

static void radau_reset(ivp_stepper *s)
{
    radau_state *st = s->state;
    const size_t n = s->n;
    double *const vec3[] = {st->z, st->w, st->fz, st->dw, st->z0, st->q};
    double *const vec1[] = {st->f, st->scale, st->err_scale, st->y_new, st->work, st->ze, st->err};
    size_t k;
    ivp_jac_reset(&st->jac);
    ivp_linsolver_reset(st->lu_real);
    ivp_linsolver_reset(st->lu_complex);
    for (k = 0; k < sizeof vec3 / sizeof vec3[0]; k++) {
        memset(vec3[k], 0, 3 * n * sizeof *vec3[k]);
    }
    for (k = 0; k < sizeof vec1 / sizeof vec1[0]; k++) {
        memset(vec1[k], 0, n * sizeof *vec1[k]);
    }
    st->lu_valid = 0;
    st->current_jac = 0;
    st->newton_tol = 0.0;
    st->have_sol = 0;
    st->h_abs_old = st->error_norm_old = 0.0;
    st->have_h_abs_old = st->have_error_norm_old = 0;
    st->h_last = 0.0;
}

/* J at (t, y) with f = f(t, y). 0, 1 (recoverable) or a negative status. */
static int radau_jac(ivp_stepper *s, radau_state *st, double t, const double *y, const double *f,
                     ivp_error *err)
{
    int rc = ivp_jac_eval(&st->jac, s, t, y, f, s->atol, err);
    if (rc == 0) {
        s->njev++;
    }
    if (rc >= 0) {
        ivp_status fs = ivp_jac_fail_count(s, rc, err);
        if (fs != IVP_OK) {
            return fs;
        }
    }
    return rc;
}

static ivp_status radau_init(ivp_stepper *s, ivp_error *err)
{
    radau_state *st = s->state;
    int rc = ivp_rhs_eval(s, s->t, s->y, st->f, err);
    if (rc != 0) {
        return rc > 0 ? ivp_recover_fail(s, "at the initial point", err) : (ivp_status)rc;
    }
    if (s->first_step > 0.0) {
        s->h_abs = s->first_step;
    } else {
        ivp_status rc2 = ivp_select_initial_step(s, st->f, 3.0, st->work, st->y_new, &s->h_abs,
                                                 err);
        if (rc2 != IVP_OK) {
            return rc2;
        }
    }
    st->have_h_abs_old = st->have_error_norm_old = 0;
    st->newton_tol = fmax(10.0 * IVP_EPS / s->rtol, fmin(0.03, sqrt(s->rtol)));
    st->have_sol = 0;
    rc = radau_jac(s, st, s->t, s->y, st->f, err);
    if (rc != 0) {
        return rc > 0 ? ivp_error_set(err, IVP_ERR_JAC,
                                      "the Jacobian could not be evaluated at t0 = %.17g", s->t)
                      : (ivp_status)rc;
    }
    st->current_jac = 1;
    st->lu_valid = 0;
    return IVP_OK;
}

static ivp_status radau_factor(ivp_stepper *s, radau_state *st, double h, ivp_error *err)
{
    ivp_status rc = ivp_linsolver_factor(st->lu_real, MU_REAL / h, -1.0, &st->jac.J, err);
    s->nlu++;
    if (rc == IVP_OK) {
        rc = ivp_linsolver_factor_complex(st->lu_complex, MU_COMPLEX_RE / h, MU_COMPLEX_IM / h,
                                          -1.0, &st->jac.J, err);
        s->nlu++;
    }
    if (rc != IVP_OK) {
        char why[IVP_ERROR_MSG_MAX];
        snprintf(why, sizeof why, "%s", err->msg);
        return ivp_error_set(err, rc, "Radau: %s at t = %.17g (h = %.3g)", why, s->t, h);
    }
    st->lu_valid = 1;
    return IVP_OK;
}

/* Simplified Newton iteration for the collocation system (Hairer-Wanner IV.8). Returns 1 when
 * converged, 0 when not, 2 when not because the rhs failed (recoverably, or non-finite), or a
 * negative status; *n_iter and *rate as scipy reports them (*rate < 0: none measured). */
static int radau_newton(ivp_stepper *s, radau_state *st, double t, double h, const double *scale,
                        int *n_iter, double *rate, ivp_error *err)
{
    const size_t n = s->n;
    const double *y = s->y;
    const double m_real = MU_REAL / h;
    const double m_cre = MU_COMPLEX_RE / h, m_cim = MU_COMPLEX_IM / h;
    double dw_norm_old = -1.0;
    double *w0 = st->w, *w1 = st->w + n, *w2 = st->w + 2 * n;
    double *d0 = st->dw, *d1 = st->dw + n, *d2 = st->dw + 2 * n;
    size_t i;
    int k, r, c;

    *rate = -1.0;
    /* W = TI Z0, Z = Z0 */
    for (r = 0; r < 3; r++) {
        double *wr = st->w + (size_t)r * n;
        for (i = 0; i < n; i++) {
            wr[i] = radau_ti[r][0] * st->z0[i] + radau_ti[r][1] * st->z0[n + i] +
                    radau_ti[r][2] * st->z0[2 * n + i];
        }
    }
    memcpy(st->z, st->z0, 3 * n * sizeof *st->z);

    for (k = 0; k < NEWTON_MAXITER; k++) {
        double dw_norm, acc = 0.0;
        int bad = 0;
        *n_iter = k + 1;
        for (c = 0; c < 3; c++) {
            double *zc = st->z + (size_t)c * n;
            int rc;
            for (i = 0; i < n; i++) {
                st->work[i] = y[i] + zc[i];
            }
            rc = ivp_rhs_eval(s, t + h * radau_c[c], st->work, st->fz + (size_t)c * n, err);
            if (rc < 0) {
                return rc;
            }
            if (rc > 0) {
                bad = 1;
            }
        }
        if (bad) {
            return 2;
        }
        /* f_real = F^T TI_REAL - M_real W0; f_complex = F^T TI_COMPLEX - M_complex (W1 + i W2) */
        for (i = 0; i < n; i++) {
            const double f0 = st->fz[i], f1 = st->fz[n + i], f2 = st->fz[2 * n + i];
            double cre, cim;
            d0[i] = f0 * radau_ti[0][0] + f1 * radau_ti[0][1] + f2 * radau_ti[0][2] -
                    m_real * w0[i];
            cre = f0 * radau_ti[1][0] + f1 * radau_ti[1][1] + f2 * radau_ti[1][2];
            cim = f0 * radau_ti[2][0] + f1 * radau_ti[2][1] + f2 * radau_ti[2][2];
            /* (m_cre + i m_cim)(W1 + i W2) */
            d1[i] = cre - (m_cre * w1[i] - m_cim * w2[i]);
            d2[i] = cim - (m_cre * w2[i] + m_cim * w1[i]);
        }
        ivp_linsolver_solve(st->lu_real, d0);
        ivp_linsolver_solve_complex(st->lu_complex, d1, d2);
        /* The update W += dW goes with the norm, ahead of the test: when the test fails, W
         * and Z are not used (the next attempt starts again from Z0). */
        for (c = 0; c < 3; c++) {
            const double *dc = st->dw + (size_t)c * n;
            double *wc = st->w + (size_t)c * n;
            for (i = 0; i < n; i++) {
                const double q = dc[i] / scale[i];
                acc += q * q;
                wc[i] += dc[i];
            }
        }
        dw_norm = ivp_rms_finish(acc, 3 * n);
        if (dw_norm_old >= 0.0) {
            *rate = dw_norm / dw_norm_old;
        }
        if (*rate >= 0.0 && (*rate >= 1.0 || ivp_newton_diverges(*rate, NEWTON_MAXITER - k, dw_norm,
                                                                 st->newton_tol))) {
            return 0;
        }
        for (c = 0; c < 3; c++) {
            double *zc = st->z + (size_t)c * n;
            for (i = 0; i < n; i++) {
                zc[i] = radau_t[c][0] * w0[i] + radau_t[c][1] * w1[i] + radau_t[c][2] * w2[i];
            }
        }
        if (dw_norm == 0.0 || (*rate >= 0.0 && *rate / (1.0 - *rate) * dw_norm < st->newton_tol)) {
            return 1;
        }
        dw_norm_old = dw_norm;
    }
    return 0;
}

/* Gustafsson's predictive controller (Hairer-Wanner IV.8, (8.25)). */
static double predict_factor(double h_abs, double h_abs_old, int have_old, double error_norm,
                             double error_norm_old, int have_err_old)
{
    double multiplier;
    if (!have_err_old || !have_old || error_norm == 0.0) {
        multiplier = 1.0;
    } else {
        multiplier = h_abs / h_abs_old * pow(error_norm_old / error_norm, 0.25);
    }
    if (error_norm == 0.0) {
        return HUGE_VAL;
    }
    return fmin(1.0, multiplier) * pow(error_norm, -0.25);
}

static ivp_status radau_step(ivp_stepper *s, ivp_error *err)
{
    radau_state *st = s->state;
    const size_t n = s->n;
    const double t = s->t;
    const double *y = s->y;
    /* below 4 MU_REAL / DBL_MAX, MU_REAL / h would overflow */
    const double min_step = fmax(ivp_min_step(s), 4.0 * MU_REAL / DBL_MAX);
    double h_abs, h_abs_old, error_norm_old, h = 0.0, t_new = t, error_norm = 0.0, safety = 0.0;
    double rate = -1.0, factor;
    int have_old, have_err_old, rejected = 0, n_iter = 0, recompute_jac, recovered = 0;
    int saw_failure = 0, at_min = 0;
    size_t i;
    int c, rc;

    if (s->h_abs > s->max_step) {
        h_abs = s->max_step;
        have_old = have_err_old = 0;
        h_abs_old = error_norm_old = 0.0;
    } else if (s->h_abs < min_step) {
        h_abs = min_step;
        have_old = have_err_old = 0;
        h_abs_old = error_norm_old = 0.0;
    } else {
        h_abs = s->h_abs;
        have_old = st->have_h_abs_old;
        have_err_old = st->have_error_norm_old;
        h_abs_old = st->h_abs_old;
        error_norm_old = st->error_norm_old;
    }

    /* The Newton iterations' scale: y is that of every attempt of this step. */
    for (i = 0; i < n; i++) {
        st->scale[i] = s->atol[i] + fabs(y[i]) * s->rtol;
    }
    for (;;) {
        int converged = 0;
        unsigned long recover_before = s->recover_run;
        if (h_abs < min_step) {
            if (!ivp_try_min_step(s, min_step, &at_min)) {
                return ivp_step_too_small(s, h_abs, min_step, saw_failure, err);
            }
            h_abs = min_step;
            st->lu_valid = 0;
        }
        h = h_abs * s->dir;
        t_new = t + h;
        if (s->dir * (t_new - s->t_bound) > 0.0) {
            t_new = s->t_bound;
        }
        h = t_new - t;
        h_abs = fabs(h);

        /* Starting guess: the previous collocation polynomial, extrapolated. */
        if (!st->have_sol) {
            memset(st->z0, 0, 3 * n * sizeof *st->z0);
        } else {
            const double hs = st->h_last;
            for (c = 0; c < 3; c++) {
                const double x = (t + h * radau_c[c] - s->t_old) / hs;
                double *z0c = st->z0 + (size_t)c * n;
                const double x2 = x * x, x3 = x2 * x;
                for (i = 0; i < n; i++) {
                    double v = st->q[i] * x + st->q[n + i] * x2 + st->q[2 * n + i] * x3;
                    z0c[i] = (v + s->y_old[i]) - y[i];
                }
            }
        }
        for (;;) {
            if (!st->lu_valid) {
                ivp_status fs = radau_factor(s, st, h, err);
                if (fs != IVP_OK) {
                    return fs;
                }
            }
            rc = radau_newton(s, st, t, h, st->scale, &n_iter, &rate, err);
            if (rc < 0) {
                return (ivp_status)rc;
            }
            if (rc == 2) {
                /* as scipy: a non-finite rhs value just means no convergence; an explicit
                 * recoverable code counts towards the limit of failures in a row */
                saw_failure = 1;
                if (s->last_rhs_code != 0) {
                    s->recover_run++;
                }
                rc = 0;
            }
            converged = rc;
            if (converged || st->current_jac) {
                break;
            }
            rc = radau_jac(s, st, t, y, st->f, err);
            if (rc < 0) {
                return (ivp_status)rc;
            }
            if (rc > 0) {
                saw_failure = 1; /* keep the old J; a smaller step may do */
                break;
            }
            st->current_jac = 1;
            st->lu_valid = 0;
        }
        if (s->recover_run > recover_before) {
            recovered = 1;
        }
        if (!converged) {
            h_abs *= 0.5;
            st->lu_valid = 0;
            s->n_rejected++;
            if (s->recover_run >= IVP_MAX_RECOVERABLE) {
                s->h_abs = h_abs;
                return ivp_recover_fail(s, "10 attempts in a row failed", err);
            }
            continue;
        }

        for (i = 0; i < n; i++) {
            st->y_new[i] = y[i] + st->z[2 * n + i];
            st->ze[i] = (st->z[i] * radau_e[0] + st->z[n + i] * radau_e[1] +
                         st->z[2 * n + i] * radau_e[2]) /
                        h;
            st->err[i] = st->f[i] + st->ze[i];
        }
        ivp_linsolver_solve(st->lu_real, st->err);
        {
            double acc = 0.0;
            for (i = 0; i < n; i++) {
                const double sc = s->atol[i] + fmax(fabs(y[i]), fabs(st->y_new[i])) * s->rtol;
                const double q = st->err[i] / sc;
                st->err_scale[i] = sc;
                acc += q * q;
            }
            error_norm = ivp_rms_finish(acc, n);
        }
        safety = 0.9 * (2.0 * NEWTON_MAXITER + 1.0) / (2.0 * NEWTON_MAXITER + (double)n_iter);

        if (rejected && error_norm > 1.0) {
            for (i = 0; i < n; i++) {
                st->work[i] = y[i] + st->err[i];
            }
            rc = ivp_rhs_eval(s, t, st->work, st->err, err);
            if (rc < 0) {
                return (ivp_status)rc;
            }
            if (rc == 0) {
                for (i = 0; i < n; i++) {
                    st->err[i] += st->ze[i];
                }
                ivp_linsolver_solve(st->lu_real, st->err);
                error_norm = ivp_rms_scaled(n, st->err, st->err_scale);
            } else {
                error_norm = HUGE_VAL;
                s->recover_run++;
                recovered = 1;
            }
        }
        if (error_norm > 1.0) {
            double f = predict_factor(h_abs, h_abs_old, have_old, error_norm, error_norm_old,
                                      have_err_old);
            f *= safety;
            if (!(f > RADAU_MIN_FACTOR)) {
                f = RADAU_MIN_FACTOR;
            }
            h_abs *= f;
            st->lu_valid = 0;
            rejected = 1;
            s->n_rejected++;
            continue;
        }
        break;
    }

    recompute_jac = n_iter > 2 && rate > 1e-3;
    factor = predict_factor(h_abs, h_abs_old, have_old, error_norm, error_norm_old, have_err_old);
    factor = fmin(RADAU_MAX_FACTOR, safety * factor);
    if (!recompute_jac && factor < 1.2) {
        factor = 1.0;
    } else {
        st->lu_valid = 0;
    }
    rc = ivp_rhs_eval(s, t_new, st->y_new, st->work, err);
    if (rc != 0) {
        /* f at the accepted point failed: retry the step smaller next time */
        if (rc < 0) {
            return (ivp_status)rc;
        }
        s->recover_run++;
        s->h_abs = h_abs * 0.5;
        st->lu_valid = 0;
        if (s->recover_run >= IVP_MAX_RECOVERABLE) {
            return ivp_recover_fail(s, "10 attempts in a row failed", err);
        }
        return radau_step(s, err);
    }
    if (recompute_jac) {
        rc = radau_jac(s, st, t_new, st->y_new, st->work, err);
        if (rc < 0) {
            return (ivp_status)rc;
        }
        st->current_jac = rc == 0;
        if (rc > 0) {
            st->lu_valid = 0;
        }
    } else {
        st->current_jac = 0;
    }

    st->h_abs_old = s->h_abs;
    st->have_h_abs_old = 1;
    st->error_norm_old = error_norm;
    st->have_error_norm_old = 1;
    s->h_abs = h_abs * factor;
    memcpy(s->y_old, y, n * sizeof *s->y_old);
    memcpy(s->y, st->y_new, n * sizeof *s->y);
    memcpy(st->f, st->work, n * sizeof *st->f);
    s->t_old = t;
    s->t = t_new;
    if (!recovered) {
        s->recover_run = 0;
    }
    /* Dense output of this step: Q = Z^T P. */
    for (c = 0; c < 3; c++) {
        double *qc = st->q + (size_t)c * n;
        for (i = 0; i < n; i++) {
            qc[i] = st->z[i] * radau_p[0][c] + st->z[n + i] * radau_p[1][c] +
                    st->z[2 * n + i] * radau_p[2][c];
        }
    }
    st->h_last = t_new - t;
    st->have_sol = 1;
    return IVP_OK;
}

static ivp_status radau_dense(ivp_stepper *s, double *a, ivp_error *err)
{
    radau_state *st = s->state;
    const size_t n = s->n;
    (void)err;
    memcpy(a, s->y_old, n * sizeof *a);
    memcpy(a + n, st->q, 3 * n * sizeof *a);
    return IVP_OK;
}

const ivp_method_type ivp_method_radau = {
    .alloc = radau_alloc,
    .reset = radau_reset,
    .init = radau_init,
    .step = radau_step,
    .dense = radau_dense,
    .free = radau_free,
};
