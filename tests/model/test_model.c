/* SPDX-License-Identifier: MIT
 * tests/model/test_model.c - expression models (core/src/model/): the derivative of every
 * function of the language against central differences at random points (near the branch
 * points of abs, min, max and if too), sums and array rules assembled into a full Jacobian as
 * the generated code assembles it, and at least 30 bad models, each an exit-2 error that names
 * the JSON path and the column.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ivp/model.h"
#include "ivp/plugin.h"
#include "model/model_impl.h"

static ivp_model *parse_ok(const char *json)
{
    ivp_error err;
    ivp_model *m = ivp_model_parse_text(json, strlen(json), "$.model", &err);
    if (m == NULL) {
        fprintf(stderr, "model %s\nrejected: %s\n", json, err.msg);
        fail();
    }
    return m;
}

/* The full Jacobian from the model's Jacobian rows, evaluated (the same accumulation as the
 * generated jac). */
static void eval_jac(const ivp_model *m, double t, const double *y, const double *p, double *J)
{
    size_t n = m->n, s, k, q;
    long i, j;
    memset(J, 0, n * n * sizeof *J);
    for (s = 0; s < m->n_st; s++) {
        const m_state *st = &m->st[s];
        for (i = 0; i < st->size; i++) {
            const m_jrow *r;
            size_t row = st->offset + (size_t)i;
            if (st->over[i] >= 0) {
                r = st->scalar ? &m->scalar_jac[s] : &m->over_jac[s][i];
            } else {
                r = &m->rule_jac[s];
            }
            for (k = 0; k < r->n_cls; k++) {
                const m_class *c = &r->cls[k];
                long col = (long)m->st[c->arr].offset + c->off + (c->var == 0 ? i : 0);
                J[row * n + (size_t)col] += m_eval(m, r->d[k], t, y, p, i, 0);
            }
            for (k = 0; k < r->n_sums; k++) {
                const mnode *sn = &m->nodes[r->sum[k]];
                double g = m_eval(m, r->g[k], t, y, p, i, 0);
                long lo = (sn->lov == 0 ? i : 0) + sn->lo, hi = (sn->hiv == 0 ? i : 0) + sn->hi;
                for (j = lo; j <= hi; j++) {
                    for (q = 0; q < r->n_jcls[k]; q++) {
                        const m_class *c = &r->jcls[k][q];
                        long col = (long)m->st[c->arr].offset + c->off + j;
                        J[row * n + (size_t)col] += g * m_eval(m, r->jd[k][q], t, y, p, i, j);
                    }
                }
            }
        }
    }
}

static void eval_rhs(const ivp_model *m, double t, const double *y, const double *p, double *f)
{
    size_t s;
    long i;
    for (s = 0; s < m->n_st; s++) {
        const m_state *st = &m->st[s];
        for (i = 0; i < st->size; i++) {
            int e = st->over[i] >= 0 ? st->over[i] : st->rule;
            f[st->offset + (size_t)i] = m_eval(m, e, t, y, p, i, 0);
        }
    }
}

/* Every entry of the Jacobian against central differences (step h relative to |y|). */
static void check_fd(const ivp_model *m, double t, const double *y0, const double *p, double tol)
{
    size_t n = m->n, r, c;
    double *J = calloc(n * n, sizeof *J), *y = malloc(n * sizeof *y), *fp = malloc(n * sizeof *fp),
           *fm = malloc(n * sizeof *fm);
    assert_non_null(J);
    eval_jac(m, t, y0, p, J);
    for (c = 0; c < n; c++) {
        double h = 1e-6 * fmax(1.0, fabs(y0[c]));
        memcpy(y, y0, n * sizeof *y);
        y[c] = y0[c] + h;
        eval_rhs(m, t, y, p, fp);
        y[c] = y0[c] - h;
        eval_rhs(m, t, y, p, fm);
        for (r = 0; r < n; r++) {
            double fd = (fp[r] - fm[r]) / (2 * h);
            if (!(fabs(fd - J[r * n + c]) <= tol * fmax(1.0, fabs(fd)))) {
                fprintf(stderr, "%s\nJ[%zu][%zu] = %.17g, differences give %.17g\n", m->canonical,
                        r, c, J[r * n + c], fd);
                fail();
            }
        }
    }
    free(J);
    free(y);
    free(fp);
    free(fm);
}

static double urand(unsigned *s, double lo, double hi)
{
    *s = *s * 1103515245u + 12345u;
    return lo + (hi - lo) * (double)((*s >> 8) & 0xffffff) / (double)0x1000000;
}

