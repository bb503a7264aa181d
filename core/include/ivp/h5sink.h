/* SPDX-License-Identifier: MIT
 * core/include/ivp/h5sink.h - the HDF5 output file (contracts.md section 3), written while
 * integrating.
 *
 * Datasets are chunked and extendible; points are buffered one chunk at a time and each chunk
 * is written in one piece, so memory is bounded by the chunk buffers (at most chunk_bytes, 1 MiB
 * by default, for each of /t, /y, /dense/x, /dense/c), whatever the number of steps. The
 * buffers start at 64 KiB and a run that outgrows one replaces it once by a whole chunk (the
 * only allocation after ivp_h5sink_open: bounded), filled from the front, so a short run's file
 * costs about what its data needs. The file is written under a temporary name in the destination folder
 * and renamed to its final name only by ivp_h5sink_finish (ivp_outfile, ivp/writer.h), so an existing result is never
 * replaced by a broken one. Only this module includes <hdf5.h>.
 */
#ifndef IVP_H5SINK_H
#define IVP_H5SINK_H

#include <stddef.h>

#include "ivp/solve.h"
#include "ivp/status.h"
#include "ivp/writer.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ivp_h5sink ivp_h5sink;

/* The configuration and metadata of every writer (ivp/writer.h): path, n, n_events,
 * event_names, dense, dense_degree, chunk_bytes (target HDF5 chunk size; 0 = 1 MiB). */
typedef ivp_writer_config ivp_h5sink_config;
typedef ivp_writer_meta ivp_h5sink_meta;

/* This sink as an output writer (ivp/writer.h), format "ivp-hdf5". */
extern const ivp_writer_ops ivp_h5sink_writer;

/* Creates the temporary file next to cfg->path (ivp_outfile_create). IVP_ERR_IO with the path
 * and the reason when the folder is not writable or the path cannot be an output (a directory,
 * device, FIFO, socket or "-"); nothing is left behind. */
ivp_status ivp_h5sink_open(const ivp_h5sink_config *cfg, ivp_h5sink **out, ivp_error *err);

/* The callbacks that feed this file (ud = s). A failing write makes the callback return
 * non-zero; the reason is kept and reported by ivp_h5sink_finish. */
ivp_sink ivp_h5sink_sink(ivp_h5sink *s);

/* Flushes the buffers, writes the root attributes (format, format_version, format_minor,
 * ivp_version, method, rtol, atol, status, message, success, nfev, njev, nlu, n_steps,
 * n_rejected, solve_seconds, problem, plugin_sha256, created, host, command_line), the format 1.1
 * metadata of 'meta' (/params, /y0, /t_span, /y names, event attributes) and /info (the same for
 * Octave, fixed-length strings), closes, flushes the file to disk and renames it to its final name
 * (replacing an old one). On failure the temporary file is removed, IVP_ERR_IO is returned,
 * and s is freed either way. */
ivp_status ivp_h5sink_finish(ivp_h5sink *s, const ivp_result *res, const ivp_h5sink_meta *meta,
                             ivp_error *err);

/* Closes and removes the temporary file, frees s; NULL is a no-op. */
void ivp_h5sink_discard(ivp_h5sink *s);

/* The temporary path being written (for messages). */
const char *ivp_h5sink_temp_path(const ivp_h5sink *s);

#ifdef __cplusplus
}
#endif

#endif /* IVP_H5SINK_H */
