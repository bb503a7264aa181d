/* SPDX-License-Identifier: MIT
 * tests/problems/detest_C2.c - DETEST C2 (n = 10): y' = A y with A lower bidiagonal,
 * diagonal (-1, -2, ..., -9, 0) and A_(i+1),i = i (1-based); y(0) = (1, 0, ..., 0).
 */
#include "ivp_plugin.h"

#define C2_N 10

IVP_PLUGIN_ABI;
const size_t ivp_dim = C2_N;

/* A_ij, 0-based: diagonal -(i + 1) except the last (0), subdiagonal A_i,(i-1) = i. */
static double c2_entry(size_t i, size_t j)
{
    if (i == j) {
        return i + 1 < C2_N ? -(double)(i + 1) : 0.0;
    }
    if (i == j + 1) {
        return (double)i;
    }
    return 0.0;
}

int rhs(double t, const double *y, double *dydt, const ivp_ctx *ctx)
{
    (void)t;
    (void)ctx;
    dydt[0] = -y[0];
    for (size_t i = 1; i + 1 < C2_N; i++) {
        dydt[i] = (double)i * y[i - 1] - (double)(i + 1) * y[i];
    }
    dydt[C2_N - 1] = (double)(C2_N - 1) * y[C2_N - 2];
    return 0;
}

int jac(double t, const double *y, double *J, const ivp_ctx *ctx)
{
    (void)t;
    (void)y;
    (void)ctx;
    for (size_t i = 0; i < C2_N; i++) {
        for (size_t j = 0; j < C2_N; j++) {
            J[i * C2_N + j] = c2_entry(i, j);
        }
    }
    return 0;
}
