/* SPDX-License-Identifier: MIT
 * core/include/ivp/ctx.h - the types the solver and plugins share: ivp_ctx and the callback
 * signatures (contracts.md section 1).
 *
 * plugins/ivp_plugin.h carries the same definitions, so that it stays one self-contained file
 * (`ivp build` writes it alone into its cache); the block between the IVP_CTX_TYPES_DEFINED
 * markers is identical in both files (tests/install checks this), and whichever header is
 * included first defines the types.
 */
#ifndef IVP_CTX_H
#define IVP_CTX_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

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

#ifdef __cplusplus
}
#endif

#endif /* IVP_CTX_H */
