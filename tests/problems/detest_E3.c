/* SPDX-License-Identifier: MIT
 * tests/problems/detest_E3.c - DETEST E3 (forced Duffing): y1' = y2,
 * y2' = y1^3/6 - y1 + 2 sin(2.78535 t), y(0) = (0, 0).
 */
#include <math.h>

#include "ivp_plugin.h"

IVP_PLUGIN_ABI;
const size_t ivp_dim = 2;

int rhs(double t, const double *y, double *dydt, const ivp_ctx *ctx)
{
    (void)ctx;
    dydt[0] = y[1];
    dydt[1] = y[0] * y[0] * y[0] / 6.0 - y[0] + 2.0 * sin(2.78535 * t);
    return 0;
}

int jac(double t, const double *y, double *J, const ivp_ctx *ctx)
{
    (void)t;
    (void)ctx;
    J[0] = 0.0;
    J[1] = 1.0;
    J[2] = y[0] * y[0] / 2.0 - 1.0;
    J[3] = 0.0;
    return 0;
}
