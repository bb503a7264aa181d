/* SPDX-License-Identifier: MIT
 * core/src/problem.c - the JSON problem spec (contracts.md section 2): parse with cJSON, apply
 * --set overrides, validate strictly into an ivp_problem, and write the resolved spec back out.
 *
 * The only file that includes cJSON. The tree lives only inside ivp_problem_parse.
 * Every error is "<name>: $.path: what is wrong", or "<name>:LINE:COLUMN: syntax error ..." for
 * text that is not JSON. schemas/problem.schema.json says the same in JSON Schema, less the
 * cross-field checks listed in its "$comment".
 */
#define _POSIX_C_SOURCE 200809L /* strerror_r (XSI), before any system header */

#include "ivp/model.h"
#include "ivp/problem.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "numfmt.h"

/* Longest JSON path kept for messages; longer paths end in "...". */
#define SPEC_PATH_MAX 256
/* Largest integer accepted for counts and indices: 2^53 - 1, the last one a double (and so a
 * JSON number read by any parser) holds exactly. The schema says the same. */
#define SPEC_INT_MAX 9007199254740991.0
/* Largest "num" of a t_eval linspace (the schema says the same): 800 MB of output times. */
#define SPEC_LINSPACE_MAX 100000000.0

#if defined(__GNUC__)
#define SPEC_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define SPEC_PRINTF(f, a)
#endif

/* What a check needs to say where it is. */
typedef struct spec_ctx {
    const char *name;         /* the spec's name in messages */
    const char *base_dir;     /* folder a relative plugin path is joined to */
    ivp_error *err;           /* borrowed; may be NULL */
    char path[SPEC_PATH_MAX]; /* JSON path of the value being checked, "$.events.x" */
    size_t len;               /* strlen(path) */
    const char *nul_mark;     /* while looking for NULs: the UTF-8 of the character that
                                 stands for \u0000 (see spec_mask_nuls), shown as \u0000 in
                                 keys; else NULL */
} spec_ctx;

/* ---------------------------------------------------------------- small helpers */

static char *spec_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d != NULL) {
        memcpy(d, s, n);
    }
    return d;
}

/* The shortest of %.15g, %.16g, %.17g that reads back as d: what the user wrote, in messages,
 * and exactly d in the resolved spec. */
static const char *spec_num(double d, char buf[32])
{
    return ivp_numfmt_shortest(d, buf);
}

static const char *spec_type_name(const cJSON *v)
{
    if (cJSON_IsNull(v)) {
        return "null";
    }
    if (cJSON_IsBool(v)) {
        return cJSON_IsTrue(v) ? "true" : "false";
    }
    if (cJSON_IsNumber(v)) {
        return "a number";
    }
    if (cJSON_IsString(v)) {
        return "a string";
    }
    if (cJSON_IsArray(v)) {
        return "an array";
    }
    if (cJSON_IsObject(v)) {
        return "an object";
    }
    return "an invalid value";
}

/* ---------------------------------------------------------------- JSON paths and errors */

/* Appends to the path; on overflow the path ends in "..." and stays that way until popped. */
SPEC_PRINTF(2, 3)
static void spec_path_append(spec_ctx *c, const char *fmt, ...)
{
    size_t room = sizeof c->path - c->len;
    va_list ap;
    int k;
    va_start(ap, fmt);
    k = vsnprintf(c->path + c->len, room, fmt, ap);
    va_end(ap);
    if (k < 0 || (size_t)k >= room) {
        c->len = sizeof c->path - 1;
        memcpy(c->path + c->len - 3, "...", 3);
        c->path[c->len] = '\0';
    } else {
        c->len += (size_t)k;
    }
}

static int spec_is_identifier(const char *s)
{
    const char *q;
    if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || *s == '_')) {
        return 0;
    }
    for (q = s + 1; *q != '\0'; q++) {
        if (!((*q >= 'A' && *q <= 'Z') || (*q >= 'a' && *q <= 'z') || (*q >= '0' && *q <= '9') ||
              *q == '_')) {
            return 0;
        }
    }
    return 1;
}

/* Pushes an object key: ".name", or ["any \"key\""] when it is not a plain identifier.
 * Returns the mark to pop back to. */
static size_t spec_push_key(spec_ctx *c, const char *key)
{
    size_t mark = c->len;
    if (spec_is_identifier(key)) {
        spec_path_append(c, ".%s", key);
    } else {
        char esc[SPEC_PATH_MAX];
        size_t k = 0;
        const char *q;
        for (q = key; *q != '\0' && k + 7 < sizeof esc; q++) {
            unsigned char ch = (unsigned char)*q;
            if (c->nul_mark != NULL && strncmp(q, c->nul_mark, 3) == 0) {
                memcpy(esc + k, "\\u0000", 6);
                k += 6;
                q += 2;
            } else if (ch == '"' || ch == '\\') {
                esc[k++] = '\\';
                esc[k++] = (char)ch;
            } else if (ch < 0x20) {
                k += (size_t)snprintf(esc + k, sizeof esc - k, "\\u%04x", (unsigned)ch);
            } else {
                esc[k++] = (char)ch;
            }
        }
        esc[k] = '\0';
        spec_path_append(c, "[\"%s\"]", esc);
    }
    return mark;
}

static size_t spec_push_index(spec_ctx *c, size_t i)
{
    size_t mark = c->len;
    spec_path_append(c, "[%zu]", i);
    return mark;
}

static void spec_pop(spec_ctx *c, size_t mark)
{
    c->len = mark;
    c->path[mark] = '\0';
}

/* "<name>: <path>: <what>"; returns IVP_ERR_SPEC. */
SPEC_PRINTF(2, 3)
static ivp_status spec_fail(spec_ctx *c, const char *fmt, ...)
{
    char what[IVP_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return ivp_error_set(c->err, IVP_ERR_SPEC, "%s: %s: %s", c->name, c->path, what);
}

static ivp_status spec_nomem(spec_ctx *c)
{
    return ivp_error_set(c->err, IVP_ERR_NOMEM, "%s: out of memory", c->name);
}

/* ---------------------------------------------------------------- typed values */

/* A finite number. */
static ivp_status spec_number(spec_ctx *c, const cJSON *v, double *out)
{
    char b[32];
    if (!cJSON_IsNumber(v)) {
        return spec_fail(c, "must be a number, got %s", spec_type_name(v));
    }
    if (!isfinite(v->valuedouble)) {
        return spec_fail(c, "must be a finite number, got %s", spec_num(v->valuedouble, b));
    }
    *out = v->valuedouble;
    return IVP_OK;
}

/* An integral number in [lo, hi]. 'what' names the kind for messages ("an integer >= 1"). */
static ivp_status spec_integer(spec_ctx *c, const cJSON *v, double lo, double hi, const char *what,
                               double *out)
{
    char b[32];
    double d;
    if (!cJSON_IsNumber(v)) {
        return spec_fail(c, "must be %s, got %s", what, spec_type_name(v));
    }
    d = v->valuedouble;
    if (!isfinite(d) || d != floor(d) || d < lo || d > hi) {
        return spec_fail(c, "must be %s, got %s", what, spec_num(d, b));
    }
    *out = d;
    return IVP_OK;
}

/* An array of finite numbers; *out is a new array of *n values (NULL when empty). */
static ivp_status spec_number_array(spec_ctx *c, const cJSON *v, double **out, size_t *n)
{
    const cJSON *e;
    size_t i = 0, count;
    if (!cJSON_IsArray(v)) {
        return spec_fail(c, "must be an array of numbers, got %s", spec_type_name(v));
    }
    count = (size_t)cJSON_GetArraySize(v);
    *out = NULL;
    *n = 0;
    if (count == 0) {
        return IVP_OK;
    }
    *out = calloc(count, sizeof **out);
    if (*out == NULL) {
        return spec_nomem(c);
    }
    cJSON_ArrayForEach(e, v)
    {
        size_t mark = spec_push_index(c, i);
        ivp_status s = spec_number(c, e, &(*out)[i]);
        if (s != IVP_OK) {
            return s; /* the caller's struct owns *out and frees it */
        }
        spec_pop(c, mark);
        i++;
    }
    *n = count;
    return IVP_OK;
}

/* Unknown keys in an object are errors that list the valid ones. */
static ivp_status spec_known_keys(spec_ctx *c, const cJSON *obj, const char *const *keys)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, obj)
    {
        size_t k;
        for (k = 0; keys[k] != NULL; k++) {
            if (strcmp(e->string, keys[k]) == 0) {
                break;
            }
        }
        if (keys[k] == NULL) {
            char list[IVP_ERROR_MSG_MAX];
            size_t used = 0;
            list[0] = '\0';
            for (k = 0; keys[k] != NULL && used < sizeof list; k++) {
                int w = snprintf(list + used, sizeof list - used, "%s%s", k ? ", " : "", keys[k]);
                used += w > 0 ? (size_t)w : 0;
            }
            spec_push_key(c, e->string);
            return spec_fail(c, "unknown key; valid keys are %s", list);
        }
    }
    return IVP_OK;
}

/* ---------------------------------------------------------------- duplicate keys */

typedef struct spec_member {
    const char *key;
    size_t index; /* position in the object */
} spec_member;

static int spec_member_cmp(const void *x, const void *y)
{
    const spec_member *a = x, *b = y;
    int k = strcmp(a->key, b->key);
    if (k != 0) {
        return k;
    }
    return a->index < b->index ? -1 : (a->index > b->index);
}

/* Members an object may have before duplicates are found by sorting rather than by comparing
 * every pair. */
#define SPEC_DUP_SCAN_MAX 16

/* The first member of obj (in document order) whose key an earlier member already has, or
 * NULL. *status is IVP_ERR_NOMEM if the search could not be done. */
static const cJSON *spec_first_duplicate(const cJSON *obj, ivp_status *status)
{
    const cJSON *e, *f, *dup = NULL;
    size_t n = 0, i, first = (size_t)-1;
    spec_member *m;
    *status = IVP_OK;
    cJSON_ArrayForEach(e, obj)
    {
        n++;
    }
    if (n <= SPEC_DUP_SCAN_MAX) {
        cJSON_ArrayForEach(e, obj)
        {
            for (f = obj->child; f != e; f = f->next) {
                if (strcmp(f->string, e->string) == 0) {
                    return e;
                }
            }
        }
        return NULL;
    }
    m = calloc(n, sizeof *m);
    if (m == NULL) {
        *status = IVP_ERR_NOMEM;
        return NULL;
    }
    i = 0;
    cJSON_ArrayForEach(e, obj)
    {
        m[i].key = e->string;
        m[i].index = i;
        i++;
    }
    qsort(m, n, sizeof *m, spec_member_cmp);
    for (i = 1; i < n; i++) {
        if (strcmp(m[i].key, m[i - 1].key) == 0 && m[i].index < first) {
            first = m[i].index;
        }
    }
    free(m);
    if (first != (size_t)-1) {
        dup = obj->child;
        for (i = 0; i < first; i++) {
            dup = dup->next;
        }
    }
    return dup;
}

/* ---------------------------------------------------------------- NUL characters */

/* cJSON decodes "\u0000" inside a string to a NUL byte, which ends the C string: "bdf\u0000junk"
 * would be read as "bdf". No string of the spec may contain NUL, and the error must give the
 * JSON path, so before cJSON sees the text every \u0000 escape inside a string is replaced,
 * in place and with the same length, by the escape of a noncharacter (U+FDD0..U+FDEF) that
 * the text contains nowhere; after parsing, a string or key holding that character held a NUL
 * (spec_check_nuls). */
#define SPEC_MARK_FIRST 0xFDD0u
#define SPEC_MARK_COUNT 32u

static int spec_hex4(const char *h, unsigned *v)
{
    unsigned k, x = 0;
    for (k = 0; k < 4; k++) {
        char ch = h[k];
        x <<= 4;
        if (ch >= '0' && ch <= '9') {
            x |= (unsigned)(ch - '0');
        } else if (ch >= 'a' && ch <= 'f') {
            x |= (unsigned)(ch - 'a' + 10);
        } else if (ch >= 'A' && ch <= 'F') {
            x |= (unsigned)(ch - 'A' + 10);
        } else {
            return 0;
        }
    }
    *v = x;
    return 1;
}

/* Rewrites every escape \uXXXX of code point 'from' inside the strings of text as \uXXXX of
 * 'to' (upper-case hex), in place. */
static void spec_replace_escapes(char *text, size_t len, unsigned from, unsigned to)
{
    size_t i;
    int in_string = 0;
    for (i = 0; i < len; i++) {
        char ch = text[i];
        unsigned v;
        if (!in_string) {
            in_string = ch == '"';
        } else if (ch == '"') {
            in_string = 0;
        } else if (ch == '\\' && i + 1 < len) {
            if (text[i + 1] == 'u' && i + 5 < len && spec_hex4(text + i + 2, &v)) {
                if (v == from) {
                    char hex[5];
                    snprintf(hex, sizeof hex, "%04X", to);
                    memcpy(text + i + 2, hex, 4);
                }
                i += 5;
            } else {
                i++;
            }
        }
    }
}

/* Masks the \u0000 escapes of text (len bytes, NUL-terminated). Returns 0 when there are
 * none (text unchanged); 1 when they were replaced, with mark set to the UTF-8 (3 bytes and a
 * NUL) of the character that now stands for NUL; -1 when every candidate character occurs in
 * the text (text unchanged), with *first at the first escape. */
static int spec_mask_nuls(char *text, size_t len, char mark[4], size_t *first)
{
    unsigned long used = 0; /* bit j: U+FDD0 + j occurs in the text */
    size_t i, n_nul = 0;
    unsigned j, cp;
    int in_string = 0;
    for (i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)text[i];
        if (ch == 0xEF && i + 2 < len && (unsigned char)text[i + 1] == 0xB7 &&
            (unsigned char)text[i + 2] >= 0x90 && (unsigned char)text[i + 2] <= 0xAF) {
            used |= 1ul << ((unsigned char)text[i + 2] - 0x90);
        }
        if (!in_string) {
            in_string = ch == '"';
        } else if (ch == '"') {
            in_string = 0;
        } else if (ch == '\\' && i + 1 < len) {
            if (text[i + 1] == 'u' && i + 5 < len && spec_hex4(text + i + 2, &cp)) {
                if (cp == 0) {
                    if (n_nul++ == 0) {
                        *first = i;
                    }
                } else if (cp >= SPEC_MARK_FIRST && cp < SPEC_MARK_FIRST + SPEC_MARK_COUNT) {
                    used |= 1ul << (cp - SPEC_MARK_FIRST);
                }
                i += 5;
            } else {
                i++;
            }
        }
    }
    if (n_nul == 0) {
        return 0;
    }
    for (j = 0; j < SPEC_MARK_COUNT && (used & (1ul << j)) != 0; j++) {
    }
    if (j == SPEC_MARK_COUNT) {
        return -1;
    }
    cp = SPEC_MARK_FIRST + j;
    mark[0] = (char)0xEF;
    mark[1] = (char)0xB7;
    mark[2] = (char)(0x90 + j);
    mark[3] = '\0';
    spec_replace_escapes(text, len, 0, cp);
    return 1;
}

