/* SPDX-License-Identifier: MIT
 * tests/problems/lotka_volterra.c - y1' = a y1 - b y1 y2, y2' = -c y2 + d y1 y2 with
 * a = 1.5, b = 1, c = 3, d = 1 (SciMLBenchmarks settings), y(0) = (1, 1).
 */
#include "ivp_plugin.h"

IVP_PLUGIN_ABI;
const size_t ivp_dim = 2;

static const double lv_a = 1.5, lv_b = 1.0, lv_c = 3.0, lv_d = 1.0;

int rhs(double t, const double *y, double *dydt, const ivp_ctx *ctx)
{
    (void)t;
    (void)ctx;
    dydt[0] = lv_a * y[0] - lv_b * y[0] * y[1];
    dydt[1] = -lv_c * y[1] + lv_d * y[0] * y[1];
    return 0;
}

int jac(double t, const double *y, double *J, const ivp_ctx *ctx)
{
    (void)t;
    (void)ctx;
    J[0] = lv_a - lv_b * y[1];
    J[1] = -lv_b * y[0];
    J[2] = lv_d * y[1];
    J[3] = -lv_c + lv_d * y[0];
    return 0;
}
