/* SPDX-License-Identifier: MIT
 * core/src/model/expr.c - the expression graph of a model: hash-consed nodes with simplifying
 * constructors, symbolic derivatives, evaluation and the canonical printer.
 */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_impl.h"

const char *const m_fn_names[F_COUNT] = {"exp", "log",   "log10", "sqrt", "cbrt", "sin",  "cos",
                                         "tan", "asin",  "acos",  "atan", "sinh", "cosh", "tanh",
                                         "abs", "atan2", "min",   "max",  "hypot"};

/* ---------------------------------------------------------------- buffers */

void m_buf_add(m_buf *b, const char *s)
{
    size_t k = strlen(s);
    if (b->failed) {
        return;
    }
    if (b->len + k + 1 > b->cap) {
        size_t cap = b->cap < 256 ? 256 : b->cap;
        char *q;
        while (cap < b->len + k + 1) {
            cap *= 2;
        }
        q = realloc(b->p, cap);
        if (q == NULL) {
            b->failed = 1;
            return;
        }
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, k + 1);
    b->len += k;
}

void m_buf_printf(m_buf *b, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    int k;
    va_start(ap, fmt);
    k = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (k < 0) {
        b->failed = 1;
    } else if ((size_t)k < sizeof small) {
        m_buf_add(b, small);
    } else {
        char *big = malloc((size_t)k + 1);
        if (big == NULL) {
            b->failed = 1;
            return;
        }
        va_start(ap, fmt);
        vsnprintf(big, (size_t)k + 1, fmt, ap);
        va_end(ap);
        m_buf_add(b, big);
        free(big);
    }
}

/* A finite double as a C double literal that reads back exactly: %.17g, with ".0" added to an
 * integer-looking one (so 1/2 stays a division of doubles). Negative numbers in parentheses. */
void m_buf_num(m_buf *b, double x)
{
    char s[40];
    snprintf(s, sizeof s, "%.17g", x);
    if (strspn(s, "-0123456789") == strlen(s)) {
        strcat(s, ".0");
    }
    if (x < 0 || (x == 0 && signbit(x))) {
        m_buf_printf(b, "(%s)", s);
    } else {
        m_buf_add(b, s);
    }
}

/* ---------------------------------------------------------------- nodes */

static unsigned m_hash(const mnode *n)
{
    uint64_t h = 1469598103934665603ull, bits;
    long v[10];
    size_t k;
    memcpy(&bits, &n->num, sizeof bits);
    v[0] = n->op;
    v[1] = n->fn;
    v[2] = n->a;
    v[3] = n->b;
    v[4] = n->c;
    v[5] = n->arr;
    v[6] = n->var;
    v[7] = n->off;
    v[8] = n->lo * 31 + n->lov;
    v[9] = n->hi * 31 + n->hiv;
    for (k = 0; k < 10; k++) {
        h = (h ^ (uint64_t)v[k]) * 1099511628211ull;
    }
    h = (h ^ bits) * 1099511628211ull;
    return (unsigned)(h ^ (h >> 32));
}

static int m_same(const mnode *x, const mnode *y)
{
    return x->op == y->op && x->fn == y->fn && x->a == y->a && x->b == y->b && x->c == y->c &&
           x->arr == y->arr && x->var == y->var && x->off == y->off && x->lov == y->lov &&
           x->hiv == y->hiv && x->lo == y->lo && x->hi == y->hi &&
           memcmp(&x->num, &y->num, sizeof x->num) == 0;
}

