/* SPDX-License-Identifier: MIT
 * core/src/outfile.c - the temporary-file-and-rename protocol shared by every output writer
 * (ivp/writer.h).
 *
 * The temporary file is "<dir>/.<base>.tmp-XXXXXX" in the folder of the final name, so that the
 * rename is atomic (same file system) and a glob for *.h5 never sees it. When that name would be
 * longer than the folder's NAME_MAX (a final name of up to NAME_MAX bytes is valid), <base> is
 * cut short; the random part keeps the name unique.
 */
#define _POSIX_C_SOURCE 200809L

#include "ivp/writer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ivp/alloc.h"

#define OUTFILE_TEMP_TRIES 100
#define OUTFILE_TEMP_SUFFIX ".tmp-XXXXXX"
#define OUTFILE_NAME_MAX_FALLBACK 255

static void outfile_strerror(int errnum, char *buf, size_t size)
{
    if (strerror_r(errnum, buf, size) != 0) {
        snprintf(buf, size, "error %d", errnum);
    }
}

/* What a non-regular file is, for messages; NULL for a regular file. */
static const char *outfile_kind(mode_t mode)
{
    if (S_ISREG(mode)) {
        return NULL;
    }
    if (S_ISDIR(mode)) {
        return "a directory";
    }
    if (S_ISCHR(mode)) {
        return "a character device";
    }
    if (S_ISBLK(mode)) {
        return "a block device";
    }
    if (S_ISFIFO(mode)) {
        return "a FIFO (named pipe)";
    }
    if (S_ISSOCK(mode)) {
        return "a socket";
    }
    return "not a regular file";
}

ivp_status ivp_outfile_check(const char *path, ivp_error *err)
{
    struct stat st;
    const char *kind;
    size_t len;
    if (path == NULL || path[0] == '\0') {
        return ivp_error_set(err, IVP_ERR_IO, "output: no file name given");
    }
    if (strcmp(path, "-") == 0) {
        return ivp_error_set(err, IVP_ERR_IO,
                             "-: cannot write output to standard output: the file is written "
                             "under a temporary name and renamed when complete, which a stream "
                             "cannot do; give a file name (./- for a file called '-')");
    }
    len = strlen(path);
    if (path[len - 1] == '/') {
        return ivp_error_set(err, IVP_ERR_IO, "%s: cannot write output: is a directory", path);
    }
    if (stat(path, &st) != 0) {
        /* Absent is fine; a name too long for its file system is not (the temporary name is
         * shortened to fit, the final one cannot be). */
        if (errno == ENAMETOOLONG) {
            return ivp_error_set(err, IVP_ERR_IO, "%s: cannot write output: %s", path,
                                 strerror(ENAMETOOLONG));
        }
    } else if ((kind = outfile_kind(st.st_mode)) != NULL) {
        if (S_ISDIR(st.st_mode)) {
            return ivp_error_set(err, IVP_ERR_IO, "%s: cannot write output: is a directory", path);
        }
        return ivp_error_set(err, IVP_ERR_IO,
                             "%s: cannot write output: is %s, which would be replaced, not "
                             "written to (the output is written under a temporary name and "
                             "renamed into place); give a regular file name",
                             path, kind);
    }
    /* Absent, or a regular file, or something stat cannot reach: creating the temporary file
     * reports the system's reason for the last. */
    return IVP_OK;
}

