/* SPDX-License-Identifier: MIT
 * core/src/model/codegen.c - C source of a plugin (contracts.md section 1) from a parsed model.
 *
 * What the file holds: the canonical model as a comment, the name tables (ivp_param_names,
 * ivp_event_names, ivp_state_names; an array's names are written at load time by a constructor,
 * so a model of 10^5 components stays small), ivp_dim, rhs, events, and the Jacobian: a dense
 * row-major jac for small or dense patterns, else jac_sparsity + jac_values. An array rule is
 * one loop over its components (overridden components skipped), so the file grows with the
 * model's text, not with its size; rules of different arrays over the same components (same
 * range, same overridden components inside it) are one loop (cg_groups): each rule reads only
 * y and writes only its own components, so fusing never changes a value.
 *
 * Jacobian terms: each rhs expression's derivative with respect to each state reference it
 * makes (u[i-1], u[i], x[j] in a sum, ...). When no two terms can fall on one entry
 * (cg_row_distinct: distinct columns, a constant reference like u[0] never equal to the rule's
 * u[i] inside the loop's range, no sums), each term is stored: jac_values writes the values in
 * the loops' order and jac_sparsity is the (row, col) list of the same loops. Otherwise (u[i]
 * and u[0] at i = 0, x[j] and x[i] at j = i) terms are accumulated: the dense jac adds into a
 * zeroed matrix; for the sparse form the same loops run once at ivp_init to record each term's
 * (row, col), which are sorted and merged into the pattern, and each term's slot in it;
 * jac_values then adds every term into its slot. A dense jac of at most 8 components without
 * loops is written whole (zeros too), without memset.
 *
 * Within one block (a loop body with all its rows, the block of scalar and override rows, one
 * event) subexpressions used twice are computed once into a temporary; what depends on neither
 * the rule index nor a sum index is computed before the rule's loop, and inside a sum's loop
 * everything that does not depend on the sum index before that loop. A block's values are all
 * computed before any is stored (the compiler must assume a store to dydt may change y or
 * ctx->p). Entry points are aligned to a cache line.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_impl.h"

typedef struct cg {
    const ivp_model *m;
    m_buf *b;
    int *uses;    /* per node */
    int *temp;    /* per node: temporary number, or -1 */
    int *visited; /* nodes whose uses were counted in this group */
    size_t n_visited;
    int *inner; /* temporaries made inside the current sum loop */
    size_t n_inner;
    int in_loop;
    int n_temps;
    int indent;
    int force_hoist; /* inside a loop: every loop-invariant operation gets a temporary */
    long *group;     /* per state: the first state of its fused rule loop, or -1 (cg_groups) */
    m_buf *pend;     /* stores waiting for the end of the block (cg_defer) */
    int n_e;         /* values e0, e1, ... made in the block */
    int fill;        /* dense jac of a small model of fixed rows: zeros written, no memset */
} cg;

#define CG_LEAF(op)                                                                                \
    ((op) == M_NUM || (op) == M_ELEM || (op) == M_PARAM || (op) == M_T || (op) == M_IDX)

static void cg_ind(cg *g)
{
    int k;
    for (k = 0; k < g->indent; k++) {
        m_buf_add(g->b, "    ");
    }
}

/* Counts uses of every node below root (each node's children once). */
static void cg_count(cg *g, int node, int weight)
{
    const mnode *n = &g->m->nodes[node];
    if (g->uses[node] == 0) {
        g->visited[g->n_visited++] = node;
    }
    g->uses[node] += weight;
    if (g->uses[node] > weight) {
        return;
    }
    if (n->a >= 0) {
        /* x^2 and x^3 are written as products: x is used that many times */
        int w = n->op == M_POW && g->m->nodes[n->b].op == M_NUM &&
                        (g->m->nodes[n->b].num == 2 || g->m->nodes[n->b].num == 3)
                    ? 2
                    : 1;
        cg_count(g, n->a, w);
    }
    if (n->b >= 0) {
        cg_count(g, n->b, 1);
    }
    if (n->c >= 0) {
        cg_count(g, n->c, 1);
    }
}

static void cg_reset(cg *g)
{
    size_t k;
    for (k = 0; k < g->n_visited; k++) {
        g->uses[g->visited[k]] = 0;
        g->temp[g->visited[k]] = -1;
    }
    g->n_visited = 0;
    g->n_temps = 0;
}

static void cg_index(cg *g, const char *var, long c)
{
    if (var == NULL) {
        m_buf_printf(g->b, "%ld", c);
    } else if (c == 0) {
        m_buf_add(g->b, var);
    } else {
        m_buf_printf(g->b, "%s %c %ld", var, c < 0 ? '-' : '+', c < 0 ? -c : c);
    }
}

static const char *cg_var(int var)
{
    return var == 0 ? "i" : var == 1 ? "j" : NULL;
}

static void cg_write(cg *g, int node);

static void cg_write_bin(cg *g, const mnode *n, const char *op)
{
    m_buf_add(g->b, "(");
    cg_write(g, n->a);
    m_buf_add(g->b, op);
    cg_write(g, n->b);
    m_buf_add(g->b, ")");
}