/* f(x, y) for each function; x and y drawn in [lo, hi] (inside the function's domain). */
static const struct {
    const char *expr;
    double lo, hi;
} fd_cases[] = {
    {"x + y", -3, 3},
    {"x - 2*y", -3, 3},
    {"x*y*x", -3, 3},
    {"x / (y + 5)", -3, 3},
    {"x^2 + y^3 - x^-1", 0.5, 3},
    {"x^y", 0.5, 3},
    {"pow(x, 2.5) + pow(2, y)", 0.5, 3},
    {"exp(x*y)", -1, 1},
    {"log(x*y)", 0.5, 3},
    {"log10(x + y)", 0.5, 3},
    {"sqrt(x*y)", 0.5, 3},
    {"cbrt(x - 7*y)", 0.5, 3},
    {"sin(x*y)", -3, 3},
    {"cos(x + y)", -3, 3},
    {"tan(x*0.3 - y*0.2)", -2, 2},
    {"asin(x*y/10)", -3, 3},
    {"acos(x/4 + y/5)", -2, 2},
    {"atan(x*y)", -3, 3},
    {"atan2(x, y)", 0.5, 3},
    {"atan2(y - 4, x)", 0.5, 3},
    {"sinh(x - y)", -2, 2},
    {"cosh(x*y)", -1, 1},
    {"tanh(x + y*y)", -1, 1},
    {"hypot(x, y)", 0.5, 3},
    {"abs(x - y)", -3, 3},
    {"min(x*x, y)", -3, 3},
    {"max(x, 2*y)", -3, 3},
    {"if(x > y, x*x*y, -y*x)", -3, 3},
    {"if(x <= 1 && !(y > 2) || x == y, sin(y), x)", -3, 3},
    {"-(x*p) + t*y + 2^-x", -3, 3},
};

static void derivatives_match_differences(void **state)
{
    unsigned seed = 12345;
    size_t k, rep;
    (void)state;
    for (k = 0; k < sizeof fd_cases / sizeof fd_cases[0]; k++) {
        char json[512];
        ivp_model *m;
        snprintf(json, sizeof json,
                 "{\"states\": [\"x\", \"y\"], \"params\": [\"p\"], \"rhs\": {\"x\": \"%s\", "
                 "\"y\": \"x*%s\"}}",
                 fd_cases[k].expr, fd_cases[k].expr);
        m = parse_ok(json);
        for (rep = 0; rep < 20; rep++) {
            double y[2], p = urand(&seed, -2, 2), t = urand(&seed, 0, 1);
            y[0] = urand(&seed, fd_cases[k].lo, fd_cases[k].hi);
            y[1] = urand(&seed, fd_cases[k].lo, fd_cases[k].hi);
            check_fd(m, t, y, &p, 1e-6);
        }
        ivp_model_free(m);
    }
}

/* Near (not at) the branch points the derivative is that of the branch taken. */
static void branch_points_take_the_branch(void **state)
{
    static const char *const exprs[] = {"abs(x - y)", "min(x, y)", "max(x, y)",
                                        "if(x < y, 3*x, x*y)"};
    static const double gaps[] = {1e-3, -1e-3, 1e-2, -1e-2};
    size_t k, q;
    (void)state;
    for (k = 0; k < 4; k++) {
        char json[256];
        ivp_model *m;
        snprintf(json, sizeof json,
                 "{\"states\": [\"x\", \"y\"], \"rhs\": {\"x\": \"%s\", \"y\": \"0\"}}", exprs[k]);
        m = parse_ok(json);
        for (q = 0; q < 4; q++) {
            double y[2] = {1.5 + gaps[q], 1.5}; /* h = 1.5e-6 stays on one side */
            check_fd(m, 0, y, NULL, 1e-6);
        }
        ivp_model_free(m);
    }
}

/* Array rules with neighbours, overrides and sums: the assembled Jacobian against differences,
 * including the aliasing of x[j] with x[i] at j = i. */
