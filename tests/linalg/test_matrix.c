/* SPDX-License-Identifier: MIT
 * tests/linalg/test_matrix.c - the three matrix layouts of linalg.h: construction (the sparse
 * pattern's merging, diagonal and sorting; rejected input; allocation failures), entry lookup,
 * y = A x and the weighted norm against hand-computed values.
 */
#include "support.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "linalg/linalg.h"

/* The 4 x 4 matrix used for the hand-computed checks (kl = 1, ku = 2):
 *     [ 4   1   2   0 ]        x = ( 1, -1, 2, 1 )    A x = ( 7, 3, 15, 25 )
 *     [ 3   5  -1   7 ]        w = ( 1, 2, 0.5, 4 )
 *     [ 0  -2   6   1 ]        row sums of |a_ij| / w_j: 8.5, 9.25, 13.25, 18.25
 *     [ 0   0   8   9 ]        times w_i: 8.5, 18.5, 6.625, 73  ->  fnorm = 73 */
static const double hand_a[4][4] = {
    {4, 1, 2, 0},
    {3, 5, -1, 7},
    {0, -2, 6, 1},
    {0, 0, 8, 9},
};
static const double hand_x[4] = {1, -1, 2, 1};
static const double hand_y[4] = {7, 3, 15, 25};
static const double hand_w[4] = {1, 2, 0.5, 4};
static const double hand_fnorm = 73.0;

/* Writes hand_a into m through ivp_matrix_index (structural zeros of the band/sparse layout
 * must be zero in hand_a). */
static void set_hand(ivp_matrix *m)
{
    size_t i, j;
    for (i = 0; i < 4; i++) {
        for (j = 0; j < 4; j++) {
            size_t k = ivp_matrix_index(m, i, j);
            if (k == (size_t)-1) {
                assert_true(hand_a[i][j] == 0.0);
            } else {
                assert_true(k < m->len);
                m->v[k] = hand_a[i][j];
            }
        }
    }
}

static void check_mul_and_fnorm(const ivp_matrix *m)
{
    double y[4];
    size_t i;
    ivp_matrix_mul(m, hand_x, y);
    for (i = 0; i < 4; i++) {
        ivp_assert_close(y[i], hand_y[i], 0.0, 0.0);
    }
    ivp_assert_close(ivp_matrix_fnorm(m, hand_w), hand_fnorm, 1e-15, 0.0);
}

static void dense_layout_index_mul_fnorm(void **state)
{
    ivp_matrix m;
    ivp_error err;
    size_t i, j;
    (void)state;
    assert_int_equal(ivp_matrix_init_dense(&m, 4, NULL, &err), IVP_OK);
    assert_int_equal(m.kind, IVP_MAT_DENSE);
    assert_int_equal(m.len, 16);
    for (i = 0; i < 16; i++) {
        assert_true(m.v[i] == 0.0);
    }
    set_hand(&m);
    /* column-major: v[i + j*n] = A(i, j) */
    for (i = 0; i < 4; i++) {
        for (j = 0; j < 4; j++) {
            assert_int_equal(ivp_matrix_index(&m, i, j), i + j * 4);
            assert_true(m.v[i + j * 4] == hand_a[i][j]);
        }
    }
    assert_true(ivp_matrix_index(&m, 4, 0) == (size_t)-1);
    assert_true(ivp_matrix_index(&m, 0, 4) == (size_t)-1);
    check_mul_and_fnorm(&m);
    ivp_matrix_free(&m, NULL);
    assert_null(m.v);
}

static void band_layout_index_mul_fnorm(void **state)
{
    ivp_matrix m;
    ivp_error err;
    size_t i, j;
    (void)state;
    assert_int_equal(ivp_matrix_init_band(&m, 4, 1, 2, NULL, &err), IVP_OK);
    assert_int_equal(m.kind, IVP_MAT_BAND);
    assert_int_equal(m.len, 4 * 4); /* (kl + ku + 1) * n */
    set_hand(&m);
    /* LAPACK band: v[(ku + i - j) + j*ldab] = A(i, j) inside the band */
    for (i = 0; i < 4; i++) {
        for (j = 0; j < 4; j++) {
            int inside = i + 2 >= j && i <= j + 1;
            if (inside) {
                assert_int_equal(ivp_matrix_index(&m, i, j), (2 + i - j) + j * 4);
                assert_true(m.v[(2 + i - j) + j * 4] == hand_a[i][j]);
            } else {
                assert_true(ivp_matrix_index(&m, i, j) == (size_t)-1);
            }
        }
    }
    assert_true(ivp_matrix_index(&m, 3, 0) == (size_t)-1);
    assert_true(ivp_matrix_index(&m, 0, 3) == (size_t)-1);
    check_mul_and_fnorm(&m);
    ivp_matrix_free(&m, NULL);
}

