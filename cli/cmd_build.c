/* SPDX-License-Identifier: MIT
 * cli/cmd_build.c - `ivp build PLUGIN.c [-o PLUGIN.so]`: compile a plugin.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ivp/plugin.h"
#include "ivp/status.h"

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