static int m_grow(ivp_model *m)
{
    int cap = m->cap_nodes < 64 ? 64 : m->cap_nodes * 2;
    mnode *nodes;
    int *memo;
    unsigned *stamp;
    int *hash, i;
    nodes = realloc(m->nodes, (size_t)cap * sizeof *nodes);
    if (nodes == NULL) {
        return -1;
    }
    m->nodes = nodes;
    memo = realloc(m->memo, (size_t)cap * sizeof *memo);
    if (memo == NULL) {
        return -1;
    }
    m->memo = memo;
    stamp = realloc(m->memo_stamp, (size_t)cap * sizeof *stamp);
    if (stamp == NULL) {
        return -1;
    }
    memset(stamp + m->cap_nodes, 0, (size_t)(cap - m->cap_nodes) * sizeof *stamp);
    m->memo_stamp = stamp;
    m->cap_nodes = cap;
    /* buckets: about one per node */
    hash = malloc((size_t)cap * sizeof *hash);
    if (hash == NULL) {
        return -1;
    }
    free(m->hash);
    m->hash = hash;
    m->hash_cap = cap;
    for (i = 0; i < cap; i++) {
        hash[i] = -1;
    }
    for (i = 0; i < m->n_nodes; i++) {
        unsigned h = m_hash(&m->nodes[i]) & (unsigned)(cap - 1);
        m->nodes[i].next = hash[h];
        hash[h] = i;
    }
    return 0;
}

static int m_max(int x, int y)
{
    return x > y ? x : y;
}

/* The node equal to *t, made if new. */
static int m_make(ivp_model *m, mnode *t)
{
    unsigned h;
    int k;
    if (m->oom || m->too_big) {
        return 0;
    }
    if (m->hash != NULL) {
        h = m_hash(t) & (unsigned)(m->hash_cap - 1);
        for (k = m->hash[h]; k >= 0; k = m->nodes[k].next) {
            if (m_same(&m->nodes[k], t)) {
                return k;
            }
        }
    }
    if (m->n_nodes >= IVP_MODEL_MAX_NODES) {
        m->too_big = 1;
        return 0;
    }
    if (m->n_nodes == m->cap_nodes && m_grow(m) != 0) {
        m->oom = 1;
        return 0;
    }
    t->flags = 0;
    t->depth = 1;
    if (t->op == M_ELEM) {
        t->flags = MF_STATE | (t->var == 0 ? MF_I : 0) | (t->var == 1 ? MF_J : 0);
    } else if (t->op == M_IDX) {
        t->flags = t->var == 0 ? MF_I : MF_J;
    } else if (t->op == M_SYM) {
        t->flags = MF_SYM;
    }
    if (t->a >= 0) {
        t->flags |= m->nodes[t->a].flags;
        t->depth = m_max(t->depth, m->nodes[t->a].depth + 1);
    }
    if (t->b >= 0) {
        t->flags |= m->nodes[t->b].flags;
        t->depth = m_max(t->depth, m->nodes[t->b].depth + 1);
    }
    if (t->c >= 0) {
        t->flags |= m->nodes[t->c].flags;
        t->depth = m_max(t->depth, m->nodes[t->c].depth + 1);
    }
    if (t->op == M_SUM) {
        t->flags = (unsigned char)((t->flags & ~MF_J) | MF_SUM);
        if (t->lov == 0 || t->hiv == 0) {
            t->flags |= MF_I;
        }
    }
    k = m->n_nodes++;
    h = m_hash(t) & (unsigned)(m->hash_cap - 1);
    t->next = m->hash[h];
    m->nodes[k] = *t;
    m->hash[h] = k;
    return k;
}

static mnode m_blank(int op)
{
    mnode t;
    memset(&t, 0, sizeof t);
    t.op = (unsigned char)op;
    t.a = t.b = t.c = -1;
    t.var = -1;
    t.lov = t.hiv = -1;
    return t;
}

int m_num(ivp_model *m, double x)
{
    mnode t = m_blank(M_NUM);
    t.num = x == 0 ? 0.0 : x; /* -0 and 0 are one node */
    return m_make(m, &t);
}

int m_leaf(ivp_model *m, int op, int arr, int var, long off)
{
    mnode t = m_blank(op);
    t.arr = arr;
    t.var = var;
    t.off = off;
    return m_make(m, &t);
}

static int m_isnum(const ivp_model *m, int a, double x)
{
    return m->nodes[a].op == M_NUM && m->nodes[a].num == x;
}

