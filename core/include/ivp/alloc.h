/* SPDX-License-Identifier: MIT
 * core/include/ivp/alloc.h - the allocator every allocating call takes (never a global).
 */
#ifndef IVP_ALLOC_H
#define IVP_ALLOC_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ivp_allocator {
    void *(*alloc)(void *ud, size_t size); /* NULL on failure; size > 0 */
    void (*free)(void *ud, void *ptr);     /* ptr may be NULL */
    void *ud;                              /* passed to both */
} ivp_allocator;

/* malloc/free. Static storage; never NULL. */
const ivp_allocator *ivp_allocator_default(void);

/* a == NULL means the default allocator. */
void *ivp_alloc(const ivp_allocator *a, size_t size);
/* Allocates count * size bytes, zeroed; NULL on overflow or failure. */
void *ivp_calloc(const ivp_allocator *a, size_t count, size_t size);
void ivp_free(const ivp_allocator *a, void *ptr);

#ifdef __cplusplus
}
#endif

#endif /* IVP_ALLOC_H */
