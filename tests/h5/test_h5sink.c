/* SPDX-License-Identifier: MIT
 * tests/h5/test_h5sink.c - the HDF5 sink: feeds synthetic runs through its callbacks and reads
 * the files back with the HDF5 C API (shapes, values, chunks, attributes), and checks the
 * temporary-file handling (replace only at finish, discard, unwritable folders), how many
 * write calls a file takes (pwrite is interposed and counted) and the memory of a long run.
 */
#define _GNU_SOURCE /* RTLD_NEXT */

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <hdf5.h>

#include "ivp/h5sink.h"
#include "support.h"

/* ---- counting writes ------------------------------------------------------------------------ */

/* HDF5's sec2 driver writes with pwrite; this definition in the executable comes first, counts
 * the calls and passes them on to the C library's. */
static long pwrite_calls;

ssize_t pwrite(int fd, const void *buf, size_t count, off_t offset)
{
    static ssize_t (*next)(int, const void *, size_t, off_t);
    if (next == NULL) {
        void *sym = dlsym(RTLD_NEXT, "pwrite");
        assert_non_null(sym);
        memcpy(&next, &sym, sizeof next);
    }
    pwrite_calls++;
    return next(fd, buf, count, offset);
}

/* ivp_outfile_written asks the kernel to start write-back with sync_file_range every 8 MiB;
 * counted the same way. */
static long writeback_calls;

int sync_file_range(int fd, off64_t offset, off64_t nbytes, unsigned int flags)
{
    static int (*next)(int, off64_t, off64_t, unsigned int);
    if (next == NULL) {
        void *sym = dlsym(RTLD_NEXT, "sync_file_range");
        assert_non_null(sym);
        memcpy(&next, &sym, sizeof next);
    }
    writeback_calls++;
    return next(fd, offset, nbytes, flags);
}

/* ---- synthetic run -------------------------------------------------------------------------- */

/* Every value is exactly representable, so reads compare exactly. */
static double point_t(size_t i, double dir)
{
    return dir * 0.0078125 * (double)i;
}

static double point_y(size_t i, size_t j)
{
    return (double)i * 16.0 + (double)j + 0.25;
}

static double event_t(size_t k, size_t o)
{
    return 100.0 * (double)k + (double)o + 0.5;
}

static double event_y(size_t k, size_t o, size_t j)
{
    return -((double)k * 1000.0 + (double)o * 10.0 + (double)j);
}

static double seg_x(size_t s, double dir)
{
    return 3.0 + dir * 0.0625 * (double)s;
}

static double seg_c(size_t s, size_t r, size_t j)
{
    return (double)s + (double)r * 0.125 + (double)j * 1000.0;
}

typedef struct run {
    size_t n; /* state dimension */
    size_t n_points;
    size_t n_occ[2]; /* occurrences of each event */
    size_t n_seg;    /* dense segments (when dense) */
    unsigned degree;
    double dir; /* +1 forward, -1 backward */
} run;

/* Sends the run through the sink's callbacks, interleaved as a solver would. */
static void feed(ivp_h5sink *s, const run *r)
{
    ivp_sink sink = ivp_h5sink_sink(s);
    size_t d1 = (size_t)r->degree + 1;
    double *y = malloc(r->n * sizeof *y);
    double *c = malloc(d1 * r->n * sizeof *c);
    size_t i, j, k, o[2] = {0, 0}, seg = 0;
    assert_non_null(y);
    assert_non_null(c);
    assert_ptr_equal(sink.ud, s);
    for (i = 0; i < r->n_points || seg < r->n_seg || o[0] < r->n_occ[0] || o[1] < r->n_occ[1];
         i++) {
        if (i < r->n_points) {
            for (j = 0; j < r->n; j++) {
                y[j] = point_y(i, j);
            }
            assert_int_equal(sink.point(sink.ud, point_t(i, r->dir), y), 0);
        }
        if (seg < r->n_seg) {
            size_t q;
            assert_non_null(sink.segment);
            for (q = 0; q < d1; q++) {
                for (j = 0; j < r->n; j++) {
                    c[q * r->n + j] = seg_c(seg, q, j);
                }
            }
            assert_int_equal(sink.segment(sink.ud, seg_x(seg, r->dir), seg_x(seg + 1, r->dir), c),
                             0);
            seg++;
        }
        for (k = 0; k < 2; k++) {
            if (o[k] < r->n_occ[k] && i % (3 + k) == 0) {
                for (j = 0; j < r->n; j++) {
                    y[j] = event_y(k, o[k], j);
                }
                assert_int_equal(sink.event(sink.ud, k, event_t(k, o[k]), y), 0);
                o[k]++;
            }
        }
    }
    free(y);
    free(c);
}

static void fill_result(ivp_result *res)
{
    memset(res, 0, sizeof *res);
    res->status = 1;
    snprintf(res->message, sizeof res->message, "A termination event occurred.");
    res->t = 2.5;
    res->nfev = 12345;
    res->njev = 17;
    res->nlu = 23;
    res->n_steps = 2999;
    res->n_rejected = 42;
    res->solve_seconds = 0.75;
    res->n_steps_adams = 1000;
    res->n_steps_bdf = 1999;
    res->n_switches = 7;
}

static void fill_meta(ivp_h5sink_meta *meta)
{
    memset(meta, 0, sizeof *meta);
    meta->method = "LSODA";
    meta->rtol = 1e-6;
    meta->atol = 1e-9;
    meta->problem = "{\"plugin\": \"vdp.so\", \"t_span\": [0, 3]}";
    meta->plugin_sha256 = "ab12";
}

/* ---- folders -------------------------------------------------------------------------------- */

/* A fresh empty folder under the build tree; 'dir' receives its path. */
static void make_dir(char *dir, size_t size)
{
    snprintf(dir, size, "%s", ivp_test_build_path("tests/h5/tmp-XXXXXX"));
    assert_non_null(mkdtemp(dir));
}

static void join(char *out, size_t size, const char *dir, const char *name)
{
    int len = snprintf(out, size, "%s/%s", dir, name);
    assert_true(len > 0 && (size_t)len < size);
}

/* Number of entries in dir (besides . and ..); with 'suffix', only names ending in it. */
static int count_entries(const char *dir, const char *suffix)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int count = 0;
    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) {
            continue;
        }
        if (suffix != NULL &&
            (len < strlen(suffix) || strcmp(e->d_name + len - strlen(suffix), suffix) != 0)) {
            continue;
        }
        count++;
    }
    closedir(d);
    return count;
}

static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[4096];
    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
            join(path, sizeof path, dir, e->d_name);
            assert_int_equal(unlink(path), 0);
        }
    }
    closedir(d);
    assert_int_equal(rmdir(dir), 0);
}

/* ---- reading back --------------------------------------------------------------------------- */

/* Checks a dataset's type, rank, shape, growing axis and chunk (each chunk at most max_bytes);
 * returns its values (caller frees) and puts the chunk dims into 'chunk' if non-NULL. */
