/* SPDX-License-Identifier: MIT
 * core/src/methods/lsoda.c - LSODA: variable-order, variable-step Nordsieck multistep method
 * that switches automatically between Adams (orders 1-12, functional iteration) for non-stiff
 * and BDF (orders 1-5, chord Newton iteration) for stiff stretches, as scipy 1.10.1's
 * solve_ivp(method='LSODA') runs ODEPACK's LSODA: one internal step per ivp step (itask 5),
 * never past t_end (tcrit = t_bound).
 *
 * Algorithm, constants and the order of operations follow ODEPACK's lsoda.f (driver: initial
 * step, error weights, tcrit), stoda.f (one step: prediction, corrector, error test, step and
 * order selection, stiffness detection), prja.f (Jacobian and iteration matrix), cfode.f
 * (method coefficients), vmnorm.f/fnorm.f/bnorm.f (weighted max norms) and ewset.f, so that
 * the step sequence is scipy's; the code is a fresh C formulation, not a translation of the
 * Fortran control flow.
 *
 * References: L. R. Petzold, "Automatic selection of methods for solving stiff and nonstiff
 * systems of ordinary differential equations", SIAM J. Sci. Stat. Comput. 4 (1983) 136-148;
 * A. C. Hindmarsh, "ODEPACK, a systematized collection of ODE solvers", in Scientific
 * Computing, R. S. Stepleman et al. (eds.), North-Holland (1983) 55-64; scipy 1.10.1
 * scipy/integrate/_ivp/lsoda.py (the wrapper's semantics) and, for the dense output, scipy
 * >= 1.12's corrected LsodaDenseOutput (see lsoda_dense).
 *
 * Notation as in ODEPACK: yh is the Nordsieck array, column j = h^j y^(j) / j! (j = 0..nq);
 * el are the method coefficients of the current order; ewt holds the INVERTED error weights
 * 1 / (rtol |y_i| + atol_i), so the weighted max norm is max_i |v_i| ewt_i.
 */
#include "ivp_impl.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "jacobian.h"
#include "linalg/linalg.h"

#define LS_UROUND IVP_EPS  /* ODEPACK's d1mach(4) */
#define LS_MXORDN 12       /* highest Adams order (scipy passes 12) */
#define LS_MXORDS 5        /* highest BDF order (scipy passes 5) */
#define LS_LMAX_ALLOC 13   /* columns of yh: LS_MXORDN + 1 */
#define LS_MAXCOR 3        /* corrector iterations per attempt */
#define LS_MSBP 20         /* steps between Jacobian re-evaluations at most */
#define LS_MXNCF 10        /* corrector convergence failures per step before giving up */
#define LS_MXERR 10        /* error test failures per step before giving up */
#define LS_CCMAX 0.3       /* relative change of h*el0 that forces a new iteration matrix */
#define LS_RATIO 5.0       /* step-size advantage needed to switch Adams -> BDF */
#define LS_ICOUNT 20       /* steps after a switch (and at the start) before the next test */
#define LS_RECENT_STEPS 20 /* recoverable failures this recent explain a vanishing h */

/* Jacobian types, ODEPACK's jt: the system's dense jac, or finite differences (dense, band);
 * and ivp's own for a sparsity pattern: ivp_jac (jacobian.h) with KLU. */
enum { LS_JT_USER = 1, LS_JT_FD = 2, LS_JT_FD_BAND = 5, LS_JT_SPARSE = 7 };

/* Outcomes of one internal step (stoda's kflag, and fatal errors). */
enum { LS_OK = 0, LS_ERRTEST = -1, LS_CONVFAIL = -2, LS_FATAL = -3 };

/* Why the last corrector attempt failed. */
enum { LS_FAIL_CONV = 0, LS_FAIL_SINGULAR, LS_FAIL_RHS, LS_FAIL_JAC };

/* Adams stability limits: |h| * (Lipschitz estimate) may not exceed sm1[q-1] at order q
 * (stoda.f, data sm1). */
static const double ls_sm1[12] = {0.5,  0.575, 0.55, 0.45,  0.35,  0.25,
                                  0.20, 0.15,  0.10, 0.075, 0.050, 0.025};

typedef struct lsoda_state {
    size_t n;
    int jt;        /* LS_JT_*: how the Jacobian is obtained */
    size_t ml, mu; /* band widths (LS_JT_FD_BAND) */

    double *yh;        /* LS_LMAX_ALLOC x n Nordsieck array, column-major (columns of n) */
    double *ewt;       /* n inverted error weights */
    double *savf;      /* n: f at the current iterate, then work */
    double *acor;      /* n: accumulated correction = local error estimate */
    double *y;         /* n: current iterate */
    double *ftem;      /* n: f at a perturbed state (finite differences) */
    double *jrow;      /* n*n row-major buffer for the system's jac (LS_JT_USER) */
    ivp_matrix pm;     /* -h el0 J in the solver's layout (dense or band) */
    ivp_jac jc;        /* LS_JT_SPARSE: J itself, sparse */
    ivp_linsolver *ls; /* LU of I - h el0 J */

    double elco[12][13];    /* coefficients of the current family: elco[q-1][k] = el_k(q) */
    double tesco[12][3];    /* test constants: [q-1][0] order q-1, [1] order q, [2] order q+1 */
    double el[13];          /* el of the current order */
    double cm1[12], cm2[5]; /* Adams / BDF error constants tesco(2,q) elco(q+1,q) */

    double h;             /* signed step size for the next step */
    double hold;          /* h at the end of the last stoda call */
    double hu;            /* signed size of the last successful step */
    double tn;            /* time of the Nordsieck array */
    double tcrit;         /* t_bound: never integrated past */
    double hmin, hmxi;    /* |h| bounds: min_step and 1/max_step (0 = unlimited) */
    double rmax;          /* cap on the next step-size ratio */
    double rc;            /* h el0 relative to its value at the last matrix update */
    double el0;           /* el[0] */
    double conit;         /* 0.5/(nq + 2): corrector convergence constant */
    double crate;         /* estimated corrector convergence rate */
    double pdest, pdlast; /* Lipschitz estimates from the Adams iteration */
    double pdnorm;        /* weighted norm of J at the last evaluation */

    int jstart;         /* 0 first step, 1 continue, -1 method switched, -2 h changed */
    int meth, mused;    /* 1 Adams, 2 BDF: current, and used in the last step */
    int miter;          /* 0 functional iteration, else jt */
    int nq, l;          /* current order and nq + 1 */
    int nqu;            /* order of the last successful step */
    int maxord, lmax;   /* highest order of the current family and maxord + 1 */
    int ialth;          /* steps until the next step/order change is considered */
    int ipup;           /* non-zero: the iteration matrix must be updated */
    int jcur;           /* the Jacobian was evaluated in this step */
    int icount;         /* steps until the next stiffness test */
    int irflag;         /* the last Adams step size was limited by stability */
    unsigned long nst;  /* successful steps */
    unsigned long nslp; /* nst at the last matrix update */
    unsigned long nje;  /* Jacobian evaluations (each followed by one LU) */

    int fail_kind;             /* LS_FAIL_*: the last corrector failure */
    int recovered;             /* a recoverable rhs/jac failure happened ... */
    unsigned long recover_nst; /* ... last at this nst ... */
    int recover_kind;          /* ... in the rhs (LS_FAIL_RHS) or the jac (LS_FAIL_JAC) */
    int last_jac_code;         /* the system jac's last recoverable code */
    ivp_error lin_err;         /* the linear solver's message for a singular matrix */
    unsigned long n_adams, n_bdf, n_switches; /* steps per family, switches (statistics) */
} lsoda_state;

