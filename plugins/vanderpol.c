/* SPDX-License-Identifier: MIT
 * plugins/vanderpol.c - example plugin: the Van der Pol oscillator.
 *
 *     y1' = y2
 *     y2' = mu (1 - y1^2) y2 - y1
 *
 * A nonlinear oscillator whose damping is negative for |y1| < 1 and positive outside, so every
 * solution settles on one limit cycle. Parameter 'mu' (spec "params": {"mu": ...}) sets the
 * nonlinearity; the Jacobian is analytic (function 'jac', row-major).
 *
 * What you should see: `ivp run vanderpol.json` (mu = 1, RK45, t in [0, 20], y0 = [2, 0])
 * writes vanderpol.h5 with three periods of the limit cycle: y1 oscillates between about -2
 * and 2 (2.0086 on the exact cycle) with period about 6.66, in some 50 steps at the default
 * tolerances, and /dense holds the interpolant for any t. For large mu the problem turns
 * stiff: `ivp run vanderpol.json --set params.mu=1000 --set 't_span=[0,3000]' --method BDF`
 * needs an implicit method (RK45 would take millions of steps).
 */
#include "ivp_plugin.h"

IVP_PLUGIN_ABI;
const size_t ivp_dim = 2;
const char *const ivp_param_names[] = {"mu", NULL};

int rhs(double t, const double *y, double *dydt, const ivp_ctx *ctx)
{
    double mu = ctx->p[0];
    (void)t;
    dydt[0] = y[1];
    dydt[1] = mu * (1.0 - y[0] * y[0]) * y[1] - y[0];
    return 0;
}

/* Row-major: J[i*n + j] = d f_i / d y_j. */
int jac(double t, const double *y, double *J, const ivp_ctx *ctx)
{
    double mu = ctx->p[0];
    (void)t;
    J[0] = 0.0;                           /* d f1 / d y1 */
    J[1] = 1.0;                           /* d f1 / d y2 */
    J[2] = -2.0 * mu * y[0] * y[1] - 1.0; /* d f2 / d y1 */
    J[3] = mu * (1.0 - y[0] * y[0]);      /* d f2 / d y2 */
    return 0;
}
