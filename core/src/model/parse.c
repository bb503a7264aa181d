/* SPDX-License-Identifier: MIT
 * core/src/model/parse.c - the "model" object of a spec (contracts.md section 6): its JSON
 * structure, the expression language (a hand-written lexer and recursive-descent parser that
 * builds the typed expression graph of expr.c), every check, and the Jacobian rows.
 *
 * Grammar (lowest precedence first):
 *   or     := and ("||" and)*                      booleans
 *   and    := cmp ("&&" cmp)*
 *   cmp    := add (("<"|"<="|">"|">="|"=="|"!=") add)?   one comparison, no chains
 *   add    := mul (("+"|"-") mul)*                 numbers from here on
 *   mul    := unary (("*"|"/") unary)*
 *   unary  := ("-"|"+"|"!") unary | pow
 *   pow    := primary ("^" unary)?                 right-associative: 2^-x, a^b^c = a^(b^c)
 *   primary:= number | name | name "[" index "]" | name "(" args ")" | "(" or ")"
 */
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "model_impl.h"

#define MP_NAME_MAX 63
#define MP_PATH_MAX 600

/* ---------------------------------------------------------------- paths and errors */

static int mp_is_ident(const char *s)
{
    size_t k;
    if (!(isalpha((unsigned char)s[0]) || s[0] == '_')) {
        return 0;
    }
    for (k = 1; s[k] != '\0'; k++) {
        if (!(isalnum((unsigned char)s[k]) || s[k] == '_')) {
            return 0;
        }
    }
    return k <= MP_NAME_MAX;
}

/* path + ".key", or path + "[\"key\"]" with the key escaped (and cut at 60 characters). */
static void mp_path(char *out, const char *path, const char *key)
{
    char esc[400]; /* 60 characters of at most 6 bytes each, "..." and the NUL */
    size_t k = 0;
    const char *q;
    if (mp_is_ident(key)) {
        if (snprintf(out, MP_PATH_MAX, "%s.%s", path, key) >= MP_PATH_MAX) {
            strcpy(out + MP_PATH_MAX - 4, "...");
        }
        return;
    }
    for (q = key; *q != '\0' && k + 12 < sizeof esc && q - key < 60; q++) {
        unsigned char ch = (unsigned char)*q;
        if (ch == '"' || ch == '\\') {
            esc[k++] = '\\';
            esc[k++] = (char)ch;
        } else if (ch < 0x20 || ch == 0x7f) {
            k += (size_t)snprintf(esc + k, sizeof esc - k, "\\u%04x", (unsigned)ch);
        } else {
            esc[k++] = (char)ch;
        }
    }
    if (*q != '\0') {
        memcpy(esc + k, "...", 3);
        k += 3;
    }
    esc[k] = '\0';
    if (snprintf(out, MP_PATH_MAX, "%s[\"%s\"]", path, esc) >= MP_PATH_MAX) {
        strcpy(out + MP_PATH_MAX - 4, "...");
    }
}

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static void
mp_fail(ivp_error *err, const char *where, const char *fmt, ...)
{
    char what[IVP_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (err != NULL && err->status == IVP_OK) {
        ivp_error_set(err, IVP_ERR_SPEC, "%s: %s", where, what);
    }
}

/* A user's text, shown in a message: at most 40 characters, non-printable ones escaped. */
static void mp_show(char *out, size_t size, const char *s, size_t len)
{
    size_t k = 0, i;
    for (i = 0; i < len && k + 8 < size; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (i == 40) {
            memcpy(out + k, "...", 3);
            k += 3;
            break;
        }
        if (ch < 0x20 || ch >= 0x7f || ch == '\'' || ch == '\\') {
            k += (size_t)snprintf(out + k, size - k, "\\x%02x", (unsigned)ch);
        } else {
            out[k++] = (char)ch;
        }
    }
    out[k] = '\0';
}

/* ---------------------------------------------------------------- names */

enum { K_NONE, K_STATE, K_PARAM, K_CONST, K_T, K_FN, K_IF, K_SUM, K_RULE, K_SUMVAR };

static size_t mp_lev(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), i, j, prev, cur, tmp;
    size_t row[MP_NAME_MAX + 2];
    if (la > MP_NAME_MAX || lb > MP_NAME_MAX) {
        return 99;
    }
    for (j = 0; j <= lb; j++) {
        row[j] = j;
    }
    for (i = 1; i <= la; i++) {
        prev = row[0];
        row[0] = i;
        for (j = 1; j <= lb; j++) {
            tmp = row[j];
            cur = prev + (a[i - 1] == b[j - 1] ? 0 : 1);
            if (row[j] + 1 < cur) {
                cur = row[j] + 1;
            }
            if (row[j - 1] + 1 < cur) {
                cur = row[j - 1] + 1;
            }
            row[j] = cur;
            prev = tmp;
        }
    }
    return row[lb];
}

typedef struct mp {
    ivp_model *m;
    ivp_error *err;
    const char *path; /* JSON path of the expression */
    const char *s;    /* the expression */
    size_t len;
    size_t pos; /* next character */
    /* current token */
    int tok; /* 'n' number, 'a' name, 'e' end, or an operator code */
    size_t tpos;
    double tnum;
    char tname[MP_NAME_MAX + 1];
    int depth;
    /* scope */
    const char *rule_var; /* the rule's index name, or NULL */
    long imin, imax;      /* the components the rule covers */
    const char *sum_var;  /* inside a sum: its index name */
    int sum_lov, sum_hiv;
    long sum_lo, sum_hi;
    int consts_only; /* array sizes: constants and numbers only */
} mp;

/* Operator codes beyond single characters. */
enum { OP_LE = 256, OP_GE, OP_EQ, OP_NE, OP_AND, OP_OR };

static int mp_lookup(const mp *p, const char *name, int *index)
{
    const ivp_model *m = p->m;
    size_t k;
    *index = -1;
    if (p->sum_var != NULL && strcmp(name, p->sum_var) == 0) {
        return K_SUMVAR;
    }
    if (p->rule_var != NULL && strcmp(name, p->rule_var) == 0) {
        return K_RULE;
    }
    for (k = 0; k < m->n_consts; k++) {
        if (strcmp(m->consts[k], name) == 0) {
            *index = (int)k;
            return K_CONST;
        }
    }
    for (k = 0; k < m->n_st; k++) {
        if (strcmp(m->st[k].name, name) == 0) {
            *index = (int)k;
            return K_STATE;
        }
    }
    for (k = 0; k < m->n_params; k++) {
        if (strcmp(m->params[k], name) == 0) {
            *index = (int)k;
            return K_PARAM;
        }
    }
    if (strcmp(name, "t") == 0) {
        return K_T;
    }
    if (strcmp(name, "if") == 0) {
        return K_IF;
    }
    if (strcmp(name, "sum") == 0) {
        return K_SUM;
    }
    if (strcmp(name, "pow") == 0) {
        *index = -2;
        return K_FN;
    }
    for (k = 0; k < F_COUNT; k++) {
        if (strcmp(m_fn_names[k], name) == 0) {
            *index = (int)k;
            return K_FN;
        }
    }
    return K_NONE;
}

/* " (did you mean 'x'?)" for the nearest name of the model or the language, or "". */
static void mp_suggest(const ivp_model *m, const mp *p, const char *name, char *out, size_t size)
{
    static const char *const extra[] = {"t", "if", "sum", "pow"};
    const char *best = NULL;
    size_t best_d = 99, d, k, limit = strlen(name) <= 3 ? 1 : 2;
#define MP_TRY(cand)                                                                               \
    do {                                                                                           \
        d = mp_lev(name, (cand));                                                                  \
        if (d < best_d) {                                                                          \
            best_d = d;                                                                            \
            best = (cand);                                                                         \
        }                                                                                          \
    } while (0)
    for (k = 0; k < m->n_st; k++) {
        MP_TRY(m->st[k].name);
    }
    for (k = 0; k < m->n_params; k++) {
        MP_TRY(m->params[k]);
    }
    for (k = 0; k < m->n_consts; k++) {
        MP_TRY(m->consts[k]);
    }
    for (k = 0; k < F_COUNT; k++) {
        MP_TRY(m_fn_names[k]);
    }
    for (k = 0; k < sizeof extra / sizeof extra[0]; k++) {
        MP_TRY(extra[k]);
    }
    if (p != NULL && p->rule_var != NULL) {
        MP_TRY(p->rule_var);
    }
    if (p != NULL && p->sum_var != NULL) {
        MP_TRY(p->sum_var);
    }
#undef MP_TRY
    if (best != NULL && best_d <= limit && best_d < strlen(name)) {
        snprintf(out, size, " (did you mean '%s'?)", best);
    } else {
        out[0] = '\0';
    }
}