/* ---- helpers ------------------------------------------------------------------------------ */

static double *ls_col(const lsoda_state *st, int j)
{
    return st->yh + (size_t)j * st->n;
}

/* ODEPACK's vmnorm: max_i |v_i| w_i. */
static double ls_vmnorm(size_t n, const double *v, const double *w)
{
    double vm = 0.0;
    size_t i;
    for (i = 0; i < n; i++) {
        double t = fabs(v[i]) * w[i];
        if (t > vm) {
            vm = t;
        }
    }
    return vm;
}

/* ODEPACK's fnorm/bnorm: max_i w_i sum_j |a_ij| / w_j, the matrix norm consistent with
 * ls_vmnorm (sums over j in increasing order, as the Fortran does). */
static double ls_matnorm(const ivp_matrix *m, const double *w)
{
    const size_t n = m->n;
    double an = 0.0;
    size_t i, j;
    for (i = 0; i < n; i++) {
        double sum = 0.0;
        if (m->kind == IVP_MAT_BAND) {
            const size_t ldab = m->kl + m->ku + 1;
            size_t jlo = i > m->kl ? i - m->kl : 0;
            size_t jhi = i + m->ku < n - 1 ? i + m->ku : n - 1;
            for (j = jlo; j <= jhi; j++) {
                sum += fabs(m->v[(m->ku + i - j) + j * ldab]) / w[j];
            }
        } else {
            for (j = 0; j < n; j++) {
                sum += fabs(m->v[i + j * n]) / w[j];
            }
        }
        if (sum * w[i] > an) {
            an = sum * w[i];
        }
    }
    return an;
}

/* ODEPACK's cfode: el and tesco for every order of one family (1 Adams, 2 BDF), by building
 * the generating polynomials in floating point exactly as cfode.f does, so the coefficients are
 * bit-identical to ODEPACK's.
 * Adams: l(x) with dl/dx = (x+1)(x+2)...(x+q-1)/(q-1)!, l(-1) = 0.
 * BDF:   l(x) = (x+1)(x+2)...(x+q) / (q! (1 + 1/2 + ... + 1/q)). */
static void ls_cfode(int meth, double elco[12][13], double tesco[12][3])
{
    double pc[13];
    int q, i;
    if (meth == 1) {
        double rqfac = 1.0;
        elco[0][0] = 1.0;
        elco[0][1] = 1.0;
        tesco[0][0] = 0.0;
        tesco[0][1] = 2.0;
        tesco[1][0] = 1.0;
        tesco[11][2] = 0.0;
        pc[0] = 1.0;
        for (q = 2; q <= 12; q++) {
            /* pc: coefficients of p(x) = (x+1)...(x+q-1), built by multiplying by (x+q-1) */
            const double rq1fac = rqfac;
            const double fqm1 = (double)(q - 1);
            double pint, xpin, tsign = 1.0, agamq, ragq;
            rqfac = rqfac / (double)q;
            pc[q - 1] = 0.0;
            for (i = q - 1; i >= 1; i--) {
                pc[i] = pc[i - 1] + fqm1 * pc[i];
            }
            pc[0] = fqm1 * pc[0];
            /* integrals over [-1, 0] of p(x) and x p(x) */
            pint = pc[0];
            xpin = pc[0] / 2.0;
            for (i = 2; i <= q; i++) {
                tsign = -tsign;
                pint = pint + tsign * pc[i - 1] / (double)i;
                xpin = xpin + tsign * pc[i - 1] / (double)(i + 1);
            }
            elco[q - 1][0] = pint * rq1fac;
            elco[q - 1][1] = 1.0;
            for (i = 2; i <= q; i++) {
                elco[q - 1][i] = rq1fac * pc[i - 1] / (double)i;
            }
            agamq = rqfac * xpin;
            ragq = 1.0 / agamq;
            tesco[q - 1][1] = ragq;
            if (q < 12) {
                tesco[q][0] = ragq * rqfac / (double)(q + 1);
            }
            tesco[q - 2][2] = ragq;
        }
        return;
    }
    {
        double rq1fac = 1.0;
        pc[0] = 1.0;
        for (q = 1; q <= 5; q++) {
            const double fq = (double)q;
            pc[q] = 0.0;
            for (i = q; i >= 1; i--) {
                pc[i] = pc[i - 1] + fq * pc[i];
            }
            pc[0] = fq * pc[0];
            for (i = 0; i <= q; i++) {
                elco[q - 1][i] = pc[i] / pc[1];
            }
            elco[q - 1][1] = 1.0;
            tesco[q - 1][0] = rq1fac;
            tesco[q - 1][1] = (double)(q + 1) / elco[q - 1][0];
            tesco[q - 1][2] = (double)(q + 2) / elco[q - 1][0];
            rq1fac = rq1fac / fq;
        }
    }
}

/* ewset + inversion: ewt_i = 1 / (rtol |y_i| + atol_i). Returns the first index with a
 * non-positive weight, or n. */
static size_t ls_ewset(const ivp_stepper *s, lsoda_state *st)
{
    const double *y = st->yh;
    size_t i;
    for (i = 0; i < st->n; i++) {
        double w = s->rtol * fabs(y[i]) + s->atol[i];
        if (!(w > 0.0)) {
            return i;
        }
        st->ewt[i] = 1.0 / w;
    }
    return st->n;
}

/* stoda's label 150: the coefficients of order nq in the current family. */
static void ls_set_order_coeffs(lsoda_state *st)
{
    int i;
    for (i = 0; i < st->l; i++) {
        st->el[i] = st->elco[st->nq - 1][i];
    }
    st->rc = st->rc * st->el[0] / st->el0;
    st->el0 = st->el[0];
    st->conit = 0.5 / (double)(st->nq + 2);
}

/* stoda's labels 170-180: h *= rh after the limits (hmin when use_hmin, rmax, hmax and, for
 * Adams, the stability bound), rescaling columns 1..nq of yh. */
static void ls_rescale(lsoda_state *st, double rh, int use_hmin)
{
    const size_t n = st->n;
    double r = 1.0;
    int j;
    size_t i;
    if (use_hmin) {
        rh = fmax(rh, st->hmin / fabs(st->h));
    }
    rh = fmin(rh, st->rmax);
    rh = rh / fmax(1.0, fabs(st->h) * st->hmxi * rh);
    if (st->meth == 1) {
        const double pdh = fmax(fabs(st->h) * st->pdlast, 0.000001);
        st->irflag = 0;
        if (rh * pdh * 1.00001 >= ls_sm1[st->nq - 1]) {
            rh = ls_sm1[st->nq - 1] / pdh;
            st->irflag = 1;
        }
    }
    for (j = 1; j < st->l; j++) {
        double *c = ls_col(st, j);
        r = r * rh;
        for (i = 0; i < n; i++) {
            c[i] = c[i] * r;
        }
    }
    st->h = st->h * rh;
    st->rc = st->rc * rh;
    st->ialth = st->l;
}

