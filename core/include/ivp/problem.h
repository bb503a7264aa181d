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
    IVP_JAC_AUTO = 0, /* "jac" omitted: the plugin's if present, else finite differences */
    IVP_JAC_PLUGIN,   /* "plugin": the plugin's jac or jac_values; error if absent */
    IVP_JAC_FD        /* "fd": finite differences */
} ivp_jac_mode;

typedef enum ivp_sparsity_mode {
    IVP_SPARSITY_NONE = 0, /* dense (or banded, if lband/uband are given) */
    IVP_SPARSITY_PLUGIN,   /* "plugin": the plugin's jac_sparsity */
    IVP_SPARSITY_SPEC      /* {"rows": [...], "cols": [...]} in sp_rows/sp_cols */
} ivp_sparsity_mode;

/* A parsed spec. Everything is owned by the struct and freed by ivp_problem_free. */
typedef struct ivp_problem {
    char *plugin;     /* plugin path, resolved against the spec's folder */
    char *method;     /* canonical method name ("RK45" by default) */
    double t0, t_end; /* t_span */
    double *y0;       /* n initial values */
    size_t n;
    char **param_names; /* spec "params", in the order the spec lists them */
    double *param_values;
    size_t n_params;
    double rtol;      /* default 1e-3 */
    double atol;      /* default 1e-6; used when atol_vec is NULL */
    double *atol_vec; /* n values when "atol" is an array, else NULL */
    double *t_eval;   /* NULL when absent (then every step is output) */
    size_t n_t_eval;
    int t_eval_linspace; /* t_eval came from {"linspace": [a, b, num]} */
    int dense_output;    /* default 0 */
    char **event_names;  /* events the spec mentions, with their options */
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
    long lband, uband;             /* -1 when absent */
    char *output;                  /* spec "output" as given (a relative path is relative to the
                                working directory), or NULL */
    char *resolved;                /* the spec after --set overrides, with defaults filled in, as
                                compact JSON text: stored in the HDF5 file as "problem". Keys
                                without a default (t_eval, max_steps, jac, jac_sparsity, lband,
                                uband, output) appear only when given; plugin as written;
                                events with both options; a t_eval linspace as given; every
                                number (y0, arrays included) in the shortest form that reads
                                back as the same double, so it parses to the same problem */
    struct ivp_ensemble *ensemble; /* the spec's "ensemble" (or --members), else NULL; the
                                      fields above are then the base spec, without the key */
    struct ivp_model *model;       /* spec "model" (ivp/model.h), parsed and checked; NULL with
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

/* ---- ensembles (contracts.md section 5) ------------------------------------------------------
 *
 * "ensemble": {"grid": {...}, "zip": {...}} or {"table": "members.csv"} (or --members FILE):
 * K members, member k being the base spec with its overrides applied exactly as --set applies
 * them. Every member is validated while parsing (each member's spec goes through the same checks
 * as a spec; errors read "spec.json: member 3: $.params.mu: ...", or for a table
 * "members.csv:5: member 3: ..."). A member may override only: params.<name> (a parameter of the
 * base spec), y0, y0[i], t_span, t_span[i], rtol, atol, first_step, max_step, min_step,
 * max_steps, t_eval; anything that changes the structure (n, method, events, Jacobian,
 * dense_output, plugin, output) is refused.
 *
 * Memory: per member, only the fields some member overrides are kept (a row of 'width' doubles:
 * e.g. 8 bytes for one parameter) plus the member's overrides as JSON text; a t_eval override
 * costs its points. */
enum {
    IVP_MEMBER_T_SPAN = 1u << 0,
    IVP_MEMBER_Y0 = 1u << 1,
    IVP_MEMBER_PARAMS = 1u << 2,
    IVP_MEMBER_RTOL = 1u << 3,
    IVP_MEMBER_ATOL = 1u << 4,
    IVP_MEMBER_FIRST_STEP = 1u << 5,
    IVP_MEMBER_MAX_STEP = 1u << 6,
    IVP_MEMBER_MIN_STEP = 1u << 7,
    IVP_MEMBER_MAX_STEPS = 1u << 8,
    IVP_MEMBER_T_EVAL = 1u << 9
};

typedef struct ivp_ensemble {
    size_t n_members; /* K >= 1 */
    unsigned varies;  /* IVP_MEMBER_* bits: fields some member overrides */
    size_t width;     /* doubles per member in 'table' */
    double *table;    /* K x width; offsets below (valid when the bit is set) */
    size_t off_t_span, off_y0, off_params, off_rtol, off_atol, off_first_step, off_max_step,
        off_min_step, off_max_steps;
    double *t_eval_pool; /* with IVP_MEMBER_T_EVAL: member k's points are
                                t_eval_pool[t_eval_start[k] .. t_eval_start[k+1]) */
    size_t *t_eval_start;
    char *overrides_pool; /* member k's overrides as a compact JSON object, NUL-terminated,
                                at overrides_pool + overrides_start[k] */
    size_t *overrides_start;
    int same_t_eval; /* every member has the same t_eval (bit for bit): the stacked
                                output layout */
    char *source;    /* "grid", "zip", "zip x grid", or the table's file name */
} ivp_ensemble;

/* Member k's values: borrowed from p and p->ensemble (valid while p lives); no allocation. */
typedef struct ivp_member {
    double t0, t_end;
    const double *y0;     /* n values */
    const double *params; /* n_params values, in the order of p->param_names */
    double rtol, atol;
    const double *atol_vec; /* n values or NULL */
    double first_step, max_step, min_step;
    unsigned long max_steps;
    const double *t_eval; /* NULL when none */
    size_t n_t_eval;
    const char *overrides; /* JSON object text, e.g. {"params.mu":0.5} */
} ivp_member;

/* Fills m with member k (k < p->ensemble->n_members; a problem without an ensemble has the
 * single member 0, the base spec, with overrides "{}"). Thread-safe (reads only). */
void ivp_problem_member(const ivp_problem *p, size_t k, ivp_member *m);

/* ivp_problem_load, with 'members' (a CSV or NDJSON file, "-" for stdin; NULL: none) as the
 * ensemble's table: it replaces a "table" in the spec and may not be combined with "grid" or
 * "zip". CSV or NDJSON is told from the first non-blank byte ('{': NDJSON). */
ivp_status ivp_problem_load_members(const char *path, const char *const *sets, size_t n_sets,
                                    const char *members, ivp_problem **out, ivp_error *err);

#ifdef __cplusplus
}
#endif

#endif /* IVP_PROBLEM_H */
