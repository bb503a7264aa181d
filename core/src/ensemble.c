/* SPDX-License-Identifier: MIT
 * core/src/ensemble.c - the ensemble engine (ivp/ensemble.h): worker threads, one solver each,
 * members output in order through a bounded reorder window.
 *
 * Synchronisation, lock-free on the common path (C11 atomics, sequentially consistent): the
 * calling thread is worker 0, workers 1..N-1 are threads, so -j N runs N threads. A worker
 * claims member k = next_claim (compare-and-swap) only while k < next_out + window, solves it
 * into slot k % window and marks the slot done. The output has no thread of its own: after
 * marking a slot done, a worker that finds member next_out done takes the output role
 * ('draining', compare-and-swap) and outputs, in order, every finished member from there; after
 * giving the role back it looks once more, so a member finished meanwhile is not left behind.
 * Only a full window makes a worker wait: it yields ENS_SPINS times, then sleeps on 'freed',
 * which the drainer broadcasts only when someone sleeps (n_waiting). Once 'stopped' is set
 * (interrupt or output failure), no member is claimed; members >= next_claim are never
 * started, and the calling thread outputs them after the threads have ended.
 */
#define _POSIX_C_SOURCE 200809L

#include "ivp/ensemble.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

enum { SLOT_FREE = 0, SLOT_BUSY, SLOT_DONE };

/* Yields before a worker sleeps on a full window. */
#define ENS_SPINS 64
/* Bytes kept between data that different workers write (two 64-byte lines: adjacent-line
 * prefetch). Without it, -j 2 ran at half speed for some heap layouts (false sharing). */
#define ENS_PAD 128

typedef struct ens_slot {
    atomic_int state;
    ivp_memsink data;
    ivp_result res;
    double t0, t_end;
    double *y0;                 /* n */
    double *params;             /* np */
    unsigned char pad[ENS_PAD]; /* no cache line shared with the next slot */
} ens_slot;

typedef struct ens_run ens_run;

typedef struct ens_worker {
    ens_run *run;
    ivp_system sys;
    ivp_ctx ctx;
    double *params;
    ivp_solver *solver;
    pthread_t thread;
    void *spacer;
    int started;
    unsigned char pad[ENS_PAD]; /* no cache line shared with the next worker */
} ens_worker;

struct ens_run {
    const ivp_ensemble_config *cfg;
    size_t window;
    ens_slot *slots;
    ens_worker *workers;
    atomic_size_t next_claim; /* the next member to start */
    atomic_size_t next_out;   /* the next member to output (written by the drainer only) */
    atomic_int stopped;       /* no member is claimed any more */
    atomic_int draining;      /* a thread holds the output role */
    atomic_size_t n_waiting;  /* workers asleep on 'freed' */
    pthread_mutex_t lock;     /* for 'freed' and 'go' only */
    pthread_cond_t freed;     /* next_out moved, stopped was set, or go */
    int go;                   /* the threads may start (all were created, or one failed) */
    /* the drainer's (passed from drainer to drainer through 'draining') */
    int out_failed; /* output returned non-zero: nothing more is output */
    ivp_error oerr; /* output's error */
    ivp_ensemble_summary sum;
};

static int ens_interrupted(const ivp_ensemble_config *cfg)
{
    return cfg->interrupt != NULL && *cfg->interrupt != 0;
}

static void ens_fail_result(ivp_result *res, int status, const char *msg)
{
    memset(res, 0, sizeof *res);
    res->status = status;
    snprintf(res->message, sizeof res->message, "%s", msg);
}

/* Solves member k into slot s on worker w. */
static void ens_solve(ens_worker *w, size_t k, ens_slot *s)
{
    const ivp_ensemble_config *cfg = w->run->cfg;
    ivp_ensemble_job job;
    ivp_error err;
    ivp_sink sink;
    size_t n = cfg->sys->n;
    int inited = 0, rc;

    s->data.n_points = 0;
    s->data.n_ev = 0;
    s->data.n_seg = 0;
    s->data.failed = 0;
    memset(&job, 0, sizeof job);
    job.params = w->params;
    job.opt = *cfg->opt;
    ivp_error_clear(&err);
    if (cfg->member(cfg->ud, k, &job, &err) != IVP_OK) {
        ens_fail_result(&s->res, -1, err.msg[0] != '\0' ? err.msg : "the member is invalid");
        s->t0 = job.t0;
        s->t_end = job.t_end;
        memcpy(s->params, w->params, cfg->np * sizeof *s->params);
        return;
    }
    s->t0 = job.t0;
    s->t_end = job.t_end;
    if (job.y0 != NULL) {
        memcpy(s->y0, job.y0, n * sizeof *s->y0);
    }
    memcpy(s->params, w->params, cfg->np * sizeof *s->params);
    job.opt.interrupt = cfg->interrupt;
    w->ctx.data = NULL;
    if (cfg->init != NULL) {
        rc = cfg->init(&w->ctx);
        if (rc != 0) {
            char msg[64];
            snprintf(msg, sizeof msg, "ivp_init failed with code %d", rc);
            ens_fail_result(&s->res, -1, msg);
            return;
        }
        inited = 1;
    }
    if (ivp_solver_reset(w->solver, job.t0, job.t_end, job.y0, &job.opt, &err) != IVP_OK) {
        ens_fail_result(&s->res, -1, err.msg);
    } else {
        sink = ivp_memsink_sink(&s->data);
        ivp_solver_run(w->solver, &sink, &s->res, &err);
    }
    if (inited && cfg->fini != NULL) {
        cfg->fini(&w->ctx);
    }
}