/* Fails at the first string or key (in document order) holding c->nul_mark. */
static ivp_status spec_check_nuls(spec_ctx *c, const cJSON *v)
{
    const cJSON *e;
    size_t i = 0;
    if (cJSON_IsString(v) && strstr(v->valuestring, c->nul_mark) != NULL) {
        return spec_fail(c, "strings must not contain a NUL character (\\u0000)");
    }
    for (e = v->child; e != NULL; e = e->next, i++) {
        size_t mark;
        ivp_status s;
        if (cJSON_IsObject(v)) {
            mark = spec_push_key(c, e->string);
            if (strstr(e->string, c->nul_mark) != NULL) {
                return spec_fail(c, "keys must not contain a NUL character (\\u0000)");
            }
        } else if (cJSON_IsString(e) || e->child != NULL) {
            mark = spec_push_index(c, i);
        } else {
            continue; /* numbers, booleans, null and empty containers hold no string */
        }
        s = spec_check_nuls(c, e);
        if (s != IVP_OK) {
            return s;
        }
        spec_pop(c, mark);
    }
    return IVP_OK;
}

/* Parses text (len bytes and a NUL, modified in place) as spec_mask_nuls says, and checks
 * the tree for NULs at the path in c. *root is NULL on a syntax error (with *end where cJSON
 * stopped) or when the text has NULs but no mark was free (*end at the first). */
static ivp_status spec_parse_text(spec_ctx *c, char *text, size_t len, cJSON **root,
                                  const char **end, int *unmaskable)
{
    char mark[4];
    size_t first = 0;
    int masked = spec_mask_nuls(text, len, mark, &first);
    ivp_status s = IVP_OK;
    *unmaskable = masked < 0;
    *root = NULL;
    *end = NULL;
    if (masked < 0) {
        *end = text + first;
        return IVP_OK;
    }
    *root = cJSON_ParseWithLengthOpts(text, len + 1, end, 1);
    if (*root == NULL && masked > 0) {
        /* the syntax error quotes the text as written */
        spec_replace_escapes(text, len, SPEC_MARK_FIRST + (unsigned char)mark[2] - 0x90u, 0);
    }
    if (*root != NULL && masked > 0) {
        c->nul_mark = mark;
        s = spec_check_nuls(c, *root);
        c->nul_mark = NULL;
    }
    return s;
}

/* cJSON keeps every member of an object, duplicates included; the spec allows none. */
static ivp_status spec_check_duplicates(spec_ctx *c, const cJSON *v)
{
    const cJSON *e;
    size_t i = 0;
    if (cJSON_IsObject(v)) {
        ivp_status s;
        const cJSON *dup = spec_first_duplicate(v, &s);
        if (s != IVP_OK) {
            return spec_nomem(c);
        }
        if (dup != NULL) {
            spec_push_key(c, dup->string);
            return spec_fail(c, "duplicate key");
        }
        cJSON_ArrayForEach(e, v)
        {
            size_t mark = spec_push_key(c, e->string);
            s = spec_check_duplicates(c, e);
            if (s != IVP_OK) {
                return s;
            }
            spec_pop(c, mark);
        }
    } else if (cJSON_IsArray(v)) {
        cJSON_ArrayForEach(e, v)
        {
            size_t mark;
            ivp_status s;
            if (e->child == NULL) {
                i++;
                continue; /* no object inside */
            }
            mark = spec_push_index(c, i++);
            s = spec_check_duplicates(c, e);
            if (s != IVP_OK) {
                return s;
            }
            spec_pop(c, mark);
        }
    }
    return IVP_OK;
}

/* ---------------------------------------------------------------- the keys, one check each */

static ivp_status spec_plugin(spec_ctx *c, const cJSON *v, ivp_problem *p)
{
    const char *s;
    size_t nb, ns;
    if (!cJSON_IsString(v)) {
        return spec_fail(c, "must be a string (a path), got %s", spec_type_name(v));
    }
    s = v->valuestring;
    if (s[0] == '\0') {
        return spec_fail(c, "must not be empty");
    }
    if (s[0] == '/') {
        p->plugin = spec_strdup(s);
        return p->plugin != NULL ? IVP_OK : spec_nomem(c);
    }
    /* Relative: "<base_dir>/<plugin>", so dlopen never searches the library path. */
    nb = strlen(c->base_dir);
    ns = strlen(s);
    p->plugin = malloc(nb + 1 + ns + 1);
    if (p->plugin == NULL) {
        return spec_nomem(c);
    }
    memcpy(p->plugin, c->base_dir, nb);
    if (nb > 0 && c->base_dir[nb - 1] != '/') {
        p->plugin[nb++] = '/';
    }
    memcpy(p->plugin + nb, s, ns + 1);
    return IVP_OK;
}

static ivp_status spec_t_span(spec_ctx *c, const cJSON *v, ivp_problem *p)
{
    double *ts = NULL;
    size_t n = 0;
    char b0[32], b1[32];
    ivp_status s;
    if (!cJSON_IsArray(v)) {
        return spec_fail(c, "must be an array of 2 numbers [t0, t_end], got %s", spec_type_name(v));
    }
    if (cJSON_GetArraySize(v) != 2) {
        return spec_fail(c, "must have exactly 2 elements [t0, t_end], got %d",
                         cJSON_GetArraySize(v));
    }
    s = spec_number_array(c, v, &ts, &n);
    if (s == IVP_OK) {
        p->t0 = ts[0];
        p->t_end = ts[1];
        if (p->t0 == p->t_end) {
            s = spec_fail(c, "the ends must differ, got [%s, %s]", spec_num(p->t0, b0),
                          spec_num(p->t_end, b1));
        } else if (!isfinite(p->t_end - p->t0)) {
            s = spec_fail(c, "t_end - t0 overflows, got [%s, %s]", spec_num(p->t0, b0),
                          spec_num(p->t_end, b1));
        }
    }
    free(ts);
    return s;
}

static ivp_status spec_y0(spec_ctx *c, const cJSON *v, ivp_problem *p)
{
    ivp_status s = spec_number_array(c, v, &p->y0, &p->n);
    if (s == IVP_OK && p->n == 0) {
        return spec_fail(c, "must not be empty");
    }
    return s;
}

static ivp_status spec_params(spec_ctx *c, const cJSON *v, ivp_problem *p)
{
    const cJSON *e;
    size_t i = 0, count;
    if (!cJSON_IsObject(v)) {
        return spec_fail(c, "must be an object {name: number}, got %s", spec_type_name(v));
    }
    count = (size_t)cJSON_GetArraySize(v);
    if (count == 0) {
        return IVP_OK;
    }
    p->param_names = calloc(count, sizeof *p->param_names);
    p->param_values = calloc(count, sizeof *p->param_values);
    if (p->param_names == NULL || p->param_values == NULL) {
        return spec_nomem(c);
    }
    cJSON_ArrayForEach(e, v)
    {
        size_t mark = spec_push_key(c, e->string);
        ivp_status s;
        if (e->string[0] == '\0') {
            return spec_fail(c, "parameter names must not be empty");
        }
        s = spec_number(c, e, &p->param_values[i]);
        if (s != IVP_OK) {
            return s;
        }
        p->param_names[i] = spec_strdup(e->string);
        if (p->param_names[i] == NULL) {
            return spec_nomem(c);
        }
        p->n_params = ++i; /* so ivp_problem_free sees every name made so far */
        spec_pop(c, mark);
    }
    return IVP_OK;
}

static ivp_status spec_method(spec_ctx *c, const cJSON *v, ivp_problem *p)
{
    const char *const *names = ivp_method_names();
    const char *canon;
    char list[128];
    size_t k, used = 0;
    if (!cJSON_IsString(v)) {
        return spec_fail(c, "must be a string (a method name), got %s", spec_type_name(v));
    }
    canon = ivp_method_canonical(v->valuestring);
    if (canon != NULL) {
        p->method = spec_strdup(canon);
        return p->method != NULL ? IVP_OK : spec_nomem(c);
    }
    list[0] = '\0';
    for (k = 0; names[k] != NULL && used < sizeof list; k++) {
        int w = snprintf(list + used, sizeof list - used, "%s%s", k ? ", " : "", names[k]);
        used += w > 0 ? (size_t)w : 0;
    }
    return spec_fail(c, "unknown method \"%.40s\"; valid methods are %s (case-insensitive)",
                     v->valuestring, list);
}

static ivp_status spec_rtol(spec_ctx *c, const cJSON *v, ivp_problem *p)
{
    char b[32];
    ivp_status s = spec_number(c, v, &p->rtol);
    if (s == IVP_OK && !(p->rtol > 0)) {
        return spec_fail(c, "must be > 0, got %s", spec_num(p->rtol, b));
    }
    return s;
}

static ivp_status spec_atol(spec_ctx *c, const cJSON *v, ivp_problem *p)
{
    char b[32];
    size_t i, n = 0;
    ivp_status s;
    if (cJSON_IsNumber(v)) {
        s = spec_number(c, v, &p->atol);
        if (s == IVP_OK && p->atol < 0) {
            return spec_fail(c, "must be >= 0, got %s", spec_num(p->atol, b));
        }
        return s;
    }
    if (!cJSON_IsArray(v)) {
        return spec_fail(c, "must be a number or an array of numbers, got %s", spec_type_name(v));
    }
    s = spec_number_array(c, v, &p->atol_vec, &n);
    if (s != IVP_OK) {
        return s;
    }
    for (i = 0; i < n; i++) {
        if (p->atol_vec[i] < 0) {
            spec_push_index(c, i);
            return spec_fail(c, "must be >= 0, got %s", spec_num(p->atol_vec[i], b));
        }
    }
    if (n != p->n) {
        return spec_fail(c, "must have one element per component of y0 (%zu), got %zu", p->n, n);
    }
    return IVP_OK;
}

/* Output times must lie in t_span and be strictly monotonic in the direction of integration.
 * 'linspace' says where they came from, for the messages. */
static ivp_status spec_check_times(spec_ctx *c, const ivp_problem *p, int linspace)
{
    double lo = fmin(p->t0, p->t_end), hi = fmax(p->t0, p->t_end);
    int forward = p->t_end > p->t0;
    char b0[32], b1[32], b2[32];
    size_t i;
    for (i = 0; i < p->n_t_eval; i++) {
        double t = p->t_eval[i];
        if (!(t >= lo && t <= hi)) {
            if (linspace) {
                return spec_fail(c, "point %s lies outside t_span [%s, %s]", spec_num(t, b0),
                                 spec_num(p->t0, b1), spec_num(p->t_end, b2));
            }
            spec_push_index(c, i);
            return spec_fail(c, "must lie inside t_span [%s, %s], got %s", spec_num(p->t0, b1),
                             spec_num(p->t_end, b2), spec_num(t, b0));
        }
        if (i > 0 && (forward ? !(t > p->t_eval[i - 1]) : !(t < p->t_eval[i - 1]))) {
            if (linspace) {
                return spec_fail(c,
                                 "points %zu and %zu (%s, %s) are not strictly %s, as t_span "
                                 "runs %s",
                                 i - 1, i, spec_num(p->t_eval[i - 1], b0), spec_num(t, b1),
                                 forward ? "increasing" : "decreasing",
                                 forward ? "forward" : "backward");
            }
            spec_push_index(c, i);
            return spec_fail(c,
                             "must be %s than the previous value %s (t_eval must be strictly "
                             "%s, as t_span runs %s), got %s",
                             forward ? "greater" : "less", spec_num(p->t_eval[i - 1], b1),
                             forward ? "increasing" : "decreasing",
                             forward ? "forward" : "backward", spec_num(t, b0));
        }
    }
    return IVP_OK;
}

/* numpy.linspace(a, b, num) (numpy 1.24, function_base.py), operation for operation:
 * step = (b - a)/(num - 1); y[i] = i*step + a (or (i/div)*delta + a when step underflows to 0);
 * the last point is exactly b. */
static void spec_linspace(double a, double b, size_t num, double *y)
{
    double delta = b - a;
    size_t i;
    if (num > 1) {
        double div = (double)(num - 1);
        double step = delta / div;
        for (i = 0; i < num; i++) {
            double yi = (double)i;
            if (step == 0) {
                yi = yi / div;
                yi = yi * delta;
            } else {
                yi = yi * step;
            }
            y[i] = yi + a;
        }
        y[num - 1] = b;
    } else {
        y[0] = 0.0 * delta + a;
    }
}

static ivp_status spec_t_eval(spec_ctx *c, const cJSON *v, ivp_problem *p)
{
    static const char *const keys[] = {"linspace", NULL};
    const cJSON *ls;
    double a = 0, b = 0, num = 0, lo = fmin(p->t0, p->t_end), hi = fmax(p->t0, p->t_end);
    char b0[32], b1[32], b2[32];
    size_t mark;
    ivp_status s;
    if (cJSON_IsArray(v)) {
        s = spec_number_array(c, v, &p->t_eval, &p->n_t_eval);
        if (s != IVP_OK) {
            return s;
        }
        if (p->n_t_eval == 0) {
            return spec_fail(c, "must not be empty (omit t_eval to output every step)");
        }
        return spec_check_times(c, p, 0);
    }
    if (!cJSON_IsObject(v)) {
        return spec_fail(c,
                         "must be an array of numbers or an object {\"linspace\": [a, b, num]}, "
                         "got %s",
                         spec_type_name(v));
    }
    s = spec_known_keys(c, v, keys);
    if (s != IVP_OK) {
        return s;
    }
    ls = cJSON_GetObjectItemCaseSensitive(v, "linspace");
    if (ls == NULL) {
        spec_push_key(c, "linspace");
        return spec_fail(c, "required key missing");
    }
    spec_push_key(c, "linspace");
    mark = c->len;
    if (!cJSON_IsArray(ls)) {
        return spec_fail(c, "must be an array [a, b, num], got %s", spec_type_name(ls));
    }
    if (cJSON_GetArraySize(ls) != 3) {
        return spec_fail(c, "must have exactly 3 elements [a, b, num], got %d",
                         cJSON_GetArraySize(ls));
    }
    spec_push_index(c, 0);
    s = spec_number(c, cJSON_GetArrayItem(ls, 0), &a);
    if (s == IVP_OK && !(a >= lo && a <= hi)) {
        s = spec_fail(c, "must lie inside t_span [%s, %s], got %s", spec_num(p->t0, b0),
                      spec_num(p->t_end, b1), spec_num(a, b2));
    }
    if (s != IVP_OK) {
        return s;
    }
    spec_pop(c, mark);
    spec_push_index(c, 1);
    s = spec_number(c, cJSON_GetArrayItem(ls, 1), &b);
    if (s == IVP_OK && !(b >= lo && b <= hi)) {
        s = spec_fail(c, "must lie inside t_span [%s, %s], got %s", spec_num(p->t0, b0),
                      spec_num(p->t_end, b1), spec_num(b, b2));
    }
    if (s != IVP_OK) {
        return s;
    }
    spec_pop(c, mark);
    spec_push_index(c, 2);
    s = spec_integer(c, cJSON_GetArrayItem(ls, 2), 1, SPEC_LINSPACE_MAX,
                     "an integer in [1, 100000000]", &num);
    if (s != IVP_OK) {
        return s;
    }
    spec_pop(c, mark);
    if (num > 1 && (p->t_end > p->t0 ? !(b > a) : !(b < a))) {
        return spec_fail(c,
                         "[a, b, num] with num > 1 must run the way t_span does (a %s b), got "
                         "a = %s, b = %s",
                         p->t_end > p->t0 ? "<" : ">", spec_num(a, b0), spec_num(b, b1));
    }
    p->t_eval = calloc((size_t)num, sizeof *p->t_eval);
    if (p->t_eval == NULL) {
        return spec_nomem(c);
    }
    p->n_t_eval = (size_t)num;
    p->t_eval_linspace = 1;
    spec_linspace(a, b, p->n_t_eval, p->t_eval);
    /* Points too close to be told apart in double precision are caught here. */
    return spec_check_times(c, p, 1);
}

