/* SPDX-License-Identifier: MIT
 * tests/problems/detest_A3.c - DETEST A3: y' = y cos t, y(0) = 1 (exact exp(sin t)).
 */
#include <math.h>

#include "ivp_plugin.h"

IVP_PLUGIN_ABI;
const size_t ivp_dim = 1;

int rhs(double t, const double *y, double *dydt, const ivp_ctx *ctx)
{
    (void)ctx;
    dydt[0] = y[0] * cos(t);
    return 0;
}

int jac(double t, const double *y, double *J, const ivp_ctx *ctx)
{
    (void)y;
    (void)ctx;
    J[0] = cos(t);
    return 0;
}