/* ---------------------------------------------------------------- lexer */

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static int
mp_err_at(mp *p, size_t pos, const char *fmt, ...)
{
    char what[IVP_ERROR_MSG_MAX];
    size_t line = 1, col = 1, k;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    for (k = 0; k < pos && k < p->len; k++) {
        if (p->s[k] == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
    }
    if (p->err != NULL && p->err->status == IVP_OK) {
        ivp_error_set(p->err, IVP_ERR_SPEC, "%s:%zu:%zu: %s", p->path, line, col, what);
    }
    return -1;
}

static int mp_next(mp *p)
{
    const char *s = p->s;
    char two[3];
    while (p->pos < p->len &&
           (s[p->pos] == ' ' || s[p->pos] == '\t' || s[p->pos] == '\n' || s[p->pos] == '\r')) {
        p->pos++;
    }
    p->tpos = p->pos;
    if (p->pos >= p->len) {
        p->tok = 'e';
        return 0;
    }
    if (isdigit((unsigned char)s[p->pos]) ||
        (s[p->pos] == '.' && p->pos + 1 < p->len && isdigit((unsigned char)s[p->pos + 1]))) {
        char buf[64];
        size_t k = p->pos, n;
        while (k < p->len && isdigit((unsigned char)s[k])) {
            k++;
        }
        if (k < p->len && s[k] == '.') {
            k++;
            while (k < p->len && isdigit((unsigned char)s[k])) {
                k++;
            }
        }
        if (k < p->len && (s[k] == 'e' || s[k] == 'E')) {
            size_t e = k + 1;
            if (e < p->len && (s[e] == '+' || s[e] == '-')) {
                e++;
            }
            if (e < p->len && isdigit((unsigned char)s[e])) {
                k = e;
                while (k < p->len && isdigit((unsigned char)s[k])) {
                    k++;
                }
            } else {
                return mp_err_at(p, k, "malformed number: an exponent needs digits");
            }
        }
        if (k < p->len && (isalpha((unsigned char)s[k]) || s[k] == '_')) {
            return mp_err_at(p, k, "malformed number (a letter follows its digits)");
        }
        n = k - p->pos;
        if (n >= sizeof buf) {
            return mp_err_at(p, p->pos, "number too long (at most %zu characters)", sizeof buf - 1);
        }
        memcpy(buf, s + p->pos, n);
        buf[n] = '\0';
        p->tnum = strtod(buf, NULL);
        if (!isfinite(p->tnum)) {
            return mp_err_at(p, p->pos, "number out of range: %s", buf);
        }
        p->pos = k;
        p->tok = 'n';
        return 0;
    }
    if (isalpha((unsigned char)s[p->pos]) || s[p->pos] == '_') {
        size_t k = p->pos;
        while (k < p->len && (isalnum((unsigned char)s[k]) || s[k] == '_')) {
            k++;
        }
        if (k - p->pos > MP_NAME_MAX) {
            return mp_err_at(p, p->pos, "name too long (at most %d characters)", MP_NAME_MAX);
        }
        memcpy(p->tname, s + p->pos, k - p->pos);
        p->tname[k - p->pos] = '\0';
        p->pos = k;
        p->tok = 'a';
        return 0;
    }
    two[0] = s[p->pos];
    two[1] = p->pos + 1 < p->len ? s[p->pos + 1] : '\0';
    two[2] = '\0';
    {
        static const struct {
            const char *t;
            int code;
        } ops2[] = {{"<=", OP_LE}, {">=", OP_GE},  {"==", OP_EQ},
                    {"!=", OP_NE}, {"&&", OP_AND}, {"||", OP_OR}};
        size_t k;
        for (k = 0; k < sizeof ops2 / sizeof ops2[0]; k++) {
            if (strcmp(two, ops2[k].t) == 0) {
                p->tok = ops2[k].code;
                p->pos += 2;
                return 0;
            }
        }
    }
    if (strchr("+-*/^(),[]<>!", two[0]) != NULL && two[0] != '\0') {
        p->tok = (unsigned char)two[0];
        p->pos++;
        return 0;
    }
    {
        char shown[64];
        mp_show(shown, sizeof shown, s + p->pos, 1);
        if (two[0] == '=') {
            return mp_err_at(p, p->pos, "unexpected '=' (comparison is '==')");
        }
        if (two[0] == '&' || two[0] == '|') {
            return mp_err_at(p, p->pos, "unexpected '%s' (logical operators are && and ||)", shown);
        }
        return mp_err_at(p, p->pos, "unexpected character '%s'", shown);
    }
}

static int mp_expect(mp *p, int tok, const char *what)
{
    if (p->tok != tok) {
        char shown[64];
        if (p->tok == 'e') {
            return mp_err_at(p, p->tpos, "expected %s, found the end of the expression", what);
        }
        mp_show(shown, sizeof shown, p->s + p->tpos, p->pos - p->tpos);
        return mp_err_at(p, p->tpos, "expected %s, found '%s'", what, shown);
    }
    return mp_next(p);
}

/* ---------------------------------------------------------------- parser */

static int mp_or(mp *p);

static int mp_num_operand(mp *p, int node, size_t pos)
{
    if (node >= 0 && m_is_bool(p->m, node)) {
        return mp_err_at(p, pos,
                         "a comparison or logical value is not a number (use it as the "
                         "condition of if(...))");
    }
    return node;
}

static int mp_bool_operand(mp *p, int node, size_t pos, const char *where)
{
    if (node >= 0 && !m_is_bool(p->m, node)) {
        return mp_err_at(p, pos, "%s needs a condition (a comparison such as x > 0), not a number",
                         where);
    }
    return node;
}

static int mp_check_depth(mp *p, int node, size_t pos)
{
    if (node >= 0 && p->m->nodes[node].depth > IVP_MODEL_MAX_DEPTH) {
        return mp_err_at(p, pos, "expression too deeply nested (more than %d levels)",
                         IVP_MODEL_MAX_DEPTH);
    }
    if (p->m->too_big) {
        return mp_err_at(p, pos, "model too large (more than %d expression nodes)",
                         IVP_MODEL_MAX_NODES);
    }
    return node;
}

/* An index expression as var + off: var -1 (constant), 0 (rule index) or 1 (sum index). */
typedef struct mp_aff {
    double ci, cj, c;
    int ok;
} mp_aff;

static mp_aff mp_affine(const ivp_model *m, int node)
{
    const mnode *n = &m->nodes[node];
    mp_aff r = {0, 0, 0, 1}, x, y;
    switch (n->op) {
    case M_NUM:
        r.c = n->num;
        return r;
    case M_IDX:
        if (n->var == 0) {
            r.ci = 1;
        } else {
            r.cj = 1;
        }
        return r;
    case M_NEG:
        x = mp_affine(m, n->a);
        r.ci = -x.ci;
        r.cj = -x.cj;
        r.c = -x.c;
        r.ok = x.ok;
        return r;
    case M_ADD:
    case M_SUB:
        x = mp_affine(m, n->a);
        y = mp_affine(m, n->b);
        if (n->op == M_SUB) {
            y.ci = -y.ci;
            y.cj = -y.cj;
            y.c = -y.c;
        }
        r.ci = x.ci + y.ci;
        r.cj = x.cj + y.cj;
        r.c = x.c + y.c;
        r.ok = x.ok && y.ok;
        return r;
    case M_MUL:
        x = mp_affine(m, n->a);
        y = mp_affine(m, n->b);
        if (x.ok && y.ok && x.ci == 0 && x.cj == 0) {
            r.ci = x.c * y.ci;
            r.cj = x.c * y.cj;
            r.c = x.c * y.c;
            return r;
        }
        if (x.ok && y.ok && y.ci == 0 && y.cj == 0) {
            r.ci = y.c * x.ci;
            r.cj = y.c * x.cj;
            r.c = y.c * x.c;
            return r;
        }
        r.ok = 0;
        return r;
    default:
        r.ok = 0;
        return r;
    }
}

static void mp_index_text(char *out, size_t size, const mp *p, int var, long off)
{
    const char *v = var == 0 ? p->rule_var : var == 1 ? p->sum_var : NULL;
    if (v == NULL) {
        snprintf(out, size, "%ld", off);
    } else if (off == 0) {
        snprintf(out, size, "%s", v);
    } else {
        snprintf(out, size, "%s%+ld", v, off);
    }
}

/* Parses "[" index "]" after a name; *var and *off describe the index. */
static int mp_index(mp *p, int *var, long *off, size_t *start)
{
    int node;
    size_t pos;
    mp_aff a;
    *start = p->tpos;
    if (mp_next(p) != 0) { /* '[' */
        return -1;
    }
    pos = p->tpos;
    node = mp_or(p);
    if (node < 0) {
        return -1;
    }
    a = mp_affine(p->m, node);
    if (!a.ok || (p->m->nodes[node].flags & MF_STATE) != 0 || m_is_bool(p->m, node)) {
        return mp_err_at(p, pos,
                         "an index must be an integer expression of the rule index, sum "
                         "indices and constants");
    }
    if (!((a.ci == 0 && a.cj == 0) || (a.ci == 1 && a.cj == 0) || (a.ci == 0 && a.cj == 1))) {
        return mp_err_at(p, pos,
                         "an index must be k, i+k or j+k (the rule index or a sum index, plus "
                         "an integer constant)");
    }
    if (a.c != floor(a.c) || fabs(a.c) > 1e15) {
        return mp_err_at(p, pos, "an index must be a whole number, got %.17g", a.c);
    }
    *var = a.ci == 1 ? 0 : a.cj == 1 ? 1 : -1;
    *off = (long)a.c;
    return mp_expect(p, ']', "']'");
}

/* A reference to state s with index (var, off), range-checked. */
static int mp_ref(mp *p, int s, int var, long off, size_t pos)
{
    const m_state *st = &p->m->st[s];
    char idx[96];
    long lo, hi;
    mp_index_text(idx, sizeof idx, p, var, off);
    if (var < 0) {
        lo = hi = off;
    } else if (var == 0) {
        if (p->imin > p->imax) {
            return m_leaf(p->m, M_ELEM, s, var, off); /* the rule covers no component */
        }
        lo = p->imin + off;
        hi = p->imax + off;
    } else {
        if ((p->sum_lov == 0 || p->sum_hiv == 0) && p->imin > p->imax) {
            return m_leaf(p->m, M_ELEM, s, var, off);
        }
        lo = (p->sum_lov == 0 ? p->imin : 0) + p->sum_lo + off;
        hi = (p->sum_hiv == 0 ? p->imax : 0) + p->sum_hi + off;
        if (p->sum_lov == p->sum_hiv && p->sum_lo > p->sum_hi) {
            lo = hi = 0; /* an empty sum reads nothing */
        }
    }
    if (lo < 0 || hi >= st->size) {
        long bad = lo < 0 ? lo : hi;
        if (var < 0) {
            return mp_err_at(p, pos, "index %s is out of range for %s[%ld] (0 to %ld)", idx,
                             st->name, st->size, st->size - 1);
        }
        if (var == 0) {
            return mp_err_at(p, pos,
                             "index %s is out of range for %s[%ld] at %s = %ld (it reads "
                             "component %ld): give an entry for that component",
                             idx, st->name, st->size, p->rule_var, lo < 0 ? p->imin : p->imax, bad);
        }
        return mp_err_at(p, pos, "index %s is out of range for %s[%ld] (it reaches component %ld)",
                         idx, st->name, st->size, bad);
    }
    return m_leaf(p->m, M_ELEM, s, var, off);
}

/* The arguments of a call, after the name: "(" a, b, ... ")". */
static int mp_args(mp *p, int *args, size_t want, const char *name, size_t name_pos)
{
    size_t k = 0;
    if (mp_next(p) != 0) { /* '(' */
        return -1;
    }
    if (p->tok == ')') {
        return mp_err_at(p, name_pos, "'%s' takes %zu argument%s, got 0", name, want,
                         want == 1 ? "" : "s");
    }
    for (;;) {
        size_t pos = p->tpos;
        int a = mp_or(p);
        if (a < 0) {
            return -1;
        }
        if (k < want) {
            args[k] = a;
        }
        k++;
        (void)pos;
        if (p->tok == ',') {
            if (mp_next(p) != 0) {
                return -1;
            }
            continue;
        }
        break;
    }
    if (k != want) {
        return mp_err_at(p, name_pos, "'%s' takes %zu argument%s, got %zu", name, want,
                         want == 1 ? "" : "s", k);
    }
    return mp_expect(p, ')', "')' or ','");
}

/* An integer bound of a sum: var (-1 or 0) + off. */
static int mp_bound(mp *p, int *var, long *off)
{
    size_t pos = p->tpos;
    int node = mp_or(p);
    mp_aff a;
    if (node < 0) {
        return -1;
    }
    a = mp_affine(p->m, node);
    if (!a.ok || (p->m->nodes[node].flags & MF_STATE) != 0 || m_is_bool(p->m, node) || a.cj != 0 ||
        !(a.ci == 0 || a.ci == 1) || a.c != floor(a.c) || fabs(a.c) > 1e15) {
        return mp_err_at(p, pos,
                         "a sum bound must be an integer constant, or the rule index plus one");
    }
    *var = a.ci == 1 ? 0 : -1;
    *off = (long)a.c;
    return 0;
}

static int mp_sum(mp *p, size_t name_pos)
{
    char var[MP_NAME_MAX + 1];
    int lov, hiv, body, kind, idx;
    long lo, hi;
    size_t pos;
    if (p->sum_var != NULL) {
        return mp_err_at(p, name_pos, "a sum inside a sum is not supported");
    }
    if (mp_next(p) != 0) { /* '(' */
        return -1;
    }
    if (p->tok != 'a') {
        return mp_err_at(p, p->tpos, "sum(j, a, b, expr) needs an index name first");
    }
    kind = mp_lookup(p, p->tname, &idx);
    if (kind != K_NONE) {
        return mp_err_at(p, p->tpos, "the sum index '%s' is already a name; choose another",
                         p->tname);
    }
    strcpy(var, p->tname);
    if (mp_next(p) != 0 || mp_expect(p, ',', "','") != 0 || mp_bound(p, &lov, &lo) != 0 ||
        mp_expect(p, ',', "','") != 0 || mp_bound(p, &hiv, &hi) != 0 ||
        mp_expect(p, ',', "','") != 0) {
        return -1;
    }
    p->sum_var = var;
    p->sum_lov = lov;
    p->sum_lo = lo;
    p->sum_hiv = hiv;
    p->sum_hi = hi;
    pos = p->tpos;
    body = mp_num_operand(p, mp_or(p), pos);
    p->sum_var = NULL;
    if (body < 0) {
        return -1;
    }
    if (p->tok == ',') {
        return mp_err_at(p, name_pos, "'sum' takes 4 arguments (j, a, b, expr), got more");
    }
    if (mp_expect(p, ')', "')'") != 0) {
        return -1;
    }
    return m_sum(p->m, body, lov, lo, hiv, hi);
}

static int mp_name(mp *p)
{
    char name[MP_NAME_MAX + 1], hint[96];
    size_t pos = p->tpos;
    int kind, idx, args[3], var = -1;
    long off = 0;
    size_t ipos;
    strcpy(name, p->tname);
    kind = mp_lookup(p, name, &idx);
    if (mp_next(p) != 0) {
        return -1;
    }
    if (p->consts_only && kind != K_CONST && kind != K_NONE) {
        return mp_err_at(p, pos, "an array size must be a whole number or a name from constants");
    }
    if (p->tok == '(' && kind != K_FN && kind != K_IF && kind != K_SUM) {
        if (kind == K_NONE) {
            mp_suggest(p->m, p, name, hint, sizeof hint);
            return mp_err_at(p, pos, "unknown function '%s'%s", name, hint);
        }
        return mp_err_at(p, pos, "'%s' is not a function", name);
    }
    if (p->tok == '[' && kind != K_STATE) {
        if (kind == K_NONE) {
            mp_suggest(p->m, p, name, hint, sizeof hint);
            return mp_err_at(p, pos, "unknown name '%s'%s", name, hint);
        }
        return mp_err_at(p, pos, "'%s' is not an array state", name);
    }
    switch (kind) {
    case K_CONST:
        return m_num(p->m, p->m->const_val[idx]);
    case K_PARAM:
        return m_leaf(p->m, M_PARAM, idx, -1, 0);
    case K_T:
        return m_leaf(p->m, M_T, 0, -1, 0);
    case K_RULE:
        return m_leaf(p->m, M_IDX, 0, 0, 0);
    case K_SUMVAR:
        return m_leaf(p->m, M_IDX, 0, 1, 0);
    case K_STATE:
        if (p->m->st[idx].scalar) {
            if (p->tok == '[') {
                return mp_err_at(p, p->tpos, "'%s' is not an array, so it takes no index", name);
            }
            return m_leaf(p->m, M_ELEM, idx, -1, 0);
        }
        if (p->tok != '[') {
            return mp_err_at(p, pos, "'%s' is an array of %ld: give an index, e.g. %s[%s]", name,
                             p->m->st[idx].size, name, p->rule_var != NULL ? p->rule_var : "0");
        }
        if (mp_index(p, &var, &off, &ipos) != 0) {
            return -1;
        }
        return mp_ref(p, idx, var, off, pos);
    case K_IF:
        if (p->tok != '(') {
            return mp_err_at(p, pos, "'if' is a function: if(condition, a, b)");
        }
        if (mp_args(p, args, 3, "if", pos) != 0) {
            return -1;
        }
        if (!m_is_bool(p->m, args[0])) {
            return mp_err_at(p, pos,
                             "the first argument of if must be a condition (x > 0, a == b && "
                             "c < d, ...)");
        }
        if (m_is_bool(p->m, args[1]) || m_is_bool(p->m, args[2])) {
            return mp_err_at(p, pos, "the values of if(c, a, b) must be numbers, not conditions");
        }
        return m_if(p->m, args[0], args[1], args[2]);
    case K_SUM:
        if (p->tok != '(') {
            return mp_err_at(p, pos, "'sum' is a function: sum(j, a, b, expr)");
        }
        return mp_sum(p, pos);
    case K_FN:
        if (p->tok != '(') {
            return mp_err_at(p, pos, "'%s' is a function: call it as %s(...)", name, name);
        }
        {
            size_t want = idx == -2 || idx >= F_ATAN2 ? 2 : 1;
            if (mp_args(p, args, want, name, pos) != 0) {
                return -1;
            }
            if (m_is_bool(p->m, args[0]) || (want == 2 && m_is_bool(p->m, args[1]))) {
                return mp_err_at(p, pos, "the arguments of '%s' must be numbers, not conditions",
                                 name);
            }
            if (idx == -2) {
                return m_bin(p->m, M_POW, args[0], args[1]);
            }
            return want == 1 ? m_fn1(p->m, idx, args[0]) : m_fn2(p->m, idx, args[0], args[1]);
        }
    default:
        mp_suggest(p->m, p, name, hint, sizeof hint);
        if (strcmp(name, p->rule_var != NULL ? "" : "i") == 0) {
            return mp_err_at(p, pos,
                             "unknown name 'i' (the index i exists only in an array rule such "
                             "as \"u[i]\")%s",
                             hint);
        }
        return mp_err_at(p, pos, "unknown name '%s'%s", name, hint);
    }
}

static int mp_primary(mp *p)
{
    int node;
    size_t pos = p->tpos;
    if (++p->depth > IVP_MODEL_MAX_DEPTH) {
        return mp_err_at(p, pos, "expression too deeply nested (more than %d levels)",
                         IVP_MODEL_MAX_DEPTH);
    }
    switch (p->tok) {
    case 'n':
        node = m_num(p->m, p->tnum);
        if (mp_next(p) != 0) {
            return -1;
        }
        break;
    case 'a':
        node = mp_name(p);
        break;
    case '(':
        if (mp_next(p) != 0) {
            return -1;
        }
        node = mp_or(p);
        if (node < 0 || mp_expect(p, ')', "')'") != 0) {
            return -1;
        }
        break;
    case 'e':
        return mp_err_at(p, pos, "expected a value, found the end of the expression");
    default: {
        char shown[64];
        mp_show(shown, sizeof shown, p->s + p->tpos, p->pos - p->tpos);
        return mp_err_at(p, pos, "expected a value, found '%s'", shown);
    }
    }
    p->depth--;
    return mp_check_depth(p, node, pos);
}

static int mp_unary(mp *p);

static int mp_pow(mp *p)
{
    size_t pos = p->tpos;
    int a = mp_primary(p), b;
    if (a < 0 || p->tok != '^') {
        return a;
    }
    if (mp_num_operand(p, a, pos) < 0 || mp_next(p) != 0) {
        return -1;
    }
    pos = p->tpos;
    b = mp_num_operand(p, mp_unary(p), pos);
    if (b < 0) {
        return -1;
    }
    return mp_check_depth(p, m_bin(p->m, M_POW, a, b), pos);
}

static int mp_unary(mp *p)
{
    size_t pos = p->tpos;
    int op = p->tok, a;
    if (op != '-' && op != '+' && op != '!') {
        return mp_pow(p);
    }
    if (++p->depth > IVP_MODEL_MAX_DEPTH) {
        return mp_err_at(p, pos, "expression too deeply nested (more than %d levels)",
                         IVP_MODEL_MAX_DEPTH);
    }
    if (mp_next(p) != 0) {
        return -1;
    }
    a = mp_unary(p);
    p->depth--;
    if (a < 0) {
        return -1;
    }
    if (op == '!') {
        if (mp_bool_operand(p, a, pos, "'!'") < 0) {
            return -1;
        }
        return mp_check_depth(p, m_un(p->m, M_NOT, a), pos);
    }
    if (mp_num_operand(p, a, pos) < 0) {
        return -1;
    }
    return op == '-' ? mp_check_depth(p, m_un(p->m, M_NEG, a), pos) : a;
}

static int mp_binary_chain(mp *p, int level);

/* level 0: + -, level 1: * / */
static int mp_binary_chain(mp *p, int level)
{
    size_t pos = p->tpos;
    int a = level == 0 ? mp_binary_chain(p, 1) : mp_unary(p), b, op;
    for (;;) {
        int tok = p->tok;
        if (a < 0) {
            return -1;
        }
        if (!(level == 0 ? (tok == '+' || tok == '-') : (tok == '*' || tok == '/'))) {
            return a;
        }
        if (mp_num_operand(p, a, pos) < 0 || mp_next(p) != 0) {
            return -1;
        }
        pos = p->tpos;
        b = mp_num_operand(p, level == 0 ? mp_binary_chain(p, 1) : mp_unary(p), pos);
        if (b < 0) {
            return -1;
        }
        op = tok == '+' ? M_ADD : tok == '-' ? M_SUB : tok == '*' ? M_MUL : M_DIV;
        a = mp_check_depth(p, m_bin(p->m, op, a, b), pos);
    }
}

static int mp_cmp(mp *p)
{
    size_t pos = p->tpos;
    int a = mp_binary_chain(p, 0), b, tok = p->tok, op;
    switch (tok) {
    case '<':
        op = M_LT;
        break;
    case '>':
        op = M_GT;
        break;
    case OP_LE:
        op = M_LE;
        break;
    case OP_GE:
        op = M_GE;
        break;
    case OP_EQ:
        op = M_EQ;
        break;
    case OP_NE:
        op = M_NE;
        break;
    default:
        return a;
    }
    if (a < 0 || mp_num_operand(p, a, pos) < 0 || mp_next(p) != 0) {
        return -1;
    }
    pos = p->tpos;
    b = mp_num_operand(p, mp_binary_chain(p, 0), pos);
    if (b < 0) {
        return -1;
    }
    if (p->tok == '<' || p->tok == '>' || p->tok == OP_LE || p->tok == OP_GE || p->tok == OP_EQ ||
        p->tok == OP_NE) {
        return mp_err_at(p, p->tpos, "comparisons do not chain: write a < b && b < c");
    }
    return mp_check_depth(p, m_bin(p->m, op, a, b), pos);
}

static int mp_logic(mp *p, int level)
{
    size_t pos = p->tpos;
    int a = level == 0 ? mp_logic(p, 1) : mp_cmp(p), b;
    int want = level == 0 ? OP_OR : OP_AND;
    while (a >= 0 && p->tok == want) {
        if (mp_bool_operand(p, a, pos, want == OP_OR ? "'||'" : "'&&'") < 0 || mp_next(p) != 0) {
            return -1;
        }
        pos = p->tpos;
        b = level == 0 ? mp_logic(p, 1) : mp_cmp(p);
        if (b < 0 || mp_bool_operand(p, b, pos, want == OP_OR ? "'||'" : "'&&'") < 0) {
            return -1;
        }
        a = mp_check_depth(p, m_bin(p->m, want == OP_OR ? M_OR : M_AND, a, b), pos);
    }
    return a;
}

static int mp_or(mp *p)
{
    return mp_logic(p, 0);
}

/* Parses a whole expression (a number, not a condition). */
static int mp_expr(mp *p, const char *s, size_t len, const char *path)
{
    int node;
    p->s = s;
    p->len = len;
    p->pos = 0;
    p->path = path;
    p->depth = 0;
    p->sum_var = NULL;
    if (len > IVP_MODEL_MAX_EXPR_CHARS) {
        return mp_err_at(p, 0, "expression too long (%zu characters, at most %d)", len,
                         IVP_MODEL_MAX_EXPR_CHARS);
    }
    if (memchr(s, '\0', len) != NULL) {
        return mp_err_at(p, (size_t)((const char *)memchr(s, '\0', len) - s),
                         "unexpected character '\\x00'");
    }
    if (mp_next(p) != 0) {
        return -1;
    }
    if (p->tok == 'e') {
        return mp_err_at(p, 0, "empty expression");
    }
    node = mp_or(p);
    if (node < 0) {
        return -1;
    }
    if (p->tok != 'e') {
        char shown[64];
        mp_show(shown, sizeof shown, p->s + p->tpos, p->pos - p->tpos);
        return mp_err_at(p, p->tpos, "unexpected '%s' after a complete expression", shown);
    }
    if (m_is_bool(p->m, node)) {
        return mp_err_at(p, 0,
                         "the expression is a condition, not a number (use if(condition, a, "
                         "b))");
    }
    if (p->m->oom) {
        if (p->err != NULL) {
            ivp_error_set(p->err, IVP_ERR_NOMEM, "%s: out of memory", path);
        }
        return -1;
    }
    return node;
}

/* ---------------------------------------------------------------- the model object */

static char *mp_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d != NULL) {
        memcpy(d, s, n);
    }
    return d;
}

