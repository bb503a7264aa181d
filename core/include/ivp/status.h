/* SPDX-License-Identifier: MIT
 * core/include/ivp/status.h - status codes and the error record every fallible call fills.
 */
#ifndef IVP_STATUS_H
#define IVP_STATUS_H

#ifdef __cplusplus
extern "C" {
#endif

/* 0 success; > 0 informational (the layer above decides); < 0 an error, passed up unchanged. */
#define IVP_STATUS_LIST(X)                                                                         \
    X(IVP_OK, 0, "success")                                                                        \
    X(IVP_TERMINATED, 1, "a terminal event occurred")                                              \
    X(IVP_ERR_SPEC, -1, "invalid problem spec")                                                    \
    X(IVP_ERR_PLUGIN, -2, "plugin could not be loaded")                                            \
    X(IVP_ERR_BUILD, -3, "plugin could not be built")                                              \
    X(IVP_ERR_IO, -4, "input/output error")                                                        \
    X(IVP_ERR_NOMEM, -5, "out of memory")                                                          \
    X(IVP_ERR_ARG, -6, "invalid argument")                                                         \
    X(IVP_ERR_STEP, -7, "step size became too small")                                              \
    X(IVP_ERR_RHS, -8, "right-hand side failed")                                                   \
    X(IVP_ERR_JAC, -9, "Jacobian evaluation failed")                                               \
    X(IVP_ERR_EVENT, -10, "event function failed")                                                 \
    X(IVP_ERR_MAX_STEPS, -11, "maximum number of steps reached")                                   \
    X(IVP_ERR_LINALG, -12, "linear solver failed")                                                 \
    X(IVP_ERR_CONV, -13, "nonlinear iteration failed")                                             \
    X(IVP_ERR_INTERRUPTED, -14, "interrupted")                                                     \
    X(IVP_ERR_INTERNAL, -15, "internal error")

typedef enum ivp_status {
#define IVP_STATUS_ENUM_(name, value, text) name = value,
    IVP_STATUS_LIST(IVP_STATUS_ENUM_)
#undef IVP_STATUS_ENUM_
} ivp_status;

/* Short description of a status, in static storage. Unknown values give "unknown status". */
const char *ivp_status_str(ivp_status s);

#define IVP_ERROR_MSG_MAX 512

/* Filled by every fallible function: the status and a message saying what and where. */
typedef struct ivp_error {
    ivp_status status;
    char msg[IVP_ERROR_MSG_MAX];
} ivp_error;

/* Sets err (if non-NULL) to status s and a printf-formatted message; returns s, so callers
 * write `return ivp_error_set(err, IVP_ERR_SPEC, "$.rtol: must be > 0");`. */
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
ivp_status
ivp_error_set(ivp_error *err, ivp_status s, const char *fmt, ...);

/* Resets err to IVP_OK with an empty message. */
void ivp_error_clear(ivp_error *err);

#ifdef __cplusplus
}
#endif

#endif /* IVP_STATUS_H */
