/* SPDX-License-Identifier: MIT
 * tests/jacobian/test_jacobian.c - the Jacobian module: finite differences (dense, band and
 * sparse-grouped, as scipy's num_jac), the plugin's dense jac and sparse jac_values, nfev
 * accounting, failures, and no allocation after setup.
 */
#include "support.h"

#include <math.h>
#include <string.h>

#include "ivp/solve.h"
#include "ivp_impl.h"
#include "jacobian.h"

/* Test state behind ctx->data: counts rhs calls and injects a failure on one of them. */
typedef struct probe {
    unsigned long calls;   /* rhs calls so far */
    unsigned long fail_at; /* 1-based call that fails; 0 = none */
    int fail_code;         /* returned by that call; 0 = a NaN in dydt instead */
    int jac_code;          /* returned by jac/jac_values; 2 = a NaN in J instead of 0 */
} probe;

static int probe_finish(const ivp_ctx *ctx, double *f)
{
    probe *p = ctx->data;
    p->calls++;
    if (p->fail_at != 0 && p->calls == p->fail_at) {
        if (p->fail_code != 0) {
            return p->fail_code;
        }
        f[0] = (double)NAN;
    }
    return 0;
}

typedef struct fixture {
    ivp_ctx ctx;
    probe pr;
    ivp_system sys;
    ivp_stepper s;
} fixture;

/* A system of dimension n with rhs and no structure; the stepper around it. */
static void fixture_init(fixture *fx, size_t n, ivp_rhs_fn *rhs)
{
    memset(fx, 0, sizeof *fx);
    fx->ctx.n = n;
    fx->ctx.data = &fx->pr;
    fx->sys.n = n;
    fx->sys.rhs = rhs;
    fx->sys.lband = fx->sys.uband = -1;
    fx->sys.ctx = &fx->ctx;
    fx->s.sys = &fx->sys;
    fx->s.n = n;
}

/* A(i, j) of any layout (0 where structurally zero). */
static double mat_get(const ivp_matrix *m, size_t i, size_t j)
{
    size_t k = ivp_matrix_index(m, i, j);
    return k == (size_t)-1 ? 0.0 : m->v[k];
}

/* ---- Robertson (scipy's test_num_jac) ---- */

static int rober_rhs(double t, const double *y, double *f, const ivp_ctx *ctx)
{
    (void)t;
    f[0] = -0.04 * y[0] + 1e4 * y[1] * y[2];
    f[1] = 0.04 * y[0] - 1e4 * y[1] * y[2] - 3e7 * y[1] * y[1];
    f[2] = 3e7 * y[1] * y[1];
    return probe_finish(ctx, f);
}

static void rober_jac_rm(const double *y, double *J)
{
    J[0] = -0.04;
    J[1] = 1e4 * y[2];
    J[2] = 1e4 * y[1];
    J[3] = 0.04;
    J[4] = -1e4 * y[2] - 6e7 * y[1];
    J[5] = -1e4 * y[1];
    J[6] = 0.0;
    J[7] = 6e7 * y[1];
    J[8] = 0.0;
}

static void fd_dense_matches_robertson_twice(void **state)
{
    fixture fx;
    ivp_jac jc;
    ivp_error err;
    double y[3] = {1.0, 0.0, 0.0}, f[3], thr[3] = {1e-5, 1e-5, 1e-5}, Jt[9];
    size_t i, j;
    int pass;
    (void)state;
    fixture_init(&fx, 3, rober_rhs);
    assert_int_equal(ivp_jac_init(&jc, &fx.sys, 0, NULL, &err), IVP_OK);
    assert_int_equal(jc.source, IVP_JSRC_FD);
    assert_int_equal(jc.J.kind, IVP_MAT_DENSE);
    assert_int_equal(jc.n_groups, 3);
    for (j = 0; j < 3; j++) {
        ivp_assert_close(jc.factor[j], sqrt(IVP_EPS), 0.0, 0.0);
    }
    rober_rhs(1.0, y, f, &fx.ctx);
    rober_jac_rm(y, Jt);
    for (pass = 0; pass < 2; pass++) { /* the second call starts from the adapted factor */
        assert_int_equal(ivp_jac_eval(&jc, &fx.s, 1.0, y, f, thr, &err), 0);
        for (i = 0; i < 3; i++) {
            for (j = 0; j < 3; j++) {
                ivp_assert_close(jc.J.v[i + 3 * j], Jt[i * 3 + j], 1e-5, 1e-5);
            }
        }
    }
    /* As scipy: column 0's largest change is moderate (factor kept); column 1 changes only
     * row 2, where f = 0, so md = sc and the factor shrinks tenfold per call; column 2 changes
     * nothing at y1 = 0 (md = 0): it is retried, not replaced, and its factor grows tenfold. */
    ivp_assert_close(jc.factor[0], sqrt(IVP_EPS), 0.0, 0.0);
    ivp_assert_close(jc.factor[1], sqrt(IVP_EPS) * 0.1 * 0.1, 1e-15, 0.0);
    ivp_assert_close(jc.factor[2], sqrt(IVP_EPS) * 10.0 * 10.0, 1e-15, 0.0);
    ivp_jac_free(&jc);
}