static void arrays_and_sums_match_differences(void **state)
{
    static const char json[] =
        "{\"constants\": {\"N\": 6}, \"params\": [\"a\"], \"states\": [\"u[N]\", \"w\", "
        "\"x[4]\"],"
        " \"rhs\": {\"u[i]\": \"a*(u[i-1] - 2*u[i] + u[i+1]) + u[i]^2*w + u[0]*i\","
        "           \"u[0]\": \"u[1] - u[0]^3\", \"u[N-1]\": \"u[N-2]*w\","
        "           \"w\": \"sum(j, 0, N-1, u[j]^2) - w\","
        "           \"x[i]\": \"exp(-sum(j, 0, 3, if(j != i, x[j]*x[i], x[i]^2)))"
        " + sum(k, i, 3, x[k]*u[k])\"}}";
    ivp_model *m = parse_ok(json);
    unsigned seed = 7;
    double y[11], a = 0.7;
    size_t rep, k;
    (void)state;
    assert_int_equal(ivp_model_dim(m), 11);
    for (rep = 0; rep < 10; rep++) {
        for (k = 0; k < 11; k++) {
            y[k] = urand(&seed, -1, 1);
        }
        check_fd(m, 0, y, &a, 1e-6);
    }
    ivp_model_free(m);
}

/* The tridiagonal pattern of a diffusion rule: 3N - 2 distinct entries, found from offsets. */
static void rule_offsets_give_tridiagonal_terms(void **state)
{
    static const char json[] =
        "{\"constants\": {\"N\": 1000}, \"states\": [\"u[N]\"], \"rhs\": {"
        "\"u[i]\": \"u[i-1] - 2*u[i] + u[i+1]\", \"u[0]\": \"-2*u[0] + u[1]\","
        "\"u[N-1]\": \"u[N-2] - 2*u[N-1]\"}}";
    ivp_model *m = parse_ok(json);
    size_t len = 0;
    char *c;
    (void)state;
    assert_true(ivp_model_is_sparse(m));
    assert_int_equal(ivp_model_jac_terms(m), 3 * 1000 - 2);
    c = ivp_model_emit_c(m, &len);
    assert_non_null(c);
    assert_true(len < 8000); /* loops, not 1000 unrolled rows */
    assert_non_null(strstr(c, "for (long i = 1; i <= 998; i++)"));
    free(c);
    ivp_model_free(m);
}

/* The generated C, compiled and loaded (ivp_plugin_load_source, cache $IVP_CACHE_DIR), against
 * the evaluator: rhs and the full Jacobian (dense jac, or jac_sparsity + jac_values scattered)
 * at random states. The generated code does the evaluator's operations, grouped differently
 * at most (x^2 as x*x, shared temporaries), on values of order 1..100: 1e-12 relative. Also
 * checks that a sparse pattern has no repeated entry and holds every nonzero. Returns the C. */
static char *generated_matches_evaluator(const char *json, const double *p, size_t np)
{
    ivp_model *m = parse_ok(json);
    size_t n = ivp_model_dim(m), len = 0, k, r, c;
    char *src = ivp_model_emit_c(m, &len);
    ivp_plugin *pl = NULL;
    ivp_error err;
    ivp_ctx ctx;
    unsigned seed = 11;
    double *y = malloc(n * sizeof *y), *f = malloc(n * sizeof *f), *fr = malloc(n * sizeof *fr);
    double *J = calloc(n * n, sizeof *J), *Jr = calloc(n * n, sizeof *Jr);
    int rep;
    assert_non_null(src);
    assert_true(y != NULL && f != NULL && fr != NULL && J != NULL && Jr != NULL);
    if (ivp_plugin_load_source(src, len, "generated.c", NULL, &pl, &err) != IVP_OK) {
        fprintf(stderr, "%s\n%s\n", src, err.msg);
        fail();
    }
    memset(&ctx, 0, sizeof ctx);
    ctx.n = n;
    ctx.p = p;
    ctx.np = np;
    if (pl->init != NULL) {
        assert_int_equal(pl->init(&ctx), 0);
    }
    for (rep = 0; rep < 5; rep++) {
        for (k = 0; k < n; k++) {
            y[k] = urand(&seed, 0.5, 1.5);
        }
        eval_rhs(m, 0.3, y, p, fr);
        eval_jac(m, 0.3, y, p, Jr);
        assert_int_equal(pl->rhs(0.3, y, f, &ctx), 0);
        memset(J, 0, n * n * sizeof *J);
        if (pl->jac != NULL) {
            for (k = 0; k < n * n; k++) {
                J[k] = (double)NAN; /* every entry must be written */
            }
            assert_int_equal(pl->jac(0.3, y, J, &ctx), 0);
        } else {
            long nnz = pl->jac_sparsity(&ctx, NULL, NULL), q;
            size_t *rows = malloc((size_t)nnz * sizeof *rows),
                   *cols = malloc((size_t)nnz * sizeof *cols);
            double *v = malloc((size_t)nnz * sizeof *v);
            unsigned char *seen = calloc(n * n, 1);
            assert_true(nnz > 0 && rows != NULL && cols != NULL && v != NULL && seen != NULL);
            assert_int_equal(pl->jac_sparsity(&ctx, rows, cols), nnz);
            assert_int_equal(pl->jac_values(0.3, y, v, &ctx), 0);
            for (q = 0; q < nnz; q++) {
                assert_true(rows[q] < n && cols[q] < n);
                assert_int_equal(seen[rows[q] * n + cols[q]], 0); /* no repeated entry */
                seen[rows[q] * n + cols[q]] = 1;
                J[rows[q] * n + cols[q]] = v[q];
            }
            free(rows);
            free(cols);
            free(v);
            free(seen);
        }
        for (r = 0; r < n; r++) {
            if (!(fabs(f[r] - fr[r]) <= 1e-12 * fmax(1.0, fabs(fr[r])))) {
                fprintf(stderr, "%s\nrhs[%zu] = %.17g, evaluator %.17g\n", src, r, f[r], fr[r]);
                fail();
            }
            for (c = 0; c < n; c++) {
                double a = J[r * n + c], b = Jr[r * n + c];
                if (!(fabs(a - b) <= 1e-12 * fmax(1.0, fabs(b)))) {
                    fprintf(stderr, "%s\nJ[%zu][%zu] = %.17g, evaluator %.17g\n", src, r, c, a, b);
                    fail();
                }
            }
        }
    }
    if (pl->fini != NULL) {
        pl->fini(&ctx);
    }
    ivp_plugin_close(pl);
    free(y);
    free(f);
    free(fr);
    free(J);
    free(Jr);
    ivp_model_free(m);
    return src;
}

