/* SPDX-License-Identifier: MIT
 * core/src/linalg/dense.c - dense LU of alpha*I + beta*A: ivp's own, for small n, and LAPACK
 * (dgetrf/dgetrs, zgetrf/zgetrs) from IVP_DENSE_LAPACK_CROSSOVER on.
 *
 * The own LU is Gaussian elimination with partial pivoting in its right-looking,
 * column-oriented form (Golub & Van Loan, Matrix Computations, 4th ed., Algorithm 3.4.1,
 * "outer product" Gaussian elimination), two pivot columns per step: the trailing columns
 * then take both rank-one updates in one pass, each an axpy down a contiguous column that the
 * compiler vectorises, with half the memory traffic of one update per pass. Row interchanges
 * are applied to whole rows, as LAPACK's dgetf2 does, so the factors are P A = L U with L unit
 * lower triangular below the diagonal, and solving is the same as dgetrs. Complex matrices
 * are stored split (real and imaginary planes), which keeps the updates plain double loops
 * instead of interleaved complex arithmetic; the pivot is chosen by |re| + |im| like LAPACK's
 * izamax. Nothing is allocated after init. For small n this beats LAPACK's call and blocking
 * overhead; bench/linalg/crossover.c measures where it stops doing so (bench/linalg/README.md).
 */
#include "linalg/backend.h"
#include "linalg/linalg_impl.h"

#include <limits.h>
#include <math.h>
#include <stdint.h>

/* ------------------------------------------------------------------------------------------ */
/* Forming alpha*I + beta*A                                                                   */

/* Sum of x*0 over the values: 0 when all are finite, NaN otherwise (a vectorisable test). */
static double dense_nonfinite(const double *restrict x, size_t len)
{
    double acc = 0.0;
    size_t i;
    for (i = 0; i < len; i++) {
        acc += x[i] * 0.0;
    }
    return acc;
}

/* IVP_ERR_LINALG naming the first non-finite entry of the dense column-major A (alpha and beta
 * are checked by the caller). */
static ivp_status dense_report_nonfinite(const double *v, size_t n, const char *what,
                                         ivp_error *err)
{
    size_t i, j;
    for (j = 0; j < n; j++) {
        for (i = 0; i < n; i++) {
            if (!isfinite(v[i + j * n])) {
                return ivp_error_set(err, IVP_ERR_LINALG, "%s: non-finite value %g at (%zu, %zu)",
                                     what, v[i + j * n], i, j);
            }
        }
    }
    return ivp_error_set(err, IVP_ERR_LINALG, "%s: non-finite value", what);
}

