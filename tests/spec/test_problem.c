/* SPDX-License-Identifier: MIT
 * tests/spec/test_problem.c - the JSON problem spec (core/src/problem.c): values, defaults,
 * linspace, syntax errors, JSON paths in errors, --set overrides, the resolved spec, plugin
 * paths, and the checks JSON Schema cannot express.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "support.h"

#include "ivp/problem.h"

/* The three required keys, to build specs around. */
#define BASE "\"plugin\": \"m.so\", \"t_span\": [0, 10], \"y0\": [1, 0]"
/* The plugin only, for specs that set t_span and y0 themselves. */
#define PLUGIN "\"plugin\": \"m.so\", \"y0\": [1, 0]"

static ivp_problem *parse_sets(const char *json, const char *const *sets, size_t n_sets)
{
    ivp_problem *p = NULL;
    ivp_error err;
    ivp_status s;
    ivp_error_clear(&err);
    s = ivp_problem_parse(json, strlen(json), "spec.json", "dir", sets, n_sets, &p, &err);
    if (s != IVP_OK) {
        print_error("unexpected error for %s: %s\n", json, err.msg);
    }
    assert_int_equal(s, IVP_OK);
    assert_non_null(p);
    return p;
}

static ivp_problem *parse_ok(const char *json)
{
    return parse_sets(json, NULL, 0);
}

/* Parsing must fail with IVP_ERR_SPEC, *out NULL, a message starting with the spec's name and
 * containing 'want'. */
static void expect_error_sets(const char *json, const char *const *sets, size_t n_sets,
                              const char *want)
{
    static ivp_problem sentinel;
    ivp_problem *p = &sentinel; /* anything but NULL: must be reset */
    ivp_error err;
    ivp_status s;
    ivp_error_clear(&err);
    s = ivp_problem_parse(json, strlen(json), "spec.json", "dir", sets, n_sets, &p, &err);
    if (s != IVP_ERR_SPEC || strstr(err.msg, want) == NULL ||
        strncmp(err.msg, "spec.json", 9) != 0) {
        print_error("spec  %s\nwanted an error containing: %s\ngot status %d: %s\n", json, want,
                    (int)s, err.msg);
        fail();
    }
    assert_int_equal(err.status, IVP_ERR_SPEC);
    assert_null(p);
}

static void expect_error(const char *json, const char *want)
{
    expect_error_sets(json, NULL, 0, want);
}

/* ---------------------------------------------------------------- values */

static void problem_parses_full_spec(void **state)
{
    static const char json[] =
        "{\"plugin\": \"vanderpol.so\", \"t_span\": [0, 3000], \"y0\": [2, -0.5],\n"
        " \"params\": {\"mu\": 1000, \"k\": -2.5}, \"method\": \"BDF\", \"rtol\": 1e-6,\n"
        " \"atol\": [1e-9, 1e-8], \"t_eval\": [0, 1, 2.5], \"dense_output\": true,\n"
        " \"events\": {\"crossing\": {\"terminal\": 2, \"direction\": -1},\n"
        "            \"top\": {\"terminal\": true}, \"any\": {\"direction\": 1}},\n"
        " \"first_step\": 0.001, \"max_step\": 10, \"min_step\": 1e-12,\n"
        " \"max_steps\": 10000000, \"jac\": \"fd\",\n"
        " \"jac_sparsity\": {\"rows\": [0, 1, 1], \"cols\": [1, 0, 1]},\n"
        " \"lband\": 1, \"uband\": 0, \"output\": \"out/vdp.h5\"}";
    ivp_problem *p = parse_ok(json);
    (void)state;
    assert_string_equal(p->plugin, "dir/vanderpol.so");
    assert_string_equal(p->method, "BDF");
    ivp_assert_close(p->t0, 0.0, 0, 0);
    ivp_assert_close(p->t_end, 3000.0, 0, 0);
    assert_int_equal(p->n, 2);
    ivp_assert_close(p->y0[0], 2.0, 0, 0);
    ivp_assert_close(p->y0[1], -0.5, 0, 0);
    assert_int_equal(p->n_params, 2);
    assert_string_equal(p->param_names[0], "mu");
    assert_string_equal(p->param_names[1], "k");
    ivp_assert_close(p->param_values[0], 1000.0, 0, 0);
    ivp_assert_close(p->param_values[1], -2.5, 0, 0);
    ivp_assert_close(p->rtol, 1e-6, 0, 0);
    assert_non_null(p->atol_vec);
    ivp_assert_close(p->atol_vec[0], 1e-9, 0, 0);
    ivp_assert_close(p->atol_vec[1], 1e-8, 0, 0);
    assert_int_equal(p->n_t_eval, 3);
    ivp_assert_close(p->t_eval[2], 2.5, 0, 0);
    assert_int_equal(p->dense_output, 1);
    assert_int_equal(p->n_event_specs, 3);
    assert_string_equal(p->event_names[0], "crossing");
    assert_int_equal(p->event_opts[0].terminal, 2);
    assert_int_equal(p->event_opts[0].direction, -1);
    assert_string_equal(p->event_names[1], "top");
    assert_int_equal(p->event_opts[1].terminal, 1);
    assert_int_equal(p->event_opts[1].direction, 0);
    assert_string_equal(p->event_names[2], "any");
    assert_int_equal(p->event_opts[2].terminal, 0);
    assert_int_equal(p->event_opts[2].direction, 1);
    ivp_assert_close(p->first_step, 0.001, 0, 0);
    ivp_assert_close(p->max_step, 10.0, 0, 0);
    ivp_assert_close(p->min_step, 1e-12, 0, 0);
    assert_int_equal(p->max_steps, 10000000);
    assert_int_equal(p->jac, IVP_JAC_FD);
    assert_int_equal(p->sparsity, IVP_SPARSITY_SPEC);
    assert_int_equal(p->sp_nnz, 3);
    assert_int_equal(p->sp_rows[0], 0);
    assert_int_equal(p->sp_cols[0], 1);
    assert_int_equal(p->sp_rows[2], 1);
    assert_int_equal(p->sp_cols[2], 1);
    assert_int_equal(p->lband, 1);
    assert_int_equal(p->uband, 0);
    assert_string_equal(p->output, "out/vdp.h5");
    ivp_problem_free(p);
}

static void problem_fills_defaults(void **state)
{
    ivp_problem *p = parse_ok("{" BASE "}");
    (void)state;
    assert_string_equal(p->method, "RK45");
    ivp_assert_close(p->rtol, 1e-3, 0, 0);
    ivp_assert_close(p->atol, 1e-6, 0, 0);
    assert_null(p->atol_vec);
    assert_null(p->t_eval);
    assert_int_equal(p->n_t_eval, 0);
    assert_int_equal(p->dense_output, 0);
    assert_int_equal(p->n_params, 0);
    assert_int_equal(p->n_event_specs, 0);
    ivp_assert_close(p->first_step, 0.0, 0, 0);
    assert_true(isinf(p->max_step) && p->max_step > 0);
    ivp_assert_close(p->min_step, 0.0, 0, 0);
    assert_int_equal(p->max_steps, 0);
    assert_int_equal(p->jac, IVP_JAC_AUTO);
    assert_int_equal(p->sparsity, IVP_SPARSITY_NONE);
    assert_null(p->sp_rows);
    assert_int_equal(p->lband, -1);
    assert_int_equal(p->uband, -1);
    assert_null(p->output);
    ivp_problem_free(p);
}