/* The C expression of node (temporaries for prepared nodes). */
static void cg_write(cg *g, int node)
{
    const ivp_model *m = g->m;
    const mnode *n = &m->nodes[node];
    static const char *const c_fn[F_COUNT] = {
        "exp",  "log",  "log10", "sqrt", "cbrt", "sin",   "cos",  "tan",  "asin", "acos",
        "atan", "sinh", "cosh",  "tanh", "fabs", "atan2", "fmin", "fmax", "hypot"};
    if (g->temp[node] >= 0) {
        m_buf_printf(g->b, "t%d", g->temp[node]);
        return;
    }
    switch (n->op) {
    case M_NUM:
        m_buf_num(g->b, n->num);
        return;
    case M_ELEM:
        m_buf_add(g->b, "y[");
        cg_index(g, cg_var(n->var), (long)m->st[n->arr].offset + n->off);
        m_buf_add(g->b, "]");
        return;
    case M_PARAM:
        m_buf_printf(g->b, "P[%d]", n->arr);
        return;
    case M_T:
        m_buf_add(g->b, "t");
        return;
    case M_IDX:
        m_buf_add(g->b, n->var == 0 ? "(double)i" : "(double)j");
        return;
    case M_NEG:
        m_buf_add(g->b, "(-");
        cg_write(g, n->a);
        m_buf_add(g->b, ")");
        return;
    case M_NOT:
        m_buf_add(g->b, "(!");
        cg_write(g, n->a);
        m_buf_add(g->b, ")");
        return;
    case M_ADD:
        cg_write_bin(g, n, " + ");
        return;
    case M_SUB:
        cg_write_bin(g, n, " - ");
        return;
    case M_MUL:
        cg_write_bin(g, n, " * ");
        return;
    case M_DIV:
        cg_write_bin(g, n, " / ");
        return;
    case M_LT:
        cg_write_bin(g, n, " < ");
        return;
    case M_LE:
        cg_write_bin(g, n, " <= ");
        return;
    case M_GT:
        cg_write_bin(g, n, " > ");
        return;
    case M_GE:
        cg_write_bin(g, n, " >= ");
        return;
    case M_EQ:
        cg_write_bin(g, n, " == ");
        return;
    case M_NE:
        cg_write_bin(g, n, " != ");
        return;
    case M_AND:
        cg_write_bin(g, n, " && ");
        return;
    case M_OR:
        cg_write_bin(g, n, " || ");
        return;
    case M_POW:
        if (m->nodes[n->b].op == M_NUM && (m->nodes[n->b].num == 2 || m->nodes[n->b].num == 3)) {
            m_buf_add(g->b, "(");
            cg_write(g, n->a);
            m_buf_add(g->b, " * ");
            cg_write(g, n->a);
            if (m->nodes[n->b].num == 3) {
                m_buf_add(g->b, " * ");
                cg_write(g, n->a);
            }
            m_buf_add(g->b, ")");
            return;
        }
        if (m->nodes[n->b].op == M_NUM && m->nodes[n->b].num == -1) {
            m_buf_add(g->b, "(1.0 / ");
            cg_write(g, n->a);
            m_buf_add(g->b, ")");
            return;
        }
        m_buf_add(g->b, "pow(");
        cg_write(g, n->a);
        m_buf_add(g->b, ", ");
        cg_write(g, n->b);
        m_buf_add(g->b, ")");
        return;
    case M_FN1:
        m_buf_printf(g->b, "%s(", c_fn[n->fn]);
        cg_write(g, n->a);
        m_buf_add(g->b, ")");
        return;
    case M_FN2:
        m_buf_printf(g->b, "%s(", c_fn[n->fn]);
        cg_write(g, n->a);
        m_buf_add(g->b, ", ");
        cg_write(g, n->b);
        m_buf_add(g->b, ")");
        return;
    case M_IF:
        m_buf_add(g->b, "(");
        cg_write(g, n->a);
        m_buf_add(g->b, " ? ");
        cg_write(g, n->b);
        m_buf_add(g->b, " : ");
        cg_write(g, n->c);
        m_buf_add(g->b, ")");
        return;
    default:
        m_buf_add(g->b, "0.0");
        return; /* SUM is always prepared; SYM never emitted */
    }
}

static void cg_prepare(cg *g, int node);

static void cg_temp(cg *g, int node)
{
    cg_ind(g);
    m_buf_printf(g->b, "const %s t%d = ", m_is_bool(g->m, node) ? "int" : "double", g->n_temps);
    cg_write(g, node);
    m_buf_add(g->b, ";\n");
    g->temp[node] = g->n_temps++;
    if (g->in_loop) {
        g->inner[g->n_inner++] = node;
    }
}

/* Before a loop over j: temporaries for everything in node that does not depend on j. */
static void cg_hoist(cg *g, int node)
{
    const mnode *n = &g->m->nodes[node];
    if (CG_LEAF(n->op) || g->temp[node] >= 0) {
        return;
    }
    if ((n->flags & MF_J) == 0) {
        g->force_hoist = 1;
        cg_prepare(g, node);
        g->force_hoist = 0;
        if (g->temp[node] < 0) {
            cg_temp(g, node);
        }
        return;
    }
    if (n->a >= 0) {
        cg_hoist(g, n->a);
    }
    if (n->b >= 0) {
        cg_hoist(g, n->b);
    }
    if (n->c >= 0) {
        cg_hoist(g, n->c);
    }
}

/* Before a rule's loop over i: a temporary for every largest subexpression of node that
 * depends on neither i nor j (parameters, constants, t, constant-index states, sums over fixed
 * bounds), so that it is computed once per call: the compiler cannot hoist what reads through
 * y or ctx->p itself, since a store to dydt might change them as far as it knows. */
static void cg_rule_hoist(cg *g, int node)
{
    const mnode *n = &g->m->nodes[node];
    if (CG_LEAF(n->op) || g->temp[node] >= 0 || (n->op == M_NEG && CG_LEAF(g->m->nodes[n->a].op))) {
        return;
    }
    if ((n->flags & (MF_I | MF_J)) == 0) {
        cg_prepare(g, node);
        if (g->temp[node] < 0) {
            cg_temp(g, node);
        }
        return;
    }
    if (n->op == M_SUM) {
        return;
    }
    if (n->a >= 0) {
        cg_rule_hoist(g, n->a);
    }
    if (n->b >= 0) {
        cg_rule_hoist(g, n->b);
    }
    if (n->c >= 0) {
        cg_rule_hoist(g, n->c);
    }
}