static int m_isconst(const ivp_model *m, int a)
{
    return m->nodes[a].op == M_NUM;
}

int m_is_bool(const ivp_model *m, int node)
{
    return m->nodes[node].op >= M_LT && m->nodes[node].op <= M_NOT;
}

/* A folded constant, or -1 when folding would give a non-finite number (kept as code). */
static int m_fold(ivp_model *m, double x)
{
    return isfinite(x) ? m_num(m, x) : -1;
}

int m_un(ivp_model *m, int op, int a)
{
    mnode t = m_blank(op);
    if (op == M_NEG) {
        if (m_isconst(m, a)) {
            return m_num(m, -m->nodes[a].num);
        }
        if (m->nodes[a].op == M_NEG) {
            return m->nodes[a].a;
        }
    }
    t.a = a;
    return m_make(m, &t);
}

static double m_pow_exact(double x, double y)
{
    return pow(x, y);
}

int m_bin(ivp_model *m, int op, int a, int b)
{
    mnode t = m_blank(op);
    int ca = m_isconst(m, a), cb = m_isconst(m, b), f;
    double x = ca ? m->nodes[a].num : 0, y = cb ? m->nodes[b].num : 0;
    switch (op) {
    case M_ADD:
        if (ca && cb && (f = m_fold(m, x + y)) >= 0) {
            return f;
        }
        if (m_isnum(m, a, 0)) {
            return b;
        }
        if (m_isnum(m, b, 0)) {
            return a;
        }
        if (m->nodes[b].op == M_NEG) {
            return m_bin(m, M_SUB, a, m->nodes[b].a);
        }
        break;
    case M_SUB:
        if (ca && cb && (f = m_fold(m, x - y)) >= 0) {
            return f;
        }
        if (m_isnum(m, b, 0)) {
            return a;
        }
        if (m_isnum(m, a, 0)) {
            return m_un(m, M_NEG, b);
        }
        if (m->nodes[b].op == M_NEG) {
            return m_bin(m, M_ADD, a, m->nodes[b].a);
        }
        break;
    case M_MUL:
        if (ca && cb && (f = m_fold(m, x * y)) >= 0) {
            return f;
        }
        if (m_isnum(m, a, 0) || m_isnum(m, b, 0)) {
            return 0;
        }
        if (m_isnum(m, a, 1)) {
            return b;
        }
        if (m_isnum(m, b, 1)) {
            return a;
        }
        if (m_isnum(m, a, -1)) {
            return m_un(m, M_NEG, b);
        }
        if (m_isnum(m, b, -1)) {
            return m_un(m, M_NEG, a);
        }
        if (m->nodes[a].op == M_NEG && m->nodes[b].op == M_NEG) {
            return m_bin(m, M_MUL, m->nodes[a].a, m->nodes[b].a);
        }
        if (cb) { /* a number first */
            int s = a;
            a = b;
            b = s;
        }
        break;
    case M_DIV:
        if (ca && cb && (f = m_fold(m, x / y)) >= 0) {
            return f;
        }
        if (m_isnum(m, a, 0) && !cb) {
            return 0;
        }
        if (m_isnum(m, b, 1)) {
            return a;
        }
        if (m_isnum(m, b, -1)) {
            return m_un(m, M_NEG, a);
        }
        break;
    case M_POW:
        if (ca && cb && (f = m_fold(m, m_pow_exact(x, y))) >= 0) {
            return f;
        }
        if (m_isnum(m, b, 1)) {
            return a;
        }
        if (m_isnum(m, b, 0)) {
            return 1;
        }
        break;
    default:
        break;
    }
    t.a = a;
    t.b = b;
    return m_make(m, &t);
}

