/* SPDX-License-Identifier: MIT
 * tests/failures/plugins/jump.c - y' = 0 up to t_j and a / (t - t_j)^p after it (Jacobian 0),
 * for the error-test failures of the implicit methods (tests/failures/test_failures.py).
 *
 * p = 0: a jump of size a in y' at t_j. A step across t_j has a local error of about
 * a (t_new - t_j), so with a large a no step that crosses t_j passes the error test: the step
 * size shrinks until it reaches min_step, or the spacing of t near t_j.
 * p = 2 with t_j = t0: every step from t0 has an error of about a / h, which grows as h
 * shrinks, so the error test fails at every step size (LSODA gives up after 10 failures).
 */
#include <math.h>

#include "ivp_plugin.h"

IVP_PLUGIN_ABI;
const size_t ivp_dim = 1;
const char *const ivp_param_names[] = {"t_j", "a", "p", NULL};

int rhs(double t, const double *y, double *dydt, const ivp_ctx *ctx)
{
    const double t_j = ctx->p[0], a = ctx->p[1], p = ctx->p[2];
    (void)y;
    dydt[0] = t > t_j ? a / pow(t - t_j, p) : 0.0;
    return 0;
}

int jac(double t, const double *y, double *J, const ivp_ctx *ctx)
{
    (void)t;
    (void)y;
    (void)ctx;
    J[0] = 0.0;
    return 0;
}