static double *read_ds(hid_t f, const char *name, int rank, const hsize_t *dims, int grow_axis,
                       size_t max_bytes, hsize_t *chunk)
{
    hsize_t got[3], maxdims[3], ch[3];
    hid_t ds = H5Dopen2(f, name, H5P_DEFAULT);
    hid_t space, type, dcpl;
    size_t total = 1, chunk_elems = 1;
    double *v;
    int i;
    if (ds < 0) {
        fail_msg("dataset %s is missing", name);
    }
    type = H5Dget_type(ds);
    assert_int_equal(H5Tget_class(type), H5T_FLOAT);
    assert_int_equal(H5Tget_size(type), 8);
    H5Tclose(type);
    space = H5Dget_space(ds);
    assert_int_equal(H5Sget_simple_extent_ndims(space), rank);
    H5Sget_simple_extent_dims(space, got, maxdims);
    for (i = 0; i < rank; i++) {
        if (got[i] != dims[i]) {
            fail_msg("%s: dim %d is %llu, expected %llu", name, i, (unsigned long long)got[i],
                     (unsigned long long)dims[i]);
        }
        if (i == grow_axis) {
            assert_true(maxdims[i] == H5S_UNLIMITED);
        } else {
            assert_true(maxdims[i] == dims[i]);
        }
        total *= (size_t)dims[i];
    }
    dcpl = H5Dget_create_plist(ds);
    assert_int_equal(H5Pget_layout(dcpl), H5D_CHUNKED);
    assert_int_equal(H5Pget_chunk(dcpl, rank, ch), rank);
    for (i = 0; i < rank; i++) {
        assert_true(ch[i] >= 1);
        if (i != grow_axis) {
            assert_true(ch[i] <= dims[i]);
        }
        chunk_elems *= (size_t)ch[i];
        if (chunk != NULL) {
            chunk[i] = ch[i];
        }
    }
    if (chunk_elems * sizeof(double) > max_bytes) {
        fail_msg("%s: a chunk holds %zu values, more than %zu bytes", name, chunk_elems, max_bytes);
    }
    H5Pclose(dcpl);
    v = malloc((total > 0 ? total : 1) * sizeof *v);
    assert_non_null(v);
    if (total > 0) {
        assert_true(H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0);
    }
    H5Sclose(space);
    H5Dclose(ds);
    return v;
}

static hid_t open_attr(hid_t f, const char *name)
{
    hid_t a = H5Aopen(f, name, H5P_DEFAULT);
    if (a < 0) {
        fail_msg("attribute %s is missing", name);
    }
    return a;
}

static void check_attr_str(hid_t f, const char *name, const char *expected)
{
    hid_t a = open_attr(f, name);
    hid_t type = H5Aget_type(a), space = H5Aget_space(a);
    char *v = NULL;
    assert_int_equal(H5Tget_class(type), H5T_STRING);
    assert_true(H5Tis_variable_str(type) > 0);
    assert_int_equal(H5Tget_cset(type), H5T_CSET_UTF8);
    assert_int_equal(H5Sget_simple_extent_type(space), H5S_SCALAR);
    assert_true(H5Aread(a, type, &v) >= 0);
    assert_non_null(v);
    assert_string_equal(v, expected);
    H5free_memory(v);
    H5Sclose(space);
    H5Tclose(type);
    H5Aclose(a);
}

static void check_attr_i64(hid_t f, const char *name, int64_t expected)
{
    hid_t a = open_attr(f, name);
    hid_t type = H5Aget_type(a), space = H5Aget_space(a);
    int64_t v = -12345;
    assert_int_equal(H5Tget_class(type), H5T_INTEGER);
    assert_int_equal(H5Tget_size(type), 8);
    assert_int_equal(H5Tget_sign(type), H5T_SGN_2);
    assert_int_equal(H5Sget_simple_extent_type(space), H5S_SCALAR);
    assert_true(H5Aread(a, H5T_NATIVE_INT64, &v) >= 0);
    if (v != expected) {
        fail_msg("attribute %s = %lld, expected %lld", name, (long long)v, (long long)expected);
    }
    H5Sclose(space);
    H5Tclose(type);
    H5Aclose(a);
}

static void check_attr_f64(hid_t f, const char *name, double expected)
{
    hid_t a = open_attr(f, name);
    hid_t type = H5Aget_type(a), space = H5Aget_space(a);
    double v = -1.0;
    assert_int_equal(H5Tget_class(type), H5T_FLOAT);
    assert_int_equal(H5Tget_size(type), 8);
    assert_int_equal(H5Sget_simple_extent_type(space), H5S_SCALAR);
    assert_true(H5Aread(a, H5T_NATIVE_DOUBLE, &v) >= 0);
    ivp_assert_close(v, expected, 0.0, 0.0);
    H5Sclose(space);
    H5Tclose(type);
    H5Aclose(a);
}

/* Checks every root attribute against fill_result / fill_meta. */
static void check_attrs(hid_t f, const ivp_result *res, const ivp_h5sink_meta *meta, size_t n)
{
    check_attr_str(f, "format", "ivp-hdf5");
    check_attr_i64(f, "format_version", 1);
    check_attr_i64(f, "format_minor", 1);
    check_attr_str(f, "ivp_version", IVP_VERSION);
    check_attr_str(f, "method", meta->method);
    check_attr_f64(f, "rtol", meta->rtol);
    if (meta->atol_vec != NULL) {
        hid_t a = open_attr(f, "atol");
        hid_t space = H5Aget_space(a);
        hsize_t dims[1] = {0};
        double *v = malloc(n * sizeof *v);
        size_t i;
        assert_non_null(v);
        assert_int_equal(H5Sget_simple_extent_ndims(space), 1);
        H5Sget_simple_extent_dims(space, dims, NULL);
        assert_true(dims[0] == n);
        assert_true(H5Aread(a, H5T_NATIVE_DOUBLE, v) >= 0);
        for (i = 0; i < n; i++) {
            ivp_assert_close(v[i], meta->atol_vec[i], 0.0, 0.0);
        }
        free(v);
        H5Sclose(space);
        H5Aclose(a);
    } else {
        check_attr_f64(f, "atol", meta->atol);
    }
    check_attr_i64(f, "status", res->status);
    check_attr_str(f, "message", res->message);
    check_attr_i64(f, "success", res->status >= 0 ? 1 : 0);
    check_attr_i64(f, "nfev", (int64_t)res->nfev);
    check_attr_i64(f, "njev", (int64_t)res->njev);
    check_attr_i64(f, "nlu", (int64_t)res->nlu);
    check_attr_i64(f, "n_steps", (int64_t)res->n_steps);
    check_attr_i64(f, "n_rejected", (int64_t)res->n_rejected);
    check_attr_f64(f, "solve_seconds", res->solve_seconds);
    check_attr_str(f, "problem", meta->problem != NULL ? meta->problem : "");
    check_attr_str(f, "plugin_sha256", meta->plugin_sha256 != NULL ? meta->plugin_sha256 : "");
    if (meta->is_lsoda) {
        check_attr_i64(f, "n_steps_adams", (int64_t)res->n_steps_adams);
        check_attr_i64(f, "n_steps_bdf", (int64_t)res->n_steps_bdf);
        check_attr_i64(f, "n_switches", (int64_t)res->n_switches);
    } else {
        assert_int_equal(H5Aexists(f, "n_steps_adams"), 0);
        assert_int_equal(H5Aexists(f, "n_steps_bdf"), 0);
        assert_int_equal(H5Aexists(f, "n_switches"), 0);
    }
}

