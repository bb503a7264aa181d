/* SPDX-License-Identifier: MIT
 * core/src/h5read.c - reading ivp's result files (ivp/h5read.h): validation at open, metadata,
 * stored points by hyperslab, events, and the dense output evaluated as scipy's PPoly does.
 *
 * Memory: metadata and O(K) per-member values at open; point reads go through one scratch
 * buffer of the caller's block size; the dense evaluator holds a window of at most
 * H5R_WINDOW_BYTES of coefficients (at least one segment) and its breakpoints.
 */
#define _POSIX_C_SOURCE 200809L

#include "ivp/h5read.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <hdf5.h>

#define H5R_WINDOW_BYTES ((size_t)4 << 20)

typedef struct h5r_member {
    ivp_h5run run;
    size_t p0; /* first point in /t (ragged) or 0 */
    size_t s0; /* first segment in /dense/c */
    size_t x0; /* first breakpoint in /dense/x */
} h5r_member;

typedef struct h5r_event {
    hid_t t, y, member; /* datasets (member: ensembles only) */
} h5r_event;

struct ivp_h5file {
    ivp_h5info info;
    hid_t file;
    hid_t t, y, x, c;    /* datasets; x and c only with dense output */
    size_t n_t;          /* length of /t */
    size_t n_x, n_seg;   /* lengths of /dense/x and the segment axis of /dense/c */
    h5r_member *members; /* n_members */
    double *m_params;    /* K x n_params (ensembles), or NULL */
    double *m_y0;        /* K x n, or NULL */
    double *m_tspan;     /* K x 2, or NULL */
    h5r_event *ev;       /* n_events */
    double *scratch;     /* point reads */
    size_t scratch_len;
    /* the dense window: segments ws .. ws+wl-1 of member wk */
    size_t wcap, wk, ws, wl;
    int wvalid;
    double *wx; /* wl + 1 breakpoints */
    double *wc; /* (d+1) x wl x n coefficients */
};

/* ---- small helpers -------------------------------------------------------------------- */

__attribute__((format(printf, 3, 4))) static ivp_status
h5r_fail(ivp_error *err, const ivp_h5file *f, const char *fmt, ...)
{
    char msg[IVP_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return ivp_error_set(err, IVP_ERR_IO, "%s: %s", f->info.path, msg);
}

static ivp_status h5r_nomem(ivp_error *err, const ivp_h5file *f)
{
    return ivp_error_set(err, IVP_ERR_NOMEM, "%s: out of memory", f->info.path);
}

static char *h5r_strdup(const char *s)
{
    size_t len = strlen(s);
    char *d = malloc(len + 1);
    if (d != NULL) {
        memcpy(d, s, len + 1);
    }
    return d;
}

static int h5r_exists(hid_t loc, const char *path)
{
    return H5Lexists(loc, path, H5P_DEFAULT) > 0 && H5Oexists_by_name(loc, path, H5P_DEFAULT) > 0;
}

/* Opens dataset 'path' and checks it holds numbers of rank 'rank'; dims filled. -1 if absent
 * or not so (after setting err). */
static hid_t h5r_dset(ivp_h5file *f, hid_t loc, const char *path, int rank, hsize_t *dims,
                      ivp_error *err)
{
    hid_t d, space, type;
    H5T_class_t cls;
    int r;
    if (!h5r_exists(loc, path)) {
        h5r_fail(err, f, "not a complete ivp result file: the dataset '%s' is missing", path);
        return H5I_INVALID_HID;
    }
    d = H5Dopen2(loc, path, H5P_DEFAULT);
    if (d < 0) {
        h5r_fail(err, f, "cannot open the dataset '%s' (damaged file?)", path);
        return H5I_INVALID_HID;
    }
    type = H5Dget_type(d);
    cls = type >= 0 ? H5Tget_class(type) : H5T_NO_CLASS;
    if (type >= 0) {
        H5Tclose(type);
    }
    space = H5Dget_space(d);
    r = space >= 0 ? H5Sget_simple_extent_ndims(space) : -1;
    if (r != rank || (cls != H5T_FLOAT && cls != H5T_INTEGER)) {
        if (space >= 0) {
            H5Sclose(space);
        }
        H5Dclose(d);
        h5r_fail(err, f, "the dataset '%s' is not a %d-dimensional array of numbers", path, rank);
        return H5I_INVALID_HID;
    }
    H5Sget_simple_extent_dims(space, dims, NULL);
    H5Sclose(space);
    return d;
}

/* Reads 'count' values of a hyperslab (rank, start, cnt) of d as doubles (or int64 when
 * 'mtype' says so) into buf, row-major. */
static int h5r_slab(hid_t d, hid_t mtype, int rank, const hsize_t *start, const hsize_t *cnt,
                    void *buf)
{
    hid_t fspace = H5Dget_space(d), mspace;
    hsize_t total = 1;
    int i, rc = -1;
    for (i = 0; i < rank; i++) {
        total *= cnt[i];
    }
    if (total == 0) {
        if (fspace >= 0) {
            H5Sclose(fspace);
        }
        return 0;
    }
    mspace = H5Screate_simple(1, &total, NULL);
    if (fspace >= 0 && mspace >= 0 &&
        H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, NULL, cnt, NULL) >= 0 &&
        H5Dread(d, mtype, mspace, fspace, H5P_DEFAULT, buf) >= 0) {
        rc = 0;
    }
    if (mspace >= 0) {
        H5Sclose(mspace);
    }
    if (fspace >= 0) {
        H5Sclose(fspace);
    }
    return rc;
}

/* Reads a whole 1-D or 2-D numeric dataset 'path' of the expected dims as mtype into a new
 * buffer (*out); NULL buffer when absent and optional. */
static ivp_status h5r_read_all(ivp_h5file *f, const char *path, int rank, const hsize_t *want,
                               hid_t mtype, size_t elsize, int optional, void **out, ivp_error *err)
{
    hsize_t dims[3], total = 1;
    hid_t d;
    int i;
    *out = NULL;
    if (optional && !h5r_exists(f->file, path)) {
        return IVP_OK;
    }
    d = h5r_dset(f, f->file, path, rank, dims, err);
    if (d < 0) {
        return IVP_ERR_IO;
    }
    for (i = 0; i < rank; i++) {
        if (dims[i] != want[i]) {
            H5Dclose(d);
            return h5r_fail(err, f,
                            "the dataset '%s' has the wrong shape (dimension %d is %llu, "
                            "expected %llu)",
                            path, i, (unsigned long long)dims[i], (unsigned long long)want[i]);
        }
        total *= dims[i];
    }
    *out = malloc(total > 0 ? (size_t)total * elsize : 1);
    if (*out == NULL) {
        H5Dclose(d);
        return h5r_nomem(err, f);
    }
    if (total > 0 && H5Dread(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, *out) < 0) {
        H5Dclose(d);
        free(*out);
        *out = NULL;
        return h5r_fail(err, f, "cannot read the dataset '%s' (truncated or damaged file?)", path);
    }
    H5Dclose(d);
    return IVP_OK;
}

/* Reads 'count' strings from an attribute (is_attr) or dataset 'obj' into out[] (malloc'ed).
 * Variable-length and fixed-length strings both work. -1 on failure. */
