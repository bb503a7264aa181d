/* SPDX-License-Identifier: MIT
 * tests/failures/plugins/relay.c - the relay y' = -1 for y >= 0, +1 for y < 0 (Jacobian 0):
 * from y(0) = y0 > 0 it reaches y = 0 at t = y0, where the implicit equation of a step,
 * y1 = y_old + h f(y1), has no solution once h > |y_old| (y1 would have to be on both sides
 * of 0). Newton then fails at every step size, while the error estimate of a step with
 * constant f stays at zero: the step size collapses through Newton failures alone.
 * From t = t_jac on, jac returns 2 (a recoverable failure; give a t_jac beyond t_end for a
 * Jacobian that never fails).
 * For the failure tests of the implicit methods (tests/failures/test_failures.py).
 */
#include "ivp_plugin.h"

IVP_PLUGIN_ABI;
const size_t ivp_dim = 1;
const char *const ivp_param_names[] = {"t_jac", NULL};

int rhs(double t, const double *y, double *dydt, const ivp_ctx *ctx)
{
    (void)t;
    (void)ctx;
    dydt[0] = y[0] >= 0.0 ? -1.0 : 1.0;
    return 0;
}

int jac(double t, const double *y, double *J, const ivp_ctx *ctx)
{
    (void)y;
    J[0] = 0.0;
    return t >= ctx->p[0] ? 2 : 0;
}
