/* SPDX-License-Identifier: MIT
 * tests/core/test_solver.c - the reusable solver (ivp_solver_new/reset/run/step/free) and the
 * method registry.
 *
 * The central check: for every method of the registry and every Jacobian structure an
 * implicit method supports (finite differences, the system's dense jac, a band, a sparse
 * pattern with jac_values (KLU), a sparse pattern with finite differences), one solver reset
 * for a sequence of different solves (parameters, t_span in both directions, y0, tolerances,
 * first_step, max_step, t_eval, events terminal or not, dense output) gives BIT FOR BIT what
 * a fresh ivp_solve gives for each: every point, event, dense segment and counter; and the
 * resets and runs after the first allocate nothing (counting allocator).
 */
#include "support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ivp/solve.h"
#include "linalg/linalg_impl.h"

#define CHAIN_N 12
#define NMAX CHAIN_N

/* ---- systems: parameters through ctx->p ---- */

/* Van der Pol, mu = p[0]: stiff for large mu. Events: y0 = 0, y1 = 1. */
static int vdp_rhs(double t, const double *y, double *f, const ivp_ctx *ctx)
{
    const double mu = ctx->p[0];
    (void)t;
    f[0] = y[1];
    f[1] = mu * (1.0 - y[0] * y[0]) * y[1] - y[0];
    return 0;
}

static int vdp_jac(double t, const double *y, double *J, const ivp_ctx *ctx)
{
    const double mu = ctx->p[0];
    (void)t;
    J[0] = 0.0;
    J[1] = 1.0;
    J[2] = -2.0 * mu * y[0] * y[1] - 1.0;
    J[3] = mu * (1.0 - y[0] * y[0]);
    return 0;
}

static const size_t vdp_rows[4] = {0, 0, 1, 1}, vdp_cols[4] = {0, 1, 0, 1};

static int vdp_jac_values(double t, const double *y, double *v, const ivp_ctx *ctx)
{
    return vdp_jac(t, y, v, ctx); /* the pattern lists the row-major entries */
}

static int vdp_events(double t, const double *y, double *g, const ivp_ctx *ctx)
{
    (void)t;
    (void)ctx;
    g[0] = y[0];
    g[1] = y[1] - 1.0;
    return 0;
}

/* A reaction-diffusion chain: y_i' = p0 (y_(i-1) - 2 y_i + y_(i+1)) - p1 y_i^2, zero ends.
 * Event: the middle value crosses 0.3. */
static int chain_rhs(double t, const double *y, double *f, const ivp_ctx *ctx)
{
    const double k = ctx->p[0], r = ctx->p[1];
    size_t i;
    (void)t;
    for (i = 0; i < CHAIN_N; i++) {
        double left = i > 0 ? y[i - 1] : 0.0, right = i + 1 < CHAIN_N ? y[i + 1] : 0.0;
        f[i] = k * (left - 2.0 * y[i] + right) - r * y[i] * y[i];
    }
    return 0;
}

static int chain_jac(double t, const double *y, double *J, const ivp_ctx *ctx)
{
    const double k = ctx->p[0], r = ctx->p[1];
    size_t i;
    (void)t;
    memset(J, 0, CHAIN_N * CHAIN_N * sizeof *J);
    for (i = 0; i < CHAIN_N; i++) {
        J[i * CHAIN_N + i] = -2.0 * k - 2.0 * r * y[i];
        if (i > 0) {
            J[i * CHAIN_N + i - 1] = k;
        }
        if (i + 1 < CHAIN_N) {
            J[i * CHAIN_N + i + 1] = k;
        }
    }
    return 0;
}

static size_t chain_rows[3 * CHAIN_N], chain_cols[3 * CHAIN_N], chain_nnz;

static void chain_pattern(void)
{
    size_t i, k = 0;
    for (i = 0; i < CHAIN_N; i++) {
        if (i > 0) {
            chain_rows[k] = i;
            chain_cols[k++] = i - 1;
        }
        chain_rows[k] = i;
        chain_cols[k++] = i;
        if (i + 1 < CHAIN_N) {
            chain_rows[k] = i;
            chain_cols[k++] = i + 1;
        }
    }
    chain_nnz = k;
}

