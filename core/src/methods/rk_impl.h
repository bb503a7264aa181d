/* SPDX-License-Identifier: MIT
 * core/src/methods/rk_impl.h - private: the explicit Runge-Kutta engine shared by RK23, RK45
 * and DOP853 (scipy's RungeKutta class: one step-size controller, different tableaus).
 */
#ifndef IVP_SRC_METHODS_RK_IMPL_H
#define IVP_SRC_METHODS_RK_IMPL_H

#include "ivp_impl.h"

#include <stdint.h>
#include <string.h>

typedef struct rk_state rk_state;

/* Largest n_rows of any tableau (DOP853). */
#define RK_MAX_ROWS 16

/* Non-finite test inside the fused passes: x * 0 is +0 or -0 when x is finite and NaN (its
 * exponent field all ones) when x is infinite or NaN, so an OR of the bits of x * 0 over a
 * pass has exponent bits set exactly when some x was not finite. An integer OR reduction
 * vectorises to two instructions per vector (multiply, or); the former double-valued
 * conditional reduction (acc = x * 0 != 0 ? 1 : acc) vectorised to about twelve, with
 * spills (DOP853's stage passes at n = 1024 took 1.75 times the unchecked ones; now about
 * 1.1). acc is a uint64_t set to 0 before the pass; RK_BAD(acc) is then non-zero when any x
 * was not finite. */
#define RK_EXP_FIELD UINT64_C(0x7ff0000000000000)
static inline uint64_t rk_nonfinite_bits(double x)
{
    const double z = x * 0.0;
    uint64_t u;
    memcpy(&u, &z, sizeof u);
    return u;
}
#define RK_CHECK(acc, x) ((acc) |= rk_nonfinite_bits(x))
#define RK_BAD(acc) (((acc)&RK_EXP_FIELD) != 0)

/* fmax(a, b) for a, b >= 0 or NaN (the error norms' |y_i| and |y_new_i|): the same value in
 * every case (the other argument when one is NaN), without the libm call that kept the norms'
 * loops from vectorising and spilled their pointers around every element. */
static inline double rk_fmax_abs(double a, double b)
{
    return b != b ? a : (a > b ? a : b);
}

/* One trial step of size h from (s->t, s->y): K_1..K_S and y_new, each stage argument formed
 * in one fused pass (y + h sum a_j K_j over the non-zero a_j, in ivp_rk_combine's order), which
 * also checks that the previous stage's K is finite. Returns 0, 1 for a recoverable rhs failure
 * (s->last_* set as ivp_rhs_eval sets them), or a negative status. K_S (f_new) is left
 * unchecked: the error norm checks it. */
typedef int rk_stages_fn(ivp_stepper *s, rk_state *st, double t, double h, ivp_error *err);
/* Error norm of the trial step (scipy's _estimate_error_norm with scale = atol + max(|y|,
 * |y_new|) rtol formed in the same pass); *bad is set non-zero when f_new = K_S is not finite. */
typedef double rk_norm_fn(const ivp_stepper *s, const rk_state *st, double h, int *bad);

/* Stiffness test (Hairer's DOPRI5/DOP853): an estimate of |h| times the dominant eigenvalue
 * of the Jacobian from two stages of the accepted step, formed from the step's K rows, y_new
 * and the last stage argument (st->work), all still in place when the step is accepted. Reads
 * only: the step's results are untouched. */
typedef double rk_stiff_fn(const ivp_stepper *s, const rk_state *st, double h);

/* Accepted steps between two windows of stiffness tests (Hairer's NSTIFF), positive tests
 * that make a detection (Hairer: 15), negative tests in a row that cancel the positive ones so
 * far and close the window (Hairer: 6). */
#define RK_STIFF_EVERY 1000
#define RK_STIFF_HITS 15
#define RK_STIFF_MISSES 6

/* Butcher tableau plus what differs between the methods. A is packed lower-triangular: row s
 * (stage s, s >= 1) holds a[s][0..s-1] starting at offset s(s-1)/2. */
typedef struct rk_tableau {
    unsigned n_stages;          /* S: stages per step (3, 6, 12) */
    unsigned n_rows;            /* rows of K kept: S + 1 (f_new), DOP853 16 (dense stages) */
    unsigned error_order;       /* error estimator order: 2, 4, 7 */
    const double *c;            /* n_rows nodes */
    const double *a;            /* packed rows 1..n_rows-1 */
    const double *b;            /* S weights */
    const double *e;            /* S + 1 error weights (RK23/RK45); NULL for DOP853 */
    rk_stages_fn *stages;       /* the method's fused stage passes */
    rk_norm_fn *error_norm;     /* the method's fused error norm */
    rk_stiff_fn *stiff_hlambda; /* the stiffness estimate |h| lambda */
    double stiff_boundary;      /* the test fires when the estimate exceeds it */
} rk_tableau;

struct rk_state {
    const rk_tableau *tab;
    double *k;                 /* n_rows x n stage derivatives (the allocation) */
    double *krow[RK_MAX_ROWS]; /* row j = K_j: rows of k, K_0 and K_S swapped by FSAL */
    double *y_new;             /* candidate state */
    double *work;              /* stage argument (in the state's block, after it) */
    int atol_uniform;          /* every atol[i] equals atol[0]: the norms read the scalar */
    double h_previous;         /* signed size of the last accepted step */
    int fsal_pending;          /* the last accepted step's f_new (K_S) is the next step's K_0 */
    unsigned long n_accepted;  /* accepted steps of this solve (for the stiffness test) */
    unsigned stiff_hits;       /* positive stiffness tests so far (Hairer's IASTI) */
    unsigned stiff_misses;     /* negative ones in a row since (Hairer's NONSTI) */
    int stiff_window;          /* testing every step (see rk_stiffness_test) */
};

ivp_status ivp_rk_alloc(ivp_stepper *s, const rk_tableau *tab, ivp_error *err);
void ivp_rk_reset(ivp_stepper *s);
ivp_status ivp_rk_init(ivp_stepper *s, ivp_error *err);
ivp_status ivp_rk_step(ivp_stepper *s, ivp_error *err);
void ivp_rk_free(ivp_stepper *s);

/* out[i] = sum_{j < m} w[j] K_j[i]. */
void ivp_rk_combine(size_t n, unsigned m, const double *w, double *const *k, double *out);

/* ivp_rk_rhs's path for a non-zero rhs return code rc. */
int ivp_rk_rhs_fail(ivp_stepper *s, int rc, double t, ivp_error *err);

/* The stage passes' rhs call: counts nfev; 1 (s->last_* set) when rhs returned > 0, a negative
 * status when it returned < 0. Unlike ivp_rhs_eval it does not check f for non-finite values:
 * the next fused pass over f does. Inline: the stage kernels call it 6-12 times a step, and
 * an exported function of the shared library is called through its PLT. */
static inline int ivp_rk_rhs(ivp_stepper *s, double t, const double *y, double *f, ivp_error *err)
{
    const ivp_system *sys = s->sys;
    int rc = sys->rhs(t, y, f, sys->ctx);
    s->nfev++;
    return rc == 0 ? 0 : ivp_rk_rhs_fail(s, rc, t, err);
}

/* A non-finite f (the rhs value at t) found by a fused pass: records the first non-finite
 * component in s->last_* as ivp_rhs_eval does and returns 1. */
int ivp_rk_nonfinite(ivp_stepper *s, const double *f, double t);

#endif /* IVP_SRC_METHODS_RK_IMPL_H */
