/* SPDX-License-Identifier: MIT
 * bench/peers/h5_proc_min.c - the minimal HDF5 program that a whole `ivp run` of a tiny
 * problem is measured against as a process (run_all.py, "process start"): it creates FILE and
 * writes what ivp's file of that run holds (format 1.1) - /t (N,), /y (n, N) contiguous, an
 * empty /events group, ivp's 21 root attributes with the same types, and as compact datasets
 * (as core/src/h5sink.c stores them) the empty /params, /y0, /t_span and the group /info of 10
 * scalars (message and method fixed-length NUL-padded ASCII strings) - with plain
 * H5Dwrite/H5Awrite calls (default file property lists), closes it and fsyncs it, as ivp does
 * before its rename, then exits. Linked against hdf5-serial only.
 *
 * Usage: h5_proc_min [--format1] [--fsync] FILE [n] [N]   (defaults n = 2, N = 3: RK45 on
 *        y' = -y, t in [0, 1]). --format1: the old program, format 1 only (/t, /y, /events and
 *        17 root attributes), no fsync unless --fsync is given too.
 */
#define _POSIX_C_SOURCE 200809L

#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>

#include <hdf5.h>

static int attr_double(hid_t loc, const char *name, double v)
{
    hid_t s = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(loc, name, H5T_IEEE_F64LE, s, H5P_DEFAULT, H5P_DEFAULT);
    herr_t rc = H5Awrite(a, H5T_NATIVE_DOUBLE, &v);
    H5Aclose(a);
    H5Sclose(s);
    return a < 0 || rc < 0 ? -1 : 0;
}

static int attr_int(hid_t loc, const char *name, long long v)
{
    hid_t s = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(loc, name, H5T_STD_I64LE, s, H5P_DEFAULT, H5P_DEFAULT);
    herr_t rc = H5Awrite(a, H5T_NATIVE_LLONG, &v);
    H5Aclose(a);
    H5Sclose(s);
    return a < 0 || rc < 0 ? -1 : 0;
}

static int attr_string(hid_t loc, const char *name, const char *v)
{
    hid_t s = H5Screate(H5S_SCALAR);
    hid_t ty = H5Tcopy(H5T_C_S1);
    hid_t a;
    herr_t rc;
    H5Tset_size(ty, H5T_VARIABLE);
    H5Tset_cset(ty, H5T_CSET_UTF8);
    a = H5Acreate2(loc, name, ty, s, H5P_DEFAULT, H5P_DEFAULT);
    rc = H5Awrite(a, ty, &v);
    H5Aclose(a);
    H5Tclose(ty);
    H5Sclose(s);
    return a < 0 || rc < 0 ? -1 : 0;
}

static int dataset(hid_t file, const char *name, int rank, const hsize_t *dims, const double *data)
{
    hid_t s = H5Screate_simple(rank, dims, NULL);
    hid_t d = H5Dcreate2(file, name, H5T_IEEE_F64LE, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    herr_t rc = H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, data);
    H5Dclose(d);
    H5Sclose(s);
    return d < 0 || rc < 0 ? -1 : 0;
}

/* A dataset of 'ftype' under loc, scalar (rank 0) or 1-D, compact (its data in its object
 * header) as h5sink.c stores its small metadata datasets; nothing is written to an empty one. */