static double m_fn_value(int fn, double x, double y)
{
    switch (fn) {
    case F_EXP:
        return exp(x);
    case F_LOG:
        return log(x);
    case F_LOG10:
        return log10(x);
    case F_SQRT:
        return sqrt(x);
    case F_CBRT:
        return cbrt(x);
    case F_SIN:
        return sin(x);
    case F_COS:
        return cos(x);
    case F_TAN:
        return tan(x);
    case F_ASIN:
        return asin(x);
    case F_ACOS:
        return acos(x);
    case F_ATAN:
        return atan(x);
    case F_SINH:
        return sinh(x);
    case F_COSH:
        return cosh(x);
    case F_TANH:
        return tanh(x);
    case F_ABS:
        return fabs(x);
    case F_ATAN2:
        return atan2(x, y);
    case F_MIN:
        return fmin(x, y);
    case F_MAX:
        return fmax(x, y);
    case F_HYPOT:
        return hypot(x, y);
    default:
        return (double)NAN;
    }
}

int m_fn1(ivp_model *m, int fn, int a)
{
    mnode t = m_blank(M_FN1);
    int f;
    /* Fold only what is exact in every C library: abs, and sqrt (correctly rounded). */
    if (m_isconst(m, a) && (fn == F_ABS || fn == F_SQRT) &&
        (f = m_fold(m, m_fn_value(fn, m->nodes[a].num, 0))) >= 0) {
        return f;
    }
    t.fn = (unsigned char)fn;
    t.a = a;
    return m_make(m, &t);
}

int m_fn2(ivp_model *m, int fn, int a, int b)
{
    mnode t = m_blank(M_FN2);
    int f;
    if (m_isconst(m, a) && m_isconst(m, b) && (fn == F_MIN || fn == F_MAX) &&
        (f = m_fold(m, m_fn_value(fn, m->nodes[a].num, m->nodes[b].num))) >= 0) {
        return f;
    }
    if ((fn == F_MIN || fn == F_MAX) && a == b) {
        return a;
    }
    t.fn = (unsigned char)fn;
    t.a = a;
    t.b = b;
    return m_make(m, &t);
}

int m_if(ivp_model *m, int c, int a, int b)
{
    mnode t = m_blank(M_IF);
    if (a == b) {
        return a;
    }
    t.a = c;
    t.b = a;
    t.c = b;
    return m_make(m, &t);
}

int m_sum(ivp_model *m, int body, int lov, long lo, int hiv, long hi)
{
    mnode t = m_blank(M_SUM);
    if (m_isnum(m, body, 0) || (lov == hiv && lo > hi)) {
        return 0;
    }
    t.a = body;
    t.lov = lov;
    t.lo = lo;
    t.hiv = hiv;
    t.hi = hi;
    return m_make(m, &t);
}

/* ---------------------------------------------------------------- derivatives */

static int m_c(ivp_model *m, double x)
{
    return m_num(m, x);
}

static int m_mul(ivp_model *m, int a, int b)
{
    return m_bin(m, M_MUL, a, b);
}

static int m_d(ivp_model *m, int node, const m_class *w);

static int m_dfn1(ivp_model *m, int node, int da)
{
    const mnode n = m->nodes[node];
    int a = n.a, x;
    switch (n.fn) {
    case F_EXP:
        return m_mul(m, node, da);
    case F_LOG:
        return m_bin(m, M_DIV, da, a);
    case F_LOG10:
        return m_bin(m, M_DIV, da, m_mul(m, a, m_c(m, 2.302585092994045684)));
    case F_SQRT:
        return m_bin(m, M_DIV, da, m_mul(m, m_c(m, 2), node));
    case F_CBRT:
        return m_bin(m, M_DIV, da, m_mul(m, m_c(m, 3), m_mul(m, node, node)));
    case F_SIN:
        return m_mul(m, m_fn1(m, F_COS, a), da);
    case F_COS:
        return m_un(m, M_NEG, m_mul(m, m_fn1(m, F_SIN, a), da));
    case F_TAN:
        return m_mul(m, m_bin(m, M_ADD, m_c(m, 1), m_mul(m, node, node)), da);
    case F_ASIN:
    case F_ACOS:
        x = m_bin(m, M_DIV, da, m_fn1(m, F_SQRT, m_bin(m, M_SUB, m_c(m, 1), m_mul(m, a, a))));
        return n.fn == F_ASIN ? x : m_un(m, M_NEG, x);
    case F_ATAN:
        return m_bin(m, M_DIV, da, m_bin(m, M_ADD, m_c(m, 1), m_mul(m, a, a)));
    case F_SINH:
        return m_mul(m, m_fn1(m, F_COSH, a), da);
    case F_COSH:
        return m_mul(m, m_fn1(m, F_SINH, a), da);
    case F_TANH:
        return m_mul(m, m_bin(m, M_SUB, m_c(m, 1), m_mul(m, node, node)), da);
    case F_ABS: /* the branch taken: a for a >= 0, -a otherwise */
        return m_if(m, m_bin(m, M_GE, a, 0), da, m_un(m, M_NEG, da));
    default:
        return 0;
    }
}

