/* SPDX-License-Identifier: MIT
 * core/src/alloc.c - the default allocator and NULL-tolerant helpers.
 */
#include "ivp/alloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void *alloc_malloc(void *ud, size_t size)
{
    (void)ud;
    return malloc(size);
}

static void alloc_free(void *ud, void *ptr)
{
    (void)ud;
    free(ptr);
}

static const ivp_allocator default_allocator = {alloc_malloc, alloc_free, NULL};

const ivp_allocator *ivp_allocator_default(void)
{
    return &default_allocator;
}

void *ivp_alloc(const ivp_allocator *a, size_t size)
{
    if (a == NULL) {
        a = &default_allocator;
    }
    return a->alloc(a->ud, size == 0 ? 1 : size);
}

void *ivp_calloc(const ivp_allocator *a, size_t count, size_t size)
{
    void *p;
    if (size != 0 && count > SIZE_MAX / size) {
        return NULL;
    }
    p = ivp_alloc(a, count * size);
    if (p != NULL) {
        memset(p, 0, count * size == 0 ? 1 : count * size);
    }
    return p;
}

void ivp_free(const ivp_allocator *a, void *ptr)
{
    if (ptr == NULL) {
        return;
    }
    if (a == NULL) {
        a = &default_allocator;
    }
    a->free(a->ud, ptr);
}
