/* SPDX-License-Identifier: MIT
 * plugins/lorenz.c - example plugin: the Lorenz system.
 *
 *     x' = sigma (y - x)
 *     y' = x (rho - z) - y
 *     z' = x y - beta z
 *
 * Lorenz's 1963 model of convection; with the classic parameters sigma = 10, rho = 28,
 * beta = 8/3 (spec "params") the solution is chaotic and traces the butterfly-shaped strange
 * attractor.
 *
 * What you should see: `ivp run lorenz.json` (DOP853, rtol = atol = 1e-8, y0 = [1, 0, 0],
 * t in [0, 20]) writes lorenz.h5 with the state at 2001 equally spaced times (t_eval). The
 * trajectory switches irregularly between two lobes around the fixed points
 * (+-sqrt(beta (rho - 1)), +-sqrt(beta (rho - 1)), rho - 1) = (+-8.49, +-8.49, 27), with x
 * within about +-20, y within about +-27 and z between 0 and 50.
 * Chaos amplifies every difference: tighten the tolerances and the late part of the
 * trajectory changes visibly, while the attractor's shape does not.
 */
#include "ivp_plugin.h"

IVP_PLUGIN_ABI;
const size_t ivp_dim = 3;
const char *const ivp_param_names[] = {"sigma", "rho", "beta", NULL};

int rhs(double t, const double *y, double *dydt, const ivp_ctx *ctx)
{
    double sigma = ctx->p[0], rho = ctx->p[1], beta = ctx->p[2];
    (void)t;
    dydt[0] = sigma * (y[1] - y[0]);
    dydt[1] = y[0] * (rho - y[2]) - y[1];
    dydt[2] = y[0] * y[1] - beta * y[2];
    return 0;
}
