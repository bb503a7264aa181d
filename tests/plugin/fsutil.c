/* SPDX-License-Identifier: MIT
 * tests/plugin/fsutil.c - file helpers for the plugin tests.
 */
#define _XOPEN_SOURCE 700 /* nftw */

#include "fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "support.h"

void ptest_path(char *buf, const char *fmt, ...)
{
    va_list ap;
    int w;
    va_start(ap, fmt);
    w = vsnprintf(buf, PTEST_PATH_MAX, fmt, ap);
    va_end(ap);
    assert_true(w >= 0 && w < PTEST_PATH_MAX);
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    if (remove(path) != 0) {
        print_error("cannot remove %s: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

void ptest_rm_rf(const char *path)
{
    struct stat sb;
    if (lstat(path, &sb) != 0) {
        return;
    }
    assert_int_equal(nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS), 0);
}

void ptest_mkdir_p(const char *path)
{
    char buf[PTEST_PATH_MAX];
    size_t i;
    ptest_path(buf, "%s", path);
    for (i = 1; buf[i] != '\0'; i++) {
        if (buf[i] == '/') {
            buf[i] = '\0';
            if (mkdir(buf, 0777) != 0 && errno != EEXIST) {
                fail_msg("mkdir %s: %s", buf, strerror(errno));
            }
            buf[i] = '/';
        }
    }
    if (mkdir(buf, 0777) != 0 && errno != EEXIST) {
        fail_msg("mkdir %s: %s", buf, strerror(errno));
    }
}

void ptest_fresh_dir(const char *path)
{
    ptest_rm_rf(path);
    ptest_mkdir_p(path);
}

void ptest_write(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL) {
        fail_msg("cannot write %s: %s", path, strerror(errno));
    }
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

void ptest_write_text(const char *path, const char *text)
{
    ptest_write(path, text, strlen(text));
}

char *ptest_read(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long size;
    if (f == NULL) {
        fail_msg("cannot read %s: %s", path, strerror(errno));
    }
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    size = ftell(f);
    assert_true(size >= 0);
    rewind(f);
    buf = malloc((size_t)size + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)size, f), (size_t)size);
    buf[size] = '\0';
    fclose(f);
    *len = (size_t)size;
    return buf;
}

void ptest_copy(const char *from, const char *to)
{
    size_t len;
    char *data = ptest_read(from, &len);
    ptest_write(to, data, len);
    free(data);
}

size_t ptest_count(const char *dir, const char *prefix, size_t *n_prefixed)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    size_t n = 0, np = 0;
    if (d == NULL) {
        fail_msg("cannot list %s: %s", dir, strerror(errno));
    }
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) {
            continue;
        }
        n++;
        if (prefix != NULL && strncmp(e->d_name, prefix, strlen(prefix)) == 0) {
            np++;
        }
    }
    closedir(d);
    if (n_prefixed != NULL) {
        *n_prefixed = np;
    }
    return n;
}

int ptest_exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0;
}

long long ptest_mtime_ns(const char *path)
{
    struct stat sb;
    if (stat(path, &sb) != 0) {
        fail_msg("stat %s: %s", path, strerror(errno));
    }
    return (long long)sb.st_mtim.tv_sec * 1000000000LL + sb.st_mtim.tv_nsec;
}

void ptest_assert_contains_(const char *hay, const char *needle, const char *file, int line)
{
    if (strstr(hay, needle) == NULL) {
        print_error("%s:%d: expected to find \"%s\" in \"%s\"\n", file, line, needle, hay);
        _fail(file, line);
    }
}