/* ---- tridiagonal system, n = 20 ---- */

#define TRI_N 20

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
    return probe_finish(ctx, f);
}

static double tri_jac(const double *y, size_t n, size_t i, size_t j)
{
    if (j == i) {
        return -2.0 + y[i] + (i + 1 < n ? 0.7 * y[i + 1] : 0.0);
    }
    if (j + 1 == i) {
        return 1.5;
    }
    if (j == i + 1) {
        return 0.7 * y[i];
    }
    return 0.0;
}

/* Deterministic uniform numbers in [lo, hi) (a 64-bit LCG, fixed seed per caller). */
static double lcg_uniform(unsigned long long *state, double lo, double hi)
{
    *state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
    return lo + (hi - lo) * (double)(*state >> 11) * 0x1.0p-53;
}

static void fd_grouped_band_sparse_agree_with_dense(void **state)
{
    enum { N = TRI_N };
    fixture fd, fb, fs;
    ivp_jac jd, jb, js;
    ivp_error err;
    size_t rows[3 * N], cols[3 * N], nnz = 0, i, j;
    double y[N], f[N], thr[N];
    unsigned long long seed = 12345;
    unsigned long nfev0;
    int pass;
    (void)state;
    for (i = 0; i < N; i++) {
        y[i] = lcg_uniform(&seed, -1.0, 1.0);
        thr[i] = 1e-8;
        for (j = (i > 0 ? i - 1 : 0); j <= i + 1 && j < N; j++) {
            rows[nnz] = i;
            cols[nnz] = j;
            nnz++;
        }
    }
    fixture_init(&fd, N, tri_rhs);
    fixture_init(&fb, N, tri_rhs);
    fb.sys.lband = 1;
    fb.sys.uband = 1;
    fixture_init(&fs, N, tri_rhs);
    fs.sys.sp_rows = rows;
    fs.sys.sp_cols = cols;
    fs.sys.sp_nnz = nnz;
    assert_int_equal(ivp_jac_init(&jd, &fd.sys, 1, NULL, &err), IVP_OK);
    assert_int_equal(ivp_jac_init(&jb, &fb.sys, 1, NULL, &err), IVP_OK);
    assert_int_equal(ivp_jac_init(&js, &fs.sys, 1, NULL, &err), IVP_OK);
    assert_int_equal(jd.J.kind, IVP_MAT_DENSE);
    assert_int_equal(jb.J.kind, IVP_MAT_BAND);
    assert_int_equal(js.J.kind, IVP_MAT_SPARSE);
    assert_int_equal(jb.J.kl, 1);
    assert_int_equal(jb.J.ku, 1);
    assert_int_equal(jd.n_groups, N);
    assert_int_equal(jb.n_groups, 3);
    assert_int_equal(js.n_groups, 3);
    for (j = 0; j < N; j++) {
        assert_int_equal(js.group[j], j % 3);
    }
    tri_rhs(0.0, y, f, &fd.ctx);
    for (pass = 0; pass < 2; pass++) {
        fd.pr.calls = fb.pr.calls = fs.pr.calls = 0;
        nfev0 = fd.s.nfev;
        assert_int_equal(ivp_jac_eval(&jd, &fd.s, 0.0, y, f, thr, &err), 0);
        assert_int_equal(fd.pr.calls, N);
        assert_int_equal(fd.s.nfev - nfev0, N);
        nfev0 = fb.s.nfev;
        assert_int_equal(ivp_jac_eval(&jb, &fb.s, 0.0, y, f, thr, &err), 0);
        assert_int_equal(fb.pr.calls, 3);
        assert_int_equal(fb.s.nfev - nfev0, 3);
        nfev0 = fs.s.nfev;
        assert_int_equal(ivp_jac_eval(&js, &fs.s, 0.0, y, f, thr, &err), 0);
        assert_int_equal(fs.pr.calls, 3);
        assert_int_equal(fs.s.nfev - nfev0, 3);
        for (i = 0; i < N; i++) {
            for (j = 0; j < N; j++) {
                double d = mat_get(&jd.J, i, j);
                ivp_assert_close(mat_get(&jb.J, i, j), d, 1e-12, 1e-14);
                ivp_assert_close(mat_get(&js.J, i, j), d, 1e-12, 1e-14);
                ivp_assert_close(d, tri_jac(y, N, i, j), 1e-6, 1e-8);
            }
        }
        for (j = 0; j < N; j++) {
            ivp_assert_close(jb.factor[j], jd.factor[j], 0.0, 0.0);
            ivp_assert_close(js.factor[j], jd.factor[j], 0.0, 0.0);
        }
    }
    ivp_jac_free(&jd);
    ivp_jac_free(&jb);
    ivp_jac_free(&js);
}