static size_t count_of(const char *hay, const char *needle)
{
    size_t k = 0;
    for (hay = strstr(hay, needle); hay != NULL; hay = strstr(hay + 1, needle)) {
        k++;
    }
    return k;
}

/* Rules of three arrays over the same components (1..N-2, overrides at both ends) become one
 * loop, a fourth array over all of 0..N-1 its own, a fifth over 1..N-2 but for an override
 * inside (e[5]) its own too; neighbours at different offsets (a[i-1],
 * b[i+1], c[i+2]), a scalar, constant references to other arrays (a[0] in c's rule) and the
 * shared u[i]^2*v[i]. No two terms share an entry, so jac_values stores in pattern order. */
static void fused_rules_store_in_pattern_order(void **state)
{
    static const char json[] =
        "{\"constants\": {\"N\": 30}, \"params\": [\"p\"], \"states\": [\"a[N]\", \"s\", "
        "\"b[N]\", \"c[N]\", \"d[N]\", \"e[N]\"],"
        " \"rhs\": {\"a[i]\": \"1 + a[i]^2*b[i] - 4*a[i] + p*(a[i-1] - 2*a[i] + a[i+1]) + s\","
        "  \"a[0]\": \"a[0]^2*b[0] + p*a[1]\", \"a[N-1]\": \"a[N-1]^2*b[N-1] - p*a[N-2]\","
        "  \"b[i]\": \"3*a[i] - a[i]^2*b[i] + p*(b[i-1] - 2*b[i] + b[i+1])^3\","
        "  \"b[0]\": \"-a[0]^2*b[0] + b[1]\", \"b[N-1]\": \"b[N-2] - a[N-1]^2*b[N-1]\","
        "  \"c[i]\": \"c[i]*a[i]^2*b[i] + a[0] - exp(-c[i-1]) + d[i+1]/(1 + c[i+1]^2)\","
        "  \"c[0]\": \"c[1] - c[0]\", \"c[N-1]\": \"c[N-2] + a[N-1]*p\","
        "  \"d[i]\": \"-d[i]*s + p*b[i]^2\","
        "  \"e[i]\": \"e[i-1] - e[i+1]*a[i]^2\", \"e[0]\": \"-e[0]\", \"e[5]\": \"e[4]*s\","
        "  \"e[N-1]\": \"e[N-2]\","
        "  \"s\": \"-s + a[0]*b[N-1]\"}}";
    const double p = 0.7;
    char *c, *rhs, *end;
    (void)state;
    c = generated_matches_evaluator(json, &p, 1);
    /* rhs: one loop for a, b, c (fused), one for d, one for e (whose override e[5] the loop
     * skips); the Jacobian the same, twice (pattern and values) */
    assert_int_equal(count_of(c, "for (long i = 1; i <= 28; i++)"), 6);
    assert_int_equal(count_of(c, "if (i == 5) {"), 3);
    assert_int_equal(count_of(c, "for (long i = 0; i <= 29; i++)"), 3);
    assert_non_null(strstr(c, "v[q++] = "));
    assert_null(strstr(c, "v[s[q++]]"));
    assert_null(strstr(c, "memset"));
    /* in the rhs, a[i]^2 is computed once per component in the fused loop (rules of a, b and
     * c), and once in e's loop */
    rhs = strstr(c, "int rhs(");
    assert_non_null(rhs);
    end = strstr(rhs, "\n}\n");
    assert_non_null(end);
    *end = '\0';
    assert_int_equal(count_of(rhs, "(y[i] * y[i])"), 2);
    free(c);
}

