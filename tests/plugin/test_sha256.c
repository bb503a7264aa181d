/* SPDX-License-Identifier: MIT
 * tests/plugin/test_sha256.c - SHA-256 against the FIPS 180-2 / NIST example vectors, across
 * every way of splitting the input into updates, and against coreutils' sha256sum.
 */
#define _POSIX_C_SOURCE 200809L /* popen */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsutil.h"
#include "ivp/sha256.h"
#include "support.h"

static const char msg448[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
static const char msg896[] = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
                             "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";

static void hash_mem(const void *data, size_t len, char hex[65])
{
    ivp_sha256 s;
    ivp_sha256_init(&s);
    ivp_sha256_update(&s, data, len);
    ivp_sha256_final_hex(&s, hex);
}

static void sha256_matches_fips_vectors(void **state)
{
    char hex[65];
    (void)state;
    hash_mem("", 0, hex);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    hash_mem("abc", 3, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_int_equal(strlen(msg448) * 8, 448);
    hash_mem(msg448, strlen(msg448), hex);
    assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    assert_int_equal(strlen(msg896) * 8, 896);
    hash_mem(msg896, strlen(msg896), hex);
    assert_string_equal(hex, "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

static void sha256_one_million_a(void **state)
{
    const size_t n = 1000000;
    char *a = malloc(n);
    char hex[65];
    ivp_sha256 s;
    size_t i;
    (void)state;
    assert_non_null(a);
    memset(a, 'a', n);
    hash_mem(a, n, hex);
    assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    /* The same in updates of 1000 bytes, as a stream would come. */
    ivp_sha256_init(&s);
    for (i = 0; i < n; i += 1000) {
        ivp_sha256_update(&s, a + i, 1000);
    }
    ivp_sha256_final_hex(&s, hex);
    assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    free(a);
}

/* Every split point, and byte-at-a-time, give the one-shot hash (buffering across blocks). */
static void sha256_split_updates_agree(void **state)
{
    size_t len = strlen(msg896), cut, i;
    char ref[65], hex[65];
    ivp_sha256 s;
    (void)state;
    hash_mem(msg896, len, ref);
    for (cut = 0; cut <= len; cut++) {
        ivp_sha256_init(&s);
        ivp_sha256_update(&s, msg896, cut);
        ivp_sha256_update(&s, msg896 + cut, len - cut);
        ivp_sha256_final_hex(&s, hex);
        assert_string_equal(hex, ref);
    }
    ivp_sha256_init(&s);
    for (i = 0; i < len; i++) {
        ivp_sha256_update(&s, msg896 + i, 1);
    }
    ivp_sha256_final_hex(&s, hex);
    assert_string_equal(hex, ref);
}

/* Files whose lengths straddle the padding boundaries (55/56 and 63/64/65 bytes mod 64) and a
 * large one, hashed by ivp_sha256_file and by sha256sum. */
static void sha256_file_matches_sha256sum(void **state)
{
    static const size_t lens[] = {0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 128, 1000003};
    char path[PTEST_PATH_MAX], cmd[PTEST_PATH_MAX + 32], line[256], hex[65];
    unsigned char *data = malloc(1000003);
    unsigned long x = 12345;
    ivp_error err;
    size_t i;
    (void)state;
    assert_non_null(data);
    for (i = 0; i < 1000003; i++) {
        x = x * 1103515245ul + 12345ul; /* any bytes will do; an LCG gives all values */
        data[i] = (unsigned char)(x >> 16);
    }
    ptest_fresh_dir(PLUGIN_TEST_DIR);
    for (i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        FILE *p;
        ptest_path(path, "%s/data %zu.bin", PLUGIN_TEST_DIR, lens[i]);
        ptest_write(path, data, lens[i]);
        ivp_error_clear(&err);
        assert_int_equal(ivp_sha256_file(path, hex, &err), IVP_OK);
        snprintf(cmd, sizeof cmd, "sha256sum '%s'", path);
        p = popen(cmd, "r");
        assert_non_null(p);
        assert_non_null(fgets(line, sizeof line, p));
        assert_int_equal(pclose(p), 0);
        line[64] = '\0';
        if (strcmp(hex, line) != 0) {
            fail_msg("length %zu: ivp %s, sha256sum %s", lens[i], hex, line);
        }
    }
    free(data);
}

static void sha256_file_missing_is_io_error(void **state)
{
    char hex[65] = "x";
    ivp_error err;
    (void)state;
    ivp_error_clear(&err);
    assert_int_equal(ivp_sha256_file(PLUGIN_TEST_DIR "/no such file", hex, &err), IVP_ERR_IO);
    assert_int_equal(err.status, IVP_ERR_IO);
    ptest_assert_contains(err.msg, "no such file");
    ptest_assert_contains(err.msg, "No such file or directory");
    assert_string_equal(hex, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sha256_matches_fips_vectors),
        cmocka_unit_test(sha256_one_million_a),
        cmocka_unit_test(sha256_split_updates_agree),
        cmocka_unit_test(sha256_file_matches_sha256sum),
        cmocka_unit_test(sha256_file_missing_is_io_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
