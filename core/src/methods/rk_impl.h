/* SPDX-License-Identifier: MIT
 * core/src/methods/rk_impl.h - private: the explicit Runge-Kutta engine shared by RK23, RK45
 * and DOP853 (scipy's RungeKutta class: one step-size controller, different tableaus).
 */
#ifndef IVP_SRC_METHODS_RK_IMPL_H
#define IVP_SRC_METHODS_RK_IMPL_H

#include "ivp_impl.h"

typedef struct rk_state rk_state;

/* Butcher tableau plus what differs between the methods. A is packed lower-triangular: row s
 * (stage s, s >= 1) holds a[s][0..s-1] starting at offset s(s-1)/2. */
typedef struct rk_tableau {
    unsigned n_stages;       /* S: stages per step (3, 6, 12) */
    unsigned n_rows;         /* rows of K kept: S + 1 (f_new), DOP853 16 (dense stages) */
    unsigned error_order;    /* error estimator order: 2, 4, 7 */
    const double *c;         /* n_rows nodes */
    const double *a;         /* packed rows 1..n_rows-1 */
    const double *b;         /* S weights */
    const double *e;         /* S + 1 error weights (RK23/RK45); NULL for DOP853 */
    const double *p;         /* (S + 1) x dense_cols interpolant matrix (RK23/RK45) */
    unsigned dense_cols;     /* columns of p = interpolant degree */
    /* Error norm of the step (scipy's _estimate_error_norm); default (NULL): the RMS norm of
     * h * sum_j e_j K_j / scale. */
    double (*error_norm)(const rk_state *st, size_t n, double h, const double *scale);
    /* Interpolant coefficients (ivp_method_type.dense); NULL: the generic K^T P form. */
    ivp_status (*dense)(ivp_stepper *s, double *a, ivp_error *err);
} rk_tableau;

struct rk_state {
    const rk_tableau *tab;
    double *k;         /* n_rows x n stage derivatives, row j = K_j */
    double *f;         /* f(t, y) */
    double *y_new;     /* candidate state */
    double *scale;     /* error scale */
    double *work;      /* stage argument */
    double h_previous; /* signed size of the last accepted step */
};

ivp_status ivp_rk_alloc(ivp_stepper *s, const rk_tableau *tab, ivp_error *err);
void ivp_rk_reset(ivp_stepper *s);
ivp_status ivp_rk_init(ivp_stepper *s, ivp_error *err);
ivp_status ivp_rk_step(ivp_stepper *s, ivp_error *err);
ivp_status ivp_rk_dense(ivp_stepper *s, double *a, ivp_error *err);
void ivp_rk_free(ivp_stepper *s);

/* out[i] = sum_{j < m} w[j] K_j[i] (rows of K with n columns). */
void ivp_rk_combine(size_t n, unsigned m, const double *w, const double *k, double *out);

#endif /* IVP_SRC_METHODS_RK_IMPL_H */
