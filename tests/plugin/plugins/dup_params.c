/* SPDX-License-Identifier: MIT
 * tests/plugin/plugins/dup_params.c - 'ivp_param_names' naming one parameter twice.
 */
#include "ivp_plugin.h"

IVP_PLUGIN_ABI;
const char *const ivp_param_names[] = {"k", "c", "k", NULL};

int rhs(double t, const double *y, double *dydt, const ivp_ctx *ctx)
{
    (void)t;
    dydt[0] = -ctx->p[0] * y[0];
    return 0;
}