/* ---- a random sparse pattern: CPR groups are valid and the grouped J is the dense one ---- */

#define RS_N 12
#define RS_NNZ 30

typedef struct rs_pattern {
    size_t rows[RS_NNZ], cols[RS_NNZ];
    double c[RS_NNZ];
} rs_pattern;

/* f_i = sum over pattern entries k in row i of c_k * y_{col_k}^2 * (1 + y_i / 4). */
static int rs_rhs(double t, const double *y, double *f, const ivp_ctx *ctx)
{
    const rs_pattern *pat = (const rs_pattern *)ctx->p;
    size_t i, k;
    (void)t;
    for (i = 0; i < ctx->n; i++) {
        f[i] = 0.1 * (double)i;
    }
    for (k = 0; k < RS_NNZ; k++) {
        size_t i0 = pat->rows[k];
        double yc = y[pat->cols[k]];
        f[i0] += pat->c[k] * yc * yc * (1.0 + 0.25 * y[i0]);
    }
    return probe_finish(ctx, f);
}

static void fd_sparse_grouping_is_valid_and_exact(void **state)
{
    rs_pattern pat;
    fixture fd, fs;
    ivp_jac jd, js;
    ivp_error err;
    double y[RS_N], f[RS_N], thr[RS_N];
    unsigned long long seed = 777;
    size_t i, j, k, a, b;
    (void)state;
    for (k = 0; k < RS_NNZ; k++) {
        pat.rows[k] = (size_t)lcg_uniform(&seed, 0.0, (double)RS_N);
        pat.cols[k] = (size_t)lcg_uniform(&seed, 0.0, (double)RS_N);
        pat.c[k] = lcg_uniform(&seed, -2.0, 2.0);
    }
    for (i = 0; i < RS_N; i++) {
        y[i] = lcg_uniform(&seed, 0.5, 2.0);
        thr[i] = 1e-6;
    }
    fixture_init(&fd, RS_N, rs_rhs);
    fixture_init(&fs, RS_N, rs_rhs);
    fd.ctx.p = (const double *)(const void *)&pat;
    fs.ctx.p = fd.ctx.p;
    fs.sys.sp_rows = pat.rows;
    fs.sys.sp_cols = pat.cols;
    fs.sys.sp_nnz = RS_NNZ;
    assert_int_equal(ivp_jac_init(&jd, &fd.sys, 0, NULL, &err), IVP_OK);
    assert_int_equal(ivp_jac_init(&js, &fs.sys, 0, NULL, &err), IVP_OK);
    assert_int_equal(js.J.kind, IVP_MAT_SPARSE);
    assert_true(js.n_groups < RS_N);
    /* Two columns of a group never share a row of the pattern (with its diagonal). */
    for (a = 0; a < RS_N; a++) {
        assert_true(js.group[a] < js.n_groups);
        for (b = a + 1; b < RS_N; b++) {
            if (js.group[a] != js.group[b]) {
                continue;
            }
            for (i = 0; i < RS_N; i++) {
                int in_a = ivp_matrix_index(&js.J, i, a) != (size_t)-1;
                int in_b = ivp_matrix_index(&js.J, i, b) != (size_t)-1;
                assert_false(in_a && in_b);
            }
        }
    }
    rs_rhs(0.0, y, f, &fd.ctx);
    fs.pr.calls = 0;
    assert_int_equal(ivp_jac_eval(&jd, &fd.s, 0.0, y, f, thr, &err), 0);
    assert_int_equal(ivp_jac_eval(&js, &fs.s, 0.0, y, f, thr, &err), 0);
    assert_int_equal(fs.pr.calls, js.n_groups);
    assert_int_equal(fd.s.nfev, 0); /* count_fd = 0 */
    assert_int_equal(fs.s.nfev, 0);
    for (i = 0; i < RS_N; i++) {
        for (j = 0; j < RS_N; j++) {
            /* Bit-identical: the grouped perturbation leaves each entry's row alone. */
            ivp_assert_close(mat_get(&js.J, i, j), mat_get(&jd.J, i, j), 0.0, 0.0);
        }
    }
    ivp_jac_free(&jd);
    ivp_jac_free(&js);
}

