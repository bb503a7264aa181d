/* SPDX-License-Identifier: MIT
 * core/src/jacobian.h - private: the Jacobian the implicit methods use, from the plugin
 * (dense 'jac' or sparse 'jac_values') or by finite differences as scipy's num_jac does them
 * (adaptive increments that persist between calls; columns grouped by Curtis-Powell-Reid when
 * the structure is known, so a banded or sparse Jacobian costs a few rhs calls, not n).
 *
 * Layout (linalg.h) is chosen once from the system: a sparsity pattern (sp_rows/sp_cols)
 * gives IVP_MAT_SPARSE, lband/uband give IVP_MAT_BAND, otherwise IVP_MAT_DENSE.
 */
#ifndef IVP_SRC_JACOBIAN_H
#define IVP_SRC_JACOBIAN_H

#include "ivp_impl.h"
#include "linalg/linalg.h"

typedef enum ivp_jac_source {
    IVP_JSRC_DENSE = 0, /* the system's dense row-major jac */
    IVP_JSRC_VALUES,    /* the system's jac_values at (sp_rows[k], sp_cols[k]) */
    IVP_JSRC_FD         /* finite differences (num_jac) */
} ivp_jac_source;

typedef struct ivp_jac {
    ivp_matrix J; /* the current Jacobian */
    ivp_jac_source source;
    int count_fd; /* FD rhs calls count in nfev (LSODA) or not (Radau, BDF) */
    size_t n;
    const ivp_allocator *alloc;
    /* finite differences */
    double *factor;                /* per column, persists between calls (scipy's jac_factor) */
    size_t n_groups;               /* CPR groups (n when dense) */
    size_t *group;                 /* group of each column */
    double *ypert, *fpert, *hstep; /* work, n each */
    double *diff;                  /* n: largest difference per column (num_jac's max_diff) */
    double *fsave;                 /* n: its scale, max(|f_r|, |f_new_r|) */
    /* plugin */
    double *rowmajor; /* n*n buffer for a dense plugin jac (dense layout only) */
    double *vals;     /* sp_nnz values from jac_values */
    size_t n_vals;    /* sp_nnz */
    size_t *vpos;     /* position in J.v of each jac_values entry */
} ivp_jac;

/* Sets up storage and work for sys (layout as above; source: the plugin's jac_values if the
 * system has it and a pattern, else its dense jac when the layout is dense, else finite
 * differences). count_fd: whether FD rhs calls count in nfev. */
ivp_status ivp_jac_init(ivp_jac *jc, const ivp_system *sys, int count_fd, const ivp_allocator *a,
                        ivp_error *err);

/* Evaluates J at (t, y); f = f(t, y) must be given (finite differences start from it).
 * threshold: per-component absolute floor for the increments (scipy passes atol).
 * Returns 0, 1 for a recoverable failure (the plugin or an FD rhs call returned > 0 or a
 * non-finite value), or a negative status with err filled. Does not count njev. */
int ivp_jac_eval(ivp_jac *jc, ivp_stepper *s, double t, const double *y, const double *f,
                 const double *threshold, ivp_error *err);

/* Back to the state ivp_jac_init left (values zeroed, the finite-difference increments
 * forgotten), keeping the layout and the column groups; for a new solve. Allocates nothing. */
void ivp_jac_reset(ivp_jac *jc);

void ivp_jac_free(ivp_jac *jc);

#endif /* IVP_SRC_JACOBIAN_H */
