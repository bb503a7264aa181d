/* SPDX-License-Identifier: MIT
 * tests/problems/detest_B4.c - DETEST B4: with r = sqrt(y1^2 + y2^2),
 * y1' = -y2 - y1 y3/r, y2' = y1 - y2 y3/r, y3' = y1/r, y(0) = (3, 0, 0).
 */
#include <math.h>

#include "ivp_plugin.h"

IVP_PLUGIN_ABI;
const size_t ivp_dim = 3;

int rhs(double t, const double *y, double *dydt, const ivp_ctx *ctx)
{
    const double r = sqrt(y[0] * y[0] + y[1] * y[1]);
    (void)t;
    (void)ctx;
    dydt[0] = -y[1] - y[0] * y[2] / r;
    dydt[1] = y[0] - y[1] * y[2] / r;
    dydt[2] = y[0] / r;
    return 0;
}

int jac(double t, const double *y, double *J, const ivp_ctx *ctx)
{
    const double r = sqrt(y[0] * y[0] + y[1] * y[1]);
    const double r3 = r * r * r;
    /* d(y1/r)/dy1 = y2^2/r^3, d(y1/r)/dy2 = d(y2/r)/dy1 = -y1 y2/r^3, d(y2/r)/dy2 = y1^2/r^3 */
    const double a11 = y[1] * y[1] / r3, a12 = -y[0] * y[1] / r3, a22 = y[0] * y[0] / r3;
    (void)t;
    (void)ctx;
    J[0] = -y[2] * a11;
    J[1] = -1.0 - y[2] * a12;
    J[2] = -y[0] / r;
    J[3] = 1.0 - y[2] * a12;
    J[4] = -y[2] * a22;
    J[5] = -y[1] / r;
    J[6] = a11;
    J[7] = a12;
    J[8] = 0.0;
    return 0;
}