/* Reads the whole file back and checks it against the run. */
static void check_file(const char *path, const run *r, const char *const *names, int dense,
                       size_t chunk_bytes, const ivp_result *res, const ivp_h5sink_meta *meta)
{
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    size_t n = r->n, d1 = (size_t)r->degree + 1, i, j, k, q;
    hsize_t dims[3];
    double *v;
    char name[256];
    assert_true(f >= 0);

    dims[0] = r->n_points;
    v = read_ds(f, "/t", 1, dims, 0, chunk_bytes, NULL);
    for (i = 0; i < r->n_points; i++) {
        ivp_assert_close(v[i], point_t(i, r->dir), 0.0, 0.0);
    }
    free(v);
    dims[0] = n;
    dims[1] = r->n_points;
    v = read_ds(f, "/y", 2, dims, 1, chunk_bytes, NULL);
    for (j = 0; j < n; j++) {
        for (i = 0; i < r->n_points; i++) {
            ivp_assert_close(v[j * r->n_points + i], point_y(i, j), 0.0, 0.0);
        }
    }
    free(v);

    for (k = 0; k < 2 && names != NULL; k++) {
        size_t occ = r->n_occ[k];
        snprintf(name, sizeof name, "/events/%s/t", names[k]);
        dims[0] = occ;
        v = read_ds(f, name, 1, dims, 0, chunk_bytes, NULL);
        for (i = 0; i < occ; i++) {
            ivp_assert_close(v[i], event_t(k, i), 0.0, 0.0);
        }
        free(v);
        snprintf(name, sizeof name, "/events/%s/y", names[k]);
        dims[0] = n;
        dims[1] = occ;
        v = read_ds(f, name, 2, dims, 1, chunk_bytes, NULL);
        for (j = 0; j < n; j++) {
            for (i = 0; i < occ; i++) {
                ivp_assert_close(v[j * occ + i], event_y(k, i, j), 0.0, 0.0);
            }
        }
        free(v);
    }
    assert_true(H5Lexists(f, "/events", H5P_DEFAULT) > 0);

    if (dense) {
        size_t m = r->n_seg;
        dims[0] = m > 0 ? m + 1 : 0;
        v = read_ds(f, "/dense/x", 1, dims, 0, chunk_bytes, NULL);
        for (i = 0; i < dims[0]; i++) {
            ivp_assert_close(v[i], seg_x(i, r->dir), 0.0, 0.0);
        }
        free(v);
        dims[0] = d1;
        dims[1] = m;
        dims[2] = n;
        v = read_ds(f, "/dense/c", 3, dims, 1, chunk_bytes, NULL);
        for (q = 0; q < d1; q++) {
            for (i = 0; i < m; i++) {
                for (j = 0; j < n; j++) {
                    ivp_assert_close(v[(q * m + i) * n + j], seg_c(i, q, j), 0.0, 0.0);
                }
            }
        }
        free(v);
    } else {
        assert_int_equal(H5Lexists(f, "/dense", H5P_DEFAULT), 0);
    }
    check_attrs(f, res, meta, n);
    assert_int_equal(H5Fget_obj_count(f, H5F_OBJ_ALL), 1);
    assert_true(H5Fclose(f) >= 0);
}

/* Chunk dims of a dataset. */
static void get_chunk(const char *path, const char *name, int rank, hsize_t *chunk)
{
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t ds, dcpl;
    assert_true(f >= 0);
    ds = H5Dopen2(f, name, H5P_DEFAULT);
    assert_true(ds >= 0);
    dcpl = H5Dget_create_plist(ds);
    assert_int_equal(H5Pget_chunk(dcpl, rank, chunk), rank);
    H5Pclose(dcpl);
    H5Dclose(ds);
    H5Fclose(f);
}

/* ---- tests ---------------------------------------------------------------------------------- */

static const char *const two_names[] = {"crossing", "peak"};

/* Opens a sink on dir/name, feeds the run, finishes, checks the whole file. */
static void round_trip(const char *dir, const char *name, const run *r, size_t chunk_bytes,
                       ivp_h5sink_meta *meta)
{
    char path[4096];
    ivp_h5sink_config cfg = {0};
    ivp_h5sink *s = NULL;
    ivp_result res;
    ivp_error err;
    join(path, sizeof path, dir, name);
    cfg.path = path;
    cfg.n = r->n;
    cfg.n_events = 2;
    cfg.event_names = two_names;
    cfg.dense = 1;
    cfg.dense_degree = r->degree;
    cfg.chunk_bytes = chunk_bytes;
    if (ivp_h5sink_open(&cfg, &s, &err) != IVP_OK) {
        fail_msg("open: %s", err.msg);
    }
    feed(s, r);
    fill_result(&res);
    if (ivp_h5sink_finish(s, &res, meta, &err) != IVP_OK) {
        fail_msg("finish: %s", err.msg);
    }
    check_file(path, r, two_names, 1, chunk_bytes == 0 ? (size_t)1 << 20 : chunk_bytes, &res, meta);
}

/* A few thousand points with n = 3 through 256-byte chunks: every dataset is flushed many
 * times, with a partial chunk at the end. */
static void h5sink_writes_every_dataset_through_small_chunks(void **state)
{
    char dir[4096], path[4096];
    run r = {3, 3000, {5, 3}, 700, 4, 1.0};
    ivp_h5sink_meta meta;
    double atol[3] = {1e-9, 2e-9, 3e-9};
    hsize_t chunk[3];
    (void)state;
    make_dir(dir, sizeof dir);
    fill_meta(&meta);
    meta.atol_vec = atol;
    meta.is_lsoda = 1;
    round_trip(dir, "run.h5", &r, 256, &meta);
    /* 256 bytes = 32 values: /t 32 points, /y 10 columns of 3, /dense/c 2 segments of 5 x 3. */
    join(path, sizeof path, dir, "run.h5");
    get_chunk(path, "/t", 1, chunk);
    assert_true(chunk[0] == 32);
    get_chunk(path, "/y", 2, chunk);
    assert_true(chunk[0] == 3 && chunk[1] == 10);
    get_chunk(path, "/dense/x", 1, chunk);
    assert_true(chunk[0] == 32);
    get_chunk(path, "/dense/c", 3, chunk);
    assert_true(chunk[0] == 5 && chunk[1] == 2 && chunk[2] == 3);
    assert_int_equal(count_entries(dir, NULL), 1);
    remove_dir(dir);
}

/* Backward run: decreasing times and breakpoints, scalar atol, not LSODA. */
static void h5sink_writes_a_backward_run(void **state)
{
    char dir[4096];
    run r = {2, 500, {2, 1}, 499, 3, -1.0};
    ivp_h5sink_meta meta;
    (void)state;
    make_dir(dir, sizeof dir);
    fill_meta(&meta);
    meta.method = "RK45";
    round_trip(dir, "back.h5", &r, 512, &meta);
    remove_dir(dir);
}

/* Default chunks: a short run is never flushed before finish, so its chunks are as long as the
 * data and the file stays small. */
static void h5sink_small_run_makes_a_small_file(void **state)
{
    char dir[4096], path[4096];
    run r = {3, 10, {1, 0}, 9, 4, 1.0};
    ivp_h5sink_meta meta;
    hsize_t chunk[3];
    struct stat st;
    (void)state;
    make_dir(dir, sizeof dir);
    fill_meta(&meta);
    writeback_calls = 0;
    round_trip(dir, "small.h5", &r, 0, &meta);
    assert_int_equal(writeback_calls, 0); /* a small file is left to commit's fsync alone */
    join(path, sizeof path, dir, "small.h5");
    get_chunk(path, "/t", 1, chunk);
    assert_true(chunk[0] == 10);
    get_chunk(path, "/y", 2, chunk);
    assert_true(chunk[0] == 3 && chunk[1] == 10);
    get_chunk(path, "/dense/c", 3, chunk);
    assert_true(chunk[0] == 5 && chunk[1] == 9 && chunk[2] == 3);
    assert_int_equal(stat(path, &st), 0);
    if (st.st_size > 64 * 1024) {
        fail_msg("a 10-point file takes %lld bytes", (long long)st.st_size);
    }
    remove_dir(dir);
}

/* No points, no events, no segments: every dataset exists with a zero-length axis. */
static void h5sink_writes_an_empty_run(void **state)
{
    char dir[4096], path[4096];
    run r = {2, 0, {0, 0}, 0, 5, 1.0};
    ivp_h5sink_config cfg = {0};
    ivp_h5sink_meta meta;
    ivp_result res;
    ivp_h5sink *s = NULL;
    ivp_error err;
    hid_t f, g;
    H5G_info_t info;
    (void)state;
    make_dir(dir, sizeof dir);
    join(path, sizeof path, dir, "empty.h5");
    cfg.path = path;
    cfg.n = 2;
    cfg.dense = 1;
    cfg.dense_degree = 5;
    assert_int_equal(ivp_h5sink_open(&cfg, &s, &err), IVP_OK);
    fill_result(&res);
    res.status = -1;
    snprintf(res.message, sizeof res.message,
             "Required step size is less than spacing between "
             "numbers.");
    fill_meta(&meta);
    meta.problem = NULL; /* written as "" */
    if (ivp_h5sink_finish(s, &res, &meta, &err) != IVP_OK) {
        fail_msg("finish: %s", err.msg);
    }
    check_file(path, &r, NULL, 1, (size_t)1 << 20, &res, &meta);
    f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(f >= 0);
    g = H5Gopen2(f, "/events", H5P_DEFAULT);
    assert_true(g >= 0);
    assert_true(H5Gget_info(g, &info) >= 0);
    assert_true(info.nlinks == 0);
    H5Gclose(g);
    H5Fclose(f);
    remove_dir(dir);
}