static int h5r_strings(hid_t obj, int is_attr, size_t count, char **out)
{
    hid_t ftype = is_attr ? H5Aget_type(obj) : H5Dget_type(obj);
    hid_t space = is_attr ? H5Aget_space(obj) : H5Dget_space(obj);
    hid_t mtype = H5I_INVALID_HID;
    hssize_t npoints = space >= 0 ? H5Sget_simple_extent_npoints(space) : -1;
    size_t i;
    int rc = -1;
    if (ftype < 0 || space < 0 || H5Tget_class(ftype) != H5T_STRING || npoints < 0 ||
        (size_t)npoints != count) {
        goto done;
    }
    if (count == 0) {
        rc = 0;
        goto done;
    }
    mtype = H5Tcopy(H5T_C_S1);
    if (H5Tis_variable_str(ftype) > 0) {
        char **tmp = calloc(count, sizeof *tmp);
        if (tmp == NULL || H5Tset_size(mtype, H5T_VARIABLE) < 0 ||
            H5Tset_cset(mtype, H5Tget_cset(ftype)) < 0 ||
            (is_attr ? H5Aread(obj, mtype, tmp)
                     : H5Dread(obj, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, tmp)) < 0) {
            free(tmp);
            goto done;
        }
        rc = 0;
        for (i = 0; i < count; i++) {
            out[i] = h5r_strdup(tmp[i] != NULL ? tmp[i] : "");
            if (out[i] == NULL) {
                rc = -1;
            }
        }
#if H5_VERSION_GE(1, 12, 0)
        H5Treclaim(mtype, space, H5P_DEFAULT, tmp);
#else
        H5Dvlen_reclaim(mtype, space, H5P_DEFAULT, tmp);
#endif
        free(tmp);
    } else {
        size_t size = H5Tget_size(ftype);
        char *buf = size > 0 ? malloc(count * size) : NULL;
        if (buf == NULL || H5Tset_size(mtype, size) < 0 ||
            H5Tset_strpad(mtype, H5T_STR_NULLPAD) < 0 ||
            (is_attr ? H5Aread(obj, mtype, buf)
                     : H5Dread(obj, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf)) < 0) {
            free(buf);
            goto done;
        }
        rc = 0;
        for (i = 0; i < count; i++) {
            const char *s = buf + i * size;
            size_t len = 0;
            while (len < size && s[len] != '\0') {
                len++;
            }
            out[i] = malloc(len + 1);
            if (out[i] == NULL) {
                rc = -1;
            } else {
                memcpy(out[i], s, len);
                out[i][len] = '\0';
            }
        }
        free(buf);
    }
done:
    if (mtype >= 0) {
        H5Tclose(mtype);
    }
    if (space >= 0) {
        H5Sclose(space);
    }
    if (ftype >= 0) {
        H5Tclose(ftype);
    }
    return rc;
}

/* A string attribute of obj: a new string, "" when absent (or NULL when out of memory). A
 * numeric attribute is formatted. */
static char *h5r_attr_str(hid_t obj, const char *name)
{
    hid_t a, type;
    char *s = NULL;
    if (H5Aexists(obj, name) <= 0) {
        return h5r_strdup("");
    }
    a = H5Aopen(obj, name, H5P_DEFAULT);
    if (a < 0) {
        return h5r_strdup("");
    }
    type = H5Aget_type(a);
    if (type >= 0 && H5Tget_class(type) == H5T_STRING) {
        if (h5r_strings(a, 1, 1, &s) != 0) {
            s = NULL;
        }
    } else if (type >= 0 &&
               (H5Tget_class(type) == H5T_INTEGER || H5Tget_class(type) == H5T_FLOAT)) {
        double v;
        char buf[64];
        hid_t space = H5Aget_space(a);
        if (space >= 0 && H5Sget_simple_extent_npoints(space) == 1 &&
            H5Aread(a, H5T_NATIVE_DOUBLE, &v) >= 0) {
            snprintf(buf, sizeof buf, "%.15g", v);
            s = h5r_strdup(buf);
        }
        if (space >= 0) {
            H5Sclose(space);
        }
    }
    if (type >= 0) {
        H5Tclose(type);
    }
    H5Aclose(a);
    return s != NULL ? s : h5r_strdup("");
}

/* Numeric attribute 'name' of obj with 'count' values (0: any count up to *count, which is
 * updated) read as mtype; 1 read, 0 absent or not numeric. */
static int h5r_attr_num(hid_t obj, const char *name, hid_t mtype, void *buf, size_t count)
{
    hid_t a, space, type;
    hssize_t np;
    int ok = 0;
    H5T_class_t cls;
    if (H5Aexists(obj, name) <= 0) {
        return 0;
    }
    a = H5Aopen(obj, name, H5P_DEFAULT);
    if (a < 0) {
        return 0;
    }
    space = H5Aget_space(a);
    type = H5Aget_type(a);
    np = space >= 0 ? H5Sget_simple_extent_npoints(space) : -1;
    cls = type >= 0 ? H5Tget_class(type) : H5T_NO_CLASS;
    if ((cls == H5T_INTEGER || cls == H5T_FLOAT) && np == (hssize_t)count &&
        H5Aread(a, mtype, buf) >= 0) {
        ok = 1;
    }
    if (type >= 0) {
        H5Tclose(type);
    }
    if (space >= 0) {
        H5Sclose(space);
    }
    H5Aclose(a);
    return ok;
}

/* Number of values of attribute 'name' (0 when absent). */
static size_t h5r_attr_len(hid_t obj, const char *name)
{
    hid_t a, space;
    hssize_t np = 0;
    if (H5Aexists(obj, name) <= 0) {
        return 0;
    }
    a = H5Aopen(obj, name, H5P_DEFAULT);
    if (a < 0) {
        return 0;
    }
    space = H5Aget_space(a);
    if (space >= 0) {
        np = H5Sget_simple_extent_npoints(space);
        H5Sclose(space);
    }
    H5Aclose(a);
    return np > 0 ? (size_t)np : 0;
}

/* A names attribute of 'count' strings on dataset 'path' into a new array; 0 when absent or of
 * another length, 1 read, -1 out of memory. */
static int h5r_names(hid_t file, const char *path, size_t count, char ***out)
{
    hid_t d;
    char **names;
    size_t i;
    int rc = 0;
    *out = NULL;
    if (!h5r_exists(file, path)) {
        return 0;
    }
    d = H5Oopen(file, path, H5P_DEFAULT);
    if (d < 0) {
        return 0;
    }
    if (h5r_attr_len(d, "names") == count && count > 0) {
        hid_t a = H5Aopen(d, "names", H5P_DEFAULT);
        names = calloc(count, sizeof *names);
        if (names == NULL) {
            rc = -1;
        } else if (a >= 0 && h5r_strings(a, 1, count, names) == 0) {
            *out = names;
            rc = 1;
        } else {
            for (i = 0; i < count; i++) {
                free(names[i]);
            }
            free(names);
        }
        if (a >= 0) {
            H5Aclose(a);
        }
    }
    H5Oclose(d);
    return rc;
}

/* ---- events ---------------------------------------------------------------------------- */