static int chain_jac_values(double t, const double *y, double *v, const ivp_ctx *ctx)
{
    const double k = ctx->p[0], r = ctx->p[1];
    size_t e;
    (void)t;
    for (e = 0; e < chain_nnz; e++) {
        size_t i = chain_rows[e], j = chain_cols[e];
        v[e] = i == j ? -2.0 * k - 2.0 * r * y[i] : k;
    }
    return 0;
}

static int chain_events(double t, const double *y, double *g, const ivp_ctx *ctx)
{
    (void)t;
    (void)ctx;
    g[0] = y[CHAIN_N / 2] - 0.3;
    return 0;
}

/* ---- problems: a system with a Jacobian structure, and a sequence of solves ---- */

enum { JAC_FD, JAC_DENSE, JAC_BAND, JAC_SPARSE_VALUES, JAC_SPARSE_FD, N_JAC };
static const char *const jac_names[N_JAC] = {"fd", "dense jac", "band", "sparse jac_values",
                                             "sparse fd"};

typedef struct member {
    double p[2];
    double t0, t1;
    double y0[NMAX];
    double rtol, atol, first_step, max_step;
    int t_eval;             /* 11 points from t0 to t1 */
    unsigned long terminal; /* of event 0 */
    int direction;          /* of event 0 */
} member;

#define N_MEMBERS 3

static void make_system(int chain, int jac, ivp_ctx *ctx, ivp_system *sys)
{
    memset(sys, 0, sizeof *sys);
    memset(ctx, 0, sizeof *ctx);
    sys->n = chain ? CHAIN_N : 2;
    sys->rhs = chain ? chain_rhs : vdp_rhs;
    sys->events = chain ? chain_events : vdp_events;
    sys->n_events = chain ? 1 : 2;
    sys->lband = sys->uband = -1;
    ctx->n = sys->n;
    ctx->np = chain ? 2 : 1;
    sys->ctx = ctx;
    switch (jac) {
    case JAC_DENSE:
        sys->jac = chain ? chain_jac : vdp_jac;
        break;
    case JAC_BAND:
        sys->lband = sys->uband = 1;
        break;
    case JAC_SPARSE_VALUES:
    case JAC_SPARSE_FD:
        sys->sp_rows = chain ? chain_rows : vdp_rows;
        sys->sp_cols = chain ? chain_cols : vdp_cols;
        sys->sp_nnz = chain ? chain_nnz : 4;
        if (jac == JAC_SPARSE_VALUES) {
            sys->jac_values = chain ? chain_jac_values : vdp_jac_values;
        }
        break;
    default:
        break;
    }
}

static void make_members(int chain, member *m)
{
    size_t i;
    memset(m, 0, N_MEMBERS * sizeof *m);
    if (!chain) {
        /* mild, forward, t_eval, nothing terminal */
        m[0] = (member){{1.0, 0.0}, 0.0, 6.0, {2.0, 0.0}, 1e-6, 1e-8, 0.0, HUGE_VAL, 1, 0, 0};
        /* stiff, first_step and max_step, terminal at the third zero of y0 */
        m[1] = (member){{10.0, 0.0}, 0.0, 40.0, {1.5, 0.5}, 1e-4, 1e-7, 1e-3, 5.0, 0, 3, 0};
        /* backward from inside the limit cycle (spiralling into the origin), t_eval */
        m[2] = (member){{2.0, 0.0}, 3.0, 0.0, {0.5, 0.2}, 1e-5, 1e-8, 0.0, 0.7, 1, 0, 0};
        return;
    }
    m[0] = (member){{50.0, 1.0}, 0.0, 1.0, {0.0}, 1e-6, 1e-9, 0.0, HUGE_VAL, 1, 0, 0};
    m[1] = (member){{400.0, 5.0}, 0.0, 0.5, {0.0}, 1e-4, 1e-7, 1e-4, 0.1, 0, 1, -1};
    m[2] = (member){{20.0, 0.5}, 0.2, 2.0, {0.0}, 1e-3, 1e-6, 0.0, HUGE_VAL, 1, 0, 0};
    for (i = 0; i < CHAIN_N; i++) {
        double x = (double)(i + 1) / (double)(CHAIN_N + 1);
        m[0].y0[i] = sin(3.14159265358979323846 * x);
        m[1].y0[i] = 1.0;
        m[2].y0[i] = 4.0 * x * (1.0 - x);
    }
}