static ivp_status spec_bool(spec_ctx *c, const cJSON *v, int *out)
{
    if (!cJSON_IsBool(v)) {
        return spec_fail(c, "must be a boolean (true or false), got %s", spec_type_name(v));
    }
    *out = cJSON_IsTrue(v) ? 1 : 0;
    return IVP_OK;
}

static ivp_status spec_dense_output(spec_ctx *c, const cJSON *v, ivp_problem *p)
{
    return spec_bool(c, v, &p->dense_output);
}

static ivp_status spec_one_event(spec_ctx *c, const cJSON *v, ivp_event_opts *o)
{
    static const char *const keys[] = {"terminal", "direction", NULL};
    const cJSON *e;
    char b[32];
    size_t mark;
    ivp_status s;
    o->terminal = 0;
    o->direction = 0;
    if (!cJSON_IsObject(v)) {
        return spec_fail(c, "must be an object {\"terminal\": ..., \"direction\": ...}, got %s",
                         spec_type_name(v));
    }
    s = spec_known_keys(c, v, keys);
    if (s != IVP_OK) {
        return s;
    }
    e = cJSON_GetObjectItemCaseSensitive(v, "terminal");
    if (e != NULL) {
        mark = spec_push_key(c, "terminal");
        if (cJSON_IsBool(e)) {
            o->terminal = cJSON_IsTrue(e) ? 1ul : 0ul;
        } else if (cJSON_IsNumber(e)) {
            double k = 0;
            s = spec_integer(c, e, 1, SPEC_INT_MAX,
                             "true, false or a positive integer (stop at that occurrence)", &k);
            if (s != IVP_OK) {
                return s;
            }
            o->terminal = (unsigned long)k;
        } else {
            return spec_fail(c, "must be a boolean or a positive integer, got %s",
                             spec_type_name(e));
        }
        spec_pop(c, mark);
    }
    e = cJSON_GetObjectItemCaseSensitive(v, "direction");
    if (e != NULL) {
        mark = spec_push_key(c, "direction");
        if (!cJSON_IsNumber(e)) {
            return spec_fail(c, "must be a number (-1, 0 or 1), got %s", spec_type_name(e));
        }
        if (e->valuedouble != -1 && e->valuedouble != 0 && e->valuedouble != 1) {
            return spec_fail(c, "must be -1, 0 or 1, got %s", spec_num(e->valuedouble, b));
        }
        o->direction = (int)e->valuedouble;
        spec_pop(c, mark);
    }
    return IVP_OK;
}

static ivp_status spec_events(spec_ctx *c, const cJSON *v, ivp_problem *p)
{
    const cJSON *e;
    size_t i = 0, count;
    if (!cJSON_IsObject(v)) {
        return spec_fail(c,
                         "must be an object {event name: {\"terminal\": ..., \"direction\": "
                         "...}}, got %s",
                         spec_type_name(v));
    }
    count = (size_t)cJSON_GetArraySize(v);
    if (count == 0) {
        return IVP_OK;
    }
    p->event_names = calloc(count, sizeof *p->event_names);
    p->event_opts = calloc(count, sizeof *p->event_opts);
    if (p->event_names == NULL || p->event_opts == NULL) {
        return spec_nomem(c);
    }
    cJSON_ArrayForEach(e, v)
    {
        size_t mark = spec_push_key(c, e->string);
        ivp_status s;
        if (e->string[0] == '\0') {
            return spec_fail(c, "event names must not be empty");
        }
        s = spec_one_event(c, e, &p->event_opts[i]);
        if (s != IVP_OK) {
            return s;
        }
        p->event_names[i] = spec_strdup(e->string);
        if (p->event_names[i] == NULL) {
            return spec_nomem(c);
        }
        p->n_event_specs = ++i;
        spec_pop(c, mark);
    }
    return IVP_OK;
}

static ivp_status spec_first_step(spec_ctx *c, const cJSON *v, ivp_problem *p)
{
    char b0[32], b1[32];
    double h = 0.0, span = fabs(p->t_end - p->t0);
    ivp_status s;
    if (cJSON_IsNull(v)) {
        p->first_step = 0;
        return IVP_OK;
    }
    if (!cJSON_IsNumber(v)) {
        return spec_fail(c, "must be null or a number, got %s", spec_type_name(v));
    }
    s = spec_number(c, v, &h);
    if (s != IVP_OK) {
        return s;
    }
    if (!(h > 0)) {
        return spec_fail(c, "must be > 0 (or null: automatic), got %s", spec_num(h, b0));
    }
    if (h > span) {
        return spec_fail(c, "must not exceed |t_span[1] - t_span[0]| = %s, got %s",
                         spec_num(span, b1), spec_num(h, b0));
    }
    p->first_step = h;
    return IVP_OK;
}

static ivp_status spec_max_step(spec_ctx *c, const cJSON *v, ivp_problem *p)
{
    char b[32];
    ivp_status s;
    if (cJSON_IsNull(v)) {
        p->max_step = HUGE_VAL;
        return IVP_OK;
    }
    if (!cJSON_IsNumber(v)) {
        return spec_fail(c, "must be null or a number, got %s", spec_type_name(v));
    }
    s = spec_number(c, v, &p->max_step);
    if (s == IVP_OK && !(p->max_step > 0)) {
        return spec_fail(c, "must be > 0 (or null: unlimited), got %s", spec_num(p->max_step, b));
    }
    return s;
}

static ivp_status spec_min_step(spec_ctx *c, const cJSON *v, ivp_problem *p)
{
    char b[32];
    ivp_status s = spec_number(c, v, &p->min_step);
    if (s == IVP_OK && p->min_step < 0) {
        return spec_fail(c, "must be >= 0, got %s", spec_num(p->min_step, b));
    }
    return s;
}

static ivp_status spec_max_steps(spec_ctx *c, const cJSON *v, ivp_problem *p)
{
    double k = 0.0;
    ivp_status s = spec_integer(c, v, 1, SPEC_INT_MAX, "an integer in [1, 2^53 - 1]", &k);
    if (s == IVP_OK) {
        p->max_steps = (unsigned long)k;
    }
    return s;
}

static ivp_status spec_jac(spec_ctx *c, const cJSON *v, ivp_problem *p)
{
    if (!cJSON_IsString(v)) {
        return spec_fail(c, "must be a string (\"plugin\" or \"fd\"), got %s", spec_type_name(v));
    }
    if (strcmp(v->valuestring, "plugin") == 0) {
        p->jac = IVP_JAC_PLUGIN;
    } else if (strcmp(v->valuestring, "fd") == 0) {
        p->jac = IVP_JAC_FD;
    } else {
        return spec_fail(c, "must be \"plugin\" or \"fd\", got \"%.40s\"", v->valuestring);
    }
    return IVP_OK;
}

/* One of the "rows"/"cols" arrays: non-negative integers below n. */
static ivp_status spec_index_array(spec_ctx *c, const cJSON *v, size_t n, size_t **out,
                                   size_t *count)
{
    const cJSON *e;
    size_t i = 0, m;
    char b[48];
    if (!cJSON_IsArray(v)) {
        return spec_fail(c, "must be an array of indices, got %s", spec_type_name(v));
    }
    m = (size_t)cJSON_GetArraySize(v);
    *count = m;
    if (m == 0) {
        return IVP_OK;
    }
    *out = calloc(m, sizeof **out);
    if (*out == NULL) {
        return spec_nomem(c);
    }
    snprintf(b, sizeof b, "an integer in [0, %zu) (an index into y0)", n);
    cJSON_ArrayForEach(e, v)
    {
        size_t mark = spec_push_index(c, i);
        double k = 0.0;
        ivp_status s = spec_integer(c, e, 0, SPEC_INT_MAX, "a non-negative integer", &k);
        if (s != IVP_OK) {
            return s;
        }
        if (k >= (double)n) {
            return spec_fail(c, "must be %s, got %zu", b, (size_t)k);
        }
        (*out)[i++] = (size_t)k;
        spec_pop(c, mark);
    }
    return IVP_OK;
}

typedef struct spec_pair {
    size_t row, col, index;
} spec_pair;

static int spec_pair_cmp(const void *x, const void *y)
{
    const spec_pair *a = x, *b = y;
    if (a->row != b->row) {
        return a->row < b->row ? -1 : 1;
    }
    if (a->col != b->col) {
        return a->col < b->col ? -1 : 1;
    }
    return a->index < b->index ? -1 : (a->index > b->index);
}

static ivp_status spec_jac_sparsity(spec_ctx *c, const cJSON *v, ivp_problem *p)
{
    static const char *const keys[] = {"rows", "cols", NULL};
    const cJSON *rows, *cols;
    size_t nr = 0, nc = 0, i, mark, dup = 0, dup_first = 0;
    spec_pair *pairs;
    int has_dup = 0;
    ivp_status s;
    if (cJSON_IsString(v)) {
        if (strcmp(v->valuestring, "plugin") != 0) {
            return spec_fail(c,
                             "must be \"plugin\" or an object {\"rows\": [...], \"cols\": "
                             "[...]}, got \"%.40s\"",
                             v->valuestring);
        }
        p->sparsity = IVP_SPARSITY_PLUGIN;
        return IVP_OK;
    }
    if (!cJSON_IsObject(v)) {
        return spec_fail(c,
                         "must be \"plugin\" or an object {\"rows\": [...], \"cols\": [...]}, "
                         "got %s",
                         spec_type_name(v));
    }
    s = spec_known_keys(c, v, keys);
    if (s != IVP_OK) {
        return s;
    }
    rows = cJSON_GetObjectItemCaseSensitive(v, "rows");
    cols = cJSON_GetObjectItemCaseSensitive(v, "cols");
    if (rows == NULL || cols == NULL) {
        spec_push_key(c, rows == NULL ? "rows" : "cols");
        return spec_fail(c, "required key missing");
    }
    mark = spec_push_key(c, "rows");
    s = spec_index_array(c, rows, p->n, &p->sp_rows, &nr);
    if (s != IVP_OK) {
        return s;
    }
    spec_pop(c, mark);
    spec_push_key(c, "cols");
    s = spec_index_array(c, cols, p->n, &p->sp_cols, &nc);
    if (s != IVP_OK) {
        return s;
    }
    if (nc != nr) {
        return spec_fail(c, "must have as many elements as rows (%zu), got %zu", nr, nc);
    }
    spec_pop(c, mark);
    p->sparsity = IVP_SPARSITY_SPEC;
    p->sp_nnz = nr;
    if (nr < 2) {
        return IVP_OK;
    }
    /* Each (row, col) at most once: sort a copy and compare neighbours. */
    pairs = calloc(nr, sizeof *pairs);
    if (pairs == NULL) {
        return spec_nomem(c);
    }
    for (i = 0; i < nr; i++) {
        pairs[i].row = p->sp_rows[i];
        pairs[i].col = p->sp_cols[i];
        pairs[i].index = i;
    }
    qsort(pairs, nr, sizeof *pairs, spec_pair_cmp);
    for (i = 1; i < nr; i++) {
        if (pairs[i].row == pairs[i - 1].row && pairs[i].col == pairs[i - 1].col &&
            (!has_dup || pairs[i].index < dup)) {
            has_dup = 1;
            dup = pairs[i].index;
            dup_first = pairs[i - 1].index;
        }
    }
    free(pairs);
    if (has_dup) {
        return spec_fail(c, "entry %zu (row %zu, col %zu) repeats entry %zu", dup, p->sp_rows[dup],
                         p->sp_cols[dup], dup_first);
    }
    return IVP_OK;
}

static ivp_status spec_band(spec_ctx *c, const cJSON *v, long *out)
{
    double k = 0.0;
    ivp_status s = spec_integer(c, v, 0, SPEC_INT_MAX, "a non-negative integer", &k);
    if (s == IVP_OK) {
        *out = (long)k;
    }
    return s;
}

static ivp_status spec_lband(spec_ctx *c, const cJSON *v, ivp_problem *p)
{
    return spec_band(c, v, &p->lband);
}

static ivp_status spec_uband(spec_ctx *c, const cJSON *v, ivp_problem *p)
{
    return spec_band(c, v, &p->uband);
}

static ivp_status spec_output(spec_ctx *c, const cJSON *v, ivp_problem *p)
{
    if (!cJSON_IsString(v)) {
        return spec_fail(c, "must be a string (a path), got %s", spec_type_name(v));
    }
    if (v->valuestring[0] == '\0') {
        return spec_fail(c, "must not be empty");
    }
    p->output = spec_strdup(v->valuestring);
    return p->output != NULL ? IVP_OK : spec_nomem(c);
}

/* ---------------------------------------------------------------- expression models */

/* "model" (contracts.md section 6): parsed and checked by ivp/model.h, errors at their path. */
static ivp_status spec_model(spec_ctx *c, const cJSON *v, ivp_problem *p)
{
    ivp_error e;
    ivp_error_clear(&e);
    p->model = ivp_model_parse(v, c->path, &e);
    if (p->model == NULL) {
        return ivp_error_set(c->err, e.status == IVP_OK ? IVP_ERR_SPEC : e.status, "%s: %s",
                             c->name, e.msg);
    }
    return IVP_OK;
}

/* Exactly one of "plugin" and "model". A model whose Jacobian is sparse gives its own pattern
 * (as "jac_sparsity": "plugin") unless the spec says otherwise. */
static ivp_status spec_model_finish(spec_ctx *c, ivp_problem *p)
{
    ivp_status s = IVP_OK;
    size_t mark;
    if (p->plugin == NULL && p->model == NULL) {
        mark = spec_push_key(c, "plugin");
        s = spec_fail(c, "required key missing (or give an expression \"model\")");
        spec_pop(c, mark);
    } else if (p->plugin != NULL && p->model != NULL) {
        mark = spec_push_key(c, "model");
        s = spec_fail(c, "give either \"plugin\" or \"model\", not both");
        spec_pop(c, mark);
    } else if (p->model != NULL && ivp_model_is_sparse(p->model) &&
               p->sparsity == IVP_SPARSITY_NONE && p->lband < 0 && p->uband < 0) {
        p->sparsity = IVP_SPARSITY_PLUGIN;
    }
    return s;
}

/* Default values written into the resolved spec for keys the spec leaves out. */
typedef enum spec_default {
    SPEC_NO_DEFAULT = 0, /* left out of the resolved spec too */
    SPEC_DEF_EMPTY_OBJECT,
    SPEC_DEF_METHOD,
    SPEC_DEF_RTOL,
    SPEC_DEF_ATOL,
    SPEC_DEF_FALSE,
    SPEC_DEF_NULL,
    SPEC_DEF_ZERO
} spec_default;

typedef struct spec_key {
    const char *name;
    int required;
    spec_default def;
    ivp_status (*check)(spec_ctx *c, const cJSON *v, ivp_problem *p);
} spec_key;

/* Checked in this order (later checks use t_span and y0), and the resolved spec is written in
 * this order too. */