typedef struct h5r_names_iter {
    char **names;
    size_t count, cap;
    int nomem;
} h5r_names_iter;

static herr_t h5r_collect(hid_t group, const char *name, const H5L_info_t *info, void *ud)
{
    h5r_names_iter *it = ud;
    H5O_info_t oi;
    (void)info;
    if (H5Oget_info_by_name(group, name, &oi, H5P_DEFAULT) < 0 || oi.type != H5O_TYPE_GROUP) {
        return 0;
    }
    if (it->count == it->cap) {
        size_t cap = it->cap > 0 ? 2 * it->cap : 8;
        char **p = realloc(it->names, cap * sizeof *p);
        if (p == NULL) {
            it->nomem = 1;
            return -1;
        }
        it->names = p;
        it->cap = cap;
    }
    it->names[it->count] = h5r_strdup(name);
    if (it->names[it->count] == NULL) {
        it->nomem = 1;
        return -1;
    }
    it->count++;
    return 0;
}

static int h5r_event_cmp(const void *a, const void *b)
{
    const ivp_h5event *x = a, *y = b;
    return x->index < y->index ? -1 : x->index > y->index ? 1 : strcmp(x->name, y->name);
}

static ivp_status h5r_events(ivp_h5file *f, ivp_error *err)
{
    h5r_names_iter it = {NULL, 0, 0, 0};
    hid_t g;
    size_t i, n = f->info.n;
    int all_indexed = 1;
    if (!h5r_exists(f->file, "/events")) {
        return IVP_OK;
    }
    g = H5Gopen2(f->file, "/events", H5P_DEFAULT);
    if (g < 0) {
        return h5r_fail(err, f, "cannot open the group '/events'");
    }
    H5Literate(g, H5_INDEX_NAME, H5_ITER_INC, NULL, h5r_collect, &it);
    H5Gclose(g);
    if (it.nomem) {
        for (i = 0; i < it.count; i++) {
            free(it.names[i]);
        }
        free(it.names);
        return h5r_nomem(err, f);
    }
    f->info.events = calloc(it.count > 0 ? it.count : 1, sizeof *f->info.events);
    f->ev = calloc(it.count > 0 ? it.count : 1, sizeof *f->ev);
    if (f->info.events == NULL || f->ev == NULL) {
        for (i = 0; i < it.count; i++) {
            free(it.names[i]);
        }
        free(it.names);
        return h5r_nomem(err, f);
    }
    f->info.n_events = it.count;
    for (i = 0; i < it.count; i++) {
        ivp_h5event *e = &f->info.events[i];
        hid_t eg;
        e->name = it.names[i];
        e->index = -1;
        f->ev[i].t = f->ev[i].y = f->ev[i].member = H5I_INVALID_HID;
        eg = H5Gopen2(f->file, "/events", H5P_DEFAULT);
        if (eg >= 0) {
            hid_t gg = H5Gopen2(eg, e->name, H5P_DEFAULT);
            if (gg >= 0) {
                int64_t v;
                int has = 0;
                if (h5r_attr_num(gg, "index", H5T_NATIVE_INT64, &v, 1)) {
                    e->index = (long)v;
                    has = 1;
                }
                if (h5r_attr_num(gg, "direction", H5T_NATIVE_INT64, &v, 1)) {
                    e->direction = v < 0 ? -1 : v > 0 ? 1 : 0;
                    has = 1;
                }
                if (h5r_attr_num(gg, "terminal", H5T_NATIVE_INT64, &v, 1)) {
                    e->terminal = v != 0;
                    has = 1;
                }
                e->has_attrs = has;
                H5Gclose(gg);
            }
            H5Gclose(eg);
        }
        if (e->index < 0) {
            all_indexed = 0;
        }
    }
    free(it.names);
    if (all_indexed && f->info.n_events > 1) {
        qsort(f->info.events, f->info.n_events, sizeof *f->info.events, h5r_event_cmp);
    }
    for (i = 0; i < f->info.n_events; i++) {
        ivp_h5event *e = &f->info.events[i];
        char path[1024];
        hsize_t dt[1], dy[2], dm[1];
        snprintf(path, sizeof path, "/events/%s/t", e->name);
        f->ev[i].t = h5r_dset(f, f->file, path, 1, dt, err);
        if (f->ev[i].t < 0) {
            return IVP_ERR_IO;
        }
        snprintf(path, sizeof path, "/events/%s/y", e->name);
        f->ev[i].y = h5r_dset(f, f->file, path, 2, dy, err);
        if (f->ev[i].y < 0) {
            return IVP_ERR_IO;
        }
        if (dy[0] != n || dy[1] != dt[0]) {
            return h5r_fail(err, f, "'/events/%s/y' has shape (%llu, %llu), expected (%zu, %llu)",
                            e->name, (unsigned long long)dy[0], (unsigned long long)dy[1], n,
                            (unsigned long long)dt[0]);
        }
        if (f->info.ensemble) {
            snprintf(path, sizeof path, "/events/%s/member", e->name);
            f->ev[i].member = h5r_dset(f, f->file, path, 1, dm, err);
            if (f->ev[i].member < 0) {
                return IVP_ERR_IO;
            }
            if (dm[0] != dt[0]) {
                return h5r_fail(err, f,
                                "'/events/%s/member' has %llu entries, '/events/%s/t' "
                                "%llu",
                                e->name, (unsigned long long)dm[0], e->name,
                                (unsigned long long)dt[0]);
            }
        }
        e->count = (size_t)dt[0];
    }
    return IVP_OK;
}

/* ---- opening --------------------------------------------------------------------------- */

static ivp_status h5r_root_attrs(ivp_h5file *f, ivp_error *err)
{
    ivp_h5info *in = &f->info;
    ivp_h5run *r = &in->run;
    int64_t v;
    size_t na;
    in->ivp_version = h5r_attr_str(f->file, "ivp_version");
    in->method = h5r_attr_str(f->file, "method");
    in->problem = h5r_attr_str(f->file, "problem");
    in->plugin_sha256 = h5r_attr_str(f->file, "plugin_sha256");
    in->created = h5r_attr_str(f->file, "created");
    in->host = h5r_attr_str(f->file, "host");
    in->command_line = h5r_attr_str(f->file, "command_line");
    in->shard = h5r_attr_str(f->file, "shard");
    r->message = h5r_attr_str(f->file, "message");
    if (in->ivp_version == NULL || in->method == NULL || in->problem == NULL ||
        in->plugin_sha256 == NULL || in->created == NULL || in->host == NULL ||
        in->command_line == NULL || in->shard == NULL || r->message == NULL) {
        return h5r_nomem(err, f);
    }
    in->rtol = (double)NAN;
    h5r_attr_num(f->file, "rtol", H5T_NATIVE_DOUBLE, &in->rtol, 1);
    na = h5r_attr_len(f->file, "atol");
    if (na > 0) {
        in->atol = malloc(na * sizeof *in->atol);
        if (in->atol == NULL) {
            return h5r_nomem(err, f);
        }
        if (h5r_attr_num(f->file, "atol", H5T_NATIVE_DOUBLE, in->atol, na)) {
            in->n_atol = na;
        }
    }
    r->status = 0;
    if (h5r_attr_num(f->file, "status", H5T_NATIVE_INT64, &v, 1)) {
        r->status = (int)v;
    } else if (!in->ensemble) {
        return h5r_fail(err, f,
                        "not a complete ivp result file: the attribute 'status' is "
                        "missing");
    }
    r->nfev = r->njev = r->nlu = r->n_steps = r->n_rejected = -1;
    h5r_attr_num(f->file, "nfev", H5T_NATIVE_INT64, &r->nfev, 1);
    h5r_attr_num(f->file, "njev", H5T_NATIVE_INT64, &r->njev, 1);
    h5r_attr_num(f->file, "nlu", H5T_NATIVE_INT64, &r->nlu, 1);
    h5r_attr_num(f->file, "n_steps", H5T_NATIVE_INT64, &r->n_steps, 1);
    h5r_attr_num(f->file, "n_rejected", H5T_NATIVE_INT64, &r->n_rejected, 1);
    r->solve_seconds = (double)NAN;
    h5r_attr_num(f->file, "solve_seconds", H5T_NATIVE_DOUBLE, &r->solve_seconds, 1);
    return IVP_OK;
}

