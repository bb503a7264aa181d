/* SPDX-License-Identifier: MIT
 * tests/problems/brusselator1d.c - the Brusselator with one-dimensional diffusion (Hairer,
 * Wanner, Solving ODEs II, section IV.10; Hairer's test problem BRUSS; problems.json
 * "brusselator1d_hairer"): for i = 1..N, x_i = i/(N+1), gamma = alpha (N+1)^2,
 *   u_i' = 1 + u_i^2 v_i - 4 u_i + gamma (u_{i-1} - 2 u_i + u_{i+1})
 *   v_i' = 3 u_i - u_i^2 v_i + gamma (v_{i-1} - 2 v_i + v_{i+1})
 * with u_0 = u_{N+1} = 1, v_0 = v_{N+1} = 3, t in [0, 10], N = 500, alpha = 0.02. The state is
 * interleaved, y = (u_1, v_1, ..., u_N, v_N), n = 2N, so the Jacobian is banded with
 * ml = mu = 2. y(0) (u_i = 1 + 0.5 sin(2 pi x_i), v_i = 3) comes from the spec:
 * tests/stiff/bruss_spec.py writes it.
 *
 * Parameters N and alpha (N a whole number with n = 2N; there is no ivp_dim, so any N works).
 * The Jacobian is exported as the sparse pattern of the band (jac_sparsity/jac_values), four
 * entries per row; with "lband"/"uband" instead, ivp differences the rhs in five column groups.
 */
#include "ivp_plugin.h"

#include <math.h>

IVP_PLUGIN_ABI;
const char *const ivp_param_names[] = {"N", "alpha", NULL};

/* Boundary values u_0 = u_{N+1}, v_0 = v_{N+1}. */
#define BRUSS_UB 1.0
#define BRUSS_VB 3.0

/* N from the parameters if it is a whole number >= 1 with 2N = n, else 0. */
static size_t bruss_points(const ivp_ctx *ctx)
{
    const double N = ctx->p[0];
    if (!(N >= 1.0 && N <= 1e9) || floor(N) != N || 2 * (size_t)N != ctx->n) {
        return 0;
    }
    return (size_t)N;
}

static double bruss_gamma(const ivp_ctx *ctx)
{
    const double np1 = ctx->p[0] + 1.0;
    return ctx->p[1] * (np1 * np1);
}

int ivp_init(ivp_ctx *ctx)
{
    return bruss_points(ctx) > 0 ? 0 : -1; /* N does not match n = len(y0)/2 */
}

int rhs(double t, const double *y, double *dydt, const ivp_ctx *ctx)
{
    const size_t N = ctx->n / 2;
    const double gamma = bruss_gamma(ctx);
    (void)t;
    for (size_t i = 0; i < N; i++) {
        const double u = y[2 * i], v = y[2 * i + 1];
        const double ul = i > 0 ? y[2 * i - 2] : BRUSS_UB;
        const double vl = i > 0 ? y[2 * i - 1] : BRUSS_VB;
        const double ur = i + 1 < N ? y[2 * i + 2] : BRUSS_UB;
        const double vr = i + 1 < N ? y[2 * i + 3] : BRUSS_VB;
        const double uuv = u * u * v;
        dydt[2 * i] = 1.0 + uuv - 4.0 * u + gamma * (ul - 2.0 * u + ur);
        dydt[2 * i + 1] = 3.0 * u - uuv + gamma * (vl - 2.0 * v + vr);
    }
    return 0;
}

/* Row 2i (u_i): columns u_{i-1}, u_i, v_i, u_{i+1}; row 2i+1 (v_i): v_{i-1}, u_i, v_i,
 * v_{i+1}; the neighbours that lie outside the grid are left out. Row-major, columns
 * increasing. */
long jac_sparsity(const ivp_ctx *ctx, size_t *rows, size_t *cols)
{
    const size_t N = bruss_points(ctx);
    size_t count = 0;
    if (N == 0) {
        return -1;
    }
    for (size_t i = 0; i < N; i++) {
        for (size_t c = 0; c < 2; c++) {
            const size_t r = 2 * i + c;
            size_t cand[4];
            size_t m = 0;
            if (i > 0) {
                cand[m++] = r - 2;
            }
            cand[m++] = 2 * i;
            cand[m++] = 2 * i + 1;
            if (i + 1 < N) {
                cand[m++] = r + 2;
            }
            for (size_t k = 0; k < m; k++) {
                if (rows != NULL && cols != NULL) {
                    rows[count] = r;
                    cols[count] = cand[k];
                }
                count++;
            }
        }
    }
    return (long)count;
}

/* Values in jac_sparsity's order. */
int jac_values(double t, const double *y, double *v, const ivp_ctx *ctx)
{
    const size_t N = ctx->n / 2;
    const double gamma = bruss_gamma(ctx);
    size_t k = 0;
    (void)t;
    for (size_t i = 0; i < N; i++) {
        const double u = y[2 * i], w = y[2 * i + 1];
        /* row u_i */
        if (i > 0) {
            v[k++] = gamma;
        }
        v[k++] = 2.0 * u * w - 4.0 - 2.0 * gamma; /* d/du_i */
        v[k++] = u * u;                           /* d/dv_i */
        if (i + 1 < N) {
            v[k++] = gamma;
        }
        /* row v_i */
        if (i > 0) {
            v[k++] = gamma;
        }
        v[k++] = 3.0 - 2.0 * u * w;      /* d/du_i */
        v[k++] = -(u * u) - 2.0 * gamma; /* d/dv_i */
        if (i + 1 < N) {
            v[k++] = gamma;
        }
    }
    return 0;
}
