/* SPDX-License-Identifier: MIT
 * tests/problems/detest_B2.c - DETEST B2 (linear chain): y1' = -y1 + y2,
 * y2' = y1 - 2 y2 + y3, y3' = y2 - y3, y(0) = (2, 0, 1).
 */
#include "ivp_plugin.h"

IVP_PLUGIN_ABI;
const size_t ivp_dim = 3;

int rhs(double t, const double *y, double *dydt, const ivp_ctx *ctx)
{
    (void)t;
    (void)ctx;
    dydt[0] = -y[0] + y[1];
    dydt[1] = y[0] - 2.0 * y[1] + y[2];
    dydt[2] = y[1] - y[2];
    return 0;
}

int jac(double t, const double *y, double *J, const ivp_ctx *ctx)
{
    static const double a[9] = {-1.0, 1.0, 0.0, 1.0, -2.0, 1.0, 0.0, 1.0, -1.0};
    (void)t;
    (void)y;
    (void)ctx;
    for (size_t k = 0; k < 9; k++) {
        J[k] = a[k];
    }
    return 0;
}
