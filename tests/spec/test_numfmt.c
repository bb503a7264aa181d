/* SPDX-License-Identifier: MIT
 * tests/spec/test_numfmt.c - ivp_numfmt_shortest (core/src/numfmt.c), the text of every number
 * in the resolved spec, in messages and in each ensemble member's overrides, must be byte for
 * byte the reference: the first of "%.15g", "%.16g", "%.17g" that strtod reads back as d.
 * The doubles: random bit patterns (fixed seed), random doubles of the fast path's range,
 * linspace grids, integers, powers of ten and of two, exact decimal ties, values with 15, 16
 * and 17 significant digits, +-0, subnormals, DBL_MIN / DBL_MAX, infinities and NaN.
 *
 * The reference costs 0.6 us (moderate exponents) to 2 us (large ones) a double, so the
 * default run is sized to take about a second; IVP_NUMFMT_LONG=1 in the environment makes the
 * random samples 2 million each (about 14 s).
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support.h"

#include "numfmt.h"

/* The reference, written here on its own (as spec_num in core/src/problem.c was). */
static const char *reference(double d, char buf[32])
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

/* 1, or the random samples' multiplier when IVP_NUMFMT_LONG=1 (set in main). */
static long scale = 1;

/* Mismatches of the current test, the first few printed. */
static unsigned long n_bad, n_checked;

static void check(double d)
{
    char want[32], got[40];
    memset(got, 'X', sizeof got);
    reference(d, want);
    ivp_numfmt_shortest(d, got);
    n_checked++;
    if (memchr(got, '\0', 32) == NULL || strcmp(want, got) != 0) {
        if (n_bad < 10) {
            print_error("d = %a (%.17g): want \"%s\", got \"%.32s\"\n", d, d, want, got);
        }
        n_bad++;
    }
}

static void check_pm(double d)
{
    check(d);
    check(-d);
}

static void start(void)
{
    n_bad = 0;
    n_checked = 0;
}

static void finish(unsigned long at_least)
{
    if (n_bad != 0) {
        print_error("%lu of %lu doubles differ\n", n_bad, n_checked);
    }
    assert_int_equal(n_bad, 0);
    assert_true(n_checked >= at_least);
}

/* splitmix64, a fixed seed: the same doubles on every run. */
static uint64_t rng_state = 0x1234567887654321ULL;