/* ---- the plugin's dense jac ---- */

static const double lin_A[4][4] = {
    {1.0, 2.0, 3.0, 0.5}, {4.0, 5.0, 6.0, -1.0}, {7.0, 8.0, 10.0, 2.5}, {-3.0, 0.0, 1.0, 9.0}};

static int lin_rhs(double t, const double *y, double *f, const ivp_ctx *ctx)
{
    size_t i, j;
    (void)t;
    for (i = 0; i < 4; i++) {
        f[i] = 0.0;
        for (j = 0; j < 4; j++) {
            f[i] += lin_A[i][j] * y[j];
        }
    }
    return probe_finish(ctx, f);
}

static int lin_jac(double t, const double *y, double *J, const ivp_ctx *ctx)
{
    probe *p = ctx->data;
    size_t i, j;
    (void)t;
    (void)y;
    for (i = 0; i < 4; i++) {
        for (j = 0; j < 4; j++) {
            J[i * 4 + j] = lin_A[i][j];
        }
    }
    if (p->jac_code == 2) {
        J[6] = (double)NAN;
        return 0;
    }
    return p->jac_code;
}

static void plugin_dense_jac_is_transposed(void **state)
{
    fixture fx;
    ivp_jac jc;
    ivp_error err;
    double y[4] = {1.0, 2.0, 3.0, 4.0}, thr[4] = {1e-6, 1e-6, 1e-6, 1e-6};
    size_t i, j;
    (void)state;
    fixture_init(&fx, 4, lin_rhs);
    fx.sys.jac = lin_jac;
    assert_int_equal(ivp_jac_init(&jc, &fx.sys, 1, NULL, &err), IVP_OK);
    assert_int_equal(jc.source, IVP_JSRC_DENSE);
    assert_int_equal(ivp_jac_eval(&jc, &fx.s, 0.0, y, NULL, thr, &err), 0);
    for (i = 0; i < 4; i++) {
        for (j = 0; j < 4; j++) {
            ivp_assert_close(jc.J.v[i + 4 * j], lin_A[i][j], 0.0, 0.0);
        }
    }
    assert_int_equal(fx.pr.calls, 0);
    assert_int_equal(fx.s.nfev, 0);
    /* Failures: recoverable code, NaN, fatal. */
    fx.pr.jac_code = 3;
    assert_int_equal(ivp_jac_eval(&jc, &fx.s, 0.5, y, NULL, thr, &err), 1);
    assert_int_equal(fx.s.last_rhs_code, 3);
    ivp_assert_close(fx.s.last_fail_t, 0.5, 0.0, 0.0);
    fx.pr.jac_code = 2;
    assert_int_equal(ivp_jac_eval(&jc, &fx.s, 0.75, y, NULL, thr, &err), 1);
    assert_int_equal(fx.s.last_rhs_code, 0);
    assert_int_equal(fx.s.last_nonfinite, 1); /* J[6] is row 1 */
    fx.pr.jac_code = -4;
    assert_int_equal(ivp_jac_eval(&jc, &fx.s, 0.25, y, NULL, thr, &err), IVP_ERR_JAC);
    assert_non_null(strstr(err.msg, "jac returned -4"));
    assert_non_null(strstr(err.msg, "t = 0.25"));
    ivp_jac_free(&jc);

    /* A dense jac is not used for a band layout: finite differences instead. */
    fixture_init(&fx, 4, lin_rhs);
    fx.sys.jac = lin_jac;
    fx.sys.lband = 3;
    fx.sys.uband = 5; /* wider than the matrix: clamped to 3 */
    assert_int_equal(ivp_jac_init(&jc, &fx.sys, 1, NULL, &err), IVP_OK);
    assert_int_equal(jc.source, IVP_JSRC_FD);
    assert_int_equal(jc.J.kind, IVP_MAT_BAND);
    assert_int_equal(jc.J.ku, 3);
    {
        double f[4];
        lin_rhs(0.0, y, f, &fx.ctx);
        assert_int_equal(ivp_jac_eval(&jc, &fx.s, 0.0, y, f, thr, &err), 0);
    }
    for (i = 0; i < 4; i++) {
        for (j = 0; j < 4; j++) {
            ivp_assert_close(mat_get(&jc.J, i, j), lin_A[i][j], 1e-7, 1e-7);
        }
    }
    ivp_jac_free(&jc);
}

