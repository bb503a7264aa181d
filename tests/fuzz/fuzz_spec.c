/* SPDX-License-Identifier: MIT
 * tests/fuzz/fuzz_spec.c - fuzz target for the problem-spec parser (core/src/problem.c).
 *
 * The input is a spec, optionally followed by a 0x01 byte and --set overrides separated by
 * 0x01 bytes ("KEY=VALUE"). Beyond "no crash, no leak, no undefined behaviour" (the sanitizers'
 * job) it checks what the parser promises:
 *  - it returns IVP_OK with a problem, or IVP_ERR_SPEC / IVP_ERR_NOMEM with NULL and a message
 *    that starts with the spec's name;
 *  - an accepted problem is consistent (n >= 1, t_span ends differ, t_eval inside t_span and
 *    strictly monotonic, sparsity indices < n, ...);
 *  - its resolved text (the HDF5 'problem' attribute) parses again, without overrides, to the
 *    same problem.
 * A broken promise calls abort(), which libFuzzer and the replay test report as a crash.
 *
 * Built two ways (tests/fuzz/CMakeLists.txt): with -fsanitize=fuzzer (clang, -DIVP_FUZZ=ON),
 * and as a plain program (fuzz_spec_replay.c supplies main) that replays the seed corpus
 * in the normal test suite.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ivp/model.h"
#include "ivp/problem.h"

#define FUZZ_NAME "fuzz.json"
#define FUZZ_MAX_SETS 8

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_spec: broken promise: %s\n", what);
        abort();
    }
}

static int same_doubles(const double *a, const double *b, size_t n)
{
    size_t i;
    if (n > 0 && (a == NULL || b == NULL)) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        if (!(a[i] == b[i])) {
            return 0;
        }
    }
    return 1;
}

static int same_strings(char *const *a, char *const *b, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        if (strcmp(a[i], b[i]) != 0) {
            return 0;
        }
    }
    return 1;
}

static void fuzz_consistent(const ivp_problem *p)
{
    size_t i;
    int forward = p->t_end > p->t0;
    fuzz_check((p->plugin != NULL && p->plugin[0] != '\0') != (p->model != NULL),
               "exactly one of plugin and model set");
    fuzz_check(p->method != NULL && ivp_method_canonical(p->method) != NULL, "method known");
    fuzz_check(p->n >= 1 && p->y0 != NULL, "y0 not empty");
    fuzz_check(isfinite(p->t0) && isfinite(p->t_end) && p->t0 != p->t_end, "t_span");
    for (i = 0; i < p->n; i++) {
        fuzz_check(isfinite(p->y0[i]), "y0 finite");
    }
    fuzz_check(p->rtol > 0 && isfinite(p->rtol) && p->atol >= 0 && isfinite(p->atol), "tols");
    if (p->atol_vec != NULL) {
        for (i = 0; i < p->n; i++) {
            fuzz_check(p->atol_vec[i] >= 0 && isfinite(p->atol_vec[i]), "atol_vec");
        }
    }
    for (i = 0; i < p->n_t_eval; i++) {
        double t = p->t_eval[i];
        fuzz_check(t >= fmin(p->t0, p->t_end) && t <= fmax(p->t0, p->t_end), "t_eval in span");
        fuzz_check(i == 0 || (forward ? t > p->t_eval[i - 1] : t < p->t_eval[i - 1]),
                   "t_eval monotonic");
    }
    for (i = 0; i < p->sp_nnz; i++) {
        fuzz_check(p->sp_rows[i] < p->n && p->sp_cols[i] < p->n, "sparsity in range");
    }
    for (i = 0; i < p->n_event_specs; i++) {
        fuzz_check(p->event_names[i][0] != '\0', "event name");
        fuzz_check(p->event_opts[i].direction >= -1 && p->event_opts[i].direction <= 1,
                   "event direction");
    }
    fuzz_check(p->first_step >= 0 && p->first_step <= fabs(p->t_end - p->t0), "first_step");
    fuzz_check(p->max_step > 0 && p->min_step >= 0, "max_step, min_step");
    fuzz_check(p->resolved != NULL, "resolved text");
}

/* The resolved text must read back, without overrides, as the same problem. */
static void fuzz_round_trip(const ivp_problem *p)
{
    ivp_problem *q = NULL;
    ivp_error err;
    ivp_status s = ivp_problem_parse(p->resolved, strlen(p->resolved), FUZZ_NAME, ".", NULL, 0, &q,
                                     &err);
    if (s == IVP_ERR_NOMEM) {
        return;
    }
    if (s != IVP_OK) {
        fprintf(stderr, "fuzz_spec: resolved spec rejected: %s\n%s\n", err.msg, p->resolved);
    }
    fuzz_check(s == IVP_OK, "resolved spec parses");
    fuzz_check((p->plugin != NULL
                    ? q->plugin != NULL && strcmp(p->plugin, q->plugin) == 0
                    : q->model != NULL && strcmp(ivp_model_canonical(p->model),
                                                 ivp_model_canonical(q->model)) == 0) &&
                   strcmp(p->method, q->method) == 0,
               "round trip: plugin or model, method");
    fuzz_check(p->t0 == q->t0 && p->t_end == q->t_end && p->n == q->n &&
                   same_doubles(p->y0, q->y0, p->n),
               "round trip: t_span, y0");
    fuzz_check(p->n_params == q->n_params &&
                   same_strings(p->param_names, q->param_names, p->n_params) &&
                   same_doubles(p->param_values, q->param_values, p->n_params),
               "round trip: params");
    fuzz_check(p->rtol == q->rtol && p->atol == q->atol &&
                   (p->atol_vec == NULL) == (q->atol_vec == NULL) &&
                   (p->atol_vec == NULL || same_doubles(p->atol_vec, q->atol_vec, p->n)),
               "round trip: tolerances");
    fuzz_check(p->n_t_eval == q->n_t_eval && same_doubles(p->t_eval, q->t_eval, p->n_t_eval),
               "round trip: t_eval");
    fuzz_check(p->dense_output == q->dense_output && p->n_event_specs == q->n_event_specs &&
                   same_strings(p->event_names, q->event_names, p->n_event_specs) &&
                   (p->n_event_specs == 0 || memcmp(p->event_opts, q->event_opts,
                                                    p->n_event_specs * sizeof *p->event_opts) == 0),
               "round trip: dense_output, events");
    fuzz_check(p->first_step == q->first_step && p->max_step == q->max_step &&
                   p->min_step == q->min_step && p->max_steps == q->max_steps,
               "round trip: steps");
    fuzz_check(p->jac == q->jac && p->sparsity == q->sparsity && p->sp_nnz == q->sp_nnz &&
                   (p->sp_nnz == 0 ||
                    (memcmp(p->sp_rows, q->sp_rows, p->sp_nnz * sizeof *p->sp_rows) == 0 &&
                     memcmp(p->sp_cols, q->sp_cols, p->sp_nnz * sizeof *p->sp_cols) == 0)) &&
                   p->lband == q->lband && p->uband == q->uband,
               "round trip: jac, sparsity, bands");
    fuzz_check((p->output == NULL) == (q->output == NULL) &&
                   (p->output == NULL || strcmp(p->output, q->output) == 0),
               "round trip: output");
    fuzz_check(strcmp(p->resolved, q->resolved) == 0, "round trip: resolved text is a fixpoint");
    ivp_problem_free(q);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    const uint8_t *sep = memchr(data, 0x01, size);
    size_t spec_len = sep != NULL ? (size_t)(sep - data) : size;
    char *sets_buf = NULL;
    const char *sets[FUZZ_MAX_SETS];
    size_t n_sets = 0;
    ivp_problem *p = NULL;
    ivp_error err;
    ivp_status s;

    if (sep != NULL) {
        /* "KEY=VALUE" strings after the spec, one per 0x01; a NUL ends the last one early */
        size_t rest = size - spec_len - 1, i;
        sets_buf = malloc(rest + 1);
        if (sets_buf == NULL) {
            return 0;
        }
        memcpy(sets_buf, sep + 1, rest);
        sets_buf[rest] = '\0';
        sets[n_sets++] = sets_buf;
        for (i = 0; i < rest && n_sets < FUZZ_MAX_SETS; i++) {
            if (sets_buf[i] == 0x01) {
                sets_buf[i] = '\0';
                sets[n_sets++] = sets_buf + i + 1;
            }
        }
    }
    ivp_error_clear(&err);
    s = ivp_problem_parse(text, spec_len, FUZZ_NAME, ".", sets, n_sets, &p, &err);
    if (s == IVP_OK) {
        fuzz_check(p != NULL, "a problem on success");
        fuzz_consistent(p);
        fuzz_round_trip(p);
        ivp_problem_free(p);
    } else {
        fuzz_check(p == NULL, "no problem on failure");
        fuzz_check(s == IVP_ERR_SPEC || s == IVP_ERR_NOMEM, "status SPEC or NOMEM");
        fuzz_check(err.status == s, "err.status");
        fuzz_check(strncmp(err.msg, FUZZ_NAME, strlen(FUZZ_NAME)) == 0, "message names the spec");
    }
    free(sets_buf);
    return 0;
}