static void cg_end_loop(cg *g)
{
    size_t k;
    for (k = 0; k < g->n_inner; k++) {
        g->temp[g->inner[k]] = -1;
    }
    g->n_inner = 0;
    g->in_loop = 0;
}

static void cg_sum_head(cg *g, const mnode *s)
{
    cg_ind(g);
    m_buf_add(g->b, "for (long j = ");
    cg_index(g, cg_var(s->lov), s->lo);
    m_buf_add(g->b, "; j <= ");
    cg_index(g, cg_var(s->hiv), s->hi);
    m_buf_add(g->b, "; j++) {\n");
}

/* Makes the temporaries node needs (and node's own, if it is used more than once). */
static void cg_prepare(cg *g, int node)
{
    const mnode *n = &g->m->nodes[node];
    if (CG_LEAF(n->op) || g->temp[node] >= 0) {
        return;
    }
    if (n->op == M_SUM) {
        int t;
        cg_hoist(g, n->a);
        t = g->n_temps++;
        cg_ind(g);
        m_buf_printf(g->b, "double t%d = 0.0;\n", t);
        cg_sum_head(g, n);
        g->indent++;
        g->in_loop = 1;
        cg_prepare(g, n->a);
        cg_ind(g);
        m_buf_printf(g->b, "t%d += ", t);
        cg_write(g, n->a);
        m_buf_add(g->b, ";\n");
        cg_end_loop(g);
        g->indent--;
        cg_ind(g);
        m_buf_add(g->b, "}\n");
        g->temp[node] = t;
        return;
    }
    if (n->a >= 0) {
        cg_prepare(g, n->a);
    }
    if (n->b >= 0) {
        cg_prepare(g, n->b);
    }
    if (n->c >= 0) {
        cg_prepare(g, n->c);
    }
    if (g->uses[node] >= 2 || (g->force_hoist && g->in_loop == 0)) {
        if (!(n->op == M_NEG && CG_LEAF(g->m->nodes[n->a].op))) {
            cg_temp(g, node);
        }
    }
}

/* ---------------------------------------------------------------- rows */

/* How a Jacobian term is stored: into the dense matrix, into the value array (added at the
 * term's slot, or stored in order when every term has an entry of its own: CG_STORE), or its
 * (row, col) recorded. */
enum { CG_DENSE, CG_VALUES, CG_STORE, CG_PATTERN };

/* A stored value: "const double eK = value;" now, "dest = eK;" (dest: the text so far in
 * g->pend's last line) once the block's values are all computed (cg_flush). Every read of y and
 * P thus comes before the stores, which the compiler must otherwise assume may change them. */
static void cg_defer(cg *g, int node, int factor)
{
    cg_ind(g);
    m_buf_printf(g->b, "const double e%d = ", g->n_e);
    if (factor >= 0) {
        cg_write(g, factor);
        m_buf_add(g->b, " * ");
    }
    cg_write(g, node);
    m_buf_add(g->b, ";\n");
    m_buf_printf(g->pend, "e%d;\n", g->n_e++);
}

static void cg_flush(cg *g)
{
    if (g->pend->len > 0) {
        m_buf_printf(g->b, "%.*s", (int)g->pend->len, g->pend->p);
    }
    g->pend->len = 0;
    g->n_e = 0;
}

static void cg_pend_ind(cg *g)
{
    int k;
    for (k = 0; k < g->indent; k++) {
        m_buf_add(g->pend, "    ");
    }
}

static void cg_term(cg *g, int mode, int add, const char *row, const char *col_var, long col_c,
                    int d, int factor)
{
    if (mode == CG_PATTERN) {
        cg_ind(g);
        m_buf_printf(g->b, "if (r != NULL) { r[q] = (size_t)(%s); c[q] = (size_t)(", row);
        cg_index(g, col_var, col_c);
        m_buf_add(g->b, "); }\n");
        cg_ind(g);
        m_buf_add(g->b, "q++;\n");
        return;
    }
    if ((mode == CG_DENSE && !add) || mode == CG_STORE) {
        cg_pend_ind(g);
        if (mode == CG_STORE) {
            m_buf_add(g->pend, "v[q++] = ");
        } else {
            m_buf_printf(g->pend, "J[(%s) * IVP_M_N + (", row);
            if (col_var == NULL) {
                m_buf_printf(g->pend, "%ld", col_c);
            } else if (col_c == 0) {
                m_buf_add(g->pend, col_var);
            } else {
                m_buf_printf(g->pend, "%s %c %ld", col_var, col_c < 0 ? '-' : '+',
                             col_c < 0 ? -col_c : col_c);
            }
            m_buf_add(g->pend, ")] = ");
        }
        cg_defer(g, d, factor);
        return;
    }
    cg_ind(g);
    if (mode == CG_DENSE) {
        m_buf_printf(g->b, "J[(%s) * IVP_M_N + (", row);
        cg_index(g, col_var, col_c);
        m_buf_add(g->b, ")] += ");
    } else {
        m_buf_add(g->b, "v[s[q++]] += ");
    }
    if (factor >= 0) {
        cg_write(g, factor);
        m_buf_add(g->b, " * ");
    }
    cg_write(g, d);
    m_buf_add(g->b, ";\n");
}

/* The column of a reference: its variable's value plus the returned constant. */
static long cg_col(const ivp_model *m, const m_class *c)
{
    return (long)m->st[c->arr].offset + c->off;
}