static int m_dfn2(ivp_model *m, int node, int da, int db)
{
    const mnode n = m->nodes[node];
    int a = n.a, b = n.b;
    switch (n.fn) {
    case F_ATAN2: /* atan2(a, b): (b da - a db) / (a^2 + b^2) */
        return m_bin(m, M_DIV, m_bin(m, M_SUB, m_mul(m, b, da), m_mul(m, a, db)),
                     m_bin(m, M_ADD, m_mul(m, a, a), m_mul(m, b, b)));
    case F_MIN: /* the branch taken, as fmin: a when a <= b */
        return m_if(m, m_bin(m, M_LE, a, b), da, db);
    case F_MAX:
        return m_if(m, m_bin(m, M_GE, a, b), da, db);
    case F_HYPOT:
        return m_bin(m, M_DIV, m_bin(m, M_ADD, m_mul(m, a, da), m_mul(m, b, db)), node);
    default:
        return 0;
    }
}

static int m_d_uncached(ivp_model *m, int node, const m_class *w)
{
    const mnode n = m->nodes[node];
    int da, db;
    switch (n.op) {
    case M_ELEM:
        return w->sum < 0 && n.arr == w->arr && n.var == w->var && n.off == w->off ? 1 : 0;
    case M_NEG:
        return m_un(m, M_NEG, m_d(m, n.a, w));
    case M_ADD:
    case M_SUB:
        return m_bin(m, n.op, m_d(m, n.a, w), m_d(m, n.b, w));
    case M_MUL:
        return m_bin(m, M_ADD, m_mul(m, m_d(m, n.a, w), n.b), m_mul(m, n.a, m_d(m, n.b, w)));
    case M_DIV:
        /* (da - (a/b) db) / b: a/b is the node itself, already computed */
        da = m_d(m, n.a, w);
        db = m_d(m, n.b, w);
        return m_bin(m, M_DIV, m_bin(m, M_SUB, da, m_mul(m, node, db)), n.b);
    case M_POW:
        da = m_d(m, n.a, w);
        db = m_d(m, n.b, w);
        if (m_isnum(m, db, 0)) { /* b does not depend on w: b a^(b-1) da */
            int e = m_bin(m, M_SUB, n.b, 1);
            return m_mul(m, m_mul(m, n.b, m_bin(m, M_POW, n.a, e)), da);
        }
        /* a^b (db log a + b da / a) */
        return m_mul(m, node,
                     m_bin(m, M_ADD, m_mul(m, db, m_fn1(m, F_LOG, n.a)),
                           m_bin(m, M_DIV, m_mul(m, n.b, da), n.a)));
    case M_FN1:
        return m_dfn1(m, node, m_d(m, n.a, w));
    case M_FN2:
        return m_dfn2(m, node, m_d(m, n.a, w), m_d(m, n.b, w));
    case M_IF:
        return m_if(m, n.a, m_d(m, n.b, w), m_d(m, n.c, w));
    case M_SUM:
        if (w->sum >= 0) {
            return node == w->sum ? 1 : 0;
        }
        return m_sum(m, m_d(m, n.a, w), n.lov, n.lo, n.hiv, n.hi);
    default:
        return 0; /* numbers, params, t, indices, booleans */
    }
}

