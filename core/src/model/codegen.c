/* SPDX-License-Identifier: MIT
 * core/src/model/codegen.c - C source of a plugin (contracts.md section 1) from a parsed model.
 *
 * What the file holds: the canonical model as a comment, the name tables (ivp_param_names,
 * ivp_event_names, ivp_state_names; an array's names are written at load time by a constructor,
 * so a model of 10^5 components stays small), ivp_dim, rhs, events, and the Jacobian: a dense
 * row-major jac for small or dense patterns, else jac_sparsity + jac_values. An array rule is
 * one loop over its components (overridden components skipped), so the file grows with the
 * model's text, not with its size.
 *
 * Jacobian terms: each rhs expression's derivative with respect to each state reference it
 * makes (u[i-1], u[i], x[j] in a sum, ...). Two references may read the same component (u[i]
 * and u[0] at i = 0, x[j] and x[i] at j = i), so terms are accumulated: the dense jac adds into
 * a zeroed matrix; for the sparse form the same loops run once at ivp_init to record each
 * term's (row, col), which are sorted and merged into the pattern, and each term's slot in it;
 * jac_values then adds every term into its slot. jac_sparsity runs the same loops.
 *
 * Within one expression (one rhs row, one rule, one Jacobian row) subexpressions used twice
 * are computed once into a temporary; inside a sum's loop, everything that does not depend on
 * the sum index is computed before the loop.
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

/* How a Jacobian term is stored. */
enum { CG_DENSE, CG_VALUES, CG_PATTERN };

static void cg_term(cg *g, int mode, const char *row, const char *col_var, long col_c, int d,
                    int factor)
{
    cg_ind(g);
    if (mode == CG_PATTERN) {
        m_buf_printf(g->b, "if (r != NULL) { r[q] = (size_t)(%s); c[q] = (size_t)(", row);
        cg_index(g, col_var, col_c);
        m_buf_add(g->b, "); }\n");
        cg_ind(g);
        m_buf_add(g->b, "q++;\n");
        return;
    }
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

/* The Jacobian terms of one row (row: its C index expression). */
static void cg_jac_row(cg *g, const m_jrow *r, const char *row, int mode)
{
    const ivp_model *m = g->m;
    size_t k, q;
    if (mode != CG_PATTERN) {
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
        for (k = 0; k < r->n_cls; k++) {
            if (r->d[k] != 0) {
                cg_prepare(g, r->d[k]);
            }
        }
    }
    for (k = 0; k < r->n_cls; k++) {
        if (r->d[k] != 0) {
            const m_class *c = &r->cls[k];
            cg_term(g, mode, row, cg_var(c->var), (long)m->st[c->arr].offset + c->off, r->d[k], -1);
        }
    }
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
                cg_term(g, mode, row, "j", (long)m->st[c->arr].offset + c->off, r->jd[k][q],
                        r->g[k] == 1 ? -1 : r->g[k]);
            }
        }
        cg_end_loop(g);
        g->indent--;
        cg_ind(g);
        m_buf_add(g->b, "}\n");
    }
    cg_reset(g);
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

/* The loop header over a rule's components (skipping overridden ones); returns 0 when the rule
 * covers none. */
static int cg_rule_open(cg *g, const m_state *st, size_t k)
{
    long q;
    int first = 1;
    if (st->rule < 0 || st->imin > st->imax) {
        return 0;
    }
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
    (void)k;
    return 1;
}

static void cg_rule_close(cg *g)
{
    g->indent--;
    cg_ind(g);
    m_buf_add(g->b, "}\n");
}

static void cg_row_name(char *buf, size_t size, const m_state *st, long q, int rule)
{
    if (rule) {
        snprintf(buf, size, "i + %zu", st->offset);
    } else {
        snprintf(buf, size, "%zu", st->offset + (size_t)q);
    }
}

