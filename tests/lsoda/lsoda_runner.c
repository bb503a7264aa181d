/* SPDX-License-Identifier: MIT
 * tests/lsoda/lsoda_runner.c - runs ivp_solve(method = LSODA) on a built-in problem and prints
 * the result as JSON, for crosscheck_lsoda.py to compare with scipy's solve_ivp(method='LSODA').
 *
 * Usage: lsoda_runner PROBLEM [--rtol X] [--atol X] [--atol-list X,Y,...] [--jac]
 *                     [--band L U] [--t0 X] [--tf X] [--first-step X] [--max-step X]
 *                     [--min-step X]
 * --t0 shifts the whole span (autonomous problems); --tf sets the end.
 * Problems (their Python twins in crosscheck_lsoda.py repeat the arithmetic operation for
 * operation): exp, rational, vdp1, vdp1000, robertson, oscillator, heat (tridiagonal, n = 50).
 * Prints {"status", "message", "nfev", "njev", "nlu", "n_steps", "n_steps_adams",
 * "n_steps_bdf", "n_switches", "t": [...], "y": [[...], ...], "ymid": [[...], ...]} where ymid
 * is the dense output halfway through each step (at half its length from its start).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ivp/memsink.h"
#include "ivp/solve.h"

#define HEAT_N 50
#define PI 3.141592653589793

typedef struct problem {
    const char *name;
    size_t n;
    ivp_rhs_fn *rhs;
    ivp_jac_fn *jac;
    double t0, tf;
    double y0[HEAT_N];
} problem;

static int exp_rhs(double t, const double *y, double *f, const ivp_ctx *ctx)
{
    size_t i;
    (void)t;
    for (i = 0; i < ctx->n; i++) {
        f[i] = -0.5 * y[i];
    }
    return 0;
}

static int exp_jac(double t, const double *y, double *J, const ivp_ctx *ctx)
{
    size_t i, n = ctx->n;
    (void)t;
    (void)y;
    for (i = 0; i < n * n; i++) {
        J[i] = 0.0;
    }
    for (i = 0; i < n; i++) {
        J[i * n + i] = -0.5;
    }
    return 0;
}

/* scipy's test_ivp.fun_rational */
static int rational_rhs(double t, const double *y, double *f, const ivp_ctx *ctx)
{
    (void)ctx;
    f[0] = y[1] / t;
    f[1] = y[1] * (y[0] + 2.0 * y[1] - 1.0) / (t * (y[0] - 1.0));
    return 0;
}

static int rational_jac(double t, const double *y, double *J, const ivp_ctx *ctx)
{
    (void)ctx;
    J[0] = 0.0;
    J[1] = 1.0 / t;
    J[2] = -2.0 * y[1] * y[1] / (t * (y[0] - 1.0) * (y[0] - 1.0));
    J[3] = (y[0] + 4.0 * y[1] - 1.0) / (t * (y[0] - 1.0));
    return 0;
}

static int vdp_rhs_mu(double mu, const double *y, double *f)
{
    f[0] = y[1];
    f[1] = mu * (1.0 - y[0] * y[0]) * y[1] - y[0];
    return 0;
}

static int vdp_jac_mu(double mu, const double *y, double *J)
{
    J[0] = 0.0;
    J[1] = 1.0;
    J[2] = -2.0 * mu * y[0] * y[1] - 1.0;
    J[3] = mu * (1.0 - y[0] * y[0]);
    return 0;
}

static int vdp1_rhs(double t, const double *y, double *f, const ivp_ctx *ctx)
{
    (void)t;
    (void)ctx;
    return vdp_rhs_mu(1.0, y, f);
}

static int vdp1_jac(double t, const double *y, double *J, const ivp_ctx *ctx)
{
    (void)t;
    (void)ctx;
    return vdp_jac_mu(1.0, y, J);
}

static int vdp1000_rhs(double t, const double *y, double *f, const ivp_ctx *ctx)
{
    (void)t;
    (void)ctx;
    return vdp_rhs_mu(1000.0, y, f);
}

static int vdp1000_jac(double t, const double *y, double *J, const ivp_ctx *ctx)
{
    (void)t;
    (void)ctx;
    return vdp_jac_mu(1000.0, y, J);
}

static int rober_rhs(double t, const double *y, double *f, const ivp_ctx *ctx)
{
    (void)t;
    (void)ctx;
    f[0] = -0.04 * y[0] + 1e4 * y[1] * y[2];
    f[1] = 0.04 * y[0] - 1e4 * y[1] * y[2] - 3e7 * y[1] * y[1];
    f[2] = 3e7 * y[1] * y[1];
    return 0;
}

static int rober_jac(double t, const double *y, double *J, const ivp_ctx *ctx)
{
    (void)t;
    (void)ctx;
    J[0] = -0.04;
    J[1] = 1e4 * y[2];
    J[2] = 1e4 * y[1];
    J[3] = 0.04;
    J[4] = -1e4 * y[2] - 6e7 * y[1];
    J[5] = -1e4 * y[1];
    J[6] = 0.0;
    J[7] = 6e7 * y[1];
    J[8] = 0.0;
    return 0;
}