static int small_dataset(hid_t loc, const char *name, hid_t ftype, hid_t mtype, int rank,
                         hsize_t len, const void *v)
{
    hid_t s = rank > 0 ? H5Screate_simple(1, &len, NULL) : H5Screate(H5S_SCALAR);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    hid_t d;
    herr_t rc = H5Pset_layout(dcpl, H5D_COMPACT);
    d = H5Dcreate2(loc, name, ftype, s, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    if (rc >= 0 && d >= 0 && (rank == 0 || len > 0)) {
        rc = H5Dwrite(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, v);
    }
    H5Dclose(d);
    H5Pclose(dcpl);
    H5Sclose(s);
    return d < 0 || rc < 0 ? -1 : 0;
}

/* The attribute names of loc/name: no variable-length strings, as ivp writes for a plugin
 * without parameters. */
static int empty_names(hid_t loc, const char *name)
{
    hsize_t zero = 0;
    hid_t d = H5Dopen2(loc, name, H5P_DEFAULT);
    hid_t s = H5Screate_simple(1, &zero, NULL);
    hid_t ty = H5Tcopy(H5T_C_S1);
    hid_t a;
    H5Tset_size(ty, H5T_VARIABLE);
    H5Tset_cset(ty, H5T_CSET_UTF8);
    a = H5Acreate2(d, "names", ty, s, H5P_DEFAULT, H5P_DEFAULT);
    H5Aclose(a);
    H5Tclose(ty);
    H5Sclose(s);
    H5Dclose(d);
    return d < 0 || a < 0 ? -1 : 0;
}

static int info_int(hid_t g, const char *name, long long v)
{
    return small_dataset(g, name, H5T_STD_I64LE, H5T_NATIVE_LLONG, 0, 0, &v);
}

static int info_string(hid_t g, const char *name, const char *v)
{
    hid_t ty = H5Tcopy(H5T_C_S1);
    int rc;
    H5Tset_size(ty, strlen(v) > 0 ? strlen(v) : 1);
    H5Tset_cset(ty, H5T_CSET_ASCII);
    H5Tset_strpad(ty, H5T_STR_NULLPAD);
    rc = small_dataset(g, name, ty, ty, 0, 0, v);
    H5Tclose(ty);
    return rc;
}

/* What format 1.1 adds to the file of `ivp run` of the tiny problem (no parameters, names or
 * events). */
static int format_1_1(hid_t f, const char *path, size_t n, size_t N, const double *y)
{
    static const char message[] =
        "The solver successfully reached the end of the integration interval.";
    const double t_span[2] = {0.0, 1.0};
    char created[32], host[256], cmd[4200];
    double *y0 = malloc(n * sizeof *y0), solve_seconds = 1e-5;
    time_t now = time(NULL);
    struct tm tm;
    hid_t gcpl, g;
    size_t i;
    int bad = 0;
    if (y0 == NULL) {
        return -1;
    }
    for (i = 0; i < n; i++) {
        y0[i] = y[i * N];
    }
    if (gmtime_r(&now, &tm) == NULL ||
        strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
        created[0] = '\0';
    }
    if (gethostname(host, sizeof host) != 0) {
        host[0] = '\0';
    }
    host[sizeof host - 1] = '\0';
    snprintf(cmd, sizeof cmd, "ivp run tiny.json -o %s --quiet", path);
    bad |= attr_string(f, "created", created);
    bad |= attr_string(f, "host", host);
    bad |= attr_string(f, "command_line", cmd);
    bad |= small_dataset(f, "params", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, 0, NULL);
    bad |= empty_names(f, "params");
    bad |= small_dataset(f, "y0", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, n, y0);
    bad |= small_dataset(f, "t_span", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, 2, t_span);
    gcpl = H5Pcreate(H5P_GROUP_CREATE);
    H5Pset_link_phase_change(gcpl, 32, 24);
    g = H5Gcreate2(f, "info", H5P_DEFAULT, gcpl, H5P_DEFAULT);
    H5Pclose(gcpl);
    bad |= g < 0 ? -1 : 0;
    bad |= info_int(g, "status", 0);
    bad |= info_int(g, "success", 1);
    bad |= info_int(g, "nfev", 14);
    bad |= info_int(g, "njev", 0);
    bad |= info_int(g, "nlu", 0);
    bad |= info_int(g, "n_steps", (long long)N - 1);
    bad |= info_int(g, "n_rejected", 0);
    bad |= small_dataset(g, "solve_seconds", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 0, 0,
                         &solve_seconds);
    bad |= info_string(g, "message", message);
    bad |= info_string(g, "method", "RK45");
    bad |= H5Gclose(g) < 0 ? -1 : 0;
    free(y0);
    return bad;
}

int main(int argc, char **argv)
{
    int format1 = argc > 1 && strcmp(argv[1], "--format1") == 0;
    int do_fsync;
    size_t n, N;
    double *t, *y;
    size_t i, j;
    hid_t f, g;
    hsize_t dt[1], dy[2];
    int bad = 0;

    argv += format1;
    argc -= format1;
    do_fsync = argc > 1 && strcmp(argv[1], "--fsync") == 0;
    argv += do_fsync;
    argc -= do_fsync;
    do_fsync |= !format1;
    n = argc > 2 ? (size_t)atol(argv[2]) : 2;
    N = argc > 3 ? (size_t)atol(argv[3]) : 3;
    if (argc < 2 || argc > 4 || n < 1 || N < 1) {
        fprintf(stderr, "usage: h5_proc_min [--format1] [--fsync] FILE [n] [N]\n");
        return 2;
    }
    t = malloc((n + 1) * N * sizeof *t);
    if (t == NULL) {
        return 1;
    }
    y = t + N;
    for (j = 0; j < N; j++) {
        t[j] = (double)j / (double)N;
        for (i = 0; i < n; i++) {
            y[i * N + j] = (double)(i + 1) * (1.0 - t[j]);
        }
    }
    f = H5Fcreate(argv[1], H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (f < 0) {
        free(t);
        return 1;
    }
    dt[0] = N;
    dy[0] = n;
    dy[1] = N;
    bad |= dataset(f, "t", 1, dt, t);
    bad |= dataset(f, "y", 2, dy, y);
    g = H5Gcreate2(f, "events", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    bad |= g < 0 ? -1 : 0;
    H5Gclose(g);
    bad |= attr_string(f, "format", "ivp-hdf5");
    bad |= attr_int(f, "format_version", 1);
    if (!format1) {
        bad |= attr_int(f, "format_minor", 1);
    }
    bad |= attr_string(f, "ivp_version", "0.0.0");
    bad |= attr_string(f, "method", "RK45");
    bad |= attr_double(f, "rtol", 1e-3);
    bad |= attr_double(f, "atol", 1e-6);
    bad |= attr_int(f, "status", 0);
    bad |= attr_string(f, "message",
                       "The solver successfully reached the end of the integration interval.");
    bad |= attr_int(f, "success", 1);
    bad |= attr_int(f, "nfev", 14);
    bad |= attr_int(f, "njev", 0);
    bad |= attr_int(f, "nlu", 0);
    bad |= attr_int(f, "n_steps", (long long)N - 1);
    bad |= attr_int(f, "n_rejected", 0);
    bad |= attr_double(f, "solve_seconds", 1e-5);
    bad |= attr_string(f, "problem",
                       format1 ? "{\"t_span\": [0, 1], \"y0\": [1, 2], \"method\": \"RK45\"}"
                               : "{\"plugin\":\"/work/ivp/bench/peers/linear.c\",\"t_span\":[0,1],"
                                 "\"y0\":[1,2],\"params\":{},\"method\":\"RK45\",\"rtol\":0.001,"
                                 "\"atol\":1e-06,\"dense_output\":false,\"events\":{},"
                                 "\"first_step\":null,\"max_step\":null,\"min_step\":0}");
    bad |= attr_string(f, "plugin_sha256",
                       "0000000000000000000000000000000000000000000000000000000000000000");
    if (!format1) {
        bad |= format_1_1(f, argv[1], n, N, y);
    }
    bad |= H5Fclose(f) < 0 ? -1 : 0;
    if (do_fsync) {
        int fd = open(argv[1], O_RDONLY);
        bad |= fd < 0 || fsync(fd) != 0 ? -1 : 0;
        if (fd >= 0) {
            close(fd);
        }
    }
    free(t);
    return bad ? 1 : 0;
}
