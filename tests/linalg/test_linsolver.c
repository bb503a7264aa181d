/* SPDX-License-Identifier: MIT
 * tests/linalg/test_linsolver.c - the linear solvers of linalg.h, every back end (own dense LU,
 * LAPACK dense, LAPACK band, KLU, UMFPACK), real and complex: solutions of alpha*I + beta*A x = b
 * against a known x (b formed here, independently of the library) and the residual;
 * singular and non-finite matrices; refactorisation; no allocation after the first factor;
 * allocation failures; structure mismatches.
 */
#include "support.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "linalg/linalg.h"
#include "linalg/linalg_impl.h"

/* ------------------------------------------------------------------------------------------ */
/* Helpers                                                                                     */

/* splitmix64 (Steele, Lea & Flood 2014): a fixed-seed generator, so every run sees the same
 * matrices. */
static double rng_uniform(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    z ^= z >> 31;
    return (double)(z >> 11) * 0x1.0p-53 * 2.0 - 1.0; /* [-1, 1) */
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n == 0 ? 1 : n);
    assert_non_null(p);
    return p;
}

/* Calls f(ud, i, j, value position) for each stored entry inside the matrix. */
typedef void (*entry_fn)(void *ud, size_t i, size_t j, size_t pos);
static void for_each_entry(const ivp_matrix *m, entry_fn f, void *ud)
{
    size_t n = m->n, i, j, k;
    switch (m->kind) {
    case IVP_MAT_DENSE:
        for (j = 0; j < n; j++) {
            for (i = 0; i < n; i++) {
                f(ud, i, j, i + j * n);
            }
        }
        break;
    case IVP_MAT_BAND:
        for (j = 0; j < n; j++) {
            for (i = (j > m->ku ? j - m->ku : 0); i < n && i <= j + m->kl; i++) {
                f(ud, i, j, (m->ku + i - j) + j * (m->kl + m->ku + 1));
            }
        }
        break;
    case IVP_MAT_SPARSE:
        for (j = 0; j < n; j++) {
            for (k = m->colptr[j]; k < m->colptr[j + 1]; k++) {
                f(ud, m->rowind[k], j, k);
            }
        }
        break;
    }
}

typedef struct apply_ctx {
    const ivp_matrix *m;
    double beta;
    const double *xr, *xi;
    double *yr, *yi;
} apply_ctx;

static void apply_entry(void *ud, size_t i, size_t j, size_t pos)
{
    apply_ctx *c = ud;
    double a = c->beta * c->m->v[pos];
    c->yr[i] += a * c->xr[j];
    c->yi[i] += a * c->xi[j];
}

/* y = (ar + i ai) x + beta A x, complex, written here from the layout definitions only. */
static void apply(const ivp_matrix *m, double ar, double ai, double beta, const double *xr,
                  const double *xi, double *yr, double *yi)
{
    apply_ctx c = {m, beta, xr, xi, yr, yi};
    size_t i;
    for (i = 0; i < m->n; i++) {
        yr[i] = ar * xr[i] - ai * xi[i];
        yi[i] = ar * xi[i] + ai * xr[i];
    }
    for_each_entry(m, apply_entry, &c);
}

static void random_entry(void *ud, size_t i, size_t j, size_t pos)
{
    ivp_matrix *m = ((void **)ud)[0];
    uint64_t *s = ((void **)ud)[1];
    (void)i;
    (void)j;
    m->v[pos] = rng_uniform(s);
}

/* Uniform(-1, 1) values in every stored position inside the matrix. */
static void fill_random(ivp_matrix *m, uint64_t *seed)
{
    void *ud[2];
    ud[0] = m;
    ud[1] = seed;
    for_each_entry(m, random_entry, ud);
}

/* A matrix of the given layout (sparse: a random pattern, about per_col entries a column,
 * some duplicated). */
static void make_matrix(ivp_matrix *m, ivp_mat_kind kind, size_t n, size_t kl, size_t ku,
                        size_t per_col, uint64_t *seed)
{
    ivp_error err;
    if (kind == IVP_MAT_DENSE) {
        assert_int_equal(ivp_matrix_init_dense(m, n, NULL, &err), IVP_OK);
    } else if (kind == IVP_MAT_BAND) {
        assert_int_equal(ivp_matrix_init_band(m, n, kl, ku, NULL, &err), IVP_OK);
    } else {
        size_t cnt = per_col * n, k;
        size_t *rows = xmalloc(cnt * sizeof *rows);
        size_t *cols = xmalloc(cnt * sizeof *cols);
        for (k = 0; k < cnt; k++) {
            rows[k] = (size_t)((rng_uniform(seed) + 1.0) * 0.5 * (double)n) % n;
            cols[k] = k % n;
        }
        assert_int_equal(ivp_matrix_init_sparse(m, n, rows, cols, cnt, NULL, &err), IVP_OK);
        free(rows);
        free(cols);
    }
    fill_random(m, seed);
}

/* Largest number of stored entries in a row: alpha above it makes alpha*I + A (entries of A
 * in (-1, 1)) strictly diagonally dominant, hence well-conditioned. */
static size_t max_row_count(const ivp_matrix *m)
{
    size_t *cnt = calloc(m->n, sizeof *cnt), i, best = 0, j, k;
    assert_non_null(cnt);
    if (m->kind == IVP_MAT_DENSE) {
        best = m->n;
    } else if (m->kind == IVP_MAT_BAND) {
        best = m->kl + m->ku + 1;
    } else {
        for (j = 0; j < m->n; j++) {
            for (k = m->colptr[j]; k < m->colptr[j + 1]; k++) {
                cnt[m->rowind[k]]++;
            }
        }
        for (i = 0; i < m->n; i++) {
            best = cnt[i] > best ? cnt[i] : best;
        }
    }
    free(cnt);
    return best;
}

static double inf_norm2(const double *re, const double *im, size_t n)
{
    double s = 0.0;
    size_t i;
    for (i = 0; i < n; i++) {
        double a = hypot(re[i], im != NULL ? im[i] : 0.0);
        s = a > s ? a : s;
    }
    return s;
}

/* Factors alpha I + beta A with ls, solves for a random known x and checks
 *   forward error  max|x - x_true| / max|x_true| < ftol  and
 *   residual       max|M x - b| / (|M| max|x| + max|b|) < rtol,
 * where |M| is the max row sum. Complex when alpha_im != 0 or the solver is complex. */
