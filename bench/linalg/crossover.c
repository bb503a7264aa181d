/* SPDX-License-Identifier: MIT
 * bench/linalg/crossover.c - times factor + solve of alpha*I + beta*A with ivp's own dense LU
 * and with LAPACK (dgetrf/dgetrs, zgetrf/zgetrs) for n = 2..64, real and complex, and prints
 * a Markdown table and the crossover: the smallest n from which LAPACK is faster at every
 * larger n measured. IVP_DENSE_LAPACK_CROSSOVER in core/src/linalg/linalg.h is set from it.
 *
 * Each time is the median over 'repeats' batches of the time per factor + solve; a batch
 * repeats the pair enough times to last at least 200 microseconds. Own and LAPACK batches
 * alternate so drifts in machine load hit both alike. The right-hand side is restored before
 * every solve (a memcpy of n doubles, the same for both back ends).
 *
 * Usage: linalg_crossover [repeats (default 41)] [max n (default 64)] [min n (default 2)]
 *                         [step (default 1)]
 */
#define _POSIX_C_SOURCE 199309L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "linalg/linalg.h"
#include "linalg/linalg_impl.h"

#define MIN_BATCH_SECONDS 2e-4

typedef struct bench_case {
    ivp_linsolver *ls;
    const ivp_matrix *A;
    int cplx;
    double *b0r, *b0i; /* right-hand side */
    double *br, *bi;   /* work copy */
} bench_case;

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double rng_uniform(unsigned long long *s)
{
    unsigned long long z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    return (double)(z >> 11) * 0x1.0p-53 * 2.0 - 1.0;
}