/* ---- the plugin's jac_values ---- */

static const size_t jv_rows[6] = {0, 1, 2, 0, 1, 2};
static const size_t jv_cols[6] = {0, 1, 2, 3, 1, 0}; /* (1, 1) twice */

static int jv_rhs(double t, const double *y, double *f, const ivp_ctx *ctx)
{
    (void)t;
    f[0] = y[0] + 4.0 * y[3];
    f[1] = 7.0 * y[1];
    f[2] = 3.0 * y[2] + 6.0 * y[0];
    f[3] = 0.0;
    return probe_finish(ctx, f);
}

static int jv_values(double t, const double *y, double *v, const ivp_ctx *ctx)
{
    probe *p = ctx->data;
    (void)t;
    v[0] = 1.0 + y[0];
    v[1] = 2.0;
    v[2] = 3.0;
    v[3] = 4.0;
    v[4] = 5.0;
    v[5] = 6.0;
    if (p->jac_code == 2) {
        v[5] = (double)INFINITY;
        return 0;
    }
    return p->jac_code;
}

static void plugin_jac_values_are_scattered(void **state)
{
    fixture fx;
    ivp_jac jc;
    ivp_error err;
    double y[4] = {0.5, 0.0, 0.0, 0.0};
    const double want[4][4] = {
        {1.5, 0.0, 0.0, 4.0}, {0.0, 7.0, 0.0, 0.0}, {6.0, 0.0, 3.0, 0.0}, {0.0, 0.0, 0.0, 0.0}};
    size_t i, j;
    int pass;
    (void)state;
    fixture_init(&fx, 4, jv_rhs);
    fx.sys.jac = lin_jac; /* ignored: jac_values with a pattern wins */
    fx.sys.jac_values = jv_values;
    fx.sys.sp_rows = jv_rows;
    fx.sys.sp_cols = jv_cols;
    fx.sys.sp_nnz = 6;
    assert_int_equal(ivp_jac_init(&jc, &fx.sys, 0, NULL, &err), IVP_OK);
    assert_int_equal(jc.source, IVP_JSRC_VALUES);
    assert_int_equal(jc.J.kind, IVP_MAT_SPARSE);
    for (pass = 0; pass < 2; pass++) { /* values are set, not accumulated across calls */
        assert_int_equal(ivp_jac_eval(&jc, &fx.s, 0.0, y, NULL, NULL, &err), 0);
        for (i = 0; i < 4; i++) {
            for (j = 0; j < 4; j++) {
                ivp_assert_close(mat_get(&jc.J, i, j), want[i][j], 0.0, 0.0);
            }
        }
    }
    /* (3, 3) is only there because the matrix adds the diagonal. */
    assert_true(ivp_matrix_index(&jc.J, 3, 3) != (size_t)-1);
    assert_true(ivp_matrix_index(&jc.J, 1, 0) == (size_t)-1);
    fx.pr.jac_code = 5;
    assert_int_equal(ivp_jac_eval(&jc, &fx.s, 2.0, y, NULL, NULL, &err), 1);
    assert_int_equal(fx.s.last_rhs_code, 5);
    fx.pr.jac_code = 2;
    assert_int_equal(ivp_jac_eval(&jc, &fx.s, 2.0, y, NULL, NULL, &err), 1);
    assert_int_equal(fx.s.last_rhs_code, 0);
    assert_int_equal(fx.s.last_nonfinite, 2);
    fx.pr.jac_code = -1;
    assert_int_equal(ivp_jac_eval(&jc, &fx.s, 2.5, y, NULL, NULL, &err), IVP_ERR_JAC);
    assert_non_null(strstr(err.msg, "jac_values returned -1"));
    assert_non_null(strstr(err.msg, "t = 2.5"));
    assert_int_equal(fx.pr.calls, 0);
    ivp_jac_free(&jc);

    /* jac_values without a pattern cannot be placed: finite differences, dense. */
    fixture_init(&fx, 4, jv_rhs);
    fx.sys.jac_values = jv_values;
    assert_int_equal(ivp_jac_init(&jc, &fx.sys, 0, NULL, &err), IVP_OK);
    assert_int_equal(jc.source, IVP_JSRC_FD);
    assert_int_equal(jc.J.kind, IVP_MAT_DENSE);
    ivp_jac_free(&jc);
}

