/* SPDX-License-Identifier: MIT
 * core/include/ivp/solve.h - solve an ODE initial-value problem in-process.
 *
 * The C counterpart of scipy.integrate.solve_ivp (scipy 1.10 semantics): the same methods,
 * options, step-size logic and result fields. No files are involved: results go to an
 * ivp_sink (callbacks), which may write HDF5 (ivp/h5sink.h), keep them in memory
 * (ivp/memsink.h), or do anything else.
 *
 * Thread safety: the core keeps no global mutable state; independent solves may run at once
 * on different threads, provided their systems' callbacks are themselves thread-safe.
 */
#ifndef IVP_SOLVE_H
#define IVP_SOLVE_H

#include <signal.h>
#include <stddef.h>

#include "ivp/alloc.h"
#include "ivp/ctx.h"
#include "ivp/status.h"
#include "ivp/version.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The ODE y' = f(t, y). All pointers are borrowed and must outlive the solve. */
typedef struct ivp_system {
    size_t n;              /* state dimension (>= 1) */
    ivp_rhs_fn *rhs;       /* required */
    ivp_jac_fn *jac;       /* optional: dense row-major Jacobian */
    ivp_events_fn *events; /* optional: evaluates all n_events event functions at once */
    size_t n_events;       /* number of event functions (0 without events) */
    /* Jacobian structure (used by the implicit methods, ignored by explicit ones). */
    ivp_jac_values_fn *jac_values; /* optional: values at (sp_rows[k], sp_cols[k]) */
    const size_t *sp_rows;         /* structural nonzeros, 0-based; NULL = dense */
    const size_t *sp_cols;
    size_t sp_nnz;
    long lband, uband;  /* banded Jacobian; -1 when not banded */
    const ivp_ctx *ctx; /* passed to every callback */
} ivp_system;

/* Per-event options (scipy's event attributes). */
typedef struct ivp_event_opts {
    unsigned long terminal; /* 0: never stops; k > 0: stop at the k-th occurrence (true == 1) */
    int direction;          /* -1: only + to -, +1: only - to +, 0: both */
} ivp_event_opts;

typedef struct ivp_options {
    const char *method;      /* "RK23", "RK45", "DOP853", ... (case-insensitive); NULL = RK45 */
    double rtol;             /* relative tolerance, > 0 (clamped up to 100*DBL_EPSILON) */
    double atol;             /* absolute tolerance, >= 0, used when atol_vec is NULL */
    const double *atol_vec;  /* optional: n per-component absolute tolerances */
    double first_step;       /* 0 = automatic (scipy's select_initial_step) */
    double max_step;         /* INFINITY = unlimited */
    double min_step;         /* 0 = only the floating-point spacing limit */
    unsigned long max_steps; /* accepted steps allowed in the whole solve; 0 = unlimited */
    const double *t_eval;    /* optional: output times, sorted in the integration direction */
    size_t n_t_eval;
    int dense_output;             /* non-zero: emit every step's interpolant to sink->segment */
    const ivp_event_opts *events; /* n_events entries, or NULL for non-terminal, direction 0 */
    const volatile sig_atomic_t *interrupt; /* optional: when it becomes non-zero the solve stops
                                               after the current step with status -2 */
    const ivp_allocator *alloc;             /* NULL = malloc/free */
    /* Optional: called once, during the solve, when an explicit method (RK23, RK45, DOP853)
     * finds its step size held down by stability rather than accuracy (the problem looks
     * stiff; see ivp_result.stiff_detected), with t = ivp_result.stiff_t. It must not call
     * back into the solver. The hint never changes the solve. */
    void (*stiff_hint)(void *ud, double t);
    void *stiff_hint_ud;
} ivp_options;

/* Fills o with solve_ivp's defaults: RK45, rtol 1e-3, atol 1e-6, no limits. */
void ivp_options_init(ivp_options *o);

/* Where results go. Every callback returns 0 to continue; anything else stops the solve with
 * status -1 (IVP_ERR_IO) and the sink's own message, if it has one, should be kept by the sink.
 * Any callback may be NULL (that output is not wanted). Vectors are borrowed for the call. */
