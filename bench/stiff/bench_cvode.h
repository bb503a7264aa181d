/* SPDX-License-Identifier: MIT
 * bench/stiff/bench_cvode.h - the peer: SUNDIALS CVODE (BDF, Newton) on a bench_problem, with
 * the dense direct solver and the analytic dense Jacobian, or with KLU and the analytic sparse
 * (CSC) Jacobian when the problem has a sparse pattern.
 */
#ifndef IVP_BENCH_STIFF_BENCH_CVODE_H
#define IVP_BENCH_STIFF_BENCH_CVODE_H

#include <stddef.h>

#include "bench_problems.h"

typedef struct bench_cvode_stats {
    long nst;     /* steps */
    long nfe;     /* rhs evaluations (CVodeGetNumRhsEvals) */
    long nje;     /* Jacobian evaluations */
    long nsetups; /* linear solver setups (I - gamma J factorisations) */
    long netf;    /* error test failures */
    long nni;     /* nonlinear (Newton) iterations */
    long ncfn;    /* nonlinear convergence failures */
    int qlast;    /* last order used */
} bench_cvode_stats;

/* Solves p with CVODE from t0 to t_end at (rtol, atol) and writes y(t_end) to y_out (n).
 * Settings other than the defaults: the tolerances, the Jacobian function, a stop time at
 * t_end (so that the solution is taken at t_end, not interpolated) and no limit on the number of
 * steps per call (CVODE's default, 500, is a per-call work limit, not a numerical setting).
 * Returns 0, or -1 with msg (msg_len bytes) saying what failed. */
int bench_cvode_solve(const bench_problem *p, double rtol, double atol, double *y_out,
                      bench_cvode_stats *stats, char *msg, size_t msg_len);

/* As bench_cvode_solve, but KLU orders the matrix with AMD (SUNLinSol_KLUSetOrdering 0, the
 * ordering ivp's KLU back end uses) instead of SUNDIALS' default COLAMD. Dense problems are
 * solved exactly as by bench_cvode_solve. */
int bench_cvode_solve_amd(const bench_problem *p, double rtol, double atol, double *y_out,
                          bench_cvode_stats *stats, char *msg, size_t msg_len);

/* The SUNDIALS version compiled against, e.g. "6.4.1"; and the linear solver used for p
 * (amd: by bench_cvode_solve_amd). */
const char *bench_cvode_version(void);
const char *bench_cvode_linsol_name(const bench_problem *p, int amd);

#endif /* IVP_BENCH_STIFF_BENCH_CVODE_H */
