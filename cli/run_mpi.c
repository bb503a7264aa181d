/* SPDX-License-Identifier: MIT
 * cli/run_mpi.c - an ensemble over MPI ranks (built with -DIVP_MPI=ON; see run_mpi.h).
 *
 * Rank 0 is the coordinator and the only writer: it hands out members in contiguous batches on
 * request, receives each finished member as one record, and passes the records to the caller's
 * output (the ensemble writer) strictly in member order, so the file is the threaded run's.
 * Every rank, rank 0 included, runs the threaded engine (ivp_ensemble_run, its -j threads) on
 * the stream of members it is handed: the engine's local member i is the i-th member this rank
 * received (a "grant" maps a run of local indices to global ones), and its in-order output sends
 * each record to rank 0 (on rank 0: copies it into the coordinator's slot).
 *
 * Balancing: a rank asks for more only when its threads are about to need members (it keeps
 * one request ahead: the next REQUEST goes out once the members it holds but has not started
 * are no more than its last grant, so the round trip overlaps solving), so a rank stuck on
 * stiff members asks for none; batches are guided (remaining / (4 x threads), at most
 * W / (4 P)) so they shrink toward the end. Memory: rank 0 hands out member k only when
 * k < next_out + W (W reorder slots, each keeping its buffer), so it holds at most W records,
 * and a rank whose request cannot be served waits (polling, so its threads can still send).
 *
 * Rank 0 has no polling coordinator thread: mpirun binds each rank to one core by default,
 * and such a thread shares it with rank 0's engine (a rank-1 request then waited ~10 ms for
 * the scheduler, so rank 1 solved a tenth of the members). The coordinator's work, the
 * "service" (take in messages, answer requests, output members in order), runs under a
 * mutex on whichever rank-0 thread gets there: the engine's member callback as each member
 * starts, an engine thread that waits for the window, and the main thread as a
 * watchdog (every millisecond, if no one else did) and after rank 0's engine is done.
 *
 * Messages (MPI_COMM_WORLD, rank r <-> 0): REQUEST (an int); GRANT {first, count} (count 0:
 * nothing more); RESULT (a record: rec_head, then doubles y0, params, t, y, ev_t, ev_y, seg_t,
 * seg_c, then size_t ev_k; ranks run the same binary on the same architecture); DONE after a
 * rank's last RESULT; ERROR (text) in place of DONE when a rank's engine failed, which fails
 * the run (rank 0 stops handing out, drains the other ranks and returns the error).
 *
 * Interrupts: each rank polls its own signal flag (mpirun forwards SIGUSR1 to every rank; Slurm
 * forwards SIGINT/SIGTERM). Running members stop with status -2, rank 0 hands out nothing more,
 * and members never handed out are written with status -2, as the threaded engine does.
 *
 * MPI calls: on rank 0 the thread running the service (under its mutex); on the other ranks the
 * engine's threads, under one mutex (MPI_THREAD_SERIALIZED).
 */
#include "run_mpi.h"

#include <mpi.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ivp/solve.h"
#include "ivp/status.h"

#include "cli.h"

enum { TAG_REQUEST = 1, TAG_GRANT, TAG_RESULT, TAG_DONE, TAG_ERROR };
enum { SLOT_FREE = 0, SLOT_BUSY, SLOT_DONE };

static int mpi_active;
static int mpi_rank_ = 0;
static int mpi_size_ = 1;
/* Rank 0, after an ensemble: the members handed to each rank, and -j. */
static size_t *mpi_per_rank;
static size_t mpi_jobs;

int run_mpi_init(int *argc, char ***argv)
{
    int provided = 0;
    if (getenv("OMPI_COMM_WORLD_SIZE") == NULL && getenv("PMIX_RANK") == NULL &&
        getenv("PMI_RANK") == NULL) {
        return IVP_EXIT_OK;
    }
    if (MPI_Init_thread(argc, argv, MPI_THREAD_SERIALIZED, &provided) != MPI_SUCCESS) {
        cli_error("MPI_Init_thread failed (started by an MPI launcher: OMPI_COMM_WORLD_SIZE, "
                  "PMIX_RANK or PMI_RANK is set)");
        return IVP_EXIT_SOLVER;
    }
    mpi_active = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &mpi_rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &mpi_size_);
    if (provided < MPI_THREAD_SERIALIZED) {
        cli_error("the MPI library does not support threads (MPI_THREAD_SERIALIZED)");
        MPI_Finalize();
        mpi_active = 0;
        return IVP_EXIT_SOLVER;
    }
    return IVP_EXIT_OK;
}

void run_mpi_print_summary(FILE *f)
{
    int r;
    if (mpi_per_rank == NULL) {
        return;
    }
    fprintf(f, "ivp: MPI: %d ranks x -j %zu; members per rank:", mpi_size_, mpi_jobs);
    for (r = 0; r < mpi_size_; r++) {
        fprintf(f, " %zu", mpi_per_rank[r]);
    }
    fputc('\n', f);
}

void run_mpi_finalize(void)
{
    free(mpi_per_rank);
    mpi_per_rank = NULL;
    if (mpi_active) {
        MPI_Finalize();
        mpi_active = 0;
    }
}

int run_mpi_rank(void)
{
    return mpi_rank_;
}

int run_mpi_size(void)
{
    return mpi_size_;
}

