/* SPDX-License-Identifier: MIT
 * tests/plugin/test_plugin_build.c - building plugins from C source: on-demand builds into the
 * cache (ivp_plugin_load of a ".c"), cache hits, compiler failures, ivp_plugin_build, the cache
 * folder's environment variables, and concurrent builds of one source.
 *
 * Everything happens under PLUGIN_TEST_DIR (in the build tree), in folders whose names contain
 * spaces, since the compiler is run without a shell.
 */
#define _POSIX_C_SOURCE 200809L /* setenv, fork */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fsutil.h"
#include "ivp/plugin.h"
#include "plugin_header.h"
#include "support.h"

#define WORK PLUGIN_TEST_DIR "/work dir"
#define CACHE PLUGIN_TEST_DIR "/cache dir"

/* y' = -k y; 'k' is the only parameter. %s is replaced by an extra line, to vary the source. */
static const char decay_fmt[] = "#include \"ivp_plugin.h\"\n"
                                "IVP_PLUGIN_ABI;\n"
                                "const char *const ivp_param_names[] = {\"k\", NULL};\n"
                                "%s\n"
                                "int rhs(double t, const double *y, double *dydt, "
                                "const ivp_ctx *ctx)\n"
                                "{\n"
                                "    (void)t;\n"
                                "    dydt[0] = -ctx->p[0] * y[0];\n"
                                "    return 0;\n"
                                "}\n";

static void write_decay(const char *path, const char *extra)
{
    char text[2048];
    snprintf(text, sizeof text, decay_fmt, extra);
    ptest_write_text(path, text);
}

/* Calls the plugin's rhs with k = 3 at y = 2 and checks -6. */
static void check_decay(const ivp_plugin *pl)
{
    const double k[] = {3.0}, y[] = {2.0};
    ivp_ctx ctx = {1, k, 1, NULL};
    double f[1];
    assert_int_equal(pl->n_params, 1);
    assert_string_equal(pl->param_names[0], "k");
    assert_int_equal(pl->rhs(0.0, y, f, &ctx), 0);
    ivp_assert_close(f[0], -6.0, 0.0, 0.0);
}

/* Number of built plugins in the cache; fails if a temporary build folder was left behind. */
static size_t cached_plugins(const char *cache)
{
    char dir[PTEST_PATH_MAX];
    size_t n, n_tmp;
    ptest_path(dir, "%s/plugins", cache);
    n = ptest_count(dir, ".", &n_tmp);
    assert_int_equal(n_tmp, 0);
    return n;
}

/* ivp_plugin_load(src, CACHE) with PATH set to path for the call. */
static ivp_status with_path(const char *path, const char *src, ivp_plugin **pl, ivp_error *err)
{
    const char *old = getenv("PATH");
    char *saved = old != NULL ? strdup(old) : NULL;
    ivp_status st;
    assert_true(old == NULL || saved != NULL);
    setenv("PATH", path, 1);
    st = ivp_plugin_load(src, CACHE, pl, err);
    if (saved != NULL) {
        setenv("PATH", saved, 1);
    } else {
        unsetenv("PATH");
    }
    free(saved);
    return st;
}

static int setup(void **state)
{
    (void)state;
    ptest_fresh_dir(WORK);
    ptest_rm_rf(CACHE);
    unsetenv("CC"); /* "cc" in messages, whatever the caller's environment */
    return 0;
}

static void build_on_demand_then_cache_hit(void **state)
{
    char src[PTEST_PATH_MAX], so[PTEST_PATH_MAX], prefix[PTEST_PATH_MAX];
    ivp_plugin *pl = NULL;
    long long mtime;
    ivp_status st;
    ivp_error err;
    (void)state;
    ptest_path(src, "%s/decay model.c", WORK);
    write_decay(src, "");

    if (ivp_plugin_load(src, CACHE, &pl, &err) != IVP_OK) {
        fail_msg("%s", err.msg);
    }
    assert_string_equal(pl->source, src);
    ptest_path(prefix, "%s/plugins/", CACHE);
    assert_int_equal(strncmp(pl->path, prefix, strlen(prefix)), 0);
    assert_int_equal(strlen(pl->path), strlen(prefix) + 64 + 3); /* <sha256 hex>.so */
    assert_string_equal(pl->path + strlen(pl->path) - 3, ".so");
    assert_int_equal(strlen(pl->sha256), 64);
    check_decay(pl);
    ptest_path(so, "%s", pl->path);
    ivp_plugin_close(pl);
    assert_int_equal(cached_plugins(CACHE), 1);
    mtime = ptest_mtime_ns(so);

    /* Second load: no compiler needed, same file. With PATH emptied "cc" cannot be found (CC
     * itself is part of the cache key, so it must stay the same), proving none is run. */
    pl = NULL;
    st = with_path("/nonexistent", src, &pl, &err);
    if (st != IVP_OK) {
        fail_msg("cache hit failed: %s", err.msg);
    }
    assert_string_equal(pl->path, so);
    check_decay(pl);
    ivp_plugin_close(pl);
    assert_int_equal(cached_plugins(CACHE), 1);
    assert_true(ptest_mtime_ns(so) == mtime);
}