static const char *mp_type(const cJSON *v)
{
    if (cJSON_IsString(v)) {
        return "a string";
    }
    if (cJSON_IsNumber(v)) {
        return "a number";
    }
    if (cJSON_IsArray(v)) {
        return "an array";
    }
    if (cJSON_IsObject(v)) {
        return "an object";
    }
    if (cJSON_IsBool(v)) {
        return "a boolean";
    }
    return "null";
}

/* A new declared name: an identifier, not taken, not a word of the language. */
static int mp_declare_ok(ivp_model *m, const char *name, const char *where, ivp_error *err)
{
    mp p;
    int idx, kind;
    char shown[64];
    memset(&p, 0, sizeof p);
    p.m = m;
    if (!mp_is_ident(name)) {
        mp_show(shown, sizeof shown, name, strlen(name));
        mp_fail(err, where,
                "'%s' is not a valid name (letters, digits and _, not starting with a digit, at "
                "most %d characters)",
                shown, MP_NAME_MAX);
        return -1;
    }
    kind = mp_lookup(&p, name, &idx);
    if (kind == K_STATE || kind == K_PARAM || kind == K_CONST) {
        mp_fail(err, where,
                "'%s' is declared twice (names of states, params and constants must "
                "differ)",
                name);
        return -1;
    }
    if (kind != K_NONE) {
        mp_fail(err, where, "'%s' is a word of the expression language; choose another name", name);
        return -1;
    }
    return 0;
}

