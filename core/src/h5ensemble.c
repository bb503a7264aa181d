/* SPDX-License-Identifier: MIT
 * core/src/h5ensemble.c - the ensemble HDF5 file (ivp/h5ensemble.h).
 *
 * Every dataset is a 'column': extendible along one axis, records of a x b values (a leading
 * fixed extent, b the product of trailing fixed extents), gathered in a buffer of one chunk and
 * written a chunk at a time. Kept separate from h5sink.c (the single-run file) on purpose; the
 * error helper is the same idea.
 */
#define _POSIX_C_SOURCE 200809L

#include "ivp/h5ensemble.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hdf5.h>

#define H5E_CHUNK_BYTES ((size_t)256 << 10)
#define H5E_PATH_MAX 320

typedef struct h5e_col {
    char path[H5E_PATH_MAX];
    hid_t dset;
    hid_t ftype, mtype; /* file and memory types (mtype owned when 'strings') */
    size_t esize;       /* bytes per element in memory */
    int has_a;          /* a leading fixed axis (n of /y (n, P)) */
    size_t a;
    int ntr; /* trailing fixed axes: 0, 1 or 2 */
    size_t tr[2];
    size_t b;           /* product of tr */
    size_t cn;          /* records per chunk */
    size_t count;       /* records in buf */
    hsize_t len;        /* records in the file */
    unsigned char *buf; /* a x cn x b elements */
    int strings;        /* elements are char * (owned until written) */
} h5e_col;

enum {
    C_STATUS,
    C_MESSAGE,
    C_NFEV,
    C_NJEV,
    C_NLU,
    C_NSTEPS,
    C_NREJ,
    C_SECONDS,
    C_PARAMS,
    C_Y0,
    C_TSPAN,
    C_OVERRIDES,
    C_COUNT,
    C_DCOUNT,
    C_T,
    C_Y,
    C_DX,
    C_DC,
    C_FIXED /* events follow: 3 per event */
};

struct ivp_h5ens {
    char *path;
    ivp_outfile out;
    ivp_h5ens_config cfg;
    int stacked;
    hid_t file;
    h5e_col *cols;
    size_t n_cols;
    int used[C_FIXED];
    double *rec; /* one record (stacked /y: n x N) */
    size_t rec_cap;
    size_t k; /* members written */
    size_t n_failed, n_interrupted;
    int failed;
    ivp_error err;
};

/* ---- errors ---- */

typedef struct h5e_reason {
    char text[256];
    int found;
} h5e_reason;

static herr_t h5e_walk(unsigned n, const H5E_error2_t *e, void *ud)
{
    h5e_reason *r = ud;
    (void)n;
    if (!r->found && e != NULL && e->desc != NULL) {
        snprintf(r->text, sizeof r->text, "%s", e->desc);
        r->found = 1;
    }
    return 0;
}

static int h5e_fail(ivp_h5ens *w, const char *what, const char *where)
{
    if (!w->failed) {
        h5e_reason r;
        r.found = 0;
        r.text[0] = '\0';
        if (H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, h5e_walk, &r) < 0 || !r.found) {
            snprintf(r.text, sizeof r.text, "unknown HDF5 error");
        }
        ivp_error_set(&w->err, IVP_ERR_IO, "%s: cannot write output: HDF5 failed %s %s: %s",
                      w->path, what, where, r.text);
        w->failed = 1;
    }
    H5Eclear2(H5E_DEFAULT);
    return -1;
}

static int h5e_nomem(ivp_h5ens *w)
{
    if (!w->failed) {
        ivp_error_set(&w->err, IVP_ERR_NOMEM, "%s: out of memory", w->path);
        w->failed = 1;
    }
    return -1;
}

/* ---- columns ---- */

static int col_dims(const h5e_col *c, hsize_t along, hsize_t *d)
{
    int r = 0, i;
    if (c->has_a) {
        d[r++] = c->a;
    }
    d[r++] = along;
    for (i = 0; i < c->ntr; i++) {
        d[r++] = c->tr[i];
    }
    return r;
}

/* Creates the column's dataset (empty, extendible) and its buffer; cap_records bounds the
 * chunk (0: none). */
