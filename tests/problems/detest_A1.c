/* SPDX-License-Identifier: MIT
 * tests/problems/detest_A1.c - DETEST A1: y' = -y, y(0) = 1 (exact e^-t).
 */
#include "ivp_plugin.h"

IVP_PLUGIN_ABI;
const size_t ivp_dim = 1;

int rhs(double t, const double *y, double *dydt, const ivp_ctx *ctx)
{
    (void)t;
    (void)ctx;
    dydt[0] = -y[0];
    return 0;
}

int jac(double t, const double *y, double *J, const ivp_ctx *ctx)
{
    (void)t;
    (void)y;
    (void)ctx;
    J[0] = -1.0;
    return 0;
}
