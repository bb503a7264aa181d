/* SPDX-License-Identifier: MIT
 * core/src/methods/bdf.c - variable-order (1-5) BDF with the NDF modification, quasi-constant
 * step size on a backward-difference array, as scipy 1.10's BDF (after MATLAB's ode15s).
 *
 * References: L. F. Shampine, M. W. Reichelt, "The MATLAB ODE Suite", SIAM J. Sci. Comput. 18
 * (1997) (NDF coefficients kappa, the difference-array step change); E. Hairer, S. P. Norsett,
 * G. Wanner, Solving ODEs I, section III.2 (error estimates); scipy 1.10.1 bdf.py (semantics).
 */
#include "jacobian.h"
#include "linalg/linalg.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define MAX_ORDER 5
#define NEWTON_MAXITER 4
#define BDF_MIN_FACTOR 0.2
#define BDF_MAX_FACTOR 10.0

typedef struct bdf_state {
    ivp_jac jac;
    ivp_linsolver *lu;
    int lu_valid;
    double newton_tol;
    double gamma[MAX_ORDER + 1], alpha[MAX_ORDER + 1], error_const[MAX_ORDER + 2];
    /* U = R(order, 1) of change_d for each order: constant, computed by alloc */
    double u[MAX_ORDER + 1][(MAX_ORDER + 1) * (MAX_ORDER + 1)];
    double *d_arr; /* (MAX_ORDER + 3) x n backward differences D */
    double *y_pred, *psi, *scale, *dvec, *ynew, *fv, *dy, *work; /* n each */
    unsigned order;
    unsigned n_equal_steps;
} bdf_state;

static void compute_r(unsigned order, double factor, double *r);

static ivp_status bdf_alloc(ivp_stepper *s, ivp_error *err)
{
    const size_t n = s->n;
    bdf_state *st = ivp_calloc(s->alloc, 1, sizeof *st);
    ivp_status rc;
    unsigned k;
    if (st == NULL) {
        goto nomem;
    }
    s->state = st;
    for (k = 0; k <= MAX_ORDER; k++) {
        compute_r(k, 1.0, st->u[k]);
    }
    st->d_arr = ivp_calloc(s->alloc, (MAX_ORDER + 3) * n, sizeof *st->d_arr);
    st->y_pred = ivp_calloc(s->alloc, n, sizeof *st->y_pred);
    st->psi = ivp_calloc(s->alloc, n, sizeof *st->psi);
    st->scale = ivp_calloc(s->alloc, n, sizeof *st->scale);
    st->dvec = ivp_calloc(s->alloc, n, sizeof *st->dvec);
    st->ynew = ivp_calloc(s->alloc, n, sizeof *st->ynew);
    st->fv = ivp_calloc(s->alloc, n, sizeof *st->fv);
    st->dy = ivp_calloc(s->alloc, n, sizeof *st->dy);
    st->work = ivp_calloc(s->alloc, n, sizeof *st->work);
    if (st->d_arr == NULL || st->y_pred == NULL || st->psi == NULL || st->scale == NULL ||
        st->dvec == NULL || st->ynew == NULL || st->fv == NULL || st->dy == NULL ||
        st->work == NULL) {
        goto nomem;
    }
    rc = ivp_jac_init(&st->jac, s->sys, 0, s->alloc, err);
    if (rc != IVP_OK) {
        return rc;
    }
    return ivp_linsolver_new(&st->jac.J, 0, s->alloc, &st->lu, err);
nomem:
    return ivp_error_set(err, IVP_ERR_NOMEM, "out of memory allocating BDF workspace (n = %zu)", n);
}

static void bdf_free(ivp_stepper *s)
{
    bdf_state *st = s->state;
    if (st == NULL) {
        return;
    }
    ivp_jac_free(&st->jac);
    ivp_linsolver_free(st->lu);
    ivp_free(s->alloc, st->d_arr);
    ivp_free(s->alloc, st->y_pred);
    ivp_free(s->alloc, st->psi);
    ivp_free(s->alloc, st->scale);
    ivp_free(s->alloc, st->dvec);
    ivp_free(s->alloc, st->ynew);
    ivp_free(s->alloc, st->fv);
    ivp_free(s->alloc, st->dy);
    ivp_free(s->alloc, st->work);
    ivp_free(s->alloc, st);
    s->state = NULL;
}

