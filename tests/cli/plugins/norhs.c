/* SPDX-License-Identifier: MIT
 * tests/cli/plugins/norhs.c - a plugin without the required rhs symbol (it has a typo in the
 * name), which ivp must refuse to load (exit 3). Built as a MODULE library.
 */
#include "ivp_plugin.h"

IVP_PLUGIN_ABI;

int rsh(double t, const double *y, double *dydt, const ivp_ctx *ctx);

int rsh(double t, const double *y, double *dydt, const ivp_ctx *ctx)
{
    (void)t;
    (void)ctx;
    dydt[0] = -y[0];
    return 0;
}
