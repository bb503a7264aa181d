/* SPDX-License-Identifier: MIT
 * core/include/ivp/sha256.h - SHA-256 (FIPS 180-4), for plugin fingerprints and the build cache.
 */
#ifndef IVP_SHA256_H
#define IVP_SHA256_H

#include <stddef.h>
#include <stdint.h>

#include "ivp/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ivp_sha256 {
    uint32_t h[8];
    uint64_t len; /* bytes hashed so far */
    unsigned char buf[64];
    size_t fill; /* bytes in buf */
} ivp_sha256;

void ivp_sha256_init(ivp_sha256 *s);
void ivp_sha256_update(ivp_sha256 *s, const void *data, size_t len);
/* Writes 64 lowercase hex digits and a NUL to hex. */
void ivp_sha256_final_hex(ivp_sha256 *s, char hex[65]);
/* Hashes a whole file; IVP_ERR_IO with the path and reason if it cannot be read. */
ivp_status ivp_sha256_file(const char *path, char hex[65], ivp_error *err);

#ifdef __cplusplus
}
#endif

#endif /* IVP_SHA256_H */
