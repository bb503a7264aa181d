/* SPDX-License-Identifier: MIT
 * core/src/driver.c - ivp_solve: the solve_ivp driver loop (scipy 1.10.1 ivp.py semantics) on
 * top of a method: output points, t_eval, dense-output segments and events.
 *
 * The driver is the ivp_solver object: ivp_solver_new allocates everything once, and neither
 * ivp_solver_reset nor the loop allocates anything; ivp_solve is new + reset + run + free.
 *
 * Events follow scipy: an event k is active in a step when g_k changes sign (zeros count on
 * both sides) in a direction it accepts; its root is found with brentq on the step's
 * interpolant, and terminal events stop the solve at their count (integer terminal, scipy
 * 1.13). Two deliberate differences, so that no time is written twice:
 *  - a zero exactly at a step end is reported in that step only, not again at the start of
 *    the next one;
 *  - an event function that is exactly zero at t0 is reported at t0 (when the sign it takes
 *    next matches its direction) but never terminates the solve and does not count towards
 *    its terminal count. (scipy would stop with t = [t0, t0].)
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */

#include "ivp_impl.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* Where a solver is in its life: reset moves it to READY; run or the first step initialises
 * the method (STEPPING); it ends DONE (t_end or a terminal event) or FAILED. */
enum { SOLVER_UNSET = 0, SOLVER_READY, SOLVER_STEPPING, SOLVER_DONE, SOLVER_FAILED };

typedef struct ivp_solver {
    ivp_stepper s;
    const ivp_options *opt; /* &opt_copy */
    ivp_options opt_copy;   /* the options of the current solve (pointers borrowed) */
    int phase;              /* SOLVER_* */
    int used;               /* a solve has started since ivp_solver_new: reset the method */
    int lean;               /* ivp_solve's own solver (see solver_new): it times the solve */
    double t0;              /* start of the current solve */
    unsigned long n_steps, n_points, n_segments, n_events_found;
    const ivp_sink *sink;
    unsigned deg;             /* dense degree */
    double *dense;            /* (deg + 1) x n interpolant coefficients in x */
    double *ppoly;            /* (deg + 1) x n PPoly coefficients */
    double *ytmp;             /* n: interpolated state */
    double *g_old, *g_new;    /* event values at t_old and t */
    double *gtmp;             /* event values at an interpolated point */
    double *roots;            /* per active event */
    size_t *active;           /* indices of active events */
    unsigned long *count;     /* occurrences so far, per event */
    unsigned char *zero_done; /* g_k(t_old) == 0 was already reported */
    int have_dense;
    size_t brent_k; /* event being solved */
    double last_point_t;
    int have_point;
    int stiff_hinted; /* opt->stiff_hint has been called in this solve */
} driver;

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void ivp_options_init(ivp_options *o)
{
    memset(o, 0, sizeof *o);
    o->method = "RK45";
    o->rtol = 1e-3;
    o->atol = 1e-6;
    o->max_step = HUGE_VAL;
}

/* What ivp_solver_new checks: the system, and a method ivp implements. */
static ivp_status check_system(const ivp_system *sys, const ivp_options *opt, ivp_error *err)
{
    const char *mname;
    if (sys == NULL || opt == NULL) {
        return ivp_error_set(err, IVP_ERR_ARG, "system and options must not be NULL");
    }
    if (sys->n == 0) {
        return ivp_error_set(err, IVP_ERR_ARG, "the state dimension n must be at least 1");
    }
    if (sys->rhs == NULL) {
        return ivp_error_set(err, IVP_ERR_ARG, "the system has no rhs");
    }
    if (sys->n_events > 0 && sys->events == NULL) {
        return ivp_error_set(err, IVP_ERR_ARG, "n_events = %zu but the system has no events",
                             sys->n_events);
    }
    mname = opt->method != NULL ? opt->method : "RK45";
    if (ivp_method_canonical(mname) == NULL) {
        const char *const *names = ivp_method_names();
        char list[128];
        size_t k, used = 0;
        list[0] = '\0';
        for (k = 0; names[k] != NULL && used < sizeof list; k++) {
            int w = snprintf(list + used, sizeof list - used, "%s%s", k > 0 ? ", " : "", names[k]);
            used += w > 0 ? (size_t)w : 0;
        }
        return ivp_error_set(err, IVP_ERR_ARG, "unknown method '%s' (valid: %s)", mname, list);
    }
    if (ivp_method_find(mname) == NULL) {
        return ivp_error_set(err, IVP_ERR_ARG, "method %s is not implemented yet",
                             ivp_method_canonical(mname));
    }
    return IVP_OK;
}