/* The dense output: /dense/x and /dense/c, checked against n and the segment count. */
static ivp_status h5r_dense(ivp_h5file *f, ivp_error *err)
{
    hsize_t dx[1], dc[3];
    if (!h5r_exists(f->file, "/dense/x") && !h5r_exists(f->file, "/dense/c")) {
        return IVP_OK;
    }
    f->x = h5r_dset(f, f->file, "/dense/x", 1, dx, err);
    if (f->x < 0) {
        return IVP_ERR_IO;
    }
    f->c = h5r_dset(f, f->file, "/dense/c", 3, dc, err);
    if (f->c < 0) {
        return IVP_ERR_IO;
    }
    if (dc[0] < 1 || dc[2] != f->info.n) {
        return h5r_fail(err, f,
                        "'/dense/c' has shape (%llu, %llu, %llu), expected (d+1, "
                        "segments, %zu)",
                        (unsigned long long)dc[0], (unsigned long long)dc[1],
                        (unsigned long long)dc[2], f->info.n);
    }
    f->n_x = (size_t)dx[0];
    f->n_seg = (size_t)dc[1];
    f->info.dense = 1;
    f->info.dense_degree = (size_t)dc[0] - 1;
    if (!f->info.ensemble && !(f->n_x == f->n_seg + 1 || (f->n_x == 0 && f->n_seg == 0))) {
        return h5r_fail(err, f,
                        "'/dense/x' has %zu breakpoints for %zu segments of '/dense/c' "
                        "(expected %zu)",
                        f->n_x, f->n_seg, f->n_seg + 1);
    }
    return IVP_OK;
}

static ivp_status h5r_open_single(ivp_h5file *f, ivp_error *err)
{
    ivp_h5info *in = &f->info;
    hsize_t dt[1], dy[2], dp[1];
    ivp_status st;
    int rc;
    f->t = h5r_dset(f, f->file, "/t", 1, dt, err);
    if (f->t < 0) {
        return IVP_ERR_IO;
    }
    f->y = h5r_dset(f, f->file, "/y", 2, dy, err);
    if (f->y < 0) {
        return IVP_ERR_IO;
    }
    if (dy[1] != dt[0]) {
        return h5r_fail(err, f, "'/y' has %llu columns but '/t' has %llu points",
                        (unsigned long long)dy[1], (unsigned long long)dt[0]);
    }
    in->n = (size_t)dy[0];
    f->n_t = (size_t)dt[0];
    in->n_members = 1;
    if ((st = h5r_dense(f, err)) != IVP_OK) {
        return st;
    }
    in->run.n_points = f->n_t;
    in->run.n_segments = f->n_seg;
    if (h5r_exists(f->file, "/params")) {
        hid_t d = h5r_dset(f, f->file, "/params", 1, dp, err);
        if (d < 0) {
            return IVP_ERR_IO;
        }
        H5Dclose(d);
        in->n_params = (size_t)dp[0];
        rc = h5r_names(f->file, "/params", in->n_params, &in->param_names);
        if (rc < 0) {
            return h5r_nomem(err, f);
        }
        if (rc == 0 && in->n_params > 0) {
            return h5r_fail(err, f, "'/params' has no 'names' attribute of %zu strings",
                            in->n_params);
        }
        st = h5r_read_all(f, "/params", 1, dp, H5T_NATIVE_DOUBLE, sizeof(double), 0,
                          (void **)&in->params, err);
        if (st != IVP_OK) {
            return st;
        }
    }
    {
        hsize_t want[1] = {in->n};
        hsize_t two[1] = {2};
        double *ts = NULL;
        st = h5r_read_all(f, "/y0", 1, want, H5T_NATIVE_DOUBLE, sizeof(double), 1, (void **)&in->y0,
                          err);
        if (st != IVP_OK) {
            return st;
        }
        in->has_y0 = in->y0 != NULL;
        st = h5r_read_all(f, "/t_span", 1, two, H5T_NATIVE_DOUBLE, sizeof(double), 1, (void **)&ts,
                          err);
        if (st != IVP_OK) {
            return st;
        }
        if (ts != NULL) {
            in->has_t_span = 1;
            in->t_span[0] = ts[0];
            in->t_span[1] = ts[1];
            free(ts);
        }
    }
    f->members = calloc(1, sizeof *f->members);
    if (f->members == NULL) {
        return h5r_nomem(err, f);
    }
    f->members[0].run = in->run;
    return IVP_OK;
}