/* 1 when no two terms of row r can fall on one Jacobian entry (then each term is stored, not
 * added), 0 otherwise: two references to the same column, a constant reference (u[0]) that the
 * rule's own reference (u[i]) meets at a component the loop runs over, or a sum. rule: the
 * state whose rule r is, NULL for a scalar or override row. */
static int cg_row_distinct(const ivp_model *m, const m_jrow *r, const m_state *rule)
{
    size_t k, q;
    for (k = 0; k < r->n_sums; k++) {
        if (r->g[k] != 0) {
            for (q = 0; q < r->n_jcls[k]; q++) {
                if (r->jd[k][q] != 0) {
                    return 0;
                }
            }
        }
    }
    for (k = 0; k < r->n_cls; k++) {
        const m_class *a = &r->cls[k];
        if (r->d[k] == 0) {
            continue;
        }
        if (a->var != -1 && !(a->var == 0 && rule != NULL)) {
            return 0;
        }
        for (q = 0; q < k; q++) {
            const m_class *b = &r->cls[q];
            if (r->d[q] == 0) {
                continue;
            }
            if (a->var == b->var) {
                if (cg_col(m, a) == cg_col(m, b)) {
                    return 0;
                }
            } else {
                /* one constant (column c1), one rule reference (column c0 + i): equal at i */
                long i = a->var == -1 ? cg_col(m, a) - cg_col(m, b) : cg_col(m, b) - cg_col(m, a);
                if (i >= rule->imin && i <= rule->imax && rule->over[i] < 0) {
                    return 0;
                }
            }
        }
    }
    return 1;
}

/* Counts the uses of the nodes of row r's terms. */
static void cg_jac_count(cg *g, const m_jrow *r)
{
    size_t k, q;
    for (k = 0; k < r->n_cls; k++) {
        if (r->d[k] != 0) {
            cg_count(g, r->d[k], 1);
        }
    }
    for (k = 0; k < r->n_sums; k++) {
        if (r->g[k] != 0) {
            cg_count(g, r->g[k], 1);
            for (q = 0; q < r->n_jcls[k]; q++) {
                if (r->jd[k][q] != 0) {
                    cg_count(g, r->jd[k][q], 1);
                }
            }
        }
    }
}

/* Temporaries before a rule's loop for the invariant parts of row r's terms. */
static void cg_jac_hoist(cg *g, const m_jrow *r)
{
    size_t k, q;
    for (k = 0; k < r->n_cls; k++) {
        if (r->d[k] != 0) {
            cg_rule_hoist(g, r->d[k]);
        }
    }
    for (k = 0; k < r->n_sums; k++) {
        if (r->g[k] != 0) {
            cg_rule_hoist(g, r->g[k]);
            for (q = 0; q < r->n_jcls[k]; q++) {
                if (r->jd[k][q] != 0) {
                    cg_rule_hoist(g, r->jd[k][q]);
                }
            }
        }
    }
}

/* The Jacobian terms of one row (row: its C index expression), after cg_jac_count of every
 * row of the block; the caller resets. References are taken constant columns first, then by
 * column (row-major order within a loop's row). add: terms are added (else stored). */
static void cg_jac_row(cg *g, const m_jrow *r, const char *row, int mode, int add)
{
    const ivp_model *m = g->m;
    size_t k, q, *ord;
    ord = malloc((r->n_cls + 1) * sizeof *ord);
    if (ord == NULL) {
        g->b->failed = 1;
        return;
    }
    for (k = 0; k < r->n_cls; k++) {
        const m_class *c = &r->cls[k];
        for (q = k; q > 0; q--) {
            const m_class *p = &r->cls[ord[q - 1]];
            if (p->var < c->var || (p->var == c->var && cg_col(m, p) <= cg_col(m, c))) {
                break;
            }
            ord[q] = ord[q - 1];
        }
        ord[q] = k;
    }
    if (mode != CG_PATTERN) {
        for (k = 0; k < r->n_cls; k++) {
            if (r->d[ord[k]] != 0) {
                cg_prepare(g, r->d[ord[k]]);
            }
        }
    }
    if (g->fill) {
        /* every entry of the row in order, zeros too (all references constant, distinct) */
        long col;
        for (k = 0, col = 0; col < (long)m->n; col++) {
            while (k < r->n_cls && (r->d[ord[k]] == 0 || cg_col(m, &r->cls[ord[k]]) < col)) {
                k++;
            }
            if (k < r->n_cls && cg_col(m, &r->cls[ord[k]]) == col) {
                cg_term(g, mode, 0, row, NULL, col, r->d[ord[k]], -1);
            } else {
                cg_pend_ind(g);
                m_buf_printf(g->pend, "J[(%s) * IVP_M_N + (%ld)] = 0.0;\n", row, col);
            }
        }
        free(ord);
        return;
    }
    for (k = 0; k < r->n_cls; k++) {
        if (r->d[ord[k]] != 0) {
            const m_class *c = &r->cls[ord[k]];
            cg_term(g, mode, add, row, cg_var(c->var), cg_col(m, c), r->d[ord[k]], -1);
        }
    }
    free(ord);
    for (k = 0; k < r->n_sums; k++) {
        const mnode *s = &m->nodes[r->sum[k]];
        int any = 0;
        if (r->g[k] == 0) {
            continue;
        }
        for (q = 0; q < r->n_jcls[k]; q++) {
            any |= r->jd[k][q] != 0;
        }
        if (!any) {
            continue;
        }
        if (mode != CG_PATTERN) {
            cg_prepare(g, r->g[k]);
            for (q = 0; q < r->n_jcls[k]; q++) {
                if (r->jd[k][q] != 0) {
                    cg_hoist(g, r->jd[k][q]);
                }
            }
        }
        cg_sum_head(g, s);
        g->indent++;
        g->in_loop = 1;
        for (q = 0; q < r->n_jcls[k]; q++) {
            if (r->jd[k][q] != 0) {
                const m_class *c = &r->jcls[k][q];
                if (mode != CG_PATTERN) {
                    cg_prepare(g, r->jd[k][q]);
                }
                cg_term(g, mode, 1, row, "j", cg_col(m, c), r->jd[k][q],
                        r->g[k] == 1 ? -1 : r->g[k]);
            }
        }
        cg_end_loop(g);
        g->indent--;
        cg_ind(g);
        m_buf_add(g->b, "}\n");
    }
}

