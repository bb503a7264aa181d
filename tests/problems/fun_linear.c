/* SPDX-License-Identifier: MIT
 * tests/problems/fun_linear.c - scipy's test helper fun_linear: y' = [[-1, -5], [1, 1]] y,
 * y(0) = (0, 2), exact (-5 sin 2t, 2 cos 2t + sin 2t).
 */
#include "ivp_plugin.h"

IVP_PLUGIN_ABI;
const size_t ivp_dim = 2;

int rhs(double t, const double *y, double *dydt, const ivp_ctx *ctx)
{
    (void)t;
    (void)ctx;
    dydt[0] = -y[0] - 5.0 * y[1];
    dydt[1] = y[0] + y[1];
    return 0;
}

int jac(double t, const double *y, double *J, const ivp_ctx *ctx)
{
    (void)t;
    (void)y;
    (void)ctx;
    J[0] = -1.0;
    J[1] = -5.0;
    J[2] = 1.0;
    J[3] = 1.0;
    return 0;
}
