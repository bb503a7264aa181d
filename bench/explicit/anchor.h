/* SPDX-License-Identifier: MIT
 * bench/explicit/anchor.h - the minimal fused RK45/DOP853 loop (see anchor.c).
 */
#ifndef IVP_BENCH_EXPLICIT_ANCHOR_H
#define IVP_BENCH_EXPLICIT_ANCHOR_H

#include <stddef.h>

#ifndef IVP_PLUGIN_NO_DECLS
#define IVP_PLUGIN_NO_DECLS
#endif
#include "ivp_plugin.h"

/* Integrates y' = rhs(t, y) from t0 to t_end with RK45 (dop853 == 0) or DOP853, rtol and a
 * scalar atol, writing the final state to y_out. Returns 0, or -1 when rhs failed, the step
 * size fell below the spacing limit, or memory ran out. */
int anchor_solve(int dop853, ivp_rhs_fn *rhs, const ivp_ctx *ctx, size_t n, double t0, double t_end,
                 const double *y0, double rtol, double atol, double *y_out, unsigned long *nfev,
                 unsigned long *n_steps);

#endif /* IVP_BENCH_EXPLICIT_ANCHOR_H */
