/* SPDX-License-Identifier: MIT
 * core/src/h5sink.c - the HDF5 output file (contracts.md section 3), written while integrating.
 *
 * Memory bound: the sink's memory does not grow with the number of steps, points, events or
 * segments. It holds at most four chunk buffers (/t, /y, /dense/x, /dense/c) of at most
 * 'chunk_bytes' each (default 1 MiB, so at most 4 MiB), plus the names and O(n_events)
 * bookkeeping. A buffer starts at 64 KiB (or a chunk, if smaller) with its rows (one per value
 * of a record) a fraction of that apart; a run that outgrows it gets, once, a buffer with room
 * for a whole chunk (the first one is freed after the copy), in which the rows spread out in
 * place, doubling their room. So a short run allocates 64 KiB per dataset and touches only about
 * the pages its data needs; growing happens at most log2(records per chunk) times per buffer and
 * run (amortised O(1) per record, bounded by the chunk); nothing else allocates after
 * ivp_h5sink_open. A record larger than 'chunk_bytes' (a state of more than chunk_bytes / 8
 * values, or a dense segment of more) is not buffered: it is written straight from the caller's
 * vector, one column at a time, into chunks split along n. Inside HDF5, the chunk cache is off
 * for those datasets (every chunk is written whole, once) and holds one 4 KiB chunk per event
 * dataset (8 KiB per event); HDF5 bounds its metadata cache itself.
 *
 * Writes: a buffer's rows are the rows of a chunk (records cap apart, closed up to the chunk's
 * length before writing), so each buffered chunk goes to the file in one H5Dwrite_chunk, one
 * write() (a file of a short run: one per dataset plus HDF5's metadata). The last chunk of a
 * dataset that already has full ones is written whole; what lies past the extent is never read.
 *
 * Chunk dims: a chunk holds about 'chunk_bytes' and never more. A dataset whose buffer never
 * filled (a short run) is created at ivp_h5sink_finish with a chunk just as long as its data, so
 * small results make small files. Event datasets are written one occurrence at a time into
 * 4 KiB chunks. 'chunk_bytes' is capped at 1 GiB (HDF5 chunks must stay below 4 GiB).
 *
 * The file is created under a hidden temporary name in the destination folder and renamed over
 * the final name by ivp_h5sink_finish, through ivp_outfile (ivp/writer.h). For n > 2048 the
 * format is HDF5 1.8's (libver bounds V18), so that attributes larger than 64 KiB (atol of a
 * large system) are stored; below, HDF5's oldest, which is quicker to write. Every HDF5 1.8
 * or later reader opens either. More than 2048 parameter names switch the file to 1.8's format
 * at finish (H5Fset_libver_bounds) before /params and its names are written.
 *
 * Format 1.1 (finish): /params, /y0, /t_span, /y names, the event groups' attributes and /info;
 * small datasets are compact, so a short file still takes a handful of writes.
 */
#define _POSIX_C_SOURCE 200809L

#include "ivp/h5sink.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <hdf5.h>

#include "h5util.h"

#include "ivp/alloc.h"

#define H5SINK_DEFAULT_CHUNK_BYTES ((size_t)1 << 20)
#define H5SINK_MAX_CHUNK_BYTES ((size_t)1 << 30) /* HDF5 chunks must stay below 4 GiB */
#define H5SINK_EVENT_CHUNK_BYTES ((size_t)4096)
#define H5SINK_FIRST_BUFFER_BYTES ((size_t)65536) /* a chunk buffer starts this small */
#define H5SINK_OLDEST_FORMAT_MAX_N ((size_t)2048) /* larger n: HDF5 1.8 format (see open) */
/* format_version stays the integer 1 (what readers of format 1 compare with); the additions of
 * format 1.1 are announced by format_minor = 1. A reader shows them as "1.1". */
#define H5SINK_COMPACT_MAX_BYTES ((size_t)16384) /* smaller metadata datasets: compact */
#define H5SINK_FORMAT_VERSION 1
#define H5SINK_FORMAT_MINOR 1

/* One extendible dataset that grows along one axis by records of a x b values (row-major).
 * Shapes as h5py shows them: rank 1 (N,), rank 2 (a, N), rank 3 (a, N, b). */
typedef struct h5_series {
    const char *path;   /* absolute path in the file, e.g. "/y" (borrowed) */
    int rank;           /* 1, 2 or 3 */
    size_t a, b;        /* a record is a x b values */
    size_t cn;          /* records per chunk along the growing axis */
    size_t ca, cb;      /* chunk extent along a and b */
    int buffered;       /* records are gathered in 'buf' and written a chunk at a time */
    size_t cache_bytes; /* HDF5 chunk cache of this dataset */
    double *buf;        /* room for a x room x b values when buffered, else NULL */
    size_t room;        /* records per row 'buf' was allocated for: first ones, then cn */
    size_t cap;         /* records apart the rows of 'buf' are now (<= room): doubles up to cn */
    size_t count;       /* records waiting in 'buf' */
    hsize_t len;        /* records already in the file */
    hsize_t ext;        /* extent of the dataset along its growing axis */
    size_t chunk_len;   /* chunk extent of the dataset along its growing axis */
    hid_t dset;         /* H5I_INVALID_HID until created */
} h5_series;

struct ivp_h5sink {
    char *path;      /* final file name */
    ivp_outfile out; /* the temporary file and its final name */
    size_t n;        /* state dimension */
    size_t n_events; /* number of event functions */
    int dense;       /* /dense is written */
    unsigned degree; /* d of /dense/c */
    hid_t file;      /* H5I_INVALID_HID when closed */
    h5_series t, y;  /* /t, /y */
    h5_series x, c;  /* /dense/x, /dense/c */
    h5_series *ev;   /* 2 * n_events: /events/<name>/t then /events/<name>/y */
    char *ev_paths;  /* storage of the event dataset paths and names */
    char **ev_names; /* n_events names (in ev_paths), in the plugin's order */
    unsigned long m; /* dense segments received */
    double last_hi;  /* t_hi of the previous segment */
    int forward;     /* the breakpoints increase (set by the first segment) */
    int direct;      /* native double is IEEE little-endian: chunks go out by H5Dwrite_chunk */
    int failed;      /* a callback failed: 'err' says why */
    ivp_error err;   /* the first failure */
};

/* ---- errors ---------------------------------------------------------------------------------- */

typedef struct h5_reason {
    char text[256];
    int found;
} h5_reason;

/* Keeps the most specific entry (the first one when walking upward). */
static herr_t h5sink_walk(unsigned n, const H5E_error2_t *e, void *ud)
{
    h5_reason *r = ud;
    (void)n;
    if (!r->found && e != NULL && e->desc != NULL) {
        /* Low-level I/O failures carry the system's reason as "error message = '...'". */
        const char *key = "error message = '";
        const char *p = strstr(e->desc, key);
        size_t len;
        if (p != NULL) {
            const char *end;
            p += strlen(key);
            end = strchr(p, '\'');
            len = end != NULL ? (size_t)(end - p) : strlen(p);
        } else {
            p = e->desc;
            len = strlen(p);
        }
        if (len >= sizeof r->text) {
            len = sizeof r->text - 1;
        }
        memcpy(r->text, p, len);
        r->text[len] = '\0';
        r->found = 1;
    }
    return 0;
}

