/* SPDX-License-Identifier: MIT
 * core/src/model/model_impl.h - the expression graph of an expression model (ivp/model.h),
 * shared by the parser (parse.c), the graph and its derivatives (expr.c) and the C generator
 * (codegen.c). Tests use it too.
 *
 * Expressions are nodes of one hash-consed graph: a node is made once, so equal subexpressions
 * are one node (common subexpressions for free), and the constructors simplify (constant
 * folding, 0 and 1 elimination). Nodes 0 and 1 are the numbers 0 and 1.
 *
 * State references are ELEM nodes: array, index variable and offset. Index variables: -1 none
 * (a constant index), 0 the rule index i of an array rule ("u[i]"), 1 the index of the sum
 * being summed (sums do not nest, so one variable is enough and equal sums are one node).
 * A scalar state is an array of one component indexed by the constant 0.
 */
#ifndef IVP_MODEL_IMPL_H
#define IVP_MODEL_IMPL_H

#include <stddef.h>

#include "ivp/model.h"

enum {
    M_NUM,   /* num */
    M_ELEM,  /* arr, var, off: y[offset(arr) + (var's value) + off] */
    M_PARAM, /* arr = parameter index */
    M_T,
    M_IDX, /* var: the value of an index variable, as a double */
    M_NEG,
    M_ADD,
    M_SUB,
    M_MUL,
    M_DIV,
    M_POW,
    M_FN1, /* fn(a) */
    M_FN2, /* fn(a, b) */
    M_IF,  /* a ? b : c (a is boolean) */
    M_SUM, /* sum over the index variable 1 from lo to hi (inclusive) of a */
    M_LT,  /* booleans from here on */
    M_LE,
    M_GT,
    M_GE,
    M_EQ,
    M_NE,
    M_AND,
    M_OR,
    M_NOT,
    M_SYM /* a placeholder variable (derivative with respect to a sum): arr = its id */
};

enum {
    F_EXP,
    F_LOG,
    F_LOG10,
    F_SQRT,
    F_CBRT,
    F_SIN,
    F_COS,
    F_TAN,
    F_ASIN,
    F_ACOS,
    F_ATAN,
    F_SINH,
    F_COSH,
    F_TANH,
    F_ABS,
    F_ATAN2, /* two arguments from here on */
    F_MIN,
    F_MAX,
    F_HYPOT,
    F_COUNT
};

/* Flags (dependencies), computed when a node is made. */
#define MF_STATE 1u /* reads a state */
#define MF_I 2u     /* uses the rule index */
#define MF_J 4u     /* uses the sum index */
#define MF_SUM 8u   /* contains a sum */
#define MF_SYM 16u  /* contains a placeholder */

typedef struct mnode {
    unsigned char op, fn, flags;
    int a, b, c;  /* children, -1 when absent */
    int arr, var; /* ELEM, PARAM, IDX, SYM */
    long off;     /* ELEM */
    int lov, hiv; /* SUM bounds: index variable (-1 or 0) ... */
    long lo, hi;  /* ... plus offset */
    double num;   /* NUM */
    int depth;    /* of the tree below, 1 for a leaf */
    int next;     /* hash chain */
} mnode;

/* A state: a scalar (size 1, scalar = 1) or an array. */
typedef struct m_state {
    char *name;
    long size;
    int scalar;
    size_t offset;   /* of component 0 in y */
    int rule;        /* the rule's node for an array ("u[i]"), else -1 */
    int *over;       /* size entries: the node of the entry for that component, else -1 */
    long imin, imax; /* smallest and largest component the rule covers (imin > imax: none) */
} m_state;

/* What a Jacobian term is a derivative with respect to: a state reference (arr, var, off) or a
 * sum (sum = its node, arr = -1). */
typedef struct m_class {
    int arr, var;
    long off;
    int sum;
} m_class;

