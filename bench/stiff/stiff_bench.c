/* SPDX-License-Identifier: MIT
 * bench/stiff/stiff_bench.c - times in-process stiff solves: ivp's implicit methods (through
 * ivp_solve, the in-process API) and SUNDIALS CVODE, on the same C right-hand side and
 * Jacobian (bench_problems.c), and prints one JSON object per solver.
 *
 * Solvers run round-robin, repeat after repeat (A B C A B C ...), so that changes in machine
 * load hit all of them alike, after 'warmup' untimed runs of each (the first run in a process
 * pays for page faults and lazy binding of the shared libraries, SUNDIALS' in particular).
 * A run is timed as a whole: ivp_solve from entry to return (set-up, KLU's symbolic analysis,
 * the integration and the freeing of its workspace), and for CVODE everything from
 * SUNContext_Create to the frees; neither includes building the problem (initial values,
 * sparsity pattern). Two clocks: wall time (CLOCK_MONOTONIC) and the CPU time of the calling
 * thread (CLOCK_THREAD_CPUTIME_ID), which leaves out the time the thread spends descheduled
 * on a loaded machine (all solvers here compute in the calling thread).
 *
 * ivp's results go to a sink that keeps only the last point (y at t_end); CVODE's y at t_end
 * is the vector it integrates in place (with a stop time at t_end, see bench_cvode.h).
 *
 * Usage:
 *   stiff_bench --info
 *   stiff_bench vdp|bruss2d [--solvers BDF,Radau,LSODA,CVODE,CVODE_AMD] [--rtol X] [--atol X]
 *               [--repeats N] [--warmup N] [--mu X] [--ns N] [--t-end X] [--ref FILE]
 *               [--save FILE] [--jac analytic|fd]
 * --ref FILE: reference y(t_end), n raw native doubles; the error of each solver is printed.
 * CVODE_AMD is CVODE with KLU ordered by AMD, as ivp's KLU is (see bench_cvode.h).
 * --save FILE: writes the final state of the (single) solver's last run there, same format.
 * --jac fd: ivp gets no Jacobian function, only the sparsity pattern (if any), and computes the
 * Jacobian by grouped finite differences (CVODE keeps its analytic Jacobian). Default: analytic.
 * Exit status 0, 1 when a solve failed, 2 on bad usage.
 */
#define _POSIX_C_SOURCE 199309L /* clock_gettime */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <klu.h>

#include "bench_problems.h"
#include "ivp/solve.h"

#ifdef IVP_BENCH_HAVE_CVODE
#include "bench_cvode.h"
#endif

#ifndef IVP_BENCH_BUILD_TYPE
#define IVP_BENCH_BUILD_TYPE "unknown"
#endif
#ifndef IVP_BENCH_CFLAGS
#define IVP_BENCH_CFLAGS "unknown"
#endif

#define MAX_SOLVERS 8
#define MAX_REPEATS 1000
#define PRINT_Y_MAX 8 /* states this small are printed in full */

typedef struct solver_run {
    const char *name;  /* ivp method name, "CVODE" or "CVODE_AMD" */
    int is_cvode;      /* 1: CVODE, 2: CVODE with KLU's AMD ordering */
    double *times;     /* repeats: wall seconds */
    double *cpu_times; /* repeats: thread CPU seconds */
    double *y;         /* n: final state of the last run */
    int failed;
    char msg[IVP_ERROR_MSG_MAX];
    ivp_result res;       /* ivp: counters of the last run */
    int counters_changed; /* a later run's counters differed from the first's */
#ifdef IVP_BENCH_HAVE_CVODE
    bench_cvode_stats cv; /* CVODE: counters of the last run */
#endif
} solver_run;

typedef struct options {
    const char *problem;
    char solvers_buf[256];
    const char *solvers[MAX_SOLVERS];
    size_t n_solvers;
    double rtol, atol, mu, t_end;
    size_t ns;
    unsigned long repeats, warmup;
    const char *ref_path, *save_path;
    int jac_fd; /* --jac fd */
} options;

