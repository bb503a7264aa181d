/* SPDX-License-Identifier: MIT
 * tests/problems/detest_A4.c - DETEST A4 (logistic): y' = (y/4)(1 - y/20), y(0) = 1
 * (exact 20/(1 + 19 e^(-t/4))).
 */
#include "ivp_plugin.h"

IVP_PLUGIN_ABI;
const size_t ivp_dim = 1;

int rhs(double t, const double *y, double *dydt, const ivp_ctx *ctx)
{
    (void)t;
    (void)ctx;
    dydt[0] = (y[0] / 4.0) * (1.0 - y[0] / 20.0);
    return 0;
}

int jac(double t, const double *y, double *J, const ivp_ctx *ctx)
{
    (void)t;
    (void)ctx;
    /* d/dy [y/4 - y^2/80] */
    J[0] = 0.25 - y[0] / 40.0;
    return 0;
}