static void problem_reads_nulls_as_automatic_steps(void **state)
{
    ivp_problem *p = parse_ok("{" BASE ", \"first_step\": null, \"max_step\": null}");
    (void)state;
    ivp_assert_close(p->first_step, 0.0, 0, 0);
    assert_true(isinf(p->max_step));
    ivp_problem_free(p);
}

static void problem_method_is_case_insensitive(void **state)
{
    static const char *const given[] = {"rk23", "Rk45", "dop853", "RADAU", "bdf", "LsOdA"};
    static const char *const canon[] = {"RK23", "RK45", "DOP853", "Radau", "BDF", "LSODA"};
    char json[256];
    size_t i;
    (void)state;
    for (i = 0; i < 6; i++) {
        ivp_problem *p;
        snprintf(json, sizeof json, "{" BASE ", \"method\": \"%s\"}", given[i]);
        p = parse_ok(json);
        assert_string_equal(p->method, canon[i]);
        ivp_problem_free(p);
    }
}

static void problem_accepts_integral_floats_as_integers(void **state)
{
    ivp_problem *p = parse_ok("{" BASE ", \"max_steps\": 1e6, \"lband\": 2.0, "
                              "\"events\": {\"e\": {\"terminal\": 3.0, \"direction\": -1.0}}}");
    (void)state;
    assert_int_equal(p->max_steps, 1000000);
    assert_int_equal(p->lband, 2);
    assert_int_equal(p->event_opts[0].terminal, 3);
    assert_int_equal(p->event_opts[0].direction, -1);
    ivp_problem_free(p);
}

static void problem_accepts_backward_t_eval(void **state)
{
    ivp_problem *p = parse_ok("{" PLUGIN ", \"t_span\": [10, -5], \"t_eval\": [10, 2.5, -5]}");
    (void)state;
    ivp_assert_close(p->t0, 10.0, 0, 0);
    ivp_assert_close(p->t_end, -5.0, 0, 0);
    assert_int_equal(p->n_t_eval, 3);
    ivp_assert_close(p->t_eval[1], 2.5, 0, 0);
    ivp_problem_free(p);
}

static void problem_parses_sparsity_plugin_and_jac_plugin(void **state)
{
    ivp_problem *p = parse_ok("{" BASE ", \"jac\": \"plugin\", \"jac_sparsity\": \"plugin\"}");
    (void)state;
    assert_int_equal(p->jac, IVP_JAC_PLUGIN);
    assert_int_equal(p->sparsity, IVP_SPARSITY_PLUGIN);
    assert_int_equal(p->sp_nnz, 0);
    ivp_problem_free(p);
}

/* ---------------------------------------------------------------- linspace */

static void problem_expands_linspace_like_numpy(void **state)
{
    /* numpy.linspace(0.3, 2.9, 11) = i*step + a with the last point exactly b: points 1-4
     * and 6 differ from (a*(n-1-i) + b*i)/(n-1), and 7 and 9 from a + i*(b-a)/(n-1). Values
     * printed by numpy 1.24 with %.17g. */
    static const double want[] = {0.29999999999999999, 0.56000000000000005, 0.82000000000000006,
                                  1.0800000000000001,  1.3400000000000001,  1.6000000000000001,
                                  1.8600000000000001,  2.1200000000000001,  2.3799999999999999,
                                  2.6399999999999997,  2.8999999999999999};
    ivp_problem *p = parse_ok("{" PLUGIN ", \"t_span\": [0, 3], "
                              "\"t_eval\": {\"linspace\": [0.3, 2.9, 11]}}");
    size_t i;
    (void)state;
    assert_int_equal(p->n_t_eval, 11);
    for (i = 0; i < 11; i++) {
        ivp_assert_close(p->t_eval[i], want[i], 0, 0);
    }
    ivp_problem_free(p);

    p = parse_ok("{" BASE ", \"t_eval\": {\"linspace\": [0, 10, 5]}}");
    assert_int_equal(p->n_t_eval, 5);
    ivp_assert_close(p->t_eval[0], 0.0, 0, 0);
    ivp_assert_close(p->t_eval[1], 2.5, 0, 0);
    ivp_assert_close(p->t_eval[3], 7.5, 0, 0);
    ivp_assert_close(p->t_eval[4], 10.0, 0, 0);
    ivp_problem_free(p);
}

static void problem_expands_linspace_of_one_point_to_its_start(void **state)
{
    ivp_problem *p = parse_ok("{" BASE ", \"t_eval\": {\"linspace\": [3, 7, 1]}}");
    (void)state;
    assert_int_equal(p->n_t_eval, 1);
    ivp_assert_close(p->t_eval[0], 3.0, 0, 0);
    ivp_problem_free(p);
}

static void problem_expands_backward_linspace(void **state)
{
    ivp_problem *p = parse_ok("{" PLUGIN ", \"t_span\": [1, 0], "
                              "\"t_eval\": {\"linspace\": [1, 0, 5]}}");
    (void)state;
    assert_int_equal(p->n_t_eval, 5);
    ivp_assert_close(p->t_eval[0], 1.0, 0, 0);
    ivp_assert_close(p->t_eval[1], 0.75, 0, 0);
    ivp_assert_close(p->t_eval[4], 0.0, 0, 0);
    ivp_problem_free(p);
}

/* ---------------------------------------------------------------- syntax errors */

static void problem_reports_syntax_error_line_and_column(void **state)
{
    /* line 3, column 14 is the ',' right after '[' */
    (void)state;
    expect_error("{\n  \"plugin\": \"m.so\",\n  \"t_span\": [, 1],\n  \"y0\": [1]\n}",
                 "spec.json:3:14: syntax error near ', 1],'");
    /* a missing comma: the error is at the next member */
    expect_error("{\"plugin\": \"m.so\"\n \"y0\": [1]}",
                 "spec.json:2:2: syntax error near '\"y0\"");
}

static void problem_counts_columns_in_characters(void **state)
{
    /* "µ" is two bytes of UTF-8 but one column: the '2' is in column 9 */
    (void)state;
    expect_error("{\"\xc2\xb5\": 1 2}", "spec.json:1:9: syntax error near '2}'");
}

static void problem_reports_syntax_error_at_end_of_input(void **state)
{
    (void)state;
    expect_error("{\"plugin\": \"m.so\",\n \"y0\": [1, 2",
                 "spec.json:2:13: syntax error near end of input");
}

static void problem_rejects_empty_input(void **state)
{
    (void)state;
    expect_error("", "spec.json:1:1: syntax error near end of input");
    expect_error("  \n ", "spec.json:2:2: syntax error near end of input");
}