/* The options of member mb (t_eval and events in the caller's storage). */
static void member_options(const member *mb, const char *method, const ivp_allocator *a,
                           double *t_eval, ivp_event_opts *ev, ivp_options *o)
{
    size_t i;
    ivp_options_init(o);
    o->method = method;
    o->rtol = mb->rtol;
    o->atol = mb->atol;
    o->first_step = mb->first_step;
    o->max_step = mb->max_step;
    o->dense_output = 1;
    o->alloc = a;
    ev[0].terminal = mb->terminal;
    ev[0].direction = mb->direction;
    ev[1].terminal = 0;
    ev[1].direction = 0;
    o->events = ev;
    if (mb->t_eval) {
        for (i = 0; i < 11; i++) {
            t_eval[i] = mb->t0 + (mb->t1 - mb->t0) * (double)i / 10.0;
        }
        t_eval[10] = mb->t1;
        o->t_eval = t_eval;
        o->n_t_eval = 11;
    }
}

/* ---- a sink recording everything, outside the counting allocator ---- */

typedef struct rec {
    size_t n, deg;
    double *v;
    size_t len, cap;
} rec;

static void rec_put(rec *r, double x)
{
    if (r->len == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 1024;
        r->v = realloc(r->v, r->cap * sizeof *r->v);
        assert_non_null(r->v);
    }
    r->v[r->len++] = x;
}

static int rec_point(void *ud, double t, const double *y)
{
    rec *r = ud;
    size_t i;
    rec_put(r, 1.0);
    rec_put(r, t);
    for (i = 0; i < r->n; i++) {
        rec_put(r, y[i]);
    }
    return 0;
}

static int rec_event(void *ud, size_t k, double t, const double *y)
{
    rec *r = ud;
    size_t i;
    rec_put(r, 2.0);
    rec_put(r, (double)k);
    rec_put(r, t);
    for (i = 0; i < r->n; i++) {
        rec_put(r, y[i]);
    }
    return 0;
}

static int rec_segment(void *ud, double t_lo, double t_hi, const double *c)
{
    rec *r = ud;
    size_t i;
    rec_put(r, 3.0);
    rec_put(r, t_lo);
    rec_put(r, t_hi);
    for (i = 0; i < (r->deg + 1) * r->n; i++) {
        rec_put(r, c[i]);
    }
    return 0;
}

static ivp_sink rec_sink(rec *r)
{
    ivp_sink s = {rec_point, rec_event, rec_segment, r};
    return s;
}

/* Bit for bit: the same outputs, the same status, counters and statistics. */
static void expect_same(const rec *a, const ivp_result *ra, const rec *b, const ivp_result *rb,
                        const char *what)
{
    size_t k;
    if (a->len != b->len || memcmp(a->v, b->v, a->len * sizeof *a->v) != 0) {
        size_t i = 0;
        while (i < a->len && i < b->len && memcmp(&a->v[i], &b->v[i], sizeof a->v[i]) == 0) {
            i++;
        }
        fail_msg("%s: outputs differ (%zu and %zu values, first difference at %zu)", what, a->len,
                 b->len, i);
    }
    if (ra->status != rb->status || ra->t != rb->t || ra->nfev != rb->nfev ||
        ra->njev != rb->njev || ra->nlu != rb->nlu || ra->n_steps != rb->n_steps ||
        ra->n_rejected != rb->n_rejected || ra->n_points != rb->n_points ||
        ra->n_segments != rb->n_segments || ra->n_events_found != rb->n_events_found ||
        ra->n_stats != rb->n_stats || strcmp(ra->message, rb->message) != 0) {
        fail_msg("%s: results differ: status %d/%d, nfev %lu/%lu, njev %lu/%lu, nlu %lu/%lu, "
                 "steps %lu/%lu, rejected %lu/%lu",
                 what, ra->status, rb->status, ra->nfev, rb->nfev, ra->njev, rb->njev, ra->nlu,
                 rb->nlu, ra->n_steps, rb->n_steps, ra->n_rejected, rb->n_rejected);
    }
    for (k = 0; k < ra->n_stats; k++) {
        assert_string_equal(ra->stats[k].name, rb->stats[k].name);
        assert_int_equal(ra->stats[k].value, rb->stats[k].value);
    }
}

