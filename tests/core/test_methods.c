/* SPDX-License-Identifier: MIT
 * tests/core/test_methods.c - the battery every method passes (run over the registry):
 * convergence order, exactness against scipy 1.10.1 reference runs, backward time, rhs
 * failures, max_steps, events, dense output, t_eval, and no allocation per step.
 */
#include "support.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ivp/memsink.h"
#include "ivp/solve.h"

#define PI 3.14159265358979323846

/* Every method; the first N_FIXED_ORDER have a fixed order (the others vary theirs). */
static const char *const all_methods[] = {"RK23", "RK45", "DOP853", "Radau", "BDF", "LSODA"};
#define N_METHODS 6
#define N_FIXED_ORDER 4

/* ---- problems ---- */

/* y' = y cos t, y(0) = 1: y = exp(sin t). */
static int rhs_expsin(double t, const double *y, double *f, const ivp_ctx *ctx)
{
    (void)ctx;
    f[0] = y[0] * cos(t);
    return 0;
}

/* scipy's fun_rational: y0' = y1/t, y1' = y1 (y0 + 2 y1 - 1)/(t (y0 - 1)); exact
 * (t/(t+10), 10t/(t+10)^2) from y(5) = (1/3, 2/9). */
static int rhs_rational(double t, const double *y, double *f, const ivp_ctx *ctx)
{
    (void)ctx;
    f[0] = y[1] / t;
    f[1] = y[1] * (y[0] + 2.0 * y[1] - 1.0) / (t * (y[0] - 1.0));
    return 0;
}

/* y' = -0.5 y (scipy's reference run, section 12 of scipy-algorithms.md). */
static int rhs_decay(double t, const double *y, double *f, const ivp_ctx *ctx)
{
    size_t i;
    (void)t;
    for (i = 0; i < ctx->n; i++) {
        f[i] = -0.5 * y[i];
    }
    return 0;
}

/* Harmonic oscillator y0' = y1, y1' = -y0: y = (sin t, cos t) from (0, 1). */
static int rhs_osc(double t, const double *y, double *f, const ivp_ctx *ctx)
{
    (void)t;
    (void)ctx;
    f[0] = y[1];
    f[1] = -y[0];
    return 0;
}

static int events_osc(double t, const double *y, double *g, const ivp_ctx *ctx)
{
    (void)ctx;
    g[0] = y[0];    /* zero at k pi */
    g[1] = t - 2.0; /* a plain time event */
    return 0;
}

/* Misbehaving right-hand sides, driven by a small state in ctx->data. */
typedef struct misbehave {
    int mode; /* 1: recoverable on calls fail_from..fail_to; 2: recoverable for t > t_bad;
                          3: NaN for t > t_bad; 4: fatal -3 for t > t_bad; 5: set interrupt */
    long calls;
    long fail_from, fail_to;
    double t_bad;
    volatile sig_atomic_t *flag;
} misbehave;

static int rhs_misbehave(double t, const double *y, double *f, const ivp_ctx *ctx)
{
    misbehave *m = ctx->data;
    long c = m->calls++;
    f[0] = -y[0];
    switch (m->mode) {
    case 1:
        return (c >= m->fail_from && c <= m->fail_to) ? 1 : 0;
    case 2:
        return t > m->t_bad ? 2 : 0;
    case 3:
        if (t > m->t_bad) {
            f[0] = (double)NAN;
        }
        return 0;
    case 4:
        return t > m->t_bad ? -3 : 0;
    case 5:
        if (t > m->t_bad) {
            *m->flag = 1;
        }
        return 0;
    default:
        return 0;
    }
}

static ivp_system make_system(size_t n, ivp_rhs_fn *rhs, ivp_ctx *ctx)
{
    ivp_system sys;
    memset(&sys, 0, sizeof sys);
    ctx->n = n;
    ctx->p = NULL;
    ctx->np = 0;
    sys.n = n;
    sys.rhs = rhs;
    sys.lband = sys.uband = -1;
    sys.ctx = ctx;
    return sys;
}

/* Runs a solve into a fresh memsink. */
static ivp_status run(const ivp_system *sys, double t0, double t1, const double *y0,
                      const ivp_options *o, ivp_memsink *ms, ivp_result *res, ivp_error *err)
{
    ivp_sink sink;
    assert_int_equal(
        ivp_memsink_init(ms, sys->n, ivp_method_dense_degree(o->method), NULL, 0, 0, 0), IVP_OK);
    sink = ivp_memsink_sink(ms);
    return ivp_solve(sys, t0, t1, y0, o, &sink, res, err);
}