typedef struct ivp_sink {
    /* An output point: (t0, y0) and every accepted step, or the t_eval points. */
    int (*point)(void *ud, double t, const double *y);
    /* Occurrence of event k (index into the system's events) at time t with state y. */
    int (*event)(void *ud, size_t k, double t, const double *y);
    /* One piece of the dense output on the segment from t_lo (the step's start) to t_hi (its
     * end, or a terminal root). c holds (deg + 1) x n coefficients, row-major, highest power
     * first, in powers of (t - t_lo): exactly one scipy.interpolate.PPoly segment.
     * deg = ivp_method_dense_degree(method) for every segment (zero-padded). For a backward
     * solve t_hi < t_lo, and the breakpoints decrease (PPoly accepts either order). */
    int (*segment)(void *ud, double t_lo, double t_hi, const double *c);
    void *ud;
} ivp_sink;

/* A statistic particular to one method (ivp_method_info.stats names them). */
#define IVP_MAX_STATS 8
typedef struct ivp_stat {
    const char *name; /* static storage, e.g. "n_switches" */
    unsigned long value;
} ivp_stat;

/* Final state of a solve: solve_ivp's result fields, less the arrays (those went to the sink). */
typedef struct ivp_result {
    int status; /* 0 reached t_end, 1 terminal event, -1 failed, -2 interrupted */
    char message[IVP_ERROR_MSG_MAX];
    double t;                     /* time of the last accepted step (or terminal root) */
    unsigned long nfev;           /* right-hand side evaluations, counted as scipy counts them */
    unsigned long njev;           /* Jacobian evaluations */
    unsigned long nlu;            /* LU factorisations */
    unsigned long n_steps;        /* accepted steps */
    unsigned long n_rejected;     /* rejected step attempts */
    unsigned long n_points;       /* points sent to sink->point */
    unsigned long n_segments;     /* segments sent to sink->segment */
    unsigned long n_events_found; /* event occurrences sent to sink->event */
    double solve_seconds; /* wall time of the integration (monotonic clock), sink included */
    /* Deprecated (use stats): LSODA's "n_steps_adams", "n_steps_bdf" and "n_switches", 0 for
     * the other methods. */
    unsigned long n_steps_adams, n_steps_bdf, n_switches;
    /* The method's own statistics, in the order of its ivp_method_info.stats (n_stats of
     * them; every method's list is known before the solve, and filled even when the solve
     * failed before its first step). LSODA: n_steps_adams, n_steps_bdf (steps taken by each
     * family) and n_switches; the other methods report none. */
    size_t n_stats;
    ivp_stat stats[IVP_MAX_STATS];
    /* Stiffness hint of the explicit methods (always 0 for Radau, BDF and LSODA): 1 when the
     * step size looked held down by stability rather than accuracy - Hairer's test (DOPRI5,
     * DOP853): |h| times an estimate of the dominant eigenvalue, from two stages of the step,
     * above about the method's real stability boundary on 15 tested steps, never 6 below in a
     * row between them. Tests run from every 1000th accepted step while they keep finding
     * such steps, so detection comes at the earliest after 1014 steps and costs nearly
     * nothing. stiff_t is the start of the step on which it fired (0 when not detected). */
    int stiff_detected;
    double stiff_t;
} ivp_result;

/* The value of res's statistic of that name, or 0 when the method reports none such. */
unsigned long ivp_result_stat(const ivp_result *res, const char *name);

/* Integrates y' = f(t, y), y(t0) = y0 from t0 to t_end (t_end < t0 integrates backward).
 *
 * Returns IVP_OK (status 0: reached t_end) or IVP_TERMINATED (status 1: terminal event).
 * On invalid options or arguments returns IVP_ERR_ARG (or IVP_ERR_NOMEM) before anything is sent
 * to the sink; res->status is then -1 and res->n_steps 0.
 * On a failure during the integration returns the cause (IVP_ERR_STEP, IVP_ERR_RHS,
 * IVP_ERR_MAX_STEPS, ...; IVP_ERR_INTERRUPTED for an interrupt): the sink has received
 * everything up to the last accepted step, res->status is -1 (or -2) and res->message (like
 * err->msg) names the cause and the time t.
 * res is always filled. err may be NULL. */
