/* SPDX-License-Identifier: MIT
 * cli/cmd_compare.c - `ivp compare A B`: are two results the same within tolerances? The exit
 * code is the verdict (0 same, 1 different, 2 not comparable or bad input), for regression
 * pipelines.
 *
 * What is compared, per member pair:
 *   - both with dense output: both interpolants at every stored time of either file inside the
 *     common interval (so identical files compare exactly equal);
 *   - else, stored points at the same times (checked within the tolerances): point by point;
 *   - else one with dense output: its interpolant at the other's stored times;
 *   - else not comparable (exit 2).
 * Also the status and each event's count and times. B is the reference: a value a of A matches
 * b of B when |a - b| <= atol + rtol * |b|. Everything streams in blocks of stored points.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tools.h"

#define COMPARE_BLOCK 4096

enum { CMP_RTOL, CMP_ATOL, CMP_MEMBER, CMP_VERBOSE };

static const tools_option compare_options[] = {
    {"rtol", 0, 1}, {"atol", 0, 1}, {"member", 0, 1}, {"verbose", 'v', 0}, {NULL, 0, 0},
};

/* The worst differences of one component. */
typedef struct cmp_stat {
    double max_abs, t_abs;
    double max_rel, t_rel;
    double worst, t_worst; /* |a-b| / (atol + rtol |b|) */
    size_t k_abs, k_rel, k_worst;
    size_t exceed;
} cmp_stat;

typedef struct cmp_ctx {
    ivp_h5file *fa, *fb;
    const ivp_h5info *ia, *ib;
    double rtol, atol;
    size_t n;
    cmp_stat *comp;  /* n */
    cmp_stat t_stat; /* the stored times themselves (point-by-point comparisons) */
    size_t n_values; /* values compared */
    size_t n_times;
    int dense_used, points_used;
    double lo, hi;      /* the compared interval (over all members) */
    size_t status_diff; /* member pairs whose status differs */
    size_t event_diff;  /* event count or name mismatches */
    double ev_max_abs;  /* worst event time difference */
    size_t ev_exceed;
    double *ya, *yb, *ta, *tb, *yblk_a, *yblk_b;
} cmp_ctx;

static void cmp_stat_init(cmp_stat *s)
{
    memset(s, 0, sizeof *s);
    s->t_abs = s->t_rel = s->t_worst = (double)NAN;
}

static void cmp_value(cmp_ctx *c, cmp_stat *s, size_t k, double t, double a, double b)
{
    double d = fabs(a - b), rel, ratio, tol = c->atol + c->rtol * fabs(b);
    if (isnan(a) != isnan(b) || (isnan(d) && !(isnan(a) && isnan(b)))) {
        d = (double)INFINITY; /* NaN against a number, or infinities of opposite sign */
    } else if (isnan(d) || (isinf(a) && a == b)) {
        d = 0.0; /* both NaN, or the same infinity */
    }
    rel = d == 0.0 ? 0.0 : b != 0.0 ? d / fabs(b) : (double)INFINITY;
    ratio = d == 0.0 ? 0.0 : tol > 0.0 ? d / tol : (double)INFINITY;
    if (d > s->max_abs || isnan(s->t_abs)) {
        s->max_abs = d;
        s->t_abs = t;
        s->k_abs = k;
    }
    if (rel > s->max_rel || isnan(s->t_rel)) {
        s->max_rel = rel;
        s->t_rel = t;
        s->k_rel = k;
    }
    if (ratio > s->worst || isnan(s->t_worst)) {
        s->worst = ratio;
        s->t_worst = t;
        s->k_worst = k;
    }
    if (!(d <= tol)) {
        s->exceed++;
    }
    c->n_values++;
}

static void cmp_row(cmp_ctx *c, size_t k, double t, const double *a, const double *b)
{
    size_t j;
    for (j = 0; j < c->n; j++) {
        cmp_value(c, &c->comp[j], k, t, a[j], b[j]);
    }
    c->n_times++;
    if (t < c->lo) {
        c->lo = t;
    }
    if (t > c->hi) {
        c->hi = t;
    }
}