/* ---- convergence order ---- */

/* With huge tolerances and max_step = first_step = h every step is accepted at size h, so
 * the global error at t = 2 behaves like C h^p: halving h divides it by 2^p. */
static double fixed_step_error(const char *method, double h)
{
    ivp_ctx ctx;
    ivp_system sys = make_system(1, rhs_expsin, &ctx);
    ivp_options o;
    ivp_memsink ms;
    ivp_result res;
    ivp_error err;
    double y0 = 1.0, e;
    ivp_options_init(&o);
    o.method = method;
    o.rtol = 1e3;
    o.atol = 1e3;
    o.first_step = h;
    o.max_step = h;
    assert_int_equal(run(&sys, 0.0, 2.0, &y0, &o, &ms, &res, &err), IVP_OK);
    assert_int_equal(res.n_rejected, 0);
    e = fabs(ms.y[ms.n_points - 1] - exp(sin(2.0)));
    ivp_memsink_free(&ms);
    return e;
}

static void methods_converge_at_their_order(void **state)
{
    static const double expected[N_FIXED_ORDER] = {3.0, 5.0, 8.0, 5.0};
    static const double h[N_FIXED_ORDER] = {0.02, 0.05, 0.4, 0.1};
    int k;
    (void)state;
    for (k = 0; k < N_FIXED_ORDER; k++) {
        double e1 = fixed_step_error(all_methods[k], h[k]);
        double e2 = fixed_step_error(all_methods[k], h[k] / 2.0);
        double e3 = fixed_step_error(all_methods[k], h[k] / 4.0);
        double p1 = log2(e1 / e2), p2 = log2(e2 / e3);
        print_message("%s: errors %.3e %.3e %.3e, observed order %.2f %.2f\n", all_methods[k], e1,
                      e2, e3, p1, p2);
        ivp_assert_close(p2, expected[k], 0.0, 0.3);
    }
}

/* ---- scipy 1.10.1 reference runs (Debian python3-scipy 1.10.1 on x86_64) ---- */

static void methods_match_scipy_reference_runs(void **state)
{
    /* solve_ivp(lambda t, y: -0.5*y, [0, 10], [2, 4, 8], method=M): len(t), nfev, t[1], y[0][-1] */
    static const struct {
        const char *method;
        size_t npts;
        unsigned long nfev;
        double t1, y_end;
    } ref[] = {
        {"RK23", 16, 47, 0.02714681459685608, 0.013278896040337237},
        {"RK45", 8, 44, 0.11487653462140478, 0.01350780656996435},
        {"DOP853", 5, 50, 0.25860956205565166, 0.013476952636503274},
        {"Radau", 11, 78, 0.06687890558661595, 0.013476538849906301},
        {"BDF", 27, 54, 0.004472788012463491, 0.013440114444804403},
        {"LSODA", 20, 39, 0.06202482125133967, 0.013512557560430754},
    };
    /* njev, nlu as scipy reports them */
    static const unsigned long ref_njev[] = {0, 0, 0, 2, 1, 0};
    static const unsigned long ref_nlu[] = {0, 0, 0, 8, 8, 0};
    size_t k;
    (void)state;
    for (k = 0; k < sizeof ref / sizeof ref[0]; k++) {
        ivp_ctx ctx;
        ivp_system sys = make_system(3, rhs_decay, &ctx);
        ivp_options o;
        ivp_memsink ms;
        ivp_result res;
        ivp_error err;
        double y0[3] = {2.0, 4.0, 8.0};
        ivp_options_init(&o);
        o.method = ref[k].method;
        assert_int_equal(run(&sys, 0.0, 10.0, y0, &o, &ms, &res, &err), IVP_OK);
        assert_int_equal(ms.n_points, ref[k].npts);
        assert_int_equal(res.nfev, ref[k].nfev);
        assert_int_equal(res.njev, ref_njev[k]);
        assert_int_equal(res.nlu, ref_nlu[k]);
        ivp_assert_close(ms.t[1], ref[k].t1, 1e-15, 0.0);
        ivp_assert_close(ms.y[(ms.n_points - 1) * 3], ref[k].y_end, 1e-14, 0.0);
        assert_true(ms.t[ms.n_points - 1] == 10.0);
        ivp_memsink_free(&ms);
    }
}