/* What the sink saw agrees with the counters in the result. */
static void expect_counts(const rec *r, const ivp_result *res)
{
    size_t i = 0, points = 0, events = 0, segments = 0;
    while (i < r->len) {
        if (r->v[i] == 1.0) {
            points++;
            i += 2 + r->n;
        } else if (r->v[i] == 2.0) {
            events++;
            i += 3 + r->n;
        } else {
            segments++;
            i += 3 + (r->deg + 1) * r->n;
        }
    }
    assert_int_equal(res->n_points, points);
    assert_int_equal(res->n_events_found, events);
    assert_int_equal(res->n_segments, segments);
}

/* ---- reset gives what a fresh solve gives, and allocates nothing ---- */

static void check_reset_case(const ivp_method_info *mi, int chain, int jac)
{
    ivp_ctx ctx;
    ivp_system sys;
    member mb[N_MEMBERS];
    rec fresh[N_MEMBERS], again;
    ivp_result res_fresh[N_MEMBERS], res;
    ivp_test_alloc ta;
    ivp_solver *solver;
    ivp_error err;
    double t_eval[11];
    ivp_event_opts ev[2];
    ivp_options o;
    ivp_sink sink;
    long warm_alloc = -1, warm_live = -1;
    char what[160];
    /* members in this order on one solver: each kind of state left behind by another */
    static const int order[] = {0, 1, 2, 0, 2, 1, 1, 0};
    size_t k;

    make_system(chain, jac, &ctx, &sys);
    make_members(chain, mb);
    for (k = 0; k < N_MEMBERS; k++) {
        memset(&fresh[k], 0, sizeof fresh[k]);
        fresh[k].n = sys.n;
        fresh[k].deg = mi->dense_degree;
        ctx.p = mb[k].p;
        member_options(&mb[k], mi->name, NULL, t_eval, ev, &o);
        sink = rec_sink(&fresh[k]);
        ivp_solve(&sys, mb[k].t0, mb[k].t1, mb[k].y0, &o, &sink, &res_fresh[k], &err);
        snprintf(what, sizeof what, "%s, %s, %s, member %zu", mi->name, chain ? "chain" : "vdp",
                 jac_names[jac], k);
        if (res_fresh[k].status < 0) {
            fail_msg("%s: the fresh solve failed: %s", what, res_fresh[k].message);
        }
        expect_counts(&fresh[k], &res_fresh[k]);
    }
    /* the members exercise what they should */
    assert_int_equal(res_fresh[1].status, 1);
    assert_true(res_fresh[0].n_events_found > 0);

    ivp_test_alloc_init(&ta, -1);
    member_options(&mb[0], mi->name, &ta.a, t_eval, ev, &o);
    solver = ivp_solver_new(&sys, &o, &err);
    if (solver == NULL) {
        fail_msg("ivp_solver_new: %s", err.msg);
    }
    memset(&again, 0, sizeof again);
    again.n = sys.n;
    again.deg = mi->dense_degree;
    for (k = 0; k < sizeof order / sizeof order[0]; k++) {
        const member *m = &mb[order[k]];
        ctx.p = m->p;
        member_options(m, mi->name, &ta.a, t_eval, ev, &o);
        again.len = 0;
        sink = rec_sink(&again);
        if (ivp_solver_reset(solver, m->t0, m->t1, m->y0, &o, &err) != IVP_OK) {
            fail_msg("ivp_solver_reset: %s", err.msg);
        }
        ivp_solver_run(solver, &sink, &res, &err);
        snprintf(what, sizeof what, "%s, %s, %s, solve %zu (member %d) on a reused solver",
                 mi->name, chain ? "chain" : "vdp", jac_names[jac], k, order[k]);
        expect_same(&fresh[order[k]], &res_fresh[order[k]], &again, &res, what);
        if (k == 0) {
            warm_alloc = ta.n_alloc;
            warm_live = ta.n_live;
        } else if (ta.n_alloc != warm_alloc || ta.n_live != warm_live) {
            fail_msg("%s: %ld allocations (%ld live) after the first solve, %ld (%ld) now", what,
                     warm_alloc, warm_live, ta.n_alloc, ta.n_live);
        }
    }
    ivp_solver_free(solver);
    assert_int_equal(ta.n_live, 0);
    for (k = 0; k < N_MEMBERS; k++) {
        free(fresh[k].v);
    }
    free(again.v);
}