static void bdf_reset(ivp_stepper *s)
{
    bdf_state *st = s->state;
    const size_t n = s->n;
    double *const vecs[] = {st->y_pred, st->psi, st->scale, st->dvec,
                            st->ynew,   st->fv,  st->dy,    st->work};
    size_t k;
    ivp_jac_reset(&st->jac);
    ivp_linsolver_reset(st->lu);
    st->lu_valid = 0;
    st->newton_tol = 0.0;
    memset(st->gamma, 0, sizeof st->gamma);
    memset(st->alpha, 0, sizeof st->alpha);
    memset(st->error_const, 0, sizeof st->error_const);
    memset(st->d_arr, 0, (MAX_ORDER + 3) * n * sizeof *st->d_arr);
    for (k = 0; k < sizeof vecs / sizeof vecs[0]; k++) {
        memset(vecs[k], 0, n * sizeof *vecs[k]);
    }
    st->order = 0;
    st->n_equal_steps = 0;
}

/* Row i of D. */
static double *drow(bdf_state *st, size_t n, unsigned i)
{
    return st->d_arr + (size_t)i * n;
}

/* R(order, factor): M[0][j] = 1, M[i][0] = 0, M[i][j] = (i - 1 - factor j)/i, cumulative
 * products down the columns. r is (order+1)^2, row-major. Dividing by i = 1, 2, 4 is done as
 * the multiplication by the exact 1/i, which rounds alike. */
static void compute_r(unsigned order, double factor, double *r)
{
    unsigned i, j, m = order + 1;
    for (j = 0; j < m; j++) {
        r[j] = 1.0;
    }
    for (i = 1; i < m; i++) {
        const double di = (double)i;
        const int exact = (i & (i - 1)) == 0;
        const double inv = 1.0 / di;
        r[i * m] = r[(i - 1) * m] * 0.0;
        for (j = 1; j < m; j++) {
            const double num = di - 1.0 - factor * (double)j;
            const double mij = exact ? num * inv : num / di;
            r[i * m + j] = r[(i - 1) * m + j] * mij;
        }
    }
}

/* D[0..order] <- (R U)^T D[0..order], U = R(order, 1): the differences for step h*factor.
 * Same operations, in the same order, as the two matrix products written out, less the
 * products with U's zeros below its diagonal (U[k][j] = +-0 for k > j: M[j+1][j] = 0), which
 * leave a sum starting at +0 unchanged while R is finite (it is for factor <= 1e30: |R| <=
 * (1 + 5 factor)^5); D is updated column by column in place. */
static void change_d(bdf_state *st, size_t n, unsigned order, double factor)
{
    double r[(MAX_ORDER + 1) * (MAX_ORDER + 1)], ru[(MAX_ORDER + 1) * (MAX_ORDER + 1)];
    double col[MAX_ORDER + 1];
    const double *u = st->u[order];
    const int triangular = factor <= 1e30;
    unsigned i, j, k, m = order + 1;
    size_t p;
    compute_r(order, factor, r);
    for (i = 0; i < m; i++) {
        for (j = 0; j < m; j++) {
            const unsigned kend = triangular ? j + 1 : m;
            double acc = 0.0;
            for (k = 0; k < kend; k++) {
                acc += r[i * m + k] * u[k * m + j];
            }
            ru[i * m + j] = acc;
        }
    }
    for (p = 0; p < n; p++) {
        for (k = 0; k < m; k++) {
            col[k] = st->d_arr[(size_t)k * n + p];
        }
        for (i = 0; i < m; i++) {
            double acc = 0.0;
            for (k = 0; k < m; k++) {
                acc += ru[k * m + i] * col[k];
            }
            st->d_arr[(size_t)i * n + p] = acc;
        }
    }
}

