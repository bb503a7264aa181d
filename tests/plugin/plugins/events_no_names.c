/* SPDX-License-Identifier: MIT
 * tests/plugin/plugins/events_no_names.c - 'events' without 'ivp_event_names'.
 */
#include "ivp_plugin.h"

IVP_PLUGIN_ABI;

int rhs(double t, const double *y, double *dydt, const ivp_ctx *ctx)
{
    (void)t;
    (void)ctx;
    dydt[0] = -y[0];
    return 0;
}

int events(double t, const double *y, double *g, const ivp_ctx *ctx)
{
    (void)t;
    (void)ctx;
    g[0] = y[0] - 0.5;
    return 0;
}