/* The reason HDF5 gave for its last failure, into r->text. */
static void h5sink_reason(h5_reason *r)
{
    r->found = 0;
    r->text[0] = '\0';
    if (H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, h5sink_walk, r) < 0 || !r->found) {
        snprintf(r->text, sizeof r->text, "unknown HDF5 error");
    }
}

/* Remembers an HDF5 failure (the first one only) and clears HDF5's error stack. */
static int h5sink_fail_h5(ivp_h5sink *s, const char *what, const char *where)
{
    if (!s->failed) {
        h5_reason r;
        h5sink_reason(&r);
        ivp_error_set(&s->err, IVP_ERR_IO, "%s: cannot write output: HDF5 failed %s %s: %s",
                      s->path, what, where, r.text);
        s->failed = 1;
    }
    H5Eclear2(H5E_DEFAULT);
    return -1;
}

/* ---- datasets ------------------------------------------------------------------------------- */

/* Plans the chunk of a series whose records are a x b values, for a chunk of about
 * 'target_bytes'. When a record fits, a chunk is cn whole records (cn >= 1); otherwise a chunk
 * is one record long and is split along b (and a), so it never exceeds the target. */
static void series_plan(h5_series *ser, const char *path, int rank, size_t a, size_t b,
                        size_t target_bytes, int buffered)
{
    size_t elems = target_bytes / sizeof(double);
    size_t rec = a * b; /* no overflow: checked by the caller */
    if (elems == 0) {
        elems = 1;
    }
    ser->path = path;
    ser->rank = rank;
    ser->a = a;
    ser->b = b;
    ser->count = 0;
    ser->len = 0;
    ser->ext = 0;
    ser->chunk_len = 0;
    ser->buf = NULL;
    ser->room = 0;
    ser->cap = 0;
    ser->dset = H5I_INVALID_HID;
    if (rec <= elems) {
        ser->cn = elems / rec;
        ser->ca = a;
        ser->cb = b;
        ser->buffered = buffered;
    } else {
        ser->cn = 1;
        ser->cb = b < elems ? b : elems;
        ser->ca = elems / ser->cb;
        if (ser->ca > a) {
            ser->ca = a;
        }
        if (ser->ca == 0) {
            ser->ca = 1;
        }
        ser->buffered = 0;
    }
    /* Buffered and oversized series write whole chunks once: no cache. Event series write one
     * record at a time into a chunk: cache exactly one chunk. */
    ser->cache_bytes = buffered ? 0 : ser->ca * ser->cn * ser->cb * sizeof(double);
}

/* dims[] of the series when it holds 'along' records (or of a chunk with 'along' records when
 * 'a', 'b' are the chunk extents). */
static int series_dims(const h5_series *ser, size_t a, hsize_t along, size_t b, hsize_t *dims)
{
    switch (ser->rank) {
    case 1:
        dims[0] = along;
        break;
    case 2:
        dims[0] = a;
        dims[1] = along;
        break;
    default:
        dims[0] = a;
        dims[1] = along;
        dims[2] = b;
        break;
    }
    return ser->rank;
}

/* Creates the dataset, extendible along its growing axis, with chunks of 'chunk_len' records
 * and room for 'len' records (the ones about to be written: no H5Dset_extent for them). */
static int series_create(ivp_h5sink *s, h5_series *ser, size_t chunk_len, size_t len)
{
    hsize_t dims[3], maxdims[3], chunk[3];
    hid_t space = H5I_INVALID_HID, dcpl = H5I_INVALID_HID, dapl = H5I_INVALID_HID;
    int rank = series_dims(ser, ser->a, len, ser->b, dims);
    int rc = -1;
    series_dims(ser, ser->a, H5S_UNLIMITED, ser->b, maxdims);
    series_dims(ser, ser->ca, chunk_len, ser->cb, chunk);
    space = H5Screate_simple(rank, dims, maxdims);
    if (space < 0) {
        goto fail;
    }
    /* Every value inside the extent is written, so chunks need no fill value (which also
     * spares HDF5 1.10.8 a fill buffer that it leaks when a write fails). */
    dcpl = H5Pcreate(H5P_DATASET_CREATE);
    if (dcpl < 0 || H5Pset_chunk(dcpl, rank, chunk) < 0 ||
        H5Pset_fill_time(dcpl, H5D_FILL_TIME_NEVER) < 0) {
        goto fail;
    }
    dapl = H5Pcreate(H5P_DATASET_ACCESS);
    if (dapl < 0 || H5Pset_chunk_cache(dapl, H5D_CHUNK_CACHE_NSLOTS_DEFAULT, ser->cache_bytes,
                                       H5D_CHUNK_CACHE_W0_DEFAULT) < 0) {
        goto fail;
    }
    ser->dset = H5Dcreate2(s->file, ser->path, H5T_IEEE_F64LE, space, H5P_DEFAULT, dcpl, dapl);
    if (ser->dset < 0) {
        ser->dset = H5I_INVALID_HID;
        goto fail;
    }
    ser->ext = len;
    ser->chunk_len = chunk_len;
    rc = 0;
fail:
    if (rc != 0) {
        h5sink_fail_h5(s, "creating", ser->path);
    }
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

/* Appends 'nrec' records from 'src', laid out as a x mem_cn x b values, to the dataset. */
static int series_write(ivp_h5sink *s, h5_series *ser, const double *src, size_t nrec,
                        size_t mem_cn)
{
    hsize_t dims[3], start[3], count[3];
    hid_t fspace = H5I_INVALID_HID, mspace = H5I_INVALID_HID;
    int rank;
    int rc = -1;
    rank = series_dims(ser, ser->a, ser->len + nrec, ser->b, dims);
    if (ser->len + nrec > ser->ext) {
        if (H5Dset_extent(ser->dset, dims) < 0) {
            goto fail;
        }
        ser->ext = ser->len + nrec;
    }
    fspace = H5Dget_space(ser->dset);
    series_dims(ser, 0, ser->len, 0, start);
    series_dims(ser, ser->a, nrec, ser->b, count);
    if (fspace < 0 || H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, NULL, count, NULL) < 0) {
        goto fail;
    }
    series_dims(ser, ser->a, mem_cn, ser->b, dims);
    mspace = H5Screate_simple(rank, dims, NULL);
    series_dims(ser, 0, 0, 0, start);
    if (mspace < 0 || H5Sselect_hyperslab(mspace, H5S_SELECT_SET, start, NULL, count, NULL) < 0) {
        goto fail;
    }
    if (H5Dwrite(ser->dset, H5T_NATIVE_DOUBLE, mspace, fspace, H5P_DEFAULT, src) < 0) {
        goto fail;
    }
    ivp_outfile_written(&s->out, ser->a * nrec * ser->b * sizeof *ser->buf);
    ser->len += nrec;
    rc = 0;
fail:
    if (rc != 0) {
        h5sink_fail_h5(s, "writing", ser->path);
    }
    if (fspace >= 0) {
        H5Sclose(fspace);
    }
    if (mspace >= 0) {
        H5Sclose(mspace);
    }
    return rc;
}

