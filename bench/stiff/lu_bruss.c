/* SPDX-License-Identifier: MIT
 * bench/stiff/lu_bruss.c - what one Newton-matrix factorisation of BRUSS-2D costs with the
 * sparse direct solvers at hand: KLU with AMD ordering (what ivp's sparse back end uses), KLU
 * with COLAMD (SUNDIALS' SUNLinSol_KLU default) and UMFPACK (multifrontal, BLAS-3 dense
 * kernels). Evidence for bench/stiff/README.md: on BRUSS-2D the implicit solvers spend almost
 * all their time in these factorisations.
 *
 * The matrix is I - c J(y0) (c = h * gamma, default 1e-3; the value hardly matters for the
 * cost: the diagonal stays the pivot) in the CSC pattern of bench_problems.c. Each solver is
 * timed for the symbolic analysis (once), the first numeric factorisation, refactorisations
 * with the same pivot order (KLU's klu_refactor; UMFPACK has no such call and is timed for a
 * full umfpack_di_numeric) and one solve; refactorisations and solves are repeated and the
 * median taken, alternating between the solvers. Also printed: nonzeros of L and U and the
 * flop counts, as each library reports them (both count the diagonals of L and U).
 *
 * Times are CPU times of the calling thread. UMFPACK calls the BLAS, which OpenBLAS may run on
 * several threads whose work this clock does not see: run with OPENBLAS_NUM_THREADS=1 for a
 * single-thread comparison (KLU uses no BLAS); a note is printed otherwise.
 *
 * Usage: OPENBLAS_NUM_THREADS=1 lu_bruss [NS (default 128)] [repeats (default 5)]
 *                                        [c (default 1e-3)]
 */
#define _POSIX_C_SOURCE 199309L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <klu.h>
#include <umfpack.h>

#include "bench_problems.h"

#define MAX_REPEATS 101

static double cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int m)
{
    qsort(v, (size_t)m, sizeof *v, cmp_double);
    return m % 2 == 1 ? v[m / 2] : 0.5 * (v[m / 2 - 1] + v[m / 2]);
}

typedef struct klu_case {
    const char *name;
    klu_common common;
    klu_symbolic *sym;
    klu_numeric *num;
    double t_analyze, t_factor;
    double t_refactor[MAX_REPEATS], t_solve[MAX_REPEATS];
} klu_case;