/* The key covers the source text: an edit builds a second plugin next to the first. */
static void build_key_follows_source_text(void **state)
{
    char src[PTEST_PATH_MAX], first[PTEST_PATH_MAX];
    ivp_plugin *pl = NULL;
    ivp_error err;
    (void)state;
    ptest_path(src, "%s/decay.c", WORK);
    write_decay(src, "");
    assert_int_equal(ivp_plugin_load(src, CACHE, &pl, &err), IVP_OK);
    ptest_path(first, "%s", pl->path);
    ivp_plugin_close(pl);
    write_decay(src, "/* edited */");
    assert_int_equal(ivp_plugin_load(src, CACHE, &pl, &err), IVP_OK);
    assert_string_not_equal(pl->path, first);
    check_decay(pl);
    ivp_plugin_close(pl);
    assert_int_equal(cached_plugins(CACHE), 2);
}

/* The header in <cache>/include is ivp's built-in copy, rewritten when it differs. */
static void build_installs_abi_header(void **state)
{
    char src[PTEST_PATH_MAX], hdr[PTEST_PATH_MAX];
    const unsigned char *builtin;
    size_t builtin_len, len;
    ivp_plugin *pl = NULL;
    char *text, *orig;
    ivp_error err;
    (void)state;
    ptest_path(src, "%s/decay.c", WORK);
    ptest_path(hdr, "%s/include/ivp_plugin.h", CACHE);
    write_decay(src, "");
    assert_int_equal(ivp_plugin_load(src, CACHE, &pl, &err), IVP_OK);
    ivp_plugin_close(pl);

    builtin = ivp_plugin_header_data(&builtin_len);
    orig = ptest_read(EXAMPLES_SOURCE_DIR "/ivp_plugin.h", &len);
    assert_int_equal(builtin_len, len);
    assert_memory_equal(builtin, orig, len);
    text = ptest_read(hdr, &len);
    assert_int_equal(len, builtin_len);
    assert_memory_equal(text, orig, len);
    free(text);

    ptest_write_text(hdr, "#error stale header\n");
    assert_int_equal(ivp_plugin_load(src, CACHE, &pl, &err), IVP_OK); /* a cache hit, but */
    ivp_plugin_close(pl);
    text = ptest_read(hdr, &len); /* the header is repaired */
    assert_int_equal(len, builtin_len);
    assert_memory_equal(text, orig, len);
    free(text);
    free(orig);
}

static void build_reports_compiler_errors(void **state)
{
    char src[PTEST_PATH_MAX];
    ivp_plugin *pl = NULL;
    ivp_error err;
    (void)state;
    ptest_path(src, "%s/bad syntax.c", WORK);
    ptest_write_text(src, "this is not C;\n");
    assert_int_equal(ivp_plugin_load(src, CACHE, &pl, &err), IVP_ERR_BUILD);
    assert_null(pl);
    assert_int_equal(err.status, IVP_ERR_BUILD);
    ptest_assert_contains(err.msg, src);
    ptest_assert_contains(err.msg, ": compilation failed (cc exited with 1):\n");
    ptest_assert_contains(err.msg, "bad syntax.c:1:1: error:"); /* the compiler's own words */
    assert_int_equal(cached_plugins(CACHE), 0);
}

