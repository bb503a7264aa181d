/* SPDX-License-Identifier: MIT
 * core/src/jacobian.c - the Jacobian the implicit methods use: from the plugin's dense 'jac'
 * or sparse 'jac_values', or by finite differences with adaptive increments.
 *
 * Finite differences follow scipy 1.10.1 scipy/integrate/_ivp/common.py 'num_jac' (behaviour,
 * not code): per-column increments h_j = (y_j + factor_j*yscale_j) - y_j, a second try with a
 * ten times larger factor for columns whose largest difference drowns in rounding, and the
 * factor adapted for the next call. With a known structure (band or sparse pattern) the
 * columns are grouped (Curtis, Powell, Reid, "On the estimation of sparse Jacobian matrices",
 * J. Inst. Math. Appl. 13 (1974) 117-119) so that one rhs call perturbs a whole group; the
 * greedy grouping is taken in natural column order (scipy permutes the columns first; with a
 * correct pattern every valid grouping gives the same Jacobian).
 */
#include "jacobian.h"

#include <math.h>
#include <string.h>

/* scipy's NUM_JAC_* constants: EPS^0.875, EPS^0.75, EPS^0.25, 1e3*EPS. */
#define JAC_DIFF_REJECT 2.0097183471152322e-14
#define JAC_DIFF_SMALL 1.8189894035458565e-12
#define JAC_DIFF_BIG 1.220703125e-4
#define JAC_MIN_FACTOR (1e3 * IVP_EPS)
#define JAC_FACTOR_INCREASE 10.0
#define JAC_FACTOR_DECREASE 0.1

/* Rows of column j of a matrix: entries p0 .. p1-1 of m->v; the row of entry k is
 * rowind[k] for a sparse matrix, else row0 + (k - p0). */
typedef struct jac_col {
    size_t p0, p1;
    size_t row0;
    const size_t *rowind; /* NULL unless sparse */
} jac_col;

static jac_col jac_column(const ivp_matrix *m, size_t j)
{
    jac_col c = {0, 0, 0, NULL};
    size_t n = m->n;
    if (m->kind == IVP_MAT_DENSE) {
        c.p0 = j * n;
        c.p1 = c.p0 + n;
    } else if (m->kind == IVP_MAT_BAND) {
        size_t ldab = m->kl + m->ku + 1;
        size_t lo = j > m->ku ? j - m->ku : 0;
        size_t hi = j + m->kl < n ? j + m->kl : n - 1; /* inclusive */
        /* v[(ku + i - j) + j*ldab] = A(i, j) */
        c.p0 = m->ku + lo - j + j * ldab;
        c.p1 = c.p0 + (hi - lo + 1);
        c.row0 = lo;
    } else {
        c.p0 = m->colptr[j];
        c.p1 = m->colptr[j + 1];
        c.rowind = m->rowind;
    }
    return c;
}

static size_t jac_col_row(const jac_col *c, size_t k)
{
    return c->rowind != NULL ? c->rowind[k] : c->row0 + (k - c->p0);
}

/* Members of group g in increasing column order: first, then next until n. Dense groups are
 * single columns, band groups every (kl+ku+1)-th column; sparse groups are searched. */
static size_t jac_group_next(const ivp_jac *jc, size_t g, size_t j)
{
    size_t n = jc->n;
    if (jc->J.kind == IVP_MAT_DENSE) {
        return n;
    }
    if (jc->J.kind == IVP_MAT_BAND) {
        return j + jc->n_groups;
    }
    for (j = j + 1; j < n; j++) {
        if (jc->group[j] == g) {
            break;
        }
    }
    return j;
}

static size_t jac_group_first(const ivp_jac *jc, size_t g)
{
    if (jc->J.kind != IVP_MAT_SPARSE || jc->group[g] == g) {
        return g; /* a group is opened by a column at or after its own number */
    }
    return jac_group_next(jc, g, g);
}

/* Greedy Curtis-Powell-Reid grouping of the columns of the sparse pattern m in natural
 * order: a column joins the open group when none of its rows is already in the group's
 * union of rows. mark (n) is work. Returns the number of groups. */