static int cmp_fail(const ivp_error *err)
{
    cli_error("%s", err->msg);
    return IVP_EXIT_USAGE;
}

/* The stored times of 'src' (member ks) inside [lo, hi]: both dense outputs there (dense_a,
 * dense_b), or the other's dense output against the stored values. */
static int cmp_sweep(cmp_ctx *c, ivp_h5file *src, size_t ks, size_t ka, size_t kb, double lo,
                     double hi, int dense_a, int dense_b)
{
    ivp_h5run run;
    ivp_error err;
    size_t first, i, n = c->n;
    ivp_error_clear(&err);
    if (ivp_h5file_member(src, ks, &run, NULL, NULL, NULL, &err) != IVP_OK) {
        return cmp_fail(&err);
    }
    for (first = 0; first < run.n_points; first += COMPARE_BLOCK) {
        size_t count = run.n_points - first < COMPARE_BLOCK ? run.n_points - first : COMPARE_BLOCK;
        if (ivp_h5file_read(src, ks, first, count, c->ta, c->yblk_a, &err) != IVP_OK) {
            return cmp_fail(&err);
        }
        for (i = 0; i < count; i++) {
            double t = c->ta[i];
            const double *stored = c->yblk_a + i * n;
            if (!(t >= lo && t <= hi)) {
                continue;
            }
            if (dense_a) {
                if (ivp_h5file_dense_eval(c->fa, ka, t, c->ya, &err) != IVP_OK) {
                    return cmp_fail(&err);
                }
            } else {
                memcpy(c->ya, stored, n * sizeof *c->ya);
            }
            if (dense_b) {
                if (ivp_h5file_dense_eval(c->fb, kb, t, c->yb, &err) != IVP_OK) {
                    return cmp_fail(&err);
                }
            } else {
                memcpy(c->yb, stored, n * sizeof *c->yb);
            }
            cmp_row(c, c->ia->ensemble ? ka : kb, t, c->ya, c->yb);
        }
    }
    return IVP_EXIT_OK;
}

/* Stored points against stored points, when both files have the same times (within the
 * tolerances); *same is 0 when they do not (nothing is counted then). */
static int cmp_points(cmp_ctx *c, size_t ka, size_t kb, size_t na, int *same)
{
    ivp_error err;
    size_t first, i, n = c->n;
    cmp_stat ts;
    ivp_error_clear(&err);
    *same = 1;
    cmp_stat_init(&ts);
    /* pass 1: the times */
    for (first = 0; first < na && *same; first += COMPARE_BLOCK) {
        size_t count = na - first < COMPARE_BLOCK ? na - first : COMPARE_BLOCK;
        if (ivp_h5file_read(c->fa, ka, first, count, c->ta, NULL, &err) != IVP_OK ||
            ivp_h5file_read(c->fb, kb, first, count, c->tb, NULL, &err) != IVP_OK) {
            return cmp_fail(&err);
        }
        for (i = 0; i < count; i++) {
            if (!(fabs(c->ta[i] - c->tb[i]) <= c->atol + c->rtol * fabs(c->tb[i]))) {
                *same = 0;
                break;
            }
        }
    }
    if (!*same) {
        return IVP_EXIT_OK;
    }
    for (first = 0; first < na; first += COMPARE_BLOCK) {
        size_t count = na - first < COMPARE_BLOCK ? na - first : COMPARE_BLOCK;
        if (ivp_h5file_read(c->fa, ka, first, count, c->ta, c->yblk_a, &err) != IVP_OK ||
            ivp_h5file_read(c->fb, kb, first, count, c->tb, c->yblk_b, &err) != IVP_OK) {
            return cmp_fail(&err);
        }
        for (i = 0; i < count; i++) {
            cmp_value(c, &c->t_stat, ka, c->tb[i], c->ta[i], c->tb[i]);
            cmp_row(c, ka, c->tb[i], c->yblk_a + i * n, c->yblk_b + i * n);
        }
    }
    return IVP_EXIT_OK;
}

