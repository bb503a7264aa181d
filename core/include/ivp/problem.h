/* SPDX-License-Identifier: MIT
 * core/include/ivp/problem.h - the JSON problem spec (contracts.md section 2), parsed and
 * validated into a plain struct. The only module that sees cJSON; the tree is freed before
 * this returns. Memory: while parsing, the text and cJSON's tree (~80 bytes per number) are
 * alive together; the text is freed once parsed, and each large array's nodes as soon as it
 * is converted (8 bytes per value). A t_eval linspace is expanded (8 bytes per point).
 *
 * Validation is strict and every error names where: a syntax error gives line and column
 * ("spec.json:3:14: ..."), every other error the JSON path ("$.events.crossing.direction: ...").
 * Checks that need the plugin (params, event names, ivp_dim, jac "plugin") are done by
 * ivp_instance_new (ivp/plugin.h) and name the JSON path too.
 */
#ifndef IVP_PROBLEM_H
#define IVP_PROBLEM_H

#include <stddef.h>

#include "ivp/solve.h"
#include "ivp/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ivp_jac_mode {
    IVP_JAC_AUTO = 0,   /* "jac" omitted: the plugin's if present, else finite differences */
    IVP_JAC_PLUGIN,     /* "plugin": the plugin's jac or jac_values; error if absent */
    IVP_JAC_FD          /* "fd": finite differences */
} ivp_jac_mode;

typedef enum ivp_sparsity_mode {
    IVP_SPARSITY_NONE = 0, /* dense (or banded, if lband/uband are given) */
    IVP_SPARSITY_PLUGIN,   /* "plugin": the plugin's jac_sparsity */
    IVP_SPARSITY_SPEC      /* {"rows": [...], "cols": [...]} in sp_rows/sp_cols */
} ivp_sparsity_mode;

/* A parsed spec. Everything is owned by the struct and freed by ivp_problem_free. */
typedef struct ivp_problem {
    char *plugin;            /* plugin path, resolved against the spec's folder */
    char *method;            /* canonical method name ("RK45" by default) */
    double t0, t_end;        /* t_span */
    double *y0;              /* n initial values */
    size_t n;
    char **param_names;      /* spec "params", in the order the spec lists them */
    double *param_values;
    size_t n_params;
    double rtol;             /* default 1e-3 */
    double atol;             /* default 1e-6; used when atol_vec is NULL */
    double *atol_vec;        /* n values when "atol" is an array, else NULL */
    double *t_eval;          /* NULL when absent (then every step is output) */
    size_t n_t_eval;
    int t_eval_linspace;     /* t_eval came from {"linspace": [a, b, num]} */
    int dense_output;        /* default 0 */
    char **event_names;      /* events the spec mentions, with their options */
    ivp_event_opts *event_opts;
    size_t n_event_specs;
    double first_step;       /* 0 when null/absent (automatic) */
    double max_step;         /* INFINITY when null/absent */
    double min_step;         /* default 0 */
    unsigned long max_steps; /* 0 when absent (unlimited) */
    ivp_jac_mode jac;
    ivp_sparsity_mode sparsity;
    size_t *sp_rows, *sp_cols; /* with IVP_SPARSITY_SPEC */
    size_t sp_nnz;
    long lband, uband;       /* -1 when absent */
    char *output;            /* spec "output" as given (a relative path is relative to the
                                working directory), or NULL */
    char *resolved;          /* the spec after --set overrides, with defaults filled in, as
                                compact JSON text: stored in the HDF5 file as "problem". Keys
                                without a default (t_eval, max_steps, jac, jac_sparsity, lband,
                                uband, output) appear only when given; plugin as written;
                                events with both options; a t_eval linspace as given; every
                                number (y0, arrays included) in the shortest form that reads
                                back as the same double, so it parses to the same problem */
    struct ivp_model *model; /* spec "model" (ivp/model.h), parsed and checked; NULL with
                                "plugin" (a spec has exactly one of the two) */
} ivp_problem;

/* Parses and validates spec text (len bytes, need not be NUL-terminated).
 *   name      how to call the spec in messages ("spec.json", "<stdin>")
 *   base_dir  folder the plugin path is relative to (the spec's folder, or "." for stdin)
 *   sets      n_sets overrides "KEY=VALUE" (--set): KEY is a dotted path into objects
 *             ("params.mu"); VALUE is parsed as JSON, and taken as a string if it is not JSON.
 *             Applied before validation, so errors in them are reported at their JSON path.
 * On success *out is a new problem (free with ivp_problem_free). On failure returns
 * IVP_ERR_SPEC (or IVP_ERR_NOMEM) with the message in err, and *out is NULL. */
ivp_status ivp_problem_parse(const char *text, size_t len, const char *name, const char *base_dir,
                             const char *const *sets, size_t n_sets, ivp_problem **out,
                             ivp_error *err);

/* Reads the file at path ("-" = stdin) and parses it as above; a file that cannot be read is
 * IVP_ERR_SPEC with the system's reason. */
ivp_status ivp_problem_load(const char *path, const char *const *sets, size_t n_sets,
                            ivp_problem **out, ivp_error *err);

/* NULL is a no-op. */
void ivp_problem_free(ivp_problem *p);

#ifdef __cplusplus
}
#endif

#endif /* IVP_PROBLEM_H */