/* Events that never occur still get their group and (0,) / (n, 0) datasets; without dense
 * output there is no /dense. */
static void h5sink_writes_empty_events_and_no_dense(void **state)
{
    char dir[4096], path[4096];
    run r = {4, 7, {0, 0}, 0, 0, 1.0};
    ivp_h5sink_config cfg = {0};
    ivp_h5sink_meta meta;
    ivp_result res;
    ivp_h5sink *s = NULL;
    ivp_sink sink;
    ivp_error err;
    (void)state;
    make_dir(dir, sizeof dir);
    join(path, sizeof path, dir, "nodense.h5");
    cfg.path = path;
    cfg.n = 4;
    cfg.n_events = 2;
    cfg.event_names = two_names;
    assert_int_equal(ivp_h5sink_open(&cfg, &s, &err), IVP_OK);
    sink = ivp_h5sink_sink(s);
    assert_null(sink.segment);
    assert_non_null(sink.point);
    assert_non_null(sink.event);
    feed(s, &r);
    fill_result(&res);
    fill_meta(&meta);
    assert_int_equal(ivp_h5sink_finish(s, &res, &meta, &err), IVP_OK);
    check_file(path, &r, two_names, 0, (size_t)1 << 20, &res, &meta);
    remove_dir(dir);
}

/* An existing result is replaced only by finish; until then the temporary file is hidden. */
static void h5sink_replaces_an_existing_file_only_at_finish(void **state)
{
    char dir[4096], path[4096], old[16] = {0};
    const char *temp;
    run r = {3, 100, {1, 1}, 99, 4, 1.0};
    ivp_h5sink_config cfg = {0};
    ivp_h5sink_meta meta;
    ivp_result res;
    ivp_h5sink *s = NULL;
    ivp_error err;
    FILE *fp;
    (void)state;
    make_dir(dir, sizeof dir);
    join(path, sizeof path, dir, "out.h5");
    fp = fopen(path, "w");
    assert_non_null(fp);
    fputs("old result", fp);
    fclose(fp);
    cfg.path = path;
    cfg.n = 3;
    cfg.n_events = 2;
    cfg.event_names = two_names;
    cfg.dense = 1;
    cfg.dense_degree = 4;
    cfg.chunk_bytes = 256;
    assert_int_equal(ivp_h5sink_open(&cfg, &s, &err), IVP_OK);
    feed(s, &r);
    /* the temporary file is a hidden sibling: "<dir>/.out.h5.tmp-XXXXXX" */
    temp = ivp_h5sink_temp_path(s);
    assert_non_null(temp);
    assert_int_equal(strncmp(temp, dir, strlen(dir)), 0);
    assert_int_equal(strncmp(temp + strlen(dir), "/.out.h5.tmp-", 13), 0);
    assert_int_equal(strlen(temp), strlen(dir) + 13 + 6);
    assert_int_equal(access(temp, F_OK), 0);
    assert_int_equal(count_entries(dir, NULL), 2);
    assert_int_equal(count_entries(dir, ".h5"), 1);
    fp = fopen(path, "r");
    assert_non_null(fp);
    assert_non_null(fgets(old, sizeof old, fp));
    fclose(fp);
    assert_string_equal(old, "old result");
    fill_result(&res);
    fill_meta(&meta);
    assert_int_equal(ivp_h5sink_finish(s, &res, &meta, &err), IVP_OK);
    assert_int_equal(count_entries(dir, NULL), 1);
    assert_true(H5Fis_hdf5(path) > 0);
    check_file(path, &r, two_names, 1, 256, &res, &meta);
    remove_dir(dir);
}

/* Discard removes the temporary file and leaves the folder as it was. */
static void h5sink_discard_leaves_nothing(void **state)
{
    char dir[4096], path[4096];
    run r = {3, 200, {2, 2}, 199, 4, 1.0};
    ivp_h5sink_config cfg = {0};
    ivp_h5sink *s = NULL;
    ivp_error err;
    (void)state;
    make_dir(dir, sizeof dir);
    join(path, sizeof path, dir, "gone.h5");
    cfg.path = path;
    cfg.n = 3;
    cfg.n_events = 2;
    cfg.event_names = two_names;
    cfg.dense = 1;
    cfg.dense_degree = 4;
    cfg.chunk_bytes = 128;
    assert_int_equal(ivp_h5sink_open(&cfg, &s, &err), IVP_OK);
    feed(s, &r);
    assert_int_equal(count_entries(dir, NULL), 1);
    ivp_h5sink_discard(s);
    assert_int_equal(count_entries(dir, NULL), 0);
    ivp_h5sink_discard(NULL);
    remove_dir(dir);
}

static void expect_io_error(const char *path)
{
    ivp_h5sink_config cfg = {0};
    ivp_h5sink *s = (ivp_h5sink *)&cfg; /* must be reset to NULL */
    ivp_error err;
    char prefix[4200];
    cfg.path = path;
    cfg.n = 2;
    assert_int_equal(ivp_h5sink_open(&cfg, &s, &err), IVP_ERR_IO);
    assert_null(s);
    assert_int_equal(err.status, IVP_ERR_IO);
    snprintf(prefix, sizeof prefix, "%s: cannot write output: ", path);
    if (strncmp(err.msg, prefix, strlen(prefix)) != 0 || strlen(err.msg) <= strlen(prefix)) {
        fail_msg("message \"%s\" does not start with \"%s\" and a reason", err.msg, prefix);
    }
}

/* A missing folder, a file in place of a folder, a folder as the file, a read-only folder:
 * IVP_ERR_IO naming the path, and nothing is created. */
static void h5sink_open_fails_on_unwritable_folder(void **state)
{
    char dir[4096], path[4096], sub[4096];
    FILE *fp;
    (void)state;
    make_dir(dir, sizeof dir);
    join(path, sizeof path, dir, "missing/out.h5");
    expect_io_error(path);
    join(sub, sizeof sub, dir, "plain");
    fp = fopen(sub, "w");
    assert_non_null(fp);
    fclose(fp);
    join(path, sizeof path, sub, "out.h5");
    expect_io_error(path);
    expect_io_error(dir);
    join(path, sizeof path, dir, "");
    expect_io_error(path);
    assert_int_equal(count_entries(dir, NULL), 1);
    assert_int_equal(unlink(sub), 0);
    /* root ignores permissions, so the read-only folder only says something for other users */
    if (geteuid() != 0) {
        join(sub, sizeof sub, dir, "ro");
        assert_int_equal(mkdir(sub, 0555), 0);
        join(path, sizeof path, sub, "out.h5");
        expect_io_error(path);
        assert_int_equal(count_entries(sub, NULL), 0);
        assert_int_equal(rmdir(sub), 0);
    }
    /* a file system nobody may write to, root included */
    expect_io_error("/proc/ivp-h5sink-test.h5");
    assert_int_equal(count_entries(dir, NULL), 0);
    remove_dir(dir);
}

