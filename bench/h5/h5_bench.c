/* SPDX-License-Identifier: MIT
 * bench/h5/h5_bench.c - the cost of ivp's HDF5 output (core/src/h5sink.c), see README.md.
 *
 * Usage:
 *   h5_bench [--dir DIR] [--reps R] [--points N] [--n n] [--max-points N] [--cold] [--fsync]
 *            [--format1]
 *   h5_bench --write ivp|minimal n N FILE      (one file, e.g. under strace -c)
 *   h5_bench --time ivp|minimal n N FILE [fsync]   (internal: one timed file for --cold)
 *
 * 1. Short runs: a whole file (open + N points + finish, the rename included) through ivp's
 *    sink for n = 10, 1000, 10000 and N = --points (default 23: RK45 on y' = -y, t in [0, 10],
 *    rtol = atol = 1e-6), against h5_minimal.c writing the same datasets and attributes with
 *    HDF5 directly. Median of R runs each (default 31), the two alternating. --n: that n only.
 *    --cold: each file in a fresh process (this program with --time), HDF5 initialised before
 *    its clock starts.
 * 2. Sweep (skipped when --max-points < 1000): n = 2, N = 10^3 ... --max-points (default 10^7)
 *    points through ivp's sink, against plain write() of the same bytes (the same values,
 *    computed into a 1 MiB block, one write() per block) to the same folder, and against
 *    h5_minimal.c (the data already in memory). Without --fsync nobody calls fsync (page-cache
 *    throughput: the writer's own cost); with --fsync each file is fsync'ed before its clock
 *    stops (ivp's after the rename). Medians of 15 / 7 / 5 runs for N <= 10^5 / 10^6 / more.
 *
 * The anchor writes what ivp's sink writes (format 1.1: /params, /y0, /t_span, /info, 21 root
 * attributes) and fsyncs its file, as the sink does before its rename; --format1: the old
 * anchor (format 1's datasets and 17 attributes, no fsync), also for --time children through
 * H5_BENCH_FORMAT1=1 in the environment.
 *
 * Wall time and CPU time (user + system) of the process are reported. The library is
 * initialised (one file written by each writer) before anything is timed; every file is removed
 * after its run, outside the timed region.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <hdf5.h>

#include "h5_minimal.h"
#include "ivp/h5sink.h"

#define BLOCK_BYTES ((size_t)1 << 20)

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* CPU time of the process (user + system), set by every run_* function for its run: less
 * disturbed than wall time by other work on a shared machine. */
static double last_cpu;

/* The anchor writes format 1 and does not fsync (--format1). */
static int anchor_v1;

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, size_t k)
{
    qsort(v, k, sizeof *v, cmp_double);
    return k % 2 == 1 ? v[k / 2] : 0.5 * (v[k / 2 - 1] + v[k / 2]);
}

static void die(const char *what)
{
    fprintf(stderr, "h5_bench: %s\n", what);
    exit(1);
}

static int sync_file(const char *path)
{
    int fd = open(path, O_RDONLY);
    int rc;
    if (fd < 0) {
        return -1;
    }
    rc = fsync(fd);
    close(fd);
    return rc;
}

/* Point i of the synthetic run: t = i / 16, y_j = t + j (exact in binary). */
static void point(size_t i, size_t n, double *t, double *y)
{
    size_t j;
    *t = (double)i * 0.0625;
    for (j = 0; j < n; j++) {
        y[j] = *t + (double)j;
    }
}

/* One file through ivp's sink: open, N points, finish (with the rename). Seconds. The file is
 * removed afterwards unless 'keep'. */
static double run_ivp(const char *path, size_t n, size_t N, double *y, int do_sync, int keep)
{
    ivp_h5sink_config cfg;
    ivp_h5sink_meta meta;
    ivp_result res;
    ivp_h5sink *s;
    ivp_sink sink;
    ivp_error err;
    static const double t_span[2] = {0.0, 10.0};
    static const char *const no_names[1] = {NULL};
    double t, t0, t1, c0;
    double *y0 = malloc((n > 0 ? n : 1) * sizeof *y0);
    size_t i;
    if (y0 == NULL) {
        die("out of memory");
    }
    point(0, n, &t, y0);
    memset(&cfg, 0, sizeof cfg);
    memset(&meta, 0, sizeof meta);
    memset(&res, 0, sizeof res);
    cfg.path = path;
    cfg.n = n;
    meta.method = "RK45";
    meta.rtol = 1e-6;
    meta.atol = 1e-6;
    meta.problem = h5min_problem;
    meta.plugin_sha256 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    meta.y0 = y0; /* what `ivp run` passes for a problem without parameters or names */
    meta.t_span = t_span;
    meta.param_names = no_names; /* a plugin without parameters: /params and its empty names */
    meta.created = h5min_created;
    meta.host = h5min_host;
    meta.command_line = h5min_command_line;
    res.status = 0;
    snprintf(res.message, sizeof res.message,
             "The solver successfully reached the end of the integration interval.");
    res.nfev = 6 * N + 2;
    res.n_steps = N - 1;
    res.solve_seconds = 3.5e-4;
    c0 = cpu_now();
    t0 = now();
    if (ivp_h5sink_open(&cfg, &s, &err) != IVP_OK) {
        die(err.msg);
    }
    sink = ivp_h5sink_sink(s);
    for (i = 0; i < N; i++) {
        point(i, n, &t, y);
        if (sink.point(sink.ud, t, y) != 0) {
            break;
        }
    }
    if (ivp_h5sink_finish(s, &res, &meta, &err) != IVP_OK) {
        die(err.msg);
    }
    if (do_sync && sync_file(path) != 0) {
        die("fsync failed");
    }
    t1 = now();
    last_cpu = cpu_now() - c0;
    if (!keep) {
        unlink(path);
    }
    free(y0);
    return t1 - t0;
}