/* J at (t, y); finite differences need f(t, y), which scipy computes without counting it. */
static int bdf_jac(ivp_stepper *s, bdf_state *st, double t, const double *y, ivp_error *err)
{
    int rc;
    if (st->jac.source == IVP_JSRC_FD) {
        rc = ivp_rhs_eval(s, t, y, st->work, err);
        s->nfev--;
    } else {
        rc = 0;
    }
    if (rc == 0) {
        rc = ivp_jac_eval(&st->jac, s, t, y, st->work, s->atol, err);
    }
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

static ivp_status bdf_init(ivp_stepper *s, ivp_error *err)
{
    bdf_state *st = s->state;
    const size_t n = s->n;
    static const double kappa[MAX_ORDER + 1] = {0.0, -0.1850, -1.0 / 9.0, -0.0823, -0.0415, 0.0};
    unsigned k;
    size_t i;
    int rc;

    st->gamma[0] = 0.0;
    for (k = 1; k <= MAX_ORDER; k++) {
        st->gamma[k] = st->gamma[k - 1] + 1.0 / (double)k;
    }
    for (k = 0; k <= MAX_ORDER; k++) {
        st->alpha[k] = (1.0 - kappa[k]) * st->gamma[k];
        st->error_const[k] = kappa[k] * st->gamma[k] + 1.0 / (double)(k + 1);
    }
    st->error_const[MAX_ORDER + 1] = 1.0 / (double)(MAX_ORDER + 2);

    rc = ivp_rhs_eval(s, s->t, s->y, st->fv, err);
    if (rc != 0) {
        return rc > 0 ? ivp_recover_fail(s, "at the initial point", err) : (ivp_status)rc;
    }
    if (s->first_step > 0.0) {
        s->h_abs = s->first_step;
    } else {
        ivp_status rc2 = ivp_select_initial_step(s, st->fv, 1.0, st->work, st->dy, &s->h_abs, err);
        if (rc2 != IVP_OK) {
            return rc2;
        }
    }
    st->newton_tol = fmax(10.0 * IVP_EPS / s->rtol, fmin(0.03, sqrt(s->rtol)));
    rc = bdf_jac(s, st, s->t, s->y, err);
    if (rc != 0) {
        return rc > 0 ? ivp_error_set(err, IVP_ERR_JAC,
                                      "the Jacobian could not be evaluated at t0 = %.17g", s->t)
                      : (ivp_status)rc;
    }
    memcpy(drow(st, n, 0), s->y, n * sizeof *s->y);
    for (i = 0; i < n; i++) {
        drow(st, n, 1)[i] = st->fv[i] * s->h_abs * s->dir;
    }
    st->order = 1;
    st->n_equal_steps = 0;
    st->lu_valid = 0;
    return IVP_OK;
}

/* Newton iteration for the BDF system. Returns 1 converged, 0 not, 2 not because the rhs
 * failed, or a negative status. The solution goes to st->ynew, the correction to st->dvec. */
static int bdf_newton(ivp_stepper *s, bdf_state *st, double t_new, double c, int *n_iter,
                      ivp_error *err)
{
    const size_t n = s->n;
    double dy_norm_old = -1.0;
    size_t i;
    int k;
    memset(st->dvec, 0, n * sizeof *st->dvec);
    memcpy(st->ynew, st->y_pred, n * sizeof *st->ynew);
    for (k = 0; k < NEWTON_MAXITER; k++) {
        double dy_norm, rate = -1.0;
        int rc;
        *n_iter = k + 1;
        rc = ivp_rhs_eval(s, t_new, st->ynew, st->fv, err);
        if (rc < 0) {
            return rc;
        }
        if (rc > 0) {
            return 2;
        }
        for (i = 0; i < n; i++) {
            st->dy[i] = c * st->fv[i] - st->psi[i] - st->dvec[i];
        }
        ivp_linsolver_solve(st->lu, st->dy);
        /* The update goes with the norm, ahead of the test: when the test fails, ynew and
         * dvec are not used (the next attempt starts again from y_pred). */
        {
            double acc = 0.0;
            for (i = 0; i < n; i++) {
                const double d = st->dy[i], q = d / st->scale[i];
                acc += q * q;
                st->ynew[i] += d;
                st->dvec[i] += d;
            }
            dy_norm = ivp_rms_finish(acc, n);
        }
        if (dy_norm_old >= 0.0) {
            rate = dy_norm / dy_norm_old;
        }
        if (rate >= 0.0 && (rate >= 1.0 || ivp_newton_diverges(rate, NEWTON_MAXITER - k, dy_norm,
                                                               st->newton_tol))) {
            return 0;
        }
        if (dy_norm == 0.0 || (rate >= 0.0 && rate / (1.0 - rate) * dy_norm < st->newton_tol)) {
            return 1;
        }
        dy_norm_old = dy_norm;
    }
    return 0;
}

static ivp_status bdf_step(ivp_stepper *s, ivp_error *err)
{
    bdf_state *st = s->state;
    const size_t n = s->n;
    const double t = s->t;
    const double min_step = ivp_min_step(s);
    double h_abs, h = 0.0, t_new = t, error_norm = 0.0, safety = 0.0;
    unsigned order = st->order, j;
    int current_jac = 0, n_iter = 0, saw_failure = 0, recovered = 0, at_min = 0;
    size_t i;
    int rc;

    if (s->h_abs > s->max_step) {
        h_abs = s->max_step;
        change_d(st, n, order, s->max_step / s->h_abs);
        st->n_equal_steps = 0;
    } else if (s->h_abs < min_step) {
        h_abs = min_step;
        change_d(st, n, order, min_step / s->h_abs);
        st->n_equal_steps = 0;
    } else {
        h_abs = s->h_abs;
    }

    for (;;) {
        double c;
        int converged = 0;
        if (h_abs < min_step) {
            if (!ivp_try_min_step(s, min_step, &at_min)) {
                return ivp_step_too_small(s, h_abs, min_step, saw_failure, err);
            }
            change_d(st, n, order, min_step / h_abs);
            st->n_equal_steps = 0;
            h_abs = min_step;
        }
        h = h_abs * s->dir;
        t_new = t + h;
        if (s->dir * (t_new - s->t_bound) > 0.0) {
            t_new = s->t_bound;
            change_d(st, n, order, fabs(t_new - t) / h_abs);
            st->n_equal_steps = 0;
            st->lu_valid = 0;
        }
        h = t_new - t;
        h_abs = fabs(h);

        /* y_pred = sum D[0..order], psi = sum D[j] gamma[j] / alpha, scale: one pass */
        {
            const double *d = st->d_arr, *g = st->gamma, alpha = st->alpha[order];
            for (i = 0; i < n; i++) {
                double yp = d[i], ps = 0.0;
                for (j = 1; j <= order; j++) {
                    const double dj = d[(size_t)j * n + i];
                    yp += dj;
                    ps += dj * g[j];
                }
                st->y_pred[i] = yp;
                st->psi[i] = ps / alpha;
                st->scale[i] = s->atol[i] + s->rtol * fabs(yp);
            }
        }
        c = h / st->alpha[order];

        for (;;) {
            if (!st->lu_valid) {
                ivp_status fs = ivp_linsolver_factor(st->lu, 1.0, -c, &st->jac.J, err);
                s->nlu++;
                if (fs != IVP_OK) {
                    char why[IVP_ERROR_MSG_MAX];
                    snprintf(why, sizeof why, "%s", err->msg);
                    return ivp_error_set(err, fs, "BDF: %s at t = %.17g (h = %.3g)", why, t, h);
                }
                st->lu_valid = 1;
            }
            rc = bdf_newton(s, st, t_new, c, &n_iter, err);
            if (rc < 0) {
                return (ivp_status)rc;
            }
            if (rc == 2) {
                saw_failure = 1;
                if (s->last_rhs_code != 0) {
                    s->recover_run++;
                    recovered = 1;
                }
                rc = 0;
            }
            converged = rc;
            if (converged || current_jac) {
                break;
            }
            rc = bdf_jac(s, st, t_new, st->y_pred, err);
            if (rc < 0) {
                return (ivp_status)rc;
            }
            if (rc > 0) {
                saw_failure = 1;
                break;
            }
            st->lu_valid = 0;
            current_jac = 1;
        }
        if (!converged) {
            h_abs *= 0.5;
            change_d(st, n, order, 0.5);
            st->n_equal_steps = 0;
            st->lu_valid = 0;
            s->n_rejected++;
            if (s->recover_run >= IVP_MAX_RECOVERABLE) {
                s->h_abs = h_abs;
                return ivp_recover_fail(s, "10 attempts in a row failed", err);
            }
            continue;
        }

        safety = 0.9 * (2.0 * NEWTON_MAXITER + 1.0) / (2.0 * NEWTON_MAXITER + (double)n_iter);
        {
            const double ec = st->error_const[order];
            double acc = 0.0;
            for (i = 0; i < n; i++) {
                const double sc = s->atol[i] + s->rtol * fabs(st->ynew[i]);
                const double q = ec * st->dvec[i] / sc;
                st->scale[i] = sc;
                acc += q * q;
            }
            error_norm = ivp_rms_finish(acc, n);
        }
        if (error_norm > 1.0) {
            double factor = safety * pow(error_norm, -1.0 / ((double)order + 1.0));
            if (!(factor > BDF_MIN_FACTOR)) {
                factor = BDF_MIN_FACTOR;
            }
            h_abs *= factor;
            change_d(st, n, order, factor);
            st->n_equal_steps = 0;
            s->n_rejected++;
            /* as scipy: the LU is kept, although c has changed */
            continue;
        }
        break;
    }

    st->n_equal_steps++;
    memcpy(s->y_old, s->y, n * sizeof *s->y);
    memcpy(s->y, st->ynew, n * sizeof *s->y);
    s->t_old = t;
    s->t = t_new;
    s->h_abs = h_abs;
    if (!recovered) {
        s->recover_run = 0;
    }

    /* D^(j+1) y_n = D^j y_n - D^j y_(n-1), with d = D^(k+1) y_n. */
    {
        double *d = st->d_arr;
        for (i = 0; i < n; i++) {
            const double dv = st->dvec[i];
            double acc = dv;
            d[(size_t)(order + 2) * n + i] = dv - d[(size_t)(order + 1) * n + i];
            d[(size_t)(order + 1) * n + i] = dv;
            for (j = order + 1; j-- > 0;) {
                acc += d[(size_t)j * n + i];
                d[(size_t)j * n + i] = acc;
            }
        }
    }
    if (st->n_equal_steps < order + 1) {
        return IVP_OK;
    }
    {
        double norms[3], factors[3], best;
        unsigned arg = 0, q;
        /* both norms in one pass; the one of an order out of range is infinite */
        {
            const double *dm = drow(st, n, order), *dp = drow(st, n, order + 2);
            const double em = st->error_const[order - 1], ep = st->error_const[order + 1];
            double acc_m = 0.0, acc_p = 0.0;
            if (order > 1 && order < MAX_ORDER) {
                for (i = 0; i < n; i++) {
                    const double qm = em * dm[i] / st->scale[i];
                    const double qp = ep * dp[i] / st->scale[i];
                    acc_m += qm * qm;
                    acc_p += qp * qp;
                }
            } else if (order > 1) {
                for (i = 0; i < n; i++) {
                    const double qm = em * dm[i] / st->scale[i];
                    acc_m += qm * qm;
                }
            } else {
                for (i = 0; i < n; i++) {
                    const double qp = ep * dp[i] / st->scale[i];
                    acc_p += qp * qp;
                }
            }
            norms[0] = order > 1 ? ivp_rms_finish(acc_m, n) : HUGE_VAL;
            norms[2] = order < MAX_ORDER ? ivp_rms_finish(acc_p, n) : HUGE_VAL;
        }
        norms[1] = error_norm;
        /* pow(+inf, y < 0) = +0 exactly (C17 F.10.4.4) */
        for (q = 0; q < 3; q++) {
            factors[q] = norms[q] == HUGE_VAL ? 0.0
                                              : pow(norms[q], -1.0 / ((double)order + (double)q));
        }
        best = factors[0];
        for (q = 1; q < 3; q++) {
            if (factors[q] > best) {
                best = factors[q];
                arg = q;
            }
        }
        order = order + arg - 1;
        st->order = order;
        s->h_abs *= fmin(BDF_MAX_FACTOR, safety * best);
        change_d(st, n, order, fmin(BDF_MAX_FACTOR, safety * best));
        st->n_equal_steps = 0;
        st->lu_valid = 0;
    }
    return IVP_OK;
}

/* y(t') = D0 + sum_{j=1..k} D_j prod_{m<j} (t' - t + m h)/((m+1) h), h = the next step (signed,
 * D already rescaled for it), rewritten in x = (t' - t_old)/H, H = t - t_old. */
static ivp_status bdf_dense(ivp_stepper *s, double *a, ivp_error *err)
{
    bdf_state *st = s->state;
    const size_t n = s->n;
    const unsigned order = st->order;
    const double hn = s->h_abs * s->dir, big_h = s->t - s->t_old;
    double poly[MAX_ORDER + 1];
    unsigned j, k;
    size_t i;
    (void)err;
    memset(a, 0, (MAX_ORDER + 1) * n * sizeof *a);
    memcpy(a, drow(st, n, 0), n * sizeof *a);
    poly[0] = 1.0;
    for (k = 1; k <= MAX_ORDER; k++) {
        poly[k] = 0.0;
    }
    for (j = 1; j <= order; j++) {
        /* multiply poly by (alpha x + beta), the factor with m = j - 1 */
        const double m = (double)(j - 1);
        const double den = (m + 1.0) * hn;
        const double alpha = big_h / den, beta = (m * hn - big_h) / den;
        const double *dj = drow(st, n, j);
        for (k = j; k > 0; k--) {
            poly[k] = poly[k] * beta + poly[k - 1] * alpha;
        }
        poly[0] *= beta;
        for (k = 0; k <= j; k++) {
            double *ak = a + (size_t)k * n;
            const double pk = poly[k];
            for (i = 0; i < n; i++) {
                ak[i] += dj[i] * pk;
            }
        }
    }
    return IVP_OK;
}

const ivp_method_type ivp_method_bdf = {
    .alloc = bdf_alloc,
    .reset = bdf_reset,
    .init = bdf_init,
    .step = bdf_step,
    .dense = bdf_dense,
    .free = bdf_free,
};
