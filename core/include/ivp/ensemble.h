/* SPDX-License-Identifier: MIT
 * core/include/ivp/ensemble.h - many solves of one system, in threads, results in member order
 * (contracts.md section 5): the engine behind `ivp run` of an ensemble, usable in-process.
 *
 * ivp_ensemble_run solves members 0..K-1 on n_workers threads (the calling thread and
 * n_workers - 1 more). Each worker has one ivp_solver (made once, reset per member), its own
 * ivp_ctx (its own parameter vector; the plugin's ivp_init/ivp_fini, if given, run per member on
 * it) and its own copy of the system. Finished members go to cfg->output one at a time, never
 * concurrently, in member order: the worker that finishes the member next in line outputs it and
 * the finished ones after it, so output runs on any of these threads (members not started after
 * an interrupt: on the calling thread). Members wait in a reorder window of 'window' slots: a
 * worker may run at most 'window' members ahead of the output, so memory is bounded by window x
 * the largest member's results whatever K is. Each slot keeps its buffers (an ivp_memsink) from
 * member to member: once every slot has held the largest member, nothing more is allocated (the
 * solver allocates nothing per reset). A finished member wakes no thread: a worker sleeps only
 * when the window is full (after yielding a while).
 *
 * Member k's results are the same bits whatever the number of workers or the window (a reset
 * solver gives what a new one gives), and the same as ivp_solve's for that member.
 * A member that fails (status -1) does not stop the others. When *interrupt becomes non-zero,
 * running members stop after their current step (status -2), no new member starts, and every
 * member not started is still output, with status -2, no data, and the message
 * "interrupted before this member was started".
 */
#ifndef IVP_ENSEMBLE_H
#define IVP_ENSEMBLE_H

#include <signal.h>
#include <stddef.h>

#include "ivp/memsink.h"
#include "ivp/solve.h"
#include "ivp/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What the member callback fills for member k. */
typedef struct ivp_ensemble_job {
    double t0, t_end;
    const double *y0; /* n values; must stay valid until the member's output is done */
    double *params;   /* np values to write (the worker's vector, which ctx->p points at) */
    ivp_options opt;  /* a copy of cfg->opt to adjust (rtol, atol/atol_vec, first_step,
                           max_step, min_step, max_steps, t_eval); method, alloc and
                           dense_output must stay; pointers must stay valid as y0 does */
} ivp_ensemble_job;

/* One finished member, as cfg->output receives it (everything borrowed for the call). */
typedef struct ivp_ensemble_out {
    size_t k;                /* member index */
    const ivp_result *res;   /* status, message, counters (solve_seconds: its own wall time) */
    const ivp_memsink *data; /* its points (t, y), events (ev_k, ev_t, ev_y) and dense segments
                                  (seg_t, seg_c), exactly what ivp_solve sends to a sink */
    double t0, t_end;
    const double *y0;     /* n values */
    const double *params; /* np values */
} ivp_ensemble_out;

typedef struct ivp_ensemble_config {
    size_t n_members;       /* K */
    size_t n_workers;       /* threads, >= 1 */
    size_t window;          /* reorder slots; 0: 4 x n_workers (at least n_workers) */
    const ivp_system *sys;  /* the system; its ctx is replaced by each worker's own
                                  (n = sys->n, p = the worker's params, np, data = NULL) */
    size_t np;              /* parameters per member */
    const ivp_options *opt; /* base options: method, alloc (used for every allocation),
                                  dense_output, events, ... */
    ivp_init_fn *init;      /* optional: called per member on the worker's ctx, before the
                                  solve (non-zero: the member fails with status -1) */
    ivp_fini_fn *fini;      /* optional: called after each member whose init succeeded */
    /* Fills member k (called from the worker threads, concurrently: must be thread-safe).
     * A failure makes that member fail (status -1, err's message). */
    ivp_status (*member)(void *ud, size_t k, ivp_ensemble_job *job, ivp_error *err);
    /* Receives member k after members 0..k-1, on one of the engine's threads, never
     * concurrently (each call happens after the previous one). Non-zero stops the ensemble:
     * ivp_ensemble_run returns IVP_ERR_IO with err's message. */
    int (*output)(void *ud, const ivp_ensemble_out *out, ivp_error *err);
    void *ud;
    const volatile sig_atomic_t *interrupt; /* optional */
} ivp_ensemble_config;

typedef struct ivp_ensemble_summary {
    size_t n_ok;          /* status 0 or 1 */
    size_t n_failed;      /* status -1 */
    size_t n_interrupted; /* status -2 (solved in part, or not started) */
    double solve_seconds; /* sum over members */
} ivp_ensemble_summary;

/* Counts one member's result into sum (by its status) and adds its solve_seconds: what
 * ivp_ensemble_run does for each member it outputs, for callers that gather members
 * themselves (the MPI coordinator). */
void ivp_ensemble_summary_add(ivp_ensemble_summary *sum, const ivp_result *res);

/* Runs the ensemble. IVP_OK when every member was output (whatever their statuses: see sum);
 * IVP_ERR_ARG for a bad configuration, IVP_ERR_NOMEM, or the solver's error when a worker's
 * solver cannot be made (nothing was output then); IVP_ERR_IO when output failed (members
 * after it were not output); IVP_ERR_INTERNAL when a thread cannot be started. sum may be NULL. */
ivp_status ivp_ensemble_run(const ivp_ensemble_config *cfg, ivp_ensemble_summary *sum,
                            ivp_error *err);

#ifdef __cplusplus
}
#endif

#endif /* IVP_ENSEMBLE_H */