static int mp_constants(ivp_model *m, const cJSON *v, const char *path, ivp_error *err)
{
    const cJSON *c;
    char where[MP_PATH_MAX];
    size_t n = (size_t)cJSON_GetArraySize(v), k = 0;
    if (!cJSON_IsObject(v)) {
        mp_fail(err, path, "must be an object of numbers, got %s", mp_type(v));
        return -1;
    }
    m->consts = calloc(n + 1, sizeof *m->consts);
    m->const_val = calloc(n + 1, sizeof *m->const_val);
    if (m->consts == NULL || m->const_val == NULL) {
        return -2;
    }
    cJSON_ArrayForEach(c, v)
    {
        mp_path(where, path, c->string);
        if (mp_declare_ok(m, c->string, where, err) != 0) {
            return -1;
        }
        if (!cJSON_IsNumber(c) || !isfinite(c->valuedouble)) {
            mp_fail(err, where, "must be a finite number, got %s", mp_type(c));
            return -1;
        }
        m->consts[k] = mp_strdup(c->string);
        if (m->consts[k] == NULL) {
            return -2;
        }
        m->const_val[k] = c->valuedouble;
        m->n_consts = ++k;
    }
    return 0;
}

static int mp_params(ivp_model *m, const cJSON *v, const char *path, ivp_error *err)
{
    const cJSON *c;
    char where[MP_PATH_MAX + 24];
    size_t n = (size_t)cJSON_GetArraySize(v), k = 0;
    if (!cJSON_IsArray(v)) {
        mp_fail(err, path, "must be an array of names, got %s", mp_type(v));
        return -1;
    }
    m->params = calloc(n + 1, sizeof *m->params);
    if (m->params == NULL) {
        return -2;
    }
    cJSON_ArrayForEach(c, v)
    {
        snprintf(where, sizeof where, "%s[%zu]", path, k);
        if (!cJSON_IsString(c)) {
            mp_fail(err, where, "must be a name (a string), got %s", mp_type(c));
            return -1;
        }
        if (mp_declare_ok(m, c->valuestring, where, err) != 0) {
            return -1;
        }
        m->params[k] = mp_strdup(c->valuestring);
        if (m->params[k] == NULL) {
            return -2;
        }
        m->n_params = ++k;
    }
    return 0;
}

