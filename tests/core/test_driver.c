/* SPDX-License-Identifier: MIT
 * tests/core/test_driver.c - the driver's argument checks, sink failures, the method
 * registry and the root finder.
 */
#include "support.h"

#include <math.h>
#include <string.h>

#include "ivp/memsink.h"
#include "ivp/solve.h"
#include "ivp_impl.h"

static int rhs_one(double t, const double *y, double *f, const ivp_ctx *ctx)
{
    (void)t;
    (void)y;
    (void)ctx;
    f[0] = 1.0;
    return 0;
}

static ivp_system one_system(ivp_ctx *ctx)
{
    ivp_system sys;
    memset(&sys, 0, sizeof sys);
    memset(ctx, 0, sizeof *ctx);
    ctx->n = 1;
    sys.n = 1;
    sys.rhs = rhs_one;
    sys.lband = sys.uband = -1;
    sys.ctx = ctx;
    return sys;
}

static int sink_calls;
static int failing_point(void *ud, double t, const double *y)
{
    (void)ud;
    (void)y;
    sink_calls++;
    return t > 0.5 ? -1 : 0;
}

static void expect_arg_error(ivp_system *sys, double t0, double t1, const double *y0,
                             const ivp_options *o, const char *needle)
{
    ivp_result res;
    ivp_error err;
    ivp_sink sink = {failing_point, NULL, NULL, NULL};
    sink_calls = 0;
    assert_int_equal(ivp_solve(sys, t0, t1, y0, o, &sink, &res, &err), IVP_ERR_ARG);
    assert_int_equal(res.status, -1);
    assert_int_equal(sink_calls, 0);
    if (strstr(err.msg, needle) == NULL) {
        fail_msg("message '%s' lacks '%s'", err.msg, needle);
    }
}

static void solve_rejects_bad_arguments(void **state)
{
    ivp_ctx ctx;
    ivp_system sys = one_system(&ctx);
    ivp_options o;
    double y0 = 0.0, bad_y0 = (double)NAN, atol_vec[1] = {-1.0};
    double te_out[2] = {0.0, 2.0}, te_unsorted[2] = {0.5, 0.25};
    (void)state;
    ivp_options_init(&o);
    o.method = "RK99";
    expect_arg_error(&sys, 0.0, 1.0, &y0, &o, "unknown method 'RK99'");
    ivp_options_init(&o);
    expect_arg_error(&sys, 1.0, 1.0, &y0, &o, "equal ends");
    expect_arg_error(&sys, 0.0, 1.0, &bad_y0, &o, "y0[0]");
    o.rtol = 0.0;
    expect_arg_error(&sys, 0.0, 1.0, &y0, &o, "rtol");
    ivp_options_init(&o);
    o.atol_vec = atol_vec;
    expect_arg_error(&sys, 0.0, 1.0, &y0, &o, "atol[0]");
    ivp_options_init(&o);
    o.first_step = 2.0;
    expect_arg_error(&sys, 0.0, 1.0, &y0, &o, "first_step");
    ivp_options_init(&o);
    o.max_step = 0.0;
    expect_arg_error(&sys, 0.0, 1.0, &y0, &o, "max_step");
    ivp_options_init(&o);
    o.t_eval = te_out;
    o.n_t_eval = 2;
    expect_arg_error(&sys, 0.0, 1.0, &y0, &o, "t_eval[1]");
    o.t_eval = te_unsorted;
    expect_arg_error(&sys, 0.0, 1.0, &y0, &o, "sorted");
    ivp_options_init(&o);
    sys.n_events = 1;
    expect_arg_error(&sys, 0.0, 1.0, &y0, &o, "no events");
    sys.n_events = 0;
    sys.n = 0;
    expect_arg_error(&sys, 0.0, 1.0, &y0, &o, "at least 1");
}

static void solve_stops_when_the_sink_fails(void **state)
{
    ivp_ctx ctx;
    ivp_system sys = one_system(&ctx);
    ivp_options o;
    ivp_result res;
    ivp_error err;
    ivp_sink sink = {failing_point, NULL, NULL, NULL};
    double y0 = 0.0;
    (void)state;
    ivp_options_init(&o);
    o.max_step = 0.1;
    sink_calls = 0;
    assert_int_equal(ivp_solve(&sys, 0.0, 1.0, &y0, &o, &sink, &res, &err), IVP_ERR_IO);
    assert_int_equal(res.status, -1);
    assert_non_null(strstr(res.message, "output sink failed"));
    assert_true(res.t > 0.5 && res.t < 0.7);
}

