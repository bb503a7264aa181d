/* SPDX-License-Identifier: MIT
 * tests/problems/brusselator2d.c - the two-dimensional Brusselator (Hairer, Wanner, Solving
 * ODEs II, section IV.10, BRUSS-2D; problems.json "brusselator2d_hairer") on the periodic
 * NS x NS grid x_i = i/NS, y_j = j/NS (i, j = 0..NS-1), with c = alpha NS^2:
 *   u' = 1 + u^2 v - 4.4 u + c (u_W + u_E + u_S + u_N - 4 u) + f(x, y, t)
 *   v' = 3.4 u - u^2 v + c (v_W + v_E + v_S + v_N - 4 v)
 * f = 5 where (x - 0.3)^2 + (y - 0.6)^2 <= 0.01 and t >= 1.1, else 0; alpha = 0.1, NS = 128,
 * t in [0, 11.5]. The state is interleaved by grid point p = j NS + i: y[2p] = u, y[2p+1] = v,
 * n = 2 NS^2 = 32768. y(0) (u = 22 y (1 - y)^1.5, v = 27 x (1 - x)^1.5) comes from the spec:
 * tests/stiff/bruss_spec.py writes it.
 *
 * Parameters NS (a whole number >= 3 with n = 2 NS^2) and alpha. The Jacobian is exported as
 * a sparse pattern: each row has its own point's u and v and the same component at the four
 * periodic neighbours - 6 entries per row, in that order (u, v, W, E, S, N) - and jac_values
 * fills them. No dense jac: n^2 doubles would be 8 GiB.
 */
#include "ivp_plugin.h"

#include <math.h>

IVP_PLUGIN_ABI;
const char *const ivp_param_names[] = {"NS", "alpha", NULL};

#define BRUSS2D_T_SOURCE 1.1

/* NS from the parameters if it is a whole number >= 3 with 2 NS^2 = n, else 0. */
static size_t bruss2d_side(const ivp_ctx *ctx)
{
    const double ns = ctx->p[0];
    size_t m;
    if (!(ns >= 3.0 && ns <= 1e6) || floor(ns) != ns) {
        return 0;
    }
    m = (size_t)ns;
    return 2 * m * m == ctx->n ? m : 0;
}

/* The grid point's four periodic neighbours, in the order W, E, S, N. */
static void bruss2d_neighbours(size_t m, size_t i, size_t j, size_t nb[4])
{
    nb[0] = j * m + (i > 0 ? i - 1 : m - 1);
    nb[1] = j * m + (i + 1 < m ? i + 1 : 0);
    nb[2] = (j > 0 ? j - 1 : m - 1) * m + i;
    nb[3] = (j + 1 < m ? j + 1 : 0) * m + i;
}

int ivp_init(ivp_ctx *ctx)
{
    return bruss2d_side(ctx) > 0 ? 0 : -1; /* NS does not match n = len(y0) = 2 NS^2 */
}

int rhs(double t, const double *y, double *dydt, const ivp_ctx *ctx)
{
    const double ns = ctx->p[0];
    const size_t m = (size_t)ns;
    const double c = ctx->p[1] * (ns * ns);
    const int source = t >= BRUSS2D_T_SOURCE;
    for (size_t j = 0; j < m; j++) {
        for (size_t i = 0; i < m; i++) {
            const size_t p = j * m + i;
            size_t nb[4];
            const double u = y[2 * p], v = y[2 * p + 1];
            double du, lapu, lapv, uuv;
            bruss2d_neighbours(m, i, j, nb);
            lapu = y[2 * nb[0]] + y[2 * nb[1]] + y[2 * nb[2]] + y[2 * nb[3]] - 4.0 * u;
            lapv = y[2 * nb[0] + 1] + y[2 * nb[1] + 1] + y[2 * nb[2] + 1] + y[2 * nb[3] + 1] -
                   4.0 * v;
            uuv = u * u * v;
            du = 1.0 + uuv - 4.4 * u + c * lapu;
            if (source) {
                const double dx = (double)i / ns - 0.3, dy = (double)j / ns - 0.6;
                if (dx * dx + dy * dy <= 0.01) {
                    du += 5.0;
                }
            }
            dydt[2 * p] = du;
            dydt[2 * p + 1] = 3.4 * u - uuv + c * lapv;
        }
    }
    return 0;
}

long jac_sparsity(const ivp_ctx *ctx, size_t *rows, size_t *cols)
{
    const size_t m = bruss2d_side(ctx);
    size_t count = 0;
    if (m == 0) {
        return -1;
    }
    for (size_t j = 0; j < m; j++) {
        for (size_t i = 0; i < m; i++) {
            const size_t p = j * m + i;
            size_t nb[4];
            bruss2d_neighbours(m, i, j, nb);
            for (size_t comp = 0; comp < 2; comp++) {
                const size_t r = 2 * p + comp;
                const size_t col[6] = {2 * p,
                                       2 * p + 1,
                                       2 * nb[0] + comp,
                                       2 * nb[1] + comp,
                                       2 * nb[2] + comp,
                                       2 * nb[3] + comp};
                for (size_t k = 0; k < 6; k++) {
                    if (rows != NULL && cols != NULL) {
                        rows[count] = r;
                        cols[count] = col[k];
                    }
                    count++;
                }
            }
        }
    }
    return (long)count;
}

/* Values in jac_sparsity's order: per row d/du, d/dv at the point, then c four times. */
int jac_values(double t, const double *y, double *v, const ivp_ctx *ctx)
{
    const double ns = ctx->p[0];
    const size_t npts = ctx->n / 2;
    const double c = ctx->p[1] * (ns * ns);
    size_t k = 0;
    (void)t;
    for (size_t p = 0; p < npts; p++) {
        const double u = y[2 * p], w = y[2 * p + 1];
        v[k++] = 2.0 * u * w - 4.4 - 4.0 * c; /* row u: d/du */
        v[k++] = u * u;                       /*        d/dv */
        for (size_t q = 0; q < 4; q++) {
            v[k++] = c;
        }
        v[k++] = 3.4 - 2.0 * u * w;  /* row v: d/du */
        v[k++] = -(u * u) - 4.0 * c; /*        d/dv */
        for (size_t q = 0; q < 4; q++) {
            v[k++] = c;
        }
    }
    return 0;
}