static void cg_rhs(cg *g)
{
    const ivp_model *m = g->m;
    char row[64];
    size_t k;
    long q;
    for (k = 0; k < m->n_st; k++) {
        const m_state *st = &m->st[k];
        for (q = 0; q < st->size; q++) {
            if (st->over[q] >= 0) {
                cg_row_name(row, sizeof row, st, q, 0);
                m_buf_add(g->b, "    {\n");
                g->indent = 2;
                cg_rhs_row(g, st->over[q], "dydt", row);
                m_buf_add(g->b, "    }\n");
            }
        }
        g->indent = 1;
        if (cg_rule_open(g, st, k)) {
            cg_row_name(row, sizeof row, st, 0, 1);
            cg_rhs_row(g, st->rule, "dydt", row);
            cg_rule_close(g);
        }
    }
}

static void cg_jac(cg *g, int mode)
{
    const ivp_model *m = g->m;
    char row[64];
    size_t k;
    long q;
    for (k = 0; k < m->n_st; k++) {
        const m_state *st = &m->st[k];
        for (q = 0; q < st->size; q++) {
            if (st->over[q] >= 0) {
                const m_jrow *r = st->scalar ? &m->scalar_jac[k] : &m->over_jac[k][q];
                cg_row_name(row, sizeof row, st, q, 0);
                m_buf_add(g->b, "    {\n");
                g->indent = 2;
                cg_jac_row(g, r, row, mode);
                m_buf_add(g->b, "    }\n");
            }
        }
        g->indent = 1;
        if (cg_rule_open(g, st, k)) {
            cg_row_name(row, sizeof row, st, 0, 1);
            cg_jac_row(g, &m->rule_jac[k], row, mode);
            cg_rule_close(g);
        }
    }
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
    m_buf b = {NULL, 0, 0, 0};
    cg g;
    size_t k, nn = (size_t)m->n_nodes;
    const char *c = m->canonical;
    memset(&g, 0, sizeof g);
    g.m = m;
    g.b = &b;
    g.uses = calloc(nn, sizeof *g.uses);
    g.temp = malloc(nn * sizeof *g.temp);
    g.visited = malloc(nn * sizeof *g.visited);
    g.inner = malloc(nn * sizeof *g.inner);
    if (g.uses == NULL || g.temp == NULL || g.visited == NULL || g.inner == NULL) {
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
    cg_names(&g);

    m_buf_add(&b, "int rhs(double t, const double *y, double *dydt, const ivp_ctx *ctx)\n{\n"
                  "    const double *P = ctx->p;\n    (void)t;\n    (void)P;\n");
    cg_rhs(&g);
    m_buf_add(&b, "    return 0;\n}\n\n");

    if (m->n_events > 0) {
        m_buf_add(&b, "int events(double t, const double *y, double *g, const ivp_ctx *ctx)\n{\n"
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
        m_buf_add(&b, "int jac(double t, const double *y, double *J, const ivp_ctx *ctx)\n{\n"
                      "    const double *P = ctx->p;\n    (void)t;\n    (void)y;\n    (void)P;\n"
                      "    memset(J, 0, sizeof(double) * (size_t)IVP_M_N * (size_t)IVP_M_N);\n");
        cg_jac(&g, CG_DENSE);
        m_buf_add(&b, "    return 0;\n}\n");
    } else {
        m_buf_add(&b, "/* The Jacobian's terms in order: (row, col) into r, c when given; their "
                      "count. */\nstatic long ivp_m_terms(size_t *r, size_t *c)\n{\n"
                      "    long q = 0;\n");
        cg_jac(&g, CG_PATTERN);
        m_buf_add(&b, "    return q;\n}\n\n");
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
        m_buf_add(&b, "int jac_values(double t, const double *y, double *v, const ivp_ctx *ctx)\n"
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
    if (b.failed) {
        free(b.p);
        return NULL;
    }
    if (len != NULL) {
        *len = b.len;
    }
    return b.p;
}