/* ---- nfev accounting ---- */

static void count_fd_decides_nfev(void **state)
{
    fixture fx;
    ivp_jac jc;
    ivp_error err;
    double y[3] = {1.0, 0.0, 0.0}, f[3], thr[3] = {1e-5, 1e-5, 1e-5};
    int count_fd;
    (void)state;
    for (count_fd = 0; count_fd <= 1; count_fd++) {
        fixture_init(&fx, 3, rober_rhs);
        rober_rhs(0.0, y, f, &fx.ctx);
        fx.pr.calls = 0;
        fx.s.nfev = 7;
        assert_int_equal(ivp_jac_init(&jc, &fx.sys, count_fd, NULL, &err), IVP_OK);
        assert_int_equal(ivp_jac_eval(&jc, &fx.s, 0.0, y, f, thr, &err), 0);
        /* Column 2 (y2 = 0 and no effect at y1 = 0) is tried a second time. */
        assert_int_equal(fx.pr.calls, 4);
        assert_int_equal(fx.s.nfev, count_fd ? 7 + 4 : 7);
        assert_int_equal(fx.s.njev, 0);
        ivp_jac_free(&jc);
    }
}

/* ---- failures during finite differences ---- */

/* f_i = 1e8 * (i + 1) + y_i: the differences drown in rounding, so every column is retried. */
static int big_rhs(double t, const double *y, double *f, const ivp_ctx *ctx)
{
    size_t i;
    (void)t;
    for (i = 0; i < ctx->n; i++) {
        f[i] = 1e8 * (double)(i + 1) + y[i];
    }
    return probe_finish(ctx, f);
}

static void fd_rhs_failures_are_reported(void **state)
{
    fixture fx;
    ivp_jac jc;
    ivp_error err;
    double y[3] = {1.0, 1.0, 1.0}, f[3], thr[3] = {1e-6, 1e-6, 1e-6};
    unsigned long at;
    (void)state;
    fixture_init(&fx, 3, big_rhs);
    assert_int_equal(ivp_jac_init(&jc, &fx.sys, 0, NULL, &err), IVP_OK);
    big_rhs(0.0, y, f, &fx.ctx);
    /* Without failures: 3 columns, 3 retries, and the retried columns are kept. */
    fx.pr.calls = 0;
    assert_int_equal(ivp_jac_eval(&jc, &fx.s, 0.0, y, f, thr, &err), 0);
    assert_int_equal(fx.pr.calls, 6);
    ivp_assert_close(mat_get(&jc.J, 1, 1), 1.0, 0.2, 0.0);
    ivp_assert_close(mat_get(&jc.J, 0, 1), 0.0, 0.0, 0.0);
    /* A failure in a first try (calls 1..3) or a retry (4..6), in each of three kinds. */
    for (at = 1; at <= 6; at++) {
        int code;
        for (code = -2; code <= 2; code += 2) {
            memcpy(jc.factor, (const double[3]){1.5e-8, 1.5e-8, 1.5e-8}, sizeof y);
            fx.pr.calls = 0;
            fx.pr.fail_at = at;
            fx.pr.fail_code = code;
            fx.s.last_rhs_code = 99;
            if (code < 0) {
                assert_int_equal(ivp_jac_eval(&jc, &fx.s, 3.5, y, f, thr, &err), IVP_ERR_RHS);
                assert_non_null(strstr(err.msg, "t = 3.5"));
            } else {
                assert_int_equal(ivp_jac_eval(&jc, &fx.s, 3.5, y, f, thr, &err), 1);
                assert_int_equal(fx.s.last_rhs_code, code);
                ivp_assert_close(fx.s.last_fail_t, 3.5, 0.0, 0.0);
            }
            assert_int_equal(fx.pr.calls, at); /* stops at the failure */
            assert_int_equal(fx.s.nfev, 0);
        }
    }
    fx.pr.fail_at = 0;
    memcpy(jc.factor, (const double[3]){1.5e-8, 1.5e-8, 1.5e-8}, sizeof y);
    /* The work vector is restored after a failure: the next call is clean and exact. */
    fx.pr.calls = 0;
    assert_int_equal(ivp_jac_eval(&jc, &fx.s, 0.0, y, f, thr, &err), 0);
    assert_int_equal(fx.pr.calls, 6);
    ivp_jac_free(&jc);

    /* No increment is possible for y_j = 0 with threshold 0. */
    fixture_init(&fx, 3, rober_rhs);
    assert_int_equal(ivp_jac_init(&jc, &fx.sys, 0, NULL, &err), IVP_OK);
    {
        double y0[3] = {1.0, 0.0, 0.0}, zero[3] = {0.0, 0.0, 0.0};
        rober_rhs(0.0, y0, f, &fx.ctx);
        assert_int_equal(ivp_jac_eval(&jc, &fx.s, 1.25, y0, f, zero, &err), IVP_ERR_JAC);
        assert_non_null(strstr(err.msg, "y[1] = 0"));
        assert_non_null(strstr(err.msg, "t = 1.25"));
    }
    ivp_jac_free(&jc);
}