/* Waits a little: yields first, then sleeps 20 us doubling to 500 us; *spins counts. */
static void mpi_pause(unsigned *spins)
{
    struct timespec ts;
    long ns;
    if (*spins < 8) {
        (*spins)++;
        sched_yield();
        return;
    }
    ns = 20000L << (*spins - 8 < 5 ? *spins - 8 : 5);
    if (ns > 500000L) {
        ns = 500000L;
    }
    (*spins)++;
    ts.tv_sec = 0;
    ts.tv_nsec = ns;
    nanosleep(&ts, NULL);
}

/* ---- records: one finished member as bytes ------------------------------------------------ */

typedef struct mpi_buf {
    unsigned char *p;
    size_t len, cap;
} mpi_buf;

static int buf_reserve(mpi_buf *b, size_t len)
{
    unsigned char *q;
    size_t cap;
    if (len <= b->cap) {
        return 0;
    }
    cap = b->cap * 2 > len ? b->cap * 2 : len;
    q = realloc(b->p, cap);
    if (q == NULL) {
        return -1;
    }
    b->p = q;
    b->cap = cap;
    return 0;
}

typedef struct mpi_shape {
    size_t n, np;
    unsigned deg;
    const char *const *stat_names; /* the method's (NULL-terminated), or NULL */
} mpi_shape;

typedef struct rec_head {
    uint64_t k, n_points, n_ev, n_seg;
    double t0, t_end;
    ivp_result res;
} rec_head;

static size_t rec_size(const mpi_shape *sh, size_t n_points, size_t n_ev, size_t n_seg)
{
    size_t n = sh->n, nd;
    nd = n + sh->np + n_points * (1 + n) + n_ev * (1 + n) + n_seg * (2 + (sh->deg + 1) * n);
    return sizeof(rec_head) + nd * sizeof(double) + n_ev * sizeof(size_t);
}

static unsigned char *rec_put(unsigned char *q, const void *src, size_t bytes)
{
    if (bytes > 0) {
        memcpy(q, src, bytes);
    }
    return q + bytes;
}

/* Packs member k (out->k is the engine's local index) into b. */
static int rec_pack(const mpi_shape *sh, mpi_buf *b, size_t k, const ivp_ensemble_out *out)
{
    const ivp_memsink *d = out->data;
    size_t n = sh->n, len = rec_size(sh, d->n_points, d->n_ev, d->n_seg);
    unsigned char *q;
    rec_head h;
    if (buf_reserve(b, len) != 0) {
        return -1;
    }
    memset(&h, 0, sizeof h);
    h.k = k;
    h.n_points = d->n_points;
    h.n_ev = d->n_ev;
    h.n_seg = d->n_seg;
    h.t0 = out->t0;
    h.t_end = out->t_end;
    h.res = *out->res;
    q = rec_put(b->p, &h, sizeof h);
    q = rec_put(q, out->y0, n * sizeof(double));
    q = rec_put(q, out->params, sh->np * sizeof(double));
    q = rec_put(q, d->t, d->n_points * sizeof(double));
    q = rec_put(q, d->y, d->n_points * n * sizeof(double));
    q = rec_put(q, d->ev_t, d->n_ev * sizeof(double));
    q = rec_put(q, d->ev_y, d->n_ev * n * sizeof(double));
    q = rec_put(q, d->seg_t, d->n_seg * 2 * sizeof(double));
    q = rec_put(q, d->seg_c, d->n_seg * (sh->deg + 1) * n * sizeof(double));
    q = rec_put(q, d->ev_k, d->n_ev * sizeof(size_t));
    b->len = (size_t)(q - b->p);
    return 0;
}

/* A record seen as the engine's output (pointing into the record's buffer). */
typedef struct rec_view {
    ivp_ensemble_out out;
    ivp_memsink data;
    ivp_result res;
} rec_view;

static double *rec_doubles(unsigned char *p, size_t *off, size_t count)
{
    double *d = (double *)(void *)(p + *off);
    *off += count * sizeof(double);
    return count > 0 ? d : NULL;
}

/* Returns 0, or -1 when the bytes are not a record of this shape. */
static int rec_unpack(const mpi_shape *sh, unsigned char *p, size_t len, rec_view *v)
{
    rec_head h;
    size_t off = sizeof h, n = sh->n, i;
    if (len < sizeof h) {
        return -1;
    }
    memcpy(&h, p, sizeof h);
    if (h.n_points > len || h.n_ev > len || h.n_seg > len ||
        len != rec_size(sh, (size_t)h.n_points, (size_t)h.n_ev, (size_t)h.n_seg) ||
        h.res.n_stats > IVP_MAX_STATS) {
        return -1;
    }
    memset(v, 0, sizeof *v);
    v->res = h.res;
    /* The names are pointers into the sender's binary: take this process's own. */
    for (i = 0; i < v->res.n_stats; i++) {
        v->res.stats[i].name = "";
    }
    for (i = 0; sh->stat_names != NULL && sh->stat_names[i] != NULL && i < v->res.n_stats; i++) {
        v->res.stats[i].name = sh->stat_names[i];
    }
    v->data.n = n;
    v->data.deg = sh->deg;
    v->data.n_points = v->data.cap_points = (size_t)h.n_points;
    v->data.n_ev = v->data.cap_ev = (size_t)h.n_ev;
    v->data.n_seg = v->data.cap_seg = (size_t)h.n_seg;
    v->out.y0 = rec_doubles(p, &off, n);
    v->out.params = rec_doubles(p, &off, sh->np);
    v->data.t = rec_doubles(p, &off, v->data.n_points);
    v->data.y = rec_doubles(p, &off, v->data.n_points * n);
    v->data.ev_t = rec_doubles(p, &off, v->data.n_ev);
    v->data.ev_y = rec_doubles(p, &off, v->data.n_ev * n);
    v->data.seg_t = rec_doubles(p, &off, v->data.n_seg * 2);
    v->data.seg_c = rec_doubles(p, &off, v->data.n_seg * (sh->deg + 1) * n);
    v->data.ev_k = v->data.n_ev > 0 ? (size_t *)(void *)(p + off) : NULL;
    v->out.k = (size_t)h.k;
    v->out.res = &v->res;
    v->out.data = &v->data;
    v->out.t0 = h.t0;
    v->out.t_end = h.t_end;
    return 0;
}