void ivp_ensemble_summary_add(ivp_ensemble_summary *sum, const ivp_result *res)
{
    if (res->status >= 0) {
        sum->n_ok++;
    } else if (res->status == -2) {
        sum->n_interrupted++;
    } else {
        sum->n_failed++;
    }
    sum->solve_seconds += res->solve_seconds;
}

static void ens_wake(ens_run *r)
{
    if (atomic_load(&r->n_waiting) > 0) {
        pthread_mutex_lock(&r->lock);
        pthread_cond_broadcast(&r->freed);
        pthread_mutex_unlock(&r->lock);
    }
}

static void ens_stop(ens_run *r)
{
    atomic_store(&r->stopped, 1);
    ens_wake(r);
}

/* Called after a slot became done: if member next_out is finished and no thread holds the
 * output role, takes it and outputs, in order, every finished member from next_out on. After
 * giving the role back, looks again: a member that became done meanwhile, whose worker saw the
 * role taken, is output now (by this thread or that one). */
static void ens_try_drain(ens_run *r)
{
    const ivp_ensemble_config *cfg = r->cfg;
    for (;;) {
        size_t k = atomic_load(&r->next_out);
        int idle = 0;
        if (atomic_load(&r->slots[k % r->window].state) != SLOT_DONE ||
            !atomic_compare_exchange_strong(&r->draining, &idle, 1)) {
            return;
        }
        for (;;) {
            ens_slot *s;
            ivp_ensemble_out out;
            int rc;
            k = atomic_load(&r->next_out);
            s = &r->slots[k % r->window];
            /* slot k % window holds member k or nothing: k + window is not claimed yet */
            if (r->out_failed || atomic_load(&s->state) != SLOT_DONE) {
                break;
            }
            out.k = k;
            out.res = &s->res;
            out.data = &s->data;
            out.t0 = s->t0;
            out.t_end = s->t_end;
            out.y0 = s->y0;
            out.params = s->params;
            rc = cfg->output(cfg->ud, &out, &r->oerr);
            ivp_ensemble_summary_add(&r->sum, &s->res);
            atomic_store(&s->state, SLOT_FREE);
            if (rc != 0) {
                r->out_failed = 1;
                atomic_store(&r->stopped, 1);
            }
            atomic_store(&r->next_out, k + 1);
            ens_wake(r);
        }
        atomic_store(&r->draining, 0);
        if (r->out_failed) {
            return;
        }
    }
}

/* The window is full for member k: yields a while, then sleeps until next_out moves. Member
 * next_out is being solved by another worker, which outputs it when it is done. */
static void ens_wait_window(ens_run *r, size_t k)
{
    int i;
    for (i = 0; i < ENS_SPINS; i++) {
        if (k < atomic_load(&r->next_out) + r->window || atomic_load(&r->stopped)) {
            return;
        }
        sched_yield();
    }
    pthread_mutex_lock(&r->lock);
    atomic_fetch_add(&r->n_waiting, 1);
    while (k >= atomic_load(&r->next_out) + r->window && !atomic_load(&r->stopped)) {
        pthread_cond_wait(&r->freed, &r->lock);
    }
    atomic_fetch_sub(&r->n_waiting, 1);
    pthread_mutex_unlock(&r->lock);
}

/* A worker (the calling thread is worker 0): claims the next member, solves it, marks it done
 * and outputs what is in order (ens_try_drain). */