/* Multiplies yh by the Pascal triangle matrix (the predictor), or undoes it (retract). */
static void ls_predict(lsoda_state *st, int retract)
{
    const size_t n = st->n;
    int k, c;
    size_t i;
    for (k = st->nq - 1; k >= 0; k--) {
        for (c = k; c < st->nq; c++) {
            double *a = ls_col(st, c);
            const double *b = ls_col(st, c + 1);
            if (retract) {
                for (i = 0; i < n; i++) {
                    a[i] = a[i] - b[i];
                }
            } else {
                for (i = 0; i < n; i++) {
                    a[i] = a[i] + b[i];
                }
            }
        }
    }
}

/* ---- Jacobian and iteration matrix (prja.f) ---------------------------------------------- */

/* Evaluates J at (tn, y) (y = the prediction, savf = f(tn, y)), forms pm = -h el0 J, its
 * norm pdnorm, and factors I + pm. Returns 0; 1 when the step must be retried with a smaller
 * h (singular matrix: st->fail_kind = LS_FAIL_SINGULAR; recoverable rhs/jac failure); or a
 * negative status (err filled). */
static int ls_pjac(ivp_stepper *s, lsoda_state *st, ivp_error *err)
{
    const size_t n = st->n;
    const double hl0 = st->h * st->el0;
    double *v = st->pm.v;
    size_t i, j;
    ivp_status lst;

    st->nje++;
    s->njev = st->nje;
    s->nlu = st->nje;
    st->jcur = 1;

    if (st->jt == LS_JT_SPARSE) {
        /* ivp's sparse Jacobian (the system's jac_values, or grouped difference quotients with
         * scipy's num_jac increments; ODEPACK has no sparse mode) */
        int rc = ivp_jac_eval(&st->jc, s, st->tn, st->y, st->savf, s->atol, err);
        if (rc != 0) {
            if (rc < 0) {
                return rc;
            }
            /* a difference quotient's rhs call, or the plugin's jac_values (s->last_fail_*
             * say which; ivp_recover_fail words the message from them) */
            st->fail_kind = strcmp(s->last_fail_what, "rhs") == 0 ? LS_FAIL_RHS : LS_FAIL_JAC;
            st->last_jac_code = -1;
            return 1;
        }
        st->pdnorm = ivp_matrix_fnorm(&st->jc.J, st->ewt);
        lst = ivp_linsolver_factor(st->ls, 1.0, -hl0, &st->jc.J, &st->lin_err);
        if (lst == IVP_ERR_LINALG) {
            st->fail_kind = LS_FAIL_SINGULAR;
            return 1;
        }
        if (lst != IVP_OK) {
            return ivp_error_set(err, lst, "LSODA: %s", st->lin_err.msg);
        }
        return 0;
    }
    if (st->jt == LS_JT_USER) {
        const ivp_system *sys = s->sys;
        const double con = -hl0;
        int rc = sys->jac(st->tn, st->y, st->jrow, sys->ctx);
        if (rc < 0) {
            return ivp_error_set(err, IVP_ERR_JAC, "LSODA: jac returned %d (fatal) at t = %.17g",
                                 rc, st->tn);
        }
        if (rc > 0) {
            st->fail_kind = LS_FAIL_JAC;
            st->last_jac_code = rc;
            return 1;
        }
        for (j = 0; j < n; j++) {
            for (i = 0; i < n; i++) {
                v[i + j * n] = st->jrow[i * n + j] * con;
            }
        }
    } else {
        /* Difference quotients with ODEPACK's increments r_j = max(sqrt(u) |y_j|, r0 / ewt_j),
         * r0 = 1000 |h| u n ||f||: one rhs call per column, or per group of columns mband
         * apart for a band matrix. */
        const double srur = sqrt(LS_UROUND);
        double fac = ls_vmnorm(n, st->savf, st->ewt);
        double r0 = 1000.0 * fabs(st->h) * LS_UROUND * (double)n * fac;
        if (r0 == 0.0) {
            r0 = 1.0;
        }
        if (st->jt == LS_JT_FD) {
            for (j = 0; j < n; j++) {
                const double yj = st->y[j];
                const double r = fmax(srur * fabs(yj), r0 / st->ewt[j]);
                double *colj = v + j * n;
                int rc;
                st->y[j] = st->y[j] + r;
                fac = -hl0 / r;
                rc = ivp_rhs_eval(s, st->tn, st->y, st->ftem, err);
                st->y[j] = yj;
                if (rc != 0) {
                    if (rc < 0) {
                        return rc;
                    }
                    st->fail_kind = LS_FAIL_RHS;
                    return 1;
                }
                for (i = 0; i < n; i++) {
                    colj[i] = (st->ftem[i] - st->savf[i]) * fac;
                }
            }
        } else {
            const size_t ml = st->ml, mu = st->mu, mband = ml + mu + 1;
            const size_t mba = mband < n ? mband : n;
            const size_t ldab = ml + mu + 1;
            const double *y0 = st->yh;
            size_t g, jj;
            for (g = 0; g < mba; g++) {
                int rc;
                for (jj = g; jj < n; jj += mband) {
                    const double r = fmax(srur * fabs(st->y[jj]), r0 / st->ewt[jj]);
                    st->y[jj] = st->y[jj] + r;
                }
                rc = ivp_rhs_eval(s, st->tn, st->y, st->ftem, err);
                for (jj = g; jj < n; jj += mband) {
                    const double r = fmax(srur * fabs(y0[jj]), r0 / st->ewt[jj]);
                    const size_t i1 = jj > mu ? jj - mu : 0;
                    const size_t i2 = jj + ml < n - 1 ? jj + ml : n - 1;
                    st->y[jj] = y0[jj];
                    if (rc != 0) {
                        continue;
                    }
                    fac = -hl0 / r;
                    for (i = i1; i <= i2; i++) {
                        v[(mu + i - jj) + jj * ldab] = (st->ftem[i] - st->savf[i]) * fac;
                    }
                }
                if (rc != 0) {
                    if (rc < 0) {
                        return rc;
                    }
                    st->fail_kind = LS_FAIL_RHS;
                    return 1;
                }
            }
        }
    }
    st->pdnorm = ls_matnorm(&st->pm, st->ewt) / fabs(hl0);
    lst = ivp_linsolver_factor(st->ls, 1.0, 1.0, &st->pm, &st->lin_err);
    if (lst == IVP_ERR_LINALG) {
        st->fail_kind = LS_FAIL_SINGULAR;
        return 1;
    }
    if (lst != IVP_OK) {
        return ivp_error_set(err, lst, "LSODA: %s", st->lin_err.msg);
    }
    return 0;
}

/* ---- the corrector ------------------------------------------------------------------------ */

/* Corrector iteration on the predicted yh (stoda's labels 220-410): functional iteration for
 * Adams, chord Newton with I - h el0 J for BDF. Returns 0 when converged (*m_out iterations
 * beyond the first, *del_out the last correction's norm), 1 on failure (st->fail_kind says
 * why), or a negative status. */