static void cg_rhs_row(cg *g, int expr, const char *out, const char *row)
{
    cg_count(g, expr, 1);
    cg_prepare(g, expr);
    cg_ind(g);
    m_buf_printf(g->b, "%s[%s] = ", out, row);
    cg_write(g, expr);
    m_buf_add(g->b, ";\n");
    cg_reset(g);
}

/* The loop header over a rule's components (skipping overridden ones). */
static void cg_rule_open(cg *g, const m_state *st)
{
    long q;
    int first = 1;
    cg_ind(g);
    m_buf_printf(g->b, "for (long i = %ld; i <= %ld; i++) {\n", st->imin, st->imax);
    g->indent++;
    for (q = st->imin; q <= st->imax; q++) {
        if (st->over[q] >= 0) {
            if (first) {
                cg_ind(g);
                m_buf_add(g->b, "if (");
            }
            m_buf_printf(g->b, "%si == %ld", first ? "" : " || ", q);
            first = 0;
        }
    }
    if (!first) {
        m_buf_add(g->b, ") {\n");
        g->indent++;
        cg_ind(g);
        m_buf_add(g->b, "continue;\n");
        g->indent--;
        cg_ind(g);
        m_buf_add(g->b, "}\n");
    }
}

static void cg_rule_close(cg *g)
{
    g->indent--;
    cg_ind(g);
    m_buf_add(g->b, "}\n");
}

static void cg_row_name(char *buf, size_t size, const m_state *st, long q, int rule)
{
    if (rule && st->offset == 0) {
        snprintf(buf, size, "i");
    } else if (rule) {
        snprintf(buf, size, "i + %zu", st->offset);
    } else {
        snprintf(buf, size, "%zu", st->offset + (size_t)q);
    }
}

/* The row of component q of state k (scalar, override) for the Jacobian. */
static const m_jrow *cg_fixed_jrow(const ivp_model *m, size_t k, long q)
{
    return m->st[k].scalar ? &m->scalar_jac[k] : &m->over_jac[k][q];
}

static int cg_has_fixed(const ivp_model *m)
{
    size_t k;
    long q;
    for (k = 0; k < m->n_st; k++) {
        for (q = 0; q < m->st[k].size; q++) {
            if (m->st[k].over[q] >= 0) {
                return 1;
            }
        }
    }
    return 0;
}

/* The rhs: every scalar and override row in one block, then one loop per group of rules (rules
 * of equal range are fused: each writes only its own components and reads only y, so any
 * order is right); subexpressions shared by the rows of a block or loop are computed once. */
static void cg_rhs(cg *g)
{
    const ivp_model *m = g->m;
    char row[64];
    size_t k, h;
    long q;
    if (cg_has_fixed(m)) {
        m_buf_add(g->b, "    {\n");
        g->indent = 2;
        for (k = 0; k < m->n_st; k++) {
            for (q = 0; q < m->st[k].size; q++) {
                if (m->st[k].over[q] >= 0) {
                    cg_count(g, m->st[k].over[q], 1);
                }
            }
        }
        for (k = 0; k < m->n_st; k++) {
            for (q = 0; q < m->st[k].size; q++) {
                if (m->st[k].over[q] >= 0) {
                    cg_prepare(g, m->st[k].over[q]);
                }
            }
        }
        for (k = 0; k < m->n_st; k++) {
            for (q = 0; q < m->st[k].size; q++) {
                if (m->st[k].over[q] >= 0) {
                    cg_row_name(row, sizeof row, &m->st[k], q, 0);
                    cg_pend_ind(g);
                    m_buf_printf(g->pend, "dydt[%s] = ", row);
                    cg_defer(g, m->st[k].over[q], -1);
                }
            }
        }
        cg_flush(g);
        cg_reset(g);
        m_buf_add(g->b, "    }\n");
    }
    for (k = 0; k < m->n_st; k++) {
        if (g->group[k] != (long)k) {
            continue;
        }
        m_buf_add(g->b, "    {\n");
        g->indent = 2;
        for (h = k; h < m->n_st; h++) {
            if (g->group[h] == (long)k) {
                cg_count(g, m->st[h].rule, 1);
            }
        }
        for (h = k; h < m->n_st; h++) {
            if (g->group[h] == (long)k) {
                cg_rule_hoist(g, m->st[h].rule);
            }
        }
        cg_rule_open(g, &m->st[k]);
        for (h = k; h < m->n_st; h++) {
            if (g->group[h] == (long)k) {
                cg_prepare(g, m->st[h].rule);
            }
        }
        for (h = k; h < m->n_st; h++) {
            if (g->group[h] == (long)k) {
                cg_row_name(row, sizeof row, &m->st[h], 0, 1);
                cg_pend_ind(g);
                m_buf_printf(g->pend, "dydt[%s] = ", row);
                cg_defer(g, m->st[h].rule, -1);
            }
        }
        cg_flush(g);
        cg_reset(g);
        cg_rule_close(g);
        m_buf_add(g->b, "    }\n");
    }
}

