/* SPDX-License-Identifier: MIT
 * core/src/linalg/matrix.c - the three Jacobian layouts of linalg.h (dense, LAPACK band,
 * compressed sparse column): construction, entry lookup, y = A x and ODEPACK's weighted norm.
 */
#include "linalg/linalg.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

/* Rows per pass of the sparse fnorm: its row sums live in a stack buffer of this many doubles,
 * so the norm needs no workspace (one pass over the nonzeros when n <= this). */
#define FNORM_BLOCK 1024

static void matrix_zero(ivp_matrix *m)
{
    memset(m, 0, sizeof *m);
    m->colptr = NULL;
    m->rowind = NULL;
    m->v = NULL;
}

ivp_status ivp_matrix_init_dense(ivp_matrix *m, size_t n, const ivp_allocator *a, ivp_error *err)
{
    matrix_zero(m);
    if (n == 0) {
        return ivp_error_set(err, IVP_ERR_ARG, "dense matrix: dimension must be > 0");
    }
    if (n > SIZE_MAX / sizeof(double) / n) {
        return ivp_error_set(err, IVP_ERR_NOMEM, "dense matrix: %zu x %zu does not fit in memory",
                             n, n);
    }
    m->v = ivp_calloc(a, n * n, sizeof *m->v);
    if (m->v == NULL) {
        return ivp_error_set(err, IVP_ERR_NOMEM, "dense matrix: cannot allocate %zu x %zu values",
                             n, n);
    }
    m->kind = IVP_MAT_DENSE;
    m->n = n;
    m->len = n * n;
    return IVP_OK;
}

ivp_status ivp_matrix_init_band(ivp_matrix *m, size_t n, size_t kl, size_t ku,
                                const ivp_allocator *a, ivp_error *err)
{
    size_t ldab;
    matrix_zero(m);
    if (n == 0) {
        return ivp_error_set(err, IVP_ERR_ARG, "band matrix: dimension must be > 0");
    }
    if (kl >= SIZE_MAX / 4 || ku >= SIZE_MAX / 4) {
        return ivp_error_set(err, IVP_ERR_ARG,
                             "band matrix: band widths kl = %zu, ku = %zu are too large", kl, ku);
    }
    ldab = kl + ku + 1;
    if (ldab > SIZE_MAX / sizeof(double) / n) {
        return ivp_error_set(err, IVP_ERR_NOMEM,
                             "band matrix: %zu x %zu values do not fit in memory", ldab, n);
    }
    m->v = ivp_calloc(a, ldab * n, sizeof *m->v);
    if (m->v == NULL) {
        return ivp_error_set(err, IVP_ERR_NOMEM, "band matrix: cannot allocate %zu x %zu values",
                             ldab, n);
    }
    m->kind = IVP_MAT_BAND;
    m->n = n;
    m->kl = kl;
    m->ku = ku;
    m->len = ldab * n;
    return IVP_OK;
}

/* Sparse construction by two counting sorts (no comparison sort): the entries, with the
 * diagonal appended, are first bucketed by row, then scattered by column visiting rows in
 * increasing order, which leaves each column's rows sorted; equal neighbours are duplicates. */
