/* SPDX-License-Identifier: MIT
 * tests/problems/detest_C1.c - DETEST C1 (radioactive decay chain, n = 10): y' = A y with A
 * lower bidiagonal, A_ii = -1, A_(i+1),i = 1; y(0) = (1, 0, ..., 0).
 */
#include "ivp_plugin.h"

#define C1_N 10

IVP_PLUGIN_ABI;
const size_t ivp_dim = C1_N;

int rhs(double t, const double *y, double *dydt, const ivp_ctx *ctx)
{
    (void)t;
    (void)ctx;
    dydt[0] = -y[0];
    for (size_t i = 1; i < C1_N; i++) {
        dydt[i] = y[i - 1] - y[i];
    }
    return 0;
}

int jac(double t, const double *y, double *J, const ivp_ctx *ctx)
{
    (void)t;
    (void)y;
    (void)ctx;
    for (size_t i = 0; i < C1_N; i++) {
        for (size_t j = 0; j < C1_N; j++) {
            J[i * C1_N + j] = i == j ? -1.0 : (i == j + 1 ? 1.0 : 0.0);
        }
    }
    return 0;
}