/* The times of event e of member k, in file order (malloc'ed; *count). */
static int cmp_event_times(ivp_h5file *f, size_t e, size_t k, double **out, size_t *count)
{
    const ivp_h5info *in = ivp_h5file_info(f);
    size_t i, m, total = in->events[e].count;
    double t;
    ivp_error err;
    *out = malloc((total > 0 ? total : 1) * sizeof **out);
    *count = 0;
    if (*out == NULL) {
        cli_error("out of memory");
        return IVP_EXIT_SOLVER;
    }
    for (i = 0; i < total; i++) {
        if (ivp_h5file_event(f, e, i, &t, NULL, &m, &err) != IVP_OK) {
            free(*out);
            *out = NULL;
            return cmp_fail(&err);
        }
        if (!in->ensemble || m == k) {
            (*out)[(*count)++] = t;
        }
    }
    return IVP_EXIT_OK;
}

static int cmp_events(cmp_ctx *c, size_t ka, size_t kb, int verbose)
{
    size_t ea, eb, i;
    int code;
    for (ea = 0; ea < c->ia->n_events; ea++) {
        double *ta = NULL, *tb = NULL;
        size_t na, nb;
        for (eb = 0; eb < c->ib->n_events; eb++) {
            if (strcmp(c->ia->events[ea].name, c->ib->events[eb].name) == 0) {
                break;
            }
        }
        if (eb == c->ib->n_events) {
            c->event_diff++;
            if (verbose) {
                printf("event %s: only in %s\n", c->ia->events[ea].name, c->ia->path);
            }
            continue;
        }
        code = cmp_event_times(c->fa, ea, ka, &ta, &na);
        if (code == IVP_EXIT_OK) {
            code = cmp_event_times(c->fb, eb, kb, &tb, &nb);
        }
        if (code != IVP_EXIT_OK) {
            free(ta);
            free(tb);
            return code;
        }
        if (na != nb) {
            c->event_diff++;
            printf("event %s%s: %zu occurrences in A, %zu in B\n", c->ia->events[ea].name,
                   c->ia->ensemble ? " (a member)" : "", na, nb);
        } else {
            for (i = 0; i < na; i++) {
                double d = fabs(ta[i] - tb[i]);
                if (isnan(d)) {
                    d = (double)INFINITY;
                }
                if (d > c->ev_max_abs) {
                    c->ev_max_abs = d;
                }
                if (!(d <= c->atol + c->rtol * fabs(tb[i]))) {
                    c->ev_exceed++;
                }
            }
        }
        free(ta);
        free(tb);
    }
    for (eb = 0; eb < c->ib->n_events; eb++) {
        for (ea = 0; ea < c->ia->n_events; ea++) {
            if (strcmp(c->ia->events[ea].name, c->ib->events[eb].name) == 0) {
                break;
            }
        }
        if (ea == c->ia->n_events) {
            c->event_diff++;
            if (verbose) {
                printf("event %s: only in %s\n", c->ib->events[eb].name, c->ib->path);
            }
        }
    }
    return IVP_EXIT_OK;
}