/* "name" or "name[...]" of a key or declaration: the name, and the text inside the brackets
 * (start and length within s), or no brackets. -1 when malformed. */
static int mp_split_ref(const char *s, char *name, size_t *in_start, size_t *in_len, int *bracket)
{
    size_t k = 0, len = strlen(s);
    while (k < len && (isalnum((unsigned char)s[k]) || s[k] == '_')) {
        k++;
    }
    if (k == 0 || k > MP_NAME_MAX || isdigit((unsigned char)s[0])) {
        return -1;
    }
    memcpy(name, s, k);
    name[k] = '\0';
    *bracket = 0;
    if (k == len) {
        return 0;
    }
    if (s[k] != '[' || s[len - 1] != ']' || len < k + 3) {
        return -1;
    }
    *bracket = 1;
    *in_start = k + 1;
    *in_len = len - k - 2;
    return 0;
}

static int mp_states(ivp_model *m, const cJSON *v, const char *path, ivp_error *err)
{
    const cJSON *c;
    char where[MP_PATH_MAX + 24], name[MP_NAME_MAX + 1];
    size_t n = (size_t)cJSON_GetArraySize(v), k = 0, in_start = 0, in_len = 0;
    int bracket;
    double total = 0;
    if (!cJSON_IsArray(v) || n == 0) {
        mp_fail(err, path, "must be a non-empty array of state names (\"x\", \"u[N]\"), got %s",
                cJSON_IsArray(v) ? "an empty array" : mp_type(v));
        return -1;
    }
    m->st = calloc(n, sizeof *m->st);
    if (m->st == NULL) {
        return -2;
    }
    cJSON_ArrayForEach(c, v)
    {
        m_state *s = &m->st[k];
        snprintf(where, sizeof where, "%s[%zu]", path, k);
        if (!cJSON_IsString(c)) {
            mp_fail(err, where, "must be a state name (a string), got %s", mp_type(c));
            return -1;
        }
        if (mp_split_ref(c->valuestring, name, &in_start, &in_len, &bracket) != 0) {
            char shown[64];
            mp_show(shown, sizeof shown, c->valuestring, strlen(c->valuestring));
            mp_fail(err, where,
                    "'%s' is not a state declaration (a name, or name[N] for an "
                    "array)",
                    shown);
            return -1;
        }
        if (mp_declare_ok(m, name, where, err) != 0) {
            return -1;
        }
        s->rule = -1;
        s->size = 1;
        s->scalar = !bracket;
        if (bracket) {
            mp p;
            int node;
            memset(&p, 0, sizeof p);
            p.m = m;
            p.err = err;
            p.consts_only = 1;
            p.imin = 0;
            p.imax = -1;
            node = mp_expr(&p, c->valuestring + in_start, in_len, where);
            if (node < 0) {
                return -1;
            }
            if (m->nodes[node].op != M_NUM || m->nodes[node].num != floor(m->nodes[node].num) ||
                m->nodes[node].num < 1 || m->nodes[node].num > (double)IVP_MODEL_MAX_STATES) {
                mp_fail(err, where,
                        "the size of array '%s' must be a whole number from 1 to %ld, got %.17g",
                        name, IVP_MODEL_MAX_STATES,
                        m->nodes[node].op == M_NUM ? m->nodes[node].num : (double)NAN);
                return -1;
            }
            s->size = (long)m->nodes[node].num;
        }
        s->name = mp_strdup(name);
        s->over = malloc((size_t)s->size * sizeof *s->over);
        if (s->name == NULL || s->over == NULL) {
            free(s->name);
            free(s->over);
            s->name = NULL;
            s->over = NULL;
            return -2;
        }
        memset(s->over, 0xff, (size_t)s->size * sizeof *s->over); /* -1 */
        s->offset = (size_t)total;
        total += (double)s->size;
        if (total > (double)IVP_MODEL_MAX_STATES) {
            mp_fail(err, where, "too many state components (more than %ld)", IVP_MODEL_MAX_STATES);
            m->n_st = k + 1;
            return -1;
        }
        m->n_st = ++k;
    }
    m->n = (size_t)total;
    return 0;
}