int main(int argc, char **argv)
{
    size_t ns = argc > 1 ? (size_t)strtoul(argv[1], NULL, 10) : 128;
    int repeats = argc > 2 ? atoi(argv[2]) : 5;
    double c = argc > 3 ? strtod(argv[3], NULL) : 1e-3;
    bench_problem p;
    klu_case kc[2];
    int *ap = NULL, *ai = NULL, r, q, status = 1;
    double *ax = NULL, *vals = NULL, *b = NULL, *x = NULL;
    void *usym = NULL, *unum = NULL;
    double uctl[UMFPACK_CONTROL], uinfo[UMFPACK_INFO], uinfo_solve[UMFPACK_INFO];
    double ut_sym, ut_num[MAX_REPEATS], ut_solve[MAX_REPEATS];
    size_t n, nnz, j, k;

    if (ns < 3 || repeats < 1 || repeats > MAX_REPEATS || !(c > 0.0)) {
        fprintf(stderr, "usage: lu_bruss [NS >= 3] [repeats 1..%d] [c > 0]\n", MAX_REPEATS);
        return 2;
    }
    memset(kc, 0, sizeof kc);
    if (bench_problem_bruss2d(&p, ns, 11.5) != 0) {
        fprintf(stderr, "lu_bruss: out of memory\n");
        return 1;
    }
    n = p.n;
    nnz = p.nnz;
    ap = malloc((n + 1) * sizeof *ap);
    ai = malloc(nnz * sizeof *ai);
    ax = malloc(nnz * sizeof *ax);
    vals = malloc(nnz * sizeof *vals);
    b = malloc(n * sizeof *b);
    x = malloc(n * sizeof *x);
    if (ap == NULL || ai == NULL || ax == NULL || vals == NULL || b == NULL || x == NULL) {
        fprintf(stderr, "lu_bruss: out of memory\n");
        goto done;
    }
    p.jac_values(0.0, p.y0, vals, &p.ctx);
    for (j = 0; j <= n; j++) {
        ap[j] = (int)p.csc_colptr[j];
    }
    for (j = 0; j < n; j++) {
        for (k = p.csc_colptr[j]; k < p.csc_colptr[j + 1]; k++) {
            ai[k] = (int)p.csc_rowind[k];
            ax[k] = -c * vals[p.csc_perm[k]] + (p.csc_rowind[k] == j ? 1.0 : 0.0);
        }
    }

    /* Analysis and first factorisation. */
    for (q = 0; q < 2; q++) {
        double t0;
        kc[q].name = q == 0 ? "KLU, AMD (ivp)" : "KLU, COLAMD (SUNDIALS default)";
        klu_defaults(&kc[q].common);
        kc[q].common.ordering = q; /* 0 AMD, 1 COLAMD */
        t0 = cpu_seconds();
        kc[q].sym = klu_analyze((int)n, ap, ai, &kc[q].common);
        kc[q].t_analyze = cpu_seconds() - t0;
        t0 = cpu_seconds();
        kc[q].num = kc[q].sym != NULL ? klu_factor(ap, ai, ax, kc[q].sym, &kc[q].common) : NULL;
        kc[q].t_factor = cpu_seconds() - t0;
        if (kc[q].num == NULL) {
            fprintf(stderr, "lu_bruss: KLU failed (status %d)\n", kc[q].common.status);
            goto done;
        }
    }
    umfpack_di_defaults(uctl);
    {
        double t0 = cpu_seconds();
        if (umfpack_di_symbolic((int)n, (int)n, ap, ai, ax, &usym, uctl, uinfo) != UMFPACK_OK) {
            fprintf(stderr, "lu_bruss: umfpack_di_symbolic failed\n");
            goto done;
        }
        ut_sym = cpu_seconds() - t0;
    }

    /* Alternating repeats: KLU AMD, KLU COLAMD, UMFPACK. */
    for (r = 0; r < repeats; r++) {
        double t0;
        for (q = 0; q < 2; q++) {
            t0 = cpu_seconds();
            klu_refactor(ap, ai, ax, kc[q].sym, kc[q].num, &kc[q].common);
            kc[q].t_refactor[r] = cpu_seconds() - t0;
            for (j = 0; j < n; j++) {
                b[j] = 1.0;
            }
            t0 = cpu_seconds();
            klu_solve(kc[q].sym, kc[q].num, (int)n, 1, b, &kc[q].common);
            kc[q].t_solve[r] = cpu_seconds() - t0;
        }
        if (unum != NULL) {
            umfpack_di_free_numeric(&unum);
        }
        t0 = cpu_seconds();
        if (umfpack_di_numeric(ap, ai, ax, usym, &unum, uctl, uinfo) != UMFPACK_OK) {
            fprintf(stderr, "lu_bruss: umfpack_di_numeric failed\n");
            goto done;
        }
        ut_num[r] = cpu_seconds() - t0;
        for (j = 0; j < n; j++) {
            b[j] = 1.0;
        }
        t0 = cpu_seconds();
        umfpack_di_solve(UMFPACK_A, ap, ai, ax, x, b, unum, uctl, uinfo_solve);
        ut_solve[r] = cpu_seconds() - t0;
    }

    {
        const char *nt = getenv("OPENBLAS_NUM_THREADS");
        if (nt == NULL || strcmp(nt, "1") != 0) {
            printf("note: OPENBLAS_NUM_THREADS is not 1; UMFPACK's BLAS may use other threads, "
                   "whose time is not counted\n");
        }
    }
    printf("BRUSS-2D NS = %zu: n = %zu, nnz(A) = %zu, A = I - %g J(y0); CPU seconds, medians of "
           "%d\n\n",
           ns, n, nnz, c, repeats);
    printf("| solver | analyse (s) | first factor (s) | refactor (s) | solve (s) | "
           "nnz(L) + nnz(U) | factor flops |\n|---|---:|---:|---:|---:|---:|---:|\n");
    for (q = 0; q < 2; q++) {
        klu_flops(kc[q].sym, kc[q].num, &kc[q].common);
        printf("| %s | %.3g | %.3g | %.3g | %.3g | %d | %.3g |\n", kc[q].name, kc[q].t_analyze,
               kc[q].t_factor, median(kc[q].t_refactor, repeats), median(kc[q].t_solve, repeats),
               kc[q].num->lnz + kc[q].num->unz, kc[q].common.flops);
    }
    printf("| UMFPACK %d.%d.%d (default control) | %.3g | - | %.3g (full numeric) | %.3g | %.0f | "
           "%.3g |\n",
           UMFPACK_MAIN_VERSION, UMFPACK_SUB_VERSION, UMFPACK_SUBSUB_VERSION, ut_sym,
           median(ut_num, repeats), median(ut_solve, repeats),
           uinfo[UMFPACK_LNZ] + uinfo[UMFPACK_UNZ], uinfo[UMFPACK_FLOPS]);
    status = 0;

done:
    for (q = 0; q < 2; q++) {
        if (kc[q].num != NULL) {
            klu_free_numeric(&kc[q].num, &kc[q].common);
        }
        if (kc[q].sym != NULL) {
            klu_free_symbolic(&kc[q].sym, &kc[q].common);
        }
    }
    if (unum != NULL) {
        umfpack_di_free_numeric(&unum);
    }
    if (usym != NULL) {
        umfpack_di_free_symbolic(&usym);
    }
    free(ap);
    free(ai);
    free(ax);
    free(vals);
    free(b);
    free(x);
    bench_problem_free(&p);
    return status;
}