static void check_solve(ivp_linsolver *ls, const ivp_matrix *A, double alpha_re, double alpha_im,
                        double beta, double ftol, double rtol, uint64_t *seed)
{
    size_t n = A->n, i;
    int cplx = ls->is_complex;
    double *xt_r = xmalloc(n * sizeof(double)), *xt_i = xmalloc(n * sizeof(double));
    double *b_r = xmalloc(n * sizeof(double)), *b_i = xmalloc(n * sizeof(double));
    double *x_r = xmalloc(n * sizeof(double)), *x_i = xmalloc(n * sizeof(double));
    double *r_r = xmalloc(n * sizeof(double)), *r_i = xmalloc(n * sizeof(double));
    double *ones = xmalloc(n * sizeof(double)), *zeros = xmalloc(n * sizeof(double));
    double *rs_r = xmalloc(n * sizeof(double)), *rs_i = xmalloc(n * sizeof(double));
    double *absA_v = xmalloc(A->len * sizeof(double));
    ivp_matrix absA = *A;
    double err_f, res, norm_m;
    ivp_error err;
    ivp_status st;

    st = cplx ? ivp_linsolver_factor_complex(ls, alpha_re, alpha_im, beta, A, &err)
              : ivp_linsolver_factor(ls, alpha_re, beta, A, &err);
    if (st != IVP_OK) {
        print_error("factor failed: %s\n", err.msg);
    }
    assert_int_equal(st, IVP_OK);
    for (i = 0; i < n; i++) {
        xt_r[i] = rng_uniform(seed);
        xt_i[i] = cplx ? rng_uniform(seed) : 0.0;
        ones[i] = 1.0;
        zeros[i] = 0.0;
    }
    apply(A, alpha_re, alpha_im, beta, xt_r, xt_i, b_r, b_i);
    memcpy(x_r, b_r, n * sizeof(double));
    memcpy(x_i, b_i, n * sizeof(double));
    if (cplx) {
        ivp_linsolver_solve_complex(ls, x_r, x_i);
    } else {
        ivp_linsolver_solve(ls, x_r);
        for (i = 0; i < n; i++) {
            x_i[i] = 0.0;
        }
    }
    for (i = 0; i < n; i++) {
        r_r[i] = x_r[i] - xt_r[i];
        r_i[i] = x_i[i] - xt_i[i];
    }
    err_f = inf_norm2(r_r, r_i, n) / inf_norm2(xt_r, xt_i, n);
    apply(A, alpha_re, alpha_im, beta, x_r, x_i, r_r, r_i);
    for (i = 0; i < n; i++) {
        r_r[i] -= b_r[i];
        r_i[i] -= b_i[i];
    }
    /* |M| = max row sum of |alpha I + beta A| <= |alpha| + |beta| max row sum |A| */
    for (i = 0; i < A->len; i++) {
        absA_v[i] = fabs(A->v[i]);
    }
    absA.v = absA_v;
    apply(&absA, 0.0, 0.0, fabs(beta), ones, zeros, rs_r, rs_i);
    norm_m = hypot(alpha_re, alpha_im) + inf_norm2(rs_r, NULL, n);
    res = inf_norm2(r_r, r_i, n) / (norm_m * inf_norm2(x_r, x_i, n) + inf_norm2(b_r, b_i, n));
    if (!(err_f < ftol) || !(res < rtol)) {
        print_error("%s n = %zu %s alpha = %g%+gi beta = %g: forward error %.3g (tol %.3g), "
                    "residual %.3g (tol %.3g)\n",
                    ivp_linsolver_name(ls), n, cplx ? "complex" : "real", alpha_re, alpha_im, beta,
                    err_f, ftol, res, rtol);
    }
    assert_true(err_f < ftol);
    assert_true(res < rtol);
    free(xt_r);
    free(xt_i);
    free(b_r);
    free(b_i);
    free(x_r);
    free(x_i);
    free(r_r);
    free(r_i);
    free(ones);
    free(zeros);
    free(rs_r);
    free(rs_i);
    free(absA_v);
}

static ivp_linsolver *new_solver(const ivp_linsolver_type *type, const ivp_matrix *A, int cplx)
{
    ivp_linsolver *ls = NULL;
    ivp_error err;
    ivp_status st = ivp_linsolver_new_with(type, A, cplx, NULL, &ls, &err);
    if (st != IVP_OK) {
        print_error("ivp_linsolver_new_with: %s\n", err.msg);
    }
    assert_int_equal(st, IVP_OK);
    assert_non_null(ls);
    assert_string_equal(ivp_linsolver_name(ls), type->name);
    return ls;
}

/* Well-conditioned (diagonally dominant) and pivoting-heavy (alpha small) random systems,
 * real and complex, for the given back end and sizes. */
