/* SPDX-License-Identifier: MIT
 * core/src/numfmt.c - the shortest of "%.15g", "%.16g", "%.17g" that reads back as the double.
 *
 * The reference is the loop numfmt_loop below: printf each precision P in turn and keep the
 * first text strtod turns back into d. glibc does both in multi-precision arithmetic, which is
 * most of the cost of building a large ensemble's member table (each member's overrides are
 * written back as text). The fast path gets the same bytes from exact integer arithmetic:
 *
 *   d = m 2^e (m < 2^53). With X = floor(log10 |d|) and s = 16 - X, the exact value
 *   V = |d| 10^s = A / B lies in [10^16, 10^17), where A and B are integers below 2^125:
 *   A = m 5^s 2^(e+s), B = 1 or B = 2^-(e+s) when s >= 0; A = m 2^(e+s), B = 5^-s when s < 0.
 *   I = floor(A / B) is then V's first 17 digits and A mod B says whether the rest is zero,
 *   below, at or above one half. Rounding I to P digits (half to even, as glibc rounds a
 *   correctly-rounded conversion in the default rounding mode) gives the digits C of "%.Pg"
 *   exactly: no double rounding, since the discarded part is known exactly.
 *
 *   The text of C reads back as d iff W = C 10^(17-P), V's candidate, is within half a unit in
 *   the last place of V: |W B - A| < U / 2 with U = A / m (one ulp of d in units of 1/B), or
 *   exactly U / 2 when m is even (strtod rounds ties to even). Below a power of two the gap to
 *   the next smaller double is half as wide, so there the bound is U / 4 (and m is even).
 *
 * That holds for normal doubles with 5^s or 5^-s below 2^72 and A below 2^125: about 1e-15 <=
 * |d| < 1e46. Zero is written directly; every other double (subnormal, tiny, huge, infinite,
 * NaN) goes through the loop. %g renders C with its exponent X' (X, or X + 1 when rounding
 * carried C to 10^P): exponential when X' < -4 or X' >= P, else fixed, trailing zeros of the
 * fraction and a bare '.' removed, and an exponent of at least two digits.
 */
#include "numfmt.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The reference, and the path for doubles the fast path does not take. */
static const char *numfmt_loop(double d, char buf[32])
{
    int digits;
    for (digits = 15; digits <= 17; digits++) {
        snprintf(buf, 32, "%.*g", digits, d);
        if (!isfinite(d) || strtod(buf, NULL) == d) {
            break;
        }
    }
    return buf;
}

#if defined(__SIZEOF_INT128__)

__extension__ typedef unsigned __int128 numfmt_u128;

static const uint64_t numfmt_pow10[18] = {1ULL,
                                          10ULL,
                                          100ULL,
                                          1000ULL,
                                          10000ULL,
                                          100000ULL,
                                          1000000ULL,
                                          10000000ULL,
                                          100000000ULL,
                                          1000000000ULL,
                                          10000000000ULL,
                                          100000000000ULL,
                                          1000000000000ULL,
                                          10000000000000ULL,
                                          100000000000000ULL,
                                          1000000000000000ULL,
                                          10000000000000000ULL,
                                          100000000000000000ULL};

/* 5^k for k <= 27, the largest power of five below 2^64. */
static const uint64_t numfmt_pow5[28] = {1ULL,
                                         5ULL,
                                         25ULL,
                                         125ULL,
                                         625ULL,
                                         3125ULL,
                                         15625ULL,
                                         78125ULL,
                                         390625ULL,
                                         1953125ULL,
                                         9765625ULL,
                                         48828125ULL,
                                         244140625ULL,
                                         1220703125ULL,
                                         6103515625ULL,
                                         30517578125ULL,
                                         152587890625ULL,
                                         762939453125ULL,
                                         3814697265625ULL,
                                         19073486328125ULL,
                                         95367431640625ULL,
                                         476837158203125ULL,
                                         2384185791015625ULL,
                                         11920928955078125ULL,
                                         59604644775390625ULL,
                                         298023223876953125ULL,
                                         1490116119384765625ULL,
                                         7450580596923828125ULL};

/* V = |d| 10^s as A / B (B a power of two 2^shift when pow2, else B itself); U = A / m.
 * 0 when out of the range where A < 2^125 holds (then the loop formats d). */
typedef struct numfmt_scaled {
    numfmt_u128 a, b, u;
    unsigned shift;
    int pow2;
} numfmt_scaled;

static int numfmt_scale(uint64_t m, int e, int s, numfmt_scaled *v)
{
    numfmt_u128 f;
    if (s >= 0) {
        if (s > 31) {
            return 0; /* 5^31 < 2^72 < 5^32 */
        }
        f = s > 27 ? (numfmt_u128)numfmt_pow5[27] * numfmt_pow5[s - 27] : numfmt_pow5[s];
        if (e + s >= 0) {
            if (e + s > 72 || (f >> (72 - (e + s))) != 0) {
                return 0;
            }
            f <<= e + s;
            v->pow2 = 1;
            v->shift = 0;
            v->b = 1;
        } else {
            if (-(e + s) > 120) {
                return 0;
            }
            v->pow2 = 1;
            v->shift = (unsigned)-(e + s);
            v->b = (numfmt_u128)1 << v->shift;
        }
    } else {
        if (-s > 27 || e + s < 0 || e + s > 72) {
            return 0;
        }
        f = (numfmt_u128)1 << (e + s);
        v->pow2 = 0;
        v->shift = 0;
        v->b = numfmt_pow5[-s];
    }
    v->u = f;
    v->a = f * m;
    return 1;
}

