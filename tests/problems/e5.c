/* SPDX-License-Identifier: MIT
 * tests/problems/e5.c - E5, stiff DETEST chemical pyrolysis (Test Set e5.f):
 * p1 = A y1, p2 = B y1 y3, p3 = MC y2 y3, p4 = C y4;
 * y1' = -p1 - p2, y2' = p1 - p3, y4' = p2 - p4, y3' = y2' - y4' (computed as the difference so
 * the invariant y2 - y3 - y4 = 0 is kept, as HW II recommend).
 * A = 7.89e-10, B = 1.1e7, C = 1130, M = 1e6, MC = M C = 1.13e9 (M is declared for the Test
 * Set's names; only MC enters), y(0) = (1.76e-3, 0, 0, 0), t in [0, 1e13].
 */
#include "ivp_plugin.h"

IVP_PLUGIN_ABI;
const size_t ivp_dim = 4;
const char *const ivp_param_names[] = {"A", "B", "C", "M", "MC", NULL};

int rhs(double t, const double *y, double *dydt, const ivp_ctx *ctx)
{
    const double a = ctx->p[0], b = ctx->p[1], c = ctx->p[2], mc = ctx->p[4];
    const double p1 = a * y[0], p2 = b * y[0] * y[2], p3 = mc * y[1] * y[2], p4 = c * y[3];
    (void)t;
    dydt[0] = -p1 - p2;
    dydt[1] = p1 - p3;
    dydt[3] = p2 - p4;
    dydt[2] = dydt[1] - dydt[3];
    return 0;
}

int jac(double t, const double *y, double *J, const ivp_ctx *ctx)
{
    const double a = ctx->p[0], b = ctx->p[1], c = ctx->p[2], mc = ctx->p[4];
    (void)t;
    /* row 1: d(-p1 - p2) */
    J[0] = -a - b * y[2];
    J[1] = 0.0;
    J[2] = -b * y[0];
    J[3] = 0.0;
    /* row 2: d(p1 - p3) */
    J[4] = a;
    J[5] = -mc * y[2];
    J[6] = -mc * y[1];
    J[7] = 0.0;
    /* row 4: d(p2 - p4) */
    J[12] = b * y[2];
    J[13] = 0.0;
    J[14] = b * y[0];
    J[15] = -c;
    /* row 3 = row 2 - row 4 */
    for (size_t j = 0; j < 4; j++) {
        J[8 + j] = J[4 + j] - J[12 + j];
    }
    return 0;
}