static int ls_corrector(ivp_stepper *s, lsoda_state *st, double pnorm, int *m_out, double *del_out,
                        ivp_error *err)
{
    const size_t n = st->n;
    const double *yh0 = ls_col(st, 0);
    const double *yh1 = ls_col(st, 1);
    size_t i;

    for (;;) { /* label 220: (re)start with the prediction */
        int m = 0, rc;
        double rate = 0.0, del = 0.0, delp = 0.0;
        memcpy(st->y, yh0, n * sizeof *st->y);
        rc = ivp_rhs_eval(s, st->tn, st->y, st->savf, err);
        if (rc != 0) {
            if (rc < 0) {
                return rc;
            }
            st->fail_kind = LS_FAIL_RHS;
            return 1;
        }
        if (st->ipup > 0) {
            rc = ls_pjac(s, st, err);
            if (rc < 0) {
                return rc;
            }
            st->ipup = 0;
            st->rc = 1.0;
            st->nslp = st->nst;
            st->crate = 0.7;
            if (rc > 0) {
                return 1;
            }
        }
        for (i = 0; i < n; i++) {
            st->acor[i] = 0.0;
        }
        for (;;) { /* label 270: one corrector iteration */
            if (st->miter == 0) {
                for (i = 0; i < n; i++) {
                    st->savf[i] = st->h * st->savf[i] - yh1[i];
                    st->y[i] = st->savf[i] - st->acor[i];
                }
                del = ls_vmnorm(n, st->y, st->ewt);
                for (i = 0; i < n; i++) {
                    st->y[i] = yh0[i] + st->el[0] * st->savf[i];
                    st->acor[i] = st->savf[i];
                }
            } else {
                for (i = 0; i < n; i++) {
                    st->y[i] = st->h * st->savf[i] - (yh1[i] + st->acor[i]);
                }
                ivp_linsolver_solve(st->ls, st->y);
                del = ls_vmnorm(n, st->y, st->ewt);
                for (i = 0; i < n; i++) {
                    st->acor[i] = st->acor[i] + st->y[i];
                    st->y[i] = yh0[i] + st->el[0] * st->acor[i];
                }
            }
            /* Convergence test (label 400). A change at roundoff level has converged; otherwise
             * Adams takes at least two iterations so that the contraction rate yields a
             * Lipschitz estimate (pdest) for the stiffness test. */
            if (del <= 100.0 * pnorm * LS_UROUND) {
                *m_out = m;
                *del_out = del;
                return 0;
            }
            if (!(m == 0 && st->meth == 1)) {
                double dcon;
                if (m != 0) {
                    double rm = 1024.0;
                    if (del <= 1024.0 * delp) {
                        rm = del / delp;
                    }
                    rate = fmax(rate, rm);
                    st->crate = fmax(0.2 * st->crate, rm);
                }
                dcon = del * fmin(1.0, 1.5 * st->crate) / (st->tesco[st->nq - 1][1] * st->conit);
                if (dcon <= 1.0) {
                    st->pdest = fmax(st->pdest, rate / fabs(st->h * st->el[0]));
                    if (st->pdest != 0.0) {
                        st->pdlast = st->pdest;
                    }
                    *m_out = m;
                    *del_out = del;
                    return 0;
                }
            }
            m++;
            if (m == LS_MAXCOR || (m >= 2 && del > 2.0 * delp)) {
                break;
            }
            delp = del;
            rc = ivp_rhs_eval(s, st->tn, st->y, st->savf, err);
            if (rc != 0) {
                if (rc < 0) {
                    return rc;
                }
                st->fail_kind = LS_FAIL_RHS;
                return 1;
            }
        }
        /* label 410: diverged or too slow. With a stale Jacobian, refresh it and retry. */
        st->fail_kind = LS_FAIL_CONV;
        if (st->miter == 0 || st->jcur == 1) {
            return 1;
        }
        st->ipup = st->miter;
    }
}

/* ---- step and order selection (stoda's labels 520-630) ------------------------------------ */

/* Chooses the next order and step ratio from dsm (this order), the differences at order nq-1
 * and, when rhup > 0 is given, nq+1. kflag: 0 after a success, the (negative) count of error
 * test failures otherwise. Returns 0 when h is to stay (ialth set to 3), or 1 with *rh the
 * ratio to apply (the order and coefficients already changed, and for an order increase the
 * new column of yh formed). */
static int ls_select(lsoda_state *st, int kflag, double dsm, double rhup, double *rh)
{
    const size_t n = st->n;
    const int nq = st->nq;
    const double exsm = 1.0 / (double)st->l;
    double rhsm = 1.0 / (1.2 * pow(dsm, exsm) + 0.0000012);
    double rhdn = 0.0, pdh = 0.0, r;
    int newq;
    size_t i;

    if (nq != 1) {
        const double ddn = ls_vmnorm(n, ls_col(st, st->l - 1), st->ewt) / st->tesco[nq - 1][0];
        const double exdn = 1.0 / (double)nq;
        rhdn = 1.0 / (1.3 * pow(ddn, exdn) + 0.0000013);
    }
    if (st->meth == 1) {
        /* Adams: limit each candidate by the stability region too. */
        pdh = fmax(fabs(st->h) * st->pdlast, 0.000001);
        if (st->l < st->lmax) {
            rhup = fmin(rhup, ls_sm1[st->l - 1] / pdh);
        }
        rhsm = fmin(rhsm, ls_sm1[nq - 1] / pdh);
        if (nq > 1) {
            rhdn = fmin(rhdn, ls_sm1[nq - 2] / pdh);
        }
        st->pdest = 0.0;
    }
    if (rhsm >= rhup ? rhsm >= rhdn : rhup > rhdn) {
        if (rhsm >= rhup) {
            newq = nq;
            *rh = rhsm;
        } else {
            /* order increase: needs a factor of at least 1.1 */
            newq = st->l;
            *rh = rhup;
            if (*rh < 1.1) {
                st->ialth = 3;
                return 0;
            }
            r = st->el[st->l - 1] / (double)st->l;
            {
                double *c = ls_col(st, newq);
                for (i = 0; i < n; i++) {
                    c[i] = st->acor[i] * r;
                }
            }
            st->nq = newq;
            st->l = newq + 1;
            ls_set_order_coeffs(st);
            return 1;
        }
    } else {
        newq = nq - 1;
        *rh = rhdn;
        if (kflag < 0 && *rh > 1.0) {
            *rh = 1.0;
        }
    }
    /* label 620: a change of less than 10% is not worth it after a success, unless the Adams
     * step is held down by stability */
    if (!(st->meth == 1 && *rh * pdh * 1.00001 >= ls_sm1[newq - 1])) {
        if (kflag == 0 && *rh < 1.1) {
            st->ialth = 3;
            return 0;
        }
    }
    if (kflag <= -2) {
        *rh = fmin(*rh, 0.2);
    }
    if (newq != nq) {
        st->nq = newq;
        st->l = newq + 1;
        ls_set_order_coeffs(st);
    }
    return 1;
}

/* ---- one internal step (stoda.f) ---------------------------------------------------------- */

/* The failure after too many recoverable rhs or jac failures (st->recover_kind). */
static ivp_status ls_recover_fail(ivp_stepper *s, const lsoda_state *st, const char *why,
                                  ivp_error *err)
{
    s->h_abs = fabs(st->h);
    if (st->recover_kind == LS_FAIL_JAC && st->last_jac_code < 0) {
        /* jac_values, described by s->last_fail_* */
        char msg[IVP_ERROR_MSG_MAX];
        ivp_status rc = ivp_recover_fail(s, why, err);
        snprintf(msg, sizeof msg, "%s", err != NULL ? err->msg : "");
        return ivp_error_set(err, rc, "LSODA: %s", msg);
    }
    if (st->recover_kind == LS_FAIL_JAC) {
        return ivp_error_set(err, IVP_ERR_JAC,
                             "LSODA: jac returned %d (recoverable) at t = %.17g (%s; step size "
                             "%.3g)",
                             st->last_jac_code, st->tn, why, fabs(st->h));
    }
    return ivp_recover_fail(s, why, err);
}

