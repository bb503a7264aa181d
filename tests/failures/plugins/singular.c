/* SPDX-License-Identifier: MIT
 * tests/failures/plugins/singular.c - a Jacobian that makes the iteration matrix singular
 * from t = t_s on (or a Jacobian that fails there), for the failure tests of the implicit
 * methods (tests/failures/test_failures.py).
 *
 *   y0' = -k(t) (y0 - cos t),  y1' = -k(t) (y1 - sin t),  k(t) = 1 before t_s, k after.
 *
 * Before t_s the Jacobian is the exact diag(-1, -1). From t_s on it is c [[1, 1], [1, 1]]
 * with c = 1e300: every iteration matrix alpha I + beta J (Radau: MU/h I - J; BDF, LSODA:
 * I - c J) then rounds to the rank-one beta J, because |alpha| < c eps / 2 for any step
 * h > 1e-280, so the LU meets an exactly zero pivot whatever h is. The stiffness jump to
 * k = 1e6 at t_s makes the stale Jacobian useless, so every method asks for a new one soon
 * after t_s (Radau at a step start, BDF at the predicted point, LSODA once it has switched
 * to BDF) and stops there.
 *
 * jac_code != 0: from t_s on, jac and jac_values return that code instead (> 0 recoverable,
 * < 0 fatal).
 * bad_pattern != 0: jac_sparsity reports an entry (1, 2), out of range for n = 2.
 * Both the dense 'jac' and the sparse 'jac_sparsity' + 'jac_values' are defined, so a spec
 * can pick the dense or the sparse (KLU) linear solver.
 */
#include <math.h>

#include "ivp_plugin.h"

IVP_PLUGIN_ABI;
const size_t ivp_dim = 2;
const char *const ivp_param_names[] = {"t_s", "k", "jac_code", "bad_pattern", NULL};

#define SINGULAR_SCALE 1e300

int rhs(double t, const double *y, double *dydt, const ivp_ctx *ctx)
{
    double k = t >= ctx->p[0] ? ctx->p[1] : 1.0;
    dydt[0] = -k * (y[0] - cos(t));
    dydt[1] = -k * (y[1] - sin(t));
    return 0;
}

/* The four entries, row-major (also the order of the jac_sparsity pattern). */
static int singular_values(double t, double *v, const ivp_ctx *ctx)
{
    if (t >= ctx->p[0]) {
        if (ctx->p[2] != 0.0) {
            return (int)ctx->p[2];
        }
        v[0] = v[1] = v[2] = v[3] = SINGULAR_SCALE;
        return 0;
    }
    v[0] = -1.0;
    v[1] = 0.0;
    v[2] = 0.0;
    v[3] = -1.0;
    return 0;
}

int jac(double t, const double *y, double *J, const ivp_ctx *ctx)
{
    (void)y;
    return singular_values(t, J, ctx);
}

long jac_sparsity(const ivp_ctx *ctx, size_t *rows, size_t *cols)
{
    size_t k;
    if (rows != NULL && cols != NULL) {
        for (k = 0; k < 4; k++) {
            rows[k] = k / 2;
            cols[k] = k % 2;
        }
        if (ctx->p[3] != 0.0) {
            cols[3] = 2;
        }
    }
    return 4;
}

int jac_values(double t, const double *y, double *v, const ivp_ctx *ctx)
{
    (void)y;
    return singular_values(t, v, ctx);
}
