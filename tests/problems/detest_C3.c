/* SPDX-License-Identifier: MIT
 * tests/problems/detest_C3.c - DETEST C3 (n = 10): y' = A y with A symmetric tridiagonal,
 * diagonal -2, off-diagonals 1; y(0) = (1, 0, ..., 0).
 */
#include "ivp_plugin.h"

#define TRI_N 10

IVP_PLUGIN_ABI;
const size_t ivp_dim = TRI_N;

int rhs(double t, const double *y, double *dydt, const ivp_ctx *ctx)
{
    (void)t;
    (void)ctx;
    dydt[0] = -2.0 * y[0] + y[1];
    for (size_t i = 1; i + 1 < TRI_N; i++) {
        dydt[i] = y[i - 1] - 2.0 * y[i] + y[i + 1];
    }
    dydt[TRI_N - 1] = y[TRI_N - 2] - 2.0 * y[TRI_N - 1];
    return 0;
}

int jac(double t, const double *y, double *J, const ivp_ctx *ctx)
{
    (void)t;
    (void)y;
    (void)ctx;
    for (size_t i = 0; i < TRI_N; i++) {
        for (size_t j = 0; j < TRI_N; j++) {
            J[i * TRI_N + j] = i == j ? -2.0 : (i == j + 1 || j == i + 1 ? 1.0 : 0.0);
        }
    }
    return 0;
}
