/* SPDX-License-Identifier: MIT
 * tests/problems/oscillator.c - harmonic oscillator y'' = -y as y1' = y2, y2' = -y1, with one
 * event "crossing" g = y1 (for terminal-count tests: with y(0) = (1, 0) the zeros are at
 * t = (k + 1/2) pi).
 */
#include "ivp_plugin.h"

IVP_PLUGIN_ABI;
const size_t ivp_dim = 2;
const char *const ivp_event_names[] = {"crossing", NULL};

int rhs(double t, const double *y, double *dydt, const ivp_ctx *ctx)
{
    (void)t;
    (void)ctx;
    dydt[0] = y[1];
    dydt[1] = -y[0];
    return 0;
}

int jac(double t, const double *y, double *J, const ivp_ctx *ctx)
{
    (void)t;
    (void)y;
    (void)ctx;
    J[0] = 0.0;
    J[1] = 1.0;
    J[2] = -1.0;
    J[3] = 0.0;
    return 0;
}

int events(double t, const double *y, double *g, const ivp_ctx *ctx)
{
    (void)t;
    (void)ctx;
    g[0] = y[0];
    return 0;
}
