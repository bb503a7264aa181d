/* SPDX-License-Identifier: MIT
 * tests/cli/plugins/crash.c - y' = -y, y(0) = 1, whose right-hand side (or event function)
 * misbehaves once t passes the parameter "t_crash", in the way the parameter "mode" picks:
 *
 *   0  never (a well-behaved plugin)      5  SIGILL (__builtin_trap)
 *   1  SIGSEGV (write through NULL)       6  exit(0)
 *   2  abort()                            7  stack overflow (unbounded recursion)
 *   3  SIGFPE (integer division by 0)     8  exit(0) in the event function
 *   4  SIGBUS (raise)
 *
 * One event, "half": y = 1/2 (t = ln 2). Lets the CLI tests check what `ivp run` does when a
 * plugin crashes or ends the process. Built as a MODULE library by tests/cli/CMakeLists.txt.
 */
#include <signal.h>
#include <stdlib.h>

#include "ivp_plugin.h"

IVP_PLUGIN_ABI;
const size_t ivp_dim = 1;
const char *const ivp_param_names[] = {"mode", "t_crash", NULL};
const char *const ivp_event_names[] = {"half", NULL};

/* Volatile, so the compiler can neither fold the faults away nor prove the recursion endless. */
static int *volatile crash_null;
static volatile int crash_zero;
static volatile int crash_one = 1;
static volatile int crash_depth_limit = -1;

static int crash_recurse(int depth)
{
    volatile char frame[4096];
    frame[0] = (char)depth;
    if (depth == crash_depth_limit) {
        return frame[0];
    }
    return crash_recurse(depth + 1) + frame[0];
}

static int crash_now(int mode)
{
    switch (mode) {
    case 1:
        *crash_null = 1;
        return 0;
    case 2:
        abort();
    case 3:
        return crash_one / crash_zero; /* a constant numerator would let GCC avoid the idiv */
    case 4:
        raise(SIGBUS);
        return 0;
    case 5:
        __builtin_trap();
    case 6:
        exit(0);
    case 7:
        return crash_recurse(0);
    default:
        return 0;
    }
}

int rhs(double t, const double *y, double *dydt, const ivp_ctx *ctx)
{
    int mode = (int)ctx->p[0];
    if (t > ctx->p[1] && mode != 8) {
        dydt[0] = (double)crash_now(mode);
    }
    dydt[0] = -y[0];
    return 0;
}

int events(double t, const double *y, double *g, const ivp_ctx *ctx)
{
    if (t > ctx->p[1] && (int)ctx->p[0] == 8) {
        exit(0);
    }
    g[0] = y[0] - 0.5;
    return 0;
}
