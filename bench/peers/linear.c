/* SPDX-License-Identifier: MIT
 * bench/peers/linear.c - plugin for the benchmarks: y' = -y, any dimension (the spec's y0 sets
 * n), so y(t) = exp(-t) y0 exactly. Used by run_all.py for the linear N = 1000 seed case and
 * for the tiny process-start run.
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
