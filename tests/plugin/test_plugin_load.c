/* SPDX-License-Identifier: MIT
 * tests/plugin/test_plugin_load.c - ivp_plugin_load on shared objects: the examples, and every
 * way a plugin can be broken (tests/plugin/plugins/), each with its message.
 */
#define _POSIX_C_SOURCE 200809L /* chdir, getcwd */

#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "ivp/plugin.h"
#include "ivp/sha256.h"
#include "support.h"

/* Loads path, expecting failure with status st; returns the message (static storage). */
static const char *load_fails(const char *path, ivp_status st)
{
    static ivp_error err;
    static ivp_plugin dummy;
    ivp_plugin *pl = &dummy; /* non-NULL: the call must reset it */
    ivp_error_clear(&err);
    assert_int_equal(ivp_plugin_load(path, NULL, &pl, &err), st);
    assert_int_equal(err.status, st);
    assert_null(pl);
    ptest_assert_contains(err.msg, path);
    return err.msg;
}

static ivp_plugin *load_ok(const char *path)
{
    ivp_plugin *pl = NULL;
    ivp_error err;
    ivp_error_clear(&err);
    if (ivp_plugin_load(path, NULL, &pl, &err) != IVP_OK) {
        fail_msg("loading %s: %s", path, err.msg);
    }
    assert_non_null(pl);
    assert_non_null(pl->handle);
    assert_non_null(pl->rhs);
    assert_null(pl->source);
    assert_string_equal(pl->path, path);
    return pl;
}

/* pl->sha256 is the hash of the shared object's bytes. */
static void assert_sha256_of(const ivp_plugin *pl, const char *path)
{
    char hex[65];
    ivp_error err;
    assert_int_equal(ivp_sha256_file(path, hex, &err), IVP_OK);
    assert_int_equal(strlen(pl->sha256), 64);
    assert_string_equal(pl->sha256, hex);
}

static void load_vanderpol_example(void **state)
{
    ivp_plugin *pl = load_ok(EXAMPLE_VANDERPOL);
    const double p[] = {1.5};
    ivp_ctx ctx = {2, p, 1, NULL};
    const double y[] = {2.0, 0.5};
    double f[2], J[4];
    (void)state;
    assert_non_null(pl->jac);
    assert_null(pl->events);
    assert_null(pl->event_names);
    assert_int_equal(pl->n_events, 0);
    assert_null(pl->jac_sparsity);
    assert_null(pl->jac_values);
    assert_null(pl->init);
    assert_null(pl->fini);
    assert_int_equal(pl->n_params, 1);
    assert_string_equal(pl->param_names[0], "mu");
    assert_null(pl->param_names[1]);
    assert_true(pl->has_dim);
    assert_int_equal(pl->dim, 2);
    assert_sha256_of(pl, EXAMPLE_VANDERPOL);

    /* f = (y2, mu (1 - y1^2) y2 - y1) = (0.5, 1.5 * (-3) * 0.5 - 2) */
    assert_int_equal(pl->rhs(0.0, y, f, &ctx), 0);
    ivp_assert_close(f[0], 0.5, 0.0, 0.0);
    ivp_assert_close(f[1], -4.25, 1e-15, 0.0);
    /* Row-major: J[1] = df1/dy2 = 1, J[2] = df2/dy1 = -2 mu y1 y2 - 1 = -4. */
    assert_int_equal(pl->jac(0.0, y, J, &ctx), 0);
    ivp_assert_close(J[0], 0.0, 0.0, 0.0);
    ivp_assert_close(J[1], 1.0, 0.0, 0.0);
    ivp_assert_close(J[2], -4.0, 1e-15, 0.0);
    ivp_assert_close(J[3], -4.5, 1e-15, 0.0);
    ivp_plugin_close(pl);
}

static void load_lorenz_example(void **state)
{
    ivp_plugin *pl = load_ok(EXAMPLE_LORENZ);
    const double p[] = {10.0, 28.0, 8.0 / 3.0};
    ivp_ctx ctx = {3, p, 3, NULL};
    const double y[] = {1.0, 2.0, 3.0};
    double f[3];
    (void)state;
    assert_int_equal(pl->n_params, 3);
    assert_string_equal(pl->param_names[0], "sigma");
    assert_string_equal(pl->param_names[1], "rho");
    assert_string_equal(pl->param_names[2], "beta");
    assert_true(pl->has_dim);
    assert_int_equal(pl->dim, 3);
    assert_null(pl->events);
    assert_int_equal(pl->rhs(0.0, y, f, &ctx), 0);
    ivp_assert_close(f[0], 10.0, 1e-15, 0.0);
    ivp_assert_close(f[1], 1.0 * (28.0 - 3.0) - 2.0, 1e-15, 0.0);
    ivp_assert_close(f[2], 2.0 - 8.0, 1e-15, 0.0);
    ivp_plugin_close(pl);
}

