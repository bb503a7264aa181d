/* SPDX-License-Identifier: MIT
 * cli/cmd_plot.c - `ivp plot FILE -o FIG.svg|png`: the components against t (events marked) or
 * a phase portrait, drawn with cairo.
 *
 * The data stream through twice (ranges, then drawing), so memory does not grow with the file:
 * against t, each component's path keeps per pixel column only the first, lowest, highest and
 * last value; with a dense output, each step is filled in with interpolated points (up to one
 * per two pixels). The figure is written under a temporary name and renamed when complete.
 */
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tools.h"

#ifdef IVP_HAVE_CAIRO
#include <cairo-svg.h>
#include <cairo.h>
#ifdef IVP_HAVE_FONTCONFIG
#include <fontconfig/fontconfig.h>
#endif
#endif

enum { PLOT_OUTPUT, PLOT_COMPONENTS, PLOT_PHASE, PLOT_MEMBER, PLOT_SIZE, PLOT_TITLE };

static const tools_option plot_options[] = {
    {"output", 'o', 1}, {"components", 0, 1}, {"phase", 0, 1}, {"member", 0, 1},
    {"size", 0, 1},     {"title", 0, 1},      {NULL, 0, 0},
};

#define PLOT_MAX_COMPONENTS 12
#define PLOT_BLOCK 4096
#define PLOT_PI 3.14159265358979323846
#define PLOT_FILL_MAX 64 /* interpolated points per step at most */

/* A component by index or name; -1 when neither. */
static long plot_component(const ivp_h5info *in, const char *s, size_t len)
{
    char buf[256];
    size_t i, v;
    if (len == 0 || len >= sizeof buf) {
        return -1;
    }
    memcpy(buf, s, len);
    buf[len] = '\0';
    for (i = 0; i < in->n; i++) {
        if (strcmp(in->names[i], buf) == 0) {
            return (long)i;
        }
    }
    if (tools_parse_size(buf, &v) == 0 && v < in->n) {
        return (long)v;
    }
    return -1;
}

#ifndef IVP_HAVE_CAIRO

int cmd_plot(int argc, char **argv, const cli_command *self)
{
    tools_args a;
    int code = tools_parse(argc, argv, plot_options, self, &a);
    if (code != IVP_EXIT_OK || a.help) {
        if (a.help) {
            cli_usage(stdout, self);
        }
        return code;
    }
    (void)plot_component;
    cli_error("this ivp was built without cairo, so it cannot plot; install libcairo2-dev and "
              "rebuild (or use ivp export and a plotting program)");
    return IVP_EXIT_USAGE;
}

#else

#ifdef IVP_CAIRO_SONAME
/* cairo is loaded when `ivp plot` draws, not when ivp starts: linked, it and its dependencies
 * (fontconfig, freetype, pixman, libpng, the X libraries: some 18 shared objects) cost every
 * run of ivp about 1.5 ms of loading and relocation (bench/README.md, process start). The
 * functions below are looked up by name in IVP_CAIRO_SONAME; the names used in this file are
 * macros for the pointers. */
#include <dlfcn.h>

#define PLOT_CAIRO_FUNCTIONS(X)                                                                    \
    X(cairo_arc)                                                                                   \
    X(cairo_clip)                                                                                  \
    X(cairo_close_path)                                                                            \
    X(cairo_create)                                                                                \
    X(cairo_debug_reset_static_data)                                                               \
    X(cairo_destroy)                                                                               \
    X(cairo_fill_preserve)                                                                         \
    X(cairo_image_surface_create)                                                                  \
    X(cairo_line_to)                                                                               \
    X(cairo_move_to)                                                                               \
    X(cairo_new_path)                                                                              \
    X(cairo_new_sub_path)                                                                          \
    X(cairo_paint)                                                                                 \
    X(cairo_rectangle)                                                                             \
    X(cairo_restore)                                                                               \
    X(cairo_rotate)                                                                                \
    X(cairo_save)                                                                                  \
    X(cairo_select_font_face)                                                                      \
    X(cairo_set_font_size)                                                                         \
    X(cairo_set_line_cap)                                                                          \
    X(cairo_set_line_join)                                                                         \
    X(cairo_set_line_width)                                                                        \
    X(cairo_set_source_rgb)                                                                        \
    X(cairo_set_source_rgba)                                                                       \
    X(cairo_show_text)                                                                             \
    X(cairo_stroke)                                                                                \
    X(cairo_surface_destroy)                                                                       \
    X(cairo_surface_finish)                                                                        \
    X(cairo_surface_status)                                                                        \
    X(cairo_surface_write_to_png)                                                                  \
    X(cairo_svg_surface_create)                                                                    \
    X(cairo_svg_surface_set_document_unit)                                                         \
    X(cairo_text_extents)                                                                          \
    X(cairo_translate)
#ifdef IVP_HAVE_FONTCONFIG
#define PLOT_FC_FUNCTIONS(X) X(FcFini)
#else
#define PLOT_FC_FUNCTIONS(X)
#endif