static const spec_key spec_keys[] = {
    {"plugin", 0, SPEC_NO_DEFAULT, spec_plugin}, /* or "model": spec_model_finish */
    {"model", 0, SPEC_NO_DEFAULT, spec_model},
    {"t_span", 1, SPEC_NO_DEFAULT, spec_t_span},
    {"y0", 1, SPEC_NO_DEFAULT, spec_y0},
    {"params", 0, SPEC_DEF_EMPTY_OBJECT, spec_params},
    {"method", 0, SPEC_DEF_METHOD, spec_method},
    {"rtol", 0, SPEC_DEF_RTOL, spec_rtol},
    {"atol", 0, SPEC_DEF_ATOL, spec_atol},
    {"t_eval", 0, SPEC_NO_DEFAULT, spec_t_eval},
    {"dense_output", 0, SPEC_DEF_FALSE, spec_dense_output},
    {"events", 0, SPEC_DEF_EMPTY_OBJECT, spec_events},
    {"first_step", 0, SPEC_DEF_NULL, spec_first_step},
    {"max_step", 0, SPEC_DEF_NULL, spec_max_step},
    {"min_step", 0, SPEC_DEF_ZERO, spec_min_step},
    {"max_steps", 0, SPEC_NO_DEFAULT, spec_max_steps},
    {"jac", 0, SPEC_NO_DEFAULT, spec_jac},
    {"jac_sparsity", 0, SPEC_NO_DEFAULT, spec_jac_sparsity},
    {"lband", 0, SPEC_NO_DEFAULT, spec_lband},
    {"uband", 0, SPEC_NO_DEFAULT, spec_uband},
    {"output", 0, SPEC_NO_DEFAULT, spec_output},
};
#define SPEC_N_KEYS (sizeof spec_keys / sizeof spec_keys[0])

/* Keys whose (possibly large) arrays are held by the problem once checked: their cJSON nodes
 * are deleted at once, and the resolved spec is written from the problem's arrays. */
static int spec_key_is_array_data(const char *name, const ivp_problem *p)
{
    return strcmp(name, "y0") == 0 || (strcmp(name, "atol") == 0 && p->atol_vec != NULL) ||
           (strcmp(name, "t_eval") == 0 && p->t_eval != NULL && !p->t_eval_linspace) ||
           (strcmp(name, "jac_sparsity") == 0 && p->sparsity == IVP_SPARSITY_SPEC);
}

static ivp_status spec_validate(spec_ctx *c, cJSON *root, ivp_problem *p)
{
    const char *names[SPEC_N_KEYS + 1];
    size_t k;
    ivp_status s;
    for (k = 0; k < SPEC_N_KEYS; k++) {
        names[k] = spec_keys[k].name;
    }
    names[SPEC_N_KEYS] = NULL;
    s = spec_known_keys(c, root, names);
    if (s != IVP_OK) {
        return s;
    }
    for (k = 0; k < SPEC_N_KEYS; k++) {
        cJSON *v = cJSON_GetObjectItemCaseSensitive(root, spec_keys[k].name);
        size_t mark = spec_push_key(c, spec_keys[k].name);
        if (v == NULL) {
            if (spec_keys[k].required) {
                return spec_fail(c, "required key missing");
            }
        } else {
            s = spec_keys[k].check(c, v, p);
            if (s != IVP_OK) {
                return s;
            }
            if (spec_key_is_array_data(spec_keys[k].name, p)) {
                /* ~80 bytes per number in cJSON against 8 in the problem: free them now */
                cJSON_Delete(cJSON_DetachItemViaPointer(root, v));
            }
        }
        spec_pop(c, mark);
    }
    s = spec_model_finish(c, p);
    if (s != IVP_OK) {
        return s;
    }
    if (p->method == NULL) {
        p->method = spec_strdup("RK45");
        if (p->method == NULL) {
            return spec_nomem(c);
        }
    }
    return IVP_OK;
}

/* ---------------------------------------------------------------- the resolved spec */

static cJSON *spec_default_value(spec_default def)
{
    switch (def) {
    case SPEC_DEF_EMPTY_OBJECT:
        return cJSON_CreateObject();
    case SPEC_DEF_METHOD:
        return cJSON_CreateString("RK45");
    case SPEC_DEF_RTOL:
        return cJSON_CreateNumber(1e-3);
    case SPEC_DEF_ATOL:
        return cJSON_CreateNumber(1e-6);
    case SPEC_DEF_FALSE:
        return cJSON_CreateFalse();
    case SPEC_DEF_NULL:
        return cJSON_CreateNull();
    case SPEC_DEF_ZERO:
        return cJSON_CreateNumber(0);
    case SPEC_NO_DEFAULT:
        break;
    }
    return NULL;
}

/* events with both options spelled out: {"name": {"terminal": ..., "direction": ...}}. */
static cJSON *spec_resolved_events(const cJSON *events)
{
    cJSON *out = cJSON_CreateObject();
    const cJSON *e;
    if (out == NULL) {
        return NULL;
    }
    cJSON_ArrayForEach(e, events)
    {
        const cJSON *term = cJSON_GetObjectItemCaseSensitive(e, "terminal");
        const cJSON *dir = cJSON_GetObjectItemCaseSensitive(e, "direction");
        cJSON *ev = cJSON_CreateObject();
        cJSON *t = term != NULL ? cJSON_Duplicate(term, 1) : cJSON_CreateFalse();
        cJSON *d = cJSON_CreateNumber(dir != NULL ? dir->valuedouble : 0);
        if (ev == NULL || t == NULL || d == NULL) {
            cJSON_Delete(ev);
            cJSON_Delete(t);
            cJSON_Delete(d);
            cJSON_Delete(out);
            return NULL;
        }
        if (!cJSON_AddItemToObject(ev, "terminal", t)) {
            cJSON_Delete(t);
            d = NULL;
        } else if (!cJSON_AddItemToObject(ev, "direction", d)) {
            cJSON_Delete(d);
            d = NULL;
        }
        if (d == NULL || !cJSON_AddItemToObject(out, e->string, ev)) {
            cJSON_Delete(ev);
            cJSON_Delete(out);
            return NULL;
        }
    }
    return out;
}

/* cJSON 1.7.15 prints a number with 15 digits whenever that reads back within a relative
 * DBL_EPSILON, so 0.30000000000000004 would come out as 0.3. The resolved spec must give back
 * the same doubles, so each number becomes a raw node holding spec_num's exact text.
 * Returns 0, or -1 when out of memory. */
static int spec_exact_numbers(cJSON *v)
{
    cJSON *e;
    for (e = v->child; e != NULL; e = e->next) {
        if (cJSON_IsNumber(e)) {
            char buf[32];
            cJSON *raw = cJSON_CreateRaw(spec_num(e->valuedouble, buf));
            cJSON_bool ok;
            if (raw == NULL) {
                return -1;
            }
            /* the key moves over (both strings come from cJSON's allocator); a lookup by key
             * would make this quadratic in the size of the object */
            raw->string = e->string;
            e->string = NULL;
            ok = cJSON_ReplaceItemViaPointer(v, e, raw);
            if (!ok) {
                e->string = raw->string;
                raw->string = NULL;
                cJSON_Delete(raw);
                return -1;
            }
            e = raw;
        } else if (spec_exact_numbers(e) != 0) {
            return -1;
        }
    }
    return 0;
}

/* A growing text buffer; 'failed' sticks after an allocation failure. */
typedef struct spec_buf {
    char *p;
    size_t len, cap;
    int failed;
} spec_buf;

