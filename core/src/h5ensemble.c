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

#include "h5util.h"

#define H5E_CHUNK_BYTES ((size_t)256 << 10)
#define H5E_PATH_MAX 320

typedef struct h5e_col {
    char path[H5E_PATH_MAX];
    hid_t dset;
    hid_t info_dset;    /* its copy under /info (h5e_info), or H5I_INVALID_HID */
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
    int strings;        /* elements are char *: until written, offsets (size_t) into pool */
    char *pool;         /* the strings in buf, one after the other (kept from chunk to chunk) */
    size_t pool_len, pool_cap;
    size_t longest; /* bytes of the longest string written (without its NUL) */
    char *first;    /* a copy of the first string written */
    int all_same;   /* every string written so far equals 'first' */
} h5e_col;

/* A string column's element holds an offset into its pool until the chunk is written. */
_Static_assert(sizeof(size_t) == sizeof(char *), "offsets are kept in place of pointers");

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
    C_FIXED /* events follow: 3 per event, then one per method statistic */
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
    /* H5Dwrite's transfer: our own type-conversion buffer, made once, so that writing a chunk
     * does not make HDF5 allocate (and clear) its default 1 MiB one each time */
    hid_t dxpl;
    void *tconv;
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

/* The numeric /members columns that /info repeats (without attributes) for Octave, which
 * cannot read /members when it holds variable-length strings (see h5e_info). */
static const char *const h5e_info_copies[] = {
    "status",        "nfev", "njev",   "nlu",   "n_steps", "n_rejected",
    "solve_seconds", "y0",   "t_span", "count", "params",  "dense_count"};

/* The name under /info of column c's copy, or NULL when /info has none. */
static const char *h5e_info_copy(const ivp_h5ens *w, const h5e_col *c)
{
    const char *name;
    size_t i;
    if (strncmp(c->path, "/members/", 9) != 0) {
        return NULL;
    }
    name = c->path + 9;
    if ((strcmp(name, "params") == 0 && w->cfg.np == 0) ||
        (strcmp(name, "dense_count") == 0 && !w->cfg.dense)) {
        return NULL;
    }
    for (i = 0; i < sizeof h5e_info_copies / sizeof h5e_info_copies[0]; i++) {
        if (strcmp(name, h5e_info_copies[i]) == 0) {
            return name;
        }
    }
    return NULL;
}

/* Creates the column's dataset (empty, extendible), its copy under /info if it has one (the
 * same type, shape and chunks; written chunk by chunk with it), and its buffer; cap_records
 * bounds the chunk (0: none). */
