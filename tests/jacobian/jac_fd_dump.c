/* SPDX-License-Identifier: MIT
 * tests/jacobian/jac_fd_dump.c - prints finite-difference Jacobians of a few built-in
 * functions for test_num_jac.py, which compares them with scipy's num_jac.
 *
 * Reads cases from stdin, whitespace-separated, until end of input:
 *     <function> <layout> <n> <t> <y: n numbers> <threshold: n numbers> <factor: n numbers>
 * function: rober (n = 3), vdp (n = 2), flat (n = 4), tri, big (any n);
 * layout: dense, band (the function's band) or sparse (the function's pattern).
 * Writes one JSON object per case and line: the inputs' f, the Jacobian as a dense row-major
 * n*n list, the updated factor, the column groups, the pattern, and the rhs calls made.
 * The functions use only + - * so that numpy evaluates them bit for bit the same.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ivp/solve.h"
#include "ivp_impl.h"
#include "jacobian.h"

#define MAX_N 64

static int rober_rhs(double t, const double *y, double *f, const ivp_ctx *ctx)
{
    (void)t;
    (void)ctx;
    f[0] = -0.04 * y[0] + 1e4 * y[1] * y[2];
    f[1] = 0.04 * y[0] - 1e4 * y[1] * y[2] - 3e7 * y[1] * y[1];
    f[2] = 3e7 * y[1] * y[1];
    return 0;
}

static int vdp_rhs(double t, const double *y, double *f, const ivp_ctx *ctx)
{
    (void)t;
    (void)ctx;
    f[0] = y[1];
    f[1] = 1000.0 * (1.0 - y[0] * y[0]) * y[1] - y[0];
    return 0;
}

/* Column 2 changes nothing it touches (1e20 swallows it; f2 is constant): its largest
 * difference is zero, where scipy takes row 0 for the scale. */
static int flat_rhs(double t, const double *y, double *f, const ivp_ctx *ctx)
{
    (void)t;
    (void)ctx;
    f[0] = y[0] * y[0] + 3.0 * y[3];
    f[1] = 1e20 + y[2] + y[1];
    f[2] = 5.0;
    f[3] = y[3] - y[0];
    return 0;
}

static int tri_rhs(double t, const double *y, double *f, const ivp_ctx *ctx)
{
    size_t i, n = ctx->n;
    (void)t;
    for (i = 0; i < n; i++) {
        double v = -2.0 * y[i] + 0.5 * y[i] * y[i];
        if (i > 0) {
            v += 1.5 * y[i - 1];
        }
        if (i + 1 < n) {
            v += 0.7 * y[i + 1] * y[i];
        }
        f[i] = v;
    }
    return 0;
}

/* Differences drown in rounding at the default factor: retried, and replaced. */
static int big_rhs(double t, const double *y, double *f, const ivp_ctx *ctx)
{
    size_t i, n = ctx->n;
    (void)t;
    for (i = 0; i < n; i++) {
        double v = 1e8 * (double)(i + 1) + y[i];
        if (i > 0) {
            v += 0.5 * y[i - 1];
        }
        f[i] = v;
    }
    return 0;
}

typedef struct fn_def {
    const char *name;
    size_t n; /* required dimension, 0 = any */
    ivp_rhs_fn *rhs;
    long kl, ku;         /* band */
    const char *pattern; /* "full", "tri", "lower2", or explicit "r,c r,c ..." */
} fn_def;

static const fn_def fns[] = {
    {"rober", 3, rober_rhs, 1, 2, "0,0 0,1 0,2 1,0 1,1 1,2 2,1"},
    {"vdp", 2, vdp_rhs, 1, 1, "full"},
    {"flat", 4, flat_rhs, 3, 3, "0,0 0,3 1,1 1,2 3,0 3,3"},
    {"tri", 0, tri_rhs, 1, 1, "tri"},
    {"big", 0, big_rhs, 1, 0, "lower2"},
};

static size_t make_pattern(const fn_def *fd, size_t n, size_t *rows, size_t *cols)
{
    size_t i, j, nnz = 0;
    if (strcmp(fd->pattern, "full") == 0) {
        for (i = 0; i < n; i++) {
            for (j = 0; j < n; j++) {
                rows[nnz] = i;
                cols[nnz++] = j;
            }
        }
    } else if (strcmp(fd->pattern, "tri") == 0 || strcmp(fd->pattern, "lower2") == 0) {
        int upper = strcmp(fd->pattern, "tri") == 0;
        for (i = 0; i < n; i++) {
            for (j = (i > 0 ? i - 1 : 0); j <= i + (size_t)upper && j < n; j++) {
                rows[nnz] = i;
                cols[nnz++] = j;
            }
        }
    } else {
        const char *p = fd->pattern;
        unsigned r, c;
        int used;
        while (sscanf(p, "%u,%u%n", &r, &c, &used) == 2) {
            rows[nnz] = r;
            cols[nnz++] = c;
            p += used;
        }
    }
    return nnz;
}

