/* SPDX-License-Identifier: MIT
 * core/src/outfile_sync.c - early write-back of a large temporary output file (ivp/writer.h).
 *
 * ivp_outfile_commit fsyncs the temporary file before renaming it. For a large file the kernel
 * would otherwise start writing its dirty pages only then (or when its own timers fire), and
 * the fsync waits for all of them. Telling the kernel to start as data arrive overlaps the disk
 * with the computation, so the fsync at the end waits only for the last few MiB. Kept apart
 * from outfile.c because sync_file_range needs _GNU_SOURCE, which changes strerror_r there.
 */
#if defined(__linux__)
#define _GNU_SOURCE
#endif

#include "ivp/writer.h"

#include <fcntl.h>
#include <unistd.h>

/* Start write-back once this much has been written since the last start. */
#define OUTFILE_WRITEBACK_BYTES ((size_t)8 << 20)

void ivp_outfile_written(ivp_outfile *f, size_t bytes)
{
    if (f == NULL || !f->exists) {
        return;
    }
    f->unsynced += bytes;
    if (f->unsynced < OUTFILE_WRITEBACK_BYTES) {
        return;
    }
    f->unsynced = 0;
#if defined(__linux__) && defined(SYNC_FILE_RANGE_WRITE)
    {
        int fd = open(f->temp, O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
            /* Starts write-back of the dirty pages not yet under write-back and returns; an
             * error here is not one for the file (the fsync at commit decides). */
            (void)sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
            close(fd);
        }
    }
#endif
}
