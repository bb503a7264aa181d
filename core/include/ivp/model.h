/* SPDX-License-Identifier: MIT
 * core/include/ivp/model.h - expression models (contracts.md section 6): a right-hand side
 * written as expressions in the spec's "model" object, parsed into a typed expression graph,
 * differentiated symbolically and turned into the C source of a plugin of the ordinary ABI.
 *
 * Nothing from the spec reaches the generated C except numbers (printed with %.17g, so they read
 * back exactly) and the declared names, which appear only inside string literals of the name
 * tables (they are checked to be C identifiers). The C identifiers are the generator's own.
 *
 * Errors name the JSON path and, inside an expression, the line and column, and suggest the
 * nearest valid name: "$.model.rhs.v:1:4: unknown name 'mux' (did you mean 'mu'?)".
 */
#ifndef IVP_MODEL_H
#define IVP_MODEL_H

#include <stddef.h>

#include "ivp/status.h"

#ifdef __cplusplus
extern "C" {
#endif

struct cJSON;
typedef struct ivp_model ivp_model;

/* Limits (errors beyond them, exit 2): characters in one expression, nesting depth of an
 * expression tree (a chain a+b+c+... is as deep as it is long), number of states, nodes of the expression graph (derivatives included). */
#define IVP_MODEL_MAX_EXPR_CHARS 65536
#define IVP_MODEL_MAX_DEPTH 1000
#define IVP_MODEL_MAX_STATES 100000000L
#define IVP_MODEL_MAX_NODES 4000000

/* Parses and checks the "model" object at JSON path json_path ("$.model"). On success returns
 * the model; on failure NULL with err set (IVP_ERR_SPEC with "<path>[:line:col]: what", or
 * IVP_ERR_NOMEM). Derivatives and the Jacobian pattern are worked out here too, so a model that
 * parses always generates. */
ivp_model *ivp_model_parse(const struct cJSON *model, const char *json_path, ivp_error *err);

/* As above from JSON text (for tools and tests): len bytes, need not be NUL-terminated. */
ivp_model *ivp_model_parse_text(const char *text, size_t len, const char *json_path,
                                ivp_error *err);

/* NULL is a no-op. */
void ivp_model_free(ivp_model *m);

/* Number of state components (arrays count their length). */
size_t ivp_model_dim(const ivp_model *m);

/* Non-zero when the generated plugin gives its Jacobian as jac_sparsity + jac_values (a large,
 * sparse pattern); zero when it gives a dense jac (it gives jac_sparsity + jac_values too). */
int ivp_model_is_sparse(const ivp_model *m);

/* Number of structural Jacobian entries the generated code visits (with repeats), and the number
 * of distinct nonzeros of the pattern. */
size_t ivp_model_jac_terms(const ivp_model *m);

/* The canonical text of the model (one line: sizes resolved, constants folded, expressions
 * printed from the graph). Two specs with the same canonical text generate the same C, so it
 * (inside the generated C) is what keys the plugin cache. Owned by the model. */
const char *ivp_model_canonical(const ivp_model *m);

/* The generated plugin source, NUL-terminated, malloc'ed (the caller frees); *len its length.
 * NULL when out of memory. */
char *ivp_model_emit_c(const ivp_model *m, size_t *len);

/* Declared names: params in the model's order (the generated ivp_param_names), events in the
 * spec's order (ivp_event_names). */
size_t ivp_model_n_params(const ivp_model *m);
const char *ivp_model_param_name(const ivp_model *m, size_t k);
size_t ivp_model_n_events(const ivp_model *m);
const char *ivp_model_event_name(const ivp_model *m, size_t k);

/* The name of state component k ("x", "u[3]") into buf (size bytes); returns buf. */
const char *ivp_model_state_name(const ivp_model *m, size_t k, char *buf, size_t size);

#ifdef __cplusplus
}
#endif

#endif /* IVP_MODEL_H */