/* Bad configurations are IVP_ERR_ARG, with nothing created. */
static void h5sink_open_rejects_bad_config(void **state)
{
    static const char *const slash[] = {"a/b"};
    static const char *const twice[] = {"hit", "hit"};
    char dir[4096], path[4096];
    ivp_h5sink_config cfg = {0};
    ivp_h5sink *s = NULL;
    ivp_error err;
    (void)state;
    make_dir(dir, sizeof dir);
    join(path, sizeof path, dir, "bad.h5");
    cfg.path = path;
    cfg.n = 0;
    assert_int_equal(ivp_h5sink_open(&cfg, &s, &err), IVP_ERR_ARG);
    assert_non_null(strstr(err.msg, "dimension"));
    cfg.n = 2;
    cfg.n_events = 1;
    cfg.event_names = slash;
    assert_int_equal(ivp_h5sink_open(&cfg, &s, &err), IVP_ERR_ARG);
    assert_non_null(strstr(err.msg, "\"a/b\""));
    cfg.n_events = 2;
    cfg.event_names = twice;
    assert_int_equal(ivp_h5sink_open(&cfg, &s, &err), IVP_ERR_ARG);
    assert_non_null(strstr(err.msg, "\"hit\""));
    cfg.event_names = NULL;
    assert_int_equal(ivp_h5sink_open(&cfg, &s, &err), IVP_ERR_ARG);
    cfg.path = NULL;
    assert_int_equal(ivp_h5sink_open(&cfg, &s, &err), IVP_ERR_ARG);
    assert_null(s);
    assert_int_equal(count_entries(dir, NULL), 0);
    remove_dir(dir);
}

/* A callback misuse is remembered: the callback fails, later ones fail too, and finish reports
 * the first reason and removes the temporary file. */
static void h5sink_reports_callback_failures_at_finish(void **state)
{
    static const char *const one[] = {"hit"};
    char dir[4096], path[4096];
    double y[2] = {1.0, 2.0};
    double c[3 * 2] = {0.0};
    ivp_h5sink_config cfg = {0};
    ivp_h5sink_meta meta;
    ivp_result res;
    ivp_h5sink *s = NULL;
    ivp_sink sink;
    ivp_error err;
    int which;
    (void)state;
    make_dir(dir, sizeof dir);
    join(path, sizeof path, dir, "fail.h5");
    cfg.path = path;
    cfg.n = 2;
    cfg.n_events = 1;
    cfg.event_names = one;
    cfg.dense = 1;
    cfg.dense_degree = 2;
    fill_result(&res);
    fill_meta(&meta);
    for (which = 0; which < 4; which++) {
        const char *expect[] = {"out of range", "does not continue", "does not continue",
                                "empty or not finite"};
        assert_int_equal(ivp_h5sink_open(&cfg, &s, &err), IVP_OK);
        sink = ivp_h5sink_sink(s);
        assert_int_equal(sink.point(sink.ud, 0.0, y), 0);
        assert_int_equal(sink.segment(sink.ud, 0.0, 1.0, c), 0);
        switch (which) {
        case 0: /* no event 1 */
            assert_int_not_equal(sink.event(sink.ud, 1, 0.5, y), 0);
            break;
        case 1: /* a gap between segments */
            assert_int_not_equal(sink.segment(sink.ud, 1.5, 2.0, c), 0);
            break;
        case 2: /* a turn */
            assert_int_not_equal(sink.segment(sink.ud, 1.0, 0.5, c), 0);
            break;
        default: /* an empty segment */
            assert_int_not_equal(sink.segment(sink.ud, 1.0, 1.0, c), 0);
            break;
        }
        /* everything fails from now on */
        assert_int_not_equal(sink.point(sink.ud, 1.0, y), 0);
        assert_int_equal(count_entries(dir, NULL), 1);
        assert_int_equal(ivp_h5sink_finish(s, &res, &meta, &err), IVP_ERR_IO);
        if (strstr(err.msg, expect[which]) == NULL || strstr(err.msg, path) != err.msg) {
            fail_msg("case %d: message \"%s\"", which, err.msg);
        }
        assert_int_equal(count_entries(dir, NULL), 0);
    }
    remove_dir(dir);
}

/* A write that HDF5 cannot complete (here: the file-size limit, as a full disk would do) fails
 * the callback; finish reports HDF5's reason and removes the temporary file. */
static void h5sink_reports_hdf5_write_failures(void **state)
{
    char dir[4096], path[4096];
    double y[4] = {1.0, 2.0, 3.0, 4.0};
    ivp_h5sink_config cfg = {0};
    ivp_h5sink_meta meta;
    ivp_result res;
    ivp_h5sink *s = NULL;
    ivp_sink sink;
    ivp_error err;
    struct rlimit old, small;
    void (*old_handler)(int);
    int i, rc = 0;
    (void)state;
    make_dir(dir, sizeof dir);
    join(path, sizeof path, dir, "full.h5");
    cfg.path = path;
    cfg.n = 4;
    cfg.chunk_bytes = 4096;
    assert_int_equal(ivp_h5sink_open(&cfg, &s, &err), IVP_OK);
    sink = ivp_h5sink_sink(s);
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    small = old;
    small.rlim_cur = 64 * 1024;
    old_handler = signal(SIGXFSZ, SIG_IGN);
    assert_true(old_handler != SIG_ERR);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
    /* 100000 points of 5 values are 4 MB: far beyond the limit */
    for (i = 0; i < 100000 && rc == 0; i++) {
        rc = sink.point(sink.ud, (double)i, y);
    }
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, old_handler);
    assert_int_not_equal(rc, 0);
    assert_true(i < 100000);
    assert_int_not_equal(sink.point(sink.ud, 1e6, y), 0);
    fill_result(&res);
    fill_meta(&meta);
    assert_int_equal(ivp_h5sink_finish(s, &res, &meta, &err), IVP_ERR_IO);
    if (strstr(err.msg, path) != err.msg || strstr(err.msg, "HDF5 failed writing /") == NULL ||
        strstr(err.msg, strerror(EFBIG)) == NULL) {
        fail_msg("message \"%s\"", err.msg);
    }
    assert_int_equal(count_entries(dir, NULL), 0);
    remove_dir(dir);
}

/* finish without a result is a programming error: IVP_ERR_ARG, and the sink is still freed
 * and its temporary file removed. */
static void h5sink_finish_without_result_cleans_up(void **state)
{
    char dir[4096], path[4096];
    ivp_h5sink_config cfg = {0};
    ivp_h5sink_meta meta;
    ivp_h5sink *s = NULL;
    ivp_error err;
    (void)state;
    make_dir(dir, sizeof dir);
    join(path, sizeof path, dir, "nores.h5");
    cfg.path = path;
    cfg.n = 1;
    assert_int_equal(ivp_h5sink_open(&cfg, &s, &err), IVP_OK);
    assert_int_equal(count_entries(dir, NULL), 1);
    fill_meta(&meta);
    assert_int_equal(ivp_h5sink_finish(s, NULL, &meta, &err), IVP_ERR_ARG);
    assert_int_equal(count_entries(dir, NULL), 0);
    assert_int_equal(ivp_h5sink_finish(NULL, NULL, NULL, &err), IVP_ERR_ARG);
    remove_dir(dir);
}

/* n = 40000 with 1 MiB chunks: /y chunks hold whole columns, /dense/c (5 x 40000 values a
 * segment) is split along n; a 64 KiB chunk splits /y along n as well. Every chunk stays within
 * the target, and the 40000-value atol attribute (over HDF5's 64 KiB compact limit) is stored. */
static void h5sink_bounds_chunks_for_large_n(void **state)
{
    char dir[4096], path[4096];
    run r = {40000, 7, {2, 1}, 4, 4, 1.0};
    ivp_h5sink_meta meta;
    hsize_t chunk[3];
    double *atol = malloc(40000 * sizeof *atol);
    size_t i;
    (void)state;
    assert_non_null(atol);
    for (i = 0; i < 40000; i++) {
        atol[i] = 1e-10 * (double)(i + 1);
    }
    make_dir(dir, sizeof dir);
    fill_meta(&meta);
    meta.atol_vec = atol;
    round_trip(dir, "big.h5", &r, (size_t)1 << 20, &meta);
    join(path, sizeof path, dir, "big.h5");
    get_chunk(path, "/y", 2, chunk);
    assert_true(chunk[0] == 40000 && chunk[1] >= 1 && chunk[1] <= 3);
    get_chunk(path, "/dense/c", 3, chunk);
    assert_true(chunk[0] * chunk[1] * chunk[2] * 8 <= (1u << 20));
    assert_true(chunk[1] == 1);

    round_trip(dir, "big64k.h5", &r, 64 * 1024, &meta);
    join(path, sizeof path, dir, "big64k.h5");
    get_chunk(path, "/y", 2, chunk);
    assert_true(chunk[0] == 8192 && chunk[1] == 1);
    get_chunk(path, "/dense/c", 3, chunk);
    assert_true(chunk[0] == 1 && chunk[1] == 1 && chunk[2] == 8192);
    get_chunk(path, "/events/crossing/y", 2, chunk);
    assert_true(chunk[0] * chunk[1] * 8 <= 4096);
    free(atol);
    remove_dir(dir);
}

