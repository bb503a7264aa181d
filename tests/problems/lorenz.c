/* SPDX-License-Identifier: MIT
 * tests/problems/lorenz.c - Lorenz system, sigma = 10, rho = 28, beta = 8/3:
 * y1' = 10 (y2 - y1), y2' = y1 (28 - y3) - y2, y3' = y1 y2 - (8/3) y3, y(0) = (1, 0, 0).
 */
#include "ivp_plugin.h"

IVP_PLUGIN_ABI;
const size_t ivp_dim = 3;

int rhs(double t, const double *y, double *dydt, const ivp_ctx *ctx)
{
    (void)t;
    (void)ctx;
    dydt[0] = 10.0 * (y[1] - y[0]);
    dydt[1] = y[0] * (28.0 - y[2]) - y[1];
    dydt[2] = y[0] * y[1] - 8.0 / 3.0 * y[2];
    return 0;
}

int jac(double t, const double *y, double *J, const ivp_ctx *ctx)
{
    (void)t;
    (void)ctx;
    J[0] = -10.0;
    J[1] = 10.0;
    J[2] = 0.0;
    J[3] = 28.0 - y[2];
    J[4] = -1.0;
    J[5] = -y[0];
    J[6] = y[1];
    J[7] = y[0];
    J[8] = -8.0 / 3.0;
    return 0;
}