/* splitmix64: spreads the bits of the seed for the temporary name. */
static uint64_t outfile_mix(uint64_t z)
{
    z += UINT64_C(0x9E3779B97F4A7C15);
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

/* Creates f->temp exclusively, trying fresh names in place of its trailing XXXXXX. Like mkstemp,
 * but the mode is 0666 less the umask, as for any other output file. 0 or an errno value. */
static int outfile_create_temp(ivp_outfile *f)
{
    static const char alphabet[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    size_t len = strlen(f->temp);
    char *x = f->temp + len - 6;
    struct timespec ts;
    uint64_t seed;
    int attempt;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0) {
        ts.tv_sec = 0;
        ts.tv_nsec = 0;
    }
    seed = ((uint64_t)ts.tv_sec * UINT64_C(1000000000) + (uint64_t)ts.tv_nsec) ^
           ((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)f;
    for (attempt = 0; attempt < OUTFILE_TEMP_TRIES; attempt++) {
        uint64_t r = outfile_mix(seed + (uint64_t)attempt);
        int fd, i;
        for (i = 0; i < 6; i++) {
            x[i] = alphabet[r % (sizeof alphabet - 1)];
            r /= sizeof alphabet - 1;
        }
        fd = open(f->temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd >= 0) {
            f->exists = 1;
            close(fd);
            return 0;
        }
        if (errno != EEXIST) {
            return errno;
        }
    }
    return EEXIST;
}

/* The longest file name the folder of 'path' (dir_len bytes, with its '/') takes. */
static size_t outfile_name_max(const char *path, size_t dir_len, char *scratch)
{
    long m;
    if (dir_len == 0) {
        m = pathconf(".", _PC_NAME_MAX);
    } else {
        memcpy(scratch, path, dir_len);
        scratch[dir_len] = '\0';
        m = pathconf(scratch, _PC_NAME_MAX);
    }
    return m > 0 ? (size_t)m : OUTFILE_NAME_MAX_FALLBACK;
}

ivp_status ivp_outfile_create(ivp_outfile *f, const char *path, ivp_error *err)
{
    const char *slash;
    size_t path_len, dir_len, base_len, keep, name_max, suffix_len = strlen(OUTFILE_TEMP_SUFFIX);
    char reason[128];
    ivp_status st;
    int e;
    memset(f, 0, sizeof *f);
    st = ivp_outfile_check(path, err);
    if (st != IVP_OK) {
        return st;
    }
    path_len = strlen(path);
    slash = strrchr(path, '/');
    dir_len = slash != NULL ? (size_t)(slash - path) + 1 : 0;
    base_len = path_len - dir_len;
    f->path = ivp_alloc(NULL, path_len + 1);
    f->temp = ivp_alloc(NULL, path_len + 2 + suffix_len);
    if (f->path == NULL || f->temp == NULL) {
        ivp_outfile_discard(f);
        return ivp_error_set(err, IVP_ERR_NOMEM, "%s: cannot write output: out of memory", path);
    }
    memcpy(f->path, path, path_len + 1);
    /* "<dir>/.<base>.tmp-XXXXXX", with <base> cut to fit in the folder's NAME_MAX; a cut never
     * ends inside a UTF-8 sequence, so the name stays printable. */
    name_max = outfile_name_max(path, dir_len, f->temp);
    keep = base_len;
    if (1 + keep + suffix_len > name_max) {
        keep = name_max > 1 + suffix_len ? name_max - 1 - suffix_len : 0;
        while (keep > 0 && ((unsigned char)path[dir_len + keep] & 0xC0u) == 0x80u) {
            keep--;
        }
    }
    memcpy(f->temp, path, dir_len);
    f->temp[dir_len] = '.';
    memcpy(f->temp + dir_len + 1, path + dir_len, keep);
    memcpy(f->temp + dir_len + 1 + keep, OUTFILE_TEMP_SUFFIX, suffix_len + 1);
    e = outfile_create_temp(f);
    if (e != 0) {
        outfile_strerror(e, reason, sizeof reason);
        ivp_outfile_discard(f);
        return ivp_error_set(err, IVP_ERR_IO, "%s: cannot write output: %s", path, reason);
    }
    return IVP_OK;
}

ivp_status ivp_outfile_commit(ivp_outfile *f, ivp_error *err)
{
    char reason[128];
    ivp_status st;
    int fd, e = 0;
    if (f == NULL || !f->exists) {
        return ivp_error_set(err, IVP_ERR_ARG, "ivp_outfile_commit: no temporary file");
    }
    /* The data must be on disk before the new name is: after a power failure the final name
     * then holds the old file or the complete new one. File systems without fsync (EINVAL,
     * EROFS) are not an error. */
    fd = open(f->temp, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || (fsync(fd) != 0 && errno != EINVAL && errno != EROFS)) {
        e = errno;
    }
    if (fd >= 0) {
        close(fd);
    }
    if (e != 0) {
        outfile_strerror(e, reason, sizeof reason);
        return ivp_error_set(err, IVP_ERR_IO, "%s: cannot write output: flushing %s: %s", f->path,
                             f->temp, reason);
    }
    /* Something may have appeared at the final name while the file was written. */
    st = ivp_outfile_check(f->path, err);
    if (st != IVP_OK) {
        return st;
    }
    if (rename(f->temp, f->path) != 0) {
        outfile_strerror(errno, reason, sizeof reason);
        return ivp_error_set(err, IVP_ERR_IO, "%s: cannot write output: renaming %s: %s", f->path,
                             f->temp, reason);
    }
    f->exists = 0;
    return IVP_OK;
}

void ivp_outfile_discard(ivp_outfile *f)
{
    if (f == NULL) {
        return;
    }
    if (f->exists && f->temp != NULL) {
        unlink(f->temp);
    }
    ivp_free(NULL, f->path);
    ivp_free(NULL, f->temp);
    memset(f, 0, sizeof *f);
}