/* Terms that share an entry: c[0] in c's rule meets c[i] at i = 0, x[j] in a sum meets x[i]
 * (the value array is then zeroed and added into through the slot map); fused loops still. */
static void shared_entries_are_added(void **state)
{
    static const char json[] =
        "{\"constants\": {\"N\": 40}, \"params\": [\"p\"], \"states\": [\"a[N]\", \"c[N]\"],"
        " \"rhs\": {\"a[i]\": \"a[i]^2*c[i] + p*c[0]\","
        "  \"c[i]\": \"c[i]*c[0] - a[i]^2*c[i] + c[N-1]^2\"}}";
    static const char sums[] =
        "{\"constants\": {\"N\": 200}, \"states\": [\"x[N]\"],"
        " \"rhs\": {\"x[i]\": \"sum(j, 0, 3, x[j]*x[i]) - x[i]*sum(j, 2, 9, x[j]^2)\"}}";
    const double p = 1.3;
    char *c;
    (void)state;
    c = generated_matches_evaluator(json, &p, 1);
    assert_int_equal(count_of(c, "for (long i = 0; i <= 39; i++)"), 3);
    assert_non_null(strstr(c, "v[s[q++]] += "));
    free(c);
    c = generated_matches_evaluator(sums, NULL, 0);
    assert_non_null(strstr(c, "v[s[q++]] += "));
    /* the sum over fixed bounds is computed once, before the rule's loop */
    assert_non_null(strstr(c, "double t0 = 0.0;\n        for (long j = 2; j <= 9; j++) {"));
    free(c);
}

/* Dense jac: a small model of scalars is written whole (zeros too, no memset); with loops,
 * zeroed once, then stored, or added where two terms meet (u[0] in u's rule). */
static void dense_jacobians_match(void **state)
{
    static const char scalars[] =
        "{\"params\": [\"k1\", \"k2\"], \"states\": [\"x\", \"y\", \"z\"],"
        " \"rhs\": {\"x\": \"-k1*x + y*z\", \"y\": \"k1*x - k2*y^2\", \"z\": \"k2*y^2\"}}";
    static const char arrays[] =
        "{\"constants\": {\"N\": 6}, \"params\": [\"k1\", \"k2\"], \"states\": [\"u[N]\","
        " \"w[N]\"],"
        " \"rhs\": {\"u[i]\": \"k1*(u[i-1] - 2*u[i] + u[i+1]) + u[0]*u[i]\","
        "  \"u[0]\": \"u[1] - u[0]\", \"u[N-1]\": \"u[N-2]*w[0]\","
        "  \"w[i]\": \"-k2*w[i]*u[i]^2 + w[i-1]\", \"w[0]\": \"w[1]^3\","
        "  \"w[N-1]\": \"u[N-1]\"}}";
    const double p[2] = {0.4, 2.5};
    char *c;
    (void)state;
    c = generated_matches_evaluator(scalars, p, 2);
    assert_null(strstr(c, "memset"));
    assert_non_null(strstr(c, "J[(2) * IVP_M_N + (0)] = 0.0;"));
    free(c);
    c = generated_matches_evaluator(arrays, p, 2);
    assert_non_null(strstr(c, "memset"));
    assert_non_null(strstr(c, ")] += "));
    assert_int_equal(count_of(c, "for (long i = 1; i <= 4; i++)"), 2);
    free(c);
}

/* Numbers reach the C text exactly (%.17g), integers as doubles. */
static void numbers_are_printed_exactly(void **state)
{
    static const char json[] = "{\"states\": [\"x\"], \"rhs\": {\"x\": \"0.1*x + 3/2 + "
                               "1e-300*x + 123456789012345678*x\"}}";
    ivp_model *m = parse_ok(json);
    char *c = ivp_model_emit_c(m, NULL);
    (void)state;
    assert_non_null(strstr(c, "0.10000000000000001"));
    assert_non_null(strstr(c, "1.5"));
    assert_non_null(strstr(c, "(1e-300 * y[0])"));
    assert_non_null(strstr(c, "1.2345678901234568e+17"));
    free(c);
    ivp_model_free(m);
}

