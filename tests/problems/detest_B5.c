/* SPDX-License-Identifier: MIT
 * tests/problems/detest_B5.c - DETEST B5, Euler's equations of a rigid body without external
 * forces: y1' = y2 y3, y2' = -y1 y3, y3' = -0.51 y1 y2, y(0) = (0, 1, 1)
 * (exact (sn, cn, dn)(t | m = 0.51)).
 */
#include "ivp_plugin.h"

IVP_PLUGIN_ABI;
const size_t ivp_dim = 3;

int rhs(double t, const double *y, double *dydt, const ivp_ctx *ctx)
{
    (void)t;
    (void)ctx;
    dydt[0] = y[1] * y[2];
    dydt[1] = -y[0] * y[2];
    dydt[2] = -0.51 * y[0] * y[1];
    return 0;
}

int jac(double t, const double *y, double *J, const ivp_ctx *ctx)
{
    (void)t;
    (void)ctx;
    J[0] = 0.0;
    J[1] = y[2];
    J[2] = y[1];
    J[3] = -y[2];
    J[4] = 0.0;
    J[5] = -y[0];
    J[6] = -0.51 * y[1];
    J[7] = -0.51 * y[0];
    J[8] = 0.0;
    return 0;
}
