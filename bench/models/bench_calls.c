/* SPDX-License-Identifier: MIT
 * bench/models/bench_calls.c - generated (expression model) against hand-written plugins, in
 * process (bench/models/README.md; driven by bench_models.py, which builds the .so files).
 *
 *   bench_calls calls CASE MODEL.so PLUGIN.so [JAC_PLUGIN.so]
 *   bench_calls solve BRUSS_MODEL.so
 *
 * calls: CASE is vdp, rober, lorenz or bruss. Both plugins are dlopened and given the same
 * states (the Brusselator model orders u_0..u_{N-1}, v_0..v_{N-1}, the plugin interleaves; the
 * states are permuted). Their rhs and Jacobian (jac, or jac_values) outputs are first checked
 * to agree, then timed: blocks of R calls, alternately the model's and the plugin's, 201 blocks
 * each; the median ns per call. JAC_PLUGIN.so, when given, supplies the hand-written Jacobian
 * (plugins/lorenz.c has none).
 *
 * solve: the Brusselator model with BDF and Radau, rtol = atol = 1e-6, t in [0, 10]: its exact
 * sparse Jacobian (jac_values) against finite differences on the same pattern (jac_values
 * NULL). Every rhs call is counted by a wrapper, differencing calls included (the result's nfev
 * counts as scipy does, without them); the median of 7 solve times.
 */
#define _POSIX_C_SOURCE 200809L
#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ivp/solve.h"

#define BLOCKS 201

typedef struct plug {
    void *h;
    ivp_rhs_fn *rhs;
    ivp_jac_fn *jac;
    ivp_jac_sparsity_fn *sparsity;
    ivp_jac_values_fn *values;
    ivp_init_fn *init;
    ivp_fini_fn *fini;
    const char *const *pnames;
    ivp_ctx ctx;
    double p[8];
} plug;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp_double);
    return v[n / 2];
}

/* Parameter values by name: "name=value" pairs in one string, "mu=1000,..." */
static int plug_open(plug *pl, const char *path, size_t n, const char *params)
{
    memset(pl, 0, sizeof *pl);
    pl->h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (pl->h == NULL) {
        fprintf(stderr, "bench_calls: %s\n", dlerror());
        return -1;
    }
    *(void **)&pl->rhs = dlsym(pl->h, "rhs");
    *(void **)&pl->jac = dlsym(pl->h, "jac");
    *(void **)&pl->sparsity = dlsym(pl->h, "jac_sparsity");
    *(void **)&pl->values = dlsym(pl->h, "jac_values");
    *(void **)&pl->init = dlsym(pl->h, "ivp_init");
    *(void **)&pl->fini = dlsym(pl->h, "ivp_fini");
    pl->pnames = dlsym(pl->h, "ivp_param_names");
    for (size_t k = 0; pl->pnames != NULL && pl->pnames[k] != NULL; k++) {
        size_t len = strlen(pl->pnames[k]);
        const char *s = params;
        while (s != NULL && *s != '\0') {
            if (strncmp(s, pl->pnames[k], len) == 0 && s[len] == '=') {
                pl->p[k] = strtod(s + len + 1, NULL);
                break;
            }
            s = strchr(s, ',');
            s = s != NULL ? s + 1 : NULL;
        }
        pl->ctx.np = k + 1;
    }
    pl->ctx.n = n;
    pl->ctx.p = pl->p;
    if (pl->init != NULL && pl->init(&pl->ctx) != 0) {
        fprintf(stderr, "bench_calls: %s: ivp_init failed\n", path);
        return -1;
    }
    return 0;
}

static void plug_close(plug *pl)
{
    if (pl->fini != NULL) {
        pl->fini(&pl->ctx);
    }
    dlclose(pl->h);
}

/* Model index of plugin index k (the Brusselator's interleaving), else k. */
static size_t perm(int bruss, size_t n, size_t k)
{
    return bruss ? (k % 2 == 0 ? k / 2 : n / 2 + k / 2) : k;
}

typedef struct jacw {
    double *vals; /* dense n x n (checking) or nnz (timing) */
    size_t nnz;
    size_t *rows, *cols;
} jacw;

/* The plugin's Jacobian as a dense n x n matrix in the plugin's own order. */
static int dense_jac(plug *pl, const double *y, size_t n, double *J)
{
    if (pl->values != NULL && pl->sparsity != NULL) {
        long nnz = pl->sparsity(&pl->ctx, NULL, NULL);
        size_t *r = malloc(sizeof *r * (size_t)nnz), *c = malloc(sizeof *c * (size_t)nnz);
        double *v = malloc(sizeof *v * (size_t)nnz);
        pl->sparsity(&pl->ctx, r, c);
        pl->values(0.0, y, v, &pl->ctx);
        memset(J, 0, sizeof *J * n * n);
        for (long k = 0; k < nnz; k++) {
            J[r[k] * n + c[k]] += v[k];
        }
        free(r);
        free(c);
        free(v);
        return 0;
    }
    if (pl->jac == NULL) {
        return -1;
    }
    return pl->jac(0.0, y, J, &pl->ctx);
}

