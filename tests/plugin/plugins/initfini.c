/* SPDX-License-Identifier: MIT
 * tests/plugin/plugins/initfini.c - ivp_init/ivp_fini that keep a block in ctx->data and count
 * their calls in exported globals (test_init_calls, test_fini_calls) the test reads with dlsym.
 * Parameter 'init_rc' is what ivp_init returns; a failing ivp_init frees its block itself.
 * Globals are fine in a test plugin; real plugins keep per-solve state in ctx->data.
 */
#include <stdlib.h>

#include "ivp_plugin.h"

IVP_PLUGIN_ABI;
const char *const ivp_param_names[] = {"init_rc", NULL};
int test_init_calls;
int test_fini_calls;

int rhs(double t, const double *y, double *dydt, const ivp_ctx *ctx)
{
    const double *scale = ctx->data;
    (void)t;
    dydt[0] = -*scale * y[0];
    return 0;
}

int ivp_init(ivp_ctx *ctx)
{
    int rc = (int)ctx->p[0];
    double *scale = malloc(sizeof *scale);
    test_init_calls++;
    if (scale == NULL) {
        return -1;
    }
    *scale = 2.0;
    if (rc != 0) {
        free(scale);
        return rc;
    }
    ctx->data = scale;
    return 0;
}

void ivp_fini(ivp_ctx *ctx)
{
    test_fini_calls++;
    free(ctx->data); /* a second call would also be a double free, which ASan reports */
}
