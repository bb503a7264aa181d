/* SPDX-License-Identifier: MIT
 * tests/plugin/test_plugin_instance.c - ivp_instance_new: binding a loaded plugin to a problem
 * (params by name, ivp_dim, events, jac and sparsity modes, ivp_init/ivp_fini).
 *
 * Problems are built by hand (not parsed from JSON), so these tests depend on plugin.c only.
 */
#define _POSIX_C_SOURCE 200809L

#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#include "fsutil.h"
#include "ivp/plugin.h"
#include "ivp/problem.h"
#include "support.h"

#define TP_MAX 8

/* A hand-built ivp_problem with room for its arrays. */
typedef struct tprob {
    ivp_problem p;
    double y0[TP_MAX];
    char names[2 * TP_MAX][32];
    char *param_names[TP_MAX];
    double param_values[TP_MAX];
    char *event_names[TP_MAX];
    ivp_event_opts event_opts[TP_MAX];
    size_t rows[TP_MAX], cols[TP_MAX];
    size_t used_names;
} tprob;

static void tp_init(tprob *t, size_t n)
{
    size_t i;
    memset(t, 0, sizeof *t);
    assert_true(n <= TP_MAX);
    for (i = 0; i < n; i++) {
        t->y0[i] = 1.0 + (double)i;
    }
    t->p.n = n;
    t->p.y0 = t->y0;
    t->p.t0 = 0.0;
    t->p.t_end = 1.0;
    t->p.rtol = 1e-3;
    t->p.atol = 1e-6;
    t->p.lband = -1;
    t->p.uband = -1;
    t->p.param_names = t->param_names;
    t->p.param_values = t->param_values;
    t->p.event_names = t->event_names;
    t->p.event_opts = t->event_opts;
}

static char *tp_name(tprob *t, const char *name)
{
    char *s = t->names[t->used_names++];
    assert_true(strlen(name) < sizeof t->names[0]);
    strcpy(s, name);
    return s;
}

static void tp_param(tprob *t, const char *name, double value)
{
    t->param_names[t->p.n_params] = tp_name(t, name);
    t->param_values[t->p.n_params] = value;
    t->p.n_params++;
}

static void tp_event(tprob *t, const char *name, unsigned long terminal, int direction)
{
    t->event_names[t->p.n_event_specs] = tp_name(t, name);
    t->event_opts[t->p.n_event_specs].terminal = terminal;
    t->event_opts[t->p.n_event_specs].direction = direction;
    t->p.n_event_specs++;
}

static void tp_pattern(tprob *t, const size_t *rows, const size_t *cols, size_t nnz)
{
    memcpy(t->rows, rows, nnz * sizeof *rows);
    memcpy(t->cols, cols, nnz * sizeof *cols);
    t->p.sparsity = IVP_SPARSITY_SPEC;
    t->p.sp_rows = t->rows;
    t->p.sp_cols = t->cols;
    t->p.sp_nnz = nnz;
}

static ivp_plugin *load(const char *path)
{
    ivp_plugin *pl = NULL;
    ivp_error err;
    if (ivp_plugin_load(path, NULL, &pl, &err) != IVP_OK) {
        fail_msg("loading %s: %s", path, err.msg);
    }
    return pl;
}

static ivp_instance *bind_ok(const ivp_plugin *pl, const tprob *t)
{
    ivp_instance *in = NULL;
    ivp_error err;
    ivp_error_clear(&err);
    if (ivp_instance_new(pl, &t->p, &in, &err) != IVP_OK) {
        fail_msg("binding %s: %s", pl->path, err.msg);
    }
    assert_non_null(in);
    assert_ptr_equal(in->plugin, pl);
    assert_ptr_equal(in->sys.ctx, &in->ctx);
    assert_ptr_equal(in->sys.rhs, pl->rhs);
    assert_int_equal(in->sys.n, t->p.n);
    assert_int_equal(in->ctx.n, t->p.n);
    return in;
}

/* Expects ivp_instance_new to fail with st; returns the message (static storage). */
static const char *bind_fails(const ivp_plugin *pl, const tprob *t, ivp_status st)
{
    static ivp_error err;
    static ivp_instance dummy;
    ivp_instance *in = &dummy; /* non-NULL: the call must reset it */
    ivp_error_clear(&err);
    assert_int_equal(ivp_instance_new(pl, &t->p, &in, &err), st);
    assert_int_equal(err.status, st);
    assert_null(in);
    return err.msg;
}