static void solve_works_without_a_sink(void **state)
{
    ivp_ctx ctx;
    ivp_system sys = one_system(&ctx);
    ivp_options o;
    ivp_result res;
    double y0 = 0.0;
    (void)state;
    ivp_options_init(&o);
    assert_int_equal(ivp_solve(&sys, 0.0, 3.0, &y0, &o, NULL, &res, NULL), IVP_OK);
    assert_int_equal(res.status, 0);
    assert_true(res.t == 3.0);
    assert_true(res.nfev > 0);
    assert_non_null(strstr(res.message, "successfully reached the end"));
}

static void registry_knows_all_six_methods(void **state)
{
    const char *const *names = ivp_method_names();
    size_t k = 0;
    (void)state;
    while (names[k] != NULL) {
        k++;
    }
    assert_int_equal(k, 6);
    assert_string_equal(ivp_method_canonical("dop853"), "DOP853");
    assert_string_equal(ivp_method_canonical("radau"), "Radau");
    assert_null(ivp_method_canonical("RK4"));
    assert_int_equal(ivp_method_dense_degree("RK23"), 3);
    assert_int_equal(ivp_method_dense_degree("rk45"), 4);
    assert_int_equal(ivp_method_dense_degree("DOP853"), 7);
    assert_int_equal(ivp_method_dense_degree("LSODA"), 12);
    assert_int_equal(ivp_method_dense_degree("nope"), 0);
    assert_true(ivp_method_is_implicit("BDF"));
    assert_false(ivp_method_is_implicit("RK45"));
}

static int cubic(void *ud, double x, double *fx, ivp_error *err)
{
    int *calls = ud;
    (void)err;
    (*calls)++;
    *fx = (x - 0.3) * (x * x + 1.0);
    return 0;
}

/* Uniform in [0, 1) from a 64-bit LCG (Knuth's MMIX constants): the same cases everywhere. */
static double lcg_uniform(unsigned long long *x)
{
    *x = *x * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(*x >> 11) * 0x1p-53;
}

/* The methods' inline helpers decide and round exactly as the expressions they replace:
 * ivp_newton_diverges as pow(rate, e) / (1 - rate) * norm > tol, also when tol is that
 * value, its neighbour or within 1e-11 of it (where the repeated product alone could
 * decide wrongly), and ivp_rms_finish as sqrt(acc / n). */
static void inline_norm_helpers_match_scipy_expressions(void **state)
{
    unsigned long long x = 42;
    unsigned long k, disagree = 0;
    size_t n;
    (void)state;
    for (k = 0; k < 400000; k++) {
        double rate = k % 7 == 0 ? pow(10.0, -60.0 * lcg_uniform(&x)) : lcg_uniform(&x);
        const int e = 1 + (int)(k % 6);
        const double norm = pow(10.0, -20.0 + 40.0 * lcg_uniform(&x));
        const double exact = pow(rate, (double)e) / (1.0 - rate) * norm;
        double tol;
        switch (k % 4) {
        case 0:
            tol = pow(10.0, -8.0 + 8.0 * lcg_uniform(&x));
            break;
        case 1:
            tol = exact;
            break;
        case 2:
            tol = nextafter(exact, 0.0);
            break;
        default:
            tol = exact * (1.0 + 1e-11 * (2.0 * lcg_uniform(&x) - 1.0));
            break;
        }
        if (!(tol > 0.0 && tol <= 1.0)) {
            continue;
        }
        disagree += ivp_newton_diverges(rate, e, norm, tol) != (exact > tol);
    }
    assert_int_equal(disagree, 0);
    for (n = 1; n <= 1100; n++) {
        const double acc = pow(10.0, -300.0 + 600.0 * lcg_uniform(&x));
        assert_true(ivp_rms_finish(acc, n) == sqrt(acc / (double)n));
    }
}

static void brentq_finds_roots_to_four_epsilon(void **state)
{
    int calls = 0;
    double root;
    (void)state;
    assert_int_equal(ivp_brentq(cubic, &calls, 0.0, 1.0, -0.3, 0.7 * 2.0, &root, NULL), 0);
    ivp_assert_close(root, 0.3, 0.0, 8.0 * IVP_EPS);
    assert_true(calls < 20);
    /* an exact zero at an end is returned as is */
    assert_int_equal(ivp_brentq(cubic, &calls, 0.3, 1.0, 0.0, 1.0, &root, NULL), 0);
    assert_true(root == 0.3);
    /* reversed interval */
    assert_int_equal(ivp_brentq(cubic, &calls, 1.0, 0.0, 1.4, -0.3, &root, NULL), 0);
    ivp_assert_close(root, 0.3, 0.0, 8.0 * IVP_EPS);
}