static int col_create(ivp_h5ens *w, h5e_col *c, size_t cap_records)
{
    hsize_t dims[4], maxd[4], chunk[4];
    hid_t space = H5I_INVALID_HID, dcpl = H5I_INVALID_HID, dapl = H5I_INVALID_HID;
    size_t rec_bytes = (c->has_a ? c->a : 1) * c->b * c->esize;
    int rank, i, rc = -1;
    if (rec_bytes == 0) {
        rec_bytes = 1;
    }
    /* strings: the buffer holds pointers to copies; 4096 of them at a time */
    c->cn = c->strings ? 4096 : H5E_CHUNK_BYTES / rec_bytes;
    if (c->cn < 1) {
        c->cn = 1;
    }
    if (cap_records > 0 && c->cn > cap_records) {
        c->cn = cap_records;
    }
    c->buf = calloc((c->has_a ? c->a : 1) * c->cn * (c->b > 0 ? c->b : 1), c->esize);
    if (c->buf == NULL) {
        return h5e_nomem(w);
    }
    rank = col_dims(c, 0, dims);
    col_dims(c, H5S_UNLIMITED, maxd);
    col_dims(c, c->cn, chunk);
    for (i = 0; i < rank; i++) {
        if (chunk[i] == 0) {
            chunk[i] = 1;
        }
    }
    space = H5Screate_simple(rank, dims, maxd);
    dcpl = H5Pcreate(H5P_DATASET_CREATE);
    if (space < 0 || dcpl < 0 || H5Pset_chunk(dcpl, rank, chunk) < 0 ||
        H5Pset_obj_track_times(dcpl, 0) < 0) {
        h5e_fail(w, "creating", c->path);
        goto done;
    }
    /* every chunk is written whole, once: no chunk cache */
    dapl = H5Pcreate(H5P_DATASET_ACCESS);
    if (dapl < 0 || H5Pset_chunk_cache(dapl, 0, 0, H5D_CHUNK_CACHE_W0_DEFAULT) < 0) {
        h5e_fail(w, "creating", c->path);
        goto done;
    }
    c->dset = H5Dcreate2(w->file, c->path, c->ftype, space, H5P_DEFAULT, dcpl, dapl);
    if (c->dset < 0) {
        h5e_fail(w, "creating", c->path);
        goto done;
    }
    rc = 0;
done:
    if (space >= 0) {
        H5Sclose(space);
    }
    if (dcpl >= 0) {
        H5Pclose(dcpl);
    }
    if (dapl >= 0) {
        H5Pclose(dapl);
    }
    return rc;
}

static int col_flush(ivp_h5ens *w, h5e_col *c)
{
    hsize_t dims[4], start[4], count[4], mdims[4];
    hid_t fspace = H5I_INVALID_HID, mspace = H5I_INVALID_HID;
    int rank, i, rc = -1;
    if (c->count == 0 || c->dset < 0) {
        return 0;
    }
    rank = col_dims(c, c->len + c->count, dims);
    col_dims(c, c->count, count);
    col_dims(c, c->cn, mdims);
    for (i = 0; i < rank; i++) {
        start[i] = 0;
    }
    start[c->has_a ? 1 : 0] = c->len;
    if (H5Dset_extent(c->dset, dims) < 0 || (fspace = H5Dget_space(c->dset)) < 0 ||
        H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, NULL, count, NULL) < 0 ||
        (mspace = H5Screate_simple(rank, mdims, NULL)) < 0) {
        h5e_fail(w, "extending", c->path);
        goto done;
    }
    for (i = 0; i < rank; i++) {
        start[i] = 0;
    }
    if (H5Sselect_hyperslab(mspace, H5S_SELECT_SET, start, NULL, count, NULL) < 0 ||
        H5Dwrite(c->dset, c->mtype, mspace, fspace, H5P_DEFAULT, c->buf) < 0) {
        h5e_fail(w, "writing", c->path);
        goto done;
    }
    rc = 0;
done:
    if (c->strings) {
        char **sp = (char **)(void *)c->buf;
        for (i = 0; (size_t)i < c->count; i++) {
            free(sp[i]);
            sp[i] = NULL;
        }
    }
    c->len += c->count;
    c->count = 0;
    if (fspace >= 0) {
        H5Sclose(fspace);
    }
    if (mspace >= 0) {
        H5Sclose(mspace);
    }
    return rc;
}