/* ---- backward time ---- */

static void methods_integrate_backward(void **state)
{
    int k;
    (void)state;
    for (k = 0; k < N_METHODS; k++) {
        ivp_ctx ctx;
        ivp_system sys = make_system(2, rhs_osc, &ctx);
        ivp_options o;
        ivp_memsink ms;
        ivp_result res;
        ivp_error err;
        double y0[2] = {sin(5.0), cos(5.0)};
        size_t i;
        ivp_options_init(&o);
        o.method = all_methods[k];
        o.rtol = 1e-8;
        o.atol = 1e-10;
        o.dense_output = 1;
        assert_int_equal(run(&sys, 5.0, -1.0, y0, &o, &ms, &res, &err), IVP_OK);
        assert_true(ms.t[ms.n_points - 1] == -1.0);
        for (i = 1; i < ms.n_points; i++) {
            assert_true(ms.t[i] < ms.t[i - 1]);
        }
        ivp_assert_close(ms.y[(ms.n_points - 1) * 2], sin(-1.0), 0.0, 1e-6);
        ivp_assert_close(ms.y[(ms.n_points - 1) * 2 + 1], cos(-1.0), 0.0, 1e-6);
        {
            double yq[2];
            assert_int_equal(ivp_memsink_eval(&ms, 2.0, yq), 0);
            ivp_assert_close(yq[0], sin(2.0), 0.0, 1e-6);
        }
        ivp_memsink_free(&ms);
    }
}

/* ---- rhs failures ---- */

static ivp_status run_misbehave(const char *method, misbehave *m, ivp_memsink *ms, ivp_result *res,
                                ivp_error *err)
{
    ivp_ctx ctx;
    ivp_system sys = make_system(1, rhs_misbehave, &ctx);
    ivp_options o;
    double y0 = 1.0;
    ctx.data = m;
    ivp_options_init(&o);
    o.method = method;
    o.rtol = 1e-6;
    o.atol = 1e-9;
    o.interrupt = m->flag;
    return run(&sys, 0.0, 2.0, &y0, &o, ms, res, err);
}

static void methods_retry_after_recoverable_rhs_failure(void **state)
{
    int k;
    (void)state;
    for (k = 0; k < N_METHODS; k++) {
        misbehave m = {1, 0, 20, 21, 0.0, NULL};
        ivp_memsink ms;
        ivp_result res;
        ivp_error err;
        assert_int_equal(run_misbehave(all_methods[k], &m, &ms, &res, &err), IVP_OK);
        assert_true(m.calls > m.fail_to); /* the failing calls happened */
        if (k < 3) {
            /* explicit methods reject the step; implicit ones may first retry the Newton
             * iteration with a fresh Jacobian */
            assert_true(res.n_rejected >= 1);
        }
        ivp_assert_close(ms.y[ms.n_points - 1], exp(-2.0), 1e-5, 0.0);
        ivp_memsink_free(&ms);
    }
}

static void methods_fail_on_persistent_rhs_failures(void **state)
{
    int k, mode;
    (void)state;
    for (k = 0; k < N_METHODS; k++) {
        for (mode = 2; mode <= 4; mode++) {
            misbehave m = {mode, 0, 0, 0, 0.5, NULL};
            ivp_memsink ms;
            ivp_result res;
            ivp_error err;
            ivp_status st = run_misbehave(all_methods[k], &m, &ms, &res, &err);
            print_message("%s mode %d: %s\n", all_methods[k], mode, res.message);
            assert_int_equal(st, IVP_ERR_RHS);
            assert_int_equal(res.status, -1);
            {
                /* the message names where the rhs failed: just past 0.5 */
                const char *at = strstr(res.message, "at t = ");
                double t_fail;
                assert_non_null(at);
                t_fail = strtod(at + 7, NULL);
                assert_true(t_fail > 0.5 && t_fail < 1.0);
                if (mode != 4 && k < 3) {
                    /* explicit methods shrink h until it underflows at 0.5 */
                    ivp_assert_close(t_fail, 0.5, 0.0, 1e-12);
                }
            }
            if (mode == 2) {
                assert_non_null(strstr(res.message, "returned 2 (recoverable)"));
            } else if (mode == 3) {
                assert_non_null(strstr(res.message, "dydt[0] is not finite"));
            } else {
                assert_non_null(strstr(res.message, "returned -3 (fatal)"));
            }
            /* everything up to the last accepted step was delivered */
            assert_true(ms.n_points >= 2);
            assert_true(ms.t[ms.n_points - 1] <= 0.5);
            ivp_assert_close(ms.t[ms.n_points - 1], res.t, 0.0, 0.0);
            ivp_memsink_free(&ms);
        }
    }
}