/* The anchor: the same datasets and attributes, HDF5 called directly. Seconds. */
static double run_minimal(const char *path, size_t n, size_t N, const double *t, const double *y,
                          int do_sync)
{
    double *y0 = malloc((n > 0 ? n : 1) * sizeof *y0);
    double c0, t0, t1;
    size_t j;
    if (y0 == NULL) {
        die("out of memory");
    }
    for (j = 0; j < n; j++) { /* the initial state, as the caller of ivp has it */
        y0[j] = y[j * N];
    }
    c0 = cpu_now();
    t0 = now();
    if (h5min_write(path, n, N, t, y, y0, anchor_v1) != 0) {
        die("the minimal writer failed");
    }
    if (do_sync && sync_file(path) != 0) {
        die("fsync failed");
    }
    t1 = now();
    last_cpu = cpu_now() - c0;
    unlink(path);
    free(y0);
    return t1 - t0;
}

static void write_all(int fd, const double *v, size_t count)
{
    const char *p = (const char *)v;
    size_t bytes = count * sizeof *v;
    while (bytes > 0) {
        ssize_t w = write(fd, p, bytes);
        if (w <= 0) {
            die("write failed");
        }
        p += w;
        bytes -= (size_t)w;
    }
}

/* The same bytes as the data of ivp's file, /t then the rows of /y, computed into a block of
 * BLOCK_BYTES and written by plain write() calls, one per block. Seconds. */
static double run_plain(const char *path, size_t n, size_t N, double *block, int do_sync)
{
    const size_t per_block = BLOCK_BYTES / sizeof *block;
    double c0 = cpu_now(), t0 = now(), t1;
    size_t row, i, k = 0;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0) {
        die("cannot create the plain file");
    }
    for (row = 0; row <= n; row++) { /* row 0: /t; row j + 1: /y[j] */
        for (i = 0; i < N; i++) {
            double t = (double)i * 0.0625;
            block[k++] = row == 0 ? t : t + (double)(row - 1);
            if (k == per_block) {
                write_all(fd, block, k);
                k = 0;
            }
        }
    }
    if (k > 0) {
        write_all(fd, block, k);
    }
    if (do_sync && fsync(fd) != 0) {
        die("fsync failed");
    }
    if (close(fd) != 0) {
        die("close failed");
    }
    t1 = now();
    last_cpu = cpu_now() - c0;
    unlink(path);
    return t1 - t0;
}

/* t (N) and y (n x N, row-major) of the synthetic run, for the minimal writer. */
static void make_arrays(size_t n, size_t N, double **t, double **y)
{
    double *row = malloc((n > 0 ? n : 1) * sizeof *row);
    size_t i, j;
    *t = malloc((N > 0 ? N : 1) * sizeof **t);
    *y = malloc((n * N > 0 ? n * N : 1) * sizeof **y);
    if (row == NULL || *t == NULL || *y == NULL) {
        die("out of memory");
    }
    for (i = 0; i < N; i++) {
        point(i, n, &(*t)[i], row);
        for (j = 0; j < n; j++) {
            (*y)[j * N + i] = row[j];
        }
    }
    free(row);
}

/* One run in a fresh process ('self' --time ...), as every `ivp run` of a parameter scan is:
 * the child initialises HDF5, then times its file (first allocations and all). Seconds of wall
 * time; the CPU time goes to last_cpu. */
