/* SPDX-License-Identifier: MIT
 * core/src/linalg/linsolver.c - the ivp_linsolver object: picks a back end from the matrix
 * layout and size (dense: own LU below IVP_DENSE_LAPACK_CROSSOVER, LAPACK from it on; band:
 * LAPACK; sparse: UMFPACK when the estimated factorisation work is large, KLU otherwise: see
 * IVP_SPARSE_UMFPACK_MIN_FLOPS), checks that each matrix factored has the structure it was
 * built for, and dispatches.
 */
#include "linalg/backend.h"
#include "linalg/linalg_impl.h"

#include <amd.h>
#include <math.h>
#include <stdint.h>

static const char *linsolver_kind_name(ivp_mat_kind kind)
{
    switch (kind) {
    case IVP_MAT_DENSE:
        return "dense";
    case IVP_MAT_BAND:
        return "band";
    case IVP_MAT_SPARSE:
        return "sparse";
    }
    return "unknown";
}

static ivp_mat_kind linsolver_type_kind(const ivp_linsolver_type *type)
{
    if (type == &ivp_linsolver_band_lapack) {
        return IVP_MAT_BAND;
    }
    if (type == &ivp_linsolver_sparse_klu || type == &ivp_linsolver_sparse_umfpack) {
        return IVP_MAT_SPARSE;
    }
    return IVP_MAT_DENSE;
}

ivp_status ivp_linsolver_new_with(const ivp_linsolver_type *type, const ivp_matrix *pattern,
                                  int is_complex, const ivp_allocator *a, ivp_linsolver **out,
                                  ivp_error *err)
{
    ivp_linsolver *ls;
    ivp_status st;
    *out = NULL;
    if (pattern == NULL || pattern->n == 0) {
        return ivp_error_set(err, IVP_ERR_ARG, "linear solver: empty matrix pattern");
    }
    if (linsolver_type_kind(type) != pattern->kind) {
        return ivp_error_set(err, IVP_ERR_ARG, "linear solver: %s back end for a %s matrix",
                             type->name, linsolver_kind_name(pattern->kind));
    }
    ls = ivp_calloc(a, 1, sizeof *ls);
    if (ls == NULL) {
        return ivp_error_set(err, IVP_ERR_NOMEM, "linear solver: cannot allocate it (n = %zu)",
                             pattern->n);
    }
    ls->type = type;
    ls->alloc = a != NULL ? *a : *ivp_allocator_default();
    ls->kind = pattern->kind;
    ls->n = pattern->n;
    ls->kl = pattern->kind == IVP_MAT_BAND ? pattern->kl : 0;
    ls->ku = pattern->kind == IVP_MAT_BAND ? pattern->ku : 0;
    ls->nnz = pattern->kind == IVP_MAT_SPARSE ? pattern->nnz : 0;
    ls->is_complex = is_complex != 0;
    ls->factored = 0;
    ls->state = NULL;
    st = type->init(ls, pattern, err);
    if (st != IVP_OK) {
        ivp_free(a, ls);
        return st;
    }
    *out = ls;
    return IVP_OK;
}

/* Flops of an LU factorisation of the pattern without pivoting, in AMD's fill-reducing order
 * (AMD's own estimate: divisions + 2 * multiply-subtracts), or 0 when AMD cannot tell (out of
 * memory, or an index beyond its range): a deterministic measure of the factorisation work. */
static double linsolver_sparse_flops(const ivp_matrix *pattern, const ivp_allocator *a)
{
    size_t n = pattern->n, nnz = pattern->nnz, k;
    SuiteSparse_long *ap, *ai, *perm;
    double info[AMD_INFO], flops = 0.0;
    const ivp_amd_api *amd = ivp_backend_amd(NULL);
    if (amd == NULL || n > (size_t)INT64_MAX / 16 || nnz > (size_t)INT64_MAX / 16) {
        return 0.0; /* without AMD: KLU, which then reports what is missing */
    }
    ap = ivp_calloc(a, n + 1, sizeof *ap);
    ai = ivp_calloc(a, nnz, sizeof *ai);
    perm = ivp_calloc(a, n, sizeof *perm);
    if (ap == NULL || ai == NULL || perm == NULL) {
        goto done;
    }
    for (k = 0; k <= n; k++) {
        ap[k] = (SuiteSparse_long)pattern->colptr[k];
    }
    for (k = 0; k < nnz; k++) {
        ai[k] = (SuiteSparse_long)pattern->rowind[k];
    }
    if (amd->l_order((SuiteSparse_long)n, ap, ai, perm, NULL, info) == AMD_OK) {
        flops = info[AMD_NDIV] + 2.0 * info[AMD_NMULTSUBS_LU];
    }
done:
    ivp_free(a, ap);
    ivp_free(a, ai);
    ivp_free(a, perm);
    return flops;
}

