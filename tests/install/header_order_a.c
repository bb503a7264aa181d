/* SPDX-License-Identifier: MIT
 * The solver's header, then the plugin ABI header (with its declarations): one definition of
 * ivp_ctx, and a plugin's rhs checks against both. */
#include "ivp/solve.h"
#include "ivp_plugin.h"

IVP_PLUGIN_ABI;

int rhs(double t, const double *y, double *dydt, const ivp_ctx *ctx)
{
    ivp_system sys = {.n = 1, .rhs = rhs, .ctx = ctx};
    (void)t;
    dydt[0] = -y[0] * (double)sys.n;
    return 0;
}
