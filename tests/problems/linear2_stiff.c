/* SPDX-License-Identifier: MIT
 * tests/problems/linear2_stiff.c - stiff linear 2x2 system with eigenvalues -1 and -1000:
 * y1' = 998 y1 + 1998 y2, y2' = -999 y1 - 1999 y2, y(0) = (1, 0)
 * (exact y1 = 2e^-t - e^-1000t, y2 = -e^-t + e^-1000t).
 */
#include "ivp_plugin.h"

IVP_PLUGIN_ABI;
const size_t ivp_dim = 2;

int rhs(double t, const double *y, double *dydt, const ivp_ctx *ctx)
{
    (void)t;
    (void)ctx;
    dydt[0] = 998.0 * y[0] + 1998.0 * y[1];
    dydt[1] = -999.0 * y[0] - 1999.0 * y[1];
    return 0;
}

int jac(double t, const double *y, double *J, const ivp_ctx *ctx)
{
    (void)t;
    (void)y;
    (void)ctx;
    J[0] = 998.0;
    J[1] = 1998.0;
    J[2] = -999.0;
    J[3] = -1999.0;
    return 0;
}
