/* SPDX-License-Identifier: MIT
 * tests/failures/plugins/blowup.c - y' = y^2, y(0) = 1: y = 1/(1 - t) blows up at t = 1, so
 * the step size of every method collapses there (the implicit equations of a step
 * y1 = y0 + h y1^2 have no solution once 4 h y0 > 1, and the error grows without bound).
 * For the failure tests of the implicit methods (tests/failures/test_failures.py).
 */
#include "ivp_plugin.h"

IVP_PLUGIN_ABI;
const size_t ivp_dim = 1;

int rhs(double t, const double *y, double *dydt, const ivp_ctx *ctx)
{
    (void)t;
    (void)ctx;
    dydt[0] = y[0] * y[0];
    return 0;
}

int jac(double t, const double *y, double *J, const ivp_ctx *ctx)
{
    (void)t;
    (void)ctx;
    J[0] = 2.0 * y[0];
    return 0;
}
