/* SPDX-License-Identifier: MIT
 * tests/plugin/plugins/plain.c - the smallest valid plugin: y' = -y for any n, no parameters,
 * no ivp_dim, nothing optional.
 */
#include "ivp_plugin.h"

IVP_PLUGIN_ABI;

int rhs(double t, const double *y, double *dydt, const ivp_ctx *ctx)
{
    size_t i;
    (void)t;
    for (i = 0; i < ctx->n; i++) {
        dydt[i] = -y[i];
    }
    return 0;
}