/* The P-digit rounding of V (digits I and the exact rest) as a count of 10^(17 - P): C, which
 * may be 10^P after a carry. */
static uint64_t numfmt_round(uint64_t i, int rest, int p)
{
    /* rest: the part of V below I compared with one half: -2 zero, -1 below, 0 at, 1 above */
    uint64_t q, r, h;
    if (p == 17) {
        return i + (rest > 0 || (rest == 0 && (i & 1) != 0));
    }
    /* constant divisors (a multiplication, not a division) */
    q = p == 16 ? i / 10 : i / 100;
    r = i - q * (p == 16 ? 10 : 100);
    h = p == 16 ? 5 : 50;
    return q + (r > h || (r == h && (rest != -2 || (q & 1) != 0)));
}

/* Whether W / B, W = c 10^(17 - p), lies within d's rounding interval. */
static int numfmt_reads_back(const numfmt_scaled *v, uint64_t c, int p, uint64_t m, int pow2_low)
{
    numfmt_u128 w = (numfmt_u128)c * numfmt_pow10[17 - p], wb, diff;
    int even = (m & 1) == 0;
    wb = v->pow2 ? w << v->shift : w * v->b;
    if (wb >= v->a) {
        diff = wb - v->a;
        return 2 * diff < v->u || (2 * diff == v->u && even);
    }
    diff = v->a - wb;
    if (pow2_low) {
        return 4 * diff <= v->u; /* m = 2^52 is even */
    }
    return 2 * diff < v->u || (2 * diff == v->u && even);
}

/* Writes c (p digits; 10^p after a carry, then exponent x + 1) as %.<p>g; returns the end. */
static char *numfmt_render(char *o, uint64_t c, int p, int x)
{
    char dig[18];
    int n, k;
    if (c == numfmt_pow10[p]) {
        c = numfmt_pow10[p - 1];
        x++;
    }
    for (k = p - 1; k >= 1; k -= 2) {
        unsigned two = (unsigned)(c % 100);
        c /= 100;
        dig[k] = (char)('0' + two % 10);
        dig[k - 1] = (char)('0' + two / 10);
    }
    if (k == 0) {
        dig[0] = (char)('0' + (int)c);
    }
    for (n = p; n > 1 && dig[n - 1] == '0'; n--) {
    }
    if (x < -4 || x >= p) {
        int ax = x < 0 ? -x : x;
        *o++ = dig[0];
        if (n > 1) {
            *o++ = '.';
            memcpy(o, dig + 1, (size_t)(n - 1));
            o += n - 1;
        }
        *o++ = 'e';
        *o++ = x < 0 ? '-' : '+';
        if (ax >= 100) {
            *o++ = (char)('0' + ax / 100);
        }
        *o++ = (char)('0' + ax / 10 % 10);
        *o++ = (char)('0' + ax % 10);
    } else if (x >= 0) {
        memcpy(o, dig, (size_t)x + 1);
        o += x + 1;
        if (n > x + 1) {
            *o++ = '.';
            memcpy(o, dig + x + 1, (size_t)(n - x - 1));
            o += n - x - 1;
        }
    } else {
        *o++ = '0';
        *o++ = '.';
        for (k = 0; k < -x - 1; k++) {
            *o++ = '0';
        }
        memcpy(o, dig, (size_t)n);
        o += n;
    }
    *o = '\0';
    return o;
}

const char *ivp_numfmt_shortest(double d, char buf[32])
{
    uint64_t bits, m, i = 0;
    int be, e, x, s, tries, p, rest;
    numfmt_scaled v;
    char *o = buf;

    memcpy(&bits, &d, sizeof bits);
    be = (int)((bits >> 52) & 0x7ff);
    m = bits & ((UINT64_C(1) << 52) - 1);
    if (bits >> 63) {
        *o++ = '-';
    }
    if (be == 0 && m == 0) {
        o[0] = '0';
        o[1] = '\0';
        return buf;
    }
    if (be == 0 || be == 0x7ff) {
        return numfmt_loop(d, buf);
    }
    m |= UINT64_C(1) << 52;
    e = be - 1075;
    /* 2^(e+52) <= |d| < 2^(e+53): X is floor((e + 52) log10(2)) or one more (78913 / 2^18 is
     * log10(2) to 1e-7; the loop below corrects an X that is off) */
    x = e + 52 >= 0 ? (e + 52) * 78913 / 262144 : -((-(e + 52) * 78913 + 262143) / 262144);
    for (tries = 0;; tries++) {
        numfmt_u128 q;
        s = 16 - x;
        if (tries == 3 || !numfmt_scale(m, e, s, &v)) {
            return numfmt_loop(d, buf);
        }
        q = v.pow2 ? v.a >> v.shift : v.a / v.b;
        if (q >= numfmt_pow10[17]) {
            x++;
        } else if (q < numfmt_pow10[16]) {
            x--;
        } else {
            numfmt_u128 r2 = 2 * (v.a - q * v.b);
            i = (uint64_t)q;
            rest = r2 == 0 ? -2 : r2 < v.b ? -1 : r2 == v.b ? 0 : 1;
            break;
        }
    }
    for (p = 15; p <= 16; p++) {
        uint64_t c = numfmt_round(i, rest, p);
        if (numfmt_reads_back(&v, c, p, m, m == UINT64_C(1) << 52 && be > 1)) {
            numfmt_render(o, c, p, x);
            return buf;
        }
    }
    numfmt_render(o, numfmt_round(i, rest, 17), 17, x);
    return buf;
}

#else /* no 128-bit integers: the loop for every double */

const char *ivp_numfmt_shortest(double d, char buf[32])
{
    return numfmt_loop(d, buf);
}

#endif
