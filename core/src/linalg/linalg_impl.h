/* SPDX-License-Identifier: MIT
 * core/src/linalg/linalg_impl.h - private to core/src/linalg (and its tests and benchmark):
 * the linear-solver back ends behind ivp_linsolver and a constructor that picks one
 * explicitly, so tests and the crossover benchmark can compare them at the same n.
 */
#ifndef IVP_SRC_LINALG_LINALG_IMPL_H
#define IVP_SRC_LINALG_LINALG_IMPL_H

#include <stddef.h>

#include "linalg/linalg.h"

/* A back end (style.md: the sunlinsol_dense.c pattern). All ops are required. */
typedef struct ivp_linsolver_type {
    const char *name; /* what ivp_linsolver_name returns */
    /* Allocates ls->state for ls->n, ls->is_complex and the pattern's structure, with
     * ls->alloc. IVP_ERR_NOMEM, IVP_ERR_ARG (a size the library cannot take), IVP_ERR_LINALG. */
    ivp_status (*init)(ivp_linsolver *ls, const ivp_matrix *pattern, ivp_error *err);
    /* Factors (alpha_re + i alpha_im) I + beta A; alpha_im is 0 for real solvers. A has the
     * pattern's structure (checked by the caller). IVP_ERR_LINALG when singular or not finite. */
    ivp_status (*factor)(ivp_linsolver *ls, double alpha_re, double alpha_im, double beta,
                         const ivp_matrix *A, ivp_error *err);
    /* Solves in place with the last successful factorisation; im is NULL for real solvers. */
    void (*solve)(ivp_linsolver *ls, double *re, double *im);
    /* Frees ls->state, which may be half-built or NULL. */
    void (*free)(ivp_linsolver *ls);
    /* Optional: forgets what the factorisations so far left behind (the pivot order), so
     * that the next factor behaves as the first one after init; keeps the symbolic analysis.
     * Allocates nothing. NULL: the back end keeps nothing between factorisations. */
    void (*reset)(ivp_linsolver *ls);
} ivp_linsolver_type;

struct ivp_linsolver {
    const ivp_linsolver_type *type;
    ivp_allocator alloc; /* a copy of the allocator given to ivp_linsolver_new */
    ivp_mat_kind kind;   /* structure accepted by factor */
    size_t n;
    size_t kl, ku;  /* IVP_MAT_BAND */
    size_t nnz;     /* IVP_MAT_SPARSE */
    int is_complex; /* complex factorisation */
    int factored;   /* a successful factorisation is held */
    void *state;    /* the back end's own */
};

extern const ivp_linsolver_type ivp_linsolver_dense_own;      /* dense.c */
extern const ivp_linsolver_type ivp_linsolver_dense_lapack;   /* dense.c */
extern const ivp_linsolver_type ivp_linsolver_band_lapack;    /* band.c */
extern const ivp_linsolver_type ivp_linsolver_sparse_klu;     /* sparse.c */
extern const ivp_linsolver_type ivp_linsolver_sparse_umfpack; /* sparse_umf.c */

/* ivp_linsolver_new gives a sparse pattern UMFPACK (multifrontal, BLAS-3) instead of KLU when
 * n >= IVP_SPARSE_UMFPACK_MIN_N and the flops of its LU in AMD order (AMD's estimate, from the
 * pattern alone, so the choice is deterministic) reach IVP_SPARSE_UMFPACK_MIN_FLOPS: UMFPACK
 * wins where the factors fill in (2-D grids from n ~ 3000, 3e7 flops), KLU on patterns that
 * barely fill (tridiagonal: KLU 8-14 times faster at every n). Measured in
 * bench/linalg/README.md, "Sparse: KLU vs UMFPACK". Below MIN_N the AMD estimate is skipped. */
#define IVP_SPARSE_UMFPACK_MIN_N 1000
#define IVP_SPARSE_UMFPACK_MIN_FLOPS 3.0e7

/* ivp_linsolver_new with the back end given (it must suit the pattern's kind: dense for
 * IVP_MAT_DENSE, and so on; IVP_ERR_ARG otherwise). */
ivp_status ivp_linsolver_new_with(const ivp_linsolver_type *type, const ivp_matrix *pattern,
                                  int is_complex, const ivp_allocator *a, ivp_linsolver **out,
                                  ivp_error *err);

/* Fortran LAPACK (reference calling convention: everything by pointer; gfortran appends the
 * length of each character argument as a trailing size_t). Declared for their types only: they
 * are called through the table of backend.h, LAPACK being loaded on first use. */
void dgetrf_(const int *m, const int *n, double *a, const int *lda, int *ipiv, int *info);
void dgetrs_(const char *trans, const int *n, const int *nrhs, const double *a, const int *lda,
             const int *ipiv, double *b, const int *ldb, int *info, size_t trans_len);
void zgetrf_(const int *m, const int *n, double *a, const int *lda, int *ipiv, int *info);
void zgetrs_(const char *trans, const int *n, const int *nrhs, const double *a, const int *lda,
             const int *ipiv, double *b, const int *ldb, int *info, size_t trans_len);
void dgbtrf_(const int *m, const int *n, const int *kl, const int *ku, double *ab, const int *ldab,
             int *ipiv, int *info);
void dgbtrs_(const char *trans, const int *n, const int *kl, const int *ku, const int *nrhs,
             const double *ab, const int *ldab, const int *ipiv, double *b, const int *ldb,
             int *info, size_t trans_len);
void zgbtrf_(const int *m, const int *n, const int *kl, const int *ku, double *ab, const int *ldab,
             int *ipiv, int *info);
void zgbtrs_(const char *trans, const int *n, const int *kl, const int *ku, const int *nrhs,
             const double *ab, const int *ldab, const int *ipiv, double *b, const int *ldb,
             int *info, size_t trans_len);

#endif /* IVP_SRC_LINALG_LINALG_IMPL_H */