static void build_reports_missing_compiler(void **state)
{
    char src[PTEST_PATH_MAX];
    ivp_plugin *pl = NULL;
    ivp_status st;
    ivp_error err;
    (void)state;
    ptest_path(src, "%s/decay.c", WORK);
    write_decay(src, "");
    setenv("CC", "/nonexistent/ivp-test-cc", 1);
    st = ivp_plugin_load(src, CACHE, &pl, &err);
    unsetenv("CC");
    assert_int_equal(st, IVP_ERR_BUILD);
    assert_null(pl);
    ptest_assert_contains(err.msg, "cannot run the C compiler '/nonexistent/ivp-test-cc'");
    ptest_assert_contains(err.msg, "No such file or directory");
    assert_int_equal(cached_plugins(CACHE), 0);
}

static void build_reports_missing_source(void **state)
{
    ivp_plugin *pl = NULL;
    ivp_error err;
    (void)state;
    assert_int_equal(ivp_plugin_load(WORK "/absent.c", CACHE, &pl, &err), IVP_ERR_PLUGIN);
    assert_null(pl);
    ptest_assert_contains(err.msg, WORK "/absent.c: cannot open plugin source:");
    ptest_assert_contains(err.msg, "No such file or directory");
}

/* CC is split into words, as make does, and the words are part of the cache key. */
static void build_splits_cc_into_words(void **state)
{
    char src[PTEST_PATH_MAX];
    ivp_plugin *pl = NULL;
    ivp_status st;
    ivp_error err;
    (void)state;
    ptest_path(src, "%s/needs flag.c", WORK);
    write_decay(src, "#ifndef IVP_TEST_FLAG\n#error IVP_TEST_FLAG is not defined\n#endif");
    assert_int_equal(ivp_plugin_load(src, CACHE, &pl, &err), IVP_ERR_BUILD);
    ptest_assert_contains(err.msg, "IVP_TEST_FLAG is not defined");
    setenv("CC", " cc  -DIVP_TEST_FLAG=1 ", 1);
    st = ivp_plugin_load(src, CACHE, &pl, &err);
    unsetenv("CC");
    if (st != IVP_OK) {
        fail_msg("%s", err.msg);
    }
    check_decay(pl);
    ivp_plugin_close(pl);
}

static void plugin_build_writes_loadable_so(void **state)
{
    char src[PTEST_PATH_MAX], out[PTEST_PATH_MAX], def[PTEST_PATH_MAX];
    ivp_plugin *pl = NULL;
    struct stat sb;
    ivp_error err;
    (void)state;
    ptest_path(src, "%s/decay.c", WORK);
    ptest_path(out, "%s/built decay.so", WORK);
    write_decay(src, "");
    if (ivp_plugin_build(src, out, CACHE, &err) != IVP_OK) {
        fail_msg("%s", err.msg);
    }
    assert_int_equal(stat(out, &sb), 0);
    assert_true((sb.st_mode & S_IRUSR) != 0);
    assert_int_equal(ptest_count(WORK, ".", NULL), 2); /* decay.c and the .so; no temporaries */
    assert_int_equal(ivp_plugin_load(out, NULL, &pl, &err), IVP_OK);
    assert_null(pl->source);
    check_decay(pl);
    ivp_plugin_close(pl);

    /* Default output: the source with ".c" replaced by ".so". */
    ptest_path(def, "%s/decay.so", WORK);
    assert_int_equal(ivp_plugin_build(src, NULL, CACHE, &err), IVP_OK);
    assert_true(ptest_exists(def));
    assert_int_equal(ivp_plugin_load(def, NULL, &pl, &err), IVP_OK);
    check_decay(pl);
    ivp_plugin_close(pl);
}

static void plugin_build_failure_leaves_nothing(void **state)
{
    char src[PTEST_PATH_MAX], out[PTEST_PATH_MAX];
    ivp_error err;
    (void)state;
    ptest_path(src, "%s/broken.c", WORK);
    ptest_path(out, "%s/broken.so", WORK);
    ptest_write_text(src, "int rhs(void) { return }\n");
    assert_int_equal(ivp_plugin_build(src, out, CACHE, &err), IVP_ERR_BUILD);
    ptest_assert_contains(err.msg, "broken.c: compilation failed (cc exited with 1):\n");
    assert_false(ptest_exists(out));
    assert_int_equal(ptest_count(WORK, NULL, NULL), 1);
    assert_int_equal(ivp_plugin_build(WORK "/absent.c", out, CACHE, &err), IVP_ERR_BUILD);
    ptest_assert_contains(err.msg, "absent.c: cannot read plugin source");
    assert_int_equal(ivp_plugin_build(src, src, CACHE, &err), IVP_ERR_ARG); /* -o broken.c */
    ptest_assert_contains(err.msg, "the output would replace the source");
    assert_int_equal(ptest_count(WORK, NULL, NULL), 1);
}