/* Moves the 'count' buffered records, in place, from rows 'from' records apart (a x from x b
 * values) to rows 'to' records apart, count <= to. Rows move in the order that never overwrites
 * a row not yet moved: down (first row first) when compacting, up (last row first) when
 * spreading. */
static void series_restride(h5_series *ser, size_t from, size_t to)
{
    size_t i, row = ser->count * ser->b * sizeof *ser->buf;
    if (to < from) {
        for (i = 1; i < ser->a; i++) {
            memmove(ser->buf + i * to * ser->b, ser->buf + i * from * ser->b, row);
        }
    } else {
        for (i = ser->a; i-- > 1;) {
            memmove(ser->buf + i * to * ser->b, ser->buf + i * from * ser->b, row);
        }
    }
}

/* Doubles the records per row of the buffer (up to cn). The first time the first buffer is
 * outgrown, it is replaced by one with room for a whole chunk; after that the rows spread out
 * in place, so only pages that hold data are ever touched. At most log2(cn) times per series
 * and run: amortised O(1) per record. */
static int series_grow(ivp_h5sink *s, h5_series *ser)
{
    size_t cap = ser->cap <= ser->cn / 2 ? 2 * ser->cap : ser->cn;
    size_t rec = ser->a * ser->b * sizeof *ser->buf;
    if (cap > ser->room) {
        double *buf = ivp_alloc(NULL, ser->cn * rec);
        size_t i;
        if (buf == NULL) {
            ivp_error_set(&s->err, IVP_ERR_NOMEM,
                          "%s: cannot write output: out of memory growing the buffer of %s to "
                          "%zu bytes",
                          s->path, ser->path, ser->cn * rec);
            s->failed = 1;
            return -1;
        }
        for (i = 0; i < ser->a; i++) {
            memcpy(buf + i * cap * ser->b, ser->buf + i * ser->cap * ser->b,
                   ser->count * ser->b * sizeof *buf);
        }
        ivp_free(NULL, ser->buf);
        ser->buf = buf;
        ser->room = ser->cn;
    } else {
        series_restride(ser, ser->cap, cap);
    }
    ser->cap = cap;
    return 0;
}

/* Writes the buffered records, which start a chunk, as that whole chunk: one H5Dwrite_chunk,
 * so one write() of chunk_len records (the rows of the buffer are the rows of the chunk). The
 * last chunk of a dataset may reach past its extent; what lies there is never read. */
static int series_write_chunk(ivp_h5sink *s, h5_series *ser)
{
    hsize_t dims[3], offset[3];
    size_t nrec = ser->count;
    if (ser->len + nrec > ser->ext) {
        series_dims(ser, ser->a, ser->len + nrec, ser->b, dims);
        if (H5Dset_extent(ser->dset, dims) < 0) {
            return h5sink_fail_h5(s, "extending", ser->path);
        }
        ser->ext = ser->len + nrec;
    }
    series_dims(ser, 0, ser->len, 0, offset);
    if (H5Dwrite_chunk(ser->dset, H5P_DEFAULT, 0, offset,
                       ser->a * ser->chunk_len * ser->b * sizeof *ser->buf, ser->buf) < 0) {
        return h5sink_fail_h5(s, "writing", ser->path);
    }
    ivp_outfile_written(&s->out, ser->a * ser->chunk_len * ser->b * sizeof *ser->buf);
    ser->len += nrec;
    return 0;
}

/* Writes what is buffered. 'final': the run is over, so a dataset that does not exist yet gets a
 * chunk as long as its data (at least 1) instead of a full one. */
static int series_flush(ivp_h5sink *s, h5_series *ser, int final)
{
    if (ser->dset < 0) {
        size_t chunk_len = ser->cn;
        if (final && ser->buffered) {
            chunk_len = ser->count > 0 ? ser->count : 1;
        }
        if (series_create(s, ser, chunk_len, ser->buffered ? ser->count : 0) != 0) {
            return -1;
        }
    }
    if (!ser->buffered || ser->count == 0) {
        return 0;
    }
    /* The buffer's rows are cap records apart, the chunk's chunk_len. They differ only for a
     * dataset created just now with chunk_len = count < cap (a full chunk is written only
     * once cap = cn): close the gaps in place. */
    if (ser->cap != ser->chunk_len) {
        series_restride(ser, ser->cap, ser->count);
        ser->cap = ser->count;
    }
    if (s->direct) {
        if (series_write_chunk(s, ser) != 0) {
            return -1;
        }
    } else if (series_write(s, ser, ser->buf, ser->count, ser->cap) != 0) {
        return -1;
    }
    ser->count = 0;
    return 0;
}

/* Writes one record that is not buffered straight to the file. */
static int series_push_unbuffered(ivp_h5sink *s, h5_series *ser, const double *rec)
{
    if (ser->dset < 0 && series_create(s, ser, ser->cn, 0) != 0) {
        return -1;
    }
    return series_write(s, ser, rec, 1, 1);
}

/* Appends one record of a x b values (borrowed for the call). Allocates only when a run
 * outgrows the first buffer (series_grow). */
static int series_push(ivp_h5sink *s, h5_series *ser, const double *rec)
{
    size_t i, a = ser->a, b = ser->b, step;
    double *dst;
    if (!ser->buffered) {
        return series_push_unbuffered(s, ser, rec);
    }
    if (ser->count == ser->cap && series_grow(s, ser) != 0) {
        return -1;
    }
    dst = ser->buf + ser->count * b;
    step = ser->cap * b;
    if (b == 1) { /* /t, /y, /dense/x: one value per row */
        for (i = 0; i < a; i++) {
            dst[i * step] = rec[i];
        }
    } else {
        for (i = 0; i < a; i++) {
            memcpy(dst + i * step, rec + i * b, b * sizeof *dst);
        }
    }
    ser->count++;
    return ser->count == ser->cn ? series_flush(s, ser, 0) : 0;
}

/* ---- callbacks ------------------------------------------------------------------------------ */

static int h5sink_point(void *ud, double t, const double *y)
{
    ivp_h5sink *s = ud;
    if (s->failed) {
        return -1;
    }
    if (series_push(s, &s->t, &t) != 0 || series_push(s, &s->y, y) != 0) {
        return -1;
    }
    return 0;
}

static int h5sink_event(void *ud, size_t k, double t, const double *y)
{
    ivp_h5sink *s = ud;
    if (s->failed) {
        return -1;
    }
    if (k >= s->n_events) {
        ivp_error_set(&s->err, IVP_ERR_IO,
                      "%s: cannot write output: event index %zu out of range (%zu events)", s->path,
                      k, s->n_events);
        s->failed = 1;
        return -1;
    }
    if (series_push(s, &s->ev[2 * k], &t) != 0 || series_push(s, &s->ev[2 * k + 1], y) != 0) {
        return -1;
    }
    return 0;
}

