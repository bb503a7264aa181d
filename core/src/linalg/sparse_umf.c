/* SPDX-License-Identifier: MIT
 * core/src/linalg/sparse_umf.c - sparse LU of alpha*I + beta*A with SuiteSparse UMFPACK
 * (Davis, "Algorithm 832: UMFPACK V4.3, an unsymmetric-pattern multifrontal method", ACM TOMS
 * 30(2), 2004), for large sparse systems.
 *
 * KLU (sparse.c) factors column by column with sparse vector kernels; on fill-heavy patterns
 * such as a 2-D grid its refactorisation is slow (n = 32768 Brusselator grid: 1.3 s). UMFPACK's
 * multifrontal method does the same work in dense frontal matrices with BLAS-3 (0.38 s, or
 * 0.30 s with METIS ordering, which also cuts the flop count from 1.7e9 to 1.0e9); see
 * bench/linalg/README.md for the patterns on which it pays. ivp_linsolver_new picks this back
 * end when AMD's estimate of the LU's flops reaches IVP_SPARSE_UMFPACK_MIN_FLOPS
 * (linalg_impl.h); patterns that barely fill in stay with KLU, which is faster on them.
 *
 * The symbolic analysis (fill-reducing column ordering: METIS, or AMD/COLAMD when METIS fails
 * or is not built in) is done once, in init, on the pattern alone. UMFPACK has no refactor that
 * keeps a Numeric object: each factor frees the previous one and runs umfpack_*_numeric afresh,
 * which allocates it with SuiteSparse's own malloc (the documented exception in linalg.h). That
 * allocation per factorisation is small next to the factorisation itself on the sizes this back
 * end is chosen for. Solves use umfpack_*_wsolve with workspace allocated in init, so they
 * allocate nothing, with UMFPACK's iterative refinement (up to 2 steps, each a product with A
 * and a further solve): without it the 2-D Brusselator test system of tests/linalg (n = 32768,
 * diagonally dominant) was solved to a relative residual of only 9e-12 (KLU: below 1e-14);
 * with it, to rounding level. The SuiteSparse_long ("dl"/"zl") interface is used, so the
 * only size limit is memory. Complex systems use split real/imaginary arrays, which is how
 * ivp_linsolver_solve_complex passes them.
 */
#include "linalg/backend.h"
#include "linalg/linalg_impl.h"

#include <math.h>
#include <stdint.h>
#include <string.h>
#include <umfpack.h>

typedef SuiteSparse_long umf_long;

typedef struct sparse_umf {
    double control[UMFPACK_CONTROL]; /* UMFPACK's parameters */
    double info[UMFPACK_INFO];       /* and statistics of the last call */
    void *symbolic;                  /* ordering of the pattern, from init */
    void *numeric;              /* factors; NULL before the first factor or after a failed one */
    umf_long *ap;               /* n + 1: column pointers */
    umf_long *ai;               /* nnz: row indices */
    double *xr;                 /* nnz: alpha I + beta A (real part) */
    double *xz;                 /* nnz: imaginary part (complex only) */
    size_t *diag;               /* n: position of (j, j) among the nonzeros */
    double *b;                  /* n (real) or 2n (complex): copy of the right-hand side */
    umf_long *wi;               /* n: wsolve's integer workspace */
    double *w;                  /* 5n (real) or 10n (complex): wsolve's workspace */
    const ivp_umfpack_api *umf; /* UMFPACK, loaded on first use */
} sparse_umf;

static void umf_free(ivp_linsolver *ls)
{
    sparse_umf *s = ls->state;
    if (s == NULL) {
        return;
    }
    if (s->numeric != NULL) {
        if (ls->is_complex) {
            s->umf->zl_free_numeric(&s->numeric);
        } else {
            s->umf->dl_free_numeric(&s->numeric);
        }
    }
    if (s->symbolic != NULL) {
        if (ls->is_complex) {
            s->umf->zl_free_symbolic(&s->symbolic);
        } else {
            s->umf->dl_free_symbolic(&s->symbolic);
        }
    }
    ivp_free(&ls->alloc, s->ap);
    ivp_free(&ls->alloc, s->ai);
    ivp_free(&ls->alloc, s->xr);
    ivp_free(&ls->alloc, s->xz);
    ivp_free(&ls->alloc, s->diag);
    ivp_free(&ls->alloc, s->b);
    ivp_free(&ls->alloc, s->wi);
    ivp_free(&ls->alloc, s->w);
    ivp_free(&ls->alloc, s);
    ls->state = NULL;
}

/* umfpack_*_symbolic on the pattern (no values: every entry counts as nonzero). */
static umf_long umf_symbolic(ivp_linsolver *ls, sparse_umf *s)
{
    umf_long n = (umf_long)ls->n;
    if (ls->is_complex) {
        return s->umf->zl_symbolic(n, n, s->ap, s->ai, NULL, NULL, &s->symbolic, s->control,
                                   s->info);
    }
    return s->umf->dl_symbolic(n, n, s->ap, s->ai, NULL, &s->symbolic, s->control, s->info);
}

