/* SPDX-License-Identifier: MIT
 * core/src/sha256.c - SHA-256 (FIPS 180-4), for plugin fingerprints and the build cache.
 *
 * Algorithm: NIST FIPS PUB 180-4, "Secure Hash Standard", August 2015, sections 4.1.2
 * (functions), 4.2.2 (constants), 5.1.1 (padding), 5.3.3 (initial hash value) and 6.2.2 (hash
 * computation). Words are big-endian; the message length is appended in bits as a 64-bit
 * big-endian integer.
 */
#include "ivp/sha256.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* FIPS 180-4 section 4.2.2: the first 32 bits of the fractional parts of the cube roots of the
 * first 64 primes. */
static const uint32_t sha256_k[64] = {
    0x428a2f98u, 0x71374491u, 0xb5c0fbcfu, 0xe9b5dba5u, 0x3956c25bu, 0x59f111f1u, 0x923f82a4u,
    0xab1c5ed5u, 0xd807aa98u, 0x12835b01u, 0x243185beu, 0x550c7dc3u, 0x72be5d74u, 0x80deb1feu,
    0x9bdc06a7u, 0xc19bf174u, 0xe49b69c1u, 0xefbe4786u, 0x0fc19dc6u, 0x240ca1ccu, 0x2de92c6fu,
    0x4a7484aau, 0x5cb0a9dcu, 0x76f988dau, 0x983e5152u, 0xa831c66du, 0xb00327c8u, 0xbf597fc7u,
    0xc6e00bf3u, 0xd5a79147u, 0x06ca6351u, 0x14292967u, 0x27b70a85u, 0x2e1b2138u, 0x4d2c6dfcu,
    0x53380d13u, 0x650a7354u, 0x766a0abbu, 0x81c2c92eu, 0x92722c85u, 0xa2bfe8a1u, 0xa81a664bu,
    0xc24b8b70u, 0xc76c51a3u, 0xd192e819u, 0xd6990624u, 0xf40e3585u, 0x106aa070u, 0x19a4c116u,
    0x1e376c08u, 0x2748774cu, 0x34b0bcb5u, 0x391c0cb3u, 0x4ed8aa4au, 0x5b9cca4fu, 0x682e6ff3u,
    0x748f82eeu, 0x78a5636fu, 0x84c87814u, 0x8cc70208u, 0x90befffau, 0xa4506cebu, 0xbef9a3f7u,
    0xc67178f2u};

/* FIPS 180-4 section 5.3.3: the first 32 bits of the fractional parts of the square roots of
 * the first 8 primes. */
static const uint32_t sha256_h0[8] = {0x6a09e667u, 0xbb67ae85u, 0x3c6ef372u, 0xa54ff53au,
                                      0x510e527fu, 0x9b05688cu, 0x1f83d9abu, 0x5be0cd19u};

static uint32_t sha256_rotr(uint32_t x, unsigned n)
{
    return (x >> n) | (x << (32u - n));
}

/* Section 6.2.2: one 512-bit block into the hash state. */
static void sha256_block(uint32_t h[8], const unsigned char *p)
{
    uint32_t w[64];
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
    size_t i;

    for (i = 0; i < 16; i++) {
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
               (uint32_t)p[4 * i + 2] << 8 | (uint32_t)p[4 * i + 3];
    }
    for (i = 16; i < 64; i++) {
        /* (4.6) sigma0 and (4.7) sigma1 */
        uint32_t s0 = sha256_rotr(w[i - 15], 7) ^ sha256_rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = sha256_rotr(w[i - 2], 17) ^ sha256_rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    for (i = 0; i < 64; i++) {
        /* (4.4) Sigma1, (4.2) Ch, (4.5) Sigma0, (4.3) Maj */
        uint32_t s1 = sha256_rotr(e, 6) ^ sha256_rotr(e, 11) ^ sha256_rotr(e, 25);
        uint32_t ch = (e & f) ^ (~e & g);
        uint32_t t1 = hh + s1 + ch + sha256_k[i] + w[i];
        uint32_t s0 = sha256_rotr(a, 2) ^ sha256_rotr(a, 13) ^ sha256_rotr(a, 22);
        uint32_t maj = (a & b) ^ (a & c) ^ (b & c);
        uint32_t t2 = s0 + maj;
        hh = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = b;
        b = a;
        a = t1 + t2;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
    h[5] += f;
    h[6] += g;
    h[7] += hh;
}

void ivp_sha256_init(ivp_sha256 *s)
{
    memcpy(s->h, sha256_h0, sizeof s->h);
    s->len = 0;
    s->fill = 0;
}

void ivp_sha256_update(ivp_sha256 *s, const void *data, size_t len)
{
    const unsigned char *p = data;

    s->len += len;
    if (s->fill > 0) {
        size_t take = sizeof s->buf - s->fill;
        if (take > len) {
            take = len;
        }
        memcpy(s->buf + s->fill, p, take);
        s->fill += take;
        p += take;
        len -= take;
        if (s->fill < sizeof s->buf) {
            return;
        }
        sha256_block(s->h, s->buf);
        s->fill = 0;
    }
    while (len >= sizeof s->buf) {
        sha256_block(s->h, p);
        p += sizeof s->buf;
        len -= sizeof s->buf;
    }
    if (len > 0) {
        memcpy(s->buf, p, len);
        s->fill = len;
    }
}

void ivp_sha256_final_hex(ivp_sha256 *s, char hex[65])
{
    static const char digits[] = "0123456789abcdef";
    uint64_t bits = s->len * 8u;
    size_t i;

    /* Section 5.1.1: a 1 bit, zeros up to 448 mod 512 bits, then the length in bits. */
    s->buf[s->fill++] = 0x80;
    if (s->fill > 56) {
        memset(s->buf + s->fill, 0, sizeof s->buf - s->fill);
        sha256_block(s->h, s->buf);
        s->fill = 0;
    }
    memset(s->buf + s->fill, 0, 56 - s->fill);
    for (i = 0; i < 8; i++) {
        s->buf[56 + i] = (unsigned char)(bits >> (56 - 8 * i));
    }
    sha256_block(s->h, s->buf);
    s->fill = 0;

    for (i = 0; i < 32; i++) {
        unsigned byte = (unsigned)(s->h[i / 4] >> (24 - 8 * (i % 4))) & 0xffu;
        hex[2 * i] = digits[byte >> 4];
        hex[2 * i + 1] = digits[byte & 0xfu];
    }
    hex[64] = '\0';
}

ivp_status ivp_sha256_file(const char *path, char hex[65], ivp_error *err)
{
    unsigned char chunk[16384];
    ivp_sha256 s;
    FILE *f = fopen(path, "rb");
    ivp_status st = IVP_OK;
    size_t got;

    hex[0] = '\0';
    if (f == NULL) {
        return ivp_error_set(err, IVP_ERR_IO, "%s: cannot open for hashing: %s", path,
                             strerror(errno));
    }
    ivp_sha256_init(&s);
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0) {
        ivp_sha256_update(&s, chunk, got);
    }
    if (ferror(f)) {
        st = ivp_error_set(err, IVP_ERR_IO, "%s: read error while hashing: %s", path,
                           strerror(errno));
        goto fail;
    }
    ivp_sha256_final_hex(&s, hex);
fail:
    fclose(f);
    return st;
}