/* Compares member ka of A with member kb of B. */
static int cmp_pair(cmp_ctx *c, size_t ka, size_t kb, int verbose)
{
    ivp_h5run ra, rb;
    ivp_error err;
    int code, da, db, same = 0;
    ivp_error_clear(&err);
    if (ivp_h5file_member(c->fa, ka, &ra, NULL, NULL, NULL, &err) != IVP_OK ||
        ivp_h5file_member(c->fb, kb, &rb, NULL, NULL, NULL, &err) != IVP_OK) {
        return cmp_fail(&err);
    }
    if (ra.status != rb.status) {
        c->status_diff++;
        printf("status%s: %d in A (%s), %d in B (%s)\n", c->ia->ensemble ? " of a member" : "",
               ra.status, ra.message, rb.status, rb.message);
    }
    da = c->ia->dense && ra.n_segments > 0;
    db = c->ib->dense && rb.n_segments > 0;
    if (da && db) {
        double a0, a1, b0, b1, alo, ahi, blo, bhi, lo, hi;
        if (ivp_h5file_dense_range(c->fa, ka, &a0, &a1, &err) != IVP_OK ||
            ivp_h5file_dense_range(c->fb, kb, &b0, &b1, &err) != IVP_OK) {
            return cmp_fail(&err);
        }
        if ((a1 > a0) != (b1 > b0)) {
            cli_error("cannot compare: one solution runs forward in t, the other backward");
            return IVP_EXIT_USAGE;
        }
        alo = a0 < a1 ? a0 : a1;
        ahi = a0 < a1 ? a1 : a0;
        blo = b0 < b1 ? b0 : b1;
        bhi = b0 < b1 ? b1 : b0;
        lo = alo > blo ? alo : blo;
        hi = ahi < bhi ? ahi : bhi;
        if (!(lo < hi)) {
            cli_error("cannot compare: the solutions have no common interval ([%.17g, %.17g] "
                      "and [%.17g, %.17g])",
                      alo, ahi, blo, bhi);
            return IVP_EXIT_USAGE;
        }
        c->dense_used = 1;
        code = cmp_sweep(c, c->fa, ka, ka, kb, lo, hi, 1, 1);
        if (code == IVP_EXIT_OK) {
            code = cmp_sweep(c, c->fb, kb, ka, kb, lo, hi, 1, 1);
        }
        if (code != IVP_EXIT_OK) {
            return code;
        }
    } else {
        if (ra.n_points == rb.n_points) {
            code = cmp_points(c, ka, kb, ra.n_points, &same);
            if (code != IVP_EXIT_OK) {
                return code;
            }
        }
        if (same) {
            c->points_used = 1;
        } else if (da || db) {
            /* one interpolant at the other's stored times */
            ivp_h5file *dense_f = da ? c->fa : c->fb, *pts_f = da ? c->fb : c->fa;
            size_t kd = da ? ka : kb, kp = da ? kb : ka;
            double d0, d1, lo, hi;
            if (ivp_h5file_dense_range(dense_f, kd, &d0, &d1, &err) != IVP_OK) {
                return cmp_fail(&err);
            }
            lo = d0 < d1 ? d0 : d1;
            hi = d0 < d1 ? d1 : d0;
            c->dense_used = 1;
            {
                size_t before = c->n_times;
                code = cmp_sweep(c, pts_f, kp, ka, kb, lo, hi, da, db);
                if (code != IVP_EXIT_OK) {
                    return code;
                }
                if (c->n_times == before) {
                    cli_error("cannot compare: no stored point of %s lies in the interval "
                              "[%.17g, %.17g] of %s's dense output",
                              ivp_h5file_info(pts_f)->path, lo, hi, ivp_h5file_info(dense_f)->path);
                    return IVP_EXIT_USAGE;
                }
            }
        } else {
            cli_error("cannot compare: the stored points are at different times (%zu and %zu "
                      "points) and neither file has a dense output; run both with the same "
                      "t_eval or with \"dense_output\": true",
                      ra.n_points, rb.n_points);
            return IVP_EXIT_USAGE;
        }
    }
    return cmp_events(c, ka, kb, verbose);
}

static void cmp_where(const cmp_ctx *c, size_t k, double t)
{
    if (c->ia->ensemble || c->ib->ensemble) {
        printf("member %zu, ", k);
    }
    printf("t = %.17g", t);
}

