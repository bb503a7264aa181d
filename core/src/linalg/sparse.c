/* SPDX-License-Identifier: MIT
 * core/src/linalg/sparse.c - sparse LU of alpha*I + beta*A with SuiteSparse KLU (Davis &
 * Palamadai Natarajan, "Algorithm 907: KLU, a direct sparse solver for circuit simulation
 * problems", ACM TOMS 37(3), 2010).
 *
 * The pattern never changes during a solve, so the symbolic analysis (BTF + AMD ordering) is
 * done once, in init. The first factor runs klu_factor (partial pivoting, which creates the
 * Numeric object); later ones reuse its pivot sequence with klu_refactor, which allocates
 * nothing. Pivots chosen for old values can be poor for new ones (the alpha of alpha*I + beta*A
 * changes with the step size, which moves the best pivots on or off the diagonal), so the
 * Numeric object is rebuilt once with a fresh klu_factor when klu_refactor fails (a zero
 * pivot), when the crude reciprocal condition number min|U(k,k)| / max|U(k,k)| (klu_rcond)
 * drops below eps^(2/3) (SUNDIALS' sunlinsol_klu uses this bound), or when the reciprocal
 * pivot growth (klu_rgrowth, max|A(:,j)| / max|U(:,j)| minimised over j) falls below a
 * hundredth of what the last fresh pivoting achieved: backward error grows with pivot growth
 * (Higham, Accuracy and Stability of Numerical Algorithms, 2nd ed., Thm. 9.3), and a random
 * 200 x 200 test system refactored with diagonal pivots after alpha shrank from 5 to 0.05
 * showed a growth of 7e4 and a residual of 8e-12 relative, which this test catches. KLU takes
 * int indices and allocates with SuiteSparse's own malloc, not with ivp's allocator (its
 * Numeric objects are the documented exception in linalg.h).
 */
#include "linalg/backend.h"
#include "linalg/linalg_impl.h"

#include <klu.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>

typedef struct sparse_klu {
    klu_common common;      /* KLU's parameters and statistics */
    klu_symbolic *symbolic; /* ordering of the pattern, from init */
    klu_numeric *numeric;   /* factors; NULL before the first factor or after a failed one */
    int *ap;                /* n + 1: column pointers as int */
    int *ai;                /* nnz: row indices as int */
    double *x;              /* nnz (real) or 2*nnz (complex, interleaved): alpha I + beta A */
    size_t *diag;           /* n: position of (j, j) among the nonzeros */
    double *w;              /* 2*n: interleaved right-hand side (complex only) */
    double rgrowth_fresh;   /* reciprocal pivot growth of the last klu_factor */
    int n;
    const ivp_klu_api *klu; /* KLU, loaded on first use */
} sparse_klu;

/* Refactorisations whose crude reciprocal condition number falls below this are redone with
 * fresh pivoting: eps^(2/3). */
#define KLU_RCOND_REFACTOR 3.6706314341063916e-11
/* ... and those whose reciprocal pivot growth falls below this fraction of the last fresh
 * factorisation's (at most 10 times its growth). */
#define KLU_RGROWTH_REFACTOR 0.1
/* Threshold partial pivoting: the diagonal is kept as pivot while |A(j,j)| >= this times the
 * largest entry below it (KLU's default, 0.001, suits circuit matrices; it let a pivot growth
 * of 4e4 through on a random test system, see tests/linalg). */
#define KLU_PIVOT_TOL 0.1

static void sparse_free(ivp_linsolver *ls)
{
    sparse_klu *s = ls->state;
    if (s == NULL) {
        return;
    }
    if (s->numeric != NULL) {
        s->klu->free_numeric(&s->numeric, &s->common);
    }
    if (s->symbolic != NULL) {
        s->klu->free_symbolic(&s->symbolic, &s->common);
    }
    ivp_free(&ls->alloc, s->ap);
    ivp_free(&ls->alloc, s->ai);
    ivp_free(&ls->alloc, s->x);
    ivp_free(&ls->alloc, s->diag);
    ivp_free(&ls->alloc, s->w);
    ivp_free(&ls->alloc, s);
    ls->state = NULL;
}

