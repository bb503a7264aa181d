/* SPDX-License-Identifier: MIT
 * tests/install/blas_threads.c - ivp_set_blas_threads with LAPACK loaded on first use.
 *
 *   blas_threads 1   (no OPENBLAS_NUM_THREADS / OMP_NUM_THREADS): after ivp_set_blas_threads(1)
 *                    and an LSODA solve (LAPACK at every size), OpenBLAS runs 1 thread.
 *   blas_threads 2   (OPENBLAS_NUM_THREADS=2): the environment wins; the request is not applied.
 * Exit 77 (skipped) when the LAPACK behind liblapack.so.3 is not OpenBLAS.
 */
#define _GNU_SOURCE /* RTLD_NOLOAD */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ivp/solve.h"

static int rhs(double t, const double *y, double *dydt, const ivp_ctx *ctx)
{
    (void)t;
    (void)ctx;
    dydt[0] = -1000.0 * (y[0] - y[1]);
    dydt[1] = -y[1];
    return 0;
}

int main(int argc, char **argv)
{
    ivp_ctx ctx = {2, NULL, 0, NULL};
    ivp_system sys = {.n = 2, .rhs = rhs, .lband = -1, .uband = -1, .ctx = &ctx};
    ivp_options opt;
    ivp_sink sink = {NULL, NULL, NULL, NULL};
    ivp_result res;
    ivp_error err;
    double y0[2] = {1.0, 1.0};
    void *lapack, *sym;
    int (*get_threads)(void);
    long want, nproc = sysconf(_SC_NPROCESSORS_ONLN);

    if (argc != 2) {
        return 2;
    }
    want = strtol(argv[1], NULL, 10);
    if (want == 1) {
        /* the user's choice would win: this case is about the request */
        unsetenv("OPENBLAS_NUM_THREADS");
        unsetenv("OMP_NUM_THREADS");
    } else if (nproc > 0 && want > nproc) {
        want = nproc; /* OpenBLAS takes at most one thread per processor */
    }
    ivp_set_blas_threads(1);
    ivp_options_init(&opt);
    opt.method = "LSODA";
    if (ivp_solve(&sys, 0.0, 1.0, y0, &opt, &sink, &res, &err) != IVP_OK) {
        fprintf(stderr, "blas_threads: %s\n", err.msg);
        return 1;
    }
    lapack = dlopen("liblapack.so.3", RTLD_NOW | RTLD_NOLOAD);
    if (lapack == NULL) {
        fprintf(stderr, "blas_threads: LAPACK not loaded after an LSODA solve (nlu %lu)\n",
                res.nlu);
        return 1;
    }
    sym = dlsym(lapack, "openblas_get_num_threads");
    if (sym == NULL) {
        printf("blas_threads: the LAPACK is not OpenBLAS: skipped\n");
        return 77;
    }
    memcpy(&get_threads, &sym, sizeof sym);
    printf("blas_threads: OpenBLAS runs %d thread(s), expected %ld\n", get_threads(), want);
    return get_threads() == want ? 0 : 1;
}