/* cache_dir NULL: $IVP_CACHE_DIR, else $XDG_CACHE_HOME/ivp, else $HOME/.cache/ivp. */
static void build_cache_folder_from_environment(void **state)
{
    char src[PTEST_PATH_MAX], saved_home[PTEST_PATH_MAX], saved_xdg[PTEST_PATH_MAX];
    char saved_ivp[PTEST_PATH_MAX];
    const char *home = getenv("HOME"), *xdg = getenv("XDG_CACHE_HOME");
    const char *ivp = getenv("IVP_CACHE_DIR");
    ivp_plugin *pl = NULL;
    ivp_status s1, s2, s3;
    ivp_error e1, e2, e3;
    (void)state;
    ptest_path(saved_home, "%s", home != NULL ? home : "");
    ptest_path(saved_xdg, "%s", xdg != NULL ? xdg : "");
    ptest_path(saved_ivp, "%s", ivp != NULL ? ivp : "");
    ptest_path(src, "%s/decay.c", WORK);
    write_decay(src, "");

    setenv("IVP_CACHE_DIR", WORK "/ivp cache", 1);
    setenv("XDG_CACHE_HOME", WORK "/xdg", 1);
    setenv("HOME", WORK "/home", 1);
    s1 = ivp_plugin_load(src, NULL, &pl, &e1);
    ivp_plugin_close(pl);
    setenv("IVP_CACHE_DIR", "", 1); /* empty counts as unset */
    s2 = ivp_plugin_load(src, NULL, &pl, &e2);
    ivp_plugin_close(pl);
    unsetenv("IVP_CACHE_DIR");
    unsetenv("XDG_CACHE_HOME");
    s3 = ivp_plugin_load(src, NULL, &pl, &e3);
    ivp_plugin_close(pl);

    /* Put the environment back before asserting. */
    if (home != NULL) {
        setenv("HOME", saved_home, 1);
    } else {
        unsetenv("HOME");
    }
    if (xdg != NULL) {
        setenv("XDG_CACHE_HOME", saved_xdg, 1);
    }
    if (ivp != NULL) {
        setenv("IVP_CACHE_DIR", saved_ivp, 1);
    }
    assert_int_equal(s1, IVP_OK);
    assert_int_equal(s2, IVP_OK);
    assert_int_equal(s3, IVP_OK);
    assert_int_equal(cached_plugins(WORK "/ivp cache"), 1);
    assert_int_equal(cached_plugins(WORK "/xdg/ivp"), 1);
    assert_int_equal(cached_plugins(WORK "/home/.cache/ivp"), 1);
}

/* Batch jobs loading one new source at once: every job succeeds, one plugin results. */
static void build_concurrent_loads_are_safe(void **state)
{
    enum { JOBS = 4 };
    char src[PTEST_PATH_MAX];
    pid_t pids[JOBS];
    int i, ok = 0;
    (void)state;
    ptest_path(src, "%s/decay.c", WORK);
    write_decay(src, "/* concurrent */");
    for (i = 0; i < JOBS; i++) {
        pids[i] = fork();
        assert_true(pids[i] >= 0);
        if (pids[i] == 0) {
            ivp_plugin *pl = NULL;
            ivp_error err;
            const double k[] = {3.0}, y[] = {2.0};
            ivp_ctx ctx = {1, k, 1, NULL};
            double f[1] = {0.0};
            int rc = ivp_plugin_load(src, CACHE, &pl, &err) == IVP_OK &&
                             pl->rhs(0.0, y, f, &ctx) == 0 && f[0] == -6.0
                         ? 0
                         : 1;
            ivp_plugin_close(pl);
            _exit(rc);
        }
    }
    for (i = 0; i < JOBS; i++) {
        int ws = 0;
        assert_int_equal(waitpid(pids[i], &ws, 0), pids[i]);
        ok += WIFEXITED(ws) && WEXITSTATUS(ws) == 0;
    }
    assert_int_equal(ok, JOBS);
    assert_int_equal(cached_plugins(CACHE), 1);
}

