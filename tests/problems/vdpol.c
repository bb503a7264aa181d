/* SPDX-License-Identifier: MIT
 * tests/problems/vdpol.c - Van der Pol, scaled form of the Test Set (vdpol.f, HW II):
 * y1' = y2, y2' = ((1 - y1^2) y2 - y1)/eps; eps = 1e-6, y(0) = (2, 0), t in [0, 2].
 */
#include "ivp_plugin.h"

IVP_PLUGIN_ABI;
const size_t ivp_dim = 2;
const char *const ivp_param_names[] = {"eps", NULL};

int rhs(double t, const double *y, double *dydt, const ivp_ctx *ctx)
{
    const double eps = ctx->p[0];
    (void)t;
    dydt[0] = y[1];
    dydt[1] = ((1.0 - y[0] * y[0]) * y[1] - y[0]) / eps;
    return 0;
}

int jac(double t, const double *y, double *J, const ivp_ctx *ctx)
{
    const double eps = ctx->p[0];
    (void)t;
    J[0] = 0.0;
    J[1] = 1.0;
    J[2] = (-2.0 * y[0] * y[1] - 1.0) / eps;
    J[3] = (1.0 - y[0] * y[0]) / eps;
    return 0;
}
