/* SPDX-License-Identifier: MIT
 * tests/problems/hires.c - HIRES, high irradiance response of plant tissue (Test Set hires.f),
 * in the generic form of problems.json:
 *   f1 = -k1 y1 + k2 y2 + k6 y3 + oks        f5 = -(k5 + k1) y5 + k2 (y6 + y7)
 *   f2 = k1 y1 - (k2 + k3) y2                f6 = -k7 y6 y8 + k8 y4 + k1 y5 - k2 y6 + k8 y7
 *   f3 = -(k6 + k1) y3 + k2 y4 + k5 y5       f7 = k7 y6 y8 - (k2 + k8 + k9) y7
 *   f4 = k3 y2 + k1 y3 - (k4 + k2) y4        f8 = -f7
 * k = (1.71, 0.43, 8.32, 0.69, 0.035, 8.32, 280, 0.69, 0.69), oks = 7e-4,
 * y(0) = (1, 0, 0, 0, 0, 0, 0, 0.0057), t in [0, 321.8122].
 */
#include "ivp_plugin.h"

#define HIRES_N 8

IVP_PLUGIN_ABI;
const size_t ivp_dim = HIRES_N;
const char *const ivp_param_names[] = {"k1", "k2", "k3", "k4",  "k5", "k6",
                                       "k7", "k8", "k9", "oks", NULL};

int rhs(double t, const double *y, double *dydt, const ivp_ctx *ctx)
{
    const double *k = ctx->p; /* k[0] = k1, ..., k[8] = k9, k[9] = oks */
    (void)t;
    dydt[0] = -k[0] * y[0] + k[1] * y[1] + k[5] * y[2] + k[9];
    dydt[1] = k[0] * y[0] - (k[1] + k[2]) * y[1];
    dydt[2] = -(k[5] + k[0]) * y[2] + k[1] * y[3] + k[4] * y[4];
    dydt[3] = k[2] * y[1] + k[0] * y[2] - (k[3] + k[1]) * y[3];
    dydt[4] = -(k[4] + k[0]) * y[4] + k[1] * (y[5] + y[6]);
    dydt[5] = -k[6] * y[5] * y[7] + k[7] * y[3] + k[0] * y[4] - k[1] * y[5] + k[7] * y[6];
    dydt[6] = k[6] * y[5] * y[7] - (k[1] + k[7] + k[8]) * y[6];
    dydt[7] = -dydt[6];
    return 0;
}

int jac(double t, const double *y, double *J, const ivp_ctx *ctx)
{
    const double *k = ctx->p;
    (void)t;
    for (size_t i = 0; i < HIRES_N * HIRES_N; i++) {
        J[i] = 0.0;
    }
#define JH(i, j) J[(i)*HIRES_N + (j)]
    JH(0, 0) = -k[0];
    JH(0, 1) = k[1];
    JH(0, 2) = k[5];
    JH(1, 0) = k[0];
    JH(1, 1) = -(k[1] + k[2]);
    JH(2, 2) = -(k[5] + k[0]);
    JH(2, 3) = k[1];
    JH(2, 4) = k[4];
    JH(3, 1) = k[2];
    JH(3, 2) = k[0];
    JH(3, 3) = -(k[3] + k[1]);
    JH(4, 4) = -(k[4] + k[0]);
    JH(4, 5) = k[1];
    JH(4, 6) = k[1];
    JH(5, 3) = k[7];
    JH(5, 4) = k[0];
    JH(5, 5) = -k[6] * y[7] - k[1];
    JH(5, 6) = k[7];
    JH(5, 7) = -k[6] * y[5];
    JH(6, 5) = k[6] * y[7];
    JH(6, 6) = -(k[1] + k[7] + k[8]);
    JH(6, 7) = k[6] * y[5];
    JH(7, 5) = -k[6] * y[7];
    JH(7, 6) = k[1] + k[7] + k[8];
    JH(7, 7) = -k[6] * y[5];
#undef JH
    return 0;
}
