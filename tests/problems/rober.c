/* SPDX-License-Identifier: MIT
 * tests/problems/rober.c - Robertson's chemical kinetics (Test Set rober.f):
 * y1' = -k1 y1 + k3 y2 y3, y2' = k1 y1 - k3 y2 y3 - k2 y2^2, y3' = k2 y2^2;
 * k1 = 0.04, k2 = 3e7, k3 = 1e4, y(0) = (1, 0, 0), t in [0, 1e11].
 */
#include "ivp_plugin.h"

IVP_PLUGIN_ABI;
const size_t ivp_dim = 3;
const char *const ivp_param_names[] = {"k1", "k2", "k3", NULL};

int rhs(double t, const double *y, double *dydt, const ivp_ctx *ctx)
{
    const double k1 = ctx->p[0], k2 = ctx->p[1], k3 = ctx->p[2];
    (void)t;
    dydt[0] = -k1 * y[0] + k3 * y[1] * y[2];
    dydt[1] = k1 * y[0] - k3 * y[1] * y[2] - k2 * y[1] * y[1];
    dydt[2] = k2 * y[1] * y[1];
    return 0;
}

int jac(double t, const double *y, double *J, const ivp_ctx *ctx)
{
    const double k1 = ctx->p[0], k2 = ctx->p[1], k3 = ctx->p[2];
    (void)t;
    J[0] = -k1;
    J[1] = k3 * y[2];
    J[2] = k3 * y[1];
    J[3] = k1;
    J[4] = -k3 * y[2] - 2.0 * k2 * y[1];
    J[5] = -k3 * y[1];
    J[6] = 0.0;
    J[7] = 2.0 * k2 * y[1];
    J[8] = 0.0;
    return 0;
}
