/* SPDX-License-Identifier: MIT
 * tests/ensemble/test_ensemble_lib.c - the ensemble engine in-process (ivp/ensemble.h), with
 * results in memory and no file: every member is bit for bit what ivp_solve gives for it
 * (t, y, events, dense segments, counters, status), whatever the number of workers, and once
 * the workers' solvers and the window's buffers are warm nothing is allocated per member.
 */
#define _POSIX_C_SOURCE 200809L

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support.h"

#include "ivp/ensemble.h"
#include "ivp/memsink.h"
#include "ivp/solve.h"

/* A damped oscillator y0' = y1, y1' = -w^2 y0 - c y1 (params w, c), event y0 = 0. */
static int osc_rhs(double t, const double *y, double *f, const ivp_ctx *ctx)
{
    (void)t;
    f[0] = y[1];
    f[1] = -ctx->p[0] * ctx->p[0] * y[0] - ctx->p[1] * y[1];
    return 0;
}

static int osc_jac(double t, const double *y, double *J, const ivp_ctx *ctx)
{
    (void)t;
    (void)y;
    J[0] = 0;
    J[1] = 1;
    J[2] = -ctx->p[0] * ctx->p[0];
    J[3] = -ctx->p[1];
    return 0;
}

static int osc_events(double t, const double *y, double *g, const ivp_ctx *ctx)
{
    (void)t;
    (void)ctx;
    g[0] = y[0];
    return 0;
}

/* Member k: w = 0.5 + 0.125 k, c = 0.02 k, y0 = (1, 0.01 k), t_end = 6 + (k % 3). */
typedef struct lib_member {
    double y0[2];
    double p[2];
    double t_end;
} lib_member;

static void member_values(size_t k, lib_member *m)
{
    m->p[0] = 0.5 + 0.125 * (double)k;
    m->p[1] = 0.02 * (double)k;
    m->y0[0] = 1;
    m->y0[1] = 0.01 * (double)k;
    m->t_end = 6 + (double)(k % 3);
}

/* ---- a thread-safe counting allocator: the support one behind a mutex ---- */

typedef struct locked_alloc {
    ivp_allocator a;
    ivp_test_alloc inner;
    pthread_mutex_t lock;
} locked_alloc;

static void *locked_alloc_fn(void *ud, size_t size)
{
    locked_alloc *l = ud;
    void *p;
    pthread_mutex_lock(&l->lock);
    p = l->inner.a.alloc(l->inner.a.ud, size);
    pthread_mutex_unlock(&l->lock);
    return p;
}

static void locked_free_fn(void *ud, void *ptr)
{
    locked_alloc *l = ud;
    pthread_mutex_lock(&l->lock);
    l->inner.a.free(l->inner.a.ud, ptr);
    pthread_mutex_unlock(&l->lock);
}

static void locked_init(locked_alloc *l)
{
    ivp_test_alloc_init(&l->inner, -1);
    pthread_mutex_init(&l->lock, NULL);
    l->a.alloc = locked_alloc_fn;
    l->a.free = locked_free_fn;
    l->a.ud = l;
}

/* ---- the ensemble's callbacks ---- */

typedef struct lib_run {
    const double *t_eval; /* every member's (NULL: every step) */
    size_t n_t_eval;
    int vary_t_end;
    lib_member *members; /* K, filled before the run (member callbacks only read) */
    /* what the output callback saw */
    size_t n_out;
    size_t next_k;
    int out_of_order;
    ivp_memsink *copies; /* NULL: keep nothing */
    ivp_result *results;
    long *alloc_at; /* allocations counted when member k was output (NULL: not counted) */
    locked_alloc *la;
} lib_run;

static ivp_status lib_member_fn(void *ud, size_t k, ivp_ensemble_job *job, ivp_error *err)
{
    const lib_run *r = ud;
    const lib_member *m = &r->members[k];
    (void)err;
    job->t0 = 0;
    job->t_end = r->vary_t_end ? m->t_end : 6;
    job->y0 = m->y0;
    job->params[0] = m->p[0];
    job->params[1] = m->p[1];
    job->opt.t_eval = r->t_eval;
    job->opt.n_t_eval = r->n_t_eval;
    return IVP_OK;
}

static void copy_sink(ivp_memsink *dst, const ivp_memsink *src)
{
    ivp_sink s = ivp_memsink_sink(dst);
    size_t i, n = src->n, per = (src->deg + 1) * n;
    for (i = 0; i < src->n_points; i++) {
        s.point(s.ud, src->t[i], &src->y[i * n]);
    }
    for (i = 0; i < src->n_ev; i++) {
        s.event(s.ud, src->ev_k[i], src->ev_t[i], &src->ev_y[i * n]);
    }
    for (i = 0; i < src->n_seg; i++) {
        s.segment(s.ud, src->seg_t[2 * i], src->seg_t[2 * i + 1], &src->seg_c[i * per]);
    }
}

