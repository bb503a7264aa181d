/* SPDX-License-Identifier: MIT
 * tests/fuzz/fuzz_spec_replay.c - main() for the plain build of the spec fuzz target: runs
 * LLVMFuzzerTestOneInput on every file named on the command line and every regular file in
 * every folder named there (not recursive), so the seed corpus is replayed in the normal
 * test suite. Exits 0 after "N inputs replayed" (a broken promise aborts); 1 if a file cannot
 * be read or no input was found.
 */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    unsigned char *buf;
    long len;
    size_t got;
    if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 ||
        fseek(f, 0, SEEK_SET) != 0) {
        fprintf(stderr, "fuzz_spec_replay: cannot read %s\n", path);
        if (f != NULL) {
            fclose(f);
        }
        return -1;
    }
    buf = malloc((size_t)len + 1);
    if (buf == NULL) {
        fclose(f);
        return -1;
    }
    got = fread(buf, 1, (size_t)len, f);
    fclose(f);
    if (got != (size_t)len) {
        fprintf(stderr, "fuzz_spec_replay: short read on %s\n", path);
        free(buf);
        return -1;
    }
    LLVMFuzzerTestOneInput(buf, got);
    free(buf);
    return 0;
}

int main(int argc, char **argv)
{
    long n = 0;
    int a;
    for (a = 1; a < argc; a++) {
        struct stat st;
        if (stat(argv[a], &st) != 0) {
            fprintf(stderr, "fuzz_spec_replay: no such file or folder: %s\n", argv[a]);
            return 1;
        }
        if (S_ISDIR(st.st_mode)) {
            DIR *d = opendir(argv[a]);
            struct dirent *e;
            if (d == NULL) {
                fprintf(stderr, "fuzz_spec_replay: cannot open %s\n", argv[a]);
                return 1;
            }
            while ((e = readdir(d)) != NULL) {
                char path[4096];
                snprintf(path, sizeof path, "%s/%s", argv[a], e->d_name);
                if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
                    if (replay_file(path) != 0) {
                        closedir(d);
                        return 1;
                    }
                    n++;
                }
            }
            closedir(d);
        } else {
            if (replay_file(argv[a]) != 0) {
                return 1;
            }
            n++;
        }
    }
    if (n == 0) {
        fprintf(stderr, "fuzz_spec_replay: no inputs\n");
        return 1;
    }
    printf("%ld inputs replayed\n", n);
    return 0;
}
