/* SPDX-License-Identifier: MIT
 * tests/plugin/plugins/sparse.c - y_i' = -(i + 1) y_i with a diagonal 'jac_sparsity' and
 * 'jac_values', for any n. Parameter 'mode' makes jac_sparsity misbehave on purpose:
 *   0  correct: n entries (i, i)
 *   1  returns -3 when asked for the count
 *   2  the last entry is (n, n - 1): row out of range
 *   3  returns n + 1 on the second call (count mismatch)
 *   4  returns -2 on the second call
 *   5  the last entry repeats the first, (0, 0) (for n >= 2)
 */
#include "ivp_plugin.h"

IVP_PLUGIN_ABI;
const char *const ivp_param_names[] = {"mode", NULL};

int rhs(double t, const double *y, double *dydt, const ivp_ctx *ctx)
{
    size_t i;
    (void)t;
    for (i = 0; i < ctx->n; i++) {
        dydt[i] = -(double)(i + 1) * y[i];
    }
    return 0;
}

long jac_sparsity(const ivp_ctx *ctx, size_t *rows, size_t *cols)
{
    int mode = (int)ctx->p[0];
    size_t i;
    if (rows == NULL) {
        return mode == 1 ? -3 : (long)ctx->n;
    }
    for (i = 0; i < ctx->n; i++) {
        rows[i] = i;
        cols[i] = i;
    }
    if (mode == 2) {
        rows[ctx->n - 1] = ctx->n;
    }
    if (mode == 5) {
        rows[ctx->n - 1] = 0;
        cols[ctx->n - 1] = 0;
    }
    if (mode == 3) {
        return (long)ctx->n + 1;
    }
    if (mode == 4) {
        return -2;
    }
    return (long)ctx->n;
}

int jac_values(double t, const double *y, double *v, const ivp_ctx *ctx)
{
    size_t i;
    (void)t;
    (void)y;
    for (i = 0; i < ctx->n; i++) {
        v[i] = -(double)(i + 1);
    }
    return 0;
}