static double run_cold(const char *self, const char *kind, size_t n, size_t N, const char *path,
                       int do_sync)
{
    char cmd[8192];
    double wall = 0.0, cpu = 0.0;
    FILE *p;
    snprintf(cmd, sizeof cmd, "'%s' --time %s %zu %zu '%s'%s", self, kind, n, N, path,
             do_sync ? " fsync" : "");
    p = popen(cmd, "r");
    if (p == NULL || fscanf(p, "%lf %lf", &wall, &cpu) != 2 || pclose(p) != 0) {
        die("a --time child failed");
    }
    last_cpu = cpu;
    return wall;
}

/* The child of run_cold: HDF5 initialised, then one timed file; prints "wall cpu". */
static int time_one(const char *kind, size_t n, size_t N, const char *path, int do_sync)
{
    double *t, *y, wall;
    make_arrays(n, N, &t, &y);
    if (H5open() < 0) {
        die("H5open failed");
    }
    if (strcmp(kind, "ivp") == 0) {
        wall = run_ivp(path, n, N, y, do_sync, 0);
    } else {
        wall = run_minimal(path, n, N, t, y, do_sync);
    }
    printf("%.9g %.9g\n", wall, last_cpu);
    free(t);
    free(y);
    return 0;
}

static void short_runs(const char *self, const char *dir, size_t reps, size_t N, size_t only_n,
                       int cold, int do_sync)
{
    static const size_t all_n[] = {10, 1000, 10000};
    const size_t *ns = only_n > 0 ? &only_n : all_n;
    size_t nn = only_n > 0 ? 1 : sizeof all_n / sizeof all_n[0];
    char pi[4096], pm[4096];
    double *ti = malloc(reps * sizeof *ti), *tm = malloc(reps * sizeof *tm);
    double *ci = malloc(reps * sizeof *ci), *cm = malloc(reps * sizeof *cm);
    size_t k, r;
    if (ti == NULL || tm == NULL || ci == NULL || cm == NULL) {
        die("out of memory");
    }
    snprintf(pi, sizeof pi, "%s/bench_ivp.h5", dir);
    snprintf(pm, sizeof pm, "%s/bench_minimal.h5", dir);
    printf("Short runs: a whole file, N = %zu points, median of %zu runs, %s%s; anchor: %s\n\n",
           N, reps, cold ? "each in a fresh process" : "all in one process",
           do_sync ? ", fsync" : "",
           anchor_v1 ? "format 1, no fsync (--format1)" : "format 1.1, fsync'ed as ivp's file");
    printf("| n | ivp sink (open + points + finish) | minimal HDF5 program | ratio | ivp CPU | "
           "minimal CPU | CPU ratio |\n");
    printf("|---|---|---|---|---|---|---|\n");
    for (k = 0; k < nn; k++) {
        size_t n = ns[k];
        double *t, *y, *row = malloc(n * sizeof *row), mi, mm, mci, mcm;
        if (row == NULL) {
            die("out of memory");
        }
        make_arrays(n, N, &t, &y);
        run_ivp(pi, n, N, row, do_sync, 0); /* warm-up */
        run_minimal(pm, n, N, t, y, do_sync);
        for (r = 0; r < reps; r++) {
            ti[r] = cold ? run_cold(self, "ivp", n, N, pi, do_sync)
                         : run_ivp(pi, n, N, row, do_sync, 0);
            ci[r] = last_cpu;
            tm[r] = cold ? run_cold(self, "minimal", n, N, pm, do_sync)
                         : run_minimal(pm, n, N, t, y, do_sync);
            cm[r] = last_cpu;
        }
        mi = median(ti, reps);
        mm = median(tm, reps);
        mci = median(ci, reps);
        mcm = median(cm, reps);
        printf("| %zu | %.3f ms | %.3f ms | %.2f | %.3f ms | %.3f ms | %.2f |\n", n, 1e3 * mi,
               1e3 * mm, mi / mm, 1e3 * mci, 1e3 * mcm, mci / mcm);
        fflush(stdout);
        free(t);
        free(y);
        free(row);
    }
    printf("\n");
    free(ti);
    free(tm);
    free(ci);
    free(cm);
}

