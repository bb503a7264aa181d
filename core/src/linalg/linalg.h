/* SPDX-License-Identifier: MIT
 * core/src/linalg/linalg.h - private: Jacobian storage and the linear solvers behind the
 * implicit methods (Radau, BDF, LSODA).
 *
 * A Jacobian (or any n x n matrix the methods form from it) lives in one of three layouts,
 * chosen once from the problem's structure; nothing n x n is allocated for banded or sparse
 * problems:
 *   IVP_MAT_DENSE   column-major n x n, v[i + j*n] = A(i, j)          (LAPACK layout)
 *   IVP_MAT_BAND    LAPACK band storage with ldab = kl + ku + 1 rows:
 *                   v[(ku + i - j) + j*ldab] = A(i, j) for max(0, j-ku) <= i <= min(n-1, j+kl)
 *   IVP_MAT_SPARSE  compressed sparse column: rows of column j are rowind[colptr[j] ..
 *                   colptr[j+1]-1], sorted ascending, no duplicates, the diagonal always
 *                   present; v[k] is the value at rowind[k]
 *
 * The linear solvers factor  alpha*I + beta*A  (real alpha) or  (alpha_re + i alpha_im)*I +
 * beta*A  (complex, for Radau's complex pair) and solve with the factors, in place. Their
 * workspaces are sized in ivp_linsolver_new (KLU's symbolic analysis is done there, once per
 * pattern); factor and solve never allocate, except the sparse back ends' numeric
 * factorisation objects (allocated by SuiteSparse, not by ivp's allocator): KLU creates its
 * object on the first factor and refactors it in place afterwards; UMFPACK, which has no
 * refactorisation, frees and rebuilds it in every factor (a small cost next to the
 * factorisation itself at the sizes UMFPACK is chosen for).
 */
#ifndef IVP_SRC_LINALG_LINALG_H
#define IVP_SRC_LINALG_LINALG_H

#include <stddef.h>

#include "ivp/alloc.h"
#include "ivp/status.h"

typedef enum ivp_mat_kind { IVP_MAT_DENSE = 0, IVP_MAT_BAND, IVP_MAT_SPARSE } ivp_mat_kind;

typedef struct ivp_matrix {
    ivp_mat_kind kind;
    size_t n;
    size_t kl, ku;  /* IVP_MAT_BAND: sub- and super-diagonals */
    size_t nnz;     /* IVP_MAT_SPARSE: stored entries */
    size_t *colptr; /* IVP_MAT_SPARSE: n + 1 */
    size_t *rowind; /* IVP_MAT_SPARSE: nnz */
    double *v;      /* values: n*n, (kl+ku+1)*n or nnz */
    size_t len;     /* number of doubles in v */
} ivp_matrix;

/* A dense matrix, a band matrix, or a sparse one from coordinate lists (duplicates merged,
 * the diagonal added, rows sorted). Values are zeroed. IVP_ERR_NOMEM / IVP_ERR_ARG (an entry
 * out of range, named by its index). */
ivp_status ivp_matrix_init_dense(ivp_matrix *m, size_t n, const ivp_allocator *a, ivp_error *err);
ivp_status ivp_matrix_init_band(ivp_matrix *m, size_t n, size_t kl, size_t ku,
                                const ivp_allocator *a, ivp_error *err);
ivp_status ivp_matrix_init_sparse(ivp_matrix *m, size_t n, const size_t *rows, const size_t *cols,
                                  size_t count, const ivp_allocator *a, ivp_error *err);
void ivp_matrix_free(ivp_matrix *m, const ivp_allocator *a);

/* Position of entry (i, j) in v, or (size_t)-1 when it is structurally zero. */
size_t ivp_matrix_index(const ivp_matrix *m, size_t i, size_t j);

/* y = A x (n-vectors). */
void ivp_matrix_mul(const ivp_matrix *m, const double *x, double *y);

/* Weighted max-row-sum norm, ODEPACK's FNORM: max_i w_i * sum_j |A(i, j)| / w_j. */
double ivp_matrix_fnorm(const ivp_matrix *m, const double *w);

typedef struct ivp_linsolver ivp_linsolver;

/* A solver for matrices with the structure of pattern (its kind, n, band widths or sparsity;
 * the values are not used). is_complex selects complex factorisation. IVP_ERR_NOMEM,
 * IVP_ERR_LINALG (KLU's symbolic analysis failed), IVP_ERR_ARG (sizes beyond LAPACK's or KLU's
 * int range, a sparse pattern without its diagonal). */
ivp_status ivp_linsolver_new(const ivp_matrix *pattern, int is_complex, const ivp_allocator *a,
                             ivp_linsolver **out, ivp_error *err);

/* As ivp_linsolver_new, but a dense pattern always gets LAPACK, whatever n: ODEPACK's choice,
 * which LSODA keeps so that it rounds exactly as scipy's LSODA does. */
ivp_status ivp_linsolver_new_lapack(const ivp_matrix *pattern, int is_complex,
                                    const ivp_allocator *a, ivp_linsolver **out, ivp_error *err);

/* Factors alpha*I + beta*A (real solver). IVP_ERR_LINALG when the matrix is singular (the
 * message names the zero pivot), or has non-finite entries or overflows; IVP_ERR_ARG when A's
 * structure is not the solver's or a complex solver is called. */
ivp_status ivp_linsolver_factor(ivp_linsolver *ls, double alpha, double beta, const ivp_matrix *A,
                                ivp_error *err);

/* Factors (alpha_re + i alpha_im)*I + beta*A (complex solver). */
ivp_status ivp_linsolver_factor_complex(ivp_linsolver *ls, double alpha_re, double alpha_im,
                                        double beta, const ivp_matrix *A, ivp_error *err);

/* Solves with the last factorisation, in place: b (real), or (re, im) (complex; a real solver
 * accepts a complex right-hand side). Without a successful factorisation the result is NaN. */
void ivp_linsolver_solve(ivp_linsolver *ls, double *b);
void ivp_linsolver_solve_complex(ivp_linsolver *ls, double *re, double *im);

/* Which back end it uses: "dense-own", "dense-lapack", "band-lapack", "sparse-klu",
 * "sparse-umfpack". */
const char *ivp_linsolver_name(const ivp_linsolver *ls);

/* For a new solve with the same pattern: drops the factorisation (and KLU's pivot order, so
 * that the next factor pivots afresh and gives what a new solver would), keeps the symbolic
 * analysis. Allocates nothing. */
void ivp_linsolver_reset(ivp_linsolver *ls);

void ivp_linsolver_free(ivp_linsolver *ls);

/* Below this n, dense matrices use ivp's own LU; from it on, LAPACK (measured with OpenBLAS's
 * generic kernels: see bench/linalg/README.md). */
#define IVP_DENSE_LAPACK_CROSSOVER 64

#endif /* IVP_SRC_LINALG_LINALG_H */