static int lib_output_fn(void *ud, const ivp_ensemble_out *out, ivp_error *err)
{
    lib_run *r = ud;
    (void)err;
    if (out->k != r->next_k) {
        r->out_of_order = 1;
    }
    r->next_k = out->k + 1;
    r->n_out++;
    if (r->copies != NULL) {
        ivp_memsink_init(&r->copies[out->k], out->data->n, out->data->deg, NULL, 0, 0, 0);
        copy_sink(&r->copies[out->k], out->data);
        r->results[out->k] = *out->res;
    }
    if (r->alloc_at != NULL) {
        pthread_mutex_lock(&r->la->lock);
        r->alloc_at[out->k] = r->la->inner.n_alloc;
        pthread_mutex_unlock(&r->la->lock);
    }
    return 0;
}

static void make_system(ivp_system *sys, ivp_ctx *ctx, double *p)
{
    memset(sys, 0, sizeof *sys);
    ctx->n = 2;
    ctx->p = p;
    ctx->np = 2;
    ctx->data = NULL;
    sys->n = 2;
    sys->rhs = osc_rhs;
    sys->jac = osc_jac;
    sys->events = osc_events;
    sys->n_events = 1;
    sys->lband = sys->uband = -1;
    sys->ctx = ctx;
}

static int same_bits(const double *a, const double *b, size_t n)
{
    return n == 0 || memcmp(a, b, n * sizeof *a) == 0;
}

static void expect_same_member(const ivp_memsink *exp, const ivp_result *rexp,
                               const ivp_memsink *got, const ivp_result *rgot, const char *what)
{
    size_t n = exp->n, per = (exp->deg + 1) * n;
    if (rexp->status != rgot->status || strcmp(rexp->message, rgot->message) != 0 ||
        rexp->nfev != rgot->nfev || rexp->njev != rgot->njev || rexp->nlu != rgot->nlu ||
        rexp->n_steps != rgot->n_steps || rexp->n_rejected != rgot->n_rejected ||
        rexp->n_stats != rgot->n_stats) {
        fail_msg("%s: result differs: status %d/%d, nfev %lu/%lu, n_steps %lu/%lu", what,
                 rexp->status, rgot->status, rexp->nfev, rgot->nfev, rexp->n_steps, rgot->n_steps);
    }
    if (exp->n_points != got->n_points || !same_bits(exp->t, got->t, exp->n_points) ||
        !same_bits(exp->y, got->y, exp->n_points * n)) {
        fail_msg("%s: points differ (%zu/%zu)", what, exp->n_points, got->n_points);
    }
    if (exp->n_ev != got->n_ev || !same_bits(exp->ev_t, got->ev_t, exp->n_ev) ||
        !same_bits(exp->ev_y, got->ev_y, exp->n_ev * n)) {
        fail_msg("%s: events differ (%zu/%zu)", what, exp->n_ev, got->n_ev);
    }
    if (exp->n_seg != got->n_seg || !same_bits(exp->seg_t, got->seg_t, 2 * exp->n_seg) ||
        !same_bits(exp->seg_c, got->seg_c, exp->n_seg * per)) {
        fail_msg("%s: dense segments differ (%zu/%zu)", what, exp->n_seg, got->n_seg);
    }
}

/* Every member of an in-process ensemble (1 and 3 workers, 6 methods, dense output, events,
 * t_eval or every step) equals ivp_solve of that member, bit for bit. */
static void test_members_equal_single_solves(void **state)
{
    enum { K = 12 };
    static const char *const methods[] = {"RK23", "RK45", "DOP853", "Radau", "BDF", "LSODA"};
    double t_eval[13];
    lib_member members[K];
    size_t mi, k, i;
    int use_teval;
    (void)state;
    for (i = 0; i < 13; i++) {
        t_eval[i] = 0.5 * (double)i;
    }
    for (k = 0; k < K; k++) {
        member_values(k, &members[k]);
    }
    for (mi = 0; mi < sizeof methods / sizeof methods[0]; mi++) {
        for (use_teval = 0; use_teval < 2; use_teval++) {
            ivp_memsink exp[K];
            ivp_result rexp[K];
            ivp_system sys;
            ivp_ctx ctx;
            ivp_options opt;
            double p[2];
            size_t workers;

            ivp_options_init(&opt);
            opt.method = methods[mi];
            opt.rtol = 1e-7;
            opt.atol = 1e-9;
            opt.dense_output = 1;
            make_system(&sys, &ctx, p);
            for (k = 0; k < K; k++) {
                ivp_sink s;
                ivp_error err;
                const lib_member *m = &members[k];
                p[0] = m->p[0];
                p[1] = m->p[1];
                opt.t_eval = use_teval ? t_eval : NULL;
                opt.n_t_eval = use_teval ? 13 : 0;
                ivp_memsink_init(&exp[k], 2, ivp_method_dense_degree(methods[mi]), NULL, 0, 0, 0);
                s = ivp_memsink_sink(&exp[k]);
                ivp_solve(&sys, 0, use_teval ? 6 : m->t_end, m->y0, &opt, &s, &rexp[k], &err);
                assert_int_equal(rexp[k].status, 0);
                assert_true(exp[k].n_ev > 0);
                assert_true(exp[k].n_seg > 0);
            }
            for (workers = 1; workers <= 3; workers += 2) {
                ivp_memsink got[K];
                ivp_result rgot[K];
                ivp_ensemble_config ec;
                ivp_ensemble_summary sum;
                ivp_error err;
                lib_run r;
                ivp_options base = opt;
                char what[96];

                memset(&r, 0, sizeof r);
                r.t_eval = use_teval ? t_eval : NULL;
                r.n_t_eval = use_teval ? 13 : 0;
                r.vary_t_end = !use_teval;
                r.members = members;
                r.copies = got;
                r.results = rgot;
                base.t_eval = NULL;
                base.n_t_eval = 0;
                memset(&ec, 0, sizeof ec);
                ec.n_members = K;
                ec.n_workers = workers;
                ec.window = workers == 1 ? 0 : 2; /* a small window: workers wait for output */
                ec.sys = &sys;
                ec.np = 2;
                ec.opt = &base;
                ec.member = lib_member_fn;
                ec.output = lib_output_fn;
                ec.ud = &r;
                if (ivp_ensemble_run(&ec, &sum, &err) != IVP_OK) {
                    fail_msg("ivp_ensemble_run: %s", err.msg);
                }
                assert_int_equal(r.n_out, K);
                assert_false(r.out_of_order);
                assert_int_equal(sum.n_ok, K);
                for (k = 0; k < K; k++) {
                    snprintf(what, sizeof what, "%s, %s, %zu workers, member %zu", methods[mi],
                             use_teval ? "t_eval" : "every step", workers, k);
                    expect_same_member(&exp[k], &rexp[k], &got[k], &rgot[k], what);
                    ivp_memsink_free(&got[k]);
                }
            }
            for (k = 0; k < K; k++) {
                ivp_memsink_free(&exp[k]);
            }
        }
    }
}

