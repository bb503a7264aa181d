/* SPDX-License-Identifier: MIT
 * bench/h5/h5_minimal.c - the anchor writer (see h5_minimal.h).
 */
#include "h5_minimal.h"

#include <stdint.h>

#include <hdf5.h>

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

int h5min_write(const char *path, size_t n, size_t N, const double *t, const double *y)
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
    H5Tclose(str);
    rc |= H5Fclose(file) < 0 ? -1 : 0;
    return rc != 0 ? -1 : 0;
}
