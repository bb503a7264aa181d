/* SPDX-License-Identifier: MIT
 * tests/problems/detest_E2.c - DETEST E2 (van der Pol, mu = 1): y1' = y2,
 * y2' = (1 - y1^2) y2 - y1, y(0) = (2, 0).
 */
#include "ivp_plugin.h"

IVP_PLUGIN_ABI;
const size_t ivp_dim = 2;

int rhs(double t, const double *y, double *dydt, const ivp_ctx *ctx)
{
    (void)t;
    (void)ctx;
    dydt[0] = y[1];
    dydt[1] = (1.0 - y[0] * y[0]) * y[1] - y[0];
    return 0;
}

int jac(double t, const double *y, double *J, const ivp_ctx *ctx)
{
    (void)t;
    (void)ctx;
    J[0] = 0.0;
    J[1] = 1.0;
    J[2] = -2.0 * y[0] * y[1] - 1.0;
    J[3] = 1.0 - y[0] * y[0];
    return 0;
}