static void problem_rejects_trailing_garbage(void **state)
{
    (void)state;
    expect_error("{" BASE "} x", "spec.json:1:53: syntax error near 'x'");
    expect_error("{" BASE "}{}", "syntax error near '{}'");
}

static void problem_rejects_nan_literals(void **state)
{
    (void)state;
    expect_error("{" BASE ", \"rtol\": NaN}", "spec.json:1:61: syntax error near 'NaN}'");
}

static void problem_rejects_nul_byte(void **state)
{
    static const char text[] = "{\"plugin\": \"m.so\"\0}";
    ivp_problem *p = NULL;
    ivp_error err;
    (void)state;
    assert_int_equal(ivp_problem_parse(text, sizeof text - 1, "spec.json", ".", NULL, 0, &p, &err),
                     IVP_ERR_SPEC);
    assert_null(p);
    assert_non_null(strstr(err.msg, "spec.json:1:18: syntax error"));
}

/* "\u0000" in a string used to cut it short: "bdf\u0000junk" was read as BDF. Every string and
 * key is checked, the error names its path, and what only looks like \u0000 is left alone. */
static void problem_rejects_nul_escapes_at_their_path(void **state)
{
    static const char *const set_method[] = {"method=\"rk45\\u0000x\""};
    static const char *const set_obj[] = {"events={\"e\": {}, \"f\\u0000\": {}}"};
    static const char *const set_plain[] = {"output=a\\u0000b.h5"};
    char all_marks[32 * 8 + 256];
    size_t used, j;
    ivp_problem *p;
    (void)state;
    expect_error("{" BASE ", \"method\": \"bdf\\u0000junk\"}",
                 "spec.json: $.method: strings must not contain a NUL character (\\u0000)");
    expect_error("{" BASE ", \"plugin\": \"x\\u0000\"}", "$.plugin: strings must not contain");
    expect_error("{" BASE ", \"params\": {\"mu\\u0000x\": 1}}",
                 "spec.json: $.params[\"mu\\u0000x\"]: keys must not contain a NUL character");
    expect_error("{" BASE ", \"t_eval\": {\"linspace\": [0, 1, 2], \"a\\u0000\": 1}}",
                 "$.t_eval[\"a\\u0000\"]: keys must not contain");
    expect_error("{" BASE ", \"output\": [1, [2, \"\\u0000\"]]}",
                 "$.output[1][1]: strings must not contain");
    /* lower-case hex, and a text that also holds the first candidate marks (raw and escaped) */
    expect_error("{" BASE ", \"output\": \"\xef\xb7\x90\\uFDD1\\ufdd2\\u0000\"}",
                 "$.output: strings must not contain");
    /* an escaped backslash followed by u0000 is six plain characters */
    p = parse_ok("{" BASE ", \"output\": \"a\\\\u0000\\\\\\\\u0000\"}");
    assert_string_equal(p->output, "a\\u0000\\\\u0000");
    ivp_problem_free(p);
    /* the noncharacters themselves are fine where no NUL is */
    p = parse_ok("{" BASE ", \"output\": \"\\ufdd0\xef\xb7\xaf\"}");
    assert_string_equal(p->output, "\xef\xb7\x90\xef\xb7\xaf");
    ivp_problem_free(p);
    /* every candidate used: still rejected, by line and column */
    used = (size_t)snprintf(all_marks, sizeof all_marks, "{" BASE ", \"output\": \"");
    for (j = 0; j < 32; j++) {
        used += (size_t)snprintf(all_marks + used, sizeof all_marks - used, "\\u%04X",
                                 0xFDD0u + (unsigned)j);
    }
    snprintf(all_marks + used, sizeof all_marks - used, "\\u0000\"}");
    expect_error(all_marks, "spec.json:1:");
    expect_error(all_marks, "(strings must not contain a NUL character)");
    /* --set values */
    expect_error_sets("{" BASE "}", set_method, 1,
                      "spec.json: $.method: strings must not contain a NUL character");
    expect_error_sets("{" BASE "}", set_obj, 1,
                      "spec.json: $.events[\"f\\u0000\"]: keys must not contain");
    /* a value that is not JSON is taken as written */
    p = parse_sets("{" BASE "}", set_plain, 1);
    assert_string_equal(p->output, "a\\u0000b.h5");
    ivp_problem_free(p);
}

static void problem_reads_only_len_bytes(void **state)
{
    /* no NUL after the spec, and garbage after len */
    static const char text[] = "{\"plugin\": \"m.so\", \"t_span\": [0, 1], \"y0\": [7]}garbage";
    ivp_problem *p = NULL;
    ivp_error err;
    (void)state;
    assert_int_equal(
        ivp_problem_parse(text, sizeof text - 1 - 7, "spec.json", ".", NULL, 0, &p, &err), IVP_OK);
    ivp_assert_close(p->y0[0], 7.0, 0, 0);
    ivp_problem_free(p);
}

/* ---------------------------------------------------------------- errors name the JSON path */

static void problem_rejects_negative_rtol(void **state)
{
    (void)state;
    expect_error("{" BASE ", \"rtol\": -1e-3}", "spec.json: $.rtol: must be > 0, got -0.001");
    expect_error("{" BASE ", \"rtol\": 0}", "spec.json: $.rtol: must be > 0, got 0");
}

static void problem_rejects_negative_atol(void **state)
{
    (void)state;
    expect_error("{" BASE ", \"atol\": -1}", "spec.json: $.atol: must be >= 0, got -1");
    expect_error("{" BASE ", \"atol\": [0, -1e-9]}", "spec.json: $.atol[1]: must be >= 0");
}

static void problem_rejects_unknown_key_listing_valid_keys(void **state)
{
    (void)state;
    expect_error("{" BASE ", \"tol\": 1}",
                 "spec.json: $.tol: unknown key; valid keys are plugin, model, t_span, y0, params, "
                 "method, rtol, atol, t_eval, dense_output, events, first_step, max_step, "
                 "min_step, max_steps, jac, jac_sparsity, lband, uband, output");
    expect_error("{" BASE ", \"max step\": 1}", "spec.json: $[\"max step\"]: unknown key");
    expect_error("{" BASE ", \"events\": {\"e\": {\"stop\": true}}}",
                 "spec.json: $.events.e.stop: unknown key; valid keys are terminal, direction");
    expect_error("{" BASE ", \"jac_sparsity\": {\"rows\": [], \"cols\": [], \"v\": []}}",
                 "spec.json: $.jac_sparsity.v: unknown key; valid keys are rows, cols");
    expect_error("{" BASE ", \"t_eval\": {\"linspace\": [0, 1, 2], \"endpoint\": false}}",
                 "spec.json: $.t_eval.endpoint: unknown key; valid keys are linspace");
}

static void problem_rejects_missing_required_keys(void **state)
{
    (void)state;
    expect_error("{\"t_span\": [0, 1], \"y0\": [1]}", "spec.json: $.plugin: required key missing");
    expect_error("{\"plugin\": \"m.so\", \"y0\": [1]}",
                 "spec.json: $.t_span: required key missing");
    expect_error("{\"plugin\": \"m.so\", \"t_span\": [0, 1]}",
                 "spec.json: $.y0: required key missing");
    expect_error("{" BASE ", \"t_eval\": {}}",
                 "spec.json: $.t_eval.linspace: required key missing");
    expect_error("{" BASE ", \"jac_sparsity\": {\"rows\": []}}",
                 "spec.json: $.jac_sparsity.cols: required key missing");
}

