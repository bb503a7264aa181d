/* SPDX-License-Identifier: MIT
 * core/src/brentq.c - Brent's root finder with scipy.optimize.brentq's iteration (inverse
 * quadratic / secant steps guarded by bisection), used to locate events on a step's
 * interpolant.
 *
 * Reference: R. P. Brent, Algorithms for Minimization without Derivatives (1973), ch. 4;
 * scipy 1.10.1 optimize/Zeros/brentq.c for the exact acceptance tests (behaviour, not code).
 */
#include "ivp_impl.h"

#include <math.h>

#define BRENTQ_XTOL (4.0 * IVP_EPS)
#define BRENTQ_RTOL (4.0 * IVP_EPS)
#define BRENTQ_MAXITER 100

int ivp_brentq(ivp_scalar_fn *f, void *ud, double a, double b, double fa, double fb, double *root,
               ivp_error *err)
{
    double xpre = a, xcur = b, fpre = fa, fcur = fb;
    double xblk = 0.0, fblk = 0.0, spre = 0.0, scur = 0.0;
    int iter, rc;

    if (fpre == 0.0) {
        *root = xpre;
        return 0;
    }
    if (fcur == 0.0) {
        *root = xcur;
        return 0;
    }
    for (iter = 0; iter < BRENTQ_MAXITER; iter++) {
        double delta, sbis;
        if (fpre != 0.0 && fcur != 0.0 && (signbit(fpre) != signbit(fcur))) {
            xblk = xpre;
            fblk = fpre;
            spre = scur = xcur - xpre;
        }
        if (fabs(fblk) < fabs(fcur)) {
            /* make xcur the best estimate so far */
            xpre = xcur;
            xcur = xblk;
            xblk = xpre;
            fpre = fcur;
            fcur = fblk;
            fblk = fpre;
        }
        delta = (BRENTQ_XTOL + BRENTQ_RTOL * fabs(xcur)) / 2.0;
        sbis = (xblk - xcur) / 2.0;
        if (fcur == 0.0 || fabs(sbis) < delta) {
            *root = xcur;
            return 0;
        }
        if (fabs(spre) > delta && fabs(fcur) < fabs(fpre)) {
            double stry;
            if (xpre == xblk) {
                /* secant */
                stry = -fcur * (xcur - xpre) / (fcur - fpre);
            } else {
                /* inverse quadratic interpolation */
                double dpre = (fpre - fcur) / (xpre - xcur);
                double dblk = (fblk - fcur) / (xblk - xcur);
                stry = -fcur * (fblk * dblk - fpre * dpre) / (dblk * dpre * (fblk - fpre));
            }
            if (2.0 * fabs(stry) < fmin(fabs(spre), 3.0 * fabs(sbis) - delta)) {
                spre = scur;
                scur = stry;
            } else {
                spre = sbis;
                scur = sbis;
            }
        } else {
            spre = sbis;
            scur = sbis;
        }
        xpre = xcur;
        fpre = fcur;
        if (fabs(scur) > delta) {
            xcur += scur;
        } else {
            xcur += (sbis > 0.0 ? delta : -delta);
        }
        rc = f(ud, xcur, &fcur, err);
        if (rc != 0) {
            return rc;
        }
    }
    return ivp_error_set(err, IVP_ERR_EVENT,
                         "event root finding did not converge in %d iterations on [%.17g, %.17g]",
                         BRENTQ_MAXITER, a, b);
}