static ivp_status umf_init(ivp_linsolver *ls, const ivp_matrix *pattern, ivp_error *err)
{
    const ivp_allocator *a = &ls->alloc;
    size_t n = ls->n, nnz = pattern->nnz, j, k;
    int cplx = ls->is_complex;
    sparse_umf *s;
    const ivp_umfpack_api *umf;
    umf_long status;
    ivp_status st = IVP_OK;
    if (n > (size_t)INT64_MAX / 16 || nnz > (size_t)INT64_MAX / 16) {
        return ivp_error_set(err, IVP_ERR_ARG,
                             "sparse LU (UMFPACK): n = %zu, nnz = %zu exceed UMFPACK's index "
                             "range",
                             n, nnz);
    }
    umf = ivp_backend_umfpack(err);
    if (umf == NULL) {
        return IVP_ERR_LINALG;
    }
    s = ivp_calloc(a, 1, sizeof *s);
    ls->state = s;
    if (s == NULL) {
        st = ivp_error_set(err, IVP_ERR_NOMEM, "sparse LU (UMFPACK): cannot allocate its state");
        goto fail;
    }
    s->umf = umf;
    s->ap = ivp_calloc(a, n + 1, sizeof *s->ap);
    s->ai = ivp_calloc(a, nnz, sizeof *s->ai);
    s->xr = ivp_calloc(a, nnz, sizeof *s->xr);
    s->xz = cplx ? ivp_calloc(a, nnz, sizeof *s->xz) : NULL;
    s->diag = ivp_calloc(a, n, sizeof *s->diag);
    s->b = ivp_calloc(a, (cplx ? 2 : 1) * n, sizeof *s->b);
    s->wi = ivp_calloc(a, n, sizeof *s->wi);
    s->w = ivp_calloc(a, (cplx ? 10 : 5) * n, sizeof *s->w);
    if (s->ap == NULL || s->ai == NULL || s->xr == NULL || (cplx && s->xz == NULL) ||
        s->diag == NULL || s->b == NULL || s->wi == NULL || s->w == NULL) {
        st = ivp_error_set(err, IVP_ERR_NOMEM,
                           "sparse LU (UMFPACK): cannot allocate workspace for n = %zu, nnz = %zu",
                           n, nnz);
        goto fail;
    }
    for (j = 0; j <= n; j++) {
        s->ap[j] = (umf_long)pattern->colptr[j];
    }
    for (k = 0; k < nnz; k++) {
        s->ai[k] = (umf_long)pattern->rowind[k];
    }
    for (j = 0; j < n; j++) {
        size_t pos = ivp_matrix_index(pattern, j, j);
        if (pos == (size_t)-1) {
            st = ivp_error_set(err, IVP_ERR_ARG,
                               "sparse LU (UMFPACK): the pattern lacks the diagonal entry (%zu, "
                               "%zu)",
                               j, j);
            goto fail;
        }
        s->diag[j] = pos;
    }
    if (cplx) {
        s->umf->zl_defaults(s->control);
    } else {
        s->umf->dl_defaults(s->control);
    }
    /* Threshold pivoting as in KLU (sparse.c): the diagonal is kept as pivot while it is at
     * least a tenth of the largest entry below it (UMFPACK's default for its symmetric
     * strategy, 0.001, lets more pivot growth through). Iterative refinement stays on
     * (UMFPACK's default, at most 2 steps). */
    s->control[UMFPACK_SYM_PIVOT_TOLERANCE] = 0.1;
    s->control[UMFPACK_ORDERING] = UMFPACK_ORDERING_METIS;
    status = umf_symbolic(ls, s);
    if (status != UMFPACK_OK) {
        /* METIS not built in, or it failed: UMFPACK's own AMD/COLAMD ordering */
        if (s->symbolic != NULL) {
            if (cplx) {
                s->umf->zl_free_symbolic(&s->symbolic);
            } else {
                s->umf->dl_free_symbolic(&s->symbolic);
            }
        }
        s->control[UMFPACK_ORDERING] = UMFPACK_ORDERING_AMD;
        status = umf_symbolic(ls, s);
    }
    if (status != UMFPACK_OK) {
        st = ivp_error_set(err,
                           status == UMFPACK_ERROR_out_of_memory ? IVP_ERR_NOMEM : IVP_ERR_LINALG,
                           "sparse LU (UMFPACK): symbolic analysis failed (UMFPACK status %ld) "
                           "for n = %zu, nnz = %zu",
                           (long)status, n, nnz);
        goto fail;
    }
    return IVP_OK;

fail:
    umf_free(ls);
    return st;
}