static void cmp_report(const cmp_ctx *c, int verbose, int differ)
{
    size_t j, ja = 0, jr = 0, jw = 0, exceed = 0;
    for (j = 0; j < c->n; j++) {
        if (c->comp[j].max_abs > c->comp[ja].max_abs) {
            ja = j;
        }
        if (c->comp[j].max_rel > c->comp[jr].max_rel) {
            jr = j;
        }
        if (c->comp[j].worst > c->comp[jw].worst) {
            jw = j;
        }
        exceed += c->comp[j].exceed;
    }
    printf("compared: %zu values (%zu components at %zu times) on [%.17g, %.17g], %s\n",
           c->n * c->n_times, c->n, c->n_times, c->lo, c->hi,
           c->dense_used && c->points_used ? "dense outputs and stored points"
           : c->dense_used                 ? "dense outputs"
                                           : "stored points");
    if (c->n > 0 && c->n_times > 0) {
        printf("max abs difference: %.3e (%s, ", c->comp[ja].max_abs, c->ia->names[ja]);
        cmp_where(c, c->comp[ja].k_abs, c->comp[ja].t_abs);
        printf(")\nmax rel difference: %.3e (%s, ", c->comp[jr].max_rel, c->ia->names[jr]);
        cmp_where(c, c->comp[jr].k_rel, c->comp[jr].t_rel);
        printf(")\n");
    }
    if (c->points_used && c->t_stat.max_abs > 0) {
        printf("max time difference: %.3e\n", c->t_stat.max_abs);
    }
    if (verbose) {
        for (j = 0; j < c->n; j++) {
            const cmp_stat *s = &c->comp[j];
            printf("  %s: abs %.3e (", c->ia->names[j], s->max_abs);
            cmp_where(c, s->k_abs, s->t_abs);
            printf("), rel %.3e (", s->max_rel);
            cmp_where(c, s->k_rel, s->t_rel);
            printf("), %zu outside the tolerance\n", s->exceed);
        }
    }
    if (c->ia->n_events > 0 || c->ib->n_events > 0) {
        printf("events: %s; max time difference %.3e\n",
               c->event_diff > 0 ? "the event names or counts differ" : "same names and counts",
               c->ev_max_abs);
    }
    printf("tolerance: |a - b| <= %.3g + %.3g * |b| (B the reference): ", c->atol, c->rtol);
    if (exceed + c->t_stat.exceed + c->ev_exceed == 0) {
        printf("every value within\n");
    } else {
        printf("%zu values outside (worst %.3g times the tolerance: %s, ", exceed,
               c->comp[jw].worst, c->n > 0 ? c->ia->names[jw] : "");
        if (c->n > 0) {
            cmp_where(c, c->comp[jw].k_worst, c->comp[jw].t_worst);
        }
        printf(")");
        if (c->t_stat.exceed > 0) {
            printf(", %zu times", c->t_stat.exceed);
        }
        if (c->ev_exceed > 0) {
            printf(", %zu event times", c->ev_exceed);
        }
        printf("\n");
    }
    printf("verdict: %s\n", differ ? "different (exit 1)" : "same within the tolerances (exit 0)");
}