static void problem_rejects_non_object_root(void **state)
{
    (void)state;
    expect_error("[1, 2]", "spec.json: $: must be an object, got an array");
    expect_error("3", "spec.json: $: must be an object, got a number");
}

/* Wrong types say what was expected and what came. */
static void problem_rejects_wrong_types_naming_expected_type(void **state)
{
    static const struct {
        const char *json, *want;
    } cases[] = {
        {"{\"plugin\": 3, \"t_span\": [0, 1], \"y0\": [1]}",
         "$.plugin: must be a string (a path), got a number"},
        {"{\"plugin\": \"m.so\", \"t_span\": \"0:1\", \"y0\": [1]}",
         "$.t_span: must be an array of 2 numbers [t0, t_end], got a string"},
        {"{\"plugin\": \"m.so\", \"t_span\": [0, \"1\"], \"y0\": [1]}",
         "$.t_span[1]: must be a number, got a string"},
        {"{\"plugin\": \"m.so\", \"t_span\": [0, 1], \"y0\": {\"x\": 1}}",
         "$.y0: must be an array of numbers, got an object"},
        {"{\"plugin\": \"m.so\", \"t_span\": [0, 1], \"y0\": [1, true, 3]}",
         "$.y0[1]: must be a number, got true"},
        {"{" BASE ", \"params\": [1]}", "$.params: must be an object {name: number}, got an array"},
        {"{" BASE ", \"params\": {\"mu\": \"10\"}}", "$.params.mu: must be a number, got a string"},
        {"{" BASE ", \"method\": 45}", "$.method: must be a string (a method name), got a number"},
        {"{" BASE ", \"rtol\": \"1e-3\"}", "$.rtol: must be a number, got a string"},
        {"{" BASE ", \"atol\": false}",
         "$.atol: must be a number or an array of numbers, got false"},
        {"{" BASE ", \"t_eval\": \"all\"}",
         "$.t_eval: must be an array of numbers or an object {\"linspace\": [a, b, num]}, got a "
         "string"},
        {"{" BASE ", \"t_eval\": {\"linspace\": 5}}",
         "$.t_eval.linspace: must be an array [a, b, num], got a number"},
        {"{" BASE ", \"t_eval\": {\"linspace\": [0, 1]}}",
         "$.t_eval.linspace: must have exactly 3 elements [a, b, num], got 2"},
        {"{" BASE ", \"t_eval\": {\"linspace\": [0, null, 3]}}",
         "$.t_eval.linspace[1]: must be a number, got null"},
        {"{" BASE ", \"dense_output\": 1}",
         "$.dense_output: must be a boolean (true or false), got a number"},
        {"{" BASE ", \"events\": []}", "$.events: must be an object {event name: "},
        {"{" BASE ", \"events\": {\"hit\": true}}",
         "$.events.hit: must be an object {\"terminal\": ..., \"direction\": ...}, got true"},
        {"{" BASE ", \"events\": {\"hit\": {\"terminal\": \"yes\"}}}",
         "$.events.hit.terminal: must be a boolean or a positive integer, got a string"},
        {"{" BASE ", \"events\": {\"hit\": {\"direction\": \"up\"}}}",
         "$.events.hit.direction: must be a number (-1, 0 or 1), got a string"},
        {"{" BASE ", \"first_step\": \"auto\"}",
         "$.first_step: must be null or a number, got a string"},
        {"{" BASE ", \"max_step\": []}", "$.max_step: must be null or a number, got an array"},
        {"{" BASE ", \"min_step\": null}", "$.min_step: must be a number, got null"},
        {"{" BASE ", \"max_steps\": \"100\"}",
         "$.max_steps: must be an integer in [1, 2^53 - 1], got a string"},
        {"{" BASE ", \"jac\": true}", "$.jac: must be a string (\"plugin\" or \"fd\"), got true"},
        {"{" BASE ", \"jac_sparsity\": [[0, 0]]}",
         "$.jac_sparsity: must be \"plugin\" or an object {\"rows\": [...], \"cols\": [...]}, got "
         "an array"},
        {"{" BASE ", \"jac_sparsity\": {\"rows\": 0, \"cols\": []}}",
         "$.jac_sparsity.rows: must be an array of indices, got a number"},
        {"{" BASE ", \"lband\": \"1\"}", "$.lband: must be a non-negative integer, got a string"},
        {"{" BASE ", \"output\": 5}", "$.output: must be a string (a path), got a number"},
    };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        expect_error(cases[i].json, cases[i].want);
    }
}

/* Values of the right type that are out of range. */
static void problem_rejects_bad_values_at_their_path(void **state)
{
    static const struct {
        const char *json, *want;
    } cases[] = {
        {"{\"plugin\": \"\", \"t_span\": [0, 1], \"y0\": [1]}", "$.plugin: must not be empty"},
        {"{\"plugin\": \"m.so\", \"t_span\": [0], \"y0\": [1]}",
         "$.t_span: must have exactly 2 elements [t0, t_end], got 1"},
        {"{\"plugin\": \"m.so\", \"t_span\": [0, 1], \"y0\": []}", "$.y0: must not be empty"},
        {"{" BASE ", \"params\": {\"\": 1}}", "$.params[\"\"]: parameter names must not be empty"},
        {"{" BASE ", \"method\": \"rk4\"}",
         "$.method: unknown method \"rk4\"; valid methods are RK23, RK45, DOP853, Radau, BDF, "
         "LSODA (case-insensitive)"},
        {"{" BASE ", \"method\": \"BDF \"}", "$.method: unknown method \"BDF \""},
        {"{" BASE ", \"t_eval\": []}", "$.t_eval: must not be empty"},
        {"{" BASE ", \"t_eval\": {\"linspace\": [0, 1, 0]}}",
         "$.t_eval.linspace[2]: must be an integer in [1, 100000000], got 0"},
        {"{" BASE ", \"events\": {\"crossing\": {\"direction\": 2}}}",
         "spec.json: $.events.crossing.direction: must be -1, 0 or 1, got 2"},
        {"{" BASE ", \"events\": {\"crossing\": {\"direction\": 0.5}}}",
         "$.events.crossing.direction: must be -1, 0 or 1, got 0.5"},
        {"{" BASE ", \"events\": {\"crossing\": {\"terminal\": 0}}}",
         "$.events.crossing.terminal: must be true, false or a positive integer (stop at that "
         "occurrence), got 0"},
        {"{" BASE ", \"events\": {\"\": {}}}", "$.events[\"\"]: event names must not be empty"},
        {"{" BASE ", \"first_step\": 0}", "$.first_step: must be > 0 (or null: automatic), got 0"},
        {"{" BASE ", \"max_step\": -1}", "$.max_step: must be > 0 (or null: unlimited), got -1"},
        {"{" BASE ", \"min_step\": -1e-9}", "$.min_step: must be >= 0, got -1e-09"},
        {"{" BASE ", \"max_steps\": 0}", "$.max_steps: must be an integer in [1, 2^53 - 1], got 0"},
        {"{" BASE ", \"max_steps\": 9007199254740992}",
         "$.max_steps: must be an integer in [1, 2^53 - 1], got 9007199254740992"},
        {"{" BASE ", \"jac\": \"analytic\"}",
         "$.jac: must be \"plugin\" or \"fd\", got \"analytic\""},
        {"{" BASE ", \"jac_sparsity\": \"dense\"}",
         "$.jac_sparsity: must be \"plugin\" or an object {\"rows\": [...], \"cols\": [...]}, "
         "got \"dense\""},
        {"{" BASE ", \"jac_sparsity\": {\"rows\": [-1], \"cols\": [0]}}",
         "$.jac_sparsity.rows[0]: must be a non-negative integer, got -1"},
        {"{" BASE ", \"uband\": -1}", "$.uband: must be a non-negative integer, got -1"},
        {"{" BASE ", \"output\": \"\"}", "$.output: must not be empty"},
    };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        expect_error(cases[i].json, cases[i].want);
    }
}