static int h5sink_segment(void *ud, double t_lo, double t_hi, const double *c)
{
    ivp_h5sink *s = ud;
    int forward = t_hi > t_lo;
    if (s->failed) {
        return -1;
    }
    /* PPoly needs strictly monotonic breakpoints: each segment starts where the previous one
     * ended and goes the same way. */
    if (!isfinite(t_lo) || !isfinite(t_hi) || t_hi == t_lo) {
        ivp_error_set(&s->err, IVP_ERR_IO,
                      "%s: cannot write output: dense segment %lu from t = %.17g to %.17g is "
                      "empty or not finite",
                      s->path, s->m, t_lo, t_hi);
        s->failed = 1;
        return -1;
    }
    if (s->m > 0 && (t_lo != s->last_hi || forward != s->forward)) {
        ivp_error_set(&s->err, IVP_ERR_IO,
                      "%s: cannot write output: dense segment %lu from t = %.17g to %.17g does "
                      "not continue the previous one, which ended at t = %.17g going %s",
                      s->path, s->m, t_lo, t_hi, s->last_hi, s->forward ? "up" : "down");
        s->failed = 1;
        return -1;
    }
    if (s->m == 0) {
        s->forward = forward;
        if (series_push(s, &s->x, &t_lo) != 0) {
            return -1;
        }
    }
    if (series_push(s, &s->x, &t_hi) != 0 || series_push(s, &s->c, c) != 0) {
        return -1;
    }
    s->last_hi = t_hi;
    s->m++;
    return 0;
}

ivp_sink ivp_h5sink_sink(ivp_h5sink *s)
{
    ivp_sink sink = {NULL, NULL, NULL, NULL};
    if (s != NULL) {
        sink.point = h5sink_point;
        sink.event = h5sink_event;
        sink.segment = s->dense ? h5sink_segment : NULL;
        sink.ud = s;
    }
    return sink;
}

/* ---- open / close --------------------------------------------------------------------------- */

static size_t h5sink_series_count(const ivp_h5sink *s)
{
    return s->ev != NULL ? 2 * s->n_events : 0;
}

/* Closes every HDF5 object; -1 (with the reason kept) if one of them fails. */
static int h5sink_close(ivp_h5sink *s)
{
    h5_series *fixed[4];
    size_t i;
    int rc = 0;
    fixed[0] = &s->t;
    fixed[1] = &s->y;
    fixed[2] = &s->x;
    fixed[3] = &s->c;
    for (i = 0; i < 4 + h5sink_series_count(s); i++) {
        h5_series *ser = i < 4 ? fixed[i] : &s->ev[i - 4];
        if (ser->dset >= 0) {
            if (H5Dclose(ser->dset) < 0) {
                rc = h5sink_fail_h5(s, "closing", ser->path);
            }
            ser->dset = H5I_INVALID_HID;
        }
    }
    if (s->file >= 0) {
        if (H5Fclose(s->file) < 0) {
            rc = h5sink_fail_h5(s, "closing", "the file");
        }
        s->file = H5I_INVALID_HID;
    }
    return rc;
}

/* Frees s and everything it owns; HDF5 objects must be closed. */
static void h5sink_free(ivp_h5sink *s)
{
    size_t i;
    ivp_free(NULL, s->t.buf);
    ivp_free(NULL, s->y.buf);
    ivp_free(NULL, s->x.buf);
    ivp_free(NULL, s->c.buf);
    for (i = 0; i < h5sink_series_count(s); i++) {
        ivp_free(NULL, s->ev[i].buf);
    }
    ivp_free(NULL, s->ev);
    ivp_free(NULL, s->ev_paths);
    ivp_free(NULL, s->ev_names);
    ivp_free(NULL, s->path);
    ivp_free(NULL, s);
}

/* Closes, removes the temporary file and frees: the end of every failed or discarded sink. */
static void h5sink_abandon(ivp_h5sink *s)
{
    h5sink_close(s);
    ivp_outfile_discard(&s->out);
    h5sink_free(s);
}

/* Checks the configuration; IVP_OK or IVP_ERR_ARG naming the problem. */
static ivp_status h5sink_check(const ivp_h5sink_config *cfg, ivp_error *err)
{
    size_t i, j;
    if (cfg->path == NULL || cfg->path[0] == '\0') {
        return ivp_error_set(err, IVP_ERR_ARG, "HDF5 output: no file name given");
    }
    if (cfg->n == 0) {
        return ivp_error_set(err, IVP_ERR_ARG, "%s: cannot write output: state dimension is 0",
                             cfg->path);
    }
    if (cfg->dense && cfg->n > SIZE_MAX / sizeof(double) / ((size_t)cfg->dense_degree + 1)) {
        return ivp_error_set(err, IVP_ERR_ARG,
                             "%s: cannot write output: dense degree %u with n = %zu is too large",
                             cfg->path, cfg->dense_degree, cfg->n);
    }
    if (cfg->n_events > 0 && cfg->event_names == NULL) {
        return ivp_error_set(err, IVP_ERR_ARG,
                             "%s: cannot write output: %zu events but no event names", cfg->path,
                             cfg->n_events);
    }
    for (i = 0; i < cfg->n_events; i++) {
        const char *name = cfg->event_names[i];
        if (name == NULL || name[0] == '\0' || strchr(name, '/') != NULL ||
            strcmp(name, ".") == 0) {
            return ivp_error_set(err, IVP_ERR_ARG,
                                 "%s: cannot write output: event %zu has name \"%s\", which "
                                 "cannot be an HDF5 group name (empty, \".\" or containing '/')",
                                 cfg->path, i, name != NULL ? name : "(null)");
        }
        for (j = 0; j < i; j++) {
            if (strcmp(name, cfg->event_names[j]) == 0) {
                return ivp_error_set(err, IVP_ERR_ARG,
                                     "%s: cannot write output: events %zu and %zu are both named "
                                     "\"%s\"",
                                     cfg->path, j, i, name);
            }
        }
    }
    return IVP_OK;
}