/* Appends one record of a x b elements (row-major, a slowest). */
static int col_push(ivp_h5ens *w, h5e_col *c, const void *rec)
{
    size_t a = c->has_a ? c->a : 1, i;
    const unsigned char *src = rec;
    for (i = 0; i < a; i++) {
        memcpy(c->buf + ((i * c->cn + c->count) * c->b) * c->esize, src + i * c->b * c->esize,
               c->b * c->esize);
    }
    c->count++;
    return c->count == c->cn ? col_flush(w, c) : 0;
}

static int col_push_i64(ivp_h5ens *w, h5e_col *c, int64_t v)
{
    return col_push(w, c, &v);
}

static int col_push_str(ivp_h5ens *w, h5e_col *c, const char *s)
{
    size_t len = strlen(s);
    char *copy = malloc(len + 1);
    if (copy == NULL) {
        return h5e_nomem(w);
    }
    memcpy(copy, s, len + 1);
    return col_push(w, c, &copy);
}

static void col_close(h5e_col *c)
{
    if (c->strings && c->buf != NULL) {
        char **sp = (char **)(void *)c->buf;
        size_t i;
        for (i = 0; i < c->count; i++) {
            free(sp[i]);
        }
    }
    free(c->buf);
    c->buf = NULL;
    if (c->dset >= 0) {
        H5Dclose(c->dset);
        c->dset = H5I_INVALID_HID;
    }
    if (c->strings && c->mtype >= 0) {
        H5Tclose(c->mtype);
        c->mtype = H5I_INVALID_HID;
    }
}

/* Sets up column i: path, kind ('d' double, 'l' int64, 'b' int8, 's' string), leading extent
 * (0: none), trailing extents. */
static int col_def(ivp_h5ens *w, size_t i, const char *path, char kind, size_t a, int ntr,
                   size_t t0, size_t t1, size_t cap_records)
{
    h5e_col *c = &w->cols[i];
    snprintf(c->path, sizeof c->path, "%s", path);
    c->dset = H5I_INVALID_HID;
    c->has_a = a > 0;
    c->a = a;
    c->ntr = ntr;
    c->tr[0] = t0;
    c->tr[1] = t1;
    c->b = (ntr >= 1 ? t0 : 1) * (ntr >= 2 ? t1 : 1);
    switch (kind) {
    case 'l':
        c->ftype = H5T_STD_I64LE;
        c->mtype = H5T_NATIVE_INT64;
        c->esize = sizeof(int64_t);
        break;
    case 'b':
        c->ftype = H5T_STD_I8LE;
        c->mtype = H5T_NATIVE_INT8;
        c->esize = sizeof(int8_t);
        break;
    case 's':
        c->strings = 1;
        c->mtype = H5Tcopy(H5T_C_S1);
        if (c->mtype < 0 || H5Tset_size(c->mtype, H5T_VARIABLE) < 0 ||
            H5Tset_cset(c->mtype, H5T_CSET_UTF8) < 0) {
            return h5e_fail(w, "making the string type of", path);
        }
        c->ftype = c->mtype;
        c->esize = sizeof(char *);
        break;
    default:
        c->ftype = H5T_IEEE_F64LE;
        c->mtype = H5T_NATIVE_DOUBLE;
        c->esize = sizeof(double);
        break;
    }
    return col_create(w, c, cap_records);
}

/* ---- attributes ---- */

static int h5e_attr(ivp_h5ens *w, hid_t obj, const char *name, hid_t ftype, hid_t mtype,
                    const hsize_t *dims, const void *value)
{
    hid_t space = dims != NULL ? H5Screate_simple(1, dims, NULL) : H5Screate(H5S_SCALAR);
    hid_t attr = H5I_INVALID_HID;
    int rc = -1;
    if (space >= 0) {
        attr = H5Acreate2(obj, name, ftype, space, H5P_DEFAULT, H5P_DEFAULT);
        if (attr >= 0 && H5Awrite(attr, mtype, value) >= 0) {
            rc = 0;
        }
    }
    if (attr >= 0 && H5Aclose(attr) < 0) {
        rc = -1;
    }
    if (space >= 0) {
        H5Sclose(space);
    }
    return rc != 0 ? h5e_fail(w, "writing the attribute", name) : 0;
}

