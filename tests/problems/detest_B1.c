/* SPDX-License-Identifier: MIT
 * tests/problems/detest_B1.c - DETEST B1 (growth of two competing species):
 * y1' = 2(y1 - y1 y2), y2' = -(y2 - y1 y2), y(0) = (1, 3).
 */
#include "ivp_plugin.h"

IVP_PLUGIN_ABI;
const size_t ivp_dim = 2;

int rhs(double t, const double *y, double *dydt, const ivp_ctx *ctx)
{
    (void)t;
    (void)ctx;
    dydt[0] = 2.0 * (y[0] - y[0] * y[1]);
    dydt[1] = -(y[1] - y[0] * y[1]);
    return 0;
}

int jac(double t, const double *y, double *J, const ivp_ctx *ctx)
{
    (void)t;
    (void)ctx;
    J[0] = 2.0 * (1.0 - y[1]);
    J[1] = -2.0 * y[0];
    J[2] = y[1];
    J[3] = y[0] - 1.0;
    return 0;
}