static void spec_buf_reserve(spec_buf *b, size_t more)
{
    char *q;
    size_t cap;
    if (b->failed || b->len + more + 1 <= b->cap) {
        return;
    }
    cap = b->cap < 256 ? 256 : b->cap;
    while (cap < b->len + more + 1) {
        if (cap > ((size_t)-1) / 2) {
            b->failed = 1;
            return;
        }
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

static void spec_buf_add(spec_buf *b, const char *text)
{
    size_t n = strlen(text);
    spec_buf_reserve(b, n);
    if (!b->failed) {
        memcpy(b->p + b->len, text, n + 1);
        b->len += n;
    }
}

/* [x0,x1,...] with spec_num's exact numbers. */
static void spec_buf_doubles(spec_buf *b, const double *x, size_t n)
{
    char num[32];
    size_t i;
    spec_buf_reserve(b, 25 * n + 2); /* %.17g is at most 24 characters */
    spec_buf_add(b, "[");
    for (i = 0; i < n; i++) {
        if (i > 0) {
            spec_buf_add(b, ",");
        }
        spec_buf_add(b, spec_num(x[i], num));
    }
    spec_buf_add(b, "]");
}

static void spec_buf_indices(spec_buf *b, const size_t *x, size_t n)
{
    char num[32];
    size_t i;
    spec_buf_reserve(b, 21 * n + 2);
    spec_buf_add(b, "[");
    for (i = 0; i < n; i++) {
        snprintf(num, sizeof num, i > 0 ? ",%zu" : "%zu", x[i]);
        spec_buf_add(b, num);
    }
    spec_buf_add(b, "]");
}

/* A small value (anything but the array data): cJSON's compact text with exact numbers. */
static void spec_buf_value(spec_buf *b, cJSON *r)
{
    char *text;
    if (r == NULL) {
        b->failed = 1;
        return;
    }
    if (cJSON_IsNumber(r)) {
        char num[32];
        spec_buf_add(b, spec_num(r->valuedouble, num));
        cJSON_Delete(r);
        return;
    }
    if (spec_exact_numbers(r) != 0) {
        b->failed = 1;
        cJSON_Delete(r);
        return;
    }
    text = cJSON_PrintUnformatted(r);
    cJSON_Delete(r);
    if (text == NULL) {
        b->failed = 1;
        return;
    }
    spec_buf_add(b, text);
    cJSON_free(text);
}

/* The validated spec, keys in spec_keys order, defaults filled in; NULL when out of memory.
 * Written straight into one buffer: arrays of data (y0, an atol array, a t_eval array,
 * jac_sparsity rows and cols) come from the problem, whose values they are exactly, at about
 * 20 bytes per number; the rest from the (small) cJSON values. */
static char *spec_resolved(const cJSON *root, const ivp_problem *p)
{
    spec_buf b = {NULL, 0, 0, 0};
    size_t k, n_keys = 0;
    spec_buf_add(&b, "{");
    for (k = 0; k < SPEC_N_KEYS && !b.failed; k++) {
        const char *name = spec_keys[k].name;
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, name);
        int data = spec_key_is_array_data(name, p);
        if (!data && v == NULL && strcmp(name, "method") != 0 &&
            spec_keys[k].def == SPEC_NO_DEFAULT) {
            continue;
        }
        spec_buf_add(&b, n_keys++ > 0 ? ",\"" : "\"");
        spec_buf_add(&b, name); /* the keys are plain identifiers */
        spec_buf_add(&b, "\":");
        if (strcmp(name, "y0") == 0) {
            spec_buf_doubles(&b, p->y0, p->n);
        } else if (data && strcmp(name, "atol") == 0) {
            spec_buf_doubles(&b, p->atol_vec, p->n);
        } else if (data && strcmp(name, "t_eval") == 0) {
            spec_buf_doubles(&b, p->t_eval, p->n_t_eval);
        } else if (data) { /* jac_sparsity */
            spec_buf_add(&b, "{\"rows\":");
            spec_buf_indices(&b, p->sp_rows, p->sp_nnz);
            spec_buf_add(&b, ",\"cols\":");
            spec_buf_indices(&b, p->sp_cols, p->sp_nnz);
            spec_buf_add(&b, "}");
        } else if (strcmp(name, "method") == 0) {
            spec_buf_value(&b, cJSON_CreateString(p->method));
        } else if (v != NULL && strcmp(name, "events") == 0) {
            spec_buf_value(&b, spec_resolved_events(v));
        } else if (v != NULL) {
            spec_buf_value(&b, cJSON_Duplicate(v, 1));
        } else {
            spec_buf_value(&b, spec_default_value(spec_keys[k].def));
        }
    }
    spec_buf_add(&b, "}");
    if (b.failed) {
        free(b.p);
        return NULL;
    }
    if (b.cap > b.len + 1 + 4096) {
        char *q = realloc(b.p, b.len + 1); /* give back the reserve */
        if (q != NULL) {
            b.p = q;
        }
    }
    return b.p;
}

/* ---------------------------------------------------------------- --set overrides */

/* Sets the dotted 'key' (modified in place) of root to value (owned: it joins the tree or is
 * deleted). Objects on the way are created; the last segment may end in an index, "y0[1]",
 * which replaces that element of an existing array. 'who' names the override in messages
 * ("--set 'y0[1]=2'"). */
static ivp_status spec_set_path(spec_ctx *c, cJSON *root, char *key, cJSON *value, const char *who)
{
    char *seg, *dot, *br = NULL;
    cJSON *node = root;
    ivp_status s = IVP_OK;
    size_t index = 0;
    for (seg = key;; seg = dot + 1) {
        dot = strchr(seg, '.');
        if (dot != NULL) {
            *dot = '\0';
        }
        if (seg[0] == '\0') {
            s = ivp_error_set(c->err, IVP_ERR_SPEC, "%s: %s: empty segment in the key (use a.b.c)",
                              c->name, who);
            goto done;
        }
        if (dot == NULL) {
            break;
        }
        {
            cJSON *child = cJSON_GetObjectItemCaseSensitive(node, seg);
            spec_push_key(c, seg);
            if (child == NULL) {
                child = cJSON_AddObjectToObject(node, seg);
                if (child == NULL) {
                    s = spec_nomem(c);
                    goto done;
                }
            } else if (!cJSON_IsObject(child)) {
                s = ivp_error_set(c->err, IVP_ERR_SPEC, "%s: %s: %s is %s, not an object", c->name,
                                  who, c->path, spec_type_name(child));
                goto done;
            }
            node = child;
        }
    }
    /* "name[i]": an element of an existing array */
    {
        size_t len = strlen(seg);
        if (len > 3 && seg[len - 1] == ']' && (br = strchr(seg, '[')) != NULL && br > seg) {
            const char *q;
            for (q = br + 1; q < seg + len - 1; q++) {
                if (*q < '0' || *q > '9' || index > 100000000) {
                    br = NULL;
                    break;
                }
                index = index * 10 + (size_t)(*q - '0');
            }
            if (br != NULL && br + 1 == seg + len - 1) {
                br = NULL; /* "name[]" */
            }
        } else {
            br = NULL;
        }
    }
    if (br != NULL) {
        cJSON *arr;
        *br = '\0';
        spec_push_key(c, seg);
        arr = cJSON_GetObjectItemCaseSensitive(node, seg);
        if (arr == NULL || !cJSON_IsArray(arr)) {
            s = ivp_error_set(c->err, IVP_ERR_SPEC, "%s: %s: %s is %s, not an array", c->name, who,
                              c->path, arr == NULL ? "absent" : spec_type_name(arr));
            goto done;
        }
        if (index >= (size_t)cJSON_GetArraySize(arr)) {
            s = ivp_error_set(c->err, IVP_ERR_SPEC, "%s: %s: %s has %d elements, no index %zu",
                              c->name, who, c->path, cJSON_GetArraySize(arr), index);
            goto done;
        }
        if (!cJSON_ReplaceItemInArray(arr, (int)index, value)) {
            s = spec_nomem(c);
            goto done;
        }
        value = NULL;
        goto done;
    }
    spec_push_key(c, seg);
    if (cJSON_GetObjectItemCaseSensitive(node, seg) != NULL) {
        if (!cJSON_ReplaceItemInObjectCaseSensitive(node, seg, value)) {
            s = spec_nomem(c);
            goto done;
        }
    } else if (!cJSON_AddItemToObject(node, seg, value)) {
        s = spec_nomem(c);
        goto done;
    }
    value = NULL; /* the tree owns it now */
done:
    cJSON_Delete(value);
    return s;
}

/* "KEY=VALUE": walks the dotted KEY from the root, creating objects on the way, and sets the
 * last segment to VALUE parsed as JSON (or VALUE as a string when it is not JSON). The last
 * segment may be an array element, "y0[1]=2.5". */
static ivp_status spec_apply_set(spec_ctx *c, cJSON *root, const char *set)
{
    const char *eq = strchr(set, '=');
    char *key = NULL, *who = NULL;
    cJSON *value = NULL;
    size_t klen;
    ivp_status s = IVP_OK;
    spec_pop(c, 0);
    spec_path_append(c, "$");
    if (eq == NULL) {
        return ivp_error_set(c->err, IVP_ERR_SPEC, "%s: --set '%s': expected KEY=VALUE", c->name,
                             set);
    }
    klen = (size_t)(eq - set);
    key = malloc(klen + 1);
    who = malloc(strlen(set) + 9);
    if (key == NULL || who == NULL) {
        s = spec_nomem(c);
        goto done;
    }
    memcpy(key, set, klen);
    key[klen] = '\0';
    sprintf(who, "--set '%s'", set);
    {
        /* the value's own errors are reported at the key's path */
        const char *q = key;
        while (*q != '\0') {
            const char *dot = strchr(q, '.');
            size_t sl = dot != NULL ? (size_t)(dot - q) : strlen(q);
            char seg[SPEC_PATH_MAX];
            if (sl >= sizeof seg) {
                sl = sizeof seg - 1;
            }
            memcpy(seg, q, sl);
            seg[sl] = '\0';
            spec_push_key(c, seg);
            q += dot != NULL ? sl + 1 : sl;
        }
    }
    {
        const char *text = eq + 1, *end = NULL;
        size_t vlen = strlen(text);
        char *vcopy = malloc(vlen + 1);
        int unmaskable = 0;
        if (vcopy == NULL) {
            s = spec_nomem(c);
            goto done;
        }
        memcpy(vcopy, text, vlen + 1);
        s = spec_parse_text(c, vcopy, vlen, &value, &end, &unmaskable);
        free(vcopy);
        if (s != IVP_OK) {
            goto done;
        }
        if (unmaskable) {
            s = ivp_error_set(c->err, IVP_ERR_SPEC,
                              "%s: --set '%s': strings must not contain a NUL character "
                              "(\\u0000)",
                              c->name, set);
            goto done;
        }
        if (value == NULL) {
            value = cJSON_CreateString(text);
            if (value == NULL) {
                s = spec_nomem(c);
                goto done;
            }
        }
    }
    s = spec_check_duplicates(c, value);
    if (s != IVP_OK) {
        goto done;
    }
    spec_pop(c, 0);
    spec_path_append(c, "$");
    s = spec_set_path(c, root, key, value, who);
    value = NULL; /* owned by spec_set_path */
done:
    cJSON_Delete(value);
    free(key);
    free(who);
    spec_pop(c, 0);
    return s;
}

/* ---------------------------------------------------------------- parse and load */

/* "<name>:LINE:COLUMN: syntax error near '...'" for the byte at offset pos; the column counts
 * characters (UTF-8 sequences), from 1. */
static ivp_status spec_syntax_error(const char *name, const char *text, size_t len, size_t pos,
                                    const char *why, ivp_error *err)
{
    size_t line = 1, col = 1, i, k = 0;
    char near[32];
    for (i = 0; i < pos && i < len; i++) {
        if (text[i] == '\n') {
            line++;
            col = 1;
        } else if (((unsigned char)text[i] & 0xC0) != 0x80) {
            col++;
        }
    }
    if (pos >= len) {
        return ivp_error_set(err, IVP_ERR_SPEC, "%s:%zu:%zu: syntax error near end of input%s",
                             name, line, col, why);
    }
    for (i = pos; i < len && k < 20 && text[i] != '\n' && text[i] != '\r'; i++) {
        unsigned char ch = (unsigned char)text[i];
        near[k++] = (ch < 0x20 || ch == 0x7f) ? '?' : (char)ch;
    }
    if (i < len && ((unsigned char)text[i] & 0xC0) == 0x80) {
        /* the snippet ends inside a UTF-8 sequence: drop that sequence's first bytes */
        while (k > 0 && ((unsigned char)near[k - 1] & 0xC0) == 0x80) {
            k--;
        }
        if (k > 0 && ((unsigned char)near[k - 1] & 0xC0) == 0xC0) {
            k--;
        }
    }
    near[k] = '\0';
    return ivp_error_set(err, IVP_ERR_SPEC, "%s:%zu:%zu: syntax error near '%s'%s", name, line, col,
                         near, why);
}

/* ivp_problem_parse on buf (len bytes and a NUL after them), which it owns: masked in place,
 * parsed, and freed as soon as cJSON has its tree, so the text and the tree of a large spec
 * are not held together with the problem's arrays. */
static ivp_status spec_ensemble(spec_ctx *c, const cJSON *pristine, const cJSON *ens,
                                const char *members, ivp_problem *p);
static void ens_free(ivp_ensemble *e);

static ivp_status spec_parse_owned(char *buf, size_t len, const char *name, const char *base_dir,
                                   const char *const *sets, size_t n_sets, const char *members,
                                   ivp_problem **out, ivp_error *err)
{
    cJSON *ens = NULL, *pristine = NULL; /* "ensemble", and the base spec before validation */
    spec_ctx ctx;
    ivp_problem *p = NULL;
    cJSON *root = NULL;
    const char *nul;
    ivp_status s = IVP_OK;
    size_t i;

    *out = NULL;
    ctx.name = name != NULL ? name : "<spec>";
    ctx.base_dir = base_dir != NULL ? base_dir : ".";
    ctx.err = err;
    ctx.len = 0;
    ctx.path[0] = '\0';
    ctx.nul_mark = NULL;

    if (len == 0) {
        free(buf);
        return ivp_error_set(err, IVP_ERR_SPEC,
                             "%s:1:1: syntax error near end of input (the input is empty)",
                             ctx.name);
    }
    nul = memchr(buf, '\0', len);
    if (nul != NULL) {
        s = spec_syntax_error(ctx.name, buf, len, (size_t)(nul - buf), " (a NUL byte)", err);
        free(buf);
        return s;
    }
    spec_path_append(&ctx, "$");
    {
        const char *end = NULL;
        int unmaskable = 0;
        /* "require NUL-terminated" rejects trailing garbage; nothing reads past len */
        s = spec_parse_text(&ctx, buf, len, &root, &end, &unmaskable);
        if (s == IVP_OK && root == NULL) {
            size_t pos = (end != NULL && end >= buf) ? (size_t)(end - buf) : 0;
            s = spec_syntax_error(ctx.name, buf, len, pos,
                                  unmaskable ? " (strings must not contain a NUL character)" : "",
                                  err);
        }
        free(buf);
        buf = NULL;
        if (s != IVP_OK) {
            goto done;
        }
    }
    s = spec_check_duplicates(&ctx, root);
    if (s != IVP_OK) {
        goto done;
    }
    if (!cJSON_IsObject(root)) {
        s = spec_fail(&ctx, "must be an object, got %s", spec_type_name(root));
        goto done;
    }
    for (i = 0; i < n_sets; i++) {
        s = spec_apply_set(&ctx, root, sets[i]);
        if (s != IVP_OK) {
            goto done;
        }
    }
    spec_pop(&ctx, 0);
    spec_path_append(&ctx, "$");
    ens = cJSON_DetachItemFromObjectCaseSensitive(root, "ensemble");
    if (ens != NULL || members != NULL) {
        pristine = cJSON_Duplicate(root, 1);
        if (pristine == NULL) {
            s = spec_nomem(&ctx);
            goto done;
        }
    }

    p = calloc(1, sizeof *p);
    if (p == NULL) {
        s = spec_nomem(&ctx);
        goto done;
    }
    p->rtol = 1e-3;
    p->atol = 1e-6;
    p->first_step = 0;
    p->max_step = HUGE_VAL;
    p->min_step = 0;
    p->max_steps = 0;
    p->jac = IVP_JAC_AUTO;
    p->sparsity = IVP_SPARSITY_NONE;
    p->lband = -1;
    p->uband = -1;
    s = spec_validate(&ctx, root, p);
    if (s != IVP_OK) {
        goto done;
    }
    p->resolved = spec_resolved(root, p);
    if (p->resolved == NULL) {
        s = spec_nomem(&ctx);
        goto done;
    }
    if (pristine != NULL) {
        cJSON_Delete(root); /* the base spec's tree is not needed by the members */
        root = NULL;
        s = spec_ensemble(&ctx, pristine, ens, members, p);
        if (s != IVP_OK) {
            goto done;
        }
    }
    *out = p;
    p = NULL;
done:
    ivp_problem_free(p);
    cJSON_Delete(root);
    cJSON_Delete(ens);
    cJSON_Delete(pristine);
    return s;
}

ivp_status ivp_problem_parse(const char *text, size_t len, const char *name, const char *base_dir,
                             const char *const *sets, size_t n_sets, ivp_problem **out,
                             ivp_error *err)
{
    char *copy;
    if (out == NULL || (text == NULL && len > 0) || (sets == NULL && n_sets > 0)) {
        return ivp_error_set(err, IVP_ERR_ARG, "ivp_problem_parse: NULL argument");
    }
    *out = NULL;
    /* cJSON gets its own NUL-terminated copy */
    copy = malloc(len + 1);
    if (copy == NULL) {
        return ivp_error_set(err, IVP_ERR_NOMEM, "%s: out of memory",
                             name != NULL ? name : "<spec>");
    }
    if (len > 0) {
        memcpy(copy, text, len);
    }
    copy[len] = '\0';
    return spec_parse_owned(copy, len, name, base_dir, sets, n_sets, NULL, out, err);
}

/* "<name>: cannot read: <reason>" for errno value e. */
static ivp_status spec_unreadable(const char *name, int e, ivp_error *err)
{
    char why[128];
    if (e == ENOMEM) {
        return ivp_error_set(err, IVP_ERR_NOMEM, "%s: out of memory", name);
    }
    if (strerror_r(e, why, sizeof why) != 0) {
        snprintf(why, sizeof why, "error %d", e);
    }
    return ivp_error_set(err, IVP_ERR_SPEC, "%s: cannot read: %s", name, why);
}

/* Reads all of f into a new buffer with a NUL after the *len bytes; returns 0, or an errno
 * value. A regular file is read into a buffer of its size (plus one byte to see the end). */
static int spec_read_all(FILE *f, char **buf, size_t *len)
{
    size_t cap = 4096, n = 0;
    struct stat st;
    char *b;
    if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
        (unsigned long long)st.st_size < ((size_t)-1) / 2) {
        cap = (size_t)st.st_size + 2;
    }
    b = malloc(cap);
    if (b == NULL) {
        return ENOMEM;
    }
    for (;;) {
        size_t got;
        if (n + 1 >= cap) {
            char *nb;
            if (cap > ((size_t)-1) / 2) {
                free(b);
                return ENOMEM;
            }
            nb = realloc(b, cap * 2);
            if (nb == NULL) {
                free(b);
                return ENOMEM;
            }
            b = nb;
            cap *= 2;
        }
        errno = 0;
        got = fread(b + n, 1, cap - 1 - n, f);
        n += got;
        if (got == 0) {
            if (ferror(f)) {
                int e = errno != 0 ? errno : EIO;
                free(b);
                return e;
            }
            break;
        }
    }
    b[n] = '\0';
    *buf = b;
    *len = n;
    return 0;
}

ivp_status ivp_problem_load(const char *path, const char *const *sets, size_t n_sets,
                            ivp_problem **out, ivp_error *err)
{
    return ivp_problem_load_members(path, sets, n_sets, NULL, out, err);
}

ivp_status ivp_problem_load_members(const char *path, const char *const *sets, size_t n_sets,
                                    const char *members, ivp_problem **out, ivp_error *err)
{
    FILE *f = NULL;
    char *text = NULL, *dir = NULL;
    const char *name, *slash;
    size_t len = 0;
    int e, from_stdin;
    ivp_status s;

    if (out == NULL || path == NULL) {
        return ivp_error_set(err, IVP_ERR_ARG, "ivp_problem_load: NULL argument");
    }
    *out = NULL;
    from_stdin = strcmp(path, "-") == 0;
    if (from_stdin) {
        name = "<stdin>";
        f = stdin;
    } else {
        name = path;
        errno = 0;
        f = fopen(path, "rb");
    }
    if (f == NULL) {
        e = errno != 0 ? errno : EIO;
        goto unreadable;
    }
    e = spec_read_all(f, &text, &len);
    if (!from_stdin) {
        fclose(f);
    }
    if (e != 0) {
        goto unreadable;
    }

    /* The plugin path is relative to the spec's folder: everything before the last '/'. */
    slash = from_stdin ? NULL : strrchr(path, '/');
    if (slash == NULL) {
        dir = spec_strdup(".");
    } else {
        size_t dl = slash == path ? 1 : (size_t)(slash - path);
        dir = malloc(dl + 1);
        if (dir != NULL) {
            memcpy(dir, path, dl);
            dir[dl] = '\0';
        }
    }
    if (dir == NULL) {
        free(text);
        return ivp_error_set(err, IVP_ERR_NOMEM, "%s: out of memory", name);
    }
    if (from_stdin && members != NULL && strcmp(members, "-") == 0) {
        free(text);
        free(dir);
        return ivp_error_set(err, IVP_ERR_SPEC,
                             "--members -: the spec already comes from standard input");
    }
    s = spec_parse_owned(text, len, name, dir, sets, n_sets, members, out, err); /* frees text */
    free(dir);
    return s;

unreadable:
    return spec_unreadable(name, e, err);
}

void ivp_problem_free(ivp_problem *p)
{
    size_t i;
    if (p == NULL) {
        return;
    }
    free(p->plugin);
    free(p->method);
    free(p->y0);
    if (p->param_names != NULL) {
        for (i = 0; i < p->n_params; i++) {
            free(p->param_names[i]);
        }
    }
    free(p->param_names);
    free(p->param_values);
    free(p->atol_vec);
    free(p->t_eval);
    if (p->event_names != NULL) {
        for (i = 0; i < p->n_event_specs; i++) {
            free(p->event_names[i]);
        }
    }
    free(p->event_names);
    free(p->event_opts);
    free(p->sp_rows);
    free(p->sp_cols);
    free(p->output);
    free(p->resolved);
    ens_free(p->ensemble);
    ivp_model_free(p->model);
    free(p);
}

/* ---------------------------------------------------------------- ensembles */

/* Most members an ensemble may have (the product of a grid is checked against it first). */
#define ENS_MAX_MEMBERS 1000000000.0

static const char ens_allowed[] = "params.<name>, y0, y0[i], t_span, t_span[i], rtol, atol, "
                                  "first_step, max_step, min_step, max_steps, t_eval";

/* One key of "grid" or "zip": its override path and its values (array items, or numbers). */
typedef struct ens_axis {
    const char *path;    /* the key (borrowed from the spec's tree) */
    const cJSON **items; /* len array items, or NULL when 'num' holds the values */
    double *num;         /* a linspace/logspace, expanded */
    size_t len;
} ens_axis;

typedef struct ens_build {
    spec_ctx *c;           /* the spec's context (name, base_dir, err) */
    const cJSON *pristine; /* the base spec's tree (with the --set overrides), unvalidated */
    const ivp_problem *base;
    ivp_ensemble *e;
    size_t cap_rows;
    size_t cap_pool, len_pool;
    size_t cap_teval, len_teval;
    size_t cap_ostart, cap_tstart;
    char name[IVP_ERROR_MSG_MAX / 2]; /* "spec.json: member 3" for the member's messages */
} ens_build;

