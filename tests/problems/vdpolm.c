/* SPDX-License-Identifier: MIT
 * tests/problems/vdpolm.c - Van der Pol, unscaled form of the Test Set (vdpolm.f):
 * y1' = y2, y2' = mu (1 - y1^2) y2 - y1; mu = 1000, y(0) = (2, 0), t in [0, 2000].
 */
#include "ivp_plugin.h"

IVP_PLUGIN_ABI;
const size_t ivp_dim = 2;
const char *const ivp_param_names[] = {"mu", NULL};

int rhs(double t, const double *y, double *dydt, const ivp_ctx *ctx)
{
    const double mu = ctx->p[0];
    (void)t;
    dydt[0] = y[1];
    dydt[1] = mu * (1.0 - y[0] * y[0]) * y[1] - y[0];
    return 0;
}

int jac(double t, const double *y, double *J, const ivp_ctx *ctx)
{
    const double mu = ctx->p[0];
    (void)t;
    J[0] = 0.0;
    J[1] = 1.0;
    J[2] = -2.0 * mu * y[0] * y[1] - 1.0;
    J[3] = mu * (1.0 - y[0] * y[0]);
    return 0;
}