ivp_status ivp_solve_check(const ivp_system *sys, double t0, double t_end, const double *y0,
                           const ivp_options *opt, ivp_error *err)
{
    size_t i, n;
    ivp_status st;
    if (sys == NULL || opt == NULL || y0 == NULL) {
        return ivp_error_set(err, IVP_ERR_ARG, "system, options and y0 must not be NULL");
    }
    st = check_system(sys, opt, err);
    if (st != IVP_OK) {
        return st;
    }
    n = sys->n;
    if (!isfinite(t0) || !isfinite(t_end)) {
        return ivp_error_set(err, IVP_ERR_ARG, "t_span must be finite");
    }
    if (t0 == t_end) {
        return ivp_error_set(err, IVP_ERR_ARG, "t_span has equal ends (%.17g)", t0);
    }
    for (i = 0; i < n; i++) {
        if (!isfinite(y0[i])) {
            return ivp_error_set(err, IVP_ERR_ARG, "y0[%zu] is not finite", i);
        }
    }
    if (!(opt->rtol > 0.0) || !isfinite(opt->rtol)) {
        return ivp_error_set(err, IVP_ERR_ARG, "rtol must be positive and finite");
    }
    if (opt->atol_vec != NULL) {
        for (i = 0; i < n; i++) {
            if (!(opt->atol_vec[i] >= 0.0) || !isfinite(opt->atol_vec[i])) {
                return ivp_error_set(err, IVP_ERR_ARG, "atol[%zu] must be >= 0 and finite", i);
            }
        }
    } else if (!(opt->atol >= 0.0) || !isfinite(opt->atol)) {
        return ivp_error_set(err, IVP_ERR_ARG, "atol must be >= 0 and finite");
    }
    if (opt->first_step != 0.0) {
        if (!(opt->first_step > 0.0) || !isfinite(opt->first_step)) {
            return ivp_error_set(err, IVP_ERR_ARG, "first_step must be positive");
        }
        if (opt->first_step > fabs(t_end - t0)) {
            return ivp_error_set(err, IVP_ERR_ARG, "first_step %.17g exceeds |t_end - t0| = %.17g",
                                 opt->first_step, fabs(t_end - t0));
        }
    }
    if (!(opt->max_step > 0.0)) {
        return ivp_error_set(err, IVP_ERR_ARG, "max_step must be positive");
    }
    if (!(opt->min_step >= 0.0) || !isfinite(opt->min_step)) {
        return ivp_error_set(err, IVP_ERR_ARG, "min_step must be >= 0 and finite");
    }
    if (opt->min_step > opt->max_step) {
        return ivp_error_set(err, IVP_ERR_ARG, "min_step %.17g exceeds max_step %.17g",
                             opt->min_step, opt->max_step);
    }
    if (opt->n_t_eval > 0) {
        double lo = fmin(t0, t_end), hi = fmax(t0, t_end), dir = t_end > t0 ? 1.0 : -1.0;
        if (opt->t_eval == NULL) {
            return ivp_error_set(err, IVP_ERR_ARG, "n_t_eval > 0 but t_eval is NULL");
        }
        for (i = 0; i < opt->n_t_eval; i++) {
            double te = opt->t_eval[i];
            if (!isfinite(te) || te < lo || te > hi) {
                return ivp_error_set(err, IVP_ERR_ARG,
                                     "t_eval[%zu] = %.17g is not within t_span [%.17g, %.17g]", i,
                                     te, t0, t_end);
            }
            if (i > 0 && !(dir * (te - opt->t_eval[i - 1]) > 0.0)) {
                return ivp_error_set(err, IVP_ERR_ARG,
                                     "t_eval is not strictly sorted in the direction of "
                                     "integration at index %zu",
                                     i);
            }
        }
    }
    if (opt->events != NULL) {
        for (i = 0; i < sys->n_events; i++) {
            int d = opt->events[i].direction;
            if (d < -1 || d > 1) {
                return ivp_error_set(err, IVP_ERR_ARG, "event %zu: direction must be -1, 0 or 1",
                                     i);
            }
        }
    }
    return IVP_OK;
}

/* ---- interpolant ---- */

static ivp_status ensure_dense(driver *d, ivp_error *err)
{
    ivp_status st;
    if (d->have_dense) {
        return IVP_OK;
    }
    st = d->s.type->dense(&d->s, d->dense, err);
    if (st == IVP_OK) {
        d->have_dense = 1;
    }
    return st;
}

/* y(tq) on the last step, Horner in x = (tq - t_old) / (t - t_old). */
static void dense_eval(const driver *d, double tq, double *out)
{
    const size_t n = d->s.n;
    const double x = (tq - d->s.t_old) / (d->s.t - d->s.t_old);
    const double *a = d->dense;
    unsigned k;
    size_t i;
    memcpy(out, a + (size_t)d->deg * n, n * sizeof *out);
    for (k = d->deg; k-- > 0;) {
        const double *ak = a + (size_t)k * n;
        for (i = 0; i < n; i++) {
            out[i] = out[i] * x + ak[i];
        }
    }
}