/* g = y - 1.5 (y = t crosses it once); g[1] = y + 1 never vanishes. */
static int events_cross(double t, const double *y, double *g, const ivp_ctx *ctx)
{
    (void)t;
    (void)ctx;
    g[0] = y[0] - 1.5;
    g[1] = y[0] + 1.0;
    return 0;
}

/* ivp_result.n_points and n_events_found count what reached the sink (they were always 0). */
static void result_counts_points_and_events(void **state)
{
    ivp_ctx ctx;
    ivp_system sys = one_system(&ctx);
    ivp_options o;
    ivp_result res;
    ivp_memsink ms;
    ivp_sink sink;
    double y0 = 0.0, te[5] = {0.0, 0.5, 1.0, 2.0, 3.0};
    (void)state;
    sys.events = events_cross;
    sys.n_events = 2;
    ivp_options_init(&o);
    o.max_step = 0.25;
    assert_int_equal(ivp_memsink_init(&ms, 1, ivp_method_dense_degree("RK45"), NULL, 0, 0, 0),
                     IVP_OK);
    sink = ivp_memsink_sink(&ms);
    assert_int_equal(ivp_solve(&sys, 0.0, 3.0, &y0, &o, &sink, &res, NULL), IVP_OK);
    /* every step of 0.25 at most, t0 included */
    assert_true(res.n_steps >= 12);
    assert_int_equal(res.n_points, res.n_steps + 1);
    assert_int_equal(res.n_points, ms.n_points);
    assert_int_equal(res.n_events_found, 1);
    assert_int_equal(ms.n_ev, 1);
    ivp_assert_close(ms.ev_t[0], 1.5, 0.0, 8.0 * IVP_EPS * 1.5);
    ivp_memsink_free(&ms);

    o.t_eval = te;
    o.n_t_eval = 5;
    assert_int_equal(ivp_memsink_init(&ms, 1, ivp_method_dense_degree("RK45"), NULL, 0, 0, 0),
                     IVP_OK);
    sink = ivp_memsink_sink(&ms);
    assert_int_equal(ivp_solve(&sys, 0.0, 3.0, &y0, &o, &sink, &res, NULL), IVP_OK);
    assert_int_equal(res.n_points, 5);
    assert_int_equal(ms.n_points, 5);
    assert_int_equal(res.n_events_found, 1);
    ivp_memsink_free(&ms);
}

static double nan_from_t;
static size_t nan_event;

/* Event nan_event is NaN for t > nan_from_t; the others are y - 10 (never zero here). */
static int events_nan(double t, const double *y, double *g, const ivp_ctx *ctx)
{
    (void)ctx;
    g[0] = y[0] - 10.0;
    g[1] = y[0] - 10.0;
    if (t > nan_from_t) {
        g[nan_event] = nan_event == 0 ? (double)NAN : HUGE_VAL;
    }
    return 0;
}

/* A non-finite event value is fatal (status -1) and the message names the event, the value
 * and t (it used to make every sign test false, so the solve went on and lost the event). */
static void event_nan_is_fatal(void **state)
{
    ivp_ctx ctx;
    ivp_system sys = one_system(&ctx);
    ivp_options o;
    ivp_result res;
    ivp_error err;
    double y0 = 0.0;
    const char *const methods[] = {"RK45", "BDF"};
    size_t k;
    (void)state;
    sys.events = events_nan;
    sys.n_events = 2;
    for (k = 0; k < 2; k++) {
        ivp_options_init(&o);
        o.method = methods[k];
        o.max_step = 0.1;
        nan_from_t = 0.5;
        nan_event = k;
        assert_int_equal(ivp_solve(&sys, 0.0, 1.0, &y0, &o, NULL, &res, &err), IVP_ERR_EVENT);
        assert_int_equal(res.status, -1);
        assert_true(res.t > 0.5 && res.t <= 0.6 + 1e-12);
        if (strstr(res.message, k == 0 ? "event 0: g[0] = nan at t = 0.5"
                                       : "event 1: g[1] = inf at t = 0.5") == NULL) {
            fail_msg("message: %s", res.message);
        }
        /* already at t0 */
        nan_from_t = -1.0;
        assert_int_equal(ivp_solve(&sys, 0.0, 1.0, &y0, &o, NULL, &res, &err), IVP_ERR_EVENT);
        assert_int_equal(res.n_steps, 0);
        assert_non_null(strstr(res.message, "at t = 0"));
    }
}