static size_t jac_group_sparse(const ivp_matrix *m, size_t *group, size_t *mark)
{
    size_t n = m->n, n_groups = 0, n_done = 0, first = 0, i, j, k;
    for (j = 0; j < n; j++) {
        group[j] = (size_t)-1;
        mark[j] = (size_t)-1;
    }
    while (n_done < n) {
        size_t g = n_groups++;
        while (group[first] != (size_t)-1) {
            first++;
        }
        for (j = first; j < n; j++) {
            int clash = 0;
            if (group[j] != (size_t)-1) {
                continue;
            }
            for (k = m->colptr[j]; k < m->colptr[j + 1]; k++) {
                if (mark[m->rowind[k]] == g) {
                    clash = 1;
                    break;
                }
            }
            if (clash) {
                continue;
            }
            group[j] = g;
            n_done++;
            for (k = m->colptr[j]; k < m->colptr[j + 1]; k++) {
                i = m->rowind[k];
                mark[i] = g;
            }
        }
    }
    return n_groups;
}

static void *jac_calloc(const ivp_allocator *a, size_t count, size_t size)
{
    return ivp_calloc(a, count > 0 ? count : 1, size);
}

ivp_status ivp_jac_init(ivp_jac *jc, const ivp_system *sys, int count_fd, const ivp_allocator *a,
                        ivp_error *err)
{
    ivp_status st = IVP_OK;
    size_t n = sys->n, j, k;
    size_t *mark = NULL;
    int has_pattern = sys->sp_rows != NULL || sys->sp_cols != NULL;

    memset(jc, 0, sizeof *jc);
    jc->n = n;
    jc->alloc = a;
    jc->count_fd = count_fd;
    if (n == 0) {
        return ivp_error_set(err, IVP_ERR_ARG, "jacobian: the system dimension n is 0");
    }
    if (has_pattern && (sys->sp_rows == NULL || sys->sp_cols == NULL)) {
        return ivp_error_set(err, IVP_ERR_ARG,
                             "jacobian: the sparsity pattern needs both rows and cols "
                             "(sp_rows %s, sp_cols %s)",
                             sys->sp_rows != NULL ? "given" : "missing",
                             sys->sp_cols != NULL ? "given" : "missing");
    }

    /* Layout. */
    if (has_pattern) {
        st = ivp_matrix_init_sparse(&jc->J, n, sys->sp_rows, sys->sp_cols, sys->sp_nnz, a, err);
    } else if (sys->lband >= 0 || sys->uband >= 0) {
        size_t kl = sys->lband > 0 ? (size_t)sys->lband : 0;
        size_t ku = sys->uband > 0 ? (size_t)sys->uband : 0;
        /* Bands wider than the matrix hold nothing more. */
        kl = kl < n ? kl : n - 1;
        ku = ku < n ? ku : n - 1;
        st = ivp_matrix_init_band(&jc->J, n, kl, ku, a, err);
    } else {
        st = ivp_matrix_init_dense(&jc->J, n, a, err);
    }
    if (st != IVP_OK) {
        memset(&jc->J, 0, sizeof jc->J);
        goto fail;
    }

    /* Source. */
    if (sys->jac_values != NULL && has_pattern) {
        jc->source = IVP_JSRC_VALUES;
        jc->n_vals = sys->sp_nnz;
        jc->vals = jac_calloc(a, sys->sp_nnz, sizeof *jc->vals);
        jc->vpos = jac_calloc(a, sys->sp_nnz, sizeof *jc->vpos);
        if (jc->vals == NULL || jc->vpos == NULL) {
            goto nomem;
        }
        for (k = 0; k < sys->sp_nnz; k++) {
            jc->vpos[k] = ivp_matrix_index(&jc->J, sys->sp_rows[k], sys->sp_cols[k]);
            if (jc->vpos[k] == (size_t)-1) { /* cannot happen: the pattern built J */
                st = ivp_error_set(err, IVP_ERR_INTERNAL,
                                   "jacobian: pattern entry %zu (%zu, %zu) is not in the matrix", k,
                                   sys->sp_rows[k], sys->sp_cols[k]);
                goto fail;
            }
        }
        return IVP_OK;
    }
    if (sys->jac != NULL && jc->J.kind == IVP_MAT_DENSE) {
        jc->source = IVP_JSRC_DENSE;
        if (n > (size_t)-1 / n) {
            goto nomem;
        }
        jc->rowmajor = jac_calloc(a, n * n, sizeof *jc->rowmajor);
        if (jc->rowmajor == NULL) {
            goto nomem;
        }
        return IVP_OK;
    }

    jc->source = IVP_JSRC_FD;
    jc->factor = jac_calloc(a, n, sizeof *jc->factor);
    jc->group = jac_calloc(a, n, sizeof *jc->group);
    jc->ypert = jac_calloc(a, n, sizeof *jc->ypert);
    jc->fpert = jac_calloc(a, n, sizeof *jc->fpert);
    jc->diff = jac_calloc(a, n, sizeof *jc->diff);
    jc->hstep = jac_calloc(a, n, sizeof *jc->hstep);
    jc->fsave = jac_calloc(a, n, sizeof *jc->fsave);
    if (jc->factor == NULL || jc->group == NULL || jc->ypert == NULL || jc->fpert == NULL ||
        jc->diff == NULL || jc->hstep == NULL || jc->fsave == NULL) {
        goto nomem;
    }
    for (j = 0; j < n; j++) {
        jc->factor[j] = sqrt(IVP_EPS); /* scipy's first call: factor = None */
    }
    if (jc->J.kind == IVP_MAT_DENSE) {
        jc->n_groups = n;
        for (j = 0; j < n; j++) {
            jc->group[j] = j;
        }
    } else if (jc->J.kind == IVP_MAT_BAND) {
        /* Columns kl+ku+1 apart share no row: the greedy grouping of a band. */
        size_t w = jc->J.kl + jc->J.ku + 1;
        jc->n_groups = w < n ? w : n;
        for (j = 0; j < n; j++) {
            jc->group[j] = j % jc->n_groups;
        }
    } else {
        mark = jac_calloc(a, n, sizeof *mark);
        if (mark == NULL) {
            goto nomem;
        }
        jc->n_groups = jac_group_sparse(&jc->J, jc->group, mark);
        ivp_free(a, mark);
        mark = NULL;
    }
    return IVP_OK;

nomem:
    st = ivp_error_set(err, IVP_ERR_NOMEM, "jacobian: out of memory (n = %zu)", n);
fail:
    ivp_free(a, mark);
    ivp_jac_free(jc);
    return st;
}