/* ---- the coordinator's state (rank 0) ----------------------------------------------------- */

/* ---- the coordinator's state (rank 0) ----------------------------------------------------- */

typedef struct mpi_slot {
    int state;
    mpi_buf rec;
} mpi_slot;

typedef struct mpi_coord {
    const ivp_ensemble_config *cfg;
    ivp_ensemble_summary *sum;
    mpi_shape sh;
    size_t K, W, P, threads, batch_max;
    mpi_slot *slots;
    pthread_mutex_t lock; /* next_hand, next_out, stopped, slot states */
    size_t next_hand, next_out;
    int stopped;
    /* The service (coord_service) and what only it touches, under svc: */
    pthread_mutex_t svc;
    size_t active;   /* other ranks not yet DONE (or ERROR) */
    char *pending;   /* pending[r]: rank r asked and has no answer yet */
    mpi_buf scratch; /* receives the next record */
    double *spare_p, *spare_y;
    ivp_status fst; /* the run's first failure */
    ivp_error ferr;
    unsigned long n_service; /* services so far (the watchdog's clock) */
} mpi_coord;

static void coord_stop(mpi_coord *c)
{
    pthread_mutex_lock(&c->lock);
    c->stopped = 1;
    pthread_mutex_unlock(&c->lock);
}

/* Under the lock: decides a grant (1; count 0 means nothing more) or that it must wait for
 * the window (0). */
static int coord_take(mpi_coord *c, size_t *first, size_t *count)
{
    size_t rem, room, b, i;
    *first = 0;
    *count = 0;
    if (c->stopped || c->next_hand >= c->K) {
        return 1;
    }
    room = c->next_out + c->W - c->next_hand;
    if (room == 0) {
        return 0;
    }
    rem = c->K - c->next_hand;
    b = rem / (4 * c->threads);
    if (b > c->batch_max) {
        b = c->batch_max;
    }
    if (b > room) {
        b = room;
    }
    if (b < 1) {
        b = 1;
    }
    *first = c->next_hand;
    *count = b;
    for (i = 0; i < b; i++) {
        c->slots[(c->next_hand + i) % c->W].state = SLOT_BUSY;
    }
    c->next_hand += b;
    return 1;
}

/* Member k, never handed out (the run was stopped): its spec values and status -2, as the
 * threaded engine writes it. */
static int coord_output_unstarted(mpi_coord *c, size_t k, ivp_error *err)
{
    const ivp_ensemble_config *cfg = c->cfg;
    ivp_ensemble_job job;
    ivp_ensemble_out out;
    ivp_memsink data;
    ivp_result res;
    ivp_error merr;
    memset(&job, 0, sizeof job);
    job.params = c->spare_p;
    job.opt = *cfg->opt;
    memset(&res, 0, sizeof res);
    res.status = -2;
    snprintf(res.message, sizeof res.message, "%s", "interrupted before this member was started");
    memset(&data, 0, sizeof data);
    data.n = c->sh.n;
    data.deg = c->sh.deg;
    ivp_error_clear(&merr);
    if (cfg->member(cfg->ud, k, &job, &merr) == IVP_OK && job.y0 != NULL) {
        memcpy(c->spare_y, job.y0, c->sh.n * sizeof *c->spare_y);
    }
    out.k = k;
    out.res = &res;
    out.data = &data;
    out.t0 = job.t0;
    out.t_end = job.t_end;
    out.y0 = c->spare_y;
    out.params = c->spare_p;
    ivp_ensemble_summary_add(c->sum, &res);
    return cfg->output(cfg->ud, &out, err);
}