static void sparse_layout_index_mul_fnorm(void **state)
{
    /* the nonzeros of hand_a, in scrambled order, without the diagonal (added by init) */
    static const size_t rows[] = {3, 0, 1, 2, 1, 0, 2, 1, 3};
    static const size_t cols[] = {2, 1, 0, 1, 3, 2, 3, 2, 3};
    ivp_matrix m;
    ivp_error err;
    (void)state;
    assert_int_equal(ivp_matrix_init_sparse(&m, 4, rows, cols, 9, NULL, &err), IVP_OK);
    assert_int_equal(m.kind, IVP_MAT_SPARSE);
    assert_int_equal(m.nnz, 12);
    assert_int_equal(m.len, 12);
    set_hand(&m);
    assert_true(ivp_matrix_index(&m, 3, 0) == (size_t)-1);
    assert_true(ivp_matrix_index(&m, 2, 0) == (size_t)-1);
    assert_true(ivp_matrix_index(&m, 0, 3) == (size_t)-1);
    check_mul_and_fnorm(&m);
    ivp_matrix_free(&m, NULL);
}

static void sparse_init_merges_duplicates_adds_diagonal_sorts_rows(void **state)
{
    /* (1,0) (3,0) (1,0) (0,2) (3,1) (2,3) (0,2) (2,2): duplicates (1,0), (0,2); (2,2) is also
     * the diagonal. Expected CSC with the diagonal:
     *   col 0: 0 1 3   col 1: 1 3   col 2: 0 2   col 3: 2 3 */
    static const size_t rows[] = {1, 3, 1, 0, 3, 2, 0, 2};
    static const size_t cols[] = {0, 0, 0, 2, 1, 3, 2, 2};
    static const size_t colptr[] = {0, 3, 5, 7, 9};
    static const size_t rowind[] = {0, 1, 3, 1, 3, 0, 2, 2, 3};
    ivp_matrix m;
    ivp_error err;
    size_t k;
    (void)state;
    assert_int_equal(ivp_matrix_init_sparse(&m, 4, rows, cols, 8, NULL, &err), IVP_OK);
    assert_int_equal(m.n, 4);
    assert_int_equal(m.nnz, 9);
    assert_int_equal(m.len, 9);
    for (k = 0; k < 5; k++) {
        assert_int_equal(m.colptr[k], colptr[k]);
    }
    for (k = 0; k < 9; k++) {
        assert_int_equal(m.rowind[k], rowind[k]);
        assert_true(m.v[k] == 0.0);
    }
    assert_int_equal(ivp_matrix_index(&m, 3, 0), 2);
    assert_int_equal(ivp_matrix_index(&m, 2, 2), 6);
    assert_int_equal(ivp_matrix_index(&m, 3, 3), 8);
    ivp_matrix_free(&m, NULL);

    /* no entries at all: just the diagonal */
    assert_int_equal(ivp_matrix_init_sparse(&m, 3, NULL, NULL, 0, NULL, &err), IVP_OK);
    assert_int_equal(m.nnz, 3);
    for (k = 0; k < 3; k++) {
        assert_int_equal(m.colptr[k], k);
        assert_int_equal(m.rowind[k], k);
    }
    ivp_matrix_free(&m, NULL);
}

static void sparse_init_rejects_out_of_range_entry(void **state)
{
    static const size_t rows_bad[] = {0, 1, 5, 2};
    static const size_t cols_ok[] = {0, 1, 1, 3};
    static const size_t rows_ok[] = {0, 1, 2, 3};
    static const size_t cols_bad[] = {0, 1, 2, 4};
    ivp_matrix m;
    ivp_error err;
    (void)state;
    assert_int_equal(ivp_matrix_init_sparse(&m, 4, rows_bad, cols_ok, 4, NULL, &err), IVP_ERR_ARG);
    assert_int_equal(err.status, IVP_ERR_ARG);
    assert_non_null(strstr(err.msg, "entry 2"));
    assert_non_null(strstr(err.msg, "row 5"));
    assert_null(m.v);
    assert_int_equal(ivp_matrix_init_sparse(&m, 4, rows_ok, cols_bad, 4, NULL, &err), IVP_ERR_ARG);
    assert_non_null(strstr(err.msg, "entry 3"));
    assert_non_null(strstr(err.msg, "col 4"));
}

static void init_rejects_empty_matrix(void **state)
{
    ivp_matrix m;
    ivp_error err;
    (void)state;
    assert_int_equal(ivp_matrix_init_dense(&m, 0, NULL, &err), IVP_ERR_ARG);
    assert_int_equal(ivp_matrix_init_band(&m, 0, 1, 1, NULL, &err), IVP_ERR_ARG);
    assert_int_equal(ivp_matrix_init_sparse(&m, 0, NULL, NULL, 0, NULL, &err), IVP_ERR_ARG);
    ivp_matrix_free(&m, NULL); /* harmless on a failed init */
}

/* Fails allocation k = 0, 1, ... until init succeeds: each failure is IVP_ERR_NOMEM and leaves
 * nothing allocated. */