static ivp_status sparse_init(ivp_linsolver *ls, const ivp_matrix *pattern, ivp_error *err)
{
    const ivp_allocator *a = &ls->alloc;
    size_t n = ls->n, nnz = pattern->nnz, j, k;
    sparse_klu *s;
    const ivp_klu_api *klu;
    ivp_status st = IVP_OK;
    if (n > INT_MAX - 1 || nnz > INT_MAX) {
        return ivp_error_set(err, IVP_ERR_ARG,
                             "sparse LU (KLU): n = %zu, nnz = %zu exceed KLU's int range "
                             "(at most %d)",
                             n, nnz, INT_MAX);
    }
    klu = ivp_backend_klu(err);
    if (klu == NULL) {
        return IVP_ERR_LINALG;
    }
    s = ivp_calloc(a, 1, sizeof *s);
    ls->state = s;
    if (s == NULL) {
        st = ivp_error_set(err, IVP_ERR_NOMEM, "sparse LU (KLU): cannot allocate its state");
        goto fail;
    }
    s->klu = klu;
    s->n = (int)n;
    s->ap = ivp_calloc(a, n + 1, sizeof *s->ap);
    s->ai = ivp_calloc(a, nnz, sizeof *s->ai);
    s->x = ivp_calloc(a, (ls->is_complex ? 2 : 1) * nnz, sizeof *s->x);
    s->diag = ivp_calloc(a, n, sizeof *s->diag);
    s->w = ls->is_complex ? ivp_calloc(a, 2 * n, sizeof *s->w) : NULL;
    if (s->ap == NULL || s->ai == NULL || s->x == NULL || s->diag == NULL ||
        (ls->is_complex && s->w == NULL)) {
        st = ivp_error_set(err, IVP_ERR_NOMEM,
                           "sparse LU (KLU): cannot allocate workspace for n = %zu, nnz = %zu", n,
                           nnz);
        goto fail;
    }
    for (j = 0; j <= n; j++) {
        s->ap[j] = (int)pattern->colptr[j];
    }
    for (k = 0; k < nnz; k++) {
        s->ai[k] = (int)pattern->rowind[k];
    }
    for (j = 0; j < n; j++) {
        size_t pos = ivp_matrix_index(pattern, j, j);
        if (pos == (size_t)-1) {
            st = ivp_error_set(err, IVP_ERR_ARG,
                               "sparse LU (KLU): the pattern lacks the diagonal entry (%zu, %zu)",
                               j, j);
            goto fail;
        }
        s->diag[j] = pos;
    }
    s->klu->defaults(&s->common);
    s->common.tol = KLU_PIVOT_TOL;
    s->symbolic = s->klu->analyze(s->n, s->ap, s->ai, &s->common);
    if (s->symbolic == NULL) {
        st = ivp_error_set(err,
                           s->common.status == KLU_OUT_OF_MEMORY ? IVP_ERR_NOMEM : IVP_ERR_LINALG,
                           "sparse LU (KLU): symbolic analysis failed (KLU status %d) for n = "
                           "%zu, nnz = %zu",
                           s->common.status, n, nnz);
        goto fail;
    }
    return IVP_OK;

fail:
    sparse_free(ls);
    return st;
}

/* Crude reciprocal condition estimate of the current factors (NaN when it cannot be
 * computed, e.g. overflow in U). */
static double sparse_rcond(sparse_klu *s, int is_complex)
{
    int ok = is_complex ? s->klu->z_rcond(s->symbolic, s->numeric, &s->common)
                        : s->klu->rcond(s->symbolic, s->numeric, &s->common);
    return ok ? s->common.rcond : (double)NAN;
}

/* Reciprocal pivot growth of the current factors of s->x (0 when it cannot be computed). */
static double sparse_rgrowth(sparse_klu *s, int is_complex)
{
    int ok = is_complex ? s->klu->z_rgrowth(s->ap, s->ai, s->x, s->symbolic, s->numeric, &s->common)
                        : s->klu->rgrowth(s->ap, s->ai, s->x, s->symbolic, s->numeric, &s->common);
    return ok ? s->common.rgrowth : 0.0;
}

