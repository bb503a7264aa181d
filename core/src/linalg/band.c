/* SPDX-License-Identifier: MIT
 * core/src/linalg/band.c - banded LU of alpha*I + beta*A with LAPACK (dgbtrf/dgbtrs,
 * zgbtrf/zgbtrs).
 *
 * The matrix holds kl + ku + 1 rows per column; the factorisation needs kl more on top for the
 * fill-in that row interchanges bring into U (LAPACK dgbtrf: LDAB >= 2*KL + KU + 1, the band
 * in rows KL+1 .. 2*KL+KU+1, rows 1 .. KL need not be set). So alpha*I + beta*A is formed
 * column by column into a (2 kl + ku + 1) x n array allocated once; nothing is n x n.
 */
#include "linalg/backend.h"
#include "linalg/linalg_impl.h"

#include <limits.h>
#include <math.h>
#include <stdint.h>

typedef struct band_lapack {
    double *ab;               /* ldf*n (real) or 2*ldf*n (complex, interleaved): the factors */
    int *ipiv;                /* n: LAPACK's 1-based interchanges */
    double *w;                /* 2*n: interleaved right-hand side (complex only) */
    int n, kl, ku;            /* dimensions as LAPACK takes them */
    int ldf;                  /* 2*kl + ku + 1: leading dimension of ab */
    const ivp_lapack_api *la; /* LAPACK, loaded on first use */
} band_lapack;

static void band_free(ivp_linsolver *ls)
{
    band_lapack *s = ls->state;
    if (s == NULL) {
        return;
    }
    ivp_free(&ls->alloc, s->ab);
    ivp_free(&ls->alloc, s->ipiv);
    ivp_free(&ls->alloc, s->w);
    ivp_free(&ls->alloc, s);
    ls->state = NULL;
}

static ivp_status band_init(ivp_linsolver *ls, const ivp_matrix *pattern, ivp_error *err)
{
    const ivp_allocator *a = &ls->alloc;
    size_t n = ls->n, kl = ls->kl, ku = ls->ku, ldf, width = ls->is_complex ? 2 : 1;
    band_lapack *s;
    const ivp_lapack_api *la;
    (void)pattern;
    if (n > INT_MAX || kl > (size_t)INT_MAX / 4 || ku > (size_t)INT_MAX / 4) {
        return ivp_error_set(err, IVP_ERR_ARG,
                             "band LU: n = %zu, kl = %zu, ku = %zu exceed LAPACK's int range", n,
                             kl, ku);
    }
    ldf = 2 * kl + ku + 1;
    if (ldf > SIZE_MAX / sizeof(double) / 2 / n) {
        return ivp_error_set(err, IVP_ERR_NOMEM, "band LU: %zu x %zu factors do not fit in memory",
                             ldf, n);
    }
    la = ivp_backend_lapack(err);
    if (la == NULL) {
        return IVP_ERR_LINALG;
    }
    s = ivp_calloc(a, 1, sizeof *s);
    ls->state = s;
    if (s == NULL) {
        goto fail;
    }
    s->la = la;
    s->n = (int)n;
    s->kl = (int)kl;
    s->ku = (int)ku;
    s->ldf = (int)ldf;
    s->ab = ivp_calloc(a, width * ldf * n, sizeof *s->ab);
    s->ipiv = ivp_calloc(a, n, sizeof *s->ipiv);
    if (s->ab == NULL || s->ipiv == NULL) {
        goto fail;
    }
    if (ls->is_complex) {
        s->w = ivp_calloc(a, 2 * n, sizeof *s->w);
        if (s->w == NULL) {
            goto fail;
        }
    }
    return IVP_OK;

fail:
    band_free(ls);
    return ivp_error_set(err, IVP_ERR_NOMEM,
                         "band LU: cannot allocate workspace for n = %zu, kl = %zu, ku = %zu", n,
                         kl, ku);
}

/* IVP_ERR_LINALG naming the first non-finite entry of the band matrix A. */
static ivp_status band_report_nonfinite(const ivp_matrix *A, ivp_error *err)
{
    size_t n = A->n, ldab = A->kl + A->ku + 1, i, j;
    for (j = 0; j < n; j++) {
        size_t i0 = j > A->ku ? j - A->ku : 0;
        size_t i1 = j + A->kl < n - 1 ? j + A->kl : n - 1;
        for (i = i0; i <= i1; i++) {
            double x = A->v[(A->ku + i - j) + j * ldab];
            if (!isfinite(x)) {
                return ivp_error_set(err, IVP_ERR_LINALG,
                                     "band LU: matrix A has non-finite value %g at (%zu, %zu)", x,
                                     i, j);
            }
        }
    }
    return ivp_error_set(err, IVP_ERR_LINALG, "band LU: matrix A has a non-finite value");
}

/* Forms alpha*I + beta*A into rows kl .. 2kl+ku of the factor array; positions of the band
 * outside the matrix (corners) are zeroed, so only A's real entries are read. Returns the sum
 * of value*0 over what was read: NaN when any is not finite. */