static int m_d(ivp_model *m, int node, const m_class *w)
{
    int r;
    unsigned need = w->sum >= 0 ? MF_SUM : MF_STATE;
    if ((m->nodes[node].flags & need) == 0 || m->oom || m->too_big) {
        return 0;
    }
    if (m->memo_stamp[node] == m->stamp) {
        return m->memo[node];
    }
    r = m_d_uncached(m, node, w);
    if (!m->oom && !m->too_big) {
        m->memo[node] = r;
        m->memo_stamp[node] = m->stamp;
    }
    return r;
}

int m_diff(ivp_model *m, int node, const m_class *wrt)
{
    m->stamp++;
    if (m->stamp == 0) { /* wrapped: forget every memo */
        memset(m->memo_stamp, 0, (size_t)m->cap_nodes * sizeof *m->memo_stamp);
        m->stamp = 1;
    }
    return m_d(m, node, wrt);
}

/* ---------------------------------------------------------------- references */

static int m_add_class(m_class **refs, size_t *n, const m_class *c)
{
    size_t k;
    m_class *q;
    for (k = 0; k < *n; k++) {
        if ((*refs)[k].arr == c->arr && (*refs)[k].var == c->var && (*refs)[k].off == c->off &&
            (*refs)[k].sum == c->sum) {
            return 0;
        }
    }
    q = realloc(*refs, (*n + 1) * sizeof *q);
    if (q == NULL) {
        return -1;
    }
    *refs = q;
    q[(*n)++] = *c;
    return 0;
}

static int m_collect_rec(const ivp_model *m, int node, int inside_sums, m_class **refs,
                         size_t *n_refs, int **sums, size_t *n_sums, int want_var1,
                         unsigned char *seen)
{
    const mnode *n = &m->nodes[node];
    if (seen[node] || (n->flags & MF_STATE) == 0) {
        return 0;
    }
    seen[node] = 1;
    if (n->op == M_ELEM) {
        m_class c;
        if ((n->var == 1) != (want_var1 != 0)) {
            return 0;
        }
        c.arr = n->arr;
        c.var = n->var;
        c.off = n->off;
        c.sum = -1;
        return m_add_class(refs, n_refs, &c);
    }
    if (n->op == M_SUM) {
        if (sums != NULL) {
            size_t k;
            int *q;
            for (k = 0; k < *n_sums && (*sums)[k] != node; k++) {
            }
            if (k == *n_sums) {
                q = realloc(*sums, (*n_sums + 1) * sizeof *q);
                if (q == NULL) {
                    return -1;
                }
                *sums = q;
                q[(*n_sums)++] = node;
            }
        }
        if (!inside_sums) {
            return 0;
        }
    }
    if (n->a >= 0 &&
        m_collect_rec(m, n->a, inside_sums, refs, n_refs, sums, n_sums, want_var1, seen) != 0) {
        return -1;
    }
    if (n->b >= 0 &&
        m_collect_rec(m, n->b, inside_sums, refs, n_refs, sums, n_sums, want_var1, seen) != 0) {
        return -1;
    }
    if (n->c >= 0 &&
        m_collect_rec(m, n->c, inside_sums, refs, n_refs, sums, n_sums, want_var1, seen) != 0) {
        return -1;
    }
    return 0;
}

int m_collect(const ivp_model *m, int node, int inside_sums, m_class **refs, size_t *n_refs,
              int **sums, size_t *n_sums, int want_var1)
{
    unsigned char *seen = calloc((size_t)m->n_nodes, 1);
    int r;
    if (seen == NULL) {
        return -1;
    }
    r = m_collect_rec(m, node, inside_sums, refs, n_refs, sums, n_sums, want_var1, seen);
    free(seen);
    return r;
}

