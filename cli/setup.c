/* SPDX-License-Identifier: MIT
 * cli/setup.c - what `run` and `validate` share: spec, plugin, instance, solver options.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ivp/model.h"
#include "ivp/plugin.h"
#include "ivp/problem.h"
#include "ivp/solve.h"
#include "ivp/status.h"

#include "cli.h"

/* Prints a core error; messages that start with a JSON path get the spec's name in front. */
static int setup_fail(const cli_args *a, ivp_status st, const ivp_error *err)
{
    if (err->msg[0] == '$') {
        cli_error("%s: %s", strcmp(a->input, "-") == 0 ? "<stdin>" : a->input, err->msg);
    } else if (err->msg[0] != '\0') {
        cli_error("%s", err->msg);
    } else {
        cli_error("%s", ivp_status_str(st));
    }
    return cli_exit_for_status(st);
}

/* The Jacobian settings an explicit method does not use: a warning, not an error, so one spec
 * can be tried with every method (--method). */
static void setup_warn_ignored(const ivp_problem *p)
{
    char list[64] = "";
    const char *names[4];
    size_t k = 0, i;

    if (ivp_method_is_implicit(p->method)) {
        return;
    }
    if (p->jac != IVP_JAC_AUTO) {
        names[k++] = "jac";
    }
    if (p->sparsity != IVP_SPARSITY_NONE) {
        names[k++] = "jac_sparsity";
    }
    if (p->lband >= 0) {
        names[k++] = "lband";
    }
    if (p->uband >= 0) {
        names[k++] = "uband";
    }
    if (k == 0) {
        return;
    }
    for (i = 0; i < k; i++) {
        strcat(list, i == 0 ? "" : (i + 1 == k ? " and " : ", "));
        strcat(list, names[i]);
    }
    cli_warning("%s %s ignored by the explicit method %s (it uses no Jacobian)", list,
                k == 1 ? "is" : "are", p->method);
}

/* An expression model: its generated C, compiled into the plugin cache (keyed by that text,
 * which holds the canonical model) and loaded like any plugin. */
static ivp_status setup_load_model(const cli_args *a, const ivp_problem *p, ivp_plugin **out,
                                   ivp_error *err)
{
    char name[512];
    size_t len = 0;
    char *text = ivp_model_emit_c(p->model, &len);
    ivp_status st;
    if (text == NULL) {
        return ivp_error_set(err, IVP_ERR_NOMEM, "out of memory generating the model's C code");
    }
    snprintf(name, sizeof name, "%s: model", strcmp(a->input, "-") == 0 ? "<stdin>" : a->input);
    st = ivp_plugin_load_source(text, len, name, NULL, out, err);
    free(text);
    return st;
}

int cli_setup_load(cli_setup *s, const cli_args *a)
{
    ivp_error err;
    ivp_status st;
    const ivp_problem *p;

    ivp_error_clear(&err);
    st = ivp_problem_load_members(a->input, a->sets, a->n_sets, a->members, &s->problem, &err);
    if (st != IVP_OK) {
        goto fail;
    }
    p = s->problem;
    if (p->model != NULL) {
        st = setup_load_model(a, p, &s->plugin, &err);
    } else {
        st = ivp_plugin_load(p->plugin, NULL, &s->plugin, &err);
    }
    if (st != IVP_OK) {
        goto fail;
    }
    st = ivp_instance_new(s->plugin, p, &s->inst, &err);
    if (st != IVP_OK) {
        goto fail;
    }

    ivp_options_init(&s->opt);
    s->opt.method = p->method;
    s->opt.rtol = p->rtol;
    s->opt.atol = p->atol;
    s->opt.atol_vec = p->atol_vec;
    s->opt.first_step = p->first_step;
    s->opt.max_step = p->max_step;
    s->opt.min_step = p->min_step;
    s->opt.max_steps = p->max_steps;
    s->opt.t_eval = p->t_eval;
    s->opt.n_t_eval = p->n_t_eval;
    s->opt.dense_output = p->dense_output;
    s->opt.events = s->inst->event_opts;

    st = ivp_solve_check(&s->inst->sys, p->t0, p->t_end, p->y0, &s->opt, &err);
    if (st != IVP_OK) {
        goto fail;
    }
    if (!a->quiet) {
        setup_warn_ignored(p);
    }
    return IVP_EXIT_OK;
fail:
    return setup_fail(a, st, &err);
}

void cli_setup_free(cli_setup *s)
{
    ivp_instance_free(s->inst);
    ivp_plugin_close(s->plugin);
    ivp_problem_free(s->problem);
    memset(s, 0, sizeof *s);
}