static double band_form(const band_lapack *s, size_t n, double alpha_re, double alpha_im,
                        double beta, const double *restrict v, int is_complex)
{
    size_t kl = (size_t)s->kl, ku = (size_t)s->ku, ldab = kl + ku + 1, ldf = (size_t)s->ldf;
    size_t j, r;
    double acc = 0.0;
    for (j = 0; j < n; j++) {
        const double *restrict src = v + j * ldab;
        size_t r0 = j < ku ? ku - j : 0;                   /* first row of the band inside A */
        size_t r1 = n - j + ku < ldab ? n - j + ku : ldab; /* one past the last */
        if (is_complex) {
            double *restrict dst = s->ab + 2 * (kl + j * ldf);
            for (r = 0; r < ldab; r++) {
                dst[2 * r] = 0.0;
                dst[2 * r + 1] = 0.0;
            }
            for (r = r0; r < r1; r++) {
                dst[2 * r] = beta * src[r];
                acc += src[r] * 0.0;
            }
            dst[2 * ku] += alpha_re;
            dst[2 * ku + 1] = alpha_im;
        } else {
            double *restrict dst = s->ab + kl + j * ldf;
            for (r = 0; r < r0; r++) {
                dst[r] = 0.0;
            }
            for (r = r0; r < r1; r++) {
                dst[r] = beta * src[r];
                acc += src[r] * 0.0;
            }
            for (r = r1; r < ldab; r++) {
                dst[r] = 0.0;
            }
            dst[ku] += alpha_re;
        }
    }
    return acc;
}

static ivp_status band_factor(ivp_linsolver *ls, double alpha_re, double alpha_im, double beta,
                              const ivp_matrix *A, ivp_error *err)
{
    band_lapack *s = ls->state;
    size_t len = (ls->is_complex ? 2 : 1) * (size_t)s->ldf * ls->n, i;
    double acc;
    int info = 0;
    if (!isfinite(alpha_re) || !isfinite(alpha_im) || !isfinite(beta)) {
        return ivp_error_set(err, IVP_ERR_LINALG,
                             "band LU: non-finite coefficient (alpha = %g%+gi, beta = %g)",
                             alpha_re, alpha_im, beta);
    }
    if (band_form(s, ls->n, alpha_re, alpha_im, beta, A->v, ls->is_complex) != 0.0) {
        return band_report_nonfinite(A, err);
    }
    if (ls->is_complex) {
        s->la->zgbtrf(&s->n, &s->n, &s->kl, &s->ku, s->ab, &s->ldf, s->ipiv, &info);
    } else {
        s->la->dgbtrf(&s->n, &s->n, &s->kl, &s->ku, s->ab, &s->ldf, s->ipiv, &info);
    }
    if (info > 0) {
        return ivp_error_set(err, IVP_ERR_LINALG,
                             "band LU: matrix is singular (zero pivot in column %d of %zu)",
                             info - 1, ls->n);
    }
    if (info < 0) {
        return ivp_error_set(err, IVP_ERR_INTERNAL, "%cgbtrf: illegal argument %d",
                             ls->is_complex ? 'z' : 'd', -info);
    }
    acc = 0.0;
    for (i = 0; i < len; i++) {
        acc += s->ab[i] * 0.0;
    }
    if (acc != 0.0) {
        return ivp_error_set(err, IVP_ERR_LINALG,
                             "band LU: factorisation overflowed (n = %zu); the matrix is too "
                             "badly scaled or nearly singular",
                             ls->n);
    }
    return IVP_OK;
}

static void band_solve(ivp_linsolver *ls, double *re, double *im)
{
    band_lapack *s = ls->state;
    size_t n = ls->n, i;
    int one = 1, info = 0;
    if (ls->is_complex) {
        double *restrict w = s->w;
        for (i = 0; i < n; i++) {
            w[2 * i] = re[i];
            w[2 * i + 1] = im[i];
        }
        s->la->zgbtrs("N", &s->n, &s->kl, &s->ku, &one, s->ab, &s->ldf, s->ipiv, w, &s->n, &info,
                      1);
        for (i = 0; i < n; i++) {
            re[i] = w[2 * i];
            im[i] = w[2 * i + 1];
        }
    } else {
        s->la->dgbtrs("N", &s->n, &s->kl, &s->ku, &one, s->ab, &s->ldf, s->ipiv, re, &s->n, &info,
                      1);
        if (im != NULL) {
            s->la->dgbtrs("N", &s->n, &s->kl, &s->ku, &one, s->ab, &s->ldf, s->ipiv, im, &s->n,
                          &info, 1);
        }
    }
}

const ivp_linsolver_type ivp_linsolver_band_lapack = {
    .name = "band-lapack",
    .init = band_init,
    .factor = band_factor,
    .solve = band_solve,
    .free = band_free,
};