/* The Jacobian of one rhs expression (a scalar row, an override row, or an array rule):
 * terms with respect to references that give one column per row (var -1 or 0), and per sum the
 * factor d rhs/d sum and the terms of its body with respect to references indexed by the sum's
 * variable (one column per summand). */
typedef struct m_jrow {
    int expr;
    size_t n_cls;
    m_class *cls; /* n_cls references */
    int *d;       /* their derivatives */
    size_t n_sums;
    int *sum;       /* sum nodes */
    int *g;         /* d expr / d sum */
    size_t *n_jcls; /* per sum: the number of its body references indexed by j ... */
    m_class **jcls; /* ... the references */
    int **jd;       /* ... and the body's derivatives */
} m_jrow;

struct ivp_model {
    mnode *nodes;
    int n_nodes, cap_nodes;
    int *hash; /* buckets, hash_cap entries (a power of two) */
    int hash_cap;
    int oom;     /* an allocation failed */
    int too_big; /* IVP_MODEL_MAX_NODES reached */
    /* derivative memo, per node: value and the stamp it belongs to */
    int *memo;
    unsigned *memo_stamp;
    unsigned stamp;

    m_state *st;
    size_t n_st;
    size_t n; /* components */
    char **params;
    size_t n_params;
    char **consts;
    double *const_val;
    size_t n_consts;
    char **events;
    int *event_expr;
    size_t n_events;

    /* Jacobian: one m_jrow per scalar state, per override and per array rule */
    m_jrow *scalar_jac; /* n_st entries (unused for arrays) */
    m_jrow *rule_jac;   /* n_st entries (used for arrays with a rule) */
    m_jrow **over_jac;  /* n_st entries: per array, size entries or NULL */
    size_t jac_terms;
    int sparse;

    char *canonical;
};

/* expr.c: the graph. Every constructor returns a node id; on allocation failure (m->oom) or at
 * the node limit (m->too_big) it returns 0 and the caller checks the flags at the end. */
int m_num(ivp_model *m, double x);
int m_leaf(ivp_model *m, int op, int arr, int var, long off);
int m_un(ivp_model *m, int op, int a);
int m_bin(ivp_model *m, int op, int a, int b);
int m_fn1(ivp_model *m, int fn, int a);
int m_fn2(ivp_model *m, int fn, int a, int b);
int m_if(ivp_model *m, int c, int a, int b);
int m_sum(ivp_model *m, int body, int lov, long lo, int hiv, long hi);
int m_is_bool(const ivp_model *m, int node);

/* The derivative of node with respect to the class (see m_class). */
int m_diff(ivp_model *m, int node, const m_class *wrt);

/* Collects the distinct state references (and, with sums != NULL, the sums) in node, outside
 * sum bodies unless inside_sums; a reference indexed by the sum variable is collected only with
 * jrefs. Arrays grow with realloc; returns 0, or -1 when out of memory. */
int m_collect(const ivp_model *m, int node, int inside_sums, m_class **refs, size_t *n_refs,
              int **sums, size_t *n_sums, int want_var1);

/* Evaluates node (a number or a boolean as 0/1) at (t, y, p) with rule index i and sum index j. */
double m_eval(const ivp_model *m, int node, double t, const double *y, const double *p, long i,
              long j);

/* Writes node in the canonical syntax into a growing buffer. */
typedef struct m_buf {
    char *p;
    size_t len, cap;
    int failed;
} m_buf;
void m_buf_add(m_buf *b, const char *s);
void m_buf_printf(m_buf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
void m_buf_num(m_buf *b, double x);
void m_print(const ivp_model *m, int node, m_buf *b);

extern const char *const m_fn_names[F_COUNT];

/* The Jacobian rows (parse.c builds them with this, expr.c) */
int m_jrow_build(ivp_model *m, int expr, m_jrow *row);
void m_jrow_free(m_jrow *row);

#endif /* IVP_MODEL_IMPL_H */