static void sweep(const char *dir, size_t max_points, int do_sync)
{
    const size_t n = 2;
    char pi[4096], pm[4096], pp[4096];
    double *block = malloc(BLOCK_BYTES);
    double y[2], ti[15], tp[15], tm[15], ci[15], cp[15];
    size_t N, r;
    if (block == NULL) {
        die("out of memory");
    }
    snprintf(pi, sizeof pi, "%s/bench_ivp.h5", dir);
    snprintf(pm, sizeof pm, "%s/bench_minimal.h5", dir);
    snprintf(pp, sizeof pp, "%s/bench_plain.bin", dir);
    printf("Sweep: n = %zu, throughput in MB/s (10^6 bytes of /t and /y data per second)%s\n\n", n,
           do_sync ? ", every file fsync'ed" : ", no fsync");
    printf("| points N | data | ivp sink | plain write() | ivp / write() | same, CPU time | "
           "minimal HDF5 (arrays in memory) |\n");
    printf("|---|---|---|---|---|---|---|\n");
    for (N = 1000; N <= max_points; N *= 10) {
        size_t bytes = 8 * N * (n + 1);
        size_t reps = N <= 100000 ? 15 : N <= 1000000 ? 7 : 5;
        double *t, *yy, mi, mp, mm, mci, mcp;
        make_arrays(n, N, &t, &yy);
        run_ivp(pi, n, N, y, do_sync, 0); /* warm-up */
        run_plain(pp, n, N, block, do_sync);
        for (r = 0; r < reps; r++) {
            ti[r] = run_ivp(pi, n, N, y, do_sync, 0);
            ci[r] = last_cpu;
            tp[r] = run_plain(pp, n, N, block, do_sync);
            cp[r] = last_cpu;
            tm[r] = run_minimal(pm, n, N, t, yy, do_sync);
        }
        mi = median(ti, reps);
        mp = median(tp, reps);
        mm = median(tm, reps);
        mci = median(ci, reps);
        mcp = median(cp, reps);
        printf("| %zu | %.3g MB | %.0f MB/s | %.0f MB/s | %.0f%% | %.0f%% | %.0f MB/s |\n", N,
               1e-6 * (double)bytes, 1e-6 * (double)bytes / mi, 1e-6 * (double)bytes / mp,
               100.0 * mp / mi, 100.0 * mcp / mci, 1e-6 * (double)bytes / mm);
        fflush(stdout);
        free(t);
        free(yy);
    }
    printf("\n");
    free(block);
}

static size_t parse_size(const char *s)
{
    char *end;
    double v;
    errno = 0;
    v = strtod(s, &end);
    if (errno != 0 || *end != '\0' || v < 1 || v > 1e12) {
        die("bad number");
    }
    return (size_t)v;
}

int main(int argc, char **argv)
{
    const char *dir = ".";
    size_t reps = 31, points = 23, max_points = 10000000, only_n = 0;
    int do_sync = 0, cold = 0, i;
    const char *v1 = getenv("H5_BENCH_FORMAT1");
    anchor_v1 = v1 != NULL && strcmp(v1, "1") == 0;
    if ((argc == 6 || argc == 7) && strcmp(argv[1], "--time") == 0) {
        return time_one(argv[2], parse_size(argv[3]), parse_size(argv[4]), argv[5], argc == 7);
    }
    if (argc == 6 && strcmp(argv[1], "--write") == 0) {
        size_t n = parse_size(argv[3]), N = parse_size(argv[4]);
        double *t, *y;
        make_arrays(n, N, &t, &y);
        if (strcmp(argv[2], "ivp") == 0) {
            run_ivp(argv[5], n, N, y, 0, 1);
        } else if (strcmp(argv[2], "minimal") == 0) {
            double *y0 = malloc((n > 0 ? n : 1) * sizeof *y0);
            size_t j;
            if (y0 == NULL) {
                die("out of memory");
            }
            for (j = 0; j < n; j++) {
                y0[j] = y[j * N];
            }
            if (h5min_write(argv[5], n, N, t, y, y0, anchor_v1) != 0) {
                die("the minimal writer failed");
            }
            free(y0);
        } else {
            die("--write ivp|minimal n N FILE");
        }
        free(t);
        free(y);
        return 0;
    }
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc) {
            dir = argv[++i];
        } else if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc) {
            reps = parse_size(argv[++i]);
        } else if (strcmp(argv[i], "--points") == 0 && i + 1 < argc) {
            points = parse_size(argv[++i]);
        } else if (strcmp(argv[i], "--n") == 0 && i + 1 < argc) {
            only_n = parse_size(argv[++i]);
        } else if (strcmp(argv[i], "--max-points") == 0 && i + 1 < argc) {
            max_points = parse_size(argv[++i]);
        } else if (strcmp(argv[i], "--cold") == 0) {
            cold = 1;
        } else if (strcmp(argv[i], "--fsync") == 0) {
            do_sync = 1;
        } else if (strcmp(argv[i], "--format1") == 0) {
            anchor_v1 = 1;
            if (setenv("H5_BENCH_FORMAT1", "1", 1) != 0) { /* for the --time children */
                die("setenv failed");
            }
        } else {
            fprintf(stderr, "usage: h5_bench [--dir DIR] [--reps R] [--points N] "
                            "[--n n] [--max-points N] [--cold] [--fsync] [--format1]\n"
                            "       h5_bench --write ivp|minimal n N FILE\n");
            return 2;
        }
    }
    short_runs(argv[0], dir, reps, points, only_n, cold, do_sync);
    if (max_points >= 1000) {
        sweep(dir, max_points, do_sync);
    }
    return 0;
}