static void jac_zero(double *v, size_t count)
{
    if (v != NULL) {
        memset(v, 0, count * sizeof *v);
    }
}

void ivp_jac_reset(ivp_jac *jc)
{
    size_t n = jc->n, j;
    jac_zero(jc->J.v, jc->J.len);
    jac_zero(jc->ypert, n);
    jac_zero(jc->fpert, n);
    jac_zero(jc->hstep, n);
    jac_zero(jc->diff, n);
    jac_zero(jc->fsave, n);
    jac_zero(jc->rowmajor, jc->rowmajor != NULL ? n * n : 0);
    if (jc->vals != NULL) {
        memset(jc->vals, 0, jc->n_vals * sizeof *jc->vals);
    }
    if (jc->factor != NULL) {
        for (j = 0; j < n; j++) {
            jc->factor[j] = sqrt(IVP_EPS); /* as ivp_jac_init: scipy's factor = None */
        }
    }
}

void ivp_jac_free(ivp_jac *jc)
{
    const ivp_allocator *a;
    if (jc == NULL) {
        return;
    }
    a = jc->alloc;
    ivp_matrix_free(&jc->J, a);
    ivp_free(a, jc->factor);
    ivp_free(a, jc->group);
    ivp_free(a, jc->ypert);
    ivp_free(a, jc->fpert);
    ivp_free(a, jc->diff);
    ivp_free(a, jc->hstep);
    ivp_free(a, jc->fsave);
    ivp_free(a, jc->rowmajor);
    ivp_free(a, jc->vals);
    ivp_free(a, jc->vpos);
    memset(jc, 0, sizeof *jc);
    jc->alloc = a;
}

/* A recoverable failure of the plugin's Jacobian, remembered as ivp_rhs_eval remembers the
 * rhs's (the methods report the last one when they give up). */
static int jac_recoverable(ivp_stepper *s, double t, int code, size_t bad, const char *what)
{
    s->last_rhs_code = code;
    s->last_nonfinite = bad;
    s->last_fail_t = t;
    s->last_fail_what = what;
    return 1;
}