static double rel_diff(double a, double b)
{
    double s = fmax(fabs(a), fabs(b));
    return s == 0 ? 0 : fabs(a - b) / s;
}

#define NSTATES 8

static int calls(const char *name, const char *mpath, const char *ppath, const char *jpath)
{
    int bruss = strcmp(name, "bruss") == 0;
    size_t n = bruss ? 1000 : strcmp(name, "vdp") == 0 ? 2 : 3;
    const char *params = strcmp(name, "vdp") == 0      ? "mu=1000"
                         : strcmp(name, "rober") == 0  ? "k1=0.04,k2=3e7,k3=1e4"
                         : strcmp(name, "lorenz") == 0 ? "sigma=10,rho=28,beta=2.6666666666666665"
                                                       : "N=500,alpha=0.02";
    plug m, p, pj;
    double *ym[NSTATES], *yp[NSTATES], *fm = malloc(sizeof *fm * n), *fp = malloc(sizeof *fp * n);
    double *Jm = malloc(sizeof *Jm * n * n), *Jp = malloc(sizeof *Jp * n * n), worst_f = 0,
           worst_j = 0;
    plug *jp;
    if (plug_open(&m, mpath, n, params) != 0 || plug_open(&p, ppath, n, params) != 0) {
        return 1;
    }
    jp = &p;
    if (jpath != NULL) {
        if (plug_open(&pj, jpath, n, params) != 0) {
            return 1;
        }
        jp = &pj;
    }
    /* states: near the problems' solutions, slightly different from call to call */
    for (int s = 0; s < NSTATES; s++) {
        ym[s] = malloc(sizeof(double) * n);
        yp[s] = malloc(sizeof(double) * n);
        for (size_t k = 0; k < n; k++) {
            double base = bruss ? (k < n / 2 ? 1.0 + 0.5 * sin(0.01 * (double)k) : 3.0)
                                : 0.5 + 0.25 * (double)k;
            ym[s][k] = base * (1.0 + 0.01 * (double)s);
        }
        for (size_t k = 0; k < n; k++) {
            yp[s][k] = ym[s][perm(bruss, n, k)];
        }
    }
    /* agreement */
    for (int s = 0; s < NSTATES; s++) {
        m.rhs(0.0, ym[s], fm, &m.ctx);
        p.rhs(0.0, yp[s], fp, &p.ctx);
        for (size_t k = 0; k < n; k++) {
            worst_f = fmax(worst_f, rel_diff(fm[perm(bruss, n, k)], fp[k]));
        }
        if (dense_jac(&m, ym[s], n, Jm) != 0 || dense_jac(jp, yp[s], n, Jp) != 0) {
            fprintf(stderr, "bench_calls: %s: no Jacobian\n", name);
            return 1;
        }
        for (size_t r = 0; r < n; r++) {
            for (size_t c = 0; c < n; c++) {
                worst_j = fmax(worst_j, rel_diff(Jm[perm(bruss, n, r) * n + perm(bruss, n, c)],
                                                 Jp[r * n + c]));
            }
        }
    }
    if (worst_f > 1e-13 || worst_j > 1e-13) {
        fprintf(stderr, "bench_calls: %s: model and plugin disagree (rhs %.3g, jac %.3g)\n", name,
                worst_f, worst_j);
        return 1;
    }
    /* timing: R calls per block, model and plugin blocks alternating */
    {
        int reps = bruss ? 200 : 20000;
        double tr[2][BLOCKS], tj[2][BLOCKS];
        double *out = malloc(sizeof(double) * n * n);
        volatile double sink = 0;
        for (int b = 0; b < BLOCKS; b++) {
            for (int who = 0; who < 2; who++) {
                plug *pl = who == 0 ? &m : &p, *jl = who == 0 ? &m : jp;
                double **ys = who == 0 ? ym : yp, t0;
                t0 = now();
                for (int r = 0; r < reps; r++) {
                    pl->rhs(0.0, ys[r % NSTATES], out, &pl->ctx);
                }
                tr[who][b] = (now() - t0) / reps;
                sink += out[0];
                t0 = now();
                for (int r = 0; r < reps; r++) {
                    if (jl->values != NULL && jl->sparsity != NULL) {
                        jl->values(0.0, ys[r % NSTATES], out, &jl->ctx);
                    } else {
                        jl->jac(0.0, ys[r % NSTATES], out, &jl->ctx);
                    }
                }
                tj[who][b] = (now() - t0) / reps;
                sink += out[0];
            }
        }
        {
            double rm = median(tr[0], BLOCKS), rp = median(tr[1], BLOCKS);
            double jm = median(tj[0], BLOCKS), jpt = median(tj[1], BLOCKS);
            printf("| %s | %zu | %.1f | %.1f | %.2f | %.1f | %.1f | %.2f | %.1e / %.1e |\n", name,
                   n, rm * 1e9, rp * 1e9, rm / rp, jm * 1e9, jpt * 1e9, jm / jpt, worst_f, worst_j);
        }
        (void)sink;
        free(out);
    }
    for (int s = 0; s < NSTATES; s++) {
        free(ym[s]);
        free(yp[s]);
    }
    free(fm);
    free(fp);
    free(Jm);
    free(Jp);
    plug_close(&m);
    plug_close(&p);
    if (jpath != NULL) {
        plug_close(&pj);
    }
    return 0;
}