/* The sink: remembers the last point only. */
typedef struct last_point {
    double *y;
    size_t n;
    double t;
} last_point;

static int last_point_cb(void *ud, double t, const double *y)
{
    last_point *lp = ud;
    memcpy(lp->y, y, lp->n * sizeof *y);
    lp->t = t;
    return 0;
}

typedef struct stamp {
    double wall, cpu;
} stamp;

static stamp now_stamp(void)
{
    struct timespec w, c;
    stamp st;
    clock_gettime(CLOCK_MONOTONIC, &w);
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c);
    st.wall = (double)w.tv_sec + 1e-9 * (double)w.tv_nsec;
    st.cpu = (double)c.tv_sec + 1e-9 * (double)c.tv_nsec;
    return st;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(const double *v, size_t m, double *work)
{
    memcpy(work, v, m * sizeof *v);
    qsort(work, m, sizeof *work, cmp_double);
    return m % 2 == 1 ? work[m / 2] : 0.5 * (work[m / 2 - 1] + work[m / 2]);
}

static void print_num(const char *key, double x)
{
    if (isfinite(x)) {
        printf("\"%s\": %.17g", key, x);
    } else {
        printf("\"%s\": null", key);
    }
}

static void usage(FILE *f)
{
    fprintf(f, "usage: stiff_bench --info\n"
               "       stiff_bench vdp|bruss2d [--solvers BDF,Radau,LSODA,CVODE,CVODE_AMD]\n"
               "                   [--rtol X] [--atol X] [--repeats N] [--warmup N] [--mu X]\n"
               "                   [--ns N] [--t-end X] [--ref FILE] [--save FILE]\n"
               "                   [--jac analytic|fd]\n");
}

static void print_info(void)
{
    printf("{\"ivp_version\": \"%s\", ", IVP_VERSION);
#ifdef IVP_BENCH_HAVE_CVODE
    printf("\"sundials_version\": \"%s\", ", bench_cvode_version());
#else
    printf("\"sundials_version\": null, ");
#endif
    printf("\"klu_version\": \"%d.%d.%d\", ", KLU_MAIN_VERSION, KLU_SUB_VERSION,
           KLU_SUBSUB_VERSION);
#ifdef __VERSION__
    printf("\"compiler\": \"%s\", ", __VERSION__);
#endif
    printf("\"build_type\": \"%s\", \"c_flags\": \"%s\"}\n", IVP_BENCH_BUILD_TYPE,
           IVP_BENCH_CFLAGS);
}

static int parse_double(const char *s, double *out)
{
    char *end;
    *out = strtod(s, &end);
    return end != s && *end == '\0' && isfinite(*out);
}

static int parse_ulong(const char *s, unsigned long *out)
{
    char *end;
    *out = strtoul(s, &end, 10);
    return end != s && *end == '\0' && s[0] != '-';
}

static int split_solvers(options *o, const char *list)
{
    char *tok, *comma;
    if (strlen(list) >= sizeof o->solvers_buf) {
        fprintf(stderr, "stiff_bench: --solvers list too long\n");
        return -1;
    }
    strcpy(o->solvers_buf, list);
    o->n_solvers = 0;
    for (tok = o->solvers_buf; tok != NULL; tok = comma != NULL ? comma + 1 : NULL) {
        comma = strchr(tok, ',');
        if (comma != NULL) {
            *comma = '\0';
        }
        if (*tok == '\0') {
            continue; /* empty entry, e.g. a trailing comma */
        }
        if (o->n_solvers == MAX_SOLVERS) {
            fprintf(stderr, "stiff_bench: at most %d solvers\n", MAX_SOLVERS);
            return -1;
        }
        o->solvers[o->n_solvers++] = tok;
    }
    return o->n_solvers > 0 ? 0 : -1;
}