/* Stiffness test after a successful step (Petzold 1983), when icount has run out: compares
 * the step size the current family could have used with the other family's. Returns 1 and
 * *rh when the method is switched (meth, miter, nq, l changed). The order is kept: Adams
 * switches only from orders <= 5 = the highest BDF order, and BDF orders never exceed 12, so
 * stoda.f's branches for an order beyond the other family's maximum cannot run here. */
static int ls_switch_test(lsoda_state *st, double dsm, double pnorm, double *rh)
{
    const int nq = st->nq;
    const double exsm = 1.0 / (double)st->l;
    if (st->meth == 1) {
        /* Adams -> BDF: h Adams could have used (limited by its stability region) against
         * h BDF could have used, from the error constants; BDF must win by LS_RATIO. */
        double rh2;
        if (nq > LS_MXORDS) {
            return 0;
        }
        if (dsm > 100.0 * pnorm * LS_UROUND && st->pdest != 0.0) {
            const double dm2 = dsm * (st->cm1[nq - 1] / st->cm2[nq - 1]);
            const double pdh = st->pdlast * fabs(st->h);
            double rh1 = 1.0 / (1.2 * pow(dsm, exsm) + 0.0000012);
            double rh1it = 2.0 * rh1;
            if (pdh * rh1 > 0.00001) {
                rh1it = ls_sm1[nq - 1] / pdh;
            }
            rh1 = fmin(rh1, rh1it);
            rh2 = 1.0 / (1.2 * pow(dm2, exsm) + 0.0000012);
            if (rh2 < LS_RATIO * rh1) {
                return 0;
            }
        } else {
            /* Estimates polluted by roundoff: switch (doubling h) only if the last step size
             * was limited by Adams stability. */
            if (st->irflag == 0) {
                return 0;
            }
            rh2 = 2.0;
        }
        *rh = rh2;
        st->icount = LS_ICOUNT;
        st->meth = 2;
        st->miter = st->jt;
        st->pdlast = 0.0;
        return 1;
    }
    {
        /* BDF -> Adams: Adams's step limited by its stability region for the Lipschitz
         * estimate pdnorm = ||J||; Adams must at least tie, and its error must not be at
         * roundoff level. */
        double dm1 = dsm * (st->cm2[nq - 1] / st->cm1[nq - 1]);
        const double pdh = st->pdnorm * fabs(st->h);
        double rh1 = 1.0 / (1.2 * pow(dm1, exsm) + 0.0000012);
        double rh1it = 2.0 * rh1, rh2, alpha;
        if (pdh * rh1 > 0.00001) {
            rh1it = ls_sm1[nq - 1] / pdh;
        }
        rh1 = fmin(rh1, rh1it);
        rh2 = 1.0 / (1.2 * pow(dsm, exsm) + 0.0000012);
        if (rh1 * LS_RATIO < 5.0 * rh2) {
            return 0;
        }
        alpha = fmax(0.001, rh1);
        dm1 = pow(alpha, exsm) * dm1;
        if (dm1 <= 1000.0 * LS_UROUND * pnorm) {
            return 0;
        }
        *rh = rh1;
        st->icount = LS_ICOUNT;
        st->meth = 1;
        st->miter = 0;
        st->pdlast = 0.0;
        return 1;
    }
}

/* Tries steps from tn until one passes (LS_OK: tn, yh, h, nq updated, acor the local error)
 * or the step fails for good (LS_ERRTEST, LS_CONVFAIL: tn and yh as at entry, h the last
 * size tried; LS_FATAL: *fatal holds the status and err the message). */