/* ---------------------------------------------------------------- solve: exact vs FD */

static ivp_rhs_fn *inner_rhs;
static unsigned long rhs_calls;

static int counting_rhs(double t, const double *y, double *dydt, const ivp_ctx *ctx)
{
    rhs_calls++;
    return inner_rhs(t, y, dydt, ctx);
}

static int solve(const char *mpath)
{
    const size_t N = 500, n = 2 * N;
    plug m;
    double y0[1000];
    size_t *rows, *cols;
    long nnz;
    if (plug_open(&m, mpath, n, "alpha=0.02") != 0) {
        return 1;
    }
    for (size_t i = 0; i < N; i++) {
        double x = (double)(i + 1) / (double)(N + 1);
        y0[i] = 1.0 + 0.5 * sin(2.0 * acos(-1.0) * x);
        y0[N + i] = 3.0;
    }
    nnz = m.sparsity(&m.ctx, NULL, NULL);
    rows = malloc(sizeof *rows * (size_t)nnz);
    cols = malloc(sizeof *cols * (size_t)nnz);
    m.sparsity(&m.ctx, rows, cols);
    inner_rhs = m.rhs;
    printf("| method | Jacobian | all rhs calls | nfev (scipy's count) | njev | nlu | median "
           "solve ms |\n|---|---|---|---|---|---|---|\n");
    for (int meth = 0; meth < 2; meth++) {
        for (int exact = 1; exact >= 0; exact--) {
            ivp_system sys;
            ivp_options opt;
            ivp_sink sink;
            ivp_result res;
            double ts[7];
            unsigned long calls_seen = 0;
            memset(&sys, 0, sizeof sys);
            memset(&sink, 0, sizeof sink);
            sys.n = n;
            sys.rhs = counting_rhs;
            sys.jac_values = exact ? m.values : NULL;
            sys.sp_rows = rows;
            sys.sp_cols = cols;
            sys.sp_nnz = (size_t)nnz;
            sys.lband = sys.uband = -1;
            sys.ctx = &m.ctx;
            ivp_options_init(&opt);
            opt.method = meth == 0 ? "BDF" : "Radau";
            opt.rtol = 1e-6;
            opt.atol = 1e-6;
            for (int r = 0; r < 7; r++) {
                double t0;
                rhs_calls = 0;
                t0 = now();
                if (ivp_solve(&sys, 0.0, 10.0, y0, &opt, &sink, &res, NULL) != IVP_OK) {
                    fprintf(stderr, "bench_calls: solve failed: %s\n", res.message);
                    return 1;
                }
                ts[r] = now() - t0;
                calls_seen = rhs_calls;
            }
            printf("| %s | %s | %lu | %lu | %lu | %lu | %.2f |\n", opt.method,
                   exact ? "exact (jac_values)" : "differences, same pattern", calls_seen, res.nfev,
                   res.njev, res.nlu, median(ts, 7) * 1e3);
        }
    }
    free(rows);
    free(cols);
    plug_close(&m);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 5 && strcmp(argv[1], "calls") == 0) {
        return calls(argv[2], argv[3], argv[4], argc >= 6 ? argv[5] : NULL);
    }
    if (argc == 3 && strcmp(argv[1], "solve") == 0) {
        return solve(argv[2]);
    }
    fprintf(stderr, "usage: bench_calls calls CASE MODEL.so PLUGIN.so [JAC_PLUGIN.so]\n"
                    "       bench_calls solve BRUSS_MODEL.so\n");
    return 2;
}