/* Returns 0, or 2 (usage error, message printed). */
static int parse_args(int argc, char **argv, options *o)
{
    int i;
    memset(o, 0, sizeof *o);
    o->rtol = 1e-6;
    o->atol = 1e-9;
    o->mu = 1000.0;
    o->t_end = -1.0;
    o->ns = 128;
    o->repeats = 1;
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    o->problem = argv[1];
    if (strcmp(o->problem, "vdp") != 0 && strcmp(o->problem, "bruss2d") != 0) {
        fprintf(stderr, "stiff_bench: unknown problem '%s' (vdp or bruss2d)\n", o->problem);
        return 2;
    }
    if (split_solvers(o, "BDF") != 0) {
        return 2;
    }
    for (i = 2; i < argc; i += 2) { /* "--option value" pairs */
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        unsigned long ul;
        int ok;
        if (v == NULL) {
            fprintf(stderr, "stiff_bench: %s needs a value\n", a);
            return 2;
        }
        if (strcmp(a, "--solvers") == 0) {
            ok = split_solvers(o, v) == 0;
        } else if (strcmp(a, "--rtol") == 0) {
            ok = parse_double(v, &o->rtol) && o->rtol > 0.0;
        } else if (strcmp(a, "--atol") == 0) {
            ok = parse_double(v, &o->atol) && o->atol >= 0.0;
        } else if (strcmp(a, "--mu") == 0) {
            ok = parse_double(v, &o->mu);
        } else if (strcmp(a, "--t-end") == 0) {
            ok = parse_double(v, &o->t_end) && o->t_end > 0.0;
        } else if (strcmp(a, "--ns") == 0) {
            ok = parse_ulong(v, &ul) && ul >= 3 && ul <= 4096;
            o->ns = (size_t)ul;
        } else if (strcmp(a, "--repeats") == 0) {
            ok = parse_ulong(v, &o->repeats) && o->repeats >= 1 && o->repeats <= MAX_REPEATS;
        } else if (strcmp(a, "--warmup") == 0) {
            ok = parse_ulong(v, &o->warmup) && o->warmup <= MAX_REPEATS;
        } else if (strcmp(a, "--ref") == 0) {
            o->ref_path = v;
            ok = 1;
        } else if (strcmp(a, "--jac") == 0) {
            ok = strcmp(v, "analytic") == 0 || strcmp(v, "fd") == 0;
            o->jac_fd = strcmp(v, "fd") == 0;
        } else if (strcmp(a, "--save") == 0) {
            o->save_path = v;
            ok = 1;
        } else {
            fprintf(stderr, "stiff_bench: unknown option '%s'\n", a);
            usage(stderr);
            return 2;
        }
        if (!ok) {
            fprintf(stderr, "stiff_bench: invalid value '%s' for %s\n", v, a);
            return 2;
        }
    }
    for (i = 0; i < (int)o->n_solvers; i++) {
        const char *s = o->solvers[i];
        if (strcmp(s, "CVODE") == 0 || strcmp(s, "CVODE_AMD") == 0) {
#ifndef IVP_BENCH_HAVE_CVODE
            fprintf(stderr, "stiff_bench: built without SUNDIALS, CVODE is not available\n");
            return 2;
#endif
        } else if (ivp_method_canonical(s) == NULL || !ivp_method_is_implicit(s)) {
            fprintf(stderr,
                    "stiff_bench: solver '%s' is neither CVODE, CVODE_AMD nor an "
                    "implicit ivp method (BDF, Radau, LSODA)\n",
                    s);
            return 2;
        }
    }
    if (o->save_path != NULL && o->n_solvers != 1) {
        fprintf(stderr, "stiff_bench: --save needs exactly one solver\n");
        return 2;
    }
    return 0;
}

