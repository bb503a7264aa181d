/* SPDX-License-Identifier: MIT
 * tests/problems/detest_B3.c - DETEST B3 (nonlinear chemical reaction): y1' = -y1,
 * y2' = y1 - y2^2, y3' = y2^2, y(0) = (1, 0, 0).
 */
#include "ivp_plugin.h"

IVP_PLUGIN_ABI;
const size_t ivp_dim = 3;

int rhs(double t, const double *y, double *dydt, const ivp_ctx *ctx)
{
    (void)t;
    (void)ctx;
    dydt[0] = -y[0];
    dydt[1] = y[0] - y[1] * y[1];
    dydt[2] = y[1] * y[1];
    return 0;
}

int jac(double t, const double *y, double *J, const ivp_ctx *ctx)
{
    (void)t;
    (void)ctx;
    J[0] = -1.0;
    J[1] = 0.0;
    J[2] = 0.0;
    J[3] = 1.0;
    J[4] = -2.0 * y[1];
    J[5] = 0.0;
    J[6] = 0.0;
    J[7] = 2.0 * y[1];
    J[8] = 0.0;
    return 0;
}