/* The rhs keys: which state, rule or component. *s the state, *comp the component or -1 for a
 * rule (with its index name in rule_var). */
static int mp_rhs_key(ivp_model *m, const char *key, const char *where, int *s, long *comp,
                      char *rule_var, ivp_error *err)
{
    char name[MP_NAME_MAX + 1], hint[96], shown[64];
    size_t in_start = 0, in_len = 0, k;
    int bracket, kind, idx;
    mp p;
    memset(&p, 0, sizeof p);
    p.m = m;
    p.err = err;
    p.imin = 0;
    p.imax = -1;
    mp_show(shown, sizeof shown, key, strlen(key));
    if (mp_split_ref(key, name, &in_start, &in_len, &bracket) != 0) {
        mp_fail(err, where, "'%s' does not name a state (\"x\", \"u[i]\" or \"u[0]\")", shown);
        return -1;
    }
    for (k = 0; k < m->n_st && strcmp(m->st[k].name, name) != 0; k++) {
    }
    if (k == m->n_st) {
        mp_suggest(m, NULL, name, hint, sizeof hint);
        mp_fail(err, where, "'%s' is not a declared state%s", name, hint);
        return -1;
    }
    *s = (int)k;
    *comp = 0;
    rule_var[0] = '\0';
    if (m->st[k].scalar) {
        if (bracket) {
            mp_fail(err, where, "'%s' is not an array, so its entry takes no index", name);
            return -1;
        }
        return 0;
    }
    if (!bracket) {
        mp_fail(err, where,
                "'%s' is an array of %ld: give a rule \"%s[i]\" and/or entries for components "
                "such as \"%s[0]\"",
                name, m->st[k].size, name, name);
        return -1;
    }
    /* a rule: a single name that is not declared */
    {
        const char *in = key + in_start;
        size_t a = 0, b = in_len;
        while (a < b && in[a] == ' ') {
            a++;
        }
        while (b > a && in[b - 1] == ' ') {
            b--;
        }
        if (b > a && b - a <= MP_NAME_MAX) {
            char word[MP_NAME_MAX + 1];
            memcpy(word, in + a, b - a);
            word[b - a] = '\0';
            if (mp_is_ident(word)) {
                kind = mp_lookup(&p, word, &idx);
                if (kind == K_NONE) {
                    strcpy(rule_var, word);
                    *comp = -1;
                    return 0;
                }
                if (kind != K_CONST) {
                    mp_fail(err, where,
                            "the rule index '%s' is already a name; use a fresh name such as i",
                            word);
                    return -1;
                }
            }
        }
    }
    {
        int node = mp_expr(&p, key + in_start, in_len, where);
        if (node < 0) {
            return -1;
        }
        if (m->nodes[node].op != M_NUM || m->nodes[node].num != floor(m->nodes[node].num)) {
            mp_fail(err, where,
                    "the index of an entry must be a whole number, a constant expression, or "
                    "the rule index");
            return -1;
        }
        if (m->nodes[node].num < 0 || m->nodes[node].num >= (double)m->st[k].size) {
            mp_fail(err, where, "index %.17g is out of range for %s[%ld] (0 to %ld)",
                    m->nodes[node].num, name, m->st[k].size, m->st[k].size - 1);
            return -1;
        }
        *comp = (long)m->nodes[node].num;
    }
    return 0;
}

static int mp_value_text(const cJSON *c, const char *where, char *numbuf, const char **text,
                         ivp_error *err)
{
    if (cJSON_IsString(c)) {
        *text = c->valuestring;
        return 0;
    }
    if (cJSON_IsNumber(c) && isfinite(c->valuedouble)) {
        snprintf(numbuf, 40, "%.17g", c->valuedouble);
        *text = numbuf;
        return 0;
    }
    mp_fail(err, where, "must be an expression (a string) or a number, got %s", mp_type(c));
    return -1;
}