static int col_create(ivp_h5ens *w, h5e_col *c, size_t cap_records)
{
    const char *copy = h5e_info_copy(w, c);
    hsize_t dims[4], maxd[4], chunk[4];
    hid_t space = H5I_INVALID_HID, dcpl = H5I_INVALID_HID, dapl = H5I_INVALID_HID;
    size_t rec_bytes = (c->has_a ? c->a : 1) * c->b * c->esize;
    int rank, i, rc = -1;
    if (rec_bytes == 0) {
        rec_bytes = 1;
    }
    /* strings: the buffer holds one offset (then pointer) a string; 4096 of them at a time */
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
    if (copy != NULL) {
        char ipath[H5E_PATH_MAX];
        snprintf(ipath, sizeof ipath, "/info/%s", copy);
        c->info_dset = H5Dcreate2(w->file, ipath, c->ftype, space, H5P_DEFAULT, dcpl, dapl);
        if (c->info_dset < 0) {
            h5e_fail(w, "creating", ipath);
            goto done;
        }
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
    hsize_t dims[4], start[4], count[4], mdims[4], zero[4] = {0, 0, 0, 0};
    hid_t fspace = H5I_INVALID_HID, mspace = H5I_INVALID_HID, ispace = H5I_INVALID_HID;
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
    if (c->strings) {
        unsigned char *e = c->buf;
        for (i = 0; (size_t)i < c->count; i++, e += sizeof(char *)) {
            size_t off;
            char *ptr;
            memcpy(&off, e, sizeof off);
            ptr = c->pool + off;
            memcpy(e, &ptr, sizeof ptr);
        }
    }
    if (H5Dset_extent(c->dset, dims) < 0 || (fspace = H5Dget_space(c->dset)) < 0 ||
        H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, NULL, count, NULL) < 0 ||
        (mspace = H5Screate_simple(rank, mdims, NULL)) < 0) {
        h5e_fail(w, "extending", c->path);
        goto done;
    }
    if (H5Sselect_hyperslab(mspace, H5S_SELECT_SET, zero, NULL, count, NULL) < 0 ||
        H5Dwrite(c->dset, c->mtype, mspace, fspace, w->dxpl, c->buf) < 0) {
        h5e_fail(w, "writing", c->path);
        goto done;
    }
    if (c->info_dset >= 0 &&
        (H5Dset_extent(c->info_dset, dims) < 0 || (ispace = H5Dget_space(c->info_dset)) < 0 ||
         H5Sselect_hyperslab(ispace, H5S_SELECT_SET, start, NULL, count, NULL) < 0 ||
         H5Dwrite(c->info_dset, c->mtype, mspace, ispace, w->dxpl, c->buf) < 0)) {
        h5e_fail(w, "writing the /info copy of", c->path);
        goto done;
    }
    ivp_outfile_written(&w->out, (c->info_dset >= 0 ? 2u : 1u) * c->count * (c->has_a ? c->a : 1) *
                                     c->b * c->esize);
    rc = 0;
done:
    c->pool_len = 0;
    c->len += c->count;
    c->count = 0;
    if (fspace >= 0) {
        H5Sclose(fspace);
    }
    if (ispace >= 0) {
        H5Sclose(ispace);
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

/* Appends a string: copied into the column's pool (which grows to the largest chunk's strings
 * and is then reused, so writing allocates nothing per member). */
static int col_push_str(ivp_h5ens *w, h5e_col *c, const char *s)
{
    size_t len = strlen(s) + 1, off = c->pool_len;
    if (c->len + c->count == 0) {
        free(c->first);
        c->first = malloc(len);
        if (c->first == NULL) {
            return h5e_nomem(w);
        }
        memcpy(c->first, s, len);
        c->all_same = 1;
    } else if (c->all_same && strcmp(s, c->first) != 0) {
        c->all_same = 0;
    }
    if (len > c->pool_cap - c->pool_len) {
        size_t cap = c->pool_cap > 0 ? c->pool_cap : 4096;
        char *q;
        while (len > cap - c->pool_len) {
            cap *= 2;
        }
        q = realloc(c->pool, cap);
        if (q == NULL) {
            return h5e_nomem(w);
        }
        c->pool = q;
        c->pool_cap = cap;
    }
    memcpy(c->pool + off, s, len);
    c->pool_len += len;
    if (len - 1 > c->longest) {
        c->longest = len - 1;
    }
    return col_push(w, c, &off);
}

static void col_close(h5e_col *c)
{
    free(c->pool);
    c->pool = NULL;
    free(c->first);
    c->first = NULL;
    free(c->buf);
    c->buf = NULL;
    if (c->dset >= 0) {
        H5Dclose(c->dset);
        c->dset = H5I_INVALID_HID;
    }
    if (c->info_dset >= 0) {
        H5Dclose(c->info_dset);
        c->info_dset = H5I_INVALID_HID;
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
    return ivp_h5_attr(obj, name, ftype, mtype, dims, value) != 0
               ? h5e_fail(w, "writing the attribute", name)
               : 0;
}

/* A string attribute, or an array of n strings when n > 0 (values[0..n)). */
static int h5e_attr_strs(ivp_h5ens *w, hid_t obj, const char *name, const char *const *values,
                         size_t n)
{
    hid_t type = ivp_h5_str_type(0);
    hsize_t d = n;
    int rc;
    if (type < 0) {
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
    if (w->dxpl >= 0) {
        H5Pclose(w->dxpl);
    }
    free(w->tconv);
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

/* /events/<name> of event i, with (when the plugin's order is known) the attributes index,
 * direction and terminal as the single-run file has them (h5sink.c). */
static int h5e_event_group(ivp_h5ens *w, const char *path, size_t i)
{
    const ivp_event_opts *o = w->cfg.event_opts != NULL ? &w->cfg.event_opts[i] : NULL;
    hid_t g = H5Gcreate2(w->file, path, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    const char *what = NULL;
    int rc = 0;
    if (g < 0) {
        return h5e_fail(w, "creating", path);
    }
    if (w->cfg.event_order_known && ivp_h5_event_attrs(g, i, o, &what) != 0) {
        rc = h5e_fail(w, "writing the attribute", what);
    }
    if (H5Gclose(g) < 0 && rc == 0) {
        rc = h5e_fail(w, "closing", path);
    }
    return rc != 0 ? -1 : 0;
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
    w->dxpl = H5I_INVALID_HID;
    w->cfg = *cfg;
    w->path = malloc(strlen(cfg->path) + 1);
    w->n_cols = C_FIXED + 3 * cfg->n_events + cfg->n_stats;
    w->cols = calloc(w->n_cols, sizeof *w->cols);
    if (w->path == NULL || w->cols == NULL || (cfg->n_stats > 0 && cfg->stat_names == NULL)) {
        free(w->path);
        free(w->cols);
        free(w);
        return ivp_error_set(err, IVP_ERR_NOMEM, "%s: out of memory", cfg->path);
    }
    strcpy(w->path, cfg->path);
    for (i = 0; i < w->n_cols; i++) {
        w->cols[i].dset = H5I_INVALID_HID;
        w->cols[i].info_dset = H5I_INVALID_HID;
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
    w->tconv = malloc(H5E_CHUNK_BYTES);
    if (w->tconv == NULL) {
        h5e_nomem(w);
        goto fail;
    }
    w->dxpl = H5Pcreate(H5P_DATASET_XFER);
    if (w->dxpl < 0 || H5Pset_buffer(w->dxpl, H5E_CHUNK_BYTES, w->tconv, NULL) < 0) {
        h5e_fail(w, "setting up", "the file");
        goto fail;
    }
    K = cfg->n_members;
    n = cfg->n;
    w->stacked = cfg->t_eval != NULL && cfg->n_t_eval > 0;
    if (h5e_group(w, "/members") != 0 || h5e_group(w, "/events") != 0 ||
        h5e_group(w, "/info") != 0 || (cfg->dense && h5e_group(w, "/dense") != 0)) {
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
        if (h5e_event_group(w, g, i) != 0) {
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
    for (i = 0; i < cfg->n_stats; i++) {
        char p[H5E_PATH_MAX];
        snprintf(p, sizeof p, "/members/%.200s", cfg->stat_names[i]);
        w->n_cols = C_FIXED + 3 * cfg->n_events + i + 1;
        if (col_def(w, C_FIXED + 3 * cfg->n_events + i, p, 'l', 0, 0, 0, 0, K) != 0) {
            goto fail;
        }
    }
#undef DEF
    w->n_cols = C_FIXED + 3 * cfg->n_events + cfg->n_stats;
    if (cfg->np > 0) {
        h5e_attr_strs(w, w->cols[C_PARAMS].dset, "names", cfg->param_names, cfg->np);
        if (w->failed) {
            goto fail;
        }
    }
    *out = w;
    return IVP_OK;
fail:
    if (w->n_cols < C_FIXED + 3 * cfg->n_events + cfg->n_stats) {
        /* unused columns are zeroed and harmless */
        w->n_cols = C_FIXED + 3 * cfg->n_events + cfg->n_stats;
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
    if (m->k != w->cfg.first + w->k) {
        return ivp_error_set(err, IVP_ERR_ARG, "ivp_h5ens_write: member %zu came before %zu", m->k,
                             w->cfg.first + w->k);
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
    for (j = 0; j < w->cfg.n_stats; j++) {
        rc |= col_push_i64(w, &w->cols[C_FIXED + 3 * w->cfg.n_events + j],
                           h5e_i64(ivp_result_stat(res, w->cfg.stat_names[j])));
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

/* ---- /info: what Octave reads (its load -hdf5 reads no attributes and drops a group holding
 * a variable-length string, so all of /members) ---- */

/* /info/<name>: v[0..n) as fixed-length strings as wide as the longest (at least 1 byte);
 * a scalar when n is 0 (then v[0]). */
static int h5e_info_strs(ivp_h5ens *w, hid_t g, const char *name, const char *const *v, size_t n)
{
    size_t m = n > 0 ? n : 1, width = 1, i;
    hsize_t d = n;
    hid_t type = H5I_INVALID_HID, space = H5I_INVALID_HID, ds = H5I_INVALID_HID;
    char *buf;
    int rc = -1;
    for (i = 0; i < m; i++) {
        size_t len = v[i] != NULL ? strlen(v[i]) : 0;
        width = len > width ? len : width;
    }
    buf = calloc(m, width);
    if (buf == NULL) {
        return h5e_nomem(w);
    }
    for (i = 0; i < m; i++) {
        if (v[i] != NULL) {
            memcpy(buf + i * width, v[i], strlen(v[i]));
        }
    }
    type = ivp_h5_str_type(width);
    space = n > 0 ? H5Screate_simple(1, &d, NULL) : H5Screate(H5S_SCALAR);
    if (type >= 0 && space >= 0) {
        ds = H5Dcreate2(g, name, type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    }
    if (ds >= 0 && H5Dwrite(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0) {
        rc = 0;
    }
    if (ds >= 0 && H5Dclose(ds) < 0) {
        rc = -1;
    }
    if (space >= 0) {
        H5Sclose(space);
    }
    if (type >= 0) {
        H5Tclose(type);
    }
    free(buf);
    return rc != 0 ? h5e_fail(w, "writing /info/", name) : 0;
}

#define H5E_MSG_BLOCK 1024 /* messages read back at a time */

/* /info/message: /members/message as fixed-length strings as wide as the longest (known from
 * writing them), read back H5E_MSG_BLOCK at a time; or, when every member has the same message
 * (the writer saw it), that message K times without reading anything back. */
static int h5e_info_messages(ivp_h5ens *w, hid_t g)
{
    char *v[H5E_MSG_BLOCK];
    hsize_t K = w->cfg.n_members, start, cnt;
    hid_t src = H5Dopen2(w->file, "/members/message", H5P_DEFAULT);
    hid_t vt = H5I_INVALID_HID, ft = H5I_INVALID_HID, fs = H5I_INVALID_HID;
    hid_t ms = H5I_INVALID_HID, dst = H5I_INVALID_HID, ds = H5I_INVALID_HID;
    size_t width = w->cols[C_MESSAGE].longest > 0 ? w->cols[C_MESSAGE].longest : 1, i;
    char *buf = calloc(H5E_MSG_BLOCK, width);
    int rc = -1, nomem = buf == NULL;
    const int same = w->cols[C_MESSAGE].all_same && w->cols[C_MESSAGE].first != NULL;
    if (same && buf != NULL) {
        const char *m = w->cols[C_MESSAGE].first;
        size_t len = strlen(m);
        for (i = 0; i < H5E_MSG_BLOCK; i++) {
            memcpy(buf + i * width, m, len < width ? len : width);
        }
    }
    vt = H5Tcopy(H5T_C_S1);
    ft = ivp_h5_str_type(width);
    dst = H5Screate_simple(1, &K, NULL);
    if (nomem || src < 0 || vt < 0 || H5Tset_size(vt, H5T_VARIABLE) < 0 ||
        H5Tset_cset(vt, H5T_CSET_UTF8) < 0 || (fs = H5Dget_space(src)) < 0 || ft < 0 || dst < 0 ||
        (ds = H5Dcreate2(g, "message", ft, dst, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)) < 0) {
        goto done;
    }
    for (start = 0; start < K; start += cnt) {
        int ok;
        cnt = K - start < H5E_MSG_BLOCK ? K - start : H5E_MSG_BLOCK;
        memset(v, 0, sizeof v);
        if (ms >= 0) {
            H5Sclose(ms);
        }
        ms = H5Screate_simple(1, &cnt, NULL);
        ok = ms >= 0 &&
             (same || (H5Sselect_hyperslab(fs, H5S_SELECT_SET, &start, NULL, &cnt, NULL) >= 0 &&
                       H5Dread(src, vt, ms, fs, H5P_DEFAULT, v) >= 0));
        for (i = 0; ok && !same && i < cnt; i++) {
            size_t len = v[i] != NULL ? strlen(v[i]) : 0;
            memset(buf + i * width, 0, width);
            memcpy(buf + i * width, v[i] != NULL ? v[i] : "", len < width ? len : width);
        }
        for (i = 0; i < cnt; i++) {
            H5free_memory(v[i]);
        }
        if (!ok || H5Sselect_hyperslab(dst, H5S_SELECT_SET, &start, NULL, &cnt, NULL) < 0 ||
            H5Dwrite(ds, ft, ms, dst, H5P_DEFAULT, buf) < 0) {
            goto done;
        }
    }
    rc = 0;
done:
    if (ds >= 0 && H5Dclose(ds) < 0) {
        rc = -1;
    }
    if (fs >= 0) {
        H5Sclose(fs);
    }
    if (ms >= 0) {
        H5Sclose(ms);
    }
    if (dst >= 0) {
        H5Sclose(dst);
    }
    if (ft >= 0) {
        H5Tclose(ft);
    }
    if (vt >= 0) {
        H5Tclose(vt);
    }
    if (src >= 0) {
        H5Dclose(src);
    }
    free(buf);
    if (nomem) {
        return h5e_nomem(w);
    }
    return rc != 0 ? h5e_fail(w, "writing", "/info/message") : 0;
}

/* The rest of /info (called once by ivp_h5ens_finish, the columns flushed): layout, method,
 * param_names and (when their order is the plugin's) event_names as fixed-length strings,
 * message (above), member_offset in a shard file. The copies (without attributes) of the
 * numeric /members columns under the same names, which let ivpread.m under Octave read the
 * members from /info when /members is out of its reach, are written with the columns
 * (col_create, col_flush). */
static int h5e_info(ivp_h5ens *w, const ivp_h5ens_meta *meta)
{
    const char *layout = w->stacked ? "stacked" : "ragged";
    const char *method = meta->method != NULL ? meta->method : "";
    hid_t g = H5Gopen2(w->file, "/info", H5P_DEFAULT);
    int rc = 0;
    if (g < 0) {
        rc = h5e_fail(w, "opening", "/info");
    }
    if (rc == 0) {
        rc |= h5e_info_strs(w, g, "layout", &layout, 0);
        rc |= h5e_info_strs(w, g, "method", &method, 0);
    }
    if (rc == 0 && w->cfg.np > 0) {
        rc |= h5e_info_strs(w, g, "param_names", w->cfg.param_names, w->cfg.np);
    }
    if (rc == 0 && w->cfg.event_order_known && w->cfg.n_events > 0) {
        rc |= h5e_info_strs(w, g, "event_names", w->cfg.event_names, w->cfg.n_events);
    }
    if (rc == 0 && meta->shard != NULL) {
        /* a shard's /events/<name>/member holds global indices: Octave needs the offset */
        int64_t off = (int64_t)w->cfg.first;
        hid_t sp = H5Screate(H5S_SCALAR), ds = H5I_INVALID_HID;
        if (sp >= 0) {
            ds = H5Dcreate2(g, "member_offset", H5T_STD_I64LE, sp, H5P_DEFAULT, H5P_DEFAULT,
                            H5P_DEFAULT);
        }
        if (ds < 0 || H5Dwrite(ds, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, &off) < 0) {
            rc = h5e_fail(w, "writing", "/info/member_offset");
        }
        if (ds >= 0 && H5Dclose(ds) < 0 && rc == 0) {
            rc = h5e_fail(w, "closing", "/info/member_offset");
        }
        if (sp >= 0) {
            H5Sclose(sp);
        }
    }
    if (rc == 0) {
        rc |= h5e_info_messages(w, g);
    }
    if (g >= 0 && H5Gclose(g) < 0 && rc == 0) {
        rc = h5e_fail(w, "closing", "/info");
    }
    return rc;
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
    rc |= h5e_info(w, meta);
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
        rc |= h5e_attr_i64(w, "member_offset", (int64_t)w->cfg.first);
        rc |= h5e_attr_i64(w, "ensemble_members", (int64_t)meta->ensemble_members);
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

/* ---- reading ---- */

#define H5R_BLOCK_BYTES ((size_t)64 << 10)

/* A column read a block of records at a time: records along axis 1 (after a leading fixed
 * axis of a) or 0, b elements each. */
typedef struct h5r_col {
    hid_t dset;
    hid_t mtype;
    size_t esize;
    int has_a;
    size_t a, b;
    int rank;
    hsize_t dims[4];
    hsize_t len;  /* records */
    size_t cap;   /* records per block */
    hsize_t blk0; /* first record in buf */
    size_t blkn;  /* records in buf */
    unsigned char *buf;
} h5r_col;

/* A column of variable-length strings read 1024 at a time. */
typedef struct h5r_strs {
    hid_t dset, type;
    hsize_t len, blk0;
    size_t blkn;
    char *v[1024];
} h5r_strs;

struct ivp_h5ens_reader {
    char *path;
    hid_t file;
    ivp_h5ens_info info;
    char **param_names, **event_names;
    const char *stat_names[IVP_MAX_STATS];
    char *method, *problem, *plugin_sha256, *shard;
    double *t_eval, *atol_vec;
    signed char *status;
    int64_t *count, *dcount;
    /* columns */
    h5r_col c_nfev, c_njev, c_nlu, c_nsteps, c_nrej, c_secs, c_params, c_y0, c_tspan;
    h5r_col c_t, c_y, c_dx, c_dc;
    h5r_col c_stats[IVP_MAX_STATS];
    h5r_col *c_ev; /* 3 per event: t, y, member */
    h5r_strs s_message, s_overrides;
    /* cursors: the next member's first point, breakpoint and segment, and event positions */
    size_t next;
    hsize_t pt, dx, seg;
    hsize_t *ev_pos;
    size_t *ev_index; /* the index the sink gets for the file's event e */
    ivp_event_opts *ev_opts;
    /* the member read last */
    ivp_memsink data;
    ivp_result res;
    double *y0, *params, *row, *tmp;
};

static ivp_status h5r_fail(ivp_h5ens_reader *r, ivp_error *err, ivp_status st, const char *what,
                           const char *where)
{
    h5e_reason rs;
    rs.found = 0;
    rs.text[0] = '\0';
    if (st == IVP_ERR_IO) {
        if (H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, h5e_walk, &rs) < 0 || !rs.found) {
            snprintf(rs.text, sizeof rs.text, "unknown HDF5 error");
        }
        H5Eclear2(H5E_DEFAULT);
        return ivp_error_set(err, st, "%s: cannot read %s%s%s: %s", r->path, what,
                             what[0] != '\0' && where[0] != '\0' ? " " : "", where, rs.text);
    }
    return ivp_error_set(err, st, "%s: not an ivp ensemble file: %s %s", r->path, what, where);
}

static int h5r_col_open(ivp_h5ens_reader *r, h5r_col *c, const char *path, char kind, int has_a)
{
    hid_t space;
    int i, axis;
    size_t rec;
    c->dset = H5Dopen2(r->file, path, H5P_DEFAULT);
    if (c->dset < 0) {
        return -1;
    }
    space = H5Dget_space(c->dset);
    c->rank = space >= 0 ? H5Sget_simple_extent_ndims(space) : -1;
    if (c->rank < 1 + has_a || c->rank > 4 || H5Sget_simple_extent_dims(space, c->dims, NULL) < 0) {
        if (space >= 0) {
            H5Sclose(space);
        }
        return -1;
    }
    H5Sclose(space);
    c->has_a = has_a;
    axis = has_a ? 1 : 0;
    c->a = has_a ? (size_t)c->dims[0] : 1;
    c->len = c->dims[axis];
    c->b = 1;
    for (i = axis + 1; i < c->rank; i++) {
        c->b *= (size_t)c->dims[i];
    }
    c->mtype = kind == 'l' ? H5T_NATIVE_INT64 : kind == 'b' ? H5T_NATIVE_SCHAR : H5T_NATIVE_DOUBLE;
    c->esize = kind == 'l' ? sizeof(int64_t) : kind == 'b' ? 1 : sizeof(double);
    rec = c->a * (c->b > 0 ? c->b : 1) * c->esize;
    c->cap = H5R_BLOCK_BYTES / rec;
    if (c->cap < 1) {
        c->cap = 1;
    }
    c->buf = malloc(c->cap * rec);
    return c->buf != NULL ? 0 : -1;
}

static void h5r_col_close(h5r_col *c)
{
    if (c->dset > 0) {
        H5Dclose(c->dset);
    }
    c->dset = 0;
    free(c->buf);
    c->buf = NULL;
}

/* Copies record idx (a x b elements) to dst. */
static int h5r_col_get(h5r_col *c, hsize_t idx, void *dst)
{
    size_t i;
    unsigned char *d = dst;
    if (idx >= c->len) {
        return -1;
    }
    if (c->blkn == 0 || idx < c->blk0 || idx >= c->blk0 + c->blkn) {
        hsize_t start[4] = {0, 0, 0, 0}, count[4];
        hid_t fs, ms;
        int j, axis = c->has_a ? 1 : 0, rc;
        size_t m = c->cap;
        if ((hsize_t)m > c->len - idx) {
            m = (size_t)(c->len - idx);
        }
        for (j = 0; j < c->rank; j++) {
            count[j] = c->dims[j];
        }
        start[axis] = idx;
        count[axis] = m;
        fs = H5Dget_space(c->dset);
        ms = H5Screate_simple(c->rank, count, NULL);
        rc = fs >= 0 && ms >= 0 &&
                     H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL) >= 0 &&
                     H5Dread(c->dset, c->mtype, ms, fs, H5P_DEFAULT, c->buf) >= 0
                 ? 0
                 : -1;
        if (fs >= 0) {
            H5Sclose(fs);
        }
        if (ms >= 0) {
            H5Sclose(ms);
        }
        if (rc != 0) {
            c->blkn = 0;
            return -1;
        }
        c->blk0 = idx;
        c->blkn = m;
    }
    for (i = 0; i < c->a; i++) {
        memcpy(d + i * c->b * c->esize,
               c->buf + ((i * c->blkn + (size_t)(idx - c->blk0)) * c->b) * c->esize,
               c->b * c->esize);
    }
    return 0;
}

static int64_t h5r_i64(h5r_col *c, hsize_t idx, int *rc)
{
    int64_t v = 0;
    if (h5r_col_get(c, idx, &v) != 0) {
        *rc = -1;
    }
    return v;
}

static void h5r_strs_drop(h5r_strs *c)
{
    size_t i;
    for (i = 0; i < c->blkn; i++) {
        H5free_memory(c->v[i]);
        c->v[i] = NULL;
    }
    c->blkn = 0;
}

static int h5r_strs_open(ivp_h5ens_reader *r, h5r_strs *c, const char *path)
{
    hid_t space;
    c->dset = H5Dopen2(r->file, path, H5P_DEFAULT);
    c->type = H5Tcopy(H5T_C_S1);
    if (c->dset < 0 || c->type < 0 || H5Tset_size(c->type, H5T_VARIABLE) < 0 ||
        H5Tset_cset(c->type, H5T_CSET_UTF8) < 0 || (space = H5Dget_space(c->dset)) < 0) {
        return -1;
    }
    if (H5Sget_simple_extent_ndims(space) != 1 ||
        H5Sget_simple_extent_dims(space, &c->len, NULL) < 0) {
        H5Sclose(space);
        return -1;
    }
    H5Sclose(space);
    return 0;
}

static void h5r_strs_close(h5r_strs *c)
{
    h5r_strs_drop(c);
    if (c->dset > 0) {
        H5Dclose(c->dset);
    }
    if (c->type > 0) {
        H5Tclose(c->type);
    }
    c->dset = c->type = 0;
}

/* Element idx, borrowed until the next call ("" for a NULL string); NULL on failure. */
static const char *h5r_strs_get(h5r_strs *c, hsize_t idx)
{
    if (idx >= c->len) {
        return NULL;
    }
    if (c->blkn == 0 || idx < c->blk0 || idx >= c->blk0 + c->blkn) {
        hsize_t m = c->len - idx < 1024 ? c->len - idx : 1024;
        hid_t fs, ms;
        int ok;
        h5r_strs_drop(c);
        fs = H5Dget_space(c->dset);
        ms = H5Screate_simple(1, &m, NULL);
        ok = fs >= 0 && ms >= 0 &&
             H5Sselect_hyperslab(fs, H5S_SELECT_SET, &idx, NULL, &m, NULL) >= 0 &&
             H5Dread(c->dset, c->type, ms, fs, H5P_DEFAULT, c->v) >= 0;
        if (fs >= 0) {
            H5Sclose(fs);
        }
        if (ms >= 0) {
            H5Sclose(ms);
        }
        if (!ok) {
            return NULL;
        }
        c->blk0 = idx;
        c->blkn = (size_t)m;
    }
    return c->v[idx - c->blk0] != NULL ? c->v[idx - c->blk0] : "";
}

/* A root string attribute (NULL when absent or not a string). */
static char *h5r_attr_str(hid_t obj, const char *name)
{
    hid_t attr, type = H5I_INVALID_HID, ftype = H5I_INVALID_HID;
    char *v = NULL, *out = NULL;
    if (H5Aexists(obj, name) <= 0 || (attr = H5Aopen(obj, name, H5P_DEFAULT)) < 0) {
        return NULL;
    }
    ftype = H5Aget_type(attr);
    if (ftype >= 0 && H5Tget_class(ftype) == H5T_STRING && H5Tis_variable_str(ftype) > 0 &&
        (type = H5Tcopy(H5T_C_S1)) >= 0 && H5Tset_size(type, H5T_VARIABLE) >= 0 &&
        H5Tset_cset(type, H5T_CSET_UTF8) >= 0 && H5Aread(attr, type, &v) >= 0 && v != NULL) {
        size_t len = strlen(v);
        out = malloc(len + 1);
        if (out != NULL) {
            memcpy(out, v, len + 1);
        }
        H5free_memory(v);
    }
    if (type >= 0) {
        H5Tclose(type);
    }
    if (ftype >= 0) {
        H5Tclose(ftype);
    }
    H5Aclose(attr);
    return out;
}

/* A numeric attribute of up to max values; returns the count (0 when absent). */
static size_t h5r_attr_num(hid_t obj, const char *name, hid_t mtype, void *v, size_t max)
{
    hid_t attr, space;
    hssize_t npts;
    size_t got = 0;
    if (H5Aexists(obj, name) <= 0 || (attr = H5Aopen(obj, name, H5P_DEFAULT)) < 0) {
        return 0;
    }
    space = H5Aget_space(attr);
    npts = space >= 0 ? H5Sget_simple_extent_npoints(space) : -1;
    if (npts >= 1 && (size_t)npts <= max && H5Aread(attr, mtype, v) >= 0) {
        got = (size_t)npts;
    }
    if (space >= 0) {
        H5Sclose(space);
    }
    H5Aclose(attr);
    return got;
}

/* The array-of-strings attribute 'names' of obj (n of them). */
static int h5r_attr_names(hid_t obj, const char *name, size_t n, char ***out)
{
    hid_t attr, type;
    char **v;
    size_t i;
    int rc = -1;
    *out = calloc(n > 0 ? n : 1, sizeof **out);
    if (*out == NULL) {
        return -1;
    }
    if (n == 0) {
        return 0;
    }
    v = calloc(n, sizeof *v);
    if (v == NULL || H5Aexists(obj, name) <= 0 || (attr = H5Aopen(obj, name, H5P_DEFAULT)) < 0) {
        free(v);
        return -1;
    }
    type = H5Tcopy(H5T_C_S1);
    if (type >= 0 && H5Tset_size(type, H5T_VARIABLE) >= 0 &&
        H5Tset_cset(type, H5T_CSET_UTF8) >= 0) {
        hid_t space = H5Aget_space(attr);
        if (space >= 0 && H5Sget_simple_extent_npoints(space) == (hssize_t)n &&
            H5Aread(attr, type, v) >= 0) {
            rc = 0;
            for (i = 0; i < n; i++) {
                size_t len = v[i] != NULL ? strlen(v[i]) : 0;
                (*out)[i] = malloc(len + 1);
                if ((*out)[i] == NULL) {
                    rc = -1;
                } else {
                    memcpy((*out)[i], v[i] != NULL ? v[i] : "", len + 1);
                }
                H5free_memory(v[i]);
            }
        }
        if (space >= 0) {
            H5Sclose(space);
        }
    }
    if (type >= 0) {
        H5Tclose(type);
    }
    H5Aclose(attr);
    free(v);
    return rc;
}

typedef struct h5r_names {
    char **v;
    size_t n, cap;
} h5r_names;

/* The names of g's links, in name order (H5Gget_info and H5Lget_name_by_idx: the same in
 * HDF5 1.10 and later). */
static int h5r_list(hid_t g, h5r_names *nm)
{
    H5G_info_t gi;
    hsize_t i;
    if (H5Gget_info(g, &gi) < 0) {
        return -1;
    }
    nm->v = calloc(gi.nlinks > 0 ? (size_t)gi.nlinks : 1, sizeof *nm->v);
    if (nm->v == NULL) {
        return -1;
    }
    nm->cap = (size_t)gi.nlinks;
    for (i = 0; i < gi.nlinks; i++) {
        ssize_t len = H5Lget_name_by_idx(g, ".", H5_INDEX_NAME, H5_ITER_INC, i, NULL, 0,
                                         H5P_DEFAULT);
        if (len < 0 || (nm->v[nm->n] = malloc((size_t)len + 1)) == NULL ||
            H5Lget_name_by_idx(g, ".", H5_INDEX_NAME, H5_ITER_INC, i, nm->v[nm->n], (size_t)len + 1,
                               H5P_DEFAULT) < 0) {
            free(nm->v[nm->n]);
            return -1;
        }
        nm->n++;
    }
    return 0;
}

/* The plugin's event order, from the index attribute of each /events/<name> (nm: the names
 * in name order, put into the plugin's) with direction and terminal into *opts (a new array,
 * plugin order). 1 when every group has index and they are 0..n-1; 0 when none has (a file
 * from before ivp recorded the order: nm unchanged, *opts NULL); -1 when only some have or
 * they are not 0..n-1, -2 out of memory (both: nm unchanged, *opts NULL). */
static int h5r_event_order(hid_t file, h5r_names *nm, ivp_event_opts **opts)
{
    size_t i, with = 0, m = nm->n > 0 ? nm->n : 1;
    int64_t *idx = calloc(m, sizeof *idx);
    char **sorted = calloc(m, sizeof *sorted);
    ivp_event_opts *o = calloc(m, sizeof *o);
    int rc = -1;
    *opts = NULL;
    if (idx == NULL || sorted == NULL || o == NULL) {
        rc = -2;
        goto done;
    }
    for (i = 0; i < nm->n; i++) {
        char p[H5E_PATH_MAX];
        int64_t d = 0, t = 0;
        hid_t g;
        snprintf(p, sizeof p, "/events/%.200s", nm->v[i]);
        if ((g = H5Gopen2(file, p, H5P_DEFAULT)) < 0) {
            goto done;
        }
        if (h5r_attr_num(g, "index", H5T_NATIVE_INT64, &idx[i], 1) == 1) {
            with++;
            if (idx[i] < 0 || (uint64_t)idx[i] >= nm->n || sorted[idx[i]] != NULL) {
                H5Gclose(g);
                goto done;
            }
            sorted[idx[i]] = nm->v[i];
            h5r_attr_num(g, "direction", H5T_NATIVE_INT64, &d, 1);
            h5r_attr_num(g, "terminal", H5T_NATIVE_INT64, &t, 1);
            o[idx[i]].direction = d < 0 ? -1 : d > 0 ? 1 : 0;
            o[idx[i]].terminal = t > 0 ? (unsigned long)t : 0;
        }
        H5Gclose(g);
    }
    if (with == 0 && nm->n > 0) {
        rc = 0;
    } else if (with == nm->n) {
        memcpy(nm->v, sorted, nm->n * sizeof *sorted);
        *opts = o;
        o = NULL;
        rc = 1;
    }
done:
    free(idx);
    free(sorted);
    free(o);
    return rc;
}

/* A whole 1-D dataset of K values of mtype into a new buffer. */
static void *h5r_read_all(hid_t file, const char *path, hid_t mtype, size_t esize, size_t K)
{
    hid_t d = H5Dopen2(file, path, H5P_DEFAULT), space;
    void *buf = NULL;
    int ok = 0;
    if (d < 0) {
        return NULL;
    }
    space = H5Dget_space(d);
    if (space >= 0 && H5Sget_simple_extent_ndims(space) == 1 &&
        H5Sget_simple_extent_npoints(space) == (hssize_t)K) {
        buf = malloc(K > 0 ? K * esize : 1);
        ok = buf != NULL && (K == 0 || H5Dread(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0);
    }
    if (space >= 0) {
        H5Sclose(space);
    }
    H5Dclose(d);
    if (!ok) {
        free(buf);
        return NULL;
    }
    return buf;
}

void ivp_h5ens_read_close(ivp_h5ens_reader *r)
{
    size_t i;
    if (r == NULL) {
        return;
    }
    h5r_col *cols[] = {&r->c_nfev, &r->c_njev,   &r->c_nlu, &r->c_nsteps, &r->c_nrej,
                       &r->c_secs, &r->c_params, &r->c_y0,  &r->c_tspan,  &r->c_t,
                       &r->c_y,    &r->c_dx,     &r->c_dc};
    for (i = 0; i < sizeof cols / sizeof cols[0]; i++) {
        h5r_col_close(cols[i]);
    }
    for (i = 0; i < IVP_MAX_STATS; i++) {
        h5r_col_close(&r->c_stats[i]);
    }
    if (r->c_ev != NULL) {
        for (i = 0; i < 3 * r->info.n_events; i++) {
            h5r_col_close(&r->c_ev[i]);
        }
    }
    h5r_strs_close(&r->s_message);
    h5r_strs_close(&r->s_overrides);
    if (r->file > 0) {
        H5Fclose(r->file);
    }
    if (r->param_names != NULL) {
        for (i = 0; i < r->info.np; i++) {
            free(r->param_names[i]);
        }
    }
    if (r->event_names != NULL) {
        for (i = 0; i < r->info.n_events; i++) {
            free(r->event_names[i]);
        }
    }
    free(r->param_names);
    free(r->event_names);
    free(r->c_ev);
    free(r->ev_pos);
    free(r->ev_index);
    free(r->ev_opts);
    free(r->method);
    free(r->problem);
    free(r->plugin_sha256);
    free(r->shard);
    free(r->t_eval);
    free(r->atol_vec);
    free(r->status);
    free(r->count);
    free(r->dcount);
    ivp_memsink_free(&r->data);
    free(r->y0);
    free(r->params);
    free(r->row);
    free(r->tmp);
    free(r->path);
    free(r);
}

ivp_status ivp_h5ens_read_open(const char *path, ivp_h5ens_reader **out, ivp_error *err)
{
    ivp_h5ens_reader *r;
    ivp_h5ens_info *in;
    const ivp_method_info *mi;
    char *fmt = NULL, *layout = NULL;
    int64_t iv = 0;
    size_t K, i, n;
    ivp_status st;
    h5r_names ev = {NULL, 0, 0};
    hid_t g;
    int stacked;

    *out = NULL;
    r = calloc(1, sizeof *r);
    if (r == NULL || (r->path = malloc(strlen(path) + 1)) == NULL) {
        free(r);
        return ivp_error_set(err, IVP_ERR_NOMEM, "%s: out of memory", path);
    }
    strcpy(r->path, path);
    in = &r->info;
    (void)H5dont_atexit();
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    r->file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (r->file < 0) {
        r->file = 0;
        st = h5r_fail(r, err, IVP_ERR_IO, "it as HDF5", "");
        goto fail;
    }
    fmt = h5r_attr_str(r->file, "format");
    if (fmt == NULL || strcmp(fmt, "ivp-hdf5-ensemble") != 0 ||
        h5r_attr_num(r->file, "format_version", H5T_NATIVE_INT64, &iv, 1) != 1 || iv != 1) {
        st = h5r_fail(r, err, IVP_ERR_SPEC, "its format attribute is not", "ivp-hdf5-ensemble 1");
        goto fail;
    }
    layout = h5r_attr_str(r->file, "layout");
    r->method = h5r_attr_str(r->file, "method");
    r->problem = h5r_attr_str(r->file, "problem");
    r->plugin_sha256 = h5r_attr_str(r->file, "plugin_sha256");
    r->shard = h5r_attr_str(r->file, "shard");
    if (layout == NULL || r->method == NULL || r->problem == NULL || r->plugin_sha256 == NULL ||
        h5r_attr_num(r->file, "n_members", H5T_NATIVE_INT64, &iv, 1) != 1 || iv < 1) {
        st = h5r_fail(r, err, IVP_ERR_SPEC, "an attribute is missing:",
                      "layout, method, problem, plugin_sha256 or n_members");
        goto fail;
    }
    stacked = strcmp(layout, "stacked") == 0;
    in->n_members = K = (size_t)iv;
    in->ensemble_members = K;
    if (r->shard != NULL) {
        int64_t off = -1, tot = -1;
        if (h5r_attr_num(r->file, "member_offset", H5T_NATIVE_INT64, &off, 1) != 1 ||
            h5r_attr_num(r->file, "ensemble_members", H5T_NATIVE_INT64, &tot, 1) != 1 || off < 0 ||
            tot < off + iv) {
            st = h5r_fail(r, err, IVP_ERR_SPEC, "a shard without valid attributes",
                          "member_offset and ensemble_members");
            goto fail;
        }
        in->first = (size_t)off;
        in->ensemble_members = (size_t)tot;
    }
    in->method = r->method;
    in->problem = r->problem;
    in->plugin_sha256 = r->plugin_sha256;
    in->shard = r->shard;
    h5r_attr_num(r->file, "rtol", H5T_NATIVE_DOUBLE, &in->rtol, 1);

    /* the columns */
    if (h5r_col_open(r, &r->c_y0, "/members/y0", 'd', 0) != 0 || r->c_y0.len != K ||
        (in->n = r->c_y0.b) == 0 || h5r_col_open(r, &r->c_params, "/members/params", 'd', 0) != 0 ||
        h5r_col_open(r, &r->c_nfev, "/members/nfev", 'l', 0) != 0 ||
        h5r_col_open(r, &r->c_njev, "/members/njev", 'l', 0) != 0 ||
        h5r_col_open(r, &r->c_nlu, "/members/nlu", 'l', 0) != 0 ||
        h5r_col_open(r, &r->c_nsteps, "/members/n_steps", 'l', 0) != 0 ||
        h5r_col_open(r, &r->c_nrej, "/members/n_rejected", 'l', 0) != 0 ||
        h5r_col_open(r, &r->c_secs, "/members/solve_seconds", 'd', 0) != 0 ||
        h5r_col_open(r, &r->c_tspan, "/members/t_span", 'd', 0) != 0 ||
        h5r_strs_open(r, &r->s_message, "/members/message") != 0 || r->s_message.len != K ||
        h5r_strs_open(r, &r->s_overrides, "/members/overrides") != 0 || r->s_overrides.len != K ||
        (r->status = h5r_read_all(r->file, "/members/status", H5T_NATIVE_SCHAR, 1, K)) == NULL ||
        (r->count = h5r_read_all(r->file, "/members/count", H5T_NATIVE_INT64, 8, K)) == NULL) {
        st = h5r_fail(r, err, IVP_ERR_SPEC, "missing or malformed", "/members datasets");
        goto fail;
    }
    n = in->n;
    in->np = r->c_params.b;
    in->status = r->status;
    if (h5r_attr_names(r->c_params.dset, "names", in->np, &r->param_names) != 0) {
        st = h5r_fail(r, err, IVP_ERR_SPEC, "missing or malformed", "/members/params names");
        goto fail;
    }
    in->param_names = (const char *const *)r->param_names;
    r->atol_vec = malloc(n * sizeof *r->atol_vec);
    if (r->atol_vec == NULL) {
        st = ivp_error_set(err, IVP_ERR_NOMEM, "%s: out of memory", path);
        goto fail;
    }
    if (h5r_attr_num(r->file, "atol", H5T_NATIVE_DOUBLE, r->atol_vec, n) == 0) {
        st = h5r_fail(r, err, IVP_ERR_SPEC, "an attribute is missing:", "atol");
        goto fail;
    }
    in->atol = r->atol_vec[0];
    {
        /* a vector (even of one value) is a simple dataspace; the scalar is H5S_SCALAR */
        hid_t at = H5Aopen(r->file, "atol", H5P_DEFAULT), sp;
        sp = at >= 0 ? H5Aget_space(at) : H5I_INVALID_HID;
        if (sp >= 0 && H5Sget_simple_extent_type(sp) == H5S_SIMPLE) {
            in->atol_vec = r->atol_vec;
        }
        if (sp >= 0) {
            H5Sclose(sp);
        }
        if (at >= 0) {
            H5Aclose(at);
        }
    }
    /* every stacked member has /t; ragged ones keep (t, y) member after member */
    if (stacked) {
        h5r_col tc;
        memset(&tc, 0, sizeof tc);
        if (h5r_col_open(r, &tc, "/t", 'd', 0) != 0 || tc.len == 0) {
            h5r_col_close(&tc);
            st = h5r_fail(r, err, IVP_ERR_SPEC, "missing or malformed", "/t");
            goto fail;
        }
        in->n_t_eval = (size_t)tc.len;
        r->t_eval = malloc(in->n_t_eval * sizeof *r->t_eval);
        if (r->t_eval == NULL ||
            H5Dread(tc.dset, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, r->t_eval) < 0) {
            h5r_col_close(&tc);
            st = h5r_fail(r, err, IVP_ERR_IO, "", "/t");
            goto fail;
        }
        h5r_col_close(&tc);
        in->t_eval = r->t_eval;
        if (h5r_col_open(r, &r->c_y, "/y", 'd', 0) != 0 || r->c_y.len != K ||
            r->c_y.b != n * in->n_t_eval) {
            st = h5r_fail(r, err, IVP_ERR_SPEC, "missing or malformed", "/y");
            goto fail;
        }
    } else if (h5r_col_open(r, &r->c_t, "/t", 'd', 0) != 0 ||
               h5r_col_open(r, &r->c_y, "/y", 'd', 1) != 0 || r->c_y.a != n ||
               r->c_y.len != r->c_t.len) {
        st = h5r_fail(r, err, IVP_ERR_SPEC, "missing or malformed", "/t or /y");
        goto fail;
    }
    if (H5Lexists(r->file, "/dense", H5P_DEFAULT) > 0) {
        in->dense = 1;
        if ((r->dcount = h5r_read_all(r->file, "/members/dense_count", H5T_NATIVE_INT64, 8, K)) ==
                NULL ||
            h5r_col_open(r, &r->c_dx, "/dense/x", 'd', 0) != 0 ||
            h5r_col_open(r, &r->c_dc, "/dense/c", 'd', 1) != 0 || r->c_dc.b != n || r->c_dc.a < 1) {
            st = h5r_fail(r, err, IVP_ERR_SPEC, "missing or malformed", "/dense");
            goto fail;
        }
        in->dense_degree = (unsigned)(r->c_dc.a - 1);
    }
    /* events: listed by name, then put into the plugin's order when the file records it */
    g = H5Gopen2(r->file, "/events", H5P_DEFAULT);
    if (g < 0 || h5r_list(g, &ev) != 0) {
        if (g >= 0) {
            H5Gclose(g);
        }
        for (i = 0; i < ev.n; i++) {
            free(ev.v[i]);
        }
        free(ev.v);
        st = h5r_fail(r, err, IVP_ERR_SPEC, "missing or malformed", "/events");
        goto fail;
    }
    H5Gclose(g);
    r->event_names = ev.v;
    in->n_events = ev.n;
    in->event_names = (const char *const *)r->event_names;
    /* in the plugin's order when the file records it */
    switch (h5r_event_order(r->file, &ev, &r->ev_opts)) {
    case 1:
        in->event_order_known = 1;
        in->event_opts = r->ev_opts;
        break;
    case 0:
        break;
    case -2:
        st = ivp_error_set(err, IVP_ERR_NOMEM, "%s: out of memory", path);
        goto fail;
    default:
        st = h5r_fail(r, err, IVP_ERR_SPEC, "malformed",
                      "event order (the index attributes of the /events groups)");
        goto fail;
    }
    r->c_ev = calloc(3 * ev.n + 1, sizeof *r->c_ev);
    r->ev_pos = calloc(ev.n + 1, sizeof *r->ev_pos);
    r->ev_index = calloc(ev.n + 1, sizeof *r->ev_index);
    if (r->c_ev == NULL || r->ev_pos == NULL || r->ev_index == NULL) {
        st = ivp_error_set(err, IVP_ERR_NOMEM, "%s: out of memory", path);
        goto fail;
    }
    for (i = 0; i < ev.n; i++) {
        char p[H5E_PATH_MAX];
        int bad;
        r->ev_index[i] = i;
        snprintf(p, sizeof p, "/events/%.200s/t", ev.v[i]);
        bad = h5r_col_open(r, &r->c_ev[3 * i], p, 'd', 0) != 0;
        snprintf(p, sizeof p, "/events/%.200s/y", ev.v[i]);
        bad = bad || h5r_col_open(r, &r->c_ev[3 * i + 1], p, 'd', 1) != 0;
        snprintf(p, sizeof p, "/events/%.200s/member", ev.v[i]);
        bad = bad || h5r_col_open(r, &r->c_ev[3 * i + 2], p, 'l', 0) != 0;
        if (bad || r->c_ev[3 * i + 1].a != n || r->c_ev[3 * i].len != r->c_ev[3 * i + 2].len) {
            st = h5r_fail(r, err, IVP_ERR_SPEC, "missing or malformed event", ev.v[i]);
            goto fail;
        }
    }
    /* the method's statistics */
    mi = ivp_method_info_find(r->method);
    if (mi != NULL && mi->stats != NULL) {
        for (i = 0; mi->stats[i] != NULL && in->n_stats < IVP_MAX_STATS; i++) {
            char p[H5E_PATH_MAX];
            snprintf(p, sizeof p, "/members/%.200s", mi->stats[i]);
            if (H5Lexists(r->file, p, H5P_DEFAULT) > 0) {
                if (h5r_col_open(r, &r->c_stats[in->n_stats], p, 'l', 0) != 0) {
                    st = h5r_fail(r, err, IVP_ERR_SPEC, "malformed", p);
                    goto fail;
                }
                r->stat_names[in->n_stats++] = mi->stats[i];
            }
        }
    }
    in->stat_names = r->stat_names;
    /* the member buffers */
    r->y0 = calloc(n, sizeof *r->y0);
    r->params = calloc(in->np > 0 ? in->np : 1, sizeof *r->params);
    r->tmp = calloc(n * ((size_t)in->dense_degree + 1), sizeof *r->tmp);
    r->row = calloc(stacked ? n * in->n_t_eval : 1, sizeof *r->row);
    if (r->y0 == NULL || r->params == NULL || r->tmp == NULL || r->row == NULL ||
        ivp_memsink_init(&r->data, n, in->dense ? in->dense_degree : 0, NULL, 0, 0, 0) != IVP_OK) {
        st = ivp_error_set(err, IVP_ERR_NOMEM, "%s: out of memory", path);
        goto fail;
    }
    free(fmt);
    free(layout);
    *out = r;
    return IVP_OK;
fail:
    free(fmt);
    free(layout);
    ivp_h5ens_read_close(r);
    return st;
}

ivp_status ivp_h5ens_read_order_events(ivp_h5ens_reader *r, const char *const *names, size_t n,
                                       ivp_error *err)
{
    size_t e, j;
    if (n != r->info.n_events) {
        return ivp_error_set(err, IVP_ERR_SPEC, "%s has %zu events, not %zu", r->path,
                             r->info.n_events, n);
    }
    for (e = 0; e < n; e++) {
        for (j = 0; j < n && strcmp(r->event_names[e], names[j]) != 0; j++) {
        }
        if (j == n) {
            return ivp_error_set(err, IVP_ERR_SPEC,
                                 "%s has the event '%s', which is not one of "
                                 "the plugin's",
                                 r->path, r->event_names[e]);
        }
        r->ev_index[e] = j;
    }
    return IVP_OK;
}

const ivp_h5ens_info *ivp_h5ens_read_info(const ivp_h5ens_reader *r)
{
    return &r->info;
}

ivp_status ivp_h5ens_read_member(ivp_h5ens_reader *r, size_t k, ivp_ensemble_out *out,
                                 const char **overrides, ivp_error *err)
{
    const ivp_h5ens_info *in = &r->info;
    size_t n = in->n, j, i, e, per = ((size_t)in->dense_degree + 1) * n;
    ivp_sink sink;
    double ts[2];
    int rc = 0;
    int64_t cnt;
    const char *msg, *ov;

    if (k >= in->n_members || k < r->next) {
        return ivp_error_set(err, IVP_ERR_ARG, "ivp_h5ens_read_member: member %zu out of order", k);
    }
    /* skip members next..k-1 */
    for (; r->next < k; r->next++) {
        if (in->t_eval == NULL) {
            r->pt += (hsize_t)r->count[r->next];
        }
        if (in->dense) {
            r->seg += (hsize_t)r->dcount[r->next];
            r->dx += (hsize_t)r->dcount[r->next] + 1;
        }
    }
    r->data.n_points = r->data.n_ev = r->data.n_seg = 0;
    r->data.failed = 0;
    sink = ivp_memsink_sink(&r->data);
    memset(&r->res, 0, sizeof r->res);
    r->res.status = r->status[k];
    msg = h5r_strs_get(&r->s_message, k);
    ov = h5r_strs_get(&r->s_overrides, k);
    if (msg == NULL || ov == NULL) {
        return h5r_fail(r, err, IVP_ERR_IO, "", "/members/message or overrides");
    }
    snprintf(r->res.message, sizeof r->res.message, "%s", msg);
    r->res.nfev = (unsigned long)h5r_i64(&r->c_nfev, k, &rc);
    r->res.njev = (unsigned long)h5r_i64(&r->c_njev, k, &rc);
    r->res.nlu = (unsigned long)h5r_i64(&r->c_nlu, k, &rc);
    r->res.n_steps = (unsigned long)h5r_i64(&r->c_nsteps, k, &rc);
    r->res.n_rejected = (unsigned long)h5r_i64(&r->c_nrej, k, &rc);
    for (i = 0; i < in->n_stats; i++) {
        r->res.stats[i].name = in->stat_names[i];
        r->res.stats[i].value = (unsigned long)h5r_i64(&r->c_stats[i], k, &rc);
    }
    r->res.n_stats = in->n_stats;
    rc |= h5r_col_get(&r->c_secs, k, &r->res.solve_seconds);
    if (in->np > 0) {
        rc |= h5r_col_get(&r->c_params, k, r->params);
    }
    rc |= h5r_col_get(&r->c_y0, k, r->y0);
    rc |= h5r_col_get(&r->c_tspan, k, ts);
    cnt = r->count[k];
    if (rc != 0 || cnt < 0) {
        return h5r_fail(r, err, IVP_ERR_IO, "member data of", "/members");
    }
    /* points */
    if (in->t_eval != NULL) {
        if ((size_t)cnt > in->n_t_eval || h5r_col_get(&r->c_y, k, r->row) != 0) {
            return h5r_fail(r, err, IVP_ERR_IO, "", "/y");
        }
        for (j = 0; j < (size_t)cnt; j++) {
            for (i = 0; i < n; i++) {
                r->tmp[i] = r->row[i * in->n_t_eval + j];
            }
            rc |= sink.point(sink.ud, in->t_eval[j], r->tmp);
        }
    } else {
        for (j = 0; j < (size_t)cnt; j++) {
            double t;
            if (h5r_col_get(&r->c_t, r->pt + j, &t) != 0 ||
                h5r_col_get(&r->c_y, r->pt + j, r->tmp) != 0) {
                return h5r_fail(r, err, IVP_ERR_IO, "", "/t or /y");
            }
            rc |= sink.point(sink.ud, t, r->tmp);
        }
        r->pt += (hsize_t)cnt;
    }
    /* events: each event's entries are in member order */
    for (e = 0; e < in->n_events; e++) {
        h5r_col *ct = &r->c_ev[3 * e], *cy = &r->c_ev[3 * e + 1], *cm = &r->c_ev[3 * e + 2];
        for (;;) {
            int64_t mem;
            double t;
            if (r->ev_pos[e] >= cm->len) {
                break;
            }
            mem = h5r_i64(cm, r->ev_pos[e], &rc);
            if (rc != 0 || mem > (int64_t)(in->first + k)) {
                break;
            }
            if (mem == (int64_t)(in->first + k)) {
                if (h5r_col_get(ct, r->ev_pos[e], &t) != 0 ||
                    h5r_col_get(cy, r->ev_pos[e], r->tmp) != 0) {
                    return h5r_fail(r, err, IVP_ERR_IO, "", "/events");
                }
                rc |= sink.event(sink.ud, r->ev_index[e], t, r->tmp);
            }
            r->ev_pos[e]++;
        }
    }
    /* dense segments: count + 1 breakpoints */
    if (in->dense) {
        double lo, hi;
        size_t ns = (size_t)r->dcount[k];
        if (h5r_col_get(&r->c_dx, r->dx, &lo) != 0) {
            return h5r_fail(r, err, IVP_ERR_IO, "", "/dense/x");
        }
        for (j = 0; j < ns; j++) {
            if (h5r_col_get(&r->c_dx, r->dx + j + 1, &hi) != 0 ||
                h5r_col_get(&r->c_dc, r->seg + j, r->tmp) != 0) {
                return h5r_fail(r, err, IVP_ERR_IO, "", "/dense");
            }
            rc |= sink.segment(sink.ud, lo, hi, r->tmp);
            lo = hi;
        }
        r->dx += ns + 1;
        r->seg += ns;
    }
    (void)per;
    if (rc != 0 || r->data.failed) {
        return ivp_error_set(err, IVP_ERR_NOMEM, "%s: out of memory", r->path);
    }
    r->next = k + 1;
    out->k = in->first + k;
    out->res = &r->res;
    out->data = &r->data;
    out->t0 = ts[0];
    out->t_end = ts[1];
    out->y0 = r->y0;
    out->params = r->params;
    *overrides = ov;
    return IVP_OK;
}