/* A growth of t that succeeded while that of y failed used to leave cap_points doubled for
 * both, so a later push wrote y past its end. Now the group grows together or not at all. */
static void memsink_failed_growth_keeps_capacities(void **state)
{
    ivp_test_alloc ta;
    ivp_memsink ms;
    ivp_sink sink;
    double y[3];
    size_t i, j, n_ok;
    const size_t n = 3;
    (void)state;
    ivp_test_alloc_init(&ta, -1);
    assert_int_equal(ivp_memsink_init(&ms, n, 4, &ta.a, 0, 0, 0), IVP_OK);
    sink = ivp_memsink_sink(&ms);
    for (i = 0; i < 16; i++) {
        for (j = 0; j < n; j++) {
            y[j] = (double)(i * 10 + j);
        }
        assert_int_equal(sink.point(sink.ud, (double)i, y), 0);
    }
    assert_int_equal(ms.cap_points, 16);
    /* the 17th point needs new t and y blocks: let t's allocation succeed and y's fail */
    ta.fail_after = ta.n_alloc + 1;
    assert_int_not_equal(sink.point(sink.ud, 16.0, y), 0);
    assert_int_equal(ms.failed, 1);
    assert_int_equal(ms.n_points, 16);
    assert_int_equal(ms.cap_points, 16);
    assert_int_equal(ta.n_live, 2); /* the new t block was given back */
    /* the same for events (three arrays, the third fails) and segments */
    ta.fail_after = -1;
    assert_int_equal(sink.event(sink.ud, 0, 0.5, y), 0);
    assert_int_equal(ms.cap_ev, 16);
    for (i = 1; i < 16; i++) {
        assert_int_equal(sink.event(sink.ud, 0, 0.5, y), 0);
    }
    ta.fail_after = ta.n_alloc + 2;
    assert_int_not_equal(sink.event(sink.ud, 0, 0.5, y), 0);
    assert_int_equal(ms.cap_ev, 16);
    /* with memory back, later pushes grow every array and keep the data */
    ta.fail_after = -1;
    for (i = 16; i < 40; i++) {
        for (j = 0; j < n; j++) {
            y[j] = (double)(i * 10 + j);
        }
        assert_int_equal(sink.point(sink.ud, (double)i, y), 0);
        assert_int_equal(sink.event(sink.ud, 1, (double)i, y), 0);
    }
    n_ok = ms.n_points;
    assert_int_equal(n_ok, 40);
    assert_int_equal(ms.cap_points, 64);
    for (i = 0; i < n_ok; i++) {
        assert_true(ms.t[i] == (double)i);
        for (j = 0; j < n; j++) {
            assert_true(ms.y[i * n + j] == (double)(i * 10 + j));
        }
    }
    assert_int_equal(ms.n_ev, 40);
    assert_true(ms.ev_t[39] == 39.0 && ms.ev_y[39 * n + 2] == 392.0 && ms.ev_k[39] == 1);
    ivp_memsink_free(&ms);
    assert_int_equal(ta.n_live, 0);

    /* init: a failed reservation leaves nothing reserved (it used to keep cap_points for a
     * NULL y) */
    ivp_test_alloc_init(&ta, 1);
    assert_int_equal(ivp_memsink_init(&ms, n, 4, &ta.a, 8, 8, 8), IVP_ERR_NOMEM);
    assert_int_equal(ms.cap_points, 0);
    assert_null(ms.t);
    assert_int_equal(ta.n_live, 0);
    ta.fail_after = -1;
    sink = ivp_memsink_sink(&ms);
    assert_int_equal(sink.point(sink.ud, 0.0, y), 0);
    assert_int_equal(ms.n_points, 1);
    ivp_memsink_free(&ms);
    assert_int_equal(ta.n_live, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(solve_rejects_bad_arguments),
        cmocka_unit_test(solve_stops_when_the_sink_fails),
        cmocka_unit_test(solve_works_without_a_sink),
        cmocka_unit_test(registry_knows_all_six_methods),
        cmocka_unit_test(inline_norm_helpers_match_scipy_expressions),
        cmocka_unit_test(brentq_finds_roots_to_four_epsilon),
        cmocka_unit_test(result_counts_points_and_events),
        cmocka_unit_test(event_nan_is_fatal),
        cmocka_unit_test(memsink_failed_growth_keeps_capacities),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
