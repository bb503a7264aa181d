/* SPDX-License-Identifier: MIT
 * bench/stiff/bench_cvode.c - CVODE (SUNDIALS 6.x API: SUNContext, N_Vector serial,
 * SUNDenseMatrix + SUNLinSol_Dense or SUNSparseMatrix (CSC) + SUNLinSol_KLU) on a
 * bench_problem. Written against the CVODE user guide (v6.4): CVodeCreate(CV_BDF), CVodeInit,
 * CVodeSStolerances, CVodeSetLinearSolver, CVodeSetJacFn, CVode(CV_NORMAL), CVodeGet*.
 *
 * The rhs and the Jacobian are the problem's own C functions; the wrappers only map N_Vector
 * to arrays and the problem's Jacobian layout to CVODE's (dense: row-major to column-major;
 * sparse: the pattern's values to the CSC arrays), the same copies ivp makes internally.
 */
#include "bench_cvode.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cvode/cvode.h>
#include <nvector/nvector_serial.h>
#include <sundials/sundials_config.h>
#include <sundials/sundials_context.h>
#include <sunlinsol/sunlinsol_dense.h>
#include <sunlinsol/sunlinsol_klu.h>
#include <sunmatrix/sunmatrix_dense.h>
#include <sunmatrix/sunmatrix_sparse.h>

typedef struct cv_user {
    const bench_problem *p;
    double *buf; /* dense: n*n row-major Jacobian; sparse: nnz values in pattern order */
} cv_user;

static int cv_rhs(sunrealtype t, N_Vector y, N_Vector ydot, void *ud)
{
    const cv_user *u = ud;
    return u->p->rhs(t, N_VGetArrayPointer(y), N_VGetArrayPointer(ydot), &u->p->ctx);
}

static int cv_jac_dense(sunrealtype t, N_Vector y, N_Vector fy, SUNMatrix J, void *ud,
                        N_Vector tmp1, N_Vector tmp2, N_Vector tmp3)
{
    const cv_user *u = ud;
    const size_t n = u->p->n;
    size_t i, j;
    int rc;
    (void)fy;
    (void)tmp1;
    (void)tmp2;
    (void)tmp3;
    rc = u->p->jac(t, N_VGetArrayPointer(y), u->buf, &u->p->ctx);
    if (rc != 0) {
        return rc;
    }
    for (j = 0; j < n; j++) {
        sunrealtype *col = SUNDenseMatrix_Column(J, (sunindextype)j);
        for (i = 0; i < n; i++) {
            col[i] = u->buf[i * n + j];
        }
    }
    return 0;
}

/* CVODE zeroes the whole sparse matrix (structure included) before calling this, so the
 * structure is written every time, as in the SUNDIALS KLU examples. */
static int cv_jac_sparse(sunrealtype t, N_Vector y, N_Vector fy, SUNMatrix J, void *ud,
                         N_Vector tmp1, N_Vector tmp2, N_Vector tmp3)
{
    const cv_user *u = ud;
    const bench_problem *p = u->p;
    sunindextype *colptr = SUNSparseMatrix_IndexPointers(J);
    sunindextype *rowind = SUNSparseMatrix_IndexValues(J);
    sunrealtype *data = SUNSparseMatrix_Data(J);
    size_t j, k;
    int rc;
    (void)fy;
    (void)tmp1;
    (void)tmp2;
    (void)tmp3;
    rc = p->jac_values(t, N_VGetArrayPointer(y), u->buf, &p->ctx);
    if (rc != 0) {
        return rc;
    }
    for (j = 0; j <= p->n; j++) {
        colptr[j] = (sunindextype)p->csc_colptr[j];
    }
    for (k = 0; k < p->nnz; k++) {
        rowind[k] = (sunindextype)p->csc_rowind[k];
        data[k] = u->buf[p->csc_perm[k]];
    }
    return 0;
}

const char *bench_cvode_version(void)
{
    return SUNDIALS_VERSION;
}

const char *bench_cvode_linsol_name(const bench_problem *p, int amd)
{
    if (p->jac_values == NULL) {
        return "dense (SUNDIALS' own LU), analytic Jacobian";
    }
    return amd ? "KLU with AMD ordering, sparse CSC analytic Jacobian"
               : "KLU with its default (COLAMD) ordering, sparse CSC analytic Jacobian";
}