/* The PPoly segment: c_(deg-k) = a_k / h^k. */
static void to_ppoly(driver *d)
{
    const size_t n = d->s.n;
    const double hinv = 1.0 / (d->s.t - d->s.t_old);
    double hk = 1.0;
    unsigned k;
    size_t i;
    for (k = 0; k <= d->deg; k++) {
        const double *ak = d->dense + (size_t)k * n;
        double *ck = d->ppoly + (size_t)(d->deg - k) * n;
        for (i = 0; i < n; i++) {
            ck[i] = ak[i] * hk;
        }
        hk *= hinv;
    }
}

/* ---- events ---- */

/* A non-zero return or a non-finite g is fatal: an event evaluation cannot be retried with a
 * smaller step as rhs can (the step is accepted already), and a NaN would make every sign
 * test false, so events would be silently lost. */
static int call_events(driver *d, double t, const double *y, double *g, ivp_error *err)
{
    const ivp_system *sys = d->s.sys;
    size_t k;
    int rc = sys->events(t, y, g, sys->ctx);
    if (rc != 0) {
        return ivp_error_set(err, IVP_ERR_EVENT, "events returned %d at t = %.17g", rc, t);
    }
    for (k = 0; k < sys->n_events; k++) {
        if (!isfinite(g[k])) {
            return ivp_error_set(err, IVP_ERR_EVENT,
                                 "events gave a non-finite value for event %zu: g[%zu] = %g at "
                                 "t = %.17g",
                                 k, k, g[k], t);
        }
    }
    return 0;
}

static int event_on_interpolant(void *ud, double t, double *g, ivp_error *err)
{
    driver *d = ud;
    int rc;
    dense_eval(d, t, d->ytmp);
    rc = call_events(d, t, d->ytmp, d->gtmp, err);
    if (rc != 0) {
        return rc;
    }
    *g = d->gtmp[d->brent_k];
    return 0;
}

static int event_active(double g_old, double g_new, int direction)
{
    int up = g_old <= 0.0 && g_new >= 0.0;
    int down = g_old >= 0.0 && g_new <= 0.0;
    return (direction > 0 && up) || (direction < 0 && down) || (direction == 0 && (up || down));
}

/* Finds and records this step's events. Sets *terminate and *t_stop (the terminal root). */
static ivp_status handle_events(driver *d, int first_step, int *terminate, double *t_stop,
                                ivp_error *err)
{
    ivp_stepper *s = &d->s;
    const ivp_sink *sink = d->sink;
    const size_t m = s->sys->n_events;
    size_t k, j, n_active = 0, n_keep;
    int rc;

    *terminate = 0;
    rc = call_events(d, s->t, s->y, d->g_new, err);
    if (rc != 0) {
        return (ivp_status)rc;
    }
    for (k = 0; k < m; k++) {
        int direction = d->opt->events != NULL ? d->opt->events[k].direction : 0;
        if (d->g_old[k] == 0.0 && d->zero_done[k]) {
            continue;
        }
        if (event_active(d->g_old[k], d->g_new[k], direction)) {
            d->active[n_active++] = k;
        }
    }
    memset(d->zero_done, 0, m);
    if (n_active == 0) {
        memcpy(d->g_old, d->g_new, m * sizeof *d->g_old);
        return IVP_OK;
    }
    {
        ivp_status st = ensure_dense(d, err);
        if (st != IVP_OK) {
            return st;
        }
    }
    for (j = 0; j < n_active; j++) {
        double fa, fb, root;
        k = d->active[j];
        d->brent_k = k;
        rc = event_on_interpolant(d, s->t_old, &fa, err);
        if (rc == 0) {
            rc = event_on_interpolant(d, s->t, &fb, err);
        }
        if (rc != 0) {
            return (ivp_status)rc;
        }
        if (fa * fb > 0.0) {
            /* The interpolant's rounding hid a sign change of size ~eps at an end: the root
             * is that end. */
            root = fabs(fa) <= fabs(fb) ? s->t_old : s->t;
        } else {
            rc = ivp_brentq(event_on_interpolant, d, s->t_old, s->t, fa, fb, &root, err);
            if (rc != 0) {
                return (ivp_status)rc;
            }
        }
        d->roots[j] = root;
    }

    /* Terminal events: counts rise for every active event, then the earliest root (in the
     * direction of integration) whose count reached its limit stops the solve. */
    n_keep = n_active;
    {
        size_t first_term = n_active;
        for (j = 0; j < n_active; j++) {
            const ivp_event_opts *eo;
            k = d->active[j];
            if (first_step && d->roots[j] == s->t_old) {
                continue; /* a zero at t0: reported, never terminal, not counted */
            }
            d->count[k]++;
            eo = d->opt->events != NULL ? &d->opt->events[k] : NULL;
            if (eo != NULL && eo->terminal > 0 && d->count[k] >= eo->terminal) {
                if (first_term == n_active || s->dir * (d->roots[j] - d->roots[first_term]) < 0.0) {
                    first_term = j;
                }
            }
        }
        if (first_term < n_active) {
            double troot = d->roots[first_term];
            /* keep the events up to and including the terminal root */
            n_keep = 0;
            for (j = 0; j < n_active; j++) {
                if (j == first_term || s->dir * (d->roots[j] - troot) < 0.0) {
                    d->active[n_keep] = d->active[j];
                    d->roots[n_keep] = d->roots[j];
                    n_keep++;
                }
            }
            *terminate = 1;
            *t_stop = troot;
        }
    }
    for (j = 0; j < n_keep; j++) {
        k = d->active[j];
        dense_eval(d, d->roots[j], d->ytmp);
        if (sink != NULL && sink->event != NULL && sink->event(sink->ud, k, d->roots[j], d->ytmp)) {
            return ivp_error_set(err, IVP_ERR_IO,
                                 "the output sink failed writing event %zu at "
                                 "t = %.17g",
                                 k, d->roots[j]);
        }
        d->n_events_found++;
        if (d->roots[j] == s->t && d->g_new[k] == 0.0) {
            d->zero_done[k] = 1;
        }
    }
    memcpy(d->g_old, d->g_new, m * sizeof *d->g_old);
    return IVP_OK;
}

