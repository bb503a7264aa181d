/* SPDX-License-Identifier: MIT
 * core/src/common.c - machinery every method shares: the counted rhs call, norms, the
 * minimum step, scipy's initial step selection, and the method registry.
 *
 * Reference: scipy 1.10.1 scipy/integrate/_ivp/common.py and base.py (behaviour, not code);
 * Hairer, Norsett, Wanner, Solving ODEs I, section II.4 (initial step).
 */
#include "ivp_impl.h"

#include <ctype.h>
#include <math.h>
#include <string.h>

#define IVP_RHS_CHECK_SUM 16

int ivp_rhs_eval(ivp_stepper *s, double t, const double *y, double *f, ivp_error *err)
{
    const ivp_system *sys = s->sys;
    size_t i, n = s->n;
    int rc = sys->rhs(t, y, f, sys->ctx);
    s->nfev++;
    if (rc < 0) {
        return ivp_error_set(err, IVP_ERR_RHS, "rhs returned %d (fatal) at t = %.17g", rc, t);
    }
    if (rc > 0) {
        s->last_rhs_code = rc;
        s->last_fail_t = t;
        s->last_fail_what = "rhs";
        return 1;
    }
    /* Non-finite derivatives are recoverable: a smaller step may avoid them. From
     * IVP_RHS_CHECK_SUM components on the sum of f[i] * 0 (0 when all are finite) is a cheap
     * vectorisable test, and only on failure do we look for the component. Below, a scalar
     * test per component: the vectorised sum would load, two at a time, values the rhs has
     * just stored one at a time, which stalls (the stores cannot be forwarded to the load)
     * for about as long as a small system's rhs takes. */
    if (n >= IVP_RHS_CHECK_SUM) {
        double acc = 0.0;
        for (i = 0; i < n; i++) {
            acc += f[i] * 0.0;
        }
        if (acc == 0.0) {
            return 0;
        }
    }
    for (i = 0; i < n; i++) {
        if (!isfinite(f[i])) {
            break;
        }
    }
    if (i == n) {
        return 0;
    }
    s->last_rhs_code = 0;
    s->last_nonfinite = i;
    s->last_fail_t = t;
    s->last_fail_what = "rhs";
    return 1;
}

ivp_status ivp_recover_fail(ivp_stepper *s, const char *why, ivp_error *err)
{
    const char *what = s->last_fail_what != NULL ? s->last_fail_what : "rhs";
    const int is_rhs = strcmp(what, "rhs") == 0;
    const ivp_status st = is_rhs ? IVP_ERR_RHS : IVP_ERR_JAC;
    if (s->last_rhs_code == 0 && is_rhs) {
        return ivp_error_set(err, st, "dydt[%zu] is not finite at t = %.17g (%s; step size %.3g)",
                             s->last_nonfinite, s->last_fail_t, why, s->h_abs);
    }
    if (s->last_rhs_code == 0) {
        return ivp_error_set(err, st,
                             "%s gave a non-finite value in row %zu at t = %.17g (%s; step size "
                             "%.3g)",
                             what, s->last_nonfinite, s->last_fail_t, why, s->h_abs);
    }
    return ivp_error_set(err, st, "%s returned %d (recoverable) at t = %.17g (%s; step size %.3g)",
                         what, s->last_rhs_code, s->last_fail_t, why, s->h_abs);
}

ivp_status ivp_jac_fail_count(ivp_stepper *s, int rc, ivp_error *err)
{
    if (rc == 0) {
        s->jac_fail_run = 0;
        return IVP_OK;
    }
    if (++s->jac_fail_run >= IVP_MAX_RECOVERABLE) {
        return ivp_recover_fail(s, "10 Jacobian evaluations in a row failed", err);
    }
    return IVP_OK;
}

ivp_status ivp_step_too_small(ivp_stepper *s, double h_abs, double min_step, int saw_failure,
                              ivp_error *err)
{
    s->h_abs = h_abs;
    if (s->recover_run > 0 || saw_failure) {
        return ivp_recover_fail(s, "the step size fell below the minimum", err);
    }
    if (s->min_step > 0.0 && min_step == s->min_step) {
        return ivp_error_set(err, IVP_ERR_STEP,
                             "%s: required step size %.3g is less than min_step %.3g at "
                             "t = %.17g",
                             s->info->name, h_abs, s->min_step, s->t);
    }
    return ivp_error_set(err, IVP_ERR_STEP,
                         "%s: required step size is less than spacing between numbers at "
                         "t = %.17g (h = %.3g)",
                         s->info->name, s->t, h_abs);
}

int ivp_try_min_step(const ivp_stepper *s, double min_step, int *at_min)
{
    if (*at_min || !(s->min_step > 0.0) || min_step != s->min_step) {
        return 0;
    }
    *at_min = 1;
    return 1;
}

double ivp_min_step(const ivp_stepper *s)
{
    double spacing = 10.0 * fabs(nextafter(s->t, s->dir > 0.0 ? HUGE_VAL : -HUGE_VAL) - s->t);
    return spacing > s->min_step ? spacing : s->min_step;
}

/* Norm with scale = atol + |y0| rtol, as select_initial_step uses it. */
static double initial_norm(const ivp_stepper *s, const double *v, const double *y0)
{
    double acc = 0.0;
    size_t i;
    for (i = 0; i < s->n; i++) {
        double q = v[i] / (s->atol[i] + fabs(y0[i]) * s->rtol);
        acc += q * q;
    }
    return sqrt(acc / (double)s->n);
}

