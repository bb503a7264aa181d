/* SPDX-License-Identifier: MIT
 * bench/stiff/bench_problems.c - Van der Pol and BRUSS-2D (see bench_problems.h).
 *
 * BRUSS-2D (Hairer & Wanner, Solving ODEs II, 2nd ed., section IV.10; problems.json
 * brusselator2d_hairer): on the grid x_i = i/NS, y_j = j/NS (i, j = 0..NS-1), periodic,
 *     u' = 1 + u^2 v - 4.4 u + alpha NS^2 (5-point Laplacian of u) + f(x, y, t)
 *     v' = 3.4 u - u^2 v + alpha NS^2 (5-point Laplacian of v)
 * with alpha = 0.1, f = 5 inside the disc (x - 0.3)^2 + (y - 0.6)^2 <= 0.1^2 for t >= 1.1 and
 * 0 otherwise, u(0) = 22 y (1 - y)^1.5, v(0) = 27 x (1 - x)^1.5. Unknowns are interleaved:
 * y[2k] = u, y[2k + 1] = v at grid point k = j NS + i.
 */
#include "bench_problems.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define BRUSS_ALPHA 0.1
#define BRUSS_T_FORCE 1.1
#define BRUSS_ENTRIES_PER_POINT 12 /* two rows of 6 */

/* ---- Van der Pol ---- */

static int vdp_rhs(double t, const double *y, double *dydt, const ivp_ctx *ctx)
{
    const double mu = ctx->p[0];
    (void)t;
    dydt[0] = y[1];
    dydt[1] = mu * (1.0 - y[0] * y[0]) * y[1] - y[0];
    return 0;
}

/* Row-major: J[i*n + j] = d f_i / d y_j. */
static int vdp_jac(double t, const double *y, double *J, const ivp_ctx *ctx)
{
    const double mu = ctx->p[0];
    (void)t;
    J[0] = 0.0;
    J[1] = 1.0;
    J[2] = -2.0 * mu * y[0] * y[1] - 1.0;
    J[3] = mu * (1.0 - y[0] * y[0]);
    return 0;
}

int bench_problem_vdp(bench_problem *p, double mu, double t_end)
{
    memset(p, 0, sizeof *p);
    p->name = "vdp";
    p->n = 2;
    p->t0 = 0.0;
    p->t_end = t_end;
    p->params[0] = mu;
    p->y0 = malloc(2 * sizeof *p->y0);
    if (p->y0 == NULL) {
        return -1;
    }
    p->y0[0] = 2.0;
    p->y0[1] = 0.0;
    p->ctx.n = 2;
    p->ctx.p = p->params;
    p->ctx.np = 1;
    p->rhs = vdp_rhs;
    p->jac = vdp_jac;
    return 0;
}

/* ---- BRUSS-2D ---- */

/* Grid neighbours of point (i, j), periodic. */
typedef struct bruss_nb {
    size_t w, e, s, n; /* point indices of (i-1, j), (i+1, j), (i, j-1), (i, j+1) */
} bruss_nb;

static bruss_nb bruss_neighbours(size_t ns, size_t i, size_t j)
{
    bruss_nb nb;
    size_t im = i == 0 ? ns - 1 : i - 1, ip = i + 1 == ns ? 0 : i + 1;
    size_t jm = j == 0 ? ns - 1 : j - 1, jp = j + 1 == ns ? 0 : j + 1;
    nb.w = j * ns + im;
    nb.e = j * ns + ip;
    nb.s = jm * ns + i;
    nb.n = jp * ns + i;
    return nb;
}

static int bruss_in_disc(size_t ns, size_t i, size_t j)
{
    const double x = (double)i / (double)ns, yy = (double)j / (double)ns;
    return (x - 0.3) * (x - 0.3) + (yy - 0.6) * (yy - 0.6) <= 0.01;
}

static int bruss_rhs(double t, const double *y, double *dydt, const ivp_ctx *ctx)
{
    const double alpha = ctx->p[0];
    const size_t ns = (size_t)ctx->p[1];
    const double gam = alpha * (double)ns * (double)ns;
    const int forced = t >= BRUSS_T_FORCE;
    size_t i, j;
    for (j = 0; j < ns; j++) {
        for (i = 0; i < ns; i++) {
            const size_t k = j * ns + i;
            const bruss_nb nb = bruss_neighbours(ns, i, j);
            const double u = y[2 * k], v = y[2 * k + 1];
            const double lap_u = y[2 * nb.w] + y[2 * nb.e] + y[2 * nb.s] + y[2 * nb.n] - 4.0 * u;
            const double lap_v = y[2 * nb.w + 1] + y[2 * nb.e + 1] + y[2 * nb.s + 1] +
                                 y[2 * nb.n + 1] - 4.0 * v;
            const double uuv = u * u * v;
            double du = 1.0 + uuv - 4.4 * u + gam * lap_u;
            if (forced && bruss_in_disc(ns, i, j)) {
                du += 5.0;
            }
            dydt[2 * k] = du;
            dydt[2 * k + 1] = 3.4 * u - uuv + gam * lap_v;
        }
    }
    return 0;
}

/* Values in the order of the pattern built by bruss_pattern: per grid point, the u row
 * (u_k, v_k, u_w, u_e, u_s, u_n) then the v row (u_k, v_k, v_w, v_e, v_s, v_n). */