static int read_doubles(const char *path, double *v, size_t n)
{
    FILE *f = fopen(path, "rb");
    size_t got;
    int extra;
    if (f == NULL) {
        fprintf(stderr, "stiff_bench: cannot open reference '%s'\n", path);
        return -1;
    }
    got = fread(v, sizeof *v, n, f);
    extra = fgetc(f);
    fclose(f);
    if (got != n || extra != EOF) {
        fprintf(stderr, "stiff_bench: reference '%s' does not hold exactly %zu doubles\n", path, n);
        return -1;
    }
    return 0;
}

static int write_doubles(const char *path, const double *v, size_t n)
{
    FILE *f = fopen(path, "wb");
    int ok;
    if (f == NULL) {
        fprintf(stderr, "stiff_bench: cannot create '%s'\n", path);
        return -1;
    }
    ok = fwrite(v, sizeof *v, n, f) == n;
    ok = fclose(f) == 0 && ok;
    if (!ok) {
        fprintf(stderr, "stiff_bench: cannot write '%s'\n", path);
    }
    return ok ? 0 : -1;
}

/* One ivp solve; returns 0 and its times in *dt, or -1 on failure (msg filled). */
static int run_ivp(const bench_problem *p, const options *o, solver_run *r, stamp *dt)
{
    ivp_system sys;
    ivp_options opt;
    ivp_sink sink;
    last_point lp;
    ivp_error err;
    ivp_result res;
    ivp_status st;
    stamp t0, t1;

    memset(&sys, 0, sizeof sys);
    sys.n = p->n;
    sys.rhs = p->rhs;
    sys.jac = o->jac_fd ? NULL : p->jac;
    sys.jac_values = o->jac_fd ? NULL : p->jac_values;
    sys.sp_rows = p->nnz > 0 ? p->sp_rows : NULL;
    sys.sp_cols = p->nnz > 0 ? p->sp_cols : NULL;
    sys.sp_nnz = p->nnz;
    sys.lband = -1;
    sys.uband = -1;
    sys.ctx = &p->ctx;
    ivp_options_init(&opt);
    opt.method = r->name;
    opt.rtol = o->rtol;
    opt.atol = o->atol;
    lp.y = r->y;
    lp.n = p->n;
    lp.t = p->t0;
    memset(&sink, 0, sizeof sink);
    sink.point = last_point_cb;
    sink.ud = &lp;

    t0 = now_stamp();
    st = ivp_solve(&sys, p->t0, p->t_end, p->y0, &opt, &sink, &res, &err);
    t1 = now_stamp();
    if (st != IVP_OK) {
        snprintf(r->msg, sizeof r->msg, "%s", err.msg);
        return -1;
    }
    if (lp.t != p->t_end) {
        snprintf(r->msg, sizeof r->msg, "last point at t = %.17g, not t_end", lp.t);
        return -1;
    }
    if (r->res.n_steps != 0 &&
        (res.nfev != r->res.nfev || res.n_steps != r->res.n_steps || res.nlu != r->res.nlu)) {
        r->counters_changed = 1;
    }
    r->res = res;
    dt->wall = t1.wall - t0.wall;
    dt->cpu = t1.cpu - t0.cpu;
    return 0;
}

#ifdef IVP_BENCH_HAVE_CVODE
static int run_cvode(const bench_problem *p, const options *o, solver_run *r, stamp *dt)
{
    bench_cvode_stats cv;
    stamp t0, t1;
    int rc;
    t0 = now_stamp();
    rc = r->is_cvode == 2
             ? bench_cvode_solve_amd(p, o->rtol, o->atol, r->y, &cv, r->msg, sizeof r->msg)
             : bench_cvode_solve(p, o->rtol, o->atol, r->y, &cv, r->msg, sizeof r->msg);
    t1 = now_stamp();
    if (rc != 0) {
        return -1;
    }
    if (r->cv.nst != 0 && (cv.nst != r->cv.nst || cv.nfe != r->cv.nfe)) {
        r->counters_changed = 1;
    }
    r->cv = cv;
    dt->wall = t1.wall - t0.wall;
    dt->cpu = t1.cpu - t0.cpu;
    return 0;
}
#endif

