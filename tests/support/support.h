/* SPDX-License-Identifier: MIT
 * tests/support/support.h - helpers shared by the CMocka tests.
 * Include <stdarg.h> <stddef.h> <stdint.h> <setjmp.h> before <cmocka.h>; this header does.
 */
#ifndef IVP_TESTS_SUPPORT_H
#define IVP_TESTS_SUPPORT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "ivp/alloc.h"

/* Fails the test unless |act - exp| <= atol + rtol*|exp| (NaN never passes), printing both
 * values with 17 digits and where the check is. Never use cmocka's assert_float_equal: 1.1.5
 * casts to float. */
#define ivp_assert_close(act, exp, rtol, atol)                                                     \
    ivp_assert_close_((act), (exp), (rtol), (atol), #act, __FILE__, __LINE__)
void ivp_assert_close_(double act, double exp, double rtol, double atol, const char *what,
                       const char *file, int line);

/* A counting allocator: counts live blocks and every allocation. With fail_after >= 0 the
 * allocation numbered fail_after (0-based) and every later one fail. */
typedef struct ivp_test_alloc {
    ivp_allocator a; /* pass &t.a to the code under test */
    long n_alloc;    /* allocations made (successful) */
    long n_live;     /* blocks not yet freed */
    long fail_after; /* -1: never fail */
} ivp_test_alloc;

void ivp_test_alloc_init(ivp_test_alloc *t, long fail_after);

/* Path of a file in the source tree (IVP_SOURCE_DIR is compiled in), in static storage. */
const char *ivp_test_source_path(const char *rel);
/* Path under the build tree. */
const char *ivp_test_build_path(const char *rel);

#endif /* IVP_TESTS_SUPPORT_H */