/* ---- output ---- */

static ivp_status emit_point(driver *d, double t, const double *y, ivp_error *err)
{
    const ivp_sink *sink = d->sink;
    if (d->have_point && t == d->last_point_t) {
        return IVP_OK; /* never write the same time twice */
    }
    d->have_point = 1;
    d->last_point_t = t;
    if (sink != NULL && sink->point != NULL && sink->point(sink->ud, t, y)) {
        return ivp_error_set(err, IVP_ERR_IO,
                             "the output sink failed writing the point at "
                             "t = %.17g",
                             t);
    }
    d->n_points++;
    return IVP_OK;
}

/* ---- the solver ---- */

/* res's method statistics: their names from the registry, their values from the stepper s
 * (all 0 when s is NULL or has no state); and the deprecated LSODA fields. */
static void fill_stats(const ivp_method_info *info, const ivp_stepper *s, ivp_result *res)
{
    unsigned long v[IVP_MAX_STATS];
    size_t k;
    memset(v, 0, sizeof v);
    res->n_stats = 0;
    if (info == NULL || info->stats == NULL) {
        return;
    }
    if (s != NULL && s->state != NULL && info->impl->stats != NULL) {
        info->impl->stats(s, v);
    }
    for (k = 0; k < IVP_MAX_STATS && info->stats[k] != NULL; k++) {
        res->stats[k].name = info->stats[k];
        res->stats[k].value = v[k];
    }
    res->n_stats = k;
    res->n_steps_adams = ivp_result_stat(res, "n_steps_adams");
    res->n_steps_bdf = ivp_result_stat(res, "n_steps_bdf");
    res->n_switches = ivp_result_stat(res, "n_switches");
}

static void fill_result(const driver *d, ivp_result *res)
{
    res->nfev = d->s.nfev;
    res->njev = d->s.njev;
    res->nlu = d->s.nlu;
    res->n_rejected = d->s.n_rejected;
    res->n_steps = d->n_steps;
    res->n_points = d->n_points;
    res->n_segments = d->n_segments;
    res->n_events_found = d->n_events_found;
    res->stiff_detected = d->s.stiff_detected;
    res->stiff_t = d->s.stiff_detected ? d->s.stiff_t : 0.0;
    fill_stats(d->s.info, &d->s, res);
}

void ivp_solver_free(ivp_solver *d)
{
    const ivp_allocator *a;
    if (d == NULL) {
        return;
    }
    a = d->s.alloc;
    if (d->s.type != NULL && d->s.type->free != NULL) {
        d->s.type->free(&d->s);
    }
    ivp_free(a, d->s.y);
    ivp_free(a, d->s.y_old);
    ivp_free(a, d->s.atol);
    ivp_free(a, d->dense);
    ivp_free(a, d->ppoly);
    ivp_free(a, d->ytmp);
    ivp_free(a, d->g_old);
    ivp_free(a, d->g_new);
    ivp_free(a, d->gtmp);
    ivp_free(a, d->roots);
    ivp_free(a, d->active);
    ivp_free(a, d->count);
    ivp_free(a, d->zero_done);
    ivp_free(a, d);
}

/* n doubles, not zeroed (NULL on overflow or when out of memory). */
static double *alloc_doubles(const ivp_allocator *a, size_t n)
{
    if (n > SIZE_MAX / sizeof(double)) {
        return NULL;
    }
    return ivp_alloc(a, n * sizeof(double));
}