/* Max over i of |y_i - ref_i| / |ref_i| (components with ref_i == 0 use the absolute error),
 * and the RMS of the same ratios. */
static void rel_errors(const double *y, const double *ref, size_t n, double *max_rel,
                       double *rms_rel)
{
    double mx = 0.0, acc = 0.0;
    size_t i;
    for (i = 0; i < n; i++) {
        double e = fabs(y[i] - ref[i]);
        double q = ref[i] != 0.0 ? e / fabs(ref[i]) : e;
        if (!(q <= mx)) {
            mx = q; /* NaN propagates */
        }
        acc += q * q;
    }
    *max_rel = mx;
    *rms_rel = sqrt(acc / (double)n);
}

static void print_result(const bench_problem *p, const options *o, const solver_run *r,
                         const double *ref, double *work)
{
    unsigned long k;
    size_t i;
    printf("{\"problem\": \"%s\", \"n\": %zu, \"solver\": \"%s\", \"impl\": \"%s\", ", p->name,
           p->n, r->name, r->is_cvode ? "cvode" : "ivp");
    print_num("rtol", o->rtol);
    printf(", ");
    print_num("atol", o->atol);
    printf(", ");
    print_num("t_end", p->t_end);
    if (r->failed) {
        printf(", \"ok\": false, \"message\": \"");
        for (i = 0; r->msg[i] != '\0'; i++) {
            char c = r->msg[i];
            if (c == '"' || c == '\\') {
                putchar('\\');
            }
            putchar(c >= ' ' ? c : ' ');
        }
        printf("\"}\n");
        return;
    }
    printf(", \"ok\": true, \"warmup\": %lu, \"times\": [", o->warmup);
    for (k = 0; k < o->repeats; k++) {
        printf("%s%.9g", k > 0 ? ", " : "", r->times[k]);
    }
    printf("], \"cpu_times\": [");
    for (k = 0; k < o->repeats; k++) {
        printf("%s%.9g", k > 0 ? ", " : "", r->cpu_times[k]);
    }
    printf("], ");
    print_num("median", median(r->times, o->repeats, work));
    printf(", ");
    print_num("median_cpu", median(r->cpu_times, o->repeats, work));
    printf(", \"counters_changed\": %s", r->counters_changed ? "true" : "false");
    printf(", \"jac\": \"%s\"", !r->is_cvode && o->jac_fd ? "fd" : "analytic");
    if (r->is_cvode) {
#ifdef IVP_BENCH_HAVE_CVODE
        printf(", \"linsol\": \"%s\", \"nst\": %ld, \"nfe\": %ld, \"nje\": %ld, \"nsetups\": %ld, "
               "\"netf\": %ld, \"nni\": %ld, \"ncfn\": %ld, \"qlast\": %d",
               bench_cvode_linsol_name(p, r->is_cvode == 2), r->cv.nst, r->cv.nfe, r->cv.nje,
               r->cv.nsetups, r->cv.netf, r->cv.nni, r->cv.ncfn, r->cv.qlast);
#endif
    } else {
        printf(", \"nfev\": %lu, \"njev\": %lu, \"nlu\": %lu, \"n_steps\": %lu, "
               "\"n_rejected\": %lu",
               r->res.nfev, r->res.njev, r->res.nlu, r->res.n_steps, r->res.n_rejected);
        if (strcmp(r->name, "LSODA") == 0) {
            printf(", \"n_steps_adams\": %lu, \"n_steps_bdf\": %lu, \"n_switches\": %lu",
                   r->res.n_steps_adams, r->res.n_steps_bdf, r->res.n_switches);
        }
    }
    if (p->n <= PRINT_Y_MAX) {
        printf(", \"y_end\": [");
        for (i = 0; i < p->n; i++) {
            printf("%s%.17g", i > 0 ? ", " : "", r->y[i]);
        }
        printf("]");
    }
    if (ref != NULL) {
        double mx, rms;
        rel_errors(r->y, ref, p->n, &mx, &rms);
        printf(", ");
        print_num("err_max_rel", mx);
        printf(", ");
        print_num("err_rms_rel", rms);
    }
    printf("}\n");
}