static void reset_equals_fresh(void **state)
{
    size_t count, m;
    const ivp_method_info *methods = ivp_methods(&count);
    int chain, jac;
    (void)state;
    for (m = 0; m < count; m++) {
        for (chain = 0; chain < 2; chain++) {
            for (jac = 0; jac < N_JAC; jac++) {
                if (jac > JAC_FD && !(methods[m].flags & IVP_METHOD_IMPLICIT)) {
                    break; /* explicit methods ignore the Jacobian */
                }
                check_reset_case(&methods[m], chain, jac);
            }
        }
    }
}

/* ---- stepping ---- */

/* Stepping one step at a time visits the points of a run without t_eval, and the interpolant
 * of each step is the run's segment. */
static void step_matches_run(void **state)
{
    size_t count, m;
    const ivp_method_info *methods = ivp_methods(&count);
    (void)state;
    for (m = 0; m < count; m++) {
        ivp_ctx ctx;
        ivp_system sys;
        member mb[N_MEMBERS];
        rec r;
        ivp_result res, res_step;
        ivp_solver *solver;
        ivp_error err;
        ivp_options o;
        ivp_sink sink;
        double c[(12 + 1) * 2], y_mid[2], t_eval[11];
        ivp_event_opts ev[2];
        size_t pos = 0, i;
        unsigned long steps = 0;
        const member *mbr;

        make_system(0, JAC_FD, &ctx, &sys);
        sys.n_events = 0;
        sys.events = NULL;
        make_members(0, mb);
        mbr = &mb[2]; /* backward */
        ctx.p = mbr->p;
        member_options(mbr, methods[m].name, NULL, t_eval, ev, &o);
        o.t_eval = NULL;
        o.n_t_eval = 0;
        o.events = NULL;
        memset(&r, 0, sizeof r);
        r.n = 2;
        r.deg = methods[m].dense_degree;
        sink = rec_sink(&r);
        assert_int_equal(ivp_solve(&sys, mbr->t0, mbr->t1, mbr->y0, &o, &sink, &res, &err), IVP_OK);

        solver = ivp_solver_new(&sys, &o, &err);
        assert_non_null(solver);
        assert_ptr_equal(ivp_solver_method(solver), &methods[m]);
        /* neither step nor run before a reset */
        assert_int_equal(ivp_solver_step(solver, &err), IVP_ERR_ARG);
        assert_int_equal(ivp_solver_reset(solver, mbr->t0, mbr->t1, mbr->y0, NULL, &err), IVP_OK);
        assert_true(ivp_solver_t(solver) == mbr->t0);
        assert_int_equal(ivp_solver_segment(solver, c, &err), IVP_ERR_ARG);
        /* the run's record: point t0, then per step a point and a segment */
        assert_true(r.v[pos] == 1.0 && r.v[pos + 1] == mbr->t0);
        pos += 2 + r.n;
        while (!ivp_solver_finished(solver)) {
            const double *y;
            double t_old, t;
            assert_int_equal(ivp_solver_step(solver, &err), IVP_OK);
            steps++;
            t = ivp_solver_t(solver);
            t_old = ivp_solver_t_old(solver);
            y = ivp_solver_y(solver);
            assert_true(r.v[pos] == 1.0);
            assert_memory_equal(&r.v[pos + 1], &t, sizeof t);
            assert_memory_equal(&r.v[pos + 2], y, r.n * sizeof *y);
            pos += 2 + r.n;
            assert_int_equal(ivp_solver_segment(solver, c, &err), IVP_OK);
            assert_true(r.v[pos] == 3.0 && r.v[pos + 1] == t_old && r.v[pos + 2] == t);
            assert_memory_equal(&r.v[pos + 3], c, (r.deg + 1) * r.n * sizeof *c);
            pos += 3 + (r.deg + 1) * r.n;
            /* the interpolant at the step's middle: the segment's polynomial there */
            assert_int_equal(ivp_solver_eval(solver, 0.5 * (t_old + t), y_mid, &err), IVP_OK);
            for (i = 0; i < r.n; i++) {
                double x = 0.5 * (t - t_old), p = 0.0;
                unsigned k;
                for (k = 0; k <= r.deg; k++) {
                    p = p * x + c[k * r.n + i];
                }
                ivp_assert_close(y_mid[i], p, 1e-12, 1e-12);
            }
        }
        assert_int_equal(pos, r.len);
        ivp_solver_result(solver, &res_step);
        assert_int_equal(res_step.n_steps, res.n_steps);
        assert_int_equal(steps, res.n_steps);
        assert_int_equal(res_step.nfev, res.nfev);
        assert_int_equal(res_step.njev, res.njev);
        assert_int_equal(res_step.nlu, res.nlu);
        /* a finished solve neither steps nor runs again until a reset */
        assert_int_equal(ivp_solver_step(solver, &err), IVP_ERR_ARG);
        assert_non_null(strstr(err.msg, "reset"));
        assert_int_equal(ivp_solver_run(solver, NULL, &res_step, &err), IVP_ERR_ARG);
        assert_int_equal(res_step.status, -1);
        /* ... and run refuses a solver that was stepped */
        assert_int_equal(ivp_solver_reset(solver, mbr->t0, mbr->t1, mbr->y0, NULL, &err), IVP_OK);
        assert_int_equal(ivp_solver_step(solver, &err), IVP_OK);
        assert_int_equal(ivp_solver_run(solver, NULL, &res_step, &err), IVP_ERR_ARG);
        ivp_solver_free(solver);
        free(r.v);
    }
}

