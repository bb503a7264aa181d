/* SPDX-License-Identifier: MIT
 * tests/loaders/plugins/osc3.c - harmonic oscillator y0' = y1, y1' = -omega^2 y0 with three
 * events whose plugin order ("zero", "half", "apex") is not alphabetical, for the loader tests.
 *
 * Exact solution from y(t0) = (1, 0) at t0 = 0: y0 = cos(omega t), y1 = -omega sin(omega t).
 * Events: "zero" g = y0, "half" g = y0 - 1/2, "apex" g = y1. States named "x", "v" (the file's
 * /y names and /info/state_names). Compiled on demand by ivp.
 */
#include "ivp_plugin.h"

IVP_PLUGIN_ABI;
const size_t ivp_dim = 2;
const char *const ivp_param_names[] = {"omega", NULL};
const char *const ivp_event_names[] = {"zero", "half", "apex", NULL};
const char *const ivp_state_names[] = {"x", "v", NULL};

int rhs(double t, const double *y, double *dydt, const ivp_ctx *ctx)
{
    double w = ctx->p[0];
    (void)t;
    dydt[0] = y[1];
    dydt[1] = -w * w * y[0];
    return 0;
}

int events(double t, const double *y, double *g, const ivp_ctx *ctx)
{
    (void)t;
    (void)ctx;
    g[0] = y[0];
    g[1] = y[0] - 0.5;
    g[2] = y[1];
    return 0;
}
