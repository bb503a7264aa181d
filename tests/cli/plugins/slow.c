/* SPDX-License-Identifier: MIT
 * tests/cli/plugins/slow.c - y' = -y with a deliberately slow right-hand side: each call sleeps
 * for the parameter "delay" seconds. Lets the CLI tests interrupt a run that is integrating and
 * see the progress line. Built as a MODULE library by tests/cli/CMakeLists.txt.
 */
#define _POSIX_C_SOURCE 200809L

#include <time.h>

#include "ivp_plugin.h"

IVP_PLUGIN_ABI;
const size_t ivp_dim = 1;
const char *const ivp_param_names[] = {"delay", NULL};

int rhs(double t, const double *y, double *dydt, const ivp_ctx *ctx)
{
    double delay = ctx->p[0];
    struct timespec ts;
    (void)t;
    if (delay > 0.0) {
        ts.tv_sec = (time_t)delay;
        ts.tv_nsec = (long)((delay - (double)ts.tv_sec) * 1e9);
        nanosleep(&ts, NULL);
    }
    dydt[0] = -y[0];
    return 0;
}