ivp_status ivp_solve(const ivp_system *sys, double t0, double t_end, const double *y0,
                     const ivp_options *opt, const ivp_sink *sink, ivp_result *res, ivp_error *err);

/* Checks everything ivp_solve would check before integrating, without calling the system.
 * Returns IVP_OK or IVP_ERR_ARG with a message naming the option. */
ivp_status ivp_solve_check(const ivp_system *sys, double t0, double t_end, const double *y0,
                           const ivp_options *opt, ivp_error *err);

/* ---- methods ---- */

enum { IVP_METHOD_IMPLICIT = 1u }; /* ivp_method_info.flags */

struct ivp_method_type;

/* What ivp knows about a method: one entry of the method registry (static storage), from which
 * the lookups below, the spec's validation and the CLI's help all derive. */
typedef struct ivp_method_info {
    const char *name;         /* canonical spelling, e.g. "Radau" */
    const char *help;         /* one line for --help and docs */
    unsigned dense_degree;    /* degree of the segments sink->segment receives */
    unsigned flags;           /* IVP_METHOD_IMPLICIT: uses a Jacobian and linear solves */
    const char *const *stats; /* NULL-terminated names of its ivp_result.stats (NULL: none) */
    const struct ivp_method_type *impl; /* private */
} ivp_method_info;

/* The registry, in the order RK23, RK45, DOP853, Radau, BDF, LSODA; *count (if count is not
 * NULL) receives its length. */
const ivp_method_info *ivp_methods(size_t *count);

/* The method of that name given in any case, or NULL. */
const ivp_method_info *ivp_method_info_find(const char *name);

/* Method names, NULL-terminated, in their canonical spelling (static storage). */
const char *const *ivp_method_names(void);

/* Canonical spelling of a method name given in any case, or NULL if unknown. */
const char *ivp_method_canonical(const char *name);

/* Degree of the polynomials sink->segment receives for this method (0 if unknown):
 * RK23 3, RK45 4, DOP853 7, Radau 3, BDF 5, LSODA 12. */
unsigned ivp_method_dense_degree(const char *name);

/* Non-zero if the method is implicit (uses a Jacobian and linear solves). */
int ivp_method_is_implicit(const char *name);

/* ---- the reusable solver (CVODE/GSL style) ----
 *
 * ivp_solve is ivp_solver_new + ivp_solver_reset + ivp_solver_run + ivp_solver_free. Keeping
 * the solver instead serves many solves of one system (an ensemble: one solver per thread,
 * reset per member): everything is allocated by ivp_solver_new, and neither reset nor run
 * nor step allocates (with sparse Jacobians, SuiteSparse's own numeric factorisation objects
 * are the exception linalg documents: KLU makes one per solve, UMFPACK one per factorisation).
 * What depends only on the system's structure is built once and kept: the Jacobian's layout,
 * the finite-difference column groups, a sparse pattern's symbolic factorisation (KLU/UMFPACK
 * analysis). Everything else is forgotten on reset (counters, step sizes, LSODA's history,
 * BDF's differences, Radau's LU and Jacobian, the adaptive finite-difference increments, KLU's
 * pivot order), so a solve after a reset gives bit for bit what a new solver gives.
 *
 * Per solve (reset) may change: t0, t_end, y0, and every option except method and alloc
 * (rtol, atol/atol_vec, first_step, max_step, min_step, max_steps, t_eval, dense_output,
 * events, interrupt); also the parameter values the system's callbacks read through
 * sys->ctx (ctx->p may point at other values between solves: the solver borrows the system
 * and its ctx, it copies neither). The state dimension, the events' number, the Jacobian's
 * structure, the method and the allocator are fixed at ivp_solver_new: other ones need
 * another solver.
 *
 * A solver is used by one thread at a time; solvers of one system may run at once on
 * different threads when the system's callbacks and ctx allow it (a ctx per thread). */
typedef struct ivp_solver ivp_solver;

