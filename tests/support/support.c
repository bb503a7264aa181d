/* SPDX-License-Identifier: MIT
 * tests/support/support.c - helpers shared by the CMocka tests.
 */
#include "support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

void ivp_assert_close_(double act, double exp, double rtol, double atol, const char *what,
                       const char *file, int line)
{
    double tol = atol + rtol * fabs(exp);
    if (!(fabs(act - exp) <= tol)) {
        print_error("%s:%d: %s = %.17g, expected %.17g (|diff| = %.3g > tol %.3g)\n", file, line,
                    what, act, exp, fabs(act - exp), tol);
        _fail(file, line);
    }
}

/* Each block carries its size class in a header so frees can be counted. */
static void *test_alloc_alloc(void *ud, size_t size)
{
    ivp_test_alloc *t = ud;
    void *p;
    if (t->fail_after >= 0 && t->n_alloc >= t->fail_after) {
        return NULL;
    }
    p = malloc(size);
    if (p != NULL) {
        t->n_alloc++;
        t->n_live++;
    }
    return p;
}

static void test_alloc_free(void *ud, void *ptr)
{
    ivp_test_alloc *t = ud;
    if (ptr != NULL) {
        t->n_live--;
        free(ptr);
    }
}

void ivp_test_alloc_init(ivp_test_alloc *t, long fail_after)
{
    t->a.alloc = test_alloc_alloc;
    t->a.free = test_alloc_free;
    t->a.ud = t;
    t->n_alloc = 0;
    t->n_live = 0;
    t->fail_after = fail_after;
}

const char *ivp_test_source_path(const char *rel)
{
    static char buf[4096];
    snprintf(buf, sizeof buf, "%s/%s", IVP_SOURCE_DIR, rel);
    return buf;
}

const char *ivp_test_build_path(const char *rel)
{
    static char buf[4096];
    snprintf(buf, sizeof buf, "%s/%s", IVP_BUILD_DIR, rel);
    return buf;
}
