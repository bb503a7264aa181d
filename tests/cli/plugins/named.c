/* SPDX-License-Identifier: MIT
 * tests/cli/plugins/named.c - a damped oscillator with a drift, for the format 1.1 metadata:
 * named states ("pos", "vel", "drift"), parameters declared as "k", "c", "a" (a spec may list
 * them in any order; the file stores them in this one) and two events whose plugin order
 * ("up", "down") is not alphabetical. pos' = vel, vel' = -k pos - c vel, drift' = a.
 * Events: "up" g = pos - 1/2, "down" g = pos + 1/2. Compiled on demand by ivp.
 */
#include "ivp_plugin.h"

IVP_PLUGIN_ABI;
const size_t ivp_dim = 3;
const char *const ivp_param_names[] = {"k", "c", "a", NULL};
const char *const ivp_state_names[] = {"pos", "vel", "drift", NULL};
const char *const ivp_event_names[] = {"up", "down", NULL};

int rhs(double t, const double *y, double *dydt, const ivp_ctx *ctx)
{
    (void)t;
    dydt[0] = y[1];
    dydt[1] = -ctx->p[0] * y[0] - ctx->p[1] * y[1];
    dydt[2] = ctx->p[2];
    return 0;
}

int events(double t, const double *y, double *g, const ivp_ctx *ctx)
{
    (void)t;
    (void)ctx;
    g[0] = y[0] - 0.5;
    g[1] = y[0] + 0.5;
    return 0;
}