ivp_status ivp_matrix_init_sparse(ivp_matrix *m, size_t n, const size_t *rows, const size_t *cols,
                                  size_t count, const ivp_allocator *a, ivp_error *err)
{
    ivp_status st = IVP_OK;
    size_t total, k, i, j, nnz;
    size_t *rptr = NULL; /* n + 1: bucket starts by row, then the fill cursor */
    size_t *rcol = NULL; /* total: columns of the entries, grouped by row */
    size_t *cptr = NULL; /* n + 1: bucket starts by column */
    size_t *crow = NULL; /* total: rows of the entries, grouped by column, sorted */

    matrix_zero(m);
    if (n == 0) {
        return ivp_error_set(err, IVP_ERR_ARG, "sparse matrix: dimension must be > 0");
    }
    if (count > 0 && (rows == NULL || cols == NULL)) {
        return ivp_error_set(err, IVP_ERR_ARG, "sparse matrix: %zu entries but no coordinates",
                             count);
    }
    for (k = 0; k < count; k++) {
        if (rows[k] >= n || cols[k] >= n) {
            return ivp_error_set(err, IVP_ERR_ARG,
                                 "sparse matrix: entry %zu at (row %zu, col %zu) is outside the "
                                 "%zu x %zu matrix",
                                 k, rows[k], cols[k], n, n);
        }
    }
    if (count > SIZE_MAX / sizeof(size_t) - n || n == SIZE_MAX) {
        return ivp_error_set(err, IVP_ERR_NOMEM, "sparse matrix: %zu entries are too many", count);
    }
    total = count + n;

    rptr = ivp_calloc(a, n + 1, sizeof *rptr);
    cptr = ivp_calloc(a, n + 1, sizeof *cptr);
    rcol = ivp_calloc(a, total, sizeof *rcol);
    crow = ivp_calloc(a, total, sizeof *crow);
    if (rptr == NULL || cptr == NULL || rcol == NULL || crow == NULL) {
        st = ivp_error_set(err, IVP_ERR_NOMEM,
                           "sparse matrix: cannot allocate work for %zu entries", total);
        goto fail;
    }

    /* Bucket by row: counts at [i + 1], prefix sums, then fill with rptr[i] as cursor. */
    for (k = 0; k < count; k++) {
        rptr[rows[k] + 1]++;
        cptr[cols[k] + 1]++;
    }
    for (i = 0; i < n; i++) {
        rptr[i + 1]++; /* the diagonal */
        cptr[i + 1]++;
    }
    for (i = 0; i < n; i++) {
        rptr[i + 1] += rptr[i];
        cptr[i + 1] += cptr[i];
    }
    for (k = 0; k < count; k++) {
        rcol[rptr[rows[k]]++] = cols[k];
    }
    for (i = 0; i < n; i++) {
        rcol[rptr[i]++] = i;
    }
    /* rptr[i] is now the end of row i, i.e. the start of row i + 1; shift back. */
    for (i = n; i > 0; i--) {
        rptr[i] = rptr[i - 1];
    }
    rptr[0] = 0;

    /* Scatter by column, rows ascending; cptr[j] serves as the cursor. */
    for (i = 0; i < n; i++) {
        for (k = rptr[i]; k < rptr[i + 1]; k++) {
            crow[cptr[rcol[k]]++] = i;
        }
    }
    for (j = n; j > 0; j--) {
        cptr[j] = cptr[j - 1];
    }
    cptr[0] = 0;

    /* Merge duplicates, compacting in place; rptr is reused as the new column pointers. */
    nnz = 0;
    for (j = 0; j < n; j++) {
        size_t start = nnz;
        rptr[j] = start;
        for (k = cptr[j]; k < cptr[j + 1]; k++) {
            if (nnz == start || crow[nnz - 1] != crow[k]) {
                crow[nnz++] = crow[k];
            }
        }
    }
    rptr[n] = nnz;

    m->rowind = ivp_calloc(a, nnz, sizeof *m->rowind);
    m->v = ivp_calloc(a, nnz, sizeof *m->v);
    if (m->rowind == NULL || m->v == NULL) {
        st = ivp_error_set(err, IVP_ERR_NOMEM, "sparse matrix: cannot allocate %zu nonzeros", nnz);
        goto fail;
    }
    memcpy(m->rowind, crow, nnz * sizeof *m->rowind);
    m->colptr = rptr;
    rptr = NULL;
    m->kind = IVP_MAT_SPARSE;
    m->n = n;
    m->nnz = nnz;
    m->len = nnz;

fail:
    ivp_free(a, rptr);
    ivp_free(a, cptr);
    ivp_free(a, rcol);
    ivp_free(a, crow);
    if (st != IVP_OK) {
        ivp_matrix_free(m, a);
    }
    return st;
}

void ivp_matrix_free(ivp_matrix *m, const ivp_allocator *a)
{
    if (m == NULL) {
        return;
    }
    ivp_free(a, m->colptr);
    ivp_free(a, m->rowind);
    ivp_free(a, m->v);
    matrix_zero(m);
}

