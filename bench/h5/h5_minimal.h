/* SPDX-License-Identifier: MIT
 * bench/h5/h5_minimal.h - the anchor: HDF5 called directly (no ivp), writing the datasets and
 * root attributes of an ivp output file (contracts.md section 3, no events occurred, no dense
 * output) from arrays already in memory.
 */
#ifndef IVP_BENCH_H5_MINIMAL_H
#define IVP_BENCH_H5_MINIMAL_H

#include <stddef.h>

/* Writes path: /t (N,), /y (n, N) from y (n x N, row-major), the empty group /events and the
 * 17 root attributes ivp writes (values fixed, sizes as ivp's for a short RK45 run). The
 * simplest thing HDF5 offers: default property lists, contiguous datasets of their final size,
 * one H5Dwrite each. 0 on success, -1 on failure. */
int h5min_write(const char *path, size_t n, size_t N, const double *t, const double *y);

/* The JSON text both writers store in the "problem" attribute. */
extern const char h5min_problem[];

#endif /* IVP_BENCH_H5_MINIMAL_H */