/* Writes the run to 'path' (no events; /dense when r->n_seg > 0), checks every value, and
 * returns the number of pwrite calls from open to finish. */
static long counted_run(const char *path, const run *r, size_t chunk_bytes)
{
    ivp_h5sink_config cfg = {0};
    ivp_h5sink_meta meta;
    ivp_h5sink *s = NULL;
    ivp_result res;
    ivp_error err;
    long calls;
    cfg.path = path;
    cfg.n = r->n;
    cfg.dense = r->n_seg > 0;
    cfg.dense_degree = r->degree;
    cfg.chunk_bytes = chunk_bytes;
    fill_result(&res);
    fill_meta(&meta);
    pwrite_calls = 0;
    if (ivp_h5sink_open(&cfg, &s, &err) != IVP_OK) {
        fail_msg("open: %s", err.msg);
    }
    feed(s, r);
    if (ivp_h5sink_finish(s, &res, &meta, &err) != IVP_OK) {
        fail_msg("finish: %s", err.msg);
    }
    calls = pwrite_calls;
    check_file(path, r, NULL, cfg.dense, chunk_bytes == 0 ? (size_t)1 << 20 : chunk_bytes, &res,
               &meta);
    return calls;
}

/* A short run's file takes a handful of writes whatever n: each dataset goes out as one chunk
 * in one write, next to HDF5's metadata (superblock, object headers, heaps, B-trees: 8 writes
 * for the file of a minimal program with the same datasets and attributes). It took n + 11
 * writes when the last, partial chunk of /y was written one row (state component) at a time.
 * Up to n = 2048 the file has HDF5's oldest format (superblock 0), quicker to write than 1.8's
 * (superblock 2), which larger n need for attributes over 64 KiB. */
static void h5sink_writes_a_short_file_in_few_writes(void **state)
{
    static const size_t ns[] = {1, 10, 1000, 10000};
    char dir[4096], path[4096];
    size_t k;
    (void)state;
    make_dir(dir, sizeof dir);
    join(path, sizeof path, dir, "short.h5");
    for (k = 0; k < sizeof ns / sizeof ns[0]; k++) {
        run r = {ns[k], 23, {0, 0}, 0, 0, 1.0};
        long calls = counted_run(path, &r, 0);
        /* n = 10000: /y is two 13-point chunks (1 MiB each), the second one partly filled */
        long data = ns[k] == 10000 ? 3 : 2;
        H5F_info2_t info;
        hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
        assert_true(f >= 0);
        assert_true(H5Fget_info2(f, &info) >= 0);
        assert_int_equal(info.super.version, ns[k] <= 2048 ? 0 : 2);
        H5Fclose(f);
        if (calls < data || calls > data + 12) {
            fail_msg("n = %zu: %ld writes, expected %ld for the data and at most 12 for the "
                     "metadata",
                     ns[k], calls, data);
        }
    }
    remove_dir(dir);
}

/* A run long enough to fill chunks: every chunk of a buffered dataset is one write, the last,
 * partly filled one of /y included (64 KiB chunks: /y 8 points of n = 1000, so 3 chunks for
 * 20 points; /dense/c one 40 KB segment per chunk; /t and /dense/x one short chunk each). */
static void h5sink_writes_each_chunk_in_one_write(void **state)
{
    char dir[4096], path[4096];
    run r = {1000, 20, {0, 0}, 19, 4, 1.0};
    long calls, data = 3 + 1 + 19 + 1;
    (void)state;
    make_dir(dir, sizeof dir);
    join(path, sizeof path, dir, "chunks.h5");
    calls = counted_run(path, &r, 64 * 1024);
    if (calls < data || calls > data + 12) {
        fail_msg("%ld writes, expected %ld for the data and at most 12 for the metadata", calls,
                 data);
    }
    remove_dir(dir);
}

/* Default 1 MiB chunks with n = 3 and dense output: the buffers start at 64 KiB (2730 points of
 * /y), move into a whole chunk, and spread out in it; the run stops once inside that stage
 * (20000 points) and once after a full chunk of /y (43690 points) and /t (131072 points). Every
 * value is read back. */
static void h5sink_grows_its_buffers_through_every_stage(void **state)
{
    char dir[4096], path[4096];
    run mid = {3, 20000, {0, 0}, 19999, 4, 1.0};
    run full = {3, 140000, {0, 0}, 50000, 4, -1.0};
    hsize_t chunk[3];
    (void)state;
    make_dir(dir, sizeof dir);
    join(path, sizeof path, dir, "mid.h5");
    counted_run(path, &mid, 0);
    get_chunk(path, "/y", 2, chunk);
    assert_true(chunk[0] == 3 && chunk[1] == 20000);
    join(path, sizeof path, dir, "full.h5");
    counted_run(path, &full, 0);
    get_chunk(path, "/y", 2, chunk);
    assert_true(chunk[0] == 3 && chunk[1] == 43690);
    get_chunk(path, "/t", 1, chunk);
    assert_true(chunk[0] == 131072);
    get_chunk(path, "/dense/c", 3, chunk);
    assert_true(chunk[0] == 5 && chunk[1] == 8738 && chunk[2] == 3);
    remove_dir(dir);
}

/* A value of "VmRSS:" or "VmHWM:" from /proc/self/status, in bytes; -1 if unavailable. */
static long long proc_status_bytes(const char *key)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long long kb = -1;
    if (f == NULL) {
        return -1;
    }
    while (fgets(line, sizeof line, f) != NULL) {
        if (strncmp(line, key, strlen(key)) == 0) {
            kb = strtoll(line + strlen(key), NULL, 10);
            break;
        }
    }
    fclose(f);
    return kb < 0 ? -1 : kb * 1024;
}

/* 10^7 points (160 MB of data): the process's peak memory grows by less than 16 MiB (two
 * 1 MiB chunk buffers, HDF5's caches and index). Peak RSS is reset through
 * /proc/self/clear_refs (Linux); the test is skipped where that is not allowed. */