static struct {
#define PLOT_DECLARE(f) __typeof__(f) *f;
    PLOT_CAIRO_FUNCTIONS(PLOT_DECLARE) PLOT_FC_FUNCTIONS(PLOT_DECLARE)
#undef PLOT_DECLARE
} plot_api;

/* Loads cairo once; 0, or -1 after saying why. */
static int plot_load_cairo(void)
{
    static int loaded;
    void *h, *sym;
    if (loaded) {
        return 0;
    }
    h = dlopen(IVP_CAIRO_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (h == NULL) {
        const char *e = dlerror();
        cli_error("cannot plot: cairo could not be loaded (%s); install libcairo2",
                  e != NULL ? e : IVP_CAIRO_SONAME);
        return -1;
    }
    /* dlsym returns a data pointer: copied into the function pointer (a cast would warn) */
#define PLOT_LOAD(f)                                                                               \
    sym = dlsym(h, #f);                                                                            \
    if (sym == NULL) {                                                                             \
        cli_error("cannot plot: %s has no %s", IVP_CAIRO_SONAME, #f);                              \
        return -1;                                                                                 \
    }                                                                                              \
    memcpy(&plot_api.f, &sym, sizeof sym);
    PLOT_CAIRO_FUNCTIONS(PLOT_LOAD)
    PLOT_FC_FUNCTIONS(PLOT_LOAD)
#undef PLOT_LOAD
    loaded = 1;
    return 0;
}

#define cairo_arc plot_api.cairo_arc
#define cairo_clip plot_api.cairo_clip
#define cairo_close_path plot_api.cairo_close_path
#define cairo_create plot_api.cairo_create
#define cairo_debug_reset_static_data plot_api.cairo_debug_reset_static_data
#define cairo_destroy plot_api.cairo_destroy
#define cairo_fill_preserve plot_api.cairo_fill_preserve
#define cairo_image_surface_create plot_api.cairo_image_surface_create
#define cairo_line_to plot_api.cairo_line_to
#define cairo_move_to plot_api.cairo_move_to
#define cairo_new_path plot_api.cairo_new_path
#define cairo_new_sub_path plot_api.cairo_new_sub_path
#define cairo_paint plot_api.cairo_paint
#define cairo_rectangle plot_api.cairo_rectangle
#define cairo_restore plot_api.cairo_restore
#define cairo_rotate plot_api.cairo_rotate
#define cairo_save plot_api.cairo_save
#define cairo_select_font_face plot_api.cairo_select_font_face
#define cairo_set_font_size plot_api.cairo_set_font_size
#define cairo_set_line_cap plot_api.cairo_set_line_cap
#define cairo_set_line_join plot_api.cairo_set_line_join
#define cairo_set_line_width plot_api.cairo_set_line_width
#define cairo_set_source_rgb plot_api.cairo_set_source_rgb
#define cairo_set_source_rgba plot_api.cairo_set_source_rgba
#define cairo_show_text plot_api.cairo_show_text
#define cairo_stroke plot_api.cairo_stroke
#define cairo_surface_destroy plot_api.cairo_surface_destroy
#define cairo_surface_finish plot_api.cairo_surface_finish
#define cairo_surface_status plot_api.cairo_surface_status
#define cairo_surface_write_to_png plot_api.cairo_surface_write_to_png
#define cairo_svg_surface_create plot_api.cairo_svg_surface_create
#define cairo_svg_surface_set_document_unit plot_api.cairo_svg_surface_set_document_unit
#define cairo_text_extents plot_api.cairo_text_extents
#define cairo_translate plot_api.cairo_translate
#ifdef IVP_HAVE_FONTCONFIG
#define FcFini plot_api.FcFini
#endif
#else
static int plot_load_cairo(void)
{
    return 0;
}
#endif /* IVP_CAIRO_SONAME */

typedef struct plot_ctx {
    ivp_h5file *f;
    const ivp_h5info *in;
    size_t k; /* member */
    size_t comp[PLOT_MAX_COMPONENTS];
    size_t n_comp;
    int phase; /* comp[0] against... x = comp[0], y = comp[1] */
    int use_dense;
    double *t, *y, *yd; /* PLOT_BLOCK points; one dense evaluation */
    /* data ranges (pass 1) */
    double xlo, xhi, ylo, yhi;
    /* the plot area in device units, and the axis ranges */
    double px0, px1, py0, py1;
    double ax0, ax1, ay0, ay1;
    int width, height;
    cairo_t *cr;
    int pass; /* 1 ranges, 2 drawing */
    /* drawing state per component: the pixel column and its first/min/max/last */
    long col[PLOT_MAX_COMPONENTS];
    double cfirst[PLOT_MAX_COMPONENTS], cmin[PLOT_MAX_COMPONENTS], cmax[PLOT_MAX_COMPONENTS],
        clast[PLOT_MAX_COMPONENTS];
    int cmin_first[PLOT_MAX_COMPONENTS]; /* the minimum came before the maximum */
    double cx[PLOT_MAX_COMPONENTS];
    int started[PLOT_MAX_COMPONENTS];
    double lastx, lasty; /* phase: the last point drawn */
} plot_ctx;

static const double plot_colors[][3] = {
    {0.122, 0.467, 0.706}, {1.000, 0.498, 0.055}, {0.173, 0.627, 0.173}, {0.839, 0.153, 0.157},
    {0.580, 0.404, 0.741}, {0.549, 0.337, 0.294}, {0.890, 0.467, 0.761}, {0.498, 0.498, 0.498},
    {0.737, 0.741, 0.133}, {0.090, 0.745, 0.812}, {0.000, 0.000, 0.502}, {0.502, 0.000, 0.000},
};

static double plot_dx(const plot_ctx *p, double x)
{
    return p->px0 + (x - p->ax0) / (p->ax1 - p->ax0) * (p->px1 - p->px0);
}

static double plot_dy(const plot_ctx *p, double y)
{
    return p->py1 - (y - p->ay0) / (p->ay1 - p->ay0) * (p->py1 - p->py0);
}

/* Device coordinates clamped far outside, so cairo never sees huge numbers. */
static double plot_clamp(double v)
{
    return v < -1e6 ? -1e6 : v > 1e6 ? 1e6 : v;
}

/* Flushes component i's pixel column into its path. */
static void plot_flush(plot_ctx *p, size_t i)
{
    cairo_t *cr = p->cr;
    double x = p->cx[i];
    double a = p->cmin_first[i] ? p->cmin[i] : p->cmax[i];
    double b = p->cmin_first[i] ? p->cmax[i] : p->cmin[i];
    if (p->col[i] == LONG_MIN) {
        return;
    }
    if (!p->started[i]) {
        cairo_move_to(cr, x, p->cfirst[i]);
        p->started[i] = 1;
    } else {
        cairo_line_to(cr, x, p->cfirst[i]);
    }
    cairo_line_to(cr, x, a);
    cairo_line_to(cr, x, b);
    cairo_line_to(cr, x, p->clast[i]);
}

/* One sample (t, y[0..n-1]). */
static void plot_point(plot_ctx *p, double t, const double *y)
{
    size_t i;
    if (p->phase) {
        double x = y[p->comp[0]], v = y[p->comp[1]];
        if (p->pass == 1) {
            if (isfinite(x) && isfinite(v)) {
                p->xlo = fmin(p->xlo, x);
                p->xhi = fmax(p->xhi, x);
                p->ylo = fmin(p->ylo, v);
                p->yhi = fmax(p->yhi, v);
            }
            return;
        }
        if (!isfinite(x) || !isfinite(v)) {
            return;
        }
        x = plot_clamp(plot_dx(p, x));
        v = plot_clamp(plot_dy(p, v));
        if (!p->started[0]) {
            cairo_move_to(p->cr, x, v);
            p->started[0] = 1;
        } else if (fabs(x - p->lastx) + fabs(v - p->lasty) >= 0.25) {
            cairo_line_to(p->cr, x, v);
        } else {
            return;
        }
        p->lastx = x;
        p->lasty = v;
        return;
    }
    if (p->pass == 1) {
        p->xlo = fmin(p->xlo, t);
        p->xhi = fmax(p->xhi, t);
        for (i = 0; i < p->n_comp; i++) {
            double v = y[p->comp[i]];
            if (isfinite(v)) {
                p->ylo = fmin(p->ylo, v);
                p->yhi = fmax(p->yhi, v);
            }
        }
        return;
    }
    /* pass 2 draws one component at a time (p->n_comp is set to the one) */
    {
        double x = plot_dx(p, t), v = y[p->comp[0]];
        long col = (long)floor(x);
        if (!isfinite(v)) {
            return;
        }
        v = plot_clamp(plot_dy(p, v));
        if (col != p->col[0]) {
            plot_flush(p, 0);
            p->col[0] = col;
            p->cx[0] = x;
            p->cfirst[0] = p->cmin[0] = p->cmax[0] = v;
            p->cmin_first[0] = 1;
        }
        if (v < p->cmin[0]) {
            p->cmin[0] = v;
            p->cmin_first[0] = 0; /* the last extreme seen decides the order: min after max */
        }
        if (v > p->cmax[0]) {
            p->cmax[0] = v;
            p->cmin_first[0] = 1;
        }
        p->clast[0] = v;
    }
}

/* Streams the member's samples through plot_point: the stored points and, with a dense
 * output, interpolated points between them. */
static int plot_walk(plot_ctx *p)
{
    ivp_h5run run;
    ivp_error err;
    size_t first, i, n = p->in->n;
    double tprev = (double)NAN, xprev = 0, yprev = 0;
    double a = 0, b = 0;
    ivp_error_clear(&err);
    if (ivp_h5file_member(p->f, p->k, &run, NULL, NULL, NULL, &err) != IVP_OK) {
        cli_error("%s", err.msg);
        return -1;
    }
    if (p->use_dense && ivp_h5file_dense_range(p->f, p->k, &a, &b, &err) != IVP_OK) {
        p->use_dense = 0;
    }
    for (first = 0; first < run.n_points; first += PLOT_BLOCK) {
        size_t count = run.n_points - first < PLOT_BLOCK ? run.n_points - first : PLOT_BLOCK;
        if (ivp_h5file_read(p->f, p->k, first, count, p->t, p->y, &err) != IVP_OK) {
            cli_error("%s", err.msg);
            return -1;
        }
        for (i = 0; i < count; i++) {
            double t = p->t[i];
            if (p->use_dense && p->pass == 2 && !isnan(tprev)) {
                /* fill the step with points about two pixels apart */
                double span;
                if (p->phase) {
                    const double *yi = p->y + i * n;
                    span = hypot(plot_dx(p, yi[p->comp[0]]) - plot_dx(p, xprev),
                                 plot_dy(p, yi[p->comp[1]]) - plot_dy(p, yprev));
                } else {
                    span = fabs(plot_dx(p, t) - plot_dx(p, tprev));
                }
                if (!isfinite(span)) {
                    span = 0;
                }
                size_t m = (size_t)fmin(span / 2.0, PLOT_FILL_MAX), q;
                double lo = fmin(a, b), hi = fmax(a, b);
                for (q = 1; q < m; q++) {
                    double tq = tprev + (t - tprev) * (double)q / (double)m;
                    if (tq >= lo && tq <= hi &&
                        ivp_h5file_dense_eval(p->f, p->k, tq, p->yd, &err) == IVP_OK) {
                        plot_point(p, tq, p->yd);
                    }
                }
            }
            plot_point(p, t, p->y + i * n);
            tprev = t;
            if (p->phase) {
                xprev = p->y[i * n + p->comp[0]];
                yprev = p->y[i * n + p->comp[1]];
            }
        }
    }
    return 0;
}

/* A "nice" tick step (1, 2 or 5 times a power of ten) for about 'target' ticks. */
static double plot_step(double lo, double hi, double target)
{
    double raw = (hi - lo) / target, mag = pow(10.0, floor(log10(raw))), f = raw / mag;
    return (f < 1.5 ? 1.0 : f < 3.0 ? 2.0 : f < 7.0 ? 5.0 : 10.0) * mag;
}

static void plot_label(char *buf, size_t size, double v, double step)
{
    double a = fabs(v);
    if (fabs(v) < step * 1e-9) {
        v = 0.0;
        a = 0.0;
    }
    if (a != 0.0 && (a >= 1e6 || a < 1e-4 || step < 1e-4)) {
        snprintf(buf, size, "%.3g", v);
    } else {
        int dec = step >= 1.0 ? 0 : (int)ceil(-log10(step) - 1e-9);
        snprintf(buf, size, "%.*f", dec, v);
    }
}

/* Widens [*lo, *hi] a little (or to a unit width when flat). */
static void plot_pad(double *lo, double *hi, double frac)
{
    double w = *hi - *lo;
    if (!(w > 0) || !isfinite(w)) {
        double c = isfinite(*lo) ? *lo : 0.0, h = c != 0.0 ? fabs(c) * 0.1 : 1.0;
        *lo = c - h;
        *hi = c + h;
        return;
    }
    *lo -= w * frac;
    *hi += w * frac;
}

static void plot_text(cairo_t *cr, double x, double y, const char *s, double ax, double ay)
{
    cairo_text_extents_t e;
    cairo_text_extents(cr, s, &e);
    cairo_move_to(cr, x - e.width * ax - e.x_bearing, y - e.height * ay - e.y_bearing);
    cairo_show_text(cr, s);
}

static void plot_axes(plot_ctx *p, const char *xname, const char *yname, const char *title)
{
    cairo_t *cr = p->cr;
    double step, v;
    char buf[64];
    /* frame and grid */
    cairo_set_line_width(cr, 1.0);
    cairo_set_font_size(cr, 12.0);
    step = plot_step(p->ax0, p->ax1, (p->px1 - p->px0) / 90.0);
    for (v = ceil(p->ax0 / step - 1e-9) * step; v <= p->ax1 + step * 1e-9; v += step) {
        double x = floor(plot_dx(p, v)) + 0.5;
        cairo_set_source_rgb(cr, 0.9, 0.9, 0.9);
        cairo_move_to(cr, x, p->py0);
        cairo_line_to(cr, x, p->py1);
        cairo_stroke(cr);
        cairo_set_source_rgb(cr, 0, 0, 0);
        cairo_move_to(cr, x, p->py1);
        cairo_line_to(cr, x, p->py1 + 5);
        cairo_stroke(cr);
        plot_label(buf, sizeof buf, v, step);
        plot_text(cr, x, p->py1 + 8, buf, 0.5, 0.0);
    }
    step = plot_step(p->ay0, p->ay1, (p->py1 - p->py0) / 60.0);
    for (v = ceil(p->ay0 / step - 1e-9) * step; v <= p->ay1 + step * 1e-9; v += step) {
        double y = floor(plot_dy(p, v)) + 0.5;
        cairo_set_source_rgb(cr, 0.9, 0.9, 0.9);
        cairo_move_to(cr, p->px0, y);
        cairo_line_to(cr, p->px1, y);
        cairo_stroke(cr);
        cairo_set_source_rgb(cr, 0, 0, 0);
        cairo_move_to(cr, p->px0 - 5, y);
        cairo_line_to(cr, p->px0, y);
        cairo_stroke(cr);
        plot_label(buf, sizeof buf, v, step);
        plot_text(cr, p->px0 - 8, y, buf, 1.0, 0.5);
    }
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_rectangle(cr, floor(p->px0) + 0.5, floor(p->py0) + 0.5, floor(p->px1 - p->px0),
                    floor(p->py1 - p->py0));
    cairo_stroke(cr);
    /* names */
    cairo_set_font_size(cr, 14.0);
    plot_text(cr, (p->px0 + p->px1) / 2, (double)p->height - 8, xname, 0.5, 1.0);
    cairo_save(cr);
    cairo_translate(cr, 16, (p->py0 + p->py1) / 2);
    cairo_rotate(cr, -PLOT_PI / 2);
    plot_text(cr, 0, 0, yname, 0.5, 0.5);
    cairo_restore(cr);
    cairo_set_font_size(cr, 15.0);
    plot_text(cr, (p->px0 + p->px1) / 2, 12, title, 0.5, 0.0);
}

/* Event marker shape s at (x, y). */
static void plot_marker(cairo_t *cr, size_t s, double x, double y, double r)
{
    switch (s % 4) {
    case 0:
        cairo_new_sub_path(cr);
        cairo_arc(cr, x, y, r, 0, 2 * PLOT_PI);
        break;
    case 1:
        cairo_rectangle(cr, x - r, y - r, 2 * r, 2 * r);
        break;
    case 2:
        cairo_move_to(cr, x, y - 1.2 * r);
        cairo_line_to(cr, x + 1.1 * r, y + 0.8 * r);
        cairo_line_to(cr, x - 1.1 * r, y + 0.8 * r);
        cairo_close_path(cr);
        break;
    default:
        cairo_move_to(cr, x, y - 1.3 * r);
        cairo_line_to(cr, x + 1.3 * r, y);
        cairo_line_to(cr, x, y + 1.3 * r);
        cairo_line_to(cr, x - 1.3 * r, y);
        cairo_close_path(cr);
        break;
    }
}

/* The events of member k as markers on every drawn curve. */
static void plot_events(plot_ctx *p, const size_t *comps, size_t n_comp)
{
    const ivp_h5info *in = p->in;
    ivp_error err;
    size_t e, i, j, m;
    double t;
    for (e = 0; e < in->n_events; e++) {
        for (i = 0; i < in->events[e].count; i++) {
            if (ivp_h5file_event(p->f, e, i, &t, p->yd, &m, &err) != IVP_OK || m != p->k) {
                continue;
            }
            for (j = 0; j < (p->phase ? 1 : n_comp); j++) {
                double x = p->phase ? p->yd[comps[0]] : t;
                double y = p->phase ? p->yd[comps[1]] : p->yd[comps[j]];
                const double *c = plot_colors[p->phase ? 0 : j % PLOT_MAX_COMPONENTS];
                if (!isfinite(x) || !isfinite(y)) {
                    continue;
                }
                plot_marker(p->cr, e, plot_dx(p, x), plot_dy(p, y), 4.5);
                cairo_set_source_rgb(p->cr, 1, 1, 1);
                cairo_fill_preserve(p->cr);
                cairo_set_source_rgb(p->cr, c[0] * 0.6, c[1] * 0.6, c[2] * 0.6);
                cairo_set_line_width(p->cr, 1.6);
                cairo_stroke(p->cr);
            }
        }
    }
}

static void plot_legend(plot_ctx *p, const size_t *comps, size_t n_comp)
{
    cairo_t *cr = p->cr;
    const ivp_h5info *in = p->in;
    size_t i, rows = (p->phase ? 0 : n_comp) + in->n_events;
    double w = 0, x, y, lh = 17;
    cairo_text_extents_t te;
    if (rows == 0 || (!p->phase && n_comp == 1 && in->n_events == 0)) {
        return;
    }
    cairo_set_font_size(cr, 12.0);
    for (i = 0; i < (p->phase ? 0 : n_comp); i++) {
        cairo_text_extents(cr, in->names[comps[i]], &te);
        w = fmax(w, te.x_advance);
    }
    for (i = 0; i < in->n_events; i++) {
        char buf[300];
        snprintf(buf, sizeof buf, "event %s", in->events[i].name);
        cairo_text_extents(cr, buf, &te);
        w = fmax(w, te.x_advance);
    }
    w += 42;
    x = p->px1 + 12;
    y = p->py0;
    cairo_set_source_rgba(cr, 1, 1, 1, 0.85);
    cairo_rectangle(cr, x, y, w, (double)rows * lh + 8);
    cairo_fill_preserve(cr);
    cairo_set_source_rgb(cr, 0.6, 0.6, 0.6);
    cairo_set_line_width(cr, 1.0);
    cairo_stroke(cr);
    y += 4 + lh / 2;
    for (i = 0; i < (p->phase ? 0 : n_comp); i++, y += lh) {
        const double *c = plot_colors[i % PLOT_MAX_COMPONENTS];
        cairo_set_source_rgb(cr, c[0], c[1], c[2]);
        cairo_set_line_width(cr, 2.0);
        cairo_move_to(cr, x + 6, y);
        cairo_line_to(cr, x + 30, y);
        cairo_stroke(cr);
        cairo_set_source_rgb(cr, 0, 0, 0);
        plot_text(cr, x + 36, y, in->names[comps[i]], 0.0, 0.5);
    }
    for (i = 0; i < in->n_events; i++, y += lh) {
        char buf[300];
        plot_marker(cr, i, x + 18, y, 4.5);
        cairo_set_source_rgb(cr, 1, 1, 1);
        cairo_fill_preserve(cr);
        cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
        cairo_set_line_width(cr, 1.6);
        cairo_stroke(cr);
        snprintf(buf, sizeof buf, "event %s", in->events[i].name);
        cairo_set_source_rgb(cr, 0, 0, 0);
        plot_text(cr, x + 36, y, buf, 0.0, 0.5);
    }
}

/* The legend's width (0 when there is none), measured with cr's font. */
static double plot_legend_width(plot_ctx *p, cairo_t *cr)
{
    const ivp_h5info *in = p->in;
    cairo_text_extents_t te;
    double w = 0;
    size_t i;
    if (!p->phase && p->n_comp == 1 && in->n_events == 0) {
        return 0;
    }
    if (p->phase && in->n_events == 0) {
        return 0;
    }
    cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, 12.0);
    for (i = 0; i < (p->phase ? 0 : p->n_comp); i++) {
        cairo_text_extents(cr, in->names[p->comp[i]], &te);
        w = fmax(w, te.x_advance);
    }
    for (i = 0; i < in->n_events; i++) {
        char buf[300];
        snprintf(buf, sizeof buf, "event %s", in->events[i].name);
        cairo_text_extents(cr, buf, &te);
        w = fmax(w, te.x_advance);
    }
    return fmin(w + 42, (double)p->width / 3);
}

/* Draws everything on cr; 0 or -1 (message printed). */
static int plot_draw(plot_ctx *p, const char *title)
{
    cairo_t *cr = p->cr;
    size_t comps[PLOT_MAX_COMPONENTS], n_comp = p->n_comp, i;
    const char *xname, *yname;
    memcpy(comps, p->comp, sizeof comps);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    if (p->phase) {
        xname = p->in->names[comps[0]];
        yname = p->in->names[comps[1]];
    } else {
        xname = "t";
        yname = n_comp == 1 ? p->in->names[comps[0]] : "state";
    }
    plot_axes(p, xname, yname, title);
    cairo_save(cr);
    cairo_rectangle(cr, p->px0, p->py0, p->px1 - p->px0, p->py1 - p->py0);
    cairo_clip(cr);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
    p->pass = 2;
    for (i = 0; i < (p->phase ? 1 : n_comp); i++) {
        const double *c = plot_colors[i % PLOT_MAX_COMPONENTS];
        if (!p->phase) {
            p->comp[0] = comps[i];
            p->n_comp = 1;
        }
        p->col[0] = LONG_MIN;
        p->started[0] = 0;
        cairo_new_path(cr);
        if (plot_walk(p) != 0) {
            cairo_restore(cr);
            return -1;
        }
        if (!p->phase) {
            plot_flush(p, 0);
        }
        cairo_set_source_rgb(cr, c[0], c[1], c[2]);
        cairo_set_line_width(cr, p->phase ? 1.2 : 1.8);
        cairo_stroke(cr);
    }
    memcpy(p->comp, comps, sizeof comps);
    p->n_comp = n_comp;
    cairo_restore(cr);
    plot_events(p, comps, n_comp); /* unclipped: a marker at the edge shows whole */
    plot_legend(p, comps, n_comp);
    return 0;
}

int cmd_plot(int argc, char **argv, const cli_command *self)
{
    tools_args a;
    plot_ctx p;
    const char *out, *ext;
    char title[512];
    int code, png, ok = 0;
    ivp_outfile of;
    cairo_surface_t *surf = NULL;
    size_t i;

    memset(&p, 0, sizeof p);
    memset(&of, 0, sizeof of);
    code = tools_parse(argc, argv, plot_options, self, &a);
    if (code != IVP_EXIT_OK || a.help) {
        if (a.help) {
            cli_usage(stdout, self);
        }
        return code;
    }
    if (a.n_positional != 1) {
        return cli_usage_error(self, a.n_positional == 0 ? "no file given" : "plot takes one file");
    }
    out = a.values[PLOT_OUTPUT];
    if (out == NULL) {
        return cli_usage_error(self, "plot needs -o FIG.svg or -o FIG.png");
    }
    ext = strrchr(out, '.');
    if (ext != NULL && (strcmp(ext, ".png") == 0 || strcmp(ext, ".PNG") == 0)) {
        png = 1;
    } else if (ext != NULL && (strcmp(ext, ".svg") == 0 || strcmp(ext, ".SVG") == 0)) {
        png = 0;
    } else {
        return cli_usage_error(self, "-o %s: the figure must end in .svg or .png", out);
    }
    p.width = 800;
    p.height = 500;
    if (a.values[PLOT_SIZE] != NULL) {
        const char *x = strchr(a.values[PLOT_SIZE], 'x');
        char wbuf[16];
        size_t w, h;
        if (x == NULL || (size_t)(x - a.values[PLOT_SIZE]) >= sizeof wbuf) {
            return cli_usage_error(self, "--size expects WxH in pixels, e.g. 800x500");
        }
        memcpy(wbuf, a.values[PLOT_SIZE], (size_t)(x - a.values[PLOT_SIZE]));
        wbuf[x - a.values[PLOT_SIZE]] = '\0';
        if (tools_parse_size(wbuf, &w) != 0 || tools_parse_size(x + 1, &h) != 0 || w < 200 ||
            h < 150 || w > 10000 || h > 10000) {
            return cli_usage_error(self,
                                   "--size expects WxH in pixels from 200x150 to "
                                   "10000x10000, got '%s'",
                                   a.values[PLOT_SIZE]);
        }
        p.width = (int)w;
        p.height = (int)h;
    }
    if (plot_load_cairo() != 0) {
        return IVP_EXIT_USAGE;
    }
    code = tools_open(a.positional[0], &p.f);
    if (code != IVP_EXIT_OK) {
        return code;
    }
    p.in = ivp_h5file_info(p.f);
    code = tools_member(self, p.f, a.values[PLOT_MEMBER], &p.k);
    if (code != IVP_EXIT_OK) {
        goto done;
    }
    if (p.k == SIZE_MAX) {
        if (p.in->n_members > 1) {
            cli_error("%s is an ensemble of %zu members: choose one with --member K", p.in->path,
                      p.in->n_members);
            code = IVP_EXIT_USAGE;
            goto done;
        }
        p.k = 0;
    }
    code = IVP_EXIT_USAGE;
    if (p.in->n == 0) {
        cli_error("%s: no states to plot", p.in->path);
        goto done;
    }
    if (a.values[PLOT_PHASE] != NULL) {
        const char *s = a.values[PLOT_PHASE], *colon = strchr(s, ':');
        long ci, cj;
        if (a.values[PLOT_COMPONENTS] != NULL) {
            code = cli_usage_error(self, "--phase and --components exclude each other");
            goto done;
        }
        ci = colon != NULL ? plot_component(p.in, s, (size_t)(colon - s)) : -1;
        cj = colon != NULL ? plot_component(p.in, colon + 1, strlen(colon + 1)) : -1;
        if (ci < 0 || cj < 0) {
            code = cli_usage_error(self,
                                   "--phase '%s': expected I:J, two components by index "
                                   "(0..%zu) or name",
                                   s, p.in->n - 1);
            goto done;
        }
        p.phase = 1;
        p.comp[0] = (size_t)ci;
        p.comp[1] = (size_t)cj;
        p.n_comp = 2;
    } else if (a.values[PLOT_COMPONENTS] != NULL) {
        const char *s = a.values[PLOT_COMPONENTS];
        for (;;) {
            const char *comma = strchr(s, ',');
            size_t len = comma != NULL ? (size_t)(comma - s) : strlen(s);
            long c = plot_component(p.in, s, len);
            if (c < 0) {
                code = cli_usage_error(self,
                                       "--components: '%.*s' is not a component (an index "
                                       "0..%zu or a name)",
                                       (int)len, s, p.in->n - 1);
                goto done;
            }
            if (p.n_comp == PLOT_MAX_COMPONENTS) {
                code = cli_usage_error(self, "--components: at most %d components",
                                       PLOT_MAX_COMPONENTS);
                goto done;
            }
            p.comp[p.n_comp++] = (size_t)c;
            if (comma == NULL) {
                break;
            }
            s = comma + 1;
        }
    } else {
        for (i = 0; i < p.in->n && i < PLOT_MAX_COMPONENTS; i++) {
            p.comp[p.n_comp++] = i;
        }
        if (p.in->n > PLOT_MAX_COMPONENTS) {
            fprintf(stderr,
                    "ivp: note: drawing the first %d of %zu components (choose with "
                    "--components)\n",
                    PLOT_MAX_COMPONENTS, p.in->n);
        }
    }
    p.t = malloc(PLOT_BLOCK * sizeof *p.t);
    p.y = malloc(PLOT_BLOCK * p.in->n * sizeof *p.y);
    p.yd = malloc(p.in->n * sizeof *p.yd);
    if (p.t == NULL || p.y == NULL || p.yd == NULL) {
        cli_error("out of memory");
        code = IVP_EXIT_SOLVER;
        goto done;
    }
    p.use_dense = p.in->dense;
    /* pass 1: the ranges */
    p.pass = 1;
    p.xlo = p.ylo = (double)INFINITY;
    p.xhi = p.yhi = -(double)INFINITY;
    if (plot_walk(&p) != 0) {
        goto done;
    }
    {
        ivp_h5run run;
        ivp_error err;
        ivp_h5file_member(p.f, p.k, &run, NULL, NULL, NULL, &err);
        if (run.n_points == 0) {
            cli_error("%s: nothing to plot: %s has no stored points", p.in->path,
                      p.in->ensemble ? "the member" : "the file");
            goto done;
        }
        if (a.values[PLOT_TITLE] != NULL) {
            snprintf(title, sizeof title, "%s", a.values[PLOT_TITLE]);
        } else {
            const char *base = strrchr(p.in->path, '/');
            char mem[48] = "";
            if (p.in->ensemble) {
                snprintf(mem, sizeof mem, " member %zu", p.k);
            }
            snprintf(title, sizeof title, "%s%s: %s, status %d",
                     base != NULL ? base + 1 : p.in->path, mem, p.in->method, run.status);
        }
    }
    if (p.phase) {
        p.ax0 = p.xlo;
        p.ax1 = p.xhi;
        plot_pad(&p.ax0, &p.ax1, 0.04);
    } else {
        p.ax0 = p.xlo;
        p.ax1 = p.xhi;
        if (!(p.ax1 > p.ax0)) {
            plot_pad(&p.ax0, &p.ax1, 0.0);
        }
    }
    p.ay0 = p.ylo;
    p.ay1 = p.yhi;
    plot_pad(&p.ay0, &p.ay1, 0.05);
    p.px0 = 78;
    p.px1 = p.width - 20;
    p.py0 = 36;
    p.py1 = p.height - 52;

    if (ivp_outfile_create(&of, out, NULL) != IVP_OK) {
        ivp_error err;
        ivp_error_clear(&err);
        ivp_outfile_create(&of, out, &err);
        cli_error("%s", err.msg);
        goto done;
    }
    surf = png ? cairo_image_surface_create(CAIRO_FORMAT_ARGB32, p.width, p.height)
               : cairo_svg_surface_create(of.temp, p.width, p.height);
    if (!png) {
        cairo_svg_surface_set_document_unit(surf, CAIRO_SVG_UNIT_PX);
    }
    p.cr = cairo_create(surf);
    {
        double lw = plot_legend_width(&p, p.cr);
        if (lw > 0) {
            p.px1 -= lw + 12;
        }
    }
    if (plot_draw(&p, title) != 0) {
        code = IVP_EXIT_SOLVER;
        goto done;
    }
    cairo_destroy(p.cr);
    p.cr = NULL;
    if (png) {
        ok = cairo_surface_write_to_png(surf, of.temp) == CAIRO_STATUS_SUCCESS;
    } else {
        cairo_surface_finish(surf);
        ok = cairo_surface_status(surf) == CAIRO_STATUS_SUCCESS;
    }
    cairo_surface_destroy(surf);
    surf = NULL;
    if (!ok) {
        cli_error("%s: drawing or writing the figure failed", out);
        code = IVP_EXIT_SOLVER;
        goto done;
    }
    {
        ivp_error err;
        ivp_error_clear(&err);
        if (ivp_outfile_commit(&of, &err) != IVP_OK) {
            cli_error("%s", err.msg);
            code = IVP_EXIT_SOLVER;
            goto done;
        }
    }
    code = IVP_EXIT_OK;
done:
    if (p.cr != NULL) {
        cairo_destroy(p.cr);
    }
    if (surf != NULL) {
        cairo_surface_destroy(surf);
    }
    ivp_outfile_discard(&of);
    /* cairo and fontconfig keep font caches for the process; release them, so leak checkers
     * (the ASan suite) see only ivp's own memory */
    cairo_debug_reset_static_data();
#ifdef IVP_HAVE_FONTCONFIG
    FcFini();
#endif
    free(p.t);
    free(p.y);
    free(p.yd);
    ivp_h5file_close(p.f);
    return code;
}

#endif /* IVP_HAVE_CAIRO */