/* The allocations an ensemble of K members makes (2 workers, every member the same size:
 * a fixed t_eval, no dense output), and the counts seen as each member was output. */
static long count_allocations(const char *method, size_t K, long *at)
{
    locked_alloc la;
    double t_eval[41];
    lib_member *members = calloc(K, sizeof *members);
    ivp_system sys;
    ivp_ctx ctx;
    double p[2];
    ivp_options opt;
    ivp_ensemble_config ec;
    ivp_ensemble_summary sum;
    ivp_error err;
    lib_run r;
    size_t k;
    long total;

    assert_non_null(members);
    for (k = 0; k < 41; k++) {
        t_eval[k] = 0.15 * (double)k;
    }
    for (k = 0; k < K; k++) {
        member_values(k % 16, &members[k]);
    }
    locked_init(&la);
    make_system(&sys, &ctx, p);
    ivp_options_init(&opt);
    opt.method = method;
    opt.rtol = 1e-6;
    opt.atol = 1e-9;
    opt.alloc = &la.a;
    memset(&r, 0, sizeof r);
    r.t_eval = t_eval;
    r.n_t_eval = 41;
    r.members = members;
    r.alloc_at = at;
    r.la = &la;
    memset(&ec, 0, sizeof ec);
    ec.n_members = K;
    ec.n_workers = 2;
    ec.sys = &sys;
    ec.np = 2;
    ec.opt = &opt;
    ec.member = lib_member_fn;
    ec.output = lib_output_fn;
    ec.ud = &r;
    if (ivp_ensemble_run(&ec, &sum, &err) != IVP_OK) {
        fail_msg("ivp_ensemble_run: %s", err.msg);
    }
    assert_int_equal(sum.n_ok, K);
    assert_int_equal(la.inner.n_live, 0);
    total = la.inner.n_alloc;
    pthread_mutex_destroy(&la.lock);
    free(members);
    return total;
}

/* Nothing is allocated per member: K = 16 and K = 200 make the same allocations, and once
 * every slot of the window has held the largest member it will get, the count stands still.
 * Members repeat with period 16 (16 kinds) and the window has 8 slots (2 workers): slot s
 * holds kinds s and s + 8 only, so after member 15 every slot is warm. Every member has the
 * same 41 t_eval points; the events differ from kind to kind. */
static void test_no_allocation_per_member(void **state)
{
    static const char *const methods[] = {"RK45", "Radau", "BDF", "LSODA"};
    size_t mi, k;
    (void)state;
    for (mi = 0; mi < sizeof methods / sizeof methods[0]; mi++) {
        long at16[16], at200[200];
        long small = count_allocations(methods[mi], 16, at16);
        long big = count_allocations(methods[mi], 200, at200);
        if (small != big) {
            fail_msg("%s: %ld allocations for 16 members, %ld for 200", methods[mi], small, big);
        }
        /* When member 15 is output, members 0..15 have been solved: the count stays. */
        for (k = 16; k < 200; k++) {
            if (at200[k] != at200[15]) {
                fail_msg("%s: %ld allocations when member 15 was output, %ld at member %zu",
                         methods[mi], at200[15], at200[k], k);
            }
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_members_equal_single_solves),
        cmocka_unit_test(test_no_allocation_per_member),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