static int ls_stoda(ivp_stepper *s, lsoda_state *st, ivp_status *fatal, ivp_error *err)
{
    const size_t n = st->n;
    const double told = st->tn;
    int kflag = 0, ncf = 0, result = LS_OK;
    size_t i;
    int j;

    st->jcur = 0;
    if (st->jstart == 0) {
        /* First step: order 1 Adams. rmax = 1e4 lets the small initial h grow quickly. */
        st->lmax = st->maxord + 1;
        st->nq = 1;
        st->l = 2;
        st->ialth = 2;
        st->rmax = 10000.0;
        st->rc = 0.0;
        st->el0 = 1.0;
        st->crate = 0.7;
        st->hold = st->h;
        st->nslp = 0;
        st->ipup = st->miter;
        st->icount = LS_ICOUNT;
        st->irflag = 0;
        st->pdest = 0.0;
        st->pdlast = 0.0;
        ls_cfode(2, st->elco, st->tesco);
        for (j = 0; j < 5; j++) {
            st->cm2[j] = st->tesco[j][1] * st->elco[j][j + 1];
        }
        ls_cfode(1, st->elco, st->tesco);
        for (j = 0; j < 12; j++) {
            st->cm1[j] = st->tesco[j][1] * st->elco[j][j + 1];
        }
        ls_set_order_coeffs(st);
    } else if (st->jstart < 0) {
        if (st->jstart == -1) {
            /* completing a method switch made at the end of the last step */
            st->ipup = st->miter;
            st->lmax = st->maxord + 1;
            if (st->ialth == 1) {
                st->ialth = 2;
            }
            if (st->meth != st->mused) {
                ls_cfode(st->meth, st->elco, st->tesco);
                st->ialth = st->l;
                ls_set_order_coeffs(st);
            }
        }
        if (st->h != st->hold) {
            /* the caller changed h (tcrit): rescale yh from hold, without the hmin bound */
            const double rh = st->h / st->hold;
            st->h = st->hold;
            ls_rescale(st, rh, 0);
        }
    }

    for (;;) { /* label 200: one attempt with the current h and order */
        double pnorm, del, dsm, rh;
        int m, rc;
        if (fabs(st->rc - 1.0) > LS_CCMAX) {
            st->ipup = st->miter;
        }
        if (st->nst >= st->nslp + LS_MSBP) {
            st->ipup = st->miter;
        }
        st->tn = st->tn + st->h;
        ls_predict(st, 0);
        pnorm = ls_vmnorm(n, ls_col(st, 0), st->ewt);

        rc = ls_corrector(s, st, pnorm, &m, &del, err);
        if (rc < 0) {
            *fatal = (ivp_status)rc;
            result = LS_FATAL;
            goto done;
        }
        if (rc > 0) {
            /* label 430: convergence failure (or singular matrix, or a recoverable rhs/jac
             * failure): retract and retry with h/4. */
            ncf++;
            s->n_rejected++;
            st->rmax = 2.0;
            st->tn = told;
            ls_predict(st, 1);
            if (st->fail_kind == LS_FAIL_RHS || st->fail_kind == LS_FAIL_JAC) {
                st->recovered = 1;
                st->recover_nst = st->nst;
                st->recover_kind = st->fail_kind;
                s->recover_run++;
                if (s->recover_run >= IVP_MAX_RECOVERABLE) {
                    result = LS_FATAL;
                    *fatal = ls_recover_fail(s, st, "10 attempts in a row failed", err);
                    goto done;
                }
            }
            if (fabs(st->h) <= st->hmin * 1.00001 || ncf == LS_MXNCF) {
                result = LS_CONVFAIL;
                goto done;
            }
            st->ipup = st->miter;
            ls_rescale(st, 0.25, 1);
            continue;
        }

        /* label 450: converged; the local error test */
        st->jcur = 0;
        if (m == 0) {
            dsm = del / st->tesco[st->nq - 1][1];
        } else {
            dsm = ls_vmnorm(n, st->acor, st->ewt) / st->tesco[st->nq - 1][1];
        }
        if (dsm <= 1.0) {
            double rhup = 0.0;
            /* accept: correct yh */
            st->nst++;
            st->hu = st->h;
            st->nqu = st->nq;
            st->mused = st->meth;
            for (j = 0; j < st->l; j++) {
                double *c = ls_col(st, j);
                const double e = st->el[j];
                for (i = 0; i < n; i++) {
                    c[i] = c[i] + e * st->acor[i];
                }
            }
            st->icount--;
            if (st->icount < 0 && ls_switch_test(st, dsm, pnorm, &rh)) {
                ls_rescale(st, rh, 1);
                st->rmax = 10.0;
                goto done;
            }
            st->ialth--;
            if (st->ialth > 0) {
                /* keep acor for the order-increase estimate at the next step */
                if (st->ialth == 1 && st->l != st->lmax) {
                    memcpy(ls_col(st, st->lmax - 1), st->acor, n * sizeof *st->acor);
                }
                goto done;
            }
            /* label 520: consider a new step size and order */
            if (st->l != st->lmax) {
                const double *saved = ls_col(st, st->lmax - 1);
                double dup, exup;
                for (i = 0; i < n; i++) {
                    st->savf[i] = st->acor[i] - saved[i];
                }
                dup = ls_vmnorm(n, st->savf, st->ewt) / st->tesco[st->nq - 1][2];
                exup = 1.0 / (double)(st->l + 1);
                rhup = 1.0 / (1.4 * pow(dup, exup) + 0.0000014);
            }
            if (ls_select(st, 0, dsm, rhup, &rh)) {
                ls_rescale(st, rh, 1);
                st->rmax = 10.0;
            }
            goto done;
        }

        /* label 500: the error test failed; retract and retry smaller */
        kflag--;
        s->n_rejected++;
        st->tn = told;
        ls_predict(st, 1);
        st->rmax = 2.0;
        if (fabs(st->h) <= st->hmin * 1.00001) {
            result = LS_ERRTEST;
            goto done;
        }
        if (kflag > -3) {
            if (ls_select(st, kflag, dsm, 0.0, &rh)) {
                ls_rescale(st, rh, 1);
            }
            continue;
        }
        /* label 640: three or more failures. The higher derivatives are assumed wrong: restart
         * at order 1 from f at the last accepted point, with h cut by 10. */
        if (kflag == -LS_MXERR) {
            result = LS_ERRTEST;
            goto done;
        }
        rh = fmax(st->hmin / fabs(st->h), 0.1);
        st->h = st->h * rh;
        memcpy(st->y, ls_col(st, 0), n * sizeof *st->y);
        rc = ivp_rhs_eval(s, st->tn, st->y, st->savf, err);
        if (rc != 0) {
            result = LS_FATAL;
            *fatal = rc < 0 ? (ivp_status)rc
                            : ivp_recover_fail(s, "at the last accepted point", err);
            goto done;
        }
        {
            double *c1 = ls_col(st, 1);
            for (i = 0; i < n; i++) {
                c1[i] = st->h * st->savf[i];
            }
        }
        st->ipup = st->miter;
        st->ialth = 5;
        if (st->nq != 1) {
            st->nq = 1;
            st->l = 2;
            ls_set_order_coeffs(st);
        }
    }

done:
    st->hold = st->h;
    st->jstart = 1;
    return result;
}

/* ---- the method interface ------------------------------------------------------------------ */

static void lsoda_free(ivp_stepper *s)
{
    lsoda_state *st = s->state;
    if (st == NULL) {
        return;
    }
    ivp_free(s->alloc, st->yh);
    ivp_free(s->alloc, st->ewt);
    ivp_free(s->alloc, st->savf);
    ivp_free(s->alloc, st->acor);
    ivp_free(s->alloc, st->y);
    ivp_free(s->alloc, st->ftem);
    ivp_free(s->alloc, st->jrow);
    ivp_linsolver_free(st->ls);
    ivp_matrix_free(&st->pm, s->alloc);
    ivp_jac_free(&st->jc);
    ivp_free(s->alloc, st);
    s->state = NULL;
}

static ivp_status lsoda_alloc(ivp_stepper *s, ivp_error *err)
{
    const ivp_system *sys = s->sys;
    const size_t n = s->n;
    lsoda_state *st = ivp_calloc(s->alloc, 1, sizeof *st);
    ivp_status status;
    if (st == NULL) {
        goto nomem;
    }
    s->state = st;
    st->n = n;
    st->yh = ivp_calloc(s->alloc, (size_t)LS_LMAX_ALLOC * n, sizeof *st->yh);
    st->ewt = ivp_calloc(s->alloc, n, sizeof *st->ewt);
    st->savf = ivp_calloc(s->alloc, n, sizeof *st->savf);
    st->acor = ivp_calloc(s->alloc, n, sizeof *st->acor);
    st->y = ivp_calloc(s->alloc, n, sizeof *st->y);
    st->ftem = ivp_calloc(s->alloc, n, sizeof *st->ftem);
    if (st->yh == NULL || st->ewt == NULL || st->savf == NULL || st->acor == NULL ||
        st->y == NULL || st->ftem == NULL) {
        goto nomem;
    }
    /* scipy: lband/uband select ODEPACK's banded Jacobian (one missing counts as 0); the
     * system's dense jac is used only without them (jt 1), finite differences otherwise.
     * ODEPACK rejects widths >= n; a band that wide is the full matrix, so it is clamped.
     * A sparsity pattern (without lband/uband), which scipy's LSODA ignores, selects ivp's
     * sparse Jacobian and KLU, so that no n x n matrix is formed (contracts.md section 1). */
    if (sys->sp_rows != NULL && sys->lband < 0 && sys->uband < 0) {
        st->jt = LS_JT_SPARSE;
        status = ivp_jac_init(&st->jc, sys, 1, s->alloc, err);
        if (status != IVP_OK) {
            return status;
        }
        return ivp_linsolver_new(&st->jc.J, 0, s->alloc, &st->ls, err);
    }
    if (sys->lband >= 0 || sys->uband >= 0) {
        st->jt = LS_JT_FD_BAND;
        st->ml = sys->lband > 0 ? (size_t)sys->lband : 0;
        st->mu = sys->uband > 0 ? (size_t)sys->uband : 0;
        if (st->ml > n - 1) {
            st->ml = n - 1;
        }
        if (st->mu > n - 1) {
            st->mu = n - 1;
        }
        status = ivp_matrix_init_band(&st->pm, n, st->ml, st->mu, s->alloc, err);
    } else {
        st->jt = sys->jac != NULL ? LS_JT_USER : LS_JT_FD;
        if (st->jt == LS_JT_USER) {
            if (n > ((size_t)-1) / sizeof *st->jrow / n) {
                goto nomem;
            }
            st->jrow = ivp_calloc(s->alloc, n * n, sizeof *st->jrow);
            if (st->jrow == NULL) {
                goto nomem;
            }
        }
        status = ivp_matrix_init_dense(&st->pm, n, s->alloc, err);
    }
    if (status != IVP_OK) {
        return status;
    }
    /* ODEPACK factors the iteration matrix with LAPACK's dgetrf/dgetrs (dgbtrf/dgbtrs when
     * banded) at every n. ivp_linsolver_new would pick ivp's own LU below
     * IVP_DENSE_LAPACK_CROSSOVER, which rounds differently (it multiplies by reciprocal
     * pivots); with LAPACK the stiff step sequences are bit-identical to scipy's (checked on
     * Van der Pol mu = 1000 and Robertson, n = 2 and 3), hence LAPACK at every n. */
    return ivp_linsolver_new_lapack(&st->pm, 0, s->alloc, &st->ls, err);
nomem:
    return ivp_error_set(err, IVP_ERR_NOMEM, "out of memory allocating LSODA workspace (n = %zu)",
                         n);
}