static void *ens_worker_main(void *arg)
{
    ens_worker *w = arg;
    ens_run *r = w->run;
    const ivp_ensemble_config *cfg = r->cfg;
    if (w != &r->workers[0]) {
        pthread_mutex_lock(&r->lock);
        while (!r->go) {
            pthread_cond_wait(&r->freed, &r->lock);
        }
        pthread_mutex_unlock(&r->lock);
    }
    for (;;) {
        size_t k;
        ens_slot *s;
        if (!atomic_load(&r->stopped) && ens_interrupted(cfg)) {
            ens_stop(r);
        }
        if (atomic_load(&r->stopped)) {
            break;
        }
        k = atomic_load(&r->next_claim);
        if (k >= cfg->n_members) {
            break;
        }
        if (k >= atomic_load(&r->next_out) + r->window) {
            ens_wait_window(r, k);
            continue;
        }
        if (!atomic_compare_exchange_weak(&r->next_claim, &k, k + 1)) {
            continue;
        }
        s = &r->slots[k % r->window];
        atomic_store(&s->state, SLOT_BUSY);
        ens_solve(w, k, s);
        atomic_store(&s->state, SLOT_DONE);
        ens_try_drain(r);
    }
    return NULL;
}

/* Member k that was never started: its spec values and status -2. */
static int ens_output_unstarted(ens_run *r, size_t k, ens_slot *s, double *params, ivp_error *err)
{
    const ivp_ensemble_config *cfg = r->cfg;
    ivp_ensemble_job job;
    ivp_ensemble_out out;
    ivp_error merr;
    memset(&job, 0, sizeof job);
    job.params = params;
    job.opt = *cfg->opt;
    s->data.n_points = s->data.n_ev = s->data.n_seg = 0;
    ens_fail_result(&s->res, -2, "interrupted before this member was started");
    ivp_error_clear(&merr);
    if (cfg->member(cfg->ud, k, &job, &merr) == IVP_OK && job.y0 != NULL) {
        memcpy(s->y0, job.y0, cfg->sys->n * sizeof *s->y0);
    }
    memcpy(s->params, params, cfg->np * sizeof *params);
    out.k = k;
    out.res = &s->res;
    out.data = &s->data;
    out.t0 = job.t0;
    out.t_end = job.t_end;
    out.y0 = s->y0;
    out.params = s->params;
    return cfg->output(cfg->ud, &out, err);
}