static void random_battery(const ivp_linsolver_type *type, ivp_mat_kind kind, const size_t *ns,
                           size_t count, size_t kl, size_t ku)
{
    uint64_t seed = 20240611u;
    size_t t;
    for (t = 0; t < count; t++) {
        ivp_matrix A;
        ivp_linsolver *lr, *lc;
        double dom;
        make_matrix(&A, kind, ns[t], kl, ku, 4, &seed);
        dom = (double)max_row_count(&A) + 1.0;
        lr = new_solver(type, &A, 0);
        lc = new_solver(type, &A, 1);
        /* diagonally dominant: alpha*I + beta*A with |alpha| > |beta| * row count */
        check_solve(lr, &A, dom * 1.5, 0.0, -1.5, 1e-13, 1e-14, &seed);
        check_solve(lc, &A, dom * 0.8, dom * 0.6, 1.0, 1e-13, 1e-14, &seed);
        /* alpha small: the pivots come from off the diagonal; a random matrix is still
         * reasonably conditioned, and LU with partial pivoting is backward stable */
        check_solve(lr, &A, 0.05, 0.0, 1.0, 1e-6, 1e-13, &seed);
        check_solve(lc, &A, 0.03, -0.04, 1.0, 1e-6, 1e-13, &seed);
        /* refactorisation with new values and coefficients */
        fill_random(&A, &seed);
        check_solve(lr, &A, -0.2, 0.0, 2.0, 1e-6, 1e-13, &seed);
        check_solve(lc, &A, 0.5, 2.5, -1.0, 1e-6, 1e-13, &seed);
        check_solve(lr, &A, dom * 3.0, 0.0, 1.0, 1e-13, 1e-14, &seed);
        check_solve(lc, &A, dom * 3.0, -dom, 2.0, 1e-13, 1e-14, &seed);
        ivp_linsolver_free(lr);
        ivp_linsolver_free(lc);
        ivp_matrix_free(&A, NULL);
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Random systems per back end                                                                 */

static void dense_own_solves_random_systems(void **state)
{
    static const size_t ns[] = {1, 2, 3, 4, 5, 7, 8, 13, 16, 31, 64, 100};
    (void)state;
    random_battery(&ivp_linsolver_dense_own, IVP_MAT_DENSE, ns, sizeof ns / sizeof ns[0], 0, 0);
}

static void dense_lapack_solves_random_systems(void **state)
{
    static const size_t ns[] = {1, 2, 3, 7, 16, 31, 64, 100};
    (void)state;
    random_battery(&ivp_linsolver_dense_lapack, IVP_MAT_DENSE, ns, sizeof ns / sizeof ns[0], 0, 0);
}

static void band_solves_random_systems(void **state)
{
    static const size_t ns[] = {1, 2, 5, 40};
    static const size_t n1000[] = {1000};
    (void)state;
    random_battery(&ivp_linsolver_band_lapack, IVP_MAT_BAND, ns, 4, 1, 3);
    random_battery(&ivp_linsolver_band_lapack, IVP_MAT_BAND, ns, 4, 0, 0);
    random_battery(&ivp_linsolver_band_lapack, IVP_MAT_BAND, ns + 2, 2, 4, 1);
    random_battery(&ivp_linsolver_band_lapack, IVP_MAT_BAND, n1000, 1, 2, 2);
}

static void klu_solves_random_systems(void **state)
{
    static const size_t ns[] = {1, 2, 5, 30, 200};
    (void)state;
    random_battery(&ivp_linsolver_sparse_klu, IVP_MAT_SPARSE, ns, sizeof ns / sizeof ns[0], 0, 0);
}

/* ------------------------------------------------------------------------------------------ */
/* Small systems with known solutions                                                          */

/* [0 2 1; 1 1 1; 2 1 3] x = b with x = (1, 2, 3): b = (7, 6, 13). The zero in A(0,0) needs
 * a row interchange. */
static void known_real_3x3_needs_pivoting(void **state)
{
    static const double a[3][3] = {{0, 2, 1}, {1, 1, 1}, {2, 1, 3}};
    static const double b[3] = {7, 6, 13};
    static const size_t rows[] = {0, 0, 1, 1, 2, 2};
    static const size_t cols[] = {1, 2, 0, 2, 0, 1};
    const ivp_linsolver_type *types[] = {&ivp_linsolver_dense_own, &ivp_linsolver_dense_lapack,
                                         &ivp_linsolver_band_lapack, &ivp_linsolver_sparse_klu};
    size_t t;
    (void)state;
    for (t = 0; t < 4; t++) {
        ivp_matrix A;
        ivp_error err;
        ivp_linsolver *ls;
        double x[3];
        size_t i, j;
        if (t < 2) {
            assert_int_equal(ivp_matrix_init_dense(&A, 3, NULL, &err), IVP_OK);
        } else if (t == 2) {
            assert_int_equal(ivp_matrix_init_band(&A, 3, 2, 2, NULL, &err), IVP_OK);
        } else {
            assert_int_equal(ivp_matrix_init_sparse(&A, 3, rows, cols, 6, NULL, &err), IVP_OK);
        }
        for (i = 0; i < 3; i++) {
            for (j = 0; j < 3; j++) {
                A.v[ivp_matrix_index(&A, i, j)] = a[i][j];
            }
        }
        ls = new_solver(types[t], &A, 0);
        /* alpha = 0, beta = 1: A itself */
        assert_int_equal(ivp_linsolver_factor(ls, 0.0, 1.0, &A, &err), IVP_OK);
        memcpy(x, b, sizeof x);
        ivp_linsolver_solve(ls, x);
        ivp_assert_close(x[0], 1.0, 0.0, 1e-14);
        ivp_assert_close(x[1], 2.0, 0.0, 1e-14);
        ivp_assert_close(x[2], 3.0, 0.0, 1e-14);
        /* alpha = 1, beta = -1: I - A = [1 -2 -1; -1 0 -1; -2 -1 -2], x = (1, 2, 3) gives
         * b = (-6, -4, -10) */
        assert_int_equal(ivp_linsolver_factor(ls, 1.0, -1.0, &A, &err), IVP_OK);
        x[0] = -6.0;
        x[1] = -4.0;
        x[2] = -10.0;
        ivp_linsolver_solve(ls, x);
        ivp_assert_close(x[0], 1.0, 0.0, 1e-14);
        ivp_assert_close(x[1], 2.0, 0.0, 1e-14);
        ivp_assert_close(x[2], 3.0, 0.0, 1e-14);
        ivp_linsolver_free(ls);
        ivp_matrix_free(&A, NULL);
    }
}

/* A = [0 1; -1 0], alpha = 1 + 2i, beta = 1: M = [1+2i 1; -1 1+2i]. With x = (1 - i, 2 + i/2):
 *   b0 = (1+2i)(1-i) + (2 + i/2) = (3 + i) + (2 + i/2) = 5 + 1.5i
 *   b1 = -(1-i) + (1+2i)(2 + i/2) = (-1 + i) + (1 + 4.5i) = 0 + 5.5i */
static void known_complex_2x2(void **state)
{
    static const size_t rows[] = {0, 1};
    static const size_t cols[] = {1, 0};
    const ivp_linsolver_type *types[] = {&ivp_linsolver_dense_own, &ivp_linsolver_dense_lapack,
                                         &ivp_linsolver_band_lapack, &ivp_linsolver_sparse_klu};
    size_t t;
    (void)state;
    for (t = 0; t < 4; t++) {
        ivp_matrix A;
        ivp_error err;
        ivp_linsolver *ls;
        double re[2] = {5.0, 0.0}, im[2] = {1.5, 5.5};
        if (t < 2) {
            assert_int_equal(ivp_matrix_init_dense(&A, 2, NULL, &err), IVP_OK);
        } else if (t == 2) {
            assert_int_equal(ivp_matrix_init_band(&A, 2, 1, 1, NULL, &err), IVP_OK);
        } else {
            assert_int_equal(ivp_matrix_init_sparse(&A, 2, rows, cols, 2, NULL, &err), IVP_OK);
        }
        A.v[ivp_matrix_index(&A, 0, 1)] = 1.0;
        A.v[ivp_matrix_index(&A, 1, 0)] = -1.0;
        ls = new_solver(types[t], &A, 1);
        assert_int_equal(ivp_linsolver_factor_complex(ls, 1.0, 2.0, 1.0, &A, &err), IVP_OK);
        ivp_linsolver_solve_complex(ls, re, im);
        ivp_assert_close(re[0], 1.0, 0.0, 1e-15);
        ivp_assert_close(im[0], -1.0, 0.0, 1e-15);
        ivp_assert_close(re[1], 2.0, 0.0, 1e-15);
        ivp_assert_close(im[1], 0.5, 0.0, 1e-15);
        /* misuse: a real right-hand side for a complex factorisation gives NaN */
        re[0] = 1.0;
        re[1] = 1.0;
        ivp_linsolver_solve(ls, re);
        assert_true(isnan(re[0]) && isnan(re[1]));
        ivp_linsolver_free(ls);
        ivp_matrix_free(&A, NULL);
    }
}

/* A real factorisation solves complex right-hand sides part by part. M = 2 I + [1 1; 0 1]
 * = [3 1; 0 3]; x = (1 + 2i, -3 + 6i) gives b = (0 + 12i, -9 + 18i). */
static void real_solver_solves_complex_rhs(void **state)
{
    const ivp_linsolver_type *types[] = {&ivp_linsolver_dense_own, &ivp_linsolver_dense_lapack};
    size_t t;
    (void)state;
    for (t = 0; t < 2; t++) {
        ivp_matrix A;
        ivp_error err;
        ivp_linsolver *ls;
        double re[2] = {0.0, -9.0}, im[2] = {12.0, 18.0};
        assert_int_equal(ivp_matrix_init_dense(&A, 2, NULL, &err), IVP_OK);
        A.v[0] = 1.0;
        A.v[2] = 1.0;
        A.v[3] = 1.0;
        ls = new_solver(types[t], &A, 0);
        assert_int_equal(ivp_linsolver_factor(ls, 2.0, 1.0, &A, &err), IVP_OK);
        ivp_linsolver_solve_complex(ls, re, im);
        ivp_assert_close(re[0], 1.0, 0.0, 1e-15);
        ivp_assert_close(im[0], 2.0, 0.0, 1e-15);
        ivp_assert_close(re[1], -3.0, 0.0, 1e-15);
        ivp_assert_close(im[1], 6.0, 0.0, 1e-15);
        ivp_linsolver_free(ls);
        ivp_matrix_free(&A, NULL);
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Cross-checks between back ends                                                              */

/* The same banded values as dense, band and sparse matrices: the four back ends agree. */
static void back_ends_agree_on_one_matrix(void **state)
{
    const size_t n = 24, kl = 3, ku = 2;
    uint64_t seed = 77u;
    ivp_matrix D, B, S;
    ivp_error err;
    size_t *rows = xmalloc(n * n * sizeof *rows), *cols = xmalloc(n * n * sizeof *cols);
    size_t i, j, cnt = 0, t;
    double xs[4][2][24];
    (void)state;
    for (j = 0; j < n; j++) {
        for (i = (j > ku ? j - ku : 0); i < n && i <= j + kl; i++) {
            rows[cnt] = i;
            cols[cnt++] = j;
        }
    }
    assert_int_equal(ivp_matrix_init_dense(&D, n, NULL, &err), IVP_OK);
    assert_int_equal(ivp_matrix_init_band(&B, n, kl, ku, NULL, &err), IVP_OK);
    assert_int_equal(ivp_matrix_init_sparse(&S, n, rows, cols, cnt, NULL, &err), IVP_OK);
    assert_int_equal(S.nnz, cnt);
    for (t = 0; t < cnt; t++) {
        double v = rng_uniform(&seed);
        D.v[ivp_matrix_index(&D, rows[t], cols[t])] = v;
        B.v[ivp_matrix_index(&B, rows[t], cols[t])] = v;
        S.v[ivp_matrix_index(&S, rows[t], cols[t])] = v;
    }
    for (t = 0; t < 4; t++) {
        const ivp_linsolver_type *types[] = {&ivp_linsolver_dense_own, &ivp_linsolver_dense_lapack,
                                             &ivp_linsolver_band_lapack, &ivp_linsolver_sparse_klu};
        const ivp_matrix *A = t < 2 ? &D : t == 2 ? &B : &S;
        ivp_linsolver *lr = new_solver(types[t], A, 0), *lc = new_solver(types[t], A, 1);
        double bi[24];
        for (i = 0; i < n; i++) {
            xs[t][0][i] = sin((double)i + 1.0);
            xs[t][1][i] = sin((double)i + 1.0);
            bi[i] = cos((double)i);
        }
        assert_int_equal(ivp_linsolver_factor(lr, 0.7, -1.3, A, &err), IVP_OK);
        ivp_linsolver_solve(lr, xs[t][0]);
        assert_int_equal(ivp_linsolver_factor_complex(lc, 0.7, 0.9, -1.3, A, &err), IVP_OK);
        ivp_linsolver_solve_complex(lc, xs[t][1], bi);
        for (i = 0; i < n; i++) {
            xs[t][1][i] += bi[i]; /* fold the imaginary part in for the comparison */
        }
        ivp_linsolver_free(lr);
        ivp_linsolver_free(lc);
    }
    for (t = 1; t < 4; t++) {
        for (i = 0; i < n; i++) {
            ivp_assert_close(xs[t][0][i], xs[0][0][i], 1e-11, 1e-12);
            ivp_assert_close(xs[t][1][i], xs[0][1][i], 1e-11, 1e-12);
        }
    }
    ivp_matrix_free(&D, NULL);
    ivp_matrix_free(&B, NULL);
    ivp_matrix_free(&S, NULL);
    free(rows);
    free(cols);
}

/* ------------------------------------------------------------------------------------------ */
/* Large band and sparse                                                                       */

/* 2-D convection-diffusion on a 256 x 128 grid (n = 32768, 5 nonzeros a column inside):
 * J = L + convection, M = I - h J (alpha = 1, beta = -h) and the complex alpha = 1 + 2i. */
static void klu_large_2d_laplacian(void **state)
{
    const size_t nx = 256, ny = 128, n = nx * ny;
    size_t *rows = xmalloc(4 * n * sizeof *rows), *cols = xmalloc(4 * n * sizeof *cols);
    size_t cnt = 0, p, x, y;
    ivp_matrix A;
    ivp_error err;
    ivp_linsolver *lr, *lc;
    uint64_t seed = 4242u;
    clock_t c0, c1;
    double secs;
    (void)state;
    for (y = 0; y < ny; y++) {
        for (x = 0; x < nx; x++) {
            p = x + y * nx;
            if (x > 0) {
                rows[cnt] = p - 1;
                cols[cnt++] = p;
            }
            if (x + 1 < nx) {
                rows[cnt] = p + 1;
                cols[cnt++] = p;
            }
            if (y > 0) {
                rows[cnt] = p - nx;
                cols[cnt++] = p;
            }
            if (y + 1 < ny) {
                rows[cnt] = p + nx;
                cols[cnt++] = p;
            }
        }
    }
    assert_int_equal(ivp_matrix_init_sparse(&A, n, rows, cols, cnt, NULL, &err), IVP_OK);
    assert_int_equal(A.nnz, cnt + n);
    for (y = 0; y < ny; y++) {
        for (x = 0; x < nx; x++) {
            p = x + y * nx;
            A.v[ivp_matrix_index(&A, p, p)] = -4.0;
            if (x > 0) {
                A.v[ivp_matrix_index(&A, p, p - 1)] = 1.2;
            }
            if (x + 1 < nx) {
                A.v[ivp_matrix_index(&A, p, p + 1)] = 0.8;
            }
            if (y > 0) {
                A.v[ivp_matrix_index(&A, p, p - nx)] = 1.0;
            }
            if (y + 1 < ny) {
                A.v[ivp_matrix_index(&A, p, p + nx)] = 1.0;
            }
        }
    }
    c0 = clock();
    lr = new_solver(&ivp_linsolver_sparse_klu, &A, 0);
    lc = new_solver(&ivp_linsolver_sparse_klu, &A, 1);
    check_solve(lr, &A, 1.0, 0.0, -0.5, 1e-12, 1e-14, &seed);
    check_solve(lc, &A, 1.0, 2.0, -0.5, 1e-12, 1e-14, &seed);
    check_solve(lr, &A, 1.0, 0.0, -5.0, 1e-10, 1e-14, &seed); /* refactor, stiffer */
    check_solve(lc, &A, 3.0, -1.0, -5.0, 1e-10, 1e-14, &seed);
    c1 = clock();
    secs = (double)(c1 - c0) / CLOCKS_PER_SEC;
    print_message("KLU n = %zu, nnz = %zu: analyse + 4 factor/solve in %.3f s CPU\n", n, A.nnz,
                  secs);
    /* generous (sanitizer builds are slow): a densified factorisation would take far longer */
    assert_true(secs < 10.0);
    ivp_linsolver_free(lr);
    ivp_linsolver_free(lc);
    ivp_matrix_free(&A, NULL);
    free(rows);
    free(cols);
}

/* ------------------------------------------------------------------------------------------ */
/* Singular and non-finite                                                                     */

/* A(:, 2) = 0 and alpha = 0: exactly singular for any LU. Each back end reports
 * IVP_ERR_LINALG saying so; solving after the failure yields NaN, not stale numbers; a later
 * regular factorisation works again. Complex: A = diag(1..n) with alpha = -2 + 0i. */
static void singular_matrix_is_linalg_error(void **state)
{
    static const size_t rows[] = {0, 1, 3, 2, 0};
    static const size_t cols[] = {1, 0, 1, 3, 3};
    const ivp_linsolver_type *types[] = {&ivp_linsolver_dense_own, &ivp_linsolver_dense_lapack,
                                         &ivp_linsolver_band_lapack, &ivp_linsolver_sparse_klu,
                                         &ivp_linsolver_sparse_umfpack};
    size_t t;
    (void)state;
    for (t = 0; t < 5; t++) {
        ivp_matrix A;
        ivp_error err;
        ivp_linsolver *lr, *lc;
        double b[4] = {1, 2, 3, 4}, bi[4] = {0, 0, 0, 0};
        size_t i, j;
        uint64_t seed = 9u;
        if (t < 2) {
            assert_int_equal(ivp_matrix_init_dense(&A, 4, NULL, &err), IVP_OK);
        } else if (t == 2) {
            assert_int_equal(ivp_matrix_init_band(&A, 4, 3, 3, NULL, &err), IVP_OK);
        } else {
            assert_int_equal(ivp_matrix_init_sparse(&A, 4, rows, cols, 5, NULL, &err), IVP_OK);
        }
        for (i = 0; i < 4; i++) {
            for (j = 0; j < 4; j++) {
                size_t k = ivp_matrix_index(&A, i, j);
                if (k != (size_t)-1) {
                    A.v[k] = j == 2 ? 0.0 : 1.0 + (double)(i * 3 + j * j);
                }
            }
        }
        lr = new_solver(types[t], &A, 0);
        lc = new_solver(types[t], &A, 1);
        err.status = IVP_OK;
        assert_int_equal(ivp_linsolver_factor(lr, 0.0, 1.0, &A, &err), IVP_ERR_LINALG);
        assert_int_equal(err.status, IVP_ERR_LINALG);
        assert_non_null(strstr(err.msg, "singular"));
        ivp_linsolver_solve(lr, b);
        assert_true(isnan(b[0]) && isnan(b[3]));
        assert_int_equal(ivp_linsolver_factor_complex(lc, 0.0, 0.0, 1.0, &A, &err), IVP_ERR_LINALG);
        assert_non_null(strstr(err.msg, "singular"));
        ivp_linsolver_solve_complex(lc, b, bi);
        assert_true(isnan(b[1]) && isnan(bi[1]));

        /* diag(1, 2, 3, 4) - 2 I is singular (complex solver, real shift) */
        for (i = 0; i < A.len; i++) {
            A.v[i] = 0.0;
        }
        for (i = 0; i < 4; i++) {
            A.v[ivp_matrix_index(&A, i, i)] = 1.0 + (double)i;
        }
        assert_int_equal(ivp_linsolver_factor_complex(lc, -2.0, 0.0, 1.0, &A, &err),
                         IVP_ERR_LINALG);
        assert_non_null(strstr(err.msg, "singular"));
        assert_int_equal(ivp_linsolver_factor(lr, -3.0, 1.0, &A, &err), IVP_ERR_LINALG);
        /* a regular matrix afterwards */
        check_solve(lr, &A, 0.5, 0.0, 1.0, 1e-14, 1e-15, &seed);
        check_solve(lc, &A, -2.0, 0.1, 1.0, 1e-13, 1e-15, &seed);
        ivp_linsolver_free(lr);
        ivp_linsolver_free(lc);
        ivp_matrix_free(&A, NULL);
    }
}

static void nonfinite_matrix_is_linalg_error(void **state)
{
    const ivp_linsolver_type *types[] = {&ivp_linsolver_dense_own, &ivp_linsolver_dense_lapack,
                                         &ivp_linsolver_band_lapack, &ivp_linsolver_sparse_klu,
                                         &ivp_linsolver_sparse_umfpack};
    const ivp_mat_kind kinds[] = {IVP_MAT_DENSE, IVP_MAT_DENSE, IVP_MAT_BAND, IVP_MAT_SPARSE,
                                  IVP_MAT_SPARSE};
    size_t t;
    (void)state;
    for (t = 0; t < 5; t++) {
        ivp_matrix A;
        ivp_error err;
        ivp_linsolver *lr, *lc;
        uint64_t seed = 5u;
        make_matrix(&A, kinds[t], 6, 1, 1, 2, &seed);
        A.v[ivp_matrix_index(&A, 3, 3)] = (double)NAN;
        lr = new_solver(types[t], &A, 0);
        lc = new_solver(types[t], &A, 1);
        assert_int_equal(ivp_linsolver_factor(lr, 1.0, 1.0, &A, &err), IVP_ERR_LINALG);
        assert_non_null(strstr(err.msg, "non-finite"));
        assert_non_null(strstr(err.msg, "(3, 3)"));
        assert_int_equal(ivp_linsolver_factor_complex(lc, 1.0, 1.0, 1.0, &A, &err), IVP_ERR_LINALG);
        A.v[ivp_matrix_index(&A, 3, 3)] = 0.5;
        assert_int_equal(ivp_linsolver_factor(lr, (double)INFINITY, 1.0, &A, &err), IVP_ERR_LINALG);
        assert_non_null(strstr(err.msg, "non-finite"));
        check_solve(lr, &A, 10.0, 0.0, 1.0, 1e-14, 1e-15, &seed);
        ivp_linsolver_free(lr);
        ivp_linsolver_free(lc);
        ivp_matrix_free(&A, NULL);
    }
}

/* KLU refactors with the old pivot order. New values that make that order singular
 * ([2 1; 1 2] then [0 1; 1 0]) or unstable ([1e-20 1; 1 1]) must be refactored afresh. */
static void klu_refactor_falls_back_to_fresh_pivoting(void **state)
{
    static const size_t rows[] = {0, 1};
    static const size_t cols[] = {1, 0};
    ivp_matrix A;
    ivp_error err;
    ivp_linsolver *lr, *lc;
    double b[2], bi[2];
    (void)state;
    assert_int_equal(ivp_matrix_init_sparse(&A, 2, rows, cols, 2, NULL, &err), IVP_OK);
    lr = new_solver(&ivp_linsolver_sparse_klu, &A, 0);
    lc = new_solver(&ivp_linsolver_sparse_klu, &A, 1);
    A.v[ivp_matrix_index(&A, 0, 0)] = 2.0;
    A.v[ivp_matrix_index(&A, 0, 1)] = 1.0;
    A.v[ivp_matrix_index(&A, 1, 0)] = 1.0;
    A.v[ivp_matrix_index(&A, 1, 1)] = 2.0;
    assert_int_equal(ivp_linsolver_factor(lr, 0.0, 1.0, &A, &err), IVP_OK);
    assert_int_equal(ivp_linsolver_factor_complex(lc, 0.0, 0.0, 1.0, &A, &err), IVP_OK);
    b[0] = 3.0; /* x = (1, 1) */
    b[1] = 3.0;
    ivp_linsolver_solve(lr, b);
    ivp_assert_close(b[0], 1.0, 0.0, 1e-15);
    ivp_assert_close(b[1], 1.0, 0.0, 1e-15);

    /* [0 1; 1 0] x = (2, 5): x = (5, 2) */
    A.v[ivp_matrix_index(&A, 0, 0)] = 0.0;
    A.v[ivp_matrix_index(&A, 1, 1)] = 0.0;
    assert_int_equal(ivp_linsolver_factor(lr, 0.0, 1.0, &A, &err), IVP_OK);
    b[0] = 2.0;
    b[1] = 5.0;
    ivp_linsolver_solve(lr, b);
    ivp_assert_close(b[0], 5.0, 0.0, 1e-15);
    ivp_assert_close(b[1], 2.0, 0.0, 1e-15);
    assert_int_equal(ivp_linsolver_factor_complex(lc, 0.0, 0.0, 1.0, &A, &err), IVP_OK);
    b[0] = 2.0;
    b[1] = 5.0;
    bi[0] = -1.0;
    bi[1] = 3.0;
    ivp_linsolver_solve_complex(lc, b, bi);
    ivp_assert_close(b[0], 5.0, 0.0, 1e-15);
    ivp_assert_close(bi[0], 3.0, 0.0, 1e-15);
    ivp_assert_close(b[1], 2.0, 0.0, 1e-15);
    ivp_assert_close(bi[1], -1.0, 0.0, 1e-15);

    /* A new solver pivots [2 1; 1 2] on the diagonal; refactoring [1e-20 1; 1 1] in that
     * order would divide by the pivot 1e-20 and lose everything (no zero pivot: only the
     * condition/growth test catches it). x = (1, 2), b = (2, 3). */
    ivp_linsolver_free(lr);
    lr = new_solver(&ivp_linsolver_sparse_klu, &A, 0);
    A.v[ivp_matrix_index(&A, 0, 0)] = 2.0;
    A.v[ivp_matrix_index(&A, 1, 1)] = 2.0;
    assert_int_equal(ivp_linsolver_factor(lr, 0.0, 1.0, &A, &err), IVP_OK);
    assert_int_equal(ivp_linsolver_factor(lr, 0.0, 1.0, &A, &err), IVP_OK);
    A.v[ivp_matrix_index(&A, 0, 0)] = 1e-20;
    A.v[ivp_matrix_index(&A, 1, 1)] = 1.0;
    assert_int_equal(ivp_linsolver_factor(lr, 0.0, 1.0, &A, &err), IVP_OK);
    b[0] = 2.0;
    b[1] = 3.0;
    ivp_linsolver_solve(lr, b);
    ivp_assert_close(b[0], 1.0, 1e-14, 0.0);
    ivp_assert_close(b[1], 2.0, 1e-14, 0.0);
    ivp_linsolver_free(lr);
    ivp_linsolver_free(lc);
    ivp_matrix_free(&A, NULL);
}

/* ------------------------------------------------------------------------------------------ */
/* Allocation                                                                                  */

/* The counting allocator sees no allocation in factor or solve, the first factorisation
 * included, for the dense and band back ends; freeing returns every block. */
static void dense_and_band_factor_solve_allocate_nothing(void **state)
{
    const ivp_linsolver_type *types[] = {&ivp_linsolver_dense_own, &ivp_linsolver_dense_lapack,
                                         &ivp_linsolver_band_lapack};
    const ivp_mat_kind kinds[] = {IVP_MAT_DENSE, IVP_MAT_DENSE, IVP_MAT_BAND};
    size_t t;
    int cplx;
    (void)state;
    for (t = 0; t < 3; t++) {
        for (cplx = 0; cplx < 2; cplx++) {
            ivp_test_alloc ta;
            ivp_matrix A;
            ivp_error err;
            ivp_linsolver *ls = NULL;
            uint64_t seed = 31u;
            double re[40], im[40];
            long after_new;
            int rep;
            size_t i;
            make_matrix(&A, kinds[t], 40, 2, 3, 0, &seed);
            ivp_test_alloc_init(&ta, -1);
            assert_int_equal(ivp_linsolver_new_with(types[t], &A, cplx, &ta.a, &ls, &err), IVP_OK);
            after_new = ta.n_alloc;
            assert_true(after_new > 0);
            for (rep = 0; rep < 4; rep++) {
                ivp_status st = cplx ? ivp_linsolver_factor_complex(ls, 9.0 + rep, 1.0, 1.0, &A,
                                                                    &err)
                                     : ivp_linsolver_factor(ls, 9.0 + rep, 1.0, &A, &err);
                assert_int_equal(st, IVP_OK);
                for (i = 0; i < 40; i++) {
                    re[i] = (double)i;
                    im[i] = 1.0;
                }
                if (cplx) {
                    ivp_linsolver_solve_complex(ls, re, im);
                } else {
                    ivp_linsolver_solve(ls, re);
                }
                assert_true(isfinite(re[7]));
                assert_int_equal(ta.n_alloc, after_new);
            }
            ivp_linsolver_free(ls);
            assert_int_equal(ta.n_live, 0);
            ivp_matrix_free(&A, NULL);
        }
    }
}

/* Fails allocation k = 0, 1, ... until ivp_linsolver_new succeeds: IVP_ERR_NOMEM each time,
 * *out NULL, nothing left allocated. */
static void linsolver_new_reports_nomem_without_leaks(void **state)
{
    const ivp_linsolver_type *types[] = {&ivp_linsolver_dense_own, &ivp_linsolver_dense_lapack,
                                         &ivp_linsolver_band_lapack, &ivp_linsolver_sparse_klu,
                                         &ivp_linsolver_sparse_umfpack};
    const ivp_mat_kind kinds[] = {IVP_MAT_DENSE, IVP_MAT_DENSE, IVP_MAT_BAND, IVP_MAT_SPARSE,
                                  IVP_MAT_SPARSE};
    size_t t;
    int cplx;
    (void)state;
    for (t = 0; t < 5; t++) {
        for (cplx = 0; cplx < 2; cplx++) {
            ivp_matrix A;
            uint64_t seed = 1u;
            long k;
            make_matrix(&A, kinds[t], 9, 1, 2, 3, &seed);
            for (k = 0;; k++) {
                ivp_test_alloc ta;
                ivp_linsolver *ls = (ivp_linsolver *)&ta; /* must be reset to NULL */
                ivp_error err;
                ivp_status st;
                ivp_test_alloc_init(&ta, k);
                st = ivp_linsolver_new_with(types[t], &A, cplx, &ta.a, &ls, &err);
                if (st == IVP_OK) {
                    ivp_linsolver_free(ls);
                    assert_int_equal(ta.n_live, 0);
                    break;
                }
                assert_int_equal(st, IVP_ERR_NOMEM);
                assert_null(ls);
                assert_int_equal(ta.n_live, 0);
                assert_true(k < 20);
            }
            ivp_matrix_free(&A, NULL);
        }
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Dispatch and misuse                                                                         */

static void linsolver_new_picks_back_end_by_layout_and_size(void **state)
{
    ivp_matrix A;
    ivp_error err;
    ivp_linsolver *ls;
    (void)state;
    assert_int_equal(ivp_matrix_init_dense(&A, IVP_DENSE_LAPACK_CROSSOVER - 1, NULL, &err), IVP_OK);
    assert_int_equal(ivp_linsolver_new(&A, 0, NULL, &ls, &err), IVP_OK);
    assert_string_equal(ivp_linsolver_name(ls), "dense-own");
    ivp_linsolver_free(ls);
    ivp_matrix_free(&A, NULL);
    assert_int_equal(ivp_matrix_init_dense(&A, IVP_DENSE_LAPACK_CROSSOVER, NULL, &err), IVP_OK);
    assert_int_equal(ivp_linsolver_new(&A, 1, NULL, &ls, &err), IVP_OK);
    assert_string_equal(ivp_linsolver_name(ls), "dense-lapack");
    ivp_linsolver_free(ls);
    ivp_matrix_free(&A, NULL);
    assert_int_equal(ivp_matrix_init_band(&A, 10, 1, 1, NULL, &err), IVP_OK);
    assert_int_equal(ivp_linsolver_new(&A, 0, NULL, &ls, &err), IVP_OK);
    assert_string_equal(ivp_linsolver_name(ls), "band-lapack");
    ivp_linsolver_free(ls);
    ivp_matrix_free(&A, NULL);
    assert_int_equal(ivp_matrix_init_sparse(&A, 10, NULL, NULL, 0, NULL, &err), IVP_OK);
    assert_int_equal(ivp_linsolver_new(&A, 0, NULL, &ls, &err), IVP_OK);
    assert_string_equal(ivp_linsolver_name(ls), "sparse-klu");
    ivp_linsolver_free(ls);
    ivp_matrix_free(&A, NULL);
    ivp_linsolver_free(NULL);
}

static void factor_rejects_mismatched_structure(void **state)
{
    ivp_matrix D, D2, B, B2, S, S2;
    ivp_error err;
    ivp_linsolver *ld, *lb, *ls;
    static const size_t rows[] = {1};
    static const size_t cols[] = {0};
    (void)state;
    assert_int_equal(ivp_matrix_init_dense(&D, 5, NULL, &err), IVP_OK);
    assert_int_equal(ivp_matrix_init_dense(&D2, 6, NULL, &err), IVP_OK);
    assert_int_equal(ivp_matrix_init_band(&B, 5, 1, 1, NULL, &err), IVP_OK);
    assert_int_equal(ivp_matrix_init_band(&B2, 5, 1, 2, NULL, &err), IVP_OK);
    assert_int_equal(ivp_matrix_init_sparse(&S, 5, NULL, NULL, 0, NULL, &err), IVP_OK);
    assert_int_equal(ivp_matrix_init_sparse(&S2, 5, rows, cols, 1, NULL, &err), IVP_OK);
    assert_int_equal(ivp_linsolver_new(&D, 0, NULL, &ld, &err), IVP_OK);
    assert_int_equal(ivp_linsolver_new(&B, 1, NULL, &lb, &err), IVP_OK);
    assert_int_equal(ivp_linsolver_new(&S, 0, NULL, &ls, &err), IVP_OK);

    assert_int_equal(ivp_linsolver_factor(ld, 1.0, 1.0, &D2, &err), IVP_ERR_ARG);
    assert_non_null(strstr(err.msg, "6 x 6"));
    assert_int_equal(ivp_linsolver_factor(ld, 1.0, 1.0, &B, &err), IVP_ERR_ARG);
    assert_int_equal(ivp_linsolver_factor_complex(ld, 1.0, 1.0, 1.0, &D, &err), IVP_ERR_ARG);
    assert_int_equal(ivp_linsolver_factor(lb, 1.0, 1.0, &B, &err), IVP_ERR_ARG);
    assert_int_equal(ivp_linsolver_factor_complex(lb, 1.0, 1.0, 1.0, &B2, &err), IVP_ERR_ARG);
    assert_non_null(strstr(err.msg, "ku = 2"));
    assert_int_equal(ivp_linsolver_factor(ls, 1.0, 1.0, &S2, &err), IVP_ERR_ARG);
    assert_int_equal(ivp_linsolver_factor(ls, 1.0, 1.0, &S, &err), IVP_OK);

    /* a back end for another layout, and a sparse pattern without its diagonal */
    {
        ivp_linsolver *bad = (ivp_linsolver *)&err;
        size_t colptr[3] = {0, 1, 2}, rowind[2] = {1, 0};
        double v[2] = {1.0, 1.0};
        ivp_matrix nodiag = {.kind = IVP_MAT_SPARSE,
                             .n = 2,
                             .nnz = 2,
                             .colptr = colptr,
                             .rowind = rowind,
                             .v = v,
                             .len = 2};
        assert_int_equal(
            ivp_linsolver_new_with(&ivp_linsolver_band_lapack, &D, 0, NULL, &bad, &err),
            IVP_ERR_ARG);
        assert_null(bad);
        assert_int_equal(ivp_linsolver_new(&nodiag, 0, NULL, &bad, &err), IVP_ERR_ARG);
        assert_non_null(strstr(err.msg, "diagonal entry (0, 0)"));
        assert_null(bad);
    }
    ivp_linsolver_free(ld);
    ivp_linsolver_free(lb);
    ivp_linsolver_free(ls);
    ivp_matrix_free(&D, NULL);
    ivp_matrix_free(&D2, NULL);
    ivp_matrix_free(&B, NULL);
    ivp_matrix_free(&B2, NULL);
    ivp_matrix_free(&S, NULL);
    ivp_matrix_free(&S2, NULL);
}

/* ------------------------------------------------------------------------------------------ */
/* UMFPACK                                                                                     */

static void umfpack_solves_random_systems(void **state)
{
    static const size_t ns[] = {1, 2, 5, 30, 200, 1500};
    (void)state;
    random_battery(&ivp_linsolver_sparse_umfpack, IVP_MAT_SPARSE, ns, sizeof ns / sizeof ns[0], 0,
                   0);
}

/* The Jacobian pattern of the 2-D Brusselator on an ns x ns periodic grid: two species per
 * point (u, v interleaved, n = 2 ns^2), each coupled to the other species at its point and to
 * itself at the four neighbours (6 entries per column with the diagonal). */
static void make_bruss2d_pattern(ivp_matrix *A, size_t ns)
{
    size_t n = 2 * ns * ns, cnt = 0, col;
    size_t *rows = xmalloc(5 * n * sizeof *rows), *cols = xmalloc(5 * n * sizeof *cols);
    ivp_error err;
    for (col = 0; col < n; col++) {
        size_t p = col / 2, c = col % 2, i = p % ns, j = p / ns, q;
        size_t nb[4] = {j * ns + (i + 1) % ns, j * ns + (i + ns - 1) % ns, ((j + 1) % ns) * ns + i,
                        ((j + ns - 1) % ns) * ns + i};
        rows[cnt] = 2 * p + 1 - c; /* the other species at the same point */
        cols[cnt++] = col;
        for (q = 0; q < 4; q++) {
            rows[cnt] = 2 * nb[q] + c;
            cols[cnt++] = col;
        }
    }
    assert_int_equal(ivp_matrix_init_sparse(A, n, rows, cols, cnt, NULL, &err), IVP_OK);
    free(rows);
    free(cols);
}

/* n = 32768, the size whose slow KLU refactorisation motivated the UMFPACK back end: real and
 * complex solves with Brusselator-like values (diffusion on the periodic grid, the reaction
 * coupling between the species at a point), the real one refactorised with a stiffer beta. */
static void umfpack_bruss2d_grid_n32768(void **state)
{
    const size_t ns = 128;
    ivp_matrix A;
    ivp_linsolver *lr, *lc;
    uint64_t seed = 777u;
    size_t j, k;
    clock_t c0, c1;
    double secs;
    (void)state;
    make_bruss2d_pattern(&A, ns);
    assert_int_equal(A.n, 32768);
    assert_int_equal(A.nnz, 6 * A.n);
    for (j = 0; j < A.n; j++) {
        for (k = A.colptr[j]; k < A.colptr[j + 1]; k++) {
            size_t i = A.rowind[k];
            if (i == j) {
                A.v[k] = -4.0 * 2.0e3 - 4.4 + 0.5 * rng_uniform(&seed);
            } else if (i / 2 == j / 2) {
                A.v[k] = j % 2 == 0 ? 3.4 + 0.1 * rng_uniform(&seed) : -1.0;
            } else {
                A.v[k] = 2.0e3;
            }
        }
    }
    c0 = clock();
    lr = new_solver(&ivp_linsolver_sparse_umfpack, &A, 0);
    lc = new_solver(&ivp_linsolver_sparse_umfpack, &A, 1);
    check_solve(lr, &A, 1.0, 0.0, -1.0e-3, 1e-12, 1e-14, &seed);
    check_solve(lc, &A, 2.0, 1.5, -1.0e-3, 1e-12, 1e-14, &seed);
    check_solve(lr, &A, 1.0, 0.0, -1.0e-1, 1e-10, 1e-14, &seed); /* refactor, stiffer */
    c1 = clock();
    secs = (double)(c1 - c0) / CLOCKS_PER_SEC;
    print_message("UMFPACK n = %zu, nnz = %zu: analyse + 3 factor/solve in %.3f s CPU\n", A.n,
                  A.nnz, secs);
    assert_true(secs < 30.0); /* generous: sanitizer builds */
    ivp_linsolver_free(lr);
    ivp_linsolver_free(lc);
    ivp_matrix_free(&A, NULL);
}

/* Sparse patterns: UMFPACK when the estimated LU work is large (2-D grids from n ~ 3000),
 * KLU below it and for patterns that barely fill in however large. */
static void linsolver_new_picks_umfpack_for_large_fill(void **state)
{
    static const size_t grid_ns[] = {16, 32, 48, 128};
    static const char *const grid_pick[] = {"sparse-klu", "sparse-klu", "sparse-umfpack",
                                            "sparse-umfpack"};
    static const size_t tri_n[] = {999, 1000, 100000};
    ivp_matrix A;
    ivp_error err;
    ivp_linsolver *ls;
    size_t t, i;
    (void)state;
    for (t = 0; t < 4; t++) {
        make_bruss2d_pattern(&A, grid_ns[t]);
        assert_int_equal(ivp_linsolver_new(&A, (int)(t % 2), NULL, &ls, &err), IVP_OK);
        assert_string_equal(ivp_linsolver_name(ls), grid_pick[t]);
        ivp_linsolver_free(ls);
        ivp_matrix_free(&A, NULL);
    }
    for (t = 0; t < 3; t++) {
        size_t n = tri_n[t];
        size_t *rows = xmalloc(2 * n * sizeof *rows), *cols = xmalloc(2 * n * sizeof *cols);
        for (i = 0; i + 1 < n; i++) {
            rows[2 * i] = i + 1;
            cols[2 * i] = i;
            rows[2 * i + 1] = i;
            cols[2 * i + 1] = i + 1;
        }
        assert_int_equal(ivp_matrix_init_sparse(&A, n, rows, cols, 2 * (n - 1), NULL, &err),
                         IVP_OK);
        assert_int_equal(ivp_linsolver_new(&A, 0, NULL, &ls, &err), IVP_OK);
        assert_string_equal(ivp_linsolver_name(ls), "sparse-klu");
        ivp_linsolver_free(ls);
        ivp_matrix_free(&A, NULL);
        free(rows);
        free(cols);
    }
    /* a dense-ish sparse pattern just above the size threshold: heavy fill, UMFPACK */
    {
        const size_t n = IVP_SPARSE_UMFPACK_MIN_N;
        uint64_t seed = 3u;
        make_matrix(&A, IVP_MAT_SPARSE, n, 0, 0, 10, &seed);
        assert_int_equal(ivp_linsolver_new(&A, 0, NULL, &ls, &err), IVP_OK);
        assert_string_equal(ivp_linsolver_name(ls), "sparse-umfpack");
        ivp_linsolver_free(ls);
        ivp_matrix_free(&A, NULL);
        make_matrix(&A, IVP_MAT_SPARSE, n - 1, 0, 0, 10, &seed);
        assert_int_equal(ivp_linsolver_new(&A, 0, NULL, &ls, &err), IVP_OK);
        assert_string_equal(ivp_linsolver_name(ls), "sparse-klu");
        ivp_linsolver_free(ls);
        ivp_matrix_free(&A, NULL);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(dense_own_solves_random_systems),
        cmocka_unit_test(dense_lapack_solves_random_systems),
        cmocka_unit_test(band_solves_random_systems),
        cmocka_unit_test(klu_solves_random_systems),
        cmocka_unit_test(known_real_3x3_needs_pivoting),
        cmocka_unit_test(known_complex_2x2),
        cmocka_unit_test(real_solver_solves_complex_rhs),
        cmocka_unit_test(back_ends_agree_on_one_matrix),
        cmocka_unit_test(klu_large_2d_laplacian),
        cmocka_unit_test(singular_matrix_is_linalg_error),
        cmocka_unit_test(nonfinite_matrix_is_linalg_error),
        cmocka_unit_test(klu_refactor_falls_back_to_fresh_pivoting),
        cmocka_unit_test(dense_and_band_factor_solve_allocate_nothing),
        cmocka_unit_test(linsolver_new_reports_nomem_without_leaks),
        cmocka_unit_test(linsolver_new_picks_back_end_by_layout_and_size),
        cmocka_unit_test(factor_rejects_mismatched_structure),
        cmocka_unit_test(umfpack_solves_random_systems),
        cmocka_unit_test(umfpack_bruss2d_grid_n32768),
        cmocka_unit_test(linsolver_new_picks_umfpack_for_large_fill),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