static void instance_binds_vanderpol(void **state)
{
    ivp_plugin *pl = load(EXAMPLE_VANDERPOL);
    const double y[] = {2.0, 1.0};
    double f[2];
    ivp_instance *in;
    tprob t;
    (void)state;
    tp_init(&t, 2);
    tp_param(&t, "mu", 3.0);
    in = bind_ok(pl, &t);
    assert_non_null(in->params);
    ivp_assert_close(in->params[0], 3.0, 0.0, 0.0);
    assert_ptr_equal(in->ctx.p, in->params);
    assert_int_equal(in->ctx.np, 1);
    assert_null(in->ctx.data);
    assert_ptr_equal(in->sys.jac, pl->jac); /* "jac" omitted: the plugin's */
    assert_null(in->sys.jac_values);
    assert_null(in->sys.events);
    assert_int_equal(in->sys.n_events, 0);
    assert_null(in->event_opts);
    assert_null(in->sys.sp_rows);
    assert_null(in->sys.sp_cols);
    assert_int_equal(in->sys.sp_nnz, 0);
    assert_int_equal(in->sys.lband, -1);
    assert_int_equal(in->sys.uband, -1);
    assert_false(in->initialised);
    /* Through the system, as the solver calls it: f2 = 3 (1 - 4) 1 - 2 = -11. */
    assert_int_equal(in->sys.rhs(0.0, y, f, in->sys.ctx), 0);
    ivp_assert_close(f[0], 1.0, 0.0, 0.0);
    ivp_assert_close(f[1], -11.0, 1e-15, 0.0);
    ivp_instance_free(in);
    ivp_plugin_close(pl);
}

static void instance_orders_params_as_plugin_declares(void **state)
{
    ivp_plugin *pl = load(EXAMPLE_LORENZ);
    ivp_instance *in;
    tprob t;
    (void)state;
    tp_init(&t, 3);
    tp_param(&t, "beta", 2.5);
    tp_param(&t, "sigma", 10.0);
    tp_param(&t, "rho", 28.0);
    in = bind_ok(pl, &t);
    assert_int_equal(in->ctx.np, 3);
    ivp_assert_close(in->ctx.p[0], 10.0, 0.0, 0.0);
    ivp_assert_close(in->ctx.p[1], 28.0, 0.0, 0.0);
    ivp_assert_close(in->ctx.p[2], 2.5, 0.0, 0.0);
    ivp_instance_free(in);
    ivp_plugin_close(pl);
}

static void instance_rejects_missing_param(void **state)
{
    ivp_plugin *pl = load(EXAMPLE_LORENZ);
    tprob t;
    (void)state;
    tp_init(&t, 3);
    tp_param(&t, "sigma", 10.0);
    tp_param(&t, "beta", 2.5);
    assert_string_equal(bind_fails(pl, &t, IVP_ERR_SPEC),
                        "$.params: missing parameter 'rho' declared by the plugin");
    ivp_plugin_close(pl);
}

static void instance_rejects_unknown_param(void **state)
{
    ivp_plugin *pl = load(EXAMPLE_VANDERPOL);
    tprob t;
    (void)state;
    tp_init(&t, 2);
    tp_param(&t, "mu", 1.0);
    tp_param(&t, "foo", 2.0);
    assert_string_equal(bind_fails(pl, &t, IVP_ERR_SPEC),
                        "$.params.foo: the plugin does not declare a parameter 'foo' (it "
                        "declares: mu)");
    ivp_plugin_close(pl);

    pl = load(EXAMPLE_LORENZ);
    tp_init(&t, 3);
    tp_param(&t, "sigma", 10.0);
    tp_param(&t, "r", 28.0);
    assert_string_equal(bind_fails(pl, &t, IVP_ERR_SPEC),
                        "$.params.r: the plugin does not declare a parameter 'r' (it declares: "
                        "sigma, rho, beta)");
    ivp_plugin_close(pl);
}

static void instance_rejects_param_given_twice(void **state)
{
    ivp_plugin *pl = load(EXAMPLE_VANDERPOL);
    tprob t;
    (void)state;
    tp_init(&t, 2);
    tp_param(&t, "mu", 1.0);
    tp_param(&t, "mu", 2.0);
    assert_string_equal(bind_fails(pl, &t, IVP_ERR_SPEC), "$.params.mu: given twice");
    ivp_plugin_close(pl);
}

