/* SPDX-License-Identifier: MIT
 * tests/linalg/test_backend_location.c - which LAPACK the implicit methods load.
 *
 * The back ends are loaded with dlopen on first use, so ldd cannot tell which LAPACK a run
 * uses. This test loads LAPACK through the core's loader and asks the dynamic linker which file
 * its dgetrf came from. With IVP_EXPECT_LAPACK_DIR set (CI's reference-BLAS stage sets it to
 * Debian's reference folder), that file must lie in that folder; without it, it must at least be
 * a LAPACK or OpenBLAS library.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "linalg/backend.h"

static void lapack_comes_from_the_expected_library(void **state)
{
    ivp_error err;
    const ivp_lapack_api *api;
    const char *expect = getenv("IVP_EXPECT_LAPACK_DIR");
    Dl_info info;
    void *fn;
    (void)state;
    ivp_error_clear(&err);
    api = ivp_backend_lapack(&err);
    if (api == NULL) {
        fail_msg("LAPACK did not load: %s", err.msg);
    }
    memcpy(&fn, &api->dgetrf, sizeof fn);
    assert_true(dladdr(fn, &info) != 0);
    assert_non_null(info.dli_fname);
    print_message("dgetrf from %s\n", info.dli_fname);
    if (expect != NULL && expect[0] != '\0') {
        size_t len = strlen(expect);
        if (strncmp(info.dli_fname, expect, len) != 0 || info.dli_fname[len] != '/') {
            fail_msg("dgetrf comes from %s, not from %s", info.dli_fname, expect);
        }
    } else if (strstr(info.dli_fname, "lapack") == NULL &&
               strstr(info.dli_fname, "openblas") == NULL) {
        fail_msg("dgetrf comes from %s, which is neither LAPACK nor OpenBLAS", info.dli_fname);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lapack_comes_from_the_expected_library),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