/* Under svc: receives the message that stat describes. */
static void coord_receive(mpi_coord *c, const MPI_Status *stat)
{
    int src = stat->MPI_SOURCE, dummy, nbytes;
    switch (stat->MPI_TAG) {
    case TAG_REQUEST:
        MPI_Recv(&dummy, 1, MPI_INT, src, TAG_REQUEST, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        c->pending[src] = 1;
        break;
    case TAG_RESULT: {
        rec_view v;
        mpi_slot *slot;
        mpi_buf tmp;
        MPI_Get_count(stat, MPI_BYTE, &nbytes);
        if (nbytes < 0 || buf_reserve(&c->scratch, (size_t)nbytes) != 0) {
            cli_error("rank 0: out of memory for a member of %d bytes from rank %d", nbytes, src);
            MPI_Abort(MPI_COMM_WORLD, IVP_EXIT_SOLVER);
        }
        MPI_Recv(c->scratch.p, nbytes, MPI_BYTE, src, TAG_RESULT, MPI_COMM_WORLD,
                 MPI_STATUS_IGNORE);
        c->scratch.len = (size_t)nbytes;
        if (rec_unpack(&c->sh, c->scratch.p, c->scratch.len, &v) != 0 || v.out.k >= c->K) {
            cli_error("rank 0: rank %d sent a malformed member record", src);
            MPI_Abort(MPI_COMM_WORLD, IVP_EXIT_SOLVER);
        }
        slot = &c->slots[v.out.k % c->W];
        tmp = slot->rec;
        slot->rec = c->scratch;
        c->scratch = tmp;
        pthread_mutex_lock(&c->lock);
        slot->state = SLOT_DONE;
        pthread_mutex_unlock(&c->lock);
        break;
    }
    case TAG_DONE:
        MPI_Recv(&dummy, 1, MPI_INT, src, TAG_DONE, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        c->active--;
        break;
    case TAG_ERROR: {
        char msg[IVP_ERROR_MSG_MAX + 32];
        MPI_Get_count(stat, MPI_CHAR, &nbytes);
        if (nbytes <= 0 || (size_t)nbytes > sizeof msg) {
            nbytes = (int)sizeof msg;
        }
        MPI_Recv(msg, nbytes, MPI_CHAR, src, TAG_ERROR, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        msg[sizeof msg - 1] = '\0';
        msg[nbytes - 1] = '\0';
        if (c->fst == IVP_OK) {
            c->fst = ivp_error_set(&c->ferr, IVP_ERR_INTERNAL, "%s", msg);
        }
        coord_stop(c);
        c->active--;
        break;
    }
    default:
        cli_error("rank 0: unexpected message (tag %d) from rank %d", stat->MPI_TAG, src);
        MPI_Abort(MPI_COMM_WORLD, IVP_EXIT_SOLVER);
    }
}

/* Under svc: takes in every message there is, answers the requests that can be answered and
 * outputs the members next in line. Returns 1 when it did something. */
static int coord_service(mpi_coord *c)
{
    const ivp_ensemble_config *cfg = c->cfg;
    int progress = 0, n;
    size_t i;
    c->n_service++;
    if (cfg->interrupt != NULL && *cfg->interrupt != 0) {
        coord_stop(c);
    }
    for (n = 0; n < 256; n++) {
        MPI_Status stat;
        int flag = 0;
        MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &stat);
        if (!flag) {
            break;
        }
        coord_receive(c, &stat);
        progress = 1;
    }
    for (i = 1; i < c->P; i++) {
        size_t first, count;
        int ok;
        if (!c->pending[i]) {
            continue;
        }
        pthread_mutex_lock(&c->lock);
        ok = coord_take(c, &first, &count);
        pthread_mutex_unlock(&c->lock);
        if (ok) {
            unsigned long long msg[2];
            if (mpi_per_rank != NULL) {
                mpi_per_rank[i] += count;
            }
            msg[0] = first;
            msg[1] = count;
            MPI_Send(msg, 2, MPI_UNSIGNED_LONG_LONG, (int)i, TAG_GRANT, MPI_COMM_WORLD);
            c->pending[i] = 0;
            progress = 1;
        }
    }
    /* Members in order, as far as they are there. */
    while (c->next_out < c->K) {
        size_t k = c->next_out;
        mpi_slot *slot = NULL;
        int ready, rc = 0;
        pthread_mutex_lock(&c->lock);
        if (k < c->next_hand) {
            slot = &c->slots[k % c->W];
            ready = slot->state == SLOT_DONE;
        } else {
            ready = c->stopped ? 2 : 0;
        }
        pthread_mutex_unlock(&c->lock);
        if (!ready) {
            break;
        }
        if (c->fst == IVP_OK) {
            if (ready == 1) {
                rec_view v;
                if (rec_unpack(&c->sh, slot->rec.p, slot->rec.len, &v) != 0 || v.out.k != k) {
                    c->fst = ivp_error_set(&c->ferr, IVP_ERR_INTERNAL,
                                           "rank 0: member %zu: malformed record", k);
                } else {
                    ivp_ensemble_summary_add(c->sum, &v.res);
                    rc = cfg->output(cfg->ud, &v.out, &c->ferr);
                }
            } else {
                rc = coord_output_unstarted(c, k, &c->ferr);
            }
            if (rc != 0) {
                c->fst = IVP_ERR_IO;
                c->ferr.status = IVP_ERR_IO;
            }
        }
        pthread_mutex_lock(&c->lock);
        if (ready == 1) {
            slot->state = SLOT_FREE;
        }
        c->next_out = k + 1;
        if (c->fst != IVP_OK) {
            c->stopped = 1;
        }
        pthread_mutex_unlock(&c->lock);
        progress = 1;
    }
    return progress;
}

/* From rank 0's engine threads, as each starts a member: runs the service unless another thread is
 * running it. */
static void coord_poke(mpi_coord *c)
{
    if (pthread_mutex_trylock(&c->svc) == 0) {
        (void)coord_service(c);
        pthread_mutex_unlock(&c->svc);
    }
}

/* ---- one rank's engine over the members it is handed -------------------------------------- */

typedef struct mpi_grant {
    size_t local, global, count;
} mpi_grant;

/* Other ranks send their records with MPI_Isend from a ring of this many buffers: a blocking
 * MPI_Send returns only once rank 0 has taken the message in (OpenMPI's shared-memory transport
 * waits for the receiver to hand the fragment back even below its eager limit), which cost
 * rank 1 ~13 us per member, a fifth of its time, on members of ~45 us. */
enum { SENDQ = 8 };

typedef struct mpi_stream {
    const ivp_ensemble_config *cfg; /* the caller's */
    mpi_shape sh;
    mpi_coord *coord;     /* rank 0: the coordinator in this process; else NULL */
    pthread_mutex_t lock; /* grants, n_mapped, fetching, requested, ended */
    pthread_cond_t cond;  /* a fetch finished */
    mpi_grant *grants;    /* runs of local indices not yet output, in order */
    size_t n_grants, cap_grants;
    size_t n_mapped;   /* local members 0..n_mapped-1 have their global index */
    size_t last_count; /* the size of the last grant */
    int fetching;      /* a thread waits for a grant (the others wait for it) */
    int requested;     /* other ranks: a REQUEST is out and its GRANT not yet received */
    int ended;
    int end_seen;             /* the output reached the first local member without one */
    pthread_mutex_t mpi_lock; /* other ranks: serialises MPI calls */
    mpi_buf send[SENDQ];      /* other ranks: records being sent (by the output, in turn) */
    MPI_Request sreq[SENDQ];
    size_t n_sent; /* records sent so far; the next goes out from send[n_sent % SENDQ] */
} mpi_stream;

static int stream_lookup(const mpi_stream *s, size_t i, size_t *g)
{
    size_t j;
    for (j = 0; j < s->n_grants; j++) {
        const mpi_grant *gr = &s->grants[j];
        if (i >= gr->local && i < gr->local + gr->count) {
            *g = gr->global + (i - gr->local);
            return 1;
        }
    }
    return 0;
}

static int stream_interrupted(const mpi_stream *s)
{
    return s->cfg->interrupt != NULL && *s->cfg->interrupt != 0;
}

/* Rank 0: the next grant from the coordinator. While the window is full (the members before
 * it are on other ranks), this thread runs the service itself, which takes them in. */
static void stream_fetch_local(mpi_stream *s, size_t *first, size_t *count)
{
    mpi_coord *c = s->coord;
    unsigned spins = 0;
    for (;;) {
        int ok, progress;
        pthread_mutex_lock(&c->lock);
        ok = coord_take(c, first, count);
        if (ok && mpi_per_rank != NULL) {
            mpi_per_rank[0] += *count;
        }
        pthread_mutex_unlock(&c->lock);
        if (ok) {
            return;
        }
        pthread_mutex_lock(&c->svc);
        progress = coord_service(c);
        pthread_mutex_unlock(&c->svc);
        if (progress) {
            spins = 0;
        } else {
            mpi_pause(&spins);
        }
    }
}

/* Other ranks: sends a REQUEST. Returns 0, or -1. */
static int stream_request(mpi_stream *s)
{
    int req = 0, rc;
    pthread_mutex_lock(&s->mpi_lock);
    rc = MPI_Send(&req, 1, MPI_INT, 0, TAG_REQUEST, MPI_COMM_WORLD);
    pthread_mutex_unlock(&s->mpi_lock);
    return rc == MPI_SUCCESS ? 0 : -1;
}

/* Other ranks: receives the GRANT if it is there. Returns 1 (received), 0 (not yet), or -1. */
static int stream_poll_grant(mpi_stream *s, size_t *first, size_t *count)
{
    unsigned long long msg[2];
    int flag = 0, rc;
    pthread_mutex_lock(&s->mpi_lock);
    rc = MPI_Iprobe(0, TAG_GRANT, MPI_COMM_WORLD, &flag, MPI_STATUS_IGNORE);
    if (rc == MPI_SUCCESS && flag) {
        rc = MPI_Recv(msg, 2, MPI_UNSIGNED_LONG_LONG, 0, TAG_GRANT, MPI_COMM_WORLD,
                      MPI_STATUS_IGNORE);
    }
    pthread_mutex_unlock(&s->mpi_lock);
    if (rc != MPI_SUCCESS) {
        return -1;
    }
    if (!flag) {
        return 0;
    }
    *first = (size_t)msg[0];
    *count = (size_t)msg[1];
    return 1;
}

/* Other ranks: waits for the GRANT of the REQUEST that is out, polling (not a blocking
 * receive: the output may need to send meanwhile). Returns 0, or -1. */
static int stream_wait_grant(mpi_stream *s, size_t *first, size_t *count)
{
    unsigned spins = 0;
    int rc;
    while ((rc = stream_poll_grant(s, first, count)) == 0) {
        mpi_pause(&spins);
    }
    return rc == 1 ? 0 : -1;
}

/* Other ranks: waits until the send *r (or MPI_REQUEST_NULL) is complete, polling (the other
 * threads may need MPI meanwhile). Returns 0, or -1. */
static int stream_send_wait(mpi_stream *s, MPI_Request *r)
{
    unsigned spins = 0;
    for (;;) {
        int flag = 0, rc;
        pthread_mutex_lock(&s->mpi_lock);
        rc = MPI_Test(r, &flag, MPI_STATUS_IGNORE);
        pthread_mutex_unlock(&s->mpi_lock);
        if (rc != MPI_SUCCESS) {
            return -1;
        }
        if (flag) {
            return 0;
        }
        mpi_pause(&spins);
    }
}

/* Other ranks: waits until every record sent is complete. Returns 0, or -1. */
static int stream_send_flush(mpi_stream *s)
{
    size_t i;
    int rc = 0;
    for (i = 0; i < SENDQ; i++) {
        if (stream_send_wait(s, &s->sreq[i]) != 0) {
            rc = -1;
        }
    }
    return rc;
}

/* Under s->lock: appends a grant received (rc 0), or ends the stream (nothing more, or a
 * failure: rank 0 then misses the members of that grant and fails the run, as this rank
 * reports ERROR). */
static void stream_add_grant(mpi_stream *s, int rc, size_t first, size_t count)
{
    if (rc == 0 && count > 0 && s->n_grants == s->cap_grants) {
        size_t cap = s->cap_grants > 0 ? 2 * s->cap_grants : 8;
        mpi_grant *gr = realloc(s->grants, cap * sizeof *gr);
        if (gr == NULL) {
            rc = -1;
        } else {
            s->grants = gr;
            s->cap_grants = cap;
        }
    }
    if (rc != 0 || count == 0) {
        s->ended = 1;
    } else {
        s->grants[s->n_grants].local = s->n_mapped;
        s->grants[s->n_grants].global = first;
        s->grants[s->n_grants].count = count;
        s->n_grants++;
        s->n_mapped += count;
        s->last_count = count;
    }
}

/* The engine's member callback: local member i is global member g.
 *
 * Other ranks keep one request ahead: once the members mapped but not yet started are no more
 * than the last grant, the next REQUEST goes out, and later calls take its GRANT in when it is
 * there, so the round trip to rank 0 overlaps solving. */
static ivp_status stream_member(void *ud, size_t i, ivp_ensemble_job *job, ivp_error *err)
{
    mpi_stream *s = ud;
    size_t g = 0, first = 0, count = 0;
    int found = 0, rc;
    pthread_mutex_lock(&s->lock);
    for (;;) {
        if (i < s->n_mapped) {
            found = stream_lookup(s, i, &g);
            break;
        }
        /* An interrupted rank still takes in the grant it asked for, so that its members are
         * output (status -2) and rank 0 misses none. */
        if (s->ended || (stream_interrupted(s) && !s->requested)) {
            break;
        }
        if (s->fetching) {
            pthread_cond_wait(&s->cond, &s->lock);
            continue;
        }
        s->fetching = 1;
        if (s->coord == NULL && !s->requested) {
            s->requested = stream_request(s) == 0;
            if (!s->requested) {
                s->ended = 1;
                s->fetching = 0;
                break;
            }
        }
        pthread_mutex_unlock(&s->lock);
        if (s->coord != NULL) {
            stream_fetch_local(s, &first, &count);
            rc = 0;
        } else {
            rc = stream_wait_grant(s, &first, &count);
        }
        pthread_mutex_lock(&s->lock);
        s->fetching = 0;
        s->requested = 0;
        stream_add_grant(s, rc, first, count);
        pthread_cond_broadcast(&s->cond);
    }
    if (found && s->coord == NULL && !s->ended && !s->fetching) {
        if (s->requested) {
            rc = stream_poll_grant(s, &first, &count);
            if (rc != 0) {
                s->requested = 0;
                stream_add_grant(s, rc == 1 ? 0 : -1, first, count);
                pthread_cond_broadcast(&s->cond);
            }
        } else if (!stream_interrupted(s) && s->n_mapped - i <= s->last_count) {
            s->requested = stream_request(s) == 0;
        }
    }
    pthread_mutex_unlock(&s->lock);
    if (!found) {
        return ivp_error_set(err, IVP_ERR_ARG, "no member left for this rank");
    }
    if (s->coord != NULL) {
        coord_poke(s->coord);
    }
    return s->cfg->member(s->cfg->ud, g, job, err);
}

/* The engine's output: the record goes to rank 0 (on rank 0, into its slot). */
static int stream_output(void *ud, const ivp_ensemble_out *out, ivp_error *err)
{
    mpi_stream *s = ud;
    size_t g = 0, j;
    int found, rc = 0;
    pthread_mutex_lock(&s->lock);
    found = out->k < s->n_mapped && stream_lookup(s, out->k, &g);
    pthread_mutex_unlock(&s->lock);
    if (!found) {
        s->end_seen = 1;
        ivp_error_set(err, IVP_ERR_IO, "the end of this rank's members");
        return -1;
    }
    if (s->coord != NULL) {
        mpi_coord *c = s->coord;
        mpi_slot *slot = &c->slots[g % c->W]; /* reserved for g until it is written */
        if (rec_pack(&s->sh, &slot->rec, g, out) != 0) {
            ivp_error_set(err, IVP_ERR_NOMEM, "rank 0: out of memory for member %zu", g);
            return -1;
        }
        pthread_mutex_lock(&c->lock);
        slot->state = SLOT_DONE;
        pthread_mutex_unlock(&c->lock);
        /* written by the service at this thread's next member (or by the main thread) */
    } else {
        mpi_buf *b = &s->send[s->n_sent % SENDQ];
        MPI_Request *r = &s->sreq[s->n_sent % SENDQ];
        if (stream_send_wait(s, r) != 0) {
            ivp_error_set(err, IVP_ERR_IO, "rank %d: cannot send member %zu", mpi_rank_, g);
            return -1;
        }
        if (rec_pack(&s->sh, b, g, out) != 0 || b->len > (size_t)INT32_MAX) {
            ivp_error_set(err, IVP_ERR_NOMEM, "rank %d: member %zu: out of memory or over 2 GiB",
                          mpi_rank_, g);
            return -1;
        }
        pthread_mutex_lock(&s->mpi_lock);
        rc = MPI_Isend(b->p, (int)b->len, MPI_BYTE, 0, TAG_RESULT, MPI_COMM_WORLD, r);
        pthread_mutex_unlock(&s->mpi_lock);
        s->n_sent++;
        if (rc != MPI_SUCCESS) {
            ivp_error_set(err, IVP_ERR_IO, "rank %d: cannot send member %zu", mpi_rank_, g);
            return -1;
        }
    }
    pthread_mutex_lock(&s->lock);
    for (j = 0; j < s->n_grants && s->grants[j].local + s->grants[j].count <= out->k + 1; j++) {
    }
    if (j > 0) {
        memmove(s->grants, s->grants + j, (s->n_grants - j) * sizeof *s->grants);
        s->n_grants -= j;
    }
    pthread_mutex_unlock(&s->lock);
    return 0;
}

static int stream_init(mpi_stream *s, const ivp_ensemble_config *cfg, const mpi_shape *sh,
                       mpi_coord *coord)
{
    size_t i;
    memset(s, 0, sizeof *s);
    s->cfg = cfg;
    s->sh = *sh;
    s->coord = coord;
    for (i = 0; i < SENDQ; i++) {
        s->sreq[i] = MPI_REQUEST_NULL;
    }
    if (pthread_mutex_init(&s->lock, NULL) != 0) {
        return -1;
    }
    if (pthread_cond_init(&s->cond, NULL) != 0) {
        pthread_mutex_destroy(&s->lock);
        return -1;
    }
    if (pthread_mutex_init(&s->mpi_lock, NULL) != 0) {
        pthread_cond_destroy(&s->cond);
        pthread_mutex_destroy(&s->lock);
        return -1;
    }
    return 0;
}

static void stream_free(mpi_stream *s)
{
    size_t i;
    pthread_mutex_destroy(&s->mpi_lock);
    pthread_cond_destroy(&s->cond);
    pthread_mutex_destroy(&s->lock);
    free(s->grants);
    for (i = 0; i < SENDQ; i++) {
        free(s->send[i].p);
    }
}

/* Runs this rank's engine on the stream. IVP_OK when it ended because the members did. */
static ivp_status stream_run(mpi_stream *s, ivp_error *err)
{
    ivp_ensemble_config lc = *s->cfg;
    ivp_status st;
    lc.member = stream_member;
    lc.output = stream_output;
    lc.ud = s;
    lc.window = 0;
    st = ivp_ensemble_run(&lc, NULL, err);
    if (st == IVP_ERR_IO && s->end_seen) {
        ivp_error_clear(err);
        st = IVP_OK;
    }
    return st;
}

static void mpi_shape_of(const ivp_ensemble_config *cfg, mpi_shape *sh)
{
    const char *method = cfg->opt->method != NULL ? cfg->opt->method : "RK45";
    const ivp_method_info *mi = ivp_method_info_find(method);
    sh->n = cfg->sys->n;
    sh->np = cfg->np;
    sh->deg = ivp_method_dense_degree(method);
    sh->stat_names = mi != NULL ? mi->stats : NULL;
}

/* ---- ranks 1..P-1 ------------------------------------------------------------------------ */

static ivp_status worker_run(const ivp_ensemble_config *cfg, ivp_error *err)
{
    mpi_stream s;
    mpi_shape sh;
    ivp_status st;
    char msg[IVP_ERROR_MSG_MAX + 32];
    int dummy = 0;
    mpi_shape_of(cfg, &sh);
    if (stream_init(&s, cfg, &sh, NULL) != 0) {
        st = ivp_error_set(err, IVP_ERR_INTERNAL, "rank %d: cannot make a mutex", mpi_rank_);
    } else {
        st = stream_run(&s, err);
        if (stream_send_flush(&s) != 0 && st == IVP_OK) {
            st = ivp_error_set(err, IVP_ERR_IO, "rank %d: cannot send its members", mpi_rank_);
        }
        stream_free(&s);
    }
    if (st == IVP_OK) {
        MPI_Send(&dummy, 1, MPI_INT, 0, TAG_DONE, MPI_COMM_WORLD);
    } else {
        snprintf(msg, sizeof msg, "rank %d: %s", mpi_rank_,
                 err != NULL && err->msg[0] != '\0' ? err->msg : ivp_status_str(st));
        MPI_Send(msg, (int)strlen(msg) + 1, MPI_CHAR, 0, TAG_ERROR, MPI_COMM_WORLD);
    }
    return st;
}

/* ---- rank 0 ------------------------------------------------------------------------------- */

typedef struct coord_local {
    mpi_stream *s;
    ivp_error err;
    ivp_status st;
    int done; /* under coord->lock */
} coord_local;

static void *coord_local_main(void *arg)
{
    coord_local *l = arg;
    mpi_coord *c = l->s->coord;
    ivp_error_clear(&l->err);
    l->st = stream_run(l->s, &l->err);
    pthread_mutex_lock(&c->lock);
    l->done = 1;
    if (l->st != IVP_OK) {
        c->stopped = 1;
    }
    pthread_mutex_unlock(&c->lock);
    return NULL;
}

/* How long the watchdog sleeps between its looks at the service. */
#define COORD_WATCH_NS 1000000L

/* Rank 0 runs its engine on a thread of its own; the engine's member callback runs the
 * service (coord_poke) as each member starts, so other ranks are answered within a member's
 * time without a thread that would compete with the engine for its core (mpirun binds each
 * rank to one core by default). This thread is the watchdog: every millisecond it runs the
 * service itself if no one did since its last look (members that take long); once the engine
 * is done, it serves the other ranks until they are. */
static ivp_status coord_run(const ivp_ensemble_config *cfg, ivp_ensemble_summary *sum,
                            ivp_error *err)
{
    mpi_coord c;
    mpi_stream s0;
    coord_local local;
    pthread_t thread;
    size_t P = (size_t)mpi_size_, i, nw;
    unsigned long seen;
    unsigned spins = 0;
    int sync = 0, started = 0, ldone = 0;

    memset(&c, 0, sizeof c);
    memset(&local, 0, sizeof local);
    ivp_error_clear(&c.ferr);
    c.fst = IVP_OK;
    c.lock = (pthread_mutex_t)PTHREAD_MUTEX_INITIALIZER;
    c.svc = (pthread_mutex_t)PTHREAD_MUTEX_INITIALIZER;
    c.cfg = cfg;
    c.sum = sum;
    mpi_shape_of(cfg, &c.sh);
    c.K = cfg->n_members;
    c.P = P;
    c.active = P - 1;
    nw = cfg->n_workers;
    c.threads = P * nw;
    c.W = 16 * c.threads > 128 ? 16 * c.threads : 128;
    c.batch_max = c.W / (4 * P) > 0 ? c.W / (4 * P) : 1;
    c.slots = calloc(c.W, sizeof *c.slots);
    c.pending = calloc(P, 1);
    free(mpi_per_rank);
    mpi_per_rank = calloc(P, sizeof *mpi_per_rank);
    mpi_jobs = nw;
    c.spare_p = calloc(c.sh.np + 1, sizeof *c.spare_p);
    c.spare_y = calloc(c.sh.n + 1, sizeof *c.spare_y);
    /* On a failure here rank 0 solves nothing, answers every request with "nothing more"
     * (stopped) and returns the error once the other ranks are done. */
    if (c.pending == NULL) {
        cli_error("rank 0: out of memory");
        MPI_Abort(MPI_COMM_WORLD, IVP_EXIT_SOLVER);
    }
    if (c.slots == NULL || c.spare_p == NULL || c.spare_y == NULL) {
        c.fst = ivp_error_set(&c.ferr, IVP_ERR_NOMEM, "rank 0: out of memory");
        c.stopped = 1;
    } else if (stream_init(&s0, cfg, &c.sh, &c) != 0) {
        c.fst = ivp_error_set(&c.ferr, IVP_ERR_INTERNAL, "rank 0: cannot make a mutex");
        c.stopped = 1;
    } else {
        sync = 1;
        local.s = &s0;
        if (pthread_create(&thread, NULL, coord_local_main, &local) != 0) {
            c.fst = ivp_error_set(&c.ferr, IVP_ERR_INTERNAL, "rank 0: cannot start a thread");
            c.stopped = 1;
        } else {
            started = 1;
        }
    }

    /* The engine runs: watch. */
    pthread_mutex_lock(&c.svc);
    seen = c.n_service;
    pthread_mutex_unlock(&c.svc);
    while (started) {
        struct timespec ts = {0, COORD_WATCH_NS};
        pthread_mutex_lock(&c.lock);
        ldone = local.done;
        pthread_mutex_unlock(&c.lock);
        if (ldone) {
            break;
        }
        nanosleep(&ts, NULL);
        pthread_mutex_lock(&c.svc);
        if (c.n_service == seen) {
            (void)coord_service(&c);
        }
        seen = c.n_service;
        pthread_mutex_unlock(&c.svc);
    }
    /* The engine is done (or never started): serve until the other ranks are done too. */
    for (;;) {
        int progress, others;
        pthread_mutex_lock(&c.svc);
        if (started && local.st != IVP_OK && c.fst == IVP_OK) {
            c.fst = local.st;
            c.ferr = local.err;
            coord_stop(&c);
        }
        progress = coord_service(&c);
        others = c.active > 0;
        pthread_mutex_unlock(&c.svc);
        if (!others && !progress) {
            break;
        }
        if (progress) {
            spins = 0;
        } else {
            mpi_pause(&spins);
        }
    }
    if (c.fst == IVP_OK && c.next_out < c.K) {
        c.fst = ivp_error_set(&c.ferr, IVP_ERR_INTERNAL,
                              "rank 0: member %zu was handed out but never came back", c.next_out);
    }
    if (started) {
        pthread_join(thread, NULL);
    }
    if (sync) {
        stream_free(&s0);
    }
    pthread_mutex_destroy(&c.svc);
    pthread_mutex_destroy(&c.lock);
    if (c.slots != NULL) {
        for (i = 0; i < c.W; i++) {
            free(c.slots[i].rec.p);
        }
    }
    free(c.slots);
    free(c.scratch.p);
    free(c.pending);
    free(c.spare_p);
    free(c.spare_y);
    if (c.fst != IVP_OK && err != NULL) {
        *err = c.ferr;
        err->status = c.fst;
    }
    return c.fst;
}

ivp_status run_mpi_ensemble_run(const ivp_ensemble_config *cfg, ivp_ensemble_summary *sum,
                                ivp_error *err)
{
    ivp_ensemble_summary local;
    if (sum == NULL) {
        sum = &local;
    }
    memset(sum, 0, sizeof *sum);
    if (mpi_size_ <= 1) {
        return ivp_ensemble_run(cfg, sum, err);
    }
    if (cfg == NULL || cfg->sys == NULL || cfg->opt == NULL || cfg->member == NULL ||
        cfg->output == NULL || cfg->n_workers == 0 || cfg->sys->n == 0) {
        return ivp_error_set(err, IVP_ERR_ARG,
                             "run_mpi_ensemble_run: sys, opt, member, output and n_workers >= 1 "
                             "are required");
    }
    return mpi_rank_ == 0 ? coord_run(cfg, sum, err) : worker_run(cfg, err);
}