ivp_status ivp_ensemble_run(const ivp_ensemble_config *cfg, ivp_ensemble_summary *sum,
                            ivp_error *err)
{
    ens_run r;
    ivp_ensemble_summary local;
    const ivp_allocator *a;
    ivp_status st = IVP_OK;
    size_t i, k, n, np, nw, np_alloc;
    double *spare = NULL;
    unsigned deg;
    int sync = 0;

    if (sum == NULL) {
        sum = &local;
    }
    memset(sum, 0, sizeof *sum);
    if (cfg == NULL || cfg->sys == NULL || cfg->opt == NULL || cfg->member == NULL ||
        cfg->output == NULL || cfg->n_workers == 0 || cfg->sys->n == 0) {
        return ivp_error_set(err, IVP_ERR_ARG,
                             "ivp_ensemble_run: sys, opt, member, output and n_workers >= 1 "
                             "are required");
    }
    memset(&r, 0, sizeof r);
    r.cfg = cfg;
    a = cfg->opt->alloc;
    n = cfg->sys->n;
    np = cfg->np;
    np_alloc = np > 0 ? np : 1;
    nw = cfg->n_workers;
    if (cfg->n_members > 0 && nw > cfg->n_members) {
        nw = cfg->n_members;
    }
    r.window = cfg->window != 0 ? cfg->window : 4 * nw;
    if (r.window < nw) {
        r.window = nw;
    }
    deg = ivp_method_dense_degree(cfg->opt->method != NULL ? cfg->opt->method : "RK45");
    r.slots = ivp_calloc(a, r.window, sizeof *r.slots);
    r.workers = ivp_calloc(a, nw, sizeof *r.workers);
    spare = ivp_calloc(a, np_alloc, sizeof *spare);
    if (r.slots == NULL || r.workers == NULL || spare == NULL) {
        st = ivp_error_set(err, IVP_ERR_NOMEM, "ivp_ensemble_run: out of memory");
        goto done;
    }
    for (i = 0; i < r.window; i++) {
        ens_slot *s = &r.slots[i];
        if (ivp_memsink_init(&s->data, n, deg, a, 0, 0, 0) != IVP_OK ||
            (s->y0 = ivp_calloc(a, n, sizeof *s->y0)) == NULL ||
            (s->params = ivp_calloc(a, np_alloc, sizeof *s->params)) == NULL) {
            st = ivp_error_set(err, IVP_ERR_NOMEM, "ivp_ensemble_run: out of memory");
            goto done;
        }
    }
    for (i = 0; i < nw; i++) {
        ens_worker *w = &r.workers[i];
        w->run = &r;
        w->params = ivp_calloc(a, np_alloc, sizeof *w->params);
        if (w->params == NULL) {
            st = ivp_error_set(err, IVP_ERR_NOMEM, "ivp_ensemble_run: out of memory");
            goto done;
        }
        w->ctx.n = n;
        w->ctx.p = w->params;
        w->ctx.np = np;
        w->ctx.data = NULL;
        w->sys = *cfg->sys;
        w->sys.ctx = &w->ctx;
        w->solver = ivp_solver_new(&w->sys, cfg->opt, err);
        /* keeps the next worker's solver off this one's last cache lines (heap blocks made
         * one after the other are usually adjacent); not having it is harmless */
        w->spacer = ivp_calloc(a, ENS_PAD, 1);
        if (w->solver == NULL) {
            st = err != NULL ? err->status : IVP_ERR_ARG;
            goto done;
        }
    }
    if (pthread_mutex_init(&r.lock, NULL) != 0) {
        st = ivp_error_set(err, IVP_ERR_INTERNAL, "ivp_ensemble_run: cannot make a mutex");
        goto done;
    }
    if (pthread_cond_init(&r.freed, NULL) != 0) {
        pthread_mutex_destroy(&r.lock);
        st = ivp_error_set(err, IVP_ERR_INTERNAL, "ivp_ensemble_run: cannot make a condition");
        goto done;
    }
    sync = 1;
    ivp_error_clear(&r.oerr);
    for (i = 0; i < r.window; i++) {
        atomic_init(&r.slots[i].state, SLOT_FREE);
    }
    atomic_init(&r.next_claim, 0);
    atomic_init(&r.next_out, 0);
    atomic_init(&r.stopped, 0);
    atomic_init(&r.draining, 0);
    atomic_init(&r.n_waiting, 0);
    /* Workers 1..nw-1 are threads, worker 0 is this thread. The threads wait for 'go' until
     * every one is started: if one cannot be, nothing is claimed and nothing is output. */
    for (i = 1; i < nw; i++) {
        if (pthread_create(&r.workers[i].thread, NULL, ens_worker_main, &r.workers[i]) != 0) {
            atomic_store(&r.stopped, 1);
            st = ivp_error_set(err, IVP_ERR_INTERNAL, "ivp_ensemble_run: cannot start a thread");
            break;
        }
        r.workers[i].started = 1;
    }
    pthread_mutex_lock(&r.lock);
    r.go = 1;
    pthread_cond_broadcast(&r.freed);
    pthread_mutex_unlock(&r.lock);
    if (st == IVP_OK) {
        ens_worker_main(&r.workers[0]);
    }
    for (i = 1; i < nw; i++) {
        if (r.workers[i].started) {
            pthread_join(r.workers[i].thread, NULL);
            r.workers[i].started = 0;
        }
    }

    /* Every thread has ended: what is finished but not yet output (nothing, unless the output
     * failed), then the members never started (after an interrupt), in order. */
    if (st == IVP_OK) {
        ens_try_drain(&r);
    }
    for (k = atomic_load(&r.next_out); st == IVP_OK && !r.out_failed && k < cfg->n_members; k++) {
        ens_slot *s = &r.slots[k % r.window];
        int rc = ens_output_unstarted(&r, k, s, spare, &r.oerr);
        ivp_ensemble_summary_add(&r.sum, &s->res);
        atomic_store(&r.next_out, k + 1);
        if (rc != 0) {
            r.out_failed = 1;
        }
    }
    if (st == IVP_OK && r.out_failed) {
        st = IVP_ERR_IO;
        if (err != NULL) {
            *err = r.oerr;
            err->status = IVP_ERR_IO;
        }
    }
    *sum = r.sum;

done:
    if (sync) {
        pthread_cond_destroy(&r.freed);
        pthread_mutex_destroy(&r.lock);
    }
    if (r.workers != NULL) {
        for (i = 0; i < nw; i++) {
            ivp_solver_free(r.workers[i].solver);
            ivp_free(a, r.workers[i].spacer);
            ivp_free(a, r.workers[i].params);
        }
    }
    if (r.slots != NULL) {
        for (i = 0; i < r.window; i++) {
            ivp_memsink_free(&r.slots[i].data);
            ivp_free(a, r.slots[i].y0);
            ivp_free(a, r.slots[i].params);
        }
    }
    ivp_free(a, r.workers);
    ivp_free(a, r.slots);
    ivp_free(a, spare);
    return st;
}