static uint64_t rng(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static double from_bits(uint64_t b)
{
    double d;
    memcpy(&d, &b, sizeof d);
    return d;
}

/* Known texts, so the test says what the reference gives, not only that the two agree. */
static void numfmt_known_values(void **state)
{
    static const struct {
        double d;
        const char *text;
    } k[] = {
        {0.0, "0"},
        {-0.0, "-0"},
        {0.1, "0.1"},
        {1.0 / 3.0, "0.3333333333333333"},
        {2.0 / 3.0, "0.6666666666666666"},
        {0.1 + 0.2, "0.30000000000000004"},
        {0.5, "0.5"},
        {5.0, "5"},
        {100.0, "100"},
        {1e15, "1e+15"},
        {123456789012345.0, "123456789012345"},
        {1234567890123456.0, "1234567890123456"},
        {1234567890123456.5, "1234567890123456.5"},
        {1e16, "1e+16"},
        {1e21, "1e+21"},
        {123456789012345680.0, "1.2345678901234568e+17"},
        {0.0001, "0.0001"},
        {0.00001, "1e-05"},
        {0.000123, "0.000123"},
        {1.5e-300, "1.5e-300"},
        {9.999999999999999e22, "1e+23"},
        {9.999999999999997e22, "9.999999999999997e+22"},
        {DBL_MAX, "1.7976931348623157e+308"},
        {DBL_MIN, "2.2250738585072014e-308"},
        {4.9406564584124654e-324, "4.94065645841247e-324"},
        {-2.5, "-2.5"},
        {9007199254740993.0, "9007199254740992"},
        {0x1p-25, "2.9802322387695312e-08"},
    };
    char buf[32];
    size_t i;
    (void)state;
    for (i = 0; i < sizeof k / sizeof k[0]; i++) {
        ivp_numfmt_shortest(k[i].d, buf);
        if (strcmp(buf, k[i].text) != 0) {
            print_error("d = %a: want \"%s\", got \"%s\"\n", k[i].d, k[i].text, buf);
        }
        assert_string_equal(buf, k[i].text);
        assert_string_equal(reference(k[i].d, buf), k[i].text);
    }
    assert_string_equal(ivp_numfmt_shortest(HUGE_VAL, buf), "inf");
    assert_string_equal(ivp_numfmt_shortest(-HUGE_VAL, buf), "-inf");
    assert_string_equal(ivp_numfmt_shortest((double)NAN, buf),
                        reference((double)NAN, (char[32]){0}));
}

/* Random bit patterns (the finite ones): every binade alike, so mostly doubles outside the
 * fast path's range. 120 000, or 2 million in the long run. */
static void numfmt_random_bits(void **state)
{
    long i, n = scale == 1 ? 120000 : 2000000;
    (void)state;
    start();
    for (i = 0; i < n; i++) {
        double d = from_bits(rng());
        if (isfinite(d)) {
            check(d);
        }
    }
    finish((unsigned long)n / 100 * 99);
}

/* Random doubles of magnitude 1e-17 .. 1e48 (the fast path's range and its edges), random
 * mantissas: 200 000, or 2 million in the long run. */
static void numfmt_random_fast_range(void **state)
{
    long i, n = scale == 1 ? 200000 : 2000000;
    (void)state;
    start();
    for (i = 0; i < n; i++) {
        uint64_t r = rng();
        /* biased exponents 1023-57 .. 1023+160 */
        uint64_t be = 966 + (r >> 52) % 194;
        check(from_bits((r & 0x800FFFFFFFFFFFFFULL) | (be << 52)));
    }
    finish((unsigned long)n);
}

/* The doubles whose "%.16e" text ends in "5" (or "50"), found and checked directly, including
 * those of the values above and below each exact decimal tie. */
static void numfmt_double_rounding_cases(void **state)
{
    unsigned long found5 = 0, found50 = 0;
    long i;
    (void)state;
    start();
    for (i = 0; found5 < 10000 * (unsigned long)scale || found50 < 1000 * (unsigned long)scale;
         i++) {
        double d = 0.5 + 4.5 * (double)(rng() >> 11) * 0x1p-53;
        char e[40];
        const char *mant_end;
        snprintf(e, sizeof e, "%.16e", d);
        mant_end = strchr(e, 'e');
        if (mant_end[-1] == '5') {
            found5++;
            check_pm(d);
            check(nextafter(d, 0));
            check(nextafter(d, 10));
        } else if (mant_end[-1] == '0' && mant_end[-2] == '5') {
            found50++;
            check_pm(d);
            check(nextafter(d, 0));
            check(nextafter(d, 10));
        }
        assert_true(i < 10000000);
    }
    finish(4 * 11000);
}

/* Exact decimal ties: integers in [10^15, 10^17) ending in 5, 50, 500 that a double holds,
 * n + 0.5 and n + 0.25 for 16-digit n below 2^52, and k 2^-j (their expansions end in 5). */
static void numfmt_exact_ties(void **state)
{
    long i;
    int j, k;
    (void)state;
    start();
    for (i = 0; i < 20000 * scale; i++) {
        uint64_t n = 1000000000000000ULL + rng() % 99000000000000000ULL;
        uint64_t t5 = n / 10 * 10 + 5, t50 = n / 100 * 100 + 50, t500 = n / 1000 * 1000 + 500;
        uint64_t h = 1000000000000000ULL + rng() % 3503599627370496ULL; /* < 2^52 */
        if ((uint64_t)(double)t5 == t5) {
            check_pm((double)t5);
        }
        if ((uint64_t)(double)t50 == t50) {
            check_pm((double)t50);
        }
        if ((uint64_t)(double)t500 == t500) {
            check_pm((double)t500);
        }
        check_pm((double)h + 0.5);
        check_pm((double)h + 0.25);
        check_pm((double)h + 0.75);
    }
    for (j = -1074; j <= 1023; j++) {
        for (k = 1; k < 16; k += 2) {
            check_pm(ldexp(k, j));
        }
    }
    finish(170000);
}

/* numpy-style linspace grids (start + i * step, the last point the end), as ensembles use:
 * 0.5 .. 5 with 10^5 points (bench/ensemble's Van der Pol grid), the others with 10^4. */
static void numfmt_linspace(void **state)
{
    static const double g[][2] = {{0.5, 5}, {100, 1000},  {0.05, 0.15}, {-1, 1},
                                  {0, 20},  {1e-9, 1e-3}, {1e10, 1e20}, {-3.7, 12.1}};
    size_t a;
    long i, n;
    (void)state;
    start();
    for (a = 0; a < sizeof g / sizeof g[0]; a++) {
        double step;
        n = a == 0 ? 100000 : 10000;
        step = (g[a][1] - g[a][0]) / (double)(n - 1);
        for (i = 0; i < n; i++) {
            check(i == n - 1 ? g[a][1] : g[a][0] + (double)i * step);
        }
    }
    finish(170000);
}

/* Integers, powers of ten 1e-320 .. 1e308 (as strtod reads them) and their neighbours, every
 * power of two, +-0, subnormals, DBL_MIN, DBL_MAX and their neighbours. */
static void numfmt_integers_powers_edges(void **state)
{
    long i;
    int k;
    (void)state;
    start();
    for (i = 0; i <= 100000; i++) {
        check_pm((double)i);
    }
    for (i = 0; i < 25000 * scale; i++) {
        check_pm((double)(rng() >> 11));           /* any integer below 2^53 */
        check_pm((double)(rng() >> (rng() % 64))); /* all sizes, rounded above 2^53 */
    }
    for (k = -320; k <= 308; k++) {
        char t[16];
        double d;
        snprintf(t, sizeof t, "1e%d", k);
        d = strtod(t, NULL);
        check_pm(d);
        check(nextafter(d, 0));
        check(nextafter(d, HUGE_VAL));
        check_pm(5 * d);
        check_pm(9.5 * d);
    }
    for (k = -1074; k <= 1023; k++) {
        double d = ldexp(1, k);
        check_pm(d);
        check(nextafter(d, 0));
        check(nextafter(d, HUGE_VAL));
    }
    check(0.0);
    check(-0.0);
    check_pm(DBL_MIN);
    check_pm(DBL_MAX);
    check_pm(DBL_TRUE_MIN);
    check(nextafter(DBL_MIN, 0));
    check(nextafter(DBL_MAX, 0));
    check(HUGE_VAL);
    check(-HUGE_VAL);
    check((double)NAN);
    for (i = 0; i < 10000 * scale; i++) {
        check_pm(from_bits(rng() & 0x000FFFFFFFFFFFFFULL)); /* subnormals */
    }
    finish(330000);
}

/* Values with 15, 16 and 17 significant digits, written out and read back by strtod, at
 * every decimal exponent from -20 to 50 (and a few far ones). */
static void numfmt_significant_digits(void **state)
{
    long i;
    (void)state;
    start();
    for (i = 0; i < 45000 * scale; i++) {
        int digits = 15 + (int)(i % 3);
        int x = (int)(i / 3 % 71) - 20;
        char t[48];
        uint64_t lo = 1, mant;
        int q;
        for (q = 1; q < digits; q++) {
            lo *= 10;
        }
        mant = lo + rng() % (9 * lo);
        if (i % 97 == 0) {
            x = (int)(rng() % 600) - 300;
        }
        snprintf(t, sizeof t, "%llue%d", (unsigned long long)mant, x - digits + 1);
        check_pm(strtod(t, NULL));
    }
    finish(90000);
}

int main(void)
{
    const char *long_run = getenv("IVP_NUMFMT_LONG");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(numfmt_known_values),
        cmocka_unit_test(numfmt_random_bits),
        cmocka_unit_test(numfmt_random_fast_range),
        cmocka_unit_test(numfmt_double_rounding_cases),
        cmocka_unit_test(numfmt_exact_ties),
        cmocka_unit_test(numfmt_linspace),
        cmocka_unit_test(numfmt_integers_powers_edges),
        cmocka_unit_test(numfmt_significant_digits),
    };
    if (long_run != NULL && strcmp(long_run, "1") == 0) {
        scale = 10;
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
