/* SPDX-License-Identifier: MIT
 * tests/install/consumer/implicit.c - a program outside the tree that solves a stiff linear
 * system with BDF against the installed libivp: y_i' = -lambda_i y_i, y_i(0) = 1, n = 80,
 * lambda_i from 1 to 1e4, so the dense Newton matrix (n >= 64) goes to LAPACK, which libivp
 * loads on first use. Checks y(1) against exp(-lambda_i), that LAPACK was not loaded before
 * the solve and was after.
 */
#define _GNU_SOURCE /* RTLD_NOLOAD */
#include <dlfcn.h>
#include <math.h>
#include <stdio.h>

#include <ivp/memsink.h>
#include <ivp/solve.h>

#define N 80

static double lambda[N];

static int rhs(double t, const double *y, double *dydt, const ivp_ctx *ctx)
{
    size_t i;
    (void)t;
    (void)ctx;
    for (i = 0; i < N; i++) {
        dydt[i] = -lambda[i] * y[i];
    }
    return 0;
}

static int lapack_loaded(void)
{
    return dlopen("liblapack.so.3", RTLD_NOW | RTLD_NOLOAD) != NULL;
}

int main(void)
{
    ivp_ctx ctx = {N, NULL, 0, NULL};
    ivp_system sys = {.n = N, .rhs = rhs, .lband = -1, .uband = -1, .ctx = &ctx};
    ivp_options opt;
    ivp_memsink ms;
    ivp_sink sink;
    ivp_result res;
    ivp_error err;
    double y0[N], worst = 0.0;
    const double *y;
    size_t i;

    for (i = 0; i < N; i++) {
        lambda[i] = pow(10.0, 4.0 * (double)i / (N - 1));
        y0[i] = 1.0;
    }
    if (lapack_loaded()) {
        fprintf(stderr, "implicit: LAPACK was loaded before any solve\n");
        return 1;
    }
    ivp_options_init(&opt);
    opt.method = "BDF";
    opt.rtol = 1e-8;
    opt.atol = 1e-10;
    ivp_memsink_init(&ms, N, ivp_method_dense_degree("BDF"), NULL, 0, 0, 0);
    sink = ivp_memsink_sink(&ms);
    if (ivp_solve(&sys, 0.0, 1.0, y0, &opt, &sink, &res, &err) != IVP_OK) {
        fprintf(stderr, "implicit: %s\n", err.msg);
        return 1;
    }
    y = ms.y + (ms.n_points - 1) * N;
    for (i = 0; i < N; i++) {
        double e = fabs(y[i] - exp(-lambda[i]));
        worst = e > worst ? e : worst;
    }
    printf("BDF: %lu steps, nlu %lu, y_0(1) = %.12g (exp(-1) = %.12g), worst error %.3g\n",
           res.n_steps, res.nlu, y[0], exp(-1.0), worst);
    /* BDF's global error: a modest multiple of rtol * |y| + atol (|y| <= 1) */
    if (worst > 1e-5 || res.nlu == 0) {
        fprintf(stderr, "implicit: wrong solution\n");
        return 1;
    }
    if (!lapack_loaded()) {
        fprintf(stderr, "implicit: LAPACK is not loaded after a dense BDF solve with n = %d\n", N);
        return 1;
    }
    ivp_memsink_free(&ms);
    return 0;
}