/* Everything back to zero as lsoda_alloc left it, but the storage and the structure (jt, the
 * band widths, the matrices, the Jacobian's layout and the linear solver's symbolic analysis). */
static void lsoda_reset(ivp_stepper *s)
{
    lsoda_state *st = s->state;
    const lsoda_state keep = *st;
    const size_t n = st->n;
    memset(st, 0, sizeof *st);
    st->n = keep.n;
    st->jt = keep.jt;
    st->ml = keep.ml;
    st->mu = keep.mu;
    st->yh = keep.yh;
    st->ewt = keep.ewt;
    st->savf = keep.savf;
    st->acor = keep.acor;
    st->y = keep.y;
    st->ftem = keep.ftem;
    st->jrow = keep.jrow;
    st->pm = keep.pm;
    st->jc = keep.jc;
    st->ls = keep.ls;
    memset(st->yh, 0, (size_t)LS_LMAX_ALLOC * n * sizeof *st->yh);
    memset(st->ewt, 0, n * sizeof *st->ewt);
    memset(st->savf, 0, n * sizeof *st->savf);
    memset(st->acor, 0, n * sizeof *st->acor);
    memset(st->y, 0, n * sizeof *st->y);
    memset(st->ftem, 0, n * sizeof *st->ftem);
    if (st->jrow != NULL) {
        memset(st->jrow, 0, n * n * sizeof *st->jrow);
    }
    if (st->pm.v != NULL) {
        memset(st->pm.v, 0, st->pm.len * sizeof *st->pm.v);
    }
    if (st->jt == LS_JT_SPARSE) {
        ivp_jac_reset(&st->jc);
    }
    ivp_linsolver_reset(st->ls);
}

const char *const ivp_lsoda_stat_names[] = {"n_steps_adams", "n_steps_bdf", "n_switches", NULL};

static void lsoda_stats(const ivp_stepper *s, unsigned long *values)
{
    const lsoda_state *st = s->state;
    values[0] = st->n_adams;
    values[1] = st->n_bdf;
    values[2] = st->n_switches;
}

/* lsoda.f block C: f0, error weights and the initial step
 *   h0^-2 = 1/(tol w0^2) + tol ||f0||^2,  tol = rtol clamped to [100u, 1e-3],
 *   w0 = max(|t0|, |t_end|), bounded by |t_end - t0| and max_step. */
static ivp_status lsoda_init(ivp_stepper *s, ivp_error *err)
{
    lsoda_state *st = s->state;
    const size_t n = st->n;
    const double t = s->t, tout = s->t_bound;
    double h0 = s->first_step > 0.0 ? s->first_step * s->dir : 0.0;
    double *f0 = ls_col(st, 1);
    size_t bad, i;
    int rc;

    st->tn = t;
    st->tcrit = s->t_bound;
    st->hmin = s->min_step;
    st->hmxi = isinf(s->max_step) ? 0.0 : 1.0 / s->max_step;
    if (h0 != 0.0 && (t + h0 - st->tcrit) * h0 > 0.0) {
        h0 = st->tcrit - t;
    }
    st->jstart = 0;
    st->nst = 0;
    st->nje = 0;
    st->hu = 0.0;
    st->nqu = 0;
    st->mused = 0;
    st->miter = 0;
    st->meth = 1;
    st->maxord = LS_MXORDN;

    rc = ivp_rhs_eval(s, t, s->y, f0, err);
    if (rc != 0) {
        if (rc > 0) {
            return ivp_recover_fail(s, "at the initial point", err);
        }
        return (ivp_status)rc;
    }
    memcpy(st->yh, s->y, n * sizeof *st->yh);
    st->nq = 1;
    st->h = 1.0;
    bad = ls_ewset(s, st);
    if (bad < n) {
        return ivp_error_set(err, IVP_ERR_ARG,
                             "LSODA: error weight rtol*|y0[%zu]| + atol[%zu] is zero (y0[%zu] = "
                             "0 with atol = 0); give atol > 0",
                             bad, bad, bad);
    }
    if (h0 == 0.0) {
        const double tdist = fabs(tout - t);
        const double w0 = fmax(fabs(t), fabs(tout));
        double tol = s->rtol, sum;
        if (tdist < 2.0 * LS_UROUND * w0) {
            return ivp_error_set(err, IVP_ERR_ARG,
                                 "LSODA: t_end = %.17g is too close to t0 = %.17g to start", tout,
                                 t);
        }
        tol = fmax(tol, 100.0 * LS_UROUND);
        tol = fmin(tol, 0.001);
        sum = ls_vmnorm(n, f0, st->ewt);
        sum = 1.0 / (tol * w0 * w0) + tol * (sum * sum);
        h0 = 1.0 / sqrt(sum);
        h0 = fmin(h0, tdist);
        h0 = copysign(h0, tout - t);
    }
    {
        const double rh = fabs(h0) * st->hmxi;
        if (rh > 1.0) {
            h0 = h0 / rh;
        }
    }
    st->h = h0;
    for (i = 0; i < n; i++) {
        f0[i] = h0 * f0[i];
    }
    s->h_abs = fabs(h0);
    return IVP_OK;
}

/* The failure when tn + h == tn. ODEPACK warns and goes on (a step that does not advance
 * t); ivp stops, since the step would have zero length. Recoverable rhs/jac failures in the
 * last steps are usually what drove h down, so they are named if there were any. */
static ivp_status ls_spacing_fail(ivp_stepper *s, const lsoda_state *st, double h, ivp_error *err)
{
    if (st->recovered && st->nst - st->recover_nst <= LS_RECENT_STEPS) {
        return ls_recover_fail(s, st, "the step size fell below the spacing of t", err);
    }
    return ivp_error_set(err, IVP_ERR_STEP,
                         "LSODA: step size %.3g is below the spacing of t at t = %.17g "
                         "(t + h == t)",
                         fabs(h), st->tn);
}

