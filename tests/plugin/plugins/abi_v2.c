/* SPDX-License-Identifier: MIT
 * tests/plugin/plugins/abi_v2.c - a plugin built for an ABI version this ivp does not know.
 */
#include "ivp_plugin.h"

const int ivp_abi_version = 2;

int rhs(double t, const double *y, double *dydt, const ivp_ctx *ctx)
{
    (void)t;
    (void)ctx;
    dydt[0] = -y[0];
    return 0;
}
