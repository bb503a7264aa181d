/* SPDX-License-Identifier: MIT
 * bench/h5/h5_minimal.h - the anchor: HDF5 called directly (no ivp), writing the datasets and
 * root attributes of an ivp output file (contracts.md section 3, no events occurred, no dense
 * output) from arrays already in memory.
 */
#ifndef IVP_BENCH_H5_MINIMAL_H
#define IVP_BENCH_H5_MINIMAL_H

#include <stddef.h>

/* Writes path: /t (N,), /y (n, N) from y (n x N, row-major), the empty group /events and the
 * root attributes ivp writes (values fixed, sizes as ivp's for a short RK45 run). The simplest
 * thing HDF5 offers: default file property lists, contiguous /t and /y of their final size, one
 * H5Dwrite each.
 * format1 == 0: what ivp's sink writes now (format 1.1, a run without parameters, state names
 * or events): 21 root attributes (format_minor, created, host, command_line added), the empty
 * /params, /y0 (n values, from y0), /t_span and the group /info of 10 scalar datasets (integers,
 * solve_seconds, and message and method as fixed-length NUL-padded ASCII strings), these
 * datasets compact up to 16 KiB as h5sink.c stores them; the file is fsync'ed after closing,
 * as ivp's is before its rename.
 * format1 != 0: the old anchor, format 1 (17 root attributes, nothing else; y0 unused), no
 * fsync. 0 on success, -1 on failure. */
int h5min_write(const char *path, size_t n, size_t N, const double *t, const double *y,
                const double *y0, int format1);

/* The strings both writers store in the created, host and command_line attributes. */
extern const char h5min_created[];
extern const char h5min_host[];
extern const char h5min_command_line[];

/* The JSON text both writers store in the "problem" attribute. */
extern const char h5min_problem[];

#endif /* IVP_BENCH_H5_MINIMAL_H */
