/* SPDX-License-Identifier: MIT
 * tests/plugin/fsutil.h - file helpers for the plugin tests (scratch folders, small files).
 * Every helper fails the current CMocka test on a system error.
 */
#ifndef IVP_TESTS_PLUGIN_FSUTIL_H
#define IVP_TESTS_PLUGIN_FSUTIL_H

#include <stddef.h>

/* Longest path the tests build. */
#define PTEST_PATH_MAX 1024

/* snprintf into buf (PTEST_PATH_MAX bytes); fails the test if it does not fit. */
#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
void ptest_path(char *buf, const char *fmt, ...);

/* rm -rf path (no error if it does not exist). */
void ptest_rm_rf(const char *path);
/* mkdir -p path. */
void ptest_mkdir_p(const char *path);
/* A fresh empty folder: rm -rf, then mkdir -p. */
void ptest_fresh_dir(const char *path);
/* Writes len bytes to path (replacing it). */
void ptest_write(const char *path, const void *data, size_t len);
/* Writes a NUL-terminated text to path. */
void ptest_write_text(const char *path, const char *text);
/* Reads the whole file; returns a malloc'ed, NUL-terminated buffer, *len its size. */
char *ptest_read(const char *path, size_t *len);
/* Copies a file. */
void ptest_copy(const char *from, const char *to);
/* Number of entries in dir (not "." or ".."), and how many start with prefix (if not NULL). */
size_t ptest_count(const char *dir, const char *prefix, size_t *n_prefixed);
/* Non-zero if path exists. */
int ptest_exists(const char *path);
/* Modification time of path in nanoseconds. */
long long ptest_mtime_ns(const char *path);
/* Fails the test unless hay contains needle, printing both. */
#define ptest_assert_contains(hay, needle)                                                         \
    ptest_assert_contains_((hay), (needle), __FILE__, __LINE__)
void ptest_assert_contains_(const char *hay, const char *needle, const char *file, int line);

#endif /* IVP_TESTS_PLUGIN_FSUTIL_H */