static void load_bouncing_ball_example(void **state)
{
    ivp_plugin *pl = load_ok(EXAMPLE_BOUNCING_BALL);
    const double p[] = {9.81};
    ivp_ctx ctx = {2, p, 1, NULL};
    const double y[] = {3.0, -1.0};
    double f[2], g[1];
    (void)state;
    assert_non_null(pl->events);
    assert_int_equal(pl->n_events, 1);
    assert_string_equal(pl->event_names[0], "ground");
    assert_int_equal(pl->n_params, 1);
    assert_string_equal(pl->param_names[0], "g");
    assert_int_equal(pl->dim, 2);
    assert_int_equal(pl->rhs(0.0, y, f, &ctx), 0);
    ivp_assert_close(f[0], -1.0, 0.0, 0.0);
    ivp_assert_close(f[1], -9.81, 0.0, 0.0);
    assert_int_equal(pl->events(0.0, y, g, &ctx), 0);
    ivp_assert_close(g[0], 3.0, 0.0, 0.0);
    ivp_plugin_close(pl);
}

static void load_kepler_example(void **state)
{
    ivp_plugin *pl = load_ok(EXAMPLE_KEPLER);
    const double p[] = {1.0};
    ivp_ctx ctx = {4, p, 1, NULL};
    const double y[] = {-1.5, 0.0, 0.0, -0.5};
    double f[4], g[1];
    (void)state;
    assert_int_equal(pl->n_events, 1);
    assert_string_equal(pl->event_names[0], "revolution");
    assert_int_equal(pl->dim, 4);
    assert_int_equal(pl->rhs(0.0, y, f, &ctx), 0);
    ivp_assert_close(f[0], 0.0, 0.0, 0.0);
    ivp_assert_close(f[1], -0.5, 0.0, 0.0);
    ivp_assert_close(f[2], 1.0 / (1.5 * 1.5), 1e-15, 0.0); /* -mu x / r^3 with r = 1.5 */
    ivp_assert_close(f[3], 0.0, 0.0, 0.0);
    assert_int_equal(pl->events(0.0, y, g, &ctx), 0);
    ivp_assert_close(g[0], 0.0, 0.0, 0.0);
    ivp_plugin_close(pl);
}

static void load_plain_has_nothing_optional(void **state)
{
    ivp_plugin *pl = load_ok(PLUGIN_PLAIN);
    (void)state;
    assert_null(pl->jac);
    assert_null(pl->events);
    assert_null(pl->param_names);
    assert_int_equal(pl->n_params, 0);
    assert_null(pl->event_names);
    assert_false(pl->has_dim);
    assert_null(pl->init);
    assert_sha256_of(pl, PLUGIN_PLAIN);
    ivp_plugin_close(pl);
}

static void load_sparse_and_initfini_symbols(void **state)
{
    ivp_plugin *pl = load_ok(PLUGIN_SPARSE);
    (void)state;
    assert_non_null(pl->jac_sparsity);
    assert_non_null(pl->jac_values);
    assert_null(pl->jac);
    ivp_plugin_close(pl);
    pl = load_ok(PLUGIN_INITFINI);
    assert_non_null(pl->init);
    assert_non_null(pl->fini);
    ivp_plugin_close(pl);
}

static void load_rejects_missing_rhs(void **state)
{
    const char *msg = load_fails(PLUGIN_NO_RHS, IVP_ERR_PLUGIN);
    (void)state;
    ptest_assert_contains(msg, "required symbol 'rhs' not found");
    ptest_assert_contains(msg, "undefined symbol: rhs"); /* dlerror's text */
}

static void load_rejects_missing_abi_version(void **state)
{
    const char *msg = load_fails(PLUGIN_NO_ABI, IVP_ERR_PLUGIN);
    (void)state;
    ptest_assert_contains(msg, "required symbol 'ivp_abi_version' not found");
    ptest_assert_contains(msg, "undefined symbol: ivp_abi_version");
}

static void load_rejects_wrong_abi_version(void **state)
{
    const char *msg = load_fails(PLUGIN_ABI_V2, IVP_ERR_PLUGIN);
    (void)state;
    ptest_assert_contains(msg, "plugin ABI version 2");
    ptest_assert_contains(msg, "supports version 1");
}

static void load_rejects_events_without_names(void **state)
{
    const char *msg = load_fails(PLUGIN_EVENTS_NO_NAMES, IVP_ERR_PLUGIN);
    (void)state;
    ptest_assert_contains(msg, "'ivp_event_names' is required");
    ptest_assert_contains(msg, "undefined symbol: ivp_event_names");
}