static ivp_status umf_factor(ivp_linsolver *ls, double alpha_re, double alpha_im, double beta,
                             const ivp_matrix *A, ivp_error *err)
{
    sparse_umf *s = ls->state;
    size_t n = ls->n, nnz = ls->nnz, j, k;
    const double *restrict v = A->v;
    double *restrict xr = s->xr;
    double acc = 0.0, rcond;
    int cplx = ls->is_complex;
    umf_long status;

    if (s->numeric != NULL) {
        if (cplx) {
            s->umf->zl_free_numeric(&s->numeric);
        } else {
            s->umf->dl_free_numeric(&s->numeric);
        }
    }
    if (!isfinite(alpha_re) || !isfinite(alpha_im) || !isfinite(beta)) {
        return ivp_error_set(err, IVP_ERR_LINALG,
                             "sparse LU (UMFPACK): non-finite coefficient (alpha = %g%+gi, beta "
                             "= %g)",
                             alpha_re, alpha_im, beta);
    }
    for (k = 0; k < nnz; k++) {
        xr[k] = beta * v[k];
        acc += v[k] * 0.0;
    }
    for (j = 0; j < n; j++) {
        xr[s->diag[j]] += alpha_re;
    }
    if (cplx) {
        double *restrict xz = s->xz;
        for (k = 0; k < nnz; k++) {
            xz[k] = 0.0;
        }
        for (j = 0; j < n; j++) {
            xz[s->diag[j]] = alpha_im;
        }
    }
    if (acc != 0.0) {
        for (j = 0; j < n; j++) {
            for (k = A->colptr[j]; k < A->colptr[j + 1]; k++) {
                if (!isfinite(v[k])) {
                    return ivp_error_set(err, IVP_ERR_LINALG,
                                         "sparse LU (UMFPACK): matrix A has non-finite value %g "
                                         "at (%zu, %zu)",
                                         v[k], A->rowind[k], j);
                }
            }
        }
    }

    status = cplx ? s->umf->zl_numeric(s->ap, s->ai, s->xr, s->xz, s->symbolic, &s->numeric,
                                       s->control, s->info)
                  : s->umf->dl_numeric(s->ap, s->ai, s->xr, s->symbolic, &s->numeric, s->control,
                                       s->info);
    rcond = s->info[UMFPACK_RCOND];
    if (status == UMFPACK_OK && rcond > 0.0 && isfinite(rcond)) {
        return IVP_OK;
    }
    if (s->numeric != NULL) {
        if (cplx) {
            s->umf->zl_free_numeric(&s->numeric);
        } else {
            s->umf->dl_free_numeric(&s->numeric);
        }
    }
    if (status == UMFPACK_WARNING_singular_matrix) {
        return ivp_error_set(err, IVP_ERR_LINALG,
                             "sparse LU (UMFPACK): matrix is singular (%.0f zero pivots on U's "
                             "diagonal of %zu)",
                             (double)n - s->info[UMFPACK_UDIAG_NZ], n);
    }
    if (status == UMFPACK_OK) {
        return ivp_error_set(err, IVP_ERR_LINALG,
                             "sparse LU (UMFPACK): factorisation overflowed (n = %zu); the "
                             "matrix is too badly scaled or numerically singular",
                             n);
    }
    if (status == UMFPACK_ERROR_out_of_memory) {
        return ivp_error_set(err, IVP_ERR_NOMEM, "sparse LU (UMFPACK): out of memory (n = %zu)", n);
    }
    return ivp_error_set(err, IVP_ERR_LINALG,
                         "sparse LU (UMFPACK): factorisation failed (UMFPACK status %ld)",
                         (long)status);
}

static void umf_solve(ivp_linsolver *ls, double *re, double *im)
{
    sparse_umf *s = ls->state;
    size_t n = ls->n;
    double *restrict b = s->b;
    if (ls->is_complex) {
        memcpy(b, re, n * sizeof *b);
        memcpy(b + n, im, n * sizeof *b);
        (void)s->umf->zl_wsolve(UMFPACK_A, s->ap, s->ai, s->xr, s->xz, re, im, b, b + n, s->numeric,
                                s->control, s->info, s->wi, s->w);
    } else {
        memcpy(b, re, n * sizeof *b);
        (void)s->umf->dl_wsolve(UMFPACK_A, s->ap, s->ai, s->xr, re, b, s->numeric, s->control,
                                s->info, s->wi, s->w);
        if (im != NULL) {
            memcpy(b, im, n * sizeof *b);
            (void)s->umf->dl_wsolve(UMFPACK_A, s->ap, s->ai, s->xr, im, b, s->numeric, s->control,
                                    s->info, s->wi, s->w);
        }
    }
}

const ivp_linsolver_type ivp_linsolver_sparse_umfpack = {
    .name = "sparse-umfpack",
    .init = umf_init,
    .factor = umf_factor,
    .solve = umf_solve,
    .free = umf_free,
};