static ivp_status h5r_open_ensemble(ivp_h5file *f, ivp_error *err)
{
    ivp_h5info *in = &f->info;
    hsize_t dt[1], dy[3], dk[1], d2[2];
    size_t K, k, i;
    int8_t *i8 = NULL;
    int64_t *cnt = NULL, *dcnt = NULL, *v64 = NULL;
    double *secs = NULL;
    char **msgs = NULL, **ovr = NULL;
    ivp_status st = IVP_OK;
    hid_t d;
    int yrank;
    static const char *const counters[] = {"nfev", "njev", "nlu", "n_steps", "n_rejected"};

    d = h5r_dset(f, f->file, "/members/status", 1, dk, err);
    if (d < 0) {
        return IVP_ERR_IO;
    }
    H5Dclose(d);
    K = (size_t)dk[0];
    in->n_members = K;
    f->members = calloc(K > 0 ? K : 1, sizeof *f->members);
    if (f->members == NULL) {
        return h5r_nomem(err, f);
    }
    f->t = h5r_dset(f, f->file, "/t", 1, dt, err);
    if (f->t < 0) {
        return IVP_ERR_IO;
    }
    f->n_t = (size_t)dt[0];
    if (!h5r_exists(f->file, "/y")) {
        return h5r_fail(err, f, "not a complete ivp result file: the dataset '/y' is missing");
    }
    d = H5Dopen2(f->file, "/y", H5P_DEFAULT);
    {
        hid_t sp = d >= 0 ? H5Dget_space(d) : H5I_INVALID_HID;
        yrank = sp >= 0 ? H5Sget_simple_extent_ndims(sp) : -1;
        if (sp >= 0) {
            H5Sclose(sp);
        }
        if (d >= 0) {
            H5Dclose(d);
        }
    }
    if (yrank != 2 && yrank != 3) {
        return h5r_fail(err, f, "'/y' of an ensemble must be (K, n, N) or (n, P)");
    }
    f->y = h5r_dset(f, f->file, "/y", yrank, dy, err);
    if (f->y < 0) {
        return IVP_ERR_IO;
    }
    in->stacked = yrank == 3;
    if (in->stacked) {
        if (dy[0] != K || dy[2] != dt[0]) {
            return h5r_fail(err, f, "'/y' has shape (%llu, %llu, %llu), expected (%zu, n, %llu)",
                            (unsigned long long)dy[0], (unsigned long long)dy[1],
                            (unsigned long long)dy[2], K, (unsigned long long)dt[0]);
        }
        in->n = (size_t)dy[1];
    } else {
        if (dy[1] != dt[0]) {
            return h5r_fail(err, f, "'/y' has %llu columns but '/t' has %llu points",
                            (unsigned long long)dy[1], (unsigned long long)dt[0]);
        }
        in->n = (size_t)dy[0];
    }
    if ((st = h5r_dense(f, err)) != IVP_OK) {
        return st;
    }

    st = h5r_read_all(f, "/members/status", 1, dk, H5T_NATIVE_INT8, 1, 0, (void **)&i8, err);
    if (st != IVP_OK) {
        goto done;
    }
    for (k = 0; k < K; k++) {
        h5r_member *m = &f->members[k];
        m->run.status = i8[k];
        m->run.nfev = m->run.njev = m->run.nlu = m->run.n_steps = m->run.n_rejected = -1;
        m->run.solve_seconds = (double)NAN;
        if (i8[k] < 0) {
            in->n_failed++;
        }
        if (k == 0 || i8[k] < in->run.status) {
            in->run.status = i8[k];
        }
    }
    for (i = 0; i < 5; i++) {
        char path[64];
        snprintf(path, sizeof path, "/members/%s", counters[i]);
        st = h5r_read_all(f, path, 1, dk, H5T_NATIVE_INT64, sizeof(int64_t), 1, (void **)&v64, err);
        if (st != IVP_OK) {
            goto done;
        }
        if (v64 == NULL) {
            continue;
        }
        for (k = 0; k < K; k++) {
            int64_t *dst = i == 0   ? &f->members[k].run.nfev
                           : i == 1 ? &f->members[k].run.njev
                           : i == 2 ? &f->members[k].run.nlu
                           : i == 3 ? &f->members[k].run.n_steps
                                    : &f->members[k].run.n_rejected;
            *dst = v64[k];
        }
        {
            int64_t *tot = i == 0   ? &in->run.nfev
                           : i == 1 ? &in->run.njev
                           : i == 2 ? &in->run.nlu
                           : i == 3 ? &in->run.n_steps
                                    : &in->run.n_rejected;
            *tot = 0;
            for (k = 0; k < K; k++) {
                *tot += v64[k];
            }
        }
        free(v64);
        v64 = NULL;
    }
    st = h5r_read_all(f, "/members/solve_seconds", 1, dk, H5T_NATIVE_DOUBLE, sizeof(double), 1,
                      (void **)&secs, err);
    if (st != IVP_OK) {
        goto done;
    }
    if (secs != NULL) {
        in->run.solve_seconds = 0;
        for (k = 0; k < K; k++) {
            f->members[k].run.solve_seconds = secs[k];
            in->run.solve_seconds += secs[k];
        }
    }
    msgs = calloc(K > 0 ? K : 1, sizeof *msgs);
    ovr = calloc(K > 0 ? K : 1, sizeof *ovr);
    if (msgs == NULL || ovr == NULL) {
        st = h5r_nomem(err, f);
        goto done;
    }
    if (h5r_exists(f->file, "/members/message")) {
        d = H5Dopen2(f->file, "/members/message", H5P_DEFAULT);
        if (d < 0 || h5r_strings(d, 0, K, msgs) != 0) {
            if (d >= 0) {
                H5Dclose(d);
            }
            st = h5r_fail(err, f, "cannot read '/members/message' (%zu strings expected)", K);
            goto done;
        }
        H5Dclose(d);
    }
    if (h5r_exists(f->file, "/members/overrides")) {
        d = H5Dopen2(f->file, "/members/overrides", H5P_DEFAULT);
        if (d < 0 || h5r_strings(d, 0, K, ovr) != 0) {
            if (d >= 0) {
                H5Dclose(d);
            }
            st = h5r_fail(err, f, "cannot read '/members/overrides' (%zu strings expected)", K);
            goto done;
        }
        H5Dclose(d);
    }
    for (k = 0; k < K; k++) {
        f->members[k].run.message = msgs[k] != NULL ? msgs[k] : h5r_strdup("");
        f->members[k].run.overrides = ovr[k];
        msgs[k] = NULL;
        ovr[k] = NULL;
        if (f->members[k].run.message == NULL) {
            st = h5r_nomem(err, f);
            goto done;
        }
    }

    /* points per member */
    if (in->stacked) {
        for (k = 0; k < K; k++) {
            f->members[k].run.n_points = f->n_t;
        }
        in->run.n_points = f->n_t * K;
    } else {
        size_t total = 0;
        st = h5r_read_all(f, "/members/count", 1, dk, H5T_NATIVE_INT64, sizeof(int64_t), 0,
                          (void **)&cnt, err);
        if (st != IVP_OK) {
            goto done;
        }
        for (k = 0; k < K; k++) {
            if (cnt[k] < 0 || (size_t)cnt[k] > f->n_t - total) {
                st = h5r_fail(err, f,
                              "'/members/count' does not add up to the %zu points of "
                              "'/t' (member %zu)",
                              f->n_t, k);
                goto done;
            }
            f->members[k].p0 = total;
            f->members[k].run.n_points = (size_t)cnt[k];
            total += (size_t)cnt[k];
        }
        if (total != f->n_t) {
            st = h5r_fail(err, f, "'/members/count' adds up to %zu points, '/t' has %zu", total,
                          f->n_t);
            goto done;
        }
        in->run.n_points = total;
    }
    /* segments per member */
    if (in->dense) {
        size_t total = 0, xs = 0, nonempty = 0;
        int one_each;
        st = h5r_read_all(f, "/members/dense_count", 1, dk, H5T_NATIVE_INT64, sizeof(int64_t), 0,
                          (void **)&dcnt, err);
        if (st != IVP_OK) {
            goto done;
        }
        for (k = 0; k < K; k++) {
            if (dcnt[k] < 0 || (size_t)dcnt[k] > f->n_seg - total) {
                st = h5r_fail(err, f,
                              "'/members/dense_count' does not add up to the %zu "
                              "segments of '/dense/c' (member %zu)",
                              f->n_seg, k);
                goto done;
            }
            total += (size_t)dcnt[k];
            nonempty += dcnt[k] > 0;
        }
        if (total != f->n_seg) {
            st = h5r_fail(err, f,
                          "'/members/dense_count' adds up to %zu segments, '/dense/c' "
                          "has %zu",
                          total, f->n_seg);
            goto done;
        }
        /* count + 1 breakpoints per member; a member without segments may have none */
        one_each = f->n_x == f->n_seg + K;
        if (!one_each && f->n_x != f->n_seg + nonempty) {
            st = h5r_fail(err, f,
                          "'/dense/x' has %zu breakpoints; expected %zu (segments + 1 "
                          "per member)",
                          f->n_x, f->n_seg + K);
            goto done;
        }
        total = 0;
        for (k = 0; k < K; k++) {
            f->members[k].s0 = total;
            f->members[k].x0 = xs;
            f->members[k].run.n_segments = (size_t)dcnt[k];
            total += (size_t)dcnt[k];
            xs += (size_t)dcnt[k] + ((one_each || dcnt[k] > 0) ? 1 : 0);
        }
        in->run.n_segments = total;
    }
    /* parameters, y0, t_span per member */
    if (h5r_exists(f->file, "/members/params")) {
        d = h5r_dset(f, f->file, "/members/params", 2, d2, err);
        if (d < 0) {
            st = IVP_ERR_IO;
            goto done;
        }
        H5Dclose(d);
        if (d2[0] != K) {
            st = h5r_fail(err, f, "'/members/params' has %llu rows for %zu members",
                          (unsigned long long)d2[0], K);
            goto done;
        }
        in->n_params = (size_t)d2[1];
        if (h5r_names(f->file, "/members/params", in->n_params, &in->param_names) < 0) {
            st = h5r_nomem(err, f);
            goto done;
        }
        if (in->param_names == NULL && in->n_params > 0) {
            st = h5r_fail(err, f, "'/members/params' has no 'names' attribute of %zu strings",
                          in->n_params);
            goto done;
        }
        st = h5r_read_all(f, "/members/params", 2, d2, H5T_NATIVE_DOUBLE, sizeof(double), 0,
                          (void **)&f->m_params, err);
        if (st != IVP_OK) {
            goto done;
        }
    }
    d2[0] = K;
    d2[1] = in->n;
    st = h5r_read_all(f, "/members/y0", 2, d2, H5T_NATIVE_DOUBLE, sizeof(double), 1,
                      (void **)&f->m_y0, err);
    if (st != IVP_OK) {
        goto done;
    }
    d2[1] = 2;
    st = h5r_read_all(f, "/members/t_span", 2, d2, H5T_NATIVE_DOUBLE, sizeof(double), 1,
                      (void **)&f->m_tspan, err);
done:
    if (msgs != NULL) {
        for (k = 0; k < K; k++) {
            free(msgs[k]);
            free(ovr != NULL ? ovr[k] : NULL);
        }
    }
    free(msgs);
    free(ovr);
    free(i8);
    free(cnt);
    free(dcnt);
    free(v64);
    free(secs);
    return st;
}