/* ivp_solver_new; lean (ivp_solve's own solver, which nobody else steps, resets or asks for
 * segments) leaves out the interpolant buffers when the options never use them (no dense
 * output, no t_eval, no events) and does not zero the state and atol vectors, which
 * solver_reset fills before anything reads them. ivp_alloc'ed memory is touched only where it
 * is written, so a short solve of a large system no longer pays for zeroing (2 deg + 3) n
 * doubles it never reads: DOP853 at n = 8192, 1.1 MB per solve. It also skips what ivp_solve
 * does itself: checking the system (ivp_solve_check has) and timing the run (ivp_solve times
 * the whole solve). */
static ivp_solver *solver_new(const ivp_system *sys, const ivp_options *opt, int lean,
                              ivp_error *err)
{
    ivp_options defaults;
    ivp_error local_err;
    const ivp_allocator *a;
    ivp_stepper *s;
    driver *d;
    size_t n, m;
    ivp_status st;

    if (err == NULL) {
        err = &local_err;
    }
    ivp_error_clear(err);
    if (opt == NULL) {
        ivp_options_init(&defaults);
        opt = &defaults;
    }
    if (!lean && check_system(sys, opt, err) != IVP_OK) {
        return NULL; /* (ivp_solve has checked it: ivp_solve_check) */
    }
    a = opt->alloc;
    n = sys->n;
    m = sys->n_events;
    d = ivp_calloc(a, 1, sizeof *d);
    if (d == NULL) {
        ivp_error_set(err, IVP_ERR_NOMEM, "out of memory setting up the solver (n = %zu)", n);
        return NULL;
    }
    d->opt_copy = *opt;
    d->opt = &d->opt_copy;
    d->lean = lean;
    s = &d->s;
    s->info = ivp_method_info_find(opt->method != NULL ? opt->method : "RK45");
    s->sys = sys;
    s->alloc = a;
    s->n = n;
    d->deg = s->info->dense_degree;

    if (lean) {
        s->y = alloc_doubles(a, n);
        s->y_old = alloc_doubles(a, n);
        s->atol = alloc_doubles(a, n);
    } else {
        s->y = ivp_calloc(a, n, sizeof *s->y);
        s->y_old = ivp_calloc(a, n, sizeof *s->y_old);
        s->atol = ivp_calloc(a, n, sizeof *s->atol);
    }
    if (s->y == NULL || s->y_old == NULL || s->atol == NULL) {
        goto nomem;
    }
    if (!lean || opt->dense_output || opt->n_t_eval > 0 || m > 0) {
        d->dense = ivp_calloc(a, (size_t)(d->deg + 1) * n, sizeof *d->dense);
        d->ppoly = ivp_calloc(a, (size_t)(d->deg + 1) * n, sizeof *d->ppoly);
        d->ytmp = ivp_calloc(a, n, sizeof *d->ytmp);
        if (d->dense == NULL || d->ppoly == NULL || d->ytmp == NULL) {
            goto nomem;
        }
    }
    if (m > 0) {
        d->g_old = ivp_calloc(a, m, sizeof *d->g_old);
        d->g_new = ivp_calloc(a, m, sizeof *d->g_new);
        d->gtmp = ivp_calloc(a, m, sizeof *d->gtmp);
        d->roots = ivp_calloc(a, m, sizeof *d->roots);
        d->active = ivp_calloc(a, m, sizeof *d->active);
        d->count = ivp_calloc(a, m, sizeof *d->count);
        d->zero_done = ivp_calloc(a, m, sizeof *d->zero_done);
        if (d->g_old == NULL || d->g_new == NULL || d->gtmp == NULL || d->roots == NULL ||
            d->active == NULL || d->count == NULL || d->zero_done == NULL) {
            goto nomem;
        }
    }
    s->type = s->info->impl;
    st = s->type->alloc(s, err);
    if (st != IVP_OK) {
        ivp_solver_free(d);
        return NULL;
    }
    return d;
nomem:
    ivp_solver_free(d);
    ivp_error_set(err, IVP_ERR_NOMEM, "out of memory setting up the solver (n = %zu)", n);
    return NULL;
}

ivp_solver *ivp_solver_new(const ivp_system *sys, const ivp_options *opt, ivp_error *err)
{
    return solver_new(sys, opt, 0, err);
}

/* Starts a solve from (t0, y0) with the options in d->opt (checked): everything as
 * ivp_solver_new left it, but the storage and the structure. */