/* ---- argument errors ---- */

static void reset_rejects_what_needs_a_new_solver(void **state)
{
    ivp_ctx ctx;
    ivp_system sys;
    member mb[N_MEMBERS];
    ivp_options o, o2;
    ivp_result res;
    ivp_error err;
    ivp_solver *solver;
    ivp_test_alloc ta;
    double t_eval[11];
    ivp_event_opts ev[2];
    (void)state;

    make_system(0, JAC_FD, &ctx, &sys);
    make_members(0, mb);
    ctx.p = mb[0].p;
    member_options(&mb[0], "bdf", NULL, t_eval, ev, &o);
    assert_null(ivp_solver_new(NULL, &o, &err));
    assert_int_equal(err.status, IVP_ERR_ARG);
    o2 = o;
    o2.method = "Euler";
    assert_null(ivp_solver_new(&sys, &o2, &err));
    assert_non_null(strstr(err.msg, "unknown method 'Euler' (valid: RK23, RK45, DOP853, Radau, "
                                    "BDF, LSODA)"));

    solver = ivp_solver_new(&sys, &o, &err);
    assert_non_null(solver);
    assert_string_equal(ivp_solver_method(solver)->name, "BDF");
    o2 = o;
    o2.method = "Radau";
    assert_int_equal(ivp_solver_reset(solver, 0.0, 6.0, mb[0].y0, &o2, &err), IVP_ERR_ARG);
    assert_non_null(strstr(err.msg, "made for method BDF"));
    ivp_test_alloc_init(&ta, -1);
    o2 = o;
    o2.alloc = &ta.a;
    assert_int_equal(ivp_solver_reset(solver, 0.0, 6.0, mb[0].y0, &o2, &err), IVP_ERR_ARG);
    assert_non_null(strstr(err.msg, "allocator"));
    /* the options are checked as ivp_solve checks them; a failed reset leaves nothing to run */
    o2 = o;
    o2.rtol = -1.0;
    assert_int_equal(ivp_solver_reset(solver, 0.0, 6.0, mb[0].y0, &o2, &err), IVP_ERR_ARG);
    assert_non_null(strstr(err.msg, "rtol"));
    assert_int_equal(ivp_solver_run(solver, NULL, &res, &err), IVP_ERR_ARG);
    assert_int_equal(ivp_solver_step(solver, &err), IVP_ERR_ARG);
    /* t_eval of the stored options outside a new span */
    assert_int_equal(ivp_solver_reset(solver, 0.0, 1.0, mb[0].y0, NULL, &err), IVP_ERR_ARG);
    assert_non_null(strstr(err.msg, "t_eval"));
    /* a reset without options keeps the last ones: its run equals ivp_solve's */
    assert_int_equal(ivp_solver_reset(solver, 0.0, 6.0, mb[0].y0, NULL, &err), IVP_OK);
    assert_int_equal(ivp_solver_run(solver, NULL, &res, &err), IVP_OK);
    {
        ivp_result ref;
        ivp_solve(&sys, 0.0, 6.0, mb[0].y0, &o, NULL, &ref, &err);
        assert_int_equal(ref.n_steps, res.n_steps);
        assert_int_equal(ref.nfev, res.nfev);
        assert_true(ref.t == res.t);
    }
    ivp_solver_free(solver);
    ivp_solver_free(NULL);
}

