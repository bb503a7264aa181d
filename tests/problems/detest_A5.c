/* SPDX-License-Identifier: MIT
 * tests/problems/detest_A5.c - DETEST A5: y' = (y - t)/(y + t), y(0) = 4.
 */
#include "ivp_plugin.h"

IVP_PLUGIN_ABI;
const size_t ivp_dim = 1;

int rhs(double t, const double *y, double *dydt, const ivp_ctx *ctx)
{
    (void)ctx;
    dydt[0] = (y[0] - t) / (y[0] + t);
    return 0;
}

int jac(double t, const double *y, double *J, const ivp_ctx *ctx)
{
    const double s = y[0] + t;
    (void)ctx;
    /* quotient rule: ((y + t) - (y - t))/(y + t)^2 */
    J[0] = 2.0 * t / (s * s);
    return 0;
}