static int bruss_jac_values(double t, const double *y, double *v, const ivp_ctx *ctx)
{
    const double alpha = ctx->p[0];
    const size_t ns = (size_t)ctx->p[1];
    const double gam = alpha * (double)ns * (double)ns;
    size_t k;
    (void)t;
    for (k = 0; k < ns * ns; k++) {
        const double u = y[2 * k], w = y[2 * k + 1];
        double *r = v + BRUSS_ENTRIES_PER_POINT * k;
        r[0] = 2.0 * u * w - 4.4 - 4.0 * gam;
        r[1] = u * u;
        r[2] = r[3] = r[4] = r[5] = gam;
        r[6] = 3.4 - 2.0 * u * w;
        r[7] = -u * u - 4.0 * gam;
        r[8] = r[9] = r[10] = r[11] = gam;
    }
    return 0;
}

static void bruss_pattern(size_t ns, size_t *rows, size_t *cols)
{
    size_t i, j;
    for (j = 0; j < ns; j++) {
        for (i = 0; i < ns; i++) {
            const size_t k = j * ns + i;
            const bruss_nb nb = bruss_neighbours(ns, i, j);
            const size_t pts[4] = {nb.w, nb.e, nb.s, nb.n};
            size_t *r = rows + BRUSS_ENTRIES_PER_POINT * k, *c = cols + BRUSS_ENTRIES_PER_POINT * k;
            size_t q;
            for (q = 0; q < 6; q++) {
                r[q] = 2 * k;
                r[6 + q] = 2 * k + 1;
            }
            c[0] = 2 * k;
            c[1] = 2 * k + 1;
            c[6] = 2 * k;
            c[7] = 2 * k + 1;
            for (q = 0; q < 4; q++) {
                c[2 + q] = 2 * pts[q];
                c[8 + q] = 2 * pts[q] + 1;
            }
        }
    }
}

/* Compressed columns of the coordinate pattern by a counting sort; entries are visited in
 * pattern order, which is by ascending row, so rows come out ascending in every column. */
static void bench_make_csc(bench_problem *p)
{
    size_t n = p->n, k, j;
    size_t *next = p->csc_colptr; /* reused as insertion cursors, then restored */
    memset(p->csc_colptr, 0, (n + 1) * sizeof *p->csc_colptr);
    for (k = 0; k < p->nnz; k++) {
        p->csc_colptr[p->sp_cols[k] + 1]++;
    }
    for (j = 0; j < n; j++) {
        p->csc_colptr[j + 1] += p->csc_colptr[j];
    }
    for (k = 0; k < p->nnz; k++) {
        size_t pos = next[p->sp_cols[k]]++;
        p->csc_rowind[pos] = p->sp_rows[k];
        p->csc_perm[pos] = k;
    }
    /* next[j] now equals the old colptr[j + 1]: shift back */
    for (j = n; j > 0; j--) {
        p->csc_colptr[j] = p->csc_colptr[j - 1];
    }
    p->csc_colptr[0] = 0;
}

int bench_problem_bruss2d(bench_problem *p, size_t ns, double t_end)
{
    size_t i, j, n = 2 * ns * ns, nnz = BRUSS_ENTRIES_PER_POINT * ns * ns;
    memset(p, 0, sizeof *p);
    p->name = "bruss2d";
    p->n = n;
    p->t0 = 0.0;
    p->t_end = t_end;
    p->params[0] = BRUSS_ALPHA;
    p->params[1] = (double)ns;
    p->ctx.n = n;
    p->ctx.p = p->params;
    p->ctx.np = 2;
    p->rhs = bruss_rhs;
    p->jac_values = bruss_jac_values;
    p->nnz = nnz;
    p->y0 = malloc(n * sizeof *p->y0);
    p->sp_rows = malloc(nnz * sizeof *p->sp_rows);
    p->sp_cols = malloc(nnz * sizeof *p->sp_cols);
    p->csc_colptr = malloc((n + 1) * sizeof *p->csc_colptr);
    p->csc_rowind = malloc(nnz * sizeof *p->csc_rowind);
    p->csc_perm = malloc(nnz * sizeof *p->csc_perm);
    if (p->y0 == NULL || p->sp_rows == NULL || p->sp_cols == NULL || p->csc_colptr == NULL ||
        p->csc_rowind == NULL || p->csc_perm == NULL) {
        bench_problem_free(p);
        return -1;
    }
    for (j = 0; j < ns; j++) {
        const double yy = (double)j / (double)ns;
        for (i = 0; i < ns; i++) {
            const double x = (double)i / (double)ns;
            const size_t k = j * ns + i;
            p->y0[2 * k] = 22.0 * yy * pow(1.0 - yy, 1.5);
            p->y0[2 * k + 1] = 27.0 * x * pow(1.0 - x, 1.5);
        }
    }
    bruss_pattern(ns, p->sp_rows, p->sp_cols);
    bench_make_csc(p);
    return 0;
}

void bench_problem_free(bench_problem *p)
{
    free(p->y0);
    free(p->sp_rows);
    free(p->sp_cols);
    free(p->csc_colptr);
    free(p->csc_rowind);
    free(p->csc_perm);
    memset(p, 0, sizeof *p);
}