static void problem_rejects_non_finite_numbers(void **state)
{
    (void)state;
    expect_error("{\"plugin\": \"m.so\", \"t_span\": [0, 1e999], \"y0\": [1]}",
                 "spec.json: $.t_span[1]: must be a finite number, got inf");
    expect_error("{\"plugin\": \"m.so\", \"t_span\": [0, 1], \"y0\": [1, -1e999]}",
                 "spec.json: $.y0[1]: must be a finite number, got -inf");
    expect_error("{" BASE ", \"params\": {\"mu\": 1e400}}",
                 "spec.json: $.params.mu: must be a finite number, got inf");
    expect_error("{" BASE ", \"rtol\": 1e999}", "spec.json: $.rtol: must be a finite number");
    expect_error("{" BASE ", \"max_step\": 1e999}",
                 "spec.json: $.max_step: must be a finite number");
    expect_error("{" BASE ", \"max_steps\": 1e999}", "spec.json: $.max_steps: must be an integer");
    expect_error("{" BASE ", \"t_eval\": {\"linspace\": [0, 1e999, 3]}}",
                 "spec.json: $.t_eval.linspace[1]: must be a finite number");
}

static void problem_rejects_non_integral_integers(void **state)
{
    (void)state;
    expect_error("{" BASE ", \"max_steps\": 2.5}",
                 "spec.json: $.max_steps: must be an integer in [1, 2^53 - 1], got 2.5");
    expect_error("{" BASE ", \"lband\": 0.5}",
                 "spec.json: $.lband: must be a non-negative integer, got 0.5");
    expect_error("{" BASE ", \"events\": {\"e\": {\"terminal\": 1.5}}}",
                 "spec.json: $.events.e.terminal: must be true, false or a positive integer");
    expect_error("{" BASE ", \"t_eval\": {\"linspace\": [0, 1, 2.5]}}",
                 "spec.json: $.t_eval.linspace[2]: must be an integer in [1, 100000000], got 2.5");
    expect_error("{" BASE ", \"jac_sparsity\": {\"rows\": [0, 1], \"cols\": [0, 0.5]}}",
                 "spec.json: $.jac_sparsity.cols[1]: must be a non-negative integer, got 0.5");
}

static void problem_rejects_duplicate_keys(void **state)
{
    (void)state;
    expect_error("{" BASE ", \"rtol\": 1e-3, \"rtol\": 1e-6}", "spec.json: $.rtol: duplicate key");
    expect_error("{" BASE ", \"params\": {\"mu\": 1, \"k\": 2, \"mu\": 3}}",
                 "spec.json: $.params.mu: duplicate key");
    expect_error("{" BASE ", \"events\": {\"e\": {\"terminal\": true, \"terminal\": false}}}",
                 "spec.json: $.events.e.terminal: duplicate key");
    expect_error("{\"plugin\": \"m.so\", \"plugin\": \"m.so\", \"t_span\": [0, 1], \"y0\": [1]}",
                 "spec.json: $.plugin: duplicate key");
    /* a large object (found by sorting): the first repeat in document order is reported */
    expect_error("{" BASE ", \"params\": {\"k0\": 0, \"k1\": 1, \"k2\": 2, \"k3\": 3, \"k4\": 4,"
                 " \"k5\": 5, \"k6\": 6, \"k7\": 7, \"k8\": 8, \"k9\": 9, \"k10\": 10, \"k11\": 11,"
                 " \"k12\": 12, \"k13\": 13, \"k14\": 14, \"k15\": 15, \"k16\": 16, \"k17\": 17,"
                 " \"k5\": 0, \"k2\": 0}}",
                 "spec.json: $.params.k5: duplicate key");
    /* inside an array, even where the value is wrong anyway: duplicates are found first */
    expect_error("{" BASE ", \"t_eval\": [{\"a\": 1, \"a\": 2}]}",
                 "spec.json: $.t_eval[0].a: duplicate key");
}

/* ---------------------------------------------------------------- checks the schema cannot make */

static void problem_rejects_equal_t_span_ends(void **state)
{
    (void)state;
    expect_error("{\"plugin\": \"m.so\", \"t_span\": [2, 2], \"y0\": [1]}",
                 "spec.json: $.t_span: the ends must differ, got [2, 2]");
    expect_error("{\"plugin\": \"m.so\", \"t_span\": [-1e308, 1e308], \"y0\": [1]}",
                 "spec.json: $.t_span: t_end - t0 overflows");
}

static void problem_rejects_atol_length_mismatch(void **state)
{
    (void)state;
    expect_error("{" BASE ", \"atol\": [1e-6, 1e-6, 1e-6]}",
                 "spec.json: $.atol: must have one element per component of y0 (2), got 3");
    expect_error("{" BASE ", \"atol\": []}",
                 "spec.json: $.atol: must have one element per component of y0 (2), got 0");
}

static void problem_rejects_unsorted_t_eval(void **state)
{
    (void)state;
    expect_error("{" BASE ", \"t_eval\": [0, 2, 1]}",
                 "spec.json: $.t_eval[2]: must be greater than the previous value 2");
    expect_error("{" BASE ", \"t_eval\": [0, 1, 1]}",
                 "spec.json: $.t_eval[2]: must be greater than the previous value 1");
    expect_error("{" PLUGIN ", \"t_span\": [10, 0], \"t_eval\": [0, 5]}",
                 "spec.json: $.t_eval[1]: must be less than the previous value 0 (t_eval must be "
                 "strictly decreasing, as t_span runs backward), got 5");
}