static int mp_rhs(ivp_model *m, const cJSON *v, const char *path, ivp_error *err)
{
    const cJSON *c;
    char where[MP_PATH_MAX], rule_var[MP_NAME_MAX + 1], numbuf[40], name[160];
    size_t k;
    int s;
    long comp;
    if (!cJSON_IsObject(v)) {
        mp_fail(err, path, "must be an object with one expression per state, got %s", mp_type(v));
        return -1;
    }
    /* pass 1: which entries exist (marked with node 0 for now) */
    cJSON_ArrayForEach(c, v)
    {
        mp_path(where, path, c->string);
        if (mp_rhs_key(m, c->string, where, &s, &comp, rule_var, err) != 0) {
            return -1;
        }
        if (comp < 0) {
            if (m->st[s].rule >= 0) {
                mp_fail(err, where, "a second rule for '%s'", m->st[s].name);
                return -1;
            }
            m->st[s].rule = 0;
        } else {
            if (m->st[s].over[comp] >= 0) {
                if (m->st[s].scalar) {
                    mp_fail(err, where, "a second entry for '%s'", m->st[s].name);
                } else {
                    mp_fail(err, where, "a second entry for %s[%ld]", m->st[s].name, comp);
                }
                return -1;
            }
            m->st[s].over[comp] = 0;
        }
    }
    for (k = 0; k < m->n_st; k++) {
        m_state *st = &m->st[k];
        long q;
        st->imin = 0;
        st->imax = -1;
        if (st->rule >= 0) {
            for (q = 0; q < st->size && st->over[q] >= 0; q++) {
            }
            st->imin = q;
            for (q = st->size - 1; q >= 0 && st->over[q] >= 0; q--) {
            }
            st->imax = q;
            continue;
        }
        for (q = 0; q < st->size; q++) {
            if (st->over[q] < 0) {
                if (st->scalar) {
                    mp_fail(err, path, "no entry for the state '%s'", st->name);
                } else {
                    mp_fail(err, path,
                            "no entry for %s[%ld] (give a rule \"%s[i]\" or an entry for every "
                            "component)",
                            st->name, q, st->name);
                }
                return -1;
            }
        }
    }
    /* pass 2: the expressions */
    cJSON_ArrayForEach(c, v)
    {
        mp p;
        const char *text;
        int node;
        mp_path(where, path, c->string);
        if (mp_rhs_key(m, c->string, where, &s, &comp, rule_var, err) != 0 ||
            mp_value_text(c, where, numbuf, &text, err) != 0) {
            return -1;
        }
        memset(&p, 0, sizeof p);
        p.m = m;
        p.err = err;
        p.imin = 0;
        p.imax = -1;
        if (comp < 0) {
            p.rule_var = rule_var;
            p.imin = m->st[s].imin;
            p.imax = m->st[s].imax;
        }
        node = mp_expr(&p, text, strlen(text), where);
        if (node < 0) {
            return err != NULL && err->status == IVP_ERR_NOMEM ? -2 : -1;
        }
        if (comp < 0) {
            m->st[s].rule = node;
        } else {
            m->st[s].over[comp] = node;
        }
    }
    (void)name;
    return 0;
}

static int mp_events(ivp_model *m, const cJSON *v, const char *path, ivp_error *err)
{
    const cJSON *c;
    char where[MP_PATH_MAX], numbuf[40];
    size_t n = (size_t)cJSON_GetArraySize(v), k = 0, q;
    if (!cJSON_IsObject(v)) {
        mp_fail(err, path, "must be an object of event name -> expression, got %s", mp_type(v));
        return -1;
    }
    m->events = calloc(n + 1, sizeof *m->events);
    m->event_expr = calloc(n + 1, sizeof *m->event_expr);
    if (m->events == NULL || m->event_expr == NULL) {
        return -2;
    }
    cJSON_ArrayForEach(c, v)
    {
        mp p;
        const char *text;
        int node;
        mp_path(where, path, c->string);
        if (!mp_is_ident(c->string)) {
            char shown[64];
            mp_show(shown, sizeof shown, c->string, strlen(c->string));
            mp_fail(err, where,
                    "'%s' is not a valid event name (a C identifier of at most %d "
                    "characters)",
                    shown, MP_NAME_MAX);
            return -1;
        }
        for (q = 0; q < k; q++) {
            if (strcmp(m->events[q], c->string) == 0) {
                mp_fail(err, where, "event '%s' given twice", c->string);
                return -1;
            }
        }
        if (mp_value_text(c, where, numbuf, &text, err) != 0) {
            return -1;
        }
        memset(&p, 0, sizeof p);
        p.m = m;
        p.err = err;
        p.imin = 0;
        p.imax = -1;
        node = mp_expr(&p, text, strlen(text), where);
        if (node < 0) {
            return err != NULL && err->status == IVP_ERR_NOMEM ? -2 : -1;
        }
        m->events[k] = mp_strdup(c->string);
        if (m->events[k] == NULL) {
            return -2;
        }
        m->event_expr[k] = node;
        m->n_events = ++k;
    }
    return 0;
}

/* ---------------------------------------------------------------- Jacobian rows, canonical */

static long mp_sum_len(const mnode *s, long i)
{
    long lo = (s->lov == 0 ? i : 0) + s->lo, hi = (s->hiv == 0 ? i : 0) + s->hi;
    return hi >= lo ? hi - lo + 1 : 0;
}

/* Terms of one row at rule index i (or of a fixed row, i unused). */
static double mp_row_terms(const ivp_model *m, const m_jrow *r, long i)
{
    double t = 0;
    size_t k, q;
    for (k = 0; k < r->n_cls; k++) {
        t += r->d[k] != 0;
    }
    for (k = 0; k < r->n_sums; k++) {
        size_t nz = 0;
        if (r->g[k] == 0) {
            continue;
        }
        for (q = 0; q < r->n_jcls[k]; q++) {
            nz += r->jd[k][q] != 0;
        }
        t += (double)nz * (double)mp_sum_len(&m->nodes[r->sum[k]], i);
    }
    return t;
}

static int mp_jacobian(ivp_model *m)
{
    size_t k;
    double terms = 0;
    m->scalar_jac = calloc(m->n_st, sizeof *m->scalar_jac);
    m->rule_jac = calloc(m->n_st, sizeof *m->rule_jac);
    m->over_jac = calloc(m->n_st, sizeof *m->over_jac);
    if (m->scalar_jac == NULL || m->rule_jac == NULL || m->over_jac == NULL) {
        return -2;
    }
    for (k = 0; k < m->n_st; k++) {
        m_state *st = &m->st[k];
        long q;
        m->scalar_jac[k].expr = -1;
        m->rule_jac[k].expr = -1;
        if (st->scalar) {
            if (m_jrow_build(m, st->over[0], &m->scalar_jac[k]) != 0) {
                return -2;
            }
            terms += mp_row_terms(m, &m->scalar_jac[k], 0);
            continue;
        }
        m->over_jac[k] = calloc((size_t)st->size, sizeof *m->over_jac[k]);
        if (m->over_jac[k] == NULL) {
            return -2;
        }
        for (q = 0; q < st->size; q++) {
            m->over_jac[k][q].expr = -1;
            if (st->over[q] >= 0) {
                if (m_jrow_build(m, st->over[q], &m->over_jac[k][q]) != 0) {
                    return -2;
                }
                terms += mp_row_terms(m, &m->over_jac[k][q], 0);
            }
        }
        if (st->rule >= 0 && st->imin <= st->imax) {
            if (m_jrow_build(m, st->rule, &m->rule_jac[k]) != 0) {
                return -2;
            }
            for (q = st->imin; q <= st->imax; q++) {
                if (st->over[q] < 0) {
                    terms += mp_row_terms(m, &m->rule_jac[k], q);
                }
            }
        }
        if (m->oom) {
            return -2;
        }
    }
    m->jac_terms = terms > 1e18 ? (size_t)1e18 : (size_t)terms;
    m->sparse = m->n > 64 && terms * 8 < (double)m->n * (double)m->n;
    return m->oom ? -2 : m->too_big ? -3 : 0;
}

static char *mp_canonical(const ivp_model *m)
{
    m_buf b = {NULL, 0, 0, 0};
    size_t k;
    long q;
    m_buf_add(&b, "states:");
    for (k = 0; k < m->n_st; k++) {
        m_buf_add(&b, k ? "," : "");
        m_buf_add(&b, m->st[k].name);
        if (!m->st[k].scalar) {
            m_buf_printf(&b, "[%ld]", m->st[k].size);
        }
    }
    m_buf_add(&b, ";params:");
    for (k = 0; k < m->n_params; k++) {
        m_buf_add(&b, k ? "," : "");
        m_buf_add(&b, m->params[k]);
    }
    m_buf_add(&b, ";rhs:");
    for (k = 0; k < m->n_st; k++) {
        const m_state *st = &m->st[k];
        if (st->rule >= 0 && st->imin <= st->imax) {
            m_buf_printf(&b, "%s[i]=", st->name);
            m_print(m, st->rule, &b);
            m_buf_add(&b, ";");
        }
        for (q = 0; q < st->size; q++) {
            if (st->over[q] >= 0) {
                m_buf_add(&b, st->name);
                if (!st->scalar) {
                    m_buf_printf(&b, "[%ld]", q);
                }
                m_buf_add(&b, "=");
                m_print(m, st->over[q], &b);
                m_buf_add(&b, ";");
            }
        }
    }
    m_buf_add(&b, "events:");
    for (k = 0; k < m->n_events; k++) {
        m_buf_printf(&b, "%s=", m->events[k]);
        m_print(m, m->event_expr[k], &b);
        m_buf_add(&b, ";");
    }
    if (b.failed) {
        free(b.p);
        return NULL;
    }
    return b.p;
}