static void instance_rejects_params_for_plugin_without_names(void **state)
{
    ivp_plugin *pl = load(PLUGIN_PLAIN);
    const char *msg;
    tprob t;
    (void)state;
    tp_init(&t, 2);
    tp_param(&t, "a", 1.0);
    msg = bind_fails(pl, &t, IVP_ERR_SPEC);
    ptest_assert_contains(msg, "$.params.a: the plugin does not declare any parameters");
    ptest_assert_contains(msg, "ivp_param_names");
    ivp_plugin_close(pl);
}

static void instance_plain_plugin_takes_any_dimension(void **state)
{
    ivp_plugin *pl = load(PLUGIN_PLAIN);
    ivp_instance *in;
    tprob t;
    (void)state;
    tp_init(&t, 7);
    in = bind_ok(pl, &t);
    assert_null(in->params);
    assert_null(in->ctx.p);
    assert_int_equal(in->ctx.np, 0);
    assert_null(in->sys.jac);
    ivp_instance_free(in);
    ivp_plugin_close(pl);
}

static void instance_rejects_dim_mismatch(void **state)
{
    ivp_plugin *pl = load(EXAMPLE_VANDERPOL);
    tprob t;
    (void)state;
    tp_init(&t, 3);
    tp_param(&t, "mu", 1.0);
    assert_string_equal(bind_fails(pl, &t, IVP_ERR_SPEC),
                        "$.y0: has 3 values but the plugin's ivp_dim is 2");
    tp_init(&t, 0);
    tp_param(&t, "mu", 1.0);
    ptest_assert_contains(bind_fails(pl, &t, IVP_ERR_SPEC), "$.y0:");
    ivp_plugin_close(pl);
}

static void instance_event_options_default_and_from_spec(void **state)
{
    ivp_plugin *pl = load(EXAMPLE_BOUNCING_BALL);
    ivp_instance *in;
    tprob t;
    (void)state;
    /* Not in the spec: still detected, non-terminal, both directions. */
    tp_init(&t, 2);
    tp_param(&t, "g", 9.81);
    in = bind_ok(pl, &t);
    assert_ptr_equal(in->sys.events, pl->events);
    assert_int_equal(in->sys.n_events, 1);
    assert_non_null(in->event_opts);
    assert_int_equal(in->event_opts[0].terminal, 0);
    assert_int_equal(in->event_opts[0].direction, 0);
    ivp_instance_free(in);

    tp_event(&t, "ground", 2, -1);
    in = bind_ok(pl, &t);
    assert_int_equal(in->event_opts[0].terminal, 2);
    assert_int_equal(in->event_opts[0].direction, -1);
    ivp_instance_free(in);
    ivp_plugin_close(pl);
}

static void instance_rejects_unknown_event(void **state)
{
    ivp_plugin *pl = load(EXAMPLE_BOUNCING_BALL);
    tprob t;
    (void)state;
    tp_init(&t, 2);
    tp_param(&t, "g", 9.81);
    tp_event(&t, "ceiling", 1, 0);
    assert_string_equal(bind_fails(pl, &t, IVP_ERR_SPEC),
                        "$.events.ceiling: the plugin does not declare an event 'ceiling' (it "
                        "declares: ground)");
    ivp_plugin_close(pl);

    pl = load(EXAMPLE_VANDERPOL);
    tp_init(&t, 2);
    tp_param(&t, "mu", 1.0);
    tp_event(&t, "crossing", 0, 1);
    assert_string_equal(bind_fails(pl, &t, IVP_ERR_SPEC),
                        "$.events.crossing: the plugin does not declare an event 'crossing' (it "
                        "declares: none)");
    ivp_plugin_close(pl);
}

static void instance_jac_modes(void **state)
{
    ivp_plugin *pl = load(EXAMPLE_VANDERPOL);
    ivp_instance *in;
    tprob t;
    (void)state;
    tp_init(&t, 2);
    tp_param(&t, "mu", 1.0);
    t.p.jac = IVP_JAC_FD;
    in = bind_ok(pl, &t);
    assert_null(in->sys.jac);
    assert_null(in->sys.jac_values);
    ivp_instance_free(in);
    t.p.jac = IVP_JAC_PLUGIN;
    in = bind_ok(pl, &t);
    assert_ptr_equal(in->sys.jac, pl->jac);
    ivp_instance_free(in);
    ivp_plugin_close(pl);
}

