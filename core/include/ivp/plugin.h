/* SPDX-License-Identifier: MIT
 * core/include/ivp/plugin.h - loading user plugins (contracts.md section 1) and binding them
 * to a problem spec.
 *
 * Every failure says which file and which symbol, with dlerror's text where there is one.
 */
#ifndef IVP_PLUGIN_LOADER_H
#define IVP_PLUGIN_LOADER_H

#include <stddef.h>

#include "ivp/problem.h"
#include "ivp/solve.h"
#include "ivp/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A loaded plugin. Fields are read-only for callers. */
typedef struct ivp_plugin {
    char *path;      /* the shared object that was dlopen'ed */
    char *source;    /* the .c file it was built from on demand, else NULL */
    void *handle;    /* dlopen handle */
    ivp_rhs_fn *rhs; /* required */
    ivp_jac_fn *jac; /* optional symbols: NULL when absent */
    ivp_events_fn *events;
    ivp_jac_sparsity_fn *jac_sparsity;
    ivp_jac_values_fn *jac_values;
    ivp_init_fn *init;
    ivp_fini_fn *fini;
    const char *const *param_names; /* NULL-terminated, or NULL when absent */
    size_t n_params;
    const char *const *event_names; /* NULL-terminated, or NULL when absent */
    size_t n_events;
    const char *const *state_names; /* NULL-terminated, or NULL when absent */
    size_t n_states;
    int has_dim; /* ivp_dim present */
    size_t dim;
    char sha256[65]; /* hex SHA-256 of the loaded shared object */
} ivp_plugin;

/* Loads the plugin at path. A path ending in ".c" is first compiled (as ivp_plugin_build does)
 * into a cache folder keyed by the SHA-256 of the source text, the ABI header and the compiler
 * command (headers the source #includes are not part of the key), unless a build is already
 * cached there; $CC is split at blanks (CC="ccache gcc" works); cache_dir NULL means
 * $IVP_CACHE_DIR, else $XDG_CACHE_HOME/ivp, else ~/.cache/ivp.
 * The cache is private: created 0700, and a cache folder, include/, plugins/, locks/ or cached
 * object that another user owns or could write (or a folder above the cache another user could
 * change) is refused with IVP_ERR_PLUGIN naming the path; nothing from it is loaded.
 * Concurrent loads of the same source (batch jobs, threads) compile it once: the build runs
 * under a lock per entry (flock on <cache>/locks/<key>.lock). A cached object that is
 * truncated, not ELF or refused by dlopen is built again. The compiler runs in its own process
 * group for at most $IVP_BUILD_TIMEOUT seconds (default 300, 0: no limit; IVP_ERR_BUILD after).
 * While it runs, SIGINT, SIGTERM and SIGHUP (unless ignored) are caught: the compiler's group
 * is stopped, the temporary folder removed, the caller's own handler (if any) gets the signal
 * raised again afterwards, and the load returns IVP_ERR_INTERRUPTED.
 * Errors: IVP_ERR_PLUGIN (cannot open, missing rhs or ivp_abi_version, ABI mismatch,
 * ivp_event_names missing with events, jac_values without jac_sparsity, a name in
 * ivp_param_names / ivp_event_names that is not a C identifier of at most 63 characters or
 * appears twice, an untrusted cache, ...), IVP_ERR_BUILD (the compiler failed or ran out of
 * time; the message holds its first lines of output) and IVP_ERR_INTERRUPTED. An unreadable .c
 * source is IVP_ERR_PLUGIN. Messages name the .c file for plugins built from one. *out is NULL
 * on error. */
ivp_status ivp_plugin_load(const char *path, const char *cache_dir, ivp_plugin **out,
                           ivp_error *err);

/* As ivp_plugin_load for generated C source held in memory (c_text, len bytes; an expression
 * model's, ivp/model.h): keyed, locked, compiled, checked and loaded exactly as a .c file is;
 * on a build the text is kept in the cache as plugins/<key>.c beside plugins/<key>.so.
 * display_name names the plugin in messages and is pl->source. No C compiler: IVP_ERR_BUILD
 * naming the command. Errors as ivp_plugin_load, plus IVP_ERR_ARG for a NULL text or name. */
ivp_status ivp_plugin_load_source(const char *c_text, size_t len, const char *display_name,
                                  const char *cache_dir, ivp_plugin **out, ivp_error *err);

/* dlcloses and frees; NULL is a no-op. */
void ivp_plugin_close(ivp_plugin *pl);

/* Compiles a plugin source into a shared object with the system C compiler ($CC, else cc):
 * cc -O2 -shared -fPIC -I<folder holding ivp_plugin.h> -o out_so source.
 * The header is written by ivp itself (it is built in) into the cache's include/ (checked as
 * ivp_plugin_load checks it), so this works wherever ivp is installed. out_so NULL means source
 * with ".c" replaced by ".so". The time limit and signals are handled as in ivp_plugin_load.
 * IVP_ERR_BUILD with the compiler's output on failure; IVP_ERR_ARG for an empty source name or
 * an output equal to the source; IVP_ERR_INTERRUPTED; IVP_ERR_PLUGIN for an untrusted cache. */
ivp_status ivp_plugin_build(const char *source, const char *out_so, const char *cache_dir,
                            ivp_error *err);

/* A plugin bound to a problem for one solve: the parameter vector, the context (ivp_init has
 * run), the sparsity pattern, and the ivp_system the core integrates. */
typedef struct ivp_instance {
    ivp_system sys; /* what to pass to ivp_solve */
    ivp_ctx ctx;
    double *params;             /* in the plugin's ivp_param_names order */
    ivp_event_opts *event_opts; /* sys.n_events entries, from the spec (defaults otherwise) */
    size_t *sp_rows, *sp_cols;  /* owned copy of the sparsity pattern, if any */
    const ivp_plugin *plugin;   /* borrowed */
    int initialised;            /* ivp_init ran and succeeded: ivp_fini is due */
} ivp_instance;

/* Binds pl to prob: matches params by name (each declared one must be given, no unknown ones),
 * checks y0 against ivp_dim, events keys against ivp_event_names, jac "plugin" against the
 * plugin's symbols, reads and range-checks the sparsity pattern, then calls ivp_init.
 * The plugin's jac_values is used only with "jac_sparsity": "plugin" (its values are at the
 * plugin's own positions). jac_sparsity is called before ivp_init (ctx->data is NULL then).
 * A failing ivp_init gets no ivp_fini.
 * Spec mismatches are IVP_ERR_SPEC with the JSON path ("$.params.mu: ..."); an ivp_init
 * failure is IVP_ERR_PLUGIN naming the code. */
ivp_status ivp_instance_new(const ivp_plugin *pl, const ivp_problem *prob, ivp_instance **out,
                            ivp_error *err);

/* Calls ivp_fini (if ivp_init ran) and frees; NULL is a no-op. */
void ivp_instance_free(ivp_instance *inst);

#ifdef __cplusplus
}
#endif

#endif /* IVP_PLUGIN_LOADER_H */