/* A string attribute, or an array of n strings when n > 0 (values[0..n)). */
static int h5e_attr_strs(ivp_h5ens *w, hid_t obj, const char *name, const char *const *values,
                         size_t n)
{
    hid_t type = H5Tcopy(H5T_C_S1);
    hsize_t d = n;
    int rc;
    if (type < 0 || H5Tset_size(type, H5T_VARIABLE) < 0 || H5Tset_cset(type, H5T_CSET_UTF8) < 0) {
        rc = h5e_fail(w, "making the string type of", name);
    } else {
        rc = h5e_attr(w, obj, name, type, type, n > 0 ? &d : NULL, values);
    }
    if (type >= 0) {
        H5Tclose(type);
    }
    return rc;
}

static int h5e_attr_str(ivp_h5ens *w, const char *name, const char *value)
{
    const char *v = value != NULL ? value : "";
    return h5e_attr_strs(w, w->file, name, &v, 0);
}

static int h5e_attr_i64(ivp_h5ens *w, const char *name, int64_t v)
{
    return h5e_attr(w, w->file, name, H5T_STD_I64LE, H5T_NATIVE_INT64, NULL, &v);
}

static int h5e_attr_f64(ivp_h5ens *w, const char *name, double v)
{
    return h5e_attr(w, w->file, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, NULL, &v);
}

/* ---- open / write / finish ---- */

static void h5e_free(ivp_h5ens *w)
{
    size_t i;
    for (i = 0; i < w->n_cols; i++) {
        col_close(&w->cols[i]);
    }
    free(w->cols);
    if (w->file >= 0) {
        H5Fclose(w->file);
        w->file = H5I_INVALID_HID;
    }
    ivp_outfile_discard(&w->out);
    free(w->rec);
    free(w->path);
    free(w);
}

static int h5e_group(ivp_h5ens *w, const char *path)
{
    hid_t g = H5Gcreate2(w->file, path, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0 || H5Gclose(g) < 0) {
        return h5e_fail(w, "creating", path);
    }
    return 0;
}

