/* SPDX-License-Identifier: MIT
 * tests/cli/plugins/osc.c - harmonic oscillator y0' = y1, y1' = -omega^2 y0 for the CLI tests.
 *
 * Exact solution from y(0) = (1, 0): y0 = cos(omega t), y1 = -omega sin(omega t).
 * Event "zero": g = y0 (first root at pi / (2 omega)); event "half": g = y0 - 1/2 (first root
 * at pi / (3 omega)).
 * Declares ivp_dim, so a y0 of another length is a spec error. Loaded as a .c source (compiled
 * on demand by ivp) and built by `ivp build` in the tests.
 */
#include "ivp_plugin.h"

IVP_PLUGIN_ABI;
const size_t ivp_dim = 2;
const char *const ivp_param_names[] = {"omega", NULL};
const char *const ivp_event_names[] = {"zero", "half", NULL};

int rhs(double t, const double *y, double *dydt, const ivp_ctx *ctx)
{
    double w = ctx->p[0];
    (void)t;
    dydt[0] = y[1];
    dydt[1] = -w * w * y[0];
    return 0;
}

int jac(double t, const double *y, double *J, const ivp_ctx *ctx)
{
    double w = ctx->p[0];
    (void)t;
    (void)y;
    J[0] = 0.0;
    J[1] = 1.0;
    J[2] = -w * w;
    J[3] = 0.0;
    return 0;
}

int events(double t, const double *y, double *g, const ivp_ctx *ctx)
{
    (void)t;
    (void)ctx;
    g[0] = y[0];
    g[1] = y[0] - 0.5;
    return 0;
}
