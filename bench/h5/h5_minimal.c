/* SPDX-License-Identifier: MIT
 * bench/h5/h5_minimal.c - the anchor writer (see h5_minimal.h).
 */
#define _POSIX_C_SOURCE 200809L

#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <hdf5.h>

#include "h5_minimal.h"

const char h5min_created[] = "2024-05-01T12:34:56Z";
const char h5min_host[] = "bench-host";
const char h5min_command_line[] = "ivp run linear.json";

const char h5min_problem[] =
    "{\"plugin\": \"linear.so\", \"t_span\": [0, 10], \"y0\": \"ones(1000)\", "
    "\"method\": \"RK45\", \"rtol\": 1e-06, \"atol\": 1e-06, \"dense_output\": false, "
    "\"events\": [], \"params\": {}, \"output\": \"linear.h5\"}";

static int attr(hid_t file, const char *name, hid_t type, const void *value)
{
    hid_t space = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(file, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
    int rc = a >= 0 && H5Awrite(a, type, value) >= 0 ? 0 : -1;
    if (a >= 0) {
        H5Aclose(a);
    }
    H5Sclose(space);
    return rc;
}

static int attr_str(hid_t file, hid_t str, const char *name, const char *value)
{
    return attr(file, name, str, &value);
}

static int attr_i64(hid_t file, const char *name, int64_t value)
{
    return attr(file, name, H5T_NATIVE_INT64, &value);
}

static int attr_f64(hid_t file, const char *name, double value)
{
    return attr(file, name, H5T_NATIVE_DOUBLE, &value);
}

/* A dataset of 'type' (memory and file) written from v; compact when it holds at most
 * H5MIN_COMPACT_MAX_BYTES and 'compact' is set (as ivp's sink stores its small metadata
 * datasets), else contiguous. rank 0: scalar. Nothing is written to an empty one. */
#define H5MIN_COMPACT_MAX_BYTES ((size_t)16384)

static int dset_typed(hid_t loc, const char *name, hid_t ftype, hid_t mtype, int rank,
                      const hsize_t *dims, const void *v, int compact)
{
    hid_t space = rank > 0 ? H5Screate_simple(rank, dims, NULL) : H5Screate(H5S_SCALAR);
    hid_t dcpl = H5P_DEFAULT, d;
    hssize_t points = H5Sget_simple_extent_npoints(space);
    int rc;
    if (compact && points >= 0 && (size_t)points * H5Tget_size(ftype) <= H5MIN_COMPACT_MAX_BYTES) {
        dcpl = H5Pcreate(H5P_DATASET_CREATE);
        H5Pset_layout(dcpl, H5D_COMPACT);
    }
    d = H5Dcreate2(loc, name, ftype, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    rc = d >= 0 && (points == 0 || H5Dwrite(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0)
             ? 0
             : -1;
    if (dcpl != H5P_DEFAULT) {
        H5Pclose(dcpl);
    }
    if (d >= 0) {
        H5Dclose(d);
    }
    H5Sclose(space);
    return rc;
}

static int dset_i64(hid_t loc, const char *name, int64_t v)
{
    return dset_typed(loc, name, H5T_STD_I64LE, H5T_NATIVE_INT64, 0, NULL, &v, 1);
}

/* A scalar fixed-length, NUL-padded ASCII string dataset, as the sink writes /info's. */
static int dset_str(hid_t loc, const char *name, const char *v)
{
    size_t len = strlen(v);
    hid_t type = H5Tcopy(H5T_C_S1);
    int rc;
    H5Tset_size(type, len > 0 ? len : 1);
    H5Tset_cset(type, H5T_CSET_ASCII);
    H5Tset_strpad(type, H5T_STR_NULLPAD);
    rc = dset_typed(loc, name, type, type, 0, NULL, v, 1);
    H5Tclose(type);
    return rc;
}

static int dataset(hid_t file, const char *name, int rank, const hsize_t *dims, const double *v)
{
    hid_t space = H5Screate_simple(rank, dims, NULL);
    hid_t d = H5Dcreate2(file, name, H5T_IEEE_F64LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    int rc = d >= 0 && H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0 ? 0
                                                                                             : -1;
    if (d >= 0) {
        H5Dclose(d);
    }
    H5Sclose(space);
    return rc;
}

/* What format 1.1 adds (h5sink.c, a run without parameters, names or events): three root
 * attributes, /params (empty, with an empty names attribute), /y0, /t_span and /info. */
static int format_1_1(hid_t file, hid_t str, size_t n, size_t N, const double *y0)
{
    static const char message[] =
        "The solver successfully reached the end of the integration interval.";
    const double t_span[2] = {0.0, 10.0};
    hsize_t dims;
    hid_t gcpl, g;
    int rc = 0;
    rc |= attr_str(file, str, "created", h5min_created);
    rc |= attr_str(file, str, "host", h5min_host);
    rc |= attr_str(file, str, "command_line", h5min_command_line);
    dims = 0;
    rc |= dset_typed(file, "params", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, &dims, NULL, 1);
    { /* its names: none (a plugin without parameters) */
        hid_t d = H5Dopen2(file, "params", H5P_DEFAULT);
        hid_t space = H5Screate_simple(1, &dims, NULL);
        hid_t a = H5Acreate2(d, "names", str, space, H5P_DEFAULT, H5P_DEFAULT);
        rc |= d < 0 || a < 0 ? -1 : 0;
        H5Aclose(a);
        H5Sclose(space);
        H5Dclose(d);
    }
    dims = n;
    rc |= dset_typed(file, "y0", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, &dims, y0, 1);
    dims = 2;
    rc |= dset_typed(file, "t_span", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, &dims, t_span, 1);
    gcpl = H5Pcreate(H5P_GROUP_CREATE);
    H5Pset_link_phase_change(gcpl, 32, 24);
    g = H5Gcreate2(file, "info", H5P_DEFAULT, gcpl, H5P_DEFAULT);
    H5Pclose(gcpl);
    if (g < 0) {
        return -1;
    }
    rc |= dset_i64(g, "status", 0);
    rc |= dset_i64(g, "success", 1);
    rc |= dset_i64(g, "nfev", 6 * (int64_t)N + 2);
    rc |= dset_i64(g, "njev", 0);
    rc |= dset_i64(g, "nlu", 0);
    rc |= dset_i64(g, "n_steps", (int64_t)N - 1);
    rc |= dset_i64(g, "n_rejected", 0);
    {
        double v = 3.5e-4;
        rc |= dset_typed(g, "solve_seconds", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 0, NULL, &v, 1);
    }
    rc |= dset_str(g, "message", message);
    rc |= dset_str(g, "method", "RK45");
    rc |= H5Gclose(g) < 0 ? -1 : 0;
    return rc;
}

int h5min_write(const char *path, size_t n, size_t N, const double *t, const double *y,
                const double *y0, int format1)
{
    hid_t file = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    hid_t str = H5Tcopy(H5T_C_S1);
    hsize_t dims[2];
    int rc = 0;
    if (file < 0) {
        H5Tclose(str);
        return -1;
    }
    H5Tset_size(str, H5T_VARIABLE);
    H5Tset_cset(str, H5T_CSET_UTF8);
    dims[0] = N;
    rc |= dataset(file, "/t", 1, dims, t);
    dims[0] = n;
    dims[1] = N;
    rc |= dataset(file, "/y", 2, dims, y);
    {
        hid_t g = H5Gcreate2(file, "/events", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        rc |= g >= 0 ? H5Gclose(g) : -1;
    }
    rc |= attr_str(file, str, "format", "ivp-hdf5");
    rc |= attr_i64(file, "format_version", 1);
    if (!format1) {
        rc |= attr_i64(file, "format_minor", 1);
    }
    rc |= attr_str(file, str, "ivp_version", "0.1.0");
    rc |= attr_str(file, str, "method", "RK45");
    rc |= attr_f64(file, "rtol", 1e-6);
    rc |= attr_f64(file, "atol", 1e-6);
    rc |= attr_i64(file, "status", 0);
    rc |= attr_str(file, str, "message",
                   "The solver successfully reached the end of the "
                   "integration interval.");
    rc |= attr_i64(file, "success", 1);
    rc |= attr_i64(file, "nfev", 6 * (int64_t)N + 2);
    rc |= attr_i64(file, "njev", 0);
    rc |= attr_i64(file, "nlu", 0);
    rc |= attr_i64(file, "n_steps", (int64_t)N - 1);
    rc |= attr_i64(file, "n_rejected", 0);
    rc |= attr_f64(file, "solve_seconds", 3.5e-4);
    rc |= attr_str(file, str, "problem", h5min_problem);
    rc |= attr_str(file, str, "plugin_sha256",
                   "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
    if (!format1) {
        rc |= format_1_1(file, str, n, N, y0);
    }
    H5Tclose(str);
    rc |= H5Fclose(file) < 0 ? -1 : 0;
    if (!format1) { /* as ivp_outfile_commit before its rename */
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        rc |= fd < 0 || fsync(fd) != 0 ? -1 : 0;
        if (fd >= 0) {
            close(fd);
        }
    }
    return rc != 0 ? -1 : 0;
}
