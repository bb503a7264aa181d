/* SPDX-License-Identifier: MIT
 * tests/h5/h5_writer.c - writes a known solution through the HDF5 sink, for test_h5_read.py.
 *
 * Usage: h5_writer OUT.h5 forward|backward [CHUNK_BYTES]
 *
 * The "solution" is y(t) = [t^2, t^3] on [0, 2] (forward) or [2, 0] (backward), with uneven
 * steps. Every step sends a point, and a dense segment holding the exact cubic in powers of
 * (t - t_lo), zero-padded to degree 4 as a method of order 4 would send it. Event "cross" occurs
 * once, at t = 1; event "never" never does. Forward writes a scalar atol; backward writes an
 * atol vector and the LSODA counters.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ivp/h5sink.h"

#define WRITER_DEGREE 4u

static void writer_state(double t, double *y)
{
    y[0] = t * t;
    y[1] = t * t * t;
}

/* Coefficients of [t^2, t^3] in powers of s = t - a, highest power (4) first, row-major
 * (degree + 1) x 2: t^2 = s^2 + 2as + a^2, t^3 = s^3 + 3as^2 + 3a^2 s + a^3. */
static void writer_coeffs(double a, double *c)
{
    const double rows[5][2] = {
        {0.0, 0.0},             /* s^4 */
        {0.0, 1.0},             /* s^3 */
        {1.0, 3.0 * a},         /* s^2 */
        {2.0 * a, 3.0 * a * a}, /* s */
        {a * a, a * a * a},     /* 1 */
    };
    memcpy(c, rows, sizeof rows);
}

int main(int argc, char **argv)
{
    static const char *const names[] = {"cross", "never"};
    ivp_h5sink_config cfg = {0};
    ivp_h5sink_meta meta = {0};
    ivp_result res = {0};
    ivp_h5sink *s = NULL;
    ivp_sink sink;
    ivp_error err;
    double atol_vec[2] = {1e-8, 2e-8};
    double y[2], c[(WRITER_DEGREE + 1) * 2];
    double t0, t1, dir, t;
    int backward, evented = 0;
    unsigned long i;
    if (argc < 3 || argc > 4 ||
        (strcmp(argv[2], "forward") != 0 && strcmp(argv[2], "backward") != 0)) {
        fprintf(stderr, "usage: h5_writer OUT.h5 forward|backward [CHUNK_BYTES]\n");
        return 2;
    }
    backward = strcmp(argv[2], "backward") == 0;
    t0 = backward ? 2.0 : 0.0;
    t1 = backward ? 0.0 : 2.0;
    dir = backward ? -1.0 : 1.0;
    cfg.path = argv[1];
    cfg.n = 2;
    cfg.n_events = 2;
    cfg.event_names = names;
    cfg.dense = 1;
    cfg.dense_degree = WRITER_DEGREE;
    cfg.chunk_bytes = argc == 4 ? strtoul(argv[3], NULL, 10) : 0;
    if (ivp_h5sink_open(&cfg, &s, &err) != IVP_OK) {
        fprintf(stderr, "h5_writer: %s\n", err.msg);
        return 1;
    }
    sink = ivp_h5sink_sink(s);
    t = t0;
    writer_state(t, y);
    if (sink.point(sink.ud, t, y) != 0) {
        goto fail;
    }
    for (i = 0; dir * (t1 - t) > 0.0; i++) {
        double h = 0.01 + 0.005 * sin((double)i);
        double t_next = dir * (t + dir * h - t1) >= 0.0 ? t1 : t + dir * h;
        writer_coeffs(t, c);
        if (sink.segment(sink.ud, t, t_next, c) != 0) {
            goto fail;
        }
        if (!evented && dir * (t_next - 1.0) >= 0.0) {
            writer_state(1.0, y);
            if (sink.event(sink.ud, 0, 1.0, y) != 0) {
                goto fail;
            }
            evented = 1;
        }
        writer_state(t_next, y);
        if (sink.point(sink.ud, t_next, y) != 0) {
            goto fail;
        }
        t = t_next;
    }
    res.status = 0;
    snprintf(res.message, sizeof res.message,
             "The solver successfully reached the end of the "
             "integration interval.");
    res.t = t;
    res.nfev = 6 * i + 2;
    res.njev = backward ? 3 : 0;
    res.nlu = backward ? 4 : 0;
    res.n_steps = i;
    res.n_rejected = 5;
    res.n_points = i + 1;
    res.n_segments = i;
    res.n_events_found = 1;
    res.solve_seconds = 0.125;
    res.n_steps_adams = backward ? i - 10 : 0;
    res.n_steps_bdf = backward ? 10 : 0;
    res.n_switches = backward ? 2 : 0;
    meta.method = backward ? "LSODA" : "RK45";
    meta.rtol = 1e-6;
    meta.atol = 1e-9;
    meta.atol_vec = backward ? atol_vec : NULL;
    meta.problem = "{\"plugin\": \"poly.so\", \"t_span\": [0, 2], \"y0\": [0, 0]}";
    meta.plugin_sha256 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    meta.is_lsoda = backward;
    if (ivp_h5sink_finish(s, &res, &meta, &err) != IVP_OK) {
        fprintf(stderr, "h5_writer: %s\n", err.msg);
        return 1;
    }
    printf("%lu steps\n", i);
    return 0;
fail:
    /* The sink keeps the reason; finish reports it and removes the file. */
    if (ivp_h5sink_finish(s, &res, &meta, &err) == IVP_OK) {
        fprintf(stderr, "h5_writer: a callback failed but finish succeeded\n");
    } else {
        fprintf(stderr, "h5_writer: %s\n", err.msg);
    }
    return 1;
}