/* One LSODA call with itask = 5: one internal step towards tcrit = t_bound. */
static ivp_status lsoda_step(ivp_stepper *s, ivp_error *err)
{
    lsoda_state *st = s->state;
    const size_t n = st->n;
    const unsigned long recover_before = s->recover_run;
    ivp_status fatal = IVP_OK;
    double tolsf, t_prev;
    int kflag;

    if (st->jstart != 0) {
        /* lsoda.f block D, itask 5: stretch no step past tcrit. (tn is never within
         * 100u(|tn| + |h|) of tcrit here: the previous step would have ended the solve.) */
        const double tnext = st->tn + st->h * (1.0 + 4.0 * LS_UROUND);
        size_t bad;
        if ((tnext - st->tcrit) * st->h > 0.0) {
            st->h = (st->tcrit - st->tn) * (1.0 - 4.0 * LS_UROUND);
            if (st->jstart >= 0) {
                st->jstart = -2;
            }
        }
        bad = ls_ewset(s, st);
        if (bad < n) {
            return ivp_error_set(err, IVP_ERR_STEP,
                                 "LSODA: error weight rtol*|y[%zu]| + atol[%zu] became zero at "
                                 "t = %.17g (y[%zu] = 0 with atol = 0)",
                                 bad, bad, st->tn, bad);
        }
    }
    tolsf = LS_UROUND * ls_vmnorm(n, st->yh, st->ewt);
    if (tolsf > 0.01) {
        return ivp_error_set(err, IVP_ERR_STEP,
                             "LSODA: too much accuracy requested for machine precision at t = "
                             "%.17g (scale rtol and atol up by at least %g)",
                             st->tn, tolsf * 200.0);
    }
    if (st->tn + st->h == st->tn) {
        return ls_spacing_fail(s, st, st->h, err);
    }

    t_prev = st->tn;
    kflag = ls_stoda(s, st, &fatal, err);
    s->h_abs = fabs(st->h);
    if (kflag == LS_FATAL) {
        return fatal;
    }
    if (kflag == LS_ERRTEST || kflag == LS_CONVFAIL) {
        const int at_hmin = st->hmin > 0.0 && fabs(st->h) <= st->hmin * 1.00001;
        const char *what = kflag == LS_ERRTEST ? "error test" : "corrector convergence";
        if (at_hmin) {
            return ivp_error_set(err, IVP_ERR_STEP,
                                 "LSODA: step size %.3g below min_step %.3g (the %s failed) at "
                                 "t = %.17g",
                                 fabs(st->h), st->hmin, what, st->tn);
        }
        if (kflag == LS_CONVFAIL && st->fail_kind == LS_FAIL_SINGULAR) {
            return ivp_error_set(err, IVP_ERR_LINALG,
                                 "LSODA: corrector convergence failed repeatedly at t = %.17g "
                                 "(h = %.3g): the iteration matrix I - h*el0*J is singular (%s)",
                                 st->tn, fabs(st->h), st->lin_err.msg);
        }
        return ivp_error_set(err, kflag == LS_ERRTEST ? IVP_ERR_STEP : IVP_ERR_CONV,
                             "LSODA: %s failed repeatedly at t = %.17g (h = %.3g)", what, st->tn,
                             fabs(st->h));
    }
    if (st->tn == t_prev) {
        return ls_spacing_fail(s, st, st->hu, err);
    }

    /* lsoda.f block F: a switch made in this step is completed at the start of the next */
    if (st->mused == 1) {
        st->n_adams++;
    } else {
        st->n_bdf++;
    }
    if (st->meth != st->mused) {
        st->maxord = st->meth == 2 ? LS_MXORDS : LS_MXORDN;
        st->jstart = -1;
        st->n_switches++;
    }
    s->t_old = s->t;
    memcpy(s->y_old, s->y, n * sizeof *s->y);
    {
        /* t is set exactly to tcrit when the step ended within roundoff of it */
        const double hmx = fabs(st->tn) + fabs(st->h);
        const int ihit = fabs(st->tn - st->tcrit) <= 100.0 * LS_UROUND * hmx;
        s->t = ihit ? st->tcrit : st->tn;
    }
    memcpy(s->y, st->yh, n * sizeof *s->y);
    s->h_abs = fabs(st->h);
    if (s->recover_run == recover_before) {
        s->recover_run = 0; /* a clean step ends a run of recoverable failures */
    }
    return IVP_OK;
}

/* The Nordsieck interpolant of the last step, y = sum_{j=0..q} c_j s^j with c_j = yh_j and
 * s the offset from tn in units of the next step size h, written in powers of
 * x = (t' - t_old)/(t - t_old).
 *
 * q is the order used in the step (nqu), not the order chosen for the next one: yh may
 * already hold an extra column for an order increase, which is not part of this step's
 * polynomial. When the order is about to decrease, column q was left scaled for the old step
 * size hu, so it is rescaled by (h/hu)^q. This is scipy >= 1.12's corrected LsodaDenseOutput;
 * scipy 1.10.1 used q = the next order without the rescaling, whose interpolant does not
 * reproduce the step values after an order change.
 *
 * x runs over the step's nominal length: x = 0 is s = -hu/h and x = 1 is s = 0, so the
 * polynomial passes through y and, up to rounding, y_old. scipy instead evaluates
 * s = (t' - t)/h with the realized times; tn = told + hu is rounded, so t - t_old differs
 * from hu by up to an ulp of t, which near t = 2400 with h = 5e-4 moves the interpolant at
 * t_old by 5e-10 relative (Van der Pol, mu = 1000). Likewise, when t was snapped to tcrit,
 * x = 1 still gives yh_0 = y. With u = x - 1: y = sum_j d_j u^j, d_j = c_j (hu/h)^j, and a
 * Taylor shift by -1 gives the coefficients in x. The constant term, the value at t_old, is
 * then set to y_old itself: it differs from the computed sum only by rounding (the corrected
 * Nordsieck polynomial passes through y_old because l(-1) = 0 for both families), and so the
 * segment starts exactly where the previous one ended. */
static ivp_status lsoda_dense(ivp_stepper *s, double *a, ivp_error *err)
{
    lsoda_state *st = s->state;
    const size_t n = st->n;
    const unsigned deg = s->info->dense_degree;
    const int q = st->nqu;
    const double r = st->hu / st->h;
    double rj = 1.0;
    int j, k;
    size_t i;
    (void)err;

    for (j = 0; j <= q; j++) {
        const double *c = ls_col(st, j);
        double *aj = a + (size_t)j * n;
        double scale = rj;
        if (j == q && st->nq < q) {
            scale = rj * pow(st->h / st->hu, (double)q);
        }
        for (i = 0; i < n; i++) {
            aj[i] = c[i] * scale;
        }
        rj = rj * r;
    }
    for (j = q + 1; j <= (int)deg; j++) {
        memset(a + (size_t)j * n, 0, n * sizeof *a);
    }
    /* p(u) -> p(x - 1): for k = 0..q-1, a_j -= a_{j+1} for j = q-1 down to k. The updates
     * of a_0 are skipped (no other coefficient depends on it): a_0 = y_old. */
    for (k = 0; k < q; k++) {
        for (j = q - 1; j >= (k > 1 ? k : 1); j--) {
            double *aj = a + (size_t)j * n;
            const double *aj1 = a + (size_t)(j + 1) * n;
            for (i = 0; i < n; i++) {
                aj[i] = aj[i] - aj1[i];
            }
        }
    }
    memcpy(a, s->y_old, n * sizeof *a);
    return IVP_OK;
}

const ivp_method_type ivp_method_lsoda = {
    .alloc = lsoda_alloc,
    .reset = lsoda_reset,
    .init = lsoda_init,
    .step = lsoda_step,
    .dense = lsoda_dense,
    .stats = lsoda_stats,
    .free = lsoda_free,
};