static void solver_reset(driver *d, double t0, double t_end, const double *y0)
{
    ivp_stepper *s = &d->s;
    const ivp_options *opt = d->opt;
    const size_t n = s->n, m = s->sys->n_events;
    size_t i;
    {
        const ivp_stepper keep = *s;
        memset(s, 0, sizeof *s);
        s->type = keep.type;
        s->info = keep.info;
        s->sys = keep.sys;
        s->alloc = keep.alloc;
        s->n = keep.n;
        s->y = keep.y;
        s->y_old = keep.y_old;
        s->atol = keep.atol;
        s->state = keep.state;
    }
    s->t = t0;
    s->t_old = t0;
    s->t_bound = t_end;
    s->dir = t_end > t0 ? 1.0 : -1.0;
    s->rtol = opt->rtol < 100.0 * IVP_EPS ? 100.0 * IVP_EPS : opt->rtol;
    s->first_step = opt->first_step;
    s->max_step = opt->max_step;
    s->min_step = opt->min_step;
    memcpy(s->y, y0, n * sizeof *s->y);
    memcpy(s->y_old, y0, n * sizeof *s->y_old);
    for (i = 0; i < n; i++) {
        s->atol[i] = opt->atol_vec != NULL ? opt->atol_vec[i] : opt->atol;
    }
    if (d->used) {
        s->type->reset(s);
    }
    if (d->used && m > 0) {
        /* The event counts and zero flags are read before they are written; every other
         * buffer (the interpolant, the PPoly segment, the event values and roots) is written
         * before it is read, and is not zeroed: a scan of short solves of a large system
         * zeroed (2 deg + 3) n doubles per reset for nothing (DOP853, n = 1024: 136 KiB). */
        memset(d->count, 0, m * sizeof *d->count);
        memset(d->zero_done, 0, m * sizeof *d->zero_done);
    }
    d->used = 1;
    d->sink = NULL;
    d->t0 = t0;
    d->n_steps = d->n_points = d->n_segments = d->n_events_found = 0;
    d->have_dense = 0;
    d->brent_k = 0;
    d->last_point_t = 0.0;
    d->have_point = 0;
    d->stiff_hinted = 0;
    d->phase = SOLVER_READY;
}

ivp_status ivp_solver_reset(ivp_solver *d, double t0, double t_end, const double *y0,
                            const ivp_options *opt, ivp_error *err)
{
    ivp_error local_err;
    const ivp_options *o;
    ivp_status st;
    if (err == NULL) {
        err = &local_err;
    }
    ivp_error_clear(err);
    if (d == NULL) {
        return ivp_error_set(err, IVP_ERR_ARG, "ivp_solver_reset: no solver");
    }
    d->phase = SOLVER_UNSET;
    o = opt != NULL ? opt : &d->opt_copy;
    st = ivp_solve_check(d->s.sys, t0, t_end, y0, o, err);
    if (st != IVP_OK) {
        return st;
    }
    if (opt != NULL) {
        const ivp_method_info *m = ivp_method_info_find(opt->method != NULL ? opt->method : "RK45");
        if (m != d->s.info) {
            return ivp_error_set(err, IVP_ERR_ARG,
                                 "ivp_solver_reset: the solver was made for method %s, the "
                                 "options ask for %s (another method needs a new solver)",
                                 d->s.info->name, m->name);
        }
        if (opt->alloc != d->opt_copy.alloc) {
            return ivp_error_set(err, IVP_ERR_ARG,
                                 "ivp_solver_reset: the options give another allocator than "
                                 "the solver was made with (it needs a new solver)");
        }
        d->opt_copy = *opt;
    }
    solver_reset(d, t0, t_end, y0);
    return IVP_OK;
}

/* The method's init: what scipy's OdeSolver constructor does. */
static ivp_status solver_start(driver *d, ivp_error *err)
{
    ivp_status st = d->s.type->init(&d->s, err);
    d->phase = st == IVP_OK ? SOLVER_STEPPING : SOLVER_FAILED;
    return st;
}

/* One accepted step, after the checks for an interrupt and max_steps. */
static ivp_status solver_advance(driver *d, ivp_error *err)
{
    ivp_stepper *s = &d->s;
    const ivp_options *opt = d->opt;
    ivp_status st;
    if (opt->interrupt != NULL && *opt->interrupt) {
        return ivp_error_set(err, IVP_ERR_INTERRUPTED, "interrupted at t = %.17g", s->t);
    }
    if (opt->max_steps > 0 && d->n_steps >= opt->max_steps) {
        return ivp_error_set(err, IVP_ERR_MAX_STEPS,
                             "max_steps = %lu steps reached at t = %.17g before t_end = %.17g",
                             opt->max_steps, s->t, s->t_bound);
    }
    st = s->type->step(s, err);
    if (st != IVP_OK) {
        return st;
    }
    d->n_steps++;
    d->have_dense = 0;
    if (s->stiff_detected && !d->stiff_hinted) {
        d->stiff_hinted = 1;
        if (opt->stiff_hint != NULL) {
            opt->stiff_hint(opt->stiff_hint_ud, s->stiff_t);
        }
    }
    return IVP_OK;
}

