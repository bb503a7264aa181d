/* SPDX-License-Identifier: MIT
 * plugins/bouncing_ball.c - example plugin: a ball dropped from a height, with an event.
 *
 *     h' = v
 *     v' = -g
 *
 * y = [height h, velocity v]; parameter 'g' is the gravitational acceleration. The event
 * function "ground" is the height: it crosses zero when the ball reaches the floor. Whether an
 * event stops the solve, and in which direction it counts, is the spec's choice:
 * bouncing_ball.json makes "ground" terminal, direction -1 (falling through h = 0).
 *
 * What you should see: `ivp run bouncing_ball.json` (g = 9.81, y0 = [10, 0], t in [0, 10])
 * stops early with status 1 (terminal event) at t = sqrt(2 * 10 / g) = 1.4278431229270645,
 * where /events/ground holds that time and the state h = 0, v = -sqrt(2 * g * 10) = -14.007.
 * The motion is a parabola, so every Runge-Kutta method is exact up to rounding.
 */
#include "ivp_plugin.h"

IVP_PLUGIN_ABI;
const size_t ivp_dim = 2;
const char *const ivp_param_names[] = {"g", NULL};
const char *const ivp_event_names[] = {"ground", NULL};

int rhs(double t, const double *y, double *dydt, const ivp_ctx *ctx)
{
    (void)t;
    dydt[0] = y[1];
    dydt[1] = -ctx->p[0];
    return 0;
}

int events(double t, const double *y, double *g, const ivp_ctx *ctx)
{
    (void)t;
    (void)ctx;
    g[0] = y[0]; /* "ground": the height */
    return 0;
}
