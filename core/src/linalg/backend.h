/* SPDX-License-Identifier: MIT
 * core/src/linalg/backend.h - the implicit methods' linear-algebra libraries (LAPACK,
 * SuiteSparse KLU, UMFPACK and AMD), loaded on first use.
 *
 * libivp does not link them: a program that solves only with the explicit methods needs
 * neither the libraries nor their threads. The first linear solver that needs one loads it
 * with dlopen (by the soname of the version the core was compiled against) and resolves every
 * function it uses into a table, once per process (thread-safe); later calls return the same
 * table. The functions called are the same ones a link-time binding would call, so results
 * are bit-identical.
 *
 * After loading LAPACK, the loader applies the BLAS thread request (ivp_blas_threads below):
 * by default it leaves OpenBLAS's thread count alone.
 */
#ifndef IVP_SRC_LINALG_BACKEND_H
#define IVP_SRC_LINALG_BACKEND_H

#include <amd.h>
#include <klu.h>
#include <umfpack.h>

#include "ivp/status.h"
#include "linalg/linalg_impl.h"

/* LAPACK's LU routines (prototypes in linalg_impl.h). */
typedef struct ivp_lapack_api {
    __typeof__(dgetrf_) *dgetrf;
    __typeof__(dgetrs_) *dgetrs;
    __typeof__(zgetrf_) *zgetrf;
    __typeof__(zgetrs_) *zgetrs;
    __typeof__(dgbtrf_) *dgbtrf;
    __typeof__(dgbtrs_) *dgbtrs;
    __typeof__(zgbtrf_) *zgbtrf;
    __typeof__(zgbtrs_) *zgbtrs;
} ivp_lapack_api;

/* KLU (int indices), the calls sparse.c makes. */
typedef struct ivp_klu_api {
    __typeof__(klu_defaults) *defaults;
    __typeof__(klu_analyze) *analyze;
    __typeof__(klu_factor) *factor;
    __typeof__(klu_z_factor) *z_factor;
    __typeof__(klu_refactor) *refactor;
    __typeof__(klu_z_refactor) *z_refactor;
    __typeof__(klu_rcond) *rcond;
    __typeof__(klu_z_rcond) *z_rcond;
    __typeof__(klu_rgrowth) *rgrowth;
    __typeof__(klu_z_rgrowth) *z_rgrowth;
    __typeof__(klu_solve) *solve;
    __typeof__(klu_z_solve) *z_solve;
    __typeof__(klu_free_numeric) *free_numeric;
    __typeof__(klu_free_symbolic) *free_symbolic;
} ivp_klu_api;

/* UMFPACK (SuiteSparse_long indices, real and complex), the calls sparse_umf.c makes. */
typedef struct ivp_umfpack_api {
    __typeof__(umfpack_dl_defaults) *dl_defaults;
    __typeof__(umfpack_zl_defaults) *zl_defaults;
    __typeof__(umfpack_dl_symbolic) *dl_symbolic;
    __typeof__(umfpack_zl_symbolic) *zl_symbolic;
    __typeof__(umfpack_dl_numeric) *dl_numeric;
    __typeof__(umfpack_zl_numeric) *zl_numeric;
    __typeof__(umfpack_dl_wsolve) *dl_wsolve;
    __typeof__(umfpack_zl_wsolve) *zl_wsolve;
    __typeof__(umfpack_dl_free_numeric) *dl_free_numeric;
    __typeof__(umfpack_zl_free_numeric) *zl_free_numeric;
    __typeof__(umfpack_dl_free_symbolic) *dl_free_symbolic;
    __typeof__(umfpack_zl_free_symbolic) *zl_free_symbolic;
} ivp_umfpack_api;

/* AMD, for the fill estimate that chooses between KLU and UMFPACK. */
typedef struct ivp_amd_api {
    __typeof__(amd_l_order) *l_order;
} ivp_amd_api;

/* The table of each library, loaded on the first call. NULL if the library or one of its
 * functions is missing: then err (if non-NULL) is set to IVP_ERR_LINALG with a message naming
 * the library, the loader's reason and the Debian package that provides it; the next call
 * reports the same failure again. */
const ivp_lapack_api *ivp_backend_lapack(ivp_error *err);
const ivp_klu_api *ivp_backend_klu(ivp_error *err);
const ivp_umfpack_api *ivp_backend_umfpack(ivp_error *err);
const ivp_amd_api *ivp_backend_amd(ivp_error *err);

#endif /* IVP_SRC_LINALG_BACKEND_H */