static void instance_rejects_jac_plugin_without_jac(void **state)
{
    ivp_plugin *pl = load(EXAMPLE_LORENZ);
    ivp_instance *in;
    tprob t;
    (void)state;
    tp_init(&t, 3);
    tp_param(&t, "sigma", 10.0);
    tp_param(&t, "rho", 28.0);
    tp_param(&t, "beta", 2.5);
    t.p.jac = IVP_JAC_PLUGIN;
    ptest_assert_contains(bind_fails(pl, &t, IVP_ERR_SPEC),
                          "$.jac: \"plugin\" asks for the plugin's Jacobian, but it defines "
                          "neither 'jac' nor 'jac_values'");
    t.p.jac = IVP_JAC_AUTO; /* omitted: finite differences */
    in = bind_ok(pl, &t);
    assert_null(in->sys.jac);
    ivp_instance_free(in);
    ivp_plugin_close(pl);
}

static void instance_uses_plugin_sparsity(void **state)
{
    ivp_plugin *pl = load(PLUGIN_SPARSE);
    const double y[] = {1.0, 1.0, 1.0, 1.0};
    double v[4];
    ivp_instance *in;
    size_t k;
    tprob t;
    (void)state;
    tp_init(&t, 4);
    tp_param(&t, "mode", 0.0);
    t.p.sparsity = IVP_SPARSITY_PLUGIN;
    in = bind_ok(pl, &t);
    assert_int_equal(in->sys.sp_nnz, 4);
    assert_ptr_equal(in->sys.sp_rows, in->sp_rows);
    assert_ptr_equal(in->sys.sp_cols, in->sp_cols);
    for (k = 0; k < 4; k++) {
        assert_int_equal(in->sys.sp_rows[k], k);
        assert_int_equal(in->sys.sp_cols[k], k);
    }
    assert_ptr_equal(in->sys.jac_values, pl->jac_values);
    assert_null(in->sys.jac);
    assert_int_equal(in->sys.jac_values(0.0, y, v, in->sys.ctx), 0);
    ivp_assert_close(v[3], -4.0, 0.0, 0.0);
    ivp_instance_free(in);

    t.p.jac = IVP_JAC_PLUGIN;
    in = bind_ok(pl, &t);
    assert_ptr_equal(in->sys.jac_values, pl->jac_values);
    ivp_instance_free(in);

    t.p.jac = IVP_JAC_FD; /* the pattern stays (grouped finite differences), the values go */
    in = bind_ok(pl, &t);
    assert_null(in->sys.jac_values);
    assert_int_equal(in->sys.sp_nnz, 4);
    ivp_instance_free(in);
    ivp_plugin_close(pl);
}

/* jac_values gives values at the plugin's own positions: without "jac_sparsity": "plugin" they
 * cannot be placed, so they are not used, and asking for them is an error. */
static void instance_jac_values_need_plugin_pattern(void **state)
{
    static const size_t rows[] = {0, 1, 2, 3, 0}, cols[] = {0, 1, 2, 3, 3};
    ivp_plugin *pl = load(PLUGIN_SPARSE);
    ivp_instance *in;
    tprob t;
    (void)state;
    tp_init(&t, 4);
    tp_param(&t, "mode", 0.0);
    in = bind_ok(pl, &t); /* no pattern, jac omitted: finite differences */
    assert_null(in->sys.jac_values);
    assert_null(in->sys.sp_rows);
    ivp_instance_free(in);

    t.p.jac = IVP_JAC_PLUGIN;
    ptest_assert_contains(bind_fails(pl, &t, IVP_ERR_SPEC),
                          "$.jac: the plugin's Jacobian is 'jac_values'");
    tp_pattern(&t, rows, cols, 5);
    ptest_assert_contains(bind_fails(pl, &t, IVP_ERR_SPEC), "\"jac_sparsity\": \"plugin\"");

    t.p.jac = IVP_JAC_AUTO;
    in = bind_ok(pl, &t);
    assert_null(in->sys.jac_values);
    assert_int_equal(in->sys.sp_nnz, 5);
    ivp_instance_free(in);
    ivp_plugin_close(pl);
}