static void load_rejects_names_without_events(void **state)
{
    const char *msg = load_fails(PLUGIN_NAMES_NO_EVENTS, IVP_ERR_PLUGIN);
    (void)state;
    ptest_assert_contains(msg, "'events' is required");
    ptest_assert_contains(msg, "undefined symbol: events");
}

static void load_rejects_jac_values_without_sparsity(void **state)
{
    const char *msg = load_fails(PLUGIN_VALUES_NO_SPARSITY, IVP_ERR_PLUGIN);
    (void)state;
    ptest_assert_contains(msg, "'jac_sparsity' is required");
    ptest_assert_contains(msg, "undefined symbol: jac_sparsity");
}

static void load_rejects_duplicate_param_names(void **state)
{
    const char *msg = load_fails(PLUGIN_DUP_PARAMS, IVP_ERR_PLUGIN);
    (void)state;
    ptest_assert_contains(msg, "ivp_param_names lists 'k' twice");
}

static void load_rejects_nonexistent_file(void **state)
{
    const char *msg = load_fails(PLUGIN_TEST_DIR "/no-such-plugin.so", IVP_ERR_PLUGIN);
    (void)state;
    ptest_assert_contains(msg, "cannot open plugin:");
    ptest_assert_contains(msg, "No such file or directory");
}

static void load_rejects_non_shared_object(void **state)
{
    const char *path = PLUGIN_TEST_DIR "/not-a-plugin.so";
    const char *msg;
    (void)state;
    ptest_mkdir_p(PLUGIN_TEST_DIR);
    ptest_write_text(path, "This is a text file, not an ELF shared object. It is long enough for\n"
                           "the loader to read a whole ELF header from it and reject that.\n");
    msg = load_fails(path, IVP_ERR_PLUGIN);
    ptest_assert_contains(msg, "cannot open plugin:");
    ptest_assert_contains(msg, "invalid ELF header");
}

static void load_rejects_empty_path(void **state)
{
    ivp_plugin *pl = NULL;
    ivp_error err;
    (void)state;
    assert_int_equal(ivp_plugin_load("", NULL, &pl, &err), IVP_ERR_PLUGIN);
    assert_null(pl);
}

/* A path without a slash is a file in the working directory, never a library-path search:
 * "plain.so" loads from the plugins folder, and "libm.so.6" (which dlopen alone would find in
 * the system folders) is not found. */
static void load_path_without_slash_is_relative(void **state)
{
    char cwd[PTEST_PATH_MAX], dir[PTEST_PATH_MAX];
    const char *slash = strrchr(PLUGIN_PLAIN, '/');
    ivp_plugin *pl = NULL;
    void *libm;
    ivp_error err;
    ivp_status st;
    (void)state;

    libm = dlopen("libm.so.6", RTLD_NOW | RTLD_LOCAL); /* the premise: a search would find it */
    assert_non_null(libm);
    dlclose(libm);

    assert_non_null(slash);
    ptest_path(dir, "%.*s", (int)(slash - PLUGIN_PLAIN), PLUGIN_PLAIN);
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(dir), 0);
    st = ivp_plugin_load(slash + 1, NULL, &pl, &err);
    if (st == IVP_OK) {
        assert_string_equal(pl->path, "./plain.so");
        ivp_plugin_close(pl);
        pl = NULL;
        st = ivp_plugin_load("libm.so.6", NULL, &pl, &err);
    }
    assert_int_equal(chdir(cwd), 0);
    assert_int_equal(st, IVP_ERR_PLUGIN);
    assert_null(pl);
    ptest_assert_contains(err.msg, "libm.so.6: cannot open plugin:");
    ptest_assert_contains(err.msg, "./libm.so.6");
}

static void close_null_is_noop(void **state)
{
    (void)state;
    ivp_plugin_close(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(load_vanderpol_example),
        cmocka_unit_test(load_lorenz_example),
        cmocka_unit_test(load_bouncing_ball_example),
        cmocka_unit_test(load_kepler_example),
        cmocka_unit_test(load_plain_has_nothing_optional),
        cmocka_unit_test(load_sparse_and_initfini_symbols),
        cmocka_unit_test(load_rejects_missing_rhs),
        cmocka_unit_test(load_rejects_missing_abi_version),
        cmocka_unit_test(load_rejects_wrong_abi_version),
        cmocka_unit_test(load_rejects_events_without_names),
        cmocka_unit_test(load_rejects_names_without_events),
        cmocka_unit_test(load_rejects_jac_values_without_sparsity),
        cmocka_unit_test(load_rejects_duplicate_param_names),
        cmocka_unit_test(load_rejects_nonexistent_file),
        cmocka_unit_test(load_rejects_non_shared_object),
        cmocka_unit_test(load_rejects_empty_path),
        cmocka_unit_test(load_path_without_slash_is_relative),
        cmocka_unit_test(close_null_is_noop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
