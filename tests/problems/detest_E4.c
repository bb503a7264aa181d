/* SPDX-License-Identifier: MIT
 * tests/problems/detest_E4.c - DETEST E4: y1' = y2, y2' = 0.032 - 0.4 y2^2, y(0) = (30, 0).
 */
#include "ivp_plugin.h"

IVP_PLUGIN_ABI;
const size_t ivp_dim = 2;

int rhs(double t, const double *y, double *dydt, const ivp_ctx *ctx)
{
    (void)t;
    (void)ctx;
    dydt[0] = y[1];
    dydt[1] = 0.032 - 0.4 * y[1] * y[1];
    return 0;
}

int jac(double t, const double *y, double *J, const ivp_ctx *ctx)
{
    (void)t;
    (void)ctx;
    J[0] = 0.0;
    J[1] = 1.0;
    J[2] = 0.0;
    J[3] = -0.8 * y[1];
    return 0;
}