static void instance_rejects_plugin_sparsity_when_absent(void **state)
{
    ivp_plugin *pl = load(EXAMPLE_VANDERPOL);
    tprob t;
    (void)state;
    tp_init(&t, 2);
    tp_param(&t, "mu", 1.0);
    t.p.sparsity = IVP_SPARSITY_PLUGIN;
    ptest_assert_contains(bind_fails(pl, &t, IVP_ERR_SPEC),
                          "$.jac_sparsity: \"plugin\" asks for the plugin's pattern, but it "
                          "does not define 'jac_sparsity'");
    ivp_plugin_close(pl);
}

static void instance_rejects_bad_plugin_sparsity(void **state)
{
    ivp_plugin *pl = load(PLUGIN_SPARSE);
    const char *msg;
    tprob t;
    (void)state;
    tp_init(&t, 4);
    tp_param(&t, "mode", 1.0);
    t.p.sparsity = IVP_SPARSITY_PLUGIN;
    msg = bind_fails(pl, &t, IVP_ERR_PLUGIN);
    ptest_assert_contains(msg, PLUGIN_SPARSE ": jac_sparsity returned -3");

    t.param_values[0] = 2.0;
    msg = bind_fails(pl, &t, IVP_ERR_PLUGIN);
    ptest_assert_contains(msg, PLUGIN_SPARSE
                          ": jac_sparsity entry 3 (row 4, col 3) is out of range for n = 4");

    t.param_values[0] = 3.0;
    msg = bind_fails(pl, &t, IVP_ERR_PLUGIN);
    ptest_assert_contains(msg, "jac_sparsity returned 5 entries, but 4 when asked for the count");

    t.param_values[0] = 4.0;
    msg = bind_fails(pl, &t, IVP_ERR_PLUGIN);
    ptest_assert_contains(msg, "jac_sparsity returned -2 when asked for the entries");

    /* Each (row, col) at most once, as in a spec's pattern. */
    t.param_values[0] = 5.0;
    msg = bind_fails(pl, &t, IVP_ERR_PLUGIN);
    ptest_assert_contains(msg,
                          PLUGIN_SPARSE ": jac_sparsity entry 3 (row 0, col 0) repeats entry 0");
    ivp_plugin_close(pl);
}

static void instance_copies_spec_sparsity(void **state)
{
    static const size_t rows[] = {0, 1, 1, 2}, cols[] = {0, 0, 1, 2};
    ivp_plugin *pl = load(PLUGIN_PLAIN);
    ivp_instance *in;
    size_t k;
    tprob t;
    (void)state;
    tp_init(&t, 3);
    tp_pattern(&t, rows, cols, 4);
    in = bind_ok(pl, &t);
    assert_int_equal(in->sys.sp_nnz, 4);
    assert_ptr_not_equal(in->sys.sp_rows, t.p.sp_rows); /* an owned copy */
    assert_ptr_equal(in->sys.sp_rows, in->sp_rows);
    for (k = 0; k < 4; k++) {
        assert_int_equal(in->sys.sp_rows[k], rows[k]);
        assert_int_equal(in->sys.sp_cols[k], cols[k]);
    }
    ivp_instance_free(in);
    ivp_plugin_close(pl);
}

static void instance_rejects_spec_sparsity_out_of_range(void **state)
{
    static const size_t rows[] = {0, 1, 2, 3, 3, 7}, cols[] = {0, 1, 2, 3, 2, 2};
    static const size_t rows2[] = {0, 1}, cols2[] = {0, 4};
    ivp_plugin *pl = load(PLUGIN_PLAIN);
    tprob t;
    (void)state;
    tp_init(&t, 4);
    tp_pattern(&t, rows, cols, 6);
    assert_string_equal(bind_fails(pl, &t, IVP_ERR_SPEC),
                        "$.jac_sparsity: entry 5 (row 7, col 2) is out of range for n = 4");
    tp_pattern(&t, rows2, cols2, 2);
    assert_string_equal(bind_fails(pl, &t, IVP_ERR_SPEC),
                        "$.jac_sparsity: entry 1 (row 1, col 4) is out of range for n = 4");
    ivp_plugin_close(pl);
}