void m_jrow_free(m_jrow *row)
{
    size_t k;
    if (row == NULL) {
        return;
    }
    free(row->cls);
    free(row->d);
    for (k = 0; k < row->n_sums; k++) {
        free(row->jcls[k]);
        free(row->jd[k]);
    }
    free(row->sum);
    free(row->g);
    free(row->n_jcls);
    free(row->jcls);
    free(row->jd);
    memset(row, 0, sizeof *row);
    row->expr = -1;
}

/* The Jacobian of one rhs expression (see m_jrow). 0, or -1 when out of memory. */
int m_jrow_build(ivp_model *m, int expr, m_jrow *row)
{
    size_t k, q;
    memset(row, 0, sizeof *row);
    row->expr = expr;
    /* references that give one column per row: everywhere, sum bodies included */
    if (m_collect(m, expr, 1, &row->cls, &row->n_cls, &row->sum, &row->n_sums, 0) != 0) {
        return -1;
    }
    row->d = calloc(row->n_cls + 1, sizeof *row->d);
    row->g = calloc(row->n_sums + 1, sizeof *row->g);
    row->n_jcls = calloc(row->n_sums + 1, sizeof *row->n_jcls);
    row->jcls = calloc(row->n_sums + 1, sizeof *row->jcls);
    row->jd = calloc(row->n_sums + 1, sizeof *row->jd);
    if (row->d == NULL || row->g == NULL || row->n_jcls == NULL || row->jcls == NULL ||
        row->jd == NULL) {
        return -1;
    }
    for (k = 0; k < row->n_cls; k++) {
        row->d[k] = m_diff(m, expr, &row->cls[k]);
    }
    for (k = 0; k < row->n_sums; k++) {
        m_class s = {-1, -1, 0, row->sum[k]};
        int body = m->nodes[row->sum[k]].a;
        row->g[k] = m_diff(m, expr, &s);
        if (m_collect(m, body, 1, &row->jcls[k], &row->n_jcls[k], NULL, NULL, 1) != 0) {
            return -1;
        }
        row->jd[k] = calloc(row->n_jcls[k] + 1, sizeof *row->jd[k]);
        if (row->jd[k] == NULL) {
            return -1;
        }
        for (q = 0; q < row->n_jcls[k]; q++) {
            row->jd[k][q] = m_diff(m, body, &row->jcls[k][q]);
        }
    }
    return 0;
}

/* ---------------------------------------------------------------- evaluation */

double m_eval(const ivp_model *m, int node, double t, const double *y, const double *p, long i,
              long j)
{
    const mnode *n = &m->nodes[node];
    double a, b;
    long k, lo, hi;
    switch (n->op) {
    case M_NUM:
        return n->num;
    case M_ELEM:
        k = (n->var == 0 ? i : n->var == 1 ? j : 0) + n->off;
        return y[m->st[n->arr].offset + (size_t)k];
    case M_PARAM:
        return p[n->arr];
    case M_T:
        return t;
    case M_IDX:
        return (double)(n->var == 0 ? i : j);
    case M_NEG:
        return -m_eval(m, n->a, t, y, p, i, j);
    case M_NOT:
        return m_eval(m, n->a, t, y, p, i, j) != 0 ? 0.0 : 1.0;
    case M_FN1:
        return m_fn_value(n->fn, m_eval(m, n->a, t, y, p, i, j), 0);
    case M_IF:
        return m_eval(m, n->a, t, y, p, i, j) != 0 ? m_eval(m, n->b, t, y, p, i, j)
                                                   : m_eval(m, n->c, t, y, p, i, j);
    case M_SUM:
        lo = (n->lov == 0 ? i : 0) + n->lo;
        hi = (n->hiv == 0 ? i : 0) + n->hi;
        a = 0;
        for (k = lo; k <= hi; k++) {
            a += m_eval(m, n->a, t, y, p, i, k);
        }
        return a;
    default:
        break;
    }
    a = m_eval(m, n->a, t, y, p, i, j);
    b = m_eval(m, n->b, t, y, p, i, j);
    switch (n->op) {
    case M_ADD:
        return a + b;
    case M_SUB:
        return a - b;
    case M_MUL:
        return a * b;
    case M_DIV:
        return a / b;
    case M_POW:
        return pow(a, b);
    case M_FN2:
        return m_fn_value(n->fn, a, b);
    case M_LT:
        return a < b;
    case M_LE:
        return a <= b;
    case M_GT:
        return a > b;
    case M_GE:
        return a >= b;
    case M_EQ:
        return a == b;
    case M_NE:
        return a != b;
    case M_AND:
        return a != 0 && b != 0;
    case M_OR:
        return a != 0 || b != 0;
    default:
        return (double)NAN;
    }
}

