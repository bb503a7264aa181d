/* SPDX-License-Identifier: MIT
 * core/src/memsink.c - results kept in memory.
 */
#include "ivp/memsink.h"

#include <string.h>

/* One array of a group that grows together: *p holds count elements of size elem. */
typedef struct grow_item {
    void **p;
    size_t elem;
} grow_item;

/* Grows every array of the group to room for one more element beyond count (all share the
 * capacity *cap). All or nothing: when an allocation fails, the new blocks are freed and every
 * array and *cap stay as they were, so the arrays never disagree on their capacity. */
static int grow(const ivp_allocator *a, const grow_item *items, size_t n_items, size_t *cap,
                size_t count)
{
    void *q[3] = {NULL, NULL, NULL};
    size_t new_cap, i;
    if (count < *cap) {
        return 0;
    }
    new_cap = *cap < 16 ? 16 : 2 * *cap;
    for (i = 0; i < n_items; i++) {
        q[i] = ivp_calloc(a, new_cap, items[i].elem);
        if (q[i] == NULL) {
            while (i-- > 0) {
                ivp_free(a, q[i]);
            }
            return -1;
        }
    }
    for (i = 0; i < n_items; i++) {
        if (*items[i].p != NULL) {
            memcpy(q[i], *items[i].p, count * items[i].elem);
            ivp_free(a, *items[i].p);
        }
        *items[i].p = q[i];
    }
    *cap = new_cap;
    return 0;
}

static int reserve(const ivp_allocator *a, void **p, size_t *cap, size_t want, size_t elem)
{
    if (want == 0) {
        return 0;
    }
    *p = ivp_calloc(a, want, elem);
    if (*p == NULL) {
        return -1;
    }
    *cap = want;
    return 0;
}

ivp_status ivp_memsink_init(ivp_memsink *m, size_t n, unsigned deg, const ivp_allocator *a,
                            size_t reserve_points, size_t reserve_events, size_t reserve_segments)
{
    size_t dummy;
    memset(m, 0, sizeof *m);
    m->n = n;
    m->deg = deg;
    m->alloc = a;
    if (reserve(a, (void **)&m->t, &m->cap_points, reserve_points, sizeof *m->t) != 0 ||
        reserve(a, (void **)&m->y, &dummy, reserve_points, n * sizeof *m->y) != 0 ||
        reserve(a, (void **)&m->ev_k, &m->cap_ev, reserve_events, sizeof *m->ev_k) != 0 ||
        reserve(a, (void **)&m->ev_t, &dummy, reserve_events, sizeof *m->ev_t) != 0 ||
        reserve(a, (void **)&m->ev_y, &dummy, reserve_events, n * sizeof *m->ev_y) != 0 ||
        reserve(a, (void **)&m->seg_t, &m->cap_seg, reserve_segments, 2 * sizeof *m->seg_t) != 0 ||
        reserve(a, (void **)&m->seg_c, &dummy, reserve_segments,
                (deg + 1) * n * sizeof *m->seg_c) != 0) {
        /* no array is left with a capacity it does not have */
        ivp_memsink_free(m);
        m->n = n;
        m->deg = deg;
        m->alloc = a;
        return IVP_ERR_NOMEM;
    }
    return IVP_OK;
}

static int mem_point(void *ud, double t, const double *y)
{
    ivp_memsink *m = ud;
    grow_item g[2];
    g[0].p = (void **)&m->t;
    g[0].elem = sizeof *m->t;
    g[1].p = (void **)&m->y;
    g[1].elem = m->n * sizeof *m->y;
    if (grow(m->alloc, g, 2, &m->cap_points, m->n_points) != 0) {
        m->failed = 1;
        return -1;
    }
    m->t[m->n_points] = t;
    memcpy(m->y + m->n_points * m->n, y, m->n * sizeof *y);
    m->n_points++;
    return 0;
}

static int mem_event(void *ud, size_t k, double t, const double *y)
{
    ivp_memsink *m = ud;
    grow_item g[3];
    g[0].p = (void **)&m->ev_k;
    g[0].elem = sizeof *m->ev_k;
    g[1].p = (void **)&m->ev_t;
    g[1].elem = sizeof *m->ev_t;
    g[2].p = (void **)&m->ev_y;
    g[2].elem = m->n * sizeof *m->ev_y;
    if (grow(m->alloc, g, 3, &m->cap_ev, m->n_ev) != 0) {
        m->failed = 1;
        return -1;
    }
    m->ev_k[m->n_ev] = k;
    m->ev_t[m->n_ev] = t;
    memcpy(m->ev_y + m->n_ev * m->n, y, m->n * sizeof *y);
    m->n_ev++;
    return 0;
}

static int mem_segment(void *ud, double t_lo, double t_hi, const double *c)
{
    ivp_memsink *m = ud;
    size_t block = (m->deg + 1) * m->n;
    grow_item g[2];
    g[0].p = (void **)&m->seg_t;
    g[0].elem = 2 * sizeof *m->seg_t;
    g[1].p = (void **)&m->seg_c;
    g[1].elem = block * sizeof *m->seg_c;
    if (grow(m->alloc, g, 2, &m->cap_seg, m->n_seg) != 0) {
        m->failed = 1;
        return -1;
    }
    m->seg_t[2 * m->n_seg] = t_lo;
    m->seg_t[2 * m->n_seg + 1] = t_hi;
    memcpy(m->seg_c + m->n_seg * block, c, block * sizeof *c);
    m->n_seg++;
    return 0;
}

ivp_sink ivp_memsink_sink(ivp_memsink *m)
{
    ivp_sink s;
    s.point = mem_point;
    s.event = mem_event;
    s.segment = mem_segment;
    s.ud = m;
    return s;
}

int ivp_memsink_eval(const ivp_memsink *m, double t, double *y)
{
    size_t lo = 0, hi, seg, i;
    unsigned k;
    int ascending;
    const double *c;
    double s;
    if (m->n_seg == 0) {
        return -1;
    }
    ascending = m->seg_t[1] >= m->seg_t[0];
    /* first segment whose end is at or beyond t (in the direction of the breakpoints) */
    hi = m->n_seg - 1;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        double end = m->seg_t[2 * mid + 1];
        if (ascending ? end >= t : end <= t) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    seg = lo;
    c = m->seg_c + seg * (m->deg + 1) * m->n;
    s = t - m->seg_t[2 * seg];
    for (i = 0; i < m->n; i++) {
        double acc = c[i];
        for (k = 1; k <= m->deg; k++) {
            acc = acc * s + c[k * m->n + i];
        }
        y[i] = acc;
    }
    return 0;
}

void ivp_memsink_free(ivp_memsink *m)
{
    ivp_free(m->alloc, m->t);
    ivp_free(m->alloc, m->y);
    ivp_free(m->alloc, m->ev_k);
    ivp_free(m->alloc, m->ev_t);
    ivp_free(m->alloc, m->ev_y);
    ivp_free(m->alloc, m->seg_t);
    ivp_free(m->alloc, m->seg_c);
    memset(m, 0, sizeof *m);
}