/* The IVP_MEMBER_* bit of an override path; 0 with the error set when a member may not
 * override it. 'where' prefixes the message. */
static unsigned ens_path_bit(ens_build *b, const char *where, const char *path, ivp_status *s)
{
    static const struct {
        const char *name;
        unsigned bit;
        int indexed;
    } keys[] = {{"y0", IVP_MEMBER_Y0, 1},
                {"t_span", IVP_MEMBER_T_SPAN, 1},
                {"rtol", IVP_MEMBER_RTOL, 0},
                {"atol", IVP_MEMBER_ATOL, 0},
                {"first_step", IVP_MEMBER_FIRST_STEP, 0},
                {"max_step", IVP_MEMBER_MAX_STEP, 0},
                {"min_step", IVP_MEMBER_MIN_STEP, 0},
                {"max_steps", IVP_MEMBER_MAX_STEPS, 0},
                {"t_eval", IVP_MEMBER_T_EVAL, 0}};
    size_t i;
    *s = IVP_OK;
    if (strncmp(path, "params.", 7) == 0) {
        for (i = 0; i < b->base->n_params; i++) {
            if (strcmp(b->base->param_names[i], path + 7) == 0) {
                return IVP_MEMBER_PARAMS;
            }
        }
        *s = ivp_error_set(b->c->err, IVP_ERR_SPEC,
                           "%s: override '%s': '%s' is not a parameter of the base spec (a "
                           "member may only change the values of its params)",
                           where, path, path + 7);
        return 0;
    }
    for (i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        size_t nl = strlen(keys[i].name);
        if (strncmp(path, keys[i].name, nl) != 0) {
            continue;
        }
        if (path[nl] == '\0') {
            return keys[i].bit;
        }
        if (keys[i].indexed && path[nl] == '[') {
            const char *q = path + nl + 1;
            size_t idx = 0, limit = keys[i].bit == IVP_MEMBER_Y0 ? b->base->n : 2;
            int digits = 0;
            while (*q >= '0' && *q <= '9' && idx <= limit) {
                idx = idx * 10 + (size_t)(*q++ - '0');
                digits++;
            }
            if (digits > 0 && q[0] == ']' && q[1] == '\0') {
                if (idx < limit) {
                    return keys[i].bit;
                }
                *s = ivp_error_set(b->c->err, IVP_ERR_SPEC,
                                   "%s: override '%s': index out of range (%s has %zu elements)",
                                   where, path, keys[i].name, limit);
                return 0;
            }
        }
    }
    *s = ivp_error_set(b->c->err, IVP_ERR_SPEC,
                       "%s: override '%s': a member may not override this (it may override %s; "
                       "the structure - n, method, events, Jacobian, dense_output, plugin - is "
                       "the base spec's)",
                       where, path, ens_allowed);
    return 0;
}

/* Fixes the row layout for the fields in 'varies'. */
static void ens_layout(ens_build *b, unsigned varies)
{
    ivp_ensemble *e = b->e;
    size_t w = 0;
    e->varies = varies;
    if (varies & IVP_MEMBER_T_SPAN) {
        e->off_t_span = w;
        w += 2;
    }
    if (varies & IVP_MEMBER_Y0) {
        e->off_y0 = w;
        w += b->base->n;
    }
    if (varies & IVP_MEMBER_PARAMS) {
        e->off_params = w;
        w += b->base->n_params;
    }
    if (varies & IVP_MEMBER_RTOL) {
        e->off_rtol = w++;
    }
    if (varies & IVP_MEMBER_ATOL) {
        e->off_atol = w; /* [is_vector, atol or atol_vec[0..n)] */
        w += 1 + b->base->n;
    }
    if (varies & IVP_MEMBER_FIRST_STEP) {
        e->off_first_step = w++;
    }
    if (varies & IVP_MEMBER_MAX_STEP) {
        e->off_max_step = w++;
    }
    if (varies & IVP_MEMBER_MIN_STEP) {
        e->off_min_step = w++;
    }
    if (varies & IVP_MEMBER_MAX_STEPS) {
        e->off_max_steps = w++;
    }
    e->width = w;
}

/* Grows *p (elements of 'size' bytes, *cap of them) to hold at least 'need'. */
static int ens_grow(void **p, size_t *cap, size_t need, size_t size)
{
    size_t c = *cap < 16 ? 16 : *cap;
    void *q;
    if (need <= *cap) {
        return 0;
    }
    while (c < need) {
        if (c > ((size_t)-1) / 2 / size) {
            return -1;
        }
        c *= 2;
    }
    q = realloc(*p, c * size);
    if (q == NULL) {
        return -1;
    }
    *p = q;
    *cap = c;
    return 0;
}

static void spec_problem_init(ivp_problem *p)
{
    p->rtol = 1e-3;
    p->atol = 1e-6;
    p->max_step = HUGE_VAL;
    p->jac = IVP_JAC_AUTO;
    p->sparsity = IVP_SPARSITY_NONE;
    p->lband = -1;
    p->uband = -1;
}

/* Most overrides one member may have on the fast path (ens_fast_member). */
#define ENS_FAST_MAX 16

/* The fast path of ens_add_member, for the common member whose overrides are all numbers at
 * params.<name>, y0[i], rtol or atol (and whose ensemble varies nothing else): the base spec is
 * valid, so the member's spec can only fail on these values, and the checks the validator
 * applies to them (finite; rtol > 0; atol >= 0) are made here, in the validator's order, the
 * message coming from the validator's own check. The row and the overrides text
 * (cJSON_PrintUnformatted of exact numbers: {"key":number,...}) are the slow path's, byte for
 * byte. Returns 0 when the member needs the slow path (nothing is changed then), else 1 with
 * *s set. */
static int ens_fast_member(ens_build *b, const cJSON *ov, const char *where, ivp_status *s)
{
    const unsigned fast = IVP_MEMBER_PARAMS | IVP_MEMBER_Y0 | IVP_MEMBER_RTOL | IVP_MEMBER_ATOL;
    const ivp_problem *base = b->base;
    ivp_ensemble *e = b->e;
    const cJSON *item, *items[ENS_FAST_MAX];
    size_t rank[ENS_FAST_MAX], m = 0, i, j, k = e->n_members, tl = 2, bad = ENS_FAST_MAX;
    char num[ENS_FAST_MAX][32], *out;
    double *row;

    if ((e->varies & ~fast) != 0 || b->c->nul_mark != NULL) {
        return 0;
    }
    /* rank: the order in which the validator meets the value (y0, params, rtol, atol) */
    cJSON_ArrayForEach(item, ov)
    {
        const char *key = item->string, *q;
        size_t r = 0;
        if (m == ENS_FAST_MAX || !cJSON_IsNumber(item)) {
            return 0;
        }
        for (q = key; *q != '\0'; q++) {
            if ((unsigned char)*q < 0x20 || *q == '"' || *q == '\\') {
                return 0; /* cJSON would escape it */
            }
        }
        if (strncmp(key, "params.", 7) == 0) {
            for (j = 0; j < base->n_params && strcmp(base->param_names[j], key + 7) != 0; j++) {
            }
            if (j == base->n_params || (e->varies & IVP_MEMBER_PARAMS) == 0) {
                return 0;
            }
            r = base->n + j;
        } else if (strncmp(key, "y0[", 3) == 0) {
            for (q = key + 3, j = 0; *q >= '0' && *q <= '9' && j <= base->n; q++) {
                j = j * 10 + (size_t)(*q - '0');
            }
            if (q == key + 3 || q[0] != ']' || q[1] != '\0' || j >= base->n ||
                (e->varies & IVP_MEMBER_Y0) == 0) {
                return 0;
            }
            r = j;
        } else if (strcmp(key, "rtol") == 0 && (e->varies & IVP_MEMBER_RTOL) != 0) {
            r = base->n + base->n_params;
        } else if (strcmp(key, "atol") == 0 && (e->varies & IVP_MEMBER_ATOL) != 0) {
            r = base->n + base->n_params + 1;
        } else {
            return 0;
        }
        for (i = 0; i < m; i++) {
            if (rank[i] == r) {
                return 0; /* the same value twice ("y0[1]", "y0[01]"): the last one wins */
            }
        }
        {
            double d = item->valuedouble;
            int ok = isfinite(d) && (r != base->n + base->n_params || d > 0) &&
                     (r != base->n + base->n_params + 1 || d >= 0);
            if (!ok && (bad == ENS_FAST_MAX || r < rank[bad])) {
                bad = m;
            }
        }
        rank[m] = r;
        items[m] = item;
        tl += strlen(key) + 4 + strlen(spec_num(item->valuedouble, num[m]));
        m++;
    }
    if (bad != ENS_FAST_MAX) {
        /* the validator's own check, at the path the validator reports */
        spec_ctx mc = *b->c;
        ivp_problem scratch;
        size_t r = rank[bad];
        double d;
        memset(&scratch, 0, sizeof scratch);
        mc.name = where;
        mc.len = 0;
        mc.path[0] = '\0';
        spec_path_append(&mc, "$");
        if (r < base->n) {
            spec_push_key(&mc, "y0");
            spec_push_index(&mc, r);
            *s = spec_number(&mc, items[bad], &d);
        } else if (r < base->n + base->n_params) {
            spec_push_key(&mc, "params");
            spec_push_key(&mc, base->param_names[r - base->n]);
            *s = spec_number(&mc, items[bad], &d);
        } else if (r == base->n + base->n_params) {
            spec_push_key(&mc, "rtol");
            *s = spec_rtol(&mc, items[bad], &scratch);
        } else {
            spec_push_key(&mc, "atol");
            *s = spec_atol(&mc, items[bad], &scratch);
        }
        return *s != IVP_OK; /* (IVP_OK cannot happen; the slow path would then decide) */
    }
    if (ens_grow((void **)&e->table, &b->cap_rows, (k + 1) * (e->width > 0 ? e->width : 1),
                 sizeof *e->table) != 0 ||
        ens_grow((void **)&e->overrides_start, &b->cap_ostart, k + 2, sizeof *e->overrides_start) !=
            0 ||
        ens_grow((void **)&e->overrides_pool, &b->cap_pool, b->len_pool + tl + 1, 1) != 0) {
        *s = ivp_error_set(b->c->err, IVP_ERR_NOMEM, "%s: out of memory", where);
        return 1;
    }
    row = e->table + k * e->width;
    if (e->varies & IVP_MEMBER_Y0) {
        memcpy(row + e->off_y0, base->y0, base->n * sizeof *base->y0);
    }
    if (e->varies & IVP_MEMBER_PARAMS) {
        memcpy(row + e->off_params, base->param_values,
               base->n_params * sizeof *base->param_values);
    }
    if (e->varies & IVP_MEMBER_RTOL) {
        row[e->off_rtol] = base->rtol;
    }
    if (e->varies & IVP_MEMBER_ATOL) {
        row[e->off_atol] = base->atol_vec != NULL ? 1.0 : 0.0;
        for (i = 0; i < base->n; i++) {
            row[e->off_atol + 1 + i] = base->atol_vec != NULL ? base->atol_vec[i] : base->atol;
        }
    }
    if (k == 0) {
        e->overrides_start[0] = 0;
    }
    out = e->overrides_pool + b->len_pool;
    *out++ = '{';
    for (i = 0; i < m; i++) {
        size_t r = rank[i], kl = strlen(items[i]->string), nl = strlen(num[i]);
        double d = items[i]->valuedouble;
        if (r < base->n) {
            row[e->off_y0 + r] = d;
        } else if (r < base->n + base->n_params) {
            row[e->off_params + r - base->n] = d;
        } else if (r == base->n + base->n_params) {
            row[e->off_rtol] = d;
        } else {
            row[e->off_atol] = 0.0;
            for (j = 0; j < base->n; j++) {
                row[e->off_atol + 1 + j] = d;
            }
        }
        if (i > 0) {
            *out++ = ',';
        }
        *out++ = '"';
        memcpy(out, items[i]->string, kl);
        out += kl;
        *out++ = '"';
        *out++ = ':';
        memcpy(out, num[i], nl);
        out += nl;
    }
    *out++ = '}';
    *out++ = '\0';
    b->len_pool = (size_t)(out - e->overrides_pool);
    e->overrides_start[k + 1] = b->len_pool;
    e->n_members = k + 1;
    *s = IVP_OK;
    return 1;
}

/* Member k = the base spec with the overrides in 'ov' (an object {path: value}, consumed):
 * applied as --set applies them, validated as a spec, its varying fields stored. 'where' is how
 * the messages name the member ("spec.json: member 3", "members.csv:5: member 3"). */
