/* SPDX-License-Identifier: MIT
 * core/include/ivp/h5ensemble.h - the ensemble HDF5 file (contracts.md section 5,
 * format "ivp-hdf5-ensemble", format_version 1), written member by member in member order.
 *
 * Layout: stacked (/t (N,), /y (K, n, N)) when cfg->t_eval is given (every member has that
 * t_eval; a member with fewer points - failed or interrupted - is padded with NaN), else ragged
 * (/t (P,), /y (n, P), members one after another). Both layouts have /members/count (K,), the
 * points each member has. Events: /events/<name>/t (E,), /y (n, E), /member (E,) int64, and
 * (when cfg->event_order_known) the group's attributes index (its position in the plugin's
 * order), direction and terminal (int64), as in a single-run file, and /info/event_names. Dense
 * output: /dense/x (each member's count + 1 breakpoints; a member without segments has its t0),
 * /dense/c (d+1, S, n), /members/dense_count (K,). Per member: /members/status (int8), message
 * and overrides (UTF-8 strings), nfev, njev, nlu, n_steps, n_rejected (int64), solve_seconds,
 * params (K, np) with attribute names, y0 (K, n), t_span (K, 2). Root attributes: format,
 * format_version, ivp_version, layout ("stacked"/"ragged"), method, rtol, atol, problem,
 * plugin_sha256, n_members (the members in the file), n_failed, n_interrupted, and in a shard
 * file shard ("I/N"), member_offset (its first member's global index) and ensemble_members
 * (the whole ensemble's K), also as the dataset /info/member_offset for Octave. With method
 * statistics (LSODA): /members/<stat> (int64, K).
 *
 * Memory is bounded whatever K: every dataset is chunked and extendible and written a chunk
 * (at most 256 KiB) at a time; the writer keeps one record buffer that grows to the largest
 * member. The file is created under a temporary name and renamed when complete (ivp_outfile,
 * ivp/writer.h); nothing in it depends on timing except /members/solve_seconds, so the same
 * members give the same file contents whatever the number of threads.
 */
#ifndef IVP_H5ENSEMBLE_H
#define IVP_H5ENSEMBLE_H

#include <stddef.h>

#include "ivp/ensemble.h"
#include "ivp/status.h"
#include "ivp/writer.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ivp_h5ens ivp_h5ens;

typedef struct ivp_h5ens_config {
    const char *path;               /* final file name */
    size_t n_members;               /* K */
    size_t n;                       /* state dimension */
    size_t np;                      /* parameters per member */
    const char *const *param_names; /* np names (the /members/params "names" attribute) */
    size_t n_events;
    const char *const *event_names;
    int event_order_known;            /* non-zero: event_names are in the plugin's order; each
                                         /events/<name> gets index, direction and terminal, and
                                         /info the event_names (0: none of them, as a merge of
                                         files that did not record the order writes) */
    const ivp_event_opts *event_opts; /* n_events entries in event_names order, or NULL
                                         (every event non-terminal, direction 0) */
    int dense;
    unsigned dense_degree;
    const double *t_eval; /* non-NULL: the stacked layout, every member's t_eval */
    size_t n_t_eval;
    size_t first;   /* the global index of the file's first member (a shard's offset; else 0):
                     members come as first, first + 1, ...; /events/<name>/member holds
                     global indices */
    size_t n_stats; /* the method's own statistics (ivp_method_info.stats), written as
                       /members/<name> (int64, K) from ivp_result.stats */
    const char *const *stat_names;
} ivp_h5ens_config;

typedef struct ivp_h5ens_meta {
    const char *method;
    double rtol, atol;      /* the base spec's */
    const double *atol_vec; /* n values or NULL */
    const char *problem;    /* the base spec, resolved (members = it + their overrides) */
    const char *plugin_sha256;
    const char *shard;       /* "I/N" for a shard file, else NULL; then also the attributes
                          member_offset (cfg->first) and ensemble_members (below) */
    size_t ensemble_members; /* a shard's whole ensemble K */
} ivp_h5ens_meta;