/* A tiny factor gives h = 0 and is raised tenfold until h != 0, as scipy does. */
static void fd_zero_increment_raises_factor(void **state)
{
    fixture fx;
    ivp_jac jc;
    ivp_error err;
    double y[3] = {1.0, 0.5, 0.25}, f[3], thr[3] = {1e-5, 1e-5, 1e-5};
    (void)state;
    fixture_init(&fx, 3, rober_rhs);
    assert_int_equal(ivp_jac_init(&jc, &fx.sys, 0, NULL, &err), IVP_OK);
    rober_rhs(0.0, y, f, &fx.ctx);
    jc.factor[0] = 1e-20; /* 1 + factor == 1 up to factor ~ 1e-16 */
    assert_int_equal(ivp_jac_eval(&jc, &fx.s, 0.0, y, f, thr, &err), 0);
    ivp_assert_close(jc.hstep[0], (1.0 + 1e-15) - 1.0, 0.0, 0.0); /* f0 > 0: upwards */
    ivp_jac_free(&jc);
}

/* ---- argument checks and allocation ---- */

static void init_rejects_bad_structure(void **state)
{
    fixture fx;
    ivp_jac jc;
    ivp_error err;
    size_t rows[2] = {0, 5}, cols[2] = {0, 1};
    (void)state;
    fixture_init(&fx, 3, rober_rhs);
    fx.sys.sp_rows = rows;
    assert_int_equal(ivp_jac_init(&jc, &fx.sys, 0, NULL, &err), IVP_ERR_ARG);
    assert_non_null(strstr(err.msg, "sp_cols missing"));
    ivp_jac_free(&jc); /* harmless after a failed init */
    fx.sys.sp_cols = cols;
    fx.sys.sp_nnz = 2;
    assert_int_equal(ivp_jac_init(&jc, &fx.sys, 0, NULL, &err), IVP_ERR_ARG);
    ivp_jac_free(&jc);
}

static void setup_for(int which, fixture *fx, size_t *rows, size_t *cols)
{
    size_t i, nnz = 0;
    fixture_init(fx, TRI_N, tri_rhs);
    if (which == 1) {
        fx->sys.lband = 1;
        fx->sys.uband = 1;
    } else if (which == 2 || which == 3) {
        for (i = 0; i < TRI_N; i++) {
            rows[nnz] = i;
            cols[nnz++] = i;
            if (i + 1 < TRI_N) {
                rows[nnz] = i + 1;
                cols[nnz++] = i;
            }
        }
        fx->sys.sp_rows = rows;
        fx->sys.sp_cols = cols;
        fx->sys.sp_nnz = nnz;
        if (which == 3) {
            fx->sys.jac_values = jv_values; /* only for allocation: never evaluated here */
        }
    } else if (which == 4) {
        fx->sys.jac = lin_jac;
    }
}