/* Allocates the sink, its names and its chunk buffers (no files yet). */
static ivp_status h5sink_alloc(const ivp_h5sink_config *cfg, ivp_h5sink **out, ivp_error *err)
{
    size_t chunk_bytes = cfg->chunk_bytes == 0 ? H5SINK_DEFAULT_CHUNK_BYTES : cfg->chunk_bytes;
    size_t event_bytes, path_len = strlen(cfg->path), paths_size = 0, i;
    h5_series *buffered[4];
    ivp_h5sink *s = ivp_calloc(NULL, 1, sizeof *s);
    char *p;
    if (s == NULL) {
        goto nomem;
    }
    if (chunk_bytes > H5SINK_MAX_CHUNK_BYTES) {
        chunk_bytes = H5SINK_MAX_CHUNK_BYTES;
    }
    event_bytes = chunk_bytes < H5SINK_EVENT_CHUNK_BYTES ? chunk_bytes : H5SINK_EVENT_CHUNK_BYTES;
    s->file = H5I_INVALID_HID;
    s->n = cfg->n;
    s->dense = cfg->dense != 0;
    s->degree = cfg->dense_degree;
    series_plan(&s->t, "/t", 1, 1, 1, chunk_bytes, 1);
    series_plan(&s->y, "/y", 2, cfg->n, 1, chunk_bytes, 1);
    series_plan(&s->x, "/dense/x", 1, 1, 1, chunk_bytes, 1);
    series_plan(&s->c, "/dense/c", 3, s->dense ? (size_t)cfg->dense_degree + 1 : 1, cfg->n,
                chunk_bytes, 1);
    if (cfg->n_events > 0) {
        s->ev = ivp_calloc(NULL, 2 * cfg->n_events, sizeof *s->ev);
        if (s->ev == NULL) {
            goto nomem;
        }
        s->n_events = cfg->n_events;
        for (i = 0; i < s->n_events; i++) {
            /* "/events/" name "/t" '\0', twice */
            paths_size += 2 * (strlen("/events/") + strlen(cfg->event_names[i]) + 3);
            paths_size += strlen(cfg->event_names[i]) + 1; /* the name */
        }
        s->ev_paths = ivp_alloc(NULL, paths_size);
        s->ev_names = ivp_alloc(NULL, cfg->n_events * sizeof *s->ev_names);
        if (s->ev_paths == NULL || s->ev_names == NULL) {
            goto nomem;
        }
        p = s->ev_paths;
        for (i = 0; i < s->n_events; i++) {
            size_t len = strlen("/events/") + strlen(cfg->event_names[i]) + 3;
            snprintf(p, len, "/events/%s/t", cfg->event_names[i]);
            series_plan(&s->ev[2 * i], p, 1, 1, 1, event_bytes, 0);
            p += len;
            snprintf(p, len, "/events/%s/y", cfg->event_names[i]);
            series_plan(&s->ev[2 * i + 1], p, 2, cfg->n, 1, event_bytes, 0);
            p += len;
            len = strlen(cfg->event_names[i]) + 1;
            memcpy(p, cfg->event_names[i], len);
            s->ev_names[i] = p;
            p += len;
        }
    }
    s->path = ivp_alloc(NULL, path_len + 1);
    if (s->path == NULL) {
        goto nomem;
    }
    memcpy(s->path, cfg->path, path_len + 1);
    buffered[0] = &s->t;
    buffered[1] = &s->y;
    buffered[2] = &s->x;
    buffered[3] = &s->c;
    for (i = 0; i < (s->dense ? 4u : 2u); i++) {
        h5_series *ser = buffered[i];
        if (ser->buffered) {
            /* H5SINK_FIRST_BUFFER_BYTES (at most a chunk) grown by series_grow; records
             * larger than that get room for a whole chunk at once, rows one record apart. */
            size_t rec = ser->a * ser->b * sizeof *ser->buf;
            size_t cap = H5SINK_FIRST_BUFFER_BYTES / rec;
            ser->cap = cap == 0 ? 1 : cap < ser->cn ? cap : ser->cn;
            ser->room = cap == 0 ? ser->cn : ser->cap;
            ser->buf = ivp_alloc(NULL, ser->room * rec);
            if (ser->buf == NULL) {
                goto nomem;
            }
        }
    }
    *out = s;
    return IVP_OK;
nomem:
    if (s != NULL) {
        h5sink_free(s);
    }
    return ivp_error_set(err, IVP_ERR_NOMEM, "%s: cannot write output: out of memory", cfg->path);
}