ivp_status ivp_h5file_open(const char *path, ivp_h5file **out, ivp_error *err)
{
    ivp_h5file *f;
    struct stat sb;
    ivp_status st;
    htri_t is;
    char *vers;
    size_t i;
    int rc;

    *out = NULL;
    /* HDF5 prints its error stack by default; the messages here say what is wrong. */
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    if (stat(path, &sb) != 0) {
        return ivp_error_set(err, IVP_ERR_IO, "%s: %s", path, strerror(errno));
    }
    if (S_ISDIR(sb.st_mode)) {
        return ivp_error_set(err, IVP_ERR_IO, "%s: is a directory, not an ivp result file", path);
    }
    f = calloc(1, sizeof *f);
    if (f == NULL) {
        return ivp_error_set(err, IVP_ERR_NOMEM, "out of memory");
    }
    f->file = f->t = f->y = f->x = f->c = H5I_INVALID_HID;
    f->info.path = h5r_strdup(path);
    if (f->info.path == NULL) {
        free(f);
        return ivp_error_set(err, IVP_ERR_NOMEM, "out of memory");
    }
    is = H5Fis_hdf5(path);
    if (is <= 0) {
        st = h5r_fail(err, f, "not an HDF5 file (or a truncated one): not an ivp result file");
        goto fail;
    }
    f->file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f->file < 0) {
        st = h5r_fail(err, f, "cannot open this HDF5 file: truncated or damaged");
        goto fail;
    }
    f->info.format = h5r_attr_str(f->file, "format");
    f->info.format_version = h5r_attr_str(f->file, "format_version");
    if (f->info.format == NULL || f->info.format_version == NULL) {
        st = h5r_nomem(err, f);
        goto fail;
    }
    if (strcmp(f->info.format, "ivp-hdf5") == 0) {
        f->info.ensemble = 0;
    } else if (strcmp(f->info.format, "ivp-hdf5-ensemble") == 0) {
        f->info.ensemble = 1;
    } else if (f->info.format[0] == '\0') {
        st = h5r_fail(err, f,
                      "an HDF5 file but not an ivp result file (no 'format' attribute "
                      "\"ivp-hdf5\" or \"ivp-hdf5-ensemble\" on the root)");
        goto fail;
    } else {
        st = h5r_fail(err, f,
                      "an HDF5 file of format \"%s\", not an ivp result file "
                      "(\"ivp-hdf5\" or \"ivp-hdf5-ensemble\")",
                      f->info.format);
        goto fail;
    }
    /* Format 1.1 keeps the integer format_version 1 and adds format_minor 1: shown as "1.1". */
    if (strchr(f->info.format_version, '.') == NULL && H5Aexists(f->file, "format_minor") > 0) {
        char *minor = h5r_attr_str(f->file, "format_minor");
        int nomem = minor == NULL;
        size_t len;
        if (minor != NULL && minor[0] != '\0') {
            char *both;
            len = strlen(f->info.format_version) + 1 + strlen(minor) + 1;
            both = malloc(len);
            nomem = both == NULL;
            if (both != NULL) {
                snprintf(both, len, "%s.%s", f->info.format_version, minor);
                free(f->info.format_version);
                f->info.format_version = both;
            }
        }
        free(minor);
        if (nomem) {
            st = h5r_nomem(err, f);
            goto fail;
        }
    }
    vers = f->info.format_version;
    if (vers[0] != '\0' && strtod(vers, NULL) >= 2.0) {
        st = h5r_fail(err, f,
                      "format_version %s is newer than this reader understands (1.x); "
                      "update ivp",
                      vers);
        goto fail;
    }
    st = h5r_root_attrs(f, err);
    if (st == IVP_OK) {
        st = f->info.ensemble ? h5r_open_ensemble(f, err) : h5r_open_single(f, err);
    }
    if (st != IVP_OK) {
        goto fail;
    }
    if (f->info.ensemble) {
        /* the root status of an ensemble is the worst member's */
        int worst = 0;
        for (i = 0; i < f->info.n_members; i++) {
            if (i == 0 || f->members[i].run.status < worst) {
                worst = f->members[i].run.status;
            }
        }
        f->info.run.status = worst;
    }
    rc = h5r_names(f->file, "/y", f->info.n, &f->info.names);
    if (rc < 0) {
        st = h5r_nomem(err, f);
        goto fail;
    }
    f->info.named = rc > 0;
    if (rc == 0) {
        f->info.names = calloc(f->info.n > 0 ? f->info.n : 1, sizeof *f->info.names);
        if (f->info.names == NULL) {
            st = h5r_nomem(err, f);
            goto fail;
        }
        for (i = 0; i < f->info.n; i++) {
            char buf[32];
            snprintf(buf, sizeof buf, "y%zu", i);
            f->info.names[i] = h5r_strdup(buf);
            if (f->info.names[i] == NULL) {
                st = h5r_nomem(err, f);
                goto fail;
            }
        }
    }
    st = h5r_events(f, err);
    if (st != IVP_OK) {
        goto fail;
    }
    *out = f;
    return IVP_OK;
