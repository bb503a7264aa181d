/* SPDX-License-Identifier: MIT
 * plugins/kepler.c - example plugin: the planar two-body (Kepler) problem, with an event.
 *
 *     x'' = -mu x / r^3,  y'' = -mu y / r^3,  r = sqrt(x^2 + y^2)
 *
 * as a first-order system in y = [x, y, vx, vy]; parameter 'mu' is the gravitational
 * parameter G (M + m). The event function "revolution" is the y-coordinate; counted only when
 * it crosses upward (direction +1 in the spec) it fires once per orbit, as the body passes the
 * positive x-axis.
 *
 * kepler.json sets mu = 1 and an orbit of eccentricity e = 0.5 and semi-major axis a = 1,
 * starting at apoapsis: x = -(1 + e) = -1.5, y = 0, vx = 0, vy = -sqrt(mu (1 - e) / (1 + e)),
 * moving counter-clockwise. The period is T = 2 pi sqrt(a^3 / mu) = 2 pi; t_span covers ten
 * periods. (Starting at apoapsis, where y crosses zero downward, keeps t = 0 from counting as
 * an upward crossing.)
 *
 * What you should see: `ivp run kepler.json` (DOP853, rtol = atol = 1e-10) writes kepler.h5 with
 * ten "revolution" events at t = pi, 3 pi, ..., 19 pi, each at periapsis (x, y) = (0.5, 0) with
 * speed sqrt(3); the energy (vx^2 + vy^2) / 2 - mu / r stays at -mu / (2 a) = -0.5 and the
 * angular momentum x vy - y vx at sqrt(mu a (1 - e^2)) = 0.866, both to a few parts in 1e9.
 */
#include <math.h>

#include "ivp_plugin.h"

IVP_PLUGIN_ABI;
const size_t ivp_dim = 4;
const char *const ivp_param_names[] = {"mu", NULL};
const char *const ivp_event_names[] = {"revolution", NULL};

int rhs(double t, const double *y, double *dydt, const ivp_ctx *ctx)
{
    double mu = ctx->p[0];
    double r2 = y[0] * y[0] + y[1] * y[1];
    double r3 = r2 * sqrt(r2);
    (void)t;
    if (!(r3 > 0.0)) {
        return -1; /* collision: the equations are singular */
    }
    dydt[0] = y[2];
    dydt[1] = y[3];
    dydt[2] = -mu * y[0] / r3;
    dydt[3] = -mu * y[1] / r3;
    return 0;
}

int events(double t, const double *y, double *g, const ivp_ctx *ctx)
{
    (void)t;
    (void)ctx;
    g[0] = y[1]; /* "revolution": the y-coordinate */
    return 0;
}
