/* SPDX-License-Identifier: MIT
 * core/src/ivp_impl.h - private: the stepper shared by the driver and the methods, the
 * method interface, and the common numerical machinery (scipy's base.py and common.py).
 */
#ifndef IVP_SRC_IVP_IMPL_H
#define IVP_SRC_IVP_IMPL_H

#include <float.h>
#include <math.h>
#include <stddef.h>

#include "ivp/solve.h"

#define IVP_EPS 2.220446049250313e-16

/* How many recoverable rhs failures in a row a method tolerates before giving up. */
#define IVP_MAX_RECOVERABLE 10
/* Step-size factor after a recoverable rhs failure (as CVODE's ETACF). */
#define IVP_RECOVER_FACTOR 0.25

typedef struct ivp_stepper ivp_stepper;

/* A method: scipy's OdeSolver subclass. Its name, flags and dense degree are in its registry
 * entry (ivp_method_info, common.c), which the stepper carries as s->info. Every op but dense
 * may assume the previous ones ran.
 *
 * Life cycle: alloc once; then for every solve reset (from the second solve on) and init, and
 * steps; free once. After reset + init a solve must behave bit for bit as after alloc + init. */
typedef struct ivp_method_type {
    /* Allocates the method's state (s->state) for dimension s->n with s->alloc: everything a
     * solve needs, zeroed, and what depends only on the system's structure (Jacobian layout,
     * finite-difference column groups, symbolic factorisations). */
    ivp_status (*alloc)(ivp_stepper *s, ivp_error *err);
    /* Returns the state to what alloc left (values zeroed, adaptive quantities such as the
     * finite-difference increments and the linear solver's pivoting forgotten), keeping the
     * structure. Allocates nothing. */
    void (*reset)(ivp_stepper *s);
    /* With s->t, s->y set: evaluates what the method needs at the start (f0, Jacobian) and
     * the first step size (s->first_step if > 0, else automatic). */
    ivp_status (*init)(ivp_stepper *s, ivp_error *err);
    /* Advances one accepted step: on IVP_OK, s->t_old/s->y_old are the step's start and
     * s->t/s->y its end. On failure nothing is changed except counters; err says why. */
    ivp_status (*step)(ivp_stepper *s, ivp_error *err);
    /* Interpolant of the last step as a polynomial in x = (t' - t_old)/(t - t_old):
     * a[k*n + i] multiplies x^k, k = 0..dense_degree (unused powers zero). May evaluate the
     * rhs (DOP853's extra stages). */
    ivp_status (*dense)(ivp_stepper *s, double *a, ivp_error *err);
    /* Optional: the values of the method's own statistics, in the order of s->info->stats. */
    void (*stats)(const ivp_stepper *s, unsigned long *values);
    void (*free)(ivp_stepper *s); /* frees s->state; tolerates a half-built state */
} ivp_method_type;

/* State common to every method (scipy's OdeSolver attributes). Vectors have length n. */
struct ivp_stepper {
    const ivp_method_type *type;
    const ivp_method_info *info; /* the method's registry entry (name, dense degree, ...) */
    const ivp_system *sys;
    const ivp_allocator *alloc;
    size_t n;
    double t, t_old;   /* current time, start of the last step */
    double t_bound;    /* t_end */
    double dir;        /* +1 or -1 */
    double *y, *y_old; /* state at t and at t_old */
    double *atol;      /* absolute tolerances, expanded once to n */
    double rtol;       /* relative tolerance (clamped to >= 100 EPS) */
    double first_step; /* 0 = automatic */
    double max_step;   /* INFINITY = unlimited */
    double min_step;   /* user's lower bound on |h| (0 = none) */
    double h_abs;      /* step size to try next */
    unsigned long nfev, njev, nlu, n_rejected;
    unsigned recover_run;       /* consecutive recoverable rhs failures */
    unsigned jac_fail_run;      /* consecutive recoverable Jacobian failures */
    int last_rhs_code;          /* last recoverable code (0: a non-finite value) */
    size_t last_nonfinite;      /* component that went non-finite */
    double last_fail_t;         /* where */
    const char *last_fail_what; /* which function: "rhs", "jac" or "jac_values" */
    int stiff_detected;         /* an explicit method's stiffness test fired (read by the driver) */
    double stiff_t;             /* where: the start of the step on which it fired */
    void *state;                /* the method's own */
};

/* Calls the system's rhs and counts it in nfev. Returns 0 on success, 1 for a recoverable
 * failure (rhs returned > 0, or a non-finite component: remembered in s->last_*), and a
 * negative status (err filled, naming t and the code) when rhs returned < 0. */
int ivp_rhs_eval(ivp_stepper *s, double t, const double *y, double *f, ivp_error *err);

/* The failure a method reports after IVP_MAX_RECOVERABLE recoverable failures in a row, or
 * when recoverable failures drove the step below the minimum. */
ivp_status ivp_recover_fail(ivp_stepper *s, const char *why, ivp_error *err);