/* The Jacobian in the rhs's layout: one block for the scalar and override rows, one loop per
 * group of fused rules. Terms are stored (not added) in rows where no two can meet (dense), or
 * everywhere when every row is so (CG_STORE). */
static void cg_jac(cg *g, int mode)
{
    const ivp_model *m = g->m;
    char row[64];
    size_t k, h;
    long q;
    if (cg_has_fixed(m)) {
        m_buf_add(g->b, "    {\n");
        g->indent = 2;
        for (k = 0; k < m->n_st; k++) {
            for (q = 0; q < m->st[k].size; q++) {
                if (m->st[k].over[q] >= 0 && mode != CG_PATTERN) {
                    cg_jac_count(g, cg_fixed_jrow(m, k, q));
                }
            }
        }
        for (k = 0; k < m->n_st; k++) {
            for (q = 0; q < m->st[k].size; q++) {
                if (m->st[k].over[q] >= 0) {
                    const m_jrow *r = cg_fixed_jrow(m, k, q);
                    cg_row_name(row, sizeof row, &m->st[k], q, 0);
                    cg_jac_row(g, r, row, mode, !cg_row_distinct(m, r, NULL));
                }
            }
        }
        cg_flush(g);
        cg_reset(g);
        m_buf_add(g->b, "    }\n");
    }
    for (k = 0; k < m->n_st; k++) {
        if (g->group[k] != (long)k) {
            continue;
        }
        m_buf_add(g->b, "    {\n");
        g->indent = 2;
        for (h = k; h < m->n_st; h++) {
            if (g->group[h] == (long)k && mode != CG_PATTERN) {
                cg_jac_count(g, &m->rule_jac[h]);
            }
        }
        for (h = k; h < m->n_st; h++) {
            if (g->group[h] == (long)k && mode != CG_PATTERN) {
                cg_jac_hoist(g, &m->rule_jac[h]);
            }
        }
        cg_rule_open(g, &m->st[k]);
        for (h = k; h < m->n_st; h++) {
            if (g->group[h] == (long)k) {
                cg_row_name(row, sizeof row, &m->st[h], 0, 1);
                cg_jac_row(g, &m->rule_jac[h], row, mode,
                           !cg_row_distinct(m, &m->rule_jac[h], &m->st[h]));
            }
        }
        cg_flush(g);
        cg_reset(g);
        cg_rule_close(g);
        m_buf_add(g->b, "    }\n");
    }
}

/* 1 when no two Jacobian terms anywhere fall on one entry (each row is cg_row_distinct; rows
 * never share entries). */
static int cg_all_distinct(const ivp_model *m)
{
    size_t k;
    long q;
    for (k = 0; k < m->n_st; k++) {
        for (q = 0; q < m->st[k].size; q++) {
            if (m->st[k].over[q] >= 0 && !cg_row_distinct(m, cg_fixed_jrow(m, k, q), NULL)) {
                return 0;
            }
        }
        if (m->st[k].rule >= 0 && m->st[k].imin <= m->st[k].imax &&
            !cg_row_distinct(m, &m->rule_jac[k], &m->st[k])) {
            return 0;
        }
    }
    return 1;
}

/* Groups the array rules into fused loops: group[k] = the first state whose rule covers the
 * same components as k's (same range, same overridden components inside it), -1 when k has no
 * rule or it covers nothing. Returns 0, or -1 when out of memory. */
static int cg_groups(cg *g)
{
    const ivp_model *m = g->m;
    size_t k, h, n_ov = 0, *first = calloc(m->n_st + 1, sizeof *first);
    long q, *ov;
    size_t *cnt = calloc(m->n_st + 1, sizeof *cnt);
    if (first == NULL || cnt == NULL) {
        free(first);
        free(cnt);
        return -1;
    }
    /* the overridden components inside each rule's range, one list after another */
    for (k = 0; k < m->n_st; k++) {
        const m_state *st = &m->st[k];
        if (st->rule >= 0) {
            for (q = st->imin; q <= st->imax; q++) {
                n_ov += st->over[q] >= 0;
            }
        }
    }
    ov = malloc((n_ov + 1) * sizeof *ov);
    if (ov == NULL) {
        free(first);
        free(cnt);
        return -1;
    }
    n_ov = 0;
    for (k = 0; k < m->n_st; k++) {
        const m_state *st = &m->st[k];
        first[k] = n_ov;
        if (st->rule >= 0) {
            for (q = st->imin; q <= st->imax; q++) {
                if (st->over[q] >= 0) {
                    ov[n_ov++] = q;
                }
            }
        }
        cnt[k] = n_ov - first[k];
    }
    for (k = 0; k < m->n_st; k++) {
        const m_state *a = &m->st[k];
        g->group[k] = -1;
        if (a->rule < 0 || a->imin > a->imax) {
            continue;
        }
        g->group[k] = (long)k;
        for (h = 0; h < k; h++) {
            const m_state *b = &m->st[h];
            if (g->group[h] == (long)h && b->imin == a->imin && b->imax == a->imax &&
                cnt[h] == cnt[k] &&
                (cnt[k] == 0 || memcmp(ov + first[h], ov + first[k], cnt[k] * sizeof *ov) == 0)) {
                g->group[k] = (long)h;
                break;
            }
        }
    }
    free(first);
    free(cnt);
    free(ov);
    return 0;
}