/* The example plugins, as their specs name them (.c), build and load. */
static void build_examples_from_source(void **state)
{
    static const char *const names[] = {"vanderpol", "lorenz", "bouncing_ball", "kepler"};
    char src[PTEST_PATH_MAX];
    ivp_plugin *pl = NULL;
    ivp_error err;
    size_t i;
    (void)state;
    for (i = 0; i < sizeof names / sizeof names[0]; i++) {
        ptest_path(src, "%s/%s.c", EXAMPLES_SOURCE_DIR, names[i]);
        if (ivp_plugin_load(src, CACHE, &pl, &err) != IVP_OK) {
            fail_msg("%s", err.msg);
        }
        assert_true(pl->has_dim);
        ivp_plugin_close(pl);
    }
    assert_int_equal(cached_plugins(CACHE), 4);
}

/* Names become HDF5 group names, spec keys, -o template keys and table headers: they must be C
 * identifiers of at most 63 characters, unique in their table; anything else fails at load
 * (so `ivp validate` refuses what `ivp run` could not write), naming the symbol and entry. */
static void load_checks_names(void **state)
{
    static const char fmt[] = "#include \"ivp_plugin.h\"\n"
                              "IVP_PLUGIN_ABI;\n"
                              "const char *const ivp_param_names[] = {%s, NULL};\n"
                              "const char *const ivp_event_names[] = {%s, NULL};\n"
                              "int rhs(double t, const double *y, double *f, const ivp_ctx *c)\n"
                              "{ (void)t; (void)c; f[0] = -y[0]; return 0; }\n"
                              "int events(double t, const double *y, double *g, "
                              "const ivp_ctx *c)\n"
                              "{ (void)t; (void)c; g[0] = y[0]; g[1] = y[0]; return 0; }\n";
    static const char x63[] = "\"x23456789012345678901234567890123456789012345678901234567890123\"";
    static const char x64[] =
        "\"x234567890123456789012345678901234567890123456789012345678901234\"";
    static const struct {
        const char *params, *events, *msg;
    } cases[] = {
        {"\"k\"", "\"a/b\", \"up\"", "ivp_event_names[0] 'a/b' has a character other than"},
        {"\"k\"", "\"up\", \"\"", "ivp_event_names[1] '' is an empty string"},
        {"\"k\"", "\".\", \"up\"", "ivp_event_names[0] '.' does not start with a letter or '_'"},
        {"\"k\"", "\"..\", \"up\"", "ivp_event_names[0] '..' does not start with a letter"},
        {"\" k\"", "\"a\", \"b\"", "ivp_param_names[0] ' k' does not start with a letter"},
        {"\"k \"", "\"a\", \"b\"", "ivp_param_names[0] 'k ' has a character other than"},
        {"\"k\\tm\"", "\"a\", \"b\"", "ivp_param_names[0] 'k\\x09m' has a character"},
        {"\"1k\"", "\"a\", \"b\"", "ivp_param_names[0] '1k' does not start with a letter"},
        {"\"k.m\"", "\"a\", \"b\"", "ivp_param_names[0] 'k.m' has a character other than"},
        {"\"k\"", "\"up\", \"up\"", "ivp_event_names lists 'up' twice"},
        {x64, "\"a\", \"b\"",
         "ivp_param_names[0] 'x234567890123456789012345678901234567890...' "
         "is longer than 63 characters"},
    };
    char src[PTEST_PATH_MAX], text[4096];
    ivp_plugin *pl = NULL;
    ivp_error err;
    size_t i;
    (void)state;
    ptest_path(src, "%s/names.c", WORK);
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(text, sizeof text, fmt, cases[i].params, cases[i].events);
        ptest_write_text(src, text);
        ivp_error_clear(&err);
        if (ivp_plugin_load(src, CACHE, &pl, &err) != IVP_ERR_PLUGIN) {
            fail_msg("case %zu (%s / %s) loaded: %s", i, cases[i].params, cases[i].events, err.msg);
        }
        assert_null(pl);
        ptest_assert_contains(err.msg, src);
        ptest_assert_contains(err.msg, cases[i].msg);
    }
    /* The longest name, and every kind of character allowed. */
    snprintf(text, sizeof text, fmt, x63, "\"_Up_1\", \"down\"");
    ptest_write_text(src, text);
    if (ivp_plugin_load(src, CACHE, &pl, &err) != IVP_OK) {
        fail_msg("%s", err.msg);
    }
    assert_int_equal(pl->n_params, 1);
    assert_int_equal(pl->n_events, 2);
    assert_string_equal(pl->event_names[0], "_Up_1");
    assert_null(pl->state_names);
    ivp_plugin_close(pl);
}