static void init_reports_nomem_without_leaks(void **state)
{
    static const size_t rows[] = {1, 3, 1, 0, 3, 2, 0, 2};
    static const size_t cols[] = {0, 0, 0, 2, 1, 3, 2, 2};
    int layout;
    (void)state;
    for (layout = 0; layout < 3; layout++) {
        long k;
        for (k = 0;; k++) {
            ivp_test_alloc t;
            ivp_matrix m;
            ivp_error err;
            ivp_status st;
            ivp_test_alloc_init(&t, k);
            st = layout == 0   ? ivp_matrix_init_dense(&m, 5, &t.a, &err)
                 : layout == 1 ? ivp_matrix_init_band(&m, 5, 1, 2, &t.a, &err)
                               : ivp_matrix_init_sparse(&m, 4, rows, cols, 8, &t.a, &err);
            if (st == IVP_OK) {
                assert_true(t.n_live > 0);
                ivp_matrix_free(&m, &t.a);
                assert_int_equal(t.n_live, 0);
                break;
            }
            assert_int_equal(st, IVP_ERR_NOMEM);
            assert_int_equal(t.n_live, 0);
            assert_true(k < 20);
        }
    }
}

/* The sparse norm works on blocks of rows; n = 3000 takes three passes. Tridiagonal A with
 * A(i,i) = -2 - i%5, A(i,i-1) = 1 + i%3, A(i,i+1) = -0.5, against the same matrix as a band
 * and against the formula evaluated here. */
static void fnorm_large_sparse_matches_band_and_formula(void **state)
{
    const size_t n = 3000;
    size_t *rows = malloc(3 * n * sizeof *rows);
    size_t *cols = malloc(3 * n * sizeof *cols);
    double *w = malloc(n * sizeof *w);
    double *x = malloc(n * sizeof *x);
    double *ys = malloc(n * sizeof *ys);
    double *yb = malloc(n * sizeof *yb);
    ivp_matrix sp, bd;
    ivp_error err;
    size_t i, cnt = 0;
    double expect = 0.0;
    (void)state;
    assert_non_null(rows);
    assert_non_null(cols);
    assert_non_null(w);
    assert_non_null(x);
    assert_non_null(ys);
    assert_non_null(yb);
    for (i = 0; i < n; i++) {
        if (i > 0) {
            rows[cnt] = i;
            cols[cnt++] = i - 1;
        }
        if (i + 1 < n) {
            rows[cnt] = i;
            cols[cnt++] = i + 1;
        }
        w[i] = 1.0 + (double)(i % 7) * 0.25;
        x[i] = (double)(i % 11) - 5.0;
    }
    assert_int_equal(ivp_matrix_init_sparse(&sp, n, rows, cols, cnt, NULL, &err), IVP_OK);
    assert_int_equal(sp.nnz, 3 * n - 2);
    assert_int_equal(ivp_matrix_init_band(&bd, n, 1, 1, NULL, &err), IVP_OK);
    for (i = 0; i < n; i++) {
        double d = -2.0 - (double)(i % 5), lo = 1.0 + (double)(i % 3), up = -0.5;
        double s = fabs(d) / w[i];
        sp.v[ivp_matrix_index(&sp, i, i)] = d;
        bd.v[ivp_matrix_index(&bd, i, i)] = d;
        if (i > 0) {
            sp.v[ivp_matrix_index(&sp, i, i - 1)] = lo;
            bd.v[ivp_matrix_index(&bd, i, i - 1)] = lo;
            s += lo / w[i - 1];
        }
        if (i + 1 < n) {
            sp.v[ivp_matrix_index(&sp, i, i + 1)] = up;
            bd.v[ivp_matrix_index(&bd, i, i + 1)] = up;
            s += 0.5 / w[i + 1];
        }
        s *= w[i];
        expect = s > expect ? s : expect;
    }
    ivp_assert_close(ivp_matrix_fnorm(&sp, w), expect, 1e-14, 0.0);
    ivp_assert_close(ivp_matrix_fnorm(&bd, w), expect, 1e-14, 0.0);
    ivp_matrix_mul(&sp, x, ys);
    ivp_matrix_mul(&bd, x, yb);
    for (i = 0; i < n; i++) {
        double y = (-2.0 - (double)(i % 5)) * x[i];
        if (i > 0) {
            y += (1.0 + (double)(i % 3)) * x[i - 1];
        }
        if (i + 1 < n) {
            y += -0.5 * x[i + 1];
        }
        ivp_assert_close(ys[i], y, 1e-15, 0.0);
        ivp_assert_close(yb[i], y, 1e-15, 0.0);
    }
    ivp_matrix_free(&sp, NULL);
    ivp_matrix_free(&bd, NULL);
    free(rows);
    free(cols);
    free(w);
    free(x);
    free(ys);
    free(yb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(dense_layout_index_mul_fnorm),
        cmocka_unit_test(band_layout_index_mul_fnorm),
        cmocka_unit_test(sparse_layout_index_mul_fnorm),
        cmocka_unit_test(sparse_init_merges_duplicates_adds_diagonal_sorts_rows),
        cmocka_unit_test(sparse_init_rejects_out_of_range_entry),
        cmocka_unit_test(init_rejects_empty_matrix),
        cmocka_unit_test(init_reports_nomem_without_leaks),
        cmocka_unit_test(fnorm_large_sparse_matches_band_and_formula),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