ivp_status ivp_h5sink_open(const ivp_h5sink_config *cfg, ivp_h5sink **out, ivp_error *err)
{
    ivp_h5sink *s = NULL;
    hid_t fapl = H5I_INVALID_HID, events = H5I_INVALID_HID, group;
    ivp_status status;
    size_t i;
    if (out != NULL) {
        *out = NULL;
    }
    if (cfg == NULL || out == NULL) {
        return ivp_error_set(err, IVP_ERR_ARG, "ivp_h5sink_open: cfg and out must not be NULL");
    }
    status = h5sink_check(cfg, err);
    if (status != IVP_OK) {
        return status;
    }
    status = h5sink_alloc(cfg, &s, err);
    if (status != IVP_OK) {
        return status;
    }
    status = ivp_outfile_create(&s->out, s->path, err);
    if (status != IVP_OK) {
        goto fail;
    }
    status = IVP_ERR_IO;
    /* No clean-up of HDF5 at exit: a file whose close failed (a write error such as EFBIG or
     * ENOSPC while flushing) stays registered, and HDF5 1.10's exit-time clean-up crashes on it
     * (SIGSEGV after the error was reported). Every file is closed or discarded explicitly.
     * Only effective before HDF5's first use, so the return value is ignored. */
    (void)H5dont_atexit();
    /* Failures become messages; HDF5 must not print its error stack on stderr. */
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    /* Buffered chunks are already in the file's byte order when doubles are IEEE little-endian;
     * elsewhere H5Dwrite converts them. */
    s->direct = H5Tequal(H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE) > 0;
    fapl = H5Pcreate(H5P_FILE_ACCESS);
    /* HDF5 1.8's format stores attributes over 64 KiB, which the oldest format cannot; asked
     * for only when an attribute of n values may come near that (atol: 8 bytes a value, a list
     * of n names: 16), as it makes every small file noticeably slower to write. File locking
     * stays on, but a file system without locks (some NFS) is not an error. */
    if (fapl < 0 ||
        (s->n > H5SINK_OLDEST_FORMAT_MAX_N &&
         H5Pset_libver_bounds(fapl, H5F_LIBVER_V18, H5F_LIBVER_V18) < 0) ||
        H5Pset_file_locking(fapl, 1, 1) < 0) {
        h5sink_fail_h5(s, "setting up", "the file");
        goto fail_h5;
    }
    s->file = H5Fcreate(s->out.temp, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    if (s->file < 0) {
        s->file = H5I_INVALID_HID;
        h5sink_fail_h5(s, "creating", s->out.temp);
        goto fail_h5;
    }
    events = H5Gcreate2(s->file, "/events", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (events < 0) {
        h5sink_fail_h5(s, "creating", "/events");
        goto fail_h5;
    }
    for (i = 0; i < s->n_events; i++) {
        group = H5Gcreate2(events, cfg->event_names[i], H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        if (group < 0 || H5Gclose(group) < 0) {
            h5sink_fail_h5(s, "creating the group of event", cfg->event_names[i]);
            goto fail_h5;
        }
    }
    if (H5Gclose(events) < 0) {
        events = H5I_INVALID_HID;
        h5sink_fail_h5(s, "closing", "/events");
        goto fail_h5;
    }
    events = H5I_INVALID_HID;
    if (s->dense) {
        group = H5Gcreate2(s->file, "/dense", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        if (group < 0 || H5Gclose(group) < 0) {
            h5sink_fail_h5(s, "creating", "/dense");
            goto fail_h5;
        }
    }
    H5Pclose(fapl);
    *out = s;
    return IVP_OK;
fail_h5:
    ivp_error_set(err, s->err.status, "%s", s->err.msg);
fail:
    if (events >= 0) {
        H5Gclose(events);
    }
    if (fapl >= 0) {
        H5Pclose(fapl);
    }
    h5sink_abandon(s);
    return status;
}

/* ---- finish --------------------------------------------------------------------------------- */

/* Writes an attribute of object 'loc' of the given types from 'value'. A NULL 'dims' makes it
 * scalar. */
static int h5sink_attr_at(ivp_h5sink *s, hid_t loc, const char *name, hid_t ftype, hid_t mtype,
                          const hsize_t *dims, const void *value)
{
    return ivp_h5_attr(loc, name, ftype, mtype, dims, value) != 0
               ? h5sink_fail_h5(s, "writing the attribute", name)
               : 0;
}

/* A root attribute (see h5sink_attr_at). */
static int h5sink_attr(ivp_h5sink *s, const char *name, hid_t ftype, hid_t mtype,
                       const hsize_t *dims, const void *value)
{
    return h5sink_attr_at(s, s->file, name, ftype, mtype, dims, value);
}

/* A variable-length UTF-8 string (h5py reads it as str); NULL is written as "". */
static int h5sink_attr_str(ivp_h5sink *s, const char *name, const char *value)
{
    hid_t type = ivp_h5_str_type(0);
    const char *v = value != NULL ? value : "";
    int rc;
    if (type < 0) {
        rc = h5sink_fail_h5(s, "making the string type of", name);
    } else {
        rc = h5sink_attr(s, name, type, type, NULL, &v);
    }
    if (type >= 0) {
        H5Tclose(type);
    }
    return rc;
}

static int h5sink_attr_i64(ivp_h5sink *s, const char *name, int64_t value)
{
    return h5sink_attr(s, name, H5T_STD_I64LE, H5T_NATIVE_INT64, NULL, &value);
}

/* Counters are unsigned long; int64 holds every count a run can reach. */
static int h5sink_attr_count(ivp_h5sink *s, const char *name, unsigned long value)
{
    return h5sink_attr_i64(s, name, value > (unsigned long)INT64_MAX ? INT64_MAX : (int64_t)value);
}

static int h5sink_attr_f64(ivp_h5sink *s, const char *name, double value)
{
    return h5sink_attr(s, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, NULL, &value);
}

/* The current time as ISO 8601 UTC, "2024-05-01T12:34:56Z", into buf. */
static const char *h5sink_now(char *buf, size_t size)
{
    time_t now = time(NULL);
    struct tm tm;
    if (now == (time_t)-1 || gmtime_r(&now, &tm) == NULL ||
        strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
        snprintf(buf, size, "%s", "");
    }
    return buf;
}

/* ---- format 1.1: metadata as data (contracts.md section 3) and /info ----------------------------- */

/* The attribute 'name' of loc: n variable-length strings, read from v (borrowed). */
static int h5sink_attr_strs(ivp_h5sink *s, hid_t loc, const char *name, const char *const *v,
                            size_t n)
{
    hsize_t dims = n;
    hid_t type = ivp_h5_str_type(0);
    int rc;
    if (type < 0) {
        return h5sink_fail_h5(s, "making the string type of", name);
    }
    rc = h5sink_attr_at(s, loc, name, type, type, &dims, v);
    H5Tclose(type);
    return rc;
}

/* Creates a dataset of 'ftype' and 'space' under loc: compact (its data kept in its object
 * header, so written with HDF5's metadata instead of in a write of its own) when it holds at
 * most H5SINK_COMPACT_MAX_BYTES, else contiguous. Negative on failure. */
static hid_t h5sink_dset_create(hid_t loc, const char *name, hid_t ftype, hid_t space)
{
    hssize_t points = H5Sget_simple_extent_npoints(space);
    size_t size = H5Tget_size(ftype);
    hid_t dcpl, dset;
    if (points < 0 || size == 0) {
        return H5I_INVALID_HID;
    }
    if ((size_t)points > H5SINK_COMPACT_MAX_BYTES / size) {
        return H5Dcreate2(loc, name, ftype, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    }
    dcpl = H5Pcreate(H5P_DATASET_CREATE);
    if (dcpl < 0 || H5Pset_layout(dcpl, H5D_COMPACT) < 0) {
        if (dcpl >= 0) {
            H5Pclose(dcpl);
        }
        return H5I_INVALID_HID;
    }
    dset = H5Dcreate2(loc, name, ftype, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    H5Pclose(dcpl);
    return dset;
}

/* Creates the dataset 'name' under loc (h5sink_dset_create), scalar (dims NULL) or of dims[0]
 * values, and writes 'value' (in mtype) to it unless it is empty. The open dataset goes to
 * *keep when keep is not NULL (the caller closes it), else it is closed. */
static int h5sink_dset(ivp_h5sink *s, hid_t loc, const char *name, hid_t ftype, hid_t mtype,
                       const hsize_t *dims, const void *value, hid_t *keep)
{
    hid_t space = dims != NULL ? H5Screate_simple(1, dims, NULL) : H5Screate(H5S_SCALAR);
    hid_t dset = H5I_INVALID_HID;
    int rc = -1;
    if (keep != NULL) {
        *keep = H5I_INVALID_HID;
    }
    if (space < 0) {
        goto fail;
    }
    dset = h5sink_dset_create(loc, name, ftype, space);
    if (dset < 0) {
        goto fail;
    }
    if ((dims == NULL || dims[0] > 0) &&
        H5Dwrite(dset, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, value) < 0) {
        goto fail;
    }
    rc = 0;
fail:
    if (rc == 0 && keep != NULL) {
        *keep = dset;
    } else if (dset >= 0 && H5Dclose(dset) < 0) {
        rc = -1;
    }
    if (rc != 0) {
        h5sink_fail_h5(s, "writing the dataset", name);
    }
    if (space >= 0) {
        H5Sclose(space);
    }
    return rc;
}

static int h5sink_dset_i64(ivp_h5sink *s, hid_t loc, const char *name, int64_t value)
{
    return h5sink_dset(s, loc, name, H5T_STD_I64LE, H5T_NATIVE_INT64, NULL, &value, NULL);
}

static int h5sink_dset_count(ivp_h5sink *s, hid_t loc, const char *name, unsigned long value)
{
    return h5sink_dset_i64(s, loc, name,
                           value > (unsigned long)INT64_MAX ? INT64_MAX : (int64_t)value);
}

/* A scalar fixed-length string dataset ("" is stored as one NUL). */
static int h5sink_dset_str(ivp_h5sink *s, hid_t loc, const char *name, const char *value)
{
    const char *v = value != NULL ? value : "";
    size_t len = strlen(v);
    hid_t type = ivp_h5_str_type(len > 0 ? len : 1);
    int rc;
    if (type < 0) {
        return h5sink_fail_h5(s, "making the string type of", name);
    }
    rc = h5sink_dset(s, loc, name, type, type, NULL, v, NULL);
    H5Tclose(type);
    return rc;
}

#define H5SINK_STRS_BLOCK_BYTES                                                                    \
    ((size_t)65536) /* fixed-length names are copied this much at a time */

/* A dataset of n fixed-length strings, as long as the longest (at least 1 byte), copied into
 * the file through a buffer of at most H5SINK_STRS_BLOCK_BYTES (or one string). */
static int h5sink_dset_strs(ivp_h5sink *s, hid_t loc, const char *name, const char *const *v,
                            size_t n)
{
    size_t width = 1, rows, i, j;
    hsize_t dims = n, start, count;
    hid_t type = H5I_INVALID_HID, space = H5I_INVALID_HID, mspace = H5I_INVALID_HID;
    hid_t dset = H5I_INVALID_HID;
    char *buf = NULL;
    int rc = -1;
    for (i = 0; i < n; i++) {
        size_t len = strlen(v[i]);
        width = len > width ? len : width;
    }
    rows = H5SINK_STRS_BLOCK_BYTES / width;
    rows = rows == 0 ? 1 : rows < n ? rows : n;
    buf = ivp_alloc(NULL, rows * width);
    if (buf == NULL) {
        ivp_error_set(&s->err, IVP_ERR_NOMEM, "%s: cannot write output: out of memory writing %s",
                      s->path, name);
        s->failed = 1;
        return -1;
    }
    type = ivp_h5_str_type(width);
    space = H5Screate_simple(1, &dims, NULL);
    if (type < 0 || space < 0) {
        goto fail;
    }
    dset = h5sink_dset_create(loc, name, type, space);
    if (dset < 0) {
        goto fail;
    }
    for (i = 0; i < n; i += rows) {
        size_t m = n - i < rows ? n - i : rows;
        memset(buf, 0, m * width);
        for (j = 0; j < m; j++) {
            memcpy(buf + j * width, v[i + j], strlen(v[i + j]));
        }
        start = i;
        count = m;
        mspace = H5Screate_simple(1, &count, NULL);
        if (mspace < 0 ||
            H5Sselect_hyperslab(space, H5S_SELECT_SET, &start, NULL, &count, NULL) < 0 ||
            H5Dwrite(dset, type, mspace, space, H5P_DEFAULT, buf) < 0) {
            goto fail;
        }
        H5Sclose(mspace);
        mspace = H5I_INVALID_HID;
    }
    rc = 0;
fail:
    if (dset >= 0 && H5Dclose(dset) < 0) {
        rc = -1;
    }
    if (rc != 0) {
        h5sink_fail_h5(s, "writing the dataset", name);
    }
    if (mspace >= 0) {
        H5Sclose(mspace);
    }
    if (space >= 0) {
        H5Sclose(space);
    }
    if (type >= 0) {
        H5Tclose(type);
    }
    ivp_free(NULL, buf);
    return rc;
}

/* The index, direction and terminal attributes of /events/<name> (event i). */
static int h5sink_event_attrs(ivp_h5sink *s, size_t i, const ivp_event_opts *opts)
{
    const char *tpath = s->ev[2 * i].path; /* "/events/<name>/t" */
    size_t len = strlen(tpath) - 2;        /* "/events/<name>" */
    char *gpath = ivp_alloc(NULL, len + 1);
    hid_t g;
    int rc = 0;
    if (gpath == NULL) {
        ivp_error_set(&s->err, IVP_ERR_NOMEM, "%s: cannot write output: out of memory", s->path);
        s->failed = 1;
        return -1;
    }
    memcpy(gpath, tpath, len);
    gpath[len] = '\0';
    g = H5Gopen2(s->file, gpath, H5P_DEFAULT);
    if (g < 0) {
        rc = h5sink_fail_h5(s, "opening", gpath);
    } else {
        const char *what = NULL;
        if (ivp_h5_event_attrs(g, i, opts, &what) != 0) {
            rc = h5sink_fail_h5(s, "writing the attribute", what);
        }
        if (H5Gclose(g) < 0) {
            rc = h5sink_fail_h5(s, "closing", gpath);
        }
    }
    ivp_free(NULL, gpath);
    return rc != 0 ? -1 : 0;
}

/* /params (with names), /y0, /t_span, /y's names and the event attributes. */
static int h5sink_meta_data(ivp_h5sink *s, const ivp_h5sink_meta *meta)
{
    hsize_t np = meta->n_params, n = s->n, two = 2;
    hid_t d;
    size_t i;
    int rc = 0;
    if (meta->params != NULL || meta->n_params == 0) {
        /* A names attribute of np strings takes 16 bytes each; past 64 KiB only HDF5 1.8's
         * format can store it (as for n, see ivp_h5sink_open): switch to it for the objects
         * created from here on. */
        if (meta->param_names != NULL && meta->n_params > H5SINK_OLDEST_FORMAT_MAX_N &&
            s->n <= H5SINK_OLDEST_FORMAT_MAX_N &&
            H5Fset_libver_bounds(s->file, H5F_LIBVER_V18, H5F_LIBVER_V18) < 0) {
            return h5sink_fail_h5(s, "setting up the format of", "/params");
        }
        if (h5sink_dset(s, s->file, "params", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &np, meta->params,
                        &d) != 0) {
            return -1;
        }
        if (meta->param_names != NULL) {
            rc |= h5sink_attr_strs(s, d, "names", meta->param_names, meta->n_params);
        }
        if (H5Dclose(d) < 0) {
            rc |= h5sink_fail_h5(s, "closing", "/params");
        }
    }
    if (meta->y0 != NULL) {
        rc |= h5sink_dset(s, s->file, "y0", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &n, meta->y0, NULL);
    }
    if (meta->t_span != NULL) {
        rc |= h5sink_dset(s, s->file, "t_span", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &two,
                          meta->t_span, NULL);
    }
    if (meta->state_names != NULL && s->y.dset >= 0) {
        rc |= h5sink_attr_strs(s, s->y.dset, "names", meta->state_names, s->n);
    }
    for (i = 0; i < s->n_events; i++) {
        rc |= h5sink_event_attrs(s, i, meta->event_opts != NULL ? &meta->event_opts[i] : NULL);
    }
    return rc != 0 ? -1 : 0;
}

/* /info: the root attributes that Octave's load -hdf5 (which reads no attributes, and drops a
 * group holding a variable-length string) needs, as datasets with fixed-length strings. */
static int h5sink_info(ivp_h5sink *s, const ivp_result *res, const ivp_h5sink_meta *meta)
{
    hid_t gcpl = H5Pcreate(H5P_GROUP_CREATE), g = H5I_INVALID_HID;
    size_t i;
    int rc = 0;
    /* HDF5 1.8's format keeps up to 8 links in the group's header and more in a fractal heap
     * and B-tree (5 more writes); /info has about 20. */
    if (gcpl >= 0 && H5Pset_link_phase_change(gcpl, 32, 24) >= 0) {
        g = H5Gcreate2(s->file, "info", H5P_DEFAULT, gcpl, H5P_DEFAULT);
    }
    if (gcpl >= 0) {
        H5Pclose(gcpl);
    }
    if (g < 0) {
        return h5sink_fail_h5(s, "creating", "/info");
    }
    rc |= h5sink_dset_i64(s, g, "status", res->status);
    rc |= h5sink_dset_i64(s, g, "success", res->status >= 0 ? 1 : 0);
    rc |= h5sink_dset_count(s, g, "nfev", res->nfev);
    rc |= h5sink_dset_count(s, g, "njev", res->njev);
    rc |= h5sink_dset_count(s, g, "nlu", res->nlu);
    rc |= h5sink_dset_count(s, g, "n_steps", res->n_steps);
    rc |= h5sink_dset_count(s, g, "n_rejected", res->n_rejected);
    rc |= h5sink_dset(s, g, "solve_seconds", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, NULL,
                      &res->solve_seconds, NULL);
    rc |= h5sink_dset_str(s, g, "message", res->message);
    rc |= h5sink_dset_str(s, g, "method", meta->method);
    for (i = 0; i < res->n_stats && i < IVP_MAX_STATS; i++) {
        rc |= h5sink_dset_count(s, g, res->stats[i].name, res->stats[i].value);
    }
    if (meta->is_lsoda && res->n_stats == 0) {
        rc |= h5sink_dset_count(s, g, "n_steps_adams", res->n_steps_adams);
        rc |= h5sink_dset_count(s, g, "n_steps_bdf", res->n_steps_bdf);
        rc |= h5sink_dset_count(s, g, "n_switches", res->n_switches);
    }
    if (s->n_events > 0) {
        rc |= h5sink_dset_strs(s, g, "event_names", (const char *const *)s->ev_names, s->n_events);
    }
    if (meta->param_names != NULL && meta->n_params > 0) {
        rc |= h5sink_dset_strs(s, g, "param_names", meta->param_names, meta->n_params);
    }
    if (meta->state_names != NULL) {
        rc |= h5sink_dset_strs(s, g, "state_names", meta->state_names, s->n);
    }
    if (H5Gclose(g) < 0) {
        rc |= h5sink_fail_h5(s, "closing", "/info");
    }
    return rc != 0 ? -1 : 0;
}

static int h5sink_attrs(ivp_h5sink *s, const ivp_result *res, const ivp_h5sink_meta *meta)
{
    hsize_t n = s->n;
    size_t i;
    int rc = 0;
    rc |= h5sink_attr_str(s, "format", "ivp-hdf5");
    rc |= h5sink_attr_i64(s, "format_version", H5SINK_FORMAT_VERSION);
    rc |= h5sink_attr_i64(s, "format_minor", H5SINK_FORMAT_MINOR);
    rc |= h5sink_attr_str(s, "ivp_version", IVP_VERSION);
    rc |= h5sink_attr_str(s, "method", meta->method);
    rc |= h5sink_attr_f64(s, "rtol", meta->rtol);
    if (meta->atol_vec != NULL) {
        rc |= h5sink_attr(s, "atol", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &n, meta->atol_vec);
    } else {
        rc |= h5sink_attr_f64(s, "atol", meta->atol);
    }
    rc |= h5sink_attr_i64(s, "status", res->status);
    rc |= h5sink_attr_str(s, "message", res->message);
    rc |= h5sink_attr_i64(s, "success", res->status >= 0 ? 1 : 0);
    rc |= h5sink_attr_count(s, "nfev", res->nfev);
    rc |= h5sink_attr_count(s, "njev", res->njev);
    rc |= h5sink_attr_count(s, "nlu", res->nlu);
    rc |= h5sink_attr_count(s, "n_steps", res->n_steps);
    rc |= h5sink_attr_count(s, "n_rejected", res->n_rejected);
    rc |= h5sink_attr_f64(s, "solve_seconds", res->solve_seconds);
    rc |= h5sink_attr_str(s, "problem", meta->problem);
    rc |= h5sink_attr_str(s, "plugin_sha256", meta->plugin_sha256);
    for (i = 0; i < res->n_stats && i < IVP_MAX_STATS; i++) {
        rc |= h5sink_attr_count(s, res->stats[i].name, res->stats[i].value);
    }
    if (meta->is_lsoda && res->n_stats == 0) { /* a result not made by ivp_solve */
        rc |= h5sink_attr_count(s, "n_steps_adams", res->n_steps_adams);
        rc |= h5sink_attr_count(s, "n_steps_bdf", res->n_steps_bdf);
        rc |= h5sink_attr_count(s, "n_switches", res->n_switches);
    }
    if (meta->created != NULL) {
        rc |= h5sink_attr_str(s, "created", meta->created);
    } else {
        char now[32];
        rc |= h5sink_attr_str(s, "created", h5sink_now(now, sizeof now));
    }
    rc |= h5sink_attr_str(s, "host", meta->host);
    rc |= h5sink_attr_str(s, "command_line", meta->command_line);
    if (rc == 0) {
        rc |= h5sink_meta_data(s, meta);
    }
    if (rc == 0) {
        rc |= h5sink_info(s, res, meta);
    }
    return rc != 0 ? -1 : 0;
}

ivp_status ivp_h5sink_finish(ivp_h5sink *s, const ivp_result *res, const ivp_h5sink_meta *meta,
                             ivp_error *err)
{
    ivp_status status;
    size_t i;
    if (s == NULL) {
        return ivp_error_set(err, IVP_ERR_ARG, "ivp_h5sink_finish: no sink");
    }
    if (res == NULL || meta == NULL) {
        ivp_error_set(&s->err, IVP_ERR_ARG, "%s: cannot write output: no result or metadata",
                      s->path);
        goto fail;
    }
    if (s->failed) {
        goto fail;
    }
    if (series_flush(s, &s->t, 1) != 0 || series_flush(s, &s->y, 1) != 0) {
        goto fail;
    }
    if (s->dense && (series_flush(s, &s->x, 1) != 0 || series_flush(s, &s->c, 1) != 0)) {
        goto fail;
    }
    for (i = 0; i < h5sink_series_count(s); i++) {
        if (series_flush(s, &s->ev[i], 1) != 0) {
            goto fail;
        }
    }
    if (h5sink_attrs(s, res, meta) != 0 || h5sink_close(s) != 0) {
        goto fail;
    }
    if (ivp_outfile_commit(&s->out, &s->err) != IVP_OK) {
        goto fail;
    }
    ivp_outfile_discard(&s->out);
    h5sink_free(s);
    ivp_error_clear(err);
    return IVP_OK;
fail:
    status = ivp_error_set(err, s->err.status, "%s", s->err.msg);
    h5sink_abandon(s);
    return status;
}

void ivp_h5sink_discard(ivp_h5sink *s)
{
    if (s != NULL) {
        h5sink_abandon(s);
    }
}

const char *ivp_h5sink_temp_path(const ivp_h5sink *s)
{
    return s != NULL ? s->out.temp : NULL;
}

/* ---- the writer interface (ivp/writer.h) ----------------------------------------------------- */

static ivp_status h5sink_w_open(const ivp_writer_config *cfg, void **w, ivp_error *err)
{
    ivp_h5sink *s = NULL;
    ivp_status st = ivp_h5sink_open(cfg, &s, err);
    *w = s;
    return st;
}

static ivp_sink h5sink_w_sink(void *w)
{
    return ivp_h5sink_sink(w);
}

static ivp_status h5sink_w_finish(void *w, const ivp_result *res, const ivp_writer_meta *meta,
                                  ivp_error *err)
{
    return ivp_h5sink_finish(w, res, meta, err);
}

static void h5sink_w_discard(void *w)
{
    ivp_h5sink_discard(w);
}

static const char *h5sink_w_temp_path(const void *w)
{
    return ivp_h5sink_temp_path(w);
}

const ivp_writer_ops ivp_h5sink_writer = {"ivp-hdf5",      h5sink_w_open,    h5sink_w_sink,
                                          h5sink_w_finish, h5sink_w_discard, h5sink_w_temp_path};