static void problem_rejects_t_eval_outside_t_span(void **state)
{
    (void)state;
    expect_error("{" BASE ", \"t_eval\": [0, 10.5]}",
                 "spec.json: $.t_eval[1]: must lie inside t_span [0, 10], got 10.5");
    expect_error("{" BASE ", \"t_eval\": [-1]}", "spec.json: $.t_eval[0]: must lie inside t_span");
    expect_error("{" BASE ", \"t_eval\": {\"linspace\": [-1, 10, 5]}}",
                 "spec.json: $.t_eval.linspace[0]: must lie inside t_span [0, 10], got -1");
    expect_error("{" BASE ", \"t_eval\": {\"linspace\": [0, 11, 5]}}",
                 "spec.json: $.t_eval.linspace[1]: must lie inside t_span [0, 10], got 11");
}

static void problem_rejects_linspace_against_direction(void **state)
{
    (void)state;
    expect_error("{" BASE ", \"t_eval\": {\"linspace\": [10, 0, 5]}}",
                 "spec.json: $.t_eval.linspace: [a, b, num] with num > 1 must run the way t_span "
                 "does (a < b), got a = 10, b = 0");
    expect_error("{" BASE ", \"t_eval\": {\"linspace\": [5, 5, 2]}}",
                 "spec.json: $.t_eval.linspace: [a, b, num] with num > 1");
    /* 100 points between 1e16 and 1e16 + 4, where doubles are 2 apart */
    expect_error("{\"plugin\": \"m.so\", \"t_span\": [1e16, 1.0000000000000004e16], \"y0\": [1], "
                 "\"t_eval\": {\"linspace\": [1e16, 1.0000000000000004e16, 100]}}",
                 "spec.json: $.t_eval.linspace: points 0 and 1");
}

static void problem_rejects_first_step_beyond_span(void **state)
{
    ivp_problem *p;
    (void)state;
    expect_error("{" BASE ", \"first_step\": 10.5}",
                 "spec.json: $.first_step: must not exceed |t_span[1] - t_span[0]| = 10, got 10.5");
    p = parse_ok("{" PLUGIN ", \"t_span\": [10, 0], \"first_step\": 10}");
    ivp_assert_close(p->first_step, 10.0, 0, 0);
    ivp_problem_free(p);
}

static void problem_rejects_sparsity_outside_y0(void **state)
{
    (void)state;
    expect_error("{" BASE ", \"jac_sparsity\": {\"rows\": [0, 2], \"cols\": [0, 0]}}",
                 "spec.json: $.jac_sparsity.rows[1]: must be an integer in [0, 2) (an index into "
                 "y0), got 2");
    expect_error("{" BASE ", \"jac_sparsity\": {\"rows\": [0], \"cols\": [5]}}",
                 "spec.json: $.jac_sparsity.cols[0]: must be an integer in [0, 2)");
}

static void problem_rejects_sparsity_of_unequal_lengths(void **state)
{
    (void)state;
    expect_error("{" BASE ", \"jac_sparsity\": {\"rows\": [0, 1], \"cols\": [0]}}",
                 "spec.json: $.jac_sparsity.cols: must have as many elements as rows (2), got 1");
}

static void problem_rejects_repeated_sparsity_entries(void **state)
{
    (void)state;
    expect_error("{" BASE ", \"jac_sparsity\": {\"rows\": [1, 0, 1, 1], \"cols\": [0, 1, 1, 0]}}",
                 "spec.json: $.jac_sparsity: entry 3 (row 1, col 0) repeats entry 0");
}

/* ---------------------------------------------------------------- --set overrides */

static void problem_applies_set_overrides(void **state)
{
    static const char *const sets[] = {"params.mu=10", "y0=[1,0]", "method=bdf",
                                       "dense_output=true", "output=run 1.h5"};
    ivp_problem *p = parse_sets("{\"plugin\": \"m.so\", \"t_span\": [0, 1], \"y0\": [5, 5, 5], "
                                "\"params\": {\"mu\": 1, \"k\": 2}, \"method\": \"RK23\"}",
                                sets, 5);
    (void)state;
    assert_int_equal(p->n_params, 2);
    assert_string_equal(p->param_names[0], "mu");
    ivp_assert_close(p->param_values[0], 10.0, 0, 0);
    ivp_assert_close(p->param_values[1], 2.0, 0, 0);
    assert_int_equal(p->n, 2);
    ivp_assert_close(p->y0[0], 1.0, 0, 0);
    ivp_assert_close(p->y0[1], 0.0, 0, 0);
    assert_string_equal(p->method, "BDF");
    assert_int_equal(p->dense_output, 1);
    assert_string_equal(p->output, "run 1.h5"); /* not JSON: taken as a string */
    ivp_problem_free(p);
}

static void problem_set_creates_missing_objects(void **state)
{
    static const char *const sets[] = {"events.hit.terminal=3", "params.mu=1e3"};
    ivp_problem *p = parse_sets("{" BASE "}", sets, 2);
    (void)state;
    assert_int_equal(p->n_event_specs, 1);
    assert_string_equal(p->event_names[0], "hit");
    assert_int_equal(p->event_opts[0].terminal, 3);
    assert_int_equal(p->n_params, 1);
    ivp_assert_close(p->param_values[0], 1000.0, 0, 0);
    ivp_problem_free(p);
}

static void problem_set_replaces_whole_values(void **state)
{
    static const char *const sets[] = {"t_eval={\"linspace\": [0, 10, 3]}", "t_span=[0, 20]",
                                       "rtol=1e-8", "rtol=1e-9"};
    ivp_problem *p = parse_sets("{" BASE ", \"t_eval\": [1, 2]}", sets, 4);
    (void)state;
    ivp_assert_close(p->t_end, 20.0, 0, 0);
    ivp_assert_close(p->rtol, 1e-9, 0, 0); /* the last --set wins */
    assert_int_equal(p->n_t_eval, 3);
    ivp_assert_close(p->t_eval[1], 5.0, 0, 0);
    ivp_problem_free(p);
}

static void problem_set_adds_after_replacing_the_last_key(void **state)
{
    static const char *const sets[] = {"rtol=1e-4", "atol=1e-3", "params.a=1", "params.a=2",
                                       "params.b=3"};
    ivp_problem *p = parse_sets("{" BASE ", \"rtol\": 1e-3}", sets, 5);
    (void)state;
    ivp_assert_close(p->rtol, 1e-4, 0, 0);
    ivp_assert_close(p->atol, 1e-3, 0, 0);
    assert_int_equal(p->n_params, 2);
    ivp_assert_close(p->param_values[0], 2.0, 0, 0);
    ivp_assert_close(p->param_values[1], 3.0, 0, 0);
    ivp_problem_free(p);
}

static void problem_rejects_bad_overrides(void **state)
{
    static const struct {
        const char *set, *want;
    } cases[] = {
        {"rtol", "spec.json: --set 'rtol': expected KEY=VALUE"},
        {"=1", "spec.json: --set '=1': empty segment in the key"},
        {".rtol=1", "spec.json: --set '.rtol=1': empty segment"},
        {"params..mu=1", "spec.json: --set 'params..mu=1': empty segment"},
        {"params.=1", "spec.json: --set 'params.=1': empty segment"},
        {"y0.x=1", "spec.json: --set 'y0.x=1': $.y0 is an array, not an object"},
        {"plugin.path=x", "spec.json: --set 'plugin.path=x': $.plugin is a string, not an object"},
        {"events.e.terminal.k=1",
         "spec.json: --set 'events.e.terminal.k=1': $.events.e.terminal is true, not an object"},
    };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        expect_error_sets("{" BASE ", \"events\": {\"e\": {\"terminal\": true}}}", &cases[i].set, 1,
                          cases[i].want);
    }
}