static void cg_names(cg *g)
{
    const ivp_model *m = g->m;
    m_buf *b = g->b;
    size_t k, chars = 0, arrays = 0;
    m_buf_add(b, "const char *const ivp_param_names[] = {");
    for (k = 0; k < m->n_params; k++) {
        m_buf_printf(b, "\"%s\", ", m->params[k]);
    }
    m_buf_add(b, "NULL};\n");
    if (m->n_events > 0) {
        m_buf_add(b, "const char *const ivp_event_names[] = {");
        for (k = 0; k < m->n_events; k++) {
            m_buf_printf(b, "\"%s\", ", m->events[k]);
        }
        m_buf_add(b, "NULL};\n");
    }
    /* state names: written at load time (dlopen runs the constructor before ivp reads them) */
    for (k = 0; k < m->n_st; k++) {
        if (!m->st[k].scalar) {
            char digits[32];
            arrays++;
            chars += (size_t)m->st[k].size *
                     (strlen(m->st[k].name) + 3 +
                      (size_t)snprintf(digits, sizeof digits, "%ld", m->st[k].size));
        }
    }
    m_buf_printf(b, "const char *ivp_state_names[IVP_M_N + 1];\n");
    if (arrays > 0) {
        m_buf_printf(b, "static char ivp_m_names[%zu];\n", chars + 1);
    }
    m_buf_add(b, "__attribute__((constructor)) static void ivp_m_state_names(void)\n{\n");
    if (arrays > 0) {
        m_buf_add(b, "    char *w = ivp_m_names;\n");
    }
    for (k = 0; k < m->n_st; k++) {
        const m_state *st = &m->st[k];
        if (st->scalar) {
            m_buf_printf(b, "    ivp_state_names[%zu] = \"%s\";\n", st->offset, st->name);
        } else {
            m_buf_printf(b,
                         "    for (long i = 0; i < %ld; i++) {\n"
                         "        ivp_state_names[%zu + i] = w;\n"
                         "        w += sprintf(w, \"%s[%%ld]\", i) + 1;\n"
                         "    }\n",
                         st->size, st->offset, st->name);
        }
    }
    m_buf_add(b, "}\n\n");
}