ivp_status ivp_h5ens_open(const ivp_h5ens_config *cfg, ivp_h5ens **out, ivp_error *err)
{
    ivp_h5ens *w;
    hid_t fapl = H5I_INVALID_HID;
    size_t K, n, i;
    ivp_status st;
    *out = NULL;
    if (cfg == NULL || cfg->path == NULL || cfg->n == 0 || cfg->n_members == 0 ||
        (cfg->n_events > 0 && cfg->event_names == NULL) ||
        (cfg->np > 0 && cfg->param_names == NULL)) {
        return ivp_error_set(err, IVP_ERR_ARG, "ivp_h5ens_open: invalid configuration");
    }
    w = calloc(1, sizeof *w);
    if (w == NULL) {
        return ivp_error_set(err, IVP_ERR_NOMEM, "%s: out of memory", cfg->path);
    }
    w->file = H5I_INVALID_HID;
    w->cfg = *cfg;
    w->path = malloc(strlen(cfg->path) + 1);
    w->n_cols = C_FIXED + 3 * cfg->n_events;
    w->cols = calloc(w->n_cols, sizeof *w->cols);
    if (w->path == NULL || w->cols == NULL) {
        free(w->path);
        free(w->cols);
        free(w);
        return ivp_error_set(err, IVP_ERR_NOMEM, "%s: out of memory", cfg->path);
    }
    strcpy(w->path, cfg->path);
    for (i = 0; i < w->n_cols; i++) {
        w->cols[i].dset = H5I_INVALID_HID;
        w->cols[i].mtype = H5I_INVALID_HID;
    }
    w->n_cols = 0; /* columns made so far (closed by h5e_free) */
    st = ivp_outfile_create(&w->out, w->path, err);
    if (st != IVP_OK) {
        h5e_free(w);
        return st;
    }
    (void)H5dont_atexit();
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl < 0 || H5Pset_libver_bounds(fapl, H5F_LIBVER_V18, H5F_LIBVER_V18) < 0 ||
        H5Pset_file_locking(fapl, 1, 1) < 0) {
        h5e_fail(w, "setting up", "the file");
        goto fail;
    }
    w->file = H5Fcreate(w->out.temp, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    H5Pclose(fapl);
    fapl = H5I_INVALID_HID;
    if (w->file < 0) {
        w->file = H5I_INVALID_HID;
        h5e_fail(w, "creating", w->out.temp);
        goto fail;
    }
    K = cfg->n_members;
    n = cfg->n;
    w->stacked = cfg->t_eval != NULL && cfg->n_t_eval > 0;
    if (h5e_group(w, "/members") != 0 || h5e_group(w, "/events") != 0 ||
        (cfg->dense && h5e_group(w, "/dense") != 0)) {
        goto fail;
    }
#define DEF(idx, ...)                                                                              \
    do {                                                                                           \
        w->n_cols = (idx) + 1 > w->n_cols ? (idx) + 1 : w->n_cols;                                 \
        w->used[(idx)] = 1;                                                                        \
        if (col_def(w, (idx), __VA_ARGS__) != 0) {                                                 \
            goto fail;                                                                             \
        }                                                                                          \
    } while (0)
    DEF(C_STATUS, "/members/status", 'b', 0, 0, 0, 0, K);
    DEF(C_MESSAGE, "/members/message", 's', 0, 0, 0, 0, K);
    DEF(C_NFEV, "/members/nfev", 'l', 0, 0, 0, 0, K);
    DEF(C_NJEV, "/members/njev", 'l', 0, 0, 0, 0, K);
    DEF(C_NLU, "/members/nlu", 'l', 0, 0, 0, 0, K);
    DEF(C_NSTEPS, "/members/n_steps", 'l', 0, 0, 0, 0, K);
    DEF(C_NREJ, "/members/n_rejected", 'l', 0, 0, 0, 0, K);
    DEF(C_SECONDS, "/members/solve_seconds", 'd', 0, 0, 0, 0, K);
    DEF(C_PARAMS, "/members/params", 'd', 0, 1, cfg->np, 0, K);
    DEF(C_Y0, "/members/y0", 'd', 0, 1, n, 0, K);
    DEF(C_TSPAN, "/members/t_span", 'd', 0, 1, 2, 0, K);
    DEF(C_OVERRIDES, "/members/overrides", 's', 0, 0, 0, 0, K);
    DEF(C_COUNT, "/members/count", 'l', 0, 0, 0, 0, K);
    if (cfg->dense) {
        DEF(C_DCOUNT, "/members/dense_count", 'l', 0, 0, 0, 0, K);
        DEF(C_DX, "/dense/x", 'd', 0, 0, 0, 0, 0);
        DEF(C_DC, "/dense/c", 'd', cfg->dense_degree + 1, 1, n, 0, 0);
    }
    if (w->stacked) {
        DEF(C_Y, "/y", 'd', 0, 2, n, cfg->n_t_eval, K);
        /* /t: the common output times, once */
        {
            hsize_t d = cfg->n_t_eval;
            hid_t sp = H5Screate_simple(1, &d, NULL), ds;
            if (sp < 0) {
                h5e_fail(w, "creating", "/t");
                goto fail;
            }
            ds = H5Dcreate2(w->file, "/t", H5T_IEEE_F64LE, sp, H5P_DEFAULT, H5P_DEFAULT,
                            H5P_DEFAULT);
            H5Sclose(sp);
            if (ds < 0 ||
                H5Dwrite(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, cfg->t_eval) < 0) {
                if (ds >= 0) {
                    H5Dclose(ds);
                }
                h5e_fail(w, "writing", "/t");
                goto fail;
            }
            H5Dclose(ds);
        }
    } else {
        DEF(C_T, "/t", 'd', 0, 0, 0, 0, 0);
        DEF(C_Y, "/y", 'd', n, 0, 0, 0, 0);
    }
    for (i = 0; i < cfg->n_events; i++) {
        char g[H5E_PATH_MAX], p[H5E_PATH_MAX];
        snprintf(g, sizeof g, "/events/%.200s", cfg->event_names[i]);
        if (h5e_group(w, g) != 0) {
            goto fail;
        }
        snprintf(p, sizeof p, "%.300s/t", g);
        w->n_cols = C_FIXED + 3 * i + 1;
        if (col_def(w, C_FIXED + 3 * i, p, 'd', 0, 0, 0, 0, 0) != 0) {
            goto fail;
        }
        snprintf(p, sizeof p, "%.300s/y", g);
        w->n_cols++;
        if (col_def(w, C_FIXED + 3 * i + 1, p, 'd', n, 0, 0, 0, 0) != 0) {
            goto fail;
        }
        snprintf(p, sizeof p, "%.300s/member", g);
        w->n_cols++;
        if (col_def(w, C_FIXED + 3 * i + 2, p, 'l', 0, 0, 0, 0, 0) != 0) {
            goto fail;
        }
    }
#undef DEF
    w->n_cols = C_FIXED + 3 * cfg->n_events;
    if (cfg->np > 0) {
        h5e_attr_strs(w, w->cols[C_PARAMS].dset, "names", cfg->param_names, cfg->np);
        if (w->failed) {
            goto fail;
        }
    }
    *out = w;
    return IVP_OK;
fail:
    if (w->n_cols < C_FIXED + 3 * cfg->n_events) {
        w->n_cols = C_FIXED + 3 * cfg->n_events; /* unused columns are zeroed and harmless */
    }
    st = ivp_error_set(err, w->err.status, "%s", w->err.msg);
    h5e_free(w);
    return st;
}