static void instance_passes_band_widths(void **state)
{
    ivp_plugin *pl = load(PLUGIN_PLAIN);
    ivp_instance *in;
    tprob t;
    (void)state;
    tp_init(&t, 5);
    t.p.lband = 1;
    t.p.uband = 2;
    in = bind_ok(pl, &t);
    assert_int_equal(in->sys.lband, 1);
    assert_int_equal(in->sys.uband, 2);
    assert_null(in->sys.sp_rows);
    ivp_instance_free(in);
    ivp_plugin_close(pl);
}

static int *counter(const ivp_plugin *pl, const char *name)
{
    int *c = dlsym(pl->handle, name);
    assert_non_null(c);
    return c;
}

static void instance_reports_failing_init_without_fini(void **state)
{
    ivp_plugin *pl = load(PLUGIN_INITFINI);
    int *inits = counter(pl, "test_init_calls"), *finis = counter(pl, "test_fini_calls");
    int inits0 = *inits, finis0 = *finis;
    tprob t;
    (void)state;
    tp_init(&t, 1);
    tp_param(&t, "init_rc", 5.0);
    assert_string_equal(bind_fails(pl, &t, IVP_ERR_PLUGIN),
                        PLUGIN_INITFINI ": ivp_init returned 5");
    t.param_values[0] = -7.0;
    assert_string_equal(bind_fails(pl, &t, IVP_ERR_PLUGIN),
                        PLUGIN_INITFINI ": ivp_init returned -7");
    assert_int_equal(*inits - inits0, 2);
    assert_int_equal(*finis - finis0, 0);
    ivp_plugin_close(pl);
}

static void instance_calls_fini_once(void **state)
{
    ivp_plugin *pl = load(PLUGIN_INITFINI);
    int *inits = counter(pl, "test_init_calls"), *finis = counter(pl, "test_fini_calls");
    int inits0 = *inits, finis0 = *finis;
    const double y[] = {3.0};
    double f[1];
    ivp_instance *a, *b;
    tprob t;
    (void)state;
    tp_init(&t, 1);
    tp_param(&t, "init_rc", 0.0);
    a = bind_ok(pl, &t);
    b = bind_ok(pl, &t); /* one context per solve: two instances, two blocks */
    assert_true(a->initialised);
    assert_non_null(a->ctx.data);
    assert_ptr_not_equal(a->ctx.data, b->ctx.data);
    assert_int_equal(*inits - inits0, 2);
    assert_int_equal(a->sys.rhs(0.0, y, f, a->sys.ctx), 0); /* rhs reads ctx->data (2.0) */
    ivp_assert_close(f[0], -6.0, 0.0, 0.0);
    ivp_instance_free(a);
    assert_int_equal(*finis - finis0, 1);
    ivp_instance_free(b);
    assert_int_equal(*finis - finis0, 2);
    ivp_plugin_close(pl);
}

static void instance_free_null_is_noop(void **state)
{
    (void)state;
    ivp_instance_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(instance_binds_vanderpol),
        cmocka_unit_test(instance_orders_params_as_plugin_declares),
        cmocka_unit_test(instance_rejects_missing_param),
        cmocka_unit_test(instance_rejects_unknown_param),
        cmocka_unit_test(instance_rejects_param_given_twice),
        cmocka_unit_test(instance_rejects_params_for_plugin_without_names),
        cmocka_unit_test(instance_plain_plugin_takes_any_dimension),
        cmocka_unit_test(instance_rejects_dim_mismatch),
        cmocka_unit_test(instance_event_options_default_and_from_spec),
        cmocka_unit_test(instance_rejects_unknown_event),
        cmocka_unit_test(instance_jac_modes),
        cmocka_unit_test(instance_rejects_jac_plugin_without_jac),
        cmocka_unit_test(instance_uses_plugin_sparsity),
        cmocka_unit_test(instance_jac_values_need_plugin_pattern),
        cmocka_unit_test(instance_rejects_plugin_sparsity_when_absent),
        cmocka_unit_test(instance_rejects_bad_plugin_sparsity),
        cmocka_unit_test(instance_copies_spec_sparsity),
        cmocka_unit_test(instance_rejects_spec_sparsity_out_of_range),
        cmocka_unit_test(instance_passes_band_widths),
        cmocka_unit_test(instance_reports_failing_init_without_fini),
        cmocka_unit_test(instance_calls_fini_once),
        cmocka_unit_test(instance_free_null_is_noop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