/* One bad rhs call: call number 'at' returns 1 (code != 0) or puts 'value' into f[j]. */
typedef struct one_bad {
    long calls, at;
    size_t j;
    int code;
    double value;
} one_bad;

static int rhs_one_bad(double t, const double *y, double *f, const ivp_ctx *ctx)
{
    one_bad *b = ctx->data;
    const long c = b->calls++;
    size_t i;
    (void)t;
    for (i = 0; i < ctx->n; i++) {
        f[i] = -(1.0 + (double)i / 8.0) * y[i];
    }
    if (c == b->at) {
        if (b->code != 0) {
            return 1;
        }
        f[b->j] = b->value;
    }
    return 0;
}

static int keep_last(void *ud, double t, const double *y)
{
    (void)t;
    memcpy(ud, y, 37 * sizeof *y);
    return 0;
}

/* The explicit methods check every stage's rhs value for NaN and infinities inside their
 * vectorised passes: a non-finite value in any component (vector lanes and the scalar
 * remainder) at any stage, or in f_new, must end the step attempt exactly where a
 * recoverable rhs failure of that call does, so the two solves match call for call and bit
 * for bit. A missed value would propagate into the error norm and change the step sequence. */
static void explicit_methods_catch_nonfinite_in_every_stage(void **state)
{
    static const size_t comps[] = {0, 21, 36};
    const double values[] = {(double)NAN, HUGE_VAL, -HUGE_VAL};
    int k;
    (void)state;
    for (k = 0; k < 3; k++) {
        long at;
        for (at = 2; at < 40; at++) {
            ivp_ctx ctx;
            ivp_system sys = make_system(37, rhs_one_bad, &ctx);
            ivp_options o;
            ivp_sink sink;
            ivp_result ref, res;
            ivp_status st_ref;
            double y0[37], y_ref[37], y_bad[37];
            one_bad b = {0, at, 0, 1, 0.0};
            size_t i, q, v;
            for (i = 0; i < 37; i++) {
                y0[i] = 1.0 + (double)i / 37.0;
            }
            ctx.data = &b;
            ivp_options_init(&o);
            o.method = all_methods[k];
            o.rtol = 1e-6;
            o.atol = 1e-9;
            memset(&sink, 0, sizeof sink);
            sink.point = keep_last;
            sink.ud = y_ref;
            st_ref = ivp_solve(&sys, 0.0, 2.0, y0, &o, &sink, &ref, NULL);
            assert_int_equal(st_ref, IVP_OK);
            assert_true(ref.n_rejected >= 1);
            for (q = 0; q < 3; q++) {
                for (v = 0; v < 3; v++) {
                    one_bad bad = {0, at, comps[q], 0, values[v]};
                    ctx.data = &bad;
                    sink.ud = y_bad;
                    assert_int_equal(ivp_solve(&sys, 0.0, 2.0, y0, &o, &sink, &res, NULL), st_ref);
                    assert_int_equal(res.nfev, ref.nfev);
                    assert_int_equal(res.n_steps, ref.n_steps);
                    assert_int_equal(res.n_rejected, ref.n_rejected);
                    assert_memory_equal(y_bad, y_ref, sizeof y_ref);
                }
            }
        }
    }
}

static void methods_stop_on_interrupt(void **state)
{
    int k;
    (void)state;
    for (k = 0; k < N_METHODS; k++) {
        volatile sig_atomic_t flag = 0;
        misbehave m = {5, 0, 0, 0, 0.7, &flag};
        ivp_memsink ms;
        ivp_result res;
        ivp_error err;
        assert_int_equal(run_misbehave(all_methods[k], &m, &ms, &res, &err), IVP_ERR_INTERRUPTED);
        assert_int_equal(res.status, -2);
        assert_true(res.t >= 0.7 && res.t < 2.0);
        assert_true(ms.t[ms.n_points - 1] == res.t);
        ivp_memsink_free(&ms);
    }
}

