/* SPDX-License-Identifier: MIT
 * tests/plugin/plugins/values_no_sparsity.c - 'jac_values' without 'jac_sparsity'.
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

int jac_values(double t, const double *y, double *v, const ivp_ctx *ctx)
{
    (void)t;
    (void)y;
    (void)ctx;
    v[0] = -1.0;
    return 0;
}
