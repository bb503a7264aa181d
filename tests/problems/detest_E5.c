/* SPDX-License-Identifier: MIT
 * tests/problems/detest_E5.c - DETEST E5: y1' = y2, y2' = sqrt(1 + y2^2)/(25 - t),
 * y(0) = (0, 0); singular at t = 25, integrated on [0, 20].
 */
#include <math.h>

#include "ivp_plugin.h"

IVP_PLUGIN_ABI;
const size_t ivp_dim = 2;

int rhs(double t, const double *y, double *dydt, const ivp_ctx *ctx)
{
    (void)ctx;
    dydt[0] = y[1];
    dydt[1] = sqrt(1.0 + y[1] * y[1]) / (25.0 - t);
    return 0;
}

int jac(double t, const double *y, double *J, const ivp_ctx *ctx)
{
    (void)ctx;
    J[0] = 0.0;
    J[1] = 1.0;
    J[2] = 0.0;
    J[3] = y[1] / (sqrt(1.0 + y[1] * y[1]) * (25.0 - t));
    return 0;
}