/* ---- max_steps, max_step, first_step ---- */

static void methods_honour_step_limits(void **state)
{
    int k;
    (void)state;
    for (k = 0; k < N_METHODS; k++) {
        ivp_ctx ctx;
        ivp_system sys = make_system(2, rhs_osc, &ctx);
        ivp_options o;
        ivp_memsink ms;
        ivp_result res;
        ivp_error err;
        double y0[2] = {0.0, 1.0};
        size_t i;

        ivp_options_init(&o);
        o.method = all_methods[k];
        o.max_steps = 5;
        assert_int_equal(run(&sys, 0.0, 100.0, y0, &o, &ms, &res, &err), IVP_ERR_MAX_STEPS);
        assert_int_equal(res.n_steps, 5);
        assert_int_equal(ms.n_points, 6);
        assert_non_null(strstr(res.message, "max_steps = 5"));
        ivp_memsink_free(&ms);

        /* scipy's test_first_step: fun_rational on [5, 9] */
        {
            ivp_ctx rctx;
            ivp_system rsys = make_system(2, rhs_rational, &rctx);
            double yr[2] = {1.0 / 3.0, 2.0 / 9.0};
            ivp_options_init(&o);
            o.method = all_methods[k];
            o.max_step = 0.5;
            o.first_step = 0.1;
            assert_int_equal(run(&rsys, 5.0, 9.0, yr, &o, &ms, &res, &err), IVP_OK);
            ivp_assert_close(ms.t[1] - 5.0, 0.1, 1e-12, 0.0);
            for (i = 1; i < ms.n_points; i++) {
                assert_true(ms.t[i] - ms.t[i - 1] <= 0.5 + 1e-15);
            }
            ivp_assert_close(ms.y[(ms.n_points - 1) * 2], 9.0 / 19.0, 1e-3, 0.0);
            ivp_memsink_free(&ms);
        }

        /* a min_step the solution cannot live with */
        ivp_options_init(&o);
        o.method = all_methods[k];
        o.min_step = 5.0;
        o.rtol = 1e-10;
        o.atol = 1e-10;
        assert_int_equal(run(&sys, 0.0, 10.0, y0, &o, &ms, &res, &err), IVP_ERR_STEP);
        assert_non_null(strstr(res.message, "min_step"));
        ivp_memsink_free(&ms);
    }
}

/* ---- events ---- */

static void methods_find_events(void **state)
{
    int k;
    (void)state;
    for (k = 0; k < N_METHODS; k++) {
        ivp_ctx ctx;
        ivp_system sys = make_system(2, rhs_osc, &ctx);
        ivp_event_opts ev[2] = {{3, 0}, {0, 0}};
        ivp_options o;
        ivp_memsink ms;
        ivp_result res;
        ivp_error err;
        double y0[2] = {0.0, 1.0}; /* g0 = y0 is exactly zero at t0 */
        size_t i, n0 = 0, n1 = 0;
        double expect0[3] = {0.0, PI, 2.0 * PI};

        sys.events = events_osc;
        sys.n_events = 2;
        ivp_options_init(&o);
        o.method = all_methods[k];
        o.rtol = 1e-10;
        o.atol = 1e-12;
        o.events = ev;
        /* terminal at the 3rd zero of y0: the zero at t0 is reported but does not count,
         * so the solve stops at 3 pi, after events at 0, pi, 2 pi, 3 pi */
        assert_int_equal(run(&sys, 0.0, 20.0, y0, &o, &ms, &res, &err), IVP_TERMINATED);
        assert_int_equal(res.status, 1);
        for (i = 0; i < ms.n_ev; i++) {
            if (ms.ev_k[i] == 0) {
                if (n0 < 3) {
                    ivp_assert_close(ms.ev_t[i], expect0[n0], 0.0, 1e-9);
                } else {
                    ivp_assert_close(ms.ev_t[i], 3.0 * PI, 0.0, 1e-9);
                }
                ivp_assert_close(ms.ev_y[i * 2], 0.0, 0.0, 1e-9);
                n0++;
            } else {
                ivp_assert_close(ms.ev_t[i], 2.0, 0.0, 4.0 * 2.2e-16 * 2.0);
                n1++;
            }
        }
        assert_int_equal(n0, 4);
        assert_int_equal(n1, 1);
        assert_true(ms.t[0] == 0.0);
        ivp_assert_close(ms.t[ms.n_points - 1], 3.0 * PI, 0.0, 1e-9);
        ivp_assert_close(res.t, 3.0 * PI, 0.0, 1e-9);
        for (i = 1; i < ms.n_points; i++) {
            assert_true(ms.t[i] > ms.t[i - 1]); /* no duplicate times */
        }
        ivp_memsink_free(&ms);

        /* direction: only + to - crossings of y0 = sin t: pi, 3 pi, 5 pi (the zero at t0 goes
         * up and is not reported) */
        ev[0].terminal = 0;
        ev[0].direction = -1;
        assert_int_equal(run(&sys, 0.0, 17.0, y0, &o, &ms, &res, &err), IVP_OK);
        n0 = 0;
        for (i = 0; i < ms.n_ev; i++) {
            if (ms.ev_k[i] == 0) {
                ivp_assert_close(ms.ev_t[i], (2.0 * (double)n0 + 1.0) * PI, 0.0, 1e-9);
                n0++;
            }
        }
        assert_int_equal(n0, 3);
        ivp_memsink_free(&ms);
        ev[0].direction = 0;
        ev[0].terminal = 3;
    }
}