static void problem_reports_override_errors_at_json_path(void **state)
{
    static const char *const bad_rtol[] = {"rtol=-1"};
    static const char *const bad_mu[] = {"params.mu=abc"};
    static const char *const unknown[] = {"tolerance=1"};
    static const char *const dup[] = {"events={\"a\": {}, \"a\": {}}"};
    static const char *const inf[] = {"y0=[1e999, 0]"};
    static const char *const bad_method[] = {"method=euler"};
    (void)state;
    expect_error_sets("{" BASE "}", bad_rtol, 1, "spec.json: $.rtol: must be > 0, got -1");
    expect_error_sets("{" BASE "}", bad_mu, 1,
                      "spec.json: $.params.mu: must be a number, got a string");
    expect_error_sets("{" BASE "}", unknown, 1, "spec.json: $.tolerance: unknown key");
    expect_error_sets("{" BASE "}", dup, 1, "spec.json: $.events.a: duplicate key");
    expect_error_sets("{" BASE "}", inf, 1, "spec.json: $.y0[0]: must be a finite number");
    expect_error_sets("{" BASE "}", bad_method, 1, "spec.json: $.method: unknown method \"euler\"");
}

static void problem_set_can_supply_required_keys(void **state)
{
    static const char *const sets[] = {"plugin=other.so", "y0=[3]"};
    ivp_problem *p = parse_sets("{\"t_span\": [0, 1]}", sets, 2);
    (void)state;
    assert_string_equal(p->plugin, "dir/other.so");
    assert_int_equal(p->n, 1);
    ivp_problem_free(p);
}

/* ---------------------------------------------------------------- the resolved spec */

static void problem_resolved_contains_defaults(void **state)
{
    ivp_problem *p = parse_ok("{" BASE "}");
    (void)state;
    assert_string_equal(p->resolved,
                        "{\"plugin\":\"m.so\",\"t_span\":[0,10],\"y0\":[1,0],\"params\":{},"
                        "\"method\":\"RK45\",\"rtol\":0.001,\"atol\":1e-06,\"dense_output\":false,"
                        "\"events\":{},\"first_step\":null,\"max_step\":null,\"min_step\":0}");
    ivp_problem_free(p);
}

static void problem_resolved_keeps_values_after_overrides(void **state)
{
    static const char *const sets[] = {"method=lsoda", "params.mu=10"};
    ivp_problem *p = parse_sets(
        "{\"output\": \"o.h5\", \"events\": {\"e\": {\"direction\": 1}, \"f\": {\"terminal\": 2}},"
        " \"max_steps\": 100, " BASE ", \"t_eval\": {\"linspace\": [0, 10, 3]}, \"atol\": [1, 2],"
        " \"jac\": \"fd\", \"lband\": 1, \"uband\": 1, \"max_step\": 0.5}",
        sets, 2);
    (void)state;
    assert_string_equal(
        p->resolved,
        "{\"plugin\":\"m.so\",\"t_span\":[0,10],\"y0\":[1,0],\"params\":{\"mu\":10},"
        "\"method\":\"LSODA\",\"rtol\":0.001,\"atol\":[1,2],\"t_eval\":{\"linspace\":[0,10,3]},"
        "\"dense_output\":false,\"events\":{\"e\":{\"terminal\":false,\"direction\":1},"
        "\"f\":{\"terminal\":2,\"direction\":0}},\"first_step\":null,\"max_step\":0.5,"
        "\"min_step\":0,\"max_steps\":100,\"jac\":\"fd\",\"lband\":1,\"uband\":1,"
        "\"output\":\"o.h5\"}");
    ivp_problem_free(p);
}

static void problem_resolved_keeps_numbers_exact(void **state)
{
    /* cJSON's own printer would write 1 and 0.3 here */
    ivp_problem *p = parse_ok("{\"plugin\": \"m.so\", \"t_span\": [-0.1, 1e300],"
                              " \"y0\": [1.0000000000000002, 0.30000000000000004, -0.0, 1e-320]}");
    (void)state;
    assert_string_equal(p->resolved,
                        "{\"plugin\":\"m.so\",\"t_span\":[-0.1,1e+300],"
                        "\"y0\":[1.0000000000000002,0.30000000000000004,-0,9.99988867182683e-321],"
                        "\"params\":{},\"method\":\"RK45\",\"rtol\":0.001,\"atol\":1e-06,"
                        "\"dense_output\":false,\"events\":{},\"first_step\":null,"
                        "\"max_step\":null,\"min_step\":0}");
    ivp_problem_free(p);
}

static void problem_resolved_parses_to_the_same_problem(void **state)
{
    ivp_problem *p = parse_ok(
        "{\"plugin\": \"m.so\", \"t_span\": [0, 10], \"rtol\": 1e-7, \"atol\": 0.1,"
        " \"y0\": [0.1, 2.5e-300],"
        " \"params\": {\"a\": 0.30000000000000004},"
        " \"jac_sparsity\": {\"rows\": [1], \"cols\": [0]}}");
    ivp_problem *q = parse_ok(p->resolved);
    (void)state;
    assert_string_equal(q->resolved, p->resolved);
    assert_string_equal(q->plugin, p->plugin);
    ivp_assert_close(q->y0[1], 2.5e-300, 0, 0);
    assert_non_null(strstr(p->resolved, "\"a\":0.30000000000000004"));
    ivp_assert_close(q->param_values[0], 0.30000000000000004, 0, 0);
    ivp_assert_close(q->rtol, 1e-7, 0, 0);
    ivp_assert_close(q->atol, 0.1, 0, 0);
    assert_int_equal(q->sp_nnz, 1);
    assert_int_equal(q->sp_rows[0], 1);
    ivp_problem_free(q);
    ivp_problem_free(p);
}

/* ---------------------------------------------------------------- plugin paths and files */

static void problem_resolves_plugin_path(void **state)
{
    static const struct {
        const char *base, *plugin, *want;
    } cases[] = {
        {"dir", "m.so", "dir/m.so"},
        {"dir/", "m.so", "dir/m.so"},
        {"/", "m.so", "/m.so"},
        {".", "m.so", "./m.so"},
        {NULL, "m.so", "./m.so"},
        {"a/b", "../p/m.c", "a/b/../p/m.c"},
        {"dir", "/abs/m.so", "/abs/m.so"},
    };
    char json[256];
    size_t i;
    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ivp_problem *p = NULL;
        ivp_error err;
        snprintf(json, sizeof json, "{\"plugin\": \"%s\", \"t_span\": [0, 1], \"y0\": [1]}",
                 cases[i].plugin);
        assert_int_equal(
            ivp_problem_parse(json, strlen(json), "s.json", cases[i].base, NULL, 0, &p, &err),
            IVP_OK);
        assert_string_equal(p->plugin, cases[i].want);
        ivp_problem_free(p);
    }
}

