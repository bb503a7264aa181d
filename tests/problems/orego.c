/* SPDX-License-Identifier: MIT
 * tests/problems/orego.c - Oregonator (Belousov-Zhabotinskii reaction, Test Set orego.f):
 * y1' = s (y2 - y1 y2 + y1 - q y1^2), y2' = (-y2 - y1 y2 + y3)/s, y3' = w (y1 - y3);
 * s = 77.27, w = 0.161, q = 8.375e-6, y(0) = (1, 2, 3), t in [0, 360].
 */
#include "ivp_plugin.h"

IVP_PLUGIN_ABI;
const size_t ivp_dim = 3;
const char *const ivp_param_names[] = {"s", "w", "q", NULL};

int rhs(double t, const double *y, double *dydt, const ivp_ctx *ctx)
{
    const double s = ctx->p[0], w = ctx->p[1], q = ctx->p[2];
    (void)t;
    dydt[0] = s * (y[1] - y[0] * y[1] + y[0] - q * y[0] * y[0]);
    dydt[1] = (-y[1] - y[0] * y[1] + y[2]) / s;
    dydt[2] = w * (y[0] - y[2]);
    return 0;
}

int jac(double t, const double *y, double *J, const ivp_ctx *ctx)
{
    const double s = ctx->p[0], w = ctx->p[1], q = ctx->p[2];
    (void)t;
    J[0] = s * (1.0 - 2.0 * q * y[0] - y[1]);
    J[1] = s * (1.0 - y[0]);
    J[2] = 0.0;
    J[3] = -y[1] / s;
    J[4] = -(1.0 + y[0]) / s;
    J[5] = 1.0 / s;
    J[6] = w;
    J[7] = 0.0;
    J[8] = -w;
    return 0;
}