/* ---- the registry ---- */

static void registry_is_the_one_table(void **state)
{
    size_t count, k, j;
    const ivp_method_info *m = ivp_methods(&count);
    const char *const *names = ivp_method_names();
    static const char *const expect[] = {"RK23", "RK45", "DOP853", "Radau", "BDF", "LSODA"};
    static const unsigned deg[] = {3, 4, 7, 3, 5, 12};
    (void)state;
    assert_int_equal(count, 6);
    assert_ptr_equal(ivp_methods(NULL), m);
    for (k = 0; k < count; k++) {
        char lower[16];
        assert_string_equal(m[k].name, expect[k]);
        assert_string_equal(names[k], m[k].name);
        assert_int_equal(m[k].dense_degree, deg[k]);
        assert_int_equal(ivp_method_dense_degree(m[k].name), m[k].dense_degree);
        assert_int_equal((m[k].flags & IVP_METHOD_IMPLICIT) != 0, k >= 3);
        assert_int_equal(ivp_method_is_implicit(m[k].name), k >= 3);
        assert_true(m[k].help != NULL && strlen(m[k].help) > 20 && strchr(m[k].help, '\n') == NULL);
        assert_non_null(m[k].impl);
        for (j = 0; m[k].name[j] != '\0'; j++) {
            lower[j] = (char)(m[k].name[j] | 0x20);
        }
        lower[j] = '\0';
        assert_ptr_equal(ivp_method_info_find(lower), &m[k]);
        assert_ptr_equal(ivp_method_canonical(lower), m[k].name);
    }
    assert_null(names[count]);
    assert_null(ivp_method_info_find("RK4"));
    assert_null(ivp_method_info_find(NULL));
    /* only LSODA reports statistics of its own */
    for (k = 0; k < 5; k++) {
        assert_true(m[k].stats == NULL || m[k].stats[0] == NULL);
    }
    assert_string_equal(m[5].stats[0], "n_steps_adams");
    assert_string_equal(m[5].stats[1], "n_steps_bdf");
    assert_string_equal(m[5].stats[2], "n_switches");
    assert_null(m[5].stats[3]);
}

/* The statistics reach ivp_result: names from the registry, values from the method; the
 * deprecated LSODA fields agree; other methods report none. */
static void results_carry_method_statistics(void **state)
{
    size_t count, k;
    const ivp_method_info *m = ivp_methods(&count);
    (void)state;
    for (k = 0; k < count; k++) {
        ivp_ctx ctx;
        ivp_system sys;
        member mb[N_MEMBERS];
        ivp_options o;
        ivp_result res;
        ivp_error err;
        double t_eval[11];
        ivp_event_opts ev[2];
        make_system(0, JAC_FD, &ctx, &sys);
        make_members(0, mb);
        ctx.p = mb[1].p; /* stiff: LSODA switches */
        member_options(&mb[1], m[k].name, NULL, t_eval, ev, &o);
        assert_true(ivp_solve(&sys, mb[1].t0, mb[1].t1, mb[1].y0, &o, NULL, &res, &err) >= 0);
        if (k < 5) {
            assert_int_equal(res.n_stats, 0);
            assert_int_equal(res.n_steps_adams + res.n_steps_bdf + res.n_switches, 0);
            continue;
        }
        assert_int_equal(res.n_stats, 3);
        assert_string_equal(res.stats[0].name, "n_steps_adams");
        assert_int_equal(res.stats[0].value, res.n_steps_adams);
        assert_int_equal(res.stats[1].value, res.n_steps_bdf);
        assert_int_equal(res.stats[2].value, res.n_switches);
        assert_int_equal(ivp_result_stat(&res, "n_switches"), res.n_switches);
        assert_int_equal(ivp_result_stat(&res, "nope"), 0);
        assert_int_equal(res.n_steps_adams + res.n_steps_bdf, res.n_steps);
        assert_true(res.n_switches >= 1);
        /* reported (as 0) also when the solve fails before its first step */
        o.rtol = -1.0;
        assert_int_equal(ivp_solve(&sys, mb[1].t0, mb[1].t1, mb[1].y0, &o, NULL, &res, &err),
                         IVP_ERR_ARG);
        assert_int_equal(res.n_stats, 3);
        assert_int_equal(res.stats[2].value, 0);
    }
}

/* ---- the linear solver's reset ---- */