/* ---------------------------------------------------------------- entry points */

static int mp_known_keys(const cJSON *v, const char *path, ivp_error *err)
{
    static const char *const keys[] = {"states", "params", "constants", "rhs", "events"};
    const cJSON *c;
    size_t k, d, best_d;
    const char *best;
    char where[MP_PATH_MAX], shown[64];
    cJSON_ArrayForEach(c, v)
    {
        best = NULL;
        best_d = 99;
        for (k = 0; k < sizeof keys / sizeof keys[0]; k++) {
            if (strcmp(c->string, keys[k]) == 0) {
                break;
            }
            d = mp_lev(c->string, keys[k]);
            if (d < best_d) {
                best_d = d;
                best = keys[k];
            }
        }
        if (k == sizeof keys / sizeof keys[0]) {
            mp_path(where, path, c->string);
            mp_show(shown, sizeof shown, c->string, strlen(c->string));
            if (best_d <= 2) {
                mp_fail(err, where, "unknown key '%s' (did you mean '%s'?)", shown, best);
            } else {
                mp_fail(err, where,
                        "unknown key '%s' (a model has states, params, constants, rhs and "
                        "events)",
                        shown);
            }
            return -1;
        }
    }
    return 0;
}

ivp_model *ivp_model_parse(const struct cJSON *model, const char *json_path, ivp_error *err)
{
    ivp_model *m;
    char where[MP_PATH_MAX];
    const cJSON *v;
    int r = 0;
    if (json_path == NULL) {
        json_path = "$.model";
    }
    if (err != NULL) {
        ivp_error_clear(err);
    }
    if (!cJSON_IsObject(model)) {
        mp_fail(err, json_path,
                "must be an object (states, params, constants, rhs, events), got "
                "%s",
                mp_type(model));
        return NULL;
    }
    if (mp_known_keys(model, json_path, err) != 0) {
        return NULL;
    }
    m = calloc(1, sizeof *m);
    if (m == NULL) {
        ivp_error_set(err, IVP_ERR_NOMEM, "%s: out of memory", json_path);
        return NULL;
    }
    /* nodes 0 and 1: the numbers 0 and 1 */
    m_num(m, 0.0);
    m_num(m, 1.0);
    if ((v = cJSON_GetObjectItemCaseSensitive(model, "constants")) != NULL) {
        mp_path(where, json_path, "constants");
        r = mp_constants(m, v, where, err);
    }
    if (r == 0 && (v = cJSON_GetObjectItemCaseSensitive(model, "params")) != NULL) {
        mp_path(where, json_path, "params");
        r = mp_params(m, v, where, err);
    }
    if (r == 0) {
        mp_path(where, json_path, "states");
        v = cJSON_GetObjectItemCaseSensitive(model, "states");
        if (v == NULL) {
            mp_fail(err, where, "required key missing");
            r = -1;
        } else {
            r = mp_states(m, v, where, err);
        }
    }
    if (r == 0) {
        mp_path(where, json_path, "rhs");
        v = cJSON_GetObjectItemCaseSensitive(model, "rhs");
        if (v == NULL) {
            mp_fail(err, where, "required key missing");
            r = -1;
        } else {
            r = mp_rhs(m, v, where, err);
        }
    }
    if (r == 0 && (v = cJSON_GetObjectItemCaseSensitive(model, "events")) != NULL) {
        mp_path(where, json_path, "events");
        r = mp_events(m, v, where, err);
    }
    if (r == 0) {
        r = mp_jacobian(m);
        if (r == -3) {
            mp_fail(err, json_path,
                    "model too large (its derivatives need more than %d "
                    "expression nodes)",
                    IVP_MODEL_MAX_NODES);
        }
    }
    if (r == 0) {
        m->canonical = mp_canonical(m);
        if (m->canonical == NULL) {
            r = -2;
        }
    }
    if (r == 0 && m->oom) {
        r = -2;
    }
    if (r != 0) {
        if (r == -2 || (err != NULL && err->status == IVP_OK)) {
            ivp_error_set(err, IVP_ERR_NOMEM, "%s: out of memory", json_path);
        }
        ivp_model_free(m);
        return NULL;
    }
    return m;
}

ivp_model *ivp_model_parse_text(const char *text, size_t len, const char *json_path, ivp_error *err)
{
    cJSON *root = cJSON_ParseWithLength(text, len);
    ivp_model *m;
    if (root == NULL) {
        ivp_error_set(err, IVP_ERR_SPEC, "%s: not valid JSON",
                      json_path != NULL ? json_path : "$.model");
        return NULL;
    }
    m = ivp_model_parse(root, json_path, err);
    cJSON_Delete(root);
    return m;
}

void ivp_model_free(ivp_model *m)
{
    size_t k;
    long q;
    if (m == NULL) {
        return;
    }
    for (k = 0; k < m->n_st; k++) {
        if (m->scalar_jac != NULL) {
            m_jrow_free(&m->scalar_jac[k]);
        }
        if (m->rule_jac != NULL) {
            m_jrow_free(&m->rule_jac[k]);
        }
        if (m->over_jac != NULL && m->over_jac[k] != NULL) {
            for (q = 0; q < m->st[k].size; q++) {
                m_jrow_free(&m->over_jac[k][q]);
            }
            free(m->over_jac[k]);
        }
        free(m->st[k].name);
        free(m->st[k].over);
    }
    free(m->scalar_jac);
    free(m->rule_jac);
    free(m->over_jac);
    free(m->st);
    for (k = 0; k < m->n_params; k++) {
        free(m->params[k]);
    }
    free(m->params);
    for (k = 0; k < m->n_consts; k++) {
        free(m->consts[k]);
    }
    free(m->consts);
    free(m->const_val);
    for (k = 0; k < m->n_events; k++) {
        free(m->events[k]);
    }
    free(m->events);
    free(m->event_expr);
    free(m->nodes);
    free(m->hash);
    free(m->memo);
    free(m->memo_stamp);
    free(m->canonical);
    free(m);
}

size_t ivp_model_dim(const ivp_model *m)
{
    return m->n;
}

int ivp_model_is_sparse(const ivp_model *m)
{
    return m->sparse;
}

size_t ivp_model_jac_terms(const ivp_model *m)
{
    return m->jac_terms;
}

const char *ivp_model_canonical(const ivp_model *m)
{
    return m->canonical;
}

size_t ivp_model_n_params(const ivp_model *m)
{
    return m->n_params;
}

const char *ivp_model_param_name(const ivp_model *m, size_t k)
{
    return k < m->n_params ? m->params[k] : NULL;
}

size_t ivp_model_n_events(const ivp_model *m)
{
    return m->n_events;
}

const char *ivp_model_event_name(const ivp_model *m, size_t k)
{
    return k < m->n_events ? m->events[k] : NULL;
}

const char *ivp_model_state_name(const ivp_model *m, size_t k, char *buf, size_t size)
{
    size_t s;
    buf[0] = '\0';
    for (s = 0; s < m->n_st; s++) {
        if (k >= m->st[s].offset && k < m->st[s].offset + (size_t)m->st[s].size) {
            if (m->st[s].scalar) {
                snprintf(buf, size, "%s", m->st[s].name);
            } else {
                snprintf(buf, size, "%s[%zu]", m->st[s].name, k - m->st[s].offset);
            }
            break;
        }
    }
    return buf;
}
