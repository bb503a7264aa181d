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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(solve_rejects_bad_arguments),
        cmocka_unit_test(solve_stops_when_the_sink_fails),
        cmocka_unit_test(solve_works_without_a_sink),
        cmocka_unit_test(registry_knows_all_six_methods),
        cmocka_unit_test(brentq_finds_roots_to_four_epsilon),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