static void print_list(const char *key, const double *v, size_t len)
{
    size_t k;
    printf("\"%s\": [", key);
    for (k = 0; k < len; k++) {
        if (isfinite(v[k])) {
            printf("%s%.17g", k ? ", " : "", v[k]);
        } else {
            printf("%snull", k ? ", " : "");
        }
    }
    printf("]");
}

static void print_sizes(const char *key, const size_t *v, size_t len)
{
    size_t k;
    printf("\"%s\": [", key);
    for (k = 0; k < len; k++) {
        printf("%s%zu", k ? ", " : "", v[k]);
    }
    printf("]");
}

static int read_vec(double *v, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        if (scanf("%lf", &v[i]) != 1) {
            return -1;
        }
    }
    return 0;
}

static int run_case(const fn_def *fd, const char *layout, size_t n, double t)
{
    static size_t rows[MAX_N * MAX_N], cols[MAX_N * MAX_N];
    static double Jd[MAX_N * MAX_N];
    double y[MAX_N], thr[MAX_N], factor[MAX_N], f[MAX_N];
    ivp_ctx ctx;
    ivp_system sys;
    ivp_stepper s;
    ivp_jac jc;
    ivp_error err;
    size_t nnz, i, j;
    int rc;

    if (read_vec(y, n) != 0 || read_vec(thr, n) != 0 || read_vec(factor, n) != 0) {
        fprintf(stderr, "jac_fd_dump: %s: expected 3 x %zu numbers\n", fd->name, n);
        return -1;
    }
    memset(&ctx, 0, sizeof ctx);
    ctx.n = n;
    memset(&sys, 0, sizeof sys);
    sys.n = n;
    sys.rhs = fd->rhs;
    sys.ctx = &ctx;
    sys.lband = sys.uband = -1;
    nnz = make_pattern(fd, n, rows, cols);
    if (strcmp(layout, "sparse") == 0) {
        sys.sp_rows = rows;
        sys.sp_cols = cols;
        sys.sp_nnz = nnz;
    } else if (strcmp(layout, "band") == 0) {
        sys.lband = fd->kl;
        sys.uband = fd->ku;
    } else if (strcmp(layout, "dense") != 0) {
        fprintf(stderr, "jac_fd_dump: unknown layout '%s'\n", layout);
        return -1;
    }
    memset(&s, 0, sizeof s);
    s.sys = &sys;
    s.n = n;
    if (ivp_jac_init(&jc, &sys, 1, NULL, &err) != IVP_OK) {
        fprintf(stderr, "jac_fd_dump: %s\n", err.msg);
        return -1;
    }
    memcpy(jc.factor, factor, n * sizeof *factor);
    fd->rhs(t, y, f, &ctx);
    rc = ivp_jac_eval(&jc, &s, t, y, f, thr, &err);
    for (i = 0; i < n; i++) {
        for (j = 0; j < n; j++) {
            size_t k = ivp_matrix_index(&jc.J, i, j);
            Jd[i * n + j] = k == (size_t)-1 ? 0.0 : jc.J.v[k];
        }
    }
    printf("{\"func\": \"%s\", \"layout\": \"%s\", \"n\": %zu, \"rc\": %d, \"nfev\": %lu, ",
           fd->name, layout, n, rc, s.nfev);
    print_list("f", f, n);
    printf(", ");
    print_list("J", Jd, n * n);
    printf(", ");
    print_list("factor", jc.factor, n);
    printf(", ");
    print_sizes("groups", jc.group, n);
    printf(", ");
    print_sizes("rows", rows, nnz);
    printf(", ");
    print_sizes("cols", cols, nnz);
    printf("}\n");
    ivp_jac_free(&jc);
    return 0;
}

int main(void)
{
    char name[64], layout[64];
    size_t n, k;
    double t;
    while (scanf("%63s %63s %zu %lf", name, layout, &n, &t) == 4) {
        const fn_def *fd = NULL;
        for (k = 0; k < sizeof fns / sizeof fns[0]; k++) {
            if (strcmp(fns[k].name, name) == 0) {
                fd = &fns[k];
            }
        }
        if (fd == NULL || n == 0 || n > MAX_N || (fd->n != 0 && fd->n != n)) {
            fprintf(stderr, "jac_fd_dump: bad function or dimension: %s n = %zu\n", name, n);
            return 1;
        }
        if (run_case(fd, layout, n, t) != 0) {
            return 1;
        }
    }
    return 0;
}