int main(int argc, char **argv)
{
    options o;
    bench_problem p;
    solver_run runs[MAX_SOLVERS];
    double *ref = NULL, *work = NULL;
    size_t s;
    unsigned long k;
    int rc, status = 1;

    memset(&p, 0, sizeof p);
    memset(runs, 0, sizeof runs);
    if (argc == 2 && strcmp(argv[1], "--info") == 0) {
        print_info();
        return 0;
    }
    if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        usage(stdout);
        return 0;
    }
    rc = parse_args(argc, argv, &o);
    if (rc != 0) {
        return rc;
    }
    if (strcmp(o.problem, "vdp") == 0) {
        rc = bench_problem_vdp(&p, o.mu, o.t_end > 0.0 ? o.t_end : 3000.0);
    } else {
        rc = bench_problem_bruss2d(&p, o.ns, o.t_end > 0.0 ? o.t_end : 11.5);
    }
    if (rc != 0) {
        fprintf(stderr, "stiff_bench: out of memory building the problem\n");
        goto done;
    }
    work = malloc(o.repeats * sizeof *work);
    if (work == NULL) {
        goto nomem;
    }
    if (o.ref_path != NULL) {
        ref = malloc(p.n * sizeof *ref);
        if (ref == NULL) {
            goto nomem;
        }
        if (read_doubles(o.ref_path, ref, p.n) != 0) {
            status = 2;
            goto done;
        }
    }
    for (s = 0; s < o.n_solvers; s++) {
        solver_run *r = &runs[s];
        r->is_cvode = strcmp(o.solvers[s], "CVODE") == 0       ? 1
                      : strcmp(o.solvers[s], "CVODE_AMD") == 0 ? 2
                                                               : 0;
        r->name = r->is_cvode == 1   ? "CVODE"
                  : r->is_cvode == 2 ? "CVODE_AMD"
                                     : ivp_method_canonical(o.solvers[s]);
        r->times = calloc(o.repeats, sizeof *r->times);
        r->cpu_times = calloc(o.repeats, sizeof *r->cpu_times);
        r->y = calloc(p.n, sizeof *r->y);
        if (r->times == NULL || r->cpu_times == NULL || r->y == NULL) {
            goto nomem;
        }
    }

    /* Round-robin: every solver once per repeat; the warm-up rounds are not recorded. */
    for (k = 0; k < o.warmup + o.repeats; k++) {
        for (s = 0; s < o.n_solvers; s++) {
            solver_run *r = &runs[s];
            stamp dt;
            if (r->failed) {
                continue;
            }
#ifdef IVP_BENCH_HAVE_CVODE
            rc = r->is_cvode ? run_cvode(&p, &o, r, &dt) : run_ivp(&p, &o, r, &dt);
#else
            rc = run_ivp(&p, &o, r, &dt);
#endif
            if (rc != 0) {
                r->failed = 1;
            } else if (k >= o.warmup) {
                r->times[k - o.warmup] = dt.wall;
                r->cpu_times[k - o.warmup] = dt.cpu;
            }
        }
    }

    status = 0;
    for (s = 0; s < o.n_solvers; s++) {
        print_result(&p, &o, &runs[s], ref, work);
        if (runs[s].failed) {
            status = 1;
        }
    }
    fflush(stdout);
    if (o.save_path != NULL && !runs[0].failed && write_doubles(o.save_path, runs[0].y, p.n)) {
        status = 1;
    }
    goto done;

nomem:
    fprintf(stderr, "stiff_bench: out of memory\n");
    status = 1;
done:
    for (s = 0; s < MAX_SOLVERS; s++) {
        free(runs[s].times);
        free(runs[s].cpu_times);
        free(runs[s].y);
    }
    free(ref);
    free(work);
    bench_problem_free(&p);
    return status;
}