ivp_status ivp_solver_step(ivp_solver *d, ivp_error *err)
{
    ivp_error local_err;
    ivp_status st;
    if (err == NULL) {
        err = &local_err;
    }
    ivp_error_clear(err);
    if (d == NULL) {
        return ivp_error_set(err, IVP_ERR_ARG, "ivp_solver_step: no solver");
    }
    if (d->phase == SOLVER_READY) {
        st = solver_start(d, err);
        if (st != IVP_OK) {
            return st;
        }
    }
    if (d->phase == SOLVER_DONE) {
        return ivp_error_set(err, IVP_ERR_ARG,
                             "ivp_solver_step: the solve has reached t_end = %.17g; reset the "
                             "solver for another",
                             d->s.t_bound);
    }
    if (d->phase != SOLVER_STEPPING) {
        return ivp_error_set(err, IVP_ERR_ARG, "ivp_solver_step: the solver %s; reset it first",
                             d->phase == SOLVER_FAILED ? "failed" : "is not set up");
    }
    st = solver_advance(d, err);
    if (st != IVP_OK) {
        d->phase = SOLVER_FAILED;
        return st;
    }
    if (d->s.dir * (d->s.t - d->s.t_bound) >= 0.0) {
        d->phase = SOLVER_DONE;
    }
    return IVP_OK;
}

double ivp_solver_t(const ivp_solver *d)
{
    return d->s.t;
}

double ivp_solver_t_old(const ivp_solver *d)
{
    return d->s.t_old;
}

const double *ivp_solver_y(const ivp_solver *d)
{
    return d->s.y;
}

int ivp_solver_finished(const ivp_solver *d)
{
    return d->phase == SOLVER_DONE;
}

const ivp_method_info *ivp_solver_method(const ivp_solver *d)
{
    return d->s.info;
}

/* IVP_ERR_ARG unless the solver has a last step to interpolate. */
static ivp_status solver_need_step(const driver *d, const char *fn, ivp_error *err)
{
    if (d->n_steps == 0 || d->phase == SOLVER_UNSET || d->phase == SOLVER_READY) {
        return ivp_error_set(err, IVP_ERR_ARG, "%s: no step has been taken since the last reset",
                             fn);
    }
    return IVP_OK;
}

ivp_status ivp_solver_eval(ivp_solver *d, double t, double *y, ivp_error *err)
{
    ivp_error local_err;
    ivp_status st;
    if (err == NULL) {
        err = &local_err;
    }
    st = solver_need_step(d, "ivp_solver_eval", err);
    if (st == IVP_OK) {
        st = ensure_dense(d, err);
    }
    if (st != IVP_OK) {
        return st;
    }
    dense_eval(d, t, y);
    return IVP_OK;
}

ivp_status ivp_solver_segment(ivp_solver *d, double *c, ivp_error *err)
{
    ivp_error local_err;
    ivp_status st;
    if (err == NULL) {
        err = &local_err;
    }
    st = solver_need_step(d, "ivp_solver_segment", err);
    if (st == IVP_OK) {
        st = ensure_dense(d, err);
    }
    if (st != IVP_OK) {
        return st;
    }
    to_ppoly(d);
    memcpy(c, d->ppoly, (size_t)(d->deg + 1) * d->s.n * sizeof *c);
    return IVP_OK;
}

void ivp_solver_result(const ivp_solver *d, ivp_result *res)
{
    memset(res, 0, sizeof *res);
    res->status = d->phase == SOLVER_FAILED ? -1 : 0;
    res->t = d->phase == SOLVER_UNSET ? 0.0 : d->s.t;
    fill_result(d, res);
}