int cmd_compare(int argc, char **argv, const cli_command *self)
{
    tools_args a;
    cmp_ctx c;
    size_t k = SIZE_MAX, ka, kb, kn, i;
    int code, verbose, differ;
    size_t exceed = 0;

    memset(&c, 0, sizeof c);
    code = tools_parse(argc, argv, compare_options, self, &a);
    if (code != IVP_EXIT_OK || a.help) {
        if (a.help) {
            cli_usage(stdout, self);
        }
        return code;
    }
    if (a.n_positional != 2) {
        return cli_usage_error(self, "compare takes two files, A and B");
    }
    c.rtol = 1e-9;
    c.atol = 1e-12;
    if (a.values[CMP_RTOL] != NULL &&
        (tools_parse_double(a.values[CMP_RTOL], &c.rtol) != 0 || c.rtol < 0)) {
        return cli_usage_error(self, "--rtol expects a number >= 0, got '%s'", a.values[CMP_RTOL]);
    }
    if (a.values[CMP_ATOL] != NULL &&
        (tools_parse_double(a.values[CMP_ATOL], &c.atol) != 0 || c.atol < 0)) {
        return cli_usage_error(self, "--atol expects a number >= 0, got '%s'", a.values[CMP_ATOL]);
    }
    if (a.values[CMP_MEMBER] != NULL && tools_parse_size(a.values[CMP_MEMBER], &k) != 0) {
        return cli_usage_error(self, "--member expects a member number (0, 1, ...), got '%s'",
                               a.values[CMP_MEMBER]);
    }
    verbose = a.values[CMP_VERBOSE] != NULL;
    code = tools_open(a.positional[0], &c.fa);
    if (code == IVP_EXIT_OK) {
        code = tools_open(a.positional[1], &c.fb);
    }
    if (code != IVP_EXIT_OK) {
        goto done;
    }
    c.ia = ivp_h5file_info(c.fa);
    c.ib = ivp_h5file_info(c.fb);
    if (c.ia->n != c.ib->n) {
        cli_error("cannot compare: %s has %zu components, %s has %zu", c.ia->path, c.ia->n,
                  c.ib->path, c.ib->n);
        code = IVP_EXIT_USAGE;
        goto done;
    }
    c.n = c.ia->n;
    if (k != SIZE_MAX) {
        const ivp_h5info *ins[2] = {c.ia, c.ib};
        for (i = 0; i < 2; i++) {
            if (ins[i]->ensemble && k >= ins[i]->n_members) {
                cli_error("%s: member %zu is out of range: the file has %zu members (0..%zu)",
                          ins[i]->path, k, ins[i]->n_members, ins[i]->n_members - 1);
                code = IVP_EXIT_USAGE;
                goto done;
            }
        }
        ka = c.ia->ensemble ? k : 0;
        kb = c.ib->ensemble ? k : 0;
        kn = 1;
    } else if (c.ia->ensemble != c.ib->ensemble) {
        cli_error("cannot compare an ensemble with a single run: choose a member with "
                  "--member K");
        code = IVP_EXIT_USAGE;
        goto done;
    } else if (c.ia->n_members != c.ib->n_members) {
        cli_error("cannot compare: %s has %zu members, %s has %zu", c.ia->path, c.ia->n_members,
                  c.ib->path, c.ib->n_members);
        code = IVP_EXIT_USAGE;
        goto done;
    } else {
        ka = kb = 0;
        kn = c.ia->n_members;
    }
    c.comp = malloc((c.n > 0 ? c.n : 1) * sizeof *c.comp);
    c.ya = malloc((c.n > 0 ? c.n : 1) * sizeof *c.ya);
    c.yb = malloc((c.n > 0 ? c.n : 1) * sizeof *c.yb);
    c.ta = malloc(COMPARE_BLOCK * sizeof *c.ta);
    c.tb = malloc(COMPARE_BLOCK * sizeof *c.tb);
    c.yblk_a = malloc(COMPARE_BLOCK * (c.n > 0 ? c.n : 1) * sizeof *c.yblk_a);
    c.yblk_b = malloc(COMPARE_BLOCK * (c.n > 0 ? c.n : 1) * sizeof *c.yblk_b);
    if (c.comp == NULL || c.ya == NULL || c.yb == NULL || c.ta == NULL || c.tb == NULL ||
        c.yblk_a == NULL || c.yblk_b == NULL) {
        cli_error("out of memory");
        code = IVP_EXIT_SOLVER;
        goto done;
    }
    for (i = 0; i < c.n; i++) {
        cmp_stat_init(&c.comp[i]);
    }
    cmp_stat_init(&c.t_stat);
    c.lo = (double)INFINITY;
    c.hi = -(double)INFINITY;
    printf("A: %s\nB: %s (reference)\n", c.ia->path, c.ib->path);
    for (i = 0; i < kn; i++) {
        code = cmp_pair(&c, ka + i, kb + i, verbose);
        if (code != IVP_EXIT_OK) {
            goto done;
        }
    }
    if (c.n_times == 0) {
        cli_error("cannot compare: no common stored point or interval");
        code = IVP_EXIT_USAGE;
        goto done;
    }
    for (i = 0; i < c.n; i++) {
        exceed += c.comp[i].exceed;
    }
    differ = exceed > 0 || c.t_stat.exceed > 0 || c.ev_exceed > 0 || c.event_diff > 0 ||
             c.status_diff > 0;
    cmp_report(&c, verbose, differ);
    code = differ ? 1 : IVP_EXIT_OK;
    if (fflush(stdout) != 0) {
        code = IVP_EXIT_USAGE;
    }
done:
    free(c.comp);
    free(c.ya);
    free(c.yb);
    free(c.ta);
    free(c.tb);
    free(c.yblk_a);
    free(c.yblk_b);
    ivp_h5file_close(c.fa);
    ivp_h5file_close(c.fb);
    return code;
}