/* ---- dense output and t_eval ---- */

static void methods_dense_output_matches_steps(void **state)
{
    int k;
    (void)state;
    for (k = 0; k < N_METHODS; k++) {
        ivp_ctx ctx;
        ivp_system sys = make_system(2, rhs_osc, &ctx);
        ivp_options o;
        ivp_memsink ms;
        ivp_result res;
        ivp_error err;
        double y0[2] = {0.0, 1.0};
        size_t i, seg;
        ivp_options_init(&o);
        o.method = all_methods[k];
        o.rtol = 1e-6;
        o.atol = 1e-9;
        o.dense_output = 1;
        assert_int_equal(run(&sys, 0.0, 10.0, y0, &o, &ms, &res, &err), IVP_OK);
        assert_int_equal(ms.n_seg, ms.n_points - 1);
        for (seg = 0; seg < ms.n_seg; seg++) {
            unsigned deg = ms.deg, p;
            const double *c = ms.seg_c + seg * (deg + 1) * 2;
            double h = ms.seg_t[2 * seg + 1] - ms.seg_t[2 * seg];
            assert_true(ms.seg_t[2 * seg] == ms.t[seg]);
            assert_true(ms.seg_t[2 * seg + 1] == ms.t[seg + 1]);
            for (i = 0; i < 2; i++) {
                double at0 = c[deg * 2 + i], at1 = 0.0;
                for (p = 0; p <= deg; p++) {
                    at1 = at1 * h + c[p * 2 + i];
                }
                ivp_assert_close(at0, ms.y[seg * 2 + i], 1e-13, 1e-15);
                ivp_assert_close(at1, ms.y[(seg + 1) * 2 + i], 1e-13, 1e-15);
            }
        }
        /* and between steps it is accurate */
        for (i = 0; i <= 100; i++) {
            double t = 0.1 * (double)i, yq[2];
            assert_int_equal(ivp_memsink_eval(&ms, t, yq), 0);
            ivp_assert_close(yq[0], sin(t), 0.0, 1e-4);
            ivp_assert_close(yq[1], cos(t), 0.0, 1e-4);
        }
        ivp_memsink_free(&ms);
    }
}

static void methods_emit_t_eval_points(void **state)
{
    int k;
    (void)state;
    for (k = 0; k < N_METHODS; k++) {
        ivp_ctx ctx;
        ivp_system sys = make_system(2, rhs_osc, &ctx);
        ivp_options o;
        ivp_memsink ms;
        ivp_result res;
        ivp_error err;
        double y0[2] = {0.0, 1.0};
        double te[5] = {0.0, 0.5, 3.0, 7.25, 10.0};
        double te_back[3] = {9.0, 4.0, 0.0};
        size_t i;
        ivp_options_init(&o);
        o.method = all_methods[k];
        o.rtol = 1e-8;
        o.atol = 1e-10;
        o.t_eval = te;
        o.n_t_eval = 5;
        assert_int_equal(run(&sys, 0.0, 10.0, y0, &o, &ms, &res, &err), IVP_OK);
        assert_int_equal(ms.n_points, 5);
        for (i = 0; i < 5; i++) {
            assert_true(ms.t[i] == te[i]);
            ivp_assert_close(ms.y[2 * i], sin(te[i]), 0.0, 1e-6);
        }
        ivp_memsink_free(&ms);

        /* backward, t_eval decreasing */
        y0[0] = sin(10.0);
        y0[1] = cos(10.0);
        o.t_eval = te_back;
        o.n_t_eval = 3;
        assert_int_equal(run(&sys, 10.0, 0.0, y0, &o, &ms, &res, &err), IVP_OK);
        assert_int_equal(ms.n_points, 3);
        for (i = 0; i < 3; i++) {
            assert_true(ms.t[i] == te_back[i]);
            ivp_assert_close(ms.y[2 * i], sin(te_back[i]), 0.0, 1e-6);
        }
        ivp_memsink_free(&ms);
    }
}

