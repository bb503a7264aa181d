/* SPDX-License-Identifier: MIT
 * tests/problems/fun_rational.c - scipy's test helper fun_rational (_ivp/tests/test_ivp.py):
 * y1' = y2/t, y2' = y2 (y1 + 2 y2 - 1)/(t (y1 - 1)), exact (t/(t + 10), 10 t/(t + 10)^2),
 * y(5) = (1/3, 2/9). Events as in scipy's test_events:
 *   e1 = y1 - y2^0.7, e2 = y2^0.6 - y1, e3 = t - 7.4.
 */
#include <math.h>

#include "ivp_plugin.h"

IVP_PLUGIN_ABI;
const size_t ivp_dim = 2;
const char *const ivp_event_names[] = {"e1", "e2", "e3", NULL};

int rhs(double t, const double *y, double *dydt, const ivp_ctx *ctx)
{
    (void)ctx;
    dydt[0] = y[1] / t;
    dydt[1] = y[1] * (y[0] + 2.0 * y[1] - 1.0) / (t * (y[0] - 1.0));
    return 0;
}

int jac(double t, const double *y, double *J, const ivp_ctx *ctx)
{
    const double d = y[0] - 1.0;
    (void)ctx;
    J[0] = 0.0;
    J[1] = 1.0 / t;
    J[2] = -2.0 * y[1] * y[1] / (t * d * d);
    J[3] = (y[0] + 4.0 * y[1] - 1.0) / (t * d);
    return 0;
}

int events(double t, const double *y, double *g, const ivp_ctx *ctx)
{
    (void)ctx;
    g[0] = y[0] - pow(y[1], 0.7);
    g[1] = pow(y[1], 0.6) - y[0];
    g[2] = t - 7.4;
    return 0;
}
