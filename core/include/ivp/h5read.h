/* SPDX-License-Identifier: MIT
 * core/include/ivp/h5read.h - reading ivp's result files (contracts.md sections 3 and 5): the
 * single-run file ("ivp-hdf5", format_version 1 and the 1.1 additions) and the ensemble file
 * ("ivp-hdf5-ensemble", stacked or ragged), for `ivp info/eval/export/compare/plot`.
 *
 * Opening validates the file: the format attribute, the dataset shapes against each other and
 * the per-member counts, so that every later read stays inside the datasets. A file that is not
 * HDF5, is truncated, or is HDF5 but not ivp's gives IVP_ERR_IO with a message naming the file
 * and what is wrong; HDF5 itself prints nothing.
 *
 * Memory is bounded: opening reads the metadata (O(K) per-member values for an ensemble of K
 * members, O(number of events) names) but no t, y or dense data. Points are read by hyperslab
 * (ivp_h5file_read), and the dense-output evaluator keeps a window of at most a few MiB of
 * breakpoints and coefficients, found by binary search in the file. Only this module and the
 * HDF5 writer include <hdf5.h>.
 */
#ifndef IVP_H5READ_H
#define IVP_H5READ_H

#include <stddef.h>
#include <stdint.h>

#include "ivp/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ivp_h5file ivp_h5file;

/* One event function of the file. */
typedef struct ivp_h5event {
    char *name;
    size_t count;  /* occurrences in the file (all members of an ensemble) */
    int has_attrs; /* format 1.1: index, direction and terminal were stored */
    long index;    /* position in the plugin's order, or -1 */
    int direction; /* -1, 0, 1 (0 when unknown) */
    int terminal;  /* 1 terminal, 0 not (0 when unknown) */
} ivp_h5event;

/* The per-run values: the file's for a single run, one member's for an ensemble. */
typedef struct ivp_h5run {
    int status; /* 0 reached t_end, 1 terminal event, -1 failed, -2 interrupted */
    char *message;
    int64_t nfev, njev, nlu, n_steps, n_rejected; /* -1 when not stored */
    double solve_seconds;                         /* NaN when not stored */
    size_t n_points;                              /* stored points (rows of /t) */
    size_t n_segments; /* dense-output segments (0 without dense output) */
    char *overrides;   /* ensemble members: the JSON overrides (else NULL) */
} ivp_h5run;

typedef struct ivp_h5info {
    char *path;
    int ensemble;                                         /* 1 for "ivp-hdf5-ensemble" */
    char *format;                                         /* "ivp-hdf5" or "ivp-hdf5-ensemble" */
    char *format_version;                                 /* as stored: "1", "1.1" */
    char *ivp_version, *method, *problem, *plugin_sha256; /* "" when absent */
    char *created, *host, *command_line;                  /* format 1.1, "" when absent */
    char *shard;                                          /* ensemble shard files, else "" */
    double rtol;
    size_t n_atol; /* 1 for a scalar atol, n for a vector, 0 absent */
    double *atol;
    size_t n;     /* state dimension */
    char **names; /* n state names: /y's names, else "y0", "y1", ... */
    int named;    /* 1 when the names came from the file */
    size_t n_params;
    char **param_names;     /* from /params (or /members/params) names; may be empty */
    double *params;         /* single run: n_params values (ensembles: per member) */
    int has_y0, has_t_span; /* format 1.1 single runs: /y0, /t_span */
    double *y0;             /* n values when has_y0 */
    double t_span[2];
    size_t n_events;
    ivp_h5event *events;
    int dense;           /* the file has /dense */
    size_t dense_degree; /* d: d+1 coefficients per segment and component */
    size_t n_members;    /* 1 for a single run */
    int stacked;         /* ensemble with one shared /t and /y (K, n, N) */
    size_t n_failed;     /* members with status < 0 */
    ivp_h5run run;       /* a single run's values; for an ensemble the totals (counters
                                summed, n_points/n_segments the totals, status the worst) */
} ivp_h5info;

/* Opens and validates path. IVP_OK, or IVP_ERR_IO / IVP_ERR_NOMEM with err saying what. */
ivp_status ivp_h5file_open(const char *path, ivp_h5file **out, ivp_error *err);

/* Closes f and frees everything it returned; NULL is a no-op. */
void ivp_h5file_close(ivp_h5file *f);

/* The file's metadata (owned by f). */
const ivp_h5info *ivp_h5file_info(const ivp_h5file *f);

/* Member k's values (k = 0 for a single run); fills *run with pointers owned by f. Per-member
 * parameters go to *params (n_params values, owned by f, valid until the next call) when
 * params is not NULL; y0 and t_span likewise when stored (else NULL). IVP_ERR_ARG when k is
 * out of range. */
ivp_status ivp_h5file_member(ivp_h5file *f, size_t k, ivp_h5run *run, const double **params,
                             const double **y0, const double **t_span, ivp_error *err);

/* Reads member k's stored points first .. first+count-1: t (count values) and y (count x n,
 * point after point, i.e. y[i*n + j] is component j at t[i]); either may be NULL. */
ivp_status ivp_h5file_read(ivp_h5file *f, size_t k, size_t first, size_t count, double *t,
                           double *y, ivp_error *err);

/* Event occurrence 'i' (0 .. count-1 over the whole file) of event e: its time, its state
 * (n values) and, for ensembles, its member (else 0). Reads one occurrence. */
ivp_status ivp_h5file_event(ivp_h5file *f, size_t e, size_t i, double *t, double *y, size_t *member,
                            ivp_error *err);

/* Member k's dense output covers [*a, *b] (a > b for a backward solve). IVP_ERR_ARG when the
 * file or the member has no dense output. */
ivp_status ivp_h5file_dense_range(ivp_h5file *f, size_t k, double *a, double *b, ivp_error *err);

/* Evaluates member k's dense output at t (inside its range) into y (n values), exactly as
 * scipy.interpolate.PPoly does: the segment x[i] <= t < x[i+1] (the last one for t = x[m];
 * x[i] >= t > x[i+1] for decreasing x), and sum over p of c[d-p] (t - x[i])^p in ascending
 * powers. Reads are windowed, so sweeps through t in order are fast. IVP_ERR_ARG when t is
 * outside the range or NaN. */
ivp_status ivp_h5file_dense_eval(ivp_h5file *f, size_t k, double t, double *y, ivp_error *err);

#ifdef __cplusplus
}
#endif

#endif /* IVP_H5READ_H */