fail:
    ivp_h5file_close(f);
    return st;
}

static void h5r_free_strings(char **s, size_t n)
{
    size_t i;
    if (s == NULL) {
        return;
    }
    for (i = 0; i < n; i++) {
        free(s[i]);
    }
    free(s);
}

void ivp_h5file_close(ivp_h5file *f)
{
    ivp_h5info *in;
    size_t i;
    if (f == NULL) {
        return;
    }
    in = &f->info;
    if (f->ev != NULL) {
        for (i = 0; i < in->n_events; i++) {
            if (f->ev[i].t >= 0) {
                H5Dclose(f->ev[i].t);
            }
            if (f->ev[i].y >= 0) {
                H5Dclose(f->ev[i].y);
            }
            if (f->ev[i].member >= 0) {
                H5Dclose(f->ev[i].member);
            }
        }
    }
    if (in->events != NULL) {
        for (i = 0; i < in->n_events; i++) {
            free(in->events[i].name);
        }
    }
    free(in->events);
    free(f->ev);
    if (f->members != NULL && in->ensemble) {
        for (i = 0; i < in->n_members; i++) {
            free(f->members[i].run.message);
            free(f->members[i].run.overrides);
        }
    }
    free(f->members);
    if (f->t >= 0) {
        H5Dclose(f->t);
    }
    if (f->y >= 0) {
        H5Dclose(f->y);
    }
    if (f->x >= 0) {
        H5Dclose(f->x);
    }
    if (f->c >= 0) {
        H5Dclose(f->c);
    }
    if (f->file >= 0) {
        H5Fclose(f->file);
    }
    free(in->path);
    free(in->format);
    free(in->format_version);
    free(in->ivp_version);
    free(in->method);
    free(in->problem);
    free(in->plugin_sha256);
    free(in->created);
    free(in->host);
    free(in->command_line);
    free(in->shard);
    free(in->atol);
    h5r_free_strings(in->names, in->n);
    h5r_free_strings(in->param_names, in->n_params);
    free(in->params);
    free(in->y0);
    free(in->run.message);
    free(f->m_params);
    free(f->m_y0);
    free(f->m_tspan);
    free(f->scratch);
    free(f->wx);
    free(f->wc);
    free(f);
}

const ivp_h5info *ivp_h5file_info(const ivp_h5file *f)
{
    return &f->info;
}

static ivp_status h5r_check_member(ivp_h5file *f, size_t k, ivp_error *err)
{
    if (k >= f->info.n_members) {
        return ivp_error_set(err, IVP_ERR_ARG,
                             "%s: member %zu is out of range (the file has "
                             "%zu member%s: 0..%zu)",
                             f->info.path, k, f->info.n_members, f->info.n_members == 1 ? "" : "s",
                             f->info.n_members > 0 ? f->info.n_members - 1 : 0);
    }
    return IVP_OK;
}

ivp_status ivp_h5file_member(ivp_h5file *f, size_t k, ivp_h5run *run, const double **params,
                             const double **y0, const double **t_span, ivp_error *err)
{
    ivp_status st = h5r_check_member(f, k, err);
    if (st != IVP_OK) {
        return st;
    }
    *run = f->info.ensemble ? f->members[k].run : f->info.run;
    if (params != NULL) {
        *params = f->info.ensemble
                      ? (f->m_params != NULL ? f->m_params + k * f->info.n_params : NULL)
                      : f->info.params;
    }
    if (y0 != NULL) {
        *y0 = f->info.ensemble ? (f->m_y0 != NULL ? f->m_y0 + k * f->info.n : NULL) : f->info.y0;
    }
    if (t_span != NULL) {
        *t_span = f->info.ensemble     ? (f->m_tspan != NULL ? f->m_tspan + 2 * k : NULL)
                  : f->info.has_t_span ? f->info.t_span
                                       : NULL;
    }
    return IVP_OK;
}

ivp_status ivp_h5file_read(ivp_h5file *f, size_t k, size_t first, size_t count, double *t,
                           double *y, ivp_error *err)
{
    ivp_h5info *in = &f->info;
    const h5r_member *m;
    size_t n = in->n, i, j, p0;
    ivp_status st = h5r_check_member(f, k, err);
    if (st != IVP_OK) {
        return st;
    }
    m = &f->members[k];
    if (first > m->run.n_points || count > m->run.n_points - first) {
        return ivp_error_set(err, IVP_ERR_ARG,
                             "%s: points %zu..%zu of member %zu are out of "
                             "range (%zu points)",
                             in->path, first, first + count, k, m->run.n_points);
    }
    if (count == 0) {
        return IVP_OK;
    }
    p0 = (in->ensemble && !in->stacked) ? m->p0 + first : first;
    if (t != NULL) {
        hsize_t s[1] = {p0}, c[1] = {count};
        if (h5r_slab(f->t, H5T_NATIVE_DOUBLE, 1, s, c, t) != 0) {
            return h5r_fail(err, f, "cannot read '/t' (truncated or damaged file?)");
        }
    }
    if (y != NULL && n > 0) {
        int rc;
        if (f->scratch_len < n * count) {
            double *p = realloc(f->scratch, n * count * sizeof *p);
            if (p == NULL) {
                return h5r_nomem(err, f);
            }
            f->scratch = p;
            f->scratch_len = n * count;
        }
        if (in->stacked) {
            hsize_t s[3] = {k, 0, p0}, c[3] = {1, n, count};
            rc = h5r_slab(f->y, H5T_NATIVE_DOUBLE, 3, s, c, f->scratch);
        } else {
            hsize_t s[2] = {0, p0}, c[2] = {n, count};
            rc = h5r_slab(f->y, H5T_NATIVE_DOUBLE, 2, s, c, f->scratch);
        }
        if (rc != 0) {
            return h5r_fail(err, f, "cannot read '/y' (truncated or damaged file?)");
        }
        for (j = 0; j < n; j++) {
            for (i = 0; i < count; i++) {
                y[i * n + j] = f->scratch[j * count + i];
            }
        }
    }
    return IVP_OK;
}