/* KLU reuses the pivot order of its first factorisation; after ivp_linsolver_reset the next
 * factorisation pivots afresh, as a new solver's first one does, so a solve after a reset
 * rounds as a fresh solve. A = [[1e-3, 1], [1, 1]] pivots off the diagonal in column 0;
 * B = [[1.1, 0.37], [0.73, 0.91]] keeps the diagonal when pivoted afresh. */
static void linsolver_reset_forgets_klu_pivots(void **state)
{
    static const size_t rows[4] = {0, 1, 0, 1}, cols[4] = {0, 0, 1, 1};
    ivp_matrix a, b;
    ivp_linsolver *fresh, *reused, *stale;
    ivp_error err;
    double x_fresh[2] = {0.3, 0.7}, x_reused[2] = {0.3, 0.7}, x_stale[2] = {0.3, 0.7};
    size_t k;
    (void)state;
    assert_int_equal(ivp_matrix_init_sparse(&a, 2, rows, cols, 4, NULL, &err), IVP_OK);
    assert_int_equal(ivp_matrix_init_sparse(&b, 2, rows, cols, 4, NULL, &err), IVP_OK);
    a.v[ivp_matrix_index(&a, 0, 0)] = 1e-3;
    a.v[ivp_matrix_index(&a, 1, 0)] = 1.0;
    a.v[ivp_matrix_index(&a, 0, 1)] = 1.0;
    a.v[ivp_matrix_index(&a, 1, 1)] = 1.0;
    b.v[ivp_matrix_index(&b, 0, 0)] = 1.1;
    b.v[ivp_matrix_index(&b, 1, 0)] = 0.73;
    b.v[ivp_matrix_index(&b, 0, 1)] = 0.37;
    b.v[ivp_matrix_index(&b, 1, 1)] = 0.91;
    assert_int_equal(ivp_linsolver_new_with(&ivp_linsolver_sparse_klu, &a, 0, NULL, &fresh, &err),
                     IVP_OK);
    assert_int_equal(ivp_linsolver_new_with(&ivp_linsolver_sparse_klu, &a, 0, NULL, &reused, &err),
                     IVP_OK);
    assert_int_equal(ivp_linsolver_new_with(&ivp_linsolver_sparse_klu, &a, 0, NULL, &stale, &err),
                     IVP_OK);
    assert_int_equal(ivp_linsolver_factor(fresh, 0.0, 1.0, &b, &err), IVP_OK);
    assert_int_equal(ivp_linsolver_factor(reused, 0.0, 1.0, &a, &err), IVP_OK);
    assert_int_equal(ivp_linsolver_factor(stale, 0.0, 1.0, &a, &err), IVP_OK);
    ivp_linsolver_reset(reused);
    ivp_linsolver_solve(reused, x_reused); /* nothing factored after a reset: NaN */
    assert_true(isnan(x_reused[0]) && isnan(x_reused[1]));
    x_reused[0] = 0.3;
    x_reused[1] = 0.7;
    assert_int_equal(ivp_linsolver_factor(reused, 0.0, 1.0, &b, &err), IVP_OK);
    assert_int_equal(ivp_linsolver_factor(stale, 0.0, 1.0, &b, &err), IVP_OK);
    ivp_linsolver_solve(fresh, x_fresh);
    ivp_linsolver_solve(reused, x_reused);
    ivp_linsolver_solve(stale, x_stale);
    assert_memory_equal(x_fresh, x_reused, sizeof x_fresh);
    /* without the reset the old pivots give another rounding (the test has teeth) */
    assert_memory_not_equal(x_fresh, x_stale, sizeof x_fresh);
    for (k = 0; k < 2; k++) {
        ivp_assert_close(x_stale[k], x_fresh[k], 1e-14, 0.0);
    }
    ivp_linsolver_free(fresh);
    ivp_linsolver_free(reused);
    ivp_linsolver_free(stale);
    ivp_matrix_free(&a, NULL);
    ivp_matrix_free(&b, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(registry_is_the_one_table),
        cmocka_unit_test(results_carry_method_statistics),
        cmocka_unit_test(reset_rejects_what_needs_a_new_solver),
        cmocka_unit_test(step_matches_run),
        cmocka_unit_test(linsolver_reset_forgets_klu_pivots),
        cmocka_unit_test(reset_equals_fresh),
    };
    chain_pattern();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
