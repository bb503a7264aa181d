/* SPDX-License-Identifier: MIT
 * tests/problems/detest_E1.c - DETEST E1 (Bessel's equation of order 1/2, shifted by 1):
 * y1' = y2, y2' = -(y2/(t + 1) + (1 - 0.25/(t + 1)^2) y1); exact y1 = J_1/2(t + 1).
 * The right-hand side depends on t.
 */
#include "ivp_plugin.h"

IVP_PLUGIN_ABI;
const size_t ivp_dim = 2;

int rhs(double t, const double *y, double *dydt, const ivp_ctx *ctx)
{
    const double tp1 = t + 1.0;
    (void)ctx;
    dydt[0] = y[1];
    dydt[1] = -(y[1] / tp1 + (1.0 - 0.25 / (tp1 * tp1)) * y[0]);
    return 0;
}

int jac(double t, const double *y, double *J, const ivp_ctx *ctx)
{
    const double tp1 = t + 1.0;
    (void)y;
    (void)ctx;
    J[0] = 0.0;
    J[1] = 1.0;
    J[2] = -(1.0 - 0.25 / (tp1 * tp1));
    J[3] = -1.0 / tp1;
    return 0;
}