/* Creates the temporary file and the datasets. IVP_ERR_IO naming the path on failure. */
ivp_status ivp_h5ens_open(const ivp_h5ens_config *cfg, ivp_h5ens **out, ivp_error *err);

/* Appends member m->k (members must come in order first, first + 1, ...) with its overrides
 * (JSON text). */
ivp_status ivp_h5ens_write(ivp_h5ens *w, const ivp_ensemble_out *m, const char *overrides,
                           ivp_error *err);

/* Flushes, writes the root attributes (n_failed and n_interrupted counted from the members
 * written), closes and renames the file into place. w is freed either way. */
ivp_status ivp_h5ens_finish(ivp_h5ens *w, const ivp_h5ens_meta *meta, ivp_error *err);

/* Removes the temporary file and frees w; NULL is a no-op. */
void ivp_h5ens_discard(ivp_h5ens *w);

const char *ivp_h5ens_temp_path(const ivp_h5ens *w);

/* ---- reading an ensemble file back (ivp run --resume, ivp merge) ----
 *
 * Members are read one at a time in increasing order (some may be skipped), into buffers the
 * reader keeps: memory is bounded by the largest member plus 17 bytes per member (status,
 * count and dense_count, read whole at open), whatever the file's size. */
typedef struct ivp_h5ens_reader ivp_h5ens_reader;

typedef struct ivp_h5ens_info {
    size_t n_members;        /* members in the file */
    size_t first;            /* global index of its first member (member_offset; 0) */
    size_t ensemble_members; /* the whole ensemble's K (a shard's; else n_members) */
    size_t n, np, n_events;
    const char *const *param_names;
    const char *const *event_names; /* in the order the reader numbers events: the plugin's
                                       (from the groups' index attributes) when
                                       event_order_known, else by name (older files) */
    int event_order_known;
    const ivp_event_opts *event_opts; /* n_events (direction, terminal) when event_order_known,
                                         else NULL */
    int dense;
    unsigned dense_degree;
    const double *t_eval; /* stacked layout: the common /t; NULL when ragged */
    size_t n_t_eval;
    const char *method, *problem, *plugin_sha256;
    const char *shard; /* the shard attribute, or NULL */
    double rtol, atol;
    const double *atol_vec; /* n values when atol is a vector, else NULL */
    size_t n_stats;         /* the method's statistics found in /members */
    const char *const *stat_names;
    const signed char *status; /* n_members statuses */
} ivp_h5ens_info;

/* Opens an ensemble file (format "ivp-hdf5-ensemble", version 1) for reading. IVP_ERR_IO
 * naming the path when it cannot be read, IVP_ERR_SPEC when it is not such a file (also when
 * some event groups have an index attribute and others not, or the indices are not 0..E-1). */
ivp_status ivp_h5ens_read_open(const char *path, ivp_h5ens_reader **out, ivp_error *err);

const ivp_h5ens_info *ivp_h5ens_read_info(const ivp_h5ens_reader *r);

/* Numbers the events as in names (n of them: the file's events in another order) for
 * ivp_h5ens_read_member's event indices. IVP_ERR_SPEC when the file's events are not these. */
ivp_status ivp_h5ens_read_order_events(ivp_h5ens_reader *r, const char *const *names, size_t n,
                                       ivp_error *err);

/* Reads member k (0-based within the file; k greater than the previous call's) into *out
 * (out->k is its global index, info.first + k) and its overrides (JSON text). Everything is
 * borrowed from the reader until its next call. */
ivp_status ivp_h5ens_read_member(ivp_h5ens_reader *r, size_t k, ivp_ensemble_out *out,
                                 const char **overrides, ivp_error *err);

void ivp_h5ens_read_close(ivp_h5ens_reader *r);

#ifdef __cplusplus
}
#endif

#endif /* IVP_H5ENSEMBLE_H */