/* ---------------------------------------------------------------- canonical printing */

static const char *m_op_text(int op)
{
    switch (op) {
    case M_ADD:
        return "+";
    case M_SUB:
        return "-";
    case M_MUL:
        return "*";
    case M_DIV:
        return "/";
    case M_POW:
        return "^";
    case M_LT:
        return "<";
    case M_LE:
        return "<=";
    case M_GT:
        return ">";
    case M_GE:
        return ">=";
    case M_EQ:
        return "==";
    case M_NE:
        return "!=";
    case M_AND:
        return "&&";
    case M_OR:
        return "||";
    default:
        return "?";
    }
}

static void m_print_index(m_buf *b, int var, long off)
{
    if (var < 0) {
        m_buf_printf(b, "%ld", off);
    } else if (off == 0) {
        m_buf_add(b, var == 0 ? "i" : "j");
    } else {
        m_buf_printf(b, "%s%+ld", var == 0 ? "i" : "j", off);
    }
}

/* Fully parenthesised: one text per graph. */
void m_print(const ivp_model *m, int node, m_buf *b)
{
    const mnode *n = &m->nodes[node];
    switch (n->op) {
    case M_NUM:
        m_buf_printf(b, "%.17g", n->num);
        return;
    case M_ELEM:
        m_buf_add(b, m->st[n->arr].name);
        if (!m->st[n->arr].scalar) {
            m_buf_add(b, "[");
            m_print_index(b, n->var, n->off);
            m_buf_add(b, "]");
        }
        return;
    case M_PARAM:
        m_buf_add(b, m->params[n->arr]);
        return;
    case M_T:
        m_buf_add(b, "t");
        return;
    case M_IDX:
        m_buf_add(b, n->var == 0 ? "i" : "j");
        return;
    case M_SYM:
        m_buf_printf(b, "$%d", n->arr);
        return;
    case M_NEG:
    case M_NOT:
        m_buf_add(b, n->op == M_NEG ? "(-" : "(!");
        m_print(m, n->a, b);
        m_buf_add(b, ")");
        return;
    case M_FN1:
    case M_FN2:
        m_buf_printf(b, "%s(", m_fn_names[n->fn]);
        m_print(m, n->a, b);
        if (n->op == M_FN2) {
            m_buf_add(b, ",");
            m_print(m, n->b, b);
        }
        m_buf_add(b, ")");
        return;
    case M_IF:
        m_buf_add(b, "if(");
        m_print(m, n->a, b);
        m_buf_add(b, ",");
        m_print(m, n->b, b);
        m_buf_add(b, ",");
        m_print(m, n->c, b);
        m_buf_add(b, ")");
        return;
    case M_SUM:
        m_buf_add(b, "sum(j,");
        m_print_index(b, n->lov, n->lo);
        m_buf_add(b, ",");
        m_print_index(b, n->hiv, n->hi);
        m_buf_add(b, ",");
        m_print(m, n->a, b);
        m_buf_add(b, ")");
        return;
    default:
        m_buf_add(b, "(");
        m_print(m, n->a, b);
        m_buf_add(b, m_op_text(n->op));
        m_print(m, n->b, b);
        m_buf_add(b, ")");
        return;
    }
}
