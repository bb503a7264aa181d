/* SPDX-License-Identifier: MIT
 * core/include/ivp/writer.h - output writers: one interface for every file format, and the
 * temporary-file-and-rename protocol they all share.
 *
 * A writer is a table of four operations (open / sink / finish / discard) over its own state;
 * the HDF5 file of a single run (ivp/h5sink.h, ivp_h5sink_writer) is one, and a new format or
 * the ensemble file is one more file that fills an ivp_writer_ops.
 *
 * Every writer writes through an ivp_outfile: the file is created under a hidden temporary name
 * in the destination folder ("<dir>/.<name>.tmp-XXXXXX", the name part shortened when the
 * result would exceed the file system's name limit), flushed to disk and renamed over the final
 * name only when complete. So the final name holds either what was there before or a complete
 * file, never a half-written one, and a *.h5 glob never sees a partial file. An existing output
 * that is not a regular file (a directory, a character or block device such as /dev/null, a FIFO,
 * a socket) is refused, since renaming would replace the device or pipe itself; "-" (standard
 * output) is refused, since these files cannot be streamed. A symbolic link at the output path
 * is replaced by the file (what the link pointed to is left as it was).
 */
#ifndef IVP_WRITER_H
#define IVP_WRITER_H

#include <stddef.h>

#include "ivp/solve.h"
#include "ivp/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- the temporary file ---------------------------------------------------------------- */

typedef struct ivp_outfile {
    char *path;      /* final file name (owned) */
    char *temp;      /* temporary file name (owned) */
    int exists;      /* 'temp' was created and not yet renamed: discard removes it */
    size_t unsynced; /* bytes written since write-back last started (ivp_outfile_written) */
} ivp_outfile;

/* Checks that 'path' may become an output file: not empty, not "-", not ending in '/', and
 * either absent or a regular file (or a link to one, or a dangling link). IVP_OK, or IVP_ERR_IO
 * with a message naming the path and the reason; nothing is created. */
ivp_status ivp_outfile_check(const char *path, ivp_error *err);

/* Checks 'path' as ivp_outfile_check does and creates an empty temporary file for it in the
 * same folder (exclusively, mode 0666 less the umask). The writer then opens f->temp by name.
 * IVP_ERR_IO (with the system's reason) or IVP_ERR_NOMEM on failure, when f holds nothing. */
ivp_status ivp_outfile_create(ivp_outfile *f, const char *path, ivp_error *err);

/* Makes the closed temporary file the final one: flushes it to disk (fsync), checks again that
 * the final name is not a directory, device, FIFO or socket, and renames it over the final name.
 * On failure the temporary file is still there (f->exists) and IVP_ERR_IO names the cause. */
ivp_status ivp_outfile_commit(ivp_outfile *f, ivp_error *err);

/* Tells f that its writer wrote 'bytes' more to the temporary file. After every 8 MiB the kernel
 * is asked to start writing the file's dirty pages to disk without waiting (Linux:
 * sync_file_range), so that the fsync of ivp_outfile_commit waits only for the last part of a
 * large file. Does nothing elsewhere, and never fails: the fsync at commit decides. */
void ivp_outfile_written(ivp_outfile *f, size_t bytes);

/* Removes the temporary file if it still exists and frees the names; f may be zeroed. */
void ivp_outfile_discard(ivp_outfile *f);

/* ---- writers --------------------------------------------------------------------------- */

typedef struct ivp_writer_config {
    const char *path; /* final file name */
    size_t n;         /* state dimension */
    size_t n_events;  /* one group /events/<name> per event, even when empty */
    const char *const *event_names;
    int dense;             /* write the dense output */
    unsigned dense_degree; /* d: each segment has d+1 coefficients per component */
    size_t chunk_bytes;    /* buffer / chunk size hint; 0 = the writer's default */
} ivp_writer_config;

/* What goes into the file besides the counters in ivp_result. */
typedef struct ivp_writer_meta {
    const char *method;
    double rtol;
    double atol;               /* used when atol_vec is NULL */
    const double *atol_vec;    /* n values, or NULL */
    const char *problem;       /* resolved spec as JSON text */
    const char *plugin_sha256; /* hex */
    int is_lsoda;              /* also write n_steps_adams, n_steps_bdf, n_switches */
    /* Format 1.1 (contracts.md section 3; README "The output file"). Each may be NULL / 0: */
    const double *params;           /* n_params values in the plugin's ivp_param_names order */
    const char *const *param_names; /* n_params names (NULL: /params gets no names) */
    size_t n_params;
    const double *y0;                 /* the config's n initial values; NULL: no /y0 */
    const double *t_span;             /* 2 values (t0, t_end); NULL: no /t_span */
    const char *const *state_names;   /* the config's n names; NULL: the states are unnamed */
    const ivp_event_opts *event_opts; /* the config's n_events entries, in event_names order;
                                         NULL: every event non-terminal, direction 0 */
    const char *created;              /* ISO 8601 UTC; NULL: the time of finish */
    const char *host;                 /* NULL: "" */
    const char *command_line;         /* the command as a shell would run it again; NULL: "" */
} ivp_writer_meta;

typedef struct ivp_writer_ops {
    const char *format; /* e.g. "ivp-hdf5" */
    /* Creates the temporary file (ivp_outfile_create) and the writer's state in *w. */
    ivp_status (*open)(const ivp_writer_config *cfg, void **w, ivp_error *err);
    /* The callbacks that feed the file (ud = w). */
    ivp_sink (*sink)(void *w);
    /* Completes the file and commits it (ivp_outfile_commit); on failure removes the temporary
     * file. w is freed either way. */
    ivp_status (*finish)(void *w, const ivp_result *res, const ivp_writer_meta *meta,
                         ivp_error *err);
    /* Removes the temporary file and frees w; NULL is a no-op. */
    void (*discard)(void *w);
    /* The temporary file being written, for messages and signal handlers. */
    const char *(*temp_path)(const void *w);
} ivp_writer_ops;

#ifdef __cplusplus
}
#endif

#endif /* IVP_WRITER_H */
