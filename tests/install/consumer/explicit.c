/* SPDX-License-Identifier: MIT
 * tests/install/consumer/explicit.c - a program outside the tree that solves y' = -y, y(0) = 1
 * with RK45 into a memory sink, against the installed libivp alone. Checks y(t) against
 * exp(-t) at every step, and that no linear-algebra library was loaded.
 */
#define _GNU_SOURCE /* RTLD_NOLOAD */
#include <dlfcn.h>
#include <math.h>
#include <stdio.h>

#include <ivp/memsink.h>
#include <ivp/solve.h>
#include <ivp/version.h>

static int rhs(double t, const double *y, double *dydt, const ivp_ctx *ctx)
{
    (void)t;
    (void)ctx;
    dydt[0] = -y[0];
    return 0;
}

int main(void)
{
    ivp_ctx ctx = {1, NULL, 0, NULL};
    ivp_system sys = {.n = 1, .rhs = rhs, .lband = -1, .uband = -1, .ctx = &ctx};
    ivp_options opt;
    ivp_memsink ms;
    ivp_sink sink;
    ivp_result res;
    ivp_error err;
    double y0 = 1.0, worst = 0.0;
    size_t i;

    ivp_options_init(&opt);
    opt.rtol = 1e-10;
    opt.atol = 1e-12;
    ivp_memsink_init(&ms, 1, ivp_method_dense_degree("RK45"), NULL, 0, 0, 0);
    sink = ivp_memsink_sink(&ms);
    if (ivp_solve(&sys, 0.0, 5.0, &y0, &opt, &sink, &res, &err) != IVP_OK) {
        fprintf(stderr, "explicit: %s\n", err.msg);
        return 1;
    }
    for (i = 0; i < ms.n_points; i++) {
        double e = fabs(ms.y[i] - exp(-ms.t[i])) / exp(-ms.t[i]);
        worst = e > worst ? e : worst;
    }
    printf("ivp %s: RK45 %lu steps, y(5) = %.15g (exp(-5) = %.15g), worst relative error %.3g\n",
           IVP_VERSION, res.n_steps, ms.y[ms.n_points - 1], exp(-5.0), worst);
    /* local errors of 1e-10 accumulate over the steps: 1e-8 leaves a wide margin */
    if (ms.t[ms.n_points - 1] != 5.0 || worst > 1e-8) {
        fprintf(stderr, "explicit: wrong solution\n");
        return 1;
    }
    if (dlopen("liblapack.so.3", RTLD_NOW | RTLD_NOLOAD) != NULL) {
        fprintf(stderr, "explicit: LAPACK was loaded by an explicit method\n");
        return 1;
    }
    ivp_memsink_free(&ms);
    return 0;
}
