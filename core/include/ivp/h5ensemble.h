/* SPDX-License-Identifier: MIT
 * core/include/ivp/h5ensemble.h - the ensemble HDF5 file (contracts.md section 5,
 * format "ivp-hdf5-ensemble", format_version 1), written member by member in member order.
 *
 * Layout: stacked (/t (N,), /y (K, n, N)) when cfg->t_eval is given (every member has that
 * t_eval; a member with fewer points - failed or interrupted - is padded with NaN), else ragged
 * (/t (P,), /y (n, P), members one after another). Both layouts have /members/count (K,), the
 * points each member has. Events: /events/<name>/t (E,), /y (n, E), /member (E,) int64. Dense
 * output: /dense/x (each member's count + 1 breakpoints; a member without segments has its t0),
 * /dense/c (d+1, S, n), /members/dense_count (K,). Per member: /members/status (int8), message
 * and overrides (UTF-8 strings), nfev, njev, nlu, n_steps, n_rejected (int64), solve_seconds,
 * params (K, np) with attribute names, y0 (K, n), t_span (K, 2). Root attributes: format,
 * format_version, ivp_version, layout ("stacked"/"ragged"), method, rtol, atol, problem,
 * plugin_sha256, n_members, n_failed, n_interrupted, and shard when given.
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
    int dense;
    unsigned dense_degree;
    const double *t_eval; /* non-NULL: the stacked layout, every member's t_eval */
    size_t n_t_eval;
} ivp_h5ens_config;

typedef struct ivp_h5ens_meta {
    const char *method;
    double rtol, atol;      /* the base spec's */
    const double *atol_vec; /* n values or NULL */
    const char *problem;    /* the base spec, resolved (members = it + their overrides) */
    const char *plugin_sha256;
    const char *shard; /* "I/N" for a shard file, else NULL */
} ivp_h5ens_meta;

/* Creates the temporary file and the datasets. IVP_ERR_IO naming the path on failure. */
ivp_status ivp_h5ens_open(const ivp_h5ens_config *cfg, ivp_h5ens **out, ivp_error *err);

/* Appends member m->k (members must come in order 0, 1, ...) with its overrides (JSON text). */
ivp_status ivp_h5ens_write(ivp_h5ens *w, const ivp_ensemble_out *m, const char *overrides,
                           ivp_error *err);

/* Flushes, writes the root attributes (n_failed and n_interrupted counted from the members
 * written), closes and renames the file into place. w is freed either way. */
ivp_status ivp_h5ens_finish(ivp_h5ens *w, const ivp_h5ens_meta *meta, ivp_error *err);

/* Removes the temporary file and frees w; NULL is a no-op. */
void ivp_h5ens_discard(ivp_h5ens *w);

const char *ivp_h5ens_temp_path(const ivp_h5ens *w);

#ifdef __cplusplus
}
#endif

#endif /* IVP_H5ENSEMBLE_H */