static void h5sink_memory_is_bounded_for_1e7_points(void **state)
{
    char dir[4096], path[4096];
    ivp_h5sink_config cfg = {0};
    ivp_h5sink_meta meta;
    ivp_h5sink *s = NULL;
    ivp_result res;
    ivp_error err;
    ivp_sink sink;
    long long rss, hwm;
    hsize_t dims[2], maxdims[2], start[2] = {0, 0}, one[2] = {1, 1};
    double y, last;
    hid_t f, ds, space, mspace;
    FILE *clear;
    size_t i, N = 10000000;
    (void)state;
    clear = fopen("/proc/self/clear_refs", "w");
    if (clear == NULL || fputs("5", clear) < 0 || fclose(clear) != 0) {
        skip();
    }
    rss = proc_status_bytes("VmRSS:");
    assert_true(rss > 0);
    make_dir(dir, sizeof dir);
    join(path, sizeof path, dir, "long.h5");
    cfg.path = path;
    cfg.n = 1;
    assert_int_equal(ivp_h5sink_open(&cfg, &s, &err), IVP_OK);
    sink = ivp_h5sink_sink(s);
    writeback_calls = 0;
    for (i = 0; i < N; i++) {
        y = point_y(i, 0);
        if (sink.point(sink.ud, point_t(i, 1.0), &y) != 0) {
            fail_msg("point %zu failed", i);
        }
    }
    fill_result(&res);
    fill_meta(&meta);
    assert_int_equal(ivp_h5sink_finish(s, &res, &meta, &err), IVP_OK);
    /* 160 MB of /t and /y: write-back was started along the way, once per 8 MiB written */
    if (writeback_calls < (long)(2 * N * sizeof(double) / (8u << 20)) - 1) {
        fail_msg("write-back started %ld times for %zu bytes", writeback_calls,
                 2 * N * sizeof(double));
    }
    hwm = proc_status_bytes("VmHWM:");
    assert_true(hwm > 0);
    if (hwm - rss > 16LL << 20) {
        fail_msg("peak memory grew by %lld bytes for %zu points", hwm - rss, N);
    }
    /* the shape and the last value of /y */
    f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(f >= 0);
    ds = H5Dopen2(f, "/y", H5P_DEFAULT);
    assert_true(ds >= 0);
    space = H5Dget_space(ds);
    H5Sget_simple_extent_dims(space, dims, maxdims);
    assert_true(dims[0] == 1 && dims[1] == N);
    start[1] = N - 1;
    assert_true(H5Sselect_hyperslab(space, H5S_SELECT_SET, start, NULL, one, NULL) >= 0);
    mspace = H5Screate_simple(2, one, NULL);
    assert_true(H5Dread(ds, H5T_NATIVE_DOUBLE, mspace, space, H5P_DEFAULT, &last) >= 0);
    ivp_assert_close(last, point_y(N - 1, 0), 0.0, 0.0);
    H5Sclose(mspace);
    H5Sclose(space);
    H5Dclose(ds);
    H5Fclose(f);
    remove_dir(dir);
}

/* ---- format 1.1 metadata ------------------------------------------------------------------- */

/* The n values of the 1-D float64 dataset 'name' (malloc'd). */
static double *read_vec(hid_t loc, const char *name, size_t n)
{
    hid_t ds = H5Dopen2(loc, name, H5P_DEFAULT);
    hid_t space = H5Dget_space(ds);
    hsize_t dims[1] = {0};
    double *v = malloc((n > 0 ? n : 1) * sizeof *v);
    if (ds < 0) {
        fail_msg("dataset %s is missing", name);
    }
    assert_non_null(v);
    assert_int_equal(H5Sget_simple_extent_ndims(space), 1);
    H5Sget_simple_extent_dims(space, dims, NULL);
    assert_true(dims[0] == n);
    if (n > 0) {
        assert_true(H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0);
    }
    H5Sclose(space);
    H5Dclose(ds);
    return v;
}

/* The attribute 'attr' of object 'obj' is n variable-length strings equal to names[]. */
static void check_names_attr(hid_t f, const char *obj, const char *attr, const char *const *names,
                             size_t n)
{
    hid_t a = H5Aopen_by_name(f, obj, attr, H5P_DEFAULT, H5P_DEFAULT);
    hid_t type = H5Tcopy(H5T_C_S1), space;
    hsize_t dims[1] = {0};
    char **v = malloc(n * sizeof *v);
    size_t i;
    if (a < 0) {
        fail_msg("%s has no attribute %s", obj, attr);
    }
    assert_non_null(v);
    space = H5Aget_space(a);
    H5Sget_simple_extent_dims(space, dims, NULL);
    assert_true(dims[0] == n);
    assert_true(H5Tset_size(type, H5T_VARIABLE) >= 0);
    assert_true(H5Aread(a, type, v) >= 0);
    for (i = 0; i < n; i++) {
        if (strcmp(v[i], names[i]) != 0) {
            fail_msg("%s@%s[%zu] = \"%s\", expected \"%s\"", obj, attr, i, v[i], names[i]);
        }
    }
    assert_true(H5Dvlen_reclaim(type, space, H5P_DEFAULT, v) >= 0);
    free(v);
    H5Sclose(space);
    H5Tclose(type);
    H5Aclose(a);
}

