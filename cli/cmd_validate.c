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
    if (setup.problem->ensemble != NULL) {
        printf("%s: ok (%s, n = %zu, plugin %s, ensemble of %zu members from %s)\n",
               strcmp(args.input, "-") == 0 ? "<stdin>" : args.input, setup.problem->method,
               setup.problem->n, setup.problem->plugin, setup.problem->ensemble->n_members,
               setup.problem->ensemble->source);
    } else {
        printf("%s: ok (%s, n = %zu, plugin %s)\n",
               strcmp(args.input, "-") == 0 ? "<stdin>" : args.input, setup.problem->method,
               setup.problem->n, setup.problem->plugin);
    }
done:
    cli_setup_free(&setup);
    cli_args_free(&args);
    return code;
}