ivp_status ivp_linsolver_new(const ivp_matrix *pattern, int is_complex, const ivp_allocator *a,
                             ivp_linsolver **out, ivp_error *err)
{
    const ivp_linsolver_type *type = &ivp_linsolver_dense_own;
    if (pattern == NULL) {
        *out = NULL;
        return ivp_error_set(err, IVP_ERR_ARG, "linear solver: no matrix pattern");
    }
    switch (pattern->kind) {
    case IVP_MAT_DENSE:
        type = pattern->n < IVP_DENSE_LAPACK_CROSSOVER ? &ivp_linsolver_dense_own
                                                       : &ivp_linsolver_dense_lapack;
        break;
    case IVP_MAT_BAND:
        type = &ivp_linsolver_band_lapack;
        break;
    case IVP_MAT_SPARSE:
        type = &ivp_linsolver_sparse_klu;
        if (pattern->n >= IVP_SPARSE_UMFPACK_MIN_N &&
            linsolver_sparse_flops(pattern, a) >= IVP_SPARSE_UMFPACK_MIN_FLOPS) {
            type = &ivp_linsolver_sparse_umfpack;
        }
        break;
    }
    return ivp_linsolver_new_with(type, pattern, is_complex, a, out, err);
}

/* IVP_ERR_ARG unless A has the structure ls was built for. */
static ivp_status linsolver_check(const ivp_linsolver *ls, const ivp_matrix *A, ivp_error *err)
{
    if (A->kind != ls->kind || A->n != ls->n) {
        return ivp_error_set(err, IVP_ERR_ARG,
                             "linear solver: built for a %s %zu x %zu matrix, given a %s %zu x "
                             "%zu one",
                             linsolver_kind_name(ls->kind), ls->n, ls->n,
                             linsolver_kind_name(A->kind), A->n, A->n);
    }
    if (ls->kind == IVP_MAT_BAND && (A->kl != ls->kl || A->ku != ls->ku)) {
        return ivp_error_set(err, IVP_ERR_ARG,
                             "linear solver: built for band widths kl = %zu, ku = %zu, given kl "
                             "= %zu, ku = %zu",
                             ls->kl, ls->ku, A->kl, A->ku);
    }
    if (ls->kind == IVP_MAT_SPARSE && A->nnz != ls->nnz) {
        return ivp_error_set(err, IVP_ERR_ARG,
                             "linear solver: built for a pattern of %zu nonzeros, given %zu",
                             ls->nnz, A->nnz);
    }
    return IVP_OK;
}

ivp_status ivp_linsolver_factor(ivp_linsolver *ls, double alpha, double beta, const ivp_matrix *A,
                                ivp_error *err)
{
    ivp_status st;
    if (ls->is_complex) {
        return ivp_error_set(err, IVP_ERR_ARG,
                             "linear solver: a complex solver takes ivp_linsolver_factor_complex");
    }
    st = linsolver_check(ls, A, err);
    if (st != IVP_OK) {
        return st;
    }
    ls->factored = 0;
    st = ls->type->factor(ls, alpha, 0.0, beta, A, err);
    ls->factored = st == IVP_OK;
    return st;
}

ivp_status ivp_linsolver_factor_complex(ivp_linsolver *ls, double alpha_re, double alpha_im,
                                        double beta, const ivp_matrix *A, ivp_error *err)
{
    ivp_status st;
    if (!ls->is_complex) {
        return ivp_error_set(err, IVP_ERR_ARG,
                             "linear solver: a real solver takes ivp_linsolver_factor");
    }
    st = linsolver_check(ls, A, err);
    if (st != IVP_OK) {
        return st;
    }
    ls->factored = 0;
    st = ls->type->factor(ls, alpha_re, alpha_im, beta, A, err);
    ls->factored = st == IVP_OK;
    return st;
}

/* Misuse (no successful factorisation, or a real right-hand side for a complex factorisation)
 * cannot be reported by these void functions; the solution is set to NaN so that it cannot
 * pass for one. A complex right-hand side with a real factorisation is fine: both parts are
 * solved. */
void ivp_linsolver_solve(ivp_linsolver *ls, double *b)
{
    size_t i;
    if (!ls->factored || ls->is_complex) {
        for (i = 0; i < ls->n; i++) {
            b[i] = (double)NAN;
        }
        return;
    }
    ls->type->solve(ls, b, NULL);
}

void ivp_linsolver_solve_complex(ivp_linsolver *ls, double *re, double *im)
{
    size_t i;
    if (!ls->factored) {
        for (i = 0; i < ls->n; i++) {
            re[i] = (double)NAN;
            im[i] = (double)NAN;
        }
        return;
    }
    ls->type->solve(ls, re, im);
}

const char *ivp_linsolver_name(const ivp_linsolver *ls)
{
    return ls->type->name;
}

void ivp_linsolver_reset(ivp_linsolver *ls)
{
    if (ls == NULL) {
        return;
    }
    ls->factored = 0;
    if (ls->type->reset != NULL) {
        ls->type->reset(ls);
    }
}

void ivp_linsolver_free(ivp_linsolver *ls)
{
    ivp_allocator a;
    if (ls == NULL) {
        return;
    }
    a = ls->alloc;
    ls->type->free(ls);
    ivp_free(&a, ls);
}

ivp_status ivp_linsolver_new_lapack(const ivp_matrix *pattern, int is_complex,
                                    const ivp_allocator *a, ivp_linsolver **out, ivp_error *err)
{
    if (pattern != NULL && pattern->kind == IVP_MAT_DENSE) {
        return ivp_linsolver_new_with(&ivp_linsolver_dense_lapack, pattern, is_complex, a, out,
                                      err);
    }
    return ivp_linsolver_new(pattern, is_complex, a, out, err);
}