static ivp_status ens_add_member(ens_build *b, cJSON *ov, const char *where)
{
    ivp_ensemble *e = b->e;
    spec_ctx mc;
    cJSON *tree = NULL, *item;
    ivp_problem *t = NULL;
    ivp_status s = IVP_OK;
    size_t k = e->n_members, i, j;
    double *row;
    char *text = NULL;

    if ((double)k >= ENS_MAX_MEMBERS) {
        s = ivp_error_set(b->c->err, IVP_ERR_SPEC, "%s: an ensemble has at most %.0f members",
                          where, ENS_MAX_MEMBERS);
        goto done;
    }
    if (ens_fast_member(b, ov, where, &s)) {
        goto done;
    }
    mc = *b->c;
    mc.name = where;
    mc.len = 0;
    mc.path[0] = '\0';
    spec_path_append(&mc, "$");
    tree = cJSON_Duplicate(b->pristine, 1);
    if (tree == NULL) {
        s = spec_nomem(&mc);
        goto done;
    }
    cJSON_ArrayForEach(item, ov)
    {
        char *key = spec_strdup(item->string), who[IVP_ERROR_MSG_MAX / 4];
        cJSON *val = cJSON_Duplicate(item, 1);
        if (key == NULL || val == NULL) {
            free(key);
            cJSON_Delete(val);
            s = spec_nomem(&mc);
            goto done;
        }
        snprintf(who, sizeof who, "override '%s'", item->string);
        s = spec_set_path(&mc, tree, key, val, who);
        free(key);
        spec_pop(&mc, 0);
        spec_path_append(&mc, "$");
        if (s != IVP_OK) {
            goto done;
        }
    }
    t = calloc(1, sizeof *t);
    if (t == NULL) {
        s = spec_nomem(&mc);
        goto done;
    }
    spec_problem_init(t);
    s = spec_validate(&mc, tree, t);
    if (s != IVP_OK) {
        goto done;
    }
    if (t->n != b->base->n) {
        s = ivp_error_set(b->c->err, IVP_ERR_SPEC,
                          "%s: $.y0: a member must keep the base spec's %zu states, got %zu", where,
                          b->base->n, t->n);
        goto done;
    }
    if (ens_grow((void **)&e->table, &b->cap_rows, (k + 1) * (e->width > 0 ? e->width : 1),
                 sizeof *e->table) != 0) {
        s = spec_nomem(&mc);
        goto done;
    }
    row = e->table + k * e->width;
    if (e->varies & IVP_MEMBER_T_SPAN) {
        row[e->off_t_span] = t->t0;
        row[e->off_t_span + 1] = t->t_end;
    }
    if (e->varies & IVP_MEMBER_Y0) {
        memcpy(row + e->off_y0, t->y0, t->n * sizeof *t->y0);
    }
    if (e->varies & IVP_MEMBER_PARAMS) {
        for (i = 0; i < b->base->n_params; i++) {
            for (j = 0; j < t->n_params; j++) {
                if (strcmp(t->param_names[j], b->base->param_names[i]) == 0) {
                    row[e->off_params + i] = t->param_values[j];
                }
            }
        }
    }
    if (e->varies & IVP_MEMBER_RTOL) {
        row[e->off_rtol] = t->rtol;
    }
    if (e->varies & IVP_MEMBER_ATOL) {
        row[e->off_atol] = t->atol_vec != NULL ? 1.0 : 0.0;
        if (t->atol_vec != NULL) {
            memcpy(row + e->off_atol + 1, t->atol_vec, t->n * sizeof *t->atol_vec);
        } else {
            for (i = 0; i < t->n; i++) {
                row[e->off_atol + 1 + i] = t->atol;
            }
        }
    }
    if (e->varies & IVP_MEMBER_FIRST_STEP) {
        row[e->off_first_step] = t->first_step;
    }
    if (e->varies & IVP_MEMBER_MAX_STEP) {
        row[e->off_max_step] = t->max_step;
    }
    if (e->varies & IVP_MEMBER_MIN_STEP) {
        row[e->off_min_step] = t->min_step;
    }
    if (e->varies & IVP_MEMBER_MAX_STEPS) {
        row[e->off_max_steps] = (double)t->max_steps;
    }
    if (e->varies & IVP_MEMBER_T_EVAL) {
        size_t n0 = k > 0 ? e->t_eval_start[1] - e->t_eval_start[0] : 0;
        if (ens_grow((void **)&e->t_eval_pool, &b->cap_teval, b->len_teval + t->n_t_eval + 1,
                     sizeof *e->t_eval_pool) != 0) {
            s = spec_nomem(&mc);
            goto done;
        }
        if (t->n_t_eval > 0) {
            memcpy(e->t_eval_pool + b->len_teval, t->t_eval, t->n_t_eval * sizeof *t->t_eval);
        }
        if (k > 0 &&
            (t->n_t_eval != n0 || t->n_t_eval == 0 ||
             memcmp(e->t_eval_pool + b->len_teval, e->t_eval_pool, n0 * sizeof *t->t_eval) != 0)) {
            e->same_t_eval = 0;
        }
        if (t->n_t_eval == 0) {
            e->same_t_eval = 0;
        }
        b->len_teval += t->n_t_eval;
    }
    /* t_eval_start and overrides_start hold K + 1 offsets */
    if (ens_grow((void **)&e->overrides_start, &b->cap_ostart, k + 2, sizeof *e->overrides_start) !=
        0) {
        s = spec_nomem(&mc);
        goto done;
    }
    if (e->varies & IVP_MEMBER_T_EVAL) {
        if (ens_grow((void **)&e->t_eval_start, &b->cap_tstart, k + 2, sizeof *e->t_eval_start) !=
            0) {
            s = spec_nomem(&mc);
            goto done;
        }
        if (k == 0) {
            e->t_eval_start[0] = 0;
        }
        e->t_eval_start[k + 1] = b->len_teval;
    }
    if (spec_exact_numbers(ov) != 0 || (text = cJSON_PrintUnformatted(ov)) == NULL) {
        s = spec_nomem(&mc);
        goto done;
    }
    {
        size_t tl = strlen(text);
        if (ens_grow((void **)&e->overrides_pool, &b->cap_pool, b->len_pool + tl + 1, 1) != 0) {
            s = spec_nomem(&mc);
            goto done;
        }
        if (k == 0) {
            e->overrides_start[0] = 0;
        }
        memcpy(e->overrides_pool + b->len_pool, text, tl + 1);
        b->len_pool += tl + 1;
        e->overrides_start[k + 1] = b->len_pool;
    }
    e->n_members = k + 1;
done:
    if (text != NULL) {
        cJSON_free(text);
    }
    ivp_problem_free(t);
    cJSON_Delete(tree);
    cJSON_Delete(ov);
    return s;
}

/* ---- grid and zip ---- */

static void ens_axes_free(ens_axis *a, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        free(a[i].items);
        free(a[i].num);
    }
    free(a);
}

/* The keys of "grid" or "zip" (c->path is $.ensemble.grid): arrays, or {"linspace"|"logspace":
 * [a, b, num]}. */
static ivp_status ens_axes(ens_build *b, const cJSON *obj, ens_axis **out, size_t *n_out,
                           unsigned *varies)
{
    spec_ctx *c = b->c;
    size_t n = (size_t)cJSON_GetArraySize(obj), i = 0;
    ens_axis *ax;
    const cJSON *v;
    ivp_status s = IVP_OK;
    *out = NULL;
    *n_out = 0;
    if (!cJSON_IsObject(obj)) {
        return spec_fail(c, "must be an object {override path: values}, got %s",
                         spec_type_name(obj));
    }
    if (n == 0) {
        return spec_fail(c, "must not be empty");
    }
    ax = calloc(n, sizeof *ax);
    if (ax == NULL) {
        return spec_nomem(c);
    }
    cJSON_ArrayForEach(v, obj)
    {
        size_t mark = spec_push_key(c, v->string);
        char where[IVP_ERROR_MSG_MAX];
        unsigned bit;
        snprintf(where, sizeof where, "%.200s: %s", c->name, c->path);
        bit = ens_path_bit(b, where, v->string, &s);
        if (bit == 0) {
            goto fail;
        }
        *varies |= bit;
        ax[i].path = v->string;
        if (cJSON_IsArray(v)) {
            const cJSON *e;
            size_t j = 0;
            ax[i].len = (size_t)cJSON_GetArraySize(v);
            if (ax[i].len == 0) {
                s = spec_fail(c, "must not be empty");
                goto fail;
            }
            ax[i].items = calloc(ax[i].len, sizeof *ax[i].items);
            if (ax[i].items == NULL) {
                s = spec_nomem(c);
                goto fail;
            }
            cJSON_ArrayForEach(e, v)
            {
                ax[i].items[j++] = e;
            }
        } else if (cJSON_IsObject(v) && cJSON_GetArraySize(v) == 1 &&
                   (cJSON_GetObjectItemCaseSensitive(v, "linspace") != NULL ||
                    cJSON_GetObjectItemCaseSensitive(v, "logspace") != NULL)) {
            const cJSON *ls = v->child;
            int logs = strcmp(ls->string, "logspace") == 0;
            double a = 0.0, z = 0.0, num = 0.0; /* set below; initialised for -O3 -Werror */
            size_t m2 = spec_push_key(c, ls->string), j;
            if (!cJSON_IsArray(ls) || cJSON_GetArraySize(ls) != 3) {
                s = spec_fail(c, "must be an array [a, b, num]");
                goto fail;
            }
            spec_push_index(c, 0);
            if ((s = spec_number(c, cJSON_GetArrayItem(ls, 0), &a)) != IVP_OK) {
                goto fail;
            }
            spec_pop(c, m2);
            spec_push_key(c, ls->string);
            spec_pop(c, m2);
            spec_push_key(c, ls->string);
            spec_push_index(c, 1);
            if ((s = spec_number(c, cJSON_GetArrayItem(ls, 1), &z)) != IVP_OK) {
                goto fail;
            }
            spec_pop(c, m2);
            spec_push_key(c, ls->string);
            spec_push_index(c, 2);
            if ((s = spec_integer(c, cJSON_GetArrayItem(ls, 2), 1, SPEC_LINSPACE_MAX,
                                  "an integer in [1, 100000000]", &num)) != IVP_OK) {
                goto fail;
            }
            spec_pop(c, m2);
            ax[i].len = (size_t)num;
            ax[i].num = calloc(ax[i].len, sizeof *ax[i].num);
            if (ax[i].num == NULL) {
                s = spec_nomem(c);
                goto fail;
            }
            spec_linspace(a, z, ax[i].len, ax[i].num);
            if (logs) {
                for (j = 0; j < ax[i].len; j++) {
                    ax[i].num[j] = pow(10.0, ax[i].num[j]);
                }
            }
        } else {
            s = spec_fail(c,
                          "must be an array of values or {\"linspace\": [a, b, num]} or "
                          "{\"logspace\": [a, b, num]}, got %s",
                          spec_type_name(v));
            goto fail;
        }
        spec_pop(c, mark);
        i++;
    }
    *out = ax;
    *n_out = n;
    return IVP_OK;
fail:
    ens_axes_free(ax, n);
    return s;
}

/* Adds the value of axis a at index j to ov. */
static int ens_axis_value(cJSON *ov, const ens_axis *a, size_t j)
{
    cJSON *v = a->items != NULL ? cJSON_Duplicate(a->items[j], 1) : cJSON_CreateNumber(a->num[j]);
    if (v == NULL) {
        return -1;
    }
    cJSON_AddItemToObject(ov, a->path, v);
    return 0;
}

static ivp_status ens_grid_zip(ens_build *b, const cJSON *grid, const cJSON *zip)
{
    spec_ctx *c = b->c;
    ens_axis *ga = NULL, *za = NULL;
    size_t ng = 0, nz = 0, i, j, k, gprod = 1, zlen = 1, *idx = NULL;
    double total = 1;
    unsigned varies = 0;
    ivp_status s = IVP_OK;
    size_t mark = c->len;

    if (zip != NULL) {
        spec_push_key(c, "zip");
        if ((s = ens_axes(b, zip, &za, &nz, &varies)) != IVP_OK) {
            goto done;
        }
        zlen = za[0].len;
        for (i = 1; i < nz; i++) {
            if (za[i].len != zlen) {
                spec_push_key(c, za[i].path);
                s = spec_fail(c,
                              "has %zu values but '%s' has %zu: zip takes arrays of equal length",
                              za[i].len, za[0].path, zlen);
                goto done;
            }
        }
        spec_pop(c, mark);
    }
    if (grid != NULL) {
        spec_push_key(c, "grid");
        if ((s = ens_axes(b, grid, &ga, &ng, &varies)) != IVP_OK) {
            goto done;
        }
        for (i = 0; i < ng; i++) {
            for (j = 0; j < nz; j++) {
                if (strcmp(ga[i].path, za[j].path) == 0) {
                    spec_push_key(c, ga[i].path);
                    s = spec_fail(c, "'%s' is in both grid and zip", ga[i].path);
                    goto done;
                }
            }
            total *= (double)ga[i].len;
            gprod *= ga[i].len;
            if (total * (double)zlen > ENS_MAX_MEMBERS) {
                spec_pop(c, mark);
                s = spec_fail(c, "the grid makes more than %.0f members", ENS_MAX_MEMBERS);
                goto done;
            }
        }
        spec_pop(c, mark);
    }
    free(b->e->source);
    b->e->source = spec_strdup(grid != NULL && zip != NULL ? "zip x grid"
                               : grid != NULL              ? "grid"
                                                           : "zip");
    idx = calloc(ng + 1, sizeof *idx);
    if (b->e->source == NULL || idx == NULL) {
        s = spec_nomem(c);
        goto done;
    }
    ens_layout(b, varies);
    for (k = 0; k < gprod * zlen; k++) {
        cJSON *ov = cJSON_CreateObject();
        size_t g = k % gprod, zi = k / gprod;
        if (ov == NULL) {
            s = spec_nomem(c);
            goto done;
        }
        for (i = ng; i-- > 0;) { /* the last key fastest */
            idx[i] = g % ga[i].len;
            g /= ga[i].len;
        }
        for (i = 0; i < nz; i++) {
            if (ens_axis_value(ov, &za[i], zi) != 0) {
                cJSON_Delete(ov);
                s = spec_nomem(c);
                goto done;
            }
        }
        for (i = 0; i < ng; i++) {
            if (ens_axis_value(ov, &ga[i], idx[i]) != 0) {
                cJSON_Delete(ov);
                s = spec_nomem(c);
                goto done;
            }
        }
        snprintf(b->name, sizeof b->name, "%s: member %zu", c->name, k);
        if ((s = ens_add_member(b, ov, b->name)) != IVP_OK) {
            goto done;
        }
    }
done:
    free(idx);
    ens_axes_free(ga, ng);
    ens_axes_free(za, nz);
    return s;
}

/* ---- tables: CSV and NDJSON ---- */

/* Reads a table file ("-" = stdin) into *text. */
static ivp_status ens_read(spec_ctx *c, const char *path, char **text, size_t *len)
{
    FILE *f;
    int e;
    (void)c;
    if (strcmp(path, "-") == 0) {
        f = stdin;
    } else {
        errno = 0;
        f = fopen(path, "rb");
        if (f == NULL) {
            return spec_unreadable(path, errno != 0 ? errno : EIO, c->err);
        }
    }
    e = spec_read_all(f, text, len);
    if (f != stdin) {
        fclose(f);
    }
    return e != 0 ? spec_unreadable(path, e, c->err) : IVP_OK;
}

/* One CSV record from text[*pos]: fields unescaped into a growing array of strings (freed by the
 * caller), with each field's column. RFC 4180: fields separated by ',', records by LF or CRLF,
 * quoted fields may hold ',', newlines and "" for a quote. */
typedef struct csv_rec {
    char **f;
    size_t *col;
    size_t n, cap;
} csv_rec;

static void csv_rec_clear(csv_rec *r)
{
    size_t i;
    for (i = 0; i < r->n; i++) {
        free(r->f[i]);
    }
    r->n = 0;
}

static ivp_status csv_record(spec_ctx *c, const char *name, const char *t, size_t len, size_t *pos,
                             size_t *line, csv_rec *r)
{
    size_t p = *pos, line_start = p;
    csv_rec_clear(r);
    for (;;) {
        size_t start = p, cap = 16, n = 0;
        char *fld = malloc(cap);
        int quoted = 0;
        if (fld == NULL) {
            return spec_nomem(c);
        }
        if (p < len && t[p] == '"') {
            quoted = 1;
            p++;
            for (;;) {
                if (p >= len) {
                    free(fld);
                    return ivp_error_set(c->err, IVP_ERR_SPEC,
                                         "%s:%zu:%zu: a quoted field is not closed", name, *line,
                                         start - line_start + 1);
                }
                if (t[p] == '"') {
                    if (p + 1 < len && t[p + 1] == '"') {
                        p++;
                    } else {
                        p++;
                        break;
                    }
                } else if (t[p] == '\n') {
                    (*line)++;
                }
                if (n + 2 > cap) {
                    char *q = realloc(fld, cap *= 2);
                    if (q == NULL) {
                        free(fld);
                        return spec_nomem(c);
                    }
                    fld = q;
                }
                fld[n++] = t[p++];
            }
        } else {
            while (p < len && t[p] != ',' && t[p] != '\n' &&
                   !(t[p] == '\r' && p + 1 < len && t[p + 1] == '\n')) {
                if (t[p] == '"') {
                    free(fld);
                    return ivp_error_set(c->err, IVP_ERR_SPEC,
                                         "%s:%zu:%zu: a quote inside an unquoted field (quote the "
                                         "whole field and double the quote)",
                                         name, *line, p - line_start + 1);
                }
                if (n + 2 > cap) {
                    char *q = realloc(fld, cap *= 2);
                    if (q == NULL) {
                        free(fld);
                        return spec_nomem(c);
                    }
                    fld = q;
                }
                fld[n++] = t[p++];
            }
        }
        fld[n] = '\0';
        if (r->n == r->cap) {
            size_t nc = r->cap < 8 ? 8 : 2 * r->cap;
            char **nf = realloc(r->f, nc * sizeof *nf);
            size_t *ncol;
            if (nf == NULL) {
                free(fld);
                return spec_nomem(c);
            }
            r->f = nf;
            ncol = realloc(r->col, nc * sizeof *ncol);
            if (ncol == NULL) {
                free(fld);
                return spec_nomem(c);
            }
            r->col = ncol;
            r->cap = nc;
        }
        r->f[r->n] = fld;
        r->col[r->n++] = start - line_start + 1;
        if (p < len && t[p] == ',') {
            p++;
            continue;
        }
        if (p < len && t[p] == '\r') {
            p++;
        }
        if (p < len && t[p] == '\n') {
            p++;
            (*line)++;
        } else if (p < len) {
            return ivp_error_set(c->err, IVP_ERR_SPEC,
                                 "%s:%zu:%zu: text after a closing quote (expected ',' or the end "
                                 "of the line)",
                                 name, *line, p - line_start + 1);
        }
        (void)quoted;
        break;
    }
    *pos = p;
    return IVP_OK;
}