ivp_status ivp_select_initial_step(ivp_stepper *s, const double *f0, double order, double *work,
                                   double *f1, double *h, ivp_error *err)
{
    const double *y0 = s->y;
    size_t i, n = s->n;
    double d0 = initial_norm(s, y0, y0);
    double d1 = initial_norm(s, f0, y0);
    double h0, h1, d2, acc = 0.0;
    int rc;

    if (d0 < 1e-5 || d1 < 1e-5) {
        h0 = 1e-6;
    } else {
        h0 = 0.01 * d0 / d1;
    }
    for (i = 0; i < n; i++) {
        work[i] = y0[i] + h0 * s->dir * f0[i];
    }
    rc = ivp_rhs_eval(s, s->t + h0 * s->dir, work, f1, err);
    if (rc != 0) {
        if (rc > 0) {
            return ivp_recover_fail(s, "while choosing the initial step; give first_step", err);
        }
        return (ivp_status)rc;
    }
    for (i = 0; i < n; i++) {
        double q = (f1[i] - f0[i]) / (s->atol[i] + fabs(y0[i]) * s->rtol);
        acc += q * q;
    }
    d2 = sqrt(acc / (double)n) / h0;
    if (d1 <= 1e-15 && d2 <= 1e-15) {
        h1 = fmax(1e-6, h0 * 1e-3);
    } else {
        h1 = pow(0.01 / fmax(d1, d2), 1.0 / (order + 1.0));
    }
    *h = fmin(100.0 * h0, h1);
    return IVP_OK;
}

/* ---- registry ---- */

/* The one list of methods: name, dense degree, flags, statistics, implementation, help. Every
 * other list (ivp_methods, ivp_method_names, the spec's validation, the CLI's help) is made
 * from it. */
#define IVP_METHOD_TABLE(X)                                                                        \
    X("RK23", 3, 0, NULL, &ivp_method_rk23,                                                        \
      "explicit Runge-Kutta 3(2), Bogacki-Shampine: non-stiff, loose tolerances")                  \
    X("RK45", 4, 0, NULL, &ivp_method_rk45,                                                        \
      "explicit Runge-Kutta 5(4), Dormand-Prince: non-stiff (the default)")                        \
    X("DOP853", 7, 0, NULL, &ivp_method_dop853,                                                    \
      "explicit Runge-Kutta 8(5,3), Hairer's DOP853: non-stiff, tight tolerances")                 \
    X("Radau", 3, IVP_METHOD_IMPLICIT, NULL, &ivp_method_radau,                                    \
      "implicit Runge-Kutta Radau IIA, order 5: stiff, tight tolerances")                          \
    X("BDF", 5, IVP_METHOD_IMPLICIT, NULL, &ivp_method_bdf,                                        \
      "variable-order BDF/NDF (orders 1-5), as MATLAB's ode15s: stiff")                            \
    X("LSODA", 12, IVP_METHOD_IMPLICIT, ivp_lsoda_stat_names, &ivp_method_lsoda,                   \
      "ODEPACK's Adams/BDF with automatic stiffness switching: stiffness unknown")

#define IVP_METHOD_INFO(name, deg, flags, stats, impl, help) {name, help, deg, flags, stats, impl},
static const ivp_method_info methods[] = {IVP_METHOD_TABLE(IVP_METHOD_INFO)};
#define N_METHODS (sizeof methods / sizeof methods[0])

#define IVP_METHOD_NAME(name, deg, flags, stats, impl, help) name,
static const char *const method_names[] = {IVP_METHOD_TABLE(IVP_METHOD_NAME) NULL};

static int name_eq(const char *a, const char *b)
{
    for (; *a != '\0' && *b != '\0'; a++, b++) {
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b)) {
            return 0;
        }
    }
    return *a == *b;
}

const ivp_method_info *ivp_methods(size_t *count)
{
    if (count != NULL) {
        *count = N_METHODS;
    }
    return methods;
}

const ivp_method_info *ivp_method_info_find(const char *name)
{
    size_t k;
    if (name == NULL) {
        return NULL;
    }
    for (k = 0; k < N_METHODS; k++) {
        if (name_eq(name, methods[k].name)) {
            return &methods[k];
        }
    }
    return NULL;
}

const char *const *ivp_method_names(void)
{
    return method_names;
}

const char *ivp_method_canonical(const char *name)
{
    const ivp_method_info *m = ivp_method_info_find(name);
    return m != NULL ? m->name : NULL;
}

unsigned ivp_method_dense_degree(const char *name)
{
    const ivp_method_info *m = ivp_method_info_find(name);
    return m != NULL ? m->dense_degree : 0;
}

int ivp_method_is_implicit(const char *name)
{
    const ivp_method_info *m = ivp_method_info_find(name);
    return m != NULL && (m->flags & IVP_METHOD_IMPLICIT) != 0;
}

const ivp_method_type *ivp_method_find(const char *name)
{
    const ivp_method_info *m = ivp_method_info_find(name);
    return m != NULL ? m->impl : NULL;
}

unsigned long ivp_result_stat(const ivp_result *res, const char *name)
{
    size_t k;
    for (k = 0; k < res->n_stats && k < IVP_MAX_STATS; k++) {
        if (res->stats[k].name != NULL && strcmp(res->stats[k].name, name) == 0) {
            return res->stats[k].value;
        }
    }
    return 0;
}