ivp_status ivp_solver_run(ivp_solver *d, const ivp_sink *sink, ivp_result *res, ivp_error *err)
{
    ivp_error local_err;
    ivp_status st;
    const ivp_options *opt;
    const ivp_system *sys;
    double t_start;
    size_t i_eval = 0;
    int first = 1;

    if (err == NULL) {
        err = &local_err;
    }
    ivp_error_clear(err);
    if (d == NULL || res == NULL) {
        return ivp_error_set(err, IVP_ERR_ARG, "ivp_solver_run: no solver or no result");
    }
    memset(res, 0, sizeof *res);
    res->status = -1;
    res->t = d->t0;
    t_start = d->lean ? 0.0 : now_seconds();
    if (d->phase != SOLVER_READY) {
        st = ivp_error_set(err, IVP_ERR_ARG,
                           "ivp_solver_run: the solver must be reset (ivp_solver_reset) before "
                           "each run");
        fill_stats(d->s.info, NULL, res);
        snprintf(res->message, sizeof res->message, "%s", err->msg);
        return st;
    }
    opt = d->opt;
    sys = d->s.sys;
    d->sink = sink;
    st = solver_start(d, err);
    if (st != IVP_OK) {
        goto done;
    }
    if (sys->n_events > 0) {
        int rc = call_events(d, d->t0, d->s.y, d->g_old, err);
        if (rc != 0) {
            st = (ivp_status)rc;
            goto done;
        }
    }
    if (opt->n_t_eval == 0) {
        st = emit_point(d, d->t0, d->s.y, err);
        if (st != IVP_OK) {
            goto done;
        }
    }

    for (;;) {
        ivp_stepper *s = &d->s;
        int finished, terminate = 0;
        double t_stop;

        st = solver_advance(d, err);
        if (st != IVP_OK) {
            goto done;
        }
        res->t = s->t;
        finished = s->dir * (s->t - s->t_bound) >= 0.0;
        t_stop = s->t;

        if (sys->n_events > 0) {
            st = handle_events(d, first, &terminate, &t_stop, err);
            if (st != IVP_OK) {
                goto done;
            }
            if (terminate) {
                res->t = t_stop;
            }
        }
        first = 0;

        if (opt->n_t_eval == 0) {
            if (terminate) {
                dense_eval(d, t_stop, d->ytmp);
                st = emit_point(d, t_stop, d->ytmp, err);
            } else {
                st = emit_point(d, s->t, s->y, err);
            }
            if (st != IVP_OK) {
                goto done;
            }
        } else {
            while (i_eval < opt->n_t_eval && s->dir * (opt->t_eval[i_eval] - t_stop) <= 0.0) {
                st = ensure_dense(d, err);
                if (st != IVP_OK) {
                    goto done;
                }
                dense_eval(d, opt->t_eval[i_eval], d->ytmp);
                st = emit_point(d, opt->t_eval[i_eval], d->ytmp, err);
                if (st != IVP_OK) {
                    goto done;
                }
                i_eval++;
            }
        }
        if (opt->dense_output && t_stop != s->t_old) {
            st = ensure_dense(d, err);
            if (st != IVP_OK) {
                goto done;
            }
            to_ppoly(d);
            d->n_segments++;
            if (sink != NULL && sink->segment != NULL &&
                sink->segment(sink->ud, s->t_old, t_stop, d->ppoly)) {
                st = ivp_error_set(err, IVP_ERR_IO,
                                   "the output sink failed writing the dense "
                                   "output at t = %.17g",
                                   s->t);
                goto done;
            }
        }
        if (terminate) {
            st = IVP_TERMINATED;
            goto done;
        }
        if (finished) {
            st = IVP_OK;
            goto done;
        }
    }

done:
    d->phase = st == IVP_OK || st == IVP_TERMINATED ? SOLVER_DONE : SOLVER_FAILED;
    d->sink = NULL;
    if (!d->lean) {
        res->solve_seconds = now_seconds() - t_start;
    }
    fill_result(d, res);
    if (st == IVP_OK) {
        res->status = 0;
        snprintf(res->message, sizeof res->message,
                 "The solver successfully reached the end of the integration interval.");
    } else if (st == IVP_TERMINATED) {
        res->status = 1;
        snprintf(res->message, sizeof res->message, "A termination event occurred.");
    } else {
        res->status = st == IVP_ERR_INTERRUPTED ? -2 : -1;
        snprintf(res->message, sizeof res->message, "%s", err->msg);
    }
    return st;
}

ivp_status ivp_solve(const ivp_system *sys, double t0, double t_end, const double *y0,
                     const ivp_options *opt, const ivp_sink *sink, ivp_result *res, ivp_error *err)
{
    ivp_solver *d;
    ivp_error local_err;
    ivp_status st;
    double t_start;

    if (err == NULL) {
        err = &local_err;
    }
    ivp_error_clear(err);
    memset(res, 0, sizeof *res);
    res->status = -1;
    res->t = t0;

    st = ivp_solve_check(sys, t0, t_end, y0, opt, err);
    if (st != IVP_OK) {
        if (opt != NULL) {
            fill_stats(ivp_method_info_find(opt->method != NULL ? opt->method : "RK45"), NULL, res);
        }
        snprintf(res->message, sizeof res->message, "%s", err->msg);
        return st;
    }
    t_start = now_seconds();
    d = solver_new(sys, opt, 1, err);
    if (d == NULL) {
        st = err->status;
        fill_stats(ivp_method_info_find(opt->method != NULL ? opt->method : "RK45"), NULL, res);
        snprintf(res->message, sizeof res->message, "%s", err->msg);
    } else {
        solver_reset(d, t0, t_end, y0);
        st = ivp_solver_run(d, sink, res, err);
        ivp_solver_free(d);
    }
    res->solve_seconds = now_seconds() - t_start;
    return st;
}