static int jac_eval_dense(ivp_jac *jc, ivp_stepper *s, double t, const double *y, ivp_error *err)
{
    const ivp_system *sys = s->sys;
    size_t n = jc->n, i, j;
    double *v = jc->J.v;
    const double *rm = jc->rowmajor;
    int rc = sys->jac(t, y, jc->rowmajor, sys->ctx);
    if (rc < 0) {
        return ivp_error_set(err, IVP_ERR_JAC, "jac returned %d (fatal) at t = %.17g", rc, t);
    }
    if (rc > 0) {
        return jac_recoverable(s, t, rc, 0, "jac");
    }
    /* Row-major J[i*n + j] to column-major v[i + j*n]. */
    for (j = 0; j < n; j++) {
        for (i = 0; i < n; i++) {
            double x = rm[i * n + j];
            if (!isfinite(x)) {
                return jac_recoverable(s, t, 0, i, "jac");
            }
            v[i + j * n] = x;
        }
    }
    return 0;
}

static int jac_eval_values(ivp_jac *jc, ivp_stepper *s, double t, const double *y, ivp_error *err)
{
    const ivp_system *sys = s->sys;
    size_t k, nnz = sys->sp_nnz;
    int rc = sys->jac_values(t, y, jc->vals, sys->ctx);
    if (rc < 0) {
        return ivp_error_set(err, IVP_ERR_JAC, "jac_values returned %d (fatal) at t = %.17g", rc,
                             t);
    }
    if (rc > 0) {
        return jac_recoverable(s, t, rc, 0, "jac_values");
    }
    memset(jc->J.v, 0, jc->J.len * sizeof *jc->J.v);
    for (k = 0; k < nnz; k++) {
        if (!isfinite(jc->vals[k])) {
            return jac_recoverable(s, t, 0, sys->sp_rows[k], "jac_values");
        }
        jc->J.v[jc->vpos[k]] += jc->vals[k]; /* duplicated pattern entries add up */
    }
    return 0;
}

/* One rhs call for the finite differences; counted in nfev only with count_fd. */
static int jac_rhs(ivp_jac *jc, ivp_stepper *s, double t, ivp_error *err)
{
    int rc = ivp_rhs_eval(s, t, jc->ypert, jc->fpert, err);
    if (!jc->count_fd) {
        s->nfev--;
    }
    return rc;
}

/* scipy's step direction and scale: sign(Re f_j) * max(threshold_j, |y_j|). */
static double jac_yscale(double yj, double fj, double thr)
{
    double m = fmax(thr, fabs(yj));
    return fj >= 0.0 ? m : -m;
}

/* Largest |fpert_i - f_i| over the rows of column c: 'md', and the scale
 * max(|f_r|, |fpert_r|) at its first row r. When every difference is zero r is row 0, as
 * numpy's argmax gives for the dense case and scipy.sparse's for the sparse one. When v is
 * not NULL the differences are stored there. */
static void jac_col_diff(const jac_col *c, const double *f, const double *fpert, double *v,
                         double *md, double *sc)
{
    size_t k, r = 0;
    double best = 0.0;
    for (k = c->p0; k < c->p1; k++) {
        size_t i = jac_col_row(c, k);
        double d = fpert[i] - f[i];
        if (v != NULL) {
            v[k] = d;
        }
        if (fabs(d) > best) {
            best = fabs(d);
            r = i;
        }
    }
    *md = best;
    *sc = fmax(fabs(f[r]), fabs(fpert[r]));
}

/* scipy's num_jac. The difference columns are kept in J.v until divided by h at the end;
 * 'diff' holds each column's largest difference (max_diff) and 'fsave' its scale. */
