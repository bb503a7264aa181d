/* SPDX-License-Identifier: MIT
 * bench/peers/h5_proc_min.c - the minimal HDF5 program that a whole `ivp run` of a tiny
 * problem is measured against as a process (run_all.py, "process start"): it creates FILE and
 * writes what ivp's file of that run holds - /t (N,), /y (n, N), an empty /events group and
 * ivp's 17 root attributes with the same types - with plain H5Dwrite/H5Awrite calls
 * (contiguous datasets, default property lists), then exits. Linked against hdf5-serial only.
 *
 * Usage: h5_proc_min [--fsync] FILE [n] [N]   (defaults n = 2, N = 3: RK45 on y' = -y, t in
 *        [0, 1]; --fsync: fsync the file after closing it, as ivp does before its rename)
 */
#define _POSIX_C_SOURCE 200809L

#include <fcntl.h>
#include <string.h>
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

int main(int argc, char **argv)
{
    int do_fsync = argc > 1 && strcmp(argv[1], "--fsync") == 0;
    size_t n, N;
    double *t, *y;
    size_t i, j;
    hid_t f, g;
    hsize_t dt[1], dy[2];
    int bad = 0;

    argv += do_fsync;
    argc -= do_fsync;
    n = argc > 2 ? (size_t)atol(argv[2]) : 2;
    N = argc > 3 ? (size_t)atol(argv[3]) : 3;
    if (argc < 2 || argc > 4 || n < 1 || N < 1) {
        fprintf(stderr, "usage: h5_proc_min [--fsync] FILE [n] [N]\n");
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
    bad |= attr_string(f, "problem", "{\"t_span\": [0, 1], \"y0\": [1, 2], \"method\": \"RK45\"}");
    bad |= attr_string(f, "plugin_sha256",
                       "0000000000000000000000000000000000000000000000000000000000000000");
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