ivp_status ivp_h5file_event(ivp_h5file *f, size_t e, size_t i, double *t, double *y, size_t *member,
                            ivp_error *err)
{
    hsize_t s1[1] = {i}, c1[1] = {1};
    if (e >= f->info.n_events || i >= f->info.events[e].count) {
        return ivp_error_set(err, IVP_ERR_ARG, "%s: no event occurrence %zu of event %zu",
                             f->info.path, i, e);
    }
    if (t != NULL && h5r_slab(f->ev[e].t, H5T_NATIVE_DOUBLE, 1, s1, c1, t) != 0) {
        return h5r_fail(err, f, "cannot read '/events/%s/t'", f->info.events[e].name);
    }
    if (y != NULL && f->info.n > 0) {
        hsize_t s2[2] = {0, i}, c2[2] = {f->info.n, 1};
        if (h5r_slab(f->ev[e].y, H5T_NATIVE_DOUBLE, 2, s2, c2, y) != 0) {
            return h5r_fail(err, f, "cannot read '/events/%s/y'", f->info.events[e].name);
        }
    }
    if (member != NULL) {
        int64_t mv = 0;
        if (f->ev[e].member >= 0 &&
            h5r_slab(f->ev[e].member, H5T_NATIVE_INT64, 1, s1, c1, &mv) != 0) {
            return h5r_fail(err, f, "cannot read '/events/%s/member'", f->info.events[e].name);
        }
        if (mv < 0 || (size_t)mv >= f->info.n_members) {
            return h5r_fail(err, f, "'/events/%s/member' names member %lld, out of range",
                            f->info.events[e].name, (long long)mv);
        }
        *member = (size_t)mv;
    }
    return IVP_OK;
}

/* ---- dense output ---------------------------------------------------------------------- */

/* Breakpoint idx (0..m) of member k. */
static int h5r_x_at(ivp_h5file *f, size_t k, size_t idx, double *v)
{
    hsize_t s[1] = {f->members[k].x0 + idx}, c[1] = {1};
    return h5r_slab(f->x, H5T_NATIVE_DOUBLE, 1, s, c, v);
}

ivp_status ivp_h5file_dense_range(ivp_h5file *f, size_t k, double *a, double *b, ivp_error *err)
{
    size_t m;
    ivp_status st = h5r_check_member(f, k, err);
    if (st != IVP_OK) {
        return st;
    }
    if (!f->info.dense) {
        return ivp_error_set(err, IVP_ERR_ARG,
                             "%s: the file has no dense output; run the "
                             "problem with \"dense_output\": true (ivp run SPEC --set "
                             "dense_output=true)",
                             f->info.path);
    }
    m = f->members[k].run.n_segments;
    if (m == 0) {
        return ivp_error_set(err, IVP_ERR_ARG,
                             "%s: %s%zu has an empty dense output (no step "
                             "was taken)",
                             f->info.path, f->info.ensemble ? "member " : "run ", k);
    }
    if (h5r_x_at(f, k, 0, a) != 0 || h5r_x_at(f, k, m, b) != 0) {
        return h5r_fail(err, f, "cannot read '/dense/x'");
    }
    return IVP_OK;
}

/* Loads the window of segments ws .. ws+wl-1 of member k. */
static ivp_status h5r_window(ivp_h5file *f, size_t k, size_t ws, size_t wl, ivp_error *err)
{
    const h5r_member *m = &f->members[k];
    size_t d1 = f->info.dense_degree + 1, n = f->info.n;
    hsize_t sx[1] = {m->x0 + ws}, cx[1] = {wl + 1};
    hsize_t sc[3] = {0, m->s0 + ws, 0}, cc[3] = {d1, wl, n};
    f->wvalid = 0;
    if (h5r_slab(f->x, H5T_NATIVE_DOUBLE, 1, sx, cx, f->wx) != 0 ||
        h5r_slab(f->c, H5T_NATIVE_DOUBLE, 3, sc, cc, f->wc) != 0) {
        return h5r_fail(err, f, "cannot read the dense output (truncated or damaged file?)");
    }
    f->wk = k;
    f->ws = ws;
    f->wl = wl;
    f->wvalid = 1;
    return IVP_OK;
}

ivp_status ivp_h5file_dense_eval(ivp_h5file *f, size_t k, double t, double *y, ivp_error *err)
{
    size_t m, d = f->info.dense_degree, n = f->info.n, seg, lo, hi, j, p, si;
    double a, b;
    int asc;
    ivp_status st = ivp_h5file_dense_range(f, k, &a, &b, err);
    if (st != IVP_OK) {
        return st;
    }
    m = f->members[k].run.n_segments;
    asc = b > a;
    if (isnan(t) || (asc ? (t < a || t > b) : (t > a || t < b))) {
        return ivp_error_set(err, IVP_ERR_ARG,
                             "%s: t = %.17g is outside the dense output's "
                             "interval [%.17g, %.17g]",
                             f->info.path, t, asc ? a : b, asc ? b : a);
    }
    if (f->wx == NULL) {
        size_t per = (d + 1) * (n > 0 ? n : 1) * sizeof(double);
        size_t cap = H5R_WINDOW_BYTES / per, maxseg = 0, i;
        for (i = 0; i < f->info.n_members; i++) {
            if (f->members[i].run.n_segments > maxseg) {
                maxseg = f->members[i].run.n_segments;
            }
        }
        cap = cap < 1 ? 1 : cap > maxseg ? maxseg : cap;
        f->wx = malloc((cap + 1) * sizeof *f->wx);
        f->wc = malloc(cap * per);
        if (f->wx == NULL || f->wc == NULL) {
            free(f->wx);
            free(f->wc);
            f->wx = f->wc = NULL;
            return h5r_nomem(err, f);
        }
        f->wcap = cap;
    }
    /* Is t's segment in the window? (x[i] <= t < x[i+1], or t = x[m] in the last segment) */
    if (f->wvalid && f->wk == k && (asc ? f->wx[0] <= t : f->wx[0] >= t) &&
        ((asc ? t < f->wx[f->wl] : t > f->wx[f->wl]) ||
         (t == f->wx[f->wl] && f->ws + f->wl == m))) {
        /* in the window */
    } else {
        double v;
        if (t == b) {
            seg = m - 1;
        } else {
            /* the largest i in [0, m-1] with x[i] <= t (>= t when decreasing) */
            lo = 0;
            hi = m - 1;
            while (lo < hi) {
                size_t mid = lo + (hi - lo + 1) / 2;
                if (h5r_x_at(f, k, mid, &v) != 0) {
                    return h5r_fail(err, f, "cannot read '/dense/x'");
                }
                if (asc ? v <= t : v >= t) {
                    lo = mid;
                } else {
                    hi = mid - 1;
                }
            }
            seg = lo;
        }
        {
            size_t wl = f->wcap < m ? f->wcap : m;
            size_t ws = seg + wl > m ? m - wl : seg;
            st = h5r_window(f, k, ws, wl, err);
            if (st != IVP_OK) {
                return st;
            }
        }
    }
    /* the segment inside the window */
    if (t == f->wx[f->wl] && f->ws + f->wl == m) {
        si = f->wl - 1;
    } else {
        lo = 0;
        hi = f->wl - 1;
        while (lo < hi) {
            size_t mid = lo + (hi - lo + 1) / 2;
            if (asc ? f->wx[mid] <= t : f->wx[mid] >= t) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        si = lo;
    }
    {
        double s = t - f->wx[si];
        size_t wl = f->wl;
        for (j = 0; j < n; j++) {
            /* as scipy's evaluate_poly1: ascending powers of s, c[d - p] * s^p */
            double res = 0.0, z = 1.0;
            for (p = 0; p <= d; p++) {
                res = res + f->wc[((d - p) * wl + si) * n + j] * z;
                if (p < d) {
                    z *= s;
                }
            }
            y[j] = res;
        }
    }
    return IVP_OK;
}