/* ---- memory ---- */

static long allocations_for_span(const char *method, double t_end, unsigned long *steps)
{
    ivp_ctx ctx;
    ivp_system sys = make_system(2, rhs_osc, &ctx);
    ivp_event_opts ev[2] = {{0, 0}, {0, 0}};
    ivp_options o;
    ivp_test_alloc ta;
    ivp_result res;
    ivp_error err;
    double y0[2] = {0.0, 1.0};
    ivp_test_alloc_init(&ta, -1);
    sys.events = events_osc;
    sys.n_events = 2;
    ivp_options_init(&o);
    o.method = method;
    o.rtol = 1e-6;
    o.atol = 1e-9;
    o.dense_output = 1;
    o.events = ev;
    o.alloc = &ta.a;
    assert_int_equal(ivp_solve(&sys, 0.0, t_end, y0, &o, NULL, &res, &err), IVP_OK);
    assert_int_equal(ta.n_live, 0);
    *steps = res.n_steps;
    return ta.n_alloc;
}

static void methods_allocate_nothing_per_step(void **state)
{
    int k;
    (void)state;
    for (k = 0; k < N_METHODS; k++) {
        unsigned long s1, s2;
        long a1 = allocations_for_span(all_methods[k], 10.0, &s1);
        long a2 = allocations_for_span(all_methods[k], 100.0, &s2);
        print_message("%s: %ld allocations for %lu steps, %ld for %lu steps\n", all_methods[k], a1,
                      s1, a2, s2);
        assert_true(s2 >= 5 * s1); /* the 10x longer span takes many more steps */
        assert_int_equal(a1, a2);
    }
}

static void methods_report_out_of_memory_without_leaks(void **state)
{
    int k;
    (void)state;
    for (k = 0; k < N_METHODS; k++) {
        long fail_at;
        for (fail_at = 0;; fail_at++) {
            ivp_ctx ctx;
            ivp_system sys = make_system(2, rhs_osc, &ctx);
            ivp_options o;
            ivp_test_alloc ta;
            ivp_result res;
            ivp_error err;
            double y0[2] = {0.0, 1.0};
            ivp_status st;
            ivp_test_alloc_init(&ta, fail_at);
            ivp_options_init(&o);
            o.method = all_methods[k];
            o.alloc = &ta.a;
            st = ivp_solve(&sys, 0.0, 1.0, y0, &o, NULL, &res, &err);
            assert_int_equal(ta.n_live, 0);
            if (st == IVP_OK) {
                break;
            }
            assert_int_equal(st, IVP_ERR_NOMEM);
            assert_int_equal(res.status, -1);
            assert_int_equal(res.n_steps, 0);
        }
        assert_true(fail_at > 3);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(methods_converge_at_their_order),
        cmocka_unit_test(methods_match_scipy_reference_runs),
        cmocka_unit_test(methods_integrate_backward),
        cmocka_unit_test(methods_retry_after_recoverable_rhs_failure),
        cmocka_unit_test(methods_fail_on_persistent_rhs_failures),
        cmocka_unit_test(explicit_methods_catch_nonfinite_in_every_stage),
        cmocka_unit_test(methods_stop_on_interrupt),
        cmocka_unit_test(methods_honour_step_limits),
        cmocka_unit_test(methods_find_events),
        cmocka_unit_test(methods_dense_output_matches_steps),
        cmocka_unit_test(methods_emit_t_eval_points),
        cmocka_unit_test(methods_allocate_nothing_per_step),
        cmocka_unit_test(methods_report_out_of_memory_without_leaks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
