/* SPDX-License-Identifier: MIT
 * core/include/ivp/memsink.h - keep a solve's results in memory (like solve_ivp's return
 * value): for in-process use and for tests. Arrays grow by doubling; reserve capacity up front
 * to keep allocation out of the solve. The arrays of a group (t and y; ev_k, ev_t and ev_y;
 * seg_t and seg_c) grow together or not at all: after a failed growth the sink holds what it
 * held before, and later pushes are safe.
 */
#ifndef IVP_MEMSINK_H
#define IVP_MEMSINK_H

#include <stddef.h>

#include "ivp/solve.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ivp_memsink {
    size_t n;     /* state dimension */
    unsigned deg; /* dense degree (ivp_method_dense_degree) */
    const ivp_allocator *alloc;
    double *t; /* n_points times */
    double *y; /* n_points x n, one row per point */
    size_t n_points, cap_points;
    size_t *ev_k; /* n_ev occurrences: event index, time, state (n_ev x n) */
    double *ev_t, *ev_y;
    size_t n_ev, cap_ev;
    double *seg_t; /* n_seg x 2: t_lo, t_hi */
    double *seg_c; /* n_seg x (deg + 1) x n PPoly coefficients */
    size_t n_seg, cap_seg;
    int failed; /* an allocation failed: the sink stopped the solve */
} ivp_memsink;

/* Initialises m for dimension n and dense degree deg, reserving room for reserve_points
 * points, reserve_events events and reserve_segments segments. IVP_ERR_NOMEM on failure
 * (m is then empty, with nothing reserved: safe to use and to free). */
ivp_status ivp_memsink_init(ivp_memsink *m, size_t n, unsigned deg, const ivp_allocator *a,
                            size_t reserve_points, size_t reserve_events, size_t reserve_segments);

/* The callbacks feeding m. */
ivp_sink ivp_memsink_sink(ivp_memsink *m);

/* Evaluates the dense output at t (the segment containing t; the end segments extrapolate),
 * writing n values to y. Returns 0, or -1 when there are no segments. */
int ivp_memsink_eval(const ivp_memsink *m, double t, double *y);

/* Frees the arrays (not m itself). */
void ivp_memsink_free(ivp_memsink *m);

#ifdef __cplusplus
}
#endif

#endif /* IVP_MEMSINK_H */
