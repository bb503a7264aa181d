/* SPDX-License-Identifier: MIT
 * bench/stiff/bench_problems.h - the stiff benchmark problems, as plain C callbacks shared by
 * the ivp and the CVODE runs (both call exactly the same rhs and Jacobian code).
 *
 *   vdp      Van der Pol, y1' = y2, y2' = mu (1 - y1^2) y2 - y1, y0 = [2, 0]; dense analytic
 *            Jacobian (row-major, the plugin ABI's layout).
 *   bruss2d  Brusselator with 2-D diffusion on the periodic unit square (Hairer & Wanner,
 *            Solving ODEs II, section IV.10, "BRUSS-2D"; problems.json brusselator2d_hairer),
 *            NS x NS grid, n = 2 NS^2, interleaved (u, v) per grid point; sparse analytic
 *            Jacobian given as a coordinate pattern plus values (jac_values), 6 entries a row.
 */
#ifndef IVP_BENCH_STIFF_BENCH_PROBLEMS_H
#define IVP_BENCH_STIFF_BENCH_PROBLEMS_H

#include <stddef.h>

#include "ivp/solve.h"

typedef struct bench_problem {
    const char *name; /* "vdp" or "bruss2d" */
    size_t n;         /* state dimension */
    double t0, t_end;
    double *y0;       /* n initial values (owned) */
    double params[2]; /* vdp: mu; bruss2d: alpha, NS */
    ivp_ctx ctx;      /* n, params; passed to every callback */
    ivp_rhs_fn *rhs;
    ivp_jac_fn *jac;               /* dense row-major Jacobian, or NULL */
    ivp_jac_values_fn *jac_values; /* values at (sp_rows[k], sp_cols[k]), or NULL */
    size_t nnz;                    /* structural nonzeros (0 when dense) */
    size_t *sp_rows, *sp_cols;     /* nnz: coordinate pattern, row by row (owned) */
    /* The same pattern in compressed sparse columns, for CVODE's SUNSparseMatrix (owned):
     * column j holds csc_rowind[csc_colptr[j] .. csc_colptr[j+1]-1] (rows ascending), and its
     * k-th entry is jac_values' entry csc_perm[k]. */
    size_t *csc_colptr; /* n + 1 */
    size_t *csc_rowind; /* nnz */
    size_t *csc_perm;   /* nnz */
} bench_problem;

/* Van der Pol with parameter mu on [0, t_end]. Returns 0, or -1 when out of memory. */
int bench_problem_vdp(bench_problem *p, double mu, double t_end);

/* BRUSS-2D on an ns x ns grid (ns >= 3) on [0, t_end], alpha = 0.1. Returns 0, or -1 when out
 * of memory. */
int bench_problem_bruss2d(bench_problem *p, size_t ns, double t_end);

/* Frees what the constructors allocated; safe on a zeroed or half-built problem. */
void bench_problem_free(bench_problem *p);

#endif /* IVP_BENCH_STIFF_BENCH_PROBLEMS_H */