/* Trims blanks around s in place; returns the start. */
static char *ens_trim(char *s)
{
    size_t n;
    while (*s == ' ' || *s == '\t') {
        s++;
    }
    n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t')) {
        s[--n] = '\0';
    }
    return s;
}

/* Skips blank lines (only spaces, tabs, CR) at text[*pos]. */
static void ens_skip_blank(const char *t, size_t len, size_t *pos, size_t *line)
{
    size_t p = *pos;
    for (;;) {
        size_t q = p;
        while (q < len && (t[q] == ' ' || t[q] == '\t' || t[q] == '\r')) {
            q++;
        }
        if (q < len && t[q] == '\n') {
            p = q + 1;
            (*line)++;
        } else if (q >= len) {
            p = q;
            break;
        } else {
            break;
        }
    }
    *pos = p;
}

static ivp_status ens_csv(ens_build *b, const char *name, const char *t, size_t len)
{
    spec_ctx *c = b->c;
    csv_rec hdr = {0}, r = {0};
    size_t pos = 0, line = 1, hdr_line, i, k = 0;
    unsigned varies = 0;
    ivp_status s;

    ens_skip_blank(t, len, &pos, &line);
    if (pos >= len) {
        s = ivp_error_set(c->err, IVP_ERR_SPEC,
                          "%s: the table is empty (expected a header row "
                          "of override paths, then one row per member)",
                          name);
        goto done;
    }
    hdr_line = line;
    if ((s = csv_record(c, name, t, len, &pos, &line, &hdr)) != IVP_OK) {
        goto done;
    }
    for (i = 0; i < hdr.n; i++) {
        char where[IVP_ERROR_MSG_MAX];
        unsigned bit;
        size_t j;
        char *h = ens_trim(hdr.f[i]);
        snprintf(where, sizeof where, "%s:%zu:%zu: header", name, hdr_line, hdr.col[i]);
        if (h[0] == '\0') {
            s = ivp_error_set(c->err, IVP_ERR_SPEC,
                              "%s: column %zu has no name (the header row names the override "
                              "paths, e.g. params.mu,y0[0])",
                              where, i + 1);
            goto done;
        }
        for (j = 0; j < i; j++) {
            if (strcmp(ens_trim(hdr.f[j]), h) == 0) {
                s = ivp_error_set(c->err, IVP_ERR_SPEC, "%s: column '%s' appears twice", where, h);
                goto done;
            }
        }
        bit = ens_path_bit(b, where, h, &s);
        if (bit == 0) {
            goto done;
        }
        varies |= bit;
    }
    ens_layout(b, varies);
    for (;;) {
        size_t row_line;
        cJSON *ov;
        ens_skip_blank(t, len, &pos, &line);
        if (pos >= len) {
            break;
        }
        row_line = line;
        if ((s = csv_record(c, name, t, len, &pos, &line, &r)) != IVP_OK) {
            goto done;
        }
        if (r.n != hdr.n) {
            s = ivp_error_set(c->err, IVP_ERR_SPEC,
                              "%s:%zu: member %zu: the row has %zu fields, the header has %zu",
                              name, row_line, k, r.n, hdr.n);
            goto done;
        }
        ov = cJSON_CreateObject();
        if (ov == NULL) {
            s = spec_nomem(c);
            goto done;
        }
        for (i = 0; i < r.n; i++) {
            char *cell = ens_trim(r.f[i]);
            const char *end = NULL;
            cJSON *v = cell[0] != '\0' ? cJSON_ParseWithOpts(cell, &end, 1) : NULL;
            if (v == NULL) {
                cJSON_Delete(ov);
                s = ivp_error_set(
                    c->err, IVP_ERR_SPEC,
                    "%s:%zu:%zu: member %zu: column '%s': %s%s%s is not a number (or "
                    "a JSON value)",
                    name, row_line, r.col[i], k, ens_trim(hdr.f[i]), cell[0] != '\0' ? "'" : "",
                    cell[0] != '\0' ? cell : "an empty cell", cell[0] != '\0' ? "'" : "");
                goto done;
            }
            cJSON_AddItemToObject(ov, ens_trim(hdr.f[i]), v);
        }
        snprintf(b->name, sizeof b->name, "%s:%zu: member %zu", name, row_line, k);
        if ((s = ens_add_member(b, ov, b->name)) != IVP_OK) {
            goto done;
        }
        k++;
    }
    if (k == 0) {
        s = ivp_error_set(c->err, IVP_ERR_SPEC, "%s: the table has a header but no members", name);
    }
done:
    csv_rec_clear(&hdr);
    csv_rec_clear(&r);
    free(hdr.f);
    free(hdr.col);
    free(r.f);
    free(r.col);
    return s;
}

/* One NDJSON line: text[start, end) parsed into an object of overrides (*ov; NULL for a blank
 * line). pass 1 checks the keys and collects their bits. */
static ivp_status ens_ndjson_line(ens_build *b, const char *name, const char *t, size_t len,
                                  size_t start, size_t end, size_t line, size_t k, cJSON **ov,
                                  unsigned *varies)
{
    spec_ctx *c = b->c;
    const char *stop = NULL;
    char *copy;
    cJSON *v, *item;
    size_t q = start;
    ivp_status s = IVP_OK;
    *ov = NULL;
    while (q < end && (t[q] == ' ' || t[q] == '\t' || t[q] == '\r')) {
        q++;
    }
    if (q == end) {
        return IVP_OK;
    }
    copy = malloc(end - start + 1);
    if (copy == NULL) {
        return spec_nomem(c);
    }
    memcpy(copy, t + start, end - start);
    copy[end - start] = '\0';
    v = cJSON_ParseWithLengthOpts(copy, end - start + 1, &stop, 1);
    if (v == NULL) {
        size_t off = stop != NULL && stop >= copy ? (size_t)(stop - copy) : 0;
        char what[32];
        free(copy);
        snprintf(what, sizeof what, " (member %zu)", k);
        return spec_syntax_error(name, t, len, start + off, what, c->err);
    }
    free(copy);
    if (!cJSON_IsObject(v)) {
        s = ivp_error_set(c->err, IVP_ERR_SPEC,
                          "%s:%zu: member %zu: must be an object of overrides {\"path\": value}, "
                          "got %s",
                          name, line, k, spec_type_name(v));
        cJSON_Delete(v);
        return s;
    }
    {
        ivp_status ds = IVP_OK;
        const cJSON *dup = spec_first_duplicate(v, &ds);
        if (ds != IVP_OK) {
            cJSON_Delete(v);
            return spec_nomem(c);
        }
        if (dup != NULL) {
            s = ivp_error_set(c->err, IVP_ERR_SPEC, "%s:%zu: member %zu: key '%s' appears twice",
                              name, line, k, dup->string);
            cJSON_Delete(v);
            return s;
        }
    }
    cJSON_ArrayForEach(item, v)
    {
        char where[IVP_ERROR_MSG_MAX];
        unsigned bit;
        snprintf(where, sizeof where, "%s:%zu: member %zu", name, line, k);
        bit = ens_path_bit(b, where, item->string, &s);
        if (bit == 0) {
            cJSON_Delete(v);
            return s;
        }
        *varies |= bit;
    }
    *ov = v;
    return IVP_OK;
}

static ivp_status ens_ndjson(ens_build *b, const char *name, const char *t, size_t len)
{
    unsigned varies = 0;
    int pass;
    ivp_status s = IVP_OK;
    for (pass = 1; pass <= 2; pass++) {
        size_t pos = 0, line = 1, k = 0;
        if (pass == 2) {
            ens_layout(b, varies);
        }
        while (pos < len) {
            const char *nl = memchr(t + pos, '\n', len - pos);
            size_t end = nl != NULL ? (size_t)(nl - t) : len;
            cJSON *ov = NULL;
            s = ens_ndjson_line(b, name, t, len, pos, end, line, k, &ov, &varies);
            if (s != IVP_OK) {
                return s;
            }
            if (ov != NULL) {
                if (pass == 2) {
                    snprintf(b->name, sizeof b->name, "%s:%zu: member %zu", name, line, k);
                    if ((s = ens_add_member(b, ov, b->name)) != IVP_OK) {
                        return s;
                    }
                } else {
                    cJSON_Delete(ov);
                }
                k++;
            }
            pos = end + 1;
            line++;
        }
        if (k == 0) {
            return ivp_error_set(b->c->err, IVP_ERR_SPEC, "%s: the table has no members", name);
        }
    }
    return s;
}

static ivp_status ens_table(ens_build *b, const char *path)
{
    char *text = NULL;
    size_t len = 0, i = 0;
    const char *name = strcmp(path, "-") == 0 ? "<stdin>" : path;
    ivp_status s = ens_read(b->c, path, &text, &len);
    if (s != IVP_OK) {
        return s;
    }
    free(b->e->source);
    b->e->source = spec_strdup(name);
    if (b->e->source == NULL) {
        free(text);
        return spec_nomem(b->c);
    }
    while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r' || text[i] == '\n')) {
        i++;
    }
    s = i < len && text[i] == '{' ? ens_ndjson(b, name, text, len) : ens_csv(b, name, text, len);
    free(text);
    return s;
}

static void ens_free(ivp_ensemble *e)
{
    if (e != NULL) {
        free(e->table);
        free(e->t_eval_pool);
        free(e->t_eval_start);
        free(e->overrides_pool);
        free(e->overrides_start);
        free(e->source);
        free(e);
    }
}

/* The "ensemble" key (ens, detached from the spec; NULL when only 'members' is given) and the
 * --members table: builds p->ensemble. pristine is the base spec's tree before validation. */
static ivp_status spec_ensemble(spec_ctx *c, const cJSON *pristine, const cJSON *ens,
                                const char *members, ivp_problem *p)
{
    static const char *const keys[] = {"grid", "zip", "table", NULL};
    ens_build b;
    const cJSON *grid = NULL, *zip = NULL, *table = NULL;
    ivp_status s;
    size_t mark;

    memset(&b, 0, sizeof b);
    b.c = c;
    b.pristine = pristine;
    b.base = p;
    b.e = calloc(1, sizeof *b.e);
    if (b.e == NULL) {
        return spec_nomem(c);
    }
    b.e->same_t_eval = p->t_eval != NULL;
    spec_pop(c, 0);
    spec_path_append(c, "$");
    mark = spec_push_key(c, "ensemble");
    if (ens != NULL) {
        if (!cJSON_IsObject(ens)) {
            s = spec_fail(c, "must be an object with grid and/or zip, or table; got %s",
                          spec_type_name(ens));
            goto fail;
        }
        if ((s = spec_known_keys(c, ens, keys)) != IVP_OK) {
            goto fail;
        }
        grid = cJSON_GetObjectItemCaseSensitive(ens, "grid");
        zip = cJSON_GetObjectItemCaseSensitive(ens, "zip");
        table = cJSON_GetObjectItemCaseSensitive(ens, "table");
        if (table != NULL && (grid != NULL || zip != NULL)) {
            s = spec_fail(c, "table is not combined with grid or zip");
            goto fail;
        }
        if (members != NULL && (grid != NULL || zip != NULL)) {
            s = spec_fail(c, "--members supplies a table, which is not combined with the spec's "
                             "grid or zip");
            goto fail;
        }
        if (grid == NULL && zip == NULL && table == NULL && members == NULL) {
            s = spec_fail(c, "must have grid and/or zip, or table");
            goto fail;
        }
    }
    if (members != NULL) {
        s = ens_table(&b, members);
    } else if (table != NULL) {
        char *path;
        spec_push_key(c, "table");
        if (!cJSON_IsString(table) || table->valuestring[0] == '\0') {
            s = spec_fail(c, "must be a file name (CSV or NDJSON), got %s", spec_type_name(table));
            goto fail;
        }
        spec_pop(c, mark);
        if (table->valuestring[0] == '/') {
            path = spec_strdup(table->valuestring);
        } else {
            size_t nb = strlen(c->base_dir), ns = strlen(table->valuestring);
            path = malloc(nb + ns + 2);
            if (path != NULL) {
                sprintf(path, "%s/%s", c->base_dir, table->valuestring);
            }
        }
        if (path == NULL) {
            s = spec_nomem(c);
            goto fail;
        }
        s = ens_table(&b, path);
        free(path);
    } else {
        s = ens_grid_zip(&b, grid, zip);
    }
    if (s != IVP_OK) {
        goto fail;
    }
    spec_pop(c, 0);
    p->ensemble = b.e;
    return IVP_OK;
fail:
    spec_pop(c, 0);
    ens_free(b.e);
    return s;
}

void ivp_problem_member(const ivp_problem *p, size_t k, ivp_member *m)
{
    const ivp_ensemble *e = p->ensemble;
    const double *row;
    m->t0 = p->t0;
    m->t_end = p->t_end;
    m->y0 = p->y0;
    m->params = p->param_values;
    m->rtol = p->rtol;
    m->atol = p->atol;
    m->atol_vec = p->atol_vec;
    m->first_step = p->first_step;
    m->max_step = p->max_step;
    m->min_step = p->min_step;
    m->max_steps = p->max_steps;
    m->t_eval = p->t_eval;
    m->n_t_eval = p->n_t_eval;
    m->overrides = "{}";
    if (e == NULL || k >= e->n_members) {
        return;
    }
    row = e->table + k * e->width;
    if (e->varies & IVP_MEMBER_T_SPAN) {
        m->t0 = row[e->off_t_span];
        m->t_end = row[e->off_t_span + 1];
    }
    if (e->varies & IVP_MEMBER_Y0) {
        m->y0 = row + e->off_y0;
    }
    if (e->varies & IVP_MEMBER_PARAMS) {
        m->params = row + e->off_params;
    }
    if (e->varies & IVP_MEMBER_RTOL) {
        m->rtol = row[e->off_rtol];
    }
    if (e->varies & IVP_MEMBER_ATOL) {
        if (row[e->off_atol] != 0) {
            m->atol_vec = row + e->off_atol + 1;
        } else {
            m->atol_vec = NULL;
            m->atol = row[e->off_atol + 1];
        }
    }
    if (e->varies & IVP_MEMBER_FIRST_STEP) {
        m->first_step = row[e->off_first_step];
    }
    if (e->varies & IVP_MEMBER_MAX_STEP) {
        m->max_step = row[e->off_max_step];
    }
    if (e->varies & IVP_MEMBER_MIN_STEP) {
        m->min_step = row[e->off_min_step];
    }
    if (e->varies & IVP_MEMBER_MAX_STEPS) {
        m->max_steps = (unsigned long)row[e->off_max_steps];
    }
    if (e->varies & IVP_MEMBER_T_EVAL) {
        m->t_eval = e->t_eval_pool + e->t_eval_start[k];
        m->n_t_eval = e->t_eval_start[k + 1] - e->t_eval_start[k];
        if (m->n_t_eval == 0) {
            m->t_eval = NULL;
        }
    }
    m->overrides = e->overrides_pool + e->overrides_start[k];
}
