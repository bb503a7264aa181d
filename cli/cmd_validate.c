/* SPDX-License-Identifier: MIT
 * cli/cmd_validate.c - `ivp validate SPEC`: everything `run` checks, without solving.
 */
#include <stdio.h>
#include <string.h>

#include "ivp/problem.h"

#include "cli.h"

int cmd_validate(int argc, char **argv, const cli_command *self)
{
    cli_args args;
    cli_setup setup;
    int code;

    memset(&setup, 0, sizeof setup);
    code = cli_args_parse(argc, argv, CLI_OPT_SPEC | CLI_OPT_QUIET | CLI_OPT_MEMBERS, self, &args);
    if (code != IVP_EXIT_OK) {
        goto done;
    }
    if (args.help) {
        cli_usage(stdout, self);
        goto done;
    }
    code = cli_setup_load(&setup, &args);
    if (code != IVP_EXIT_OK) {
        goto done;
    }
    {
        const char *name = strcmp(args.input, "-") == 0 ? "<stdin>" : args.input;
        const char *kind = setup.problem->model != NULL ? "model, plugin" : "plugin";
        const char *path = setup.problem->model != NULL ? setup.plugin->path
                                                        : setup.problem->plugin;
        if (setup.problem->ensemble != NULL) {
            printf("%s: ok (%s, n = %zu, %s %s, ensemble of %zu members from %s)\n", name,
                   setup.problem->method, setup.problem->n, kind, path,
                   setup.problem->ensemble->n_members, setup.problem->ensemble->source);
        } else {
            printf("%s: ok (%s, n = %zu, %s %s)\n", name, setup.problem->method, setup.problem->n,
                   kind, path);
        }
    }
done:
    cli_setup_free(&setup);
    cli_args_free(&args);
    return code;
}
