/* SPDX-License-Identifier: MIT
 * plugins/ivp_plugin.h - the ivp plugin ABI (version 1).
 *
 * A plugin is a shared object built from user C code:
 *     ivp build model.c            (or: cc -O2 -shared -fPIC -I<dir of this header> -o model.so model.c)
 * ivp loads it with dlopen(RTLD_NOW | RTLD_LOCAL) and looks up the symbols declared below.
 *
 *   rhs              required  int rhs(double t, const double *y, double *dydt, const ivp_ctx *ctx)
 *   ivp_abi_version  required  const int, must equal IVP_PLUGIN_ABI_VERSION
 *   jac              optional  dense Jacobian, ROW-MAJOR: J[i*n + j] = d f_i / d y_j
 *   events           optional  event functions g_k(t, y), k < number of ivp_event_names
 *   ivp_event_names  with events: NULL-terminated array, one name per event function
 *   ivp_param_names  optional  NULL-terminated array; the spec's "params" are matched by name
 *                              and passed in ctx->p in this order
 *   ivp_dim          optional  const size_t: the state dimension the plugin expects
 *   jac_sparsity     optional  structural nonzeros of the Jacobian (see below)
 *   jac_values       optional  Jacobian values at the jac_sparsity positions, same order
 *   ivp_init/ivp_fini optional set up / release ctx->data, once per solve
 *
 * Return codes of rhs, jac, jac_values, events and ivp_init:
 *   0 success; > 0 recoverable (the solver rejects the step and retries with a smaller one);
 *   < 0 fatal (the solve stops with status -1 and a message naming the function, t and code).
 * A NaN or Inf in dydt is treated like a recoverable failure.
 *
 * jac_sparsity(ctx, NULL, NULL) returns the number of structural nonzeros; called again with
 * arrays of that length it fills 0-based (row, col) pairs and returns the count; < 0 is an error.
 * It is called before ivp_init (ctx->data is still NULL): derive the pattern from ctx->n and
 * ctx->p.
 *
 * One ivp_ctx exists per solve, so a plugin that keeps its state in ctx->data (not in globals)
 * can be used from several threads at once.
 *
 * Define IVP_PLUGIN_NO_DECLS before including to get the types without the symbol
 * declarations (the ivp core does this).
 */
#ifndef IVP_PLUGIN_H
#define IVP_PLUGIN_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The same block as in ivp/ctx.h (the solver library's header): defined once, by whichever
 * header comes first. */
#ifndef IVP_CTX_TYPES_DEFINED
#define IVP_CTX_TYPES_DEFINED

#define IVP_PLUGIN_ABI_VERSION 1

/* Passed to every plugin function. Fields are only ever appended, never reordered. */
typedef struct ivp_ctx {
    size_t n;          /* state dimension */
    const double *p;   /* parameter values, in ivp_param_names order (spec "params") */
    size_t np;         /* number of parameters */
    void *data;        /* the plugin's own, set by ivp_init; NULL otherwise */
} ivp_ctx;

typedef int ivp_rhs_fn(double t, const double *y, double *dydt, const ivp_ctx *ctx);
typedef int ivp_jac_fn(double t, const double *y, double *J, const ivp_ctx *ctx);
typedef int ivp_events_fn(double t, const double *y, double *g, const ivp_ctx *ctx);
typedef long ivp_jac_sparsity_fn(const ivp_ctx *ctx, size_t *rows, size_t *cols);
typedef int ivp_jac_values_fn(double t, const double *y, double *v, const ivp_ctx *ctx);
typedef int ivp_init_fn(ivp_ctx *ctx);
typedef void ivp_fini_fn(ivp_ctx *ctx);
#endif /* IVP_CTX_TYPES_DEFINED */

#ifndef IVP_PLUGIN_NO_DECLS
/* What a plugin defines (only rhs and ivp_abi_version are required). Declaring them here lets
 * the compiler check the plugin's definitions against the ABI. */
ivp_rhs_fn rhs;
ivp_jac_fn jac;
ivp_events_fn events;
ivp_jac_sparsity_fn jac_sparsity;
ivp_jac_values_fn jac_values;
ivp_init_fn ivp_init;
ivp_fini_fn ivp_fini;
extern const int ivp_abi_version;
extern const char *const ivp_param_names[];
extern const char *const ivp_event_names[];
extern const size_t ivp_dim;

/* Convenience: IVP_PLUGIN_ABI; at file scope defines ivp_abi_version. */
#define IVP_PLUGIN_ABI const int ivp_abi_version = IVP_PLUGIN_ABI_VERSION
#endif

#ifdef __cplusplus
}
#endif

#endif /* IVP_PLUGIN_H */