size_t ivp_matrix_index(const ivp_matrix *m, size_t i, size_t j)
{
    size_t n = m->n;
    if (i >= n || j >= n) {
        return (size_t)-1;
    }
    switch (m->kind) {
    case IVP_MAT_DENSE:
        return i + j * n;
    case IVP_MAT_BAND:
        if (i + m->ku < j || i > j + m->kl) {
            return (size_t)-1;
        }
        return (m->ku + i - j) + j * (m->kl + m->ku + 1);
    case IVP_MAT_SPARSE: {
        size_t lo = m->colptr[j], hi = m->colptr[j + 1];
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (m->rowind[mid] < i) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return (lo < m->colptr[j + 1] && m->rowind[lo] == i) ? lo : (size_t)-1;
    }
    }
    return (size_t)-1;
}

/* Column-oriented: y += A(:, j) x_j, so the inner loops run down contiguous storage. */
void ivp_matrix_mul(const ivp_matrix *m, const double *x, double *y)
{
    size_t n = m->n, i, j, k;
    for (i = 0; i < n; i++) {
        y[i] = 0.0;
    }
    switch (m->kind) {
    case IVP_MAT_DENSE:
        for (j = 0; j < n; j++) {
            const double *col = m->v + j * n;
            double xj = x[j];
            for (i = 0; i < n; i++) {
                y[i] += col[i] * xj;
            }
        }
        break;
    case IVP_MAT_BAND: {
        size_t ldab = m->kl + m->ku + 1;
        for (j = 0; j < n; j++) {
            size_t i0 = j > m->ku ? j - m->ku : 0;
            size_t i1 = j + m->kl < n - 1 ? j + m->kl : n - 1;
            const double *col = m->v + j * ldab + m->ku - j; /* col[i] = A(i, j) */
            double xj = x[j];
            for (i = i0; i <= i1; i++) {
                y[i] += col[i] * xj;
            }
        }
        break;
    }
    case IVP_MAT_SPARSE:
        for (j = 0; j < n; j++) {
            double xj = x[j];
            for (k = m->colptr[j]; k < m->colptr[j + 1]; k++) {
                y[m->rowind[k]] += m->v[k] * xj;
            }
        }
        break;
    }
}

/* Dense and band: row by row (strided, but no workspace). Sparse: the row sums of FNORM_BLOCK
 * rows at a time are accumulated column by column; each pass starts each column at its first
 * row in the block by binary search, which the sorted rows allow. */
double ivp_matrix_fnorm(const ivp_matrix *m, const double *w)
{
    size_t n = m->n, i, j, k;
    double norm = 0.0;
    switch (m->kind) {
    case IVP_MAT_DENSE:
        for (i = 0; i < n; i++) {
            double s = 0.0;
            for (j = 0; j < n; j++) {
                s += fabs(m->v[i + j * n]) / w[j];
            }
            s *= w[i];
            norm = s > norm ? s : norm;
        }
        break;
    case IVP_MAT_BAND: {
        size_t ldab = m->kl + m->ku + 1;
        for (i = 0; i < n; i++) {
            size_t j0 = i > m->kl ? i - m->kl : 0;
            size_t j1 = i + m->ku < n - 1 ? i + m->ku : n - 1;
            double s = 0.0;
            for (j = j0; j <= j1; j++) {
                s += fabs(m->v[(m->ku + i - j) + j * ldab]) / w[j];
            }
            s *= w[i];
            norm = s > norm ? s : norm;
        }
        break;
    }
    case IVP_MAT_SPARSE: {
        double rs[FNORM_BLOCK];
        size_t r0;
        for (r0 = 0; r0 < n; r0 += FNORM_BLOCK) {
            size_t r1 = n - r0 < FNORM_BLOCK ? n : r0 + FNORM_BLOCK;
            for (i = 0; i < r1 - r0; i++) {
                rs[i] = 0.0;
            }
            for (j = 0; j < n; j++) {
                size_t lo = m->colptr[j], hi = m->colptr[j + 1];
                double wj = w[j];
                if (r0 > 0) {
                    while (lo < hi) {
                        size_t mid = lo + (hi - lo) / 2;
                        if (m->rowind[mid] < r0) {
                            lo = mid + 1;
                        } else {
                            hi = mid;
                        }
                    }
                    hi = m->colptr[j + 1];
                }
                for (k = lo; k < hi && m->rowind[k] < r1; k++) {
                    rs[m->rowind[k] - r0] += fabs(m->v[k]) / wj;
                }
            }
            for (i = r0; i < r1; i++) {
                double s = rs[i - r0] * w[i];
                norm = s > norm ? s : norm;
            }
        }
        break;
    }
    }
    return norm;
}
