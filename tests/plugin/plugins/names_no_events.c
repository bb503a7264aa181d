/* SPDX-License-Identifier: MIT
 * tests/plugin/plugins/names_no_events.c - 'ivp_event_names' without 'events'.
 */
#include "ivp_plugin.h"

IVP_PLUGIN_ABI;
const char *const ivp_event_names[] = {"half", NULL};

int rhs(double t, const double *y, double *dydt, const ivp_ctx *ctx)
{
    (void)t;
    (void)ctx;
    dydt[0] = -y[0];
    return 0;
}