/* Runs 'reps' factor + solve pairs; returns the seconds taken. */
static double run_batch(bench_case *c, long reps)
{
    size_t n = c->A->n;
    ivp_error err;
    long r;
    double t0 = now_seconds();
    for (r = 0; r < reps; r++) {
        ivp_status st;
        memcpy(c->br, c->b0r, n * sizeof *c->br);
        if (c->cplx) {
            memcpy(c->bi, c->b0i, n * sizeof *c->bi);
            st = ivp_linsolver_factor_complex(c->ls, 1.0, 0.8, -0.7, c->A, &err);
            ivp_linsolver_solve_complex(c->ls, c->br, c->bi);
        } else {
            st = ivp_linsolver_factor(c->ls, 1.0, -0.7, c->A, &err);
            ivp_linsolver_solve(c->ls, c->br);
        }
        if (st != IVP_OK) {
            fprintf(stderr, "factor failed: %s\n", err.msg);
            exit(EXIT_FAILURE);
        }
    }
    return now_seconds() - t0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Batch length: doubled until one batch lasts MIN_BATCH_SECONDS. */
static long calibrate(bench_case *c)
{
    long reps = 1;
    while (run_batch(c, reps) < MIN_BATCH_SECONDS && reps < (1L << 24)) {
        reps *= 2;
    }
    return reps;
}

/* Median seconds per factor + solve of own and LAPACK (out[0], out[1]), batches alternating. */
static void measure(bench_case *own, bench_case *lap, int repeats, double *t_own, double *t_lap,
                    double *out)
{
    long r_own = calibrate(own), r_lap = calibrate(lap);
    int k;
    for (k = 0; k < repeats; k++) {
        t_own[k] = run_batch(own, r_own) / (double)r_own;
        t_lap[k] = run_batch(lap, r_lap) / (double)r_lap;
    }
    qsort(t_own, (size_t)repeats, sizeof *t_own, cmp_double);
    qsort(t_lap, (size_t)repeats, sizeof *t_lap, cmp_double);
    out[0] = t_own[repeats / 2];
    out[1] = t_lap[repeats / 2];
}

int main(int argc, char **argv)
{
    int repeats = argc > 1 ? atoi(argv[1]) : 41;
    size_t max_n = argc > 2 ? (size_t)atol(argv[2]) : 64, n, cross[2] = {0, 0};
    size_t min_n = argc > 3 ? (size_t)atol(argv[3]) : 2;
    size_t step = argc > 4 ? (size_t)atol(argv[4]) : 1;
    double *t_own, *t_lap, (*res)[4];
    unsigned long long seed = 12345u;
    int kind;

    if (repeats < 1 || min_n < 2 || max_n < min_n || max_n > 4096 || step < 1) {
        fprintf(stderr, "usage: %s [repeats >= 1] [max n <= 4096] [min n >= 2] [step >= 1]\n",
                argv[0]);
        return EXIT_FAILURE;
    }
    t_own = malloc((size_t)repeats * sizeof *t_own);
    t_lap = malloc((size_t)repeats * sizeof *t_lap);
    res = malloc((max_n + 1) * sizeof *res);
    if (t_own == NULL || t_lap == NULL || res == NULL) {
        fprintf(stderr, "out of memory\n");
        return EXIT_FAILURE;
    }

    for (n = min_n; n <= max_n; n += step) {
        ivp_matrix A;
        ivp_error err;
        double *vec = malloc(4 * n * sizeof *vec), *wrk = malloc(4 * n * sizeof *wrk);
        size_t i;
        if (vec == NULL || wrk == NULL || ivp_matrix_init_dense(&A, n, NULL, &err) != IVP_OK) {
            fprintf(stderr, "out of memory at n = %zu\n", n);
            return EXIT_FAILURE;
        }
        for (i = 0; i < n * n; i++) {
            A.v[i] = rng_uniform(&seed);
        }
        for (i = 0; i < 4 * n; i++) {
            vec[i] = rng_uniform(&seed);
        }
        for (kind = 0; kind < 2; kind++) {
            bench_case own = {NULL, &A, kind, vec, vec + n, wrk, wrk + n};
            bench_case lap = {NULL, &A, kind, vec + 2 * n, vec + 3 * n, wrk + 2 * n, wrk + 3 * n};
            if (ivp_linsolver_new_with(&ivp_linsolver_dense_own, &A, kind, NULL, &own.ls, &err) !=
                    IVP_OK ||
                ivp_linsolver_new_with(&ivp_linsolver_dense_lapack, &A, kind, NULL, &lap.ls,
                                       &err) != IVP_OK) {
                fprintf(stderr, "linsolver: %s\n", err.msg);
                return EXIT_FAILURE;
            }
            measure(&own, &lap, repeats, t_own, t_lap, res[n] + 2 * kind);
            ivp_linsolver_free(own.ls);
            ivp_linsolver_free(lap.ls);
        }
        ivp_matrix_free(&A, NULL);
        free(vec);
        free(wrk);
    }

    /* crossover: smallest n with LAPACK faster there and at every larger n measured */
    max_n = min_n + (max_n - min_n) / step * step; /* the last n measured */
    for (kind = 0; kind < 2; kind++) {
        cross[kind] = max_n + 1;
        for (n = max_n; n >= min_n && res[n][2 * kind + 1] < res[n][2 * kind]; n -= step) {
            cross[kind] = n;
            if (n < min_n + step) {
                break;
            }
        }
    }

    printf("| n | real own (us) | real LAPACK (us) | LAPACK/own | complex own (us) | "
           "complex LAPACK (us) | LAPACK/own |\n");
    printf("|---:|---:|---:|---:|---:|---:|---:|\n");
    for (n = min_n; n <= max_n; n += step) {
        printf("| %zu | %.3f | %.3f | %.2f | %.3f | %.3f | %.2f |\n", n, 1e6 * res[n][0],
               1e6 * res[n][1], res[n][1] / res[n][0], 1e6 * res[n][2], 1e6 * res[n][3],
               res[n][3] / res[n][2]);
    }
    printf("\nmedian of %d batches per entry; factor + solve of alpha*I + beta*A\n", repeats);
    printf("crossover (LAPACK faster from this n on): real %zu, complex %zu%s\n", cross[0],
           cross[1],
           cross[0] > max_n || cross[1] > max_n ? " (> max n: own LU faster at max n)" : "");
    free(t_own);
    free(t_lap);
    free(res);
    return EXIT_SUCCESS;
}