static int h5e_grow_rec(ivp_h5ens *w, size_t need)
{
    if (need > w->rec_cap) {
        double *q = realloc(w->rec, need * sizeof *q);
        if (q == NULL) {
            return h5e_nomem(w);
        }
        w->rec = q;
        w->rec_cap = need;
    }
    return 0;
}

static int64_t h5e_i64(unsigned long v)
{
    return v > (unsigned long)INT64_MAX ? INT64_MAX : (int64_t)v;
}

ivp_status ivp_h5ens_write(ivp_h5ens *w, const ivp_ensemble_out *m, const char *overrides,
                           ivp_error *err)
{
    const ivp_memsink *d = m->data;
    const ivp_result *res = m->res;
    size_t n = w->cfg.n, i, j;
    int rc = 0;
    int8_t st8;
    double ts[2];
    if (w->failed) {
        return ivp_error_set(err, w->err.status, "%s", w->err.msg);
    }
    if (m->k != w->k) {
        return ivp_error_set(err, IVP_ERR_ARG, "ivp_h5ens_write: member %zu came before %zu", m->k,
                             w->k);
    }
    st8 = (int8_t)res->status;
    rc |= col_push(w, &w->cols[C_STATUS], &st8);
    rc |= col_push_str(w, &w->cols[C_MESSAGE], res->message);
    rc |= col_push_i64(w, &w->cols[C_NFEV], h5e_i64(res->nfev));
    rc |= col_push_i64(w, &w->cols[C_NJEV], h5e_i64(res->njev));
    rc |= col_push_i64(w, &w->cols[C_NLU], h5e_i64(res->nlu));
    rc |= col_push_i64(w, &w->cols[C_NSTEPS], h5e_i64(res->n_steps));
    rc |= col_push_i64(w, &w->cols[C_NREJ], h5e_i64(res->n_rejected));
    rc |= col_push(w, &w->cols[C_SECONDS], &res->solve_seconds);
    if (w->cfg.np > 0) {
        rc |= col_push(w, &w->cols[C_PARAMS], m->params);
    }
    rc |= col_push(w, &w->cols[C_Y0], m->y0);
    ts[0] = m->t0;
    ts[1] = m->t_end;
    rc |= col_push(w, &w->cols[C_TSPAN], ts);
    rc |= col_push_str(w, &w->cols[C_OVERRIDES], overrides != NULL ? overrides : "{}");
    rc |= col_push_i64(w, &w->cols[C_COUNT], (int64_t)d->n_points);
    if (w->stacked) {
        size_t N = w->cfg.n_t_eval;
        if (h5e_grow_rec(w, n * N) != 0) {
            goto fail;
        }
        for (i = 0; i < n; i++) {
            for (j = 0; j < N; j++) {
                w->rec[i * N + j] = j < d->n_points ? d->y[j * n + i] : (double)NAN;
            }
        }
        rc |= col_push(w, &w->cols[C_Y], w->rec);
    } else {
        for (j = 0; j < d->n_points; j++) {
            rc |= col_push(w, &w->cols[C_T], &d->t[j]);
            rc |= col_push(w, &w->cols[C_Y], &d->y[j * n]);
        }
    }
    for (j = 0; j < d->n_ev; j++) {
        size_t e = d->ev_k[j];
        if (e < w->cfg.n_events) {
            rc |= col_push(w, &w->cols[C_FIXED + 3 * e], &d->ev_t[j]);
            rc |= col_push(w, &w->cols[C_FIXED + 3 * e + 1], &d->ev_y[j * n]);
            rc |= col_push_i64(w, &w->cols[C_FIXED + 3 * e + 2], (int64_t)m->k);
        }
    }
    if (w->cfg.dense) {
        size_t per = (w->cfg.dense_degree + 1) * n;
        rc |= col_push_i64(w, &w->cols[C_DCOUNT], (int64_t)d->n_seg);
        rc |= col_push(w, &w->cols[C_DX], d->n_seg > 0 ? &d->seg_t[0] : &m->t0);
        for (j = 0; j < d->n_seg; j++) {
            rc |= col_push(w, &w->cols[C_DX], &d->seg_t[2 * j + 1]);
            rc |= col_push(w, &w->cols[C_DC], &d->seg_c[j * per]);
        }
    }
    if (rc != 0 || w->failed) {
        goto fail;
    }
    if (res->status == -1) {
        w->n_failed++;
    } else if (res->status == -2) {
        w->n_interrupted++;
    }
    w->k++;
    return IVP_OK;
fail:
    return ivp_error_set(err, w->err.status != IVP_OK ? w->err.status : IVP_ERR_IO, "%s",
                         w->err.msg);
}