/* The failure when a method's step size h_abs fell below min_step (ivp_min_step's value) at
 * s->t: blamed on the rhs when recoverable rhs failures drove it there (saw_failure, or a run
 * of them), else on min_step or the spacing of floating-point numbers. Stores h_abs. */
ivp_status ivp_step_too_small(ivp_stepper *s, double h_abs, double min_step, int saw_failure,
                              ivp_error *err);

/* When a rejection takes h below the user's min_step (the binding floor: min_step equals
 * s->min_step), one step of exactly min_step is tried before giving up: returns 1 (and sets
 * *at_min) the first time, 0 afterwards or when the floor is only the spacing of numbers. */
int ivp_try_min_step(const ivp_stepper *s, double min_step, int *at_min);

/* scipy's minimum step at t: 10 |nextafter(t, dir inf) - t|, raised to the user's min_step. */
double ivp_min_step(const ivp_stepper *s);

/* sqrt(acc / n), the end of an RMS norm. When n is a power of two, 1/n is exact and
 * acc * (1/n) rounds to the same double as acc / n; the multiplication keeps the divide
 * (computable ahead of acc) off the chain of dependent operations. */
static inline double ivp_rms_finish(double acc, size_t n)
{
    const double dn = (double)n;
    if ((n & (n - 1)) == 0) {
        return sqrt(acc * (1.0 / dn));
    }
    return sqrt(acc / dn);
}

/* RMS norm of v[i] / scale[i] (scipy's norm(x / scale)): the squares summed in index order.
 * Inline: at small n the methods call it several times per step. The divide stays (v * (1 /
 * scale) rounds differently, and the norms decide the steps). */
static inline double ivp_rms_scaled(size_t n, const double *v, const double *scale)
{
    double acc = 0.0;
    size_t i;
    for (i = 0; i < n; i++) {
        const double q = v[i] / scale[i];
        acc += q * q;
    }
    return ivp_rms_finish(acc, n);
}

/* scipy's divergence test of the simplified Newton iterations (BDF, Radau),
 * rate^e / (1 - rate) * norm > tol, for 0 <= rate < 1, a whole e >= 1 and tol > 0, decided
 * as with scipy's rate ** e, i.e. pow(). The power by repeated multiplication is within a
 * relative 1e-15 of pow's (a few roundings each way) while it is a normal number, so where its
 * result lies farther than a relative 1e-12 from tol it decides the test as pow's would; pow
 * is called only when the two are that close (or the power is tiny). */
static inline int ivp_newton_diverges(double rate, int e, double norm, double tol)
{
    double p = rate;
    int k;
    for (k = 1; k < e; k++) {
        p *= rate;
    }
    if (p >= DBL_MIN) {
        const double lhs = p / (1.0 - rate) * norm;
        if (lhs > tol * (1.0 + 1e-12)) {
            return 1;
        }
        if (lhs < tol * (1.0 - 1e-12)) {
            return 0;
        }
    }
    return pow(rate, (double)e) / (1.0 - rate) * norm > tol;
}

/* scipy's select_initial_step (1.10.1) with f0 = f(t0, y0) known; uses work (n) for the
 * probe state and f1 (n) for its derivative. One rhs evaluation (counted). Stores the step in
 * *h (which may be 0, as in scipy, when the probe's derivative overflows: the methods then
 * start from their minimum step). Returns IVP_OK or the rhs failure. */
ivp_status ivp_select_initial_step(ivp_stepper *s, const double *f0, double order, double *work,
                                   double *f1, double *h, ivp_error *err);

/* Counts a recoverable Jacobian failure (rc > 0 from ivp_jac_eval) and returns 0, or the
 * failure once IVP_MAX_RECOVERABLE evaluations in a row have failed; a success (rc == 0)
 * resets the count. */
ivp_status ivp_jac_fail_count(ivp_stepper *s, int rc, ivp_error *err);

/* scipy.optimize.brentq (xtol = rtol = 4 EPS, maxiter 100) on f over [a, b], f(a), f(b)
 * given with opposite signs or one of them zero. Returns 0 and the root in *root, or a
 * negative status from f (err filled) or IVP_ERR_EVENT after 100 iterations. */
typedef int ivp_scalar_fn(void *ud, double x, double *fx, ivp_error *err);
int ivp_brentq(ivp_scalar_fn *f, void *ud, double a, double b, double fa, double fb, double *root,
               ivp_error *err);

/* Methods. */
extern const ivp_method_type ivp_method_rk23;
extern const ivp_method_type ivp_method_rk45;
extern const ivp_method_type ivp_method_dop853;
extern const ivp_method_type ivp_method_radau;
extern const ivp_method_type ivp_method_bdf;
extern const ivp_method_type ivp_method_lsoda;

/* LSODA's statistics (names for its registry entry). */
extern const char *const ivp_lsoda_stat_names[];

/* The implemented method of that name (any case), or NULL. */
const ivp_method_type *ivp_method_find(const char *name);

#endif /* IVP_SRC_IVP_IMPL_H */
