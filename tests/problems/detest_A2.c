/* SPDX-License-Identifier: MIT
 * tests/problems/detest_A2.c - DETEST A2: y' = -y^3/2, y(0) = 1 (exact (1 + t)^-1/2).
 */
#include "ivp_plugin.h"

IVP_PLUGIN_ABI;
const size_t ivp_dim = 1;

int rhs(double t, const double *y, double *dydt, const ivp_ctx *ctx)
{
    (void)t;
    (void)ctx;
    dydt[0] = -(y[0] * y[0] * y[0]) / 2.0;
    return 0;
}

int jac(double t, const double *y, double *J, const ivp_ctx *ctx)
{
    (void)t;
    (void)ctx;
    J[0] = -1.5 * y[0] * y[0];
    return 0;
}