/* Checks alpha, beta and A for Inf/NaN: the LU would silently carry them into the solution. */
static ivp_status dense_check_input(double alpha_re, double alpha_im, double beta,
                                    const ivp_matrix *A, ivp_error *err)
{
    if (!isfinite(alpha_re) || !isfinite(alpha_im) || !isfinite(beta)) {
        return ivp_error_set(err, IVP_ERR_LINALG,
                             "alpha*I + beta*A: non-finite coefficient (alpha = %g%+gi, beta = %g)",
                             alpha_re, alpha_im, beta);
    }
    if (dense_nonfinite(A->v, A->n * A->n) != 0.0) {
        return dense_report_nonfinite(A->v, A->n, "alpha*I + beta*A: matrix A", err);
    }
    return IVP_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Kernels                                                                                     */
/* Unrolled by hand so that gcc vectorises them at -O2 too: its default -O2 cost model
 * ("very-cheap") only vectorises loops whose vector code needs no scalar epilogue, which the
 * plain loops (unknown trip count) never satisfy, while these bodies it packs whole. */

/* y -= t x (m entries). */
static void k_axpy(size_t m, double t, const double *restrict x, double *restrict y)
{
    size_t i = 0;
    for (; i + 4 <= m; i += 4) {
        y[i] -= x[i] * t;
        y[i + 1] -= x[i + 1] * t;
        y[i + 2] -= x[i + 2] * t;
        y[i + 3] -= x[i + 3] * t;
    }
    for (; i < m; i++) {
        y[i] -= x[i] * t;
    }
}

/* x *= r (m entries). */
static void k_scal(size_t m, double r, double *restrict x)
{
    size_t i = 0;
    for (; i + 4 <= m; i += 4) {
        x[i] *= r;
        x[i + 1] *= r;
        x[i + 2] *= r;
        x[i + 3] *= r;
    }
    for (; i < m; i++) {
        x[i] *= r;
    }
}

/* y -= t x, complex, split storage (m entries). */
static void k_caxpy(size_t m, double tr, double ti, const double *restrict xr,
                    const double *restrict xi, double *restrict yr, double *restrict yi)
{
    size_t i = 0;
    for (; i + 2 <= m; i += 2) {
        yr[i] -= xr[i] * tr - xi[i] * ti;
        yr[i + 1] -= xr[i + 1] * tr - xi[i + 1] * ti;
        yi[i] -= xr[i] * ti + xi[i] * tr;
        yi[i + 1] -= xr[i + 1] * ti + xi[i + 1] * tr;
    }
    for (; i < m; i++) {
        yr[i] -= xr[i] * tr - xi[i] * ti;
        yi[i] -= xr[i] * ti + xi[i] * tr;
    }
}

/* x *= r, complex, split storage (m entries). */
static void k_cscal(size_t m, double rr, double ri, double *restrict xr, double *restrict xi)
{
    size_t i = 0;
    for (; i + 2 <= m; i += 2) {
        double a0 = xr[i], a1 = xr[i + 1], b0 = xi[i], b1 = xi[i + 1];
        xr[i] = a0 * rr - b0 * ri;
        xr[i + 1] = a1 * rr - b1 * ri;
        xi[i] = a0 * ri + b0 * rr;
        xi[i + 1] = a1 * ri + b1 * rr;
    }
    for (; i < m; i++) {
        double a0 = xr[i], b0 = xi[i];
        xr[i] = a0 * rr - b0 * ri;
        xi[i] = a0 * ri + b0 * rr;
    }
}

/* y -= t0 x0 + t1 x1 (m entries): two rank-one updates in one pass over y. */
static void k_axpy2(size_t m, double t0, const double *restrict x0, double t1,
                    const double *restrict x1, double *restrict y)
{
    size_t i = 0;
    for (; i + 4 <= m; i += 4) {
        y[i] -= x0[i] * t0 + x1[i] * t1;
        y[i + 1] -= x0[i + 1] * t0 + x1[i + 1] * t1;
        y[i + 2] -= x0[i + 2] * t0 + x1[i + 2] * t1;
        y[i + 3] -= x0[i + 3] * t0 + x1[i + 3] * t1;
    }
    for (; i < m; i++) {
        y[i] -= x0[i] * t0 + x1[i] * t1;
    }
}

/* y -= t0 x0 + t1 x1, complex, split storage (m entries). */
static void k_caxpy2(size_t m, double t0r, double t0i, const double *restrict x0r,
                     const double *restrict x0i, double t1r, double t1i, const double *restrict x1r,
                     const double *restrict x1i, double *restrict yr, double *restrict yi)
{
    size_t i = 0;
    for (; i + 2 <= m; i += 2) {
        yr[i] -= x0r[i] * t0r - x0i[i] * t0i + x1r[i] * t1r - x1i[i] * t1i;
        yr[i + 1] -= x0r[i + 1] * t0r - x0i[i + 1] * t0i + x1r[i + 1] * t1r - x1i[i + 1] * t1i;
        yi[i] -= x0r[i] * t0i + x0i[i] * t0r + x1r[i] * t1i + x1i[i] * t1r;
        yi[i + 1] -= x0r[i + 1] * t0i + x0i[i + 1] * t0r + x1r[i + 1] * t1i + x1i[i + 1] * t1r;
    }
    for (; i < m; i++) {
        yr[i] -= x0r[i] * t0r - x0i[i] * t0i + x1r[i] * t1r - x1i[i] * t1i;
        yi[i] -= x0r[i] * t0i + x0i[i] * t0r + x1r[i] * t1i + x1i[i] * t1r;
    }
}

/* y = beta x (m entries). */
static void k_copy_scaled(size_t m, double beta, const double *restrict x, double *restrict y)
{
    size_t i = 0;
    for (; i + 4 <= m; i += 4) {
        y[i] = beta * x[i];
        y[i + 1] = beta * x[i + 1];
        y[i + 2] = beta * x[i + 2];
        y[i + 3] = beta * x[i + 3];
    }
    for (; i < m; i++) {
        y[i] = beta * x[i];
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Own LU, real                                                                                */

typedef struct dense_own {
    double *re;    /* n*n: LU factors, or their real parts */
    double *im;    /* n*n: imaginary parts (complex only) */
    double *rd_re; /* n: 1 / U(k, k), or its real part */
    double *rd_im; /* n: imaginary part of 1 / U(k, k) (complex only) */
    size_t *piv;   /* n: row k was interchanged with row piv[k] >= k */
} dense_own;

/* Swaps rows k and p (p > k) over all n columns. */
static void own_swap_rows(double *restrict a, size_t n, size_t k, size_t p)
{
    size_t j;
    for (j = 0; j < n; j++) {
        double t = a[k + j * n];
        a[k + j * n] = a[p + j * n];
        a[p + j * n] = t;
    }
}

/* Step k's pivot: finds the largest |a(i, k)|, i >= k, interchanges rows k and p over all
 * columns, stores 1 / pivot and scales the column below the diagonal into L(:, k).
 * Returns 0 when the column has no nonzero pivot. */
static int own_pivot_real(size_t n, double *restrict a, size_t k, size_t *restrict piv,
                          double *restrict rd)
{
    double *ck = a + k * n;
    double amax = fabs(ck[k]), r;
    size_t i, p = k;
    for (i = k + 1; i < n; i++) {
        double t = fabs(ck[i]);
        if (t > amax) {
            amax = t;
            p = i;
        }
    }
    piv[k] = p;
    if (amax == 0.0) {
        return 0;
    }
    if (p != k) {
        own_swap_rows(a, n, k, p);
    }
    r = 1.0 / ck[k];
    rd[k] = r;
    k_scal(n - k - 1, r, ck + k + 1);
    return 1;
}

/* In place P a = L U. Returns 0, or k + 1 when column k has no nonzero pivot.
 * Two columns per step: columns k and k+1 are factored first (column k+1 updated by
 * column k only), then every trailing column receives both rank-one updates in one pass,
 * which halves the memory traffic of the plain right-looking loop. Deferring step k's update
 * of the trailing columns past step k+1's row interchange is exact: interchanging rows of A
 * and of L(:, k) commutes with subtracting L(:, k) U(k, :). */
static size_t own_lu_real(size_t n, double *restrict a, size_t *restrict piv, double *restrict rd)
{
    size_t j, k;
    for (k = 0; k + 1 < n; k += 2) {
        double *c0 = a + k * n;
        double *c1 = a + (k + 1) * n;
        double l;
        if (!own_pivot_real(n, a, k, piv, rd)) {
            return k + 1;
        }
        k_axpy(n - k - 1, c1[k], c0 + k + 1, c1 + k + 1);
        if (!own_pivot_real(n, a, k + 1, piv, rd)) {
            return k + 2;
        }
        l = c0[k + 1]; /* L(k+1, k) */
        for (j = k + 2; j < n; j++) {
            double *cj = a + j * n;
            double u0 = cj[k];
            double u1 = cj[k + 1] - l * u0;
            cj[k + 1] = u1;
            if (u0 != 0.0 || u1 != 0.0) {
                k_axpy2(n - k - 2, u0, c0 + k + 2, u1, c1 + k + 2, cj + k + 2);
            }
        }
    }
    if (k + 1 == n && !own_pivot_real(n, a, k, piv, rd)) {
        return k + 1;
    }
    return 0;
}

static void own_solve_real(size_t n, const double *restrict a, const size_t *restrict piv,
                           const double *restrict rd, double *restrict b)
{
    size_t k;
    for (k = 0; k < n; k++) {
        size_t p = piv[k];
        if (p != k) {
            double t = b[k];
            b[k] = b[p];
            b[p] = t;
        }
    }
    for (k = 0; k < n; k++) { /* L y = P b, L unit lower */
        k_axpy(n - k - 1, b[k], a + k * n + k + 1, b + k + 1);
    }
    for (k = n; k-- > 0;) { /* U x = y */
        double t = b[k] * rd[k];
        b[k] = t;
        k_axpy(k, t, a + k * n, b);
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Own LU, complex (split storage)                                                            */

/* 1 / (a + ib) without overflow in the intermediate a^2 + b^2 (Smith's algorithm). */
static void own_crecip(double a, double b, double *re, double *im)
{
    if (fabs(a) >= fabs(b)) {
        double r = b / a, d = a + b * r;
        *re = 1.0 / d;
        *im = -r / d;
    } else {
        double r = a / b, d = a * r + b;
        *re = r / d;
        *im = -1.0 / d;
    }
}

/* As own_pivot_real, the pivot chosen by |re| + |im|. */
static int own_pivot_complex(size_t n, double *restrict ar, double *restrict ai, size_t k,
                             size_t *restrict piv, double *restrict rdr, double *restrict rdi)
{
    double *kr = ar + k * n;
    double *ki = ai + k * n;
    double amax = fabs(kr[k]) + fabs(ki[k]), rr, ri;
    size_t i, p = k;
    for (i = k + 1; i < n; i++) {
        double t = fabs(kr[i]) + fabs(ki[i]);
        if (t > amax) {
            amax = t;
            p = i;
        }
    }
    piv[k] = p;
    if (amax == 0.0) {
        return 0;
    }
    if (p != k) {
        own_swap_rows(ar, n, k, p);
        own_swap_rows(ai, n, k, p);
    }
    own_crecip(kr[k], ki[k], &rr, &ri);
    rdr[k] = rr;
    rdi[k] = ri;
    k_cscal(n - k - 1, rr, ri, kr + k + 1, ki + k + 1);
    return 1;
}

/* As own_lu_real, two columns per step. */
static size_t own_lu_complex(size_t n, double *restrict ar, double *restrict ai,
                             size_t *restrict piv, double *restrict rdr, double *restrict rdi)
{
    size_t j, k;
    for (k = 0; k + 1 < n; k += 2) {
        double *c0r = ar + k * n;
        double *c0i = ai + k * n;
        double *c1r = ar + (k + 1) * n;
        double *c1i = ai + (k + 1) * n;
        double lr, li;
        if (!own_pivot_complex(n, ar, ai, k, piv, rdr, rdi)) {
            return k + 1;
        }
        k_caxpy(n - k - 1, c1r[k], c1i[k], c0r + k + 1, c0i + k + 1, c1r + k + 1, c1i + k + 1);
        if (!own_pivot_complex(n, ar, ai, k + 1, piv, rdr, rdi)) {
            return k + 2;
        }
        lr = c0r[k + 1];
        li = c0i[k + 1];
        for (j = k + 2; j < n; j++) {
            double *cjr = ar + j * n;
            double *cji = ai + j * n;
            double u0r = cjr[k], u0i = cji[k];
            double u1r = cjr[k + 1] - (lr * u0r - li * u0i);
            double u1i = cji[k + 1] - (lr * u0i + li * u0r);
            cjr[k + 1] = u1r;
            cji[k + 1] = u1i;
            if (u0r != 0.0 || u0i != 0.0 || u1r != 0.0 || u1i != 0.0) {
                k_caxpy2(n - k - 2, u0r, u0i, c0r + k + 2, c0i + k + 2, u1r, u1i, c1r + k + 2,
                         c1i + k + 2, cjr + k + 2, cji + k + 2);
            }
        }
    }
    if (k + 1 == n && !own_pivot_complex(n, ar, ai, k, piv, rdr, rdi)) {
        return k + 1;
    }
    return 0;
}

static void own_solve_complex(size_t n, const double *restrict ar, const double *restrict ai,
                              const size_t *restrict piv, const double *restrict rdr,
                              const double *restrict rdi, double *restrict br, double *restrict bi)
{
    size_t k;
    for (k = 0; k < n; k++) {
        size_t p = piv[k];
        if (p != k) {
            double t = br[k];
            br[k] = br[p];
            br[p] = t;
            t = bi[k];
            bi[k] = bi[p];
            bi[p] = t;
        }
    }
    for (k = 0; k < n; k++) {
        size_t o = k * n + k + 1;
        k_caxpy(n - k - 1, br[k], bi[k], ar + o, ai + o, br + k + 1, bi + k + 1);
    }
    for (k = n; k-- > 0;) {
        double tr = br[k] * rdr[k] - bi[k] * rdi[k];
        double ti = br[k] * rdi[k] + bi[k] * rdr[k];
        br[k] = tr;
        bi[k] = ti;
        k_caxpy(k, tr, ti, ar + k * n, ai + k * n, br, bi);
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Own LU: the back end                                                                        */

static void own_free(ivp_linsolver *ls)
{
    dense_own *s = ls->state;
    if (s == NULL) {
        return;
    }
    ivp_free(&ls->alloc, s->re);
    ivp_free(&ls->alloc, s->im);
    ivp_free(&ls->alloc, s->rd_re);
    ivp_free(&ls->alloc, s->rd_im);
    ivp_free(&ls->alloc, s->piv);
    ivp_free(&ls->alloc, s);
    ls->state = NULL;
}

static ivp_status own_init(ivp_linsolver *ls, const ivp_matrix *pattern, ivp_error *err)
{
    const ivp_allocator *a = &ls->alloc;
    size_t n = ls->n;
    dense_own *s;
    (void)pattern;
    s = ivp_calloc(a, 1, sizeof *s);
    ls->state = s;
    if (s == NULL) {
        goto fail;
    }
    s->re = ivp_calloc(a, n * n, sizeof *s->re);
    s->rd_re = ivp_calloc(a, n, sizeof *s->rd_re);
    s->piv = ivp_calloc(a, n, sizeof *s->piv);
    if (s->re == NULL || s->rd_re == NULL || s->piv == NULL) {
        goto fail;
    }
    if (ls->is_complex) {
        s->im = ivp_calloc(a, n * n, sizeof *s->im);
        s->rd_im = ivp_calloc(a, n, sizeof *s->rd_im);
        if (s->im == NULL || s->rd_im == NULL) {
            goto fail;
        }
    }
    return IVP_OK;

fail:
    own_free(ls);
    return ivp_error_set(err, IVP_ERR_NOMEM, "dense LU: cannot allocate workspace for n = %zu", n);
}

static ivp_status own_factor(ivp_linsolver *ls, double alpha_re, double alpha_im, double beta,
                             const ivp_matrix *A, ivp_error *err)
{
    dense_own *s = ls->state;
    size_t n = ls->n, nn = n * n, i, bad;
    const double *restrict v = A->v;
    ivp_status st = dense_check_input(alpha_re, alpha_im, beta, A, err);
    if (st != IVP_OK) {
        return st;
    }
    k_copy_scaled(nn, beta, v, s->re);
    for (i = 0; i < n; i++) {
        s->re[i + i * n] += alpha_re;
    }
    if (ls->is_complex) {
        double *restrict im = s->im;
        for (i = 0; i < nn; i++) {
            im[i] = 0.0;
        }
        for (i = 0; i < n; i++) {
            im[i + i * n] = alpha_im;
        }
        bad = own_lu_complex(n, s->re, s->im, s->piv, s->rd_re, s->rd_im);
    } else {
        bad = own_lu_real(n, s->re, s->piv, s->rd_re);
    }
    if (bad != 0) {
        return ivp_error_set(err, IVP_ERR_LINALG,
                             "dense LU: matrix is singular (zero pivot in column %zu of %zu)",
                             bad - 1, n);
    }
    if (dense_nonfinite(s->re, nn) != 0.0 || dense_nonfinite(s->rd_re, n) != 0.0 ||
        (ls->is_complex &&
         (dense_nonfinite(s->im, nn) != 0.0 || dense_nonfinite(s->rd_im, n) != 0.0))) {
        return ivp_error_set(err, IVP_ERR_LINALG,
                             "dense LU: factorisation overflowed (n = %zu); the matrix is too "
                             "badly scaled or nearly singular",
                             n);
    }
    return IVP_OK;
}

static void own_solve(ivp_linsolver *ls, double *re, double *im)
{
    dense_own *s = ls->state;
    if (ls->is_complex) {
        own_solve_complex(ls->n, s->re, s->im, s->piv, s->rd_re, s->rd_im, re, im);
    } else {
        own_solve_real(ls->n, s->re, s->piv, s->rd_re, re);
        if (im != NULL) {
            own_solve_real(ls->n, s->re, s->piv, s->rd_re, im);
        }
    }
}

const ivp_linsolver_type ivp_linsolver_dense_own = {
    .name = "dense-own",
    .init = own_init,
    .factor = own_factor,
    .solve = own_solve,
    .free = own_free,
};

/* ------------------------------------------------------------------------------------------ */
/* LAPACK                                                                                      */

typedef struct dense_lapack {
    double *a;                /* n*n (real) or 2*n*n (complex, interleaved re/im): factors */
    int *ipiv;                /* n: LAPACK's 1-based interchanges */
    double *w;                /* 2*n: interleaved right-hand side (complex only) */
    int n;                    /* n as LAPACK takes it */
    const ivp_lapack_api *la; /* LAPACK, loaded on first use */
} dense_lapack;

static void lapack_free(ivp_linsolver *ls)
{
    dense_lapack *s = ls->state;
    if (s == NULL) {
        return;
    }
    ivp_free(&ls->alloc, s->a);
    ivp_free(&ls->alloc, s->ipiv);
    ivp_free(&ls->alloc, s->w);
    ivp_free(&ls->alloc, s);
    ls->state = NULL;
}

static ivp_status lapack_init(ivp_linsolver *ls, const ivp_matrix *pattern, ivp_error *err)
{
    const ivp_allocator *a = &ls->alloc;
    size_t n = ls->n, width = ls->is_complex ? 2 : 1;
    dense_lapack *s;
    const ivp_lapack_api *la;
    (void)pattern;
    if (n > INT_MAX || n > SIZE_MAX / sizeof(double) / 2 / n) {
        return ivp_error_set(err, IVP_ERR_ARG, "dense LAPACK LU: n = %zu is too large", n);
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
    s->n = (int)n;
    s->la = la;
    s->a = ivp_calloc(a, width * n * n, sizeof *s->a);
    s->ipiv = ivp_calloc(a, n, sizeof *s->ipiv);
    if (s->a == NULL || s->ipiv == NULL) {
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
    lapack_free(ls);
    return ivp_error_set(err, IVP_ERR_NOMEM,
                         "dense LAPACK LU: cannot allocate workspace for n = %zu", n);
}

static ivp_status lapack_factor(ivp_linsolver *ls, double alpha_re, double alpha_im, double beta,
                                const ivp_matrix *A, ivp_error *err)
{
    dense_lapack *s = ls->state;
    size_t n = ls->n, nn = n * n, i;
    const double *restrict v = A->v;
    double *restrict a = s->a;
    int info = 0;
    ivp_status st = dense_check_input(alpha_re, alpha_im, beta, A, err);
    if (st != IVP_OK) {
        return st;
    }
    if (ls->is_complex) {
        for (i = 0; i < nn; i++) {
            a[2 * i] = beta * v[i];
            a[2 * i + 1] = 0.0;
        }
        for (i = 0; i < n; i++) {
            a[2 * (i + i * n)] += alpha_re;
            a[2 * (i + i * n) + 1] = alpha_im;
        }
        s->la->zgetrf(&s->n, &s->n, a, &s->n, s->ipiv, &info);
    } else {
        k_copy_scaled(nn, beta, v, a);
        for (i = 0; i < n; i++) {
            a[i + i * n] += alpha_re;
        }
        s->la->dgetrf(&s->n, &s->n, a, &s->n, s->ipiv, &info);
    }
    if (info > 0) {
        return ivp_error_set(err, IVP_ERR_LINALG,
                             "dense LAPACK LU: matrix is singular (zero pivot in column %d of "
                             "%zu)",
                             info - 1, n);
    }
    if (info < 0) {
        return ivp_error_set(err, IVP_ERR_INTERNAL, "%cgetrf: illegal argument %d",
                             ls->is_complex ? 'z' : 'd', -info);
    }
    if (dense_nonfinite(a, (ls->is_complex ? 2 : 1) * nn) != 0.0) {
        return ivp_error_set(err, IVP_ERR_LINALG,
                             "dense LAPACK LU: factorisation overflowed (n = %zu); the matrix is "
                             "too badly scaled or nearly singular",
                             n);
    }
    return IVP_OK;
}

static void lapack_solve(ivp_linsolver *ls, double *re, double *im)
{
    dense_lapack *s = ls->state;
    size_t n = ls->n, i;
    int one = 1, info = 0;
    if (ls->is_complex) {
        double *restrict w = s->w;
        for (i = 0; i < n; i++) {
            w[2 * i] = re[i];
            w[2 * i + 1] = im[i];
        }
        s->la->zgetrs("N", &s->n, &one, s->a, &s->n, s->ipiv, w, &s->n, &info, 1);
        for (i = 0; i < n; i++) {
            re[i] = w[2 * i];
            im[i] = w[2 * i + 1];
        }
    } else {
        s->la->dgetrs("N", &s->n, &one, s->a, &s->n, s->ipiv, re, &s->n, &info, 1);
        if (im != NULL) {
            s->la->dgetrs("N", &s->n, &one, s->a, &s->n, s->ipiv, im, &s->n, &info, 1);
        }
    }
}

const ivp_linsolver_type ivp_linsolver_dense_lapack = {
    .name = "dense-lapack",
    .init = lapack_init,
    .factor = lapack_factor,
    .solve = lapack_solve,
    .free = lapack_free,
};
