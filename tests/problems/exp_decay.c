/* SPDX-License-Identifier: MIT
 * tests/problems/exp_decay.c - y' = lambda*y, componentwise, for any dimension.
 * problems.json "exp_decay" (lambda = -1, y0 = [1], t in [0, 10]); also scipy's reference run
 * y' = -0.5 y, y0 = [2, 4, 8] (scipy-algorithms.md section 12), hence no ivp_dim.
 */
#include "ivp_plugin.h"

IVP_PLUGIN_ABI;
const char *const ivp_param_names[] = {"lambda", NULL};

int rhs(double t, const double *y, double *dydt, const ivp_ctx *ctx)
{
    const double lambda = ctx->p[0];
    (void)t;
    for (size_t i = 0; i < ctx->n; i++) {
        dydt[i] = lambda * y[i];
    }
    return 0;
}

int jac(double t, const double *y, double *J, const ivp_ctx *ctx)
{
    const size_t n = ctx->n;
    (void)t;
    (void)y;
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < n; j++) {
            J[i * n + j] = i == j ? ctx->p[0] : 0.0;
        }
    }
    return 0;
}