static int jac_eval_fd(ivp_jac *jc, ivp_stepper *s, double t, const double *y, const double *f,
                       const double *thr, ivp_error *err)
{
    size_t n = jc->n, g, j, k;
    double *factor = jc->factor, *h = jc->hstep, *md = jc->diff, *sc = jc->fsave;
    double *v = jc->J.v;
    int rc;

    /* (1) Increments, never zero. */
    for (j = 0; j < n; j++) {
        double ys = jac_yscale(y[j], f[j], thr[j]);
        double hj = (y[j] + factor[j] * ys) - y[j];
        while (hj == 0.0) {
            if (ys == 0.0) {
                return ivp_error_set(err, IVP_ERR_JAC,
                                     "finite-difference Jacobian at t = %.17g: y[%zu] = 0 and "
                                     "its absolute tolerance is 0, so no increment is possible "
                                     "(give atol > 0)",
                                     t, j);
            }
            factor[j] *= JAC_FACTOR_INCREASE;
            hj = (y[j] + factor[j] * ys) - y[j];
        }
        h[j] = hj;
    }
    memcpy(jc->ypert, y, n * sizeof *y);

    /* (2) One rhs call per group; each member's column of differences. */
    for (g = 0; g < jc->n_groups; g++) {
        for (j = jac_group_first(jc, g); j < n; j = jac_group_next(jc, g, j)) {
            jc->ypert[j] = y[j] + h[j];
        }
        rc = jac_rhs(jc, s, t, err);
        for (j = jac_group_first(jc, g); j < n; j = jac_group_next(jc, g, j)) {
            jc->ypert[j] = y[j];
        }
        if (rc != 0) {
            return rc;
        }
        for (j = jac_group_first(jc, g); j < n; j = jac_group_next(jc, g, j)) {
            jac_col c = jac_column(&jc->J, j);
            jac_col_diff(&c, f, jc->fpert, v, &md[j], &sc[j]);
        }
    }

    /* (3) Columns whose difference drowns in rounding (md < REJECT*sc) are tried again with
     * a ten times larger factor, all of a group's in one call; the new column replaces the old
     * one when its relative difference md/sc is larger. A column's test reads only its own
     * md and sc, which change only when that column is replaced. */
    for (g = 0; g < jc->n_groups; g++) {
        int any = 0;
        for (j = jac_group_first(jc, g); j < n; j = jac_group_next(jc, g, j)) {
            if (md[j] < JAC_DIFF_REJECT * sc[j]) {
                double ys = jac_yscale(y[j], f[j], thr[j]);
                double h_new = (y[j] + JAC_FACTOR_INCREASE * factor[j] * ys) - y[j];
                jc->ypert[j] = y[j] + h_new;
                any = 1;
            }
        }
        if (!any) {
            continue;
        }
        rc = jac_rhs(jc, s, t, err);
        for (j = jac_group_first(jc, g); j < n; j = jac_group_next(jc, g, j)) {
            jc->ypert[j] = y[j];
        }
        if (rc != 0) {
            return rc;
        }
        for (j = jac_group_first(jc, g); j < n; j = jac_group_next(jc, g, j)) {
            double md_new, sc_new;
            jac_col c;
            if (!(md[j] < JAC_DIFF_REJECT * sc[j])) {
                continue;
            }
            c = jac_column(&jc->J, j);
            jac_col_diff(&c, f, jc->fpert, NULL, &md_new, &sc_new);
            if (md[j] * sc_new < md_new * sc[j]) {
                double new_factor = JAC_FACTOR_INCREASE * factor[j];
                double ys = jac_yscale(y[j], f[j], thr[j]);
                jac_col_diff(&c, f, jc->fpert, v, &md_new, &sc_new);
                factor[j] = new_factor;
                h[j] = (y[j] + new_factor * ys) - y[j];
                md[j] = md_new;
                sc[j] = sc_new;
            }
        }
    }

    /* (4) J = diff / h; (5) the factor for the next call. */
    for (j = 0; j < n; j++) {
        jac_col c = jac_column(&jc->J, j);
        for (k = c.p0; k < c.p1; k++) {
            v[k] /= h[j];
        }
        if (md[j] < JAC_DIFF_SMALL * sc[j]) {
            factor[j] *= JAC_FACTOR_INCREASE;
        } else if (md[j] > JAC_DIFF_BIG * sc[j]) {
            factor[j] *= JAC_FACTOR_DECREASE;
        }
        if (factor[j] < JAC_MIN_FACTOR) {
            factor[j] = JAC_MIN_FACTOR;
        }
    }
    return 0;
}

int ivp_jac_eval(ivp_jac *jc, ivp_stepper *s, double t, const double *y, const double *f,
                 const double *threshold, ivp_error *err)
{
    switch (jc->source) {
    case IVP_JSRC_DENSE:
        return jac_eval_dense(jc, s, t, y, err);
    case IVP_JSRC_VALUES:
        return jac_eval_values(jc, s, t, y, err);
    case IVP_JSRC_FD:
        return jac_eval_fd(jc, s, t, y, f, threshold, err);
    }
    return ivp_error_set(err, IVP_ERR_INTERNAL, "jacobian: unknown source %d", (int)jc->source);
}