/* A solver for sys with opt's method and allocator (opt NULL: ivp_options_init's defaults).
 * opt is copied; it is also the options of a reset without options. Checks the system and the
 * method (IVP_ERR_ARG), allocates all workspace (IVP_ERR_NOMEM); returns NULL with err set on
 * failure. sys is borrowed until ivp_solver_free. */
ivp_solver *ivp_solver_new(const ivp_system *sys, const ivp_options *opt, ivp_error *err);

/* Starts a solve from y(t0) = y0 towards t_end with options opt (copied; NULL: those of the
 * last reset, or of ivp_solver_new). Checks them as ivp_solve does, plus IVP_ERR_ARG when opt
 * names another method or allocator than the solver's. Calls nothing of the system and
 * allocates nothing. The pointers inside the options (atol_vec, t_eval, events, interrupt) are
 * borrowed: they must stay valid while the solve runs, and across a reset with opt NULL,
 * which uses them again. On failure the solver cannot step or run until a successful reset. */
ivp_status ivp_solver_reset(ivp_solver *s, double t0, double t_end, const double *y0,
                            const ivp_options *opt, ivp_error *err);

/* The solve_ivp loop of ivp_solve after a reset: initialises the method, integrates to t_end
 * or a terminal event, and sends the output points, t_eval points, events and dense output
 * to sink (NULL: none). Returns and fills res exactly as ivp_solve does; once per reset
 * (IVP_ERR_ARG otherwise, also after ivp_solver_step). */
ivp_status ivp_solver_run(ivp_solver *s, const ivp_sink *sink, ivp_result *res, ivp_error *err);

/* One accepted step, as scipy's OdeSolver.step() (the first call after a reset initialises
 * the method first): without events, t_eval or a sink. Afterwards ivp_solver_t/_y are the
 * step's end and ivp_solver_eval/_segment give its interpolant. max_steps and interrupt
 * apply. Returns IVP_OK, or the failure (as ivp_solve's); IVP_ERR_ARG once the solve has
 * reached t_end (ivp_solver_finished) or failed, until the next reset. */
ivp_status ivp_solver_step(ivp_solver *s, ivp_error *err);

/* The current time and state (n values, valid until the next step or reset), the start of
 * the last step, whether t_end has been reached (by ivp_solver_step or ivp_solver_run), and
 * the method. */
double ivp_solver_t(const ivp_solver *s);
const double *ivp_solver_y(const ivp_solver *s);
double ivp_solver_t_old(const ivp_solver *s);
int ivp_solver_finished(const ivp_solver *s);
const ivp_method_info *ivp_solver_method(const ivp_solver *s);

/* The last step's interpolant at t (meant for t between ivp_solver_t_old and ivp_solver_t)
 * into y (n values); or its coefficients into c ((deg + 1) x n, exactly what sink->segment
 * receives for the step, deg = the method's dense_degree). DOP853's first use per step
 * evaluates the rhs (counted in nfev). IVP_ERR_ARG before the first step after a reset. */
ivp_status ivp_solver_eval(ivp_solver *s, double t, double *y, ivp_error *err);
ivp_status ivp_solver_segment(ivp_solver *s, double *c, ivp_error *err);

/* The counters and statistics of the solve so far (res->status -1 if it failed, else 0; no
 * message), for use with ivp_solver_step. */
void ivp_solver_result(const ivp_solver *s, ivp_result *res);

/* Frees the solver; NULL is a no-op. */
void ivp_solver_free(ivp_solver *s);

/* The implicit methods load LAPACK (and SuiteSparse for sparse Jacobians) on first use; the
 * explicit ones never do. n >= 1 asks the BLAS behind LAPACK (OpenBLAS) for n threads, applied
 * when LAPACK is loaded (or at once if it already is); 0, the default, leaves the BLAS's own
 * choice. Either way OPENBLAS_NUM_THREADS or OMP_NUM_THREADS in the environment wins: then
 * nothing is changed. Process-wide: call it before solving, from one thread. The ivp program
 * asks for 1. */
void ivp_set_blas_threads(int n);

#ifdef __cplusplus
}
#endif

#endif /* IVP_SOLVE_H */