static int cvode_solve(const bench_problem *p, double rtol, double atol, int amd, double *y_out,
                       bench_cvode_stats *stats, char *msg, size_t msg_len)
{
    const size_t n = p->n;
    const int sparse = p->jac_values != NULL;
    SUNContext sunctx = NULL;
    N_Vector y = NULL;
    SUNMatrix A = NULL;
    SUNLinearSolver LS = NULL;
    void *mem = NULL;
    cv_user ud = {p, NULL};
    sunrealtype t = p->t0;
    int flag, ret = -1;
    long nfe_ls = 0;

    memset(stats, 0, sizeof *stats);
    ud.buf = malloc((sparse ? p->nnz : n * n) * sizeof *ud.buf);
    if (ud.buf == NULL) {
        snprintf(msg, msg_len, "CVODE driver: out of memory");
        goto fail;
    }
    if (SUNContext_Create(NULL, &sunctx) != 0) {
        snprintf(msg, msg_len, "SUNContext_Create failed");
        goto fail;
    }
    y = N_VNew_Serial((sunindextype)n, sunctx);
    if (y == NULL) {
        snprintf(msg, msg_len, "N_VNew_Serial failed");
        goto fail;
    }
    memcpy(N_VGetArrayPointer(y), p->y0, n * sizeof *p->y0);
    mem = CVodeCreate(CV_BDF, sunctx);
    if (mem == NULL) {
        snprintf(msg, msg_len, "CVodeCreate failed");
        goto fail;
    }
    if ((flag = CVodeInit(mem, cv_rhs, p->t0, y)) != CV_SUCCESS ||
        (flag = CVodeSetUserData(mem, &ud)) != CV_SUCCESS ||
        (flag = CVodeSStolerances(mem, rtol, atol)) != CV_SUCCESS ||
        (flag = CVodeSetMaxNumSteps(mem, -1)) != CV_SUCCESS || /* < 0: no limit */
        (flag = CVodeSetStopTime(mem, p->t_end)) != CV_SUCCESS) {
        snprintf(msg, msg_len, "CVODE setup failed: %s", CVodeGetReturnFlagName(flag));
        goto fail;
    }
    if (sparse) {
        A = SUNSparseMatrix((sunindextype)n, (sunindextype)n, (sunindextype)p->nnz, CSC_MAT,
                            sunctx);
        LS = A != NULL ? SUNLinSol_KLU(y, A, sunctx) : NULL;
    } else {
        A = SUNDenseMatrix((sunindextype)n, (sunindextype)n, sunctx);
        LS = A != NULL ? SUNLinSol_Dense(y, A, sunctx) : NULL;
    }
    if (A == NULL || LS == NULL) {
        snprintf(msg, msg_len, "cannot create the CVODE matrix or linear solver");
        goto fail;
    }
    if (sparse && amd && SUNLinSol_KLUSetOrdering(LS, 0) != SUNLS_SUCCESS) {
        snprintf(msg, msg_len, "SUNLinSol_KLUSetOrdering(AMD) failed");
        goto fail;
    }
    if ((flag = CVodeSetLinearSolver(mem, LS, A)) != CV_SUCCESS ||
        (flag = CVodeSetJacFn(mem, sparse ? cv_jac_sparse : cv_jac_dense)) != CV_SUCCESS) {
        snprintf(msg, msg_len, "CVODE linear solver setup failed (flag %d)", flag);
        goto fail;
    }
    flag = CVode(mem, p->t_end, y, &t, CV_NORMAL);
    if (flag < 0) {
        snprintf(msg, msg_len, "CVode failed at t = %.17g: %s", (double)t,
                 CVodeGetReturnFlagName(flag));
        goto fail;
    }
    memcpy(y_out, N_VGetArrayPointer(y), n * sizeof *y_out);
    CVodeGetNumSteps(mem, &stats->nst);
    CVodeGetNumRhsEvals(mem, &stats->nfe);
    CVodeGetNumJacEvals(mem, &stats->nje);
    CVodeGetNumLinSolvSetups(mem, &stats->nsetups);
    CVodeGetNumErrTestFails(mem, &stats->netf);
    CVodeGetNumNonlinSolvIters(mem, &stats->nni);
    CVodeGetNumNonlinSolvConvFails(mem, &stats->ncfn);
    CVodeGetLastOrder(mem, &stats->qlast);
    CVodeGetNumLinRhsEvals(mem, &nfe_ls); /* 0 with an analytic Jacobian */
    stats->nfe += nfe_ls;
    ret = 0;

fail:
    CVodeFree(&mem);
    SUNLinSolFree(LS);
    SUNMatDestroy(A);
    N_VDestroy(y);
    if (sunctx != NULL) {
        SUNContext_Free(&sunctx);
    }
    free(ud.buf);
    return ret;
}

int bench_cvode_solve(const bench_problem *p, double rtol, double atol, double *y_out,
                      bench_cvode_stats *stats, char *msg, size_t msg_len)
{
    return cvode_solve(p, rtol, atol, 0, y_out, stats, msg, msg_len);
}

int bench_cvode_solve_amd(const bench_problem *p, double rtol, double atol, double *y_out,
                          bench_cvode_stats *stats, char *msg, size_t msg_len)
{
    return cvode_solve(p, rtol, atol, 1, y_out, stats, msg, msg_len);
}