/* ivp_state_names: identifiers, optionally with one index ("u[12]"), unique, one per state
 * (ivp_dim); a spec's y0 of another length is a spec error. */
static void load_checks_state_names(void **state)
{
    static const char fmt[] = "#include \"ivp_plugin.h\"\n"
                              "IVP_PLUGIN_ABI;\n"
                              "const char *const ivp_state_names[] = {%s NULL};\n"
                              "%s\n"
                              "int rhs(double t, const double *y, double *f, const ivp_ctx *c)\n"
                              "{ (void)t; (void)c; f[0] = -y[0]; f[1] = -y[1]; return 0; }\n";
    static const struct {
        const char *names, *extra, *msg;
    } cases[] = {
        {"\"u[0]\", \"u[0]\",", "", "ivp_state_names lists 'u[0]' twice"},
        {"\"u[01]\", \"v\",", "", "ivp_state_names[0] 'u[01]' has an index that is not"},
        {"\"u[]\", \"v\",", "", "ivp_state_names[0] 'u[]' has an index that is not"},
        {"\"u[1]x\", \"v\",", "", "ivp_state_names[0] 'u[1]x' has characters after its index"},
        {"\"u[1][2]\", \"v\",", "", "ivp_state_names[0] 'u[1][2]' has characters after"},
        {"\"[1]\", \"v\",", "", "ivp_state_names[0] '[1]' does not start with a letter"},
        {"\"x/y\", \"v\",", "", "ivp_state_names[0] 'x/y' has a character other than"},
        {"\"u[-1]\", \"v\",", "", "ivp_state_names[0] 'u[-1]' has an index that is not"},
        {"", "", "'ivp_state_names' is empty"},
        {"\"x\", \"v\",", "const size_t ivp_dim = 3;",
         "'ivp_state_names' lists 2 names but ivp_dim is 3"},
    };
    char src[PTEST_PATH_MAX], text[4096];
    ivp_plugin *pl = NULL;
    ivp_error err;
    size_t i;
    (void)state;
    ptest_path(src, "%s/state_names.c", WORK);
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(text, sizeof text, fmt, cases[i].names, cases[i].extra);
        ptest_write_text(src, text);
        ivp_error_clear(&err);
        if (ivp_plugin_load(src, CACHE, &pl, &err) != IVP_ERR_PLUGIN) {
            fail_msg("case %zu (%s) loaded: %s", i, cases[i].names, err.msg);
        }
        assert_null(pl);
        ptest_assert_contains(err.msg, cases[i].msg);
    }
    snprintf(text, sizeof text, fmt, "\"u[0]\", \"u[10]\",", "");
    ptest_write_text(src, text);
    if (ivp_plugin_load(src, CACHE, &pl, &err) != IVP_OK) {
        fail_msg("%s", err.msg);
    }
    assert_int_equal(pl->n_states, 2);
    assert_string_equal(pl->state_names[1], "u[10]");
    ivp_plugin_close(pl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(build_on_demand_then_cache_hit, setup),
        cmocka_unit_test_setup(build_key_follows_source_text, setup),
        cmocka_unit_test_setup(build_installs_abi_header, setup),
        cmocka_unit_test_setup(build_reports_compiler_errors, setup),
        cmocka_unit_test_setup(build_reports_missing_compiler, setup),
        cmocka_unit_test_setup(build_reports_missing_source, setup),
        cmocka_unit_test_setup(build_splits_cc_into_words, setup),
        cmocka_unit_test_setup(plugin_build_writes_loadable_so, setup),
        cmocka_unit_test_setup(plugin_build_failure_leaves_nothing, setup),
        cmocka_unit_test_setup(build_cache_folder_from_environment, setup),
        cmocka_unit_test_setup(build_concurrent_loads_are_safe, setup),
        cmocka_unit_test_setup(build_examples_from_source, setup),
        cmocka_unit_test_setup(load_checks_names, setup),
        cmocka_unit_test_setup(load_checks_state_names, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