static int osc_rhs(double t, const double *y, double *f, const ivp_ctx *ctx)
{
    (void)t;
    (void)ctx;
    f[0] = y[1];
    f[1] = -y[0];
    return 0;
}

static int osc_jac(double t, const double *y, double *J, const ivp_ctx *ctx)
{
    (void)t;
    (void)y;
    (void)ctx;
    J[0] = 0.0;
    J[1] = 1.0;
    J[2] = -1.0;
    J[3] = 0.0;
    return 0;
}

/* Heat equation, n interior points, zero boundary values: y_i' = c (y_{i-1} - 2 y_i + y_{i+1}),
 * c = (n + 1)^2. */
static int heat_rhs(double t, const double *y, double *f, const ivp_ctx *ctx)
{
    const size_t n = ctx->n;
    const double c = (double)((n + 1) * (n + 1));
    size_t i;
    (void)t;
    for (i = 0; i < n; i++) {
        double left = i > 0 ? y[i - 1] : 0.0;
        double right = i + 1 < n ? y[i + 1] : 0.0;
        f[i] = c * ((left - 2.0 * y[i]) + right);
    }
    return 0;
}

static int heat_jac(double t, const double *y, double *J, const ivp_ctx *ctx)
{
    const size_t n = ctx->n;
    const double c = (double)((n + 1) * (n + 1));
    size_t i;
    (void)t;
    (void)y;
    for (i = 0; i < n * n; i++) {
        J[i] = 0.0;
    }
    for (i = 0; i < n; i++) {
        J[i * n + i] = -2.0 * c;
        if (i > 0) {
            J[i * n + i - 1] = c;
        }
        if (i + 1 < n) {
            J[i * n + i + 1] = c;
        }
    }
    return 0;
}

static int find_problem(const char *name, problem *p)
{
    size_t i;
    memset(p, 0, sizeof *p);
    p->name = name;
    if (strcmp(name, "exp") == 0) {
        p->n = 3;
        p->rhs = exp_rhs;
        p->jac = exp_jac;
        p->t0 = 0.0;
        p->tf = 10.0;
        p->y0[0] = 2.0;
        p->y0[1] = 4.0;
        p->y0[2] = 8.0;
    } else if (strcmp(name, "rational") == 0) {
        p->n = 2;
        p->rhs = rational_rhs;
        p->jac = rational_jac;
        p->t0 = 5.0;
        p->tf = 9.0;
        p->y0[0] = 1.0 / 3.0;
        p->y0[1] = 2.0 / 9.0;
    } else if (strcmp(name, "vdp1") == 0 || strcmp(name, "vdp1000") == 0) {
        int stiff = strcmp(name, "vdp1000") == 0;
        p->n = 2;
        p->rhs = stiff ? vdp1000_rhs : vdp1_rhs;
        p->jac = stiff ? vdp1000_jac : vdp1_jac;
        p->t0 = 0.0;
        p->tf = stiff ? 3000.0 : 20.0;
        p->y0[0] = 2.0;
        p->y0[1] = 0.0;
    } else if (strcmp(name, "robertson") == 0) {
        p->n = 3;
        p->rhs = rober_rhs;
        p->jac = rober_jac;
        p->t0 = 0.0;
        p->tf = 1e5;
        p->y0[0] = 1.0;
    } else if (strcmp(name, "oscillator") == 0) {
        p->n = 2;
        p->rhs = osc_rhs;
        p->jac = osc_jac;
        p->t0 = 0.0;
        p->tf = 20.0;
        p->y0[0] = 1.0;
    } else if (strcmp(name, "heat") == 0) {
        p->n = HEAT_N;
        p->rhs = heat_rhs;
        p->jac = heat_jac;
        p->t0 = 0.0;
        p->tf = 1.0;
        for (i = 0; i < HEAT_N; i++) {
            p->y0[i] = sin(PI * (double)(i + 1) / (double)(HEAT_N + 1));
        }
    } else {
        return -1;
    }
    return 0;
}

static void print_array(const double *v, size_t n)
{
    size_t i;
    putchar('[');
    for (i = 0; i < n; i++) {
        printf("%s%.17g", i > 0 ? ", " : "", v[i]);
    }
    putchar(']');
}