/* ---------------------------------------------------------------- bad models */

static const struct {
    const char *json;
    const char *want;
} bad[] = {
    {"{\"states\": [\"x\", \"v\"], \"params\": [\"mu\"], \"rhs\": {\"x\": \"v\", \"v\": "
     "\"mux*(1 - x^2)*v - x\"}}",
     "$.model.rhs.v:1:1: unknown name 'mux' (did you mean 'mu'?)"},
    {"{\"states\": [\"x\"], \"rhs\": {\"x\": \"sinn(x)\"}}",
     "$.model.rhs.x:1:1: unknown function 'sinn' (did you mean 'sin'?)"},
    {"{\"states\": [\"x\"], \"rhs\": {\"x\": \"atan2(x)\"}}",
     "$.model.rhs.x:1:1: 'atan2' takes 2 arguments, got 1"},
    {"{\"states\": [\"x\"], \"rhs\": {\"x\": \"sin(x, x)\"}}",
     "$.model.rhs.x:1:1: 'sin' takes 1 argument, got 2"},
    {"{\"states\": [\"x\"], \"rhs\": {\"x\": \"if(x, 1, 2)\"}}",
     "$.model.rhs.x:1:1: the first argument of if must be a condition"},
    {"{\"states\": [\"x\", \"y\"], \"rhs\": {\"x\": \"y\"}}",
     "$.model.rhs: no entry for the state 'y'"},
    {"{\"states\": [\"x\"], \"rhs\": {\"x\": \"1\", \"z\": \"2\"}}",
     "$.model.rhs.z: 'z' is not a declared state"},
    {"{\"states\": [\"u[3]\"], \"rhs\": {\"u[i]\": \"1\", \"u[1]\": \"2\", \"u[0+1]\": \"3\"}}",
     "$.model.rhs[\"u[0+1]\"]: a second entry for u[1]"},
    {"{\"states\": [\"u[3]\"], \"rhs\": {\"u[i]\": \"u[i+1]\"}}",
     "$.model.rhs[\"u[i]\"]:1:1: index i+1 is out of range for u[3] at i = 2"},
    {"{\"states\": [\"u[3]\"], \"rhs\": {\"u[i]\": \"u[3]\"}}",
     "$.model.rhs[\"u[i]\"]:1:1: index 3 is out of range for u[3] (0 to 2)"},
    {"{\"states\": [\"u[3]\"], \"rhs\": {\"u[i]\": \"1\", \"u[5]\": \"1\"}}",
     "$.model.rhs[\"u[5]\"]: index 5 is out of range for u[3]"},
    {"{\"states\": [\"u[2.5]\"], \"rhs\": {\"u[i]\": \"1\"}}",
     "$.model.states[0]: the size of array 'u' must be a whole number"},
    {"{\"states\": [\"u[0]\"], \"rhs\": {\"u[i]\": \"1\"}}",
     "$.model.states[0]: the size of array 'u' must be a whole number from 1"},
    {"{\"states\": [\"u[M]\"], \"rhs\": {\"u[i]\": \"1\"}}",
     "$.model.states[0]:1:1: unknown name 'M'"},
    {"{\"states\": [\"x\"], \"rhs\": {\"x\": \"x); system(\\\"rm -rf /\\\"\"}}",
     "$.model.rhs.x:1:2: unexpected ')' after a complete expression"},
    {"{\"states\": [\"x\"], \"rhs\": {\"x\": \"x; int a\"}}",
     "$.model.rhs.x:1:2: unexpected character ';'"},
    {"{\"states\": [\"x\"], \"rhs\": {\"x\": \"\\\"x\\\"\"}}",
     "$.model.rhs.x:1:1: unexpected character '\"'"},
    {"{\"states\": [\"x\"], \"rhs\": {\"x\": \"x /* c */\"}}",
     "$.model.rhs.x:1:4: expected a value, found '*'"},
    {"{\"states\": [\"x\"], \"rhs\": {\"x\": \"x = 1\"}}",
     "$.model.rhs.x:1:3: unexpected '=' (comparison is '==')"},
    {"{\"states\": [\"x\"], \"rhs\": {\"x\": \"x & 1\"}}",
     "$.model.rhs.x:1:3: unexpected '&' (logical operators are && and ||)"},
    {"{\"states\": [\"x\"], \"rhs\": {\"x\": \"\"}}", "$.model.rhs.x:1:1: empty expression"},
    {"{\"states\": [\"x\"], \"rhs\": {\"x\": \"(x + 1\"}}",
     "$.model.rhs.x:1:7: expected ')', found the end of the expression"},
    {"{\"states\": [\"x\"], \"rhs\": {\"x\": \"x > 1\"}}",
     "$.model.rhs.x:1:1: the expression is a condition, not a number"},
    {"{\"states\": [\"x\"], \"rhs\": {\"x\": \"1 < x < 2\"}}",
     "$.model.rhs.x:1:7: comparisons do not chain"},
    {"{\"states\": [\"x\"], \"rhs\": {\"x\": \"1e999\"}}",
     "$.model.rhs.x:1:1: number out of range"},
    {"{\"states\": [\"x\"], \"rhs\": {\"x\": \"2x\"}}", "$.model.rhs.x:1:2: malformed number"},
    {"{\"states\": [\"x\", \"x\"], \"rhs\": {\"x\": \"1\"}}",
     "$.model.states[1]: 'x' is declared twice"},
    {"{\"states\": [\"sin\"], \"rhs\": {\"sin\": \"1\"}}",
     "$.model.states[0]: 'sin' is a word of the expression language"},
    {"{\"states\": [\"x\"], \"params\": [\"x\"], \"rhs\": {\"x\": \"1\"}}",
     "$.model.states[0]: 'x' is declared twice"},
    {"{\"states\": [\"x\"], \"rhs\": {\"x\": \"i\"}}",
     "$.model.rhs.x:1:1: unknown name 'i' (the index i exists only in an array rule"},
    {"{\"states\": [\"u[4]\"], \"rhs\": {\"u[i]\": \"u\"}}",
     "$.model.rhs[\"u[i]\"]:1:1: 'u' is an array of 4: give an index, e.g. u[i]"},
    {"{\"states\": [\"u[4]\"], \"rhs\": {\"u[i]\": \"u[i/2]\"}}",
     "$.model.rhs[\"u[i]\"]:1:3: an index must be an integer expression"},
    {"{\"states\": [\"u[4]\"], \"rhs\": {\"u[i]\": \"u[2*i]\"}}",
     "$.model.rhs[\"u[i]\"]:1:3: an index must be k, i+k or j+k"},
    {"{\"states\": [\"u[4]\"], \"rhs\": {\"u[i]\": \"u[u[0]]\"}}",
     "$.model.rhs[\"u[i]\"]:1:3: an index must be an integer expression"},
    {"{\"states\": [\"u[4]\"], \"rhs\": {\"u[i]\": \"sum(j, 0, 4, u[j])\"}}",
     "$.model.rhs[\"u[i]\"]:1:14: index j is out of range for u[4] (it reaches component 4)"},
    {"{\"states\": [\"u[4]\"], \"rhs\": {\"u[i]\": \"sum(j, 0, 3, sum(k, 0, 3, u[k]))\"}}",
     "$.model.rhs[\"u[i]\"]:1:14: a sum inside a sum is not supported"},
    {"{\"states\": [\"u[4]\"], \"rhs\": {\"u[1]\": \"0\"}}",
     "$.model.rhs: no entry for u[0] (give a rule \"u[i]\" or an entry for every component)"},
    {"{\"states\": [\"u[4]\"], \"rhs\": {\"u\": \"0\"}}",
     "$.model.rhs.u: 'u' is an array of 4: give a rule"},
    {"{\"states\": [\"x\"], \"rhs\": {\"x[0]\": \"0\"}}",
     "$.model.rhs[\"x[0]\"]: 'x' is not an array"},
    {"{\"states\": [\"x\"], \"rhs\": {\"x\": \"x\"}, \"rsh\": {}}",
     "$.model.rsh: unknown key 'rsh' (did you mean 'rhs'?)"},
    {"{\"states\": [\"x\"]}", "$.model.rhs: required key missing"},
    {"{\"rhs\": {\"x\": \"x\"}}", "$.model.states: required key missing"},
    {"{\"states\": [\"x\"], \"rhs\": {\"x\": [1]}}",
     "$.model.rhs.x: must be an expression (a string) or a number, got an array"},
    {"{\"states\": [\"x\"], \"rhs\": {\"x\": \"x\"}, \"events\": {\"bad name\": \"x\"}}",
     "$.model.events[\"bad name\"]: 'bad name' is not a valid event name"},
    {"{\"states\": [\"x\"], \"constants\": {\"c\": \"1\"}, \"rhs\": {\"x\": \"c\"}}",
     "$.model.constants.c: must be a finite number, got a string"},
    {"{\"states\": [\"x\"], \"rhs\": {\"x\": \"x^\"}}",
     "$.model.rhs.x:1:3: expected a value, found the end of the expression"},
    {"{\"states\": [\"x\"], \"rhs\": {\"x\": \"sin\"}}",
     "$.model.rhs.x:1:1: 'sin' is a function: call it as sin(...)"},
};