ivp_status ivp_h5ens_finish(ivp_h5ens *w, const ivp_h5ens_meta *meta, ivp_error *err)
{
    size_t i;
    int rc = 0;
    ivp_status st;
    hsize_t n = w->cfg.n;
    if (w->failed) {
        goto fail;
    }
    if (w->k != w->cfg.n_members) {
        ivp_error_set(&w->err, IVP_ERR_ARG, "%s: only %zu of %zu members were written", w->path,
                      w->k, w->cfg.n_members);
        goto fail;
    }
    for (i = 0; i < w->n_cols; i++) {
        if (w->cols[i].buf != NULL && col_flush(w, &w->cols[i]) != 0) {
            goto fail;
        }
    }
    rc |= h5e_attr_str(w, "format", "ivp-hdf5-ensemble");
    rc |= h5e_attr_i64(w, "format_version", 1);
    rc |= h5e_attr_str(w, "ivp_version", IVP_VERSION);
    rc |= h5e_attr_str(w, "layout", w->stacked ? "stacked" : "ragged");
    rc |= h5e_attr_str(w, "method", meta->method);
    rc |= h5e_attr_f64(w, "rtol", meta->rtol);
    if (meta->atol_vec != NULL) {
        rc |= h5e_attr(w, w->file, "atol", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &n, meta->atol_vec);
    } else {
        rc |= h5e_attr_f64(w, "atol", meta->atol);
    }
    rc |= h5e_attr_str(w, "problem", meta->problem);
    rc |= h5e_attr_str(w, "plugin_sha256", meta->plugin_sha256);
    rc |= h5e_attr_i64(w, "n_members", (int64_t)w->cfg.n_members);
    rc |= h5e_attr_i64(w, "n_failed", (int64_t)w->n_failed);
    rc |= h5e_attr_i64(w, "n_interrupted", (int64_t)w->n_interrupted);
    if (meta->shard != NULL) {
        rc |= h5e_attr_str(w, "shard", meta->shard);
    }
    if (rc != 0) {
        goto fail;
    }
    for (i = 0; i < w->n_cols; i++) {
        col_close(&w->cols[i]);
    }
    if (H5Fclose(w->file) < 0) {
        w->file = H5I_INVALID_HID;
        h5e_fail(w, "closing", w->out.temp);
        goto fail;
    }
    w->file = H5I_INVALID_HID;
    if (ivp_outfile_commit(&w->out, &w->err) != IVP_OK) {
        w->failed = 1;
        goto fail;
    }
    h5e_free(w);
    ivp_error_clear(err);
    return IVP_OK;
fail:
    st = ivp_error_set(err, w->err.status != IVP_OK ? w->err.status : IVP_ERR_IO, "%s", w->err.msg);
    h5e_free(w);
    return st;
}

void ivp_h5ens_discard(ivp_h5ens *w)
{
    if (w != NULL) {
        h5e_free(w);
    }
}

const char *ivp_h5ens_temp_path(const ivp_h5ens *w)
{
    return w->out.temp;
}