/* The dataset 'name' is n fixed-length ASCII strings (NUL-padded) equal to names[]. */
static void check_fixed_strings(hid_t f, const char *name, const char *const *names, size_t n)
{
    hid_t ds = H5Dopen2(f, name, H5P_DEFAULT);
    hid_t type = H5Dget_type(ds), space = H5Dget_space(ds);
    hsize_t dims[1] = {0};
    size_t width = H5Tget_size(type), i;
    char *buf;
    if (ds < 0) {
        fail_msg("dataset %s is missing", name);
    }
    assert_false(H5Tis_variable_str(type));
    assert_int_equal(H5Tget_cset(type), H5T_CSET_ASCII);
    assert_int_equal(H5Tget_strpad(type), H5T_STR_NULLPAD);
    H5Sget_simple_extent_dims(space, dims, NULL);
    assert_true(dims[0] == n);
    buf = malloc(n * width);
    assert_non_null(buf);
    assert_true(H5Dread(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0);
    for (i = 0; i < n; i++) {
        size_t len = strlen(names[i]);
        assert_true(len <= width);
        if (memcmp(buf + i * width, names[i], len) != 0 ||
            (len < width && buf[i * width + len] != 0)) {
            fail_msg("%s[%zu] is not \"%s\"", name, i, names[i]);
        }
    }
    free(buf);
    H5Sclose(space);
    H5Tclose(type);
    H5Dclose(ds);
}

static int64_t read_i64(hid_t loc, const char *obj, const char *attr)
{
    int64_t v = -12345;
    hid_t a = attr != NULL ? H5Aopen_by_name(loc, obj, attr, H5P_DEFAULT, H5P_DEFAULT)
                           : H5Dopen2(loc, obj, H5P_DEFAULT);
    if (a < 0) {
        fail_msg("%s%s%s is missing", obj, attr != NULL ? "@" : "", attr != NULL ? attr : "");
    }
    if (attr != NULL) {
        assert_true(H5Aread(a, H5T_NATIVE_INT64, &v) >= 0);
        H5Aclose(a);
    } else {
        assert_true(H5Dread(a, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, &v) >= 0);
        H5Dclose(a);
    }
    return v;
}

/* n names "<prefix><i>" (malloc'd, NULL-terminated). */
static char **make_names(const char *prefix, size_t n)
{
    char **v = malloc((n + 1) * sizeof *v);
    size_t i;
    assert_non_null(v);
    for (i = 0; i < n; i++) {
        v[i] = malloc(strlen(prefix) + 24);
        assert_non_null(v[i]);
        sprintf(v[i], "%s%zu", prefix, i);
    }
    v[n] = NULL;
    return v;
}

static void free_names(char **v)
{
    size_t i;
    for (i = 0; v[i] != NULL; i++) {
        free(v[i]);
    }
    free(v);
}

/* Format 1.1: /params (values and names in the given order), /y0, /t_span, /y names, the event
 * groups' index/direction/terminal, created/host/command_line, and /info mirroring the root
 * attributes with fixed-length strings. np = 5000 names (80 KB as an attribute) need HDF5 1.8's
 * format although n = 2 (the file starts in the oldest one); n = 10^6 writes /y0 and the names
 * through bounded buffers. */
static void write_1_1(size_t n, size_t np)
{
    static const char *const events[] = {"up", "down"};
    const ivp_event_opts opts[2] = {{0, 1}, {3, -1}};
    const double t_span[2] = {0.0, -2.5};
    char dir[4096], path[4096];
    run r = {n, 4, {1, 2}, 0, 0, -1.0};
    ivp_h5sink_config cfg = {0};
    ivp_h5sink_meta meta;
    ivp_h5sink *s = NULL;
    ivp_result res;
    ivp_error err;
    char **pnames = make_names("p", np), **snames = make_names("state_", n);
    double *params = malloc((np > 0 ? np : 1) * sizeof *params), *y0 = malloc(n * sizeof *y0), *v;
    size_t i;
    hid_t f, info;
    assert_non_null(params);
    assert_non_null(y0);
    for (i = 0; i < np; i++) {
        params[i] = 0.5 * (double)i - 3.0;
    }
    for (i = 0; i < n; i++) {
        y0[i] = 1.0 + 0.25 * (double)i;
    }
    make_dir(dir, sizeof dir);
    join(path, sizeof path, dir, "meta.h5");
    cfg.path = path;
    cfg.n = n;
    cfg.n_events = 2;
    cfg.event_names = events;
    fill_result(&res);
    res.status = -1; /* a failed run carries the metadata too */
    snprintf(res.message, sizeof res.message, "Required step size is less than spacing");
    fill_meta(&meta);
    meta.params = params;
    meta.param_names = (const char *const *)pnames;
    meta.n_params = np;
    meta.y0 = y0;
    meta.t_span = t_span;
    meta.state_names = (const char *const *)snames;
    meta.event_opts = opts;
    meta.created = "2024-05-01T12:34:56Z";
    meta.host = "node-17";
    meta.command_line = "ivp run 'my spec.json' --set params.p0=-3";
    assert_int_equal(ivp_h5sink_open(&cfg, &s, &err), IVP_OK);
    feed(s, &r);
    if (ivp_h5sink_finish(s, &res, &meta, &err) != IVP_OK) {
        fail_msg("finish: %s", err.msg);
    }
    f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(f >= 0);
    check_attrs(f, &res, &meta, n);
    check_attr_str(f, "created", meta.created);
    check_attr_str(f, "host", meta.host);
    check_attr_str(f, "command_line", meta.command_line);
    v = read_vec(f, "params", np);
    for (i = 0; i < np; i++) {
        ivp_assert_close(v[i], params[i], 0.0, 0.0);
    }
    free(v);
    check_names_attr(f, "params", "names", (const char *const *)pnames, np);
    v = read_vec(f, "y0", n);
    for (i = 0; i < n; i++) {
        ivp_assert_close(v[i], y0[i], 0.0, 0.0);
    }
    free(v);
    v = read_vec(f, "t_span", 2);
    ivp_assert_close(v[0], 0.0, 0.0, 0.0);
    ivp_assert_close(v[1], -2.5, 0.0, 0.0);
    free(v);
    check_names_attr(f, "y", "names", (const char *const *)snames, n);
    for (i = 0; i < 2; i++) {
        char g[32];
        snprintf(g, sizeof g, "events/%s", events[i]);
        assert_int_equal(read_i64(f, g, "index"), (int64_t)i);
        assert_int_equal(read_i64(f, g, "direction"), opts[i].direction);
        assert_int_equal(read_i64(f, g, "terminal"), (int64_t)opts[i].terminal);
    }
    info = H5Gopen2(f, "info", H5P_DEFAULT);
    assert_true(info >= 0);
    assert_int_equal(read_i64(info, "status", NULL), -1);
    assert_int_equal(read_i64(info, "success", NULL), 0);
    assert_int_equal(read_i64(info, "nfev", NULL), (int64_t)res.nfev);
    assert_int_equal(read_i64(info, "njev", NULL), (int64_t)res.njev);
    assert_int_equal(read_i64(info, "nlu", NULL), (int64_t)res.nlu);
    assert_int_equal(read_i64(info, "n_steps", NULL), (int64_t)res.n_steps);
    assert_int_equal(read_i64(info, "n_rejected", NULL), (int64_t)res.n_rejected);
    {
        const char *msg[1] = {res.message}, *method[1] = {"LSODA"};
        double secs = 0;
        hid_t ds = H5Dopen2(info, "solve_seconds", H5P_DEFAULT);
        assert_true(H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, &secs) >= 0);
        H5Dclose(ds);
        ivp_assert_close(secs, res.solve_seconds, 0.0, 0.0);
        /* scalars: read as one-element arrays */
        {
            hid_t d = H5Dopen2(info, "message", H5P_DEFAULT);
            hid_t t = H5Dget_type(d);
            char buf[256] = {0};
            assert_int_equal(H5Tget_size(t), strlen(msg[0]));
            assert_true(H5Dread(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0);
            assert_string_equal(buf, msg[0]);
            H5Tclose(t);
            H5Dclose(d);
            d = H5Dopen2(info, "method", H5P_DEFAULT);
            t = H5Dget_type(d);
            memset(buf, 0, sizeof buf);
            assert_true(H5Dread(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0);
            assert_string_equal(buf, method[0]);
            H5Tclose(t);
            H5Dclose(d);
        }
    }
    check_fixed_strings(info, "event_names", events, 2);
    check_fixed_strings(info, "param_names", (const char *const *)pnames, np);
    check_fixed_strings(info, "state_names", (const char *const *)snames, n);
    H5Gclose(info);
    H5Fclose(f);
    free_names(pnames);
    free_names(snames);
    free(params);
    free(y0);
    remove_dir(dir);
}

static void h5sink_writes_format_1_1_metadata(void **state)
{
    (void)state;
    write_1_1(3, 2);
    write_1_1(2, 5000);    /* /params names over 64 KiB in a file of the oldest format */
    write_1_1(3000, 5000); /* HDF5 1.8's format from the start */
}

/* n = 10^6: /y0 (8 MB) and 10^6 state names (an attribute and a fixed-length /info dataset
 * written 64 KiB at a time) go out without trouble; the sink's own memory stays bounded. */
static void h5sink_writes_1e6_initial_values(void **state)
{
    (void)state;
    write_1_1(1000000, 3);
}

/* After every test: the sink closed every HDF5 object it opened (the tests close theirs). */
static int no_open_objects(void **state)
{
    ssize_t open_objects = H5Fget_obj_count((hid_t)H5F_OBJ_ALL, H5F_OBJ_ALL);
    (void)state;
    if (open_objects != 0) {
        print_error("%zd HDF5 objects are still open\n", open_objects);
        return -1;
    }
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(h5sink_writes_every_dataset_through_small_chunks,
                                  no_open_objects),
        cmocka_unit_test_teardown(h5sink_writes_a_backward_run, no_open_objects),
        cmocka_unit_test_teardown(h5sink_small_run_makes_a_small_file, no_open_objects),
        cmocka_unit_test_teardown(h5sink_writes_an_empty_run, no_open_objects),
        cmocka_unit_test_teardown(h5sink_writes_empty_events_and_no_dense, no_open_objects),
        cmocka_unit_test_teardown(h5sink_replaces_an_existing_file_only_at_finish, no_open_objects),
        cmocka_unit_test_teardown(h5sink_discard_leaves_nothing, no_open_objects),
        cmocka_unit_test_teardown(h5sink_open_fails_on_unwritable_folder, no_open_objects),
        cmocka_unit_test_teardown(h5sink_open_rejects_bad_config, no_open_objects),
        cmocka_unit_test_teardown(h5sink_reports_callback_failures_at_finish, no_open_objects),
        cmocka_unit_test_teardown(h5sink_reports_hdf5_write_failures, no_open_objects),
        cmocka_unit_test_teardown(h5sink_finish_without_result_cleans_up, no_open_objects),
        cmocka_unit_test_teardown(h5sink_bounds_chunks_for_large_n, no_open_objects),
        cmocka_unit_test_teardown(h5sink_writes_a_short_file_in_few_writes, no_open_objects),
        cmocka_unit_test_teardown(h5sink_writes_each_chunk_in_one_write, no_open_objects),
        cmocka_unit_test_teardown(h5sink_grows_its_buffers_through_every_stage, no_open_objects),
        cmocka_unit_test_teardown(h5sink_memory_is_bounded_for_1e7_points, no_open_objects),
        cmocka_unit_test_teardown(h5sink_writes_format_1_1_metadata, no_open_objects),
        cmocka_unit_test_teardown(h5sink_writes_1e6_initial_values, no_open_objects),
    };
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