static void bad_models_name_path_and_column(void **state)
{
    size_t k;
    (void)state;
    assert_true(sizeof bad / sizeof bad[0] >= 30);
    for (k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        ivp_error err;
        ivp_model *m = ivp_model_parse_text(bad[k].json, strlen(bad[k].json), "$.model", &err);
        if (m != NULL || err.status != IVP_ERR_SPEC || strstr(err.msg, bad[k].want) == NULL) {
            fprintf(stderr, "case %zu: %s\nwanted: %s\ngot:    %s\n", k, bad[k].json, bad[k].want,
                    m != NULL ? "(accepted)" : err.msg);
            ivp_model_free(m);
            fail();
        }
    }
}

/* Very long and very deeply nested expressions are errors, not stack overflows. */
static void long_and_deep_expressions_are_errors(void **state)
{
    size_t n = 100000, k;
    char *json = malloc(n * 4 + 200), *q;
    ivp_error err;
    ivp_model *m;
    (void)state;
    /* nested parentheses */
    q = json + sprintf(json, "{\"states\": [\"x\"], \"rhs\": {\"x\": \"");
    for (k = 0; k < 5000; k++) {
        *q++ = '(';
    }
    *q++ = 'x';
    for (k = 0; k < 5000; k++) {
        *q++ = ')';
    }
    strcpy(q, "\"}}");
    m = ivp_model_parse_text(json, strlen(json), "$.model", &err);
    assert_null(m);
    assert_non_null(strstr(err.msg, "$.model.rhs.x:1:"));
    assert_non_null(strstr(err.msg, "too deeply nested"));
    /* a chain of 2000 terms: the tree is too deep */
    q = json + sprintf(json, "{\"states\": [\"x\"], \"rhs\": {\"x\": \"x");
    for (k = 0; k < 2000; k++) {
        q += sprintf(q, "+x");
    }
    strcpy(q, "\"}}");
    m = ivp_model_parse_text(json, strlen(json), "$.model", &err);
    assert_null(m);
    assert_non_null(strstr(err.msg, "too deeply nested"));
    /* too long */
    q = json + sprintf(json, "{\"states\": [\"x\"], \"rhs\": {\"x\": \"");
    for (k = 0; k < 70000; k++) {
        *q++ = ' ';
    }
    strcpy(q, "x\"}}");
    m = ivp_model_parse_text(json, strlen(json), "$.model", &err);
    assert_null(m);
    assert_non_null(strstr(err.msg, "$.model.rhs.x:1:1: expression too long"));
    free(json);
}

