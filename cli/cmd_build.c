/* SPDX-License-Identifier: MIT
 * cli/cmd_build.c - `ivp build PLUGIN.c [-o PLUGIN.so]`: compile a plugin.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ivp/model.h"
#include "ivp/plugin.h"
#include "ivp/problem.h"
#include "ivp/status.h"
#include "ivp/writer.h"

#include "cli.h"

/* PLUGIN.c with ".c" replaced by ".so" (or ".so" appended); NULL when out of memory. */
static char *build_default_output(const char *source)
{
    size_t len = strlen(source);
    char *out;
    if (len > 2 && strcmp(source + len - 2, ".c") == 0) {
        len -= 2;
    }
    out = malloc(len + 4);
    if (out != NULL) {
        memcpy(out, source, len);
        memcpy(out + len, ".so", 4);
    }
    return out;
}

/* `ivp build SPEC.json [-o MODEL.c]`: the C source generated from the spec's expression model
 * (default: SPEC with .json replaced by .c), written through a temporary file (nothing is
 * written on an error). Exit 2 for a spec without a model or an invalid one, 1 for an output
 * that cannot be written. */
static int build_model_source(const cli_args *a)
{
    ivp_problem *p = NULL;
    ivp_outfile f = {NULL, NULL, 0, 0};
    ivp_error err;
    ivp_status st;
    char *text = NULL, *out = NULL;
    size_t len = 0, n;
    FILE *fp;
    int code = IVP_EXIT_OK;

    ivp_error_clear(&err);
    st = ivp_problem_load(a->input, NULL, 0, &p, &err);
    if (st != IVP_OK) {
        cli_error("%s", err.msg[0] != '\0' ? err.msg : ivp_status_str(st));
        return cli_exit_for_status(st);
    }
    if (p->model == NULL) {
        cli_error("%s: has no \"model\" to generate C from (build a plugin with ivp build "
                  "PLUGIN.c)",
                  a->input);
        ivp_problem_free(p);
        return IVP_EXIT_USAGE;
    }
    if (a->output != NULL) {
        n = strlen(a->output);
        out = malloc(n + 1);
        if (out != NULL) {
            memcpy(out, a->output, n + 1);
        }
    } else {
        n = strlen(a->input);
        if (n > 5 && strcmp(a->input + n - 5, ".json") == 0) {
            n -= 5;
        }
        out = malloc(n + 3);
        if (out != NULL) {
            memcpy(out, a->input, n);
            memcpy(out + n, ".c", 3);
        }
    }
    text = ivp_model_emit_c(p->model, &len);
    if (out == NULL || text == NULL) {
        cli_error("out of memory");
        code = IVP_EXIT_SOLVER;
        goto done;
    }
    st = ivp_outfile_create(&f, out, &err);
    if (st == IVP_OK) {
        fp = fopen(f.temp, "wb");
        if (fp == NULL || fwrite(text, 1, len, fp) != len || fclose(fp) != 0) {
            st = ivp_error_set(&err, IVP_ERR_IO, "%s: cannot write the generated C", out);
        }
    }
    if (st == IVP_OK) {
        st = ivp_outfile_commit(&f, &err);
    }
    if (st != IVP_OK) {
        cli_error("%s", err.msg);
        code = cli_exit_for_status(st);
        goto done;
    }
    printf("%s\n", out);
done:
    ivp_outfile_discard(&f);
    free(text);
    free(out);
    ivp_problem_free(p);
    return code;
}

int cmd_build(int argc, char **argv, const cli_command *self)
{
    cli_args args;
    char *out = NULL;
    ivp_error err;
    ivp_status st;
    int code;

    code = cli_args_parse(argc, argv, CLI_OPT_OUTPUT, self, &args);
    if (code != IVP_EXIT_OK) {
        goto done;
    }
    if (args.help) {
        cli_usage(stdout, self);
        goto done;
    }
    if (strcmp(args.input, "-") == 0) {
        code = cli_usage_error(self, "build needs a plugin source file, not standard input");
        goto done;
    }
    if (strlen(args.input) > 5 && strcmp(args.input + strlen(args.input) - 5, ".json") == 0) {
        code = build_model_source(&args);
        goto done;
    }
    out = args.output != NULL ? NULL : build_default_output(args.input);
    if (args.output == NULL && out == NULL) {
        cli_error("out of memory");
        code = IVP_EXIT_SOLVER;
        goto done;
    }
    ivp_error_clear(&err);
    st = ivp_plugin_build(args.input, args.output != NULL ? args.output : out, NULL, &err);
    if (st != IVP_OK) {
        cli_error("%s", err.msg[0] != '\0' ? err.msg : ivp_status_str(st));
        /* A signal during the compile stopped the compiler and left nothing behind: 130. */
        code = st == IVP_ERR_NOMEM         ? IVP_EXIT_SOLVER
               : st == IVP_ERR_INTERRUPTED ? IVP_EXIT_INTERRUPTED
                                           : IVP_EXIT_PLUGIN;
        goto done;
    }
    printf("%s\n", args.output != NULL ? args.output : out);
done:
    free(out);
    cli_args_free(&args);
    return code;
}