static ivp_status sparse_factor(ivp_linsolver *ls, double alpha_re, double alpha_im, double beta,
                                const ivp_matrix *A, ivp_error *err)
{
    sparse_klu *s = ls->state;
    size_t n = ls->n, nnz = ls->nnz, j, k;
    const double *restrict v = A->v;
    double *restrict x = s->x;
    double acc = 0.0;
    int cplx = ls->is_complex;

    if (!isfinite(alpha_re) || !isfinite(alpha_im) || !isfinite(beta)) {
        return ivp_error_set(err, IVP_ERR_LINALG,
                             "sparse LU (KLU): non-finite coefficient (alpha = %g%+gi, beta = %g)",
                             alpha_re, alpha_im, beta);
    }
    if (cplx) {
        for (k = 0; k < nnz; k++) {
            x[2 * k] = beta * v[k];
            x[2 * k + 1] = 0.0;
            acc += v[k] * 0.0;
        }
        for (j = 0; j < n; j++) {
            x[2 * s->diag[j]] += alpha_re;
            x[2 * s->diag[j] + 1] = alpha_im;
        }
    } else {
        for (k = 0; k < nnz; k++) {
            x[k] = beta * v[k];
            acc += v[k] * 0.0;
        }
        for (j = 0; j < n; j++) {
            x[s->diag[j]] += alpha_re;
        }
    }
    if (acc != 0.0) {
        for (j = 0; j < n; j++) {
            for (k = A->colptr[j]; k < A->colptr[j + 1]; k++) {
                if (!isfinite(v[k])) {
                    return ivp_error_set(err, IVP_ERR_LINALG,
                                         "sparse LU (KLU): matrix A has non-finite value %g at "
                                         "(%zu, %zu)",
                                         v[k], A->rowind[k], j);
                }
            }
        }
    }

    if (s->numeric != NULL) {
        int ok = cplx ? s->klu->z_refactor(s->ap, s->ai, x, s->symbolic, s->numeric, &s->common)
                      : s->klu->refactor(s->ap, s->ai, x, s->symbolic, s->numeric, &s->common);
        if (ok && s->common.status == KLU_OK && sparse_rcond(s, cplx) >= KLU_RCOND_REFACTOR &&
            sparse_rgrowth(s, cplx) >= KLU_RGROWTH_REFACTOR * s->rgrowth_fresh) {
            return IVP_OK;
        }
        /* The old pivot order does not suit the new values: pivot afresh. */
        s->klu->free_numeric(&s->numeric, &s->common);
    }

    s->numeric = cplx ? s->klu->z_factor(s->ap, s->ai, x, s->symbolic, &s->common)
                      : s->klu->factor(s->ap, s->ai, x, s->symbolic, &s->common);
    if (s->numeric != NULL && s->common.status == KLU_OK) {
        /* klu_rcond gives 0 for an Inf or NaN on U's diagonal (overflow in the factors) */
        if (sparse_rcond(s, cplx) > 0.0) {
            s->rgrowth_fresh = sparse_rgrowth(s, cplx);
            return IVP_OK;
        }
        s->klu->free_numeric(&s->numeric, &s->common);
        return ivp_error_set(err, IVP_ERR_LINALG,
                             "sparse LU (KLU): factorisation overflowed (n = %zu); the matrix is "
                             "too badly scaled or numerically singular",
                             n);
    }
    if (s->numeric != NULL) {
        s->klu->free_numeric(&s->numeric, &s->common);
    }
    if (s->common.status == KLU_SINGULAR) {
        return ivp_error_set(err, IVP_ERR_LINALG,
                             "sparse LU (KLU): matrix is singular (zero pivot in column %d of "
                             "%zu)",
                             s->common.singular_col, n);
    }
    if (s->common.status == KLU_OUT_OF_MEMORY) {
        return ivp_error_set(err, IVP_ERR_NOMEM, "sparse LU (KLU): out of memory (n = %zu)", n);
    }
    return ivp_error_set(err, IVP_ERR_LINALG,
                         "sparse LU (KLU): factorisation failed (KLU status %d)", s->common.status);
}

static void sparse_solve(ivp_linsolver *ls, double *re, double *im)
{
    sparse_klu *s = ls->state;
    size_t n = ls->n, i;
    if (ls->is_complex) {
        double *restrict w = s->w;
        for (i = 0; i < n; i++) {
            w[2 * i] = re[i];
            w[2 * i + 1] = im[i];
        }
        s->klu->z_solve(s->symbolic, s->numeric, s->n, 1, w, &s->common);
        for (i = 0; i < n; i++) {
            re[i] = w[2 * i];
            im[i] = w[2 * i + 1];
        }
    } else {
        s->klu->solve(s->symbolic, s->numeric, s->n, 1, re, &s->common);
        if (im != NULL) {
            s->klu->solve(s->symbolic, s->numeric, s->n, 1, im, &s->common);
        }
    }
}

/* A new solve pivots afresh: the Numeric object (and its pivot order) goes, the symbolic
 * analysis stays. */
static void sparse_reset(ivp_linsolver *ls)
{
    sparse_klu *s = ls->state;
    if (s->numeric != NULL) {
        s->klu->free_numeric(&s->numeric, &s->common);
    }
    s->rgrowth_fresh = 0.0;
}

const ivp_linsolver_type ivp_linsolver_sparse_klu = {
    .name = "sparse-klu",
    .init = sparse_init,
    .factor = sparse_factor,
    .solve = sparse_solve,
    .free = sparse_free,
    .reset = sparse_reset,
};