/* A key of control characters is escaped into the path without overrunning (found by
 * fuzz_model: 60 characters escaped to 6 bytes each overran a 200-byte buffer). */
static void escaped_keys_fit_the_path(void **state)
{
    char json[1024], *q; /* 53 + 80 * 6 + 9 bytes */
    ivp_error err;
    ivp_model *m;
    size_t k;
    (void)state;
    q = json + sprintf(json, "{\"states\": [\"x\"], \"rhs\": {\"x\": \"x\"}, \"events\": {\"");
    for (k = 0; k < 80; k++) {
        q += sprintf(q, "\\u000e");
    }
    strcpy(q, "\": \"x\"}}");
    m = ivp_model_parse_text(json, strlen(json), "$.model", &err);
    assert_null(m);
    assert_non_null(strstr(err.msg, "$.model.events[\"\\u000e"));
    assert_non_null(strstr(err.msg, "...\"]: "));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(derivatives_match_differences),
        cmocka_unit_test(branch_points_take_the_branch),
        cmocka_unit_test(arrays_and_sums_match_differences),
        cmocka_unit_test(rule_offsets_give_tridiagonal_terms),
        cmocka_unit_test(fused_rules_store_in_pattern_order),
        cmocka_unit_test(shared_entries_are_added),
        cmocka_unit_test(dense_jacobians_match),
        cmocka_unit_test(numbers_are_printed_exactly),
        cmocka_unit_test(bad_models_name_path_and_column),
        cmocka_unit_test(long_and_deep_expressions_are_errors),
        cmocka_unit_test(escaped_keys_fit_the_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