char *ivp_model_emit_c(const ivp_model *m, size_t *len)
{
    m_buf b = {NULL, 0, 0, 0}, pend = {NULL, 0, 0, 0};
    cg g;
    size_t k, nn = (size_t)m->n_nodes;
    const char *c = m->canonical;
    memset(&g, 0, sizeof g);
    g.m = m;
    g.b = &b;
    g.pend = &pend;
    g.uses = calloc(nn, sizeof *g.uses);
    g.temp = malloc(nn * sizeof *g.temp);
    g.visited = malloc(nn * sizeof *g.visited);
    g.inner = malloc(nn * sizeof *g.inner);
    g.group = malloc((m->n_st + 1) * sizeof *g.group);
    if (g.uses == NULL || g.temp == NULL || g.visited == NULL || g.inner == NULL ||
        g.group == NULL || cg_groups(&g) != 0) {
        b.failed = 1;
        goto done;
    }
    memset(g.temp, 0xff, nn * sizeof *g.temp);

    m_buf_add(&b, "/* Generated by ivp from an expression model (contracts.md section 6).\n"
                  " * The model, canonical (this text keys the plugin cache):\n");
    /* the canonical text holds names, numbers and operators only: never a comment end */
    while (*c != '\0') {
        size_t n = strlen(c) < 96 ? strlen(c) : 96;
        m_buf_add(&b, " *   ");
        m_buf_printf(&b, "%.*s", (int)n, c);
        m_buf_add(&b, "\n");
        c += n;
    }
    m_buf_add(&b, " */\n#include \"ivp_plugin.h\"\n\n#include <math.h>\n#include <stdio.h>\n"
                  "#include <stdlib.h>\n#include <string.h>\n\n");
    m_buf_printf(&b, "#define IVP_M_N %zuL\n\nIVP_PLUGIN_ABI;\nconst size_t ivp_dim = %zu;\n", m->n,
                 m->n);
    /* the entry points start a cache line: how the code falls across line boundaries otherwise
     * varies with what precedes it (a few tenths of a ns per call for a 2-state rhs) */
    m_buf_add(&b, "#define IVP_M_HOT __attribute__((aligned(64)))\n");
    cg_names(&g);

    m_buf_add(&b, "IVP_M_HOT int rhs(double t, const double *y, double *dydt, const ivp_ctx *ctx)\n"
                  "{\n"
                  "    const double *P = ctx->p;\n    (void)t;\n    (void)P;\n");
    cg_rhs(&g);
    m_buf_add(&b, "    return 0;\n}\n\n");

    if (m->n_events > 0) {
        m_buf_add(&b, "IVP_M_HOT int events(double t, const double *y, double *g, "
                      "const ivp_ctx *ctx)\n{\n"
                      "    const double *P = ctx->p;\n    (void)t;\n    (void)y;\n    (void)P;\n");
        for (k = 0; k < m->n_events; k++) {
            char row[32];
            snprintf(row, sizeof row, "%zu", k);
            m_buf_add(&b, "    {\n");
            g.indent = 2;
            cg_rhs_row(&g, m->event_expr[k], "g", row);
            m_buf_add(&b, "    }\n");
        }
        m_buf_add(&b, "    return 0;\n}\n\n");
    }

    if (!m->sparse) {
        g.fill = m->n <= 8 && cg_all_distinct(m);
        for (k = 0; k < m->n_st; k++) {
            g.fill &= g.group[k] < 0;
        }
        m_buf_add(&b, "IVP_M_HOT int jac(double t, const double *y, double *J, "
                      "const ivp_ctx *ctx)\n{\n"
                      "    const double *P = ctx->p;\n    (void)t;\n    (void)y;\n    (void)P;\n");
        if (!g.fill) {
            m_buf_add(&b,
                      "    memset(J, 0, sizeof(double) * (size_t)IVP_M_N * (size_t)IVP_M_N);\n");
        }
        cg_jac(&g, CG_DENSE);
        g.fill = 0;
        m_buf_add(&b, "    return 0;\n}\n");
    } else {
        m_buf_add(&b, "/* The Jacobian's terms in order: (row, col) into r, c when given; their "
                      "count. */\nstatic long ivp_m_terms(size_t *r, size_t *c)\n{\n"
                      "    long q = 0;\n");
        cg_jac(&g, CG_PATTERN);
        m_buf_add(&b, "    return q;\n}\n\n");
    }
    if (m->sparse && cg_all_distinct(m)) {
        /* every term has an entry of its own: the terms' order is the pattern's */
        m_buf_add(&b, "long jac_sparsity(const ivp_ctx *ctx, size_t *rows, size_t *cols)\n{\n"
                      "    (void)ctx;\n    return ivp_m_terms(rows, cols);\n}\n\n"
                      "IVP_M_HOT int jac_values(double t, const double *y, double *v, "
                      "const ivp_ctx *ctx)\n"
                      "{\n    const double *P = ctx->p;\n    long q = 0;\n"
                      "    (void)t;\n    (void)y;\n    (void)P;\n");
        cg_jac(&g, CG_STORE);
        m_buf_add(&b, "    (void)q;\n    return 0;\n}\n");
    } else if (m->sparse) {
        m_buf_add(
            &b,
            "typedef struct ivp_m_entry {\n    size_t r, c, k;\n} ivp_m_entry;\n\n"
            "static int ivp_m_cmp(const void *x, const void *y)\n{\n"
            "    const ivp_m_entry *a = x, *b = y;\n"
            "    if (a->r != b->r) {\n        return a->r < b->r ? -1 : 1;\n    }\n"
            "    if (a->c != b->c) {\n        return a->c < b->c ? -1 : 1;\n    }\n"
            "    return a->k < b->k ? -1 : a->k > b->k;\n}\n\n"
            "/* The pattern (sorted, merged): its entries into rows/cols when given, each term's "
            "slot into\n * slot when given; the number of entries, or -1 when out of memory. */\n"
            "static long ivp_m_pattern(size_t *rows, size_t *cols, size_t *slot)\n{\n"
            "    long nt = ivp_m_terms(NULL, NULL), k, nnz = 0;\n"
            "    size_t *r = malloc(sizeof *r * (size_t)(nt + 1));\n"
            "    size_t *c = malloc(sizeof *c * (size_t)(nt + 1));\n"
            "    ivp_m_entry *e = malloc(sizeof *e * (size_t)(nt + 1));\n"
            "    if (r == NULL || c == NULL || e == NULL) {\n"
            "        free(r);\n        free(c);\n        free(e);\n        return -1;\n    }\n"
            "    ivp_m_terms(r, c);\n"
            "    for (k = 0; k < nt; k++) {\n"
            "        e[k].r = r[k];\n        e[k].c = c[k];\n        e[k].k = (size_t)k;\n    }\n"
            "    qsort(e, (size_t)nt, sizeof *e, ivp_m_cmp);\n"
            "    for (k = 0; k < nt; k++) {\n"
            "        if (k == 0 || e[k].r != e[k - 1].r || e[k].c != e[k - 1].c) {\n"
            "            if (rows != NULL) {\n"
            "                rows[nnz] = e[k].r;\n                cols[nnz] = e[k].c;\n"
            "            }\n            nnz++;\n        }\n"
            "        if (slot != NULL) {\n            slot[e[k].k] = (size_t)(nnz - 1);\n"
            "        }\n    }\n"
            "    free(r);\n    free(c);\n    free(e);\n    return nnz;\n}\n\n"
            "typedef struct ivp_m_data {\n    long nnz;\n    size_t *slot;\n} ivp_m_data;\n\n"
            "long jac_sparsity(const ivp_ctx *ctx, size_t *rows, size_t *cols)\n{\n"
            "    (void)ctx;\n    return ivp_m_pattern(rows, cols, NULL);\n}\n\n"
            "int ivp_init(ivp_ctx *ctx)\n{\n"
            "    ivp_m_data *d = malloc(sizeof *d);\n"
            "    if (d == NULL) {\n        return -1;\n    }\n"
            "    d->slot = malloc(sizeof *d->slot * (size_t)(ivp_m_terms(NULL, NULL) + 1));\n"
            "    d->nnz = d->slot != NULL ? ivp_m_pattern(NULL, NULL, d->slot) : -1;\n"
            "    if (d->nnz < 0) {\n        free(d->slot);\n        free(d);\n"
            "        return -1;\n    }\n"
            "    ctx->data = d;\n    return 0;\n}\n\n"
            "void ivp_fini(ivp_ctx *ctx)\n{\n    ivp_m_data *d = ctx->data;\n"
            "    if (d != NULL) {\n        free(d->slot);\n        free(d);\n    }\n}\n\n");
        m_buf_add(&b, "IVP_M_HOT int jac_values(double t, const double *y, double *v, "
                      "const ivp_ctx *ctx)\n"
                      "{\n    const double *P = ctx->p;\n"
                      "    const ivp_m_data *d = ctx->data;\n"
                      "    const size_t *s = d->slot;\n    long q = 0;\n"
                      "    (void)t;\n    (void)y;\n    (void)P;\n"
                      "    memset(v, 0, sizeof(double) * (size_t)d->nnz);\n");
        cg_jac(&g, CG_VALUES);
        m_buf_add(&b, "    (void)q;\n    return 0;\n}\n");
    }
done:
    free(g.uses);
    free(g.temp);
    free(g.visited);
    free(g.inner);
    free(g.group);
    free(pend.p);
    if (b.failed || pend.failed) {
        free(b.p);
        return NULL;
    }
    if (len != NULL) {
        *len = b.len;
    }
    return b.p;
}