int main(int argc, char **argv)
{
    problem p;
    ivp_system sys;
    ivp_ctx ctx;
    ivp_options opt;
    ivp_memsink ms;
    ivp_sink sink;
    ivp_result res;
    ivp_error err;
    int use_jac = 0, a;
    size_t i;
    double ymid[HEAT_N], atol_vec[HEAT_N];

    if (argc < 2 || find_problem(argv[1], &p) != 0) {
        fprintf(stderr, "usage: lsoda_runner exp|rational|vdp1|vdp1000|robertson|oscillator|heat "
                        "[--rtol X] [--atol X] [--atol-list X,Y,..] [--jac] [--band L U] [--t0 X] "
                        "[--tf X] [--first-step X] "
                        "[--max-step X] [--min-step X]\n");
        return 2;
    }
    memset(&sys, 0, sizeof sys);
    memset(&ctx, 0, sizeof ctx);
    ctx.n = p.n;
    sys.n = p.n;
    sys.rhs = p.rhs;
    sys.lband = -1;
    sys.uband = -1;
    sys.ctx = &ctx;
    ivp_options_init(&opt);
    opt.method = "LSODA";
    opt.dense_output = 1;
    for (a = 2; a < argc; a++) {
        const char *k = argv[a];
        if (strcmp(k, "--jac") == 0) {
            use_jac = 1;
        } else if (strcmp(k, "--band") == 0 && a + 2 < argc) {
            sys.lband = strtol(argv[a + 1], NULL, 10);
            sys.uband = strtol(argv[a + 2], NULL, 10);
            a += 2;
        } else if (a + 1 < argc && strcmp(k, "--rtol") == 0) {
            opt.rtol = strtod(argv[++a], NULL);
        } else if (a + 1 < argc && strcmp(k, "--atol") == 0) {
            opt.atol = strtod(argv[++a], NULL);
        } else if (a + 1 < argc && strcmp(k, "--t0") == 0) {
            /* shifts the span of an autonomous problem */
            double t0 = strtod(argv[++a], NULL);
            p.tf = p.tf + (t0 - p.t0);
            p.t0 = t0;
        } else if (a + 1 < argc && strcmp(k, "--atol-list") == 0) {
            char *q = argv[++a];
            for (i = 0; i < p.n; i++) {
                atol_vec[i] = strtod(q, &q);
                if (*q == ',') {
                    q++;
                }
            }
            opt.atol_vec = atol_vec;
        } else if (a + 1 < argc && strcmp(k, "--tf") == 0) {
            p.tf = strtod(argv[++a], NULL);
        } else if (a + 1 < argc && strcmp(k, "--first-step") == 0) {
            opt.first_step = strtod(argv[++a], NULL);
        } else if (a + 1 < argc && strcmp(k, "--max-step") == 0) {
            opt.max_step = strtod(argv[++a], NULL);
        } else if (a + 1 < argc && strcmp(k, "--min-step") == 0) {
            opt.min_step = strtod(argv[++a], NULL);
        } else {
            fprintf(stderr, "lsoda_runner: unknown or incomplete option '%s'\n", k);
            return 2;
        }
    }
    if (use_jac) {
        sys.jac = p.jac;
    }
    if (ivp_memsink_init(&ms, p.n, ivp_method_dense_degree("LSODA"), NULL, 0, 0, 0) != IVP_OK) {
        fprintf(stderr, "lsoda_runner: out of memory\n");
        return 1;
    }
    sink = ivp_memsink_sink(&ms);
    ivp_solve(&sys, p.t0, p.tf, p.y0, &opt, &sink, &res, &err);

    printf("{\"problem\": \"%s\", \"status\": %d, \"message\": \"", p.name, res.status);
    for (i = 0; res.message[i] != '\0'; i++) {
        char c = res.message[i];
        if (c == '"' || c == '\\') {
            putchar('\\');
        }
        putchar(c);
    }
    printf("\", \"nfev\": %lu, \"njev\": %lu, \"nlu\": %lu, \"n_steps\": %lu, "
           "\"n_steps_adams\": %lu, \"n_steps_bdf\": %lu, \"n_switches\": %lu,\n",
           res.nfev, res.njev, res.nlu, res.n_steps, res.n_steps_adams, res.n_steps_bdf,
           res.n_switches);
    printf("\"t\": ");
    print_array(ms.t, ms.n_points);
    printf(",\n\"y\": [");
    for (i = 0; i < ms.n_points; i++) {
        printf("%s", i > 0 ? ",\n" : "");
        print_array(ms.y + i * p.n, p.n);
    }
    printf("],\n\"ymid\": [");
    for (i = 0; i < ms.n_seg; i++) {
        /* at half the segment's length from its start, exactly: the midpoint time itself may
         * not be representable */
        const double sm = 0.5 * (ms.seg_t[2 * i + 1] - ms.seg_t[2 * i]);
        const double *c = ms.seg_c + i * (ms.deg + 1) * p.n;
        size_t k, j;
        for (k = 0; k < p.n; k++) {
            double acc = c[k];
            for (j = 1; j <= ms.deg; j++) {
                acc = acc * sm + c[j * p.n + k];
            }
            ymid[k] = acc;
        }
        printf("%s", i > 0 ? ",\n" : "");
        print_array(ymid, p.n);
    }
    printf("]}\n");
    ivp_memsink_free(&ms);
    return 0;
}
