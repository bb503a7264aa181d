/* SPDX-License-Identifier: MIT
 * tests/plugin/plugins/no_abi.c - a plugin without the required 'ivp_abi_version'.
 */
#include "ivp_plugin.h"

int rhs(double t, const double *y, double *dydt, const ivp_ctx *ctx)
{
    (void)t;
    (void)ctx;
    dydt[0] = -y[0];
    return 0;
}
