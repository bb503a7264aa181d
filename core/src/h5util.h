/* SPDX-License-Identifier: MIT
 * core/src/h5util.h - private: the small HDF5 writing steps the single-run writer (h5sink.c)
 * and the ensemble writer (h5ensemble.c) share. They record no error themselves: each writer
 * turns a failure into its own message.
 */
#ifndef IVP_SRC_H5UTIL_H
#define IVP_SRC_H5UTIL_H

#include <stddef.h>

#include <hdf5.h>

#include "ivp/solve.h"

/* Writes the attribute 'name' of object loc, of file type ftype, from value in memory type
 * mtype: a scalar when dims is NULL, else a 1-D array of dims[0] values. 0, or -1 when HDF5
 * failed (its error stack is left for the caller to read). */
int ivp_h5_attr(hid_t loc, const char *name, hid_t ftype, hid_t mtype, const hsize_t *dims,
                const void *value);

/* A string type: variable-length UTF-8 (len 0), or fixed-length of len bytes padded with NULs
 * as h5py writes numpy's bytes: Octave's load -hdf5 reads only that kind, and only with the
 * ASCII character set (HDF5 converts no string between character sets); the bytes are the
 * UTF-8 text all the same. Negative on failure; the caller closes it. */
hid_t ivp_h5_str_type(size_t len);

/* The attributes of the group of event i (0-based, the plugin's order), as both file formats
 * have them: int64 index, direction (from o, 0 when NULL) and terminal (o's count, capped at
 * INT64_MAX; 0 when NULL). 0, or -1 with *failed set to the attribute that failed. */
int ivp_h5_event_attrs(hid_t group, size_t i, const ivp_event_opts *o, const char **failed);

#endif /* IVP_SRC_H5UTIL_H */