static void init_cleans_up_after_alloc_failures(void **state)
{
    size_t rows[2 * TRI_N], cols[2 * TRI_N];
    int which;
    (void)state;
    for (which = 0; which <= 4; which++) {
        long k;
        for (k = 0;; k++) {
            fixture fx;
            ivp_jac jc;
            ivp_error err;
            ivp_test_alloc ta;
            ivp_status st;
            setup_for(which, &fx, rows, cols);
            ivp_test_alloc_init(&ta, k);
            st = ivp_jac_init(&jc, &fx.sys, 0, &ta.a, &err);
            if (st == IVP_OK) {
                ivp_jac_free(&jc);
                assert_int_equal(ta.n_live, 0);
                break;
            }
            assert_int_equal(st, IVP_ERR_NOMEM);
            assert_int_equal(ta.n_live, 0);
            assert_true(k < 100);
        }
    }
}

static void eval_never_allocates(void **state)
{
    size_t rows[2 * TRI_N], cols[2 * TRI_N];
    int which;
    (void)state;
    for (which = 0; which <= 2; which++) { /* FD: dense, band, sparse */
        fixture fx;
        ivp_jac jc;
        ivp_error err;
        ivp_test_alloc ta;
        double y[TRI_N], f[TRI_N], thr[TRI_N];
        unsigned long long seed = 99;
        long n_alloc;
        size_t i;
        int rep;
        setup_for(which, &fx, rows, cols);
        for (i = 0; i < TRI_N; i++) {
            y[i] = lcg_uniform(&seed, -1.0, 1.0);
            thr[i] = 1e-8;
        }
        tri_rhs(0.0, y, f, &fx.ctx);
        ivp_test_alloc_init(&ta, -1);
        assert_int_equal(ivp_jac_init(&jc, &fx.sys, 0, &ta.a, &err), IVP_OK);
        n_alloc = ta.n_alloc;
        for (rep = 0; rep < 3; rep++) {
            assert_int_equal(ivp_jac_eval(&jc, &fx.s, 0.0, y, f, thr, &err), 0);
        }
        assert_int_equal(ta.n_alloc, n_alloc);
        ivp_jac_free(&jc);
        assert_int_equal(ta.n_live, 0);
    }
    {
        fixture fx;
        ivp_jac jc;
        ivp_error err;
        ivp_test_alloc ta;
        double y[4] = {1.0, 2.0, 3.0, 4.0};
        long n_alloc;
        fixture_init(&fx, 4, lin_rhs);
        fx.sys.jac = lin_jac;
        ivp_test_alloc_init(&ta, -1);
        assert_int_equal(ivp_jac_init(&jc, &fx.sys, 0, &ta.a, &err), IVP_OK);
        n_alloc = ta.n_alloc;
        assert_int_equal(ivp_jac_eval(&jc, &fx.s, 0.0, y, NULL, NULL, &err), 0);
        assert_int_equal(ta.n_alloc, n_alloc);
        ivp_jac_free(&jc);
        assert_int_equal(ta.n_live, 0);

        fixture_init(&fx, 4, jv_rhs);
        fx.sys.jac_values = jv_values;
        fx.sys.sp_rows = jv_rows;
        fx.sys.sp_cols = jv_cols;
        fx.sys.sp_nnz = 6;
        ivp_test_alloc_init(&ta, -1);
        assert_int_equal(ivp_jac_init(&jc, &fx.sys, 0, &ta.a, &err), IVP_OK);
        n_alloc = ta.n_alloc;
        assert_int_equal(ivp_jac_eval(&jc, &fx.s, 0.0, y, NULL, NULL, &err), 0);
        assert_int_equal(ta.n_alloc, n_alloc);
        ivp_jac_free(&jc);
        assert_int_equal(ta.n_live, 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fd_dense_matches_robertson_twice),
        cmocka_unit_test(fd_grouped_band_sparse_agree_with_dense),
        cmocka_unit_test(fd_sparse_grouping_is_valid_and_exact),
        cmocka_unit_test(plugin_dense_jac_is_transposed),
        cmocka_unit_test(plugin_jac_values_are_scattered),
        cmocka_unit_test(count_fd_decides_nfev),
        cmocka_unit_test(fd_rhs_failures_are_reported),
        cmocka_unit_test(fd_zero_increment_raises_factor),
        cmocka_unit_test(init_rejects_bad_structure),
        cmocka_unit_test(init_cleans_up_after_alloc_failures),
        cmocka_unit_test(eval_never_allocates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