static void problem_load_resolves_plugin_against_spec_folder(void **state)
{
    char path[4096], want[4096];
    ivp_problem *p = NULL;
    ivp_error err;
    static const char *const sets[] = {"rtol=1e-5"};
    (void)state;
    snprintf(path, sizeof path, "%s", ivp_test_source_path("tests/spec/valid/minimal.json"));
    snprintf(want, sizeof want, "%s", ivp_test_source_path("tests/spec/valid/model.so"));
    assert_int_equal(ivp_problem_load(path, sets, 1, &p, &err), IVP_OK);
    assert_string_equal(p->plugin, want);
    ivp_assert_close(p->rtol, 1e-5, 0, 0);
    ivp_problem_free(p);
}

static void problem_load_names_the_file_in_errors(void **state)
{
    char path[4096], want[4200];
    ivp_problem *p = NULL;
    ivp_error err;
    (void)state;
    snprintf(path, sizeof path, "%s", ivp_test_source_path("tests/spec/invalid/rtol_zero.json"));
    assert_int_equal(ivp_problem_load(path, NULL, 0, &p, &err), IVP_ERR_SPEC);
    assert_null(p);
    snprintf(want, sizeof want, "%s: $.rtol: must be > 0, got 0", path);
    assert_string_equal(err.msg, want);
}

static void problem_load_reports_unreadable_file(void **state)
{
    static ivp_problem sentinel;
    ivp_problem *p = &sentinel;
    ivp_error err;
    char dir[4096], want[4200];
    (void)state;
    assert_int_equal(ivp_problem_load("/nonexistent/spec.json", NULL, 0, &p, &err), IVP_ERR_SPEC);
    assert_null(p);
    assert_string_equal(err.msg, "/nonexistent/spec.json: cannot read: No such file or directory");
    snprintf(dir, sizeof dir, "%s", ivp_test_source_path("tests/spec"));
    assert_int_equal(ivp_problem_load(dir, NULL, 0, &p, &err), IVP_ERR_SPEC);
    snprintf(want, sizeof want, "%s: cannot read: Is a directory", dir);
    assert_string_equal(err.msg, want);
}

static void problem_rejects_null_arguments(void **state)
{
    ivp_problem *p = NULL;
    ivp_error err;
    (void)state;
    assert_int_equal(ivp_problem_parse(NULL, 3, "s", ".", NULL, 0, &p, &err), IVP_ERR_ARG);
    assert_int_equal(ivp_problem_parse("{}", 2, "s", ".", NULL, 0, NULL, &err), IVP_ERR_ARG);
    assert_int_equal(ivp_problem_parse("{}", 2, "s", ".", NULL, 1, &p, &err), IVP_ERR_ARG);
    assert_int_equal(ivp_problem_load(NULL, NULL, 0, &p, &err), IVP_ERR_ARG);
    /* err may be NULL */
    assert_int_equal(ivp_problem_parse("{", 1, "s", ".", NULL, 0, &p, NULL), IVP_ERR_SPEC);
    assert_null(p);
}

static void problem_free_accepts_null(void **state)
{
    (void)state;
    ivp_problem_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(problem_parses_full_spec),
        cmocka_unit_test(problem_fills_defaults),
        cmocka_unit_test(problem_reads_nulls_as_automatic_steps),
        cmocka_unit_test(problem_method_is_case_insensitive),
        cmocka_unit_test(problem_accepts_integral_floats_as_integers),
        cmocka_unit_test(problem_accepts_backward_t_eval),
        cmocka_unit_test(problem_parses_sparsity_plugin_and_jac_plugin),
        cmocka_unit_test(problem_expands_linspace_like_numpy),
        cmocka_unit_test(problem_expands_linspace_of_one_point_to_its_start),
        cmocka_unit_test(problem_expands_backward_linspace),
        cmocka_unit_test(problem_reports_syntax_error_line_and_column),
        cmocka_unit_test(problem_counts_columns_in_characters),
        cmocka_unit_test(problem_reports_syntax_error_at_end_of_input),
        cmocka_unit_test(problem_rejects_empty_input),
        cmocka_unit_test(problem_rejects_trailing_garbage),
        cmocka_unit_test(problem_rejects_nan_literals),
        cmocka_unit_test(problem_rejects_nul_byte),
        cmocka_unit_test(problem_rejects_nul_escapes_at_their_path),
        cmocka_unit_test(problem_reads_only_len_bytes),
        cmocka_unit_test(problem_rejects_negative_rtol),
        cmocka_unit_test(problem_rejects_negative_atol),
        cmocka_unit_test(problem_rejects_unknown_key_listing_valid_keys),
        cmocka_unit_test(problem_rejects_missing_required_keys),
        cmocka_unit_test(problem_rejects_non_object_root),
        cmocka_unit_test(problem_rejects_wrong_types_naming_expected_type),
        cmocka_unit_test(problem_rejects_bad_values_at_their_path),
        cmocka_unit_test(problem_rejects_non_finite_numbers),
        cmocka_unit_test(problem_rejects_non_integral_integers),
        cmocka_unit_test(problem_rejects_duplicate_keys),
        cmocka_unit_test(problem_rejects_equal_t_span_ends),
        cmocka_unit_test(problem_rejects_atol_length_mismatch),
        cmocka_unit_test(problem_rejects_unsorted_t_eval),
        cmocka_unit_test(problem_rejects_t_eval_outside_t_span),
        cmocka_unit_test(problem_rejects_linspace_against_direction),
        cmocka_unit_test(problem_rejects_first_step_beyond_span),
        cmocka_unit_test(problem_rejects_sparsity_outside_y0),
        cmocka_unit_test(problem_rejects_sparsity_of_unequal_lengths),
        cmocka_unit_test(problem_rejects_repeated_sparsity_entries),
        cmocka_unit_test(problem_applies_set_overrides),
        cmocka_unit_test(problem_set_creates_missing_objects),
        cmocka_unit_test(problem_set_replaces_whole_values),
        cmocka_unit_test(problem_set_adds_after_replacing_the_last_key),
        cmocka_unit_test(problem_rejects_bad_overrides),
        cmocka_unit_test(problem_reports_override_errors_at_json_path),
        cmocka_unit_test(problem_set_can_supply_required_keys),
        cmocka_unit_test(problem_resolved_contains_defaults),
        cmocka_unit_test(problem_resolved_keeps_values_after_overrides),
        cmocka_unit_test(problem_resolved_keeps_numbers_exact),
        cmocka_unit_test(problem_resolved_parses_to_the_same_problem),
        cmocka_unit_test(problem_resolves_plugin_path),
        cmocka_unit_test(problem_load_resolves_plugin_against_spec_folder),
        cmocka_unit_test(problem_load_names_the_file_in_errors),
        cmocka_unit_test(problem_load_reports_unreadable_file),
        cmocka_unit_test(problem_rejects_null_arguments),
        cmocka_unit_test(problem_free_accepts_null),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
